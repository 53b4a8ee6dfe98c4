/// An instant, as whole milliseconds since the Unix epoch (UTC).
///
/// Trellis stores and compares time as integers so that both stores (SQLite and PostgreSQL)
/// index it the same way and nothing depends on a platform date type.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = secondsSinceEpoch * 1000
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    public func adding(days: Int) -> Timestamp {
        adding(milliseconds: Int64(days) * 86_400_000)
    }

    /// ISO 8601 in UTC with milliseconds, e.g. `2026-11-23T18:34:05.123Z`.
    /// The times an event may carry: 1970-01-01 to 9999-12-31, so every stored time is a
    /// four-digit-year ISO 8601 timestamp.
    public static let eventRange = Timestamp(millisecondsSinceEpoch: 0)...Timestamp(millisecondsSinceEpoch: 253_402_300_799_999)

    public var iso8601: String { ISO8601.format(self) }
    public var description: String { iso8601 }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = ISO8601.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 timestamp: \(text)")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}
