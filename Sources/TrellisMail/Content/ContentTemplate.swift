import Mustache
import TrellisCore

/// One email of the content library: a Mustache HTML body with its subject, preheader, an
/// optional text part, and the tags marketers file it under (funnel stage and topic).
///
/// A template is a file `NAME.mustache` whose YAML front matter holds everything but the body:
/// ```
/// ---
/// subject: "{{contact.first_name}}, your migration guide"
/// preheader: The checklist teams use to move without losing history
/// stage: awareness
/// topic: migration
/// fallbacks: { contact.first_name: there }
/// ---
/// {{> header}}<p>Hi {{contact.first_name}},</p> … {{> footer}}
/// ```
public struct ContentTemplate: Sendable {
    public enum Stage: String, Sendable, CaseIterable { case awareness, consideration, decision }

    public var name: String
    public var file: String
    public var stage: Stage?
    public var topic: String?
    public var kind: SendKind
    public var description: String?
    /// Values used where the contact or account has none (`contact.first_name: there`).
    public var fallbacks: [String: String]
    let subject: MustacheTemplate
    let preheader: MustacheTemplate?
    let html: MustacheTemplate
    let text: MustacheTemplate?
    public let sources: Sources

    /// The template texts as written, for the API and the console.
    public struct Sources: Sendable, Equatable {
        public var subject: String
        public var preheader: String?
        public var html: String
        public var text: String?
    }
}

/// What a template renders to for one contact.
public struct RenderedContent: Sendable, Equatable {
    public var subject: String
    public var preheader: String?
    public var html: String
    public var text: String
    public var kind: SendKind
}

/// A problem in a content file, with where it is.
public struct ContentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}
