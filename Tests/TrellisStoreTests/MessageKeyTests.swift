import Foundation
import GRDB
import Testing
import TrellisCore
@testable import TrellisStore

/// The SQLite log finds duplicates by a 64-bit hash of (source, messageId): the hash is stored, so
/// it is pinned; two messages that hash alike are both kept, and each is still stored only once.
@Suite struct MessageKeyTests {
    /// FNV-1a over source, a zero byte and the messageId (values from an independent Python
    /// implementation). A changed hash would make every stored key wrong: retries stored twice.
    @Test func theKeyIsPinned() async throws {
        #expect(MessageKey.of(source: "bench", messageId: "b1") == -7_342_121_478_756_892_386)
        #expect(MessageKey.of(source: "web", messageId: "9c2f3d0e-4a51-4d7b-9a0e-2f6c1d8b7e33") == 1_989_156_149_261_304_764)
        #expect(MessageKey.of(source: "", messageId: "") == -5_808_590_958_014_384_161)
        let fixture = try await StoreFixture()
        let inSQL = try await fixture.sqlite.pool.read { db in try Int64.fetchOne(db, sql: "SELECT trellis_message_key('bench', 'b1')") }
        #expect(inSQL == -7_342_121_478_756_892_386)
    }

    /// A row of another message holding the key of the next one, as a hash collision would.
    private func occupyKey(of messageId: String, in fixture: StoreFixture, source: String = "test") async throws {
        try await fixture.sqlite.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO events (source, message_id, message_key, type, name, properties, context, timestamp, received_at)
                    VALUES (?, 'someone-else', ?, 'track', 'Other', '{}', '{}', 0, 0)
                    """, arguments: [source, MessageKey.of(source: source, messageId: messageId)])
        }
    }

    private func keys(of messageId: String, in fixture: StoreFixture) async throws -> [Int64?] {
        try await fixture.sqlite.pool.read { db in
            try Int64?.fetchAll(db, sql: "SELECT message_key FROM events WHERE message_id = ? ORDER BY seq", arguments: [messageId])
        }
    }

    @Test func behaviourWhoseKeyIsTakenIsStoredOnceWithoutAKey() async throws {
        let fixture = try await StoreFixture()
        try await fixture.ingest([track("first", user: "u1")])  // u1 is known: the insert is the duplicate check
        try await occupyKey(of: "m1", in: fixture)
        let stored = try await fixture.ingest([track("m1", user: "u1"), track("m1", user: "u1")])
        #expect(stored.stored == 1 && stored.duplicates == 1)
        let retried = try await fixture.ingest([track("m1", user: "u1")])
        #expect(retried.stored == 0 && retried.duplicates == 1)
        #expect(try await keys(of: "m1", in: fixture) == [nil])
        #expect(try await fixture.store.eventCount() == 3)
    }

    @Test func anIdentifyWhoseKeyIsTakenIsStoredOnceWithoutAKey() async throws {
        let fixture = try await StoreFixture()
        try await occupyKey(of: "id-1", in: fixture)
        let first = try await fixture.ingest([identify("id-1", user: "u9", traits: ["plan": "pro"])])
        #expect(first.stored == 1)
        let retried = try await fixture.ingest([identify("id-1", user: "u9", traits: ["plan": "free"])])
        #expect(retried.stored == 0 && retried.duplicates == 1)
        #expect(try await keys(of: "id-1", in: fixture) == [nil])
    }

    /// The store's own events (merges, stage changes, email events) go through the plain insert:
    /// a taken key stores the event without one, and a real duplicate still fails as before.
    @Test func theStoresOwnEventsHandleATakenKeyAndStillRefuseDuplicates() async throws {
        let fixture = try await StoreFixture()
        let contact = try #require(try await fixture.ingest([track("first", user: "u1")]).contactIds[0])
        try await occupyKey(of: "own-1", in: fixture, source: "email")
        let at = fixture.now
        try await fixture.sqlite.pool.write { db in
            let writer = try IngestWriter(db: db)
            let event = TrackingMessage(type: .track, messageId: "own-1", name: "Email Opened")
            try writer.appendEvent(event, contactId: contact, source: "email", timestamp: at, receivedAt: at)
            #expect(throws: DatabaseError.self) { try writer.appendEvent(event, contactId: contact, source: "email", timestamp: at, receivedAt: at) }
            let again = TrackingMessage(type: .track, messageId: "first", name: "Clicked")
            #expect(throws: DatabaseError.self) { try writer.appendEvent(again, contactId: contact, source: "test", timestamp: at, receivedAt: at) }
        }
        try await fixture.sqlite.recordEmailEvent(contactId: contact, name: "Email Opened", properties: [:], messageId: "own-1", at: at)
        #expect(try await keys(of: "own-1", in: fixture) == [nil])
        #expect(try await fixture.store.eventCount() == 3)
    }

    /// Migration v14 copies the log into the keyed table: every row, its seq, the sequence past
    /// the last row, the append-only trigger; the later of two rows whose hashes agree keeps no
    /// key (a hash that gives every row the same key makes them all agree), and every message
    /// stored before is still a duplicate afterwards.
    @Test func theMigrationKeysTheLogAndKeepsEveryRow() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-v14-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for everyKeyAlike in [false, true] {
            let store = try SQLiteStore(path: directory.appendingPathComponent("store-\(everyKeyAlike).db").path)
            try SQLiteStore.migrator.migrate(store.pool, upTo: "v13-rule-name-index-without-an-in-list")
            try await store.pool.write { db in
                try db.execute(sql: "INSERT INTO contacts (id, traits, first_seen, last_seen, created_at, updated_at) VALUES (1, '{}', 0, 0, 0, 0)")
                try db.execute(sql: "INSERT INTO identities (kind, value, contact_id, created_at) VALUES ('user', 'u1', 1, 0)")
                for seq in [3, 7, 8] {
                    try db.execute(
                        sql: """
                            INSERT INTO events (seq, source, message_id, contact_id, user_id, type, name, properties, context, timestamp, received_at)
                            VALUES (?, 'test', ?, 1, 'u1', 'track', 'Clicked', '{}', '{}', 0, 0)
                            """, arguments: [seq, "m\(seq)"])
                }
                try db.execute(sql: "UPDATE sqlite_sequence SET seq = 20 WHERE name = 'events'")
            }
            if everyKeyAlike {
                // Replaces the store's registration on the writer, which runs the migrations.
                try await store.pool.writeWithoutTransaction { db in
                    db.add(function: DatabaseFunction("trellis_message_key", argumentCount: 2, pure: true) { _ in 42 })
                }
            }
            try await store.migrate()
            let (rows, sequence, integrity) = try await store.pool.read { db in
                (
                    try Row.fetchAll(db, sql: "SELECT seq, message_id, message_key FROM events ORDER BY seq").map { [$0[0] as Int64, $0[2] as Int64?] as [Int64?] },
                    try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
                    try String.fetchOne(db, sql: "PRAGMA integrity_check")
                )
            }
            #expect(rows.map { $0[0] } == [3, 7, 8])
            #expect(sequence == 20)
            #expect(integrity == "ok")
            // With the stand-in hash, m3 holds a key that is not its own: only the unkeyed rows are
            // retried there (the real hash gives a stored message its own key, always).
            let retried: [Int]
            if everyKeyAlike {
                #expect(rows.map { $0[1] } == [42, nil, nil])
                retried = [7, 8, 30]
            } else {
                #expect(rows.map { $0[1] } == [3, 7, 8].map { MessageKey.of(source: "test", messageId: "m\($0)") })
                retried = [3, 7, 8, 30]
            }
            let retry = try await store.ingest([
                IngestBatch(source: "test", receivedAt: Timestamp(millisecondsSinceEpoch: 0), messages: retried.map { IngestMessage(track("m\($0)", user: "u1")) })
            ])[0]
            #expect(retry.stored == 1 && retry.duplicates == retried.count - 1, "every key alike: \(everyKeyAlike)")
            let newSeq = try await store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM events") }
            // Past the kept sequence, not after the last row (8); duplicates skipped by the insert
            // take numbers too, so not necessarily 21.
            #expect((newSeq ?? 0) > 20, "\(String(describing: newSeq))")
            await #expect(throws: DatabaseError.self) {
                try await store.pool.write { db in try db.execute(sql: "UPDATE events SET message_key = 1") }
            }
            try store.close()
        }
    }
}
