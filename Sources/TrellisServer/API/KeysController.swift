import Hummingbird
import TrellisCore
import TrellisStore

/// `GET /api/v1/keys` (ids, roles, prefixes; never secrets) and `DELETE /api/v1/keys/{id}`
/// (revocation, effective at once on this server). Admin keys only; keys are made with
/// `trellis keys create`, which shows the secret once.
struct KeysController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("keys", use: list)
        api.delete("keys/:id", use: revoke)
    }

    @Sendable func list(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageKeys)
        let items: [JSONValue] = try await services.store.apiKeys().map { key in
            [
                "id": .string(key.id), "name": .string(key.name), "role": .string(key.role.rawValue), "prefix": .string(key.prefix),
                "source": .string(key.source), "createdAt": .string(key.createdAt.iso8601),
            ]
        }
        return JSONResponse.make(["items": .array(items)])
    }

    @Sendable func revoke(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let caller = try await services.authenticator.bearer(request, needs: .manageKeys)
        let id = context.parameters.get("id") ?? ""
        guard id != caller.id else {
            throw APIError(.conflict, code: "conflict", message: "a key cannot revoke itself; use another admin key or trellis keys revoke")
        }
        guard let record = try await services.store.deleteAPIKey(id: id) else { throw APIError.notFound("no API key has the id \(id)") }
        services.authenticator.forget(hash: record.hash)
        return Response(status: .noContent)
    }
}
