/// One record of a CSV file, with the line it starts on (a quoted field may span lines).
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]
}

/// An RFC 4180 reader: quoted fields with doubled quotes, CRLF or LF line ends, a UTF-8 BOM, and
/// `,` or `;` as the separator (Excel in many locales writes `;`).
public enum CSVParser {
    public static func parse(_ text: String, separator: Character? = nil) throws(InputError) -> [CSVRecord] {
        var scalars = Substring(text).unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        let separatorScalar: Unicode.Scalar = separator?.unicodeScalars.first ?? detectSeparator(scalars)
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var fieldWasQuoted = false
        var iterator = scalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()

        func endRecord() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) {
                records.append(CSVRecord(line: recordLine, fields: fields))
            }
            fields = []
            fieldWasQuoted = false
        }

        while let scalar = pending {
            pending = iterator.next()
            if inQuotes {
                if scalar == "\"" {
                    if pending == "\"" {
                        field.append("\"")
                        pending = iterator.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty:
                inQuotes = true
                fieldWasQuoted = true
            case separatorScalar:
                fields.append(String(field))
                field = String.UnicodeScalarView()
            case "\r":
                if pending == "\n" { pending = iterator.next() }
                endRecord()
                line += 1
                recordLine = line
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.append(scalar)
            }
        }
        if inQuotes { throw InputError(code: "csv_unterminated_quote", message: "a quoted field that starts on line \(recordLine) is never closed", field: "line \(recordLine)") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }

    private static func detectSeparator(_ scalars: Substring.UnicodeScalarView) -> Unicode.Scalar {
        var commas = 0
        var semicolons = 0
        for scalar in scalars {
            if scalar == "\n" { break }
            if scalar == "," { commas += 1 } else if scalar == ";" { semicolons += 1 }
        }
        return semicolons > commas ? ";" : ","
    }

    /// Quotes a field when it needs it, for writing CSV, and defuses text a spreadsheet would run
    /// as a formula (OWASP's CSV injection): a field that starts with `=`, `+`, `-`, `@`, a tab or
    /// a carriage return, and is not a plain number, is written with a leading `'`, which Excel,
    /// LibreOffice and Google Sheets show as text. `unescapedFormula(_:)` takes it off on import.
    public static func escape(_ field: String) -> String {
        var field = field
        if startsLikeFormula(field) { field = "'" + field }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }) else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }

    /// A field `escape(_:)` defused (`'=…`, `'+…`, …) as it was before; any other field unchanged.
    public static func unescapedFormula(_ field: String) -> String {
        guard field.first == "'" else { return field }
        let rest = String(field.dropFirst())
        return startsLikeFormula(rest) ? rest : field
    }

    private static func startsLikeFormula(_ field: String) -> Bool {
        guard let first = field.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return false }
        return !isPlainNumber(field)
    }

    /// `-12`, `+3.5`, `-0.25`: signed decimal numbers, which stay as they are.
    private static func isPlainNumber(_ field: String) -> Bool {
        var scalars = field.unicodeScalars[...]
        if let sign = scalars.first, sign == "-" || sign == "+" { scalars = scalars.dropFirst() }
        let parts = scalars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts.isEmpty, !parts[0].isEmpty else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.allSatisfy { ("0"..."9").contains($0) } }
    }
}

extension String {
    /// Every occurrence of a character replaced (CSV quoting, MIME and DKIM text).
    public func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        result.reserveCapacity(count)
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
