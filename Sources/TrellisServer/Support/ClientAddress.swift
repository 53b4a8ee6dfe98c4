#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HTTPTypes
import Hummingbird

/// An address range, `10.0.0.0/8`, `2001:db8::/32`, or one address (`127.0.0.1`).
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefix: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let bytes = Self.parse(parts[0]) else { return nil }
        let bits = bytes.count * 8
        guard let prefix = parts.count == 2 ? Int(parts[1]) : bits, (0...bits).contains(prefix) else { return nil }
        self.bytes = bytes
        self.prefix = prefix
        self.description = text
    }

    /// The address's bytes (4 or 16), or nil when it is not an IPv4 or IPv6 address.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    public func contains(_ address: String) -> Bool {
        guard let other = Self.parse(address), other.count == bytes.count else { return false }
        var left = prefix
        for (mine, theirs) in zip(bytes, other) where left > 0 {
            let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
            if mine & mask != theirs & mask { return false }
            left -= 8
        }
        return true
    }
}

/// Behind a reverse proxy every connection comes from the proxy: when it is one of
/// `trusted_proxies`, the client is the nearest address in `X-Forwarded-For` that is not a trusted
/// proxy (the header is read from the right: what a client wrote itself on the left is not
/// believed). That address is what rate limits count, consent evidence records and the audit log
/// keeps. Without trusted proxies the header is ignored.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = TrellisRequestContext
    let trusted: [AddressRange]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !trusted.isEmpty, let peer = context.remoteAddress?.ipAddress, isTrusted(peer) else { return try await next(request, context) }
        let hops = request.headers[values: Self.forwardedFor].joined(separator: ",").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { AddressRange.parse($0) != nil }
        guard !hops.isEmpty else { return try await next(request, context) }
        var context = context
        context.forwardedFor = hops.last { !isTrusted($0) } ?? hops.first
        return try await next(request, context)
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    func isTrusted(_ address: String) -> Bool { trusted.contains { $0.contains(address) } }
}
