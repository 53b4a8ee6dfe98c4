import Synchronization

/// The source of "now" for everything in Trellis.
///
/// The core never reads the system time: the server passes a ``SystemClock`` (defined outside the
/// core), tests and the simulator pass a ``ManualClock`` and move it forward.
///
/// ```swift
/// let clock = ManualClock(now: ISO8601.parse("2026-01-05T09:00:00Z")!)
/// clock.advance(days: 3)
/// ```
public protocol TrellisClock: Sendable {
    func now() -> Timestamp
}

/// A clock that only moves when told to: for tests and simulation.
public final class ManualClock: TrellisClock {
    private let current: Mutex<Timestamp>

    public init(now: Timestamp) {
        current = Mutex(now)
    }

    public func now() -> Timestamp { current.withLock { $0 } }

    public func set(_ timestamp: Timestamp) { current.withLock { $0 = timestamp } }

    public func advance(milliseconds: Int64) { current.withLock { $0 = $0.adding(milliseconds: milliseconds) } }

    public func advance(days: Int) { advance(milliseconds: Int64(days) * 86_400_000) }
}
