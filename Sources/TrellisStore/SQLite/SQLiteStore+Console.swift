import GRDB
import TrellisCore

extension SQLiteStore {
    static func consoleUser(_ row: Row) -> ConsoleUser {
        ConsoleUser(email: row[0], name: row[1], role: Role(rawValue: row[2]) ?? .read, passwordHash: row[3])
    }

    public func saveUser(_ user: ConsoleUser) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO users (email_lower, email, name, role, password, created_at) VALUES (?, ?, ?, ?, ?, 0)
                    ON CONFLICT (email_lower) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role, password = excluded.password
                    """, arguments: [user.email.lowercased(), user.email, user.name, user.role.rawValue, user.passwordHash])
            // A changed password or role ends the user's sessions.
            try db.execute(sql: "DELETE FROM sessions WHERE email_lower = ?", arguments: [user.email.lowercased()])
        }
    }

    public func user(email: String) async throws -> ConsoleUser? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT email, name, role, password FROM users WHERE email_lower = ?", arguments: [email.lowercased()]).map(Self.consoleUser)
        }
    }

    public func users() async throws -> [ConsoleUser] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT email, name, role, password FROM users ORDER BY email_lower").map(Self.consoleUser) }
    }

    public func createSession(tokenHash: String, email: String, csrf: String, at: Timestamp, expiresAt: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [at.millisecondsSinceEpoch])
            try db.execute(
                sql: "INSERT INTO sessions (token_hash, email_lower, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [tokenHash, email.lowercased(), csrf, at.millisecondsSinceEpoch, expiresAt.millisecondsSinceEpoch])
        }
    }

    public func session(tokenHash: String, at: Timestamp) async throws -> (user: ConsoleUser, csrf: String)? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT u.email, u.name, u.role, u.password, s.csrf FROM sessions s JOIN users u ON u.email_lower = s.email_lower
                        WHERE s.token_hash = ? AND s.expires_at > ?
                        """, arguments: [tokenHash, at.millisecondsSinceEpoch])
            else { return nil }
            return (Self.consoleUser(row), row[4])
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash]) }
    }
}
