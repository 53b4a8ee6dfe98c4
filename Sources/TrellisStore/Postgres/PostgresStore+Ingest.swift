import TrellisCore

extension PostgresStore {
    /// Stores the batches in one transaction, under the write lock: two API processes resolving
    /// the same new visitor at once would otherwise both create a contact for them.
    public func ingest(_ batches: [IngestBatch]) async throws -> [IngestOutcome] {
        try await write { session in
            var writer = PostgresIngestWriter(session: session)
            var outcomes: [IngestOutcome] = []
            outcomes.reserveCapacity(batches.count)
            for batch in batches { outcomes.append(try await writer.apply(batch)) }
            try await writer.flush()
            return outcomes
        }
    }
}

/// ``IngestWriter``'s rules on PostgreSQL: dedupe, resolve identity, update the profile, append to
/// the event log. A round trip costs more than the work of most messages, so the writer saves
/// them: events are buffered and written many rows to a statement; the identities a batch names
/// are read in one query at its start and kept up to date as the batch links and merges; and a
/// known visitor's last-seen time is collected and written with the events. Both buffers are
/// flushed before anything that reads or moves what they hold (merges, the end of the batch).
struct PostgresIngestWriter {
    let session: PostgresSession
    private var pending: [PendingEvent] = []
    /// Rows per INSERT: 14 parameters each, well under PostgreSQL's 65,535.
    static let rowsPerInsert = 500

    struct IdentityKey: Hashable {
        var kind: String
        var value: String
    }
    /// What the identities table holds for each key in `coveredIdentities` (no entry: no row).
    private var identities: [IdentityKey: Int64] = [:]
    private var coveredIdentities: Set<IdentityKey> = []
    /// Contacts seen by messages that change nothing else: contact → (earliest, latest) timestamp.
    private var touches: [Int64: (first: Int64, last: Int64)] = [:]

    init(session: PostgresSession) {
        self.session = session
    }

    struct PendingEvent {
        var arguments: [any PostgresArgument]
    }

    mutating func apply(_ batch: IngestBatch) async throws -> IngestOutcome {
        var outcome = IngestOutcome()
        outcome.contactIds.reserveCapacity(batch.messages.count)
        var seen = try await storedMessageIds(source: batch.source, among: batch.messages.map(\.message.messageId))
        try await loadIdentities(for: batch.messages)
        for ingest in batch.messages {
            let message = ingest.message
            guard seen.insert(message.messageId).inserted else {
                outcome.duplicates += 1
                outcome.contactIds.append(nil)
                continue
            }
            if message.type == .identify, let email = Traits.email(in: message.traits), try await PostgresStore.isErased(session, email: email) {
                outcome.erased += 1
                outcome.contactIds.append(nil)
                continue
            }
            let timestamp = message.correctedTimestamp(receivedAt: batch.receivedAt)
            let contactId = try await resolveContact(message, at: timestamp, receivedAt: batch.receivedAt, source: batch.source)
            try await applyEffects(ingest, contactId: contactId, at: timestamp, batch: batch)
            try await appendEvent(
                message, propertiesText: ingest.propertiesText, contextText: ingest.contextText, contactId: contactId, source: batch.source,
                timestamp: timestamp, receivedAt: batch.receivedAt)
            outcome.stored += 1
            outcome.contactIds.append(contactId)
        }
        return outcome
    }

    /// The messageIds among `ids` already in the log for `source` (or waiting to be written).
    func storedMessageIds(source: String, among ids: [String]) async throws -> Set<String> {
        var found = Set<String>()
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let arguments: [any PostgresArgument] = [source] + chunk
            for id in try await session.strings("SELECT message_id FROM events WHERE source = ? AND message_id IN (\(placeholders))", arguments) {
                found.insert(id)
            }
        }
        for event in pending {
            if let eventSource = event.arguments[0] as? String, eventSource == source, let id = event.arguments[1] as? String { found.insert(id) }
        }
        return found
    }

    // MARK: Identity

    /// Reads the identities the batch's messages name (user ids, anonymous ids) in one query a
    /// few hundred keys, so a known visitor's event costs no round trip of its own.
    mutating func loadIdentities(for messages: [IngestMessage]) async throws {
        var wanted: [String: Set<String>] = ["user": [], "anon": []]
        for ingest in messages {
            if let userId = ingest.message.userId { wanted["user"]!.insert(userId) }
            if let anonymousId = ingest.message.anonymousId { wanted["anon"]!.insert(anonymousId) }
        }
        for (kind, values) in wanted {
            let values = values.filter { !coveredIdentities.contains(IdentityKey(kind: kind, value: $0)) }.sorted()
            for start in stride(from: 0, to: values.count, by: 500) {
                let chunk = Array(values[start..<min(start + 500, values.count)])
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try await session.rows("SELECT value, contact_id FROM identities WHERE kind = ? AND value IN (\(placeholders))", [kind] + chunk) {
                    identities[IdentityKey(kind: kind, value: try row[0])] = try row[1]
                }
                for value in chunk { coveredIdentities.insert(IdentityKey(kind: kind, value: value)) }
            }
        }
    }

    func candidate(kind: String, value: String?) async throws -> IdentityCandidate? {
        guard let value else { return nil }
        let key = IdentityKey(kind: kind, value: value)
        if coveredIdentities.contains(key), identities[key] == nil { return nil }
        guard
            let row = try await session.row(
                "SELECT i.contact_id, c.user_id FROM identities i JOIN contacts c ON c.id = i.contact_id WHERE i.kind = ? AND i.value = ?", [kind, value])
        else { return nil }
        return IdentityCandidate(contactId: try row[0], userId: try row[1])
    }

    func candidate(email: String?) async throws -> IdentityCandidate? {
        guard let email else { return nil }
        guard let row = try await session.row("SELECT id, user_id FROM contacts WHERE email_lower = ?", [email.lowercased()]) else { return nil }
        return IdentityCandidate(contactId: try row[0], userId: try row[1])
    }

    func contactId(kind: String, value: String?) async throws -> Int64? {
        guard let value else { return nil }
        let key = IdentityKey(kind: kind, value: value)
        if coveredIdentities.contains(key) { return identities[key] }
        return try await session.int64("SELECT contact_id FROM identities WHERE kind = ? AND value = ?", [kind, value])
    }

    mutating func resolveContact(_ message: TrackingMessage, at timestamp: Timestamp, receivedAt: Timestamp, source: String) async throws -> Int64 {
        if message.type != .identify, message.type != .alias {
            if message.anonymousId == nil, let known = try await contactId(kind: "user", value: message.userId) { return known }
            if message.userId == nil, let known = try await contactId(kind: "anon", value: message.anonymousId) { return known }
        }
        let byUserId = try await candidate(kind: "user", value: message.userId)
        let byAnonymousId = try await candidate(kind: "anon", value: message.anonymousId)
        if message.type != .identify, message.type != .alias, let byUserId, byAnonymousId?.contactId == byUserId.contactId {
            return byUserId.contactId
        }
        let email = message.type == .identify ? Traits.email(in: message.traits) : nil
        var lookup = IdentityLookup(byUserId: byUserId, byAnonymousId: byAnonymousId, byEmail: try await candidate(email: email))
        if let previousId = message.previousId {
            if let byUser = try await candidate(kind: "user", value: previousId) {
                lookup.byPreviousId = byUser
            } else {
                lookup.byPreviousId = try await candidate(kind: "anon", value: previousId)
            }
        }
        let resolution = IdentityResolver.resolve(userId: message.userId, previousId: message.previousId, lookup: lookup)
        let contactId: Int64
        var createdWithUserId = false
        if let survivor = resolution.survivor {
            contactId = survivor
        } else if let userId = message.userId {
            // A new person with a user id: the contact, its user id and its identity in one
            // statement (no contact holds the id: the lookup above found none, under the lock).
            contactId = try await session.int64(
                """
                WITH created AS (
                    INSERT INTO contacts (user_id, first_seen, last_seen, created_at, updated_at) VALUES (?1, ?2, ?2, ?3, ?3) RETURNING id),
                linked AS (
                    INSERT INTO identities (kind, value, contact_id, created_at) SELECT 'user', ?1, id, ?3 FROM created
                    ON CONFLICT (kind, value) DO NOTHING)
                SELECT id FROM created
                """, [userId, timestamp.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch])!
            let key = IdentityKey(kind: "user", value: userId)
            if coveredIdentities.contains(key) { identities[key] = contactId }
            createdWithUserId = true
        } else {
            contactId = try await session.int64(
                "INSERT INTO contacts (first_seen, last_seen, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
                [timestamp.millisecondsSinceEpoch, timestamp.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch])!
        }
        for absorbed in resolution.absorbed {
            try await merge(absorbed, into: contactId, at: receivedAt, source: source)
        }
        try await link(kind: "anon", value: message.anonymousId, to: contactId, at: receivedAt)
        if lookup.byPreviousId == nil {
            try await link(kind: "user", value: message.previousId, to: contactId, at: receivedAt)
        }
        if let userId = message.userId, !createdWithUserId {
            try await link(kind: "user", value: userId, to: contactId, at: receivedAt)
            try await session.execute(
                "UPDATE contacts SET user_id = ?1 WHERE id = ?2 AND (user_id IS NULL OR user_id = ?3::text)", [userId, contactId, message.previousId])
        }
        return contactId
    }

    mutating func link(kind: String, value: String?, to contactId: Int64, at: Timestamp) async throws {
        guard let value else { return }
        let key = IdentityKey(kind: kind, value: value)
        // Known already: the INSERT would do nothing.
        if coveredIdentities.contains(key), identities[key] != nil { return }
        try await session.execute(
            "INSERT INTO identities (kind, value, contact_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING",
            [kind, value, contactId, at.millisecondsSinceEpoch])
        if coveredIdentities.contains(key) { identities[key] = contactId }
    }

    /// Folds `absorbed` into `survivor` (see ``IngestWriter/merge(_:into:at:source:)``).
    mutating func merge(_ absorbed: Int64, into survivor: Int64, at: Timestamp, source: String) async throws {
        // The absorbed contact's events and last-seen time may still be waiting to be written.
        try await flush()
        guard let from = try await ContactRow.fetch(session, id: absorbed), let into = try await ContactRow.fetch(session, id: survivor) else { return }
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
        try await session.execute("UPDATE identities SET contact_id = ? WHERE contact_id = ?", [survivor, absorbed])
        for (key, contactId) in identities where contactId == absorbed { identities[key] = survivor }
        try await session.execute("UPDATE events SET contact_id = ? WHERE contact_id = ?", [survivor, absorbed])
        try await session.execute("UPDATE consent_records SET contact_id = ? WHERE contact_id = ?", [survivor, absorbed])
        try await session.execute("UPDATE contact_merges SET survivor_id = ? WHERE survivor_id = ?", [survivor, absorbed])
        try await session.execute(
            "INSERT INTO contact_merges (absorbed_id, survivor_id, merged_at) VALUES (?, ?, ?) ON CONFLICT (absorbed_id) DO UPDATE SET survivor_id = excluded.survivor_id",
            [absorbed, survivor, at.millisecondsSinceEpoch])
        // The absorbed contact's email must leave before the survivor takes it (unique index).
        try await session.execute("DELETE FROM contacts WHERE id = ?", [absorbed])
        try await session.execute("DELETE FROM segment_members WHERE contact_id = ?", [absorbed])
        try await session.execute("DELETE FROM contact_checks WHERE contact_id = ?", [absorbed])
        try await session.execute("DELETE FROM score_changes WHERE contact_id = ?", [absorbed])
        try await session.execute("DELETE FROM contact_scores WHERE contact_id IN (?, ?)", [absorbed, survivor])
        if takeEmail { merged.email = from.email }
        try await merged.save(session, at: at)
        let event = TrackingMessage(
            type: .track, messageId: "merge-\(absorbed)-into-\(survivor)", name: "Contacts Merged",
            properties: [
                "absorbedContactId": .int(absorbed), "userId": from.userId.map { .string($0) } ?? .null, "email": from.email.map { .string($0) } ?? .null,
            ])
        try await appendEvent(event, contactId: survivor, source: "trellis", timestamp: at, receivedAt: at)
    }

    // MARK: Effects on the profile

    mutating func applyEffects(_ ingest: IngestMessage, contactId: Int64, at timestamp: Timestamp, batch: IngestBatch) async throws {
        let message = ingest.message
        let needsProfile = message.type == .identify || message.type == .group || ingest.consent != nil || ingest.stage != nil || ingest.owner != nil
        guard needsProfile, var contact = try await ContactRow.fetch(session, id: contactId) else {
            let time = timestamp.millisecondsSinceEpoch
            if let touched = touches[contactId] {
                touches[contactId] = (min(touched.first, time), max(touched.last, time))
            } else {
                touches[contactId] = (time, time)
            }
            return
        }
        let previousStage = contact.stage
        contact.lastSeen = max(contact.lastSeen, timestamp)
        contact.firstSeen = min(contact.firstSeen, timestamp)
        if message.type == .identify {
            contact.traits = Traits.merge(contact.traits, with: message.traits)
            if let email = Traits.email(in: message.traits), email.lowercased() != contact.email?.lowercased(), try await candidate(email: email) == nil {
                contact.email = email
            }
            if let stage = Traits.stage(in: message.traits) { contact.stage = stage }
        }
        if message.type == .group, let groupId = message.groupId {
            contact.accountId = try await upsertAccount(groupId: groupId, traits: message.traits, at: batch.receivedAt)
        }
        Traits.fillTimeZone(&contact.traits, from: message)
        if let stage = ingest.stage, contact.stage.map({ $0 < stage }) ?? true { contact.stage = stage }
        if let owner = ingest.owner { contact.owner = owner }
        if var consent = ingest.consent {
            consent.contactId = contactId
            try await insertConsent(consent)
            if contact.consent.email.map({ $0.recordedAt <= consent.recordedAt }) ?? true { contact.consent.email = consent.channelConsent }
        }
        try await contact.save(session, at: batch.receivedAt)
        if contact.stage != previousStage, let stage = contact.stage {
            let change = TrackingMessage(
                type: .track, messageId: "stage-\(message.messageId)", name: "Lifecycle Stage Changed",
                properties: [
                    "from": previousStage.map { .string($0.rawValue) } ?? .null, "to": .string(stage.rawValue), "cause": .string(message.type.rawValue),
                ])
            try await appendEvent(change, contactId: contactId, source: batch.source, timestamp: timestamp, receivedAt: batch.receivedAt)
        }
    }

    func upsertAccount(groupId: String, traits: [String: JSONValue], at: Timestamp) async throws -> Int64 {
        if let row = try await session.row("SELECT id, traits FROM accounts WHERE group_id = ?", [groupId]) {
            let id: Int64 = try row[0]
            let merged = Traits.merge(try JSONValue.column(try row[1], "accounts.traits"), with: traits)
            try await session.execute(
                "UPDATE accounts SET traits = ?, name = ?, updated_at = ? WHERE id = ?", [merged.jsonText, merged["name"]?.stringValue, at.millisecondsSinceEpoch, id])
            return id
        }
        return try await session.int64(
            "INSERT INTO accounts (group_id, name, traits, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            [groupId, traits["name"]?.stringValue, traits.jsonText, at.millisecondsSinceEpoch, at.millisecondsSinceEpoch])!
    }

    func insertConsent(_ record: ConsentRecord) async throws {
        try await session.execute(
            """
            INSERT INTO consent_records (contact_id, channel, status, basis, method, text, text_version, location, ip_address,
                user_agent, recorded_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                record.contactId, record.channel, record.status.rawValue, record.basis.rawValue, record.method.rawValue, record.text,
                record.textVersion, record.location, record.ipAddress, record.userAgent, record.recordedAt.millisecondsSinceEpoch,
                record.expiresAt?.millisecondsSinceEpoch,
            ])
    }

    // MARK: The log

    /// Appends an event the store makes itself (merges, stage changes, API updates), at once.
    func appendEvent(_ message: TrackingMessage, contactId: Int64?, source: String, timestamp: Timestamp, receivedAt: Timestamp) async throws {
        let event = Self.event(
            message, propertiesText: message.eventProperties.jsonText, contextText: message.context.jsonText, contactId: contactId, source: source,
            timestamp: timestamp, receivedAt: receivedAt)
        try await Self.insert([event], session: session)
    }

    /// Buffers an ingested event; written by ``flush()`` (or sooner, when the buffer fills).
    mutating func appendEvent(
        _ message: TrackingMessage, propertiesText: String, contextText: String, contactId: Int64?, source: String, timestamp: Timestamp,
        receivedAt: Timestamp
    ) async throws {
        pending.append(
            Self.event(
                message, propertiesText: propertiesText, contextText: contextText, contactId: contactId, source: source, timestamp: timestamp,
                receivedAt: receivedAt))
        if pending.count >= Self.rowsPerInsert { try await flush() }
    }

    mutating func flush() async throws {
        if !pending.isEmpty {
            try await Self.insert(pending, session: session)
            pending.removeAll(keepingCapacity: true)
        }
        try await flushTouches()
    }

    /// Moves the touched contacts' first and last seen times, many contacts to a statement. Last
    /// seen has one-minute resolution, as on SQLite: a contact seen within the minute is not written.
    mutating func flushTouches() async throws {
        guard !touches.isEmpty else { return }
        let rows = touches.sorted { $0.key < $1.key }
        touches.removeAll(keepingCapacity: true)
        for start in stride(from: 0, to: rows.count, by: 1_000) {
            let chunk = rows[start..<min(start + 1_000, rows.count)]
            let values = Array(repeating: "(?::bigint, ?::bigint, ?::bigint)", count: chunk.count).joined(separator: ", ")
            try await session.execute(
                """
                UPDATE contacts c SET last_seen = greatest(c.last_seen, v.last), first_seen = least(c.first_seen, v.first)
                FROM (VALUES \(values)) AS v(id, first, last)
                WHERE c.id = v.id AND (c.last_seen < v.last - \(IngestWriter.lastSeenResolutionMilliseconds) OR c.first_seen > v.first)
                """, chunk.flatMap { [$0.key, $0.value.first, $0.value.last] as [any PostgresArgument] })
        }
    }

    static func event(
        _ message: TrackingMessage, propertiesText: String, contextText: String, contactId: Int64?, source: String, timestamp: Timestamp,
        receivedAt: Timestamp
    ) -> PendingEvent {
        PendingEvent(arguments: [
            source, message.messageId, contactId, message.type.rawValue, message.name, message.userId, message.anonymousId, message.groupId,
            propertiesText, contextText, timestamp.millisecondsSinceEpoch, message.originalTimestamp?.millisecondsSinceEpoch,
            message.sentAt?.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch,
        ])
    }

    static func insert(_ events: [PendingEvent], session: PostgresSession) async throws {
        let row = "(?::text, ?::text, ?::bigint, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::bigint, ?::bigint)"
        let values = Array(repeating: row, count: events.count).joined(separator: ", ")
        try await session.execute(
            """
            INSERT INTO events (source, message_id, contact_id, type, name, user_id, anonymous_id, group_id, properties, context,
                timestamp, original_timestamp, sent_at, received_at) VALUES \(values)
            """, events.flatMap(\.arguments))
    }
}

extension PostgresStore {
    /// True when the address was erased on request (its hash is in the suppression list).
    static func isErased(_ session: PostgresSession, email: String) async throws -> Bool {
        try await session.int64("SELECT 1 FROM suppressions WHERE email_lower = ? AND reason = 'erased'", [ErasedAddress.marker(email)]) != nil
    }
}
