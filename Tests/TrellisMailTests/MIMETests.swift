import Foundation
import Testing
import TrellisCore
@testable import TrellisMail

@Suite struct MIMETests {
    func decodeWord(_ word: String) -> String? {
        guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="), let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        for line in text.components(separatedBy: "\r\n") {
            var chars = Array(line.utf8)
            let soft = chars.last == UInt8(ascii: "=")
            if soft { chars.removeLast() }
            var position = 0
            while position < chars.count {
                if chars[position] == UInt8(ascii: "="), position + 2 < chars.count, let value = UInt8(String(decoding: chars[(position + 1)...(position + 2)], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                    position += 3
                } else {
                    bytes.append(chars[position])
                    position += 1
                }
            }
            if !soft { bytes += [0x0A] }
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func encodedWordsOnlyWhenNeededAndNeverSplitACharacter() {
        #expect(EncodedWord.encode("Your CRM migration guide") == "Your CRM migration guide")
        let name = "Zoë Müller"
        let encoded = EncodedWord.encode(name)
        #expect(encoded.hasPrefix("=?UTF-8?B?") && decodeWord(encoded) == name)
        let long = String(repeating: "Überprüfung der Migration – ", count: 6)
        let words = EncodedWord.encode(long).components(separatedBy: "\r\n ")
        #expect(words.count > 1 && words.allSatisfy { $0.utf8.count <= 75 })
        #expect(words.map { decodeWord($0) ?? "✗" }.joined() == long)
    }

    @Test func quotedPrintableKeepsLinesShortAndRoundTrips() {
        #expect(QuotedPrintable.encode("café = 5€") == "caf=C3=A9 =3D 5=E2=82=AC")
        #expect(QuotedPrintable.encode("trailing space \nnext") == "trailing space=20\r\nnext")
        let long = String(repeating: "Lead nurturing without the guesswork. ", count: 12) + "Ünïcödé"
        let encoded = QuotedPrintable.encode(long + "\nsecond line")
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        #expect(decodeQuotedPrintable(encoded) == long + "\nsecond line")
    }

    @Test func addressesQuoteSpecialsAndEncodeNonASCII() {
        #expect(MailAddress(name: "Acme, Inc.", address: "hello@acme.example").description == "\"Acme, Inc.\" <hello@acme.example>")
        #expect(MailAddress(name: "Acme", address: "hello@acme.example").description == "Acme <hello@acme.example>")
        #expect(MailAddress(name: "Zoë", address: "zoe@example.com").description.hasPrefix("=?UTF-8?B?"))
        #expect(MailAddress(parsing: "Acme <hello@acme.example>") == MailAddress(name: "Acme", address: "hello@acme.example"))
        #expect(MailAddress(parsing: "\"Acme, Inc.\" <hello@acme.example>")?.name == "Acme, Inc.")
        #expect(MailAddress(parsing: "not an address") == nil)
        #expect(MailAddress(address: "a@acme.example").domain == "acme.example")
    }

    @Test func datesAreRFC5322InUTC() {
        #expect(RFC5322Date.format(ISO8601.parse("2026-11-23T18:34:05.123Z")!) == "Mon, 23 Nov 2026 18:34:05 +0000")
        #expect(RFC5322Date.format(ISO8601.parse("2026-01-01T00:00:00Z")!) == "Thu, 1 Jan 2026 00:00:00 +0000")
    }

    @Test func aMessageIsWellFormed() {
        let recipients = (1...8).map { MailAddress(name: "Recipient \($0)", address: "person\($0)@example.com") }
        let message = MailMessage(
            from: MailAddress(name: "Acme", address: "hello@acme.example"), replyTo: MailAddress(address: "sales@acme.example"), to: recipients,
            subject: "Ihr Leitfaden zur CRM-Migration – jetzt lesen", date: ISO8601.parse("2026-11-23T18:34:05Z")!, messageID: "<m1@acme.example>",
            headers: [("List-Unsubscribe", "<https://nurture.acme.example/u/abc>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")],
            text: "Hello Zoë,\nhere is the guide.", html: "<p>Hello Zoë,</p><p>here is <b>the guide</b>.</p>")
        let rendered = message.render(boundary: "trellis-b1")
        let lines = rendered.components(separatedBy: "\r\n")
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        #expect(lines.contains("Date: Mon, 23 Nov 2026 18:34:05 +0000"))
        #expect(lines.contains("Reply-To: sales@acme.example") && lines.contains("Message-ID: <m1@acme.example>"))
        #expect(lines.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        #expect(lines.first { $0.hasPrefix("Subject: ") }?.hasPrefix("Subject: =?UTF-8?B?") == true)
        // The To header folds: no header line over 78 characters.
        let headerLines = lines.prefix { !$0.isEmpty }
        #expect(headerLines.filter { !$0.contains("=?UTF-8?B?") }.allSatisfy { $0.utf8.count <= 78 })
        #expect(headerLines.contains { $0.hasPrefix(" ") })
        #expect(rendered.contains("Content-Type: multipart/alternative; boundary=\"trellis-b1\""))
        #expect(lines.filter { $0 == "--trellis-b1" }.count == 2 && lines.contains("--trellis-b1--"))
        #expect(rendered.contains("Hello Zo=C3=AB,"))
    }
}
