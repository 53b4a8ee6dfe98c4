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

    /// A revoked key stops working: at once when revoked through this server, within the recheck
    /// time when revoked by another process (the CLI deletes it from the store).
    @Test func revokedKeysStopWorking() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            var ids: [String: String] = [:]
            try await client.execute(uri: "/api/v1/keys", method: .get, headers: fixture.bearer(.admin)) { response in
                #expect(response.status == .ok && !response.body.text.contains(fixture.keys[.admin]!))
                for item in response.body.json["items"]?.arrayValue ?? [] { ids[item["role"]?.stringValue ?? ""] = item["id"]?.stringValue }
            }
            #expect(ids.count == Role.allCases.count)
            try await client.execute(uri: "/api/v1/keys", method: .get, headers: fixture.bearer(.marketer)) { #expect($0.status == .forbidden) }
            // Through the API: the marketer key works, is revoked, and is refused at once.
            try await client.execute(uri: "/api/v1/contacts", method: .get, headers: fixture.bearer(.marketer)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/keys/\(ids["marketer"]!)", method: .delete, headers: fixture.bearer(.admin)) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/api/v1/contacts", method: .get, headers: fixture.bearer(.marketer)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/keys/\(ids["marketer"]!)", method: .delete, headers: fixture.bearer(.admin)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/keys/\(ids["admin"]!)", method: .delete, headers: fixture.bearer(.admin)) { #expect($0.status == .conflict) }
            // By another process (as trellis keys revoke does): the write key works until the recheck.
            let track = ByteBuffer(string: #"{"userId":"u1","event":"E"}"#)
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(), body: track) { #expect($0.status == .ok) }
            #expect(try await fixture.store.deleteAPIKey(id: ids["write"]!) != nil)
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(), body: track) { #expect($0.status == .ok) }
            fixture.clock.advance(milliseconds: KeyAuthenticator.recheck)
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(), body: track) { #expect($0.status == .unauthorized) }
        }
    }
}
