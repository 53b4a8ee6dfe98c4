/// One SMTP reply: a code and its text lines (`250-SIZE 10240000` … `250 PIPELINING`).
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { (200..<400).contains(code) }
    /// 4xx: try again later.
    public var isTransient: Bool { (400..<500).contains(code) }
    /// 5xx: this message will not be accepted.
    public var isPermanent: Bool { code >= 500 }
    public var description: String { "\(code) \(lines.joined(separator: " / "))" }
}

/// Assembles replies from the lines a server sends; a reply may span lines (`250-` … `250 `).
public struct SMTPReplyParser: Sendable {
    private var pending: [String] = []
    private var pendingCode: Int?

    public init() {}

    public enum ParseError: Error, Equatable { case malformed(String) }

    /// Feeds one line (without its CRLF); returns a reply when the line completes one.
    public mutating func feed(_ line: String) throws(ParseError) -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200..<600).contains(code) else {
            throw .malformed(line)
        }
        if let pendingCode, pendingCode != code { throw .malformed(line) }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        let text = bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : ""
        pending.append(text)
        if separator == UInt8(ascii: "-") {
            pendingCode = code
            return nil
        }
        guard separator == UInt8(ascii: " ") else { throw .malformed(line) }
        defer {
            pending = []
            pendingCode = nil
        }
        return SMTPReply(code: code, lines: pending)
    }
}
