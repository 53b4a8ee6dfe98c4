import Hummingbird
import NIOCore
import TrellisCore
import TrellisStore

/// `/api/v1/forms`: define forms through the API (the same definitions YAML files hold).
struct FormsController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("forms", use: list)
        api.post("forms", use: create)
        api.get("forms/:key", use: show)
        api.put("forms/:key", use: replace)
        api.delete("forms/:key", use: delete)
    }

    @Sendable func list(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readForms)
        let forms = try await services.store.forms()
        return JSONResponse.make(["items": .array(forms.map { Self.representation($0, request: request) })])
    }

    @Sendable func show(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readForms)
        let key = context.parameters.get("key") ?? ""
        guard let form = try await services.store.form(key: key) else { throw APIError.notFound("form '\(key)' does not exist") }
        return JSONResponse.make(Self.representation(form, request: request))
    }

    @Sendable func create(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageForms)
        let form = try FormDefinition(json: .object(try await Query.jsonObject(request)))
        if try await services.store.form(key: form.key) != nil {
            throw APIError(.conflict, code: "conflict", message: "form '\(form.key)' exists; PUT /api/v1/forms/\(form.key) replaces it", field: "key")
        }
        try await services.store.saveForm(form, at: services.clock.now())
        var response = JSONResponse.make(Self.representation(form, request: request), status: .created)
        response.headers[.location] = "/api/v1/forms/\(form.key)"
        return response
    }

    @Sendable func replace(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageForms)
        var body = try await Query.jsonObject(request)
        let key = context.parameters.get("key") ?? ""
        if let given = body["key"]?.stringValue, given != key {
            throw APIError(.badRequest, code: "invalid_field", message: "key in the body ('\(given)') differs from the path ('\(key)')", field: "key")
        }
        body["key"] = .string(key)
        let form = try FormDefinition(json: .object(body))
        try await services.store.saveForm(form, at: services.clock.now())
        return JSONResponse.make(Self.representation(form, request: request))
    }

    @Sendable func delete(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageForms)
        let key = context.parameters.get("key") ?? ""
        guard try await services.store.deleteForm(key: key) else { throw APIError.notFound("form '\(key)' does not exist") }
        return Response(status: .noContent)
    }

    /// The definition plus where it is served and how to embed it.
    static func representation(_ form: FormDefinition, request: Request) -> JSONValue {
        guard case .object(var object) = form.json else { return form.json }
        let base = request.head.authority.map { "http://\($0)" } ?? ""
        object["url"] = .string("\(base)/f/\(form.key)")
        object["embed"] = [
            "script": .string("<script src=\"\(base)/f/\(form.key)/embed.js\" async></script>"),
            "iframe": .string("<iframe src=\"\(base)/f/\(form.key)?embed=1\" title=\"\(HTML.escape(form.title))\" style=\"border:0;width:100%;min-height:480px\"></iframe>"),
        ]
        return .object(object)
    }
}
