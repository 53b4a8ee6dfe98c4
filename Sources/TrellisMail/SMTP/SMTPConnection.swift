import NIOCore
import NIOPosix

/// One SMTP connection on SwiftNIO, driven by ``SMTPSession``: it reads reply lines, hands them
/// to the session, and writes what the session says. Plain TCP for now (`tls=none`); STARTTLS and
/// implicit TLS need swift-nio-ssl's handler in the pipeline, which comes with the sender pool.
public final class SMTPConnection: Sendable {
    let channel: any Channel
    let replies: NIOAsyncChannelInboundStream<String>.AsyncIterator.Box
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    private init(channel: NIOAsyncChannel<String, ByteBuffer>) {
        self.channel = channel.channel
        self.replies = .init(channel)
        self.outbound = channel.outbound
    }

    /// Connects and completes the greeting, EHLO and AUTH; throws ``SMTPFailure`` if the server refuses.
    public static func open(host: String, port: Int, session: inout SMTPSession, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws
        -> SMTPConnection
    {
        guard session.tls == .none else {
            throw SMTPFailure(stage: "connect", reply: nil, transient: false, message: "TLS (\(session.tls.rawValue)) is not wired into the connection yet; use tls=none")
        }
        let asyncChannel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                    return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let connection = SMTPConnection(channel: asyncChannel)
        do {
            var action = try await connection.nextAction(&session)
            while true {
                switch action {
                case .ready: return connection
                case .send(let lines):
                    try await connection.write(lines)
                    action = try await connection.nextAction(&session)
                case .failed(let failure): throw failure
                case .wait: action = try await connection.nextAction(&session)
                case .startTLS, .delivered:
                    throw SMTPFailure(stage: "handshake", reply: nil, transient: true, message: "unexpected \(action)")
                }
            }
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Delivers one message on the open session; returns the server's final reply.
    public func deliver(_ envelope: SMTPSession.Envelope, session: inout SMTPSession) async throws -> SMTPReply {
        var action = session.deliver(envelope)
        while true {
            switch action {
            case .send(let lines):
                try await write(lines)
                action = try await nextAction(&session)
            case .wait: action = try await nextAction(&session)
            case .delivered(let reply): return reply
            case .failed(let failure):
                // Read what is still owed so the session can take the next message.
                var drain = try await nextAction(&session)
                while drain == .wait { drain = try await nextAction(&session) }
                throw failure
            case .ready, .startTLS:
                throw SMTPFailure(stage: "delivery", reply: nil, transient: true, message: "unexpected \(action)")
            }
        }
    }

    public func close() async {
        try? await write(["QUIT"])
        outbound.finish()
        try? await channel.close()
    }

    func write(_ lines: [String]) async throws {
        var buffer = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 2 })
        for line in lines { buffer.writeString(line + "\r\n") }
        try await outbound.write(buffer)
    }

    func nextAction(_ session: inout SMTPSession) async throws -> SMTPSession.Action {
        var parser = SMTPReplyParser()
        while let line = try await replies.next() {
            if let reply = try parser.feed(line) { return session.receive(reply) }
        }
        throw SMTPFailure(stage: "read", reply: nil, transient: true, message: "the server closed the connection")
    }
}

/// Splits the byte stream into lines, without their CRLF.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return .needMoreData }
        let length = newline - buffer.readerIndex
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }
}

extension NIOAsyncChannelInboundStream.AsyncIterator {
    /// The iterator in a reference, so a Sendable connection can advance it.
    final class Box: @unchecked Sendable {
        var iterator: NIOAsyncChannelInboundStream<String>.AsyncIterator
        init(_ channel: NIOAsyncChannel<String, ByteBuffer>) { iterator = channel.inbound.makeAsyncIterator() }
        func next() async throws -> String? { try await iterator.next() }
    }
}
