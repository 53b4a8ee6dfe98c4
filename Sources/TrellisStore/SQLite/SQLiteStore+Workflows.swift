import Foundation
import GRDB
import Synchronization
import TrellisCore

extension SQLiteStore {
    public func saveWorkflow(_ definition: WorkflowDefinition, status: WorkflowStatus, at: Timestamp) async throws -> WorkflowRecord {
        try await pool.write { db in
            let next = (try Int.fetchOne(db.cachedStatement(sql: "SELECT max(version) FROM workflow_versions WHERE name = ?"), arguments: [definition.name]) ?? 0) + 1
            try db.execute(
                sql: "INSERT INTO workflow_versions (name, version, definition, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [definition.name, next, definition.source.jsonText, status.rawValue, at.millisecondsSinceEpoch, at.millisecondsSinceEpoch])
            return WorkflowRecord(name: definition.name, version: next, status: status, definition: definition, createdAt: at, updatedAt: at)
        }
    }

    public func workflowVersions() async throws -> [WorkflowRecord] {
        try await pool.read { db in try Self.workflowRecords(db) }
    }

    static func workflowRecords(_ db: Database) throws -> [WorkflowRecord] {
        try Row.fetchAll(db, sql: "SELECT name, version, definition, status, created_at, updated_at FROM workflow_versions ORDER BY name, version").map { row in
            let definition: WorkflowDefinition
            do {
                definition = try WorkflowDefinition(json: try JSONValue(jsonText: row[2]))
            } catch {
                throw StoreError.corrupt("workflow \(row[0] as String) v\(row[1] as Int): \(error)")
            }
            return WorkflowRecord(
                name: row[0], version: row[1], status: WorkflowStatus(rawValue: row[3]) ?? .draft, definition: definition,
                createdAt: Timestamp(millisecondsSinceEpoch: row[4]), updatedAt: Timestamp(millisecondsSinceEpoch: row[5]))
        }
    }

    public func setWorkflowStatus(name: String, _ status: WorkflowStatus, at: Timestamp) async throws -> WorkflowRecord? {
        try await pool.write { db in
            guard let version = try Int.fetchOne(db.cachedStatement(sql: "SELECT max(version) FROM workflow_versions WHERE name = ?"), arguments: [name]) else { return nil }
            try db.execute(
                sql: "UPDATE workflow_versions SET status = ?, updated_at = ? WHERE name = ? AND version = ?",
                arguments: [status.rawValue, at.millisecondsSinceEpoch, name, version])
            return try Self.workflowRecords(db).first { $0.name == name && $0.version == version }
        }
    }

    public func advanceWorkflows(_ workflows: WorkflowSet, at now: Timestamp, limit: Int) async throws -> WorkflowReport {
        try await advanceWorkflows(workflows, at: now, limit: limit, scanWindow: WorkflowPass.scanWindow)
    }

    func advanceWorkflows(_ workflows: WorkflowSet, at now: Timestamp, limit: Int, scanWindow: Int64) async throws -> WorkflowReport {
        try await pool.write { db in
            var pass = try WorkflowPass(db: db, workflows: workflows, now: now, scanWindow: scanWindow)
            pass.scanned = self.workflowScan.withLock { $0 }
            let report = try pass.run(limit: limit)
            self.workflowScan.withLock { $0 = pass.scanned }
            return report
        }
    }

    public func workflowRuns(contactId: Int64) async throws -> [WorkflowRun] {
        try await pool.read { db in
            let id = try Self.survivor(db, of: contactId)
            return try Row.fetchAll(db, sql: "SELECT \(WorkflowPass.runColumns) FROM workflow_runs WHERE contact_id = ? ORDER BY entered_at, id", arguments: [id])
                .map(WorkflowPass.run(from:))
        }
    }

    public func workflowActions(contactId: Int64) async throws -> [RunAction] {
        try await pool.read { db in
            let id = try Self.survivor(db, of: contactId)
            return try Row.fetchAll(db.cachedStatement(sql: "SELECT kind, at, step, key, detail FROM workflow_actions WHERE contact_id = ? ORDER BY at, key"), arguments: [id]).map { row in
                RunAction(kind: RunAction.Kind(rawValue: row[0]) ?? .update, at: Timestamp(millisecondsSinceEpoch: row[1]), step: row[2], key: row[3], detail: row[4])
            }
        }
    }

    public func workflowStepCounts(name: String) async throws -> [String: [String: Int]] {
        try await pool.read { db in
            var counts: [String: [String: Int]] = [:]
            // Exits are counted by reason (completed, goal, holdout, removed, …).
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT step, CASE kind WHEN 'exit' THEN 'exited: ' || substr(detail, 1, instr(detail || ':', ':') - 1) ELSE kind END AS what, count(*)
                    FROM workflow_actions WHERE workflow = ? GROUP BY step, what
                    """, arguments: [name])
            for row in rows { counts[row[0], default: [:]][row[1]] = row[2] }
            for row in try Row.fetchAll(
                db, sql: "SELECT position, version, count(*) FROM workflow_runs WHERE workflow = ? AND status = 'waiting' GROUP BY position, version", arguments: [name])
            {
                counts["position \(row[0] as Int) (v\(row[1] as Int))", default: [:]]["waiting"] = row[2]
            }
            return counts
        }
    }
}

/// How far past the stored workflow cursor (`cursor`) the log was looked through for `names`
/// without finding any: events up to `through` need not be read again while the cursor stays.
struct WorkflowScanMark: Sendable, Equatable {
    var cursor: Int64
    var names: Set<String>
    var through: Int64
}

/// One engine pass inside a write transaction. Runs, their actions and the cursor commit
/// together: a crash before the commit replays the same steps with the same keys; after it,
/// there is nothing to replay.
struct WorkflowPass {
    let db: Database
    let workflows: WorkflowSet
    let now: Timestamp
    let writer: IngestWriter
    let loader: FactsLoader
    var report = WorkflowReport()
    var runs: [Int64: [WorkflowRun]] = [:]
    var facts: [Int64: ContactFacts] = [:]
    /// Contact rows read this pass, kept for the updates steps make.
    var rows: [Int64: ContactRow] = [:]
    var dirty: Set<String> = []
    /// Names of events that can matter to some workflow: triggers, goals, skip-ahead, awaited events.
    let interesting: Set<String>

    static let runColumns = "id, workflow, version, contact_id, position, status, wake_at, entered_at, variant, executed, finish_reason"
    static let ownSource = "workflow"
    /// Sequence numbers of the log one pass looks through at most.
    static let scanWindow: Int64 = 20_000
    /// How far the stored cursor may trail the log before a pass that found nothing writes it
    /// anyway. A pass follows every ingest commit; one that only moved the cursor was a commit
    /// (an fsync) of its own after each of ingest's. Meanwhile ``scanned`` remembers, in memory,
    /// how far past the cursor the log has been looked through, so no stretch is read twice.
    static let idleCursorLag: Int64 = 5_000
    /// Carried from one pass to the next by the store (nil: nothing known past the cursor).
    var scanned: WorkflowScanMark?
    let scanWindow: Int64

    init(db: Database, workflows: WorkflowSet, now: Timestamp, scanWindow: Int64 = Self.scanWindow) throws {
        self.db = db
        self.scanWindow = scanWindow
        self.workflows = workflows
        self.now = now
        writer = try IngestWriter(db: db)
        let segments = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, name FROM segments"))
        loader = FactsLoader(db: db, needs: workflows.needs, segmentNames: Dictionary(uniqueKeysWithValues: segments.map { ($0[0] as Int64, $0[1] as String) }))
        interesting = workflows.observedEvents
    }

    static func run(from row: Row) -> WorkflowRun {
        var run = WorkflowRun(id: row[0], workflow: row[1], version: row[2], contactId: row[3], enteredAt: Timestamp(millisecondsSinceEpoch: row[7]))
        run.position = row[4]
        run.status = WorkflowRun.Status(rawValue: row[5]) ?? .finished
        run.wakeAt = (row[6] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:))
        run.variant = row[8]
        run.executed = row[9]
        run.finishReason = row[10]
        return run
    }

    mutating func run(limit: Int) throws -> WorkflowReport {
        let stored = try Row.fetchAll(db.cachedStatement(sql: "SELECT name, version, status FROM workflow_versions")).map {
            (name: $0[0] as String, version: $0[1] as Int, status: WorkflowStatus(rawValue: $0[2]) ?? .draft)
        }
        guard WorkflowSet.fingerprint(stored) == workflows.fingerprint else {
            report.staleWorkflows = true
            report.more = true
            return report
        }
        let changesBefore = db.totalChangesCount
        let cursor = try Int64.fetchOne(db.cachedStatement(sql: "SELECT last_seq FROM workflow_cursor WHERE id = 1")) ?? 0
        // Only events workflows can observe are read (form, segment and stage events even with no
        // workflow; see `WorkflowSet.observedEvents`), from a window of the log at a time: this
        // pass holds the store's single writer, and reading every event's row under a flood of
        // page views cost the writer ~7 ms in every 40.
        let head = try Int64.fetchOne(db.cachedStatement(sql: "SELECT coalesce(max(seq), 0) FROM events")) ?? 0
        // Events up to `scanned.through` hold nothing for this set of observed names: they were
        // read by an earlier pass, which found none and left the stored cursor where it was.
        let from = scanned.flatMap { $0.cursor == cursor && $0.names == interesting ? max(cursor, $0.through) : nil } ?? cursor
        let upTo = max(from, min(head, from + scanWindow))
        var rows: [Row] = []
        if !interesting.isEmpty, upTo > from {
            let names = interesting.sorted()
            // NOT INDEXED: the seq range is read by rowid; the rule-name index would read every
            // matching event in the log's history.
            rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT seq, contact_id, \(SQLiteStore.ruleNameSQL), properties, timestamp, source, received_at FROM events NOT INDEXED
                        WHERE seq > ? AND seq <= ? AND \(SQLiteStore.ruleNameSQL) IN (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))
                        ORDER BY seq LIMIT ?
                        """),
                arguments: StatementArguments([from, upTo] + names.map { $0 as any DatabaseValueConvertible } + [limit]))
        }
        // A full page ends at its last event; otherwise the whole window has been looked through.
        let last: Int64 = rows.count == limit ? rows[rows.count - 1][0] : upTo
        report.more = last < head
        for row in rows {
            guard let rawId: Int64 = row[1], let name: String = row[2], (row[5] as String) != Self.ownSource else { continue }
            report.events += 1
            let id = try SQLiteStore.survivor(db, of: rawId)
            let fact = EventFact(timestamp: Timestamp(millisecondsSinceEpoch: row[4]), properties: try JSONValue.column(row[3], "events.properties"))
            try observe(name, fact, contactId: id, receivedAt: Timestamp(millisecondsSinceEpoch: row[6]))
        }
        // Statements a pass runs every time are prepared once per connection: a pass follows every
        // ingest commit, and preparing them again cost more than running them.
        let due = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT \(Self.runColumns) FROM workflow_runs WHERE status = 'waiting' AND wake_at <= ? ORDER BY wake_at LIMIT ?"),
            arguments: [now.millisecondsSinceEpoch, limit])
        if due.count == limit { report.more = true }
        for row in due {
            let stored = Self.run(from: row)
            guard workflows.isRunning(stored.workflow), let engine = workflows.engine(stored.workflow, version: stored.version) else { continue }
            try load(stored.contactId)
            guard let index = runs[stored.contactId]?.firstIndex(where: { $0.id == stored.id }), var current = facts[stored.contactId] else { continue }
            report.dueRuns += 1
            var run = runs[stored.contactId]![index]
            let actions = engine.advance(&run, facts: current, at: now)
            runs[stored.contactId]![index] = run
            dirty.insert(run.id)
            try handle(actions, run: run, facts: &current)
            facts[stored.contactId] = current
        }
        try sweepInactivity(limit: limit)
        try sweepDates()
        try saveRuns()
        // A pass that observed events or changed anything stores the cursor with its changes. One
        // that found nothing leaves it (up to `idleCursorLag` behind) and so commits nothing; it
        // remembers how far it looked.
        if !rows.isEmpty || db.totalChangesCount != changesBefore || last - cursor >= Self.idleCursorLag {
            try db.cachedStatement(sql: "UPDATE workflow_cursor SET last_seq = ? WHERE id = 1").execute(arguments: [last])
            scanned = nil
        } else {
            scanned = WorkflowScanMark(cursor: cursor, names: interesting, through: last)
        }
        return report
    }

    /// `inactive: 60d` triggers: contacts whose last activity became 60 days old since the last
    /// sweep (the first sweep starts the clock: contacts already inactive then are not enrolled).
    mutating func sweepInactivity(limit: Int) throws {
        let triggers = workflows.entryVersions.compactMap { name, version -> (String, RuleDuration)? in
            guard case .inactive(let duration)? = workflows.engine(name, version: version)?.definition.trigger else { return nil }
            return (name, duration)
        }
        guard !triggers.isEmpty else { return }
        let previous = try Int64.fetchOne(db, sql: "SELECT inactivity_swept_at FROM workflow_cursor WHERE id = 1") ?? now.millisecondsSinceEpoch
        var sweptTo = now.millisecondsSinceEpoch
        for (name, duration) in triggers.sorted(by: { $0.0 < $1.0 }) {
            let ids = try Row.fetchAll(
                db, sql: "SELECT id, last_seen FROM contacts WHERE last_seen > ? AND last_seen <= ? ORDER BY last_seen LIMIT ?",
                arguments: [previous - duration.milliseconds, now.millisecondsSinceEpoch - duration.milliseconds, limit])
            if ids.count == limit, let lastSeen: Int64 = ids.last?[1] {
                // More than a pass's worth: go on from there next time.
                sweptTo = min(sweptTo, lastSeen + duration.milliseconds)
                report.more = true
            }
            for row in ids {
                let id: Int64 = row[0]
                try load(id)
                guard var current = facts[id] else { continue }
                if try enter(name, contactId: id, facts: &current) { report.entryReceivedAt.append(now) }
                facts[id] = current
            }
        }
        try db.cachedStatement(sql: "UPDATE workflow_cursor SET inactivity_swept_at = ? WHERE id = 1").execute(arguments: [sweptTo])
    }

    /// `date_trait` triggers: a date trait plus its offset passed since the last sweep. Reading
    /// every contact's trait is a scan, so it runs at most once an hour.
    mutating func sweepDates() throws {
        let triggers = workflows.entryVersions.compactMap { name, version -> (String, String, Int64)? in
            guard case .dateTrait(let trait, let offset)? = workflows.engine(name, version: version)?.definition.trigger else { return nil }
            return (name, trait, offset)
        }
        guard !triggers.isEmpty else { return }
        let hour: Int64 = 3_600_000
        guard let previous = try Int64.fetchOne(db, sql: "SELECT dates_swept_at FROM workflow_cursor WHERE id = 1") else {
            try db.cachedStatement(sql: "UPDATE workflow_cursor SET dates_swept_at = ? WHERE id = 1").execute(arguments: [now.millisecondsSinceEpoch])
            return
        }
        guard now.millisecondsSinceEpoch - previous >= hour else { return }
        for (name, trait, offset) in triggers.sorted(by: { $0.0 < $1.0 }) {
            let path = "$." + trait.split(separator: ".").map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\"" }.joined(separator: ".")
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, traits -> ? FROM contacts WHERE traits -> ? IS NOT NULL"), arguments: [path, path])
            for row in rows {
                guard let text: String = row[1], let value = try? JSONParser.parse(Array(text.utf8)), let date = value.timeValue else { continue }
                let due = date.millisecondsSinceEpoch + offset
                guard due > previous, due <= now.millisecondsSinceEpoch else { continue }
                let id: Int64 = row[0]
                try load(id)
                guard var current = facts[id] else { continue }
                if try enter(name, contactId: id, facts: &current) { report.entryReceivedAt.append(now) }
                facts[id] = current
            }
        }
        try db.cachedStatement(sql: "UPDATE workflow_cursor SET dates_swept_at = ? WHERE id = 1").execute(arguments: [now.millisecondsSinceEpoch])
    }

    /// Loads the contact's facts and runs once per pass.
    mutating func load(_ contactId: Int64) throws {
        guard facts[contactId] == nil else { return }
        guard let row = try ContactRow.fetch(db, id: contactId) else { return }
        rows[contactId] = row
        facts[contactId] = try loader.facts(for: row, at: now, withColleagues: workflows.needs.accountRules)
        runs[contactId] = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT \(Self.runColumns) FROM workflow_runs WHERE contact_id = ? ORDER BY entered_at, id"), arguments: [contactId]
        ).map(Self.run(from:))
    }

    mutating func observe(_ name: String, _ fact: EventFact, contactId: Int64, receivedAt: Timestamp) throws {
        try load(contactId)
        guard var current = facts[contactId] else { return }
        for index in (runs[contactId] ?? []).indices {
            var run = runs[contactId]![index]
            guard run.status != .finished, workflows.isRunning(run.workflow), let engine = workflows.engine(run.workflow, version: run.version) else { continue }
            let actions = engine.observe(&run, event: name, fact, facts: current, at: now)
            guard !actions.isEmpty else { continue }
            runs[contactId]![index] = run
            dirty.insert(run.id)
            try handle(actions, run: run, facts: &current)
        }
        for workflow in workflows.triggered(name: name, properties: fact.properties, at: now) {
            if try enter(workflow, contactId: contactId, facts: &current) { report.entryReceivedAt.append(receivedAt) }
        }
        facts[contactId] = current
    }

    /// Starts a run of the workflow's entry version if the contact may enter.
    mutating func enter(_ workflow: String, contactId: Int64, facts current: inout ContactFacts) throws -> Bool {
        guard let version = workflows.entryVersions[workflow], let engine = workflows.engine(workflow, version: version) else { return false }
        let earlier = (runs[contactId] ?? []).filter { $0.workflow == workflow }
        guard engine.mayEnter(current, earlier: earlier, at: now) else { return false }
        let (run, actions) = engine.start(contactId: contactId, facts: current, at: now)
        guard !earlier.contains(where: { $0.id == run.id }) else { return false }
        runs[contactId, default: []].append(run)
        dirty.insert(run.id)
        report.entered += 1
        try handle(actions, run: run, facts: &current)
        return true
    }

    /// Logs each action under its key; an action whose key is taken was done before (a replay)
    /// and has no effect again.
    mutating func handle(_ actions: [RunAction], run: WorkflowRun, facts current: inout ContactFacts) throws {
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO workflow_actions (key, run_id, contact_id, workflow, step, kind, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (key) DO NOTHING
                """)
        for action in actions {
            try insert.execute(arguments: [
                action.key, run.id, run.contactId, run.workflow, action.step, action.kind.rawValue, action.detail, action.at.millisecondsSinceEpoch,
            ])
            guard db.changesCount > 0 else { continue }
            report.actions += 1
            if action.kind == .send { report.sends += 1 }
            if action.kind == .exit { report.finished += 1 }
            switch action.action {
            case .update(let update)?: try apply(update, contactId: run.contactId, facts: &current, workflow: run.workflow)
            case .enroll(let target)?: _ = try enter(target, contactId: run.contactId, facts: &current)
            case .remove(let target)?: try remove(target, contactId: run.contactId, by: run.workflow)
            default: break
            }
        }
    }

    mutating func apply(_ update: ContactUpdate, contactId: Int64, facts current: inout ContactFacts, workflow: String) throws {
        guard var row = try rows[contactId] ?? ContactRow.fetch(db, id: contactId) else { return }
        var traits = update.traits
        if !update.tags.isEmpty {
            let existing = row.traits["tags"]?.arrayValue ?? []
            traits["tags"] = .array(existing + update.tags.map { JSONValue.string($0) }.filter { !existing.contains($0) })
        }
        row.traits = Traits.merge(row.traits, with: traits)
        let previous = row.stage
        if let stage = update.stage { row.stage = stage }
        try row.save(db, at: now)
        rows[contactId] = row
        current.contact.traits = row.traits
        current.contact.stage = row.stage
        if let points = update.score, points != 0 {
            // Scores belong to the qualify stage: it reads this event like any other, with decay and reasons.
            var random = SystemRandomNumberGenerator()
            let adjustment = TrackingMessage(
                type: .track, messageId: "wf-score-\(contactId)-\(now.millisecondsSinceEpoch)-\(String(random.next(), radix: 36))", name: LeadScorer.adjustmentEvent,
                properties: ["points": .double(points), "reason": .string("Workflow \(workflow)"), "workflow": .string(workflow)])
            try writer.appendEvent(adjustment, contactId: contactId, source: "trellis", timestamp: now, receivedAt: now)
        }
        if previous != row.stage {
            var random = SystemRandomNumberGenerator()
            let change = TrackingMessage(
                type: .track, messageId: "wf-\(contactId)-\(now.millisecondsSinceEpoch)-\(String(random.next(), radix: 36))",
                name: QualifyEvents.stageChanged,
                properties: ["from": previous.map { .string($0.rawValue) } ?? .null, "to": row.stage.map { .string($0.rawValue) } ?? .null, "cause": "workflow",
                    "reason": .string("workflow \(workflow)")])
            // Logged as the qualify stage's own kind of event, so stage-change workflows see it on the next pass.
            try writer.appendEvent(change, contactId: contactId, source: "trellis", timestamp: now, receivedAt: now)
        }
    }

    mutating func remove(_ workflow: String, contactId: Int64, by remover: String) throws {
        for index in (runs[contactId] ?? []).indices where runs[contactId]![index].workflow == workflow && runs[contactId]![index].status != .finished {
            runs[contactId]![index].status = .finished
            runs[contactId]![index].finishReason = "removed"
            runs[contactId]![index].wakeAt = nil
            dirty.insert(runs[contactId]![index].id)
            try db.execute(
                sql: "INSERT INTO workflow_actions (key, run_id, contact_id, workflow, step, kind, detail, at) VALUES (?, ?, ?, ?, '-', 'exit', ?, ?) ON CONFLICT (key) DO NOTHING",
                arguments: ["\(runs[contactId]![index].id)#exit", runs[contactId]![index].id, contactId, workflow, "removed by \(remover)", now.millisecondsSinceEpoch])
        }
    }

    func saveRuns() throws {
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO workflow_runs (id, workflow, version, contact_id, position, status, wake_at, entered_at, variant, executed, finish_reason, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET position = excluded.position, status = excluded.status, wake_at = excluded.wake_at,
                    variant = excluded.variant, executed = excluded.executed, finish_reason = excluded.finish_reason, updated_at = excluded.updated_at
                """)
        for run in runs.values.flatMap({ $0 }) where dirty.contains(run.id) {
            try upsert.execute(arguments: [
                run.id, run.workflow, run.version, run.contactId, run.position, run.status.rawValue, run.wakeAt?.millisecondsSinceEpoch,
                run.enteredAt.millisecondsSinceEpoch, run.variant, run.executed, run.finishReason, now.millisecondsSinceEpoch,
            ])
        }
    }
}
