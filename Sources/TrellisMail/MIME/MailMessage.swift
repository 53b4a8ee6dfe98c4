import TrellisCore

/// An email as Trellis sends it: RFC 5322 headers (Date, Message-ID, From, Reply-To, To, Subject,
/// and any extra such as List-Unsubscribe), and a text part with an optional HTML alternative.
///
/// ```swift
/// let message = MailMessage(
///     from: MailAddress(name: "Acme", address: "hello@acme.example"), to: [MailAddress(address: "ada@example.com")],
///     subject: "Your guide", date: clock.now(), messageID: "<abc@acme.example>", text: "Hi Ada", html: "<p>Hi Ada</p>")
/// let bytes = message.render(boundary: "b1")
/// ```
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var replyTo: MailAddress?
    public var to: [MailAddress]
    public var subject: String
    public var date: Timestamp
    /// With its angle brackets: `<id@domain>`.
    public var messageID: String
    /// Further headers, in order (List-Unsubscribe, List-Unsubscribe-Post, Feedback-ID, …).
    public var headers: [(name: String, value: String)]
    public var text: String
    public var html: String?

    public init(
        from: MailAddress, replyTo: MailAddress? = nil, to: [MailAddress], subject: String, date: Timestamp, messageID: String,
        headers: [(name: String, value: String)] = [], text: String, html: String? = nil
    ) {
        self.from = from
        self.replyTo = replyTo
        self.to = to
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.headers = headers
        self.text = text
        self.html = html
    }

    public static func == (lhs: MailMessage, rhs: MailMessage) -> Bool {
        lhs.from == rhs.from && lhs.replyTo == rhs.replyTo && lhs.to == rhs.to && lhs.subject == rhs.subject && lhs.date == rhs.date
            && lhs.messageID == rhs.messageID && lhs.text == rhs.text && lhs.html == rhs.html
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// The message as it goes over SMTP: CRLF line ends, no line over 998 octets (78 where the
    /// headers can fold), bodies quoted-printable. `boundary` must not occur in the parts; a
    /// caller passes something random.
    public func render(boundary: String) -> String {
        var lines: [String] = []
        func header(_ name: String, _ value: String) { lines.append(Self.fold("\(name): \(value)")) }
        header("Date", RFC5322Date.format(date))
        header("From", from.description)
        if let replyTo { header("Reply-To", replyTo.description) }
        header("To", to.map(\.description).joined(separator: ", "))
        header("Subject", EncodedWord.encode(subject))
        header("Message-ID", messageID)
        for extra in headers { header(extra.name, extra.value) }
        header("MIME-Version", "1.0")
        if let html {
            header("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            for (type, body) in [("text/plain", text), ("text/html", html)] {
                lines.append("--\(boundary)")
                lines.append("Content-Type: \(type); charset=utf-8")
                lines.append("Content-Transfer-Encoding: quoted-printable")
                lines.append("")
                lines.append(QuotedPrintable.encode(body))
            }
            lines.append("--\(boundary)--")
        } else {
            header("Content-Type", "text/plain; charset=utf-8")
            header("Content-Transfer-Encoding", "quoted-printable")
            lines.append("")
            lines.append(QuotedPrintable.encode(text))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Folds a header line at spaces so that lines stay within 78 characters where possible
    /// (RFC 5322 §2.2.3); a word longer than that stays whole (it is still under 998).
    static func fold(_ line: String) -> String {
        // Encoded words come already broken into lines of at most 75 characters.
        guard line.utf8.count > 78, !line.contains("\r\n") else { return line }
        var output: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            let piece = current.isEmpty ? String(word) : " " + word
            if !current.isEmpty, current.utf8.count + piece.utf8.count > 78 {
                output.append(current)
                current = " " + word
            } else {
                current += piece
            }
        }
        output.append(current)
        return output.joined(separator: "\r\n")
    }
}

/// RFC 5322 dates: `Mon, 23 Nov 2026 18:34:05 +0000`, always in UTC.
public enum RFC5322Date {
    static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ time: Timestamp) -> String {
        let iso = time.iso8601  // 2026-11-23T18:34:05.123Z
        let parts = Array(iso.utf8)
        func number(_ from: Int, _ count: Int) -> Int { Int(String(decoding: parts[from..<(from + count)], as: UTF8.self)) ?? 0 }
        let dayIndex = Int((time.millisecondsSinceEpoch / 86_400_000 % 7 + 7) % 7)
        let clock = String(decoding: parts[11..<19], as: UTF8.self)
        return "\(days[dayIndex]), \(number(8, 2)) \(months[number(5, 2) - 1]) \(number(0, 4)) \(clock) +0000"
    }
}
