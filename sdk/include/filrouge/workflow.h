/* Filrouge SDK: named workflow guards.
 *
 * A transition in a workflow definition may carry `guard-ref="name"`; the
 * plugin that provides the workflow registers a C function under that name.
 * Guards run inside the firing transaction and must not write.
 */
#ifndef FILROUGE_WORKFLOW_H
#define FILROUGE_WORKFLOW_H

#include <stdint.h>

#include "error.h"

typedef struct fr_plugin_ctx fr_plugin_ctx;

typedef struct fr_guard_call {
    int64_t case_id;
    const char *workflow; /* workflow id */
    const char *from;     /* current state */
    const char *to;       /* target state */
    const char *event;
    const char *case_xml; /* the XML view of the case that XPath guards see */
} fr_guard_call;

/* Sets *allowed to 1 or 0. When 0, a message in err->message (code may stay
 * 0) tells the user why; a negative return is an error, not a refusal. */
typedef int (*fr_guard_fn)(const fr_guard_call *call, void *userdata, int *allowed,
                           fr_error *err);

FR_API int fr_workflow_register_guard(fr_plugin_ctx *ctx, const char *name, fr_guard_fn fn,
                                      void *userdata, fr_error *err);

#endif
