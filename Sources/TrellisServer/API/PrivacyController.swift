import Hummingbird
import NIOCore
import TrellisCore
import TrellisStore

/// GDPR: `GET /api/v1/contacts/{id}/export` (everything kept about the person, as JSON) and
/// `POST /api/v1/contacts/{id}/erase` (personal data deleted, aggregates kept without it, the
/// address kept only as a hash so it never comes back). Both go to the audit log.
struct PrivacyController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("contacts/:id/export", use: export)
        api.post("contacts/:id/erase", use: erase)
        api.get("reports/consent", use: consentReport)
    }

    @Sendable func export(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let id = try Query.id(context)
        let store = services.store
        guard let contact = try await store.contact(id: id) else { throw APIError.notFound("contact \(id) does not exist") }
        var events: [JSONValue] = []
        var before: Int64?
        while true {
            let page = try await store.timeline(contactId: contact.id, before: before, limit: 1000)
            events += page.map(\.apiJSON)
            guard page.count == 1000, let last = page.last else { break }
            before = last.seq
        }
        let account: JSONValue = (try await contact.accountId.asyncMap { try await store.account(id: $0)?.apiJSON } ?? nil) ?? .null
        let score: JSONValue = try await store.score(contactId: contact.id).map { $0.state.json } ?? .null
        let body: JSONValue = [
            "exportedAt": .string(services.clock.now().iso8601),
            "contact": contact.apiJSON,
            "account": account,
            "consentRecords": .array(try await store.consentRecords(contactId: contact.id).map(\.apiJSON)),
            "events": .array(events),
            "emails": .array(try await store.emailSends(contactId: contact.id, limit: 100_000).map(MailController(services: services).representation)),
            "segments": .array(
                try await store.memberships(contactId: contact.id).map { ["segment": .string($0.segment), "since": .string($0.since.iso8601)] }),
            "score": score,
            "workflows": .array(
                WorkflowsController.representation(try await store.workflowRuns(contactId: contact.id), actions: try await store.workflowActions(contactId: contact.id))),
            "handoffs": .array(try await store.handoffs(status: nil, owner: nil, contactId: contact.id, limit: 10_000).map(SalesController(services: services).representation)),
        ]
        var response = JSONResponse.make(body)
        response.headers[.contentDisposition] = "attachment; filename=\"contact-\(contact.id).json\""
        return response
    }

    @Sendable func erase(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .deleteContacts)
        let id = try Query.id(context)
        guard let receipt = try await services.store.eraseContact(id: id, at: services.clock.now()) else {
            throw APIError.notFound("contact \(id) does not exist")
        }
        return JSONResponse.make([
            "contactId": .int(receipt.contactId), "erased": true, "events": .int(Int64(receipt.events)), "consentRecords": .int(Int64(receipt.consentRecords)),
            "sendsKept": .int(Int64(receipt.sendsKept)), "handoffsKept": .int(Int64(receipt.handoffsKept)),
            "addressesSuppressed": .int(Int64(receipt.addressesSuppressed)),
        ])
    }
}

extension PrivacyController {
    /// `GET /api/v1/reports/consent?from=&to=[&format=csv]`: the consent evidence recorded in a
    /// period. JSON: counts by channel and status, by method and by text version, and how many
    /// grants lack the text that was shown; CSV: every record with the contact's address, for an
    /// auditor or a data protection officer.
    @Sendable func consentReport(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let (from, to) = try ReportsController.period(request)
        let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard ["json", "csv"].contains(format) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "format must be json or csv", field: "format")
        }
        let evidence = try await services.store.consentEvidence(from: from, to: to)
        if format == "csv" {
            var lines = ["recorded_at,contact_id,email,channel,status,basis,method,text_version,text,location,ip_address,user_agent,expires_at"]
            for (record, email) in evidence {
                let fields = [
                    record.recordedAt.iso8601, String(record.contactId), email ?? "", record.channel, record.status.rawValue, record.basis.rawValue,
                    record.method.rawValue, record.textVersion ?? "", record.text ?? "", record.location ?? "", record.ipAddress ?? "", record.userAgent ?? "",
                    record.expiresAt?.iso8601 ?? "",
                ]
                lines.append(fields.map(CSVParser.escape).joined(separator: ","))
            }
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\n") + "\n")))
            response.headers[.contentType] = "text/csv; charset=utf-8"
            response.headers[.contentDisposition] = "attachment; filename=\"consent-\(from.iso8601.prefix(10))-\(to.iso8601.prefix(10)).csv\""
            return response
        }
        func counts(_ key: (ConsentRecord) -> String) -> JSONValue {
            .object(Dictionary(grouping: evidence, by: { key($0.record) }).mapValues { .int(Int64($0.count)) })
        }
        let grants = evidence.filter { $0.record.status == .granted }
        return JSONResponse.make([
            "from": .string(from.iso8601), "to": .string(to.iso8601), "records": .int(Int64(evidence.count)),
            "contacts": .int(Int64(Set(evidence.map(\.record.contactId)).count)),
            "byChannelAndStatus": counts { "\($0.channel):\($0.status.rawValue)" },
            "byMethod": counts { $0.method.rawValue },
            "byTextVersion": counts { $0.textVersion ?? "none" },
            "grantsWithoutText": .int(Int64(grants.filter { ($0.record.text ?? "").isEmpty }.count)),
        ])
    }
}
