import GRDB

extension StoreError {
    /// The store error a database error means to a caller, when it means one: SQLite's
    /// `SQLITE_FULL` (the disk, or the file system's quota) is ``storageFull``.
    public static func classify(_ error: any Error) -> StoreError? {
        if let error = error as? StoreError { return error }
        guard let database = error as? DatabaseError else { return nil }
        return database.resultCode == .SQLITE_FULL ? .storageFull : nil
    }
}
