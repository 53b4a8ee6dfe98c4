import Foundation
import Hummingbird
import NIOCore
import TrellisCore

/// Reads a request body under a size limit, undoing `Content-Encoding: gzip` with the same limit
/// applied to the inflated bytes.
enum RequestBody {
    static func read(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "the body is \(length) bytes; the limit is \(limit / 1024) KB")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "the body is over the limit of \(limit / 1024) KB")
        }
        let bytes = Array(buffer.readableBytesView)
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity", "":
            return bytes
        case "gzip", "x-gzip":
            return try Gzip.inflate(bytes, limit: limit)
        case let other?:
            throw APIError(.unsupportedMediaType, code: "unsupported_encoding", message: "Content-Encoding '\(other)' is not supported; send gzip or none")
        }
    }

    /// The media type without parameters, lowercased.
    static func mediaType(_ request: Request) -> String? {
        request.headers[.contentType].map(mediaType(header:))
    }

    /// `" Application/JSON ; charset=utf-8"` → `"application/json"`: the part before any
    /// parameters, without spaces or tabs around it, lowercased. On bytes: every tracking
    /// request asks, and Foundation's trimming was a visible share of one (perf).
    static func mediaType(header: String) -> String {
        let bytes = Array(header.utf8.prefix { $0 != UInt8(ascii: ";") })
        return String(decoding: HeaderBytes.trimmed(bytes[...]), as: UTF8.self).lowercased()
    }
}
