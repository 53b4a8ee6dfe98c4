import Testing
import TrellisCore

@Suite struct TraitsTests {
    @Test func timeZoneNamesAreTakenOnlyInTheirIANAShape() {
        for zone in ["Europe/Amsterdam", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "America/Port-au-Prince", "Etc/GMT-14"] {
            #expect(Traits.isPlausibleTimeZone(zone), "\(zone)")
        }
        for zone in ["", "/etc/passwd", "Europe//Paris", "Europe/", "+02:00", "Europe/Am sterdam", "Europe/Zürich", "1/2", String(repeating: "A", count: 65)] {
            #expect(!Traits.isPlausibleTimeZone(zone), "\(zone)")
        }
        #expect(Traits.timeZone(inContext: ["timezone": "Europe/Berlin"]) == "Europe/Berlin")
        #expect(Traits.timeZone(inContext: ["timezone": 60]) == nil)
        #expect(Traits.timeZone(inContext: [:]) == nil)
    }

    @Test func aProfileCallFillsTheTimeZoneOnlyWhereThereIsNone() {
        let device: [String: JSONValue] = ["timezone": "America/New_York", "locale": "en-US"]
        var traits: [String: JSONValue] = ["email": "ada@acme.example"]
        #expect(Traits.fillTimeZone(&traits, from: TrackingMessage(type: .identify, messageId: "1", userId: "u", context: device)))
        #expect(traits["timezone"] == "America/New_York")
        // Another device later does not move a zone the profile has.
        let travelling = TrackingMessage(type: .identify, messageId: "2", userId: "u", context: ["timezone": "Asia/Tokyo"])
        #expect(!Traits.fillTimeZone(&traits, from: travelling))
        #expect(traits["timezone"] == "America/New_York")
        // An identify that names the trait itself (here removing it) is followed as sent.
        var removed: [String: JSONValue] = [:]
        #expect(!Traits.fillTimeZone(&removed, from: TrackingMessage(type: .identify, messageId: "3", userId: "u", traits: ["timezone": .null], context: device)))
        #expect(removed["timezone"] == nil)
        // A group call's traits are the account's: the device's zone still describes the person.
        var fromGroup: [String: JSONValue] = [:]
        #expect(Traits.fillTimeZone(&fromGroup, from: TrackingMessage(type: .group, messageId: "4", userId: "u", groupId: "g", traits: ["timezone": "UTC"], context: device)))
        #expect(fromGroup["timezone"] == "America/New_York")
    }
}
