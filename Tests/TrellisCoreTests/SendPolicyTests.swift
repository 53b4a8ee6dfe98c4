import Testing
@testable import TrellisCore

@Suite struct SendPolicyTests {
    // Monday 2026-11-23 15:00 UTC.
    let now = Timestamp(millisecondsSinceEpoch: 1_795_446_000_000)
    let hour: Int64 = 3_600_000
    let policy = SendPolicy(
        postalAddress: "Acme Inc., 1 Main St, Springfield, IL 62701, USA", caps: [.marketingEmail: FrequencyCap(max: 3, per: .days(7))],
        quietHours: QuietHours(start: "20:00", end: "08:00"))

    func contact(consent: ChannelConsent? = nil, stage: LifecycleStage? = .lead, email: String? = "ada@example.com") -> Contact {
        Contact(
            id: 1, email: email, stage: stage, firstSeen: now, lastSeen: now,
            consent: ConsentState(email: consent ?? ChannelConsent(status: .granted, basis: .express, recordedAt: now.adding(days: -30))))
    }

    func candidate(_ contact: Contact, recent: [Timestamp] = [], suppression: SuppressionReason? = nil, offsetHours: Int64 = 0) -> SendCandidate {
        let offset = offsetHours * hour
        return SendCandidate(contact: contact, kind: .marketing, recentSends: recent, suppression: suppression, utcOffset: { _ in offset })
    }

    @Test func consentedContactInDaytimeUnderTheCapIsSent() {
        #expect(policy.decide(candidate(contact(), recent: [now.adding(days: -2)]), at: now) == .send)
    }

    @Test func withdrawnOrExpiredConsentSkips() {
        let withdrawn = contact(consent: ChannelConsent(status: .withdrawn, basis: .express, recordedAt: now.adding(milliseconds: -1)))
        #expect(policy.decide(candidate(withdrawn), at: now) == .skipped(.noConsent, "unsubscribed"))
        let implied = ChannelConsent(status: .granted, basis: .implied, recordedAt: now.adding(days: -200), expiresAt: now.adding(days: -17))
        guard case .skipped(.noConsent, let detail) = policy.decide(candidate(contact(consent: implied)), at: now) else {
            Issue.record("expired implied consent must skip")
            return
        }
        #expect(detail.contains("implied consent expired"))
        // Still valid implied consent (CASL) sends.
        let valid = ChannelConsent(status: .granted, basis: .implied, recordedAt: now.adding(days: -20), expiresAt: now.adding(days: 163))
        #expect(policy.decide(candidate(contact(consent: valid)), at: now) == .send)
    }

    @Test func suppressionWinsEvenForTransactionalMail() {
        var bounced = candidate(contact(), suppression: .hardBounce)
        #expect(policy.decide(bounced, at: now) == .skipped(.suppressed(.hardBounce), "ada@example.com is suppressed: hard_bounce"))
        bounced.kind = .transactional
        #expect(policy.decide(bounced, at: now) == .skipped(.suppressed(.hardBounce), "ada@example.com is suppressed: hard_bounce"))
        var receipt = candidate(contact(consent: ChannelConsent(status: .withdrawn, basis: .express, recordedAt: now)))
        receipt.kind = .transactional
        #expect(policy.decide(receipt, at: now) == .send)
    }

    @Test func salesOwnedLeadsGetNoMarketingEmail() {
        #expect(policy.decide(candidate(contact(stage: .sql)), at: now) == .skipped(.suppressed(.salesOwned), "sales owns the lead (stage sql)"))
        #expect(policy.decide(candidate(contact(stage: .mql)), at: now) == .send)
    }

    @Test func noPostalAddressRefusesMarketingWithTheReason() {
        var bare = policy
        bare.postalAddress = "  "
        guard case .refused(let reason) = bare.decide(candidate(contact()), at: now) else {
            Issue.record("marketing without a postal address must be refused")
            return
        }
        #expect(reason.contains("sender.postal_address"))
        #expect(bare.marketingRefusal != nil && policy.marketingRefusal == nil)
    }

    @Test func theCapDefersUntilTheOldestSendLeavesTheWindow() {
        let sends = [now.adding(days: -6), now.adding(days: -3), now.adding(days: -1)]
        let decision = policy.decide(candidate(contact(), recent: sends), at: now)
        // Six days ago + 7 days = tomorrow 15:00 UTC (daytime), plus the 1 ms that takes it out.
        #expect(decision == .deferred(until: now.adding(days: 1).adding(milliseconds: 1), "frequency cap: 3 marketing_email per 7d"))
        // Older sends do not count.
        #expect(policy.decide(candidate(contact(), recent: [now.adding(days: -8)] + sends.dropFirst()), at: now) == .send)
    }

    @Test func quietHoursDeferToTheContactsMorning() {
        // 15:00 UTC is 23:00 in UTC+8: deferred to 08:00 local = 00:00 UTC the next day.
        let decision = policy.decide(candidate(contact(), offsetHours: 8), at: now)
        #expect(decision == .deferred(until: Timestamp(millisecondsSinceEpoch: 1_795_478_400_000), "quiet hours 20:00–08:00 in the contact's time zone"))
        // 15:00 UTC is 07:00 in UTC-8: deferred one hour, to 16:00 UTC.
        #expect(policy.decide(candidate(contact(), offsetHours: -8), at: now) == .deferred(until: now.adding(milliseconds: hour), "quiet hours 20:00–08:00 in the contact's time zone"))
    }

    @Test func aCapThatEndsAtNightIsFollowedByQuietHours() {
        // The cap frees a slot at 15:00 UTC tomorrow, which is 23:00 in UTC+8: wait for 08:00 there.
        let sends = [now.adding(days: -6), now.adding(days: -3), now.adding(days: -1)]
        guard case .deferred(let until, let reason) = policy.decide(candidate(contact(), recent: sends, offsetHours: 8), at: now) else {
            Issue.record("expected a deferral")
            return
        }
        #expect(until == Timestamp(millisecondsSinceEpoch: 1_795_478_400_000 + 86_400_000))
        #expect(reason.contains("frequency cap") && reason.contains("quiet hours"))
    }

    @Test func quietHoursParseAndWrap() {
        #expect(QuietHours(start: "20:00", end: "08:00") == QuietHours(start: 1200, end: 480))
        #expect(QuietHours(start: "25:00", end: "08:00") == nil)
        #expect(QuietHours(start: "8", end: "09:00") == nil)
        let daytime = QuietHours(start: 12 * 60, end: 13 * 60)
        #expect(daytime.end(ofQuietPeriodAt: now, utcOffset: 0) == nil)
        #expect(daytime.end(ofQuietPeriodAt: now, utcOffset: -3 * hour) == now.adding(milliseconds: hour))
    }
}

@Suite struct EmailPreferenceTests {
    let now = Timestamp(millisecondsSinceEpoch: 1_795_446_000_000)

    func candidate(_ preferences: EmailPreferences, topic: String, recent: [Timestamp]) -> SendCandidate {
        let contact = Contact(
            id: 1, email: "ada@example.com", traits: [EmailPreferences.trait: preferences.json], stage: .lead, firstSeen: now, lastSeen: now,
            consent: ConsentState(email: ChannelConsent(status: .granted, basis: .express, recordedAt: now)))
        return SendCandidate(contact: contact, kind: .marketing, recentSends: recent, suppression: nil, topic: topic)
    }

    @Test func topicsTurnedOffAreSkippedAndFrequencyTightensTheCap() {
        let policy = SendPolicy(postalAddress: "1 Main St", caps: [.marketingEmail: FrequencyCap(max: 3, per: .days(7))])
        let off = EmailPreferences(topicsOff: ["webinars"])
        #expect(policy.decide(candidate(off, topic: "webinars", recent: []), at: now) == .skipped(.preference, "the contact turned off emails about webinars"))
        #expect(policy.decide(candidate(off, topic: "migration", recent: []), at: now) == .send)
        let weekly = EmailPreferences(frequency: .weekly)
        #expect(policy.decide(candidate(weekly, topic: "migration", recent: [now.adding(days: -2)]), at: now)
            == .deferred(until: now.adding(days: 5).adding(milliseconds: 1), "frequency cap: 1 marketing_email per 7d"))
        // Round trip through the trait.
        #expect(EmailPreferences(traits: [EmailPreferences.trait: weekly.json]) == weekly)
    }
}
