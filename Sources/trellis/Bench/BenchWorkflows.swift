import ArgumentParser
import Foundation
import TrellisCore
import TrellisStore

/// Due workflow steps on SQLite: a million runs wake at once and each executes update steps.
struct BenchWorkflows: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflows", abstract: "Workflow step executions per second on SQLite: runs that are due execute update steps.")

    @Option(help: "Runs (one per contact), all due at the start.") var runs = 1_000_000
    @Option(help: "Runs per engine pass (one transaction).") var batch = 5_000

    static let workflowJSON = #"""
        {"workflow":"bench-updates","trigger":{"event":"Bench Started"},
         "steps":[{"wait":"1m"},{"update":{"traits":{"nurture_track":"bench"}}},{"update":{"tags":["benched"]}},{"exit":true}]}
        """#

    func run() async throws {
        try await ScratchDirectory.using("wf") { try await run(in: $0) }
    }

    func run(in directory: String) async throws {
        let path = directory + "/workflows.db"
        let workflow = try WorkflowDefinition(json: try JSONValue(jsonText: Self.workflowJSON))
        let now = Timestamp(millisecondsSinceEpoch: 1_795_000_000_000)
        var began = BenchIngest.seconds()
        try await WorkflowBenchData.build(path: path, contacts: runs, workflow: workflow, at: now)
        print(String(format: "trellis bench workflows: %d runs due, each: wait over → update traits → update tags → exit; store built in %.1f s", runs, BenchIngest.seconds() - began))
        let store = try SQLiteStore(path: path)
        let set = try WorkflowSet([WorkflowSet.Version(definition: workflow, version: 1, status: .published)])
        var total = WorkflowReport()
        began = BenchIngest.seconds()
        while true {
            let report = try await store.advanceWorkflows(set, at: now, limit: batch)
            total.dueRuns += report.dueRuns
            total.actions += report.actions
            total.finished += report.finished
            if report.dueRuns == 0 { break }
        }
        let elapsed = BenchIngest.seconds() - began
        let updates = total.actions - total.finished
        print(String(format: "%d runs, %d step executions (%d of them updates, %d exits) in %.2f s: %.0f step executions/s, %.0f runs/s",
            total.dueRuns, total.actions, updates, total.finished, elapsed, Double(total.actions) / elapsed, Double(total.dueRuns) / elapsed))
        try store.close()
    }
}
