import ArgumentParser
import Foundation
import TrellisCore
import TrellisMail
import TrellisServer

struct Mail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Email tools: render a sample message as it would go over SMTP.", subcommands: [Sample.self])

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a sample marketing email (MIME, CRLF line ends), DKIM-signed when a key is given.",
            discussion: "Useful to check a DKIM key and DNS record: pipe the output to a verifier such as dkimpy's dkimverify.")

        @Option(help: "The recipient.") var to = "ada@example.com"
        @Option(help: "The sender, as From shows it.") var from = "Acme <hello@acme.example>"
        @Option(help: "A DKIM private key in PEM.") var dkimKey: String?
        @Option(help: "ed25519 or rsa.") var dkimAlgorithm = "ed25519"
        @Option(help: "The signing domain (d=); defaults to the sender's.") var dkimDomain: String?
        @Option(help: "The selector (s=).") var dkimSelector = "s1"
        @Option(help: "Send it to this server instead of printing it: smtp://[user:pass@]host:port?tls=none.") var smtp: String?

        func run() async throws {
            guard let sender = MailAddress(parsing: from) else { throw CommandFailure("--from: not an address: \(from)") }
            guard let recipient = MailAddress(parsing: to) else { throw CommandFailure("--to: not an address: \(to)") }
            var random = SystemRandomNumberGenerator()
            let id = String(random.next(), radix: 36)
            let message = MailMessage(
                from: sender, to: [recipient], subject: "Ihr Leitfaden zur CRM-Migration – 5 Fallstricke", date: SystemClock().now(),
                messageID: "<\(id)@\(sender.domain)>",
                headers: [
                    ("List-Unsubscribe", "<https://nurture.\(sender.domain)/u/sample-token>, <mailto:unsubscribe@\(sender.domain)?subject=sample-token>"),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ],
                text: "Hello Zoë,\n\nhere are the five pitfalls of a CRM migration.\n\nUnsubscribe: https://nurture.\(sender.domain)/u/sample-token\n",
                html: "<p>Hello Zoë,</p><p>here are the <b>five pitfalls</b> of a CRM migration.</p><p><a href=\"https://nurture.\(sender.domain)/u/sample-token\">Unsubscribe</a></p>")
            var rendered = message.render(boundary: "trellis-\(String(random.next(), radix: 36))")
            if let dkimKey {
                guard let pem = FileManager.default.contents(atPath: dkimKey).map({ String(decoding: $0, as: UTF8.self) }) else {
                    throw CommandFailure("\(dkimKey): cannot read the key file")
                }
                let key: DKIMSigner.Key
                do {
                    switch dkimAlgorithm {
                    case "ed25519": key = try .ed25519(pem: pem)
                    case "rsa": key = try .rsa(pem: pem)
                    default: throw CommandFailure("--dkim-algorithm: ed25519 or rsa, got '\(dkimAlgorithm)'")
                    }
                } catch let failure as CommandFailure {
                    throw failure
                } catch {
                    throw CommandFailure("\(dkimKey): not a usable \(dkimAlgorithm) private key (\(error))")
                }
                rendered = try DKIMSigner(domain: dkimDomain ?? sender.domain, selector: dkimSelector, key: key).sign(rendered, at: SystemClock().now())
            }
            guard let smtp else {
                FileHandle.standardOutput.write(Data(rendered.utf8))
                return
            }
            let server: SMTPServerURL
            do {
                server = try SMTPServerURL(smtp)
            } catch {
                throw CommandFailure("--smtp: \(error)")
            }
            do {
                let envelope = SMTPSession.Envelope(from: sender.address, recipients: [recipient.address], data: rendered)
                let results = try await SMTPClient.deliver([envelope], server: server)
                switch results.first {
                case .success(let reply)?: print("delivered to \(server.host):\(server.port): \(reply)")
                case .failure(let failure)?: throw CommandFailure("\(server.host):\(server.port): \(failure)")
                case nil: throw CommandFailure("\(server.host):\(server.port): nothing was sent")
                }
            } catch let failure as SMTPFailure {
                throw CommandFailure("\(server.host):\(server.port): \(failure)")
            }
        }
    }
}
