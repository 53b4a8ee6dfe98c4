import NIOCore
import NIOPosix
import NIOSSL

/// One SMTP connection on SwiftNIO, driven by ``SMTPSession``: reads reply lines, hands them to
/// the session, writes what the session says, and puts TLS in the pipeline for implicit TLS or
/// after the server's 220 to STARTTLS. A read that waits longer than the timeout closes it.
public enum SMTPClient {
    /// Opens a connection, completes the greeting, EHLO, STARTTLS and AUTH, delivers each message
    /// in turn on it, and says QUIT. One result per message; a failed handshake throws ``SMTPFailure``.
    public static func deliver(
        _ envelopes: [SMTPSession.Envelope], server: SMTPServerURL, hostname: String = "trellis.local", timeout: TimeAmount = .seconds(60),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> [Result<SMTPReply, SMTPFailure>] {
        let tlsContext = try makeTLSContext(server)
        var remaining = envelopes[...]
        var results: [Result<SMTPReply, SMTPFailure>] = []
        try await withConnection(server: server, hostname: hostname, tlsContext: tlsContext, timeout: timeout, group: group) { conversation in
            while let envelope = remaining.popFirst() {
                do {
                    results.append(.success(try await conversation.deliver(envelope)))
                } catch let failure as SMTPFailure {
                    results.append(.failure(failure))
                }
            }
        }
        return results
    }

    /// The TLS context for a server (nil for `tls=none`); made once and shared by connections.
    public static func makeTLSContext(_ server: SMTPServerURL) throws -> NIOSSLContext? {
        guard server.tls != .none else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = server.caFile { configuration.trustRoots = .file(caFile) }
        if !server.verifyCertificates { configuration.certificateVerification = .none }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw SMTPFailure(stage: "TLS setup", reply: nil, transient: false, message: "cannot set up TLS for \(server): \(error)")
        }
    }

    /// SNI carries names only: for an IP address there is none, and the certificate is checked
    /// against the address itself.
    static func sniName(_ host: String) -> String? {
        let isIPv4 = host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
        return isIPv4 || host.contains(":") ? nil : host
    }

    /// Connects, completes the handshake, runs `body` with the ready conversation, then QUITs.
    static func withConnection(
        server: SMTPServerURL, hostname: String, tlsContext: NIOSSLContext?, timeout: TimeAmount, group: any EventLoopGroup,
        _ body: (inout Conversation) async throws -> Void
    ) async throws {
        let channel: NIOAsyncChannel<String, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: server.host, port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if server.tls == .implicit, let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tlsContext, serverHostname: sniName(server.host)))
                        }
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                        try channel.pipeline.syncOperations.addHandler(ReadTimeoutCloser())
                        return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPFailure(stage: "connect", reply: nil, transient: true, message: "cannot connect to \(server.host):\(server.port): \(error)")
        }
        let session = SMTPSession(hostname: hostname, tls: server.tls, credentials: server.credentials)
        try await channel.executeThenClose { inbound, outbound in
            var conversation = Conversation(
                replies: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel, session: session, tlsContext: tlsContext,
                serverHostname: server.host)
            try await conversation.handshake()
            try await body(&conversation)
            try? await conversation.write(["QUIT"])
        }
    }

    /// The session and the two directions of the connection.
    struct Conversation {
        var replies: NIOAsyncChannelInboundStream<String>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let channel: any Channel
        var session: SMTPSession
        let tlsContext: NIOSSLContext?
        let serverHostname: String

        var isActive: Bool { channel.isActive }

        mutating func handshake() async throws {
            var action = try await nextAction(stage: "greeting")
            while true {
                switch action {
                case .ready: return
                case .send(let lines):
                    try await write(lines)
                    action = try await nextAction(stage: lines.first.map { String($0.prefix(4)) } ?? "handshake")
                case .startTLS:
                    try await startTLS()
                    action = session.tlsEstablished()
                case .failed(let failure): throw failure
                case .wait: action = try await nextAction(stage: "handshake")
                case .delivered:
                    throw SMTPFailure(stage: "handshake", reply: nil, transient: true, message: "unexpected \(action)")
                }
            }
        }

        /// TLS goes in front of the line decoder; nothing is read until the handshake is done,
        /// since the server speaks only after our next EHLO.
        func startTLS() async throws {
            guard let tlsContext else { throw SMTPFailure(stage: "STARTTLS", reply: nil, transient: false, message: "no TLS context") }
            let hostname = serverHostname
            let channel = channel
            do {
                try await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: tlsContext, serverHostname: SMTPClient.sniName(hostname)), position: .first)
                }.get()
            } catch {
                throw SMTPFailure(stage: "STARTTLS", reply: nil, transient: true, message: "TLS handshake: \(error)")
            }
        }

        mutating func deliver(_ envelope: SMTPSession.Envelope) async throws -> SMTPReply {
            var action = session.deliver(envelope)
            while true {
                switch action {
                case .send(let lines):
                    try await write(lines)
                    action = try await nextAction(stage: lines.count == 1 && lines[0].hasSuffix("\r\n.") ? "end of data" : "envelope")
                case .wait: action = try await nextAction(stage: "envelope")
                case .delivered(let reply): return reply
                case .failed(let failure):
                    // Read what is still owed so the session can take the next message.
                    if session.isDraining {
                        var drain = try await nextAction(stage: "envelope")
                        while drain == .wait { drain = try await nextAction(stage: "envelope") }
                    }
                    throw failure
                case .ready, .startTLS:
                    throw SMTPFailure(stage: "delivery", reply: nil, transient: true, message: "unexpected \(action)")
                }
            }
        }

        func write(_ lines: [String]) async throws {
            var buffer = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 2 })
            for line in lines {
                buffer.writeString(line)
                buffer.writeStaticString("\r\n")
            }
            do {
                try await outbound.write(buffer)
            } catch {
                throw SMTPFailure(stage: "write", reply: nil, transient: true, message: "the connection is closed: \(error)")
            }
        }

        mutating func nextAction(stage: String) async throws -> SMTPSession.Action {
            var parser = SMTPReplyParser()
            do {
                while let line = try await replies.next() {
                    if let reply = try parser.feed(line) { return session.receive(reply) }
                }
            } catch let error as SMTPReplyParser.ParseError {
                throw SMTPFailure(stage: stage, reply: nil, transient: true, message: "not an SMTP reply: \(error)")
            } catch {
                throw SMTPFailure(stage: stage, reply: nil, transient: true, message: "the connection failed: \(error)")
            }
            throw SMTPFailure(stage: stage, reply: nil, transient: true, message: "the server closed the connection or did not answer in time")
        }
    }
}

/// Closes the connection when the server has said nothing for the read timeout.
final class ReadTimeoutCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = String
    typealias InboundOut = String

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Splits the byte stream into lines, without their CRLF.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw SMTPReplyParser.ParseError.malformed("a reply line over 4,096 bytes") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }
}
