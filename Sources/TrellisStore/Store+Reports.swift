import TrellisCore

/// The reports' rollup: one row per lead with its capture, source and the first time it reached
/// each stage, kept current from the event log by ``refreshFunnel(limit:)`` so reports never scan
/// the log.
public protocol ReportStore: Sendable {
    /// Folds events not seen yet into the rollup; returns how many were read.
    func refreshFunnel(limit: Int) async throws -> Int
    /// Rows of leads captured in [from, to).
    func funnelRows(capturedFrom from: Timestamp, to: Timestamp) async throws -> [FunnelRow]
    /// For leads captured in [from, to), by contact: the segments each is in now, the workflows
    /// each entered (any version), the split arms each was given, or the workflow steps that acted
    /// for each, as `dimension` asks (see ``FunnelReport/Dimension``).
    func funnelGroups(capturedFrom from: Timestamp, to: Timestamp, by dimension: FunnelReport.Dimension) async throws -> [Int64: [String]]
    /// The sequence number of the latest event stored (0 for none): what a computed report saw.
    func latestEventSequence() async throws -> Int64
}


/// A workflow's runs by split arm, with how many reached the goal event after entering.
public protocol ExperimentStore: Sendable {
    /// Arms by name (variant names, "holdout", and "all" for runs that met no split), with the
    /// runs that entered and those whose contact had `goalEvent` after entering.
    func experimentArms(workflow: String, goalEvent: String) async throws -> [(arm: String, entered: Int, converted: Int)]
}

/// What attribution reads: leads that brought pipeline, with their value and marketing touches.
public protocol AttributionStore: Sendable {
    /// Leads with pipeline (or revenue when no opportunity amount was given), and their touches up
    /// to the opportunity, oldest first.
    func attributionInputs() async throws -> [(contactId: Int64, value: Double, touches: [String])]
}

/// Email engagement, counted from the sends and the events their links and pixels recorded.
public protocol EmailReportStore: Sendable {
    /// Per template, the sends sent in [from, to) (test sends excluded) and how many of them a
    /// person opened (a click counts as an open: images are often blocked), clicked, or
    /// unsubscribed from. Scanner hits have their own event names and do not count. Read from the
    /// report rollup: fold the events first (``ReportStore/refreshFunnel(limit:)``).
    func emailEngagement(sentFrom from: Timestamp, to: Timestamp) async throws -> [EmailEngagement]
    /// Runs of `workflows` entered in [from, to), and how many of their contacts came back
    /// afterwards: opened or clicked an email, viewed a page or submitted a form.
    func reengagement(workflows: [String], enteredFrom from: Timestamp, to: Timestamp) async throws -> (entered: Int, reengaged: Int)
}

/// One template's sends in a period and what came of them.
public struct EmailEngagement: Sendable, Equatable {
    public var template: String
    public var sent: Int
    public var opened: Int
    public var clicked: Int
    public var unsubscribed: Int

    public init(template: String, sent: Int, opened: Int, clicked: Int, unsubscribed: Int) {
        self.template = template
        self.sent = sent
        self.opened = opened
        self.clicked = clicked
        self.unsubscribed = unsubscribed
    }
}
