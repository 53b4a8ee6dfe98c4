import GRDB
import Foundation
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
        id = row[0]
        userId = row[1]
        email = row[2]
        traits = try JSONValue.column(row[3], "contacts.traits")
        stage = (row[4] as String?).flatMap(LifecycleStage.init(rawValue:))
        owner = row[5]
        accountId = row[6]
        let consentText: String = row[7]
        consent = consentText == "{}" ? ConsentState() : try JSONDecoderShim.decode(ConsentState.self, consentText)
        firstSeen = Timestamp(millisecondsSinceEpoch: row[8])
        lastSeen = Timestamp(millisecondsSinceEpoch: row[9])
    }

    static func fetch(_ db: Database, id: Int64) throws -> ContactRow? {
        let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM contacts WHERE id = ?")
        return try Row.fetchOne(statement, arguments: [id]).map(ContactRow.init(row:))
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
enum JSONDecoderShim {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try TrellisJSON.decoder.decode(T.self, from: Array(text.utf8))
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try TrellisJSON.encoder.encode(value), as: UTF8.self)
    }
}
