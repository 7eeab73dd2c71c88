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


int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    const char *doc = argc > 2 ? argv[2] : NULL;
    char dir[] = "/tmp/filrouge-bench-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    char raw_path[512], site_dir[512];
    snprintf(raw_path, sizeof raw_path, "%s/raw.db", dir);
    snprintf(site_dir, sizeof site_dir, "%s/site", dir);
    setenv("FILROUGE_LOG", "/dev/null", 1);

    fr_error err = {0};
    fr_site *site = NULL;
    if (fr_site_init(site_dir, NULL, &err) || fr_site_open(site_dir, NULL, &site, &err) ||
        fr_plugins_enable(site, "instruments", &err) || fr_plugins_enable(site, "frailty", &err))
        die("site", &err);
    fr_patient_new p = {.family_name = "Bench", .given_names = "Anna", .birth_date = "1940-01-01"};
    int64_t pid = 0;
    if (fr_patient_add(site, &p, &pid, &err))
        die("patient", &err);

    double raw = raw_inserts(raw_path, n);
    int64_t *ids = calloc((size_t)n, sizeof *ids);
    fr_case_new cn = {.patient_id = pid, .workflow = "frailty"};
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if (fr_case_open(site, &cn, &ids[i], &err))
            die("case open", &err);
    double opens = n / (now_s() - t0);
    t0 = now_s();
    for (int i = 0; i < n; i++)
        if (fr_workflow_fire(site, ids[i], "screen", NULL, NULL, &err))
            die("fire", &err);
    double fires = n / (now_s() - t0);
    fr_site_close(site);
    free(ids);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGE_SIZE);
    char section[2048];
    time_t t = time(NULL);
    char when[32];
    strftime(when, sizeof when, "%d/%m/%Y", gmtime(&t));
    snprintf(section, sizeof section,
             "## Kernel: durable writes\n\n"
             "Measured on %s, %ld cores, %.1f GiB, %d operations each, one durable "
             "transaction per operation (WAL, `synchronous=FULL`), by `build/tests/bench/"
             "bench_kernel %d docs/performance.md` (or `meson test -C build --benchmark`).\n\n"
             "| operation | per second | against raw SQLite inserts |\n"
             "|---|---:|---:|\n"
             "| raw SQLite insert, ~700-byte row (baseline) | %.0f | 1.00× |\n"
             "| open a case (row, opening transition, on-enter task, events, audit) | %.0f | "
             "%.2f× |\n"
             "| fire a workflow event (guard, transition, events, audit) | %.0f | %.2f× |\n\n",
             when, cores, (double)pages * (double)psize / (1024.0 * 1024 * 1024), n, n, raw,
             opens, opens / raw, fires, fires / raw);
    printf("%s", section);
    if (doc)
        perfdoc_write(doc, "kernel", section);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_kernel: could not remove %s\n", dir);
    return 0;
}
