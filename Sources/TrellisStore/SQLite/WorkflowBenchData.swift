import GRDB
import TrellisCore

/// A store for the workflow benchmark: `contacts` contacts, each with a run of `workflow` that is
/// due now at its first step. Built in SQL, like a large store that has been running for a while.
public enum WorkflowBenchData {
    public static func build(path: String, contacts: Int, workflow: WorkflowDefinition, at now: Timestamp) async throws {
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        _ = try await store.saveWorkflow(workflow, status: .published, at: now)
        try await store.pool.write { db in
            let at = now.millisecondsSinceEpoch
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO contacts (id, traits, first_seen, last_seen, created_at, updated_at)
                    SELECT i, '{"plan":"pro"}', ?, ?, ?, ? FROM n;
                    """, arguments: [contacts, at, at, at, at])
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO workflow_runs (id, workflow, version, contact_id, position, status, wake_at, entered_at, executed, updated_at)
                    SELECT 'bench-' || i, ?, 1, i, 0, 'waiting', ? - 1, ? - 1, 0, ? FROM n;
                    UPDATE workflow_cursor SET last_seq = (SELECT coalesce(max(seq), 0) FROM events);
                    """, arguments: [contacts, workflow.name, at, at, at])
        }
        try store.close()
    }
}
