import Foundation
import GRDB
import Testing
import TrellisCore
@testable import TrellisStore

/// Migration v11 fills the email report's per-send columns from events stored before it.
@Suite struct ReportMigrationTests {
    @Test func sendsOfEarlierEventsGetTheirOpensClicksAndUnsubscribes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-v11-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("store.db").path)
        try SQLiteStore.migrator.migrate(store.pool, upTo: "v10-email-report-indexes")
        let at: Int64 = 1_790_000_000_000
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO contacts (id, traits, first_seen, last_seen, created_at, updated_at) VALUES (1, '{}', ?1, ?1, ?1, ?1), (2, '{}', ?1, ?1, ?1, ?1)", arguments: [at])
            // Sends 1 and 2 to contact 1, send 3 to contact 2.
            for (id, contact) in [(1, 1), (2, 1), (3, 2)] {
                try db.execute(
                    sql: """
                        INSERT INTO email_sends (id, key, contact_id, template, kind, status, attempts, next_attempt_at, created_at, sent_at)
                        VALUES (?, ?, ?, 'welcome', 'marketing', 'sent', 1, ?, ?, ?)
                        """, arguments: [id, "k\(id)", contact, at, at, at])
            }
            // Send 1: prefetched by a scanner, then clicked (a click is an open). Send 2: nothing.
            // Send 3: opened, then unsubscribed. An open naming send 3 but from contact 1 counts for nobody.
            for (seq, contact, name, send, minutes) in [
                (1, 1, "Email Open Prefetched", 1, 1), (2, 1, "Email Clicked", 1, 5), (3, 2, "Email Opened", 3, 2), (4, 2, "Unsubscribed", 3, 9), (5, 1, "Email Opened", 3, 3),
            ] {
                try db.execute(
                    sql: """
                        INSERT INTO events (seq, source, message_id, contact_id, type, name, properties, context, timestamp, received_at)
                        VALUES (?, 'email', ?, ?, 'track', ?, ?, '{}', ?, ?)
                        """, arguments: [seq, "m\(seq)", contact, name, #"{"send_id":\#(send)}"#, at + Int64(minutes) * 60_000, at])
            }
        }
        try await store.migrate()
        let rows = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, opened_at, clicked_at, unsubscribed_at FROM email_sends ORDER BY id").map { row -> [Int64?] in
                [row[1], row[2], row[3]].map { ($0 as Int64?).map { ($0 - at) / 60_000 } }
            }
        }
        #expect(rows == [[5, 5, nil], [nil, nil, nil], [2, nil, 9]])
        let report = try await store.emailEngagement(sentFrom: Timestamp(millisecondsSinceEpoch: at), to: Timestamp(millisecondsSinceEpoch: at + 1))
        #expect(report == [EmailEngagement(template: "welcome", sent: 3, opened: 2, clicked: 1, unsubscribed: 1)])
        try store.close()
    }
}
