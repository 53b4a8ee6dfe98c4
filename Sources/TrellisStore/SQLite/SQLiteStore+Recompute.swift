import Foundation
import GRDB
import Synchronization
import TrellisCore

extension SQLiteStore {
    public func recompute(
        segmentId: Int64, with qualifier: Qualifier, at now: Timestamp, progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void
    ) async throws -> RecomputeReport {
        guard let record = try await segment(id: segmentId) else { throw StoreError.notFound("segment \(segmentId)") }
        let rule = record.definition.match
        // Evaluate on a read snapshot: ingest goes on meanwhile, and the qualify stage catches up
        // with whatever arrives after it.
        var scan = ScanResult()
        for part in try await scanInParts(rule, scorer: qualifier.scorer, at: now, progress: progress) {
            scan.total += part.total
            scan.matched.formUnion(part.matched)
            scan.checks += part.checks
        }
        scan.existing = try await pool.read { db in
            Set(try Int64.fetchAll(db, sql: "SELECT contact_id FROM segment_members WHERE segment_id = ?", arguments: [segmentId]))
        }
        var report = RecomputeReport()
        report.contacts = scan.total
        let matched = scan.matched
        let existing = scan.existing
        let checks = scan.checks
        let total = scan.total
        let entered = matched.subtracting(existing).sorted()
        let exited = existing.subtracting(matched).sorted()
        report.members = matched.count
        (report.entered, report.exited) = try await writeMembership(
            segmentId: segmentId, name: record.definition.name, entered: entered, exited: exited, checks: checks, at: now)
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE segments SET computed_version = ?, progress_done = ?, progress_total = ? WHERE id = ? AND version = ?",
                arguments: [record.version, total, total, segmentId, record.version])
        }
        return report
    }

    /// Evaluates the rule over all contacts, in as many id ranges as there are cores (each on a
    /// read snapshot of its own), or in one pass when an account rule needs whole accounts.
    func scanInParts(
        _ rule: Rule, scorer: LeadScorer?, at now: Timestamp, sampleSize: Int = 0, progress: @escaping @Sendable (Int, Int) -> Void
    ) async throws -> [ScanResult] {
        let (low, high) = try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM contacts")!
            return (row[0] as Int64, row[1] as Int64)
        }
        let parts = rule.usesAccountAggregate || high - low < 10_000 ? 1 : max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        let step = (high - low) / Int64(parts) + 1
        let counts = PartProgress(parts: parts)
        return try await withThrowingTaskGroup(of: ScanResult.self) { group in
            for part in 0..<parts {
                let range = (parts == 1 ? Int64.min : low + step * Int64(part))...(parts == 1 ? Int64.max : min(high, low + step * Int64(part + 1) - 1))
                group.addTask {
                    try await self.pool.read { db in
                        var result = ScanResult()
                        var scan = SegmentScan(db: db, rule: rule, scorer: scorer, now: now)
                        scan.range = range
                        result.total = try scan.run(
                            progress: { partDone, partTotal in
                                let (done, total) = counts.update(part: part, done: partDone, total: partTotal)
                                progress(done, total)
                            },
                            visit: { id, outcome in
                                if outcome.matched {
                                    result.matched.insert(id)
                                    if result.sample.count < sampleSize { result.sample.append(id) }
                                }
                                if let next = outcome.nextCheck { result.checks.append((id, next)) }
                            })
                        return result
                    }
                }
            }
            var results: [ScanResult] = []
            for try await result in group { results.append(result) }
            return results
        }
    }

    struct ScanResult: Sendable {
        var total = 0
        var matched: Set<Int64> = []
        var existing: Set<Int64> = []
        var checks: [(Int64, Timestamp)] = []
        var sample: [Int64] = []
    }

    /// Writes the difference in chunks, so ingest is never held up behind one huge transaction;
    /// returns how many contacts it moved in and out (fewer than asked where a pass or another
    /// recompute made the move first).
    private func writeMembership(
        segmentId: Int64, name: String, entered: [Int64], exited: [Int64], checks: [(Int64, Timestamp)], at now: Timestamp
    ) async throws -> (entered: Int, exited: Int) {
        var moved = (entered: 0, exited: 0)
        let chunk = 5_000
        let at = now.millisecondsSinceEpoch
        let properties: [String: JSONValue] = ["segment": .string(name), "segmentId": .int(segmentId), "cause": "recompute"]
        for (changes, entering) in [(entered, true), (exited, false)] {
            var start = 0
            while start < changes.count {
                let slice = changes[start..<min(start + chunk, changes.count)]
                moved = try await pool.write { [moved] db in
                    var moved = moved
                    let writer = try IngestWriter(db: db)
                    var random = SystemRandomNumberGenerator()
                    for id in slice {
                        if entering {
                            try db.execute(
                                sql: "INSERT INTO segment_members (segment_id, contact_id, entered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                arguments: [segmentId, id, at])
                        } else {
                            try db.execute(sql: "DELETE FROM segment_members WHERE segment_id = ? AND contact_id = ?", arguments: [segmentId, id])
                        }
                        // A qualify pass or another recompute may have made the same move since
                        // this one read the members: the log gets one entry or exit, not two.
                        guard db.changesCount > 0 else { continue }
                        if entering { moved.entered += 1 } else { moved.exited += 1 }
                        let message = TrackingMessage(
                            type: .track, messageId: "q-\(id)-\(at)-\(String(random.next(), radix: 36))",
                            name: entering ? QualifyEvents.segmentEntered : QualifyEvents.segmentExited, properties: properties)
                        try writer.appendEvent(message, contactId: id, source: QualifyPlanner.ownSource, timestamp: now, receivedAt: now)
                    }
                    return moved
                }
                start += chunk
            }
        }
        var start = 0
        while start < checks.count {
            let slice = checks[start..<min(start + chunk * 4, checks.count)]
            try await pool.write { db in
                let statement = try db.cachedStatement(
                    sql: "INSERT INTO contact_checks (contact_id, due_at) VALUES (?, ?) ON CONFLICT (contact_id) DO UPDATE SET due_at = min(due_at, excluded.due_at)")
                for (id, due) in slice { try statement.execute(arguments: [id, due.millisecondsSinceEpoch]) }
            }
            start += chunk * 4
        }
        return moved
    }

    public func preview(_ rule: Rule, with qualifier: Qualifier, at now: Timestamp, sampleSize: Int) async throws -> PreviewReport {
        let parts = try await scanInParts(rule, scorer: qualifier.scorer, at: now, sampleSize: sampleSize) { _, _ in }
        let sample = parts.flatMap(\.sample).sorted().prefix(sampleSize)
        return PreviewReport(matching: parts.reduce(0) { $0 + $1.matched.count }, contacts: parts.reduce(0) { $0 + $1.total }, sample: Array(sample))
    }
}

/// Progress of a scan split into parts, summed for the caller.
final class PartProgress: Sendable {
    private let counts: Mutex<[(done: Int, total: Int)]>

    init(parts: Int) { counts = Mutex(Array(repeating: (0, 0), count: parts)) }

    func update(part: Int, done: Int, total: Int) -> (Int, Int) {
        counts.withLock { counts in
            counts[part] = (done, total)
            return (counts.reduce(0) { $0 + $1.done }, counts.reduce(0) { $0 + $1.total })
        }
    }
}
