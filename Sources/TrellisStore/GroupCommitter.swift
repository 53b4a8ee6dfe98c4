import TrellisCore

/// Group commit: many concurrent requests share one transaction.
///
/// Each caller hands in its batch and waits; a single writer loop takes everything that queued up
/// while the previous transaction was committing and stores it in the next one. One fsync then
/// covers dozens of requests, and each request is still answered only after its data is durable.
/// If a combined transaction fails, the batches are retried one by one so a single bad batch
/// cannot fail its neighbours.
public actor GroupCommitter {
    private let store: any ContactStore
    private let maxBatchesPerCommit: Int
    private var pending: [(batch: IngestBatch, continuation: CheckedContinuation<IngestOutcome, any Error>)] = []
    private var writing = false
    /// Figures for metrics: commits made and batches they carried.
    public private(set) var commits = 0
    public private(set) var committedBatches = 0

    /// Told after each commit how many batches and messages it carried: for metrics.
    private let onCommit: @Sendable (_ batches: Int, _ messages: Int) -> Void

    public init(store: any ContactStore, maxBatchesPerCommit: Int = 256, onCommit: @escaping @Sendable (_ batches: Int, _ messages: Int) -> Void = { _, _ in }) {
        self.store = store
        self.maxBatchesPerCommit = maxBatchesPerCommit
        self.onCommit = onCommit
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
                let outcomes = try await store.ingest(group.map(\.batch))
                commits += 1
                committedBatches += group.count
                onCommit(group.count, group.reduce(0) { $0 + $1.batch.messages.count })
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
                        let outcome = try await store.ingest([entry.batch])
                        commits += 1
                        committedBatches += 1
                        onCommit(1, entry.batch.messages.count)
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
