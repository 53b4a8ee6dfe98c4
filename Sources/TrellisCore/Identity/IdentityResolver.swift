/// A contact found by one of a message's identifiers, with the userId it already carries.
public struct IdentityCandidate: Sendable, Equatable {
    public var contactId: Int64
    public var userId: String?

    public init(contactId: Int64, userId: String?) {
        self.contactId = contactId
        self.userId = userId
    }
}

/// What the store found for each identifier of an incoming message.
public struct IdentityLookup: Sendable, Equatable {
    public var byUserId: IdentityCandidate?
    public var byAnonymousId: IdentityCandidate?
    public var byEmail: IdentityCandidate?
    /// alias only: the contact that `previousId` names (as a userId or an anonymousId).
    public var byPreviousId: IdentityCandidate?

    public init(byUserId: IdentityCandidate? = nil, byAnonymousId: IdentityCandidate? = nil, byEmail: IdentityCandidate? = nil, byPreviousId: IdentityCandidate? = nil) {
        self.byUserId = byUserId
        self.byAnonymousId = byAnonymousId
        self.byEmail = byEmail
        self.byPreviousId = byPreviousId
    }
}

/// The decision: which contact the message belongs to, and which contacts fold into it.
public struct IdentityResolution: Sendable, Equatable {
    /// The contact to attribute the message to; `nil` means create one.
    public var survivor: Int64?
    /// Contacts that turn out to be the same person: their history and identifiers move to the
    /// survivor, and they cease to exist.
    public var absorbed: [Int64]
    /// The message's email belongs to a contact identified as someone else; it must not be set.
    public var emailConflict: Bool

    public init(survivor: Int64?, absorbed: [Int64] = [], emailConflict: Bool = false) {
        self.survivor = survivor
        self.absorbed = absorbed
        self.emailConflict = emailConflict
    }
}

/// Decides identity the way Segment's identity rules and CRMs do:
///
/// - a userId always wins: its contact is the person;
/// - an anonymous contact (no userId yet) found by the message's anonymousId or email is that same
///   person, so it is absorbed and its history follows (anonymous → identified);
/// - a contact that already carries a *different* userId is never merged (a shared browser, a
///   forwarded email): the message goes to the userId's contact alone;
/// - `alias` folds the contact named by `previousId` into the contact of `userId`.
public enum IdentityResolver {
    public static func resolve(userId: String?, previousId: String? = nil, lookup: IdentityLookup) -> IdentityResolution {
        func isCompatible(_ candidate: IdentityCandidate) -> Bool {
            guard let existing = candidate.userId else { return true }
            guard let userId else { return true }
            return existing == userId || (previousId != nil && existing == previousId)
        }
        func canBeAbsorbed(_ candidate: IdentityCandidate) -> Bool {
            candidate.userId == nil || (previousId != nil && candidate.userId == previousId)
        }

        var survivor = lookup.byUserId
        let ordered = [lookup.byPreviousId, lookup.byEmail, lookup.byAnonymousId].compactMap { $0 }
        if survivor == nil {
            if userId == nil, let anonymous = lookup.byAnonymousId, anonymous.userId != nil,
                let email = lookup.byEmail, email.contactId != anonymous.contactId, email.userId != nil
            {
                // Both sides already identified as different people: keep the browser's contact.
                return IdentityResolution(survivor: anonymous.contactId, emailConflict: true)
            }
            survivor = ordered.first(where: isCompatible)
        }
        guard let survivor else {
            let conflict = lookup.byEmail.map { !isCompatible($0) } ?? false
            return IdentityResolution(survivor: nil, emailConflict: conflict)
        }
        var absorbed: [Int64] = []
        for candidate in ordered where candidate.contactId != survivor.contactId && !absorbed.contains(candidate.contactId) {
            if canBeAbsorbed(candidate), survivor.userId == nil || userId != nil || candidate.userId == nil {
                absorbed.append(candidate.contactId)
            }
        }
        let emailConflict = lookup.byEmail.map { $0.contactId != survivor.contactId && !absorbed.contains($0.contactId) } ?? false
        return IdentityResolution(survivor: survivor.contactId, absorbed: absorbed, emailConflict: emailConflict)
    }
}
