import Foundation

/// The plain-text part derived from HTML when a template has none: paragraphs and line breaks
/// kept, links written as `text (url)`, list items as `- item`, entities decoded, and the
/// markup, styles and scripts dropped.
public enum HTMLText {
    public static func plain(from html: String) -> String {
        var text = ""
        var index = html.startIndex
        var pendingLink: String?
        while index < html.endIndex {
            let character = html[index]
            guard character == "<", let close = html[index...].firstIndex(of: ">") else {
                text.append(character)
                index = html.index(after: index)
                continue
            }
            let tag = html[html.index(after: index)..<close]
            let name = tag.prefix { !$0.isWhitespace && $0 != "/" || tag.first == "/" && $0 == "/" }.lowercased().trimmingPrefix("/")
            let closing = tag.hasPrefix("/")
            index = html.index(after: close)
            switch name {
            case "style" where !closing, "script" where !closing, "head" where !closing, "title" where !closing:
                // Skip to the end of the element.
                if let end = html[index...].range(of: "</\(name)", options: .caseInsensitive), let after = html[end.upperBound...].firstIndex(of: ">") {
                    index = html.index(after: after)
                }
            case "br": text.append("\n")
            case "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "ul", "ol", "blockquote":
                text.append(closing || name == "p" || name.hasPrefix("h") ? "\n\n" : "\n")
            case "li": text.append(closing ? "\n" : "- ")
            case "hr": text.append("\n----\n")
            case "td", "th": if closing { text.append(" ") }
            case "a":
                if closing {
                    if let link = pendingLink { text.append(" (\(link))") }
                    pendingLink = nil
                } else {
                    pendingLink = attribute("href", in: String(tag)).map(decodeEntities).flatMap { $0.hasPrefix("http") || $0.hasPrefix("mailto:") ? $0 : nil }
                }
            default: break
            }
        }
        // Collapse runs of spaces and blank lines; trim each line.
        let lines = decodeEntities(text).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
        }
        var output: [String] = []
        for line in lines {
            if line.isEmpty, output.last?.isEmpty ?? true { continue }
            output.append(line)
        }
        while output.last?.isEmpty == true { output.removeLast() }
        return output.joined(separator: "\n") + "\n"
    }

    /// The value of an attribute in a tag's text (`a href="…"`), quotes removed.
    static func attribute(_ name: String, in tag: String) -> String? {
        guard let range = tag.range(of: "\(name)=", options: .caseInsensitive) else { return nil }
        let rest = tag[range.upperBound...]
        guard let quote = rest.first else { return nil }
        if quote == "\"" || quote == "'" {
            let value = rest.dropFirst().prefix { $0 != quote }
            return String(value)
        }
        return String(rest.prefix { !$0.isWhitespace && $0 != ">" })
    }

    static let entities: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "#39": "'", "mdash": "—", "ndash": "–", "hellip": "…", "copy": "©", "rsquo": "’", "lsquo": "‘", "rdquo": "”", "ldquo": "“"]

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "&", let semicolon = text[index...].prefix(10).firstIndex(of: ";") {
                let name = String(text[text.index(after: index)..<semicolon])
                if let known = entities[name] {
                    output += known
                    index = text.index(after: semicolon)
                    continue
                }
                if name.hasPrefix("#") {
                    let digits = name.dropFirst()
                    let code = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
                    if let code, let scalar = Unicode.Scalar(code) {
                        output.unicodeScalars.append(scalar)
                        index = text.index(after: semicolon)
                        continue
                    }
                }
            }
            output.append(text[index])
            index = text.index(after: index)
        }
        return output
    }

    /// Puts the preheader (the inbox preview line) first in the body, hidden from view.
    public static func insertingPreheader(_ preheader: String?, into html: String) -> String {
        guard let preheader, !preheader.isEmpty else { return html }
        let hidden = #"<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">"# + escape(preheader) + "</div>"
        if let body = html.range(of: "<body", options: .caseInsensitive), let end = html[body.upperBound...].firstIndex(of: ">") {
            var output = html
            output.insert(contentsOf: hidden, at: output.index(after: end))
            return output
        }
        return hidden + html
    }

    /// HTML-escapes text (`<`, `>`, `&`, quotes).
    public static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "&": output += "&amp;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }
}
