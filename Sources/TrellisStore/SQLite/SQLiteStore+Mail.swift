import GRDB
import TrellisCore

extension SQLiteStore {
    static let sendColumns =
        "id, key, contact_id, template, kind, workflow, step, recipient, status, attempts, next_attempt_at, message_id, last_error, created_at, sent_at"

    static func emailSend(_ row: Row) -> EmailSend {
        EmailSend(
            id: row[0], key: row[1], contactId: row[2], template: row[3], kind: SendKind(rawValue: row[4]) ?? .marketing, workflow: row[5], step: row[6],
            to: row[7], status: EmailSend.Status(rawValue: row[8]) ?? .failed, attempts: row[9], nextAttemptAt: Timestamp(millisecondsSinceEpoch: row[10]),
            messageId: row[11], lastError: row[12], createdAt: Timestamp(millisecondsSinceEpoch: row[13]),
            sentAt: (row[14] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)))
    }

    public func queueWorkflowSends(at now: Timestamp, limit: Int) async throws -> Int {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT key, contact_id, workflow, step, detail, at FROM workflow_actions
                    WHERE kind = 'send' AND delivered_at IS NULL AND at <= ? ORDER BY at LIMIT ?
                    """, arguments: [now.millisecondsSinceEpoch, limit])
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO email_sends (key, contact_id, template, kind, workflow, step, status, next_attempt_at, created_at)
                    VALUES (?, ?, ?, 'marketing', ?, ?, 'queued', ?, ?) ON CONFLICT (key) DO NOTHING
                    """)
            let mark = try db.cachedStatement(sql: "UPDATE workflow_actions SET delivered_at = ? WHERE key = ?")
            var queued = 0
            for row in rows {
                let key: String = row[0]
                let detail: String = row[4]
                // "email <template>"; webhooks are another channel's (a later issue's) to deliver.
                if detail.hasPrefix("email ") {
                    let at: Int64 = row[5]
                    try insert.execute(arguments: [key, row[1] as Int64, String(detail.dropFirst(6)), row[2] as String, row[3] as String, at, at])
                    queued += db.changesCount
                } else {
                    continue
                }
                try mark.execute(arguments: [now.millisecondsSinceEpoch, key])
            }
            return queued
        }
    }

    public func queueSend(_ send: NewEmailSend) async throws -> EmailSend {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO email_sends (key, contact_id, template, kind, recipient, status, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT (key) DO NOTHING
                    """,
                arguments: [
                    send.key, send.contactId, send.template, send.kind.rawValue, send.to, send.at.millisecondsSinceEpoch, send.at.millisecondsSinceEpoch,
                ])
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.sendColumns) FROM email_sends WHERE key = ?"), arguments: [send.key]) else {
                throw StoreError.notFound("send \(send.key)")
            }
            return Self.emailSend(row)
        }
    }

    public func claimDueSends(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [EmailSend] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.sendColumns) FROM email_sends
                    WHERE \(Self.dueSendCondition) AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                    """, arguments: [now.millisecondsSinceEpoch, limit])
            let claim = try db.cachedStatement(sql: "UPDATE email_sends SET status = 'sending', next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?")
            return try rows.map { row in
                var send = Self.emailSend(row)
                try claim.execute(arguments: [leaseUntil.millisecondsSinceEpoch, send.id])
                send.status = .sending
                send.attempts += 1
                return send
            }
        }
    }

    public func emailSend(id: Int64) async throws -> EmailSend? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.sendColumns) FROM email_sends WHERE id = ?"), arguments: [id]).map(Self.emailSend)
        }
    }

    public func emailSend(messageID: String) async throws -> EmailSend? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.sendColumns) FROM email_sends WHERE message_id = ?"), arguments: [messageID]).map(Self.emailSend)
        }
    }

    public func emailSends(contactId: Int64, limit: Int) async throws -> [EmailSend] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.sendColumns) FROM email_sends WHERE contact_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                arguments: [contactId, limit]
            ).map(Self.emailSend)
        }
    }

    public func sentTimes(contactId: Int64, kind: SendKind, since: Timestamp) async throws -> [Timestamp] {
        try await pool.read { db in
            try Int64.fetchAll(
                db, sql: "SELECT sent_at FROM email_sends WHERE contact_id = ? AND kind = ? AND status = 'sent' AND sent_at > ?",
                arguments: [contactId, kind.rawValue, since.millisecondsSinceEpoch]
            ).map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    @discardableResult
    public func recordOutcome(sendId: Int64, attempt: Int, _ outcome: SendOutcome, at now: Timestamp) async throws -> Bool {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.sendColumns) FROM email_sends WHERE id = ?"), arguments: [sendId]) else {
                throw StoreError.notFound("email send \(sendId)")
            }
            let send = Self.emailSend(row)
            guard send.status == .sending, send.attempts == attempt else { return false }
            let change = SendOutcomeChange(send: send, outcome: outcome, at: now)
            try db.execute(
                sql: "UPDATE email_sends SET status = ?, next_attempt_at = ?, message_id = ?, last_error = ?, sent_at = ? WHERE id = ?",
                arguments: [
                    outcome.status.rawValue, change.nextAttempt.millisecondsSinceEpoch, change.messageId, change.error, change.sentAt?.millisecondsSinceEpoch,
                    sendId,
                ])
            let writer = try IngestWriter(db: db)
            try writer.appendEvent(
                TrackingMessage(type: .track, messageId: "email-\(sendId)-\(send.attempts)-\(outcome.status.rawValue)", name: change.event, properties: change.properties),
                contactId: send.contactId, source: "email", timestamp: now, receivedAt: now)
            return true
        }
    }

    public func emailSendCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM email_sends GROUP BY status") { counts[row[0]] = row[1] }
            return counts
        }
    }

    // MARK: Suppression

    static func suppression(_ row: Row) -> Suppression {
        Suppression(email: row[0], reason: SuppressionReason(rawValue: row[1]) ?? .manual, detail: row[2], createdAt: Timestamp(millisecondsSinceEpoch: row[3]))
    }

    public func suppression(email: String) async throws -> Suppression? {
        try await pool.read { db in
            // An erased address is kept as its hash: found by either.
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT email_lower, reason, detail, created_at FROM suppressions WHERE email_lower IN (?, ?) ORDER BY reason = 'erased' DESC LIMIT 1"),
                arguments: [email.lowercased(), ErasedAddress.marker(email)]
            ).map(Self.suppression)
        }
    }

    public func suppress(email: String, reason: SuppressionReason, detail: String, at: Timestamp) async throws {
        try await pool.write { db in try Self.suppress(db, email: email, reason: reason, detail: detail, at: at) }
    }

    static func suppress(_ db: Database, email: String, reason: SuppressionReason, detail: String, at: Timestamp) throws {
        try db.execute(
            sql: "INSERT INTO suppressions (email_lower, reason, detail, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (email_lower) DO NOTHING",
            arguments: [email.lowercased(), reason.rawValue, detail, at.millisecondsSinceEpoch])
    }

    public func removeSuppression(email: String) async throws -> Bool {
        try await pool.write { db in
            try db.cachedStatement(sql: "DELETE FROM suppressions WHERE email_lower IN (?, ?)").execute(arguments: [email.lowercased(), ErasedAddress.marker(email)])
            let removed = db.changesCount > 0
            try db.cachedStatement(sql: "DELETE FROM soft_bounces WHERE email_lower = ?").execute(arguments: [email.lowercased()])
            return removed
        }
    }

    public func suppressions(after: String?, limit: Int) async throws -> [Suppression] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT email_lower, reason, detail, created_at FROM suppressions WHERE email_lower > ? ORDER BY email_lower LIMIT ?",
                arguments: [after?.lowercased() ?? "", limit]
            ).map(Self.suppression)
        }
    }

    public func recordSoftBounce(email: String, threshold: Int, at: Timestamp) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO soft_bounces (email_lower, count, last_at) VALUES (?, 1, ?)
                    ON CONFLICT (email_lower) DO UPDATE SET count = count + 1, last_at = excluded.last_at
                    """, arguments: [email.lowercased(), at.millisecondsSinceEpoch])
            let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT count FROM soft_bounces WHERE email_lower = ?"), arguments: [email.lowercased()]) ?? 1
            if count >= threshold {
                try Self.suppress(db, email: email, reason: .softBounces, detail: "\(count) soft bounces", at: at)
            }
            return count
        }
    }

    public func setting(_ name: String, orStore make: @Sendable () -> String) async throws -> String {
        try await pool.write { db in
            try db.cachedStatement(sql: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING").execute(arguments: [name, make()])
            return try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM settings WHERE name = ?"), arguments: [name]) ?? ""
        }
    }

    // MARK: What comes back

    public func unsubscribe(contactId: Int64, sendId: Int64?, evidence: ConsentRecord, at: Timestamp) async throws -> Bool {
        try await pool.write { db in
            let id = try Self.survivor(db, of: contactId)
            guard var row = try ContactRow.fetch(db, id: id) else { throw StoreError.notFound("contact \(contactId)") }
            let already = row.consent.email?.status == .withdrawn
            if let email = row.email {
                try Self.suppress(db, email: email, reason: .unsubscribed, detail: evidence.location ?? "unsubscribed", at: at)
            }
            guard !already else { return false }
            var record = evidence
            record.contactId = id
            record.status = .withdrawn
            let writer = try IngestWriter(db: db)
            try writer.insertConsent(record)
            row.consent.email = record.channelConsent
            try row.save(db, at: at)
            var properties: [String: JSONValue] = ["method": .string(record.method.rawValue)]
            if let sendId {
                properties["send_id"] = .int(sendId)
                if let template = try String.fetchOne(db.cachedStatement(sql: "SELECT template FROM email_sends WHERE id = ?"), arguments: [sendId]) {
                    properties["email"] = .string(template)
                }
            }
            try writer.appendEvent(
                TrackingMessage(type: .track, messageId: "unsubscribe-\(id)-\(at.millisecondsSinceEpoch)", name: "Unsubscribed", properties: properties),
                contactId: id, source: "email", timestamp: at, receivedAt: at)
            return true
        }
    }

    public func recordEmailEvent(contactId: Int64, name: String, properties: [String: JSONValue], messageId: String, at: Timestamp) async throws {
        try await pool.write { db in
            let id = try Self.survivor(db, of: contactId)
            let writer = try IngestWriter(db: db)
            guard try !MessageKey.isStored(db, source: "email", messageId: messageId) else { return }
            try writer.appendEvent(
                TrackingMessage(type: .track, messageId: messageId, name: name, properties: properties), contactId: id, source: "email", timestamp: at,
                receivedAt: at)
        }
    }
}
