import Foundation
import TrellisCore
import TrellisServer

/// Watches the workflow folders while the server runs: a changed, added or removed file is
/// validated and, when valid, published as the workflow's next version. A file with problems is
/// reported and the running version stays. Polls every `interval` (inotify is Linux-only, and
/// folders may be on network mounts).
struct WorkflowWatcher {
    let folders: [String]
    let templates: String?
    let services: Services
    var interval: Duration = .seconds(2)

    /// The files' names and contents: what a change is.
    func fingerprint() -> [String: Data] {
        var files: [String: Data] = [:]
        for path in WorkflowFiles.expand(folders) { files[path] = FileManager.default.contents(atPath: path) }
        return files
    }

    func run() async {
        var last = fingerprint()
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let current = fingerprint()
            guard current != last else { continue }
            last = current
            let known = templates.flatMap { try? WorkflowFiles.templateNames(directory: $0) }
            let (_, problems) = WorkflowFiles.check(files: WorkflowFiles.expand(folders), templates: known)
            guard problems.isEmpty else {
                printError("workflow files changed but were not loaded:\n" + problems.map(\.description).joined(separator: "\n"))
                continue
            }
            do {
                try await RuleLoading.load(segments: nil, scoring: nil, workflows: folders, into: services.store, at: services.clock.now())
                try await services.workflows.reload()
                services.workflows.notify()
                print("workflow files changed: loaded")
                fflush(nil)
            } catch {
                printError("workflow files changed but were not loaded: \(error)")
            }
        }
    }
}
