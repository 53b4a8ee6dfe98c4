import Logging
import TrellisCore
import TrellisStore

/// Runs the qualify stage in serve mode: after every ingest commit (and once a second for
/// checks falling due) it qualifies the contacts with news, and it computes new or edited
/// segments over all contacts in the background, with progress.
///
/// Tests drive it by hand with ``drain()`` and ``waitForRecomputes()`` under a manual clock.
public actor QualifyService {
    let store: any Store
    let clock: any TrellisClock
    let logger: Logger
    let metrics: ServerMetrics?
    /// Told when a pass changed memberships or stages: workflows trigger on those.
    let onChange: @Sendable () -> Void
    public private(set) var qualifier: Qualifier
    private var recomputes: [Int64: Task<Void, Never>] = [:]
    private var progress: [Int64: (done: Int, total: Int)] = [:]
    private let signal = PassSignal()
    /// Passes run and their figures, for /metrics.
    public private(set) var lastReport = QualifyReport()

    public init(
        store: any Store, clock: any TrellisClock, metrics: ServerMetrics? = nil, logger: Logger = Logger(label: "trellis.qualify"),
        onChange: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.metrics = metrics
        self.onChange = onChange
        self.clock = clock
        self.logger = logger
        self.qualifier = Qualifier(catalog: try! SegmentCatalog([]), model: nil)
    }

    /// Tells the loop there is news in the log. Cheap; call it after every commit.
    public nonisolated func notify() { signal.notify() }

    /// Loads segments and the scoring model from the store.
    public func reload() async throws {
        let segments = try await store.segments().map(\.definition)
        qualifier = Qualifier(catalog: try SegmentCatalog(segments), model: try await store.scoringModel())
    }

    /// Qualifies until the log and the due checks are caught up.
    @discardableResult
    public func drain(limit: Int = 2_000) async throws -> QualifyReport {
        var total = QualifyReport()
        while true {
            let report = try await store.qualify(with: qualifier, at: clock.now(), limit: limit)
            let finished = clock.now()
            metrics?.qualified(report, lagsMilliseconds: report.receivedAt.map { max(0, finished.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) })
            total.events += report.events
            total.contacts += report.contacts
            total.dueChecks += report.dueChecks
            total.entered += report.entered
            total.exited += report.exited
            total.stageChanges += report.stageChanges
            total.scoreChanges += report.scoreChanges
            if report.entered + report.exited + report.stageChanges > 0 { onChange() }
            if !report.more { break }
        }
        lastReport = total
        return total
    }

    /// The serve-mode loop: drain on every notification; a ticker notifies once a second so due
    /// checks are seen. Returns when the task is cancelled.
    /// `spacing`: the least time from one pass's start to the next (see ``PassSignal``).
    public func run(spacing: Duration = .zero) async {
        await signal.run(logger: logger, name: "qualify", spacing: spacing) { try await drain() }
    }

    /// Starts computing the segment over all contacts; an earlier run for it is superseded.
    public func startRecompute(segmentId: Int64) {
        recomputes[segmentId]?.cancel()
        progress[segmentId] = (0, 0)
        let qualifier = self.qualifier
        recomputes[segmentId] = Task {
            do {
                let report = try await store.recompute(segmentId: segmentId, with: qualifier, at: clock.now()) { done, total in
                    Task { await self.noteProgress(segmentId, done, total) }
                }
                logger.info("segment \(segmentId) computed: \(report.members) members of \(report.contacts) contacts (+\(report.entered) −\(report.exited))")
            } catch {
                logger.error("segment \(segmentId) computation failed: \(error)")
            }
            self.finished(segmentId)
        }
    }

    private func noteProgress(_ segmentId: Int64, _ done: Int, _ total: Int) {
        if recomputes[segmentId] != nil { progress[segmentId] = (done, total) }
    }

    private func finished(_ segmentId: Int64) {
        recomputes[segmentId] = nil
        progress[segmentId] = nil
    }

    /// Progress of a running computation, nil when none runs.
    public func computing(_ segmentId: Int64) -> (done: Int, total: Int)? {
        recomputes[segmentId] == nil ? nil : progress[segmentId] ?? (0, 0)
    }

    public func waitForRecomputes() async {
        while let (_, task) = recomputes.first { await task.value }
    }
}
