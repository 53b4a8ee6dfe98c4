
import Foundation
import GRDB
import Testing
import TrellisCore
@testable import TrellisStore

@Suite struct IngestTests {
    /// SQLite evaluates the partial indexes' conditions for every event inserted; none may need a
    /// temporary b-tree (the rule-name index's `type IN ('track', 'page', 'screen')` built one, a
    /// pager and a page cache opened and closed for each event). Its queries still use it.
    @Test func anEventInsertOpensNoTemporaryTable() async throws {
        let fixture = try await StoreFixture()
        try await fixture.sqlite.pool.read { db in
            for sql in [IngestWriter.insertSQL, IngestWriter.insertNewSQL] {
                let program = try Row.fetchAll(db, sql: "EXPLAIN " + sql, arguments: StatementArguments(Array(repeating: nil as String?, count: 15)))
                let opcodes = program.map { $0[1] as String }
                #expect(opcodes.contains("Insert") && !opcodes.contains("OpenEphemeral"), "\(sql)")
            }
            let plan = try Row.fetchAll(
                db,
                sql: """
                    EXPLAIN QUERY PLAN SELECT contact_id, timestamp FROM events
                    WHERE \(SQLiteStore.ruleNameSQL) = ? AND type IN ('track', 'page', 'screen') AND timestamp >= ?
                    """, arguments: ["Ebook Downloaded", 0]
            ).map { $0[3] as String }
            #expect(plan.contains { $0.contains("USING INDEX events_rule_name_time") }, "\(plan)")
        }
    }

    @Test(arguments: StoreKind.available) func aRetriedBatchStoresNothingTwice(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let batch = [track("m1", user: "u1"), track("m2", user: "u1"), track("m1", user: "u1")]
        let first = try await fixture.ingest(batch)
        #expect(first.stored == 2)
        #expect(first.duplicates == 1)
        let retry = try await fixture.ingest(batch)
        #expect(retry.stored == 0)
        #expect(retry.duplicates == 3)
        #expect(try await fixture.store.eventCount() == 2)
    }

    /// A batch whose later message is already stored, after new messages whose effects were
    /// applied: the new ones are kept once, the stored one neither doubles nor applies again.
    @Test(arguments: StoreKind.available) func aBatchMeetingAStoredMessageKeepsItsNewOnesOnce(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        try await fixture.ingest([identify("old", user: "u1", traits: ["plan": "free"])])
        try await fixture.ingest([identify("newer", user: "u1", traits: ["plan": "pro"])])
        let mixed = try await fixture.ingest([
            identify("fresh-1", user: "u2", traits: ["email": "grace@acme.example"]),
            track("fresh-2", user: "u2"),
            identify("old", user: "u1", traits: ["plan": "free"]),  // a retry of the first call
            track("fresh-3", user: "u3"),
            track("fresh-3", user: "u3"),
        ])
        #expect(mixed.stored == 3)
        #expect(mixed.duplicates == 2)
        #expect(mixed.contactIds[2] == nil && mixed.contactIds[4] == nil)
        #expect(try await fixture.store.eventCount() == 5)
        let u1 = try await fixture.ingest([track("after", user: "u1")]).contactIds[0]
        let u1Id = try #require(u1)
        let contact = try #require(try await fixture.store.contact(id: u1Id))
        #expect(contact.traits["plan"] == "pro", "the retried identify was applied again")
        let u2 = try #require(mixed.contactIds[0])
        #expect(mixed.contactIds[1] == u2)
        #expect(try await fixture.store.contact(id: u2)?.email == "grace@acme.example")
        #expect(try await fixture.store.timeline(contactId: u2, before: nil, limit: 10).count == 2)
    }

    /// The writer's hot path (behaviour from a known contact) lets the insert find duplicates; a
    /// retry that arrives an hour later, from a device whose clock moved, must still change
    /// nothing: not the log, not the contact's last seen, not the counts.
    @Test(arguments: StoreKind.available) func aLateRetryOfBehaviourChangesNothing(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let contactId = try #require(try await fixture.ingest([track("seen", user: "u1")]).contactIds[0])
        try await fixture.ingest([track("t1", user: "u1"), track("t2", anon: "a9")])
        let before = try #require(try await fixture.store.contact(id: contactId))
        let hourLater = fixture.now.adding(milliseconds: 3_600_000)
        var retry = track("t1", user: "u1", at: hourLater)
        retry.sentAt = hourLater
        let outcome = try await fixture.ingest([retry, track("t2", anon: "a9", at: hourLater), track("t3", user: "u2")], at: hourLater)
        #expect(outcome.stored == 1)
        #expect(outcome.duplicates == 2)
        #expect(outcome.contactIds[0] == nil && outcome.contactIds[1] == nil)
        #expect(outcome.contactIds[2] != nil && outcome.contactIds[2] != contactId)
        #expect(try await fixture.store.eventCount() == 4)
        let after = try #require(try await fixture.store.contact(id: contactId))
        #expect(after.lastSeen == before.lastSeen, "the duplicate moved last seen")
        let anonymous = try #require(try await fixture.store.contacts(ContactQuery()).first { $0.anonymousIds == ["a9"] })
        #expect(anonymous.lastSeen == fixture.now)
    }

    @Test(arguments: StoreKind.available) func messageIdsAreUniquePerSource(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        try await fixture.ingest([track("m1", user: "u1")], source: "web")
        let other = try await fixture.ingest([track("m1", user: "u1")], source: "ios")
        #expect(other.stored == 1)
    }

    @Test(arguments: StoreKind.available) func anonymousHistoryFollowsThePersonOnIdentify(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        try await fixture.ingest([track("p1", anon: "a1", event: "Page Viewed"), track("p2", anon: "a1", event: "Pricing Viewed")])
        let known = try await fixture.ingest([identify("i0", user: "u1", traits: ["plan": "free"])])
        let merged = try await fixture.ingest([identify("i1", user: "u1", anon: "a1", traits: ["email": "Ada@Acme.example", "firstName": "Ada"])])
        #expect(merged.contactIds == known.contactIds)
        let contactId = try #require(known.contactIds[0])
        let contact = try #require(try await fixture.store.contact(id: contactId))
        #expect(contact.userId == "u1")
        #expect(contact.anonymousIds == ["a1"])
        #expect(contact.email == "Ada@Acme.example")
        #expect(contact.traits["plan"] == "free")
        let timeline = try await fixture.store.timeline(contactId: contactId, before: nil, limit: 50)
        #expect(Set(timeline.compactMap(\.name)).isSuperset(of: ["Page Viewed", "Pricing Viewed", "Contacts Merged"]))
        #expect(try await fixture.store.contacts(ContactQuery()).count == 1)
    }

    @Test(arguments: StoreKind.available) func theAbsorbedIdStillAnswers(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let anonymous = try #require(try await fixture.ingest([track("p1", anon: "a1")]).contactIds[0])
        let person = try #require(try await fixture.ingest([identify("i0", user: "u1", traits: [:])]).contactIds[0])
        try await fixture.ingest([identify("i1", user: "u1", anon: "a1", traits: [:])])
        #expect(try await fixture.store.contact(id: anonymous)?.id == person)
    }

    /// One batch that creates, links and merges identities and then uses them: each message sees
    /// what the ones before it did (the PostgreSQL writer reads a batch's identities once and keeps
    /// them current), and first and last seen span the batch's timestamps.
    @Test(arguments: StoreKind.available) func aBatchSeesItsOwnLinksAndMerges(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let early = fixture.now.adding(milliseconds: -3_600_000)
        let late = fixture.now.adding(milliseconds: -60_000)
        let outcome = try await fixture.ingest([
            track("p1", anon: "a1", at: early.adding(milliseconds: 600_000)),
            track("p2", anon: "a1", at: early),
            identify("i0", user: "u1", traits: ["plan": "free"]),
            track("p3", user: "u1"),
            identify("i1", user: "u1", anon: "a1", traits: [:]),
            track("p4", anon: "a1"),
            track("p5", user: "u1", at: late),
            track("p6", user: "u2", anon: "a1"),
        ])
        let ids = outcome.contactIds.map { try! #require($0) }
        let anonymous = ids[0], person = ids[2], other = ids[7]
        #expect(anonymous != person)
        // u2 on a1's browser is someone else: a1 stays with u1.
        #expect(other != person && other != anonymous)
        #expect(ids == [anonymous, anonymous, person, person, person, person, person, other])
        let contact = try #require(try await fixture.store.contact(id: person))
        #expect(contact.userId == "u1")
        #expect(contact.firstSeen == early)
        #expect(contact.lastSeen >= late)
        #expect(try await fixture.store.contacts(ContactQuery()).count == 2)
        #expect(try await fixture.store.contact(id: anonymous)?.id == person)
        let names = try await fixture.store.timeline(contactId: person, before: nil, limit: 50).compactMap(\.name)
        #expect(names.filter { $0 == "Clicked" }.count == 5)
        // The next batch starts from what this one stored.
        let next = try await fixture.ingest([track("p7", anon: "a1"), track("p8", user: "u2")])
        #expect(next.contactIds == [person, other])
    }

    @Test(arguments: StoreKind.available) func aMergedIdCanBeUpdatedAndDeleted(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let anonymous = try #require(try await fixture.ingest([track("p1", anon: "a1")]).contactIds[0])
        let person = try #require(try await fixture.ingest([identify("i0", user: "u1", traits: [:])]).contactIds[0])
        try await fixture.ingest([identify("i1", user: "u1", anon: "a1", traits: [:])])
        let updated = try await fixture.store.updateContact(id: anonymous, ContactPatch(owner: .some("rep")), at: fixture.now, actor: "test")
        #expect(updated.id == person)
        #expect(updated.owner == "rep")
        #expect(try await fixture.store.deleteContact(id: anonymous))
        #expect(try await fixture.store.contact(id: person) == nil)
    }

    @Test(arguments: StoreKind.available) func emailIsUniqueIgnoringCase(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let first = try await fixture.ingest([identify("i1", anon: "a1", traits: ["email": "ada@acme.example"])])
        let second = try await fixture.ingest([identify("i2", anon: "a2", traits: ["email": "ADA@ACME.EXAMPLE"])])
        // The second visitor with the same address is the same person: folded into the first.
        #expect(second.contactIds == first.contactIds)
        #expect(try await fixture.store.contacts(ContactQuery(email: "Ada@acme.example")).count == 1)
    }

    @Test(arguments: StoreKind.available) func anotherUsersEmailIsNotTaken(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        try await fixture.ingest([identify("i1", user: "u1", traits: ["email": "ada@acme.example"])])
        let other = try #require(try await fixture.ingest([identify("i2", user: "u2", traits: ["email": "ada@acme.example"])]).contactIds[0])
        #expect(try await fixture.store.contact(id: other)?.email == nil)
        #expect(try await fixture.store.contacts(ContactQuery()).count == 2)
    }

    @Test(arguments: StoreKind.available) func aliasFoldsThePreviousId(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let old = try #require(try await fixture.ingest([track("t1", user: "temp-42")]).contactIds[0])
        let person = try #require(try await fixture.ingest([identify("i1", user: "u-final", traits: ["email": "z@z.example"])]).contactIds[0])
        try await fixture.ingest([TrackingMessage(type: .alias, messageId: "al1", userId: "u-final", previousId: "temp-42")])
        #expect(try await fixture.store.contact(id: old)?.id == person)
        // Calls that still use the old id land on the person.
        let later = try await fixture.ingest([track("t2", user: "temp-42")])
        #expect(later.contactIds[0] == person)
    }

    @Test(arguments: StoreKind.available) func groupCreatesAndLinksAnAccount(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let contactId = try #require(try await fixture.ingest([
            TrackingMessage(type: .group, messageId: "g1", userId: "u1", groupId: "acme", traits: ["name": "Acme", "employees": 120])
        ]).contactIds[0])
        let contact = try #require(try await fixture.store.contact(id: contactId))
        let accountId = try #require(contact.accountId)
        let account = try #require(try await fixture.store.account(id: accountId))
        #expect(account.name == "Acme")
        #expect(account.traits["employees"] == 120)
        try await fixture.ingest([TrackingMessage(type: .group, messageId: "g2", userId: "u2", groupId: "acme", traits: ["plan": "pro"])])
        #expect(try await fixture.store.contacts(accountId: accountId, limit: 10).count == 2)
        #expect(try await fixture.store.account(id: accountId)?.traits == ["name": "Acme", "employees": 120, "plan": "pro"])
    }

    @Test(arguments: StoreKind.available) func traitsMergeAndNullRemoves(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let id = try #require(try await fixture.ingest([identify("i1", user: "u1", traits: ["a": 1, "b": 2])]).contactIds[0])
        try await fixture.ingest([identify("i2", user: "u1", traits: ["b": nil, "c": 3])])
        #expect(try await fixture.store.contact(id: id)?.traits == ["a": 1, "c": 3])
    }

    @Test(arguments: StoreKind.available) func stageTraitSetsTheStageAndLogsTheChange(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let id = try #require(try await fixture.ingest([identify("i1", user: "u1", traits: ["lifecycle_stage": "Marketing Qualified Lead"])]).contactIds[0])
        #expect(try await fixture.store.contact(id: id)?.stage == .mql)
        let names = try await fixture.store.timeline(contactId: id, before: nil, limit: 10).compactMap(\.name)
        #expect(names.contains("Lifecycle Stage Changed"))
    }

    @Test(arguments: StoreKind.available) func clockSkewIsCorrectedWhenStored(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        var message = track("t1", user: "u1", at: fixture.now.adding(milliseconds: 3_600_000))  // device an hour fast
        message.sentAt = fixture.now.adding(milliseconds: 3_600_000 + 5_000)
        let id = try #require(try await fixture.ingest([message]).contactIds[0])
        let event = try #require(try await fixture.store.timeline(contactId: id, before: nil, limit: 1).first)
        #expect(event.timestamp == fixture.now.adding(milliseconds: -5_000))
        #expect(event.receivedAt == fixture.now)
        #expect(event.originalTimestamp == fixture.now.adding(milliseconds: 3_600_000))
    }

    @Test(arguments: StoreKind.available) func consentEvidenceIsKept(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let record = ConsentRecord(
            status: .granted, basis: .express, method: .formCheckbox, text: "Email me", textVersion: "v2", location: "form:ebook",
            ipAddress: "203.0.113.9", userAgent: "UA", recordedAt: fixture.now)
        let outcome = try await fixture.store.ingest([
            IngestBatch(source: "forms", receivedAt: fixture.now, messages: [IngestMessage(identify("i1", anon: "a1", traits: ["email": "c@d.example"]), consent: record)])
        ])[0]
        let id = try #require(outcome.contactIds[0])
        let stored = try await fixture.store.consentRecords(contactId: id)
        #expect(stored.count == 1)
        #expect(stored[0].text == "Email me")
        #expect(stored[0].textVersion == "v2")
        #expect(stored[0].ipAddress == "203.0.113.9")
        #expect(try await fixture.store.contact(id: id)?.consent.allowsEmail(at: fixture.now) == true)
    }

    @Test(arguments: StoreKind.available) func timelineIsNewestFirstWithACursor(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let id = try #require(try await fixture.ingest((1...5).map { track("t\($0)", user: "u1", event: "E\($0)") }).contactIds[0])
        let page = try await fixture.store.timeline(contactId: id, before: nil, limit: 2)
        #expect(page.map(\.name) == ["E5", "E4"])
        let next = try await fixture.store.timeline(contactId: id, before: page.last?.seq, limit: 10)
        #expect(next.map(\.name) == ["E3", "E2", "E1"])
    }

    @Test(arguments: StoreKind.available) func patchAndDelete(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let id = try #require(try await fixture.ingest([identify("i1", user: "u1", traits: ["email": "e@f.example"])]).contactIds[0])
        let updated = try await fixture.store.updateContact(id: id, ContactPatch(traits: ["title": "CTO"], stage: .some(.sql), owner: .some("rep@acme")), at: fixture.now, actor: "test")
        #expect(updated.stage == .sql)
        #expect(updated.owner == "rep@acme")
        #expect(updated.traits["title"] == "CTO")
        try await fixture.ingest([identify("i2", user: "u2", traits: ["email": "g@h.example"])])
        await #expect(throws: StoreError.self) {
            try await fixture.store.updateContact(id: id, ContactPatch(email: .some("G@h.example")), at: fixture.now, actor: "test")
        }
        #expect(try await fixture.store.deleteContact(id: id))
        #expect(try await fixture.store.contact(id: id) == nil)
        #expect(try await fixture.store.timeline(contactId: id, before: nil, limit: 10).isEmpty)
        #expect(try await fixture.store.deleteContact(id: id) == false)
    }

    @Test(arguments: StoreKind.available) func theEventLogRefusesEdits(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        try await fixture.ingest([track("t1", user: "u1")])
        await #expect(throws: (any Error).self) {
            try await fixture.store.execute(sql: "UPDATE events SET name = 'forged'")
        }
    }

    @Test func committedDataSurvivesReopening() async throws {
        let fixture = try await StoreFixture()
        try await fixture.ingest((1...50).map { track("t\($0)", user: "u\($0 % 7)") })
        let path = fixture.sqlite.path
        let reopened = try SQLiteStore(path: path)
        try await reopened.migrate()
        #expect(try await reopened.eventCount() == 50)
        #expect(try await reopened.integrityCheck() == "ok")
    }

    @Test(arguments: StoreKind.available) func groupCommitterSharesTransactionsAndIsolatesFailures(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let committer = GroupCommitter(store: fixture.store)
        try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
            for index in 0..<64 {
                group.addTask {
                    try await committer.submit(IngestBatch(source: "s", receivedAt: fixture.now, messages: [IngestMessage(track("m\(index)", user: "u\(index % 5)"))]))
                }
            }
            for try await outcome in group { #expect(outcome.stored == 1) }
        }
        #expect(try await fixture.store.eventCount() == 64)
        #expect(await committer.commits <= 64)
        #expect(await committer.committedBatches == 64)
    }

    @Test(arguments: StoreKind.available) func apiKeysAreStoredHashed(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let (key, record) = try await APIKeys.create(in: fixture.store, name: "n", role: .write, at: fixture.now)
        #expect(key.hasPrefix("trk_"))
        #expect(key.count == 47)
        #expect(record.hash != key)
        #expect(try await fixture.store.apiKey(hash: APIKeys.hash(key))?.role == .write)
        let everything = try await fixture.store.strings(sql: "SELECT key_hash || prefix || name || id FROM api_keys")
        #expect(!everything.joined().contains(key))
    }
}

/// An acknowledged batch must survive a crash of the machine: the writer fsyncs the WAL at
/// every commit (`synchronous = FULL`), whatever the pool set up when it turned WAL on.
@Suite struct SQLiteDurabilityTests {
    func writerSetting(durable: Bool) async throws -> Int? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("s.db").path, durable: durable)
        try await store.migrate()
        return try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
    }

    @Test func theWriterSyncsEveryCommit() async throws {
        #expect(try await writerSetting(durable: true) == 2, "synchronous must be FULL (2) on the writer")
        #expect(try await writerSetting(durable: false) == 0, "a throwaway store skips the sync (OFF)")
    }
}

@Suite struct WALTests {
    /// After each checkpoint round the WAL is reused from its start instead of growing with every
    /// batch. (That a round also succeeds *under concurrent ingest*, which passive checkpoints
    /// alone did not, is seen with `trellis bench`: the WAL file stays under ~130 MiB; see
    /// docs/performance.md. A unit test cannot interleave the writer deterministically.)
    @Test func checkpointRoundsKeepTheWALBounded() async throws {
        let fixture = try await StoreFixture()
        func round(_ number: Int) async throws -> Int {
            for batch in 0..<20 {
                let messages = (0..<200).map { index in track("r\(number)-b\(batch)-m\(index)", user: "user-\((batch * 200 + index) % 997)") }
                try await fixture.ingest(messages)
            }
            await fixture.sqlite.checkpointNow()
            try await fixture.ingest([track("after-\(number)", user: "user-1")])  // starts the WAL over
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.sqlite.path + "-wal")
            return (attributes[.size] as? Int) ?? 0
        }
        let first = try await round(1)
        let second = try await round(2)
        let third = try await round(3)
        #expect(first > 0)
        #expect(second <= first + first / 4, "the WAL grew from \(first) to \(second) bytes")
        #expect(third <= first + first / 4, "the WAL grew from \(first) to \(third) bytes")
        #expect(try await fixture.store.eventCount() == 3 * 4000 + 3)
        #expect(try await fixture.sqlite.integrityCheck() == "ok")
    }

    /// Closing the store while a checkpoint round runs: the round's later steps find the
    /// checkpoint connection closed and stop. (They ran on the closed connection, a NULL SQLite
    /// handle: `trellis bench writer` crashed at exit in about one run of two.)
    @Test func closingTheStoreDuringARoundIsSafe() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-close-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for attempt in 0..<12 {
            let store = try SQLiteStore(path: directory.appendingPathComponent("c\(attempt).db").path)
            try await store.migrate()
            for batch in 0..<5 {
                let messages = (0..<200).map { index in track("a\(attempt)-b\(batch)-m\(index)", user: "user-\(index % 97)") }
                _ = try await store.ingest([IngestBatch(source: "web", receivedAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000), messages: messages.map { IngestMessage($0) })])
            }
            let round = Task.detached { await store.checkpointNow() }
            for _ in 0..<attempt { await Task.yield() }
            try store.close()
            await round.value
        }
    }

    /// A WAL that could not start over (a long read) does not set rounds off back to back.
    @Test func roundsFollowNewWALNotEveryCommit() {
        var trigger = CheckpointScheduler.RoundTrigger(framesPerRound: 100)
        func starts(_ frames: Int, finishing: Bool = false) -> Bool {
            if finishing { trigger.running = false }
            return trigger.shouldStart(frames: frames)
        }
        #expect(!starts(99))
        #expect(starts(100))
        #expect(!starts(250), "one round at a time")
        #expect(!starts(150, finishing: true), "the WAL did not start over: wait for 100 new frames")
        #expect(starts(200))
        #expect(!starts(20, finishing: true), "started over")
        #expect(starts(100))
    }

    /// A round starts by itself once the WAL holds `framesPerCheckpoint` frames, counted by
    /// SQLite's WAL hook after every commit, whatever wrote them: here 310 large events, far fewer
    /// messages than a message count would have waited for.
    @Test func aRoundStartsOnceTheWALHoldsEnoughFrames() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("w.db").path, durable: false, framesPerCheckpoint: 2_000)
        try await store.migrate()
        let padding = String(repeating: "x", count: 8_000)
        func ingest(_ count: Int, prefix: String) async throws {
            let messages = (0..<count).map { index in
                IngestMessage(TrackingMessage(type: .track, messageId: "\(prefix)-\(index)", userId: "u\(index % 7)", name: "Big", properties: ["blob": .string(padding)]))
            }
            _ = try await store.ingest([IngestBatch(source: "test", receivedAt: Timestamp(millisecondsSinceEpoch: 1_795_000_000_000), messages: messages)])
        }
        try await ingest(10, prefix: "first")  // ~100 frames
        #expect(store.checkpointRoundsStarted == 0)
        for batch in 0..<30 { try await ingest(10, prefix: "b\(batch)") }  // ~3,000 frames more
        #expect(store.checkpointRoundsStarted >= 1, "310 events of 8 KB and no round")
        await store.checkpointNow()  // one more round, after the hook's (they take turns on one connection)
        #expect(try await store.eventCount() == 310)
        #expect(try await store.integrityCheck() == "ok")
    }
}

/// PostgreSQL statement texts: `?` placeholders numbered, fixed statements translated once and
/// kept, multi-row statements (a text per row count) never kept, so memory does not creep.
@Suite struct PostgresDialectTests {
    @Test func fixedStatementsAreKeptAndMultiRowOnesAreNot() {
        #expect(PostgresDialect.placeholders("SELECT ? WHERE a = '?' AND b = ?2") == "SELECT $1 WHERE a = '?' AND b = $2")
        let fixed = "SELECT id FROM contacts WHERE email = ? /* \(UInt64.random(in: 0...UInt64.max)) */"
        #expect(PostgresDialect.cachedPlaceholders(fixed).hasSuffix("email = $1 /* " + fixed.split(separator: "/* ")[1]))
        #expect(PostgresDialect.isCached(fixed))
        let rows = Array(repeating: "(?::bigint, ?::bigint, ?::text)", count: 300).joined(separator: ", ")
        let multi = "INSERT INTO funnel_contacts (contact_id, captured_at, source) VALUES \(rows)"
        let translated = PostgresDialect.cachedPlaceholders(multi)
        #expect(translated.hasSuffix("($898::bigint, $899::bigint, $900::text)"))
        #expect(!PostgresDialect.isCached(multi))
    }
}
