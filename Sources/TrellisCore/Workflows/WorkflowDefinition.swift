/// A nurture workflow as written in its YAML file: what starts it, who may enter, what ends it
/// early, where behaviour skips ahead to, and its steps.
///
/// ```yaml
/// workflow: content-download-to-mql
/// trigger: { event: Ebook Downloaded, where: { title: CRM migration guide } }
/// entry: { once: true, require: { consented: email } }
/// exit_when: [ { event: Demo Booked }, { stage: sql } ]
/// on:
///   - when: { event: Page Viewed, where: { path: /pricing } }
///     goto: demo-offer
/// steps:
///   - id: thank-you
///     send: { email: ebook-thank-you }
///   - wait: 3d
/// ```
public struct WorkflowDefinition: Sendable, Hashable {
    public var name: String
    public var trigger: WorkflowTrigger
    public var entry: EntryPolicy
    /// Goals: the run ends at once when any holds (segment rule language).
    public var exitWhen: [Rule]
    /// Behaviour that moves a run to a step from wherever it is.
    public var skipAhead: [SkipAhead]
    public var steps: [WorkflowStep]
    /// The definition as written, for the API and for versions.
    public var source: JSONValue

    public init(
        name: String, trigger: WorkflowTrigger, entry: EntryPolicy = EntryPolicy(), exitWhen: [Rule] = [], skipAhead: [SkipAhead] = [],
        steps: [WorkflowStep], source: JSONValue = .null
    ) {
        self.name = name
        self.trigger = trigger
        self.entry = entry
        self.exitWhen = exitWhen
        self.skipAhead = skipAhead
        self.steps = steps
        self.source = source
    }
}

/// What enrolls a contact.
public enum WorkflowTrigger: Sendable, Hashable {
    case event(EventCondition)
    case segmentEntered(String)
    case form(String)
    /// A lifecycle stage change, to (and optionally from) a stage.
    case stageChanged(to: LifecycleStage?, from: LifecycleStage?)
    /// A date trait plus an offset (negative: before it), e.g. 30 days before `renewal_date`.
    case dateTrait(trait: String, offsetMilliseconds: Int64)
    /// No activity for the duration.
    case inactive(RuleDuration)
}

/// Who may enter, and how often.
public struct EntryPolicy: Sendable, Hashable {
    /// Enter at most once ever (the default).
    public var once: Bool
    /// Or: again after this long since the last entry.
    public var every: RuleDuration?
    /// A condition the contact must meet to enter (`consented: email`).
    public var require: Rule?

    public init(once: Bool = true, every: RuleDuration? = nil, require: Rule? = nil) {
        self.once = once
        self.every = every
        self.require = require
    }
}

/// `on: - when: {...} goto: step-id`.
public struct SkipAhead: Sendable, Hashable {
    public var when: Rule
    public var goto: String
}

/// One step. `id` is optional unless something jumps to it; `path` is where it was written
/// (`steps[4].branch.then[0]`), for errors.
public struct WorkflowStep: Sendable, Hashable {
    public var id: String?
    public var action: StepAction
    public var path: String

    public init(id: String? = nil, action: StepAction, path: String) {
        self.id = id
        self.action = action
        self.path = path
    }
}

/// What a step does.
public indirect enum StepAction: Sendable, Hashable {
    case sendEmail(template: String)
    /// A webhook for a CRM, SMS or ad-audience integration, by its configured name.
    case sendWebhook(name: String)
    case wait(RuleDuration)
    /// Until the next moment inside a weekday and hour window, in the contact's time zone.
    case waitForWindow(days: Set<Weekday>, fromHour: Int, toHour: Int)
    case waitUntil(event: EventCondition, timeout: RuleDuration)
    case branch(if: Rule, then: [WorkflowStep], else: [WorkflowStep])
    /// Weighted variants (percent) and a holdout (percent) that receives nothing.
    case split(variants: [SplitVariant], holdout: Int)
    case update(ContactUpdate)
    case goto(String)
    case enroll(workflow: String)
    case remove(workflow: String)
    case handoff(reason: String?)
    case exit
}

public struct SplitVariant: Sendable, Hashable {
    public var name: String
    public var weight: Int
}

/// An `update` step: traits to merge, tags to add, a stage to move to, points to add.
public struct ContactUpdate: Sendable, Hashable {
    public var traits: [String: JSONValue] = [:]
    public var tags: [String] = []
    public var stage: LifecycleStage?
    public var score: Double?

    public init(traits: [String: JSONValue] = [:], tags: [String] = [], stage: LifecycleStage? = nil, score: Double? = nil) {
        self.traits = traits
        self.tags = tags
        self.stage = stage
        self.score = score
    }
}

public enum Weekday: String, Sendable, Hashable, CaseIterable, Comparable {
    case mon, tue, wed, thu, fri, sat, sun

    var order: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.order < rhs.order }
}
