import GRDB
import TrellisCore

extension SQLiteStore {
    public func createAPIKey(_ key: APIKeyRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO api_keys (id, name, role, key_hash, prefix, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [key.id, key.name, key.role.rawValue, key.hash, key.prefix, key.source, key.createdAt.millisecondsSinceEpoch])
        }
    }

    public func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, role, key_hash, prefix, source, created_at FROM api_keys WHERE key_hash = ?", arguments: [hash])
                .flatMap(Self.apiKey(row:))
        }
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, role, key_hash, prefix, source, created_at FROM api_keys ORDER BY created_at, id").compactMap(Self.apiKey(row:))
        }
    }

    public func deleteAPIKey(id: String) async throws -> APIKeyRecord? {
        try await pool.write { db in
            guard
                let record = try Row.fetchOne(db, sql: "SELECT id, name, role, key_hash, prefix, source, created_at FROM api_keys WHERE id = ?", arguments: [id])
                    .flatMap(Self.apiKey(row:))
            else { return nil }
            try db.execute(sql: "DELETE FROM api_keys WHERE id = ?", arguments: [id])
            return record
        }
    }

    static func apiKey(row: Row) -> APIKeyRecord? {
        guard let role = Role(rawValue: row[2]) else { return nil }
        return APIKeyRecord(id: row[0], name: row[1], role: role, hash: row[3], prefix: row[4], source: row[5], createdAt: Timestamp(millisecondsSinceEpoch: row[6]))
    }

    public func saveForm(_ form: FormDefinition, at: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO forms (key, definition, created_at, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
                    """,
                arguments: [form.key, form.json.jsonText, at.millisecondsSinceEpoch, at.millisecondsSinceEpoch])
        }
    }

    public func form(key: String) async throws -> FormDefinition? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT definition FROM forms WHERE key = ?", arguments: [key]).map(Self.form(text:))
        }
    }

    public func forms() async throws -> [FormDefinition] {
        try await pool.read { db in try String.fetchAll(db, sql: "SELECT definition FROM forms ORDER BY key").map(Self.form(text:)) }
    }

    public func deleteForm(key: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM forms WHERE key = ?", arguments: [key])
            return db.changesCount > 0
        }
    }

    static func form(text: String) throws -> FormDefinition {
        do {
            return try FormDefinition(json: try JSONValue(jsonText: text))
        } catch {
            throw StoreError.corrupt("form definition: \(error)")
        }
    }
}
