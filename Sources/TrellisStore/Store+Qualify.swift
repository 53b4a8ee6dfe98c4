import TrellisCore

/// The qualify stage's part of the store: segments, memberships, scores and the work queue that
/// keeps them current. Both stores implement it with the same meaning.
public protocol QualifyStore: Sendable {
    /// Creates the segment or, if one of that name exists, replaces its rule (the version goes up
    /// and its membership is computed again).
    func saveSegment(_ definition: SegmentDefinition, at: Timestamp) async throws -> SegmentRecord
    func segments() async throws -> [SegmentRecord]
    func segment(id: Int64) async throws -> SegmentRecord?
    func deleteSegment(id: Int64) async throws -> Bool
    /// Members in contact id order, after `afterContactId`.
    func segmentMembers(segmentId: Int64, afterContactId: Int64?, limit: Int) async throws -> [Contact]
    /// The segments a contact is in, with the time it entered each.
    func memberships(contactId: Int64) async throws -> [(segment: String, since: Timestamp)]

    func saveScoringModel(_ model: ScoringModel, at: Timestamp) async throws
    func scoringModel() async throws -> ScoringModel?
    /// The contact's score state and every stored change, oldest first.
    func score(contactId: Int64) async throws -> (state: ScoreState, changes: [ScoreChange])?

    /// Qualifies the contacts that have new events since the last call, and those whose check
    /// is due, in one transaction: scores, stages, memberships, their events, the next checks.
    func qualify(with qualifier: Qualifier, at now: Timestamp, limit: Int) async throws -> QualifyReport
    /// Computes one segment over all contacts by streaming, writing who entered and left.
    func recompute(
        segmentId: Int64, with qualifier: Qualifier, at now: Timestamp, progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void
    ) async throws -> RecomputeReport
    /// Every segment's rule evaluated for one contact now, with the reasons, by segment name.
    func explain(contactId: Int64, with qualifier: Qualifier, at now: Timestamp) async throws -> [String: RuleOutcome]
    /// Counts who matches `rule` now, without saving anything.
    func preview(_ rule: Rule, with qualifier: Qualifier, at now: Timestamp, sampleSize: Int) async throws -> PreviewReport
}

/// A stored segment with its computation state.
public struct SegmentRecord: Sendable, Equatable {
    public var id: Int64
    public var definition: SegmentDefinition
    public var version: Int
    /// The version whose full computation has finished; less than `version` while computing.
    public var computedVersion: Int
    public var progressDone: Int
    public var progressTotal: Int
    public var memberCount: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: Int64, definition: SegmentDefinition, version: Int, computedVersion: Int, progressDone: Int, progressTotal: Int, memberCount: Int,
        createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.definition = definition
        self.version = version
        self.computedVersion = computedVersion
        self.progressDone = progressDone
        self.progressTotal = progressTotal
        self.memberCount = memberCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What one qualify pass did.
public struct QualifyReport: Sendable, Equatable {
    public var events = 0
    public var contacts = 0
    public var dueChecks = 0
    public var entered = 0
    public var exited = 0
    public var stageChanges = 0
    public var scoreChanges = 0
    /// True when the pass stopped at its limit and more work is waiting.
    public var more = false
    /// When each event the pass read was received: the lag from ingest to qualification.
    public var receivedAt: [Timestamp] = []

    public init() {}
}

/// What a full computation of one segment did.
public struct RecomputeReport: Sendable, Equatable {
    public var contacts = 0
    public var members = 0
    public var entered = 0
    public var exited = 0

    public init() {}
}

/// How many contacts match a rule now, of how many, with a few of them.
public struct PreviewReport: Sendable, Equatable {
    public var matching: Int
    public var contacts: Int
    public var sample: [Int64]

    public init(matching: Int, contacts: Int, sample: [Int64]) {
        self.matching = matching
        self.contacts = contacts
        self.sample = sample
    }
}

/// Names of the events the qualify stage writes to the log.
public enum QualifyEvents {
    public static let segmentEntered = "Segment Entered"
    public static let segmentExited = "Segment Exited"
    public static let stageChanged = "Lifecycle Stage Changed"
}
