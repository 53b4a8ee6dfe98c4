import Foundation
import Hummingbird
import TrellisCore
import TrellisMail
import TrellisStore

/// The console's marketing pages: segments (with a rule tried against the store before saving
/// anything), workflows (the steps drawn with their counts; publish and pause), content (a
/// template rendered for a contact, with the guard rails' verdict), reports and settings.
extension ConsoleController {
    func registerPages(on router: Router<TrellisRequestContext>) {
        router.get("console/segments", use: segments)
        router.post("console/segments/preview", use: segmentPreview)
        router.post("console/segments/count", use: segmentCount)
        router.post("console/segments/save", use: segmentSave)
        router.post("console/workflows", use: workflowSave)
        router.get("console/static/console.js", use: { _, _ in Self.script() })
        router.get("console/workflows", use: workflows)
        router.get("console/workflows/:name", use: workflow)
        router.post("console/workflows/:name/status", use: workflowStatus)
        router.get("console/content", use: content)
        router.get("console/content/:name", use: contentPreview)
        router.get("console/reports", use: reports)
        router.get("console/settings", use: settings)
    }

    static func day(_ time: Timestamp) -> String { String(time.iso8601.prefix(16)).replacingOccurrences(of: "T", with: " ") }

    // MARK: Segments

    /// The segments page: the list, and the rule editor holding what was submitted (or the
    /// segment asked for with `?edit=name`, or an example).
    func segmentValues(_ session: (user: ConsoleUser, csrf: String, token: String), form: [String: String] = [:], edit: String? = nil) async throws -> [String: Any] {
        var values = base(session, title: "Segments", nav: "segments")
        let records = try await services.store.segments()
        values["segments"] = records.map { record -> [String: Any] in
            var row: [String: Any] = [
                "name": record.definition.name, "description": record.definition.description ?? "", "members": record.memberCount, "updated": Self.day(record.updatedAt),
            ]
            // Only while computing: an empty string is still "present" to Mustache.
            if record.computedVersion < record.version { row["computing"] = "computing \(record.progressDone) of \(record.progressTotal)" }
            return row
        }
        values["canEdit"] = session.user.role.allows(.manageSegments)
        if let edited = records.first(where: { $0.definition.name == edit }) {
            values["name"] = edited.definition.name
            values["description"] = edited.definition.description ?? ""
            values["rule"] = Self.yaml(["match": edited.definition.source["match"] ?? .null])
        } else {
            values["name"] = form["name"] ?? ""
            values["description"] = form["description"] ?? ""
            values["rule"] =
                form["rule"]
                ?? "match:\n  all:\n    - trait: country\n      in: [DE, AT, CH]\n    - event: Page Viewed\n      where: { path: /pricing }\n      count: { gte: 1 }\n      within: 30d\n"
        }
        return values
    }

    @Sendable func segments(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        var values = try await segmentValues(session, edit: request.uri.queryParameters["edit"].map(String.init))
        if let saved = request.uri.queryParameters["saved"] { values["saved"] = String(saved) }
        return render("segments", values)
    }

    /// Counts who a rule matches now, without saving it: the rule editor's answer.
    @Sendable func segmentPreview(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        let form = try await Self.form(request)
        guard form["csrf"] == session.csrf else { throw APIError(.forbidden, code: "csrf", message: "the form's CSRF token is missing or wrong") }
        var values = try await segmentValues(session, form: form)
        do {
            let report = try await preview(rule: try Self.rule(form["rule"] ?? ""), sampleSize: 10)
            values["preview"] = ["matching": report.matching, "contacts": report.contacts, "sample": report.sample.map { ["id": $0] }]
        } catch let error as FormFiles.LoadError {
            values["problem"] = error.description
        } catch let error as APIError {
            values["problem"] = error.message
        }
        return render("segments", values, status: values["problem"] == nil ? .ok : .unprocessableContent)
    }

    /// The rule editor's text: YAML with `match:` (name and description may be there too).
    static func rule(_ text: String) throws -> Rule {
        let (document, match) = try ruleDocument(text)
        return try RuleBody.withLine(document) { () throws(InputError) in try Rule(json: match, path: "match") }
    }

    /// The editor's YAML and its `match:`, which it must have.
    static func ruleDocument(_ text: String) throws -> (document: YAMLDocument, match: JSONValue) {
        let document = try YAMLDocument(text, file: "rule")
        guard let match = document.value["match"] else { throw FormFiles.LoadError(file: "rule", line: 1, message: "match: is required") }
        return (document, match)
    }

    /// Who a rule matches now, counted against the store without saving anything.
    func preview(rule: Rule, sampleSize: Int) async throws -> PreviewReport {
        let qualifier = await services.qualify.qualifier
        if let unknown = rule.segmentReferences.first(where: { name in !qualifier.catalog.segments.contains { $0.name == name } }) {
            throw FormFiles.LoadError(file: "rule", line: nil, message: "in_segment refers to unknown segment '\(unknown)'")
        }
        return try await services.store.preview(rule, with: qualifier, at: services.clock.now(), sampleSize: sampleSize)
    }

    // MARK: Workflows

    @Sendable func workflows(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        return render("workflows", try await workflowListValues(session))
    }

    func workflowListValues(_ session: (user: ConsoleUser, csrf: String, token: String)) async throws -> [String: Any] {
        var latest: [String: WorkflowRecord] = [:]
        for record in try await services.store.workflowVersions() { latest[record.name] = record }
        var values = base(session, title: "Workflows", nav: "workflows")
        var rows: [[String: Any]] = []
        for record in latest.values.sorted(by: { $0.name < $1.name }) {
            let counts = try await services.store.workflowStepCounts(name: record.name)
            rows.append([
                "name": record.name, "version": record.version, "status": record.status.rawValue, "trigger": Self.describe(record.definition.trigger),
                "entered": counts["trigger"]?["enter"] ?? 0, "waiting": counts.filter { $0.key.hasPrefix("position ") }.reduce(0) { $0 + ($1.value["waiting"] ?? 0) },
            ])
        }
        values["workflows"] = rows
        values["canEdit"] = session.user.role.allows(.manageSegments)
        values["definitionText"] = "workflow: new-workflow\ntrigger:\n  event: Ebook Downloaded\nsteps:\n  - wait: 1d\n  - exit\n"
        return values
    }

    @Sendable func workflow(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        let name = context.parameters.get("name") ?? ""
        guard let record = try await services.store.workflowVersions().last(where: { $0.name == name }) else {
            throw APIError.notFound("workflow '\(name)' does not exist")
        }
        return render("workflow", try await workflowValues(session, record))
    }

    func workflowValues(_ session: (user: ConsoleUser, csrf: String, token: String), _ record: WorkflowRecord) async throws -> [String: Any] {
        let name = record.name
        let counts = try await services.store.workflowStepCounts(name: name)
        var values = base(session, title: "Workflow \(name)", nav: "workflows")
        values["name"] = name
        values["version"] = record.version
        values["status"] = record.status.rawValue
        values["canEdit"] = session.user.role.allows(.manageSegments)
        values["publish"] = record.status != .published
        values["pause"] = record.status == .published
        values["graph"] = Self.workflowGraph(record.definition, counts: counts)
        values["source"] = Self.yaml(record.definition.source)
        values["definitionText"] = Self.yaml(record.definition.source)
        if let (goal, report) = try await FunnelReporting.experiment(store: services.store, record, goal: nil), report.arms.count + (report.holdout == nil ? 0 : 1) > 1 {
            values["experiment"] = Self.experimentValues(goal: goal, report)
        }
        return values
    }

    @Sendable func workflowStatus(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        let form = try await Self.form(request)
        guard form["csrf"] == session.csrf else { throw APIError(.forbidden, code: "csrf", message: "the form's CSRF token is missing or wrong") }
        guard session.user.role.allows(.manageSegments) else { throw APIError.forbidden("a \(session.user.role.rawValue) user may not change workflows") }
        let name = context.parameters.get("name") ?? ""
        let status: WorkflowStatus
        switch form["status"] {
        case "published": status = .published
        case "paused": status = .paused
        default: throw APIError(.badRequest, code: "invalid_field", message: "status must be published or paused", field: "status")
        }
        guard try await services.store.setWorkflowStatus(name: name, status, at: services.clock.now()) != nil else {
            throw APIError.notFound("workflow '\(name)' does not exist")
        }
        try await services.workflows.reload()
        services.workflows.notify()
        return Self.redirect("/console/workflows/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)")
    }

    static func describe(_ trigger: WorkflowTrigger) -> String {
        switch trigger {
        case .event(let condition): "event \(condition.name)"
        case .segmentEntered(let segment): "entered segment \(segment)"
        case .form(let form): "form \(form)"
        case .stageChanged(let to, let from): "stage changed" + (from.map { " from \($0.rawValue)" } ?? "") + (to.map { " to \($0.rawValue)" } ?? "")
        case .dateTrait(let trait, _): "date in \(trait)"
        case .inactive(let duration): "inactive for \(duration)"
        }
    }

    static func describe(_ action: StepAction) -> String {
        switch action {
        case .sendEmail(let template): "send \(template)"
        case .sendWebhook(let name): "webhook \(name)"
        case .wait(let duration): "wait \(duration)"
        case .waitForWindow(let days, let from, let to): "wait for \(days.map(\.rawValue).sorted().joined(separator: ",")) \(from)–\(to) h"
        case .waitUntil(let event, let timeout): "wait for \(event.name) (up to \(timeout))"
        case .branch: "if … then / else"
        case .split(let variants, let holdout): "split \(variants.map(\.name).joined(separator: " / "))" + (holdout > 0 ? " + \(holdout) % holdout" : "")
        case .update: "update contact"
        case .goto(let step): "go to \(step)"
        case .enroll(let workflow): "enroll in \(workflow)"
        case .remove(let workflow): "remove from \(workflow)"
        case .handoff(let reason): "hand off to sales" + (reason.map { ": \($0)" } ?? "")
        case .exit: "exit"
        }
    }

    /// The steps top to bottom, nested steps indented, each box with what happened there.
    static func workflowGraph(_ definition: WorkflowDefinition, counts: [String: [String: Int]]) -> String {
        var rows: [(depth: Int, label: String, count: String)] = []
        func summary(_ key: String) -> String {
            (counts[key] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        rows.append((0, "trigger: \(describe(definition.trigger))", summary("trigger")))
        func walk(_ steps: [WorkflowStep], depth: Int) {
            for step in steps {
                rows.append((depth, (step.id.map { "\($0): " } ?? "") + describe(step.action), summary(step.id ?? step.path)))
                switch step.action {
                case .branch(_, let then, let otherwise):
                    rows.append((depth + 1, "then", ""))
                    walk(then, depth: depth + 2)
                    rows.append((depth + 1, "else", ""))
                    walk(otherwise, depth: depth + 2)
                default: break
                }
            }
        }
        walk(definition.steps, depth: 0)
        rows.append((0, "end", summary("end")))
        let rowHeight = 44.0, indent = 28.0, boxWidth = 420.0
        var svg = "<svg role=\"img\" aria-label=\"Workflow steps with counts\" viewBox=\"0 0 760 \(Int(Double(rows.count) * rowHeight + 4))\" width=\"100%\" style=\"max-width:760px\">"
        for (index, row) in rows.enumerated() {
            let x = 2 + Double(row.depth) * indent, y = 2 + Double(index) * rowHeight
            if index > 0 { svg += "<line x1=\"\(Int(x + 10))\" y1=\"\(Int(y - 10))\" x2=\"\(Int(x + 10))\" y2=\"\(Int(y))\" stroke=\"#57606a\"/>" }
            svg += "<rect x=\"\(Int(x))\" y=\"\(Int(y))\" width=\"\(Int(boxWidth))\" height=\"32\" rx=\"5\" fill=\"#f6f8fa\" stroke=\"#d0d7de\"/>"
            svg += "<text x=\"\(Int(x + 8))\" y=\"\(Int(y + 21))\" font-size=\"13\" fill=\"#1b1f24\">\(HTML.escape(row.label.count > 54 ? row.label.prefix(53) + "…" : row.label))</text>"
            if !row.count.isEmpty {
                svg += "<text x=\"\(Int(x + boxWidth + 8))\" y=\"\(Int(y + 21))\" font-size=\"12\" fill=\"#0969da\">\(HTML.escape(row.count))</text>"
            }
        }
        return svg + "</svg>"
    }

    static func experimentValues(goal: String, _ report: ExperimentReport) -> [String: Any] {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", $0 * 100) } ?? "–" }
        let arms = report.arms + (report.holdout.map { [$0] } ?? [])
        return [
            "goal": goal,
            "arms": arms.map { arm -> [String: Any] in
                [
                    "name": arm.name, "entered": arm.entered, "converted": arm.converted, "rate": percent(arm.rate),
                    "interval": arm.interval.map { "\(percent($0.low)) – \(percent($0.high))" } ?? "–",
                ]
            },
            "comparisons": report.comparisons.map { comparison -> [String: Any] in
                [
                    "arm": comparison.arm, "baseline": comparison.baseline, "lift": comparison.lift.map { String(format: "%+.1f %%", $0 * 100) } ?? "–",
                    "confidence": percent(comparison.confidence),
                ]
            },
        ]
    }

    /// A JSON value written as YAML-ish text for reading (the stored source of a workflow).
    static func yaml(_ value: JSONValue, indent: String = "") -> String {
        switch value {
        case .object(let object):
            return object.keys.sorted().map { key in
                let child = object[key]!
                switch child {
                case .object, .array: return "\(indent)\(key):\n" + yaml(child, indent: indent + "  ")
                default: return "\(indent)\(key): \(yaml(child))"
                }
            }.joined(separator: "\n")
        case .array(let items):
            return items.map { item in
                switch item {
                case .object, .array: return "\(indent)-\n" + yaml(item, indent: indent + "  ")
                default: return "\(indent)- \(yaml(item))"
                }
            }.joined(separator: "\n")
        case .string(let text): return text
        default: return value.jsonText
        }
    }

    // MARK: Content

    @Sendable func content(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        var values = base(session, title: "Content", nav: "content")
        let setup = await services.mail.setup
        values["templates"] = (setup?.library.templates.values.sorted { $0.name < $1.name } ?? []).map { template -> [String: Any] in
            ["name": template.name, "kind": template.kind.rawValue, "topic": template.topic ?? ""]
        }
        values["noContent"] = setup == nil
        return render("content", values)
    }

    @Sendable func contentPreview(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        guard let setup = await services.mail.setup else { throw APIError(.notFound, code: "no_content", message: "email is not set up (no content library)") }
        let name = context.parameters.get("name") ?? ""
        guard setup.library.templates[name] != nil else { throw APIError.notFound("template '\(name)' does not exist") }
        let contactText = request.uri.queryParameters["contact"].map(String.init) ?? ""
        let contact: Contact
        if contactText.isEmpty {
            guard let first = try await services.store.contacts(ContactQuery(limit: 50)).first(where: { $0.email != nil }) else {
                throw APIError.notFound("no contact with an email address to preview with")
            }
            contact = first
        } else {
            guard let id = Int64(contactText), id > 0 else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "contact must be a contact id, got '\(contactText)'", field: "contact")
            }
            guard let found = try await services.store.contact(id: id) else { throw APIError.notFound("contact \(id) does not exist") }
            contact = found
        }
        let account = try await contact.accountId.asyncMap { try await services.store.account(id: $0) } ?? nil
        var values = base(session, title: "Template \(name)", nav: "content")
        values["name"] = name
        values["contactId"] = contact.id
        values["email"] = contact.email ?? ""
        do {
            let rendered = try MailComposer(setup: setup).render(template: name, contact: contact, account: account, sendId: 0)
            values["subject"] = rendered.subject
            values["preheader"] = rendered.preheader ?? ""
            values["text"] = rendered.text
            values["html"] = rendered.html
        } catch {
            values["problem"] = "\(error)"
        }
        return render("template", values)
    }

    // MARK: Reports

    @Sendable func reports(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        let snapshot = try await services.reportSnapshots.reports(now: services.clock.now())
        let (from, to, reports) = (snapshot.from, snapshot.to, snapshot.value)
        var values = base(session, title: "Reports", nav: "reports")
        values["asOf"] = Self.day(snapshot.computedAt)
        values["from"] = String(from.iso8601.prefix(10))
        values["to"] = String(to.adding(days: -1).iso8601.prefix(10))
        func percent(_ value: Double??) -> String { (value ?? nil).map { String(format: "%.1f %%", $0 * 100) } ?? "–" }
        let costs = FunnelReporting.costs(services.reportCosts, from: from, to: to)
        func money(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "–" }
        func rows(_ report: FunnelReport) -> [[String: Any]] {
            report.current.groups.sorted { $0.key < $1.key }.map { key, figures in
                let cost = report.dimension == .source ? costs[key] : nil
                return [
                    "cost": money(cost), "costPerOpportunity": money(cost.flatMap { figures.opportunity == 0 ? nil : $0 / Double(figures.opportunity) }),
                    "group": key, "captured": figures.captured, "mql": figures.mql, "sql": figures.sql, "sal": figures.sal, "opportunity": figures.opportunity,
                    "customer": figures.customer, "pipeline": String(format: "%.0f", figures.pipeline), "leadToMQL": percent(figures.rates["lead_to_mql"]),
                    "days": figures.medianDaysToMQL.map { String(format: "%.1f", $0) } ?? "–",
                ]
            }
        }
        values["bySource"] = rows(reports.bySource)
        values["byWeek"] = rows(reports.byWeek)
        values["bySegment"] = rows(reports.bySegment)
        values["byWorkflow"] = rows(reports.byWorkflow)
        values["byVariant"] = rows(reports.byVariant)
        values["byStep"] = rows(reports.byStep)
        let email = reports.email
        func emailRow(_ row: EmailEngagement) -> [String: Any] {
            [
                "template": row.template, "sent": row.sent, "opened": percent(FunnelReporting.ratio(row.opened, row.sent)),
                "clicked": percent(FunnelReporting.ratio(row.clicked, row.sent)), "clickToOpen": percent(FunnelReporting.ratio(row.clicked, row.opened)),
                "unsubscribed": percent(FunnelReporting.ratio(row.unsubscribed, row.sent)),
            ]
        }
        values["email"] = email.templates.map(emailRow) + (email.templates.isEmpty ? [] : [emailRow(email.total)])
        values["reengagement"] = [
            "workflows": email.reengagement.workflows.joined(separator: ", "), "entered": email.reengagement.entered,
            "rate": percent(FunnelReporting.ratio(email.reengagement.reengaged, email.reengagement.entered)),
        ]
        let model = request.uri.queryParameters["model"].flatMap { Attribution.Model(rawValue: String($0)) } ?? .positionBased
        let attribution = reports.attribution[model] ?? (0, 0, [])
        values["models"] = Attribution.Model.allCases.map { ["name": $0.rawValue, "current": $0 == model] }
        values["attribution"] = [
            "model": model.rawValue, "total": String(format: "%.0f", attribution.total), "unattributed": String(format: "%.0f", attribution.unattributed),
            "items": attribution.credit.prefix(15).map { ["touch": $0.touch, "pipeline": String(format: "%.0f", $0.pipeline)] },
        ]
        values["experiments"] = reports.experiments.map { experiment in
            var item = Self.experimentValues(goal: experiment.goal, experiment.report)
            item["workflow"] = experiment.workflow
            return item
        }
        return render("reports", values)
    }

    // MARK: Settings

    @Sendable func settings(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/login") }
        var values = base(session, title: "Settings", nav: "settings")
        // Keys are listed by their public prefix only; the secret was shown once and is not stored.
        values["keys"] = try await services.store.apiKeys().map { key -> [String: Any] in
            ["name": key.name, "role": key.role.rawValue, "source": key.source, "prefix": key.prefix, "created": Self.day(key.createdAt)]
        }
        if let setup = await services.mail.setup {
            values["mail"] = [
                "from": setup.sender.map { "\($0.from.name.map { "\($0) " } ?? "")<\($0.from.address)>" } ?? "not set",
                "postal": setup.policy.postalAddress ?? "not set: marketing email is refused",
                "sending": await services.mail.transport == nil ? "no SMTP server: sends stay queued" : "an SMTP server is configured",
                "baseURL": setup.baseURL,
                "dkim": setup.dkim.map { ["domain": $0.domain, "selector": $0.selector] },
                "caps": setup.policy.caps.sorted { $0.key.rawValue < $1.key.rawValue }.map { ["category": $0.key.rawValue, "max": $0.value.max, "per": "\($0.value.per)"] },
                "quiet": setup.policy.quietHours.map { "\($0.start):00–\($0.end):00 in the contact's time zone" } ?? "none",
            ]
        }
        return render("settings", values)
    }
}
