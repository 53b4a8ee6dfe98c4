import TrellisCore
import TrellisStore

/// The JSON shapes of the management API (documented in the OpenAPI document).
extension Contact {
    var apiJSON: JSONValue {
        var consentJSON: [String: JSONValue] = [:]
        if let email = consent.email { consentJSON["email"] = email.apiJSON }
        return [
            "id": .int(id), "userId": userId.map { .string($0) } ?? .null, "anonymousIds": .array(anonymousIds.map { .string($0) }),
            "email": email.map { .string($0) } ?? .null, "traits": .object(traits), "stage": stage.map { .string($0.rawValue) } ?? .null,
            "owner": owner.map { .string($0) } ?? .null, "accountId": accountId.map { .int($0) } ?? .null, "firstSeen": .string(firstSeen.iso8601),
            "lastSeen": .string(lastSeen.iso8601), "consent": .object(consentJSON),
        ]
    }
}

extension ChannelConsent {
    var apiJSON: JSONValue {
        [
            "status": .string(status.rawValue), "basis": .string(basis.rawValue), "recordedAt": .string(recordedAt.iso8601),
            "expiresAt": expiresAt.map { .string($0.iso8601) } ?? .null,
        ]
    }
}

extension ConsentRecord {
    var apiJSON: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        return [
            "id": .int(id), "channel": .string(channel), "status": .string(status.rawValue), "basis": .string(basis.rawValue),
            "method": .string(method.rawValue), "text": optional(text), "textVersion": optional(textVersion), "location": optional(location),
            "ipAddress": optional(ipAddress), "userAgent": optional(userAgent), "recordedAt": .string(recordedAt.iso8601),
            "expiresAt": optional(expiresAt?.iso8601),
        ]
    }
}

extension StoredEvent {
    var apiJSON: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        var object: [String: JSONValue] = [
            "seq": .int(seq), "messageId": .string(messageId), "source": .string(source), "type": .string(type), "event": optional(name),
            "userId": optional(userId), "anonymousId": optional(anonymousId), "properties": .object(properties), "context": .object(context),
            "timestamp": .string(timestamp.iso8601), "receivedAt": .string(receivedAt.iso8601), "sentAt": optional(sentAt?.iso8601),
            "originalTimestamp": optional(originalTimestamp?.iso8601),
        ]
        if let groupId { object["groupId"] = .string(groupId) }
        return .object(object)
    }
}

extension Account {
    var apiJSON: JSONValue {
        [
            "id": .int(id), "groupId": .string(groupId), "name": name.map { .string($0) } ?? .null, "traits": .object(traits),
            "createdAt": .string(createdAt.iso8601), "updatedAt": .string(updatedAt.iso8601),
        ]
    }
}
