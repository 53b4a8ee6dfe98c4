import Foundation

/// What a contact's score is made of, kept between events (the store saves it as JSON).
public struct ScoreState: Sendable, Codable, Equatable {
    /// Fit rule id → points held now.
    public var fit: [String: Double] = [:]
    /// Engagement as of `engagementAt`; it decays from there.
    public var engagement: Double = 0
    public var engagementAt: Timestamp?
    /// Recent awards of capped rules, for the cap's window.
    public var awards: [String: [Award]] = [:]
    /// The last-seen time inactivity penalties count from, and how many were applied since.
    public var inactivityFrom: Timestamp?
    public var inactivityApplied: Int = 0
    /// The last event-log position scored: later events are the ones still to score.
    public var lastSeq: Int64 = 0

    public struct Award: Sendable, Codable, Equatable {
        public var at: Timestamp
        public var points: Double
    }

    public init() {}

    public var fitPoints: Double { fit.values.reduce(0, +) }
}

/// One change of a score with its reason: what the rep reads when asking "why 85?".
public struct ScoreChange: Sendable, Equatable, Codable {
    public enum Dimension: String, Sendable, Codable { case fit, engagement }
    public var dimension: Dimension
    public var rule: String
    public var points: Double
    public var reason: String
    public var at: Timestamp
    /// The event that caused it, when one did.
    public var eventSeq: Int64?

    public init(dimension: Dimension, rule: String, points: Double, reason: String, at: Timestamp, eventSeq: Int64? = nil) {
        self.dimension = dimension
        self.rule = rule
        self.points = points
        self.reason = reason
        self.at = at
        self.eventSeq = eventSeq
    }
}

/// A contact's scores at a moment.
public struct ScoreSnapshot: Sendable, Equatable, Codable {
    public var fit: Double
    public var engagement: Double
    public var grade: FitGrade
    public var total: Double { fit + engagement }
}

/// Applies a ``ScoringModel`` to one contact's state: fit from traits, engagement from events,
/// penalties for inactivity, decay with a half-life. Pure: time comes in as an argument.
public struct LeadScorer: Sendable {
    public let model: ScoringModel
    private let evaluator = RuleEvaluator()

    public init(model: ScoringModel) { self.model = model }

    /// Re-checks fit rules (after a trait change): a rule that starts holding adds its points, one
    /// that stops holding takes them back.
    public func scoreFit<Subject: RuleSubject>(_ subject: Subject, state: inout ScoreState, at now: Timestamp) -> [ScoreChange] {
        var changes: [ScoreChange] = []
        for rule in model.fit {
            let holds = evaluator.evaluate(rule.when, for: subject, at: now).matched
            let held = state.fit[rule.id]
            if holds, held != rule.points {
                changes.append(ScoreChange(dimension: .fit, rule: rule.id, points: rule.points - (held ?? 0), reason: rule.reason, at: now))
                state.fit[rule.id] = rule.points
            } else if !holds, let held {
                changes.append(ScoreChange(dimension: .fit, rule: rule.id, points: -held, reason: "No longer: \(rule.reason)", at: now))
                state.fit.removeValue(forKey: rule.id)
            }
        }
        return changes
    }

    /// The event a workflow's `update: { score: +10 }` writes: its points count as engagement.
    public static let adjustmentEvent = "Score Adjusted"

    /// Scores one event against the engagement rules, honouring caps.
    public func scoreEvent(name: String, _ fact: EventFact, seq: Int64?, state: inout ScoreState) -> [ScoreChange] {
        var changes: [ScoreChange] = []
        if name == Self.adjustmentEvent, let points = fact.properties["points"]?.numericValue, points != 0 {
            addEngagement(points, at: fact.timestamp, to: &state)
            let reason = fact.properties["reason"]?.stringValue ?? "Adjusted by a workflow"
            changes.append(ScoreChange(dimension: .engagement, rule: "adjustment", points: points, reason: reason, at: fact.timestamp, eventSeq: seq))
        }
        for rule in model.engagement where rule.event == name && rule.accepts(fact) {
            var points = rule.points
            if let cap = rule.cap, points > 0 {
                let since = fact.timestamp.subtracting(cap.per)
                var recent = (state.awards[rule.id] ?? []).filter { $0.at > since || $0.at > fact.timestamp }
                let awarded = recent.reduce(0) { $0 + $1.points }
                points = min(points, cap.max - awarded)
                if points > 0 { recent.append(ScoreState.Award(at: fact.timestamp, points: points)) }
                state.awards[rule.id] = recent
            }
            guard points != 0 else { continue }
            addEngagement(points, at: fact.timestamp, to: &state)
            changes.append(ScoreChange(dimension: .engagement, rule: rule.id, points: points, reason: rule.reason, at: fact.timestamp, eventSeq: seq))
        }
        return changes
    }

    /// Applies the penalties due for full periods without activity since `lastSeen`.
    public func scoreInactivity(lastSeen: Timestamp, state: inout ScoreState, at now: Timestamp) -> [ScoreChange] {
        guard let rule = model.inactivity else { return [] }
        if state.inactivityFrom != lastSeen {
            state.inactivityFrom = lastSeen
            state.inactivityApplied = 0
        }
        let periods = Int((now.millisecondsSinceEpoch - lastSeen.millisecondsSinceEpoch) / rule.every.milliseconds)
        var changes: [ScoreChange] = []
        while state.inactivityApplied < periods {
            state.inactivityApplied += 1
            let at = lastSeen.adding(milliseconds: rule.every.milliseconds * Int64(state.inactivityApplied))
            addEngagement(rule.points, at: at, to: &state)
            changes.append(ScoreChange(dimension: .engagement, rule: "inactivity", points: rule.points, reason: "\(rule.reason) for \(rule.every)", at: at))
        }
        return changes
    }

    /// When the next inactivity penalty falls due, if the contact stays inactive.
    public func nextInactivityPenalty(lastSeen: Timestamp, state: ScoreState) -> Timestamp? {
        guard let rule = model.inactivity else { return nil }
        let applied = state.inactivityFrom == lastSeen ? state.inactivityApplied : 0
        return lastSeen.adding(milliseconds: rule.every.milliseconds * Int64(applied + 1))
    }

    public func snapshot(_ state: ScoreState, at now: Timestamp) -> ScoreSnapshot {
        let fit = state.fitPoints
        return ScoreSnapshot(fit: fit, engagement: decayed(state.engagement, from: state.engagementAt, to: now), grade: model.grade(forFit: fit))
    }

    /// The readings rules test (`score`, `fit`, `engagement`, `grade`).
    public func readings(_ state: ScoreState, at now: Timestamp) -> [ScoreDimension: ScoreReading] {
        let snapshot = snapshot(state, at: now)
        return [
            .score: ScoreReading(steady: snapshot.fit, decaying: snapshot.engagement, halfLife: model.halfLife),
            .fit: ScoreReading(steady: snapshot.fit),
            .engagement: ScoreReading(steady: 0, decaying: snapshot.engagement, halfLife: model.halfLife),
            .grade: ScoreReading(steady: Double(snapshot.grade.rank)),
        ]
    }

    /// What `points` given at `at` are worth at `now`.
    public func decayed(_ points: Double, from at: Timestamp?, to now: Timestamp) -> Double {
        guard let halfLife = model.halfLife, let at, now > at else { return points }
        return points * pow(0.5, Double(now.millisecondsSinceEpoch - at.millisecondsSinceEpoch) / Double(halfLife.milliseconds))
    }

    private func addEngagement(_ points: Double, at time: Timestamp, to state: inout ScoreState) {
        let reference = max(state.engagementAt ?? time, time)
        state.engagement = decayed(state.engagement, from: state.engagementAt, to: reference) + decayed(points, from: time, to: reference)
        state.engagementAt = reference
    }
}
