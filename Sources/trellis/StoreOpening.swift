import ArgumentParser
import Foundation
import TrellisServer
import TrellisStore

extension StoreOptions {
    /// Opens and migrates the store, turning failures into a message for the terminal.
    func openStore() async throws -> SQLiteStore { try await openTrellisStore(path: db) }
}

/// Opens and migrates the store at `db`, turning failures into a message for the terminal.
func openTrellisStore(path db: String) async throws -> SQLiteStore {
    if db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") {
        throw ValidationError("PostgreSQL stores are not available in this version; use a SQLite path (--db trellis.db)")
    }
    do {
        let store = try SQLiteStore.open(url: db)
        try await store.migrate()
        return store
    } catch let error as StoreError {
        throw CommandFailure(error.description)
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
