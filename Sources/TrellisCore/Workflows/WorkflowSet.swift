/// Whether a workflow takes new contacts and moves its runs.
public enum WorkflowStatus: String, Sendable, Codable, CaseIterable {
    /// Uploaded, not yet in force.
    case draft
    /// In force: triggers enroll contacts into the newest published version.
    case published
    /// No new entries, and runs hold where they are until it is published again.
    case paused
    /// No new entries; runs hold. Kept for reports.
    case archived
}

/// The workflows in force: every stored version (a run stays on the version it started on), the
/// version new entries use, and each workflow's status.
public struct WorkflowSet: Sendable {
    public struct Version: Sendable {
        public var definition: WorkflowDefinition
        public var version: Int
        public var status: WorkflowStatus

        public init(definition: WorkflowDefinition, version: Int, status: WorkflowStatus) {
            self.definition = definition
            self.version = version
            self.status = status
        }
    }

    let engines: [String: [Int: WorkflowEngine]]
    /// The version new runs of each workflow start on, for published workflows.
    public let entryVersions: [String: Int]
    public let statuses: [String: WorkflowStatus]
    /// What all their rules read.
    public let needs: FactNeeds
    public let names: [String]
    /// Which versions, in which statuses, the set was built from: a pass compares it with the
    /// store's, and a set that is out of date (another process published, paused or uploaded
    /// since) takes no step, so events are never read past with rules that are gone or missing.
    public let fingerprint: String

    /// The fingerprint of a set built from these versions.
    public static func fingerprint(_ versions: [(name: String, version: Int, status: WorkflowStatus)]) -> String {
        versions.map { "\($0.name)#\($0.version)#\($0.status.rawValue)" }.sorted().joined(separator: "\n")
    }

    public init(_ versions: [Version], zones: any TimeZoneOffsets = UTCOnly()) throws(InputError) {
        var engines: [String: [Int: WorkflowEngine]] = [:]
        var entry: [String: Int] = [:]
        var statuses: [String: WorkflowStatus] = [:]
        var rules: [Rule] = []
        for version in versions.sorted(by: { ($0.definition.name, $0.version) < ($1.definition.name, $1.version) }) {
            let name = version.definition.name
            engines[name, default: [:]][version.version] = WorkflowEngine(program: try WorkflowProgram(version.definition), version: version.version, zones: zones)
            // The newest version that is not a draft decides the workflow's status (uploading a
            // draft leaves the published one in force); the newest published one takes entries.
            if version.status != .draft { statuses[name] = version.status }
            if version.status == .published { entry[name] = version.version }
            rules += version.definition.rules
        }
        for (name, status) in statuses where status != .published { entry[name] = nil }
        self.engines = engines
        entryVersions = entry
        self.statuses = statuses
        needs = FactNeeds(rules: rules)
        names = engines.keys.sorted()
        fingerprint = Self.fingerprint(versions.map { ($0.definition.name, $0.version, $0.status) })
    }

    public func engine(_ name: String, version: Int) -> WorkflowEngine? { engines[name]?[version] }

    /// Whether runs of the workflow move (not paused or archived).
    public func isRunning(_ name: String) -> Bool { statuses[name] == .published }

    /// The workflows an event from the log enrolls its contact into: by name (as rules know
    /// events) and properties. Forms, segment entries and stage changes are events too.
    public func triggered(name: String, properties: [String: JSONValue], at now: Timestamp) -> [String] {
        entryVersions.keys.sorted().filter { workflow in
            guard let version = entryVersions[workflow], let engine = engines[workflow]?[version] else { return false }
            switch engine.definition.trigger {
            case .event(let condition):
                return condition.name == name && condition.accepts(properties, at: now)
            case .form(let key):
                return name == FormDefinition.submittedEvent && properties["form"]?.stringValue == key
            case .segmentEntered(let segment):
                return name == "Segment Entered" && properties["segment"]?.stringValue == segment
            case .stageChanged(let to, let from):
                guard name == "Lifecycle Stage Changed" else { return false }
                let toMatches = to.map { properties["to"]?.stringValue == $0.rawValue } ?? true
                let fromMatches = from.map { properties["from"]?.stringValue == $0.rawValue } ?? true
                return toMatches && fromMatches
            case .dateTrait, .inactive:
                return false
            }
        }
    }
}

extension WorkflowDefinition {
    /// Every rule in the workflow: entry requirement, goals, skip-ahead conditions, branches.
    public var rules: [Rule] {
        var rules = exitWhen + skipAhead.map(\.when)
        if let require = entry.require { rules.append(require) }
        for step in Self.flatten(steps) {
            if case .branch(let rule, _, _) = step.action { rules.append(rule) }
        }
        return rules
    }
}

extension WorkflowSet {
    /// Names of events that can matter to a run or an entry: triggers, goals, skip-ahead
    /// conditions, awaited events, and the events forms, segments and stage changes write.
    public var observedEvents: Set<String> {
        var names = needs.eventNames.union([FormDefinition.submittedEvent, "Segment Entered", "Lifecycle Stage Changed"])
        for name in self.names {
            for engine in engines[name]?.values.map({ $0 }) ?? [] {
                if case .event(let condition) = engine.definition.trigger { names.insert(condition.name) }
                for instruction in engine.program.instructions {
                    if case .waitUntil(let event, _) = instruction { names.insert(event.name) }
                }
            }
        }
        return names
    }
}
