import Foundation
import GRDB
import Testing
@testable import TrellisStore

/// The writer's WAL appends are gathered and written in a few calls a commit (Sources/CTrellisSQLite).
@Suite struct WALGatheringTests {
    func temporaryPath() throws -> (directory: URL, path: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-gather-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, directory.appendingPathComponent("g.db").path)
    }

    @Test func onlyADurableStoreGathers() async throws {
        let (directory, path) = try temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let durable = try SQLiteStore(path: path)
        #expect(durable.gathersWAL)
        #expect(try await durable.walWriteCounts() != nil)
        try durable.close()
        // Under synchronous=OFF a commit is published without a sync, the point where gathered
        // frames are written: such a store must write as SQLite does.
        let throwaway = try SQLiteStore(path: directory.appendingPathComponent("t.db").path, durable: false)
        #expect(!throwaway.gathersWAL)
        #expect(try await throwaway.walWriteCounts() == nil)
        try throwaway.close()
    }

    /// A commit of ~1 MB of frames reaches the file whole, in a few writes; each commit is seen by
    /// the readers as soon as it returns; the file is sound when opened again.
    @Test func largeCommitsReachTheFileWholeAndReadersSeeEveryCommit() async throws {
        let (directory, path) = try temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        try await store.execute(sql: "CREATE TABLE scratch (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        let before = try #require(try await store.walWriteCounts())
        // 400 rows of 2,000 bytes: with 1 KiB pages, about 800 frames in one commit, far past the
        // 128 KiB that SQLite's unix VFS writes in one call.
        try await store.pool.write { db in
            for id in 1...400 {
                try db.execute(sql: "INSERT INTO scratch (id, body) VALUES (?, randomblob(2000))", arguments: [id])
            }
        }
        let after = try #require(try await store.walWriteCounts())
        let received = after.received - before.received
        let written = after.written - before.written
        #expect(received > 1_500, "SQLite writes a frame as a header and a page: \(received) writes")
        #expect(written * 50 < received, "\(received) writes from SQLite reached the file as \(written)")
        #expect(try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT sum(length(body)) FROM scratch") } == 800_000)

        for round in 1...30 {
            try await store.pool.write { db in
                try db.execute(sql: "INSERT INTO scratch (body) VALUES (randomblob(?))", arguments: [round * 97])
            }
            let seen = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch") }
            #expect(seen == 400 + round, "a reader after commit \(round) saw \(seen ?? -1) rows")
        }
        // Copied back into the database by a checkpoint (which reads the WAL), then reopened.
        await store.checkpointNow()
        try await store.pool.write { db in try db.execute(sql: "INSERT INTO scratch (body) VALUES (x'00')") }
        try store.close()
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.integrityCheck() == "ok")
        let rows = try await reopened.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch") }
        let bytes = try await reopened.pool.read { db in try Int.fetchOne(db, sql: "SELECT sum(length(body)) FROM scratch") }
        #expect(rows == 431)
        #expect(bytes == 800_000 + (1...30).map { $0 * 97 }.reduce(0, +) + 1)
        try reopened.close()
    }
}
