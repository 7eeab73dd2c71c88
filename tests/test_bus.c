/* The event bus: topic patterns, publishing inside a transaction only,
 * synchronous vetoes that leave nothing behind, nested events and their
 * depth limit, asynchronous delivery in order, retries with backoff on a
 * moving clock, parking as failed and retrying, ordering per case,
 * idempotency keys, no history for new subscribers, at-least-once across a
 * process that dies, listing. Subscribers are registered directly (owner
 * "test"); plugins' use of the bus is in test_plugin.c. */
#include <inttypes.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "bus.h"
#include "site.h"
#include "store.h"
#include "test.h"

#define T0 "2026-11-23T10:00:00Z"

/* A site in a fresh folder; extra goes into site.xml (settings). */
static fr_site *open_new_site(const char *name, const char *extra)
{
    fr_error err = {0};
    const char *dir = test_path(name);
    CHECK_OK(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err), &err);
    if (extra) {
        char path[4200], text[4096];
        snprintf(path, sizeof path, "%s/site.xml", dir);
        snprintf(text, sizeof text,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<site xmlns=\"urn:filrouge:site:1\">\n  <name>%s</name>\n"
                 "  <languages>en fr</languages>\n  <database>%s</database>\n"
                 "  %s\n</site>\n",
                 name, test_site_db_xml(dir), extra);
        test_write_file(path, text);
    }
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    return site;
}

static fr_site *reopen(fr_site *site)
{
    fr_error err = {0};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", site->dir);
    fr_site_close(site);
    fr_site *again = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &again, &err), &err);
    return again;
}

static int64_t count(fr_site *site, const char *sql)
{
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_query_int(site->store, &err, &n, sql, NULL), &err);
    return n;
}

static int64_t count_id(fr_site *site, const char *sql, int64_t id)
{
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_query_int(site->store, &err, &n, sql, "I", id), &err);
    return n;
}

/* Publishes one event in its own transaction; returns its outbox id. */
static int64_t publish(fr_site *site, const char *topic, int64_t case_id, const char *payload)
{
    fr_error err = {0};
    CHECK_OK(fr_store_begin(site->store, &err), &err);
    int rc = fr_bus_publish(site, topic, case_id, payload, &err);
    CHECK_OK(rc, &err);
    int64_t id = fr_store_last_id(site->store);
    if (rc == 0)
        CHECK_OK(fr_store_commit(site->store, &err), &err);
    else
        fr_store_rollback(site->store);
    return id;
}

/* A test subscriber: records what it is called with; fails while `failing`
 * is set for events of case fail_case (any case when fail_case is 0). */
typedef struct recorder {
    int calls;
    int64_t ids[64];
    int64_t cases[64];
    char keys[64][40];
    int failing;
    int64_t fail_case;
    int64_t side_effects;
} recorder;

static int record(const fr_event *ev, void *userdata, fr_error *err)
{
    recorder *r = userdata;
    if (r->calls < 64) {
        r->ids[r->calls] = fr_event_id(ev);
        r->cases[r->calls] = fr_event_case(ev);
        snprintf(r->keys[r->calls], sizeof r->keys[0], "%s", fr_event_key(ev));
    }
    r->calls++;
    r->side_effects++;
    if (r->failing && (r->fail_case == 0 || r->fail_case == fr_event_case(ev)))
        return fr_error_set(err, FR_EIO, "the test subscriber is failing on purpose");
    return 0;
}

static void set_now(const char *iso)
{
    if (iso)
        setenv("FILROUGE_NOW", iso, 1);
    else
        unsetenv("FILROUGE_NOW");
}

static void topics_match_exact_prefix_and_star(void)
{
    CHECK(fr_bus_match("case.opened", "case.opened"));
    CHECK(!fr_bus_match("case.opened", "case.closed"));
    CHECK(fr_bus_match("case.*", "case.opened"));
    CHECK(fr_bus_match("case.*", "case.x.y"));
    CHECK(!fr_bus_match("case.*", "case"));
    CHECK(!fr_bus_match("case.*", "cases.opened"));
    CHECK(!fr_bus_match("case.*", "task.overdue"));
    CHECK(fr_bus_match("*", "anything.at.all"));
    CHECK(fr_bus_match("case.x.*", "case.x.y"));
    CHECK(!fr_bus_match("case.x.*", "case.y.z"));

    fr_site *site = open_new_site("match", NULL);
    fr_error err = {0};
    recorder r = {0};
    CHECK_ERR(fr_bus_add_subscriber(site, "test", "ca*se", FR_SYNC, "bad", record, &r, &err),
              FR_EINVAL, &err, "not a topic pattern");
    CHECK_OK(fr_bus_add_subscriber(site, "test", "case.*", FR_SYNC, "one", record, &r, &err), &err);
    CHECK_ERR(fr_bus_add_subscriber(site, "test", "case.*", FR_SYNC, "one", record, &r, &err),
              FR_EINVAL, &err, "already registered");
    fr_site_close(site);
}

static void publishing_needs_a_transaction_and_a_json_object(void)
{
    fr_site *site = open_new_site("outside", NULL);
    fr_error err = {0};
    CHECK_ERR(fr_bus_publish(site, "case.opened", 1, NULL, &err), FR_EINTERNAL, &err,
              "outside a transaction");
    CHECK_OK(fr_store_begin(site->store, &err), &err);
    CHECK_ERR(fr_bus_publish(site, "case.opened", 1, "{\"a\":", &err), FR_EINVAL, &err,
              "not valid JSON");
    CHECK_ERR(fr_bus_publish(site, "case.opened", 1, "[1,2]", &err), FR_EINVAL, &err,
              "JSON object");
    CHECK_OK(fr_bus_publish(site, "case.opened", 1, "{ \"a\" : 1 }", &err), &err);
    /* The kernel's compact path refuses alike (and says why). */
    CHECK_ERR(fr_bus_publish_compact(site, "case opened", 1, "{}", &err), FR_EINVAL, &err,
              "not a topic");
    CHECK_ERR(fr_bus_publish_compact(site, "case.opened", 1, "[1,2]", &err), FR_EINVAL, &err,
              "JSON object");
    CHECK_OK(fr_store_commit(site->store, &err), &err);
    CHECK_ERR(fr_bus_publish_compact(site, "case.opened", 1, NULL, &err), FR_EINTERNAL, &err,
              "outside a transaction");
    CHECK(count(site, "SELECT count(*) FROM outbox") == 1);
    CHECK(count(site, "SELECT count(*) FROM outbox WHERE payload = '{\"a\":1}'") == 1);
    fr_site_close(site);
}

static int veto_closing(const fr_event *ev, void *userdata, fr_error *err)
{
    recorder *r = userdata;
    r->calls++;
    r->ids[0] = fr_event_id(ev);
    snprintf(r->keys[0], sizeof r->keys[0], "%s", fr_event_key(ev));
    if (strcmp(fr_event_topic(ev), "case.closed") == 0)
        return fr_error_set(err, FR_EREFUSED, "the case still has open tasks");
    return 0;
}

static void a_sync_veto_leaves_nothing_behind(void)
{
    fr_site *site = open_new_site("veto", NULL);
    fr_error err = {0};
    recorder r = {0}, after = {0};
    CHECK_OK(
        fr_bus_add_subscriber(site, "test", "case.*", FR_SYNC, "guardian", veto_closing, &r, &err),
        &err);
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_SYNC, "after", record, &after, &err),
             &err);

    CHECK_OK(fr_store_begin(site->store, &err), &err);
    CHECK_OK(fr_store_exec(site->store, "INSERT INTO site_meta (key, value) VALUES ('marker', 'x')",
                           &err),
             &err);
    CHECK_ERR(fr_bus_publish(site, "case.closed", 7, NULL, &err), FR_EVETO, &err,
              "refused by test:guardian: the case still has open tasks");
    fr_store_rollback(site->store);
    CHECK(after.calls == 0); /* the first refusal stops the others */
    CHECK(count(site, "SELECT count(*) FROM outbox") == 0);
    CHECK(count(site, "SELECT count(*) FROM site_meta WHERE key = 'marker'") == 0);

    int64_t id = publish(site, "case.opened", 7, NULL);
    CHECK(r.ids[0] == id && id > 0);
    CHECK(strlen(r.keys[0]) == 32);
    CHECK(after.calls == 1);
    CHECK(count(site, "SELECT count(*) FROM outbox") == 1);
    fr_site_close(site);
}

static int chain(const fr_event *ev, void *userdata, fr_error *err)
{
    fr_site *site = userdata;
    if (strcmp(fr_event_topic(ev), "a.first") == 0)
        return fr_bus_publish(site, "a.second", fr_event_case(ev), "{\"from\":\"first\"}", err);
    if (strncmp(fr_event_topic(ev), "loop.", 5) == 0)
        return fr_bus_publish(site, "loop.again", 0, NULL, err);
    return 0;
}

static void events_from_sync_subscribers_join_the_transaction(void)
{
    fr_site *site = open_new_site("nested", NULL);
    fr_error err = {0};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_SYNC, "chain", chain, site, &err), &err);
    publish(site, "a.first", 3, NULL);
    CHECK(count(site, "SELECT count(*) FROM outbox WHERE topic = 'a.second' AND case_id = 3") == 1);

    CHECK_OK(fr_store_begin(site->store, &err), &err);
    CHECK_ERR(fr_bus_publish(site, "loop.start", 0, NULL, &err), FR_EVETO, &err, "levels deep");
    fr_store_rollback(site->store);
    CHECK(count(site, "SELECT count(*) FROM outbox WHERE topic LIKE 'loop.%'") == 0);
    fr_site_close(site);
}

static void async_delivery_in_order_once(void)
{
    fr_site *site = open_new_site("async", NULL);
    fr_error err = {0};
    recorder r = {0};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "case.*", FR_ASYNC, "log", record, &r, &err),
             &err);
    int64_t a = publish(site, "case.opened", 1, NULL);
    int64_t b = publish(site, "case.opened", 2, NULL);
    publish(site, "task.due", 1, NULL);
    int64_t c = publish(site, "case.transitioned", 1, NULL);
    CHECK(r.calls == 0); /* nothing before delivery */
    fr_bus_stats st;
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(st.delivered == 3 && st.retried == 0 && st.failed == 0);
    CHECK(r.calls == 3);
    CHECK(r.ids[0] == a && r.ids[1] == b && r.ids[2] == c);
    /* Delivered at the first attempt and passed by the watermark: no row
     * says so, the watermark does, and so does the listing. */
    CHECK(count(site, "SELECT count(*) FROM bus_deliveries") == 0);
    CHECK(count(site, "SELECT settled_through FROM bus_subscribers WHERE name = 'test:log'") == c);
    json_t *all = NULL;
    CHECK_OK(fr_bus_list(site, NULL, 0, &all, &err), &err);
    size_t k;
    json_t *ev;
    json_array_foreach(all, k, ev)
    {
        json_t *d = json_array_get(json_object_get(ev, "deliveries"), 0);
        const char *topic = json_string_value(json_object_get(ev, "topic"));
        CHECK(strcmp(topic, "task.due") == 0
                  ? d == NULL
                  : d && strcmp(json_string_value(json_object_get(d, "status")), "done") == 0 &&
                        json_integer_value(json_object_get(d, "attempts")) == 1);
    }
    CHECK(json_array_size(all) == 4);
    json_decref(all);
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(st.delivered == 0 && r.calls == 3);

    /* Delivery runs after commit, never inside a transaction. */
    CHECK_OK(fr_store_begin(site->store, &err), &err);
    CHECK_ERR(fr_bus_deliver(site, &st, &err), FR_EINTERNAL, &err, "after commit");
    fr_store_rollback(site->store);
    fr_site_close(site);
}

static void retries_back_off_then_park_as_failed(void)
{
    set_now(T0);
    fr_site *site = open_new_site("retry", "<setting name=\"bus.max-attempts\">3</setting>");
    fr_error err = {0};
    CHECK(fr_bus_max_attempts(site) == 3);
    recorder r = {.failing = 1};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_ASYNC, "flaky", record, &r, &err), &err);
    int64_t id = publish(site, "case.opened", 5, NULL);
    fr_bus_stats st;

    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(st.retried == 1 && r.calls == 1);
    CHECK(count(site,
                "SELECT count(*) FROM bus_deliveries WHERE status = 'retry' AND attempts = "
                "1 AND next_at = '2026-11-23T10:00:02Z' AND last_error LIKE '%on purpose%'") == 1);
    /* Not due yet: not called. */
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 1 && st.retried == 0);

    set_now("2026-11-23T10:00:02Z");
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 2 && st.retried == 1);
    CHECK(count(site, "SELECT count(*) FROM bus_deliveries WHERE attempts = 2 AND next_at = "
                      "'2026-11-23T10:00:06Z'") == 1);

    set_now("2026-11-23T10:00:05Z");
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 2);

    set_now("2026-11-23T10:00:06Z");
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 3 && st.failed == 1);
    CHECK(count(site, "SELECT count(*) FROM bus_deliveries WHERE status = 'failed' AND attempts "
                      "= 3") == 1);
    set_now("2026-11-24T10:00:00Z");
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 3); /* parked: not tried again by itself */

    /* The site's log says what happened and what to do. */
    char path[4200];
    snprintf(path, sizeof path, "%s/filrouge.log", site->dir);
    FILE *f = fopen(path, "r");
    char log[8192] = "";
    if (f) {
        size_t n = fread(log, 1, sizeof log - 1, f);
        log[n] = '\0';
        fclose(f);
    }
    CHECK(strstr(log, "parked as failed") != NULL);
    CHECK(strstr(log, "test:flaky") != NULL);

    json_t *list = NULL;
    CHECK_OK(fr_bus_list(site, "failed", 10, &list, &err), &err);
    CHECK(json_array_size(list) == 1);
    json_t *d = json_array_get(json_object_get(json_array_get(list, 0), "deliveries"), 0);
    CHECK_STR(json_string_value(json_object_get(d, "status")), "failed");
    CHECK_STR(json_string_value(json_object_get(d, "subscriber")), "test:flaky");
    json_decref(list);

    int n = 0;
    CHECK_ERR(fr_bus_retry(site, id + 100, NULL, &n, &err), FR_ENOTFOUND, &err,
              "no failed delivery");
    r.failing = 0;
    CHECK_OK(fr_bus_retry(site, id, "test:flaky", &n, &err), &err);
    CHECK(n == 1);
    CHECK(count(site, "SELECT count(*) FROM audit WHERE action = 'retry' AND object_type = "
                      "'delivery'") == 1);
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 4 && st.delivered == 1);
    CHECK(count(site, "SELECT count(*) FROM bus_deliveries WHERE status = 'done'") == 1);
    CHECK_OK(fr_bus_list(site, "failed", 10, &list, &err), &err);
    CHECK(json_array_size(list) == 0);
    json_decref(list);
    fr_site_close(site);
    set_now(NULL);
}

static void a_failing_event_holds_back_its_case_only(void)
{
    set_now(T0);
    fr_site *site = open_new_site("percase", "<setting name=\"bus.max-attempts\">2</setting>");
    fr_error err = {0};
    recorder r = {.failing = 1, .fail_case = 1};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "case.*", FR_ASYNC, "ordered", record, &r, &err),
             &err);
    int64_t e1 = publish(site, "case.opened", 1, NULL);
    int64_t e2 = publish(site, "case.transitioned", 1, NULL);
    int64_t e3 = publish(site, "case.opened", 2, NULL);
    fr_bus_stats st;

    /* e1 fails; e2 (same case) waits; e3 (another case) goes through. */
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 2 && r.ids[0] == e1 && r.ids[1] == e3);
    CHECK(st.retried == 1 && st.delivered == 1);

    /* e1 fails again and is parked; e2 still waits behind it. */
    set_now("2026-11-23T10:00:02Z");
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 3 && r.ids[2] == e1 && st.failed == 1);
    set_now("2026-11-23T12:00:00Z");
    int64_t e4 = publish(site, "case.closed", 2, NULL);
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 4 && r.ids[3] == e4);

    json_t *list = NULL;
    CHECK_OK(fr_bus_list(site, "pending", 0, &list, &err), &err);
    CHECK(json_array_size(list) == 1); /* e2: owed, never tried */
    CHECK(json_integer_value(json_object_get(json_array_get(list, 0), "id")) == e2);
    json_decref(list);

    /* Once e1 is retried and goes through, e2 follows, in order. */
    r.failing = 0;
    int n = 0;
    CHECK_OK(fr_bus_retry(site, 0, NULL, &n, &err), &err);
    CHECK(n == 1);
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(r.calls == 6 && r.ids[4] == e1 && r.ids[5] == e2);
    CHECK_OK(fr_bus_list(site, "pending", 0, &list, &err), &err);
    CHECK(json_array_size(list) == 0);
    json_decref(list);
    CHECK_OK(fr_bus_list(site, NULL, 2, &list, &err), &err);
    CHECK(json_array_size(list) == 2);
    CHECK(json_integer_value(json_object_get(json_array_get(list, 0), "id")) == e4);
    json_decref(list);
    fr_site_close(site);
    set_now(NULL);
}

static void every_event_has_its_own_idempotency_key(void)
{
    fr_site *site = open_new_site("keys", NULL);
    fr_error err = {0};
    recorder r = {0};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_ASYNC, "keys", record, &r, &err), &err);
    for (int i = 0; i < 40; i++)
        publish(site, "case.opened", i + 1, NULL);
    CHECK(count(site, "SELECT count(DISTINCT idempotency_key) FROM outbox") == 40);
    json_t *keys = NULL;
    CHECK_OK(fr_store_query_json(site->store, &err, &keys,
                                 "SELECT idempotency_key AS k FROM outbox ORDER BY id", NULL),
             &err);
    size_t i;
    json_t *row;
    int hex = 0, in_order = 0;
    const char *prev = "";
    json_array_foreach(keys, i, row)
    {
        const char *k = json_string_value(json_object_get(row, "k"));
        hex += k && strlen(k) == 32 && strspn(k, "0123456789abcdef") == 32;
        /* the first 12 digits are the creation time: they never go back */
        in_order += k && strncmp(prev, k, 12) <= 0;
        prev = k ? k : "";
    }
    CHECK(hex == 40 && in_order == 40);
    json_decref(keys);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 40);
    char *key = NULL;
    CHECK_OK(fr_store_query_text(site->store, &err, &key,
                                 "SELECT idempotency_key FROM outbox WHERE id = ?", "I", r.ids[7]),
             &err);
    CHECK_STR(r.keys[7], key);
    free(key);
    fr_site_close(site);
}

static void a_new_subscriber_gets_no_history_but_misses_nothing_later(void)
{
    fr_site *site = open_new_site("history", NULL);
    fr_error err = {0};
    recorder r = {0};
    int64_t old = publish(site, "case.opened", 1, NULL);
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_ASYNC, "late", record, &r, &err), &err);
    CHECK(count(site, "SELECT since_event FROM bus_subscribers WHERE name = 'test:late'") == old);
    int64_t fresh = publish(site, "case.opened", 1, NULL);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 1 && r.ids[0] == fresh);

    /* While the subscriber is not registered (its plugin disabled, the
     * program stopped), its events wait for it. */
    site = reopen(site);
    int64_t while_away = publish(site, "case.closed", 1, NULL);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    json_t *list = NULL;
    CHECK_OK(fr_bus_list(site, "pending", 0, &list, &err), &err);
    CHECK(json_array_size(list) == 1);
    json_decref(list);
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_ASYNC, "late", record, &r, &err), &err);
    CHECK(count(site, "SELECT since_event FROM bus_subscribers WHERE name = 'test:late'") == old);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 2 && r.ids[1] == while_away);
    fr_site_close(site);
}

/* A pass starts at the subscriber's watermark (settled_through): every event
 * up to it is settled (another topic, done, parked as failed), so a pass
 * does not re-read the site's whole history. It stops at an event still
 * owed; a retried delivery below it is read through its row. */
static int64_t watermark(fr_site *site, const char *name)
{
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_query_int(site->store, &err, &n,
                                "SELECT settled_through FROM bus_subscribers WHERE name = ?", "t",
                                name),
             &err);
    return n;
}

static void a_pass_starts_after_what_is_settled(void)
{
    set_now(T0);
    fr_site *site = open_new_site("watermark", "<setting name=\"bus.max-attempts\">2</setting>");
    fr_error err = {0};
    recorder r = {.failing = 1, .fail_case = 7};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "case.*", FR_ASYNC, "mark", record, &r, &err),
             &err);
    CHECK(watermark(site, "test:mark") == 0);
    /* Other topics only, more than a page of them: settled without a call. */
    int64_t other = 0;
    for (int i = 0; i < 300; i++)
        other = publish(site, "task.due", 1, NULL);
    int64_t mine = publish(site, "case.opened", 1, NULL);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 1 && r.ids[0] == mine && mine > other);
    CHECK(watermark(site, "test:mark") == mine);

    /* A delivery to retry holds the watermark before it; later events of
     * other cases are delivered all the same. */
    int64_t e1 = publish(site, "case.opened", 7, NULL);
    int64_t e2 = publish(site, "case.opened", 8, NULL);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 3 && r.ids[1] == e1 && r.ids[2] == e2);
    CHECK(watermark(site, "test:mark") == e1 - 1);

    /* Parked as failed, it is settled: the watermark passes it, and the
     * case's next event waits behind it (the watermark stops there). */
    set_now("2026-11-23T10:00:02Z");
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 4 && count(site, "SELECT count(*) FROM bus_deliveries WHERE status = "
                                      "'failed'") == 1);
    int64_t e3 = publish(site, "case.closed", 7, NULL);
    int64_t e4 = publish(site, "case.closed", 8, NULL);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 5 && r.ids[4] == e4);
    CHECK(watermark(site, "test:mark") == e2);

    /* e2, delivered above the watermark, had a row until the watermark
     * passed it; no longer. */
    CHECK(count_id(site, "SELECT count(*) FROM bus_deliveries WHERE event_id = ?", e2) == 0);

    /* Retried, it is owed again: the watermark stays (e2, delivered after
     * e1, has no row to say so), the next pass delivers e1 through its row,
     * then the event that waited behind it, and nothing else. */
    int n = 0;
    r.failing = 0;
    CHECK_OK(fr_bus_retry(site, e1, "test:mark", &n, &err), &err);
    CHECK(n == 1 && watermark(site, "test:mark") == e2);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 7 && r.ids[5] == e1 && r.ids[6] == e3);
    CHECK(watermark(site, "test:mark") == e3); /* e4 was done before */
    /* A retried delivery keeps its row; e4's goes when the watermark
     * passes it. */
    CHECK(count_id(site,
                   "SELECT count(*) FROM bus_deliveries WHERE event_id = ? AND status = 'done'",
                   e1) == 1);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 7);

    /* Other topics only, no delivery to record: the watermark is written
     * for each full page of them (256), not for less (no commit per pass). */
    int64_t first = publish(site, "task.due", 1, NULL);
    for (int i = 1; i < 300; i++)
        publish(site, "task.due", 1, NULL);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 7);
    CHECK(watermark(site, "test:mark") == first + 255);
    fr_site_close(site);
    set_now(NULL);
}

static int die(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)ev;
    (void)userdata;
    (void)err;
    _exit(42); /* the process dies after the call, before the record */
}

static void delivery_is_at_least_once(void)
{
    fr_site *site = open_new_site("atleastonce", NULL);
    fr_error err = {0};
    recorder r = {.failing = 1};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_ASYNC, "durable", record, &r, &err), &err);
    int64_t id = publish(site, "case.opened", 9, NULL);

    /* A subscriber whose side effect happened but whose call failed gets the
     * same event (same key) again: it must be idempotent. */
    set_now(T0);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    r.failing = 0;
    set_now("2026-11-23T11:00:00Z");
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.side_effects == 2 && r.ids[0] == id && r.ids[1] == id);
    CHECK_STR(r.keys[0], r.keys[1]);
    set_now(NULL);

    /* A process that dies inside the call has recorded nothing: the next
     * process delivers the event again. */
    int64_t id2 = publish(site, "case.closed", 9, NULL);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", site->dir);
    fr_site_close(site);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fr_site *child = NULL;
        fr_error cerr = {0};
        if (fr_site_open(dir, NULL, &child, &cerr) != 0 ||
            fr_bus_add_subscriber(child, "test", "*", FR_ASYNC, "durable", die, NULL, &cerr) != 0)
            _exit(1);
        fr_bus_deliver(child, NULL, &cerr);
        _exit(2); /* not reached when the subscriber was called */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
    site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (!site)
        return;
    recorder again = {0};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_ASYNC, "durable", record, &again, &err),
             &err);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(again.calls == 1 && again.ids[0] == id2);
    fr_site_close(site);
}

static int slow_count(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)ev;
    (void)err;
    (*(int *)userdata)++;
    usleep(2000); /* let the other process come in meanwhile */
    return 0;
}

/* Migration core-011: the rows of deliveries made at the first attempt
 * that the watermark had passed go; the others stay (several attempts,
 * parked, above the watermark). */
static void rows_the_watermark_says_are_removed(void)
{
    fr_site *site = open_new_site("core011", NULL);
    fr_error err = {0};
    recorder r = {0};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_ASYNC, "keep", record, &r, &err), &err);
    int64_t e1 = publish(site, "case.opened", 1, NULL);
    int64_t e2 = publish(site, "case.opened", 2, NULL);
    int64_t e3 = publish(site, "case.opened", 3, NULL);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(r.calls == 3 && watermark(site, "test:keep") == e3);
    int64_t e4 = publish(site, "case.opened", 4, NULL);
    /* As the code before core-011 left them. */
    const char *rows[][2] = {{"done", "1"}, {"done", "3"}, {"failed", "5"}, {"done", "1"}};
    int64_t ids[] = {e1, e2, e3, e4};
    CHECK_OK(fr_store_begin(site->store, &err), &err);
    for (int i = 0; i < 4; i++)
        CHECK_OK(
            fr_store_execf(site->store, &err,
                           "INSERT INTO bus_deliveries (subscriber, event_id, status, attempts,"
                           " updated_at) VALUES ('test:keep', ?, ?, ?, '2026-11-23T10:00:00Z')",
                           "Itt", ids[i], rows[i][0], rows[i][1]),
            &err);
    /* (and before core-012 to core-014, which came after it) */
    CHECK_OK(fr_store_exec(site->store,
                           "ALTER TABLE tasks DROP COLUMN title_ref;"
                           " ALTER TABLE transitions DROP COLUMN migration;"
                           " ALTER TABLE case_notes DROP COLUMN contact_on",
                           &err),
             &err);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "DELETE FROM schema_migrations WHERE owner = 'core' AND version >= ?",
                            "i", 11),
             &err);
    CHECK_OK(fr_store_commit(site->store, &err), &err);
    site = reopen(site);
    if (!site)
        return;
    CHECK(count(site, "SELECT count(*) FROM schema_migrations WHERE owner = 'core' AND"
                      " version = 11") == 1);
    for (int i = 0; i < 4; i++)
        CHECK(count_id(site, "SELECT count(*) FROM bus_deliveries WHERE event_id = ?", ids[i]) ==
              (i == 0 ? 0 : 1));
    fr_site_close(site);
}

/* Outbox event o was delivered to test:shared: a row says so, or the
 * watermark passed it and no row says otherwise (core/bus.c, record_page). */
#define DELIVERED_TO_SHARED                                                                        \
    "(EXISTS (SELECT 1 FROM bus_deliveries d WHERE d.event_id = o.id AND d.subscriber ="           \
    " 'test:shared' AND d.status = 'done') OR (o.id <= (SELECT settled_through FROM"               \
    " bus_subscribers WHERE name = 'test:shared') AND NOT EXISTS (SELECT 1 FROM bus_deliveries d"  \
    " WHERE d.event_id = o.id AND d.subscriber = 'test:shared')))"

/* Two processes deliver at once: each event reaches the subscriber once
 * (PostgreSQL: one process at a time holds the subscriber's lock; SQLite
 * sites are served by one process, and promise at least once). */
static void two_processes_deliver_each_event_once(void)
{
    enum { EVENTS = 60, WORKERS = 2 };
    fr_site *site = open_new_site("twodeliver", NULL);
    fr_error err = {0};
    int calls = 0;
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_ASYNC, "shared", slow_count, &calls,
                                   &err),
             &err);
    for (int i = 0; i < EVENTS; i++)
        publish(site, "case.opened", i + 1, NULL);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", site->dir);
    fr_site_close(site);
    fflush(NULL);
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            fr_site *child = NULL;
            fr_error cerr = {0};
            int n = 0;
            if (fr_site_open(dir, NULL, &child, &cerr) != 0 ||
                fr_bus_add_subscriber(child, "test", "*", FR_ASYNC, "shared", slow_count, &n,
                                      &cerr) != 0)
                _exit(255);
            /* Passes until nothing is left (the other may hold the lock). */
            for (int pass = 0; pass < 200; pass++) {
                fr_bus_stats st = {0};
                if (fr_bus_deliver(child, &st, &cerr) != 0)
                    _exit(254);
                int64_t left = -1;
                fr_store_query_int(child->store, &cerr, &left,
                                   "SELECT count(*) FROM outbox o WHERE NOT " DELIVERED_TO_SHARED,
                                   NULL);
                if (left == 0)
                    break;
                usleep(10000);
            }
            fr_site_close(child);
            _exit(n);
        }
    }
    int total = 0;
    for (int w = 0; w < WORKERS; w++) {
        int status = 0;
        CHECK(waitpid(pids[w], &status, 0) == pids[w]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) < 250);
        total += WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    }
    if (test_on_pg())
        CHECK(total == EVENTS);
    else
        CHECK(total >= EVENTS);
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (site)
        CHECK(count(site, "SELECT count(*) FROM outbox o WHERE " DELIVERED_TO_SHARED) == EVENTS);
    fr_site_close(site);
}

static int remove_test_owner(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)ev;
    (void)err;
    fr_bus_remove_owner(userdata, "test");
    return 0;
}

static void removing_an_owner_during_dispatch_is_safe(void)
{
    fr_site *site = open_new_site("remove", NULL);
    fr_error err = {0};
    recorder before = {0}, other = {0}, removed = {0};
    CHECK_OK(fr_bus_add_subscriber(site, "other", "*", FR_SYNC, "first", record, &before, &err),
             &err);
    CHECK_OK(
        fr_bus_add_subscriber(site, "test", "*", FR_SYNC, "remover", remove_test_owner, site, &err),
        &err);
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_SYNC, "next", record, &removed, &err),
             &err);
    CHECK_OK(fr_bus_add_subscriber(site, "other", "*", FR_SYNC, "last", record, &other, &err),
             &err);
    publish(site, "case.opened", 1, NULL);
    CHECK(before.calls == 1 && other.calls == 1);
    CHECK(removed.calls == 0);
    publish(site, "case.opened", 1, NULL);
    CHECK(before.calls == 2 && other.calls == 2 && removed.calls == 0);
    /* The name is free again. */
    CHECK_OK(fr_bus_add_subscriber(site, "test", "*", FR_SYNC, "next", record, &removed, &err),
             &err);
    fr_site_close(site);
}

TEST_MAIN({"two_processes_deliver_each_event_once", two_processes_deliver_each_event_once},
          {"topics_match_exact_prefix_and_star", topics_match_exact_prefix_and_star},
          {"publishing_needs_a_transaction_and_a_json_object",
           publishing_needs_a_transaction_and_a_json_object},
          {"a_sync_veto_leaves_nothing_behind", a_sync_veto_leaves_nothing_behind},
          {"events_from_sync_subscribers_join_the_transaction",
           events_from_sync_subscribers_join_the_transaction},
          {"async_delivery_in_order_once", async_delivery_in_order_once},
          {"retries_back_off_then_park_as_failed", retries_back_off_then_park_as_failed},
          {"a_failing_event_holds_back_its_case_only", a_failing_event_holds_back_its_case_only},
          {"every_event_has_its_own_idempotency_key", every_event_has_its_own_idempotency_key},
          {"a_new_subscriber_gets_no_history_but_misses_nothing_later",
           a_new_subscriber_gets_no_history_but_misses_nothing_later},
          {"a_pass_starts_after_what_is_settled", a_pass_starts_after_what_is_settled},
          {"rows_the_watermark_says_are_removed", rows_the_watermark_says_are_removed},
          {"delivery_is_at_least_once", delivery_is_at_least_once},
          {"removing_an_owner_during_dispatch_is_safe", removing_an_owner_during_dispatch_is_safe})
