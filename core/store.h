/* The store: the only part of the kernel that talks to the database.
 *
 * Two backends behind one API, chosen by the location given to
 * fr_store_open: a file path is an SQLite database (the default: WAL,
 * foreign keys, busy timeout, synchronous=FULL), a postgresql:// URI a
 * PostgreSQL database shared by several Filrouge processes (store_pg.c,
 * docs/postgresql.md). Everything else in the kernel speaks to it through
 * these functions with portable SQL and `?` parameters and never knows
 * which backend is in use. A connection is used by one thread at a time.
 *
 * Parameter type strings for the *f functions: 't' const char * (NULL binds
 * SQL NULL), 'i' int, 'I' int64_t, 'd' double, 'n' SQL NULL (no argument), 'R' int64_t where 0 binds SQL NULL
 * (an optional reference to another row).
 */
#ifndef FR_STORE_H
#define FR_STORE_H

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>

#include <filrouge/error.h>

typedef struct fr_store fr_store;
typedef struct fr_stmt fr_stmt;

typedef struct fr_store_options {
    int synchronous_normal; /* 0: FULL (default, survives a power cut); 1: NORMAL */
    int busy_timeout_ms;    /* 0: 10000 */
    int read_only;
    long max_size_kb;       /* 0: no limit but the disk's; else writes beyond it are
                               refused like on a full disk (a site quota; SQLite only) */
    int must_exist;         /* refuse a missing or empty database file (a site's record) */
} fr_store_options;

typedef struct fr_migration {
    int version;
    const char *name; /* for messages, e.g. "core-001-initial.sql" */
    const char *sql;
} fr_migration;

/* `location`: a file path (SQLite) or a postgresql:// URI (PostgreSQL). */
int fr_store_open(const char *location, const fr_store_options *opt, fr_store **out,
                  fr_error *err);
void fr_store_close(fr_store *s);
/* The location, for messages (a URI's password left out). */
const char *fr_store_path(const fr_store *s);
/* "sqlite" or "postgresql": for messages and the migration sections below. */
const char *fr_store_backend(const fr_store *s);
/* The location named by site.xml's <database> text: a relative file name is
 * taken inside `dir`; a URI is kept as is. Malloc'd. */
char *fr_store_locate(const char *dir, const char *database);

/* Transactions nest: the outermost is BEGIN IMMEDIATE (SQLite) or BEGIN
 * (PostgreSQL, read committed) … COMMIT, inner ones are savepoints. A
 * rollback undoes only the innermost level. A failed statement undoes only
 * itself, on both backends. Transactions of all processes sharing a
 * database run one at a time, on both backends (PostgreSQL: a
 * transaction-scoped advisory lock taken by BEGIN), so that what a
 * transaction read is still true when it writes: no lost update. Reads
 * outside transactions run concurrently. */
int fr_store_begin(fr_store *s, fr_error *err);
/* As fr_store_begin for the outermost transaction, without waiting for
 * another connection's transaction to end: FR_EBUSY at once when one is
 * running (SQLite: no busy wait for BEGIN IMMEDIATE; PostgreSQL: the
 * writers' advisory lock is not waited for). For a caller that has
 * somewhere better to wait than its own thread (the web server's workers
 * hand such a write to the committer thread). */
int fr_store_begin_nowait(fr_store *s, fr_error *err);
int fr_store_commit(fr_store *s, fr_error *err);
void fr_store_rollback(fr_store *s);
int fr_store_depth(const fr_store *s);

/* A note kept inside a transaction, forgotten when the outermost one ends
 * and when any level of it is rolled back: for what a caller wrote itself
 * under the writers' lock and would otherwise read back (the audit
 * chain's last entry). One note per connection, named by `key` (at most
 * 15 characters; text at most 127). Outside a transaction nothing is
 * kept. fr_store_note_get gives the text (and *n), or NULL. */
void fr_store_note_set(fr_store *s, const char *key, int64_t n, const char *text);
const char *fr_store_note_get(const fr_store *s, const char *key, int64_t *n);

/* ---- A full disk ----
 *
 * Every read of clinical data writes its audit entry first, so that on a
 * full disk a read would be refused for want of room for that entry. The
 * SQLite backend therefore keeps a reserve: a file `<database>-reserve` of
 * FR_STORE_RESERVE_KB beside the database, made at open when the disk has
 * room for it and as much again (and, with a site limit, as many pages
 * left under it). When a transaction begun by fr_store_begin_audit (audit
 * entries of reads and refusals, nothing else) fails for lack of space,
 * its caller rolls it back and calls fr_store_use_reserve: the reserve is
 * given up (the file deleted; the site limit raised by as much for this
 * connection) and the caller tries once more. From then on the store is
 * short of space: fr_store_begin refuses every other outermost transaction
 * with a clear message, so that the space left serves the audit entries of
 * reads, until space returns: each such refusal (and each open) first
 * tries to put the reserve back, and writes go again once it is. Other
 * processes see the missing file at open and behave alike. PostgreSQL has
 * no reserve: its server manages its disk (docs/postgresql.md). */
#define FR_STORE_RESERVE_KB 512

/* As fr_store_begin, for a transaction that writes audit entries only (of
 * reads, of refusals): allowed while the store is short of space. */
int fr_store_begin_audit(fr_store *s, fr_error *err);
/* After an outermost transaction failed and was rolled back: when it failed
 * for lack of space, the store becomes short of space and, when the
 * reserve was still there, gives it up and returns 1 (try once more). */
int fr_store_use_reserve(fr_store *s);
/* 1 when the last failure was for lack of space (a full disk, the site's
 * limit), until the next outermost transaction. */
int fr_store_failed_for_space(const fr_store *s);
/* 1 while writes are refused for lack of space: the reserve was given up
 * (by this connection or another process) and there is no room yet to put
 * it back; puts it back when there is (then 0). fr_store_begin asks it. */
int fr_store_short_of_space(fr_store *s);
/* The message of that refusal (FR_EIO), for callers that refuse before
 * starting (the web server's committer). */
int fr_store_refuse_short(fr_store *s, fr_error *err);

/* A named lock between the processes sharing the database, held by this
 * connection until fr_store_unlock (not tied to a transaction): *got is 1
 * when taken, 0 when another connection holds it (no waiting). Used so
 * that one process at a time delivers a subscriber's events. SQLite: a
 * site's database is written by one process at a time anyway (BEGIN
 * IMMEDIATE), so the lock is always granted. */
int fr_store_try_lock(fr_store *s, const char *name, int *got, fr_error *err);
void fr_store_unlock(fr_store *s, const char *name);

/* Telling the other processes on the database that something changed,
 * so that they need not poll for it. fr_store_announce: at the commit of
 * the current transaction (at once outside one), `channel` ("outbox")
 * changed (a lower-case word that outlives the transaction: a literal);
 * forgotten when the transaction rolls back. Nothing to do on
 * SQLite, whose site has one process. fr_store_listen: this connection
 * (give it one of its own) will hear `channel`'s announcements by other
 * processes; FR_EREFUSED when the backend has none to hear (SQLite).
 * fr_store_wait: waits until another process announced a channel this
 * connection listens to (*heard: how many announcements, >0) or `wake_fd`
 * is readable (*heard 0; -1: no descriptor); FR_EIO when the connection is
 * lost. PostgreSQL: NOTIFY and LISTEN. */
void fr_store_announce(fr_store *s, const char *channel);
int fr_store_listen(fr_store *s, const char *channel, fr_error *err);
int fr_store_wait(fr_store *s, int wake_fd, int *heard, fr_error *err);

/* Runs SQL text with no parameters (may hold several statements). */
int fr_store_exec(fr_store *s, const char *sql, fr_error *err);

/* Runs one statement with parameters, ignoring rows. */
int fr_store_execf(fr_store *s, fr_error *err, const char *sql, const char *types, ...);

/* Prepares (from a cache) and binds one statement; the caller steps it and
 * must call fr_stmt_done, which returns it to the cache. */
int fr_store_query(fr_store *s, fr_error *err, fr_stmt **out, const char *sql, const char *types,
                   ...);
int fr_store_queryv(fr_store *s, fr_error *err, fr_stmt **out, const char *sql, const char *types,
                    va_list ap);

/* The first column of the first row; FR_ENOTFOUND (err untouched) when no row. */
int fr_store_query_int(fr_store *s, fr_error *err, int64_t *out, const char *sql,
                       const char *types, ...);
/* As above, *out is malloc'd (NULL for SQL NULL); the caller frees it. */
int fr_store_query_text(fr_store *s, fr_error *err, char **out, const char *sql,
                        const char *types, ...);

/* 1 when a row is ready, 0 when done, negative on error. */
int fr_stmt_step(fr_stmt *st, fr_error *err);
const char *fr_stmt_text(fr_stmt *st, int col); /* borrowed until the next step; NULL if NULL */
int64_t fr_stmt_int(fr_stmt *st, int col);
double fr_stmt_double(fr_stmt *st, int col);
int fr_stmt_is_null(fr_stmt *st, int col);
int fr_stmt_columns(fr_stmt *st);
/* 'i' integer, 'd' real, 't' text (or blob), 'n' NULL. */
int fr_stmt_type(fr_stmt *st, int col);
const char *fr_stmt_column_name(fr_stmt *st, int col);
void fr_stmt_done(fr_stmt *st);

/* The current row as a JSON object keyed by column name (integers, reals,
 * strings, null). New reference. */
json_t *fr_stmt_row_json(fr_stmt *st);
/* Runs a query and returns every row as an array of such objects. */
int fr_store_query_json(fr_store *s, fr_error *err, json_t **out, const char *sql,
                        const char *types, ...);
/* The first row as an object; FR_ENOTFOUND (err untouched) when no row. */
int fr_store_query_row(fr_store *s, fr_error *err, json_t **out, const char *sql,
                       const char *types, ...);

int64_t fr_store_last_id(fr_store *s);
int fr_store_changes(fr_store *s);
/* A number that changes whenever the database may have changed as seen by
 * this connection (a commit by any connection, this one's own row
 * changes); -1 when the backend cannot tell. For caches of query results:
 * equal numbers mean the same data. */
int64_t fr_store_generation(fr_store *s);

/* 1 when the database server cannot be reached just now (PostgreSQL: the
 * connection was lost and connecting again failed; the store tries again
 * before its next statement outside a transaction); 0 on SQLite. */
int fr_store_unreachable(fr_store *s);

/* A consistent copy of the open database into `dest` (SQLite's online
 * backup: other processes may go on writing meanwhile), written beside it
 * first and renamed into place, then checked. PostgreSQL: refused
 * (FR_EREFUSED), the server's own tools back it up. */
int fr_store_backup(fr_store *s, const char *dest, fr_error *err);
/* 0 when fr_store_backup can copy this store; else its refusal, so that a
 * caller can refuse before doing anything. */
int fr_store_backup_possible(fr_store *s, fr_error *err);

/* Checks a database file without changing it: it is an SQLite database and
 * PRAGMA integrity_check passes. */
int fr_store_check_file(const char *path, fr_error *err);

/* Applies the migrations of `owner` (core, or a plugin id) not yet applied,
 * in order, each in its own transaction, recording owner and version.
 * A line "-- backend: sqlite" or "-- backend: postgresql" in a migration
 * starts lines kept only on that backend, "-- backend: all" ends them
 * (fr_store_sql_for_backend; docs/plugin-guide.md).
 * Refuses with FR_EVERSION when the database already holds a version newer
 * than the newest in `m` (written by a newer program). */
int fr_store_migrate(fr_store *s, const char *owner, const fr_migration *m, int n, fr_error *err);

/* Refreshes the query planner's statistics where they are missing or stale
 * (SQLite: PRAGMA optimize, analysing as needed; bounded work). Without
 * them SQLite may pick a poor index on large tables. Run by the server at
 * start and daily. */
int fr_store_optimize(fr_store *s, fr_error *err);

/* Whether the table `name` exists (in the connection's schema). */
int fr_store_has_table(fr_store *s, const char *name, int *out, fr_error *err);

/* The migration text `sql` as backend `backend` runs it (malloc'd). */
char *fr_store_sql_for_backend(const char *sql, const char *backend);

/* Copies every row of every table of `from` (not schema_migrations) into
 * the same tables of `to`, which must already have the same schema and no
 * rows; ids are kept, and `to`'s id generators go on after them. Runs in
 * the caller's transaction on `to`. *counts (when not NULL) gets an object
 * table -> rows copied. Copying out of PostgreSQL is refused for now. */
int fr_store_copy(fr_store *from, fr_store *to, json_t **counts, fr_error *err);

/* The schema version of `owner` in this database (0 when none). */
int fr_store_schema_version(fr_store *s, const char *owner, int *out, fr_error *err);

#endif
