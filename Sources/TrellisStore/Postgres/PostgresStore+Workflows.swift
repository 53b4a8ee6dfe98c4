import Foundation
import TrellisCore

extension PostgresStore: WorkflowStore {
    public func saveWorkflow(_ definition: WorkflowDefinition, status: WorkflowStatus, at: Timestamp) async throws -> WorkflowRecord {
        try await write { session in
            let next = Int(try await session.int64("SELECT max(version) FROM workflow_versions WHERE name = ?", [definition.name]) ?? 0) + 1
            try await session.execute(
                "INSERT INTO workflow_versions (name, version, definition, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [definition.name, next, definition.source.jsonText, status.rawValue, at.millisecondsSinceEpoch, at.millisecondsSinceEpoch])
            return WorkflowRecord(name: definition.name, version: next, status: status, definition: definition, createdAt: at, updatedAt: at)
        }
    }

    public func workflowVersions() async throws -> [WorkflowRecord] {
        try await read { session in try await Self.workflowRecords(session) }
    }

    static func workflowRecords(_ session: PostgresSession) async throws -> [WorkflowRecord] {
        try await session.rows("SELECT name, version, definition, status, created_at, updated_at FROM workflow_versions ORDER BY name, version").map { row in
            let name: String = try row[0]
            let version: Int = try row[1]
            let definition: WorkflowDefinition
            do {
                definition = try WorkflowDefinition(json: try JSONValue(jsonText: try row[2]))
            } catch {
                throw StoreError.corrupt("workflow \(name) v\(version): \(error)")
            }
            return WorkflowRecord(
                name: name, version: version, status: WorkflowStatus(rawValue: try row[3]) ?? .draft, definition: definition,
                createdAt: Timestamp(millisecondsSinceEpoch: try row[4]), updatedAt: Timestamp(millisecondsSinceEpoch: try row[5]))
        }
    }

    public func setWorkflowStatus(name: String, _ status: WorkflowStatus, at: Timestamp) async throws -> WorkflowRecord? {
        try await write { session in
            guard let version = try await session.int64("SELECT max(version) FROM workflow_versions WHERE name = ?", [name]) else { return nil }
            try await session.execute(
                "UPDATE workflow_versions SET status = ?, updated_at = ? WHERE name = ? AND version = ?", [status.rawValue, at.millisecondsSinceEpoch, name, version])
            return try await Self.workflowRecords(session).first { $0.name == name && $0.version == Int(version) }
        }
    }

    /// One pass under the write lock: passes of several workers run one after the other, each
    /// from the cursor the previous one left, so no step is taken twice.
    public func advanceWorkflows(_ workflows: WorkflowSet, at now: Timestamp, limit: Int) async throws -> WorkflowReport {
        try await write { session in
            var pass = try await PostgresWorkflowPass(session: session, workflows: workflows, now: now)
            return try await pass.run(limit: limit)
        }
    }

    public func workflowRuns(contactId: Int64) async throws -> [WorkflowRun] {
        try await read { session in
            let id = try await Self.survivor(session, of: contactId)
            return try await session.rows("SELECT \(WorkflowPass.runColumns) FROM workflow_runs WHERE contact_id = ? ORDER BY entered_at, id", [id])
                .map(PostgresWorkflowPass.run(from:))
        }
    }

    public func workflowActions(contactId: Int64) async throws -> [RunAction] {
        try await read { session in
            let id = try await Self.survivor(session, of: contactId)
            return try await session.rows("SELECT kind, at, step, key, detail FROM workflow_actions WHERE contact_id = ? ORDER BY at, key", [id]).map { row in
                RunAction(
                    kind: RunAction.Kind(rawValue: try row[0]) ?? .update, at: Timestamp(millisecondsSinceEpoch: try row[1]), step: try row[2], key: try row[3],
                    detail: try row[4])
            }
        }
    }

    public func workflowStepCounts(name: String) async throws -> [String: [String: Int]] {
        try await read { session in
            var counts: [String: [String: Int]] = [:]
            // Exits are counted by reason (completed, goal, holdout, removed, …).
            for row in try await session.rows(
                """
                SELECT step, CASE kind WHEN 'exit' THEN 'exited: ' || split_part(detail, ':', 1) ELSE kind END AS what, count(*)
                FROM workflow_actions WHERE workflow = ? GROUP BY step, what
                """, [name])
            {
                counts[try row[0], default: [:]][try row[1]] = try row[2]
            }
            for row in try await session.rows(
                "SELECT position, version, count(*) FROM workflow_runs WHERE workflow = ? AND status = 'waiting' GROUP BY position, version", [name])
            {
                counts["position \(try row[0] as Int) (v\(try row[1] as Int))", default: [:]]["waiting"] = try row[2]
            }
            return counts
        }
    }
}

/// ``WorkflowPass`` on PostgreSQL: runs, their actions and the cursor commit together.
struct PostgresWorkflowPass {
    let session: PostgresSession
    let workflows: WorkflowSet
    let now: Timestamp
    let writer: PostgresIngestWriter
    let loader: PostgresFactsLoader
    var report = WorkflowReport()
    var runs: [Int64: [WorkflowRun]] = [:]
    var facts: [Int64: ContactFacts] = [:]
    var rows: [Int64: ContactRow] = [:]
    var dirty: Set<String> = []
    let interesting: Set<String>

    init(session: PostgresSession, workflows: WorkflowSet, now: Timestamp) async throws {
        self.session = session
        self.workflows = workflows
        self.now = now
        writer = PostgresIngestWriter(session: session)
        loader = PostgresFactsLoader(session: session, needs: workflows.needs, segmentNames: try await PostgresStore.segmentNames(session))
        interesting = workflows.observedEvents
    }

    static func run(from row: PostgresResultRow) throws -> WorkflowRun {
        var run = WorkflowRun(
            id: try row[0], workflow: try row[1], version: try row[2], contactId: try row[3], enteredAt: Timestamp(millisecondsSinceEpoch: try row[7]))
        run.position = try row[4]
        run.status = WorkflowRun.Status(rawValue: try row[5]) ?? .finished
        run.wakeAt = (try row[6] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:))
        run.variant = try row[8]
        run.executed = try row[9]
        run.finishReason = try row[10]
        return run
    }

    mutating func run(limit: Int) async throws -> WorkflowReport {
        let stored = try await session.rows("SELECT name, version, status FROM workflow_versions").map {
            (name: try $0[0] as String, version: try $0[1] as Int, status: WorkflowStatus(rawValue: try $0[2]) ?? .draft)
        }
        guard WorkflowSet.fingerprint(stored) == workflows.fingerprint else {
            report.staleWorkflows = true
            report.more = true
            return report
        }
        let cursor = try await session.int64("SELECT last_seq FROM workflow_cursor WHERE id = 1") ?? 0
        // As on SQLite: only events some workflow observes, a window of the log at a time.
        let head = try await session.int64("SELECT coalesce(max(seq), 0) FROM events") ?? 0
        let upTo = max(cursor, min(head, cursor + WorkflowPass.scanWindow))
        var rows: [PostgresResultRow] = []
        if !interesting.isEmpty, upTo > cursor {
            let names = interesting.sorted()
            rows = try await session.rows(
                """
                SELECT seq, contact_id, \(SQLiteStore.ruleNameSQL), properties, timestamp, source, received_at FROM events
                WHERE seq > ? AND seq <= ? AND \(SQLiteStore.ruleNameSQL) IN (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))
                ORDER BY seq LIMIT ?
                """,
                [cursor, upTo] + names.map { $0 as any PostgresArgument } + [limit])
        }
        let last: Int64 = rows.count == limit ? try rows[rows.count - 1][0] : upTo
        report.more = last < head
        for row in rows {
            guard let rawId: Int64 = try row[1], let name: String = try row[2], (try row[5] as String) != WorkflowPass.ownSource else { continue }
            report.events += 1
            let id = try await PostgresStore.survivor(session, of: rawId)
            let fact = EventFact(timestamp: Timestamp(millisecondsSinceEpoch: try row[4]), properties: try JSONValue.column(try row[3], "events.properties"))
            try await observe(name, fact, contactId: id, receivedAt: Timestamp(millisecondsSinceEpoch: try row[6]))
        }
        let due = try await session.rows(
            "SELECT \(WorkflowPass.runColumns) FROM workflow_runs WHERE status = 'waiting' AND wake_at <= ? ORDER BY wake_at LIMIT ?",
            [now.millisecondsSinceEpoch, limit])
        if due.count == limit { report.more = true }
        for row in due {
            let stored = try Self.run(from: row)
            guard workflows.isRunning(stored.workflow), let engine = workflows.engine(stored.workflow, version: stored.version) else { continue }
            try await load(stored.contactId)
            guard let index = runs[stored.contactId]?.firstIndex(where: { $0.id == stored.id }), var current = facts[stored.contactId] else { continue }
            report.dueRuns += 1
            var run = runs[stored.contactId]![index]
            let actions = engine.advance(&run, facts: current, at: now)
            runs[stored.contactId]![index] = run
            dirty.insert(run.id)
            try await handle(actions, run: run, facts: &current)
            facts[stored.contactId] = current
        }
        try await sweepInactivity(limit: limit)
        try await sweepDates()
        try await saveRuns()
        // A pass that looked at no new event leaves the cursor row alone: an UPDATE writes a new
        // row version (and WAL) even when the value is the same, and passes run after every commit.
        if last != cursor {
            try await session.execute("UPDATE workflow_cursor SET last_seq = ? WHERE id = 1", [last])
        }
        return report
    }

    mutating func sweepInactivity(limit: Int) async throws {
        let triggers = workflows.entryVersions.compactMap { name, version -> (String, RuleDuration)? in
            guard case .inactive(let duration)? = workflows.engine(name, version: version)?.definition.trigger else { return nil }
            return (name, duration)
        }
        guard !triggers.isEmpty else { return }
        let previous = try await session.int64("SELECT inactivity_swept_at FROM workflow_cursor WHERE id = 1") ?? now.millisecondsSinceEpoch
        var sweptTo = now.millisecondsSinceEpoch
        for (name, duration) in triggers.sorted(by: { $0.0 < $1.0 }) {
            let ids = try await session.rows(
                "SELECT id, last_seen FROM contacts WHERE last_seen > ? AND last_seen <= ? ORDER BY last_seen LIMIT ?",
                [previous - duration.milliseconds, now.millisecondsSinceEpoch - duration.milliseconds, limit])
            if ids.count == limit, let last = ids.last {
                let lastSeen: Int64 = try last[1]
                sweptTo = min(sweptTo, lastSeen + duration.milliseconds)
                report.more = true
            }
            for row in ids {
                let id: Int64 = try row[0]
                try await load(id)
                guard var current = facts[id] else { continue }
                if try await enter(name, contactId: id, facts: &current) { report.entryReceivedAt.append(now) }
                facts[id] = current
            }
        }
        try await session.execute("UPDATE workflow_cursor SET inactivity_swept_at = ? WHERE id = 1", [sweptTo])
    }

    mutating func sweepDates() async throws {
        let triggers = workflows.entryVersions.compactMap { name, version -> (String, String, Int64)? in
            guard case .dateTrait(let trait, let offset)? = workflows.engine(name, version: version)?.definition.trigger else { return nil }
            return (name, trait, offset)
        }
        guard !triggers.isEmpty else { return }
        let hour: Int64 = 3_600_000
        guard let previous = try await session.int64("SELECT dates_swept_at FROM workflow_cursor WHERE id = 1") else {
            try await session.execute("UPDATE workflow_cursor SET dates_swept_at = ? WHERE id = 1", [now.millisecondsSinceEpoch])
            return
        }
        guard now.millisecondsSinceEpoch - previous >= hour else { return }
        for (name, trait, offset) in triggers.sorted(by: { $0.0 < $1.0 }) {
            // The trait's path as a text array: jsonb's `#>` reads it.
            let path = "{" + trait.split(separator: ".").map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\"" }.joined(separator: ",") + "}"
            let rows = try await session.rows(
                "SELECT id, (traits::jsonb #> ?1::text[])::text FROM contacts WHERE traits::jsonb #> ?1::text[] IS NOT NULL", [path])
            for row in rows {
                guard let text: String = try row[1], let value = try? JSONParser.parse(Array(text.utf8)), let date = value.timeValue else { continue }
                let due = date.millisecondsSinceEpoch + offset
                guard due > previous, due <= now.millisecondsSinceEpoch else { continue }
                let id: Int64 = try row[0]
                try await load(id)
                guard var current = facts[id] else { continue }
                if try await enter(name, contactId: id, facts: &current) { report.entryReceivedAt.append(now) }
                facts[id] = current
            }
        }
        try await session.execute("UPDATE workflow_cursor SET dates_swept_at = ? WHERE id = 1", [now.millisecondsSinceEpoch])
    }

    mutating func load(_ contactId: Int64) async throws {
        guard facts[contactId] == nil else { return }
        guard let row = try await ContactRow.fetch(session, id: contactId) else { return }
        rows[contactId] = row
        facts[contactId] = try await loader.facts(for: row, at: now, withColleagues: workflows.needs.accountRules)
        runs[contactId] = try await session.rows(
            "SELECT \(WorkflowPass.runColumns) FROM workflow_runs WHERE contact_id = ? ORDER BY entered_at, id", [contactId]
        ).map(Self.run(from:))
    }

    mutating func observe(_ name: String, _ fact: EventFact, contactId: Int64, receivedAt: Timestamp) async throws {
        try await load(contactId)
        guard var current = facts[contactId] else { return }
        for index in (runs[contactId] ?? []).indices {
            var run = runs[contactId]![index]
            guard run.status != .finished, workflows.isRunning(run.workflow), let engine = workflows.engine(run.workflow, version: run.version) else { continue }
            let actions = engine.observe(&run, event: name, fact, facts: current, at: now)
            guard !actions.isEmpty else { continue }
            runs[contactId]![index] = run
            dirty.insert(run.id)
            try await handle(actions, run: run, facts: &current)
        }
        for workflow in workflows.triggered(name: name, properties: fact.properties, at: now) {
            if try await enter(workflow, contactId: contactId, facts: &current) { report.entryReceivedAt.append(receivedAt) }
        }
        facts[contactId] = current
    }

    mutating func enter(_ workflow: String, contactId: Int64, facts current: inout ContactFacts) async throws -> Bool {
        guard let version = workflows.entryVersions[workflow], let engine = workflows.engine(workflow, version: version) else { return false }
        let earlier = (runs[contactId] ?? []).filter { $0.workflow == workflow }
        guard engine.mayEnter(current, earlier: earlier, at: now) else { return false }
        let (run, actions) = engine.start(contactId: contactId, facts: current, at: now)
        guard !earlier.contains(where: { $0.id == run.id }) else { return false }
        runs[contactId, default: []].append(run)
        dirty.insert(run.id)
        report.entered += 1
        try await handle(actions, run: run, facts: &current)
        return true
    }

    mutating func handle(_ actions: [RunAction], run: WorkflowRun, facts current: inout ContactFacts) async throws {
        for action in actions {
            let inserted = try await session.count(
                """
                INSERT INTO workflow_actions (key, run_id, contact_id, workflow, step, kind, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (key) DO NOTHING RETURNING 1
                """,
                [action.key, run.id, run.contactId, run.workflow, action.step, action.kind.rawValue, action.detail, action.at.millisecondsSinceEpoch])
            guard inserted > 0 else { continue }
            report.actions += 1
            if action.kind == .send { report.sends += 1 }
            if action.kind == .exit { report.finished += 1 }
            switch action.action {
            case .update(let update)?: try await apply(update, contactId: run.contactId, facts: &current, workflow: run.workflow)
            case .enroll(let target)?: _ = try await enter(target, contactId: run.contactId, facts: &current)
            case .remove(let target)?: try await remove(target, contactId: run.contactId, by: run.workflow)
            default: break
            }
        }
    }

    mutating func apply(_ update: ContactUpdate, contactId: Int64, facts current: inout ContactFacts, workflow: String) async throws {
        var stored = rows[contactId]
        if stored == nil { stored = try await ContactRow.fetch(session, id: contactId) }
        guard var row = stored else { return }
        var traits = update.traits
        if !update.tags.isEmpty {
            let existing = row.traits["tags"]?.arrayValue ?? []
            traits["tags"] = .array(existing + update.tags.map { JSONValue.string($0) }.filter { !existing.contains($0) })
        }
        row.traits = Traits.merge(row.traits, with: traits)
        let previous = row.stage
        if let stage = update.stage { row.stage = stage }
        try await row.save(session, at: now)
        rows[contactId] = row
        current.contact.traits = row.traits
        current.contact.stage = row.stage
        if let points = update.score, points != 0 {
            var random = SystemRandomNumberGenerator()
            let adjustment = TrackingMessage(
                type: .track, messageId: "wf-score-\(contactId)-\(now.millisecondsSinceEpoch)-\(String(random.next(), radix: 36))",
                name: LeadScorer.adjustmentEvent,
                properties: ["points": .double(points), "reason": .string("Workflow \(workflow)"), "workflow": .string(workflow)])
            try await writer.appendEvent(adjustment, contactId: contactId, source: "trellis", timestamp: now, receivedAt: now)
        }
        if previous != row.stage {
            var random = SystemRandomNumberGenerator()
            let change = TrackingMessage(
                type: .track, messageId: "wf-\(contactId)-\(now.millisecondsSinceEpoch)-\(String(random.next(), radix: 36))",
                name: QualifyEvents.stageChanged,
                properties: [
                    "from": previous.map { .string($0.rawValue) } ?? .null, "to": row.stage.map { .string($0.rawValue) } ?? .null, "cause": "workflow",
                    "reason": .string("workflow \(workflow)"),
                ])
            try await writer.appendEvent(change, contactId: contactId, source: "trellis", timestamp: now, receivedAt: now)
        }
    }

    mutating func remove(_ workflow: String, contactId: Int64, by remover: String) async throws {
        for index in (runs[contactId] ?? []).indices where runs[contactId]![index].workflow == workflow && runs[contactId]![index].status != .finished {
            runs[contactId]![index].status = .finished
            runs[contactId]![index].finishReason = "removed"
            runs[contactId]![index].wakeAt = nil
            let run = runs[contactId]![index]
            dirty.insert(run.id)
            try await session.execute(
                """
                INSERT INTO workflow_actions (key, run_id, contact_id, workflow, step, kind, detail, at) VALUES (?, ?, ?, ?, '-', 'exit', ?, ?)
                ON CONFLICT (key) DO NOTHING
                """, ["\(run.id)#exit", run.id, contactId, workflow, "removed by \(remover)", now.millisecondsSinceEpoch])
        }
    }

    func saveRuns() async throws {
        for run in runs.values.flatMap({ $0 }) where dirty.contains(run.id) {
            try await session.execute(
                """
                INSERT INTO workflow_runs (id, workflow, version, contact_id, position, status, wake_at, entered_at, variant, executed, finish_reason, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET position = excluded.position, status = excluded.status, wake_at = excluded.wake_at,
                    variant = excluded.variant, executed = excluded.executed, finish_reason = excluded.finish_reason, updated_at = excluded.updated_at
                """,
                [
                    run.id, run.workflow, run.version, run.contactId, run.position, run.status.rawValue, run.wakeAt?.millisecondsSinceEpoch,
                    run.enteredAt.millisecondsSinceEpoch, run.variant, run.executed, run.finishReason, now.millisecondsSinceEpoch,
                ])
        }
    }
}
