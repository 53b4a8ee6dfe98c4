/// The sales side of the handoff, from `sales.yaml`: when leads go to sales, the teams and their
/// territories, the owners with capacity and working hours, the SLA, the CRM webhook, what a
/// rejection does, and the rules that suggest a next step.
///
/// ```yaml
/// handoff: { stage: mql, sla: { within: 4h, remind_after: 2h, on_lapse: reassign } }
/// teams:
///   - { name: emea, territory: { trait: country, in: [DE, FR, GB] } }
///   - { name: na }                                  # no territory: takes the rest
/// owners:
///   - { id: lena, name: Lena Vogel, email: lena@acme.example, team: emea, capacity: 25,
///       hours: { zone: Europe/Berlin, days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00" } }
/// next_steps:
///   - { when: { event: Page Viewed, where: { path: { starts_with: /pricing } }, count: { gte: 2 }, within: 7d }, suggest: Offer a pricing walkthrough }
/// ```
public struct SalesSetup: Sendable {
    public var handoff: HandoffPolicy
    public var teams: [SalesTeam]
    public var owners: [SalesOwner]
    public var nextSteps: [NextStepRule]

    public init(handoff: HandoffPolicy = HandoffPolicy(), teams: [SalesTeam], owners: [SalesOwner], nextSteps: [NextStepRule] = []) {
        self.handoff = handoff
        self.teams = teams
        self.owners = owners
        self.nextSteps = nextSteps
    }

    public func owner(_ id: String) -> SalesOwner? { owners.first { $0.id == id } }
    public func team(_ name: String) -> SalesTeam? { teams.first { $0.name == name } }

    /// Every rule the routing and next steps read, for loading the facts they need.
    public var rules: [Rule] { teams.compactMap(\.territory) + nextSteps.map(\.when) }
}

public struct HandoffPolicy: Sendable, Equatable {
    /// Reaching this stage hands the lead to sales (besides `handoff` workflow steps); nil: only steps.
    public var stage: LifecycleStage? = .mql
    /// Business hours of the owner's working time to the first touch.
    public var slaHours: Double = 4
    /// Business hours after which the owner is reminded; nil: no reminder.
    public var remindAfterHours: Double? = 2
    public var onLapse: LapseAction = .reassign
    public var webhook: WebhookTarget?
    /// Where each rejection reason sends the lead.
    public var rejected: [RejectionReason: RejectionPath] = [
        .notAFit: .disqualified, .noBudget: .nurture, .badTiming: .nurture, .duplicate: .disqualified, .other: .nurture,
    ]

    public init() {}

    public enum LapseAction: String, Sendable, CaseIterable { case reassign, escalate }
}

/// The CRM endpoint that receives handoffs: JSON, signed with HMAC-SHA256 over the body.
public struct WebhookTarget: Sendable, Equatable {
    public var url: String
    public var secret: String
    public var maxAttempts: Int

    public init(url: String, secret: String, maxAttempts: Int = 8) {
        self.url = url
        self.secret = secret
        self.maxAttempts = maxAttempts
    }
}

public enum RejectionReason: String, Sendable, CaseIterable, Codable {
    case notAFit = "not_a_fit", noBudget = "no_budget", badTiming = "bad_timing", duplicate, other
}

/// A rejected lead is disqualified, or goes back to nurture (stage lead).
public enum RejectionPath: String, Sendable, CaseIterable, Codable { case disqualified, nurture }

public struct SalesTeam: Sendable {
    public var name: String
    /// Who hears of escalations.
    public var lead: String?
    /// Which leads the team takes (the segment rule language); nil: any lead no earlier team took.
    public var territory: Rule?

    public init(name: String, lead: String? = nil, territory: Rule? = nil) {
        self.name = name
        self.lead = lead
        self.territory = territory
    }
}

public struct SalesOwner: Sendable, Equatable {
    public var id: String
    public var name: String
    public var email: String
    public var team: String
    /// Open handoffs the owner can hold at once.
    public var capacity: Int
    public var hours: WorkingHours

    public init(id: String, name: String, email: String, team: String, capacity: Int = 25, hours: WorkingHours = WorkingHours()) {
        self.id = id
        self.name = name
        self.email = email
        self.team = team
        self.capacity = capacity
        self.hours = hours
    }
}

/// When an owner works: weekdays and a daily window in their time zone.
public struct WorkingHours: Sendable, Equatable {
    public var zone: String
    public var days: Set<Weekday>
    /// Minutes after local midnight.
    public var start: Int
    public var end: Int

    public init(zone: String = "UTC", days: Set<Weekday> = [.mon, .tue, .wed, .thu, .fri], start: Int = 9 * 60, end: Int = 17 * 60) {
        self.zone = zone
        self.days = days
        self.start = start
        self.end = end
    }
}

/// "Visited pricing twice → offer a pricing walkthrough."
public struct NextStepRule: Sendable {
    public var when: Rule
    public var suggest: String

    public init(when: Rule, suggest: String) {
        self.when = when
        self.suggest = suggest
    }
}
