/* The SQLite backend of the store: connection set-up, durable settings,
 * nested transactions with savepoints, a prepared-statement cache and
 * migrations per owner. It knows nothing of patients or cases. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define CACHE_SIZE 128

struct fr_stmt {
    fr_store *store;
    sqlite3_stmt *raw;
    char *sql;
    int cached;
    int in_use;
};

struct fr_store {
    sqlite3 *db;
    char *path;
    int depth;
    fr_stmt *cache[CACHE_SIZE];
    int ncache;
};

static int map_error(fr_store *s, int rc, fr_error *err, const char *what)
{
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    const char *path = s && s->path ? s->path : "(database)";
    /* A full disk shows as an I/O error where SQLite grows the -shm or
     * writes the -wal (SQLITE_IOERR_SHMSIZE, _WRITE): say what it is. */
    if ((rc & 0xff) == SQLITE_IOERR && s && s->db && sqlite3_system_errno(s->db) == ENOSPC)
        rc = SQLITE_FULL;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return fr_error_set(err, FR_EBUSY,
                            "%s: the database %s stayed locked by another process longer than "
                            "the busy timeout; nothing was written, try again",
                            what, path);
    case SQLITE_FULL:
        return fr_error_set(err, FR_EIO,
                            "%s: the disk holding %s is full, or the database reached the "
                            "site's limit (setting database.max-size-mb); nothing was written. "
                            "Free some space or raise the limit, then try again",
                            what, path);
    case SQLITE_READONLY:
        return fr_error_set(err, FR_EIO, "%s: the database %s is read-only (%s)", what, path,
                            msg);
    case SQLITE_CONSTRAINT:
        return fr_error_set(err, FR_EINVAL, "%s: %s", what, msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return fr_error_set(err, FR_EIO,
                            "%s: %s is not a valid Filrouge database (%s); restore it from a "
                            "backup",
                            what, path, msg);
    default:
        return fr_error_set(err, FR_EIO, "%s: %s (database %s)", what, msg, path);
    }
}

int fr_store_open(const char *path, const fr_store_options *opt, fr_store **out, fr_error *err)
{
    fr_store_options defaults = {0};
    if (!opt)
        opt = &defaults;
    *out = NULL;
    fr_store *s = calloc(1, sizeof *s);
    if (!s)
        return fr_error_set(err, FR_ENOMEM, "out of memory opening %s", path);
    s->path = strdup(path);
    int flags = opt->read_only ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        fr_error_set(err, FR_EIO, "cannot open the database %s: %s; check that the folder exists "
                                  "and is writable",
                     path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        fr_store_close(s);
        return FR_EIO;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000);
    char pragmas[320], limit[96] = "";
    /* A size limit in pages; page_size is 4096 unless the file says
     * otherwise, which only makes the limit a little looser. */
    if (opt->max_size_kb > 0)
        snprintf(limit, sizeof limit, "PRAGMA max_page_count = %ld;",
                 opt->max_size_kb / 4 > 0 ? opt->max_size_kb / 4 : 1);
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA foreign_keys = ON; %s PRAGMA synchronous = %s; %s",
             opt->read_only ? "" : "PRAGMA journal_mode = WAL;",
             opt->synchronous_normal ? "NORMAL" : "FULL", limit);
    char *msg = NULL;
    rc = sqlite3_exec(s->db, pragmas, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        map_error(s, rc, err, "opening the site database");
        sqlite3_free(msg);
        fr_store_close(s);
        return FR_EIO;
    }
    /* Reading the schema now turns "not a database" into an error here rather
     * than in the middle of the first command. */
    rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        map_error(s, rc, err, "opening the site database");
        fr_store_close(s);
        return err ? err->code : FR_EIO;
    }
    *out = s;
    return 0;
}

void fr_store_close(fr_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->ncache; i++) {
        sqlite3_finalize(s->cache[i]->raw);
        free(s->cache[i]->sql);
        free(s->cache[i]);
    }
    if (s->db)
        sqlite3_close_v2(s->db);
    free(s->path);
    free(s);
}

const char *fr_store_path(const fr_store *s)
{
    return s->path;
}

int fr_store_depth(const fr_store *s)
{
    return s->depth;
}

int fr_store_exec(fr_store *s, const char *sql, fr_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int code = map_error(s, rc, err, "running SQL");
        sqlite3_free(msg);
        return code;
    }
    return 0;
}

int fr_store_begin(fr_store *s, fr_error *err)
{
    char sql[64];
    if (s->depth == 0)
        snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT fr_sp%d", s->depth);
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return map_error(s, rc, err, "starting a transaction");
    s->depth++;
    return 0;
}

int fr_store_commit(fr_store *s, fr_error *err)
{
    char sql[64];
    if (s->depth <= 0)
        return fr_error_set(err, FR_EINTERNAL, "commit without a transaction");
    if (s->depth == 1)
        snprintf(sql, sizeof sql, "COMMIT");
    else
        snprintf(sql, sizeof sql, "RELEASE fr_sp%d", s->depth - 1);
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int code = map_error(s, rc, err, "committing");
        fr_store_rollback(s);
        return code;
    }
    s->depth--;
    return 0;
}

void fr_store_rollback(fr_store *s)
{
    char sql[96];
    if (s->depth <= 0)
        return;
    if (s->depth == 1)
        snprintf(sql, sizeof sql, "ROLLBACK");
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO fr_sp%d; RELEASE fr_sp%d", s->depth - 1,
                 s->depth - 1);
    sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    s->depth--;
}

static int prepare(fr_store *s, const char *sql, fr_stmt **out, fr_error *err)
{
    for (int i = 0; i < s->ncache; i++) {
        fr_stmt *st = s->cache[i];
        if (!st->in_use && strcmp(st->sql, sql) == 0) {
            st->in_use = 1;
            *out = st;
            return 0;
        }
    }
    fr_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st->raw, NULL);
    if (rc != SQLITE_OK) {
        free(st);
        return map_error(s, rc, err, "preparing a query");
    }
    st->store = s;
    st->sql = strdup(sql);
    st->in_use = 1;
    if (s->ncache < CACHE_SIZE) {
        st->cached = 1;
        s->cache[s->ncache++] = st;
    }
    *out = st;
    return 0;
}

static int bind(fr_stmt *st, const char *types, va_list ap, fr_error *err)
{
    int n = 0;
    for (const char *t = types ? types : ""; *t; t++) {
        int idx = ++n, rc;
        switch (*t) {
        case 't': {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st->raw, idx, v, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(st->raw, idx);
            break;
        }
        case 'i': rc = sqlite3_bind_int64(st->raw, idx, va_arg(ap, int)); break;
        case 'I': rc = sqlite3_bind_int64(st->raw, idx, va_arg(ap, int64_t)); break;
        case 'R': {
            /* an optional reference: 0 means none */
            int64_t v = va_arg(ap, int64_t);
            rc = v ? sqlite3_bind_int64(st->raw, idx, v) : sqlite3_bind_null(st->raw, idx);
            break;
        }
        case 'd': rc = sqlite3_bind_double(st->raw, idx, va_arg(ap, double)); break;
        case 'n': rc = sqlite3_bind_null(st->raw, idx); break;
        default:
            return fr_error_set(err, FR_EINTERNAL, "unknown parameter type '%c'", *t);
        }
        if (rc != SQLITE_OK)
            return map_error(st->store, rc, err, "binding a parameter");
    }
    return 0;
}

int fr_store_queryv(fr_store *s, fr_error *err, fr_stmt **out, const char *sql, const char *types,
                    va_list ap)
{
    int rc = prepare(s, sql, out, err);
    if (rc)
        return rc;
    rc = bind(*out, types, ap, err);
    if (rc) {
        fr_stmt_done(*out);
        *out = NULL;
    }
    return rc;
}

int fr_store_query(fr_store *s, fr_error *err, fr_stmt **out, const char *sql, const char *types,
                   ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = fr_store_queryv(s, err, out, sql, types, ap);
    va_end(ap);
    return rc;
}

int fr_store_execf(fr_store *s, fr_error *err, const char *sql, const char *types, ...)
{
    fr_stmt *st;
    va_list ap;
    va_start(ap, types);
    int rc = fr_store_queryv(s, err, &st, sql, types, ap);
    va_end(ap);
    if (rc)
        return rc;
    while ((rc = fr_stmt_step(st, err)) == 1)
        ;
    fr_stmt_done(st);
    return rc;
}

int fr_store_query_int(fr_store *s, fr_error *err, int64_t *out, const char *sql,
                       const char *types, ...)
{
    fr_stmt *st;
    va_list ap;
    va_start(ap, types);
    int rc = fr_store_queryv(s, err, &st, sql, types, ap);
    va_end(ap);
    if (rc)
        return rc;
    rc = fr_stmt_step(st, err);
    if (rc == 1) {
        *out = fr_stmt_int(st, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = FR_ENOTFOUND;
    }
    fr_stmt_done(st);
    return rc;
}

int fr_store_query_text(fr_store *s, fr_error *err, char **out, const char *sql,
                        const char *types, ...)
{
    fr_stmt *st;
    va_list ap;
    *out = NULL;
    va_start(ap, types);
    int rc = fr_store_queryv(s, err, &st, sql, types, ap);
    va_end(ap);
    if (rc)
        return rc;
    rc = fr_stmt_step(st, err);
    if (rc == 1) {
        const char *v = fr_stmt_text(st, 0);
        *out = v ? strdup(v) : NULL;
        rc = 0;
    } else if (rc == 0) {
        rc = FR_ENOTFOUND;
    }
    fr_stmt_done(st);
    return rc;
}

int fr_stmt_step(fr_stmt *st, fr_error *err)
{
    int rc = sqlite3_step(st->raw);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return map_error(st->store, rc, err, "running a query");
}

const char *fr_stmt_text(fr_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st->raw, col);
}

int64_t fr_stmt_int(fr_stmt *st, int col)
{
    return sqlite3_column_int64(st->raw, col);
}

double fr_stmt_double(fr_stmt *st, int col)
{
    return sqlite3_column_double(st->raw, col);
}

int fr_stmt_is_null(fr_stmt *st, int col)
{
    return sqlite3_column_type(st->raw, col) == SQLITE_NULL;
}

int fr_stmt_type(fr_stmt *st, int col)
{
    switch (sqlite3_column_type(st->raw, col)) {
    case SQLITE_INTEGER: return 'i';
    case SQLITE_FLOAT: return 'd';
    case SQLITE_NULL: return 'n';
    default: return 't';
    }
}

int fr_stmt_columns(fr_stmt *st)
{
    return sqlite3_column_count(st->raw);
}

const char *fr_stmt_column_name(fr_stmt *st, int col)
{
    return sqlite3_column_name(st->raw, col);
}

void fr_stmt_done(fr_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st->raw);
    sqlite3_clear_bindings(st->raw);
    if (st->cached) {
        st->in_use = 0;
        return;
    }
    sqlite3_finalize(st->raw);
    free(st->sql);
    free(st);
}

int64_t fr_store_last_id(fr_store *s)
{
    return sqlite3_last_insert_rowid(s->db);
}

int fr_store_changes(fr_store *s)
{
    return sqlite3_changes(s->db);
}

int64_t fr_store_generation(fr_store *s)
{
    int64_t v;
    fr_error err = {0};
    if (fr_store_query_int(s, &err, &v, "PRAGMA data_version", NULL) != 0)
        return -1;
    return (v << 32) ^ (int64_t)sqlite3_total_changes(s->db);
}

static int ensure_migrations_table(fr_store *s, fr_error *err)
{
    return fr_store_exec(s,
                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         " owner TEXT NOT NULL, version INTEGER NOT NULL,"
                         " name TEXT NOT NULL, applied_at TEXT NOT NULL,"
                         " PRIMARY KEY (owner, version))",
                         err);
}

int fr_store_optimize(fr_store *s, fr_error *err)
{
    /* 0x10002: analyse every table that may benefit, even on a fresh
     * connection (SQLite >= 3.32's documented mask for long-lived
     * processes); analysis_limit keeps it fast on big tables. */
    return fr_store_exec(s, "PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002;", err);
}

int fr_store_schema_version(fr_store *s, const char *owner, int *out, fr_error *err)
{
    int64_t v = 0;
    *out = 0;
    int rc = fr_store_query_int(s, err, &v,
                                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'schema_migrations'",
                                NULL);
    if (rc)
        return rc;
    if (v == 0)
        return 0;
    rc = fr_store_query_int(s, err, &v,
                            "SELECT coalesce(max(version), 0) FROM schema_migrations "
                            "WHERE owner = ?",
                            "t", owner);
    if (rc)
        return rc;
    *out = (int)v;
    return 0;
}

int fr_store_migrate(fr_store *s, const char *owner, const fr_migration *m, int n, fr_error *err)
{
    int newest = 0, current = 0, rc;
    for (int i = 0; i < n; i++)
        if (m[i].version > newest)
            newest = m[i].version;
    rc = ensure_migrations_table(s, err);
    if (rc)
        return rc;
    rc = fr_store_schema_version(s, owner, &current, err);
    if (rc)
        return rc;
    if (current > newest)
        return fr_error_set(err, FR_EVERSION,
                            "the database %s was written by a newer version of %s%s: its "
                            "schema is at version %d, this program knows versions up to %d. "
                            "Run the newer Filrouge that wrote it, or restore a backup taken "
                            "before the upgrade; nothing was changed",
                            s->path, strcmp(owner, "core") == 0 ? "Filrouge" : "plugin ",
                            strcmp(owner, "core") == 0 ? "" : owner, current, newest);
    for (int v = current + 1; v <= newest; v++) {
        const fr_migration *mig = NULL;
        for (int i = 0; i < n; i++)
            if (m[i].version == v)
                mig = &m[i];
        if (!mig)
            return fr_error_set(err, FR_EINVAL,
                                "migrations of %s jump from version %d to a later one: version "
                                "%d is missing",
                                owner, v - 1, v);
        char now[FR_TIME_LEN];
        fr_clock_now(now);
        if ((rc = fr_store_begin(s, err)))
            return rc;
        rc = fr_store_exec(s, mig->sql, err);
        if (!rc)
            rc = fr_store_execf(s, err,
                                "INSERT INTO schema_migrations (owner, version, name, applied_at)"
                                " VALUES (?, ?, ?, ?)",
                                "titt", owner, v, mig->name, now);
        if (!rc)
            rc = fr_store_commit(s, err);
        else
            fr_store_rollback(s);
        if (rc) {
            fr_error_prefix(err, "migration %s (%s version %d) failed, the database is unchanged: ",
                            mig->name, owner, v);
            return rc;
        }
    }
    return 0;
}

json_t *fr_stmt_row_json(fr_stmt *st)
{
    json_t *row = json_object();
    int n = fr_stmt_columns(st);
    for (int i = 0; i < n; i++) {
        json_t *v;
        switch (fr_stmt_type(st, i)) {
        case 'i': v = json_integer((json_int_t)fr_stmt_int(st, i)); break;
        case 'd': v = json_real(fr_stmt_double(st, i)); break;
        case 'n': v = json_null(); break;
        default: v = json_string(fr_stmt_text(st, i)); break;
        }
        /* json_string gives NULL on invalid UTF-8: show it as null rather
         * than failing the whole read. */
        json_object_set_new(row, fr_stmt_column_name(st, i), v ? v : json_null());
    }
    return row;
}

static int query_rows(fr_store *s, fr_error *err, json_t **out, int first_only, const char *sql,
                      const char *types, va_list ap)
{
    fr_stmt *st;
    *out = NULL;
    int rc = fr_store_queryv(s, err, &st, sql, types, ap);
    if (rc)
        return rc;
    json_t *rows = first_only ? NULL : json_array();
    while ((rc = fr_stmt_step(st, err)) == 1) {
        if (first_only) {
            rows = fr_stmt_row_json(st);
            break;
        }
        json_array_append_new(rows, fr_stmt_row_json(st));
    }
    fr_stmt_done(st);
    if (rc < 0) {
        json_decref(rows);
        return rc;
    }
    if (!rows)
        return FR_ENOTFOUND;
    *out = rows;
    return 0;
}

int fr_store_query_json(fr_store *s, fr_error *err, json_t **out, const char *sql,
                        const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = query_rows(s, err, out, 0, sql, types, ap);
    va_end(ap);
    return rc;
}

int fr_store_query_row(fr_store *s, fr_error *err, json_t **out, const char *sql,
                       const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = query_rows(s, err, out, 1, sql, types, ap);
    va_end(ap);
    return rc;
}

int fr_store_check_file(const char *path, fr_error *err)
{
    fr_store_options ro = {.read_only = 1};
    fr_store *s = NULL;
    int rc = fr_store_open(path, &ro, &s, err);
    if (rc)
        return rc;
    char *result = NULL;
    rc = fr_store_query_text(s, err, &result, "PRAGMA integrity_check", "");
    if (!rc && (!result || strcmp(result, "ok") != 0))
        rc = fr_error_set(err, FR_EIO, "%s is damaged: %s", path, result ? result : "?");
    free(result);
    fr_store_close(s);
    return rc;
}

int fr_store_backup(fr_store *s, const char *dest, fr_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.partial", dest);
    unlink(tmp);
    sqlite3 *out = NULL;
    int rc = sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        fr_error_set(err, FR_EIO, "cannot create %s: %s", tmp,
                     out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
        sqlite3_close(out);
        return FR_EIO;
    }
    sqlite3_backup *b = sqlite3_backup_init(out, "main", s->db, "main");
    if (!b) {
        fr_error_set(err, FR_EIO, "cannot back up %s: %s", s->path, sqlite3_errmsg(out));
        sqlite3_close(out);
        unlink(tmp);
        return FR_EIO;
    }
    /* Copy in one step: the copy is consistent at one instant; writers wait
     * for the busy timeout at most. */
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    int frc = rc == SQLITE_DONE ? sqlite3_errcode(out) : rc;
    sqlite3_close(out);
    if (frc != SQLITE_OK) {
        unlink(tmp);
        return fr_error_set(err, FR_EIO, "backing up %s into %s failed (%s); nothing was kept",
                            s->path, dest, sqlite3_errstr(frc));
    }
    if ((rc = fr_store_check_file(tmp, err))) {
        unlink(tmp);
        return rc;
    }
    if (rename(tmp, dest) != 0) {
        unlink(tmp);
        return fr_error_set(err, FR_EIO, "cannot move the backup into %s: %s", dest,
                            strerror(errno));
    }
    return 0;
}
