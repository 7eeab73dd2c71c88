/* The event bus (kernel side of sdk/include/filrouge/bus.h).
 *
 * fr_bus_publish writes the event to the outbox inside the caller's
 * transaction and runs the synchronous subscribers there; a veto makes it
 * return FR_EVETO and the caller rolls back, so nothing of the operation
 * remains. fr_bus_deliver feeds asynchronous subscribers after commit: at
 * least once, in order per case, retried with exponential backoff up to
 * `max_attempts`, then parked as failed for the administrator. */
#ifndef FR_BUS_H
#define FR_BUS_H

#include <jansson.h>
#include <stdint.h>

#include <filrouge/bus.h>

#include "site.h"

int fr_bus_new(fr_site *site, fr_error *err);
void fr_bus_free(fr_site *site);

/* Registers a subscriber owned by `owner` ("core", a plugin id, "python").
 * Names of asynchronous subscribers are stored (bus_subscribers) and must be
 * stable; the full name is "owner:name". */
int fr_bus_add_subscriber(fr_site *site, const char *owner, const char *pattern,
                          fr_delivery mode, const char *name, fr_subscriber_fn fn,
                          void *userdata, fr_error *err);
/* Removes every subscriber of `owner` (plugin disabled). Safe during dispatch. */
void fr_bus_remove_owner(fr_site *site, const char *owner);

/* Must run inside a transaction (FR_EINTERNAL otherwise). payload_json
 * NULL means "{}"; anything but a JSON object is FR_EINVAL. Writes the outbox
 * row (stored as compact JSON, with a fresh 32-hex-digit idempotency key),
 * then runs the matching synchronous subscribers in registration order with
 * fr_event_id = the new row's id. The first refusal returns FR_EVETO, "refused
 * by owner:name: their message"; the event and what its subscribers wrote
 * are undone (publish runs in its own savepoint) and the caller should roll
 * back. Events published by synchronous subscribers nest in the same
 * transaction, at most 8 deep (deeper: FR_EREFUSED). */
int fr_bus_publish(fr_site *site, const char *topic, int64_t case_id, const char *payload_json,
                   fr_error *err);
/* The same for the kernel's own events, whose payload is a JSON object as
 * json_dumps(…, JSON_COMPACT) writes it (NULL: "{}"): stored as it is, not
 * parsed and written again (that is what fr_bus_publish does with text
 * from elsewhere: plugins, hooks). */
int fr_bus_publish_compact(fr_site *site, const char *topic, int64_t case_id, const char *text,
                           fr_error *err);

typedef struct fr_bus_stats {
    int delivered;
    int retried;
    int failed;
} fr_bus_stats;

/* One delivery pass over the outbox for every registered asynchronous
 * subscriber; must run outside a transaction. A subscriber receives the
 * events after its since_event that match its pattern and have no 'done' or
 * 'failed' delivery, in id order; an event of a case whose earlier event is
 * waiting for a retry or parked as failed waits too (other cases go on). The
 * subscriber is called outside any transaction, then the outcomes of a page
 * of events (up to 256) are recorded together in one transaction (at least
 * once: a crash before it means the page's events come again): done, or retry with next_at = now + 2^attempts seconds
 * (at most 3600), or failed after fr_bus_max_attempts attempts, logged.
 * Subscribers of owners not loaded now are not attempted: their events
 * wait. */
int fr_bus_deliver(fr_site *site, fr_bus_stats *stats, fr_error *err);

/* Puts failed deliveries back in the queue, due now, with their attempts
 * counted from zero again: one (event_id, subscriber), every failed delivery
 * of event_id when subscriber is NULL, or all when event_id is 0. *count
 * receives how many (FR_ENOTFOUND for a given event with none). Audited
 * (action "retry", object "delivery"). */
int fr_bus_retry(fr_site *site, int64_t event_id, const char *subscriber, int *count,
                 fr_error *err);

/* Events of the outbox with their deliveries, newest first. which:
 * "failed" (at least one delivery parked as failed), "pending" (a delivery
 * still owed), NULL (all). A JSON array of {id, topic, case_id, payload,
 * created_at, deliveries: [{subscriber, status, attempts, last_error,
 * next_at}]}. A subscriber known to the site (bus_subscribers) that owes
 * the event but has not tried it yet is listed with status "pending".
 * limit <= 0: no limit. */
int fr_bus_list(fr_site *site, const char *which, int limit, json_t **out, fr_error *err);

/* True when `topic` matches `pattern` ("case.*", "*", exact). */
int fr_bus_match(const char *pattern, const char *topic);

/* Maximum attempts before an asynchronous delivery is parked as failed
 * (site setting bus.max-attempts, default 5). */
int fr_bus_max_attempts(const fr_site *site);

#endif
