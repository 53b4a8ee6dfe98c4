import Testing
@testable import TrellisCore

@Suite struct TrackingPayloadTests {
    func decode(_ text: String, _ type: MessageType? = nil, limits: TrackingLimits = .segment) throws(InputError) -> TrackingPayload {
        try TrackingPayload.decode(Array(text.utf8), type: type, limits: limits)
    }

    func error(_ text: String, _ type: MessageType? = nil, limits: TrackingLimits = .segment) -> InputError? {
        do {
            _ = try decode(text, type, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func decodesATrackCall() throws {
        let payload = try decode(
            #"{"userId":"u1","event":"Signed Up","properties":{"plan":"pro"},"messageId":"m1","timestamp":"2026-01-01T00:00:00Z","writeKey":"k"}"#, .track)
        let message = try #require(payload.messages.first)
        #expect(message.name == "Signed Up")
        #expect(message.properties["plan"] == "pro")
        #expect(message.messageId == "m1")
        #expect(payload.writeKey == "k")
    }

    @Test func correctsClockSkewFromSentAt() throws {
        // The device clock is an hour fast; the call happened 10 s before it was sent.
        let payload = try decode(
            #"{"anonymousId":"a","event":"E","timestamp":"2026-01-01T13:00:00Z","sentAt":"2026-01-01T13:00:10Z"}"#, .track)
        let received = ISO8601.parse("2026-01-01T12:00:30Z")!
        #expect(payload.messages[0].correctedTimestamp(receivedAt: received) == ISO8601.parse("2026-01-01T12:00:20Z")!)
    }

    @Test func batchSentAtAppliesToEachMessage() throws {
        let payload = try decode(
            #"{"sentAt":"2026-01-01T00:00:10Z","batch":[{"type":"track","anonymousId":"a","event":"E","timestamp":"2026-01-01T00:00:00Z"}]}"#)
        let received = ISO8601.parse("2026-01-01T00:01:00Z")!
        #expect(payload.messages[0].correctedTimestamp(receivedAt: received) == ISO8601.parse("2026-01-01T00:00:50Z")!)
    }

    @Test func withoutTimestampsReceivedAtStands() throws {
        let payload = try decode(#"{"anonymousId":"a","event":"E"}"#, .track)
        let received = Timestamp(millisecondsSinceEpoch: 42)
        #expect(payload.messages[0].correctedTimestamp(receivedAt: received) == received)
    }

    @Test func requiresAnIdentity() {
        let failure = error(#"{"event":"E"}"#, .track)
        #expect(failure?.code == "missing_identity")
        #expect(failure?.field == "userId")
    }

    @Test func trackRequiresEvent() {
        #expect(error(#"{"userId":"u"}"#, .track)?.field == "event")
        #expect(error(#"{"userId":"u","event":""}"#, .track)?.field == "event")
    }

    /// Write keys are public: a track call must not pass for Trellis's own record (a forged
    /// "Sales Feedback" would add its amount to the revenue in the funnel report).
    @Test func eventsTrellisWritesItselfAreRefused() {
        let failure = error(
            #"{"batch":[{"type":"track","userId":"u","event":"Viewed"},{"type":"track","userId":"u","event":"Sales Feedback","properties":{"outcome":"won","amount":1e9}}]}"#)
        #expect(failure?.code == "reserved_event")
        #expect(failure?.field == "batch[1].event")
        #expect(failure?.message.contains("'Sales Feedback'") == true)
        for name in ["Lifecycle Stage Changed", "Handed Off", "Contacts Merged", "Segment Entered", "Email Sent", "Workflow Exited"] {
            #expect(error(#"{"userId":"u","event":"\#(name)"}"#, .track)?.code == "reserved_event", "\(name)")
        }
        // Names from Segment's own specs that visitors' tools send stay accepted.
        for name in ["Email Opened", "Unsubscribed", "Form Submitted", "Demo Requested"] {
            #expect(error(#"{"userId":"u","event":"\#(name)"}"#, .track) == nil, "\(name)")
        }
    }

    @Test func groupAndAliasRequireTheirIds() {
        #expect(error(#"{"userId":"u"}"#, .group)?.field == "groupId")
        #expect(error(#"{"userId":"u"}"#, .alias)?.field == "previousId")
        #expect(error(#"{"previousId":"p"}"#, .alias)?.field == "userId")
    }

    @Test func badTimestampIsNamed() {
        let failure = error(#"{"userId":"u","event":"E","timestamp":"last tuesday"}"#, .track)
        #expect(failure?.code == "invalid_timestamp")
        #expect(failure?.field == "timestamp")
    }

    /// Found by schemathesis: a year-0 timestamp was stored and served as "-5952-…", which is no
    /// ISO 8601 date-time. Times outside 1970–9999 are refused, and a skew "correction" that would
    /// leave that range keeps the client's timestamp.
    @Test func timesOutsideTheEventRangeAreRefusedOrNotCorrected() throws {
        #expect(error(#"{"userId":"u","event":"E","timestamp":"0001-01-01T00:00:00Z"}"#, .track)?.field == "timestamp")
        #expect(error(#"{"userId":"u","event":"E","sentAt":"1969-12-31T23:59:59Z"}"#, .track)?.field == "sentAt")
        let payload = try decode(#"{"userId":"u","event":"E","timestamp":"2000-01-01T00:00:00Z","sentAt":"9999-01-01T00:00:00Z"}"#, .track)
        let received = ISO8601.parse("2026-01-01T00:00:00Z")!
        #expect(payload.messages[0].correctedTimestamp(receivedAt: received) == ISO8601.parse("2000-01-01T00:00:00Z")!)
    }

    @Test func batchErrorsNameTheMessage() {
        let failure = error(#"{"batch":[{"type":"track","userId":"u","event":"ok"},{"type":"track","userId":"u"}]}"#)
        #expect(failure?.field == "batch[1].event")
        #expect(error(#"{"batch":[{"type":"purchase","userId":"u"}]}"#)?.field == "batch[0].type")
        #expect(error(#"{"batch":[]}"#)?.field == "batch")
        #expect(error(#"{"batch":{}}"#)?.field == "batch")
    }

    @Test func numericIdsAreAccepted() throws {
        let payload = try decode(#"{"userId":12345,"traits":{}}"#, .identify)
        #expect(payload.messages[0].userId == "12345")
    }

    @Test func propertiesMustBeAnObject() {
        #expect(error(#"{"userId":"u","event":"E","properties":[1]}"#, .track)?.field == "properties")
    }

    @Test func enforcesMessageAndBatchLimits() {
        let big = String(repeating: "x", count: 40_000)
        let single = error(#"{"userId":"u","event":"E","properties":{"p":"\#(big)"}}"#, .track)
        #expect(single?.kind == .tooLarge)
        let inBatch = error(#"{"batch":[{"type":"track","userId":"u","event":"E"},{"type":"track","userId":"u","event":"E","properties":{"p":"\#(big)"}}]}"#)
        #expect(inBatch?.code == "message_too_large")
        #expect(inBatch?.field == "batch[1]")
        let limits = TrackingLimits(maxMessageBytes: 32 * 1024, maxBatchBytes: 1024)
        #expect(error(#"{"batch":[{"type":"track","userId":"u","event":"\#(String(repeating: "y", count: 2000))"}]}"#, limits: limits)?.kind == .tooLarge)
    }

    @Test func batchContextMergesUnderMessageContext() throws {
        let payload = try decode(#"{"context":{"library":{"name":"x"},"ip":"1.1.1.1"},"batch":[{"type":"page","anonymousId":"a","context":{"ip":"2.2.2.2"}}]}"#)
        #expect(payload.messages[0].context["ip"] == "2.2.2.2")
        #expect(payload.messages[0].context["library"] == ["name": "x"])
    }

    @Test func missingMessageIdIsDerivedFromContent() throws {
        let first = try decode(#"{"userId":"u","event":"E","timestamp":"2026-01-01T00:00:00Z"}"#, .track).messages[0].messageId
        let again = try decode(#"{"timestamp":"2026-01-01T00:00:00Z","event":"E","userId":"u"}"#, .track).messages[0].messageId
        let other = try decode(#"{"userId":"u","event":"F","timestamp":"2026-01-01T00:00:00Z"}"#, .track).messages[0].messageId
        #expect(first == again)
        #expect(first != other)
    }

    @Test func refusesNonObjectBodies() {
        #expect(error("[]", .track)?.code == "invalid_body")
        #expect(error("{not json", .track)?.code == "invalid_json")
    }
}
