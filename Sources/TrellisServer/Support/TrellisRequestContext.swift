import Hummingbird
import NIOCore

/// The per-request context: the caller's address (for rate limits and consent evidence).
public struct TrellisRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's address from `X-Forwarded-For`, when a trusted proxy sent the request
    /// (``ClientAddressMiddleware``).
    public var forwardedFor: String?

    /// The client's IP address as text, without the port: the connection's, or behind a trusted
    /// proxy the one it forwarded.
    public var clientIP: String {
        if let forwardedFor { return forwardedFor }
        guard let remoteAddress else { return "unknown" }
        return remoteAddress.ipAddress ?? "unknown"
    }

    /// The client's address where it is recorded (consent evidence, an event's context): nil when
    /// the connection has none, so that "unknown" is never stored as if it were an address.
    public var recordedClientIP: String? {
        let address = clientIP
        return address == "unknown" ? nil : address
    }

    /// Bodies are read by the handlers with their own limits.
    public var maxUploadSize: Int { 1024 * 1024 }
}
