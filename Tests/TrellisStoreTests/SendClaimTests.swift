import Foundation
import GRDB
import Testing
import TrellisCore
@testable import TrellisStore

/// A send's or a webhook delivery's outcome is recorded only by the pass that holds its claim.
@Suite struct SendClaimTests {
    /// The due-sends index's condition is evaluated for every email_sends row written; with an IN
    /// list of three statuses each insert and status update built a temporary b-tree. The claim
    /// still finds due sends through the index.
    @Test func aSendWriteOpensNoTemporaryTable() async throws {
        let fixture = try await StoreFixture()
        try await fixture.sqlite.pool.read { db in
            for sql in [
                """
                INSERT INTO email_sends (key, contact_id, template, kind, status, attempts, next_attempt_at, created_at)
                VALUES ('k', 1, 'welcome', 'marketing', 'queued', 0, 0, 0)
                """,
                "UPDATE email_sends SET status = 'sending', next_attempt_at = 1, attempts = attempts + 1 WHERE id = 1",
            ] {
                let opcodes = try Row.fetchAll(db, sql: "EXPLAIN " + sql).map { $0[1] as String }
                #expect(!opcodes.contains("OpenEphemeral"), "\(sql)")
            }
            let plan = try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN SELECT id FROM email_sends WHERE \(SQLiteStore.dueSendCondition) AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 10",
                arguments: [0]
            ).map { $0[3] as String }
            #expect(plan.contains { $0.contains("USING INDEX email_sends_due") }, "\(plan)")
        }
    }

    @Test(arguments: StoreKind.available) func anOutcomeFromALostClaimIsNotRecorded(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let contactId = try #require(try await fixture.ingest([identify("i1", user: "u1", traits: ["email": "ada@acme.example"])]).contactIds.first ?? nil)
        let queued = try await fixture.store.queueSend(NewEmailSend(key: "k1", contactId: contactId, template: "welcome", kind: .marketing, at: fixture.now))
        // The first worker claims the send and stalls past its lease; a second claims it again.
        let first = try #require(try await fixture.store.claimDueSends(at: fixture.now, leaseUntil: fixture.now.adding(milliseconds: 60_000), limit: 10).first)
        #expect(try await fixture.store.claimDueSends(at: fixture.now.adding(milliseconds: 1_000), leaseUntil: fixture.now.adding(milliseconds: 61_000), limit: 10).isEmpty)
        let second = try #require(
            try await fixture.store.claimDueSends(at: fixture.now.adding(milliseconds: 60_000), leaseUntil: fixture.now.adding(milliseconds: 120_000), limit: 10).first)
        #expect(first.id == queued.id && second.id == queued.id && second.attempts == first.attempts + 1)
        let sentAt = fixture.now.adding(milliseconds: 61_000)
        #expect(try await fixture.store.recordOutcome(sendId: queued.id, attempt: second.attempts, .sent(messageId: "<m2@trellis>", reply: "250 ok"), at: sentAt))
        // The stalled worker comes back with a temporary failure: it would put the sent message back in the queue.
        let late = SendOutcome.retry(until: fixture.now.adding(milliseconds: 600_000), error: "421 try later")
        #expect(try await fixture.store.recordOutcome(sendId: queued.id, attempt: first.attempts, late, at: sentAt.adding(milliseconds: 1_000)) == false)
        // Nor can the winner record twice.
        #expect(try await fixture.store.recordOutcome(sendId: queued.id, attempt: second.attempts, late, at: sentAt.adding(milliseconds: 2_000)) == false)
        let stored = try #require(try await fixture.store.emailSend(id: queued.id))
        #expect(stored.status == .sent && stored.sentAt == sentAt)
        #expect(try await fixture.store.claimDueSends(at: fixture.now.adding(milliseconds: 3_600_000), leaseUntil: fixture.now.adding(milliseconds: 3_700_000), limit: 10).isEmpty)
        let names = try await fixture.store.timeline(contactId: contactId, before: nil, limit: 50).compactMap(\.name)
        #expect(names.filter { $0.hasPrefix("Email") } == ["Email Sent"])
    }

    @Test(arguments: StoreKind.available) func aWebhookOutcomeFromALostClaimIsNotRecorded(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        try await fixture.store.queueWebhook(handoffId: nil, kind: "handoff", url: "https://crm.example/hook", payload: "{}", at: fixture.now)
        let first = try #require(try await fixture.store.claimDueWebhooks(at: fixture.now, leaseUntil: fixture.now.adding(milliseconds: 120_000), limit: 10).first)
        let second = try #require(
            try await fixture.store.claimDueWebhooks(at: fixture.now.adding(milliseconds: 120_000), leaseUntil: fixture.now.adding(milliseconds: 240_000), limit: 10).first)
        #expect(second.id == first.id && second.attempts == first.attempts + 1)
        #expect(try await fixture.store.recordWebhook(id: second.id, attempt: second.attempts, .delivered, at: fixture.now.adding(milliseconds: 121_000)))
        let late = WebhookOutcome.retry(until: fixture.now.adding(milliseconds: 150_000), error: "timed out")
        #expect(try await fixture.store.recordWebhook(id: first.id, attempt: first.attempts, late, at: fixture.now.adding(milliseconds: 122_000)) == false)
        #expect(try await fixture.store.webhookDeliveries(status: .delivered, limit: 10).map(\.id) == [first.id])
        #expect(try await fixture.store.claimDueWebhooks(at: fixture.now.adding(milliseconds: 3_600_000), leaseUntil: fixture.now.adding(milliseconds: 3_700_000), limit: 10).isEmpty)
    }
}
