import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
@testable import TrellisServer
import TrellisStore

@Suite struct TrackingAPITests {
    @Test func trackWithBasicAuthIsStored() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            let body = #"{"userId":"u1","event":"Pricing Viewed","properties":{"plan":"pro"},"messageId":"m-1"}"#
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["success"] == true)
            }
        }
        let contact = try #require(try await fixture.store.contacts(ContactQuery(userId: "u1")).first)
        let event = try #require(try await fixture.store.timeline(contactId: contact.id, before: nil, limit: 1).first)
        #expect(event.name == "Pricing Viewed")
        #expect(event.source == "web")
        #expect(event.receivedAt == fixture.clock.now())
    }

    /// Tracking and forms answer other origins (the customer's site); the management API does not.
    @Test func corsIsForTrackingAndFormsOnly() async throws {
        let fixture = try await ServerFixture()
        let origin = HTTPField.Name("Origin")!, allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
        let requestMethod = HTTPField.Name("Access-Control-Request-Method")!
        try await fixture.app.test(.router) { client in
            for path in ["/v1/batch", "/f/ebook"] {
                try await client.execute(uri: path, method: .options, headers: [origin: "https://www.acme.example", requestMethod: "POST"]) { response in
                    #expect(response.status == .noContent)
                    #expect(response.headers[allowOrigin] == "*", "\(path)")
                    #expect(response.headers[HTTPField.Name("Access-Control-Allow-Headers")!]?.contains("Content-Encoding") == true)
                    #expect(response.headers[HTTPField.Name("Access-Control-Max-Age")!] == "7200")
                }
            }
            var headers = fixture.basic()
            headers[origin] = "https://www.acme.example"
            try await client.execute(uri: "/v1/track", method: .post, headers: headers, body: ByteBuffer(string: #"{"userId":"u1","event":"E"}"#)) { response in
                #expect(response.status == .ok && response.headers[allowOrigin] == "*")
            }
            headers = fixture.bearer()
            headers[origin] = "https://evil.example"
            try await client.execute(uri: "/api/v1/contacts", method: .get, headers: headers) { response in
                #expect(response.status == .ok && response.headers[allowOrigin] == nil)
            }
            try await client.execute(uri: "/api/v1/contacts", method: .options, headers: [origin: "https://evil.example", requestMethod: "GET"]) { response in
                #expect(response.headers[allowOrigin] == nil)
            }
        }
    }

    /// A browser on the customer's site sees a refusal as what it is: a 4xx with the error body and
    /// the CORS header, so analytics.js drops a bad call instead of retrying it as a network error.
    @Test func crossOriginRefusalsKeepTheirStatusAndAreReadable() async throws {
        let fixture = try await ServerFixture()
        let origin = HTTPField.Name("Origin")!, allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
        try await fixture.app.test(.router) { client in
            var headers = fixture.basic()
            headers[origin] = "https://www.acme.example"
            try await client.execute(uri: "/v1/track", method: .post, headers: headers, body: ByteBuffer(string: #"{"userId":"u1"}"#)) { response in
                #expect(response.status == .badRequest, "\(response.body.text)")
                #expect(response.headers[allowOrigin] == "*")
                #expect(response.body.json["error"]?["field"] == "event")
            }
            try await client.execute(
                uri: "/v1/track", method: .post, headers: [origin: "https://www.acme.example", .contentType: "text/plain"],
                body: ByteBuffer(string: #"{"writeKey":"nope","userId":"u1","event":"E"}"#)
            ) { response in
                #expect(response.status == .unauthorized, "\(response.body.text)")
                #expect(response.headers[allowOrigin] == "*")
            }
        }
        #expect(try await fixture.store.eventCount() == 0)
    }

    /// What analytics.js (the browser library) sends, with `apiHost` pointed at Trellis: each call to
    /// its type's first letter, batches to `/v1/b`, the write key in a `text/plain` JSON body, and
    /// `userId: null` for an anonymous visitor. analytics-java and analytics-ruby post to `/v1/import`.
    @Test func analyticsJSAndImportPathsStoreTheCallsTheyName() async throws {
        let fixture = try await ServerFixture()
        let writeKey = fixture.keys[.write]!
        let origin = HTTPField.Name("Origin")!, allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
        let browser: HTTPFields = [origin: "https://www.acme.example", .contentType: "text/plain"]
        @Sendable func call(_ type: String, _ id: String, _ fields: String) -> String {
            #"{"type":"\#(type)",\#(fields),"userId":null,"anonymousId":"anon-7","messageId":"ajs-next-\#(id)","writeKey":"\#(writeKey)","#
                + #""timestamp":"2026-03-02T08:59:59.000Z","sentAt":"2026-03-02T08:59:59.500Z","integrations":{},"#
                + #""context":{"library":{"name":"analytics.js","version":"next-1.70.0"},"page":{"path":"/pricing","url":"https://www.acme.example/pricing"},"#
                + #""userAgent":"Mozilla/5.0","locale":"en-US"},"_metadata":{"bundled":["Segment.io"],"unbundled":[],"bundledIds":[]}}"#
        }
        let single: [(path: String, type: String, fields: String)] = [
            ("t", "track", #""event":"Pricing Viewed","properties":{"plan":"pro"}"#), ("p", "page", #""name":"Pricing","properties":{"path":"/pricing"}"#),
            ("i", "identify", #""traits":{"email":"anon7@acme.example"}"#), ("g", "group", #""groupId":"acme","traits":{"name":"Acme"}"#),
            ("s", "screen", #""name":"Dashboard""#),
        ]
        try await fixture.app.test(.router) { client in
            for (path, type, fields) in single {
                try await client.execute(uri: "/v1/\(path)", method: .post, headers: browser, body: ByteBuffer(string: call(type, path, fields))) { response in
                    #expect(response.status == .ok, "/v1/\(path): \(response.body.text)")
                    #expect(response.headers[allowOrigin] == "*")
                }
            }
            // The same call again on its long path is a retry, not a second event.
            try await client.execute(uri: "/v1/track", method: .post, headers: browser, body: ByteBuffer(string: call("track", "t", single[0].fields))) { response in
                #expect(response.status == .ok)
            }
            let alias = #"{"type":"alias","userId":"u-7","previousId":"anon-7","messageId":"ajs-next-a","writeKey":"\#(writeKey)"}"#
            try await client.execute(uri: "/v1/a", method: .post, headers: browser, body: ByteBuffer(string: alias)) { response in
                #expect(response.status == .ok, "\(response.body.text)")
            }
            let batch = #"{"writeKey":"\#(writeKey)","sentAt":"2026-03-02T08:59:59.900Z","batch":[\#(call("track", "b1", #""event":"Trial Started""#)),\#(call("page", "b2", #""name":"Docs""#))]}"#
            try await client.execute(uri: "/v1/b", method: .post, headers: browser, body: ByteBuffer(string: batch)) { response in
                #expect(response.status == .ok, "\(response.body.text)")
                #expect(response.headers[allowOrigin] == "*")
            }
            let imported = #"{"batch":[{"type":"track","userId":"u-8","event":"Invoice Paid","messageId":"java-1"}]}"#
            try await client.execute(uri: "/v1/import", method: .post, headers: fixture.basic(), body: ByteBuffer(string: imported)) { response in
                #expect(response.status == .ok, "\(response.body.text)")
            }
            // A single-call path takes one call: a batch body there is refused, not half read.
            try await client.execute(uri: "/v1/t", method: .post, headers: browser, body: ByteBuffer(string: batch)) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json["error"]?["field"] == "userId")
            }
        }
        #expect(try await fixture.store.eventCount() == 9)
        let visitor = try #require(try await fixture.store.contacts(ContactQuery(userId: "u-7")).first)
        let events = try await fixture.store.timeline(contactId: visitor.id, before: nil, limit: 20)
        #expect(Set(events.map(\.type)) == ["track", "page", "identify", "group", "screen", "alias"])
        #expect(events.filter { $0.type == "track" }.compactMap(\.name).sorted() == ["Pricing Viewed", "Trial Started"])
        #expect(events.allSatisfy { $0.source == "web" })
        #expect(visitor.email == "anon7@acme.example")
    }

    /// What analytics.js fetches from its `cdnURL` (and the mobile libraries from `cdnHost`) before
    /// sending: Trellis as the destination at the address the page reached it by, and no telemetry
    /// to Segment. Only a write key gets settings; any other key, or none, is a 404.
    @Test func sourceSettingsPointTheLibrariesHereForAWriteKeyOnly() async throws {
        let fixture = try await ServerFixture()
        let writeKey = fixture.keys[.write]!
        let origin = HTTPField.Name("Origin")!, allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
        try await fixture.app.test(.router) { client in
            // The test client names its authority `localhost`; Tests/Interop/test_browser_tracking.py
            // reads the settings from a real server under its own address.
            let headers: HTTPFields = [origin: "https://www.acme.example"]
            try await client.execute(uri: "/v1/projects/\(writeKey)/settings", method: .get, headers: headers) { response in
                #expect(response.status == .ok, "\(response.body.text)")
                #expect(response.headers[allowOrigin] == "*")
                #expect(response.headers[.cacheControl] == "public, max-age=300")
                let segment = response.body.json["integrations"]?["Segment.io"]
                #expect(segment?["apiKey"] == .string(writeKey))
                #expect(segment?["apiHost"] == "localhost/v1")
                #expect(segment?["protocol"] == "http")
                #expect(response.body.json["integrations"]?.objectValue?.count == 1)
                #expect(response.body.json["metrics"]?["sampleRate"] == 0)
            }
            for key in [fixture.keys[.admin]!, fixture.keys[.marketer]!, "tk_not_a_key"] {
                try await client.execute(uri: "/v1/projects/\(key)/settings", method: .get, headers: headers) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[allowOrigin] == "*")
                    #expect(response.body.json["error"]?["code"] == "not_found")
                }
            }
        }
    }

    /// The first-party tracker is served as a cacheable script that posts to analytics.js's paths
    /// and keeps analytics.js's ids (Tests/Interop/test_browser_tracking.py runs it in Chromium).
    @Test func theTrackerScriptIsServed() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/tracker.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.headers[.cacheControl] == "public, max-age=3600")
                let script = response.body.text
                for part in ["'ajs_anonymous_id'", "'ajs_user_id'", "send('p'", "send('t'", "send('i'", "send('g'", "data-write-key", "'Content-Type': 'text/plain'", "data-consent"] {
                    #expect(script.contains(part), "\(part)")
                }
            }
        }
    }

    @Test func sourceSettingsUseTheConfiguredPublicAddress() {
        let configured = SourceSettings.publicAddress(baseURL: "https://nurture.acme.example/trellis", requestAuthority: "10.0.0.5:8080")
        #expect(configured?.scheme == "https" && configured?.authority == "nurture.acme.example/trellis")
        let withPort = SourceSettings.publicAddress(baseURL: "http://127.0.0.1:8080", requestAuthority: nil)
        #expect(withPort?.scheme == "http" && withPort?.authority == "127.0.0.1:8080")
        let fromHost = SourceSettings.publicAddress(baseURL: nil, requestAuthority: "track.acme.example")
        #expect(fromHost?.scheme == "http" && fromHost?.authority == "track.acme.example")
        #expect(SourceSettings.publicAddress(baseURL: nil, requestAuthority: nil) == nil)
    }

    /// The device's zone (`context.timezone`, which analytics.js and the mobile libraries send)
    /// becomes the contact's `timezone` trait at its first profile call, so quiet hours follow the
    /// person's clock; behaviour alone writes no profile, and a zone the profile has is kept.
    @Test func profileCallsTakeTheDeviceTimeZoneWhenTheContactHasNone() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            let calls: [(String, String)] = [
                ("track", #"{"anonymousId":"a-1","event":"Pricing Viewed","messageId":"t1","context":{"timezone":"Europe/Berlin"}}"#),
                ("identify", #"{"anonymousId":"a-1","userId":"tz-1","traits":{"email":"tz1@acme.example"},"messageId":"i1","context":{"timezone":"Europe/Berlin"}}"#),
                ("identify", #"{"userId":"tz-1","traits":{"title":"CTO"},"messageId":"i2","context":{"timezone":"Asia/Tokyo"}}"#),
                ("identify", #"{"userId":"tz-2","messageId":"i3","context":{"timezone":"not a zone"}}"#),
                ("batch", #"{"context":{"timezone":"America/Chicago"},"batch":[{"type":"identify","userId":"tz-3","messageId":"i4"}]}"#),
            ]
            for (path, body) in calls {
                try await client.execute(uri: "/v1/\(path)", method: .post, headers: fixture.basic(), body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok, "\(body): \(response.body.text)")
                }
            }
        }
        func zone(_ userId: String) async throws -> JSONValue? {
            try #require(try await fixture.store.contacts(ContactQuery(userId: userId)).first).traits["timezone"]
        }
        #expect(try await zone("tz-1") == "Europe/Berlin")
        #expect(try await fixture.store.contacts(ContactQuery(userId: "tz-1")).first?.traits["title"] == "CTO")
        #expect(try await zone("tz-2") == nil)
        #expect(try await zone("tz-3") == "America/Chicago")
    }

    /// A browser may read why it was refused and how long to wait: analytics.js reads
    /// `X-RateLimit-Reset` after a 429.
    @Test func aRateLimitedBrowserCanReadHowLongToWait() async throws {
        let limits = PublicRateLimits(forms: nil, tracking: RateLimit(parsing: "1/m")!, unsubscribe: nil)
        let fixture = try await ServerFixture(rateLimits: limits)
        let origin = HTTPField.Name("Origin")!, allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
        let expose = HTTPField.Name("Access-Control-Expose-Headers")!, reset = HTTPField.Name("X-RateLimit-Reset")!
        var browser = fixture.basic()
        browser[origin] = "https://www.acme.example"
        let headers = browser
        try await fixture.app.test(.router) { client in
            for (n, expected) in [(1, HTTPResponse.Status.ok), (2, .tooManyRequests)] {
                try await client.execute(
                    uri: "/v1/t", method: .post, headers: headers, body: ByteBuffer(string: #"{"userId":"u1","event":"E","messageId":"m\#(n)"}"#)
                ) { response in
                    #expect(response.status == expected)
                    #expect(response.headers[allowOrigin] == "*")
                    #expect(response.headers[expose] == "Retry-After, X-RateLimit-Reset")
                    if expected == .tooManyRequests {
                        #expect(response.headers[.retryAfter] == "60" && response.headers[reset] == "60")
                        #expect(response.body.json["error"]?["code"] == "rate_limited")
                    }
                }
            }
        }
        #expect(try await fixture.store.eventCount() == 1)
    }

    @Test func everyCallTypeIsAccepted() async throws {
        let fixture = try await ServerFixture()
        let bodies: [(String, String)] = [
            ("identify", #"{"userId":"u1","traits":{"email":"u1@acme.example"}}"#), ("track", #"{"userId":"u1","event":"E"}"#),
            ("page", #"{"userId":"u1","name":"Home","properties":{"path":"/"}}"#), ("screen", #"{"userId":"u1","name":"Dashboard"}"#),
            ("group", #"{"userId":"u1","groupId":"acme","traits":{"name":"Acme"}}"#), ("alias", #"{"userId":"u1","previousId":"old"}"#),
        ]
        try await fixture.app.test(.router) { client in
            for (type, body) in bodies {
                try await client.execute(uri: "/v1/\(type)", method: .post, headers: fixture.basic(), body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok, "\(type): \(response.body.text)")
                }
            }
        }
        #expect(try await fixture.store.eventCount() == 6)
    }

    @Test func writeKeyInTheBodyWorks() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app.test(.router) { client in
            let body = #"{"writeKey":"\#(fixture.keys[.write]!)","batch":[{"type":"track","anonymousId":"a","event":"E"}]}"#
            try await client.execute(uri: "/v1/batch", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(try await fixture.store.eventCount() == 1)
    }

    @Test func keysAreChecked() async throws {
        let fixture = try await ServerFixture()
        let body = ByteBuffer(string: #"{"userId":"u1","event":"E"}"#)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/track", method: .post, headers: [.contentType: "application/json"], body: body) { response in
                #expect(response.status == .unauthorized)
                #expect(response.body.json["error"]?["code"] == "unauthorized")
            }
            let wrong = "Basic " + Data("trk_nope:".utf8).base64EncodedString()
            try await client.execute(uri: "/v1/track", method: .post, headers: [.authorization: wrong, .contentType: "application/json"], body: body) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(.read), body: body) { response in
                #expect(response.status == .forbidden)
            }
        }
        #expect(try await fixture.store.eventCount() == 0)
    }

    @Test func aRetriedBatchStoresNothingTwice() async throws {
        let fixture = try await ServerFixture()
        let batch = ByteBuffer(string: #"{"batch":[{"type":"track","userId":"u","event":"A","messageId":"x1"},{"type":"track","userId":"u","event":"B","messageId":"x2"}]}"#)
        try await fixture.app.test(.router) { client in
            for attempt in 0..<3 {
                try await client.execute(uri: "/v1/batch", method: .post, headers: fixture.basic(), body: batch) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.json["stored"] == (attempt == 0 ? 2 : 0))
                }
            }
        }
        #expect(try await fixture.store.eventCount() == 2)
    }

    @Test func gzipBodiesAreInflated() async throws {
        let fixture = try await ServerFixture()
        let body = gzip(Array(#"{"batch":[{"type":"track","userId":"u","event":"Zipped"}]}"#.utf8))
        let headers = fixture.basic().adding(.contentEncoding, "gzip")
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/batch", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .ok, "\(response.body.text)")
            }
        }
        #expect(try await fixture.store.eventCount() == 1)
    }

    /// Each bad request gets a 4xx JSON error naming the problem, and what was stored stays.
    @Test func badInputIsRefusedAndStoredDataIsIntact() async throws {
        let fixture = try await ServerFixture()
        let bomb = gzip([UInt8](repeating: 0x20, count: 50 * 1024 * 1024))  // 50 MB of spaces in ~50 KB
        let bigProperty = String(repeating: "x", count: 40_000)
        let cases: [(name: String, uri: String, body: [UInt8], headers: HTTPFields, status: HTTPResponse.Status, code: String, field: String?)] = [
            ("malformed JSON", "/v1/track", Array(#"{"userId":"u","event":"#.utf8), fixture.basic(), .badRequest, "invalid_json", nil),
            ("bad gzip", "/v1/track", Array("not gzip at all".utf8), fixture.basic().adding(.contentEncoding, "gzip"), .badRequest, "invalid_gzip", nil),
            ("gzip bomb", "/v1/batch", bomb, fixture.basic().adding(.contentEncoding, "gzip"), .contentTooLarge, "payload_too_large", nil),
            ("no ids", "/v1/track", Array(#"{"event":"E"}"#.utf8), fixture.basic(), .badRequest, "missing_identity", "userId"),
            ("track without event", "/v1/track", Array(#"{"userId":"u"}"#.utf8), fixture.basic(), .badRequest, "missing_field", "event"),
            ("bad timestamp", "/v1/track", Array(#"{"userId":"u","event":"E","timestamp":"soon"}"#.utf8), fixture.basic(), .badRequest, "invalid_timestamp", "timestamp"),
            ("wrong content type", "/v1/track", Array(#"{"userId":"u","event":"E"}"#.utf8), fixture.basic().replacing(.contentType, "application/x-www-form-urlencoded"), .unsupportedMediaType, "unsupported_media_type", nil),
            ("message over 32 KB", "/v1/track", Array(#"{"userId":"u","event":"E","properties":{"p":"\#(bigProperty)"}}"#.utf8), fixture.basic(), .contentTooLarge, "payload_too_large", nil),
            ("batch over 500 KB", "/v1/batch", Array(("{\"batch\":[" + Array(repeating: #"{"type":"track","userId":"u","event":"E","properties":{"p":"\#(String(repeating: "y", count: 30_000))"}}"#, count: 20).joined(separator: ",") + "]}").utf8), fixture.basic(), .contentTooLarge, "payload_too_large", nil),
            ("one bad message in a batch", "/v1/batch", Array(#"{"batch":[{"type":"track","userId":"u","event":"Fine"},{"type":"track","userId":"u"}]}"#.utf8), fixture.basic(), .badRequest, "missing_field", "batch[1].event"),
            ("an event Trellis writes itself", "/v1/track", Array(#"{"userId":"u","event":"Sales Feedback","properties":{"outcome":"won","amount":1000000}}"#.utf8), fixture.basic(), .badRequest, "reserved_event", "event"),
            ("unknown encoding", "/v1/track", Array("{}".utf8), fixture.basic().adding(.contentEncoding, "br"), .unsupportedMediaType, "unsupported_encoding", nil),
        ]
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/track", method: .post, headers: fixture.basic(), body: ByteBuffer(string: #"{"userId":"u","event":"Before","messageId":"keep"}"#)) { response in
                #expect(response.status == .ok)
            }
            for item in cases {
                try await client.execute(uri: item.uri, method: .post, headers: item.headers, body: ByteBuffer(bytes: item.body)) { response in
                    #expect(response.status == item.status, "\(item.name): \(response.body.text)")
                    let error = response.body.json["error"]
                    #expect(error?["code"]?.stringValue == item.code, "\(item.name): \(response.body.text)")
                    #expect(error?["message"]?.stringValue?.isEmpty == false, "\(item.name)")
                    if let field = item.field { #expect(error?["field"]?.stringValue == field, "\(item.name)") }
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(item.name)")
                }
            }
        }
        #expect(try await fixture.store.eventCount() == 1)
        if let sqlite = fixture.store as? SQLiteStore { #expect(try await sqlite.integrityCheck() == "ok") }
        let contact = try #require(try await fixture.store.contacts(ContactQuery(userId: "u")).first)
        #expect(try await fixture.store.timeline(contactId: contact.id, before: nil, limit: 5).map(\.name) == ["Before"])
    }
}

extension HTTPFields {
    func adding(_ name: HTTPField.Name, _ value: String) -> HTTPFields {
        var copy = self
        copy[name] = value
        return copy
    }

    func replacing(_ name: HTTPField.Name, _ value: String) -> HTTPFields { adding(name, value) }
}
