import Foundation
import Crypto
import CryptoExtras
import TrellisCore

/// RFC 6376 DKIM signatures, relaxed/relaxed, with rsa-sha256 or ed25519-sha256 (RFC 8463).
///
/// ```swift
/// let signer = DKIMSigner(domain: "acme.example", selector: "e1", key: try .ed25519(pem: text))
/// let signed = signer.sign(message.render(boundary: b), at: clock.now())
/// ```
public struct DKIMSigner: Sendable {
    public enum Key: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)

        /// An Ed25519 private key in PKCS#8 PEM (`openssl genpkey -algorithm ed25519`).
        public static func ed25519(pem: String) throws -> Key {
            let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            guard let der = Base64.decode(body), der.count >= 32 else { throw DKIMError.badKey("not a PEM-encoded Ed25519 key") }
            return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)))
        }

        /// An RSA private key in PEM (PKCS#1 or PKCS#8).
        public static func rsa(pem: String) throws -> Key {
            .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: pem))
        }

        var algorithm: String {
            switch self {
            case .ed25519: "ed25519-sha256"
            case .rsa: "rsa-sha256"
            }
        }
    }

    public var domain: String
    public var selector: String
    public var key: Key
    /// The headers signed when present, in this order.
    public var headers = ["from", "to", "subject", "date", "message-id", "reply-to", "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type"]

    public init(domain: String, selector: String, key: Key) {
        self.domain = domain
        self.selector = selector
        self.key = key
    }

    /// The message with a DKIM-Signature header in front. `message` is CRLF-ended headers, an
    /// empty line, and the body.
    public func sign(_ message: String, at time: Timestamp) throws -> String {
        let (headerBlock, body) = Self.split(message)
        let fields = Self.headerFields(headerBlock)
        let bodyHash = Base64.encode(Array(SHA256.hash(data: Self.relaxedBody(bytes: Array(body.utf8)))))
        // Each signed name once, taking the last occurrence (RFC 6376 §5.4.2).
        let present = headers.filter { name in fields.contains { $0.name.lowercased() == name } }
        var value = "v=1; a=\(key.algorithm); c=relaxed/relaxed; d=\(domain); s=\(selector); t=\(time.millisecondsSinceEpoch / 1000); "
        value += "h=\(present.joined(separator: ":")); bh=\(bodyHash); b="
        var data = ""
        for name in present {
            guard let field = fields.last(where: { $0.name.lowercased() == name }) else { continue }
            data += Self.relaxedHeader(name: field.name, value: field.value) + "\r\n"
        }
        // The header is signed as it will appear, folded, with an empty b= (RFC 6376 §3.7).
        let unsigned = Self.foldSignature("DKIM-Signature: " + value)
        data += Self.relaxedHeader(name: "DKIM-Signature", value: String(unsigned.dropFirst("DKIM-Signature:".count)))
        let signature: [UInt8]
        switch key {
        case .ed25519(let privateKey):
            // RFC 8463: Ed25519 over the SHA-256 of the canonical data.
            signature = Array(try privateKey.signature(for: Array(SHA256.hash(data: Array(data.utf8)))))
        case .rsa(let privateKey):
            signature = Array(try privateKey.signature(for: SHA256.hash(data: Array(data.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
        // b= and its surrounding white space are left out when verifying, so it may fold freely.
        let encoded = Array(Base64.encode(signature).utf8)
        let chunks = stride(from: 0, to: encoded.count, by: 72).map { String(decoding: encoded[$0..<min($0 + 72, encoded.count)], as: UTF8.self) }
        return unsigned + "\r\n " + chunks.joined(separator: "\r\n ") + "\r\n" + message
    }

    static func split(_ message: String) -> (headers: String, body: Substring) {
        let bytes = message.utf8
        var previous: (UInt8, UInt8, UInt8) = (0, 0, 0)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if previous == (13, 10, 13), byte == 10 {
                let bodyStart = bytes.index(after: index)
                let headerEnd = bytes.index(index, offsetBy: -3)
                return (String(message[..<headerEnd]), message[bodyStart...])
            }
            previous = (previous.1, previous.2, byte)
            index = bytes.index(after: index)
        }
        return (message, "")
    }

    /// Header fields with their continuation lines joined back (the CRLFs kept for unfolding later).
    static func headerFields(_ block: String) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        for line in block.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), !fields.isEmpty {
                fields[fields.count - 1].value += "\r\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                fields.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        return fields
    }

    /// Relaxed header canonicalization: lowercase name, unfolded value, runs of white space as
    /// one space, none around the colon or at the end.
    static func relaxedHeader(name: String, value: String) -> String {
        let unfolded = value.replacingAll("\r\n", with: "")
        return name.lowercased().trimmed + ":" + collapse(unfolded).trimmed
    }

    /// Relaxed body canonicalization: white space runs as one space, none at line ends, no empty
    /// lines at the end, and a final CRLF when the body is not empty.
    static func relaxedBody(_ body: String) -> String {
        String(decoding: relaxedBody(bytes: Array(body.utf8)), as: UTF8.self)
    }

    static func relaxedBody(bytes body: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(body.count)
        var lineStart = 0
        var pendingSpace = false
        var index = 0
        while index < body.count {
            let byte = body[index]
            if byte == 13, index + 1 < body.count, body[index + 1] == 10 {
                // End of line: trailing white space dropped.
                output.append(13)
                output.append(10)
                pendingSpace = false
                index += 2
                lineStart = output.count
                continue
            }
            if byte == 32 || byte == 9 {
                pendingSpace = true
            } else {
                if pendingSpace { output.append(32) }
                pendingSpace = false
                output.append(byte)
            }
            index += 1
        }
        // A last line without CRLF still ends with one.
        if output.count > lineStart { output += [13, 10] }
        // No empty lines at the end.
        while output.count >= 4, output[output.count - 4] == 13, output[output.count - 3] == 10, output[output.count - 2] == 13, output[output.count - 1] == 10 {
            output.removeLast(2)
        }
        if output == [13, 10] { return [] }
        return output
    }

    static func collapse(_ text: String) -> String {
        var result = ""
        var inSpace = false
        for character in text {
            if character == " " || character == "\t" {
                if !inSpace { result.append(" ") }
                inSpace = true
            } else {
                result.append(character)
                inSpace = false
            }
        }
        return result
    }

    /// Folds the signature header at the spaces between tags, after the colons of `h=` (where
    /// RFC 6376 allows white space) and inside the base64 of `bh=`; never inside a header name.
    static func foldSignature(_ line: String) -> String {
        // Atoms and whether a space separates them from the previous one.
        var atoms: [(text: String, spaced: Bool)] = []
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            var pieces: [String]
            if word.hasPrefix("h="), word.utf8.count > 60 {
                pieces = []
                var current = ""
                for character in word {
                    current.append(character)
                    if character == ":" {
                        pieces.append(current)
                        current = ""
                    }
                }
                if !current.isEmpty { pieces.append(current) }
            } else if word.hasPrefix("bh="), word.utf8.count > 60 {
                let bytes = Array(word.utf8)
                pieces = stride(from: 0, to: bytes.count, by: 40).map { String(decoding: bytes[$0..<min($0 + 40, bytes.count)], as: UTF8.self) }
            } else {
                pieces = [String(word)]
            }
            for (index, piece) in pieces.enumerated() { atoms.append((piece, index == 0)) }
        }
        var lines: [String] = []
        var current = ""
        for atom in atoms {
            let joined = current.isEmpty ? atom.text : current + (atom.spaced ? " " : "") + atom.text
            if !current.isEmpty, joined.utf8.count > 76 {
                lines.append(current)
                current = " " + atom.text
            } else {
                current = joined
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }
}

public enum DKIMError: Error, CustomStringConvertible {
    case badKey(String)

    public var description: String {
        switch self {
        case .badKey(let what): "DKIM key: \(what)"
        }
    }
}
