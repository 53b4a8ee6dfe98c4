import Foundation
import TrellisCore
import TrellisStore

/// A fresh SQLite store in a temporary folder, removed when the test ends.
final class StoreFixture: Sendable {
    let directory: URL
    let store: SQLiteStore
    let now = ISO8601.parse("2026-03-02T09:00:00Z")!

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("test.db").path)
        try await store.migrate()
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    func ingest(_ messages: [TrackingMessage], source: String = "test", at: Timestamp? = nil) async throws -> IngestOutcome {
        try await store.ingest([IngestBatch(source: source, receivedAt: at ?? now, messages: messages.map { IngestMessage($0) })])[0]
    }
}

func track(_ id: String, user: String? = nil, anon: String? = nil, event: String = "Clicked", at: Timestamp? = nil) -> TrackingMessage {
    TrackingMessage(type: .track, messageId: id, userId: user, anonymousId: anon, name: event, properties: ["n": .string(id)], originalTimestamp: at)
}

func identify(_ id: String, user: String? = nil, anon: String? = nil, traits: [String: JSONValue]) -> TrackingMessage {
    TrackingMessage(type: .identify, messageId: id, userId: user, anonymousId: anon, traits: traits)
}
