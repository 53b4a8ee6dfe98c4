import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer
import TrellisStore

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "People who sign in to the console.", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a console user, or set an existing one's password and role (their sessions end).",
            discussion: "The password comes from --password-file or TRELLIS_PASSWORD; without either, a random one is made and printed once.")

        @OptionGroup var store: StoreOptions
        @Option(help: "The user's email (their sign-in name).") var email: String
        @Option(help: "A display name.") var name: String?
        @Option(help: "admin, marketer, sales or read.") var role = "marketer"
        @Option(help: "A file holding the password.") var passwordFile: String?

        func run() async throws {
            guard Traits.isPlausibleEmail(email) else { throw ValidationError("--email: not an email address: \(email)") }
            guard let parsed = Role(rawValue: role), parsed != .write else { throw ValidationError("--role: admin, marketer, sales or read, got '\(role)'") }
            var password = ProcessInfo.processInfo.environment["TRELLIS_PASSWORD"]
            if let passwordFile {
                guard let data = FileManager.default.contents(atPath: passwordFile) else { throw CommandFailure("\(passwordFile): cannot read the file") }
                password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            }
            let generated = password == nil
            let secret = password ?? Users.randomPassword()
            if let problem = Passwords.problem(secret) { throw CommandFailure(problem) }
            let opened = try await store.openStore()
            try await opened.saveUser(ConsoleUser(email: email, name: name ?? email, role: parsed, passwordHash: try Passwords.hash(secret)))
            try await opened.recordAudit(
                AuditEntry(at: SystemClock().now(), actor: "cli", role: "admin", method: "SAVE", path: "console user \(email) (\(parsed.rawValue))", status: 0, address: "local"))
            print("\(email) can sign in as \(parsed.rawValue)" + (generated ? "; password (shown once):\n\(secret)" : ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List console users.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            for user in try await store.openStore().users() { print("\(user.email)\t\(user.role.rawValue)\t\(user.name)") }
        }
    }

    static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var random = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }
}
