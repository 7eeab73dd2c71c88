/* Scale benchmark: the caseload query, a case page's data and a patient
 * search on sites seeded with growing numbers of patients (with cases and
 * tasks in realistic proportions), as latency percentiles, to show how the
 * cost grows with size (it should stay flat or logarithmic: no full scans).
 * Each size is compared with the smallest, measured in the same run.
 *
 * With --pg, the sizes after it are measured on PostgreSQL as well (the
 * server of FILROUGE_TEST_STORE, tests/pg/with-postgres.sh; skipped without).
 *
 * usage: bench_scale [docs/performance.md] [SIZE...] [--pg SIZE...]
 *        (default 10000 100000) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchpg.h"
#include "benchsite.h"
#include "perfdoc.h"
#include "plugin.h"
#include "record.h"
#include "site.h"
#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const fr_error *err)
{
    fprintf(stderr, "bench_scale: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

/* Family names from syllables: a few thousand different names, so that a
 * prefix matches a realistic share of a large site. */
static const char *const syl1[] = {"Jan", "Peet", "Du", "Mar", "Wil", "Goos", "Lam", "Mer",
                                   "Cla", "Wou", "Ler", "Lau", "Ja", "Ma", "Si"};
static const char *const syl2[] = {"ss", "ber", "bo", "ten", "le", "ter", "co", "ri",
                                   "de", "va", "mo", "ni", "ge", "lo", "pa"};
static const char *const syl3[] = {"ens", "t", "is", "s", "mans", "aert", "y", "on",
                                   "eau", "ier", "ez", "ink", "ot", "el", "as"};

static int managers_for(int n)
{
    /* about 45 open cases per case manager, as in practice (40 to 60) */
    int m = n * 6 / 10 / 45;
    return m < 50 ? 50 : m;
}

/* A pseudo-random number from 0 to 1,000,002 drawn from the row number X
 * (an SQL expression) with the multiplier M, the same on both stores:
 * seeding in SQL, set by set, puts the same rows in SQLite and in
 * PostgreSQL. */
#define DRAW(X, M) "((" X ") * " M " % 1000003)"
/* A two-digit text of an SQL integer expression from 1 to 99. */
#define TWO(X) "substr(CAST(100 + " X " AS TEXT), 2)"
/* Rows per statement: a bounded write-ahead log and transaction. */
#define CHUNK 100000

static void exec_chunked(fr_store *s, const char *what, const char *sql, int64_t n)
{
    fr_error err = {0};
    for (int64_t lo = 1; lo <= n; lo += CHUNK) {
        int64_t hi = lo + CHUNK - 1 < n ? lo + CHUNK - 1 : n;
        if (fr_store_begin(s, &err) || fr_store_execf(s, &err, sql, "II", lo, hi) ||
            fr_store_commit(s, &err))
            die(what, &err);
    }
}

/* Seeds the site quickly, set by set in SQL straight through the store (the
 * benchmark measures reads, not the seeding): 60% of the patients have a
 * case, about 45 open cases per case manager, a fifth of the cases closed;
 * each case has 3 tasks, one of them open. */
static void seed(fr_site *site, int n)
{
    fr_error err = {0};
    fr_store *s = site->store;
    int64_t version = 0; /* the frailty workflow's, as the plugin loaded it */
    if (fr_store_query_int(s, &err, &version,
                           "SELECT max(version) FROM workflows WHERE id = 'frailty'", NULL))
        die("workflow version", &err);
    int nm = managers_for(n);
    /* row numbers LO..HI (the ? of exec_chunked), as column i */
#define ROWS                                                                                       \
    "WITH RECURSIVE seq(i) AS (SELECT CAST(? AS BIGINT) UNION ALL SELECT i + 1 FROM seq"           \
    " WHERE i < CAST(? AS BIGINT)) "
    exec_chunked(s, "users",
                 "INSERT INTO users (login, display_name, role, created_at) " ROWS
                 "SELECT 'cm' || substr(CAST(100000 + i AS TEXT), 2),"
                 " 'cm' || substr(CAST(100000 + i AS TEXT), 2), 'case_manager',"
                 " '2026-01-01T00:00:00Z' FROM seq",
                 nm);
    /* The cases below give their managers as user ids 1..nm. */
    int64_t id7 = 0, last = 0;
    if (fr_store_query_int(s, &err, &id7, "SELECT id FROM users WHERE login = 'cm00007'", NULL) ||
        fr_store_query_int(s, &err, &last, "SELECT max(id) FROM users", NULL) || id7 != 7 ||
        last != nm)
        die("users (not numbered 1 to the number of case managers)", &err);
    if (fr_store_begin(s, &err) ||
        fr_store_exec(s, "CREATE TEMPORARY TABLE syllables (k INTEGER, a TEXT, b TEXT, c TEXT)",
                      &err))
        die("syllables", &err);
    for (int k = 0; k < 15; k++)
        if (fr_store_execf(s, &err, "INSERT INTO syllables VALUES (?, ?, ?, ?)", "Ittt", (int64_t)k,
                           syl1[k], syl2[k], syl3[k]))
            die("syllables", &err);
    if (fr_store_commit(s, &err))
        die("syllables", &err);
    exec_chunked(
        s, "patients",
        "INSERT INTO patients (family_name, given_names, birth_date, sex, created_at,"
        " updated_at) " ROWS "SELECT x.a || y.b || z.c, 'P' || CAST(i AS TEXT),"
        " '19' || CAST(30 + " DRAW("i", "2654435761") " % 60 AS TEXT) || '-' || " TWO("1 + " DRAW("i", "2246822519") " % 12") " || '-' || " TWO(
            "1 + " DRAW(
                "i",
                "3266489917") " % 28") ", 'unknown', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'"
                                       " FROM seq JOIN syllables x ON x.k = " DRAW(
                                           "i",
                                           "668265263") " % 15"
                                                        " JOIN syllables y ON y.k = " DRAW(
                                                            "i",
                                                            "374761393") " % 15"
                                                                         " JOIN syllables z ON z.k "
                                                                         "= " DRAW(
                                                                             "i",
                                                                             "1181783497") " % 15 "
                                                                                           "ORDER "
                                                                                           "BY i",
        n);
    exec_chunked(s, "identifiers",
                 "INSERT INTO patient_identifiers (patient_id, system, value)"
                 " SELECT id, 'hospital', 'H' || substr(CAST(1000000000 + id AS TEXT), 2)"
                 " FROM patients WHERE id BETWEEN ? AND ?",
                 n);
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO cases (patient_id, plugin, workflow_id, workflow_version, state,"
             " case_manager_id, intensity, opened_on, state_since, created_at, updated_at,"
             " status) SELECT id, 'frailty', 'frailty', %" PRId64 ", 'monitoring', 1 + %s %% %d,"
             " 1 + %s %% 4, '2026-01-01', '2026-01-01', '2026-01-01T00:00:00Z',"
             " '2026-01-01T00:00:00Z', CASE WHEN %s %% 5 = 0 THEN 'closed' ELSE 'open' END"
             " FROM patients WHERE id BETWEEN ? AND ? AND id %% 10 < 6 ORDER BY id",
             version, DRAW("id", "2869860233"), nm, DRAW("id", "1609587929"),
             DRAW("id", "1103515245"));
    exec_chunked(s, "cases", sql, n);
    exec_chunked(
        s, "tasks",
        "INSERT INTO tasks (case_id, title, assignee_id, due_on, status, origin,"
        " created_at, created_by) SELECT c.id, 'Suivi', c.case_manager_id,"
        " '2026-' || " TWO("1 + " DRAW("c.id * 3 + t.n", "1664525") " % 12") " || '-' || " TWO(
            "1 + " DRAW(
                "c.id * 3 + t.n",
                "22695477") " % 28") ", CASE WHEN t.n = 0 THEN 'open' ELSE 'done' END, 'person',"
                                     " '2026-01-01T00:00:00Z', 'bench' FROM cases c"
                                     " CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL "
                                     "SELECT 2) t"
                                     " WHERE c.id BETWEEN ? AND ? ORDER BY c.id, t.n",
        n);
#undef ROWS
    if (fr_store_exec(s, "DROP TABLE syllables", &err))
        die("syllables", &err);
    /* A site that has lived: statistics made, and on PostgreSQL the new
     * rows vacuumed (its visibility map set), or else autovacuum does it
     * while the reads are measured. */
    if (fr_store_exec(
            s, strcmp(fr_store_backend(s), "postgresql") == 0 ? "VACUUM ANALYZE" : "ANALYZE", &err))
        die("analyze", &err);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct figures {
    double p50, p95;
} figures;

static figures percentiles(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    figures f = {v[n / 2] * 1000, v[(n * 95) / 100] * 1000};
    return f;
}

#define ROUNDS 200

static void measure(fr_site *site, int n, figures out[3])
{
    fr_error err = {0};
    double v[ROUNDS];
    /* The caseload of one case manager, as they open the application. */
    if (fr_site_set_actor(site, "cm00007", &err))
        die("actor", &err);
    for (int r = 0; r < ROUNDS; r++) {
        json_t *j = NULL;
        fr_case_filter f = {.manager = "cm00007", .status = "open", .limit = 50};
        double t0 = now_s();
        if (fr_case_list(site, &f, &j, &err))
            die("caseload", &err);
        v[r] = now_s() - t0;
        json_decref(j);
    }
    out[0] = percentiles(v, ROUNDS);
    /* A case page of one of their cases. */
    int64_t cid = 0;
    if (fr_store_query_int(site->store, &err, &cid,
                           "SELECT id FROM cases WHERE case_manager_id = 7 AND status = 'open'"
                           " ORDER BY id LIMIT 1",
                           ""))
        die("a case", &err);
    for (int r = 0; r < ROUNDS; r++) {
        json_t *j = NULL;
        double t0 = now_s();
        if (fr_case_get(site, cid, &j, &err))
            die("case page", &err);
        v[r] = now_s() - t0;
        json_decref(j);
    }
    out[1] = percentiles(v, ROUNDS);
    /* A search by the start of a name, by the system (sees everything). */
    fr_site_set_actor(site, "system", &err);
    for (int r = 0; r < ROUNDS; r++) {
        json_t *j = NULL;
        double t0 = now_s();
        if (fr_patient_find(site, r % 2 ? "Jans" : "H000000123", 20, 0, &j, &err))
            die("search", &err);
        v[r] = now_s() - t0;
        json_decref(j);
    }
    out[2] = percentiles(v, ROUNDS);
    (void)n;
}

typedef struct run {
    const char *store; /* "SQLite" or "PostgreSQL" */
    int size;
    double seeding;
    figures f[3];
} run;

/* Seeds a new site of `size` patients in site_dir (its database `database`,
 * NULL for SQLite in the folder) and measures it; the folder is removed
 * unless `keep`. */
static void run_size(run *r, const char *site_dir, const char *database, int keep)
{
    fr_site *site = bench_site(site_dir, database);
    double t0 = now_s();
    seed(site, r->size);
    r->seeding = now_s() - t0;
    measure(site, r->size, r->f);
    fr_site_close(site);
    if (!keep) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", site_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", site_dir);
    }
    fprintf(stderr, "%s, %d patients done (seeded in %.1f s)\n", r->store, r->size, r->seeding);
}

/* The target of issue 7 for one store's rows: caseload and case page at
 * 1,000,000 patients within 2× of their latency at 10,000. */
static size_t verdict(char *out, size_t n, const run *rs, int nr, const char *store)
{
    const run *small = NULL, *big = NULL, *first = NULL, *last = NULL;
    for (int k = 0; k < nr; k++) {
        if (strcmp(rs[k].store, store) != 0)
            continue;
        if (!first)
            first = &rs[k];
        last = &rs[k];
        if (rs[k].size == 10000)
            small = &rs[k];
        if (rs[k].size == 1000000)
            big = &rs[k];
    }
    if (!first || first == last)
        return 0;
    if (small && big) {
        double c = big->f[0].p50 / small->f[0].p50, p = big->f[1].p50 / small->f[1].p50;
        return (size_t)snprintf(
            out, n,
            "%s: target (caseload and case page at 1,000,000 patients within 2× of their p50 "
            "at 10,000) %s: caseload %.2f×, case page %.2f×.\n\n",
            store, c <= 2 && p <= 2 ? "met" : "**not met**", c, p);
    }
    return (size_t)snprintf(out, n,
                            "%s: the target compares 1,000,000 with 10,000 patients, not both "
                            "measured in this run; from %d to %d patients the p50 of the "
                            "caseload went %.2f×, of the case page %.2f×.\n\n",
                            store, first->size, last->size, last->f[0].p50 / first->f[0].p50,
                            last->f[1].p50 / first->f[1].p50);
}

int main(int argc, char **argv)
{
    const char *doc = argc > 1 ? argv[1] : NULL;
    run rs[16] = {{.store = "SQLite", .size = 10000}, {.store = "SQLite", .size = 100000}};
    int nr = 2, pg_asked = 0;
    if (argc > 2) {
        nr = 0;
        const char *store = "SQLite";
        for (int i = 2; i < argc && nr < 16; i++) {
            if (strcmp(argv[i], "--pg") == 0) {
                store = "PostgreSQL";
                pg_asked = 1;
                continue;
            }
            if (strcmp(store, "PostgreSQL") == 0 && !benchpg_base())
                continue;
            rs[nr].store = store;
            rs[nr++].size = atoi(argv[i]);
        }
    }
    setenv("FILROUGE_LOG", "/dev/null", 1);
    /* SCALE_KEEP=DIR keeps the largest SQLite site there (tests/bench/memory.sh
     * reuses it instead of seeding its own). */
    const char *keep = getenv("SCALE_KEEP");
    int largest = -1;
    for (int k = 0; k < nr; k++)
        if (strcmp(rs[k].store, "SQLite") == 0 && (largest < 0 || rs[k].size > rs[largest].size))
            largest = k;
    for (int k = 0; k < nr; k++) {
        int pg = strcmp(rs[k].store, "PostgreSQL") == 0, kept = keep && *keep && k == largest;
        char dir[] = "/tmp/filrouge-scale-XXXXXX", site_dir[512], schema[32];
        if (!mkdtemp(dir))
            die("mkdtemp", NULL);
        snprintf(site_dir, sizeof site_dir, "%s/site", dir);
        snprintf(schema, sizeof schema, "bench_scale_%d", rs[k].size);
        run_size(&rs[k], kept ? keep : site_dir, pg ? benchpg_location(schema) : NULL, kept);
        rmdir(dir);
    }
    char section[8192], machine[512], pgdesc[256] = "";
    perfdoc_machine(machine, sizeof machine);
    if (benchpg_base())
        benchpg_describe(pgdesc, sizeof pgdesc);
    size_t len = 0;
    len += (size_t)snprintf(
        section + len, sizeof section - len,
        "## Scale: reads on large sites\n\n"
        "Measured on %s, by `%s docs/performance.md SIZES… --pg SIZES…` (part of "
        "`scripts/bench`; `SCALE_SIZES` and `SCALE_PG_SIZES` there): %d rounds each, through "
        "the kernel's API in one process; 60%% of the patients have a case, about 45 open "
        "cases per case manager, 3 tasks per case; sites seeded set by set in SQL straight "
        "through the store, with the same rows on both stores. Milliseconds, p50 / p95, and "
        "the p50 against the smallest site of the same store. PostgreSQL: %s.\n\n"
        "| store | patients | seeding | caseload of one case manager | case page | patient search "
        "|\n"
        "|---|---:|---:|---:|---:|---:|\n",
        machine, argv[0], ROUNDS,
        pgdesc[0] ? pgdesc
                  : (pg_asked ? "not measured in this run (no server given: run under "
                                "`tests/pg/with-postgres.sh`)"
                              : "not asked for in this run"));
    for (int k = 0; k < nr; k++) {
        const run *base = &rs[k];
        while (base > rs && strcmp(base[-1].store, rs[k].store) == 0)
            base--;
        len += (size_t)snprintf(section + len, sizeof section - len, "| %s | %d | %.0f s |",
                                rs[k].store, rs[k].size, rs[k].seeding);
        for (int q = 0; q < 3; q++)
            len += (size_t)snprintf(section + len, sizeof section - len,
                                    " %.2f / %.2f (%.2f×) |", rs[k].f[q].p50, rs[k].f[q].p95,
                                    rs[k].f[q].p50 / base->f[q].p50);
        len += (size_t)snprintf(section + len, sizeof section - len, "\n");
    }
    len += (size_t)snprintf(section + len, sizeof section - len, "\n");
    len += verdict(section + len, sizeof section - len, rs, nr, "SQLite");
    len += verdict(section + len, sizeof section - len, rs, nr, "PostgreSQL");
    snprintf(section + len, sizeof section - len,
             "A case page and a patient search each write their audit entry durably, so their "
             "latency includes a commit on the disk of the moment (the caseload does not: "
             "it lists the user's own cases).\n\n");
    printf("%s", section);
    if (doc)
        perfdoc_write(doc, "scale", section);
    return 0;
}
