import Foundation
import GRDB
import Testing
import TrellisCore
@testable import TrellisStore

@Suite struct QualifyStoreTests {
    func segment(_ json: String) throws -> SegmentDefinition {
        try SegmentDefinition(json: try JSONValue(jsonText: json))
    }

    let model = try! ScoringModel(json: try! JSONValue(jsonText: #"""
        {"model":"m","engagement":[{"id":"pricing","event":"Pricing Viewed","points":10,"reason":"Viewed pricing"},
                                   {"id":"webinar","event":"Webinar Attended","points":5,"reason":"Attended a webinar"}]}
        """#))

    func qualifier(_ store: any TestableStore, model: ScoringModel? = nil) async throws -> Qualifier {
        Qualifier(catalog: try SegmentCatalog(try await store.segments().map(\.definition)), model: model)
    }

    @Test(arguments: StoreKind.available) func fullComputationAgreesWithIncrementalQualification(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let definition = try segment(#"{"name":"keen","match":{"all":[{"trait":"plan","eq":"pro"},{"event":"Pricing Viewed","count":{"gte":2},"within":"7d"}]}}"#)
        let record = try await fixture.store.saveSegment(definition, at: fixture.now)
        var messages: [TrackingMessage] = []
        for user in 0..<40 {
            messages.append(identify("i\(user)", user: "u\(user)", traits: ["plan": user % 2 == 0 ? "pro" : "free"]))
            for visit in 0..<(user % 4) {
                messages.append(track("v\(user)-\(visit)", user: "u\(user)", event: "Pricing Viewed", at: fixture.now.adding(days: -visit * 3)))
            }
        }
        try await fixture.ingest(messages)
        let incremental = try await fixture.store.qualify(with: try await qualifier(fixture.store), at: fixture.now, limit: 10_000)
        #expect(incremental.entered > 0)
        let members = Set(try await fixture.store.segmentMembers(segmentId: record.id, afterContactId: nil, limit: 100).map(\.id))
        let recomputed = try await fixture.store.recompute(segmentId: record.id, with: try await qualifier(fixture.store), at: fixture.now) { _, _ in }
        #expect(recomputed.contacts == 40 && recomputed.members == members.count)
        #expect(recomputed.entered == 0 && recomputed.exited == 0)
        // pro (even) users with 2 or 3 visits within 7 days: visits 3 days apart, so users with user % 4 >= 2 (the 2- and 3-visit ones have two inside 7 days).
        let expected: Int = (0..<40).filter { (user: Int) -> Bool in user % 2 == 0 && user % 4 >= 2 }.count
        #expect(members.count == expected)
        let preview = try await fixture.store.preview(definition.match, with: try await qualifier(fixture.store), at: fixture.now, sampleSize: 3)
        #expect(preview.matching == members.count && preview.sample.count == 3)
    }

    /// A recompute reads, for a whole page of contacts at once on PostgreSQL, what a rule can look
    /// at besides traits and events: other segments' members, scores and the account's traits. It
    /// must agree with what incremental qualification decided contact by contact.
    @Test(arguments: StoreKind.available) func aRecomputeReadsMembershipsScoresAndAccounts(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        _ = try await fixture.store.saveSegment(try segment(#"{"name":"keen","match":{"event":"Pricing Viewed"}}"#), at: fixture.now)
        let record = try await fixture.store.saveSegment(
            try segment(
                #"{"name":"keen-fintech","match":{"all":[{"in_segment":"keen"},{"engagement":{"gte":20}},{"trait":"account.industry","eq":"fintech"}]}}"#),
            at: fixture.now)
        try await fixture.store.saveScoringModel(model, at: fixture.now)
        var messages: [TrackingMessage] = []
        for user in 0..<12 {
            let fintech = user % 3 == 0
            messages.append(identify("i\(user)", user: "u\(user)", traits: ["plan": "pro"]))
            messages.append(
                TrackingMessage(
                    type: .group, messageId: "g\(user)", userId: "u\(user)", groupId: fintech ? "acme" : "initech",
                    traits: ["industry": .string(fintech ? "fintech" : "retail")]))
            for visit in 0..<(fintech ? 2 : user % 2) {
                messages.append(track("v\(user)-\(visit)", user: "u\(user)", event: "Pricing Viewed", at: fixture.now.adding(days: -visit)))
            }
        }
        try await fixture.ingest(messages)
        let qualifier = try await qualifier(fixture.store, model: model)
        for _ in 0..<3 { _ = try await fixture.store.qualify(with: qualifier, at: fixture.now, limit: 10_000) }
        let members = Set(try await fixture.store.segmentMembers(segmentId: record.id, afterContactId: nil, limit: 100).map(\.id))
        #expect(members.count == 4)  // users 0, 3, 6, 9: in keen, 20 points, at the fintech account
        let recomputed = try await fixture.store.recompute(segmentId: record.id, with: qualifier, at: fixture.now) { _, _ in }
        #expect(recomputed.contacts == 12 && recomputed.members == 4)
        #expect(recomputed.entered == 0 && recomputed.exited == 0)
        let preview = try await fixture.store.preview(record.definition.match, with: qualifier, at: fixture.now, sampleSize: 10)
        #expect(Set(preview.sample) == members)
    }

    /// Two workers started together both recompute a changed segment (and a qualify pass may move
    /// the same contacts meanwhile): whichever writes a member first logs the entry, once.
    @Test(arguments: StoreKind.available) func concurrentRecomputesLogEachEntryOnce(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let record = try await fixture.store.saveSegment(try segment(#"{"name":"keen","match":{"event":"Pricing Viewed"}}"#), at: fixture.now)
        try await fixture.ingest((0..<300).map { track("v\($0)", user: "u\($0)", event: "Pricing Viewed") })
        let qualifier = try await qualifier(fixture.store)
        let store = fixture.store
        let now = fixture.now
        for round in 1...3 {
            async let first = store.recompute(segmentId: record.id, with: qualifier, at: now) { _, _ in }
            async let second = store.recompute(segmentId: record.id, with: qualifier, at: now) { _, _ in }
            let (one, other) = try await (first, second)
            #expect(one.entered + other.entered == 300, "each entry is reported by the recompute that made it")
            let entries = try await eventCount(store, named: QualifyEvents.segmentEntered)
            #expect(entries == 300 * round, "round \(round): \(entries) Segment Entered events for 300 entries a round")
            #expect(try await store.segmentMembers(segmentId: record.id, afterContactId: nil, limit: 1_000).count == 300)
            // Out again, twice at once: every exit is logged once too.
            _ = try await store.saveSegment(try segment(#"{"name":"keen","match":{"event":"Never Happens"}}"#), at: now)
            async let third = store.recompute(segmentId: record.id, with: qualifier, at: now) { _, _ in }
            async let fourth = store.recompute(segmentId: record.id, with: qualifier, at: now) { _, _ in }
            let (out, again) = try await (third, fourth)
            #expect(out.exited + again.exited == 300)
            #expect(try await eventCount(store, named: QualifyEvents.segmentExited) == 300 * round)
            #expect(try await store.segmentMembers(segmentId: record.id, afterContactId: nil, limit: 1_000).isEmpty)
            _ = try await store.saveSegment(try segment(#"{"name":"keen","match":{"event":"Pricing Viewed"}}"#), at: now)
        }
    }

    func eventCount(_ store: any TestableStore, named name: String) async throws -> Int {
        if let sqlite = store as? SQLiteStore {
            return try await sqlite.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE name = ?", arguments: [name]) ?? 0 }
        }
        let postgres = try #require(store as? PostgresStore)
        return try await postgres.read { session in Int(try await session.int64("SELECT count(*) FROM events WHERE name = ?", [name]) ?? 0) }
    }

    @Test(arguments: StoreKind.available) func aSecondPassFindsNothingToDoAndScoresAreNotCountedTwice(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        try await fixture.ingest([identify("i", user: "u", traits: [:]), track("p1", user: "u", event: "Pricing Viewed")])
        let qualifier = try await qualifier(fixture.store, model: model)
        let first = try await fixture.store.qualify(with: qualifier, at: fixture.now, limit: 100)
        #expect(first.scoreChanges == 1)
        let second = try await fixture.store.qualify(with: qualifier, at: fixture.now, limit: 100)
        #expect(second.events == 0 && second.scoreChanges == 0)
        let id = try #require(try await fixture.store.contacts(ContactQuery(userId: "u")).first?.id)
        #expect(try await fixture.store.score(contactId: id)?.changes.map(\.points) == [10])
    }

    @Test(arguments: StoreKind.available) func aMergedContactIsScoredOnTheCombinedHistory(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let qualifier = try await qualifier(fixture.store, model: model)
        try await fixture.ingest([track("a1", anon: "anon-1", event: "Pricing Viewed")])
        try await fixture.ingest([identify("k1", user: "u1", traits: ["email": "ada@acme.example"]), track("w1", user: "u1", event: "Webinar Attended")])
        _ = try await fixture.store.qualify(with: qualifier, at: fixture.now, limit: 100)
        // The anonymous visitor turns out to be u1.
        try await fixture.ingest([identify("k2", user: "u1", anon: "anon-1", traits: [:])])
        _ = try await fixture.store.qualify(with: qualifier, at: fixture.now, limit: 100)
        let id = try #require(try await fixture.store.contacts(ContactQuery(userId: "u1")).first?.id)
        let score = try #require(try await fixture.store.score(contactId: id))
        #expect(score.changes.map(\.points).sorted() == [5, 10])
        #expect(score.state.engagement == 15)
    }

    @Test(arguments: StoreKind.available) func oneColleaguesEventMovesTheWholeAccountIntoABuyingGroupSegment(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        _ = try await fixture.store.saveSegment(
            try segment(#"{"name":"buying-group","match":{"account":{"contacts":{"gte":3},"match":{"event":"Webinar Attended","within":"7d"}}}}"#),
            at: fixture.now)
        var messages: [TrackingMessage] = []
        for user in 1...3 {
            messages.append(identify("i\(user)", user: "u\(user)", traits: [:]))
            messages.append(TrackingMessage(type: .group, messageId: "g\(user)", userId: "u\(user)", groupId: "acme", traits: ["name": "Acme"]))
        }
        messages += [track("w1", user: "u1", event: "Webinar Attended"), track("w2", user: "u2", event: "Webinar Attended")]
        try await fixture.ingest(messages)
        let qualifier = try await qualifier(fixture.store)
        #expect(try await fixture.store.qualify(with: qualifier, at: fixture.now, limit: 100).entered == 0)
        try await fixture.ingest([track("w3", user: "u3", event: "Webinar Attended")])
        let report = try await fixture.store.qualify(with: qualifier, at: fixture.now, limit: 100)
        #expect(report.entered == 3)
        // A week later the webinar is out of the window for all three.
        let later = try await fixture.store.qualify(with: qualifier, at: fixture.now.adding(days: 8), limit: 100)
        #expect(later.exited == 3)
    }
}

@Suite struct SegmentScanTests {
    @Test func aScanInParallelPartsCountsEveryContactOnce() async throws {
        let fixture = try await StoreFixture()
        let at = fixture.now.millisecondsSinceEpoch
        try await fixture.sqlite.execute(
            sql: """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
                INSERT INTO contacts (id, traits, first_seen, last_seen, created_at, updated_at)
                SELECT i, json_object('size', i % 10), \(at), \(at), \(at), \(at) FROM n;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
                INSERT INTO events (source, message_id, contact_id, type, name, properties, context, timestamp, received_at)
                SELECT 't', 'e' || i, i, 'track', 'Trial Started', '{}', '{}', \(at), \(at) FROM n WHERE i % 3 = 0;
                """)
        let rule = try Rule(json: try JSONValue(jsonText: #"{"all":[{"trait":"size","gte":5},{"event":"Trial Started"}]}"#), path: "match")
        let qualifier = Qualifier(catalog: try SegmentCatalog([]), model: nil)
        let preview = try await fixture.sqlite.preview(rule, with: qualifier, at: fixture.now, sampleSize: 5)
        #expect(preview.contacts == 30000)
        // size ≥ 5 is i % 10 in 5...9; a trial is i % 3 == 0: 3 of every 30 numbers, times 5 of 10.
        #expect(preview.matching == (1...30000).filter { $0 % 10 >= 5 && $0 % 3 == 0 }.count)
        #expect(preview.sample == [6, 9, 15, 18, 27])
    }
}
