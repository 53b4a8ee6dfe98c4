extension Rule {
    /// The keys that say what kind of condition an object is; exactly one per object.
    static let kindKeys = [
        "all", "any", "not", "trait", "event", "last_seen", "inactive", "stage", "score", "fit", "engagement", "grade", "unsubscribed", "consented",
        "in_segment", "opened", "clicked", "account",
    ]

    /// Reads a rule; errors carry the path inside the input (`match.all[1].count.gte`) so a YAML
    /// loader can turn it into a line.
    public init(json: JSONValue, path: String) throws(InputError) {
        guard case .object(let object) = json else {
            throw InputError.invalid(path, "\(path) must be a condition (an object such as { trait: title, contains: VP }), got \(json.kindName)")
        }
        let kinds = Self.kindKeys.filter { object[$0] != nil }
        guard let kind = kinds.first else {
            throw InputError(
                code: "unknown_condition", message: "\(path) names no condition; expected one of \(Self.kindKeys.joined(separator: ", "))",
                field: path)
        }
        guard kinds.count == 1 else {
            throw InputError.invalid(path, "\(path) mixes \(kinds.joined(separator: " and ")); put each in its own condition under all: or any:")
        }
        self = try Self.parse(kind: kind, object: object, path: path)
    }

    static func parse(kind: String, object: [String: JSONValue], path: String) throws(InputError) -> Rule {
        let value = object[kind]!
        let field = "\(path).\(kind)"
        switch kind {
        case "all", "any":
            try only([kind], in: object, path: path)
            guard case .array(let items) = value, !items.isEmpty else { throw InputError.invalid(field, "\(field) must be a non-empty list of conditions") }
            var rules: [Rule] = []
            for (index, item) in items.enumerated() { rules.append(try Rule(json: item, path: "\(field)[\(index)]")) }
            return kind == "all" ? .all(rules) : .any(rules)
        case "not":
            try only([kind], in: object, path: path)
            return .not(try Rule(json: value, path: field))
        case "trait":
            guard let name = value.stringValue, !name.isEmpty, TraitReference(name).path.count > 0 else {
                throw InputError.invalid(field, "\(field) must name a trait, such as company_size or account.employees")
            }
            var operators = object
            operators.removeValue(forKey: kind)
            guard !operators.isEmpty else { throw InputError.invalid(path, "\(path) needs an operator for trait '\(name)', such as eq: or gte:") }
            return .trait(TraitReference(name), try Comparison.parseList(.object(operators), path: path))
        case "event", "opened", "clicked":
            return .event(try EventCondition(kind: kind, object: object, path: path))
        case "last_seen":
            try only([kind], in: object, path: path)
            let reader = try ObjectReader(value, path: field + ".")
            try reader.rejectUnknown(["within", "not_within"])
            if let within = reader.object["within"] { return .seenWithin(try RuleDuration.read(within, field: "\(field).within")) }
            if let notWithin = reader.object["not_within"] { return .inactive(try RuleDuration.read(notWithin, field: "\(field).not_within")) }
            throw InputError.invalid(field, "\(field) needs within: or not_within:")
        case "inactive":
            try only([kind], in: object, path: path)
            return .inactive(try RuleDuration.read(value, field: field))
        case "stage":
            try only([kind], in: object, path: path)
            return .stage(try Comparison.parseList(value, path: field, ordinal: { LifecycleStage(label: $0)?.rank }))
        case "score", "fit", "engagement", "grade":
            try only([kind], in: object, path: path)
            let dimension = ScoreDimension(rawValue: kind)!
            let ordinal: ((String) -> Int?)? = dimension == .grade ? { FitGrade(rawValue: $0.uppercased())?.rank } : nil
            return .score(dimension, try Comparison.parseList(value, path: field, ordinal: ordinal))
        case "unsubscribed", "consented":
            try only([kind], in: object, path: path)
            guard value.stringValue == "email" else { throw InputError.invalid(field, "\(field) must name a channel: email") }
            return kind == "unsubscribed" ? .unsubscribed(channel: "email") : .consented(channel: "email")
        case "in_segment":
            try only([kind], in: object, path: path)
            guard let name = value.stringValue, !name.isEmpty else { throw InputError.invalid(field, "\(field) must name a segment") }
            return .inSegment(name)
        default:
            try only([kind], in: object, path: path)
            let reader = try ObjectReader(value, path: field + ".")
            try reader.rejectUnknown(["contacts", "match"])
            guard let contacts = reader.object["contacts"] else { throw InputError.missing("\(field).contacts", "\(field).contacts is required, such as { gte: 3 }") }
            guard let match = reader.object["match"] else { throw InputError.missing("\(field).match", "\(field).match is the rule the account's contacts must meet") }
            let inner = try Rule(json: match, path: "\(field).match")
            var nested = false
            inner.visit { if case .account = $0 { nested = true } }
            if nested { throw InputError.invalid("\(field).match", "account conditions cannot be nested") }
            return .account(AccountAggregate(contacts: try Comparison.parseList(contacts, path: "\(field).contacts"), match: inner))
        }
    }

    static func only(_ keys: Set<String>, in object: [String: JSONValue], path: String) throws(InputError) {
        for key in object.keys.sorted() where !keys.contains(key) {
            throw InputError(code: "unknown_key", message: "unknown key '\(key)' here; expected \(keys.sorted().joined(separator: ", "))", field: "\(path).\(key)")
        }
    }
}

extension EventCondition {
    /// `event:` with `where`, `count` and `within`; or the email shorthands `opened:` / `clicked:`
    /// (`any` or a template name) with `within`.
    init(kind: String, object: [String: JSONValue], path: String) throws(InputError) {
        let field = "\(path).\(kind)"
        guard let value = object[kind]?.stringValue, !value.isEmpty else { throw InputError.invalid(field, "\(field) must be a name") }
        var filters: [PropertyFilter] = []
        if kind == "event" {
            try Rule.only(["event", "where", "count", "within"], in: object, path: path)
            name = value
            if let whereValue = object["where"] {
                let reader = try ObjectReader(whereValue, path: "\(path).where.")
                for key in reader.object.keys.sorted() {
                    let comparisons = try Comparison.parseList(reader.object[key]!, path: "\(path).where.\(key)")
                    filters.append(PropertyFilter(path: key.split(separator: ".").map(String.init), comparisons: comparisons))
                }
            }
        } else {
            try Rule.only([kind, "within", "count"], in: object, path: path)
            name = kind == "opened" ? EmailEvents.opened : EmailEvents.clicked
            if value != "any" { filters.append(PropertyFilter(path: ["email"], comparisons: [Comparison(.eq, .value(.string(value)))])) }
        }
        self.filters = filters
        if let countValue = object["count"] {
            if case .int = countValue {
                count = [Comparison(.gte, .number(countValue.numericValue!))]
            } else {
                count = try Comparison.parseList(countValue, path: "\(path).count")
                for comparison in count where !Self.countOperators.contains(comparison.op) {
                    throw InputError.invalid("\(path).count.\(comparison.op.rawValue)", "a count is compared with eq, gt, gte, lt or lte")
                }
                count = count.map { $0.op == .eq ? Comparison(.eq, .value(.double($0.operand.numberValue ?? -1))) : $0 }
            }
        } else {
            count = [Comparison(.gte, .number(1))]
        }
        within = try object["within"].map { value throws(InputError) in try RuleDuration.read(value, field: "\(path).within") }
    }

    static let countOperators: Set<Comparison.Operator> = [.eq, .gt, .gte, .lt, .lte]
}

extension Comparison.Operand {
    var numberValue: Double? {
        switch self {
        case .number(let number): number
        case .value(let value): value.numericValue
        default: nil
        }
    }
}

/// The event names the email channel writes to the log, which `opened:` and `clicked:` read.
public enum EmailEvents {
    public static let opened = "Email Opened"
    public static let clicked = "Email Clicked"
    public static let bounced = "Email Bounced"
    public static let unsubscribed = "Unsubscribed"
}

/// The fit grade: A is the best fit. Thresholds come from the scoring model.
public enum FitGrade: String, Sendable, Codable, CaseIterable {
    case a = "A", b = "B", c = "C", d = "D"

    /// A is highest, so `grade: { gte: B }` means A or B.
    public var rank: Int {
        switch self {
        case .a: 4
        case .b: 3
        case .c: 2
        case .d: 1
        }
    }
}
