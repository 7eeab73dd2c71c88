/* Start-up: the time a new process takes to open a site, each in a fresh
 * process (the Python interpreter starts once per process), beside its
 * baselines in the same run:
 *   bare     sqlite3_open_v2 of the same database and a first read (the floor);
 *   record   fr_site_open without plugins (site.xml, schema check, migrations);
 *   plugins  fr_site_open with the four domain plugins and instruments, their
 *            Python hooks left out (copies without hooks/ in the site's
 *            plugins/ folder, which comes first in the search path);
 *   hooks    the same with their Python hooks (the interpreter starts, every
 *            hook file is imported).
 * The child times fr_site_open alone (clock_gettime around it); the parent
 * also reports the child's peak resident memory. Target of issue 7: opening
 * a site with the four plugins in at most 100 ms.
 *   bench_startup [DOC] [ROUNDS] */
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "perfdoc.h"
#include "plugin.h"
#include "site.h"

#ifndef BENCH_PLUGIN_DIR
#define BENCH_PLUGIN_DIR "build/plugins"
#endif

extern char **environ;

static const char *const modes[] = {"bare", "record", "plugins", "hooks"};
static const char *const plugins[] = {"instruments", "frailty", "oncology", "psychosis", "youth"};

static double clock_ms(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}
static double cpu_ms(void)
{
    return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static void die(const char *what, const fr_error *err)
{
    fprintf(stderr, "bench_startup: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static void run(const char *cmd)
{
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_startup: %s failed\n", cmd);
        exit(1);
    }
}

/* The process's peak resident memory (VmHWM), in KiB. */
static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

/* In the child: open, time, close; prints milliseconds and peak KiB. */
static int child(const char *mode, const char *dir)
{
    fr_error err = {0};
    char db[600];
    snprintf(db, sizeof db, "%s/filrouge.db", dir);
    double t0 = now_ms(), c0 = cpu_ms();
    if (strcmp(mode, "bare") == 0) {
        sqlite3 *h = NULL;
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
            sqlite3_exec(h, "PRAGMA journal_mode = WAL; SELECT count(*) FROM sqlite_master", NULL,
                         NULL, NULL) != SQLITE_OK)
            die("sqlite3_open_v2", NULL);
        printf("%.3f %.3f %ld\n", now_ms() - t0, cpu_ms() - c0, peak_rss_kb());
        sqlite3_close(h);
        return 0;
    }
    fr_site_open_options o = {.no_plugins = strcmp(mode, "record") == 0};
    fr_site *site = NULL;
    if (fr_site_open(dir, &o, &site, &err))
        die("open", &err);
    printf("%.3f %.3f %ld\n", now_ms() - t0, cpu_ms() - c0, peak_rss_kb());
    fr_site_close(site);
    return 0;
}

/* One child run: its open time (ms, wall and CPU) and peak RSS (KiB, its own VmHWM: the
 * rusage of a posix_spawn'd child counts the parent's memory too). */
static double spawn_one(const char *self, const char *mode, const char *dir, double *cpu,
                        long *rss_kb)
{
    int fds[2];
    if (pipe(fds))
        exit(1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {(char *)self, "--child", (char *)mode, (char *)dir, NULL};
    pid_t pid;
    if (posix_spawn(&pid, self, &fa, NULL, argv, environ))
        exit(1);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char buf[64] = "";
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_startup: the %s child failed\n", mode);
        exit(1);
    }
    double ms = 0;
    if (sscanf(buf, "%lf %lf %ld", &ms, cpu, rss_kb) != 3)
        exit(1);
    return ms;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void make_site(const char *dir, int copy_plugins)
{
    fr_error err = {0};
    if (fr_site_init(dir, NULL, &err))
        die("init", &err);
    if (copy_plugins) {
        char cmd[1200];
        for (size_t i = 0; i < sizeof plugins / sizeof *plugins; i++) {
            snprintf(cmd, sizeof cmd, "cp -r '%s/%s' '%s/plugins/' && rm -rf '%s/plugins/%s/hooks'",
                     BENCH_PLUGIN_DIR, plugins[i], dir, dir, plugins[i]);
            run(cmd);
        }
    }
    fr_site *site = NULL;
    if (fr_site_open(dir, NULL, &site, &err))
        die("open", &err);
    for (size_t i = 0; i < sizeof plugins / sizeof *plugins; i++)
        if (fr_plugins_enable(site, plugins[i], &err))
            die(plugins[i], &err);
    fr_site_close(site);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child(argv[2], argv[3]);
    const char *doc = argc > 1 ? argv[1] : NULL;
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    if (rounds < 3)
        rounds = 3;
    setenv("FILROUGE_PLUGIN_PATH", BENCH_PLUGIN_DIR, 1);
    setenv("FILROUGE_LOG", "/dev/null", 1);
    char dir[] = "/tmp/bench-startup-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char hooks_site[300], plain_site[300];
    snprintf(hooks_site, sizeof hooks_site, "%s/hooks", dir);
    snprintf(plain_site, sizeof plain_site, "%s/plain", dir);
    make_site(hooks_site, 0);
    make_site(plain_site, 1);

    char self[600];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        return 1;
    self[sl] = '\0';
    enum { NMODES = 4 };
    double *t[NMODES], *c[NMODES];
    long rss[NMODES] = {0};
    for (int m = 0; m < NMODES; m++)
    {
        t[m] = calloc((size_t)rounds, sizeof(double));
        c[m] = calloc((size_t)rounds, sizeof(double));
    }
    /* Interleaved, so that every mode meets the same load; one warm-up. */
    for (int r = -1; r < rounds; r++)
        for (int m = 0; m < NMODES; m++) {
            long kb = 0;
            double cpu = 0;
            const char *site = m == 2 || m == 0 || m == 1 ? plain_site : hooks_site;
            double ms = spawn_one(self, modes[m], site, &cpu, &kb);
            if (r >= 0) {
                t[m][r] = ms;
                c[m][r] = cpu;
                if (kb > rss[m])
                    rss[m] = kb;
            }
        }
    double med[NMODES], best[NMODES], cmed[NMODES];
    for (int m = 0; m < NMODES; m++) {
        qsort(t[m], (size_t)rounds, sizeof(double), cmp);
        qsort(c[m], (size_t)rounds, sizeof(double), cmp);
        med[m] = t[m][rounds / 2];
        best[m] = t[m][0];
        cmed[m] = c[m][rounds / 2];
    }
    char machine[512], section[4096];
    perfdoc_machine(machine, sizeof machine);
    snprintf(
        section, sizeof section,
        "## Start-up: opening a site\n\n"
        "Measured on %s (at the end; the machine is shared), by "
        "`build-bench/tests/bench/bench_startup docs/performance.md %d` (or `meson test -C "
        "build-bench --benchmark startup`): `fr_site_open` timed inside a fresh process each "
        "time (the Python interpreter starts once per process), %d rounds interleaved; wall "
        "time (median and best), CPU time of the process (median: what the open costs, whatever "
        "else the machine does) and the process's peak resident memory. The four domain "
        "plugins are frailty, oncology, psychosis and youth, with the instruments they require: "
        "their forms and workflows are parsed and checked against their schemas at every open. "
        "Target of the issue: at most 100 ms with the four plugins.\n\n"
        "| open | wall, median | wall, best | CPU, median | CPU against the bare database | "
        "peak memory |\n"
        "|---|---:|---:|---:|---:|---:|\n"
        "| bare SQLite database: open, WAL, first read (baseline) | %.1f ms | %.1f ms | %.1f ms "
        "| 1× | %.1f MB |\n"
        "| the site without plugins (`site.xml`, schema, migrations) | %.1f ms | %.1f ms | %.1f "
        "ms | %.0f× | %.1f MB |\n"
        "| the four plugins, without their Python hooks | %.1f ms | %.1f ms | %.1f ms | %.0f× | "
        "%.1f MB |\n"
        "| the four plugins with their Python hooks | %.1f ms | %.1f ms | %.1f ms | %.0f× | %.1f "
        "MB |\n\n"
        "Target %s by the cost of the open: %.0f ms of CPU with the four plugins and their "
        "hooks (%.0f ms of it for Python: starting the interpreter, its `site` module, "
        "`json` for the events, and importing the hook files with what they import, such as "
        "`xml.etree`); the best wall time, %.0f ms, is the nearest to an idle machine.\n\n",
        machine, rounds, rounds, med[0], best[0], cmed[0], rss[0] / 1024.0, med[1],
        best[1], cmed[1], cmed[1] / cmed[0], rss[1] / 1024.0, med[2], best[2], cmed[2],
        cmed[2] / cmed[0], rss[2] / 1024.0, med[3], best[3], cmed[3], cmed[3] / cmed[0],
        rss[3] / 1024.0, cmed[3] <= 100 ? "met" : "missed", cmed[3], cmed[3] - cmed[2], best[3]);
    printf("%s", section);
    if (doc)
        perfdoc_write(doc, "startup", section);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    run(cmd);
    for (int m = 0; m < NMODES; m++)
    {
        free(t[m]);
        free(c[m]);
    }
    return 0;
}
