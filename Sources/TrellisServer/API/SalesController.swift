import Foundation
import Hummingbird
import TrellisCore
import TrellisMail
import TrellisStore

/// The sales side: the queue (`/api/v1/handoffs`), feedback through the API, the signed links in
/// the owner's email (`/h/{token}`), the CRM's callback, webhook deliveries (with the dead
/// letters) and the rejection report.
struct SalesController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("handoffs", use: list)
        api.get("handoffs/rejections", use: rejections)
        api.get("handoffs/:id", use: show)
        api.post("handoffs/:id/feedback", use: feedback)
        api.post("crm/callback", use: callback)
        api.get("webhooks/deliveries", use: deliveries)
        router.get("h/:token", use: linkPage)
        router.post("h/:token", use: linkAction)
    }

    func representation(_ handoff: Handoff) -> JSONValue {
        [
            "id": .int(handoff.id), "contactId": .int(handoff.contactId), "owner": .string(handoff.owner), "team": .string(handoff.team),
            "reason": .string(handoff.reason), "assignmentReason": .string(handoff.assignmentReason), "status": .string(handoff.status.rawValue),
            "createdAt": .string(handoff.createdAt.iso8601), "dueAt": .string(handoff.dueAt.iso8601),
            "firstTouchAt": handoff.firstTouchAt.map { .string($0.iso8601) } ?? .null,
            "timeToFirstTouchSeconds": handoff.timeToFirstTouch.map { .int($0 / 1000) } ?? .null,
            "lapsedAt": handoff.lapsedAt.map { .string($0.iso8601) } ?? .null, "outcomeReason": handoff.outcomeReason.map(JSONValue.string) ?? .null,
            "amount": handoff.amount.map(JSONValue.double) ?? .null, "context": handoff.context,
        ]
    }

    @Sendable func list(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let query = request.uri.queryParameters
        var status: Handoff.Status?
        if let text = query["status"].map(String.init) {
            guard let parsed = Handoff.Status(rawValue: text) else {
                throw APIError(
                    .badRequest, code: "invalid_parameter", message: "status must be one of \(Handoff.Status.allCases.map(\.rawValue).joined(separator: ", "))",
                    field: "status")
            }
            status = parsed
        }
        var contactId: Int64?
        if let text = query["contactId"].map(String.init) {
            guard let id = Int64(text), id > 0 else { throw APIError(.badRequest, code: "invalid_parameter", message: "contactId must be a positive number", field: "contactId") }
            contactId = id
        }
        let items = try await services.store.handoffs(status: status, owner: query["owner"].map(String.init), contactId: contactId, limit: 200)
        return JSONResponse.make(["items": .array(items.map(representation))])
    }

    func handoff(_ context: TrellisRequestContext) async throws -> Handoff {
        let id = try Query.id(context)
        guard let handoff = try await services.store.handoff(id: id) else { throw APIError.notFound("handoff \(id) does not exist") }
        return handoff
    }

    @Sendable func show(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        return JSONResponse.make(representation(try await handoff(context)))
    }

    /// `{"outcome": "rejected", "reason": "no_budget", "note": "…", "amount": 12000}`
    static func parseFeedback(_ body: [String: JSONValue]) throws -> HandoffFeedback {
        guard let outcome = body["outcome"]?.stringValue else {
            throw APIError(.badRequest, code: "missing_field", message: "outcome is required (accepted, rejected, recycled, opportunity, won, lost)", field: "outcome")
        }
        let note = body["note"]?.stringValue
        var amount: Double?
        if let value = body["amount"], !value.isNull {
            guard let number = value.doubleValue, number >= 0 else {
                throw APIError(.badRequest, code: "invalid_field", message: "amount must be a number of at least 0", field: "amount")
            }
            amount = number
        }
        switch outcome {
        case "accepted": return .accepted
        case "rejected":
            guard let text = body["reason"]?.stringValue, let reason = RejectionReason(rawValue: text) else {
                throw APIError(
                    .badRequest, code: "invalid_field",
                    message: "a rejection needs a reason: \(RejectionReason.allCases.map(\.rawValue).joined(separator: ", "))", field: "reason")
            }
            return .rejected(reason, note: note)
        case "recycled": return .recycled(note: note)
        case "opportunity": return .opportunity(amount: amount)
        case "won": return .won(amount: amount)
        case "lost": return .lost(amount: amount, note: note)
        default:
            throw APIError(.badRequest, code: "invalid_field", message: "outcome must be accepted, rejected, recycled, opportunity, won or lost", field: "outcome")
        }
    }

    func apply(_ feedback: HandoffFeedback, to id: Int64) async throws -> Handoff {
        do {
            let updated = try await services.sales.feedback(handoffId: id, feedback)
            services.qualify.notify()
            services.workflows.notify()
            services.sales.notify()
            return updated
        } catch let error as SalesService.FeedbackError {
            switch error {
            case .unknown: throw APIError.notFound(error.description)
            case .closed: throw APIError(.conflict, code: "handoff_closed", message: error.description)
            }
        }
    }

    @Sendable func feedback(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .editContacts)
        let id = try Query.id(context)
        let feedback = try Self.parseFeedback(try await Query.jsonObject(request))
        return JSONResponse.make(representation(try await apply(feedback, to: id)))
    }

    /// The CRM's word on a lead, signed like our webhooks (`X-Trellis-Signature: t=…,v1=…` over
    /// "t.body" with the webhook secret, at most five minutes old).
    @Sendable func callback(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let webhook = await services.sales.setup?.handoff.webhook else {
            throw APIError(.notFound, code: "not_configured", message: "no CRM webhook is configured (handoff.webhook in the sales file)")
        }
        let body = try await RequestBody.read(request, limit: 64 * 1024)
        let header = request.headers[.init("X-Trellis-Signature")!] ?? ""
        let parts = Dictionary(header.split(separator: ",").compactMap { part -> (String, String)? in
            let pair = part.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]).trimmed, String(pair[1]).trimmed) : nil
        }, uniquingKeysWith: { first, _ in first })
        let now = services.clock.now().millisecondsSinceEpoch / 1000
        guard let time = parts["t"].flatMap(Int64.init), abs(now - time) <= 300, let mac = parts["v1"],
            LinkDigest.verifyHex(mac, key: Array(webhook.secret.utf8), message: Array("\(time).".utf8) + body)
        else {
            throw APIError(.unauthorized, code: "bad_signature", message: "X-Trellis-Signature must be t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">, made within 5 minutes", field: "X-Trellis-Signature")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch { throw APIError(.badRequest, code: "invalid_json", message: error.description) }
        guard case .object(let object) = value else { throw APIError(.badRequest, code: "invalid_body", message: "the body must be a JSON object") }
        guard let id = object["handoffId"]?.intValue else {
            throw APIError(.badRequest, code: "missing_field", message: "handoffId is required", field: "handoffId")
        }
        return JSONResponse.make(representation(try await apply(try Self.parseFeedback(object), to: Int64(id))))
    }

    @Sendable func deliveries(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        var status: WebhookDelivery.Status?
        if let text = request.uri.queryParameters["status"].map(String.init) {
            guard let parsed = WebhookDelivery.Status(rawValue: text) else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "status must be pending, sending, delivered or dead", field: "status")
            }
            status = parsed
        }
        let items = try await services.store.webhookDeliveries(status: status, limit: 200)
        return JSONResponse.make([
            "items": .array(
                items.map {
                    [
                        "id": .int($0.id), "handoffId": $0.handoffId.map(JSONValue.int) ?? .null, "kind": .string($0.kind), "url": .string($0.url),
                        "status": .string($0.status.rawValue), "attempts": .int(Int64($0.attempts)), "lastError": $0.lastError.map(JSONValue.string) ?? .null,
                        "createdAt": .string($0.createdAt.iso8601), "deliveredAt": $0.deliveredAt.map { .string($0.iso8601) } ?? .null,
                    ]
                })
        ])
    }

    @Sendable func rejections(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let rows = try await services.store.rejectionReport()
        return JSONResponse.make([
            "items": .array(rows.map { ["reason": .string($0.reason), "by": .string($0.dimension), "value": .string($0.value), "count": .int(Int64($0.count))] })
        ])
    }

    // MARK: Links in the owner's email

    func verify(_ context: TrellisRequestContext) async throws -> LinkPayload {
        guard let setup = await services.mail.setup else { throw APIError(.serviceUnavailable, code: "mail_not_configured", message: "links are not set up") }
        do {
            let payload = try setup.signer.verify(context.parameters.get("token") ?? "")
            guard payload.purpose == .handoff else { throw LinkSigner.Invalid(description: "not a handoff link") }
            return payload
        } catch {
            throw APIError(.badRequest, code: "invalid_link", message: "\(error); nothing was changed", field: "token")
        }
    }

    /// A GET only shows the choice (mail scanners fetch links): the button POSTs it.
    @Sendable func linkPage(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let payload = try await verify(context)
        guard let handoff = try await services.store.handoff(id: payload.sendId) else { throw APIError.notFound("handoff \(payload.sendId) does not exist") }
        let action = request.uri.queryParameters["action"].map(String.init) ?? "accept"
        let name = HTML.escape(SalesService.name(handoff.context.objectValue ?? [:]))
        var body = "<h1>\(name)</h1><p>\(HTML.escape(handoff.reason))</p><p>Status: <strong>\(handoff.status.rawValue)</strong></p>"
        let token = HTML.escape(context.parameters.get("token") ?? "")
        body += "<form method=\"post\" action=\"/h/\(token)\">"
        if action == "reject" {
            body += "<label for=\"reason\">Why?</label> <select id=\"reason\" name=\"reason\">"
            for reason in RejectionReason.allCases { body += "<option value=\"\(reason.rawValue)\">\(reason.rawValue.replacingOccurrences(of: "_", with: " "))</option>" }
            body += "</select> "
        }
        let label = ["accept": "Accept this lead", "reject": "Reject this lead", "recycle": "Send back to nurture"][action] ?? "Accept this lead"
        body += "<input type=\"hidden\" name=\"action\" value=\"\(HTML.escape(action))\"><button type=\"submit\" autofocus>\(label)</button></form>"
        return try HTMLResponse(html: HTML.page(title: "Lead: \(name)", body: body), headers: [.cacheControl: "no-store"])
            .response(from: request, context: context)
    }

    @Sendable func linkAction(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let payload = try await verify(context)
        let values = HostedFormsController.urlDecoded(String(decoding: try await RequestBody.read(request, limit: 16 * 1024), as: UTF8.self))
        let feedback: HandoffFeedback
        switch values["action"] {
        case "accept": feedback = .accepted
        case "recycle": feedback = .recycled(note: values["note"])
        case "reject":
            guard let reason = values["reason"].flatMap(RejectionReason.init(rawValue:)) else {
                throw APIError(.badRequest, code: "invalid_field", message: "reason must be one of \(RejectionReason.allCases.map(\.rawValue).joined(separator: ", "))", field: "reason")
            }
            feedback = .rejected(reason, note: values["note"])
        default: throw APIError(.badRequest, code: "invalid_field", message: "action must be accept, reject or recycle", field: "action")
        }
        let updated = try await apply(feedback, to: payload.sendId)
        return try HTMLResponse(
            html: HTML.page(title: "Thanks", body: "<h1>Done</h1><p role=\"status\">The lead is now <strong>\(updated.status.rawValue)</strong>.</p>")
        ).response(from: request, context: context)
    }
}
