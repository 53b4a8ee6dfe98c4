/// Runs workflows for scripted contacts on a virtual clock: the same engine as the server, with
/// the contacts' facts held in memory. Contacts are independent of each other, so each is played
/// through on its own, from its first event to the scenario's end.
public struct Simulator: Sendable {
    let engines: [String: WorkflowEngine]
    let order: [String]

    public init(workflows: [WorkflowDefinition], zones: any TimeZoneOffsets = UTCOnly()) throws(InputError) {
        var engines: [String: WorkflowEngine] = [:]
        for workflow in workflows { engines[workflow.name] = WorkflowEngine(program: try WorkflowProgram(workflow), version: 1, zones: zones) }
        self.engines = engines
        order = workflows.map(\.name)
    }

    /// One line of the simulated timeline.
    public struct Entry: Sendable, Equatable {
        public var at: Timestamp
        public var workflow: String
        public var step: String
        public var action: String
        public var detail: String
    }

    public struct Result: Sendable {
        /// By contact id, in time order.
        public var timelines: [String: [Entry]] = [:]
        /// By workflow, step and action: how often each happened.
        public var steps: [String: [String: [String: Int]]] = [:]
    }

    public func run(_ scenario: Scenario) -> Result {
        var result = Result()
        for contact in scenario.contacts {
            var play = Playthrough(simulator: self, scenario: scenario, script: contact)
            play.run()
            result.timelines[contact.id] = play.entries
            for entry in play.entries { result.steps[entry.workflow, default: [:]][entry.step, default: [:]][entry.action, default: 0] += 1 }
        }
        return result
    }

    /// One contact through the scenario.
    struct Playthrough {
        let simulator: Simulator
        let script: Scenario.ScriptedContact
        let start: Timestamp
        let end: Timestamp
        var facts: ContactFacts
        var runs: [String: [WorkflowRun]] = [:]
        var entries: [Entry] = []
        /// For inactivity triggers: the last-seen time each workflow was last considered for.
        var inactivityChecked: [String: Timestamp] = [:]
        /// For date triggers: the due times already considered, by workflow.
        var datesChecked: [String: Timestamp] = [:]

        init(simulator: Simulator, scenario: Scenario, script: Scenario.ScriptedContact) {
            self.simulator = simulator
            self.script = script
            start = scenario.start
            end = scenario.start.adding(milliseconds: scenario.horizon ?? ((script.events.last?.offset ?? 0) + scenario.tail))
            var contact = Contact(id: 1, email: script.traits["email"]?.stringValue, traits: script.traits, firstSeen: scenario.start, lastSeen: scenario.start)
            if let consent = script.consent { contact.consent.email = consent }
            facts = ContactFacts(contact: contact)
        }

        mutating func run() {
            var nextEvent = 0
            for _ in 0..<100_000 {
                let eventAt = nextEvent < script.events.count ? start.adding(milliseconds: script.events[nextEvent].offset) : nil
                let wake = runs.values.flatMap { $0 }.filter { $0.status == .waiting }.compactMap(\.wakeAt).min()
                let quiet = nextInactivity()
                let dated = nextDate()
                guard let now = [eventAt, wake, quiet?.at, dated?.at].compactMap({ $0 }).min(), now <= end else { return }
                if let eventAt, eventAt == now {
                    happen(script.events[nextEvent], at: now)
                    nextEvent += 1
                } else if let wake, wake == now {
                    wakeRuns(at: now)
                } else if let quiet, quiet.at == now {
                    inactivityChecked[quiet.workflow] = facts.contact.lastSeen
                    enter(quiet.workflow, at: now)
                } else if let dated {
                    datesChecked[dated.workflow] = dated.at
                    enter(dated.workflow, at: now)
                }
            }
        }

        mutating func happen(_ event: Scenario.ScriptedEvent, at now: Timestamp) {
            facts.contact.lastSeen = now
            if event.name == "Identify" {
                facts.contact.traits = Traits.merge(facts.contact.traits, with: event.traits)
                if let email = Traits.email(in: event.traits) { facts.contact.email = email }
                // A lifecycle stage in the traits is a stage change, as in the server.
                if let stage = Traits.stage(in: event.traits), stage != facts.contact.stage {
                    facts.contact.stage = stage
                    enterOnStage(stage, at: now)
                }
                return
            }
            let fact = EventFact(timestamp: now, properties: event.properties)
            facts.record(name: event.name, fact, keep: nil)
            for name in simulator.order {
                for index in (runs[name] ?? []).indices where runs[name]![index].status != .finished {
                    let actions = simulator.engines[name]!.observe(&runs[name]![index], event: event.name, fact, facts: facts, at: now)
                    apply(actions, workflow: name)
                }
            }
            for name in simulator.order where triggered(simulator.engines[name]!.definition.trigger, by: event) { enter(name, at: now) }
        }

        func triggered(_ trigger: WorkflowTrigger, by event: Scenario.ScriptedEvent) -> Bool {
            switch trigger {
            case .event(let condition): condition.name == event.name && condition.accepts(event.properties, at: start)
            case .form(let key): event.name == "Form Submitted" && event.properties["form"]?.stringValue == key
            // The qualify stage writes these in the server; a scenario scripts them.
            case .segmentEntered(let segment): event.name == "Segment Entered" && event.properties["segment"]?.stringValue == segment
            default: false
            }
        }

        mutating func enterOnStage(_ stage: LifecycleStage, at now: Timestamp) {
            for name in simulator.order {
                if case .stageChanged(let to, _) = simulator.engines[name]!.definition.trigger, to == nil || to == stage { enter(name, at: now) }
            }
        }

        mutating func wakeRuns(at now: Timestamp) {
            for name in simulator.order {
                for index in (runs[name] ?? []).indices where runs[name]![index].status == .waiting && (runs[name]![index].wakeAt ?? end) <= now {
                    apply(simulator.engines[name]!.advance(&runs[name]![index], facts: facts, at: now), workflow: name)
                }
            }
        }

        func nextInactivity() -> (workflow: String, at: Timestamp)? {
            var best: (String, Timestamp)?
            for name in simulator.order {
                guard case .inactive(let duration) = simulator.engines[name]!.definition.trigger, inactivityChecked[name] != facts.contact.lastSeen else { continue }
                let at = facts.contact.lastSeen.adding(duration)
                if best == nil || at < best!.1 { best = (name, at) }
            }
            return best
        }

        /// The next date trigger due: a date trait plus its offset, not yet considered.
        func nextDate() -> (workflow: String, at: Timestamp)? {
            var best: (String, Timestamp)?
            for name in simulator.order {
                guard case .dateTrait(let trait, let offset) = simulator.engines[name]!.definition.trigger,
                    let date = facts.contact.traits.value(at: trait.split(separator: ".").map(String.init))?.timeValue
                else { continue }
                let at = max(start, date.adding(milliseconds: offset))
                guard date.adding(milliseconds: offset) >= start, datesChecked[name] != at else { continue }
                if best == nil || at < best!.1 { best = (name, at) }
            }
            return best
        }

        mutating func enter(_ name: String, at now: Timestamp) {
            guard let engine = simulator.engines[name], engine.mayEnter(facts, earlier: runs[name] ?? [], at: now) else { return }
            let (run, actions) = engine.start(contactId: facts.contact.id, facts: facts, at: now)
            runs[name, default: []].append(run)
            apply(actions, workflow: name)
        }

        mutating func apply(_ actions: [RunAction], workflow: String) {
            for action in actions {
                entries.append(Entry(at: action.at, workflow: workflow, step: action.step, action: action.kind.rawValue, detail: action.detail))
                switch action.action {
                case .update(let update)?:
                    facts.contact.traits = Traits.merge(facts.contact.traits, with: update.traits)
                    if !update.tags.isEmpty {
                        let tags = (facts.contact.traits["tags"]?.arrayValue ?? []) + update.tags.map { .string($0) }
                        facts.contact.traits["tags"] = .array(tags)
                    }
                    if let stage = update.stage, stage != facts.contact.stage {
                        facts.contact.stage = stage
                        enterOnStage(stage, at: action.at)
                    }
                case .enroll(let target)?:
                    enter(target, at: action.at)
                case .remove(let target)?:
                    for index in (runs[target] ?? []).indices where runs[target]![index].status != .finished {
                        runs[target]![index].status = .finished
                        runs[target]![index].finishReason = "removed"
                        entries.append(Entry(at: action.at, workflow: target, step: "-", action: "exit", detail: "removed by \(workflow)"))
                    }
                default: break
                }
            }
        }
    }
}
