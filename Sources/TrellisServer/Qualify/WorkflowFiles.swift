import Foundation
import TrellisCore
import TrellisMail

/// Reads workflow files and reports every problem with its file and line:
/// `workflows/mql.yaml:14: steps[3].wait: steps[3].wait needs a unit: 3d, 3h or 3m`.
public enum WorkflowFiles {
    /// The workflows that parsed, and every problem found in any file. `templates`, when given,
    /// are the template names sends may use; workflows may enroll into each other.
    public static func check(files: [String], templates: Set<String>?) -> (workflows: [WorkflowDefinition], problems: [FormFiles.LoadError]) {
        var parsed: [(file: String, document: YAMLDocument, workflow: WorkflowDefinition)] = []
        var problems: [FormFiles.LoadError] = []
        for file in files {
            do {
                guard let data = FileManager.default.contents(atPath: file) else { throw FormFiles.LoadError(file: file, line: nil, message: "cannot read the file") }
                let document = try YAMLDocument(String(decoding: data, as: UTF8.self), file: file)
                do {
                    parsed.append((file, document, try WorkflowDefinition(json: document.value)))
                } catch {
                    throw FormFiles.LoadError(file: file, line: document.line(for: error.field), message: error.description)
                }
            } catch let error as FormFiles.LoadError {
                problems.append(error)
            } catch {
                problems.append(FormFiles.LoadError(file: file, line: nil, message: "\(error)"))
            }
        }
        let names = Set(parsed.map(\.workflow.name))
        for entry in parsed {
            if parsed.filter({ $0.workflow.name == entry.workflow.name }).count > 1 {
                problems.append(FormFiles.LoadError(file: entry.file, line: entry.document.line(for: "workflow"), message: "workflow '\(entry.workflow.name)' is defined in more than one file"))
            }
            for problem in entry.workflow.problems(templates: templates, workflows: names) {
                problems.append(FormFiles.LoadError(file: entry.file, line: entry.document.line(for: problem.field), message: problem.description))
            }
        }
        return (parsed.map(\.workflow), problems)
    }

    /// Template names in a content folder: each file's name without its extension.
    public static func templateNames(directory: String) throws -> Set<String> {
        do {
            return Set(try ContentLibrary(directory: directory).names)
        } catch {
            throw FormFiles.LoadError(file: error.file, line: error.line, message: error.message)
        }
    }

    /// `*.yaml` / `*.yml` files of a folder, or the path itself when it is a file.
    public static func expand(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
                let names = try? FileManager.default.contentsOfDirectory(atPath: path)
            else { return [path] }
            return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        }
    }
}
