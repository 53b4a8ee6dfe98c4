import Foundation
import GRDB
import Synchronization
import TrellisCore

/// A `contacts` row: the mapping between the table and ``Contact``.
struct ContactRow {
    var id: Int64
    var userId: String?
    var email: String?
    var traits: [String: JSONValue]
    var stage: LifecycleStage?
    var owner: String?
    var accountId: Int64?
    var consent: ConsentState
    var firstSeen: Timestamp
    var lastSeen: Timestamp

    static let columns = "id, user_id, email, traits, stage, owner, account_id, consent, first_seen, last_seen"

    init(row: Row) throws {
        try self.init(
            id: row[0], userId: row[1], email: row[2], traits: row[3], stage: row[4], owner: row[5], accountId: row[6], consent: row[7], firstSeen: row[8],
            lastSeen: row[9])
    }

    init(
        id: Int64, userId: String?, email: String?, traits: String?, stage: String?, owner: String?, accountId: Int64?, consent consentText: String,
        firstSeen: Int64, lastSeen: Int64
    ) throws {
        self.id = id
        self.userId = userId
        self.email = email
        self.traits = try JSONValue.column(traits, "contacts.traits")
        self.stage = stage.flatMap(LifecycleStage.init(rawValue:))
        self.owner = owner
        self.accountId = accountId
        consent = consentText == "{}" ? ConsentState() : try ConsentCache.shared.state(consentText)
        self.firstSeen = Timestamp(millisecondsSinceEpoch: firstSeen)
        self.lastSeen = Timestamp(millisecondsSinceEpoch: lastSeen)
    }

    /// Through SQLite's C API: every pass reads each contact it touches (and their colleagues).
    static func fetch(_ db: Database, id: Int64) throws -> ContactRow? {
        let statement = DirectStatement(try db.cachedStatement(sql: "SELECT \(columns) FROM contacts WHERE id = ?"))
        defer { statement.reset() }
        statement.bind(1, id)
        guard try statement.step() else { return nil }
        return try ContactRow(
            id: statement.int64(0), userId: statement.text(1), email: statement.text(2), traits: statement.text(3), stage: statement.text(4),
            owner: statement.text(5), accountId: statement.isNull(6) ? nil : statement.int64(6), consent: statement.text(7) ?? "{}",
            firstSeen: statement.int64(8), lastSeen: statement.int64(9))
    }

    func save(_ db: Database, at: Timestamp) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE contacts SET user_id = ?, email = ?, email_lower = ?, traits = ?, stage = ?, owner = ?, account_id = ?, consent = ?,
                    first_seen = ?, last_seen = ?, updated_at = ? WHERE id = ?
                """)
        let arguments: [(any DatabaseValueConvertible)?] = [
            userId, email, email?.lowercased(), traits.jsonText, stage?.rawValue, owner, accountId, try JSONDecoderShim.encode(consent),
            firstSeen.millisecondsSinceEpoch, lastSeen.millisecondsSinceEpoch, at.millisecondsSinceEpoch, id,
        ]
        try statement.execute(arguments: StatementArguments(arguments))
    }

    func contact(anonymousIds: [String]) -> Contact {
        Contact(
            id: id, userId: userId, anonymousIds: anonymousIds, email: email, traits: traits, stage: stage, owner: owner, accountId: accountId,
            firstSeen: firstSeen, lastSeen: lastSeen, consent: consent)
    }
}

/// Codable to and from JSON text for the few structured columns that are not free-form.
/// Decoded consent by its stored text. Decoding it (Foundation's JSONDecoder) was the largest
/// part of reading a contact, and passes read the same contacts again and again; the text is the
/// whole state, so the cache can never be stale. Emptied when it reaches its size.
final class ConsentCache: Sendable {
    static let shared = ConsentCache()
    private let states = Mutex<[String: ConsentState]>([:])
    private let capacity = 20_000

    func state(_ text: String) throws -> ConsentState {
        if let known = states.withLock({ $0[text] }) { return known }
        let decoded = try JSONDecoderShim.decode(ConsentState.self, text)
        states.withLock { states in
            if states.count >= capacity { states.removeAll(keepingCapacity: true) }
            states[text] = decoded
        }
        return decoded
    }
}

enum JSONDecoderShim {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try TrellisJSON.decoder.decode(T.self, from: Array(text.utf8))
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try TrellisJSON.encoder.encode(value), as: UTF8.self)
    }
}
