import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisServer
import TrellisStore

/// GDPR through the API: a contact's export holds everything kept about them; an erasure deletes
/// the personal data, keeps the funnel figures, and keeps the address only as a hash that stops
/// it from coming back until someone removes that suppression.
@Suite struct PrivacyTests {
    @Test func exportThenEraseKeepsAggregatesAndTheAddressNeverComesBack() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            func post(_ uri: String, _ body: String, headers: HTTPFields) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { $0 }
            }
            let identify = #"{"userId":"u1","anonymousId":"a1","traits":{"email":"Ada@Example.com","firstName":"Ada"},"messageId":"m1"}"#
            #expect(try await post("/v1/identify", identify, headers: fixture.basic()).status == .ok)
            #expect(try await post("/v1/track", #"{"userId":"u1","event":"Demo Requested","properties":{"phone":"+44 20 7946 0000"}}"#, headers: fixture.basic()).status == .ok)
            #expect(try await post("/api/v1/suppressions", #"{"email":"ada@example.com"}"#, headers: fixture.bearer(.admin, json: true)).status == .created)
            try await FunnelReporting.catchUp(fixture.store)

            try await client.execute(uri: "/api/v1/contacts/1/export", method: .get, headers: fixture.bearer(.read)) { response in
                #expect(response.status == .ok && response.headers[.contentDisposition]?.contains("contact-1.json") == true)
                let export = response.body.json
                #expect(export["contact"]?["email"] == "Ada@Example.com")
                #expect(export["events"]?.arrayValue?.compactMap { $0["event"]?.stringValue ?? $0["type"]?.stringValue }.contains("Demo Requested") == true)
                #expect(export["events"]?.arrayValue?.contains { $0["properties"]?["phone"] == "+44 20 7946 0000" } == true)
                for key in ["consentRecords", "emails", "segments", "workflows", "handoffs"] { #expect(export[key]?.arrayValue != nil, "\(key)") }
            }
            #expect(try await post("/api/v1/contacts/1/erase", "", headers: fixture.bearer(.read)).status == .forbidden)
            #expect(try await post("/api/v1/contacts/99/erase", "", headers: fixture.bearer(.admin)).status == .notFound)
            let erased = try await post("/api/v1/contacts/1/erase", "", headers: fixture.bearer(.marketer))
            #expect(erased.status == .ok && erased.body.json["erased"] == true && erased.body.json["addressesSuppressed"] == 1)
            #expect((erased.body.json["events"]?.intValue ?? 0) >= 2)

            // Nothing personal is left: no contact, no events, no readable address anywhere.
            try await client.execute(uri: "/api/v1/contacts/1", method: .get, headers: fixture.bearer(.read)) { #expect($0.status == .notFound) }
            #expect(try await fixture.store.eventCount() == 0)
            #expect(try await fixture.store.contactId(anonymousId: "a1") == nil)
            try await client.execute(uri: "/api/v1/suppressions", method: .get, headers: fixture.bearer(.read)) { response in
                let items = response.body.json["items"]?.arrayValue ?? []
                #expect(items.count == 1 && items[0]["reason"] == "erased" && items[0]["email"]?.stringValue == ErasedAddress.marker("ada@example.com"))
                #expect(!response.body.text.lowercased().contains("ada@example.com"))
            }
            #expect(try await fixture.store.suppression(email: "ADA@example.com")?.reason == .erased)
            // The funnel still counts the lead, anonymously.
            try await client.execute(uri: "/api/v1/reports/funnel?from=2026-03-01&to=2026-03-03", method: .get, headers: fixture.bearer(.read)) { response in
                #expect(response.body.json["current"]?["total"]?["captured"] == 1)
            }

            // The address does not come back through tracking (or an import: the same path) ...
            let again = try await post("/v1/identify", #"{"userId":"u2","traits":{"email":"ada@EXAMPLE.com"}}"#, headers: fixture.basic())
            #expect(again.status == .ok && again.body.json["erased"] == 1 && again.body.json["stored"] == 0)
            #expect(try await fixture.store.contacts(ContactQuery(email: "ada@example.com")).isEmpty)
            // ... until the suppression is removed (the person asked to come back).
            try await client.execute(uri: "/api/v1/suppressions/ada@example.com", method: .delete, headers: fixture.bearer(.admin)) { #expect($0.status == .noContent) }
            #expect(try await post("/v1/identify", #"{"userId":"u2","traits":{"email":"ada@example.com"}}"#, headers: fixture.basic()).body.json["stored"] == 1)

            let audit = try await fixture.store.auditLog(before: nil, limit: 10).map { "\($0.method) \($0.path) \($0.actor)" }
            #expect(audit.contains("POST /api/v1/contacts/1/erase key:marketer"))
        }
    }

    /// The consent evidence report counts what a period recorded and lists every record with the
    /// exact text and version shown, for an auditor.
    @Test func consentEvidenceReportListsWhatWasShownAndWhere() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await FormsTests().create(fixture, client: client)
            for (n, consent) in [(1, "&consent=on"), (2, "")] {
                let body = "_fields=email,firstName&_submission=s\(n)&email=p\(n)%40acme.example&firstName=P\(consent)&hp_website="
                try await client.execute(
                    uri: "/f/ebook", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .userAgent: "TestBrowser/1.0"],
                    body: ByteBuffer(string: body)
                ) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/api/v1/reports/consent?from=2026-03-01&to=2026-03-03", method: .get, headers: fixture.bearer(.read)) { response in
                let report = response.body.json
                #expect(report["records"] == 1 && report["contacts"] == 1 && report["grantsWithoutText"] == 0)
                #expect(report["byChannelAndStatus"]?["email:granted"] == 1 && report["byTextVersion"]?["2026-01"] == 1)
                #expect(report["byMethod"]?["form_checkbox"] == 1)
            }
            try await client.execute(uri: "/api/v1/reports/consent?from=2026-03-01&to=2026-03-03&format=csv", method: .get, headers: fixture.bearer(.read)) { response in
                let lines = response.body.text.split(separator: "\n")
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8" && lines.count == 2)
                #expect(lines.last?.contains("p1@acme.example,email,granted,") == true && lines.last?.contains("2026-01,Email me about CRM migration.") == true)
                #expect(lines.last?.contains("TestBrowser/1.0") == true)
            }
            try await client.execute(uri: "/api/v1/reports/consent?from=2026-03-01&to=2026-03-03&format=pdf", method: .get, headers: fixture.bearer(.read)) {
                #expect($0.status == .badRequest && $0.body.json["error"]?["field"] == "format")
            }
            try await client.execute(uri: "/api/v1/reports/consent?from=2026-03-01&to=2026-03-03", method: .get, headers: fixture.basic()) {
                #expect($0.status == .unauthorized || $0.status == .forbidden)
            }
        }
    }
}
