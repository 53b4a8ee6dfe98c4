import Foundation
import Hummingbird
import TrellisCore
import TrellisStore

/// `/api/v1/reports/funnel?from=2026-03-01&to=2026-04-01&by=source`: the funnel of leads captured
/// in the period with the prior period beside it, from the rollup (never a scan of the event log).
struct ReportsController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        router.group("api/v1").get("reports/funnel", use: funnel)
        router.group("api/v1").get("reports/experiments/:workflow", use: experiment)
        router.group("api/v1").get("reports/attribution", use: attribution)
        router.group("api/v1").get("reports/email", use: email)
    }

    /// `from` and `to` (days, `to` exclusive) from the query, checked.
    static func period(_ request: Request) throws -> (from: Timestamp, to: Timestamp) {
        let query = request.uri.queryParameters
        func day(_ name: String) throws -> Timestamp {
            guard let text: String = query[Substring(name)].map(String.init) else { throw APIError(.badRequest, code: "missing_parameter", message: "\(name) is required (2026-03-01)", field: name) }
            guard let time = FunnelReporting.parseDay(text) else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "\(name) must be a date from 1900-01-01 to 2999-12-31 such as 2026-03-01, got '\(text)'", field: name)
            }
            return time
        }
        let from = try day("from"), to = try day("to")
        guard from < to else { throw APIError(.badRequest, code: "invalid_parameter", message: "to must be after from", field: "to") }
        return (from, to)
    }

    @Sendable func funnel(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let query = request.uri.queryParameters
        let (from, to) = try Self.period(request)
        let dimension = try query["by"].map { text in
            guard let dimension = FunnelReport.Dimension(rawValue: String(text)) else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "by must be \(FunnelReport.Dimension.allCases.map(\.rawValue).joined(separator: ", "))", field: "by")
            }
            return dimension
        } ?? .total
        let report = try await FunnelReporting.report(store: services.store, from: from, to: to, by: dimension, asOf: services.clock.now())
        return JSONResponse.make(FunnelReporting.json(report, monthlyCosts: services.reportCosts))
    }
}

extension ReportsController {
    /// `/api/v1/reports/experiments/{workflow}?goal=Demo Booked`: conversion to the goal per split
    /// variant and for the holdout, with intervals, p-values and lift. The goal defaults to the
    /// workflow's first `exit_when` event.
    @Sendable func experiment(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let name = context.parameters.get("workflow") ?? ""
        guard let record = try await services.store.workflowVersions().last(where: { $0.name == name }) else {
            throw APIError.notFound("workflow '\(name)' does not exist")
        }
        guard let (goal, report) = try await FunnelReporting.experiment(store: services.store, record, goal: request.uri.queryParameters["goal"].map(String.init))
        else {
            throw APIError(.badRequest, code: "missing_parameter", message: "name the goal event (goal=Demo Booked): the workflow has no exit_when event", field: "goal")
        }
        func arm(_ arm: ExperimentReport.Arm) -> JSONValue {
            [
                "name": .string(arm.name), "entered": .int(Int64(arm.entered)), "converted": .int(Int64(arm.converted)),
                "rate": FunnelReporting.rounded(arm.rate, 10_000),
                "interval95": arm.interval.map { [FunnelReporting.rounded($0.low, 10_000), FunnelReporting.rounded($0.high, 10_000)] } ?? .null,
            ]
        }
        return JSONResponse.make([
            "workflow": .string(name), "goal": .string(goal), "arms": .array(report.arms.map(arm)), "holdout": report.holdout.map(arm) ?? .null,
            "comparisons": .array(
                report.comparisons.map {
                    [
                        "arm": .string($0.arm), "baseline": .string($0.baseline), "lift": FunnelReporting.rounded($0.lift, 10_000),
                        "pValue": FunnelReporting.rounded($0.pValue, 10_000), "confidence": FunnelReporting.rounded($0.confidence, 10_000),
                    ]
                }),
        ])
    }
}

extension ReportsController {
    /// `/api/v1/reports/attribution?model=position_based`: influenced pipeline credited to the
    /// campaigns, emails and forms that came before each opportunity.
    @Sendable func attribution(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let text = request.uri.queryParameters["model"].map(String.init) ?? "linear"
        guard let model = Attribution.Model(rawValue: text) else {
            throw APIError(
                .badRequest, code: "invalid_parameter", message: "model must be \(Attribution.Model.allCases.map(\.rawValue).joined(separator: ", "))", field: "model")
        }
        let (total, unattributed, credit) = try await FunnelReporting.attribution(store: services.store, model: model)
        let items: [JSONValue] = credit.map { ["touch": .string($0.touch), "pipeline": FunnelReporting.rounded($0.pipeline, 100)] }
        return JSONResponse.make([
            "model": .string(model.rawValue), "influencedPipeline": FunnelReporting.rounded(total, 100),
            "unattributed": FunnelReporting.rounded(unattributed, 100), "items": .array(items),
        ])
    }
}

extension ReportsController {
    /// `/api/v1/reports/email?from=2026-03-01&to=2026-04-01`: per template, the sends of the
    /// period and how many were opened, clicked and unsubscribed from, with the rates; and the
    /// re-engagement rate of workflows triggered by inactivity.
    @Sendable func email(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        let (from, to) = try Self.period(request)
        let report = try await FunnelReporting.email(store: services.store, from: from, to: to)
        func figures(_ row: EmailEngagement) -> [String: JSONValue] {
            [
                "sent": .int(Int64(row.sent)), "opened": .int(Int64(row.opened)), "clicked": .int(Int64(row.clicked)), "unsubscribed": .int(Int64(row.unsubscribed)),
                "openRate": FunnelReporting.rounded(FunnelReporting.ratio(row.opened, row.sent), 10_000),
                "clickRate": FunnelReporting.rounded(FunnelReporting.ratio(row.clicked, row.sent), 10_000),
                "clickToOpenRate": FunnelReporting.rounded(FunnelReporting.ratio(row.clicked, row.opened), 10_000),
                "unsubscribeRate": FunnelReporting.rounded(FunnelReporting.ratio(row.unsubscribed, row.sent), 10_000),
            ]
        }
        var total = figures(report.total)
        total["templates"] = .array(report.templates.map { row in .object(figures(row).merging(["template": .string(row.template)]) { a, _ in a }) })
        return JSONResponse.make([
            "from": .string(from.iso8601), "to": .string(to.iso8601), "email": .object(total),
            "reengagement": [
                "workflows": .array(report.reengagement.workflows.map { .string($0) }), "entered": .int(Int64(report.reengagement.entered)),
                "reengaged": .int(Int64(report.reengagement.reengaged)),
                "rate": FunnelReporting.rounded(FunnelReporting.ratio(report.reengagement.reengaged, report.reengagement.entered), 10_000),
            ],
        ])
    }
}

/// What the API and the CLI share: bringing the rollup up to date, the report, its JSON and CSV.
public enum FunnelReporting {
    /// A report day (`2026-03-01`, or a full timestamp) from 1900-01-01 to 2999-12-31: a period's
    /// prior period then still falls in four-digit years.
    public static func parseDay(_ text: String) -> Timestamp? {
        guard let time = ISO8601.parse(text) ?? ISO8601.parse(text + "T00:00:00Z"), reportDays.contains(time) else { return nil }
        return time
    }

    /// The days a report may name (``parseDay(_:)``).
    public static let reportDays = ISO8601.parse("1900-01-01T00:00:00Z")!...ISO8601.parse("2999-12-31T23:59:59Z")!

    /// The email report: per template, their total, and the re-engagement of inactivity workflows.
    public typealias EmailReport = (templates: [EmailEngagement], total: EmailEngagement, reengagement: (workflows: [String], entered: Int, reengaged: Int))
    /// Influenced pipeline, what of it had no touch, and the credit by touch, largest first.
    public typealias AttributionResult = (total: Double, unattributed: Double, credit: [(touch: String, pipeline: Double)])

    /// Folds what the rollup has not seen yet.
    public static func catchUp(_ store: any Store) async throws {
        while try await store.refreshFunnel(limit: 50_000) == 50_000 {}
    }

    public static func report(store: any Store, from: Timestamp, to: Timestamp, by dimension: FunnelReport.Dimension, asOf: Timestamp) async throws -> FunnelReport {
        try await catchUp(store)
        let length = to.millisecondsSinceEpoch - from.millisecondsSinceEpoch
        let rows = try await store.funnelRows(capturedFrom: from.adding(milliseconds: -length), to: to)
        return try await report(rows: rows, store: store, from: from, to: to, by: dimension, asOf: asOf)
    }

    /// The report of `rows` (leads of the period and of the one before it), with the leads'
    /// groups read from the store when `dimension` groups them.
    static func report(
        rows: [FunnelRow], store: any Store, from: Timestamp, to: Timestamp, by dimension: FunnelReport.Dimension, asOf: Timestamp
    ) async throws -> FunnelReport {
        var rows = rows
        if dimension.isGrouping {
            let length = to.millisecondsSinceEpoch - from.millisecondsSinceEpoch
            let groups = try await store.funnelGroups(capturedFrom: from.adding(milliseconds: -length), to: to, by: dimension)
            for index in rows.indices { rows[index].groups = groups[rows[index].contactId] ?? [] }
        }
        return FunnelReport(rows: rows, from: from, to: to, by: dimension, asOf: asOf)
    }

    /// A workflow's split results against `goal`, by default its first `exit_when` event; nil when
    /// there is no goal to measure.
    static func experiment(store: any Store, _ record: WorkflowRecord, goal given: String?) async throws -> (goal: String, report: ExperimentReport)? {
        var goal = given
        if goal == nil {
            for rule in record.definition.exitWhen {
                if case .event(let condition) = rule {
                    goal = condition.name
                    break
                }
            }
        }
        guard let goal, !goal.isEmpty else { return nil }
        let rows = try await store.experimentArms(workflow: record.name, goalEvent: goal)
        let arms = rows.filter { $0.arm != "holdout" }.map { ExperimentReport.Arm(name: $0.arm, entered: $0.entered, converted: $0.converted) }
        let holdout = rows.first { $0.arm == "holdout" }.map { ExperimentReport.Arm(name: "holdout", entered: $0.entered, converted: $0.converted) }
        return (goal, ExperimentReport(arms: arms, holdout: holdout))
    }

    /// Influenced pipeline credited to touches, largest first.
    static func attribution(store: any Store, model: Attribution.Model) async throws -> AttributionResult {
        try await catchUp(store)
        return attribution(try await store.attributionInputs(), model: model)
    }

    static func attribution(_ inputs: [(contactId: Int64, value: Double, touches: [String])], model: Attribution.Model) -> AttributionResult {
        var credit: [String: Double] = [:]
        var total = 0.0, unattributed = 0.0
        for lead in inputs {
            total += lead.value
            if lead.touches.isEmpty { unattributed += lead.value }
            for (touch, value) in Attribution.credit(touches: lead.touches, value: lead.value, model: model) { credit[touch, default: 0] += value }
        }
        let sorted = credit.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map { (touch: $0.key, pipeline: $0.value) }
        return (total, unattributed, sorted)
    }

    /// The email report: templates, their total, and re-engagement of the workflows that an
    /// inactivity trigger starts (their latest versions).
    static func email(store: any Store, from: Timestamp, to: Timestamp) async throws -> EmailReport {
        try await catchUp(store)
        let templates = try await store.emailEngagement(sentFrom: from, to: to)
        let total = templates.reduce(EmailEngagement(template: "total", sent: 0, opened: 0, clicked: 0, unsubscribed: 0)) { sum, row in
            EmailEngagement(
                template: "total", sent: sum.sent + row.sent, opened: sum.opened + row.opened, clicked: sum.clicked + row.clicked,
                unsubscribed: sum.unsubscribed + row.unsubscribed)
        }
        var latest: [String: WorkflowRecord] = [:]
        for record in try await store.workflowVersions() { latest[record.name] = record }
        let inactive = latest.values.filter { if case .inactive = $0.definition.trigger { true } else { false } }.map(\.name).sorted()
        let counts = try await store.reengagement(workflows: inactive, enteredFrom: from, to: to)
        return (templates, total, (inactive, counts.entered, counts.reengaged))
    }

    /// Whether the steps split their contacts (variants or a holdout), anywhere in their branches.
    static func hasSplit(_ steps: [WorkflowStep]) -> Bool {
        steps.contains { step in
            switch step.action {
            case .split: true
            case .branch(_, let then, let otherwise): hasSplit(then) || hasSplit(otherwise)
            default: false
            }
        }
    }

    static func ratio(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : Double(part) / Double(whole) }

    static func rounded(_ value: Double?, _ places: Double = 1000) -> JSONValue {
        value.map { .double(($0 * places).rounded() / places) } ?? .null
    }

    public static func json(_ figures: FunnelReport.Figures) -> JSONValue {
        [
            "captured": .int(Int64(figures.captured)), "mql": .int(Int64(figures.mql)), "sql": .int(Int64(figures.sql)), "sal": .int(Int64(figures.sal)),
            "opportunity": .int(Int64(figures.opportunity)), "customer": .int(Int64(figures.customer)), "handedOff": .int(Int64(figures.handedOff)),
            "demos": .int(Int64(figures.demos)), "unsubscribed": .int(Int64(figures.unsubscribed)), "pipeline": .double(figures.pipeline),
            "revenue": .double(figures.revenue), "rates": .object(figures.rates.mapValues { rounded($0) }),
            "medianDaysToMQL": rounded(figures.medianDaysToMQL, 10), "medianDaysToSQL": rounded(figures.medianDaysToSQL, 10),
            "medianSalesCycleDays": rounded(figures.medianSalesCycleDays, 10), "medianHoursToFirstTouch": rounded(figures.medianHoursToFirstTouch, 10),
        ]
    }

    /// What the configured monthly costs come to over [from, to), by source (a month is 30.4375 days).
    public static func costs(_ monthly: [String: Double], from: Timestamp, to: Timestamp) -> [String: Double] {
        let months = Double(to.millisecondsSinceEpoch - from.millisecondsSinceEpoch) / (30.4375 * 86_400_000)
        return monthly.mapValues { $0 * months }
    }

    /// The report as JSON; with costs, each period's total (all sources) and, by source, each
    /// source's group carry `cost` and `costPerOpportunity` (null without an opportunity).
    public static func json(_ report: FunnelReport, monthlyCosts: [String: Double] = [:]) -> JSONValue {
        func period(_ period: FunnelReport.Period) -> JSONValue {
            let costs = Self.costs(monthlyCosts, from: period.from, to: period.to)
            func withCost(_ figures: FunnelReport.Figures, _ cost: Double?) -> JSONValue {
                guard let cost, case .object(var object) = json(figures) else { return json(figures) }
                object["cost"] = rounded(cost, 100)
                object["costPerOpportunity"] = rounded(figures.opportunity == 0 ? nil : cost / Double(figures.opportunity), 100)
                return .object(object)
            }
            let total = monthlyCosts.isEmpty ? nil : costs.values.reduce(0, +)
            var groups: [String: JSONValue] = [:]
            for (key, figures) in period.groups {
                groups[key] = withCost(figures, report.dimension == .source ? costs[key] : (report.dimension == .total ? total : nil))
            }
            return [
                "from": .string(period.from.iso8601), "to": .string(period.to.iso8601), "total": withCost(period.total, total),
                "groups": .object(groups),
            ]
        }
        return ["by": .string(report.dimension.rawValue), "current": period(report.current), "prior": period(report.prior)]
    }

    /// One line a group: the period's figures and the prior period's beside them.
    public static func csv(_ report: FunnelReport) -> String {
        let columns = ["captured", "mql", "sql", "sal", "opportunity", "customer", "pipeline", "revenue"]
        var lines = [(["group"] + columns.flatMap { [$0, "prior_\($0)"] } + ["lead_to_mql", "prior_lead_to_mql", "mql_to_sql", "prior_mql_to_sql"]).joined(separator: ",")]
        let keys = Set(report.current.groups.keys).union(report.prior.groups.keys).sorted()
        func values(_ figures: FunnelReport.Figures?) -> [String] {
            let figures = figures ?? FunnelReport.Figures()
            return [figures.captured, figures.mql, figures.sql, figures.sal, figures.opportunity, figures.customer].map(String.init)
                + [figures.pipeline, figures.revenue].map { String(format: "%.2f", $0) }
        }
        func rate(_ figures: FunnelReport.Figures?, _ name: String) -> String {
            (figures?.rates[name] ?? nil).map { String(format: "%.4f", $0) } ?? ""
        }
        for key in keys {
            let current = report.current.groups[key], prior = report.prior.groups[key]
            let pairs = zip(values(current), values(prior)).flatMap { [$0, $1] }
            lines.append(([CSVParser.escape(key)] + pairs + [rate(current, "lead_to_mql"), rate(prior, "lead_to_mql"), rate(current, "mql_to_sql"), rate(prior, "mql_to_sql")]).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
