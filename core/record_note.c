/* Notes on a case: free text added by a person or a hook. This file writes
 * and reads the case_notes table (core-003-notes.sql); the case page
 * (fr_case_get, record_case.c) reads them too, for people. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "record.h"
#include "text.h"

int fr_case_add_note(fr_site *site, int64_t case_id, const char *text, const char *origin,
                     const char *origin_ref, int64_t *id, fr_error *err)
{
    return fr_case_add_note_on(site, case_id, text, NULL, origin, origin_ref, id, err);
}

int fr_case_add_note_on(fr_site *site, int64_t case_id, const char *text, const char *contact_on,
                        const char *origin, const char *origin_ref, int64_t *id, fr_error *err)
{
    if (fr_text_blank(text))
        return fr_error_set(err, FR_EINVAL,
                            "note: a note needs some text; write what "
                            "happened (a call, a visit, what was said)");
    if (fr_text_check("note", text, FR_TEXT_NOTE_MAX, 1, err))
        return err->code;
    if (!origin || (strcmp(origin, "person") && strcmp(origin, "hook") && strcmp(origin, "plugin")))
        return fr_error_set(err, FR_EINVAL, "a note's origin is person, hook or plugin");
    char today[FR_TIME_LEN], on[32], at[32];
    fr_clock_today(today);
    if (contact_on && !fr_date_valid(contact_on))
        return fr_error_set(err, FR_EINVAL, "on: '%s' is not a date", contact_on);
    if (contact_on && strcmp(contact_on, today) > 0)
        return fr_error_set(err, FR_EINVAL,
                            "on: %s is in the future (today is %s): a note reports a contact "
                            "that happened",
                            fr_clock_human(contact_on, on), fr_clock_human(today, at));
    int rc = fr_access_case(site, case_id, FR_WRITE, err);
    if (rc)
        return rc;
    if (contact_on && (rc = fr_case_check_after_opening(site, case_id, "on", contact_on, err)))
        return rc;
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "INSERT INTO case_notes (case_id, text, author, origin, origin_ref,"
                        " created_at, contact_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        "Itttttt", case_id, text, site->actor, origin, origin_ref, now, contact_on);
    int64_t nid = fr_store_last_id(site->store);
    json_t *d = json_pack("{s:I,s:s,s:s?,s:s?}", "note", (json_int_t)nid, "origin", origin, "ref",
                          origin_ref, "on", contact_on);
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (!rc && !detail)
        rc = fr_error_set(err, FR_ENOMEM, "out of memory");
    if (!rc)
        rc = fr_audit_appendi(site->store, site->actor, "create", "note", nid, detail, err);
    if (!rc)
        rc = fr_bus_publish(site, "case.note-added", case_id, detail, err);
    free(detail);
    if (rc) {
        fr_store_rollback(site->store);
        return rc;
    }
    if ((rc = fr_store_commit(site->store, err)))
        return rc;
    if (id)
        *id = nid;
    return 0;
}

int fr_case_notes(fr_site *site, int64_t case_id, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = fr_access_case(site, case_id, FR_READ, err);
    if (rc)
        return rc;
    json_t *a = NULL;
    if ((rc = fr_store_query_json(site->store, err, &a, FR_NOTES_SQL, "I", case_id)))
        return rc;
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, case_id);
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "notes", oid, NULL, err))) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}
