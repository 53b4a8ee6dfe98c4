import GRDB
import TrellisCore

extension SQLiteStore {
    public func contact(id: Int64) async throws -> Contact? {
        try await pool.read { db in try Self.contact(db, id: id) }
    }

    /// Follows merges: the id of a contact that was folded into another answers with the survivor.
    static func contact(_ db: Database, id: Int64) throws -> Contact? {
        let resolved = try survivor(db, of: id)
        guard let row = try ContactRow.fetch(db, id: resolved) else { return nil }
        return row.contact(anonymousIds: try anonymousIds(db, contactId: resolved))
    }

    /// The id a contact answers to now: itself, or the contact it was merged into.
    static func survivor(_ db: Database, of id: Int64) throws -> Int64 {
        // Asked for every contact a pass touches: the statement is prepared once per connection.
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT survivor_id FROM contact_merges WHERE absorbed_id = ?"), arguments: [id]) ?? id
    }

    static func anonymousIds(_ db: Database, contactId: Int64) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT value FROM identities WHERE contact_id = ? AND kind = 'anon' ORDER BY created_at, value"), arguments: [contactId])
    }

    public func contacts(_ query: ContactQuery) async throws -> [Contact] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let email = query.email {
                conditions.append("email_lower = ?")
                arguments.append(email.lowercased())
            }
            if let userId = query.userId {
                conditions.append("id IN (SELECT contact_id FROM identities WHERE kind = 'user' AND value = ?)")
                arguments.append(userId)
            }
            if let afterId = query.afterId {
                conditions.append("id > ?")
                arguments.append(afterId)
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments.append(query.limit)
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(ContactRow.columns) FROM contacts \(filter) ORDER BY id LIMIT ?", arguments: StatementArguments(arguments))
            return try rows.map { row in
                let contact = try ContactRow(row: row)
                return contact.contact(anonymousIds: try Self.anonymousIds(db, contactId: contact.id))
            }
        }
    }

    public func contactId(anonymousId: String) async throws -> Int64? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT contact_id FROM identities WHERE kind = 'anon' AND value = ?", arguments: [anonymousId])
        }
    }

    public func updateContact(id: Int64, _ patch: ContactPatch, at: Timestamp, actor: String) async throws -> Contact {
        try await pool.write { db in
            let id = try Self.survivor(db, of: id)
            guard var row = try ContactRow.fetch(db, id: id) else { throw StoreError.notFound("contact \(id)") }
            var changes: [String: JSONValue] = [:]
            if let email = patch.email {
                if let email, let other = try Int64.fetchOne(db, sql: "SELECT id FROM contacts WHERE email_lower = ?", arguments: [email.lowercased()]),
                    other != id
                {
                    throw StoreError.conflict("email \(email) belongs to contact \(other)")
                }
                row.email = email
                changes["email"] = email.map { .string($0) } ?? .null
            }
            if let traits = patch.traits {
                row.traits = Traits.merge(row.traits, with: traits)
                changes["traits"] = .object(traits)
            }
            let previousStage = row.stage
            if let stage = patch.stage {
                row.stage = stage
                changes["stage"] = stage.map { .string($0.rawValue) } ?? .null
            }
            if let owner = patch.owner {
                row.owner = owner
                changes["owner"] = owner.map { .string($0) } ?? .null
            }
            try row.save(db, at: at)
            let writer = try IngestWriter(db: db)
            let sequence = try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) + 1 FROM events") ?? 1
            let update = TrackingMessage(
                type: .track, messageId: "api-update-\(id)-\(sequence)", name: "Contact Updated",
                properties: ["changes": .object(changes), "actor": .string(actor)])
            try writer.appendEvent(update, contactId: id, source: "api", timestamp: at, receivedAt: at)
            if previousStage != row.stage {
                let change = TrackingMessage(
                    type: .track, messageId: "stage-api-update-\(id)-\(sequence)", name: "Lifecycle Stage Changed",
                    properties: ["from": previousStage.map { .string($0.rawValue) } ?? .null, "to": row.stage.map { .string($0.rawValue) } ?? .null, "cause": "api",
                        "reason": patch.stageReason.map { .string($0) } ?? .null, "actor": .string(actor)])
                try writer.appendEvent(change, contactId: id, source: "api", timestamp: at, receivedAt: at)
            }
            return row.contact(anonymousIds: try Self.anonymousIds(db, contactId: id))
        }
    }

    public func deleteContact(id: Int64) async throws -> Bool {
        try await pool.write { db in
            let id = try Self.survivor(db, of: id)
            guard try Int64.fetchOne(db, sql: "SELECT id FROM contacts WHERE id = ?", arguments: [id]) != nil else { return false }
            try db.execute(sql: "DELETE FROM events WHERE contact_id = ?", arguments: [id])
            for table in [
                "segment_members", "contact_scores", "score_changes", "contact_checks", "workflow_runs", "workflow_actions", "email_sends",
            ] {
                try db.execute(sql: "DELETE FROM \(table) WHERE contact_id = ?", arguments: [id])
            }
            try db.execute(sql: "DELETE FROM contact_merges WHERE survivor_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM contacts WHERE id = ?", arguments: [id])
            return true
        }
    }

    public func timeline(contactId: Int64, before: Int64?, limit: Int) async throws -> [StoredEvent] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, message_id, source, contact_id, type, name, user_id, anonymous_id, group_id, properties, context, timestamp,
                        original_timestamp, sent_at, received_at FROM events WHERE contact_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?
                    """,
                arguments: [contactId, before ?? Int64.max, limit])
            return try rows.map { row in
                StoredEvent(
                    seq: row[0], messageId: row[1], source: row[2], contactId: row[3], type: row[4], name: row[5], userId: row[6],
                    anonymousId: row[7], groupId: row[8], properties: try JSONValue.column(row[9], "events.properties"),
                    context: try JSONValue.column(row[10], "events.context"), timestamp: Timestamp(millisecondsSinceEpoch: row[11]),
                    originalTimestamp: (row[12] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)),
                    sentAt: (row[13] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)), receivedAt: Timestamp(millisecondsSinceEpoch: row[14]))
            }
        }
    }

    public func consentRecords(contactId: Int64) async throws -> [ConsentRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, contact_id, channel, status, basis, method, text, text_version, location, ip_address, user_agent, recorded_at,
                        expires_at FROM consent_records WHERE contact_id = ? ORDER BY id
                    """, arguments: [contactId]
            ).map(Self.consentRecord)
        }
    }

    /// `id, contact_id, channel, status, basis, method, text, text_version, location, ip_address,
    /// user_agent, recorded_at, expires_at`.
    static func consentRecord(_ row: Row) -> ConsentRecord {
        ConsentRecord(
            id: row[0], contactId: row[1], channel: row[2], status: ConsentStatus(rawValue: row[3]) ?? .withdrawn,
            basis: ConsentBasis(rawValue: row[4]) ?? .express, method: ConsentMethod(rawValue: row[5]) ?? .api, text: row[6],
            textVersion: row[7], location: row[8], ipAddress: row[9], userAgent: row[10],
            recordedAt: Timestamp(millisecondsSinceEpoch: row[11]), expiresAt: (row[12] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)))
    }

    public func consentEvidence(from: Timestamp, to: Timestamp) async throws -> [(record: ConsentRecord, email: String?)] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.id, r.contact_id, r.channel, r.status, r.basis, r.method, r.text, r.text_version, r.location, r.ip_address, r.user_agent,
                        r.recorded_at, r.expires_at, c.email
                    FROM consent_records r LEFT JOIN contacts c ON c.id = r.contact_id
                    WHERE r.recorded_at >= ? AND r.recorded_at < ? ORDER BY r.recorded_at, r.id
                    """, arguments: [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]
            ).map { row in (Self.consentRecord(row), row[13]) }
        }
    }

    public func account(id: Int64) async throws -> Account? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, group_id, name, traits, created_at, updated_at FROM accounts WHERE id = ?", arguments: [id]) else {
                return nil
            }
            return Account(
                id: row[0], groupId: row[1], name: row[2], traits: try JSONValue.column(row[3], "accounts.traits"),
                createdAt: Timestamp(millisecondsSinceEpoch: row[4]), updatedAt: Timestamp(millisecondsSinceEpoch: row[5]))
        }
    }

    public func contacts(accountId: Int64, limit: Int) async throws -> [Contact] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(ContactRow.columns) FROM contacts WHERE account_id = ? ORDER BY id LIMIT ?", arguments: [accountId, limit]).map { row in
                let contact = try ContactRow(row: row)
                return contact.contact(anonymousIds: try Self.anonymousIds(db, contactId: contact.id))
            }
        }
    }
}
