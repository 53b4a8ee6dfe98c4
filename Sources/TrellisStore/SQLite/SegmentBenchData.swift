import GRDB
import TrellisCore

/// Builds a large synthetic store for the segment benchmark straight in SQL: contacts with
/// traits, stages and some unsubscribes, and events spread over `days` (a fifth of them page
/// views, one in ten of those on /pricing). Indexes are dropped during the load and built after,
/// as a bulk import would; the schema is the store's own.
public enum SegmentBenchData {
    public static func build(path: String, contacts: Int, events: Int, days: Int, now: Timestamp, log: @escaping @Sendable (String) -> Void) async throws {
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        try await store.pool.write { db in
            let indexes = try Row.fetchAll(
                db, sql: "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name IN ('contacts', 'events') AND sql IS NOT NULL")
            for index in indexes {
                try db.execute(sql: "DROP \((index[1] as String).hasPrefix("CREATE TRIGGER") ? "TRIGGER" : "INDEX") \(index[0] as String)")
            }
            let span = Int64(days) * 86_400_000
            let end = now.millisecondsSinceEpoch
            log("inserting \(contacts) contacts")
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO contacts (id, user_id, email, email_lower, traits, stage, consent, first_seen, last_seen, created_at, updated_at)
                    SELECT i, 'u' || i, 'c' || i || '@bench.example', 'c' || i || '@bench.example',
                        json_object('company_size', (i * 7919) % 1000, 'country', CASE i % 4 WHEN 0 THEN 'US' WHEN 1 THEN 'DE' WHEN 2 THEN 'GB' ELSE 'FR' END,
                            'title', CASE i % 3 WHEN 0 THEN 'VP Marketing' WHEN 1 THEN 'Engineer' ELSE 'Marketing Manager' END),
                        CASE i % 5 WHEN 0 THEN 'subscriber' WHEN 1 THEN 'lead' WHEN 2 THEN 'lead' WHEN 3 THEN 'mql' ELSE 'sql' END,
                        CASE WHEN i % 33 = 0 THEN '{"email":{"status":"withdrawn","basis":"express","recordedAt":"2026-01-01T00:00:00.000Z"}}' ELSE '{}' END,
                        ? - ?, ? - (i % 86400000), ? - ?, ?
                    FROM n
                    """, arguments: [contacts, end, span, end, end, span, end])
            log("inserting \(events) events")
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?),
                    -- The kind comes from a hash of i because it is used in three columns (SQLite may
                    -- evaluate random() once per use); contact and time use random() once each.
                    r(i, x) AS (SELECT i, ((i * 1103515245 + 12345) / 65536) % 100 FROM n)
                    INSERT INTO events (seq, source, message_id, message_key, contact_id, type, name, user_id, properties, context, timestamp, received_at)
                    SELECT i, 'bench', 'b' || i, trellis_message_key('bench', 'b' || i), 1 + abs(random()) % ?,
                        CASE WHEN x < 20 THEN 'page' ELSE 'track' END,
                        CASE WHEN x < 2 THEN 'Pricing' WHEN x < 20 THEN 'Blog' WHEN x < 50 THEN 'Email Opened' WHEN x < 60 THEN 'Email Clicked'
                            WHEN x < 62 THEN 'Ebook Downloaded' ELSE 'Feature Used' END,
                        NULL,
                        CASE WHEN x < 2 THEN '{"path":"/pricing","title":"Pricing"}' WHEN x < 20 THEN '{"path":"/blog/post-' || (x % 7) || '"}'
                            WHEN x < 60 THEN '{"email":"newsletter-' || (x % 5) || '"}' ELSE '{"feature":"f' || (x % 9) || '"}' END,
                        '{}', ? - abs(random()) % ?, ?
                    FROM r
                    """, arguments: [events, contacts, end, span, end])
            log("building indexes")
            for index in indexes { try db.execute(sql: index[1]) }
            try db.execute(sql: "UPDATE qualify_cursor SET last_seq = (SELECT max(seq) FROM events)")
        }
        try await store.pool.write { db in try db.execute(sql: "ANALYZE") }
        try store.close()
    }
}
