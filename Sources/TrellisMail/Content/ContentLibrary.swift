import Foundation
import Mustache
import TrellisCore
import Yams

/// The content library: every template of a folder, the partials of its `partials/` folder
/// (`{{> header}}`, `{{> footer}}`), rendered for a contact with its traits HTML-escaped.
///
/// ```swift
/// let library = try ContentLibrary(directory: "examples/content")
/// let content = try library.render("ebook-thank-you", context: MailContext(contact: ada, account: nil, links: links, sender: sender))
/// ```
public struct ContentLibrary: Sendable {
    public private(set) var templates: [String: ContentTemplate] = [:]
    var partials = MustacheLibrary()

    public init() {}

    /// Loads `*.mustache` files of `directory` as templates and of `directory/partials` as partials.
    public init(directory: String) throws(ContentError) {
        let files = FileManager.default
        guard let names = try? files.contentsOfDirectory(atPath: directory) else {
            throw ContentError(file: directory, line: nil, message: "cannot read the content folder")
        }
        let partialsFolder = (directory as NSString).appendingPathComponent("partials")
        for name in ((try? files.contentsOfDirectory(atPath: partialsFolder)) ?? []).sorted() where name.hasSuffix(".mustache") {
            let path = (partialsFolder as NSString).appendingPathComponent(name)
            try addPartial(named: String(name.dropLast(".mustache".count)), text: try Self.read(path), file: path)
        }
        for name in names.sorted() where name.hasSuffix(".mustache") {
            let path = (directory as NSString).appendingPathComponent(name)
            add(try ContentLibrary.parse(name: String(name.dropLast(".mustache".count)), text: try Self.read(path), file: path))
        }
    }

    static func read(_ path: String) throws(ContentError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ContentError(file: path, line: nil, message: "cannot read the file as UTF-8 text")
        }
        return text
    }

    public mutating func addPartial(named name: String, text: String, file: String) throws(ContentError) {
        do {
            partials.register(try MustacheTemplate(string: text), named: name)
        } catch {
            throw Self.mustacheError(error, file: file, lineOffset: 0)
        }
    }

    public mutating func add(_ template: ContentTemplate) {
        templates[template.name] = template
    }

    public var names: [String] { templates.keys.sorted() }

    /// Renders a template for one contact; throws when the name is unknown.
    public func render(_ name: String, context: MailContext) throws(ContentError) -> RenderedContent {
        guard let template = templates[name] else { throw ContentError(file: name, line: nil, message: "no template named \(name)") }
        var values = context.values
        for (path, fallback) in template.fallbacks { Self.fill(&values, path: path.split(separator: ".").map(String.init), with: fallback) }
        values["template"] = ["name": template.name, "stage": template.stage?.rawValue ?? "", "topic": template.topic ?? ""]
        let subject = Self.singleLine(template.subject.render(values, library: partials))
        let preheader = template.preheader.map { Self.singleLine($0.render(values, library: partials)) }
        values["preheader"] = preheader ?? ""
        let html = template.html.render(values, library: partials)
        let text = template.text.map { $0.render(values, library: partials) } ?? HTMLText.plain(from: html)
        return RenderedContent(
            subject: subject, preheader: preheader, html: HTMLText.insertingPreheader(preheader, into: html), text: text, kind: template.kind)
    }

    /// A subject or preheader is one line whatever a trait holds: no header injection.
    static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline || ($0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false) ? " " : $0 }).trimmed
    }

    /// A display name for a header: one line, no angle brackets or quotes that could break out.
    public static func singleLineName(_ text: String) -> String {
        String(singleLine(text).filter { $0 != "<" && $0 != ">" && $0 != "\"" && $0 != "\\" })
    }

    static func fill(_ values: inout [String: Any], path: [String], with fallback: String) {
        guard let key = path.first else { return }
        if path.count == 1 {
            let present = values[key].map { value -> Bool in
                if let text = value as? String { return !text.trimmed.isEmpty }
                return !(value is NSNull)
            } ?? false
            if !present { values[key] = fallback }
            return
        }
        var nested = values[key] as? [String: Any] ?? [:]
        fill(&nested, path: Array(path.dropFirst()), with: fallback)
        values[key] = nested
    }

    // MARK: Parsing

    static let keys: Set<String> = ["subject", "preheader", "stage", "topic", "kind", "description", "fallbacks", "text"]

    /// Parses a template file: YAML front matter between `---` lines, then the HTML body.
    public static func parse(name: String, text: String, file: String) throws(ContentError) -> ContentTemplate {
        let lines = text.replacingLineEnds().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first?.trimmed == "---", let close = lines.dropFirst().firstIndex(where: { $0.trimmed == "---" }) else {
            throw ContentError(file: file, line: 1, message: "a template starts with YAML front matter between --- lines (subject, stage, topic, …)")
        }
        let frontMatter = lines[1..<close].joined(separator: "\n")
        let body = lines[(close + 1)...].joined(separator: "\n")
        let yaml: Any?
        do {
            yaml = try Yams.load(yaml: frontMatter)
        } catch let error as YamlError {
            throw ContentError(file: file, line: Self.yamlLine(error).map { $0 + 1 }, message: "front matter is not valid YAML: \(error)")
        } catch {
            throw ContentError(file: file, line: 2, message: "front matter is not valid YAML: \(error)")
        }
        guard let fields = yaml as? [String: Any] else {
            throw ContentError(file: file, line: 2, message: "front matter must be a mapping of subject, stage, topic, …")
        }
        func line(of key: String) -> Int {
            (lines[1..<close].firstIndex { $0.hasPrefix(key + ":") } ?? 1) + 1
        }
        for key in fields.keys.sorted() where !keys.contains(key) {
            throw ContentError(file: file, line: line(of: key), message: "unknown key \(key) (known: \(keys.sorted().joined(separator: ", ")))")
        }
        guard let subjectText = fields["subject"].map({ "\($0)" }), !subjectText.trimmed.isEmpty else {
            throw ContentError(file: file, line: 2, message: "subject is required")
        }
        var stage: ContentTemplate.Stage?
        if let value = fields["stage"] {
            guard let parsed = ContentTemplate.Stage(rawValue: "\(value)") else {
                throw ContentError(
                    file: file, line: line(of: "stage"),
                    message: "stage must be one of \(ContentTemplate.Stage.allCases.map(\.rawValue).joined(separator: ", ")), got \(value)")
            }
            stage = parsed
        }
        var kind = SendKind.marketing
        if let value = fields["kind"] {
            guard let parsed = SendKind(rawValue: "\(value)") else {
                throw ContentError(file: file, line: line(of: "kind"), message: "kind must be marketing or transactional, got \(value)")
            }
            kind = parsed
        }
        var fallbacks: [String: String] = [:]
        if let value = fields["fallbacks"] {
            guard let map = value as? [String: Any] else {
                throw ContentError(file: file, line: line(of: "fallbacks"), message: "fallbacks must map a name such as contact.first_name to a text")
            }
            for (key, fallback) in map { fallbacks[key] = "\(fallback)" }
        }
        func compile(_ source: String, key: String, offset: Int, contentType: String? = nil) throws(ContentError) -> MustacheTemplate {
            do {
                return try MustacheTemplate(string: (contentType.map { "{{% CONTENT_TYPE: \($0)}}" } ?? "") + source)
            } catch {
                throw mustacheError(error, file: file, lineOffset: offset, key: key)
            }
        }
        let preheaderText = fields["preheader"].map { "\($0)" }
        let textSource = fields["text"].map { "\($0)" }
        return ContentTemplate(
            name: name, file: file, stage: stage, topic: fields["topic"].map { "\($0)" }, kind: kind,
            description: fields["description"].map { "\($0)" }, fallbacks: fallbacks,
            subject: try compile(subjectText, key: "subject", offset: line(of: "subject") - 1, contentType: "TEXT"),
            preheader: try preheaderText.map { text throws(ContentError) in
                try compile(text, key: "preheader", offset: line(of: "preheader") - 1, contentType: "TEXT")
            },
            html: try compile(body, key: "body", offset: close + 1),
            text: try textSource.map { text throws(ContentError) in try compile(text, key: "text", offset: line(of: "text"), contentType: "TEXT") },
            sources: .init(subject: subjectText, preheader: preheaderText, html: body, text: textSource))
    }

    static func yamlLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    static func mustacheError(_ error: any Error, file: String, lineOffset: Int, key: String? = nil) -> ContentError {
        let prefix = key.map { "\($0): " } ?? ""
        if let parserError = error as? MustacheTemplate.ParserError {
            return ContentError(
                file: file, line: parserError.context.lineNumber + lineOffset,
                message: "\(prefix)Mustache error \(parserError.error) at column \(parserError.context.columnNumber): \(parserError.context.line.trimmed)")
        }
        return ContentError(file: file, line: nil, message: "\(prefix)Mustache error \(error)")
    }
}
