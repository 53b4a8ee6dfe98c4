import Foundation
import Logging
import TrellisCore
import TrellisMail
import TrellisStore

/// Stages 7 and 8 in serve mode: hands ready leads to sales with their storyline, routes them,
/// calls the CRM webhook (signed, retried, dead-lettered), emails the owner with signed accept /
/// reject / recycle links, watches the SLA (reminder, then reassignment or escalation), applies
/// sales feedback to the lifecycle stage, and retrains the predictive score on outcomes.
/// Tests drive it with ``drain()`` on a test clock.
public actor SalesService {
    let store: any Store
    let clock: any TrellisClock
    let metrics: ServerMetrics?
    let logger: Logger
    let zones: any TimeZoneOffsets
    public private(set) var setup: SalesSetup?
    var router: LeadRouter?
    var links: (signer: LinkSigner, baseURL: String)?
    var alerts: (transport: any MailTransport, sender: TrellisConfig.Sender, dkim: [DKIMSigner])?
    var scorer: @Sendable () async -> LeadScorer? = { nil }
    var webhookClient = WebhookClient()
    /// Retrain the predictive model when the newest is older than this; nil: only on demand.
    public private(set) var retrainEvery: RuleDuration? = .days(7)
    private let signal = PassSignal()

    public init(store: any Store, clock: any TrellisClock, metrics: ServerMetrics? = nil, zones: any TimeZoneOffsets = SystemTimeZones(), logger: Logger = Logger(label: "trellis.sales")) {
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.zones = zones
        self.logger = logger
    }

    public func configure(
        _ setup: SalesSetup, signer: LinkSigner, baseURL: String, alerts: (transport: any MailTransport, sender: TrellisConfig.Sender, dkim: [DKIMSigner])?,
        scorer: @escaping @Sendable () async -> LeadScorer?, webhookClient: WebhookClient = WebhookClient()
    ) {
        self.setup = setup
        router = LeadRouter(setup: setup)
        links = (signer, baseURL)
        self.alerts = alerts
        self.scorer = scorer
        self.webhookClient = webhookClient
    }

    public nonisolated func notify() { signal.notify() }

    public func setRetrain(_ every: RuleDuration?) { retrainEvery = every }

    public func run() async {
        await signal.run(logger: logger, name: "sales") { _ = try await drain() }
    }

    public struct Report: Sendable, Equatable {
        public var handedOff = 0
        public var reminded = 0
        public var reassigned = 0
        public var escalated = 0
        /// Webhook calls answered 2xx (or alerts accepted by SMTP) whose delivery this pass recorded.
        public var webhooksDelivered = 0
        /// Attempts that failed (not 2xx, or no answer); each is retried later or dead-lettered.
        public var webhooksFailed = 0
        /// Attempts whose claim ran out before their outcome was written: the pass that claimed the
        /// delivery next records (and counts) it, so the receiver may see the call twice.
        public var webhooksSuperseded = 0
        public var retrained: Int?
        public init() {}
    }

    @discardableResult
    public func drain() async throws -> Report {
        var report = Report()
        guard let setup else { return report }
        for trigger in try await store.takeHandoffTriggers(stage: setup.handoff.stage, at: clock.now(), limit: 500) {
            if try await handOff(trigger) != nil { report.handedOff += 1 }
        }
        try await watchSLA(&report)
        try await deliverWebhooks(&report)
        if let retrainEvery {
            let latest = try await store.latestPredictiveModel()
            if latest.map({ $0.createdAt.adding(retrainEvery) <= clock.now() }) ?? true, let trained = try? await train() {
                report.retrained = trained.version
            }
        }
        return report
    }

    // MARK: Handoff

    func facts(_ contactId: Int64, at now: Timestamp) async throws -> ContactFacts? {
        guard let setup else { return nil }
        var needs = FactNeeds(rules: setup.rules)
        needs.eventNames.formUnion(OutcomeFeatures.eventNames)
        needs.filteredEventNames.insert("Page Viewed")
        needs.eventWindow = nil
        return try await store.contactFacts(contactId: contactId, needs: needs, scorer: await scorer(), at: now)
    }

    func dueTimes(for owner: SalesOwner, from now: Timestamp, policy: HandoffPolicy) -> (due: Timestamp, remind: Timestamp?) {
        let zones = zones
        let offset: (Timestamp) -> Int64 = { zones.offset(zone: owner.hours.zone, at: $0) }
        let due = owner.hours.adding(businessHours: policy.slaHours, to: now, offset: offset)
        let remind = policy.remindAfterHours.flatMap { $0 < policy.slaHours ? owner.hours.adding(businessHours: $0, to: now, offset: offset) : nil }
        return (due, remind)
    }

    /// Routes the lead and stores the handoff; nil when no team takes it or it is already with sales.
    public func handOff(_ trigger: HandoffTrigger) async throws -> Handoff? {
        guard let setup, let router else { return nil }
        let now = clock.now()
        guard let facts = try await facts(trigger.contactId, at: now) else { return nil }
        var accountOwner: String?
        if let accountId = facts.contact.accountId { accountOwner = try await store.accountOwner(accountId: accountId) }
        guard
            let decision = router.route(
                facts, accountOwner: accountOwner, loads: try await store.ownerLoads(), cursors: try await store.routingCursors(), at: now)
        else {
            logger.warning("contact \(trigger.contactId): no team's territory takes this lead; add a team without a territory")
            return nil
        }
        var context = try await storyline(facts, reason: trigger.reason, at: now)
        let times = dueTimes(for: decision.owner, from: now, policy: setup.handoff)
        context["owner"] = ["id": .string(decision.owner.id), "name": .string(decision.owner.name), "email": .string(decision.owner.email), "team": .string(decision.team)]
        context["assignmentReason"] = .string(decision.reason)
        context["sla"] = ["dueAt": .string(times.due.iso8601), "businessHours": .double(setup.handoff.slaHours)]
        let (handoff, created) = try await store.createHandoff(
            NewHandoff(
                key: trigger.key, contactId: facts.contact.id, owner: decision.owner, team: decision.team, reason: trigger.reason,
                assignmentReason: decision.reason, context: .object(context), dueAt: times.due, remindAt: times.remind, cursor: decision.cursor,
                webhookURL: nil, at: now))
        guard created else { return nil }
        var payload = context
        payload["event"] = "handoff.created"
        payload["handoffId"] = .int(handoff.id)
        payload["links"] = .object(feedbackLinks(handoff).mapValues(JSONValue.string))
        if let webhook = setup.handoff.webhook {
            try await store.queueWebhook(handoffId: handoff.id, kind: "handoff.created", url: webhook.url, payload: JSONValue.object(payload).jsonText, at: now)
        }
        await alert(
            to: decision.owner.email, subject: "New lead for you: \(Self.name(context)) — \(trigger.reason)",
            text: Self.alertText(payload, handoff: handoff, links: feedbackLinks(handoff)))
        metrics?.emailEvent("Handed Off")
        return handoff
    }

    func storyline(_ facts: ContactFacts, reason: String, at now: Timestamp) async throws -> [String: JSONValue] {
        let events = try await store.timeline(contactId: facts.contact.id, before: nil, limit: 1_000)
        var snapshot: ScoreSnapshot?
        var changes: [ScoreChange] = []
        if let scorer = await scorer(), let score = try await store.score(contactId: facts.contact.id) {
            snapshot = scorer.snapshot(score.state, at: now)
            changes = score.changes
        }
        let built = HandoffContext.build(
            contact: facts.contact, account: facts.account, events: events, score: snapshot, scoreReasons: changes,
            nextStep: router?.suggestedNextStep(facts, at: now), reason: reason, at: now)
        var context = built.objectValue ?? [:]
        if let predicted = try await predict(facts, at: now) { context["predicted"] = predicted }
        return context
    }

    /// The model score beside the rule score: probability and its top features.
    public func predict(_ facts: ContactFacts, at now: Timestamp) async throws -> JSONValue? {
        guard let stored = try await store.latestPredictiveModel(),
            let model = try? JSONDecoder().decode(LogisticRegression.self, from: Data(stored.model.utf8))
        else { return nil }
        let row = OutcomeFeatures.row(facts, at: now)
        return [
            "version": .int(Int64(stored.version)), "probability": .double((model.probability(row) * 1000).rounded() / 1000),
            "topFeatures": .array(model.contributions(row).map { ["feature": .string($0.feature), "effect": .double(($0.effect * 100).rounded() / 100)] }),
        ]
    }

    public func predict(contactId: Int64) async throws -> JSONValue? {
        guard setup != nil, let facts = try await facts(contactId, at: clock.now()) else { return nil }
        return try await predict(facts, at: clock.now())
    }

    func feedbackLinks(_ handoff: Handoff) -> [String: String] {
        guard let links else { return [:] }
        let token = links.signer.sign(LinkPayload(purpose: .handoff, sendId: handoff.id, contactId: handoff.contactId))
        return ["accept": "\(links.baseURL)/h/\(token)?action=accept", "reject": "\(links.baseURL)/h/\(token)?action=reject",
                "recycle": "\(links.baseURL)/h/\(token)?action=recycle"]
    }

    static func name(_ context: [String: JSONValue]) -> String {
        let contact = context["contact"]?.objectValue ?? [:]
        let name = contact["name"]?.stringValue ?? contact["email"]?.stringValue ?? "a lead"
        if let company = contact["company"]?.stringValue ?? context["account"]?["name"]?.stringValue { return "\(name) (\(company))" }
        return name
    }

    static func alertText(_ payload: [String: JSONValue], handoff: Handoff, links: [String: String]) -> String {
        var lines = ["\(name(payload)) is ready for sales: \(handoff.reason).", ""]
        if let email = payload["contact"]?["email"]?.stringValue { lines.append("Email: \(email)") }
        if let title = payload["contact"]?["title"]?.stringValue { lines.append("Title: \(title)") }
        if let score = payload["score"]?.objectValue {
            let reasons = (score["topReasons"]?.arrayValue ?? []).compactMap { $0["reason"]?.stringValue }.joined(separator: "; ")
            lines.append("Score: \(score["total"].map { "\($0.doubleValue ?? 0)" } ?? "?") (grade \(score["grade"]?.stringValue ?? "?")): \(reasons)")
        }
        if let pain = payload["painPoint"]?.stringValue { lines.append("Pain point: \(pain)") }
        if let first = payload["firstTouch"]?.objectValue {
            lines.append("First touch: \(first["event"]?.stringValue ?? "") \(first["page"]?.stringValue ?? "") (\(first["utmSource"]?.stringValue ?? first["channel"]?.stringValue ?? ""))")
        }
        let consumed = (payload["contentConsumed"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !consumed.isEmpty { lines.append("Read: \(consumed.joined(separator: ", "))") }
        if let next = payload["suggestedNextStep"]?.stringValue { lines.append("Suggested next step: \(next)") }
        lines.append("Why you: \(handoff.assignmentReason)")
        lines.append("Follow up by: \(handoff.dueAt.iso8601)")
        lines.append("")
        for action in ["accept", "reject", "recycle"] { if let link = links[action] { lines.append("\(action.capitalized): \(link)") } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Queues a plain-text alert to someone in sales. It goes out through the same outbox as the
    /// CRM webhook (a `mailto:` delivery), so an SMTP outage delays it and retries it, and a
    /// crash loses nothing.
    func alert(to address: String, subject: String, text: String) async {
        guard let alerts else { return }
        var random = SystemRandomNumberGenerator()
        let message = MailMessage(
            from: alerts.sender.from, to: [MailAddress(address: address)], subject: ContentLibrary.singleLineName(subject), date: clock.now(),
            messageID: "<h\(String(random.next(), radix: 36))@\(alerts.sender.from.domain)>", headers: [("Auto-Submitted", "auto-generated")], text: text)
        var data = message.render(boundary: "=_trellis_\(String(random.next(), radix: 36))")
        for signer in alerts.dkim { if let signed = try? signer.sign(data, at: clock.now()) { data = signed } }
        do {
            try await store.queueWebhook(handoffId: nil, kind: "alert", url: "mailto:\(address)", payload: data, at: clock.now())
        } catch {
            logger.error("alert to \(address) not queued: \(error)")
        }
    }

    // MARK: SLA

    func watchSLA(_ report: inout Report) async throws {
        guard let setup, let router else { return }
        let now = clock.now()
        for handoff in try await store.dueHandoffs(at: now, limit: 200) {
            let owner = setup.owner(handoff.owner)
            if handoff.dueAt > now {
                // Only the reminder is due.
                if let owner {
                    await alert(
                        to: owner.email, subject: "Reminder: follow up with \(Self.name(handoff.context.objectValue ?? [:])) by \(handoff.dueAt.iso8601)",
                        text: Self.alertText(handoff.context.objectValue ?? [:], handoff: handoff, links: feedbackLinks(handoff)))
                }
                try await store.markReminded(handoffId: handoff.id, at: now)
                report.reminded += 1
                continue
            }
            var reassigned = false
            if setup.handoff.onLapse == .reassign, let facts = try await facts(handoff.contactId, at: now),
                let decision = router.route(
                    facts, accountOwner: nil, loads: try await store.ownerLoads(), cursors: try await store.routingCursors(), excluding: [handoff.owner], at: now)
            {
                let times = dueTimes(for: decision.owner, from: now, policy: setup.handoff)
                let moved = try await store.reassign(
                    handoffId: handoff.id, to: decision.owner, reason: "SLA lapsed for \(handoff.owner); \(decision.reason)", dueAt: times.due,
                    remindAt: times.remind, at: now)
                await alert(
                    to: decision.owner.email, subject: "Reassigned to you: \(Self.name(handoff.context.objectValue ?? [:]))",
                    text: Self.alertText(handoff.context.objectValue ?? [:], handoff: moved, links: feedbackLinks(moved)))
                if let webhook = setup.handoff.webhook {
                    let payload: JSONValue = ["event": "handoff.reassigned", "handoffId": .int(handoff.id), "from": .string(handoff.owner), "to": .string(decision.owner.id)]
                    try await store.queueWebhook(handoffId: handoff.id, kind: "handoff.reassigned", url: webhook.url, payload: payload.jsonText, at: now)
                }
                report.reassigned += 1
                reassigned = true
            }
            if !reassigned {
                let lead = owner.flatMap { setup.team($0.team)?.lead }
                try await store.markEscalated(handoffId: handoff.id, to: lead, at: now)
                if let lead {
                    await alert(
                        to: lead, subject: "SLA lapsed: \(Self.name(handoff.context.objectValue ?? [:])) with \(handoff.owner)",
                        text: Self.alertText(handoff.context.objectValue ?? [:], handoff: handoff, links: feedbackLinks(handoff)))
                }
                report.escalated += 1
            }
        }
    }

    // MARK: Feedback

    public enum FeedbackError: Error, CustomStringConvertible {
        case unknown(Int64)
        case closed(Handoff)

        public var description: String {
            switch self {
            case .unknown(let id): "handoff \(id) does not exist"
            case .closed(let handoff): "handoff \(handoff.id) is closed (\(handoff.status.rawValue))"
            }
        }
    }

    /// Applies sales feedback: accepted → SAL; rejected → disqualified or back to nurture (as
    /// configured); recycled → recycled (workflows with `stage_changed: { to: recycled }` pick it
    /// up); opportunity → opportunity; won → customer; lost → recycled.
    public func feedback(handoffId: Int64, _ feedback: HandoffFeedback) async throws -> Handoff {
        guard let handoff = try await store.handoff(id: handoffId) else { throw FeedbackError.unknown(handoffId) }
        guard handoff.status != .won, handoff.status != .lost else { throw FeedbackError.closed(handoff) }
        let current = try await store.contact(id: handoff.contactId)?.stage
        var stage: LifecycleStage?
        var clearOwner = false
        switch feedback {
        case .accepted: stage = (current.map { $0.rank < LifecycleStage.sal.rank } ?? true) ? .sal : nil
        case .rejected(let reason, _):
            let path = setup?.handoff.rejected[reason] ?? .nurture
            stage = path == .disqualified ? .disqualified : .lead
            clearOwner = true
        case .recycled:
            stage = .recycled
            clearOwner = true
        case .opportunity: stage = .opportunity
        case .won: stage = .customer
        case .lost:
            stage = .recycled
            clearOwner = true
        }
        let updated = try await store.recordFeedback(handoffId: handoffId, feedback, stage: stage, clearOwner: clearOwner, at: clock.now())
        if let webhook = setup?.handoff.webhook {
            let payload: JSONValue = [
                "event": "handoff.feedback", "handoffId": .int(handoffId), "outcome": .string(updated.status.rawValue),
                "reason": updated.outcomeReason.map(JSONValue.string) ?? .null,
            ]
            try await store.queueWebhook(handoffId: handoffId, kind: "handoff.feedback", url: webhook.url, payload: payload.jsonText, at: clock.now())
        }
        return updated
    }

    // MARK: Webhooks

    func deliverWebhooks(_ report: inout Report) async throws {
        guard setup != nil else { return }
        let webhook = setup?.handoff.webhook ?? WebhookTarget(url: "", secret: "", maxAttempts: 8)
        let alerts = alerts
        let now = clock.now()
        let due = try await store.claimDueWebhooks(at: now, leaseUntil: now.adding(milliseconds: 120_000), limit: 200)
        guard !due.isEmpty else { return }
        let client = webhookClient, clock = clock
        let outcomes = await withTaskGroup(of: (WebhookDelivery, Result<Int, any Error>).self, returning: [(WebhookDelivery, Result<Int, any Error>)].self) { group in
            for delivery in due {
                group.addTask {
                    if delivery.url.hasPrefix("mailto:") {
                        // An owner's alert: SMTP instead of HTTP (250 counts as 200).
                        guard let alerts else { return (delivery, .failure(WebhookClient.Failure(description: "no SMTP server is configured"))) }
                        let address = String(delivery.url.dropFirst("mailto:".count))
                        let envelope = SMTPSession.Envelope(from: alerts.sender.returnPath ?? alerts.sender.from.address, recipients: [address], data: delivery.payload)
                        switch await alerts.transport.deliver(envelope) {
                        case .success: return (delivery, .success(200))
                        case .failure(let failure): return (delivery, .failure(failure))
                        }
                    }
                    let seconds = clock.now().millisecondsSinceEpoch / 1000
                    let headers = [
                        ("X-Trellis-Signature", WebhookClient.signature(body: delivery.payload, secret: webhook.secret, at: seconds)),
                        ("X-Trellis-Delivery", String(delivery.id)), ("X-Trellis-Event", delivery.kind),
                    ]
                    do {
                        return (delivery, .success(try await client.post(url: delivery.url, headers: headers, body: delivery.payload)))
                    } catch {
                        return (delivery, .failure(error))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (delivery, result) in outcomes {
            let error: String
            switch result {
            case .success(let status) where (200..<300).contains(status):
                if try await record(delivery, .delivered) { report.webhooksDelivered += 1 } else { report.webhooksSuperseded += 1 }
                continue
            case .success(let status): error = "HTTP \(status)"
            case .failure(let failure): error = "\(failure)"
            }
            report.webhooksFailed += 1
            let recorded: Bool
            if delivery.attempts >= webhook.maxAttempts {
                recorded = try await record(delivery, .dead(error: "\(error) (gave up after \(delivery.attempts) attempts)"))
                if recorded { logger.error("webhook \(delivery.id) dead-lettered: \(error)") }
            } else {
                let backoff = min(Int64(30_000) << Int64(min(delivery.attempts - 1, 16)), 3_600_000)
                recorded = try await record(delivery, .retry(until: clock.now().adding(milliseconds: backoff), error: error))
            }
            if !recorded { report.webhooksSuperseded += 1 }
        }
    }

    /// Records a delivery's outcome under its claim; false when the claim's lease ran out, which
    /// leaves the outcome to the pass that claimed the delivery next.
    private func record(_ delivery: WebhookDelivery, _ outcome: WebhookOutcome) async throws -> Bool {
        if try await store.recordWebhook(id: delivery.id, attempt: delivery.attempts, outcome, at: clock.now()) { return true }
        logger.warning("webhook \(delivery.id): claim lost before its outcome was recorded")
        return false
    }

    // MARK: Training

    public struct Training: Sendable {
        public var version: Int
        public var auc: Double
        public var trainedOn: Int
        public var heldOut: Int
        public var calibration: [(predicted: Double, observed: Double, count: Int)]
        public var ranking: [(feature: String, weight: Double)]
    }

    public struct TrainingError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Fits the model on handoff outcomes (accepted / won versus rejected / lost), with one lead in
    /// four held out for the AUC and calibration, and stores it as the next version.
    public func train() async throws -> Training {
        let outcomes = try await store.handoffOutcomes()
        let positives = outcomes.filter(\.positive).count
        guard outcomes.count >= 20, positives >= 5, outcomes.count - positives >= 5 else {
            throw TrainingError(description: "not enough outcomes to learn from: \(outcomes.count) (\(positives) positive); at least 20, with 5 of each")
        }
        let now = clock.now()
        var needs = FactNeeds(eventNames: OutcomeFeatures.eventNames, eventWindow: nil, filteredEventNames: ["Page Viewed"], accountRules: false, memberships: false)
        needs.memberships = false
        var train: ([[Double]], [Bool]) = ([], []), test: ([[Double]], [Bool]) = ([], [])
        for outcome in outcomes {
            guard let facts = try await store.contactFacts(contactId: outcome.contactId, needs: needs, scorer: nil, at: now) else { continue }
            let row = OutcomeFeatures.row(facts, at: now)
            // A fixed quarter held out (by contact id), so retraining compares like with like.
            if outcome.contactId % 4 == 0 {
                test.0.append(row)
                test.1.append(outcome.positive)
            } else {
                train.0.append(row)
                train.1.append(outcome.positive)
            }
        }
        let model = LogisticRegression.fit(features: OutcomeFeatures.names, rows: train.0, labels: train.1)
        let scores = test.0.map(model.probability)
        let auc = LogisticRegression.auc(scores: scores, labels: test.1)
        let calibration = LogisticRegression.calibration(scores: scores, labels: test.1)
        let metrics: JSONValue = [
            "auc": .double(auc), "trainedOn": .int(Int64(train.0.count)), "heldOut": .int(Int64(test.0.count)),
            "calibration": .array(calibration.map { ["predicted": .double($0.predicted), "observed": .double($0.observed), "count": .int(Int64($0.count))] }),
            "topFeatures": .array(model.ranking.prefix(5).map { ["feature": .string($0.feature), "weight": .double($0.weight)] }),
        ]
        let encoded = String(decoding: try JSONEncoder().encode(model), as: UTF8.self)
        let version = try await store.savePredictiveModel(encoded, metrics: metrics.jsonText, at: now)
        return Training(version: version, auc: auc, trainedOn: train.0.count, heldOut: test.0.count, calibration: calibration, ranking: model.ranking)
    }
}
