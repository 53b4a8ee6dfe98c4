/// Where one lead is in the funnel, as the report rollup keeps it: when it was captured and from
/// which source, when it first reached each stage, and what it was worth.
public struct FunnelRow: Sendable, Equatable {
    public var contactId: Int64
    public var capturedAt: Timestamp
    public var source: String
    /// First time at each stage.
    public var reached: [LifecycleStage: Timestamp]
    public var demoAt: Timestamp?
    public var firstTouchAt: Timestamp?
    public var handedOffAt: Timestamp?
    public var unsubscribedAt: Timestamp?
    public var pipeline: Double
    public var revenue: Double
    /// The segments or workflows the lead belongs to, for the breakdowns that need them.
    public var groups: [String] = []

    public init(
        contactId: Int64, capturedAt: Timestamp, source: String, reached: [LifecycleStage: Timestamp] = [:], demoAt: Timestamp? = nil,
        firstTouchAt: Timestamp? = nil, handedOffAt: Timestamp? = nil, unsubscribedAt: Timestamp? = nil, pipeline: Double = 0, revenue: Double = 0
    ) {
        self.contactId = contactId
        self.capturedAt = capturedAt
        self.source = source
        self.reached = reached
        self.demoAt = demoAt
        self.firstTouchAt = firstTouchAt
        self.handedOffAt = handedOffAt
        self.unsubscribedAt = unsubscribedAt
        self.pipeline = pipeline
        self.revenue = revenue
    }

    /// Whether the lead reached `stage` (or a later funnel stage, which implies it).
    public func reachedStage(_ stage: LifecycleStage) -> Timestamp? {
        var first: Timestamp?
        for (reachedStage, at) in reached where reachedStage.isFunnel && reachedStage >= stage && first.map({ at < $0 }) ?? true { first = at }
        return first
    }
}

/// The funnel for leads captured in a period (a cohort), with the prior period of the same length
/// beside it: how many reached MQL, SQL, SAL, opportunity and customer, the rates between them,
/// the time it took, and the pipeline and revenue they brought.
///
/// ```swift
/// let report = FunnelReport(rows: rows, from: march, to: april, by: .source)
/// report.current.groups["google"]?.rate(.mql)     // lead → MQL
/// ```
public struct FunnelReport: Sendable, Equatable {
    /// `segment`, `workflow`, `variant` and `step` group a lead under each segment it is in now,
    /// each workflow it entered, each split arm it was given (`workflow: variant`, or
    /// `workflow: holdout`) and each workflow step that did something for it (`workflow: step`:
    /// a send, handoff, update or enrollment), so a lead may count in several groups, or in `none`.
    public enum Dimension: String, Sendable, CaseIterable {
        case total, source, week, segment, workflow, variant, step

        /// Whether a lead's groups come from the store (``FunnelRow/groups``).
        public var isGrouping: Bool { [.segment, .workflow, .variant, .step].contains(self) }
    }

    public struct Figures: Sendable, Equatable {
        public var captured = 0
        public var mql = 0
        public var sql = 0
        public var sal = 0
        public var opportunity = 0
        public var customer = 0
        public var handedOff = 0
        public var demos = 0
        public var unsubscribed = 0
        public var pipeline = 0.0
        public var revenue = 0.0
        /// Days from capture to MQL and to SQL, from MQL to customer, and from handoff to first touch (hours).
        var daysToMQL: [Double] = []
        var daysToSQL: [Double] = []
        var salesCycleDays: [Double] = []
        var hoursToFirstTouch: [Double] = []

        public init() {}

        /// Conversion between consecutive stages: lead → MQL, MQL → SQL, handoff → SAL, SQL → opportunity, opportunity → customer.
        public var rates: [String: Double?] {
            func ratio(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : Double(part) / Double(whole) }
            return [
                "lead_to_mql": ratio(mql, captured), "mql_to_sql": ratio(sql, mql), "sales_accepted": ratio(sal, handedOff),
                "sql_to_opportunity": ratio(opportunity, sql), "opportunity_to_customer": ratio(customer, opportunity),
                "demo_booking": ratio(demos, captured), "unsubscribe": ratio(unsubscribed, captured),
            ]
        }

        public var medianDaysToMQL: Double? { Self.median(daysToMQL) }
        public var medianDaysToSQL: Double? { Self.median(daysToSQL) }
        public var medianSalesCycleDays: Double? { Self.median(salesCycleDays) }
        public var medianHoursToFirstTouch: Double? { Self.median(hoursToFirstTouch) }

        /// The middle of `values`, which ``FunnelReport`` has sorted once it has added every row
        /// (a page shows the medians of many groups, many times).
        static func median(_ values: [Double]) -> Double? {
            guard !values.isEmpty else { return nil }
            let middle = values.count / 2
            return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
        }

        mutating func sortSamples() {
            daysToMQL.sort()
            daysToSQL.sort()
            salesCycleDays.sort()
            hoursToFirstTouch.sort()
        }

        mutating func add(_ row: FunnelRow, until end: Timestamp) {
            func within(_ time: Timestamp?) -> Timestamp? { time.flatMap { $0 <= end ? $0 : nil } }
            func days(_ from: Timestamp, _ to: Timestamp) -> Double { Double(to.millisecondsSinceEpoch - from.millisecondsSinceEpoch) / 86_400_000 }
            captured += 1
            if let at = within(row.reachedStage(.mql)) {
                mql += 1
                daysToMQL.append(days(row.capturedAt, at))
            }
            if let at = within(row.reachedStage(.sql)) {
                sql += 1
                daysToSQL.append(days(row.capturedAt, at))
            }
            if within(row.reachedStage(.sal)) != nil { sal += 1 }
            if within(row.reachedStage(.opportunity)) != nil { opportunity += 1 }
            if let won = within(row.reachedStage(.customer)) {
                customer += 1
                if let mqlAt = row.reachedStage(.mql) { salesCycleDays.append(days(mqlAt, won)) }
            }
            if let handed = within(row.handedOffAt) {
                handedOff += 1
                if let touch = within(row.firstTouchAt) { hoursToFirstTouch.append(days(handed, touch) * 24) }
            }
            if within(row.demoAt) != nil { demos += 1 }
            if within(row.unsubscribedAt) != nil { unsubscribed += 1 }
            pipeline += row.pipeline
            revenue += row.revenue
        }
    }

    public struct Period: Sendable, Equatable {
        public var from: Timestamp
        public var to: Timestamp
        public var total = Figures()
        public var groups: [String: Figures] = [:]
    }

    public var dimension: Dimension
    public var current: Period
    public var prior: Period

    /// Leads captured in [from, to), followed up to and including `asOf` (the report's "now").
    public init(rows: [FunnelRow], from: Timestamp, to: Timestamp, by dimension: Dimension = .total, asOf: Timestamp? = nil) {
        self.dimension = dimension
        let length = to.millisecondsSinceEpoch - from.millisecondsSinceEpoch
        let priorFrom = from.adding(milliseconds: -length)
        current = Period(from: from, to: to)
        prior = Period(from: priorFrom, to: from)
        let end = asOf ?? Timestamp(millisecondsSinceEpoch: Int64.max)
        for row in rows {
            if row.capturedAt >= from, row.capturedAt < to {
                current.total.add(row, until: end)
                for key in Self.keys(row, dimension) { current.groups[key, default: Figures()].add(row, until: end) }
            } else if row.capturedAt >= priorFrom, row.capturedAt < from {
                // The prior period is followed for as long as the current one has been, so the
                // two compare like with like.
                let priorEnd = Timestamp(millisecondsSinceEpoch: min(end.millisecondsSinceEpoch, Int64.max - length) - length)
                prior.total.add(row, until: asOf == nil ? end : priorEnd)
                for key in Self.keys(row, dimension) { prior.groups[key, default: Figures()].add(row, until: asOf == nil ? end : priorEnd) }
            }
        }
        current.total.sortSamples()
        prior.total.sortSamples()
        for key in current.groups.keys { current.groups[key]?.sortSamples() }
        for key in prior.groups.keys { prior.groups[key]?.sortSamples() }
    }

    static func keys(_ row: FunnelRow, _ dimension: Dimension) -> [String] {
        switch dimension {
        case .total: return ["total"]
        case .source: return [row.source]
        case .week:
            // The Monday of the capture week (1970-01-01 was a Thursday).
            let day = row.capturedAt.millisecondsSinceEpoch / 86_400_000
            let monday = day - ((day + 3) % 7 + 7) % 7
            return [String(Timestamp(millisecondsSinceEpoch: monday * 86_400_000).iso8601.prefix(10))]
        case .segment, .workflow, .variant, .step: return row.groups.isEmpty ? ["none"] : row.groups
        }
    }
}
