import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection that sends a request, waits for its response, and repeats:
/// the load generator of `trellis bench`. Kept small and on NIO so the client costs little CPU
/// next to the server it measures.
final class LoadConnection: Sendable {
    let channel: any Channel
    private let collector: ResponseCollector

    private init(channel: any Channel, collector: ResponseCollector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> LoadConnection {
        let collector = ResponseCollector()
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: host, port: port).get()
        return LoadConnection(channel: channel, collector: collector)
    }

    /// POSTs `body` to `path`; returns the status code.
    func post(path: String, body: ByteBuffer, headers: HTTPHeaders) async throws -> Int {
        let promise = channel.eventLoop.makePromise(of: Int.self)
        let channel = self.channel
        let collector = self.collector
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        let request = head
        channel.eventLoop.execute {
            collector.pending = promise
            channel.write(HTTPClientRequestPart.head(request), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        return try await promise.futureResult.get()
    }

    /// GETs `path`; returns the status and the body as text (for reading /metrics).
    func get(path: String, headers: HTTPHeaders = [:]) async throws -> (status: Int, body: String) {
        let promise = channel.eventLoop.makePromise(of: Int.self)
        let channel = self.channel
        let collector = self.collector
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        head.headers.replaceOrAdd(name: "Host", value: "127.0.0.1")
        let request = head
        channel.eventLoop.execute {
            collector.pending = promise
            collector.body = ByteBuffer()
            channel.write(HTTPClientRequestPart.head(request), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        let status = try await promise.futureResult.get()
        let body = try await channel.eventLoop.submit { String(buffer: collector.body) }.get()
        return (status, body)
    }

    func close() async {
        try? await channel.close()
    }
}

/// Completes the pending request's promise with the response status. Touched only on the
/// channel's event loop (every access is inside `eventLoop.execute` or a handler callback).
private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    var pending: EventLoopPromise<Int>?
    var body = ByteBuffer()
    private var status = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(var part): body.writeBuffer(&part)
        case .end:
            pending?.succeed(status)
            pending = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(ChannelError.ioOnClosedChannel)
        pending = nil
    }
}
