import TrellisCore

/// Everything Trellis keeps, behind one protocol.
///
/// The embedded default is ``SQLiteStore``; PostgreSQL implements the same protocol for scale-out.
/// Implementations take time from their callers (`at:` arguments, `receivedAt`), never the system.
///
/// ```swift
/// let store = try SQLiteStore(path: "trellis.db")
/// try await store.migrate()
/// let outcome = try await store.ingest([batch])
/// ```
public protocol Store: ContactStore, QualifyStore, WorkflowStore, MailStore, SalesStore, ReportStore, ExperimentStore, AttributionStore, EmailReportStore,
    ConsoleStore, AuditStore, PrivacyStore
{}

/// The capture and enrich part of a store: schema, the event log, contacts and accounts, keys and forms.
public protocol ContactStore: Sendable {
    /// Creates or upgrades the schema. Safe to call on every start.
    func migrate() async throws
    /// Answers once the database does; for health checks.
    func ping() async throws

    /// Stores the batches in one transaction: all of them or none. Each outcome lines up with its batch.
    func ingest(_ batches: [IngestBatch]) async throws -> [IngestOutcome]

    func contact(id: Int64) async throws -> Contact?
    func contacts(_ query: ContactQuery) async throws -> [Contact]
    func contactId(anonymousId: String) async throws -> Int64?
    /// Updates the contact (an id merged into another updates the survivor).
    func updateContact(id: Int64, _ patch: ContactPatch, at: Timestamp, actor: String) async throws -> Contact
    /// Deletes the contact, its identifiers, events and consent records (an id merged into another
    /// deletes the survivor). Returns false if absent.
    func deleteContact(id: Int64) async throws -> Bool
    /// Newest first; `before` is a `seq` cursor.
    func timeline(contactId: Int64, before: Int64?, limit: Int) async throws -> [StoredEvent]
    func consentRecords(contactId: Int64) async throws -> [ConsentRecord]
    func eventCount() async throws -> Int

    func account(id: Int64) async throws -> Account?
    func contacts(accountId: Int64, limit: Int) async throws -> [Contact]

    func createAPIKey(_ key: APIKeyRecord) async throws
    func apiKey(hash: String) async throws -> APIKeyRecord?
    func apiKeys() async throws -> [APIKeyRecord]
    /// Revokes the key: it is deleted, and returned (nil if there was none with that id).
    func deleteAPIKey(id: String) async throws -> APIKeyRecord?

    func saveForm(_ form: FormDefinition, at: Timestamp) async throws
    func form(key: String) async throws -> FormDefinition?
    func forms() async throws -> [FormDefinition]
    func deleteForm(key: String) async throws -> Bool
}

/// A page of the contact list: filters and a cursor (contacts after `afterId`, in id order).
public struct ContactQuery: Sendable, Equatable {
    public var email: String?
    public var userId: String?
    public var afterId: Int64?
    public var limit: Int

    public init(email: String? = nil, userId: String? = nil, afterId: Int64? = nil, limit: Int = 50) {
        self.email = email
        self.userId = userId
        self.afterId = afterId
        self.limit = limit
    }
}

/// A change to a contact through the API. `traits` merge (a null value removes the trait).
public struct ContactPatch: Sendable, Equatable {
    public var email: String??
    public var traits: [String: JSONValue]?
    public var stage: LifecycleStage??
    public var owner: String??
    /// Why the stage changed, stored on the stage change event.
    public var stageReason: String?

    public init(
        email: String?? = nil, traits: [String: JSONValue]? = nil, stage: LifecycleStage?? = nil, owner: String?? = nil, stageReason: String? = nil
    ) {
        self.email = email
        self.traits = traits
        self.stage = stage
        self.owner = owner
        self.stageReason = stageReason
    }
}

/// An API key as stored: only the SHA-256 of the secret is kept.
public struct APIKeyRecord: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var role: Role
    public var hash: String
    /// The first characters of the key, to recognise it in a list.
    public var prefix: String
    /// For write keys: the source its events are attributed to.
    public var source: String
    public var createdAt: Timestamp

    public init(id: String, name: String, role: Role, hash: String, prefix: String, source: String, createdAt: Timestamp) {
        self.id = id
        self.name = name
        self.role = role
        self.hash = hash
        self.prefix = prefix
        self.source = source
        self.createdAt = createdAt
    }
}

/// Errors a store raises that callers act on.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case unsupportedURL(String)
    case corrupt(String)
    /// The disk under the store is full: nothing of the write was kept; retry once space is freed.
    case storageFull
    /// The database cannot be reached (a PostgreSQL server restarting or away): nothing of the
    /// request was done; retry later.
    case unavailable(String)

    public var description: String {
        switch self {
        case .notFound(let what): "not found: \(what)"
        case .conflict(let what): "conflict: \(what)"
        case .unsupportedURL(let url): "unsupported database URL '\(url)': use sqlite:///path/to/file.db, a file path, or postgres://user:password@host:port/database"
        case .corrupt(let what): "stored data is unreadable: \(what)"
        case .storageFull: "the disk under the database is full"
        case .unavailable(let why): "the database is unavailable: \(why)"
        }
    }
}
