import TrellisCore
import TrellisStore

/// The console's standing reports (the dashboard's 30 days, the reports page's 90), computed once
/// and served until the data moves, so the pages answer in milliseconds on a large store.
///
/// A snapshot is exact while no event has arrived since it was computed. Once events arrive it
/// may still be served, marked with the time it is as of, for `maxAge` while a newer one is
/// computed behind it; older than that, the page waits for a fresh one. `refresh(now:)`, called
/// in the background by `trellis serve`, keeps them fresh so no page waits: it computes a snapshot
/// again once events have overtaken it and it is older than ten times what it took to compute
/// (15 s at least), so a large store spends a tenth of a core on it at most. With `maxAge` zero
/// (the default) every snapshot is exact.
public actor ReportSnapshots {
    /// The 30-day funnel the dashboard draws.
    public struct Dashboard: Sendable {
        public var report: FunnelReport
    }

    /// Everything the reports page shows for its 90 days.
    public struct Reports: Sendable {
        public var bySource: FunnelReport
        public var byWeek: FunnelReport
        public var bySegment: FunnelReport
        public var byWorkflow: FunnelReport
        public var byVariant: FunnelReport
        public var byStep: FunnelReport
        public var email: FunnelReporting.EmailReport
        public var attribution: [Attribution.Model: FunnelReporting.AttributionResult]
        public var experiments: [(workflow: String, goal: String, report: ExperimentReport)]
    }

    /// A computed value, the period it is for, the event log position it saw and when.
    public struct Snapshot<Value: Sendable>: Sendable {
        public var value: Value
        public var from: Timestamp
        public var to: Timestamp
        public var version: Int64
        public var computedAt: Timestamp
        /// Milliseconds the computation took.
        public var took: Int64
    }

    private let store: any Store
    private let clock: any TrellisClock
    private let maxAge: Int64
    private let dashboardSlot = SnapshotSlot<Dashboard>()
    private let reportsSlot = SnapshotSlot<Reports>()

    /// `maxAge`: how long, in milliseconds, a snapshot may be served after events have arrived.
    public init(store: any Store, clock: any TrellisClock, maxAge: Int64 = 0) {
        self.store = store
        self.clock = clock
        self.maxAge = maxAge
    }

    /// The dashboard's period: the last 30 whole UTC days, today included.
    public static func dashboardPeriod(_ now: Timestamp) -> (from: Timestamp, to: Timestamp) {
        let to = Timestamp(millisecondsSinceEpoch: (now.millisecondsSinceEpoch / 86_400_000 + 1) * 86_400_000)
        return (to.adding(days: -30), to)
    }

    /// The reports page's period: the last 90 whole UTC days, today included.
    public static func reportsPeriod(_ now: Timestamp) -> (from: Timestamp, to: Timestamp) {
        let to = Timestamp(millisecondsSinceEpoch: (now.millisecondsSinceEpoch / 86_400_000 + 1) * 86_400_000)
        return (to.adding(days: -90), to)
    }

    public func dashboard(now: Timestamp) async throws -> Snapshot<Dashboard> {
        try await dashboard(now: now, maxAge: maxAge)
    }

    /// The reports page's snapshot.
    public func reports(now: Timestamp) async throws -> Snapshot<Reports> {
        try await reports(now: now, maxAge: maxAge)
    }

    /// Computes again the snapshots that events have overtaken, so pages find them fresh (and
    /// the first ones at start, so nobody waits for them).
    public func refresh(now: Timestamp) async throws {
        if await dashboardSlot.due(now: now) { _ = try await dashboard(now: now, maxAge: 0) }
        if await reportsSlot.due(now: now) { _ = try await reports(now: now, maxAge: 0) }
    }

    private func dashboard(now: Timestamp, maxAge: Int64) async throws -> Snapshot<Dashboard> {
        let (from, to) = Self.dashboardPeriod(now)
        let store = store, clock = clock
        return try await dashboardSlot.get(from: from, to: to, version: try await store.latestEventSequence(), now: now, maxAge: maxAge) {
            try await Self.measure(clock, from: from, to: to, store: store) {
                Dashboard(report: try await FunnelReporting.report(store: store, from: from, to: to, by: .total, asOf: $0))
            }
        }
    }

    private func reports(now: Timestamp, maxAge: Int64) async throws -> Snapshot<Reports> {
        let (from, to) = Self.reportsPeriod(now)
        let store = store, clock = clock
        return try await reportsSlot.get(from: from, to: to, version: try await store.latestEventSequence(), now: now, maxAge: maxAge) {
            try await Self.measure(clock, from: from, to: to, store: store) { try await Self.computeReports(store: store, from: from, to: to, asOf: $0) }
        }
    }

    static func measure<Value: Sendable>(
        _ clock: any TrellisClock, from: Timestamp, to: Timestamp, store: any Store, _ compute: (Timestamp) async throws -> Value
    ) async throws -> Snapshot<Value> {
        let began = clock.now()
        let version = try await store.latestEventSequence()
        let value = try await compute(began)
        return Snapshot(value: value, from: from, to: to, version: version, computedAt: began, took: clock.now().millisecondsSinceEpoch - began.millisecondsSinceEpoch)
    }

    /// The reports page's figures: the funnel rows read once for all six breakdowns.
    public static func computeReports(store: any Store, from: Timestamp, to: Timestamp, asOf: Timestamp) async throws -> Reports {
        try await FunnelReporting.catchUp(store)
        let length = to.millisecondsSinceEpoch - from.millisecondsSinceEpoch
        let rows = try await store.funnelRows(capturedFrom: from.adding(milliseconds: -length), to: to)
        func breakdown(_ dimension: FunnelReport.Dimension) async throws -> FunnelReport {
            try await FunnelReporting.report(rows: rows, store: store, from: from, to: to, by: dimension, asOf: asOf)
        }
        let bySource = try await breakdown(.source)
        let byWeek = try await breakdown(.week)
        let bySegment = try await breakdown(.segment)
        let byWorkflow = try await breakdown(.workflow)
        let byVariant = try await breakdown(.variant)
        let byStep = try await breakdown(.step)
        let email = try await FunnelReporting.email(store: store, from: from, to: to)
        let inputs = try await store.attributionInputs()
        var attribution: [Attribution.Model: FunnelReporting.AttributionResult] = [:]
        for model in Attribution.Model.allCases { attribution[model] = FunnelReporting.attribution(inputs, model: model) }
        var experiments: [(workflow: String, goal: String, report: ExperimentReport)] = []
        var latest: [String: WorkflowRecord] = [:]
        for record in try await store.workflowVersions() { latest[record.name] = record }
        for record in latest.values.sorted(by: { $0.name < $1.name }) where FunnelReporting.hasSplit(record.definition.steps) {
            if let (goal, report) = try await FunnelReporting.experiment(store: store, record, goal: nil) {
                experiments.append((record.name, goal, report))
            }
        }
        return Reports(
            bySource: bySource, byWeek: byWeek, bySegment: bySegment, byWorkflow: byWorkflow, byVariant: byVariant, byStep: byStep, email: email, attribution: attribution, experiments: experiments)
    }
}

/// One kind of snapshot: the latest, and the computation under way (shared by everyone who waits).
actor SnapshotSlot<Value: Sendable> {
    private var current: ReportSnapshots.Snapshot<Value>?
    private var computing: (from: Timestamp, task: Task<ReportSnapshots.Snapshot<Value>, any Error>)?

    /// Whether a background refresh should compute it again (if events have overtaken it).
    func due(now: Timestamp) -> Bool {
        guard let current else { return true }
        return now.millisecondsSinceEpoch - current.computedAt.millisecondsSinceEpoch >= max(15_000, current.took * 10)
    }

    func get(
        from: Timestamp, to: Timestamp, version: Int64, now: Timestamp, maxAge: Int64,
        compute: @escaping @Sendable () async throws -> ReportSnapshots.Snapshot<Value>
    ) async throws -> ReportSnapshots.Snapshot<Value> {
        if let current, current.from == from, current.to == to {
            if current.version >= version { return current }
            if now.millisecondsSinceEpoch - current.computedAt.millisecondsSinceEpoch < maxAge {
                start(from: from, compute)
                return current
            }
        }
        return try await start(from: from, compute).value
    }

    @discardableResult
    private func start(
        from: Timestamp, _ compute: @escaping @Sendable () async throws -> ReportSnapshots.Snapshot<Value>
    ) -> Task<ReportSnapshots.Snapshot<Value>, any Error> {
        if let computing, computing.from == from { return computing.task }
        let task = Task { try await compute() }
        computing = (from, task)
        // It lands even when whoever started it has stopped waiting.
        Task { await self.land(task) }
        return task
    }

    private func land(_ task: Task<ReportSnapshots.Snapshot<Value>, any Error>) async {
        if let snapshot = try? await task.value, current.map({ $0.computedAt <= snapshot.computedAt }) ?? true { current = snapshot }
        if computing?.task == task { computing = nil }
    }
}
