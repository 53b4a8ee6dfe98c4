import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TrellisCore
import TrellisServer
import TrellisStore

/// `trellis bench`: benchmarks that print figures. `ingest` is the default.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures: ingest (default), qualify, segments, reports, workflows, mail, routing, webhooks, workers, writer.",
        subcommands: [BenchIngest.self, BenchQualify.self, BenchSegments.self, BenchReports.self, BenchWorkflows.self, BenchMail.self, BenchRouting.self, BenchWebhooks.self, BenchWorkers.self, BenchWriter.self], defaultSubcommand: BenchIngest.self)
}

struct BenchIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Measure ingest throughput, latency and memory; prints the figures.",
        discussion: """
            Starts `trellis serve` on a fresh SQLite store in a child process, drives it over keep-alive \
            connections, then inserts the same number of rows straight into SQLite for comparison.
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable { case batch, track }
    /// uuid: random, as Segment's libraries make them (each lands at a random place in the
    /// log's messageId index); sequential: per connection (the bench's ids before 2026-12-01).
    enum MessageIds: String, ExpressibleByArgument, CaseIterable { case uuid, sequential }

    @Option(help: "batch: POST /v1/batch with --batch-size events; track: POST /v1/track, one event each.") var mode = Mode.batch
    @Option(help: "Concurrent connections.") var connections = 16
    @Option(help: "Events per batch (batch mode).") var batchSize = 100
    @Option(help: "Seconds to run (after a 2 s warm-up).") var seconds = 10.0
    @Option(help: "Distinct users the events come from.") var users = 10_000
    @Option(help: "uuid: random messageIds, as tracking libraries send them; sequential: c<connection>-<request>-<index>, cheaper to index.")
    var messageIds = MessageIds.uuid
    @Flag(help: "Serve with the example segments, scoring and workflows; send Page Viewed and Trial Started events; report the ingest-to-membership and event-to-entry lags.")
    var rules = false
    @Option(help: "Events per second to offer in total (0: as fast as the server answers).") var rate = 0.0
    @Option(help: "A PostgreSQL server to run on instead of a SQLite file (postgres://user@host:port/database): a fresh database is created there and dropped after.")
    var db: String?

    func run() async throws {
        try await ScratchDirectory.using("ingest") { try await run(in: $0) }
    }

    func run(in directory: String) async throws {
        if let db {
            try await ScratchPostgres.using(db, name: "trellis_bench_ingest") { scratch in try await run(on: scratch.url, postgres: true, directory: directory) }
        } else {
            try await run(on: directory + "/bench.db", postgres: false, directory: directory)
        }
    }

    /// One run on a fresh store: the server, the load, the report (and for SQLite the raw insert).
    func run(on database: String, postgres: Bool, directory: String) async throws {
        let store = try await openTrellisStore(path: database)
        let (key, _) = try await APIKeys.create(in: store, name: "bench", role: .write, source: "bench", at: SystemClock().now())
        try await store.shutdown()

        let ruleArguments =
            rules ? ["--segments", "examples/segments", "--scoring", "examples/scoring/default.yaml", "--workflows", "examples/workflows"] : []
        let server = try ServerProcess(database: database, arguments: ruleArguments)
        defer { server.stop() }
        print("trellis bench: \(postgres ? "PostgreSQL" : "SQLite"), \(mode.rawValue) mode, \(connections) connections\(mode == .batch ? ", \(batchSize) events a batch" : ""), \(Int(seconds)) s, server pid \(server.process.processIdentifier)")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pid = server.process.processIdentifier
        let result = try await drive(
            port: server.port, key: key, group: group, rss: { ServerProcess.residentMiB(pid: pid) }, cpu: { ServerProcess.cpuSeconds(pid: pid) })
        if rules { try await reportLag(port: server.port, group: group) }
        try await group.shutdownGracefully()
        server.stop()

        let check = try await openTrellisStore(path: database)
        let stored = try await check.eventCount()
        try await check.shutdown()
        report(result, stored: stored)
        if postgres { return }
        let baseline = try await SQLiteBaseline.insertEvents(
            path: directory + "/raw.db", rows: result.events, randomMessageIds: messageIds == .uuid, clock: Self.seconds)
        let rawRate = Double(result.events) / baseline
        print(String(format: "raw SQLite insert of the same %d rows: %.0f rows/s (%.2f s); HTTP ingest is %.0f%% of it", result.events, rawRate, baseline, result.rate / rawRate * 100))
    }

    struct Result {
        var events: Int
        var requests: Int
        var failures: Int
        var elapsed: Double
        var latencies: [Double]
        var memory: [(Double, Double)]
        /// CPU used over the measured seconds, in cores: the server process and this load generator.
        var serverCores = 0.0
        var clientCores = 0.0
        var commits: (first: CommitFigures, last: CommitFigures)?
        var rate: Double { Double(events) / elapsed }
    }

    /// The ingest path's group commits as the server's /metrics counts them.
    /// The server's commit totals (``ServerMetrics/CommitTotals``) and when they were read.
    struct CommitFigures: Sendable {
        /// When it was read (``BenchIngest/seconds()``).
        var at: Double
        var totals: ServerMetrics.CommitTotals
        var commits: Double { totals.commits }
        var messages: Double { totals.messages }
        var busySeconds: Double { totals.busySeconds }

        static func scrape(_ connection: LoadConnection?) async -> CommitFigures? {
            guard let connection, let text = try? await connection.get(path: "/metrics").body,
                let totals = ServerMetrics.CommitTotals(exposition: text)
            else { return nil }
            return CommitFigures(at: BenchIngest.seconds(), totals: totals)
        }
    }

    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    func drive(
        port: Int, key: String, group: MultiThreadedEventLoopGroup, rss: @escaping @Sendable () -> Double, cpu: @escaping @Sendable () -> Double
    ) async throws -> Result {
        let headers = HTTPHeaders([
            ("Host", "127.0.0.1"), ("Content-Type", "application/json"), ("Authorization", "Basic " + Data("\(key):".utf8).base64EncodedString()),
        ])
        let path = mode == .batch ? "/v1/batch" : "/v1/track"
        let perRequest = mode == .batch ? batchSize : 1
        let start = Self.seconds()
        let warmupEnd = start + 2
        let end = warmupEnd + seconds
        let memory = Mutex<[(Double, Double)]>([])
        // CPU of the server and of this process (the load generator) over the measured seconds:
        // a change's cost shows there even when the machine's speed swings from run to run.
        let cores = Mutex<(server: Double, client: Double)>((0, 0))
        // The group commits' figures from /metrics at the start and the end of the measured seconds.
        let commits = Mutex<(first: CommitFigures, last: CommitFigures)?>(nil)
        let sampler = Task {
            var first: (at: Double, server: Double, client: Double)?
            var last: (at: Double, server: Double, client: Double)?
            var firstCommits: CommitFigures?
            let scraper = try? await LoadConnection.connect(host: "127.0.0.1", port: port, group: group)
            while Self.seconds() < end {
                let now = Self.seconds()
                memory.withLock { $0.append((now - start, rss())) }
                if now >= warmupEnd {
                    let reading = (at: now, server: cpu(), client: ServerProcess.ownCPUSeconds())
                    if first == nil {
                        first = reading
                        firstCommits = await CommitFigures.scrape(scraper)
                    } else {
                        last = reading
                    }
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
            if let first, let last, last.at > first.at {
                cores.withLock { $0 = ((last.server - first.server) / (last.at - first.at), (last.client - first.client) / (last.at - first.at)) }
            }
            if let firstCommits, let lastCommits = await CommitFigures.scrape(scraper) { commits.withLock { $0 = (firstCommits, lastCommits) } }
            await scraper?.close()
        }
        let mode = self.mode
        let users = self.users
        let messageIds = self.messageIds
        let eventName = rules ? "Page Viewed" : "Bench Event"
        // With --rate, each connection sends on a fixed schedule rather than back to back.
        let interval = rate > 0 ? Double(connections * perRequest) / rate : 0
        let outcomes = try await withThrowingTaskGroup(of: (Int, Int, [Double]).self) { tasks in
            for connection in 0..<connections {
                tasks.addTask {
                    let client = try await LoadConnection.connect(host: "127.0.0.1", port: port, group: group)
                    var random = SplitMix64(seed: UInt64(connection) &* 7919 &+ 1)
                    var counted = 0
                    var failures = 0
                    var latencies: [Double] = []
                    var sequence = 0
                    var slot = start + interval * Double(connection) / Double(max(1, connections))
                    while true {
                        if interval > 0 {
                            slot += interval
                            let wait = slot - Self.seconds()
                            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                        }
                        let sent = Self.seconds()
                        if sent >= end { break }
                        let body = Self.body(
                            mode: mode, connection: connection, sequence: sequence, size: perRequest, users: users, timestamp: SystemClock().now().iso8601,
                            event: eventName, messageIds: messageIds, random: &random)
                        sequence += 1
                        let status = try await client.post(path: path, body: body, headers: headers)
                        let done = Self.seconds()
                        guard sent >= warmupEnd else { continue }
                        if status == 200 {
                            counted += 1
                            latencies.append(done - sent)
                        } else {
                            failures += 1
                        }
                    }
                    await client.close()
                    return (counted, failures, latencies)
                }
            }
            var all: [(Int, Int, [Double])] = []
            for try await outcome in tasks { all.append(outcome) }
            return all
        }
        await sampler.value
        let requests = outcomes.map(\.0).reduce(0, +)
        return Result(
            events: requests * perRequest, requests: requests, failures: outcomes.map(\.1).reduce(0, +), elapsed: seconds,
            latencies: outcomes.flatMap(\.2).sorted(), memory: memory.withLock { $0 }, serverCores: cores.withLock { $0.server },
            clientCores: cores.withLock { $0.client }, commits: commits.withLock { $0 })
    }

    /// A request body of `size` track calls from random users, stamped with the current time.
    static func body(
        mode: Mode, connection: Int, sequence: Int, size: Int, users: Int, timestamp: String, event: String = "Bench Event",
        messageIds: MessageIds = .uuid, random: inout SplitMix64
    ) -> ByteBuffer {
        var text = mode == .batch ? #"{"batch":["# : ""
        for index in 0..<size {
            if index > 0 { text += "," }
            let user = random.next() % UInt64(users)
            let path = index % 4 == 0 ? "/pricing" : "/blog/\(index % 7)"
            // With rules, one event in ten starts a trial: the trial workflow enrolls on it.
            let name = event == "Page Viewed" && index % 10 == 5 ? "Trial Started" : event
            let messageId = messageIds == .uuid ? Self.uuid(&random) : "c\(connection)-\(sequence)-\(index)"
            text += #"{"type":"track","userId":"user-\#(user)","event":"\#(name)","messageId":"\#(messageId)","#
            text += #""properties":{"plan":"pro","path":"\#(path)","i":\#(index)},"timestamp":"\#(timestamp)","#
            text += #""context":{"library":{"name":"trellis-bench","version":"1"},"ip":"203.0.113.7"}}"#
        }
        if mode == .batch { text += "]}" }
        return ByteBuffer(string: text)
    }

    /// A random version-4 UUID in its text form, from the bench's seeded generator.
    static func uuid(_ random: inout SplitMix64) -> String {
        let high = random.next() & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = random.next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        let hex = String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(16)
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    /// Waits for the qualify stage to catch up, then reads its lag histogram, and the workflow
    /// entry lag, from /metrics.
    func reportLag(port: Int, group: MultiThreadedEventLoopGroup) async throws {
        let client = try await LoadConnection.connect(host: "127.0.0.1", port: port, group: group)
        defer { Task { await client.close() } }
        var text = ""
        var previousCount = -1.0
        for _ in 0..<120 {
            text = try await client.get(path: "/metrics").body
            let count = Self.histogram("trellis_qualify_lag_seconds", in: text).last?.1 ?? 0
            if count > 0, count == previousCount { break }
            previousCount = count
            try await Task.sleep(for: .seconds(1))
        }
        Self.printPercentiles("ingest → segments and scores (qualify lag)", Self.histogram("trellis_qualify_lag_seconds", in: text))
        Self.printPercentiles("event → workflow entry (Trial Started → trial-to-activation)", Self.histogram("trellis_workflow_entry_lag_seconds", in: text))
    }

    /// A Prometheus histogram's cumulative buckets: (upper bound in seconds, count).
    static func histogram(_ name: String, in text: String) -> [(Double, Double)] {
        let prefix = name + "_bucket{le=\""
        return text.split(separator: "\n").compactMap { line -> (Double, Double)? in
            guard line.hasPrefix(prefix), let close = line.firstIndex(of: "}") else { return nil }
            let bound = line[line.index(line.startIndex, offsetBy: prefix.count)..<line.index(before: close)]
            guard let count = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)) else { return nil }
            return (bound == "+Inf" ? .infinity : Double(bound) ?? .infinity, count)
        }
    }

    static func printPercentiles(_ label: String, _ buckets: [(Double, Double)]) {
        guard let total = buckets.last?.1, total > 0 else {
            print("\(label): no figures")
            return
        }
        func percentile(_ p: Double) -> String {
            guard let bucket = buckets.first(where: { $0.1 >= total * p }) else { return "?" }
            return bucket.0.isInfinite ? "> \(buckets.dropLast().last.map { String(format: "%.0f s", $0.0) } ?? "?")" : String(format: "≤ %.0f ms", bucket.0 * 1000)
        }
        print("\(label), \(Int(total)) events: p50 \(percentile(0.5)), p90 \(percentile(0.9)), p99 \(percentile(0.99))")
    }

    func report(_ result: Result, stored: Int) {
        func percentile(_ p: Double) -> Double {
            guard !result.latencies.isEmpty else { return 0 }
            return result.latencies[min(result.latencies.count - 1, Int(Double(result.latencies.count) * p))] * 1000
        }
        print(String(format: "acknowledged: %d requests, %d events in %.1f s = %.0f events/s (%.0f requests/s); %d failed", result.requests, result.events, result.elapsed, result.rate, Double(result.requests) / result.elapsed, result.failures))
        print(String(format: "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f", percentile(0.5), percentile(0.9), percentile(0.99), (result.latencies.last ?? 0) * 1000))
        if result.serverCores > 0, result.rate > 0 {
            print(
                String(
                    format: "CPU: server %.2f cores (%.1f µs an event), load generator %.2f cores, of %d", result.serverCores,
                    result.serverCores / result.rate * 1e6, result.clientCores, ProcessInfo.processInfo.activeProcessorCount))
        }
        if let (first, last) = result.commits, last.at > first.at, last.commits > first.commits {
            let wall = last.at - first.at
            let commits = last.commits - first.commits
            let busy = last.busySeconds - first.busySeconds
            print(
                String(
                    format: "writer: busy with group commits %.0f%% of the measured seconds; %.0f commits a second, %.0f messages and %.1f ms a commit",
                    busy / wall * 100, commits / wall, (last.messages - first.messages) / commits, busy / commits * 1000))
        }
        let samples = result.memory.filter { $0.1 > 0 }
        if let first = samples.first(where: { $0.0 >= 2 }), let last = samples.last {
            let peak = samples.map(\.1).max() ?? 0
            print(String(format: "server memory (RSS): %.1f MiB after warm-up, %.1f MiB at the end, %.1f MiB peak", first.1, last.1, peak))
            let quarters = stride(from: 0, to: samples.count, by: max(1, samples.count / 6)).map { String(format: "%.0fs %.1f", samples[$0].0, samples[$0].1) }
            print("  samples (s MiB): " + quarters.joined(separator: ", "))
        }
        print("stored in the event log: \(stored) events (acknowledged \(result.events); the excess is warm-up and requests cut at the end)")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
