import ArgumentParser
import Foundation
import Hummingbird
import TrellisCore
import TrellisMail
import TrellisServer
import TrellisStore

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a fresh demo store seeded with realistic leads, accounts and behaviour.",
        discussion: "The demo store is recreated on each run (default ./trellis-demo.db); nothing else needs to be running.")

    @Option(help: "The demo database file; it is deleted and rebuilt.") var db = "trellis-demo.db"
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0 picks a free one).") var port = 8080
    @Option(help: "How many leads to seed.") var contacts = 600
    @Option(help: "Form definitions to load.") var forms = "examples/forms"
    @Option(help: "Segment definitions to load.") var segments = "examples/segments"
    @Option(help: "The scoring model to use.") var scoring = "examples/scoring/default.yaml"
    @Option(help: "Workflows to publish.") var workflows = "examples/workflows"
    @Option(help: "Email templates (the content library).") var content = "examples/content"

    func run() async throws {
        let path = try SQLiteStore.path(fromURL: db)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let clock = SystemClock()
        let now = clock.now()
        let (adminKey, _) = try await APIKeys.create(in: store, name: "demo admin", role: .admin, at: now)
        let (writeKey, _) = try await APIKeys.create(in: store, name: "demo website", role: .write, source: "website", at: now)
        if FileManager.default.fileExists(atPath: forms) {
            try await FormLoading.load(directory: forms, into: store, at: now)
        } else {
            try await store.saveForm(Self.fallbackForm, at: now)
        }
        try await RuleLoading.load(
            segments: FileManager.default.fileExists(atPath: segments) ? segments : nil,
            scoring: FileManager.default.fileExists(atPath: scoring) ? scoring : nil,
            workflows: FileManager.default.fileExists(atPath: workflows) ? [workflows] : [], into: store, at: now)
        let summary = try await DemoSeeder(contacts: contacts, accounts: max(10, contacts / 10)).seed(store, now: now)
        let services = Services(store: store, clock: clock)
        // Score and segment the seeded history before the first request.
        try await services.qualify.reload()
        let qualified = try await services.qualify.drain()
        try await services.workflows.reload()
        let nurtured = try await services.workflows.drain()
        let qualifying = try await RuleLoading.startQualifying(services)
        await services.qualify.waitForRecomputes()
        defer { qualifying.cancel() }
        let segmentSummary = try await store.segments().map { "\($0.definition.name) \($0.memberCount)" }.joined(separator: ", ")
        let host = self.host
        // Email content, previews and signed links work in the demo; nothing is sent (no SMTP).
        var mail = TrellisConfig()
        mail.content = FileManager.default.fileExists(atPath: content) ? content : nil
        mail.sender = .init(
            from: MailAddress(name: "Acme", address: "hello@acme.example"), postalAddress: "Acme Inc., 1 Main St, Springfield, IL 62701, USA")
        _ = try await MailStarting.start(mail, configFile: nil, services: services, defaultBaseURL: "http://\(host):\(port)")
        let app = buildApplication(services: services, configuration: .init(host: host, port: port)) { port in
            let base = "http://\(host):\(port)"
            print(
                """

                Trellis demo: \(summary.contacts) contacts and \(summary.messages) events in \(path)
                Qualified: \(qualified.scoreChanges) score changes, \(qualified.stageChanges) stage moves
                Segments:  \(segmentSummary.isEmpty ? "none" : segmentSummary)
                Workflows: \(nurtured.entered) runs started, \(nurtured.sends) sends queued

                  URL        \(base)
                  Admin key  \(adminKey)
                  Write key  \(writeKey)

                  A form     \(base)/f/ebook-crm-migration
                  API spec   \(base)/openapi.json     Metrics \(base)/metrics

                For the README's curl examples, paste this into another terminal:

                export TRELLIS=\(base) ADMIN_KEY=\(adminKey) WRITE_KEY=\(writeKey)

                Press Ctrl-C to stop.
                """)
            fflush(nil)
        }
        try await app.runService()
    }

    static let fallbackForm = FormDefinition(
        key: "ebook-crm-migration", title: "Get the CRM migration guide",
        fields: [FormField(name: "email", label: "Work email", kind: .email, required: true), FormField(name: "firstName", label: "First name", required: true)],
        consent: FormConsent(text: "Yes, send me the guide and occasional emails about CRM migration.", version: "2026-01"))
}
