/* The store's backends: what store.c (backend-neutral: parameters,
 * transactions, migrations, JSON rows) asks of a database engine. Only the
 * store's own files include this header; the rest of the kernel sees
 * store.h alone. Backends: store_sqlite.c (files, the default) and
 * store_pg.c (a PostgreSQL server, chosen by a postgresql:// location). */
#ifndef FR_STORE_BACKEND_H
#define FR_STORE_BACKEND_H

#include "store.h"

/* One bound parameter: type as in store.h ('t', 'I' for every integer,
 * 'd', 'n' for NULL; 'R' and 'i' are already folded into 'I' or 'n'). */
typedef struct fr_store_value {
    char type;
    int64_t i;
    double d;
    const char *t;
} fr_store_value;

/* Every backend statement starts with this header. */
struct fr_stmt {
    fr_store *store;
};

typedef struct fr_store_ops {
    const char *name; /* "sqlite" or "postgresql": selects migration sections */
    int (*open)(fr_store *s, const char *location, const fr_store_options *opt, fr_error *err);
    void (*close)(fr_store *s);
    /* SQL text without parameters, possibly several statements; `what`
     * starts the error message ("committing"). */
    int (*exec)(fr_store *s, const char *sql, const char *what, fr_error *err);
    int (*prepare)(fr_store *s, const char *sql, fr_stmt **out, fr_error *err);
    int (*bind)(fr_stmt *st, const fr_store_value *v, int n, fr_error *err);
    int (*step)(fr_stmt *st, fr_error *err);
    const char *(*text)(fr_stmt *st, int col);
    int64_t (*integer)(fr_stmt *st, int col);
    double (*real)(fr_stmt *st, int col);
    int (*type)(fr_stmt *st, int col);
    int (*columns)(fr_stmt *st);
    const char *(*column_name)(fr_stmt *st, int col);
    void (*done)(fr_stmt *st);
    int64_t (*last_id)(fr_store *s);
    int (*changes)(fr_store *s);
    int (*has_table)(fr_store *s, const char *name, int *out, fr_error *err);
    int (*optimize)(fr_store *s, fr_error *err);
    int (*backup)(fr_store *s, const char *dest, fr_error *err); /* dest NULL: possible? */
    /* The tables holding data (not schema_migrations), each after those
     * it refers to: a JSON array of names. */
    int (*tables)(fr_store *s, json_t **out, fr_error *err);
    /* After rows were copied in with their ids: id generators go on after
     * the highest (has_id: the table has an `id` column). */
    int (*after_copy)(fr_store *s, const char *table, int has_id, fr_error *err);
    int (*try_lock)(fr_store *s, const char *name, int *got, fr_error *err);
    void (*unlock)(fr_store *s, const char *name);
    /* A number that changes whenever anything is committed, by any
     * process (caches check it); NULL or -1: unknown, no caching. SQLite:
     * data_version and this connection's changes; PostgreSQL: a hash of
     * the server's snapshot. */
    int64_t (*generation)(fr_store *s);
    /* 1 when the database server cannot be reached (the connection was
     * lost and connecting again failed); NULL: never (a local file). */
    int (*unreachable)(fr_store *s);
    /* Announcements to the other processes (fr_store_announce); NULL:
     * none (one process per database). announce runs inside the
     * transaction, just before COMMIT. */
    int (*announce)(fr_store *s, const char *channel, fr_error *err);
    int (*listen)(fr_store *s, const char *channel, fr_error *err);
    int (*wait)(fr_store *s, int wake_fd, int *heard, fr_error *err);
    const char *begin_sql; /* the outermost transaction's BEGIN */
    /* Runs the outermost BEGIN without waiting for another connection's
     * transaction (fr_store_begin_nowait): FR_EBUSY when it would wait. */
    int (*begin_nowait)(fr_store *s, const char *what, fr_error *err);
    /* The reserve kept for the audit entries of reads on a full disk
     * (store.h, "A full disk"); NULL: none (PostgreSQL). reserve_release
     * gives the reserve up: 1 when it was there. reserve_renew puts it
     * back when space allows: 0 when it is in place, else negative. */
    int (*reserve_release)(fr_store *s);
    int (*reserve_renew)(fr_store *s);
} fr_store_ops;

#define FR_STORE_CHANNELS 4

/* The front's part of a connection; `be` is the backend's own state. */
struct fr_store {
    const fr_store_ops *ops;
    void *be;
    char *path; /* the location shown in messages (no password) */
    int depth;
    /* channels announced in the current transaction (fr_store_announce) */
    const char *announced[FR_STORE_CHANNELS];
    int full;       /* the last failure was for lack of space (set by the backend) */
    /* the line of the text given to exec where its last failure was (1 …),
     * 0 when the backend cannot tell (set by the backend) */
    int error_line;
    int short_of_space; /* the reserve is given up: writes are refused */
    /* fr_store_note_set: forgotten at the end of the outermost transaction
     * and at any rollback */
    char note_key[16];
    int64_t note_n;
    char note_text[128];
};

extern const fr_store_ops fr_store_sqlite_ops;
extern const fr_store_ops fr_store_pg_ops;

/* Whether `location` names a PostgreSQL database (postgresql:// or
 * postgres:// URI). */
int fr_store_location_is_pg(const char *location);

/* PostgreSQL's text for SQL written for SQLite (store_pg.c; malloc'd);
 * *nparams (when not NULL) gets the number of parameters, and typed[n]
 * (when not NULL; FR_STORE_PG_MAX_PARAMS + 1 entries) whether parameter n
 * must be sent with its bound type (first used as `? IS NULL`, or
 * unused); the others are left for the server to infer. */
#define FR_STORE_PG_MAX_PARAMS 64
char *fr_store_pg_translate(const char *sql, int *nparams, unsigned char *typed);

#endif
