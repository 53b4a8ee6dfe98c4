import Testing
@testable import TrellisCore

/// The engine on a virtual clock: time is whatever the test says.
@Suite struct WorkflowEngineTests {
    static let json = #"""
        {"workflow":"ebook","trigger":{"event":"Ebook Downloaded"},
         "entry":{"once":true,"require":{"consented":"email"}},
         "exit_when":[{"event":"Demo Booked"}],
         "on":[{"when":{"event":"Page Viewed","where":{"path":"/pricing"}},"goto":"demo-offer"}],
         "steps":[
           {"id":"thank-you","send":{"email":"ebook-thank-you"}},
           {"wait":"3d"},
           {"send":{"email":"migration-pitfalls"}},
           {"wait_until":{"event":"Webinar Registered","timeout":"7d"}},
           {"branch":{"if":{"clicked":"any","within":"7d"},"then":[{"send":{"email":"case-study"}}],"else":[{"goto":"re-engage"}]}},
           {"split":{"variants":{"a":45,"b":45},"holdout":10}},
           {"id":"demo-offer","send":{"email":"demo-offer"}},
           {"update":{"stage":"mql","score":10}},
           {"exit":true},
           {"id":"re-engage","enroll":"re-engagement"}]}
        """#

    let engine = WorkflowEngine(program: try! WorkflowProgram(try! WorkflowDefinition(json: try! JSONValue(jsonText: json))), version: 1)
    let day: Int64 = 86_400_000

    func lead(consent: Bool = true) -> ContactFacts {
        var facts = person(["email": "maria@example.com"])
        if consent { facts.contact.consent.email = ChannelConsent(status: .granted, basis: .express, recordedAt: now) }
        return facts
    }

    func summary(_ actions: [RunAction]) -> [String] { actions.map { "\($0.kind.rawValue) \($0.detail)" } }

    @Test func entryNeedsConsentAndHappensOnce() {
        #expect(engine.mayEnter(lead(), earlier: [], at: now))
        #expect(!engine.mayEnter(lead(consent: false), earlier: [], at: now))
        let (run, _) = engine.start(contactId: 1, facts: lead(), at: now)
        #expect(!engine.mayEnter(lead(), earlier: [run], at: now.adding(days: 400)))
    }

    @Test func theTimelineFollowsTheWaitsAndTheEventItWaitsFor() {
        var facts = lead()
        var (run, actions) = engine.start(contactId: 1, facts: facts, at: now)
        #expect(summary(actions) == ["enter version 1", "send email ebook-thank-you", "wait until \(now.adding(days: 3).iso8601)"])
        #expect(engine.advance(&run, facts: facts, at: now.adding(days: 2)).isEmpty)
        actions = engine.advance(&run, facts: facts, at: now.adding(days: 3))
        #expect(summary(actions) == ["send email migration-pitfalls", "wait for Webinar Registered, at most 7d"])
        let registered = EventFact(timestamp: now.adding(days: 4), properties: [:])
        facts.eventsByName["Webinar Registered"] = [registered]
        actions = engine.observe(&run, event: "Webinar Registered", registered, facts: facts, at: now.adding(days: 4))
        #expect(summary(actions) == ["wait Webinar Registered arrived", "branch else", "goto re-engage", "enroll re-engagement", "exit completed: end of the workflow"])
        #expect(run.status == .finished && run.finishReason == "completed")
    }

    @Test func aWaitUntilTimesOutAndAClickTakesTheOtherBranch() {
        var facts = lead()
        var (run, _) = engine.start(contactId: 7, facts: facts, at: now)
        _ = engine.advance(&run, facts: facts, at: now.adding(days: 3))
        facts.eventsByName[EmailEvents.clicked] = [EventFact(timestamp: now.adding(days: 8), properties: ["email": "migration-pitfalls"])]
        #expect(engine.advance(&run, facts: facts, at: now.adding(days: 9)).isEmpty)
        let actions = engine.advance(&run, facts: facts, at: now.adding(days: 10))
        #expect(summary(actions).prefix(3) == ["wait timed out", "branch then", "send email case-study"])
        let split = actions.first { $0.kind == .split }!
        #expect(["a", "b", "holdout"].contains(split.detail))
        #expect(run.status == .finished)
    }

    @Test func pricingSkipsAheadAndADemoEndsTheRun() {
        var facts = lead()
        var (run, _) = engine.start(contactId: 1, facts: facts, at: now)
        let pricing = EventFact(timestamp: now.adding(days: 1), properties: ["path": "/pricing"])
        let actions = engine.observe(&run, event: "Page Viewed", pricing, facts: facts, at: now.adding(days: 1))
        #expect(summary(actions) == ["goto skip ahead to demo-offer on Page Viewed", "send email demo-offer", "update stage mql; score +10", "exit completed: exit step"])
        // A second run, ended by its goal: only a booking after entry counts.
        facts.eventsByName["Demo Booked"] = [EventFact(timestamp: now.adding(days: -30), properties: [:])]
        var (second, _) = engine.start(contactId: 2, facts: facts, at: now)
        #expect(second.status == .waiting)
        let booked = EventFact(timestamp: now.adding(days: 2), properties: [:])
        facts.eventsByName["Demo Booked"]!.append(booked)
        let ended = engine.observe(&second, event: "Demo Booked", booked, facts: facts, at: now.adding(days: 2))
        #expect(summary(ended) == ["exit goal: exit_when[0]"] && second.finishReason == "goal")
    }

    @Test func aReplayFromTheLastSavedRunRepeatsTheSameKeys() {
        let facts = lead()
        let (saved, _) = engine.start(contactId: 1, facts: facts, at: now)
        var first = saved
        var second = saved
        let once = engine.advance(&first, facts: facts, at: now.adding(days: 3))
        let again = engine.advance(&second, facts: facts, at: now.adding(days: 3))
        #expect(once == again && first == second)
        #expect(Set(once.map(\.key)).count == once.count)
    }

    @Test func splitsAreStableAndWeighted() {
        var counts: [String: Int] = [:]
        for contact in 0..<10_000 {
            let variant = WorkflowEngine.pick([SplitVariant(name: "a", weight: 45), SplitVariant(name: "b", weight: 45)], holdout: 10, seed: "w/\(contact)/5")
            counts[variant ?? "holdout", default: 0] += 1
            #expect(variant == WorkflowEngine.pick([SplitVariant(name: "a", weight: 45), SplitVariant(name: "b", weight: 45)], holdout: 10, seed: "w/\(contact)/5"))
        }
        #expect(abs(counts["a"]! - 4500) < 300 && abs(counts["b"]! - 4500) < 300 && abs(counts["holdout"]! - 1000) < 200)
    }

    struct PlusOneHour: TimeZoneOffsets {
        func offset(zone: String, at time: Timestamp) -> Int64 { zone == "Europe/Berlin" ? 3_600_000 : 0 }
    }

    @Test func aWindowWaitsForTheNextWeekdayHourInTheContactsZone() throws {
        let json = #"{"workflow":"w","trigger":{"inactive":"60d"},"steps":[{"wait":{"days":["tue","wed","thu"],"hours":"9-11"}},{"send":{"email":"ready"}}]}"#
        let program = try WorkflowProgram(try WorkflowDefinition(json: try JSONValue(jsonText: json)))
        let saturdayEvening = ISO8601.parse("2026-01-10T20:00:00Z")!
        var facts = lead()
        let (utc, _) = WorkflowEngine(program: program, version: 1).start(contactId: 1, facts: facts, at: saturdayEvening)
        #expect(utc.wakeAt == ISO8601.parse("2026-01-13T09:00:00Z"))
        facts.contact.traits["timezone"] = "Europe/Berlin"
        let (berlin, _) = WorkflowEngine(program: program, version: 1, zones: PlusOneHour()).start(contactId: 1, facts: facts, at: saturdayEvening)
        #expect(berlin.wakeAt == ISO8601.parse("2026-01-13T08:00:00Z"))
        let tuesdayMorning = ISO8601.parse("2026-01-13T10:30:00Z")!
        let (now, actions) = WorkflowEngine(program: program, version: 1).start(contactId: 1, facts: facts, at: tuesdayMorning)
        #expect(now.status == .finished && actions.contains { $0.detail == "email ready" })
    }

    @Test func aLoopTheValidatorWouldRefuseIsStoppedByTheBudget() throws {
        let json = #"{"workflow":"w","trigger":{"event":"X"},"steps":[{"id":"top","update":{"tags":["x"]}},{"goto":"top"}]}"#
        let program = try WorkflowProgram(try WorkflowDefinition(json: try JSONValue(jsonText: json)))
        let (run, _) = WorkflowEngine(program: program, version: 1).start(contactId: 1, facts: lead(), at: now)
        #expect(run.finishReason == "step_budget")
    }

    @Test func reEntryEveryPeriodAndRemoval() throws {
        let json = #"{"workflow":"w","trigger":{"event":"X"},"entry":{"every":"30d"},"steps":[{"send":{"webhook":"crm"}},{"wait":"1d"},{"remove":"other"}]}"#
        let engine = WorkflowEngine(program: try WorkflowProgram(try WorkflowDefinition(json: try JSONValue(jsonText: json))), version: 1)
        var (run, started) = engine.start(contactId: 1, facts: lead(), at: now)
        #expect(started.contains { $0.kind == .send && $0.action == .sendWebhook(name: "crm") && $0.detail == "webhook crm" })
        // Still running: no second entry; finished but within 30 days: none; after 30 days: again.
        #expect(!engine.mayEnter(lead(), earlier: [run], at: now.adding(days: 40)))
        let actions = engine.advance(&run, facts: lead(), at: now.adding(days: 1))
        #expect(summary(actions) == ["remove other", "exit completed: end of the workflow"])
        #expect(actions.first?.action == .remove(workflow: "other"))
        #expect(!engine.mayEnter(lead(), earlier: [run], at: now.adding(days: 20)))
        #expect(engine.mayEnter(lead(), earlier: [run], at: now.adding(days: 30)))
    }
}

@Suite struct SimulatorTriggerTests {
    @Test func dateTraitAndInactivityTriggersFireOnTheVirtualClock() throws {
        let renewal = try WorkflowDefinition(
            json: try JSONValue(jsonText: #"{"workflow":"renewal","trigger":{"date_trait":{"trait":"renewal_date","offset":"-30d"}},"steps":[{"send":{"email":"renewal-soon"}}]}"#))
        let quiet = try WorkflowDefinition(json: try JSONValue(jsonText: #"{"workflow":"quiet","trigger":{"inactive":"20d"},"steps":[{"send":{"email":"miss-you"}}]}"#))
        let scenario = try Scenario(
            json: try JSONValue(
                jsonText: #"""
                    {"start":"2026-01-05T09:00:00Z","until":"60d","contacts":[
                      {"id":"kim","traits":{"email":"kim@example.com","renewal_date":"2026-02-14T09:00:00Z"},
                       "events":[{"at":"3d","track":"Feature Used"}]}]}
                    """#))
        let result = try Simulator(workflows: [renewal, quiet]).run(scenario)
        let sends = (result.timelines["kim"] ?? []).filter { $0.action == "send" }.map { "\($0.at.iso8601.prefix(10)) \($0.detail)" }
        #expect(sends == ["2026-01-15 email renewal-soon", "2026-01-28 email miss-you"])
    }
}
