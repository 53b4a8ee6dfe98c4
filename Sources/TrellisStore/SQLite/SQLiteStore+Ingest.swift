import GRDB
import TrellisCore

extension SQLiteStore {
    public func ingest(_ batches: [IngestBatch]) async throws -> [IngestOutcome] {
        try await pool.write { db in
            var writer = try IngestWriter(db: db)
            return try batches.map { try writer.apply($0) }
        }
    }
}

/// Applies batches inside one write transaction: dedupe, resolve identity, update the profile,
/// append to the event log.
///
/// This is the single writer's inner loop, so it is written for cost: the hot statements are
/// prepared once per transaction (looking a statement up by its SQL text hashes the text), and
/// for plain behaviour from a known contact (most of the traffic) the insert is the duplicate
/// check: the log's unique index on the message's key (``MessageKey``) answers it, not a query
/// of its own.
struct IngestWriter {
    static let lastSeenResolutionMilliseconds: Int64 = 60_000
    let db: Database
    private let insertEvent: DirectStatement
    /// The same insert, skipped when the messageId is already in the log (`changes()` tells).
    /// A skipped row still takes a number from the AUTOINCREMENT sequence: `seq` may have gaps.
    private let insertNewEvent: DirectStatement
    private let findIdentity: DirectStatement
    private let touchContact: DirectStatement
    /// Whether the log has rows without a message key, which a free key does not rule out as
    /// duplicates (see ``MessageKey``).
    private let unkeyedRowsExist: Bool

    /// The log's insert; `insertNewSQL` skips a messageId already logged.
    static let insertSQL = """
        INSERT INTO events (source, message_id, contact_id, type, name, user_id, anonymous_id, group_id, properties, context,
            timestamp, original_timestamp, sent_at, received_at, message_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertNewSQL = insertSQL + " ON CONFLICT (message_key) DO NOTHING"

    init(db: Database) throws {
        self.db = db
        insertEvent = DirectStatement(try db.cachedStatement(sql: Self.insertSQL))
        insertNewEvent = DirectStatement(try db.cachedStatement(sql: Self.insertNewSQL))
        unkeyedRowsExist = try Bool.fetchOne(db.cachedStatement(sql: MessageKey.anyUnkeyedSQL)) ?? false
        findIdentity = DirectStatement(try db.cachedStatement(sql: "SELECT contact_id FROM identities WHERE kind = ? AND value = ?"))
        // lastSeen has one-minute resolution (the event log keeps exact times): a contact sending
        // a burst of events has its row rewritten once a minute, not once an event, which under
        // load is most of the writer's page writes.
        touchContact = DirectStatement(
            try db.cachedStatement(
                sql: """
                    UPDATE contacts SET last_seen = max(last_seen, ?1), first_seen = min(first_seen, ?1)
                    WHERE id = ?2 AND (last_seen < ?1 - \(Self.lastSeenResolutionMilliseconds) OR first_seen > ?1)
                    """))
    }

    mutating func apply(_ batch: IngestBatch) throws -> IngestOutcome {
        var outcome = IngestOutcome()
        outcome.contactIds.reserveCapacity(batch.messages.count)
        for ingest in batch.messages {
            let message = ingest.message
            let timestamp = message.correctedTimestamp(receivedAt: batch.receivedAt)
            // Plain behaviour from a known contact: append if new, then touch the contact. A
            // duplicate changes nothing (its corrected time may differ from the original's, so
            // the touch waits for the insert).
            // nil: not looked up; .some(nil): looked up and not known (a new visitor's first call).
            let known: Int64?? = Self.onlyAppends(ingest) ? .some(try knownContact(message)) : nil
            if case let .some(.some(known)) = known {
                let stored = try appendEvent(
                    message, propertiesText: ingest.propertiesText, contextText: ingest.contextText, contactId: known, source: batch.source,
                    timestamp: timestamp, receivedAt: batch.receivedAt, skippingDuplicate: true)
                if stored {
                    try touch(known, at: timestamp)
                    outcome.stored += 1
                } else {
                    outcome.duplicates += 1
                }
                outcome.contactIds.append(stored ? known : nil)
                continue
            }
            // Anything else may change profiles and identities: a duplicate must be known first.
            guard try !isStored(source: batch.source, messageId: message.messageId) else {
                outcome.duplicates += 1
                outcome.contactIds.append(nil)
                continue
            }
            // An address erased on request does not come back through a call, a form or an import.
            if message.type == .identify, let email = Traits.email(in: message.traits), try SQLiteStore.isErased(db, email: email) {
                outcome.erased += 1
                outcome.contactIds.append(nil)
                continue
            }
            let contactId = try resolveContact(message, at: timestamp, receivedAt: batch.receivedAt, source: batch.source, knownAbsent: known != nil)
            try applyEffects(ingest, contactId: contactId, at: timestamp, batch: batch)
            try appendEvent(
                message, propertiesText: ingest.propertiesText, contextText: ingest.contextText, contactId: contactId, source: batch.source,
                timestamp: timestamp, receivedAt: batch.receivedAt)
            outcome.stored += 1
            outcome.contactIds.append(contactId)
        }
        return outcome
    }

    /// Whether storing the message can do no more than append it and touch its contact's
    /// first/last seen: behaviour (not identify, alias or group) with one identifier and nothing
    /// for the profile. Whether that contact exists is ``knownContact(_:)``'s question.
    static func onlyAppends(_ ingest: IngestMessage) -> Bool {
        let message = ingest.message
        return message.type != .identify && message.type != .alias && message.type != .group
            && (message.userId == nil) != (message.anonymousId == nil)
            && ingest.consent == nil && ingest.stage == nil && ingest.owner == nil
    }

    /// Whether `messageId` from `source` is already in the log (this transaction's rows included).
    func isStored(source: String, messageId: String) throws -> Bool {
        try MessageKey.isStored(db, source: source, messageId: messageId)
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

    func contactId(kind: String, value: String?) throws -> Int64? {
        guard let value else { return nil }
        defer { findIdentity.reset() }
        findIdentity.bind(1, kind)
        findIdentity.bind(2, value)
        return try findIdentity.step() ? findIdentity.int64(0) : nil
    }

    /// The contact of a message that carries exactly one identifier, when that identifier is known.
    func knownContact(_ message: TrackingMessage) throws -> Int64? {
        if message.anonymousId == nil { return try contactId(kind: "user", value: message.userId) }
        if message.userId == nil { return try contactId(kind: "anon", value: message.anonymousId) }
        return nil
    }

    /// `knownAbsent`: ``knownContact(_:)`` already found no contact for the message.
    mutating func resolveContact(
        _ message: TrackingMessage, at timestamp: Timestamp, receivedAt: Timestamp, source: String, knownAbsent: Bool = false
    ) throws -> Int64 {
        // The hot path: a known visitor or user sending behaviour, with nothing new to link.
        if !knownAbsent, message.type != .identify, message.type != .alias, let known = try knownContact(message) { return known }
        let byUserId = try candidate(kind: "user", value: message.userId)
        let byAnonymousId = try candidate(kind: "anon", value: message.anonymousId)
        if message.type != .identify, message.type != .alias, let byUserId, byAnonymousId?.contactId == byUserId.contactId {
            return byUserId.contactId
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
        // The survivor's memberships and score are worked out again from the combined history.
        try db.execute(sql: "DELETE FROM segment_members WHERE contact_id = ?", arguments: [absorbed])
        try db.execute(sql: "DELETE FROM contact_checks WHERE contact_id = ?", arguments: [absorbed])
        try db.execute(sql: "DELETE FROM score_changes WHERE contact_id = ?", arguments: [absorbed])
        try db.execute(sql: "DELETE FROM contact_scores WHERE contact_id IN (?, ?)", arguments: [absorbed, survivor])
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
            try touch(contactId, at: timestamp)
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
        Traits.fillTimeZone(&contact.traits, from: message)
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

    /// Moves the contact's first/last seen to take in `timestamp` (last seen to the minute).
    func touch(_ contactId: Int64, at timestamp: Timestamp) throws {
        defer { touchContact.reset() }
        touchContact.bind(1, timestamp.millisecondsSinceEpoch)
        touchContact.bind(2, contactId)
        try touchContact.step()
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

    /// Appends an event the store makes itself (merges, stage changes, API updates).
    func appendEvent(_ message: TrackingMessage, contactId: Int64?, source: String, timestamp: Timestamp, receivedAt: Timestamp) throws {
        try appendEvent(
            message, propertiesText: message.eventProperties.jsonText, contextText: message.context.jsonText, contactId: contactId, source: source,
            timestamp: timestamp, receivedAt: receivedAt)
    }

    /// Appends a row to the log; with `skippingDuplicate`, a messageId already logged for `source`
    /// stores nothing. Returns whether the row was stored. Without it, a logged messageId fails
    /// with SQLite's UNIQUE constraint error, as the log's constraint always did.
    @discardableResult
    func appendEvent(
        _ message: TrackingMessage, propertiesText: String, contextText: String, contactId: Int64?, source: String, timestamp: Timestamp,
        receivedAt: Timestamp, skippingDuplicate: Bool = false
    ) throws -> Bool {
        let key = MessageKey.of(source: source, messageId: message.messageId)
        if unkeyedRowsExist, try MessageKey.isStoredUnkeyed(db, source: source, messageId: message.messageId) {
            if skippingDuplicate { return false }
            throw DatabaseError(resultCode: .SQLITE_CONSTRAINT_UNIQUE, message: "UNIQUE constraint failed: events.source, events.message_id")
        }
        func insert(_ statement: DirectStatement, key: Int64?) throws -> Bool {
            defer { statement.reset() }
            statement.bind(1, source)
            statement.bind(2, message.messageId)
            statement.bind(3, contactId)
            statement.bind(4, message.type.rawValue)
            statement.bind(5, message.name)
            statement.bind(6, message.userId)
            statement.bind(7, message.anonymousId)
            statement.bind(8, message.groupId)
            statement.bind(9, propertiesText)
            statement.bind(10, contextText)
            statement.bind(11, timestamp.millisecondsSinceEpoch)
            statement.bind(12, message.originalTimestamp?.millisecondsSinceEpoch)
            statement.bind(13, message.sentAt?.millisecondsSinceEpoch)
            statement.bind(14, receivedAt.millisecondsSinceEpoch)
            statement.bind(15, key)
            try statement.step()
            return db.changesCount > 0
        }
        if skippingDuplicate {
            if try insert(insertNewEvent, key: key) { return true }
            // The key is held: by this message (a duplicate) or, rarely, by another with the same
            // hash; then this one is stored without a key, unless it already was.
            guard try keyHeldByAnother(key, source: source, messageId: message.messageId) else { return false }
            guard try !MessageKey.isStoredUnkeyed(db, source: source, messageId: message.messageId) else { return false }
            return try insert(insertEvent, key: nil)
        }
        do {
            return try insert(insertEvent, key: key)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            guard try keyHeldByAnother(key, source: source, messageId: message.messageId) else { throw error }
            // Fails on the index of unkeyed rows if this message was stored so before.
            return try insert(insertEvent, key: nil)
        }
    }

    /// Whether a row of another (source, messageId) holds `key`: a collision of the hash.
    private func keyHeldByAnother(_ key: Int64, source: String, messageId: String) throws -> Bool {
        let findKeyHeldByAnother = DirectStatement(try db.cachedStatement(sql: MessageKey.keyHeldByAnotherSQL))
        defer { findKeyHeldByAnother.reset() }
        findKeyHeldByAnother.bind(1, key)
        findKeyHeldByAnother.bind(2, source)
        findKeyHeldByAnother.bind(3, messageId)
        return try findKeyHeldByAnother.step()
    }
}
