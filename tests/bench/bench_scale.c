/* Scale benchmark: the caseload query, a case page's data and a patient
 * search on sites seeded with growing numbers of patients (with cases and
 * tasks in realistic proportions), as latency percentiles, to show how the
 * cost grows with size (it should stay flat or logarithmic: no full scans).
 * Each size is compared with the smallest, measured in the same run.
 *
 * usage: bench_scale [docs/performance.md] [SIZE...]   (default 10000 100000) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static void family_name(char *out, size_t n)
{
    snprintf(out, n, "%s%s%s", syl1[rand() % 15], syl2[rand() % 15], syl3[rand() % 15]);
}

static int managers_for(int n)
{
    /* about 45 open cases per case manager, as in practice (40 to 60) */
    int m = n * 6 / 10 / 45;
    return m < 50 ? 50 : m;
}

/* Seeds the site quickly in one transaction, straight through the store:
 * the benchmark measures reads, not the seeding. 60% of the patients have
 * a case, spread over 50 case managers; each case has 3 tasks. */
static void seed(fr_site *site, int n)
{
    fr_error err = {0};
    fr_store *s = site->store;
    if (fr_store_begin(s, &err))
        die("begin", &err);
    int nm = managers_for(n);
    for (int u = 1; u <= nm; u++) {
        char login[32];
        snprintf(login, sizeof login, "cm%05d", u);
        if (fr_store_execf(s, &err,
                           "INSERT INTO users (login, display_name, role, created_at)"
                           " VALUES (?, ?, 'case_manager', '2026-01-01T00:00:00Z')",
                           "tt", login, login))
            die("user", &err);
    }
    srand(42);
    for (int i = 1; i <= n; i++) {
        char given[32], birth[16], niss[32], family[64];
        family_name(family, sizeof family);
        snprintf(given, sizeof given, "P%d", i);
        snprintf(birth, sizeof birth, "19%02d-%02d-%02d", 30 + rand() % 60, 1 + rand() % 12,
                 1 + rand() % 28);
        snprintf(niss, sizeof niss, "H%09d", i);
        if (fr_store_execf(s, &err,
                           "INSERT INTO patients (family_name, given_names, birth_date, sex,"
                           " created_at, updated_at) VALUES (?, ?, ?, 'unknown',"
                           " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                           "ttt", family, given, birth) ||
            fr_store_execf(s, &err,
                           "INSERT INTO patient_identifiers (patient_id, system, value)"
                           " VALUES (?, 'hospital', ?)",
                           "It", (int64_t)i, niss))
            die("patient", &err);
        if (i % 10 >= 6)
            continue;
        int64_t manager = 1 + rand() % nm;
        if (fr_store_execf(s, &err,
                           "INSERT INTO cases (patient_id, plugin, workflow_id, workflow_version,"
                           " state, case_manager_id, intensity, opened_on, state_since,"
                           " created_at, updated_at, status) VALUES (?, 'frailty', 'frailty', 1,"
                           " 'monitoring', ?, ?, '2026-01-01', '2026-01-01',"
                           " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?)",
                           "IIit", (int64_t)i, manager, 1 + rand() % 4,
                           rand() % 5 == 0 ? "closed" : "open"))
            die("case", &err);
        int64_t cid = fr_store_last_id(s);
        for (int t = 0; t < 3; t++) {
            char due[16];
            snprintf(due, sizeof due, "2026-%02d-%02d", 1 + rand() % 12, 1 + rand() % 28);
            if (fr_store_execf(s, &err,
                               "INSERT INTO tasks (case_id, title, assignee_id, due_on, status,"
                               " origin, created_at, created_by) VALUES (?, 'Suivi', ?, ?, ?,"
                               " 'person', '2026-01-01T00:00:00Z', 'bench')",
                               "IItt", cid, manager, due, t == 0 ? "open" : "done"))
                die("task", &err);
        }
    }
    if (fr_store_commit(s, &err))
        die("commit", &err);
    fr_store_exec(s, "ANALYZE", &err);
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

int main(int argc, char **argv)
{
    const char *doc = argc > 1 ? argv[1] : NULL;
    int sizes[8] = {10000, 100000}, nsizes = 2;
    if (argc > 2) {
        nsizes = 0;
        for (int i = 2; i < argc && nsizes < 8; i++)
            sizes[nsizes++] = atoi(argv[i]);
    }
    setenv("FILROUGE_LOG", "/dev/null", 1);
    figures f[8][3];
    double seeding[8];
    for (int k = 0; k < nsizes; k++) {
        char dir[] = "/tmp/filrouge-scale-XXXXXX";
        if (!mkdtemp(dir))
            die("mkdtemp", NULL);
        char site_dir[256];
        snprintf(site_dir, sizeof site_dir, "%s/site", dir);
        fr_error err = {0};
        fr_site *site = NULL;
        if (fr_site_init(site_dir, NULL, &err) || fr_site_open(site_dir, NULL, &site, &err) ||
            fr_plugins_enable(site, "instruments", &err) ||
            fr_plugins_enable(site, "frailty", &err))
            die("site", &err);
        double t0 = now_s();
        seed(site, sizes[k]);
        seeding[k] = now_s() - t0;
        measure(site, sizes[k], f[k]);
        fr_site_close(site);
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
        fprintf(stderr, "%d patients done (seeded in %.1f s)\n", sizes[k], seeding[k]);
    }
    char section[4096];
    size_t len = 0;
    time_t t = time(NULL);
    char when[32];
    strftime(when, sizeof when, "%d/%m/%Y", gmtime(&t));
    len += (size_t)snprintf(section + len, sizeof section - len,
                            "## Scale: reads on large sites\n\n"
                            "Measured on %s, %ld cores, by `build/tests/bench/bench_scale "
                            "docs/performance.md SIZES…`: %d rounds each; 60%% of the patients "
                            "have a case, about 45 open cases per case manager, 3 tasks per case. Milliseconds, "
                            "p50 / p95, and the p50 against the smallest site. Every read of clinical data writes its audit entry durably (an fsync), so the figures are mostly the disk's.\n\n"
                            "| patients | caseload of one case manager | case page | patient search |\n"
                            "|---:|---:|---:|---:|\n",
                            when, sysconf(_SC_NPROCESSORS_ONLN), ROUNDS);
    for (int k = 0; k < nsizes; k++) {
        len += (size_t)snprintf(section + len, sizeof section - len, "| %d |", sizes[k]);
        for (int q = 0; q < 3; q++)
            len += (size_t)snprintf(section + len, sizeof section - len,
                                    " %.2f / %.2f (%.2f×) |", f[k][q].p50, f[k][q].p95,
                                    f[k][q].p50 / f[0][q].p50);
        len += (size_t)snprintf(section + len, sizeof section - len, "\n");
    }
    snprintf(section + len, sizeof section - len, "\n");
    printf("%s", section);
    if (doc)
        perfdoc_write(doc, "scale", section);
    return 0;
}
