/* Test plugin "crashinit": its init registers a subscriber that would veto
 * everything, then fails; the kernel must report init's message and remove
 * what it registered, and the site must open without it. */
#include <filrouge/filrouge.h>

static int refuse_all(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)userdata;
    return fr_error_set(err, FR_EREFUSED, "crashinit refuses %s", fr_event_topic(ev));
}

static int init(fr_plugin_ctx *ctx, fr_error *err)
{
    int rc = fr_bus_subscribe(ctx, "*", FR_SYNC, "early", refuse_all, NULL, err);
    if (rc)
        return rc;
    return fr_error_set(err, FR_EINVAL,
                        "crashinit cannot start: the setting 'endpoint' is missing");
}

FR_PLUGIN("crashinit", "1.0.0", init, NULL);
