import Foundation
import Testing
import TrellisCore
import TrellisServer

/// The shipped example workflows, played through their scenarios: the seed's day offsets,
/// skip-ahead and exit criteria.
@Suite struct ExampleWorkflowTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func simulate(_ scenario: String) throws -> (Scenario, Simulator.Result) {
        let (workflows, problems) = WorkflowFiles.check(files: WorkflowFiles.expand(["\(Self.root)/examples/workflows"]), templates: nil)
        #expect(problems.isEmpty, "\(problems)")
        let path = "\(Self.root)/examples/scenarios/\(scenario)"
        let document = try YAMLDocument(String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self), file: path)
        let script = try Scenario(json: document.value)
        return (script, try Simulator(workflows: workflows).run(script))
    }

    /// "day 3.0 send email migration-pitfalls" lines for one contact and workflow.
    func lines(_ result: Simulator.Result, _ scenario: Scenario, contact: String, workflow: String, actions: Set<String> = ["send", "exit", "handoff", "update", "enroll"]) -> [String] {
        (result.timelines[contact] ?? []).filter { $0.workflow == workflow && actions.contains($0.action) }.map { entry in
            let day = Double(entry.at.millisecondsSinceEpoch - scenario.start.millisecondsSinceEpoch) / 86_400_000
            return "day \(String(format: "%.1f", day)) \(entry.action) \(entry.detail)"
        }
    }

    @Test func contentDownloadFollowsTheSeedsDaysAndSkipsAheadOnPricing() throws {
        let (scenario, result) = try simulate("content-download.yaml")
        #expect(lines(result, scenario, contact: "maria", workflow: "content-download-to-mql") == [
            "day 0.0 send email ebook-thank-you", "day 3.0 send email migration-pitfalls", "day 5.1 send email demo-offer",
            "day 5.1 update stage mql; score +10; traits nurture_track", "day 5.1 exit completed: exit step",
        ])
        #expect(lines(result, scenario, contact: "jonas", workflow: "content-download-to-mql") == [
            "day 0.0 send email ebook-thank-you", "day 3.0 send email migration-pitfalls", "day 7.0 send email case-study",
            "day 14.0 enroll re-engagement", "day 14.0 exit completed: end of the workflow",
        ])
        // Re-engagement asks every two weeks, on a Tuesday morning.
        #expect(lines(result, scenario, contact: "jonas", workflow: "re-engagement", actions: ["send"]) == [
            "day 15.0 send email ready-to-talk", "day 29.0 send email ready-to-talk", "day 43.0 send email ready-to-talk", "day 57.0 send email ready-to-talk",
        ])
        #expect(result.steps["content-download-to-mql"]?["demo-offer"]?["send"] == 1)
    }

    @Test func webinarAttendeeAndTrialFollowTheSeed() throws {
        let (scenario, result) = try simulate("webinar-and-trial.yaml")
        #expect(lines(result, scenario, contact: "priya", workflow: "webinar-attendee-to-demo") == [
            "day 0.0 update score +15; tags asked-a-question", "day 0.0 handoff Asked a question during the webinar",
            "day 1.0 send email webinar-recording", "day 4.0 send email feature-video", "day 8.0 send email comparison-guide",
            "day 12.0 send email demo-ask", "day 12.0 exit completed: end of the workflow",
        ])
        // Trial: welcome day 0, check-in day 2, usage summary day 5, case study day 10; converted on day 11.
        #expect(lines(result, scenario, contact: "dev", workflow: "trial-to-activation") == [
            "day 0.0 send email trial-welcome", "day 2.0 send email integration-check-in", "day 5.0 send email usage-summary",
            "day 10.0 send email trial-case-study", "day 11.0 exit goal: exit_when[0]",
        ])
    }

    @Test func lifecycleStageAndAccountBasedNurture() throws {
        let (scenario, result) = try simulate("stage-and-account.yaml")
        #expect(lines(result, scenario, contact: "lin", workflow: "mql-nurture") == [
            "day 0.0 send email mql-customer-story", "day 4.0 handoff Engaged MQL clicked the customer story", "day 4.0 exit completed: exit step",
        ])
        #expect(lines(result, scenario, contact: "omar", workflow: "buying-group") == [
            "day 0.0 handoff Three or more people at the account engaged this week", "day 0.0 send email team-evaluation-guide",
            "day 3.0 send email security-and-admin-overview", "day 5.0 exit goal: exit_when[0]",
        ])
    }
}
