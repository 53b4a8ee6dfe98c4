import TrellisCore

/// The client side of an SMTP conversation as a state machine (RFC 5321, with EHLO, STARTTLS,
/// AUTH PLAIN / LOGIN, PIPELINING, SIZE). It does no I/O: given the server's replies it says
/// what to send next, so it is tested line by line against recorded replies, and the NIO
/// channel handler around it only moves bytes.
public struct SMTPSession: Sendable {
    public enum TLSMode: String, Sendable { case none, starttls, implicit }

    public struct Credentials: Sendable, Equatable {
        public var user: String
        public var password: String
        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }
    }

    /// One message to deliver: envelope and the rendered (and signed) text.
    public struct Envelope: Sendable, Equatable {
        public var from: String
        public var recipients: [String]
        public var data: String
        public init(from: String, recipients: [String], data: String) {
            self.from = from
            self.recipients = recipients
            self.data = data
        }
    }

    /// What the connection should do next.
    public enum Action: Sendable, Equatable {
        /// Write these lines (each is sent with CRLF).
        case send([String])
        /// Start TLS on the connection, then call ``tlsEstablished()``.
        case startTLS
        /// The session is ready for ``deliver(_:)``.
        case ready
        /// The message was accepted; the session is ready again.
        case delivered(SMTPReply)
        /// The message (or the session) failed: transient failures are retried later.
        case failed(SMTPFailure)
        /// Nothing to do until the next reply.
        case wait
    }

    enum State: Sendable, Equatable {
        case greeting, ehlo, startTLS, authPlain, authLoginUser, authLoginPassword, authLoginDone, ready
        case sending(expected: [Step]), closed
        /// After a refused pipelined command, the replies still owed for the rest.
        case draining(Int)
    }

    enum Step: Sendable, Equatable { case mailFrom, rcptTo(String), data, body }

    public let hostname: String
    public let tls: TLSMode
    public let credentials: Credentials?
    public private(set) var capabilities: Set<String> = []
    public private(set) var maximumSize: Int?
    var state: State = .greeting
    var tlsActive: Bool
    var accepted = 0
    var message: Envelope?
    /// The message's data, dot-stuffed and with CRLF line ends, made once per message.
    var stuffed = ""

    public init(hostname: String, tls: TLSMode, credentials: Credentials? = nil) {
        self.hostname = hostname
        self.tls = tls
        self.credentials = credentials
        tlsActive = tls == .implicit
    }

    public var supportsPipelining: Bool { capabilities.contains("PIPELINING") }

    /// Whether replies to commands sent before a refusal are still to be read.
    public var isDraining: Bool {
        if case .draining = state { return true }
        return false
    }

    /// Handles the next reply from the server.
    public mutating func receive(_ reply: SMTPReply) -> Action {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return fail(reply, stage: "greeting") }
            state = .ehlo
            return .send(["EHLO \(hostname)"])
        case .ehlo:
            guard reply.code == 250 else { return fail(reply, stage: "EHLO") }
            capabilities = Set(reply.lines.dropFirst().map { $0.uppercased() }.map { String($0.split(separator: " ").first ?? "") })
            if let size = reply.lines.dropFirst().first(where: { $0.uppercased().hasPrefix("SIZE ") }).flatMap({ Int(String($0.dropFirst(5)).trimmed) }), size > 0 {
                maximumSize = size
            }
            authMechanisms = Set(reply.lines.dropFirst().filter { $0.uppercased().hasPrefix("AUTH ") }.flatMap { $0.uppercased().split(separator: " ").dropFirst().map(String.init) })
            if tls == .starttls, !tlsActive {
                guard capabilities.contains("STARTTLS") else { return fail(reply, stage: "STARTTLS (not offered)", permanent: true) }
                state = .startTLS
                return .send(["STARTTLS"])
            }
            return authenticate()
        case .startTLS:
            guard reply.code == 220 else { return fail(reply, stage: "STARTTLS") }
            return .startTLS
        case .authPlain, .authLoginDone:
            guard reply.code == 235 else { return fail(reply, stage: "AUTH", permanent: reply.code == 535) }
            state = .ready
            return .ready
        case .authLoginUser:
            guard reply.code == 334, let credentials else { return fail(reply, stage: "AUTH LOGIN") }
            state = .authLoginPassword
            return .send([Base64.encode(Array(credentials.user.utf8))])
        case .authLoginPassword:
            guard reply.code == 334, let credentials else { return fail(reply, stage: "AUTH LOGIN") }
            state = .authLoginDone
            return .send([Base64.encode(Array(credentials.password.utf8))])
        case .ready, .closed:
            return .wait
        case .sending(let expected):
            return sendingReply(reply, expected: expected)
        case .draining(let owed):
            state = owed > 1 ? .draining(owed - 1) : .ready
            return owed > 1 ? .wait : .ready
        }
    }

    var authMechanisms: Set<String> = []

    /// Call once TLS is up after STARTTLS: the session greets again (RFC 3207).
    public mutating func tlsEstablished() -> Action {
        tlsActive = true
        state = .ehlo
        return .send(["EHLO \(hostname)"])
    }

    mutating func authenticate() -> Action {
        guard let credentials else {
            state = .ready
            return .ready
        }
        if authMechanisms.contains("PLAIN") {
            state = .authPlain
            return .send(["AUTH PLAIN " + Base64.encode(Array("\u{0}\(credentials.user)\u{0}\(credentials.password)".utf8))])
        }
        if authMechanisms.contains("LOGIN") {
            state = .authLoginUser
            return .send(["AUTH LOGIN"])
        }
        return fail(SMTPReply(code: 530, lines: ["no AUTH PLAIN or LOGIN offered"]), stage: "AUTH", permanent: true)
    }

    /// Starts delivering a message; only when the session is ready.
    public mutating func deliver(_ envelope: Envelope) -> Action {
        guard state == .ready else { return .failed(SMTPFailure(stage: "MAIL", reply: nil, transient: true, message: "the session is not ready")) }
        let body = Self.dotStuffed(envelope.data)
        if let maximumSize, body.utf8.count > maximumSize {
            return .failed(SMTPFailure(stage: "SIZE", reply: nil, transient: false, message: "the message is \(body.utf8.count) bytes; the server takes \(maximumSize)"))
        }
        message = envelope
        stuffed = body
        accepted = 0
        let sizeParameter = capabilities.contains("SIZE") ? " SIZE=\(body.utf8.count)" : ""
        let envelopeCommands = ["MAIL FROM:<\(envelope.from)>\(sizeParameter)"] + envelope.recipients.map { "RCPT TO:<\($0)>" } + ["DATA"]
        let steps: [Step] = [.mailFrom] + envelope.recipients.map { Step.rcptTo($0) } + [.data]
        if supportsPipelining {
            state = .sending(expected: steps)
            return .send(envelopeCommands)
        }
        state = .sending(expected: steps)
        return .send([envelopeCommands[0]])
    }

    mutating func sendingReply(_ reply: SMTPReply, expected: [Step]) -> Action {
        guard let step = expected.first, let envelope = message else { return .wait }
        var rest = Array(expected.dropFirst())
        switch step {
        case .mailFrom:
            guard reply.code == 250 else { return failMessage(reply, stage: "MAIL FROM", remaining: rest) }
        case .rcptTo(let recipient):
            if reply.code == 250 || reply.code == 251 {
                accepted += 1
            } else if envelope.recipients.count == 1 {
                return failMessage(reply, stage: "RCPT TO <\(recipient)>", remaining: rest)
            }
        case .data:
            guard reply.code == 354 else { return failMessage(reply, stage: "DATA", remaining: rest) }
            guard accepted > 0 else { return failMessage(reply, stage: "RCPT TO", remaining: rest) }
            rest = [.body]
            state = .sending(expected: rest)
            return .send([stuffed + "\r\n."])
        case .body:
            message = nil
            stuffed = ""
            state = .ready
            return reply.code == 250 ? .delivered(reply) : failMessage(reply, stage: "end of data", remaining: [])
        }
        state = .sending(expected: rest)
        if supportsPipelining { return .wait }
        // Without pipelining, the next command goes only now.
        switch rest.first {
        case .rcptTo(let recipient)?: return .send(["RCPT TO:<\(recipient)>"])
        case .data?: return .send(["DATA"])
        default: return .wait
        }
    }

    /// A refused message. With pipelining, the commands already sent are still answered (503 to
    /// DATA and the like): those replies are read before the session is ready again.
    mutating func failMessage(_ reply: SMTPReply, stage: String, remaining: [Step]) -> Action {
        message = nil
        let owed = supportsPipelining ? remaining.filter { $0 != .body }.count : 0
        state = owed > 0 ? .draining(owed) : .ready
        return .failed(SMTPFailure(stage: stage, reply: reply, transient: reply.isTransient, message: reply.description))
    }

    mutating func fail(_ reply: SMTPReply, stage: String, permanent: Bool = false) -> Action {
        state = .closed
        return .failed(SMTPFailure(stage: stage, reply: reply, transient: !permanent && !reply.isPermanent, message: reply.description))
    }

    /// RFC 5321 §4.5.2: a line that starts with a dot gets another; line ends become CRLF; the
    /// trailing line end goes (the caller adds CRLF.CRLF).
    public static func dotStuffed(_ data: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(data.utf8.count + 64)
        var atLineStart = true
        var previousWasCR = false
        for byte in data.utf8 {
            if byte == 10 {
                if !previousWasCR { output.append(13) }
                output.append(10)
                atLineStart = true
                previousWasCR = false
                continue
            }
            if previousWasCR {
                // A lone CR ends a line too.
                output.append(10)
                atLineStart = true
            }
            if byte == 13 {
                output.append(13)
                previousWasCR = true
                continue
            }
            previousWasCR = false
            if atLineStart, byte == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
            atLineStart = false
            output.append(byte)
        }
        if previousWasCR { output.append(10) }
        while output.count >= 2, output[output.count - 2] == 13, output[output.count - 1] == 10 { output.removeLast(2) }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Why a delivery failed, and whether to try again later (4xx, timeouts) or give up (5xx).
public struct SMTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var stage: String
    public var reply: SMTPReply?
    public var transient: Bool
    public var message: String
    public var description: String { "\(stage): \(message)\(transient ? " (will retry)" : "")" }

    public init(stage: String, reply: SMTPReply?, transient: Bool, message: String) {
        self.stage = stage
        self.reply = reply
        self.transient = transient
        self.message = message
    }
}

