/* Intakes ("signalements"): anybody may signal a complex situation (the
 * person, a relative, any professional — Protocol 3, step 1). An intake
 * waits in the triage queue (table intakes, core-004-web.sql) until a
 * case manager accepts it (then registers the person and opens a case) or
 * dismisses it. Every step is audited; the queue is readable by case
 * managers and administrators only. */
#ifndef FR_INTAKE_H
#define FR_INTAKE_H

#include <jansson.h>
#include <stdint.h>

#include "site.h"

typedef struct fr_intake_new {
    const char *referrer_name;     /* required */
    const char *referrer_contact;  /* required: phone or e-mail */
    const char *referrer_relation; /* optional */
    const char *person_name;       /* required */
    const char *person_birth_date; /* YYYY-MM-DD or NULL */
    const char *person_city;
    const char *situation; /* required, at most 4000 characters */
    const char *via;       /* "web", "phone", … (audit detail) */
    /* Optional: answers (a JSON object) to a form with intake="true", the
     * request form of a plugin (youth-request). They are checked as a
     * final submission would be; on FR_EINVAL *problems (when not NULL)
     * receives [{field, message}] in the actor's language. */
    const char *form_id;
    const char *answers;
    json_t **problems;
} fr_intake_new;

/* Records an intake. Anybody may (the public form acts as "public" when
 * the site's actor is the system). Audited. */
int fr_intake_add(fr_site *site, const fr_intake_new *n, int64_t *id, fr_error *err);

/* The intakes with `status` (new, accepted, dismissed; NULL: new), oldest
 * first: a JSON array of {id, received_at, referrer_name, referrer_contact,
 * referrer_relation, person_name, person_birth_date, person_city,
 * situation, status, handled_by, handled_at, patient_id, case_id, form_id,
 * form_version, answers (an object, or null), submission_id}. Case managers and
 * administrators; the read is audited. */
int fr_intake_list(fr_site *site, const char *status, int limit, int offset, json_t **out,
                     fr_error *err);

/* One intake: {id, person_name, person_birth_date, person_city, status,
 * patient_id, case_id} (0 when not linked). Case managers and
 * administrators; the read is audited. For the registration of the person
 * of an accepted intake, prefilled without their name in a URL. */
int fr_intake_get(fr_site *site, int64_t id, json_t **out, fr_error *err);

/* Accepts or dismisses a waiting intake. *out (may be NULL) receives the
 * intake as it was. FR_ECONFLICT when it was handled already (another tab,
 * a colleague): the message says how, by whom and when, and *out receives
 * {status, handled_by (login), handled_by_name, handled_at} ("" when not
 * known), which the caller frees. */
int fr_intake_decide(fr_site *site, int64_t id, int accept, const char *note, json_t **out,
                       fr_error *err);

/* The answers of an accepted intake become a final submission of its form
 * on `case_id` (the case opened for it; the acting user needs write access
 * to it), once. FR_EINVAL when the intake has no form, FR_ECONFLICT when it
 * is not accepted or was submitted already. Audited. */
int fr_intake_submit(fr_site *site, int64_t id, int64_t case_id, int64_t *submission_id,
                     fr_error *err);

/* Links an accepted intake to the patient registered from it and/or the
 * case opened for them (the case must be that patient's; the user needs
 * write access to both). A link once made is not moved (FR_ECONFLICT).
 * Audited ("link"). */
int fr_intake_link(fr_site *site, int64_t id, int64_t patient_id, int64_t case_id, fr_error *err);

/* The accepted intakes linked to a patient (case_id 0) or to a case: JSON
 * array of {id, received_at, referrer_name, referrer_relation,
 * referrer_contact, situation, handled_by, handled_at, patient_id,
 * case_id}. Anybody who may read the patient (or case); audited under the
 * patient's (or case's) id, detail {"of": "patient"|"case"}. */
int fr_intake_of(fr_site *site, int64_t patient_id, int64_t case_id, json_t **out, fr_error *err);

#endif
