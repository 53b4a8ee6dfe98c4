/// Rewrites an email's HTML for tracking: each `http(s)` link of an `<a href>` goes through the
/// click redirect, and a one-pixel image for opens goes at the end of the body. Links the
/// caller marks as exempt (unsubscribe, preferences) keep their address, as do mailto: links.
public enum TrackedHTML {
    public static func rewrite(_ html: String, click: (String) -> String?, pixel: String?) -> String {
        let bytes = Array(html.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 1024)
        let anchor = Array("<a ".utf8), href = Array("href=\"".utf8)
        var position = 0
        while let open = HTMLText.find(anchor, in: bytes, from: position, caseInsensitive: true),
            let close = bytes[open...].firstIndex(of: HTMLText.gt)
        {
            output += bytes[position..<open]
            let tag = Array(bytes[open...close])
            if let start = HTMLText.find(href, in: tag, from: 0), let end = tag[(start + href.count)...].firstIndex(of: UInt8(ascii: "\"")) {
                let target = String(decoding: HTMLText.decodeEntities(tag[(start + href.count)..<end]), as: UTF8.self)
                if target.hasPrefix("http://") || target.hasPrefix("https://"), let replacement = click(target) {
                    output += tag[..<(start + href.count)]
                    output += Array(HTMLText.escape(replacement).utf8)
                    output += tag[end...]
                } else {
                    output += tag
                }
            } else {
                output += tag
            }
            position = close + 1
        }
        output += bytes[position...]
        guard let pixel else { return String(decoding: output, as: UTF8.self) }
        let image = Array((#"<img src=""# + HTMLText.escape(pixel) + #"" width="1" height="1" alt="" style="display:block;border:0">"#).utf8)
        if let body = lastIndex(of: Array("</body>".utf8), in: output) {
            output.insert(contentsOf: image, at: body)
        } else {
            output += image
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Inserts `fragment` before `</body>`, or at the end when there is none.
    public static func insert(_ fragment: String, beforeBodyEndOf html: String) -> String {
        var bytes = Array(html.utf8)
        bytes.insert(contentsOf: Array(fragment.utf8), at: lastIndex(of: Array("</body>".utf8), in: bytes) ?? bytes.count)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func lastIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var position = bytes.count - needle.count
        while position >= 0 {
            if bytes[position..<(position + needle.count)].elementsEqual(needle) { return position }
            position -= 1
        }
        return nil
    }
}
