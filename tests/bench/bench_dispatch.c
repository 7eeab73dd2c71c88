/* The cost of dispatching one event to a Python hook against dispatching
 * it to a C subscriber, in the same run (docs/performance.md).
 *
 * 1. Dispatch alone: what the bus does per subscriber and event once it
 *    has the event in hand — for C, a call through the subscriber's
 *    function pointer; for Python, the trampoline a delivery goes through
 *    (GIL, call context, deadline slot, acting identity, building the Event
 *    object, the call, the result), via fr_python_dispatch. Two hooks: one
 *    that does nothing, one that reads ev.payload (parses the JSON into a
 *    dict).
 * 2. End to end: fr_bus_deliver of the same events to one C and one Python
 *    subscriber, where each delivery is also recorded in its own SQLite
 *    transaction (synchronous=FULL): the bus's own cost dominates.
 *
 * Not a test: `meson test --benchmark -C build` (or run the program) and
 * read the figures. Usage: bench_dispatch [N] (default 100000). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "python.h"
#include "site.h"
#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define ROUNDS 7

static long c_calls;

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int c_subscriber(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)userdata, (void)err;
    c_calls += fr_event_id(ev) > 0;
    return 0;
}

/* What a C subscriber gets called with, minus the opaque fr_event. */
typedef int (*c_fn)(int64_t id, const char *topic, int64_t case_id, const char *payload,
                    const char *key, void *userdata, fr_error *err);

static int c_direct(int64_t id, const char *topic, int64_t case_id, const char *payload,
                    const char *key, void *userdata, fr_error *err)
{
    (void)topic, (void)case_id, (void)payload, (void)key, (void)userdata, (void)err;
    c_calls += id > 0;
    return 0;
}

static void die(const char *what, const fr_error *err)
{
    fprintf(stderr, "bench_dispatch: %s: %s\n", what, err->message);
    exit(1);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    if (n < 1000)
        n = 1000;
    char dir[] = "/tmp/filrouge-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char site_dir[4200], hook[4300];
    snprintf(site_dir, sizeof site_dir, "%s/site", dir);
    fr_error err = {0};
    if (fr_site_init(site_dir, NULL, &err))
        die("init", &err);
    snprintf(hook, sizeof hook, "%s/hooks/bench.py", site_dir);
    FILE *f = fopen(hook, "w");
    if (!f)
        return 1;
    fputs("import filrouge\n\n"
          "@filrouge.on(\"bench.event\")\ndef nothing(ev):\n    pass\n\n"
          "@filrouge.on(\"bench.other\")\ndef reads(ev):\n    return ev.payload[\"to\"]\n",
          f);
    fclose(f);
    fr_site *site = NULL;
    if (fr_site_open(site_dir, NULL, &site, &err))
        die("open", &err);
    if (fr_bus_add_subscriber(site, "bench", "bench.event", FR_ASYNC, "c", c_subscriber, NULL,
                              &err))
        die("subscribe", &err);

    const char *payload = "{\"from\":\"referral\",\"to\":\"assessment\",\"event\":\"accept\","
                          "\"workflow\":\"frailty\",\"effective_on\":\"2026-11-23\"}";
    const char *key = "0123456789abcdef0123456789abcdef";
    volatile c_fn fn = c_direct;

    /* Warm up both paths. */
    for (long i = 1; i <= 1000; i++) {
        fn(i, "bench.event", 1, payload, key, NULL, &err);
        fr_python_dispatch(site, "site.bench.nothing", i, "bench.event", 1, payload, key, &err);
    }
    /* Each figure: ROUNDS rounds of n calls; the best round and the median
     * are printed (the machine may be shared: the best is the cost, the
     * median shows the noise). */
    double c_r[ROUNDS], py_r[ROUNDS], pp_r[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_s();
        for (long i = 1; i <= n; i++)
            fn(i, "bench.event", 1, payload, key, NULL, &err);
        c_r[r] = (now_s() - t0) / n * 1e9;
        t0 = now_s();
        for (long i = 1; i <= n; i++)
            if (fr_python_dispatch(site, "site.bench.nothing", i, "bench.event", 1, payload, key,
                                   &err))
                die("dispatch", &err);
        py_r[r] = (now_s() - t0) / n * 1e9;
        t0 = now_s();
        for (long i = 1; i <= n; i++)
            if (fr_python_dispatch(site, "site.bench.reads", i, "bench.other", 1, payload, key,
                                   &err))
                die("dispatch", &err);
        pp_r[r] = (now_s() - t0) / n * 1e9;
    }
    qsort(c_r, ROUNDS, sizeof *c_r, by_value);
    qsort(py_r, ROUNDS, sizeof *py_r, by_value);
    qsort(pp_r, ROUNDS, sizeof *pp_r, by_value);
    double c_ns = c_r[0], py_ns = py_r[0], py_payload_ns = pp_r[0];

    /* End to end through the outbox, fewer events: each delivery commits. */
    long m = n / 200 < 200 ? 200 : n / 200;
    if (fr_store_begin(site->store, &err))
        die("begin", &err);
    for (long i = 0; i < m; i++)
        if (fr_bus_publish(site, "bench.event", 1, payload, &err))
            die("publish", &err);
    if (fr_store_commit(site->store, &err))
        die("commit", &err);
    fr_bus_stats st;
    double t0 = now_s();
    if (fr_bus_deliver(site, &st, &err))
        die("deliver", &err);
    double both_us = (now_s() - t0) / m * 1e6;

    printf("%d rounds of %ld dispatches each (best, median); %ld deliveries end to end\n",
           ROUNDS, n, m);
    printf("dispatch to a C subscriber:                 %8.1f ns  %8.1f ns\n", c_ns,
           c_r[ROUNDS / 2]);
    printf("dispatch to a Python hook (pass):           %8.1f ns  %8.1f ns  (best: %.0fx C)\n",
           py_ns, py_r[ROUNDS / 2], py_ns / (c_ns > 0 ? c_ns : 1));
    printf("dispatch to a Python hook (reads payload):  %8.1f ns  %8.1f ns  (best: %.0fx C)\n",
           py_payload_ns, pp_r[ROUNDS / 2], py_payload_ns / (c_ns > 0 ? c_ns : 1));
    printf("end to end, one event to both subscribers:  %8.1f us  (%d deliveries recorded)\n",
           both_us, st.delivered);
    printf("target: a Python dispatch <= 2000 ns: %s\n", py_ns <= 2000 ? "met" : "NOT met");
    fr_site_close(site);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
