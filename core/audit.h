/* The audit trail: who did what to which object, when. Append-only (the
 * database refuses updates and deletes) and chained: each entry carries the
 * hash of the previous one, so that a changed or removed entry is found by
 * fr_audit_verify. Writes happen inside the caller's transaction, so an
 * entry exists exactly when the change it describes does. */
#ifndef FR_AUDIT_H
#define FR_AUDIT_H

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

/* Appends one entry in a transaction of its own (joining the current one
 * when there is one): for reads, which change nothing else, and for
 * refusals, which must be kept although the operation is not done. */
int fr_audit_alone(fr_store *s, const char *actor, const char *action, const char *object_type,
                   const char *object_id, const char *detail, fr_error *err);

typedef struct fr_audit_report {
    int64_t entries;     /* entries checked */
    int64_t first_bad;   /* id of the first entry where the chain breaks, 0 if none */
    char reason[256];
} fr_audit_report;

/* Recomputes the chain from the first entry. Returns 0 and fills report;
 * report->first_bad != 0 means tampering or damage. */
int fr_audit_verify(fr_store *s, fr_audit_report *report, fr_error *err);

#endif
