import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer
import TrellisStore

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import data.", subcommands: [Contacts.self])

    struct Contacts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import contacts from a CSV file with HubSpot or Mailchimp export columns.",
            discussion: """
                Rows are matched to contacts by email (ignoring case); re-running the same file changes nothing. \
                Bad rows are reported as FILE:LINE and skipped; the good rows are still imported, and the exit status is 1.
                """)

        @OptionGroup var store: StoreOptions
        @Argument(help: "The CSV file.") var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("\(file): cannot read the file") }
            guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
                throw CommandFailure("\(file): the file is not text")
            }
            let opened = try await store.openStore()
            let now = SystemClock().now()
            let fileName = (file as NSString).lastPathComponent
            let read: (rows: [ImportedContact], errors: [ImportRowError])
            do {
                read = try ContactImport.read(text, fileName: fileName, importedAt: now)
            } catch {
                throw CommandFailure("\(file)\(error.field.map { ":\($0.replacingOccurrences(of: "line ", with: ""))" } ?? ""): \(error.message)")
            }
            for error in read.errors { printError("\(file):\(error.line): \(error.column.map { "\($0): " } ?? "")\(error.message)") }
            var stored = 0
            var unchanged = 0
            var erased = 0
            for chunk in stride(from: 0, to: read.rows.count, by: 500).map({ Array(read.rows[$0..<min($0 + 500, read.rows.count)]) }) {
                let batch = IngestBatch(source: "import", receivedAt: now, messages: chunk.map(Self.message))
                let outcome = try await opened.ingest([batch])[0]
                stored += outcome.stored
                unchanged += outcome.duplicates
                erased += outcome.erased
            }
            print(
                "\(fileName): \(read.rows.count) contacts read; \(stored) imported or updated, \(unchanged) unchanged since an earlier import; \(read.errors.count) rows refused."
                    + (erased > 0 ? " \(erased) not imported: erased on request (GDPR)." : ""))
            if !read.errors.isEmpty { throw ExitCode(1) }
        }

        static func message(_ row: ImportedContact) -> IngestMessage {
            var traits = row.traits
            traits["email"] = .string(row.email)
            let identify = TrackingMessage(type: .identify, messageId: "import-\(row.rowDigest)", traits: traits, context: ["source": "csv-import"])
            return IngestMessage(identify, consent: row.consent, stage: row.stage, owner: row.owner)
        }
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export data.", subcommands: [Contacts.self])

    struct Contacts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write all contacts as CSV with HubSpot's export columns.")

        @OptionGroup var store: StoreOptions
        @Option(name: .shortAndLong, help: "The file to write (default: standard output).") var output: String?

        func run() async throws {
            let opened = try await store.openStore()
            var lines = [ContactColumns.exportHeaders.map(CSVParser.escape).joined(separator: ",")]
            var after: Int64?
            while true {
                let page = try await opened.contacts(ContactQuery(afterId: after, limit: 1000))
                for contact in page where contact.email != nil {
                    lines.append(ContactColumns.exportRow(contact).map(CSVParser.escape).joined(separator: ","))
                }
                guard page.count == 1000, let last = page.last else { break }
                after = last.id
            }
            let text = lines.joined(separator: "\r\n") + "\r\n"
            if let output {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
                printError("Wrote \(lines.count - 1) contacts to \(output).")
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
