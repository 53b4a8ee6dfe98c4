import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer
import TrellisStore

/// Emails per second from one `trellis work` process and from several, on one PostgreSQL database:
/// the same queue of due sends each time, drained into a local SMTP sink. `scripts/bench-workers`
/// starts the database and the sink and runs it.
struct BenchWorkers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "Due sends drained per second by 1, 2, … `trellis work` processes sharing one PostgreSQL database.",
        discussion: """
            For each worker count: a fresh database on the server --db names, --sends consented contacts \
            with one marketing email each queued, then that many `trellis work` processes started at once. \
            The rate is counted from the first send recorded to the last; the database is dropped after.
            """)

    @Option(help: "A PostgreSQL server to create the benchmark databases on: postgres://user@host:port/database.") var db: String
    @Option(help: "The SMTP sink: smtp://127.0.0.1:PORT?tls=none (Postfix's smtp-sink).") var smtp: String
    @Option(help: "Sends to drain in each run.") var sends = 5_000
    @Option(help: "Worker counts to run, comma-separated.") var workers = "1,2"
    @Option(help: "SMTP connections of each worker (smtp_limits.connections).") var connections = 4
    @Option(help: "The content folder.") var content = "examples/content"
    @Option(help: "The template to send.") var template = "ebook-thank-you"

    func run() async throws {
        guard PostgresStore.handles(url: db) else { throw CommandFailure("--db: give a postgres:// URL (workers share a PostgreSQL database)") }
        let counts = workers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 && $0 <= 16 }) else { throw CommandFailure("--workers: give counts from 1 to 16, such as 1,2") }
        guard sends > 0 else { throw CommandFailure("--sends: give a positive number") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("trellis bench workers: \(sends) marketing emails (template \(template)) each run, \(connections) SMTP connections a worker, \(cores) cores, PostgreSQL at \(PostgresURL.redact(db))")
        var rates: [Int: Double] = [:]
        for count in counts {
            let rate = try await runOnce(workers: count)
            rates[count] = rate
        }
        if let one = rates[1] {
            for count in counts where count > 1 {
                print(String(format: "%d workers: %.2f× the sends per second of one", count, rates[count]! / one))
            }
        }
    }

    /// Seeds a fresh database, drains it with `workers` processes and returns sends per second.
    func runOnce(workers count: Int) async throws -> Double {
        try await ScratchPostgres.using(db, name: "trellis_bench_workers_\(count)") { scratch in try await runOnce(workers: count, on: scratch.url) }
    }

    func runOnce(workers count: Int, on url: String) async throws -> Double {
        try await ScratchDirectory.using("workers") { try await runOnce(workers: count, on: url, in: $0) }
    }

    func runOnce(workers count: Int, on url: String, in directory: String) async throws -> Double {
        let store = try PostgresStore.open(url: url, leaseTimeout: .seconds(60))
        try await store.migrate()
        var began = BenchIngest.seconds()
        let seeded = try await seed(store)

        let config = directory + "/trellis.yaml"
        try """
            base_url: https://nurture.acme.example
            sender: { from: "Acme <hello@acme.example>", postal_address: "Acme Inc., 1 Main St, Springfield, IL 62701, USA" }
            smtp: \(smtp)
            smtp_limits: { connections: \(connections), timeout: 30s }
            content: \(URL(fileURLWithPath: content).standardizedFileURL.path)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var processes: [Process] = []
        defer {
            for process in processes where process.isRunning { process.interrupt() }
            for process in processes { process.waitUntilExit() }
        }
        began = BenchIngest.seconds()
        for index in 0..<count {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["work", "--db", url, "--config", config]
            process.standardOutput = FileHandle.nullDevice
            let log = directory + "/worker\(index).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
            processes.append(process)
        }
        var first: Double?
        var counts: [String: Int] = [:]
        let deadline = began + 600
        while true {
            counts = try await store.emailSendCounts()
            let now = BenchIngest.seconds()
            let done = counts.filter { $0.key != "queued" && $0.key != "sending" }.values.reduce(0, +)
            if first == nil, done > 0 { first = now }
            if done >= sends { break }
            if let dead = processes.firstIndex(where: { !$0.isRunning }) {
                let log = (try? String(contentsOfFile: directory + "/worker\(dead).log", encoding: .utf8)) ?? ""
                throw CommandFailure(
                    "a worker exited with status \(processes[dead].terminationStatus); sends: \(counts); its last words:\n" + log.split(separator: "\n").suffix(5).joined(separator: "\n"))
            }
            if now > deadline { throw CommandFailure("the sends did not drain in 10 minutes: \(counts)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let end = BenchIngest.seconds()
        let cpu = processes.map { ServerProcess.cpuSeconds(pid: $0.processIdentifier) }
        for process in processes { process.interrupt() }
        for process in processes { process.waitUntilExit() }
        await store.close()
        let elapsed = end - (first ?? began)
        let rate = Double(counts["sent", default: 0]) / elapsed
        let outcomes = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let cpuText = cpu.map { String(format: "%.1f", $0) }.joined(separator: " + ")
        print(String(format: "%d worker%@: %.0f sends/s (%@ in %.2f s from the first send to the last; %.1f s from start); worker CPU %@ s; seeded: contacts %.1f s, sends queued %.1f s",
            count, count == 1 ? "" : "s", rate, outcomes, elapsed, end - began, cpuText, seeded.contacts, seeded.sends))
        if counts["sent", default: 0] != sends { throw CommandFailure("expected \(sends) sent, got \(outcomes); worker logs in \(directory)") }
        return rate
    }

    /// `sends` consented contacts, each with one marketing send queued.
    func seed(_ store: PostgresStore) async throws -> (contacts: Double, sends: Double) {
        let began = BenchIngest.seconds()
        let now = SystemClock().now()
        let consent = ConsentRecord(status: .granted, basis: .express, method: .formCheckbox, text: "Send me the guide and updates", recordedAt: now)
        var contactIds: [Int64] = []
        for start in stride(from: 0, to: sends, by: 500) {
            let messages = (start..<min(sends, start + 500)).map { index in
                IngestMessage(
                    TrackingMessage(
                        type: .identify, messageId: "bench-\(index)", userId: "lead-\(index)",
                        traits: ["email": .string("lead\(index)@example.com"), "first_name": .string("Lead \(index)"), "company": "Initech"]),
                    consent: consent)
            }
            let outcome = try await store.ingest([IngestBatch(source: "bench", receivedAt: now, messages: messages)])
            contactIds += outcome.flatMap { $0.contactIds }.compactMap { $0 }
        }
        let ingested = BenchIngest.seconds()
        let template = self.template
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, contactId) in contactIds.enumerated() {
                if index >= 8 { try await group.next() }
                group.addTask {
                    _ = try await store.queueSend(NewEmailSend(key: "bench-\(contactId)", contactId: contactId, template: template, kind: .marketing, at: now))
                }
            }
            try await group.waitForAll()
        }
        return (ingested - began, BenchIngest.seconds() - ingested)
    }
}
