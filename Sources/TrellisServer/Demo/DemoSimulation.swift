import Synchronization
import TrellisCore
import TrellisMail
import TrellisStore

/// The demo's clock: virtual while the demo replays its 90 days, then the given real clock.
public final class DemoClock: TrellisClock {
    private let real: any TrellisClock
    private let virtual: Mutex<Timestamp?>

    public init(real: any TrellisClock, start: Timestamp?) {
        self.real = real
        virtual = Mutex(start)
    }

    public func now() -> Timestamp { virtual.withLock { $0 } ?? real.now() }

    /// Moves the virtual time (nil hands over to the real clock).
    public func set(_ time: Timestamp?) { virtual.withLock { $0 = time } }
}

/// A mail transport that delivers nothing: it answers 250 like an SMTP server and remembers
/// each message's Message-ID, so the demo's simulated recipients know what reached them.
public final class DemoOutbox: MailTransport {
    private let delivered = Mutex<[String]>([])

    public init() {}

    public func deliver(_ envelope: SMTPSession.Envelope) async -> Result<SMTPReply, SMTPFailure> {
        // Only the header block: it ends at the first empty line.
        let headers = envelope.data.split(separator: "\r\n", omittingEmptySubsequences: false).lazy.prefix { !$0.isEmpty }
        if let line = headers.first(where: { $0.lowercased().hasPrefix("message-id:") }) {
            let id = String(line.dropFirst("message-id:".count)).trimmed
            delivered.withLock { $0.append(id) }
        }
        return .success(SMTPReply(code: 250, lines: ["2.0.0 accepted by the demo outbox (not delivered)"]))
    }

    /// The Message-IDs delivered since the last call.
    public func take() -> [String] { delivered.withLock { taken in defer { taken = [] }; return taken } }
}

/// Replays the demo's synthetic history through the real engine on a virtual clock: events
/// arrive when they happened, qualification, workflows, email and sales run as they would in
/// `trellis serve`, recipients open and click some of what they get (and a few unsubscribe),
/// and sales accept, reject and recycle their handoffs, then turn some into opportunities and
/// deals. Deterministic for a seed.
public struct DemoSimulation {
    public var stepHours: Int64 = 24
    public var seed: UInt64 = 7

    public init(stepHours: Int64 = 24, seed: UInt64 = 7) {
        self.stepHours = stepHours
        self.seed = seed
    }

    /// What happened over the simulated days.
    public struct Summary: Sendable {
        public var events = 0
        public var sent = 0
        public var opened = 0
        public var clicked = 0
        public var unsubscribed = 0
        public var handoffs = 0
        public var accepted = 0
        public var rejected = 0
        public var recycled = 0
        public var opportunities = 0
        public var won = 0
        public var pipeline = 0.0
    }

    enum Decision { case decide, opportunity, close }

    /// Runs from `start` to `end`; `messages` are ingested when their timestamp comes.
    public func run(
        services: Services, clock: DemoClock, outbox: DemoOutbox, messages: [IngestMessage], source: String, from start: Timestamp, to end: Timestamp,
        progress: (Timestamp) -> Void = { _ in }
    ) async throws -> Summary {
        var random = SplitMix64(seed: seed)
        func chance(_ percent: UInt64) -> Bool { random.next() % 1000 < percent * 10 }
        let pending = messages.sorted { ($0.message.originalTimestamp ?? start) < ($1.message.originalTimestamp ?? start) }
        var next = 0
        var summary = Summary()
        var scheduled: [Int64: (at: Timestamp, what: Decision)] = [:]
        var followUps: [IngestMessage] = []
        var now = start
        var day = start.millisecondsSinceEpoch / 86_400_000
        while now < end {
            now = min(end, now.adding(milliseconds: stepHours * 3_600_000))
            clock.set(now)
            if now.millisecondsSinceEpoch / 86_400_000 != day {
                day = now.millisecondsSinceEpoch / 86_400_000
                progress(now)
            }
            // Events that happened by now, and what last step's clicks led to.
            var batch = followUps
            followUps = []
            while next < pending.count, (pending[next].message.originalTimestamp ?? start) <= now {
                batch.append(pending[next])
                next += 1
            }
            for start in stride(from: 0, to: batch.count, by: 500) {
                let chunk = Array(batch[start..<min(start + 500, batch.count)])
                summary.events += try await services.store.ingest([IngestBatch(source: source, receivedAt: now, messages: chunk)])[0].stored
            }
            _ = try await services.qualify.drain()
            _ = try await services.workflows.drain()
            _ = try await services.mail.drain(limit: 200)  // no crash to bound: fewer, larger claims
            _ = try await services.sales.drain()

            // Recipients: some open, fewer click, a few of those look at pricing; a few unsubscribe.
            for messageID in outbox.take() {
                guard let send = try await services.store.emailSend(messageID: messageID) else { continue }
                summary.sent += 1
                var properties: [String: JSONValue] = ["email": .string(send.template), "send_id": .int(send.id), "user_agent": "Mozilla/5.0 (demo)"]
                if let workflow = send.workflow { properties["workflow"] = .string(workflow) }
                if chance(1) {
                    let evidence = ConsentRecord(
                        status: .withdrawn, basis: .express, method: .unsubscribe, text: "Unsubscribed from all marketing email (one-click)",
                        location: "email link", recordedAt: now)
                    if try await services.store.unsubscribe(contactId: send.contactId, sendId: send.id, evidence: evidence, at: now) { summary.unsubscribed += 1 }
                    continue
                }
                guard chance(42) else { continue }
                summary.opened += 1
                try await services.store.recordEmailEvent(
                    contactId: send.contactId, name: "Email Opened", properties: properties, messageId: "demo-open-\(send.id)", at: now)
                guard chance(28) else { continue }
                summary.clicked += 1
                properties["url"] = "https://acme.example/customers/northwind"
                try await services.store.recordEmailEvent(
                    contactId: send.contactId, name: "Email Clicked", properties: properties, messageId: "demo-click-\(send.id)", at: now)
                if chance(40), let anonymousId = try await services.store.contact(id: send.contactId)?.anonymousIds.first {
                    followUps.append(
                        IngestMessage(
                            TrackingMessage(
                                type: .page, messageId: "demo-click-pricing-\(send.id)", anonymousId: anonymousId, name: "Pricing",
                                properties: ["path": "/pricing", "url": "https://acme.example/pricing", "title": "Pricing"],
                                originalTimestamp: now.adding(milliseconds: 60_000))))
                }
            }

            // Sales: every new handoff gets a decision within a working day or two.
            // Leads handed over in the last five days are left in the queue for whoever opens the console.
            for handoff in try await services.store.handoffs(status: .open, owner: nil, contactId: nil, limit: 10_000) where scheduled[handoff.id] == nil {
                summary.handoffs += 1
                let decideAt = handoff.createdAt.adding(milliseconds: Int64(2 + random.next() % 40) * 3_600_000)
                scheduled[handoff.id] = (handoff.createdAt < end.adding(days: -5) ? decideAt : end.adding(days: 1), .decide)
            }
            for (id, plan) in scheduled.sorted(by: { $0.key < $1.key }) where plan.at <= now {
                scheduled[id] = nil
                do {
                    switch plan.what {
                    case .decide:
                        let roll = random.next() % 100
                        if roll < 62 {
                            _ = try await services.sales.feedback(handoffId: id, .accepted)
                            summary.accepted += 1
                            if chance(55) { scheduled[id] = (now.adding(days: Int(5 + random.next() % 16)), .opportunity) }
                        } else if roll < 85 {
                            let reasons: [RejectionReason] = [.notAFit, .noBudget, .badTiming]
                            _ = try await services.sales.feedback(handoffId: id, .rejected(reasons[Int(random.next() % 3)], note: nil))
                            summary.rejected += 1
                        } else {
                            _ = try await services.sales.feedback(handoffId: id, .recycled(note: "Not this quarter"))
                            summary.recycled += 1
                        }
                    case .opportunity:
                        let amount = Double(6 + random.next() % 55) * 1000
                        _ = try await services.sales.feedback(handoffId: id, .opportunity(amount: amount))
                        summary.opportunities += 1
                        summary.pipeline += amount
                        if chance(70) { scheduled[id] = (now.adding(days: Int(10 + random.next() % 30)), .close) }
                    case .close:
                        if chance(55) {
                            _ = try await services.sales.feedback(handoffId: id, .won(amount: nil))
                            summary.won += 1
                        } else {
                            _ = try await services.sales.feedback(handoffId: id, .lost(amount: nil, note: "Chose to stay on their CRM"))
                        }
                    }
                } catch is SalesService.FeedbackError {
                    // The lead moved on meanwhile (a later handoff, a rejection): nothing to decide.
                }
            }
        }
        return summary
    }
}
