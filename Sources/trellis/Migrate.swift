import ArgumentParser
import TrellisStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the store's schema.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let opened = try await store.openStore()
        // Closing a SQLite store empties its WAL: a migration that rewrites a table (v14 copies
        // the event log) leaves all of it there, hundreds of MB at a million events.
        switch opened {
        case let sqlite as SQLiteStore: try sqlite.close()
        case let postgres as PostgresStore: await postgres.close()
        default: break
        }
        print("The store at \(store.db) is up to date.")
    }
}
