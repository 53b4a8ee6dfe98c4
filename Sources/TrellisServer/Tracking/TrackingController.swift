import Hummingbird
import NIOCore
import TrellisCore
import TrellisStore

/// Segment's HTTP Tracking API: `/v1/identify`, `track`, `page`, `screen`, `group`, `alias`, `batch`.
///
/// Existing Segment libraries work unchanged: HTTP Basic auth with the write key as user name (or
/// `writeKey` in the body), gzip bodies, messageId deduplication, and Segment's size limits. A
/// request is answered 200 only after its messages are committed to disk, all or none.
///
/// The same calls answer on the paths other Segment libraries post to: analytics.js (the browser
/// library, `apiHost` pointed at `<trellis>/v1`) sends each call to the type's first letter
/// (`/v1/t`, `/v1/p`, `/v1/i`, `/v1/g`, `/v1/a`, `/v1/s`) and its batching mode to `/v1/b`;
/// analytics-java and analytics-ruby send batches to `/v1/import`. Before sending, the libraries
/// fetch their source's settings (``SourceSettings``).
struct TrackingController {
    let services: Services

    /// analytics.js's path for each call type: the type's first letter.
    static func shortPath(_ type: MessageType) -> String { String(type.rawValue.prefix(1)) }

    /// The paths a batch is posted to: `batch`, analytics.js's `b`, and `import`.
    static let batchPaths = ["batch", "b", "import"]

    func register(on router: Router<TrellisRequestContext>) {
        let group = router.group("v1")
        for type in MessageType.allCases {
            for path in [type.rawValue, Self.shortPath(type)] {
                group.post(RouterPath(stringLiteral: path)) { request, context in
                    try await self.ingest(request, context: context, type: type)
                }
            }
        }
        for path in Self.batchPaths {
            group.post(RouterPath(stringLiteral: path)) { request, context in
                try await self.ingest(request, context: context, type: nil)
            }
        }
        group.get("projects/:writeKey/settings") { request, context in
            try await self.settings(request, context: context)
        }
        group.get("tracker.js") { _, _ in Tracker.response() }
    }

    func ingest(_ request: Request, context: TrellisRequestContext, type: MessageType?) async throws -> Response {
        do {
            return try await accept(request, context: context, type: type)
        } catch var error as APIError {
            services.metrics.rejected(reason: error.code)
            error.segmentCompatible = true
            throw error
        }
    }

    private func accept(_ request: Request, context: TrellisRequestContext, type: MessageType?) async throws -> Response {
        let limits = services.trackingLimits
        let limit = type == nil ? limits.maxBatchBytes : limits.maxMessageBytes
        // Write keys are public (analytics.js puts one in every page): the limit is per address.
        // Segment's libraries retry a 429 after Retry-After.
        try services.trackingLimiter?.check(context.clientIP, at: services.clock.now(), what: "tracking requests")
        // Authenticate before reading the body when the header allows it: no work for strangers.
        var key: APIKeyRecord?
        if let user = KeyAuthenticator.basicUser(request) {
            key = try await writeKey(user)
        } else if let header = request.headers[.authorization], let bearer = KeyAuthenticator.bearerKey(header: header) {
            key = try await writeKey(bearer)
        }
        switch RequestBody.mediaType(request) {
        case "application/json", "text/plain":
            break  // text/plain: browsers' sendBeacon, which Segment's analytics.js uses
        case let other:
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "Content-Type must be application/json, got \(other.map { "'\($0)'" } ?? "none")")
        }
        let body = try await RequestBody.read(request, limit: limit)
        let payload: TrackingPayload
        do {
            payload = try TrackingPayload.decode(body, type: type, limits: limits)
        } catch {
            throw APIError(error)
        }
        if key == nil {
            guard let writeKey = payload.writeKey, !writeKey.isEmpty else {
                throw APIError.unauthorized("send the write key as the HTTP Basic user name or as writeKey in the body")
            }
            key = try await self.writeKey(writeKey)
        }
        let batch = IngestBatch(source: key!.source, receivedAt: services.clock.now(), messages: payload.messages.map { IngestMessage($0) })
        let outcome = try await services.committer.submit(batch)
        var counts: [MessageType: Int] = [:]
        for (message, contactId) in zip(payload.messages, outcome.contactIds) where contactId != nil { counts[message.type, default: 0] += 1 }
        for (messageType, count) in counts { services.metrics.eventsIngested(count, type: messageType) }
        if outcome.duplicates > 0 { services.metrics.duplicatesSkipped(outcome.duplicates) }
        var answer: [String: JSONValue] = ["success": true, "stored": .int(Int64(outcome.stored)), "duplicates": .int(Int64(outcome.duplicates))]
        if outcome.erased > 0 { answer["erased"] = .int(Int64(outcome.erased)) }
        return JSONResponse.make(.object(answer))
    }

    private func writeKey(_ key: String) async throws -> APIKeyRecord {
        guard let record = try await services.authenticator.record(forKey: key) else { throw APIError.unauthorized("the write key is not valid") }
        guard record.role.allows(.ingest) else {
            throw APIError.forbidden("a \(record.role.rawValue) key cannot send events; create one with --role write")
        }
        return record
    }
}
