/* The audit trail: who did what to which object, when. Append-only (the
 * database refuses updates and deletes) and chained: each entry carries the
 * hash of the previous one, so that a changed or removed entry is found by
 * fr_audit_verify. Writes happen inside the caller's transaction, so an
 * entry exists exactly when the change it describes does. */
#ifndef FR_AUDIT_H
#define FR_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include <filrouge/error.h>

#include "store.h"

/* action: "create", "read", "update", "delete", "break-glass", "enable", …
 * detail: a JSON object (NULL: "{}"), never a secret. */
int fr_audit_append(fr_store *s, const char *actor, const char *action, const char *object_type,
                    const char *object_id, const char *detail, fr_error *err);

/* Convenience for integer ids. */
int fr_audit_appendi(fr_store *s, const char *actor, const char *action, const char *object_type,
                     int64_t object_id, const char *detail, fr_error *err);

/* The same with the detail as JSON (a new reference, taken and released;
 * NULL: "{}"), so that callers need not format it. */
int fr_audit_appendj(fr_store *s, const char *actor, const char *action, const char *object_type,
                     int64_t object_id, json_t *detail, fr_error *err);

/* Appends one entry in a transaction of its own (joining the current one
 * when there is one): for reads, which change nothing else, and for
 * refusals, which must be kept although the operation is not done. In a
 * transaction of its own it goes through on a full disk as long as the
 * store's reserve lasts, while other writes are refused (store.h, "A full
 * disk"); fr_audit_batch_write likewise. */
int fr_audit_alone(fr_store *s, const char *actor, const char *action, const char *object_type,
                   const char *object_id, const char *detail, fr_error *err);

/* Runs body (which appends audit entries, and at most a small access record
 * that a read needs: a session at login, a break-glass grant) in a
 * transaction of its own, or the caller's: on a full disk, an outermost one
 * uses the store's reserve and tries once more (store.h, "A full disk").
 * Never for clinical changes: those are refused while the disk is full. */
int fr_audit_transaction(fr_store *s, int (*body)(fr_store *, const void *, fr_error *),
                         const void *arg, fr_error *err);

/* ---- deferred entries: many reads, one durable transaction ----
 *
 * A server thread may collect the entries that fr_audit_alone would write
 * outside a transaction (reads, refusals) instead of committing each on its
 * own (an fsync each), and have them written later, many requests together,
 * by one transaction (the web server's committer, core/server/commit.c).
 * The collector's owner must not show what was read before
 * fr_audit_batch_write's transaction is durable. Within one collection,
 * reads by the same actor become ONE entry: the first object read is the
 * entry's object and the others are listed in its detail under "also"
 * ([{object_type, object_id, detail?}]); an identical entry is kept once. */
typedef struct fr_audit_entry {
    char *actor, *action, *object_type, *object_id;
    json_t *detail; /* an object */
} fr_audit_entry;

typedef struct fr_audit_batch {
    fr_audit_entry *v;
    int n, cap;
} fr_audit_batch;

/* From now on, on this thread, fr_audit_alone outside a transaction adds
 * its entry to `b` (NULL: writes again). Threads that never call this (the
 * CLI, the kernel's own callers) are not affected. */
void fr_audit_collect(fr_audit_batch *b);
/* Appends the collected entries (inside the caller's transaction, or one
 * of their own). */
int fr_audit_batch_write(fr_store *s, const fr_audit_batch *b, fr_error *err);
void fr_audit_batch_free(fr_audit_batch *b);

typedef struct fr_audit_report {
    int64_t entries;     /* entries checked */
    int64_t first_bad;   /* id of the first entry where the chain breaks, 0 if none */
    char reason[256];
} fr_audit_report;

/* Recomputes the chain from the first entry. Returns 0 and fills report;
 * report->first_bad != 0 means tampering or damage. */
int fr_audit_verify(fr_store *s, fr_audit_report *report, fr_error *err);

#endif
