extension WorkflowDefinition {
    static let topKeys: Set<String> = ["workflow", "description", "trigger", "entry", "exit_when", "on", "steps"]
    static let actionKeys = ["send", "wait", "wait_until", "branch", "split", "update", "goto", "enroll", "remove", "handoff", "exit"]

    /// Reads a workflow; the first problem found is thrown with its path (`steps[3].wait`), so a
    /// YAML loader can point at the line. ``problems(templates:)`` then checks the whole graph.
    public init(json: JSONValue) throws(InputError) {
        let reader = try ObjectReader(json, path: "")
        try reader.rejectUnknown(Self.topKeys)
        let name = try reader.string("workflow", required: true)!
        guard SegmentDefinition.isValidName(name) else {
            throw InputError.invalid("workflow", "workflow must be 1-64 characters of a-z, 0-9, '-' or '_', got '\(name)'")
        }
        guard let trigger = reader.object["trigger"] else { throw InputError.missing("trigger", "trigger is required: what enrolls a contact") }
        var exitWhen: [Rule] = []
        if let value = reader.object["exit_when"] {
            guard case .array(let items) = value else { throw InputError.invalid("exit_when", "exit_when must be a list of conditions") }
            for (index, item) in items.enumerated() { exitWhen.append(try Rule(json: item, path: "exit_when[\(index)]")) }
        }
        var skipAhead: [SkipAhead] = []
        if let value = reader.object["on"] {
            guard case .array(let items) = value else { throw InputError.invalid("on", "on must be a list of { when, goto }") }
            for (index, item) in items.enumerated() {
                let entry = try ObjectReader(item, path: "on[\(index)].")
                try entry.rejectUnknown(["when", "goto"])
                guard let when = entry.object["when"] else { throw InputError.missing("on[\(index)].when") }
                skipAhead.append(SkipAhead(when: try Rule(json: when, path: "on[\(index)].when"), goto: try entry.string("goto", required: true)!))
            }
        }
        guard let stepsValue = reader.object["steps"] else { throw InputError.missing("steps") }
        let steps = try Self.steps(stepsValue, path: "steps")
        guard !steps.isEmpty else { throw InputError.invalid("steps", "steps must not be empty") }
        self.init(
            name: name, trigger: try WorkflowTrigger(json: trigger, path: "trigger"),
            entry: try reader.object["entry"].map { value throws(InputError) in try EntryPolicy(json: value, path: "entry") } ?? EntryPolicy(),
            exitWhen: exitWhen, skipAhead: skipAhead, steps: steps, source: json)
    }

    static func steps(_ value: JSONValue, path: String) throws(InputError) -> [WorkflowStep] {
        guard case .array(let items) = value else { throw InputError.invalid(path, "\(path) must be a list of steps") }
        var steps: [WorkflowStep] = []
        for (index, item) in items.enumerated() { steps.append(try WorkflowStep(json: item, path: "\(path)[\(index)]")) }
        return steps
    }
}

extension WorkflowTrigger {
    init(json: JSONValue, path: String) throws(InputError) {
        guard case .object(let object) = json else { throw InputError.invalid(path, "\(path) must be an object such as { event: Ebook Downloaded }") }
        let kinds = ["event", "segment_entered", "form", "stage_changed", "date_trait", "inactive"].filter { object[$0] != nil }
        guard kinds.count == 1, let kind = kinds.first else {
            throw InputError.invalid(path, "\(path) needs exactly one of event, segment_entered, form, stage_changed, date_trait, inactive")
        }
        let value = object[kind]!
        let field = "\(path).\(kind)"
        if kind != "event" { try Rule.only([kind], in: object, path: path) }
        switch kind {
        case "event":
            guard case .event(let condition) = try Rule(json: json, path: path) else { throw InputError.invalid(path, "\(path) must be an event") }
            self = .event(condition)
        case "segment_entered":
            guard let name = value.stringValue, !name.isEmpty else { throw InputError.invalid(field, "\(field) must name a segment") }
            self = .segmentEntered(name)
        case "form":
            guard let key = value.stringValue, !key.isEmpty else { throw InputError.invalid(field, "\(field) must name a form") }
            self = .form(key)
        case "stage_changed":
            let reader = try ObjectReader(value, path: field + ".")
            try reader.rejectUnknown(["to", "from"])
            func stage(_ key: String) throws(InputError) -> LifecycleStage? {
                guard let label = try reader.string(key) else { return nil }
                guard let stage = LifecycleStage(label: label) else { throw InputError.invalid("\(field).\(key)", "unknown lifecycle stage '\(label)'") }
                return stage
            }
            self = .stageChanged(to: try stage("to"), from: try stage("from"))
        case "date_trait":
            let reader = try ObjectReader(value, path: field + ".")
            try reader.rejectUnknown(["trait", "offset"])
            let trait = try reader.string("trait", required: true)!
            var offset: Int64 = 0
            if let text = reader.object["offset"]?.stringValue?.trimmed {
                let negative = text.hasPrefix("-")
                let body = negative || text.hasPrefix("+") ? String(text.dropFirst()) : text
                guard let duration = RuleDuration(parsing: body) else {
                    throw InputError.invalid("\(field).offset", "\(field).offset must be a duration such as -30d or 2h")
                }
                offset = negative ? -duration.milliseconds : duration.milliseconds
            }
            self = .dateTrait(trait: trait, offsetMilliseconds: offset)
        default:
            self = .inactive(try RuleDuration.read(value, field: field))
        }
    }
}

extension EntryPolicy {
    init(json: JSONValue, path: String) throws(InputError) {
        let reader = try ObjectReader(json, path: path + ".")
        try reader.rejectUnknown(["once", "every", "require"])
        let every = try reader.object["every"].map { value throws(InputError) in try RuleDuration.read(value, field: "\(path).every") }
        let once = try reader.bool("once") ?? (every == nil)
        if once, every != nil { throw InputError.invalid("\(path).every", "entry is either once: true or every: a duration, not both") }
        self.init(once: once, every: every, require: try reader.object["require"].map { value throws(InputError) in try Rule(json: value, path: "\(path).require") })
    }
}

extension WorkflowStep {
    init(json: JSONValue, path: String) throws(InputError) {
        if json.stringValue == "exit" {
            self.init(action: .exit, path: path)
            return
        }
        guard case .object(let object) = json else { throw InputError.invalid(path, "\(path) must be a step such as { wait: 3d }") }
        let kinds = WorkflowDefinition.actionKeys.filter { object[$0] != nil }
        guard let kind = kinds.first else {
            throw InputError(
                code: "unknown_step", message: "\(path) names no step kind; expected one of \(WorkflowDefinition.actionKeys.joined(separator: ", "))", field: path)
        }
        guard kinds.count == 1 else { throw InputError.invalid(path, "\(path) mixes \(kinds.joined(separator: " and ")); write one step each") }
        try Rule.only([kind, "id"], in: object, path: path)
        var id: String?
        if let value = object["id"] {
            guard let text = value.stringValue, SegmentDefinition.isValidName(text) else {
                throw InputError.invalid("\(path).id", "\(path).id must be 1-64 characters of a-z, 0-9, '-' or '_'")
            }
            id = text
        }
        self.init(id: id, action: try StepAction(kind: kind, value: object[kind]!, path: "\(path).\(kind)"), path: path)
    }
}

extension StepAction {
    init(kind: String, value: JSONValue, path: String) throws(InputError) {
        switch kind {
        case "send":
            let reader = try ObjectReader(value, path: path + ".")
            try reader.rejectUnknown(["email", "webhook"])
            if let template = try reader.string("email") { self = .sendEmail(template: template) }
            else if let name = try reader.string("webhook") { self = .sendWebhook(name: name) }
            else { throw InputError.invalid(path, "\(path) needs email: a template, or webhook: an integration") }
        case "wait":
            self = try Self.wait(value, path: path)
        case "wait_until":
            let reader = try ObjectReader(value, path: path + ".")
            try reader.rejectUnknown(["event", "where", "timeout"])
            guard let timeout = reader.object["timeout"] else { throw InputError.missing("\(path).timeout", "\(path).timeout is required: how long to wait at most") }
            let condition = try EventCondition(kind: "event", object: reader.object.filter { $0.key != "timeout" }, path: path)
            self = .waitUntil(event: condition, timeout: try RuleDuration.read(timeout, field: "\(path).timeout"))
        case "branch":
            let reader = try ObjectReader(value, path: path + ".")
            try reader.rejectUnknown(["if", "then", "else"])
            guard let condition = reader.object["if"] else { throw InputError.missing("\(path).if") }
            guard let then = reader.object["then"] else { throw InputError.missing("\(path).then") }
            self = .branch(
                if: try Rule(json: condition, path: "\(path).if"), then: try WorkflowDefinition.steps(then, path: "\(path).then"),
                else: try reader.object["else"].map { value throws(InputError) in try WorkflowDefinition.steps(value, path: "\(path).else") } ?? [])
        case "split":
            self = try Self.split(value, path: path)
        case "update":
            self = .update(try ContactUpdate(json: value, path: path))
        case "goto", "enroll", "remove":
            guard let name = value.stringValue, !name.isEmpty else { throw InputError.invalid(path, "\(path) must name a \(kind == "goto" ? "step id" : "workflow")") }
            self = kind == "goto" ? .goto(name) : kind == "enroll" ? .enroll(workflow: name) : .remove(workflow: name)
        case "handoff":
            if case .object = value {
                let reader = try ObjectReader(value, path: path + ".")
                try reader.rejectUnknown(["reason"])
                self = .handoff(reason: try reader.string("reason"))
            } else {
                self = .handoff(reason: nil)
            }
        default:
            self = .exit
        }
    }

    /// `wait: 3d`, or `wait: { days: [mon, tue, wed, thu, fri], hours: 9-17 }` (the contact's time zone).
    static func wait(_ value: JSONValue, path: String) throws(InputError) -> StepAction {
        switch value {
        case .int(let number):
            throw InputError(code: "missing_unit", message: "\(path) needs a unit: \(number)d, \(number)h or \(number)m", field: path)
        case .object:
            let reader = try ObjectReader(value, path: path + ".")
            try reader.rejectUnknown(["days", "hours"])
            var days: Set<Weekday> = Set(Weekday.allCases)
            if let list = reader.object["days"] {
                guard case .array(let items) = list, !items.isEmpty else { throw InputError.invalid("\(path).days", "\(path).days must list weekdays (mon … sun)") }
                days = []
                for item in items {
                    guard let day = item.stringValue.flatMap({ Weekday(rawValue: String($0.lowercased().prefix(3))) }) else {
                        throw InputError.invalid("\(path).days", "unknown weekday \(item.shortDescription); use mon, tue, wed, thu, fri, sat, sun")
                    }
                    days.insert(day)
                }
            }
            var from = 0, to = 24
            if let hours = reader.object["hours"]?.stringValue {
                let parts = hours.split(separator: "-").map { Int(String($0.split(separator: ":")[0]).trimmed) }
                guard parts.count == 2, let start = parts[0], let end = parts[1], (0...23).contains(start), (1...24).contains(end), start < end else {
                    throw InputError.invalid("\(path).hours", "\(path).hours must be a range such as 9-17 or 09:00-17:00")
                }
                (from, to) = (start, end)
            }
            return .waitForWindow(days: days, fromHour: from, toHour: to)
        default:
            return .wait(try RuleDuration.read(value, field: path))
        }
    }

    static func split(_ value: JSONValue, path: String) throws(InputError) -> StepAction {
        let reader = try ObjectReader(value, path: path + ".")
        try reader.rejectUnknown(["variants", "holdout"])
        guard let variantsValue = reader.object["variants"], case .object(let weights) = variantsValue, weights.count >= 1 else {
            throw InputError.invalid("\(path).variants", "\(path).variants must map variant names to percentages, such as { a: 45, b: 45 }")
        }
        var variants: [SplitVariant] = []
        for name in weights.keys.sorted() {
            guard case .int(let weight) = weights[name]!, weight > 0 else { throw InputError.invalid("\(path).variants.\(name)", "a variant's weight must be a whole percentage above 0") }
            variants.append(SplitVariant(name: name, weight: Int(weight)))
        }
        let holdout = try reader.int("holdout") ?? 0
        let total = variants.reduce(holdout) { $0 + $1.weight }
        guard holdout >= 0, total == 100 else {
            throw InputError.invalid(path, "\(path): variants and holdout must add up to 100, they add up to \(total)")
        }
        return .split(variants: variants, holdout: holdout)
    }
}

extension ContactUpdate {
    init(json: JSONValue, path: String) throws(InputError) {
        let reader = try ObjectReader(json, path: path + ".")
        try reader.rejectUnknown(["traits", "tags", "stage", "score"])
        self.init()
        if let traits = reader.object["traits"] {
            guard case .object(let object) = traits else { throw InputError.invalid("\(path).traits", "\(path).traits must be an object") }
            self.traits = object
        }
        if let tags = reader.object["tags"] {
            guard case .array(let items) = tags, items.allSatisfy({ $0.stringValue != nil }) else { throw InputError.invalid("\(path).tags", "\(path).tags must be a list of texts") }
            self.tags = items.compactMap(\.stringValue)
        }
        if let label = try reader.string("stage") {
            guard let stage = LifecycleStage(label: label) else { throw InputError.invalid("\(path).stage", "unknown lifecycle stage '\(label)'") }
            self.stage = stage
        }
        if let score = reader.object["score"] {
            guard let points = score.numericValue else { throw InputError.invalid("\(path).score", "\(path).score must be points such as +10 or -5") }
            self.score = points
        }
        if self.traits.isEmpty, tags.isEmpty, stage == nil, self.score == nil { throw InputError.invalid(path, "\(path) changes nothing") }
    }
}
