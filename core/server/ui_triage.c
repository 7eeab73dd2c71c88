/* The intake pages: the public /refer form (no login; a honeypot field
 * and a rate limit per address) landing in the triage queue (table
 * intakes, core-004-web.sql), the triage page for case managers, and the
 * intakes shown on a patient's or a case's page. Administration is in
 * ui_admin.c. */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "form.h"
#include "intake.h"

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
#define INTAKE_FIELD(n)                                                                            \
    (snprintf(name, sizeof name, "%s%s", f ? "_" : "", n), field_or_null(r, name))
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
 * path's intake (422); conflict: what made an accept or a dismiss come too
 * late (409), said above the queue. */
static void triage_page(fr_req *r, fr_resp *w, json_t *problems, const char *conflict)
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
    if (conflict)
        w->status = 409;
    fr_page_begin(r, w, T("triage.title"));
    if (conflict) {
        fr_buf_puts(b, "<p class=\"error\" role=\"alert\">");
        fr_buf_esc(b, conflict);
        fr_buf_puts(b, "</p>");
    }
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
    triage_page(r, w, NULL, NULL);
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

/* An intake accepted or dismissed meanwhile (another tab, a colleague;
 * handled: as fr_intake_decide gives it), said in the user's language:
 * how, by whom and on which day when known. Into out. */
static const char *already_handled(fr_req *r, json_t *handled, char *out, size_t size)
{
    const char *status = fr_js(handled, "status"), *who = fr_js(handled, "handled_by_name");
    char day[FR_TIME_LEN], d[32], who_in[400];
    /* the day where the site's people are, not UTC's */
    fr_clock_local_date(fr_js(handled, "handled_at"), day);
    if (!*who || !*day || (strcmp(status, "accepted") != 0 && strcmp(status, "dismissed") != 0))
        return T("triage.already_handled");
    const char *text =
        T(strcmp(status, "accepted") == 0 ? "triage.already_accepted" : "triage.already_dismissed");
    fr_text_slot(text, "{who}", who, who_in, sizeof who_in);
    return fr_text_slot(who_in, "{date}", fr_human_date(day, d), out, size);
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
            /* the answers put on a case meanwhile (another tab), the
             * request not accepted: the triage page says so (409); no
             * access to that case: the error page */
            char text[FR_ERROR_MAX];
            if (err.code == FR_ECONFLICT)
                triage_page(r, w, NULL, fr_page_known(r, err.message, text, sizeof text));
            else
                fr_page_error(r, w, &err);
            return;
        }
        if (problems) {
            triage_page(r, w, problems, NULL);
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
        if (err.code == FR_ECONFLICT) {
            char text[400];
            triage_page(r, w, NULL, already_handled(r, row, text, sizeof text));
        } else {
            fr_page_error(r, w, &err);
        }
        json_decref(row);
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
