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

    /// Both stores fold at most one plan's worth of events a transaction (PostgreSQL under the
    /// write lock ingest waits for) and go on until caught up; a deal whose feedback falls on both
    /// sides of a boundary is counted once each.
    @Test(arguments: StoreKind.available) func aPassReadsPastOnePlansWorthOfEvents(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = try #require(fixture.store as? any ReportStore)
        let count = FunnelPlan.maxEvents * 2 + 1
        var messages = [identify("i1", user: "u1", traits: ["source": "google"])]
        messages += (2...count).map { index in
            index % FunnelPlan.maxEvents == 0 ? feedback("f\(index)", amount: 100) : track("t\(index)", user: "u1", event: "Page Viewed")
        }
        try await fixture.ingest(messages)
        #expect(try await store.refreshFunnel(limit: 50_000) == count)
        #expect(try await store.refreshFunnel(limit: 50_000) == 0)
        let rows = try await store.funnelRows(capturedFrom: Timestamp(millisecondsSinceEpoch: 0), to: fixture.now.adding(days: 1))
        #expect(rows.count == 1)
        #expect(rows.first?.pipeline == 200, "two opportunities of 100, one in each later fold")
        // A limit inside a transaction's worth stops there.
        try await fixture.ingest((1...10).map { track("late\($0)", user: "u1", event: "Page Viewed") })
        #expect(try await store.refreshFunnel(limit: 4) == 4)
        #expect(try await store.refreshFunnel(limit: 50_000) == 6)
    }
}
