import TrellisCore

/// The audit log: every change made through the management API or the console, and by the CLI's
/// key and user commands. Append-only; `GET /api/v1/audit` reads it (admin keys).
public protocol AuditStore: Sendable {
    func recordAudit(_ entry: AuditEntry) async throws
    /// Newest first; `before` is a `seq` cursor.
    func auditLog(before: Int64?, limit: Int) async throws -> [AuditEntry]
}

/// One change: who (an API key's name and role, a console user, or `cli`), what (the method and
/// path, without the query), the answer's status, and from which address.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int64
    public var at: Timestamp
    public var actor: String
    public var role: String
    public var method: String
    public var path: String
    public var status: Int
    public var address: String

    public init(seq: Int64 = 0, at: Timestamp, actor: String, role: String, method: String, path: String, status: Int, address: String) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.role = role
        self.method = method
        self.path = path
        self.status = status
        self.address = address
    }
}
