/// Turns stored score changes into the few reasons a rep reads: "Visited pricing (3 times,
/// last on 2026-11-20): +24", biggest first, with engagement shown at today's decayed value.
public struct ScoreReason: Sendable, Equatable, Codable {
    public var rule: String
    public var dimension: ScoreChange.Dimension
    public var reason: String
    /// What the rule contributes now (after decay).
    public var points: Double
    /// How many times it fired, and when it last did.
    public var times: Int
    public var lastAt: Timestamp
    public var text: String

    public static func summarize(_ changes: [ScoreChange], scorer: LeadScorer, at now: Timestamp, limit: Int = 5) -> [ScoreReason] {
        var byRule: [String: ScoreReason] = [:]
        for change in changes {
            let worth = change.dimension == .fit ? change.points : scorer.decayed(change.points, from: change.at, to: now)
            var entry = byRule[change.rule] ?? ScoreReason(rule: change.rule, dimension: change.dimension, reason: change.reason, points: 0, times: 0, lastAt: change.at, text: "")
            entry.points += worth
            if change.points > 0 || change.dimension == .engagement { entry.times += 1 }
            if change.at >= entry.lastAt {
                entry.lastAt = change.at
                if change.dimension == .fit, change.points > 0 { entry.reason = change.reason }
            }
            byRule[change.rule] = entry
        }
        let reasons = byRule.values.filter { abs($0.points) >= 0.05 }.sorted {
            abs($0.points) != abs($1.points) ? abs($0.points) > abs($1.points) : $0.rule < $1.rule
        }
        return reasons.prefix(limit).map { reason in
            var reason = reason
            let sign = reason.points >= 0 ? "+" : "−"
            let amount = abs(reason.points).formattedForRule(decimals: 1)
            let day = String(reason.lastAt.iso8601.prefix(10))
            reason.text = reason.dimension == .fit
                ? "\(reason.reason): \(sign)\(amount) fit"
                : "\(reason.reason) (\(reason.times == 1 ? "once" : "\(reason.times) times"), last on \(day)): \(sign)\(amount)"
            return reason
        }
    }
}
