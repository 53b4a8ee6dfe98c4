import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisServer
import TrellisStore

/// The audit log through the API: changes are recorded with the key that made them; reads,
/// previews and refused requests are not; only admin keys may read it.
@Suite struct AuditTests {
    @Test func changesAreRecordedWithTheirKeyAndOnlyAdminsReadThem() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/identify", method: .post, headers: fixture.basic(), body: ByteBuffer(string: #"{"userId":"u1","traits":{"email":"ada@example.com"}}"#)
            ) { #expect($0.status == .ok) }
            let patch = ByteBuffer(string: #"{"traits":{"plan":"pro"}}"#)
            try await client.execute(uri: "/api/v1/contacts/1", method: .patch, headers: fixture.bearer(.marketer, json: true), body: patch) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/v1/contacts/1", method: .patch, headers: fixture.bearer(.read, json: true), body: patch) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/contacts/1", method: .patch, headers: fixture.bearer(.marketer, json: true), body: ByteBuffer(string: "{")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(
                uri: "/api/v1/segments/preview", method: .post, headers: fixture.bearer(.marketer, json: true),
                body: ByteBuffer(string: #"{"match":{"trait":"company_size","gte":200}}"#)
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/contacts/1", method: .delete, headers: fixture.bearer(.admin)) { #expect($0.status == .noContent) }

            try await client.execute(uri: "/api/v1/audit", method: .get, headers: fixture.bearer(.admin)) { response in
                #expect(response.status == .ok)
                let items = response.body.json["items"]?.arrayValue ?? []
                let lines = items.map { "\($0["actor"]?.stringValue ?? "") \($0["role"]?.stringValue ?? "") \($0["method"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "") \($0["status"]?.intValue ?? 0)" }
                #expect(lines == ["key:admin admin DELETE /api/v1/contacts/1 204", "key:marketer marketer PATCH /api/v1/contacts/1 200"])
                #expect(items.first?["at"] == "2026-03-02T09:00:00.000Z")
            }
            try await client.execute(uri: "/api/v1/audit?limit=1", method: .get, headers: fixture.bearer(.admin)) { response in
                #expect(response.body.json["items"]?.arrayValue?.count == 1 && response.body.json["next"]?.stringValue != nil)
            }
            try await client.execute(uri: "/api/v1/audit", method: .get, headers: fixture.bearer(.marketer)) { #expect($0.status == .forbidden) }
        }
    }
}
