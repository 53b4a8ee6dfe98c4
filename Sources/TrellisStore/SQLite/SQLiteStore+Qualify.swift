import Foundation
import GRDB
import TrellisCore

extension SQLiteStore {
    /// The name rules know an event by: a track call's event, "Page Viewed" for page calls and
    /// "Screen Viewed" for screen calls. The same expression is indexed, so queries must use it as is.
    static let ruleNameSQL = "CASE type WHEN 'track' THEN name WHEN 'page' THEN 'Page Viewed' WHEN 'screen' THEN 'Screen Viewed' END"

    public func qualify(with qualifier: Qualifier, at now: Timestamp, limit: Int) async throws -> QualifyReport {
        try await pool.write { db in
            var pass = try QualifyPass(db: db, qualifier: qualifier, now: now)
            return try pass.run(limit: limit)
        }
    }

    public func explain(contactId: Int64, with qualifier: Qualifier, at now: Timestamp) async throws -> [String: RuleOutcome] {
        try await pool.read { db in
            let id = try Self.survivor(db, of: contactId)
            guard let row = try ContactRow.fetch(db, id: id) else { return [:] }
            let names = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, name FROM segments").map { ($0[0] as Int64, $0[1] as String) })
            var facts = try FactsLoader(db: db, qualifier: qualifier, segmentNames: names).facts(for: row, at: now, withColleagues: true)
            if let scorer = qualifier.scorer,
                let text = try String.fetchOne(db, sql: "SELECT state FROM contact_scores WHERE contact_id = ? AND model = ?", arguments: [id, scorer.model.name])
            {
                facts.scores = scorer.readings(try JSONDecoderShim.decode(ScoreState.self, text), at: now)
            }
            let evaluator = RuleEvaluator()
            var outcomes: [String: RuleOutcome] = [:]
            for segment in qualifier.catalog.segments { outcomes[segment.name] = evaluator.explain(segment.match, for: facts, at: now) }
            return outcomes
        }
    }
}

/// One qualify pass inside a write transaction: read the log after the cursor and the due
/// checks, qualify each contact once, write what changed, move the cursor.
struct QualifyPass {
    let db: Database
    let qualifier: Qualifier
    let now: Timestamp
    let segmentIds: [String: Int64]
    let segmentNames: [Int64: String]
    var report = QualifyReport()
    var writer: IngestWriter

    init(db: Database, qualifier: Qualifier, now: Timestamp) throws {
        self.db = db
        self.qualifier = qualifier
        self.now = now
        let rows = try Row.fetchAll(db, sql: "SELECT id, name FROM segments")
        segmentIds = Dictionary(uniqueKeysWithValues: rows.map { ($0[1], $0[0]) })
        segmentNames = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[1]) })
        writer = try IngestWriter(db: db)
    }

    /// Events the pass writes itself; reading them back changes nothing, so they are skipped.
    static let ownSource = "qualify"
    static let profileEvents: Set<String> = ["Contact Updated", "Contacts Merged"]

    mutating func run(limit: Int) throws -> QualifyReport {
        if qualifier.catalog.segments.isEmpty && qualifier.scorer == nil {
            // Nothing to qualify for: keep the cursor at the end of the log, so that rules added
            // later start from there (a new segment is computed over everyone anyway).
            try db.execute(sql: "UPDATE qualify_cursor SET last_seq = (SELECT coalesce(max(seq), 0) FROM events) WHERE id = 1")
            return report
        }
        let cursor = try Int64.fetchOne(db, sql: "SELECT last_seq FROM qualify_cursor WHERE id = 1") ?? 0
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT seq, contact_id, type, \(SQLiteStore.ruleNameSQL), properties, timestamp, source, received_at FROM events
                WHERE seq > ? ORDER BY seq LIMIT ?
                """, arguments: [cursor, limit])
        report.more = rows.count == limit
        var order: [Int64] = []
        var work: [Int64: (events: [NewEvent], changes: FactChanges)] = [:]
        var lastSeq = cursor
        let scored = Set(qualifier.scorer?.model.engagement.map(\.event) ?? [])
        for row in rows {
            lastSeq = row[0]
            guard let rawId: Int64 = row[1], (row[6] as String) != Self.ownSource else { continue }
            report.events += 1
            report.receivedAt.append(Timestamp(millisecondsSinceEpoch: row[7]))
            let id = try SQLiteStore.survivor(db, of: rawId)
            if work[id] == nil { order.append(id) }
            var entry = work[id] ?? ([], FactChanges(activity: true))
            let type: String = row[2]
            let name: String? = row[3]
            if type == "identify" || type == "group" || name.map(Self.profileEvents.contains) == true { entry.changes.traits = true }
            if let name { entry.changes.eventNames.insert(name) }
            // A stage set through the API or a CRM is also a profile change.
            if name == QualifyEvents.stageChanged { entry.changes.stage = true }
            if let name, scored.contains(name) {
                let fact = EventFact(timestamp: Timestamp(millisecondsSinceEpoch: row[5]), properties: try JSONValue.column(row[4], "events.properties"))
                entry.events.append(NewEvent(seq: row[0], name: name, fact: fact))
            }
            work[id] = entry
        }
        let due = try Int64.fetchAll(
            db, sql: "SELECT contact_id FROM contact_checks WHERE due_at <= ? ORDER BY due_at LIMIT ?", arguments: [now.millisecondsSinceEpoch, limit])
        report.dueChecks = due.count
        if due.count == limit { report.more = true }
        for id in due where work[id] == nil {
            order.append(id)
            work[id] = ([], .everything)
        }
        var colleagues: [Int64] = []
        for id in order {
            let entry = work[id]!
            if let accountId = try qualifyContact(id, newEvents: entry.events, changes: entry.changes), qualifier.catalog.needsColleagues(for: entry.changes) {
                colleagues += try Int64.fetchAll(db, sql: "SELECT id FROM contacts WHERE account_id = ? LIMIT 500", arguments: [accountId])
            }
        }
        // A colleague's event can change an account aggregate for everyone at the account.
        for id in Set(colleagues) where work[id] == nil { _ = try qualifyContact(id, newEvents: [], changes: .everything) }
        report.contacts = order.count
        let newCursor = report.more ? lastSeq : max(lastSeq, try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM events") ?? 0)
        try db.execute(sql: "UPDATE qualify_cursor SET last_seq = ? WHERE id = 1", arguments: [newCursor])
        return report
    }

    /// Qualifies one contact; returns its account id.
    mutating func qualifyContact(_ id: Int64, newEvents: [NewEvent], changes: FactChanges) throws -> Int64? {
        guard let row = try ContactRow.fetch(db, id: id) else {
            try db.execute(sql: "DELETE FROM contact_checks WHERE contact_id = ?", arguments: [id])
            return nil
        }
        var changes = changes
        var state = ScoreState()
        var events = newEvents
        if let scorer = qualifier.scorer {
            let stored = try Row.fetchOne(db, sql: "SELECT model, state FROM contact_scores WHERE contact_id = ?", arguments: [id])
            if let stored, (stored[0] as String) == scorer.model.name {
                state = try JSONDecoderShim.decode(ScoreState.self, stored[1])
            } else {
                // No score under this model yet: score the whole history once.
                try db.execute(sql: "DELETE FROM score_changes WHERE contact_id = ? AND model = ?", arguments: [id, scorer.model.name])
                events = try history(of: id, names: Set(scorer.model.engagement.map(\.event)))
                changes = .everything
            }
        }
        let loader = FactsLoader(db: db, qualifier: qualifier, segmentNames: segmentNames)
        var facts = try loader.facts(for: row, at: now, withColleagues: qualifier.catalog.needsColleagues(for: changes))
        let result = qualifier.qualify(&facts, score: &state, newEvents: events, changes: changes, at: now)
        try write(result, contactId: id, state: state)
        return row.accountId
    }

    func history(of contactId: Int64, names: Set<String>) throws -> [NewEvent] {
        guard !names.isEmpty else { return [] }
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT seq, \(SQLiteStore.ruleNameSQL) AS rule_name, properties, timestamp FROM events
                WHERE contact_id = ? AND type IN ('track', 'page', 'screen') ORDER BY timestamp, seq
                """, arguments: [contactId])
        return try rows.compactMap { row in
            guard let name: String = row[1], names.contains(name) else { return nil }
            return NewEvent(
                seq: row[0], name: name,
                fact: EventFact(timestamp: Timestamp(millisecondsSinceEpoch: row[3]), properties: try JSONValue.column(row[2], "events.properties")))
        }
    }

    mutating func write(_ result: Qualification, contactId: Int64, state: ScoreState) throws {
        let at = now.millisecondsSinceEpoch
        for name in result.membership.entered {
            guard let segmentId = segmentIds[name] else { continue }
            try db.execute(
                sql: "INSERT INTO segment_members (segment_id, contact_id, entered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [segmentId, contactId, at])
            try log(QualifyEvents.segmentEntered, contactId: contactId, ["segment": .string(name), "segmentId": .int(segmentId)])
            report.entered += 1
        }
        for name in result.membership.exited {
            guard let segmentId = segmentIds[name] else { continue }
            try db.execute(sql: "DELETE FROM segment_members WHERE segment_id = ? AND contact_id = ?", arguments: [segmentId, contactId])
            try log(QualifyEvents.segmentExited, contactId: contactId, ["segment": .string(name), "segmentId": .int(segmentId)])
            report.exited += 1
        }
        if let move = result.stageChange {
            try db.execute(sql: "UPDATE contacts SET stage = ?, updated_at = ? WHERE id = ?", arguments: [move.to.rawValue, at, contactId])
            try log(
                QualifyEvents.stageChanged, contactId: contactId,
                ["from": move.from.map { .string($0.rawValue) } ?? .null, "to": .string(move.to.rawValue), "cause": "rule", "reason": .string(move.reason)])
            report.stageChanges += 1
        }
        if let scorer = qualifier.scorer {
            let snapshot = scorer.snapshot(state, at: now)
            try db.execute(
                sql: """
                    INSERT INTO contact_scores (contact_id, model, fit, engagement, engagement_at, grade, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (contact_id) DO UPDATE SET model = excluded.model, fit = excluded.fit, engagement = excluded.engagement,
                        engagement_at = excluded.engagement_at, grade = excluded.grade, state = excluded.state, updated_at = excluded.updated_at
                    """,
                arguments: [contactId, scorer.model.name, snapshot.fit, snapshot.engagement, at, snapshot.grade.rawValue, try JSONDecoderShim.encode(state), at])
            for change in result.scoreChanges {
                try db.execute(
                    sql: "INSERT INTO score_changes (contact_id, model, dimension, rule, points, reason, event_seq, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        contactId, scorer.model.name, change.dimension.rawValue, change.rule, change.points, change.reason, change.eventSeq,
                        change.at.millisecondsSinceEpoch,
                    ])
            }
            report.scoreChanges += result.scoreChanges.count
        }
        if result.membership.complete {
            if let next = result.nextCheck {
                try db.execute(
                    sql: "INSERT INTO contact_checks (contact_id, due_at) VALUES (?, ?) ON CONFLICT (contact_id) DO UPDATE SET due_at = excluded.due_at",
                    arguments: [contactId, next.millisecondsSinceEpoch])
            } else {
                try db.execute(sql: "DELETE FROM contact_checks WHERE contact_id = ?", arguments: [contactId])
            }
        } else if let next = result.nextCheck {
            // Only some segments were evaluated: keep an earlier check that others may need.
            try db.execute(
                sql: """
                    INSERT INTO contact_checks (contact_id, due_at) VALUES (?, ?)
                    ON CONFLICT (contact_id) DO UPDATE SET due_at = CASE WHEN contact_checks.due_at > ? THEN min(contact_checks.due_at, excluded.due_at) ELSE excluded.due_at END
                    """, arguments: [contactId, next.millisecondsSinceEpoch, now.millisecondsSinceEpoch])
        }
    }

    func log(_ name: String, contactId: Int64, _ properties: [String: JSONValue]) throws {
        var random = SystemRandomNumberGenerator()
        let message = TrackingMessage(
            type: .track, messageId: "q-\(contactId)-\(now.millisecondsSinceEpoch)-\(String(random.next(), radix: 36))", name: name, properties: properties)
        try writer.appendEvent(message, contactId: contactId, source: Self.ownSource, timestamp: now, receivedAt: now)
    }
}

/// Builds a contact's ``ContactFacts`` from the tables: the row, its account, the events rules
/// look at (within the longest window), its memberships, and its colleagues for account rules.
struct FactsLoader {
    let db: Database
    let qualifier: Qualifier
    let segmentNames: [Int64: String]

    func facts(for row: ContactRow, at now: Timestamp, withColleagues: Bool) throws -> ContactFacts {
        var facts = ContactFacts(contact: row.contact(anonymousIds: []))
        if let accountId = row.accountId {
            facts.account = try account(accountId)
            if withColleagues, qualifier.catalog.usesAccountAggregates {
                let others = try Row.fetchAll(
                    db, sql: "SELECT \(ContactRow.columns) FROM contacts WHERE account_id = ? AND id <> ? ORDER BY id LIMIT 500",
                    arguments: [accountId, row.id])
                facts.others = try others.map { try self.facts(for: try ContactRow(row: $0), at: now, withColleagues: false) }
            }
        }
        if !qualifier.eventNames.isEmpty {
            let since = qualifier.eventWindow.map { now.subtracting($0).millisecondsSinceEpoch } ?? Int64.min
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SQLiteStore.ruleNameSQL), timestamp, properties FROM events
                    WHERE contact_id = ? AND type IN ('track', 'page', 'screen') AND timestamp >= ?
                    """, arguments: [row.id, since])
            for event in rows {
                guard let name: String = event[0], qualifier.eventNames.contains(name) else { continue }
                let fact = EventFact(timestamp: Timestamp(millisecondsSinceEpoch: event[1]), properties: try JSONValue.column(event[2], "events.properties"))
                facts.eventsByName[name, default: []].append(fact)
            }
        }
        let segmentIds = try Int64.fetchAll(db, sql: "SELECT segment_id FROM segment_members WHERE contact_id = ?", arguments: [row.id])
        facts.memberships = Set(segmentIds.compactMap { segmentNames[$0] })
        return facts
    }

    func account(_ id: Int64) throws -> Account? {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, group_id, name, traits, created_at, updated_at FROM accounts WHERE id = ?", arguments: [id]) else {
            return nil
        }
        return Account(
            id: row[0], groupId: row[1], name: row[2], traits: try JSONValue.column(row[3], "accounts.traits"),
            createdAt: Timestamp(millisecondsSinceEpoch: row[4]), updatedAt: Timestamp(millisecondsSinceEpoch: row[5]))
    }
}
