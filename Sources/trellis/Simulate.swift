import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run workflows for scripted contacts on a virtual clock and print what each contact would receive, when.")

    @Argument(help: "Workflow files or folders.") var workflows: [String]
    @Option(help: "The scenario: start time, contacts and their events.") var scenario: String?
    @Option(help: "Instead of a scenario: this many synthetic leads with plausible behaviour.") var synthetic: Int?
    @Option(help: "Days the synthetic leads are spread over and simulated for.") var days = 30
    @Flag(help: "Print JSON: {\"contacts\": {id: [entries]}, \"steps\": {workflow: {step: {action: count}}}}.") var json = false

    func validate() throws {
        guard (scenario == nil) != (synthetic == nil) else { throw ValidationError("give either --scenario FILE or --synthetic N") }
        if let synthetic, synthetic < 1 || synthetic > 10_000_000 { throw ValidationError("--synthetic must be from 1 to 10,000,000") }
    }

    func run() async throws {
        let (definitions, problems) = WorkflowFiles.check(files: WorkflowFiles.expand(workflows), templates: nil)
        for problem in problems { printError(problem.description) }
        guard problems.isEmpty else { throw ExitCode(1) }
        if let synthetic {
            try runSynthetic(synthetic, workflows: definitions)
            return
        }
        let scenario = self.scenario!
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
        let result = try Simulator(workflows: definitions, zones: SystemTimeZones()).run(script)
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

    func runSynthetic(_ count: Int, workflows: [WorkflowDefinition]) throws {
        let start = ISO8601.parse("2026-01-05T09:00:00Z")!
        let began = ContinuousClock.now
        let script = SyntheticLeads.scenario(count: count, days: days, start: start, workflows: workflows)
        let result = try Simulator(workflows: workflows, zones: SystemTimeZones()).run(script)
        let elapsed = ContinuousClock.now - began
        if json {
            print(JSONValue.object(["steps": Self.json(result)["steps"] ?? .null, "leads": .int(Int64(count)), "days": .int(Int64(days))]).jsonText)
            return
        }
        print("\(count) synthetic leads over \(days) days, simulated in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .abbreviated)))")
        let programs = try workflows.map { try WorkflowProgram($0) }
        for program in programs {
            let steps = result.steps[program.definition.name] ?? [:]
            let entered = steps["trigger"]?["enter"] ?? 0
            print("\n\(program.definition.name): \(entered) entered")
            var seen: Set<String> = []
            for step in program.paths where seen.insert(step).inserted {
                guard let counts = steps[step], !counts.isEmpty else { continue }
                print("  \(step.padding(toLength: 28, withPad: " ", startingAt: 0)) " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            let exits = result.timelines.values.flatMap { $0 }.filter { $0.workflow == program.definition.name && $0.action == "exit" }
            let reasons = Dictionary(grouping: exits) { String($0.detail.prefix { $0 != ":" }) }.mapValues(\.count)
            print("  exits: " + reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ", still running \(entered - exits.count)")
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
