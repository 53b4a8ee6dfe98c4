import TrellisCore

/// The sales handoff's part of the store: handoffs with their storyline and SLA, the round-robin
/// positions, the CRM webhook outbox, and predictive model versions.
public protocol SalesStore: Sendable {
    /// What rules need to know about a contact now (events the `needs` name, score readings).
    func contactFacts(contactId: Int64, needs: FactNeeds, scorer: LeadScorer?, at now: Timestamp) async throws -> ContactFacts?
    /// Takes the triggers not handled yet: workflow `handoff` steps, and stage changes to `stage`.
    func takeHandoffTriggers(stage: LifecycleStage?, at now: Timestamp, limit: Int) async throws -> [HandoffTrigger]
    /// Open handoffs per owner.
    func ownerLoads() async throws -> [String: Int]
    func routingCursors() async throws -> [String: Int]
    /// Who owns the account's leads (the owner of its most recent handoff), if anyone.
    func accountOwner(accountId: Int64) async throws -> String?
    /// Stores the handoff (its owner becomes the contact's owner), the team's round-robin position,
    /// the timeline event, and the webhook delivery. A contact with an open handoff gets no second
    /// one: that one is returned with `created` false.
    func createHandoff(_ handoff: NewHandoff) async throws -> (handoff: Handoff, created: Bool)
    func handoff(id: Int64) async throws -> Handoff?
    /// Newest first.
    func handoffs(status: Handoff.Status?, owner: String?, contactId: Int64?, limit: Int) async throws -> [Handoff]
    /// Records sales feedback: the handoff's status, the contact's stage (with the reason), first
    /// touch, and `Sales Feedback` on the timeline.
    func recordFeedback(handoffId: Int64, _ feedback: HandoffFeedback, stage: LifecycleStage?, clearOwner: Bool, at now: Timestamp) async throws -> Handoff
    /// Open handoffs whose reminder or deadline has come.
    func dueHandoffs(at now: Timestamp, limit: Int) async throws -> [Handoff]
    func markReminded(handoffId: Int64, at now: Timestamp) async throws
    func reassign(handoffId: Int64, to owner: SalesOwner, reason: String, dueAt: Timestamp, remindAt: Timestamp?, at now: Timestamp) async throws -> Handoff
    func markEscalated(handoffId: Int64, to lead: String?, at now: Timestamp) async throws

    func queueWebhook(handoffId: Int64?, kind: String, url: String, payload: String, at now: Timestamp) async throws
    func claimDueWebhooks(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [WebhookDelivery]
    /// Records a delivery's outcome if it is still claimed by the caller (`attempt`: the delivery's
    /// `attempts` as its claim returned it); false, and nothing written, when the claim was lost.
    @discardableResult
    func recordWebhook(id: Int64, attempt: Int, _ outcome: WebhookOutcome, at now: Timestamp) async throws -> Bool
    func webhookDeliveries(status: WebhookDelivery.Status?, limit: Int) async throws -> [WebhookDelivery]

    func savePredictiveModel(_ model: String, metrics: String, at now: Timestamp) async throws -> Int
    func latestPredictiveModel() async throws -> (version: Int, model: String, metrics: String, createdAt: Timestamp)?
    /// Contacts whose handoff ended: accepted, opportunity or won are positive; rejected or lost negative.
    func handoffOutcomes() async throws -> [(contactId: Int64, positive: Bool)]
    /// Rejections counted by reason, by source and by segment.
    func rejectionReport() async throws -> [(reason: String, dimension: String, value: String, count: Int)]
}

/// Something that hands a lead to sales.
public struct HandoffTrigger: Sendable, Equatable {
    public var key: String
    public var contactId: Int64
    public var reason: String

    public init(key: String, contactId: Int64, reason: String) {
        self.key = key
        self.contactId = contactId
        self.reason = reason
    }
}

public struct NewHandoff: Sendable {
    public var key: String
    public var contactId: Int64
    public var owner: SalesOwner
    public var team: String
    public var reason: String
    public var assignmentReason: String
    public var context: JSONValue
    public var dueAt: Timestamp
    public var remindAt: Timestamp?
    /// The team's new round-robin position.
    public var cursor: Int?
    /// The CRM webhook to call with the context, if one is configured.
    public var webhookURL: String?
    public var at: Timestamp

    public init(
        key: String, contactId: Int64, owner: SalesOwner, team: String, reason: String, assignmentReason: String, context: JSONValue, dueAt: Timestamp,
        remindAt: Timestamp?, cursor: Int?, webhookURL: String?, at: Timestamp
    ) {
        self.key = key
        self.contactId = contactId
        self.owner = owner
        self.team = team
        self.reason = reason
        self.assignmentReason = assignmentReason
        self.context = context
        self.dueAt = dueAt
        self.remindAt = remindAt
        self.cursor = cursor
        self.webhookURL = webhookURL
        self.at = at
    }
}

public struct Handoff: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case open, accepted, rejected, recycled, opportunity, won, lost }

    public var id: Int64
    public var contactId: Int64
    public var owner: String
    public var team: String
    public var reason: String
    public var assignmentReason: String
    public var status: Status
    public var context: JSONValue
    public var createdAt: Timestamp
    public var dueAt: Timestamp
    public var remindAt: Timestamp?
    public var remindedAt: Timestamp?
    public var lapsedAt: Timestamp?
    public var firstTouchAt: Timestamp?
    public var outcomeReason: String?
    public var amount: Double?
    public var updatedAt: Timestamp

    /// Time from handoff to the first sales response, when there was one.
    public var timeToFirstTouch: Int64? { firstTouchAt.map { $0.millisecondsSinceEpoch - createdAt.millisecondsSinceEpoch } }
}

/// What sales said about a lead.
public enum HandoffFeedback: Sendable, Equatable {
    case accepted
    case rejected(RejectionReason, note: String?)
    case recycled(note: String?)
    case opportunity(amount: Double?)
    case won(amount: Double?)
    case lost(amount: Double?, note: String?)

    public var status: Handoff.Status {
        switch self {
        case .accepted: .accepted
        case .rejected: .rejected
        case .recycled: .recycled
        case .opportunity: .opportunity
        case .won: .won
        case .lost: .lost
        }
    }
}

public struct WebhookDelivery: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case pending, sending, delivered, dead }

    public var id: Int64
    public var handoffId: Int64?
    public var kind: String
    public var url: String
    public var payload: String
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Timestamp
    public var lastError: String?
    public var createdAt: Timestamp
    public var deliveredAt: Timestamp?
}

public enum WebhookOutcome: Sendable, Equatable {
    case delivered
    case retry(until: Timestamp, error: String)
    case dead(error: String)
}
