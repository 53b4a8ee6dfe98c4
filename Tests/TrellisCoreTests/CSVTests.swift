import Testing
@testable import TrellisCore

@Suite struct CSVTests {
    @Test func parsesQuotesAndLineEnds() throws {
        let records = try CSVParser.parse("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",z\n")
        #expect(records.map(\.fields) == [["a", "b"], ["x, y", "say \"hi\""], ["multi\nline", "z"]])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func detectsSemicolonsAndBOM() throws {
        let records = try CSVParser.parse("\u{FEFF}Email;Name\na@b.co;Ann\n")
        #expect(records[1].fields == ["a@b.co", "Ann"])
    }

    @Test func unterminatedQuoteNamesTheLine() {
        #expect(throws: InputError.self) { try CSVParser.parse("a,b\n1,\"open\n2,3\n") }
    }

    @Test func mapsHubSpotAndMailchimpColumns() {
        #expect(ContactColumns.meaning(of: "Email Address") == .trait("email"))
        #expect(ContactColumns.meaning(of: "First Name") == .trait("firstName"))
        #expect(ContactColumns.meaning(of: "FNAME") == .trait("firstName"))
        #expect(ContactColumns.meaning(of: "Job Title") == .trait("title"))
        #expect(ContactColumns.meaning(of: "Lifecycle Stage") == .stage)
        #expect(ContactColumns.meaning(of: "OPTIN_TIME") == .optInTime)
        #expect(ContactColumns.meaning(of: "Favourite Colour") == .trait("favourite_colour"))
    }

    @Test func importKeepsGoodRowsAndNumbersBadOnes() throws {
        let csv = """
            Email,First Name,Lifecycle Stage,OPTIN_TIME
            ada@acme.example,Ada,Marketing Qualified Lead,2025-03-01 10:00:00
            not-an-email,Bob,Lead,
            carol@acme.example,Carol,Wizard,
            dave@acme.example,Dave,,yesterday
            ADA@acme.example,Ada again,,
            erin@acme.example,Erin
            frank@acme.example,Frank,Lead,
            """
        let result = try ContactImport.read(csv, fileName: "people.csv", importedAt: Timestamp(millisecondsSinceEpoch: 0))
        #expect(result.rows.map(\.email) == ["ada@acme.example", "frank@acme.example"])
        #expect(result.rows[0].stage == .mql)
        #expect(result.rows[0].consent?.status == .granted)
        #expect(result.rows[0].consent?.recordedAt == ISO8601.parse("2025-03-01T10:00:00Z"))
        #expect(result.errors.map(\.line) == [3, 4, 5, 6, 7])
    }

    @Test func sameRowSameDigest() throws {
        let csv = "Email,First Name\na@b.co,A\n"
        let first = try ContactImport.read(csv, fileName: "f", importedAt: Timestamp(millisecondsSinceEpoch: 0)).rows[0].rowDigest
        let second = try ContactImport.read(csv, fileName: "f", importedAt: Timestamp(millisecondsSinceEpoch: 99)).rows[0].rowDigest
        let changed = try ContactImport.read("Email,First Name\na@b.co,B\n", fileName: "f", importedAt: Timestamp(millisecondsSinceEpoch: 0)).rows[0].rowDigest
        #expect(first == second)
        #expect(first != changed)
    }

    @Test func exportRowUsesHubSpotLabels() {
        let contact = Contact(
            id: 1, email: "a@b.co", traits: ["firstName": "A", "company": "Acme, Inc."], stage: .sql, firstSeen: Timestamp(millisecondsSinceEpoch: 0),
            lastSeen: Timestamp(millisecondsSinceEpoch: 0))
        let row = ContactColumns.exportRow(contact)
        #expect(row.count == ContactColumns.exportHeaders.count)
        #expect(row[5] == "Sales Qualified Lead")
        #expect(CSVParser.escape(row[3]) == "\"Acme, Inc.\"")
    }

    /// A job title of `=HYPERLINK(...)` from a public form must not run in the spreadsheet the
    /// export is opened in; numbers keep their sign; an import of the export gets the text back.
    @Test func exportDefusesFormulasAndImportRestoresThem() throws {
        #expect(CSVParser.escape("=HYPERLINK(\"http://x.example\",\"click\")") == "\"'=HYPERLINK(\"\"http://x.example\"\",\"\"click\"\")\"")
        #expect(CSVParser.escape("@SUM(A1:A2)") == "'@SUM(A1:A2)")
        #expect(CSVParser.escape("+1 555 0100") == "'+1 555 0100")
        #expect(CSVParser.escape("-2+3") == "'-2+3")
        #expect(CSVParser.escape("\tcmd") == "'\tcmd")
        #expect(CSVParser.escape("-12") == "-12")
        #expect(CSVParser.escape("+3.5") == "+3.5")
        #expect(CSVParser.escape("Ada") == "Ada")
        #expect(CSVParser.escape("'quoted'") == "'quoted'")
        #expect(CSVParser.unescapedFormula("'=1+1") == "=1+1")
        #expect(CSVParser.unescapedFormula("'quoted'") == "'quoted'")

        let contact = Contact(
            id: 1, email: "eve@acme.example", traits: ["firstName": "=cmd|' /C calc'!A0", "company": "@Acme, Inc.", "title": "-VP"],
            firstSeen: Timestamp(millisecondsSinceEpoch: 0), lastSeen: Timestamp(millisecondsSinceEpoch: 0))
        let line = ContactColumns.exportRow(contact).map(CSVParser.escape).joined(separator: ",")
        let cells = try CSVParser.parse(line, separator: ",")[0].fields
        #expect(!cells.contains { $0.hasPrefix("=") || $0.hasPrefix("@") || $0.hasPrefix("-") })
        let csv = ContactColumns.exportHeaders.map(CSVParser.escape).joined(separator: ",") + "\n" + line + "\n"
        let imported = try ContactImport.read(csv, fileName: "export.csv", importedAt: Timestamp(millisecondsSinceEpoch: 0))
        #expect(imported.errors.isEmpty)
        #expect(imported.rows.first?.traits["firstName"] == "=cmd|' /C calc'!A0")
        #expect(imported.rows.first?.traits["company"] == "@Acme, Inc.")
        #expect(imported.rows.first?.traits["title"] == "-VP")
    }
}
