import Crypto
import CryptoExtras
import Foundation
import Testing
import TrellisCore
@testable import TrellisMail

@Suite struct DKIMTests {
    @Test func relaxedCanonicalizationMatchesRFC6376Examples() {
        // RFC 6376 §3.4.5.
        #expect(DKIMSigner.relaxedHeader(name: "A", value: " X") == "a:X")
        #expect(DKIMSigner.relaxedHeader(name: "B ", value: " Y\t\r\n\tZ  ") == "b:Y Z")
        #expect(DKIMSigner.relaxedBody(" C \r\nD \t E\r\n\r\n\r\n") == " C\r\nD E\r\n")
        #expect(DKIMSigner.relaxedBody("") == "")
        #expect(DKIMSigner.relaxedBody("\r\n\r\n") == "" && DKIMSigner.relaxedBody("abc") == "abc\r\n" && DKIMSigner.relaxedBody("a  \r\n\r\nb\t") == "a\r\n\r\nb\r\n")
    }

    func message() -> String {
        MailMessage(
            from: MailAddress(name: "Acme", address: "hello@acme.example"), to: [MailAddress(address: "ada@example.com")], subject: "Your guide",
            date: ISO8601.parse("2026-11-23T18:34:05Z")!, messageID: "<m1@acme.example>",
            headers: [("List-Unsubscribe", "<https://nurture.acme.example/u/abc>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")],
            text: "Hello Ada,\nhere is the guide.", html: "<p>Hello Ada</p>"
        ).render(boundary: "b1")
    }

    /// The signed data rebuilt from the signed message, and the signature, as a verifier does.
    func verificationInput(_ signed: String) throws -> (data: [UInt8], signature: [UInt8], tags: [String: String]) {
        let (block, body) = DKIMSigner.split(signed)
        let fields = DKIMSigner.headerFields(block)
        let signatureField = try #require(fields.first { $0.name == "DKIM-Signature" })
        let unfolded = signatureField.value.replacingOccurrences(of: "\r\n", with: "")
        var tags: [String: String] = [:]
        for tag in unfolded.split(separator: ";") {
            let parts = tag.split(separator: "=", maxSplits: 1).map { $0.filter { !$0.isWhitespace } }
            if parts.count == 2 { tags[String(parts[0])] = String(parts[1]) }
        }
        #expect(tags["bh"] == Base64.encode(Array(SHA256.hash(data: Array(DKIMSigner.relaxedBody(String(body)).utf8)))))
        var data = ""
        for name in (tags["h"] ?? "").split(separator: ":") {
            let field = try #require(fields.last { $0.name.lowercased() == name })
            data += DKIMSigner.relaxedHeader(name: field.name, value: field.value) + "\r\n"
        }
        let value = signatureField.value
        let emptied = String(value[..<value.range(of: "; b=", options: .backwards)!.upperBound])
        data += DKIMSigner.relaxedHeader(name: "DKIM-Signature", value: emptied)
        return (Array(data.utf8), try #require(Base64.decode(tags["b"] ?? "")), tags)
    }

    @Test func ed25519SignaturesVerifyAndCoverTheUnsubscribeHeaders() throws {
        let key = Curve25519.Signing.PrivateKey()
        let signed = try DKIMSigner(domain: "acme.example", selector: "e1", key: .ed25519(key)).sign(message(), at: ISO8601.parse("2026-11-23T18:34:05Z")!)
        #expect(signed.hasPrefix("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=acme.example;"))
        // Folding never splits a header name inside h=.
        let unfolded = signed.components(separatedBy: "\r\n").prefix(6).joined()
        #expect(unfolded.contains("list-unsubscribe-post:") && unfolded.replacingOccurrences(of: " ", with: "").contains(":mime-version:content-type;"))
        #expect(signed.components(separatedBy: "\r\n").prefix { !$0.isEmpty }.allSatisfy { $0.utf8.count <= 78 })
        let input = try verificationInput(signed)
        #expect(input.tags["h"] == "from:to:subject:date:message-id:list-unsubscribe:list-unsubscribe-post:mime-version:content-type")
        #expect(key.publicKey.isValidSignature(input.signature, for: Array(SHA256.hash(data: input.data))))
        // A changed subject no longer verifies.
        let tampered = signed.replacingOccurrences(of: "Subject: Your guide", with: "Subject: Your gift")
        let changed = try verificationInput(tampered)
        #expect(!key.publicKey.isValidSignature(changed.signature, for: Array(SHA256.hash(data: changed.data))))
    }

    @Test func rsaSignaturesVerify() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let signed = try DKIMSigner(domain: "acme.example", selector: "s1", key: .rsa(key)).sign(message(), at: ISO8601.parse("2026-11-23T18:34:05Z")!)
        let input = try verificationInput(signed)
        #expect(input.tags["a"] == "rsa-sha256")
        let signature = _RSA.Signing.RSASignature(rawRepresentation: input.signature)
        #expect(key.publicKey.isValidSignature(signature, for: SHA256.hash(data: input.data), padding: .insecurePKCS1v1_5))
    }

    @Test func keysLoadFromPEM() throws {
        // openssl genpkey -algorithm ed25519 (PKCS#8): the last 32 bytes are the seed.
        let seed = [UInt8](repeating: 7, count: 32)
        let der: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + seed
        let pem = "-----BEGIN PRIVATE KEY-----\n\(Base64.encode(der))\n-----END PRIVATE KEY-----\n"
        guard case .ed25519(let key) = try DKIMSigner.Key.ed25519(pem: pem) else { Issue.record("an Ed25519 key"); return }
        #expect(Array(key.rawRepresentation) == seed)
        #expect(throws: (any Error).self) { try DKIMSigner.Key.ed25519(pem: "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----") }
        #expect(Base64.decode(Base64.encode(Array("any bytes at all".utf8))) == Array("any bytes at all".utf8))
    }
}
