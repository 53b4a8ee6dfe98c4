import Logging
import Synchronization
import Testing

@testable import TrellisServer

@Suite struct PassSignalTests {
    /// Runs a signal's loop on `clock`; each pass records when it started.
    final class Loop: Sendable {
        let signal = PassSignal()
        let clock = SteppedClock()
        let starts = Starts()
        private let task = Mutex<Task<Void, Never>?>(nil)

        final class Starts: Sendable {
            let offsets = Mutex<[Duration]>([])
        }

        init(spacing: Duration) {
            let (signal, clock, starts) = (signal, clock, starts)
            let task = Task {
                await signal.run(logger: Logger(label: "test"), name: "test", spacing: spacing, clock: clock) {
                    starts.offsets.withLock { $0.append(clock.now.offset) }
                }
            }
            self.task.withLock { $0 = task }
        }

        var started: [Duration] { starts.offsets.withLock { $0 } }

        func stop() async {
            let task = task.withLock { $0 }
            task?.cancel()
            await task?.value
        }
    }

    @Test func passesStartAtMostOncePerSpacingAndABurstOfCommitsMakesOnePass() async throws {
        let loop = Loop(spacing: .milliseconds(25))
        try await eventually("the once-a-second tick waits") { loop.clock.deadlines == [.seconds(1)] }

        loop.signal.notify()
        try await eventually("the first commit's pass ran and its spacing waits") {
            loop.started == [.zero] && loop.clock.deadlines == [.milliseconds(25), .seconds(1)]
        }

        // Three commits while the spacing runs: no pass until it is over, then one for all three.
        loop.signal.notify()
        loop.signal.notify()
        loop.signal.notify()
        loop.clock.advance(by: .milliseconds(24))
        #expect(loop.clock.deadlines == [.milliseconds(25), .seconds(1)])
        #expect(loop.started == [.zero])
        loop.clock.advance(by: .milliseconds(1))
        try await eventually("one pass for the three commits, 25 ms after the first") {
            loop.started == [.zero, .milliseconds(25)] && loop.clock.deadlines == [.milliseconds(50), .seconds(1)]
        }

        // Nothing more was asked for: the next pass is the tick's, a second in.
        loop.clock.advance(by: .milliseconds(25))
        try await eventually("the spacing is over") { loop.clock.deadlines == [.seconds(1)] }
        loop.clock.advance(by: .milliseconds(950))
        try await eventually("the tick's pass ran") { loop.clock.deadlines == [.milliseconds(1_025), .seconds(2)] }
        #expect(loop.started == [.zero, .milliseconds(25), .seconds(1)])
        await loop.stop()
    }

    @Test func withoutSpacingEachCommitAfterAPassStartsAnother() async throws {
        let loop = Loop(spacing: .zero)
        try await eventually("the once-a-second tick waits") { loop.clock.deadlines == [.seconds(1)] }
        loop.signal.notify()
        try await eventually("the first pass ran") { loop.started.count == 1 }
        loop.signal.notify()
        try await eventually("the second pass ran at once") { loop.started.count == 2 }
        #expect(loop.started == [.zero, .zero])
        #expect(loop.clock.deadlines == [.seconds(1)])
        await loop.stop()
    }
}
