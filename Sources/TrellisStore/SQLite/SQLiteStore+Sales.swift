import GRDB
import TrellisCore

extension SQLiteStore {
    public func contactFacts(contactId: Int64, needs: FactNeeds, scorer: LeadScorer?, at now: Timestamp) async throws -> ContactFacts? {
        try await pool.read { db in
            let id = try Self.survivor(db, of: contactId)
            guard let row = try ContactRow.fetch(db, id: id) else { return nil }
            let names = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, name FROM segments").map { ($0[0] as Int64, $0[1] as String) })
            var facts = try FactsLoader(db: db, needs: needs, segmentNames: names).facts(for: row, at: now, withColleagues: needs.accountRules)
            if let scorer,
                let text = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM contact_scores WHERE contact_id = ? AND model = ?"), arguments: [id, scorer.model.name])
            {
                facts.scores = scorer.readings(try ScoreState(json: try JSONValue(jsonText: text)), at: now)
            }
            return facts
        }
    }

    public func takeHandoffTriggers(stage: LifecycleStage?, at now: Timestamp, limit: Int) async throws -> [HandoffTrigger] {
        try await pool.write { db in
            var triggers: [HandoffTrigger] = []
            let steps = try Row.fetchAll(
                db, sql: "SELECT key, contact_id, detail FROM workflow_actions WHERE kind = 'handoff' AND delivered_at IS NULL ORDER BY at LIMIT ?",
                arguments: [limit])
            for step in steps {
                triggers.append(HandoffTrigger(key: step[0], contactId: step[1], reason: step[2]))
                try db.cachedStatement(sql: "UPDATE workflow_actions SET delivered_at = ? WHERE key = ?").execute(arguments: [now.millisecondsSinceEpoch, step[0] as String])
            }
            let cursor = Int64(try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'handoff_stage_cursor'") ?? "") ?? -1
            if cursor < 0 {
                // First run: only stage changes from now on hand leads over, not the whole history.
                let latest = try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM events") ?? 0
                try Self.saveSetting(db, "handoff_stage_cursor", String(latest))
                return triggers
            }
            let changes = try Row.fetchAll(
                db,
                sql: "SELECT seq, contact_id, properties FROM events WHERE name = 'Lifecycle Stage Changed' AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [cursor, limit])
            for change in changes {
                let properties = try JSONValue(jsonText: change[2] as String)
                guard let stage, properties["to"]?.stringValue == stage.rawValue, let contactId = change[1] as Int64? else { continue }
                triggers.append(HandoffTrigger(key: "stage-\(change[0] as Int64)", contactId: contactId, reason: properties["reason"]?.stringValue ?? "reached \(stage.rawValue)"))
            }
            if let last = changes.last { try Self.saveSetting(db, "handoff_stage_cursor", String(last[0] as Int64)) }
            return triggers
        }
    }

    static func saveSetting(_ db: Database, _ name: String, _ value: String) throws {
        try db.cachedStatement(sql: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").execute(arguments: [name, value])
    }

    public func ownerLoads() async throws -> [String: Int] {
        try await pool.read { db in
            var loads: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT owner, count(*) FROM handoffs WHERE status = 'open' GROUP BY owner") { loads[row[0]] = row[1] }
            return loads
        }
    }

    public func routingCursors() async throws -> [String: Int] {
        try await pool.read { db in
            var cursors: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT team, position FROM routing_cursors") { cursors[row[0]] = row[1] }
            return cursors
        }
    }

    public func accountOwner(accountId: Int64) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT h.owner FROM handoffs h JOIN contacts c ON c.id = h.contact_id
                    WHERE c.account_id = ? AND h.status IN ('open', 'accepted', 'opportunity', 'won') ORDER BY h.created_at DESC LIMIT 1
                    """, arguments: [accountId])
        }
    }

    static let handoffColumns = """
        id, contact_id, owner, team, reason, assignment_reason, status, context, created_at, due_at, remind_at, reminded_at, lapsed_at,
        first_touch_at, outcome_reason, amount, updated_at
        """

    static func handoff(_ row: Row) throws -> Handoff {
        func time(_ index: Int) -> Timestamp? { (row[index] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)) }
        return Handoff(
            id: row[0], contactId: row[1], owner: row[2], team: row[3], reason: row[4], assignmentReason: row[5],
            status: Handoff.Status(rawValue: row[6]) ?? .open, context: try JSONValue(jsonText: row[7] as String), createdAt: time(8)!, dueAt: time(9)!,
            remindAt: time(10), remindedAt: time(11), lapsedAt: time(12), firstTouchAt: time(13), outcomeReason: row[14], amount: row[15],
            updatedAt: time(16)!)
    }

    static func fetchHandoff(_ db: Database, id: Int64) throws -> Handoff? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(handoffColumns) FROM handoffs WHERE id = ?"), arguments: [id]).map(handoff)
    }

    public func createHandoff(_ new: NewHandoff) async throws -> (handoff: Handoff, created: Bool) {
        try await pool.write { db in
            let contactId = try Self.survivor(db, of: new.contactId)
            if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM handoffs WHERE key = ? OR (contact_id = ? AND status = 'open')"), arguments: [new.key, contactId]),
                let existing = try Self.fetchHandoff(db, id: id)
            {
                return (existing, false)
            }
            guard var row = try ContactRow.fetch(db, id: contactId) else { throw StoreError.notFound("contact \(new.contactId)") }
            let at = new.at.millisecondsSinceEpoch
            try db.execute(
                sql: """
                    INSERT INTO handoffs (key, contact_id, owner, team, reason, assignment_reason, status, context, created_at, due_at, remind_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    new.key, contactId, new.owner.id, new.team, new.reason, new.assignmentReason, new.context.jsonText, at, new.dueAt.millisecondsSinceEpoch,
                    new.remindAt?.millisecondsSinceEpoch, at,
                ])
            let id = db.lastInsertedRowID
            if let cursor = new.cursor {
                try db.execute(
                    sql: "INSERT INTO routing_cursors (team, position) VALUES (?, ?) ON CONFLICT (team) DO UPDATE SET position = excluded.position",
                    arguments: [new.team, cursor])
            }
            row.owner = new.owner.id
            try row.save(db, at: new.at)
            let writer = try IngestWriter(db: db)
            try writer.appendEvent(
                TrackingMessage(
                    type: .track, messageId: "handoff-\(id)", name: "Handed Off",
                    properties: [
                        "handoff_id": .int(id), "owner": .string(new.owner.id), "team": .string(new.team), "reason": .string(new.reason),
                        "assignment_reason": .string(new.assignmentReason), "due_at": .string(new.dueAt.iso8601),
                    ]), contactId: contactId, source: "sales", timestamp: new.at, receivedAt: new.at)
            if let url = new.webhookURL {
                try Self.queueWebhook(db, handoffId: id, kind: "handoff", url: url, payload: new.context.jsonText, at: new.at)
            }
            return (try Self.fetchHandoff(db, id: id)!, true)
        }
    }

    public func handoff(id: Int64) async throws -> Handoff? {
        try await pool.read { db in try Self.fetchHandoff(db, id: id) }
    }

    public func handoffs(status: Handoff.Status?, owner: String?, contactId: Int64?, limit: Int) async throws -> [Handoff] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
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
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.handoffColumns) FROM handoffs \(filter) ORDER BY created_at DESC, id DESC LIMIT ?",
                arguments: StatementArguments(arguments)
            ).map(Self.handoff)
        }
    }

    public func recordFeedback(handoffId: Int64, _ feedback: HandoffFeedback, stage: LifecycleStage?, clearOwner: Bool, at now: Timestamp) async throws -> Handoff {
        try await pool.write { db in
            guard let handoff = try Self.fetchHandoff(db, id: handoffId) else { throw StoreError.notFound("handoff \(handoffId)") }
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
            try db.execute(
                sql: """
                    UPDATE handoffs SET status = ?, outcome_reason = coalesce(?, outcome_reason), amount = coalesce(?, amount),
                        first_touch_at = coalesce(first_touch_at, ?), updated_at = ? WHERE id = ?
                    """, arguments: [feedback.status.rawValue, note, amount, now.millisecondsSinceEpoch, now.millisecondsSinceEpoch, handoffId])
            guard var row = try ContactRow.fetch(db, id: try Self.survivor(db, of: handoff.contactId)) else { throw StoreError.notFound("contact \(handoff.contactId)") }
            let writer = try IngestWriter(db: db)
            let previous = row.stage
            if let stage { row.stage = stage }
            if clearOwner { row.owner = nil }
            try row.save(db, at: now)
            var properties: [String: JSONValue] = ["handoff_id": .int(handoffId), "outcome": .string(feedback.status.rawValue), "owner": .string(handoff.owner)]
            if let note { properties["reason"] = .string(note) }
            if let amount { properties["amount"] = .double(amount) }
            if previous != row.stage { properties["stage"] = .string(row.stage?.rawValue ?? "") }
            try writer.appendEvent(
                TrackingMessage(type: .track, messageId: "feedback-\(handoffId)-\(feedback.status.rawValue)-\(now.millisecondsSinceEpoch)", name: "Sales Feedback", properties: properties),
                contactId: row.id, source: "sales", timestamp: now, receivedAt: now)
            if previous != row.stage {
                try writer.appendEvent(
                    TrackingMessage(
                        type: .track, messageId: "stage-feedback-\(handoffId)-\(now.millisecondsSinceEpoch)", name: "Lifecycle Stage Changed",
                        properties: [
                            "from": previous.map { .string($0.rawValue) } ?? .null, "to": row.stage.map { .string($0.rawValue) } ?? .null, "cause": "sales feedback",
                            "reason": .string("\(feedback.status.rawValue)\(note.map { ": \($0)" } ?? "") (\(handoff.owner))"),
                        ]), contactId: row.id, source: "sales", timestamp: now, receivedAt: now)
            }
            return try Self.fetchHandoff(db, id: handoffId)!
        }
    }

    public func dueHandoffs(at now: Timestamp, limit: Int) async throws -> [Handoff] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.handoffColumns) FROM handoffs WHERE status = 'open' AND first_touch_at IS NULL AND
                        ((lapsed_at IS NULL AND due_at <= ?1) OR (reminded_at IS NULL AND remind_at IS NOT NULL AND remind_at <= ?1))
                    ORDER BY due_at LIMIT ?2
                    """, arguments: [now.millisecondsSinceEpoch, limit]
            ).map(Self.handoff)
        }
    }

    public func markReminded(handoffId: Int64, at now: Timestamp) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE handoffs SET reminded_at = ?, updated_at = ? WHERE id = ?").execute(arguments: [now.millisecondsSinceEpoch, now.millisecondsSinceEpoch, handoffId])
        }
    }

    public func reassign(handoffId: Int64, to owner: SalesOwner, reason: String, dueAt: Timestamp, remindAt: Timestamp?, at now: Timestamp) async throws -> Handoff {
        try await pool.write { db in
            guard let handoff = try Self.fetchHandoff(db, id: handoffId) else { throw StoreError.notFound("handoff \(handoffId)") }
            try db.execute(
                sql: """
                    UPDATE handoffs SET owner = ?, team = ?, assignment_reason = ?, due_at = ?, remind_at = ?, reminded_at = NULL, updated_at = ? WHERE id = ?
                    """,
                arguments: [owner.id, owner.team, reason, dueAt.millisecondsSinceEpoch, remindAt?.millisecondsSinceEpoch, now.millisecondsSinceEpoch, handoffId])
            if var row = try ContactRow.fetch(db, id: try Self.survivor(db, of: handoff.contactId)) {
                row.owner = owner.id
                try row.save(db, at: now)
                try IngestWriter(db: db).appendEvent(
                    TrackingMessage(
                        type: .track, messageId: "reassign-\(handoffId)-\(now.millisecondsSinceEpoch)", name: "Handoff Reassigned",
                        properties: ["handoff_id": .int(handoffId), "from": .string(handoff.owner), "to": .string(owner.id), "reason": .string(reason)]),
                    contactId: row.id, source: "sales", timestamp: now, receivedAt: now)
            }
            return try Self.fetchHandoff(db, id: handoffId)!
        }
    }

    public func markEscalated(handoffId: Int64, to lead: String?, at now: Timestamp) async throws {
        try await pool.write { db in
            guard let handoff = try Self.fetchHandoff(db, id: handoffId) else { throw StoreError.notFound("handoff \(handoffId)") }
            try db.cachedStatement(sql: "UPDATE handoffs SET lapsed_at = ?, updated_at = ? WHERE id = ?").execute(arguments: [now.millisecondsSinceEpoch, now.millisecondsSinceEpoch, handoffId])
            try IngestWriter(db: db).appendEvent(
                TrackingMessage(
                    type: .track, messageId: "escalate-\(handoffId)", name: "Handoff Escalated",
                    properties: ["handoff_id": .int(handoffId), "owner": .string(handoff.owner), "to": lead.map(JSONValue.string) ?? .null]),
                contactId: handoff.contactId, source: "sales", timestamp: now, receivedAt: now)
        }
    }

    // MARK: Webhooks

    static func queueWebhook(_ db: Database, handoffId: Int64?, kind: String, url: String, payload: String, at now: Timestamp) throws {
        try db.execute(
            sql: "INSERT INTO webhook_deliveries (handoff_id, kind, url, payload, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
            arguments: [handoffId, kind, url, payload, now.millisecondsSinceEpoch, now.millisecondsSinceEpoch])
    }

    public func queueWebhook(handoffId: Int64?, kind: String, url: String, payload: String, at now: Timestamp) async throws {
        try await pool.write { db in try Self.queueWebhook(db, handoffId: handoffId, kind: kind, url: url, payload: payload, at: now) }
    }

    static let webhookColumns = "id, handoff_id, kind, url, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at"

    static func webhook(_ row: Row) -> WebhookDelivery {
        WebhookDelivery(
            id: row[0], handoffId: row[1], kind: row[2], url: row[3], payload: row[4], status: WebhookDelivery.Status(rawValue: row[5]) ?? .pending,
            attempts: row[6], nextAttemptAt: Timestamp(millisecondsSinceEpoch: row[7]), lastError: row[8], createdAt: Timestamp(millisecondsSinceEpoch: row[9]),
            deliveredAt: (row[10] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)))
    }

    public func claimDueWebhooks(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [WebhookDelivery] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT \(Self.webhookColumns) FROM webhook_deliveries WHERE status IN ('pending', 'sending') AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                arguments: [now.millisecondsSinceEpoch, limit])
            return try rows.map { row in
                var delivery = Self.webhook(row)
                try db.execute(
                    sql: "UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                    arguments: [leaseUntil.millisecondsSinceEpoch, delivery.id])
                delivery.status = .sending
                delivery.attempts += 1
                return delivery
            }
        }
    }

    @discardableResult
    public func recordWebhook(id: Int64, attempt: Int, _ outcome: WebhookOutcome, at now: Timestamp) async throws -> Bool {
        try await pool.write { db in
            // Only under the caller's claim: a late retry must not put a delivered call back in the queue.
            let claim = "WHERE id = ? AND attempts = ? AND status = 'sending'"
            switch outcome {
            case .delivered:
                try db.cachedStatement(sql: "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ?, last_error = NULL \(claim)")
                    .execute(arguments: [now.millisecondsSinceEpoch, id, attempt])
            case .retry(let until, let error):
                try db.cachedStatement(sql: "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, last_error = ? \(claim)")
                    .execute(arguments: [until.millisecondsSinceEpoch, error, id, attempt])
            case .dead(let error):
                try db.cachedStatement(sql: "UPDATE webhook_deliveries SET status = 'dead', last_error = ? \(claim)").execute(arguments: [error, id, attempt])
            }
            return db.changesCount > 0
        }
    }

    public func webhookDeliveries(status: WebhookDelivery.Status?, limit: Int) async throws -> [WebhookDelivery] {
        try await pool.read { db in
            if let status {
                return try Row.fetchAll(
                    db, sql: "SELECT \(Self.webhookColumns) FROM webhook_deliveries WHERE status = ? ORDER BY id DESC LIMIT ?", arguments: [status.rawValue, limit]
                ).map(Self.webhook)
            }
            return try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.webhookColumns) FROM webhook_deliveries ORDER BY id DESC LIMIT ?"), arguments: [limit]).map(Self.webhook)
        }
    }

    // MARK: Predictive models

    public func savePredictiveModel(_ model: String, metrics: String, at now: Timestamp) async throws -> Int {
        try await pool.write { db in
            let version = (try Int.fetchOne(db, sql: "SELECT coalesce(max(version), 0) + 1 FROM predictive_models")) ?? 1
            try db.execute(
                sql: "INSERT INTO predictive_models (version, model, metrics, created_at) VALUES (?, ?, ?, ?)",
                arguments: [version, model, metrics, now.millisecondsSinceEpoch])
            return version
        }
    }

    public func latestPredictiveModel() async throws -> (version: Int, model: String, metrics: String, createdAt: Timestamp)? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT version, model, metrics, created_at FROM predictive_models ORDER BY version DESC LIMIT 1").map {
                ($0[0], $0[1], $0[2], Timestamp(millisecondsSinceEpoch: $0[3]))
            }
        }
    }

    public func handoffOutcomes() async throws -> [(contactId: Int64, positive: Bool)] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT contact_id, max(CASE WHEN status IN ('accepted', 'opportunity', 'won') THEN 1 ELSE 0 END) FROM handoffs
                    WHERE status IN ('accepted', 'opportunity', 'won', 'rejected', 'lost') GROUP BY contact_id ORDER BY contact_id
                    """
            ).map { ($0[0], ($0[1] as Int) == 1) }
        }
    }

    public func rejectionReport() async throws -> [(reason: String, dimension: String, value: String, count: Int)] {
        try await pool.read { db in
            let reason = "substr(h.outcome_reason, 1, instr(h.outcome_reason || ':', ':') - 1)"
            let bySource = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(reason), coalesce(json_extract(c.traits, '$.source'), json_extract(c.traits, '$.lead_source'), 'unknown'), count(*)
                    FROM handoffs h JOIN contacts c ON c.id = h.contact_id WHERE h.status = 'rejected' GROUP BY 1, 2 ORDER BY 3 DESC
                    """)
            let bySegment = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(reason), s.name, count(*) FROM handoffs h JOIN segment_members m ON m.contact_id = h.contact_id
                    JOIN segments s ON s.id = m.segment_id WHERE h.status = 'rejected' GROUP BY 1, 2 ORDER BY 3 DESC
                    """)
            return bySource.map { ($0[0], "source", $0[1], $0[2]) } + bySegment.map { ($0[0], "segment", $0[1], $0[2]) }
        }
    }
}
