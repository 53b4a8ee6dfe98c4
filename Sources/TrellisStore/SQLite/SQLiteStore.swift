import CTrellisSQLite
import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import TrellisCore

/// The embedded store: one SQLite file in WAL mode through GRDB.
///
/// Commits are `synchronous=FULL`: an acknowledged batch survives a crash of the process *and*
/// of the machine. There is one writer (SQLite's rule); ``GroupCommitter`` makes that writer carry
/// many requests per transaction. Readers run concurrently from the pool.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    public let path: String
    /// A connection of its own for WAL checkpoints, so copying the WAL back into the database runs
    /// beside the writer instead of inside one of its commits.
    private let checkpoints: CheckpointScheduler
    /// How far this process's workflow passes have looked through the log past the stored cursor
    /// and found nothing (see ``WorkflowPass/idleCursorLag``).
    let workflowScan = Mutex<WorkflowScanMark?>(nil)
    /// Whether the writer's WAL appends are gathered and written in a few calls a commit (durable
    /// stores only; see ``walGatheringCapacity``).
    let gathersWAL: Bool

    /// The most the writer gathers of its WAL appends before it writes them: SQLite writes every
    /// frame as two calls (header, then page), and a commit of the bench's 100-event batches from 16
    /// connections is a few MB of frames.
    static let walGatheringCapacity = 4 << 20

    /// Opens (creating if needed) the database file at `path`. Call ``migrate()`` before use.
    /// `durable: false` skips the fsync of each commit (`synchronous=OFF`): only for stores that
    /// are thrown away and rebuilt, such as the demo's, where a replay commits tens of thousands
    /// of small transactions.
    public convenience init(path: String, durable: Bool = true) throws {
        try self.init(path: path, durable: durable, framesPerCheckpoint: CheckpointScheduler.framesPerCheckpoint)
    }

    /// `framesPerCheckpoint`: WAL frames (pages) after which a background checkpoint round starts.
    init(path: String, durable: Bool, framesPerCheckpoint: Int) throws {
        // Before SQLite is first used: its page cache, wrapped so that a commit does not walk the
        // whole cache (see Sources/CTrellisSQLite/include/trellis_page_cache.h). If something in
        // the process used SQLite first, SQLite's own cache stays and only that saving is lost.
        _ = trellis_page_cache_install()
        // Before the first connection: the VFS that can gather a connection's WAL appends becomes
        // SQLite's default. It leaves every file alone until a connection enables it (below).
        let registered = trellis_wal_buffer_register()
        guard registered == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: registered), message: "could not register the WAL VFS") }
        var configuration = Configuration()
        // While a checkpoint briefly holds the write lock, retry every 200 µs (for up to 10 s).
        // SQLite's own timeout handler sleeps in growing steps of up to 100 ms, so the writer
        // overslept a 5 ms checkpoint by far: p99 was 200+ ms.
        configuration.busyMode = Self.pollingBusyMode
        configuration.prepareDatabase { db in
            // The log's duplicate key, for SQL that fills the log in bulk (bench data, migrations).
            db.add(function: MessageKey.function)
            // 1 KiB pages (set when the file is created; no effect on an existing one). Under
            // ingest, most pages a commit dirties are leaves of the (contact_id, seq) index hit at
            // random: each costs a page of WAL bytes, so smaller pages cut the write volume. Measured
            // with `trellis bench`: 4 KiB ~42k events/s p99 ~65 ms, 2 KiB ~52k, 1 KiB ~55k p99 ~47 ms.
            try db.execute(sql: "PRAGMA page_size = 1024")
            try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // A 16 MiB page cache for each connection, bounded memory (no mmap, whose pages would
            // grow the resident size with the file); with 64 MiB apiece, four busy readers took the
            // server from 130 to 485 MiB. The writer had 64 MiB until 2026-12-01, but SQLite walks
            // the whole page cache's hash at the end of every write transaction (pcache1Truncate
            // from pager_end_transaction), so a commit cost time in proportion to the pages cached:
            // ~30 µs with 2 MiB, ~110–180 µs with 64 MiB full (scripts/sqlite-commit-cost). With
            // 16 MiB, `/v1/track` (small commits) answered 11–13% more requests a second and
            // batches were no slower (docs/performance.md, "The writer's page cache"). Since
            // 2026-12-02 the wrapped page cache skips that walk (trellis_page_cache.h); a larger
            // writer cache has not been measured again since.
            try db.execute(sql: "PRAGMA cache_size = -\(Self.cacheKiB)")
            // No checkpoints inside commits: ``CheckpointScheduler`` runs them on their own connection.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = 134217728")
        }
        configuration.maximumReaderCount = 4
        pool = try DatabasePool(path: path, configuration: configuration)
        // Again on the writer, after opening: GRDB's pool sets `synchronous = NORMAL` when it turns
        // WAL on, after `prepareDatabase` has run. Under NORMAL a WAL commit is not fsynced (it
        // survives a crash of the process, not of the machine), and that is what this store ran
        // with until 2026-12-01. `SQLiteDurabilityTests` reads the writer's setting.
        // Under FULL, SQLite syncs the WAL before it lets another connection see a commit, and that
        // sync first writes what was gathered; under OFF it would not, so only a durable store
        // gathers. Reading once opens the connection's WAL, which is what gets the buffer.
        gathersWAL = try pool.writeWithoutTransaction { db in
            try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF")
            guard durable else { return false }
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")
            return trellis_wal_buffer_enable(db.sqliteConnection, Int32(Self.walGatheringCapacity)) == 1
        }
        var checkpointConfiguration = Configuration()
        // The checkpointer's RESTART needs the write lock, which the writer holds nearly all the
        // time under load. With SQLite's sleeping handler it waited up to 2.7 s for a gap, and
        // everything written meanwhile had to be copied while it then held the lock (p99 300 ms).
        // Polling every 200 µs, it takes the first gap between two commits.
        checkpointConfiguration.busyMode = Self.pollingBusyMode
        checkpoints = CheckpointScheduler(
            connection: try DatabaseQueue(path: path, configuration: checkpointConfiguration), databasePath: path, framesPerCheckpoint: framesPerCheckpoint)
        self.path = path
        // Every commit on the writer (ingest, passes, sends) reports how many frames the WAL holds.
        pool.writeWithoutTransaction { db in checkpoints.watch(db) }
    }

    /// Each connection's page cache, in KiB.
    static let cacheKiB = 16_384

    /// Truncations of SQLite's page caches in this process that the wrapping cache skipped (they
    /// had nothing to drop) and passed on; nil when SQLite's own cache is in use. For benches.
    public static var pageCacheTruncations: (skipped: Int, passed: Int)? {
        guard trellis_page_cache_install() == 1 else { return nil }
        var skipped: Int64 = 0
        var passed: Int64 = 0
        trellis_page_cache_counts(&skipped, &passed)
        return (Int(skipped), Int(passed))
    }

    /// Retries a busy lock every 200 µs for up to 10 s.
    static let pollingBusyMode = Database.BusyMode.callback { tries in
        guard tries < 50_000 else { return false }
        usleep(200)
        return true
    }

    /// Opens the store a `--db` argument names: `sqlite:///abs/path.db`, `sqlite://rel.db` or a path.
    public static func open(url: String) throws -> SQLiteStore {
        try SQLiteStore(path: try path(fromURL: url))
    }

    public static func path(fromURL url: String) throws -> String {
        if url.hasPrefix("sqlite://") {
            let rest = String(url.dropFirst("sqlite://".count))
            guard !rest.isEmpty else { throw StoreError.unsupportedURL(url) }
            return rest
        }
        if url.contains("://") { throw StoreError.unsupportedURL(url) }
        return url
    }

    public func migrate() async throws {
        try Self.migrator.migrate(pool)
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// Checkpoint rounds the WAL hook has started; for tests.
    var checkpointRoundsStarted: Int { checkpoints.roundsStarted.withLock { $0 } }

    /// Runs a checkpoint round now, as the background does once the WAL holds enough frames; for tests.
    func checkpointNow() async {
        await checkpoints.run()
    }

    /// How many writes SQLite made to the writer's WAL since gathering began, and how many reached
    /// the file; nil when the writer does not gather. For tests.
    func walWriteCounts() async throws -> (received: Int, written: Int)? {
        try await pool.writeWithoutTransaction { db in
            var received: Int64 = 0
            var written: Int64 = 0
            guard trellis_wal_buffer_counts(db.sqliteConnection, &received, &written) == 1 else { return nil }
            return (Int(received), Int(written))
        }
    }

    /// Runs SQLite's own consistency check; "ok" means the file is sound.
    public func integrityCheck() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    public func eventCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
    }

    /// Runs a statement as written; for tests and maintenance, never with user input.
    func execute(sql: String) async throws {
        try await pool.write { db in try db.execute(sql: sql) }
    }

    /// The first column of every row of a query; for tests and maintenance.
    func strings(sql: String) async throws -> [String] {
        try await pool.read { db in try String.fetchAll(db, sql: sql) }
    }

    /// Closes the connections (the file stays).
    public func close() throws {
        try checkpoints.close()
        try pool.close()
    }
}

extension JSONValue {
    /// Reads a JSON column written by Trellis.
    static func column(_ text: String?, _ what: String) throws -> [String: JSONValue] {
        guard let text, !text.isEmpty else { return [:] }
        guard case .object(let object) = try JSONValue(jsonText: text) else { throw StoreError.corrupt(what) }
        return object
    }
}

/// Starts WAL checkpoints beside the writer: every ``messagesPerCheckpoint`` messages, on its own
/// connection, unless one is running. The WAL file is reused from its start after each one and
/// truncated to `journal_size_limit`, so it stays bounded.
final class CheckpointScheduler: Sendable {
    /// When a round starts: once the WAL holds `framesPerRound` frames more than when the last
    /// round started (none, after the WAL started over). If a round cannot make the WAL start
    /// over (a long read keeps old frames in use), the next one waits for as much new WAL again
    /// instead of following it back to back.
    struct RoundTrigger {
        let framesPerRound: Int
        var running = false
        var baseline = 0

        mutating func shouldStart(frames: Int) -> Bool {
            if frames < baseline { baseline = 0 }  // the WAL started over
            guard !running, frames - baseline >= framesPerRound else { return false }
            running = true
            baseline = frames
            return true
        }
    }

    /// About 100 MB of WAL at 1 KiB pages, under `journal_size_limit`. Rounds were counted in
    /// messages until 2026-12-01 (every 50,000, ~87 MB of WAL with the bench's old sequential
    /// messageIds; measured then: every 3,000 messages ~41k events/s, every 20,000 ~55k, every
    /// 50,000 ~59k): random messageIds, or large events, write several times the WAL per message
    /// (175 MB between rounds with UUIDs), so the WAL itself is counted now.
    static let framesPerCheckpoint = 96_000
    /// Passive passes a round makes at most after its first, to catch up before its RESTART.
    static let catchUpPasses = 4
    /// A catch-up pass during which the writer added fewer frames than this ends them.
    static let framesLeftForRestart = 3_000
    private let connection: DatabaseQueue
    private let databasePath: String
    private let trigger: Mutex<RoundTrigger>
    /// Rounds started by the WAL hook since the store opened.
    let roundsStarted = Mutex(0)
    /// Set by ``close()`` on the connection's queue, before the connection closes.
    private let closed = Mutex(false)

    init(connection: DatabaseQueue, databasePath: String, framesPerCheckpoint: Int) {
        self.connection = connection
        self.databasePath = databasePath
        trigger = Mutex(RoundTrigger(framesPerRound: framesPerCheckpoint))
    }

    /// Installs SQLite's WAL hook on the writer: after each commit it reports the frames the WAL
    /// holds, and a round starts once they pass ``framesPerCheckpoint``. (The hook replaces
    /// SQLite's automatic checkpoints, which the store turns off.)
    func watch(_ db: Database) {
        // Unretained: the store owns this scheduler and the writer both, and the hook runs only
        // inside a commit, which needs the store.
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, _, _, frames in
                if let context { Unmanaged<CheckpointScheduler>.fromOpaque(context).takeUnretainedValue().noteWAL(frames: Int(frames)) }
                return SQLITE_OK
            }, context)
    }

    /// Called on the writer after each commit, with the frames now in the WAL.
    func noteWAL(frames: Int) {
        guard trigger.withLock({ $0.shouldStart(frames: frames) }) else { return }
        roundsStarted.withLock { $0 += 1 }
        Task.detached(priority: .utility) {
            await self.run()
            self.trigger.withLock { $0.running = false }
        }
    }

    /// One round: passive passes beside the writer, each followed by a flush of the database
    /// file, until one copies little; then RESTART.
    ///
    /// RESTART holds the write lock while it copies what the passive passes left and flushes the
    /// database file, and every commit waits for it: that wait was the bench's p99. Measured on a
    /// round of ~100,000 frames (`trellis bench`, 2026-12-01): with two passive passes and one
    /// flush before it, the writer added 4,000–37,000 frames during the flush, and RESTART took
    /// 25–285 ms copying and flushing them; with catch-up passes it finds ~2,500–5,000 frames
    /// already flushed but for those, and takes ~30–60 ms, most of it the flush.
    func run() async {
        // The bulk of the copying, beside the writer.
        _ = try? await connection.writeWithoutTransaction { db in
            guard !self.closed.withLock({ $0 }) else { return }
            _ = try db.checkpoint(.passive)
        }
        flushDatabaseFile()
        // The writer went on during the flush. Each pass copies what the WAL held when it began;
        // passes go on until the writer added little during one (a pass and its flush take
        // ~25–50 ms, in which the writer adds ~2,500–5,000 frames under the bench).
        _ = try? await connection.writeWithoutTransaction { db in
            guard !self.closed.withLock({ $0 }) else { return }
            var previous: Int?
            for _ in 0..<Self.catchUpPasses {
                let frames = try db.checkpoint(.passive).walFrameCount
                self.flushDatabaseFile()
                if let previous, frames - previous < Self.framesLeftForRestart { break }
                previous = frames
            }
        }
        // RESTART waits for the writer's current commit, copies the few frames added meanwhile,
        // and makes the next commit start the WAL from its beginning. Passive checkpoints alone
        // never catch up under continuous writes: the WAL grew to 2.4 GB in 40 s of bench.
        _ = try? await connection.writeWithoutTransaction { db in
            guard !self.closed.withLock({ $0 }) else { return }
            _ = try db.checkpoint(.restart)
        }
    }

    /// Passive passes that leave frames behind do not fsync the database file; flushing it
    /// outside the write lock leaves the RESTART's own fsync less to do.
    private func flushDatabaseFile() {
        guard let file = FileHandle(forUpdatingAtPath: databasePath) else { return }
        try? file.synchronize()
        try? file.close()
    }

    /// A last full checkpoint that also empties the WAL file. A round still running finds the
    /// connection closed at its next step and stops: each step checks, on the connection's queue,
    /// before it touches the connection (a closed one has no SQLite handle).
    func close() throws {
        _ = try? connection.writeWithoutTransaction { db in
            closed.withLock { $0 = true }
            _ = try db.checkpoint(.truncate)
        }
        try connection.close()
    }
}
