#ifndef TRELLIS_WAL_BUFFER_H
#define TRELLIS_WAL_BUFFER_H

/*
 * A SQLite VFS that gathers a connection's WAL appends and writes them in a few calls.
 *
 * SQLite writes each WAL frame as two pwrite calls (a 24-byte frame header, then the page), so a
 * commit of n pages costs 2n system calls; with the store's 1 KiB pages and a few pages per event
 * that was a sixth of the server's CPU under ingest. Once enabled on a connection, appends to its
 * WAL are gathered in memory and written (in pieces under 128 KiB) when SQLite syncs, reads,
 * truncates, asks the size of, or closes the WAL, or writes somewhere that does not follow on.
 *
 * Enable it only on a connection with `PRAGMA synchronous = FULL`: there SQLite syncs the WAL
 * before it publishes a commit to other connections, and the sync writes what was gathered first.
 * Under NORMAL or OFF a commit is published without a sync, so gathered frames would not yet be in
 * the file a reader opens. Files other than WAL files, and WAL files of connections that did not
 * enable it, are SQLite's own unix files, untouched.
 *
 * Declared without <sqlite3.h>, so this module and GRDB's SQLite module can be imported together.
 */

struct sqlite3;

/* Registers the VFS as the process's default, wrapping the default at the time of the first call.
 * Safe to call more than once and from several threads. Returns SQLITE_OK (0) or an SQLite error code. */
int trellis_wal_buffer_register(void);

/* Gathers the WAL appends of `db`'s main database, up to `capacity` bytes a write. The WAL must be
 * open (run any statement on the connection first). Returns 1 when enabled, 0 when the connection's
 * WAL is not a file of this VFS or no memory was to be had (SQLite's own writes then go on as they are). */
int trellis_wal_buffer_enable(struct sqlite3 *db, int capacity);

/* For tests: how many writes SQLite made to `db`'s WAL since it was enabled, and how many reached
 * the file. Returns 0 when the connection's WAL is not buffered. */
int trellis_wal_buffer_counts(struct sqlite3 *db, long long *received, long long *written);

/* The module's other header, included here so that a build that compiled this module before it
 * existed notices the change (a header new in an umbrella directory alone is not noticed). */
#include "trellis_page_cache.h"

#endif
