import Testing
@testable import TrellisCore

@Suite struct ISO8601Tests {
    @Test(arguments: [
        ("2026-11-23T18:34:05Z", Int64(1_795_458_845_000)),
        ("2026-11-23T18:34:05.123Z", 1_795_458_845_123),
        ("2026-11-23T18:34:05.1239Z", 1_795_458_845_123),
        ("2026-11-23T20:34:05+02:00", 1_795_458_845_000),
        ("2026-11-23T13:34:05-0500", 1_795_458_845_000),
        ("2026-11-23 18:34:05", 1_795_458_845_000),
        ("2026-11-23", 1_795_392_000_000),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
    ])
    func parses(text: String, milliseconds: Int64) {
        #expect(ISO8601.parse(text)?.millisecondsSinceEpoch == milliseconds)
    }

    @Test(arguments: ["", "yesterday", "2026-13-01", "2023-02-29", "2026-11-23T25:00:00Z", "2026-11-23T18:34:05+", "2026-11-23T18:34:05Zjunk", "1700000000"])
    func refusesMalformed(text: String) {
        #expect(ISO8601.parse(text) == nil)
    }

    @Test func formatsAndRoundTrips() {
        let timestamp = Timestamp(millisecondsSinceEpoch: 1_795_458_845_123)
        #expect(timestamp.iso8601 == "2026-11-23T18:34:05.123Z")
        #expect(ISO8601.parse(timestamp.iso8601) == timestamp)
        let early = Timestamp(millisecondsSinceEpoch: -1)
        #expect(early.iso8601 == "1969-12-31T23:59:59.999Z")
    }

    @Test func manualClockMovesOnlyWhenTold() {
        let clock = ManualClock(now: Timestamp(millisecondsSinceEpoch: 0))
        #expect(clock.now().millisecondsSinceEpoch == 0)
        clock.advance(days: 2)
        #expect(clock.now().millisecondsSinceEpoch == 2 * 86_400_000)
    }
}
