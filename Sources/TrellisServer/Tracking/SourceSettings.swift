import Foundation
import Hummingbird
import TrellisCore
import TrellisStore

/// The source settings Segment's client libraries fetch before they send anything:
/// `GET /v1/projects/{writeKey}/settings`, where analytics.js looks under its `cdnURL` and
/// analytics-swift and analytics-kotlin under their `cdnHost`.
///
/// Trellis answers as the source's only destination, at its own public address, so a library
/// loaded with `cdnURL` (or `cdnHost`) pointed at Trellis sends its calls here with no further
/// setting; and with the libraries' own telemetry to Segment switched off (`metrics.sampleRate`
/// 0: without it analytics.js reports usage counters to api.segment.io).
enum SourceSettings {
    /// How long a browser may keep the settings: a revoked key stops being announced within it.
    static let maxAgeSeconds = 300

    /// Where this server is reached from outside: `base_url` when configured, else the request's
    /// `Host` over plain HTTP (what `trellis serve` speaks itself).
    static func publicAddress(baseURL: String?, requestAuthority: String?) -> (scheme: String, authority: String)? {
        if let baseURL, let url = URL(string: baseURL), let scheme = url.scheme, let host = url.host {
            let port = url.port.map { ":\($0)" } ?? ""
            let path = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
            return (scheme, host + port + path)
        }
        guard let authority = requestAuthority, !authority.isEmpty else { return nil }
        return ("http", authority)
    }

    /// The settings document: the fields analytics.js, analytics-swift and analytics-kotlin read.
    static func document(writeKey: String, scheme: String, authority: String) -> JSONValue {
        let segment: [String: JSONValue] = [
            "apiKey": .string(writeKey),
            "apiHost": .string(authority + "/v1"),
            "protocol": .string(scheme),
            "retryQueue": true,
            "addBundledMetadata": true,
            "unbundledIntegrations": [],
            "maybeBundledConfigIds": .object([:]),
        ]
        return .object([
            "integrations": .object(["Segment.io": .object(segment)]),
            "plan": .object([
                "track": .object(["__default": .object(["enabled": true, "integrations": .object([:])])]),
                "identify": .object(["__default": .object(["enabled": true])]),
                "group": .object(["__default": .object(["enabled": true])]),
            ]),
            "metrics": .object(["sampleRate": 0]),
            "middlewareSettings": .object([:]),
            "enabledMiddleware": .object([:]),
            "legacyVideoPluginsEnabled": false,
            "remotePlugins": [],
        ])
    }
}

extension TrackingController {
    /// `GET /v1/projects/{writeKey}/settings`: 404 for anything but a write key (a secret key
    /// put in a page by mistake is not confirmed to exist), the same rate limit as the calls.
    func settings(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        try services.trackingLimiter?.check(context.clientIP, at: services.clock.now(), what: "tracking requests")
        let writeKey = try context.parameters.require("writeKey")
        guard let record = try await services.authenticator.record(forKey: writeKey), record.role == .write else {
            throw APIError.notFound("no source has this write key (the libraries need a key made with --role write)")
        }
        // Only a configured base_url: without one, the mail links' fallback is the listening
        // address (0.0.0.0 in a container), and the request's Host is what the browser reached.
        let baseURL = await services.mail.setup?.configuredBaseURL
        guard let address = SourceSettings.publicAddress(baseURL: baseURL, requestAuthority: request.head.authority) else {
            throw APIError(.badRequest, code: "missing_host", message: "the request has no Host header and no base_url is configured", field: "Host")
        }
        var response = JSONResponse.make(SourceSettings.document(writeKey: writeKey, scheme: address.scheme, authority: address.authority))
        response.headers[.cacheControl] = "public, max-age=\(SourceSettings.maxAgeSeconds)"
        return response
    }
}
