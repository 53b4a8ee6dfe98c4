/*
 * The page cache that skips empty truncations: see include/trellis_page_cache.h for why.
 *
 * Invariant, per cache: every page the wrapped cache holds at or above `limit` (the last
 * truncation's limit passed on or skipped) has a number at most `fetchedMax`, or is one of
 * `renumbered`. Pages enter the cache only through xFetch with a create flag or through xRekey,
 * and both are watched; pages leave it (evicted, discarded) unseen, which only makes the bound
 * larger than needed. A truncation at or above `limit` with nothing in the bound at or above it
 * has nothing to drop.
 */
#include <pthread.h>
#include <sqlite3.h>

#include "trellis_page_cache.h"

enum { renumberedCapacity = 16 };

typedef struct Cache {
    sqlite3_pcache *wrapped;
    unsigned limit;                /* pages at or above it are all within the bound below */
    unsigned fetchedMax;           /* largest page created at or above `limit`, or 0 */
    int renumberedCount;           /* pages renumbered to `limit` or above, still there */
    int overflowed;                /* more than renumberedCapacity of them: bound unknown */
    unsigned renumbered[renumberedCapacity];
    long long skipped;             /* truncations not passed on, and passed on */
    long long passed;
} Cache;

static sqlite3_pcache_methods2 wrappedMethods;
static sqlite3_pcache_methods2 methods;
static pthread_once_t installation = PTHREAD_ONCE_INIT;
static int installed;
static long long skippedTruncations;
static long long passedTruncations;

static void forget(Cache *cache, unsigned key) {
    for (int i = 0; i < cache->renumberedCount; i++) {
        if (cache->renumbered[i] == key) {
            cache->renumbered[i] = cache->renumbered[--cache->renumberedCount];
            return;
        }
    }
}

static void reset(Cache *cache, unsigned limit) {
    cache->limit = limit;
    cache->fetchedMax = 0;
    cache->renumberedCount = 0;
    cache->overflowed = 0;
}

static sqlite3_pcache *cacheCreate(int pageSize, int extraSize, int purgeable) {
    Cache *cache = sqlite3_malloc(sizeof(Cache));
    if (cache == NULL) return NULL;
    cache->wrapped = wrappedMethods.xCreate(pageSize, extraSize, purgeable);
    if (cache->wrapped == NULL) {
        sqlite3_free(cache);
        return NULL;
    }
    /* Nothing is known about a new cache's pages until its first truncation is passed on. */
    reset(cache, 0xffffffffu);
    cache->skipped = 0;
    cache->passed = 0;
    return (sqlite3_pcache *)cache;
}

static void cacheCachesize(sqlite3_pcache *p, int size) { wrappedMethods.xCachesize(((Cache *)p)->wrapped, size); }

static int cachePagecount(sqlite3_pcache *p) { return wrappedMethods.xPagecount(((Cache *)p)->wrapped); }

static sqlite3_pcache_page *cacheFetch(sqlite3_pcache *p, unsigned key, int create) {
    Cache *cache = (Cache *)p;
    sqlite3_pcache_page *page = wrappedMethods.xFetch(cache->wrapped, key, create);
    /* A lookup (no create flag) finds only pages already within the bound. */
    if (create && page != NULL && key >= cache->limit && key > cache->fetchedMax) cache->fetchedMax = key;
    return page;
}

static void cacheUnpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard) {
    wrappedMethods.xUnpin(((Cache *)p)->wrapped, page, discard);
}

static void cacheRekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned oldKey, unsigned newKey) {
    Cache *cache = (Cache *)p;
    wrappedMethods.xRekey(cache->wrapped, page, oldKey, newKey);
    forget(cache, oldKey);
    if (newKey < cache->limit) return;
    forget(cache, newKey);
    if (cache->renumberedCount == renumberedCapacity) {
        cache->overflowed = 1;
        return;
    }
    cache->renumbered[cache->renumberedCount++] = newKey;
}

static int mayHoldFrom(const Cache *cache, unsigned limit) {
    if (limit < cache->limit || cache->overflowed || cache->fetchedMax >= limit) return 1;
    for (int i = 0; i < cache->renumberedCount; i++) {
        if (cache->renumbered[i] >= limit) return 1;
    }
    return 0;
}

static void cacheTruncate(sqlite3_pcache *p, unsigned limit) {
    Cache *cache = (Cache *)p;
    if (mayHoldFrom(cache, limit)) {
        wrappedMethods.xTruncate(cache->wrapped, limit);
        cache->passed++;
        __atomic_fetch_add(&passedTruncations, 1, __ATOMIC_RELAXED);
    } else {
        cache->skipped++;
        __atomic_fetch_add(&skippedTruncations, 1, __ATOMIC_RELAXED);
    }
    /* Either way no page at or above `limit` is left, and those below it are not tracked. */
    reset(cache, limit);
}

static void cacheDestroy(sqlite3_pcache *p) {
    Cache *cache = (Cache *)p;
    wrappedMethods.xDestroy(cache->wrapped);
    sqlite3_free(cache);
}

static void cacheShrink(sqlite3_pcache *p) { wrappedMethods.xShrink(((Cache *)p)->wrapped); }

static void installOnce(void) {
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &wrappedMethods) != SQLITE_OK) return;
    methods = wrappedMethods;
    methods.xCreate = cacheCreate;
    methods.xCachesize = cacheCachesize;
    methods.xPagecount = cachePagecount;
    methods.xFetch = cacheFetch;
    methods.xUnpin = cacheUnpin;
    methods.xRekey = cacheRekey;
    methods.xTruncate = cacheTruncate;
    methods.xDestroy = cacheDestroy;
    methods.xShrink = wrappedMethods.xShrink ? cacheShrink : NULL;
    installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK;
}

int trellis_page_cache_install(void) {
    pthread_once(&installation, installOnce);
    return installed;
}

void trellis_page_cache_counts(long long *skipped, long long *passed) {
    *skipped = __atomic_load_n(&skippedTruncations, __ATOMIC_RELAXED);
    *passed = __atomic_load_n(&passedTruncations, __ATOMIC_RELAXED);
}

const void *trellis_page_cache_methods(void) { return installed ? &methods : NULL; }

void trellis_page_cache_truncations(const void *cache, long long *skipped, long long *passed) {
    *skipped = ((const Cache *)cache)->skipped;
    *passed = ((const Cache *)cache)->passed;
}
