import Synchronization
import Testing
import TrellisCore
@testable import TrellisServer
@testable import TrellisStore

@Suite struct GroupCommitTimingTests {
    /// What `/metrics` and `trellis bench` build the writer's busy share from.
    @Test func eachCommitReportsWhatItCarriedAndHowLongTheStoreTook() async throws {
        let fixture = try await ServerFixture()
        let commits = Mutex<[GroupCommitter.Commit]>([])
        let committer = GroupCommitter(store: fixture.store, clock: SteppedClock(advancingEachRead: .milliseconds(5))) { commit in
            commits.withLock { $0.append(commit) }
        }
        let messages = (1...3).map { IngestMessage(TrackingMessage(type: .track, messageId: "c\($0)", userId: "u", name: "Clicked")) }
        #expect(try await committer.submit(IngestBatch(source: "web", receivedAt: fixture.clock.now(), messages: messages)).stored == 3)
        // The clock moves 5 ms each time it is read: once before the store's ingest, once after.
        let reported = commits.withLock { $0 }
        #expect(reported.count == 1)
        #expect(reported.first?.batches == 1)
        #expect(reported.first?.messages == 3)
        #expect(reported.first?.duration == .milliseconds(5))
    }

    /// `trellis bench` reads the commit totals back from `/metrics` as the registry writes them.
    @Test func theCommitTotalsReadBackFromTheExposition() {
        let metrics = ServerMetrics()
        #expect(ServerMetrics.CommitTotals(exposition: String(decoding: metrics.exposition(), as: UTF8.self)) == nil, "no commit yet")
        metrics.committed(GroupCommitter.Commit(batches: 2, messages: 150, duration: .milliseconds(20)))
        metrics.committed(GroupCommitter.Commit(batches: 1, messages: 6, duration: .microseconds(500)))
        let totals = ServerMetrics.CommitTotals(exposition: String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(totals?.commits == 2)
        #expect(totals?.messages == 156)
        #expect(abs((totals?.busySeconds ?? 0) - 0.0205) < 1e-9)
    }
}
