import Foundation

/// A report that comes back about mail Trellis sent: a delivery status notification (RFC 3464,
/// a bounce or a delay) or an abuse feedback report (RFC 5965, ARF: someone pressed "spam").
///
/// ```swift
/// switch try DeliveryReport(parsing: rawMessage) {
/// case .bounce(let bounce): for recipient in bounce.recipients where recipient.isHard { suppress(recipient.address) }
/// case .complaint(let complaint): suppress(complaint.recipient)
/// }
/// ```
public enum DeliveryReport: Sendable, Equatable {
    case bounce(Bounce)
    case complaint(Complaint)

    public struct Bounce: Sendable, Equatable {
        public var recipients: [Recipient]
        /// The Message-ID of the message that bounced, when the report includes its headers.
        public var originalMessageID: String?
        public var reportingMTA: String?
    }

    /// One recipient's fate in a DSN.
    public struct Recipient: Sendable, Equatable {
        public var address: String
        /// failed, delayed, delivered, relayed or expanded.
        public var action: String
        /// The enhanced status code (RFC 3463), such as 5.1.1.
        public var status: String
        public var diagnostic: String?

        /// A permanent failure: the address does not exist or will never take mail from us.
        public var isHard: Bool { action == "failed" && status.hasPrefix("5") }
        /// A temporary failure (mailbox full, greylisting, a delay): worth trying again.
        public var isSoft: Bool { action == "delayed" || (action == "failed" && status.hasPrefix("4")) }
    }

    public struct Complaint: Sendable, Equatable {
        /// abuse, fraud, virus, other, not-spam (RFC 5965 §7.3).
        public var feedbackType: String
        /// Who complained: Original-Rcpt-To, or the To of the original message.
        public var recipient: String?
        public var originalMessageID: String?
        public var userAgent: String?
    }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(parsing raw: String) throws(Invalid) {
        let message = MIMEPart(raw)
        guard let type = message.contentType, type.value == "multipart/report" else {
            throw Invalid(description: "not a delivery report: Content-Type is \(message.contentType?.value ?? "missing"), expected multipart/report")
        }
        guard let boundary = type.parameters["boundary"] else { throw Invalid(description: "multipart/report without a boundary") }
        let parts = message.parts(boundary: boundary)
        let original = parts.first { ["message/rfc822", "text/rfc822-headers", "message/rfc822-headers"].contains($0.contentType?.value ?? "") }
            .map { MIMEPart($0.decodedBody) }
        let originalMessageID = original?.header("message-id")?.trimmingCharacters(in: .whitespaces)
        switch type.parameters["report-type"]?.lowercased() {
        case "delivery-status":
            guard let status = parts.first(where: { ["message/delivery-status", "message/global-delivery-status"].contains($0.contentType?.value ?? "") }) else {
                throw Invalid(description: "a delivery-status report without a message/delivery-status part")
            }
            let groups = Self.fieldGroups(status.decodedBody)
            let perMessage = groups.first ?? [:]
            let recipients = groups.dropFirst().compactMap { fields -> Recipient? in
                guard let recipient = (fields["final-recipient"] ?? fields["original-recipient"]).map(Self.address), let action = fields["action"] else { return nil }
                return Recipient(
                    address: recipient, action: action.lowercased().trimmingCharacters(in: .whitespaces),
                    status: fields["status"].map { String($0.trimmingCharacters(in: .whitespaces).prefix { !$0.isWhitespace }) } ?? "",
                    diagnostic: fields["diagnostic-code"])
            }
            guard !recipients.isEmpty else { throw Invalid(description: "a delivery-status report with no recipient (Final-Recipient and Action)") }
            self = .bounce(Bounce(recipients: recipients, originalMessageID: originalMessageID, reportingMTA: perMessage["reporting-mta"].map(Self.address)))
        case "feedback-report":
            guard let report = parts.first(where: { $0.contentType?.value == "message/feedback-report" }) else {
                throw Invalid(description: "a feedback report without a message/feedback-report part")
            }
            let fields = Self.fieldGroups(report.decodedBody).first ?? [:]
            guard let feedbackType = fields["feedback-type"] else { throw Invalid(description: "a feedback report without Feedback-Type") }
            let recipient = fields["original-rcpt-to"].map(Self.address) ?? original?.header("to").map(Self.address)
            self = .complaint(
                Complaint(
                    feedbackType: feedbackType.lowercased().trimmingCharacters(in: .whitespaces), recipient: recipient,
                    originalMessageID: originalMessageID, userAgent: fields["user-agent"]))
        case let other:
            throw Invalid(description: "report-type \(other ?? "missing") is neither delivery-status (RFC 3464) nor feedback-report (RFC 5965)")
        }
    }

    /// `rfc822; ada@example.com` or `<ada@example.com>` → `ada@example.com`.
    static func address(_ field: String) -> String {
        var value = field
        if let semicolon = value.firstIndex(of: ";") { value = String(value[value.index(after: semicolon)...]) }
        if let open = value.firstIndex(of: "<"), let close = value[open...].firstIndex(of: ">") { value = String(value[value.index(after: open)..<close]) }
        return value.trimmingCharacters(in: .whitespaces)
    }

    /// Header-style field groups separated by blank lines, names lowercased, lines unfolded.
    static func fieldGroups(_ text: String) -> [[String: String]] {
        var groups: [[String: String]] = []
        var current: [String: String] = [:]
        var last: String?
        for line in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !current.isEmpty { groups.append(current) }
                current = [:]
                last = nil
            } else if line.first == " " || line.first == "\t", let last {
                current[last, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased().trimmingCharacters(in: .whitespaces)
                current[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                last = name
            }
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }
}

/// Just enough MIME to read reports: headers (unfolded), a Content-Type with parameters, the
/// parts of a multipart body, and base64 or quoted-printable bodies decoded.
struct MIMEPart {
    var headers: [(name: String, value: String)] = []
    var body: String

    init(_ raw: String) {
        let text = raw.replacingOccurrences(of: "\r\n", with: "\n")
        let split = text.range(of: "\n\n")
        let head = split.map { String(text[..<$0.lowerBound]) } ?? text
        body = split.map { String(text[$0.upperBound...]) } ?? ""
        for line in head.split(separator: "\n") {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
    }

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    var contentType: (value: String, parameters: [String: String])? {
        guard let field = header("content-type") else { return nil }
        let pieces = field.split(separator: ";")
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            parameters[piece[..<equals].lowercased().trimmingCharacters(in: .whitespaces)] = value
        }
        return (pieces.first.map { $0.lowercased().trimmingCharacters(in: .whitespaces) } ?? "", parameters)
    }

    var decodedBody: String {
        switch header("content-transfer-encoding")?.lowercased() {
        case "base64"?:
            return Data(base64Encoded: body.filter { !$0.isWhitespace }).map { String(decoding: $0, as: UTF8.self) } ?? body
        case "quoted-printable"?:
            return QuotedPrintable.decode(body)
        default:
            return body
        }
    }

    func parts(boundary: String) -> [MIMEPart] {
        var parts: [MIMEPart] = []
        var current: [Substring]?
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("--\(boundary)") {
                if let current { parts.append(MIMEPart(current.joined(separator: "\n"))) }
                current = line.hasPrefix("--\(boundary)--") ? nil : []
                if line.hasPrefix("--\(boundary)--") { break }
            } else {
                current?.append(line)
            }
        }
        return parts
    }
}
