import Testing
@testable import TrellisCore

@Suite struct IdentityResolverTests {
    let anonymous = IdentityCandidate(contactId: 1, userId: nil)
    let known = IdentityCandidate(contactId: 2, userId: "u2")

    @Test func newPersonIsCreated() {
        #expect(IdentityResolver.resolve(userId: "u1", lookup: IdentityLookup()) == IdentityResolution(survivor: nil))
    }

    @Test func anonymousHistoryFollowsThePersonWhoIdentifies() {
        let result = IdentityResolver.resolve(userId: "u2", lookup: IdentityLookup(byUserId: known, byAnonymousId: anonymous))
        #expect(result == IdentityResolution(survivor: 2, absorbed: [1]))
    }

    @Test func anonymousContactGainsTheUserIdWhenNoneExists() {
        let result = IdentityResolver.resolve(userId: "u9", lookup: IdentityLookup(byAnonymousId: anonymous))
        #expect(result == IdentityResolution(survivor: 1))
    }

    @Test func aContactOfAnotherUserIsNeverMerged() {
        // A shared browser: the anonymousId already belongs to u2; u3 logs in on it.
        let result = IdentityResolver.resolve(userId: "u3", lookup: IdentityLookup(byAnonymousId: known))
        #expect(result == IdentityResolution(survivor: nil))
    }

    @Test func emailMatchesAnAnonymousFormFill() {
        let formFill = IdentityCandidate(contactId: 5, userId: nil)
        let result = IdentityResolver.resolve(userId: "u7", lookup: IdentityLookup(byEmail: formFill))
        #expect(result == IdentityResolution(survivor: 5))
    }

    @Test func emailOfAnotherUserIsAConflict() {
        let result = IdentityResolver.resolve(userId: "u7", lookup: IdentityLookup(byEmail: known))
        #expect(result == IdentityResolution(survivor: nil, emailConflict: true))
    }

    @Test func aliasFoldsThePreviousIdIntoTheUser() {
        let previous = IdentityCandidate(contactId: 8, userId: "old-id")
        let result = IdentityResolver.resolve(userId: "u2", previousId: "old-id", lookup: IdentityLookup(byUserId: known, byPreviousId: previous))
        #expect(result == IdentityResolution(survivor: 2, absorbed: [8]))
    }

    @Test func aliasOfAnUnknownPreviousIdKeepsTheUser() {
        let result = IdentityResolver.resolve(userId: "u2", previousId: "never-seen", lookup: IdentityLookup(byUserId: known))
        #expect(result == IdentityResolution(survivor: 2))
    }

    @Test func anonymousVisitorSubmittingAKnownEmailJoinsThatContact() {
        let visitor = IdentityCandidate(contactId: 3, userId: nil)
        let imported = IdentityCandidate(contactId: 4, userId: nil)
        let result = IdentityResolver.resolve(userId: nil, lookup: IdentityLookup(byAnonymousId: visitor, byEmail: imported))
        #expect(result == IdentityResolution(survivor: 4, absorbed: [3]))
    }
}
