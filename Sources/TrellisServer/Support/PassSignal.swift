import Logging

/// Wakes a background stage (qualify, workflows): `notify()` after each commit, plus a tick
/// once a second for work that falls due with time. Notifications coalesce: a burst of commits
/// starts one pass, which reads everything that queued up.
struct PassSignal: Sendable {
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    init() {
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func notify() { wake.yield() }

    /// Runs `pass` on every wake until the task is cancelled; a failed pass is logged and the
    /// next wake tries again. With a `spacing`, passes start at most that often: the commits in
    /// between wait for one pass, which takes in all of them (a pass is a write transaction on
    /// the store's single writer, so passes back to back under load leave ingest waiting for
    /// it). `clock` times the spacing and the once-a-second tick; tests pass one they move.
    func run<C: Clock<Duration>>(
        isolation: isolated (any Actor)? = #isolation, logger: Logger, name: String, spacing: Duration = .zero, clock: C = ContinuousClock(),
        _ pass: () async throws -> Void
    ) async {
        let ticker = Task { [wake] in
            while !Task.isCancelled {
                try? await clock.sleep(for: Self.tick)
                wake.yield()
            }
        }
        defer { ticker.cancel() }
        for await _ in wakes {
            if Task.isCancelled { break }
            let started = clock.now
            do {
                try await pass()
            } catch {
                logger.error("\(name) pass failed: \(error)")
            }
            if spacing > .zero { try? await clock.sleep(until: started.advanced(by: spacing), tolerance: nil) }
        }
    }

    /// How often a pass runs with no commit to wake it, for work that falls due with time.
    static let tick: Duration = .seconds(1)
}
