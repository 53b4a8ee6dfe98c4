/// Rules for the traits Trellis reads itself from free-form trait objects.
public enum Traits {
    /// Trait keys that carry the lifecycle stage, in the spellings sources use.
    static let stageKeys = ["lifecycle_stage", "lifecycleStage", "lifecyclestage"]

    public static func email(in traits: [String: JSONValue]) -> String? {
        guard let email = traits["email"]?.stringValue?.trimmed, !email.isEmpty else { return nil }
        return email
    }

    public static func stage(in traits: [String: JSONValue]) -> LifecycleStage? {
        for key in stageKeys {
            if let label = traits[key]?.stringValue, let stage = LifecycleStage(label: label) { return stage }
        }
        return nil
    }

    /// Applies an update: keys in `update` win, `null` removes a trait (Segment's convention).
    public static func merge(_ base: [String: JSONValue], with update: [String: JSONValue]) -> [String: JSONValue] {
        var merged = base
        for (key, value) in update {
            if value.isNull { merged.removeValue(forKey: key) } else { merged[key] = value }
        }
        return merged
    }

    /// Fills gaps only: what `base` has stays (used when one contact absorbs another).
    public static func fill(_ base: [String: JSONValue], from other: [String: JSONValue]) -> [String: JSONValue] {
        base.merging(other, uniquingKeysWith: { kept, _ in kept })
    }

    /// The device's time zone as a call's context carries it (`context.timezone`: analytics.js and
    /// the mobile libraries send the IANA name, such as `Europe/Amsterdam`), when it looks like one.
    public static func timeZone(inContext context: [String: JSONValue]) -> String? {
        guard let zone = context["timezone"]?.stringValue, isPlausibleTimeZone(zone) else { return nil }
        return zone
    }

    /// An IANA zone name's shape: letters first, then letters, digits, `/`, `_`, `+`, `-`; at most
    /// 64 bytes. Whether the zone exists is the zone database's question (unknown ones read as UTC).
    public static func isPlausibleTimeZone(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, first.isASCIILetter, !text.contains("//") else { return false }
        return bytes.allSatisfy { $0.isASCIILetter || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
            && bytes.last != UInt8(ascii: "/")
    }

    /// Gives a profile the `timezone` trait from the device that made a profile call (identify,
    /// group, a form), when it has none: quiet hours and send windows then follow the person's
    /// clock instead of UTC. A zone the profile already has (sent as a trait, imported, set through
    /// the API) is kept, and an identify that names `timezone` itself (`null` removes it) is
    /// followed as sent. Returns whether the traits changed.
    @discardableResult
    public static func fillTimeZone(_ traits: inout [String: JSONValue], from message: TrackingMessage) -> Bool {
        guard traits["timezone"] == nil, !(message.type == .identify && message.traits.keys.contains("timezone")),
            let zone = timeZone(inContext: message.context)
        else { return false }
        traits["timezone"] = .string(zone)
        return true
    }

    /// A deliberately plain check: something@something.tld, no spaces. Deliverability is judged later.
    public static func isPlausibleEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        return !text.contains(where: { $0.isWhitespace || $0 == "," || $0 == "<" || $0 == ">" }) && text.utf8.count <= 254
    }
}

extension String {
    /// Without leading and trailing white space.
    public var trimmed: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}

extension UInt8 {
    fileprivate var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}
