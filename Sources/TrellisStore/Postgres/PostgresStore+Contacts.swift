import TrellisCore

extension PostgresStore: ContactStore {
    public func contact(id: Int64) async throws -> Contact? {
        try await statement { session in try await Self.contact(session, id: id) }
    }

    /// Follows merges: the id of a contact that was folded into another answers with the survivor.
    /// One statement (the merge, the row and its anonymous ids), so it needs no transaction.
    static func contact(_ session: PostgresSession, id: Int64) async throws -> Contact? {
        guard
            let row = try await session.row(
                """
                SELECT \(ContactRow.columns),
                    ARRAY(SELECT value FROM identities i WHERE i.contact_id = c.id AND i.kind = 'anon' ORDER BY i.created_at, i.value)
                FROM contacts c WHERE c.id = coalesce((SELECT survivor_id FROM contact_merges WHERE absorbed_id = ?1), ?1)
                """, [id])
        else { return nil }
        return try ContactRow(row: row).contact(anonymousIds: try row[10])
    }

    /// The id a contact answers to now: itself, or the contact it was merged into.
    static func survivor(_ session: PostgresSession, of id: Int64) async throws -> Int64 {
        try await session.int64("SELECT survivor_id FROM contact_merges WHERE absorbed_id = ?", [id]) ?? id
    }

    static func anonymousIds(_ session: PostgresSession, contactId: Int64) async throws -> [String] {
        try await session.strings("SELECT value FROM identities WHERE contact_id = ? AND kind = 'anon' ORDER BY created_at, value", [contactId])
    }

    public func contacts(_ query: ContactQuery) async throws -> [Contact] {
        try await read { session in
            var conditions: [String] = []
            var arguments: [any PostgresArgument] = []
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
            var contacts: [Contact] = []
            for row in try await session.rows("SELECT \(ContactRow.columns) FROM contacts \(filter) ORDER BY id LIMIT ?", arguments) {
                let contact = try ContactRow(row: row)
                contacts.append(contact.contact(anonymousIds: try await Self.anonymousIds(session, contactId: contact.id)))
            }
            return contacts
        }
    }

    public func contactId(anonymousId: String) async throws -> Int64? {
        try await read { session in
            try await session.int64("SELECT contact_id FROM identities WHERE kind = 'anon' AND value = ?", [anonymousId])
        }
    }

    public func updateContact(id: Int64, _ patch: ContactPatch, at: Timestamp, actor: String) async throws -> Contact {
        try await write { session in
            let id = try await Self.survivor(session, of: id)
            guard var row = try await ContactRow.fetch(session, id: id) else { throw StoreError.notFound("contact \(id)") }
            var changes: [String: JSONValue] = [:]
            if let email = patch.email {
                if let email, let other = try await session.int64("SELECT id FROM contacts WHERE email_lower = ?", [email.lowercased()]), other != id {
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
            try await row.save(session, at: at)
            let writer = PostgresIngestWriter(session: session)
            let sequence = try await session.int64("SELECT coalesce(max(seq), 0) + 1 FROM events") ?? 1
            let update = TrackingMessage(
                type: .track, messageId: "api-update-\(id)-\(sequence)", name: "Contact Updated",
                properties: ["changes": .object(changes), "actor": .string(actor)])
            try await writer.appendEvent(update, contactId: id, source: "api", timestamp: at, receivedAt: at)
            if previousStage != row.stage {
                let change = TrackingMessage(
                    type: .track, messageId: "stage-api-update-\(id)-\(sequence)", name: "Lifecycle Stage Changed",
                    properties: [
                        "from": previousStage.map { .string($0.rawValue) } ?? .null, "to": row.stage.map { .string($0.rawValue) } ?? .null, "cause": "api",
                        "reason": patch.stageReason.map { .string($0) } ?? .null, "actor": .string(actor),
                    ])
                try await writer.appendEvent(change, contactId: id, source: "api", timestamp: at, receivedAt: at)
            }
            return row.contact(anonymousIds: try await Self.anonymousIds(session, contactId: id))
        }
    }

    public func deleteContact(id: Int64) async throws -> Bool {
        try await write { session in
            let id = try await Self.survivor(session, of: id)
            guard try await session.int64("SELECT id FROM contacts WHERE id = ?", [id]) != nil else { return false }
            try await session.execute("DELETE FROM events WHERE contact_id = ?", [id])
            for table in [
                "segment_members", "contact_scores", "score_changes", "contact_checks", "workflow_runs", "workflow_actions", "email_sends",
            ] {
                try await session.execute("DELETE FROM \(table) WHERE contact_id = ?", [id])
            }
            try await session.execute("DELETE FROM contact_merges WHERE survivor_id = ?", [id])
            try await session.execute("DELETE FROM contacts WHERE id = ?", [id])
            return true
        }
    }

    public func timeline(contactId: Int64, before: Int64?, limit: Int) async throws -> [StoredEvent] {
        try await read { session in
            try await session.rows(
                """
                SELECT seq, message_id, source, contact_id, type, name, user_id, anonymous_id, group_id, properties, context, timestamp,
                    original_timestamp, sent_at, received_at FROM events WHERE contact_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?
                """, [contactId, before ?? Int64.max, limit]
            ).map(Self.storedEvent)
        }
    }

    /// `seq, message_id, source, contact_id, type, name, user_id, anonymous_id, group_id,
    /// properties, context, timestamp, original_timestamp, sent_at, received_at`.
    static func storedEvent(_ row: PostgresResultRow) throws -> StoredEvent {
        StoredEvent(
            seq: try row[0], messageId: try row[1], source: try row[2], contactId: try row[3], type: try row[4], name: try row[5], userId: try row[6],
            anonymousId: try row[7], groupId: try row[8], properties: try JSONValue.column(try row[9], "events.properties"),
            context: try JSONValue.column(try row[10], "events.context"), timestamp: Timestamp(millisecondsSinceEpoch: try row[11]),
            originalTimestamp: (try row[12] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)),
            sentAt: (try row[13] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)), receivedAt: Timestamp(millisecondsSinceEpoch: try row[14]))
    }

    public func consentRecords(contactId: Int64) async throws -> [ConsentRecord] {
        try await read { session in
            try await session.rows(
                """
                SELECT id, contact_id, channel, status, basis, method, text, text_version, location, ip_address, user_agent, recorded_at,
                    expires_at FROM consent_records WHERE contact_id = ? ORDER BY id
                """, [contactId]
            ).map(Self.consentRecord)
        }
    }

    /// `id, contact_id, channel, status, basis, method, text, text_version, location, ip_address,
    /// user_agent, recorded_at, expires_at`.
    static func consentRecord(_ row: PostgresResultRow) throws -> ConsentRecord {
        ConsentRecord(
            id: try row[0], contactId: try row[1], channel: try row[2], status: ConsentStatus(rawValue: try row[3]) ?? .withdrawn,
            basis: ConsentBasis(rawValue: try row[4]) ?? .express, method: ConsentMethod(rawValue: try row[5]) ?? .api, text: try row[6],
            textVersion: try row[7], location: try row[8], ipAddress: try row[9], userAgent: try row[10],
            recordedAt: Timestamp(millisecondsSinceEpoch: try row[11]), expiresAt: (try row[12] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)))
    }

    public func account(id: Int64) async throws -> Account? {
        try await statement { session in
            guard let row = try await session.row("SELECT id, group_id, name, traits, created_at, updated_at FROM accounts WHERE id = ?", [id]) else {
                return nil
            }
            return Account(
                id: try row[0], groupId: try row[1], name: try row[2], traits: try JSONValue.column(try row[3], "accounts.traits"),
                createdAt: Timestamp(millisecondsSinceEpoch: try row[4]), updatedAt: Timestamp(millisecondsSinceEpoch: try row[5]))
        }
    }

    public func contacts(accountId: Int64, limit: Int) async throws -> [Contact] {
        try await read { session in
            var contacts: [Contact] = []
            for row in try await session.rows("SELECT \(ContactRow.columns) FROM contacts WHERE account_id = ? ORDER BY id LIMIT ?", [accountId, limit]) {
                let contact = try ContactRow(row: row)
                contacts.append(contact.contact(anonymousIds: try await Self.anonymousIds(session, contactId: contact.id)))
            }
            return contacts
        }
    }

    // MARK: Keys and forms

    public func createAPIKey(_ key: APIKeyRecord) async throws {
        try await write { session in
            try await session.execute(
                "INSERT INTO api_keys (id, name, role, key_hash, prefix, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [key.id, key.name, key.role.rawValue, key.hash, key.prefix, key.source, key.createdAt.millisecondsSinceEpoch])
        }
    }

    public func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await read { session in
            try await session.row("SELECT id, name, role, key_hash, prefix, source, created_at FROM api_keys WHERE key_hash = ?", [hash])
                .flatMap(Self.apiKey(row:))
        }
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        try await read { session in
            try await session.rows("SELECT id, name, role, key_hash, prefix, source, created_at FROM api_keys ORDER BY created_at, id")
                .compactMap(Self.apiKey(row:))
        }
    }

    public func deleteAPIKey(id: String) async throws -> APIKeyRecord? {
        try await write { session in
            try await session.row("DELETE FROM api_keys WHERE id = ? RETURNING id, name, role, key_hash, prefix, source, created_at", [id])
                .flatMap(Self.apiKey(row:))
        }
    }

    static func apiKey(row: PostgresResultRow) throws -> APIKeyRecord? {
        guard let role = Role(rawValue: try row[2]) else { return nil }
        return APIKeyRecord(
            id: try row[0], name: try row[1], role: role, hash: try row[3], prefix: try row[4], source: try row[5],
            createdAt: Timestamp(millisecondsSinceEpoch: try row[6]))
    }

    public func saveForm(_ form: FormDefinition, at: Timestamp) async throws {
        try await write { session in
            try await session.execute(
                """
                INSERT INTO forms (key, definition, created_at, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
                """, [form.key, form.json.jsonText, at.millisecondsSinceEpoch, at.millisecondsSinceEpoch])
        }
    }

    public func form(key: String) async throws -> FormDefinition? {
        try await statement { session in
            try await session.string("SELECT definition FROM forms WHERE key = ?", [key]).map(SQLiteStore.form(text:))
        }
    }

    public func forms() async throws -> [FormDefinition] {
        try await read { session in try await session.strings("SELECT definition FROM forms ORDER BY key").map(SQLiteStore.form(text:)) }
    }

    public func deleteForm(key: String) async throws -> Bool {
        try await write { session in try await session.count("DELETE FROM forms WHERE key = ? RETURNING 1", [key]) > 0 }
    }

    // MARK: For tests and maintenance

    /// Runs a statement as written; for tests and maintenance, never with user input.
    func execute(sql: String) async throws {
        try await write { session in try await session.execute(sql) }
    }

    /// The first column of every row of a query, as text; for tests and maintenance.
    func strings(sql: String) async throws -> [String] {
        try await read { session in try await session.strings(sql) }
    }
}

extension ContactRow {
    init(row: PostgresResultRow) throws {
        try self.init(
            id: try row[0], userId: try row[1], email: try row[2], traits: try row[3], stage: try row[4], owner: try row[5], accountId: try row[6],
            consent: try row[7], firstSeen: try row[8], lastSeen: try row[9])
    }

    static func fetch(_ session: PostgresSession, id: Int64) async throws -> ContactRow? {
        try await session.row("SELECT \(columns) FROM contacts WHERE id = ?", [id]).map(ContactRow.init(row:))
    }

    func save(_ session: PostgresSession, at: Timestamp) async throws {
        try await session.execute(
            """
            UPDATE contacts SET user_id = ?, email = ?, email_lower = ?, traits = ?, stage = ?, owner = ?, account_id = ?, consent = ?,
                first_seen = ?, last_seen = ?, updated_at = ? WHERE id = ?
            """,
            [
                userId, email, email?.lowercased(), traits.jsonText, stage?.rawValue, owner, accountId, try JSONDecoderShim.encode(consent),
                firstSeen.millisecondsSinceEpoch, lastSeen.millisecondsSinceEpoch, at.millisecondsSinceEpoch, id,
            ])
    }
}
