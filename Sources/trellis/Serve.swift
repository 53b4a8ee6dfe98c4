import ArgumentParser
import Foundation
import Hummingbird
import Logging
import TrellisCore
import TrellisMail
import TrellisServer
import TrellisStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (tracking API, management API, forms).")

    @Option(help: "The operators' configuration (YAML): sender, SMTP, DKIM, content, caps, quiet hours, … (see docs/email.md).") var config: String?
    @Option(name: .long, help: "The store: a SQLite file path, sqlite:///path/to/file.db or postgres://user:password@host:port/database (default trellis.db, or db in the config).") var db: String?
    @Option(help: "The address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "The port to listen on, 0 picks a free one (default 8080).") var port: Int?
    @Option(help: "A folder of form definitions (*.yaml) to load at start.") var forms: String?
    @Option(help: "A folder of segment definitions (*.yaml) to load at start.") var segments: String?
    @Option(help: "A scoring model (YAML) to put in force at start.") var scoring: String?
    @Option(help: "A folder of workflow files (*.yaml) to publish at start (a changed file becomes a new version).") var workflows: String?
    @Option(help: "The sales file: teams, owners, SLA and CRM webhook (see docs/sales.md).") var sales: String?
    @Flag(help: "Serve the API only: leave sending, handoffs, qualification and workflows to `trellis work` processes (PostgreSQL).")
    var apiOnly = false

    func run() async throws {
        let settings = try loadSettings(config)
        let host = host ?? settings.host ?? "127.0.0.1"
        let port = port ?? settings.port ?? 8080
        let opened = try await openTrellisStore(path: db ?? settings.database ?? "trellis.db")
        let clock = SystemClock()
        if let forms = forms ?? settings.forms { try await FormLoading.load(directory: forms, into: opened, at: clock.now()) }
        let workflowFolders = workflows.map { [$0] } ?? settings.workflows
        // Sends must name templates of the content library, when there is one.
        if let content = settings.content, !workflowFolders.isEmpty {
            let known = try? WorkflowFiles.templateNames(directory: content)
            let (_, problems) = WorkflowFiles.check(files: WorkflowFiles.expand(workflowFolders), templates: known)
            guard problems.isEmpty else { throw CommandFailure(problems.map(\.description).joined(separator: "\n")) }
        }
        try await RuleLoading.load(
            segments: segments ?? settings.segments, scoring: scoring ?? settings.scoring, workflows: workflowFolders, into: opened, at: clock.now())
        // A page may show reports up to 15 minutes old while newer ones are computed behind it.
        let services = Services(store: opened, clock: clock, rateLimits: settings.rateLimits, trustedProxies: settings.trustedProxies, reportMaxAge: 15 * 60_000)
        services.reportCosts = settings.reportCosts
        let background = try await BackgroundWork.start(
            settings: settings, configFile: config, services: services, sales: sales ?? settings.sales, defaultBaseURL: "http://\(host):\(port)",
            stages: !apiOnly)
        defer { background.cancel() }
        let watching = workflowFolders.isEmpty ? nil : Task { await WorkflowWatcher(folders: workflowFolders, templates: settings.content, services: services).run() }
        defer { watching?.cancel() }
        let app = buildApplication(services: services, configuration: .init(host: host, port: port)) { port in
            print("Trellis is listening on http://\(host):\(port)")
            fflush(nil)
        }
        try await app.runService()
    }
}

/// The stages that run behind the API: sending, handoffs, qualification, workflows and the
/// report rollup. `trellis serve` runs them beside the HTTP server, `trellis work` on their own.
struct BackgroundWork {
    var tasks: [Task<Void, Never>]

    /// `stages: false` (an API-only server) still sets up the email channel and the rules, which
    /// the API uses (unsubscribe links, previews, explanations), and starts nothing that runs.
    static func start(
        settings: TrellisConfig, configFile: String?, services: Services, sales: String?, defaultBaseURL: String, stages: Bool = true
    ) async throws -> BackgroundWork {
        var tasks: [Task<Void, Never>] = []
        if stages {
            if let sending = try await MailStarting.start(settings, configFile: configFile, services: services, defaultBaseURL: defaultBaseURL) {
                tasks.append(sending)
            }
            if let selling = try await SalesStarting.start(file: sales, services: services) { tasks.append(selling) }
            tasks.append(try await RuleLoading.startQualifying(services))
            tasks.append(ReportRollup.follow(services))
        } else {
            var quiet = settings
            quiet.smtp = nil
            _ = try await MailStarting.start(quiet, configFile: configFile, services: services, defaultBaseURL: defaultBaseURL)
            _ = try await SalesStarting.start(file: sales, services: services, run: false)
            try await services.qualify.reload()
            try await services.workflows.reload()
        }
        if services.store is PostgresStore { tasks.append(RuleLoading.followRuleChanges(services)) }
        return BackgroundWork(tasks: tasks)
    }

    func cancel() {
        for task in tasks { task.cancel() }
    }
}

enum ReportRollup {
    /// The reports' rollup follows the event log, every 2 s (reports also bring it up to date
    /// before they answer), and the console's report snapshots are computed again when events have
    /// overtaken them (see ``ReportSnapshots``), so its pages find them fresh.
    static func follow(_ services: Services) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                _ = try? await services.store.refreshFunnel(limit: 50_000)
                try? await services.reportSnapshots.refresh(now: services.clock.now())
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }
}

enum MailStarting {
    /// Reads the content, keys and secret, puts the email channel in service, and starts the SMTP
    /// pool and the sending loop when an SMTP server is configured.
    static func start(_ settings: TrellisConfig, configFile: String?, services: Services, defaultBaseURL: String) async throws -> Task<Void, Never>? {
        let setup: MailSetup
        do {
            setup = try await MailSetup.make(config: settings, store: services.store, defaultBaseURL: defaultBaseURL, configFile: configFile)
        } catch let error as TrellisConfig.Invalid {
            throw CommandFailure(error.description)
        }
        guard let smtp = settings.smtp else {
            await services.mail.configure(setup, transport: nil)
            return nil
        }
        guard settings.sender != nil else { throw CommandFailure("\(configFile ?? "environment"): sender.from: is required when smtp is set") }
        let pool: SMTPPool
        do {
            pool = try SMTPPool(
                server: smtp, connections: settings.smtpLimits.connections, perSecond: settings.smtpLimits.perSecond,
                hostname: settings.sender?.from.domain ?? "trellis.local", timeout: .seconds(Int64(settings.smtpLimits.timeoutSeconds)))
        } catch {
            throw CommandFailure("\(configFile ?? "environment"): smtp: \(error)")
        }
        await services.mail.configure(
            setup, transport: pool, concurrency: settings.smtpLimits.connections * 2, smtpTimeoutSeconds: settings.smtpLimits.timeoutSeconds,
            perSecond: settings.smtpLimits.perSecond)
        if let refusal = setup.policy.marketingRefusal { printError("Warning: \(refusal)") }
        return Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await pool.run() }
                group.addTask { await services.mail.run() }
            }
        }
    }
}

enum RuleLoading {
    static func load(segments: String?, scoring: String?, workflows: [String] = [], into store: any Store, at now: Timestamp) async throws {
        if !workflows.isEmpty {
            let (definitions, problems) = WorkflowFiles.check(files: WorkflowFiles.expand(workflows), templates: nil)
            guard problems.isEmpty else { throw CommandFailure(problems.map(\.description).joined(separator: "\n")) }
            let stored = try await store.workflowVersions()
            for definition in definitions {
                let newest = stored.filter { $0.name == definition.name }.last
                if let newest, newest.definition.source == definition.source {
                    if newest.status == .draft { _ = try await store.setWorkflowStatus(name: definition.name, .published, at: now) }
                    continue
                }
                _ = try await store.saveWorkflow(definition, status: .published, at: now)
            }
        }
        do {
            if let segments {
                for segment in try RuleFiles.segments(directory: segments) { try await upsert(segment, into: store, at: now) }
            }
            if let scoring { try await store.saveScoringModel(try RuleFiles.scoringModel(file: scoring), at: now) }
        } catch let error as FormFiles.LoadError {
            throw CommandFailure(error.description)
        }
    }

    /// Saves the segment unless the stored one is the same (which would compute it again for nothing).
    static func upsert(_ segment: SegmentDefinition, into store: any Store, at now: Timestamp) async throws {
        if let stored = try await store.segments().first(where: { $0.definition.name == segment.name }), stored.definition.source == segment.source { return }
        _ = try await store.saveSegment(segment, at: now)
    }

    /// Loads the rules, computes segments whose latest version was never computed, and starts
    /// the loop that keeps scores and memberships current.
    static func startQualifying(_ services: Services) async throws -> Task<Void, Never> {
        try await services.qualify.reload()
        try await services.workflows.reload()
        for record in try await services.store.segments() where record.computedVersion < record.version {
            await services.qualify.startRecompute(segmentId: record.id)
        }
        // A pass is a write transaction on the store's single writer, which ingest waits behind.
        // On PostgreSQL it holds the write lock for several round trips: ten passes a second at
        // most, for at most 0.1 s more lag. On SQLite a pass after every group commit cost ~15%
        // of the server's CPU a request in `trellis bench --mode track` (docs/performance.md,
        // "Background passes at most 40 times a second"): 25 ms, for at most that much more lag.
        let spacing: Duration = services.store is PostgresStore ? .milliseconds(100) : passSpacingSQLite
        return Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await services.qualify.run(spacing: spacing) }
                group.addTask { await services.workflows.run(spacing: spacing) }
            }
        }
    }
}

extension RuleLoading {
    /// How often a process re-reads segments, the scoring model and workflows that another
    /// process (an API server, a console user) may have changed: on PostgreSQL, where several
    /// processes share the store. A process reloads at once after its own changes.
    static let ruleRefreshSeconds = 10

    /// The least time between the starts of two qualify (or workflow) passes on SQLite.
    static let passSpacingSQLite: Duration = .milliseconds(25)

    static func followRuleChanges(_ services: Services) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(ruleRefreshSeconds))
                try? await services.qualify.reload()
                try? await services.workflows.reload()
            }
        }
    }
}

enum FormLoading {
    static func load(directory: String, into store: any Store, at now: Timestamp) async throws {
        do {
            for form in try FormFiles.load(directory: directory) {
                try await store.saveForm(form, at: now)
            }
        } catch let error as FormFiles.LoadError {
            throw CommandFailure(error.description)
        }
    }
}

enum SalesStarting {
    /// Loads the sales file and starts handing leads over; owners' alerts go through the mail transport.
    /// `run: false` configures sales for the API (feedback, the queue) and starts nothing.
    static func start(file: String?, services: Services, run: Bool = true) async throws -> Task<Void, Never>? {
        guard let file else { return nil }
        let setup: SalesSetup
        do {
            setup = try SalesFiles.load(file: file)
        } catch let error as FormFiles.LoadError {
            throw CommandFailure(error.description)
        }
        guard let mail = await services.mail.setup else { throw CommandFailure("\(file): email must be set up before sales (it signs the links)") }
        var alerts: (transport: any MailTransport, sender: TrellisConfig.Sender, dkim: [DKIMSigner])?
        if let transport = await services.mail.transport, let sender = mail.sender { alerts = (transport, sender, mail.dkim) }
        let qualify = services.qualify
        await services.sales.configure(setup, signer: mail.signer, baseURL: mail.baseURL, alerts: alerts, scorer: { await qualify.qualifier.scorer })
        guard run else { return nil }
        // One pass before the server listens: on a new store it marks where stage changes start
        // to count, so nothing that arrives after the start is missed.
        try await services.sales.drain()
        return Task { await services.sales.run() }
    }
}
