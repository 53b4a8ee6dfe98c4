import Foundation
import Testing
import TrellisCore
@testable import TrellisMail

@Suite struct ContentTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/content").standardized.path
    let now = Timestamp(millisecondsSinceEpoch: 1_795_446_000_000)

    func context(traits: [String: JSONValue], account: Account? = nil) -> MailContext {
        MailContext(
            contact: Contact(id: 7, email: "ada@example.com", traits: traits, firstSeen: now, lastSeen: now), account: account,
            links: ["unsubscribe": "https://n.example/u/TOKEN", "preferences": "https://n.example/p/TOKEN"],
            sender: ["name": "Acme", "postal_address": "Acme Inc., 1 Main St, Springfield, IL 62701, USA", "signature": "The Acme team"])
    }

    @Test func theExampleLibraryLoadsEveryTemplateWithItsTags() throws {
        let library = try ContentLibrary(directory: Self.examples)
        #expect(library.names.count == 21)
        let guide = try #require(library.templates["ebook-thank-you"])
        #expect(guide.stage == .awareness && guide.topic == "migration" && guide.kind == .marketing)
    }

    @Test func rendersTraitsWithFallbacksPartialsAndADerivedTextPart() throws {
        let library = try ContentLibrary(directory: Self.examples)
        let content = try library.render("ebook-thank-you", context: context(traits: ["firstName": "Ada"]))
        #expect(content.subject == "Ada, here is your CRM migration guide")
        #expect(content.preheader == "The checklist teams use to move without losing history")
        #expect(content.html.contains("<p>Hi Ada,</p>"))
        #expect(content.html.contains(#"<a href="https://n.example/u/TOKEN">unsubscribe</a>"#))
        #expect(content.html.contains("Acme Inc., 1 Main St, Springfield, IL 62701, USA"))
        #expect(content.html.contains(#"<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">The checklist"#))
        #expect(content.text.hasPrefix("Hi Ada,\n"))
        #expect(content.text.contains("Hi Ada,\n\nThanks for downloading The CRM migration guide."))
        #expect(content.text.contains("Read the guide (https://acme.example/guides/crm-migration)"))
        #expect(content.text.contains("unsubscribe (https://n.example/u/TOKEN) in one click."))
        #expect(!content.text.contains("<"))
        let anonymous = try library.render("ebook-thank-you", context: context(traits: [:]))
        #expect(anonymous.subject == "there, here is your CRM migration guide")
        #expect(anonymous.html.contains("<p>Hi there,</p>"))
    }

    @Test func traitValuesAreTextNotMarkupAndSubjectsStayOneLine() throws {
        let library = try ContentLibrary(directory: Self.examples)
        let content = try library.render(
            "demo-offer", context: context(traits: ["first_name": "<script>alert(1)</script>\r\nBcc: victim@example.com"]))
        #expect(!content.html.contains("<script>"))
        #expect(content.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!content.subject.contains("\r") && !content.subject.contains("\n"))
        #expect(content.subject.hasPrefix("<script>alert(1)</script> Bcc: victim@example.com, want a walkthrough"))
    }

    @Test func accountTraitsAreAvailable() throws {
        let library = try ContentLibrary(directory: Self.examples)
        let account = Account(id: 1, groupId: "g1", name: "Initech", traits: [:], createdAt: now, updatedAt: now)
        let content = try library.render("team-demo-invitation", context: context(traits: [:], account: account))
        #expect(content.subject == "A demo for the whole Initech team")
    }

    @Test func badFilesNameTheLineAndTheProblem() {
        func error(_ text: String) -> ContentError? {
            do {
                _ = try ContentLibrary.parse(name: "t", text: text, file: "t.mustache")
                return nil
            } catch {
                return error
            }
        }
        #expect(error("<p>no front matter</p>")?.description == "t.mustache:1: a template starts with YAML front matter between --- lines (subject, stage, topic, …)")
        #expect(error("---\nsubject: Hi\nstge: awareness\n---\n<p/>")?.description.hasPrefix("t.mustache:3: unknown key stge") == true)
        #expect(error("---\nsubject: Hi\nstage: later\n---\n<p/>")?.description == "t.mustache:3: stage must be one of awareness, consideration, decision, got later")
        #expect(error("---\nstage: decision\n---\n<p/>")?.description == "t.mustache:2: subject is required")
        let unclosed = error("---\nsubject: Hi\n---\n<p>\n{{#contact.vip}}VIP\n</p>")
        #expect(unclosed?.line != nil && unclosed?.description.contains("Mustache error") == true)
        #expect(error("---\nsubject: [unclosed\n---\n<p/>")?.description.contains("not valid YAML") == true)
    }

    @Test func htmlToTextKeepsStructure() {
        let html = "<html><head><style>p{color:red}</style></head><body><h1>Title</h1><p>One &amp; two&nbsp;three</p><ul><li>A</li><li>B</li></ul><p>Line<br>break <a href=\"https://x.example/?a=1&amp;b=2\">link</a></p></body></html>"
        #expect(HTMLText.plain(from: html) == "Title\n\nOne & two three\n\n- A\n- B\n\nLine\nbreak link (https://x.example/?a=1&b=2)\n")
    }
}
