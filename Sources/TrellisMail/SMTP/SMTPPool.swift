import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Reused SMTP connections to one relay: up to `connections` at once, each delivering message
/// after message on the same session (no new TCP, TLS and AUTH handshake per email), and a
/// sending rate limit shared by all of them. Idle connections close after the read timeout.
///
/// ```swift
/// let pool = try SMTPPool(server: try SMTPServerURL("smtp://127.0.0.1:2525?tls=none"), connections: 8, perSecond: 100)
/// let task = Task { await pool.run() }
/// let result = await pool.deliver(SMTPSession.Envelope(from: "hello@acme.example", recipients: ["ada@example.com"], data: signed))
/// ```
public final class SMTPPool: Sendable {
    public let server: SMTPServerURL
    public let connections: Int
    let hostname: String
    let timeout: TimeAmount
    let tlsContext: NIOSSLContext?
    let queue: JobQueue
    let limiter: RateLimit?
    let group: any EventLoopGroup

    public init(
        server: SMTPServerURL, connections: Int = 4, perSecond: Double? = nil, hostname: String = "trellis.local", timeout: TimeAmount = .seconds(60),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.server = server
        self.connections = max(1, connections)
        self.hostname = hostname
        self.timeout = timeout
        self.tlsContext = try SMTPClient.makeTLSContext(server)
        self.queue = JobQueue()
        self.limiter = perSecond.flatMap { $0 > 0 ? RateLimit(perSecond: $0) : nil }
        self.group = group
    }

    /// Delivers one message on a pooled connection. Never throws: a failure says whether it is
    /// worth trying again (4xx, network) or not (5xx).
    public func deliver(_ envelope: SMTPSession.Envelope) async -> Result<SMTPReply, SMTPFailure> {
        if let limiter { await limiter.acquire() }
        return await withCheckedContinuation { continuation in
            queue.push(Job(envelope: envelope, continuation: continuation))
        }
    }

    /// Runs the connection workers until the task is cancelled; jobs wait while none runs.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<connections { group.addTask { await self.work() } }
            group.addTask {
                // Cancellation ends the workers' waits.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                self.queue.close()
            }
        }
    }

    func work() async {
        var pending: Job? = nil
        var failures = 0
        while true {
            let taken: Job?
            if let pending { taken = pending } else { taken = await queue.next() }
            guard let job = taken else { return }
            pending = nil
            do {
                try await SMTPClient.withConnection(server: server, hostname: hostname, tlsContext: tlsContext, timeout: timeout, group: group) {
                    conversation in
                    var current: Job? = job
                    while let job = current {
                        guard conversation.isActive else {
                            pending = job  // the connection went idle and closed: a new one takes it
                            return
                        }
                        do {
                            job.finish(.success(try await conversation.deliver(job.envelope)))
                        } catch let failure as SMTPFailure {
                            job.finish(.failure(failure))
                            if failure.reply == nil { return }  // the connection itself failed
                        }
                        failures = 0
                        current = await queue.next()
                        if current == nil { return }
                    }
                }
            } catch {
                // The handshake failed (or the connection did): the job that was waiting gets the
                // failure, and the worker waits a little before the next connection attempt.
                let failure = error as? SMTPFailure ?? SMTPFailure(stage: "connect", reply: nil, transient: true, message: "\(error)")
                (pending ?? job).finish(.failure(failure))
                pending = nil
                failures += 1
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures, 6))))
                if Task.isCancelled { return }
            }
        }
    }

    /// One message waiting for a connection, answered exactly once.
    final class Job: Sendable {
        let envelope: SMTPSession.Envelope
        private let continuation: Mutex<CheckedContinuation<Result<SMTPReply, SMTPFailure>, Never>?>

        init(envelope: SMTPSession.Envelope, continuation: CheckedContinuation<Result<SMTPReply, SMTPFailure>, Never>) {
            self.envelope = envelope
            self.continuation = Mutex(continuation)
        }

        func finish(_ result: Result<SMTPReply, SMTPFailure>) {
            let waiting = continuation.withLock { value in
                defer { value = nil }
                return value
            }
            waiting?.resume(returning: result)
        }
    }
}

/// Jobs in arrival order, handed to whichever worker asks next.
final class JobQueue: Sendable {
    struct State {
        var jobs: [SMTPPool.Job] = []
        var head = 0
        var waiters: [CheckedContinuation<SMTPPool.Job?, Never>] = []
        var closed = false
    }
    let state = Mutex(State())

    func push(_ job: SMTPPool.Job) {
        let waiter: CheckedContinuation<SMTPPool.Job?, Never>? = state.withLock { state in
            if state.closed { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.jobs.append(job)
            return nil
        }
        if let waiter {
            waiter.resume(returning: job)
        } else if state.withLock({ $0.closed }) {
            job.finish(.failure(SMTPFailure(stage: "queue", reply: nil, transient: true, message: "the sender is shutting down")))
        }
    }

    func next() async -> SMTPPool.Job? {
        await withCheckedContinuation { continuation in
            let job: SMTPPool.Job?? = state.withLock { state in
                if state.head < state.jobs.count {
                    let job = state.jobs[state.head]
                    state.head += 1
                    if state.head > 1024, state.head * 2 > state.jobs.count {
                        state.jobs.removeFirst(state.head)
                        state.head = 0
                    }
                    return .some(job)
                }
                if state.closed { return .some(nil) }
                state.waiters.append(continuation)
                return .none
            }
            if let job { continuation.resume(returning: job) }
        }
    }

    func close() {
        let (waiters, jobs) = state.withLock { state in
            state.closed = true
            defer {
                state.waiters = []
                state.jobs = []
                state.head = 0
            }
            return (state.waiters, Array(state.jobs[state.head...]))
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        for job in jobs { job.finish(.failure(SMTPFailure(stage: "queue", reply: nil, transient: true, message: "the sender is shutting down"))) }
    }
}

/// Spaces sends evenly: at most `perSecond` a second across all connections.
actor RateLimit {
    let interval: Duration
    var nextFree = ContinuousClock.now

    init(perSecond: Double) {
        interval = .nanoseconds(Int64(1_000_000_000 / perSecond))
    }

    func acquire() async {
        let now = ContinuousClock.now
        let slot = max(now, nextFree)
        nextFree = slot + interval
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}
