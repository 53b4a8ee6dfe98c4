import Foundation
import Testing
import TrellisCore
@testable import TrellisStore

@Suite struct WorkflowStoreTests {
    static func definition(_ steps: String, name: String = "nurture", extra: String = "") throws -> WorkflowDefinition {
        try WorkflowDefinition(json: try JSONValue(jsonText: #"{"workflow":"\#(name)","trigger":{"event":"Ebook Downloaded"}\#(extra),"steps":\#(steps)}"#))
    }

    static let steps = #"[{"send":{"email":"welcome"}},{"wait":"2d"},{"send":{"email":"follow-up"}},{"update":{"stage":"mql","tags":["nurtured"]}}]"#

    func set(_ store: any TestableStore) async throws -> WorkflowSet {
        try WorkflowSet(try await store.workflowVersions().map { WorkflowSet.Version(definition: $0.definition, version: $0.version, status: $0.status) })
    }

    func sends(_ store: any TestableStore, contact: Int64) async throws -> [String] {
        try await store.workflowActions(contactId: contact).filter { $0.kind == .send }.map(\.detail)
    }

    @Test(arguments: StoreKind.available) func anEventEnrollsAndDueStepsRunOnTheVirtualClock(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        _ = try await fixture.store.saveWorkflow(try Self.definition(Self.steps), status: .published, at: fixture.now)
        try await fixture.ingest([identify("i1", user: "u1", traits: ["email": "ada@acme.example"]), track("e1", user: "u1", event: "Ebook Downloaded")])
        let id = try #require(try await fixture.store.contacts(ContactQuery(userId: "u1")).first?.id)
        let workflows = try await set(fixture.store)
        let first = try await fixture.store.advanceWorkflows(workflows, at: fixture.now, limit: 100)
        #expect(first.entered == 1 && first.sends == 1)
        #expect(try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 1), limit: 100).actions == 0)
        let later = try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 2), limit: 100)
        #expect(later.dueRuns == 1 && later.sends == 1 && later.finished == 1)
        #expect(try await sends(fixture.store, contact: id) == ["email welcome", "email follow-up"])
        let contact = try #require(try await fixture.store.contact(id: id))
        #expect(contact.stage == .mql && contact.traits["tags"] == ["nurtured"])
        #expect(try await fixture.store.workflowRuns(contactId: id).map(\.finishReason) == ["completed"])
        // Entry is once: the same event again enrolls no one.
        try await fixture.ingest([track("e2", user: "u1", event: "Ebook Downloaded")])
        #expect(try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 3), limit: 100).entered == 0)
    }

    /// On SQLite a pass reads only the events workflows observe, a window of the log at a time,
    /// and moves its cursor past the rest.
    @Test func aPassLooksThroughTheLogAWindowAtATime() async throws {
        let fixture = try await StoreFixture()
        _ = try await fixture.sqlite.saveWorkflow(try Self.definition(Self.steps), status: .published, at: fixture.now)
        try await fixture.ingest((1...25).map { track("c\($0)", user: "u1", event: "Clicked") } + [track("e1", user: "u1", event: "Ebook Downloaded")])
        let workflows = try await set(fixture.sqlite)
        var passes: [WorkflowReport] = []
        repeat {
            passes.append(try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 100, scanWindow: 10))
        } while passes.last!.more && passes.count < 10
        // 26 events: three windows of 10, the third holds the trigger.
        #expect(passes.map(\.entered) == [0, 0, 1])
        #expect(passes.map(\.events) == [0, 0, 1])
        #expect(try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 100, scanWindow: 10).events == 0)
        // A page of `limit` observed events ends the pass at its last event, not at the window's end.
        try await fixture.ingest((2...4).map { track("e\($0)", user: "u\($0)", event: "Ebook Downloaded") })
        let page = try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 2, scanWindow: 10)
        #expect(page.entered == 2 && page.more)
        #expect(try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 2, scanWindow: 10).entered == 1)
    }

    /// A pass follows every ingest commit. On SQLite one that finds nothing to do commits
    /// nothing (a commit is an fsync), remembers how far it looked, and stores its cursor once
    /// it trails by `idleCursorLag`. Each event is still observed exactly once.
    @Test func aPassThatFindsNothingCommitsNothing() async throws {
        let fixture = try await StoreFixture()
        _ = try await fixture.sqlite.saveWorkflow(try Self.definition(Self.steps), status: .published, at: fixture.now)
        let workflows = try await set(fixture.sqlite)
        _ = try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 100)
        func cursor() async throws -> [String] { try await fixture.sqlite.strings(sql: "SELECT last_seq FROM workflow_cursor") }
        func walBytes() throws -> Int { (try FileManager.default.attributesOfItem(atPath: fixture.sqlite.path + "-wal")[.size] as? Int) ?? 0 }
        let start = try await cursor()
        try await fixture.ingest((1...5).map { track("c\($0)", user: "u1", event: "Clicked") })
        let before = try walBytes()
        let idle = try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 100)
        #expect(idle.events == 0 && !idle.more)
        #expect(try walBytes() == before, "an idle pass wrote to the WAL")
        #expect(try await cursor() == start)
        // The trigger after the idle stretch enrolls once; the cursor moves with the entry.
        try await fixture.ingest([track("e1", user: "u1", event: "Ebook Downloaded")])
        let entry = try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 100)
        #expect(entry.events == 1 && entry.entered == 1)
        let head = try await fixture.sqlite.strings(sql: "SELECT max(seq) FROM events")
        #expect(try await cursor() == head)
        #expect(try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 100).events == 0)
        // A long idle stretch: the cursor is stored once it trails by `idleCursorLag`.
        let lag = Int(WorkflowPass.idleCursorLag)
        try await fixture.ingest((1...lag).map { track("p\($0)", user: "u\($0 % 50)", event: "Clicked") })
        _ = try await fixture.sqlite.advanceWorkflows(workflows, at: fixture.now, limit: 100)
        #expect(try await cursor() == (try await fixture.sqlite.strings(sql: "SELECT max(seq) FROM events")))
        // With no rules the qualify stage moves its cursor the same way: not after every commit.
        let noRules = Qualifier(catalog: try SegmentCatalog([]), model: nil)
        func qualifyCursor() async throws -> [String] { try await fixture.sqlite.strings(sql: "SELECT last_seq FROM qualify_cursor") }
        _ = try await fixture.sqlite.qualify(with: noRules, at: fixture.now, limit: 100)
        let qualified = try await qualifyCursor()
        #expect(qualified == (try await fixture.sqlite.strings(sql: "SELECT max(seq) FROM events")))
        try await fixture.ingest([track("q1", user: "u1", event: "Clicked")])
        let quiet = try walBytes()
        _ = try await fixture.sqlite.qualify(with: noRules, at: fixture.now, limit: 100)
        #expect(try await qualifyCursor() == qualified)
        #expect(try walBytes() == quiet, "a qualify pass with no rules wrote to the WAL")
    }

    /// On PostgreSQL a workflow or qualify pass that finds no new event since its cursor does not
    /// write the cursor row (an UPDATE to the same value is still a new row version): its `xmin`,
    /// the transaction that wrote it, stays the same.
    @Test func aPostgresPassWithNoNewEventWritesNoCursor() async throws {
        guard StoreKind.postgresURL != nil else { return }
        let fixture = try await StoreFixture(.postgres)
        _ = try await fixture.store.saveWorkflow(try Self.definition(Self.steps), status: .published, at: fixture.now)
        let workflows = try await set(fixture.store)
        let noRules = Qualifier(catalog: try SegmentCatalog([]), model: nil)
        func versions() async throws -> [String] {
            try await fixture.store.strings(sql: "SELECT xmin::text FROM workflow_cursor") + (try await fixture.store.strings(sql: "SELECT xmin::text FROM qualify_cursor"))
        }
        func cursors() async throws -> [String] {
            try await fixture.store.strings(sql: "SELECT last_seq::text FROM workflow_cursor") + (try await fixture.store.strings(sql: "SELECT last_seq::text FROM qualify_cursor"))
        }
        try await fixture.ingest([track("c1", user: "u1", event: "Clicked")])
        _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now, limit: 100)
        _ = try await fixture.store.qualify(with: noRules, at: fixture.now, limit: 100)
        let head = try await fixture.store.strings(sql: "SELECT max(seq)::text FROM events")
        #expect(try await cursors() == head + head)
        let written = try await versions()
        for _ in 1...3 {
            _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now, limit: 100)
            _ = try await fixture.store.qualify(with: noRules, at: fixture.now, limit: 100)
        }
        #expect(try await versions() == written, "a pass with nothing new wrote a cursor")
        // New events move both cursors again.
        try await fixture.ingest([track("c2", user: "u1", event: "Clicked")])
        _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now, limit: 100)
        _ = try await fixture.store.qualify(with: noRules, at: fixture.now, limit: 100)
        let moved = try await fixture.store.strings(sql: "SELECT max(seq)::text FROM events")
        #expect(try await cursors() == moved + moved && moved != head)
    }

    @Test(arguments: StoreKind.available) func aReplayedPassSendsNothingTwiceAndSkipsNothing(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        _ = try await fixture.store.saveWorkflow(try Self.definition(Self.steps), status: .published, at: fixture.now)
        try await fixture.ingest((1...20).map { track("e\($0)", user: "u\($0)", event: "Ebook Downloaded") })
        let workflows = try await set(fixture.store)
        _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now, limit: 1000)
        // A crash after the actions were logged but before the runs moved on: put the runs and the
        // cursor back as they were, and run the pass again.
        let savedRuns = try await fixture.store.strings(sql: "SELECT id || '|' || position || '|' || executed || '|' || coalesce(CAST(wake_at AS TEXT), 'NULL') FROM workflow_runs")
        _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 2), limit: 1000)
        for saved in savedRuns {
            let parts = saved.split(separator: "|", omittingEmptySubsequences: false)
            try await fixture.store.execute(
                sql: "UPDATE workflow_runs SET position = \(parts[1]), executed = \(parts[2]), status = 'waiting', wake_at = \(parts[3]), finish_reason = NULL WHERE id = '\(parts[0])'")
        }
        let replay = try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 2), limit: 1000)
        #expect(replay.dueRuns == 20 && replay.actions == 0 && replay.sends == 0)
        let counts = try await fixture.store.strings(sql: "SELECT detail || ':' || count(*) FROM workflow_actions WHERE kind = 'send' GROUP BY detail ORDER BY detail")
        #expect(counts == ["email follow-up:20", "email welcome:20"])
    }

    @Test(arguments: StoreKind.available) func runsStayOnTheVersionTheyStartedOn(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        _ = try await fixture.store.saveWorkflow(try Self.definition(Self.steps), status: .published, at: fixture.now)
        try await fixture.ingest([track("a", user: "early", event: "Ebook Downloaded")])
        _ = try await fixture.store.advanceWorkflows(try await set(fixture.store), at: fixture.now, limit: 100)
        let v2 = #"[{"send":{"email":"welcome-v2"}},{"wait":"2d"},{"send":{"email":"follow-up-v2"}}]"#
        let record = try await fixture.store.saveWorkflow(try Self.definition(v2), status: .published, at: fixture.now)
        #expect(record.version == 2)
        try await fixture.ingest([track("b", user: "late", event: "Ebook Downloaded")])
        let workflows = try await set(fixture.store)
        _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 1), limit: 100)
        _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 3), limit: 100)
        let early = try #require(try await fixture.store.contacts(ContactQuery(userId: "early")).first?.id)
        let late = try #require(try await fixture.store.contacts(ContactQuery(userId: "late")).first?.id)
        #expect(try await sends(fixture.store, contact: early) == ["email welcome", "email follow-up"])
        #expect(try await sends(fixture.store, contact: late) == ["email welcome-v2", "email follow-up-v2"])
        // Paused: no entries and runs hold.
        _ = try await fixture.store.setWorkflowStatus(name: "nurture", .paused, at: fixture.now)
        try await fixture.ingest([track("c", user: "paused", event: "Ebook Downloaded")])
        #expect(try await fixture.store.advanceWorkflows(try await set(fixture.store), at: fixture.now.adding(days: 4), limit: 100).entered == 0)
    }

    @Test(arguments: StoreKind.available) func goalsAndSkipAheadActOnEvents(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let steps = #"[{"send":{"email":"welcome"}},{"wait":"7d"},{"send":{"email":"reminder"}},{"id":"offer","send":{"email":"demo-offer"}}]"#
        let extra = #","exit_when":[{"event":"Demo Booked"}],"on":[{"when":{"event":"Pricing Viewed"},"goto":"offer"}]"#
        _ = try await fixture.store.saveWorkflow(try Self.definition(steps, extra: extra), status: .published, at: fixture.now)
        try await fixture.ingest([track("a1", user: "a", event: "Ebook Downloaded"), track("b1", user: "b", event: "Ebook Downloaded")])
        let workflows = try await set(fixture.store)
        _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now, limit: 100)
        try await fixture.ingest([track("a2", user: "a", event: "Pricing Viewed"), track("b2", user: "b", event: "Demo Booked")])
        _ = try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 1), limit: 100)
        let a = try #require(try await fixture.store.contacts(ContactQuery(userId: "a")).first?.id)
        let b = try #require(try await fixture.store.contacts(ContactQuery(userId: "b")).first?.id)
        #expect(try await sends(fixture.store, contact: a) == ["email welcome", "email demo-offer"])
        #expect(try await sends(fixture.store, contact: b) == ["email welcome"])
        #expect(try await fixture.store.workflowRuns(contactId: b).first?.finishReason == "goal")
        let counts = try await fixture.store.workflowStepCounts(name: "nurture")
        #expect(counts["offer"]?["send"] == 1)
        #expect(counts["trigger"]?["enter"] == 2)
        #expect(counts.values.contains { $0["exited: goal"] == 1 } && counts.values.contains { $0["exited: completed"] == 1 })
    }
}

@Suite struct WorkflowSweepTests {
    func set(_ store: any TestableStore) async throws -> WorkflowSet {
        try WorkflowSet(try await store.workflowVersions().map { WorkflowSet.Version(definition: $0.definition, version: $0.version, status: $0.status) })
    }

    @Test(arguments: StoreKind.available) func inactivityEnrollsContactsAsTheyCrossTheThreshold(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let definition = try WorkflowDefinition(json: try JSONValue(jsonText: #"{"workflow":"quiet","trigger":{"inactive":"30d"},"steps":[{"send":{"email":"miss-you"}}]}"#))
        _ = try await fixture.store.saveWorkflow(definition, status: .published, at: fixture.now)
        try await fixture.ingest([identify("a", user: "a", traits: [:]), identify("b", user: "b", traits: [:]), identify("c", user: "c", traits: [:])])
        let day: Int64 = 86_400_000
        let t0 = fixture.now.millisecondsSinceEpoch
        for (user, lastSeen) in [("a", t0 - 29 * day - day / 2), ("b", t0 - 40 * day), ("c", t0)] {
            try await fixture.store.execute(sql: "UPDATE contacts SET last_seen = \(lastSeen) WHERE user_id = '\(user)'")
        }
        let workflows = try await set(fixture.store)
        #expect(try await fixture.store.advanceWorkflows(workflows, at: fixture.now, limit: 100).entered == 0)
        let later = try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 1), limit: 100)
        #expect(later.entered == 1)
        let a = try #require(try await fixture.store.contacts(ContactQuery(userId: "a")).first?.id)
        #expect(try await fixture.store.workflowRuns(contactId: a).map(\.workflow) == ["quiet"])
        #expect(try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(days: 2), limit: 100).entered == 0)
    }

    @Test(arguments: StoreKind.available) func aDateTraitPlusOffsetEnrollsOnTheDay(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let definition = try WorkflowDefinition(
            json: try JSONValue(jsonText: #"{"workflow":"renewal","trigger":{"date_trait":{"trait":"renewal_date","offset":"-30d"}},"steps":[{"send":{"email":"renewal-soon"}}]}"#))
        _ = try await fixture.store.saveWorkflow(definition, status: .published, at: fixture.now)
        let soon = fixture.now.adding(days: 30).adding(milliseconds: 3_600_000).iso8601
        let far = fixture.now.adding(days: 90).iso8601
        try await fixture.ingest([identify("a", user: "a", traits: ["renewal_date": .string(soon)]), identify("b", user: "b", traits: ["renewal_date": .string(far)])])
        let workflows = try await set(fixture.store)
        #expect(try await fixture.store.advanceWorkflows(workflows, at: fixture.now, limit: 100).entered == 0)
        let report = try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(milliseconds: 2 * 3_600_000), limit: 100)
        #expect(report.entered == 1)
        // Within the hour nothing is scanned again.
        #expect(try await fixture.store.advanceWorkflows(workflows, at: fixture.now.adding(milliseconds: 2 * 3_600_000 + 60_000), limit: 100).entered == 0)
    }
}

@Suite struct WorkflowScoreTests {
    @Test(arguments: StoreKind.available) func anUpdateStepsScoreIsScoredByTheQualifyStageWithItsReason(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let model = try ScoringModel(json: try JSONValue(jsonText: #"{"model":"m","engagement":[{"id":"e","event":"Ebook Downloaded","points":5}]}"#))
        let workflow = try WorkflowDefinition(json: try JSONValue(jsonText: #"{"workflow":"w","trigger":{"event":"Ebook Downloaded"},"steps":[{"update":{"score":10}}]}"#))
        _ = try await fixture.store.saveWorkflow(workflow, status: .published, at: fixture.now)
        try await fixture.ingest([track("e1", user: "u", event: "Ebook Downloaded")])
        let set = try WorkflowSet([WorkflowSet.Version(definition: workflow, version: 1, status: .published)])
        _ = try await fixture.store.advanceWorkflows(set, at: fixture.now, limit: 100)
        _ = try await fixture.store.qualify(with: Qualifier(catalog: try SegmentCatalog([]), model: model), at: fixture.now, limit: 100)
        let id = try #require(try await fixture.store.contacts(ContactQuery(userId: "u")).first?.id)
        let score = try #require(try await fixture.store.score(contactId: id))
        #expect(score.state.engagement == 15)
        #expect(score.changes.map(\.reason).contains("Workflow w"))
    }
}
