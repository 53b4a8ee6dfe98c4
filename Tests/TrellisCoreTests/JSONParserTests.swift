import Testing
@testable import TrellisCore

@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONParser.SyntaxError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesEveryKind() throws {
        let value = try parse(#"{"a": [1, -2.5, 1e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}}"#)
        #expect(value["a"] == [1, -2.5, 1000.0, true, false, nil, "x\né😀"])
        #expect(value["b"] == .object([:]))
    }

    @Test func keepsLargeIntegersExact() throws {
        #expect(try parse("9007199254740993") == .int(9_007_199_254_740_993))
    }

    @Test(arguments: [
        ("{", "expected a string key"), ("[1", "unexpected end of input"), ("{\"a\" 1}", "expected ':'"), ("[1,]", "unexpected character"), ("\"\u{01}\"", "control character"),
        ("01", "unexpected data"), ("{\"a\":1}x", "unexpected data"), ("\"\\ud800\"", "surrogate"), ("tru", "unexpected end"),
    ])
    func reportsErrors(text: String, fragment: String) {
        #expect {
            try parse(text)
        } throws: { error in
            (error as? JSONParser.SyntaxError)?.message.contains(fragment) ?? false
        }
    }

    @Test func errorsCarryLineAndColumn() {
        do {
            _ = try parse("{\n  \"a\": 1,\n  \"b\": ]\n}")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
        }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.SyntaxError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(throws: Never.self) { try parse(fine) }
    }

    @Test func measuresTopLevelArrayElements() throws {
        let text = #"{"batch": [{"a":1}, {"bb": "xyz"}], "other": [1,2,3]}"#
        let (_, sizes) = try JSONParser.parse(Array(text.utf8), measuringElementsOf: "batch")
        #expect(sizes == [7, 13])
    }

    @Test func serializerRoundTrips() throws {
        let value: JSONValue = ["z": "quote \" backslash \\ newline \n tab \t bell \u{07}", "a": [1, 2.5, nil, true], "n": -0.5]
        let text = value.jsonText
        #expect(try JSONValue(jsonText: text) == value)
        #expect(text.hasPrefix("{\"a\":"))  // keys sorted: stable bytes for equal values
    }
}
