import Foundation
import TrellisCore
import TrellisMail

/// Turns a send into the bytes that go over SMTP: the template rendered for the contact, links
/// signed and tracked, the RFC 8058 one-click unsubscribe headers, MIME, and DKIM signatures.
///
/// ```swift
/// let composed = try MailComposer(setup: setup).compose(sendId: 42, template: "ebook-thank-you", contact: ada, account: nil, at: now)
/// let result = await transport.deliver(composed.envelope)
/// ```
public struct MailComposer: Sendable {
    public let setup: MailSetup

    public init(setup: MailSetup) {
        self.setup = setup
    }

    public struct Composed: Sendable {
        public var envelope: SMTPSession.Envelope
        public var messageId: String
        public var content: RenderedContent
    }

    public enum Problem: Error, CustomStringConvertible {
        case noSender
        case template(ContentError)
        case noAddress

        public var description: String {
            switch self {
            case .noSender: "no sender is configured (sender.from)"
            case .template(let error): error.description
            case .noAddress: "the contact has no email address"
            }
        }
    }

    /// The links a template sees (`links.unsubscribe`, `links.preferences`).
    public func links(sendId: Int64, contactId: Int64) -> [String: String] {
        let token = setup.signer.sign(LinkPayload(purpose: .unsubscribe, sendId: sendId, contactId: contactId))
        let unsubscribe = "\(setup.baseURL)/u/\(token)"
        return ["unsubscribe": unsubscribe, "preferences": unsubscribe]
    }

    public func render(template: String, contact: Contact, account: Account?, sendId: Int64) throws(Problem) -> RenderedContent {
        guard let sender = setup.sender else { throw .noSender }
        let context = MailContext(contact: contact, account: account, links: links(sendId: sendId, contactId: contact.id), sender: senderValues(sender))
        do {
            return try setup.library.render(template, context: context)
        } catch {
            throw .template(error)
        }
    }

    func senderValues(_ sender: TrellisConfig.Sender) -> [String: String] {
        let name = sender.from.name ?? sender.from.domain
        return [
            "name": name, "address": sender.from.address, "postal_address": sender.postalAddress ?? "",
            "signature": sender.signature ?? "The \(name) team", "reply_to": sender.replyTo?.address ?? sender.from.address,
        ]
    }

    /// Composes the message; `to` replaces the contact's address (a test send), which also turns
    /// tracking off and marks the subject.
    public func compose(
        sendId: Int64, template: String, contact: Contact, account: Account?, to: String? = nil, at now: Timestamp, random: UInt64
    ) throws(Problem) -> Composed {
        guard let sender = setup.sender else { throw .noSender }
        guard let address = to ?? contact.email else { throw .noAddress }
        var content = try render(template: template, contact: contact, account: account, sendId: sendId)
        let links = links(sendId: sendId, contactId: contact.id)
        let unsubscribe = links["unsubscribe"]!
        let isTest = to != nil
        if isTest { content.subject = "[Test] " + content.subject }
        // Every marketing email shows the unsubscribe link and the postal address, even when a
        // template forgot its footer (Gmail and Yahoo require the link; CAN-SPAM the address).
        if content.kind == .marketing {
            if !content.html.containsBytes(HTMLText.escape(unsubscribe)) {
                let footer = "<p style=\"font-size:12px;color:#616e7c\"><a href=\"\(HTMLText.escape(unsubscribe))\">Unsubscribe</a> · "
                    + HTMLText.escape(sender.postalAddress ?? "") + "</p>"
                content.html = TrackedHTML.insert(footer, beforeBodyEndOf: content.html)
            }
            if !content.text.containsBytes(unsubscribe) {
                content.text += "\nUnsubscribe: \(unsubscribe)\n\(sender.postalAddress ?? "")\n"
            }
        }
        var html = content.html
        if !isTest, setup.tracking.clicks || setup.tracking.opens {
            let exempt = "\(setup.baseURL)/u/"
            html = TrackedHTML.rewrite(
                html,
                click: { target in
                    guard setup.tracking.clicks, !target.hasPrefix(exempt) else { return nil }
                    return "\(setup.baseURL)/t/c/" + setup.signer.sign(LinkPayload(purpose: .click, sendId: sendId, contactId: contact.id, target: target))
                },
                pixel: setup.tracking.opens ? "\(setup.baseURL)/t/o/" + setup.signer.sign(LinkPayload(purpose: .open, sendId: sendId, contactId: contact.id)) : nil)
        }
        let messageId = "<t\(sendId).\(String(random, radix: 36))@\(sender.from.domain)>"
        var headers: [(name: String, value: String)] = []
        if content.kind == .marketing {
            let token = String(unsubscribe.dropFirst("\(setup.baseURL)/u/".count))
            headers.append(("List-Unsubscribe", "<\(unsubscribe)>, <mailto:unsubscribe@\(sender.from.domain)?subject=unsubscribe-\(token)>"))
            headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        }
        headers.append(("Feedback-ID", "\(template):\(content.kind.rawValue):trellis"))
        let message = MailMessage(
            from: sender.from, replyTo: sender.replyTo, to: [MailAddress(name: Self.displayName(contact), address: address)], subject: content.subject,
            date: now, messageID: messageId, headers: headers, text: content.text, html: html)
        var data = message.render(boundary: "=_trellis_\(String(random, radix: 36))")
        for signer in setup.dkim {
            // A key that cannot sign stops this send, not the server; it is reported as a failure.
            if let signed = try? signer.sign(data, at: now) { data = signed }
        }
        content.html = html
        return Composed(
            envelope: SMTPSession.Envelope(from: sender.returnPath ?? sender.from.address, recipients: [address], data: data), messageId: messageId,
            content: content)
    }

    static func displayName(_ contact: Contact) -> String? {
        let first = contact.traits["first_name"]?.stringValue ?? contact.traits["firstName"]?.stringValue
        let last = contact.traits["last_name"]?.stringValue ?? contact.traits["lastName"]?.stringValue
        let name = [first, last].compactMap { $0?.trimmed }.filter { !$0.isEmpty }.joined(separator: " ")
        if !name.isEmpty { return ContentLibrary.singleLineName(name) }
        return contact.traits["name"]?.stringValue.map(ContentLibrary.singleLineName)
    }
}
