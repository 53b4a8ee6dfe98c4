import GRDB

/// The SQLite log's duplicate key: a 64-bit hash of an event's source and messageId.
///
/// The log was `UNIQUE (source, message_id)`: with random UUID messageIds, as Segment's libraries
/// make them, every event wrote a leaf of an index of ~50-byte entries (~18 to a 1 KiB page) at
/// random. The key's index holds ~14-byte entries, so an ingest commit dirties and reads fewer
/// pages (docs/performance.md, "The messageId as a 64-bit key"). Two different pairs that hash
/// alike are handled, not assumed away: the later one is stored with no key (NULL), and rows
/// without a key are unique on `(source, message_id)` through their own small partial index.
/// A row normally lacks a key only while another holds it; if that other row is deleted (an
/// erasure), the key is free while the unkeyed row remains, so whenever the log has unkeyed rows
/// at all the writer also looks among them before it inserts (``IngestWriter``).
///
/// The hash is FNV-1a over the UTF-8 bytes of the source, a zero byte and the messageId. It is
/// stored, so it must never change; `MessageKeyTests` pins it to fixed values.
enum MessageKey {
    static func of(source: String, messageId: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        var source = source
        var messageId = messageId
        source.withUTF8 { $0.forEach(mix) }
        mix(0)
        messageId.withUTF8 { $0.forEach(mix) }
        return Int64(bitPattern: hash)
    }

    /// `trellis_message_key(source, message_id)` for SQL (the migration that adds the key, bench
    /// data); NULL if either is NULL.
    static let function = DatabaseFunction("trellis_message_key", argumentCount: 2, pure: true) { values in
        guard let source = String.fromDatabaseValue(values[0]), let messageId = String.fromDatabaseValue(values[1]) else { return nil }
        return of(source: source, messageId: messageId)
    }

    /// Whether `messageId` from `source` is in the log: by its key, or among the rows that have none.
    static let storedSQL = """
        SELECT 1 FROM events WHERE message_key = ?1 AND source = ?2 AND message_id = ?3
        UNION ALL SELECT 1 FROM events WHERE message_key IS NULL AND source = ?2 AND message_id = ?3
        LIMIT 1
        """

    /// Whether `messageId` from `source` is among the rows without a key.
    static let storedUnkeyedSQL = "SELECT 1 FROM events WHERE message_key IS NULL AND source = ? AND message_id = ?"

    /// Whether the log has rows without a key at all (nearly always not: then a free key means a
    /// new message, and the insert alone answers).
    static let anyUnkeyedSQL = "SELECT EXISTS (SELECT 1 FROM events WHERE message_key IS NULL)"

    /// Whether a row other than `(source, messageId)` holds its key: a collision of the hash.
    static let keyHeldByAnotherSQL = "SELECT 1 FROM events WHERE message_key = ?1 AND NOT (source = ?2 AND message_id = ?3)"

    static func isStoredUnkeyed(_ db: Database, source: String, messageId: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: storedUnkeyedSQL), arguments: [source, messageId]) != nil
    }

    static func isStored(_ db: Database, source: String, messageId: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: storedSQL), arguments: [of(source: source, messageId: messageId), source, messageId]) != nil
    }
}
