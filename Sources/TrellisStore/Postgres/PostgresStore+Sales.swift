import TrellisCore

extension PostgresStore: SalesStore {
    public func contactFacts(contactId: Int64, needs: FactNeeds, scorer: LeadScorer?, at now: Timestamp) async throws -> ContactFacts? {
        try await read { session in
            let id = try await Self.survivor(session, of: contactId)
            guard let row = try await ContactRow.fetch(session, id: id) else { return nil }
            let names = try await Self.segmentNames(session)
            var facts = try await PostgresFactsLoader(session: session, needs: needs, segmentNames: names).facts(
                for: row, at: now, withColleagues: needs.accountRules)
            if let scorer, let text = try await session.string("SELECT state FROM contact_scores WHERE contact_id = ? AND model = ?", [id, scorer.model.name]) {
                facts.scores = scorer.readings(try ScoreState(json: try JSONValue(jsonText: text)), at: now)
            }
            return facts
        }
    }

    public func takeHandoffTriggers(stage: LifecycleStage?, at now: Timestamp, limit: Int) async throws -> [HandoffTrigger] {
        try await write { session in
            var triggers: [HandoffTrigger] = []
            let steps = try await session.rows(
                "SELECT key, contact_id, detail FROM workflow_actions WHERE kind = 'handoff' AND delivered_at IS NULL ORDER BY at LIMIT ?", [limit])
            for step in steps {
                let key: String = try step[0]
                triggers.append(HandoffTrigger(key: key, contactId: try step[1], reason: try step[2]))
                try await session.execute("UPDATE workflow_actions SET delivered_at = ? WHERE key = ?", [now.millisecondsSinceEpoch, key])
            }
            let cursor = Int64(try await session.string("SELECT value FROM settings WHERE name = 'handoff_stage_cursor'") ?? "") ?? -1
            if cursor < 0 {
                // First run: only stage changes from now on hand leads over, not the whole history.
                let latest = try await session.int64("SELECT coalesce(max(seq), 0) FROM events") ?? 0
                try await Self.saveSetting(session, "handoff_stage_cursor", String(latest))
                return triggers
            }
            let changes = try await session.rows(
                "SELECT seq, contact_id, properties FROM events WHERE name = 'Lifecycle Stage Changed' AND seq > ? ORDER BY seq LIMIT ?", [cursor, limit])
            for change in changes {
                let properties = try JSONValue(jsonText: try change[2] as String)
                guard let stage, properties["to"]?.stringValue == stage.rawValue, let contactId: Int64 = try change[1] else { continue }
                let seq: Int64 = try change[0]
                triggers.append(HandoffTrigger(key: "stage-\(seq)", contactId: contactId, reason: properties["reason"]?.stringValue ?? "reached \(stage.rawValue)"))
            }
            if let last = changes.last { try await Self.saveSetting(session, "handoff_stage_cursor", String(try last[0] as Int64)) }
            return triggers
        }
    }

    static func saveSetting(_ session: PostgresSession, _ name: String, _ value: String) async throws {
        try await session.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, value])
    }

    public func ownerLoads() async throws -> [String: Int] {
        try await read { session in
            var loads: [String: Int] = [:]
            for row in try await session.rows("SELECT owner, count(*) FROM handoffs WHERE status = 'open' GROUP BY owner") { loads[try row[0]] = try row[1] }
            return loads
        }
    }

    public func routingCursors() async throws -> [String: Int] {
        try await read { session in
            var cursors: [String: Int] = [:]
            for row in try await session.rows("SELECT team, position FROM routing_cursors") { cursors[try row[0]] = try row[1] }
            return cursors
        }
    }

    public func accountOwner(accountId: Int64) async throws -> String? {
        try await read { session in
            try await session.string(
                """
                SELECT h.owner FROM handoffs h JOIN contacts c ON c.id = h.contact_id
                WHERE c.account_id = ? AND h.status IN ('open', 'accepted', 'opportunity', 'won') ORDER BY h.created_at DESC LIMIT 1
                """, [accountId])
        }
    }

    static func handoff(_ row: PostgresResultRow) throws -> Handoff {
        func time(_ index: Int) throws -> Timestamp? { (try row[index] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)) }
        return Handoff(
            id: try row[0], contactId: try row[1], owner: try row[2], team: try row[3], reason: try row[4], assignmentReason: try row[5],
            status: Handoff.Status(rawValue: try row[6]) ?? .open, context: try JSONValue(jsonText: try row[7] as String), createdAt: try time(8)!,
            dueAt: try time(9)!, remindAt: try time(10), remindedAt: try time(11), lapsedAt: try time(12), firstTouchAt: try time(13),
            outcomeReason: try row[14], amount: try row[15], updatedAt: try time(16)!)
    }

    static func fetchHandoff(_ session: PostgresSession, id: Int64) async throws -> Handoff? {
        try await session.row("SELECT \(SQLiteStore.handoffColumns) FROM handoffs WHERE id = ?", [id]).map(handoff)
    }

    public func createHandoff(_ new: NewHandoff) async throws -> (handoff: Handoff, created: Bool) {
        try await write { session in
            let contactId = try await Self.survivor(session, of: new.contactId)
            if let id = try await session.int64("SELECT id FROM handoffs WHERE key = ? OR (contact_id = ? AND status = 'open')", [new.key, contactId]),
                let existing = try await Self.fetchHandoff(session, id: id)
            {
                return (existing, false)
            }
            guard var row = try await ContactRow.fetch(session, id: contactId) else { throw StoreError.notFound("contact \(new.contactId)") }
            let at = new.at.millisecondsSinceEpoch
            let id = try await session.int64(
                """
                INSERT INTO handoffs (key, contact_id, owner, team, reason, assignment_reason, status, context, created_at, due_at, remind_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?) RETURNING id
                """,
                [
                    new.key, contactId, new.owner.id, new.team, new.reason, new.assignmentReason, new.context.jsonText, at, new.dueAt.millisecondsSinceEpoch,
                    new.remindAt?.millisecondsSinceEpoch, at,
                ])!
            if let cursor = new.cursor {
                try await session.execute(
                    "INSERT INTO routing_cursors (team, position) VALUES (?, ?) ON CONFLICT (team) DO UPDATE SET position = excluded.position", [new.team, cursor])
            }
            row.owner = new.owner.id
            try await row.save(session, at: new.at)
            try await PostgresIngestWriter(session: session).appendEvent(
                TrackingMessage(
                    type: .track, messageId: "handoff-\(id)", name: "Handed Off",
                    properties: [
                        "handoff_id": .int(id), "owner": .string(new.owner.id), "team": .string(new.team), "reason": .string(new.reason),
                        "assignment_reason": .string(new.assignmentReason), "due_at": .string(new.dueAt.iso8601),
                    ]), contactId: contactId, source: "sales", timestamp: new.at, receivedAt: new.at)
            if let url = new.webhookURL {
                try await Self.queueWebhook(session, handoffId: id, kind: "handoff", url: url, payload: new.context.jsonText, at: new.at)
            }
            return (try await Self.fetchHandoff(session, id: id)!, true)
        }
    }

    public func handoff(id: Int64) async throws -> Handoff? {
        try await read { session in try await Self.fetchHandoff(session, id: id) }
    }

    public func handoffs(status: Handoff.Status?, owner: String?, contactId: Int64?, limit: Int) async throws -> [Handoff] {
        try await read { session in
            var conditions: [String] = []
            var arguments: [any PostgresArgument] = []
            if let status {
                conditions.append("status = ?")
                arguments.append(status.rawValue)
            }
            if let owner {
                conditions.append("owner = ?")
                arguments.append(owner)
            }
            if let contactId {
                conditions.append("contact_id = ?")
                arguments.append(contactId)
            }
            arguments.append(limit)
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try await session.rows("SELECT \(SQLiteStore.handoffColumns) FROM handoffs \(filter) ORDER BY created_at DESC, id DESC LIMIT ?", arguments)
                .map(Self.handoff)
        }
    }

    public func recordFeedback(handoffId: Int64, _ feedback: HandoffFeedback, stage: LifecycleStage?, clearOwner: Bool, at now: Timestamp) async throws -> Handoff {
        try await write { session in
            guard let handoff = try await Self.fetchHandoff(session, id: handoffId) else { throw StoreError.notFound("handoff \(handoffId)") }
            var note: String?
            var amount: Double?
            switch feedback {
            case .rejected(let reason, let text): note = reason.rawValue + (text.map { ": \($0)" } ?? "")
            case .recycled(let text): note = text
            case .opportunity(let value), .won(let value): amount = value
            case .lost(let value, let text):
                amount = value
                note = text
            case .accepted: break
            }
            try await session.execute(
                """
                UPDATE handoffs SET status = ?, outcome_reason = coalesce(?::text, outcome_reason), amount = coalesce(?::double precision, amount),
                    first_touch_at = coalesce(first_touch_at, ?), updated_at = ? WHERE id = ?
                """, [feedback.status.rawValue, note, amount, now.millisecondsSinceEpoch, now.millisecondsSinceEpoch, handoffId])
            guard var row = try await ContactRow.fetch(session, id: try await Self.survivor(session, of: handoff.contactId)) else {
                throw StoreError.notFound("contact \(handoff.contactId)")
            }
            let writer = PostgresIngestWriter(session: session)
            let previous = row.stage
            if let stage { row.stage = stage }
            if clearOwner { row.owner = nil }
            try await row.save(session, at: now)
            var properties: [String: JSONValue] = ["handoff_id": .int(handoffId), "outcome": .string(feedback.status.rawValue), "owner": .string(handoff.owner)]
            if let note { properties["reason"] = .string(note) }
            if let amount { properties["amount"] = .double(amount) }
            if previous != row.stage { properties["stage"] = .string(row.stage?.rawValue ?? "") }
            try await writer.appendEvent(
                TrackingMessage(
                    type: .track, messageId: "feedback-\(handoffId)-\(feedback.status.rawValue)-\(now.millisecondsSinceEpoch)", name: "Sales Feedback",
                    properties: properties),
                contactId: row.id, source: "sales", timestamp: now, receivedAt: now)
            if previous != row.stage {
                try await writer.appendEvent(
                    TrackingMessage(
                        type: .track, messageId: "stage-feedback-\(handoffId)-\(now.millisecondsSinceEpoch)", name: "Lifecycle Stage Changed",
                        properties: [
                            "from": previous.map { .string($0.rawValue) } ?? .null, "to": row.stage.map { .string($0.rawValue) } ?? .null,
                            "cause": "sales feedback", "reason": .string("\(feedback.status.rawValue)\(note.map { ": \($0)" } ?? "") (\(handoff.owner))"),
                        ]), contactId: row.id, source: "sales", timestamp: now, receivedAt: now)
            }
            return try await Self.fetchHandoff(session, id: handoffId)!
        }
    }

    public func dueHandoffs(at now: Timestamp, limit: Int) async throws -> [Handoff] {
        try await read { session in
            try await session.rows(
                """
                SELECT \(SQLiteStore.handoffColumns) FROM handoffs WHERE status = 'open' AND first_touch_at IS NULL AND
                    ((lapsed_at IS NULL AND due_at <= ?1) OR (reminded_at IS NULL AND remind_at IS NOT NULL AND remind_at <= ?1))
                ORDER BY due_at LIMIT ?2
                """, [now.millisecondsSinceEpoch, limit]
            ).map(Self.handoff)
        }
    }

    public func markReminded(handoffId: Int64, at now: Timestamp) async throws {
        try await write(serialized: false) { session in
            try await session.execute("UPDATE handoffs SET reminded_at = ?, updated_at = ? WHERE id = ?", [now.millisecondsSinceEpoch, now.millisecondsSinceEpoch, handoffId])
        }
    }

    public func reassign(handoffId: Int64, to owner: SalesOwner, reason: String, dueAt: Timestamp, remindAt: Timestamp?, at now: Timestamp) async throws -> Handoff {
        try await write { session in
            guard let handoff = try await Self.fetchHandoff(session, id: handoffId) else { throw StoreError.notFound("handoff \(handoffId)") }
            try await session.execute(
                "UPDATE handoffs SET owner = ?, team = ?, assignment_reason = ?, due_at = ?, remind_at = ?, reminded_at = NULL, updated_at = ? WHERE id = ?",
                [owner.id, owner.team, reason, dueAt.millisecondsSinceEpoch, remindAt?.millisecondsSinceEpoch, now.millisecondsSinceEpoch, handoffId])
            if var row = try await ContactRow.fetch(session, id: try await Self.survivor(session, of: handoff.contactId)) {
                row.owner = owner.id
                try await row.save(session, at: now)
                try await PostgresIngestWriter(session: session).appendEvent(
                    TrackingMessage(
                        type: .track, messageId: "reassign-\(handoffId)-\(now.millisecondsSinceEpoch)", name: "Handoff Reassigned",
                        properties: ["handoff_id": .int(handoffId), "from": .string(handoff.owner), "to": .string(owner.id), "reason": .string(reason)]),
                    contactId: row.id, source: "sales", timestamp: now, receivedAt: now)
            }
            return try await Self.fetchHandoff(session, id: handoffId)!
        }
    }

    public func markEscalated(handoffId: Int64, to lead: String?, at now: Timestamp) async throws {
        try await write { session in
            guard let handoff = try await Self.fetchHandoff(session, id: handoffId) else { throw StoreError.notFound("handoff \(handoffId)") }
            try await session.execute("UPDATE handoffs SET lapsed_at = ?, updated_at = ? WHERE id = ?", [now.millisecondsSinceEpoch, now.millisecondsSinceEpoch, handoffId])
            try await PostgresIngestWriter(session: session).appendEvent(
                TrackingMessage(
                    type: .track, messageId: "escalate-\(handoffId)", name: "Handoff Escalated",
                    properties: ["handoff_id": .int(handoffId), "owner": .string(handoff.owner), "to": lead.map(JSONValue.string) ?? .null]),
                contactId: handoff.contactId, source: "sales", timestamp: now, receivedAt: now)
        }
    }

    // MARK: Webhooks

    static func queueWebhook(_ session: PostgresSession, handoffId: Int64?, kind: String, url: String, payload: String, at now: Timestamp) async throws {
        try await session.execute(
            "INSERT INTO webhook_deliveries (handoff_id, kind, url, payload, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
            [handoffId, kind, url, payload, now.millisecondsSinceEpoch, now.millisecondsSinceEpoch])
    }

    public func queueWebhook(handoffId: Int64?, kind: String, url: String, payload: String, at now: Timestamp) async throws {
        try await write(serialized: false) { session in
            try await Self.queueWebhook(session, handoffId: handoffId, kind: kind, url: url, payload: payload, at: now)
        }
    }

    static func webhook(_ row: PostgresResultRow) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row[0], handoffId: try row[1], kind: try row[2], url: try row[3], payload: try row[4],
            status: WebhookDelivery.Status(rawValue: try row[5]) ?? .pending, attempts: try row[6], nextAttemptAt: Timestamp(millisecondsSinceEpoch: try row[7]),
            lastError: try row[8], createdAt: Timestamp(millisecondsSinceEpoch: try row[9]),
            deliveredAt: (try row[10] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)))
    }

    /// Claims with `FOR UPDATE SKIP LOCKED`, like sends: workers never take the same delivery.
    public func claimDueWebhooks(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [WebhookDelivery] {
        try await write(serialized: false) { session in
            try await session.rows(
                """
                WITH due AS (
                    SELECT id, next_attempt_at AS was FROM webhook_deliveries
                    WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE webhook_deliveries w SET status = 'sending', attempts = w.attempts + 1, next_attempt_at = ?3 FROM due WHERE w.id = due.id
                RETURNING w.id, w.handoff_id, w.kind, w.url, w.payload, w.status, w.attempts, due.was, w.last_error, w.created_at, w.delivered_at
                """, [now.millisecondsSinceEpoch, limit, leaseUntil.millisecondsSinceEpoch]
            ).map(Self.webhook).sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
        }
    }

    @discardableResult
    public func recordWebhook(id: Int64, attempt: Int, _ outcome: WebhookOutcome, at now: Timestamp) async throws -> Bool {
        try await write(serialized: false) { session in
            // Only under the caller's claim: a late retry must not put a delivered call back in the queue.
            let claim = "WHERE id = ? AND attempts = ? AND status = 'sending' RETURNING id"
            let updated: PostgresResultRow?
            switch outcome {
            case .delivered:
                updated = try await session.row(
                    "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ?, last_error = NULL \(claim)", [now.millisecondsSinceEpoch, id, attempt])
            case .retry(let until, let error):
                updated = try await session.row(
                    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, last_error = ? \(claim)", [until.millisecondsSinceEpoch, error, id, attempt])
            case .dead(let error):
                updated = try await session.row("UPDATE webhook_deliveries SET status = 'dead', last_error = ? \(claim)", [error, id, attempt])
            }
            return updated != nil
        }
    }

    public func webhookDeliveries(status: WebhookDelivery.Status?, limit: Int) async throws -> [WebhookDelivery] {
        try await read { session in
            if let status {
                return try await session.rows(
                    "SELECT \(SQLiteStore.webhookColumns) FROM webhook_deliveries WHERE status = ? ORDER BY id DESC LIMIT ?", [status.rawValue, limit]
                ).map(Self.webhook)
            }
            return try await session.rows("SELECT \(SQLiteStore.webhookColumns) FROM webhook_deliveries ORDER BY id DESC LIMIT ?", [limit]).map(Self.webhook)
        }
    }

    // MARK: Predictive models

    public func savePredictiveModel(_ model: String, metrics: String, at now: Timestamp) async throws -> Int {
        try await write { session in
            let version = Int(try await session.int64("SELECT coalesce(max(version), 0) + 1 FROM predictive_models") ?? 1)
            try await session.execute(
                "INSERT INTO predictive_models (version, model, metrics, created_at) VALUES (?, ?, ?, ?)", [version, model, metrics, now.millisecondsSinceEpoch])
            return version
        }
    }

    public func latestPredictiveModel() async throws -> (version: Int, model: String, metrics: String, createdAt: Timestamp)? {
        try await read { session in
            guard let row = try await session.row("SELECT version, model, metrics, created_at FROM predictive_models ORDER BY version DESC LIMIT 1") else {
                return nil
            }
            return (try row[0], try row[1], try row[2], Timestamp(millisecondsSinceEpoch: try row[3]))
        }
    }

    public func handoffOutcomes() async throws -> [(contactId: Int64, positive: Bool)] {
        try await read { session in
            try await session.rows(
                """
                SELECT contact_id, max(CASE WHEN status IN ('accepted', 'opportunity', 'won') THEN 1 ELSE 0 END) FROM handoffs
                WHERE status IN ('accepted', 'opportunity', 'won', 'rejected', 'lost') GROUP BY contact_id ORDER BY contact_id
                """
            ).map { (try $0[0], (try $0[1] as Int) == 1) }
        }
    }

    public func rejectionReport() async throws -> [(reason: String, dimension: String, value: String, count: Int)] {
        try await read { session in
            let reason = "split_part(h.outcome_reason, ':', 1)"
            let bySource = try await session.rows(
                """
                SELECT \(reason), coalesce(c.traits::jsonb ->> 'source', c.traits::jsonb ->> 'lead_source', 'unknown'), count(*)
                FROM handoffs h JOIN contacts c ON c.id = h.contact_id WHERE h.status = 'rejected' GROUP BY 1, 2 ORDER BY 3 DESC
                """)
            let bySegment = try await session.rows(
                """
                SELECT \(reason), s.name, count(*) FROM handoffs h JOIN segment_members m ON m.contact_id = h.contact_id
                JOIN segments s ON s.id = m.segment_id WHERE h.status = 'rejected' GROUP BY 1, 2 ORDER BY 3 DESC
                """)
            return try bySource.map { (try $0[0], "source", try $0[1], try $0[2]) } + bySegment.map { (try $0[0], "segment", try $0[1], try $0[2]) }
        }
    }
}
