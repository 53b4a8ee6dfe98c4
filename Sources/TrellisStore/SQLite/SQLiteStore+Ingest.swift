import GRDB
import TrellisCore

extension SQLiteStore {
    public func ingest(_ batches: [IngestBatch]) async throws -> [IngestOutcome] {
        try await pool.write { db in
            var writer = IngestWriter(db: db)
            return try batches.map { try writer.apply($0) }
        }
    }
}

/// Applies batches inside one write transaction: dedupe, resolve identity, update the profile,
/// append to the event log. Cached statements keep the per-message cost to a few index probes.
struct IngestWriter {
    let db: Database

    mutating func apply(_ batch: IngestBatch) throws -> IngestOutcome {
        var outcome = IngestOutcome()
        outcome.contactIds.reserveCapacity(batch.messages.count)
        for ingest in batch.messages {
            let message = ingest.message
            if try isDuplicate(source: batch.source, messageId: message.messageId) {
                outcome.duplicates += 1
                outcome.contactIds.append(nil)
                continue
            }
            let timestamp = message.correctedTimestamp(receivedAt: batch.receivedAt)
            let contactId = try resolveContact(message, at: timestamp, receivedAt: batch.receivedAt, source: batch.source)
            try applyEffects(ingest, contactId: contactId, at: timestamp, batch: batch)
            try appendEvent(message, contactId: contactId, source: batch.source, timestamp: timestamp, receivedAt: batch.receivedAt)
            outcome.stored += 1
            outcome.contactIds.append(contactId)
        }
        return outcome
    }

    func isDuplicate(source: String, messageId: String) throws -> Bool {
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM events WHERE source = ? AND message_id = ?")
        return try Int.fetchOne(statement, arguments: [source, messageId]) != nil
    }

    // MARK: Identity

    func candidate(kind: String, value: String?) throws -> IdentityCandidate? {
        guard let value else { return nil }
        let statement = try db.cachedStatement(
            sql: "SELECT i.contact_id, c.user_id FROM identities i JOIN contacts c ON c.id = i.contact_id WHERE i.kind = ? AND i.value = ?")
        guard let row = try Row.fetchOne(statement, arguments: [kind, value]) else { return nil }
        return IdentityCandidate(contactId: row[0], userId: row[1])
    }

    func candidate(email: String?) throws -> IdentityCandidate? {
        guard let email else { return nil }
        let statement = try db.cachedStatement(sql: "SELECT id, user_id FROM contacts WHERE email_lower = ?")
        guard let row = try Row.fetchOne(statement, arguments: [email.lowercased()]) else { return nil }
        return IdentityCandidate(contactId: row[0], userId: row[1])
    }

    mutating func resolveContact(_ message: TrackingMessage, at timestamp: Timestamp, receivedAt: Timestamp, source: String) throws -> Int64 {
        let byUserId = try candidate(kind: "user", value: message.userId)
        let byAnonymousId = try candidate(kind: "anon", value: message.anonymousId)
        // The hot path: a known visitor or user with nothing new to link.
        if message.type != .identify, message.type != .alias {
            if let byUserId, message.anonymousId == nil || byAnonymousId?.contactId == byUserId.contactId { return byUserId.contactId }
            if message.userId == nil, let byAnonymousId { return byAnonymousId.contactId }
        }
        let email = message.type == .identify ? Traits.email(in: message.traits) : nil
        var lookup = IdentityLookup(byUserId: byUserId, byAnonymousId: byAnonymousId, byEmail: try candidate(email: email))
        if let previousId = message.previousId {
            lookup.byPreviousId = try candidate(kind: "user", value: previousId) ?? candidate(kind: "anon", value: previousId)
        }
        let resolution = IdentityResolver.resolve(userId: message.userId, previousId: message.previousId, lookup: lookup)
        let contactId: Int64
        if let survivor = resolution.survivor {
            contactId = survivor
        } else {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO contacts (first_seen, last_seen, created_at, updated_at) VALUES (?, ?, ?, ?)")
            try statement.execute(arguments: [timestamp.millisecondsSinceEpoch, timestamp.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch])
            contactId = db.lastInsertedRowID
        }
        for absorbed in resolution.absorbed {
            try merge(absorbed, into: contactId, at: receivedAt, source: source)
        }
        try link(kind: "anon", value: message.anonymousId, to: contactId, at: receivedAt)
        if lookup.byPreviousId == nil {
            // alias of an id never seen: remember it, so later calls that still use it land here.
            try link(kind: "user", value: message.previousId, to: contactId, at: receivedAt)
        }
        if let userId = message.userId {
            try link(kind: "user", value: userId, to: contactId, at: receivedAt)
            let statement = try db.cachedStatement(sql: "UPDATE contacts SET user_id = ? WHERE id = ? AND (user_id IS NULL OR user_id = ?)")
            try statement.execute(arguments: [userId, contactId, message.previousId])
        }
        return contactId
    }

    func link(kind: String, value: String?, to contactId: Int64, at: Timestamp) throws {
        guard let value else { return }
        let statement = try db.cachedStatement(
            sql: "INSERT INTO identities (kind, value, contact_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING")
        try statement.execute(arguments: [kind, value, contactId, at.millisecondsSinceEpoch])
    }

    /// Folds `absorbed` into `survivor`: identifiers, history and consent move; the survivor's
    /// traits win and the absorbed contact's fill the gaps; the old id keeps answering.
    func merge(_ absorbed: Int64, into survivor: Int64, at: Timestamp, source: String) throws {
        guard let from = try ContactRow.fetch(db, id: absorbed), let into = try ContactRow.fetch(db, id: survivor) else { return }
        var merged = into
        merged.traits = Traits.fill(into.traits, from: from.traits)
        merged.firstSeen = min(into.firstSeen, from.firstSeen)
        merged.lastSeen = max(into.lastSeen, from.lastSeen)
        merged.stage = [into.stage, from.stage].compactMap { $0 }.max()
        merged.owner = into.owner ?? from.owner
        merged.accountId = into.accountId ?? from.accountId
        if into.consent.email == nil || (from.consent.email.map { $0.recordedAt > into.consent.email!.recordedAt } ?? false) {
            merged.consent.email = from.consent.email
        }
        let takeEmail = into.email == nil && from.email != nil
        try db.execute(sql: "UPDATE identities SET contact_id = ? WHERE contact_id = ?", arguments: [survivor, absorbed])
        try db.execute(sql: "UPDATE events SET contact_id = ? WHERE contact_id = ?", arguments: [survivor, absorbed])
        try db.execute(sql: "UPDATE consent_records SET contact_id = ? WHERE contact_id = ?", arguments: [survivor, absorbed])
        try db.execute(sql: "UPDATE contact_merges SET survivor_id = ? WHERE survivor_id = ?", arguments: [survivor, absorbed])
        try db.execute(
            sql: "INSERT INTO contact_merges (absorbed_id, survivor_id, merged_at) VALUES (?, ?, ?) ON CONFLICT (absorbed_id) DO UPDATE SET survivor_id = excluded.survivor_id",
            arguments: [absorbed, survivor, at.millisecondsSinceEpoch])
        try db.execute(sql: "DELETE FROM contacts WHERE id = ?", arguments: [absorbed])
        if takeEmail { merged.email = from.email }
        try merged.save(db, at: at)
        let event = TrackingMessage(
            type: .track, messageId: "merge-\(absorbed)-into-\(survivor)", name: "Contacts Merged",
            properties: ["absorbedContactId": .int(absorbed), "userId": from.userId.map { .string($0) } ?? .null, "email": from.email.map { .string($0) } ?? .null])
        try appendEvent(event, contactId: survivor, source: "trellis", timestamp: at, receivedAt: at)
    }

    // MARK: Effects on the profile

    func applyEffects(_ ingest: IngestMessage, contactId: Int64, at timestamp: Timestamp, batch: IngestBatch) throws {
        let message = ingest.message
        let needsProfile = message.type == .identify || message.type == .group || ingest.consent != nil || ingest.stage != nil || ingest.owner != nil
        guard needsProfile, var contact = try ContactRow.fetch(db, id: contactId) else {
            let statement = try db.cachedStatement(
                sql: "UPDATE contacts SET last_seen = max(last_seen, ?), first_seen = min(first_seen, ?) WHERE id = ?")
            try statement.execute(arguments: [timestamp.millisecondsSinceEpoch, timestamp.millisecondsSinceEpoch, contactId])
            return
        }
        let previousStage = contact.stage
        contact.lastSeen = max(contact.lastSeen, timestamp)
        contact.firstSeen = min(contact.firstSeen, timestamp)
        if message.type == .identify {
            contact.traits = Traits.merge(contact.traits, with: message.traits)
            if let email = Traits.email(in: message.traits), email.lowercased() != contact.email?.lowercased(),
                try candidate(email: email) == nil
            {
                contact.email = email
            }
            if let stage = Traits.stage(in: message.traits) { contact.stage = stage }
        }
        if message.type == .group, let groupId = message.groupId {
            contact.accountId = try upsertAccount(groupId: groupId, traits: message.traits, at: batch.receivedAt)
        }
        if let stage = ingest.stage, contact.stage.map({ $0 < stage }) ?? true { contact.stage = stage }
        if let owner = ingest.owner { contact.owner = owner }
        if var consent = ingest.consent {
            consent.contactId = contactId
            try insertConsent(consent)
            if contact.consent.email.map({ $0.recordedAt <= consent.recordedAt }) ?? true { contact.consent.email = consent.channelConsent }
        }
        try contact.save(db, at: batch.receivedAt)
        if contact.stage != previousStage, let stage = contact.stage {
            let change = TrackingMessage(
                type: .track, messageId: "stage-\(message.messageId)", name: "Lifecycle Stage Changed",
                properties: ["from": previousStage.map { .string($0.rawValue) } ?? .null, "to": .string(stage.rawValue), "cause": .string(message.type.rawValue)])
            try appendEvent(change, contactId: contactId, source: batch.source, timestamp: timestamp, receivedAt: batch.receivedAt)
        }
    }

    func upsertAccount(groupId: String, traits: [String: JSONValue], at: Timestamp) throws -> Int64 {
        if let row = try Row.fetchOne(db, sql: "SELECT id, traits FROM accounts WHERE group_id = ?", arguments: [groupId]) {
            let id: Int64 = row[0]
            let merged = Traits.merge(try JSONValue.column(row[1], "accounts.traits"), with: traits)
            try db.execute(
                sql: "UPDATE accounts SET traits = ?, name = ?, updated_at = ? WHERE id = ?",
                arguments: [merged.jsonText, merged["name"]?.stringValue, at.millisecondsSinceEpoch, id])
            return id
        }
        try db.execute(
            sql: "INSERT INTO accounts (group_id, name, traits, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [groupId, traits["name"]?.stringValue, traits.jsonText, at.millisecondsSinceEpoch, at.millisecondsSinceEpoch])
        return db.lastInsertedRowID
    }

    func insertConsent(_ record: ConsentRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO consent_records (contact_id, channel, status, basis, method, text, text_version, location, ip_address,
                    user_agent, recorded_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.contactId, record.channel, record.status.rawValue, record.basis.rawValue, record.method.rawValue, record.text,
                record.textVersion, record.location, record.ipAddress, record.userAgent, record.recordedAt.millisecondsSinceEpoch,
                record.expiresAt?.millisecondsSinceEpoch,
            ])
    }

    // MARK: The log

    func appendEvent(_ message: TrackingMessage, contactId: Int64?, source: String, timestamp: Timestamp, receivedAt: Timestamp) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (source, message_id, contact_id, type, name, user_id, anonymous_id, group_id, properties, context,
                    timestamp, original_timestamp, sent_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        var properties = message.type == .identify || message.type == .group ? message.traits : message.properties
        if let previousId = message.previousId { properties["previousId"] = .string(previousId) }
        let arguments: [(any DatabaseValueConvertible)?] = [
            source, message.messageId, contactId, message.type.rawValue, message.name, message.userId, message.anonymousId, message.groupId,
            properties.jsonText, message.context.jsonText, timestamp.millisecondsSinceEpoch, message.originalTimestamp?.millisecondsSinceEpoch,
            message.sentAt?.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch,
        ]
        try statement.execute(arguments: StatementArguments(arguments))
    }
}
