import Logging
import TrellisCore
import TrellisMail
import TrellisStore

/// The email stage in serve mode: takes the sends workflows queued, checks the guard rails at
/// the moment of sending, composes and delivers each over the SMTP pool, and records what
/// happened (sent, deferred, retried, skipped, refused, failed) on the contact's timeline.
/// Tests drive it with ``drain()`` on a test clock.
public actor MailService {
    let store: any Store
    let clock: any TrellisClock
    let metrics: ServerMetrics?
    let logger: Logger
    let zones: any TimeZoneOffsets
    public private(set) var setup: MailSetup?
    public private(set) var transport: (any MailTransport)?
    var concurrency = 8
    private let signal = PassSignal()

    /// How long a claimed send stays with this sender before another pass may take it: after a
    /// crash, that is how long its claimed sends wait. See ``leaseMilliseconds(smtpTimeoutSeconds:perSecond:claimed:)``.
    var lease: Int64 = 3 * 60_000

    public init(
        store: any Store, clock: any TrellisClock, metrics: ServerMetrics? = nil, zones: any TimeZoneOffsets = SystemTimeZones(),
        logger: Logger = Logger(label: "trellis.mail")
    ) {
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.zones = zones
        self.logger = logger
    }

    /// Puts the channel in service; without a transport, sends stay queued. `perSecond` is the
    /// transport's sending rate limit, if any (`smtp_limits.per_second`).
    public func configure(
        _ setup: MailSetup, transport: (any MailTransport)?, concurrency: Int = 8, smtpTimeoutSeconds: Int = 60, perSecond: Double? = nil
    ) {
        self.setup = setup
        self.transport = transport
        self.concurrency = max(1, concurrency)
        self.lease = Self.leaseMilliseconds(smtpTimeoutSeconds: smtpTimeoutSeconds, perSecond: perSecond, claimed: self.concurrency * 2)
        if transport != nil, let refusal = setup.policy.marketingRefusal { logger.warning("\(refusal)") }
    }

    /// A claim's lease: three SMTP timeouts (at least 30 s) for the send itself, plus the time the
    /// last of `claimed` sends can wait for its turn under a rate limit. A lease that ran out while
    /// its send still waited would let another worker claim and send it too.
    public static func leaseMilliseconds(smtpTimeoutSeconds: Int, perSecond: Double?, claimed: Int) -> Int64 {
        let sending = max(30_000, 3 * Int64(smtpTimeoutSeconds) * 1000)
        guard let perSecond, perSecond > 0 else { return sending }
        return sending + Int64((Double(claimed) / perSecond * 1000).rounded(.up))
    }

    public nonisolated func notify() { signal.notify() }

    public func run() async {
        await signal.run(logger: logger, name: "mail") { _ = try await drain() }
    }

    /// What one pass did, by outcome.
    public struct Report: Sendable, Equatable {
        public var queued = 0
        public var outcomes: [String: Int] = [:]
        public init() {}
    }

    /// Queues workflow sends and tries every send that is due, until none is.
    ///
    /// Sends are claimed `limit` at a time (twice the lanes by default), so what a crash leaves
    /// claimed is small, and a lane that frees up takes the next claimed send at once instead of
    /// waiting for the rest of its claim: several workers then share the queue evenly to its end.
    /// One contact's sends go one after another, so each sees the one before it under the
    /// frequency cap; different contacts go in parallel.
    @discardableResult
    public func drain(limit: Int? = nil) async throws -> Report {
        let limit = max(1, limit ?? concurrency * 2)
        var report = Report()
        guard let setup, let transport else { return report }
        report.queued = try await store.queueWorkflowSends(at: clock.now(), limit: 10_000)
        let composer = MailComposer(setup: setup)
        let store = store, clock = clock, zones = zones, lanes = concurrency, lease = lease, metrics = metrics, logger = logger
        try await withThrowingTaskGroup(of: (contactId: Int64, status: String).self) { group in
            var waiting: [EmailSend] = []
            var busy: Set<Int64> = []
            var running = 0
            var exhausted = false
            while true {
                if !exhausted, waiting.count < lanes {
                    let now = clock.now()
                    let claimed = try await store.claimDueSends(at: now, leaseUntil: now.adding(milliseconds: lease), limit: limit)
                    exhausted = claimed.count < limit
                    waiting += claimed
                }
                while running < lanes, let index = waiting.firstIndex(where: { !busy.contains($0.contactId) }) {
                    let send = waiting.remove(at: index)
                    busy.insert(send.contactId)
                    running += 1
                    group.addTask {
                        (send.contactId, try await Self.process(send, composer: composer, transport: transport, store: store, clock: clock, zones: zones, logger: logger))
                    }
                }
                // Nothing in flight means nothing waits either: a waiting send's contact would be free.
                guard running > 0, let done = try await group.next() else { break }
                running -= 1
                busy.remove(done.contactId)
                report.outcomes[done.status, default: 0] += 1
                metrics?.emailOutcome(done.status)
            }
        }
        return report
    }

    /// Decides, composes, delivers and records one send; returns the outcome's status.
    static func process(
        _ send: EmailSend, composer: MailComposer, transport: any MailTransport, store: any Store, clock: any TrellisClock, zones: any TimeZoneOffsets,
        logger: Logger
    ) async throws -> String {
        let outcome = try await decideAndDeliver(send, composer: composer, transport: transport, store: store, clock: clock, zones: zones)
        switch outcome {
        case .retry(let until, let error): logger.warning("send \(send.id) (\(send.template)): \(error); next try at \(until.iso8601)")
        case .failed(let error): logger.error("send \(send.id) (\(send.template)) failed: \(error)")
        default: break
        }
        guard try await store.recordOutcome(sendId: send.id, attempt: send.attempts, outcome, at: clock.now()) else {
            // The lease ran out before the outcome came: another pass claimed the send, and its outcome stands.
            logger.warning("send \(send.id) (\(send.template)): claim lost before its outcome (\(outcome.statusName)) was recorded")
            return "claim_lost"
        }
        switch outcome {
        case .retry: return "retry"
        default: return outcome.statusName
        }
    }

    static func decideAndDeliver(
        _ send: EmailSend, composer: MailComposer, transport: any MailTransport, store: any Store, clock: any TrellisClock, zones: any TimeZoneOffsets
    ) async throws -> SendOutcome {
        let setup = composer.setup
        let now = clock.now()
        guard let contact = try await store.contact(id: send.contactId) else { return .skipped(code: "no_contact", reason: "contact \(send.contactId) no longer exists") }
        guard let template = setup.library.templates[send.template] else {
            return .failed(error: "no template named \(send.template) in the content library")
        }
        guard let address = send.to ?? contact.email else { return .skipped(code: SkipReason.noAddress.code, reason: "the contact has no email address") }
        let suppression = try await store.suppression(email: address)?.reason
        let decision: SendDecision
        if send.to != nil {
            // A test send goes to a colleague: only that address's suppression applies.
            decision = suppression.map { .skipped(.suppressed($0), "\(address) is suppressed: \($0.rawValue)") } ?? .send
        } else {
            let longest = max(setup.policy.caps.values.map(\.per.milliseconds).max() ?? 0, 30 * 86_400_000)
            let recent = try await store.sentTimes(contactId: contact.id, kind: template.kind, since: now.adding(milliseconds: -longest))
            let zone = contact.traits["timezone"]?.stringValue ?? "UTC"
            let candidate = SendCandidate(
                contact: contact, kind: template.kind, recentSends: recent, suppression: suppression, topic: template.topic,
                utcOffset: { zones.offset(zone: zone, at: $0) })
            decision = setup.policy.decide(candidate, at: now)
        }
        switch decision {
        case .deferred(let until, let reason): return .deferred(until: until, reason: reason)
        case .skipped(let reason, let detail): return .skipped(code: reason.code, reason: detail)
        case .refused(let reason): return .refused(reason: reason)
        case .send: break
        }
        let account = try await contact.accountId.asyncMap { try await store.account(id: $0) } ?? nil
        let composed: MailComposer.Composed
        do {
            // The Message-ID is the same each time a send is tried: a copy resent after a crash
            // (sent, then the process died before recording it) is the same message to the mailbox.
            composed = try composer.compose(
                sendId: send.id, template: send.template, contact: contact, account: account, to: send.to, at: now,
                random: setup.messageIdSeed &+ UInt64(bitPattern: send.id) &* 0x9E37_79B9_7F4A_7C15)
        } catch {
            return .failed(error: error.description)
        }
        switch await transport.deliver(composed.envelope) {
        case .success(let reply):
            return .sent(messageId: composed.messageId, reply: reply.description)
        case .failure(let failure) where failure.transient && send.attempts < setup.maxAttempts:
            // 1, 2, 4, … minutes (smtp_limits.first_retry), at most six hours.
            let backoff = min(setup.firstRetry << Int64(min(send.attempts - 1, 20)), 6 * 3_600_000)
            return .retry(until: clock.now().adding(milliseconds: backoff), error: failure.description)
        case .failure(let failure):
            if failure.stage.hasPrefix("RCPT"), !failure.transient {
                try await store.suppress(email: address, reason: .hardBounce, detail: failure.description, at: clock.now())
            }
            return .failed(error: failure.description + (failure.transient ? " (gave up after \(send.attempts) attempts)" : ""))
        }
    }
}

extension SendOutcome {
    var statusName: String {
        switch self {
        case .sent: "sent"
        case .deferred: "deferred"
        case .retry: "retry"
        case .failed: "failed"
        case .skipped: "skipped"
        case .refused: "refused"
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
