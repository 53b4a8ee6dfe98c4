import ArgumentParser
import Foundation
import NIOCore
import TrellisCore
import TrellisMail
import TrellisServer

/// The send path (render the template, rewrite links, MIME, DKIM, SMTP) into a local sink such as
/// Postfix's smtp-sink; `scripts/bench-mail` runs it beside Postfix's smtp-source.
struct BenchMail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Messages per second through the send path (render, MIME, DKIM, SMTP) to a local SMTP sink.")

    @Option(help: "The sink: smtp://127.0.0.1:PORT?tls=none (start Postfix's smtp-sink there).") var smtp: String?
    @Option(help: "Messages to send.") var messages = 20_000
    @Option(help: "SMTP sessions (connections) at once.") var sessions = 1
    @Option(help: "A DKIM private key (PEM) to sign with.") var dkimKey: String?
    @Option(help: "ed25519-sha256 or rsa-sha256.") var dkimAlgorithm = "ed25519-sha256"
    @Option(help: "The content folder.") var content = "examples/content"
    @Option(help: "The template to send.") var template = "ebook-thank-you"
    @Flag(help: "Only print the size in bytes of one composed message (for smtp-source -l).") var sizeOnly = false

    func run() async throws {
        var config = TrellisConfig()
        config.content = content
        config.baseURL = "https://nurture.acme.example"
        config.sender = .init(
            from: MailAddress(name: "Acme", address: "hello@acme.example"), postalAddress: "Acme Inc., 1 Main St, Springfield, IL 62701, USA")
        let library: ContentLibrary
        do {
            library = try ContentLibrary(directory: content)
        } catch {
            throw CommandFailure(error.description)
        }
        var signers: [DKIMSigner] = []
        if let dkimKey {
            guard let pem = FileManager.default.contents(atPath: dkimKey).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw CommandFailure("\(dkimKey): cannot read the key file")
            }
            let key: DKIMSigner.Key = dkimAlgorithm.hasPrefix("ed25519") ? try .ed25519(pem: pem) : try .rsa(pem: pem)
            signers.append(DKIMSigner(domain: "acme.example", selector: "bench", key: key))
        }
        let setup = MailSetup(
            library: library, sender: config.sender, policy: config.sendPolicy, baseURL: config.baseURL!,
            signer: LinkSigner(secrets: [Array("bench-secret-0123456789abcdef".utf8)]), dkim: signers)
        let composer = MailComposer(setup: setup)
        let now = Timestamp(millisecondsSinceEpoch: 1_795_446_000_000)
        @Sendable func compose(_ index: Int) throws -> SMTPSession.Envelope {
            let contact = Contact(
                id: Int64(index + 1), email: "lead\(index)@example.com", traits: ["first_name": .string("Lead \(index)"), "company": "Initech"],
                firstSeen: now, lastSeen: now)
            return try composer.compose(sendId: Int64(index + 1), template: template, contact: contact, account: nil, at: now, random: UInt64(index)).envelope
        }
        let sample = try compose(0)
        if sizeOnly {
            print(sample.data.utf8.count)
            return
        }
        guard let smtp else { throw CommandFailure("--smtp: give the sink's address, smtp://127.0.0.1:PORT?tls=none") }
        let server: SMTPServerURL
        do {
            server = try SMTPServerURL(smtp)
        } catch {
            throw CommandFailure("--smtp: \(error)")
        }
        let label = signers.isEmpty ? "no DKIM" : dkimAlgorithm
        print("trellis bench mail: \(messages) messages of \(sample.data.utf8.count) bytes (template \(template), \(label)), \(sessions) session\(sessions == 1 ? "" : "s") to \(server.host):\(server.port)")

        // What composing alone costs (render, links, MIME, signature), on one thread.
        var began = BenchIngest.seconds()
        let composeCount = min(messages, 5_000)
        for index in 0..<composeCount { _ = try compose(index) }
        let composeRate = Double(composeCount) / (BenchIngest.seconds() - began)
        if let signer = signers.first {
            let unsigned = MailComposer(setup: MailSetup(library: library, sender: config.sender, policy: config.sendPolicy, baseURL: config.baseURL!, signer: setup.signer))
            let contact = Contact(id: 1, email: "lead@example.com", firstSeen: now, lastSeen: now)
            let data = try unsigned.compose(sendId: 1, template: template, contact: contact, account: nil, at: now, random: 1).envelope.data
            began = BenchIngest.seconds()
            for _ in 0..<composeCount { _ = try signer.sign(data, at: now) }
            print(String(format: "  signing alone (%@):          %8.0f messages/s on one thread", dkimAlgorithm, Double(composeCount) / (BenchIngest.seconds() - began)))
        }
        print(String(format: "  composing alone%@: %8.0f messages/s on one thread", signers.isEmpty ? "" : " (signature included)", composeRate))

        let pool = try SMTPPool(server: server, connections: sessions, hostname: "bench.acme.example", timeout: .seconds(30))
        let running = Task { await pool.run() }
        defer { running.cancel() }
        began = BenchIngest.seconds()
        let results = try await withThrowingTaskGroup(of: Bool.self, returning: (Int, Int).self) { group in
            var next = 0
            var delivered = 0, failed = 0
            let inFlight = sessions * 4
            func start(_ index: Int) {
                group.addTask {
                    let envelope = try compose(index)
                    if case .success = await pool.deliver(envelope) { return true }
                    return false
                }
            }
            while next < min(inFlight, messages) {
                start(next)
                next += 1
            }
            while let ok = try await group.next() {
                if ok { delivered += 1 } else { failed += 1 }
                if next < messages {
                    start(next)
                    next += 1
                }
            }
            return (delivered, failed)
        }
        let elapsed = BenchIngest.seconds() - began
        print(String(format: "  send path (render, MIME, %@, SMTP): %8.0f messages/s over %d session%@ (%d delivered, %d failed, %.2f s)",
            label, Double(results.0) / elapsed, sessions, sessions == 1 ? "" : "s", results.0, results.1, elapsed))
        if results.1 > 0 { throw ExitCode(1) }
    }
}
