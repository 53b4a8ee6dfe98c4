import ArgumentParser
import Foundation
import TrellisServer
import TrellisStore

extension StoreOptions {
    /// Opens and migrates the store, turning failures into a message for the terminal.
    func openStore() async throws -> any Store { try await openTrellisStore(path: db) }
}

extension Store {
    /// Closes the store's files or connections (a SQLite store's WAL is copied back and emptied).
    func shutdown() async throws {
        if let postgres = self as? PostgresStore { await postgres.close() }
        if let sqlite = self as? SQLiteStore { try sqlite.close() }
    }
}

/// Opens and migrates the store `db` names (a SQLite path or URL, or a `postgres://` URL),
/// turning failures into a message for the terminal.
func openTrellisStore(path db: String) async throws -> any Store {
    do {
        if PostgresStore.handles(url: db) {
            let store = try PostgresStore.open(url: db)
            do {
                try await store.migrate()
            } catch {
                await store.close()
                throw CommandFailure("cannot open the PostgreSQL store at \(PostgresURL.redact(db)): \(error)")
            }
            return store
        }
        let store = try SQLiteStore.open(url: db)
        try await store.migrate()
        return store
    } catch let error as StoreError {
        throw CommandFailure(error.description)
    } catch let error as CommandFailure {
        throw error
    } catch {
        throw CommandFailure("cannot open the store at '\(db)': \(error)")
    }
}

/// Reads the operators' configuration (and the environment), turning problems into a message.
func loadSettings(_ file: String?) throws -> TrellisConfig {
    do {
        return try TrellisConfig.load(file: file)
    } catch let error as TrellisConfig.Invalid {
        throw CommandFailure(error.description)
    }
}

/// A command that could not do its work: printed as "Error: <message>" without the usage text
/// (which `ValidationError` adds, and which only helps when the arguments were wrong).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
