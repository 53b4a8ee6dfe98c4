import Hummingbird
import TrellisCore
import TrellisStore

/// `/api/v1/segments`: define segments in the rule language (JSON or YAML bodies), list their
/// members, preview a rule, and say why a contact is in a segment.
struct SegmentsController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("segments", use: list)
        api.post("segments", use: create)
        api.post("segments/preview", use: preview)
        api.get("segments/:id", use: show)
        api.put("segments/:id", use: replace)
        api.delete("segments/:id", use: delete)
        api.get("segments/:id/contacts", use: members)
        api.get("contacts/:id/segments", use: contactSegments)
    }

    @Sendable func list(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        var items: [JSONValue] = []
        for record in try await services.store.segments() { items.append(await representation(record)) }
        return JSONResponse.make(["items": .array(items)])
    }

    @Sendable func show(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        return JSONResponse.make(await representation(try await record(context)))
    }

    @Sendable func create(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageSegments)
        let definition = try await RuleBody.segment(request)
        if try await services.store.segments().contains(where: { $0.definition.name == definition.name }) {
            throw APIError(.conflict, code: "conflict", message: "segment '\(definition.name)' exists; PUT /api/v1/segments/{id} replaces its rule", field: "name")
        }
        let record = try await save(definition)
        var response = JSONResponse.make(await representation(record), status: .created)
        response.headers[.location] = "/api/v1/segments/\(record.id)"
        return response
    }

    @Sendable func replace(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageSegments)
        let existing = try await record(context)
        let definition = try await RuleBody.segment(request, name: existing.definition.name)
        return JSONResponse.make(await representation(try await save(definition)))
    }

    @Sendable func delete(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageSegments)
        let existing = try await record(context)
        let others = try await services.store.segments().filter { $0.definition.match.segmentReferences.contains(existing.definition.name) }
        if let other = others.first {
            throw APIError(.conflict, code: "in_use", message: "segment '\(other.definition.name)' refers to '\(existing.definition.name)' with in_segment")
        }
        _ = try await services.store.deleteSegment(id: existing.id)
        try await services.qualify.reload()
        return Response(status: .noContent)
    }

    @Sendable func members(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let existing = try await record(context)
        let query = request.uri.queryParameters
        let limit = try Query.limit(query, default: 50, max: 500)
        let contacts = try await services.store.segmentMembers(segmentId: existing.id, afterContactId: try Query.cursor(query), limit: limit)
        let next: JSONValue = contacts.count == limit ? .string(String(contacts.last!.id)) : .null
        return JSONResponse.make(["items": .array(contacts.map(\.apiJSON)), "next": next])
    }

    @Sendable func preview(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let rule = try await RuleBody.rule(request)
        let qualifier = await services.qualify.qualifier
        for name in rule.segmentReferences where !qualifier.catalog.segments.contains(where: { $0.name == name }) {
            throw APIError(.notFound, code: "unknown_segment", message: "in_segment refers to unknown segment '\(name)'", field: "match")
        }
        let report = try await services.store.preview(rule, with: qualifier, at: services.clock.now(), sampleSize: 10)
        let sample: [JSONValue] = report.sample.map { .int($0) }
        return JSONResponse.make(["matching": .int(Int64(report.matching)), "contacts": .int(Int64(report.contacts)), "sample": .array(sample)])
    }

    /// The contact's segments, and for every segment whether its rule holds now and why, line by line.
    @Sendable func contactSegments(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let id = try Query.id(context)
        guard try await services.store.contact(id: id) != nil else { throw APIError.notFound("contact \(id) does not exist") }
        let memberships = try await services.store.memberships(contactId: id)
        let explanations = try await services.store.explain(contactId: id, with: await services.qualify.qualifier, at: services.clock.now())
        var items: [JSONValue] = []
        for segment in await services.qualify.qualifier.catalog.segments {
            let since = memberships.first { $0.segment == segment.name }?.since
            let outcome = explanations[segment.name]
            let why: [JSONValue] = (outcome?.reasons ?? []).map { reason in
                ["held": .bool(reason.held), "text": .string(reason.text), "depth": .int(Int64(reason.depth))]
            }
            var item: [String: JSONValue] = ["segment": .string(segment.name), "member": .bool(since != nil), "why": .array(why)]
            item["since"] = since.map { .string($0.iso8601) } ?? .null
            item["matchesNow"] = outcome.map { .bool($0.matched) } ?? .null
            items.append(.object(item))
        }
        return JSONResponse.make(["items": .array(items)])
    }

    /// Checks the whole catalog with the new definition before saving, so a bad reference never lands.
    func save(_ definition: SegmentDefinition) async throws -> SegmentRecord {
        var definitions = try await services.store.segments().map(\.definition).filter { $0.name != definition.name }
        definitions.append(definition)
        _ = try SegmentCatalog(definitions)
        let record = try await services.store.saveSegment(definition, at: services.clock.now())
        try await services.qualify.reload()
        await services.qualify.startRecompute(segmentId: record.id)
        return record
    }

    func record(_ context: TrellisRequestContext) async throws -> SegmentRecord {
        let id = try Query.id(context)
        guard let record = try await services.store.segment(id: id) else { throw APIError.notFound("segment \(id) does not exist") }
        return record
    }

    func representation(_ record: SegmentRecord) async -> JSONValue {
        var status: JSONValue = ["state": "ready"]
        if let progress = await services.qualify.computing(record.id) {
            status = ["state": "computing", "done": .int(Int64(progress.done)), "total": .int(Int64(progress.total))]
        } else if record.computedVersion < record.version {
            status = ["state": "pending"]
        }
        return [
            "id": .int(record.id), "name": .string(record.definition.name),
            "description": record.definition.description.map { .string($0) } ?? .null,
            "match": record.definition.source["match"] ?? .null, "version": .int(Int64(record.version)),
            "members": .int(Int64(record.memberCount)), "status": status,
            "createdAt": .string(record.createdAt.iso8601), "updatedAt": .string(record.updatedAt.iso8601),
        ]
    }
}

/// Rule bodies in JSON or YAML. YAML errors carry the line: `line 7: match.all[1].within: ...`.
enum RuleBody {
    static let yamlTypes: Set<String> = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]

    static func document(_ request: Request) async throws -> (value: JSONValue, yaml: YAMLDocument?) {
        let type = RequestBody.mediaType(request) ?? ""
        if yamlTypes.contains(type) {
            let body = try await RequestBody.read(request, limit: 256 * 1024)
            do {
                let document = try YAMLDocument(String(decoding: body, as: UTF8.self), file: "body")
                return (document.value, document)
            } catch let error as FormFiles.LoadError {
                throw APIError(.badRequest, code: "invalid_yaml", message: error.line.map { "line \($0): \(error.message)" } ?? error.message)
            }
        }
        return (.object(try await Query.jsonObject(request)), nil)
    }

    static func segment(_ request: Request, name: String? = nil) async throws -> SegmentDefinition {
        var (value, yaml) = try await document(request)
        if let name, case .object(var object) = value {
            if let given = object["name"]?.stringValue, given != name {
                throw APIError(.badRequest, code: "invalid_field", message: "name in the body ('\(given)') differs from the segment's ('\(name)')", field: "name")
            }
            object["name"] = .string(name)
            value = .object(object)
        }
        return try withLine(yaml) { () throws(InputError) in try SegmentDefinition(json: value) }
    }

    /// A rule to preview: `{"match": {...}}`, or a whole segment definition.
    static func rule(_ request: Request) async throws -> Rule {
        let (value, yaml) = try await document(request)
        guard let match = value["match"] else { throw APIError(.badRequest, code: "missing_field", message: "match is required", field: "match") }
        return try withLine(yaml) { () throws(InputError) in try Rule(json: match, path: "match") }
    }

    static func withLine<T>(_ yaml: YAMLDocument?, _ body: () throws(InputError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            guard let yaml, let line = yaml.line(for: error.field) else { throw error }
            var located = APIError(error)
            located.message = "line \(line): \(error.description)"
            located.extra["line"] = .int(Int64(line))
            throw located
        }
    }
}
