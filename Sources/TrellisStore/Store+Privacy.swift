import TrellisCore

/// GDPR: erasing a contact, and the consent evidence of a period. Exports are composed from the other reads (`ContactsController`).
public protocol PrivacyStore: Sendable {
    /// Erases the contact (an id merged into another erases the survivor): its profile,
    /// identifiers, events, consent records, memberships, scores and runs are deleted; sends and
    /// handoffs stay for the reports without address, storyline or payload; the funnel rollup row
    /// (a number and stage times) stays. The address is kept only as a hash in the suppression
    /// list, so no import, form or tracking call brings it back. Nil if there is no such contact.
    func eraseContact(id: Int64, at: Timestamp) async throws -> ErasureReceipt?
    /// Consent evidence recorded in `[from, to)`, oldest first, with each contact's address.
    func consentEvidence(from: Timestamp, to: Timestamp) async throws -> [(record: ConsentRecord, email: String?)]
}

/// What an erasure removed, for the caller's records (no personal data in it).
public struct ErasureReceipt: Sendable, Equatable {
    public var contactId: Int64
    public var events: Int
    public var consentRecords: Int
    public var sendsKept: Int
    public var handoffsKept: Int
    /// How many addresses went into the suppression list as hashes.
    public var addressesSuppressed: Int

    public init(contactId: Int64, events: Int, consentRecords: Int, sendsKept: Int, handoffsKept: Int, addressesSuppressed: Int) {
        self.contactId = contactId
        self.events = events
        self.consentRecords = consentRecords
        self.sendsKept = sendsKept
        self.handoffsKept = handoffsKept
        self.addressesSuppressed = addressesSuppressed
    }
}

/// How an erased address is kept in the suppression list: `sha256:` and the SHA-256 of the
/// lowercased address in hex. Recognisable when the address comes again; not readable back.
public enum ErasedAddress {
    public static func marker(_ email: String) -> String {
        "sha256:" + APIKeys.hash(email.trimmed.lowercased())
    }
}
