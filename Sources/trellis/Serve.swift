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

    func run() async throws {
        let opened = try await store.openStore()
        let clock = SystemClock()
        if let forms { try await FormLoading.load(directory: forms, into: opened, at: clock.now()) }
        let services = Services(store: opened, clock: clock)
        let app = buildApplication(services: services, configuration: .init(host: host, port: port)) { port in
            print("Trellis is listening on http://\(host):\(port)")
            fflush(nil)
        }
        try await app.runService()
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
