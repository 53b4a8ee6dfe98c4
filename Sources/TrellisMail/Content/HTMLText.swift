import Foundation

/// The plain-text part derived from HTML when a template has none: paragraphs and line breaks
/// kept, links written as `text (url)`, list items as `- item`, entities decoded, and the
/// markup, styles and scripts dropped. Works on UTF-8 bytes: markup is ASCII, and this runs
/// once per email sent.
public enum HTMLText {
    static let lt = UInt8(ascii: "<"), gt = UInt8(ascii: ">"), slash = UInt8(ascii: "/"), newline = UInt8(ascii: "\n")

    public static func plain(from html: String) -> String {
        let bytes = Array(html.utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count / 2)
        var index = 0
        var pendingLink: [UInt8]?
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == lt, let close = bytes[(index + 1)...].firstIndex(of: gt) else {
                text.append(byte)
                index += 1
                continue
            }
            let tag = bytes[(index + 1)..<close]
            let closing = tag.first == slash
            let name = String(decoding: tag.drop { $0 == slash }.prefix { Self.isNameByte($0) }.map { $0 | 0x20 }, as: UTF8.self)
            index = close + 1
            switch name {
            case "style", "script", "head", "title":
                guard !closing else { break }
                // Skip to the end of the element.
                let end = Array("</\(name)".utf8)
                if let found = Self.find(end, in: bytes, from: index, caseInsensitive: true), let after = bytes[found...].firstIndex(of: gt) {
                    index = after + 1
                }
            case "br": text.append(newline)
            case "p", "h1", "h2", "h3", "h4", "h5", "h6":
                text.append(newline)
                text.append(newline)
            case "div", "table", "tr", "ul", "ol", "blockquote":
                if closing { text.append(newline) }
                text.append(newline)
            case "li": text += closing ? [newline] : Array("- ".utf8)
            case "hr": text += Array("\n----\n".utf8)
            case "td", "th": if closing { text.append(UInt8(ascii: " ")) }
            case "a":
                if closing {
                    if let link = pendingLink { text += Array(" (".utf8) + link + [UInt8(ascii: ")")] }
                    pendingLink = nil
                } else {
                    pendingLink = attribute("href", in: tag).map { decodeEntities($0) }.flatMap { link in
                        link.starts(with: Array("http".utf8)) || link.starts(with: Array("mailto:".utf8)) ? link : nil
                    }
                }
            default: break
            }
        }
        // Collapse runs of spaces and blank lines; trim each line.
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var lastLineEmpty = true
        for line in decodeEntities(text[...]).split(separator: newline, omittingEmptySubsequences: false) {
            var collapsed: [UInt8] = []
            var space = false
            for byte in line {
                if byte == 32 || byte == 9 || byte == 13 {
                    space = !collapsed.isEmpty
                    continue
                }
                if space { collapsed.append(32) }
                space = false
                collapsed.append(byte)
            }
            if collapsed.isEmpty, lastLineEmpty { continue }
            output += collapsed
            output.append(newline)
            lastLineEmpty = collapsed.isEmpty
        }
        while output.count >= 2, output[output.count - 1] == newline, output[output.count - 2] == newline { output.removeLast() }
        if output.isEmpty { output.append(newline) }
        return String(decoding: output, as: UTF8.self)
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57)
    }

    /// The first position of `needle` in `bytes` at or after `from`.
    static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int, caseInsensitive: Bool = false) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
        var position = from
        let last = bytes.count - needle.count
        while position <= last {
            var matched = true
            for offset in 0..<needle.count {
                let a = bytes[position + offset], b = needle[offset]
                if a != b, !(caseInsensitive && a | 0x20 == b | 0x20 && isNameByte(a)) {
                    matched = false
                    break
                }
            }
            if matched { return position }
            position += 1
        }
        return nil
    }

    /// The value of an attribute in a tag's bytes (`a href="…"`), quotes removed.
    static func attribute(_ name: String, in tag: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let tagBytes = Array(tag)
        guard let start = find(Array("\(name)=".utf8), in: tagBytes, from: 0, caseInsensitive: true) else { return nil }
        let rest = tagBytes[(start + name.utf8.count + 1)...]
        guard let quote = rest.first else { return nil }
        if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            return rest.dropFirst().prefix { $0 != quote }
        }
        return rest.prefix { $0 != 32 && $0 != 9 && $0 != 10 && $0 != gt }
    }

    static let entities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–", "hellip": "…", "copy": "©",
        "rsquo": "’", "lsquo": "‘", "rdquo": "”", "ldquo": "“",
    ]

    static func decodeEntities(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        return String(decoding: decodeEntities(Array(text.utf8)[...]), as: UTF8.self)
    }

    static func decodeEntities(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "&")) else { return Array(bytes) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "&"), let semicolon = bytes[index..<min(bytes.endIndex, index + 10)].firstIndex(of: UInt8(ascii: ";")) {
                let name = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
                if let known = entities[name] {
                    output += Array(known.utf8)
                    index = semicolon + 1
                    continue
                }
                if name.hasPrefix("#") {
                    let digits = name.dropFirst()
                    let code = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
                    if let code, let scalar = Unicode.Scalar(code) {
                        output += Array(String(Character(scalar)).utf8)
                        index = semicolon + 1
                        continue
                    }
                }
            }
            output.append(byte)
            index += 1
        }
        return output
    }

    /// Puts the preheader (the inbox preview line) first in the body, hidden from view.
    public static func insertingPreheader(_ preheader: String?, into html: String) -> String {
        guard let preheader, !preheader.isEmpty else { return html }
        let hidden = #"<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">"# + escape(preheader) + "</div>"
        let bytes = Array(html.utf8)
        if let body = find(Array("<body".utf8), in: bytes, from: 0, caseInsensitive: true), let end = bytes[body...].firstIndex(of: gt) {
            return String(decoding: bytes[...end] + Array(hidden.utf8) + bytes[(end + 1)...], as: UTF8.self)
        }
        return hidden + html
    }

    /// HTML-escapes text (`<`, `>`, `&`, quotes).
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == lt || $0 == gt || $0 == 38 || $0 == 34 || $0 == 39 }) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case lt: output += Array("&lt;".utf8)
            case gt: output += Array("&gt;".utf8)
            case 38: output += Array("&amp;".utf8)
            case 34: output += Array("&quot;".utf8)
            case 39: output += Array("&#39;".utf8)
            default: output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension String {
    /// Whether `needle` occurs, compared byte by byte (no Unicode normalisation): for markup and URLs.
    public func containsBytes(_ needle: String) -> Bool {
        HTMLText.find(Array(needle.utf8), in: Array(utf8), from: 0) != nil
    }
}
