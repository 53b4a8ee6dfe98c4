import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TrellisCore
import TrellisStore

/// Saving from the console: a segment from the rule editor (with its count as you type), and a
/// workflow from its YAML; checked exactly as the API checks them.
extension ConsoleController {
    /// The signed-in user allowed to change segments and workflows, after the form's CSRF check.
    func editor(_ request: Request, limit: Int = 16 * 1024) async throws -> (session: (user: ConsoleUser, csrf: String, token: String), form: [String: String])? {
        guard let session = try await session(request) else { return nil }
        let form = try await Self.form(request, limit: limit)
        guard form["csrf"] == session.csrf else { throw APIError(.forbidden, code: "csrf", message: "the form's CSRF token is missing or wrong") }
        return (session, form)
    }

    /// `POST /console/segments/count`: the live count the rule editor's script asks for as the
    /// rule is typed. JSON: `{"matching": 12, "contacts": 1500}` or 422 with the problem.
    @Sendable func segmentCount(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let (_, form) = try await editor(request) else { throw APIError(.unauthorized, code: "unauthorized", message: "sign in again") }
        do {
            let report = try await preview(rule: try Self.rule(form["rule"] ?? ""), sampleSize: 0)
            return JSONResponse.make(["matching": .int(Int64(report.matching)), "contacts": .int(Int64(report.contacts))])
        } catch let error as FormFiles.LoadError {
            throw APIError(.unprocessableContent, code: "invalid_rule", message: error.description, field: "rule")
        } catch let error as APIError where error.status == .badRequest {
            throw APIError(.unprocessableContent, code: "invalid_rule", message: error.message, field: error.field ?? "rule")
        }
    }

    /// `POST /console/segments/save`: the editor's rule saved under its name, a new segment or a
    /// new version of one; its members are then computed in the background.
    @Sendable func segmentSave(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let (session, form) = try await editor(request) else { return Self.redirect("/console/login") }
        guard session.user.role.allows(.manageSegments) else { throw APIError.forbidden("a \(session.user.role.rawValue) user may not change segments") }
        let name = (form["name"] ?? "").trimmed
        do {
            guard !name.isEmpty else { throw FormFiles.LoadError(file: "name", line: nil, message: "name: give the segment a name") }
            let (document, match) = try Self.ruleDocument(form["rule"] ?? "")
            var object: [String: JSONValue] = ["name": .string(name), "match": match]
            if let description = form["description"]?.trimmed, !description.isEmpty { object["description"] = .string(description) }
            let definition = try RuleBody.withLine(document) { () throws(InputError) in try SegmentDefinition(json: .object(object)) }
            _ = try await SegmentsController(services: services).save(definition)
            return Self.redirect("/console/segments?saved=\(name.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? name)")
        } catch let error as FormFiles.LoadError {
            var values = try await segmentValues(session, form: form)
            values["problem"] = error.file == "name" ? error.message : error.description
            return render("segments", values, status: .unprocessableContent)
        } catch let error as APIError where error.status == .badRequest {
            var values = try await segmentValues(session, form: form)
            values["problem"] = error.message
            return render("segments", values, status: .unprocessableContent)
        }
    }

    /// `POST /console/workflows`: `action` check (nothing saved), draft (a new version, not in
    /// force) or publish (a new version, in force). The YAML names the workflow.
    @Sendable func workflowSave(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let (session, form) = try await editor(request, limit: 256 * 1024) else { return Self.redirect("/console/login") }
        guard session.user.role.allows(.manageSegments) else { throw APIError.forbidden("a \(session.user.role.rawValue) user may not change workflows") }
        let action = form["action"] ?? "check"
        guard ["check", "draft", "publish"].contains(action) else {
            throw APIError(.badRequest, code: "invalid_field", message: "action must be check, draft or publish", field: "action")
        }
        let text = form["definition"] ?? ""
        let page = (form["page"] ?? "").trimmed
        func answer(problem: String?, checked: String?) async throws -> Response {
            var values: [String: Any]
            if !page.isEmpty, let record = try await services.store.workflowVersions().last(where: { $0.name == page }) {
                values = try await workflowValues(session, record)
            } else {
                values = try await workflowListValues(session)
            }
            values["definitionText"] = text
            if let problem { values["problem"] = problem }
            if let checked { values["checked"] = checked }
            return render(page.isEmpty || values["name"] == nil ? "workflows" : "workflow", values, status: problem == nil ? .ok : .unprocessableContent)
        }
        let definition: WorkflowDefinition
        do {
            let document = try YAMLDocument(text, file: "workflow")
            definition = try await WorkflowsController(services: services).checked(document.value, yaml: document)
        } catch let error as FormFiles.LoadError {
            return try await answer(problem: error.description, checked: nil)
        } catch let error as APIError where error.status == .badRequest {
            return try await answer(problem: error.message, checked: nil)
        }
        if action == "check" {
            var response = try await answer(problem: nil, checked: "No problems found in workflow \(definition.name); nothing was saved.")
            response.headers[AuditMiddleware.unchanged] = "1"
            return response
        }
        _ = try await services.store.saveWorkflow(definition, status: action == "publish" ? .published : .draft, at: services.clock.now())
        try await services.workflows.reload()
        services.workflows.notify()
        return Self.redirect("/console/workflows/\(definition.name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? definition.name)")
    }

    /// The console's own script: the rule editor's live count. Served from here, so a strict
    /// Content-Security-Policy (`default-src 'self'`) allows it and nothing comes from elsewhere.
    static func script() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=3600", .init("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: ConsoleTemplates.script)))
    }
}
