import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TrellisCore
import TrellisStore

/// Writes every change made through the management API (`/api/v1`) and the console to the audit
/// log: a POST, PUT, PATCH or DELETE answered below 400, with the key or user that made it. Requests
/// that only read (previews, the live count, a workflow check) are left out, and so are
/// refused ones. The request body is not kept: it may hold personal data the log must not outlive.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = TrellisRequestContext
    let services: Services
    let logger = Logger(label: "trellis.audit")

    /// Handlers that answer a POST without changing anything mark the response with this header;
    /// the middleware removes it.
    static let unchanged = HTTPField.Name("X-Trellis-Unchanged")!
    static let readOnly: Set<String> = ["/console/segments/count", "/console/login", "/console/logout"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard [.post, .put, .patch, .delete].contains(request.method), path.hasPrefix("/api/v1/") || path.hasPrefix("/console/"),
            !Self.readOnly.contains(path), !path.hasSuffix("/preview")
        else { return try await next(request, context) }
        var response = try await next(request, context)
        if response.headers[Self.unchanged] != nil {
            response.headers[Self.unchanged] = nil
            return response
        }
        guard response.status.code < 400 else { return response }
        do {
            let (actor, role) = try await self.actor(request)
            try await services.store.recordAudit(
                AuditEntry(
                    at: services.clock.now(), actor: actor, role: role, method: request.method.rawValue, path: path, status: response.status.code,
                    address: context.clientIP))
        } catch {
            // The change is made; a lost audit line must not undo or fail it, but it must be seen.
            logger.error("audit log: cannot record \(request.method.rawValue) \(path): \(error)")
            services.metrics.auditFailed()
        }
        return response
    }

    /// The API key (its name) or the console user (their address) behind a request.
    func actor(_ request: Request) async throws -> (String, String) {
        if let header = request.headers[.authorization], let bearer = KeyAuthenticator.bearerKey(header: header),
            let key = try await services.authenticator.record(forKey: bearer)
        {
            return ("key:\(key.name)", key.role.rawValue)
        }
        if let token = ConsoleController.cookies(request)[ConsoleController.sessionCookie],
            let session = try await services.store.session(tokenHash: ConsoleController.digest(token), at: services.clock.now())
        {
            return ("user:\(session.user.email)", session.user.role.rawValue)
        }
        return ("unknown", "")
    }
}

/// `GET /api/v1/audit`: the audit log, newest first (admin keys).
struct AuditController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        router.group("api/v1").get("audit", use: list)
    }

    @Sendable func list(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readAudit)
        let query = request.uri.queryParameters
        let limit = try Query.limit(query, default: 100, max: 1000)
        let entries = try await services.store.auditLog(before: try Query.cursor(query), limit: limit)
        let items: [JSONValue] = entries.map { entry in
            [
                "seq": .int(entry.seq), "at": .string(entry.at.iso8601), "actor": .string(entry.actor), "role": .string(entry.role),
                "method": .string(entry.method), "path": .string(entry.path), "status": .int(Int64(entry.status)), "address": .string(entry.address),
            ]
        }
        return JSONResponse.make(["items": .array(items), "next": entries.count == limit ? entries.last.map { .string(String($0.seq)) } ?? .null : .null])
    }
}
