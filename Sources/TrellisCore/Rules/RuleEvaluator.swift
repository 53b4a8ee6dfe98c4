/// Evaluates rules against subjects at a given time.
///
/// Besides the answer it reports ``RuleOutcome/nextCheck``: the earliest time the answer can
/// change with nothing new happening (an event leaving a window, a relative date passing, a
/// decaying score crossing a threshold). Scheduling a re-evaluation then is what makes windows
/// expire on their own. With `explain`, it also says in words why each condition held or not.
public struct RuleEvaluator: Sendable {
    public init() {}

    public func evaluate<Subject: RuleSubject>(_ rule: Rule, for subject: Subject, at now: Timestamp) -> RuleOutcome {
        var trace = Trace(explaining: false)
        let matched = evaluate(rule, subject, now, &trace)
        return RuleOutcome(matched: matched, nextCheck: trace.next, reasons: [])
    }

    /// The same answer, with a line for every condition (all of them, not only up to the first failure).
    public func explain<Subject: RuleSubject>(_ rule: Rule, for subject: Subject, at now: Timestamp) -> RuleOutcome {
        var trace = Trace(explaining: true)
        let matched = evaluate(rule, subject, now, &trace)
        return RuleOutcome(matched: matched, nextCheck: trace.next, reasons: trace.reasons)
    }

    struct Trace {
        var explaining: Bool
        var next: Timestamp?
        var reasons: [RuleReason] = []
        var depth = 0

        init(explaining: Bool) { self.explaining = explaining }

        mutating func wake(at time: Timestamp, after now: Timestamp) {
            if time > now { next = min(next ?? time, time) }
        }

        mutating func note(_ held: Bool, _ text: @autoclosure () -> String) {
            if explaining { reasons.append(RuleReason(held: held, text: text(), depth: depth)) }
        }
    }

    func evaluate<Subject: RuleSubject>(_ rule: Rule, _ subject: Subject, _ now: Timestamp, _ trace: inout Trace) -> Bool {
        switch rule {
        case .all(let rules):
            return group(rules, all: true, subject, now, &trace)
        case .any(let rules):
            return group(rules, all: false, subject, now, &trace)
        case .not(let inner):
            trace.note(true, "none of the following:")
            trace.depth += 1
            let held = !evaluate(inner, subject, now, &trace)
            trace.depth -= 1
            return held
        case .trait(let reference, let comparisons):
            let value = traitValue(reference, subject)
            let held = comparisons.allSatisfy { $0.holds(value, at: now, next: &trace.next) }
            trace.note(held, "\(reference) is \(value.map { $0.shortDescription } ?? "unknown") (\(comparisons.map(\.description).joined(separator: ", ")))")
            return held
        case .event(let condition):
            return event(condition, subject, now, &trace)
        case .seenWithin(let duration):
            let lastSeen = subject.contact.lastSeen
            trace.wake(at: lastSeen.adding(duration).adding(milliseconds: 1), after: now)
            let held = lastSeen >= now.subtracting(duration)
            trace.note(held, "last seen \(lastSeen.iso8601) (needs within \(duration))")
            return held
        case .inactive(let duration):
            let lastSeen = subject.contact.lastSeen
            trace.wake(at: lastSeen.adding(duration), after: now)
            let held = lastSeen <= now.subtracting(duration)
            trace.note(held, "last seen \(lastSeen.iso8601) (inactive for \(duration) or more)")
            return held
        case .stage(let comparisons):
            let value = subject.contact.stage.map { JSONValue.int(Int64($0.rank)) }
            let held = comparisons.allSatisfy { $0.holds(value, at: now, next: &trace.next) }
            trace.note(held, "stage is \(subject.contact.stage?.rawValue ?? "unknown")")
            return held
        case .score(let dimension, let comparisons):
            return score(dimension, comparisons, subject, now, &trace)
        case .unsubscribed:
            let held = subject.contact.consent.email?.status == .withdrawn
            trace.note(held, held ? "unsubscribed from email" : "not unsubscribed from email")
            return held
        case .consented:
            if let expiry = subject.contact.consent.email?.expiresAt { trace.wake(at: expiry, after: now) }
            let held = subject.contact.consent.allowsEmail(at: now)
            trace.note(held, held ? "has email consent" : "has no valid email consent")
            return held
        case .inSegment(let name):
            let held = subject.isMember(of: name)
            trace.note(held, held ? "in segment \(name)" : "not in segment \(name)")
            return held
        case .account(let aggregate):
            return account(aggregate, subject, now, &trace)
        }
    }

    private func group<Subject: RuleSubject>(_ rules: [Rule], all: Bool, _ subject: Subject, _ now: Timestamp, _ trace: inout Trace) -> Bool {
        trace.note(true, all ? "all of:" : "any of:")
        let headline = trace.reasons.count - 1
        trace.depth += 1
        defer { trace.depth -= 1 }
        var result = all
        for rule in rules {
            let held = evaluate(rule, subject, now, &trace)
            if held != all {
                result = !all
                if !trace.explaining { break }
            }
        }
        if trace.explaining { trace.reasons[headline].held = result }
        return result
    }

    private func event<Subject: RuleSubject>(_ condition: EventCondition, _ subject: Subject, _ now: Timestamp, _ trace: inout Trace) -> Bool {
        let since = condition.within.map { now.subtracting($0) }
        var count = 0
        var oldest: Timestamp?
        for fact in subject.events(named: condition.name) {
            if let since, fact.timestamp < since { continue }
            guard condition.accepts(fact.properties, at: now) else { continue }
            count += 1
            if oldest == nil || fact.timestamp < oldest! { oldest = fact.timestamp }
        }
        if let within = condition.within, let oldest { trace.wake(at: oldest.adding(within).adding(milliseconds: 1), after: now) }
        let value = JSONValue.int(Int64(count))
        let held = condition.count.allSatisfy { $0.holds(value, at: now, next: &trace.next) }
        trace.note(held, "\(count) × \(condition.name)\(condition.filters.isEmpty ? "" : " (filtered)")\(condition.within.map { " within \($0)" } ?? "") (needs \(condition.count.map(\.description).joined(separator: ", ")))")
        return held
    }

    private func score<Subject: RuleSubject>(
        _ dimension: ScoreDimension, _ comparisons: [Comparison], _ subject: Subject, _ now: Timestamp, _ trace: inout Trace
    ) -> Bool {
        let reading = subject.score(dimension)
        let value = reading.map { JSONValue.double($0.value) }
        let held = comparisons.allSatisfy { $0.holds(value, at: now, next: &trace.next) }
        if let reading {
            for comparison in comparisons {
                if let bound = comparison.operand.numberValue, let crossing = reading.crossing(bound, from: now) { trace.wake(at: crossing, after: now) }
            }
        }
        let shown = dimension == .grade ? reading.flatMap { value in FitGrade.allCases.first { Double($0.rank) == value.value }?.rawValue } : reading.map { $0.value.formattedForRule(decimals: 1) }
        trace.note(held, "\(dimension.rawValue) is \(shown ?? "unknown") (\(comparisons.map(\.description).joined(separator: ", ")))")
        return held
    }

    private func account<Subject: RuleSubject>(_ aggregate: AccountAggregate, _ subject: Subject, _ now: Timestamp, _ trace: inout Trace) -> Bool {
        guard subject.account != nil else {
            trace.note(false, "has no account")
            return false
        }
        var inner = Trace(explaining: false)
        var count = evaluate(aggregate.match, subject, now, &inner) ? 1 : 0
        let colleagues = subject.colleagues()
        for colleague in colleagues where evaluate(aggregate.match, colleague, now, &inner) { count += 1 }
        if let next = inner.next { trace.wake(at: next, after: now) }
        let held = aggregate.contacts.allSatisfy { $0.holds(.int(Int64(count)), at: now, next: &trace.next) }
        trace.note(held, "\(count) of the account's \(colleagues.count + 1) contacts match (needs \(aggregate.contacts.map(\.description).joined(separator: ", ")))")
        return held
    }

    func traitValue<Subject: RuleSubject>(_ reference: TraitReference, _ subject: Subject) -> JSONValue? {
        switch reference.scope {
        case .contact:
            let contact = subject.contact
            if let value = contact.traits.value(at: reference.path) { return value }
            guard reference.path.count == 1 else { return nil }
            switch reference.path[0] {
            case "email": return contact.email.map { .string($0) }
            case "user_id", "userId": return contact.userId.map { .string($0) }
            case "owner": return contact.owner.map { .string($0) }
            case "first_seen": return .string(contact.firstSeen.iso8601)
            case "last_seen": return .string(contact.lastSeen.iso8601)
            default: return nil
            }
        case .account:
            guard let account = subject.account else { return nil }
            if let value = account.traits.value(at: reference.path) { return value }
            if reference.path == ["name"] { return account.name.map { .string($0) } }
            if reference.path == ["group_id"] { return .string(account.groupId) }
            return nil
        }
    }
}

/// The answer for one rule and one contact.
public struct RuleOutcome: Sendable, Equatable {
    public var matched: Bool
    /// When to look again even if nothing happens; nil if only new input can change the answer.
    public var nextCheck: Timestamp?
    /// Filled by ``RuleEvaluator/explain(_:for:at:)``.
    public var reasons: [RuleReason]
}

/// One line of an explanation: "2 × Page Viewed (filtered) within 14d (needs gte 2)", and whether it held.
public struct RuleReason: Sendable, Equatable, Codable {
    public var held: Bool
    public var text: String
    /// Nesting under all / any / not, for indentation.
    public var depth: Int
}

extension Double {
    func formattedForRule(decimals: Int) -> String {
        if rounded() == self { return formattedForRule }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return ((self * scale).rounded() / scale).formattedForRule
    }
}
