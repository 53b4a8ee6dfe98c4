import TrellisCore

extension PostgresStore: ReportStore {
    /// Folds the log into the funnel rollup under the write lock (two processes folding the same
    /// events would count a deal twice), in transactions of at most ``FunnelPlan/maxEvents``
    /// events, so that ingest, which waits for the same lock, is held for one of them at a time.
    public func refreshFunnel(limit: Int) async throws -> Int {
        var read = 0
        while read < limit {
            let chunk = min(limit - read, FunnelPlan.maxEvents)
            let folded = try await foldFunnel(limit: chunk)
            read += folded
            if folded < chunk { break }
        }
        return read
    }

    /// One transaction of ``refreshFunnel(limit:)``: the next `limit` events after the cursor.
    func foldFunnel(limit: Int) async throws -> Int {
        try await write { session in
            let cursor = Int64(try await session.string("SELECT value FROM settings WHERE name = 'report_cursor'") ?? "0") ?? 0
            let events = try await session.rows(
                """
                SELECT e.seq, e.contact_id, e.name, e.properties, e.context, e.source, e.timestamp, c.first_seen, c.traits
                FROM events e JOIN contacts c ON c.id = e.contact_id WHERE e.seq > ? ORDER BY e.seq LIMIT ?
                """, [cursor, limit])
            func stampSend(_ event: PostgresResultRow, at: Int64, columns: [String]) async throws {
                guard let send = (try? JSONValue(jsonText: try event[3] as String))?["send_id"]?.intValue else { return }
                for column in columns {
                    try await session.execute(
                        "UPDATE email_sends SET \(column) = least(coalesce(\(column), ?1), ?1) WHERE id = ?2 AND contact_id = ?3", [at, send, try event[1] as Int64])
                }
            }
            // Every event's contact gets its row (the first event of a contact in the pass decides
            // its source), many rows to a statement: a round trip an event, under the write lock,
            // was most of what held ingest back.
            var creates: [Int64: (order: Int, row: [any PostgresArgument])] = [:]
            for (order, event) in events.enumerated() {
                let contactId: Int64 = try event[1]
                guard creates[contactId] == nil else { continue }
                let traits = (try? JSONValue(jsonText: try event[8] as String)) ?? [:]
                var source = traits["source"]?.stringValue ?? traits["lead_source"]?.stringValue
                if source == nil, let context = try? JSONValue(jsonText: try event[4] as String) { source = context["campaign"]?["source"]?.stringValue }
                let fallback: String = try event[5]
                creates[contactId] = (order, [contactId, try event[7] as Int64, source ?? fallback])
            }
            let rows = creates.values.sorted { $0.order < $1.order }.map(\.row)
            for start in stride(from: 0, to: rows.count, by: 1_000) {
                let chunk = rows[start..<min(start + 1_000, rows.count)]
                let values = Array(repeating: "(?::bigint, ?::bigint, ?::text)", count: chunk.count).joined(separator: ", ")
                try await session.execute(
                    "INSERT INTO funnel_contacts (contact_id, captured_at, source) VALUES \(values) ON CONFLICT DO NOTHING", chunk.flatMap { $0 })
            }
            for event in events {
                let contactId: Int64 = try event[1]
                guard let name: String = try event[2] else { continue }
                let at: Int64 = try event[6]
                func first(_ column: String) async throws {
                    try await session.execute("UPDATE funnel_contacts SET \(column) = least(coalesce(\(column), ?1), ?1) WHERE contact_id = ?2", [at, contactId])
                }
                switch name {
                case "Lifecycle Stage Changed":
                    let properties = try JSONValue(jsonText: try event[3] as String)
                    if let stage = properties["to"]?.stringValue.flatMap(LifecycleStage.init(rawValue:)), SQLiteStore.funnelStages.contains(stage) {
                        try await first("\(stage.rawValue)_at")
                    }
                case "Demo Requested", "Demo Booked": try await first("demo_at")
                case "Unsubscribed":
                    try await first("unsubscribed_at")
                    try await stampSend(event, at: at, columns: ["unsubscribed_at"])
                case "Email Opened": try await stampSend(event, at: at, columns: ["opened_at"])
                case "Email Clicked": try await stampSend(event, at: at, columns: ["opened_at", "clicked_at"])
                case "Handed Off": try await first("handed_off_at")
                case "Sales Feedback":
                    try await first("first_touch_at")
                    let properties = try JSONValue(jsonText: try event[3] as String)
                    if let amount = properties["amount"]?.doubleValue {
                        switch properties["outcome"]?.stringValue {
                        case "opportunity"?: try await session.execute("UPDATE funnel_contacts SET pipeline = pipeline + ? WHERE contact_id = ?", [amount, contactId])
                        case "won"?: try await session.execute("UPDATE funnel_contacts SET revenue = revenue + ? WHERE contact_id = ?", [amount, contactId])
                        default: break
                        }
                    }
                default: break
                }
            }
            var last = cursor
            if let final = events.last {
                last = try final[0]
                try await Self.saveSetting(session, "report_cursor", String(last))
            }
            // Events of contacts since deleted are skipped; move past them too.
            if events.count < limit, let latest = try await session.int64("SELECT max(seq) FROM events"), latest > last {
                try await Self.saveSetting(session, "report_cursor", String(latest))
            }
            return events.count
        }
    }

    public func latestEventSequence() async throws -> Int64 {
        try await read { session in try await session.int64("SELECT coalesce(max(seq), 0) FROM events") ?? 0 }
    }

    public func funnelGroups(capturedFrom from: Timestamp, to: Timestamp, by dimension: FunnelReport.Dimension) async throws -> [Int64: [String]] {
        guard dimension.isGrouping else { return [:] }
        return try await read { session in
            var groups: [Int64: [String]] = [:]
            for row in try await session.rows(SQLiteStore.funnelGroupsSQL(dimension), [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]) {
                groups[try row[0], default: []].append(try row[1])
            }
            return groups
        }
    }

    public func funnelRows(capturedFrom from: Timestamp, to: Timestamp) async throws -> [FunnelRow] {
        try await read { session in
            try await session.rows(
                """
                SELECT contact_id, captured_at, source, lead_at, mql_at, sal_at, sql_at, opportunity_at, customer_at, demo_at, handed_off_at,
                    first_touch_at, unsubscribed_at, pipeline, revenue
                FROM funnel_contacts WHERE captured_at >= ? AND captured_at < ?
                """, [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]
            ).map { row in
                func time(_ index: Int) throws -> Timestamp? { (try row[index] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)) }
                var reached: [LifecycleStage: Timestamp] = [:]
                for (offset, stage) in SQLiteStore.funnelStages.enumerated() {
                    if let at = try time(3 + offset) { reached[stage] = at }
                }
                return FunnelRow(
                    contactId: try row[0], capturedAt: try time(1)!, source: try row[2], reached: reached, demoAt: try time(9), firstTouchAt: try time(11),
                    handedOffAt: try time(10), unsubscribedAt: try time(12), pipeline: try row[13], revenue: try row[14])
            }
        }
    }
}

extension PostgresStore: ExperimentStore {
    public func experimentArms(workflow: String, goalEvent: String) async throws -> [(arm: String, entered: Int, converted: Int)] {
        try await read { session in
            try await session.rows(
                """
                WITH goal AS (
                    SELECT contact_id, max(timestamp) AS last FROM events
                    WHERE type IN ('track', 'page', 'screen') AND \(SQLiteStore.ruleNameSQL) = ? GROUP BY contact_id)
                SELECT coalesce(r.variant, CASE WHEN r.finish_reason = 'holdout' THEN 'holdout' ELSE 'all' END) AS arm, count(*),
                    count(*) FILTER (WHERE goal.last >= r.entered_at)
                FROM workflow_runs r LEFT JOIN goal ON goal.contact_id = r.contact_id WHERE r.workflow = ? GROUP BY arm ORDER BY arm
                """, [goalEvent, workflow]
            ).map { (try $0[0], try $0[1], try $0[2]) }
        }
    }
}

extension PostgresStore: AttributionStore {
    public func attributionInputs() async throws -> [(contactId: Int64, value: Double, touches: [String])] {
        try await read { session in
            let leads = try await session.rows(
                """
                SELECT contact_id, CASE WHEN pipeline > 0 THEN pipeline ELSE revenue END, coalesce(opportunity_at, customer_at, 9223372036854775807)
                FROM funnel_contacts WHERE pipeline > 0 OR revenue > 0
                """)
            var inputs: [(contactId: Int64, value: Double, touches: [String])] = []
            for lead in leads {
                let contactId: Int64 = try lead[0]
                let touches = try await session.rows(
                    "SELECT \(SQLiteStore.ruleNameSQL), properties, context FROM events WHERE contact_id = ? AND timestamp <= ? ORDER BY seq",
                    [contactId, try lead[2] as Int64]
                ).compactMap { row -> String? in
                    let properties = (try? JSONValue(jsonText: try row[1] as String))?.objectValue ?? [:]
                    let context = (try? JSONValue(jsonText: try row[2] as String))?.objectValue ?? [:]
                    return Attribution.touch(name: try row[0], properties: properties, context: context)
                }
                inputs.append((contactId, try lead[1], Attribution.collapse(touches)))
            }
            return inputs
        }
    }
}

extension PostgresStore: EmailReportStore {
    public func emailEngagement(sentFrom from: Timestamp, to: Timestamp) async throws -> [EmailEngagement] {
        try await read { session in
            try await session.rows(
                """
                SELECT template, count(*), count(opened_at), count(clicked_at), count(unsubscribed_at)
                FROM email_sends WHERE status = 'sent' AND recipient IS NULL AND sent_at >= ? AND sent_at < ?
                GROUP BY template ORDER BY template
                """, [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]
            ).map { row in EmailEngagement(template: try row[0], sent: try row[1], opened: try row[2], clicked: try row[3], unsubscribed: try row[4]) }
        }
    }

    public func reengagement(workflows: [String], enteredFrom from: Timestamp, to: Timestamp) async throws -> (entered: Int, reengaged: Int) {
        guard !workflows.isEmpty else { return (0, 0) }
        return try await read { session in
            let names = workflows.map { _ in "?" }.joined(separator: ", ")
            let row = try await session.row(
                """
                SELECT count(*), count(*) FILTER (WHERE EXISTS (
                    SELECT 1 FROM events e WHERE e.contact_id = r.contact_id AND e.timestamp > r.entered_at
                    AND (e.type = 'page' OR (e.type = 'track' AND e.name IN ('Email Opened', 'Email Clicked', 'Form Submitted')))))
                FROM workflow_runs r WHERE r.workflow IN (\(names)) AND r.entered_at >= ? AND r.entered_at < ?
                """, workflows.map { $0 as any PostgresArgument } + [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch])!
            return (try row[0], try row[1])
        }
    }
}
