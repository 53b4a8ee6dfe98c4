import Foundation
import GRDB
import TrellisCore

extension SQLiteStore {
    /// The name rules know an event by: a track call's event, "Page Viewed" for page calls and
    /// "Screen Viewed" for screen calls. The same expression is indexed, so queries must use it as is.
    static let ruleNameSQL = "CASE type WHEN 'track' THEN name WHEN 'page' THEN 'Page Viewed' WHEN 'screen' THEN 'Screen Viewed' END"

    /// A pass reads on a snapshot, alongside ingest, and then writes what changed in a short
    /// transaction: the store's single writer is held only for the writes.
    public func qualify(with qualifier: Qualifier, at now: Timestamp, limit: Int) async throws -> QualifyReport {
        if qualifier.catalog.segments.isEmpty && qualifier.scorer == nil {
            // Nothing to qualify for: keep the cursor near the end of the log, so that rules added
            // later start from there (a new segment is computed over everyone anyway). It moves
            // once it trails by `WorkflowPass.idleCursorLag` events: moving it after every ingest
            // commit was a commit (an fsync) of its own each time.
            try await pool.write { db in
                try db.cachedStatement(
                    sql: """
                        UPDATE qualify_cursor SET last_seq = (SELECT coalesce(max(seq), 0) FROM events)
                        WHERE id = 1 AND last_seq <= (SELECT coalesce(max(seq), 0) FROM events) - ?
                        """
                ).execute(arguments: [WorkflowPass.idleCursorLag])
            }
            return QualifyReport()
        }
        let plan = try await pool.read { db in try QualifyPlanner(db: db, qualifier: qualifier, now: now).plan(limit: limit) }
        if plan.outcomes.isEmpty && plan.cursor == plan.startCursor { return plan.report }
        return try await pool.write { db in try QualifyWriter(db: db, plan: plan, qualifier: qualifier, now: now).apply() }
    }

    public func explain(contactId: Int64, with qualifier: Qualifier, at now: Timestamp) async throws -> [String: RuleOutcome] {
        try await pool.read { db in
            let id = try Self.survivor(db, of: contactId)
            guard let row = try ContactRow.fetch(db, id: id) else { return [:] }
            let names = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, name FROM segments").map { ($0[0] as Int64, $0[1] as String) })
            var facts = try FactsLoader(db: db, qualifier: qualifier, segmentNames: names).facts(for: row, at: now, withColleagues: true)
            if let scorer = qualifier.scorer,
                let text = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM contact_scores WHERE contact_id = ? AND model = ?"), arguments: [id, scorer.model.name])
            {
                facts.scores = scorer.readings(try ScoreState(json: try JSONValue(jsonText: text)), at: now)
            }
            let evaluator = RuleEvaluator()
            var outcomes: [String: RuleOutcome] = [:]
            for segment in qualifier.catalog.segments { outcomes[segment.name] = evaluator.explain(segment.match, for: facts, at: now) }
            return outcomes
        }
    }
}

/// What a pass decided, from one snapshot, for the writer to apply.
struct QualifyPlan: Sendable {
    var startCursor: Int64
    var cursor: Int64
    var report = QualifyReport()
    var outcomes: [ContactOutcome] = []
    var segmentIds: [String: Int64]
}

/// One contact's qualification, as planned.
struct ContactOutcome: Sendable {
    var contactId: Int64
    /// Nil when the contact no longer exists.
    var result: Qualification?
    var state = ScoreState()
    /// The score was rebuilt from the whole history (its old changes are replaced).
    var rescored = false
    var accountId: Int64?
}

/// The read half of a pass: the log after the cursor and the checks falling due tell which
/// contacts to qualify and what changed for each; every contact is qualified once.
struct QualifyPlanner {
    let db: Database
    let qualifier: Qualifier
    let now: Timestamp

    /// Events the pass writes itself; reading them back changes nothing, so they are skipped.
    static let ownSource = "qualify"
    static let profileEvents: Set<String> = ["Contact Updated", "Contacts Merged"]

    func plan(limit: Int) throws -> QualifyPlan {
        let segments = try Row.fetchAll(db, sql: "SELECT id, name FROM segments")
        let segmentNames = Dictionary(uniqueKeysWithValues: segments.map { ($0[0] as Int64, $0[1] as String) })
        let cursor = try Int64.fetchOne(db, sql: "SELECT last_seq FROM qualify_cursor WHERE id = 1") ?? 0
        var plan = QualifyPlan(
            startCursor: cursor, cursor: cursor, segmentIds: Dictionary(uniqueKeysWithValues: segments.map { ($0[1] as String, $0[0] as Int64) }))
        let rows = try Row.fetchAll(
            db, sql: "SELECT seq, contact_id, type, \(SQLiteStore.ruleNameSQL), source, received_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            arguments: [cursor, limit])
        plan.report.more = rows.count == limit
        var order: [Int64] = []
        var work: [Int64: FactChanges] = [:]
        for row in rows {
            plan.cursor = row[0]
            guard let rawId: Int64 = row[1], (row[4] as String) != Self.ownSource else { continue }
            plan.report.events += 1
            plan.report.receivedAt.append(Timestamp(millisecondsSinceEpoch: row[5]))
            let id = try SQLiteStore.survivor(db, of: rawId)
            if work[id] == nil { order.append(id) }
            var changes = work[id] ?? FactChanges(activity: true)
            let type: String = row[2]
            let name: String? = row[3]
            if type == "identify" || type == "group" || name.map(Self.profileEvents.contains) == true { changes.traits = true }
            if let name { changes.eventNames.insert(name) }
            // A stage set through the API or a CRM is also a profile change.
            if name == QualifyEvents.stageChanged { changes.stage = true }
            work[id] = changes
        }
        let due = try Int64.fetchAll(
            db, sql: "SELECT contact_id FROM contact_checks WHERE due_at <= ? ORDER BY due_at LIMIT ?", arguments: [now.millisecondsSinceEpoch, limit])
        plan.report.dueChecks = due.count
        if due.count == limit { plan.report.more = true }
        for id in due {
            if work[id] == nil { order.append(id) }
            work[id] = .everything
        }
        let loader = FactsLoader(db: db, qualifier: qualifier, segmentNames: segmentNames, snapshot: true)
        var colleagues: [Int64] = []
        for id in order {
            let outcome = try planContact(id, changes: work[id]!, loader: loader)
            plan.outcomes.append(outcome)
            if qualifier.catalog.needsColleagues(for: work[id]!), let accountId = outcome.accountId {
                colleagues += try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM contacts WHERE account_id = ? LIMIT 500"), arguments: [accountId])
            }
        }
        // A colleague's event can change an account rule for everyone at the account.
        for id in Set(colleagues).sorted() where work[id] == nil { plan.outcomes.append(try planContact(id, changes: .everything, loader: loader)) }
        plan.report.contacts = order.count
        return plan
    }

    func planContact(_ id: Int64, changes: FactChanges, loader: FactsLoader) throws -> ContactOutcome {
        var outcome = ContactOutcome(contactId: id)
        guard let row = try ContactRow.fetch(db, id: id) else { return outcome }
        outcome.accountId = row.accountId
        var changes = changes
        var events: [NewEvent] = []
        if let scorer = qualifier.scorer {
            let stored = try Row.fetchOne(db.cachedStatement(sql: "SELECT model, state FROM contact_scores WHERE contact_id = ?"), arguments: [id])
            if let stored, (stored[0] as String) == scorer.model.name {
                outcome.state = try ScoreState(json: try JSONValue(jsonText: stored[1]))
            } else {
                // No score under this model yet: score the whole history once.
                outcome.rescored = true
                changes = .everything
            }
            events = try unscored(contactId: id, state: &outcome.state, names: Set(scorer.model.engagement.map(\.event)).union([LeadScorer.adjustmentEvent]))
        }
        var facts = try loader.facts(for: row, at: now, withColleagues: qualifier.catalog.needsColleagues(for: changes))
        outcome.result = qualifier.qualify(&facts, score: &outcome.state, newEvents: events, changes: changes, at: now)
        return outcome
    }

    /// The contact's events after the last one scored, in log order; moves the mark past them.
    func unscored(contactId: Int64, state: inout ScoreState, names: Set<String>) throws -> [NewEvent] {
        let statement = try db.cachedStatement(
            sql: "SELECT seq, \(SQLiteStore.ruleNameSQL), properties, timestamp, source FROM events WHERE contact_id = ? AND seq > ? ORDER BY seq")
        var events: [NewEvent] = []
        for row in try Row.fetchAll(statement, arguments: [contactId, state.lastSeq]) {
            state.lastSeq = max(state.lastSeq, row[0])
            guard let name: String = row[1], names.contains(name), (row[4] as String) != Self.ownSource else { continue }
            let parse = qualifier.filteredEventNames.contains(name) || name == LeadScorer.adjustmentEvent
            let properties = parse ? try JSONValue.column(row[2], "events.properties") : [:]
            let fact = EventFact(timestamp: Timestamp(millisecondsSinceEpoch: row[3]), properties: properties)
            events.append(NewEvent(seq: row[0], name: name, fact: fact))
        }
        return events
    }
}

/// The write half of a pass. A contact that changed after the snapshot (it has newer events) is
/// not written: it is marked due, and the next pass qualifies it from fresh data.
struct QualifyWriter {
    let db: Database
    let plan: QualifyPlan
    let qualifier: Qualifier
    let now: Timestamp

    func apply() throws -> QualifyReport {
        var report = plan.report
        let writer = try IngestWriter(db: db)
        let staleness = try db.cachedStatement(
            sql: """
                SELECT NOT EXISTS (SELECT 1 FROM contacts WHERE id = ?1)
                    OR EXISTS (SELECT 1 FROM events WHERE contact_id = ?1 AND seq > ?2 AND source <> ?3)
                """)
        for outcome in plan.outcomes {
            guard let result = outcome.result else {
                try db.cachedStatement(sql: "DELETE FROM contact_checks WHERE contact_id = ?").execute(arguments: [outcome.contactId])
                continue
            }
            if try Bool.fetchOne(staleness, arguments: [outcome.contactId, plan.cursor, QualifyPlanner.ownSource]) ?? true {
                try db.execute(
                    sql: "INSERT INTO contact_checks (contact_id, due_at) VALUES (?, 0) ON CONFLICT (contact_id) DO UPDATE SET due_at = 0",
                    arguments: [outcome.contactId])
                continue
            }
            try write(result, outcome: outcome, writer: writer, report: &report)
        }
        try db.cachedStatement(sql: "UPDATE qualify_cursor SET last_seq = ? WHERE id = 1").execute(arguments: [plan.cursor])
        return report
    }

    func write(_ result: Qualification, outcome: ContactOutcome, writer: IngestWriter, report: inout QualifyReport) throws {
        let contactId = outcome.contactId
        let at = now.millisecondsSinceEpoch
        for name in result.membership.entered {
            guard let segmentId = plan.segmentIds[name] else { continue }
            try db.cachedStatement(sql: "INSERT INTO segment_members (segment_id, contact_id, entered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                .execute(arguments: [segmentId, contactId, at])
            // A recompute of the segment may have made the move since this pass was planned.
            guard db.changesCount > 0 else { continue }
            try log(QualifyEvents.segmentEntered, contactId: contactId, ["segment": .string(name), "segmentId": .int(segmentId)], writer: writer)
            report.entered += 1
        }
        for name in result.membership.exited {
            guard let segmentId = plan.segmentIds[name] else { continue }
            try db.cachedStatement(sql: "DELETE FROM segment_members WHERE segment_id = ? AND contact_id = ?").execute(arguments: [segmentId, contactId])
            guard db.changesCount > 0 else { continue }
            try log(QualifyEvents.segmentExited, contactId: contactId, ["segment": .string(name), "segmentId": .int(segmentId)], writer: writer)
            report.exited += 1
        }
        if let move = result.stageChange {
            try db.cachedStatement(sql: "UPDATE contacts SET stage = ?, updated_at = ? WHERE id = ?").execute(arguments: [move.to.rawValue, at, contactId])
            try log(
                QualifyEvents.stageChanged, contactId: contactId,
                ["from": move.from.map { .string($0.rawValue) } ?? .null, "to": .string(move.to.rawValue), "cause": "rule", "reason": .string(move.reason)],
                writer: writer)
            report.stageChanges += 1
        }
        if let scorer = qualifier.scorer {
            try writeScore(result, outcome: outcome, scorer: scorer)
            report.scoreChanges += result.scoreChanges.count
        }
        try writeCheck(result, contactId: contactId)
    }

    func writeScore(_ result: Qualification, outcome: ContactOutcome, scorer: LeadScorer) throws {
        let contactId = outcome.contactId
        let at = now.millisecondsSinceEpoch
        if outcome.rescored {
            try db.cachedStatement(sql: "DELETE FROM score_changes WHERE contact_id = ? AND model = ?").execute(arguments: [contactId, scorer.model.name])
        }
        let snapshot = scorer.snapshot(outcome.state, at: now)
        try db.cachedStatement(
            sql: """
                INSERT INTO contact_scores (contact_id, model, fit, engagement, engagement_at, grade, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (contact_id) DO UPDATE SET model = excluded.model, fit = excluded.fit, engagement = excluded.engagement,
                    engagement_at = excluded.engagement_at, grade = excluded.grade, state = excluded.state, updated_at = excluded.updated_at
                """
        ).execute(arguments: [contactId, scorer.model.name, snapshot.fit, snapshot.engagement, at, snapshot.grade.rawValue, outcome.state.json.jsonText, at])
        let insert = try db.cachedStatement(
            sql: "INSERT INTO score_changes (contact_id, model, dimension, rule, points, reason, event_seq, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for change in result.scoreChanges {
            try insert.execute(arguments: [
                contactId, scorer.model.name, change.dimension.rawValue, change.rule, change.points, change.reason, change.eventSeq,
                change.at.millisecondsSinceEpoch,
            ])
        }
    }

    func writeCheck(_ result: Qualification, contactId: Int64) throws {
        if result.membership.complete {
            if let next = result.nextCheck {
                try db.cachedStatement(
                    sql: "INSERT INTO contact_checks (contact_id, due_at) VALUES (?, ?) ON CONFLICT (contact_id) DO UPDATE SET due_at = excluded.due_at"
                ).execute(arguments: [contactId, next.millisecondsSinceEpoch])
            } else {
                try db.cachedStatement(sql: "DELETE FROM contact_checks WHERE contact_id = ?").execute(arguments: [contactId])
            }
        } else if let next = result.nextCheck {
            // Only some segments were evaluated: keep an earlier check that others may need.
            try db.cachedStatement(
                sql: """
                    INSERT INTO contact_checks (contact_id, due_at) VALUES (?, ?)
                    ON CONFLICT (contact_id) DO UPDATE SET
                        due_at = CASE WHEN contact_checks.due_at > ? THEN min(contact_checks.due_at, excluded.due_at) ELSE excluded.due_at END
                    """
            ).execute(arguments: [contactId, next.millisecondsSinceEpoch, now.millisecondsSinceEpoch])
        }
    }

    func log(_ name: String, contactId: Int64, _ properties: [String: JSONValue], writer: IngestWriter) throws {
        var random = SystemRandomNumberGenerator()
        let message = TrackingMessage(
            type: .track, messageId: "q-\(contactId)-\(now.millisecondsSinceEpoch)-\(String(random.next(), radix: 36))", name: name, properties: properties)
        try writer.appendEvent(message, contactId: contactId, source: QualifyPlanner.ownSource, timestamp: now, receivedAt: now)
    }
}

/// Builds a contact's ``ContactFacts`` from the tables: the row, its account, the events rules
/// look at (within the longest window), its memberships, and its colleagues for account rules.
struct FactsLoader {
    let db: Database
    let needs: FactNeeds
    let segmentNames: [Int64: String]
    /// Colleagues' facts already loaded in this pass, when the pass reads one snapshot.
    private let memo: ColleagueMemo?
    private let eventsSQL: String

    /// `snapshot`: every read of this loader sees the same state of the store (a planning pass,
    /// not one that writes as it goes), so a colleague's facts are loaded once per pass: an
    /// account rule otherwise loads every colleague for every contact of the account.
    init(db: Database, needs: FactNeeds, segmentNames: [Int64: String], snapshot: Bool = false) {
        self.db = db
        self.needs = needs
        self.segmentNames = segmentNames
        self.memo = snapshot ? ColleagueMemo() : nil
        eventsSQL = Self.eventsSQL(needs)
    }

    /// Only the events the rules name, and properties only where a rule filters on them: the
    /// same statement for every contact of the pass, prepared once. Parameters: contact, since.
    /// The events rules need, for the contact bound first (from the time bound second): name,
    /// timestamp, and properties when a rule filters on them. `contactIds` instead reads a list
    /// bound as an array (PostgreSQL), with the contact id as the first column.
    static func eventsSQL(_ needs: FactNeeds, contactIds: Bool = false) -> String {
        func list(_ names: Set<String>) -> String {
            names.isEmpty ? "NULL" : names.sorted().map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ", ")
        }
        return """
            SELECT \(contactIds ? "contact_id, " : "")\(SQLiteStore.ruleNameSQL), timestamp,
                CASE WHEN \(SQLiteStore.ruleNameSQL) IN (\(list(needs.filteredEventNames))) THEN properties END
            FROM events WHERE contact_id \(contactIds ? "= ANY(?)" : "= ?") AND type IN ('track', 'page', 'screen') AND timestamp >= ?
                AND \(SQLiteStore.ruleNameSQL) IN (\(list(needs.eventNames)))
            """
    }

    init(db: Database, qualifier: Qualifier, segmentNames: [Int64: String], snapshot: Bool = false) {
        self.init(db: db, needs: qualifier.needs, segmentNames: segmentNames, snapshot: snapshot)
    }

    final class ColleagueMemo {
        var facts: [Int64: ContactFacts] = [:]
    }

    func facts(for row: ContactRow, at now: Timestamp, withColleagues: Bool) throws -> ContactFacts {
        var facts = ContactFacts(contact: row.contact(anonymousIds: []))
        if let accountId = row.accountId {
            facts.account = try account(accountId)
            if withColleagues, needs.accountRules {
                let ids = try Int64.fetchAll(
                    db.cachedStatement(sql: "SELECT id FROM contacts WHERE account_id = ? AND id <> ? ORDER BY id LIMIT 500"), arguments: [accountId, row.id])
                facts.others = try ids.compactMap { id in
                    if let known = memo?.facts[id] { return known }
                    guard let colleague = try ContactRow.fetch(db, id: id) else { return nil }
                    let loaded = try self.facts(for: colleague, at: now, withColleagues: false)
                    memo?.facts[id] = loaded
                    return loaded
                }
            }
        }
        if !needs.eventNames.isEmpty {
            let since = needs.eventWindow.map { now.subtracting($0).millisecondsSinceEpoch } ?? Int64.min
            let statement = try db.cachedStatement(sql: eventsSQL)
            // Read through SQLite's C API: this runs for every contact (and colleague) a pass
            // qualifies, and GRDB's rows cost more than the query.
            let events = DirectStatement(statement)
            defer { events.reset() }
            events.bind(1, row.id)
            events.bind(2, since)
            while try events.step() {
                guard let name = events.text(0), needs.eventNames.contains(name) else { continue }
                let properties = needs.filteredEventNames.contains(name) ? try JSONValue.column(events.text(2), "events.properties") : [:]
                facts.eventsByName[name, default: []].append(EventFact(timestamp: Timestamp(millisecondsSinceEpoch: events.int64(1)), properties: properties))
            }
        }
        if needs.memberships {
            let members = DirectStatement(try db.cachedStatement(sql: "SELECT segment_id FROM segment_members WHERE contact_id = ?"))
            defer { members.reset() }
            members.bind(1, row.id)
            var memberships: Set<String> = []
            while try members.step() {
                if let name = segmentNames[members.int64(0)] { memberships.insert(name) }
            }
            facts.memberships = memberships
        }
        return facts
    }

    func account(_ id: Int64) throws -> Account? {
        let statement = try db.cachedStatement(sql: "SELECT id, group_id, name, traits, created_at, updated_at FROM accounts WHERE id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [id]) else {
            return nil
        }
        return Account(
            id: row[0], groupId: row[1], name: row[2], traits: try JSONValue.column(row[3], "accounts.traits"),
            createdAt: Timestamp(millisecondsSinceEpoch: row[4]), updatedAt: Timestamp(millisecondsSinceEpoch: row[5]))
    }
}
