/// Segment's documented limits on the HTTP tracking API.
public struct TrackingLimits: Sendable {
    public var maxMessageBytes: Int
    public var maxBatchBytes: Int
    public var maxIdentifierLength: Int

    public init(maxMessageBytes: Int = 32 * 1024, maxBatchBytes: Int = 500 * 1024, maxIdentifierLength: Int = 255) {
        self.maxMessageBytes = maxMessageBytes
        self.maxBatchBytes = maxBatchBytes
        self.maxIdentifierLength = maxIdentifierLength
    }

    public static let segment = TrackingLimits()
}

/// A request body of the tracking API, decoded and validated: one call, or a `/v1/batch` of them.
public struct TrackingPayload: Sendable {
    public var messages: [TrackingMessage]
    /// The `writeKey` the libraries also put in the body.
    public var writeKey: String?

    /// Decodes a single-call body (`type` is the endpoint's) or, with `type == nil`, a batch body.
    ///
    /// Every message is checked before anything is accepted: one bad message rejects the request,
    /// with the path of the offending field (`batch[3].event`).
    public static func decode(
        _ body: some Collection<UInt8>,
        type: MessageType?,
        limits: TrackingLimits = .segment
    ) throws(InputError) -> TrackingPayload {
        let maxBody = type == nil ? limits.maxBatchBytes : limits.maxMessageBytes
        guard body.count <= maxBody else {
            throw InputError(
                .tooLarge, code: "payload_too_large",
                message: "the body is \(body.count) bytes; the limit is \(maxBody / 1024) KB \(type == nil ? "a batch" : "a message")")
        }
        let root: JSONValue
        let sizes: [Int]
        do {
            (root, sizes) = try JSONParser.parse(body, measuringElementsOf: type == nil ? "batch" : nil)
        } catch {
            throw InputError(code: "invalid_json", message: error.description)
        }
        guard case .object(let object) = root else {
            throw InputError(code: "invalid_body", message: "the body must be a JSON object, got \(root.kindName)")
        }
        let writeKey = object["writeKey"]?.stringValue
        if let type {
            let message = try TrackingMessage.decode(object, type: type, path: "", batchContext: [:], batchSentAt: nil, limits: limits, byteSize: body.count)
            return TrackingPayload(messages: [message], writeKey: writeKey)
        }
        guard let batchValue = object["batch"] else { throw InputError.missing("batch") }
        guard case .array(let items) = batchValue else { throw InputError.invalid("batch", "batch must be an array, got \(batchValue.kindName)") }
        guard !items.isEmpty else { throw InputError.invalid("batch", "batch is empty") }
        let batchContext = try optionalObject(object, "context", path: "")
        let batchSentAt = try optionalTimestamp(object, "sentAt", path: "")
        var messages: [TrackingMessage] = []
        messages.reserveCapacity(items.count)
        for (position, item) in items.enumerated() {
            let path = "batch[\(position)]"
            let size = position < sizes.count ? sizes[position] : 0
            guard size <= limits.maxMessageBytes else {
                throw InputError(.invalid, code: "message_too_large", message: "\(path) is \(size) bytes; the limit is \(limits.maxMessageBytes / 1024) KB a message", field: path)
            }
            guard case .object(let fields) = item else { throw InputError.invalid(path, "\(path) must be an object, got \(item.kindName)") }
            guard let typeName = fields["type"]?.stringValue else { throw InputError.missing("\(path).type") }
            guard let itemType = MessageType(rawValue: typeName) else {
                throw InputError.invalid("\(path).type", "unknown type '\(typeName)'; expected one of identify, track, page, screen, group, alias")
            }
            messages.append(try TrackingMessage.decode(fields, type: itemType, path: path + ".", batchContext: batchContext, batchSentAt: batchSentAt, limits: limits, byteSize: size))
        }
        return TrackingPayload(messages: messages, writeKey: writeKey)
    }
}

func optionalObject(_ object: [String: JSONValue], _ key: String, path: String) throws(InputError) -> [String: JSONValue] {
    guard let value = object[key], !value.isNull else { return [:] }
    guard case .object(let inner) = value else { throw InputError.invalid(path + key, "\(path + key) must be an object, got \(value.kindName)") }
    return inner
}

func optionalTimestamp(_ object: [String: JSONValue], _ key: String, path: String) throws(InputError) -> Timestamp? {
    guard let value = object[key], !value.isNull else { return nil }
    guard case .string(let text) = value, let timestamp = ISO8601.parse(text) else {
        throw InputError(code: "invalid_timestamp", message: "\(path + key) must be an ISO 8601 timestamp, got \(value.jsonText.prefix(60))", field: path + key)
    }
    guard Timestamp.eventRange.contains(timestamp) else {
        throw InputError(code: "invalid_timestamp", message: "\(path + key) must be from 1970 to 9999, got \(text.prefix(60))", field: path + key)
    }
    return timestamp
}

extension TrackingMessage {
    static func decode(
        _ fields: [String: JSONValue], type: MessageType, path: String, batchContext: [String: JSONValue], batchSentAt: Timestamp?,
        limits: TrackingLimits, byteSize: Int
    ) throws(InputError) -> TrackingMessage {
        func identifier(_ key: String) throws(InputError) -> String? {
            guard let value = fields[key], !value.isNull else { return nil }
            guard let text = value.identifierValue else { throw InputError.invalid(path + key, "\(path + key) must be a string, got \(value.kindName)") }
            guard text.utf8.count <= limits.maxIdentifierLength else {
                throw InputError.invalid(path + key, "\(path + key) is longer than \(limits.maxIdentifierLength) bytes")
            }
            return text.isEmpty ? nil : text
        }
        let userId = try identifier("userId")
        let anonymousId = try identifier("anonymousId")
        var message = TrackingMessage(type: type, messageId: "", userId: userId, anonymousId: anonymousId, byteSize: byteSize)
        switch type {
        case .alias:
            guard userId != nil else { throw InputError.missing(path + "userId", "\(path)userId is required for alias") }
            guard let previousId = try identifier("previousId") else { throw InputError.missing(path + "previousId", "\(path)previousId is required for alias") }
            message.previousId = previousId
        default:
            guard userId != nil || anonymousId != nil else {
                throw InputError(code: "missing_identity", message: "\(path)userId or \(path)anonymousId is required", field: path + "userId")
            }
        }
        switch type {
        case .track:
            guard let event = try identifier("event") else { throw InputError.missing(path + "event", "\(path)event is required for track") }
            guard !SystemEvents.names.contains(event) else {
                throw InputError(
                    code: "reserved_event",
                    message: "\(path)event '\(event)' is an event Trellis writes itself (stage changes, sales feedback, email delivery, workflows); send yours under another name",
                    field: path + "event")
            }
            message.name = event
            message.properties = try optionalObject(fields, "properties", path: path)
        case .page, .screen:
            message.name = try identifier("name")
            message.properties = try optionalObject(fields, "properties", path: path)
            if let category = fields["category"]?.stringValue { message.properties["category"] = .string(category) }
        case .identify:
            message.traits = try optionalObject(fields, "traits", path: path)
        case .group:
            guard let groupId = try identifier("groupId") else { throw InputError.missing(path + "groupId", "\(path)groupId is required for group") }
            message.groupId = groupId
            message.traits = try optionalObject(fields, "traits", path: path)
        case .alias:
            break
        }
        var context = batchContext
        for (key, value) in try optionalObject(fields, "context", path: path) { context[key] = value }
        message.context = context
        let timestamp = try optionalTimestamp(fields, "timestamp", path: path)
        let originalTimestamp = try optionalTimestamp(fields, "originalTimestamp", path: path)
        message.originalTimestamp = timestamp ?? originalTimestamp
        message.sentAt = try optionalTimestamp(fields, "sentAt", path: path)
        if message.sentAt == nil { message.sentAt = batchSentAt }
        if let messageId = try identifier("messageId") {
            message.messageId = messageId
        } else {
            // Without a messageId there is nothing to deduplicate on; a digest of the content makes
            // a retried copy of the same call land on the same id.
            message.messageId = "content-" + ContentDigest.hex(of: JSONValue.object(fields).jsonText + path)
        }
        return message
    }
}
