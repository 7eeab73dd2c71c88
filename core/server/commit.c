/* The committer: group commit for the web server.
 *
 * One thread owns one write connection (its own fr_site) and drains a queue
 * of jobs: a write request's handler, or the read-audit entries of read
 * requests. Jobs that arrive together share one durable transaction:
 *
 *   BEGIN IMMEDIATE
 *     SAVEPOINT; job 1 (the handler, its kernel calls nested as savepoints); RELEASE
 *     SAVEPOINT; job 2 …; RELEASE
 *   COMMIT                      (one fsync for the whole batch)
 *
 * then every job's worker is woken (job->wake) and only then answers its
 * client, so nothing is acknowledged before it is durable. A kernel call
 * that refuses (invalid submission, veto, access) rolls back its own
 * savepoint as it always does, and the other jobs of the batch are kept.
 * When the database breaks the batch (a savepoint cannot be released, the
 * COMMIT fails: a full disk, an I/O error), every job of the batch is told
 * that nothing of it was stored (job->failed): none was acknowledged.
 *
 * A full disk (store.h, "A full disk"): when a batch holding the audit
 * entries of reads fails for lack of space, the store gives its reserve up
 * and the batch is tried once more with those entries only (and the access
 * records reads need: break-glass, FR_ROUTE_ACCESS); its writes are
 * refused (job->full: the disk is full, an administrator must free space),
 * as are all writes after it, until space returns: each batch first asks
 * the store, which takes the reserve back when it can. Both changes of
 * state are logged.
 *
 * The committer also runs the outbox's delivery passes (asynchronous
 * subscribers, Python hooks), between batches and outside any transaction,
 * when a write asked for one or the background thread's period comes: one
 * writer in the server, so that the delivery's own small transactions and
 * the batches never wait for each other on the database lock (SQLite's
 * busy wait is not fair and starved the batches).
 *
 * There is no waiting for company: the committer takes whatever is queued
 * when it is free, so a lone request pays one transaction as before and
 * requests arriving while a COMMIT waits for the disk share the next one.
 *
 * A lone request is not even handed over: when nothing is queued, the
 * committer's site is free (no batch, delivery pass or reload running on
 * it) and its transaction can start without waiting for another
 * process's (fr_store_begin_nowait), the worker that holds the request
 * runs its batch itself, on the committer's site, and answers without
 * waking the committer thread and being woken back
 * (fr_committer_run_alone: two thread hand-overs, a tenth of a lone
 * submission's time on the machine of the benchmark). A transaction that
 * would wait is the committer thread's to wait for: a worker that waited
 * would hold up every connection it serves.
 * `busy` says that a thread, the committer's or a worker, uses the site;
 * jobs that come meanwhile queue for the committer thread. */
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "bus.h"
#include "store.h"

#define MAX_BATCH 256
/* At most one delivery pass per DELIVERY_GAP_MS: a lone client's
 * submissions then share a pass (and its transaction) instead of paying
 * one each, and events still go out within a twentieth of a second. */
#define DELIVERY_GAP_MS 50

struct fr_committer {
    fr_server *server;
    char *site_dir;
    fr_site *site;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    fr_job *head, *tail;
    int stopping;
    int reopen;
    int busy;    /* a thread runs something on `site` (under lock) */
    struct timespec busy_since; /* CLOCK_MONOTONIC, when busy was set */
    long queued;                /* jobs in the queue */
    long running;               /* jobs in the batch being run */
    int deliver; /* an outbox delivery pass is owed */
    struct timespec last_delivery; /* CLOCK_MONOTONIC */
    /* figures, for the log and the benchmark */
    long batches, jobs;
    double cpu_ms; /* the committer thread's CPU time, when it ends */
    int short_of_space; /* as last logged */
};

/* Marks the site in use (under lock), from now. */
static void set_busy(fr_committer *c)
{
    c->busy = 1;
    clock_gettime(CLOCK_MONOTONIC, &c->busy_since);
}

static long ms_since(const struct timespec *t, const struct timespec *now)
{
    return (long)(now->tv_sec - t->tv_sec) * 1000 + (now->tv_nsec - t->tv_nsec) / 1000000;
}

/* Runs one job inside its savepoint. 0, or -1 when the batch is broken.
 * reads_only: a write job is not run (the disk is full), only the audit
 * entries of reads and the access records a read needs (job->access). */
static int run_job(fr_committer *c, fr_job *job, int reads_only)
{
    fr_store *st = c->site->store;
    fr_error err = {0};
    job->failed = job->full = 0;
    if (reads_only && job->handler && !job->access) {
        job->failed = job->full = 1;
        return 0;
    }
    if (fr_store_begin(st, &err)) {
        fr_server_log(c->server, "group commit: savepoint: %s", err.message);
        return -1;
    }
    int depth = fr_store_depth(st);
    if (job->handler) {
        fr_req *r = job->r;
        snprintf(c->site->actor, sizeof c->site->actor, "%s", job->actor);
        snprintf(c->site->actor_role, sizeof c->site->actor_role, "%s", job->actor_role);
        c->site->actor_id = job->actor_id;
        /* rules and hooks write their messages in the request's language */
        snprintf(c->site->actor_lang, sizeof c->site->actor_lang, "%s", r->lang);
        c->site->break_glass_reason = NULL;
        r->site = c->site;
        job->handler(r, job->w);
        r->site = NULL;
        c->site->break_glass_reason = NULL;
        if (fr_store_depth(st) > depth) {
            fr_server_log(c->server, "%s %s left a transaction open; rolled back", r->method,
                          r->path);
            while (fr_store_depth(st) > depth)
                fr_store_rollback(st);
        }
    }
    if (job->audits && job->audits->n &&
        fr_audit_batch_write(st, job->audits, &err) != 0) {
        /* The read is not shown without its audit entry. */
        fr_server_log(c->server, "group commit: read audit: %s", err.message);
        job->failed = 1;
    }
    if (fr_store_commit(st, &err)) {
        fr_server_log(c->server, "group commit: release: %s", err.message);
        return -1;
    }
    return 0;
}

/* One durable transaction for the batch: 0, or -1 when it is broken (and
 * rolled back: nothing of it was stored). */
static int try_batch(fr_committer *c, fr_job *batch, int reads_only, int begun)
{
    fr_store *st = c->site->store;
    fr_error err = {0};
    int broken =
        !begun && (reads_only ? fr_store_begin_audit(st, &err) : fr_store_begin(st, &err)) != 0;
    if (broken)
        fr_server_log(c->server, "group commit: begin: %s", err.message);
    for (fr_job *j = batch; j && !broken; j = j->next)
        broken = run_job(c, j, reads_only) != 0;
    if (!broken && fr_store_commit(st, &err) != 0) {
        fr_server_log(c->server, "group commit: commit: %s", err.message);
        broken = 1;
    }
    while (fr_store_depth(st) > 0)
        fr_store_rollback(st);
    return broken ? -1 : 0;
}

/* begun: the batch's transaction is open already (fr_committer_run_alone;
 * writes are accepted then). */
static void run_batch(fr_committer *c, fr_job *batch, int begun)
{
    fr_store *st = c->site->store;
    int reads_only = begun ? 0 : fr_store_short_of_space(st), reads = 0;
    for (fr_job *j = batch; j; j = j->next)
        reads += !j->handler || j->access;
    int broken = try_batch(c, batch, reads_only, begun) != 0;
    int full = broken && fr_store_failed_for_space(st);
    if (full && !reads_only && reads && fr_store_use_reserve(st)) {
        fr_server_log(c->server, "disk space: the reserve was given up so that reads (and "
                                 "their audit entries) go on");
        reads_only = 1;
        broken = try_batch(c, batch, 1, 0) != 0;
        full = broken && fr_store_failed_for_space(st);
    }
    int now_short = fr_store_short_of_space(st);
    if (now_short != c->short_of_space)
        fr_server_log(c->server, now_short ? "disk space: the disk holding the database is "
                                             "full; changes are refused until space is freed, "
                                             "reads go on"
                                           : "disk space: there is room again (the reserve is "
                                             "back); changes are accepted again");
    c->short_of_space = now_short;
    long n = 0;
    fr_job *next;
    for (fr_job *j = batch; j; j = next) {
        next = j->next; /* j belongs to its worker once woken */
        if (broken) {
            j->failed = 1;
            j->full = full && j->handler && !j->access;
        }
        n++;
        j->wake(j);
    }
    c->batches++;
    c->jobs += n;
}

/* The committer's savepoint journals in memory. A savepoint keeps the
 * pages it changes in a journal of its own, which SQLite writes to a
 * temporary file beyond 64 KiB; a batch (a savepoint per request, the
 * kernel's own nested in it) went past that, and every batch then wrote
 * four times as much to /var/tmp as to the write-ahead log. Each request's
 * journal goes at its RELEASE, so they stay small. Only on this connection
 * (PRAGMA temp_store): a larger spill threshold for the whole process
 * (SQLITE_CONFIG_STMTJRNL_SPILL) made SQLite 3.40 fail a statement whose
 * journal spilled past it with "database or disk is full" (test_store,
 * a_large_statement_in_a_transaction). */
static void journals_in_memory(fr_site *site)
{
    if (strcmp(fr_store_backend(site->store), "sqlite") == 0)
        fr_store_exec(site->store, "PRAGMA temp_store = MEMORY", NULL);
}

static void reopen_site(fr_committer *c)
{
    fr_site *fresh = NULL;
    fr_error err = {0};
    if (fr_site_reopen(c->site, &fresh, &err)) {
        fr_server_log(c->server, "reload: the committer keeps its site: %s", err.message);
        return;
    }
    journals_in_memory(fresh);
    fr_site_close(c->site);
    c->site = fresh;
}

static void *committer_main(void *arg)
{
    fr_committer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        /* a worker running its request alone on the site: wait for it */
        while (c->busy)
            pthread_cond_wait(&c->wake, &c->lock);
        while (!c->head && !c->stopping && !c->reopen && !c->busy) {
            if (!c->deliver) {
                pthread_cond_wait(&c->wake, &c->lock);
                continue;
            }
            struct timespec now, due = c->last_delivery;
            clock_gettime(CLOCK_MONOTONIC, &now);
            due.tv_nsec += DELIVERY_GAP_MS * 1000000L;
            if (due.tv_nsec >= 1000000000L) {
                due.tv_sec++;
                due.tv_nsec -= 1000000000L;
            }
            if (now.tv_sec > due.tv_sec || (now.tv_sec == due.tv_sec && now.tv_nsec >= due.tv_nsec))
                break;
            pthread_cond_timedwait(&c->wake, &c->lock, &due);
        }
        if (c->busy)
            continue;
        if (c->reopen) {
            c->reopen = 0;
            set_busy(c);
            pthread_mutex_unlock(&c->lock);
            reopen_site(c);
            pthread_mutex_lock(&c->lock);
            c->busy = 0;
            continue;
        }
        if (!c->head && c->deliver) {
            /* Between batches, outside any transaction: the only writer
             * of the server, so nobody waits on the database lock. */
            c->deliver = 0;
            set_busy(c);
            clock_gettime(CLOCK_MONOTONIC, &c->last_delivery);
            pthread_mutex_unlock(&c->lock);
            fr_error err = {0};
            fr_bus_stats bs = {0};
            /* A full disk: deliveries (writes) wait for space, kept in the
             * outbox, rather than fill the log with their refusals. */
            if (!fr_store_short_of_space(c->site->store) &&
                fr_bus_deliver(c->site, &bs, &err))
                fr_server_log(c->server, "delivery: %s", err.message);
            pthread_mutex_lock(&c->lock);
            c->busy = 0;
            continue;
        }
        if (!c->head && c->stopping)
            break;
        /* Take up to MAX_BATCH jobs; later ones wait for the next batch. */
        fr_job *batch = c->head, *last = batch;
        int taken = 1;
        for (; taken < MAX_BATCH && last->next; taken++)
            last = last->next;
        c->head = last->next;
        if (!c->head)
            c->tail = NULL;
        last->next = NULL;
        c->queued -= taken;
        c->running = taken;
        set_busy(c);
        pthread_mutex_unlock(&c->lock);
        run_batch(c, batch, 0);
        pthread_mutex_lock(&c->lock);
        c->busy = 0;
        c->running = 0;
    }
    pthread_mutex_unlock(&c->lock);
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
        c->cpu_ms = (double)cpu.tv_sec * 1e3 + (double)cpu.tv_nsec / 1e6;
    return NULL;
}

int fr_committer_start(fr_server *s, const char *site_dir, fr_committer **out, fr_error *err)
{
    fr_committer *c = calloc(1, sizeof *c);
    if (!c || !(c->site_dir = strdup(site_dir))) {
        free(c);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    c->server = s;
    int rc = fr_site_open(site_dir, NULL, &c->site, err);
    if (rc) {
        free(c->site_dir);
        free(c);
        return rc;
    }
    journals_in_memory(c->site);
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
        fr_committer_stop(c);
        return fr_error_set(err, FR_ENOMEM, "cannot start the committer thread");
    }
    pthread_setname_np(c->thread, "fr-committer"); /* seen in top -H, perf */
    c->started = 1;
    *out = c;
    return 0;
}

void fr_committer_submit(fr_committer *c, fr_job *job)
{
    job->next = NULL;
    job->failed = 0;
    clock_gettime(CLOCK_MONOTONIC, &job->queued_at);
    pthread_mutex_lock(&c->lock);
    c->queued++;
    if (c->tail)
        c->tail->next = job;
    else
        c->head = job;
    c->tail = job;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

int fr_committer_run_alone(fr_committer *c, fr_job *job)
{
    pthread_mutex_lock(&c->lock);
    int alone = !c->busy && !c->head && !c->stopping && !c->reopen;
    if (alone) {
        set_busy(c);
        c->running = 1;
    }
    pthread_mutex_unlock(&c->lock);
    if (!alone)
        return 0;
    /* Only when the transaction can start at once: waiting for another
     * process's (a command holding the database) would hold up every
     * connection this worker thread serves, the health check's among
     * them. The committer thread waits instead. Any other failure to
     * start (a full disk, a lost database) also goes to the committer,
     * whose batch says it the usual way. */
    fr_error err = {0};
    int begun = fr_store_begin_nowait(c->site->store, &err) == 0;
    if (begun) {
        job->next = NULL;
        job->failed = 0;
        run_batch(c, job, 1);
    }
    pthread_mutex_lock(&c->lock);
    c->busy = 0;
    c->running = 0;
    pthread_cond_signal(&c->wake); /* jobs may have queued meanwhile */
    pthread_mutex_unlock(&c->lock);
    return begun;
}

void fr_committer_deliver(fr_committer *c)
{
    pthread_mutex_lock(&c->lock);
    /* Owed already: the committer was told then, and waits for the pass's
     * time (or is busy and looks again before it waits). A wake-up per
     * write cost a lone submission a system call and the committer a turn. */
    if (!c->deliver) {
        c->deliver = 1;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
}

long fr_committer_backlog(fr_committer *c, long *waiting, long *running)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&c->lock);
    long oldest = c->busy ? ms_since(&c->busy_since, &now) : 0;
    if (c->head) {
        long queued = ms_since(&c->head->queued_at, &now);
        if (queued > oldest)
            oldest = queued;
    }
    *waiting = c->queued;
    *running = c->running;
    pthread_mutex_unlock(&c->lock);
    return oldest;
}

void fr_committer_reopen(fr_committer *c)
{
    pthread_mutex_lock(&c->lock);
    c->reopen = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

void fr_committer_stop(fr_committer *c)
{
    if (!c)
        return;
    if (c->started) {
        pthread_mutex_lock(&c->lock);
        c->stopping = 1;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
        fr_server_log(c->server,
                      "group commit: %ld jobs in %ld transactions, %.0f ms of the committer's CPU",
                      c->jobs, c->batches, c->cpu_ms);
    }
    fr_site_close(c->site);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c->site_dir);
    free(c);
}
