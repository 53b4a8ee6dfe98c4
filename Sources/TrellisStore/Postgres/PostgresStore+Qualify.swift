import Foundation
import TrellisCore

// The qualify stage on PostgreSQL: the same plan-on-a-snapshot, write-what-changed passes as on
// SQLite (``QualifyPlanner``, ``QualifyWriter``), with the rules and scoring in TrellisCore shared.

extension PostgresStore: QualifyStore {
    public func saveSegment(_ definition: SegmentDefinition, at: Timestamp) async throws -> SegmentRecord {
        try await write { session in
            try await session.execute(
                """
                INSERT INTO segments (name, definition, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)
                ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, version = segments.version + 1, updated_at = excluded.updated_at
                """, [definition.name, definition.source.jsonText, at.millisecondsSinceEpoch, at.millisecondsSinceEpoch])
            return try await Self.segmentRecords(session, where: "name = ?", [definition.name])[0]
        }
    }

    public func segments() async throws -> [SegmentRecord] {
        try await read { session in try await Self.segmentRecords(session, where: "1 = 1", []) }
    }

    public func segment(id: Int64) async throws -> SegmentRecord? {
        try await read { session in try await Self.segmentRecords(session, where: "id = ?", [id]).first }
    }

    public func deleteSegment(id: Int64) async throws -> Bool {
        try await write { session in
            try await session.execute("DELETE FROM segment_members WHERE segment_id = ?", [id])
            return try await session.count("DELETE FROM segments WHERE id = ? RETURNING 1", [id]) > 0
        }
    }

    static func segmentRecords(_ session: PostgresSession, where condition: String, _ arguments: [any PostgresArgument]) async throws -> [SegmentRecord] {
        let rows = try await session.rows(
            """
            SELECT id, definition, version, computed_version, progress_done, progress_total, created_at, updated_at,
                (SELECT count(*) FROM segment_members m WHERE m.segment_id = segments.id)
            FROM segments WHERE \(condition) ORDER BY name
            """, arguments)
        return try rows.map { row in
            let id: Int64 = try row[0]
            let definition: SegmentDefinition
            do {
                definition = try SegmentDefinition(json: try JSONValue(jsonText: try row[1]))
            } catch {
                throw StoreError.corrupt("segment \(id): \(error)")
            }
            return SegmentRecord(
                id: id, definition: definition, version: try row[2], computedVersion: try row[3], progressDone: try row[4], progressTotal: try row[5],
                memberCount: try row[8], createdAt: Timestamp(millisecondsSinceEpoch: try row[6]), updatedAt: Timestamp(millisecondsSinceEpoch: try row[7]))
        }
    }

    public func segmentMembers(segmentId: Int64, afterContactId: Int64?, limit: Int) async throws -> [Contact] {
        try await read { session in
            try await session.rows(
                """
                SELECT \(ContactRow.columns.split(separator: ",").map { "c." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
                FROM segment_members m JOIN contacts c ON c.id = m.contact_id
                WHERE m.segment_id = ? AND m.contact_id > ? ORDER BY m.contact_id LIMIT ?
                """, [segmentId, afterContactId ?? 0, limit]
            ).map { try ContactRow(row: $0).contact(anonymousIds: []) }
        }
    }

    public func memberships(contactId: Int64) async throws -> [(segment: String, since: Timestamp)] {
        try await read { session in
            let id = try await Self.survivor(session, of: contactId)
            return try await session.rows(
                "SELECT s.name, m.entered_at FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE m.contact_id = ? ORDER BY s.name", [id]
            ).map { (segment: try $0[0], since: Timestamp(millisecondsSinceEpoch: try $0[1])) }
        }
    }

    public func saveScoringModel(_ model: ScoringModel, at: Timestamp) async throws {
        try await write { session in
            let previous = try await session.string("SELECT definition FROM scoring_models")
            guard previous != model.source.jsonText else { return }
            try await session.execute("DELETE FROM scoring_models")
            try await session.execute(
                "INSERT INTO scoring_models (name, definition, updated_at) VALUES (?, ?, ?)", [model.name, model.source.jsonText, at.millisecondsSinceEpoch])
            // A changed model scores everyone again from their history: every contact is due for a check.
            try await session.execute("DELETE FROM contact_scores")
            try await session.execute(
                """
                INSERT INTO contact_checks (contact_id, due_at) SELECT id, ? FROM contacts
                ON CONFLICT (contact_id) DO UPDATE SET due_at = least(contact_checks.due_at, excluded.due_at)
                """, [at.millisecondsSinceEpoch])
        }
    }

    public func scoringModel() async throws -> ScoringModel? {
        try await read { session in
            guard let text = try await session.string("SELECT definition FROM scoring_models") else { return nil }
            do {
                return try ScoringModel(json: try JSONValue(jsonText: text))
            } catch {
                throw StoreError.corrupt("scoring model: \(error)")
            }
        }
    }

    public func score(contactId: Int64) async throws -> (state: ScoreState, changes: [ScoreChange])? {
        try await read { session in
            let id = try await Self.survivor(session, of: contactId)
            guard let row = try await session.row("SELECT model, state FROM contact_scores WHERE contact_id = ?", [id]) else { return nil }
            let model: String = try row[0]
            let state = try ScoreState(json: try JSONValue(jsonText: try row[1]))
            let changes = try await session.rows(
                "SELECT dimension, rule, points, reason, at, event_seq FROM score_changes WHERE contact_id = ? AND model = ? ORDER BY id", [id, model]
            ).map { row in
                ScoreChange(
                    dimension: ScoreChange.Dimension(rawValue: try row[0]) ?? .engagement, rule: try row[1], points: try row[2], reason: try row[3],
                    at: Timestamp(millisecondsSinceEpoch: try row[4]), eventSeq: try row[5])
            }
            return (state, changes)
        }
    }

    // MARK: Passes

    public func qualify(with qualifier: Qualifier, at now: Timestamp, limit: Int) async throws -> QualifyReport {
        if qualifier.catalog.segments.isEmpty && qualifier.scorer == nil {
            try await write { session in
                // Only when events came in since: an UPDATE to the same value still writes a row version.
                try await session.execute(
                    """
                    UPDATE qualify_cursor SET last_seq = head.seq FROM (SELECT coalesce(max(seq), 0) AS seq FROM events) AS head
                    WHERE id = 1 AND last_seq <> head.seq
                    """)
            }
            return QualifyReport()
        }
        let plan = try await read { session in try await PostgresQualifyPlanner(session: session, qualifier: qualifier, now: now).plan(limit: limit) }
        if plan.outcomes.isEmpty && plan.cursor == plan.startCursor { return plan.report }
        return try await write { session in
            // Another process may have run the same pass meanwhile: apply only from the cursor it planned from.
            let cursor = try await session.int64("SELECT last_seq FROM qualify_cursor WHERE id = 1") ?? 0
            guard cursor == plan.startCursor else { return QualifyReport() }
            return try await PostgresQualifyWriter(session: session, plan: plan, qualifier: qualifier, now: now).apply()
        }
    }

    public func explain(contactId: Int64, with qualifier: Qualifier, at now: Timestamp) async throws -> [String: RuleOutcome] {
        try await read { session in
            let id = try await Self.survivor(session, of: contactId)
            guard let row = try await ContactRow.fetch(session, id: id) else { return [:] }
            let names = try await Self.segmentNames(session)
            var facts = try await PostgresFactsLoader(session: session, needs: qualifier.needs, segmentNames: names).facts(for: row, at: now, withColleagues: true)
            if let scorer = qualifier.scorer,
                let text = try await session.string("SELECT state FROM contact_scores WHERE contact_id = ? AND model = ?", [id, scorer.model.name])
            {
                facts.scores = scorer.readings(try ScoreState(json: try JSONValue(jsonText: text)), at: now)
            }
            let evaluator = RuleEvaluator()
            var outcomes: [String: RuleOutcome] = [:]
            for segment in qualifier.catalog.segments { outcomes[segment.name] = evaluator.explain(segment.match, for: facts, at: now) }
            return outcomes
        }
    }

    static func segmentNames(_ session: PostgresSession) async throws -> [Int64: String] {
        var names: [Int64: String] = [:]
        for row in try await session.rows("SELECT id, name FROM segments") { names[try row[0]] = try row[1] }
        return names
    }

    // MARK: Whole-list evaluation

    public func recompute(
        segmentId: Int64, with qualifier: Qualifier, at now: Timestamp, progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void
    ) async throws -> RecomputeReport {
        guard let record = try await segment(id: segmentId) else { throw StoreError.notFound("segment \(segmentId)") }
        let scan = try await scan(record.definition.match, scorer: qualifier.scorer, at: now, sampleSize: 0, progress: progress)
        let existing = try await read { session in
            Set(try await session.int64s("SELECT contact_id FROM segment_members WHERE segment_id = ?", [segmentId]))
        }
        let entered = scan.matched.subtracting(existing).sorted()
        let exited = existing.subtracting(scan.matched).sorted()
        var report = RecomputeReport()
        report.contacts = scan.total
        report.members = scan.matched.count
        let at = now.millisecondsSinceEpoch
        let properties: [String: JSONValue] = ["segment": .string(record.definition.name), "segmentId": .int(segmentId), "cause": "recompute"]
        // In chunks, so ingest is never held up behind one huge transaction.
        for (changes, entering) in [(entered, true), (exited, false)] {
            for start in stride(from: 0, to: changes.count, by: 2_000) {
                let slice = Array(changes[start..<min(start + 2_000, changes.count)])
                report = try await write { [report] session in
                    var report = report
                    let writer = PostgresIngestWriter(session: session)
                    var random = SystemRandomNumberGenerator()
                    for id in slice {
                        let moved =
                            entering
                            ? try await session.rows(
                                "INSERT INTO segment_members (segment_id, contact_id, entered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING contact_id",
                                [segmentId, id, at])
                            : try await session.rows("DELETE FROM segment_members WHERE segment_id = ? AND contact_id = ? RETURNING contact_id", [segmentId, id])
                        // A qualify pass or another worker's recompute may have made the same move
                        // since this one read the members: the log gets one entry or exit, not two.
                        guard !moved.isEmpty else { continue }
                        if entering { report.entered += 1 } else { report.exited += 1 }
                        let message = TrackingMessage(
                            type: .track, messageId: "q-\(id)-\(at)-\(String(random.next(), radix: 36))",
                            name: entering ? QualifyEvents.segmentEntered : QualifyEvents.segmentExited, properties: properties)
                        try await writer.appendEvent(message, contactId: id, source: QualifyPlanner.ownSource, timestamp: now, receivedAt: now)
                    }
                    return report
                }
            }
        }
        for start in stride(from: 0, to: scan.checks.count, by: 5_000) {
            let slice = Array(scan.checks[start..<min(start + 5_000, scan.checks.count)])
            try await write(serialized: false) { session in
                for (id, due) in slice {
                    try await session.execute(
                        "INSERT INTO contact_checks (contact_id, due_at) VALUES (?, ?) ON CONFLICT (contact_id) DO UPDATE SET due_at = least(contact_checks.due_at, excluded.due_at)",
                        [id, due.millisecondsSinceEpoch])
                }
            }
        }
        try await write(serialized: false) { session in
            try await session.execute(
                "UPDATE segments SET computed_version = ?, progress_done = ?, progress_total = ? WHERE id = ? AND version = ?",
                [record.version, scan.total, scan.total, segmentId, record.version])
        }
        return report
    }

    public func preview(_ rule: Rule, with qualifier: Qualifier, at now: Timestamp, sampleSize: Int) async throws -> PreviewReport {
        let scan = try await scan(rule, scorer: qualifier.scorer, at: now, sampleSize: sampleSize) { _, _ in }
        return PreviewReport(matching: scan.matched.count, contacts: scan.total, sample: Array(scan.sample.sorted().prefix(sampleSize)))
    }

    /// Evaluates `rule` over every contact, a page of contacts at a time, on one snapshot; whole
    /// accounts are read together when the rule looks at colleagues.
    func scan(
        _ rule: Rule, scorer: LeadScorer?, at now: Timestamp, sampleSize: Int, progress: @escaping @Sendable (Int, Int) -> Void
    ) async throws -> SQLiteStore.ScanResult {
        try await read { session in
            var result = SQLiteStore.ScanResult()
            result.total = Int(try await session.int64("SELECT count(*) FROM contacts") ?? 0)
            let names = try await Self.segmentNames(session)
            let needs = FactNeeds(rules: [rule])
            let loader = PostgresFactsLoader(session: session, needs: needs, segmentNames: names, snapshot: true)
            let evaluator = RuleEvaluator()
            var after: Int64 = 0
            var done = 0
            while true {
                let rows = try await session.rows("SELECT \(ContactRow.columns) FROM contacts WHERE id > ? ORDER BY id LIMIT 1000", [after])
                guard let last = rows.last else { break }
                after = try last[0]
                let contacts = try rows.map(ContactRow.init(row:))
                let page = try await loader.facts(for: contacts, at: now, withColleagues: rule.usesAccountAggregate)
                var scores: [Int64: ScoreState] = [:]
                if let scorer {
                    for stored in try await session.rows(
                        "SELECT contact_id, fit, engagement, engagement_at FROM contact_scores WHERE model = ? AND contact_id = ANY(?)",
                        [scorer.model.name, contacts.map(\.id)])
                    {
                        var state = ScoreState()
                        state.fit = ["stored": try stored[1]]
                        state.engagement = try stored[2]
                        state.engagementAt = (try stored[3] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:))
                        scores[try stored[0]] = state
                    }
                }
                for (contact, loaded) in zip(contacts, page) {
                    var facts = loaded
                    if let scorer, let state = scores[contact.id] { facts.scores = scorer.readings(state, at: now) }
                    let outcome = evaluator.evaluate(rule, for: facts, at: now)
                    if outcome.matched {
                        result.matched.insert(contact.id)
                        if result.sample.count < sampleSize { result.sample.append(contact.id) }
                    }
                    if let next = outcome.nextCheck { result.checks.append((contact.id, next)) }
                }
                done += rows.count
                progress(done, result.total)
            }
            progress(result.total, result.total)
            return result
        }
    }
}

/// ``QualifyPlanner`` on PostgreSQL.
struct PostgresQualifyPlanner {
    let session: PostgresSession
    let qualifier: Qualifier
    let now: Timestamp

    func plan(limit: Int) async throws -> QualifyPlan {
        let segments = try await session.rows("SELECT id, name FROM segments")
        var segmentNames: [Int64: String] = [:]
        var segmentIds: [String: Int64] = [:]
        for row in segments {
            segmentNames[try row[0]] = try row[1]
            segmentIds[try row[1]] = try row[0]
        }
        let cursor = try await session.int64("SELECT last_seq FROM qualify_cursor WHERE id = 1") ?? 0
        var plan = QualifyPlan(startCursor: cursor, cursor: cursor, segmentIds: segmentIds)
        let rows = try await session.rows(
            "SELECT seq, contact_id, type, \(SQLiteStore.ruleNameSQL), source, received_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?", [cursor, limit])
        plan.report.more = rows.count == limit
        var order: [Int64] = []
        var work: [Int64: FactChanges] = [:]
        for row in rows {
            plan.cursor = try row[0]
            guard let rawId: Int64 = try row[1], (try row[4] as String) != QualifyPlanner.ownSource else { continue }
            plan.report.events += 1
            plan.report.receivedAt.append(Timestamp(millisecondsSinceEpoch: try row[5]))
            let id = try await PostgresStore.survivor(session, of: rawId)
            if work[id] == nil { order.append(id) }
            var changes = work[id] ?? FactChanges(activity: true)
            let type: String = try row[2]
            let name: String? = try row[3]
            if type == "identify" || type == "group" || name.map(QualifyPlanner.profileEvents.contains) == true { changes.traits = true }
            if let name { changes.eventNames.insert(name) }
            if name == QualifyEvents.stageChanged { changes.stage = true }
            work[id] = changes
        }
        let due = try await session.int64s(
            "SELECT contact_id FROM contact_checks WHERE due_at <= ? ORDER BY due_at LIMIT ?", [now.millisecondsSinceEpoch, limit])
        plan.report.dueChecks = due.count
        if due.count == limit { plan.report.more = true }
        for id in due {
            if work[id] == nil { order.append(id) }
            work[id] = .everything
        }
        let loader = PostgresFactsLoader(session: session, needs: qualifier.needs, segmentNames: segmentNames, snapshot: true)
        var colleagues: [Int64] = []
        for id in order {
            let outcome = try await planContact(id, changes: work[id]!, loader: loader)
            plan.outcomes.append(outcome)
            if qualifier.catalog.needsColleagues(for: work[id]!), let accountId = outcome.accountId {
                colleagues += try await session.int64s("SELECT id FROM contacts WHERE account_id = ? LIMIT 500", [accountId])
            }
        }
        for id in Set(colleagues).sorted() where work[id] == nil { plan.outcomes.append(try await planContact(id, changes: .everything, loader: loader)) }
        plan.report.contacts = order.count
        return plan
    }

    func planContact(_ id: Int64, changes: FactChanges, loader: PostgresFactsLoader) async throws -> ContactOutcome {
        var outcome = ContactOutcome(contactId: id)
        guard let row = try await ContactRow.fetch(session, id: id) else { return outcome }
        outcome.accountId = row.accountId
        var changes = changes
        var events: [NewEvent] = []
        if let scorer = qualifier.scorer {
            let stored = try await session.row("SELECT model, state FROM contact_scores WHERE contact_id = ?", [id])
            if let stored, (try stored[0] as String) == scorer.model.name {
                outcome.state = try ScoreState(json: try JSONValue(jsonText: try stored[1]))
            } else {
                outcome.rescored = true
                changes = .everything
            }
            events = try await unscored(
                contactId: id, state: &outcome.state, names: Set(scorer.model.engagement.map(\.event)).union([LeadScorer.adjustmentEvent]))
        }
        var facts = try await loader.facts(for: row, at: now, withColleagues: qualifier.catalog.needsColleagues(for: changes))
        outcome.result = qualifier.qualify(&facts, score: &outcome.state, newEvents: events, changes: changes, at: now)
        return outcome
    }

    func unscored(contactId: Int64, state: inout ScoreState, names: Set<String>) async throws -> [NewEvent] {
        var events: [NewEvent] = []
        for row in try await session.rows(
            "SELECT seq, \(SQLiteStore.ruleNameSQL), properties, timestamp, source FROM events WHERE contact_id = ? AND seq > ? ORDER BY seq",
            [contactId, state.lastSeq])
        {
            let seq: Int64 = try row[0]
            state.lastSeq = max(state.lastSeq, seq)
            guard let name: String = try row[1], names.contains(name), (try row[4] as String) != QualifyPlanner.ownSource else { continue }
            let parse = qualifier.filteredEventNames.contains(name) || name == LeadScorer.adjustmentEvent
            let properties = parse ? try JSONValue.column(try row[2], "events.properties") : [:]
            events.append(NewEvent(seq: seq, name: name, fact: EventFact(timestamp: Timestamp(millisecondsSinceEpoch: try row[3]), properties: properties)))
        }
        return events
    }
}

/// ``QualifyWriter`` on PostgreSQL.
struct PostgresQualifyWriter {
    let session: PostgresSession
    let plan: QualifyPlan
    let qualifier: Qualifier
    let now: Timestamp

    func apply() async throws -> QualifyReport {
        var report = plan.report
        let writer = PostgresIngestWriter(session: session)
        for outcome in plan.outcomes {
            guard let result = outcome.result else {
                try await session.execute("DELETE FROM contact_checks WHERE contact_id = ?", [outcome.contactId])
                continue
            }
            let stale: Bool =
                try await session.row(
                    """
                    SELECT NOT EXISTS (SELECT 1 FROM contacts WHERE id = ?1)
                        OR EXISTS (SELECT 1 FROM events WHERE contact_id = ?1 AND seq > ?2 AND source <> ?3)
                    """, [outcome.contactId, plan.cursor, QualifyPlanner.ownSource]
                ).map { try $0[0] } ?? true
            if stale {
                try await session.execute(
                    "INSERT INTO contact_checks (contact_id, due_at) VALUES (?, 0) ON CONFLICT (contact_id) DO UPDATE SET due_at = 0", [outcome.contactId])
                continue
            }
            try await write(result, outcome: outcome, writer: writer, report: &report)
        }
        try await session.execute("UPDATE qualify_cursor SET last_seq = ? WHERE id = 1", [plan.cursor])
        return report
    }

    func write(_ result: Qualification, outcome: ContactOutcome, writer: PostgresIngestWriter, report: inout QualifyReport) async throws {
        let contactId = outcome.contactId
        let at = now.millisecondsSinceEpoch
        for name in result.membership.entered {
            guard let segmentId = plan.segmentIds[name] else { continue }
            let added = try await session.rows(
                "INSERT INTO segment_members (segment_id, contact_id, entered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING contact_id",
                [segmentId, contactId, at])
            // A recompute of the segment may have made the move since this pass was planned.
            guard !added.isEmpty else { continue }
            try await log(QualifyEvents.segmentEntered, contactId: contactId, ["segment": .string(name), "segmentId": .int(segmentId)], writer: writer)
            report.entered += 1
        }
        for name in result.membership.exited {
            guard let segmentId = plan.segmentIds[name] else { continue }
            let removed = try await session.rows("DELETE FROM segment_members WHERE segment_id = ? AND contact_id = ? RETURNING contact_id", [segmentId, contactId])
            guard !removed.isEmpty else { continue }
            try await log(QualifyEvents.segmentExited, contactId: contactId, ["segment": .string(name), "segmentId": .int(segmentId)], writer: writer)
            report.exited += 1
        }
        if let move = result.stageChange {
            try await session.execute("UPDATE contacts SET stage = ?, updated_at = ? WHERE id = ?", [move.to.rawValue, at, contactId])
            try await log(
                QualifyEvents.stageChanged, contactId: contactId,
                ["from": move.from.map { .string($0.rawValue) } ?? .null, "to": .string(move.to.rawValue), "cause": "rule", "reason": .string(move.reason)],
                writer: writer)
            report.stageChanges += 1
        }
        if let scorer = qualifier.scorer {
            try await writeScore(result, outcome: outcome, scorer: scorer)
            report.scoreChanges += result.scoreChanges.count
        }
        try await writeCheck(result, contactId: contactId)
    }

    func writeScore(_ result: Qualification, outcome: ContactOutcome, scorer: LeadScorer) async throws {
        let contactId = outcome.contactId
        let at = now.millisecondsSinceEpoch
        if outcome.rescored {
            try await session.execute("DELETE FROM score_changes WHERE contact_id = ? AND model = ?", [contactId, scorer.model.name])
        }
        let snapshot = scorer.snapshot(outcome.state, at: now)
        try await session.execute(
            """
            INSERT INTO contact_scores (contact_id, model, fit, engagement, engagement_at, grade, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (contact_id) DO UPDATE SET model = excluded.model, fit = excluded.fit, engagement = excluded.engagement,
                engagement_at = excluded.engagement_at, grade = excluded.grade, state = excluded.state, updated_at = excluded.updated_at
            """, [contactId, scorer.model.name, snapshot.fit, snapshot.engagement, at, snapshot.grade.rawValue, outcome.state.json.jsonText, at])
        for change in result.scoreChanges {
            try await session.execute(
                "INSERT INTO score_changes (contact_id, model, dimension, rule, points, reason, event_seq, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    contactId, scorer.model.name, change.dimension.rawValue, change.rule, change.points, change.reason, change.eventSeq,
                    change.at.millisecondsSinceEpoch,
                ])
        }
    }

    func writeCheck(_ result: Qualification, contactId: Int64) async throws {
        if result.membership.complete {
            if let next = result.nextCheck {
                try await session.execute(
                    "INSERT INTO contact_checks (contact_id, due_at) VALUES (?, ?) ON CONFLICT (contact_id) DO UPDATE SET due_at = excluded.due_at",
                    [contactId, next.millisecondsSinceEpoch])
            } else {
                try await session.execute("DELETE FROM contact_checks WHERE contact_id = ?", [contactId])
            }
        } else if let next = result.nextCheck {
            try await session.execute(
                """
                INSERT INTO contact_checks (contact_id, due_at) VALUES (?, ?)
                ON CONFLICT (contact_id) DO UPDATE SET
                    due_at = CASE WHEN contact_checks.due_at > ? THEN least(contact_checks.due_at, excluded.due_at) ELSE excluded.due_at END
                """, [contactId, next.millisecondsSinceEpoch, now.millisecondsSinceEpoch])
        }
    }

    func log(_ name: String, contactId: Int64, _ properties: [String: JSONValue], writer: PostgresIngestWriter) async throws {
        var random = SystemRandomNumberGenerator()
        let message = TrackingMessage(
            type: .track, messageId: "q-\(contactId)-\(now.millisecondsSinceEpoch)-\(String(random.next(), radix: 36))", name: name, properties: properties)
        try await writer.appendEvent(message, contactId: contactId, source: QualifyPlanner.ownSource, timestamp: now, receivedAt: now)
    }
}

/// ``FactsLoader`` on PostgreSQL.
struct PostgresFactsLoader {
    let session: PostgresSession
    let needs: FactNeeds
    let segmentNames: [Int64: String]
    private let memo: FactsLoader.ColleagueMemo?
    private let eventsSQL: String

    init(session: PostgresSession, needs: FactNeeds, segmentNames: [Int64: String], snapshot: Bool = false) {
        self.session = session
        self.needs = needs
        self.segmentNames = segmentNames
        memo = snapshot ? FactsLoader.ColleagueMemo() : nil
        eventsSQL = FactsLoader.eventsSQL(needs, contactIds: true) + " ORDER BY contact_id, seq"
    }

    /// The facts of a page of contacts in a query of each kind for the page, not a few for each
    /// contact (whole-list scans: segment recomputes and previews). Colleagues, which account
    /// rules need, are still read contact by contact.
    func facts(for rows: [ContactRow], at now: Timestamp, withColleagues: Bool) async throws -> [ContactFacts] {
        if withColleagues, needs.accountRules {
            var all: [ContactFacts] = []
            for row in rows { all.append(try await facts(for: row, at: now, withColleagues: true)) }
            return all
        }
        var byId: [Int64: ContactFacts] = [:]
        for row in rows { byId[row.id] = ContactFacts(contact: row.contact(anonymousIds: [])) }
        let ids = rows.map(\.id)
        let accountIds = Array(Set(rows.compactMap(\.accountId))).sorted()
        if !accountIds.isEmpty {
            var accounts: [Int64: Account] = [:]
            for account in try await session.rows(
                "SELECT id, group_id, name, traits, created_at, updated_at FROM accounts WHERE id = ANY(?)", [accountIds])
            {
                accounts[try account[0]] = Account(
                    id: try account[0], groupId: try account[1], name: try account[2], traits: try JSONValue.column(try account[3], "accounts.traits"),
                    createdAt: Timestamp(millisecondsSinceEpoch: try account[4]), updatedAt: Timestamp(millisecondsSinceEpoch: try account[5]))
            }
            for row in rows { if let accountId = row.accountId { byId[row.id]?.account = accounts[accountId] } }
        }
        if !needs.eventNames.isEmpty {
            let since = needs.eventWindow.map { now.subtracting($0).millisecondsSinceEpoch } ?? Int64.min
            for event in try await session.rows(eventsSQL, [ids, since]) {
                guard let name: String = try event[1], needs.eventNames.contains(name) else { continue }
                let properties = needs.filteredEventNames.contains(name) ? try JSONValue.column(try event[3], "events.properties") : [:]
                byId[try event[0]]?.eventsByName[name, default: []].append(EventFact(timestamp: Timestamp(millisecondsSinceEpoch: try event[2]), properties: properties))
            }
        }
        if needs.memberships {
            for row in rows { byId[row.id]?.memberships = [] }
            for member in try await session.rows("SELECT contact_id, segment_id FROM segment_members WHERE contact_id = ANY(?)", [ids]) {
                if let name = segmentNames[try member[1]] { byId[try member[0]]?.memberships.insert(name) }
            }
        }
        return rows.map { byId[$0.id]! }
    }

    /// One contact's facts: the page query for a page of one, then (for account rules) its
    /// colleagues' facts, memoized across a snapshot.
    func facts(for row: ContactRow, at now: Timestamp, withColleagues: Bool) async throws -> ContactFacts {
        var facts = try await self.facts(for: [row], at: now, withColleagues: false)[0]
        guard withColleagues, needs.accountRules, let accountId = row.accountId else { return facts }
        var others: [ContactFacts] = []
        for id in try await session.int64s("SELECT id FROM contacts WHERE account_id = ? AND id <> ? ORDER BY id LIMIT 500", [accountId, row.id]) {
            if let known = memo?.facts[id] {
                others.append(known)
                continue
            }
            guard let colleague = try await ContactRow.fetch(session, id: id) else { continue }
            let loaded = try await self.facts(for: colleague, at: now, withColleagues: false)
            memo?.facts[id] = loaded
            others.append(loaded)
        }
        facts.others = others
        return facts
    }
}
