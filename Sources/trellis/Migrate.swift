import ArgumentParser
import TrellisStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the store's schema.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        _ = try await store.openStore()
        print("The store at \(store.db) is up to date.")
    }
}
