import Testing
@testable import TrellisCore

@Suite struct WorkflowDefinitionTests {
    /// The contract's own example, as JSON.
    static let contract = #"""
        {"workflow":"content-download-to-mql",
         "trigger":{"event":"Ebook Downloaded","where":{"title":"CRM migration guide"}},
         "entry":{"once":true,"require":{"consented":"email"}},
         "exit_when":[{"event":"Demo Booked"},{"stage":"sql"},{"inactive":"30d"}],
         "on":[{"when":{"event":"Page Viewed","where":{"path":"/pricing"}},"goto":"demo-offer"}],
         "steps":[
           {"id":"thank-you","send":{"email":"ebook-thank-you"}},
           {"wait":"3d"},
           {"send":{"email":"migration-pitfalls"}},
           {"wait_until":{"event":"Webinar Registered","timeout":"7d"}},
           {"branch":{"if":{"clicked":"any","within":"7d"},"then":[{"send":{"email":"case-study"}}],"else":[{"goto":"re-engage"}]}},
           {"split":{"variants":{"a":45,"b":45},"holdout":10}},
           {"id":"demo-offer","send":{"email":"demo-offer"}},
           {"update":{"stage":"mql","traits":{"nurture_track":"migration"},"score":10}},
           {"id":"re-engage","enroll":"re-engagement"}]}
        """#

    func workflow(_ text: String) throws -> WorkflowDefinition {
        try WorkflowDefinition(json: try JSONValue(jsonText: text))
    }

    func parseError(_ text: String) -> InputError? {
        do {
            _ = try workflow(text)
            return nil
        } catch let error as InputError { return error } catch { return nil }
    }

    func withSteps(_ steps: String, extra: String = "") -> String {
        #"{"workflow":"w","trigger":{"event":"X"},"steps":\#(steps)\#(extra)}"#
    }

    @Test func theContractShapeReads() throws {
        let definition = try workflow(Self.contract)
        #expect(definition.name == "content-download-to-mql")
        guard case .event(let trigger) = definition.trigger else { Issue.record("an event trigger"); return }
        #expect(trigger.name == "Ebook Downloaded" && trigger.filters.count == 1)
        #expect(definition.entry.once && definition.entry.require == .consented(channel: "email"))
        #expect(definition.exitWhen.count == 3 && definition.skipAhead.first?.goto == "demo-offer")
        #expect(definition.steps.count == 9)
        #expect(definition.steps[1].action == .wait(.days(3)))
        #expect(definition.steps[5].action == .split(variants: [SplitVariant(name: "a", weight: 45), SplitVariant(name: "b", weight: 45)], holdout: 10))
        #expect(definition.steps[7].action == .update(ContactUpdate(traits: ["nurture_track": "migration"], stage: .mql, score: 10)))
        #expect(definition.problems(templates: ["ebook-thank-you", "migration-pitfalls", "case-study", "demo-offer"], workflows: ["re-engagement"]).isEmpty)
    }

    @Test func everyTriggerKind() throws {
        func trigger(_ json: String) throws -> WorkflowTrigger { try workflow(#"{"workflow":"w","trigger":\#(json),"steps":[{"exit":true}]}"#).trigger }
        #expect(try trigger(#"{"segment_entered":"pricing-intent"}"#) == .segmentEntered("pricing-intent"))
        #expect(try trigger(#"{"form":"demo-request"}"#) == .form("demo-request"))
        #expect(try trigger(#"{"stage_changed":{"to":"mql"}}"#) == .stageChanged(to: .mql, from: nil))
        #expect(try trigger(#"{"date_trait":{"trait":"renewal_date","offset":"-30d"}}"#) == .dateTrait(trait: "renewal_date", offsetMilliseconds: -30 * 86_400_000))
        #expect(try trigger(#"{"inactive":"60d"}"#) == .inactive(.days(60)))
    }

    @Test func reEntryAndWindows() throws {
        let every = try workflow(#"{"workflow":"w","trigger":{"event":"X"},"entry":{"every":"90d"},"steps":[{"wait":{"days":["mon","Tuesday"],"hours":"09:00-17:00"}}]}"#)
        #expect(!every.entry.once && every.entry.every == .days(90))
        #expect(every.steps[0].action == .waitForWindow(days: [.mon, .tue], fromHour: 9, toHour: 17))
        #expect(parseError(#"{"workflow":"w","trigger":{"event":"X"},"entry":{"once":true,"every":"90d"},"steps":[{"exit":true}]}"#)?.field == "entry.every")
    }

    @Test func syntaxErrorsNameTheirPath() {
        let noUnit = parseError(withSteps(#"[{"send":{"email":"a"}},{"wait":3}]"#))
        #expect(noUnit?.field == "steps[1].wait" && noUnit?.code == "missing_unit")
        #expect(parseError(withSteps(#"[{"wait":"3d","send":{"email":"a"}}]"#))?.message.contains("mixes") == true)
        #expect(parseError(withSteps(#"[{"dance":true}]"#))?.code == "unknown_step")
        #expect(parseError(withSteps(#"[{"split":{"variants":{"a":50,"b":40}}}]"#))?.field == "steps[0].split")
        #expect(parseError(withSteps(#"[{"wait_until":{"event":"Webinar Registered"}}]"#))?.field == "steps[0].wait_until.timeout")
        #expect(parseError(withSteps(#"[{"branch":{"if":{"stage":"wizard"},"then":[]}}]"#))?.field == "steps[0].branch.if.stage")
        #expect(parseError(withSteps(#"[{"update":{}}]"#))?.field == "steps[0].update")
        #expect(parseError(#"{"workflow":"w","trigger":{"colour":"red"},"steps":[{"exit":true}]}"#)?.field == "trigger")
        #expect(parseError(#"{"workflow":"w","trigger":{"event":"X"},"steps":[]}"#)?.field == "steps")
    }

    @Test func graphProblemsAreAllReported() throws {
        let definition = try workflow(
            withSteps(
                #"[{"id":"start","send":{"email":"hello"}},{"goto":"start"},{"send":{"email":"never"}},{"goto":"nowhere"},{"id":"start","exit":true},{"enroll":"w"}]"#,
                extra: #","on":[{"when":{"event":"Y"},"goto":"missing"}]"#))
        let problems = definition.problems(templates: ["hello"])
        let fields = problems.compactMap(\.field)
        #expect(fields.contains("steps[4].id"))  // id used twice
        #expect(fields.contains("steps[3].goto"))  // goto to a missing id
        #expect(fields.contains("on[0].goto"))
        #expect(fields.contains("steps[2]"))  // after a goto, named by nothing
        #expect(fields.contains("steps[1].goto") && problems.contains { $0.code == "loop_without_wait" })
        #expect(fields.contains("steps[2].send.email"))  // unknown template
        #expect(fields.contains("steps[5]"))  // enrolls itself
    }

    @Test func aLoopWithAWaitIsFine() throws {
        let definition = try workflow(withSteps(#"[{"id":"ask","send":{"email":"a"}},{"wait":"14d"},{"goto":"ask"}]"#))
        #expect(definition.problems().isEmpty)
    }
}
