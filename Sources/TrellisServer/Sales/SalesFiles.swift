import Foundation
import TrellisCore

/// Reads `sales.yaml`; errors name the file, the line and the path (`sales.yaml:14: owners[2].team: …`).
public enum SalesFiles {
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SalesSetup {
        guard let data = FileManager.default.contents(atPath: file) else { throw FormFiles.LoadError(file: file, line: nil, message: "cannot read the file") }
        let document = try YAMLDocument(String(decoding: data, as: UTF8.self), file: file)
        do {
            var setup = try SalesSetup(json: document.value)
            // The webhook secret is better kept out of the file.
            if let secret = environment["TRELLIS_WEBHOOK_SECRET"], setup.handoff.webhook != nil { setup.handoff.webhook?.secret = secret }
            if let webhook = setup.handoff.webhook, webhook.secret.utf8.count < 16 {
                throw FormFiles.LoadError(
                    file: file, line: document.line(for: "handoff.webhook"),
                    message: "handoff.webhook.secret: at least 16 characters (or set TRELLIS_WEBHOOK_SECRET) so receivers can check the signature")
            }
            return setup
        } catch let error as InputError {
            throw FormFiles.LoadError(file: file, line: document.line(for: error.field), message: error.description)
        }
    }
}
