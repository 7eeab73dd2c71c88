/* Filrouge SDK: the event bus.
 *
 * Topics are dotted names (`case.opened`, `case.transitioned`, `task.overdue`).
 * A subscription names an exact topic or a prefix pattern ending in `.*`
 * (`case.*`), or `*` for everything.
 *
 * Synchronous subscribers run inside the transaction that produced the
 * event; returning an error vetoes it, and the message reaches the user.
 * Asynchronous subscribers are fed after commit from a durable outbox, at
 * least once, in order per case, retried with backoff; they must be
 * idempotent (fr_event_key gives a key unique to the event).
 */
#ifndef FILROUGE_BUS_H
#define FILROUGE_BUS_H

#include <stdint.h>

#include "error.h"

typedef struct fr_event fr_event;
typedef struct fr_plugin_ctx fr_plugin_ctx;

typedef enum fr_delivery { FR_SYNC = 1, FR_ASYNC = 2 } fr_delivery;

/* Return 0 to accept; a negative code with err filled to veto (sync) or to
 * ask for a retry (async). */
typedef int (*fr_subscriber_fn)(const fr_event *ev, void *userdata, fr_error *err);

/* Accessors: the event and its strings are borrowed for the call only. */
/* The event's outbox id. A synchronous subscriber sees the id of a row not
 * yet committed: it disappears if the transaction is rolled back. */
FR_API int64_t fr_event_id(const fr_event *ev);
FR_API const char *fr_event_topic(const fr_event *ev);
FR_API int64_t fr_event_case(const fr_event *ev);       /* 0 when not about a case */
FR_API const char *fr_event_payload(const fr_event *ev); /* a JSON object */
FR_API const char *fr_event_key(const fr_event *ev);    /* idempotency key */

/* Subscribes for the plugin. `name` is stable across restarts (deliveries
 * are tracked by it) and unique within the plugin. The kernel owns the
 * registration and removes it when the plugin is disabled. */
FR_API int fr_bus_subscribe(fr_plugin_ctx *ctx, const char *pattern, fr_delivery mode,
                            const char *name, fr_subscriber_fn fn, void *userdata,
                            fr_error *err);

/* Emits an event from inside a subscriber or a guard: it joins the current
 * transaction. payload_json may be NULL (an empty object). */
FR_API int fr_bus_emit(fr_plugin_ctx *ctx, const char *topic, int64_t case_id,
                       const char *payload_json, fr_error *err);

#endif
