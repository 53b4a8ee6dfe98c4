import GRDB

extension SQLiteStore {
    /// The schema's history. Registered migrations are never edited: a change is a new migration.
    /// The SQL sticks to what PostgreSQL also runs (ON CONFLICT, partial indexes, integer times).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE accounts (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        group_id TEXT NOT NULL UNIQUE,
                        name TEXT,
                        traits TEXT NOT NULL DEFAULT '{}',
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE contacts (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id TEXT,
                        email TEXT,
                        email_lower TEXT,
                        traits TEXT NOT NULL DEFAULT '{}',
                        stage TEXT,
                        owner TEXT,
                        account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
                        consent TEXT NOT NULL DEFAULT '{}',
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE UNIQUE INDEX contacts_email_lower ON contacts(email_lower) WHERE email_lower IS NOT NULL;
                    CREATE UNIQUE INDEX contacts_user_id ON contacts(user_id) WHERE user_id IS NOT NULL;
                    CREATE INDEX contacts_account ON contacts(account_id);

                    -- Every identifier that names a contact: userIds (including aliased previous ones)
                    -- and anonymousIds. kind is 'user' or 'anon'.
                    CREATE TABLE identities (
                        kind TEXT NOT NULL,
                        value TEXT NOT NULL,
                        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (kind, value)
                    ) WITHOUT ROWID;
                    CREATE INDEX identities_contact ON identities(contact_id);

                    -- Contacts folded into another: their old ids keep answering.
                    CREATE TABLE contact_merges (
                        absorbed_id INTEGER PRIMARY KEY,
                        survivor_id INTEGER NOT NULL,
                        merged_at INTEGER NOT NULL
                    );
                    CREATE INDEX contact_merges_survivor ON contact_merges(survivor_id);

                    -- The append-only event log. contact_id is the attribution (it follows merges);
                    -- everything else is written once.
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        source TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        contact_id INTEGER,
                        type TEXT NOT NULL,
                        name TEXT,
                        user_id TEXT,
                        anonymous_id TEXT,
                        group_id TEXT,
                        properties TEXT NOT NULL,
                        context TEXT NOT NULL,
                        timestamp INTEGER NOT NULL,
                        original_timestamp INTEGER,
                        sent_at INTEGER,
                        received_at INTEGER NOT NULL,
                        UNIQUE (source, message_id)
                    );
                    CREATE INDEX events_contact ON events(contact_id, seq);
                    CREATE TRIGGER events_append_only BEFORE UPDATE OF seq, source, message_id, type, name, user_id,
                        anonymous_id, group_id, properties, context, timestamp, original_timestamp, sent_at, received_at ON events
                    BEGIN
                        SELECT RAISE(ABORT, 'the event log is append-only');
                    END;

                    CREATE TABLE consent_records (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
                        channel TEXT NOT NULL,
                        status TEXT NOT NULL,
                        basis TEXT NOT NULL,
                        method TEXT NOT NULL,
                        text TEXT,
                        text_version TEXT,
                        location TEXT,
                        ip_address TEXT,
                        user_agent TEXT,
                        recorded_at INTEGER NOT NULL,
                        expires_at INTEGER
                    );
                    CREATE INDEX consent_records_contact ON consent_records(contact_id, id);

                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        key_hash TEXT NOT NULL UNIQUE,
                        prefix TEXT NOT NULL,
                        source TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );

                    CREATE TABLE forms (
                        key TEXT PRIMARY KEY,
                        definition TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2-segments-scoring") { db in
            try db.execute(
                sql: """
                    CREATE TABLE segments (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        definition TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        computed_version INTEGER NOT NULL DEFAULT 0,
                        progress_done INTEGER NOT NULL DEFAULT 0,
                        progress_total INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE segment_members (
                        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
                        contact_id INTEGER NOT NULL,
                        entered_at INTEGER NOT NULL,
                        PRIMARY KEY (segment_id, contact_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX segment_members_contact ON segment_members(contact_id);

                    -- The scoring model in force (one row), and each contact's scores under it.
                    CREATE TABLE scoring_models (
                        name TEXT PRIMARY KEY,
                        definition TEXT NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE contact_scores (
                        contact_id INTEGER PRIMARY KEY,
                        model TEXT NOT NULL,
                        fit REAL NOT NULL,
                        engagement REAL NOT NULL,
                        engagement_at INTEGER,
                        grade TEXT NOT NULL,
                        state TEXT NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    -- Every change of a score with its reason, for "why is this lead an 85?".
                    CREATE TABLE score_changes (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        contact_id INTEGER NOT NULL,
                        model TEXT NOT NULL,
                        dimension TEXT NOT NULL,
                        rule TEXT NOT NULL,
                        points REAL NOT NULL,
                        reason TEXT NOT NULL,
                        event_seq INTEGER,
                        at INTEGER NOT NULL
                    );
                    CREATE INDEX score_changes_contact ON score_changes(contact_id, id);

                    -- When each contact must be qualified again even if nothing happens (a window closes).
                    CREATE TABLE contact_checks (
                        contact_id INTEGER PRIMARY KEY,
                        due_at INTEGER NOT NULL
                    );
                    CREATE INDEX contact_checks_due ON contact_checks(due_at);

                    -- How far the qualify stage has read the event log.
                    CREATE TABLE qualify_cursor (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        last_seq INTEGER NOT NULL
                    );
                    INSERT INTO qualify_cursor (id, last_seq) VALUES (1, 0);

                    -- Segment computation reads events by the name rules use for them (page calls are
                    -- "Page Viewed", screen calls "Screen Viewed") and time.
                    CREATE INDEX events_rule_name_time ON events(\(SQLiteStore.ruleNameSQL), timestamp)
                        WHERE type IN ('track', 'page', 'screen');
                    """)
        }
        migrator.registerMigration("v3-workflows") { db in
            try db.execute(
                sql: """
                    -- Every uploaded version of every workflow; runs point at the version they started on.
                    CREATE TABLE workflow_versions (
                        name TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        definition TEXT NOT NULL,
                        status TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (name, version)
                    );
                    CREATE TABLE workflow_runs (
                        id TEXT PRIMARY KEY,
                        workflow TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        contact_id INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        wake_at INTEGER,
                        entered_at INTEGER NOT NULL,
                        variant TEXT,
                        executed INTEGER NOT NULL,
                        finish_reason TEXT,
                        updated_at INTEGER NOT NULL
                    );
                    -- The due-time index the worker leases from.
                    CREATE INDEX workflow_runs_due ON workflow_runs(wake_at) WHERE status = 'waiting';
                    CREATE INDEX workflow_runs_contact ON workflow_runs(contact_id, workflow);
                    -- Every action a run took, keyed by run and step count: the outbox channels deliver
                    -- from, so a replayed step finds its key taken and sends nothing twice.
                    CREATE TABLE workflow_actions (
                        key TEXT PRIMARY KEY,
                        run_id TEXT NOT NULL,
                        contact_id INTEGER NOT NULL,
                        workflow TEXT NOT NULL,
                        step TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        delivered_at INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX workflow_actions_contact ON workflow_actions(contact_id, at);
                    CREATE INDEX workflow_actions_undelivered ON workflow_actions(at) WHERE kind = 'send' AND delivered_at IS NULL;
                    CREATE TABLE workflow_cursor (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        last_seq INTEGER NOT NULL
                    );
                    INSERT INTO workflow_cursor (id, last_seq) VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("v4-workflow-sweeps") { db in
            try db.execute(
                sql: """
                    -- Inactivity triggers find contacts whose last activity crossed a threshold since the
                    -- last sweep; date triggers look at dates crossing into the past since theirs.
                    CREATE INDEX contacts_last_seen ON contacts(last_seen);
                    ALTER TABLE workflow_cursor ADD COLUMN inactivity_swept_at INTEGER;
                    ALTER TABLE workflow_cursor ADD COLUMN dates_swept_at INTEGER;
                    """)
        }
        migrator.registerMigration("v5-email") { db in
            try db.execute(
                sql: """
                    -- The send queue: one row per send, keyed by the workflow action (or the API call)
                    -- that asked for it; claimed with a lease so a crashed sender's sends come back.
                    CREATE TABLE email_sends (
                        id INTEGER PRIMARY KEY,
                        key TEXT NOT NULL UNIQUE,
                        contact_id INTEGER NOT NULL,
                        template TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        workflow TEXT,
                        step TEXT,
                        recipient TEXT,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at INTEGER NOT NULL,
                        message_id TEXT,
                        last_error TEXT,
                        created_at INTEGER NOT NULL,
                        sent_at INTEGER
                    );
                    CREATE INDEX email_sends_due ON email_sends(next_attempt_at) WHERE status IN ('queued', 'deferred', 'sending');
                    CREATE INDEX email_sends_contact ON email_sends(contact_id, created_at);
                    CREATE INDEX email_sends_sent ON email_sends(contact_id, kind, sent_at) WHERE status = 'sent';
                    CREATE UNIQUE INDEX email_sends_message ON email_sends(message_id) WHERE message_id IS NOT NULL;
                    CREATE TABLE suppressions (
                        email_lower TEXT PRIMARY KEY,
                        reason TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE soft_bounces (
                        email_lower TEXT PRIMARY KEY,
                        count INTEGER NOT NULL,
                        last_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    -- Values the server makes once and keeps (the link-signing secret when none is configured).
                    CREATE TABLE settings (
                        name TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v6-sales") { db in
            try db.execute(
                sql: """
                    -- A lead handed to sales: who has it and why, its storyline, the SLA, and what sales said.
                    CREATE TABLE handoffs (
                        id INTEGER PRIMARY KEY,
                        key TEXT NOT NULL UNIQUE,
                        contact_id INTEGER NOT NULL,
                        owner TEXT NOT NULL,
                        team TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        assignment_reason TEXT NOT NULL,
                        status TEXT NOT NULL,
                        context TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        due_at INTEGER NOT NULL,
                        remind_at INTEGER,
                        reminded_at INTEGER,
                        lapsed_at INTEGER,
                        first_touch_at INTEGER,
                        outcome_reason TEXT,
                        amount REAL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE INDEX handoffs_open ON handoffs(due_at) WHERE status = 'open';
                    CREATE INDEX handoffs_contact ON handoffs(contact_id, created_at);
                    CREATE INDEX handoffs_owner ON handoffs(owner, status);
                    CREATE TABLE webhook_deliveries (
                        id INTEGER PRIMARY KEY,
                        handoff_id INTEGER,
                        kind TEXT NOT NULL,
                        url TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at INTEGER NOT NULL,
                        last_error TEXT,
                        created_at INTEGER NOT NULL,
                        delivered_at INTEGER
                    );
                    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status IN ('pending', 'sending');
                    CREATE TABLE routing_cursors (
                        team TEXT PRIMARY KEY,
                        position INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE predictive_models (
                        version INTEGER PRIMARY KEY,
                        model TEXT NOT NULL,
                        metrics TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX events_stage_changes ON events(seq) WHERE name = 'Lifecycle Stage Changed';
                    """)
        }
        migrator.registerMigration("v7-report-rollup") { db in
            try db.execute(
                sql: """
                    -- One row per lead for funnel reports, folded from the event log as it grows.
                    CREATE TABLE funnel_contacts (
                        contact_id INTEGER PRIMARY KEY,
                        captured_at INTEGER NOT NULL,
                        source TEXT NOT NULL,
                        lead_at INTEGER, mql_at INTEGER, sal_at INTEGER, sql_at INTEGER, opportunity_at INTEGER, customer_at INTEGER,
                        demo_at INTEGER,
                        handed_off_at INTEGER,
                        first_touch_at INTEGER,
                        unsubscribed_at INTEGER,
                        pipeline REAL NOT NULL DEFAULT 0,
                        revenue REAL NOT NULL DEFAULT 0
                    );
                    CREATE INDEX funnel_contacts_captured ON funnel_contacts(captured_at);
                    """)
        }
        migrator.registerMigration("v8-console") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        email_lower TEXT PRIMARY KEY,
                        email TEXT NOT NULL,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        password TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE sessions (
                        token_hash TEXT PRIMARY KEY,
                        email_lower TEXT NOT NULL,
                        csrf TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v9-handoff-steps-index") { db in
            // Sales takes workflow handoff steps on every pass: without this index that read
            // scanned every workflow action ever taken (the demo's replay spent a third of its
            // time there).
            try db.execute(sql: "CREATE INDEX workflow_actions_handoffs ON workflow_actions(at) WHERE kind = 'handoff' AND delivered_at IS NULL")
        }
        migrator.registerMigration("v10-email-report-indexes") { db in
            // The email report reads sends by when they went out, and re-engagement reads a
            // workflow's runs by when they entered.
            try db.execute(
                sql: """
                    CREATE INDEX email_sends_sent_at ON email_sends(sent_at) WHERE status = 'sent';
                    CREATE INDEX workflow_runs_entered ON workflow_runs(workflow, entered_at);
                    """)
        }
        migrator.registerMigration("v11-email-engagement-rollup") { db in
            // The email report counted each send's opens, clicks and unsubscribes by probing the
            // contact's events, three times a send: seconds at a million contacts. The report
            // rollup now stamps them on the send as the events are folded; this fills in the
            // sends of events folded before.
            func first(_ names: String) -> String {
                """
                (SELECT min(e.timestamp) FROM events e WHERE e.contact_id = email_sends.contact_id AND e.type = 'track' AND e.name IN (\(names))
                    AND json_extract(e.properties, '$.send_id') = email_sends.id)
                """
            }
            try db.execute(
                sql: """
                    ALTER TABLE email_sends ADD COLUMN opened_at INTEGER;
                    ALTER TABLE email_sends ADD COLUMN clicked_at INTEGER;
                    ALTER TABLE email_sends ADD COLUMN unsubscribed_at INTEGER;
                    UPDATE email_sends SET opened_at = \(first("'Email Opened', 'Email Clicked'")), clicked_at = \(first("'Email Clicked'")),
                        unsubscribed_at = \(first("'Unsubscribed'"))
                    WHERE status = 'sent';
                    """)
        }
        migrator.registerMigration("v12-audit-log") { db in
            // Who changed what, through the API, the console or the CLI. Append-only, like events.
            try db.execute(
                sql: """
                    CREATE TABLE audit_log (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        role TEXT NOT NULL,
                        method TEXT NOT NULL,
                        path TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        address TEXT NOT NULL
                    );
                    CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
                    BEGIN
                        SELECT RAISE(ABORT, 'the audit log is append-only');
                    END;
                    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN
                        SELECT RAISE(ABORT, 'the audit log is append-only');
                    END;
                    """)
        }
        migrator.registerMigration("v13-rule-name-index-without-an-in-list") { db in
            // The rule-name index was partial on `type IN ('track', 'page', 'screen')`. SQLite
            // evaluates a partial index's condition for every row inserted, and an IN list of three
            // or more constants builds a temporary b-tree to look the value up in: one opened and
            // closed (a pager, a page cache) for every event ingested. The rule name is NULL for
            // exactly the other types, and `rule name = ?`, which every query of this index has,
            // implies it is not NULL, so SQLite still picks the index. Rebuilding it reads the log
            // once (seconds at a million events).
            try db.execute(
                sql: """
                    DROP INDEX events_rule_name_time;
                    CREATE INDEX events_rule_name_time ON events(\(SQLiteStore.ruleNameSQL), timestamp)
                        WHERE \(SQLiteStore.ruleNameSQL) IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v14-events-keyed-by-a-message-hash") { db in
            // Duplicates are found by a 64-bit hash of (source, message_id) in a small unique index
            // instead of the table's UNIQUE (source, message_id), whose ~50-byte entries made every
            // event with a random messageId write a leaf of a large index (see MessageKey). SQLite
            // cannot drop a table constraint, so the log is copied into a table without it (seq
            // values and the AUTOINCREMENT sequence kept) and its indexes and trigger are made
            // again: reads and writes the whole log once (~2–5 s a million events). A pair whose
            // hash an earlier pair already holds keeps no key (the second and later, by seq).
            // `trellis_message_key` is registered on every connection of the store.
            let columns = """
                seq, source, message_id, contact_id, type, name, user_id, anonymous_id, group_id, properties, context,
                    timestamp, original_timestamp, sent_at, received_at
                """
            try db.execute(
                sql: """
                    CREATE TABLE events_keyed (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        source TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        contact_id INTEGER,
                        type TEXT NOT NULL,
                        name TEXT,
                        user_id TEXT,
                        anonymous_id TEXT,
                        group_id TEXT,
                        properties TEXT NOT NULL,
                        context TEXT NOT NULL,
                        timestamp INTEGER NOT NULL,
                        original_timestamp INTEGER,
                        sent_at INTEGER,
                        received_at INTEGER NOT NULL,
                        message_key INTEGER
                    );
                    INSERT INTO events_keyed (\(columns), message_key)
                        SELECT \(columns), trellis_message_key(source, message_id) FROM events ORDER BY seq;
                    UPDATE events_keyed SET message_key = NULL WHERE seq IN (
                        SELECT seq FROM (SELECT seq, row_number() OVER (PARTITION BY message_key ORDER BY seq) AS n FROM events_keyed)
                        WHERE n > 1);
                    """)
            let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'")
            try db.execute(
                sql: """
                    DROP TABLE events;
                    ALTER TABLE events_keyed RENAME TO events;
                    CREATE UNIQUE INDEX events_message_key ON events(message_key);
                    CREATE UNIQUE INDEX events_message_unkeyed ON events(source, message_id) WHERE message_key IS NULL;
                    CREATE INDEX events_contact ON events(contact_id, seq);
                    CREATE INDEX events_stage_changes ON events(seq) WHERE name = 'Lifecycle Stage Changed';
                    CREATE INDEX events_rule_name_time ON events(\(SQLiteStore.ruleNameSQL), timestamp)
                        WHERE \(SQLiteStore.ruleNameSQL) IS NOT NULL;
                    CREATE TRIGGER events_append_only BEFORE UPDATE OF seq, source, message_id, type, name, user_id,
                        anonymous_id, group_id, properties, context, timestamp, original_timestamp, sent_at, received_at, message_key ON events
                    BEGIN
                        SELECT RAISE(ABORT, 'the event log is append-only');
                    END;
                    """)
            if let sequence {
                // The old table's sequence may be past its last row (duplicates skipped by the insert
                // still took a number); keep it, so no seq is handed out twice.
                try db.execute(
                    sql: """
                        INSERT INTO sqlite_sequence (name, seq) SELECT 'events', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events');
                        UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'events';
                        """, arguments: [sequence])
            }
        }
        migrator.registerMigration("v15-due-sends-index-without-an-in-list") { db in
            // As v13 for the log: `status IN ('queued', 'deferred', 'sending')` made SQLite build a
            // temporary b-tree for every email_sends row inserted (one) and every status update (two,
            // old and new row). The same condition as ORs compiles to plain comparisons; the due
            // query (``SQLiteStore/dueSendCondition``) spells it the same way so it still implies it.
            try db.execute(
                sql: """
                    DROP INDEX email_sends_due;
                    CREATE INDEX email_sends_due ON email_sends(next_attempt_at) WHERE \(SQLiteStore.dueSendCondition);
                    """)
        }
        return migrator
    }

    /// Whether a send is still to go (queued, deferred, or claimed by a pass that may have died):
    /// the partial index of due sends and the query that claims them must spell it alike.
    static let dueSendCondition = "(status = 'queued' OR status = 'deferred' OR status = 'sending')"
}
