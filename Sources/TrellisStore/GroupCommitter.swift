import TrellisCore

/// Group commit: many concurrent requests share one transaction.
///
/// Each caller hands in its batch and waits; a single writer loop takes everything that queued up
/// while the previous transaction was committing and stores it in the next one. One fsync then
/// covers dozens of requests, and each request is still answered only after its data is durable.
/// If a combined transaction fails, the batches are retried one by one so a single bad batch
/// cannot fail its neighbours.
public actor GroupCommitter {
    /// One transaction of the ingest path, for metrics: the requests' batches and messages it
    /// carried, and how long the store took over it (waiting for the writer, the transaction and
    /// its commit). Their sum over a second is the share of it the single writer was busy with
    /// ingest: near 1, the writer is what limits the rate.
    public struct Commit: Sendable, Equatable {
        public let batches: Int
        public let messages: Int
        public let duration: Duration
    }

    private let store: any ContactStore
    private let maxBatchesPerCommit: Int
    private var pending: [(batch: IngestBatch, continuation: CheckedContinuation<IngestOutcome, any Error>)] = []
    private var writing = false
    /// Figures for metrics: commits made and batches they carried.
    public private(set) var commits = 0
    public private(set) var committedBatches = 0

    /// Told after each commit what it carried and took.
    private let onCommit: @Sendable (Commit) -> Void
    /// Starts a stopwatch on the injected clock; calling what it returns reads it.
    private let stopwatch: @Sendable () -> @Sendable () -> Duration

    public init<C: Clock<Duration>>(
        store: any ContactStore, maxBatchesPerCommit: Int = 256, clock: C = ContinuousClock(), onCommit: @escaping @Sendable (Commit) -> Void = { _ in }
    ) {
        self.store = store
        self.maxBatchesPerCommit = maxBatchesPerCommit
        self.onCommit = onCommit
        stopwatch = {
            let start = clock.now
            return { start.duration(to: clock.now) }
        }
    }

    /// Stores the batch; returns once it is committed.
    public func submit(_ batch: IngestBatch) async throws -> IngestOutcome {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((batch, continuation))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let group = Array(pending.prefix(maxBatchesPerCommit))
            pending.removeFirst(group.count)
            do {
                let elapsed = stopwatch()
                let outcomes = try await store.ingest(group.map(\.batch))
                commits += 1
                committedBatches += group.count
                onCommit(Commit(batches: group.count, messages: group.reduce(0) { $0 + $1.batch.messages.count }, duration: elapsed()))
                for (entry, outcome) in zip(group, outcomes) { entry.continuation.resume(returning: outcome) }
            } catch {
                // One batch alone cannot fail a group; but a store that is away or full fails
                // each of them again: answer them all now instead of one slow retry each.
                if group.count == 1 || Self.failsEveryBatch(error) {
                    for entry in group { entry.continuation.resume(throwing: error) }
                    continue
                }
                for entry in group {
                    do {
                        let elapsed = stopwatch()
                        let outcome = try await store.ingest([entry.batch])
                        commits += 1
                        committedBatches += 1
                        onCommit(Commit(batches: 1, messages: entry.batch.messages.count, duration: elapsed()))
                        entry.continuation.resume(returning: outcome[0])
                    } catch {
                        entry.continuation.resume(throwing: error)
                    }
                }
            }
        }
        writing = false
    }

    static func failsEveryBatch(_ error: any Error) -> Bool {
        switch StoreError.classify(error) {
        case .unavailable?, .storageFull?: true
        default: false
        }
    }
}
