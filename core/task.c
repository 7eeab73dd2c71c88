/* Tasks, the échéancier: creating tasks with fixed or anchored due dates,
 * marking them done, moving anchored tasks when a case date changes, the
 * daily tick (task.due / task.overdue once each, recurring timer tasks) and
 * the listing a user may see. Which tasks a workflow creates on entering a
 * state is decided in workflow.c; delivery of events is the bus's job. */
#include "task.h"

#include "record.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "text.h"
#include "wfdef.h"

static int publish(fr_site *site, const char *topic, int64_t case_id, json_t *payload,
                   fr_error *err)
{
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    if (!text)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    int rc = fr_bus_publish_compact(site, topic, case_id, text, err);
    free(text);
    return rc;
}

static int audit(fr_site *site, const char *action, const char *type, int64_t id, json_t *detail,
                 fr_error *err)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    if (!text)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    int rc = fr_audit_appendi(site->store, site->actor, action, type, id, text, err);
    free(text);
    return rc;
}

/* Ends a transaction begun by the caller of this helper: commit on success,
 * rollback otherwise; returns the final code. */
static int finish(fr_site *site, int rc, fr_error *err)
{
    if (rc) {
        fr_store_rollback(site->store);
        return rc;
    }
    return fr_store_commit(site->store, err);
}

/* out = anchor date + offset (NULL offset: the anchor date itself). */
static int anchored_due(const char *date, const char *offset, char out[FR_TIME_LEN], fr_error *err)
{
    fr_duration d = {0};
    int rc = offset ? fr_duration_parse(offset, &d, err) : 0;
    return rc ? rc : fr_date_add(date, &d, out, err);
}

/* FR_EINVAL when `date` is more than FR_TASK_DUE_YEARS ahead of today. */
static int not_too_far(const char *field, const char *date, fr_error *err)
{
    char today[FR_TIME_LEN], limit[FR_TIME_LEN], on[32], at[32];
    fr_clock_today(today);
    fr_duration ahead = {.sign = 1, .years = FR_TASK_DUE_YEARS};
    int rc = fr_date_add(today, &ahead, limit, err);
    if (!rc && strcmp(date, limit) > 0)
        rc = fr_error_set(err, FR_EINVAL,
                          "%s: %s is more than %d years ahead (today is %s); check the year", field,
                          fr_clock_human(date, on), FR_TASK_DUE_YEARS, fr_clock_human(today, at));
    return rc;
}

/* A due date that people, plugins and hooks give (the workflow's own are
 * counted from checked dates): not before the case's opening (a task about
 * no case: not more than a year ago) nor more than FR_TASK_DUE_YEARS
 * ahead. A mistyped year (1900, 9999, 2062 for 2026) would otherwise sit
 * on the échéancier overdue from the start, or never come. */
static int check_due(fr_site *site, int64_t case_id, const char *due, fr_error *err)
{
    char today[FR_TIME_LEN], limit[FR_TIME_LEN], on[32], at[32];
    fr_clock_today(today);
    int rc = not_too_far("due", due, err);
    if (rc || !case_id) {
        fr_duration back = {.sign = -1, .years = 1};
        if (!rc && !(rc = fr_date_add(today, &back, limit, err)) && strcmp(due, limit) < 0)
            rc = fr_error_set(err, FR_EINVAL,
                              "due: %s is more than a year ago (today is %s); check the year, "
                              "or leave the date out",
                              fr_clock_human(due, on), fr_clock_human(today, at));
        return rc;
    }
    return fr_case_check_after_opening(site, case_id, "due", due, err);
}

static const char *const origins[] = {"workflow", "timer", "person", "plugin", "hook", NULL};

int fr_task_create(fr_site *site, const fr_task_new *t, int64_t *id, fr_error *err)
{
    *id = 0;
    int known = 0;
    for (const char *const *o = origins; t->origin && *o; o++)
        known |= strcmp(*o, t->origin) == 0;
    if (fr_text_blank(t->title))
        return fr_error_set(err, FR_EINVAL, "a task needs a title");
    if (fr_text_check("title", t->title, FR_TEXT_TITLE_MAX, 0, err))
        return err->code;
    if (!known)
        return fr_error_set(err, FR_EINVAL,
                            "task origin '%s' is unknown: use workflow, timer, person, plugin "
                            "or hook",
                            t->origin ? t->origin : "");
    if (t->due_on && !fr_date_valid(t->due_on))
        return fr_error_set(err, FR_EINVAL, "due date '%s': date must be YYYY-MM-DD", t->due_on);
    if (t->due_on && t->anchor)
        return fr_error_set(err, FR_EINVAL,
                            "a task has a fixed due date or an anchor on a case date, not both");
    if (t->anchor && !t->case_id)
        return fr_error_set(err, FR_EINVAL, "an anchored task must belong to a case");
    if (t->offset && !t->anchor)
        return fr_error_set(err, FR_EINVAL, "an offset needs an anchor (a named case date)");
    fr_duration d;
    int rc = t->offset ? fr_duration_parse(t->offset, &d, err) : 0;
    if (rc)
        return rc;
    /* The kernel's own tasks come from operations that checked access. */
    int by_kernel = strcmp(t->origin, "workflow") == 0 || strcmp(t->origin, "timer") == 0;
    if (t->case_id && !by_kernel && (rc = fr_access_case(site, t->case_id, FR_WRITE, err)))
        return rc;
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    int64_t assignee = t->assignee_id;
    char due[FR_TIME_LEN] = "";
    if (t->due_on)
        snprintf(due, sizeof due, "%s", t->due_on);
    if (t->case_id) {
        int64_t manager = 0;
        rc = fr_store_query_int(site->store, err, &manager,
                                "SELECT coalesce(case_manager_id, 0) FROM cases WHERE id = ?", "I",
                                t->case_id);
        if (rc == FR_ENOTFOUND)
            rc = fr_error_set(err, FR_ENOTFOUND, "there is no case %" PRId64, t->case_id);
        if (!assignee)
            assignee = manager;
    }
    if (!rc && t->due_on && !by_kernel)
        rc = check_due(site, t->case_id, t->due_on, err);
    if (!rc && t->assignee_id) {
        int64_t n = 0;
        rc = fr_store_query_int(site->store, err, &n, "SELECT count(*) FROM users WHERE id = ?",
                                "I", t->assignee_id);
        if (!rc && !n)
            rc = fr_error_set(err, FR_ENOTFOUND,
                              "there is no user %" PRId64 " to assign the task to; see "
                              "`filrouge user list`",
                              t->assignee_id);
    }
    if (!rc && t->anchor) {
        char *date = NULL;
        rc = fr_store_query_text(site->store, err, &date,
                                 "SELECT date FROM case_dates WHERE case_id = ? AND name = ?", "It",
                                 t->case_id, t->anchor);
        if (rc == FR_ENOTFOUND)
            rc = 0; /* no due date until the date is set */
        else if (!rc)
            rc = anchored_due(date, t->offset, due, err);
        free(date);
    }
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if (!rc)
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO tasks (case_id, title, assignee_id, due_on, origin,"
                            " origin_ref, anchor, anchor_offset, created_at, created_by, title_ref)"
                            " VALUES (nullif(?, 0), ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?)",
                            "ItItttttttt", t->case_id, t->title, assignee, due[0] ? due : NULL,
                            t->origin, t->origin_ref, t->anchor, t->offset, now, site->actor,
                            t->title_ref);
    if (!rc) {
        *id = fr_store_last_id(site->store);
        rc = audit(site, "create", "task", *id,
                   json_pack("{s:I,s:s,s:s?,s:s?}", "case_id", (json_int_t)t->case_id, "origin",
                             t->origin, "origin_ref", t->origin_ref, "due_on", due[0] ? due : NULL),
                   err);
    }
    if (!rc)
        rc = publish(site, "task.created", t->case_id,
                     json_pack("{s:I,s:s,s:s?,s:I,s:s,s:s?}", "task_id", (json_int_t)*id, "title",
                               t->title, "due_on", due[0] ? due : NULL, "assignee_id",
                               (json_int_t)assignee, "origin", t->origin, "origin_ref",
                               t->origin_ref),
                     err);
    if (rc)
        *id = 0;
    return finish(site, rc, err);
}

/* A refusal about a task that is no case's (FR_EACCESS), audited. */
static int refused(fr_site *site, int64_t task_id, fr_error *err, const char *fmt, ...)
    FR_PRINTF(4, 5);
static int refused(fr_site *site, int64_t task_id, fr_error *err, const char *fmt, ...)
{
    char id[24], msg[FR_ERROR_MAX];
    snprintf(id, sizeof id, "%" PRId64, task_id);
    fr_access_refused_role(site, "task", id);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fr_error_set(err, FR_EACCESS, "%s", msg);
}

int fr_task_done(fr_site *site, int64_t task_id, fr_error *err)
{
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT coalesce(case_id, 0), coalesce(assignee_id, 0), status,"
                            " done_at, done_by, origin, origin_ref FROM tasks WHERE id = ?",
                            "I", task_id);
    if (rc)
        return rc;
    if ((rc = fr_stmt_step(st, err)) != 1) {
        fr_stmt_done(st);
        return rc < 0 ? rc
                      : fr_error_set(err, FR_ENOTFOUND,
                                     "there is no task %" PRId64 "; see `filrouge task list`",
                                     task_id);
    }
    int64_t case_id = fr_stmt_int(st, 0), assignee = fr_stmt_int(st, 1);
    char status[16], done_at[FR_TIME_LEN], done_by[128], origin[16], ref[160];
    snprintf(status, sizeof status, "%s", fr_stmt_text(st, 2));
    snprintf(done_at, sizeof done_at, "%s", fr_stmt_is_null(st, 3) ? "" : fr_stmt_text(st, 3));
    snprintf(done_by, sizeof done_by, "%s", fr_stmt_is_null(st, 4) ? "" : fr_stmt_text(st, 4));
    snprintf(origin, sizeof origin, "%s", fr_stmt_text(st, 5));
    snprintf(ref, sizeof ref, "%s", fr_stmt_is_null(st, 6) ? "" : fr_stmt_text(st, 6));
    fr_stmt_done(st);
    /* The assignee may close their own task; otherwise the case decides. */
    int own = site->actor_id != 0 && assignee == site->actor_id;
    if (!own && case_id && (rc = fr_access_case(site, case_id, FR_WRITE, err)))
        return rc;
    if (!own && !case_id && !fr_access_has_role(site, "admin"))
        return refused(site, task_id, err,
                       "task %" PRId64 " is not about a case and not assigned to '%s'", task_id,
                       site->actor);
    if (strcmp(status, "open") != 0)
        return fr_error_set(err, FR_ECONFLICT,
                            "task %" PRId64 " is already %s%s%s%s%s%s: nothing to do", task_id,
                            status, done_by[0] ? " (by " : "", done_by, done_at[0] ? " at " : "",
                            done_at, done_by[0] ? ")" : "");
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE tasks SET status = 'done', done_at = ?, done_by = ?, acted = 1"
                        " WHERE id = ? AND status = 'open'",
                        "ttI", now, site->actor, task_id);
    if (!rc && fr_store_changes(site->store) != 1)
        rc = fr_error_set(err, FR_ECONFLICT, "task %" PRId64 " changed meanwhile: look again",
                          task_id);
    if (!rc)
        rc = audit(site, "done", "task", task_id,
                   json_pack("{s:I}", "case_id", (json_int_t)case_id), err);
    if (!rc)
        rc = publish(site, "task.done", case_id,
                     json_pack("{s:I,s:s,s:s?,s:s}", "task_id", (json_int_t)task_id, "origin",
                               origin, "origin_ref", ref[0] ? ref : NULL, "done_by", site->actor),
                     err);
    /* a timer's task done: its next one, due `every` from today, at once */
    if (!rc && case_id && strcmp(origin, "timer") == 0)
        rc = fr_task_case_timers(site, case_id, NULL, err);
    return finish(site, rc, err);
}

int fr_task_cancel(fr_site *site, int64_t task_id, const char *reason, fr_error *err)
{
    if (fr_text_blank(reason))
        return fr_error_set(err, FR_EINVAL,
                            "cancelling task %" PRId64 " needs a reason (it is kept in the audit "
                            "trail)",
                            task_id);
    int64_t case_id = 0;
    int rc = fr_store_query_int(site->store, err, &case_id,
                                "SELECT coalesce(case_id, 0) FROM tasks WHERE id = ?", "I",
                                task_id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND,
                            "there is no task %" PRId64 "; see `filrouge task list`", task_id);
    if (rc)
        return rc;
    if (case_id && (rc = fr_access_case(site, case_id, FR_WRITE, err)))
        return rc;
    if (!case_id && !fr_access_has_role(site, "admin"))
        return refused(site, task_id, err,
                       "only an administrator can cancel task %" PRId64
                       ", which is not about a case",
                       task_id);
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE tasks SET status = 'cancelled', done_at = ?, done_by = ?, acted = 1"
                        " WHERE id = ? AND status = 'open'",
                        "ttI", now, site->actor, task_id);
    if (!rc && fr_store_changes(site->store) != 1)
        rc = fr_error_set(err, FR_ECONFLICT,
                          "task %" PRId64 " is no longer open (done or cancelled): nothing to "
                          "cancel",
                          task_id);
    if (!rc)
        rc = audit(site, "cancel", "task", task_id,
                   json_pack("{s:I,s:s}", "case_id", (json_int_t)case_id, "reason", reason), err);
    if (!rc)
        rc = publish(site, "task.cancelled", case_id,
                     json_pack("{s:I,s:s,s:s}", "task_id", (json_int_t)task_id, "reason", reason,
                               "cancelled_by", site->actor),
                     err);
    return finish(site, rc, err);
}

/* What giving task_id to login needs, checked without writing: the task
 * open, the user active, the rights (a refusal for want of them audited on
 * its own, as every refusal). *case_id (0: about no case) and *to for the
 * write. */
static int check_assign(fr_site *site, int64_t task_id, const char *login, int64_t *case_id,
                        int64_t *to, fr_error *err)
{
    *case_id = *to = 0;
    int rc = fr_store_query_int(site->store, err, case_id,
                                "SELECT coalesce(case_id, 0) FROM tasks WHERE id = ?"
                                " AND status = 'open'",
                                "I", task_id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND,
                            "there is no open task %" PRId64 "; see `filrouge task list`",
                            task_id);
    if (rc || (rc = fr_user_id(site, login, to, err)))
        return rc;
    if (*case_id && (rc = fr_access_case(site, *case_id, FR_WRITE, err)))
        return rc;
    if (!*case_id && !fr_access_has_role(site, "admin"))
        return refused(site, task_id, err, "only an administrator can reassign task %" PRId64,
                       task_id);
    return 0;
}

int fr_task_assign(fr_site *site, int64_t task_id, const char *login, fr_error *err)
{
    int64_t case_id = 0, to = 0;
    int rc = check_assign(site, task_id, login, &case_id, &to, err);
    if (rc || (rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err, "UPDATE tasks SET assignee_id = ? WHERE id = ?", "II", to,
                        task_id);
    if (!rc)
        rc = audit(site, "assign", "task", task_id, json_pack("{s:s}", "to", login), err);
    if (!rc)
        rc = publish(site, "task.assigned", case_id,
                     json_pack("{s:I,s:s}", "task_id", (json_int_t)task_id, "assignee", login),
                     err);
    return finish(site, rc, err);
}

int fr_task_reassign_all(fr_site *site, const int64_t *cases, int ncases, const int64_t *tasks,
                         int ntasks, const char *login, fr_error *err)
{
    /* Every right first, before anything is written: a refusal's audit
     * entry is written on its own, and inside the transaction below the
     * rollback would take it. */
    int64_t case_id, to;
    int rc = 0;
    for (int i = 0; !rc && i < ncases; i++)
        rc = fr_access_case(site, cases[i], FR_WRITE, err);
    for (int i = 0; !rc && i < ntasks; i++)
        rc = check_assign(site, tasks[i], login, &case_id, &to, err);
    if (rc || (rc = fr_store_begin(site->store, err)))
        return rc;
    /* Cases first: their open tasks that followed the case manager follow
     * the new one. Any refusal now (a user who may not manage cases)
     * undoes all. */
    for (int i = 0; !rc && i < ncases; i++)
        rc = fr_case_assign(site, cases[i], login, err);
    for (int i = 0; !rc && i < ntasks; i++)
        rc = fr_task_assign(site, tasks[i], login, err);
    return finish(site, rc, err);
}

typedef struct moved_task {
    int64_t id;
    char offset[64];
    int has_offset;
} moved_task;

int fr_case_set_date(fr_site *site, int64_t case_id, const char *name, const char *date,
                     int *moved_n, fr_error *err)
{
    if (moved_n)
        *moved_n = 0;
    if (!name || !*name)
        return fr_error_set(err, FR_EINVAL, "a case date needs a name (e.g. treatment_end)");
    /* The names workflows anchor tasks on (workflow.xsd, type "name"). */
    int named = name[0] >= 'a' && name[0] <= 'z' && strlen(name) <= 64;
    for (const char *c = name; named && *c; c++)
        named = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
    if (!named)
        return fr_error_set(err, FR_EINVAL,
                            "case date '%.64s': a name is lower-case letters, digits, '_' and "
                            "'-', starting with a letter (e.g. treatment_end), as workflows "
                            "anchor tasks on it",
                            name);
    if (!date || !fr_date_valid(date))
        return fr_error_set(err, FR_EINVAL, "case date %s '%s': date must be YYYY-MM-DD", name,
                            date ? date : "");
    /* A date of the person's care: not before their birth (a diagnosis
     * may precede the case), not more than FR_TASK_DUE_YEARS ahead (the
     * tasks anchored on it would never come). */
    int rc = fr_access_case(site, case_id, FR_WRITE, err);
    if (!rc)
        rc = not_too_far("date", date, err);
    char *birth = NULL, on[32], at[32];
    if (!rc) {
        int q = fr_store_query_text(site->store, err, &birth,
                                    "SELECT p.birth_date FROM cases c JOIN patients p ON"
                                    " p.id = c.patient_id WHERE c.id = ?",
                                    "I", case_id);
        if (q && q != FR_ENOTFOUND)
            rc = q;
        else if (!q && birth && *birth && strcmp(date, birth) < 0)
            rc = fr_error_set(err, FR_EINVAL,
                              "date: %s is before the patient's birth (%s); check the date",
                              fr_clock_human(date, on), fr_clock_human(birth, at));
        else
            fr_error_clear(err);
    }
    free(birth);
    if (rc || (rc = fr_store_begin(site->store, err)))
        return rc;
    char *previous = NULL;
    rc = fr_store_query_text(site->store, err, &previous,
                             "SELECT date FROM case_dates WHERE case_id = ? AND name = ?", "It",
                             case_id, name);
    if (rc == FR_ENOTFOUND)
        rc = 0;
    if (!rc)
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO case_dates (case_id, name, date) VALUES (?, ?, ?)"
                            " ON CONFLICT (case_id, name) DO UPDATE SET date = excluded.date",
                            "Itt", case_id, name, date);
    /* Tasks someone already acted on keep the date they were given. */
    moved_task *tasks = NULL;
    int n = 0;
    fr_stmt *st = NULL;
    if (!rc)
        rc = fr_store_query(site->store, err, &st,
                            "SELECT id, anchor_offset FROM tasks WHERE case_id = ? AND anchor = ?"
                            " AND status = 'open' AND acted = 0 ORDER BY id",
                            "It", case_id, name);
    while ((rc == 0 || rc == 1) && (rc = fr_stmt_step(st, err)) == 1) {
        moved_task *nt = realloc(tasks, (size_t)(n + 1) * sizeof *nt);
        if (!nt) {
            rc = fr_error_set(err, FR_ENOMEM, "out of memory");
            break;
        }
        tasks = nt;
        tasks[n].id = fr_stmt_int(st, 0);
        tasks[n].has_offset = !fr_stmt_is_null(st, 1);
        snprintf(tasks[n].offset, sizeof tasks[n].offset, "%s",
                 tasks[n].has_offset ? fr_stmt_text(st, 1) : "");
        n++;
    }
    if (st)
        fr_stmt_done(st);
    if (rc > 0)
        rc = 0;
    json_t *moved = json_array();
    for (int i = 0; !rc && i < n; i++) {
        char due[FR_TIME_LEN];
        rc = anchored_due(date, tasks[i].has_offset ? tasks[i].offset : NULL, due, err);
        /* A new due date is due (and perhaps overdue) anew. */
        if (!rc)
            rc = fr_store_execf(site->store, err,
                                "UPDATE tasks SET due_on = ?, due_emitted = 0, overdue_emitted = 0"
                                " WHERE id = ? AND (due_on IS NULL OR due_on <> ?)",
                                "tIt", due, tasks[i].id, due);
        if (!rc && fr_store_changes(site->store) > 0)
            json_array_append_new(moved, json_integer((json_int_t)tasks[i].id));
    }
    free(tasks);
    if (moved_n && !rc)
        *moved_n = (int)json_array_size(moved);
    if (!rc)
        rc = audit(site, "update", "case", case_id,
                   json_pack("{s:s,s:s,s:s?,s:O}", "date", name, "value", date, "previous",
                             previous, "tasks_moved", moved),
                   err);
    if (!rc)
        rc = publish(site, "case.date-changed", case_id,
                     json_pack("{s:s,s:s,s:s?,s:O}", "name", name, "date", date, "previous",
                               previous, "tasks_moved", moved),
                     err);
    json_decref(moved);
    free(previous);
    return finish(site, rc, err);
}

int fr_task_list(fr_site *site, const fr_task_filter *f, json_t **out, fr_error *err)
{
    static const fr_task_filter none = {0};
    if (!f)
        f = &none;
    *out = NULL;
    const char *status = f->status ? f->status : "open";
    if (strcmp(status, "open") != 0 && strcmp(status, "done") != 0 &&
        strcmp(status, "cancelled") != 0)
        return fr_error_set(err, FR_EINVAL,
                            "task status '%s' is unknown: use open, done or "
                            "cancelled",
                            status);
    if (f->due_before && !fr_date_valid(f->due_before))
        return fr_error_set(err, FR_EINVAL, "due before '%s': date must be YYYY-MM-DD",
                            f->due_before);
    char today[FR_TIME_LEN], now[FR_TIME_LEN], filter[1024], sql[3072];
    fr_clock_today(today);
    fr_clock_now(now);
    /* The tasks of the cases the user reaches and those assigned to them;
     * an administrator also sees the tasks about no case (theirs to cancel
     * or reassign), never those of a case they do not reach. */
    fr_access_case_sql(site, "t.case_id", filter, sizeof filter);
    snprintf(sql, sizeof sql,
             "SELECT t.id, t.case_id, t.title, u.login, t.due_on, t.status, t.origin,"
             " t.origin_ref, t.anchor, t.anchor_offset,"
             " (t.status = 'open' AND t.due_on IS NOT NULL AND t.due_on < ?2) AS overdue,"
             " t.title_ref FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id"
             " WHERE (%s OR t.assignee_id = ?1 OR (?4 <> 0 AND t.case_id IS NULL))"
             " AND t.status = ?5 AND (?6 IS NULL OR u.login = ?6)"
             " AND (?7 = 0 OR t.case_id = ?7)"
             " AND (?8 IS NULL OR (t.due_on IS NOT NULL AND t.due_on <= ?8))"
             " ORDER BY overdue DESC, t.due_on IS NULL, t.due_on, t.id LIMIT ?9 OFFSET ?10",
             filter);
    fr_stmt *st;
    int rc =
        fr_store_query(site->store, err, &st, sql, "IttittItii", site->actor_id, today, now,
                       fr_access_has_role(site, "admin"), status, f->assignee, f->case_id,
                       f->due_before, f->limit > 0 ? f->limit : 100, f->offset > 0 ? f->offset : 0);
    if (rc)
        return rc;
    json_t *a = json_array();
    while ((rc = fr_stmt_step(st, err)) == 1) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer((json_int_t)fr_stmt_int(st, 0)));
        json_object_set_new(o, "case_id",
                            fr_stmt_is_null(st, 1) ? json_null()
                                                   : json_integer((json_int_t)fr_stmt_int(st, 1)));
        const char *keys[] = {"title",  "assignee",   "due_on", "status",
                              "origin", "origin_ref", "anchor", "offset"};
        for (int i = 0; i < 8; i++)
            json_object_set_new(o, keys[i],
                                fr_stmt_is_null(st, 2 + i) ? json_null()
                                                           : json_string(fr_stmt_text(st, 2 + i)));
        json_object_set_new(o, "overdue", json_boolean(fr_stmt_int(st, 10)));
        if (!fr_stmt_is_null(st, 11))
            json_object_set_new(o, "title_ref", json_string(fr_stmt_text(st, 11)));
        json_array_append_new(a, o);
    }
    fr_stmt_done(st);
    if (rc < 0) {
        json_decref(a);
        return rc;
    }
    fr_task_titles_json(site, a, f->lang);
    *out = a;
    return 0;
}

typedef struct open_case {
    int64_t id;
    char workflow[128];
    int version;
    char state[64];
    char since[16];
} open_case;

/* Creates the missing timer tasks of one case's current state. A timer's
 * next task is due `every` after the later of the day the state was entered
 * and the day its previous task was done. */
static int case_timers(fr_site *site, const open_case *c, int *created, fr_error *err)
{
    const fr_workflow *wf;
    fr_error werr = {0};
    if (fr_workflows_get(site, c->workflow, c->version, &wf, &werr) != 0) {
        /* One unreadable definition must not stop the other cases' tick. */
        fr_site_log(site, "tick", "case %" PRId64 ": timers skipped: %s", c->id, werr.message);
        return 0;
    }
    const wf_state *s = wf_state_find(wf, c->state);
    const char *lang = site->nlanguages > 0 ? site->languages[0] : NULL;
    for (int i = 0; s && i < s->ntimers; i++) {
        const wf_task *tm = &s->timers[i];
        char ref[160];
        snprintf(ref, sizeof ref, "timer:%s", tm->id);
        int64_t open = 0;
        int rc = fr_store_query_int(site->store, err, &open,
                                    "SELECT count(*) FROM tasks WHERE case_id = ? AND status ="
                                    " 'open' AND origin = 'timer' AND origin_ref = ?",
                                    "It", c->id, ref);
        if (rc)
            return rc;
        if (open)
            continue;
        char *last = NULL;
        rc = fr_store_query_text(site->store, err, &last,
                                 "SELECT max(substr(done_at, 1, 10)) FROM tasks WHERE case_id = ?"
                                 " AND status = 'done' AND origin = 'timer' AND origin_ref = ?",
                                 "It", c->id, ref);
        if (rc && rc != FR_ENOTFOUND)
            return rc;
        char base[FR_TIME_LEN], due[FR_TIME_LEN];
        snprintf(base, sizeof base, "%s", last && strcmp(last, c->since) > 0 ? last : c->since);
        free(last);
        fr_duration d;
        if ((rc = fr_duration_parse(tm->every, &d, err)) || (rc = fr_date_add(base, &d, due, err)))
            return rc;
        char title_ref[320];
        snprintf(title_ref, sizeof title_ref, "%s/%d/%s", c->workflow, c->version, ref);
        fr_task_new t = {.case_id = c->id,
                         .title = wf_task_title(tm, lang),
                         .due_on = due,
                         .origin = "timer",
                         .origin_ref = ref,
                         .title_ref = title_ref};
        int64_t id;
        if ((rc = fr_task_create(site, &t, &id, err)))
            return rc;
        (*created)++;
    }
    return 0;
}

int fr_task_case_timers(fr_site *site, int64_t case_id, int *created, fr_error *err)
{
    fr_stmt *st;
    int n = 0;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT workflow_id, workflow_version, state,"
                            " substr(state_since, 1, 10) FROM cases WHERE id = ? AND"
                            " status = 'open'",
                            "I", case_id);
    if (rc)
        return rc;
    open_case c = {.id = case_id};
    if ((rc = fr_stmt_step(st, err)) == 1) {
        snprintf(c.workflow, sizeof c.workflow, "%s", fr_stmt_text(st, 0));
        c.version = (int)fr_stmt_int(st, 1);
        snprintf(c.state, sizeof c.state, "%s", fr_stmt_text(st, 2));
        snprintf(c.since, sizeof c.since, "%s", fr_stmt_text(st, 3));
    }
    fr_stmt_done(st);
    if (rc < 0)
        return rc;
    return rc == 1 ? case_timers(site, &c, created ? created : &n, err) : 0;
}

static int all_timers(fr_site *site, int *created, fr_error *err)
{
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT id, workflow_id, workflow_version, state,"
                            " substr(state_since, 1, 10) FROM cases WHERE status = 'open'"
                            " ORDER BY id",
                            NULL);
    if (rc)
        return rc;
    open_case *cases = NULL;
    int n = 0;
    while ((rc = fr_stmt_step(st, err)) == 1) {
        open_case *nc = realloc(cases, (size_t)(n + 1) * sizeof *nc);
        if (!nc) {
            rc = fr_error_set(err, FR_ENOMEM, "out of memory");
            break;
        }
        cases = nc;
        open_case *c = &cases[n++];
        c->id = fr_stmt_int(st, 0);
        snprintf(c->workflow, sizeof c->workflow, "%s", fr_stmt_text(st, 1));
        c->version = (int)fr_stmt_int(st, 2);
        snprintf(c->state, sizeof c->state, "%s", fr_stmt_text(st, 3));
        snprintf(c->since, sizeof c->since, "%s", fr_stmt_text(st, 4));
    }
    fr_stmt_done(st);
    if (rc > 0)
        rc = 0;
    for (int i = 0; !rc && i < n; i++)
        rc = case_timers(site, &cases[i], created, err);
    free(cases);
    return rc;
}

/* Emits `topic` once for each open task selected by `where` (a condition
 * on due_on against ?1 = today) and sets its `flag` column. */
static int emit_once(fr_site *site, const char *today, const char *topic, const char *where,
                     const char *flag, int *count, fr_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT id, coalesce(case_id, 0), due_on, origin, origin_ref FROM tasks"
             " WHERE status = 'open' AND due_on IS NOT NULL AND %s AND %s = 0 ORDER BY due_on, id",
             where, flag);
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st, sql, "t", today);
    if (rc)
        return rc;
    json_t *events = json_array();
    while ((rc = fr_stmt_step(st, err)) == 1)
        json_array_append_new(events, json_pack("{s:I,s:I,s:s,s:s,s:s?}", "task_id",
                                                (json_int_t)fr_stmt_int(st, 0), "case_id",
                                                (json_int_t)fr_stmt_int(st, 1), "due_on",
                                                fr_stmt_text(st, 2), "origin", fr_stmt_text(st, 3),
                                                "origin_ref", fr_stmt_text(st, 4)));
    fr_stmt_done(st);
    if (rc > 0)
        rc = 0;
    snprintf(sql, sizeof sql, "UPDATE tasks SET %s = 1 WHERE id = ?", flag);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        if (rc)
            break;
        int64_t case_id = json_integer_value(json_object_get(e, "case_id"));
        int64_t task_id = json_integer_value(json_object_get(e, "task_id"));
        json_object_del(e, "case_id");
        rc = fr_store_execf(site->store, err, sql, "I", task_id);
        if (!rc)
            rc = publish(site, topic, case_id, json_incref(e), err);
        if (!rc)
            (*count)++;
    }
    json_decref(events);
    return rc;
}

int fr_task_tick(fr_site *site, fr_tick_stats *stats, fr_error *err)
{
    fr_tick_stats local = {0};
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    int rc = fr_store_begin(site->store, err);
    if (rc)
        return rc;
    /* Timers first, so that a timer task due today is announced today. */
    rc = all_timers(site, &local.timers, err);
    if (!rc)
        rc = emit_once(site, today, "task.due", "due_on <= ?1", "due_emitted", &local.due, err);
    if (!rc)
        rc = emit_once(site, today, "task.overdue", "due_on < ?1", "overdue_emitted",
                       &local.overdue, err);
    if ((rc = finish(site, rc, err)))
        return rc;
    fr_bus_stats bs = {0};
    rc = fr_bus_deliver(site, &bs, err);
    local.delivered = bs.delivered;
    if (stats)
        *stats = local;
    return rc;
}
