import Hummingbird
import Logging
import NIOCore
import TrellisCore
import TrellisStore

/// An error answered as `{"error": {"code": "...", "message": "...", "field": "..."}}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    public var extra: [String: JSONValue] = [:]
    /// Also put `code` and `message` at the top level: Segment's libraries read them there, and
    /// treat a body without them as a retryable failure.
    public var segmentCompatible = false
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public init(_ error: InputError) {
        let status: HTTPResponse.Status =
            switch error.kind {
            case .invalid: .badRequest
            case .tooLarge: .contentTooLarge
            case .conflict: .conflict
            case .notFound: .notFound
            }
        // "field: message", unless the message already starts with the field ("match.in must be …").
        let message = error.field.map { error.message.hasPrefix($0) } == true ? error.message : error.description
        self.init(status, code: error.code, message: message, field: error.field)
    }

    public var body: JSONValue {
        var inner: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let field { inner["field"] = .string(field) }
        for (key, value) in extra { inner[key] = value }
        var outer: [String: JSONValue] = ["error": .object(inner)]
        if segmentCompatible {
            outer["code"] = .string(code)
            outer["message"] = .string(message)
        }
        return .object(outer)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        if Self.isForPeople(request) {
            var fields = headers
            fields[.cacheControl] = "no-store"
            let html = HTML.page(title: pageTitle, body: "<h1>\(HTML.escape(pageTitle))</h1><p role=\"alert\">\(HTML.escape(message))</p>")
            return try HTMLResponse(html: html, status: status, headers: fields).response(from: request, context: context)
        }
        var response = JSONResponse.make(body, status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    /// People reach the preference center and unsubscribe links (`/u/`), tracked links (`/t/`),
    /// sales links (`/h/`) and hosted forms (`/f/`) from an email or a web page. A browser that
    /// asks for HTML gets an error there as a page, with the same status and headers
    /// (`Retry-After` on a 429); any other client, and every other path, gets the JSON.
    static func isForPeople(_ request: Request) -> Bool {
        let path = request.uri.path
        guard ["/u/", "/t/", "/h/", "/f/"].contains(where: { path.hasPrefix($0) }) else { return false }
        return request.headers[values: .accept].contains { $0.contains("text/html") }
    }

    var pageTitle: String {
        switch status.code {
        case 400: code == "invalid_link" ? "This link does not work" : "Something in the request is wrong"
        case 404: "Not found"
        case 429: "Too many requests"
        case 500...: "Not available right now"
        default: "Something went wrong"
        }
    }

    static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, code: "unauthorized", message: message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, code: "forbidden", message: message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message: message) }
}

/// Turns errors no handler caught into the same JSON shape: store errors become 404 / 409 / 503,
/// anything else a 500 that says nothing of internals.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    /// 507: a client retries it like any 5xx (Segment's libraries do); the operator frees space.
    static var storageFull: APIError {
        APIError(
            .init(code: 507, reasonPhrase: "Insufficient Storage"), code: "storage_full",
            message: "the server's disk is full; nothing of this request was stored; retry later")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as InputError {
            throw APIError(error)
        } catch let error as StoreError {
            switch error {
            case .notFound(let what): throw APIError(.notFound, code: "not_found", message: "\(what) does not exist")
            case .conflict(let what): throw APIError(.conflict, code: "conflict", message: what)
            case .storageFull:
                context.logger.error("the disk under the database is full")
                throw Self.storageFull
            case .unavailable(let why):
                // The database is away (a PostgreSQL restart): clients retry a 503; the store
                // reconnects by itself when it is back.
                context.logger.error("the database is unavailable: \(why)")
                throw APIError(.serviceUnavailable, code: "unavailable", message: "the database is unavailable; nothing of this request was done; retry later")
            default: throw APIError(.internalServerError, code: "store_error", message: "the store could not answer")
            }
        } catch let error as HTTPError {
            throw APIError(error.status, code: error.status.code == 404 ? "not_found" : "http_error", message: error.body ?? error.status.reasonPhrase)
        } catch {
            if StoreError.classify(error) == .storageFull {
                context.logger.error("the disk under the database is full: \(error)")
                throw Self.storageFull
            }
            context.logger.error("unhandled error: \(error)")
            throw APIError(.serviceUnavailable, code: "unavailable", message: "the request could not be completed; retry later")
        }
    }
}
