/* The store's SQLite backend (the default): one database file per site,
 * durable settings (WAL, foreign keys, busy timeout, synchronous=FULL), a
 * prepared-statement cache, online backup and integrity checks, and the
 * reserve for a full disk (store.h, "A full disk"). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store_backend.h"

#define CACHE_SIZE 128

typedef struct lite_stmt {
    fr_stmt base;
    sqlite3_stmt *raw;
    char *sql;
    uint32_t hash; /* of sql: the cache compares it before the text */
    int cached;
    int in_use;
} lite_stmt;

typedef struct lite {
    sqlite3 *db;
    lite_stmt *cache[CACHE_SIZE];
    int ncache;
    int evict;                  /* the next slot given up when the cache is full */
    sqlite3_stmt *data_version; /* kept prepared: asked on every request */
    int wal;                    /* opened in WAL mode (read-write) */
    /* The WAL-index header as seen when data_version was last asked
     * (lite_generation): while it is unchanged nothing was committed. */
    const volatile unsigned char *wal_index;
    unsigned char wal_header[48];
    int wal_header_known;
    int64_t version;
    char *reserve;   /* the reserve file (<database>-reserve); NULL: none */
    long max_pages;  /* the site's limit in pages; 0: none */
    int raised;      /* the limit is raised by the reserve (given up) */
    int busy_ms;     /* the busy timeout */
} lite;

#define RESERVE_BYTES ((off_t)FR_STORE_RESERVE_KB * 1024)
#define RESERVE_PAGES (FR_STORE_RESERVE_KB / 4)

#define DB(s) (((lite *)(s)->be)->db)
#define RAW(st) (((lite_stmt *)(st))->raw)

static int map_error(fr_store *s, int rc, fr_error *err, const char *what)
{
    sqlite3 *db = s && s->be ? DB(s) : NULL;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const char *path = s && s->path ? s->path : "(database)";
    /* A full disk shows as an I/O error where SQLite grows the -shm or
     * writes the -wal (SQLITE_IOERR_SHMSIZE, _WRITE): say what it is. */
    if ((rc & 0xff) == SQLITE_IOERR && db && sqlite3_system_errno(db) == ENOSPC)
        rc = SQLITE_FULL;
    if ((rc & 0xff) == SQLITE_FULL && s)
        s->full = 1;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return fr_error_set(err, FR_EBUSY,
                            "%s: the database %s stayed locked by another process longer than "
                            "the busy timeout (site setting database.busy-timeout-ms); nothing was "
                            "written, try again",
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

/* A site's database must already be there: SQLite would take a missing or
 * empty file for a new database and the core migrations would quietly fill
 * it, and a lost record must not look like an empty one. */
static int check_exists(const char *path, fr_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size == 0)
        return fr_error_set(err, FR_EIO,
                            "the database %s is an empty file: the site's record is missing. "
                            "Restore it from a backup (`filrouge restore`); nothing was changed",
                            path);
    if (access(path, F_OK) != 0)
        return fr_error_set(err, FR_ENOTFOUND,
                            "the database %s does not exist; restore it from a backup, or fix "
                            "<database> in site.xml",
                            path);
    return 0;
}

static int lite_prepare(fr_store *s, const char *sql, fr_stmt **out, fr_error *err);
static void lite_done(fr_stmt *base);

/* Past blanks and comments: where the next statement of `p` begins. */
static const char *statement_start(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
        } else {
            return p;
        }
    }
}

/* Several statements one after the other, as sqlite3_exec runs them, but
 * noting the line of `sql` where the failing one went wrong (a plugin's
 * migration file: its author reads "line 12"). */
static int lite_exec_many(fr_store *s, const char *sql, const char *what, fr_error *err)
{
    for (const char *p = sql; *p;) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(DB(s), p, -1, &st, &tail);
        int at = -1;
        if (rc != SQLITE_OK) {
#if SQLITE_VERSION_NUMBER >= 3038000
            at = sqlite3_error_offset(DB(s));
#endif
        } else if (st) {
            while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        if (rc != SQLITE_OK) {
            const char *where = at >= 0 ? p + at : statement_start(p);
            s->error_line = 1;
            for (const char *c = sql; c < where; c++)
                s->error_line += *c == '\n';
            rc = map_error(s, rc, err, what);
            sqlite3_finalize(st);
            return rc;
        }
        sqlite3_finalize(st);
        if (!tail || tail == p)
            break;
        p = tail;
    }
    return 0;
}

static int lite_exec(fr_store *s, const char *sql, const char *what, fr_error *err)
{
    s->error_line = 0;
    /* One statement (BEGIN, SAVEPOINT, RELEASE, COMMIT: several for each
     * request) goes through the statement cache instead of being parsed
     * again each time; several go to sqlite3_exec. */
    fr_stmt *st = NULL;
    if (!strchr(sql, ';') && lite_prepare(s, sql, &st, NULL) == 0) {
        int rc = sqlite3_step(((lite_stmt *)st)->raw);
        while (rc == SQLITE_ROW)
            rc = sqlite3_step(((lite_stmt *)st)->raw);
        rc = rc == SQLITE_DONE ? 0 : map_error(s, rc, err, what);
        lite_done(st);
        return rc;
    }
    return lite_exec_many(s, sql, what, err);
}

/* BEGIN IMMEDIATE with no busy wait: SQLITE_BUSY (FR_EBUSY) at once
 * while another connection writes. */
static int lite_begin_nowait(fr_store *s, const char *what, fr_error *err)
{
    lite *l = s->be;
    sqlite3_busy_timeout(l->db, 0);
    int rc = lite_exec(s, "BEGIN IMMEDIATE", what, err);
    sqlite3_busy_timeout(l->db, l->busy_ms);
    return rc;
}

/* Whether the connection's database is in WAL mode (a file system without
 * shared memory keeps it in rollback mode). */
static int in_wal_mode(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int wal = sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW &&
              sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    return wal;
}

/* Opens the connection, sets it up and reads the schema. */
static int connect_db(fr_store *s, const char *path, const fr_store_options *opt, fr_error *err)
{
    lite *l = s->be;
    int flags = opt->read_only ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &l->db, flags, NULL);
    if (rc != SQLITE_OK)
        return fr_error_set(err, FR_EIO,
                            "cannot open the database %s: %s; check that the folder exists "
                            "and is writable",
                            path, l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(l->db, 1);
    l->busy_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000;
    sqlite3_busy_timeout(l->db, l->busy_ms);
    char pragmas[320], limit[96] = "";
    /* A size limit in pages; page_size is 4096 unless the file says
     * otherwise, which only makes the limit a little looser. */
    if (opt->max_size_kb > 0) {
        l->max_pages = opt->max_size_kb / 4 > 0 ? opt->max_size_kb / 4 : 1;
        snprintf(limit, sizeof limit, "PRAGMA max_page_count = %ld;", l->max_pages);
    }
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA foreign_keys = ON; %s PRAGMA synchronous = %s; %s",
             opt->read_only ? "" : "PRAGMA journal_mode = WAL;",
             opt->synchronous_normal ? "NORMAL" : "FULL", limit);
    if (lite_exec(s, pragmas, "opening the site database", err))
        return FR_EIO;
    l->wal = !opt->read_only && in_wal_mode(l->db);
    /* Reading the schema now turns "not a database" into an error here rather
     * than in the middle of the first command. */
    return lite_exec(s, "SELECT count(*) FROM sqlite_master", "opening the site database", err);
}

static int lite_open(fr_store *s, const char *path, const fr_store_options *opt, fr_error *err)
{
    int rc;
    if (opt->must_exist && (rc = check_exists(path, err)))
        return rc;
    s->path = strdup(path);
    lite *l = calloc(1, sizeof *l);
    if (!s->path || !l) {
        free(l);
        return fr_error_set(err, FR_ENOMEM, "out of memory opening %s", path);
    }
    s->be = l;
    /* A database file (not :memory: nor a URI) written here keeps its
     * reserve beside it. */
    if (!opt->read_only && path[0] && strcmp(path, ":memory:") != 0 &&
        strncmp(path, "file:", 5) != 0) {
        size_t n = strlen(path) + sizeof "-reserve";
        if (!(l->reserve = malloc(n)))
            return fr_error_set(err, FR_ENOMEM, "out of memory opening %s", path);
        snprintf(l->reserve, n, "%s-reserve", path);
    }
    rc = connect_db(s, path, opt, err);
    /* No room even to open (SQLite makes the -wal and the -shm): the
     * reserve makes room, and the store starts short of space. */
    if (rc && s->full && l->reserve && unlink(l->reserve) == 0) {
        sqlite3_close_v2(l->db);
        l->db = NULL;
        s->full = 0;
        s->short_of_space = 1;
        rc = connect_db(s, path, opt, err);
    }
    if (rc)
        return rc;
    /* When the reserve cannot be made, the disk is short of space already
     * and writes wait until it can. */
    if (l->reserve && (s->short_of_space || s->ops->reserve_renew(s) != 0)) {
        s->short_of_space = 1;
        s->ops->reserve_release(s);
    }
    return 0;
}

/* The site's limit, raised by the reserve's pages or not. */
static void set_raised(lite *l, int raised)
{
    if (l->max_pages <= 0 || l->raised == raised)
        return;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %ld",
             l->max_pages + (raised ? RESERVE_PAGES : 0));
    sqlite3_exec(l->db, sql, NULL, NULL, NULL);
    l->raised = raised;
}

/* Gives the reserve up: the file goes, and the site's limit (if any) grows
 * by as much, for this connection. */
static int lite_reserve_release(fr_store *s)
{
    lite *l = s->be;
    if (!l->reserve)
        return 0;
    int had = unlink(l->reserve) == 0;
    set_raised(l, 1);
    return had;
}

/* Puts the reserve back: the file is there whole (one stat: this runs at
 * each transaction), or there is room for it and as much again on the disk
 * (and under the site's limit), and it is made (allocated, not sparse). */
static int lite_reserve_renew(fr_store *s)
{
    lite *l = s->be;
    struct stat st;
    if (!l->reserve)
        return 0;
    if (stat(l->reserve, &st) != 0 || st.st_size < RESERVE_BYTES) {
        if (l->max_pages > 0) {
            sqlite3_stmt *q = NULL;
            int64_t pages = 0;
            if (sqlite3_prepare_v2(l->db, "PRAGMA page_count", -1, &q, NULL) == SQLITE_OK &&
                sqlite3_step(q) == SQLITE_ROW)
                pages = sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
            if (pages + RESERVE_PAGES > l->max_pages)
                return -1;
        }
        struct statvfs v;
        if (statvfs(s->path, &v) != 0 || (off_t)v.f_bavail * (off_t)v.f_frsize < 2 * RESERVE_BYTES)
            return -1;
        int fd = open(l->reserve, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        int rc = posix_fallocate(fd, 0, RESERVE_BYTES);
        close(fd);
        if (rc != 0) {
            unlink(l->reserve);
            return -1;
        }
    }
    set_raised(l, 0);
    return 0;
}

static void lite_close(fr_store *s)
{
    lite *l = s->be;
    if (!l)
        return;
    for (int i = 0; i < l->ncache; i++) {
        sqlite3_finalize(l->cache[i]->raw);
        free(l->cache[i]->sql);
        free(l->cache[i]);
    }
    sqlite3_finalize(l->data_version);
    if (l->db)
        sqlite3_close_v2(l->db);
    free(l->reserve);
    free(l);
}

/* FNV-1a */
static uint32_t sql_hash(const char *sql)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* A place in the cache: a free one, or one given up (round robin, never a
 * statement in use); -1 when every statement is in use. */
static int cache_slot(lite *l)
{
    if (l->ncache < CACHE_SIZE)
        return l->ncache++;
    for (int n = 0; n < CACHE_SIZE; n++) {
        int i = l->evict;
        l->evict = (l->evict + 1) % CACHE_SIZE;
        lite_stmt *old = l->cache[i];
        if (!old->in_use) {
            sqlite3_finalize(old->raw);
            free(old->sql);
            free(old);
            return i;
        }
    }
    return -1;
}

static int lite_prepare(fr_store *s, const char *sql, fr_stmt **out, fr_error *err)
{
    lite *l = s->be;
    uint32_t h = sql_hash(sql);
    for (int i = 0; i < l->ncache; i++) {
        lite_stmt *st = l->cache[i];
        if (!st->in_use && st->hash == h && strcmp(st->sql, sql) == 0) {
            st->in_use = 1;
            *out = &st->base;
            return 0;
        }
    }
    lite_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    int rc = sqlite3_prepare_v2(l->db, sql, -1, &st->raw, NULL);
    if (rc != SQLITE_OK) {
        free(st);
        return map_error(s, rc, err, "preparing a query");
    }
    st->base.store = s;
    st->sql = strdup(sql);
    st->hash = h;
    st->in_use = 1;
    int slot = st->sql ? cache_slot(l) : -1;
    if (slot >= 0) {
        st->cached = 1;
        l->cache[slot] = st;
    }
    *out = &st->base;
    return 0;
}

static int lite_bind(fr_stmt *st, const fr_store_value *v, int n, fr_error *err)
{
    for (int i = 0; i < n; i++) {
        int rc;
        switch (v[i].type) {
        case 't': rc = sqlite3_bind_text(RAW(st), i + 1, v[i].t, -1, SQLITE_TRANSIENT); break;
        case 'I': rc = sqlite3_bind_int64(RAW(st), i + 1, v[i].i); break;
        case 'd': rc = sqlite3_bind_double(RAW(st), i + 1, v[i].d); break;
        default: rc = sqlite3_bind_null(RAW(st), i + 1); break;
        }
        if (rc != SQLITE_OK)
            return map_error(st->store, rc, err, "binding a parameter");
    }
    return 0;
}

static int lite_step(fr_stmt *st, fr_error *err)
{
    int rc = sqlite3_step(RAW(st));
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return map_error(st->store, rc, err, "running a query");
}

static const char *lite_text(fr_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(RAW(st), col);
}

static int64_t lite_integer(fr_stmt *st, int col)
{
    return sqlite3_column_int64(RAW(st), col);
}

static double lite_real(fr_stmt *st, int col)
{
    return sqlite3_column_double(RAW(st), col);
}

static int lite_type(fr_stmt *st, int col)
{
    switch (sqlite3_column_type(RAW(st), col)) {
    case SQLITE_INTEGER: return 'i';
    case SQLITE_FLOAT: return 'd';
    case SQLITE_NULL: return 'n';
    default: return 't';
    }
}

static int lite_columns(fr_stmt *st)
{
    return sqlite3_column_count(RAW(st));
}

static const char *lite_column_name(fr_stmt *st, int col)
{
    return sqlite3_column_name(RAW(st), col);
}

static void lite_done(fr_stmt *base)
{
    lite_stmt *st = (lite_stmt *)base;
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

static int64_t lite_last_id(fr_store *s)
{
    return sqlite3_last_insert_rowid(DB(s));
}

static int lite_changes(fr_store *s)
{
    return sqlite3_changes(DB(s));
}

static int lite_has_table(fr_store *s, const char *name, int *out, fr_error *err)
{
    int64_t n = 0;
    int rc = fr_store_query_int(s, err, &n,
                                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = ?",
                                "t", name);
    *out = n > 0;
    return rc;
}

static int lite_optimize(fr_store *s, fr_error *err)
{
    /* 0x10002: analyse every table that may benefit, even on a fresh
     * connection (SQLite >= 3.32's documented mask for long-lived
     * processes); analysis_limit keeps it fast on big tables. */
    return lite_exec(s, "PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002;", "optimizing",
                     err);
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

/* The copy's -wal and -shm. The copy keeps the site's WAL mode in its
 * header, so checking it makes both files beside it: they would stay in
 * the backup folder, and a -wal left by an interrupted earlier attempt
 * would be read into the next copy as if it belonged to it. */
static void unlink_sidecars(const char *db)
{
    char side[4200];
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}

static int lite_backup(fr_store *s, const char *dest, fr_error *err)
{
    if (!dest)
        return 0;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.partial", dest);
    unlink(tmp);
    unlink_sidecars(tmp);
    sqlite3 *out = NULL;
    int rc = sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        fr_error_set(err, FR_EIO, "cannot create %s: %s", tmp,
                     out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
        sqlite3_close(out);
        return FR_EIO;
    }
    sqlite3_backup *b = sqlite3_backup_init(out, "main", DB(s), "main");
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
    rc = fr_store_check_file(tmp, err);
    unlink_sidecars(tmp);
    if (rc) {
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

/* Tables in an order where each comes after those its foreign keys name
 * (a cycle, which the kernel has none of, falls back to name order). */
static int lite_tables(fr_store *s, json_t **out, fr_error *err)
{
    json_t *all = NULL;
    *out = NULL;
    int rc = fr_store_query_json(s, err, &all,
                                 "SELECT m.name AS name, (SELECT group_concat(f.\"table\", ' ')"
                                 " FROM pragma_foreign_key_list(m.name) f WHERE f.\"table\" <>"
                                 " m.name) AS refs FROM sqlite_master m WHERE m.type = 'table'"
                                 " AND m.name NOT LIKE 'sqlite_%' AND m.name <>"
                                 " 'schema_migrations' ORDER BY m.name",
                                 NULL);
    if (rc)
        return rc;
    json_t *order = json_array();
    size_t n = json_array_size(all), done = 0;
    char *placed = calloc(n ? n : 1, 1);
    while (placed && done < n) {
        size_t before = done;
        for (size_t i = 0; i < n; i++) {
            if (placed[i])
                continue;
            const char *refs = json_string_value(json_object_get(json_array_get(all, i), "refs"));
            int ready = 1;
            for (size_t j = 0; j < n && ready && refs; j++) {
                const char *other =
                    json_string_value(json_object_get(json_array_get(all, j), "name"));
                size_t ol = strlen(other);
                for (const char *r = strstr(refs, other); r && ready; r = strstr(r + 1, other))
                    if ((r == refs || r[-1] == ' ') && (r[ol] == ' ' || r[ol] == '\0'))
                        ready = placed[j];
            }
            if (ready) {
                placed[i] = 1;
                done++;
                json_array_append(order, json_object_get(json_array_get(all, i), "name"));
            }
        }
        if (done == before) /* a cycle: take the rest as they come */
            for (size_t i = 0; i < n; i++)
                if (!placed[i]) {
                    placed[i] = 1;
                    done++;
                    json_array_append(order, json_object_get(json_array_get(all, i), "name"));
                }
    }
    free(placed);
    json_decref(all);
    *out = order;
    return 0;
}

static int lite_after_copy(fr_store *s, const char *table, int has_id, fr_error *err)
{
    (void)s;
    (void)table;
    (void)has_id;
    (void)err;
    return 0; /* rowids go on after the highest by themselves */
}

/* One writer at a time already (BEGIN IMMEDIATE): always granted. */
static int lite_try_lock(fr_store *s, const char *name, int *got, fr_error *err)
{
    (void)s;
    (void)name;
    (void)err;
    *got = 1;
    return 0;
}

static void lite_unlock(fr_store *s, const char *name)
{
    (void)s;
    (void)name;
}

/* The first copy of the WAL-index header at the start of the -shm file
 * (sqlite.org/walformat.html, 2.2.1: iChange, mxFrame, salts, checksums),
 * which any commit by any process rewrites last, as mapped by this
 * connection's own VFS file; NULL when not in WAL mode or not mapped yet.
 * The mapping lives as long as the connection's WAL (its lifetime: the
 * store never leaves WAL mode). */
static const volatile unsigned char *map_wal_index(lite *l)
{
    sqlite3_file *f = NULL;
    volatile void *p = NULL;
    if (!l->wal ||
        sqlite3_file_control(l->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
        !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
        return NULL;
    if (f->pMethods->xShmMap(f, 0, 32768, 0, &p) != SQLITE_OK)
        return NULL;
    return p;
}

/* Changes when anything is committed, by this connection or another
 * process (PRAGMA data_version counts the others, total_changes ours).
 * PRAGMA data_version opens a read transaction (file-lock system calls);
 * while the WAL-index header reads exactly as it did just before the last
 * one, no commit happened since and its answer stands. A header changing
 * under the read (a commit in progress) only differs: then the database is
 * asked again. */
static int64_t lite_generation(fr_store *s)
{
    lite *l = s->be;
    unsigned char now[sizeof l->wal_header];
    if (l->wal_index) {
        for (size_t i = 0; i < sizeof now; i++)
            now[i] = l->wal_index[i];
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (l->wal_header_known && memcmp(now, l->wal_header, sizeof now) == 0)
            return (l->version << 32) ^ (int64_t)sqlite3_total_changes(l->db);
    }
    if (!l->data_version &&
        sqlite3_prepare_v3(l->db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
                           &l->data_version, NULL) != SQLITE_OK)
        return -1;
    int64_t v = sqlite3_step(l->data_version) == SQLITE_ROW
                    ? sqlite3_column_int64(l->data_version, 0)
                    : -1;
    sqlite3_reset(l->data_version);
    l->wal_header_known = 0;
    if (v < 0)
        return -1;
    if (l->wal_index) {
        memcpy(l->wal_header, now, sizeof now);
        l->version = v;
        l->wal_header_known = 1;
    } else if (l->wal) {
        l->wal_index = map_wal_index(l); /* used from the next call on */
    }
    return (v << 32) ^ (int64_t)sqlite3_total_changes(l->db);
}

const fr_store_ops fr_store_sqlite_ops = {
    .name = "sqlite",
    .open = lite_open,
    .close = lite_close,
    .exec = lite_exec,
    .prepare = lite_prepare,
    .bind = lite_bind,
    .step = lite_step,
    .text = lite_text,
    .integer = lite_integer,
    .real = lite_real,
    .type = lite_type,
    .columns = lite_columns,
    .column_name = lite_column_name,
    .done = lite_done,
    .last_id = lite_last_id,
    .changes = lite_changes,
    .has_table = lite_has_table,
    .optimize = lite_optimize,
    .backup = lite_backup,
    .tables = lite_tables,
    .after_copy = lite_after_copy,
    .try_lock = lite_try_lock,
    .unlock = lite_unlock,
    .generation = lite_generation,
    .begin_sql = "BEGIN IMMEDIATE",
    .begin_nowait = lite_begin_nowait,
    .reserve_release = lite_reserve_release,
    .reserve_renew = lite_reserve_renew,
};
