import Testing
@testable import TrellisCore

@Suite struct ScoringTests {
    static let modelText = #"""
        {"model":"default",
         "fit":[{"id":"senior","when":{"trait":"title","matches":"(?i)\\b(vp|director)\\b"},"points":20,"reason":"Senior title"},
                {"id":"size","when":{"trait":"company_size","gte":50},"points":15,"reason":"Company of 50+"}],
         "engagement":[{"id":"pricing","event":"Page Viewed","where":{"path":{"starts_with":"/pricing"}},"points":10,"cap":{"max":30,"per":"7d"},"reason":"Visited pricing"},
                       {"id":"unsub","event":"Unsubscribed","points":-30,"reason":"Unsubscribed"}],
         "inactivity":{"every":"30d","points":-5},
         "decay":{"half_life":"10d"},
         "grades":{"A":30,"B":15,"C":5},
         "stages":[{"to":"mql","when":{"score":{"gte":60}},"reason":"Score reached 60"},
                   {"to":"sql","when":{"event":"Demo Requested"},"reason":"Requested a demo"}]}
        """#

    let model = try! ScoringModel(json: try! JSONValue(jsonText: ScoringTests.modelText))

    func pricing(_ at: Timestamp) -> NewEvent {
        NewEvent(seq: 1, name: "Page Viewed", fact: EventFact(timestamp: at, properties: ["path": "/pricing/teams"]))
    }

    @Test func fitPointsFollowTraitsBothWays() {
        let scorer = LeadScorer(model: model)
        var state = ScoreState()
        var facts = person(["title": "VP Sales", "company_size": 80])
        let gained = scorer.scoreFit(facts, state: &state, at: now)
        #expect(gained.map(\.points) == [20, 15])
        #expect(scorer.snapshot(state, at: now).grade == .a)
        facts.contact.traits["company_size"] = 10
        let lost = scorer.scoreFit(facts, state: &state, at: now)
        #expect(lost.map(\.points) == [-15] && lost[0].reason == "No longer: Company of 50+")
        #expect(scorer.snapshot(state, at: now).grade == .b)
        #expect(scorer.scoreFit(facts, state: &state, at: now).isEmpty)
    }

    @Test func capsLimitPointsPerPeriod() {
        let scorer = LeadScorer(model: model)
        var state = ScoreState()
        var awarded: [Double] = []
        for hour in 0..<4 { awarded += scorer.scoreEvent(name: "Page Viewed", pricing(now.adding(milliseconds: Int64(hour) * 3_600_000)).fact, seq: nil, state: &state).map(\.points) }
        #expect(awarded == [10, 10, 10])
        // A week later the cap has room again.
        awarded = scorer.scoreEvent(name: "Page Viewed", pricing(now.adding(days: 8)).fact, seq: nil, state: &state).map(\.points)
        #expect(awarded == [10])
        #expect(scorer.scoreEvent(name: "Page Viewed", EventFact(timestamp: now, properties: ["path": "/blog"]), seq: nil, state: &state).isEmpty)
    }

    @Test func engagementDecaysWithItsHalfLife() {
        let scorer = LeadScorer(model: model)
        var state = ScoreState()
        _ = scorer.scoreEvent(name: "Page Viewed", pricing(now).fact, seq: nil, state: &state)
        #expect(scorer.snapshot(state, at: now).engagement == 10)
        #expect(abs(scorer.snapshot(state, at: now.adding(days: 10)).engagement - 5) < 1e-9)
        #expect(abs(scorer.snapshot(state, at: now.adding(days: 20)).engagement - 2.5) < 1e-9)
        // An event that arrives late counts at its own time: worth half, 10 days on.
        _ = scorer.scoreEvent(name: "Page Viewed", pricing(now.adding(days: -10)).fact, seq: nil, state: &state)
        #expect(abs(scorer.snapshot(state, at: now).engagement - 15) < 1e-9)
    }

    @Test func inactivityPenaltiesArePerFullPeriod() {
        let scorer = LeadScorer(model: model)
        var state = ScoreState()
        let lastSeen = now.adding(days: -65)
        let penalties = scorer.scoreInactivity(lastSeen: lastSeen, state: &state, at: now)
        #expect(penalties.map(\.points) == [-5, -5])
        #expect(scorer.scoreInactivity(lastSeen: lastSeen, state: &state, at: now).isEmpty)
        #expect(scorer.nextInactivityPenalty(lastSeen: lastSeen, state: state) == lastSeen.adding(days: 90))
    }

    @Test func reasonsReadLikeARepWouldSayThem() {
        let scorer = LeadScorer(model: model)
        var state = ScoreState()
        var changes = scorer.scoreFit(person(["title": "Director of IT"]), state: &state, at: now)
        for hour in 0..<2 { changes += scorer.scoreEvent(name: "Page Viewed", pricing(now.adding(milliseconds: Int64(hour) * 3_600_000)).fact, seq: 7, state: &state) }
        let reasons = ScoreReason.summarize(changes, scorer: scorer, at: now.adding(days: 10))
        #expect(reasons.map(\.text) == ["Senior title: +20 fit", "Visited pricing (2 times, last on \(String(now.iso8601.prefix(10)))): +10"])
    }

    @Test func invalidModelsNameThePath() {
        func error(_ text: String) -> String? {
            do {
                _ = try ScoringModel(json: try JSONValue(jsonText: text))
                return nil
            } catch let error as InputError { return error.field } catch { return "other" }
        }
        #expect(error(#"{"model":"m","engagement":[{"id":"a","event":"X","points":1,"cap":{"max":5,"per":"week"}}]}"#) == "engagement[0].cap.per")
        #expect(error(#"{"model":"m","fit":[{"id":"a","when":{"trait":"t","eq":1},"points":"lots"}]}"#) == "fit[0].points")
        #expect(error(#"{"model":"m","stages":[{"to":"disqualified","when":{"stage":"lead"}}]}"#) == "stages[0].to")
        #expect(error(#"{"model":"m","grades":{"A":10,"B":20,"C":5}}"#) == "grades.B")
        #expect(error(#"{"model":"m","colour":1}"#) == "colour")
    }
}

@Suite struct QualifierTests {
    let model = try! ScoringModel(json: try! JSONValue(jsonText: ScoringTests.modelText))

    @Test func eventsRaiseTheScoreMoveTheStageAndTheSegmentFollows() throws {
        let segment = try SegmentDefinition(json: try JSONValue(jsonText: #"""
            {"name":"pricing-intent","match":{"all":[{"event":"Page Viewed","where":{"path":{"starts_with":"/pricing"}},"count":{"gte":2},"within":"14d"},{"stage":{"gte":"mql"}}]}}
            """#))
        let qualifier = Qualifier(catalog: try SegmentCatalog([segment]), model: model)
        #expect(qualifier.eventNames == ["Page Viewed", "Demo Requested"])
        var facts = person(["title": "VP Marketing", "company_size": 500], stage: .lead)
        var state = ScoreState()
        var result = qualifier.qualify(&facts, score: &state, newEvents: [], changes: .everything, at: now)
        #expect(result.scoreChanges.count == 2 && result.stageChange == nil && result.membership.entered.isEmpty)
        for hour in 1...3 {
            let event = NewEvent(seq: Int64(hour), name: "Page Viewed", fact: EventFact(timestamp: now.adding(milliseconds: Int64(hour) * 60_000), properties: ["path": "/pricing"]))
            facts.record(name: "Page Viewed", event.fact, keep: qualifier.eventWindow)
            result = qualifier.qualify(&facts, score: &state, newEvents: [event], changes: FactChanges(eventNames: ["Page Viewed"], activity: true), at: event.fact.timestamp)
            if hour == 3 {  // 35 fit + 3 × 10, a little decayed: just over 60
                #expect(result.stageChange == StageChange(from: .lead, to: .mql, reason: "Score reached 60"))
                #expect(result.membership.entered == ["pricing-intent"])
            }
        }
        #expect(facts.contact.stage == .mql)
        // Decay takes the score below 60 after a while, but the stage never moves back by rule.
        let later = try #require(result.nextCheck)
        result = qualifier.qualify(&facts, score: &state, newEvents: [], changes: .everything, at: now.adding(days: 15))
        #expect(later <= now.adding(days: 15))
        #expect(result.membership.exited == ["pricing-intent"])
        #expect(facts.contact.stage == .mql && result.stageChange == nil)
    }
}
