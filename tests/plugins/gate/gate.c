/* Test plugin "gate": a workflow whose "approve" needs the C guard
 * gate-ready (the case has a "reviewed" date), a synchronous subscriber
 * that vetoes every transition into "blocked", and an asynchronous
 * subscriber that fails while the site setting notify is "broken", and a
 * review task (cancelled when the setting review is "none"). Built
 * like a third party's plugin: only <filrouge/...> headers. */
#include <stdlib.h>
#include <string.h>

#include <filrouge/filrouge.h>

static int no_blocking(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)userdata;
    if (strstr(fr_event_payload(ev), "\"to\":\"blocked\""))
        return fr_error_set(err, FR_EREFUSED, "cases are never blocked on this site");
    return 0;
}

static int notify(const fr_event *ev, void *userdata, fr_error *err)
{
    fr_plugin_ctx *ctx = userdata;
    const char *mode = fr_plugin_setting(ctx, "notify");
    if (mode && strcmp(mode, "broken") == 0)
        return fr_error_set(err, FR_EIO, "the notification service is unreachable");
    fr_plugin_log(ctx, "notified event %lld (%s)", (long long)fr_event_id(ev), fr_event_topic(ev));
    return 0;
}

static int ready(const fr_guard_call *call, void *userdata, int *allowed, fr_error *err)
{
    (void)userdata;
    *allowed = call->case_xml && strstr(call->case_xml, "name=\"reviewed\"") != NULL;
    if (!*allowed)
        fr_error_set(err, 0, "no review date");
    return 0;
}

/* The plugin's rules: every new case starts at level 2 of the pyramid. */
static int suggest_level(const fr_event *ev, void *userdata, fr_error *err)
{
    return fr_case_suggest_level(userdata, fr_event_case(ev), 2, err);
}

/* When a review starts, a task for the case manager — cancelled at once,
 * with a reason, on a site whose setting review is "none" (SDK 1.1). */
static int review_task(const fr_event *ev, void *userdata, fr_error *err)
{
    int64_t id = 0;
    int rc = fr_case_add_task(userdata, fr_event_case(ev), "Relire le dossier", NULL, &id, err);
    const char *review = fr_plugin_setting(userdata, "review");
    if (rc || !review || strcmp(review, "none") != 0)
        return rc;
    if (fr_case_cancel_task(userdata, id, "", err) != FR_EINVAL)
        return fr_error_set(err, FR_EINVAL, "a cancellation without a reason was accepted");
    fr_error_clear(err);
    return fr_case_cancel_task(userdata, id, "pas de relecture sur ce site", err);
}

static int init(fr_plugin_ctx *ctx, fr_error *err)
{
    int rc = fr_bus_subscribe(ctx, "case.transitioned", FR_SYNC, "no-blocking", no_blocking, NULL,
                              err);
    if (!rc)
        rc = fr_bus_subscribe(ctx, "case.*", FR_ASYNC, "notify", notify, ctx, err);
    if (!rc)
        rc = fr_workflow_register_guard(ctx, "gate-ready", ready, NULL, err);
    if (!rc)
        rc = fr_bus_subscribe(ctx, "case.opened", FR_SYNC, "suggest-level", suggest_level, ctx,
                              err);
    if (!rc)
        rc = fr_bus_subscribe(ctx, "gate.review-started", FR_ASYNC, "review-task", review_task,
                              ctx, err);
    return rc;
}

FR_PLUGIN("gate", "1.0.0", init, NULL);
