import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TrellisMail

/// Posts JSON to a CRM's webhook URL over HTTP/1.1 (TLS for https), with a timeout, and never
/// follows a redirect: a 3xx is a failure (a redirect is a path into the operator's network).
///
/// ```swift
/// let status = try await WebhookClient().post(url: "https://crm.example/hooks", headers: ["X-Trellis-Signature": sig], body: json)
/// ```
public struct WebhookClient: Sendable {
    let timeout: TimeAmount
    let tlsContext: NIOSSLContext?
    let group: any EventLoopGroup

    public init(timeout: TimeAmount = .seconds(10), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.timeout = timeout
        self.group = group
        tlsContext = try? NIOSSLContext(configuration: .makeClientConfiguration())
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The response status; throws ``Failure`` when no response came.
    public func post(url text: String, headers: [(String, String)], body: String) async throws -> Int {
        guard let url = URL(string: text), let host = url.host, let scheme = url.scheme, scheme == "http" || scheme == "https" else {
            throw Failure(description: "not an http(s) URL: \(text)")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let path = (url.path.isEmpty ? "/" : url.path) + (url.query.map { "?\($0)" } ?? "")
        let tls = scheme == "https" ? tlsContext : nil
        if scheme == "https", tls == nil { throw Failure(description: "TLS is not available") }
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: host))
                        }
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(CloseOnIdle())
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(description: "cannot connect to \(host):\(port): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
            head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.utf8.count))
            head.headers.add(name: "User-Agent", value: "Trellis-Webhook/1")
            head.headers.add(name: "Connection", value: "close")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            try await outbound.write(.head(head))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
            try await outbound.write(.end(nil))
            for try await part in inbound {
                if case .head(let response) = part { return Int(response.status.code) }
            }
            throw Failure(description: "\(host):\(port) closed the connection without a response (or took over \(timeout.nanoseconds / 1_000_000_000) s)")
        }
    }

    /// Signs a payload: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, as Stripe-style
    /// receivers check it (the timestamp stops replays).
    public static func signature(body: String, secret: String, at seconds: Int64) -> String {
        "t=\(seconds),v1=" + LinkDigest.hmacHex(key: Array(secret.utf8), message: Array("\(seconds).\(body)".utf8))
    }
}

/// Closes the connection when the server says nothing for the read timeout.
final class CloseOnIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.fireChannelRead(data) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
