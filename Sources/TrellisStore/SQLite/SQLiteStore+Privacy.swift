import GRDB
import TrellisCore

extension SQLiteStore {
    public func eraseContact(id: Int64, at: Timestamp) async throws -> ErasureReceipt? {
        try await pool.write { db in
            let id = try Self.survivor(db, of: id)
            guard let row = try Row.fetchOne(db, sql: "SELECT email, traits FROM contacts WHERE id = ?", arguments: [id]) else { return nil }
            var addresses = Set<String>()
            if let email: String = row[0] { addresses.insert(email.trimmed.lowercased()) }
            if let traits = try? JSONParser.parse(Array((row[1] as String? ?? "{}").utf8)).objectValue, let email = Traits.email(in: traits) {
                addresses.insert(email.lowercased())
            }
            for address in addresses {
                // The readable entry (an unsubscribe, a bounce) goes; the hash stays.
                try db.execute(sql: "DELETE FROM suppressions WHERE email_lower = ?", arguments: [address])
                try db.execute(sql: "DELETE FROM soft_bounces WHERE email_lower = ?", arguments: [address])
                try Self.suppress(db, email: ErasedAddress.marker(address), reason: .erased, detail: "erased on request", at: at)
            }
            let events = try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE contact_id = ?", arguments: [id]) ?? 0
            let consents = try Int.fetchOne(db, sql: "SELECT count(*) FROM consent_records WHERE contact_id = ?", arguments: [id]) ?? 0
            try db.execute(sql: "DELETE FROM events WHERE contact_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM consent_records WHERE contact_id = ?", arguments: [id])
            for table in ["segment_members", "contact_scores", "score_changes", "contact_checks", "workflow_runs", "workflow_actions"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE contact_id = ?", arguments: [id])
            }
            // Sends stay for the email report, without the address; what had not gone out never will.
            try db.execute(
                sql: """
                    UPDATE email_sends SET recipient = NULL, last_error = CASE WHEN status IN ('queued', 'deferred', 'sending') THEN 'contact erased' ELSE NULL END,
                        status = CASE WHEN status IN ('queued', 'deferred', 'sending') THEN 'skipped' ELSE status END
                    WHERE contact_id = ?
                    """, arguments: [id])
            let sends = db.changesCount
            // Handoffs stay for the sales reports, without the storyline; an open one leaves the queue.
            try db.execute(
                sql: """
                    DELETE FROM webhook_deliveries WHERE handoff_id IN (SELECT id FROM handoffs WHERE contact_id = ?) AND status IN ('pending', 'sending');
                    UPDATE webhook_deliveries SET payload = '{}', last_error = NULL WHERE handoff_id IN (SELECT id FROM handoffs WHERE contact_id = ?);
                    UPDATE handoffs SET context = '{}', reason = 'erased', assignment_reason = 'erased', outcome_reason = NULL,
                        status = CASE WHEN status = 'open' THEN 'rejected' ELSE status END
                    WHERE contact_id = ?;
                    """, arguments: [id, id, id])
            let handoffs = try Int.fetchOne(db, sql: "SELECT count(*) FROM handoffs WHERE contact_id = ?", arguments: [id]) ?? 0
            try db.execute(sql: "DELETE FROM contact_merges WHERE survivor_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM contacts WHERE id = ?", arguments: [id])
            return ErasureReceipt(
                contactId: id, events: events, consentRecords: consents, sendsKept: sends, handoffsKept: handoffs, addressesSuppressed: addresses.count)
        }
    }

    /// True when the address was erased on request (its hash is in the suppression list).
    static func isErased(_ db: Database, email: String) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM suppressions WHERE email_lower = ? AND reason = 'erased'"), arguments: [ErasedAddress.marker(email)]) ?? false
    }
}
