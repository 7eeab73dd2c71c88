/* Group commit benchmark: durable form submissions through the web server
 * (POST /api/v1/cases/{id}/submissions, a GAD-7 of the instruments plugin
 * on frailty cases), from one client and from 50 concurrent clients,
 * against raw single-row durable SQLite inserts (WAL, synchronous=FULL,
 * one transaction per row) measured in the same run on the same disk,
 * before and after the server rounds. The server is the real one
 * (`filrouge serve`, started here); the clients speak HTTP/1.1 with
 * keep-alive over loopback. Writes its section of docs/performance.md. Not
 * a test: no pass or fail. Under tests/pg/with-postgres.sh (FILROUGE_TEST_STORE)
 * the same is measured on a PostgreSQL site as well, against raw libpq
 * single-row inserts on that server.
 *
 * usage: bench_commit FILROUGE-BIN [docs/performance.md] [SECONDS] [CLIENTS] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchpg.h"
#include "perfdoc.h"

#define ROUNDS 5

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_commit: %s\n", what);
    exit(1);
}

static double thread_cpu_us(void)
{
    struct rusage u;
    getrusage(RUSAGE_THREAD, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/* Durable transactions for `seconds`, each of `rows` rows of a
 * submission's size spread over `tables` tables (t0, t1, …); their rate,
 * and in *cpu_us the CPU each took. tables = rows = 1: the baseline. */
static double raw_commits(const char *path, double seconds, int tables, int rows, double *cpu_us)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("sqlite3_open");
    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL, NULL);
    sqlite3_stmt *st[8];
    for (int i = 0; i < tables && i < 8; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS t%d (id INTEGER PRIMARY KEY, a TEXT)",
                 i);
        sqlite3_exec(db, sql, NULL, NULL, NULL);
        snprintf(sql, sizeof sql, "INSERT INTO t%d (a) VALUES (?)", i);
        sqlite3_prepare_v2(db, sql, -1, &st[i], NULL);
    }
    char pad[400];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    long n = 0;
    double t0 = now_s(), c0 = thread_cpu_us(), dt;
    while ((dt = now_s() - t0) < seconds) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (int r = 0; r < rows; r++) {
            sqlite3_stmt *s1 = st[r % tables];
            sqlite3_bind_text(s1, 1, pad, -1, SQLITE_STATIC);
            sqlite3_step(s1);
            sqlite3_reset(s1);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        n++;
    }
    *cpu_us = n ? (thread_cpu_us() - c0) / (double)n : 0;
    for (int i = 0; i < tables && i < 8; i++)
        sqlite3_finalize(st[i]);
    sqlite3_close(db);
    return (double)n / dt;
}

/* ---- a minimal HTTP/1.1 client (keep-alive) ---- */

static int port;

static int http_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("cannot connect to the server");
    return fd;
}

/* Sends a request and reads the answer into buf; returns the status. */
static int http(int fd, const char *method, const char *path, const char *headers,
                const char *body, char *buf, size_t cap)
{
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, path, headers, body ? strlen(body) : 0, body ? body : "");
    if (write(fd, req, (size_t)n) != n)
        die("write");
    size_t got = 0;
    char *end = NULL;
    while (!end) {
        ssize_t k = read(fd, buf + got, cap - 1 - got);
        if (k <= 0)
            die("the server closed the connection");
        got += (size_t)k;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strcasestr(buf, "Content-Length:");
    size_t want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
    while (got < want) {
        ssize_t k = read(fd, buf + got, cap - 1 - got);
        if (k <= 0)
            die("the server closed the connection");
        got += (size_t)k;
    }
    buf[got] = '\0';
    return atoi(buf + 9);
}

static char auth[512]; /* Cookie and X-CSRF-Token headers */
static int ncases;
static long *case_ids;
static double stop_at;

#define GAD7                                                                                   \
    "{\"form\":\"gad7\",\"data\":{\"q1\":\"1\",\"q2\":\"2\",\"q3\":\"0\",\"q4\":\"1\",\"q5\":" \
    "\"3\",\"q6\":\"1\",\"q7\":\"0\"}}"

typedef struct client {
    int index;
    long done, failed;
} client;

static void *client_main(void *arg)
{
    client *c = arg;
    int fd = http_connect();
    char path[128], buf[16384];
    snprintf(path, sizeof path, "/api/v1/cases/%ld/submissions",
             case_ids[c->index % ncases]);
    while (now_s() < stop_at) {
        if (http(fd, "POST", path, auth, GAD7, buf, sizeof buf) == 201)
            c->done++;
        else
            c->failed++;
    }
    close(fd);
    return NULL;
}

/* CPU time used so far, in microseconds: of the server process (its
 * /proc/PID/stat utime + stime), and of this process (the clients). */
static double server_cpu_us(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    const char *p = strrchr(line, ')'); /* the name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

static double client_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* CPU used per acknowledged submission over a phase's rounds. */
typedef struct cpu_use {
    double server_us, client_us;
    long done;
} cpu_use;

static double submissions(int nclients, double seconds, long *failed, pid_t server, cpu_use *cpu)
{
    double s0 = server_cpu_us(server), c0 = client_cpu_us();
    client *cs = calloc((size_t)nclients, sizeof *cs);
    pthread_t *th = calloc((size_t)nclients, sizeof *th);
    stop_at = now_s() + seconds;
    double t0 = now_s();
    for (int i = 0; i < nclients; i++) {
        cs[i].index = i;
        pthread_create(&th[i], NULL, client_main, &cs[i]);
    }
    long done = 0;
    for (int i = 0; i < nclients; i++) {
        pthread_join(th[i], NULL);
        done += cs[i].done;
        *failed += cs[i].failed;
    }
    double dt = now_s() - t0;
    cpu->server_us += server_cpu_us(server) - s0;
    cpu->client_us += client_cpu_us() - c0;
    cpu->done += done;
    free(cs);
    free(th);
    return (double)done / dt;
}

static void run(const char *cmd)
{
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_commit: failed: %s\n", cmd);
        exit(1);
    }
}

/* What a durable commit costs on this disk: the baseline (1 row in 1
 * table), 8 rows in 1 table (the same statements, 2 pages), 1 row in each
 * of 8 tables (8 pages, as a submission writes). */
enum { ONE_ROW, EIGHT_ROWS, EIGHT_TABLES, SHAPES };
static const struct {
    int tables, rows;
    const char *what;
} shapes[SHAPES] = {
    {1, 1, "1 row in 1 table (the baseline: 1 or 2 pages)"},
    {1, 8, "8 rows in 1 table (8 statements, 1 or 2 pages)"},
    {8, 8, "1 row in each of 8 tables (8 statements, 8 pages, as a submission)"},
};

typedef struct results {
    double raw, one, lots;
    double shape_rate[SHAPES], shape_cpu[SHAPES]; /* SQLite only */
    cpu_use one_cpu, lots_cpu;
    long failed, jobs, batches;
    double cpu_ms; /* the committer thread's CPU time, from the server's log */
} results;

/* A site in dir (its database `database`, NULL for SQLite in the folder),
 * its server, and the rounds: raw inserts on the same store (`raw_path`
 * for SQLite), one client, `many` clients. */
static results measure(const char *fr, const char *dir, const char *database,
                       const char *raw_path, double seconds, int many)
{
    char cmd[3072], site[600], log[600], out[600], dbopt[1200] = "";
    snprintf(site, sizeof site, "%s/site", dir);
    snprintf(log, sizeof log, "%s/filrouge.log", dir);
    snprintf(out, sizeof out, "%s/serve.out", dir);
    if (database)
        snprintf(dbopt, sizeof dbopt, " --database '%s'", database);
    setenv("FILROUGE_SITE", site, 1);
    setenv("FILROUGE_LOG", log, 1);
    unsetenv("FILROUGE_USER");
    ncases = 10;
    snprintf(cmd, sizeof cmd,
             "set -e; F='%s'; $F init \"$FILROUGE_SITE\" --name Bench%s >/dev/null;"
             " $F plugin enable instruments >/dev/null; $F plugin enable frailty >/dev/null;"
             " $F team add Namur >/dev/null;"
             " $F user add marie --name Marie --role case_manager --capacity 60 >/dev/null;"
             " $F team join Namur marie >/dev/null;"
             " printf 'bench-password\\n' | $F user passwd marie >/dev/null;"
             " for i in 1 2 3 4 5 6 7 8 9 10; do"
             "  p=$($F patient add --family Bench$i --given Anne --birth 12/03/1941 | "
             "   sed -n 's/^patient \\([0-9]*\\).*/\\1/p');"
             "  $F case open $p --workflow frailty --team Namur --manager marie >/dev/null;"
             " done",
             fr, dbopt);
    run(cmd);
    case_ids = calloc((size_t)ncases, sizeof *case_ids);
    for (int i = 0; i < ncases; i++)
        case_ids[i] = i + 1;

    snprintf(cmd, sizeof cmd, "exec %s serve --listen 127.0.0.1:0 --threads 4 >%s 2>&1", fr, out);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    port = 0;
    for (int i = 0; i < 100 && !port; i++) {
        usleep(100 * 1000);
        FILE *f = fopen(out, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            const char *p = strstr(line, "http://127.0.0.1:");
            if (p)
                port = atoi(p + 17);
        }
        if (f)
            fclose(f);
    }
    if (!port)
        die("the server did not start");
    char buf[16384];
    int fd = http_connect();
    int st = http(fd, "POST", "/api/v1/session", "",
                  "{\"login\":\"marie\",\"password\":\"bench-password\"}", buf, sizeof buf);
    const char *ck = strstr(buf, "fr_session="), *cs = strstr(buf, "\"csrf\":\"");
    if (st != 200 || !ck || !cs)
        die("login failed");
    snprintf(auth, sizeof auth, "Cookie: %.*s\r\nX-CSRF-Token: %.64s\r\n",
             (int)strcspn(ck, ";\r\n"), ck, cs + 8);
    close(fd);

    /* Rounds of the three, one after the other, so that all meet the same
     * disk (a shared machine's disk varies by a factor of ten within a
     * minute): totals over the rounds. */
    results r = {0};
    for (int round = 0; round < ROUNDS; round++) {
        double raw = 0, cpu = 0;
        if (database) {
            raw = benchpg_raw_inserts("bench_commit_raw", 1, 399, 0, seconds / ROUNDS);
        } else {
            raw = raw_commits(raw_path, seconds / ROUNDS, 1, 1, &cpu);
            r.shape_rate[ONE_ROW] += raw / ROUNDS;
            r.shape_cpu[ONE_ROW] += cpu / ROUNDS;
            for (int k = EIGHT_ROWS; k < SHAPES; k++) {
                r.shape_rate[k] += raw_commits(raw_path, seconds / ROUNDS / 3, shapes[k].tables,
                                               shapes[k].rows, &cpu) /
                                   ROUNDS;
                r.shape_cpu[k] += cpu / ROUNDS;
            }
        }
        r.raw += raw / ROUNDS;
        r.one += submissions(1, seconds / ROUNDS, &r.failed, pid, &r.one_cpu) / ROUNDS;
        r.lots += submissions(many, seconds / ROUNDS, &r.failed, pid, &r.lots_cpu) / ROUNDS;
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    FILE *f = fopen(log, "r");
    char line[1400];
    while (f && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "group commit: ");
        if (p)
            sscanf(p, "group commit: %ld jobs in %ld transactions, %lf ms", &r.jobs, &r.batches,
                   &r.cpu_ms);
    }
    if (f)
        fclose(f);
    free(case_ids);
    return r;
}

/* The table's rows and the batches' line of one store. */
static size_t rows(char *out, size_t n, const char *store, const results *r, int many)
{
    if (r->raw <= 0)
        return (size_t)snprintf(out, n, "| %s | not measured in this run | | |\n", store);
    return (size_t)snprintf(
        out, n,
        "| %s | raw single-row durable insert (baseline) | %.0f | 1.00× |\n"
        "| %s | durable submissions, 1 client (target 0.5×: %s) | %.0f | %.2f× |\n"
        "| %s | durable submissions, %d clients, group commit (target 2×: %s) | %.0f | %.2f× |\n",
        store, r->raw, store, r->one / r->raw >= 0.5 ? "met" : "**not met**", r->one,
        r->one / r->raw, store, many, r->lots / r->raw >= 2 ? "met" : "**not met**", r->lots,
        r->lots / r->raw);
}

static double per(double us, long done)
{
    return done > 0 ? us / (double)done : 0;
}

static size_t batches(char *out, size_t n, const char *store, const results *r, int many)
{
    if (r->raw <= 0)
        return 0;
    /* The CPU alone bounds the rate at (cores) / (CPU per submission):
     * what the machine could do with a disk that cost nothing. */
    double cores = (double)sysconf(_SC_NPROCESSORS_ONLN);
    double lots = per(r->lots_cpu.server_us + r->lots_cpu.client_us, r->lots_cpu.done);
    double bound = lots > 0 ? cores * 1e6 / lots : 0;
    return (size_t)snprintf(
        out, n,
        "%s: the server's committer ran %ld jobs (writes and read audits) in %ld batches, %.1f "
        "per durable transaction on average, and its thread used %.0f µs of CPU per job (the "
        "deliveries included). CPU per acknowledged submission, the server's and the benchmark "
        "clients'%s: %.0f + %.0f µs from 1 client, %.0f + %.0f µs from %d clients; at that cost "
        "the machine's %.0f cores alone allow at most %.0f submissions/s (%.2f× the raw "
        "inserts), whatever the disk. %s",
        store, r->jobs, r->batches, r->batches ? (double)r->jobs / (double)r->batches : 0.0,
        r->jobs ? r->cpu_ms * 1e3 / (double)r->jobs : 0.0,
        strcmp(store, "PostgreSQL") == 0 ? " (the database server's own not counted)" : "",
        per(r->one_cpu.server_us, r->one_cpu.done), per(r->one_cpu.client_us, r->one_cpu.done),
        per(r->lots_cpu.server_us, r->lots_cpu.done), per(r->lots_cpu.client_us, r->lots_cpu.done),
        many, cores, bound, bound / r->raw,
        r->failed ? "Some requests failed: see the server's log.\n\n" : "No request failed.\n\n");
}

/* What a durable commit costs, and what is left of the 1-client target's
 * budget once a submission's pages are paid. */
static size_t anatomy(char *out, size_t n, const results *r)
{
    if (r->shape_rate[ONE_ROW] <= 0)
        return 0;
    size_t len = (size_t)snprintf(
        out, n,
        "What a durable commit costs on this disk (SQLite, WAL, `synchronous=FULL`, rows of 400 "
        "bytes, in the same rounds; each transaction's time split into the CPU it used and the "
        "rest, waiting for the disk):\n\n"
        "| one durable transaction | per second | µs each | CPU | waiting |\n"
        "|---|---:|---:|---:|---:|\n");
    double lat[SHAPES];
    for (int k = 0; k < SHAPES; k++) {
        lat[k] = r->shape_rate[k] > 0 ? 1e6 / r->shape_rate[k] : 0;
        len += (size_t)snprintf(out + len, n - len, "| %s | %.0f | %.0f | %.0f | %.0f |\n",
                                shapes[k].what, r->shape_rate[k], lat[k], r->shape_cpu[k],
                                lat[k] - r->shape_cpu[k]);
    }
    double budget = 2 * lat[ONE_ROW], pages = lat[EIGHT_TABLES] - lat[ONE_ROW];
    len += (size_t)snprintf(
        out + len, n - len,
        "\nAt 0.5× the raw rate, a submission from one client has %.0f µs in all; writing its 8 "
        "pages costs %.0f µs more than the baseline's transaction (%.0f µs of it CPU, %.0f µs "
        "waiting), which leaves %.0f µs for everything else: the HTTP exchange, the session and "
        "access checks, validation and scoring, the audit entry's hash, the answer and the "
        "client. The server alone used %.0f µs of CPU per submission from 1 client in this "
        "run.\n\n",
        budget, pages, r->shape_cpu[EIGHT_TABLES] - r->shape_cpu[ONE_ROW],
        pages - (r->shape_cpu[EIGHT_TABLES] - r->shape_cpu[ONE_ROW]), budget - lat[EIGHT_TABLES],
        per(r->one_cpu.server_us, r->one_cpu.done));
    return len;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: bench_commit FILROUGE-BIN [docs/performance.md] [SECONDS] [CLIENTS]");
    const char *fr = argv[1], *doc = argc > 2 ? argv[2] : NULL;
    double seconds = argc > 3 ? atof(argv[3]) : 5;
    int many = argc > 4 ? atoi(argv[4]) : 50;
    char dir[] = "/tmp/bench-commit-XXXXXX", lite_dir[600], pg_dir[600], raw_path[600];
    if (!mkdtemp(dir))
        die("mkdtemp");
    snprintf(lite_dir, sizeof lite_dir, "%s/sqlite", dir);
    snprintf(pg_dir, sizeof pg_dir, "%s/pg", dir);
    snprintf(raw_path, sizeof raw_path, "%s/raw.db", dir);
    if (mkdir(lite_dir, 0700) || mkdir(pg_dir, 0700))
        die("mkdir");
    results lite = measure(fr, lite_dir, NULL, raw_path, seconds, many), pg = {0};
    char pgdesc[256] = "";
    if (benchpg_base()) {
        pg = measure(fr, pg_dir, benchpg_location("bench_commit"), NULL, seconds, many);
        benchpg_describe(pgdesc, sizeof pgdesc);
    }

    char machine[512], section[12288];
    perfdoc_machine(machine, sizeof machine);
    size_t len = (size_t)snprintf(
        section, sizeof section,
        "## Web: durable submissions and group commit\n\n"
        "Measured on %s, by `%s %s docs/performance.md %.0f %d` (part of `scripts/bench`, "
        "which runs it under `tests/pg/with-postgres.sh` with `PG_DURABLE=1` for the "
        "PostgreSQL rows): a real `filrouge serve --threads 4` on loopback, a GAD-7 "
        "(instruments plugin) posted to `POST /api/v1/cases/{id}/submissions` on frailty "
        "cases (validate, score, store, event, audit, one durable commit; the frailty "
        "plugin's Python hook on `form.*` is then delivered by the committer between "
        "batches, the outcomes of up to 256 deliveries recorded in one transaction) from "
        "one client and from %d clients at once (HTTP/1.1 keep-alive); the baseline of each "
        "store is raw single-row inserts of a 400-byte row, one transaction each, with the "
        "same durability, on the same disk: SQLite in WAL mode with `synchronous=FULL`; %s. "
        "For each store the three take turns, %d rounds of %.1f s each, and the figures are "
        "their means (the shared machine's disk varies by a factor of ten within a "
        "minute).\n\n"
        "| store | measure | per second | against raw inserts of the same store |\n"
        "|---|---|---:|---:|\n",
        machine, argv[0], fr, seconds, many, many,
        pgdesc[0] ? pgdesc
                  : "PostgreSQL not measured in this run (no server given: run under "
                    "`tests/pg/with-postgres.sh`)",
        ROUNDS, seconds / ROUNDS);
    len += rows(section + len, sizeof section - len, "SQLite", &lite, many);
    len += rows(section + len, sizeof section - len, "PostgreSQL", &pg, many);
    len += (size_t)snprintf(section + len, sizeof section - len, "\n");
    len += batches(section + len, sizeof section - len, "SQLite", &lite, many);
    len += batches(section + len, sizeof section - len, "PostgreSQL", &pg, many);
    len += anatomy(section + len, sizeof section - len, &lite);
    snprintf(section + len, sizeof section - len,
             "One client waits for each answer, so it pays a whole durable transaction per "
             "submission, and the frailty hook's delivery passes (between batches, at most "
             "one per 50 ms) record their outcomes in transactions of their own. Many clients "
             "share the batches' COMMITs, and one delivery pass serves many events: the group "
             "commit's gain, larger when a commit costs more.\n");
    printf("%s", section);
    if (doc && *doc)
        perfdoc_write(doc, "commit", section);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_commit: could not remove %s\n", dir);
    return 0;
}
