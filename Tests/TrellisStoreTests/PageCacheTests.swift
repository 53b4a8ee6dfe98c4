import CTrellisSQLite
import GRDBSQLite
import Testing
@testable import TrellisStore

/// SQLite's page cache, wrapped so that a truncation with nothing to drop is not passed on
/// (Sources/CTrellisSQLite/include/trellis_page_cache.h). Driven here as the pager drives it:
/// pages past the end of the database created in a transaction, two of them swapped through the
/// temporary page number a b-tree balance uses, the truncation at commit or at rollback.
@Suite struct PageCacheTests {
    /// The page a balance swaps pages through at 1 KiB pages: the one past the 1 GiB lock byte.
    static let swapPage: UInt32 = 1_073_741_824 / 1024 + 1

    final class Cache {
        let methods: sqlite3_pcache_methods2
        let cache: OpaquePointer

        init() throws {
            // The store tests use SQLite only through SQLiteStore, which installs it first; alone,
            // this suite installs it (both before SQLite is initialized).
            #expect(trellis_page_cache_install() == 1)
            #expect(sqlite3_initialize() == SQLITE_OK)
            let methods = try #require(trellis_page_cache_methods(), "the wrapping page cache is not installed")
            self.methods = methods.assumingMemoryBound(to: sqlite3_pcache_methods2.self).pointee
            cache = try #require(self.methods.xCreate(1024, 64, 1))
            self.methods.xCachesize(cache, 2_000)
        }

        deinit { methods.xDestroy(cache) }

        /// Creates (or finds) the page and unpins it, as the pager does once it is done with it.
        func create(_ key: UInt32) throws {
            let page = try #require(methods.xFetch(cache, key, 2))
            methods.xUnpin(cache, page, 0)
        }

        func holds(_ key: UInt32) -> Bool {
            guard let page = methods.xFetch(cache, key, 0) else { return false }
            methods.xUnpin(cache, page, 0)
            return true
        }

        /// Renumbers a page, as `sqlite3PcacheMove` does (pinned, then released).
        func renumber(_ from: UInt32, to: UInt32) throws {
            let page = try #require(methods.xFetch(cache, from, 0))
            methods.xRekey(cache, page, from, to)
            methods.xUnpin(cache, page, 0)
        }

        func truncate(_ limit: UInt32) { methods.xTruncate(cache, limit) }

        var truncations: (skipped: Int64, passed: Int64) {
            var skipped: Int64 = 0
            var passed: Int64 = 0
            trellis_page_cache_truncations(UnsafeRawPointer(cache), &skipped, &passed)
            return (skipped, passed)
        }
    }

    @Test func aCommitThatSwappedPagesSkipsTheTruncationARollbackDoesNot() throws {
        let cache = try Cache()
        for key in UInt32(1)...100 { try cache.create(key) }
        // A new cache's first truncation is passed on: nothing is known about its pages yet.
        cache.truncate(101)
        #expect(cache.truncations == (0, 1))
        // A transaction grows the database by four pages and a balance swaps two of them through
        // the page past the lock byte, as SQLite's balance_nonroot does; it commits at 104 pages.
        for key in UInt32(101)...104 { try cache.create(key) }
        try cache.renumber(103, to: Self.swapPage)
        try cache.renumber(101, to: 103)
        try cache.renumber(Self.swapPage, to: 101)
        cache.truncate(105)
        #expect(cache.truncations == (1, 1), "a commit with no page past the database passed its truncation on")
        #expect((1...104).allSatisfy { cache.holds($0) })
        #expect(!cache.holds(Self.swapPage))
        // A transaction that grows it by two pages and rolls back: those pages must go.
        try cache.create(105)
        try cache.create(106)
        cache.truncate(105)
        #expect(cache.truncations == (1, 2))
        #expect(!cache.holds(105) && !cache.holds(106))
        #expect(cache.holds(104))
        // A page left at the swap number (a renumbering not undone) is dropped too.
        try cache.renumber(50, to: Self.swapPage)
        cache.truncate(105)
        #expect(cache.truncations == (1, 3))
        #expect(!cache.holds(Self.swapPage))
        // Truncating to fewer pages than the last limit (a smaller database) is always passed on.
        cache.truncate(40)
        #expect(cache.truncations == (1, 4))
        #expect(!cache.holds(40) && cache.holds(39))
    }

    /// More pages renumbered past the limit than the cache keeps track of: it cannot know, and
    /// passes the truncation on.
    @Test func tooManyRenumberedPagesPassTheTruncationOn() throws {
        let cache = try Cache()
        for key in UInt32(1)...20 { try cache.create(key) }
        cache.truncate(21)
        // 20 pages past the limit at once, more than the 16 it keeps; then all back below it.
        for key in UInt32(1)...20 { try cache.renumber(key, to: 1_000 + key) }
        for key in UInt32(1_001)...1_020 { try cache.renumber(key, to: key - 1_000) }
        cache.truncate(21)
        #expect(cache.truncations == (0, 2))
        #expect((1...20).allSatisfy { cache.holds($0) })
        // With 16 or fewer it knows they all came back, and skips.
        for key in UInt32(1)...16 { try cache.renumber(key, to: 1_000 + key) }
        for key in UInt32(1_001)...1_016 { try cache.renumber(key, to: key - 1_000) }
        cache.truncate(21)
        #expect(cache.truncations == (1, 2))
    }
}
