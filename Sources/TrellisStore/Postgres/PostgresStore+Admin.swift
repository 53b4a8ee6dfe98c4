import TrellisCore

// The audit log, console users and sessions, and the privacy requests, on PostgreSQL.

extension PostgresStore: AuditStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        try await write(serialized: false) { session in
            try await session.execute(
                "INSERT INTO audit_log (at, actor, role, method, path, status, address) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [entry.at.millisecondsSinceEpoch, entry.actor, entry.role, entry.method, entry.path, entry.status, entry.address])
        }
    }

    public func auditLog(before: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await read { session in
            try await session.rows(
                "SELECT seq, at, actor, role, method, path, status, address FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?", [before ?? Int64.max, limit]
            ).map { row in
                AuditEntry(
                    seq: try row[0], at: Timestamp(millisecondsSinceEpoch: try row[1]), actor: try row[2], role: try row[3], method: try row[4],
                    path: try row[5], status: try row[6], address: try row[7])
            }
        }
    }
}

extension PostgresStore: ConsoleStore {
    static func consoleUser(_ row: PostgresResultRow) throws -> ConsoleUser {
        ConsoleUser(email: try row[0], name: try row[1], role: Role(rawValue: try row[2]) ?? .read, passwordHash: try row[3])
    }

    public func saveUser(_ user: ConsoleUser) async throws {
        try await write(serialized: false) { session in
            try await session.execute(
                """
                INSERT INTO users (email_lower, email, name, role, password, created_at) VALUES (?, ?, ?, ?, ?, 0)
                ON CONFLICT (email_lower) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role, password = excluded.password
                """, [user.email.lowercased(), user.email, user.name, user.role.rawValue, user.passwordHash])
            // A changed password or role ends the user's sessions.
            try await session.execute("DELETE FROM sessions WHERE email_lower = ?", [user.email.lowercased()])
        }
    }

    public func user(email: String) async throws -> ConsoleUser? {
        try await read { session in
            try await session.row("SELECT email, name, role, password FROM users WHERE email_lower = ?", [email.lowercased()]).map(Self.consoleUser)
        }
    }

    public func users() async throws -> [ConsoleUser] {
        try await read { session in try await session.rows("SELECT email, name, role, password FROM users ORDER BY email_lower").map(Self.consoleUser) }
    }

    public func createSession(tokenHash: String, email: String, csrf: String, at: Timestamp, expiresAt: Timestamp) async throws {
        try await write(serialized: false) { session in
            try await session.execute("DELETE FROM sessions WHERE expires_at <= ?", [at.millisecondsSinceEpoch])
            try await session.execute(
                "INSERT INTO sessions (token_hash, email_lower, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                [tokenHash, email.lowercased(), csrf, at.millisecondsSinceEpoch, expiresAt.millisecondsSinceEpoch])
        }
    }

    public func session(tokenHash: String, at: Timestamp) async throws -> (user: ConsoleUser, csrf: String)? {
        try await read { session in
            guard
                let row = try await session.row(
                    """
                    SELECT u.email, u.name, u.role, u.password, s.csrf FROM sessions s JOIN users u ON u.email_lower = s.email_lower
                    WHERE s.token_hash = ? AND s.expires_at > ?
                    """, [tokenHash, at.millisecondsSinceEpoch])
            else { return nil }
            return (try Self.consoleUser(row), try row[4])
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await write(serialized: false) { session in try await session.execute("DELETE FROM sessions WHERE token_hash = ?", [tokenHash]) }
    }
}

extension PostgresStore: PrivacyStore {
    public func eraseContact(id: Int64, at: Timestamp) async throws -> ErasureReceipt? {
        try await write { session in
            let id = try await Self.survivor(session, of: id)
            guard let row = try await session.row("SELECT email, traits FROM contacts WHERE id = ?", [id]) else { return nil }
            var addresses = Set<String>()
            if let email: String = try row[0] { addresses.insert(email.trimmed.lowercased()) }
            if let traits = try? JSONParser.parse(Array((try row[1] as String? ?? "{}").utf8)).objectValue, let email = Traits.email(in: traits) {
                addresses.insert(email.lowercased())
            }
            for address in addresses {
                // The readable entry (an unsubscribe, a bounce) goes; the hash stays.
                try await session.execute("DELETE FROM suppressions WHERE email_lower = ?", [address])
                try await session.execute("DELETE FROM soft_bounces WHERE email_lower = ?", [address])
                try await Self.suppress(session, email: ErasedAddress.marker(address), reason: .erased, detail: "erased on request", at: at)
            }
            let events = try await session.count("DELETE FROM events WHERE contact_id = ? RETURNING 1", [id])
            let consents = try await session.count("DELETE FROM consent_records WHERE contact_id = ? RETURNING 1", [id])
            for table in ["segment_members", "contact_scores", "score_changes", "contact_checks", "workflow_runs", "workflow_actions"] {
                try await session.execute("DELETE FROM \(table) WHERE contact_id = ?", [id])
            }
            // Sends stay for the email report, without the address; what had not gone out never will.
            let sends = try await session.count(
                """
                UPDATE email_sends SET recipient = NULL, last_error = CASE WHEN status IN ('queued', 'deferred', 'sending') THEN 'contact erased' ELSE NULL END,
                    status = CASE WHEN status IN ('queued', 'deferred', 'sending') THEN 'skipped' ELSE status END
                WHERE contact_id = ? RETURNING 1
                """, [id])
            // Handoffs stay for the sales reports, without the storyline; an open one leaves the queue.
            try await session.execute(
                "DELETE FROM webhook_deliveries WHERE handoff_id IN (SELECT id FROM handoffs WHERE contact_id = ?) AND status IN ('pending', 'sending')", [id])
            try await session.execute(
                "UPDATE webhook_deliveries SET payload = '{}', last_error = NULL WHERE handoff_id IN (SELECT id FROM handoffs WHERE contact_id = ?)", [id])
            let handoffs = try await session.count(
                """
                UPDATE handoffs SET context = '{}', reason = 'erased', assignment_reason = 'erased', outcome_reason = NULL,
                    status = CASE WHEN status = 'open' THEN 'rejected' ELSE status END
                WHERE contact_id = ? RETURNING 1
                """, [id])
            try await session.execute("DELETE FROM contact_merges WHERE survivor_id = ?", [id])
            try await session.execute("DELETE FROM contacts WHERE id = ?", [id])
            return ErasureReceipt(
                contactId: id, events: events, consentRecords: consents, sendsKept: sends, handoffsKept: handoffs, addressesSuppressed: addresses.count)
        }
    }

    public func consentEvidence(from: Timestamp, to: Timestamp) async throws -> [(record: ConsentRecord, email: String?)] {
        try await read { session in
            try await session.rows(
                """
                SELECT r.id, r.contact_id, r.channel, r.status, r.basis, r.method, r.text, r.text_version, r.location, r.ip_address, r.user_agent,
                    r.recorded_at, r.expires_at, c.email
                FROM consent_records r LEFT JOIN contacts c ON c.id = r.contact_id
                WHERE r.recorded_at >= ? AND r.recorded_at < ? ORDER BY r.recorded_at, r.id
                """, [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]
            ).map { row in (try Self.consentRecord(row), try row[13]) }
        }
    }
}
