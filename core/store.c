/* The store's backend-neutral front: chooses the backend from the location,
 * folds parameters, nests transactions with savepoints, applies migrations
 * per owner and turns rows into JSON. The engines live in store_sqlite.c
 * and store_pg.c (see store_backend.h). It knows nothing of patients or
 * cases. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_backend.h"

int fr_store_location_is_pg(const char *location)
{
    return strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0;
}

char *fr_store_locate(const char *dir, const char *database)
{
    if (fr_store_location_is_pg(database) || database[0] == '/' || !dir)
        return strdup(database);
    size_t n = strlen(dir) + strlen(database) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, database);
    return p;
}

int fr_store_open(const char *location, const fr_store_options *opt, fr_store **out,
                  fr_error *err)
{
    fr_store_options defaults = {0};
    *out = NULL;
    fr_store *s = calloc(1, sizeof *s);
    if (!s)
        return fr_error_set(err, FR_ENOMEM, "out of memory opening %s", location);
    s->ops = fr_store_location_is_pg(location) ? &fr_store_pg_ops : &fr_store_sqlite_ops;
    int rc = s->ops->open(s, location, opt ? opt : &defaults, err);
    if (rc) {
        fr_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void fr_store_close(fr_store *s)
{
    if (!s)
        return;
    s->ops->close(s);
    free(s->path);
    free(s);
}

const char *fr_store_path(const fr_store *s)
{
    return s->path;
}

const char *fr_store_backend(const fr_store *s)
{
    return s->ops->name;
}

void fr_store_note_set(fr_store *s, const char *key, int64_t n, const char *text)
{
    s->note_key[0] = '\0';
    if (s->depth <= 0 || strlen(key) >= sizeof s->note_key ||
        strlen(text) >= sizeof s->note_text)
        return;
    snprintf(s->note_key, sizeof s->note_key, "%s", key);
    snprintf(s->note_text, sizeof s->note_text, "%s", text);
    s->note_n = n;
}

const char *fr_store_note_get(const fr_store *s, const char *key, int64_t *n)
{
    if (s->depth <= 0 || !s->note_key[0] || strcmp(s->note_key, key) != 0)
        return NULL;
    *n = s->note_n;
    return s->note_text;
}

int fr_store_depth(const fr_store *s)
{
    return s->depth;
}

int fr_store_exec(fr_store *s, const char *sql, fr_error *err)
{
    return s->ops->exec(s, sql, "running SQL", err);
}

int fr_store_try_lock(fr_store *s, const char *name, int *got, fr_error *err)
{
    *got = 0;
    return s->ops->try_lock(s, name, got, err);
}

void fr_store_unlock(fr_store *s, const char *name)
{
    s->ops->unlock(s, name);
}

int fr_store_refuse_short(fr_store *s, fr_error *err)
{
    return fr_error_set(err, FR_EIO,
                        "the disk holding %s is full, or the database reached the site's limit "
                        "(setting database.max-size-mb): changes are refused and the space left "
                        "is kept so that reading records (and its audit trail) goes on; nothing "
                        "was written. Free some space on that disk or raise the limit: changes "
                        "are accepted again by themselves",
                        s->path);
}

int fr_store_short_of_space(fr_store *s)
{
    /* Another process may have given the reserve up, or space may have
     * returned: the backend looks (SQLite: one stat of the reserve file). */
    if (s->depth == 0 && s->ops->reserve_renew) {
        int renewed = s->ops->reserve_renew(s) == 0;
        if (!renewed && !s->short_of_space)
            s->ops->reserve_release(s); /* the site's limit raised likewise */
        s->short_of_space = !renewed;
    }
    return s->short_of_space;
}

int fr_store_failed_for_space(const fr_store *s)
{
    return s->full;
}

int fr_store_use_reserve(fr_store *s)
{
    if (!s->full || s->depth > 0 || !s->ops->reserve_release)
        return 0;
    s->full = 0;
    s->short_of_space = 1;
    return s->ops->reserve_release(s);
}

static int begin(fr_store *s, int audit_only, int nowait, fr_error *err)
{
    char sql[128];
    if (nowait && s->depth > 0)
        return fr_error_set(err, FR_EINTERNAL, "a transaction without waiting, inside another");
    if (s->depth == 0) {
        s->full = 0;
        if (!audit_only && fr_store_short_of_space(s))
            return fr_store_refuse_short(s, err);
        snprintf(sql, sizeof sql, "%s", s->ops->begin_sql);
    } else {
        snprintf(sql, sizeof sql, "SAVEPOINT fr_sp%d", s->depth);
    }
    int rc = nowait ? s->ops->begin_nowait(s, "starting a transaction", err)
                    : s->ops->exec(s, sql, "starting a transaction", err);
    if (rc) {
        /* A BEGIN that went through but whose lock did not. */
        if (s->depth == 0)
            s->ops->exec(s, "ROLLBACK", "rolling back", NULL);
        return rc;
    }
    s->depth++;
    return 0;
}

void fr_store_announce(fr_store *s, const char *channel)
{
    if (!s->ops->announce)
        return;
    if (s->depth == 0) {
        s->ops->announce(s, channel, NULL);
        return;
    }
    for (int i = 0; i < FR_STORE_CHANNELS; i++) {
        if (s->announced[i] && strcmp(s->announced[i], channel) == 0)
            return;
        if (!s->announced[i]) {
            s->announced[i] = channel;
            return;
        }
    }
}

int fr_store_listen(fr_store *s, const char *channel, fr_error *err)
{
    if (!s->ops->listen)
        return fr_error_set(err, FR_EREFUSED,
                            "the %s store has no announcements to listen to: one process "
                            "serves its site",
                            s->ops->name);
    return s->ops->listen(s, channel, err);
}

int fr_store_wait(fr_store *s, int wake_fd, int *heard, fr_error *err)
{
    *heard = 0;
    if (!s->ops->wait)
        return fr_error_set(err, FR_EREFUSED, "the %s store has no announcements to wait for",
                            s->ops->name);
    return s->ops->wait(s, wake_fd, heard, err);
}

/* The outermost transaction ends: its announcements go (just before
 * COMMIT) or are forgotten (rollback). */
static int end_announcements(fr_store *s, int send, fr_error *err)
{
    int rc = 0;
    for (int i = 0; i < FR_STORE_CHANNELS && s->announced[i]; i++) {
        if (send && !rc)
            rc = s->ops->announce(s, s->announced[i], err);
        s->announced[i] = NULL;
    }
    return rc;
}

int fr_store_begin(fr_store *s, fr_error *err)
{
    return begin(s, 0, 0, err);
}

int fr_store_begin_nowait(fr_store *s, fr_error *err)
{
    return begin(s, 0, 1, err);
}

int fr_store_begin_audit(fr_store *s, fr_error *err)
{
    return begin(s, 1, 0, err);
}

int fr_store_commit(fr_store *s, fr_error *err)
{
    char sql[64];
    if (s->depth <= 0)
        return fr_error_set(err, FR_EINTERNAL, "commit without a transaction");
    int rc = s->depth == 1 ? end_announcements(s, 1, err) : 0;
    if (rc) {
        fr_store_rollback(s);
        return rc;
    }
    if (s->depth == 1)
        snprintf(sql, sizeof sql, "COMMIT");
    else
        snprintf(sql, sizeof sql, "RELEASE fr_sp%d", s->depth - 1);
    rc = s->ops->exec(s, sql, "committing", err);
    if (rc) {
        fr_store_rollback(s);
        return rc;
    }
    if (--s->depth == 0)
        s->note_key[0] = '\0';
    return 0;
}

void fr_store_rollback(fr_store *s)
{
    char sql[96];
    s->note_key[0] = '\0';
    if (s->depth <= 0)
        return;
    if (s->depth == 1) {
        end_announcements(s, 0, NULL);
        snprintf(sql, sizeof sql, "ROLLBACK");
    }
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO fr_sp%d; RELEASE fr_sp%d", s->depth - 1,
                 s->depth - 1);
    s->ops->exec(s, sql, "rolling back", NULL);
    s->depth--;
}

/* Folds the va_list into values: 'i' and 'I' are integers, 'R' is an
 * integer or NULL when 0. */
static int bind(fr_stmt *st, const char *types, va_list ap, fr_error *err)
{
    fr_store_value vals[64];
    int n = 0;
    for (const char *t = types ? types : ""; *t; t++) {
        if (n == (int)(sizeof vals / sizeof *vals))
            return fr_error_set(err, FR_EINTERNAL, "too many parameters (at most 64)");
        fr_store_value *v = &vals[n++];
        memset(v, 0, sizeof *v);
        switch (*t) {
        case 't':
            v->t = va_arg(ap, const char *);
            v->type = v->t ? 't' : 'n';
            break;
        case 'i': v->type = 'I'; v->i = va_arg(ap, int); break;
        case 'I': v->type = 'I'; v->i = va_arg(ap, int64_t); break;
        case 'R':
            v->i = va_arg(ap, int64_t);
            v->type = v->i ? 'I' : 'n';
            break;
        case 'd': v->type = 'd'; v->d = va_arg(ap, double); break;
        case 'n': v->type = 'n'; break;
        default:
            return fr_error_set(err, FR_EINTERNAL, "unknown parameter type '%c'", *t);
        }
    }
    return st->store->ops->bind(st, vals, n, err);
}

int fr_store_queryv(fr_store *s, fr_error *err, fr_stmt **out, const char *sql, const char *types,
                    va_list ap)
{
    int rc = s->ops->prepare(s, sql, out, err);
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
    return st->store->ops->step(st, err);
}

const char *fr_stmt_text(fr_stmt *st, int col)
{
    return st->store->ops->text(st, col);
}

int64_t fr_stmt_int(fr_stmt *st, int col)
{
    return st->store->ops->integer(st, col);
}

double fr_stmt_double(fr_stmt *st, int col)
{
    return st->store->ops->real(st, col);
}

int fr_stmt_is_null(fr_stmt *st, int col)
{
    return st->store->ops->type(st, col) == 'n';
}

int fr_stmt_type(fr_stmt *st, int col)
{
    return st->store->ops->type(st, col);
}

int fr_stmt_columns(fr_stmt *st)
{
    return st->store->ops->columns(st);
}

const char *fr_stmt_column_name(fr_stmt *st, int col)
{
    return st->store->ops->column_name(st, col);
}

void fr_stmt_done(fr_stmt *st)
{
    if (st)
        st->store->ops->done(st);
}

int64_t fr_store_last_id(fr_store *s)
{
    return s->ops->last_id(s);
}

int fr_store_changes(fr_store *s)
{
    return s->ops->changes(s);
}

int fr_store_optimize(fr_store *s, fr_error *err)
{
    return s->ops->optimize(s, err);
}

int fr_store_backup(fr_store *s, const char *dest, fr_error *err)
{
    if (!dest)
        return fr_error_set(err, FR_EINTERNAL, "a backup needs a destination");
    return s->ops->backup(s, dest, err);
}

int fr_store_backup_possible(fr_store *s, fr_error *err)
{
    return s->ops->backup(s, NULL, err);
}

/* A migration's text for this backend: lines between "-- backend: NAME"
 * and the next such marker are kept only on backend NAME ("all" ends a
 * section). Removed lines become empty lines, so that line numbers in
 * the engine's messages still match the file. */
char *fr_store_sql_for_backend(const char *sql, const char *backend)
{
    size_t n = strlen(sql);
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    int keep = 1;
    for (const char *p = sql; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p + 1) : strlen(p);
        if (strncmp(p, "-- backend:", 11) == 0) {
            const char *name = p + 11;
            while (*name == ' ')
                name++;
            size_t bl = strlen(backend);
            keep = strncmp(name, "all", 3) == 0 ||
                   (strncmp(name, backend, bl) == 0 && !(name[bl] >= 'a' && name[bl] <= 'z'));
        } else if (keep) {
            memcpy(o, p, len);
            o += len;
            p += len;
            continue;
        }
        if (eol)
            *o++ = '\n';
        p += len;
    }
    *o = '\0';
    return out;
}

int fr_store_has_table(fr_store *s, const char *name, int *out, fr_error *err)
{
    return s->ops->has_table(s, name, out, err);
}

int64_t fr_store_generation(fr_store *s)
{
    return s->ops->generation ? s->ops->generation(s) : -1;
}

int fr_store_unreachable(fr_store *s)
{
    return s->ops->unreachable ? s->ops->unreachable(s) : 0;
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

int fr_store_schema_version(fr_store *s, const char *owner, int *out, fr_error *err)
{
    int64_t v = 0;
    int exists = 0;
    *out = 0;
    int rc = fr_store_has_table(s, "schema_migrations", &exists, err);
    if (rc || !exists)
        return rc;
    rc = fr_store_query_int(s, err, &v,
                            "SELECT coalesce(max(version), 0) FROM schema_migrations "
                            "WHERE owner = ?",
                            "t", owner);
    if (rc)
        return rc;
    *out = (int)v;
    return 0;
}

/* *line: where in the file the migration failed, when the backend tells. */
static int apply_one(fr_store *s, const char *owner, const fr_migration *mig, int *line,
                     fr_error *err)
{
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    char *sql = fr_store_sql_for_backend(mig->sql, s->ops->name);
    if (!sql)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    int rc = fr_store_begin(s, err);
    *line = 0;
    if (!rc) {
        rc = fr_store_exec(s, sql, err);
        if (rc)
            *line = s->error_line;
        if (!rc)
            rc = fr_store_execf(s, err,
                                "INSERT INTO schema_migrations (owner, version, name, applied_at)"
                                " VALUES (?, ?, ?, ?)",
                                "titt", owner, mig->version, mig->name, now);
        if (!rc)
            rc = fr_store_commit(s, err);
        else
            fr_store_rollback(s);
    }
    free(sql);
    return rc;
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
    /* What to do differs: a newer Filrouge, or only a newer plugin. */
    if (current > newest && strcmp(owner, "core") == 0)
        return fr_error_set(err, FR_EVERSION,
                            "the database %s was written by a newer version of Filrouge: its "
                            "schema is at version %d, this program knows versions up to %d. "
                            "Run the newer Filrouge that wrote it, or restore a backup taken "
                            "before the upgrade; nothing was changed",
                            s->path, current, newest);
    if (current > newest)
        return fr_error_set(err, FR_EVERSION,
                            "the database %s was written by a newer version of plugin %s: its "
                            "schema is at version %d, the installed plugin knows versions up to "
                            "%d. Install the version of plugin %s that wrote it, or restore a "
                            "backup taken before the upgrade; nothing was changed",
                            s->path, owner, current, newest, owner);
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
        int line = 0;
        if ((rc = apply_one(s, owner, mig, &line, err))) {
            if (line > 0)
                fr_error_prefix(err,
                                "migration %s:%d (%s version %d) failed, the database is "
                                "unchanged: ",
                                mig->name, line, owner, v);
            else
                fr_error_prefix(err,
                                "migration %s (%s version %d) failed, the database is unchanged: ",
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

/* Copies the rows of one table, in id order. */
static int copy_table(fr_store *from, fr_store *to, const char *table, int64_t *rows,
                      fr_error *err)
{
    char sql[256];
    fr_stmt *src = NULL;
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY rowid", table);
    int rc = fr_store_query(from, err, &src, sql, NULL);
    if (rc)
        return rc;
    char *insert = NULL;
    int has_id = 0;
    *rows = 0;
    while ((rc = fr_stmt_step(src, err)) == 1) {
        int n = fr_stmt_columns(src);
        if (n > 64) {
            rc = fr_error_set(err, FR_EINTERNAL, "table %s has more than 64 columns", table);
            break;
        }
        if (!insert) {
            size_t cap = 64 + strlen(table) + (size_t)n * 72;
            insert = malloc(cap);
            if (!insert) {
                rc = fr_error_set(err, FR_ENOMEM, "out of memory");
                break;
            }
            int o = snprintf(insert, cap, "INSERT INTO \"%s\" (", table);
            for (int i = 0; i < n; i++) {
                const char *c = fr_stmt_column_name(src, i);
                has_id |= strcmp(c, "id") == 0;
                o += snprintf(insert + o, cap - (size_t)o, "%s\"%.60s\"", i ? ", " : "", c);
            }
            o += snprintf(insert + o, cap - (size_t)o, ") VALUES (");
            for (int i = 0; i < n; i++)
                o += snprintf(insert + o, cap - (size_t)o, "%s?", i ? ", " : "");
            snprintf(insert + o, cap - (size_t)o, ")");
        }
        fr_store_value vals[64];
        for (int i = 0; i < n; i++) {
            memset(&vals[i], 0, sizeof vals[i]);
            switch (fr_stmt_type(src, i)) {
            case 'i': vals[i].type = 'I'; vals[i].i = fr_stmt_int(src, i); break;
            case 'd': vals[i].type = 'd'; vals[i].d = fr_stmt_double(src, i); break;
            case 'n': vals[i].type = 'n'; break;
            default: vals[i].type = 't'; vals[i].t = fr_stmt_text(src, i); break;
            }
        }
        fr_stmt *dst = NULL;
        rc = to->ops->prepare(to, insert, &dst, err);
        if (!rc) {
            rc = to->ops->bind(dst, vals, n, err);
            while (!rc && (rc = fr_stmt_step(dst, err)) == 1)
                ;
            fr_stmt_done(dst);
        }
        if (rc) {
            fr_error_prefix(err, "copying table %s: ", table);
            break;
        }
        (*rows)++;
    }
    fr_stmt_done(src);
    free(insert);
    if (rc < 0)
        return rc;
    return to->ops->after_copy(to, table, has_id, err);
}

int fr_store_copy(fr_store *from, fr_store *to, json_t **counts, fr_error *err)
{
    json_t *tables = NULL, *c = json_object();
    int rc = from->ops->tables(from, &tables, err);
    size_t i;
    json_t *name;
    json_array_foreach(tables, i, name)
    {
        if (rc)
            break;
        int64_t rows = 0;
        rc = copy_table(from, to, json_string_value(name), &rows, err);
        if (!rc)
            json_object_set_new(c, json_string_value(name), json_integer((json_int_t)rows));
    }
    json_decref(tables);
    if (rc || !counts)
        json_decref(c);
    else
        *counts = c;
    return rc;
}
