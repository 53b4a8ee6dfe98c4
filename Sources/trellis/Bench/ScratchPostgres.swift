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
            // The lease timeout bounds the wait for a connection, not a statement: an unreachable
            // server is reported after 10 s, a slow CREATE DATABASE still finishes.
            admin = try PostgresStore.open(url: server, leaseTimeout: .seconds(10))
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

    /// Runs `body` on a fresh database and drops it after, also when `body` throws (the
    /// database's own connections are closed by the drop).
    static func using<T>(_ server: String, name prefix: String, _ body: (ScratchPostgres) async throws -> T) async throws -> T {
        let scratch = try await create(on: server, name: prefix)
        let result: T
        do {
            result = try await body(scratch)
        } catch {
            try? await scratch.drop()
            throw error
        }
        try await scratch.drop()
        return result
    }
}
