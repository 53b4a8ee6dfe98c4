import Foundation
import Testing
import TrellisCore
@testable import TrellisStore

/// Which store a test runs against. PostgreSQL runs when `TRELLIS_TEST_POSTGRES_URL` names a
/// server (scripts/test starts a throwaway one); each test gets a database of its own on it.
enum StoreKind: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["TRELLIS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// SQLite always; PostgreSQL when a server is named.
    static var available: [StoreKind] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// A store the shared suites can run against: the capture part, and statements for tests.
protocol TestableStore: ContactStore, QualifyStore, WorkflowStore, MailStore, SalesStore, AuditStore, ConsoleStore, PrivacyStore {
    func execute(sql: String) async throws
    func strings(sql: String) async throws -> [String]
}

extension SQLiteStore: TestableStore {}
extension PostgresStore: TestableStore {}

/// Creates the per-test databases on the PostgreSQL server the tests were given.
enum PostgresTestServer {
    static let admin: PostgresStore? = StoreKind.postgresURL.flatMap { try? PostgresStore.open(url: $0, leaseTimeout: .seconds(300)) }

    /// A new, empty, migrated database; its URL is the admin URL with the database changed.
    static func freshStore() async throws -> PostgresStore {
        guard let admin, let url = StoreKind.postgresURL, let slash = url.lastIndex(of: "/") else {
            throw StoreError.unsupportedURL("TRELLIS_TEST_POSTGRES_URL is not set")
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin.executeOutsideTransaction("CREATE DATABASE \(name)")
        let store = try PostgresStore.open(url: String(url[..<slash]) + "/" + name, leaseTimeout: .seconds(60))
        try await store.migrate()
        return store
    }
}

/// A fresh store in a temporary folder (SQLite) or database (PostgreSQL), for one test.
final class StoreFixture: Sendable {
    let directory: URL
    let store: any TestableStore
    let now = ISO8601.parse("2026-03-02T09:00:00Z")!

    init(_ kind: StoreKind = .sqlite) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-store-\(UUID().uuidString)")
        switch kind {
        case .sqlite:
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: directory.appendingPathComponent("test.db").path)
            try await store.migrate()
            self.store = store
        case .postgres:
            store = try await PostgresTestServer.freshStore()
        }
    }

    /// The SQLite store, for the tests of what only it has (its file, WAL, checkpoints).
    var sqlite: SQLiteStore { store as! SQLiteStore }

    deinit {
        try? FileManager.default.removeItem(at: directory)
        if let postgres = store as? PostgresStore { Task { await postgres.close() } }
    }

    @discardableResult
    func ingest(_ messages: [TrackingMessage], source: String = "test", at: Timestamp? = nil) async throws -> IngestOutcome {
        try await store.ingest([IngestBatch(source: source, receivedAt: at ?? now, messages: messages.map { IngestMessage($0) })])[0]
    }
}

@Suite struct StoreKindTests {
    /// scripts/test sets TRELLIS_TEST_REQUIRE_POSTGRES: there, a run without PostgreSQL fails
    /// instead of quietly testing SQLite alone.
    @Test func postgresIsTestedWhereRequired() {
        if ProcessInfo.processInfo.environment["TRELLIS_TEST_REQUIRE_POSTGRES"] == "1" {
            #expect(StoreKind.available.contains(.postgres), "TRELLIS_TEST_POSTGRES_URL is not set")
        }
    }
}

func track(_ id: String, user: String? = nil, anon: String? = nil, event: String = "Clicked", at: Timestamp? = nil) -> TrackingMessage {
    TrackingMessage(type: .track, messageId: id, userId: user, anonymousId: anon, name: event, properties: ["n": .string(id)], originalTimestamp: at)
}

func identify(_ id: String, user: String? = nil, anon: String? = nil, traits: [String: JSONValue]) -> TrackingMessage {
    TrackingMessage(type: .identify, messageId: id, userId: user, anonymousId: anon, traits: traits)
}
