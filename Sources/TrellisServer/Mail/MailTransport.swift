import TrellisMail

/// Where composed messages go: the SMTP pool in production, anything that speaks the same
/// results in benchmarks.
public protocol MailTransport: Sendable {
    func deliver(_ envelope: SMTPSession.Envelope) async -> Result<SMTPReply, SMTPFailure>
}

extension SMTPPool: MailTransport {}
