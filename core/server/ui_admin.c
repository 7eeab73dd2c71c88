/* Intake intake and administration pages: the public /refer form (no
 * login; a honeypot field and a rate limit per address) landing in the
 * triage queue (table intakes, core-004-web.sql); the triage page for
 * case managers; administration (plugins, users and teams, failed events
 * with retry, the audit trail and its verification). */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "form.h"
#include "intake.h"
#include "plugin.h"
#include "record.h"
#include "text.h"

#define T(key) fr_t(r->lang, key)

static void esc_t(fr_req *r, fr_buf *b, const char *key)
{
    fr_buf_esc(b, T(key));
}

/* One labelled input of the intake form; `pfx` ("_" when a request form
 * is attached, so that its fields keep their own names) goes before the
 * name; the value is what the person typed before, and `own` (NULL or an
 * object: the field's name without the prefix → its problem) says what is
 * wrong with it. */
static void refer_input(fr_req *r, fr_buf *b, const char *pfx, const char *name, const char *key,
                        int required, json_t *own, int *focused)
{
    char full[48], id[52];
    snprintf(full, sizeof full, "%s%s", pfx, name);
    snprintf(id, sizeof id, "f-%s", full);
    const char *problem = json_string_value(json_object_get(own, name));
    fr_page_input in = {.id = id,
                        .name = full,
                        .label = T(key),
                        .required = required,
                        .maxlength = 200,
                        .value = fr_req_field(r, full),
                        .problem = problem};
    fr_page_field(b, &in, focused);
}

/* ---- intake ---- */

/* The request form a plugin offers on /refer?form=ID (intake="true", its
 * plugin enabled now), or NULL with a 404 page already written. */
static const fr_form *intake_form(fr_req *r, fr_resp *w, const char *id)
{
    const fr_form *f = NULL;
    fr_error err = {0};
    if (fr_forms_get(r->site, id, 0, &f, &err) != 0 || !fr_form_intake(f) ||
        !fr_forms_offered(r->site, f)) {
        fr_page_message(r, w, 404, T("error.notfound.title"), T("error.notfound.text"));
        return NULL;
    }
    return f;
}

/* The form's widgets inside the intake's own <form>: the rendered
 * fragment without its <form> element and its submit button. */
static void intake_form_fields(fr_req *r, fr_buf *b, const fr_form *f, json_t *values,
                               json_t *problems)
{
    char *html = NULL;
    fr_error err = {0};
    if (fr_form_render(r->site, f, r->lang, values, problems, &html, &err) != 0)
        return;
    const char *open = strstr(html, "<form");
    const char *gt = open ? strchr(open, '>') : NULL;
    const char *close = gt ? strstr(gt, "</form>") : NULL;
    const char *button = close ? strstr(gt, "<p><button type=\"submit\">") : NULL;
    const char *after = button && button < close ? strstr(button, "</p>") : NULL;
    if (close) {
        fr_buf_puts(b, "<fieldset class=\"intake-form\">");
        if (after && after < close) {
            fr_buf_add(b, gt + 1, (size_t)(button - gt - 1));
            fr_buf_add(b, after + 4, (size_t)(close - after - 4));
        } else {
            fr_buf_add(b, gt + 1, (size_t)(close - gt - 1));
        }
        fr_buf_puts(b, "</fieldset>");
    }
    free(html);
}

/* The public intake page; with a plugin's request form (f), its questions
 * follow the intake's, whose inputs are then named "_…". values and
 * problems refill it after a refusal. */
static void refer_page(fr_req *r, fr_resp *w, int status, const fr_form *f, json_t *values,
                       json_t *problems, json_t *own, const char *message)
{
    fr_buf *b = &w->body;
    const char *pfx = f ? "_" : "";
    fr_page_begin(r, w, f ? fr_form_title(f, r->lang, "fr") : T("refer.title"));
    w->status = status;
    fr_buf_puts(b, "<p>");
    esc_t(r, b, "refer.intro");
    fr_buf_puts(b, "</p>");
    if (message) {
        fr_buf_puts(b, "<p class=\"error\" role=\"alert\">");
        fr_buf_esc(b, message);
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "<form method=\"post\" action=\"/refer\" class=\"card grid\">");
    if (f) {
        fr_buf_puts(b, "<input type=\"hidden\" name=\"_form\" value=\"");
        fr_buf_esc(b, fr_form_id(f));
        fr_buf_puts(b, "\">");
    }
    int focused = 0;
    refer_input(r, b, pfx, "referrer_name", "refer.referrer_name", 1, own, &focused);
    refer_input(r, b, pfx, "referrer_contact", "refer.referrer_contact", 1, own, &focused);
    refer_input(r, b, pfx, "referrer_relation", "refer.referrer_relation", 0, own, &focused);
    refer_input(r, b, pfx, "person_name", "refer.person_name", 1, own, &focused);
    refer_input(r, b, pfx, "person_birth_date", "patient.birth", 0, own, &focused);
    refer_input(r, b, pfx, "person_city", "patient.city", 0, own, &focused);
    const char *sit = fr_req_field(r, f ? "_situation" : "situation");
    const char *sit_problem = json_string_value(json_object_get(own, "situation"));
    fr_buf_printf(b, "<label for=\"f-%ssituation\">", pfx);
    esc_t(r, b, "refer.situation");
    fr_buf_printf(b,
                  " *</label><textarea id=\"f-%ssituation\" name=\"%ssituation\" rows=\"6\" "
                  "maxlength=\"4000\" required",
                  pfx, pfx);
    if (sit_problem)
        fr_buf_printf(b, " aria-invalid=\"true\" aria-describedby=\"f-%ssituation-problem\"%s", pfx,
                      focused ? "" : " autofocus");
    fr_buf_puts(b, ">");
    fr_buf_esc(b, sit ? sit : "");
    fr_buf_puts(b, "</textarea>");
    if (sit_problem) {
        fr_buf_printf(b, "<p class=\"fr-error\" id=\"f-%ssituation-problem\">", pfx);
        fr_buf_esc(b, sit_problem);
        fr_buf_puts(b, "</p>");
    }
    if (f)
        intake_form_fields(r, b, f, values, problems);
    /* The honeypot: hidden from people (CSS and aria), filled by bots. */
    fr_buf_puts(b, "<div class=\"hp\" aria-hidden=\"true\"><label for=\"f-website\">Website</label>"
                   "<input id=\"f-website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\">"
                   "</div><button type=\"submit\">");
    esc_t(r, b, "refer.submit");
    fr_buf_puts(b, "</button></form>");
    fr_page_end(r, w);
}

void fr_ui_refer(fr_req *r, fr_resp *w)
{
    const char *id = fr_req_query(r, "form");
    const fr_form *f = NULL;
    if (id && *id && !(f = intake_form(r, w, id)))
        return;
    refer_page(r, w, 200, f, NULL, NULL, NULL, NULL);
}

static const char *field_or_null(fr_req *r, const char *name)
{
    const char *v = fr_req_field(r, name);
    return v && *v ? v : NULL;
}

/* The request form's answers: every field not named "_…" (nor the
 * honeypot); a name given twice (checkboxes) is a list. */
static json_t *intake_answers(fr_req *r)
{
    json_t *o = json_object();
    for (int i = 0; i < r->nfields; i++) {
        const char *k = r->fields[i].name, *v = r->fields[i].value;
        if (!k || k[0] == '_' || strcmp(k, "website") == 0 || !v || !*v)
            continue;
        json_t *old = json_object_get(o, k);
        if (!old)
            json_object_set_new(o, k, json_string(v));
        else if (json_is_array(old))
            json_array_append_new(old, json_string(v));
        else
            json_object_set_new(o, k, json_pack("[O,s]", old, v));
    }
    return o;
}

/* What is wrong with the intake's own fields (the prefix pfx before their
 * names), each under its name without it; NULL when nothing. A birth date
 * given and valid is left in birth as YYYY-MM-DD. */
static json_t *intake_problems(fr_req *r, const char *pfx, char birth[11])
{
    static const struct {
        const char *name;
        int required, max;
    } fields[] = {{"referrer_name", 1, 200},     {"referrer_contact", 1, 200},
                  {"referrer_relation", 0, 200}, {"person_name", 1, 200},
                  {"person_city", 0, 200},       {"situation", 1, 4000}};
    json_t *own = json_object();
    char name[48], text[300], today[FR_TIME_LEN];
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        snprintf(name, sizeof name, "%s%s", pfx, fields[i].name);
        const char *v = fr_req_field(r, name);
        if (fields[i].required && (!v || v[strspn(v, " \t\r\n")] == '\0'))
            json_object_set_new(own, fields[i].name, json_string(T("field.required")));
        else if (v && strlen(v) > (size_t)fields[i].max)
            json_object_set_new(
                own, fields[i].name,
                json_string(fr_text_n(T("field.toolong"), fields[i].max, text, sizeof text)));
    }
    snprintf(name, sizeof name, "%sperson_birth_date", pfx);
    const char *bt = field_or_null(r, name);
    fr_clock_today(today);
    birth[0] = '\0';
    if (bt && fr_parse_date(bt, birth))
        json_object_set_new(own, "person_birth_date", json_string(T("forms.bad_date")));
    else if (bt && strcmp(birth, today) > 0)
        json_object_set_new(own, "person_birth_date", json_string(T("patient.birth_future")));
    if (json_object_size(own) == 0) {
        json_decref(own);
        return NULL;
    }
    return own;
}

void fr_ui_refer_post(fr_req *r, fr_resp *w)
{
    const char *hp = fr_req_field(r, "website");
    const char *fid = field_or_null(r, "_form");
    const fr_form *f = NULL;
    if (fid && !(f = intake_form(r, w, fid)))
        return;
    char name[32];
#define INTAKE_FIELD(n) (snprintf(name, sizeof name, "%s%s", f ? "_" : "", n), field_or_null(r, name))
    const char *rn = INTAKE_FIELD("referrer_name"), *rc_ = INTAKE_FIELD("referrer_contact"),
               *pn = INTAKE_FIELD("person_name"), *sit = INTAKE_FIELD("situation");
    char birth[11] = "";
    if (hp && *hp) {
        /* A bot: answer as if accepted, keep nothing. */
        fr_page_message(r, w, 200, T("refer.thanks.title"), T("refer.thanks.text"));
        return;
    }
    if (!fr_server_intake_allowed(r->server, r->remote)) {
        fr_page_message(r, w, 429, T("refer.title"), T("refer.toomany"));
        return;
    }
    json_t *answers = f ? intake_answers(r) : NULL;
    json_t *own = intake_problems(r, f ? "_" : "", birth);
    if (own) {
        /* the page again, as typed, each problem next to its field */
        refer_page(r, w, 400, f, answers, NULL, own, T("refer.missing"));
        json_decref(own);
        json_decref(answers);
        return;
    }
    char *text = answers ? json_dumps(answers, JSON_COMPACT) : NULL;
    json_t *problems = NULL;
    fr_intake_new n = {.referrer_name = rn,
                       .referrer_contact = rc_,
                       .referrer_relation = INTAKE_FIELD("referrer_relation"),
                       .person_name = pn,
                       .person_birth_date = birth[0] ? birth : NULL,
                       .person_city = INTAKE_FIELD("person_city"),
                       .situation = sit,
                       .via = "web",
                       .form_id = f ? fr_form_id(f) : NULL,
                       .answers = text,
                       .problems = &problems};
#undef INTAKE_FIELD
    fr_error err = {0};
    int rc = fr_intake_add(r->site, &n, NULL, &err);
    free(text);
    if (rc && f && problems)
        /* The request form's own checks: every problem next to its field. */
        refer_page(r, w, 400, f, answers, problems, NULL, T("refer.missing"));
    else if (rc)
        fr_page_error(r, w, &err);
    else
        fr_page_message(r, w, 201, T("refer.thanks.title"), T("refer.thanks.text"));
    json_decref(problems);
    json_decref(answers);
}

/* The item of a form description (fr_form_describe) with this id, groups
 * searched too; NULL when none. */
static json_t *described_item(json_t *items, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (strcmp(fr_js(it, "id"), id) == 0)
            return it;
        json_t *inner = described_item(json_object_get(it, "items"), id);
        if (inner)
            return inner;
    }
    return NULL;
}

/* One answer as the person reads it: option codes as their labels (a
 * multiple choice's codes one by one), booleans as yes/no, else the text. */
static void answer_text(fr_req *r, fr_buf *b, json_t *item, json_t *x)
{
    if (json_is_boolean(x) ||
        (item && strcmp(fr_js(item, "type"), "boolean") == 0 && json_is_string(x))) {
        int yes =
            json_is_true(x) || (json_is_string(x) && strcmp(json_string_value(x), "true") == 0);
        esc_t(r, b, yes ? "common.yes" : "common.no");
        return;
    }
    json_t *options = item ? json_object_get(item, "options") : NULL;
    if (json_is_array(options) && (json_is_string(x) || json_is_array(x))) {
        /* a choice's code, or a multiple choice's codes (a list, or
         * space-separated) */
        json_t *codes = json_is_array(x) ? json_incref(x) : json_array();
        char *copy = json_is_string(x) ? strdup(json_string_value(x)) : NULL, *save = NULL;
        for (char *c = copy ? strtok_r(copy, " ", &save) : NULL; c; c = strtok_r(NULL, " ", &save))
            json_array_append_new(codes, json_string(c));
        free(copy);
        size_t i, j;
        json_t *c, *o;
        json_array_foreach(codes, i, c)
        {
            const char *code = json_is_string(c) ? json_string_value(c) : "", *label = code;
            json_array_foreach(options, j, o)
            {
                if (strcmp(fr_js(o, "code"), code) == 0 && *fr_js(o, "label"))
                    label = fr_js(o, "label");
            }
            if (i)
                fr_buf_puts(b, " ; ");
            fr_buf_esc(b, label);
        }
        json_decref(codes);
        return;
    }
    char *text = json_is_string(x) ? NULL : json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY);
    fr_buf_esc(b, text ? text : json_string_value(x));
    free(text);
}

/* The answers to a request form an intake carries: the form's title and
 * each answer under its question, option codes shown as their labels, in
 * the user's language. */
static void intake_answers_html(fr_req *r, fr_buf *b, json_t *v)
{
    json_t *a = json_object_get(v, "answers");
    if (!json_is_object(a))
        return;
    const fr_form *f = NULL;
    fr_error err = {0};
    const char *fid = fr_js(v, "form_id");
    json_t *desc =
        fr_forms_get(r->site, fid, 0, &f, &err) == 0 ? fr_form_describe(f, r->lang, "fr") : NULL;
    fr_buf_puts(b, "<details class=\"answers\"><summary>");
    esc_t(r, b, "triage.answers");
    fr_buf_puts(b, " — ");
    fr_buf_esc(b, desc ? fr_js(desc, "title") : fid);
    fr_buf_puts(b, "</summary><dl>");
    const char *k;
    json_t *x;
    json_object_foreach(a, k, x)
    {
        json_t *item = desc ? described_item(json_object_get(desc, "items"), k) : NULL;
        fr_buf_puts(b, "<dt>");
        fr_buf_esc(b, item && *fr_js(item, "label") ? fr_js(item, "label") : k);
        fr_buf_puts(b, "</dt><dd>");
        answer_text(r, b, item, x);
        fr_buf_puts(b, "</dd>");
    }
    fr_buf_puts(b, "</dl></details>");
    json_decref(desc);
}

/* Accepted intakes whose request form's answers are not on a case yet:
 * the case manager names the case opened for the person; after a refusal
 * (problems: of the path's intake), the number as typed and what is wrong
 * with it. */
static void triage_pending(fr_req *r, fr_buf *b, json_t *problems)
{
    int focused = 0;
    json_t *list = NULL;
    fr_error err = {0};
    if (fr_intake_list(r->site, "accepted", 200, 0, &list, &err))
        return;
    int shown = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (!json_is_object(json_object_get(v, "answers")) || fr_ji(v, "submission_id"))
            continue;
        if (!shown++) {
            fr_buf_puts(b, "<h2>");
            esc_t(r, b, "triage.pending");
            fr_buf_puts(b, "</h2>");
        }
        fr_buf_puts(b, "<article class=\"card intake\"><h3>");
        fr_buf_esc(b, fr_js(v, "person_name"));
        fr_buf_puts(b, "</h3>");
        intake_answers_html(r, b, v);
        fr_buf_printf(b,
                      "<form method=\"post\" action=\"/triage/%" JSON_INTEGER_FORMAT
                      "\" class=\"inline\">",
                      fr_ji(v, "id"));
        int mine = problems && fr_parse_id(r->params[0]) == fr_ji(v, "id");
        fr_page_problems_alert(r, b, mine ? problems : NULL);
        fr_page_csrf(r, b);
        char id[40];
        snprintf(id, sizeof id, "f-case-%" JSON_INTEGER_FORMAT, fr_ji(v, "id"));
        fr_page_input in = {.id = id,
                            .name = "case_id",
                            .label = T("triage.tocase"),
                            .required = 1,
                            .inputmode = "numeric",
                            .value = mine ? fr_req_field(r, "case_id") : NULL,
                            .problem = mine ? fr_page_problem(problems, "case_id") : NULL};
        fr_page_field(b, &in, &focused);
        fr_buf_puts(b, " <button type=\"submit\" name=\"action\" value=\"submit\">");
        esc_t(r, b, "triage.submit");
        fr_buf_puts(b, "</button></form></article>");
    }
    json_decref(list);
}

/* The triage page; problems: those of the refused case number of the
 * path's intake (422). */
static void triage_page(fr_req *r, fr_resp *w, json_t *problems)
{
    fr_error err = {0};
    json_t *list = NULL;
    if (fr_intake_list(r->site, "new", 200, 0, &list, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_buf *b = &w->body;
    char d[32];
    if (problems)
        w->status = 422;
    fr_page_begin(r, w, T("triage.title"));
    if (json_array_size(list) == 0) {
        fr_buf_puts(b, "<p>");
        esc_t(r, b, "triage.none");
        fr_buf_puts(b, "</p>");
    }
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        fr_buf_puts(b, "<article class=\"card intake\"><h2>");
        fr_buf_esc(b, fr_js(v, "person_name"));
        fr_buf_puts(b, "</h2><p class=\"muted\">");
        fr_buf_esc(b, fr_human_date(fr_js(v, "received_at"), d));
        fr_buf_puts(b, " — ");
        fr_buf_esc(b, fr_js(v, "referrer_name"));
        fr_buf_puts(b, " (");
        fr_buf_esc(b, fr_js(v, "referrer_relation"));
        fr_buf_puts(b, ") ");
        fr_buf_esc(b, fr_js(v, "referrer_contact"));
        fr_buf_puts(b, "</p><p class=\"situation\">");
        fr_buf_esc(b, fr_js(v, "situation"));
        fr_buf_puts(b, "</p>");
        intake_answers_html(r, b, v);
        fr_buf_printf(b,
                      "<form method=\"post\" action=\"/triage/%" JSON_INTEGER_FORMAT
                      "\" class=\"inline\">",
                      fr_ji(v, "id"));
        fr_page_csrf(r, b);
        fr_buf_puts(b, "<button type=\"submit\" name=\"action\" value=\"accept\">");
        esc_t(r, b, "triage.accept");
        fr_buf_puts(b, "</button> <button type=\"submit\" name=\"action\" value=\"dismiss\" "
                       "class=\"secondary\">");
        esc_t(r, b, "triage.dismiss");
        fr_buf_puts(b, "</button></form></article>");
    }
    json_decref(list);
    triage_pending(r, b, problems);
    /* the intakes accepted lately, with the patient and case made from them */
    if (fr_intake_list(r->site, "accepted", 500, 0, &list, &err) == 0 && json_array_size(list)) {
        fr_buf_puts(b, "<section class=\"card\" id=\"accepted\"><h2>");
        esc_t(r, b, "triage.accepted");
        fr_buf_puts(b, "</h2><ul>");
        size_t n = json_array_size(list);
        for (size_t k = 0; k < n && k < 20; k++) { /* newest first */
            v = json_array_get(list, n - 1 - k);
            fr_buf_puts(b, "<li>");
            fr_buf_esc(b, fr_human_date(fr_js(v, "received_at"), d));
            fr_buf_puts(b, " — ");
            fr_buf_esc(b, fr_js(v, "person_name"));
            fr_buf_puts(b, " → ");
            if (fr_ji(v, "patient_id")) {
                fr_buf_printf(b, "<a href=\"/patients/%" JSON_INTEGER_FORMAT "\">",
                              fr_ji(v, "patient_id"));
                esc_t(r, b, "intake.patient");
                fr_buf_puts(b, "</a>");
            } else {
                esc_t(r, b, "intake.no_patient");
            }
            if (fr_ji(v, "case_id")) {
                fr_buf_printf(b, ", <a href=\"/cases/%" JSON_INTEGER_FORMAT "\">",
                              fr_ji(v, "case_id"));
                esc_t(r, b, "col.case");
                fr_buf_printf(b, " %" JSON_INTEGER_FORMAT "</a>", fr_ji(v, "case_id"));
            }
            fr_buf_puts(b, "</li>");
        }
        fr_buf_puts(b, "</ul></section>");
    }
    json_decref(list);
    fr_page_end(r, w);
}

void fr_ui_triage(fr_req *r, fr_resp *w)
{
    triage_page(r, w, NULL);
}

int64_t fr_ui_intakes_section(fr_req *r, fr_buf *b, int64_t patient_id, int64_t case_id)
{
    json_t *list = NULL;
    fr_error err = {0};
    char d[32];
    int64_t open = 0;
    if (fr_intake_of(r->site, patient_id, case_id, &list, &err) || json_array_size(list) == 0) {
        json_decref(list);
        return 0;
    }
    fr_buf_puts(b, "<section class=\"card\" id=\"intake\"><h2>");
    esc_t(r, b, "intake.from");
    fr_buf_puts(b, "</h2>");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (!open && !fr_ji(v, "case_id"))
            open = fr_ji(v, "id");
        fr_buf_printf(b, "<p class=\"muted\" data-intake=\"%" JSON_INTEGER_FORMAT "\">",
                      fr_ji(v, "id"));
        fr_buf_esc(b, fr_human_date(fr_js(v, "received_at"), d));
        fr_buf_puts(b, " — ");
        fr_buf_esc(b, fr_js(v, "referrer_name"));
        if (*fr_js(v, "referrer_relation")) {
            fr_buf_puts(b, " (");
            fr_buf_esc(b, fr_js(v, "referrer_relation"));
            fr_buf_puts(b, ")");
        }
        fr_buf_puts(b, " ");
        fr_buf_esc(b, fr_js(v, "referrer_contact"));
        fr_buf_puts(b, "</p><p class=\"situation\">");
        fr_buf_esc(b, fr_js(v, "situation"));
        fr_buf_puts(b, "</p><p>");
        if (!case_id && fr_ji(v, "case_id")) {
            fr_buf_printf(b, "<a href=\"/cases/%" JSON_INTEGER_FORMAT "\">", fr_ji(v, "case_id"));
            esc_t(r, b, "col.case");
            fr_buf_printf(b, " %" JSON_INTEGER_FORMAT "</a>", fr_ji(v, "case_id"));
        } else if (case_id) {
            fr_buf_printf(b, "<a href=\"/patients/%" JSON_INTEGER_FORMAT "\">",
                          fr_ji(v, "patient_id"));
            esc_t(r, b, "intake.patient");
            fr_buf_puts(b, "</a>");
        }
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "</section>");
    json_decref(list);
    return open;
}

void fr_ui_triage_post(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    int64_t id = fr_parse_id(r->params[0]);
    const char *action = fr_req_field(r, "action");
    if (action && strcmp(action, "submit") == 0) {
        /* The accepted request's answers onto the case opened for it. */
        static const fr_page_rule rules[] = {{"case_id", "case", 1, 0, 't'}};
        const char *typed = fr_page_opt(r, "case_id");
        char number[24] = ""; /* spaces around forgiven */
        snprintf(number, sizeof number, "%s", typed ? typed : "");
        for (size_t n = strlen(number); n && number[n - 1] == ' ';)
            number[--n] = '\0';
        int64_t sid = 0, case_id = fr_parse_id(number);
        json_t *problems = NULL;
        if (!case_id)
            fr_page_put(&problems, "case_id", T(typed ? "triage.case_bad" : "field.required"));
        else if (fr_intake_submit(r->site, id, case_id, &sid, &err) &&
                 !fr_page_refusal(r, &problems, &err, rules, 1)) {
            /* no access to that case, already submitted: the error page */
            fr_page_error(r, w, &err);
            return;
        }
        if (problems) {
            triage_page(r, w, problems);
            json_decref(problems);
            return;
        }
        fr_resp_redirect(w, "/cases/%" PRId64, case_id);
        return;
    }
    int accept = action && strcmp(action, "accept") == 0;
    if (!action || (!accept && strcmp(action, "dismiss") != 0)) {
        fr_error_set(&err, FR_EINVAL, "action: accept or dismiss");
        fr_page_error(r, w, &err);
        return;
    }
    json_t *row = NULL;
    if (fr_intake_decide(r->site, id, accept, NULL, &row, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    if (!accept) {
        json_decref(row);
        fr_resp_redirect(w, "/triage");
        return;
    }
    /* Accepted: register the person, the form prefilled from the intake
     * by the patients page (their name is not put in the URL: browser
     * history, a proxy's access log); the patient registered from it is
     * linked to the intake. */
    fr_resp_redirect(w, "/patients?intake=%" PRId64, id);
    json_decref(row);
}

/* ---- administration ---- */

int fr_ui_require_admin(fr_req *r, fr_resp *w)
{
    if (strcmp(r->role, "admin") == 0)
        return 0;
    fr_error err = {0};
    fr_error_set(&err, FR_EACCESS, "%s", T("error.admin"));
    fr_audit_alone(r->site->store, r->login, "denied", "page", r->path,
                   "{\"reason\":\"not an administrator\"}", &err);
    fr_error_set(&err, FR_EACCESS, "%s", T("error.admin"));
    fr_page_error(r, w, &err);
    return -1;
}

/* One input of the administration's form `form`: after its refusal, what
 * was typed (never a password) and its problem. */
static void admin_input(fr_req *r, fr_buf *b, const fr_refusal *refused, const char *form,
                        const char *name, const char *key, int max, const char *type, int *focused)
{
    char id[40];
    snprintf(id, sizeof id, "f-%s", name);
    int secret = type && strcmp(type, "password") == 0;
    int number = type && strcmp(type, "number") == 0; /* kept as typed, even "trente" */
    fr_page_input in = {.id = id,
                        .name = name,
                        .label = T(key),
                        .type = number ? "text" : type,
                        .inputmode = number ? "numeric" : NULL,
                        .required = strcmp(name, "capacity") != 0,
                        .maxlength = max,
                        .value = secret ? NULL : fr_refusal_value(r, refused, form, name),
                        .problem = fr_page_problem(fr_refusal_problems(refused, form), name)};
    fr_page_field(b, &in, focused);
}

/* A reload refused (docs/hooks.md, "Reloading a running server keeps what
 * worked"): each problem, the site's folder left out of its paths. */
static void reload_refused(fr_req *r, fr_buf *b)
{
    json_t *refused = fr_server_reload_refusals(r->server, r->site), *v;
    size_t i, dn = strlen(r->site->dir);
    if (json_array_size(refused) > 0) {
        char log[256], said[FR_ERROR_MAX];
        fr_buf_puts(b, "<div class=\"flash\" role=\"alert\"><p>");
        /* the log where it really is ($FILROUGE_LOG) */
        fr_buf_esc(b, fr_text_with(T("admin.reload.refused"), "{log}",
                                   fr_site_log_name(r->site, log, sizeof log), said, sizeof said));
        fr_buf_puts(b, "</p><ul>");
        json_array_foreach(refused, i, v)
        {
            char text[FR_ERROR_MAX];
            snprintf(text, sizeof text, "%s", json_string_value(v));
            for (char *at; (at = strstr(text, r->site->dir)) && at[dn] == '/';)
                memmove(at, at + dn + 1, strlen(at + dn + 1) + 1);
            fr_buf_puts(b, "<li>");
            fr_buf_esc(b, text);
            fr_buf_puts(b, "</li>");
        }
        fr_buf_puts(b, "</ul></div>");
    }
    json_decref(refused);
}

/* After a row's button was refused (form `form`, of the row the path
 * names: `path` its plugin or user), the refusal next to the button of
 * the row `row`. */
static void row_problem(fr_req *r, fr_buf *b, const fr_refusal *refused, const char *form,
                        const char *row)
{
    const char *problem = fr_page_problem(fr_refusal_problems(refused, form), "_");
    if (!problem || strcmp(r->params[0], row) != 0)
        return;
    fr_buf_puts(b, "<p class=\"fr-error\" role=\"alert\">");
    fr_buf_esc(b, problem);
    fr_buf_puts(b, "</p>");
}

void fr_ui_admin_active(fr_req *r, fr_buf *b, json_t *user, int from_user_page)
{
    int active = fr_ji(user, "active") != 0;
    if (!active) {
        fr_buf_puts(b, "<strong>");
        esc_t(r, b, "admin.user.inactive");
        fr_buf_puts(b, "</strong> ");
    }
    /* Not oneself: an administrator would lock themselves out. */
    if (active && strcmp(fr_js(user, "login"), r->login) == 0)
        return;
    fr_buf_printf(b,
                  "<form method=\"post\" action=\"/admin/users/%" JSON_INTEGER_FORMAT
                  "/active\" class=\"inline\">",
                  fr_ji(user, "id"));
    fr_page_csrf(r, b);
    if (from_user_page)
        fr_buf_puts(b, "<input type=\"hidden\" name=\"back\" value=\"user\">");
    fr_buf_printf(b, "<button type=\"submit\" name=\"action\" value=\"%s\"%s",
                  active ? "deactivate" : "activate", active ? " class=\"secondary\"" : "");
    if (active) {
        fr_buf_puts(b, " data-confirm=\"");
        esc_t(r, b, "admin.user.deactivate.confirm");
        fr_buf_puts(b, "\"");
    }
    fr_buf_puts(b, ">");
    esc_t(r, b, active ? "admin.user.deactivate" : "admin.user.activate");
    fr_buf_puts(b, "</button></form>");
}

/* The administration page; after a refusal (422), the refused form
 * ("user", "team", "join"; "plugin" or "active" for the row of the path's
 * plugin or user) with what was typed and its problems. */
static void admin_page(fr_req *r, fr_resp *w, const fr_refusal *refused)
{
    fr_buf *b = &w->body;
    int focused = 0;
    if (refused)
        w->status = 422;
    fr_error err = {0};
    char d[32];
    size_t i;
    json_t *v, *users = NULL, *teams = NULL, *failed = NULL, *audit = NULL;
    fr_page_begin(r, w, T("admin.title"));
    fr_page_flash(r, b);
    /* A full disk: administrators see it first (store.h, "A full disk"). */
    if (fr_store_short_of_space(r->site->store)) {
        fr_buf_puts(b, "<p class=\"flash\" role=\"alert\">");
        esc_t(r, b, "admin.disk.full");
        fr_buf_puts(b, "</p>");
    }
    reload_refused(r, b);
    const char *verified = fr_req_query(r, "verified");
    if (verified) {
        fr_buf_puts(b, "<p class=\"flash\" role=\"status\">");
        esc_t(r, b, strcmp(verified, "ok") == 0 ? "audit.intact" : "audit.broken");
        fr_buf_puts(b, "</p>");
    }

    /* plugins */
    const fr_plugin_info *list = NULL;
    int n = 0;
    fr_plugins_list(r->site, &list, &n);
    fr_buf_puts(b, "<section><h2>");
    esc_t(r, b, "admin.plugins");
    fr_buf_puts(b, "</h2><p class=\"hint\">");
    esc_t(r, b, "admin.plugins.restart");
    fr_buf_puts(b, "</p><div class=\"scroll\"><table><tbody>");
    for (int k = 0; k < n; k++) {
        fr_buf_puts(b, "<tr><th scope=\"row\">");
        fr_buf_esc(b, list[k].id);
        fr_buf_puts(b, "</th><td>");
        fr_buf_esc(b, list[k].version);
        fr_buf_puts(b, "</td><td>");
        fr_buf_esc(b, list[k].description);
        if (list[k].problem) {
            /* The page names files by their place in the plugin's folder,
             * not by the server's paths. */
            char problem[FR_ERROR_MAX];
            snprintf(problem, sizeof problem, "%s", list[k].problem);
            const char *dir = list[k].dir;
            size_t dn = dir ? strlen(dir) : 0;
            for (char *p = dn ? strstr(problem, dir) : NULL; p; p = strstr(p, dir))
                memmove(p, p + dn + (p[dn] == '/'), strlen(p + dn + (p[dn] == '/')) + 1);
            fr_buf_puts(b, " <span class=\"error\">");
            fr_buf_esc(b, problem);
            fr_buf_puts(b, "</span>");
        }
        fr_buf_puts(b, "</td><td><form method=\"post\" action=\"/admin/plugins/");
        fr_buf_esc(b, list[k].id);
        fr_buf_puts(b, "\" class=\"inline\">");
        fr_page_csrf(r, b);
        fr_buf_printf(b, "<button type=\"submit\" name=\"action\" value=\"%s\"%s>",
                      list[k].enabled ? "disable" : "enable",
                      list[k].enabled ? " class=\"secondary\"" : "");
        esc_t(r, b, list[k].enabled ? "admin.disable" : "admin.enable");
        fr_buf_puts(b, "</button></form>");
        row_problem(r, b, refused, "plugin", list[k].id);
        fr_buf_puts(b, "</td></tr>");
    }
    fr_buf_puts(b, "</tbody></table></div></section>");

    /* users and teams */
    if (fr_user_list(r->site, &users, &err) == 0) {
        fr_buf_puts(b, "<section><h2>");
        esc_t(r, b, "admin.users");
        fr_buf_puts(b, "</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">");
        esc_t(r, b, "login.login");
        fr_buf_puts(b, "</th><th scope=\"col\">");
        esc_t(r, b, "network.name");
        fr_buf_puts(b, "</th><th scope=\"col\">");
        esc_t(r, b, "admin.role");
        fr_buf_puts(b, "</th><th scope=\"col\">");
        esc_t(r, b, "caseload.load");
        fr_buf_puts(b, "</th><th scope=\"col\">");
        esc_t(r, b, "case.team");
        fr_buf_puts(b, "</th><th scope=\"col\">");
        esc_t(r, b, "admin.user.access");
        fr_buf_puts(b, "</th></tr></thead><tbody>");
        json_array_foreach(users, i, v)
        {
            fr_buf_printf(b, "<tr><td><a href=\"/admin/users/%" JSON_INTEGER_FORMAT "\">",
                          fr_ji(v, "id"));
            fr_buf_esc(b, fr_js(v, "login"));
            fr_buf_puts(b, "</a></td><td>");
            fr_buf_esc(b, fr_js(v, "display_name"));
            fr_buf_puts(b, "</td><td>");
            fr_buf_esc(b, fr_page_role_label(r, fr_js(v, "role")));
            fr_buf_printf(b, "</td><td>%g", json_number_value(json_object_get(v, "load")));
            if (json_is_integer(json_object_get(v, "capacity")))
                fr_buf_printf(b, " / %" JSON_INTEGER_FORMAT, fr_ji(v, "capacity"));
            fr_buf_puts(b, "</td><td>");
            fr_buf_esc(b, fr_js(v, "teams"));
            fr_buf_puts(b, "</td><td>");
            fr_ui_admin_active(r, b, v, 0);
            char row[24];
            snprintf(row, sizeof row, "%" JSON_INTEGER_FORMAT, fr_ji(v, "id"));
            row_problem(r, b, refused, "active", row);
            fr_buf_puts(b, "</td></tr>");
        }
        fr_buf_puts(b, "</tbody></table></div><p><a href=\"/admin/tokens\">");
        esc_t(r, b, "tokens.all");
        json_t *up = fr_refusal_problems(refused, "user");
        fr_buf_printf(b, " →</a></p><details id=\"add-user\"%s><summary>", up ? " open" : "");
        esc_t(r, b, "admin.adduser");
        fr_buf_puts(b, "</summary><form method=\"post\" action=\"/admin/users\" class=\"grid\">");
        fr_page_problems_alert(r, b, up);
        fr_page_csrf(r, b);
        admin_input(r, b, refused, "user", "login", "login.login", 64, NULL, &focused);
        admin_input(r, b, refused, "user", "display_name", "network.name", FR_TEXT_NAME_MAX, NULL,
                    &focused);
        fr_page_roles(r, b, "f-role", "role", fr_refusal_value(r, refused, "user", "role"),
                      fr_page_problem(up, "role"), &focused);
        fr_page_languages(r, b, "f-language", "language",
                          up ? fr_req_field(r, "language") : r->lang,
                          fr_page_problem(up, "language"), &focused);
        admin_input(r, b, refused, "user", "capacity", "admin.capacity", 0, "number", &focused);
        admin_input(r, b, refused, "user", "password", "login.password", FR_PASSWORD_MAX,
                    "password", &focused);
        fr_buf_puts(b, "<button type=\"submit\">");
        esc_t(r, b, "admin.adduser");
        fr_buf_puts(b, "</button></form></details>");
    }
    if (fr_team_list(r->site, &teams, &err) == 0) {
        fr_buf_puts(b, "<h3>");
        esc_t(r, b, "case.team");
        fr_buf_puts(b, "</h3><ul>");
        json_array_foreach(teams, i, v)
        {
            fr_buf_puts(b, "<li><strong>");
            fr_buf_esc(b, fr_js(v, "name"));
            fr_buf_puts(b, "</strong> — ");
            fr_buf_esc(b, fr_js(v, "members"));
            fr_buf_printf(b, " (%" JSON_INTEGER_FORMAT " ", fr_ji(v, "open_cases"));
            esc_t(r, b, "caseload.opencases");
            fr_buf_puts(b, ")</li>");
        }
        fr_buf_puts(b, "</ul><form method=\"post\" action=\"/admin/teams\" class=\"grid\">");
        fr_page_problems_alert(r, b, fr_refusal_problems(refused, "team"));
        fr_page_csrf(r, b);
        admin_input(r, b, refused, "team", "team", "admin.newteam", FR_TEXT_TEAM_MAX, NULL,
                    &focused);
        fr_buf_puts(b, "<button type=\"submit\">");
        esc_t(r, b, "admin.addteam");
        fr_buf_puts(b, "</button></form><form method=\"post\" action=\"/admin/teams/join\" "
                       "class=\"grid\">");
        json_t *jp = fr_refusal_problems(refused, "join");
        fr_page_problems_alert(r, b, jp);
        fr_page_csrf(r, b);
        const char *chosen = fr_refusal_value(r, refused, "join", "team");
        fr_page_select_begin(b, "f-jteam", "team", T("case.team"), fr_page_problem(jp, "team"),
                             &focused);
        json_array_foreach(teams, i, v)
        {
            fr_page_option(b, fr_js(v, "name"), fr_js(v, "name"), chosen);
        }
        fr_page_select_end(b, "f-jteam", fr_page_problem(jp, "team"));
        chosen = fr_refusal_value(r, refused, "join", "login");
        fr_page_select_begin(b, "f-juser", "login", T("login.login"), fr_page_problem(jp, "login"),
                             &focused);
        json_array_foreach(users, i, v)
        {
            fr_page_option(b, fr_js(v, "login"), fr_js(v, "display_name"), chosen);
        }
        fr_page_select_end(b, "f-juser", fr_page_problem(jp, "login"));
        fr_buf_puts(b, "<button type=\"submit\">");
        esc_t(r, b, "admin.jointeam");
        fr_buf_puts(b, "</button></form></section>");
    }
    json_decref(teams);
    json_decref(users);

    /* failed events */
    if (fr_bus_list(r->site, "failed", 50, &failed, &err) == 0) {
        fr_buf_puts(b, "<section><h2>");
        esc_t(r, b, "admin.failed");
        fr_buf_puts(b, "</h2>");
        if (json_array_size(failed) == 0) {
            fr_buf_puts(b, "<p>");
            esc_t(r, b, "admin.nofailed");
            fr_buf_puts(b, "</p>");
        }
        fr_buf_puts(b, "<ul>");
        json_array_foreach(failed, i, v)
        {
            fr_buf_printf(b, "<li>#%" JSON_INTEGER_FORMAT " ", fr_ji(v, "id"));
            fr_buf_esc(b, fr_js(v, "topic"));
            size_t j;
            json_t *dl;
            json_array_foreach(json_object_get(v, "deliveries"), j, dl)
            {
                if (strcmp(fr_js(dl, "status"), "failed") != 0)
                    continue;
                fr_buf_puts(b, " — ");
                fr_buf_esc(b, fr_js(dl, "subscriber"));
                fr_buf_puts(b, ": ");
                fr_buf_esc(b, fr_js(dl, "last_error"));
            }
            fr_buf_printf(b,
                          " <form method=\"post\" action=\"/admin/events/%" JSON_INTEGER_FORMAT
                          "/retry\" class=\"inline\">",
                          fr_ji(v, "id"));
            fr_page_csrf(r, b);
            fr_buf_puts(b, "<button type=\"submit\" class=\"small\">");
            esc_t(r, b, "admin.retry");
            fr_buf_puts(b, "</button></form></li>");
        }
        fr_buf_puts(b, "</ul></section>");
    }
    json_decref(failed);

    /* audit */
    fr_buf_puts(b, "<section><h2>");
    esc_t(r, b, "admin.audit");
    fr_buf_puts(b, "</h2><form method=\"post\" action=\"/admin/audit/verify\">");
    fr_page_csrf(r, b);
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "admin.verify");
    fr_buf_puts(b, "</button></form>");
    const char *type = fr_req_query(r, "type");
    if (fr_audit_list(r->site, type && *type ? type : NULL, NULL, 100, &audit, &err) == 0) {
        fr_buf_puts(b, "<div class=\"scroll\"><table class=\"audit\"><tbody>");
        json_array_foreach(audit, i, v)
        {
            fr_buf_printf(b, "<tr><td>%" JSON_INTEGER_FORMAT "</td><td>", fr_ji(v, "id"));
            fr_buf_esc(b, fr_human_date(fr_js(v, "at"), d));
            fr_buf_puts(b, "</td><td>");
            fr_buf_esc(b, fr_js(v, "actor"));
            fr_buf_printf(b, "</td><td class=\"action-%s\">",
                          strcmp(fr_js(v, "action"), "break-glass") == 0 ? "bg" : "plain");
            fr_buf_esc(b, fr_js(v, "action"));
            fr_buf_puts(b, "</td><td>");
            fr_buf_esc(b, fr_js(v, "object_type"));
            fr_buf_puts(b, " ");
            fr_buf_esc(b, fr_js(v, "object_id"));
            fr_buf_puts(b, "</td><td><code>");
            fr_buf_esc(b, fr_js(v, "detail"));
            fr_buf_puts(b, "</code></td></tr>");
        }
        fr_buf_puts(b, "</tbody></table></div>");
    }
    json_decref(audit);
    fr_buf_puts(b, "</section>");
    fr_page_end(r, w);
}

void fr_ui_admin(fr_req *r, fr_resp *w)
{
    if (!fr_ui_require_admin(r, w))
        admin_page(r, w, NULL);
}

/* The administration page again with form `form` as typed and its
 * problems (freed). */
static void admin_refused(fr_req *r, fr_resp *w, const char *form, json_t *problems)
{
    fr_refusal refused = {.form = form, .problems = problems};
    admin_page(r, w, &refused);
    json_decref(problems);
}

/* A kernel's refusal of form `form`: the page again with it under its
 * field (the rules) when it was about what was typed, or above the form
 * when it was about the state of things (a conflict: already so; a
 * plugin's requirements); else (access, storage) the error page. */
static void admin_failed(fr_req *r, fr_resp *w, const char *form, const fr_error *err,
                         const fr_page_rule *rules, size_t n)
{
    json_t *problems = fr_page_refused(r, err, rules, n);
    if (problems)
        admin_refused(r, w, form, problems);
    else
        fr_page_error(r, w, err);
}

void fr_ui_admin_plugin(fr_req *r, fr_resp *w)
{
    if (fr_ui_require_admin(r, w))
        return;
    fr_error err = {0};
    const char *action = fr_req_field(r, "action");
    int enable = action && strcmp(action, "enable") == 0;
    int rc = enable ? fr_plugins_enable(r->site, r->params[0], &err)
                    : fr_plugins_disable(r->site, r->params[0], &err);
    if (rc) {
        admin_failed(r, w, "plugin", &err, NULL, 0);
        return;
    }
    fr_server_request_reload(r->server);
    fr_resp_redirect(w, "/admin?msg=flash.saved");
}

/* The form adding a user and the kernel's rules (fr_user_add); the
 * password last, checked apart (any character is welcome in it). */
static const fr_page_rule user_rules[] = {
    {"login", NULL, 1, 64, 't'},   {"display_name", "name", 1, FR_TEXT_NAME_MAX, 't'},
    {"role", NULL, 0, 0, 't'},     {"language", NULL, 0, 0, 't'},
    {"capacity", NULL, 0, 0, 't'}, {"password", NULL, 1, FR_PASSWORD_MAX, 't'},
};
#define NUSER_RULES (sizeof user_rules / sizeof user_rules[0])

void fr_ui_capacity(fr_req *r, const char *text, int *capacity, json_t **problems)
{
    if (!text)
        return;
    char *end;
    long n = strtol(text, &end, 10);
    if (end == text || *(end + strspn(end, " ")) || n < 0 || n > FR_CAPACITY_MAX)
        fr_page_put(problems, "capacity", T("admin.capacity_bad"));
    *capacity = (int)n;
}

/* Every problem of the user's form at once, under the kernel's rules
 * (which it checks again); the capacity read into *capacity. */
static json_t *user_problems(fr_req *r, int *capacity)
{
    char text[160];
    json_t *problems = fr_page_check(r, user_rules, NUSER_RULES - 1);
    const char *login = fr_page_opt(r, "login"), *lang = fr_page_opt(r, "language");
    const char *cap = fr_page_opt(r, "capacity"), *pw = fr_req_field(r, "password");
    if (login && !fr_user_valid_login(login))
        fr_page_put(&problems, "login", T("admin.login_bad"));
    if (lang && !fr_record_valid_language(lang))
        fr_page_put(&problems, "language", T("settings.language_bad"));
    fr_ui_capacity(r, cap, capacity, &problems);
    if (!pw || !*pw)
        fr_page_put(&problems, "password", T("field.required"));
    else if (strlen(pw) < FR_PASSWORD_MIN)
        fr_page_put(&problems, "password", T("settings.password_short"));
    else if (strlen(pw) > FR_PASSWORD_MAX)
        fr_page_put(&problems, "password",
                    fr_text_n(T("field.toolong"), FR_PASSWORD_MAX, text, sizeof text));
    return problems;
}

void fr_ui_admin_user(fr_req *r, fr_resp *w)
{
    if (fr_ui_require_admin(r, w))
        return;
    fr_user_new u = {0};
    json_t *problems = user_problems(r, &u.capacity);
    if (problems) {
        admin_refused(r, w, "user", problems);
        return;
    }
    u.login = fr_req_field(r, "login");
    u.display_name = fr_req_field(r, "display_name");
    u.role = fr_page_opt(r, "role");
    u.language = fr_page_opt(r, "language");
    u.password = fr_req_field(r, "password");
    fr_error err = {0};
    int64_t id = 0;
    /* one transaction: the user with their password, or nothing */
    if (fr_user_add(r->site, &u, &id, &err)) {
        admin_failed(r, w, "user", &err, user_rules, NUSER_RULES);
        return;
    }
    fr_resp_redirect(w, "/admin?msg=flash.saved");
}

void fr_ui_admin_team(fr_req *r, fr_resp *w)
{
    static const fr_page_rule rules[] = {{"team", "name", 1, FR_TEXT_TEAM_MAX, 't'}};
    if (fr_ui_require_admin(r, w))
        return;
    json_t *problems = fr_page_check(r, rules, 1);
    if (problems) {
        admin_refused(r, w, "team", problems);
        return;
    }
    fr_error err = {0};
    if (fr_team_add(r->site, fr_req_field(r, "team"), NULL, &err)) {
        admin_failed(r, w, "team", &err, rules, 1);
        return;
    }
    fr_resp_redirect(w, "/admin?msg=flash.saved");
}

void fr_ui_admin_team_join(fr_req *r, fr_resp *w)
{
    static const fr_page_rule rules[] = {{"team", NULL, 1, 0, 't'}, {"login", "user", 1, 0, 't'}};
    if (fr_ui_require_admin(r, w))
        return;
    json_t *problems = fr_page_check(r, rules, 2);
    if (problems) {
        admin_refused(r, w, "join", problems);
        return;
    }
    fr_error err = {0};
    if (fr_team_add_member(r->site, fr_req_field(r, "team"), fr_req_field(r, "login"), &err)) {
        /* a person of the list, deactivated meanwhile (or a made-up
         * login): to be chosen again, not left empty */
        if (err.code == FR_ENOTFOUND && strncmp(err.message, "there is no active user", 23) == 0)
            admin_refused(r, w, "join", json_pack("{s:s}", "login", T("admin.no_user")));
        else
            admin_failed(r, w, "join", &err, rules, 2);
        return;
    }
    fr_resp_redirect(w, "/admin?msg=flash.saved");
}

/* Deactivates or reactivates a user (fr_user_set_active). Their open cases
 * and tasks stay theirs: the flash says to reassign them. */
void fr_ui_admin_user_active(fr_req *r, fr_resp *w)
{
    if (fr_ui_require_admin(r, w))
        return;
    const char *action = fr_req_field(r, "action");
    int active = action && strcmp(action, "activate") == 0;
    fr_error err = {0};
    char *login = NULL;
    int64_t cases = 0, tasks = 0;
    if (!action || (!active && strcmp(action, "deactivate") != 0))
        fr_error_set(&err, FR_EINVAL, "action: deactivate or activate");
    else if (fr_user_login_of(r->site, fr_parse_id(r->params[0]), &login, &err) == 0)
        fr_user_set_active(r->site, login, active, &cases, &tasks, &err);
    if (err.code) {
        free(login);
        admin_failed(r, w, "active", &err, NULL, 0);
        return;
    }
    /* Cases and tasks still theirs: to the échéancier, filtered on them,
     * where they are handed over in bulk. */
    const char *back = fr_req_field(r, "back");
    if (!active && (cases > 0 || tasks > 0))
        fr_resp_redirect(w, "/schedule?manager=%s&msg=flash.user.reassign", login);
    else if (back && strcmp(back, "user") == 0) /* the user's page, where it was asked */
        fr_resp_redirect(w, "/admin/users/%" PRId64 "?msg=%s", fr_parse_id(r->params[0]),
                         active ? "flash.user.activated" : "flash.user.deactivated");
    else
        fr_resp_redirect(w, "/admin?msg=%s",
                         active ? "flash.user.activated" : "flash.user.deactivated");
    free(login);
}

void fr_ui_admin_retry(fr_req *r, fr_resp *w)
{
    if (fr_ui_require_admin(r, w))
        return;
    fr_error err = {0};
    int count = 0;
    if (fr_bus_retry(r->site, fr_parse_id(r->params[0]), NULL, &count, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/admin?msg=flash.retried");
}

void fr_ui_admin_verify(fr_req *r, fr_resp *w)
{
    if (fr_ui_require_admin(r, w))
        return;
    fr_error err = {0};
    fr_audit_report rep = {0};
    if (fr_audit_verify(r->site->store, &rep, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_resp_redirect(w, "/admin?verified=%s", rep.first_bad ? "broken" : "ok");
}
