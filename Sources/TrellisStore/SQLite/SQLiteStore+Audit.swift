import GRDB
import TrellisCore

extension SQLiteStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit_log (at, actor, role, method, path, status, address) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [entry.at.millisecondsSinceEpoch, entry.actor, entry.role, entry.method, entry.path, entry.status, entry.address])
        }
    }

    public func auditLog(before: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, at, actor, role, method, path, status, address FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?",
                arguments: [before ?? Int64.max, limit]
            ).map { row in
                AuditEntry(
                    seq: row[0], at: Timestamp(millisecondsSinceEpoch: row[1]), actor: row[2], role: row[3], method: row[4], path: row[5], status: row[6],
                    address: row[7])
            }
        }
    }
}
