import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TrellisCore
import TrellisMail
import TrellisServer
import TrellisStore

/// Routing decisions in the core: territory rules, round robin and capacity over the example
/// sales file, for synthetic leads. Prints the time per decision.
struct BenchRouting: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "routing", abstract: "Time per routing decision (the example sales file, synthetic leads).")

    @Option(help: "The sales file.") var sales = "examples/sales/team.yaml"
    @Option(help: "Decisions to time.") var decisions = 200_000

    func run() async throws {
        let setup: SalesSetup
        do {
            setup = try SalesFiles.load(file: sales, environment: [:])
        } catch let error as FormFiles.LoadError {
            throw CommandFailure(error.description)
        }
        let router = LeadRouter(setup: setup)
        let now = Timestamp(millisecondsSinceEpoch: 1_795_446_000_000)
        var random = SplitMix64(seed: 1)
        let countries = ["DE", "FR", "US", "CA", "GB", "BR", "JP", "NL"]
        let leads = (0..<1_000).map { index -> ContactFacts in
            var facts = ContactFacts(
                contact: Contact(
                    id: Int64(index), email: "l\(index)@example.com",
                    traits: ["country": .string(countries[Int(random.next() % 8)]), "company_size": .int(Int64(random.next() % 2_000))], firstSeen: now,
                    lastSeen: now))
            facts.eventsByName["Page Viewed"] = (0..<Int(random.next() % 4)).map { _ in EventFact(timestamp: now.adding(days: -1), properties: ["path": "/pricing"]) }
            return facts
        }
        var loads: [String: Int] = [:]
        var cursors: [String: Int] = [:]
        var samples: [Double] = []
        samples.reserveCapacity(decisions)
        let began = BenchIngest.seconds()
        for index in 0..<decisions {
            let start = BenchIngest.seconds()
            guard let decision = router.route(leads[index % leads.count], accountOwner: nil, loads: loads, cursors: cursors, at: now) else { continue }
            _ = router.suggestedNextStep(leads[index % leads.count], at: now)
            samples.append(BenchIngest.seconds() - start)
            if let cursor = decision.cursor { cursors[decision.team] = cursor }
            loads[decision.owner.id, default: 0] = (loads[decision.owner.id, default: 0] + 1) % (decision.owner.capacity + 5)
        }
        let total = BenchIngest.seconds() - began
        samples.sort()
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] * 1_000_000 }
        print(String(format: "trellis bench routing: %d decisions (territory rules, round robin, capacity, next step) in %.2f s", samples.count, total))
        print(String(format: "  per decision: p50 %.1f µs, p99 %.1f µs, max %.1f µs (goal < 1 ms)", percentile(0.5), percentile(0.99), samples.last! * 1_000_000))
    }
}

/// CRM webhook delivery from the outbox to a local HTTP receiver that fails one request in ten
/// (500), so retries are part of the run.
struct BenchWebhooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "webhooks", abstract: "Webhook deliveries per second to a local receiver, with retries.")

    @Option(help: "Deliveries.") var deliveries = 5_000
    @Option(help: "Payload size in bytes.") var size = 2_048

    func run() async throws {
        try await ScratchDirectory.using("hooks") { try await run(in: $0) }
    }

    func run(in directory: String) async throws {
        let store = try SQLiteStore(path: directory + "/hooks.db")
        try await store.migrate()
        let received = Mutex((ok: 0, failed: 0))
        let router = Router()
        router.post("hook") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            let fail = received.withLock { counts in
                let fail = (counts.ok + counts.failed) % 10 == 9
                if fail { counts.failed += 1 } else { counts.ok += 1 }
                return fail
            }
            return Response(status: fail ? .internalServerError : .ok)
        }
        let portBox = Mutex(0)
        var quiet = Logger(label: "bench.receiver")
        quiet.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portBox.withLock { $0 = channel.localAddress?.port ?? 0 } }, logger: quiet)
        let serving = Task { try await app.runService() }
        defer { serving.cancel() }
        while portBox.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        let port = portBox.withLock { $0 }
        let clock = ManualClock(now: Timestamp(millisecondsSinceEpoch: 1_795_446_000_000))
        let payload = "{\"event\":\"handoff.created\",\"pad\":\"" + String(repeating: "x", count: max(0, size - 40)) + "\"}"
        for _ in 0..<deliveries {
            try await store.queueWebhook(handoffId: nil, kind: "handoff.created", url: "http://127.0.0.1:\(port)/hook", payload: payload, at: clock.now())
        }
        let service = SalesService(store: store, clock: clock)
        var setup = try SalesFiles.load(file: "examples/sales/team.yaml", environment: [:])
        setup.handoff.webhook = WebhookTarget(url: "http://127.0.0.1:\(port)/hook", secret: "bench-secret-0123456789", maxAttempts: 5)
        await service.configure(setup, signer: .init(secrets: [Array("bench".utf8)]), baseURL: "http://127.0.0.1", alerts: nil, scorer: { nil })
        await service.setRetrain(nil)
        let began = BenchIngest.seconds()
        var delivered = 0, failedAttempts = 0
        while delivered < deliveries {
            let report = try await service.drain()
            delivered += report.webhooksDelivered
            failedAttempts += report.webhooksFailed
            if report.webhooksDelivered == 0, report.webhooksFailed == 0 { clock.advance(milliseconds: 60_000) }  // the retries' backoff
        }
        let elapsed = BenchIngest.seconds() - began
        let dead = try await store.webhookDeliveries(status: .dead, limit: 10).count
        print(String(format: "trellis bench webhooks: %d deliveries of %d bytes, signed, to a local receiver that answers 500 to one request in ten", deliveries, payload.utf8.count))
        print(String(format: "  %.0f deliveries/s (%.2f s; %d failed attempts retried, %d dead; goal at least 500/s)", Double(delivered) / elapsed, elapsed, failedAttempts, dead))
    }
}
