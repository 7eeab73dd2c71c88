/* The event bus: the subscriber registry, publishing into the durable outbox
 * with synchronous subscribers inside the caller's transaction, and the
 * asynchronous delivery pass (ordering per case, retries with backoff,
 * parking as failed, administrator retry, listing).
 *
 * It does not know what events mean, and it does not load plugins: plugin.c
 * registers their subscribers here through fr_bus_subscribe. */
#include "bus.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "plugin.h"

/* Events published from synchronous subscribers nest; deeper than this is a
 * subscriber re-triggering itself, refused rather than overflowing the stack. */
#define MAX_DEPTH 8
/* Cap of the retry backoff, in seconds. */
#define MAX_BACKOFF 3600
/* Outbox rows read per query during a delivery pass. */
#define PAGE 256

typedef struct subscriber {
    char *owner;
    char *name;
    char *full; /* "owner:name" */
    char *pattern;
    fr_delivery mode;
    fr_subscriber_fn fn;
    void *userdata;
    int removed; /* removed during a dispatch; freed when it ends */
} subscriber;

struct fr_bus {
    subscriber **subs;
    int n, cap;
    int dispatching; /* > 0 while subscribers run: removal only marks */
    int depth;       /* nesting of fr_bus_publish */
};

struct fr_event {
    int64_t id;
    const char *topic;
    int64_t case_id;
    const char *payload;
    const char *key;
};

FR_API int64_t fr_event_id(const fr_event *ev)
{
    return ev->id;
}

FR_API const char *fr_event_topic(const fr_event *ev)
{
    return ev->topic;
}

FR_API int64_t fr_event_case(const fr_event *ev)
{
    return ev->case_id;
}

FR_API const char *fr_event_payload(const fr_event *ev)
{
    return ev->payload;
}

FR_API const char *fr_event_key(const fr_event *ev)
{
    return ev->key;
}

static void subscriber_free(subscriber *s)
{
    if (!s)
        return;
    free(s->owner);
    free(s->name);
    free(s->full);
    free(s->pattern);
    free(s);
}

/* Frees the subscribers marked as removed; only when no dispatch runs, so
 * that a loop over the registry never sees a freed entry. */
static void compact(fr_bus *bus)
{
    if (bus->dispatching > 0)
        return;
    int j = 0;
    for (int i = 0; i < bus->n; i++) {
        if (bus->subs[i]->removed)
            subscriber_free(bus->subs[i]);
        else
            bus->subs[j++] = bus->subs[i];
    }
    bus->n = j;
}

int fr_bus_new(fr_site *site, fr_error *err)
{
    /* The idempotency keys come from libsodium's generator. */
    if (sodium_init() < 0)
        return fr_error_set(err, FR_EINTERNAL, "libsodium could not be initialised");
    fr_bus *bus = calloc(1, sizeof *bus);
    if (!bus)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    site->bus = bus;
    return 0;
}

void fr_bus_free(fr_site *site)
{
    fr_bus *bus = site ? site->bus : NULL;
    if (!bus)
        return;
    for (int i = 0; i < bus->n; i++)
        subscriber_free(bus->subs[i]);
    free(bus->subs);
    free(bus);
    site->bus = NULL;
}

int fr_bus_match(const char *pattern, const char *topic)
{
    if (!pattern || !topic)
        return 0;
    if (strcmp(pattern, "*") == 0)
        return 1;
    size_t pl = strlen(pattern);
    if (pl >= 2 && strcmp(pattern + pl - 2, ".*") == 0) {
        /* "case.*" is the prefix "case." followed by at least one character. */
        return strncmp(pattern, topic, pl - 1) == 0 && topic[pl - 1] != '\0';
    }
    return strcmp(pattern, topic) == 0;
}

static int valid_pattern(const char *p)
{
    if (!p || !*p)
        return 0;
    const char *star = strchr(p, '*');
    if (!star)
        return 1;
    /* A star only as the whole pattern or as the last part after a dot. */
    return star[1] == '\0' && (star == p || star[-1] == '.');
}

int fr_bus_max_attempts(const fr_site *site)
{
    const char *v = site ? fr_site_setting(site, NULL, "bus.max-attempts") : NULL;
    if (v) {
        char *end;
        long n = strtol(v, &end, 10);
        if (end != v && *end == '\0' && n >= 1 && n <= 1000)
            return (int)n;
    }
    return 5;
}

/* Records an asynchronous subscriber the first time it is seen: it receives
 * the events created after this moment, not the history. */
static int remember_async(fr_site *site, const subscriber *s, fr_error *err)
{
    /* "WHERE 1 = 1": SQLite needs a WHERE between INSERT … SELECT and ON
     * CONFLICT to parse the upsert. */
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    return fr_store_execf(site->store, err,
                          "INSERT INTO bus_subscribers (name, pattern, since_event, registered_at)"
                          " SELECT ?, ?, coalesce(max(id), 0), ? FROM outbox WHERE 1 = 1"
                          " ON CONFLICT (name) DO UPDATE SET pattern = excluded.pattern",
                          "ttt", s->full, s->pattern, now);
}

int fr_bus_add_subscriber(fr_site *site, const char *owner, const char *pattern, fr_delivery mode,
                          const char *name, fr_subscriber_fn fn, void *userdata, fr_error *err)
{
    fr_bus *bus = site->bus;
    if (!bus)
        return fr_error_set(err, FR_EINTERNAL, "the bus is not open");
    if (!owner || !*owner || !name || !*name || strchr(name, ':') || !fn)
        return fr_error_set(err, FR_EINVAL,
                            "a subscriber needs an owner, a function and a name without ':' "
                            "(got '%s')",
                            name ? name : "(none)");
    if (!valid_pattern(pattern))
        return fr_error_set(err, FR_EINVAL,
                            "'%s' is not a topic pattern; write an exact topic (case.opened), "
                            "a prefix (case.*) or *",
                            pattern ? pattern : "(none)");
    if (mode != FR_SYNC && mode != FR_ASYNC)
        return fr_error_set(err, FR_EINVAL, "subscriber %s:%s: mode must be FR_SYNC or FR_ASYNC",
                            owner, name);
    for (int i = 0; i < bus->n; i++) {
        const subscriber *o = bus->subs[i];
        if (!o->removed && strcmp(o->owner, owner) == 0 && strcmp(o->name, name) == 0)
            return fr_error_set(err, FR_EINVAL,
                                "a subscriber named %s:%s is already registered; names must be "
                                "unique within their owner",
                                owner, name);
    }
    subscriber *s = calloc(1, sizeof *s);
    if (!s)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    s->owner = strdup(owner);
    s->name = strdup(name);
    s->pattern = strdup(pattern);
    s->mode = mode;
    s->fn = fn;
    s->userdata = userdata;
    if (asprintf(&s->full, "%s:%s", owner, name) < 0)
        s->full = NULL;
    if (!s->owner || !s->name || !s->pattern || !s->full) {
        subscriber_free(s);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    if (bus->n == bus->cap) {
        int cap = bus->cap ? bus->cap * 2 : 16;
        subscriber **grown = realloc(bus->subs, cap * sizeof *grown);
        if (!grown) {
            subscriber_free(s);
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        }
        bus->subs = grown;
        bus->cap = cap;
    }
    if (mode == FR_ASYNC) {
        int rc = remember_async(site, s, err);
        if (rc) {
            subscriber_free(s);
            fr_error_prefix(err, "recording the subscriber %s:%s: ", owner, name);
            return rc;
        }
    }
    bus->subs[bus->n++] = s;
    return 0;
}

void fr_bus_remove_owner(fr_site *site, const char *owner)
{
    fr_bus *bus = site ? site->bus : NULL;
    if (!bus || !owner)
        return;
    for (int i = 0; i < bus->n; i++)
        if (strcmp(bus->subs[i]->owner, owner) == 0)
            bus->subs[i]->removed = 1;
    compact(bus);
}

/* 32 hex digits: the creation time in milliseconds (48 bits), then 80
 * random bits. Keys of events created together sort together, so the
 * outbox's unique index on them grows at its end instead of at a random
 * page per event (a page more to write at each commit). */
static void new_key(char out[33])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    unsigned char raw[16];
    for (int i = 0; i < 6; i++)
        raw[i] = (unsigned char)(ms >> (8 * (5 - i)));
    randombytes_buf(raw + 6, sizeof raw - 6);
    sodium_bin2hex(out, 33, raw, sizeof raw);
}

/* Runs the synchronous subscribers matching ev, in registration order. The
 * first refusal stops the others and becomes FR_EVETO naming the refuser. */
static int run_sync(fr_site *site, const fr_event *ev, fr_error *err)
{
    fr_bus *bus = site->bus;
    int rc = 0;
    /* Subscribers registered while this runs wait for the next event. */
    int n = bus->n;
    bus->dispatching++;
    for (int i = 0; i < n && rc == 0; i++) {
        subscriber *s = bus->subs[i];
        if (s->removed || s->mode != FR_SYNC || !fr_bus_match(s->pattern, ev->topic))
            continue;
        fr_error serr = {0};
        if (s->fn(ev, s->userdata, &serr) != 0)
            rc = fr_error_set(err, FR_EVETO, "refused by %s: %s", s->full,
                              serr.message[0] ? serr.message : "no reason given");
    }
    bus->dispatching--;
    compact(bus);
    return rc;
}

/* What refuses an event whatever its payload: 0, or the error. */
static int publish_refused(fr_site *site, const char *topic, fr_error *err)
{
    fr_bus *bus = site->bus;
    if (!bus)
        return fr_error_set(err, FR_EINTERNAL, "the bus is not open");
    if (fr_store_depth(site->store) == 0)
        return fr_error_set(err, FR_EINTERNAL,
                            "the event %s was published outside a transaction; events must be "
                            "written in the transaction of the change they describe",
                            topic ? topic : "(none)");
    if (!topic || !*topic || strchr(topic, '*') || strchr(topic, ' '))
        return fr_error_set(err, FR_EINVAL,
                            "'%s' is not a topic; write a dotted name such as "
                            "case.opened",
                            topic ? topic : "(none)");
    if (bus->depth >= MAX_DEPTH)
        return fr_error_set(err, FR_EREFUSED,
                            "the event %s was emitted %d levels deep by synchronous "
                            "subscribers; a subscriber is probably re-triggering itself",
                            topic, MAX_DEPTH);
    return 0;
}

int fr_bus_publish(fr_site *site, const char *topic, int64_t case_id, const char *payload_json,
                   fr_error *err)
{
    int rc = publish_refused(site, topic, err);
    if (rc)
        return rc;
    json_error_t jerr;
    json_t *payload = json_loads(payload_json ? payload_json : "{}", 0, &jerr);
    if (!payload)
        return fr_error_set(err, FR_EINVAL,
                            "the payload of the event %s is not valid JSON: %s (line %d, "
                            "column %d)",
                            topic, jerr.text, jerr.line, jerr.column);
    if (!json_is_object(payload)) {
        json_decref(payload);
        return fr_error_set(err, FR_EINVAL,
                            "the payload of the event %s must be a JSON object ({...})", topic);
    }
    /* Stored compact, so that subscribers (and plugins without a JSON
     * library) see one spelling: {"key":value,...}. */
    char *text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(payload);
    if (!text)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    rc = fr_bus_publish_compact(site, topic, case_id, text, err);
    free(text);
    return rc;
}

int fr_bus_publish_compact(fr_site *site, const char *topic, int64_t case_id, const char *text,
                           fr_error *err)
{
    int rc = publish_refused(site, topic, err);
    if (rc)
        return rc;
    if (!text)
        text = "{}";
    if (text[0] != '{') /* not an object: fr_bus_publish says what it is */
        return fr_bus_publish(site, topic, case_id, text, err);
    fr_bus *bus = site->bus;
    char key[33], now[FR_TIME_LEN];
    new_key(key);
    fr_clock_now(now);

    /* A savepoint of its own: a veto undoes this event and what its
     * subscribers wrote, even when the caller chooses to go on. */
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    if (case_id > 0)
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO outbox (topic, case_id, payload, idempotency_key, "
                            "created_at) VALUES (?, ?, ?, ?, ?)",
                            "tIttt", topic, case_id, text, key, now);
    else
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO outbox (topic, case_id, payload, idempotency_key, "
                            "created_at) VALUES (?, NULL, ?, ?, ?)",
                            "tttt", topic, text, key, now);
    if (!rc) {
        /* other servers on the database deliver it too (PostgreSQL) */
        fr_store_announce(site->store, "outbox");
        fr_event ev = {fr_store_last_id(site->store), topic, case_id > 0 ? case_id : 0, text, key};
        bus->depth++;
        rc = run_sync(site, &ev, err);
        bus->depth--;
    }
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    return rc;
}

FR_API int fr_bus_subscribe(fr_plugin_ctx *ctx, const char *pattern, fr_delivery mode,
                            const char *name, fr_subscriber_fn fn, void *userdata, fr_error *err)
{
    if (!ctx)
        return fr_error_set(err, FR_EINVAL, "fr_bus_subscribe needs the plugin's context");
    return fr_bus_add_subscriber(fr_plugin_ctx_site(ctx), fr_plugin_id(ctx), pattern, mode, name,
                                 fn, userdata, err);
}

FR_API int fr_bus_emit(fr_plugin_ctx *ctx, const char *topic, int64_t case_id,
                       const char *payload_json, fr_error *err)
{
    if (!ctx)
        return fr_error_set(err, FR_EINVAL, "fr_bus_emit needs the plugin's context");
    fr_site *site = fr_plugin_ctx_site(ctx);
    if (fr_store_depth(site->store) > 0)
        return fr_bus_publish(site, topic, case_id, payload_json, err);
    /* Outside a transaction (an asynchronous subscriber): one of its own. */
    int rc = fr_store_begin(site->store, err);
    if (rc)
        return rc;
    rc = fr_bus_publish(site, topic, case_id, payload_json, err);
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    return rc;
}

/* ---- asynchronous delivery ---- */

/* Cases whose later events must wait for one subscriber during a pass: the
 * case, and the id from which its events are held back. */
typedef struct held {
    int64_t *case_id;
    int64_t *from;
    int n, cap;
} held;

static int held_add(held *h, int64_t case_id, int64_t from)
{
    for (int i = 0; i < h->n; i++)
        if (h->case_id[i] == case_id) {
            if (from < h->from[i])
                h->from[i] = from;
            return 0;
        }
    if (h->n == h->cap) {
        int cap = h->cap ? h->cap * 2 : 16;
        int64_t *a = realloc(h->case_id, cap * sizeof *a);
        if (!a)
            return FR_ENOMEM;
        h->case_id = a;
        int64_t *b = realloc(h->from, cap * sizeof *b);
        if (!b)
            return FR_ENOMEM;
        h->from = b;
        h->cap = cap;
    }
    h->case_id[h->n] = case_id;
    h->from[h->n] = from;
    h->n++;
    return 0;
}

static int held_blocks(const held *h, int64_t case_id, int64_t event_id)
{
    for (int i = 0; i < h->n; i++)
        if (h->case_id[i] == case_id && h->from[i] < event_id)
            return 1;
    return 0;
}

static void held_free(held *h)
{
    free(h->case_id);
    free(h->from);
}

typedef struct pending {
    int64_t id;
    char *topic;
    int64_t case_id;
    char *payload;
    char *key;
    int has_delivery; /* a 'retry' row exists */
    int attempts;
    char *next_at;
    /* the outcome of its delivery in this pass, recorded with the page's */
    const char *out_status; /* NULL: not attempted */
    int out_attempts;
    char out_next[FR_TIME_LEN];
    char *out_error;
} pending;

static void pending_clear(pending *p, int n)
{
    for (int i = 0; i < n; i++) {
        free(p[i].topic);
        free(p[i].payload);
        free(p[i].key);
        free(p[i].next_at);
        free(p[i].out_error);
    }
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Writes the outcomes of a page's deliveries, in one transaction (one
 * fsync for the page, not one per event): if the process dies before, the
 * page's events are delivered again (at least once). The subscriber's
 * watermark (settled_through) moves from `*stored` (as stored, updated
 * here) to `settled` in the same transaction; on its own (no outcome to
 * record) only when `force`, so that a pass over events of other topics
 * does not cost a durable commit each time.
 *
 * At or below the watermark, an event without a row was delivered at the
 * first attempt (or is not the subscriber's topic): such deliveries leave no
 * row, and the rows of those made above the watermark go when it passes
 * them. Only what the watermark cannot say is kept: deliveries that took
 * several attempts, parked ones (failed), and those an administrator
 * retried (fr_bus_retry). Rows of every delivery made cost a fifth of a
 * busy server's delivery work and grew with the site's history. */
static int record_page(fr_site *site, const char *sub, const pending *page, int n, int64_t *stored,
                       int64_t settled, int force, fr_error *err)
{
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    int rc = 0, any = 0;
    for (int i = 0; i < n && !any; i++)
        any = page[i].out_status != NULL;
    if (!any && !force)
        return 0;
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    for (int i = 0; i < n && !rc; i++) {
        const pending *p = &page[i];
        if (!p->out_status)
            continue;
        if (p->id <= settled && !p->has_delivery && p->out_attempts == 1 &&
            strcmp(p->out_status, "done") == 0)
            continue; /* the watermark says it */
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO bus_deliveries (subscriber, event_id, status, attempts, "
                            "next_at, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                            " ON CONFLICT (subscriber, event_id) DO UPDATE SET status = "
                            "excluded.status, attempts = excluded.attempts, next_at = "
                            "excluded.next_at, last_error = excluded.last_error, updated_at = "
                            "excluded.updated_at",
                            "tItittt", sub, p->id, p->out_status, p->out_attempts,
                            p->out_next[0] ? p->out_next : NULL, p->out_error, now);
    }
    if (!rc && settled > *stored)
        rc = fr_store_execf(site->store, err,
                            "DELETE FROM bus_deliveries WHERE subscriber = ? AND status = 'done'"
                            " AND event_id > ? AND event_id <= ? AND attempts = 1",
                            "tII", sub, *stored, settled);
    if (!rc)
        rc = fr_store_execf(site->store, err,
                            "UPDATE bus_subscribers SET settled_through = ? WHERE name = ? AND "
                            "settled_through < ?",
                            "ItI", settled, sub, settled);
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    if (!rc && settled > *stored)
        *stored = settled;
    return rc;
}

/* Cases already held back by a delivery parked as failed. */
static int load_failed(fr_site *site, const char *sub, held *h, fr_error *err)
{
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT o.case_id, min(o.id) FROM bus_deliveries d JOIN outbox o ON "
                            "o.id = d.event_id WHERE d.subscriber = ? AND d.status = 'failed' "
                            "AND o.case_id IS NOT NULL GROUP BY o.case_id",
                            "t", sub);
    if (rc)
        return rc;
    while ((rc = fr_stmt_step(st, err)) == 1)
        if (held_add(h, fr_stmt_int(st, 0), fr_stmt_int(st, 1))) {
            rc = fr_error_set(err, FR_ENOMEM, "out of memory");
            break;
        }
    fr_stmt_done(st);
    return rc < 0 ? rc : 0;
}

static int deliver_one(fr_site *site, subscriber *s, pending *p, int max_attempts, held *h,
                       fr_bus_stats *stats, fr_error *err)
{
    fr_event ev = {p->id, p->topic, p->case_id, p->payload, p->key};
    fr_error serr = {0};
    site->bus->dispatching++;
    int crc = s->fn(&ev, s->userdata, &serr);
    site->bus->dispatching--;
    /* Recorded only after the call returned: if the process dies in
     * between, the event is delivered again (at least once). */
    if (crc == 0) {
        stats->delivered++;
        p->out_status = "done";
        p->out_attempts = p->attempts + 1;
        return 0;
    }
    int attempts = p->attempts + 1;
    const char *why = serr.message[0] ? serr.message : "the subscriber returned an error";
    if (p->case_id > 0 && held_add(h, p->case_id, p->id))
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    if (attempts >= max_attempts) {
        stats->failed++;
        fr_site_log(site, "bus",
                    "event %" PRId64 " (%s) could not be delivered to %s after %d attempts, "
                    "parked as failed: %s; fix the cause, then `filrouge events retry %" PRId64 "`",
                    p->id, p->topic, s->full, attempts, why, p->id);
        p->out_status = "failed";
        p->out_attempts = attempts;
        p->out_error = strdup(why);
        return p->out_error ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    long backoff = attempts >= 12 ? MAX_BACKOFF : 1L << attempts;
    if (backoff > MAX_BACKOFF)
        backoff = MAX_BACKOFF;
    char now[FR_TIME_LEN], next[FR_TIME_LEN];
    fr_clock_now(now);
    if (fr_time_add_seconds(now, backoff, next) != 0)
        snprintf(next, sizeof next, "%s", now);
    stats->retried++;
    p->out_status = "retry";
    p->out_attempts = attempts;
    snprintf(p->out_next, sizeof p->out_next, "%s", next);
    p->out_error = strdup(why);
    return p->out_error ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
}

/* One subscriber's share of a delivery pass. */
/* A pass reads the outbox from the subscriber's watermark (settled_through,
 * or since_event when that is later): every event up to it is settled for
 * the subscriber (not its topic, done, or parked as failed). Without it
 * each pass re-read every event since the subscriber was registered, and
 * cost grew with the site's history. Ids are given in commit order (SQLite
 * has one writer; on PostgreSQL every write transaction holds the writer
 * lock until it ends, store_pg.c), so an event below the watermark cannot
 * become visible after the watermark passed it. The watermark stops before
 * the first event still owed (a retry not due, an event held behind a
 * failed one of its case, a delivery that could not be attempted).
 * Deliveries an administrator retried (fr_bus_retry) below the watermark
 * are read first, through their rows: their ids are lower than any event
 * above it, so the events of a case still go in order. */
static void owed(int *open, int64_t *settled, int64_t id)
{
    /* The events between the last one settled and this one were left out
     * of the page for being done or failed: settled too. */
    if (!*open)
        *settled = id - 1;
    *open = 1;
}

/* Reads a page of the query st (id, topic, case_id, payload, key, and the
 * delivery's status, attempts, next_at) into page; its size in *n. */
static int read_page(fr_stmt *st, pending *page, int *n, fr_error *err)
{
    int rc = 0;
    *n = 0;
    while (*n < PAGE && (rc = fr_stmt_step(st, err)) == 1) {
        pending *p = &page[(*n)++];
        memset(p, 0, sizeof *p);
        p->id = fr_stmt_int(st, 0);
        p->topic = dup_or_null(fr_stmt_text(st, 1));
        p->case_id = fr_stmt_is_null(st, 2) ? 0 : fr_stmt_int(st, 2);
        p->payload = dup_or_null(fr_stmt_text(st, 3));
        p->key = dup_or_null(fr_stmt_text(st, 4));
        p->has_delivery = !fr_stmt_is_null(st, 5);
        p->attempts = (int)fr_stmt_int(st, 6);
        p->next_at = dup_or_null(fr_stmt_text(st, 7));
    }
    fr_stmt_done(st);
    if (rc < 0)
        pending_clear(page, *n);
    return rc < 0 ? rc : 0;
}

/* Whether p is held back: behind an undelivered event of its case, or not
 * due yet (then the later events of its case wait behind it). 1: held;
 * -1: out of memory. */
static int held_back(held *h, const pending *p, const char *now)
{
    if (p->case_id > 0 && held_blocks(h, p->case_id, p->id))
        return 1;
    if (p->has_delivery && p->next_at && strcmp(p->next_at, now) > 0)
        return p->case_id > 0 && held_add(h, p->case_id, p->id) ? -1 : 1;
    return 0;
}

/* The deliveries retried below the watermark (their rows say 'retry'). */
static int deliver_retried(fr_site *site, subscriber *s, int64_t *stored, int64_t watermark,
                           int max_attempts, held *h, const char *now, fr_bus_stats *stats,
                           fr_error *err)
{
    pending page[PAGE];
    int64_t after = 0;
    int rc = 0, n = 0;
    do {
        fr_stmt *st;
        if ((rc = fr_store_query(site->store, err, &st,
                                 "SELECT o.id, o.topic, o.case_id, o.payload, o.idempotency_key,"
                                 " d.status, d.attempts, d.next_at FROM bus_deliveries d JOIN"
                                 " outbox o ON o.id = d.event_id WHERE d.subscriber = ? AND"
                                 " d.status = 'retry' AND d.event_id > ? AND d.event_id <= ?"
                                 " ORDER BY d.event_id LIMIT ?",
                                 "tIIi", s->full, after, watermark, PAGE)) ||
            (rc = read_page(st, page, &n, err)))
            break;
        for (int i = 0; i < n && rc == 0 && !s->removed; i++) {
            int hb = held_back(h, &page[i], now);
            if (hb < 0)
                rc = fr_error_set(err, FR_ENOMEM, "out of memory");
            else if (!hb && page[i].topic && fr_bus_match(s->pattern, page[i].topic))
                rc = deliver_one(site, s, &page[i], max_attempts, h, stats, err);
        }
        fr_error rerr = {0};
        int rrc = record_page(site, s->full, page, n, stored, *stored, 0, rc ? &rerr : err);
        if (!rc)
            rc = rrc;
        if (n > 0)
            after = page[n - 1].id;
        pending_clear(page, n);
    } while (rc == 0 && n == PAGE && !s->removed);
    return rc;
}

static int deliver_to(fr_site *site, subscriber *s, int max_attempts, fr_bus_stats *stats,
                      fr_error *err)
{
    int64_t since = 0, through = 0, after, settled;
    fr_stmt *sst;
    int rc = fr_store_query(site->store, err, &sst,
                            "SELECT since_event, settled_through FROM bus_subscribers "
                            "WHERE name = ?",
                            "t", s->full);
    if (rc)
        return rc;
    rc = fr_stmt_step(sst, err);
    if (rc == 1) {
        since = fr_stmt_int(sst, 0);
        through = fr_stmt_int(sst, 1);
    }
    fr_stmt_done(sst);
    if (rc == 0) {
        /* Its registration was rolled back with the caller's transaction:
         * record it now; it owes nothing yet. */
        return remember_async(site, s, err);
    }
    if (rc < 0)
        return rc;
    held h = {0};
    if ((rc = load_failed(site, s->full, &h, err))) {
        held_free(&h);
        return rc;
    }
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    after = settled = through > since ? through : since;
    int64_t stored = through;
    if ((rc = deliver_retried(site, s, &stored, after, max_attempts, &h, now, stats, err))) {
        held_free(&h);
        return rc;
    }
    int open = 0; /* an event still owed was met: the watermark stays */
    pending page[PAGE];
    for (;;) {
        fr_stmt *st;
        int n = 0;
        int64_t from = settled;
        if ((rc = fr_store_query(site->store, err, &st,
                                 "SELECT o.id, o.topic, o.case_id, o.payload, o.idempotency_key, "
                                 "d.status, d.attempts, d.next_at FROM outbox o LEFT JOIN "
                                 "bus_deliveries d ON d.event_id = o.id AND d.subscriber = ? "
                                 "WHERE o.id > ? AND (d.status IS NULL OR d.status = 'retry') "
                                 "ORDER BY o.id LIMIT ?",
                                 "tIi", s->full, after, PAGE)) ||
            (rc = read_page(st, page, &n, err)))
            break;
        for (int i = 0; i < n && rc == 0; i++) {
            pending *p = &page[i];
            if (!p->topic || !fr_bus_match(s->pattern, p->topic)) {
                if (!open)
                    settled = p->id;
                continue;
            }
            int hb = held_back(&h, p, now);
            if (hb) {
                owed(&open, &settled, p->id);
                if (hb < 0)
                    rc = fr_error_set(err, FR_ENOMEM, "out of memory");
                continue;
            }
            if (s->removed) {
                owed(&open, &settled, p->id);
                break;
            }
            rc = deliver_one(site, s, p, max_attempts, &h, stats, err);
            if (rc || !p->out_status || strcmp(p->out_status, "retry") == 0)
                owed(&open, &settled, p->id);
            else if (!open)
                settled = p->id;
        }
        /* The outcomes recorded even when a later delivery failed. */
        fr_error rerr = {0};
        /* The watermark alone is not worth a write on a full disk. */
        int force = settled - from >= PAGE && !fr_store_short_of_space(site->store);
        int rrc = record_page(site, s->full, page, n, &stored, settled, force, rc ? &rerr : err);
        if (!rc)
            rc = rrc;
        if (n > 0)
            after = page[n - 1].id;
        pending_clear(page, n);
        if (rc || n < PAGE || s->removed)
            break;
    }
    held_free(&h);
    return rc;
}

int fr_bus_deliver(fr_site *site, fr_bus_stats *stats, fr_error *err)
{
    fr_bus_stats local;
    if (!stats)
        stats = &local;
    stats->delivered = stats->retried = stats->failed = 0;
    fr_bus *bus = site->bus;
    if (!bus)
        return fr_error_set(err, FR_EINTERNAL, "the bus is not open");
    if (fr_store_depth(site->store) > 0)
        return fr_error_set(err, FR_EINTERNAL,
                            "asynchronous delivery runs after commit, not inside a transaction");
    int max_attempts = fr_bus_max_attempts(site);
    int rc = 0;
    int n = bus->n;
    bus->dispatching++;
    for (int i = 0; i < n && rc == 0; i++) {
        subscriber *s = bus->subs[i];
        if (s->removed || s->mode != FR_ASYNC)
            continue;
        /* One process at a time delivers a subscriber's events (several
         * servers on one PostgreSQL database); the others skip it. */
        char lock[320];
        int got = 0;
        snprintf(lock, sizeof lock, "bus:%s", s->full);
        rc = fr_store_try_lock(site->store, lock, &got, err);
        if (rc || !got)
            continue;
        rc = deliver_to(site, s, max_attempts, stats, err);
        fr_store_unlock(site->store, lock);
    }
    bus->dispatching--;
    compact(bus);
    return rc;
}

int fr_bus_retry(fr_site *site, int64_t event_id, const char *subscriber, int *count, fr_error *err)
{
    char now[FR_TIME_LEN], oid[200], detail[64];
    fr_clock_now(now);
    *count = 0;
    int rc = fr_store_begin(site->store, err);
    if (rc)
        return rc;
    /* Attempts start again from zero: the administrator has fixed the cause
     * and gives the delivery a full round of retries. */
    if (event_id > 0 && subscriber)
        rc = fr_store_execf(site->store, err,
                            "UPDATE bus_deliveries SET status = 'retry', attempts = 0, "
                            "next_at = ?, updated_at = ? WHERE status = 'failed' AND "
                            "event_id = ? AND subscriber = ?",
                            "ttIt", now, now, event_id, subscriber);
    else if (event_id > 0)
        rc = fr_store_execf(site->store, err,
                            "UPDATE bus_deliveries SET status = 'retry', attempts = 0, "
                            "next_at = ?, updated_at = ? WHERE status = 'failed' AND "
                            "event_id = ?",
                            "ttI", now, now, event_id);
    else
        rc = fr_store_execf(site->store, err,
                            "UPDATE bus_deliveries SET status = 'retry', attempts = 0, "
                            "next_at = ?, updated_at = ? WHERE status = 'failed'",
                            "tt", now, now);
    /* A retried delivery is owed again; the watermark stays where it is
     * (the events after it were delivered, most of them without a row to
     * say so): each pass first reads the retried ones through their rows
     * (deliver_to). */
    if (!rc)
        *count = fr_store_changes(site->store);
    if (!rc && event_id > 0 && *count == 0)
        rc = fr_error_set(err, FR_ENOTFOUND,
                          "no failed delivery of event %" PRId64 "%s%s; see `filrouge events "
                          "list --failed`",
                          event_id, subscriber ? " to " : "", subscriber ? subscriber : "");
    if (!rc && *count > 0) {
        if (event_id > 0)
            snprintf(oid, sizeof oid, "%" PRId64 "%s%s", event_id, subscriber ? ":" : "",
                     subscriber ? subscriber : "");
        else
            snprintf(oid, sizeof oid, "all");
        snprintf(detail, sizeof detail, "{\"count\":%d}", *count);
        rc = fr_audit_append(site->store, site->actor, "retry", "delivery", oid, detail, err);
    }
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    if (rc)
        *count = 0;
    return rc;
}

/* ---- listing ---- */

typedef struct known_sub {
    char *name;
    char *pattern;
    int64_t since;
    int64_t settled; /* its watermark: delivered up to here, unless a row says otherwise */
} known_sub;

static int load_known(fr_site *site, known_sub **out, int *n, fr_error *err)
{
    fr_stmt *st;
    *out = NULL;
    *n = 0;
    int rc =
        fr_store_query(site->store, err, &st,
                       "SELECT name, pattern, since_event, settled_through FROM bus_subscribers"
                       " ORDER BY name",
                       NULL);
    if (rc)
        return rc;
    int cap = 0;
    while ((rc = fr_stmt_step(st, err)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            known_sub *g = realloc(*out, cap * sizeof *g);
            if (!g) {
                rc = fr_error_set(err, FR_ENOMEM, "out of memory");
                break;
            }
            *out = g;
        }
        known_sub *k = &(*out)[(*n)++];
        k->name = strdup(fr_stmt_text(st, 0));
        k->pattern = strdup(fr_stmt_text(st, 1));
        k->since = fr_stmt_int(st, 2);
        k->settled = fr_stmt_int(st, 3);
    }
    fr_stmt_done(st);
    return rc < 0 ? rc : 0;
}

static int by_subscriber(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "subscriber")),
                  json_string_value(json_object_get(*(json_t *const *)b, "subscriber")));
}

/* The deliveries of an event in subscriber order, with rows or without. */
static void sort_by_subscriber(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = n > 1 ? malloc(n * sizeof *v) : NULL;
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof *v, by_subscriber);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
}

static json_t *deliveries_of(fr_site *site, int64_t id, const char *topic, const known_sub *known,
                             int nknown, int *failed, int *owed, fr_error *err, int *rc)
{
    json_t *arr = json_array();
    fr_stmt *st;
    *failed = *owed = 0;
    *rc = fr_store_query(site->store, err, &st,
                         "SELECT subscriber, status, attempts, last_error, next_at FROM "
                         "bus_deliveries WHERE event_id = ? ORDER BY subscriber",
                         "I", id);
    if (*rc) {
        json_decref(arr);
        return NULL;
    }
    int r;
    while ((r = fr_stmt_step(st, err)) == 1) {
        const char *status = fr_stmt_text(st, 1);
        json_t *d = json_object();
        json_object_set_new(d, "subscriber", json_string(fr_stmt_text(st, 0)));
        json_object_set_new(d, "status", json_string(status));
        json_object_set_new(d, "attempts", json_integer(fr_stmt_int(st, 2)));
        json_object_set_new(d, "last_error",
                            fr_stmt_is_null(st, 3) ? json_null()
                                                   : json_string(fr_stmt_text(st, 3)));
        json_object_set_new(
            d, "next_at", fr_stmt_is_null(st, 4) ? json_null() : json_string(fr_stmt_text(st, 4)));
        json_array_append_new(arr, d);
        if (strcmp(status, "failed") == 0)
            (*failed)++;
        else if (strcmp(status, "retry") == 0)
            (*owed)++;
    }
    fr_stmt_done(st);
    if (r < 0) {
        *rc = r;
        json_decref(arr);
        return NULL;
    }
    /* Subscribers without a row: delivered at the first attempt when the
     * event is at or below their watermark (record_page), else owed. */
    for (int i = 0; i < nknown; i++) {
        if (known[i].since >= id || !fr_bus_match(known[i].pattern, topic))
            continue;
        int seen = 0;
        size_t j;
        json_t *d;
        json_array_foreach(arr, j, d)
        {
            if (strcmp(json_string_value(json_object_get(d, "subscriber")), known[i].name) == 0)
                seen = 1;
        }
        if (seen)
            continue;
        int done = id <= known[i].settled;
        d = json_object();
        json_object_set_new(d, "subscriber", json_string(known[i].name));
        json_object_set_new(d, "status", json_string(done ? "done" : "pending"));
        json_object_set_new(d, "attempts", json_integer(done));
        json_object_set_new(d, "last_error", json_null());
        json_object_set_new(d, "next_at", json_null());
        json_array_append_new(arr, d);
        if (!done)
            (*owed)++;
    }
    sort_by_subscriber(arr);
    return arr;
}

int fr_bus_list(fr_site *site, const char *which, int limit, json_t **out, fr_error *err)
{
    *out = NULL;
    int want_failed = which && strcmp(which, "failed") == 0;
    int want_pending = which && strcmp(which, "pending") == 0;
    if (which && !want_failed && !want_pending)
        return fr_error_set(err, FR_EINVAL, "'%s': list \"failed\", \"pending\" or all events",
                            which);
    known_sub *known = NULL;
    int nknown = 0;
    int rc = load_known(site, &known, &nknown, err);
    json_t *arr = json_array();
    int64_t before = INT64_MAX;
    while (rc == 0 && (limit <= 0 || (int)json_array_size(arr) < limit)) {
        /* Newest first, a page at a time; the filter is applied here. */
        fr_stmt *st;
        rc = fr_store_query(site->store, err, &st,
                            "SELECT id, topic, case_id, payload, created_at FROM outbox WHERE "
                            "id < ? ORDER BY id DESC LIMIT ?",
                            "Ii", before, PAGE);
        if (rc)
            break;
        int got = 0, r;
        json_t *page = json_array();
        while ((r = fr_stmt_step(st, err)) == 1) {
            got++;
            json_t *ev = json_object();
            before = fr_stmt_int(st, 0);
            json_object_set_new(ev, "id", json_integer(before));
            json_object_set_new(ev, "topic", json_string(fr_stmt_text(st, 1)));
            json_object_set_new(ev, "case_id",
                                fr_stmt_is_null(st, 2) ? json_null()
                                                       : json_integer(fr_stmt_int(st, 2)));
            json_t *payload = json_loads(fr_stmt_text(st, 3), 0, NULL);
            json_object_set_new(ev, "payload", payload ? payload : json_object());
            json_object_set_new(ev, "created_at", json_string(fr_stmt_text(st, 4)));
            json_array_append_new(page, ev);
        }
        fr_stmt_done(st);
        if (r < 0) {
            rc = r;
            json_decref(page);
            break;
        }
        size_t i;
        json_t *ev;
        json_array_foreach(page, i, ev)
        {
            if (limit > 0 && (int)json_array_size(arr) >= limit)
                break;
            int failed, owed;
            json_t *d = deliveries_of(site, json_integer_value(json_object_get(ev, "id")),
                                      json_string_value(json_object_get(ev, "topic")), known,
                                      nknown, &failed, &owed, err, &rc);
            if (!d)
                break;
            json_object_set_new(ev, "deliveries", d);
            if ((want_failed && !failed) || (want_pending && !owed))
                continue;
            json_array_append(arr, ev);
        }
        json_decref(page);
        if (got < PAGE)
            break;
    }
    for (int i = 0; i < nknown; i++) {
        free(known[i].name);
        free(known[i].pattern);
    }
    free(known);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}
