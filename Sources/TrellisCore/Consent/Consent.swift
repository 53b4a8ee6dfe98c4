/// What a contact has agreed to, per channel, with the legal basis.
public struct ConsentState: Sendable, Equatable, Codable {
    public var email: ChannelConsent?

    public init(email: ChannelConsent? = nil) {
        self.email = email
    }

    /// Whether marketing email may go to this contact at `time`: express consent, or implied
    /// consent (CASL) that has not expired.
    public func allowsEmail(at time: Timestamp) -> Bool {
        guard let email, email.status == .granted else { return false }
        if let expiresAt = email.expiresAt, expiresAt <= time { return false }
        return true
    }
}

public struct ChannelConsent: Sendable, Equatable, Codable {
    public var status: ConsentStatus
    public var basis: ConsentBasis
    public var recordedAt: Timestamp
    public var expiresAt: Timestamp?

    public init(status: ConsentStatus, basis: ConsentBasis, recordedAt: Timestamp, expiresAt: Timestamp? = nil) {
        self.status = status
        self.basis = basis
        self.recordedAt = recordedAt
        self.expiresAt = expiresAt
    }
}

public enum ConsentStatus: String, Sendable, Codable { case granted, withdrawn }

/// Express consent is given by an act (a ticked box); implied consent follows from a relationship
/// (an inquiry, a purchase) and under CASL lapses after a set time.
public enum ConsentBasis: String, Sendable, Codable { case express, implied }

/// How consent was given, for the evidence record.
public enum ConsentMethod: String, Sendable, Codable {
    case formCheckbox = "form_checkbox", doubleOptIn = "double_opt_in", `import`, api, unsubscribe, preferenceCenter = "preference_center"
}

/// Evidence of one consent decision: what the person saw, where, when, from which address and
/// browser, and how they gave it. Kept for as long as the consent is relied on (GDPR Art. 7(1)).
public struct ConsentRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var contactId: Int64
    public var channel: String
    public var status: ConsentStatus
    public var basis: ConsentBasis
    public var method: ConsentMethod
    /// The exact wording shown, and its version.
    public var text: String?
    public var textVersion: String?
    /// Where: a form key, page URL or file name.
    public var location: String?
    public var ipAddress: String?
    public var userAgent: String?
    public var recordedAt: Timestamp
    public var expiresAt: Timestamp?

    public init(
        id: Int64 = 0, contactId: Int64 = 0, channel: String = "email", status: ConsentStatus, basis: ConsentBasis, method: ConsentMethod,
        text: String? = nil, textVersion: String? = nil, location: String? = nil, ipAddress: String? = nil, userAgent: String? = nil,
        recordedAt: Timestamp, expiresAt: Timestamp? = nil
    ) {
        self.id = id
        self.contactId = contactId
        self.channel = channel
        self.status = status
        self.basis = basis
        self.method = method
        self.text = text
        self.textVersion = textVersion
        self.location = location
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.recordedAt = recordedAt
        self.expiresAt = expiresAt
    }

    /// The state this record leaves the channel in.
    public var channelConsent: ChannelConsent {
        ChannelConsent(status: status, basis: basis, recordedAt: recordedAt, expiresAt: expiresAt)
    }
}

/// CASL: implied consent from an inquiry lasts six months, from a business relationship two years.
public enum ImpliedConsent {
    public static let inquiryDays = 183
    public static let relationshipDays = 730
}
