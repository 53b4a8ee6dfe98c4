/// One message on its way into the store, with what capture paths other than the tracking API
/// know about it (consent evidence from a form, an owner from an import).
public struct IngestMessage: Sendable, Equatable {
    public let message: TrackingMessage
    public var consent: ConsentRecord?
    public var stage: LifecycleStage?
    public var owner: String?
    /// The event's properties and context as stored JSON text. Encoded when the message is made,
    /// on the request's own task, so the single writer spends its time on the database only.
    public let propertiesText: String
    public let contextText: String

    public init(_ message: TrackingMessage, consent: ConsentRecord? = nil, stage: LifecycleStage? = nil, owner: String? = nil) {
        self.message = message
        self.consent = consent
        self.stage = stage
        self.owner = owner
        self.propertiesText = message.eventProperties.jsonText
        self.contextText = message.context.jsonText
    }
}

extension TrackingMessage {
    /// What the event log keeps as the event's properties: traits for identify and group, the
    /// previous id for alias, properties otherwise.
    public var eventProperties: [String: JSONValue] {
        var properties = type == .identify || type == .group ? traits : self.properties
        if let previousId { properties["previousId"] = .string(previousId) }
        return properties
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
    /// Identify calls naming an address that was erased on request: not stored.
    public var erased: Int
    /// The contact each message was attributed to (nil for a duplicate or an erased address).
    public var contactIds: [Int64?]

    public init(stored: Int = 0, duplicates: Int = 0, erased: Int = 0, contactIds: [Int64?] = []) {
        self.stored = stored
        self.duplicates = duplicates
        self.erased = erased
        self.contactIds = contactIds
    }
}
