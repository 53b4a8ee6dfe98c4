import GRDB
import TrellisCore

extension SQLiteStore {
    static let funnelStages: [LifecycleStage] = [.lead, .mql, .sal, .sql, .opportunity, .customer]

    /// A pass reads and works out the rollup's changes on a snapshot beside ingest, then writes
    /// them in a short transaction, so the store's single writer is held only for the writes.
    /// (Folding 50,000 events inside the write lock stalled ingest for ~0.4 s every 2 s.) A plan
    /// reads at most ``FunnelPlan/maxEvents`` events and holds at most ``FunnelPlan/maxWrites``
    /// rows to write; a pass makes as many plans as it needs, up to `limit` events. If another
    /// pass moved the cursor meanwhile, the plan is dropped and made again: pipeline and revenue
    /// are sums, so a plan must be applied once.
    public func refreshFunnel(limit: Int) async throws -> Int {
        var read = 0
        while read < limit {
            let planLimit = min(limit - read, FunnelPlan.maxEvents)
            let plan = try await funnelPlan(limit: planLimit)
            if plan.cursor == plan.startCursor { break }
            guard try await apply(plan) else { continue }
            read += plan.read
            if !plan.stoppedAtMaxWrites && plan.read < planLimit { break }
        }
        return read
    }

    func funnelPlan(limit: Int, maxWrites: Int = FunnelPlan.maxWrites) async throws -> FunnelPlan {
        try await pool.read { db in try FunnelPlan(db: db, limit: limit, maxWrites: maxWrites) }
    }

    /// Writes `plan` unless another pass moved the cursor since it was made; true if written.
    func apply(_ plan: FunnelPlan) async throws -> Bool {
        try await pool.write { db in try plan.apply(db) }
    }

    public func latestEventSequence() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM events") ?? 0 }
    }

    public func funnelGroups(capturedFrom from: Timestamp, to: Timestamp, by dimension: FunnelReport.Dimension) async throws -> [Int64: [String]] {
        guard dimension.isGrouping else { return [:] }
        return try await pool.read { db in
            let sql = Self.funnelGroupsSQL(dimension)
            var groups: [Int64: [String]] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]) {
                groups[row[0], default: []].append(row[1])
            }
            return groups
        }
    }

    /// Each lead of a capture period with its groups under `dimension` (parameters: from, to).
    static func funnelGroupsSQL(_ dimension: FunnelReport.Dimension) -> String {
        switch dimension {
        case .workflow:
            return """
                SELECT DISTINCT f.contact_id, r.workflow FROM funnel_contacts f JOIN workflow_runs r ON r.contact_id = f.contact_id
                WHERE f.captured_at >= ? AND f.captured_at < ? ORDER BY 1, 2
                """
        case .variant:
            return """
                SELECT DISTINCT f.contact_id, r.workflow || ': ' || coalesce(r.variant, 'holdout') FROM funnel_contacts f
                JOIN workflow_runs r ON r.contact_id = f.contact_id AND (r.variant IS NOT NULL OR r.finish_reason = 'holdout')
                WHERE f.captured_at >= ? AND f.captured_at < ? ORDER BY 1, 2
                """
        case .step:
            return """
                SELECT DISTINCT f.contact_id, a.workflow || ': ' || a.step FROM funnel_contacts f
                JOIN workflow_actions a ON a.contact_id = f.contact_id AND a.kind IN ('send', 'handoff', 'update', 'enroll')
                WHERE f.captured_at >= ? AND f.captured_at < ? ORDER BY 1, 2
                """
        default:
            return """
                SELECT f.contact_id, s.name FROM funnel_contacts f JOIN segment_members m ON m.contact_id = f.contact_id JOIN segments s ON s.id = m.segment_id
                WHERE f.captured_at >= ? AND f.captured_at < ? ORDER BY 1, 2
                """
        }
    }

    public func funnelRows(capturedFrom from: Timestamp, to: Timestamp) async throws -> [FunnelRow] {
        try await pool.read { db in
            // Over a good part of the history (the reports page asks for 180 days) reading the
            // table straight through beats the capture-time index, whose rows lie all over it:
            // 0.3 s against 3 s for a million leads.
            let span = try Row.fetchOne(db, sql: "SELECT min(captured_at), max(captured_at) FROM funnel_contacts")
            let earliest: Int64 = span?[0] ?? 0, latest: Int64 = span?[1] ?? 0
            let wide = (to.millisecondsSinceEpoch - from.millisecondsSinceEpoch) * 4 >= latest - earliest
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT contact_id, captured_at, source, lead_at, mql_at, sal_at, sql_at, opportunity_at, customer_at, demo_at, handed_off_at,
                        first_touch_at, unsubscribed_at, pipeline, revenue
                    FROM funnel_contacts \(wide ? "NOT INDEXED" : "") WHERE captured_at >= ? AND captured_at < ?
                    """, arguments: [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch])
            var rows: [FunnelRow] = []
            while let row = try cursor.next() {
                func time(_ index: Int) -> Timestamp? { (row[index] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)) }
                var reached: [LifecycleStage: Timestamp] = [:]
                for (offset, stage) in Self.funnelStages.enumerated() {
                    if let at = time(3 + offset) { reached[stage] = at }
                }
                rows.append(
                    FunnelRow(
                        contactId: row[0], capturedAt: time(1)!, source: row[2], reached: reached, demoAt: time(9), firstTouchAt: time(11),
                        handedOffAt: time(10), unsubscribedAt: time(12), pipeline: row[13], revenue: row[14]))
            }
            return rows
        }
    }
}

extension SQLiteStore {
    public func experimentArms(workflow: String, goalEvent: String) async throws -> [(arm: String, entered: Int, converted: Int)] {
        try await pool.read { db in
            // A run converted when its contact had the goal event at or after entering: the
            // goal's latest time per contact (one range of the rule-name index) against each run,
            // instead of probing every run's events. Left to itself SQLite walks the whole log
            // by contact to save the GROUP BY a sort: 97 s against 3.5 s at 20M events.
            try Row.fetchAll(
                db,
                sql: """
                    WITH goal AS (
                        SELECT contact_id, max(timestamp) AS last FROM events INDEXED BY events_rule_name_time
                        WHERE type IN ('track', 'page', 'screen') AND \(Self.ruleNameSQL) = ? GROUP BY contact_id)
                    SELECT coalesce(r.variant, CASE WHEN r.finish_reason = 'holdout' THEN 'holdout' ELSE 'all' END) AS arm, count(*),
                        coalesce(sum(goal.last >= r.entered_at), 0)
                    FROM workflow_runs r LEFT JOIN goal ON goal.contact_id = r.contact_id WHERE r.workflow = ? GROUP BY arm ORDER BY arm
                    """, arguments: [goalEvent, workflow]
            ).map { ($0[0], $0[1], $0[2]) }
        }
    }
}

extension SQLiteStore {
    public func attributionInputs() async throws -> [(contactId: Int64, value: Double, touches: [String])] {
        try await pool.read { db in
            let leads = try Row.fetchAll(
                db,
                sql: """
                    SELECT contact_id, CASE WHEN pipeline > 0 THEN pipeline ELSE revenue END,
                        coalesce(opportunity_at, customer_at, 9223372036854775807)
                    FROM funnel_contacts WHERE pipeline > 0 OR revenue > 0
                    """)
            let events = try db.cachedStatement(
                sql: "SELECT \(Self.ruleNameSQL), properties, context FROM events WHERE contact_id = ? AND timestamp <= ? ORDER BY seq")
            return try leads.map { lead in
                let touches = try Row.fetchAll(events, arguments: [lead[0] as Int64, lead[2] as Int64]).compactMap { row -> String? in
                    let properties = (try? JSONValue(jsonText: row[1] as String))?.objectValue ?? [:]
                    let context = (try? JSONValue(jsonText: row[2] as String))?.objectValue ?? [:]
                    return Attribution.touch(name: row[0], properties: properties, context: context)
                }
                return (lead[0], lead[1], Attribution.collapse(touches))
            }
        }
    }
}

extension SQLiteStore {
    public func emailEngagement(sentFrom from: Timestamp, to: Timestamp) async throws -> [EmailEngagement] {
        try await pool.read { db in
            // Opens, clicks and unsubscribes are stamped on each send by the report rollup.
            try Row.fetchAll(
                db,
                sql: """
                    SELECT template, count(*), count(opened_at), count(clicked_at), count(unsubscribed_at)
                    FROM email_sends WHERE status = 'sent' AND recipient IS NULL AND sent_at >= ? AND sent_at < ?
                    GROUP BY template ORDER BY template
                    """, arguments: [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]
            ).map { row in EmailEngagement(template: row[0], sent: row[1], opened: row[2], clicked: row[3], unsubscribed: row[4]) }
        }
    }

    public func reengagement(workflows: [String], enteredFrom from: Timestamp, to: Timestamp) async throws -> (entered: Int, reengaged: Int) {
        guard !workflows.isEmpty else { return (0, 0) }
        return try await pool.read { db in
            let names = workflows.map { _ in "?" }.joined(separator: ", ")
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*), coalesce(sum(EXISTS (
                        SELECT 1 FROM events e WHERE e.contact_id = r.contact_id AND e.timestamp > r.entered_at
                        AND (e.type = 'page' OR (e.type = 'track' AND e.name IN ('Email Opened', 'Email Clicked', 'Form Submitted'))))), 0)
                    FROM workflow_runs r WHERE r.workflow IN (\(names)) AND r.entered_at >= ? AND r.entered_at < ?
                    """, arguments: StatementArguments(workflows) + [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch])!
            return (row[0], row[1])
        }
    }
}

/// The rollup's changes for the events after its cursor: leads to add, first times a stage or
/// step was reached, sends opened, clicked or unsubscribed from, pipeline and revenue.
struct FunnelPlan {
    struct Stamp: Hashable {
        var contactId: Int64
        var column: String
    }

    struct SendStamp: Hashable {
        var sendId: Int64
        var contactId: Int64
        var column: String
    }

    /// Events whose properties the rollup reads; the others are read without them.
    static let namesWithProperties = ["Lifecycle Stage Changed", "Unsubscribed", "Email Opened", "Email Clicked", "Sales Feedback"]

    /// Rows one plan writes at most, so that one write transaction stays short (10,000 new leads
    /// in one took ~0.1 s of the writer's time).
    static let maxWrites = 2_000
    /// Events one plan reads at most: a read snapshot held long keeps the WAL checkpoint's
    /// RESTART waiting, and the RESTART holds the write lock while it waits.
    static let maxEvents = 5_000

    let startCursor: Int64
    private(set) var cursor: Int64
    private(set) var read = 0
    /// The plan stopped reading at ``maxWrites``: events after its cursor are left for the next.
    private(set) var stoppedAtMaxWrites = false
    var writes: Int { leads.count + firsts.count + sendStamps.count + sums.count }
    private(set) var leads: [(contactId: Int64, capturedAt: Int64, source: String)] = []
    private(set) var firsts: [Stamp: Int64] = [:]
    private(set) var sendStamps: [SendStamp: Int64] = [:]
    private(set) var sums: [Stamp: Double] = [:]

    init(db: Database, limit: Int, maxWrites: Int = Self.maxWrites) throws {
        startCursor = Int64(try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'report_cursor'") ?? "0") ?? 0
        cursor = startCursor
        let withProperties = Self.namesWithProperties.map { "'\($0)'" }.joined(separator: ", ")
        // Traits and context are read only for contacts the rollup does not have yet.
        let events = try Row.fetchCursor(
            db,
            sql: """
                SELECT e.seq, e.contact_id, e.name, CASE WHEN e.name IN (\(withProperties)) THEN e.properties END, e.source, e.timestamp,
                    c.first_seen, CASE WHEN f.contact_id IS NULL THEN c.traits END, CASE WHEN f.contact_id IS NULL THEN e.context END
                FROM events e JOIN contacts c ON c.id = e.contact_id LEFT JOIN funnel_contacts f ON f.contact_id = e.contact_id
                WHERE e.seq > ? ORDER BY e.seq LIMIT ?
                """, arguments: [startCursor, limit])
        var added = Set<Int64>()
        while let event = try events.next() {
            if writes >= maxWrites {
                stoppedAtMaxWrites = true
                break
            }
            read += 1
            cursor = event[0]
            let contactId: Int64 = event[1]
            if let traitsText: String = event[7], added.insert(contactId).inserted {
                let traits = (try? JSONValue(jsonText: traitsText)) ?? [:]
                var source = traits["source"]?.stringValue ?? traits["lead_source"]?.stringValue
                if source == nil, let context = (event[8] as String?).flatMap({ try? JSONValue(jsonText: $0) }) {
                    source = context["campaign"]?["source"]?.stringValue
                }
                leads.append((contactId, event[6], source ?? (event[4] as String)))
            }
            guard let name: String = event[2] else { continue }
            try fold(name, properties: event[3], contactId: contactId, at: event[5])
        }
        // Events of contacts since deleted are skipped; move past them too.
        if read < limit, !stoppedAtMaxWrites, let latest = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM events"), latest > cursor {
            cursor = latest
        }
    }

    private mutating func fold(_ name: String, properties: String?, contactId: Int64, at: Int64) throws {
        func first(_ column: String) {
            let stamp = Stamp(contactId: contactId, column: column)
            firsts[stamp] = min(firsts[stamp] ?? at, at)
        }
        /// The email report's rollup: the first open, click and unsubscribe of each send.
        func stampSend(_ columns: String...) {
            guard let send = properties.flatMap({ try? JSONValue(jsonText: $0) })?["send_id"]?.intValue else { return }
            for column in columns {
                let stamp = SendStamp(sendId: Int64(send), contactId: contactId, column: column)
                sendStamps[stamp] = min(sendStamps[stamp] ?? at, at)
            }
        }
        switch name {
        case "Lifecycle Stage Changed":
            let properties = try JSONValue(jsonText: properties ?? "{}")
            if let stage = properties["to"]?.stringValue.flatMap(LifecycleStage.init(rawValue:)), SQLiteStore.funnelStages.contains(stage) {
                first("\(stage.rawValue)_at")
            }
        case "Demo Requested", "Demo Booked": first("demo_at")
        case "Unsubscribed":
            first("unsubscribed_at")
            stampSend("unsubscribed_at")
        // A click counts as an open: images are often blocked.
        case "Email Opened": stampSend("opened_at")
        case "Email Clicked": stampSend("opened_at", "clicked_at")
        case "Handed Off": first("handed_off_at")
        case "Sales Feedback":
            first("first_touch_at")
            let properties = try JSONValue(jsonText: properties ?? "{}")
            if let amount = properties["amount"]?.doubleValue {
                let column: String? =
                    switch properties["outcome"]?.stringValue {
                    case "opportunity"?: "pipeline"
                    case "won"?: "revenue"
                    default: nil
                    }
                if let column { sums[Stamp(contactId: contactId, column: column), default: 0] += amount }
            }
        default: break
        }
    }

    /// Writes the plan unless another pass moved the cursor since it was read; true if written.
    func apply(_ db: Database) throws -> Bool {
        let current = Int64(try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'report_cursor'") ?? "0") ?? 0
        guard current == startCursor else { return false }
        // A contact erased or merged away since the snapshot gets no row.
        let add = try db.cachedStatement(
            sql: "INSERT INTO funnel_contacts (contact_id, captured_at, source) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM contacts WHERE id = ?1) ON CONFLICT DO NOTHING")
        for lead in leads { try add.execute(arguments: [lead.contactId, lead.capturedAt, lead.source]) }
        for (stamp, at) in firsts {
            try db.cachedStatement(sql: "UPDATE funnel_contacts SET \(stamp.column) = min(coalesce(\(stamp.column), ?1), ?1) WHERE contact_id = ?2")
                .execute(arguments: [at, stamp.contactId])
        }
        for (stamp, at) in sendStamps {
            try db.cachedStatement(sql: "UPDATE email_sends SET \(stamp.column) = min(coalesce(\(stamp.column), ?1), ?1) WHERE id = ?2 AND contact_id = ?3")
                .execute(arguments: [at, stamp.sendId, stamp.contactId])
        }
        for (stamp, amount) in sums {
            try db.cachedStatement(sql: "UPDATE funnel_contacts SET \(stamp.column) = \(stamp.column) + ? WHERE contact_id = ?").execute(arguments: [amount, stamp.contactId])
        }
        try SQLiteStore.saveSetting(db, "report_cursor", String(cursor))
        return true
    }
}
