/* Referrals to specialists and meetings about cases (core/care.h). A
 * referral keeps a follow-up task on the échéancier until its answer
 * comes; a meeting's decisions become actions of the case's plan, followed
 * up at the next meeting. */
#include "care.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "clock.h"
#include "record.h"
#include "task.h"
#include "text.h"

/* ---- referrals ---- */

int fr_referral_add(fr_site *site, int64_t case_id, const char *specialty, const char *to_name,
                    const char *reason, const char *follow_up, const char *sent_on, int64_t *id,
                    fr_error *err)
{
    if (fr_text_blank(specialty))
        return fr_error_set(err, FR_EINVAL,
                            "specialty: to whom (dietitian, psychologist, social worker, …)");
    if (fr_text_blank(reason))
        return fr_error_set(err, FR_EINVAL, "reason: why the person is referred");
    if (fr_text_check("specialty", specialty, FR_TEXT_NAME_MAX, 0, err) ||
        fr_text_check("to", to_name, FR_TEXT_NAME_MAX, 0, err) ||
        fr_text_check("reason", reason, FR_TEXT_LONG_MAX, 1, err))
        return err->code;
    fr_duration d;
    char today[FR_TIME_LEN], due[FR_TIME_LEN], now[FR_TIME_LEN], on[32], at[32];
    fr_clock_today(today);
    fr_clock_now(now);
    /* a case registered after the fact records the day it was really sent */
    const char *sent = sent_on ? sent_on : today;
    if (!fr_date_valid(sent))
        return fr_error_set(err, FR_EINVAL, "sent: '%s' is not a date", sent);
    if (strcmp(sent, today) > 0)
        return fr_error_set(err, FR_EINVAL,
                            "sent: %s is in the future (today is %s): record a referral once it "
                            "has been sent",
                            fr_clock_human(sent, on), fr_clock_human(today, at));
    int rc = fr_duration_parse(follow_up ? follow_up : "P14D", &d, err);
    if (rc) {
        fr_error_prefix(err, "follow-up: ");
        return rc;
    }
    /* the follow-up is counted from the day it was sent (late at once when
     * that day is long past) */
    if ((rc = fr_date_add(sent, &d, due, err)) ||
        (rc = fr_access_case(site, case_id, FR_WRITE, err)) ||
        (rc = fr_case_check_after_opening(site, case_id, "sent", sent, err)))
        return rc;
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    char title[300], ref[300];
    snprintf(title, sizeof title, "Relancer l'orientation : %s", specialty);
    snprintf(ref, sizeof ref, FR_TASK_REF_REFERRAL "%s", specialty);
    fr_task_new t = {.case_id = case_id,
                     .title = title,
                     .due_on = due,
                     .origin = "plugin",
                     .origin_ref = "referral",
                     .title_ref = ref};
    int64_t task = 0;
    rc = fr_task_create(site, &t, &task, err);
    if (!rc)
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO referrals (case_id, specialty, to_name, reason, sent_on,"
                            " follow_up_on, task_id, created_at, created_by)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            "ItttttItt", case_id, specialty, to_name, reason, sent, due, task, now,
                            site->actor);
    int64_t rid = fr_store_last_id(site->store);
    rc = fr_record_commit(site, rc, "create", "referral", rid, case_id,
                          json_pack("{s:I,s:s}", "case", (json_int_t)case_id, "specialty",
                                    specialty),
                          "referral.sent", err);
    if (!rc && id)
        *id = rid;
    return rc;
}

int fr_referral_check_answered_on(fr_site *site, int64_t referral_id, const char *on, fr_error *err)
{
    char *sent = NULL, a[32], b[32];
    int rc = fr_store_query_text(site->store, err, &sent,
                                 "SELECT sent_on FROM referrals WHERE id = ?", "I", referral_id);
    if (!rc && strcmp(on, sent) < 0)
        rc = fr_error_set(err, FR_EINVAL,
                          "on: %s is before the referral was sent (%s); check the date",
                          fr_clock_human(on, a), fr_clock_human(sent, b));
    free(sent);
    return rc;
}

int fr_referral_answer(fr_site *site, int64_t referral_id, const char *answer, const char *on,
                       fr_error *err)
{
    int64_t case_id = 0, task = 0;
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    if (fr_text_blank(answer))
        return fr_error_set(err, FR_EINVAL, "answer: what the specialist answered");
    if (fr_text_check("answer", answer, FR_TEXT_LONG_MAX, 1, err))
        return err->code;
    if (on && (!fr_date_valid(on) || strcmp(on, today) > 0))
        return fr_error_set(err, FR_EINVAL, "on: '%s' must be a date that is not in the future",
                            on);
    int rc = fr_store_query_int(site->store, err, &case_id,
                                "SELECT case_id FROM referrals WHERE id = ?", "I", referral_id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no referral %" PRId64, referral_id);
    if (rc || (rc = fr_access_case(site, case_id, FR_WRITE, err)) ||
        (on && (rc = fr_referral_check_answered_on(site, referral_id, on, err))))
        return rc;
    fr_store_query_int(site->store, err, &task,
                       "SELECT coalesce(task_id, 0) FROM referrals WHERE id = ?", "I",
                       referral_id);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE referrals SET status = 'answered', answered_on = ?, answer = ?"
                        " WHERE id = ? AND status = 'sent'",
                        "ttI", on ? on : today, answer, referral_id);
    if (!rc && fr_store_changes(site->store) == 0)
        rc = fr_error_set(err, FR_ECONFLICT, "referral %" PRId64 " was already answered",
                          referral_id);
    /* The follow-up reminder has done its job. */
    if (!rc && task)
        rc = fr_store_execf(site->store, err,
                            "UPDATE tasks SET status = 'done', done_at = ?, done_by = ?, acted = 1"
                            " WHERE id = ? AND status = 'open'",
                            "ttI", today, site->actor, task);
    return fr_record_commit(site, rc, "answer", "referral", referral_id, case_id,
                            json_pack("{s:I}", "case", (json_int_t)case_id), "referral.answered",
                            err);
}

int fr_referral_list(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    *out = NULL;
    char filter[1024], sql[2048], today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    if (case_id) {
        int rc = fr_access_case(site, case_id, FR_READ, err);
        if (rc)
            return rc;
    }
    fr_access_case_sql(site, "r.case_id", filter, sizeof filter);
    snprintf(sql, sizeof sql,
             "SELECT r.id, r.case_id, r.specialty, r.to_name, r.reason, r.sent_on,"
             " r.follow_up_on, r.status, r.answered_on, r.answer,"
             " (r.status = 'sent' AND r.follow_up_on < ?2) AS late"
             " FROM referrals r WHERE %s AND (?4 = 0 AND r.status = 'sent' OR r.case_id = ?4)"
             " ORDER BY r.status = 'sent' DESC, r.follow_up_on, r.id",
             filter);
    int rc = fr_store_query_json(site->store, err, out, sql, "IttI", site->actor_id, today, now,
                                 case_id);
    if (rc)
        return rc;
    /* Their reasons and answers are clinical: the read is audited, a case's
     * under its id, the open referrals of every case the user reaches as
     * "*" with how many were shown. */
    char oid[24], detail[64];
    snprintf(oid, sizeof oid, "%" PRId64, case_id);
    snprintf(detail, sizeof detail, "{\"results\":%zu}", json_array_size(*out));
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "referrals", case_id ? oid : "*",
                             case_id ? NULL : detail, err))) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- meetings ---- */

/* Peer case reviews (intervisions) are the case managers': a refusal is
 * audited, like every refusal. */
static int require_manager(fr_site *site, const char *what, fr_error *err)
{
    if (fr_access_has_role(site, "admin case_manager"))
        return 0;
    fr_access_refused_role(site, "meetings", "intervision");
    return fr_error_set(err, FR_EACCESS, "only case managers %s peer case reviews", what);
}

int fr_meeting_add(fr_site *site, const fr_meeting_new *m, int64_t *id, fr_error *err)
{
    char today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    const char *kind = m->kind ? m->kind : m->case_id ? "concertation" : "intervision";
    if (strcmp(kind, "concertation") && strcmp(kind, "intervision"))
        return fr_error_set(err, FR_EINVAL, "kind: concertation or intervision, not '%s'", kind);
    if (!strcmp(kind, "concertation") && !m->case_id)
        return fr_error_set(err, FR_EINVAL, "case: a concertation is about one case");
    const char *held = m->held_on ? m->held_on : today;
    if (!fr_date_valid(held))
        return fr_error_set(err, FR_EINVAL, "held: '%s' is not a date", held);
    /* A meeting is recorded with its minutes once it was held; the next one
     * is planned as a task (the échéancier), not as a meeting. */
    if (strcmp(held, today) > 0)
        return fr_error_set(err, FR_EINVAL,
                            "held: %.2s/%.2s/%.4s is in the future (today is %.2s/%.2s/%.4s): "
                            "record the meeting once it has been held; plan the next one as a "
                            "task",
                            held + 8, held + 5, held, today + 8, today + 5, today);
    if (fr_text_check("place", m->place, FR_TEXT_NAME_MAX, 0, err) ||
        fr_text_check("minutes", m->minutes, 0, 1, err) ||
        fr_text_check("convergences", m->convergences, 0, 1, err) ||
        fr_text_check("divergences", m->divergences, 0, 1, err))
        return err->code;
    int rc = 0;
    if (m->case_id && !(rc = fr_access_case(site, m->case_id, FR_WRITE, err)))
        rc = fr_case_check_after_opening(site, m->case_id, "held", held, err);
    else if (!m->case_id)
        rc = require_manager(site, "record", err);
    if (rc)
        return rc;
    /* Participants are checked before anything is written. */
    int64_t *uids = calloc((size_t)m->nparticipants + 1, sizeof *uids);
    char **names = calloc((size_t)m->nparticipants + 1, sizeof *names);
    if (!uids || !names)
        rc = fr_error_set(err, FR_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < m->nparticipants; i++) {
        const fr_participant *p = &m->participants[i];
        if (p->user && *p->user)
            rc = fr_user_id(site, p->user, &uids[i], err);
        /* a user without a name given is shown by their display name */
        if (!rc && uids[i] && !(p->name && *p->name) && !p->member_id)
            rc = fr_store_query_text(site->store, err, &names[i],
                                     "SELECT display_name FROM users WHERE id = ?", "I", uids[i]);
        if (!rc && p->member_id) {
            rc = fr_store_query_text(site->store, err, &names[i],
                                     "SELECT name FROM network_members WHERE id = ? AND"
                                     " case_id = ?",
                                     "II", p->member_id, m->case_id);
            if (rc == FR_ENOTFOUND)
                rc = fr_error_set(err, FR_EINVAL,
                                  "participant %d: member %" PRId64
                                  " is not in this case's network",
                                  i + 1, p->member_id);
        }
        if (!rc && !names[i] && fr_text_blank(p->name) && !(p->user && *p->user))
            rc = fr_error_set(err, FR_EINVAL, "participant %d: a name is needed", i + 1);
        if (!rc && fr_text_blank(p->role))
            rc = fr_error_set(err, FR_EINVAL,
                              "participant %d: a role is needed (the young person, mother, GP, "
                              "school, …)",
                              i + 1);
        /* what is typed for a participant is shown in the minutes */
        char field[40];
        snprintf(field, sizeof field, "participant %d", i + 1);
        if (!rc)
            rc = fr_text_check(field, p->name, FR_TEXT_NAME_MAX, 0, err);
        if (!rc)
            rc = fr_text_check(field, p->role, FR_TEXT_NAME_MAX, 0, err);
    }
    if (!rc)
        rc = fr_store_begin(site->store, err);
    else
        goto out;
    if (rc)
        goto out;
    rc = fr_store_execf(site->store, err,
                        "INSERT INTO meetings (case_id, kind, held_on, place, minutes,"
                        " convergences, divergences, created_at, created_by)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "Rtttttttt", m->case_id, kind, held,
                        m->place, m->minutes, m->convergences, m->divergences, now, site->actor);
    int64_t mid = fr_store_last_id(site->store);
    for (int i = 0; !rc && i < m->nparticipants; i++) {
        const fr_participant *p = &m->participants[i];
        const char *name = names[i] ? names[i] : p->name && *p->name ? p->name : p->user;
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO meeting_participants (meeting_id, name, role, member_id,"
                            " user_id, present) VALUES (?, ?, ?, ?, ?, ?)",
                            "IttRRi", mid, name, p->role, p->member_id, uids[i],
                            p->present ? 1 : 0);
    }
    rc = fr_record_commit(site, rc, "create", "meeting", mid, m->case_id,
                          json_pack("{s:s,s:i}", "kind", kind, "participants", m->nparticipants),
                          "meeting.held", err);
    if (!rc && id)
        *id = mid;
out:
    for (int i = 0; names && i < m->nparticipants; i++)
        free(names[i]);
    free(names);
    free(uids);
    return rc;
}

/* A decision: an action of the case's plan that remembers its meeting. */
static int decision_add(fr_site *site, int64_t meeting_id, int64_t case_id, const char *title,
                        const char *responsible, const char *user, const char *due_on,
                        int64_t *action_id, fr_error *err)
{
    fr_action_new a = {.case_id = case_id,
                       .title = title,
                       .responsible = responsible,
                       .user = user,
                       .due_on = due_on,
                       .origin = "meeting",
                       .origin_id = meeting_id};
    return fr_care_action_add(site, &a, action_id, err);
}

int fr_meeting_case(fr_site *site, int64_t meeting_id, int64_t *case_id, fr_error *err)
{
    *case_id = 0;
    int rc = fr_store_query_int(site->store, err, case_id,
                                "SELECT coalesce(case_id, 0) FROM meetings WHERE id = ?", "I",
                                meeting_id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no meeting %" PRId64, meeting_id);
    return rc;
}

int fr_meeting_decide(fr_site *site, int64_t meeting_id, const char *title, const char *responsible,
                      const char *user, const char *due_on, int64_t *action_id, fr_error *err)
{
    int64_t case_id = 0;
    int rc = fr_meeting_case(site, meeting_id, &case_id, err);
    if (rc)
        return rc;
    if (!case_id)
        return fr_error_set(err, FR_EINVAL,
                            "meeting %" PRId64 " is a peer case review: record its decisions "
                            "on the cases themselves",
                            meeting_id);
    return decision_add(site, meeting_id, case_id, title, responsible, user, due_on, action_id,
                        err);
}

int fr_meeting_get(fr_site *site, int64_t meeting_id, json_t **out, fr_error *err)
{
    *out = NULL;
    int64_t case_id = 0;
    int rc = fr_meeting_case(site, meeting_id, &case_id, err);
    if (rc)
        return rc;
    if (case_id)
        rc = fr_access_case(site, case_id, FR_READ, err);
    else
        rc = require_manager(site, "read", err);
    if (rc)
        return rc;
    json_t *m = NULL, *parts = NULL, *decisions = NULL, *pending = NULL;
    if ((rc = fr_store_query_row(site->store, err, &m,
                                 "SELECT id, case_id, kind, held_on, place, minutes,"
                                 " convergences, divergences, created_by FROM meetings"
                                 " WHERE id = ?",
                                 "I", meeting_id)) ||
        (rc = fr_store_query_json(site->store, err, &parts,
                                  "SELECT name, role, member_id, present FROM"
                                  " meeting_participants WHERE meeting_id = ? ORDER BY id",
                                  "I", meeting_id)) ||
        (rc = fr_store_query_json(site->store, err, &decisions,
                                  "SELECT id, case_id, title, responsible, due_on, status,"
                                  " done_on FROM care_actions WHERE origin = 'meeting' AND"
                                  " origin_id = ?"
                                  " ORDER BY id",
                                  "I", meeting_id)) ||
        (rc = fr_store_query_json(site->store, err, &pending,
                                  /* a concertation follows up its case's earlier decisions;
                                   * an intervision those of earlier intervisions */
                                  "SELECT a.id, a.case_id, a.title, a.responsible, a.due_on,"
                                  " a.status, a.origin_id AS meeting_id FROM care_actions a JOIN"
                                  " meetings mt ON mt.id = a.origin_id WHERE a.origin = 'meeting'"
                                  " AND (a.case_id = ?1 OR (?1 = 0 AND mt.kind = 'intervision'))"
                                  " AND a.origin_id <> ?2 AND a.status = 'open'"
                                  " AND mt.held_on <= (SELECT held_on FROM meetings WHERE id ="
                                  " ?2) ORDER BY a.due_on, a.id",
                                  "II", case_id, meeting_id)))
        goto out;
    json_object_set_new(m, "participants", parts);
    json_object_set_new(m, "decisions", decisions);
    json_object_set_new(m, "to_follow_up", pending);
    parts = decisions = pending = NULL;
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, meeting_id);
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "meeting", oid, NULL, err)))
        goto out;
    *out = m;
    m = NULL;
out:
    json_decref(m);
    json_decref(parts);
    json_decref(decisions);
    json_decref(pending);
    return rc;
}

int fr_meeting_list(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = fr_access_case(site, case_id, FR_READ, err);
    if (rc || (rc = fr_store_query_json(site->store, err, out,
                                        "SELECT m.id, m.kind, m.held_on, m.place,"
                                        " (SELECT count(*) FROM meeting_participants p WHERE"
                                        " p.meeting_id = m.id AND p.present = 1) AS present,"
                                        " (SELECT count(*) FROM care_actions a WHERE"
                                        " a.origin = 'meeting' AND a.origin_id = m.id) AS decisions"
                                        " FROM meetings m WHERE m.case_id = ? ORDER BY m.held_on"
                                        " DESC, m.id DESC",
                                        "I", case_id)))
        return rc;
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, case_id);
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "meetings", oid, NULL, err))) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- intervision (peer case review, no single case) ---- */

int fr_intervision_decide(fr_site *site, int64_t meeting_id, int64_t case_id, const char *title,
                          const char *responsible, const char *user, const char *due_on,
                          int64_t *action_id, fr_error *err)
{
    char *kind = NULL;
    int rc = fr_store_query_text(site->store, err, &kind, "SELECT kind FROM meetings WHERE id = ?",
                                 "I", meeting_id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no meeting %" PRId64, meeting_id);
    if (rc)
        return rc;
    int intervision = strcmp(kind, "intervision") == 0;
    free(kind);
    if (!intervision)
        return fr_error_set(err, FR_EINVAL,
                            "meeting %" PRId64 " is a concertation: its decisions go to its own "
                            "case (meeting decide)",
                            meeting_id);
    if (case_id <= 0)
        return fr_error_set(err, FR_EINVAL,
                            "case: a decision of a peer case review is an action of one of the "
                            "cases reviewed; give its number");
    /* the action is the case's: fr_care_action_add checks write access */
    return decision_add(site, meeting_id, case_id, title, responsible, user, due_on, action_id,
                        err);
}

int fr_intervision_list(fr_site *site, int limit, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = require_manager(site, "read", err);
    if (rc)
        return rc;
    rc = fr_store_query_json(
        site->store, err, out,
        "SELECT m.id, m.held_on, m.place,"
        " (SELECT count(*) FROM meeting_participants p WHERE p.meeting_id = m.id AND"
        " p.present = 1) AS present,"
        " (SELECT count(*) FROM care_actions a WHERE a.origin = 'meeting' AND a.origin_id = m.id)"
        " AS decisions,"
        " (SELECT count(*) FROM care_actions a WHERE a.origin = 'meeting' AND a.origin_id = m.id"
        " AND a.status = 'open') AS open_decisions"
        " FROM meetings m WHERE m.kind = 'intervision' ORDER BY m.held_on DESC, m.id DESC LIMIT ?",
        "i", limit > 0 && limit <= 500 ? limit : 100);
    if (!rc)
        rc = fr_audit_alone(site->store, site->actor, "read", "meetings", "intervision", NULL, err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
