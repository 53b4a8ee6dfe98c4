/// One message on its way into the store, with what capture paths other than the tracking API
/// know about it (consent evidence from a form, an owner from an import).
public struct IngestMessage: Sendable, Equatable {
    public var message: TrackingMessage
    public var consent: ConsentRecord?
    public var stage: LifecycleStage?
    public var owner: String?

    public init(_ message: TrackingMessage, consent: ConsentRecord? = nil, stage: LifecycleStage? = nil, owner: String? = nil) {
        self.message = message
        self.consent = consent
        self.stage = stage
        self.owner = owner
    }
}

/// The unit of durability: a batch is stored all or nothing, and acknowledged only once committed.
public struct IngestBatch: Sendable, Equatable {
    /// The source it came from (a write key's source, `forms`, `import`, `api`); messageIds are
    /// unique per source.
    public var source: String
    public var receivedAt: Timestamp
    public var messages: [IngestMessage]

    public init(source: String, receivedAt: Timestamp, messages: [IngestMessage]) {
        self.source = source
        self.receivedAt = receivedAt
        self.messages = messages
    }
}

/// What storing a batch did.
public struct IngestOutcome: Sendable, Equatable {
    public var stored: Int
    /// Messages whose messageId was already stored for the source: a retry, skipped.
    public var duplicates: Int
    /// The contact each message was attributed to (nil for a duplicate).
    public var contactIds: [Int64?]

    public init(stored: Int = 0, duplicates: Int = 0, contactIds: [Int64?] = []) {
        self.stored = stored
        self.duplicates = duplicates
        self.contactIds = contactIds
    }
}
