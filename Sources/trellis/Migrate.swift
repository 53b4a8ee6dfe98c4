import ArgumentParser
import TrellisStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the store's schema.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        // Closing a SQLite store empties its WAL: a migration that rewrites a table (v14 copies
        // the event log) leaves all of it there, hundreds of MB at a million events.
        try await store.openStore().shutdown()
        print("The store at \(store.db) is up to date.")
    }
}
