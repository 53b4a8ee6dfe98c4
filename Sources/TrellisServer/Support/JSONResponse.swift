import Hummingbird
import NIOCore
import TrellisCore

/// JSON responses from ``JSONValue``s, written with Trellis's own serializer (stable key order).
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        value.write(into: &bytes)
        bytes.append(0x0A)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// HTML responses: Hummingbird sends a plain `String` as text/plain.
struct HTMLResponse: ResponseGenerator {
    var html: String
    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.init("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

enum HTML {
    /// A page for people who came from an email or a web page: the preference center, sales
    /// links, and errors on those paths (see ``APIError/isForPeople(_:)``).
    static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>\(HTML.escape(title))</title>
        <style>
        body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1rem;color:#1b1f24;background:#fff}
        main{max-width:32rem;margin:0 auto}fieldset{border:1px solid #d0d7de;border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem}
        legend{font-weight:600}label{margin-left:.5rem}button{background:#0969da;color:#fff;border:0;border-radius:4px;padding:.6rem 1.2rem;font:inherit;font-weight:600;cursor:pointer;margin:.25rem .25rem 0 0}
        button.secondary{background:#fff;color:#a40e26;border:2px solid #a40e26}button:focus,input:focus{outline:3px solid #0969da;outline-offset:1px}
        .status{border-left:4px solid #0969da;padding-left:.75rem}
        </style></head>
        <body><main>
        \(body)
        </main></body></html>
        """
    }

    /// Escapes text for HTML element content and attribute values.
    static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }
}
