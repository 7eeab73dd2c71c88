/* The record's cases and their networks, and reading the audit trail.
 * Opening, closing and reopening go through the workflow engine (each is a
 * transition); this file keeps the case row's other facts: who manages it,
 * its intensity, its network. */
#include "record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "settings.h"
#include "task.h"
#include "text.h"
#include "workflow.h"

int fr_record_commit(fr_site *site, int rc, const char *action, const char *object_type,
                     int64_t object_id, int64_t case_id, json_t *detail, const char *topic,
                     fr_error *err)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    if (!rc)
        rc = fr_audit_appendi(site->store, site->actor, action, object_type, object_id, text, err);
    if (!rc && topic)
        rc = fr_bus_publish_compact(site, topic, case_id, text, err);
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    free(text);
    json_decref(detail);
    return rc;
}

static int finish(fr_site *site, int rc, const char *action, int64_t case_id, json_t *detail,
                  const char *topic, fr_error *err)
{
    return fr_record_commit(site, rc, action, "case", case_id, case_id, detail, topic, err);
}

static int manager_id(fr_site *site, const char *login, int64_t *id, fr_error *err)
{
    char *role = NULL;
    int rc = fr_user_id(site, login, id, err);
    if (rc)
        return rc;
    if ((rc = fr_store_query_text(site->store, err, &role, "SELECT role FROM users WHERE id = ?",
                                  "I", *id)))
        return rc;
    if (strcmp(role, "case_manager") != 0 && strcmp(role, "admin") != 0)
        rc = fr_error_set(err, FR_EINVAL,
                          "manager: '%s' is a %s user; a case manager must have the "
                          "case_manager (or admin) role",
                          login, role);
    free(role);
    return rc;
}

/* The models of case management (DOMAIN.md): the caseload's capacity and
 * the workflows' guards (@model) read them, so a misspelt one would count
 * the case wrongly and stop a transition later. NULL or "": none yet. */
static int check_model(const char *model, fr_error *err)
{
    static const char *const models[] = {"clinical", "social", "broker"};
    if (!model || !*model)
        return 0;
    for (size_t i = 0; i < 3; i++)
        if (strcmp(model, models[i]) == 0)
            return 0;
    const char *near = fr_nearest_name(model, models, 3);
    return fr_error_set(err, FR_EINVAL,
                        "model: '%.40s' is not a model of case management%s%s%s; use clinical, "
                        "social or broker",
                        model, near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
}

/* An opening date (given at opening or corrected later): a date, not in
 * the future, not before the patient's birth. */
static int check_opened(fr_site *site, int64_t patient_id, const char *opened, fr_error *err)
{
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    if (!fr_date_valid(opened) || strcmp(opened, today) > 0)
        return fr_error_set(err, FR_EINVAL,
                            "opened: '%s' must be a date (DD/MM/YYYY or YYYY-MM-DD) that is not "
                            "in the future",
                            opened);
    char *birth = NULL;
    int rc = fr_store_query_text(site->store, err, &birth,
                                 "SELECT birth_date FROM patients WHERE id = ?", "I", patient_id);
    if (rc && rc != FR_ENOTFOUND)
        return rc;
    fr_error_clear(err);
    char on[32], born[32];
    rc = birth && *birth && strcmp(opened, birth) < 0
             ? fr_error_set(err, FR_EINVAL,
                            "opened: %s is before the patient's birth (%s); check the date",
                            fr_clock_human(opened, on), fr_clock_human(birth, born))
             : 0;
    free(birth);
    return rc;
}

int fr_case_open(fr_site *site, const fr_case_new *c, int64_t *id, fr_error *err)
{
    const fr_workflow *wf = NULL;
    int64_t mid = 0, tid = 0;
    int rc;
    char today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    if (!fr_access_has_role(site, "admin case_manager")) {
        fr_access_refused_role(site, "case", "*");
        return fr_error_set(err, FR_EACCESS,
                            "only case managers and administrators can open cases (you are '%s', "
                            "%s)",
                            site->actor, site->actor_role);
    }
    if ((rc = fr_access_patient(site, c->patient_id, FR_WRITE, err)))
        return rc;
    if (!c->workflow || !*c->workflow)
        return fr_error_set(err, FR_EINVAL,
                            "workflow: say which workflow the case follows (--workflow); see "
                            "`filrouge workflow list`");
    if (c->intensity < 0 || c->intensity > 4)
        return fr_error_set(err, FR_EINVAL, "intensity: %d is outside 1 (light) to 4 (intensive)",
                            c->intensity);
    if ((rc = check_model(c->model, err)))
        return rc;
    if (c->opened_on && (rc = check_opened(site, c->patient_id, c->opened_on, err)))
        return rc;
    if ((rc = fr_workflows_get(site, c->workflow, 0, &wf, err)))
        return rc;
    char *plugin = NULL;
    if ((rc = fr_store_query_text(site->store, err, &plugin,
                                  "SELECT plugin FROM workflows WHERE id = ? AND version = ?",
                                  "ti", c->workflow, fr_workflow_version(wf))))
        return rc == FR_ENOTFOUND ? fr_error_set(err, FR_ENOTFOUND, "workflow '%s' is not stored",
                                                 c->workflow)
                                  : rc;
    if (c->plugin && *c->plugin && strcmp(c->plugin, plugin) != 0) {
        rc = fr_error_set(err, FR_EINVAL, "plugin: workflow '%s' is provided by plugin '%s', not '%s'",
                          c->workflow, plugin, c->plugin);
        goto out;
    }
    if (c->manager && *c->manager)
        rc = manager_id(site, c->manager, &mid, err);
    else if (site->actor_id && strcmp(site->actor_role, "case_manager") == 0)
        mid = site->actor_id; /* a case manager opening a case manages it */
    if (!rc && c->team && *c->team)
        rc = fr_team_id(site, c->team, &tid, err);
    if (rc)
        goto out;
    const char *opened = c->opened_on ? c->opened_on : today;
    if ((rc = fr_store_begin(site->store, err)))
        goto out;
    rc = fr_store_execf(site->store, err,
                        "INSERT INTO cases (patient_id, plugin, workflow_id, workflow_version, "
                        "state, case_manager_id, team_id, intensity, model, opened_on, "
                        "state_since, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                        "?, ?, ?, ?)",
                        "IttitRRittttt", c->patient_id, plugin, c->workflow,
                        fr_workflow_version(wf), fr_workflow_initial(wf), mid, tid,
                        c->intensity ? c->intensity : 1, c->model, opened, opened, now, now);
    int64_t cid = fr_store_last_id(site->store);
    if (!rc)
        rc = fr_workflow_start(site, cid, opened, err);
    json_t *d = json_pack("{s:I,s:s,s:s,s:i}", "patient_id", (json_int_t)c->patient_id,
                          "workflow", c->workflow, "plugin", plugin, "version",
                          fr_workflow_version(wf));
    rc = finish(site, rc, "create", cid, d, "case.opened", err);
    if (!rc && id)
        *id = cid;
out:
    free(plugin);
    return rc;
}

int fr_case_patient(fr_site *site, int64_t case_id, int64_t *patient_id, fr_error *err)
{
    int rc = fr_store_query_int(site->store, err, patient_id,
                                "SELECT patient_id FROM cases WHERE id = ?", "I", case_id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no case %" PRId64, case_id);
    return rc;
}

int fr_case_get(fr_site *site, int64_t id, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = fr_access_case(site, id, FR_READ, err);
    if (rc)
        return rc;
    json_t *cs = NULL, *part = NULL;
    char **events = NULL;
    if ((rc = fr_store_query_row(
             site->store, err, &cs,
             "SELECT c.id, c.patient_id, c.plugin, c.workflow_id AS workflow,"
             " c.workflow_version, c.state, c.status, c.intensity, c.model, c.opened_on,"
             " c.closed_on, c.state_since, c.row_version, u.login AS case_manager,"
             " u.display_name AS case_manager_name, t.name AS team FROM cases c"
             " LEFT JOIN users u ON u.id = c.case_manager_id"
             " LEFT JOIN teams t ON t.id = c.team_id WHERE c.id = ?",
             "I", id)))
        goto out;
    if ((rc = fr_store_query_row(site->store, err, &part,
                                 "SELECT p.id, p.family_name, p.given_names, p.birth_date, p.sex,"
                                 " p.phone, p.language FROM patients p JOIN cases c ON"
                                 " c.patient_id = p.id WHERE c.id = ?",
                                 "I", id)))
        goto out;
    json_object_set_new(cs, "patient", part);
    if ((rc = fr_store_query_json(site->store, err, &part,
                                  "SELECT name, date FROM case_dates WHERE case_id = ? ORDER BY "
                                  "date, name",
                                  "I", id)))
        goto out;
    json_object_set_new(cs, "dates", part);
    if ((rc = fr_network_list_unaudited(site, id, &part, err)))
        goto out;
    json_object_set_new(cs, "network", part);
    if ((rc = fr_store_query_json(site->store, err, &part,
                                  "SELECT id, event, from_state, to_state, workflow_version,"
                                  " effective_on, recorded_at, actor, note, migration FROM"
                                  " transitions"
                                  " WHERE case_id = ? ORDER BY effective_on, id",
                                  "I", id)))
        goto out;
    json_object_set_new(cs, "timeline", part);
    /* notes written by people, hooks and plugins (record_note.c) */
    if ((rc = fr_store_query_json(site->store, err, &part, FR_NOTES_SQL, "I", id)))
        goto out;
    json_object_set_new(cs, "notes", part);
    if ((rc = fr_store_query_json(site->store, err, &part,
                                  "SELECT t.id, t.title, u.login AS assignee, t.due_on, t.status,"
                                  " t.origin, t.origin_ref, t.title_ref FROM tasks t LEFT JOIN"
                                  " users u ON"
                                  " u.id = t.assignee_id WHERE t.case_id = ? AND t.status ="
                                  " 'open' ORDER BY t.due_on IS NULL, t.due_on, t.id",
                                  "I", id)))
        goto out;
    fr_task_titles_json(site, part, NULL);
    json_object_set_new(cs, "tasks", part);
    part = NULL;
    if ((rc = fr_workflow_allowed(site, id, &events, err)))
        goto out;
    json_t *allowed = json_array();
    for (char **e = events; e && *e; e++)
        json_array_append_new(allowed, json_string(*e));
    json_object_set_new(cs, "allowed_events", allowed);
    /* Names for people, in the acting user's language (workflow <title>s;
     * the ids when the workflow has none). */
    const fr_workflow *wf = NULL;
    fr_error werr = {0};
    const char *lang = site->actor_lang[0] ? site->actor_lang : NULL;
    const char *state = json_string_value(json_object_get(cs, "state"));
    if (state && fr_workflows_get(site, json_string_value(json_object_get(cs, "workflow")),
                                  (int)json_integer_value(json_object_get(cs, "workflow_version")),
                                  &wf, &werr) == 0) {
        json_t *titles = json_object();
        for (char **e = events; e && *e; e++)
            json_object_set_new(titles, *e, json_string(fr_workflow_event_title(wf, *e, lang)));
        json_object_set_new(cs, "event_titles", titles);
        json_object_set_new(cs, "state_title",
                            json_string(fr_workflow_state_title(wf, state, lang)));
    }
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "case", oid, NULL, err)))
        goto out;
    *out = cs;
    cs = NULL;
out:
    fr_strv_free(events);
    json_decref(cs);
    return rc;
}

int fr_case_list(fr_site *site, const fr_case_filter *f, json_t **out, fr_error *err)
{
    fr_case_filter none = {0};
    if (!f)
        f = &none;
    *out = NULL;
    int limit = f->limit > 0 && f->limit <= 500 ? f->limit : 100;
    if (f->status && strcmp(f->status, "open") && strcmp(f->status, "closed"))
        return fr_error_set(err, FR_EINVAL, "status: '%s' is not open or closed", f->status);
    /* A manager's caseload is the common case: resolve the login first so
     * that the query walks the (case_manager_id, status) index instead of
     * every case of the site. */
    int64_t manager = 0;
    if (f->manager) {
        int rc = fr_store_query_int(site->store, err, &manager,
                                    "SELECT id FROM users WHERE login = ?", "t", f->manager);
        if (rc == FR_ENOTFOUND)
            return fr_error_set(err, FR_ENOTFOUND, "manager: there is no user '%s'", f->manager);
        if (rc)
            return rc;
    }
    char filter[1024], sql[4096];
    fr_access_cases_row_sql(site, "c", filter, sizeof filter);
    /* The conditions are fixed fragments chosen by which filters are set
     * (never user text), so that each shape is a plan of its own. */
    snprintf(sql, sizeof sql,
             "SELECT * FROM (SELECT c.id, c.patient_id, p.family_name, p.given_names, c.plugin,"
             " c.workflow_id AS workflow, c.workflow_version, c.state, c.status, c.intensity,"
             " c.opened_on, c.closed_on, u.login AS case_manager,"
             " (SELECT min(t.due_on) FROM tasks t WHERE t.case_id = c.id AND t.status = 'open')"
             "   AS next_due,"
             " (SELECT count(*) FROM tasks t WHERE t.case_id = c.id AND t.status = 'open' AND"
             "   t.due_on < ?2) AS overdue"
             " FROM cases c JOIN patients p ON p.id = c.patient_id"
             " LEFT JOIN users u ON u.id = c.case_manager_id"
             " WHERE %s%s%s%s) AS l"
             " ORDER BY l.overdue > 0 DESC, l.next_due IS NULL, l.next_due, l.id"
             " LIMIT ?7 OFFSET ?8",
             filter, manager ? " AND c.case_manager_id = ?4" : " AND ?4 = 0",
             f->status ? " AND c.status = ?5" : " AND ?5 IS NULL",
             f->plugin ? " AND c.plugin = ?6" : " AND ?6 IS NULL");
    char today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    return fr_store_query_json(site->store, err, out, sql, "IttIttii", site->actor_id, today, now,
                               manager, f->status, f->plugin, limit,
                               f->offset > 0 ? f->offset : 0);
}

int fr_case_assign(fr_site *site, int64_t id, const char *manager, fr_error *err)
{
    int64_t mid = 0;
    char *previous = NULL;
    int rc = fr_access_case(site, id, FR_WRITE, err);
    if (rc || (rc = manager_id(site, manager, &mid, err)))
        return rc;
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    fr_store_query_text(site->store, err, &previous,
                        "SELECT u.login FROM cases c JOIN users u ON u.id = c.case_manager_id "
                        "WHERE c.id = ?",
                        "I", id);
    if ((rc = fr_store_begin(site->store, err))) {
        free(previous);
        return rc;
    }
    rc = fr_store_execf(site->store, err,
                        "UPDATE cases SET case_manager_id = ?, row_version = row_version + 1,"
                        " updated_at = ? WHERE id = ?",
                        "ItI", mid, now, id);
    /* Open tasks that followed the previous case manager follow the new one. */
    if (!rc && previous)
        rc = fr_store_execf(site->store, err,
                            "UPDATE tasks SET assignee_id = ? WHERE case_id = ? AND status = "
                            "'open' AND assignee_id = (SELECT id FROM users WHERE login = ?)",
                            "IIt", mid, id, previous);
    json_t *d = json_pack("{s:s?,s:s}", "from", previous, "to", manager);
    free(previous);
    return finish(site, rc, "assign", id, d, "case.assigned", err);
}

int fr_case_set_intensity(fr_site *site, int64_t id, int intensity, fr_error *err)
{
    if (intensity < 1 || intensity > 4)
        return fr_error_set(err, FR_EINVAL, "intensity: %d is outside 1 (light) to 4 (intensive)",
                            intensity);
    int rc = fr_access_case(site, id, FR_WRITE, err);
    if (rc)
        return rc;
    int64_t before = 0;
    if ((rc = fr_store_query_int(site->store, err, &before,
                                 "SELECT intensity FROM cases WHERE id = ?", "I", id)))
        return rc;
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE cases SET intensity = ?, row_version = row_version + 1,"
                        " updated_at = ? WHERE id = ?",
                        "itI", intensity, now, id);
    json_t *d = json_pack("{s:I,s:i}", "from", (json_int_t)before, "to", intensity);
    return finish(site, rc, "update", id, d, "case.intensity-changed", err);
}

int fr_case_set_model(fr_site *site, int64_t id, const char *model, fr_error *err)
{
    if (model && !*model)
        model = NULL;
    int rc = check_model(model, err);
    if (rc || (rc = fr_access_case(site, id, FR_WRITE, err)))
        return rc;
    char *before = NULL;
    if ((rc = fr_store_query_text(site->store, err, &before,
                                  "SELECT coalesce(model, '') FROM cases WHERE id = ?", "I", id)))
        return rc;
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err))) {
        free(before);
        return rc;
    }
    rc = fr_store_execf(site->store, err,
                        "UPDATE cases SET model = ?, row_version = row_version + 1,"
                        " updated_at = ? WHERE id = ?",
                        "ttI", model, now, id);
    json_t *d = json_pack("{s:s,s:s?}", "from", before ? before : "", "to", model);
    free(before);
    return finish(site, rc, "update", id, d, "case.model-changed", err);
}

/* The first thing that happened in the case after a point of its
 * timeline, which a date before it may not move past: a step (after
 * transition `after_step`), a meeting, a care plan's approval, a referral
 * sent, a note's contact (dated on or after `dated_from`), a note, a form's submission, a
 * task done (recorded since `recorded_from`, by the day they were recorded
 * in the site's zone). The opening's: everything (0, "", ""). *what and
 * *on empty when there is none. A network member's "since" is not one:
 * the GP known for years was there before the case. */
static int first_fact(fr_site *site, int64_t id, int64_t after_step, const char *dated_from,
                      const char *recorded_from, char what[96], char on[FR_TIME_LEN], fr_error *err)
{
    static const char *const sql[] = {
        "SELECT what, d FROM (SELECT CASE WHEN migration = 1 THEN 'migration' ELSE 'step ' ||"
        " event END AS what, effective_on AS d FROM transitions"
        " WHERE case_id = ?1 AND from_state IS NOT NULL AND id > ?2 UNION ALL SELECT 'meeting',"
        " held_on FROM meetings WHERE case_id = ?1 AND held_on >= ?3 UNION ALL SELECT"
        " 'care plan approval', approved_on FROM care_plan_approvals WHERE case_id = ?1 AND"
        " approved_on >= ?3 UNION ALL SELECT 'referral', sent_on FROM referrals WHERE"
        " case_id = ?1 AND sent_on >= ?3 UNION ALL SELECT 'note ' || id, contact_on FROM"
        " case_notes WHERE case_id = ?1 AND contact_on >= ?3) AS f ORDER BY d, what LIMIT 1",
        /* times: the earliest time is on the earliest day in any zone */
        "SELECT what, d FROM (SELECT 'note ' || id AS what, created_at AS d FROM case_notes"
        " WHERE case_id = ?1 AND created_at >= ?2 UNION ALL SELECT 'submission ' || id ||"
        " ' of form ' || form_id, submitted_at FROM submissions WHERE case_id = ?1 AND"
        " submitted_at >= ?2 UNION ALL SELECT 'completed task ' || id, done_at FROM tasks"
        " WHERE case_id = ?1 AND status = 'done' AND done_at IS NOT NULL AND done_at >= ?2)"
        " AS f ORDER BY d, what LIMIT 1",
    };
    what[0] = on[0] = '\0';
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof sql / sizeof sql[0]; i++) {
        json_t *row = NULL;
        rc = i == 0 ? fr_store_query_row(site->store, err, &row, sql[i], "IIt", id, after_step,
                                         dated_from)
                    : fr_store_query_row(site->store, err, &row, sql[i], "It", id, recorded_from);
        if (rc == FR_ENOTFOUND) {
            fr_error_clear(err);
            rc = 0;
            continue;
        }
        char day[FR_TIME_LEN];
        fr_clock_local_date(json_string_value(json_object_get(row, "d")), day);
        if (!rc && (!on[0] || strcmp(day, on) < 0)) {
            snprintf(what, 96, "%s", json_string_value(json_object_get(row, "what")));
            snprintf(on, FR_TIME_LEN, "%s", day);
        }
        json_decref(row);
    }
    return rc;
}

int fr_case_set_opened(fr_site *site, int64_t id, const char *opened_on, const char *reason,
                       int *moved_n, fr_error *err)
{
    if (fr_text_blank(reason))
        return fr_error_set(err, FR_EINVAL,
                            "reason: say why the opening date is corrected (e.g. the case was "
                            "registered after the fact)");
    int64_t patient = 0;
    int rc = fr_text_check("reason", reason, FR_TEXT_LONG_MAX, 1, err);
    if (rc || (rc = fr_access_case(site, id, FR_WRITE, err)) ||
        (rc = fr_case_patient(site, id, &patient, err)) ||
        (rc = check_opened(site, patient, opened_on, err)))
        return rc;
    char now[FR_TIME_LEN], what[96], first[FR_TIME_LEN];
    fr_clock_now(now);
    char *before = NULL;
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    json_t *moved = json_array();
    /* Read and checked inside the write, so that a step fired meanwhile is
     * seen. */
    rc = fr_store_query_text(site->store, err, &before, "SELECT opened_on FROM cases WHERE id = ?",
                             "I", id);
    if (!rc)
        rc = first_fact(site, id, 0, "", "", what, first, err);
    if (!rc && first[0] && strcmp(opened_on, first) > 0) {
        char on[32], at[32];
        rc = fr_error_set(err, FR_EINVAL,
                          "opened: %s is after the case's first %s (%s); a case opens before "
                          "what happens in it: give that day or an earlier one",
                          fr_clock_human(opened_on, on), what, fr_clock_human(first, at));
    }
    if (!rc)
        rc = fr_store_execf(site->store, err,
                            "UPDATE cases SET opened_on = ?1, row_version = row_version + 1,"
                            " updated_at = ?2, state_since = CASE WHEN EXISTS (SELECT 1 FROM"
                            " transitions WHERE case_id = ?3 AND from_state IS NOT NULL AND"
                            " migration = 0) OR state_since <> ?4 THEN state_since ELSE ?1 END"
                            " WHERE id = ?3",
                            "ttIt", opened_on, now, id, before);
    /* The timeline's opening is the opening transition's date. */
    if (!rc)
        rc = fr_store_execf(site->store, err,
                            "UPDATE transitions SET effective_on = ? WHERE case_id = ? AND"
                            " from_state IS NULL",
                            "tI", opened_on, id);
    /* The opening's own tasks nobody touched are due from the day it
     * really began ("contact the person" within 3 days of it). */
    if (!rc)
        rc = fr_workflow_move_opening_tasks(site, id, before, opened_on, moved, err);
    if (moved_n)
        *moved_n = (int)json_array_size(moved);
    json_t *d = json_pack("{s:s?,s:s,s:s,s:o}", "from", before, "to", opened_on, "reason", reason,
                          "tasks_moved", moved);
    free(before);
    return finish(site, rc, "update", id, d, "case.opened-on-changed", err);
}

/* A step of the case (migrations are none: bookkeeping of the workflow's
 * version, dated the day they were run), *row NULL when there is none.
 * before 0: among its steps since the opening, the last recorded (by_date
 * 0: the one that led into its current state) or the latest dated
 * (by_date 1; the last recorded of those on that day). before > 0: among
 * those recorded before transition `before`, the opening included, the
 * same. Steps recorded before their order was checked may be out of it:
 * the latest dated is then not the last recorded. */
static int step_of(fr_site *site, int64_t case_id, int64_t before, int by_date, json_t **row,
                   fr_error *err)
{
    int rc = fr_store_query_row(site->store, err, row,
                                "SELECT id, event, from_state, effective_on, recorded_at FROM"
                                " transitions WHERE case_id = ? AND migration = 0 AND"
                                " (? = 0 OR id < ?) AND (? > 0 OR from_state IS NOT NULL)"
                                " ORDER BY CASE WHEN ? = 1 THEN effective_on ELSE '' END DESC,"
                                " id DESC LIMIT 1",
                                "IIIIi", case_id, before, before, before, by_date);
    if (rc == FR_ENOTFOUND) {
        fr_error_clear(err);
        *row = NULL;
        rc = 0;
    }
    return rc;
}

int fr_case_check_after_last_step(fr_site *site, int64_t case_id, const char *field,
                                  const char *date, fr_error *err)
{
    json_t *latest = NULL, *last = NULL;
    int rc = step_of(site, case_id, 0, 1, &latest, err);
    const char *at = json_string_value(json_object_get(latest, "effective_on"));
    char on[32], was[32];
    if (rc || !at || strcmp(date, at) >= 0)
        goto out;
    if ((rc = step_of(site, case_id, 0, 0, &last, err)))
        goto out;
    if (json_equal(json_object_get(last, "id"), json_object_get(latest, "id")))
        rc = fr_error_set(err, FR_EINVAL,
                          "%s: %s is before the case's last step, %s (%s); steps are recorded in "
                          "the order they happened: give that day or a later one, or correct "
                          "that step's date first (`filrouge case last-step-on %" PRId64
                          " DD/MM/YYYY --reason TEXT`)",
                          field, fr_clock_human(date, on),
                          json_string_value(json_object_get(latest, "event")),
                          fr_clock_human(at, was), case_id);
    else /* recorded out of order before the check: not the last step */
        rc = fr_error_set(err, FR_EINVAL,
                          "%s: %s is before the case's latest step, %s (%s), recorded before its "
                          "last one; steps are recorded in the order they happened: give that "
                          "day or a later one",
                          field, fr_clock_human(date, on),
                          json_string_value(json_object_get(latest, "event")),
                          fr_clock_human(at, was));
out:
    json_decref(latest);
    json_decref(last);
    return rc;
}

int fr_case_set_last_step_on(fr_site *site, int64_t id, const char *on, const char *reason,
                             int *moved_n, fr_error *err)
{
    char today[FR_TIME_LEN], now[FR_TIME_LEN], d1[32], d2[32];
    fr_clock_today(today);
    fr_clock_now(now);
    if (fr_text_blank(reason))
        return fr_error_set(err, FR_EINVAL,
                            "reason: say why the step's date is corrected (e.g. it was recorded "
                            "after the fact with today's date)");
    int rc = fr_text_check("reason", reason, FR_TEXT_LONG_MAX, 1, err);
    if (rc || (rc = fr_access_case(site, id, FR_WRITE, err)))
        return rc;
    if (!fr_date_valid(on))
        return fr_error_set(err, FR_EINVAL, "on: '%s' is not a date: write DD/MM/YYYY", on);
    if (strcmp(on, today) > 0)
        return fr_error_set(err, FR_EINVAL,
                            "on: %s is in the future (today is %s); a step is dated the day it "
                            "happened",
                            fr_clock_human(on, d1), fr_clock_human(today, d2));
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    /* Read and checked inside the write, so that a step fired meanwhile is
     * seen. */
    json_t *last = NULL, *prev = NULL, *moved = json_array(), *d = NULL;
    char what[96], first[FR_TIME_LEN];
    if ((rc = step_of(site, id, 0, 0, &last, err)))
        goto out;
    if (!last) {
        rc = fr_error_set(err, FR_EINVAL,
                          "step: case %" PRId64 " has taken no step since its opening; to "
                          "correct the opening's date: `filrouge case opened-on %" PRId64
                          " DD/MM/YYYY --reason TEXT`",
                          id, id);
        goto out;
    }
    int64_t step = (int64_t)json_integer_value(json_object_get(last, "id"));
    const char *event = json_string_value(json_object_get(last, "event"));
    const char *was = json_string_value(json_object_get(last, "effective_on"));
    /* the latest dated before it: steps recorded out of order before the
     * check keep the timeline in order only after all of them */
    if ((rc = step_of(site, id, step, 1, &prev, err)))
        goto out;
    const char *floor = json_string_value(json_object_get(prev, "effective_on"));
    if (floor && strcmp(on, floor) < 0) {
        /* the opening's own wording, which says how to correct it */
        rc = !json_is_string(json_object_get(prev, "from_state"))
                 ? fr_case_check_after_opening(site, id, "on", on, err)
                 : fr_error_set(err, FR_EINVAL,
                                "on: %s is before the step before it, %s (%s); a step comes after "
                                "the one before it: give that day or a later one",
                                fr_clock_human(on, d1),
                                json_string_value(json_object_get(prev, "event")),
                                fr_clock_human(floor, d2));
        if (rc)
            goto out;
    }
    /* What was recorded in the state the step led into may not end up
     * before it; moving it earlier leaves everything after it. */
    if ((rc =
             first_fact(site, id, step, was,
                        json_string_value(json_object_get(last, "recorded_at")), what, first, err)))
        goto out;
    if (first[0] && strcmp(on, first) > 0) {
        rc = fr_error_set(err, FR_EINVAL,
                          "on: %s is after what was recorded since that step: %s (%s); a step "
                          "comes before what happens after it: give that day or an earlier one",
                          fr_clock_human(on, d1), what, fr_clock_human(first, d2));
        goto out;
    }
    rc = fr_store_execf(site->store, err, "UPDATE transitions SET effective_on = ? WHERE id = ?",
                        "tI", on, step);
    /* The state's start (unless a migration renamed the state since) and,
     * when the step closed the case, its closing. */
    if (!rc)
        rc = fr_store_execf(site->store, err,
                            "UPDATE cases SET state_since = CASE WHEN state_since = ?1 THEN ?2"
                            " ELSE state_since END, closed_on = CASE WHEN closed_on = ?1 THEN ?2"
                            " ELSE closed_on END, row_version = row_version + 1, updated_at = ?3"
                            " WHERE id = ?4",
                            "tttI", was, on, now, id);
    if (!rc)
        rc = fr_workflow_move_step_tasks(site, step, was, on, moved, err);
    if (moved_n)
        *moved_n = (int)json_array_size(moved);
    d = json_pack("{s:I,s:s,s:s,s:s,s:s,s:O}", "transition", (json_int_t)step, "step", event,
                  "from", was, "to", on, "reason", reason, "tasks_moved", moved);
out:
    json_decref(moved);
    json_decref(last);
    json_decref(prev);
    return finish(site, rc, "update", id, d, "case.last-step-on-changed", err);
}

int fr_case_check_after_opening(fr_site *site, int64_t case_id, const char *field, const char *date,
                                fr_error *err)
{
    char *opened = NULL;
    int rc = fr_store_query_text(site->store, err, &opened,
                                 "SELECT opened_on FROM cases WHERE id = ?", "I", case_id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no case %" PRId64, case_id);
    char on[32], at[32];
    if (!rc && strcmp(date, opened) < 0)
        rc = fr_error_set(err, FR_EINVAL,
                          "%s: %s is before the case's opening (%s); if the case began earlier, "
                          "correct its opening date first (`filrouge case opened-on %" PRId64
                          " DD/MM/YYYY --reason TEXT`)",
                          field, fr_clock_human(date, on), fr_clock_human(opened, at), case_id);
    free(opened);
    return rc;
}

int fr_case_close(fr_site *site, int64_t id, const char *effective_on, const char *note,
                  fr_error *err)
{
    return fr_workflow_fire(site, id, "close", effective_on, note, err);
}

int fr_case_reopen(fr_site *site, int64_t id, const char *effective_on, const char *note,
                   fr_error *err)
{
    return fr_workflow_fire(site, id, "reopen", effective_on, note, err);
}

/* ---- network ---- */

int fr_network_add(fr_site *site, int64_t case_id, const fr_member_new *m, int64_t *id,
                   fr_error *err)
{
    int64_t uid = 0;
    int rc = fr_access_case(site, case_id, FR_WRITE, err);
    if (rc)
        return rc;
    const char *kind = m->kind ? m->kind : "";
    if (strcmp(kind, "formal") && strcmp(kind, "informal"))
        return fr_error_set(err, FR_EINVAL,
                            "kind: '%s' must be formal (a professional or organisation) or "
                            "informal (family, a carer, a neighbour)",
                            kind);
    if (fr_text_blank(m->name))
        return fr_error_set(err, FR_EINVAL, "name: the member's name is required");
    if (!strcmp(kind, "formal") && fr_text_blank(m->role))
        return fr_error_set(err, FR_EINVAL,
                            "role: a formal member needs a role (GP, home nurse, social "
                            "worker, …)");
    if (!strcmp(kind, "informal") && fr_text_blank(m->relation))
        return fr_error_set(err, FR_EINVAL,
                            "relation: an informal member needs a relation (daughter, "
                            "neighbour, …)");
    if ((rc = fr_text_check("name", m->name, FR_TEXT_NAME_MAX, 0, err)) ||
        (rc = fr_text_check("role", m->role, FR_TEXT_NAME_MAX, 0, err)) ||
        (rc = fr_text_check("relation", m->relation, FR_TEXT_NAME_MAX, 0, err)) ||
        (rc = fr_text_check("organisation", m->organisation, FR_TEXT_NAME_MAX, 0, err)) ||
        (rc = fr_text_phone("phone", m->phone, err)) ||
        (rc = fr_text_email("email", m->email, err)))
        return rc;
    if ((m->since && !fr_date_valid(m->since)) || (m->until && !fr_date_valid(m->until)))
        return fr_error_set(err, FR_EINVAL, "since/until: write dates as YYYY-MM-DD or DD/MM/YYYY");
    if (m->since && m->until && strcmp(m->since, m->until) > 0)
        return fr_error_set(err, FR_EINVAL, "until: %s is before since %s", m->until, m->since);
    if (m->user && *m->user && (rc = fr_user_id(site, m->user, &uid, err)))
        return rc;
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "INSERT INTO network_members (case_id, kind, name, role, relation,"
                        " organisation, phone, email, user_id, since, until, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "ItttttttRttt", case_id, kind, m->name, m->role,
                        m->relation, m->organisation, m->phone, m->email, uid, m->since, m->until,
                        now);
    int64_t mid = fr_store_last_id(site->store);
    if (!rc && id)
        *id = mid;
    json_t *d = json_pack("{s:I,s:s,s:s?}", "member", (json_int_t)mid, "kind", kind, "user",
                          m->user);
    return finish(site, rc, "network-add", case_id, d, "case.network-changed", err);
}

int fr_network_list_unaudited(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    return fr_store_query_json(site->store, err, out,
                               "SELECT n.id, n.kind, n.name, n.role, n.relation, n.organisation,"
                               " n.phone, n.email, u.login AS user, n.since, n.until,"
                               " (n.until IS NULL OR n.until >= ?2) AS active"
                               " FROM network_members n LEFT JOIN users u ON u.id = n.user_id"
                               " WHERE n.case_id = ?1 ORDER BY n.kind, n.name, n.id",
                               "It", case_id, today);
}

int fr_network_list(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = fr_access_case(site, case_id, FR_READ, err);
    if (rc || (rc = fr_network_list_unaudited(site, case_id, out, err)))
        return rc;
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, case_id);
    rc = fr_audit_alone(site->store, site->actor, "read", "network", oid, NULL, err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- audit (reading) ---- */

int fr_audit_list(fr_site *site, const char *object_type, const char *object_id, int limit,
                  json_t **out, fr_error *err)
{
    *out = NULL;
    if (!fr_access_has_role(site, "admin")) {
        fr_access_refused_role(site, "audit", "*");
        return fr_error_set(err, FR_EACCESS, "only administrators can read the audit trail");
    }
    if (limit <= 0 || limit > 10000)
        limit = 100;
    /* One entry records a page's reads of several objects: the first as its
     * object, the others in its detail's "also" list (fr_audit_alone), as
     * {"object_type":"…","object_id":"…"} (compact, in that order). */
    char also[300] = "";
    if (object_type && object_id)
        snprintf(also, sizeof also, "%%\"object_type\":\"%s\",\"object_id\":\"%s\"%%", object_type,
                 object_id);
    else if (object_type || object_id)
        snprintf(also, sizeof also, "%%\"%s\":\"%s\"%%", object_type ? "object_type" : "object_id",
                 object_type ? object_type : object_id);
    return fr_store_query_json(
        site->store, err, out,
        "SELECT id, at, actor, action, object_type, object_id, detail FROM audit"
        " WHERE ((?1 IS NULL OR object_type = ?1) AND (?2 IS NULL OR object_id = ?2))"
        " OR (?4 IS NOT NULL AND detail LIKE '%\"also\":%' AND detail LIKE ?4)"
        " ORDER BY id DESC LIMIT ?3",
        "ttit", object_type, object_id, limit, also[0] ? also : NULL);
}
