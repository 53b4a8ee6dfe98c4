import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run workflows for scripted contacts on a virtual clock and print what each contact would receive, when.")

    @Argument(help: "Workflow files or folders.") var workflows: [String]
    @Option(help: "The scenario: start time, contacts and their events.") var scenario: String
    @Flag(help: "Print JSON: {\"contacts\": {id: [entries]}, \"steps\": {workflow: {step: {action: count}}}}.") var json = false

    func run() async throws {
        let (definitions, problems) = WorkflowFiles.check(files: WorkflowFiles.expand(workflows), templates: nil)
        for problem in problems { printError(problem.description) }
        guard problems.isEmpty else { throw ExitCode(1) }
        let script: Scenario
        do {
            guard let data = FileManager.default.contents(atPath: scenario) else { throw FormFiles.LoadError(file: scenario, line: nil, message: "cannot read the file") }
            let document = try YAMLDocument(String(decoding: data, as: UTF8.self), file: scenario)
            do {
                script = try Scenario(json: document.value)
            } catch {
                throw FormFiles.LoadError(file: scenario, line: document.line(for: error.field), message: error.description)
            }
        } catch let error as FormFiles.LoadError {
            throw CommandFailure(error.description)
        }
        let result = try Simulator(workflows: definitions).run(script)
        if json {
            print(Self.json(result).jsonText)
            return
        }
        for contact in script.contacts {
            print(contact.id)
            for entry in result.timelines[contact.id] ?? [] {
                let day = Double(entry.at.millisecondsSinceEpoch - script.start.millisecondsSinceEpoch) / 86_400_000
                print(String(format: "  day %5.1f  %@  %@  %-8@ %@", day, entry.at.iso8601, entry.workflow, entry.action, entry.detail))
            }
        }
    }

    static func json(_ result: Simulator.Result) -> JSONValue {
        var contacts: [String: JSONValue] = [:]
        for (id, entries) in result.timelines {
            contacts[id] = .array(entries.map { entry in
                ["at": .string(entry.at.iso8601), "workflow": .string(entry.workflow), "step": .string(entry.step), "action": .string(entry.action), "detail": .string(entry.detail)]
            })
        }
        let steps = result.steps.mapValues { bySteps in JSONValue.object(bySteps.mapValues { counts in .object(counts.mapValues { .int(Int64($0)) }) }) }
        return ["contacts": .object(contacts), "steps": .object(steps)]
    }
}
