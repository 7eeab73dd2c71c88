/* The store's PostgreSQL backend (libpq): chosen by a postgresql:// location
 * in site.xml, so that several Filrouge processes can share one database.
 *
 * The kernel's SQL is written for SQLite in a portable subset; this file
 * translates the few differences that remain (docs/postgresql.md):
 * parameters `?` and `?N` become `$n`; in DDL `INTEGER PRIMARY KEY` becomes
 * an identity column, INTEGER becomes BIGINT and REAL DOUBLE PRECISION;
 * LIKE becomes ILIKE (SQLite's LIKE ignores case); group_concat becomes
 * string_agg. There is no rowid: order by a column (core-008 gave scores and
 * flags one). Strings, quoted names, comments and $$ bodies are left alone.
 *
 * Announcements (fr_store_announce) are NOTIFY "filrouge_CHANNEL" with this
 * process's "host:pid" as payload, sent with the COMMIT; a listening
 * connection (LISTEN) counts those of other processes.
 *
 * Writers take turns as on SQLite: BEGIN also takes a transaction-scoped
 * advisory lock (key FR_LOCK_SPACE, 0), so a transaction's reads are still
 * true when it writes and two processes never lose each other's updates;
 * waiting longer than the busy timeout (lock_timeout) is FR_EBUSY. Named
 * session locks (fr_store_try_lock) live in the same key space.
 *
 * SQLite undoes only the failed statement; PostgreSQL aborts the whole
 * transaction. So inside a transaction every statement that writes runs
 * under a savepoint of its own, and an error undoes that statement alone,
 * as on SQLite; the first write of an inner level since its savepoint uses
 * the level's (pg.fresh). Rows are fetched whole when a statement is first stepped.
 *
 * Round trips: a round trip to the server costs more than most statements
 * it carries (a durable submission made about thirty, at 0.1–0.2 ms each
 * on loopback, measured). So inside a transaction the statements that only
 * mark its structure (SAVEPOINT, RELEASE, ROLLBACK TO, NOTIFY) are held
 * back and go with the next statement that needs an answer; and a
 * statement, its savepoint, its release and, for an INSERT into a table
 * the store cannot tell, the id it gave (lastval()) go together in one
 * pipeline (libpq's pipeline mode). An INSERT into a table with a
 * generated id returns it (RETURNING id, can_return_id).
 *
 * Connection lost (the database server restarted, a network cut): the
 * transaction in progress fails, and nothing of it was written. Before the
 * next statement outside a transaction, the store connects again (a new
 * libpq connection, as at open) and starts afresh: no statement prepared, held or
 * learned on the old connection is kept; the settings and LISTENs are
 * sent again. A statement that failed because the connection was lost is
 * tried once more on the new one when that cannot do anything twice: a
 * BEGIN, a SELECT outside a transaction. Not while a named session lock is
 * held (fr_store_try_lock): the server let it go with the old connection,
 * so the holder's statements fail until it unlocks. */
#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_backend.h"

#define MAX_PARAMS FR_STORE_PG_MAX_PARAMS
/* The first key of Filrouge's advisory locks ("FR"). */
#define FR_LOCK_SPACE "18002"
#define BEGIN_SQL "BEGIN; SELECT pg_advisory_xact_lock(" FR_LOCK_SPACE ", 0)"

typedef struct pg_stmt {
    fr_stmt base;
    char *sql; /* translated */
    int nparams;
    char *values[MAX_PARAMS];
    unsigned char typed[MAX_PARAMS + 1]; /* parameters sent with their bound type */
    Oid types[MAX_PARAMS];
    PGresult *res;
    int row;
    /* How an INSERT's id comes: ID_RETURNED (" RETURNING id" added,
     * can_return_id), ID_LASTVAL (a lastval() after it), or not at all. */
    enum { ID_NONE, ID_RETURNED, ID_LASTVAL } id_by;
} pg_stmt;

/* Statements held back inside a transaction (see "Round trips"). */
#define MAX_HELD 32

/* Prepared statements: each statement is parsed and planned by the server
 * once per connection, then run by name (parsing and planning took about
 * 40% of the server's CPU for a form submission, measured with perf). At
 * most PREPARED_MAX per connection; when all are taken, places are given
 * up in turn. Names are never reused (fr_pN, N counting up), so a
 * DEALLOCATE that did not happen harms nothing. A change of schema made
 * through exec forgets them all. */
#define PREPARED_MAX 256
#define CLOSING_MAX 16

typedef struct prepared {
    uint64_t hash;
    char *key; /* the SQL, then its parameters' types */
    unsigned id;
} prepared;

/* Translations (fr_store_pg_translate) kept per connection, found by the
 * hash of the SQL as the kernel wrote it: the kernel's statements are few
 * and run again and again, and translating each one on every run was 7%
 * of the server's CPU for a form submission (measured with perf). A place
 * holds the last statement whose hash led to it. */
#define TRANSLATED_MAX 512

typedef struct translated {
    uint64_t hash;
    char *sql; /* as written; NULL: a free place */
    char *pg;  /* as sent */
    int nparams;
    unsigned char typed[MAX_PARAMS + 1];
} translated;

typedef struct pg {
    PGconn *conn;
    translated *tr; /* TRANSLATED_MAX places, or NULL: none kept */
    int changes;
    char self[128]; /* this process, in its announcements: "host:pid" */
    char *held[MAX_HELD];
    int nheld;
    int64_t last_id; /* lastval() right after the last INSERT stepped */
    int last_id_known;
    /* A statement failed unguarded: the server aborted the transaction, so
     * nothing is held back until a ROLLBACK TO (a RELEASE must fail where
     * it is issued, not at the next statement, maybe another request's). */
    int aborted;
    prepared prep[PREPARED_MAX];
    int prep_next;           /* the next place given up when all are taken */
    unsigned prep_serial;    /* the last name given */
    unsigned closing[CLOSING_MAX]; /* given up, to DEALLOCATE outside a transaction */
    int nclosing;
    /* The schema's tables without a generated id (an identity or serial
     * `id`), space-separated between spaces (" a b "): an INSERT into one
     * gives no id, so no lastval() follows it (no_id). NULL: unknown. */
    char *no_id;
    char *with_id; /* those with one, likewise */
    /* Bit d: the level at depth d (2 and more: those with a savepoint of
     * their own, fr_sp<d-1>) has written nothing since its savepoint. A
     * write there needs no savepoint of its own: undoing it alone is
     * going back to the level's (see pg_step). */
    uint64_t fresh;
    /* For connecting again (see "Connection lost"): the settings sent
     * after connecting, the channels listened to, the named session locks
     * held (none may be held across a new connection: the server let
     * them go with the old one). */
    char *location; /* as given to open, for connecting again */
    char setup[256];
    char begin_nowait[200]; /* BEGIN_SQL with a lock_timeout of 1 ms */
    char listening[4][32];
    int nlistening;
    int locks;
    int reconnecting; /* a statement is tried again on the new connection */
    double next_attempt; /* CLOCK_MONOTONIC seconds: no new connection before */
    /* The schema changed inside the transaction in progress: the table
     * lists are read again when it ends (pg_exec). */
    int relearn;
} pg;

#define CONN(s) (((pg *)(s)->be)->conn)

/* ---- translation ---- */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = realloc(b->p, cap);
        if (!grown)
            abort();
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static int ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* Skips a quoted or commented part starting at p; returns its end, or p
 * when none starts here. */
static const char *skip_quoted(const char *p)
{
    if (*p == '\'' || *p == '"') {
        char q = *p++;
        while (*p && !(*p == q && p[1] != q))
            p += *p == q ? 2 : 1;
        return *p ? p + 1 : p;
    }
    if (p[0] == '-' && p[1] == '-') {
        const char *e = strchr(p, '\n');
        return e ? e : p + strlen(p);
    }
    if (p[0] == '/' && p[1] == '*') {
        const char *e = strstr(p + 2, "*/");
        return e ? e + 2 : p + strlen(p);
    }
    if (p[0] == '$') {
        const char *t = p + 1;
        while (ident_char(*t) && !isdigit((unsigned char)*t))
            t++;
        if (*t != '$')
            return p;
        size_t tl = (size_t)(t - p + 1);
        const char *e = t + 1;
        while ((e = strchr(e, '$')) && strncmp(e, p, tl) != 0)
            e++;
        return e ? e + tl : p + strlen(p);
    }
    return p;
}

char *fr_store_pg_translate(const char *sql, int *nparams, unsigned char *typed)
{
    buf b = {0};
    int n = 0;
    unsigned char seen[FR_STORE_PG_MAX_PARAMS + 1] = {0};
    put(&b, "", 0);
    for (const char *p = sql; *p;) {
        const char *q = skip_quoted(p);
        if (q != p) {
            put(&b, p, (size_t)(q - p));
            p = q;
        } else if (*p == '?') {
            char num[16];
            p++;
            if (isdigit((unsigned char)*p)) {
                int v = (int)strtol(p, (char **)&p, 10);
                n = v > n ? v : n;
                snprintf(num, sizeof num, "$%d", v);
            } else {
                snprintf(num, sizeof num, "$%d", ++n);
            }
            put(&b, num, strlen(num));
            /* PostgreSQL fixes an untyped parameter's type at its first use:
             * `? IS NULL` there leaves it undetermined. */
            int v = atoi(num + 1);
            if (typed && v > 0 && v <= FR_STORE_PG_MAX_PARAMS && !seen[v]) {
                const char *after = p;
                while (isspace((unsigned char)*after))
                    after++;
                typed[v] = strncasecmp(after, "IS", 2) == 0 && !ident_char(after[2]);
            }
            if (v > 0 && v <= FR_STORE_PG_MAX_PARAMS)
                seen[v] = 1;
        } else if (ident_char(*p) && (p == sql || (!ident_char(p[-1]) && p[-1] != '.'))) {
            const char *w = p;
            while (ident_char(*p))
                p++;
            size_t wl = (size_t)(p - w);
            const char *rest = p;
            while (isspace((unsigned char)*rest))
                rest++;
            if (word_is(w, wl, "INTEGER") && strncasecmp(rest, "PRIMARY KEY", 11) == 0) {
                const char *id = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
                put(&b, id, strlen(id));
                p = rest + 11;
            } else if (word_is(w, wl, "INTEGER")) {
                put(&b, "BIGINT", 6);
            } else if (word_is(w, wl, "REAL")) {
                put(&b, "DOUBLE PRECISION", 16);
            } else if (word_is(w, wl, "LIKE")) {
                put(&b, "ILIKE", 5);
            } else if (word_is(w, wl, "group_concat")) {
                put(&b, "string_agg", 10);
            } else {
                put(&b, w, wl);
            }
        } else {
            put(&b, p, 1);
            p++;
        }
    }
    for (int v = 1; typed && v <= n && v <= FR_STORE_PG_MAX_PARAMS; v++)
        if (!seen[v])
            typed[v] = 1; /* never used: only its bound type can say */
    if (nparams)
        *nparams = n;
    return b.p;
}

/* FNV-1a, 64 bits: the prepared statements' keys, the snapshot's hash. */
static uint64_t fnv1a(const char *text)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *c = text; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return h;
}

/* ---- errors ---- */

static int map_result(fr_store *s, const PGresult *res, fr_error *err, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(CONN(s));
    const char *path = s->path ? s->path : "(database)";
    if (!state || PQstatus(CONN(s)) == CONNECTION_BAD || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "57P", 3) == 0)
        return fr_error_set(err, FR_EIO,
                            "%s: the connection to the database server %s was lost (%s); "
                            "nothing more was written, check that the server runs and try "
                            "again",
                            what, path, msg);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0)
        return fr_error_set(err, FR_EBUSY,
                            "%s: the database %s is busy with another process's change to "
                            "the same data (%s); nothing was written, try again",
                            what, path, msg);
    /* Named as SQLite names them, so that messages read alike. */
    if (strncmp(state, "23", 2) == 0)
        return fr_error_set(err, FR_EINVAL, "%s: %s constraint failed: %s", what,
                            strcmp(state, "23505") == 0   ? "UNIQUE"
                            : strcmp(state, "23502") == 0 ? "NOT NULL"
                            : strcmp(state, "23503") == 0 ? "FOREIGN KEY"
                            : strcmp(state, "23514") == 0 ? "CHECK"
                                                          : "integrity",
                            msg);
    if (strcmp(state, "53100") == 0)
        return fr_error_set(err, FR_EIO,
                            "%s: the database server's disk is full; nothing was written. "
                            "Free some space, then try again (reading still works)",
                            what);
    if (strcmp(state, "25006") == 0)
        return fr_error_set(err, FR_EIO, "%s: the database %s is read-only (%s)", what, path,
                            msg);
    return fr_error_set(err, FR_EIO, "%s: %s (database %s)", what, msg, path);
}

static void drop_held(pg *p)
{
    for (int i = 0; i < p->nheld; i++)
        free(p->held[i]);
    p->nheld = 0;
}

static int connect_again(fr_store *s, fr_error *err, const char *what);
static int connection_lost(const pg *p);

/* What may be sent again on a new connection after the old one was lost
 * under it, outside a transaction: nothing of it can have been done twice
 * (a SELECT's side effects are the lock functions', let go with the old
 * connection, and setval's, the same again). */
static int retriable(const char *sql)
{
    static const char *const verbs[] = {"BEGIN", "SELECT ", "SET ", "LISTEN ", "DEALLOCATE "};
    while (isspace((unsigned char)*sql))
        sql++;
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
        if (strncasecmp(sql, verbs[i], strlen(verbs[i])) == 0)
            return 1;
    return 0;
}

/* The line of the text run (from byte sql_at of what was sent, after the
 * statements held back) where the server placed its error
 * (PG_DIAG_STATEMENT_POSITION: characters from 1), or 0 when it gives none
 * (a constraint, say) or it is in what was held back. The translation
 * keeps the lines of the text it translates. */
static int error_line(const PGresult *res, const char *sent, size_t sql_at)
{
    const char *at = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
    long pos = at ? atol(at) : 0;
    if (pos <= 0)
        return 0;
    const char *c = sent;
    for (long chars = 1; *c && chars < pos; c++)
        if (((unsigned char)c[1] & 0xC0) != 0x80)
            chars++; /* the next byte begins a character */
    if ((size_t)(c - sent) < sql_at)
        return 0;
    int line = 1;
    for (const char *q = sent + sql_at; q < c; q++)
        line += *q == '\n';
    return line;
}

/* Runs text without parameters, after the statements held back, in one
 * round trip; 0 or a mapped error. */
static int run(fr_store *s, const char *sql, const char *what, fr_error *err)
{
    pg *p = s->be;
    if (connection_lost(p)) {
        int rc = connect_again(s, err, what);
        if (rc) {
            drop_held(p);
            if (s->depth > 0)
                p->aborted = 1;
            return rc;
        }
    }
    buf b = {0};
    put(&b, "", 0);
    for (int i = 0; i < p->nheld; i++) {
        put(&b, p->held[i], strlen(p->held[i]));
        put(&b, "; ", 2);
    }
    drop_held(p);
    size_t sql_at = b.len;
    put(&b, sql, strlen(sql));
    PGresult *res = PQexec(p->conn, b.p);
    p->last_id_known = 0;
    ExecStatusType st = PQresultStatus(res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0
                                                             : map_result(s, res, err, what);
    /* kept over what runs after the failure (DEALLOCATE ALL, refused too
     * in the aborted transaction) until the next exec */
    int line = rc ? error_line(res, b.p, sql_at) : 0;
    if (line)
        s->error_line = line;
    free(b.p);
    /* COMMIT of a transaction a failed statement had aborted answers
     * "ROLLBACK", without an error: nothing was written. */
    if (!rc && strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
        rc = fr_error_set(err, FR_EIO,
                          "%s: a statement of the transaction had failed, so the database "
                          "undid it all; nothing was written, try again",
                          what);
    if (!rc && *PQcmdTuples(res))
        p->changes = atoi(PQcmdTuples(res));
    PQclear(res);
    if (rc && s->depth > 0)
        p->aborted = 1;
    else if (!rc && (strcasestr(sql, "ROLLBACK") || strcmp(sql, "COMMIT") == 0))
        p->aborted = 0;
    if (rc && s->depth == 0 && connection_lost(p) && !p->reconnecting && p->locks == 0 &&
        retriable(sql) && connect_again(s, NULL, what) == 0) {
        fr_error_clear(err);
        p->reconnecting = 1;
        rc = run(s, sql, what, err);
        p->reconnecting = 0;
    }
    return rc;
}

/* The next statement of sql from *p (blanks and ';' skipped): its start,
 * with its length in *len (trailing blanks cut) and *p after it; NULL at
 * the end. Quoted parts may hold ';'. */
static const char *next_statement(const char **p, size_t *len)
{
    const char *c = *p;
    while (isspace((unsigned char)*c) || *c == ';')
        c++;
    if (!*c)
        return NULL;
    const char *e = c;
    while (*e && *e != ';') {
        const char *q = skip_quoted(e);
        e = q != e ? q : e + 1;
    }
    size_t n = (size_t)(e - c);
    while (n && isspace((unsigned char)c[n - 1]))
        n--;
    *len = n;
    *p = e;
    return c;
}

/* The number of statements in sql when each only marks the structure of
 * the transaction (SAVEPOINT, RELEASE, ROLLBACK TO, NOTIFY), else 0: such
 * statements are held back inside a transaction. */
static int holdable(const char *sql)
{
    static const char *const verbs[] = {"SAVEPOINT ", "RELEASE ", "ROLLBACK TO ", "NOTIFY "};
    int n = 0;
    size_t len;
    for (const char *c; (c = next_statement(&sql, &len)); n++) {
        int ok = 0;
        for (size_t v = 0; v < sizeof verbs / sizeof *verbs && !ok; v++)
            ok = strncasecmp(c, verbs[v], strlen(verbs[v])) == 0;
        if (!ok)
            return 0;
    }
    return n;
}

/* Holds each statement of sql back (holdable, and room checked); 0, or -1
 * out of memory (what was held stays held, the rest is lost: the caller
 * fails the transaction). */
static int hold(pg *p, const char *sql)
{
    size_t len;
    for (const char *c; (c = next_statement(&sql, &len));) {
        if (!(p->held[p->nheld] = strndup(c, len)))
            return -1;
        p->nheld++;
    }
    return 0;
}

/* Forgets the prepared statements (on the server too, when it can). */
static void forget_prepared(fr_store *s)
{
    pg *p = s->be;
    for (int i = 0; i < PREPARED_MAX; i++) {
        free(p->prep[i].key);
        p->prep[i].key = NULL;
    }
    p->nclosing = 0;
    run(s, "DEALLOCATE ALL", "forgetting prepared statements", NULL);
}

/* Lists the tables of the connection's schema that have a generated id
 * (p->with_id) and those that have none (p->no_id); both NULL when the
 * lists cannot be read: every INSERT is then followed by lastval(), as
 * before the lists. */
static void learn_tables(fr_store *s)
{
    pg *p = s->be;
    free(p->no_id);
    free(p->with_id);
    p->no_id = p->with_id = NULL;
    if (p->aborted)
        return;
    PGresult *res = PQexec(
        p->conn, "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a LEFT JOIN pg_attrdef d"
                 " ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = c.oid"
                 " AND a.attname = 'id' AND NOT a.attisdropped AND (a.attidentity <> '' OR"
                 " pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')) FROM pg_class c JOIN"
                 " pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
                 " AND c.relkind IN ('r', 'p') ORDER BY 1");
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        buf with = {0}, none = {0};
        put(&with, " ", 1);
        put(&none, " ", 1);
        for (int i = 0; i < PQntuples(res); i++) {
            buf *b = PQgetvalue(res, i, 1)[0] == 't' ? &with : &none;
            put(b, PQgetvalue(res, i, 0), strlen(PQgetvalue(res, i, 0)));
            put(b, " ", 1);
        }
        p->with_id = with.p;
        p->no_id = none.p;
    }
    PQclear(res);
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Connects to location. A host that does not answer at all is given up
 * after CONNECT_TIMEOUT seconds unless the location says otherwise
 * (libpq's connect_timeout; without one a connection waits for the
 * system's TCP timeout, minutes, and so would every request). */
#define CONNECT_TIMEOUT "10"
static PGconn *connect_to(const char *location)
{
    /* the location's own parameters override those before it */
    const char *const keys[] = {"connect_timeout", "dbname", NULL};
    const char *const values[] = {CONNECT_TIMEOUT, location, NULL};
    return PQconnectdbParams(keys, values, 1);
}

static double monotonic_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connection_lost(const pg *p)
{
    return PQstatus(p->conn) != CONNECTION_OK; /* a NULL conn: CONNECTION_BAD */
}

/* Connects again when the connection was lost, outside a transaction and
 * while no named lock is held (see "Connection lost"); 0 when connected
 * (again), else a mapped error. */
static int connect_again(fr_store *s, fr_error *err, const char *what)
{
    pg *p = s->be;
    if (!connection_lost(p))
        return 0;
    if (s->depth > 0 || p->locks > 0 || p->reconnecting)
        return map_result(s, NULL, err, what);
    /* At most one attempt a second: meanwhile requests fail at once
     * rather than each wait for a server that is not there. */
    double now = monotonic_seconds();
    if (now < p->next_attempt)
        return fr_error_set(err, FR_EIO,
                            "%s: the connection to the database server %s was lost and it "
                            "cannot be reached again yet; nothing more was written, check that "
                            "the server runs and try again",
                            what, s->path);
    /* A new connection object rather than PQreset: the old one may have
     * been lost in the middle of a pipeline (PQexitPipelineMode refused:
     * "cannot exit pipeline mode while busy"), and nothing of its state
     * must carry over. */
    PGconn *fresh = connect_to(p->location);
    if (PQstatus(fresh) != CONNECTION_OK) {
        p->next_attempt = monotonic_seconds() + 1.0;
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(fresh));
        msg[strcspn(msg, "\n")] = '\0';
        PQfinish(fresh);
        return fr_error_set(err, FR_EIO,
                            "%s: the connection to the database server %s was lost and it "
                            "cannot be reached again yet (%s); nothing more was written, check "
                            "that the server runs and try again",
                            what, s->path, msg);
    }
    PQfinish(p->conn);
    p->conn = fresh;
    PQsetNoticeProcessor(p->conn, quiet, NULL);
    drop_held(p);
    for (int i = 0; i < PREPARED_MAX; i++) {
        free(p->prep[i].key);
        p->prep[i].key = NULL;
    }
    p->nclosing = 0;
    p->aborted = 0;
    p->fresh = 0;
    p->last_id_known = 0;
    p->reconnecting = 1; /* run() below: no second attempt */
    int rc = run(s, p->setup, what, err);
    for (int i = 0; !rc && i < p->nlistening; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "LISTEN \"filrouge_%s\"", p->listening[i]);
        rc = run(s, sql, what, err);
    }
    p->reconnecting = 0;
    p->relearn = 0;
    if (!rc)
        learn_tables(s);
    return rc;
}

/* The table an INSERT INTO sql names, lower-case between spaces (" t "),
 * into name; *after: what follows the name. 0 when sql is not such an
 * INSERT or names its table in a way not told apart here (quoted,
 * qualified). */
static int insert_table(const char *sql, char name[66], const char **after)
{
    const char *c = sql;
    while (isspace((unsigned char)*c))
        c++;
    if (strncasecmp(c, "INSERT", 6) != 0 || !isspace((unsigned char)c[6]))
        return 0;
    for (c += 6; isspace((unsigned char)*c); c++)
        ;
    if (strncasecmp(c, "INTO", 4) != 0 || !isspace((unsigned char)c[4]))
        return 0;
    for (c += 4; isspace((unsigned char)*c); c++)
        ;
    size_t n = 0;
    while (isalnum((unsigned char)c[n]) || c[n] == '_')
        n++;
    if (n == 0 || n > 62 || c[n] == '.' || c[n] == '"')
        return 0;
    snprintf(name, 66, " %.*s ", (int)n, c);
    for (size_t i = 1; i <= n; i++)
        name[i] = (char)tolower((unsigned char)name[i]);
    *after = c + n;
    return 1;
}

/* Whether the INSERT sql names the id itself (its first column). */
static int names_id(const char *after)
{
    const char *col = after;
    while (isspace((unsigned char)*col))
        col++;
    if (*col != '(')
        return 0;
    for (col++; isspace((unsigned char)*col); col++)
        ;
    return strncasecmp(col, "id", 2) == 0 &&
           (col[2] == ',' || col[2] == ')' || isspace((unsigned char)col[2]));
}

/* Whether the INSERT sql gives no id of its own making: its table is known
 * to have no generated id, or it names the id itself. Then the id
 * lastval() would read is not this row's, and nobody asks for it after
 * such an INSERT (fr_store_last_id still reads it if asked). A table it
 * cannot tell (quoted, qualified, created since) is followed by lastval()
 * as before. */
static int no_id(const pg *p, const char *sql)
{
    char name[66];
    const char *after;
    if (!insert_table(sql, name, &after))
        return 0;
    return (p->no_id && strstr(p->no_id, name)) || names_id(after);
}

/* Whether the INSERT sql (translated) can return the id it gives: its
 * table is known to have a generated id, it does not name it, and
 * " RETURNING id" can follow it as written (no RETURNING already, no
 * comment, one statement). The id then comes with the statement instead
 * of a lastval() after it (pg_step), and the row it returns is not shown
 * to the caller. */
static int can_return_id(const pg *p, const char *sql)
{
    char name[66];
    const char *after;
    if (!p->with_id || !insert_table(sql, name, &after) || !strstr(p->with_id, name) ||
        names_id(after))
        return 0;
    return !strchr(sql, ';') && !strstr(sql, "--") && !strstr(sql, "/*") &&
           !strcasestr(sql, "RETURNING");
}

static int is_insert(const char *sql)
{
    while (isspace((unsigned char)*sql))
        sql++;
    return strncasecmp(sql, "INSERT", 6) == 0;
}

/* Whether sql may change the schema (and so the prepared statements'
 * results): it names CREATE, ALTER or DROP. */
static int changes_schema(const char *sql)
{
    return strcasestr(sql, "CREATE ") || strcasestr(sql, "ALTER ") || strcasestr(sql, "DROP ");
}

#define FRESH_MAX 63 /* the deepest level tracked in pg.fresh */

static void set_fresh(pg *p, int depth, int on)
{
    if (depth < 0 || depth > FRESH_MAX)
        return;
    if (on)
        p->fresh |= (uint64_t)1 << depth;
    else
        p->fresh &= ~((uint64_t)1 << depth);
}

static int is_fresh(const pg *p, int depth)
{
    return depth >= 2 && depth <= FRESH_MAX && (p->fresh >> depth & 1);
}

/* Follows the levels (store.c: SAVEPOINT fr_sp<d> opens depth d+1, its
 * RELEASE closes it into its parent, ROLLBACK TO … RELEASE undoes it)
 * for pg.fresh, before sql (text run through exec) is sent at the current
 * depth. */
static void track_levels(fr_store *s, const char *sql)
{
    pg *p = s->be;
    int d = s->depth;
    if (d == 0 ||
        (strncasecmp(sql, "ROLLBACK", 8) == 0 && strncasecmp(sql, "ROLLBACK TO", 11) != 0))
        p->fresh = 0; /* BEGIN, COMMIT or ROLLBACK of the whole */
    else if (strncmp(sql, "SAVEPOINT fr_sp", 15) == 0)
        set_fresh(p, d + 1, 1);
    else if (strncmp(sql, "RELEASE fr_sp", 13) == 0) {
        if (!is_fresh(p, d)) /* the parent now holds what the level wrote */
            set_fresh(p, d - 1, 0);
        set_fresh(p, d, 0);
    } else /* ROLLBACK TO fr_sp…: undone, the parent is as it was; anything
            * else may write, or is a savepoint of someone else's */
        set_fresh(p, d, 0);
}

static int pg_exec(fr_store *s, const char *sql, const char *what, fr_error *err)
{
    pg *p = s->be;
    s->error_line = 0;
    char *t = fr_store_pg_translate(sql, NULL, NULL);
    int rc, n = holdable(t);
    const char *w = t;
    while (isspace((unsigned char)*w))
        w++;
    int undoes = strcasestr(t, "ROLLBACK TO") != NULL;
    track_levels(s, w);
    if (s->depth > 0 && n > 0 && p->nheld + n <= MAX_HELD && (!p->aborted || undoes)) {
        rc = hold(p, t) ? fr_error_set(err, FR_ENOMEM, "%s: out of memory", what) : 0;
        if (!rc && undoes)
            p->aborted = 0; /* sent first with the next statement */
        free(t);
        return rc;
    }
    /* The whole transaction is undone: what was held back goes with it. */
    if (strncasecmp(w, "ROLLBACK", 8) == 0 && !n)
        drop_held(p);
    rc = run(s, t, what, err);
    if (changes_schema(t)) {
        forget_prepared(s);
        if (s->depth == 0) {
            learn_tables(s);
        } else {
            /* Not inside the transaction: a ROLLBACK would leave the lists
             * saying what it undid, and a failing catalog query would
             * abort the caller's transaction. Unknown until it ends (every
             * INSERT then reads lastval(), as for a table not listed). */
            free(p->no_id);
            free(p->with_id);
            p->no_id = p->with_id = NULL;
            p->relearn = 1;
        }
    } else if (p->relearn && s->depth == 1 &&
               (strcasecmp(w, "COMMIT") == 0 || (strncasecmp(w, "ROLLBACK", 8) == 0 && !undoes))) {
        learn_tables(s);                 /* the transaction has ended */
        p->relearn = p->with_id == NULL; /* not read: again at the next end */
    }
    free(t);
    return rc;
}

/* BEGIN_SQL, except that the writers' lock is not waited for: 55P03
 * (FR_EBUSY) after 1 ms while another transaction holds it. */
static int pg_begin_nowait(fr_store *s, const char *what, fr_error *err)
{
    return pg_exec(s, ((pg *)s->be)->begin_nowait, what, err);
}

/* ---- connection ---- */

/* The location without its password, for messages. */
static char *shown_location(const char *location)
{
    char *out = strdup(location);
    char *at, *colon, *start = out ? strstr(out, "://") : NULL;
    if (!start)
        return out;
    start += 3;
    at = strchr(start, '@');
    colon = strchr(start, ':');
    if (at && colon && colon < at)
        memmove(colon, at, strlen(at) + 1);
    return out;
}

static int pg_open(fr_store *s, const char *location, const fr_store_options *opt, fr_error *err)
{
    s->path = shown_location(location);
    pg *p = calloc(1, sizeof *p);
    if (!s->path || !p) {
        free(p);
        return fr_error_set(err, FR_ENOMEM, "out of memory opening %s", location);
    }
    s->be = p;
    if (!(p->location = strdup(location)))
        return fr_error_set(err, FR_ENOMEM, "out of memory opening %s", s->path);
    p->conn = connect_to(location);
    if (PQstatus(p->conn) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(p->conn));
        msg[strcspn(msg, "\n")] = '\0';
        return fr_error_set(err, FR_EIO,
                            "cannot connect to the database server %s: %s; check that the "
                            "server runs and the <database> connection string in site.xml",
                            s->path, msg);
    }
    PQsetNoticeProcessor(p->conn, quiet, NULL);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(p->self, sizeof p->self, "%s:%ld", host, (long)getpid());
    for (char *c = p->self; *c; c++) /* it goes into a literal */
        if (*c == '\'' || *c == '\\')
            *c = '_';
    snprintf(p->setup, sizeof p->setup,
             "SET lock_timeout = %d; SET client_min_messages = warning; "
             "SET default_transaction_read_only = %s",
             opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000,
             opt->read_only ? "on" : "off");
    snprintf(p->begin_nowait, sizeof p->begin_nowait,
             "BEGIN; SET LOCAL lock_timeout = 1; SELECT pg_advisory_xact_lock(" FR_LOCK_SPACE
             ", 0); SET LOCAL lock_timeout = %d",
             opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000);
    int rc = run(s, p->setup, "opening the site database", err);
    if (!rc)
        learn_tables(s);
    return rc;
}

static void pg_close(fr_store *s)
{
    pg *p = s->be;
    if (!p)
        return;
    drop_held(p);
    for (int i = 0; i < PREPARED_MAX; i++)
        free(p->prep[i].key);
    free(p->no_id);
    free(p->with_id);
    for (int i = 0; p->tr && i < TRANSLATED_MAX; i++) {
        free(p->tr[i].sql);
        free(p->tr[i].pg);
    }
    free(p->tr);
    PQfinish(p->conn);
    if (p->location)
        explicit_bzero(p->location, strlen(p->location)); /* it may hold a password */
    free(p->location);
    free(p);
}

/* ---- statements ---- */

/* Sets st's translated SQL, its number of parameters and their typing,
 * from the connection's translations or made and kept there. 0, or -1 out
 * of memory. */
static int translation(pg *p, const char *sql, pg_stmt *st)
{
    if (!p->tr)
        p->tr = calloc(TRANSLATED_MAX, sizeof *p->tr);
    uint64_t hash = fnv1a(sql);
    translated *t = p->tr ? &p->tr[hash % TRANSLATED_MAX] : NULL;
    if (t && t->sql && t->hash == hash && strcmp(t->sql, sql) == 0) {
        st->sql = strdup(t->pg);
        st->nparams = t->nparams;
        memcpy(st->typed, t->typed, sizeof st->typed);
        return st->sql ? 0 : -1;
    }
    st->sql = fr_store_pg_translate(sql, &st->nparams, st->typed);
    if (!st->sql)
        return -1;
    char *key = t ? strdup(sql) : NULL, *pgsql = key ? strdup(st->sql) : NULL;
    if (!pgsql) {
        free(key);
        return 0; /* not kept, but translated */
    }
    free(t->sql);
    free(t->pg);
    *t = (translated){.hash = hash, .sql = key, .pg = pgsql, .nparams = st->nparams};
    memcpy(t->typed, st->typed, sizeof t->typed);
    return 0;
}

static int pg_prepare(fr_store *s, const char *sql, fr_stmt **out, fr_error *err)
{
    pg_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    st->base.store = s;
    st->row = -1;
    if (translation(s->be, sql, st)) {
        free(st);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    if (st->nparams > MAX_PARAMS) {
        free(st->sql);
        free(st);
        return fr_error_set(err, FR_EINTERNAL, "too many parameters (at most %d)", MAX_PARAMS);
    }
    if (can_return_id(s->be, st->sql)) {
        size_t len = strlen(st->sql);
        char *with = realloc(st->sql, len + sizeof " RETURNING id");
        if (!with) {
            free(st->sql);
            free(st);
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        }
        memcpy(with + len, " RETURNING id", sizeof " RETURNING id");
        st->sql = with;
        st->id_by = ID_RETURNED;
    } else if (is_insert(st->sql) && !no_id(s->be, st->sql)) {
        st->id_by = ID_LASTVAL;
    }
    *out = &st->base;
    return 0;
}

/* Type OIDs (pg_type.h is a server header). */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26,
       OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700, OID_TEXT = 25 };

static int pg_bind(fr_stmt *base, const fr_store_value *v, int n, fr_error *err)
{
    pg_stmt *st = (pg_stmt *)base;
    for (int i = 0; i < n && i < MAX_PARAMS; i++) {
        char num[40];
        const char *text = NULL;
        switch (v[i].type) {
        case 't': text = v[i].t; break;
        case 'I': snprintf(num, sizeof num, "%lld", (long long)v[i].i); text = num; break;
        case 'd': snprintf(num, sizeof num, "%.17g", v[i].d); text = num; break;
        default: break;
        }
        free(st->values[i]);
        st->values[i] = text ? strdup(text) : NULL;
        /* Reals are always sent typed (`CASE … THEN ?` would else be
         * text); integers and text only where the server cannot infer
         * them, since SQLite compares an integer with a text column. */
        st->types[i] = v[i].type == 'd'   ? OID_FLOAT8
                       : !st->typed[i + 1] ? 0
                       : v[i].type == 'I'  ? OID_INT8
                                           : OID_TEXT;
        if (text && !st->values[i])
            return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    return 0;
}

static int writes(const char *sql)
{
    while (isspace((unsigned char)*sql))
        sql++;
    return strncasecmp(sql, "SELECT", 6) != 0 && strncasecmp(sql, "WITH", 4) != 0;
}

/* One command of a pipeline: sql and name NULL, a synchronisation point
 * (the end of an implicit transaction outside BEGIN; the answers come
 * after it); sql alone, a statement; name and sql, a statement prepared
 * under that name; name alone, a prepared statement run. */
typedef struct cmd {
    const char *sql;
    const char *name;
    int nparams;
    const Oid *types;
    const char *const *values;
    PGresult *res; /* its result, or NULL when none came */
} cmd;

static int send_cmd(PGconn *conn, const cmd *c)
{
    if (c->name && c->sql)
        return PQsendPrepare(conn, c->name, c->sql, c->nparams, c->types);
    if (c->name)
        return PQsendQueryPrepared(conn, c->name, c->nparams, c->values, NULL, NULL, 0);
    if (c->sql)
        return PQsendQueryParams(conn, c->sql, c->nparams, c->types, c->values, NULL, NULL, 0);
    return PQpipelineSync(conn);
}

#define IS_SYNC(c) (!(c).sql && !(c).name)

static int ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/* Sends the commands (the last one a synchronisation point) in one round
 * trip and collects each one's result; 0, or a mapped error when the
 * connection failed (some results may then be missing). */
static int pipeline(fr_store *s, cmd *c, int n, fr_error *err)
{
    PGconn *conn = CONN(s);
    if (!PQenterPipelineMode(conn))
        return map_result(s, NULL, err, "running a query");
    int sent = 0, syncs = 0, broken = 0;
    for (; sent < n; sent++) {
        if (!send_cmd(conn, &c[sent]))
            break;
        syncs += IS_SYNC(c[sent]);
    }
    if (sent < n) {
        broken = 1;
        if (PQpipelineSync(conn))
            syncs++;
    }
    for (int i = 0; i < n && syncs > 0; i++) {
        if (i >= sent) {
            broken = 1;
            break;
        }
        PGresult *r = PQgetResult(conn);
        if (!r) {
            broken = 1;
            break;
        }
        if (IS_SYNC(c[i])) {
            syncs--;
            broken |= PQresultStatus(r) != PGRES_PIPELINE_SYNC;
            PQclear(r);
            continue;
        }
        c[i].res = r;
        while ((r = PQgetResult(conn))) /* a command's results end with NULL */
            PQclear(r);
    }
    /* What is left unread (after a failure to send) up to the last sync.
     * Two NULLs in a row: libpq has nothing more to give (it once gave
     * nothing more while a sync was still counted, and this loop spun). */
    for (int nulls = 0; syncs > 0 && nulls < 2 && PQstatus(conn) == CONNECTION_OK;) {
        PGresult *r = PQgetResult(conn);
        if (!r) {
            nulls++;
            continue;
        }
        nulls = 0;
        syncs -= PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
    }
    int left = PQexitPipelineMode(conn);
    if (!left || broken || PQstatus(conn) != CONNECTION_OK) {
        int rc = map_result(s, NULL, err, "running a query");
        /* Answers and questions no longer match (results missing, pipeline
         * mode not left): the connection is closed at once, so that the
         * server ends its transaction and lets its locks go, and it is
         * replaced before the next statement outside a transaction (libpq
         * takes a NULL connection as a bad one). */
        if (!left || broken) {
            PQfinish(conn);
            ((pg *)s->be)->conn = NULL;
        }
        return rc;
    }
    return 0;
}

/* The prepared statements' key: the SQL, then its parameters' types. */
static char *prepared_key(const pg_stmt *st, uint64_t *hash)
{
    buf b = {0};
    put(&b, st->sql, strlen(st->sql));
    for (int i = 0; i < st->nparams; i++) {
        char t[16];
        int n = snprintf(t, sizeof t, "\x1f%u", (unsigned)st->types[i]);
        put(&b, t, (size_t)n);
    }
    *hash = fnv1a(b.p);
    return b.p;
}

static prepared *prepared_find(pg *p, uint64_t hash, const char *key)
{
    for (int i = 0; i < PREPARED_MAX; i++)
        if (p->prep[i].key && p->prep[i].hash == hash && strcmp(p->prep[i].key, key) == 0)
            return &p->prep[i];
    return NULL;
}

/* Gives a prepared statement up: its DEALLOCATE waits for a moment outside
 * a transaction (one there would fail the transaction if anything were
 * amiss); when too many wait, the server keeps it till the connection
 * closes. */
static void prepared_give_up(pg *p, prepared *e)
{
    if (p->nclosing < CLOSING_MAX)
        p->closing[p->nclosing++] = e->id;
    free(e->key);
    e->key = NULL;
}

/* Keeps a statement the server has just prepared under fr_p<id>. */
static void prepared_keep(pg *p, char *key, uint64_t hash, unsigned id)
{
    prepared *e = NULL;
    for (int i = 0; i < PREPARED_MAX && !e; i++)
        if (!p->prep[i].key)
            e = &p->prep[i];
    if (!e) {
        e = &p->prep[p->prep_next];
        p->prep_next = (p->prep_next + 1) % PREPARED_MAX;
        prepared_give_up(p, e);
    }
    *e = (prepared){hash, key, id};
}

static int pg_step(fr_stmt *base, fr_error *err)
{
    pg_stmt *st = (pg_stmt *)base;
    fr_store *s = base->store;
    pg *p = s->be;
    if (!st->res && connection_lost(p)) {
        int rc = connect_again(s, err, "running a query");
        if (rc) {
            drop_held(p);
            if (s->depth > 0)
                p->aborted = 1;
            return rc;
        }
    }
    if (!st->res) {
        /* [DEALLOCATEs given up, each on its own], held statements,
         * [SAVEPOINT], [PREPARE], the statement, [RELEASE], [the id it
         * gave, under a savepoint of its own: lastval() fails when no
         * sequence was used yet on the connection], sync. */
        cmd c[2 * CLOSING_MAX + MAX_HELD + 8] = {{0}};
        char closing[CLOSING_MAX][32], name[32];
        int n = 0, in_tx = s->depth > 0, retry = 0, depth = s->depth;
        /* A write at a level that has written nothing since its savepoint
         * is undone alone by going back to that savepoint (which stays):
         * no savepoint of its own, one subtransaction fewer. */
        int level_guard = in_tx && writes(st->sql) && is_fresh(p, depth) && !p->aborted;
        int guard = in_tx && writes(st->sql) && !level_guard;
        for (int i = 0; !in_tx && i < p->nclosing; i++) {
            snprintf(closing[i], sizeof closing[i], "DEALLOCATE fr_p%u", p->closing[i]);
            c[n++].sql = closing[i];
            n++; /* a sync: a failure there is of no consequence */
        }
        if (!in_tx)
            p->nclosing = 0;
        int first_held = n;
        for (int i = 0; i < p->nheld; i++)
            c[n++].sql = p->held[i];
        int held_end = n;
        if (guard)
            c[n++].sql = "SAVEPOINT fr_stmt";
        uint64_t hash;
        char *key = prepared_key(st, &hash);
        prepared *known = prepared_find(p, hash, key);
        unsigned id = known ? known->id : ++p->prep_serial;
        snprintf(name, sizeof name, "fr_p%u", id);
        int prep = -1;
        if (!known) {
            prep = n++;
            c[prep] = (cmd){st->sql, name, st->nparams, st->types, NULL, NULL};
        }
        int me = n++;
        c[me] = (cmd){NULL, name, st->nparams, NULL, (const char *const *)st->values, NULL};
        if (guard)
            c[n++].sql = "RELEASE fr_stmt";
        int idq = -1;
        if (st->id_by == ID_LASTVAL) {
            if (in_tx) {
                c[n++].sql = "SAVEPOINT fr_lastval";
                idq = n;
                c[n++].sql = "SELECT lastval()";
                c[n++].sql = "RELEASE fr_lastval";
            } else {
                n++; /* a failed lastval() must not undo the INSERT */
                idq = n;
                c[n++].sql = "SELECT lastval()";
            }
        }
        n++;
        p->last_id_known = 0;
        int rc = pipeline(s, c, n, err);
        drop_held(p);
        if (prep >= 0 && ok(c[prep].res))
            prepared_keep(p, key, hash, id);
        else
            free(key);
        for (int i = first_held; !rc && i < held_end; i++)
            if (!ok(c[i].res))
                rc = map_result(s, c[i].res, err, "running a query");
        if (!rc && guard && !ok(c[held_end].res))
            rc = map_result(s, c[held_end].res, err, "running a query");
        if (!rc && prep >= 0 && !ok(c[prep].res))
            rc = map_result(s, c[prep].res, err, "running a query");
        if (!rc && !ok(c[me].res)) {
            rc = map_result(s, c[me].res, err, "running a query");
            /* "cached plan must not change result type": another
             * connection changed the schema under it. Prepared again, and
             * tried again where the failure undid nothing else. */
            const char *state = PQresultErrorField(c[me].res, PG_DIAG_SQLSTATE);
            if (known && state && strcmp(state, "0A000") == 0) {
                prepared_give_up(p, known);
                retry = !in_tx || guard || level_guard;
            }
        }
        int undone = 0, held_ok = 1;
        for (int i = first_held; i < held_end; i++)
            held_ok &= ok(c[i].res);
        if (rc && guard && ok(c[held_end].res))
            undone = !run(s, "ROLLBACK TO fr_stmt; RELEASE fr_stmt", "undoing a query", NULL);
        if (rc && level_guard && held_ok) {
            char back[48];
            snprintf(back, sizeof back, "ROLLBACK TO fr_sp%d", depth - 1);
            undone = !run(s, back, "undoing a query", NULL);
        }
        if (!rc && (guard || level_guard))
            set_fresh(p, depth, 0);
        if (rc && level_guard && !undone)
            retry = 0;
        if (!rc && guard && !ok(c[me + 1].res))
            rc = map_result(s, c[me + 1].res, err, "running a query");
        if (rc && in_tx && !undone)
            p->aborted = 1;
        if (!rc && idq >= 0) {
            if (ok(c[idq].res) && PQntuples(c[idq].res) == 1) {
                p->last_id = strtoll(PQgetvalue(c[idq].res, 0, 0), NULL, 10);
                p->last_id_known = 1;
            } else if (in_tx && ok(c[idq - 1].res)) {
                run(s, "ROLLBACK TO fr_lastval; RELEASE fr_lastval", "reading the last id",
                    NULL);
            }
        }
        if (!rc) {
            st->res = c[me].res;
            c[me].res = NULL;
            p->changes = atoi(PQcmdTuples(st->res));
            int rows = PQntuples(st->res);
            if (st->id_by == ID_RETURNED) { /* the last row's id; no row shown */
                if (rows > 0 && !PQgetisnull(st->res, rows - 1, 0)) {
                    p->last_id = strtoll(PQgetvalue(st->res, rows - 1, 0), NULL, 10);
                    p->last_id_known = 1;
                }
                st->row = rows - 1;
            }
        }
        for (int i = 0; i < n; i++)
            PQclear(c[i].res);
        if (rc && !in_tx && connection_lost(p) && !p->reconnecting && p->locks == 0 &&
            retriable(st->sql) && connect_again(s, NULL, "running a query") == 0) {
            fr_error_clear(err);
            p->reconnecting = 1;
            rc = pg_step(base, err);
            p->reconnecting = 0;
            return rc;
        }
        if (rc && retry)
            return pg_step(base, err);
        if (rc)
            return rc;
    }
    st->row++;
    return st->row < PQntuples(st->res) ? 1 : 0;
}

static int in_row(pg_stmt *st, int col)
{
    return st->res && st->row >= 0 && st->row < PQntuples(st->res) && col >= 0 &&
           col < PQnfields(st->res);
}

static const char *pg_text(fr_stmt *base, int col)
{
    pg_stmt *st = (pg_stmt *)base;
    if (!in_row(st, col) || PQgetisnull(st->res, st->row, col))
        return NULL;
    return PQgetvalue(st->res, st->row, col);
}


static int64_t pg_integer(fr_stmt *base, int col)
{
    const char *v = pg_text(base, col);
    if (!v)
        return 0;
    if (PQftype(((pg_stmt *)base)->res, col) == OID_BOOL)
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static double pg_real(fr_stmt *base, int col)
{
    const char *v = pg_text(base, col);
    if (!v)
        return 0;
    if (PQftype(((pg_stmt *)base)->res, col) == OID_BOOL)
        return v[0] == 't';
    return strtod(v, NULL);
}

/* As SQLite would say: booleans and whole numerics are integers. */
static int pg_type(fr_stmt *base, int col)
{
    pg_stmt *st = (pg_stmt *)base;
    const char *v = pg_text(base, col);
    if (!v)
        return 'n';
    switch (PQftype(st->res, col)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID: return 'i';
    case OID_FLOAT4:
    case OID_FLOAT8: return 'd';
    case OID_NUMERIC: return strpbrk(v, ".eEN") ? 'd' : 'i';
    default: return 't';
    }
}

static int pg_columns(fr_stmt *base)
{
    pg_stmt *st = (pg_stmt *)base;
    return st->res ? PQnfields(st->res) : 0;
}

static const char *pg_column_name(fr_stmt *base, int col)
{
    pg_stmt *st = (pg_stmt *)base;
    return st->res ? PQfname(st->res, col) : NULL;
}

static void pg_done(fr_stmt *base)
{
    pg_stmt *st = (pg_stmt *)base;
    for (int i = 0; i < MAX_PARAMS; i++)
        free(st->values[i]);
    PQclear(st->res);
    free(st->sql);
    free(st);
}

static int pg_unreachable(fr_store *s)
{
    return connection_lost(s->be);
}

/* lastval() fails when no sequence was used yet on this connection; inside
 * a transaction that failure would abort it, hence the savepoint. */
static int64_t pg_last_id(fr_store *s)
{
    pg *p = s->be;
    if (p->last_id_known)
        return p->last_id;
    if (s->depth > 0 && run(s, "SAVEPOINT fr_lastval", "reading the last id", NULL))
        return 0;
    PGresult *res = PQexec(p->conn, "SELECT lastval()");
    int64_t id = PQresultStatus(res) == PGRES_TUPLES_OK ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
                                                        : 0;
    PQclear(res);
    if (s->depth > 0)
        run(s, id ? "RELEASE fr_lastval" : "ROLLBACK TO fr_lastval; RELEASE fr_lastval",
            "reading the last id", NULL);
    return id;
}

static int pg_changes(fr_store *s)
{
    return ((pg *)s->be)->changes;
}

static int pg_has_table(fr_store *s, const char *name, int *out, fr_error *err)
{
    int64_t n = 0;
    int rc = fr_store_query_int(s, err, &n, "SELECT to_regclass(?) IS NOT NULL", "t", name);
    *out = n > 0;
    return rc;
}

/* autovacuum keeps the statistics; ANALYZE refreshes them at once, but
 * only for tables of 10 pages or more. A table analysed empty or nearly so
 * is taken at its word: the plans made then, among them the foreign-key
 * checks' that each connection keeps, scan it whole, and go on doing so as
 * it grows until autovacuum analyses it again (a minute or more: on a new
 * site every submission's checks read every earlier submission
 * meanwhile). A table never analysed is assumed to have 10 pages, and is
 * looked up by its indexes. */
static int pg_optimize(fr_store *s, fr_error *err)
{
    return run(s,
               "DO $fr$ DECLARE t regclass; BEGIN"
               " FOR t IN SELECT c.oid FROM pg_class c"
               "  WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace"
               " LOOP"
               "  IF pg_relation_size(t) >= 10 * current_setting('block_size')::int THEN"
               "   EXECUTE 'ANALYZE ' || t;"
               "  END IF;"
               " END LOOP; END $fr$",
               "refreshing the planner's statistics", err);
}

static int pg_backup(fr_store *s, const char *dest, fr_error *err)
{
    (void)dest; /* refused whether asked to copy or whether it could */
    return fr_error_set(err, FR_EREFUSED,
                        "the site's record is on the PostgreSQL server %s: back it up with the "
                        "server's tools (pg_dump, or a streaming replica and base backups, "
                        "see docs/postgresql.md); nothing was written",
                        s->path);
}

static int pg_tables(fr_store *s, json_t **out, fr_error *err)
{
    *out = NULL;
    return fr_error_set(err, FR_EREFUSED,
                        "copying out of the PostgreSQL database %s is not supported yet; use "
                        "pg_dump to keep a copy",
                        s->path);
}

/* Identity columns go on after the ids copied in. */
static int pg_after_copy(fr_store *s, const char *table, int has_id, fr_error *err)
{
    if (!has_id)
        return 0;
    char sql[256], *seq = NULL;
    snprintf(sql, sizeof sql, "\"%s\"", table);
    int rc = fr_store_query_text(s, err, &seq, "SELECT pg_get_serial_sequence(?, 'id')", "t", sql);
    if (!rc && seq) {
        snprintf(sql, sizeof sql,
                 "SELECT setval(?, max(id)) FROM \"%s\" HAVING max(id) IS NOT NULL", table);
        int64_t v = 0;
        rc = fr_store_query_int(s, err, &v, sql, "t", seq);
        if (rc == FR_ENOTFOUND)
            rc = 0;
    }
    free(seq);
    return rc;
}

/* Session locks named by text, in Filrouge's key space; hashtext gives a
 * 32-bit key (a collision only makes two names share a lock). */
static int pg_try_lock(fr_store *s, const char *name, int *got, fr_error *err)
{
    int64_t v = 0;
    int rc = fr_store_query_int(s, err, &v,
                                "SELECT pg_try_advisory_lock(" FR_LOCK_SPACE ", hashtext(?))", "t",
                                name);
    *got = !rc && v;
    ((pg *)s->be)->locks += *got;
    return rc;
}

static void pg_unlock(fr_store *s, const char *name)
{
    pg *p = s->be;
    if (p->locks > 0)
        p->locks--; /* first: with the connection lost, it went with it */
    int64_t v = 0;
    fr_store_query_int(s, NULL, &v, "SELECT pg_advisory_unlock(" FR_LOCK_SPACE ", hashtext(?))",
                       "t", name);
}

/* The server's snapshot (pg_current_snapshot: the next transaction id and
 * those in progress) changes when any transaction that wrote starts or
 * ends, in any process, and never comes back to an earlier value: its
 * 64-bit hash serves as the caches' generation. Writes to other databases
 * of the same server change it too (the caches are then emptied for
 * nothing, never wrong). -1 when it cannot be read. */
static int64_t pg_generation(fr_store *s)
{
    pg *p = s->be;
    int64_t v = -1;
    for (int attempt = 0; attempt < 2 && v < 0; attempt++) {
        if (connect_again(s, NULL, "reading the generation"))
            return -1;
        PGresult *res = PQexec(p->conn, "SELECT pg_current_snapshot()::text");
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
            v = (int64_t)(fnv1a(PQgetvalue(res, 0, 0)) & INT64_MAX);
        PQclear(res);
        if (!connection_lost(p))
            break; /* failed for another reason: not again */
    }
    return v;
}

/* ---- announcements: NOTIFY and LISTEN ---- */

/* "filrouge_CHANNEL", quoted; channels are the kernel's own lower-case words. */
static int channel_sql(char *out, size_t n, const char *verb, const char *channel, const char *payload)
{
    for (const char *c = channel; *c; c++)
        if (!islower((unsigned char)*c) && *c != '_')
            return -1;
    if (payload)
        snprintf(out, n, "%s \"filrouge_%s\", '%s'", verb, channel, payload);
    else
        snprintf(out, n, "%s \"filrouge_%s\"", verb, channel);
    return 0;
}

static int pg_announce(fr_store *s, const char *channel, fr_error *err)
{
    char sql[320];
    if (channel_sql(sql, sizeof sql, "NOTIFY", channel, ((pg *)s->be)->self))
        return fr_error_set(err, FR_EINTERNAL, "'%s' is not a channel name", channel);
    return pg_exec(s, sql, "announcing a change", err);
}

static int pg_listen(fr_store *s, const char *channel, fr_error *err)
{
    char sql[160];
    pg *p = s->be;
    if (channel_sql(sql, sizeof sql, "LISTEN", channel, NULL) ||
        strlen(channel) >= sizeof p->listening[0])
        return fr_error_set(err, FR_EINTERNAL, "'%s' is not a channel name", channel);
    int known = 0;
    for (int i = 0; i < p->nlistening && !known; i++)
        known = strcmp(p->listening[i], channel) == 0;
    if (!known && p->nlistening == (int)(sizeof p->listening / sizeof *p->listening))
        return fr_error_set(err, FR_EINTERNAL, "too many channels listened to");
    int rc = run(s, sql, "listening for changes", err);
    if (!rc && !known)
        snprintf(p->listening[p->nlistening++], sizeof p->listening[0], "%s", channel);
    return rc;
}

static int pg_wait(fr_store *s, int wake_fd, int *heard, fr_error *err)
{
    pg *p = s->be;
    int rc = connect_again(s, err, "waiting for other processes' changes");
    if (rc)
        return rc;
    for (;;) {
        if (!PQconsumeInput(p->conn))
            return map_result(s, NULL, err, "waiting for other processes' changes");
        PGnotify *n;
        while ((n = PQnotifies(p->conn))) {
            if (strcmp(n->extra, p->self) != 0)
                (*heard)++;
            PQfreemem(n);
        }
        if (*heard)
            return 0;
        struct pollfd fds[2] = {{PQsocket(p->conn), POLLIN, 0}, {wake_fd, POLLIN, 0}};
        if (poll(fds, wake_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
            return fr_error_set(err, FR_EIO, "waiting for other processes' changes: %s",
                                strerror(errno));
        if (wake_fd >= 0 && fds[1].revents)
            return 0;
    }
}

const fr_store_ops fr_store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind = pg_bind,
    .step = pg_step,
    .text = pg_text,
    .integer = pg_integer,
    .real = pg_real,
    .type = pg_type,
    .columns = pg_columns,
    .column_name = pg_column_name,
    .done = pg_done,
    .last_id = pg_last_id,
    .changes = pg_changes,
    .has_table = pg_has_table,
    .optimize = pg_optimize,
    .backup = pg_backup,
    .tables = pg_tables,
    .after_copy = pg_after_copy,
    .try_lock = pg_try_lock,
    .unlock = pg_unlock,
    .generation = pg_generation,
    .unreachable = pg_unreachable,
    .announce = pg_announce,
    .listen = pg_listen,
    .wait = pg_wait,
    .begin_sql = BEGIN_SQL,
    .begin_nowait = pg_begin_nowait,
};
