import Foundation
import TrellisCore
import TrellisMail
import TrellisStore

/// What comes back by mail: bounces (RFC 3464), complaints (RFC 5965) and unsubscribe requests
/// sent to the `mailto:` of List-Unsubscribe. Posted raw to `POST /api/v1/inbound` or piped to
/// `trellis inbound` from the MTA. Hard bounces and complaints suppress the address at once;
/// soft bounces after `softBounceLimit`; everything lands on the contact's timeline.
public struct InboundProcessor: Sendable {
    let store: any Store
    let clock: any TrellisClock
    let signer: LinkSigner?
    let softBounceLimit: Int

    public init(store: any Store, clock: any TrellisClock, signer: LinkSigner?, softBounceLimit: Int) {
        self.store = store
        self.clock = clock
        self.signer = signer
        self.softBounceLimit = softBounceLimit
    }

    /// What a message did.
    public struct Outcome: Sendable, Equatable {
        public var kind: String
        public var suppressed: [String] = []
        public var events: [String] = []
        public var notes: [String] = []
    }

    public struct Unrecognized: Error, CustomStringConvertible {
        public var description: String
    }

    public func process(_ raw: String) async throws -> Outcome {
        let report: DeliveryReport
        do {
            report = try DeliveryReport(parsing: raw)
        } catch {
            if let outcome = try await mailtoUnsubscribe(raw) { return outcome }
            throw Unrecognized(description: "\(error.description); nor is it an unsubscribe request (Subject: unsubscribe-TOKEN)")
        }
        let now = clock.now()
        switch report {
        case .bounce(let bounce):
            var outcome = Outcome(kind: "bounce")
            let send = try await bounce.originalMessageID.asyncMap { try await store.emailSend(messageID: $0) } ?? nil
            for recipient in bounce.recipients where recipient.isHard || recipient.isSoft {
                let type = recipient.isHard ? "hard" : "soft"
                if recipient.isHard {
                    try await store.suppress(email: recipient.address, reason: .hardBounce, detail: "\(recipient.status) \(recipient.diagnostic ?? "")".trimmed, at: now)
                    outcome.suppressed.append(recipient.address)
                } else {
                    let count = try await store.recordSoftBounce(email: recipient.address, threshold: softBounceLimit, at: now)
                    if count >= softBounceLimit { outcome.suppressed.append(recipient.address) }
                    outcome.notes.append("\(recipient.address): soft bounce \(count) of \(softBounceLimit)")
                }
                guard let contactId = try await contactId(send: send, address: recipient.address) else {
                    outcome.notes.append("\(recipient.address): no contact has this address")
                    continue
                }
                var properties: [String: JSONValue] = [
                    "type": .string(type), "status": .string(recipient.status), "recipient": .string(recipient.address),
                ]
                if let diagnostic = recipient.diagnostic { properties["diagnostic"] = .string(diagnostic) }
                if let send {
                    properties["email"] = .string(send.template)
                    properties["send_id"] = .int(send.id)
                }
                if let id = bounce.originalMessageID { properties["message_id"] = .string(id) }
                try await store.recordEmailEvent(
                    contactId: contactId, name: "Email Bounced", properties: properties,
                    messageId: "bounce-\(bounce.originalMessageID ?? "?")-\(recipient.address.lowercased())-\(recipient.status)", at: now)
                outcome.events.append("Email Bounced")
            }
            return outcome
        case .complaint(let complaint):
            var outcome = Outcome(kind: "complaint")
            let send = try await complaint.originalMessageID.asyncMap { try await store.emailSend(messageID: $0) } ?? nil
            let contact = try await send.asyncMap { try await store.contact(id: $0.contactId) } ?? nil
            guard let address = complaint.recipient ?? contact?.email else {
                throw Unrecognized(description: "the complaint names no recipient (Original-Rcpt-To) and its message is not one Trellis sent")
            }
            try await store.suppress(email: address, reason: .complaint, detail: "feedback type \(complaint.feedbackType)", at: now)
            outcome.suppressed.append(address)
            guard let contactId = try await contactId(send: send, address: address) else {
                outcome.notes.append("\(address): no contact has this address")
                return outcome
            }
            var properties: [String: JSONValue] = ["feedback_type": .string(complaint.feedbackType), "recipient": .string(address)]
            if let send { properties["email"] = .string(send.template) }
            try await store.recordEmailEvent(
                contactId: contactId, name: "Spam Complaint", properties: properties,
                messageId: "complaint-\(complaint.originalMessageID ?? address.lowercased())", at: now)
            outcome.events.append("Spam Complaint")
            // A complaint is the strongest unsubscribe there is.
            let evidence = ConsentRecord(
                status: .withdrawn, basis: .express, method: .unsubscribe, text: "Reported an email as spam (\(complaint.feedbackType))",
                location: "feedback loop (ARF)", userAgent: complaint.userAgent, recordedAt: now)
            if try await store.unsubscribe(contactId: contactId, sendId: send?.id, evidence: evidence, at: now) { outcome.events.append("Unsubscribed") }
            return outcome
        }
    }

    func contactId(send: EmailSend?, address: String) async throws -> Int64? {
        if let send, send.to == nil { return send.contactId }
        return try await store.contacts(ContactQuery(email: address, limit: 1)).first?.id
    }

    /// A message to the List-Unsubscribe mailto: address, its subject `unsubscribe-TOKEN`.
    func mailtoUnsubscribe(_ raw: String) async throws -> Outcome? {
        guard let signer else { return nil }
        let head = raw.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n").first ?? ""
        guard let subject = head.split(separator: "\n").first(where: { $0.lowercased().hasPrefix("subject:") }),
            let marker = subject.range(of: "unsubscribe-")
        else { return nil }
        let token = String(subject[marker.upperBound...].prefix { !$0.isWhitespace })
        guard let payload = try? signer.verify(token), payload.purpose == .unsubscribe else {
            throw Unrecognized(description: "the unsubscribe request's token is not valid")
        }
        let now = clock.now()
        let evidence = ConsentRecord(
            status: .withdrawn, basis: .express, method: .unsubscribe, text: "Sent an unsubscribe email (List-Unsubscribe mailto)", location: "mailto",
            recordedAt: now)
        var outcome = Outcome(kind: "unsubscribe")
        if try await store.unsubscribe(contactId: payload.contactId, sendId: payload.sendId, evidence: evidence, at: now) {
            outcome.events.append("Unsubscribed")
        } else {
            outcome.notes.append("contact \(payload.contactId) was already unsubscribed")
        }
        return outcome
    }
}
