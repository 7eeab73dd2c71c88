/* The care plan, caseload and the Kaiser pyramid level (core/care.h).
 * Referrals and meetings are in care_meeting.c. The plan's actions with a
 * due date are tasks on the échéancier: task.c keeps their reminders. */
#include "care.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <filrouge/case.h>

#include "access.h"
#include "audit.h"
#include "clock.h"
#include "plugin.h"
#include "record.h"
#include "task.h"
#include "text.h"

/* ---- caseload ---- */

static double setting_number(const fr_site *site, const char *name, double fallback)
{
    const char *v = fr_site_setting(site, NULL, name);
    char *end = NULL;
    double d = v ? strtod(v, &end) : 0;
    return v && end && *end == '\0' && d >= 0 ? d : fallback;
}

static int by_ratio(const void *a, const void *b)
{
    double x = json_real_value(json_object_get(*(json_t *const *)a, "ratio"));
    double y = json_real_value(json_object_get(*(json_t *const *)b, "ratio"));
    return (x < y) - (x > y);
}

double fr_caseload_weight(const fr_site *site, int intensity)
{
    static const double defaults[5] = {0, 0.5, 1, 1.5, 2};
    if (intensity < 1 || intensity > 4)
        intensity = 4; /* as the case's CHECK allows no other */
    char name[32];
    snprintf(name, sizeof name, "caseload.weight.%d", intensity);
    return setting_number(site, name, defaults[intensity]);
}

/* The caseload's rows: every active case manager and administrator, or
 * only user_id (when not 0), with load, capacity and ratio worked out. */
static int caseload_rows(fr_site *site, int64_t user_id, json_t **out, fr_error *err)
{
    double clinical = setting_number(site, "caseload.capacity.clinical", 40);
    double social = setting_number(site, "caseload.capacity.social", 60);
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    json_t *rows = NULL;
    int rc = fr_store_query_json(
        site->store, err, &rows,
        "SELECT u.login, u.display_name, u.role, u.capacity AS own_capacity,"
        " (SELECT count(*) FROM cases c WHERE c.case_manager_id = u.id AND c.status = 'open')"
        "   AS open_cases,"
        " (SELECT coalesce(sum(CASE c.intensity WHEN 1 THEN ?1 WHEN 2 THEN ?2 WHEN 3 THEN ?3"
        "   ELSE ?4 END), 0.0) FROM cases c WHERE c.case_manager_id = u.id AND"
        "   c.status = 'open') AS load,"
        " (SELECT count(*) FROM cases c WHERE c.case_manager_id = u.id AND c.status = 'open'"
        "   AND c.model = 'social') AS social_cases,"
        " (SELECT count(*) FROM tasks t JOIN cases c ON c.id = t.case_id WHERE"
        "   c.case_manager_id = u.id AND t.status = 'open' AND t.due_on < ?5) AS overdue_tasks"
        " FROM users u WHERE u.active = 1 AND u.role IN ('case_manager', 'admin')"
        " AND (?6 = 0 OR u.id = ?6) ORDER BY u.login",
        "ddddtI", fr_caseload_weight(site, 1), fr_caseload_weight(site, 2),
        fr_caseload_weight(site, 3), fr_caseload_weight(site, 4), today, user_id);
    if (rc)
        return rc;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        json_int_t open = json_integer_value(json_object_get(r, "open_cases"));
        json_int_t soc = json_integer_value(json_object_get(r, "social_cases"));
        json_t *own = json_object_get(r, "own_capacity");
        double own_capacity = json_is_number(own) ? json_number_value(own) : 0;
        /* A user's own capacity wins (part-time, rural); else the site's
         * figure for the kind of case management they mostly do — for a
         * case manager, or an administrator who manages cases: one who
         * manages none has none (0), not a full-time case manager's. */
        int manager = strcmp(json_string_value(json_object_get(r, "role")), "case_manager") == 0;
        double capacity = own_capacity > 0             ? own_capacity
                          : !manager && open == 0      ? 0
                          : open > 0 && soc * 2 > open ? social
                                                       : clinical;
        double load = json_number_value(json_object_get(r, "load"));
        json_object_set_new(r, "load", json_real(load));
        json_object_set_new(r, "capacity", json_real(capacity));
        json_object_set_new(r, "ratio", json_real(capacity > 0 ? load / capacity : 0));
        json_object_del(r, "social_cases");
        json_object_del(r, "own_capacity");
        json_object_del(r, "role");
    }
    *out = rows;
    return 0;
}

int fr_caseload_of(fr_site *site, int64_t user_id, double *load, double *capacity, fr_error *err)
{
    json_t *rows = NULL;
    *load = 0;
    *capacity = 0; /* a role that manages no case, or deactivated: none */
    int rc = caseload_rows(site, user_id, &rows, err);
    json_t *row = rc ? NULL : json_array_get(rows, 0);
    if (row) {
        *load = json_real_value(json_object_get(row, "load"));
        *capacity = json_real_value(json_object_get(row, "capacity"));
    }
    json_decref(rows);
    return rc;
}

int fr_caseload(fr_site *site, json_t **out, fr_error *err)
{
    *out = NULL;
    json_t *rows = NULL;
    int rc = caseload_rows(site, 0, &rows, err);
    if (rc)
        return rc;
    size_t i, n = json_array_size(rows);
    json_t **v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        json_decref(rows);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    json_t *r;
    json_array_foreach(rows, i, r) v[i] = json_incref(r);
    qsort(v, n, sizeof *v, by_ratio);
    json_t *sorted = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(sorted, v[i]);
    free(v);
    json_decref(rows);
    *out = sorted;
    return 0;
}

/* ---- the Kaiser Permanente pyramid ---- */

static int check_level(int level, fr_error *err)
{
    if (level < 1 || level > 3)
        return fr_error_set(err, FR_EINVAL,
                            "level: %d is not a level of the pyramid; use 1 (self-care support), "
                            "2 (assisted care management) or 3 (intensive case management)",
                            level);
    return 0;
}

int fr_case_suggest_pyramid(fr_site *site, int64_t case_id, int level, fr_error *err)
{
    int rc = check_level(level, err);
    if (rc || (rc = fr_access_case(site, case_id, FR_WRITE, err)) ||
        (rc = fr_store_begin(site->store, err)))
        return rc;
    /* The suggestion becomes the level unless a person chose one. */
    rc = fr_store_execf(site->store, err,
                        "UPDATE cases SET pyramid_suggested = ?1, pyramid_level = CASE WHEN"
                        " pyramid_reason IS NULL THEN ?1 ELSE pyramid_level END WHERE id = ?2",
                        "iI", level, case_id);
    return fr_record_commit(site, rc, "suggest-level", "case", case_id, case_id,
                            json_pack("{s:i}", "suggested", level), "case.level-suggested", err);
}

int fr_case_set_pyramid(fr_site *site, int64_t case_id, int level, const char *reason,
                        fr_error *err)
{
    int rc = check_level(level, err);
    if (rc || (rc = fr_access_case(site, case_id, FR_WRITE, err)))
        return rc;
    int64_t suggested = 0;
    rc = fr_store_query_int(site->store, err, &suggested,
                            "SELECT coalesce(pyramid_suggested, 0) FROM cases WHERE id = ?", "I",
                            case_id);
    if (rc)
        return rc;
    if (suggested && suggested != level && (!reason || strlen(reason) < 5))
        return fr_error_set(err, FR_EINVAL,
                            "reason: the rules suggest level %" PRId64 "; say why this case is at "
                            "level %d (--reason)",
                            suggested, level);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE cases SET pyramid_level = ?, pyramid_reason = ? WHERE id = ?",
                        "itI", level, reason && *reason ? reason : "set by the case manager",
                        case_id);
    return fr_record_commit(site, rc, "set-level", "case", case_id, case_id,
                            json_pack("{s:i,s:I,s:s?}", "level", level, "suggested",
                                      (json_int_t)suggested, "reason", reason),
                            "case.level-changed", err);
}

/* ---- the care plan ---- */

static int case_of(fr_site *site, const char *table, int64_t id, int64_t *case_id, fr_error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT case_id FROM %s WHERE id = ?", table);
    int rc = fr_store_query_int(site->store, err, case_id, sql, "I", id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no %s %" PRId64,
                            strcmp(table, "care_goals") == 0     ? "goal"
                            : strcmp(table, "care_actions") == 0 ? "action"
                            : strcmp(table, "referrals") == 0    ? "referral"
                                                                 : "meeting",
                            id);
    return rc;
}

int fr_care_goal_add(fr_site *site, int64_t case_id, const char *title, int64_t *id,
                     fr_error *err)
{
    if (fr_text_blank(title))
        return fr_error_set(err, FR_EINVAL, "title: a goal needs a title, in the person's words");
    int rc = fr_text_check("title", title, FR_TEXT_TITLE_MAX, 0, err);
    if (rc)
        return rc;
    rc = fr_access_case(site, case_id, FR_WRITE, err);
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if (rc || (rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "INSERT INTO care_goals (case_id, title, created_at, created_by)"
                        " VALUES (?, ?, ?, ?)",
                        "Ittt", case_id, title, now, site->actor);
    int64_t gid = fr_store_last_id(site->store);
    rc = fr_record_commit(site, rc, "create", "goal", gid, case_id,
                          json_pack("{s:I}", "case", (json_int_t)case_id), "careplan.changed", err);
    if (!rc && id)
        *id = gid;
    return rc;
}

int fr_care_goal_close(fr_site *site, int64_t goal_id, const char *status, fr_error *err)
{
    int64_t case_id = 0;
    if (!status || (strcmp(status, "achieved") && strcmp(status, "dropped")))
        return fr_error_set(err, FR_EINVAL, "status: a goal is closed as achieved or dropped");
    int rc = case_of(site, "care_goals", goal_id, &case_id, err);
    if (rc || (rc = fr_access_case(site, case_id, FR_WRITE, err)))
        return rc;
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE care_goals SET status = ?, closed_on = ? WHERE id = ? AND status ="
                        " 'open'",
                        "ttI", status, today, goal_id);
    if (!rc && fr_store_changes(site->store) == 0)
        rc = fr_error_set(err, FR_ECONFLICT, "goal %" PRId64 " is already closed", goal_id);
    return fr_record_commit(site, rc, "update", "goal", goal_id, case_id,
                            json_pack("{s:s}", "status", status), "careplan.changed", err);
}

int fr_care_action_add(fr_site *site, const fr_action_new *a, int64_t *id, fr_error *err)
{
    int64_t uid = 0, task = 0;
    char *member_name = NULL;
    const char *origin = a->origin ? a->origin : "plan";
    if (fr_text_blank(a->title))
        return fr_error_set(err, FR_EINVAL, "title: say what is to be done");
    if (fr_text_check("title", a->title, FR_TEXT_TITLE_MAX, 0, err))
        return err->code;
    if (a->due_on && !fr_date_valid(a->due_on))
        return fr_error_set(err, FR_EINVAL, "due: '%s' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                            a->due_on);
    int rc = fr_access_case(site, a->case_id, FR_WRITE, err);
    if (!rc && a->user && *a->user)
        rc = fr_user_id(site, a->user, &uid, err);
    if (!rc && a->member_id) {
        rc = fr_store_query_text(site->store, err, &member_name,
                                 "SELECT name FROM network_members WHERE id = ? AND case_id = ?",
                                 "II", a->member_id, a->case_id);
        if (rc == FR_ENOTFOUND)
            rc = fr_error_set(err, FR_ENOTFOUND,
                              "member: %" PRId64 " is not in this case's network; see `filrouge "
                              "network list %" PRId64 "`",
                              a->member_id, a->case_id);
    }
    if (!rc && a->goal_id) {
        int64_t gcase = 0;
        rc = case_of(site, "care_goals", a->goal_id, &gcase, err);
        if (!rc && gcase != a->case_id)
            rc = fr_error_set(err, FR_EINVAL, "goal: goal %" PRId64 " belongs to another case",
                              a->goal_id);
    }
    const char *responsible = !fr_text_blank(a->responsible) ? a->responsible
                              : member_name                  ? member_name
                              : a->user && *a->user          ? a->user
                                                             : NULL;
    if (!rc && !responsible)
        rc = fr_error_set(err, FR_EINVAL,
                          "responsible: say who does it (a name, --user LOGIN or --member ID)");
    if (!rc)
        rc = fr_text_check("responsible", responsible, FR_TEXT_NAME_MAX, 0, err);
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if (rc || (rc = fr_store_begin(site->store, err))) {
        free(member_name);
        return rc;
    }
    /* The due date goes on the échéancier of the responsible user, or of
     * the case manager when the responsible party is not a user. */
    if (a->due_on) {
        fr_task_new t = {.case_id = a->case_id,
                         .title = a->title,
                         .assignee_id = uid,
                         .due_on = a->due_on,
                         .origin = strcmp(origin, "plan") == 0 ? "person" : "plugin",
                         .origin_ref = strcmp(origin, "meeting") == 0 ? "meeting" : "careplan"};
        rc = fr_task_create(site, &t, &task, err);
    }
    if (!rc)
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO care_actions (case_id, goal_id, title, responsible,"
                            " member_id, user_id, due_on, task_id, origin, origin_id, created_at,"
                            " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            "IRttRRtRtRtt", a->case_id, a->goal_id, a->title, responsible,
                            a->member_id, uid, a->due_on, task, origin, a->origin_id, now,
                            site->actor);
    int64_t aid = fr_store_last_id(site->store);
    free(member_name);
    rc = fr_record_commit(site, rc, "create", "action", aid, a->case_id,
                          json_pack("{s:I,s:s}", "case", (json_int_t)a->case_id, "origin", origin),
                          "careplan.changed", err);
    if (!rc && id)
        *id = aid;
    return rc;
}

int fr_care_action_done(fr_site *site, int64_t action_id, fr_error *err)
{
    int64_t case_id = 0, task = 0;
    int rc = case_of(site, "care_actions", action_id, &case_id, err);
    if (rc || (rc = fr_access_case(site, case_id, FR_WRITE, err)))
        return rc;
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    fr_store_query_int(site->store, err, &task,
                       "SELECT coalesce(task_id, 0) FROM care_actions WHERE id = ?", "I",
                       action_id);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE care_actions SET status = 'done', done_on = ? WHERE id = ? AND"
                        " status = 'open'",
                        "tI", today, action_id);
    if (!rc && fr_store_changes(site->store) == 0)
        rc = fr_error_set(err, FR_ECONFLICT, "action %" PRId64 " is not open", action_id);
    if (!rc && task) {
        int64_t open = 0;
        rc = fr_store_query_int(site->store, err, &open,
                                "SELECT count(*) FROM tasks WHERE id = ? AND status = 'open'", "I",
                                task);
        if (!rc && open)
            rc = fr_task_done(site, task, err);
    }
    return fr_record_commit(site, rc, "update", "action", action_id, case_id,
                            json_pack("{s:s}", "status", "done"), "careplan.changed", err);
}

/* The plan as approved: goals and actions, without ids that change
 * nothing for the person. Compared to decide whether it changed since. */
static int plan_snapshot(fr_site *site, int64_t case_id, char **out, fr_error *err)
{
    json_t *plan = NULL;
    int rc = fr_store_query_json(site->store, err, &plan,
                                 "SELECT 'goal' AS kind, id, title, status, NULL AS responsible,"
                                 " NULL AS due_on FROM care_goals WHERE case_id = ?1 AND status ="
                                 " 'open' UNION ALL SELECT 'action', id, title, status,"
                                 " responsible, due_on FROM care_actions WHERE case_id = ?1 AND"
                                 " status = 'open' ORDER BY 1, 2",
                                 "I", case_id);
    if (rc)
        return rc;
    *out = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(plan);
    return *out ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
}

int fr_care_plan_get(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = fr_access_case(site, case_id, FR_READ, err);
    if (rc)
        return rc;
    json_t *goals = NULL, *actions = NULL, *approval = NULL;
    char *now_plan = NULL;
    if ((rc = fr_store_query_json(site->store, err, &goals,
                                  "SELECT id, title, status, closed_on FROM care_goals WHERE"
                                  " case_id = ? ORDER BY status = 'open' DESC, id",
                                  "I", case_id)) ||
        (rc = fr_store_query_json(site->store, err, &actions,
                                  "SELECT a.id, a.goal_id, a.title, a.responsible, a.due_on,"
                                  " a.status, a.origin, a.origin_id, a.done_on, a.task_id"
                                  " FROM care_actions a WHERE a.case_id = ? ORDER BY"
                                  " a.status = 'open' DESC, a.due_on IS NULL, a.due_on, a.id",
                                  "I", case_id)))
        goto out;
    rc = fr_store_query_row(site->store, err, &approval,
                            "SELECT approved_on, approved_by, how, note, plan, recorded_by FROM"
                            " care_plan_approvals WHERE case_id = ? ORDER BY id DESC LIMIT 1",
                            "I", case_id);
    if (rc == FR_ENOTFOUND)
        rc = 0;
    if (rc || (rc = plan_snapshot(site, case_id, &now_plan, err)))
        goto out;
    int changed = !approval || strcmp(json_string_value(json_object_get(approval, "plan")),
                                      now_plan) != 0;
    if (approval)
        json_object_del(approval, "plan");
    *out = json_pack("{s:I,s:o,s:o,s:o,s:b}", "case_id", (json_int_t)case_id, "goals", goals,
                     "actions", actions, "approval", approval ? approval : json_null(),
                     "needs_approval", changed && json_array_size(goals) > 0);
    goals = actions = approval = NULL;
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, case_id);
    rc = fr_audit_alone(site->store, site->actor, "read", "careplan", oid, NULL, err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
out:
    json_decref(goals);
    json_decref(actions);
    json_decref(approval);
    free(now_plan);
    return rc;
}

int fr_care_plan_state(fr_site *site, int64_t case_id, int *goals, char approved_on[16],
                       int *current, fr_error *err)
{
    int64_t n = 0;
    char *plan = NULL, *approved = NULL, *on = NULL;
    *goals = 0;
    *current = 0;
    approved_on[0] = '\0';
    int rc = fr_store_query_int(site->store, err, &n,
                                "SELECT count(*) FROM care_goals WHERE case_id = ? AND status ="
                                " 'open'",
                                "I", case_id);
    if (rc)
        return rc;
    *goals = (int)n;
    rc = fr_store_query_text(site->store, err, &approved,
                             "SELECT plan FROM care_plan_approvals WHERE case_id = ? ORDER BY id"
                             " DESC LIMIT 1",
                             "I", case_id);
    if (rc == FR_ENOTFOUND)
        return 0;
    if (!rc)
        rc = fr_store_query_text(site->store, err, &on,
                                 "SELECT approved_on FROM care_plan_approvals WHERE case_id = ?"
                                 " ORDER BY id DESC LIMIT 1",
                                 "I", case_id);
    if (!rc)
        rc = plan_snapshot(site, case_id, &plan, err);
    if (!rc) {
        snprintf(approved_on, 16, "%s", on ? on : "");
        *current = approved && strcmp(approved, plan) == 0;
    }
    free(plan);
    free(approved);
    free(on);
    return rc;
}

int fr_care_plan_approve(fr_site *site, int64_t case_id, const char *by, const char *how,
                         const char *on, const char *note, fr_error *err)
{
    char today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    if (fr_text_blank(by))
        return fr_error_set(err, FR_EINVAL,
                            "by: who approved the plan (the person, or their representative)");
    if (fr_text_check("by", by, FR_TEXT_NAME_MAX, 0, err) ||
        fr_text_check("note", note, FR_TEXT_LONG_MAX, 1, err))
        return err->code;
    if (!how || (strcmp(how, "signed") && strcmp(how, "oral") && strcmp(how, "representative")))
        return fr_error_set(err, FR_EINVAL, "how: signed, oral or representative");
    if (on && (!fr_date_valid(on) || strcmp(on, today) > 0))
        return fr_error_set(err, FR_EINVAL, "on: '%s' must be a date that is not in the future",
                            on);
    int rc = fr_access_case(site, case_id, FR_WRITE, err);
    int64_t goals = 0;
    if (!rc && on)
        rc = fr_case_check_after_opening(site, case_id, "on", on, err);
    if (rc || (rc = fr_store_query_int(site->store, err, &goals,
                                       "SELECT count(*) FROM care_goals WHERE case_id = ? AND"
                                       " status = 'open'",
                                       "I", case_id)))
        return rc;
    if (goals == 0)
        return fr_error_set(err, FR_EREFUSED,
                            "the plan of case %" PRId64 " has no open goal yet: add the goals "
                            "agreed with the person before recording their approval",
                            case_id);
    char *plan = NULL;
    if ((rc = plan_snapshot(site, case_id, &plan, err)))
        return rc;
    if ((rc = fr_store_begin(site->store, err))) {
        free(plan);
        return rc;
    }
    rc = fr_store_execf(site->store, err,
                        "INSERT INTO care_plan_approvals (case_id, approved_on, approved_by, how,"
                        " note, plan, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        "Ittttttt", case_id, on ? on : today, by, how, note, plan, now,
                        site->actor);
    free(plan);
    return fr_record_commit(site, rc, "approve", "careplan", case_id, case_id,
                            json_pack("{s:s,s:s}", "how", how, "on", on ? on : today),
                            "careplan.approved", err);
}

/* ---- the SDK's face of the above (sdk/include/filrouge/case.h) ---- */

/* A plugin acts as itself: its id in the audit trail, the system's reach
 * (its rules run on every case of the site). */
typedef struct acting_as {
    char actor[sizeof ((fr_site *)0)->actor];
    int64_t id;
    char role[sizeof ((fr_site *)0)->actor_role];
} acting_as;

static void act_as_plugin(fr_site *site, const fr_plugin_ctx *ctx, acting_as *saved)
{
    memcpy(saved->actor, site->actor, sizeof saved->actor);
    memcpy(saved->role, site->actor_role, sizeof saved->role);
    saved->id = site->actor_id;
    snprintf(site->actor, sizeof site->actor, "plugin:%s", fr_plugin_id(ctx));
    site->actor_id = 0;
}

static void act_as_before(fr_site *site, const acting_as *saved)
{
    memcpy(site->actor, saved->actor, sizeof site->actor);
    memcpy(site->actor_role, saved->role, sizeof site->actor_role);
    site->actor_id = saved->id;
}

FR_API int fr_case_suggest_level(fr_plugin_ctx *ctx, int64_t case_id, int level, fr_error *err)
{
    fr_site *site = fr_plugin_ctx_site(ctx);
    acting_as saved;
    act_as_plugin(site, ctx, &saved);
    int rc = fr_case_suggest_pyramid(site, case_id, level, err);
    act_as_before(site, &saved);
    return rc;
}

FR_API int fr_case_add_task(fr_plugin_ctx *ctx, int64_t case_id, const char *title,
                            const char *due_on, int64_t *task_id, fr_error *err)
{
    fr_site *site = fr_plugin_ctx_site(ctx);
    if (fr_text_blank(title))
        return fr_error_set(err, FR_EINVAL, "a task needs a title");
    if (due_on && !fr_date_valid(due_on))
        return fr_error_set(err, FR_EINVAL, "due date '%s' is not YYYY-MM-DD", due_on);
    acting_as saved;
    act_as_plugin(site, ctx, &saved);
    char ref[96];
    snprintf(ref, sizeof ref, "plugin:%s", fr_plugin_id(ctx));
    fr_task_new t = {.case_id = case_id,
                     .title = title,
                     .due_on = due_on,
                     .origin = "plugin",
                     .origin_ref = ref};
    int64_t id = 0;
    int rc = fr_task_create(site, &t, &id, err);
    act_as_before(site, &saved);
    if (!rc && task_id)
        *task_id = id;
    return rc;
}

FR_API int fr_case_cancel_task(fr_plugin_ctx *ctx, int64_t task_id, const char *reason,
                               fr_error *err)
{
    fr_site *site = fr_plugin_ctx_site(ctx);
    acting_as saved;
    act_as_plugin(site, ctx, &saved);
    int rc = fr_task_cancel(site, task_id, reason, err);
    act_as_before(site, &saved);
    return rc;
}
