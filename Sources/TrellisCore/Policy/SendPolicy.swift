/// The guard rails every email passes at the moment it is sent, not when it was scheduled: a
/// contact who unsubscribed, bounced or complained since gets nothing, a frequency cap or quiet
/// hours defer (never drop), and commercial email without a postal address is refused.
///
/// ```swift
/// let policy = SendPolicy(postalAddress: "Acme Inc., 1 Main St, Springfield", caps: [.marketingEmail: FrequencyCap(max: 3, per: .days(7))],
///                         quietHours: QuietHours(start: 20 * 60, end: 8 * 60))
/// switch policy.decide(SendCandidate(contact: ada, kind: .marketing, recentSends: sends, suppression: nil, utcOffset: 0), at: now) {
/// case .send: ...
/// case .deferred(let until, let reason): ...
/// case .skipped(let reason), .refused(let reason): ...
/// }
/// ```
public struct SendPolicy: Sendable, Equatable {
    /// CAN-SPAM: every commercial email carries the sender's postal address.
    public var postalAddress: String?
    /// Caps by category, counted across all workflows.
    public var caps: [SendCategory: FrequencyCap]
    public var quietHours: QuietHours?
    /// Stages in which sales owns the lead: marketing email waits until it is handed back.
    public var salesOwnedStages: Set<LifecycleStage>

    public static let defaultSalesOwnedStages: Set<LifecycleStage> = [.sal, .sql, .opportunity]

    public init(
        postalAddress: String?, caps: [SendCategory: FrequencyCap] = [:], quietHours: QuietHours? = nil,
        salesOwnedStages: Set<LifecycleStage> = SendPolicy.defaultSalesOwnedStages
    ) {
        self.postalAddress = postalAddress
        self.caps = caps
        self.quietHours = quietHours
        self.salesOwnedStages = salesOwnedStages
    }

    /// Why marketing email cannot go out at all under this configuration, if it cannot.
    public var marketingRefusal: String? {
        guard (postalAddress?.trimmed ?? "").isEmpty else { return nil }
        return "no postal address is configured (sender.postal_address): CAN-SPAM requires one in every commercial email, so marketing email is not sent"
    }

    public func decide(_ candidate: SendCandidate, at now: Timestamp) -> SendDecision {
        let contact = candidate.contact
        guard let email = contact.email, !email.isEmpty else { return .skipped(.noAddress, "the contact has no email address") }
        if let suppression = candidate.suppression { return .skipped(.suppressed(suppression), "\(email) is suppressed: \(suppression.rawValue)") }
        guard candidate.kind == .marketing else { return .send }
        if let marketingRefusal { return .refused(marketingRefusal) }
        guard contact.consent.allowsEmail(at: now) else {
            let detail =
                switch contact.consent.email {
                case nil: "no email consent on record"
                case let consent? where consent.status == .withdrawn: "unsubscribed"
                case let consent?: "implied consent expired at \(consent.expiresAt?.iso8601 ?? "?")"
                }
            return .skipped(.noConsent, detail)
        }
        if let stage = contact.stage, salesOwnedStages.contains(stage) {
            return .skipped(.suppressed(.salesOwned), "sales owns the lead (stage \(stage.rawValue))")
        }
        let preferences = EmailPreferences(traits: contact.traits)
        if let topic = candidate.topic, preferences.topicsOff.contains(topic) {
            return .skipped(.preference, "the contact turned off emails about \(topic)")
        }
        var earliest = now
        var reasons: [String] = []
        let cap = preferences.frequency.cap(tighter: caps[candidate.kind.category])
        if let cap, let until = cap.nextSlot(after: candidate.recentSends, at: now), until > earliest {
            earliest = until
            reasons.append("frequency cap: \(cap.max) \(candidate.kind.category.rawValue) per \(cap.per.description)")
        }
        if let quietHours, let end = quietHours.end(ofQuietPeriodAt: earliest, utcOffset: candidate.utcOffset(earliest)) {
            earliest = end
            reasons.append("quiet hours \(quietHours.description) in the contact's time zone")
            // Morning may still be inside the cap's window when the cap pushed into the evening.
            if let cap, let until = cap.nextSlot(after: candidate.recentSends, at: earliest), until > earliest {
                earliest = until
            }
        }
        return earliest > now ? .deferred(until: earliest, reasons.joined(separator: "; ")) : .send
    }
}

/// What is being sent: marketing (nurture, newsletters: consent, caps, quiet hours and the postal
/// address apply) or transactional (a receipt, a password reset: only suppression applies).
public enum SendKind: String, Sendable, Codable, CaseIterable {
    case marketing, transactional

    public var category: SendCategory { self == .marketing ? .marketingEmail : .transactionalEmail }
}

/// What a frequency cap counts.
public enum SendCategory: String, Sendable, Codable, Hashable {
    case marketingEmail = "marketing_email"
    case transactionalEmail = "transactional_email"
}

/// At most `max` sends in any window of length `per`.
public struct FrequencyCap: Sendable, Equatable {
    public var max: Int
    public var per: RuleDuration

    public init(max: Int, per: RuleDuration) {
        self.max = max
        self.per = per
    }

    /// When the next send fits under the cap, or nil if it fits now. `sends` are the times of
    /// earlier sends in this category (any order).
    public func nextSlot(after sends: [Timestamp], at now: Timestamp) -> Timestamp? {
        let windowStart = now.adding(milliseconds: -per.milliseconds)
        let inWindow = sends.filter { $0 > windowStart && $0 <= now }.sorted()
        guard inWindow.count >= max else { return nil }
        // The send that must leave the window for one more to fit.
        let leaving = inWindow[inWindow.count - max]
        return leaving.adding(milliseconds: per.milliseconds + 1)
    }
}

/// A daily window in the contact's local time when no marketing email goes out, such as
/// 20:00 to 08:00 (it may wrap midnight). Minutes after local midnight.
public struct QuietHours: Sendable, Equatable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// Parses `"20:00"`-style times; nil when malformed.
    public init?(start: String, end: String) {
        guard let start = Self.minutes(start), let end = Self.minutes(end), start != end else { return nil }
        self.init(start: start, end: end)
    }

    static func minutes(_ text: String) -> Int? {
        let parts = text.trimmed.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]),
            (0..<24).contains(hours), (0..<60).contains(minutes)
        else { return nil }
        return hours * 60 + minutes
    }

    public var description: String {
        func clock(_ minutes: Int) -> String {
            let hours = minutes / 60, rest = minutes % 60
            return "\(hours < 10 ? "0" : "")\(hours):\(rest < 10 ? "0" : "")\(rest)"
        }
        return "\(clock(start))–\(clock(end))"
    }

    /// If `time` falls in quiet hours for a contact whose local time is UTC + `utcOffset` ms,
    /// the UTC time they end; otherwise nil.
    public func end(ofQuietPeriodAt time: Timestamp, utcOffset: Int64) -> Timestamp? {
        let day: Int64 = 86_400_000
        let local = time.millisecondsSinceEpoch + utcOffset
        let intoDay = ((local % day) + day) % day
        let minute = Int(intoDay / 60_000)
        let quiet = start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
        guard quiet else { return nil }
        let midnight = local - intoDay
        var endLocal = midnight + Int64(end) * 60_000
        if endLocal <= local { endLocal += day }
        return Timestamp(millisecondsSinceEpoch: endLocal - utcOffset)
    }
}

/// One email about to go out, with what the policy needs to know about its contact.
public struct SendCandidate: Sendable {
    public var contact: Contact
    public var kind: SendKind
    /// Times of this contact's earlier sends of the same kind (the cap's window is enough).
    public var recentSends: [Timestamp]
    public var suppression: SuppressionReason?
    /// The template's topic, for the contact's topic preferences.
    public var topic: String?
    /// Milliseconds to add to UTC for the contact's local time, at a given instant.
    public var utcOffset: @Sendable (Timestamp) -> Int64

    public init(
        contact: Contact, kind: SendKind, recentSends: [Timestamp], suppression: SuppressionReason?, topic: String? = nil,
        utcOffset: @escaping @Sendable (Timestamp) -> Int64 = { _ in 0 }
    ) {
        self.contact = contact
        self.topic = topic
        self.kind = kind
        self.recentSends = recentSends
        self.suppression = suppression
        self.utcOffset = utcOffset
    }
}

/// Why an address is on the suppression list.
public enum SuppressionReason: String, Sendable, Codable, CaseIterable {
    case unsubscribed, hardBounce = "hard_bounce", softBounces = "soft_bounces", complaint, salesOwned = "sales_owned", manual, erased
}

/// What the policy says about a send now.
public enum SendDecision: Sendable, Equatable {
    case send
    /// Not now: try again at `until` (caps, quiet hours).
    case deferred(until: Timestamp, String)
    /// Not to this contact: the send is dropped and the reason kept.
    case skipped(SkipReason, String)
    /// Not under this configuration (no postal address): nothing marketing goes out.
    case refused(String)
}

public enum SkipReason: Sendable, Equatable {
    case noAddress, noConsent, preference, suppressed(SuppressionReason)

    public var code: String {
        switch self {
        case .noAddress: "no_address"
        case .preference: "preference"
        case .noConsent: "no_consent"
        case .suppressed(let reason): "suppressed_\(reason.rawValue)"
        }
    }
}

/// What a contact chose in the preference center, kept in the `email_preferences` trait:
/// `{"topics_off": ["webinars"], "frequency": "weekly"}`.
public struct EmailPreferences: Sendable, Equatable {
    public enum Frequency: String, Sendable, CaseIterable {
        case normal, weekly, monthly

        /// The stricter of the contact's choice and the configured cap.
        func cap(tighter configured: FrequencyCap?) -> FrequencyCap? {
            let chosen: FrequencyCap? =
                switch self {
                case .normal: nil
                case .weekly: FrequencyCap(max: 1, per: .days(7))
                case .monthly: FrequencyCap(max: 1, per: .days(30))
                }
            guard let chosen else { return configured }
            guard let configured else { return chosen }
            // Fewer sends per day allowed is stricter.
            return Double(chosen.max) / Double(chosen.per.milliseconds) < Double(configured.max) / Double(configured.per.milliseconds) ? chosen : configured
        }
    }

    public var topicsOff: Set<String>
    public var frequency: Frequency

    public static let trait = "email_preferences"

    public init(topicsOff: Set<String> = [], frequency: Frequency = .normal) {
        self.topicsOff = topicsOff
        self.frequency = frequency
    }

    public init(traits: [String: JSONValue]) {
        let stored = traits[Self.trait]?.objectValue ?? [:]
        topicsOff = Set((stored["topics_off"]?.arrayValue ?? []).compactMap(\.stringValue))
        frequency = stored["frequency"]?.stringValue.flatMap(Frequency.init(rawValue:)) ?? .normal
    }

    public var json: JSONValue {
        ["topics_off": .array(topicsOff.sorted().map { .string($0) }), "frequency": .string(frequency.rawValue)]
    }
}
