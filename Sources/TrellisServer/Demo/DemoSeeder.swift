import TrellisCore
import TrellisStore

/// Builds a realistic demo store: companies, leads captured over the last 90 days, their anonymous
/// browsing before they identified, form fills with consent, and intent signals (pricing visits,
/// webinars, demo requests). Deterministic for a given seed; everything goes through
/// ``Store/ingest(_:)`` like real traffic does.
public struct DemoSeeder {
    public var contacts: Int
    public var accounts: Int
    public var seed: UInt64

    public init(contacts: Int = 600, accounts: Int = 60, seed: UInt64 = 2026) {
        self.contacts = contacts
        self.accounts = accounts
        self.seed = seed
    }

    public struct Summary: Sendable {
        public var messages: Int
        public var contacts: Int
    }

    /// Ingests the whole history at once (the demo replays it instead: ``DemoSimulation``).
    public func seed(_ store: any Store, now: Timestamp) async throws -> Summary {
        let messages = self.messages(now: now)
        var stored = 0
        for start in stride(from: 0, to: messages.count, by: 500) {
            let outcome = try await store.ingest([IngestBatch(source: "demo", receivedAt: now, messages: Array(messages[start..<min(start + 500, messages.count)]))])
            stored += outcome[0].stored
        }
        let count = try await store.contacts(ContactQuery(limit: 100_000)).count
        return Summary(messages: stored, contacts: count)
    }

    /// Every lead's history over the 90 days before `now`, with consent evidence on the sign-ups.
    public func messages(now: Timestamp) -> [IngestMessage] {
        var random = SplitMix64(seed: seed)
        let companies = (0..<accounts).map { index in DemoCompany(index: index, random: &random) }
        var messages: [TrackingMessage] = []
        var consents: [String: ConsentRecord] = [:]
        for person in 0..<contacts {
            let company = companies[Int(random.next() % UInt64(companies.count))]
            messages += journey(person: person, company: company, now: now, random: &random, consents: &consents)
        }
        return messages.map { message in
            IngestMessage(message, consent: consents[message.messageId], stage: message.type == .identify ? .lead : nil)
        }
    }

    func journey(person: Int, company: DemoCompany, now: Timestamp, random: inout SplitMix64, consents: inout [String: ConsentRecord]) -> [TrackingMessage] {
        let anonymousId = "demo-anon-\(person)"
        let firstName = DemoData.firstNames[Int(random.next() % UInt64(DemoData.firstNames.count))]
        let lastName = DemoData.lastNames[Int(random.next() % UInt64(DemoData.lastNames.count))]
        let email = "\(firstName.lowercased()).\(lastName.lowercased())\(person)@\(company.domain)"
        let title = DemoData.titles[Int(random.next() % UInt64(DemoData.titles.count))]
        var time = now.adding(milliseconds: -Int64(random.next() % (90 * 86_400_000)))
        var messages: [TrackingMessage] = []
        func at(_ step: Int64) -> Timestamp {
            time = min(now.adding(milliseconds: -60_000), time.adding(milliseconds: step))
            return time
        }
        let source = DemoData.sources[Int(random.next() % UInt64(DemoData.sources.count))]
        // Anonymous browsing first.
        for visit in 0..<Int(1 + random.next() % 4) {
            let page = DemoData.pages[Int(random.next() % UInt64(DemoData.pages.count))]
            messages.append(
                TrackingMessage(
                    type: .page, messageId: "demo-\(person)-p\(visit)", anonymousId: anonymousId, name: page.name,
                    properties: ["path": .string(page.path), "url": .string("https://acme.example\(page.path)"), "title": .string(page.name)],
                    context: ["campaign": ["source": .string(source)]], originalTimestamp: at(Int64(random.next() % 3_600_000))))
        }
        // One in ten never identifies.
        if random.next() % 10 == 0 { return messages }
        let identifyAt = at(Int64(random.next() % 86_400_000))
        let identify = TrackingMessage(
            type: .identify, messageId: "demo-\(person)-identify", anonymousId: anonymousId,
            traits: [
                "email": .string(email), "firstName": .string(firstName), "lastName": .string(lastName), "title": .string(title),
                "company": .string(company.name), "industry": .string(company.industry), "employees": .int(Int64(company.employees)), "company_size": .int(Int64(company.employees)),
                "country": .string(company.country), "timezone": .string(company.timezone), "source": .string(source),
            ], originalTimestamp: identifyAt)
        messages.append(identify)
        if random.next() % 10 < 7 {
            consents[identify.messageId] = ConsentRecord(
                status: .granted, basis: .express, method: .formCheckbox, text: DemoData.consentText, textVersion: "2026-01",
                location: "form:ebook-crm-migration https://acme.example/resources/crm-migration", ipAddress: "203.0.113.\(person % 250)",
                userAgent: "Mozilla/5.0 (demo)", recordedAt: identifyAt)
        }
        messages.append(
            TrackingMessage(
                type: .track, messageId: "demo-\(person)-form", anonymousId: anonymousId, name: "Form Submitted",
                properties: ["form": "ebook-crm-migration"], originalTimestamp: identifyAt))
        messages.append(
            TrackingMessage(
                type: .track, messageId: "demo-\(person)-ebook", anonymousId: anonymousId, name: "Ebook Downloaded",
                properties: ["title": "CRM migration guide"], originalTimestamp: identifyAt))
        messages.append(
            TrackingMessage(
                type: .group, messageId: "demo-\(person)-group", anonymousId: anonymousId, groupId: company.groupId,
                traits: ["name": .string(company.name), "industry": .string(company.industry), "employees": .int(Int64(company.employees)), "domain": .string(company.domain)],
                originalTimestamp: identifyAt))
        // Later behaviour: some nurture engagement, intent for a few.
        // Most leads download something and drift off; a few keep coming back.
        let intensity = random.next() % 100
        let engagement = intensity < 45 ? 0 : intensity < 70 ? 1 : intensity < 87 ? 2 + Int(random.next() % 2) : 4 + Int(random.next() % 4)
        for step in 0..<engagement {
            let roll = random.next() % 100
            let when = at(Int64(1 + random.next() % 5) * 86_400_000)
            if when >= now.adding(milliseconds: -120_000) { break }
            if roll < 35 {
                messages.append(
                    TrackingMessage(
                        type: .page, messageId: "demo-\(person)-e\(step)", anonymousId: anonymousId, name: "Pricing",
                        properties: ["path": "/pricing", "url": "https://acme.example/pricing", "title": "Pricing"], originalTimestamp: when))
            } else if roll < 60 {
                let post = DemoData.pages[Int(random.next() % UInt64(DemoData.pages.count))]
                messages.append(
                    TrackingMessage(
                        type: .page, messageId: "demo-\(person)-e\(step)", anonymousId: anonymousId, name: post.name,
                        properties: ["path": .string(post.path), "title": .string(post.name)], originalTimestamp: when))
            } else if roll < 80 {
                messages.append(
                    TrackingMessage(
                        type: .track, messageId: "demo-\(person)-e\(step)", anonymousId: anonymousId, name: "Webinar Registered",
                        properties: ["webinar": "Migrating CRMs without losing a lead"], originalTimestamp: when))
            } else if roll < 92 {
                messages.append(
                    TrackingMessage(
                        type: .track, messageId: "demo-\(person)-e\(step)", anonymousId: anonymousId, name: "Trial Started",
                        properties: ["plan": "team"], originalTimestamp: when))
            } else {
                messages.append(
                    TrackingMessage(
                        type: .track, messageId: "demo-\(person)-e\(step)", anonymousId: anonymousId, name: "Demo Requested",
                        properties: ["pain_point": "duplicate leads after the last migration"], originalTimestamp: when))
                messages.append(
                    TrackingMessage(
                        type: .identify, messageId: "demo-\(person)-e\(step)-stage", anonymousId: anonymousId, traits: ["lifecycle_stage": "mql"],
                        originalTimestamp: when))
            }
        }
        return messages
    }
}

struct DemoCompany {
    var groupId: String
    var name: String
    var domain: String
    var industry: String
    var employees: Int
    var country: String
    var timezone: String

    init(index: Int, random: inout SplitMix64) {
        let base = DemoData.companyNames[index % DemoData.companyNames.count]
        let suffix = index < DemoData.companyNames.count ? "" : " \(index / DemoData.companyNames.count + 1)"
        name = base + suffix
        domain = name.lowercased().filter { $0.isLetter || $0.isNumber } + ".example"
        groupId = "acct-\(index + 1)"
        industry = DemoData.industries[Int(random.next() % UInt64(DemoData.industries.count))]
        employees = [12, 35, 80, 150, 400, 1200, 5000][Int(random.next() % 7)]
        let place = DemoData.places[Int(random.next() % UInt64(DemoData.places.count))]
        country = place.0
        timezone = place.1
    }
}