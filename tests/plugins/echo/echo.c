/* Test plugin "echo": a synchronous subscriber that vetoes events whose
 * payload says "veto":true, a synchronous one that keeps re-emitting loop.*
 * events (to hit the nesting limit), an asynchronous one that records every
 * case.* event in its own table and fails the first N calls when the site
 * setting fail-first says so, a synchronous one that refuses echo.today
 * saying what fr_plugin_today answered, and a workflow guard. Built like a
 * third party's plugin: only <filrouge/...> headers. */
#include <stdlib.h>
#include <string.h>

#include <filrouge/filrouge.h>

typedef struct echo {
    fr_plugin_ctx *ctx;
    int fail_left;
    struct echo *next;
} echo;

/* One state per site that loaded the library (tests open several). */
static echo *states;

static int veto(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)userdata;
    /* The kernel stores payloads as compact JSON. */
    if (strstr(fr_event_payload(ev), "\"veto\":true"))
        return fr_error_set(err, FR_EREFUSED, "echo refuses %s: the payload asks for a veto",
                            fr_event_topic(ev));
    return 0;
}

static int loop(const fr_event *ev, void *userdata, fr_error *err)
{
    echo *e = userdata;
    return fr_bus_emit(e->ctx, "loop.again", fr_event_case(ev), NULL, err);
}

static int record(const fr_event *ev, void *userdata, fr_error *err)
{
    echo *e = userdata;
    /* The side effect first, then maybe fail: the event comes again and the
     * row (keyed by the idempotency key) counts the calls. */
    int rc = fr_plugin_exec(e->ctx, err,
                            "INSERT INTO echo_deliveries (key, event_id, topic, case_id, calls) "
                            "VALUES (?, ?, ?, ?, 1) ON CONFLICT (key) DO UPDATE SET calls = "
                            "echo_deliveries.calls + 1",
                            "tItI", fr_event_key(ev), fr_event_id(ev), fr_event_topic(ev),
                            fr_event_case(ev));
    if (rc)
        return rc;
    if (e->fail_left > 0) {
        e->fail_left--;
        return fr_error_set(err, FR_EIO, "echo was told to fail (%d more times)", e->fail_left);
    }
    return fr_bus_emit(e->ctx, "echo.recorded", 0, "{\"from\":\"echo\"}", err);
}

/* Always refuses, so that the test reads the plugin's answer in the veto:
 * "today is DATE, weekday N", or fr_plugin_today's error. The date alone,
 * the weekday alone and both at once must agree. */
static int today(const fr_event *ev, void *userdata, fr_error *err)
{
    echo *e = userdata;
    (void)ev;
    char date[FR_DATE_SIZE], alone[FR_DATE_SIZE];
    int weekday = -1, weekday_alone = -1;
    int rc = fr_plugin_today(e->ctx, date, &weekday, err);
    if (!rc)
        rc = fr_plugin_today(e->ctx, alone, NULL, err);
    if (!rc)
        rc = fr_plugin_today(e->ctx, NULL, &weekday_alone, err);
    if (rc)
        return rc;
    if (strcmp(date, alone) != 0 || weekday != weekday_alone)
        return fr_error_set(err, FR_EINTERNAL, "today is %s or %s, weekday %d or %d", date, alone,
                            weekday, weekday_alone);
    return fr_error_set(err, FR_EREFUSED, "today is %s, weekday %d", date, weekday);
}

static int guard(const fr_guard_call *call, void *userdata, int *allowed, fr_error *err)
{
    (void)userdata;
    *allowed = !(call->case_xml && strstr(call->case_xml, "deny"));
    if (!*allowed)
        fr_error_set(err, 0, "echo's guard says no");
    return 0;
}

static int init(fr_plugin_ctx *ctx, fr_error *err)
{
    echo *e = calloc(1, sizeof *e);
    if (!e)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    e->ctx = ctx;
    const char *fail = fr_plugin_setting(ctx, "fail-first");
    e->fail_left = fail ? atoi(fail) : 0;
    int rc = fr_plugin_add_migration(
        ctx, 2, "CREATE INDEX echo_deliveries_by_case ON echo_deliveries (case_id);", err);
    if (!rc)
        rc = fr_bus_subscribe(ctx, "*", FR_SYNC, "veto", veto, e, err);
    if (!rc)
        rc = fr_bus_subscribe(ctx, "loop.*", FR_SYNC, "loop", loop, e, err);
    if (!rc)
        rc = fr_bus_subscribe(ctx, "case.*", FR_ASYNC, "record", record, e, err);
    if (!rc)
        rc = fr_bus_subscribe(ctx, "echo.today", FR_SYNC, "today", today, e, err);
    if (!rc)
        rc = fr_workflow_register_guard(ctx, "echo-allow", guard, e, err);
    if (rc) {
        free(e);
        return rc;
    }
    e->next = states;
    states = e;
    fr_plugin_log(ctx, "echo started (fail-first %d)", e->fail_left);
    return 0;
}

static void fini(fr_plugin_ctx *ctx)
{
    for (echo **p = &states; *p; p = &(*p)->next)
        if ((*p)->ctx == ctx) {
            echo *e = *p;
            *p = e->next;
            free(e);
            return;
        }
}

FR_PLUGIN("echo", "1.2.0", init, fini);
