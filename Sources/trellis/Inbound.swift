import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer

struct Inbound: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Process one bounce (DSN), complaint (ARF) or unsubscribe email read from standard input.",
        discussion: """
            For an MTA's pipe transport, e.g. in Postfix's master.cf:
              trellis unix - n n - - pipe user=trellis argv=/usr/local/bin/trellis inbound --db /var/lib/trellis/trellis.db
            Exits 0 when the message was processed, 65 (EX_DATAERR) when it is not a report Trellis understands.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The operators' configuration, for the link secret and bounces.soft_limit.") var config: String?

    func run() async throws {
        let settings = try loadSettings(config)
        let opened = try await store.openStore()
        let raw = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let setup = try await MailSetup.make(config: settings, store: opened, defaultBaseURL: "http://127.0.0.1", configFile: config)
        let processor = InboundProcessor(store: opened, clock: SystemClock(), signer: setup.signer, softBounceLimit: settings.bounces.softLimit)
        do {
            let outcome = try await processor.process(raw)
            print(
                "\(outcome.kind): suppressed \(outcome.suppressed.isEmpty ? "none" : outcome.suppressed.joined(separator: ", "))"
                    + (outcome.events.isEmpty ? "" : "; events \(outcome.events.joined(separator: ", "))"))
            for note in outcome.notes { print("  \(note)") }
        } catch let error as InboundProcessor.Unrecognized {
            printError("stdin: \(error.description)")
            throw ExitCode(65)
        }
    }
}
