import TrellisCore

/// The reports' rollup: one row per lead with its capture, source and the first time it reached
/// each stage, kept current from the event log by ``refreshFunnel(limit:)`` so reports never scan
/// the log.
public protocol ReportStore: Sendable {
    /// Folds events not seen yet into the rollup; returns how many were read.
    func refreshFunnel(limit: Int) async throws -> Int
    /// Rows of leads captured in [from, to).
    func funnelRows(capturedFrom from: Timestamp, to: Timestamp) async throws -> [FunnelRow]
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
