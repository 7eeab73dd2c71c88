/* Benchmark: validate + score + store per second for a 30-field form,
 * against raw SQLite inserts of rows of the same size with the same
 * durability (WAL, synchronous=FULL, one transaction per row), measured in
 * the same run on the same disk. Writes the figures to the Markdown file
 * given as first argument (docs/performance.md). Not a test: it never
 * fails on a time. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "perfdoc.h"

#include "form.h"
#include "plugin.h"
#include "site.h"
#include "store.h"
#include "workflow.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const fr_error *err)
{
    fprintf(stderr, "bench: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

static char *answers(int k);
static sqlite3_stmt *raw_st;

/* Inserts rows [from, from + count) one transaction each; seconds taken. */
static double raw_batch(sqlite3 *db, int from, int count)
{
    double t0 = now_s();
    for (int k = from; k < from + count; k++) {
        char *data = answers(k);
        sqlite3_bind_text(raw_st, 1, data, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(raw_st, 2, "2026-11-23T09:00:00Z", -1, SQLITE_STATIC);
        if (sqlite3_step(raw_st) != SQLITE_DONE) {
            fprintf(stderr, "bench: raw insert: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(raw_st);
        free(data);
    }
    return now_s() - t0;
}

static char *answers(int k)
{
    char *buf = malloc(2048);
    size_t len = (size_t)snprintf(buf, 2048, "{");
    for (int i = 1; i <= 20; i++)
        len += (size_t)snprintf(buf + len, 2048 - len, "\"i%d\":\"%d\",", i, (i + k) % 4);
    for (int i = 1; i <= 5; i++)
        len += (size_t)snprintf(buf + len, 2048 - len, "\"n%d\":%d,", i, (i * 7 + k) % 100);
    for (int i = 1; i <= 3; i++)
        len +=
            (size_t)snprintf(buf + len, 2048 - len, "\"t%d\":\"free text answer %d-%d\",", i, k, i);
    snprintf(buf + len, 2048 - len, "\"seen\":\"2026-11-%02d\"}", 1 + k % 28);
    return buf;
}

int main(int argc, char **argv)
{
    const char *out_path = argc > 1 && argv[1][0] ? argv[1] : NULL;
    const char *form_path = argc > 2 ? argv[2] : "tests/bench/bench30.xml";
    int n = argc > 3 ? atoi(argv[3]) : 300;
    char dir[] = "/tmp/filrouge-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char site_dir[512];
    snprintf(site_dir, sizeof site_dir, "%s/site", dir);
    fr_error err = {0};
    fr_site_init_options o = {.languages = "en fr"};
    if (fr_site_init(site_dir, &o, &err))
        die("init", &err);
    fr_site *site = NULL;
    if (fr_site_open(site_dir, NULL, &site, &err))
        die("open", &err);
    fr_form *f = NULL;
    if (fr_form_load_file(form_path, &f, &err) || fr_forms_add(site, "site", f, &err))
        die("form", &err);
    fr_workflow *wf = NULL;
    /* A one-state workflow for the case, written next to the site. */
    char wf_path[600];
    snprintf(wf_path, sizeof wf_path, "%s/wf.xml", dir);
    FILE *fp = fopen(wf_path, "w");
    fputs("<workflow xmlns=\"urn:filrouge:workflow:1\" id=\"bench\" version=\"1\">"
          "<state id=\"open\" initial=\"true\"/><state id=\"done\" final=\"true\"/>"
          "<transition event=\"close\" from=\"*\" to=\"done\"/></workflow>",
          fp);
    fclose(fp);
    if (fr_workflow_load_file(wf_path, &wf, &err) || fr_workflows_add(site, "bench", wf, &err))
        die("workflow", &err);
    if (fr_store_execf(site->store, &err,
                       "INSERT INTO patients (family_name, given_names, birth_date, sex,"
                       " created_at, updated_at) VALUES ('B', 'B', '1940-01-01', 'female',"
                       " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                       NULL) ||
        fr_store_execf(site->store, &err,
                       "INSERT INTO cases (patient_id, plugin, workflow_id, workflow_version,"
                       " state, opened_on, state_since, created_at, updated_at) VALUES (1,"
                       " 'bench', 'bench', 1, 'open', '2026-01-01', '2026-01-01',"
                       " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                       NULL))
        die("case", &err);

    char raw_path[600];
    snprintf(raw_path, sizeof raw_path, "%s/raw.db", dir);
    sqlite3 *raw;
    if (sqlite3_open(raw_path, &raw) != SQLITE_OK)
        return 1;
    sqlite3_exec(raw,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 " CREATE TABLE t (id INTEGER PRIMARY KEY, case_id INTEGER, form_id TEXT,"
                 " data TEXT, at TEXT)",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(raw,
                       "INSERT INTO t (case_id, form_id, data, at) VALUES (1, 'bench30', ?, ?)", -1,
                       &raw_st, NULL);

    /* Ten rounds, each raw then forms, so that both meet the same disk
     * (other work on the machine, the disk's cache) in the same proportion. */
    size_t row_bytes = 0;
    struct rusage ru0, ru;
    double forms_s = 0, raw_s = 0, cpu = 0;
    enum { ROUNDS = 10 };
    for (int round = 0; round < ROUNDS; round++) {
        int from = n * round / ROUNDS, to = n * (round + 1) / ROUNDS;
        raw_s += raw_batch(raw, from, to - from);
        getrusage(RUSAGE_SELF, &ru0);
        double t0 = now_s();
        for (int k = from; k < to; k++) {
            char *data = answers(k);
            row_bytes += strlen(data);
            fr_submit s = {.form_id = "bench30", .case_id = 1, .data = data, .len = strlen(data)};
            int64_t id;
            if (fr_form_submit(site, &s, &id, NULL, &err))
                die("submit", &err);
            free(data);
        }
        forms_s += now_s() - t0;
        getrusage(RUSAGE_SELF, &ru);
        cpu += (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
               (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
               (double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    }
    row_bytes /= (size_t)n;
    fr_site_close(site);

    sqlite3_finalize(raw_st);
    sqlite3_close(raw);

    double forms_rate = n / forms_s, raw_rate = n / raw_s, ratio = forms_rate / raw_rate;
    printf("forms: %d submissions in %.3f s (%.0f/s)\n", n, forms_s, forms_rate);
    printf("raw:   %d inserts in %.3f s (%.0f/s), rows of %zu bytes\n", n, raw_s, raw_rate,
           row_bytes);
    printf("ratio: %.2f (target at least 0.5)\n", ratio);
    printf("cpu:   %.2f ms per submission (user + system)\n", cpu * 1000 / n);
    if (out_path) {
        char machine[512];
        perfdoc_machine(machine, sizeof machine);
        char *text = NULL;
        size_t text_len = 0;
        FILE *md = open_memstream(&text, &text_len);
        if (!md) {
            perror("open_memstream");
            return 1;
        }
        fprintf(md,
                "## Forms: validate + score + store\n\n"
                "By `build/tests/bench/bench_form docs/performance.md tests/bench/bench30.xml"
                " 300` (`meson test -C build --benchmark form`).\n\n"
                "A 30-field form (`tests/bench/bench30.xml`: 20 items with points, 5 numbers,"
                " 3 texts\nshown by a condition, a date, a calculation; one score with bands;"
                " one flag), submitted\n%d times through `fr_form_submit`: parsing the JSON,"
                " building the XML instance,\nrelevance, calculations, validation, score and"
                " band, then one transaction holding\nthe submission, its score, its event"
                " and its hash-chained audit entry, with the\nsite's durability (WAL,"
                " `synchronous=FULL`, one transaction per submission).\n\n"
                "The baseline is raw SQLite: one `INSERT` per transaction of a row of the same"
                " size\n(%zu bytes of answers), WAL and `synchronous=FULL`, in the same run:"
                " ten rounds of\nraw inserts then submissions, so that both meet the same"
                " disk.\n\n"
                "| measure | per second |\n|---|---|\n"
                "| forms: validate + score + store | %.0f |\n"
                "| raw SQLite inserts, same size and durability | %.0f |\n"
                "| **ratio** (target ≥ 0.5: %s) | **%.2f** |\n"
                "| CPU per submission (user + system) | %.2f ms |\n\n"
                "Measured on %s. Both sides wait for the disk at every commit; the difference"
                "\nis the work done per submission (validation and scoring in memory, four"
                " more\nrows: score, outbox, audit, and the audit chain's hash), the CPU"
                " line above.\nOn a disk whose flush is much faster than this one's, the"
                " ratio falls towards\nthe ratio of CPU costs.\n\n",
                n, row_bytes, forms_rate, raw_rate, ratio >= 0.5 ? "met" : "not met", ratio,
                cpu * 1000 / n, machine);
        fclose(md);
        perfdoc_write(out_path, "form", text);
        free(text);
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", dir);
    return 0;
}
