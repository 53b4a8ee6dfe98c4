import ArgumentParser
import Foundation
import TrellisStore

extension StoreOptions {
    /// Opens and migrates the store, turning failures into a message for the terminal.
    func openStore() async throws -> SQLiteStore {
        if db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") {
            throw ValidationError("PostgreSQL stores are not available in this version; use a SQLite path (--db trellis.db)")
        }
        do {
            let store = try SQLiteStore.open(url: db)
            try await store.migrate()
            return store
        } catch let error as StoreError {
            throw ValidationError(error.description)
        } catch {
            throw ValidationError("cannot open the store at '\(db)': \(error)")
        }
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
