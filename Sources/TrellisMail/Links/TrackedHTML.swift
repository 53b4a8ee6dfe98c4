import Foundation

/// Rewrites an email's HTML for tracking: each `http(s)` link of an `<a href>` goes through the
/// click redirect, and a one-pixel image for opens goes at the end of the body. Links the
/// caller marks as exempt (unsubscribe, preferences) keep their address, as do mailto: links.
public enum TrackedHTML {
    public static func rewrite(_ html: String, click: (String) -> String?, pixel: String?) -> String {
        var output = ""
        output.reserveCapacity(html.utf8.count + 512)
        var rest = html[...]
        while let open = rest.range(of: "<a ") ?? rest.range(of: "<A ") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.lowerBound...].firstIndex(of: ">") else {
                rest = rest[open.lowerBound...]
                break
            }
            var tag = String(rest[open.lowerBound...close])
            if let href = tag.range(of: "href=\"") , let end = tag[href.upperBound...].firstIndex(of: "\"") {
                let target = HTMLText.decodeEntities(String(tag[href.upperBound..<end]))
                if target.hasPrefix("http://") || target.hasPrefix("https://"), let replacement = click(target) {
                    tag.replaceSubrange(href.upperBound..<end, with: HTMLText.escape(replacement))
                }
            }
            output += tag
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        guard let pixel else { return output }
        let image = #"<img src=""# + HTMLText.escape(pixel) + #"" width="1" height="1" alt="" style="display:block;border:0">"#
        if let body = output.range(of: "</body>", options: .backwards) {
            output.insert(contentsOf: image, at: body.lowerBound)
            return output
        }
        return output + image
    }
}
