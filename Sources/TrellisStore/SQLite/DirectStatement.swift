import GRDB
import GRDBSQLite

/// A prepared statement driven through SQLite's C API: bind, step, reset.
///
/// Used for the ingest writer's three per-event statements and the rules' per-contact event
/// reads. GRDB's `StatementArguments` box
/// every value as an existential and convert it twice; at tens of thousands of events a second
/// on one writer thread that was over a third of the writer's time (measured with
/// `perf record --call-graph dwarf`). Everything else goes through GRDB as usual.
struct DirectStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer?

    init(_ statement: Statement) {
        handle = statement.sqliteStatement
        connection = sqlite3_db_handle(statement.sqliteStatement)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(handle, index)
            return
        }
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { characters in
                if let base = characters.baseAddress {
                    _ = sqlite3_bind_text(handle, index, base, Int32(characters.count), Self.transient)
                } else {
                    _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)  // "" is text, not NULL
                }
            }
        }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        guard let value else {
            sqlite3_bind_null(handle, index)
            return
        }
        sqlite3_bind_int64(handle, index, value)
    }

    /// Steps once; true if a row is available (read it with ``int64(_:)`` before ``reset()``).
    @discardableResult
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "unknown error"
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// The column as text, nil when NULL.
    func text(_ column: Int32) -> String? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL, let characters = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: characters, count: count), as: UTF8.self)
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}
