import TrellisCore

extension PostgresStore: MailStore {
    static func emailSend(_ row: PostgresResultRow) throws -> EmailSend {
        EmailSend(
            id: try row[0], key: try row[1], contactId: try row[2], template: try row[3], kind: SendKind(rawValue: try row[4]) ?? .marketing,
            workflow: try row[5], step: try row[6], to: try row[7], status: EmailSend.Status(rawValue: try row[8]) ?? .failed, attempts: try row[9],
            nextAttemptAt: Timestamp(millisecondsSinceEpoch: try row[10]), messageId: try row[11], lastError: try row[12],
            createdAt: Timestamp(millisecondsSinceEpoch: try row[13]), sentAt: (try row[14] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)))
    }

    public func queueWorkflowSends(at now: Timestamp, limit: Int) async throws -> Int {
        try await write { session in
            let rows = try await session.rows(
                """
                SELECT key, contact_id, workflow, step, detail, at FROM workflow_actions
                WHERE kind = 'send' AND delivered_at IS NULL AND at <= ? ORDER BY at LIMIT ?
                """, [now.millisecondsSinceEpoch, limit])
            var queued = 0
            for row in rows {
                let key: String = try row[0]
                let detail: String = try row[4]
                // "email <template>"; webhooks are another channel's to deliver.
                guard detail.hasPrefix("email ") else { continue }
                let at: Int64 = try row[5]
                let contactId: Int64 = try row[1]
                let workflow: String = try row[2]
                let step: String = try row[3]
                queued += try await session.count(
                    """
                    INSERT INTO email_sends (key, contact_id, template, kind, workflow, step, status, next_attempt_at, created_at)
                    VALUES (?, ?, ?, 'marketing', ?, ?, 'queued', ?, ?) ON CONFLICT (key) DO NOTHING RETURNING 1
                    """, [key, contactId, String(detail.dropFirst(6)), workflow, step, at, at])
                try await session.execute("UPDATE workflow_actions SET delivered_at = ? WHERE key = ?", [now.millisecondsSinceEpoch, key])
            }
            return queued
        }
    }

    public func queueSend(_ send: NewEmailSend) async throws -> EmailSend {
        try await write { session in
            try await session.execute(
                """
                INSERT INTO email_sends (key, contact_id, template, kind, recipient, status, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT (key) DO NOTHING
                """,
                [send.key, send.contactId, send.template, send.kind.rawValue, send.to, send.at.millisecondsSinceEpoch, send.at.millisecondsSinceEpoch])
            guard let row = try await session.row("SELECT \(SQLiteStore.sendColumns) FROM email_sends WHERE key = ?", [send.key]) else {
                throw StoreError.notFound("send \(send.key)")
            }
            return try Self.emailSend(row)
        }
    }

    /// Claims with `FOR UPDATE SKIP LOCKED`, outside the write lock: workers claiming at the same
    /// moment each take different sends, and none waits for another's claim. A claimed send's
    /// lease is its `next_attempt_at`; when a worker dies its sends come due again at the lease's
    /// end and another worker takes them.
    public func claimDueSends(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [EmailSend] {
        try await write(serialized: false) { session in
            let rows = try await session.rows(
                """
                WITH due AS (
                    SELECT id, next_attempt_at AS was FROM email_sends
                    WHERE status IN ('queued', 'deferred', 'sending') AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE email_sends e SET status = 'sending', next_attempt_at = ?3, attempts = e.attempts + 1 FROM due WHERE e.id = due.id
                RETURNING e.id, e.key, e.contact_id, e.template, e.kind, e.workflow, e.step, e.recipient, e.status, e.attempts, due.was, e.message_id,
                    e.last_error, e.created_at, e.sent_at
                """, [now.millisecondsSinceEpoch, limit, leaseUntil.millisecondsSinceEpoch])
            return try rows.map(Self.emailSend).sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
        }
    }

    public func emailSend(id: Int64) async throws -> EmailSend? {
        try await statement { session in
            try await session.row("SELECT \(SQLiteStore.sendColumns) FROM email_sends WHERE id = ?", [id]).map(Self.emailSend)
        }
    }

    public func emailSend(messageID: String) async throws -> EmailSend? {
        try await statement { session in
            try await session.row("SELECT \(SQLiteStore.sendColumns) FROM email_sends WHERE message_id = ?", [messageID]).map(Self.emailSend)
        }
    }

    public func emailSends(contactId: Int64, limit: Int) async throws -> [EmailSend] {
        try await statement { session in
            try await session.rows(
                "SELECT \(SQLiteStore.sendColumns) FROM email_sends WHERE contact_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", [contactId, limit]
            ).map(Self.emailSend)
        }
    }

    public func sentTimes(contactId: Int64, kind: SendKind, since: Timestamp) async throws -> [Timestamp] {
        try await statement { session in
            try await session.int64s(
                "SELECT sent_at FROM email_sends WHERE contact_id = ? AND kind = ? AND status = 'sent' AND sent_at > ?",
                [contactId, kind.rawValue, since.millisecondsSinceEpoch]
            ).map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    @discardableResult
    public func recordOutcome(sendId: Int64, attempt: Int, _ outcome: SendOutcome, at now: Timestamp) async throws -> Bool {
        try await write { session in
            // FOR UPDATE: a second worker recording the same send waits here and then sees the first one's outcome.
            guard let row = try await session.row("SELECT \(SQLiteStore.sendColumns) FROM email_sends WHERE id = ? FOR UPDATE", [sendId]) else {
                throw StoreError.notFound("email send \(sendId)")
            }
            let send = try Self.emailSend(row)
            guard send.status == .sending, send.attempts == attempt else { return false }
            let change = SendOutcomeChange(send: send, outcome: outcome, at: now)
            try await session.execute(
                "UPDATE email_sends SET status = ?, next_attempt_at = ?, message_id = ?, last_error = ?, sent_at = ? WHERE id = ?",
                [
                    outcome.status.rawValue, change.nextAttempt.millisecondsSinceEpoch, change.messageId, change.error, change.sentAt?.millisecondsSinceEpoch,
                    sendId,
                ])
            try await PostgresIngestWriter(session: session).appendEvent(
                TrackingMessage(
                    type: .track, messageId: "email-\(sendId)-\(send.attempts)-\(outcome.status.rawValue)", name: change.event, properties: change.properties),
                contactId: send.contactId, source: "email", timestamp: now, receivedAt: now)
            return true
        }
    }

    public func emailSendCounts() async throws -> [String: Int] {
        try await statement { session in
            var counts: [String: Int] = [:]
            for row in try await session.rows("SELECT status, count(*) FROM email_sends GROUP BY status") { counts[try row[0]] = try row[1] }
            return counts
        }
    }

    // MARK: Suppression

    static func suppression(_ row: PostgresResultRow) throws -> Suppression {
        Suppression(
            email: try row[0], reason: SuppressionReason(rawValue: try row[1]) ?? .manual, detail: try row[2],
            createdAt: Timestamp(millisecondsSinceEpoch: try row[3]))
    }

    public func suppression(email: String) async throws -> Suppression? {
        try await statement { session in
            try await session.row(
                "SELECT email_lower, reason, detail, created_at FROM suppressions WHERE email_lower IN (?, ?) ORDER BY reason = 'erased' DESC LIMIT 1",
                [email.lowercased(), ErasedAddress.marker(email)]
            ).map(Self.suppression)
        }
    }

    public func suppress(email: String, reason: SuppressionReason, detail: String, at: Timestamp) async throws {
        try await write(serialized: false) { session in try await Self.suppress(session, email: email, reason: reason, detail: detail, at: at) }
    }

    static func suppress(_ session: PostgresSession, email: String, reason: SuppressionReason, detail: String, at: Timestamp) async throws {
        try await session.execute(
            "INSERT INTO suppressions (email_lower, reason, detail, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (email_lower) DO NOTHING",
            [email.lowercased(), reason.rawValue, detail, at.millisecondsSinceEpoch])
    }

    public func removeSuppression(email: String) async throws -> Bool {
        try await write(serialized: false) { session in
            let removed = try await session.count(
                "DELETE FROM suppressions WHERE email_lower IN (?, ?) RETURNING 1", [email.lowercased(), ErasedAddress.marker(email)])
            try await session.execute("DELETE FROM soft_bounces WHERE email_lower = ?", [email.lowercased()])
            return removed > 0
        }
    }

    public func suppressions(after: String?, limit: Int) async throws -> [Suppression] {
        try await statement { session in
            try await session.rows(
                "SELECT email_lower, reason, detail, created_at FROM suppressions WHERE email_lower > ? ORDER BY email_lower LIMIT ?",
                [after?.lowercased() ?? "", limit]
            ).map(Self.suppression)
        }
    }

    public func recordSoftBounce(email: String, threshold: Int, at: Timestamp) async throws -> Int {
        try await write(serialized: false) { session in
            // One statement: concurrent bounces for the same address each count.
            let count = Int(
                try await session.int64(
                    """
                    INSERT INTO soft_bounces (email_lower, count, last_at) VALUES (?, 1, ?)
                    ON CONFLICT (email_lower) DO UPDATE SET count = soft_bounces.count + 1, last_at = excluded.last_at RETURNING count
                    """, [email.lowercased(), at.millisecondsSinceEpoch]) ?? 1)
            if count >= threshold {
                try await Self.suppress(session, email: email, reason: .softBounces, detail: "\(count) soft bounces", at: at)
            }
            return count
        }
    }

    public func setting(_ name: String, orStore make: @Sendable () -> String) async throws -> String {
        let made = make()
        return try await write(serialized: false) { session in
            try await session.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [name, made])
            return try await session.string("SELECT value FROM settings WHERE name = ?", [name]) ?? ""
        }
    }

    // MARK: What comes back

    public func unsubscribe(contactId: Int64, sendId: Int64?, evidence: ConsentRecord, at: Timestamp) async throws -> Bool {
        try await write { session in
            let id = try await Self.survivor(session, of: contactId)
            guard var row = try await ContactRow.fetch(session, id: id) else { throw StoreError.notFound("contact \(contactId)") }
            let already = row.consent.email?.status == .withdrawn
            if let email = row.email {
                try await Self.suppress(session, email: email, reason: .unsubscribed, detail: evidence.location ?? "unsubscribed", at: at)
            }
            guard !already else { return false }
            var record = evidence
            record.contactId = id
            record.status = .withdrawn
            let writer = PostgresIngestWriter(session: session)
            try await writer.insertConsent(record)
            row.consent.email = record.channelConsent
            try await row.save(session, at: at)
            var properties: [String: JSONValue] = ["method": .string(record.method.rawValue)]
            if let sendId {
                properties["send_id"] = .int(sendId)
                if let template = try await session.string("SELECT template FROM email_sends WHERE id = ?", [sendId]) {
                    properties["email"] = .string(template)
                }
            }
            try await writer.appendEvent(
                TrackingMessage(type: .track, messageId: "unsubscribe-\(id)-\(at.millisecondsSinceEpoch)", name: "Unsubscribed", properties: properties),
                contactId: id, source: "email", timestamp: at, receivedAt: at)
            return true
        }
    }

    public func recordEmailEvent(contactId: Int64, name: String, properties: [String: JSONValue], messageId: String, at: Timestamp) async throws {
        try await write { session in
            let id = try await Self.survivor(session, of: contactId)
            guard try await session.int64("SELECT 1 FROM events WHERE source = 'email' AND message_id = ?", [messageId]) == nil else { return }
            try await PostgresIngestWriter(session: session).appendEvent(
                TrackingMessage(type: .track, messageId: messageId, name: name, properties: properties), contactId: id, source: "email", timestamp: at,
                receivedAt: at)
        }
    }
}
