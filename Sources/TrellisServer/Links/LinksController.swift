import Foundation
import Hummingbird
import TrellisCore
import TrellisMail
import TrellisStore

/// The links inside emails, none of which needs a login: `/u/{token}` (RFC 8058 one-click
/// unsubscribe on POST, the preference center on GET), `/u/{token}/preferences`, the open pixel
/// `/t/o/{token}` and the click redirect `/t/c/{token}`. Tokens are HMAC-signed; a tampered or
/// foreign one gets a 400 and no redirect.
struct LinksController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        router.get("u/:token", use: preferenceCenter)
        router.post("u/:token", use: oneClick)
        router.post("u/:token/preferences", use: savePreferences)
        router.get("t/o/:token", use: open)
        router.get("t/c/:token", use: click)
    }

    func verify(_ context: TrellisRequestContext, purpose: LinkPayload.Purpose) async throws -> (LinkPayload, MailSetup) {
        if purpose == .unsubscribe { try services.unsubscribeLimiter?.check(context.clientIP, at: services.clock.now(), what: "unsubscribe requests") }
        guard let setup = await services.mail.setup else { throw APIError(.serviceUnavailable, code: "mail_not_configured", message: "email is not set up") }
        let token = context.parameters.get("token") ?? ""
        do {
            let payload = try setup.signer.verify(token)
            guard payload.purpose == purpose else { throw LinkSigner.Invalid(description: "the link is not a \(purpose) link") }
            return (payload, setup)
        } catch {
            throw APIError(.badRequest, code: "invalid_link", message: "\(error); nothing was changed", field: "token")
        }
    }

    // MARK: Unsubscribe

    /// RFC 8058: a POST whose body is `List-Unsubscribe=One-Click` (urlencoded or multipart)
    /// unsubscribes at once, with no cookie or login, and answers 200 without a redirect.
    @Sendable func oneClick(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let (payload, _) = try await verify(context, purpose: .unsubscribe)
        let body = String(decoding: try await RequestBody.read(request, limit: 16 * 1024), as: UTF8.self)
        guard Self.isOneClick(body, mediaType: RequestBody.mediaType(request)) else {
            throw APIError(
                .badRequest, code: "invalid_body", message: "a one-click unsubscribe POST carries List-Unsubscribe=One-Click (RFC 8058)",
                field: "List-Unsubscribe")
        }
        let done = try await unsubscribe(payload, request: request, context: context, method: "one-click (RFC 8058)")
        return try HTMLResponse(html: HTML.page(title: "Unsubscribed", body: "<h1>You are unsubscribed</h1><p>\(HTML.escape(done))</p>"))
            .response(from: request, context: context)
    }

    static func isOneClick(_ body: String, mediaType: String?) -> Bool {
        if mediaType == "multipart/form-data" {
            // name="List-Unsubscribe", an empty line, then One-Click.
            let normalized = body.replacingOccurrences(of: "\r\n", with: "\n")
            guard let name = normalized.range(of: "name=\"List-Unsubscribe\"") else { return false }
            let rest = normalized[name.upperBound...]
            guard let blank = rest.range(of: "\n\n") else { return false }
            return rest[blank.upperBound...].hasPrefix("One-Click")
        }
        return HostedFormsController.urlDecoded(body.trimmingCharacters(in: .whitespacesAndNewlines))["List-Unsubscribe"] == "One-Click"
    }

    /// Withdraws consent with evidence: the client's address as ``ClientAddressMiddleware`` found it
    /// (X-Forwarded-For is believed only from a trusted proxy) and its user agent.
    func unsubscribe(_ payload: LinkPayload, request: Request, context: TrellisRequestContext, method: String) async throws -> String {
        let now = services.clock.now()
        if let send = try await services.store.emailSend(id: payload.sendId), send.to != nil {
            return "This was a test send: nobody was unsubscribed."
        }
        let evidence = ConsentRecord(
            status: .withdrawn, basis: .express, method: .unsubscribe, text: "Unsubscribed from all marketing email (\(method))",
            location: "email link", ipAddress: context.recordedClientIP,
            userAgent: request.headers[.userAgent], recordedAt: now)
        guard try await services.store.contact(id: payload.contactId) != nil else { return "You will not receive marketing email from us." }
        let changed = try await services.store.unsubscribe(contactId: payload.contactId, sendId: payload.sendId, evidence: evidence, at: now)
        if changed {
            services.metrics.emailEvent("Unsubscribed")
            services.qualify.notify()
            services.workflows.notify()
        }
        return "You will not receive marketing email from us any more."
    }

    /// A GET never unsubscribes (mail scanners fetch links): it shows the choices.
    @Sendable func preferenceCenter(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let (payload, setup) = try await verify(context, purpose: .unsubscribe)
        guard let contact = try await services.store.contact(id: payload.contactId) else {
            return try HTMLResponse(html: HTML.page(title: "Email preferences", body: "<h1>Email preferences</h1><p>We hold no email address for you.</p>"))
                .response(from: request, context: context)
        }
        let preferences = EmailPreferences(traits: contact.traits)
        let topics = Set(setup.library.templates.values.compactMap(\.topic)).sorted()
        let token = HTML.escape(context.parameters.get("token") ?? "")
        let unsubscribed = contact.consent.email?.status == .withdrawn
        var body = "<h1>Email preferences</h1>"
        body += "<p>For <strong>\(HTML.escape(Self.masked(contact.email ?? "")))</strong>.</p>"
        if unsubscribed { body += "<p class=\"status\" role=\"status\">You are unsubscribed from all marketing email.</p>" }
        body += "<form method=\"post\" action=\"/u/\(token)/preferences\"><fieldset><legend>Topics</legend>"
        for topic in topics {
            let id = "topic-\(HTML.escape(topic))"
            let checked = preferences.topicsOff.contains(topic) ? "" : " checked"
            body += "<div><input type=\"checkbox\" id=\"\(id)\" name=\"topic_\(HTML.escape(topic))\" value=\"on\"\(checked)><label for=\"\(id)\">\(HTML.escape(topic.capitalized))</label></div>"
        }
        body += "</fieldset><fieldset><legend>How often</legend>"
        for frequency in EmailPreferences.Frequency.allCases {
            let label = ["normal": "As it happens", "weekly": "At most once a week", "monthly": "At most once a month"][frequency.rawValue] ?? frequency.rawValue
            let checked = preferences.frequency == frequency ? " checked" : ""
            body += "<div><input type=\"radio\" id=\"f-\(frequency.rawValue)\" name=\"frequency\" value=\"\(frequency.rawValue)\"\(checked)><label for=\"f-\(frequency.rawValue)\">\(label)</label></div>"
        }
        body += "</fieldset><button type=\"submit\" name=\"action\" value=\"save\">Save my choices</button> "
        body += "<button type=\"submit\" name=\"action\" value=\"unsubscribe_all\" class=\"secondary\">Unsubscribe from all</button></form>"
        return try HTMLResponse(html: HTML.page(title: "Email preferences", body: body), headers: [.cacheControl: "no-store"])
            .response(from: request, context: context)
    }

    @Sendable func savePreferences(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let (payload, setup) = try await verify(context, purpose: .unsubscribe)
        guard RequestBody.mediaType(request) == "application/x-www-form-urlencoded" else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "submit the preferences as application/x-www-form-urlencoded")
        }
        let values = HostedFormsController.urlDecoded(String(decoding: try await RequestBody.read(request, limit: 16 * 1024), as: UTF8.self))
        if values["action"] == "unsubscribe_all" {
            let done = try await unsubscribe(payload, request: request, context: context, method: "preference center")
            return try HTMLResponse(html: HTML.page(title: "Unsubscribed", body: "<h1>You are unsubscribed</h1><p>\(HTML.escape(done))</p>"))
                .response(from: request, context: context)
        }
        guard let frequency = EmailPreferences.Frequency(rawValue: values["frequency"] ?? "normal") else {
            throw APIError(.badRequest, code: "invalid_field", message: "frequency must be normal, weekly or monthly", field: "frequency")
        }
        let topics = Set(setup.library.templates.values.compactMap(\.topic))
        let preferences = EmailPreferences(topicsOff: topics.filter { values["topic_\($0)"] != "on" }, frequency: frequency)
        if let send = try await services.store.emailSend(id: payload.sendId), send.to != nil {
            return try HTMLResponse(html: HTML.page(title: "Email preferences", body: "<h1>Test send</h1><p>This was a test send: nothing was changed.</p>"))
                .response(from: request, context: context)
        }
        _ = try await services.store.updateContact(
            id: payload.contactId, ContactPatch(traits: [EmailPreferences.trait: preferences.json]), at: services.clock.now(), actor: "preference center")
        services.metrics.emailEvent("Preferences Updated")
        return try HTMLResponse(html: HTML.page(title: "Email preferences", body: "<h1>Saved</h1><p role=\"status\">Your choices are saved.</p>"))
            .response(from: request, context: context)
    }

    // MARK: Tracking

    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    @Sendable func open(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let (payload, _) = try await verify(context, purpose: .open)
        try await record(payload, request: request, human: "Email Opened", machine: "Email Open Prefetched", window: 2_000)
        return Response(
            status: .ok, headers: [.contentType: "image/gif", .cacheControl: "no-store, max-age=0"], body: .init(byteBuffer: ByteBuffer(bytes: Self.pixel)))
    }

    @Sendable func click(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let (payload, _) = try await verify(context, purpose: .click)
        guard let target = payload.target, let url = URL(string: target), ["http", "https"].contains(url.scheme?.lowercased() ?? "") else {
            throw APIError(.badRequest, code: "invalid_link", message: "the link has no web address to go to", field: "token")
        }
        let byPerson = try await record(payload, request: request, human: "Email Clicked", machine: "Email Link Scanned", window: 10_000, target: target)
        var location = target
        // A person (not a scanner) going to a site that runs analytics.js takes their visitor id
        // along: analytics.js adopts `ajs_aid` as its anonymousId, and the pages they view next
        // land on their timeline (`tracking.visitor_domains`).
        if byPerson == true, await services.mail.setup?.tracking.carriesVisitor(host: url.host) == true,
            let visitor = try await services.store.contact(id: payload.contactId)?.anonymousIds.last
        {
            location = Self.adding("ajs_aid", value: visitor, to: target)
        }
        return Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// `url` with `name=value` added to its query (before any fragment), the value percent-encoded.
    static func adding(_ name: String, value: String, to url: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let pair = name + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        let (base, fragment) = url.firstIndex(of: "#").map { (String(url[..<$0]), String(url[$0...])) } ?? (url, "")
        let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        return base + separator + pair + fragment
    }

    /// Security scanners and privacy proxies fetch pixels and links before a person does: such
    /// hits are kept under their own event name, so rules and scores do not count them. Returns
    /// whether a person made the hit (nil for a test send, which is not recorded).
    @discardableResult
    func record(_ payload: LinkPayload, request: Request, human: String, machine: String, window: Int64, target: String? = nil) async throws -> Bool? {
        guard let send = try await services.store.emailSend(id: payload.sendId), send.to == nil else { return nil }
        let now = services.clock.now()
        let agent = request.headers[.userAgent] ?? ""
        let reason = Self.machineReason(userAgent: agent, sentAt: send.sentAt, now: now, window: window)
        var properties: [String: JSONValue] = ["email": .string(send.template), "send_id": .int(send.id)]
        if let workflow = send.workflow { properties["workflow"] = .string(workflow) }
        if let target { properties["url"] = .string(target) }
        if let reason { properties["machine_reason"] = .string(reason) }
        if !agent.isEmpty { properties["user_agent"] = .string(String(agent.prefix(200))) }
        let name = reason == nil ? human : machine
        try await services.store.recordEmailEvent(
            contactId: payload.contactId, name: name, properties: properties,
            messageId: "\(name)-\(send.id)-\(now.millisecondsSinceEpoch)",
            at: now)
        services.metrics.emailEvent(name)
        services.qualify.notify()
        services.workflows.notify()
        return reason == nil
    }

    static let scannerAgents = ["barracuda", "mimecast", "proofpoint", "symantec", "messagelabs", "trendmicro", "forcepoint", "sophos", "bot", "crawler", "spider", "python-requests", "curl/", "wget", "go-http-client", "java/", "okhttp", "headlesschrome", "slack", "linkexpanding"]

    static func machineReason(userAgent: String, sentAt: Timestamp?, now: Timestamp, window: Int64) -> String? {
        let agent = userAgent.lowercased()
        if agent.isEmpty { return "no user agent" }
        if let match = scannerAgents.first(where: { agent.contains($0) }) { return "user agent looks like a scanner (\(match))" }
        if let sentAt, now.millisecondsSinceEpoch - sentAt.millisecondsSinceEpoch < window {
            return "within \(window / 1000) s of sending"
        }
        return nil
    }

    static func masked(_ email: String) -> String {
        guard let at = email.firstIndex(of: "@") else { return email }
        let local = email[..<at]
        return String(local.prefix(2)) + String(repeating: "•", count: max(1, local.count - 2)) + email[at...]
    }

}
