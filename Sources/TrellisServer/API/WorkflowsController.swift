import Hummingbird
import TrellisCore
import TrellisMail
import TrellisStore

/// `/api/v1/workflows`: upload versions (JSON or YAML), publish, pause, archive, per-step counts,
/// and a contact's runs.
struct WorkflowsController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("workflows", use: list)
        api.post("workflows", use: upload)
        api.get("workflows/:name", use: show)
        api.post("workflows/:name/publish", use: { request, context in try await setStatus(request, context, .published) })
        api.post("workflows/:name/pause", use: { request, context in try await setStatus(request, context, .paused) })
        api.post("workflows/:name/archive", use: { request, context in try await setStatus(request, context, .archived) })
        api.get("contacts/:id/workflows", use: contactRuns)
    }

    @Sendable func list(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let versions = try await services.store.workflowVersions()
        let latest = Dictionary(grouping: versions, by: \.name).compactMap { $0.value.max { $0.version < $1.version } }.sorted { $0.name < $1.name }
        return JSONResponse.make(["items": .array(latest.map { record in representation(record, versions: versions) })])
    }

    @Sendable func upload(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageSegments)
        let (value, yaml) = try await RuleBody.document(request)
        let definition = try await checked(value, yaml: yaml)
        let publish = request.uri.queryParameters["publish"] == "true"
        let record = try await services.store.saveWorkflow(definition, status: publish ? .published : .draft, at: services.clock.now())
        try await services.workflows.reload()
        var response = JSONResponse.make(representation(record, versions: [record]), status: .created)
        response.headers[.location] = "/api/v1/workflows/\(record.name)"
        return response
    }

    /// A definition checked as the API and the console save it: its own rules, the workflows it
    /// enrolls into, and (when email is set up) the templates of the content library. A problem
    /// is a 400 naming the field, and the line when the definition came as YAML.
    func checked(_ value: JSONValue, yaml: YAMLDocument?) async throws -> WorkflowDefinition {
        let definition = try RuleBody.withLine(yaml) { () throws(InputError) in try WorkflowDefinition(json: value) }
        let known = Set(try await services.store.workflowVersions().map(\.name)).union([definition.name])
        let templates = await services.mail.setup.map { Set($0.library.names) }
        if let problem = definition.problems(templates: templates, workflows: known).first {
            var error = APIError(problem)
            if let yaml, let line = yaml.line(for: problem.field) {
                error.message = "line \(line): \(problem.description)"
                error.extra["line"] = .int(Int64(line))
            }
            throw error
        }
        return definition
    }

    @Sendable func show(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let name = context.parameters.get("name") ?? ""
        let versions = try await services.store.workflowVersions().filter { $0.name == name }
        guard let latest = versions.last else { throw APIError.notFound("workflow '\(name)' does not exist") }
        guard case .object(var object) = representation(latest, versions: versions) else { fatalError("an object") }
        object["definition"] = latest.definition.source
        let counts = try await services.store.workflowStepCounts(name: name)
        object["steps"] = .object(counts.mapValues { byKind in .object(byKind.mapValues { .int(Int64($0)) }) })
        return JSONResponse.make(.object(object))
    }

    func setStatus(_ request: Request, _ context: TrellisRequestContext, _ status: WorkflowStatus) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageSegments)
        let name = context.parameters.get("name") ?? ""
        guard let record = try await services.store.setWorkflowStatus(name: name, status, at: services.clock.now()) else {
            throw APIError.notFound("workflow '\(name)' does not exist")
        }
        try await services.workflows.reload()
        services.workflows.notify()
        return JSONResponse.make(representation(record, versions: [record]))
    }

    @Sendable func contactRuns(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let id = try Query.id(context)
        guard try await services.store.contact(id: id) != nil else { throw APIError.notFound("contact \(id) does not exist") }
        let runs = try await services.store.workflowRuns(contactId: id)
        let actions = try await services.store.workflowActions(contactId: id)
        return JSONResponse.make(["items": .array(Self.representation(runs, actions: actions))])
    }

    /// A contact's runs with the actions each took.
    static func representation(_ runs: [WorkflowRun], actions: [RunAction]) -> [JSONValue] {
        runs.map { run in
            let steps: [JSONValue] = actions.filter { $0.key.hasPrefix(run.id + "#") }.map { action in
                ["at": .string(action.at.iso8601), "step": .string(action.step), "action": .string(action.kind.rawValue), "detail": .string(action.detail)]
            }
            var object: [String: JSONValue] = [
                "id": .string(run.id), "workflow": .string(run.workflow), "version": .int(Int64(run.version)), "status": .string(run.status.rawValue),
                "enteredAt": .string(run.enteredAt.iso8601), "actions": .array(steps),
            ]
            object["wakeAt"] = run.wakeAt.map { .string($0.iso8601) } ?? .null
            object["variant"] = run.variant.map { .string($0) } ?? .null
            object["finishReason"] = run.finishReason.map { .string($0) } ?? .null
            return .object(object)
        }
    }

    func representation(_ record: WorkflowRecord, versions: [WorkflowRecord]) -> JSONValue {
        let published = versions.filter { $0.name == record.name && $0.status == .published }.map(\.version).max()
        return [
            "name": .string(record.name), "version": .int(Int64(record.version)), "status": .string(record.status.rawValue),
            "publishedVersion": published.map { .int(Int64($0)) } ?? .null,
            "versions": .int(Int64(versions.filter { $0.name == record.name }.count)),
            "updatedAt": .string(record.updatedAt.iso8601),
        ]
    }
}
