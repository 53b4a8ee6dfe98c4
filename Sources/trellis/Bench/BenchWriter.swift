import ArgumentParser
import Foundation
import TrellisCore
import TrellisStore

/// The SQLite store's single writer alone: the batches `trellis bench` would send, already parsed,
/// stored with `ingest` in groups the size group commit makes under that load. No HTTP, no
/// concurrency: what a change to the writer saves shows here without the noise of the rest.
struct BenchWriter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "writer",
        abstract: "The SQLite writer alone: parsed batches stored in group-commit-sized transactions; prints events/s and CPU an event.",
        discussion: """
            Makes the events first (random users, UUID messageIds, as `trellis bench` sends them), then \
            times only the store. Then inserts the same number of rows straight into SQLite in \
            transactions of the same size, for comparison.
            """)

    @Option(help: "Events to store.") var events = 400_000
    @Option(help: "Events per batch (one request's worth).") var batchSize = 100
    @Option(help: "Batches per transaction: `trellis bench` at 16 connections averages about 8.") var batchesPerCommit = 8
    @Option(help: "Distinct users the events come from.") var users = 10_000
    @Option(help: "Share of events sent a second time in a later batch, as a retrying client would (0 to 1).") var retries = 0.0

    func validate() throws {
        guard events > 0, batchSize > 0, batchesPerCommit > 0, users > 0 else { throw ValidationError("events, batch size, batches per commit and users must be positive") }
        guard (0...1).contains(retries) else { throw ValidationError("--retries must be between 0 and 1") }
    }

    func run() async throws {
        try await ScratchDirectory.using("writer") { try await run(in: $0) }
    }

    func run(in directory: String) async throws {
        let store = try SQLiteStore(path: directory + "/writer.db")
        try await store.migrate()

        let groups = makeGroups()
        let total = groups.reduce(0) { $0 + $1.reduce(0) { $0 + $1.messages.count } }
        print("trellis bench writer: \(total) events (\(Int(retries * 100))% retried), \(batchSize) a batch, \(batchesPerCommit) batches a transaction, \(users) users")
        let cpuBefore = ServerProcess.ownCPUSeconds()
        let start = BenchIngest.seconds()
        var stored = 0, duplicates = 0
        for group in groups {
            for outcome in try await store.ingest(group) {
                stored += outcome.stored
                duplicates += outcome.duplicates
            }
        }
        let wall = BenchIngest.seconds() - start
        let cpu = ServerProcess.ownCPUSeconds() - cpuBefore
        try store.close()
        print(
            String(
                format: "stored %d, duplicates %d in %.2f s: %.0f events/s; CPU %.1f µs an event (user + system, all threads), %d transactions",
                stored, duplicates, wall, Double(total) / wall, cpu / Double(total) * 1e6, groups.count))
        if let truncations = SQLiteStore.pageCacheTruncations {
            print("page-cache truncations at the end of a transaction: \(truncations.skipped) skipped (nothing to drop), \(truncations.passed) passed on")
        }
        let raw = try await SQLiteBaseline.insertEvents(
            path: directory + "/raw.db", rows: total, transactionSize: batchSize * batchesPerCommit, randomMessageIds: true, clock: BenchIngest.seconds)
        print(String(format: "raw SQLite insert, same rows and transaction size: %.0f rows/s; the writer is %.0f%% of it", Double(total) / raw, raw / wall * 100))
    }

    /// The transactions to store: each a group of batches of track calls, stamped a millisecond apart.
    func makeGroups() -> [[IngestBatch]] {
        var random = SplitMix64(seed: 7)
        let origin = Timestamp(millisecondsSinceEpoch: 1_795_458_845_000)
        var batches: [IngestBatch] = []
        var sent: [TrackingMessage] = []
        var made = 0
        while made < events {
            var messages: [IngestMessage] = []
            for index in 0..<min(batchSize, events - made) {
                if !sent.isEmpty, Double(random.next() % 1_000_000) / 1_000_000 < retries {
                    messages.append(IngestMessage(sent[Int(random.next() % UInt64(sent.count))]))
                    continue
                }
                let message = TrackingMessage(
                    type: .track, messageId: BenchIngest.uuid(&random), userId: "user-\(random.next() % UInt64(users))", name: "Bench Event",
                    properties: ["plan": "pro", "path": .string(index % 4 == 0 ? "/pricing" : "/blog/\(index % 7)"), "i": .int(Int64(index))],
                    context: ["library": ["name": "trellis-bench", "version": "1"], "ip": "203.0.113.7"],
                    originalTimestamp: origin.adding(milliseconds: Int64(made + index)))
                sent.append(message)
                messages.append(IngestMessage(message))
            }
            made += messages.count
            batches.append(IngestBatch(source: "bench", receivedAt: origin.adding(milliseconds: Int64(made)), messages: messages))
        }
        return stride(from: 0, to: batches.count, by: batchesPerCommit).map { Array(batches[$0..<min($0 + batchesPerCommit, batches.count)]) }
    }
}
