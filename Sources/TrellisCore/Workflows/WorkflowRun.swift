/// One contact's way through one version of a workflow: where it is, what it waits for.
/// The store keeps it; the engine moves it.
public struct WorkflowRun: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case active, waiting, finished }

    public var id: String
    public var workflow: String
    /// The version the contact started on: publishing a new one leaves the run on this one.
    public var version: Int
    public var contactId: Int64
    /// Index into the program's instructions.
    public var position: Int
    public var status: Status
    /// For waits: when to go on (a `wait_until` goes on earlier if its event comes).
    public var wakeAt: Timestamp?
    public var enteredAt: Timestamp
    public var variant: String?
    /// Instructions executed so far: with the run id, the idempotency key of each step.
    public var executed: Int
    /// Why the run finished: completed, goal, holdout, not_eligible.
    public var finishReason: String?

    public init(id: String, workflow: String, version: Int, contactId: Int64, enteredAt: Timestamp) {
        self.id = id
        self.workflow = workflow
        self.version = version
        self.contactId = contactId
        self.position = 0
        self.status = .active
        self.enteredAt = enteredAt
        self.executed = 0
    }
}

/// Something a run did, in the simulator's words: enter, send, wait, branch, split, update, goto,
/// enroll, remove, handoff, exit. `key` is unique per run and step execution, so a replay after a
/// crash produces the same keys and a channel can refuse a second send.
public struct RunAction: Sendable, Equatable {
    public enum Kind: String, Sendable { case enter, send, wait, branch, split, update, goto, enroll, remove, handoff, exit }
    public var kind: Kind
    public var at: Timestamp
    public var step: String
    public var key: String
    public var detail: String
    /// The step's payload for the channel or the store (send, update, enroll, remove, handoff).
    public var action: StepAction?

    public init(kind: Kind, at: Timestamp, step: String, key: String, detail: String, action: StepAction? = nil) {
        self.kind = kind
        self.at = at
        self.step = step
        self.key = key
        self.detail = detail
        self.action = action
    }
}

/// Offsets of contacts' time zones, for waits on a weekday and hour window. The core cannot read
/// the time zone database itself; the server passes one in. UTC when absent.
public protocol TimeZoneOffsets: Sendable {
    /// Milliseconds to add to UTC for local time in `zone` at `time`.
    func offset(zone: String, at time: Timestamp) -> Int64
}

/// Every zone is UTC: for tests, and when no zone database is available.
public struct UTCOnly: TimeZoneOffsets {
    public init() {}
    public func offset(zone: String, at time: Timestamp) -> Int64 { 0 }
}
