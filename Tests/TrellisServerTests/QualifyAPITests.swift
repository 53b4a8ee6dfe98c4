import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisServer
import TrellisStore

/// The qualify stage end to end: tracking calls in, scores, stages and memberships out.
@Suite struct QualifyAPITests {
    static let segmentYAML = """
        name: pricing-intent
        match:
          all:
            - trait: company_size
              gte: 50
            - event: Page Viewed
              where: { path: /pricing }
              count: { gte: 2 }
              within: 14d
            - any:
                - stage: mql
                - score: { gte: 60 }
            - not: { unsubscribed: email }
        """

    static let modelJSON = #"""
        {"model":"test",
         "fit":[{"id":"size","when":{"trait":"company_size","gte":50},"points":20,"reason":"Company of 50+"}],
         "engagement":[{"id":"pricing","event":"Page Viewed","where":{"path":"/pricing"},"points":15,"reason":"Visited pricing"},
                       {"id":"ebook","event":"Ebook Downloaded","points":10,"reason":"Downloaded an ebook"}],
         "stages":[{"to":"mql","when":{"score":{"gte":60}},"reason":"Score reached 60"}]}
        """#

    func batch(_ fixture: ServerFixture, _ messages: [JSONValue]) -> ByteBuffer {
        ByteBuffer(string: JSONValue.object(["batch": .array(messages)]).jsonText)
    }

    func page(_ id: String, path: String, at: Timestamp) -> JSONValue {
        ["type": "page", "messageId": .string(id), "userId": "u1", "name": "Pricing", "properties": ["path": .string(path)], "timestamp": .string(at.iso8601)]
    }

    @Test func eventsMoveAContactInScoreItMoveItToMQLAndTheWindowMovesItOut() async throws {
        let fixture = try await ServerFixture()
        let start = fixture.clock.now()
        try await fixture.app.test(.router) { client in
            var headers = fixture.bearer(.marketer)
            headers[.contentType] = "application/json"
            try await client.execute(uri: "/api/v1/scoring-model", method: .put, headers: headers, body: ByteBuffer(string: Self.modelJSON)) { response in
                #expect(response.status == .ok)
            }
            var yamlHeaders = fixture.bearer(.marketer)
            yamlHeaders[.contentType] = "application/yaml"
            var segmentId: Int64 = 0
            try await client.execute(uri: "/api/v1/segments", method: .post, headers: yamlHeaders, body: ByteBuffer(string: Self.segmentYAML)) { response in
                #expect(response.status == .created)
                segmentId = response.body.json["id"].flatMap { if case .int(let id) = $0 { id } else { nil } } ?? 0
            }
            await fixture.services.qualify.waitForRecomputes()

            let identify: JSONValue = [
                "type": "identify", "messageId": "m0", "userId": "u1", "traits": ["email": "ada@acme.example", "company_size": 120],
                "timestamp": .string(start.iso8601),
            ]
            try await client.execute(uri: "/v1/batch", method: .post, headers: fixture.basic(), body: batch(fixture, [identify, page("m1", path: "/pricing", at: start)])) {
                #expect($0.status == .ok)
            }
            try await fixture.services.qualify.drain()
            let contactId = try #require(try await fixture.store.contacts(ContactQuery(userId: "u1")).first?.id)
            #expect(try await fixture.store.memberships(contactId: contactId).isEmpty)

            fixture.clock.advance(days: 2)
            let second = [page("m2", path: "/pricing", at: fixture.clock.now()), ["type": "track", "messageId": "m3", "userId": "u1", "event": "Ebook Downloaded"] as JSONValue]
            try await client.execute(uri: "/v1/batch", method: .post, headers: fixture.basic(), body: batch(fixture, second)) { #expect($0.status == .ok) }
            let report = try await fixture.services.qualify.drain()
            #expect(report.entered == 1 && report.stageChanges == 1)

            // In the segment, with a score of 20 fit + 15 + 15 + 10 and the reasons stored.
            try await client.execute(uri: "/api/v1/segments/\(segmentId)/contacts", method: .get, headers: fixture.bearer(.read)) { response in
                #expect(response.body.json["items"]?.arrayValue?.map { $0["id"] } == [.int(contactId)])
            }
            try await client.execute(uri: "/api/v1/contacts/\(contactId)/score", method: .get, headers: fixture.bearer(.sales)) { response in
                let body = response.body.json
                #expect(body["score"] == .int(60))
                #expect(body["fit"] == .int(20))
                let texts = body["reasons"]?.arrayValue?.compactMap { $0["text"]?.stringValue } ?? []
                #expect(texts.first?.hasPrefix("Visited pricing (2 times") == true)
                #expect(texts.contains("Company of 50+: +20 fit"))
            }
            let contact = try #require(try await fixture.store.contact(id: contactId))
            #expect(contact.stage == .mql)
            let timeline = try await fixture.store.timeline(contactId: contactId, before: nil, limit: 50).compactMap(\.name)
            #expect(timeline.contains("Segment Entered") && timeline.contains("Lifecycle Stage Changed"))
            try await client.execute(uri: "/api/v1/contacts/\(contactId)/segments", method: .get, headers: fixture.bearer(.read)) { response in
                let item = response.body.json["items"]?.arrayValue?.first
                #expect(item?["member"] == .bool(true))
                #expect(item?["why"]?.arrayValue?.contains { $0["text"]?.stringValue?.hasPrefix("2 × Page Viewed") == true } == true)
            }

            // 12 days after the first visit it is still inside the 14-day window; a day after it, it is not.
            fixture.clock.set(start.adding(days: 13))
            #expect(try await fixture.services.qualify.drain().exited == 0)
            fixture.clock.set(start.adding(days: 14).adding(milliseconds: 1))
            let expiry = try await fixture.services.qualify.drain()
            #expect(expiry.dueChecks == 1 && expiry.exited == 1)
            #expect(try await fixture.store.memberships(contactId: contactId).isEmpty)
            #expect(try await fixture.store.contact(id: contactId)?.stage == .mql)
            let latest = try await fixture.store.timeline(contactId: contactId, before: nil, limit: 1)
            #expect(latest.first?.name == "Segment Exited")
        }
    }

    @Test func segmentErrorsNameThePathAndLineAndStoreNothing() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            var yamlHeaders = fixture.bearer(.marketer)
            yamlHeaders[.contentType] = "application/yaml"
            let bad = Self.segmentYAML.replacingOccurrences(of: "within: 14d", with: "within: fortnight")
            try await client.execute(uri: "/api/v1/segments", method: .post, headers: yamlHeaders, body: ByteBuffer(string: bad)) { response in
                #expect(response.status == .badRequest)
                let error = response.body.json["error"]
                #expect(error?["field"] == "match.all[1].within")
                #expect(error?["line"] == .int(9))
            }
            var jsonHeaders = fixture.bearer(.marketer)
            jsonHeaders[.contentType] = "application/json"
            // A pattern that backtracks exponentially is refused, its field named once in the message.
            let evil = #"{"name":"x","match":{"trait":"title","matches":"(a+)+$"}}"#
            try await client.execute(uri: "/api/v1/segments", method: .post, headers: jsonHeaders, body: ByteBuffer(string: evil)) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["field"] == "match.matches")
                #expect(response.body.json["error"]?["message"]?.stringValue?.hasPrefix("match.matches: (a+)+ repeats a repetition") == true)
            }
            let short = #"{"name":"x","match":{"trait":"title","in":"x"}}"#
            try await client.execute(uri: "/api/v1/segments", method: .post, headers: jsonHeaders, body: ByteBuffer(string: short)) { response in
                #expect(response.body.json["error"]?["message"] == "match.in must be a non-empty list")
            }
            let unknown = #"{"name":"x","match":{"in_segment":"nope"}}"#
            try await client.execute(uri: "/api/v1/segments", method: .post, headers: jsonHeaders, body: ByteBuffer(string: unknown)) { response in
                #expect(response.status == .notFound)
                #expect(response.body.json["error"]?["code"] == "unknown_segment")
            }
            try await client.execute(uri: "/api/v1/segments", method: .post, headers: fixture.bearer(.sales, json: true), body: ByteBuffer(string: unknown)) {
                #expect($0.status == .forbidden)
            }
            #expect(try await fixture.store.segments().isEmpty)
        }
    }

    @Test func previewCountsWithoutSavingAndStageStepsBackNeedAReason() async throws {
        let fixture = try await ServerFixture()
        let messages = (1...6).map { index in
            IngestMessage(TrackingMessage(type: .identify, messageId: "i\(index)", userId: "u\(index)", traits: ["country": index % 2 == 0 ? "DE" : "US"]))
        }
        _ = try await fixture.store.ingest([IngestBatch(source: "test", receivedAt: fixture.clock.now(), messages: messages)])
        try await fixture.app.test(.router) { client in
            let rule = #"{"match":{"trait":"country","eq":"de"}}"#
            try await client.execute(uri: "/api/v1/segments/preview", method: .post, headers: fixture.bearer(.read, json: true), body: ByteBuffer(string: rule)) {
                let body = $0.body.json
                #expect(body["matching"] == .int(3) && body["contacts"] == .int(6))
            }
            #expect(try await fixture.store.segments().isEmpty)
            let id = try #require(try await fixture.store.contacts(ContactQuery(userId: "u1")).first?.id)
            let forward = ByteBuffer(string: #"{"stage":"sql"}"#)
            try await client.execute(uri: "/api/v1/contacts/\(id)", method: .patch, headers: fixture.bearer(.sales, json: true), body: forward) { #expect($0.status == .ok) }
            let back = ByteBuffer(string: #"{"stage":"lead"}"#)
            try await client.execute(uri: "/api/v1/contacts/\(id)", method: .patch, headers: fixture.bearer(.sales, json: true), body: back) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["field"] == "stageReason")
            }
            let reasoned = ByteBuffer(string: #"{"stage":"lead","stageReason":"Budget frozen until Q3"}"#)
            try await client.execute(uri: "/api/v1/contacts/\(id)", method: .patch, headers: fixture.bearer(.sales, json: true), body: reasoned) { #expect($0.status == .ok) }
            let change = try await fixture.store.timeline(contactId: id, before: nil, limit: 5).first { $0.name == "Lifecycle Stage Changed" }
            #expect(change?.properties["reason"] == "Budget frozen until Q3")
        }
    }
}
