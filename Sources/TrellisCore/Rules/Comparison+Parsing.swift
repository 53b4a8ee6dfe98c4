extension Comparison {
    /// Reads the tests of one value. A bare value means `eq`, a list means `in`, and an object
    /// holds operators, all of which must pass: `{ gte: 50, lt: 500 }`.
    ///
    /// `ordinal` turns labels into ranks for values that have an order (lifecycle stages, grades),
    /// so `stage: { gte: mql }` compares positions in the funnel.
    public static func parseList(_ value: JSONValue, path: String, ordinal: ((String) -> Int?)? = nil) throws(InputError) -> [Comparison] {
        switch value {
        case .object(let operators):
            guard !operators.isEmpty else {
                throw InputError.invalid(path, "\(path) needs an operator (\(Operator.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var comparisons: [Comparison] = []
            for key in operators.keys.sorted() {
                guard let op = Operator(rawValue: key) else {
                    throw InputError(
                        code: "unknown_operator",
                        message: "unknown operator '\(key)'; expected one of \(Operator.allCases.map(\.rawValue).joined(separator: ", "))",
                        field: "\(path).\(key)")
                }
                comparisons.append(try parse(op, operators[key]!, path: "\(path).\(key)", ordinal: ordinal))
            }
            return comparisons
        case .array:
            return [try parse(.in, value, path: path, ordinal: ordinal)]
        default:
            return [try parse(.eq, value, path: path, ordinal: ordinal)]
        }
    }

    static func parse(_ op: Operator, _ value: JSONValue, path: String, ordinal: ((String) -> Int?)?) throws(InputError) -> Comparison {
        switch op {
        case .eq, .neq:
            return Comparison(op, .value(try scalar(value, path: path, ordinal: ordinal)))
        case .in, .notIn:
            guard case .array(let items) = value, !items.isEmpty else { throw InputError.invalid(path, "\(path) must be a non-empty list") }
            var values: [JSONValue] = []
            for (index, item) in items.enumerated() { values.append(try scalar(item, path: "\(path)[\(index)]", ordinal: ordinal)) }
            return Comparison(op, .values(values))
        case .contains, .startsWith, .endsWith:
            if case .array(let items) = value, !items.isEmpty, items.allSatisfy({ $0.stringValue != nil }) { return Comparison(op, .values(items)) }
            guard value.stringValue?.isEmpty == false else { throw InputError.invalid(path, "\(path) must be text (or a list of texts), got \(value.shortDescription)") }
            return Comparison(op, .value(value))
        case .matches:
            guard let source = value.stringValue else { throw InputError.invalid(path, "\(path) must be a regular expression as text") }
            guard let pattern = TextPattern(source) else {
                if let nested = TextPattern.nestedRepetition(in: source) {
                    throw InputError.invalid(
                        path, "\(nested) repeats a repetition, which can take exponential time on some text; repeat the inner part once (e.g. (a+)+ → a+)")
                }
                throw InputError.invalid(path, "\(path) is not a valid regular expression: \(value.shortDescription)")
            }
            return Comparison(op, .pattern(pattern))
        case .gt, .gte, .lt, .lte:
            if let ordinal, let label = value.identifierValue {
                guard let rank = ordinal(label) else { throw InputError.invalid(path, "\(path): unknown value \(value.shortDescription)") }
                return Comparison(op, .number(Double(rank)))
            }
            guard case .int = value, let number = value.numericValue else {
                if case .double(let number) = value { return Comparison(op, .number(number)) }
                throw InputError.invalid(path, "\(path) must be a number, got \(value.shortDescription)")
            }
            return Comparison(op, .number(number))
        case .exists:
            guard case .bool(let flag) = value else { throw InputError.invalid(path, "\(path) must be true or false") }
            return Comparison(op, .flag(flag))
        case .before, .after:
            return Comparison(op, .time(try timeBound(value, path: path)))
        }
    }

    static func scalar(_ value: JSONValue, path: String, ordinal: ((String) -> Int?)?) throws(InputError) -> JSONValue {
        switch value {
        case .object, .array: throw InputError.invalid(path, "\(path) must be a single value, got \(value.kindName)")
        case .null: throw InputError.invalid(path, "\(path) must not be null; use exists: false")
        default: break
        }
        guard let ordinal else { return value }
        guard let label = value.identifierValue, let rank = ordinal(label) else { throw InputError.invalid(path, "\(path): unknown value \(value.shortDescription)") }
        return .int(Int64(rank))
    }

    /// `2026-01-31`, `2026-01-31T09:00:00Z`, `30d ago`, `in 7d`.
    static func timeBound(_ value: JSONValue, path: String) throws(InputError) -> TimeBound {
        guard let text = value.stringValue?.trimmed else { throw InputError.invalid(path, "\(path) must be a date or a relative time such as '30d ago'") }
        if text.hasSuffix(" ago"), let duration = RuleDuration(parsing: String(text.dropLast(4))) { return .ago(duration) }
        if text.hasPrefix("in "), let duration = RuleDuration(parsing: String(text.dropFirst(3))) { return .fromNow(duration) }
        if let time = ISO8601.parse(text) { return .absolute(time) }
        throw InputError.invalid(path, "\(path) must be a date (2026-01-31) or a relative time ('30d ago', 'in 7d'), got '\(text)'")
    }
}
