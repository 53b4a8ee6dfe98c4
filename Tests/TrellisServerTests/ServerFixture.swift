import CZlib
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TrellisCore
import TrellisServer
import TrellisStore

/// Which store the server suites run on: SQLite, or PostgreSQL when `TRELLIS_TEST_STORE=postgres`
/// (scripts/test runs them a second time so, against the server `TRELLIS_TEST_POSTGRES_URL` names;
/// each fixture gets a database of its own there).
enum TestStore {
    static var usesPostgres: Bool { ProcessInfo.processInfo.environment["TRELLIS_TEST_STORE"] == "postgres" }
    static var postgresURL: String? { ProcessInfo.processInfo.environment["TRELLIS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static let admin: PostgresStore? = postgresURL.flatMap { try? PostgresStore.open(url: $0, leaseTimeout: .seconds(300)) }

    /// A fresh, migrated store: a SQLite file in `directory`, or a new PostgreSQL database.
    static func make(in directory: URL) async throws -> any Store {
        guard usesPostgres else {
            let store = try SQLiteStore(path: directory.appendingPathComponent("test.db").path)
            try await store.migrate()
            return store
        }
        guard let admin, let url = postgresURL, let slash = url.lastIndex(of: "/") else {
            throw StoreError.unsupportedURL("TRELLIS_TEST_STORE=postgres needs TRELLIS_TEST_POSTGRES_URL")
        }
        let name = "s_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin.createDatabase(name)
        let store = try PostgresStore.open(url: String(url[..<slash]) + "/" + name, leaseTimeout: .seconds(60))
        try await store.migrate()
        return store
    }
}

/// A server over a fresh store and a manual clock, with one key of each role.
final class ServerFixture: Sendable {
    let directory: URL
    let store: any Store
    let clock = ManualClock(now: ISO8601.parse("2026-03-02T09:00:00Z")!)
    let services: Services
    let keys: [Role: String]

    /// Tests send many requests from one address at one instant: only the forms limit stays on
    /// (generous) unless a test sets its own.
    init(
        rateLimits: PublicRateLimits = PublicRateLimits(forms: RateLimit(burst: 50, perMinute: 50), tracking: nil, unsubscribe: nil),
        trustedProxies: [AddressRange] = []
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try await TestStore.make(in: directory)
        services = Services(store: store, clock: clock, rateLimits: rateLimits, trustedProxies: trustedProxies)
        var keys: [Role: String] = [:]
        for role in Role.allCases {
            keys[role] = try await APIKeys.create(in: store, name: role.rawValue, role: role, source: "web", at: clock.now()).key
        }
        self.keys = keys
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
        if let postgres = store as? PostgresStore { Task { await postgres.close() } }
    }

    var app: some ApplicationProtocol { Application(router: buildRouter(services: services)) }

    func basic(_ role: Role = .write) -> HTTPFields {
        let token = Data("\(keys[role]!):".utf8).base64EncodedString()
        return [.authorization: "Basic \(token)", .contentType: "application/json"]
    }

    func bearer(_ role: Role = .admin, json: Bool = false) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(keys[role]!)"]
        if json { fields[.contentType] = "application/json" }
        return fields
    }
}

extension ByteBuffer {
    var json: JSONValue { (try? JSONParser.parse(Array(readableBytesView))) ?? .null }
    var text: String { String(buffer: self) }
}

/// gzip (RFC 1952) as the Segment libraries send it.
func gzip(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    deflateInit2_(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
    let count = input.withUnsafeMutableBufferPointer { inputBuffer in
        output.withUnsafeMutableBufferPointer { outputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            stream.next_out = outputBuffer.baseAddress
            stream.avail_out = UInt32(outputBuffer.count)
            deflate(&stream, Z_FINISH)
            return outputBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output[0..<count])
}
