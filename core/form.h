/* Forms: definitions written in XML (schemas/form.xsd, docs/forms.md), the
 * site's registry of them by (id, version), submissions (validation,
 * calculations, scores with bands, flags, drafts, amendments), HTML
 * rendering (schemas/form-html.xsl) and FHIR R4 export.
 *
 * The server is authoritative: whatever the client sends, values of fields
 * that are not relevant are dropped, calculations and scores are computed
 * here, and every problem of a submission is reported at once. */
#ifndef FR_FORM_H
#define FR_FORM_H

#include <jansson.h>
#include <libxml/xpath.h>
#include <stddef.h>
#include <stdint.h>

#include "site.h"

typedef struct fr_form fr_form;
typedef struct fr_forms fr_forms; /* the site's registry */

/* Largest submission accepted (JSON or XML text), in bytes. */
#define FR_FORM_MAX_SUBMISSION (1024 * 1024)

/* Parses and checks a definition: XSD first, then meaning (unique ids,
 * every reference resolves, every expression compiles, no cycle among
 * calculations, bands do not overlap). Every problem is listed in err, one
 * per line, as "FILE:LINE: <element id='…'>: message". */
int fr_form_load_file(const char *path, fr_form **out, fr_error *err);
/* The same for a text read back from the database: the checks added after
 * it could have been stored (variables in expressions, min-rows above
 * max-rows, defaults no answer could be) are left to the file loaders, so that its submissions stay
 * readable. */
int fr_form_parse(const char *name, const char *text, size_t len, fr_form **out, fr_error *err);
/* The same without keeping the form; on meaning errors *report (malloc'd)
 * lists every problem, one per line, where err holds what fits in it. */
int fr_form_check_file(const char *path, char **report, fr_error *err);
void fr_form_free(fr_form *f);
const char *fr_form_id(const fr_form *f);
int fr_form_version(const fr_form *f);
/* "items" or "external". */
const char *fr_form_kind(const fr_form *f);
/* 1 when the form may be filled on the public intake page (intake="true"). */
int fr_form_intake(const fr_form *f);
/* The title in lang, else in fallback, else the first one. Borrowed. */
const char *fr_form_title(const fr_form *f, const char *lang, const char *fallback);

/* The definition as JSON (fields, choices, scores with bands, flags), with
 * labels in lang (falling back to `fallback`). */
json_t *fr_form_describe(const fr_form *f, const char *lang, const char *fallback);

/* ---- the site's registry --------------------------------------------- */

int fr_forms_new(fr_site *site, fr_error *err);
void fr_forms_free(fr_site *site);

/* Makes a definition provided by `owner` (a plugin id, or "site" for
 * <site>/forms) available; takes ownership of f, also on error. The text is
 * stored when (id, version) is new; a changed text under an existing
 * version is refused ("bump the version"). */
int fr_forms_add(fr_site *site, const char *owner, fr_form *f, fr_error *err);
/* Loads the .xml files of <site>/forms (owner "site"). A file with errors is logged in
 * the site log and skipped; *problems (may be NULL) counts them. */
int fr_forms_load_site_dir(fr_site *site, int *problems, fr_error *err);
/* The owner's forms are no longer listed as loaded (they stay readable). */
void fr_forms_remove_owner(fr_site *site, const char *owner);
/* The definition (id, version); version 0: the newest. Versions not loaded
 * now are read back from the database. Borrowed from the site. */
int fr_forms_get(fr_site *site, const char *id, int version, const fr_form **out, fr_error *err);
/* 1 when the form (its id and version) is offered now: loaded by an enabled
 * plugin or from <site>/forms; 0 for a definition only kept for the
 * submissions made under it (its plugin since disabled). */
int fr_forms_offered(fr_site *site, const fr_form *f);
/* JSON array of {id, version, owner, loaded, kind, title, submissions}. */
int fr_forms_list(fr_site *site, const char *lang, json_t **out, fr_error *err);

/* ---- submissions ------------------------------------------------------ */

typedef struct fr_submit {
    const char *form_id;
    int form_version; /* 0: the newest */
    int64_t case_id;  /* required */
    const char *data; /* JSON object or XML instance text */
    size_t len;
    int draft;          /* save as a draft: required fields not enforced */
    int64_t draft_id;   /* continue this draft (finalise it unless draft) */
    int64_t amends;     /* amend this final submission ... */
    const char *reason; /* ... for this reason (required with amends) */
    const char *lang;   /* messages; NULL: the site's first language */
} fr_submit;

/* Validates, computes and stores a submission in one transaction with its
 * scores, flags, events (form.submitted or form.draft-saved, form.flagged,
 * form.amended) and audit entry. On invalid input returns FR_EINVAL, stores
 * nothing, and *problems (when not NULL) receives an array of
 * {field, message} — every problem, messages in lang; err summarises them.
 * *id receives the submission's id. */
/* Whether a site's bands setting (bands.FORM.SCORE: "scheme: 0-4 code;
 * 5-9 code; 10- code") reads: 0, or FR_EINVAL saying which part is wrong
 * and how to write it (site.xml is checked with it at open). */
int fr_form_bands_check(const char *setting, fr_error *err);

int fr_form_submit(fr_site *site, const fr_submit *s, int64_t *id, json_t **problems,
                   fr_error *err);

/* fr_form_submit in two phases, for a server that writes on one connection
 * and can do the rest elsewhere (fr_form_submit runs them back to back).
 * Phase one validates and computes on any connection, writing nothing; it
 * leaves everything to phase two when an argument or an access would be
 * refused, a prior submission does not fit, or the form has Python
 * validate or compute hooks (NULL only when memory runs out). Phase two, on the
 * writing connection, checks again what may have changed since (access,
 * audited; the draft still a draft; the amended submission not amended
 * since; the form version; the language), evaluates again when the
 * prepared evaluation does not fit, and stores as fr_form_submit does. The
 * same s is given to both; prep may be NULL. */
typedef struct fr_submit_prep fr_submit_prep;
fr_submit_prep *fr_form_submit_prepare(fr_site *site, const fr_submit *s);
int fr_form_submit_prepared(fr_site *site, const fr_submit *s, fr_submit_prep *prep, int64_t *id,
                            json_t **problems, fr_error *err);
void fr_submit_prep_free(fr_submit_prep *p);

/* Validates and computes without storing or access checks (form check,
 * benchmark, web preview). *result: {values, computed, scores, flags}. */
int fr_form_evaluate(fr_site *site, const fr_form *f, const char *data, size_t len, int final,
                     const char *lang, json_t **result, json_t **problems, fr_error *err);

/* One submission with its scores and flags (audited read). */
int fr_form_submission_get(fr_site *site, int64_t id, json_t **out, fr_error *err);

/* The same, for the answer to the request that has just stored it, built
 * from what phase two stored through prep (fr_form_submit_prepared), not
 * read back: no database, no access check and no read entry in the audit
 * trail (the write was checked, and its own entry covers what it wrote).
 * NULL when prep stored nothing (or memory ran out). */
json_t *fr_form_submission_as_written(const fr_submit_prep *prep);
/* Submissions of a case, newest first (audited read); form_id NULL: all;
 * drafts_only: only drafts. */
int fr_form_history(fr_site *site, int64_t case_id, const char *form_id, int drafts_only,
                    json_t **out, fr_error *err);
/* The drafts the acting user may see, over all reachable cases. */
int fr_form_drafts(fr_site *site, json_t **out, fr_error *err);

/* The latest score `score` of form `form_id` of every case the acting user
 * reaches (final, not superseded submissions), by case: a JSON array of
 * {case_id, value, band, band_scheme, submission, submitted_at}. One audit
 * entry for the read. */
int fr_form_latest_scores(fr_site *site, const char *form_id, const char *score, json_t **out,
                          fr_error *err);

/* ---- rendering and export --------------------------------------------- */

/* HTML fragment for the form in lang; values (object, may be NULL) fill the
 * widgets and problems (array of {field, message}, may be NULL) are shown
 * next to their fields. *html is malloc'd. */
int fr_form_render(fr_site *site, const fr_form *f, const char *lang, json_t *values,
                   json_t *problems, char **html, fr_error *err);

/* FHIR R4 Questionnaire of a definition. */
int fr_form_fhir_questionnaire(const fr_form *f, const char *lang, const char *fallback,
                               json_t **out, fr_error *err);
/* FHIR R4 QuestionnaireResponse of a stored submission (audited read). */
int fr_form_fhir_response(fr_site *site, int64_t submission_id, json_t **out, fr_error *err);

/* ---- workflow integration --------------------------------------------- */

/* Registers score('form.score') and value('form.field') — the latest final
 * (not superseded) submission of the case — plus the date functions on an
 * XPath context used for a workflow guard. The functions keep `site` and
 * `case_id` in a struct the caller owns for the context's lifetime. */
typedef struct fr_form_xpath_case {
    fr_site *site;
    int64_t case_id;
} fr_form_xpath_case;
void fr_form_xpath_register_case(xmlXPathContextPtr ctx, fr_form_xpath_case *c);

/* Registers the date functions only: today(), age(date), days-between(a, b),
 * selected(list, code), count-selected(list), and setting(plugin, name,
 * default), which reads the site from userData when it is an
 * fr_form_xpath_case (else gives the default). */
void fr_form_xpath_register(xmlXPathContextPtr ctx);
/* A context with the form functions registered, on doc: reused from the
 * thread's last form evaluation when there is one (NULL: no memory).
 * Give it back with fr_form_xpath_context_done. */
xmlXPathContextPtr fr_form_xpath_context(xmlDocPtr doc);
void fr_form_xpath_context_done(xmlXPathContextPtr ctx);

#endif
