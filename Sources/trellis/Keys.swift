import ArgumentParser
import TrellisCore
import TrellisServer
import TrellisStore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key; the key is printed once, as the last line.")

        @OptionGroup var store: StoreOptions
        @Option(help: "admin, marketer, sales, read or write (write keys only send tracking events).") var role: String
        @Option(help: "A name to recognise the key by.") var name: String?
        @Option(help: "For write keys: the source its events are attributed to.") var source = "default"

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("unknown role '\(role)'; use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let opened = try await store.openStore()
            let now = SystemClock().now()
            let (key, record) = try await APIKeys.create(in: opened, name: name ?? "\(role.rawValue) key", role: role, source: source, at: now)
            try await opened.recordAudit(
                AuditEntry(at: now, actor: "cli", role: "admin", method: "CREATE", path: "key \(record.id) (\(record.role.rawValue), \(record.name))", status: 0, address: "local"))
            print("Created \(record.role.rawValue) key \(record.id) (\(record.name)). It is shown only now:")
            print(key)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API key by its id (trellis keys list shows ids); a running server stops taking it within 30 s.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The key's id.") var id: String

        func run() async throws {
            let opened = try await store.openStore()
            guard let record = try await opened.deleteAPIKey(id: id) else { throw CommandFailure("no API key has the id \(id); trellis keys list shows them") }
            try await opened.recordAudit(
                AuditEntry(
                    at: SystemClock().now(), actor: "cli", role: "admin", method: "REVOKE", path: "key \(record.id) (\(record.role.rawValue), \(record.name))", status: 0,
                    address: "local"))
            print("Revoked \(record.role.rawValue) key \(record.id) (\(record.name)).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (their prefixes; the secrets are not stored).")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let opened = try await store.openStore()
            for key in try await opened.apiKeys() {
                print("\(key.id)\t\(key.role.rawValue)\t\(key.prefix)…\t\(key.source)\t\(key.name)\t\(key.createdAt.iso8601)")
            }
        }
    }
}
