import Foundation
import GRDB
import TrellisCore

/// The yardstick for ingest benchmarks: the same event rows inserted straight into SQLite with
/// one prepared statement, in large transactions, with the same durability settings and indexes
/// as the store. What the HTTP path achieves is reported as a fraction of this.
public enum SQLiteBaseline {
    /// Inserts `rows` events (shaped like the benchmark's) into a fresh store at `path`;
    /// returns the seconds taken. `randomMessageIds`: UUIDs, as the bench sends by default (made
    /// before the clock starts), instead of `raw-<n>`.
    public static func insertEvents(
        path: String, rows: Int, transactionSize: Int = 10_000, randomMessageIds: Bool = false, clock: () -> Double
    ) async throws -> Double {
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        // The yardstick keeps a 64 MiB cache: its 10,000-row transactions gain from it (~75,000
        // rows/s against ~60,000 with the store's 16 MiB), and a weaker yardstick would flatter
        // the server's share of it.
        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -65536") }
        let ids = randomMessageIds ? (0..<rows).map { _ in UUID().uuidString.lowercased() } : []
        let start = clock()
        var inserted = 0
        while inserted < rows {
            let count = min(transactionSize, rows - inserted)
            let first = inserted
            try await store.pool.write { db in
                let statement = try db.makeStatement(
                    sql: """
                        INSERT INTO events (source, message_id, message_key, contact_id, type, name, user_id, properties, context, timestamp, received_at)
                        VALUES (?, ?, ?, ?, 'track', 'Bench Event', ?, ?, '{}', ?, ?)
                        """)
                for index in first..<(first + count) {
                    let messageId = ids.isEmpty ? "raw-\(index)" : ids[index]
                    try statement.execute(arguments: [
                        "bench", messageId, MessageKey.of(source: "bench", messageId: messageId), index % 10_000 + 1, "user-\(index % 10_000)", #"{"i":\#(index % 100),"path":"/pricing","plan":"pro"}"#,
                        1_795_458_845_000 + Int64(index), 1_795_458_845_000 + Int64(index),
                    ])
                }
            }
            inserted += count
        }
        let seconds = clock() - start
        try store.close()
        return seconds
    }
}
