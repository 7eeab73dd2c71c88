/* The intake triage queue: recording, listing and deciding intakes.
 * The public form and the pages are the web server's (core/server/); the
 * patient and case that follow an accepted intake are the record's. */
#include "intake.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "clock.h"
#include "form.h"
#include "record.h"
#include "text.h"

static int require_manager(fr_site *site, fr_error *err)
{
    if (fr_access_has_role(site, "admin case_manager"))
        return 0;
    fr_access_refused_role(site, "intakes", "*");
    return fr_error_set(err, FR_EACCESS,
                        "only case managers and administrators see intakes (you are '%s', %s)",
                        site->actor, site->actor_role);
}

/* Given, not only spaces. */
static int present(const char *s)
{
    return !fr_text_blank(s);
}

/* The answers to the intake's form, checked as a final submission (the
 * form's rules and hooks), cleaned: *out is malloc'd JSON. */
static int intake_answers(fr_site *site, const fr_intake_new *n, char **out, int *version,
                          fr_error *err)
{
    const fr_form *f = NULL;
    int rc = fr_forms_get(site, n->form_id, 0, &f, err);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_EINVAL, "there is no form '%s' on this site", n->form_id);
    if (rc)
        return rc;
    if (!fr_forms_offered(site, f))
        return fr_error_set(err, FR_EINVAL,
                            "the form '%s' is not offered on this site now (is the plugin that "
                            "provides it enabled? See `filrouge plugin list`)",
                            n->form_id);
    if (!fr_form_intake(f))
        return fr_error_set(err, FR_EINVAL,
                            "the form '%s' cannot be filled with an intake (only forms marked "
                            "intake=\"true\", such as youth-request, can)",
                            n->form_id);
    if (!present(n->answers))
        return fr_error_set(err, FR_EINVAL, "an intake on the form '%s' needs its answers",
                            n->form_id);
    json_t *result = NULL;
    rc = fr_form_evaluate(site, f, n->answers, strlen(n->answers), 1, site->actor_lang, &result,
                          n->problems, err);
    if (rc)
        return rc;
    *out = json_dumps(json_object_get(result, "values"), JSON_COMPACT);
    json_decref(result);
    *version = fr_form_version(f);
    return *out ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
}

int fr_intake_add(fr_site *site, const fr_intake_new *n, int64_t *id, fr_error *err)
{
    if (!present(n->referrer_name) || !present(n->referrer_contact) || !present(n->person_name) ||
        !present(n->situation))
        return fr_error_set(err, FR_EINVAL,
                            "an intake needs who refers, how to reach them, the person's name "
                            "and the situation");
    if (strlen(n->situation) > 4000 || strlen(n->referrer_name) > 200 ||
        strlen(n->referrer_contact) > 200 || strlen(n->person_name) > 200)
        return fr_error_set(err, FR_EINVAL,
                            "an intake's texts are too long (situation: at "
                            "most 4000 characters, names: 200)");
    /* The public form is anybody's: no control character, nor a
     * direction override making a name read as another on triage. */
    if (fr_text_check("referrer", n->referrer_name, 0, 0, err) ||
        fr_text_check("contact", n->referrer_contact, 0, 0, err) ||
        fr_text_check("relation", n->referrer_relation, FR_TEXT_NAME_MAX, 0, err) ||
        fr_text_check("person", n->person_name, 0, 0, err) ||
        fr_text_check("city", n->person_city, FR_TEXT_NAME_MAX, 0, err) ||
        fr_text_check("situation", n->situation, 0, 1, err))
        return err->code;
    if (n->person_birth_date && fr_birth_check("birth date", n->person_birth_date, err))
        return err->code;
    char *answers = NULL;
    int version = 0;
    int rc = present(n->form_id) ? intake_answers(site, n, &answers, &version, err) : 0;
    if (rc)
        return rc;
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err))) {
        free(answers);
        return rc;
    }
    rc = fr_store_execf(site->store, err,
                        "INSERT INTO intakes (received_at, referrer_name, referrer_contact,"
                        " referrer_relation, person_name, person_birth_date, person_city,"
                        " situation, form_id, form_version, answers)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0), ?)",
                        "tttttttttit", now, n->referrer_name, n->referrer_contact,
                        present(n->referrer_relation) ? n->referrer_relation : NULL, n->person_name,
                        n->person_birth_date, present(n->person_city) ? n->person_city : NULL,
                        n->situation, answers ? n->form_id : NULL, version, answers);
    free(answers);
    int64_t rid = fr_store_last_id(site->store);
    if (!rc) {
        /* Never the situation's text: the audit trail holds ids and codes. */
        rc = fr_audit_appendj(site->store, site->actor_id ? site->actor : "public", "create",
                              "intake", rid,
                              json_pack("{s:s,s:s?}", "via", n->via ? n->via : "cli", "form",
                                        present(n->form_id) ? n->form_id : NULL),
                              err);
    }
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    if (!rc && id)
        *id = rid;
    return rc;
}

int fr_intake_list(fr_site *site, const char *status, int limit, int offset, json_t **out,
                   fr_error *err)
{
    *out = NULL;
    int rc = require_manager(site, err);
    if (rc)
        return rc;
    if (!status)
        status = "new";
    if (strcmp(status, "new") && strcmp(status, "accepted") && strcmp(status, "dismissed"))
        return fr_error_set(err, FR_EINVAL, "status: '%s' is not new, accepted or dismissed",
                            status);
    if ((rc = fr_store_query_json(
             site->store, err, out,
             "SELECT id, received_at, referrer_name, referrer_contact, referrer_relation,"
             " person_name, person_birth_date, person_city, situation, status, handled_by,"
             " handled_at, patient_id, case_id, form_id, form_version, answers,"
             " submission_id FROM intakes WHERE status = ? ORDER BY received_at, id"
             " LIMIT ? OFFSET ?",
             "tii", status, limit > 0 && limit <= 500 ? limit : 100, offset > 0 ? offset : 0)))
        return rc;
    size_t i;
    json_t *row;
    json_array_foreach(*out, i, row)
    {
        const char *a = json_string_value(json_object_get(row, "answers"));
        json_t *v = a ? json_loads(a, 0, NULL) : NULL;
        json_object_set_new(row, "answers", v ? v : json_null());
    }
    return fr_audit_alone(site->store, site->actor, "read", "intakes", status, NULL, err);
}

/* One intake as a JSON object (FR_ENOTFOUND saying so when there is none). */
static int intake_row(fr_site *site, int64_t id, json_t **row, fr_error *err)
{
    int rc = fr_store_query_row(site->store, err, row,
                                "SELECT id, person_name, person_birth_date, person_city, status,"
                                " coalesce(patient_id, 0) AS patient_id,"
                                " coalesce(case_id, 0) AS case_id FROM intakes WHERE id = ?",
                                "I", id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no intake %" PRId64, id);
    return rc;
}

int fr_intake_get(fr_site *site, int64_t id, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = require_manager(site, err);
    if (!rc)
        rc = intake_row(site, id, out, err);
    char ref[32];
    snprintf(ref, sizeof ref, "%" PRId64, id);
    if (!rc)
        rc = fr_audit_alone(site->store, site->actor, "read", "intake", ref, NULL, err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* The refusal of deciding an intake someone handled already (another tab,
 * a colleague): FR_ECONFLICT saying how, by whom and when, and in *out
 * (when not NULL) {status, handled_by, handled_by_name, handled_at} ("" when
 * not known) for a page to say it in its own words. */
static int already_handled(fr_site *site, int64_t id, json_t **out, fr_error *err)
{
    json_t *now = NULL;
    fr_error ignored = {0};
    if (fr_store_query_row(site->store, &ignored, &now,
                           "SELECT i.status, coalesce(i.handled_by, '') AS handled_by,"
                           " coalesce(u.display_name, i.handled_by, '') AS handled_by_name,"
                           " coalesce(i.handled_at, '') AS handled_at"
                           " FROM intakes i LEFT JOIN users u ON u.login = i.handled_by"
                           " WHERE i.id = ?",
                           "I", id)) {
        json_decref(now); /* said without who and when */
        now = NULL;
    }
    const char *status = json_string_value(json_object_get(now, "status"));
    const char *by = json_string_value(json_object_get(now, "handled_by"));
    const char *at = json_string_value(json_object_get(now, "handled_at"));
    int rc;
    char day[FR_TIME_LEN];
    if (by && *by && at && *at)
        rc = fr_error_set(err, FR_ECONFLICT, "intake %" PRId64 " was already %s by %s on %s", id,
                          status ? status : "handled", by, fr_clock_local_date(at, day));
    else
        rc = fr_error_set(err, FR_ECONFLICT, "intake %" PRId64 " was already %s", id,
                          status ? status : "handled");
    if (out && now)
        *out = now;
    else
        json_decref(now);
    return rc;
}

int fr_intake_decide(fr_site *site, int64_t id, int accept, const char *note, json_t **out,
                     fr_error *err)
{
    json_t *row = NULL;
    int rc = require_manager(site, err);
    if (rc)
        return rc;
    if ((rc = intake_row(site, id, &row, err)))
        return rc;
    const char *status = json_string_value(json_object_get(row, "status"));
    if (!status || strcmp(status, "new") != 0) {
        json_decref(row);
        return already_handled(site, id, out, err);
    }
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err))) {
        json_decref(row);
        return rc;
    }
    rc = fr_store_execf(site->store, err,
                        "UPDATE intakes SET status = ?, handled_by = ?, handled_at = ?, note = ?"
                        " WHERE id = ? AND status = 'new'",
                        "ttttI", accept ? "accepted" : "dismissed", site->actor, now, note, id);
    int raced = !rc && fr_store_changes(site->store) != 1;
    if (!rc && !raced)
        rc = fr_audit_appendi(site->store, site->actor, accept ? "accept" : "dismiss", "intake", id,
                              NULL, err);
    if (!rc && !raced)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    if (raced) {
        /* handled between the read above and the update */
        json_decref(row);
        return already_handled(site, id, out, err);
    }
    if (!rc && out)
        *out = row;
    else
        json_decref(row);
    return rc;
}

int fr_intake_submit(fr_site *site, int64_t id, int64_t case_id, int64_t *submission_id,
                     fr_error *err)
{
    json_t *row = NULL;
    int rc = require_manager(site, err);
    if (rc)
        return rc;
    rc = fr_store_query_row(site->store, err, &row,
                            "SELECT status, form_id, coalesce(form_version, 0) AS form_version,"
                            " answers, coalesce(submission_id, 0) AS submission_id"
                            " FROM intakes WHERE id = ?",
                            "I", id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no intake %" PRId64, id);
    if (rc)
        return rc;
    const char *status = json_string_value(json_object_get(row, "status"));
    const char *form = json_string_value(json_object_get(row, "form_id"));
    const char *answers = json_string_value(json_object_get(row, "answers"));
    int64_t done = json_integer_value(json_object_get(row, "submission_id"));
    if (!form || !answers)
        rc = fr_error_set(err, FR_EINVAL, "intake %" PRId64 " carries no form's answers", id);
    else if (!status || strcmp(status, "accepted") != 0)
        rc = fr_error_set(err, FR_ECONFLICT,
                          "intake %" PRId64 " is %s: accept it first (filrouge intake accept)", id,
                          status ? status : "not accepted");
    else if (done)
        rc = fr_error_set(err, FR_ECONFLICT,
                          "the answers of intake %" PRId64 " are already submission %" PRId64, id,
                          done);
    int64_t sid = 0;
    if (!rc && !(rc = fr_store_begin(site->store, err))) {
        fr_submit s = {.form_id = form,
                       .form_version = (int)json_integer_value(json_object_get(row, "form_version")),
                       .case_id = case_id,
                       .data = answers,
                       .len = strlen(answers),
                       .lang = site->actor_lang};
        rc = fr_form_submit(site, &s, &sid, NULL, err);
        if (!rc)
            rc = fr_store_execf(site->store, err,
                                "UPDATE intakes SET submission_id = ?, case_id = coalesce(case_id, ?),"
                                " patient_id = coalesce(patient_id,"
                                " (SELECT patient_id FROM cases WHERE id = ?))"
                                " WHERE id = ? AND submission_id IS NULL",
                                "IIII", sid, case_id, case_id, id);
        if (!rc && fr_store_changes(site->store) != 1)
            rc = fr_error_set(err, FR_ECONFLICT, "intake %" PRId64 " changed meanwhile", id);
        if (!rc) {
            char detail[96];
            snprintf(detail, sizeof detail, "{\"case_id\":%" PRId64 ",\"submission\":%" PRId64 "}",
                     case_id, sid);
            rc = fr_audit_appendi(site->store, site->actor, "submit", "intake", id, detail, err);
        }
        if (!rc)
            rc = fr_store_commit(site->store, err);
        else
            fr_store_rollback(site->store);
    }
    json_decref(row);
    if (!rc && submission_id)
        *submission_id = sid;
    return rc;
}

int fr_intake_link(fr_site *site, int64_t id, int64_t patient_id, int64_t case_id, fr_error *err)
{
    int rc = require_manager(site, err);
    if (rc)
        return rc;
    if (!patient_id && !case_id)
        return fr_error_set(err, FR_EINVAL, "link: give the patient, the case or both");
    json_t *row = NULL;
    if ((rc = intake_row(site, id, &row, err)))
        return rc;
    const char *status = json_string_value(json_object_get(row, "status"));
    int64_t linked = json_integer_value(json_object_get(row, "patient_id"));
    int64_t linked_case = json_integer_value(json_object_get(row, "case_id"));
    if (!status || strcmp(status, "accepted") != 0)
        rc = fr_error_set(err, FR_ECONFLICT,
                          "intake %" PRId64 " is %s: only an accepted intake is linked to a "
                          "patient",
                          id, status ? status : "unknown");
    json_decref(row);
    if (rc)
        return rc;
    /* The case must be the linked patient's, and the user must reach it. */
    int64_t case_patient = 0;
    if (case_id) {
        if ((rc = fr_access_case(site, case_id, FR_WRITE, err)))
            return rc;
        if ((rc = fr_store_query_int(site->store, err, &case_patient,
                                     "SELECT patient_id FROM cases WHERE id = ?", "I", case_id)))
            return rc;
        if (!patient_id)
            patient_id = linked ? linked : case_patient;
        if (case_patient != patient_id)
            return fr_error_set(err, FR_EINVAL,
                                "case %" PRId64 " is not a case of patient %" PRId64
                                " (the intake's person)",
                                case_id, patient_id);
    }
    if ((rc = fr_access_patient(site, patient_id, FR_WRITE, err)))
        return rc;
    if (linked && linked != patient_id)
        return fr_error_set(err, FR_ECONFLICT,
                            "intake %" PRId64 " is already linked to patient %" PRId64, id, linked);
    if (case_id && linked_case && linked_case != case_id)
        return fr_error_set(err, FR_ECONFLICT,
                            "intake %" PRId64 " is already linked to case %" PRId64, id,
                            linked_case);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE intakes SET patient_id = ?, case_id = coalesce(?, case_id)"
                        " WHERE id = ?",
                        "IRI", patient_id, case_id, id);
    if (!rc) {
        rc = fr_audit_appendj(
            site->store, site->actor, "link", "intake", id,
            json_pack("{s:I,s:I}", "patient", (json_int_t)patient_id, "case", (json_int_t)case_id),
            err);
    }
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    return rc;
}

int fr_intake_of(fr_site *site, int64_t patient_id, int64_t case_id, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = case_id ? fr_access_case(site, case_id, FR_READ, err)
                     : fr_access_patient(site, patient_id, FR_READ, err);
    if (rc)
        return rc;
    rc = fr_store_query_json(site->store, err, out,
                             "SELECT id, received_at, referrer_name, referrer_relation,"
                             " referrer_contact, situation, handled_by, handled_at, patient_id,"
                             " case_id FROM intakes WHERE status = 'accepted' AND"
                             " (patient_id = ? OR case_id = ?) ORDER BY received_at, id",
                             "II", case_id ? -1 : patient_id, case_id ? case_id : -1);
    /* The entry names whose intakes were read: the case's or the
     * patient's id, and which of the two in its detail. */
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, case_id ? case_id : patient_id);
    if (!rc && json_array_size(*out) > 0)
        rc = fr_audit_alone(site->store, site->actor, "read", "intakes", oid,
                            case_id ? "{\"of\":\"case\"}" : "{\"of\":\"patient\"}", err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
