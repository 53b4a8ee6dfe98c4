import ArgumentParser
import Foundation
import TrellisCore
import TrellisStore

/// A full computation of a four-condition segment (one an event-count window) over a large store.
struct BenchSegments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segments", abstract: "Full segment computation over a large SQLite store: prints seconds and contacts/s.",
        discussion: "The store is built once (a few minutes for the default size) and reused by later runs.")

    @Option(help: "The benchmark store; built if missing.") var db = "trellis-bench-segments.db"
    @Option(help: "Contacts to generate.") var contacts = 1_000_000
    @Option(help: "Events to generate.") var events = 20_000_000
    @Option(help: "Days the events are spread over.") var days = 90
    @Flag(help: "Build the store again even if it exists.") var rebuild = false

    static let segmentJSON = #"""
        {"name":"bench-pricing-intent","match":{"all":[
          {"trait":"company_size","gte":50},
          {"event":"Page Viewed","where":{"path":"/pricing"},"count":{"gte":2},"within":"14d"},
          {"stage":{"in":["lead","mql"]}},
          {"not":{"unsubscribed":"email"}}]}}
        """#

    func run() async throws {
        let path = try SQLiteStore.path(fromURL: db)
        let now = Timestamp(millisecondsSinceEpoch: 1_795_000_000_000)
        if rebuild || !FileManager.default.fileExists(atPath: path) {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            let began = BenchIngest.seconds()
            try await SegmentBenchData.build(path: path, contacts: contacts, events: events, days: days, now: now) { print("  \($0)") }
            print(String(format: "built %@: %d contacts, %d events in %.1f s", path, contacts, events, BenchIngest.seconds() - began))
        }
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let stored = try await store.eventCount()
        let definition = try SegmentDefinition(json: try JSONValue(jsonText: Self.segmentJSON))
        if let old = try await store.segments().first(where: { $0.definition.name == definition.name }) { _ = try await store.deleteSegment(id: old.id) }
        let record = try await store.saveSegment(definition, at: now)
        let qualifier = Qualifier(catalog: try SegmentCatalog([definition]), model: nil)
        print("trellis bench segments: \(stored) events; rule: company_size ≥ 50, ≥ 2 pricing views within 14d, stage lead or mql, not unsubscribed")

        var began = BenchIngest.seconds()
        let preview = try await store.preview(definition.match, with: qualifier, at: now, sampleSize: 0)
        var elapsed = BenchIngest.seconds() - began
        print(String(format: "preview (count only): %d of %d contacts match, %.2f s (%.0f contacts/s)", preview.matching, preview.contacts, elapsed, Double(preview.contacts) / elapsed))

        for run in ["first computation (writes every entry)", "recomputation (nothing changed)"] {
            began = BenchIngest.seconds()
            let report = try await store.recompute(segmentId: record.id, with: qualifier, at: now) { _, _ in }
            elapsed = BenchIngest.seconds() - began
            print(String(format: "%@: %d members (+%d −%d) of %d contacts in %.2f s (%.0f contacts/s)", run, report.members, report.entered, report.exited, report.contacts, elapsed, Double(report.contacts) / elapsed))
        }
        try store.close()
    }
}
