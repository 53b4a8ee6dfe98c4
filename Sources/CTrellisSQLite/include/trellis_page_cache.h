#ifndef TRELLIS_PAGE_CACHE_H
#define TRELLIS_PAGE_CACHE_H

/*
 * SQLite's own page cache, with its truncation skipped when there is nothing to drop.
 *
 * At the end of every write transaction the pager truncates its cache to the database's size
 * (pager_end_transaction → sqlite3PcacheTruncate). SQLite's cache (pcache1) drops the pages at or
 * above the limit by walking only the hash slots they can be in, unless the largest page number it
 * has seen is far above the limit, when it walks the whole hash table. And it always is: when a
 * b-tree balance renumbers its pages into ascending order it swaps two pages through a temporary
 * number, the page past the 1 GiB lock byte (1,048,577 at 1 KiB pages, 262,145 at 4 KiB), which
 * pcache1 remembers as its largest page number. So while the database is under 1 GiB, nearly every
 * commit walked the whole cache: ~50 µs at 16 MiB of 1 KiB pages, 7–8% of the server's CPU under
 * `/v1/track` (see docs/performance.md, "The page cache's truncation").
 *
 * This wraps SQLite's default page cache (every call goes to it) and keeps, per cache, a bound on
 * the page numbers created or renumbered at or above the last truncation's limit: the largest
 * page fetched there, and the few pages renumbered there (the temporary number leaves again at
 * once). A truncation that provably has nothing to drop is not passed on; any other is, so the
 * cache holds no page above the database's size after a commit or a rollback, as before.
 *
 * Install it before SQLite is first used in the process (it is configuration, so it cannot be
 * changed once SQLite is initialized).
 */

/* Installs the wrapping page cache, once per process. Returns 1 when it is SQLite's page cache
 * (installed now or earlier), 0 when SQLite was initialized before the first call (SQLite's own
 * cache then stays, and everything works as without this). */
int trellis_page_cache_install(void);

/* How many truncations were skipped and how many were passed on, over all caches since install. */
void trellis_page_cache_counts(long long *skipped, long long *passed);

/* For tests: the installed methods (a `sqlite3_pcache_methods2`, typed void here to keep <sqlite3.h>
 * out of this header), or NULL when not installed; and the truncations one of its caches skipped
 * and passed on. */
const void *trellis_page_cache_methods(void);
void trellis_page_cache_truncations(const void *cache, long long *skipped, long long *passed);

#endif
