import Foundation
import TrellisCore

/// What a template can use: the contact (`contact.first_name`, any trait), the account
/// (`account.name`, its traits), the sender (`sender.postal_address`), and the links
/// (`links.unsubscribe`, `links.preferences`). Values keep their JSON types, so sections work.
public struct MailContext: Sendable {
    public var contact: Contact
    public var account: Account?
    public var links: [String: String]
    public var sender: [String: String]

    public init(contact: Contact, account: Account?, links: [String: String], sender: [String: String]) {
        self.contact = contact
        self.account = account
        self.links = links
        self.sender = sender
    }

    var values: [String: Any] {
        var person = contact.traits.mapValues(Self.value)
        person["email"] = contact.email ?? ""
        person["id"] = contact.id
        if let stage = contact.stage { person["stage"] = stage.rawValue }
        // Segment's spec names both firstName and first_name; templates use first_name.
        for (snake, camel) in [("first_name", "firstName"), ("last_name", "lastName")] where person[snake] == nil {
            if let value = person[camel] { person[snake] = value }
        }
        if person["first_name"] == nil, let name = contact.traits["name"]?.stringValue {
            person["first_name"] = String(name.split(separator: " ").first ?? "")
        }
        var company: [String: Any] = [:]
        if let account {
            company = account.traits.mapValues(Self.value)
            company["name"] = account.name ?? company["name"] ?? ""
        }
        return ["contact": person, "account": company, "links": links, "sender": sender]
    }

    static func value(_ json: JSONValue) -> Any {
        switch json {
        case .null: NSNull()
        case .bool(let flag): flag
        case .int(let number): number
        case .double(let number): number
        case .string(let text): text
        case .array(let items): items.map(value)
        case .object(let fields): fields.mapValues(value)
        }
    }
}
