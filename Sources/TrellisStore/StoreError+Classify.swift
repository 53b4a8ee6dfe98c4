import GRDB
import PostgresNIO

extension StoreError {
    /// The store error a database error means to a caller, when it means one: SQLite's
    /// `SQLITE_FULL` and PostgreSQL's `disk_full` (the disk, or the file system's quota) are
    /// ``storageFull``; a PostgreSQL server that cannot be reached, or that is shutting down or
    /// starting, is ``unavailable(_:)``.
    public static func classify(_ error: any Error) -> StoreError? {
        if let error = error as? StoreError { return error }
        if let database = error as? DatabaseError { return database.resultCode == .SQLITE_FULL ? .storageFull : nil }
        if let postgres = error as? PSQLError { return classify(postgres) }
        if let transaction = error as? PostgresTransactionError, let cause = transaction.closureError ?? transaction.beginError {
            return classify(cause)
        }
        return nil
    }

    static func classify(_ error: PSQLError) -> StoreError? {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            // 53100 disk_full; 53xxx insufficient resources; 57P01-57P03 the server shutting
            // down or starting; 08xxx connection exceptions.
            if state == "53100" { return .storageFull }
            if state.hasPrefix("57P") || state.hasPrefix("08") || state.hasPrefix("53") {
                return .unavailable(error.serverInfo?[.message] ?? state)
            }
            return nil
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return .unavailable(String(describing: error.code))
        default:
            return nil
        }
    }
}
