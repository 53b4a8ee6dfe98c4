import Hummingbird
import NIOCore
import TrellisCore
import TrellisStore

/// `/api/v1/contacts` and `/api/v1/accounts`: read, filter, page, edit and delete.
struct ContactsController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("contacts", use: list)
        api.get("contacts/:id", use: show)
        api.patch("contacts/:id", use: update)
        api.delete("contacts/:id", use: delete)
        api.get("contacts/:id/timeline", use: timeline)
        api.get("contacts/:id/consent", use: consent)
        api.get("accounts/:id", use: account)
    }

    @Sendable func list(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let query = request.uri.queryParameters
        var contactQuery = ContactQuery(limit: try Query.limit(query, default: 50, max: 500))
        contactQuery.email = query["email"].map(String.init)
        contactQuery.userId = query["userId"].map(String.init)
        contactQuery.afterId = try Query.cursor(query)
        let contacts = try await services.store.contacts(contactQuery)
        let next: JSONValue = contacts.count == contactQuery.limit ? .string(String(contacts.last!.id)) : .null
        return JSONResponse.make(["items": .array(contacts.map(\.apiJSON)), "next": next])
    }

    @Sendable func show(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let id = try Query.id(context)
        guard let contact = try await services.store.contact(id: id) else { throw APIError.notFound("contact \(id) does not exist") }
        return JSONResponse.make(contact.apiJSON)
    }

    @Sendable func update(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let key = try await services.authenticator.bearer(request, needs: .editContacts)
        let id = try Query.id(context)
        let body = try await Query.jsonObject(request)
        let reader = try ObjectReader(.object(body), path: "")
        try reader.rejectUnknown(["email", "traits", "stage", "stageReason", "owner"])
        var patch = ContactPatch()
        if let value = body["email"] {
            if value.isNull {
                patch.email = .some(nil)
            } else {
                guard let email = value.stringValue, Traits.isPlausibleEmail(email) else {
                    throw APIError(.badRequest, code: "invalid_field", message: "email must be an email address", field: "email")
                }
                patch.email = .some(email)
            }
        }
        if let value = body["traits"] {
            guard case .object(let traits) = value else {
                throw APIError(.badRequest, code: "invalid_field", message: "traits must be an object, got \(value.kindName)", field: "traits")
            }
            patch.traits = traits
        }
        if let value = body["stage"] {
            if value.isNull {
                patch.stage = .some(nil)
            } else {
                guard let label = value.stringValue, let stage = LifecycleStage(label: label) else {
                    throw APIError(
                        .badRequest, code: "invalid_field",
                        message: "stage must be one of \(LifecycleStage.allCases.map(\.rawValue).joined(separator: ", "))", field: "stage")
                }
                patch.stage = .some(stage)
            }
        }
        if let value = body["owner"] {
            guard value.isNull || value.stringValue != nil else {
                throw APIError(.badRequest, code: "invalid_field", message: "owner must be a string or null", field: "owner")
            }
            patch.owner = .some(value.stringValue)
        }
        patch.stageReason = try reader.string("stageReason")
        if case .some(.some(let target)) = patch.stage, patch.stageReason == nil,
            let current = try await services.store.contact(id: id)?.stage, current.isBackward(to: target)
        {
            // Velocity reports rely on the stage history; a step back has to say why.
            throw APIError(
                .badRequest, code: "reason_required",
                message: "moving a contact back from \(current.rawValue) to \(target.rawValue) needs a stageReason", field: "stageReason")
        }
        let contact = try await services.store.updateContact(id: id, patch, at: services.clock.now(), actor: key.id)
        services.qualify.notify()
        return JSONResponse.make(contact.apiJSON)
    }

    @Sendable func delete(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .deleteContacts)
        let id = try Query.id(context)
        guard try await services.store.deleteContact(id: id) else { throw APIError.notFound("contact \(id) does not exist") }
        return Response(status: .noContent)
    }

    @Sendable func timeline(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let id = try Query.id(context)
        guard let contact = try await services.store.contact(id: id) else { throw APIError.notFound("contact \(id) does not exist") }
        let query = request.uri.queryParameters
        let limit = try Query.limit(query, default: 50, max: 500)
        let events = try await services.store.timeline(contactId: contact.id, before: try Query.cursor(query), limit: limit)
        let next: JSONValue = events.count == limit ? .string(String(events.last!.seq)) : .null
        return JSONResponse.make(["items": .array(events.map(\.apiJSON)), "next": next])
    }

    @Sendable func consent(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let id = try Query.id(context)
        guard let contact = try await services.store.contact(id: id) else { throw APIError.notFound("contact \(id) does not exist") }
        let records = try await services.store.consentRecords(contactId: contact.id)
        return JSONResponse.make(["items": .array(records.map(\.apiJSON))])
    }

    @Sendable func account(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let id = try Query.id(context)
        guard let account = try await services.store.account(id: id) else { throw APIError.notFound("account \(id) does not exist") }
        let contacts = try await services.store.contacts(accountId: id, limit: 500)
        guard case .object(var object) = account.apiJSON else { fatalError("an account is an object") }
        object["contacts"] = .array(contacts.map(\.apiJSON))
        return JSONResponse.make(.object(object))
    }
}

/// Parsing of path and query parameters, with errors that name the parameter.
enum Query {
    static func id(_ context: TrellisRequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "id must be a positive whole number, got '\(text)'", field: "id")
        }
        return id
    }

    static func limit(_ query: Parameters, default fallback: Int, max: Int) throws -> Int {
        guard let text = query["limit"] else { return fallback }
        guard let limit = Int(text), (1...max).contains(limit) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "limit must be a whole number from 1 to \(max)", field: "limit")
        }
        return limit
    }

    static func cursor(_ query: Parameters) throws -> Int64? {
        guard let text = query["cursor"] else { return nil }
        guard let cursor = Int64(text), cursor >= 0 else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "cursor must be the 'next' value of a previous page", field: "cursor")
        }
        return cursor
    }

    static func jsonObject(_ request: Request, limit: Int = 256 * 1024) async throws -> [String: JSONValue] {
        guard RequestBody.mediaType(request) == "application/json" else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "Content-Type must be application/json")
        }
        let body = try await RequestBody.read(request, limit: limit)
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw APIError(.badRequest, code: "invalid_json", message: error.description)
        }
        guard case .object(let object) = value else {
            throw APIError(.badRequest, code: "invalid_body", message: "the body must be a JSON object, got \(value.kindName)")
        }
        return object
    }
}
