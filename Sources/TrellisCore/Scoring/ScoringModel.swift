/// How Trellis scores leads: fit (who they are) and engagement (what they do), kept apart
/// because a perfect-fit lead who never engages and an eager student are different problems.
///
/// ```yaml
/// model: default
/// fit:
///   - id: senior-title
///     when: { trait: title, matches: "(?i)\\b(vp|director|head|chief)\\b" }
///     points: 20
///     reason: Senior title
/// engagement:
///   - id: pricing-visit
///     event: Page Viewed
///     where: { path: { starts_with: /pricing } }
///     points: 10
///     cap: { max: 30, per: 7d }
///   - id: unsubscribed
///     event: Unsubscribed
///     points: -25
/// inactivity: { every: 30d, points: -10 }
/// decay: { half_life: 45d }
/// grades: { A: 40, B: 25, C: 10 }
/// stages:
///   - to: mql
///     when: { score: { gte: 60 } }
///     reason: Score reached 60
/// ```
public struct ScoringModel: Sendable, Hashable {
    public var name: String
    public var fit: [FitRule]
    public var engagement: [EngagementRule]
    public var inactivity: InactivityRule?
    /// Engagement points halve every `halfLife`; nil keeps them forever.
    public var halfLife: RuleDuration?
    /// Minimum fit points for each grade, best first; below the last is D.
    public var grades: [(grade: FitGrade, minimum: Double)]
    public var stages: [StageRule]
    public var source: JSONValue

    public static func == (lhs: ScoringModel, rhs: ScoringModel) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    public func grade(forFit points: Double) -> FitGrade {
        grades.first { points >= $0.minimum }?.grade ?? .d
    }

    /// Event names the model's rules and stage rules look at.
    public var eventNames: Set<String> {
        Set(engagement.map(\.event)).union(stages.reduce(into: Set<String>()) { $0.formUnion($1.when.eventNames) })
    }
}

/// Points for who the lead is, held while the rule holds.
public struct FitRule: Sendable, Hashable {
    public var id: String
    public var when: Rule
    public var points: Double
    public var reason: String
}

/// Points for what the lead does: each matching event, up to a cap per period.
public struct EngagementRule: Sendable, Hashable {
    public var id: String
    public var event: String
    public var filters: [PropertyFilter]
    public var points: Double
    public var cap: (max: Double, per: RuleDuration)?
    public var reason: String

    public static func == (lhs: EngagementRule, rhs: EngagementRule) -> Bool {
        lhs.id == rhs.id && lhs.event == rhs.event && lhs.filters == rhs.filters && lhs.points == rhs.points && lhs.reason == rhs.reason
            && lhs.cap?.max == rhs.cap?.max && lhs.cap?.per == rhs.cap?.per
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    func accepts(_ fact: EventFact) -> Bool {
        EventCondition(name: event, filters: filters).accepts(fact.properties, at: fact.timestamp)
    }
}

/// Points (usually negative) for every full period without any activity.
public struct InactivityRule: Sendable, Hashable {
    public var every: RuleDuration
    public var points: Double
    public var reason: String
}

/// Moves a contact forward to `to` when `when` holds. Rules never move a contact back.
public struct StageRule: Sendable, Hashable {
    public var to: LifecycleStage
    public var when: Rule
    public var reason: String
}
