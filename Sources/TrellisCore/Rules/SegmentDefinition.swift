/// A named group of contacts, defined by a rule: `name`, an optional `description`, and `match`.
///
/// ```yaml
/// name: pricing-intent
/// description: Looked at pricing twice in two weeks
/// match:
///   all:
///     - event: Page Viewed
///       where: { path: /pricing }
///       count: { gte: 2 }
///       within: 14d
/// ```
public struct SegmentDefinition: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var match: Rule
    /// The definition as written (JSON), kept so the API returns what the author sent.
    public var source: JSONValue

    public init(name: String, description: String? = nil, match: Rule, source: JSONValue) {
        self.name = name
        self.description = description
        self.match = match
        self.source = source
    }

    /// Reads a definition; errors name the path (`match.all[2].within`).
    public init(json: JSONValue) throws(InputError) {
        let reader = try ObjectReader(json, path: "")
        try reader.rejectUnknown(["name", "description", "match"])
        let name = try reader.string("name", required: true)!
        guard Self.isValidName(name) else {
            throw InputError.invalid("name", "name must be 1-64 characters of a-z, 0-9, '-' or '_', got '\(name)'")
        }
        guard let match = reader.object["match"] else { throw InputError.missing("match", "match is required: the rule a contact must meet") }
        self.init(name: name, description: try reader.string("description"), match: try Rule(json: match, path: "match"), source: json)
    }

    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }
    }
}

/// The segments in force, ordered so that a segment comes after those it refers to with
/// `in_segment`, and indexed by what can change their answer.
public struct SegmentCatalog: Sendable {
    public let segments: [SegmentDefinition]
    /// Event names any segment looks at: other events cannot change an event condition.
    public let eventNames: Set<String>
    /// How far back events matter (nil: all time).
    public let eventWindow: RuleDuration?
    public let usesAccountAggregates: Bool
    /// What can change each segment's answer, in the order of `segments`.
    let dependencies: [RuleDependencies]
    private let evaluator = RuleEvaluator()

    /// Fails on a reference to an unknown segment or a cycle of references.
    public init(_ definitions: [SegmentDefinition]) throws(InputError) {
        var byName: [String: SegmentDefinition] = [:]
        for definition in definitions {
            if byName[definition.name] != nil { throw InputError(.conflict, code: "duplicate_segment", message: "segment '\(definition.name)' is defined twice", field: "name") }
            byName[definition.name] = definition
        }
        var ordered: [SegmentDefinition] = []
        var state: [String: Bool] = [:]  // false: visiting, true: done
        func place(_ definition: SegmentDefinition, chain: [String]) throws(InputError) {
            if state[definition.name] == true { return }
            if state[definition.name] == false {
                throw InputError.invalid("match", "segments refer to each other in a cycle: \((chain + [definition.name]).joined(separator: " → "))")
            }
            state[definition.name] = false
            for reference in definition.match.segmentReferences.sorted() {
                guard let target = byName[reference] else {
                    throw InputError(.notFound, code: "unknown_segment", message: "segment '\(definition.name)' refers to unknown segment '\(reference)'", field: "match")
                }
                try place(target, chain: chain + [definition.name])
            }
            state[definition.name] = true
            ordered.append(definition)
        }
        for definition in definitions { try place(definition, chain: []) }
        segments = ordered
        eventNames = ordered.reduce(into: []) { $0.formUnion($1.match.eventNames) }
        let rules = ordered.filter { !$0.match.eventNames.isEmpty }
        eventWindow = rules.contains { $0.match.longestWindow == nil } ? nil : rules.compactMap { $0.match.longestWindow }.max()
        usesAccountAggregates = ordered.contains { $0.match.usesAccountAggregate }
        dependencies = ordered.map { RuleDependencies($0.match) }
    }

    /// Whether evaluating for `changes` reaches an account rule, which needs the colleagues loaded.
    public func needsColleagues(for changes: FactChanges) -> Bool {
        zip(segments, dependencies).contains { segment, dependencies in
            segment.match.usesAccountAggregate && (changes.all || dependencies.affected(by: changes) || !dependencies.segments.isEmpty)
        }
    }

    /// Evaluates the segments that `changes` can affect (all of them for ``FactChanges/everything``),
    /// in dependency order, updating the contact's memberships; reports who entered and left and
    /// when to look again.
    public func evaluate(_ facts: inout ContactFacts, at now: Timestamp, changes: FactChanges = .everything) -> MembershipChange {
        var change = MembershipChange()
        change.complete = changes.all
        var moved: Set<String> = []
        for (segment, dependencies) in zip(segments, dependencies) {
            guard changes.all || dependencies.affected(by: changes) || !dependencies.segments.isDisjoint(with: moved) else { continue }
            let outcome = evaluator.evaluate(segment.match, for: facts, at: now)
            if let next = outcome.nextCheck { change.nextCheck = min(change.nextCheck ?? next, next) }
            let wasMember = facts.memberships.contains(segment.name)
            if outcome.matched, !wasMember {
                facts.memberships.insert(segment.name)
                change.entered.append(segment.name)
                moved.insert(segment.name)
            } else if !outcome.matched, wasMember {
                facts.memberships.remove(segment.name)
                change.exited.append(segment.name)
                moved.insert(segment.name)
            }
        }
        return change
    }
}

/// What changed about a contact since it was last qualified; segments that cannot be affected
/// are not evaluated again.
public struct FactChanges: Sendable, Equatable {
    /// Evaluate everything (a due check, a new rule, a merge).
    public var all = false
    /// Names (as rules know them) of new events.
    public var eventNames: Set<String> = []
    /// Traits, consent, account or owner may have changed.
    public var traits = false
    /// Last seen moved (any new event).
    public var activity = false
    public var score = false
    public var stage = false

    public init(all: Bool = false, eventNames: Set<String> = [], traits: Bool = false, activity: Bool = false, score: Bool = false, stage: Bool = false) {
        self.all = all
        self.eventNames = eventNames
        self.traits = traits
        self.activity = activity
        self.score = score
        self.stage = stage
    }

    public static let everything = FactChanges(all: true)
}

/// The inputs a rule reads.
struct RuleDependencies: Sendable {
    var events: Set<String> = []
    var traits = false
    var activity = false
    var score = false
    var stage = false
    var segments: Set<String> = []

    init(_ rule: Rule) {
        rule.visit { rule in
            switch rule {
            case .event(let condition): events.insert(condition.name)
            case .trait, .unsubscribed, .consented: traits = true
            case .seenWithin, .inactive: activity = true
            case .score: score = true
            case .stage: stage = true
            case .inSegment(let name): segments.insert(name)
            // A colleague's change reaches the contact as a full evaluation; its own traits and events count too.
            case .account: traits = true
            default: break
            }
        }
    }

    func affected(by changes: FactChanges) -> Bool {
        (changes.traits && traits) || (changes.activity && activity) || (changes.score && score) || (changes.stage && stage)
            || !events.isDisjoint(with: changes.eventNames)
    }
}

/// Segments a contact entered and left in one evaluation.
public struct MembershipChange: Sendable, Equatable {
    public var entered: [String] = []
    public var exited: [String] = []
    public var nextCheck: Timestamp?
    /// Whether every segment was evaluated; if not, `nextCheck` covers only those that were,
    /// and an earlier scheduled check must be kept.
    public var complete = true

    public init(entered: [String] = [], exited: [String] = [], nextCheck: Timestamp? = nil, complete: Bool = true) {
        self.entered = entered
        self.exited = exited
        self.nextCheck = nextCheck
        self.complete = complete
    }
}
