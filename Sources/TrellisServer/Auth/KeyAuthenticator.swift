import Foundation
import Hummingbird
import Synchronization
import TrellisCore
import TrellisStore

/// Finds the API key a request carries and checks its role.
///
/// Keys are stored as SHA-256 hashes; a key seen once is remembered by hash so the hot ingest
/// path costs a hash and a dictionary probe, not a query. A remembered key is looked up again
/// after ``recheck`` milliseconds, so a key revoked by another process (`trellis keys revoke`)
/// stops working within that time; one revoked through this server stops at once.
public final class KeyAuthenticator: Sendable {
    private let store: any Store
    private let clock: any TrellisClock
    private let known = Mutex<[String: (record: APIKeyRecord, checkedAt: Timestamp)]>([:])
    /// How long a remembered key is trusted without asking the store again.
    public static let recheck: Int64 = 30_000

    public init(store: any Store, clock: any TrellisClock) {
        self.store = store
        self.clock = clock
    }

    public func record(forKey key: String) async throws -> APIKeyRecord? {
        let hash = APIKeys.hash(key)
        let now = clock.now()
        if let entry = known.withLock({ $0[hash] }), now.millisecondsSinceEpoch - entry.checkedAt.millisecondsSinceEpoch < Self.recheck {
            return entry.record
        }
        guard let record = try await store.apiKey(hash: hash) else {
            known.withLock { _ = $0.removeValue(forKey: hash) }
            return nil
        }
        known.withLock { $0[hash] = (record, now) }
        return record
    }

    /// Forgets a revoked key at once.
    func forget(hash: String) {
        known.withLock { _ = $0.removeValue(forKey: hash) }
    }

    /// The management API: `Authorization: Bearer <key>` with a role that grants `permission`.
    func bearer(_ request: Request, needs permission: Permission) async throws -> APIKeyRecord {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("send an API key as 'Authorization: Bearer <key>'")
        }
        guard let key = Self.bearerKey(header: header) else {
            throw APIError.unauthorized("the Authorization header must be 'Bearer <key>'")
        }
        guard let record = try await record(forKey: key) else { throw APIError.unauthorized("the API key is not valid") }
        guard record.role.allows(permission) else {
            throw APIError.forbidden("a \(record.role.rawValue) key may not do this (needs \(permission.rawValue))")
        }
        return record
    }

    /// The key of `Authorization: Bearer <key>`: nil for another scheme or an empty key. The one
    /// reader of the scheme for the management API, the tracking API and the audit log.
    static func bearerKey(header: String) -> String? {
        guard let credentials = HeaderBytes.credentials(header, scheme: "bearer"), !credentials.isEmpty else { return nil }
        return String(decoding: credentials, as: UTF8.self)
    }

    /// The write key of Segment's HTTP Basic scheme: the key is the user name, the password empty.
    /// Nil when the header is not `Basic` or its credentials are not base64 of UTF-8. Works on the
    /// header's bytes: it runs on every tracking request, and Foundation's string trimming and
    /// splitting cost more than the rest of the key check (perf, `trellis bench --mode track`).
    static func basicUser(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        return basicUser(header: header)
    }

    static func basicUser(header: String) -> String? {
        guard let credentials = HeaderBytes.credentials(header, scheme: "basic"),
            let decoded = Data(base64Encoded: Data(credentials))
        else { return nil }
        // The user name is everything before the first colon (the password, empty for a write key, follows it).
        let user = decoded.prefix { $0 != UInt8(ascii: ":") }
        return String(validating: user, as: UTF8.self)
    }
}
