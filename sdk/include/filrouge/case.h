/* Filrouge SDK: acting on a case from a plugin's rules.
 *
 * These run as the plugin (audited under "plugin:<id>") and join the
 * current transaction when called from a subscriber or a guard's caller;
 * outside one they run in a transaction of their own.
 */
#ifndef FILROUGE_CASE_H
#define FILROUGE_CASE_H

#include <stdint.h>

#include "error.h"

typedef struct fr_plugin_ctx fr_plugin_ctx;

/* Suggests the case's level on the Kaiser Permanente pyramid (1 self-care
 * support, 2 assisted care management, 3 intensive case management), from
 * the plugin's complexity rules. It becomes the case's level unless the
 * case manager chose one (with a reason). */
FR_API int fr_case_suggest_level(fr_plugin_ctx *ctx, int64_t case_id, int level, fr_error *err);

/* Adds a task to a case (origin "plugin"), assigned to its case manager,
 * due on `due_on` (YYYY-MM-DD, or NULL for no date). *task_id may be NULL. */
FR_API int fr_case_add_task(fr_plugin_ctx *ctx, int64_t case_id, const char *title,
                            const char *due_on, int64_t *task_id, fr_error *err);

/* Cancels an open task of a case (one the plugin created, or any other the
 * plugin's rules make pointless: an appointment no longer needed), with a
 * reason, which is required and kept in the audit trail and in the
 * task.cancelled event. A task already done or cancelled is FR_ECONFLICT.
 * Since symbol version FILROUGE_1.1 (Filrouge 0.1.0). */
FR_API int fr_case_cancel_task(fr_plugin_ctx *ctx, int64_t task_id, const char *reason,
                               fr_error *err);

#endif
