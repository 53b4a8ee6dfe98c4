import TrellisCore

/// A mailbox: an address and an optional display name, written as RFC 5322 wants it
/// (`"Acme, Inc." <hello@acme.example>`, `=?UTF-8?B?...?= <zoe@example.com>`).
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public var name: String?
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    /// Reads `Acme <hello@acme.example>` or a bare address; nil if there is no plausible address.
    public init?(parsing text: String) {
        let trimmed = text.trimmed
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]).trimmed
            var name = String(trimmed[..<open]).trimmed
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            guard Traits.isPlausibleEmail(address) else { return nil }
            self.init(name: name.isEmpty ? nil : name, address: address)
        } else {
            guard Traits.isPlausibleEmail(trimmed) else { return nil }
            self.init(address: trimmed)
        }
    }

    /// The header form.
    public var description: String {
        guard let name, !name.isEmpty else { return address }
        if !EncodedWord.isPlain(name) { return "\(EncodedWord.encode(name)) <\(address)>" }
        let specials = Set("()<>[]:;@\\,.\"")
        if name.contains(where: { specials.contains($0) }) {
            return "\"\(name.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\""))\" <\(address)>"
        }
        return "\(name) <\(address)>"
    }

    /// The domain, for Message-ID and DKIM.
    public var domain: String { String(address.split(separator: "@").last ?? "") }
}
