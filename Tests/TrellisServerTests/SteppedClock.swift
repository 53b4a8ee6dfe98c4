import Synchronization

/// A `Clock` that moves only when a test advances it: a sleeper wakes when the clock reaches its
/// deadline, so code that sleeps can be tested step by step without waiting on real time.
final class SteppedClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let id: Int
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var cancelled: Set<Int> = []
        var lastId = 0
    }

    private let state = Mutex(State())
    private let stepPerRead: Duration

    /// `advancingEachRead`: how far reading ``now`` moves the clock on (for code that times
    /// itself: two reads around a piece of work measure exactly that step).
    init(advancingEachRead stepPerRead: Duration = .zero) {
        self.stepPerRead = stepPerRead
    }

    var now: Instant {
        state.withLock { state in
            defer { state.now = state.now.advanced(by: stepPerRead) }
            return state.now
        }
    }
    var minimumResolution: Duration { .zero }

    /// The deadlines of the sleepers waiting now, as offsets from the clock's start, soonest first.
    var deadlines: [Duration] { state.withLock { $0.sleepers.map(\.deadline.offset).sorted() } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            state.lastId += 1
            return state.lastId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Now { case wait, wake, cancel }
                let now: Now = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .cancel }
                    if deadline <= state.now { return .wake }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .wait
                }
                switch now {
                case .wait: break
                case .wake: continuation.resume()
                case .cancel: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let sleeper: Sleeper? = state.withLock { state in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock on and wakes every sleeper whose deadline it reaches.
    func advance(by duration: Duration) {
        let due: [Sleeper] = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

/// Waits until `condition` holds, giving other tasks the chance to run; fails the test after
/// `limit` of real time (a guard against a hang, not a timing assertion).
func eventually(_ what: String, limit: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: limit)
    while !condition() {
        if clock.now > end { throw EventuallyTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(1))
    }
}

struct EventuallyTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "still not true after the limit: \(what)" }
}
