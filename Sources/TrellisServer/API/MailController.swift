import Foundation
import Hummingbird
import TrellisCore
import TrellisMail
import TrellisStore

/// The email channel's API: the content library (`/api/v1/content`, preview for a contact, test
/// send), a contact's emails, the suppression list, send counts, and the inbound endpoint for
/// bounces, complaints and mailto unsubscribes.
struct MailController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("content", use: list)
        api.get("content/:name", use: show)
        api.post("content/:name/preview", use: preview)
        api.post("content/:name/test-send", use: testSend)
        api.get("contacts/:id/emails", use: contactEmails)
        api.get("emails/stats", use: stats)
        api.get("suppressions", use: suppressions)
        api.post("suppressions", use: addSuppression)
        api.delete("suppressions/:email", use: removeSuppression)
        api.post("inbound", use: inbound)
    }

    func setup() async throws -> MailSetup {
        guard let setup = await services.mail.setup else {
            throw APIError(.serviceUnavailable, code: "mail_not_configured", message: "email is not set up: start the server with --config")
        }
        return setup
    }

    func template(_ context: TrellisRequestContext, in setup: MailSetup) throws -> ContentTemplate {
        let name = context.parameters.get("name") ?? ""
        guard let template = setup.library.templates[name] else { throw APIError.notFound("no template named '\(name)' in the content library") }
        return template
    }

    func summary(_ template: ContentTemplate) -> JSONValue {
        [
            "name": .string(template.name), "subject": .string(template.sources.subject), "stage": template.stage.map { .string($0.rawValue) } ?? .null,
            "topic": template.topic.map { .string($0) } ?? .null, "kind": .string(template.kind.rawValue),
            "description": template.description.map { .string($0) } ?? .null,
        ]
    }

    @Sendable func list(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContent)
        let setup = try await setup()
        let stage = request.uri.queryParameters["stage"].map(String.init)
        let topic = request.uri.queryParameters["topic"].map(String.init)
        if let stage, ContentTemplate.Stage(rawValue: stage) == nil {
            throw APIError(.badRequest, code: "invalid_parameter", message: "stage must be awareness, consideration or decision", field: "stage")
        }
        let items = setup.library.names.compactMap { setup.library.templates[$0] }
            .filter { stage == nil || $0.stage?.rawValue == stage }.filter { topic == nil || $0.topic == topic }
        return JSONResponse.make(["items": .array(items.map(summary))])
    }

    @Sendable func show(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContent)
        let template = try template(context, in: try await setup())
        guard case .object(var object) = summary(template) else { fatalError("an object") }
        object["preheader"] = template.sources.preheader.map { .string($0) } ?? .null
        object["html"] = .string(template.sources.html)
        object["text"] = template.sources.text.map { .string($0) } ?? .null
        object["fallbacks"] = .object(template.fallbacks.mapValues { .string($0) })
        return JSONResponse.make(.object(object))
    }

    func contact(_ body: [String: JSONValue]) async throws -> Contact {
        guard let value = body["contactId"] else { throw APIError(.badRequest, code: "missing_field", message: "contactId is required", field: "contactId") }
        guard let id = value.intValue, id > 0 else {
            throw APIError(.badRequest, code: "invalid_field", message: "contactId must be a positive whole number", field: "contactId")
        }
        guard let contact = try await services.store.contact(id: Int64(id)) else { throw APIError.notFound("contact \(id) does not exist") }
        return contact
    }

    /// The email as this contact would get it now, and what the guard rails would say.
    @Sendable func preview(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContent)
        let setup = try await setup()
        let template = try template(context, in: setup)
        let contact = try await contact(try await Query.jsonObject(request))
        let account = try await contact.accountId.asyncMap { try await services.store.account(id: $0) } ?? nil
        let content: RenderedContent
        do {
            content = try MailComposer(setup: setup).render(template: template.name, contact: contact, account: account, sendId: 0)
        } catch {
            throw APIError(.unprocessableContent, code: "cannot_render", message: "\(error)")
        }
        let now = services.clock.now()
        let suppression = try await contact.email.asyncMap { try await services.store.suppression(email: $0) } ?? nil
        let recent = try await services.store.sentTimes(contactId: contact.id, kind: template.kind, since: now.adding(days: -30))
        let zone = contact.traits["timezone"]?.stringValue ?? "UTC"
        let decision = setup.policy.decide(
            SendCandidate(
                contact: contact, kind: template.kind, recentSends: recent, suppression: suppression?.reason, topic: template.topic,
                utcOffset: { SystemTimeZones().offset(zone: zone, at: $0) }), at: now)
        let verdict: JSONValue =
            switch decision {
            case .send: ["decision": "send"]
            case .deferred(let until, let reason): ["decision": "defer", "until": .string(until.iso8601), "reason": .string(reason)]
            case .skipped(let reason, let detail): ["decision": "skip", "reason": .string(reason.code), "detail": .string(detail)]
            case .refused(let reason): ["decision": "refuse", "reason": .string(reason)]
            }
        return JSONResponse.make([
            "template": .string(template.name), "contactId": .int(contact.id), "subject": .string(content.subject),
            "preheader": content.preheader.map { .string($0) } ?? .null, "html": .string(content.html), "text": .string(content.text),
            "guardRails": verdict,
        ])
    }

    /// Queues the template for a colleague's address, rendered with a contact's data. Marked
    /// `[Test]`, untracked, and its unsubscribe link changes nothing.
    @Sendable func testSend(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let key = try await services.authenticator.bearer(request, needs: .sendEmail)
        let setup = try await setup()
        let template = try template(context, in: setup)
        let body = try await Query.jsonObject(request)
        let contact = try await contact(body)
        guard let to = body["to"]?.stringValue, let address = MailAddress(parsing: to) else {
            throw APIError(.badRequest, code: "invalid_field", message: "to must be the email address to send the test to", field: "to")
        }
        guard await services.mail.transport != nil else {
            throw APIError(.serviceUnavailable, code: "smtp_not_configured", message: "no SMTP server is configured (smtp in the config)")
        }
        var random = SystemRandomNumberGenerator()
        let send = try await services.store.queueSend(
            NewEmailSend(
                key: "test-\(key.id)-\(String(random.next(), radix: 36))", contactId: contact.id, template: template.name, kind: .transactional,
                to: address.address, at: services.clock.now()))
        services.mail.notify()
        return JSONResponse.make(representation(send), status: .accepted)
    }

    func representation(_ send: EmailSend) -> JSONValue {
        [
            "id": .int(send.id), "template": .string(send.template), "kind": .string(send.kind.rawValue), "status": .string(send.status.rawValue),
            "workflow": send.workflow.map { .string($0) } ?? .null, "step": send.step.map { .string($0) } ?? .null,
            "to": send.to.map { .string($0) } ?? .null, "attempts": .int(Int64(send.attempts)),
            "nextAttemptAt": send.status == .deferred || send.status == .queued ? .string(send.nextAttemptAt.iso8601) : .null,
            "messageId": send.messageId.map { .string($0) } ?? .null, "lastError": send.lastError.map { .string($0) } ?? .null,
            "createdAt": .string(send.createdAt.iso8601), "sentAt": send.sentAt.map { .string($0.iso8601) } ?? .null,
        ]
    }

    @Sendable func contactEmails(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let id = try Query.id(context)
        guard try await services.store.contact(id: id) != nil else { throw APIError.notFound("contact \(id) does not exist") }
        let sends = try await services.store.emailSends(contactId: id, limit: 200)
        return JSONResponse.make(["items": .array(sends.map(representation))])
    }

    @Sendable func stats(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContent)
        let counts = try await services.store.emailSendCounts()
        return JSONResponse.make(["byStatus": .object(counts.mapValues { .int(Int64($0)) })])
    }

    // MARK: Suppressions

    @Sendable func suppressions(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let limit = try Query.limit(request.uri.queryParameters, default: 100, max: 1000)
        let items = try await services.store.suppressions(after: request.uri.queryParameters["cursor"].map(String.init), limit: limit)
        return JSONResponse.make([
            "items": .array(
                items.map { ["email": .string($0.email), "reason": .string($0.reason.rawValue), "detail": .string($0.detail), "createdAt": .string($0.createdAt.iso8601)] }),
            "next": items.count == limit ? items.last.map { .string($0.email) } ?? .null : .null,
        ])
    }

    @Sendable func addSuppression(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let key = try await services.authenticator.bearer(request, needs: .manageSuppressions)
        let body = try await Query.jsonObject(request)
        guard let text = body["email"]?.stringValue, let address = MailAddress(parsing: text), address.name == nil else {
            throw APIError(.badRequest, code: "invalid_field", message: "email must be an email address", field: "email")
        }
        let detail = body["detail"]?.stringValue ?? "added by \(key.name)"
        try await services.store.suppress(email: address.address, reason: .manual, detail: detail, at: services.clock.now())
        return JSONResponse.make(["email": .string(address.address.lowercased()), "reason": "manual", "detail": .string(detail)], status: .created)
    }

    @Sendable func removeSuppression(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageSuppressions)
        let email = context.parameters.get("email")?.removingPercentEncoding ?? ""
        guard try await services.store.removeSuppression(email: email) else { throw APIError.notFound("\(email) is not suppressed") }
        return Response(status: .noContent)
    }

    // MARK: Inbound

    @Sendable func inbound(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .reportInbound)
        let setup = await services.mail.setup
        let raw = String(decoding: try await RequestBody.read(request, limit: 2 * 1024 * 1024), as: UTF8.self)
        let processor = InboundProcessor(store: services.store, clock: services.clock, signer: setup?.signer, softBounceLimit: setup?.softBounceLimit ?? 3)
        do {
            let outcome = try await processor.process(raw)
            for event in outcome.events { services.metrics.emailEvent(event) }
            services.qualify.notify()
            services.workflows.notify()
            return JSONResponse.make([
                "kind": .string(outcome.kind), "suppressed": .array(outcome.suppressed.map { .string($0) }), "events": .array(outcome.events.map { .string($0) }),
                "notes": .array(outcome.notes.map { .string($0) }),
            ])
        } catch let error as InboundProcessor.Unrecognized {
            throw APIError(.unprocessableContent, code: "not_a_report", message: error.description, field: "body")
        }
    }
}
