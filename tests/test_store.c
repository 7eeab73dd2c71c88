/* The store: durable settings, nested transactions, migrations per owner,
 * refusing a newer database, and two processes writing at once. */
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "test.h"

static fr_store *open_store(const char *name)
{
    fr_store *s = NULL;
    fr_error err = {0};
    CHECK_OK(fr_store_open(test_path(name), NULL, &s, &err), &err);
    return s;
}

static const fr_migration mig_v2[] = {
    {1, "t-001.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);"},
    {2, "t-002.sql", "ALTER TABLE t ADD COLUMN w INTEGER;"},
};

static void settings_are_durable(void)
{
    fr_store *s = open_store("durable.db");
    fr_error err = {0};
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
                                {2, "bad.sql", "CREATE TABLE b (y INTEGER); CREATE TABLE oops ("}};
    CHECK_ERR(fr_store_migrate(s, "p", bad, 2, &err), FR_EIO, &err, "bad.sql");
    int v = 0;
    int64_t n = -1;
    CHECK_OK(fr_store_schema_version(s, "p", &v, &err), &err);
    CHECK(v == 1);
    CHECK_OK(fr_store_query_int(s, &err, &n,
                                "SELECT count(*) FROM sqlite_master WHERE name = 'b'", NULL),
             &err);
    CHECK(n == 0);
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
    const char *p = test_path("two.db");
    fr_store *s = open_store("two.db");
    fr_error err = {0};
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
    s = open_store("two.db");
    int64_t n = 0;
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT count(*) FROM t", NULL), &err);
    CHECK(n == WRITERS * ROWS);
    fr_store_close(s);
}

TEST_MAIN({"settings_are_durable", settings_are_durable},
          {"migrations_apply_once_in_order", migrations_apply_once_in_order},
          {"a_failed_migration_changes_nothing", a_failed_migration_changes_nothing},
          {"transactions_nest_with_savepoints", transactions_nest_with_savepoints},
          {"a_constraint_error_is_readable", a_constraint_error_is_readable},
          {"not_a_database_is_refused", not_a_database_is_refused},
          {"two_processes_writing_lose_nothing", two_processes_writing_lose_nothing})
