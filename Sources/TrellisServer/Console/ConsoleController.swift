import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import Synchronization
import TrellisCore
import TrellisStore

/// The web console: sign-in with a session cookie (HttpOnly, SameSite=Lax, Secure over https),
/// CSRF tokens on every form, and server-rendered pages: dashboard, contacts, a contact, the
/// sales queue. Same numbers as the API: the pages call the same reports and stores.
struct ConsoleController {
    let services: Services
    static let sessionCookie = "trellis_session"
    static let loginCookie = "trellis_login"
    static let sessionHours: Int64 = 12

    func register(on router: Router<TrellisRequestContext>) {
        router.get("console", use: { _, _ in Self.redirect("/console/dashboard") })
        router.get("console/login", use: loginPage)
        router.post("console/login", use: login)
        router.post("console/logout", use: logout)
        router.get("console/dashboard", use: dashboard)
        router.get("console/contacts", use: contacts)
        router.get("console/contacts/:id", use: contact)
        router.get("console/handoffs", use: handoffs)
        router.post("console/handoffs/:id", use: decide)
        registerPages(on: router)
    }

    // MARK: Sessions

    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    static func cookies(_ request: Request) -> [String: String] {
        var values: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { values[String(parts[0]).trimmed] = String(parts[1]).trimmed }
            }
        }
        return values
    }

    static func token() -> String {
        var random = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", random.next()) }.joined()
    }

    /// Session tokens are kept as API keys are: their SHA-256.
    static func digest(_ token: String) -> String { APIKeys.hash(token) }

    func secureFlag() async -> String {
        (await services.mail.setup?.baseURL.hasPrefix("https://") ?? false) ? "; Secure" : ""
    }

    /// The signed-in user, or nil.
    func session(_ request: Request) async throws -> (user: ConsoleUser, csrf: String, token: String)? {
        guard let token = Self.cookies(request)[Self.sessionCookie], !token.isEmpty else { return nil }
        guard let found = try await services.store.session(tokenHash: Self.digest(token), at: services.clock.now()) else { return nil }
        return (found.user, found.csrf, token)
    }

    func render(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok, cookies: [String] = []) -> Response {
        let html = ConsoleTemplates.library.render(values, withTemplate: template) ?? ""
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .init("Content-Security-Policy")!: "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
            .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "same-origin",
        ]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func base(_ session: (user: ConsoleUser, csrf: String, token: String), title: String, nav: String) -> [String: Any] {
        ["title": title, "csrf": session.csrf, "user": ["name": session.user.name, "role": session.user.role.rawValue], "nav": [nav: true]]
    }

    static func form(_ request: Request, limit: Int = 16 * 1024) async throws -> [String: String] {
        guard RequestBody.mediaType(request) == "application/x-www-form-urlencoded" else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "submit the form as application/x-www-form-urlencoded")
        }
        return HostedFormsController.urlDecoded(String(decoding: try await RequestBody.read(request, limit: limit), as: UTF8.self))
    }

    // MARK: Sign-in

    @Sendable func loginPage(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        if try await session(request) != nil { return Self.redirect("/console/dashboard") }
        let csrf = Self.token()
        return render(
            "login", ["title": "Sign in", "csrf": csrf],
            cookies: ["\(Self.loginCookie)=\(csrf); Path=/console; HttpOnly; SameSite=Strict; Max-Age=3600\(await secureFlag())"])
    }

    @Sendable func login(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let values = try await Self.form(request)
        // Login CSRF: the form's token must match the cookie set with the form.
        guard let csrf = values["csrf"], !csrf.isEmpty, csrf == Self.cookies(request)[Self.loginCookie] else {
            return render("login", ["title": "Sign in", "error": "The form expired; please sign in again.", "csrf": ""], status: .forbidden)
        }
        let email = values["email"] ?? ""
        // Password guessing: attempts are limited per client address and per account (before the
        // password is checked, so a limited attempt learns nothing).
        let now = services.clock.now()
        for key in ["ip:\(context.clientIP)", "email:\(email.lowercased())"] {
            if case .limited(let retryAfter) = services.signInLimiter.withLock({ $0.take(key, at: now) }) {
                var response = render(
                    "login", ["title": "Sign in", "error": "Too many attempts; try again in \(retryAfter) s.", "csrf": csrf, "email": email], status: .tooManyRequests)
                response.headers[.retryAfter] = String(retryAfter)
                return response
            }
        }
        guard let user = try await services.store.user(email: email), Passwords.verify(values["password"] ?? "", against: user.passwordHash) else {
            return render("login", ["title": "Sign in", "error": "The email or the password is wrong.", "csrf": csrf, "email": email], status: .unauthorized)
        }
        let token = Self.token()
        try await services.store.createSession(
            tokenHash: Self.digest(token), email: user.email, csrf: Self.token(), at: now, expiresAt: now.adding(milliseconds: Self.sessionHours * 3_600_000))
        let secure = await secureFlag()
        return Self.redirect(
            "/console/dashboard",
            cookies: [
                "\(Self.sessionCookie)=\(token); Path=/console; HttpOnly; SameSite=Lax; Max-Age=\(Self.sessionHours * 3600)\(secure)",
                "\(Self.loginCookie)=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0\(secure)",
            ])
    }

    @Sendable func logout(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        guard try await Self.form(request)["csrf"] == session.csrf else { throw APIError(.forbidden, code: "csrf", message: "the form's CSRF token is missing or wrong") }
        try await services.store.deleteSession(tokenHash: Self.digest(session.token))
        return Self.redirect("/console/login", cookies: ["\(Self.sessionCookie)=; Path=/console; HttpOnly; SameSite=Lax; Max-Age=0\(await secureFlag())"])
    }

    // MARK: Pages

    @Sendable func dashboard(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        let days = 30
        // Whole UTC days, today included: [start of today − 29 days, start of tomorrow).
        let snapshot = try await services.reportSnapshots.dashboard(now: services.clock.now())
        let (from, to, report) = (snapshot.from, snapshot.to, snapshot.value.report)
        let current = report.current.total, prior = report.prior.total
        let stages: [(String, String, Int, Int)] = [
            ("captured", "Leads captured", current.captured, prior.captured), ("mql", "MQL", current.mql, prior.mql), ("sql", "SQL", current.sql, prior.sql),
            ("sal", "Sales accepted", current.sal, prior.sal), ("opportunity", "Opportunities", current.opportunity, prior.opportunity),
            ("customer", "Customers", current.customer, prior.customer),
        ]
        var cards: [[String: Any]] = stages.map { ["key": $0.0, "label": $0.1, "value": $0.2, "prior": $0.3] }
        cards.append(["key": "pipeline", "label": "Pipeline created", "value": String(format: "%.0f", current.pipeline), "prior": String(format: "%.0f", prior.pipeline)])
        func percent(_ value: Double??) -> String { (value ?? nil).map { String(format: "%.1f %%", $0 * 100) } ?? "–" }
        let rates: [[String: Any]] = [("lead_to_mql", "Lead → MQL"), ("mql_to_sql", "MQL → SQL"), ("sales_accepted", "Sales accepted"), ("demo_booking", "Demo booking"), ("unsubscribe", "Unsubscribe")]
            .map { ["label": $0.1, "value": percent(current.rates[$0.0]), "prior": percent(prior.rates[$0.0])] }
        var values = base(session, title: "Dashboard", nav: "dashboard")
        values["cards"] = cards
        values["rates"] = rates
        values["days"] = days
        values["asOf"] = Self.day(snapshot.computedAt)
        values["from"] = String(from.iso8601.prefix(10))
        values["to"] = String(to.adding(days: -1).iso8601.prefix(10))
        values["toExclusive"] = String(to.iso8601.prefix(10))
        values["chart"] = Self.funnelChart(stages.map { ($0.1, $0.2, $0.3) })
        return render("dashboard", values)
    }

    /// Horizontal bars, current and prior, drawn on the server.
    static func funnelChart(_ rows: [(label: String, current: Int, prior: Int)]) -> String {
        let largest = max(1, rows.map { max($0.current, $0.prior) }.max() ?? 1)
        let width = 520.0, left = 130.0, rowHeight = 34.0
        var svg = "<svg role=\"img\" aria-label=\"Funnel\" viewBox=\"0 0 \(Int(left + width + 60)) \(Int(Double(rows.count) * rowHeight + 10))\" width=\"100%\" style=\"max-width:720px\">"
        for (index, row) in rows.enumerated() {
            let y = Double(index) * rowHeight + 5
            let current = width * Double(row.current) / Double(largest), prior = width * Double(row.prior) / Double(largest)
            svg += "<text x=\"0\" y=\"\(Int(y + 16))\" font-size=\"13\" fill=\"#1b1f24\">\(HTML.escape(row.label))</text>"
            svg += "<rect x=\"\(Int(left))\" y=\"\(Int(y + 16))\" width=\"\(String(format: "%.1f", prior))\" height=\"8\" fill=\"#b6d4fe\"/>"
            svg += "<rect x=\"\(Int(left))\" y=\"\(Int(y + 4))\" width=\"\(String(format: "%.1f", current))\" height=\"12\" fill=\"#0969da\"/>"
            svg += "<text x=\"\(Int(left + current + 6))\" y=\"\(Int(y + 15))\" font-size=\"12\" fill=\"#1b1f24\">\(row.current)</text>"
        }
        return svg + "</svg>"
    }

    @Sendable func contacts(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        let q = request.uri.queryParameters["q"].map(String.init)?.trimmed ?? ""
        let found = try await services.store.contacts(ContactQuery(email: q.isEmpty ? nil : q, limit: 50))
        var values = base(session, title: "Contacts", nav: "contacts")
        values["q"] = q
        values["contacts"] = found.map { contact -> [String: Any] in
            ["id": contact.id, "email": contact.email ?? "(no email)", "stage": contact.stage?.rawValue ?? "", "owner": contact.owner ?? "",
             "lastSeen": String(contact.lastSeen.iso8601.prefix(16)).replacingOccurrences(of: "T", with: " ")]
        }
        return render("contacts", values)
    }

    @Sendable func contact(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        let id = try Query.id(context)
        guard let contact = try await services.store.contact(id: id) else { throw APIError.notFound("contact \(id) does not exist") }
        let now = services.clock.now()
        var values = base(session, title: contact.email ?? "Contact", nav: "contacts")
        let first = contact.traits["first_name"]?.stringValue ?? contact.traits["firstName"]?.stringValue
        let last = contact.traits["last_name"]?.stringValue ?? contact.traits["lastName"]?.stringValue
        values["name"] = [first, last].compactMap { $0 }.joined(separator: " ").isEmpty ? (contact.email ?? "Contact \(id)") : [first, last].compactMap { $0 }.joined(separator: " ")
        values["email"] = contact.email ?? ""
        values["stage"] = contact.stage?.rawValue ?? "none"
        values["owner"] = contact.owner ?? ""
        if let scorer = await services.qualify.qualifier.scorer, let stored = try await services.store.score(contactId: id) {
            let snapshot = scorer.snapshot(stored.state, at: now)
            values["score"] = [
                "total": String(format: "%.0f", snapshot.total), "grade": snapshot.grade.rawValue, "fit": String(format: "%.0f", snapshot.fit),
                "engagement": String(format: "%.0f", snapshot.engagement),
                "reasons": ScoreReason.summarize(stored.changes, scorer: scorer, at: now).prefix(6).map { ["text": $0.text] },
            ]
        }
        values["consent"] = try await services.store.consentRecords(contactId: id).reversed().map { record -> [String: Any] in
            ["at": String(record.recordedAt.iso8601.prefix(16)), "status": record.status.rawValue, "method": record.method.rawValue, "text": record.text ?? ""]
        }
        values["runs"] = try await services.store.workflowRuns(contactId: id).map { run -> [String: Any] in
            ["workflow": run.workflow, "version": run.version, "status": run.status.rawValue, "reason": run.finishReason ?? ""]
        }
        values["emails"] = try await services.store.emailSends(contactId: id, limit: 20).map { send -> [String: Any] in
            ["template": send.template, "status": send.status.rawValue, "error": send.lastError ?? ""]
        }
        values["handoffs"] = try await services.store.handoffs(status: nil, owner: nil, contactId: id, limit: 10).map { handoff -> [String: Any] in
            ["owner": handoff.owner, "status": handoff.status.rawValue, "reason": handoff.reason]
        }
        values["timeline"] = try await services.store.timeline(contactId: id, before: nil, limit: 50).map { event -> [String: Any] in
            ["at": String(event.timestamp.iso8601.prefix(19)).replacingOccurrences(of: "T", with: " "), "name": event.name ?? event.type, "source": event.source]
        }
        return render("contact", values)
    }

    @Sendable func handoffs(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        var values = base(session, title: "Sales queue", nav: "handoffs")
        let canDecide = session.user.role.allows(.editContacts)
        values["notice"] = request.uri.queryParameters["done"].map { "The lead is now \($0)." }
        values["handoffs"] = try await services.store.handoffs(status: .open, owner: nil, contactId: nil, limit: 200).map { handoff -> [String: Any] in
            let story = handoff.context.objectValue ?? [:]
            return [
                "id": handoff.id, "contactId": handoff.contactId, "name": SalesService.name(story), "reason": handoff.reason,
                "due": String(handoff.dueAt.iso8601.prefix(16)).replacingOccurrences(of: "T", with: " "), "owner": handoff.owner,
                "next": story["suggestedNextStep"]?.stringValue ?? "", "canDecide": canDecide, "csrf": session.csrf,
            ]
        }
        return render("handoffs", values)
    }

    @Sendable func decide(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        let values = try await Self.form(request)
        guard values["csrf"] == session.csrf else { throw APIError(.forbidden, code: "csrf", message: "the form's CSRF token is missing or wrong") }
        guard session.user.role.allows(.editContacts) else { throw APIError.forbidden("a \(session.user.role.rawValue) user may not decide on leads") }
        let id = try Query.id(context)
        let feedback: HandoffFeedback
        switch values["action"] {
        case "accept": feedback = .accepted
        case "recycle": feedback = .recycled(note: nil)
        case "reject":
            guard let reason = values["reason"].flatMap(RejectionReason.init(rawValue:)) else {
                throw APIError(.badRequest, code: "invalid_field", message: "reason must be one of \(RejectionReason.allCases.map(\.rawValue).joined(separator: ", "))", field: "reason")
            }
            feedback = .rejected(reason, note: nil)
        default: throw APIError(.badRequest, code: "invalid_field", message: "action must be accept, reject or recycle", field: "action")
        }
        let updated = try await SalesController(services: services).apply(feedback, to: id)
        return Self.redirect("/console/handoffs?done=\(updated.status.rawValue)")
    }
}
