/// One step of the qualify stage for one contact: score what happened, move the lifecycle stage
/// forward when a rule says so, and bring segment memberships up to date.
///
/// The store-backed service and the in-memory benchmark both call ``qualify(_:score:newEvents:traitsChanged:at:)``;
/// neither rescans other contacts.
public struct Qualifier: Sendable {
    public let catalog: SegmentCatalog
    public let scorer: LeadScorer?
    /// Event names some rule looks at; only these need to be kept per contact.
    public let eventNames: Set<String>
    /// Event names whose properties some rule filters on; for the others a count is enough, so
    /// loaders can skip parsing their properties.
    public let filteredEventNames: Set<String>
    /// How far back those events matter (nil: all time).
    public let eventWindow: RuleDuration?
    private let evaluator = RuleEvaluator()
    /// What can change each stage rule's answer: rules that cannot have changed are not evaluated.
    private let stageDependencies: [RuleDependencies]

    public init(catalog: SegmentCatalog, model: ScoringModel?) {
        self.catalog = catalog
        self.scorer = model.map(LeadScorer.init(model:))
        var names = catalog.eventNames
        var windows: [RuleDuration?] = catalog.eventNames.isEmpty ? [] : [catalog.eventWindow]
        for rule in model?.stages ?? [] where !rule.when.eventNames.isEmpty {
            names.formUnion(rule.when.eventNames)
            windows.append(rule.when.longestWindow)
        }
        eventNames = names
        var filtered: Set<String> = []
        let rules = catalog.segments.map(\.match) + (model?.stages ?? []).map(\.when)
        for rule in rules {
            rule.visit { if case .event(let condition) = $0, !condition.filters.isEmpty { filtered.insert(condition.name) } }
        }
        filtered.formUnion((model?.engagement ?? []).filter { !$0.filters.isEmpty }.map(\.event))
        filteredEventNames = filtered
        stageDependencies = (model?.stages ?? []).map { RuleDependencies($0.when) }
        eventWindow = windows.contains { $0 == nil } ? nil : windows.compactMap { $0 }.max()
    }

    /// Updates `facts` (stage, scores, memberships) and `score`, and reports what changed.
    /// `newEvents` are scored; the caller has already added them to `facts` if their name matters.
    /// Only segments that `changes` can affect are evaluated again.
    public func qualify(
        _ facts: inout ContactFacts, score: inout ScoreState, newEvents: [NewEvent], changes: FactChanges, at now: Timestamp
    ) -> Qualification {
        var result = Qualification()
        var changes = changes
        let before = facts.memberships
        if let scorer {
            if changes.traits || changes.all { result.scoreChanges += scorer.scoreFit(facts, state: &score, at: now) }
            for event in newEvents {
                guard let name = event.name else { continue }
                result.scoreChanges += scorer.scoreEvent(name: name, event.fact, seq: event.seq, state: &score)
            }
            result.scoreChanges += scorer.scoreInactivity(lastSeen: facts.contact.lastSeen, state: &score, at: now)
            facts.scores = scorer.readings(score, at: now)
            if !result.scoreChanges.isEmpty { changes.score = true }
            if let due = scorer.nextInactivityPenalty(lastSeen: facts.contact.lastSeen, state: score) { result.wake(at: due, after: now) }
        }
        let membership = catalog.evaluate(&facts, at: now, changes: changes)
        if let next = membership.nextCheck { result.wake(at: next, after: now) }
        changes.stage = false
        var segmentsMoved = changes
        segmentsMoved.all = changes.all || facts.memberships != before
        if stageDependencies.contains(where: { segmentsMoved.all || $0.affected(by: changes) }), let move = stageMove(facts, at: now, result: &result) {
            result.stageChange = move
            facts.contact.stage = move.to
            let again = catalog.evaluate(&facts, at: now, changes: FactChanges(stage: true))
            if let next = again.nextCheck { result.wake(at: next, after: now) }
        }
        let after = facts.memberships
        result.membership = MembershipChange(nextCheck: result.nextCheck, complete: membership.complete)
        if after != before {
            result.membership.entered = catalog.segments.map(\.name).filter { after.contains($0) && !before.contains($0) }
            result.membership.exited = catalog.segments.map(\.name).filter { before.contains($0) && !after.contains($0) }
        }
        return result
    }

    /// The furthest stage a rule moves the contact to, if that is a step forward.
    func stageMove(_ facts: ContactFacts, at now: Timestamp, result: inout Qualification) -> StageChange? {
        guard let rules = scorer?.model.stages, !rules.isEmpty else { return nil }
        let current = facts.contact.stage
        if current == .disqualified { return nil }
        var best: StageRule?
        for rule in rules {
            let outcome = evaluator.evaluate(rule.when, for: facts, at: now)
            if let next = outcome.nextCheck { result.wake(at: next, after: now) }
            guard outcome.matched else { continue }
            let forward = current.map { $0 == .recycled || $0 == .other || ($0.isFunnel && rule.to > $0) } ?? true
            if forward, best.map({ rule.to > $0.to }) ?? true { best = rule }
        }
        return best.map { StageChange(from: current, to: $0.to, reason: $0.reason) }
    }
}

/// An event handed to the qualifier: its log position, name (for `track`), and facts.
public struct NewEvent: Sendable {
    public var seq: Int64?
    public var name: String?
    public var fact: EventFact

    public init(seq: Int64?, name: String?, fact: EventFact) {
        self.seq = seq
        self.name = name
        self.fact = fact
    }
}

/// A lifecycle move with the rule's reason, for the log and the velocity reports.
public struct StageChange: Sendable, Equatable {
    public var from: LifecycleStage?
    public var to: LifecycleStage
    public var reason: String
}

/// What one qualification changed.
public struct Qualification: Sendable {
    public var scoreChanges: [ScoreChange] = []
    public var stageChange: StageChange?
    public var membership = MembershipChange()
    /// When to qualify the contact again if nothing happens (a window closes, a penalty is due).
    public var nextCheck: Timestamp?

    mutating func wake(at time: Timestamp, after now: Timestamp) {
        if time > now { nextCheck = min(nextCheck ?? time, time) }
    }
}
