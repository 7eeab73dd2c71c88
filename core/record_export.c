/* A patient's whole record as one JSON document, for the person's right
 * of access and to data portability (GDPR art. 15 and 20) and for handing
 * a person over to another service: identity, every case the exporter
 * reaches with what was recorded in it, and who accessed the record. Built
 * from the kernel's own reads, each checked and audited as usual; the
 * export itself is one more audit entry. It reads; it changes nothing of
 * the record (a break-glass access, when asked for, is recorded as always). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "care.h"
#include "clock.h"
#include "form.h"
#include "intake.h"
#include "record.h"
#include "store.h"

#define EXPORT_FORMAT "filrouge-patient-export"
#define EXPORT_VERSION 1

/* The reads of one case, each into its key. */
typedef int (*case_read)(fr_site *site, int64_t case_id, json_t **out, fr_error *err);

/* Each item of a case's list (list) read whole by its id (one): the
 * history of submissions gives no answers, the list of meetings no
 * participants or decisions. */
static int each_whole(fr_site *site, int64_t case_id,
                      int (*list)(fr_site *, int64_t, json_t **, fr_error *),
                      int (*one)(fr_site *, int64_t, json_t **, fr_error *), json_t **out,
                      fr_error *err)
{
    json_t *rows = NULL, *whole = json_array();
    int rc = list(site, case_id, &rows, err);
    size_t i;
    json_t *row;
    if (!rc)
        json_array_foreach(rows, i, row)
        {
            json_t *item = NULL;
            if ((rc = one(site, json_integer_value(json_object_get(row, "id")), &item, err)))
                break;
            json_array_append_new(whole, item);
        }
    json_decref(rows);
    if (rc) {
        json_decref(whole);
        return rc;
    }
    *out = whole;
    return 0;
}

static int history_of(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    return fr_form_history(site, case_id, NULL, 0, out, err);
}

static int submissions_of(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    return each_whole(site, case_id, history_of, fr_form_submission_get, out, err);
}

static int meetings_of(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    return each_whole(site, case_id, fr_meeting_list, fr_meeting_get, out, err);
}

/* Everything recorded in one case the exporter reaches. */
static int case_of(fr_site *site, int64_t patient_id, int64_t case_id, json_t **out, fr_error *err)
{
    static const struct {
        const char *key;
        case_read read;
    } parts[] = {
        {"notes", fr_case_notes},  {"care_plan", fr_care_plan_get}, {"referrals", fr_referral_list},
        {"meetings", meetings_of}, {"submissions", submissions_of},
    };
    json_t *c = NULL, *v = NULL;
    int rc = fr_case_get(site, case_id, &c, err);
    for (size_t i = 0; !rc && i < sizeof parts / sizeof *parts; i++)
        if (!(rc = parts[i].read(site, case_id, &v, err)))
            json_object_set_new(c, parts[i].key, v);
    if (!rc && !(rc = fr_intake_of(site, patient_id, case_id, &v, err)))
        json_object_set_new(c, "intakes", v);
    if (rc) {
        json_decref(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* Who read or changed the patient and the exported cases, and when (the
 * audit trail's entries on those objects, without their details). */
static int accesses_of(fr_site *site, int64_t patient_id, json_t *case_ids, json_t **out,
                       fr_error *err)
{
    char *ids = json_dumps(case_ids, JSON_COMPACT);
    if (!ids)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    /* "[1,2]" → "1,2" compared as text: audit object ids are text */
    ids[strlen(ids) - 1] = '\0';
    char pid[24];
    snprintf(pid, sizeof pid, "%" PRId64, patient_id);
    int rc = fr_store_query_json(
        site->store, err, out,
        "SELECT at, actor, action, object_type, object_id FROM audit"
        " WHERE (object_type = 'patient' AND object_id = ?)"
        " OR (object_type = 'case' AND (',' || ? || ',') LIKE ('%,' || object_id || ',%'))"
        " ORDER BY id",
        "tt", pid, ids + 1);
    free(ids);
    return rc;
}

int fr_patient_export(fr_site *site, int64_t patient_id, json_t **out, fr_error *err)
{
    *out = NULL;
    /* A whole record at once is for the people who answer for it; a
     * provider reads what their work needs, case by case. */
    if (!fr_access_has_role(site, "admin case_manager")) {
        char pid[24];
        snprintf(pid, sizeof pid, "%" PRId64, patient_id);
        fr_access_refused_role(site, "patient", pid);
        return fr_error_set(err, FR_EACCESS,
                            "role: exporting a patient's whole record is for case managers and "
                            "administrators ('%s' is %s); ask the patient's case manager",
                            site->actor, site->actor_role);
    }
    json_t *patient = NULL, *cases = json_array(), *left = json_array(), *ids = json_array(),
           *accesses = NULL;
    int rc = fr_patient_get(site, patient_id, &patient, err);
    size_t i;
    json_t *row;
    if (!rc)
        json_array_foreach(json_object_get(patient, "cases"), i, row)
        {
            int64_t id = json_integer_value(json_object_get(row, "id"));
            int visible = json_is_true(json_object_get(row, "visible")) ||
                          json_integer_value(json_object_get(row, "visible")) > 0;
            /* Not reached: named, not read, unless break-glass was asked
             * for (then each such case is opened through it, audited). */
            if (!visible && !(site->break_glass_reason && *site->break_glass_reason)) {
                json_array_append_new(
                    left, json_pack("{s:I,s:s}", "id", (json_int_t)id, "reason",
                                    "no care relationship: ask its case manager, or export "
                                    "with break-glass access and a reason (audited)"));
                continue;
            }
            json_t *c = NULL;
            if ((rc = case_of(site, patient_id, id, &c, err)))
                break;
            json_array_append_new(cases, c);
            json_array_append_new(ids, json_integer(id));
        }
    if (!rc)
        rc = accesses_of(site, patient_id, ids, &accesses, err);
    if (!rc) {
        /* The export's own entry, after the list of accesses (which
         * holds what was recorded before this export began: on the web
         * server a request's read entries are written when it ends). */
        char pid[24];
        snprintf(pid, sizeof pid, "%" PRId64, patient_id);
        json_t *detail = json_pack("{s:O,s:O}", "cases", ids, "not_included", left);
        char *text = json_dumps(detail, JSON_COMPACT);
        json_decref(detail);
        rc = text ? fr_audit_alone(site->store, site->actor, "export", "patient", pid, text, err)
                  : fr_error_set(err, FR_ENOMEM, "out of memory");
        free(text);
    }
    if (rc) {
        json_decref(patient);
        json_decref(cases);
        json_decref(left);
        json_decref(ids);
        json_decref(accesses);
        return rc;
    }
    json_object_del(patient, "cases"); /* the summary: the cases follow whole */
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    *out = json_pack("{s:s,s:i,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "format", EXPORT_FORMAT, "version",
                     EXPORT_VERSION, "exported_at", now, "exported_by", site->actor, "site",
                     site->name ? site->name : "", "patient", patient, "cases", cases,
                     "not_included", left, "accesses", accesses);
    json_decref(ids);
    return *out ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
}
