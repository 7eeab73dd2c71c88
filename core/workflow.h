/* Workflows: XML definitions (schemas/workflow.xsd) of states, transitions,
 * guards, on-enter actions and timers; firing events on cases.
 *
 * Definitions are versioned. Every version a case was opened under is kept
 * in the database (table workflows), so a case always runs under its own
 * version; `fr_workflow_migrate` moves cases to a newer version through the
 * explicit state mapping the newer definition carries. */
#ifndef FR_WORKFLOW_INTERNAL_H
#define FR_WORKFLOW_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include <filrouge/workflow.h>

#include "site.h"

typedef struct fr_workflow fr_workflow;

/* Parses and checks a definition file (XSD, then meaning: one initial
 * state, transitions name existing states, guards compile, durations
 * parse). Errors name the file and line. */
int fr_workflow_load_file(const char *path, fr_workflow **out, fr_error *err);
/* The same check for `workflow check` and `plugin check`: on failure
 * *report is every problem, one "FILE:LINE: …" per line, then "N problems
 * in FILE" (err holds only what fits in it); the caller frees it. */
int fr_workflow_check_file(const char *path, char **report, fr_error *err);
void fr_workflow_free(fr_workflow *wf);
const char *fr_workflow_id(const fr_workflow *wf);
int fr_workflow_version(const fr_workflow *wf);
/* The names of a state and of an event for people: their <title> in lang,
 * else their first <title>, else their id. */
const char *fr_workflow_state_title(const fr_workflow *wf, const char *state, const char *lang);
const char *fr_workflow_event_title(const fr_workflow *wf, const char *event, const char *lang);
const char *fr_workflow_initial(const fr_workflow *wf);
/* The workflow's name for people in lang (its <title>), else its first
 * title, else its id. */
const char *fr_workflow_title(const fr_workflow *wf, const char *lang);
/* 1 when firing `event` in `state` may lead to a final state (it closes
 * the case): the page asks before it is sent. */
int fr_workflow_event_closes(const fr_workflow *wf, const char *state, const char *event);

int fr_workflows_new(fr_site *site, fr_error *err);
void fr_workflows_free(fr_site *site);

/* Makes a definition provided by `plugin` available on the site (takes
 * ownership of wf, also on error). Stores the definition text in the
 * database when this (id, version) is new; refuses a changed text under an
 * existing version ("bump the version and add a <migration>"). */
int fr_workflows_add(fr_site *site, const char *plugin, fr_workflow *wf, fr_error *err);

/* The definition (id, version); version 0 means the newest available.
 * Versions not loaded from a plugin are read back from the database. */
int fr_workflows_get(fr_site *site, const char *id, int version, const fr_workflow **out,
                     fr_error *err);

/* The definitions known to the site: a JSON array of {id, version, plugin,
 * loaded (1 when provided by an enabled plugin now), open_cases}. */
int fr_workflows_list(fr_site *site, json_t **out, fr_error *err);

/* 1 when a guard of that name is registered (a plugin's C guard, or
 * "py:NAME" for a Python hook's). */
int fr_workflows_has_guard(fr_site *site, const char *name);
/* Registers a named C guard (owner: plugin id). */
int fr_workflows_add_guard(fr_site *site, const char *owner, const char *name, fr_guard_fn fn,
                           void *userdata, fr_error *err);
/* Removes the owner's guards; its definitions stay readable (cases keep
 * running under them) but are no longer listed as loaded. */
void fr_workflows_remove_owner(fr_site *site, const char *owner);

/* Inside the caller's transaction, once the case row exists: records the
 * opening transition (event "open", no from-state, to the initial state,
 * effective on `effective_on`) and runs the initial state's on-enter
 * actions. */
int fr_workflow_start(fr_site *site, int64_t case_id, const char *effective_on, fr_error *err);

/* Inside the caller's transaction, when the date of a step (transition
 * `transition_id`: a case's opening, or the step that led into its
 * current state) moves from `was` to `on`: the tasks that step created
 * (the on-enter tasks of the state it entered, due a duration after it,
 * recorded since the step) that are still open and that nobody acted on
 * are due that duration after `on`, anew (due and overdue announced
 * again); so is the state's timer task still counted from the step (due
 * `every` after `was`), made under the step's version of the workflow or,
 * once the case moved to newer ones, under each of them (the timers of the
 * state each migration led to). Appends the ids moved to `moved`. */
int fr_workflow_move_step_tasks(fr_site *site, int64_t transition_id, const char *was,
                                const char *on, json_t *moved, fr_error *err);
/* The same for a case's opening moved from `was` to `opened_on`, only
 * while the case has taken no step (a migration is none: the tasks made
 * under the newer version's timer included): leaving the first state cancelled its
 * tasks, and a step staying in it adds tasks of its own date. */
int fr_workflow_move_opening_tasks(fr_site *site, int64_t case_id, const char *was,
                                   const char *opened_on, json_t *moved, fr_error *err);

/* Fires `event` on a case: checks it is allowed in the case's state, checks
 * required forms and the guard, then in one transaction updates the case,
 * records the transition (effective_on: NULL = today), publishes
 * case.transitioned (and case.closed / case.reopened when the case's status
 * changes; entering a final state closes the case), runs on-enter actions
 * and writes audit entries. A refusal lists the events allowed now. */
int fr_workflow_fire(fr_site *site, int64_t case_id, const char *event, const char *effective_on,
                     const char *note, fr_error *err);

/* The events allowed in the case's current state (guards not evaluated).
 * *events is a NULL-terminated malloc'd array of malloc'd strings. */
int fr_workflow_allowed(fr_site *site, int64_t case_id, char ***events, fr_error *err);
void fr_strv_free(char **v);

/* The XML view of a case that XPath guards see (malloc'd); the acting user
 * needs read access to the case, and the read is audited. Described in
 * docs/workflows.md. */
int fr_workflow_case_xml(fr_site *site, int64_t case_id, char **out, fr_error *err);

typedef struct fr_migration_plan_item {
    int64_t case_id;
    char from_state[64];
    char to_state[64];
} fr_migration_plan_item;

/* Moves open cases of `workflow` from older versions to the newest, using
 * the <migration> mappings of the newest definition. dry_run: only the plan.
 * Refuses everything (nothing moved) when a case's state has no mapping. */
int fr_workflow_migrate(fr_site *site, const char *workflow, int dry_run,
                        fr_migration_plan_item **plan, int *n, fr_error *err);

#endif
