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
