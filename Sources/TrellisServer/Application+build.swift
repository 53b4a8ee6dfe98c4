import Hummingbird
import Prometheus
import Logging
import NIOCore
import TrellisCore
import TrellisStore

/// Where and how `trellis serve` listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// Builds the Trellis HTTP application over a store and a clock.
///
/// ```swift
/// let store = try SQLiteStore(path: "trellis.db")
/// try await store.migrate()
/// let app = buildApplication(services: Services(store: store, clock: SystemClock()), configuration: .init(port: 8080))
/// try await app.runService()
/// ```
public func buildApplication(
    services: Services, configuration: ServerConfiguration, logger: Logger? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "trellis")
    if logger.logLevel > .info { logger.logLevel = .info }
    return Application(
        router: buildRouter(services: services),
        server: .http1OnEventLoops(),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Trellis"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// All routes: tracking (`/v1`), management (`/api/v1`), forms (`/f`), health, metrics, OpenAPI.
public func buildRouter(services: Services) -> Router<TrellisRequestContext> {
    let router = Router(context: TrellisRequestContext.self)
    router.middlewares.add(ClientAddressMiddleware(trusted: services.trustedProxies))
    router.middlewares.add(MetricsMiddleware(metrics: services.metrics))
    // Browsers send tracking calls and form submissions from the customer's own site; nothing
    // else is meant to be called from another origin (the console is same-origin). Outside the
    // error shaper, so that refusals carry the CORS headers too.
    router.middlewares.add(PathScopedCORS(prefixes: ["/v1/", "/f/"]))
    router.middlewares.add(ErrorShapeMiddleware())
    router.middlewares.add(AuditMiddleware(services: services))

    TrackingController(services: services).register(on: router)
    ContactsController(services: services).register(on: router)
    FormsController(services: services).register(on: router)
    SegmentsController(services: services).register(on: router)
    ScoringController(services: services).register(on: router)
    WorkflowsController(services: services).register(on: router)
    HostedFormsController(services: services).register(on: router)
    LinksController(services: services).register(on: router)
    MailController(services: services).register(on: router)
    SalesController(services: services).register(on: router)
    ReportsController(services: services).register(on: router)
    ConsoleController(services: services).register(on: router)
    AuditController(services: services).register(on: router)
    PrivacyController(services: services).register(on: router)
    KeysController(services: services).register(on: router)

    router.get("health") { _, _ -> Response in
        do {
            try await services.store.ping()
            return JSONResponse.make(["status": "ok"])
        } catch {
            return JSONResponse.make(["status": "unavailable", "error": .string("the store does not answer")], status: .serviceUnavailable)
        }
    }
    router.get("metrics") { _, _ -> Response in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: services.metrics.exposition())))
    }
    router.get("openapi.json") { _, _ -> Response in
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
    return router
}

/// CORS headers (and preflight answers) on the routes under `prefixes` only: the management API,
/// the console and the metrics answer other origins with no CORS header, so a browser on another
/// site cannot read them even with a key.
///
/// Any origin may call these routes (write keys are public, as in every tracking snippet), and it
/// may read every answer, refusals included: a page sees a 400 or a 429 as such, with its JSON
/// body and `Retry-After`, rather than as a network error that analytics.js would retry for ever.
/// It must sit outside ``ErrorShapeMiddleware``, whose ``APIError`` it adds its headers to.
struct PathScopedCORS<Context: RequestContext>: RouterMiddleware {
    let prefixes: [String]

    static var allowHeaders: String { "Accept, Authorization, Content-Type, Content-Encoding" }
    static var allowMethods: String { "GET, POST, OPTIONS" }
    /// Response headers a page may read besides the CORS-safelisted ones: how long to back off.
    static var exposedHeaders: String { "Retry-After, X-RateLimit-Reset" }
    /// How long a browser may reuse a preflight's answer (Chrome caps it at two hours).
    static var preflightMaxAge: String { "7200" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers.contains(.origin), prefixes.contains(where: { request.uri.path.hasPrefix($0) }) else {
            return try await next(request, context)
        }
        if request.method == .options {
            return Response(
                status: .noContent,
                headers: [
                    .accessControlAllowOrigin: "*", .accessControlAllowHeaders: Self.allowHeaders, .accessControlAllowMethods: Self.allowMethods,
                    .accessControlMaxAge: Self.preflightMaxAge,
                ])
        }
        do {
            var response = try await next(request, context)
            Self.add(to: &response.headers)
            return response
        } catch var error as APIError {
            Self.add(to: &error.headers)
            throw error
        }
    }

    static func add(to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlExposeHeaders] = exposedHeaders
    }
}
