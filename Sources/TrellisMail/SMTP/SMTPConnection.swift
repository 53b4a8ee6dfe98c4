import NIOCore
import NIOPosix

/// SMTP on SwiftNIO, driven by ``SMTPSession``: reads reply lines, hands them to the session, and
/// writes what the session says. Plain TCP for now (`tls=none`); STARTTLS and implicit TLS need
/// swift-nio-ssl's handler in the pipeline, which comes with the sender pool.
public enum SMTPClient {
    /// Opens a connection, completes the greeting, EHLO and AUTH, delivers each message in turn
    /// on it, and says QUIT. One result per message; a failed handshake throws ``SMTPFailure``.
    public static func deliver(
        _ envelopes: [SMTPSession.Envelope], host: String, port: Int, session: SMTPSession,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> [Result<SMTPReply, SMTPFailure>] {
        guard session.tls == .none else {
            throw SMTPFailure(stage: "connect", reply: nil, transient: false, message: "TLS (\(session.tls.rawValue)) is not wired into the connection yet; use tls=none")
        }
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                    return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var conversation = Conversation(replies: inbound.makeAsyncIterator(), outbound: outbound, allocator: channel.channel.allocator, session: session)
            try await conversation.handshake()
            var results: [Result<SMTPReply, SMTPFailure>] = []
            for envelope in envelopes {
                do {
                    results.append(.success(try await conversation.deliver(envelope)))
                } catch let failure as SMTPFailure {
                    results.append(.failure(failure))
                }
            }
            try? await conversation.write(["QUIT"])
            return results
        }
    }

    /// The session and the two directions of the connection.
    struct Conversation {
        var replies: NIOAsyncChannelInboundStream<String>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let allocator: ByteBufferAllocator
        var session: SMTPSession

        mutating func handshake() async throws {
            var action = try await nextAction()
            while true {
                switch action {
                case .ready: return
                case .send(let lines):
                    try await write(lines)
                    action = try await nextAction()
                case .failed(let failure): throw failure
                case .wait: action = try await nextAction()
                case .startTLS, .delivered:
                    throw SMTPFailure(stage: "handshake", reply: nil, transient: true, message: "unexpected \(action)")
                }
            }
        }

        mutating func deliver(_ envelope: SMTPSession.Envelope) async throws -> SMTPReply {
            var action = session.deliver(envelope)
            while true {
                switch action {
                case .send(let lines):
                    try await write(lines)
                    action = try await nextAction()
                case .wait: action = try await nextAction()
                case .delivered(let reply): return reply
                case .failed(let failure):
                    // Read what is still owed so the session can take the next message.
                    if session.isDraining {
                        var drain = try await nextAction()
                        while drain == .wait { drain = try await nextAction() }
                    }
                    throw failure
                case .ready, .startTLS:
                    throw SMTPFailure(stage: "delivery", reply: nil, transient: true, message: "unexpected \(action)")
                }
            }
        }

        func write(_ lines: [String]) async throws {
            var buffer = allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 2 })
            for line in lines { buffer.writeString(line + "\r\n") }
            try await outbound.write(buffer)
        }

        mutating func nextAction() async throws -> SMTPSession.Action {
            var parser = SMTPReplyParser()
            while let line = try await replies.next() {
                if let reply = try parser.feed(line) { return session.receive(reply) }
            }
            throw SMTPFailure(stage: "read", reply: nil, transient: true, message: "the server closed the connection")
        }
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
