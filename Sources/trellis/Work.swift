import ArgumentParser
import Foundation
import Synchronization
import TrellisCore
import TrellisServer
import TrellisStore

/// `trellis work`: the stages behind the API without the HTTP server, for running more workers
/// than API servers against one PostgreSQL database.
struct Work: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the background stages only (sending, handoffs, qualification, workflows, report rollup), without the HTTP server.",
        discussion: """
            Any number of `trellis work` and `trellis serve` processes can share one PostgreSQL \
            database: due sends and webhooks are claimed with FOR UPDATE SKIP LOCKED and a lease \
            (a killed worker's claims come back when the lease runs out), and qualification and \
            workflow passes take turns under a lock, so no step is taken twice. Links in emails \
            point at base_url from the configuration. Stops on SIGINT or SIGTERM.
            """)

    @Option(help: "The operators' configuration (YAML), as for serve (sender, SMTP, DKIM, content, base_url, …).") var config: String?
    @Option(name: .long, help: "The store: postgres://user:password@host:port/database (a SQLite path also works, for one process).") var db: String?
    @Option(help: "The sales file: teams, owners, SLA and CRM webhook (see docs/sales.md).") var sales: String?

    func run() async throws {
        let settings = try loadSettings(config)
        let opened = try await openTrellisStore(path: db ?? settings.database ?? "trellis.db")
        let services = Services(store: opened, clock: SystemClock(), rateLimits: settings.rateLimits, trustedProxies: settings.trustedProxies)
        let background = try await BackgroundWork.start(
            settings: settings, configFile: config, services: services, sales: sales ?? settings.sales, defaultBaseURL: "http://127.0.0.1:8080")
        print("Trellis worker running on \((opened as? PostgresStore)?.displayURL ?? (db ?? settings.database ?? "trellis.db"))")
        fflush(nil)
        await Signals.wait(for: [SIGINT, SIGTERM])
        background.cancel()
        for task in background.tasks { await task.value }
    }
}

/// Waits for one of the signals (their default action is turned off while waiting).
enum Signals {
    static func wait(for signals: [Int32]) async {
        let queue = DispatchQueue(label: "trellis.signals")
        let fired = SignalOnce()
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { fired.fire() }
            source.resume()
            sources.append(source)
        }
        await fired.wait()
        for source in sources { source.cancel() }
    }
}

/// A one-time event: `wait()` returns once `fire()` was called, before or after it.
private final class SignalOnce: Sendable {
    private let state = Mutex<(fired: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.fired = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
