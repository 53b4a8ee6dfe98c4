/// The six call types of Segment's tracking spec.
public enum MessageType: String, Sendable, Codable, CaseIterable {
    case identify, track, page, screen, group, alias
}

/// One validated call of Segment's tracking spec (identify, track, page, screen, group, alias).
///
/// `name` holds the track call's `event` or the page / screen `name`. Free-form parts stay JSON.
public struct TrackingMessage: Sendable, Equatable {
    public var type: MessageType
    public var messageId: String
    public var userId: String?
    public var anonymousId: String?
    public var name: String?
    public var groupId: String?
    public var previousId: String?
    /// identify and group traits.
    public var traits: [String: JSONValue]
    /// track, page and screen properties.
    public var properties: [String: JSONValue]
    public var context: [String: JSONValue]
    /// The `timestamp` the client gave: when the call happened by the device's clock.
    public var originalTimestamp: Timestamp?
    /// When the device sent it, by the same clock; together they correct the device's clock skew.
    public var sentAt: Timestamp?
    /// The size of the message as it arrived, in bytes.
    public var byteSize: Int

    public init(
        type: MessageType, messageId: String, userId: String? = nil, anonymousId: String? = nil, name: String? = nil,
        groupId: String? = nil, previousId: String? = nil, traits: [String: JSONValue] = [:],
        properties: [String: JSONValue] = [:], context: [String: JSONValue] = [:], originalTimestamp: Timestamp? = nil,
        sentAt: Timestamp? = nil, byteSize: Int = 0
    ) {
        self.type = type
        self.messageId = messageId
        self.userId = userId
        self.anonymousId = anonymousId
        self.name = name
        self.groupId = groupId
        self.previousId = previousId
        self.traits = traits
        self.properties = properties
        self.context = context
        self.originalTimestamp = originalTimestamp
        self.sentAt = sentAt
        self.byteSize = byteSize
    }

    /// When the call happened, by the server's clock.
    ///
    /// Segment's rule: a device's clock may be wrong, but the gap between `timestamp` and `sentAt`
    /// was measured on that same clock, so `receivedAt - (sentAt - timestamp)` is right whatever the
    /// skew. Without `sentAt` the client's timestamp stands; without either, `receivedAt`. A gap
    /// so wide that the corrected time leaves ``Timestamp/eventRange`` (a `sentAt` millennia after
    /// `timestamp`) is not a skew to correct: the client's timestamp stands then too.
    public func correctedTimestamp(receivedAt: Timestamp) -> Timestamp {
        guard let originalTimestamp else { return receivedAt }
        guard let sentAt else { return originalTimestamp }
        let delay = sentAt.millisecondsSinceEpoch - originalTimestamp.millisecondsSinceEpoch
        let corrected = receivedAt.adding(milliseconds: -delay)
        return Timestamp.eventRange.contains(corrected) ? corrected : originalTimestamp
    }
}
