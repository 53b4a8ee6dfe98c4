import Testing
@testable import TrellisCore

/// A rule from JSON text, as the API receives it.
func rule(_ text: String) throws -> Rule {
    try Rule(json: try JSONValue(jsonText: text), path: "match")
}

func ruleError(_ text: String) -> InputError? {
    do {
        _ = try rule(text)
        return nil
    } catch let error as InputError {
        return error
    } catch {
        return nil
    }
}

let day: Int64 = 86_400_000
let now = Timestamp(millisecondsSinceEpoch: 1_795_000_000_000)

func person(_ traits: [String: JSONValue] = [:], stage: LifecycleStage? = nil, lastSeen: Timestamp = now) -> ContactFacts {
    ContactFacts(contact: Contact(id: 1, email: "ada@acme.example", traits: traits, stage: stage, firstSeen: now.adding(days: -100), lastSeen: lastSeen))
}

func matches(_ text: String, _ facts: ContactFacts, at time: Timestamp = now) throws -> Bool {
    RuleEvaluator().evaluate(try rule(text), for: facts, at: time).matched
}

@Suite struct RuleOperatorTests {
    let lead = person(["company_size": 120, "title": "VP Engineering", "country": "DE", "tags": ["beta", "webinar"], "signup": "2026-11-01T00:00:00Z", "size_text": "80"])

    @Test func equalityIgnoresCaseAndComparesNumbersAsNumbers() throws {
        #expect(try matches(#"{"trait":"country","eq":"de"}"#, lead))
        #expect(try !matches(#"{"trait":"country","eq":"FR"}"#, lead))
        #expect(try matches(#"{"trait":"company_size","eq":120}"#, lead))
        #expect(try matches(#"{"trait":"size_text","eq":80}"#, lead))
        #expect(try matches(#"{"trait":"country","neq":"FR"}"#, lead))
        #expect(try matches(#"{"trait":"missing","neq":"FR"}"#, lead))
    }

    @Test func membershipInAList() throws {
        #expect(try matches(#"{"trait":"country","in":["FR","DE"]}"#, lead))
        #expect(try !matches(#"{"trait":"country","not_in":["FR","DE"]}"#, lead))
        #expect(try matches(#"{"trait":"tags","eq":"webinar"}"#, lead))
        #expect(try !matches(#"{"trait":"tags","not_in":["beta"]}"#, lead))
    }

    @Test func textOperators() throws {
        #expect(try matches(#"{"trait":"title","contains":"engineer"}"#, lead))
        #expect(try matches(#"{"trait":"title","starts_with":"vp"}"#, lead))
        #expect(try matches(#"{"trait":"title","ends_with":"ING"}"#, lead))
        #expect(try !matches(#"{"trait":"title","contains":"sales"}"#, lead))
        #expect(try matches(#"{"trait":"title","matches":"(?i)\\b(vp|director)\\b"}"#, lead))
        #expect(try !matches(#"{"trait":"title","matches":"^Director"}"#, lead))
    }

    @Test func numericRangesCombine() throws {
        #expect(try matches(#"{"trait":"company_size","gte":50,"lt":500}"#, lead))
        #expect(try !matches(#"{"trait":"company_size","gt":120}"#, lead))
        #expect(try matches(#"{"trait":"company_size","lte":120}"#, lead))
        #expect(try matches(#"{"trait":"size_text","gt":79.5}"#, lead))
        #expect(try !matches(#"{"trait":"title","gt":1}"#, lead))
    }

    @Test func existence() throws {
        #expect(try matches(#"{"trait":"title","exists":true}"#, lead))
        #expect(try matches(#"{"trait":"phone","exists":false}"#, lead))
        #expect(try !matches(#"{"trait":"phone","gte":1}"#, lead))
    }

    @Test func absoluteAndRelativeDates() throws {
        #expect(try matches(#"{"trait":"signup","after":"2026-10-01"}"#, lead))
        #expect(try matches(#"{"trait":"signup","before":"2026-12-01"}"#, lead))
        let signup = ISO8601.parse("2026-11-01T00:00:00Z")!
        let outcome = RuleEvaluator().evaluate(try rule(#"{"trait":"signup","before":"30d ago"}"#), for: lead, at: signup.adding(days: 10))
        #expect(!outcome.matched)
        #expect(outcome.nextCheck == signup.adding(days: 30).adding(milliseconds: 1))
        #expect(try matches(#"{"trait":"signup","before":"30d ago"}"#, lead, at: signup.adding(days: 31)))
        #expect(try matches(#"{"trait":"signup","before":"in 1d"}"#, lead, at: signup))
    }

    @Test func accountTraits() throws {
        var facts = lead
        facts.account = Account(id: 9, groupId: "acme", name: "Acme", traits: ["employees": 800, "industry": "Software"], createdAt: now, updatedAt: now)
        #expect(try matches(#"{"trait":"account.employees","gte":500}"#, facts))
        #expect(try matches(#"{"trait":"account.name","eq":"acme"}"#, facts))
        #expect(try !matches(#"{"trait":"account.employees","gte":500}"#, lead))
    }

    @Test func stageComparesPositionInTheFunnel() throws {
        let mql = person(stage: .mql)
        #expect(try matches(#"{"stage":"mql"}"#, mql))
        #expect(try matches(#"{"stage":{"gte":"lead"}}"#, mql))
        #expect(try !matches(#"{"stage":{"gte":"sql"}}"#, mql))
        #expect(try matches(#"{"stage":["Marketing Qualified Lead","sql"]}"#, mql))
    }

    @Test func logicalCombinators() throws {
        #expect(try matches(#"{"all":[{"trait":"country","eq":"DE"},{"any":[{"stage":"sql"},{"trait":"company_size","gte":100}]}]}"#, lead))
        #expect(try !matches(#"{"not":{"trait":"country","eq":"DE"}}"#, lead))
    }

    @Test func consentAndUnsubscribe() throws {
        var facts = lead
        #expect(try !matches(#"{"consented":"email"}"#, facts))
        facts.contact.consent.email = ChannelConsent(status: .granted, basis: .implied, recordedAt: now, expiresAt: now.adding(days: 5))
        let outcome = RuleEvaluator().evaluate(try rule(#"{"consented":"email"}"#), for: facts, at: now)
        #expect(outcome.matched && outcome.nextCheck == now.adding(days: 5))
        #expect(try !matches(#"{"consented":"email"}"#, facts, at: now.adding(days: 6)))
        facts.contact.consent.email = ChannelConsent(status: .withdrawn, basis: .express, recordedAt: now)
        #expect(try matches(#"{"unsubscribed":"email"}"#, facts))
        #expect(try !matches(#"{"not":{"unsubscribed":"email"}}"#, facts))
    }

    @Test func lastSeenAndInactivity() throws {
        let quiet = person(lastSeen: now.adding(days: -40))
        #expect(try matches(#"{"inactive":"30d"}"#, quiet))
        #expect(try matches(#"{"last_seen":{"not_within":"30d"}}"#, quiet))
        #expect(try !matches(#"{"last_seen":{"within":"30d"}}"#, quiet))
        let outcome = RuleEvaluator().evaluate(try rule(#"{"inactive":"60d"}"#), for: quiet, at: now)
        #expect(!outcome.matched && outcome.nextCheck == now.adding(days: 20))
    }

    @Test func inSegment() throws {
        var facts = lead
        facts.memberships = ["pricing-intent"]
        #expect(try matches(#"{"in_segment":"pricing-intent"}"#, facts))
        #expect(try !matches(#"{"in_segment":"other"}"#, facts))
    }

    @Test func scoresAndGrades() throws {
        var facts = lead
        facts.scores = [.score: ScoreReading(steady: 20, decaying: 50, halfLife: .days(10)), .grade: ScoreReading(steady: 3)]
        #expect(try matches(#"{"score":{"gte":60}}"#, facts))
        #expect(try matches(#"{"grade":{"gte":"B"}}"#, facts))
        #expect(try !matches(#"{"grade":"A"}"#, facts))
        // 20 + 50·½^(t/10d) = 60 when ½^(t/10d) = 0.8: t = 10d·log2(1.25) ≈ 3.22 days.
        let outcome = RuleEvaluator().evaluate(try rule(#"{"score":{"gte":60}}"#), for: facts, at: now)
        let crossing = try #require(outcome.nextCheck)
        #expect(abs(Double(crossing.millisecondsSinceEpoch - now.millisecondsSinceEpoch) / Double(day) - 3.219) < 0.01)
    }
}

@Suite struct EventConditionTests {
    func visits(_ ages: [Int64], path: String = "/pricing") -> ContactFacts {
        var facts = person()
        facts.eventsByName["Page Viewed"] = ages.map { EventFact(timestamp: now.adding(milliseconds: -$0 * day), properties: ["path": .string(path)]) }
        return facts
    }

    @Test func countsWithinAWindowWithFilters() throws {
        let text = #"{"event":"Page Viewed","where":{"path":"/pricing"},"count":{"gte":2},"within":"14d"}"#
        #expect(try matches(text, visits([1, 3])))
        #expect(try !matches(text, visits([1, 20])))
        #expect(try !matches(text, visits([1, 3], path: "/blog")))
        #expect(try matches(#"{"event":"Page Viewed","where":{"path":{"starts_with":"/pri"}}}"#, visits([100])))
        #expect(try matches(#"{"event":"Page Viewed","count":{"eq":0},"within":"7d"}"#, visits([10])))
        #expect(try matches(#"{"event":"Page Viewed","count":3}"#, visits([1, 2, 3])))
    }

    @Test func theWindowExpiresAtAKnownTime() throws {
        let text = #"{"event":"Page Viewed","where":{"path":"/pricing"},"count":{"gte":2},"within":"14d"}"#
        let facts = visits([1, 3])
        let outcome = RuleEvaluator().evaluate(try rule(text), for: facts, at: now)
        #expect(outcome.matched)
        // The older visit (3 days ago) leaves the 14-day window 11 days from now.
        let next = try #require(outcome.nextCheck)
        #expect(next == now.adding(days: 11).adding(milliseconds: 1))
        #expect(try matches(text, facts, at: next.adding(milliseconds: -2)))
        #expect(try !matches(text, facts, at: next))
    }

    @Test func emailEngagementShorthands() throws {
        var facts = person()
        facts.eventsByName[EmailEvents.clicked] = [EventFact(timestamp: now.adding(days: -2), properties: ["email": "case-study"])]
        #expect(try matches(#"{"clicked":"any","within":"7d"}"#, facts))
        #expect(try matches(#"{"clicked":"case-study","within":"7d"}"#, facts))
        #expect(try !matches(#"{"clicked":"pricing","within":"7d"}"#, facts))
        #expect(try !matches(#"{"opened":"any","within":"7d"}"#, facts))
        #expect(try !matches(#"{"clicked":"any","within":"1d"}"#, facts))
    }

    @Test func accountAggregatesCountColleagues() throws {
        let acme = Account(id: 9, groupId: "acme", name: "Acme", traits: [:], createdAt: now, updatedAt: now)
        func colleague(_ id: Int64, attended: Bool) -> ContactFacts {
            var facts = ContactFacts(contact: Contact(id: id, firstSeen: now, lastSeen: now), account: acme)
            if attended { facts.eventsByName["Webinar Attended"] = [EventFact(timestamp: now.adding(days: -2), properties: [:])] }
            return facts
        }
        let text = #"{"account":{"contacts":{"gte":3},"match":{"event":"Webinar Attended","within":"7d"}}}"#
        var facts = colleague(1, attended: true)
        facts.others = [colleague(2, attended: true), colleague(3, attended: false)]
        #expect(try !matches(text, facts))
        facts.others.append(colleague(4, attended: true))
        let outcome = RuleEvaluator().evaluate(try rule(text), for: facts, at: now)
        #expect(outcome.matched)
        #expect(outcome.nextCheck == now.adding(days: 5).adding(milliseconds: 1))
        #expect(try !matches(text, person()))
    }
}

@Suite struct InvalidRuleTests {
    @Test func errorsNameThePathInTheRule() {
        #expect(ruleError(#"{"all":[{"trait":"a","eq":1},{"event":"X","within":"14x"}]}"#)?.field == "match.all[1].within")
        #expect(ruleError(#"{"all":[{"trait":"a","greater":1}]}"#)?.field == "match.all[0].greater")
        #expect(ruleError(#"{"all":[{"trait":"a","greater":1}]}"#)?.code == "unknown_operator")
        #expect(ruleError(#"{"any":[]}"#)?.field == "match.any")
        #expect(ruleError(#"{"colour":"red"}"#)?.code == "unknown_condition")
        #expect(ruleError(#"{"trait":"a"}"#)?.field == "match")
        #expect(ruleError(#"{"trait":"a","in":"x"}"#)?.field == "match.in")
        #expect(ruleError(#"{"trait":"a","matches":"(unclosed"}"#)?.field == "match.matches")
        #expect(ruleError(#"{"stage":"wizard"}"#)?.field == "match.stage")
        #expect(ruleError(#"{"trait":"a","after":"last tuesday"}"#)?.field == "match.after")
        #expect(ruleError(#"{"event":"X","count":{"contains":"a"}}"#)?.field == "match.count.contains")
        #expect(ruleError(#"{"event":"X","colour":"red"}"#)?.field == "match.colour")
        #expect(ruleError(#"{"trait":"a","eq":1,"event":"X"}"#)?.message.contains("mixes") == true)
        #expect(ruleError(#"{"account":{"contacts":{"gte":2}}}"#)?.field == "match.account.match")
        #expect(ruleError(#"{"unsubscribed":"carrier-pigeon"}"#)?.field == "match.unsubscribed")
        #expect(ruleError(#"[1]"#)?.field == "match")
    }

    /// Patterns that backtrack exponentially are refused when read; the ordinary ones pass, and a
    /// long value is searched in its first 2,000 characters.
    @Test func patternsThatRepeatARepetitionAreRefused() throws {
        for evil in [#"(a+)+$"#, #"^(\\w+\\s?)*$"#, #"(?:x*y){2,}"#, #"((ab)*c)+"#, #"([a-z]+\\.)*com"#, #"(a{1,5}){3,}"#] {
            let error = ruleError(#"{"trait":"title","matches":"\#(evil)"}"#)
            #expect(error?.field == "match.matches", "\(evil)")
            #expect(error?.message.contains("repeats a repetition") == true, "\(evil)")
        }
        for fine in [#"(?i)\\b(vp|director|head|chief)\\b"#, #"^[a-z]+(\\.[a-z]+)?$"#, #"(ab)+c*"#, #"[(+*]+"#, #"\\(a+\\)+"#, #"(a?){2}"#] {
            #expect(ruleError(#"{"trait":"title","matches":"\#(fine)"}"#) == nil, "\(fine)")
        }
        let long = person(["title": .string(String(repeating: "x", count: 5_000) + "VP")])
        #expect(try !matches(#"{"trait":"title","matches":"VP"}"#, long))
        #expect(try matches(#"{"trait":"title","matches":"^x+"}"#, long))
    }

    @Test func segmentCatalogRefusesUnknownReferencesAndCycles() throws {
        func segment(_ name: String, _ match: String) throws -> SegmentDefinition {
            try SegmentDefinition(json: try JSONValue(jsonText: #"{"name":"\#(name)","match":\#(match)}"#))
        }
        #expect(throws: InputError.self) { try SegmentCatalog([try segment("a", #"{"in_segment":"b"}"#)]) }
        #expect(throws: InputError.self) { try SegmentCatalog([try segment("a", #"{"in_segment":"b"}"#), try segment("b", #"{"in_segment":"a"}"#)]) }
        let catalog = try SegmentCatalog([try segment("a", #"{"in_segment":"b"}"#), try segment("b", #"{"trait":"x","exists":true}"#)])
        #expect(catalog.segments.map(\.name) == ["b", "a"])
        var facts = person(["x": 1])
        let change = catalog.evaluate(&facts, at: now)
        #expect(change.entered == ["b", "a"])
        #expect(throws: InputError.self) { try SegmentDefinition(json: try JSONValue(jsonText: #"{"name":"Bad Name","match":{"stage":"mql"}}"#)) }
    }

    @Test func explanationsSayWhyInWords() throws {
        var facts = person(["company_size": 30])
        facts.eventsByName["Page Viewed"] = [EventFact(timestamp: now.adding(days: -1), properties: ["path": "/pricing"])]
        let text = #"{"all":[{"trait":"company_size","gte":50},{"event":"Page Viewed","where":{"path":"/pricing"},"within":"14d"}]}"#
        let outcome = RuleEvaluator().explain(try rule(text), for: facts, at: now)
        #expect(!outcome.matched)
        #expect(outcome.reasons.map(\.held) == [false, false, true])
        #expect(outcome.reasons[1].text == "company_size is 30 (gte 50)")
        #expect(outcome.reasons[2].text.hasPrefix("1 × Page Viewed (filtered) within 14d"))
    }
}
