import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisMail
@testable import TrellisServer
import TrellisStore

/// Records what the mail service hands over, answering with a scripted reply. The SMTP path
/// itself is exercised against real servers in Tests/Interop (aiosmtpd, Postfix's smtp-sink).
actor RecordingTransport: MailTransport {
    var envelopes: [SMTPSession.Envelope] = []
    var failures: [SMTPFailure] = []
    /// The Message-ID of every attempt, failed or not.
    var attemptedMessageIds: [String] = []

    /// Runs once, inside the next delivery, before it is answered (the send is in flight).
    var duringNext: (@Sendable () async -> Void)?

    func failNext(_ failure: SMTPFailure) { failures.append(failure) }
    func whileDeliveringNext(_ action: @escaping @Sendable () async -> Void) { duringNext = action }

    func deliver(_ envelope: SMTPSession.Envelope) async -> Result<SMTPReply, SMTPFailure> {
        attemptedMessageIds.append(envelope.header("Message-ID") ?? "")
        if let action = duringNext {
            duringNext = nil
            await action()
        }
        if !failures.isEmpty { return .failure(failures.removeFirst()) }
        envelopes.append(envelope)
        return .success(SMTPReply(code: 250, lines: ["2.0.0 Ok: queued as \(envelopes.count)"]))
    }
}

/// A server with the example content library, a sender, and a recording transport.
struct MailFixture {
    static let content = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/content").standardized.path
    let server: ServerFixture
    let transport = RecordingTransport()
    let setup: MailSetup

    init(
        postalAddress: String? = "Acme Inc., 1 Main St, Springfield, IL 62701, USA", caps: [SendCategory: FrequencyCap] = [:], quietHours: QuietHours? = nil,
        visitorDomains: [String] = []
    ) async throws {
        server = try await ServerFixture()
        var config = TrellisConfig()
        config.content = Self.content
        config.baseURL = "https://nurture.acme.example"
        config.sender = .init(from: MailAddress(name: "Acme", address: "hello@acme.example"), postalAddress: postalAddress)
        config.caps = caps
        config.quietHours = quietHours
        config.tracking.visitorDomains = visitorDomains
        setup = try await MailSetup.make(config: config, store: server.store, defaultBaseURL: "http://unused", configFile: nil)
        await server.services.mail.configure(setup, transport: transport)
    }

    var store: any Store { server.store }
    var clock: ManualClock { server.clock }

    /// A consented contact (form checkbox), optionally in a time zone.
    @discardableResult
    func lead(_ userId: String, email: String, firstName: String = "Ada", timezone: String? = nil, consent: Bool = true) async throws -> Int64 {
        var traits: [String: JSONValue] = ["email": .string(email), "first_name": .string(firstName)]
        if let timezone { traits["timezone"] = .string(timezone) }
        let record = consent ? ConsentRecord(status: .granted, basis: .express, method: .formCheckbox, text: "Send me updates", recordedAt: clock.now()) : nil
        let message = IngestMessage(TrackingMessage(type: .identify, messageId: "id-\(userId)", userId: userId, traits: traits), consent: record)
        let outcome = try await store.ingest([IngestBatch(source: "forms", receivedAt: clock.now(), messages: [message])])
        return try #require(outcome.first?.contactIds.first ?? nil)
    }

    func send(_ template: String, to contactId: Int64, key: String) async throws -> EmailSend {
        try await store.queueSend(NewEmailSend(key: key, contactId: contactId, template: template, kind: .marketing, at: clock.now()))
    }

    func drain() async throws -> [String: Int] { try await server.services.mail.drain().outcomes }

    func sent() async -> [SMTPSession.Envelope] { await transport.envelopes }

    func timeline(_ contactId: Int64) async throws -> [String] {
        try await store.timeline(contactId: contactId, before: nil, limit: 100).compactMap(\.name)
    }
}

extension SMTPSession.Envelope {
    /// Header value, unfolded.
    func header(_ name: String) -> String? {
        let head = data.components(separatedBy: "\r\n\r\n").first ?? ""
        let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
        return unfolded.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    /// The decoded text of the whole body (quoted-printable undone).
    var decodedBody: String { QuotedPrintable.decode(data.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")) }

    /// The path (after the host) of the first link of the body that starts with `prefix`.
    func link(_ prefix: String) -> String? {
        guard let start = decodedBody.range(of: "https://nurture.acme.example" + prefix) else { return nil }
        let rest = decodedBody[start.lowerBound...]
        let url = rest.prefix { !"\"<> \r\n)".contains($0) }
        return String(url.dropFirst("https://nurture.acme.example".count))
    }
}

@Suite struct MailTests {
    @Test func aWorkflowSendGoesOutWithOneClickHeadersAndTrackedLinks() async throws {
        let mail = try await MailFixture()
        let id = try await mail.lead("u1", email: "ada@example.com")
        _ = try await mail.send("ebook-thank-you", to: id, key: "k1")
        #expect(try await mail.drain() == ["sent": 1])
        let envelope = try #require(await mail.sent().first)
        #expect(envelope.from == "hello@acme.example" && envelope.recipients == ["ada@example.com"])
        #expect(envelope.header("Subject") == "Ada, here is your CRM migration guide")
        #expect(envelope.header("To") == "Ada <ada@example.com>")
        let listUnsubscribe = try #require(envelope.header("List-Unsubscribe"))
        #expect(listUnsubscribe.hasPrefix("<https://nurture.acme.example/u/") && listUnsubscribe.contains(">, <mailto:unsubscribe@acme.example?subject=unsubscribe-"))
        #expect(envelope.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
        // The body shows the unsubscribe link and the postal address; web links are tracked.
        let body = envelope.decodedBody
        #expect(body.contains("Acme Inc., 1 Main St, Springfield, IL 62701, USA"))
        #expect(envelope.link("/u/") != nil)
        #expect(envelope.link("/t/c/") != nil && envelope.link("/t/o/") != nil)
        #expect(!body.contains("href=\"https://acme.example/guides/crm-migration\""))
        let sends = try await mail.store.emailSends(contactId: id, limit: 10)
        #expect(sends.first?.status == .sent && sends.first?.messageId == envelope.header("Message-ID"))
        #expect(try await mail.timeline(id).contains("Email Sent"))
        // Deleting the contact deletes its emails too.
        #expect(try await mail.store.deleteContact(id: id))
        #expect(try await mail.store.emailSends(contactId: id, limit: 10).isEmpty)
    }

    @Test func oneClickPostUnsubscribesAndAGetDoesNot() async throws {
        let mail = try await MailFixture()
        let id = try await mail.lead("u1", email: "ada@example.com")
        _ = try await mail.send("ebook-thank-you", to: id, key: "k1")
        _ = try await mail.drain()
        let envelope = try #require(await mail.sent().first)
        let header = try #require(envelope.header("List-Unsubscribe"))
        let path = String(header.dropFirst("<https://nurture.acme.example".count).prefix { $0 != ">" })
        try await mail.server.app.test(.router) { client in
            // A scanner's GET shows the preference center and changes nothing.
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.text.contains("Unsubscribe from all") && response.body.text.contains("ad•@example.com"))
            }
            #expect(try await mail.store.contact(id: id)?.consent.email?.status == .granted)
            // A POST without the RFC 8058 body is refused, naming it.
            try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "x=1")) {
                #expect($0.status == .badRequest && $0.body.json["error"]?["field"] == "List-Unsubscribe")
            }
            // The one-click POST, as Gmail sends it: no cookie, no login, 200 and no redirect. Its
            // X-Forwarded-For comes from no trusted proxy, so the evidence does not believe it.
            try await client.execute(
                uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .init("X-Forwarded-For")!: "198.51.100.9"],
                body: ByteBuffer(string: "List-Unsubscribe=One-Click")
            ) { response in
                #expect(response.status == .ok && response.headers[.location] == nil)
            }
            // Multipart works too, and a second one is harmless.
            let multipart = "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n"
            try await client.execute(
                uri: path, method: .post, headers: [.contentType: "multipart/form-data; boundary=b"], body: ByteBuffer(string: multipart)
            ) { #expect($0.status == .ok) }
            // An edited token unsubscribes nobody.
            var edited = Array(path)
            edited[5] = edited[5] == "A" ? "B" : "A"
            try await client.execute(
                uri: String(edited), method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "List-Unsubscribe=One-Click")
            ) { #expect($0.status == .badRequest && $0.body.json["error"]?["code"] == "invalid_link") }
        }
        let contact = try #require(try await mail.store.contact(id: id))
        #expect(contact.consent.email?.status == .withdrawn)
        #expect(try await mail.store.suppression(email: "ADA@example.com")?.reason == .unsubscribed)
        #expect(try await mail.timeline(id).filter { $0 == "Unsubscribed" }.count == 1)
        let evidence = try await mail.store.consentRecords(contactId: id).last
        #expect(evidence?.status == .withdrawn && evidence?.method == .unsubscribe)
        #expect(evidence?.ipAddress != "198.51.100.9")
    }

    @Test func thePreferenceCenterTurnsTopicsOffAndSetsFrequency() async throws {
        let mail = try await MailFixture()
        let id = try await mail.lead("u1", email: "ada@example.com")
        _ = try await mail.send("ebook-thank-you", to: id, key: "k1")
        _ = try await mail.drain()
        let envelope = try #require(await mail.sent().first)
        let path = try #require(envelope.link("/u/"))
        try await mail.server.app.test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.body.text.contains(#"name="topic_migration" value="on" checked"#))
            }
            // Everything but migration kept, at most weekly.
            let keep = ["evaluation", "onboarding", "pricing", "product", "proof", "sales", "security"].map { "topic_\($0)=on" }.joined(separator: "&")
            try await client.execute(
                uri: path + "/preferences", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "action=save&frequency=weekly&" + keep)
            ) { #expect($0.status == .ok && $0.body.text.contains("Your choices are saved")) }
            try await client.execute(
                uri: path + "/preferences", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "frequency=hourly")
            ) { #expect($0.status == .badRequest && $0.body.json["error"]?["field"] == "frequency") }
        }
        let preferences = EmailPreferences(traits: try #require(try await mail.store.contact(id: id)).traits)
        #expect(preferences.topicsOff == ["migration"] && preferences.frequency == .weekly)
        #expect(try await mail.store.contact(id: id)?.consent.email?.status == .granted)
        _ = try await mail.send("migration-pitfalls", to: id, key: "k2")  // topic migration: skipped
        _ = try await mail.send("demo-offer", to: id, key: "k3")  // pricing: weekly, so deferred
        #expect(try await mail.drain() == ["skipped": 1, "deferred": 1])
    }

    @Test func unsubscribingAfterASendWasScheduledStopsIt() async throws {
        let mail = try await MailFixture()
        let id = try await mail.lead("u1", email: "ada@example.com")
        try await mail.server.app.test(.router) { client in
            var yaml = mail.server.bearer(.marketer)
            yaml[.contentType] = "application/yaml"
            let workflow = "workflow: guide\ntrigger: { event: Ebook Downloaded }\nsteps:\n  - send: { email: ebook-thank-you }\n  - wait: 3d\n  - send: { email: migration-pitfalls }\n"
            try await client.execute(uri: "/api/v1/workflows?publish=true", method: .post, headers: yaml, body: ByteBuffer(string: workflow)) {
                #expect($0.status == .created)
            }
            let batch = #"{"batch":[{"type":"track","messageId":"m1","userId":"u1","event":"Ebook Downloaded"}]}"#
            try await client.execute(uri: "/v1/batch", method: .post, headers: mail.server.basic(), body: ByteBuffer(string: batch)) { #expect($0.status == .ok) }
        }
        try await mail.server.services.workflows.drain()
        #expect(try await mail.drain() == ["sent": 1])
        // The second email is scheduled (the run waits 3 days); the lead unsubscribes meanwhile.
        let evidence = ConsentRecord(status: .withdrawn, basis: .express, method: .unsubscribe, recordedAt: mail.clock.now())
        #expect(try await mail.store.unsubscribe(contactId: id, sendId: nil, evidence: evidence, at: mail.clock.now()))
        mail.clock.advance(days: 3)
        #expect(try await mail.server.services.workflows.drain().sends == 1)
        #expect(try await mail.drain() == ["skipped": 1])
        #expect(await mail.sent().count == 1)
        let skipped = try await mail.store.emailSends(contactId: id, limit: 10).first
        #expect(skipped?.template == "migration-pitfalls" && skipped?.status == .skipped)
        #expect(skipped?.lastError == "ada@example.com is suppressed: unsubscribed")
        #expect(try await mail.timeline(id).contains("Email Skipped"))
    }

    @Test func capsAndQuietHoursDeferAndNeverDrop() async throws {
        // 2026-03-02T09:00Z is 18:00 in Tokyo; quiet from 20:00 to 08:00.
        let mail = try await MailFixture(
            caps: [.marketingEmail: FrequencyCap(max: 1, per: .days(7))], quietHours: QuietHours(start: "20:00", end: "08:00"))
        let id = try await mail.lead("u1", email: "ada@example.com", timezone: "Asia/Tokyo")
        _ = try await mail.send("ebook-thank-you", to: id, key: "k1")
        _ = try await mail.send("migration-pitfalls", to: id, key: "k2")
        #expect(try await mail.drain() == ["sent": 1, "deferred": 1])
        let deferred = try #require(try await mail.store.emailSends(contactId: id, limit: 10).first { $0.status == .deferred })
        // Seven days after the first send (18:00 Tokyo again, outside quiet hours).
        #expect(deferred.nextAttemptAt == mail.clock.now().adding(days: 7).adding(milliseconds: 1))
        #expect(deferred.lastError == "frequency cap: 1 marketing_email per 7d")
        mail.clock.advance(days: 6)
        #expect(try await mail.drain() == [:])
        mail.clock.advance(days: 1)
        mail.clock.advance(milliseconds: 1)
        #expect(try await mail.drain() == ["sent": 1])
        #expect(await mail.sent().count == 2)

        // Quiet hours: 12:00Z is 21:00 in Tokyo, so the send waits for 08:00 there (23:00Z).
        let night = try await mail.lead("u2", email: "bo@example.com", firstName: "Bo", timezone: "Asia/Tokyo")
        mail.clock.advance(milliseconds: 3 * 3_600_000)
        _ = try await mail.send("ebook-thank-you", to: night, key: "k3")
        #expect(try await mail.drain() == ["deferred": 1])
        let waiting = try #require(try await mail.store.emailSends(contactId: night, limit: 1).first)
        #expect(waiting.nextAttemptAt.iso8601.hasSuffix("T23:00:00.000Z"))
        #expect(waiting.lastError == "quiet hours 20:00–08:00 in the contact's time zone")
        mail.clock.advance(milliseconds: 11 * 3_600_000)
        #expect(try await mail.drain() == ["sent": 1])
    }

    @Test func withoutAPostalAddressMarketingEmailIsRefusedAndSaysWhy() async throws {
        let mail = try await MailFixture(postalAddress: nil)
        let id = try await mail.lead("u1", email: "ada@example.com")
        _ = try await mail.send("ebook-thank-you", to: id, key: "k1")
        #expect(try await mail.drain() == ["refused": 1])
        #expect(await mail.sent().isEmpty)
        let send = try await mail.store.emailSends(contactId: id, limit: 1).first
        #expect(send?.status == .refused && send?.lastError?.contains("sender.postal_address") == true)
        #expect(try await mail.timeline(id).contains("Email Refused"))
    }

    @Test func clicksRedirectOnlyWhereTheSignatureSays() async throws {
        let mail = try await MailFixture()
        let id = try await mail.lead("u1", email: "ada@example.com")
        _ = try await mail.send("ebook-thank-you", to: id, key: "k1")
        _ = try await mail.drain()
        let envelope = try #require(await mail.sent().first)
        let click = try #require(envelope.link("/t/c/"))
        let open = try #require(envelope.link("/t/o/"))
        mail.clock.advance(milliseconds: 60_000)
        let browser: HTTPFields = [.userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"]
        try await mail.server.app.test(.router) { client in
            try await client.execute(uri: click, method: .get, headers: browser) { response in
                #expect(response.status == .found && response.headers[.location] == "https://acme.example/guides/crm-migration")
            }
            // One character changed: 400, and no Location header at all.
            var tampered = Array(click)
            let index = tampered.count - 3
            tampered[index] = tampered[index] == "x" ? "y" : "x"
            try await client.execute(uri: String(tampered), method: .get, headers: browser) { response in
                #expect(response.status == .badRequest && response.headers[.location] == nil)
                #expect(response.body.json["error"]?["code"] == "invalid_link")
            }
            // A person's browser asks for HTML and gets a page that says so, still without Location.
            var person = browser
            person[.accept] = "text/html,application/xhtml+xml,*/*;q=0.8"
            try await client.execute(uri: String(tampered), method: .get, headers: person) { response in
                #expect(response.status == .badRequest && response.headers[.location] == nil)
                #expect(String(buffer: response.body).contains("<h1>This link does not work</h1>"))
            }
            // A foreign target signed with another server's key.
            let foreign = LinkSigner(secrets: [Array("someone else's secret".utf8)])
                .sign(LinkPayload(purpose: .click, sendId: 1, contactId: id, target: "https://evil.example/"))
            try await client.execute(uri: "/t/c/\(foreign)", method: .get, headers: browser) { response in
                #expect(response.status == .badRequest && response.headers[.location] == nil)
            }
            // The open pixel: a GIF; a scanner's fetch is kept apart from engagement.
            try await client.execute(uri: open, method: .get, headers: browser) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "image/gif")
            }
            try await client.execute(uri: open, method: .get, headers: [.userAgent: "Barracuda Sentinel (EE)"]) { #expect($0.status == .ok) }
        }
        let timeline = try await mail.timeline(id)
        #expect(timeline.filter { $0 == "Email Clicked" }.count == 1)
        #expect(timeline.filter { $0 == "Email Opened" }.count == 1)
        #expect(timeline.contains("Email Open Prefetched"))
    }

    /// With the site listed in `tracking.visitor_domains`, a person's click takes their visitor id
    /// along (`ajs_aid`, which analytics.js adopts); a scanner's fetch and unlisted sites do not.
    @Test func aPersonsClickToAListedSiteCarriesTheirVisitorId() async throws {
        let mail = try await MailFixture(visitorDomains: ["acme.example"])
        let consent = ConsentRecord(status: .granted, basis: .express, method: .formCheckbox, text: "Send me updates", recordedAt: mail.clock.now())
        let identify = TrackingMessage(type: .identify, messageId: "id-v", userId: "u-v", anonymousId: "ajs-v1", traits: ["email": "vi@example.com"])
        let outcome = try await mail.store.ingest([IngestBatch(source: "web", receivedAt: mail.clock.now(), messages: [IngestMessage(identify, consent: consent)])])
        let id = try #require(outcome.first?.contactIds.first ?? nil)
        _ = try await mail.send("ebook-thank-you", to: id, key: "k1")
        _ = try await mail.drain()
        let click = try #require(await mail.sent().first?.link("/t/c/"))
        mail.clock.advance(milliseconds: 60_000)
        try await mail.server.app.test(.router) { client in
            try await client.execute(uri: click, method: .get, headers: [.userAgent: "Barracuda Sentinel (EE)"]) { response in
                #expect(response.headers[.location] == "https://acme.example/guides/crm-migration")
            }
            try await client.execute(uri: click, method: .get, headers: [.userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"]) { response in
                #expect(response.status == .found)
                #expect(response.headers[.location] == "https://acme.example/guides/crm-migration?ajs_aid=ajs-v1")
            }
        }
        #expect(LinksController.adding("ajs_aid", value: "a b&c", to: "https://acme.example/p?x=1#top") == "https://acme.example/p?x=1&ajs_aid=a%20b%26c#top")
        #expect(LinksController.adding("ajs_aid", value: "v", to: "https://acme.example/p?") == "https://acme.example/p?ajs_aid=v")
    }

    /// The source settings name `base_url` when it is configured, and never the listening address
    /// that stands in for it in mail links (`0.0.0.0` in a container): then the request's Host.
    @Test func sourceSettingsNameTheConfiguredBaseURLOnly() async throws {
        let mail = try await MailFixture()
        let writeKey = mail.server.keys[.write]!
        func apiHost() async throws -> (JSONValue?, JSONValue?) {
            try await mail.server.app.test(.router) { client in
                try await client.execute(uri: "/v1/projects/\(writeKey)/settings", method: .get) { response in
                    let segment = response.body.json["integrations"]?["Segment.io"]
                    return (segment?["apiHost"], segment?["protocol"])
                }
            }
        }
        #expect(try await apiHost() == ("nurture.acme.example/v1", "https"))
        var config = TrellisConfig()
        config.content = MailFixture.content
        let listening = try await MailSetup.make(config: config, store: mail.store, defaultBaseURL: "http://0.0.0.0:8080", configFile: nil)
        await mail.server.services.mail.configure(listening, transport: mail.transport)
        #expect(try await apiHost() == ("localhost/v1", "http"))
    }

    static func report(_ name: String, messageId: String?) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../TrellisMailTests/Fixtures/\(name)")
        var text = try String(contentsOf: url, encoding: .utf8)
        if let messageId {
            text = text.replacingOccurrences(of: "<s42.k9x@acme.example>", with: messageId).replacingOccurrences(of: "<s43.k9y@acme.example>", with: messageId)
        }
        return text
    }

    @Test func bouncesAndComplaintsSuppressAndReachTheTimeline() async throws {
        let mail = try await MailFixture()
        let nobody = try await mail.lead("u1", email: "nobody@example.com")
        let ada = try await mail.lead("u2", email: "ada@example.com")
        _ = try await mail.send("ebook-thank-you", to: nobody, key: "k1")
        _ = try await mail.send("ebook-thank-you", to: ada, key: "k2")
        _ = try await mail.drain()
        let messageIds = try await [nobody, ada].asyncMap { try await mail.store.emailSends(contactId: $0, limit: 1).first?.messageId }
        try await mail.server.app.test(.router) { client in
            let bounce = try Self.report("postfix-bounce.eml", messageId: messageIds[0])
            // Only admin keys may report: a forged bounce would silence someone.
            try await client.execute(uri: "/api/v1/inbound", method: .post, headers: mail.server.bearer(.write), body: ByteBuffer(string: bounce)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/inbound", method: .post, headers: mail.server.bearer(.admin), body: ByteBuffer(string: bounce)) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["kind"] == "bounce" && response.body.json["suppressed"] == ["nobody@example.com"])
            }
            let complaint = try Self.report("arf-complaint.eml", messageId: messageIds[1])
            try await client.execute(uri: "/api/v1/inbound", method: .post, headers: mail.server.bearer(.admin), body: ByteBuffer(string: complaint)) { response in
                #expect(response.body.json["kind"] == "complaint" && response.body.json["events"] == ["Spam Complaint", "Unsubscribed"])
            }
            try await client.execute(uri: "/api/v1/inbound", method: .post, headers: mail.server.bearer(.admin), body: ByteBuffer(string: "Subject: hello\r\n\r\nhi")) {
                #expect($0.status == .unprocessableContent && $0.body.json["error"]?["field"] == "body")
            }
            try await client.execute(uri: "/api/v1/suppressions", method: .get, headers: mail.server.bearer(.read)) { response in
                let reasons = response.body.json["items"]?.arrayValue?.compactMap { $0["reason"]?.stringValue }
                #expect(reasons == ["complaint", "hard_bounce"])
            }
            // Found by schemathesis: limit=0 crashed the server (a page of none "had" a next).
            for limit in ["0", "1001", "x"] {
                try await client.execute(uri: "/api/v1/suppressions?limit=\(limit)", method: .get, headers: mail.server.bearer(.read)) {
                    #expect($0.status == .badRequest && $0.body.json["error"]?["field"] == "limit")
                }
            }
            try await client.execute(uri: "/api/v1/suppressions?limit=1", method: .get, headers: mail.server.bearer(.read)) { response in
                #expect(response.body.json["items"]?.arrayValue?.count == 1 && response.body.json["next"]?.stringValue != nil)
            }
        }
        #expect(try await mail.timeline(nobody).contains("Email Bounced"))
        #expect(try await mail.timeline(ada).contains("Spam Complaint"))
        #expect(try await mail.store.contact(id: ada)?.consent.email?.status == .withdrawn)
        // Neither gets the next email.
        _ = try await mail.send("migration-pitfalls", to: nobody, key: "k3")
        _ = try await mail.send("migration-pitfalls", to: ada, key: "k4")
        #expect(try await mail.drain() == ["skipped": 2])
        #expect(try await mail.store.emailSends(contactId: nobody, limit: 1).first?.lastError == "nobody@example.com is suppressed: hard_bounce")
    }

    @Test func softBouncesSuppressAfterTheLimit() async throws {
        let mail = try await MailFixture()
        try await mail.lead("u1", email: "nobody@example.com")
        let soft = try Self.report("postfix-bounce.eml", messageId: nil).replacingOccurrences(of: "Action: failed\nStatus: 5.1.1", with: "Action: delayed\nStatus: 4.2.2")
        let processor = InboundProcessor(store: mail.store, clock: mail.clock, signer: mail.setup.signer, softBounceLimit: 3)
        for round in 1...3 {
            let outcome = try await processor.process(soft)
            #expect(outcome.suppressed == (round == 3 ? ["nobody@example.com"] : []))
        }
        #expect(try await mail.store.suppression(email: "nobody@example.com")?.reason == .softBounces)
    }

    @Test func temporaryFailuresRetryWithBackoffAndPermanentOnesFail() async throws {
        let mail = try await MailFixture()
        let id = try await mail.lead("u1", email: "ada@example.com")
        _ = try await mail.send("ebook-thank-you", to: id, key: "k1")
        await mail.transport.failNext(SMTPFailure(stage: "MAIL FROM", reply: SMTPReply(code: 451, lines: ["4.3.0 try later"]), transient: true, message: "451 4.3.0 try later"))
        #expect(try await mail.drain() == ["retry": 1])
        let waiting = try #require(try await mail.store.emailSends(contactId: id, limit: 1).first)
        #expect(waiting.status == .deferred && waiting.nextAttemptAt == mail.clock.now().adding(milliseconds: 60_000))
        #expect(try await mail.drain() == [:])
        mail.clock.advance(milliseconds: 60_000)
        #expect(try await mail.drain() == ["sent": 1])
        // Each try of a send carries the same Message-ID: a copy resent after a crash is the same message.
        let tries = await mail.transport.attemptedMessageIds
        #expect(tries.count == 2 && tries[0] == tries[1] && tries[0].hasPrefix("<t1.") && tries[0].hasSuffix("@acme.example>"))
        // A 5xx for the recipient is final and suppresses the address.
        let other = try await mail.lead("u2", email: "gone@example.com")
        _ = try await mail.send("ebook-thank-you", to: other, key: "k2")
        await mail.transport.failNext(SMTPFailure(stage: "RCPT TO <gone@example.com>", reply: SMTPReply(code: 550, lines: ["5.1.1 unknown"]), transient: false, message: "550 5.1.1 unknown"))
        #expect(try await mail.drain() == ["failed": 1])
        #expect(try await mail.store.suppression(email: "gone@example.com")?.reason == .hardBounce)
    }

    /// Under a sending rate limit the last claimed send waits its turn; the lease covers that wait,
    /// so no other worker claims a send this one still holds.
    @Test func theLeaseCoversTheRateLimitWait() async throws {
        #expect(MailService.leaseMilliseconds(smtpTimeoutSeconds: 60, perSecond: nil, claimed: 32) == 180_000)
        #expect(MailService.leaseMilliseconds(smtpTimeoutSeconds: 5, perSecond: nil, claimed: 32) == 30_000)
        // 4 connections → 8 lanes → 16 claimed; at 0.05 a second the last waits 320 s.
        #expect(MailService.leaseMilliseconds(smtpTimeoutSeconds: 60, perSecond: 0.05, claimed: 16) == 500_000)
    }

    @Test func previewShowsTheEmailAndWhatTheGuardRailsWouldDo() async throws {
        let mail = try await MailFixture()
        let id = try await mail.lead("u1", email: "ada@example.com", firstName: "<b>Ada</b>")
        try await mail.server.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/content?stage=decision", method: .get, headers: mail.server.bearer(.read)) { response in
                let names = response.body.json["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                #expect(names.contains("demo-offer") && !names.contains("ebook-thank-you"))
            }
            try await client.execute(
                uri: "/api/v1/content/demo-offer/preview", method: .post, headers: mail.server.bearer(.read, json: true),
                body: ByteBuffer(string: #"{"contactId": \#(id)}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["subject"] == "<b>Ada</b>, want a walkthrough of the plans?")
                #expect(response.body.json["html"]?.stringValue?.contains("Hi &lt;b&gt;Ada&lt;/b&gt;,") == true)
                #expect(response.body.json["guardRails"]?["decision"] == "send")
            }
            try await client.execute(
                uri: "/api/v1/content/nope/preview", method: .post, headers: mail.server.bearer(.read, json: true), body: ByteBuffer(string: #"{"contactId": 1}"#)
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/api/v1/content/demo-offer/preview", method: .post, headers: mail.server.bearer(.read, json: true), body: ByteBuffer(string: #"{"contactId": "x"}"#)
            ) { #expect($0.status == .badRequest && $0.body.json["error"]?["field"] == "contactId") }
            // A test send: to a colleague, marked, untracked; a read key may not send.
            try await client.execute(
                uri: "/api/v1/content/demo-offer/test-send", method: .post, headers: mail.server.bearer(.read, json: true),
                body: ByteBuffer(string: #"{"contactId": \#(id), "to": "me@acme.example"}"#)
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/api/v1/content/demo-offer/test-send", method: .post, headers: mail.server.bearer(.marketer, json: true),
                body: ByteBuffer(string: #"{"contactId": \#(id), "to": "me@acme.example"}"#)
            ) { #expect($0.status == .accepted) }
        }
        #expect(try await mail.drain() == ["sent": 1])
        let test = try #require(await mail.sent().first)
        #expect(test.recipients == ["me@acme.example"] && test.header("Subject")?.hasPrefix("[Test] ") == true)
        #expect(test.link("/t/c/") == nil)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
