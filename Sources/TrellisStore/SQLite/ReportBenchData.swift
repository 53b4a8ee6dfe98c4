import GRDB
import TrellisCore

/// What the reports benchmark adds to the segment benchmark's store (contacts and events), in SQL:
/// a funnel rollup row per contact (captured over `days`, 15 % reaching MQL, 6 % SQL, 3 %
/// opportunity, 1 % customer, with handoffs, first touches, demos and unsubscribes), two sends
/// per contact, three segments' members, and runs of an A/B-tested workflow (with a send step's
/// actions) and an inactivity workflow. Stage times come from a hash of the contact id, so a rebuild gives the same store.
public enum ReportBenchData {
    public static let splitWorkflowJSON = #"""
        {"workflow":"bench-ab","trigger":{"event":"Ebook Downloaded"},"exit_when":[{"event":"Demo Booked"}],
         "steps":[{"split":{"variants":{"a":45,"b":45},"holdout":10}},{"wait":"3d"},{"exit":true}]}
        """#
    public static let inactiveWorkflowJSON = #"""
        {"workflow":"bench-reengage","trigger":{"inactive":"60d"},"steps":[{"wait":"14d"},{"exit":true}]}
        """#
    public static let segmentJSONs = [
        #"{"name":"bench-enterprise","match":{"trait":"company_size","gte":500}}"#,
        #"{"name":"bench-marketing","match":{"trait":"title","contains":"Marketing"}}"#,
        #"{"name":"bench-europe","match":{"trait":"country","in":["DE","FR","GB"]}}"#,
    ]

    /// Adds the report tables' rows to the store at `path` (built by ``SegmentBenchData``).
    public static func augment(path: String, days: Int, now: Timestamp, log: @escaping @Sendable (String) -> Void) async throws {
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        for text in [splitWorkflowJSON, inactiveWorkflowJSON] {
            _ = try await store.saveWorkflow(try WorkflowDefinition(json: try JSONValue(jsonText: text)), status: .published, at: now)
        }
        var segmentIds: [Int64] = []
        for text in segmentJSONs {
            let definition = try SegmentDefinition(json: try JSONValue(jsonText: text))
            if let old = try await store.segments().first(where: { $0.definition.name == definition.name }) { _ = try await store.deleteSegment(id: old.id) }
            segmentIds.append(try await store.saveSegment(definition, at: now).id)
        }
        let segments = segmentIds
        let end = now.millisecondsSinceEpoch, span = Int64(days) * 86_400_000, day: Int64 = 86_400_000
        try await store.pool.write { db in
            log("funnel rollup rows")
            try db.execute(sql: "DELETE FROM funnel_contacts")
            // x: a per-contact draw in 0..<1000; cap: the capture time; lag: days to the next stage.
            try db.execute(
                sql: """
                    WITH r AS (SELECT id, (id * 2654435761) % 1000 AS x, ?1 - ?2 + (id * 11400714819) % ?2 AS cap, ((id * 48271) % (10 * ?3)) + ?3 / 4 AS lag FROM contacts)
                    INSERT INTO funnel_contacts (contact_id, captured_at, source, lead_at, mql_at, sal_at, sql_at, opportunity_at, customer_at, demo_at,
                        handed_off_at, first_touch_at, unsubscribed_at, pipeline, revenue)
                    SELECT id, cap, CASE (id * 31) % 6 WHEN 0 THEN 'google' WHEN 1 THEN 'linkedin' WHEN 2 THEN 'webinar' WHEN 3 THEN 'organic'
                            WHEN 4 THEN 'referral' ELSE 'partner' END, cap,
                        CASE WHEN x < 150 AND cap + lag <= ?1 THEN cap + lag END,
                        CASE WHEN x < 80 AND cap + 2 * lag <= ?1 THEN cap + 2 * lag END,
                        CASE WHEN x < 60 AND cap + 3 * lag <= ?1 THEN cap + 3 * lag END,
                        CASE WHEN x < 30 AND cap + 5 * lag <= ?1 THEN cap + 5 * lag END,
                        CASE WHEN x < 10 AND cap + 8 * lag <= ?1 THEN cap + 8 * lag END,
                        CASE WHEN x < 40 AND cap + 2 * lag <= ?1 THEN cap + 2 * lag END,
                        CASE WHEN x < 100 AND cap + lag + 3600000 <= ?1 THEN cap + lag + 3600000 END,
                        CASE WHEN x < 90 AND cap + lag + 3600000 * (1 + id % 30) <= ?1 THEN cap + lag + 3600000 * (1 + id % 30) END,
                        CASE WHEN x >= 975 AND cap + 3 * lag <= ?1 THEN cap + 3 * lag END,
                        CASE WHEN x < 30 AND cap + 5 * lag <= ?1 THEN 5000 + (id % 50) * 1000 ELSE 0 END,
                        CASE WHEN x < 10 AND cap + 8 * lag <= ?1 THEN 5000 + (id % 50) * 1000 ELSE 0 END
                    FROM r
                    """, arguments: [end, span, day])
            // The rollup is built: it need not fold the benchmark's events again.
            try SQLiteStore.saveSetting(db, "report_cursor", String(try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM events") ?? 0))
            log("segment members")
            try db.execute(sql: "DELETE FROM segment_members WHERE segment_id IN (?, ?, ?)", arguments: StatementArguments(segments))
            for (segment, condition) in zip(segments, ["(id * 7919) % 1000 >= 500", "id % 3 <> 1", "id % 4 <> 0"]) {
                try db.execute(
                    sql: "INSERT INTO segment_members (segment_id, contact_id, entered_at) SELECT ?, id, ? FROM contacts WHERE \(condition)", arguments: [segment, end])
            }
            log("workflow runs")
            try db.execute(sql: "DELETE FROM workflow_runs WHERE workflow IN ('bench-ab', 'bench-reengage')")
            try db.execute(
                sql: """
                    INSERT INTO workflow_runs (id, workflow, version, contact_id, position, status, wake_at, entered_at, variant, executed, finish_reason, updated_at)
                    SELECT 'ab-' || contact_id, 'bench-ab', 1, contact_id, 2, 'finished', NULL, captured_at + 3600000,
                        CASE contact_id % 10 WHEN 0 THEN NULL WHEN 1 THEN 'a' WHEN 2 THEN 'a' WHEN 3 THEN 'a' WHEN 4 THEN 'a' WHEN 5 THEN 'b' WHEN 6 THEN 'b' WHEN 7 THEN 'b' WHEN 8 THEN 'b' ELSE 'a' END,
                        3, CASE contact_id % 10 WHEN 0 THEN 'holdout' ELSE 'completed' END, captured_at + 3600000
                    FROM funnel_contacts WHERE contact_id % 5 < 3
                    """)
            try db.execute(
                sql: """
                    INSERT INTO workflow_runs (id, workflow, version, contact_id, position, status, wake_at, entered_at, variant, executed, finish_reason, updated_at)
                    SELECT 're-' || contact_id, 'bench-reengage', 1, contact_id, 1, 'waiting', ?1 + 86400000, ?1 - (contact_id % 30) * 86400000, NULL, 1, NULL, ?1
                    FROM funnel_contacts WHERE contact_id % 10 = 9
                    """, arguments: [end])
            // Each non-holdout run of the A/B workflow sent at its step "hello".
            try db.execute(sql: "DELETE FROM workflow_actions WHERE workflow = 'bench-ab'")
            try db.execute(
                sql: """
                    INSERT INTO workflow_actions (key, run_id, contact_id, workflow, step, kind, detail, at, delivered_at)
                    SELECT id || ':1', id, contact_id, 'bench-ab', 'hello', 'send', 'welcome', entered_at, entered_at
                    FROM workflow_runs WHERE workflow = 'bench-ab' AND variant IS NOT NULL
                    """)
            log("email sends")
            try db.execute(sql: "DELETE FROM email_sends WHERE key LIKE 'bench-%'")
            try db.execute(
                sql: """
                    INSERT INTO email_sends (key, contact_id, template, kind, workflow, step, status, attempts, next_attempt_at, message_id, created_at, sent_at,
                        opened_at, clicked_at, unsubscribed_at)
                    SELECT 'bench-' || contact_id || '-' || k, contact_id,
                        CASE (contact_id + k) % 5 WHEN 0 THEN 'welcome' WHEN 1 THEN 'case-study' WHEN 2 THEN 'demo-offer' WHEN 3 THEN 'newsletter' ELSE 'ready-to-talk' END,
                        'marketing', 'bench-ab', 'step-' || k, 'sent', 1, captured_at + k * 86400000, NULL, captured_at + k * 86400000, captured_at + k * 86400000,
                        CASE WHEN (contact_id * 13 + k) % 100 < 25 THEN captured_at + k * 86400000 + 3600000 END,
                        CASE WHEN (contact_id * 13 + k) % 100 < 5 THEN captured_at + k * 86400000 + 3600000 END,
                        CASE WHEN (contact_id * 7 + k) % 1000 < 3 THEN captured_at + k * 86400000 + 7200000 END
                    FROM funnel_contacts, (SELECT 1 AS k UNION ALL SELECT 4) WHERE captured_at + k * 86400000 <= ?
                    """, arguments: [end])
        }
        try await store.pool.write { db in try db.execute(sql: "ANALYZE") }
        try store.close()
    }
}
