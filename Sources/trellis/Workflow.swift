import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer

struct Workflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow", abstract: "Work with nurture workflow files.", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check workflow files: syntax, goto targets, unreachable steps, loops without a wait, templates.",
            discussion: "Prints each problem as FILE:LINE: PATH: PROBLEM and exits with 1 if there is any. Folders are read for *.yaml files.")

        @Argument(help: "Workflow files or folders.") var files: [String]
        @Option(help: "A content folder: sends must name one of its templates.") var templates: String?

        func run() async throws {
            let paths = WorkflowFiles.expand(files)
            let known: Set<String>?
            do {
                known = try templates.map(WorkflowFiles.templateNames(directory:))
            } catch let error as FormFiles.LoadError {
                throw CommandFailure(error.description)
            }
            let (workflows, problems) = WorkflowFiles.check(files: paths, templates: known)
            for problem in problems { printError(problem.description) }
            guard problems.isEmpty else { throw ExitCode(1) }
            print("\(workflows.count) workflow\(workflows.count == 1 ? "" : "s") valid: \(workflows.map(\.name).joined(separator: ", "))")
        }
    }
}
