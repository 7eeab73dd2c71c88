/* Tasks: the échéancier. Due dates can be anchored on a named date of the
 * case (case_dates) with an ISO 8601 offset; they follow the date when it
 * moves, unless someone already acted on the task. `fr_task_tick` emits
 * task.due and task.overdue once each and creates the next task of
 * recurring timers. */
#ifndef FR_TASK_H
#define FR_TASK_H

#include <jansson.h>
#include <stdint.h>

#include "site.h"

/* How far ahead a due date may be given (years from today; the pages'
 * text task.due_too_far takes it from the kernel's message, as {n}). */
#define FR_TASK_DUE_YEARS 10

typedef struct fr_task_new {
    int64_t case_id;        /* 0: not about a case */
    const char *title;
    int64_t assignee_id;    /* 0: the case's case manager */
    const char *due_on;     /* fixed date, or NULL when anchored */
    const char *anchor;     /* name of a case date, or NULL */
    const char *offset;     /* ISO 8601 duration from the anchor ("-P14D") */
    const char *origin;     /* "workflow", "timer", "person", "plugin", "hook" */
    const char *origin_ref; /* e.g. "state:screening" or "timer:reassess" */
    /* The workflow's task it comes from, for its title in each reader's
     * language ("frailty/2/state:referral/0", "frailty/2/timer:review"),
     * or NULL: the task has its one title (fr_task_title). */
    const char *title_ref;
} fr_task_new;

/* Inside or outside a transaction (opens its own when none). Audited,
 * publishes task.created. A fixed due date given by people, plugins or
 * hooks may not be before the case's opening (a task about no case: more
 * than a year ago) nor more than FR_TASK_DUE_YEARS ahead. */
int fr_task_create(fr_site *site, const fr_task_new *t, int64_t *id, fr_error *err);

/* Marks a task done (audited, publishes task.done). */
int fr_task_done(fr_site *site, int64_t task_id, fr_error *err);

/* Cancels an open task, with a reason (required; audited with it, and in
 * the payload of task.cancelled). Same rights as giving it to someone:
 * write access to its case; tasks not about a case, administrators. A task
 * already done or cancelled is a conflict. */
int fr_task_cancel(fr_site *site, int64_t task_id, const char *reason, fr_error *err);

/* Gives an open task to another user (write access to its case; tasks not
 * about a case: administrators). Audited, publishes task.assigned. */
int fr_task_assign(fr_site *site, int64_t task_id, const char *login, fr_error *err);
/* Gives cases (fr_case_assign: their open tasks that followed the case
 * manager follow) and tasks to `login`, all of them or none: every right
 * is checked before anything is written (a refusal audited as always),
 * then one transaction; the first refusal, naming the case or task, undoes
 * all. For the échéancier's bulk reassignment. */
int fr_task_reassign_all(fr_site *site, const int64_t *cases, int ncases, const int64_t *tasks,
                         int ntasks, const char *login, fr_error *err);

/* Sets a named date of a case and recomputes the open, untouched tasks
 * anchored on it (audited, publishes case.date-changed, both with the
 * tasks moved); *moved (unless NULL) says how many moved. */
int fr_case_set_date(fr_site *site, int64_t case_id, const char *name, const char *date,
                     int *moved_n, fr_error *err);

typedef struct fr_task_filter {
    const char *assignee;   /* login, or NULL */
    int64_t case_id;        /* 0: any */
    const char *status;     /* open, done, cancelled; NULL: open */
    const char *due_before; /* YYYY-MM-DD inclusive, or NULL */
    int limit, offset;      /* limit 0: 100 */
    const char *lang;       /* titles for this reader; NULL: the acting user's */
} fr_task_filter;

/* Tasks the actor may see (cases reachable through a care relationship,
 * tasks assigned to the actor, and for an administrator the tasks about no
 * case), by due date, overdue first. A JSON
 * array of {id, case_id, title, assignee, due_on, status, origin,
 * origin_ref, anchor, offset, overdue}; a workflow's task titled in
 * f->lang (fr_task_title). */
int fr_task_list(fr_site *site, const fr_task_filter *f, json_t **out, fr_error *err);

/* The title of a task for a reader of lang (NULL: the acting user's
 * language): a workflow's task (title_ref set) in that language, else
 * French, else English, else its definition's title attribute; any other
 * task, or one whose definition cannot be read, its stored title. The
 * result lives as long as the site's definitions or `stored`. */
const char *fr_task_title(fr_site *site, const char *title_ref, const char *stored,
                          const char *lang);
/* Once per site (recorded in site_meta; later calls cost one key looked
 * up): the workflow tasks made before tasks.title_ref existed (migration
 * core-012) get the reference of their definition's task when exactly one
 * task of their case's definition (of the state or timer they came from)
 * has their title in some language; the others keep their one title. The
 * count is logged; *set receives how many were given a reference. */
int fr_task_titles_backfill(fr_site *site, int *set, fr_error *err);
/* The title_ref of a referral's follow-up, before its specialty: its title
 * is worded in each reader's language. */
#define FR_TASK_REF_REFERRAL "core:referral:"
/* In an array of task objects, each "title" for a reader of lang (their
 * "title_ref", which is removed). */
void fr_task_titles_json(fr_site *site, json_t *tasks, const char *lang);

typedef struct fr_tick_stats {
    int due;
    int overdue;
    int timers;
    int delivered;
} fr_tick_stats;

/* Emits task.due (due today or earlier, once) and task.overdue (due before
 * today, once), creates timer tasks, then delivers the outbox. */
int fr_task_tick(fr_site *site, fr_tick_stats *stats, fr_error *err);
/* Creates the missing timer tasks of open case `case_id`'s current state
 * (each due `every` after the later of the day the state was entered and
 * the day the timer's previous task was done), counting them in *created
 * when not NULL. Called when a case enters a state and when a timer's task
 * is done, inside the caller's transaction; the tick makes those a case
 * still lacks (a migration, a definition changed). */
int fr_task_case_timers(fr_site *site, int64_t case_id, int *created, fr_error *err);

#endif
