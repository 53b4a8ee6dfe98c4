import Testing
@testable import TrellisMail

/// The SMTP state machine against recorded server replies, line by line.
@Suite struct SMTPSessionTests {
    func reply(_ lines: String...) -> SMTPReply {
        var parser = SMTPReplyParser()
        for line in lines { if let reply = try! parser.feed(line) { return reply } }
        fatalError("incomplete reply")
    }

    static let ehloPipelining = ["250-sink.example", "250-PIPELINING", "250-SIZE 10240000", "250-STARTTLS", "250-AUTH PLAIN LOGIN", "250 8BITMIME"]

    func ehlo(_ lines: [String]) -> SMTPReply {
        var parser = SMTPReplyParser()
        for line in lines { if let reply = try! parser.feed(line) { return reply } }
        fatalError()
    }

    let envelope = SMTPSession.Envelope(from: "hello@acme.example", recipients: ["ada@example.com"], data: "Subject: Hi\r\n\r\nHello\r\n.dot line\r\n")

    @Test func repliesSpanLinesAndMalformedOnesAreRefused() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.feed("250-first") == nil)
        #expect(try parser.feed("250 second") == SMTPReply(code: 250, lines: ["first", "second"]))
        #expect(throws: SMTPReplyParser.ParseError.self) { try parser.feed("hello") }
        #expect(throws: SMTPReplyParser.ParseError.self) {
            var mixed = SMTPReplyParser()
            _ = try mixed.feed("250-a")
            _ = try mixed.feed("550 b")
        }
    }

    @Test func starttlsAuthPlainAndAPipelinedDelivery() {
        var session = SMTPSession(hostname: "trellis.local", tls: .starttls, credentials: .init(user: "u", password: "p"))
        #expect(session.receive(reply("220 sink.example ESMTP")) == .send(["EHLO trellis.local"]))
        #expect(session.receive(ehlo(Self.ehloPipelining)) == .send(["STARTTLS"]))
        #expect(session.receive(reply("220 go ahead")) == .startTLS)
        #expect(session.tlsEstablished() == .send(["EHLO trellis.local"]))
        #expect(session.receive(ehlo(Self.ehloPipelining)) == .send(["AUTH PLAIN AHUAcA=="]))
        #expect(session.receive(reply("235 ok")) == .ready)
        #expect(session.maximumSize == 10_240_000)
        let data = SMTPSession.dotStuffed(envelope.data)
        #expect(session.deliver(envelope) == .send(["MAIL FROM:<hello@acme.example> SIZE=\(data.utf8.count)", "RCPT TO:<ada@example.com>", "DATA"]))
        #expect(session.receive(reply("250 sender ok")) == .wait)
        #expect(session.receive(reply("250 recipient ok")) == .wait)
        #expect(session.receive(reply("354 go")) == .send(["Subject: Hi\r\n\r\nHello\r\n..dot line\r\n."]))
        #expect(session.receive(reply("250 queued as 42")) == .delivered(SMTPReply(code: 250, lines: ["queued as 42"])))
    }

    @Test func withoutPipeliningCommandsWaitForTheirReplies() {
        var session = SMTPSession(hostname: "t", tls: .none)
        _ = session.receive(reply("220 hi"))
        #expect(session.receive(reply("250 sink.example")) == .ready)
        #expect(session.deliver(envelope) == .send(["MAIL FROM:<hello@acme.example>"]))
        #expect(session.receive(reply("250 ok")) == .send(["RCPT TO:<ada@example.com>"]))
        #expect(session.receive(reply("250 ok")) == .send(["DATA"]))
        if case .send = session.receive(reply("354 go")) {} else { Issue.record("the body goes after 354") }
        if case .delivered = session.receive(reply("250 ok")) {} else { Issue.record("delivered") }
    }

    @Test func transientAndPermanentRefusals() {
        var session = SMTPSession(hostname: "t", tls: .none)
        _ = session.receive(reply("220 hi"))
        _ = session.receive(ehlo(["250-sink", "250 PIPELINING"]))
        _ = session.deliver(envelope)
        _ = session.receive(reply("250 ok"))
        guard case .failed(let busy) = session.receive(reply("451 4.3.0 try later")) else { Issue.record("a 4xx fails the message"); return }
        #expect(busy.transient && busy.stage.hasPrefix("RCPT TO"))
        // The DATA reply still owed is read, then the session is ready for the next message.
        #expect(session.receive(reply("503 no valid recipients")) == .ready)
        _ = session.deliver(envelope)
        guard case .failed(let refused) = session.receive(reply("550 5.7.1 no")) else { Issue.record("a 5xx fails the message"); return }
        #expect(!refused.transient)
    }

    @Test func tooLargeAndMissingStarttlsFailBeforeSending() {
        var session = SMTPSession(hostname: "t", tls: .starttls)
        _ = session.receive(reply("220 hi"))
        guard case .failed(let noTLS) = session.receive(ehlo(["250-sink", "250 SIZE 10"])) else { Issue.record("STARTTLS required"); return }
        #expect(!noTLS.transient)
        var small = SMTPSession(hostname: "t", tls: .none)
        _ = small.receive(reply("220 hi"))
        _ = small.receive(ehlo(["250-sink", "250 SIZE 10"]))
        guard case .failed(let tooBig) = small.deliver(envelope) else { Issue.record("SIZE enforced"); return }
        #expect(tooBig.stage == "SIZE" && !tooBig.transient)
    }

    @Test func wrongCredentialsFailForGoodAndImplicitTLSSkipsStarttls() {
        var session = SMTPSession(hostname: "t", tls: .implicit, credentials: .init(user: "u", password: "wrong"))
        _ = session.receive(reply("220 hi"))
        // Already on TLS: no STARTTLS even when offered.
        #expect(session.receive(ehlo(Self.ehloPipelining)) == .send(["AUTH PLAIN AHUAd3Jvbmc="]))
        guard case .failed(let failure) = session.receive(reply("535 5.7.8 Authentication credentials invalid")) else {
            Issue.record("a 535 fails the session")
            return
        }
        #expect(!failure.transient && failure.stage == "AUTH" && failure.reply?.code == 535)
    }

    @Test func dotStuffingOnBytes() {
        #expect(SMTPSession.dotStuffed(".a\nb\r\n.c\rd\r\n") == "..a\r\nb\r\n..c\r\nd")
        #expect(SMTPSession.dotStuffed("Zoë\n...\n") == "Zoë\r\n....")
    }

    @Test func authLoginWhenPlainIsNotOffered() {
        var session = SMTPSession(hostname: "t", tls: .implicit, credentials: .init(user: "user", password: "secret"))
        _ = session.receive(reply("220 hi"))
        #expect(session.receive(ehlo(["250-sink", "250 AUTH LOGIN"])) == .send(["AUTH LOGIN"]))
        #expect(session.receive(reply("334 VXNlcm5hbWU6")) == .send(["dXNlcg=="]))
        #expect(session.receive(reply("334 UGFzc3dvcmQ6")) == .send(["c2VjcmV0"]))
        #expect(session.receive(reply("235 ok")) == .ready)
    }
}
