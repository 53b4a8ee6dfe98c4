import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisServer
import TrellisStore

@Suite struct FormsTests {
    static let definition = #"""
        {"key":"ebook","title":"Get the guide","fields":[
          {"name":"email","label":"Work email","type":"email","required":true},
          {"name":"firstName","label":"First name","required":true,"hide_if_known":true},
          {"name":"company","label":"Company","progressive":true},
          {"name":"title","label":"Job title","progressive":true},
          {"name":"country","label":"Country","progressive":true}],
         "progressive_max":2, "event":"Ebook Downloaded",
         "consent":{"text":"Email me about CRM migration.","version":"2026-01"}}
        """#

    func create(_ fixture: ServerFixture, client: some TestClientProtocol) async throws {
        try await client.execute(uri: "/api/v1/forms", method: .post, headers: fixture.bearer(.marketer, json: true), body: ByteBuffer(string: Self.definition)) { response in
            #expect(response.status == .created, "\(response.body.text)")
            #expect(response.body.json["embed"]?["script"]?.stringValue?.contains("/f/ebook/embed.js") == true)
        }
    }

    let urlencoded: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .userAgent: "TestBrowser/1.0"]

    @Test func hostedFormCapturesALeadWithConsentEvidence() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await create(fixture, client: client)
            var cookie = ""
            try await client.execute(uri: "/f/ebook", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let html = response.body.text
                #expect(html.contains("name=\"email\""))
                #expect(html.contains("name=\"company\""))
                #expect(!html.contains("name=\"country\""))  // third progressive field waits
                #expect(html.contains("Email me about CRM migration."))
                cookie = String(response.headers[.setCookie]?.split(separator: ";").first ?? "")
            }
            #expect(cookie.hasPrefix("trellis_aid="))
            let body = "_fields=email,firstName,company,title&_submission=s1&email=ada%40acme.example&firstName=Ada&company=Acme+Corp&consent=on&hp_website="
            try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded.adding(.cookie, cookie), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                #expect(response.body.text.contains("Thank you!"))
            }
            // Progressive profiling: the returning visitor is asked what is still unknown.
            try await client.execute(uri: "/f/ebook", method: .get, headers: [.cookie: cookie]) { response in
                let html = response.body.text
                #expect(!html.contains("name=\"company\""))
                #expect(!html.contains("name=\"firstName\""))
                #expect(html.contains("name=\"title\""))
                #expect(html.contains("name=\"country\""))
            }
        }
        let contact = try #require(try await fixture.store.contacts(ContactQuery(email: "ada@acme.example")).first)
        #expect(contact.traits["company"] == "Acme Corp")
        #expect(contact.stage == .lead)
        let consent = try #require(try await fixture.store.consentRecords(contactId: contact.id).first)
        #expect(consent.text == "Email me about CRM migration.")
        #expect(consent.textVersion == "2026-01")
        #expect(consent.method == .formCheckbox)
        #expect(consent.userAgent == "TestBrowser/1.0")
        #expect(consent.recordedAt == fixture.clock.now())
        // The router test has no connection address: nothing is recorded rather than "unknown".
        #expect(consent.ipAddress == nil)
        let events = try await fixture.store.timeline(contactId: contact.id, before: nil, limit: 10)
        #expect(events.first { $0.name == "Form Submitted" }.map { $0.context["ip"] == nil } == true)
        #expect(events.contains { $0.name == "Form Submitted" && $0.properties["form"] == "ebook" })
        #expect(events.filter { $0.name == "Form Submitted" }.count == 1)
        #expect(events.filter { $0.name == "Ebook Downloaded" }.count == 1)
    }

    @Test func invalidFieldsAreShownBackAndNothingIsStored() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await create(fixture, client: client)
            let body = "_fields=email,firstName&email=not-an-email&firstName="
            try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unprocessableContent)
                let html = response.body.text
                #expect(html.contains("must be an email address"))
                #expect(html.contains("First name is required"))
                #expect(html.contains("value=\"not-an-email\""))
                #expect(html.contains("aria-invalid=\"true\""))
            }
            try await client.execute(uri: "/f/ebook", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"email":"x"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let error = response.body.json["error"]
                #expect(error?["code"] == "invalid_form")
                #expect(error?["fields"]?.arrayValue?.count == 2)
            }
            // Posted by the customer's own page from another origin: the same answer, readable there.
            let crossOrigin: HTTPFields = [.contentType: "application/json", HTTPField.Name("Origin")!: "https://www.acme.example"]
            try await client.execute(uri: "/f/ebook", method: .post, headers: crossOrigin, body: ByteBuffer(string: #"{"email":"x"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
                #expect(response.body.json["error"]?["fields"]?.arrayValue?.count == 2)
            }
        }
        #expect(try await fixture.store.eventCount() == 0)
    }

    /// The page's script puts the browser's zone in `_tz`; it becomes the lead's `timezone` trait
    /// (quiet hours follow it), unless the profile has one or the value is not a zone's name.
    @Test func theBrowsersTimeZoneBecomesTheLeadsWhenItHasNone() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await create(fixture, client: client)
            try await client.execute(uri: "/f/ebook", method: .get) { response in
                let html = response.body.text
                #expect(html.contains(#"<input type="hidden" id="f-tz" name="_tz" value="">"#))
                #expect(html.contains("Intl.DateTimeFormat().resolvedOptions().timeZone"))
            }
            let submissions = [
                "email=tz1%40acme.example&firstName=Ana&_tz=Europe%2FLisbon&_submission=s1",
                "email=tz2%40acme.example&firstName=Bo&_tz=%3Cscript%3E&_submission=s2",
            ]
            for body in submissions {
                try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok, "\(response.body.text)")
                }
            }
            // A failed submission's page keeps the zone the browser sent.
            try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded, body: ByteBuffer(string: "email=x&_tz=Asia%2FTokyo")) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.body.text.contains(#"name="_tz" value="Asia/Tokyo""#))
            }
        }
        #expect(try await fixture.store.contacts(ContactQuery(email: "tz1@acme.example")).first?.traits["timezone"] == "Europe/Lisbon")
        let second = try #require(try await fixture.store.contacts(ContactQuery(email: "tz2@acme.example")).first)
        #expect(second.traits["timezone"] == nil)
    }

    /// Embedded on a site that runs analytics.js, the form is a third-party frame whose own cookie
    /// the browser does not send; embed.js passes the page's visitor instead, so the lead is that
    /// visitor, with the pages they viewed before, and a returning one is not asked again.
    @Test func anEmbeddedFormJoinsTheEmbeddingPagesVisitor() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await create(fixture, client: client)
            let view = #"{"type":"page","anonymousId":"ajs-77","name":"Pricing","messageId":"p-1"}"#
            try await client.execute(uri: "/v1/page", method: .post, headers: fixture.basic(), body: ByteBuffer(string: view)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/f/ebook/embed.js", method: .get) { response in
                #expect(response.body.text.contains("ajs_anonymous_id"))
                #expect(response.body.text.contains("'&anonymousId=' + encodeURIComponent(id)"))
                #expect(response.body.text.contains("e.data.trellisFormHeight"), "the frame follows the page's height")
            }
            try await client.execute(uri: "/f/ebook?embed=1&anonymousId=ajs-77", method: .get) { response in
                #expect(response.body.text.contains(#"<input type="hidden" name="anonymousId" value="ajs-77">"#))
                #expect(response.body.text.contains("parent.postMessage({trellisFormHeight:"))
                #expect(response.headers[.setCookie] == nil)
                #expect(response.body.text.contains(#"name="firstName""#))
            }
            // Not an id (a space, a semicolon): no hidden field; the form's own visitor as before.
            try await client.execute(uri: "/f/ebook?embed=1&anonymousId=a%20b%3Bc", method: .get) { response in
                #expect(!response.body.text.contains(#"name="anonymousId""#))
                #expect(response.headers[.setCookie] != nil)
            }
            // The form's own cookie from an earlier visit does not split the person in two.
            var headers = urlencoded
            headers[.cookie] = "trellis_aid=a-earlier"
            let body = "email=ajs77%40acme.example&firstName=Ida&anonymousId=ajs-77&_submission=s-77"
            try await client.execute(uri: "/f/ebook?embed=1", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok, "\(response.body.text)")
            }
            try await client.execute(uri: "/f/ebook?embed=1&anonymousId=ajs-77", method: .get) { response in
                #expect(!response.body.text.contains(#"name="firstName""#), "a known first name is not asked again")
            }
        }
        let lead = try #require(try await fixture.store.contacts(ContactQuery(email: "ajs77@acme.example")).first)
        #expect(lead.anonymousIds == ["ajs-77"])
        let names = try await fixture.store.timeline(contactId: lead.id, before: nil, limit: 20).compactMap(\.name)
        #expect(names.contains("Pricing") && names.contains("Ebook Downloaded"))
    }

    @Test func jsonSubmissionAndDoubleSubmitStoreOnce() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await create(fixture, client: client)
            let body = #"{"email":"bo@acme.example","firstName":"Bo","submissionId":"sub-1"}"#
            for _ in 0..<2 {
                try await client.execute(uri: "/f/ebook", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.json["success"] == true)
                }
            }
        }
        let contact = try #require(try await fixture.store.contacts(ContactQuery(email: "bo@acme.example")).first)
        let submitted = try await fixture.store.timeline(contactId: contact.id, before: nil, limit: 20).filter { $0.name == "Form Submitted" }
        #expect(submitted.count == 1)
        #expect(try await fixture.store.consentRecords(contactId: contact.id).isEmpty)  // box not ticked: no consent claimed
    }

    @Test func honeypotAndRateLimit() async throws {
        let fixture = try await ServerFixture(rateLimits: PublicRateLimits(forms: RateLimit(burst: 3, perMinute: 1), tracking: nil, unsubscribe: nil))
        try await fixture.app.test(.router) { client in
            try await create(fixture, client: client)
            let bot = "email=bot%40spam.example&firstName=Bot&hp_website=http%3A%2F%2Fspam.example"
            try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded, body: ByteBuffer(string: bot)) { response in
                #expect(response.status == .ok)  // the bot learns nothing
            }
            let person = "email=p%40acme.example&firstName=P"
            for _ in 0..<2 {
                try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded, body: ByteBuffer(string: person)) { _ in }
            }
            try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded, body: ByteBuffer(string: person)) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] != nil)
                #expect(response.body.json["error"]?["code"] == "rate_limited")
            }
            fixture.clock.advance(milliseconds: 61_000)
            try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded, body: ByteBuffer(string: person)) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(try await fixture.store.contacts(ContactQuery(email: "bot@spam.example")).isEmpty)
    }

    /// Tracking and unsubscribe links are limited per client address too: a 429 with Retry-After
    /// (Segment's libraries wait and retry), nothing stored from a refused request, and the
    /// address is let in again once the bucket refills.
    @Test func trackingAndUnsubscribeAreRateLimitedPerAddress() async throws {
        let limits = PublicRateLimits(forms: nil, tracking: RateLimit(parsing: "3/m")!, unsubscribe: RateLimit(parsing: "2/m")!)
        let fixture = try await ServerFixture(rateLimits: limits)
        try await fixture.app.test(.router) { client in
            func track(_ n: Int) async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/v1/track", method: .post, headers: fixture.basic(), body: ByteBuffer(string: #"{"userId":"u1","event":"E\#(n)","messageId":"m\#(n)"}"#)
                ) { response in
                    if response.status == .tooManyRequests {
                        #expect(response.headers[.retryAfter] == "20" && response.body.json["error"]?["code"] == "rate_limited")
                    }
                    return response.status
                }
            }
            for n in 0..<3 { #expect(try await track(n) == .ok) }
            #expect(try await track(3) == .tooManyRequests)
            #expect(try await fixture.store.eventCount() == 3)
            fixture.clock.advance(milliseconds: 20_000)
            #expect(try await track(4) == .ok)
            #expect(try await fixture.store.eventCount() == 4)

            for _ in 0..<2 {
                try await client.execute(uri: "/u/not-a-token", method: .get) { #expect($0.status != .tooManyRequests) }
            }
            try await client.execute(uri: "/u/not-a-token", method: .post) { response in
                #expect(response.status == .tooManyRequests && response.headers[.retryAfter] == "30")
            }
            // Open and click tracking are not limited: mail scanners fetch links in bursts.
            try await client.execute(uri: "/t/o/not-a-token", method: .get) { #expect($0.status != .tooManyRequests) }
        }
        #expect(RateLimit(parsing: "1000/s") == RateLimit(burst: 1000, perMinute: 60_000))
        #expect(RateLimit(parsing: "0/s") == nil && RateLimit(parsing: "5/h") == nil && RateLimit(parsing: "lots") == nil)
    }

    /// Errors on pages people open from an email or a web page are pages for a browser that asks
    /// for HTML (same status and headers), and JSON for everyone else and on every other path.
    @Test func errorsOnPagesPeopleOpenAreHTMLForBrowsers() async throws {
        let fixture = try await ServerFixture(rateLimits: PublicRateLimits(forms: nil, tracking: nil, unsubscribe: RateLimit(parsing: "2/m")!))
        let browser: HTTPFields = [.accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]
        try await fixture.app.test(.router) { client in
            // No email set up in this fixture: the preference center is unavailable.
            try await client.execute(uri: "/u/not-a-token", method: .get, headers: browser) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let page = String(buffer: response.body)
                #expect(page.contains("<h1>Not available right now</h1>") && page.contains("email is not set up"))
            }
            try await client.execute(uri: "/u/not-a-token", method: .get) { response in
                #expect(response.status == .serviceUnavailable && response.body.json["error"]?["code"] == "mail_not_configured")
            }
            try await client.execute(uri: "/u/not-a-token", method: .get, headers: browser) { response in
                #expect(response.status == .tooManyRequests && response.headers[.retryAfter] == "30")
                #expect(String(buffer: response.body).contains("<h1>Too many requests</h1>"))
            }
            try await client.execute(uri: "/f/no-such-form", method: .get, headers: browser) { response in
                #expect(response.status == .notFound && String(buffer: response.body).contains("<h1>Not found</h1>"))
            }
            // The management API answers JSON whatever the Accept header says.
            var api = fixture.bearer()
            api[.accept] = browser[.accept]
            try await client.execute(uri: "/api/v1/contacts/999999", method: .get, headers: api) { response in
                #expect(response.status == .notFound && response.body.json["error"]?["code"] == "not_found")
            }
        }
    }

    /// Behind a trusted reverse proxy the client is the nearest untrusted address of
    /// X-Forwarded-For (what the client wrote itself on the left is not believed); from anyone
    /// else the header is ignored. Consent evidence records that address.
    @Test func consentEvidenceRecordsTheClientBehindATrustedProxy() async throws {
        for (trusted, expected) in [([AddressRange("127.0.0.1")!, AddressRange("10.0.0.0/8")!], "203.0.113.7"), ([], "127.0.0.1")] {
            let fixture = try await ServerFixture(trustedProxies: trusted)
            try await fixture.app.test(.live) { client in
                try await create(fixture, client: client)
                let body = "_fields=email,firstName&_submission=s1&email=ada%40acme.example&firstName=Ada&consent=on&hp_website="
                try await client.execute(
                    uri: "/f/ebook", method: .post, headers: urlencoded.adding(.init("X-Forwarded-For")!, "198.51.100.9, 203.0.113.7, 10.1.2.3"),
                    body: ByteBuffer(string: body)
                ) { #expect($0.status == .ok) }
            }
            let contact = try #require(try await fixture.store.contacts(ContactQuery(email: "ada@acme.example")).first)
            #expect(try await fixture.store.consentRecords(contactId: contact.id).first?.ipAddress == expected)
        }
        #expect(AddressRange("10.0.0.0/8")!.contains("10.200.0.1") && !AddressRange("10.0.0.0/8")!.contains("11.0.0.1"))
        #expect(AddressRange("fd00::/8")!.contains("fd12::1") && !AddressRange("fd00::/8")!.contains("fe80::1") && !AddressRange("fd00::/8")!.contains("10.0.0.1"))
        #expect(AddressRange("10.0.0.0/33") == nil && AddressRange("proxy.local") == nil)
    }

    @Test func formApiValidatesDefinitions() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            let bad = #"{"key":"k","title":"T","fields":[{"name":"email","type":"emial"}]}"#
            try await client.execute(uri: "/api/v1/forms", method: .post, headers: fixture.bearer(json: true), body: ByteBuffer(string: bad)) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["field"] == "fields[0].type")
            }
            try await create(fixture, client: client)
            try await client.execute(uri: "/api/v1/forms", method: .post, headers: fixture.bearer(json: true), body: ByteBuffer(string: Self.definition)) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/api/v1/forms", method: .post, headers: fixture.bearer(.sales, json: true), body: ByteBuffer(string: Self.definition)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/f/missing", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/f/ebook/embed.js", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/javascript") == true)
                #expect(response.body.text.contains("/f/ebook?embed=1"))
            }
        }
    }

    @Test func traitValuesAreEscapedInThePage() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await create(fixture, client: client)
            let body = "_fields=email,firstName&email=bad&firstName=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
            try await client.execute(uri: "/f/ebook", method: .post, headers: urlencoded, body: ByteBuffer(string: body)) { response in
                #expect(!response.body.text.contains("<script>alert(1)"))
                #expect(response.body.text.contains("&lt;script&gt;"))
            }
        }
    }

    @Test func yamlFormErrorsNameTheLine() throws {
        let yaml = "key: k\ntitle: T\nfields:\n  - name: email\n    type: email\n  - name: size\n    type: dropdown\n"
        do {
            _ = try FormFiles.parse(yaml, file: "forms/k.yaml")
            Issue.record("expected an error")
        } catch let error as FormFiles.LoadError {
            #expect(error.line == 7)
            #expect(error.description.hasPrefix("forms/k.yaml:7: fields[1].type"))
        }
        let form = try FormFiles.parse(yaml.replacingOccurrences(of: "dropdown", with: "text"), file: "k.yaml")
        #expect(form.fields.count == 2)
    }
}
