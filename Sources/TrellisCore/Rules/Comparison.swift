/// One test of a value in a rule: `gte: 50`, `in: [DE, FR]`, `starts_with: /pricing`,
/// `before: 30d ago`.
///
/// Text comparisons ignore case, as marketers expect from HubSpot and Mautic filters. A missing
/// value satisfies only `exists: false`, `neq` and `not_in`. When the value is a list (tags), `eq`,
/// `in`, `contains` and `starts_with` hold if any element does, `neq` and `not_in` if none does.
public struct Comparison: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case eq, neq, `in`, notIn = "not_in", contains, startsWith = "starts_with", endsWith = "ends_with", matches
        case gt, gte, lt, lte, exists, before, after
    }

    /// A point in time a `before` / `after` compares with: a date, or a distance from now.
    public enum TimeBound: Sendable, Hashable {
        case absolute(Timestamp)
        case ago(RuleDuration)
        case fromNow(RuleDuration)
    }

    public enum Operand: Sendable, Hashable {
        case value(JSONValue)
        case values([JSONValue])
        case number(Double)
        case flag(Bool)
        case time(TimeBound)
        case pattern(TextPattern)
    }

    public var op: Operator
    public var operand: Operand
    /// Lowercased text operands, prepared once so evaluation does not lowercase them again.
    let folded: [String]

    public init(_ op: Operator, _ operand: Operand) {
        self.op = op
        self.operand = operand
        switch operand {
        case .value(let value): folded = value.stringValue.map { [$0.lowercased()] } ?? []
        case .values(let values): folded = values.compactMap { $0.stringValue?.lowercased() }
        default: folded = []
        }
    }

    public var description: String {
        switch operand {
        case .value(let value): "\(op.rawValue) \(value.shortDescription)"
        case .values(let values): "\(op.rawValue) [\(values.map(\.shortDescription).joined(separator: ", "))]"
        case .number(let number): "\(op.rawValue) \(number.formattedForRule)"
        case .flag(let flag): "\(op.rawValue) \(flag)"
        case .time(.absolute(let time)): "\(op.rawValue) \(time.iso8601)"
        case .time(.ago(let duration)): "\(op.rawValue) \(duration) ago"
        case .time(.fromNow(let duration)): "\(op.rawValue) in \(duration)"
        case .pattern(let pattern): "\(op.rawValue) /\(pattern.source)/"
        }
    }

    /// Whether `value` passes. `next` is lowered to the time the answer changes by itself, when
    /// it depends on the clock (relative dates).
    public func holds(_ value: JSONValue?, at now: Timestamp, next: inout Timestamp?) -> Bool {
        guard let value, !value.isNull else {
            switch op {
            case .exists: if case .flag(let flag) = operand { return !flag }
            case .neq, .notIn: return true
            default: break
            }
            return false
        }
        if case .array(let elements) = value, op != .exists {
            switch op {
            case .neq, .notIn: return elements.allSatisfy { holds($0, at: now, next: &next) }
            default: return elements.contains { holds($0, at: now, next: &next) }
            }
        }
        switch (op, operand) {
        case (.exists, .flag(let flag)): return flag
        case (.eq, _), (.in, _): return matchesText(value)
        case (.neq, _), (.notIn, _): return !matchesText(value)
        case (.contains, _), (.startsWith, _), (.endsWith, _):
            guard let text = value.textForComparison?.lowercased() else { return false }
            return folded.contains { op == .contains ? text.contains($0) : op == .startsWith ? text.hasPrefix($0) : text.hasSuffix($0) }
        case (.matches, .pattern(let pattern)):
            guard let text = value.textForComparison else { return false }
            return pattern.matches(text)
        case (.gt, .number(let bound)), (.gte, .number(let bound)), (.lt, .number(let bound)), (.lte, .number(let bound)):
            guard let number = value.numericValue else { return false }
            return compare(number, bound)
        case (.before, .time(let bound)), (.after, .time(let bound)):
            guard let time = value.timeValue else { return false }
            return compare(time, bound, now: now, next: &next)
        default:
            return false
        }
    }

    func compare(_ number: Double, _ bound: Double) -> Bool {
        switch op {
        case .gt: number > bound
        case .gte: number >= bound
        case .lt: number < bound
        default: number <= bound
        }
    }

    private func matchesText(_ value: JSONValue) -> Bool {
        let candidates: [JSONValue]
        switch operand {
        case .value(let single): candidates = [single]
        case .values(let many): candidates = many
        default: return false
        }
        if let text = value.stringValue {
            return folded.contains { $0.utf8.count == text.utf8.count && $0 == text.lowercased() }
                || candidates.contains { $0.numericValue != nil && $0.numericValue == value.numericValue }
        }
        if let number = value.numericValue { return candidates.contains { $0.numericValue == number } }
        return candidates.contains(value)
    }

    private func compare(_ time: Timestamp, _ bound: TimeBound, now: Timestamp, next: inout Timestamp?) -> Bool {
        let limit: Timestamp
        var shift: RuleDuration?
        switch bound {
        case .absolute(let at): limit = at
        case .ago(let duration): limit = now.subtracting(duration); shift = duration
        case .fromNow(let duration): limit = now.adding(duration); shift = RuleDuration(milliseconds: -duration.milliseconds, text: "")
        }
        let result = op == .before ? time < limit : time > limit
        // A relative bound moves with the clock: the answer flips once it passes the value.
        if let shift {
            let flip = time.adding(milliseconds: shift.milliseconds + 1)
            if flip > now { next = min(next ?? flip, flip) }
        }
        return result
    }
}

/// A regular expression in a rule (`matches: "(?i)\\b(vp|director)\\b"`), compared by its text.
///
/// Swift's regex engine backtracks, so a pattern that repeats a repetition (`(a+)+`, `(\w+\s?)*`)
/// can take exponential time on text a visitor typed into a form. Such patterns are refused when
/// the rule is read (`nestedRepetition(in:)`), and a match looks at the first
/// `TextPattern.searchedLength` characters of a value only.
public struct TextPattern: Sendable, Hashable {
    public let source: String
    nonisolated(unsafe) let regex: Regex<AnyRegexOutput>

    /// How much of a value a pattern searches: enough for titles, URLs and referrers.
    public static let searchedLength = 2_000

    /// Nil when the text is not a regular expression or repeats a repetition.
    public init?(_ source: String) {
        guard Self.nestedRepetition(in: source) == nil, let regex = try? Regex(source) else { return nil }
        self.source = source
        self.regex = regex
    }

    public func matches(_ text: String) -> Bool {
        // UTF-8 length first: it is O(1) for native strings and never below the character count,
        // so the usual short value is not counted character by character on every evaluation.
        guard text.utf8.count > Self.searchedLength else { return (try? regex.firstMatch(in: text)) != nil }
        return (try? regex.firstMatch(in: String(text.prefix(Self.searchedLength)))) != nil
    }

    /// The first group that is repeated and itself holds a repetition (`(a+)+`, `(?:x*y){2,}`),
    /// or nil. A repetition is `*`, `+`, `{n,}` or `{n,m}` with m above 1; `?` is not one.
    public static func nestedRepetition(in source: String) -> String? {
        let scalars = Array(source.unicodeScalars)
        // For each open group: where it starts, and whether a repetition was seen inside it.
        var groups: [(start: Int, repeats: Bool)] = []
        var index = 0
        /// The length of a repetition operator at `at` (0 if there is none).
        func repetition(at: Int) -> Int {
            guard at < scalars.count else { return 0 }
            switch scalars[at] {
            case "*", "+": return 1
            case "{":
                var end = at + 1
                while end < scalars.count, scalars[end] != "}" { end += 1 }
                guard end < scalars.count else { return 0 }
                let body = String(String.UnicodeScalarView(scalars[(at + 1)..<end]))
                let bounds = body.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map { String($0).trimmed }
                guard let low = bounds.first, Int(low) != nil || low.isEmpty else { return 0 }
                if bounds.count == 1 { return (Int(low) ?? 0) > 1 ? end - at + 1 : 0 }
                guard let high = Int(bounds[1]) else { return bounds[1].isEmpty ? end - at + 1 : 0 }
                return high > 1 ? end - at + 1 : 0
            default: return 0
            }
        }
        func markRepeat() { if !groups.isEmpty { groups[groups.count - 1].repeats = true } }
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "\\":
                index += 2
                let length = repetition(at: index)
                if length > 0 { markRepeat(); index += length }
                continue
            case "[":
                var end = index + 1
                if end < scalars.count, scalars[end] == "^" { end += 1 }
                if end < scalars.count, scalars[end] == "]" { end += 1 }
                while end < scalars.count, scalars[end] != "]" { end += scalars[end] == "\\" ? 2 : 1 }
                index = end + 1
                let length = repetition(at: index)
                if length > 0 { markRepeat(); index += length }
                continue
            case "(":
                groups.append((index, false))
                index += 1
                if index < scalars.count, scalars[index] == "?" { index += 1 }  // (?:, (?i), (?<name> are group syntax, not a quantifier
                continue
            case ")":
                guard let group = groups.popLast() else { index += 1; continue }
                index += 1
                let length = repetition(at: index)
                if length > 0 {
                    if group.repeats { return String(String.UnicodeScalarView(scalars[group.start..<(index + length)])) }
                    markRepeat()
                    index += length
                } else if group.repeats {
                    markRepeat()
                }
                continue
            default:
                index += 1
                let length = repetition(at: index)
                if length > 0 { markRepeat(); index += length }
            }
        }
        return nil
    }

    public static func == (lhs: TextPattern, rhs: TextPattern) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

extension JSONValue {
    /// Text to search in: strings as they are, numbers and booleans as written.
    var textForComparison: String? {
        switch self {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        default: nil
        }
    }

    /// Dates in traits: ISO 8601 text, or a number of seconds (or milliseconds, when it is that
    /// large) since the epoch, as Segment's libraries and CRMs send them.
    public var timeValue: Timestamp? {
        switch self {
        case .string(let text): ISO8601.parse(text)
        case .int(let number): Timestamp(millisecondsSinceEpoch: abs(number) > 100_000_000_000 ? number : number * 1000)
        case .double(let number): Timestamp(millisecondsSinceEpoch: Int64(abs(number) > 1e11 ? number : number * 1000))
        default: nil
        }
    }
}

extension Double {
    var formattedForRule: String {
        rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
