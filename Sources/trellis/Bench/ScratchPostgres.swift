import Foundation
import TrellisStore

/// A database made for one benchmark run on a PostgreSQL server (a URL naming any database
/// there, such as `postgres`), dropped after.
struct ScratchPostgres {
    let admin: PostgresStore
    let name: String
    /// The new database's URL.
    let url: String

    static func create(on server: String, name prefix: String) async throws -> ScratchPostgres {
        guard PostgresStore.handles(url: server) else { throw CommandFailure("--db: give a postgres:// URL") }
        let admin: PostgresStore
        let url: String
        let name = "\(prefix)_\(ProcessInfo.processInfo.processIdentifier)"
        do {
            admin = try PostgresStore.open(url: server, leaseTimeout: .seconds(60))
            url = try PostgresURL.replacingDatabase(in: server, with: name)
            try await admin.dropDatabase(name)
            try await admin.createDatabase(name)
        } catch {
            throw CommandFailure("--db \(PostgresURL.redact(server)): \(error)")
        }
        return ScratchPostgres(admin: admin, name: name, url: url)
    }

    func drop() async throws {
        try await admin.dropDatabase(name)
        await admin.close()
    }
}

extension Store {
    /// Closes the store's files or connections.
    func shutdown() async throws {
        if let postgres = self as? PostgresStore { await postgres.close() }
        if let sqlite = self as? SQLiteStore { try sqlite.close() }
    }
}
