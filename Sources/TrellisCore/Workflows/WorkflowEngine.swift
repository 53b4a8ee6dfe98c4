/// Moves runs through a workflow program. Pure: facts and time come in, actions come out; the
/// store persists the run after each call, and a replay from the last persisted run repeats the
/// same actions with the same keys.
public struct WorkflowEngine: Sendable {
    public let program: WorkflowProgram
    public let version: Int
    let zones: any TimeZoneOffsets
    private let evaluator = RuleEvaluator()
    /// A run executes at most this many instructions in one call (loops are stopped by waits;
    /// this only guards against a loop the validator could not see).
    static let stepBudget = 1_000

    public init(program: WorkflowProgram, version: Int, zones: any TimeZoneOffsets = UTCOnly()) {
        self.program = program
        self.version = version
        self.zones = zones
    }

    public var definition: WorkflowDefinition { program.definition }

    /// Whether the contact may enter now, given its earlier runs of this workflow.
    public func mayEnter<Subject: RuleSubject>(_ facts: Subject, earlier: [WorkflowRun], at now: Timestamp) -> Bool {
        if let last = earlier.map(\.enteredAt).max() {
            if definition.entry.once { return false }
            if let every = definition.entry.every, now < last.adding(every) { return false }
            if earlier.contains(where: { $0.status != .finished }) { return false }
        }
        if let require = definition.entry.require, !evaluator.evaluate(require, for: facts, at: now).matched { return false }
        return true
    }

    /// Enrolls the contact and runs the first steps.
    public func start<Subject: RuleSubject>(contactId: Int64, facts: Subject, at now: Timestamp) -> (WorkflowRun, [RunAction]) {
        var run = WorkflowRun(
            id: "\(definition.name)-v\(version)-\(contactId)-\(now.millisecondsSinceEpoch)", workflow: definition.name, version: version, contactId: contactId,
            enteredAt: now)
        var actions = [RunAction(kind: .enter, at: now, step: "trigger", key: "\(run.id)#enter", detail: "version \(version)")]
        actions += execute(&run, facts: facts, at: now)
        return (run, actions)
    }

    /// Goes on with a run whose wait is over (or checks its goals if it is still waiting).
    public func advance<Subject: RuleSubject>(_ run: inout WorkflowRun, facts: Subject, at now: Timestamp) -> [RunAction] {
        guard run.status != .finished else { return [] }
        if let goal = metGoal(run, facts: facts, at: now) { return [finish(&run, reason: "goal", detail: goal, at: now)] }
        if run.status == .waiting {
            guard let wakeAt = run.wakeAt, wakeAt <= now else { return [] }
            var actions: [RunAction] = []
            if case .waitUntil = program.instructions[run.position] {
                actions.append(record(&run, .wait, at: now, detail: "timed out"))
            }
            run.position += 1
            run.status = .active
            run.wakeAt = nil
            return actions + execute(&run, facts: facts, at: now)
        }
        return execute(&run, facts: facts, at: now)
    }

    /// Tells a run about an event of its contact: goals, skip-ahead, and a `wait_until` it awaits.
    public func observe<Subject: RuleSubject>(_ run: inout WorkflowRun, event name: String, _ fact: EventFact, facts: Subject, at now: Timestamp) -> [RunAction] {
        guard run.status != .finished else { return [] }
        if let goal = metGoal(run, facts: facts, at: now) { return [finish(&run, reason: "goal", detail: goal, at: now)] }
        for skip in definition.skipAhead {
            guard let target = program.labels[skip.goto], target > run.position, matches(skip.when, name, fact, facts: facts, at: now) else { continue }
            let from = program.paths[run.position]
            run.position = target
            run.status = .active
            run.wakeAt = nil
            let jump = RunAction(kind: .goto, at: now, step: from, key: "\(run.id)#\(run.executed)-skip", detail: "skip ahead to \(skip.goto) on \(name)")
            run.executed += 1
            return [jump] + execute(&run, facts: facts, at: now)
        }
        if run.status == .waiting, case .waitUntil(let condition, _) = program.instructions[run.position], condition.name == name,
            condition.accepts(fact.properties, at: now)
        {
            let done = record(&run, .wait, at: now, detail: "\(name) arrived")
            run.position += 1
            run.status = .active
            run.wakeAt = nil
            return [done] + execute(&run, facts: facts, at: now)
        }
        return []
    }

    /// An event condition matches the event itself; other rules are evaluated on the facts.
    func matches<Subject: RuleSubject>(_ rule: Rule, _ name: String, _ fact: EventFact, facts: Subject, at now: Timestamp) -> Bool {
        if case .event(let condition) = rule { return condition.name == name && condition.accepts(fact.properties, at: now) }
        return evaluator.evaluate(rule, for: facts, at: now).matched
    }

    /// The first exit goal that holds, counting only events since the contact entered.
    func metGoal<Subject: RuleSubject>(_ run: WorkflowRun, facts: Subject, at now: Timestamp) -> String? {
        let since = SinceEntry(base: facts, since: run.enteredAt)
        for (index, goal) in definition.exitWhen.enumerated() where evaluator.evaluate(goal, for: since, at: now).matched {
            return "exit_when[\(index)]"
        }
        return nil
    }

    func execute<Subject: RuleSubject>(_ run: inout WorkflowRun, facts: Subject, at now: Timestamp) -> [RunAction] {
        var actions: [RunAction] = []
        for _ in 0..<Self.stepBudget {
            let instruction = program.instructions[run.position]
            switch instruction {
            case .send(let action):
                actions.append(record(&run, .send, at: now, detail: Self.describe(action), action: action))
                run.position += 1
            case .update(let update):
                actions.append(record(&run, .update, at: now, detail: Self.describe(update), action: .update(update)))
                run.position += 1
            case .enroll(let workflow):
                actions.append(record(&run, .enroll, at: now, detail: workflow, action: .enroll(workflow: workflow)))
                run.position += 1
            case .remove(let workflow):
                actions.append(record(&run, .remove, at: now, detail: workflow, action: .remove(workflow: workflow)))
                run.position += 1
            case .handoff(let reason):
                actions.append(record(&run, .handoff, at: now, detail: reason ?? "ready for sales", action: .handoff(reason: reason)))
                run.position += 1
            case .jump(let target):
                actions.append(record(&run, .goto, at: now, detail: program.labels.first { $0.value == target }?.key ?? "\(target)"))
                run.position = target
            case .branch(let rule, let then, let otherwise):
                let taken = evaluator.evaluate(rule, for: facts, at: now).matched
                actions.append(record(&run, .branch, at: now, detail: taken ? "then" : "else"))
                run.position = taken ? then : otherwise
            case .split(let variants, let holdout):
                let variant = Self.pick(variants, holdout: holdout, seed: "\(run.workflow)/\(run.contactId)/\(run.position)")
                run.variant = variant
                actions.append(record(&run, .split, at: now, detail: variant ?? "holdout"))
                guard variant != nil else { return actions + [finish(&run, reason: "holdout", detail: "holdout group", at: now)] }
                run.position += 1
            case .wait(let duration):
                return actions + [sleep(&run, until: now.adding(duration), at: now)]
            case .waitForWindow(let days, let from, let to):
                let zone = facts.contact.traits["timezone"]?.stringValue ?? "UTC"
                let next = nextWindow(after: now, days: days, fromHour: from, toHour: to, zone: zone)
                if next <= now {
                    run.position += 1
                    continue
                }
                return actions + [sleep(&run, until: next, at: now)]
            case .waitUntil(let condition, let timeout):
                return actions + [sleep(&run, until: now.adding(timeout), at: now, detail: "for \(condition.name), at most \(timeout)")]
            case .exit:
                return actions + [finish(&run, reason: "completed", detail: program.paths[run.position] == "end" ? "end of the workflow" : "exit step", at: now)]
            }
        }
        return actions + [finish(&run, reason: "step_budget", detail: "more than \(Self.stepBudget) steps without a wait", at: now)]
    }

    func record(_ run: inout WorkflowRun, _ kind: RunAction.Kind, at now: Timestamp, detail: String, action: StepAction? = nil) -> RunAction {
        let entry = RunAction(kind: kind, at: now, step: program.paths[run.position], key: "\(run.id)#\(run.executed)", detail: detail, action: action)
        run.executed += 1
        return entry
    }

    func sleep(_ run: inout WorkflowRun, until wake: Timestamp, at now: Timestamp, detail: String? = nil) -> RunAction {
        let entry = record(&run, .wait, at: now, detail: detail ?? "until \(wake.iso8601)")
        run.status = .waiting
        run.wakeAt = wake
        return entry
    }

    func finish(_ run: inout WorkflowRun, reason: String, detail: String, at now: Timestamp) -> RunAction {
        let entry = RunAction(kind: .exit, at: now, step: program.paths[min(run.position, program.paths.count - 1)], key: "\(run.id)#exit", detail: "\(reason): \(detail)")
        run.status = .finished
        run.finishReason = reason
        run.wakeAt = nil
        return entry
    }

    /// The first moment at or after `now` inside the window, in the contact's local time.
    func nextWindow(after now: Timestamp, days: Set<Weekday>, fromHour: Int, toHour: Int, zone: String) -> Timestamp {
        let hour: Int64 = 3_600_000
        var candidate = now
        for _ in 0..<(24 * 8) {
            let local = candidate.millisecondsSinceEpoch + zones.offset(zone: zone, at: candidate)
            let day = Int((local / 86_400_000 % 7 + 7) % 7)  // 1970-01-01 was a Thursday
            let weekday = Weekday.allCases[(day + 3) % 7]
            let localHour = Int((local % 86_400_000 + 86_400_000) % 86_400_000 / hour)
            if days.contains(weekday), localHour >= fromHour, localHour < toHour { return candidate }
            // Go to the start of the next local hour.
            candidate = candidate.adding(milliseconds: hour - (local % hour + hour) % hour)
        }
        return candidate
    }

    /// A stable choice: the same contact always lands in the same variant of the same step.
    static func pick(_ variants: [SplitVariant], holdout: Int, seed: String) -> String? {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var bucket = Int(hash % 100)
        for variant in variants {
            if bucket < variant.weight { return variant.name }
            bucket -= variant.weight
        }
        return nil
    }

    static func describe(_ action: StepAction) -> String {
        switch action {
        case .sendEmail(let template): "email \(template)"
        case .sendWebhook(let name): "webhook \(name)"
        default: "\(action)"
        }
    }

    static func describe(_ update: ContactUpdate) -> String {
        var parts: [String] = []
        if let stage = update.stage { parts.append("stage \(stage.rawValue)") }
        if let score = update.score { parts.append("score \(score >= 0 ? "+" : "")\(score.formattedForRule)") }
        if !update.traits.isEmpty { parts.append("traits \(update.traits.keys.sorted().joined(separator: ", "))") }
        if !update.tags.isEmpty { parts.append("tags \(update.tags.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}

/// A subject whose events are only those since a run began: goals count what happened in the run.
struct SinceEntry<Base: RuleSubject>: RuleSubject {
    let base: Base
    let since: Timestamp

    var contact: Contact { base.contact }
    var account: Account? { base.account }
    func events(named name: String) -> [EventFact] { base.events(named: name).filter { $0.timestamp >= since } }
    func score(_ dimension: ScoreDimension) -> ScoreReading? { base.score(dimension) }
    func isMember(of segment: String) -> Bool { base.isMember(of: segment) }
    func colleagues() -> [SinceEntry<Base>] { base.colleagues().map { SinceEntry(base: $0, since: since) } }
}
