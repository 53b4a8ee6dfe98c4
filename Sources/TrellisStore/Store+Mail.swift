import TrellisCore

/// The email channel's part of the store: the send queue (one row per send, keyed so a replayed
/// workflow step never queues twice), the suppression list, and what comes back (opens, clicks,
/// unsubscribes, bounces, complaints) written to the contact's timeline.
public protocol MailStore: Sendable {
    /// Moves workflow sends not yet handed to the channel into the email queue, once per key.
    func queueWorkflowSends(at now: Timestamp, limit: Int) async throws -> Int
    /// Queues a send outside workflows (a test send from the API); a known key returns the existing one.
    func queueSend(_ send: NewEmailSend) async throws -> EmailSend
    /// Claims sends whose time has come (queued, deferred, or claimed by a sender that died):
    /// they are leased until `leaseUntil`, so no other pass takes them meanwhile.
    func claimDueSends(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [EmailSend]
    func emailSend(id: Int64) async throws -> EmailSend?
    func emailSend(messageID: String) async throws -> EmailSend?
    /// The contact's sends, newest first.
    func emailSends(contactId: Int64, limit: Int) async throws -> [EmailSend]
    /// When the contact was sent email of this kind since `since`, for frequency caps.
    func sentTimes(contactId: Int64, kind: SendKind, since: Timestamp) async throws -> [Timestamp]
    /// Records what became of a send, with its timeline event, if the send is still claimed by
    /// the caller: `attempt` is the send's `attempts` as its claim returned it. False, and nothing
    /// written, when the claim was lost (its lease ran out and another pass claimed the send again):
    /// that pass's outcome stands, and a late "deferred" cannot put a sent message back in the queue.
    @discardableResult
    func recordOutcome(sendId: Int64, attempt: Int, _ outcome: SendOutcome, at: Timestamp) async throws -> Bool
    /// Counts of sends by status.
    func emailSendCounts() async throws -> [String: Int]

    func suppression(email: String) async throws -> Suppression?
    /// Adds the address (kept lowercased); an existing entry keeps its first reason.
    func suppress(email: String, reason: SuppressionReason, detail: String, at: Timestamp) async throws
    func removeSuppression(email: String) async throws -> Bool
    func suppressions(after: String?, limit: Int) async throws -> [Suppression]
    /// Counts a soft bounce of the address; at `threshold` the address is suppressed. Returns the count.
    func recordSoftBounce(email: String, threshold: Int, at: Timestamp) async throws -> Int

    /// The stored value of a setting, storing `make()` first when there is none (one winner).
    func setting(_ name: String, orStore make: @Sendable () -> String) async throws -> String

    /// Withdraws the contact's email consent with its evidence, suppresses the address and puts
    /// `Unsubscribed` on the timeline. False when the contact was already unsubscribed.
    func unsubscribe(contactId: Int64, sendId: Int64?, evidence: ConsentRecord, at: Timestamp) async throws -> Bool
    /// Appends an email event (Email Opened, Email Clicked, Email Bounced, …) to the contact's timeline.
    func recordEmailEvent(contactId: Int64, name: String, properties: [String: JSONValue], messageId: String, at: Timestamp) async throws
}

/// A send to queue outside the workflow engine.
public struct NewEmailSend: Sendable, Equatable {
    public var key: String
    public var contactId: Int64
    public var template: String
    public var kind: SendKind
    public var to: String?
    public var at: Timestamp

    /// `to` overrides the contact's address (a test send to a colleague).
    public init(key: String, contactId: Int64, template: String, kind: SendKind, to: String? = nil, at: Timestamp) {
        self.key = key
        self.contactId = contactId
        self.template = template
        self.kind = kind
        self.to = to
        self.at = at
    }
}

/// One email on its way, or gone.
public struct EmailSend: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case queued, sending, deferred, sent, failed, skipped, refused }

    public var id: Int64
    public var key: String
    public var contactId: Int64
    public var template: String
    public var kind: SendKind
    public var workflow: String?
    public var step: String?
    /// An address that replaces the contact's (test sends).
    public var to: String?
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Timestamp
    public var messageId: String?
    public var lastError: String?
    public var createdAt: Timestamp
    public var sentAt: Timestamp?

    public init(
        id: Int64, key: String, contactId: Int64, template: String, kind: SendKind, workflow: String?, step: String?, to: String?, status: Status,
        attempts: Int, nextAttemptAt: Timestamp, messageId: String?, lastError: String?, createdAt: Timestamp, sentAt: Timestamp?
    ) {
        self.id = id
        self.key = key
        self.contactId = contactId
        self.template = template
        self.kind = kind
        self.workflow = workflow
        self.step = step
        self.to = to
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.messageId = messageId
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}

/// What happened to a send when it was tried.
public enum SendOutcome: Sendable, Equatable {
    /// Accepted by the relay.
    case sent(messageId: String, reply: String)
    /// Held back by a guard rail (caps, quiet hours) until `until`.
    case deferred(until: Timestamp, reason: String)
    /// A temporary failure (4xx, network): tried again at `until`.
    case retry(until: Timestamp, error: String)
    /// A permanent failure (5xx) or too many temporary ones.
    case failed(error: String)
    /// Not to this contact (suppressed, no consent, no address).
    case skipped(code: String, reason: String)
    /// Not under this configuration (no postal address).
    case refused(reason: String)

    var status: EmailSend.Status {
        switch self {
        case .sent: .sent
        case .deferred, .retry: .deferred
        case .failed: .failed
        case .skipped: .skipped
        case .refused: .refused
        }
    }
}

/// An address that gets no email, and why.
public struct Suppression: Sendable, Equatable {
    public var email: String
    public var reason: SuppressionReason
    public var detail: String
    public var createdAt: Timestamp

    public init(email: String, reason: SuppressionReason, detail: String, createdAt: Timestamp) {
        self.email = email
        self.reason = reason
        self.detail = detail
        self.createdAt = createdAt
    }
}

/// What an outcome does to a send and which event it logs; the same on every store.
struct SendOutcomeChange {
    var nextAttempt: Timestamp
    var messageId: String?
    var error: String?
    var sentAt: Timestamp?
    var event: String
    var properties: [String: JSONValue]

    init(send: EmailSend, outcome: SendOutcome, at now: Timestamp) {
        nextAttempt = send.nextAttemptAt
        messageId = send.messageId
        properties = ["email": .string(send.template), "send_id": .int(send.id)]
        if let workflow = send.workflow { properties["workflow"] = .string(workflow) }
        switch outcome {
        case .sent(let id, let reply):
            messageId = id
            sentAt = now
            properties["message_id"] = .string(id)
            properties["reply"] = .string(reply)
            event = "Email Sent"
        case .deferred(let until, let reason):
            nextAttempt = until
            error = reason
            properties["until"] = .string(until.iso8601)
            properties["reason"] = .string(reason)
            event = "Email Deferred"
        case .retry(let until, let message):
            nextAttempt = until
            error = message
            properties["until"] = .string(until.iso8601)
            properties["error"] = .string(message)
            event = "Email Delivery Delayed"
        case .failed(let message):
            error = message
            properties["error"] = .string(message)
            event = "Email Failed"
        case .skipped(let code, let reason):
            error = reason
            properties["reason"] = .string(code)
            properties["detail"] = .string(reason)
            event = "Email Skipped"
        case .refused(let reason):
            error = reason
            properties["reason"] = .string(reason)
            event = "Email Refused"
        }
    }
}
