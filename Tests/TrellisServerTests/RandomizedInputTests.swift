import Foundation
import PropertyBased
import Testing
import TrellisCore
import TrellisMail
@testable import TrellisServer

/// Randomized inputs (swift-property-based) against every parser that reads what outsiders send or
/// operators write: the tracking API decoder, hosted form bodies and definitions, delivery reports
/// (DSN / ARF), segment rules, scoring models and workflows. Each property: no crash, and every
/// rejection is a clear error (a message, a code, and for YAML files the line of the problem).
///
/// Inputs are valid documents with random edits (characters that matter to the format inserted,
/// replaced or deleted; lines cut) and plain random bytes. A failure prints its input and a seed to
/// reproduce it with `.fixedSeed(...)`.
@Suite struct RandomizedInputTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: "\(root)/\(path)", encoding: .utf8)) ?? ""
    }

    /// Random edits, each a number: what to do, where, and with which character.
    static let edits = Gen.int(in: 0...Int(Int32.max)).array(of: 1...10)
    static let bytes = Gen<UInt8>.value(in: 0...255).array(of: 0...400)

    // MARK: Tracking API

    static let batch = #"""
        {"writeKey":"wk","batch":[
          {"type":"identify","userId":"u-1","anonymousId":"a-1","traits":{"email":"ada@example.com","plan":"pro"},"timestamp":"2026-03-01T10:00:00Z","messageId":"m-1"},
          {"type":"track","userId":"u-1","event":"Demo Requested","properties":{"n":1.5,"ok":true,"list":[1,null]},"sentAt":"2026-03-01T10:00:01.250Z","messageId":"m-2"},
          {"type":"page","anonymousId":"a-2","name":"Pricing","properties":{"path":"/pricing"},"context":{"ip":"10.0.0.1"}},
          {"type":"group","userId":"u-1","groupId":"g-1","traits":{"name":"Acme"}},
          {"type":"alias","userId":"u-1","previousId":"a-1"}
        ]}
        """#

    @Test func trackingBodiesAreDecodedOrRejectedWithAReason() async {
        #expect(throws: Never.self) { try TrackingPayload.decode(Array(Self.batch.utf8), type: nil) }
        var tally = Tally()
        await propertyCheck(count: 1500, input: Self.edits) { edits in
            let body = Mutation.apply(edits, to: Self.batch)
            Self.decodeTracking(Array(body.utf8), type: nil, tally: &tally)
        }
        await propertyCheck(count: 500, input: Self.bytes) { bytes in
            Self.decodeTracking(bytes, type: nil, tally: &tally)
            Self.decodeTracking(bytes, type: .track, tally: &tally)
        }
        tally.expectBoth()
    }

    static func decodeTracking(_ body: [UInt8], type: MessageType?, tally: inout Tally) {
        do {
            let payload = try TrackingPayload.decode(body, type: type)
            #expect(!payload.messages.isEmpty)
            tally.accepted += 1
        } catch {
            #expect(!error.message.isEmpty && !error.code.isEmpty, "rejected without a reason: \(error)")
            tally.rejected += 1
        }
    }

    // MARK: Forms

    @Test func formDefinitionsAndSubmissionsNeverCrash() async throws {
        let text = Self.read("examples/forms/demo-request.yaml")
        let form = try FormFiles.parse(text, file: "demo-request.yaml")
        var tally = Tally()
        await propertyCheck(count: 800, input: Self.edits) { edits in
            Self.expectClearRejection(file: "demo-request.yaml", tally: &tally) { _ = try FormFiles.parse(Mutation.apply(edits, to: text), file: "demo-request.yaml") }
        }
        tally.expectBoth()
        var submissions = Tally()
        let body = "email=ada%40example.com&first_name=Ada&company=Acme+Ltd&consent=on&_fields=email,first_name,company&website="
        await propertyCheck(count: 1500, input: Self.edits) { edits in
            let values = HostedFormsController.urlDecoded(Mutation.apply(edits, to: body))
            switch form.validate(values, shown: values["_fields"].map { $0.split(separator: ",").map(String.init) }) {
            case .success(let submission):
                #expect(!submission.email.isEmpty)
                submissions.accepted += 1
            case .failure(let errors):
                #expect(!errors.errors.isEmpty && errors.errors.allSatisfy { !$0.field.isEmpty && !$0.message.isEmpty })
                submissions.rejected += 1
            }
        }
        submissions.expectBoth()
    }

    // MARK: Delivery reports

    @Test func deliveryReportsAreParsedOrRejectedWithAReason() async {
        for fixture in ["postfix-bounce.eml", "arf-complaint.eml"] {
            let text = Self.read("Tests/TrellisMailTests/Fixtures/\(fixture)")
            #expect(throws: Never.self) { try DeliveryReport(parsing: text) }
            var tally = Tally()
            await propertyCheck(count: 800, input: Self.edits) { edits in
                do throws(DeliveryReport.Invalid) {
                    _ = try DeliveryReport(parsing: Mutation.apply(edits, to: text))
                    tally.accepted += 1
                } catch {
                    #expect(!error.description.isEmpty)
                    tally.rejected += 1
                }
            }
            tally.expectBoth()
        }
        await propertyCheck(count: 300, input: Self.bytes) { bytes in
            #expect(throws: DeliveryReport.Invalid.self) { try DeliveryReport(parsing: String(decoding: bytes, as: UTF8.self)) }
        }
    }

    // MARK: Rules and workflows

    @Test func segmentRulesAndScoringModelsAreReadOrRejectedWithALine() async throws {
        let segments = try FileManager.default.contentsOfDirectory(atPath: "\(Self.root)/examples/segments").sorted()
        var tally = Tally()
        for name in segments {
            let text = Self.read("examples/segments/\(name)")
            #expect(throws: Never.self) { try Self.parse(text, file: name) { value throws(InputError) in try SegmentDefinition(json: value) } }
            await propertyCheck(count: 300, input: Self.edits) { edits in
                Self.expectClearRejection(file: name, tally: &tally) { _ = try Self.parse(Mutation.apply(edits, to: text), file: name) { value throws(InputError) in try SegmentDefinition(json: value) } }
            }
        }
        let model = Self.read("examples/scoring/default.yaml")
        await propertyCheck(count: 600, input: Self.edits) { edits in
            Self.expectClearRejection(file: "default.yaml", tally: &tally) { _ = try Self.parse(Mutation.apply(edits, to: model), file: "default.yaml") { value throws(InputError) in try ScoringModel(json: value) } }
        }
        tally.expectBoth()
    }

    @Test func workflowsAreReadOrRejectedWithALine() async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(Self.root)/examples/workflows").sorted()
        var tally = Tally()
        for name in names {
            let text = Self.read("examples/workflows/\(name)")
            #expect(throws: Never.self) { try Self.parse(text, file: name) { value throws(InputError) in try WorkflowDefinition(json: value) } }
            await propertyCheck(count: 200, input: Self.edits) { edits in
                Self.expectClearRejection(file: name, tally: &tally) {
                    let workflow = try Self.parse(Mutation.apply(edits, to: text), file: name) { value throws(InputError) in try WorkflowDefinition(json: value) }
                    for problem in workflow.problems(templates: nil, workflows: nil) {
                        #expect(!problem.message.isEmpty && problem.field != nil, "a workflow problem without its place: \(problem)")
                    }
                }
            }
        }
        tally.expectBoth()
    }

    /// YAML text to a definition, errors with file and line, as the file loaders report them.
    static func parse<T>(_ text: String, file: String, _ read: (JSONValue) throws(InputError) -> T) throws -> T {
        let document = try YAMLDocument(text, file: file)
        do {
            return try read(document.value)
        } catch {
            throw FormFiles.LoadError(file: file, line: document.line(for: error.field), message: error.description)
        }
    }

    /// The body either succeeds or throws a ``FormFiles/LoadError`` naming the file with a message
    /// (and a line, unless the YAML itself could not be read as text).
    static func expectClearRejection(file: String, tally: inout Tally, _ body: () throws -> Void) {
        do {
            try body()
            tally.accepted += 1
        } catch let error as FormFiles.LoadError {
            tally.rejected += 1
            #expect(error.file == file && !error.message.isEmpty, "unclear rejection: \(error)")
            #expect(error.line != nil || error.message.hasPrefix("invalid YAML") || error.message == "the file is empty", "no line: \(error)")
        } catch {
            Issue.record("rejected with something other than a load error: \(error)")
        }
    }
}

/// How many random inputs a parser took and refused: a property over inputs that are all refused
/// (or all taken) tests less than it seems to.
struct Tally {
    var accepted = 0
    var rejected = 0

    func expectBoth(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(accepted > 0 && rejected > 0, "accepted \(accepted), rejected \(rejected)", sourceLocation: sourceLocation)
    }
}

/// Random edits of a valid document: the characters that matter to JSON, YAML, MIME and
/// urlencoded text, inserted, replaced or deleted, and whole lines cut or doubled.
enum Mutation {
    static let alphabet: [String] = [
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\n", " ", "  ", "-", "0", "1", "-1", "1e999", ".", "'", "#", "&", "=", "%", "%zz", "+",
        "null", "true", "~", "*", "!", "|", ">", "\t", "\r\n", "\u{0}", "é", "😀", "\u{FEFF}", "&&", "--", "boundary", ";", "@", "<", "9999999999999999999999",
    ]

    static func apply(_ edits: [Int], to text: String) -> String {
        var characters = Array(text)
        for edit in edits {
            let at = characters.isEmpty ? 0 : (edit / 8) % (characters.count + 1)
            let piece = Array(alphabet[(edit / 4096) % alphabet.count])
            switch edit % 8 {
            case 0, 1: characters.insert(contentsOf: piece, at: at)
            case 2, 3: if at < characters.count { characters.replaceSubrange(at...at, with: piece) }
            case 4: if at < characters.count { characters.removeSubrange(at..<min(characters.count, at + 1 + edit % 5)) }
            case 5: characters.removeSubrange(lineRange(in: characters, around: at))
            case 6: let line = lineRange(in: characters, around: at); characters.insert(contentsOf: characters[line], at: line.lowerBound)
            default: characters = Array(characters.prefix(at))
            }
        }
        return String(characters)
    }

    static func lineRange(in characters: [Character], around index: Int) -> Range<Int> {
        var start = min(index, characters.count), end = start
        while start > 0, characters[start - 1] != "\n" { start -= 1 }
        while end < characters.count, characters[end] != "\n" { end += 1 }
        return start..<min(characters.count, end + 1)
    }
}
