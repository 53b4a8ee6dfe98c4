import ArgumentParser
import Foundation
import Hummingbird
import Logging
import TrellisCore
import TrellisServer
import TrellisStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (tracking API, management API, forms).")

    @OptionGroup var store: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0 picks a free one).") var port = 8080
    @Option(help: "A folder of form definitions (*.yaml) to load at start.") var forms: String?
    @Option(help: "A folder of segment definitions (*.yaml) to load at start.") var segments: String?
    @Option(help: "A scoring model (YAML) to put in force at start.") var scoring: String?
    @Option(help: "A folder of workflow files (*.yaml) to publish at start (a changed file becomes a new version).") var workflows: String?

    func run() async throws {
        let opened = try await store.openStore()
        let clock = SystemClock()
        if let forms { try await FormLoading.load(directory: forms, into: opened, at: clock.now()) }
        try await RuleLoading.load(segments: segments, scoring: scoring, workflows: workflows, into: opened, at: clock.now())
        let services = Services(store: opened, clock: clock)
        let qualifying = try await RuleLoading.startQualifying(services)
        defer { qualifying.cancel() }
        let app = buildApplication(services: services, configuration: .init(host: host, port: port)) { port in
            print("Trellis is listening on http://\(host):\(port)")
            fflush(nil)
        }
        try await app.runService()
    }
}

enum RuleLoading {
    static func load(segments: String?, scoring: String?, workflows: String? = nil, into store: any Store, at now: Timestamp) async throws {
        if let workflows {
            let (definitions, problems) = WorkflowFiles.check(files: WorkflowFiles.expand([workflows]), templates: nil)
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
        return Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await services.qualify.run() }
                group.addTask { await services.workflows.run() }
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
