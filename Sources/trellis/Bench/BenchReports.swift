import ArgumentParser
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix
import TrellisCore
import TrellisServer
import TrellisStore

/// The console's dashboard and reports page on a large store: what computing them costs, and how
/// fast the pages answer once computed.
struct BenchReports: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports", abstract: "Dashboard and reports pages over a large SQLite store: prints computation seconds and page latencies.",
        discussion: """
            Reuses (or builds) the segment benchmark's store of contacts and events and adds the report \
            rollup, sends, segment members and workflow runs to it. Then computes the dashboard's and \
            the reports page's figures in process, and serves the console on the store (clock fixed at \
            the data's end) to time the pages over HTTP.
            """)

    @Option(help: "The benchmark store; built if missing.") var db = "trellis-bench-segments.db"
    @Option(help: "Contacts to generate.") var contacts = 1_000_000
    @Option(help: "Events to generate.") var events = 20_000_000
    @Option(help: "Days the data is spread over.") var days = 90
    @Option(help: "Requests per page after the first.") var requests = 50

    func run() async throws {
        let path = try SQLiteStore.path(fromURL: db)
        let now = Timestamp(millisecondsSinceEpoch: 1_795_000_000_000)
        if !FileManager.default.fileExists(atPath: path) {
            let began = BenchIngest.seconds()
            try await SegmentBenchData.build(path: path, contacts: contacts, events: events, days: days, now: now) { print("  \($0)") }
            print(String(format: "built %@: %d contacts, %d events in %.1f s", path, contacts, events, BenchIngest.seconds() - began))
        }
        var store = try SQLiteStore(path: path)
        try await store.migrate()
        let stepsMissing = try await store.workflowStepCounts(name: "bench-ab")["hello"] == nil
        if try await store.funnelRows(capturedFrom: now.adding(days: -1), to: now).isEmpty || stepsMissing {
            try store.close()
            let began = BenchIngest.seconds()
            try await ReportBenchData.augment(path: path, days: days, now: now) { print("  \($0)") }
            print(String(format: "added the report rows in %.1f s", BenchIngest.seconds() - began))
            store = try SQLiteStore(path: path)
        }
        let leads = try await store.funnelRows(capturedFrom: now.adding(days: -days - 1), to: now.adding(days: 1)).count
        print("trellis bench reports: \(try await store.eventCount()) events, \(leads) leads in the report rollup, as of \(now.iso8601)")

        func timed<T>(_ label: String, _ work: () async throws -> T) async throws -> T {
            let began = BenchIngest.seconds()
            let value = try await work()
            print(String(format: "  %@: %.3f s", label, BenchIngest.seconds() - began))
            return value
        }
        print("computed in process (what a snapshot costs):")
        let dashboard = try await timed("dashboard, 30 days and the 30 before") {
            try await FunnelReporting.report(store: store, from: ReportSnapshots.dashboardPeriod(now).from, to: ReportSnapshots.dashboardPeriod(now).to, by: .total, asOf: now)
        }
        print("    captured \(dashboard.current.total.captured), MQL \(dashboard.current.total.mql), opportunities \(dashboard.current.total.opportunity)")
        let (from, to) = ReportSnapshots.reportsPeriod(now)
        let length = to.millisecondsSinceEpoch - from.millisecondsSinceEpoch
        let rows = try await timed("  of which: reading the funnel rows of 90 + 90 days") { try await store.funnelRows(capturedFrom: from.adding(milliseconds: -length), to: to) }
        _ = try await timed("  building the six funnel reports from \(rows.count) rows") {
            for dimension in [FunnelReport.Dimension.source, .week, .segment, .workflow, .variant, .step] { _ = FunnelReport(rows: rows, from: from, to: to, by: dimension, asOf: now) }
        }
        _ = try await timed("  segment groups") { try await store.funnelGroups(capturedFrom: from.adding(milliseconds: -length), to: to, by: .segment) }
        _ = try await timed("  workflow groups") { try await store.funnelGroups(capturedFrom: from.adding(milliseconds: -length), to: to, by: .workflow) }
        _ = try await timed("  variant groups") { try await store.funnelGroups(capturedFrom: from.adding(milliseconds: -length), to: to, by: .variant) }
        _ = try await timed("  step groups") { try await store.funnelGroups(capturedFrom: from.adding(milliseconds: -length), to: to, by: .step) }
        _ = try await timed("  email engagement") { try await store.emailEngagement(sentFrom: from, to: to) }
        _ = try await timed("  attribution inputs") { try await store.attributionInputs() }
        _ = try await timed("  experiment arms") { try await store.experimentArms(workflow: "bench-ab", goalEvent: "Demo Booked") }
        _ = try await timed("reports page, all of it") { try await ReportSnapshots.computeReports(store: store, from: from, to: to, asOf: now) }

        // The console, served on the store with the clock at the data's end.
        let services = Services(store: store, clock: ManualClock(now: now), reportMaxAge: 60_000)
        let token = "bench-session-token", email = "bench@trellis.example"
        try await store.saveUser(ConsoleUser(email: email, name: "Bench", role: .admin, passwordHash: "not-used"))
        try await store.createSession(tokenHash: APIKeys.hash(token), email: email, csrf: "bench", at: now, expiresAt: now.adding(days: 1))
        let listening = AsyncStream<Int>.makeStream()
        let app = buildApplication(services: services, configuration: .init(host: "127.0.0.1", port: 0)) { port in listening.continuation.yield(port) }
        let serving = Task { try await app.runService() }
        defer { serving.cancel() }
        var ports = listening.stream.makeAsyncIterator()
        guard let port = await ports.next() else { throw CommandFailure("the console did not start") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let connection = try await LoadConnection.connect(host: "127.0.0.1", port: port, group: group)
        print("pages over HTTP (\(requests) requests each after the first):")
        for page in ["/console/dashboard", "/console/reports", "/console/reports?model=linear"] {
            var latencies: [Double] = []
            var first = 0.0, bytes = 0
            for index in 0...requests {
                let began = BenchIngest.seconds()
                let (status, body) = try await connection.get(path: page, headers: ["Cookie": "trellis_session=\(token)"])
                let elapsed = (BenchIngest.seconds() - began) * 1000
                guard status == 200 else { throw CommandFailure("\(page) answered \(status): \(body.prefix(300))") }
                bytes = body.utf8.count
                if index == 0 { first = elapsed } else { latencies.append(elapsed) }
            }
            latencies.sort()
            print(
                String(
                    format: "  %@ (%d bytes): first %.0f ms; then p50 %.1f ms, p95 %.1f ms, max %.1f ms", page, bytes, first, latencies[latencies.count / 2],
                    latencies[latencies.count * 95 / 100], latencies.last ?? 0))
        }
        await connection.close()
        try await group.shutdownGracefully()
    }
}
