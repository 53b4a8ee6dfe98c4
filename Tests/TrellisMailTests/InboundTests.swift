import Foundation
import Testing
@testable import TrellisMail

@Suite struct InboundTests {
    static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func aPostfixBounceIsAHardBounceOfTheOriginalMessage() throws {
        let report = try DeliveryReport(parsing: try Self.fixture("postfix-bounce.eml"))
        guard case .bounce(let bounce) = report else {
            Issue.record("expected a bounce, got \(report)")
            return
        }
        #expect(bounce.originalMessageID == "<s42.k9x@acme.example>")
        #expect(bounce.reportingMTA == "mx.acme.example")
        let recipient = try #require(bounce.recipients.first)
        #expect(recipient.address == "nobody@example.com" && recipient.action == "failed" && recipient.status == "5.1.1")
        #expect(recipient.isHard && !recipient.isSoft)
        #expect(recipient.diagnostic?.contains("User unknown") == true)
    }

    @Test func aDelayOrA4xxIsSoft() throws {
        let delayed = try Self.fixture("postfix-bounce.eml").replacingOccurrences(of: "Action: failed\nStatus: 5.1.1", with: "Action: delayed\nStatus: 4.2.2")
        guard case .bounce(let bounce) = try DeliveryReport(parsing: delayed) else {
            Issue.record("expected a bounce")
            return
        }
        #expect(bounce.recipients.first?.isSoft == true && bounce.recipients.first?.isHard == false)
    }

    @Test func anARFReportIsAComplaintFromTheOriginalRecipient() throws {
        let report = try DeliveryReport(parsing: try Self.fixture("arf-complaint.eml"))
        #expect(
            report
                == .complaint(.init(feedbackType: "abuse", recipient: "ada@example.com", originalMessageID: "<s43.k9y@acme.example>", userAgent: "SomeGenerator/1.0")))
    }

    @Test func whatIsNotAReportIsRefusedWithTheReason() {
        #expect(throws: DeliveryReport.Invalid(description: "not a delivery report: Content-Type is text/plain, expected multipart/report")) {
            try DeliveryReport(parsing: "Content-Type: text/plain\r\n\r\nhello")
        }
        #expect(throws: DeliveryReport.Invalid.self) {
            try DeliveryReport(parsing: "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n")
        }
        #expect(throws: DeliveryReport.Invalid.self) { try DeliveryReport(parsing: "") }
    }

    @Test func signedLinksVerifyAndRefuseEditsAndForeignKeys() throws {
        let signer = LinkSigner(secrets: [Array("current-secret-32-bytes-long!!!!".utf8), Array("old-secret".utf8)])
        let payload = LinkPayload(purpose: .click, sendId: 42, contactId: 7, target: "https://acme.example/pricing?a=1|b")
        let token = signer.sign(payload)
        #expect(try signer.verify(token) == payload)
        #expect(!token.contains("/") && !token.contains("+") && !token.contains("="))
        // An edited payload (another target) fails, as does a token from another server.
        let forged = LinkSigner.base64URL(Array("c|42|7|https://evil.example/".utf8)) + "." + token.split(separator: ".")[1]
        #expect(throws: LinkSigner.Invalid.self) { try signer.verify(forged) }
        #expect(throws: LinkSigner.Invalid.self) { try LinkSigner(secrets: [Array("other".utf8)]).verify(token) }
        #expect(throws: LinkSigner.Invalid.self) { try signer.verify("garbage") }
        // Rotation: a link signed with the old secret still verifies.
        let old = LinkSigner(secrets: [Array("old-secret".utf8)]).sign(LinkPayload(purpose: .unsubscribe, sendId: 1, contactId: 2))
        #expect(try signer.verify(old).purpose == .unsubscribe)
    }

    @Test func trackedHTMLRewritesWebLinksOnlyAndAddsThePixel() {
        let html = #"<body><a href="https://acme.example/a?x=1&amp;y=2">A</a> <a href="mailto:hi@acme.example">mail</a> <a href="https://n.example/u/T">unsubscribe</a></body>"#
        let rewritten = TrackedHTML.rewrite(html, click: { $0.hasPrefix("https://n.example/") ? nil : "https://n.example/c/\($0.count)" }, pixel: "https://n.example/o/P")
        #expect(rewritten == #"<body><a href="https://n.example/c/30">A</a> <a href="mailto:hi@acme.example">mail</a> <a href="https://n.example/u/T">unsubscribe</a><img src="https://n.example/o/P" width="1" height="1" alt="" style="display:block;border:0"></body>"#)
    }
}
