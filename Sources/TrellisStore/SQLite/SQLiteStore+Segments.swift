import Foundation
import GRDB
import TrellisCore

extension SQLiteStore {
    public func saveSegment(_ definition: SegmentDefinition, at: Timestamp) async throws -> SegmentRecord {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO segments (name, definition, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, version = segments.version + 1, updated_at = excluded.updated_at
                    """,
                arguments: [definition.name, definition.source.jsonText, at.millisecondsSinceEpoch, at.millisecondsSinceEpoch])
            return try Self.segmentRecords(db, where: "name = ?", [definition.name])[0]
        }
    }

    public func segments() async throws -> [SegmentRecord] {
        try await pool.read { db in try Self.segmentRecords(db, where: "1 = 1", []) }
    }

    public func segment(id: Int64) async throws -> SegmentRecord? {
        try await pool.read { db in try Self.segmentRecords(db, where: "id = ?", [id]).first }
    }

    public func deleteSegment(id: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM segment_members WHERE segment_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM segments WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    static func segmentRecords(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [SegmentRecord] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT id, definition, version, computed_version, progress_done, progress_total, created_at, updated_at,
                    (SELECT count(*) FROM segment_members m WHERE m.segment_id = segments.id)
                FROM segments WHERE \(condition) ORDER BY name
                """, arguments: arguments)
        return try rows.map { row in
            let text: String = row[1]
            let definition: SegmentDefinition
            do {
                definition = try SegmentDefinition(json: try JSONValue(jsonText: text))
            } catch {
                throw StoreError.corrupt("segment \(row[0] as Int64): \(error)")
            }
            return SegmentRecord(
                id: row[0], definition: definition, version: row[2], computedVersion: row[3], progressDone: row[4], progressTotal: row[5],
                memberCount: row[8], createdAt: Timestamp(millisecondsSinceEpoch: row[6]), updatedAt: Timestamp(millisecondsSinceEpoch: row[7]))
        }
    }

    public func segmentMembers(segmentId: Int64, afterContactId: Int64?, limit: Int) async throws -> [Contact] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(ContactRow.columns.split(separator: ",").map { "c." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
                    FROM segment_members m JOIN contacts c ON c.id = m.contact_id
                    WHERE m.segment_id = ? AND m.contact_id > ? ORDER BY m.contact_id LIMIT ?
                    """, arguments: [segmentId, afterContactId ?? 0, limit])
            return try rows.map { try ContactRow(row: $0).contact(anonymousIds: []) }
        }
    }

    public func memberships(contactId: Int64) async throws -> [(segment: String, since: Timestamp)] {
        try await pool.read { db in
            let id = try Self.survivor(db, of: contactId)
            return try Row.fetchAll(
                db,
                sql: "SELECT s.name, m.entered_at FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE m.contact_id = ? ORDER BY s.name",
                arguments: [id]
            ).map { (segment: $0[0], since: Timestamp(millisecondsSinceEpoch: $0[1])) }
        }
    }

    public func saveScoringModel(_ model: ScoringModel, at: Timestamp) async throws {
        try await pool.write { db in
            let previous = try String.fetchOne(db, sql: "SELECT definition FROM scoring_models")
            guard previous != model.source.jsonText else { return }
            try db.execute(sql: "DELETE FROM scoring_models")
            try db.execute(
                sql: "INSERT INTO scoring_models (name, definition, updated_at) VALUES (?, ?, ?)",
                arguments: [model.name, model.source.jsonText, at.millisecondsSinceEpoch])
            // A changed model scores everyone again from their history: every contact is due for a check.
            try db.execute(sql: "DELETE FROM contact_scores")
            try db.execute(
                sql: """
                    INSERT INTO contact_checks (contact_id, due_at) SELECT id, ? FROM contacts WHERE true
                    ON CONFLICT (contact_id) DO UPDATE SET due_at = min(contact_checks.due_at, excluded.due_at)
                    """, arguments: [at.millisecondsSinceEpoch])
        }
    }

    public func scoringModel() async throws -> ScoringModel? {
        try await pool.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT definition FROM scoring_models") else { return nil }
            do {
                return try ScoringModel(json: try JSONValue(jsonText: text))
            } catch {
                throw StoreError.corrupt("scoring model: \(error)")
            }
        }
    }

    public func score(contactId: Int64) async throws -> (state: ScoreState, changes: [ScoreChange])? {
        try await pool.read { db in
            let id = try Self.survivor(db, of: contactId)
            guard let row = try Row.fetchOne(db, sql: "SELECT model, state FROM contact_scores WHERE contact_id = ?", arguments: [id]) else { return nil }
            let model: String = row[0]
            let state = try ScoreState(json: try JSONValue(jsonText: row[1]))
            let changes = try Row.fetchAll(
                db, sql: "SELECT dimension, rule, points, reason, at, event_seq FROM score_changes WHERE contact_id = ? AND model = ? ORDER BY id",
                arguments: [id, model]
            ).map { row in
                ScoreChange(
                    dimension: ScoreChange.Dimension(rawValue: row[0]) ?? .engagement, rule: row[1], points: row[2], reason: row[3],
                    at: Timestamp(millisecondsSinceEpoch: row[4]), eventSeq: row[5])
            }
            return (state, changes)
        }
    }
}

