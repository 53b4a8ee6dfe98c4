import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisServer
import TrellisStore

@Suite struct WorkflowAPITests {
    static let yaml = """
        workflow: ebook-nurture
        trigger:
          event: Ebook Downloaded
        exit_when:
          - event: Demo Booked
        steps:
          - send: { email: thank-you }
          - wait: 3d
          - send: { email: pitfalls }
        """

    @Test func uploadPublishEnrollAndReadTheRun() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            var yaml = fixture.bearer(.marketer)
            yaml[.contentType] = "application/yaml"
            try await client.execute(uri: "/api/v1/workflows", method: .post, headers: yaml, body: ByteBuffer(string: Self.yaml)) { response in
                #expect(response.status == .created)
                #expect(response.body.json["status"] == "draft" && response.body.json["version"] == .int(1))
            }
            try await client.execute(uri: "/api/v1/workflows/ebook-nurture/publish", method: .post, headers: fixture.bearer(.marketer)) {
                #expect($0.body.json["status"] == "published")
            }
            let batch = #"{"batch":[{"type":"track","messageId":"m1","userId":"u1","event":"Ebook Downloaded"}]}"#
            try await client.execute(uri: "/v1/batch", method: .post, headers: fixture.basic(), body: ByteBuffer(string: batch)) { #expect($0.status == .ok) }
            let report = try await fixture.services.workflows.drain()
            #expect(report.entered == 1 && report.sends == 1)
            fixture.clock.advance(days: 3)
            #expect(try await fixture.services.workflows.drain().sends == 1)
            let id = try #require(try await fixture.store.contacts(ContactQuery(userId: "u1")).first?.id)
            try await client.execute(uri: "/api/v1/contacts/\(id)/workflows", method: .get, headers: fixture.bearer(.sales)) { response in
                let run = response.body.json["items"]?.arrayValue?.first
                #expect(run?["workflow"] == "ebook-nurture" && run?["status"] == "finished" && run?["finishReason"] == "completed")
                let sends = run?["actions"]?.arrayValue?.filter { $0["action"] == "send" }.compactMap { $0["detail"]?.stringValue }
                #expect(sends == ["email thank-you", "email pitfalls"])
            }
            try await client.execute(uri: "/api/v1/workflows/ebook-nurture", method: .get, headers: fixture.bearer(.read)) { response in
                #expect(response.body.json["steps"]?["steps[0]"]?["send"] == .int(1))
                #expect(response.body.json["publishedVersion"] == .int(1))
            }
        }
    }

    @Test func aBadWorkflowIsRefusedWithItsLine() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            var yaml = fixture.bearer(.marketer)
            yaml[.contentType] = "application/yaml"
            let bad = Self.yaml.replacingOccurrences(of: "wait: 3d", with: "wait: 3")
            try await client.execute(uri: "/api/v1/workflows", method: .post, headers: yaml, body: ByteBuffer(string: bad)) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["field"] == "steps[1].wait" && response.body.json["error"]?["line"] == .int(8))
            }
            let loop = Self.yaml + "\n  - goto: nowhere\n"
            try await client.execute(uri: "/api/v1/workflows", method: .post, headers: yaml, body: ByteBuffer(string: loop)) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["field"] == "steps[3].goto")
            }
            try await client.execute(uri: "/api/v1/workflows", method: .post, headers: fixture.bearer(.sales, json: true), body: ByteBuffer(string: "{}")) {
                #expect($0.status == .forbidden)
            }
            #expect(try await fixture.store.workflowVersions().isEmpty)
        }
    }
}
