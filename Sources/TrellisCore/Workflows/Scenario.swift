/// A simulation script: who the contacts are and what they do when, relative to `start`.
///
/// ```yaml
/// start: 2026-01-05T09:00:00Z
/// contacts:
///   - id: maria
///     traits: { email: maria@example.com, title: Marketing Manager, company_size: 200, timezone: Europe/Berlin }
///     consent: { email: express }          # express | implied_purchase | implied_inquiry; omitted: none
///     events:
///       - { at: 0d, track: Ebook Downloaded, properties: { title: CRM migration guide } }
///       - { at: 5d2h, page: /pricing }
/// ```
public struct Scenario: Sendable {
    public struct ScriptedContact: Sendable {
        public var id: String
        public var traits: [String: JSONValue]
        public var consent: ChannelConsent?
        public var events: [ScriptedEvent]
    }

    public struct ScriptedEvent: Sendable {
        /// Milliseconds after the scenario's start.
        public var offset: Int64
        /// The name rules know it by (`Page Viewed` for a page).
        public var name: String
        public var properties: [String: JSONValue]
        /// Traits an `identify` sets.
        public var traits: [String: JSONValue]
    }

    public var start: Timestamp
    /// How long to simulate after the last scripted event.
    public var tail: Int64
    /// Or: a fixed end, this long after start, for every contact.
    public var horizon: Int64?
    public var contacts: [ScriptedContact]

    public init(json: JSONValue) throws(InputError) {
        let reader = try ObjectReader(json, path: "")
        try reader.rejectUnknown(["start", "contacts", "until"])
        guard let startText = try reader.string("start", required: true), let start = ISO8601.parse(startText) else {
            throw InputError.invalid("start", "start must be an ISO 8601 time such as 2026-01-05T09:00:00Z")
        }
        self.start = start
        tail = try reader.string("until").map { text throws(InputError) in try Self.offset(text, field: "until") } ?? 90 * 86_400_000
        guard case .array(let items)? = reader.object["contacts"], !items.isEmpty else { throw InputError.invalid("contacts", "contacts must be a non-empty list") }
        var contacts: [ScriptedContact] = []
        for (index, item) in items.enumerated() {
            let contact = try Self.contact(item, path: "contacts[\(index)]", start: start)
            if contacts.contains(where: { $0.id == contact.id }) { throw InputError.invalid("contacts[\(index)].id", "contact id '\(contact.id)' is used twice") }
            contacts.append(contact)
        }
        self.contacts = contacts
    }

    static func contact(_ value: JSONValue, path: String, start: Timestamp) throws(InputError) -> ScriptedContact {
        let reader = try ObjectReader(value, path: path + ".")
        try reader.rejectUnknown(["id", "traits", "consent", "events"])
        let id = try reader.string("id", required: true)!
        var traits: [String: JSONValue] = [:]
        if let value = reader.object["traits"] {
            guard case .object(let object) = value else { throw InputError.invalid("\(path).traits", "\(path).traits must be an object") }
            traits = object
        }
        var consent: ChannelConsent?
        if let value = reader.object["consent"] {
            let consentReader = try ObjectReader(value, path: "\(path).consent.")
            try consentReader.rejectUnknown(["email"])
            switch try consentReader.string("email") {
            case "express": consent = ChannelConsent(status: .granted, basis: .express, recordedAt: start)
            // CASL: implied consent lasts two years after a purchase, six months after an inquiry.
            case "implied_purchase": consent = ChannelConsent(status: .granted, basis: .implied, recordedAt: start, expiresAt: start.adding(days: 730))
            case "implied_inquiry": consent = ChannelConsent(status: .granted, basis: .implied, recordedAt: start, expiresAt: start.adding(days: 182))
            case nil: break
            case let other?: throw InputError.invalid("\(path).consent.email", "consent is express, implied_purchase or implied_inquiry, got '\(other)'")
            }
        }
        var events: [ScriptedEvent] = []
        if let value = reader.object["events"] {
            guard case .array(let items) = value else { throw InputError.invalid("\(path).events", "\(path).events must be a list") }
            for (index, item) in items.enumerated() { events.append(try event(item, path: "\(path).events[\(index)]")) }
        }
        return ScriptedContact(id: id, traits: traits, consent: consent, events: events.sorted { $0.offset < $1.offset })
    }

    static func event(_ value: JSONValue, path: String) throws(InputError) -> ScriptedEvent {
        let reader = try ObjectReader(value, path: path + ".")
        try reader.rejectUnknown(["at", "track", "page", "identify", "properties"])
        let offset = try Self.offset(try reader.string("at", required: true)!, field: "\(path).at")
        var properties: [String: JSONValue] = [:]
        if let value = reader.object["properties"] {
            guard case .object(let object) = value else { throw InputError.invalid("\(path).properties", "properties must be an object") }
            properties = object
        }
        if let name = try reader.string("track") { return ScriptedEvent(offset: offset, name: name, properties: properties, traits: [:]) }
        if let page = try reader.string("page") {
            properties["path"] = properties["path"] ?? .string(page)
            return ScriptedEvent(offset: offset, name: "Page Viewed", properties: properties, traits: [:])
        }
        if case .object(let traits)? = reader.object["identify"] { return ScriptedEvent(offset: offset, name: "Identify", properties: [:], traits: traits) }
        throw InputError.invalid(path, "\(path) needs track: an event, page: a path, or identify: traits")
    }

    /// `0d`, `5d2h`, `90m`: days, hours, minutes and seconds, added up.
    static func offset(_ text: String, field: String) throws(InputError) -> Int64 {
        var total: Int64 = 0
        var number: Int64?
        for character in text.trimmed {
            if let digit = character.wholeNumberValue {
                number = (number ?? 0) * 10 + Int64(digit)
            } else if let unit = RuleDuration.units[character], let value = number {
                total += value * unit
                number = nil
            } else {
                throw InputError.invalid(field, "\(field) must be a time after start such as 0d, 5d2h or 90m, got '\(text)'")
            }
        }
        if number != nil { throw InputError.invalid(field, "\(field) needs a unit after its last number: '\(text)'") }
        return total
    }
}
