import Foundation

/// Where mail goes: `smtp://user:pass@host:port?tls=starttls|implicit|none`, as the configuration
/// writes it. `smtps://` means implicit TLS. `ca=/path/ca.pem` trusts a private CA (a relay with
/// its own certificate); `verify=none` turns certificate checks off (tests only).
public struct SMTPServerURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: SMTPSession.TLSMode
    public var credentials: SMTPSession.Credentials?
    public var caFile: String?
    public var verifyCertificates: Bool

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(Invalid) {
        guard let components = URLComponents(string: text), components.scheme == "smtp" || components.scheme == "smtps",
            let host = components.host, !host.isEmpty
        else {
            throw Invalid(description: "expected smtp://[user:pass@]host:port?tls=starttls|implicit|none, got '\(Self.redacted(text))'")
        }
        self.host = host
        let query = components.queryItems ?? []
        for item in query where !["tls", "ca", "verify"].contains(item.name) {
            throw Invalid(description: "unknown parameter '\(item.name)' (known: tls, ca, verify)")
        }
        let mode = query.first { $0.name == "tls" }?.value ?? (components.scheme == "smtps" ? "implicit" : "starttls")
        guard let tls = SMTPSession.TLSMode(rawValue: mode) else { throw Invalid(description: "tls must be starttls, implicit or none, got '\(mode)'") }
        self.tls = tls
        port = components.port ?? (tls == .implicit ? 465 : 587)
        if let user = components.user {
            credentials = .init(user: user.removingPercentEncoding ?? user, password: components.password?.removingPercentEncoding ?? "")
        }
        caFile = query.first { $0.name == "ca" }?.value
        let verify = query.first { $0.name == "verify" }?.value ?? "full"
        guard verify == "full" || verify == "none" else { throw Invalid(description: "verify must be full or none, got '\(verify)'") }
        verifyCertificates = verify == "full"
    }

    /// The address without its password, for logs and messages.
    public var description: String {
        let user = credentials.map { "\($0.user):***@" } ?? ""
        return "smtp://\(user)\(host):\(port)?tls=\(tls.rawValue)"
    }

    /// The text with whatever stands before the last `@` (user and password, however malformed
    /// the URL around them) masked: what an error message may show.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.range(of: "//").map(\.upperBound).flatMap { $0 < at ? $0 : nil } ?? text.startIndex
        return String(text[..<start]) + "***" + String(text[at...])
    }
}
