import GRDB
import TrellisCore

extension SQLiteStore {
    public func recompute(
        segmentId: Int64, with qualifier: Qualifier, at now: Timestamp, progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void
    ) async throws -> RecomputeReport {
        guard let record = try await segment(id: segmentId) else { throw StoreError.notFound("segment \(segmentId)") }
        let rule = record.definition.match
        // Evaluate on a read snapshot: ingest goes on meanwhile, and the qualify stage catches up
        // with whatever arrives after it.
        let scan = try await pool.read { db in
            var result = ScanResult()
            let scan = SegmentScan(db: db, rule: rule, scorer: qualifier.scorer, now: now)
            result.total = try scan.run(
                progress: { done, total in progress(done, total) },
                visit: { id, outcome in
                    if outcome.matched { result.matched.insert(id) }
                    if let next = outcome.nextCheck { result.checks.append((id, next)) }
                })
            result.existing = Set(try Int64.fetchAll(db, sql: "SELECT contact_id FROM segment_members WHERE segment_id = ?", arguments: [segmentId]))
            return result
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
        report.entered = entered.count
        report.exited = exited.count
        try await writeMembership(segmentId: segmentId, name: record.definition.name, entered: entered, exited: exited, checks: checks, at: now)
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE segments SET computed_version = ?, progress_done = ?, progress_total = ? WHERE id = ? AND version = ?",
                arguments: [record.version, total, total, segmentId, record.version])
        }
        return report
    }

    struct ScanResult {
        var total = 0
        var matched: Set<Int64> = []
        var existing: Set<Int64> = []
        var checks: [(Int64, Timestamp)] = []
    }

    /// Writes the difference in chunks, so ingest is never held up behind one huge transaction.
    private func writeMembership(segmentId: Int64, name: String, entered: [Int64], exited: [Int64], checks: [(Int64, Timestamp)], at now: Timestamp) async throws {
        let chunk = 5_000
        let at = now.millisecondsSinceEpoch
        let properties: [String: JSONValue] = ["segment": .string(name), "segmentId": .int(segmentId), "cause": "recompute"]
        for (changes, entering) in [(entered, true), (exited, false)] {
            var start = 0
            while start < changes.count {
                let slice = changes[start..<min(start + chunk, changes.count)]
                try await pool.write { db in
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
                        let message = TrackingMessage(
                            type: .track, messageId: "q-\(id)-\(at)-\(String(random.next(), radix: 36))",
                            name: entering ? QualifyEvents.segmentEntered : QualifyEvents.segmentExited, properties: properties)
                        try writer.appendEvent(message, contactId: id, source: QualifyPass.ownSource, timestamp: now, receivedAt: now)
                    }
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
    }

    public func preview(_ rule: Rule, with qualifier: Qualifier, at now: Timestamp, sampleSize: Int) async throws -> PreviewReport {
        try await pool.read { db in
            var matching = 0
            var sample: [Int64] = []
            let total = try SegmentScan(db: db, rule: rule, scorer: qualifier.scorer, now: now).run(
                progress: { _, _ in },
                visit: { id, outcome in
                    guard outcome.matched else { return }
                    matching += 1
                    if sample.count < sampleSize { sample.append(id) }
                })
            return PreviewReport(matching: matching, contacts: total, sample: sample.sorted())
        }
    }
}
