import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisServer
import TrellisStore

@Suite struct ManagementAPITests {
    func seed(_ fixture: ServerFixture, count: Int) async throws {
        let messages = (1...count).map { index in
            IngestMessage(TrackingMessage(type: .identify, messageId: "i\(index)", userId: "u\(index)", traits: ["email": .string("p\(index)@acme.example")]))
        }
        _ = try await fixture.store.ingest([IngestBatch(source: "test", receivedAt: fixture.clock.now(), messages: messages)])
    }

    @Test func listsFiltersAndPages() async throws {
        let fixture = try await ServerFixture()
        try await seed(fixture, count: 5)
        try await fixture.app.test(.router) { client in
            var cursor: String?
            var seen: [String] = []
            repeat {
                let uri = "/api/v1/contacts?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                try await client.execute(uri: uri, method: .get, headers: fixture.bearer(.read)) { response in
                    #expect(response.status == .ok)
                    let body = response.body.json
                    seen += body["items"]?.arrayValue?.compactMap { $0["email"]?.stringValue } ?? []
                    cursor = body["next"]?.stringValue
                }
            } while cursor != nil
            #expect(seen == (1...5).map { "p\($0)@acme.example" })
            try await client.execute(uri: "/api/v1/contacts?email=P3@ACME.example", method: .get, headers: fixture.bearer()) { response in
                #expect(response.body.json["items"]?.arrayValue?.count == 1)
            }
            try await client.execute(uri: "/api/v1/contacts?userId=u4", method: .get, headers: fixture.bearer()) { response in
                #expect(response.body.json["items"]?.arrayValue?.first?["userId"] == "u4")
            }
            try await client.execute(uri: "/api/v1/contacts?limit=0", method: .get, headers: fixture.bearer()) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["field"] == "limit")
            }
        }
    }

    @Test func rolesAreEnforced() async throws {
        let fixture = try await ServerFixture()
        try await seed(fixture, count: 1)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/contacts", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.body.json["error"]?["code"] == "unauthorized")
            }
            try await client.execute(uri: "/api/v1/contacts", method: .get, headers: fixture.bearer(.write)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/contacts/1", method: .delete, headers: fixture.bearer(.sales)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/contacts/1", method: .patch, headers: fixture.bearer(.read, json: true), body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .forbidden)
            }
        }
    }

    @Test func showPatchTimelineDelete() async throws {
        let fixture = try await ServerFixture()
        try await seed(fixture, count: 1)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/contacts/1", method: .get, headers: fixture.bearer()) { response in
                #expect(response.body.json["email"] == "p1@acme.example")
            }
            let patch = #"{"stage":"sql","owner":"rep@acme.example","traits":{"title":"CTO"}}"#
            try await client.execute(uri: "/api/v1/contacts/1", method: .patch, headers: fixture.bearer(.sales, json: true), body: ByteBuffer(string: patch)) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["stage"] == "sql")
                #expect(response.body.json["traits"]?["title"] == "CTO")
            }
            for (body, field) in [(#"{"stage":"wizard"}"#, "stage"), (#"{"email":"nope"}"#, "email"), (#"{"colour":"red"}"#, "colour"), (#"{"traits":[1]}"#, "traits")] {
                try await client.execute(uri: "/api/v1/contacts/1", method: .patch, headers: fixture.bearer(json: true), body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(response.body.json["error"]?["field"]?.stringValue == field, "\(body)")
                }
            }
            try await client.execute(uri: "/api/v1/contacts/1", method: .patch, headers: fixture.bearer(json: true), body: ByteBuffer(string: "{oops")) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["code"] == "invalid_json")
            }
            try await client.execute(uri: "/api/v1/contacts/1/timeline?limit=10", method: .get, headers: fixture.bearer()) { response in
                let names = response.body.json["items"]?.arrayValue?.compactMap { $0["event"]?.stringValue } ?? []
                #expect(names.first == "Lifecycle Stage Changed")
                #expect(names.contains("Contact Updated"))
            }
            try await client.execute(uri: "/api/v1/contacts/1", method: .delete, headers: fixture.bearer(.marketer)) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/contacts/1", method: .get, headers: fixture.bearer()) { response in
                #expect(response.status == .notFound)
                #expect(response.body.json["error"]?["code"] == "not_found")
            }
            try await client.execute(uri: "/api/v1/contacts/abc", method: .get, headers: fixture.bearer()) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["field"] == "id")
            }
        }
    }

    @Test func accountWithItsContacts() async throws {
        let fixture = try await ServerFixture()
        let users: [String] = ["u1", "u2"]
        let messages = users.map { user in
            IngestMessage(TrackingMessage(type: .group, messageId: "g-\(user)", userId: user, groupId: "acme", traits: ["name": "Acme"]))
        }
        _ = try await fixture.store.ingest([IngestBatch(source: "t", receivedAt: fixture.clock.now(), messages: messages)])
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/accounts/1", method: .get, headers: fixture.bearer(.read)) { response in
                #expect(response.body.json["name"] == "Acme")
                #expect(response.body.json["contacts"]?.arrayValue?.count == 2)
            }
            try await client.execute(uri: "/api/v1/accounts/99", method: .get, headers: fixture.bearer(.read)) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func healthMetricsAndOpenAPI() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(), body: ByteBuffer(string: #"{"userId":"u","event":"E"}"#)) { _ in }
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(), body: ByteBuffer(string: #"{"userId":"u","event":"F"}"#)) { _ in }
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(), body: ByteBuffer(string: #"{"userId":"u"}"#)) { _ in }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["status"] == "ok")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = response.body.text
                #expect(text.contains(#"trellis_events_ingested_total{type="track"} 2"#))
                #expect(text.contains(#"trellis_http_requests_total{route="/v1/track",method="POST",status="200"} 2"#))
                #expect(text.contains(#"trellis_http_requests_total{route="/v1/track",method="POST",status="400"} 1"#))
                #expect(text.contains(#"trellis_http_request_duration_seconds_count{route="/v1/track"} 3"#))
                #expect(text.contains("trellis_ingest_commits_total 2"))
                #expect(text.contains("trellis_ingest_commit_duration_seconds_count 2"))
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                let document = response.body.json
                #expect(document["openapi"] == "3.1.0")
                for path in ["/v1/batch", "/v1/track", "/v1/t", "/v1/b", "/v1/import", "/v1/projects/{writeKey}/settings", "/v1/tracker.js", "/api/v1/contacts", "/api/v1/contacts/{id}", "/api/v1/contacts/{id}/timeline", "/api/v1/accounts/{id}", "/f/{formKey}", "/api/v1/segments", "/api/v1/segments/{id}", "/api/v1/segments/preview", "/api/v1/segments/{id}/contacts", "/api/v1/contacts/{id}/segments", "/api/v1/contacts/{id}/score", "/api/v1/scoring-model", "/api/v1/workflows", "/api/v1/workflows/{name}", "/api/v1/contacts/{id}/workflows", "/api/v1/content", "/api/v1/content/{name}/preview", "/api/v1/content/{name}/test-send", "/api/v1/contacts/{id}/emails", "/api/v1/suppressions", "/api/v1/inbound", "/u/{token}", "/u/{token}/preferences", "/t/o/{token}", "/t/c/{token}", "/api/v1/handoffs", "/api/v1/handoffs/{id}", "/api/v1/handoffs/{id}/feedback", "/api/v1/handoffs/rejections", "/api/v1/crm/callback", "/api/v1/webhooks/deliveries", "/h/{token}", "/api/v1/reports/funnel", "/api/v1/reports/experiments/{workflow}", "/api/v1/reports/attribution", "/api/v1/audit", "/api/v1/contacts/{id}/export", "/api/v1/contacts/{id}/erase", "/api/v1/reports/consent", "/api/v1/keys", "/api/v1/keys/{id}"] {
                    #expect(document["paths"]?[path] != nil, "\(path) is documented")
                }
            }
        }
    }
}
