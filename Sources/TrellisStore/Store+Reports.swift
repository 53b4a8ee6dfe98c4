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
