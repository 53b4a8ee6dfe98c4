import Testing
@testable import TrellisCore

@Suite struct RoutingTests {
    // Monday 2026-03-02 09:00 UTC.
    let now = Timestamp(millisecondsSinceEpoch: 1_772_442_000_000)

    static let setupJSON = #"""
        {"handoff": {"stage": "mql", "sla": {"within": "4h", "remind_after": "2h", "on_lapse": "reassign"},
                     "rejected": {"no_budget": "nurture", "not_a_fit": "disqualified"}},
         "teams": [{"name": "emea", "lead": "lena@acme.example", "territory": {"trait": "country", "in": ["DE", "FR", "GB"]}},
                   {"name": "na-enterprise", "territory": {"all": [{"trait": "country", "in": ["US", "CA"]}, {"trait": "company_size", "gte": 200}]}},
                   {"name": "na"}],
         "owners": [{"id": "lena", "name": "Lena Vogel", "email": "lena@acme.example", "team": "emea", "capacity": 2,
                     "hours": {"zone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}},
                    {"id": "marc", "name": "Marc Petit", "email": "marc@acme.example", "team": "emea"},
                    {"id": "sam", "name": "Sam Reed", "email": "sam@acme.example", "team": "na-enterprise"},
                    {"id": "ana", "name": "Ana Ruiz", "email": "ana@acme.example", "team": "na"},
                    {"id": "bo", "name": "Bo Chen", "email": "bo@acme.example", "team": "na"}],
         "next_steps": [{"when": {"event": "Page Viewed", "where": {"path": {"starts_with": "/pricing"}}, "count": {"gte": 2}, "within": "7d"},
                         "suggest": "Offer a pricing walkthrough"}]}
        """#

    let setup = try! SalesSetup(json: try! JSONValue(jsonText: RoutingTests.setupJSON))

    func lead(_ traits: [String: JSONValue], account: Account? = nil) -> ContactFacts {
        ContactFacts(contact: Contact(id: 1, email: "ada@example.com", traits: traits, firstSeen: now, lastSeen: now), account: account)
    }

    @Test func territoriesThenRoundRobinThenCapacity() throws {
        let router = LeadRouter(setup: setup)
        let german = try #require(router.route(lead(["country": "DE"]), accountOwner: nil, loads: [:], cursors: [:], at: now))
        #expect(german.owner.id == "lena" && german.team == "emea" && german.cursor == 0)
        #expect(german.reason.hasPrefix("territory emea (") && german.reason.hasSuffix("; round robin"))
        // Round robin: the next German lead goes to Marc.
        #expect(router.route(lead(["country": "DE"]), accountOwner: nil, loads: [:], cursors: ["emea": 0], at: now)?.owner.id == "marc")
        // Lena is full (capacity 2): Marc again.
        #expect(router.route(lead(["country": "FR"]), accountOwner: nil, loads: ["lena": 2], cursors: ["emea": 1], at: now)?.owner.id == "marc")
        // A large US company goes to enterprise; a small one falls through to the catch-all team.
        #expect(router.route(lead(["country": "US", "company_size": 500]), accountOwner: nil, loads: [:], cursors: [:], at: now)?.owner.id == "sam")
        let small = try #require(router.route(lead(["country": "US", "company_size": 20]), accountOwner: nil, loads: [:], cursors: [:], at: now))
        #expect(small.team == "na" && small.reason.contains("no territory rule"))
        // Everyone full: the least loaded, and the reason says so.
        let full = try #require(router.route(lead(["country": "GB"]), accountOwner: nil, loads: ["lena": 2, "marc": 30], cursors: [:], at: now))
        #expect(full.owner.id == "lena" && full.reason.contains("least loaded"))
    }

    @Test func accountAffinityWinsAndLapsedOwnersAreSkipped() throws {
        let router = LeadRouter(setup: setup)
        let account = Account(id: 9, groupId: "initech", name: "Initech", traits: [:], createdAt: now, updatedAt: now)
        let decision = try #require(router.route(lead(["country": "US"], account: account), accountOwner: "marc", loads: [:], cursors: [:], at: now))
        #expect(decision.owner.id == "marc" && decision.reason == "account affinity: Marc Petit owns Initech")
        // The owner whose SLA lapsed is not picked again.
        #expect(router.route(lead(["country": "DE"]), accountOwner: nil, loads: [:], cursors: [:], excluding: ["lena"], at: now)?.owner.id == "marc")
    }

    @Test func badSalesFilesNameThePath() {
        func problem(_ text: String) -> String? {
            do {
                _ = try SalesSetup(json: try JSONValue(jsonText: text))
                return nil
            } catch let error as InputError {
                return error.field
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(#"{"teams": [], "owners": []}"#) == "teams")
        #expect(problem(#"{"teams": [{"name": "a"}], "owners": [{"id": "x", "email": "x@a.example", "team": "b"}]}"#) == "owners[0].team")
        #expect(problem(#"{"teams": [{"name": "a"}], "owners": [{"id": "x", "email": "x@a.example", "team": "a", "hours": {"start": "9am"}}]}"#) == "owners[0].hours.start")
        #expect(problem(#"{"handoff": {"sla": {"on_lapse": "ignore"}}, "teams": [{"name": "a"}], "owners": [{"id": "x", "email": "x@a.example", "team": "a"}]}"#) == "handoff.sla.on_lapse")
        #expect(problem(#"{"teams": [{"name": "a", "territory": {"trait": "country", "gte": "x", "bogus": 1}}], "owners": [{"id": "x", "email": "x@a.example", "team": "a"}]}"#)?.hasPrefix("teams[0].territory") == true)
    }

    @Test func businessHoursSkipNightsAndWeekends() {
        let berlin = WorkingHours(zone: "Europe/Berlin")
        let plusOne: (Timestamp) -> Int64 = { _ in 3_600_000 }
        // Monday 09:00 UTC = 10:00 Berlin: 4 hours later is 14:00 Berlin = 13:00 UTC.
        #expect(berlin.adding(businessHours: 4, to: now, offset: plusOne) == now.adding(milliseconds: 4 * 3_600_000))
        // Friday 15:00 UTC = 16:00 Berlin: one hour on Friday, three on Monday → Monday 12:00 Berlin = 11:00 UTC.
        let friday = now.adding(days: 4).adding(milliseconds: 6 * 3_600_000)
        #expect(berlin.adding(businessHours: 4, to: friday, offset: plusOne) == now.adding(days: 7).adding(milliseconds: 2 * 3_600_000))
        // Saturday night: starts Monday 09:00 Berlin.
        let saturday = now.adding(days: 5).adding(milliseconds: 13 * 3_600_000)
        // Saturday: starts Monday 09:00 Berlin (08:00 UTC); one hour later is 09:00 UTC.
        #expect(berlin.adding(businessHours: 1, to: saturday, offset: plusOne) == now.adding(days: 7))
        #expect(berlin.contains(now, offset: 3_600_000) && !berlin.contains(saturday, offset: 3_600_000))
    }

    @Test func nextStepsComeFromRules() {
        let router = LeadRouter(setup: setup)
        var facts = lead([:])
        let pricing = EventFact(timestamp: now.adding(days: -1), properties: ["path": "/pricing"])
        facts.eventsByName["Page Viewed"] = [pricing]
        #expect(router.suggestedNextStep(facts, at: now) == nil)
        facts.eventsByName["Page Viewed"] = [pricing, pricing]
        #expect(router.suggestedNextStep(facts, at: now) == "Offer a pricing walkthrough")
    }
}

@Suite struct PredictiveScoreTests {
    /// Outcomes drawn from a known model: pricing views, a senior title and company size raise the
    /// odds, paid traffic lowers them, and the other features are noise.
    @Test func trainingRecoversTheFeaturesThatDecideOutcomes() {
        var random = SplitMix64(seed: 42)
        func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        var rows: [[Double]] = []
        var labels: [Bool] = []
        let names = OutcomeFeatures.names
        for _ in 0..<3_000 {
            var row = names.map { _ in uniform() * 3 }
            row[names.firstIndex(of: "senior_title")!] = uniform() < 0.3 ? 1 : 0
            row[names.firstIndex(of: "source_paid")!] = uniform() < 0.4 ? 1 : 0
            row[names.firstIndex(of: "pricing_views")!] = Double(Int(uniform() * 5))
            row[names.firstIndex(of: "company_size_log")!] = uniform() * 8
            let z = -3.0 + 0.9 * row[names.firstIndex(of: "pricing_views")!] + 1.5 * row[names.firstIndex(of: "senior_title")!]
                + 0.35 * row[names.firstIndex(of: "company_size_log")!] - 1.2 * row[names.firstIndex(of: "source_paid")!]
            rows.append(row)
            labels.append(uniform() < 1 / (1 + exp(-z)))
        }
        let split = 2_250
        let model = LogisticRegression.fit(features: names, rows: Array(rows[..<split]), labels: Array(labels[..<split]))
        let heldOut = rows[split...].map(model.probability)
        let auc = LogisticRegression.auc(scores: heldOut, labels: Array(labels[split...]))
        #expect(auc > 0.8, "held-out AUC \(auc)")
        let top = Set(model.ranking.prefix(4).map(\.feature))
        #expect(top == ["pricing_views", "senior_title", "company_size_log", "source_paid"], "\(model.ranking.prefix(6))")
        #expect(model.ranking.first { $0.feature == "source_paid" }!.weight < 0)
        // Calibrated: in each band the observed share is near the prediction.
        for band in LogisticRegression.calibration(scores: heldOut, labels: Array(labels[split...])) where band.count >= 50 {
            #expect(abs(band.predicted - band.observed) < 0.12, "\(band)")
        }
    }

    @Test func aucOfPerfectRandomAndInvertedScores() {
        #expect(LogisticRegression.auc(scores: [0.1, 0.2, 0.8, 0.9], labels: [false, false, true, true]) == 1)
        #expect(LogisticRegression.auc(scores: [0.9, 0.8, 0.2, 0.1], labels: [false, false, true, true]) == 0)
        #expect(LogisticRegression.auc(scores: [0.5, 0.5, 0.5, 0.5], labels: [false, true, false, true]) == 0.5)
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ExperimentTests {
    @Test func theTwoProportionTestAndWilsonIntervalMatchTextbookValues() throws {
        let a = ExperimentReport.Arm(name: "a", entered: 1_000, converted: 200), b = ExperimentReport.Arm(name: "b", entered: 1_000, converted: 250)
        // Pooled p 0.225, standard error 0.018675, z 2.677: p = 0.0074.
        let p = try #require(ExperimentReport.twoProportionPValue(b, a))
        #expect(abs(p - 0.0074) < 0.0002)
        let interval = try #require(ExperimentReport.Arm(name: "x", entered: 100, converted: 20).interval)
        #expect(abs(interval.low - 0.1334) < 0.0005 && abs(interval.high - 0.2888) < 0.0005)
        let report = ExperimentReport(arms: [a, b], holdout: .init(name: "holdout", entered: 500, converted: 50))
        #expect(report.comparisons.map { "\($0.arm)/\($0.baseline)" } == ["b/a", "a/holdout", "b/holdout"])
        #expect(abs(report.comparisons[0].lift! - 0.25) < 1e-9 && abs(report.comparisons[2].lift! - 1.5) < 1e-9)
        #expect(ExperimentReport.twoProportionPValue(a, .init(name: "empty", entered: 0, converted: 0)) == nil)
    }
}

@Suite struct AttributionTests {
    @Test func theFourModelsShareTheValueAsDocumented() {
        let touches = ["campaign: spring", "email: case-study", "email: demo-offer", "form: demo-request"]
        #expect(Attribution.credit(touches: touches, value: 10_000, model: .firstTouch) == ["campaign: spring": 10_000])
        #expect(Attribution.credit(touches: touches, value: 10_000, model: .lastTouch) == ["form: demo-request": 10_000])
        #expect(Attribution.credit(touches: touches, value: 10_000, model: .linear) == touches.reduce(into: [:]) { $0[$1] = 2_500 })
        #expect(Attribution.credit(touches: touches, value: 10_000, model: .positionBased)
            == ["campaign: spring": 4_000, "email: case-study": 1_000, "email: demo-offer": 1_000, "form: demo-request": 4_000])
        #expect(Attribution.credit(touches: ["a", "b"], value: 10, model: .positionBased) == ["a": 5, "b": 5])
        #expect(Attribution.credit(touches: [], value: 10, model: .linear).isEmpty)
        #expect(Attribution.collapse(["a", "a", "b", "a"]) == ["a", "b", "a"])
        #expect(Attribution.touch(name: "Page Viewed", properties: [:], context: ["campaign": ["name": "spring", "source": "google"]]) == "campaign: spring")
        #expect(Attribution.touch(name: "Email Clicked", properties: ["email": "case-study"], context: [:]) == "email: case-study")
        #expect(Attribution.touch(name: "Page Viewed", properties: [:], context: [:]) == nil)
    }
}
