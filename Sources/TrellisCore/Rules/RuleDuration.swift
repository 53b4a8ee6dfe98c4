/// A length of time in a rule: `30m`, `12h`, `14d`, `2w`. Whole units only, so a rule reads the
/// same to everyone; months are left out on purpose (they have no fixed length).
public struct RuleDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64
    /// The text it was written as, for messages and for writing the rule back.
    public var text: String

    public init(milliseconds: Int64, text: String) {
        self.milliseconds = milliseconds
        self.text = text
    }

    public static func days(_ count: Int) -> RuleDuration {
        RuleDuration(milliseconds: Int64(count) * 86_400_000, text: "\(count)d")
    }

    static let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000]

    /// Reads `14d`; nil when the text is not a positive whole number followed by s, m, h, d or w.
    public init?(parsing text: String) {
        let trimmed = text.trimmed
        guard let unit = trimmed.last, let size = Self.units[unit], let count = Int64(trimmed.dropLast()), count > 0, count < 100_000 else { return nil }
        self.init(milliseconds: count * size, text: trimmed)
    }

    static func read(_ value: JSONValue, field: String) throws(InputError) -> RuleDuration {
        guard let text = value.stringValue, let duration = RuleDuration(parsing: text) else {
            throw InputError.invalid(field, "\(field) must be a duration such as 30m, 12h, 14d or 2w, got \(value.shortDescription)")
        }
        return duration
    }

    public static func < (lhs: RuleDuration, rhs: RuleDuration) -> Bool { lhs.milliseconds < rhs.milliseconds }
    public var description: String { text }
}

extension Timestamp {
    public func adding(_ duration: RuleDuration) -> Timestamp { adding(milliseconds: duration.milliseconds) }
    public func subtracting(_ duration: RuleDuration) -> Timestamp { adding(milliseconds: -duration.milliseconds) }
}

extension JSONValue {
    /// The value as a rule author wrote it, for error messages: `'14x'`, `an object`.
    var shortDescription: String {
        switch self {
        case .string(let text): "'\(text.count > 40 ? String(text.prefix(40)) + "…" : text)'"
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        default: kindName
        }
    }

    /// Numbers as Double, and numeric text ("120"), since CSV imports and forms store numbers as text.
    var numericValue: Double? {
        switch self {
        case .int(let number): Double(number)
        case .double(let number): number
        case .string(let text): Double(text.trimmed)
        default: nil
        }
    }
}
