/*
 * The WAL-gathering VFS: see include/trellis_wal_buffer.h for what it does and when it is safe.
 *
 * Layout: every file this VFS opens is `WalFile` followed by the wrapped VFS's own file object.
 * A file that is not a WAL is opened by the wrapped VFS directly on our memory (its methods are
 * installed, so SQLite calls them with no detour); only WAL files get the methods below, which
 * forward to the wrapped file opened at `real`.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

#include "trellis_wal_buffer.h"

typedef struct WalFile {
    sqlite3_file base;
    sqlite3_file *real;      /* the wrapped VFS's file, in the memory right after this struct */
    unsigned char *buffer;   /* appends not yet written; NULL until enabled */
    int capacity;
    int length;
    sqlite3_int64 offset;    /* where buffer[0] goes in the file */
    long long received;      /* xWrite calls since enabled */
    long long written;       /* writes that reached the wrapped file since enabled */
} WalFile;

static sqlite3_vfs *wrapped;
static sqlite3_vfs gathering;

static sqlite3_file *realFile(sqlite3_file *file) { return ((WalFile *)file)->real; }

/* The most handed to the wrapped file's xWrite at once. SQLite's unix VFS masks a write's length
 * with 0x1ffff before its pwrite (and loops on short writes), so a write of a multiple of 128 KiB
 * would write nothing and report the disk full; anything under 128 KiB goes through whole. */
enum { chunkBytes = 124 * 1024 };

static int writeThrough(WalFile *file, const unsigned char *data, int amount, sqlite3_int64 offset) {
    while (amount > 0) {
        int piece = amount < chunkBytes ? amount : chunkBytes;
        file->written++;
        int rc = file->real->pMethods->xWrite(file->real, data, piece, offset);
        if (rc != SQLITE_OK) return rc;
        data += piece;
        offset += piece;
        amount -= piece;
    }
    return SQLITE_OK;
}

/* Writes what was gathered. On failure the gathered bytes are dropped: SQLite rolls the commit
 * back, and the frames it wrote past the last commit are never read. */
static int flush(WalFile *file) {
    if (file->length == 0) return SQLITE_OK;
    int length = file->length;
    file->length = 0;
    return writeThrough(file, file->buffer, length, file->offset);
}

static int walClose(sqlite3_file *file) {
    WalFile *wal = (WalFile *)file;
    int flushed = flush(wal);
    int closed = wal->real->pMethods ? wal->real->pMethods->xClose(wal->real) : SQLITE_OK;
    sqlite3_free(wal->buffer);
    wal->buffer = NULL;
    return flushed != SQLITE_OK ? flushed : closed;
}

static int walRead(sqlite3_file *file, void *data, int amount, sqlite3_int64 offset) {
    int rc = flush((WalFile *)file);
    if (rc != SQLITE_OK) return rc;
    return realFile(file)->pMethods->xRead(realFile(file), data, amount, offset);
}

static int walWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    WalFile *wal = (WalFile *)file;
    if (wal->buffer == NULL) return wal->real->pMethods->xWrite(wal->real, data, amount, offset);
    wal->received++;
    if (wal->length > 0 && offset == wal->offset + wal->length && amount <= wal->capacity - wal->length) {
        memcpy(wal->buffer + wal->length, data, (size_t)amount);
        wal->length += amount;
        return SQLITE_OK;
    }
    /* Not an append to what is gathered (or no room): write that first, so writes land in order. */
    int rc = flush(wal);
    if (rc != SQLITE_OK) return rc;
    if (amount > wal->capacity) return writeThrough(wal, data, amount, offset);
    memcpy(wal->buffer, data, (size_t)amount);
    wal->length = amount;
    wal->offset = offset;
    return SQLITE_OK;
}

static int walTruncate(sqlite3_file *file, sqlite3_int64 size) {
    int rc = flush((WalFile *)file);
    if (rc != SQLITE_OK) return rc;
    return realFile(file)->pMethods->xTruncate(realFile(file), size);
}

static int walSync(sqlite3_file *file, int flags) {
    int rc = flush((WalFile *)file);
    if (rc != SQLITE_OK) return rc;
    return realFile(file)->pMethods->xSync(realFile(file), flags);
}

static int walFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    int rc = flush((WalFile *)file);
    if (rc != SQLITE_OK) return rc;
    return realFile(file)->pMethods->xFileSize(realFile(file), size);
}

static int walLock(sqlite3_file *file, int lock) {
    return realFile(file)->pMethods->xLock(realFile(file), lock);
}

static int walUnlock(sqlite3_file *file, int lock) {
    return realFile(file)->pMethods->xUnlock(realFile(file), lock);
}

static int walCheckReservedLock(sqlite3_file *file, int *result) {
    return realFile(file)->pMethods->xCheckReservedLock(realFile(file), result);
}

static int walFileControl(sqlite3_file *file, int op, void *argument) {
    int rc = flush((WalFile *)file);
    if (rc != SQLITE_OK) return rc;
    return realFile(file)->pMethods->xFileControl(realFile(file), op, argument);
}

static int walSectorSize(sqlite3_file *file) {
    return realFile(file)->pMethods->xSectorSize(realFile(file));
}

static int walDeviceCharacteristics(sqlite3_file *file) {
    return realFile(file)->pMethods->xDeviceCharacteristics(realFile(file));
}

static int walShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **memory) {
    return realFile(file)->pMethods->xShmMap(realFile(file), region, size, extend, memory);
}

static int walShmLock(sqlite3_file *file, int offset, int n, int flags) {
    return realFile(file)->pMethods->xShmLock(realFile(file), offset, n, flags);
}

static void walShmBarrier(sqlite3_file *file) {
    realFile(file)->pMethods->xShmBarrier(realFile(file));
}

static int walShmUnmap(sqlite3_file *file, int deleteFlag) {
    return realFile(file)->pMethods->xShmUnmap(realFile(file), deleteFlag);
}

static int walFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **pointer) {
    int rc = flush((WalFile *)file);
    if (rc != SQLITE_OK) return rc;
    return realFile(file)->pMethods->xFetch(realFile(file), offset, amount, pointer);
}

static int walUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *pointer) {
    return realFile(file)->pMethods->xUnfetch(realFile(file), offset, pointer);
}

/* One table per version of the wrapped file's methods: SQLite reads iVersion to know which of
 * the later methods it may call. */
#define WAL_METHODS(VERSION)                                                                          \
    {VERSION,     walClose,          walRead,       walWrite,       walTruncate,   walSync,            \
     walFileSize, walLock,           walUnlock,     walCheckReservedLock,          walFileControl,     \
     walSectorSize,                  walDeviceCharacteristics,       walShmMap,     walShmLock,         \
     walShmBarrier,                  walShmUnmap,   walFetch,       walUnfetch}
static const sqlite3_io_methods walMethods[3] = {WAL_METHODS(1), WAL_METHODS(2), WAL_METHODS(3)};

static WalFile *gatheringWal(sqlite3_file *file) {
    if (file == NULL || file->pMethods == NULL) return NULL;
    for (int index = 0; index < 3; index++) {
        if (file->pMethods == &walMethods[index]) return (WalFile *)file;
    }
    return NULL;
}

static int gatheringOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    if ((flags & SQLITE_OPEN_WAL) == 0) return wrapped->xOpen(wrapped, name, file, flags, outFlags);
    WalFile *wal = (WalFile *)file;
    memset(wal, 0, sizeof(WalFile));
    wal->real = (sqlite3_file *)&wal[1];
    int rc = wrapped->xOpen(wrapped, name, wal->real, flags, outFlags);
    const sqlite3_io_methods *methods = wal->real->pMethods;
    if (methods == NULL) {
        /* Nothing to close: SQLite does not call xClose on a file whose methods are NULL. */
        wal->base.pMethods = NULL;
        return rc;
    }
    int version = methods->iVersion < 1 ? 1 : (methods->iVersion > 3 ? 3 : methods->iVersion);
    wal->base.pMethods = &walMethods[version - 1];
    return rc;
}

static int gatheringDelete(sqlite3_vfs *vfs, const char *name, int syncDirectory) {
    (void)vfs;
    return wrapped->xDelete(wrapped, name, syncDirectory);
}

static int gatheringAccess(sqlite3_vfs *vfs, const char *name, int flags, int *result) {
    (void)vfs;
    return wrapped->xAccess(wrapped, name, flags, result);
}

static int gatheringFullPathname(sqlite3_vfs *vfs, const char *name, int size, char *out) {
    (void)vfs;
    return wrapped->xFullPathname(wrapped, name, size, out);
}

static void *gatheringDlOpen(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return wrapped->xDlOpen(wrapped, name);
}

static void gatheringDlError(sqlite3_vfs *vfs, int size, char *message) {
    (void)vfs;
    wrapped->xDlError(wrapped, size, message);
}

static void (*gatheringDlSym(sqlite3_vfs *vfs, void *library, const char *symbol))(void) {
    (void)vfs;
    return wrapped->xDlSym(wrapped, library, symbol);
}

static void gatheringDlClose(sqlite3_vfs *vfs, void *library) {
    (void)vfs;
    wrapped->xDlClose(wrapped, library);
}

static int gatheringRandomness(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    return wrapped->xRandomness(wrapped, size, out);
}

static int gatheringSleep(sqlite3_vfs *vfs, int microseconds) {
    (void)vfs;
    return wrapped->xSleep(wrapped, microseconds);
}

static int gatheringCurrentTime(sqlite3_vfs *vfs, double *now) {
    (void)vfs;
    return wrapped->xCurrentTime(wrapped, now);
}

static int gatheringGetLastError(sqlite3_vfs *vfs, int size, char *message) {
    (void)vfs;
    return wrapped->xGetLastError(wrapped, size, message);
}

static int gatheringCurrentTimeInt64(sqlite3_vfs *vfs, sqlite3_int64 *now) {
    (void)vfs;
    return wrapped->xCurrentTimeInt64(wrapped, now);
}

static int gatheringSetSystemCall(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr call) {
    (void)vfs;
    return wrapped->xSetSystemCall(wrapped, name, call);
}

static sqlite3_syscall_ptr gatheringGetSystemCall(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return wrapped->xGetSystemCall(wrapped, name);
}

static const char *gatheringNextSystemCall(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return wrapped->xNextSystemCall(wrapped, name);
}

static pthread_once_t registration = PTHREAD_ONCE_INIT;
static int registrationResult = SQLITE_ERROR;

static void registerOnce(void) {
    int rc = sqlite3_initialize();
    if (rc != SQLITE_OK) {
        registrationResult = rc;
        return;
    }
    wrapped = sqlite3_vfs_find(NULL);
    if (wrapped == NULL) return;
    memset(&gathering, 0, sizeof(gathering));
    /* Version 3 at most: this file knows the methods up to xNextSystemCall. */
    gathering.iVersion = wrapped->iVersion > 3 ? 3 : wrapped->iVersion;
    gathering.szOsFile = (int)sizeof(WalFile) + wrapped->szOsFile;
    gathering.mxPathname = wrapped->mxPathname;
    gathering.zName = "trellis-wal-gathering";
    gathering.xOpen = gatheringOpen;
    gathering.xDelete = gatheringDelete;
    gathering.xAccess = gatheringAccess;
    gathering.xFullPathname = gatheringFullPathname;
    gathering.xDlOpen = wrapped->xDlOpen ? gatheringDlOpen : NULL;
    gathering.xDlError = wrapped->xDlError ? gatheringDlError : NULL;
    gathering.xDlSym = wrapped->xDlSym ? gatheringDlSym : NULL;
    gathering.xDlClose = wrapped->xDlClose ? gatheringDlClose : NULL;
    gathering.xRandomness = gatheringRandomness;
    gathering.xSleep = gatheringSleep;
    gathering.xCurrentTime = gatheringCurrentTime;
    gathering.xGetLastError = gatheringGetLastError;
    if (gathering.iVersion >= 2) gathering.xCurrentTimeInt64 = wrapped->xCurrentTimeInt64 ? gatheringCurrentTimeInt64 : NULL;
    if (gathering.iVersion >= 3) {
        gathering.xSetSystemCall = wrapped->xSetSystemCall ? gatheringSetSystemCall : NULL;
        gathering.xGetSystemCall = wrapped->xGetSystemCall ? gatheringGetSystemCall : NULL;
        gathering.xNextSystemCall = wrapped->xNextSystemCall ? gatheringNextSystemCall : NULL;
    }
    registrationResult = sqlite3_vfs_register(&gathering, 1);
}

int trellis_wal_buffer_register(void) {
    pthread_once(&registration, registerOnce);
    return registrationResult;
}

static WalFile *walOf(struct sqlite3 *db) {
    sqlite3_file *file = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK) return NULL;
    return gatheringWal(file);
}

int trellis_wal_buffer_enable(struct sqlite3 *db, int capacity) {
    WalFile *wal = walOf(db);
    if (wal == NULL || capacity <= 0) return 0;
    if (wal->buffer != NULL) return 1;
    wal->buffer = sqlite3_malloc(capacity);
    if (wal->buffer == NULL) return 0;
    wal->capacity = capacity;
    wal->length = 0;
    wal->received = 0;
    wal->written = 0;
    return 1;
}

int trellis_wal_buffer_counts(struct sqlite3 *db, long long *received, long long *written) {
    WalFile *wal = walOf(db);
    if (wal == NULL || wal->buffer == NULL) return 0;
    *received = wal->received;
    *written = wal->written;
    return 1;
}
