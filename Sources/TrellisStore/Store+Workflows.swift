import TrellisCore

/// The nurture stage's part of the store: workflow versions, runs on their due-time index, and
/// the log of actions keyed so that nothing is done twice.
public protocol WorkflowStore: Sendable {
    /// Stores the definition as the workflow's next version (1 for a new workflow).
    func saveWorkflow(_ definition: WorkflowDefinition, status: WorkflowStatus, at: Timestamp) async throws -> WorkflowRecord
    /// Every version of every workflow, oldest first.
    func workflowVersions() async throws -> [WorkflowRecord]
    /// Sets the status of the workflow's newest version (publish, pause, archive); nil if unknown.
    func setWorkflowStatus(name: String, _ status: WorkflowStatus, at: Timestamp) async throws -> WorkflowRecord?
    /// One pass of the engine: events after the cursor (entries, goals, skip-ahead, awaited
    /// events), then runs whose wait is over, all in one transaction with the cursor.
    func advanceWorkflows(_ workflows: WorkflowSet, at now: Timestamp, limit: Int) async throws -> WorkflowReport
    func workflowRuns(contactId: Int64) async throws -> [WorkflowRun]
    /// The contact's workflow actions, oldest first.
    func workflowActions(contactId: Int64) async throws -> [RunAction]
    /// Per step of a workflow: actions by kind, and runs waiting there now.
    func workflowStepCounts(name: String) async throws -> [String: [String: Int]]
}

public struct WorkflowRecord: Sendable, Equatable {
    public var name: String
    public var version: Int
    public var status: WorkflowStatus
    public var definition: WorkflowDefinition
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(name: String, version: Int, status: WorkflowStatus, definition: WorkflowDefinition, createdAt: Timestamp, updatedAt: Timestamp) {
        self.name = name
        self.version = version
        self.status = status
        self.definition = definition
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What one engine pass did.
public struct WorkflowReport: Sendable, Equatable {
    public var events = 0
    public var entered = 0
    public var dueRuns = 0
    /// Actions taken (sends, waits, branches, updates, …), duplicates of a replay not counted.
    public var actions = 0
    public var sends = 0
    public var finished = 0
    public var more = false
    /// When each event that enrolled a contact was received: the event-to-entry lag.
    public var entryReceivedAt: [Timestamp] = []
    /// The pass took no step: the workflows it was given are not the stored ones (see
    /// ``WorkflowSet/fingerprint``); reload them and run again.
    public var staleWorkflows = false

    public init() {}
}
