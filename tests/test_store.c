/* The store: durable settings, nested transactions, migrations per owner,
 * refusing a newer database, and two processes writing at once; on either
 * backend (FILROUGE_TEST_STORE, `meson test --setup postgresql`). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "store_backend.h"
#include "test.h"

/* A new empty database (test_store_location). */
static fr_store *open_store(const char *name)
{
    fr_store *s = NULL;
    fr_error err = {0};
    CHECK_OK(fr_store_open(test_store_location(name), NULL, &s, &err), &err);
    if (!s)
        exit(99);
    return s;
}

/* Two connections to the same new database: its location, or NULL when
 * they did not both open (both closed then). */
static const char *open_two(const char *name, fr_store **a, fr_store **b)
{
    const char *p = test_store_location(name);
    fr_error err = {0};
    *a = *b = NULL;
    CHECK_OK(fr_store_open(p, NULL, a, &err), &err);
    CHECK_OK(fr_store_open(p, NULL, b, &err), &err);
    if (*a && *b)
        return p;
    fr_store_close(*a);
    fr_store_close(*b);
    return NULL;
}

static const fr_migration mig_v2[] = {
    {1, "t-001.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);"},
    {2, "t-002.sql", "ALTER TABLE t ADD COLUMN w INTEGER;"},
};

/* A statement that changes many pages inside a transaction: its journal
 * (SQLite keeps the pages a statement changes, to undo it alone) grows past
 * what is kept in memory and goes to a temporary file. A process-wide
 * threshold of 8 MiB made SQLite 3.40 fail such a statement with "database
 * or disk is full" (a migration, an import on a large site). */
static void a_large_statement_in_a_transaction(void)
{
    fr_store *s = open_store("large.db");
    fr_error err = {0};
    if (test_on_pg()) { /* randomblob: SQLite's */
        fr_store_close(s);
        return;
    }
    CHECK_OK(fr_store_exec(s,
                           "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT);"
                           " CREATE INDEX t_by_k ON t (k);"
                           " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                           " WHERE i < 60000) INSERT INTO t (k) SELECT hex(randomblob(100))"
                           " FROM n",
                           &err),
             &err);
    /* about 12 MB of index pages, most of them changed by one statement */
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_exec(s,
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                           " WHERE i < 20000) INSERT INTO t (k) SELECT hex(randomblob(100))"
                           " FROM n",
                           &err),
             &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    int64_t n = 0;
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT count(*) FROM t", NULL), &err);
    CHECK(n == 80000);
    fr_store_close(s);
}

static void settings_are_durable(void)
{
    fr_store *s = open_store("durable.db");
    fr_error err = {0};
    CHECK_STR(fr_store_backend(s), test_on_pg() ? "postgresql" : "sqlite");
    if (test_on_pg()) {
        fr_store_close(s);
        return;
    }
    char *mode = NULL;
    int64_t sync = -1, fk = -1;
    CHECK_OK(fr_store_query_text(s, &err, &mode, "PRAGMA journal_mode", NULL), &err);
    CHECK_STR(mode, "wal");
    CHECK_OK(fr_store_query_int(s, &err, &sync, "PRAGMA synchronous", NULL), &err);
    CHECK(sync == 2); /* FULL */
    CHECK_OK(fr_store_query_int(s, &err, &fk, "PRAGMA foreign_keys", NULL), &err);
    CHECK(fk == 1);
    free(mode);
    fr_store_close(s);
}

static void migrations_apply_once_in_order(void)
{
    fr_store *s = open_store("mig.db");
    fr_error err = {0};
    int v = -1;
    CHECK_OK(fr_store_migrate(s, "plug", mig_v2, 1, &err), &err);
    CHECK_OK(fr_store_schema_version(s, "plug", &v, &err), &err);
    CHECK(v == 1);
    CHECK_OK(fr_store_migrate(s, "plug", mig_v2, 2, &err), &err);
    CHECK_OK(fr_store_migrate(s, "plug", mig_v2, 2, &err), &err);
    CHECK_OK(fr_store_schema_version(s, "plug", &v, &err), &err);
    CHECK(v == 2);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (v, w) VALUES (?, ?)", "ti", "x", 3), &err);
    /* an older program meets this database */
    CHECK_ERR(fr_store_migrate(s, "plug", mig_v2, 1, &err), FR_EVERSION, &err,
              "newer version of plugin plug");
    CHECK(strstr(err.message, "schema is at version 2") != NULL);
    fr_store_close(s);
}

static void a_failed_migration_changes_nothing(void)
{
    fr_store *s = open_store("badmig.db");
    fr_error err = {0};
    const fr_migration bad[] = {{1, "ok.sql", "CREATE TABLE a (x INTEGER);"},
                                {2, "bad.sql",
                                 "CREATE TABLE b (y INTEGER);\n\n"
                                 "-- the mistake\nCREATE TABLE oops ("}};
    CHECK_ERR(fr_store_migrate(s, "p", bad, 2, &err), FR_EIO, &err, "bad.sql");
    /* The plugin's author is told the line (where SQLite or PostgreSQL
     * says the statement went wrong). */
    CHECK(strstr(err.message, "migration bad.sql:4 (p version 2) failed") != NULL);
    /* A statement that fails when it runs: the line where it begins
     * (PostgreSQL gives no position for a constraint). */
    const fr_migration runs[] = {
        {1, "runs.sql",
         "CREATE TABLE c (v TEXT NOT NULL);\n-- none yet\n  INSERT INTO c (v) VALUES (NULL);"}};
    CHECK_ERR(fr_store_migrate(s, "q", runs, 1, &err), FR_EINVAL, &err, "runs.sql");
    if (!test_on_pg())
        CHECK(strstr(err.message, "migration runs.sql:3 (q version 1) failed") != NULL);
    int v = 0, exists = -1;
    CHECK_OK(fr_store_schema_version(s, "p", &v, &err), &err);
    CHECK(v == 1);
    CHECK_OK(fr_store_has_table(s, "b", &exists, &err), &err);
    CHECK(exists == 0);
    CHECK_OK(fr_store_has_table(s, "a", &exists, &err), &err);
    CHECK(exists == 1);
    fr_store_close(s);
}

static void transactions_nest_with_savepoints(void)
{
    fr_store *s = open_store("nest.db");
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (v INTEGER)", &err), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t VALUES (1)", NULL), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK(fr_store_depth(s) == 2);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t VALUES (2)", NULL), &err);
    fr_store_rollback(s); /* undoes only the inner level */
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t VALUES (3)", NULL), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK(fr_store_depth(s) == 0);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT sum(v) FROM t", NULL), &err);
    CHECK(n == 4);

    /* A level's first write fails: undone alone, the level goes on
     * (PostgreSQL goes back to the level's own savepoint then, which
     * must not undo what was written before it or in levels within it). */
    CHECK_OK(fr_store_exec(s, "CREATE TABLE u (k TEXT UNIQUE)", &err), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "a"), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "a"), FR_EINVAL, &err,
              "UNIQUE");
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "b"), &err);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "b"), FR_EINVAL, &err,
              "UNIQUE");
    /* what a level within wrote, then the level again */
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "c"), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "c"), FR_EINVAL, &err,
              "UNIQUE");
    /* written through exec (text, no parameters), then a failure */
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_exec(s, "INSERT INTO u VALUES ('d')", &err), &err);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "d"), FR_EINVAL, &err,
              "UNIQUE");
    CHECK_OK(fr_store_commit(s, &err), &err);
    /* a level undone after its first write failed: the parent's rows stay */
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "a"), FR_EINVAL, &err,
              "UNIQUE");
    fr_store_rollback(s);
    /* a savepoint of the caller's own, then a refused write: undone alone,
     * the caller's savepoint still there */
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_exec(s, "SAVEPOINT mine", &err), &err);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO u VALUES (?)", "t", "a"), FR_EINVAL, &err,
              "UNIQUE");
    CHECK_OK(fr_store_exec(s, "RELEASE mine", &err), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK(fr_store_depth(s) == 0);
    char *all = NULL;
    CHECK_OK(fr_store_query_text(s, &err, &all,
                                 "SELECT group_concat(k, '') FROM (SELECT k FROM u "
                                 "ORDER BY k) AS o",
                                 NULL),
             &err);
    CHECK_STR(all, "abcd");
    free(all);
    fr_store_close(s);
}

/* On PostgreSQL the statements that only mark a transaction's structure
 * (SAVEPOINT, RELEASE, ROLLBACK TO, NOTIFY) wait for the next statement's
 * round trip, and an INSERT's id comes with it (store_pg.c, "Round
 * trips"): the meaning must stay that of one statement at a time. */
static void statements_sent_together_keep_their_meaning(void)
{
    fr_store *s = NULL, *other = NULL;
    if (!open_two("together.db", &s, &other))
        return;
    fr_error err = {0};
    int64_t n = -1;
    /* A fresh connection, a table without an id that another connection
     * made (so not known to have none): no sequence used yet, the id
     * asked along fails, and the row stays. */
    CHECK_OK(fr_store_exec(other, "CREATE TABLE plain (v INTEGER)", &err), &err);
    fr_store_close(other);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO plain VALUES (?)", "i", 1), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT count(*) FROM plain", NULL), &err);
    CHECK(n == 1);
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", &err), &err);
    /* Inserts that give no id of their own (into a table known to have
     * none, or naming the id) leave the last id given as it was. */
    CHECK_OK(fr_store_exec(s, "CREATE TABLE known (v INTEGER)", &err), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (v) VALUES (?)", "i", 5), &err);
    int64_t given = fr_store_last_id(s);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO known VALUES (?)", "i", 1), &err);
    if (test_on_pg()) /* SQLite: the rowid `known` gave */
        CHECK(fr_store_last_id(s) == given);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (id, v) VALUES (?, ?)", "Ii", given + 100, 6),
             &err);
    /* PostgreSQL: the sequence's last (the id named did not use it) */
    CHECK(fr_store_last_id(s) == (test_on_pg() ? given : given + 100));
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO known VALUES (?)", "i", 2), &err);
    /* An INSERT shows its caller no row, whatever it asked the server for
     * its id (PostgreSQL: RETURNING id); of several rows, the last one's
     * id is the last given. */
    fr_stmt *ins = NULL;
    CHECK_OK(fr_store_query(s, &err, &ins, "INSERT INTO t (v) VALUES (?)", "i", 7), &err);
    CHECK(ins && fr_stmt_step(ins, &err) == 0);
    fr_stmt_done(ins);
    int64_t seven = fr_store_last_id(s);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT id FROM t WHERE v = 7", NULL), &err);
    CHECK(seven > given && n == seven);
    CHECK_OK(fr_store_execf(s, &err,
                            "INSERT INTO t (v) SELECT v + 1000 FROM t WHERE v IN (5, 7) ORDER BY v",
                            NULL),
             &err);
    CHECK(fr_store_changes(s) == 2);
    int64_t last = fr_store_last_id(s);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT id FROM t WHERE v = 1007", NULL), &err);
    CHECK(last == n);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT count(*) FROM known", NULL), &err);
    CHECK(n == 2);
    CHECK_OK(fr_store_exec(s, "DELETE FROM t", &err), &err);
    /* Levels opened and undone with nothing sent in between. */
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO plain VALUES (?)", "i", 2), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    fr_store_rollback(s);
    fr_store_rollback(s);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (v) VALUES (?)", "i", 10), &err);
    int64_t id = fr_store_last_id(s);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT id FROM t WHERE v = 10", NULL), &err);
    CHECK(id > 0 && n == id);
    /* More levels than the statements held back can hold. */
    for (int i = 0; i < 40; i++)
        CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (v) VALUES (?)", "i", 11), &err);
    for (int i = 0; i < 39; i++)
        CHECK_OK(fr_store_commit(s, &err), &err);
    fr_store_rollback(s); /* the 40th level, with the row of 11 */
    CHECK(fr_store_depth(s) == 1);
    /* A failed statement right after held ones: they stay done. */
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (v) VALUES (?)", "i", 12), &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO t (id, v) VALUES (?, ?)", "Ii", id, 13),
              FR_EINVAL, &err, "UNIQUE");
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK(fr_store_depth(s) == 0);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT sum(v) FROM t", NULL), &err);
    CHECK(n == 22);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT sum(v) FROM plain", NULL), &err);
    CHECK(n == 3);
    fr_store_close(s);
}

/* More distinct statements than the cache holds: each gives its own answer
 * (the cache gives places up, never one in use), and one held open while
 * the others come and go stays good. */
static void the_statement_cache_gives_places_up(void)
{
    fr_store *s = open_store("cache.db");
    fr_error err = {0};
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (v INTEGER)", &err), &err);
    CHECK_OK(fr_store_exec(s, "INSERT INTO t VALUES (1)", &err), &err);
    fr_stmt *held = NULL;
    CHECK_OK(fr_store_query(s, &err, &held, "SELECT v + 1000 FROM t", NULL), &err);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 300; i++) {
            char sql[64];
            int64_t n = -1;
            snprintf(sql, sizeof sql, "SELECT v + %d FROM t", i);
            CHECK_OK(fr_store_query_int(s, &err, &n, sql, NULL), &err);
            CHECK(n == i + 1);
            snprintf(sql, sizeof sql, "UPDATE t SET v = v + %d - %d", i, i); /* exec */
            CHECK_OK(fr_store_exec(s, sql, &err), &err);
            /* a statement translated once keeps its parameters' typing
             * (`? IS NULL`: sent with their type on PostgreSQL) */
            const char *typed = "SELECT count(*) FROM t WHERE (?1 IS NULL OR v = ?1)";
            CHECK_OK(fr_store_query_int(s, &err, &n, typed, "i", i % 2), &err);
            CHECK(n == i % 2);
        }
    CHECK(fr_stmt_step(held, &err) == 1 && fr_stmt_int(held, 0) == 1001);
    fr_stmt_done(held);
    fr_store_close(s);
}

static void a_constraint_error_is_readable(void)
{
    fr_store *s = open_store("cons.db");
    fr_error err = {0};
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (v TEXT NOT NULL)", &err), &err);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO t VALUES (?)", "t", NULL), FR_EINVAL, &err,
              "NOT NULL");
    fr_store_close(s);
}

static void not_a_database_is_refused(void)
{
    if (test_on_pg()) {
        /* a server that does not answer */
        fr_store *s = NULL;
        fr_error err = {0};
        CHECK_ERR(fr_store_open("postgresql://nobody:secret@/filrouge?host=/nonexistent", NULL,
                                &s, &err),
                  FR_EIO, &err, "cannot connect to the database server");
        CHECK(strstr(err.message, "secret") == NULL);
        CHECK(s == NULL);
        return;
    }
    const char *p = test_path("garbage.db");
    test_write_file(p, "this is not an sqlite file, it is a text file with enough bytes to look "
                       "like a header of one hundred bytes or so........................");
    fr_store *s = NULL;
    fr_error err = {0};
    CHECK_ERR(fr_store_open(p, NULL, &s, &err), FR_EIO, &err, "not a valid Filrouge database");
    CHECK(s == NULL);
}

static void two_processes_writing_lose_nothing(void)
{
    const char *p = test_store_location("two.db");
    fr_store *s = NULL;
    fr_error err = {0};
    CHECK_OK(fr_store_open(p, NULL, &s, &err), &err);
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (who INTEGER, n INTEGER)", &err), &err);
    fr_store_close(s);
    enum { WRITERS = 2, ROWS = 200 };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            fr_store *c = NULL;
            fr_error e = {0};
            if (fr_store_open(p, NULL, &c, &e))
                _exit(2);
            for (int i = 0; i < ROWS; i++) {
                if (fr_store_begin(c, &e) ||
                    fr_store_execf(c, &e, "INSERT INTO t VALUES (?, ?)", "ii", w, i) ||
                    fr_store_commit(c, &e))
                    _exit(3);
            }
            fr_store_close(c);
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        waitpid(pids[w], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_OK(fr_store_open(p, NULL, &s, &err), &err);
    int64_t n = 0;
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT count(*) FROM t", NULL), &err);
    CHECK(n == WRITERS * ROWS);
    fr_store_close(s);
}

/* A failed statement undoes itself only, as on SQLite: the transaction
 * goes on (PostgreSQL runs each write under a savepoint of its own). */
static void a_failed_statement_keeps_the_transaction(void)
{
    fr_store *s = open_store("keep.db");
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE)",
                           &err),
             &err);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (k) VALUES (?)", "t", "a"), &err);
    CHECK(fr_store_last_id(s) == 1);
    CHECK_ERR(fr_store_execf(s, &err, "INSERT INTO t (k) VALUES (?)", "t", "a"), FR_EINVAL, &err,
              "UNIQUE");
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (k) VALUES (?)", "t", "b"), &err);
    int64_t b = fr_store_last_id(s); /* PostgreSQL's sequences may leave gaps */
    CHECK(b >= 2);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT id FROM t WHERE k = 'b'", NULL), &err);
    CHECK(n == b);
    CHECK_OK(fr_store_execf(s, &err, "UPDATE t SET k = k || ?", "t", "!"), &err);
    CHECK(fr_store_changes(s) == 2);
    CHECK_OK(fr_store_commit(s, &err), &err);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT count(*) FROM t WHERE k LIKE ?", "t", "A%"),
             &err);
    CHECK(n == 1); /* LIKE ignores case on both */
    fr_store_close(s);
}

/* Rows as JSON have the same types on both backends: integers (also for
 * counts, sums and comparisons), reals, text, null. */
static void rows_have_the_same_types(void)
{
    fr_store *s = open_store("types.db");
    fr_error err = {0};
    json_t *row = NULL;
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (i INTEGER, r REAL, x TEXT)", &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)", "IdtIdn",
                            (int64_t)5000000000, 1.5, "é", (int64_t)2, 2.25),
             &err);
    CHECK_OK(fr_store_query_row(s, &err, &row,
                                "SELECT count(*) AS n, sum(i) AS s, sum(r) AS sr, max(x) AS x,"
                                " min(i) = 2 AS yes, NULL AS none, ?1 AS p1, ?1 AS again"
                                " FROM t",
                                "t", "p"),
             &err);
    CHECK(json_integer_value(json_object_get(row, "n")) == 2);
    CHECK(json_is_integer(json_object_get(row, "s")));
    CHECK(json_integer_value(json_object_get(row, "s")) == 5000000002);
    CHECK(json_is_real(json_object_get(row, "sr")) &&
          json_real_value(json_object_get(row, "sr")) == 3.75);
    CHECK_STR(json_string_value(json_object_get(row, "x")), "é");
    CHECK(json_integer_value(json_object_get(row, "yes")) == 1);
    CHECK(json_is_null(json_object_get(row, "none")));
    CHECK_STR(json_string_value(json_object_get(row, "again")), "p");
    json_decref(row);
    fr_store_close(s);
}

/* Migration sections per backend; the PostgreSQL translation of the
 * kernel's SQLite dialect (pure functions: tested on either backend). */
static void sql_is_adapted_per_backend(void)
{
    const char *m = "CREATE TABLE a (x INTEGER);\n"
                    "-- backend: sqlite\n"
                    "CREATE TRIGGER lite;\n"
                    "-- backend: postgresql\n"
                    "CREATE FUNCTION pg;\n"
                    "-- backend: all\n"
                    "CREATE TABLE b (y TEXT);\n";
    char *lite = fr_store_sql_for_backend(m, "sqlite");
    char *pg = fr_store_sql_for_backend(m, "postgresql");
    CHECK_STR(lite, "CREATE TABLE a (x INTEGER);\n\nCREATE TRIGGER lite;\n\n\n\n"
                    "CREATE TABLE b (y TEXT);\n");
    CHECK_STR(pg, "CREATE TABLE a (x INTEGER);\n\n\n\nCREATE FUNCTION pg;\n\n"
                  "CREATE TABLE b (y TEXT);\n");
    free(lite);
    free(pg);
    int n = 0;
    unsigned char typed[FR_STORE_PG_MAX_PARAMS + 1] = {0};
    char *t = fr_store_pg_translate(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v REAL, w integer);"
        " SELECT group_concat(a, ', ') FROM t WHERE a LIKE ? AND b = '?' AND c = ?3 -- ?\n"
        " AND \"LIKE\" = $$ ? $$ AND t.real = ? AND (?5 IS NULL OR x = ?5)",
        &n, typed);
    CHECK_STR(t, "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                 " v DOUBLE PRECISION, w BIGINT);"
                 " SELECT string_agg(a, ', ') FROM t WHERE a ILIKE $1 AND b = '?' AND c = $3 -- ?\n"
                 " AND \"LIKE\" = $$ ? $$ AND t.real = $4 AND ($5 IS NULL OR x = $5)");
    CHECK(n == 5);
    CHECK(!typed[1] && typed[2] && !typed[3] && !typed[4] && typed[5]);
    free(t);
}

/* Two processes read a counter and write it back plus one, in
 * transactions: transactions take turns, so no increment is lost. */
static void no_update_is_lost_between_processes(void)
{
    const char *p = test_store_location("counter.db");
    fr_store *s = NULL;
    fr_error err = {0};
    CHECK_OK(fr_store_open(p, NULL, &s, &err), &err);
    if (!s)
        return;
    CHECK_OK(fr_store_exec(s, "CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
                              " INSERT INTO c (id, n) VALUES (1, 0)",
                           &err),
             &err);
    fr_store_close(s);
    enum { WRITERS = 2, ROUNDS = 100 };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            fr_store *c = NULL;
            fr_error e = {0};
            if (fr_store_open(p, NULL, &c, &e))
                _exit(2);
            for (int i = 0; i < ROUNDS; i++) {
                int64_t n = 0;
                if (fr_store_begin(c, &e) ||
                    fr_store_query_int(c, &e, &n, "SELECT n FROM c WHERE id = 1", NULL) ||
                    fr_store_execf(c, &e, "UPDATE c SET n = ? WHERE id = 1", "I", n + 1) ||
                    fr_store_commit(c, &e)) {
                    fprintf(stderr, "writer %d: %s\n", w, e.message);
                    _exit(3);
                }
            }
            fr_store_close(c);
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        waitpid(pids[w], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_OK(fr_store_open(p, NULL, &s, &err), &err);
    int64_t n = 0;
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT n FROM c WHERE id = 1", NULL), &err);
    CHECK(n == WRITERS * ROUNDS);
    fr_store_close(s);
}

/* A named lock is held by one connection at a time (PostgreSQL; SQLite
 * grants it always, its writers taking turns anyway). */
/* A statement kept prepared (PostgreSQL: by the server, per connection;
 * SQLite: in the statement cache) still answers after another connection
 * changed its table: with the new column, without an error. */
static void a_schema_changed_elsewhere_is_seen(void)
{
    fr_store *a, *b;
    fr_error err = {0};
    json_t *row = NULL;
    if (!open_two("schema.db", &a, &b))
        return;
    CHECK_OK(fr_store_exec(a, "CREATE TABLE t (v INTEGER)", &err), &err);
    CHECK_OK(fr_store_exec(a, "INSERT INTO t VALUES (1)", &err), &err);
    for (int i = 0; i < 2; i++) {
        CHECK_OK(fr_store_query_row(a, &err, &row, "SELECT * FROM t WHERE v = ?", "i", 1), &err);
        CHECK(json_object_size(row) == 1);
        json_decref(row);
    }
    CHECK_OK(fr_store_exec(b, "ALTER TABLE t ADD COLUMN w INTEGER", &err), &err);
    CHECK_OK(fr_store_query_row(a, &err, &row, "SELECT * FROM t WHERE v = ?", "i", 1), &err);
    CHECK(json_object_size(row) == 2 && json_is_null(json_object_get(row, "w")));
    json_decref(row);
    /* and inside a transaction, for a statement that writes */
    CHECK_OK(fr_store_execf(a, &err, "INSERT INTO t SELECT * FROM t WHERE v = ?", "i", 1), &err);
    CHECK_OK(fr_store_exec(b, "ALTER TABLE t ADD COLUMN x INTEGER", &err), &err);
    CHECK_OK(fr_store_begin(a, &err), &err);
    CHECK_OK(fr_store_execf(a, &err, "INSERT INTO t SELECT * FROM t WHERE v = ?", "i", 1), &err);
    CHECK_OK(fr_store_commit(a, &err), &err);
    int64_t n = 0;
    CHECK_OK(fr_store_query_int(a, &err, &n, "SELECT count(*) FROM t", NULL), &err);
    CHECK(n == 4);
    fr_store_close(a);
    fr_store_close(b);
}

/* PostgreSQL: the statistics are refreshed for tables of 10 pages or more
 * only; a small table stays "never analysed", so that the plans made now
 * (foreign-key checks among them) look it up by its index as it grows. */
static void small_tables_are_not_analysed(void)
{
    if (!test_on_pg())
        return;
    fr_store *s = open_store("analyse.db");
    fr_error err = {0};
    CHECK_OK(fr_store_exec(s, "CREATE TABLE small (v INTEGER); CREATE TABLE big (v TEXT)", &err),
             &err);
    CHECK_OK(fr_store_exec(s, "INSERT INTO small VALUES (1)", &err), &err);
    CHECK_OK(fr_store_exec(s, "INSERT INTO big SELECT repeat('x', 1000) FROM generate_series(1, 200)",
                           &err),
             &err);
    CHECK_OK(fr_store_optimize(s, &err), &err);
    int64_t small = 0, big = 0;
    CHECK_OK(fr_store_query_int(s, &err, &small,
                                "SELECT reltuples::bigint FROM pg_class WHERE oid = 'small'::regclass",
                                NULL),
             &err);
    CHECK_OK(fr_store_query_int(s, &err, &big,
                                "SELECT reltuples::bigint FROM pg_class WHERE oid = 'big'::regclass",
                                NULL),
             &err);
    CHECK(small < 0);
    CHECK(big == 200);
    fr_store_close(s);
}

/* PostgreSQL: a read that fails inside a transaction aborts all of it
 * (store_pg.c); the COMMIT then says so instead of answering as if the
 * rows were written. */
static void a_commit_after_a_failed_read_says_nothing_was_written(void)
{
    if (!test_on_pg())
        return;
    fr_store *s = open_store("aborted.db");
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (v INTEGER)", &err), &err);
    for (int nested = 0; nested < 2; nested++) {
        CHECK_OK(fr_store_begin(s, &err), &err);
        if (nested)
            CHECK_OK(fr_store_begin(s, &err), &err);
        CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t VALUES (?)", "i", 1), &err);
        CHECK(fr_store_query_int(s, &err, &n, "SELECT 1 / (v - 1) FROM t", NULL) != 0);
        if (nested) {
            /* The inner level fails where it ends, not later: undone
             * alone, the outer one goes on (as a request in a batch). */
            CHECK(fr_store_commit(s, &err) != 0);
            CHECK(fr_store_depth(s) == 1);
            CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t VALUES (?)", "i", 2), &err);
            CHECK_OK(fr_store_commit(s, &err), &err);
        } else {
            CHECK_ERR(fr_store_commit(s, &err), FR_EIO, &err, "nothing was written");
        }
        CHECK(fr_store_depth(s) == 0);
    }
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT sum(v) FROM t", NULL), &err);
    CHECK(n == 2); /* the outer level's row alone */
    fr_store_close(s);
}

/* After pg_terminate_backend(pid) on b (which only signals the backend):
 * waits until the backend has gone from pg_stat_activity, i.e. has ended
 * and closed its connection (no time limit: meson's). */
static void wait_backend_gone(fr_store *b, int64_t pid)
{
    fr_error err = {0};
    int64_t left = 1;
    while (left != 0) {
        CHECK_OK(fr_store_query_int(b, &err, &left,
                                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ?", "I",
                                    pid),
                 &err);
        if (err.code)
            return;
        if (left != 0)
            usleep(10 * 1000);
    }
}

/* PostgreSQL: a connection the server dropped (restarted, or the backend
 * ended) gives a clear error on the next statement, in a transaction with
 * statements held back as well as outside one: no hang, no crash. */
static void a_lost_connection_is_a_clear_error(void)
{
    if (!test_on_pg())
        return;
    fr_error err = {0};
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        fr_store *a, *b;
        int64_t pid = 0, n = 0;
        if (!open_two("lost.db", &a, &b))
            return;
        CHECK_OK(fr_store_exec(a, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER)",
                               &err),
                 &err);
        CHECK_OK(fr_store_query_int(a, &err, &pid, "SELECT pg_backend_pid()", NULL), &err);
        if (in_tx) {
            CHECK_OK(fr_store_begin(a, &err), &err);
            CHECK_OK(fr_store_begin(a, &err), &err); /* a SAVEPOINT held back */
        }
        CHECK_OK(fr_store_query_int(b, &err, &n, "SELECT pg_terminate_backend(?)::int", "I", pid),
                 &err);
        wait_backend_gone(b, pid);
        CHECK_ERR(fr_store_execf(a, &err, "INSERT INTO t (v) VALUES (?)", "i", 1), FR_EIO, &err,
                  "was lost");
        if (in_tx) {
            fr_store_rollback(a);
            fr_store_rollback(a);
        }
        fr_store_close(a);
        fr_store_close(b);
    }
}

/* The connection given up by the server's side comes back: after the
 * failure above, the next statement outside a transaction runs on a new
 * connection with the statements prepared before (the store's cache) made
 * anew; a SELECT that met the loss is tried again at once; a transaction
 * the loss broke is rolled back and the next one works. Not while a named
 * lock is held: the server let it go with the connection, so its holder's
 * statements fail until it unlocks. */
static void a_lost_connection_is_made_again(void)
{
    if (!test_on_pg())
        return;
    fr_error err = {0};
    fr_store *a, *b;
    int64_t pid = 0, n = 0, id = 0;
    if (!open_two("again.db", &a, &b))
        return;
#define KILL_A()                                                                                   \
    do {                                                                                           \
        CHECK_OK(fr_store_query_int(a, &err, &pid, "SELECT pg_backend_pid()", NULL), &err);        \
        CHECK_OK(fr_store_query_int(b, &err, &n, "SELECT pg_terminate_backend(?)::int", "I", pid), \
                 &err);                                                                            \
        wait_backend_gone(b, pid);                                                                 \
    } while (0)
    CHECK_OK(
        fr_store_exec(a, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER)", &err),
        &err);
    CHECK_OK(fr_store_execf(a, &err, "INSERT INTO t (v) VALUES (?)", "i", 1), &err);
    /* a SELECT meeting the loss: tried again on a new connection */
    KILL_A();
    CHECK_OK(fr_store_query_int(a, &err, &n, "SELECT count(*) FROM t WHERE v = ?", "i", 1), &err);
    CHECK(n == 1);
    CHECK(!fr_store_unreachable(a));
    int64_t pid2 = 0;
    CHECK_OK(fr_store_query_int(a, &err, &pid2, "SELECT pg_backend_pid()", NULL), &err);
    CHECK(pid2 != pid);
    /* a write meeting it fails (it may or may not have been done); the
     * next one runs on a new connection, its statement prepared anew */
    KILL_A();
    CHECK_ERR(fr_store_execf(a, &err, "INSERT INTO t (v) VALUES (?)", "i", 2), FR_EIO, &err,
              "was lost");
    CHECK_OK(fr_store_execf(a, &err, "INSERT INTO t (v) VALUES (?)", "i", 3), &err);
    CHECK(fr_store_last_id(a) > 0);
    /* a transaction broken by it: rolled back, the next one works */
    CHECK_OK(fr_store_begin(a, &err), &err);
    CHECK_OK(fr_store_execf(a, &err, "INSERT INTO t (v) VALUES (?)", "i", 4), &err);
    KILL_A();
    CHECK_ERR(fr_store_execf(a, &err, "INSERT INTO t (v) VALUES (?)", "i", 5), FR_EIO, &err,
              "was lost");
    CHECK(fr_store_unreachable(a)); /* no new connection inside a transaction */
    CHECK_ERR(fr_store_commit(a, &err), FR_EIO, &err, "");
    CHECK(fr_store_depth(a) == 0);
    CHECK_OK(fr_store_begin(a, &err), &err);
    CHECK_OK(fr_store_execf(a, &err, "INSERT INTO t (v) VALUES (?)", "i", 6), &err);
    id = fr_store_last_id(a);
    CHECK_OK(fr_store_commit(a, &err), &err);
    CHECK_OK(fr_store_query_int(a, &err, &n, "SELECT count(*) FROM t WHERE v IN (4, 5)", NULL),
             &err);
    CHECK(n == 0);
    CHECK_OK(fr_store_query_int(a, &err, &n, "SELECT v FROM t WHERE id = ?", "I", id), &err);
    CHECK(n == 6);
    /* a named lock held: no new connection until it is let go */
    int got = 0;
    CHECK_OK(fr_store_try_lock(a, "bus:again", &got, &err), &err);
    CHECK(got == 1);
    KILL_A();
    CHECK_ERR(fr_store_query_int(a, &err, &n, "SELECT count(*) FROM t", NULL), FR_EIO, &err,
              "was lost");
    CHECK_ERR(fr_store_query_int(a, &err, &n, "SELECT count(*) FROM t", NULL), FR_EIO, &err,
              "was lost");
    fr_store_unlock(a, "bus:again");
    CHECK_OK(fr_store_query_int(a, &err, &n, "SELECT count(*) FROM t", NULL), &err);
    CHECK_OK(fr_store_try_lock(b, "bus:again", &got, &err), &err);
    CHECK(got == 1); /* the server let it go with the old connection */
#undef KILL_A
    fr_store_close(a);
    fr_store_close(b);
}

/* PostgreSQL: the tables the store knows to have a generated id are read
 * again when a transaction that changed the schema ends, not inside it: a
 * table created in a transaction rolled back, then created without an id
 * by another connection, takes inserts (with stale lists, RETURNING id
 * made them fail). Inside the transaction the new table's id comes all
 * the same. */
static void table_lists_follow_a_rolled_back_change(void)
{
    if (!test_on_pg())
        return;
    fr_error err = {0};
    fr_store *a, *b;
    if (!open_two("lists.db", &a, &b))
        return;
    CHECK_OK(fr_store_begin(a, &err), &err);
    CHECK_OK(fr_store_exec(a, "CREATE TABLE lists_x (id INTEGER PRIMARY KEY, v INTEGER)", &err),
             &err);
    CHECK_OK(fr_store_execf(a, &err, "INSERT INTO lists_x (v) VALUES (?)", "i", 1), &err);
    CHECK(fr_store_last_id(a) == 1);
    fr_store_rollback(a);
    CHECK_OK(fr_store_exec(b, "CREATE TABLE lists_x (v INTEGER)", &err), &err);
    CHECK_OK(fr_store_execf(a, &err, "INSERT INTO lists_x (v) VALUES (?)", "i", 2), &err);
    int64_t n = 0;
    CHECK_OK(fr_store_query_int(b, &err, &n, "SELECT count(*) FROM lists_x WHERE v = 2", NULL),
             &err);
    CHECK(n == 1);
    fr_store_close(a);
    fr_store_close(b);
}

/* PostgreSQL: a server that takes the connection and never answers (a
 * socket listening that nobody reads) is given up with a clear error
 * after the store's default connect_timeout (10 s), instead of waiting for
 * ever; run on the PostgreSQL pass only (it needs no server, and costs
 * those 10 s). */
static void a_server_that_never_answers_is_given_up(void)
{
    if (!test_on_pg())
        return;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 4) == 0 &&
          getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    char location[128];
    snprintf(location, sizeof location, "postgresql://nobody@127.0.0.1:%d/filrouge",
             ntohs(a.sin_port));
    fr_store *s = NULL;
    fr_error err = {0};
    CHECK_ERR(fr_store_open(location, NULL, &s, &err), FR_EIO, &err, "cannot connect");
    CHECK(strstr(err.message, "timeout") != NULL);
    fr_store_close(s);
    close(fd);
}

static void a_named_lock_excludes_other_connections(void)
{
    fr_store *a, *b;
    fr_error err = {0};
    if (!open_two("locks.db", &a, &b))
        return;
    int got = -1;
    CHECK_OK(fr_store_try_lock(a, "bus:x", &got, &err), &err);
    CHECK(got == 1);
    CHECK_OK(fr_store_try_lock(b, "bus:x", &got, &err), &err);
    CHECK(got == !test_on_pg());
    CHECK_OK(fr_store_try_lock(b, "bus:y", &got, &err), &err);
    CHECK(got == 1);
    fr_store_unlock(a, "bus:x");
    CHECK_OK(fr_store_try_lock(b, "bus:x", &got, &err), &err);
    CHECK(got == 1);
    fr_store_close(a);
    fr_store_close(b);
}

/* fr_store_begin_nowait: while another connection's transaction runs,
 * FR_EBUSY at once and no transaction left open; the connection then
 * waits as before (its busy timeout is back: a transaction that ends
 * while the next BEGIN waits lets it in); once nothing runs, it begins. */
static void a_transaction_that_would_wait_is_refused_at_once(void)
{
    fr_store *a, *b;
    fr_error err = {0};
    const char *p = open_two("nowait.db", &a, &b);
    if (!p)
        return;
    CHECK_OK(fr_store_exec(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", &err), &err);
    CHECK_OK(fr_store_begin(a, &err), &err);
    CHECK(fr_store_begin_nowait(b, &err) == FR_EBUSY);
    CHECK(strstr(err.message, "try again") != NULL);
    CHECK(fr_store_depth(b) == 0);
    fr_error_clear(&err);
    CHECK_OK(fr_store_commit(a, &err), &err);
    CHECK_OK(fr_store_begin_nowait(b, &err), &err);
    CHECK(fr_store_depth(b) == 1);
    CHECK_OK(fr_store_execf(b, &err, "INSERT INTO t (v) VALUES (?)", "i", 1), &err);
    /* a's turn to be refused, and b's transaction goes on */
    CHECK(fr_store_begin_nowait(a, &err) == FR_EBUSY);
    fr_error_clear(&err);
    CHECK_OK(fr_store_commit(b, &err), &err);
    fr_store_close(a);
    /* Another process holds a transaction and ends it a little later: a
     * refusal first, then a BEGIN that waits for it and gets in. The child
     * ends it only once told that the refusal was seen (a fixed time from
     * its start could end first on a loaded machine); its short pause
     * then lets the parent's BEGIN start waiting (which BEGIN passes
     * either way). */
    int ready[2], refused[2];
    CHECK(pipe(ready) == 0 && pipe(refused) == 0);
    pid_t child = fork();
    if (child == 0) {
        fr_store *c = NULL;
        fr_error cerr = {0};
        char y;
        if (fr_store_open(p, NULL, &c, &cerr) || fr_store_begin(c, &cerr))
            _exit(1);
        if (write(ready[1], "x", 1) != 1 || read(refused[0], &y, 1) != 1)
            _exit(1);
        usleep(100 * 1000);
        _exit(fr_store_commit(c, &cerr) ? 1 : 0);
    }
    char x;
    CHECK(read(ready[0], &x, 1) == 1);
    CHECK(fr_store_begin_nowait(b, &err) == FR_EBUSY);
    fr_error_clear(&err);
    CHECK(write(refused[1], "x", 1) == 1);
    CHECK_OK(fr_store_begin(b, &err), &err);
    CHECK_OK(fr_store_commit(b, &err), &err);
    int status = -1;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    close(ready[1]);
    close(refused[0]);
    close(refused[1]);
    fr_store_close(b);
}

/* fr_store_announce reaches the other processes' listening connections at
 * commit (PostgreSQL: NOTIFY/LISTEN), not when rolled back, once per
 * transaction; this process's own are not heard; the wake descriptor ends
 * a wait. SQLite has no one to tell: announcing does nothing, listening
 * is refused. */
static void announcements_reach_other_processes(void)
{
    const char *p = test_store_location("announce.db");
    fr_store *l = NULL, *own = NULL;
    fr_error err = {0};
    CHECK_OK(fr_store_open(p, NULL, &l, &err), &err);
    CHECK_OK(fr_store_open(p, NULL, &own, &err), &err);
    if (!l || !own) {
        fr_store_close(l);
        fr_store_close(own);
        return;
    }
    int heard = -1;
    if (!test_on_pg()) {
        fr_store_announce(own, "outbox");
        CHECK_OK(fr_store_begin(own, &err), &err);
        fr_store_announce(own, "outbox");
        CHECK_OK(fr_store_commit(own, &err), &err);
        CHECK_ERR(fr_store_listen(l, "outbox", &err), FR_EREFUSED, &err, "one process");
        CHECK_ERR(fr_store_wait(l, -1, &heard, &err), FR_EREFUSED, &err, "no announcements");
        CHECK(heard == 0);
        fr_store_close(l);
        fr_store_close(own);
        return;
    }
    CHECK_OK(fr_store_listen(l, "outbox", &err), &err);
    pid_t child = fork();
    if (child == 0) {
        fr_store *c = NULL;
        fr_error e = {0};
        if (fr_store_open(p, NULL, &c, &e) || fr_store_begin(c, &e))
            _exit(2);
        fr_store_announce(c, "outbox");
        fr_store_rollback(c); /* forgotten */
        if (fr_store_begin(c, &e) || fr_store_begin(c, &e))
            _exit(3);
        fr_store_announce(c, "outbox");
        fr_store_announce(c, "outbox");
        fr_store_announce(c, "other");
        if (fr_store_commit(c, &e) || fr_store_commit(c, &e))
            _exit(4);
        fr_store_close(c);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_OK(fr_store_wait(l, -1, &heard, &err), &err);
    CHECK(heard == 1);
    /* This process's own announcement is not heard; the pipe ends the wait. */
    int fds[2];
    CHECK(pipe(fds) == 0);
    CHECK_OK(fr_store_begin(own, &err), &err);
    fr_store_announce(own, "outbox");
    CHECK_OK(fr_store_commit(own, &err), &err);
    CHECK(write(fds[1], "", 1) == 1);
    CHECK_OK(fr_store_wait(l, fds[0], &heard, &err), &err);
    CHECK(heard == 0);
    close(fds[0]);
    close(fds[1]);
    fr_store_close(l);
    fr_store_close(own);
}

/* fr_store_generation, which the server's caches check: known (>= 0) on
 * both backends, the same while nothing is committed (a read changes
 * nothing), new after any commit, by this connection or another one; on
 * SQLite also by another process, including after a checkpoint has
 * restarted the WAL. */
static void the_generation_changes_with_every_commit(void)
{
    fr_store *a, *b;
    fr_error err = {0};
    const char *p = open_two("generation.db", &a, &b);
    if (!p)
        return;
    CHECK_OK(fr_store_exec(a, "CREATE TABLE t (n INTEGER)", &err), &err);
    int64_t g = fr_store_generation(b);
    CHECK(g >= 0);
    int64_t n = 0;
    CHECK_OK(fr_store_query_int(a, &err, &n, "SELECT count(*) FROM t", NULL), &err);
    for (int i = 0; i < 3; i++)
        CHECK(fr_store_generation(b) == g); /* nothing committed */
    int rounds = test_on_pg() ? 2 : 40;
    for (int round = 0; round < rounds; round++) {
        int64_t before = fr_store_generation(b);
        CHECK(fr_store_generation(b) == before);
        if (round % 3 == 0) { /* another connection */
            CHECK_OK(fr_store_begin(a, &err), &err);
            CHECK_OK(fr_store_execf(a, &err, "INSERT INTO t VALUES (?)", "i", round), &err);
            CHECK_OK(fr_store_commit(a, &err), &err);
        } else if (round % 3 == 1) { /* this one */
            CHECK_OK(fr_store_execf(b, &err, "INSERT INTO t VALUES (?)", "i", round), &err);
        } else { /* another process, after a checkpoint (the WAL restarts) */
            CHECK_OK(fr_store_exec(a, "PRAGMA wal_checkpoint(TRUNCATE)", &err), &err);
            pid_t pid = fork();
            if (pid == 0) {
                fr_store *c = NULL;
                fr_error e = {0};
                _exit(fr_store_open(p, NULL, &c, &e) ||
                              fr_store_execf(c, &e, "INSERT INTO t VALUES (?)", "i", round)
                          ? 2
                          : 0);
            }
            int status = 0;
            waitpid(pid, &status, 0);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        int64_t after = fr_store_generation(b);
        CHECK(after >= 0 && after != before);
        if (after == before)
            printf("# round %d: the generation did not change\n", round);
    }
    fr_store_close(a);
    fr_store_close(b);
}

/* One audit-like transaction (fr_store_begin_audit) of a 2000-byte row;
 * on lack of space, the reserve once, as audit.c does. */
static int audit_write(fr_store *s, fr_error *err)
{
    for (int attempt = 0;; attempt++) {
        int rc = fr_store_begin_audit(s, err);
        if (rc)
            return rc;
        rc = fr_store_execf(s, err, "INSERT INTO t (v) VALUES (printf('%.2000c', 'a'))", NULL);
        if (!rc)
            rc = fr_store_commit(s, err);
        else
            fr_store_rollback(s);
        if (!rc || attempt > 0 || !fr_store_use_reserve(s))
            return rc;
    }
}

/* The site's limit stands for a full disk (the reserve file is the same):
 * a write that meets it is refused; an audit transaction gives the reserve
 * up and goes through; from then on other writes are refused, clearly, in
 * every connection, until there is room again. PostgreSQL: no reserve. */
static void a_full_database_keeps_a_reserve_for_audit_entries(void)
{
    fr_error err = {0};
    if (test_on_pg()) {
        fr_store *s = open_store("noreserve.db");
        CHECK(fr_store_short_of_space(s) == 0);
        fr_store_close(s);
        return;
    }
    const char *p = test_path("reserve.db");
    char reserve[4096];
    snprintf(reserve, sizeof reserve, "%s-reserve", p);
    fr_store_options o = {.max_size_kb = 1024, .synchronous_normal = 1};
    fr_store *s = NULL, *other = NULL;
    struct stat st;
    CHECK_OK(fr_store_open(p, &o, &s, &err), &err);
    CHECK(stat(reserve, &st) == 0 && st.st_size == FR_STORE_RESERVE_KB * 1024);
    CHECK_OK(fr_store_exec(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &err), &err);
    int rc = 0, n = 0;
    while (n < 5000 && !(rc = fr_store_begin(s, &err))) {
        rc = fr_store_execf(s, &err, "INSERT INTO t (v) VALUES (printf('%.2000c', 'w'))", NULL);
        if (rc) {
            fr_store_rollback(s);
            break;
        }
        CHECK_OK(fr_store_commit(s, &err), &err);
        n++;
    }
    CHECK(n > 100 && n < 5000);
    CHECK(rc == FR_EIO && strstr(err.message, "is full"));
    CHECK(fr_store_failed_for_space(s));
    CHECK(fr_store_short_of_space(s) == 0); /* the reserve is still there */
    int64_t before = 0, after = 0;
    CHECK_OK(fr_store_query_int(s, &err, &before, "SELECT count(*) FROM t", NULL), &err);
    for (int i = 0; i < 20; i++)
        CHECK_OK(audit_write(s, &err), &err);
    CHECK_OK(fr_store_query_int(s, &err, &after, "SELECT count(*) FROM t", NULL), &err);
    CHECK(after == before + 20);
    CHECK(access(reserve, F_OK) != 0);
    CHECK(fr_store_short_of_space(s) == 1);
    CHECK_ERR(fr_store_begin(s, &err), FR_EIO, &err, "changes are refused");
    CHECK(fr_store_depth(s) == 0);
    /* another connection (another process) sees the reserve gone */
    CHECK_OK(fr_store_open(p, &o, &other, &err), &err);
    CHECK(fr_store_short_of_space(other) == 1);
    CHECK_ERR(fr_store_begin(other, &err), FR_EIO, &err, "Free some space");
    CHECK_OK(audit_write(other, &err), &err);
    fr_store_close(other);
    fr_store_close(s);
    /* room again (a higher limit): the reserve comes back, writes go */
    o.max_size_kb = 8192;
    CHECK_OK(fr_store_open(p, &o, &s, &err), &err);
    CHECK(fr_store_short_of_space(s) == 0);
    CHECK(stat(reserve, &st) == 0 && st.st_size == FR_STORE_RESERVE_KB * 1024);
    CHECK_OK(fr_store_begin(s, &err), &err);
    CHECK_OK(fr_store_execf(s, &err, "INSERT INTO t (v) VALUES ('after')", NULL), &err);
    CHECK_OK(fr_store_commit(s, &err), &err);
    char *ok = NULL;
    CHECK_OK(fr_store_query_text(s, &err, &ok, "PRAGMA integrity_check", NULL), &err);
    CHECK_STR(ok, "ok");
    free(ok);
    fr_store_close(s);
    /* a read-only connection keeps none */
    o = (fr_store_options){.read_only = 1};
    unlink(reserve);
    CHECK_OK(fr_store_open(p, &o, &s, &err), &err);
    CHECK(access(reserve, F_OK) != 0 && fr_store_short_of_space(s) == 0);
    fr_store_close(s);
}

TEST_MAIN({"a_large_statement_in_a_transaction", a_large_statement_in_a_transaction},
          {"settings_are_durable", settings_are_durable},
          {"a_failed_statement_keeps_the_transaction", a_failed_statement_keeps_the_transaction},
          {"rows_have_the_same_types", rows_have_the_same_types},
          {"sql_is_adapted_per_backend", sql_is_adapted_per_backend},
          {"migrations_apply_once_in_order", migrations_apply_once_in_order},
          {"a_failed_migration_changes_nothing", a_failed_migration_changes_nothing},
          {"transactions_nest_with_savepoints", transactions_nest_with_savepoints},
          {"statements_sent_together_keep_their_meaning",
           statements_sent_together_keep_their_meaning},
          {"the_statement_cache_gives_places_up", the_statement_cache_gives_places_up},
          {"a_constraint_error_is_readable", a_constraint_error_is_readable},
          {"not_a_database_is_refused", not_a_database_is_refused},
          {"two_processes_writing_lose_nothing", two_processes_writing_lose_nothing},
          {"no_update_is_lost_between_processes", no_update_is_lost_between_processes},
          {"a_named_lock_excludes_other_connections", a_named_lock_excludes_other_connections},
          {"a_transaction_that_would_wait_is_refused_at_once",
           a_transaction_that_would_wait_is_refused_at_once},
          {"a_schema_changed_elsewhere_is_seen", a_schema_changed_elsewhere_is_seen},
          {"small_tables_are_not_analysed", small_tables_are_not_analysed},
          {"a_lost_connection_is_a_clear_error", a_lost_connection_is_a_clear_error},
          {"a_lost_connection_is_made_again", a_lost_connection_is_made_again},
          {"table_lists_follow_a_rolled_back_change", table_lists_follow_a_rolled_back_change},
          {"a_server_that_never_answers_is_given_up", a_server_that_never_answers_is_given_up},
          {"a_commit_after_a_failed_read_says_nothing_was_written",
           a_commit_after_a_failed_read_says_nothing_was_written},
          {"announcements_reach_other_processes", announcements_reach_other_processes},
          {"the_generation_changes_with_every_commit", the_generation_changes_with_every_commit},
          {"a_full_database_keeps_a_reserve_for_audit_entries",
           a_full_database_keeps_a_reserve_for_audit_entries})
