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
    @Option(help: "How many leads to seed.") var contacts = 1_500
    @Option(help: "Days of history to replay on the virtual clock.") var days = 90
    @Option(help: "Form definitions to load.") var forms = "examples/forms"
    @Option(help: "Segment definitions to load.") var segments = "examples/segments"
    @Option(help: "The scoring model to use.") var scoring = "examples/scoring/default.yaml"
    @Option(help: "Workflows to publish.") var workflows = "examples/workflows"
    @Option(help: "Email templates (the content library).") var content = "examples/content"
    @Option(help: "The sales file: teams, owners and SLA.") var sales = "examples/sales/team.yaml"
    @Option(help: "The console sign-in (its password comes from TRELLIS_PASSWORD, else a random one is printed).") var user = "demo@acme.example"

    func validate() throws {
        guard (1...200_000).contains(contacts) else { throw ValidationError("--contacts must be from 1 to 200,000") }
        guard (1...365).contains(days) else { throw ValidationError("--days must be from 1 to 365") }
    }

    func run() async throws {
        let began = ContinuousClock.now
        let missing = [forms, segments, scoring, workflows, content, sales].filter { !FileManager.default.fileExists(atPath: $0) }
        if !missing.isEmpty {
            printError(
                "Note: \(missing.joined(separator: ", ")) not found from \(FileManager.default.currentDirectoryPath); the demo runs without "
                    + "them (fewer or no segments, workflows, emails or handoffs). Run it from the Trellis repository, or point the options at them (trellis demo --help).")
        }
        let path = try SQLiteStore.path(fromURL: db)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try SQLiteStore(path: path, durable: false)
        try await store.migrate()
        let real = SystemClock()
        let end = real.now()
        // Whole days back, starting at midnight UTC: the replay begins where the history does.
        let start = Timestamp(millisecondsSinceEpoch: (end.millisecondsSinceEpoch / 86_400_000 - Int64(days)) * 86_400_000)
        let clock = DemoClock(real: real, start: start)
        let (adminKey, _) = try await APIKeys.create(in: store, name: "demo admin", role: .admin, at: start)
        let (writeKey, _) = try await APIKeys.create(in: store, name: "demo website", role: .write, source: "website", at: start)
        let password = ProcessInfo.processInfo.environment["TRELLIS_PASSWORD"] ?? Users.randomPassword()
        if let problem = Passwords.problem(password) { throw CommandFailure("TRELLIS_PASSWORD: \(problem)") }
        try await store.saveUser(ConsoleUser(email: user, name: "Demo Admin", role: .admin, passwordHash: try Passwords.hash(password)))
        if FileManager.default.fileExists(atPath: forms) {
            try await FormLoading.load(directory: forms, into: store, at: start)
        } else {
            try await store.saveForm(Self.fallbackForm, at: start)
        }
        try await RuleLoading.load(
            segments: FileManager.default.fileExists(atPath: segments) ? segments : nil,
            scoring: FileManager.default.fileExists(atPath: scoring) ? scoring : nil,
            workflows: FileManager.default.fileExists(atPath: workflows) ? [workflows] : [], into: store, at: start)
        let services = Services(store: store, clock: clock)
        // What the demo company spends a month per lead source, for cost per opportunity.
        services.reportCosts = ["google": 6_000, "linkedin": 4_500, "g2": 2_000, "partner": 1_500, "newsletter": 400]
        try await services.qualify.reload()
        try await services.workflows.reload()
        let host = self.host
        // Email runs for real up to the transport: the demo's outbox accepts every message and
        // delivers none, so sends, opens and clicks show without an SMTP server.
        var mail = TrellisConfig()
        mail.content = FileManager.default.fileExists(atPath: content) ? content : nil
        mail.sender = .init(
            from: MailAddress(name: "Acme", address: "hello@acme.example"), postalAddress: "Acme Inc., 1 Main St, Springfield, IL 62701, USA")
        _ = try await MailStarting.start(mail, configFile: nil, services: services, defaultBaseURL: "http://\(host):\(port)")
        let outbox = DemoOutbox()
        guard let setup = await services.mail.setup else { throw CommandFailure("the demo's email setup did not start") }
        await services.mail.configure(setup, transport: outbox)
        if FileManager.default.fileExists(atPath: sales) {
            let team: SalesSetup
            do { team = try SalesFiles.load(file: sales) } catch let error as FormFiles.LoadError { throw CommandFailure(error.description) }
            let qualify = services.qualify
            await services.sales.configure(
                team, signer: setup.signer, baseURL: setup.baseURL, alerts: nil, scorer: { await qualify.qualifier.scorer })
        }
        let seeder = DemoSeeder(contacts: contacts, accounts: max(10, contacts / 3))
        print("Replaying \(days) days of \(contacts) leads on a virtual clock…")
        fflush(nil)
        let replay = try await DemoSimulation().run(
            services: services, clock: clock, outbox: outbox, messages: seeder.messages(now: end), source: "demo", from: start, to: end
        ) { day in
            let done = Int((day.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 86_400_000)
            if done % 15 == 0 {
                print("  day \(done) of \(days)")
                fflush(nil)
            }
        }
        clock.set(nil)
        while try await store.refreshFunnel(limit: 50_000) == 50_000 {}
        let qualifying = try await RuleLoading.startQualifying(services)
        defer { qualifying.cancel() }
        let sending = Task { await services.mail.run() }
        defer { sending.cancel() }
        let selling = Task { await services.sales.run() }
        defer { selling.cancel() }
        let rolling = ReportRollup.follow(services)
        defer { rolling.cancel() }
        let contactCount = try await store.contacts(ContactQuery(limit: 1_000_000)).count
        let segmentSummary = try await store.segments().map { "\($0.definition.name) \($0.memberCount)" }.joined(separator: ", ")
        let seconds = (ContinuousClock.now - began).components.seconds
        let app = buildApplication(services: services, configuration: .init(host: host, port: port)) { port in
            let base = "http://\(host):\(port)"
            print(
                """

                Trellis demo: \(contactCount) contacts, \(replay.events) events over \(days) days, in \(path) (built in \(seconds) s)
                Email:     \(replay.sent) sent to the demo outbox (none leave the machine), \(replay.opened) opened, \(replay.clicked) clicked, \(replay.unsubscribed) unsubscribed
                Sales:     \(replay.handoffs) handoffs: \(replay.accepted) accepted, \(replay.rejected) rejected, \(replay.recycled) recycled; \(replay.opportunities) opportunities, \(replay.won) won
                Segments:  \(segmentSummary.isEmpty ? "none" : segmentSummary)

                  Console    \(base)/console
                  Sign in    \(user)
                  Password   \(password)

                  Admin key  \(adminKey)
                  Write key  \(writeKey)
                  A form     \(base)/f/ebook-crm-migration
                  Tracking   <script src="\(base)/v1/tracker.js" data-write-key="\(writeKey)" async></script>
                             or any Segment library at \(base)/v1 (analytics.js: cdnURL "\(base)")
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
