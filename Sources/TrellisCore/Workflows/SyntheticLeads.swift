/// Plausible leads for the simulator: each is triggered into one of the workflows at a random
/// time, and then engages the way nurture audiences tend to (about half open something, a quarter
/// click, one in five looks at pricing, a few book a demo or convert).
public enum SyntheticLeads {
    public static func scenario(count: Int, days: Int, start: Timestamp, workflows: [WorkflowDefinition], seed: UInt64 = 7) -> Scenario {
        var random = SplitMix64(seed: seed)
        let triggers = workflows.compactMap { workflow -> EventCondition? in
            if case .event(let condition) = workflow.trigger { return condition }
            return nil
        }
        let span = Int64(days) * 86_400_000
        let day: Int64 = 86_400_000
        var contacts: [Scenario.ScriptedContact] = []
        contacts.reserveCapacity(count)
        for index in 0..<count {
            func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
            func within(_ limit: Int64) -> Int64 { Int64(random.next() % UInt64(max(1, limit))) }
            let roll = random.next() % 100
            let consent: ChannelConsent? =
                roll < 80 ? ChannelConsent(status: .granted, basis: .express, recordedAt: start)
                : roll < 90 ? ChannelConsent(status: .granted, basis: .implied, recordedAt: start, expiresAt: start.adding(days: 182)) : nil
            var events: [Scenario.ScriptedEvent] = []
            let entered = within(span * 2 / 3)
            if let trigger = triggers.isEmpty ? nil : triggers[Int(random.next() % UInt64(triggers.count))] {
                events.append(Scenario.ScriptedEvent(offset: entered, name: trigger.name, properties: properties(satisfying: trigger), traits: [:]))
            }
            if chance(50) { events.append(event(entered + within(6 * day), "Email Opened", ["email": "any"])) }
            if chance(25) { events.append(event(entered + within(9 * day), "Email Clicked", ["email": "any"])) }
            if chance(20) { events.append(event(entered + within(12 * day), "Page Viewed", ["path": "/pricing"])) }
            if chance(8) { events.append(event(entered + within(20 * day), "Demo Booked", [:])) }
            if chance(10) { events.append(event(entered + within(14 * day), "Trial Converted", [:])) }
            let traits: [String: JSONValue] = [
                "email": .string("lead\(index)@synthetic.example"), "company_size": .int(Int64(random.next() % 2000)),
                "timezone": ["UTC", "Europe/Berlin", "America/New_York"][Int(random.next() % 3)],
            ]
            contacts.append(Scenario.ScriptedContact(id: "lead\(index)", traits: traits, consent: consent, events: events.sorted { $0.offset < $1.offset }))
        }
        return Scenario(start: start, tail: 0, contacts: contacts, until: span)
    }

    static func event(_ offset: Int64, _ name: String, _ properties: [String: JSONValue]) -> Scenario.ScriptedEvent {
        Scenario.ScriptedEvent(offset: offset, name: name, properties: properties, traits: [:])
    }

    /// Properties that pass the condition's `eq` / `starts_with` filters.
    static func properties(satisfying condition: EventCondition) -> [String: JSONValue] {
        var properties: [String: JSONValue] = [:]
        for filter in condition.filters {
            for comparison in filter.comparisons {
                switch (comparison.op, comparison.operand) {
                case (.eq, .value(let value)), (.startsWith, .value(let value)), (.contains, .value(let value)): properties.setValue(value, at: filter.path)
                case (.in, .values(let values)): if let first = values.first { properties.setValue(first, at: filter.path) }
                default: break
                }
            }
        }
        return properties
    }
}

extension Scenario {
    /// A scenario that runs until `until` after start, whatever the contacts' last events.
    init(start: Timestamp, tail: Int64, contacts: [ScriptedContact], until: Int64) {
        self.start = start
        self.tail = tail
        self.contacts = contacts
        self.horizon = until
    }
}
