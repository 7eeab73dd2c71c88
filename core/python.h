/* Python hooks (embedded CPython): the kernel side other parts call.
 *
 * The interpreter starts only when the site or an enabled plugin has hooks;
 * without hooks every function here returns at once with nothing to do.
 * Hooks never take the platform down: an exception or a deadline overrun in
 * a synchronous hook refuses the operation with the hook's message (the
 * traceback goes to the site log), in an asynchronous one it is retried
 * like any subscriber.
 *
 * One interpreter per process, started once and never finalised or
 * restarted (LESSONS.md: re-initialising CPython breaks extension modules).
 * Each fr_site loads its own copy of the hook modules: a server's worker
 * threads, each with its own fr_site, share the interpreter (and its GIL)
 * but not the modules' globals. docs/hooks.md is the hook author's guide. */
#ifndef FR_PYTHON_H
#define FR_PYTHON_H

#include <jansson.h>
#include <stdint.h>

#include "site.h"

/* Loads the hooks of the site (the .py files of <site>/hooks) and of its enabled
 * plugins; registers their subscribers (owner "python") and guards
 * ("py:NAME"). Called by fr_site_open after the plugins. A hook file that
 * does not compile or import is a problem (logged, listed by
 * fr_python_list) and the site opens without its hooks, unless this
 * process imported an earlier text of the file without a problem: that
 * last good text runs instead, and the file's new text is "refused"
 * (logged, fr_python_refused). Only a failure to start the interpreter
 * itself is an error. */
int fr_python_open(fr_site *site, fr_error *err);
void fr_python_close(fr_site *site);

/* Re-imports every hook file of the site and re-registers the hooks (the
 * server calls it on SIGHUP, between requests; plugin.c when a plugin with
 * hooks is enabled or disabled). Refused (FR_EREFUSED) while one of this
 * site's hooks is running: never from inside a hook. A site that had no
 * hooks starts the interpreter when hooks appeared. */
int fr_python_reload(fr_site *site, fr_error *err);

/* Extra checks on a submission by @filrouge.validate("form-id") hooks.
 * values: the submission's values (object: field id -> value). On return
 * *messages is NULL when every hook accepts, else an object field id (or
 * "" for the whole form) -> array of messages. A hook that raises or
 * overruns its deadline is a refusal: *messages gets "" -> [its message]
 * and the call returns 0. */
int fr_python_validate(fr_site *site, const char *form_id, json_t *values, json_t **messages,
                       fr_error *err);

/* Extra computed values by @filrouge.compute("form-id") hooks: *computed
 * is NULL or an object name -> value, stored with the submission. A hook
 * that raises or overruns its deadline makes the call fail (FR_EREFUSED
 * with the hook's message): a submission is not stored half computed. */
int fr_python_compute(fr_site *site, const char *form_id, json_t *values, json_t **computed,
                      fr_error *err);
/* 1 when an active validate or compute hook targets the form. */
int fr_python_form_hooks(fr_site *site, const char *form_id);

/* The hooks of the site: *out is {"started": bool, "files": [{path, module,
 * origin ("site" or a plugin id), problem}], "hooks": [{name, kind ("on",
 * "guard", "validate", "compute"), target (topic pattern, guard name or form
 * id), file, line, status ("on", "off", "replaced"), by}]}. */
int fr_python_list(fr_site *site, json_t **out, fr_error *err);

/* The hook files whose new text was refused at the last (re)load of this
 * site while their last good text, imported earlier in this process, runs
 * instead: a new array of {file, problem} (problem: "file:line: what"),
 * empty when there is none. */
json_t *fr_python_refused(fr_site *site);

/* Compiles and imports hook files in throw-away modules, registering
 * nothing: `files` (NULL-terminated) or, when NULL, every hook file of the
 * site and its enabled plugins. *out is an array of {path, ok, problem}
 * (problem names file:line). Starts the interpreter if needed. Returns
 * FR_EINVAL (with the problems, one per line) when a file has one. */
int fr_python_check(fr_site *site, const char *const *files, json_t **out, fr_error *err);

/* Calls the asynchronous hook whose subscriber name is `name` (without
 * "python:") with an event made of these fields, exactly as a delivery
 * calls it but without the outbox around it: for the benchmark and tests.
 * FR_ENOTFOUND when no such hook is on. */
int fr_python_dispatch(fr_site *site, const char *name, int64_t event_id, const char *topic,
                       int64_t case_id, const char *payload, const char *key, fr_error *err);

/* 1 once this process has started the interpreter (for tests and `hooks
 * list`): a site without hooks never does. */
int fr_python_started(void);

/* The deadline of one call into a hook, in milliseconds: the site setting
 * python.deadline-ms (10 to 60000), default 250. */
int fr_python_deadline_ms(const fr_site *site);

#endif
