/// One good row of a contact import, ready to store.
public struct ImportedContact: Sendable, Equatable {
    public var line: Int
    public var email: String
    public var traits: [String: JSONValue]
    public var stage: LifecycleStage?
    public var owner: String?
    public var tags: [String]
    public var consent: ConsentRecord?
    /// A digest of the row's content: re-importing the same row is recognised and skipped.
    public var rowDigest: String
}

/// A row that was refused, with its line number in the file.
public struct ImportRowError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: String?
    public var message: String
    public var description: String { "line \(line)\(column.map { " (\($0))" } ?? ""): \(message)" }
}

/// Turns a HubSpot / Mailchimp style CSV into contacts. Bad rows are reported with their line and
/// never stop the good ones.
public enum ContactImport {
    public static func read(_ text: String, fileName: String, importedAt: Timestamp) throws(InputError) -> (rows: [ImportedContact], errors: [ImportRowError]) {
        let records = try CSVParser.parse(text)
        guard let header = records.first else { throw InputError(code: "csv_empty", message: "the file is empty: a header row is needed", field: "line 1") }
        let meanings = header.fields.map(ContactColumns.meaning(of:))
        guard meanings.contains(.trait("email")) else {
            throw InputError(code: "csv_no_email_column", message: "no email column (expected 'Email' or 'Email Address')", field: "line \(header.line)")
        }
        var rows: [ImportedContact] = []
        var errors: [ImportRowError] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            if record.fields.allSatisfy({ $0.trimmed.isEmpty }) { continue }
            if record.fields.count != header.fields.count {
                errors.append(ImportRowError(line: record.line, column: nil, message: "has \(record.fields.count) columns; the header has \(header.fields.count)"))
                continue
            }
            switch readRow(record, header: header.fields, meanings: meanings, fileName: fileName, importedAt: importedAt) {
            case .success(let row):
                if let first = seen[row.email.lowercased()] {
                    errors.append(ImportRowError(line: record.line, column: "Email", message: "\(row.email) appears again (first on line \(first)); this row is skipped"))
                    continue
                }
                seen[row.email.lowercased()] = record.line
                rows.append(row)
            case .failure(let error):
                errors.append(error)
            }
        }
        return (rows, errors)
    }

    static func readRow(
        _ record: CSVRecord, header: [String], meanings: [ContactColumns.Meaning], fileName: String, importedAt: Timestamp
    ) -> Result<ImportedContact, ImportRowError> {
        var traits: [String: JSONValue] = [:]
        var stage: LifecycleStage?
        var owner: String?
        var tags: [String] = []
        var optIn: Timestamp?
        var confirmed: Timestamp?
        var unsubscribed: Timestamp?
        var optInIP: String?
        for (index, raw) in record.fields.enumerated() {
            let value = CSVParser.unescapedFormula(raw.trimmed)
            if value.isEmpty { continue }
            let column = header[index]
            func timestamp() -> Result<Timestamp, ImportRowError> {
                guard let parsed = ISO8601.parse(value) else {
                    return .failure(ImportRowError(line: record.line, column: column, message: "'\(value)' is not a date and time (expected 2026-01-31 14:05:00)"))
                }
                return .success(parsed)
            }
            switch meanings[index] {
            case .trait(let name):
                if name == "email" {
                    guard Traits.isPlausibleEmail(value) else {
                        return .failure(ImportRowError(line: record.line, column: column, message: "'\(value)' is not an email address"))
                    }
                }
                if name == "employees", let number = Int64(value.filter { $0 != "," }) {
                    traits[name] = .int(number)
                } else {
                    traits[name] = .string(value)
                }
            case .stage:
                guard let parsed = LifecycleStage(label: value) else {
                    return .failure(ImportRowError(line: record.line, column: column, message: "unknown lifecycle stage '\(value)'"))
                }
                stage = parsed
            case .owner: owner = value
            case .tags: tags = value.split(separator: ",").map { String($0).trimmed.trimmingQuotes }.filter { !$0.isEmpty }
            case .optInTime:
                switch timestamp() { case .success(let t): optIn = t; case .failure(let e): return .failure(e) }
            case .confirmTime:
                switch timestamp() { case .success(let t): confirmed = t; case .failure(let e): return .failure(e) }
            case .unsubscribeTime:
                switch timestamp() { case .success(let t): unsubscribed = t; case .failure(let e): return .failure(e) }
            case .optInIP: optInIP = value
            case .ignored: break
            }
        }
        guard let email = traits["email"]?.stringValue else {
            return .failure(ImportRowError(line: record.line, column: "Email", message: "no email address"))
        }
        if !tags.isEmpty { traits["tags"] = .array(tags.map { .string($0) }) }
        var consent: ConsentRecord?
        if let unsubscribed {
            consent = ConsentRecord(status: .withdrawn, basis: .express, method: .import, location: fileName, ipAddress: nil, recordedAt: unsubscribed)
        } else if let given = confirmed ?? optIn {
            consent = ConsentRecord(
                status: .granted, basis: .express, method: confirmed != nil ? .doubleOptIn : .import,
                text: "Opted in before import (per the source system's record)", location: fileName, ipAddress: optInIP, recordedAt: given)
        }
        let digest = ContentDigest.hex(of: zip(header, record.fields).map { "\($0)=\($1)" }.joined(separator: "\u{1F}"))
        return .success(ImportedContact(line: record.line, email: email, traits: traits, stage: stage, owner: owner, tags: tags, consent: consent, rowDigest: digest))
    }
}

extension String {
    var trimmingQuotes: String {
        var text = self
        while text.hasPrefix("\"") { text.removeFirst() }
        while text.hasSuffix("\"") { text.removeLast() }
        return text
    }
}
