import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisServer
import TrellisStore

/// The console through its HTTP surface: sign-in, sessions, CSRF, pages and a decision.
@Suite struct ConsoleTests {
    static let password = "correct horse battery staple"

    func cookie(_ response: TestResponse, _ name: String) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1).prefix { $0 != ";" }) }
    }

    /// Signs in; returns the session cookie header value and the CSRF token of the forms.
    func signIn(_ client: some TestClientProtocol, email: String) async throws -> (cookie: String, csrf: String) {
        var loginCSRF = ""
        try await client.execute(uri: "/console/login", method: .get) { response in
            loginCSRF = self.cookie(response, "trellis_login") ?? ""
            #expect(response.body.text.contains("name=\"csrf\" value=\"\(loginCSRF)\""))
        }
        var session = ""
        let form = "csrf=\(loginCSRF)&email=\(email.replacingOccurrences(of: "@", with: "%40"))&password=\(Self.password.replacingOccurrences(of: " ", with: "+"))"
        try await client.execute(
            uri: "/console/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "trellis_login=\(loginCSRF)"],
            body: ByteBuffer(string: form)
        ) { response in
            #expect(response.status == .seeOther && response.headers[.location] == "/console/dashboard")
            let set = response.headers[values: .setCookie].first { $0.hasPrefix("trellis_session=") } ?? ""
            #expect(set.contains("HttpOnly") && set.contains("SameSite=Lax"))
            session = self.cookie(response, "trellis_session") ?? ""
        }
        var csrf = ""
        try await client.execute(uri: "/console/dashboard", method: .get, headers: [.cookie: "trellis_session=\(session)"]) { response in
            #expect(response.status == .ok)
            csrf = String(response.body.text.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix { $0 != "\"" } ?? "")
        }
        return ("trellis_session=\(session)", csrf)
    }

    @Test func signInShowsThePagesAndTheQueueDecides() async throws {
        let fixture = try await SalesFixture()
        let store = fixture.store
        try await store.saveUser(ConsoleUser(email: "lena@acme.example", name: "Lena Vogel", role: .sales, passwordHash: try Passwords.hash(Self.password)))
        try await store.saveUser(ConsoleUser(email: "rita@acme.example", name: "Rita Read", role: .read, passwordHash: try Passwords.hash(Self.password)))
        let id = try await fixture.mql("u1", email: "ada@example.com", country: "DE")
        _ = try await fixture.sales.drain()
        let handoff = try #require(try await store.handoffs(status: .open, owner: nil, contactId: id, limit: 1).first)
        try await fixture.mail.server.app.test(.router) { client in
            // Not signed in: every page sends you to the sign-in form.
            try await client.execute(uri: "/console/contacts", method: .get) { #expect($0.status == .seeOther && $0.headers[.location] == "/console/login") }
            // A wrong password and a missing login token are refused.
            try await client.execute(
                uri: "/console/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "trellis_login=abc"],
                body: ByteBuffer(string: "csrf=abc&email=lena%40acme.example&password=nope")
            ) { response in
                #expect(response.status == .unauthorized && response.body.text.contains("The email or the password is wrong."))
            }
            try await client.execute(
                uri: "/console/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=abc&email=lena%40acme.example&password=\(Self.password)")
            ) { #expect($0.status == .forbidden) }

            let lena = try await self.signIn(client, email: "lena@acme.example")
            try await client.execute(uri: "/console/dashboard", method: .get, headers: [.cookie: lena.cookie]) { response in
                let html = response.body.text
                #expect(html.contains("<svg role=\"img\" aria-label=\"Funnel\""))
                #expect(html.contains("data-metric=\"captured\">1<") && html.contains("data-metric=\"mql\">1<"))
                #expect(response.headers[.init("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
            }
            try await client.execute(uri: "/console/contacts?q=ada%40example.com", method: .get, headers: [.cookie: lena.cookie]) { response in
                #expect(response.body.text.contains("<a href=\"/console/contacts/\(id)\">ada@example.com</a>"))
            }
            try await client.execute(uri: "/console/contacts/\(id)", method: .get, headers: [.cookie: lena.cookie]) { response in
                let html = response.body.text
                #expect(html.contains("data-field=\"stage\">mql<") && html.contains("Handed Off") && html.contains("form_checkbox"))
            }
            try await client.execute(uri: "/console/handoffs", method: .get, headers: [.cookie: lena.cookie]) { response in
                #expect(response.body.text.contains("action=\"/console/handoffs/\(handoff.id)\""))
            }
            // A decision without the CSRF token is refused; with it, the lead is accepted.
            try await client.execute(
                uri: "/console/handoffs/\(handoff.id)", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: lena.cookie],
                body: ByteBuffer(string: "action=accept")
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/console/handoffs/\(handoff.id)", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: lena.cookie],
                body: ByteBuffer(string: "csrf=\(lena.csrf)&action=accept")
            ) { #expect($0.status == .seeOther && $0.headers[.location] == "/console/handoffs?done=accepted") }
            // A read-only user sees the queue but cannot decide.
            let rita = try await self.signIn(client, email: "rita@acme.example")
            try await client.execute(
                uri: "/console/handoffs/\(handoff.id)", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: rita.cookie],
                body: ByteBuffer(string: "csrf=\(rita.csrf)&action=recycle")
            ) { #expect($0.status == .forbidden) }
            // Signing out ends the session.
            try await client.execute(
                uri: "/console/logout", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: lena.cookie],
                body: ByteBuffer(string: "csrf=\(lena.csrf)")
            ) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/console/dashboard", method: .get, headers: [.cookie: lena.cookie]) { #expect($0.status == .seeOther) }
        }
        #expect(try await store.contact(id: id)?.stage == .sal)
    }

    /// Mia (marketer) and Rita (read); Ada (in DE) and Bob, leads.
    static func marketingStore() async throws -> (fixture: SalesFixture, ada: Int64) {
        let fixture = try await SalesFixture()
        let store = fixture.store
        try await store.saveUser(ConsoleUser(email: "mia@acme.example", name: "Mia Marketer", role: .marketer, passwordHash: try Passwords.hash(password)))
        try await store.saveUser(ConsoleUser(email: "rita@acme.example", name: "Rita Read", role: .read, passwordHash: try Passwords.hash(password)))
        let ada = try await fixture.mail.lead("u1", email: "ada@example.com")
        _ = try await fixture.mail.lead("u2", email: "bob@example.com")
        _ = try await store.updateContact(id: ada, ContactPatch(traits: ["country": "DE"]), at: fixture.clock.now(), actor: "test")
        return (fixture, ada)
    }

    @Test func marketingPagesShowTheStoreAndChangeOnlyWithARole() async throws {
        let (fixture, ada) = try await Self.marketingStore()
        let store = fixture.store
        let workflow = try WorkflowDefinition(
            json: try JSONValue(jsonText: #"{"workflow": "hot", "trigger": {"event": "Demo Requested"}, "steps": [{"send": {"email": "demo-offer"}}, {"wait": "2d"}, {"handoff": {"reason": "Asked for a demo"}}]}"#))
        _ = try await store.saveWorkflow(workflow, status: .published, at: fixture.clock.now())
        let services = fixture.mail.server.services
        try await services.workflows.reload()
        _ = try await store.ingest([
            IngestBatch(source: "web", receivedAt: fixture.clock.now(), messages: [IngestMessage(TrackingMessage(type: .track, messageId: "d1", userId: "u1", name: "Demo Requested"))])
        ])
        _ = try await services.qualify.drain()
        _ = try await services.workflows.drain()
        try await fixture.mail.server.app.test(.router) { client in
            let mia = try await self.signIn(client, email: "mia@acme.example")
            func page(_ uri: String) async throws -> String {
                try await client.execute(uri: uri, method: .get, headers: [.cookie: mia.cookie]) { response in
                    #expect(response.status == .ok, "\(uri)")
                    return response.body.text
                }
            }
            func post(_ uri: String, _ form: String, cookie: String? = nil) async throws -> TestResponse {
                try await client.execute(
                    uri: uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie ?? mia.cookie], body: ByteBuffer(string: form)
                ) { $0 }
            }
            // The rule editor counts without saving; a broken rule names its line.
            let rule = "match:%0A  trait: country%0A  eq: DE%0A"
            var answer = try await post("/console/segments/preview", "csrf=\(mia.csrf)&rule=\(rule)")
            #expect(answer.status == .ok && answer.body.text.contains("data-field=\"matching\">1</strong> of 2 contacts match"))
            #expect(answer.body.text.contains("<a href=\"/console/contacts/\(ada)\">"))
            answer = try await post("/console/segments/preview", "csrf=\(mia.csrf)&rule=match:%0A  trait: country%0A  within: soon%0A")
            #expect(answer.status == .unprocessableContent && answer.body.text.contains("role=\"alert\">line 3: match.within: unknown operator"))
            #expect(try await post("/console/segments/preview", "rule=\(rule)").status == .forbidden)
            #expect(try await store.segments().isEmpty)
            // The workflow's steps carry their counts; pausing and publishing need the role.
            let graph = try await page("/console/workflows/hot")
            #expect(graph.contains(">trigger: event Demo Requested</text>") && graph.contains(">enter 1</text>") && graph.contains(">send 1</text>"))
            #expect(graph.contains(">send demo-offer</text>") && graph.contains("data-field=\"status\">published<"))
            #expect(try await page("/console/workflows").contains("<a href=\"/console/workflows/hot\">hot</a> v1"))
            let rita = try await self.signIn(client, email: "rita@acme.example")
            #expect(try await post("/console/workflows/hot/status", "csrf=\(rita.csrf)&status=paused", cookie: rita.cookie).status == .forbidden)
            #expect(try await post("/console/workflows/hot/status", "csrf=\(mia.csrf)&status=archived").status == .badRequest)
            #expect(try await post("/console/workflows/hot/status", "csrf=\(mia.csrf)&status=paused").status == .seeOther)
            #expect(try await store.workflowVersions().last?.status == .paused)
            // Content renders for a contact, as the API's preview does.
            let preview = try await page("/console/content/demo-offer?contact=\(ada)")
            #expect(preview.contains("data-field=\"subject\">") && preview.contains("Ada"))
            #expect(try await page("/console/content").contains("<a href=\"/console/content/demo-offer\">demo-offer</a>"))
            // Reports: the funnel by source is the API's; settings show key prefixes, never a secret.
            let reports = try await page("/console/reports")
            #expect(reports.contains("<td>forms</td><td>2</td>") && reports.contains("Influenced pipeline"))
            #expect(reports.contains("<td>hot: steps[0]</td><td>1</td>"))  // the send step reached Ada only
            let (key, record) = try await APIKeys.create(in: store, name: "site", role: .write, at: fixture.clock.now())
            let settings = try await page("/console/settings")
            #expect(settings.contains("<code>\(record.prefix)…</code>") && !settings.contains(key) && settings.contains("Postal address"))
        }
    }

    @Test func segmentsAndWorkflowsAreCountedCheckedAndSavedFromTheConsole() async throws {
        let (fixture, _) = try await Self.marketingStore()
        let store = fixture.store
        let services = fixture.mail.server.services
        try await fixture.mail.server.app.test(.router) { client in
            let mia = try await self.signIn(client, email: "mia@acme.example")
            let rita = try await self.signIn(client, email: "rita@acme.example")
            func post(_ uri: String, _ form: String, cookie: String? = nil) async throws -> TestResponse {
                try await client.execute(
                    uri: uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie ?? mia.cookie], body: ByteBuffer(string: form)
                ) { $0 }
            }
            // The live count: JSON for the script, the problem with its line for a broken rule.
            let rule = "match:%0A  trait: country%0A  eq: DE%0A"
            var answer = try await post("/console/segments/count", "csrf=\(mia.csrf)&rule=\(rule)")
            #expect(answer.status == .ok && answer.headers[.contentType]?.hasPrefix("application/json") == true)
            let counted = try JSONValue(jsonText: answer.body.text)
            #expect(counted["matching"]?.intValue == 1 && counted["contacts"]?.intValue == 2)
            answer = try await post("/console/segments/count", "csrf=\(mia.csrf)&rule=match:%0A  trait: country%0A  within: soon%0A")
            #expect(answer.status == .unprocessableContent && answer.body.text.contains("line 3: match.within: unknown operator"))
            #expect(try await post("/console/segments/count", "rule=\(rule)").status == .forbidden)
            let script = try await client.execute(uri: "/console/static/console.js", method: .get) { $0 }
            #expect(script.status == .ok && script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(script.body.text.contains("data-count-url"))

            // Saving: a name is needed, a read user may not, a saved segment is computed.
            answer = try await post("/console/segments/save", "csrf=\(mia.csrf)&name=&rule=\(rule)")
            #expect(answer.status == .unprocessableContent && answer.body.text.contains("give the segment a name"))
            #expect(try await post("/console/segments/save", "csrf=\(rita.csrf)&name=germany&rule=\(rule)", cookie: rita.cookie).status == .forbidden)
            answer = try await post("/console/segments/save", "csrf=\(mia.csrf)&name=germany&description=DACH%20leads&rule=match:%0A  trait: country%0A  within: soon%0A")
            #expect(answer.status == .unprocessableContent && answer.body.text.contains("line 3: match.within"))
            #expect(try await store.segments().isEmpty)
            answer = try await post("/console/segments/save", "csrf=\(mia.csrf)&name=germany&description=DACH%20leads&rule=\(rule)")
            #expect(answer.status == .seeOther && answer.headers[.location] == "/console/segments?saved=germany")
            _ = try await services.qualify.drain()
            await services.qualify.waitForRecomputes()
            let saved = try #require(try await store.segments().first)
            #expect(saved.definition.name == "germany" && saved.definition.description == "DACH leads" && saved.memberCount == 1)
            // Editing loads its rule; saving again makes a new version.
            let editing = try await client.execute(uri: "/console/segments?edit=germany", method: .get, headers: [.cookie: mia.cookie]) { $0.body.text }
            #expect(editing.contains("value=\"germany\"") && editing.contains("eq: DE"))
            #expect(editing.contains("data-segment=\"germany\">1</td>"))  // computed: no "(computing …)" beside it
            answer = try await post("/console/segments/save", "csrf=\(mia.csrf)&name=germany&rule=match:%0A  trait: country%0A  in: [DE, FR]%0A")
            let version = try await store.segments().first?.version
            #expect(answer.status == .seeOther && version == 2)

            // Workflows: checked with the line of a problem, saved as a draft, then published.
            let broken = "workflow: welcome%0Atrigger:%0A  event: Signed Up%0Asteps:%0A  - send: { email: no-such-template }%0A"
            answer = try await post("/console/workflows", "csrf=\(mia.csrf)&action=check&definition=\(broken)")
            #expect(answer.status == .unprocessableContent && answer.body.text.contains("line 5: steps[0].send"))
            #expect(answer.body.text.contains("no-such-template"))
            let good = "workflow: welcome%0Atrigger:%0A  event: Signed Up%0Asteps:%0A  - send: { email: demo-offer }%0A  - wait: 2d%0A"
            answer = try await post("/console/workflows", "csrf=\(mia.csrf)&action=check&definition=\(good)")
            #expect(answer.status == .ok && answer.body.text.contains("No problems found in workflow welcome; nothing was saved"))
            #expect(try await store.workflowVersions().isEmpty)
            #expect(try await post("/console/workflows", "csrf=\(rita.csrf)&action=draft&definition=\(good)", cookie: rita.cookie).status == .forbidden)
            #expect(try await post("/console/workflows", "csrf=\(mia.csrf)&action=launch&definition=\(good)").status == .badRequest)
            answer = try await post("/console/workflows", "csrf=\(mia.csrf)&action=draft&definition=\(good)")
            #expect(answer.status == .seeOther && answer.headers[.location] == "/console/workflows/welcome")
            #expect(try await store.workflowVersions().last?.status == .draft)
            answer = try await post("/console/workflows", "csrf=\(mia.csrf)&action=publish&page=welcome&definition=\(good)")
            let versions = try await store.workflowVersions().filter { $0.name == "welcome" }
            #expect(answer.status == .seeOther && versions.count == 2 && versions.last?.status == .published)
            // The audit log has the draft and the publish, by Mia; not the checks or the refusals.
            let changes = try await store.auditLog(before: nil, limit: 100).filter { $0.path == "/console/workflows" }
            #expect(changes.map(\.status) == [303, 303] && changes.allSatisfy { $0.actor == "user:mia@acme.example" && $0.role == "marketer" })
        }
    }

    @Test func passwordGuessingIsSlowedPerAccount() async throws {
        let (fixture, _) = try await Self.marketingStore()
        try await fixture.mail.server.app.test(.router) { client in
            func attempt(_ password: String) async throws -> (status: HTTPResponse.Status, retryAfter: String?) {
                let csrf = "guessing"
                let form = "csrf=\(csrf)&email=mia%40acme.example&password=\(password.replacingOccurrences(of: " ", with: "+"))"
                return try await client.execute(
                    uri: "/console/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "trellis_login=\(csrf)"],
                    body: ByteBuffer(string: form)
                ) { ($0.status, $0.headers[.retryAfter]) }
            }
            for _ in 0..<10 { #expect(try await attempt("wrong guess").status == .unauthorized) }
            let limited = try await attempt("wrong guess")
            #expect(limited.status == .tooManyRequests && limited.retryAfter == "12")
            // Even the right password waits: a limited attempt is not checked at all.
            #expect(try await attempt(Self.password).status == .tooManyRequests)
            fixture.clock.advance(milliseconds: 12_000)
            #expect(try await attempt(Self.password).status == .seeOther)
        }
    }

    @Test func passwordsAreScryptAndCheckedExactly() throws {
        let hash = try Passwords.hash(Self.password)
        #expect(hash.hasPrefix("scrypt$32768$8$1$") && !hash.contains(Self.password))
        #expect(Passwords.verify(Self.password, against: hash))
        #expect(!Passwords.verify(Self.password + " ", against: hash) && !Passwords.verify(Self.password, against: "plain"))
        #expect(Passwords.problem("short") != nil && Passwords.problem(Self.password) == nil)
    }
}
