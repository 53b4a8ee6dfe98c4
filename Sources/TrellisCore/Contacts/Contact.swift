/// A person Trellis knows about: identified by a userId, an email, or only anonymous ids so far.
public struct Contact: Sendable, Equatable, Codable {
    public var id: Int64
    public var userId: String?
    public var anonymousIds: [String]
    /// Stored as given; uniqueness is by its lowercased form.
    public var email: String?
    public var traits: [String: JSONValue]
    public var stage: LifecycleStage?
    public var owner: String?
    public var accountId: Int64?
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    public var consent: ConsentState

    public init(
        id: Int64, userId: String? = nil, anonymousIds: [String] = [], email: String? = nil, traits: [String: JSONValue] = [:],
        stage: LifecycleStage? = nil, owner: String? = nil, accountId: Int64? = nil, firstSeen: Timestamp, lastSeen: Timestamp,
        consent: ConsentState = ConsentState()
    ) {
        self.id = id
        self.userId = userId
        self.anonymousIds = anonymousIds
        self.email = email
        self.traits = traits
        self.stage = stage
        self.owner = owner
        self.accountId = accountId
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.consent = consent
    }
}

/// A company: the `group` call's groupId with its traits, linking the contacts who work there.
public struct Account: Sendable, Equatable, Codable {
    public var id: Int64
    public var groupId: String
    public var name: String?
    public var traits: [String: JSONValue]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: Int64, groupId: String, name: String?, traits: [String: JSONValue], createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id
        self.groupId = groupId
        self.name = name
        self.traits = traits
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One entry of the append-only event log, as stored.
public struct StoredEvent: Sendable, Equatable, Codable {
    public var seq: Int64
    public var messageId: String
    public var source: String
    public var contactId: Int64?
    public var type: String
    public var name: String?
    public var userId: String?
    public var anonymousId: String?
    public var groupId: String?
    public var properties: [String: JSONValue]
    public var context: [String: JSONValue]
    /// When it happened (clock-skew corrected).
    public var timestamp: Timestamp
    public var originalTimestamp: Timestamp?
    public var sentAt: Timestamp?
    public var receivedAt: Timestamp

    public init(
        seq: Int64, messageId: String, source: String, contactId: Int64?, type: String, name: String?, userId: String?,
        anonymousId: String?, groupId: String?, properties: [String: JSONValue], context: [String: JSONValue],
        timestamp: Timestamp, originalTimestamp: Timestamp?, sentAt: Timestamp?, receivedAt: Timestamp
    ) {
        self.seq = seq
        self.messageId = messageId
        self.source = source
        self.contactId = contactId
        self.type = type
        self.name = name
        self.userId = userId
        self.anonymousId = anonymousId
        self.groupId = groupId
        self.properties = properties
        self.context = context
        self.timestamp = timestamp
        self.originalTimestamp = originalTimestamp
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }
}
