import Foundation

/// What a rule is evaluated against: one contact with what Trellis knows about it.
///
/// The store builds subjects from its tables; the in-memory ``ContactFacts`` is the one the
/// incremental engine and the tests use.
public protocol RuleSubject {
    var contact: Contact { get }
    var account: Account? { get }
    /// The contact's events of this name, in any order. Only names a rule asks for are needed.
    func events(named name: String) -> [EventFact]
    func score(_ dimension: ScoreDimension) -> ScoreReading?
    func isMember(of segment: String) -> Bool
    /// The other contacts of the same account, for account aggregates.
    func colleagues() -> [Self]
}

/// The part of an event a rule can test.
public struct EventFact: Sendable, Hashable {
    public var timestamp: Timestamp
    public var properties: [String: JSONValue]

    public init(timestamp: Timestamp, properties: [String: JSONValue]) {
        self.timestamp = timestamp
        self.properties = properties
    }
}

/// A score as a rule sees it: a steady part (fit) and a part that halves every `halfLife`
/// (engagement), so the time a threshold is crossed can be computed rather than polled.
public struct ScoreReading: Sendable, Hashable {
    public var steady: Double
    public var decaying: Double
    public var halfLife: RuleDuration?

    public init(steady: Double, decaying: Double = 0, halfLife: RuleDuration? = nil) {
        self.steady = steady
        self.decaying = decaying
        self.halfLife = halfLife
    }

    public var value: Double { steady + decaying }

    /// When the decaying part brings the value to `threshold`, if it ever does.
    func crossing(_ threshold: Double, from now: Timestamp) -> Timestamp? {
        guard let halfLife, decaying != 0 else { return nil }
        let ratio = (threshold - steady) / decaying
        guard ratio > 0, ratio < 1 else { return nil }
        let elapsed = Double(halfLife.milliseconds) * log2(1 / ratio)
        return now.adding(milliseconds: Int64(elapsed.rounded(.up)) + 1)
    }
}

/// A plain subject held in memory.
public struct ContactFacts: RuleSubject, Sendable {
    public var contact: Contact
    public var account: Account?
    public var eventsByName: [String: [EventFact]]
    public var scores: [ScoreDimension: ScoreReading]
    public var memberships: Set<String>
    public var others: [ContactFacts]

    public init(
        contact: Contact, account: Account? = nil, eventsByName: [String: [EventFact]] = [:], scores: [ScoreDimension: ScoreReading] = [:],
        memberships: Set<String> = [], others: [ContactFacts] = []
    ) {
        self.contact = contact
        self.account = account
        self.eventsByName = eventsByName
        self.scores = scores
        self.memberships = memberships
        self.others = others
    }

    public func events(named name: String) -> [EventFact] { eventsByName[name] ?? [] }
    public func score(_ dimension: ScoreDimension) -> ScoreReading? { scores[dimension] }
    public func isMember(of segment: String) -> Bool { memberships.contains(segment) }
    public func colleagues() -> [ContactFacts] { others }

    /// Adds an event; events older than `keep` before it are dropped from that name's list.
    public mutating func record(name: String, _ fact: EventFact, keep: RuleDuration?) {
        var list = eventsByName[name] ?? []
        list.append(fact)
        if let keep {
            let horizon = fact.timestamp.subtracting(keep)
            if let first = list.first, first.timestamp < horizon { list.removeAll { $0.timestamp < horizon } }
        }
        eventsByName[name] = list
    }
}
