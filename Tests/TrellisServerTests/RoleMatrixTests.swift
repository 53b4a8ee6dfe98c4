import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisServer
import TrellisStore

/// Every route of the management and tracking APIs, with every role: a role with the route's
/// permission gets past authorization (whatever the route answers next), a role without it gets
/// 403, and no key gets 401. A route checking its body before its key would show here.
@Suite struct RoleMatrixTests {
    struct Route: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
        var needs: Permission
        var description: String { "\(method) \(path)" }
    }

    static let routes: [Route] = [
        .init(method: .get, path: "/api/v1/contacts", needs: .readContacts),
        .init(method: .get, path: "/api/v1/audit", needs: .readAudit),
        .init(method: .get, path: "/api/v1/keys", needs: .manageKeys),
        .init(method: .delete, path: "/api/v1/keys/nope", needs: .manageKeys),
        .init(method: .get, path: "/api/v1/contacts/999/export", needs: .readContacts),
        .init(method: .post, path: "/api/v1/contacts/999/erase", needs: .deleteContacts),
        .init(method: .get, path: "/api/v1/reports/consent?from=2026-03-01&to=2026-04-01", needs: .readContacts),
        .init(method: .get, path: "/api/v1/contacts/1", needs: .readContacts),
        .init(method: .patch, path: "/api/v1/contacts/1", body: #"{"traits": {"plan": "pro"}}"#, needs: .editContacts),
        .init(method: .delete, path: "/api/v1/contacts/999", needs: .deleteContacts),
        .init(method: .get, path: "/api/v1/contacts/1/timeline", needs: .readContacts),
        .init(method: .get, path: "/api/v1/contacts/1/consent", needs: .readContacts),
        .init(method: .get, path: "/api/v1/accounts/999", needs: .readContacts),
        .init(method: .get, path: "/api/v1/forms", needs: .readForms),
        .init(method: .post, path: "/api/v1/forms", body: "{}", needs: .manageForms),
        .init(method: .get, path: "/api/v1/forms/nope", needs: .readForms),
        .init(method: .put, path: "/api/v1/forms/nope", body: "{}", needs: .manageForms),
        .init(method: .delete, path: "/api/v1/forms/nope", needs: .manageForms),
        .init(method: .get, path: "/api/v1/content", needs: .readContent),
        .init(method: .get, path: "/api/v1/content/nope", needs: .readContent),
        .init(method: .post, path: "/api/v1/content/nope/preview", body: "{}", needs: .readContent),
        .init(method: .post, path: "/api/v1/content/nope/test-send", body: "{}", needs: .sendEmail),
        .init(method: .get, path: "/api/v1/contacts/1/emails", needs: .readContacts),
        .init(method: .get, path: "/api/v1/suppressions", needs: .readContacts),
        .init(method: .post, path: "/api/v1/suppressions", body: "{}", needs: .manageSuppressions),
        .init(method: .delete, path: "/api/v1/suppressions/x@example.com", needs: .manageSuppressions),
        .init(method: .post, path: "/api/v1/inbound", body: "{}", needs: .reportInbound),
        .init(method: .get, path: "/api/v1/reports/funnel?from=2026-03-01&to=2026-04-01", needs: .readSegments),
        .init(method: .get, path: "/api/v1/reports/experiments/nope", needs: .readSegments),
        .init(method: .get, path: "/api/v1/reports/attribution", needs: .readSegments),
        .init(method: .get, path: "/api/v1/reports/email?from=2026-03-01&to=2026-04-01", needs: .readSegments),
        .init(method: .get, path: "/api/v1/handoffs", needs: .readContacts),
        .init(method: .get, path: "/api/v1/handoffs/rejections", needs: .readContacts),
        .init(method: .get, path: "/api/v1/handoffs/999", needs: .readContacts),
        .init(method: .post, path: "/api/v1/handoffs/999/feedback", body: "{}", needs: .editContacts),
        .init(method: .get, path: "/api/v1/webhooks/deliveries", needs: .readContacts),
        .init(method: .get, path: "/api/v1/scoring-model", needs: .readSegments),
        .init(method: .put, path: "/api/v1/scoring-model", body: "{}", needs: .manageSegments),
        .init(method: .get, path: "/api/v1/contacts/1/score", needs: .readContacts),
        .init(method: .get, path: "/api/v1/segments", needs: .readSegments),
        .init(method: .post, path: "/api/v1/segments", body: "{}", needs: .manageSegments),
        .init(method: .post, path: "/api/v1/segments/preview", body: "{}", needs: .readSegments),
        .init(method: .get, path: "/api/v1/segments/999", needs: .readSegments),
        .init(method: .put, path: "/api/v1/segments/999", body: "{}", needs: .manageSegments),
        .init(method: .delete, path: "/api/v1/segments/999", needs: .manageSegments),
        .init(method: .get, path: "/api/v1/segments/999/contacts", needs: .readSegments),
        .init(method: .get, path: "/api/v1/contacts/1/segments", needs: .readSegments),
        .init(method: .get, path: "/api/v1/workflows", needs: .readSegments),
        .init(method: .post, path: "/api/v1/workflows", body: "{}", needs: .manageSegments),
        .init(method: .get, path: "/api/v1/workflows/nope", needs: .readSegments),
        .init(method: .post, path: "/api/v1/workflows/nope/publish", needs: .manageSegments),
        .init(method: .post, path: "/api/v1/workflows/nope/pause", needs: .manageSegments),
        .init(method: .post, path: "/api/v1/workflows/nope/archive", needs: .manageSegments),
        .init(method: .get, path: "/api/v1/contacts/1/workflows", needs: .readContacts),
    ]

    @Test func everyRouteLetsInExactlyTheRolesWithItsPermission() async throws {
        let fixture = try await ServerFixture()
        let message = IngestMessage(TrackingMessage(type: .identify, messageId: "m1", userId: "u1", traits: ["email": "ada@example.com"]))
        _ = try await fixture.store.ingest([IngestBatch(source: "web", receivedAt: fixture.clock.now(), messages: [message])])
        let problems = try await fixture.app.test(.router) { client -> [String] in
            var problems: [String] = []
            for route in Self.routes {
                let body = route.body.map { ByteBuffer(string: $0) }
                for role in Role.allCases {
                    var headers = fixture.bearer(role)
                    if body != nil { headers[.contentType] = "application/json" }
                    let status = try await client.execute(uri: route.path, method: route.method, headers: headers, body: body) { $0.status }
                    let allowed = role.allows(route.needs)
                    if allowed, status == .unauthorized || status == .forbidden { problems.append("\(route) as \(role): \(status.code), expected past authorization") }
                    if !allowed, status != .forbidden { problems.append("\(route) as \(role): \(status.code), expected 403") }
                }
                var anonymous: HTTPFields = [:]
                if body != nil { anonymous[.contentType] = "application/json" }
                let status = try await client.execute(uri: route.path, method: route.method, headers: anonymous, body: body) { $0.status }
                if status != .unauthorized { problems.append("\(route) without a key: \(status.code), expected 401") }
            }
            // Tracking takes the key as Basic user name: only roles that may ingest.
            for role in Role.allCases {
                let status = try await client.execute(
                    uri: "/v1/track", method: .post, headers: fixture.basic(role),
                    body: ByteBuffer(string: #"{"userId": "u1", "event": "Role Checked", "messageId": "role-\#(role.rawValue)"}"#)
                ) { $0.status }
                if role.allows(.ingest) != (status == .ok) { problems.append("POST /v1/track as \(role): \(status.code)") }
            }
            return problems
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        // The two the issue names: a write key only ingests, a sales key cannot edit workflows.
        #expect(Role.write.permissions == [.ingest] && !Role.sales.allows(.manageSegments))
    }
}
