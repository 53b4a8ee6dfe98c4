import Crypto
import Foundation
import TrellisCore

/// Signed tokens for the links in an email (unsubscribe, preferences, open pixel, click): the
/// payload in URL-safe base64 and an HMAC-SHA256 over it with a server secret, so that guessing
/// or editing a token gets nothing. Several secrets may be given: the first signs, all verify,
/// which lets an operator rotate the secret without breaking links in mail already sent.
///
/// ```swift
/// let signer = LinkSigner(secrets: [secret])
/// let token = signer.sign(LinkPayload(purpose: .click, sendId: 42, contactId: 7, target: "https://acme.example/pricing"))
/// let payload = try signer.verify(token)   // throws LinkSigner.Invalid when tampered with
/// ```
public struct LinkSigner: Sendable {
    let keys: [SymmetricKey]

    public init(secrets: [[UInt8]]) {
        precondition(!secrets.isEmpty, "a link signer needs a secret")
        keys = secrets.map { SymmetricKey(data: $0) }
    }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    public func sign(_ payload: LinkPayload) -> String {
        let body = Self.base64URL(Array(payload.encoded.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: keys[0])
        return body + "." + Self.base64URL(mac.withUnsafeBytes { Array($0) })
    }

    public func verify(_ token: String) throws(Invalid) -> LinkPayload {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let mac = Self.decodeBase64URL(String(parts[1])), mac.count == 32 else {
            throw Invalid(description: "the link is malformed")
        }
        let body = Array(parts[0].utf8)
        guard keys.contains(where: { HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: $0) }) else {
            throw Invalid(description: "the link's signature does not match (edited or forged)")
        }
        guard let bytes = Self.decodeBase64URL(String(parts[0])), let payload = LinkPayload(encoded: String(decoding: bytes, as: UTF8.self)) else {
            throw Invalid(description: "the link is malformed")
        }
        return payload
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// RFC 4648 §5 base64url without padding.
    static func base64URL<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next(), third = iterator.next()
            let value = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            if second != nil { output.append(alphabet[Int(value >> 6 & 63)]) }
            if third != nil { output.append(alphabet[Int(value & 63)]) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func decodeBase64URL(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0.isBase64URL }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}

extension UInt8 {
    var isBase64URL: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }
}

/// What a signed link carries: what it is for, the send it came from (for a handoff link, the
/// handoff), the contact, and for a click the target URL (inside the signature, so no one can
/// point it elsewhere).
public struct LinkPayload: Sendable, Equatable {
    public enum Purpose: String, Sendable { case unsubscribe = "u", open = "o", click = "c", handoff = "h" }

    public var purpose: Purpose
    public var sendId: Int64
    public var contactId: Int64
    public var target: String?

    public init(purpose: Purpose, sendId: Int64, contactId: Int64, target: String? = nil) {
        self.purpose = purpose
        self.sendId = sendId
        self.contactId = contactId
        self.target = target
    }

    var encoded: String { "\(purpose.rawValue)|\(sendId)|\(contactId)" + (target.map { "|" + $0 } ?? "") }

    init?(encoded: String) {
        let parts = encoded.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, let purpose = Purpose(rawValue: String(parts[0])), let sendId = Int64(parts[1]), let contactId = Int64(parts[2]) else {
            return nil
        }
        self.init(purpose: purpose, sendId: sendId, contactId: contactId, target: parts.count == 4 ? String(parts[3]) : nil)
    }
}

/// HMAC-SHA256 as lowercase hex, for webhook signatures.
public enum LinkDigest {
    public static func hmacHex(key: [UInt8], message: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return Hex.lowercase(mac)
    }

    /// Constant-time check of a hex HMAC.
    public static func verifyHex(_ hex: String, key: [UInt8], message: [UInt8]) -> Bool {
        let bytes = stride(from: 0, to: hex.utf8.count - 1, by: 2).compactMap { index -> UInt8? in
            let start = hex.utf8.index(hex.utf8.startIndex, offsetBy: index)
            return UInt8(String(hex.utf8[start..<hex.utf8.index(start, offsetBy: 2)])!, radix: 16)
        }
        guard bytes.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: message, using: SymmetricKey(data: key))
    }
}
