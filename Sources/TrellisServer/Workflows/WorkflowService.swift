import Logging
import TrellisCore
import TrellisStore

/// Runs the nurture stage in serve mode: after every ingest commit and qualify change, and once a
/// second for waits that are over, it moves workflow runs on. Tests drive it with ``drain()``.
public actor WorkflowService {
    let store: any Store
    let clock: any TrellisClock
    let metrics: ServerMetrics?
    let logger: Logger
    public private(set) var workflows: WorkflowSet
    private let signal = PassSignal()

    public init(store: any Store, clock: any TrellisClock, metrics: ServerMetrics? = nil, logger: Logger = Logger(label: "trellis.workflows")) {
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        workflows = try! WorkflowSet([])
    }

    public nonisolated func notify() { signal.notify() }

    /// Loads every stored version and status.
    public func reload() async throws {
        let versions = try await store.workflowVersions()
        workflows = try WorkflowSet(
            versions.map { WorkflowSet.Version(definition: $0.definition, version: $0.version, status: $0.status) }, zones: SystemTimeZones())
    }

    @discardableResult
    public func drain(limit: Int = 2_000) async throws -> WorkflowReport {
        var total = WorkflowReport()
        while true {
            let report = try await store.advanceWorkflows(workflows, at: clock.now(), limit: limit)
            if report.staleWorkflows {
                // Another process changed the workflows: take them up and go again.
                try await reload()
                continue
            }
            let finished = clock.now()
            metrics?.workflowsAdvanced(report, entryLagsMilliseconds: report.entryReceivedAt.map { max(0, finished.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) })
            total.events += report.events
            total.entered += report.entered
            total.dueRuns += report.dueRuns
            total.actions += report.actions
            total.sends += report.sends
            total.finished += report.finished
            if !report.more { break }
        }
        return total
    }

    /// `spacing`: the least time from one pass's start to the next (see ``PassSignal``).
    public func run(spacing: Duration = .zero) async {
        await signal.run(logger: logger, name: "workflow", spacing: spacing) { try await drain() }
    }
}
