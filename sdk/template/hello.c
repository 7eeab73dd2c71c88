/* A minimal Filrouge plugin: an asynchronous subscriber that notes every
 * new case in the plugin's own table, and a synchronous one that refuses
 * to open a case whose payload is malformed (a veto, shown to the user).
 * It includes only <filrouge/filrouge.h>. */
#include <string.h>

#include <filrouge/filrouge.h>

/* Asynchronous: after commit, at least once. The event's key makes the
 * insert idempotent when the event comes again after a crash. The day is
 * the kernel's (fr_plugin_today: the site's time zone, or FILROUGE_NOW),
 * not the database's clock nor time(NULL)'s. */
static int note_case(const fr_event *ev, void *userdata, fr_error *err)
{
    fr_plugin_ctx *ctx = userdata;
    char today[FR_DATE_SIZE];
    int rc = fr_plugin_today(ctx, today, NULL, err);
    if (rc == 0)
        rc = fr_plugin_exec(ctx, err,
                            "INSERT INTO hello_seen (event_key, case_id, seen_on)"
                            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                            "tIt", fr_event_key(ev), fr_event_case(ev), today);
    if (rc == 0)
        fr_plugin_log(ctx, "hello saw case %lld opened", (long long)fr_event_case(ev));
    return rc;
}

/* Synchronous: inside the transaction; an error vetoes it. */
static int check_case(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)userdata;
    if (fr_event_case(ev) <= 0)
        return fr_error_set(err, FR_EINVAL, "hello: a case event without a case");
    return 0;
}

static int init(fr_plugin_ctx *ctx, fr_error *err)
{
    int rc = fr_bus_subscribe(ctx, "case.opened", FR_ASYNC, "note-case", note_case, ctx, err);
    if (rc == 0)
        rc = fr_bus_subscribe(ctx, "case.opened", FR_SYNC, "check-case", check_case, ctx, err);
    return rc;
}

FR_PLUGIN("hello", "1.0.0", init, NULL);
