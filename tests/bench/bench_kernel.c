/* Kernel benchmark: durable workflow fires and case openings per second,
 * against raw SQLite inserts of rows of about the same size with the same
 * durability (WAL, synchronous=FULL, one transaction each), measured in the
 * same run. Writes its figures into docs/performance.md between the
 * markers of its section. Not a test: no pass or fail.
 *
 * usage: bench_kernel [N] [docs/performance.md] */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchpg.h"
#include "benchsite.h"
#include "perfdoc.h"

#include "care.h"
#include "plugin.h"
#include "record.h"
#include "site.h"
#include "workflow.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const fr_error *err)
{
    fprintf(stderr, "bench_kernel: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

/* One row per transaction, ~700 bytes: what one fire writes (a transition,
 * an outbox event, an audit entry, the case update) put together. */
static double raw_inserts(const char *path, int n)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("sqlite3_open", NULL);
    sqlite3_exec(db,
                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                 " CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT);",
                 NULL, NULL, NULL);
    char pad[240];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO t (a, b, c) VALUES (?, ?, ?)", -1, &st, NULL);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (int k = 1; k <= 3; k++)
            sqlite3_bind_text(st, k, pad, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double dt = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n / dt;
}


typedef struct figures {
    double raw, opens, fires;
} figures;

/* Opens n cases then fires an event on each, on a new site in site_dir
 * whose database is `database` (NULL: SQLite in the folder). */
static figures measure(const char *site_dir, const char *database, int n, double raw)
{
    fr_error err = {0};
    fr_site *site = bench_site(site_dir, database);
    fr_patient_new p = {.family_name = "Bench", .given_names = "Anna", .birth_date = "1940-01-01"};
    int64_t pid = 0;
    if (fr_patient_add(site, &p, &pid, &err))
        die("patient", &err);
    figures f = {.raw = raw};
    int64_t *ids = calloc((size_t)n, sizeof *ids);
    fr_case_new cn = {.patient_id = pid, .workflow = "frailty"};
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if (fr_case_open(site, &cn, &ids[i], &err))
            die("case open", &err);
    f.opens = n / (now_s() - t0);
    t0 = now_s();
    for (int i = 0; i < n; i++)
        if (fr_workflow_fire(site, ids[i], "screen", NULL, NULL, &err))
            die("fire", &err);
    f.fires = n / (now_s() - t0);
    fr_site_close(site);
    free(ids);
    return f;
}

/* "| 1483 | 0.48× |" or, when not measured, "| | |" */
static const char *cell(char *out, size_t n, double v, double base)
{
    if (base > 0)
        snprintf(out, n, " %.0f | %.2f× |", v, v / base);
    else
        snprintf(out, n, " | |");
    return out;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    const char *doc = argc > 2 ? argv[2] : NULL;
    char dir[] = "/tmp/filrouge-bench-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    char raw_path[512], site_dir[512], pg_dir[512];
    snprintf(raw_path, sizeof raw_path, "%s/raw.db", dir);
    snprintf(site_dir, sizeof site_dir, "%s/site", dir);
    snprintf(pg_dir, sizeof pg_dir, "%s/site-pg", dir);
    setenv("FILROUGE_LOG", "/dev/null", 1);

    figures lite = measure(site_dir, NULL, n, raw_inserts(raw_path, n)), pg = {0};
    char pgdesc[256] = "";
    if (benchpg_base()) {
        /* same rows as raw_inserts: 3 columns of 239 bytes */
        double raw = benchpg_raw_inserts("bench_kernel_raw", 3, 239, n, 0);
        pg = measure(pg_dir, benchpg_location("bench_kernel"), n, raw);
        benchpg_describe(pgdesc, sizeof pgdesc);
    }

    char machine[512], section[4096], c[6][64];
    perfdoc_machine(machine, sizeof machine);
    snprintf(section, sizeof section,
             "## Kernel: durable writes\n\n"
             "Measured on %s, by `%s %d docs/performance.md` (part of `scripts/bench`, which "
             "runs it under `tests/pg/with-postgres.sh` with `PG_DURABLE=1` for the PostgreSQL "
             "column): %d operations each, one durable transaction per operation, through "
             "the kernel's API in one process. The baseline of each store is raw single-row "
             "inserts of a ~700-byte row (3 text columns), one transaction each, with the same "
             "durability, measured in the same run: SQLite in WAL mode with "
             "`synchronous=FULL`; %s.\n\n"
             "| operation | SQLite, per second | against raw SQLite inserts | PostgreSQL, "
             "per second | against raw PostgreSQL inserts |\n"
             "|---|---:|---:|---:|---:|\n"
             "| raw insert, ~700-byte row (baseline) |%s%s\n"
             "| open a case (row, opening transition, on-enter task, events, audit) |%s%s\n"
             "| fire a workflow event (guard, transition, events, audit) |%s%s\n\n",
             machine, argv[0], n, n,
             pgdesc[0] ? pgdesc
                       : "PostgreSQL not measured in this run (no server given: run under "
                         "`tests/pg/with-postgres.sh`)",
             cell(c[0], 64, lite.raw, lite.raw), cell(c[1], 64, pg.raw, pg.raw),
             cell(c[2], 64, lite.opens, lite.raw), cell(c[3], 64, pg.opens, pg.raw),
             cell(c[4], 64, lite.fires, lite.raw), cell(c[5], 64, pg.fires, pg.raw));
    printf("%s", section);
    if (doc)
        perfdoc_write(doc, "kernel", section);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_kernel: could not remove %s\n", dir);
    return 0;
}
