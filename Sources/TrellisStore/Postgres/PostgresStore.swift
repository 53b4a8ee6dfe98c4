import Foundation
import Synchronization
import Logging
import NIOCore
import PostgresNIO
import TrellisCore

/// The scale-out store: PostgreSQL through postgres-nio, for several API and worker processes
/// against one database.
///
/// It keeps the promises of ``SQLiteStore`` across processes:
/// - Writes that read, decide and write (ingest's identity resolution, merges, contact edits) run
///   one at a time *across every process*, under a transaction-scoped advisory lock, as SQLite's
///   single writer runs them in one. Requests are still grouped many to a transaction by
///   ``GroupCommitter``, so the lock is taken once per group, not once per event.
/// - Work that several workers share (due sends) is claimed with `FOR UPDATE SKIP LOCKED` and a
///   lease, outside that lock: two workers never take the same row, and a killed worker's leases
///   run out and are taken over.
/// - A commit is durable when PostgreSQL says so (its own `synchronous_commit`).
///
/// ```swift
/// let store = try PostgresStore.open(url: "postgres://trellis:secret@db.internal:5432/trellis")
/// try await store.migrate()
/// ```
public final class PostgresStore: Sendable {
    let client: PostgresClient
    private let running: Task<Void, Never>
    let logger: Logger
    /// The URL without its password, for messages.
    public let displayURL: String

    /// Connects lazily: nothing is opened until the first query. Call ``migrate()`` before use and
    /// ``close()`` when done.
    /// `leaseTimeout`: how long a query waits for a connection before it fails as
    /// ``StoreError/unavailable(_:)`` (see ``defaultLeaseTimeout``).
    public init(
        configuration: PostgresClient.Configuration, displayURL: String, leaseTimeout: Duration = PostgresStore.defaultLeaseTimeout,
        logger: Logger = Logger(label: "trellis.postgres")
    ) {
        var configuration = configuration
        // A database that is away (restarting, failing over) makes a query fail within seconds,
        // which the API answers with 503, instead of holding the request until it comes back.
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.displayURL = displayURL
        self.leaseTimeout = leaseTimeout
        // Started at once, so the pool runs before the first query asks it for a connection.
        running = Task.immediate { await client.run() }
    }

    /// Opens the store a `--db` argument names: `postgres://user:password@host:port/database`,
    /// with `?sslmode=disable|require` (default `disable`; loopback and private networks).
    public static func open(url: String, leaseTimeout: Duration = PostgresStore.defaultLeaseTimeout) throws -> PostgresStore {
        let parsed = try PostgresURL(url)
        return PostgresStore(configuration: parsed.configuration, displayURL: parsed.redacted, leaseTimeout: leaseTimeout)
    }

    /// Whether a `--db` argument names a PostgreSQL database.
    public static func handles(url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    public func ping() async throws {
        try await read { session in _ = try await session.int64("SELECT 1") }
    }

    public func eventCount() async throws -> Int {
        try await read { session in Int(try await session.int64("SELECT count(*) FROM events") ?? 0) }
    }

    /// Runs one statement on its own, outside any transaction (`CREATE DATABASE`, `VACUUM`); for
    /// tests and maintenance, never with user input.
    func executeOutsideTransaction(_ sql: String) async throws {
        try await withConnection { session in try await session.execute(sql) }
    }

    /// Creates an empty database on this server (for tests and set-up scripts). `name` must be a
    /// plain identifier: letters, digits and underscores.
    public func createDatabase(_ name: String) async throws {
        try await executeOutsideTransaction("CREATE DATABASE \(try Self.plainName(name))")
    }

    /// Drops a database on this server, closing its connections first (benchmarks and tests).
    public func dropDatabase(_ name: String) async throws {
        try await executeOutsideTransaction("DROP DATABASE IF EXISTS \(try Self.plainName(name)) WITH (FORCE)")
    }

    static func plainName(_ name: String) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw StoreError.conflict("'\(name)' is not a plain database name")
        }
        return name
    }

    /// Stops the connection pool.
    public func close() async {
        running.cancel()
        _ = await running.value
    }

    // MARK: Transactions

    /// Runs `body` in a read-only transaction (one snapshot for all its queries).
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        try await transaction(mode: "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", lock: false, body)
    }

    /// Runs `body`, which issues **one** statement, outside any transaction: PostgreSQL gives a
    /// lone statement a snapshot of its own, so the answer is as consistent as ``read(_:)``'s at
    /// one round trip instead of three (BEGIN and COMMIT are round trips too). For the hot reads
    /// of the send path and the API; anything that reads twice uses ``read(_:)``.
    func statement<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        try await withConnection(body)
    }

    /// Runs `body` in a write transaction. `serialized` (the default) takes the store's write lock
    /// first: the body sees every earlier serialized write committed and no other runs beside it,
    /// which is what the read-decide-write code shared with SQLite assumes.
    func write<T: Sendable>(serialized: Bool = true, _ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        try await transaction(mode: "BEGIN", lock: serialized, body)
    }

    /// The advisory lock key of the write lock (any constant; "trellis" in ASCII, cut to 63 bits).
    static let writeLockKey: Int64 = 0x7472_656C_6C69_73

    private func transaction<T: Sendable>(mode: String, lock: Bool, _ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        try await withConnection { session in
            try await session.execute(mode)
            do {
                if lock { try await session.execute("SELECT pg_advisory_xact_lock(\(Self.writeLockKey))") }
                let value = try await body(session)
                try await session.execute("COMMIT")
                return value
            } catch {
                // A broken connection has rolled back already (the server ends the transaction
                // with the connection); a ROLLBACK on it could wait for an answer that never comes.
                if !Self.isConnectionLoss(error) { _ = try? await session.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// How long a request waits for a connection, by default, before it is refused as
    /// ``StoreError/unavailable(_:)``: while the server is away the pool retries with growing
    /// pauses, and a request should get its 503 in seconds, not after the pool gives up (a
    /// minute). It also bounds the wait behind a pool whose connections are all busy.
    public static let defaultLeaseTimeout: Duration = .seconds(5)
    let leaseTimeout: Duration

    /// Runs `body` on a pooled connection; a connection that cannot be had within
    /// ``leaseTimeout`` is ``StoreError/unavailable(_:)``. Errors become ``describe(_:)``'s.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        let leased = LeaseFlag()
        let client = client
        let logger = logger
        let leaseTimeout = leaseTimeout
        let answer = Answer<T>()
        // The work runs in a task of its own, not a child: a lease request the pool does not
        // give up at once when cancelled (it waits out its reconnect pauses) must not hold the
        // request after its timeout. Once refused, a connection that comes later runs nothing.
        // The answer is given as soon as the body ends, not when the pool has taken the
        // connection back: after a connection was lost mid-transaction, that hand-back could wait
        // indefinitely, and with it every request behind it (the PostgreSQL restart test hung so).
        let work = Task {
            do {
                try await client.withConnection { connection in
                    guard leased.lease(connection) else { throw CancellationError() }
                    do {
                        answer.resume(.success(try await body(PostgresSession(connection: connection, logger: logger))))
                    } catch {
                        answer.resume(.failure(error))
                    }
                }
            } catch {
                answer.resume(.failure(error))
            }
        }
        // Refuses the request when no connection came in time; then, while the body runs, checks
        // every lease timeout that its connection is still open: a query on a connection that
        // closed under it (a PostgreSQL restart) was seen to wait forever.
        let timer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: leaseTimeout)
                if Task.isCancelled { return }
                if leased.timeOut() {
                    answer.resume(.failure(StoreError.unavailable("no connection to PostgreSQL within \(leaseTimeout)")))
                    return
                }
                if leased.connectionClosed {
                    answer.resume(.failure(StoreError.unavailable("the connection to PostgreSQL closed during the transaction")))
                    return
                }
            }
        }
        do {
            let value = try await answer.value()
            timer.cancel()
            return value
        } catch {
            timer.cancel()
            work.cancel()
            if !leased.isSet, !(error is StoreError) { throw StoreError.unavailable("cannot connect to PostgreSQL: \(error)") }
            throw Self.describe(error)
        }
    }

    /// Whether the error means the connection is gone (closed, reset, or ended by the server).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        guard let postgres = error as? PSQLError else { return false }
        switch postgres.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: return true
        case .server: return (postgres.serverInfo?[.sqlState] ?? "").hasPrefix("57P") || (postgres.serverInfo?[.sqlState] ?? "").hasPrefix("08")
        default: return false
        }
    }

    /// A store error when the failure means one; otherwise the server's own words (its SQLSTATE
    /// and message: postgres-nio's error describes itself as nothing, to keep bound values out of
    /// logs, and neither of these carries a bound value).
    static func describe(_ error: any Error) -> any Error {
        if let known = StoreError.classify(error) { return known }
        if let postgres = error as? PSQLError, let info = postgres.serverInfo {
            return PostgresServerError(sqlState: info[.sqlState] ?? "?", message: info[.message] ?? "", detail: info[.detail])
        }
        return error
    }
}

/// An error PostgreSQL answered that the store does not turn into a ``StoreError``.
public struct PostgresServerError: Error, CustomStringConvertible, Equatable {
    public var sqlState: String
    public var message: String
    public var detail: String?

    public var description: String { "PostgreSQL error \(sqlState): \(message)" + (detail.map { " (\($0))" } ?? "") }
}

/// The race between a lease and its timeout, decided once: either the connection came in time
/// (the request runs) or the timeout passed first (the request is refused, and a connection
/// that arrives later runs nothing).
final class LeaseFlag: Sendable {
    private enum State { case waiting, leased(PostgresConnection), timedOut }
    private let state = Mutex(State.waiting)

    var isSet: Bool {
        state.withLock {
            if case .leased = $0 { return true }
            return false
        }
    }

    /// Whether the leased connection has closed (false before a lease).
    var connectionClosed: Bool {
        state.withLock {
            if case .leased(let connection) = $0 { return connection.isClosed }
            return false
        }
    }

    /// True when the lease won: the body may run.
    func lease(_ connection: PostgresConnection) -> Bool {
        state.withLock { state in
            switch state {
            case .waiting:
                state = .leased(connection)
                return true
            case .leased: return true
            case .timedOut: return false
            }
        }
    }

    /// True when the timeout won: the request is refused.
    func timeOut() -> Bool {
        state.withLock { state in
            switch state {
            case .waiting:
                state = .timedOut
                return true
            case .leased: return false
            case .timedOut: return true
            }
        }
    }
}

/// A result that the first of several tasks delivers; later ones are dropped.
final class Answer<T: Sendable>: Sendable {
    private let state = Mutex<(result: Result<T, any Error>?, waiter: CheckedContinuation<T, any Error>?)>((nil, nil))

    func resume(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// One connection inside a transaction, with the few calls the store makes: SQL text with `?`
/// (or `?1`, `?2`) placeholders, as the SQLite store writes it, turned into PostgreSQL's `$1`.
struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    func execute(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws {
        let rows = try await connection.query(try Self.query(sql, arguments), logger: logger)
        for try await _ in rows {}
    }

    /// Runs a statement and says how many rows it touched: the statement must end with `RETURNING 1`
    /// (or return one row per row it touched).
    func count(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> Int {
        try await rows(sql, arguments).count
    }

    func rows(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> [PostgresResultRow] {
        let rows = try await connection.query(try Self.query(sql, arguments), logger: logger)
        var result: [PostgresResultRow] = []
        for try await row in rows { result.append(PostgresResultRow(PostgresRandomAccessRow(row))) }
        return result
    }

    func row(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> PostgresResultRow? {
        try await rows(sql, arguments).first
    }

    /// The first column of the first row, if there is one and it is not NULL.
    func int64(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> Int64? {
        guard let row = try await row(sql, arguments) else { return nil }
        return try row[0]
    }

    func string(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> String? {
        guard let row = try await row(sql, arguments) else { return nil }
        return try row[0]
    }

    func strings(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> [String] {
        try await rows(sql, arguments).map { try $0[0] }
    }

    func int64s(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> [Int64] {
        try await rows(sql, arguments).map { try $0[0] }
    }

    static func query(_ sql: String, _ arguments: [any PostgresArgument]) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments { try argument.bind(into: &bindings) }
        return PostgresQuery(unsafeSQL: PostgresDialect.cachedPlaceholders(sql), binds: bindings)
    }
}

/// SQL text as the SQLite store writes it, made PostgreSQL's.
enum PostgresDialect {
    /// Translations of the store's fixed statements: a few hundred texts, translating each time
    /// was 2 % of a sender's CPU. Multi-row statements (`VALUES (…), (…)` for 1 to 1,000 rows) are
    /// not kept: each row count is another text, up to tens of KB, and keeping them made a
    /// worker's memory creep up through a 30-minute soak; translating one costs microseconds
    /// beside the rows it carries.
    private static let translated = Mutex<[String: String]>([:])
    static let cacheLimit = 2_000
    /// Statements longer than this are translated each time.
    static let cachedLength = 2_048

    static func cachedPlaceholders(_ sql: String) -> String {
        guard sql.utf8.count <= cachedLength else { return placeholders(sql) }
        if let known = translated.withLock({ $0[sql] }) { return known }
        let result = placeholders(sql)
        translated.withLock { cache in
            if cache.count < cacheLimit { cache[sql] = result }
        }
        return result
    }

    /// Whether a translation of `sql` is kept (tests).
    static func isCached(_ sql: String) -> Bool { translated.withLock { $0[sql] != nil } }

    /// `?` becomes `$1`, `$2`, … in order; `?N` becomes `$N`. Quoted strings and identifiers are
    /// left alone.
    static func placeholders(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var next = 1
        var quote: Character?
        var characters = sql.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? characters.next() {
            pending = nil
            if let open = quote {
                result.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                result.append(character)
            case "?":
                var digits = ""
                while let following = characters.next() {
                    if following.isASCII, following.isNumber {
                        digits.append(following)
                    } else {
                        pending = following
                        break
                    }
                }
                if digits.isEmpty {
                    result += "$\(next)"
                    next += 1
                } else {
                    result += "$" + digits
                }
            default:
                result.append(character)
            }
        }
        return result
    }
}

/// A value bound to a statement: integers, doubles, text, booleans and NULL.
protocol PostgresArgument: Sendable {
    func bind(into bindings: inout PostgresBindings) throws
}

extension Int64: PostgresArgument {
    func bind(into bindings: inout PostgresBindings) { bindings.append(self) }
}

extension Int: PostgresArgument {
    func bind(into bindings: inout PostgresBindings) { bindings.append(Int64(self)) }
}

extension Double: PostgresArgument {
    func bind(into bindings: inout PostgresBindings) { bindings.append(self) }
}

extension String: PostgresArgument {
    func bind(into bindings: inout PostgresBindings) { bindings.append(self) }
}

extension Bool: PostgresArgument {
    func bind(into bindings: inout PostgresBindings) { bindings.append(self ? Int64(1) : Int64(0)) }
}

extension Array: PostgresArgument where Element == Int64 {
    func bind(into bindings: inout PostgresBindings) { bindings.append(self) }
}

extension Optional: PostgresArgument where Wrapped: PostgresArgument {
    func bind(into bindings: inout PostgresBindings) throws {
        switch self {
        case .some(let value): try value.bind(into: &bindings)
        case .none: bindings.appendNull()
        }
    }
}

/// A row read back, with GRDB-like access by position: `let id: Int64 = try row[0]`.
///
/// Numbers are read whatever their column's type (an `int4` count, a `numeric` sum, a `bool`
/// comparison), as SQLite hands them back.
struct PostgresResultRow: Sendable {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRandomAccessRow) {
        self.row = row
    }

    var count: Int { row.count }

    subscript<T: PostgresColumnValue>(_ index: Int) -> T {
        get throws { try T.read(row[index]) }
    }
}

/// What a column can be read as.
protocol PostgresColumnValue {
    static func read(_ cell: PostgresCell) throws -> Self
}

extension Optional: PostgresColumnValue where Wrapped: PostgresColumnValue {
    static func read(_ cell: PostgresCell) throws -> Self {
        cell.bytes == nil ? nil : try Wrapped.read(cell)
    }
}

extension Int64: PostgresColumnValue {
    static func read(_ cell: PostgresCell) throws -> Int64 {
        switch cell.dataType {
        case .bool: return try cell.decode(Bool.self) ? 1 : 0
        case .numeric: return try NSDecimalNumber(decimal: cell.decode(Decimal.self)).int64Value
        case .float4, .float8: return Int64(try cell.decode(Double.self))
        default: return try cell.decode(Int64.self)
        }
    }
}

extension Int: PostgresColumnValue {
    static func read(_ cell: PostgresCell) throws -> Int { Int(try Int64.read(cell)) }
}

extension Double: PostgresColumnValue {
    static func read(_ cell: PostgresCell) throws -> Double {
        switch cell.dataType {
        case .int2, .int4, .int8, .bool: return Double(try Int64.read(cell))
        case .numeric: return try NSDecimalNumber(decimal: cell.decode(Decimal.self)).doubleValue
        default: return try cell.decode(Double.self)
        }
    }
}

extension Bool: PostgresColumnValue {
    static func read(_ cell: PostgresCell) throws -> Bool {
        cell.dataType == .bool ? try cell.decode(Bool.self) : try Int64.read(cell) != 0
    }
}

extension String: PostgresColumnValue {
    static func read(_ cell: PostgresCell) throws -> String { try cell.decode(String.self) }
}

extension Array: PostgresColumnValue where Element == String {
    static func read(_ cell: PostgresCell) throws -> [String] { try cell.decode([String].self) }
}

/// A `postgres://` URL: `postgres://user[:password]@host[:port]/database[?sslmode=disable|require]`.
public struct PostgresURL {
    var configuration: PostgresClient.Configuration
    /// The URL with its password replaced by `***`.
    var redacted: String

    init(_ url: String) throws {
        guard PostgresStore.handles(url: url), let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw StoreError.unsupportedURL(Self.redact(url))
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw StoreError.unsupportedURL(Self.redact(url)) }
        let user = components.user ?? "postgres"
        var tls = PostgresClient.Configuration.TLS.disable
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"): tls = .disable
            case ("sslmode", "require"): tls = .require(.makeClientConfiguration())
            default: throw StoreError.unsupportedURL(Self.redact(url))
            }
        }
        configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 }, database: database, tls: tls)
        redacted = Self.redact(url)
    }

    /// The same server and credentials with another database: `url` with its path replaced.
    public static func replacingDatabase(in url: String, with name: String) throws -> String {
        _ = try PostgresURL(url)
        guard var components = URLComponents(string: url) else { throw StoreError.unsupportedURL(redact(url)) }
        components.path = "/" + (try PostgresStore.plainName(name))
        guard let result = components.string else { throw StoreError.unsupportedURL(redact(url)) }
        return result
    }

    /// The URL with any password replaced by `***`.
    public static func redact(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
extension PostgresStore: Store {}
