import Foundation
import Testing
import TrellisCore
@testable import TrellisStore

/// The reports' rollup on SQLite is worked out on a read snapshot and written afterwards, so the
/// single writer (and ingest behind it) is not held while tens of thousands of events are read.
@Suite struct FunnelRollupTests {
    func feedback(_ id: String, amount: Double) -> TrackingMessage {
        TrackingMessage(type: .track, messageId: id, userId: "u1", name: "Sales Feedback", properties: ["outcome": "opportunity", "amount": .double(amount)])
    }

    @Test func aPassPlannedBeforeAnotherFoldedTheSameEventsIsDropped() async throws {
        let fixture = try await StoreFixture()
        try await fixture.ingest([identify("i1", user: "u1", traits: ["source": "google"]), feedback("f1", amount: 500)])
        let stale = try await fixture.sqlite.funnelPlan(limit: 100)
        #expect(try await fixture.sqlite.refreshFunnel(limit: 100) == 2)
        // The stale plan holds the same 500: written now, it would count the opportunity twice.
        #expect(try await fixture.sqlite.apply(stale) == false)
        try await fixture.ingest([feedback("f2", amount: 250)])
        #expect(try await fixture.sqlite.refreshFunnel(limit: 100) == 1)
        #expect(try await fixture.sqlite.refreshFunnel(limit: 100) == 0)
        let rows = try await fixture.sqlite.funnelRows(capturedFrom: Timestamp(millisecondsSinceEpoch: 0), to: fixture.now.adding(days: 1))
        #expect(rows.count == 1)
        #expect(rows.first?.source == "google")
        #expect(rows.first?.pipeline == 750)
    }

    @Test func aContactErasedAfterThePlanGetsNoRow() async throws {
        let fixture = try await StoreFixture()
        let outcome = try await fixture.ingest([identify("i1", user: "u1", traits: ["email": "gone@example.com"])])
        let plan = try await fixture.sqlite.funnelPlan(limit: 100)
        try await fixture.sqlite.execute(sql: "DELETE FROM contacts WHERE id = \(try #require(outcome.contactIds.first ?? nil))")
        #expect(try await fixture.sqlite.apply(plan))
        #expect(try await fixture.sqlite.strings(sql: "SELECT contact_id FROM funnel_contacts").isEmpty)
    }

    @Test func aPlanStopsAtItsWriteBoundAndTheNextGoesOnFromThere() async throws {
        let fixture = try await StoreFixture()
        try await fixture.ingest((1...5).map { identify("i\($0)", user: "u\($0)", traits: ["source": "web"]) })
        let first = try await fixture.sqlite.funnelPlan(limit: 100, maxWrites: 2)
        #expect(first.stoppedAtMaxWrites && first.read == 2 && first.writes == 2)
        #expect(try await fixture.sqlite.apply(first))
        #expect(try await fixture.sqlite.strings(sql: "SELECT contact_id FROM funnel_contacts").count == 2)
        // A pass goes on from the plan's cursor and returns only when caught up.
        #expect(try await fixture.sqlite.refreshFunnel(limit: 100) == 3)
        #expect(try await fixture.sqlite.strings(sql: "SELECT contact_id FROM funnel_contacts").count == 5)
        #expect(try await fixture.sqlite.refreshFunnel(limit: 100) == 0)
    }

    @Test func aPassReadsPastOnePlansWorthOfEvents() async throws {
        let fixture = try await StoreFixture()
        let count = FunnelPlan.maxEvents + 1
        try await fixture.ingest((1...count).map { track("t\($0)", user: "u1", event: "Page Viewed") })
        #expect(try await fixture.sqlite.refreshFunnel(limit: 50_000) == count)
        #expect(try await fixture.sqlite.refreshFunnel(limit: 50_000) == 0)
    }
}
