/// A condition on a contact, in the one rule language that segments, workflow branches, exit
/// goals, readiness and lifecycle rules share. Written in YAML or the same structure in JSON:
///
/// ```yaml
/// all:
///   - trait: company_size          # account traits as account.employees
///     gte: 50
///   - event: Page Viewed
///     where: { path: /pricing }
///     count: { gte: 2 }
///     within: 14d
///   - any:
///       - stage: mql
///       - score: { gte: 60 }
///   - not: { unsubscribed: email }
/// ```
public indirect enum Rule: Sendable, Hashable {
    case all([Rule])
    case any([Rule])
    case not(Rule)
    /// A contact trait (or `account.` trait) tested by every comparison.
    case trait(TraitReference, [Comparison])
    /// How many matching events, optionally within a trailing window.
    case event(EventCondition)
    /// Seen (any event) within the duration.
    case seenWithin(RuleDuration)
    /// Not seen for at least the duration.
    case inactive(RuleDuration)
    /// The lifecycle stage, compared by position in the funnel.
    case stage([Comparison])
    case score(ScoreDimension, [Comparison])
    case unsubscribed(channel: String)
    case consented(channel: String)
    case inSegment(String)
    /// At least (or at most) so many contacts of the contact's account match a rule.
    case account(AccountAggregate)
}

/// Which trait: the contact's own, or its account's (`account.employees`).
public struct TraitReference: Sendable, Hashable, CustomStringConvertible {
    public enum Scope: Sendable, Hashable { case contact, account }
    public var scope: Scope
    /// The key; dots reach into nested objects (`address.country`).
    public var path: [String]

    public init(_ text: String) {
        if text.hasPrefix("account.") {
            scope = .account
            path = text.dropFirst(8).split(separator: ".").map(String.init)
        } else {
            scope = .contact
            path = text.split(separator: ".").map(String.init)
        }
    }

    public var description: String { (scope == .account ? "account." : "") + path.joined(separator: ".") }
}

/// `event: Page Viewed, where: { path: /pricing }, count: { gte: 2 }, within: 14d`.
public struct EventCondition: Sendable, Hashable {
    public var name: String
    public var filters: [PropertyFilter]
    /// Defaults to "at least one".
    public var count: [Comparison]
    public var within: RuleDuration?

    public init(name: String, filters: [PropertyFilter] = [], count: [Comparison] = [Comparison(.gte, .number(1))], within: RuleDuration? = nil) {
        self.name = name
        self.filters = filters
        self.count = count
        self.within = within
    }

    /// Whether one event's properties pass the `where` filters.
    public func accepts(_ properties: [String: JSONValue], at now: Timestamp) -> Bool {
        var ignored: Timestamp?
        for filter in filters where !filter.comparisons.allSatisfy({ $0.holds(properties.value(at: filter.path), at: now, next: &ignored) }) {
            return false
        }
        return true
    }
}

/// One `where` entry: a property (dots reach into nested objects) and its tests.
public struct PropertyFilter: Sendable, Hashable {
    public var path: [String]
    public var comparisons: [Comparison]

    public init(path: [String], comparisons: [Comparison]) {
        self.path = path
        self.comparisons = comparisons
    }
}

/// `account: { contacts: { gte: 3 }, match: { event: Webinar Attended, within: 7d } }`: buying-group engagement.
public struct AccountAggregate: Sendable, Hashable {
    public var contacts: [Comparison]
    public var match: Rule

    public init(contacts: [Comparison], match: Rule) {
        self.contacts = contacts
        self.match = match
    }
}

/// The parts of a lead score a rule can test. `score` is fit and engagement together.
public enum ScoreDimension: String, Sendable, Hashable, CaseIterable {
    case score, fit, engagement, grade
}

extension Dictionary where Key == String, Value == JSONValue {
    /// The value at a dotted path (`address.country`), or nil.
    public func value(at path: [String]) -> JSONValue? {
        guard let first = path.first else { return nil }
        var current = self[first]
        for key in path.dropFirst() { current = current?[key] }
        return current
    }

    /// Sets the value at a dotted path, creating the objects on the way.
    public mutating func setValue(_ value: JSONValue, at path: [String]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var inner = self[first]?.objectValue ?? [:]
        inner.setValue(value, at: Array(path.dropFirst()))
        self[first] = .object(inner)
    }
}

extension Rule {
    /// Every event name the rule looks at, at any depth: what an incoming event must be to matter.
    public var eventNames: Set<String> {
        switch self {
        case .all(let rules), .any(let rules): rules.reduce(into: []) { $0.formUnion($1.eventNames) }
        case .not(let rule): rule.eventNames
        case .event(let condition): [condition.name]
        case .account(let aggregate): aggregate.match.eventNames
        default: []
        }
    }

    /// The longest event window the rule needs: nil when some event condition looks at all time
    /// (or when there is none; see ``eventNames``).
    public var longestWindow: RuleDuration? {
        var longest: RuleDuration?
        var unbounded = false
        visit { rule in
            guard case .event(let condition) = rule else { return }
            guard let within = condition.within else { unbounded = true; return }
            longest = Swift.max(longest ?? within, within)
        }
        return unbounded ? nil : longest
    }

    /// Segments the rule refers to with `in_segment`.
    public var segmentReferences: Set<String> {
        var names: Set<String> = []
        visit { if case .inSegment(let name) = $0 { names.insert(name) } }
        return names
    }

    public var usesAccountAggregate: Bool {
        var found = false
        visit { if case .account = $0 { found = true } }
        return found
    }

    /// Calls `body` on this rule and every rule inside it.
    public func visit(_ body: (Rule) -> Void) {
        body(self)
        switch self {
        case .all(let rules), .any(let rules): rules.forEach { $0.visit(body) }
        case .not(let rule): rule.visit(body)
        case .account(let aggregate): aggregate.match.visit(body)
        default: break
        }
    }
}
