/* Python hooks (embedded CPython): the kernel side other parts call.
 *
 * The interpreter starts only when the site or an enabled plugin has hooks;
 * without hooks every function here returns at once with nothing to do.
 * Hooks never take the platform down: an exception or a deadline overrun in
 * a synchronous hook refuses the operation with the hook's message (the
 * traceback goes to the site log), in an asynchronous one it is retried
 * like any subscriber. */
#ifndef FR_PYTHON_H
#define FR_PYTHON_H

#include <jansson.h>

#include "site.h"

/* Loads the hooks of the site (the .py files of <site>/hooks) and of its enabled
 * plugins; registers their subscribers (owner "python") and guards
 * ("py:NAME"). Called by fr_site_open after the plugins. */
int fr_python_open(fr_site *site, fr_error *err);
void fr_python_close(fr_site *site);

/* Extra checks on a submission by @filrouge.validate("form-id") hooks.
 * values: the submission's values (object: field id -> value). On return
 * *messages is NULL when every hook accepts, else an object field id (or
 * "" for the whole form) -> array of messages. */
int fr_python_validate(fr_site *site, const char *form_id, json_t *values, json_t **messages,
                       fr_error *err);

/* Extra computed values by @filrouge.compute("form-id") hooks: *computed
 * is NULL or an object name -> value, stored with the submission. */
int fr_python_compute(fr_site *site, const char *form_id, json_t *values, json_t **computed,
                      fr_error *err);

#endif
