/* Case manager pages: login, my caseload, patients (search, register, the
 * patient page), the case page (identity, the network as an SVG map, the
 * timeline, the events allowed now as buttons, tasks, break-glass), and
 * the user's settings. Server-rendered HTML; every user text escaped; each
 * page calls the same kernel functions as the CLI. */
#include "server.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "care.h"
#include "clock.h"
#include "intake.h"
#include "record.h"
#include "task.h"
#include "text.h"
#include "workflow.h"

#define T(key) fr_t(r->lang, key)

static void esc_t(fr_req *r, fr_buf *b, const char *key)
{
    fr_buf_esc(b, T(key));
}

/* A message from a query string key (?msg=...) is a catalogue key, never
 * text from the URL. */

/* 1 for a path on this server that is safe to redirect to: starts with one
 * "/", no scheme-relative "//", no backslash, no control characters (a
 * browser drops tabs and newlines, turning "/\t/evil" into "//evil"). */
static int local_path(const char *p)
{
    if (!p || p[0] != '/' || p[1] == '/' || p[1] == '\\' || strlen(p) > 400)
        return 0;
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '\\')
            return 0;
    return 1;
}

/* ---- login ---- */

static void login_form(fr_req *r, fr_resp *w, const char *error, const char *login)
{
    fr_buf *b = &w->body;
    char pre[65];
    fr_token_new(pre);
    /* Login CSRF: a token in a short-lived cookie and in the form. */
    fr_resp_cookie(w, "fr_login=%s; Path=/login; HttpOnly; SameSite=Strict; Max-Age=1800%s", pre,
                   fr_proxy_https(r) ? "; Secure" : "");
    fr_page_begin(r, w, T("login.title"));
    if (error) {
        fr_buf_puts(b, "<p class=\"error\" role=\"alert\">");
        fr_buf_esc(b, error);
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "<form method=\"post\" action=\"/login\" class=\"card narrow\">");
    fr_buf_printf(b, "<input type=\"hidden\" name=\"_login\" value=\"%s\">", pre);
    const char *next = fr_req_query(r, "next");
    if (local_path(next)) {
        fr_buf_puts(b, "<input type=\"hidden\" name=\"next\" value=\"");
        fr_buf_esc(b, next);
        fr_buf_puts(b, "\">");
    }
    fr_buf_puts(b, "<label for=\"login\">");
    esc_t(r, b, "login.login");
    fr_buf_puts(b, "</label><input id=\"login\" name=\"login\" autocomplete=\"username\" required "
                   "autofocus value=\"");
    fr_buf_esc(b, login ? login : "");
    fr_buf_puts(b, "\"><label for=\"password\">");
    esc_t(r, b, "login.password");
    fr_buf_puts(b, "</label><input id=\"password\" name=\"password\" type=\"password\" "
                   "autocomplete=\"current-password\" required><button type=\"submit\">");
    esc_t(r, b, "login.submit");
    fr_buf_puts(b, "</button></form><p><a href=\"/refer\">");
    esc_t(r, b, "login.refer");
    fr_buf_puts(b, "</a></p>");
    fr_page_end(r, w);
}

static void ui_login_get(fr_req *r, fr_resp *w)
{
    if (r->logged_in) {
        fr_resp_redirect(w, "/caseload");
        return;
    }
    /* sent here by an expired session (http.c): say so, and whether what
     * was just sent was lost */
    const char *expired = fr_req_query(r, "expired");
    char text[400];
    if (expired && (strcmp(expired, "1") == 0 || strcmp(expired, "post") == 0)) {
        fr_text_n(T(strcmp(expired, "post") == 0 ? "login.session_expired_post"
                                                 : "login.session_expired"),
                  fr_server_idle_minutes(r->server), text, sizeof text);
        login_form(r, w, text, NULL);
        return;
    }
    login_form(r, w, NULL, NULL);
}

static void ui_login_post(fr_req *r, fr_resp *w)
{
    const char *login = fr_req_field(r, "login"), *password = fr_req_field(r, "password");
    const char *pre = fr_req_cookie(r, "fr_login"), *pre_field = fr_req_field(r, "_login");
    fr_error err = {0};
    int64_t uid = 0;
    if (!pre || !pre_field || strcmp(pre, pre_field) != 0) {
        w->status = 403;
        login_form(r, w, T("login.expired"), login);
        return;
    }
    if (!login || !password) {
        w->status = 400;
        login_form(r, w, T("login.wrong"), login);
        return;
    }
    if (fr_session_throttled(r, login)) {
        w->status = 429;
        login_form(r, w, T("login.throttled"), login);
        return;
    }
    if (fr_user_check_password(r->site, login, password, &uid, &err) && err.code != FR_EACCESS) {
        fr_page_error(r, w, &err); /* the database failed: not the password */
        return;
    }
    if (err.code == FR_EACCESS) {
        fr_session_login_failed(r, login);
        w->status = 401;
        login_form(r, w, T("login.wrong"), login);
        return;
    }
    snprintf(r->login, sizeof r->login, "%s", login);
    if (fr_session_create(r, w, uid, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    const char *next = fr_req_field(r, "next");
    if (local_path(next))
        fr_resp_redirect(w, "%s", next);
    else
        fr_resp_redirect(w, "/caseload");
}

static void ui_logout(fr_req *r, fr_resp *w)
{
    fr_session_destroy(r, w);
    fr_resp_redirect(w, "/login");
}

static void ui_root(fr_req *r, fr_resp *w)
{
    fr_resp_redirect(w, r->logged_in ? "/caseload" : "/login");
}

/* ---- caseload ---- */

/* The workflow version a state or an event belongs to, for their names
 * for people (workflows.md, their titles in the page's language); NULL when
 * that version is not known (the ids are shown). */
static const fr_workflow *workflow_of(fr_req *r, const char *id, json_int_t version)
{
    const fr_workflow *wf = NULL;
    fr_error err = {0};
    return fr_workflows_get(r->site, id, (int)version, &wf, &err) == 0 ? wf : NULL;
}

static const char *state_name(fr_req *r, const char *workflow, json_int_t version,
                              const char *state)
{
    const fr_workflow *wf = *state ? workflow_of(r, workflow, version) : NULL;
    return wf ? fr_workflow_state_title(wf, state, r->lang) : state;
}

const char *fr_ui_workflow_name(fr_req *r, const char *workflow, json_int_t version)
{
    const fr_workflow *wf = workflow_of(r, workflow, version);
    return wf ? fr_workflow_title(wf, r->lang) : workflow;
}

/* A cell's opening tag with its column's name, which a phone's narrow
 * layout shows before the value (app.css: table.stack). */
static void cell(fr_req *r, fr_buf *b, const char *key)
{
    fr_buf_puts(b, "<td data-label=\"");
    esc_t(r, b, key);
    fr_buf_puts(b, "\">");
}

/* A list of cases; below 40rem each row is a block of "column: value"
 * lines, so that the next due date is not off the screen's edge. */
static void case_rows(fr_req *r, fr_buf *b, json_t *cases)
{
    size_t i;
    json_t *c;
    char d[32];
    fr_buf_puts(b, "<div class=\"scroll\"><table class=\"stack\"><thead><tr>");
    const char *heads[] = {"col.case",    "col.patient",  "col.state", "col.intensity",
                           "col.manager", "col.next_due", NULL};
    for (int h = 0; heads[h]; h++) {
        fr_buf_puts(b, "<th scope=\"col\">");
        esc_t(r, b, heads[h]);
        fr_buf_puts(b, "</th>");
    }
    fr_buf_puts(b, "</tr></thead><tbody>");
    json_array_foreach(cases, i, c)
    {
        int overdue = fr_ji(c, "overdue") > 0;
        fr_buf_printf(b, "<tr%s>", overdue ? " class=\"overdue\"" : "");
        cell(r, b, "col.case");
        fr_buf_printf(
            b, "<a href=\"/cases/%" JSON_INTEGER_FORMAT "\">%" JSON_INTEGER_FORMAT "</a></td>",
            fr_ji(c, "id"), fr_ji(c, "id"));
        /* the name leads to the case too: a target a finger can hit */
        cell(r, b, "col.patient");
        fr_buf_printf(b, "<a href=\"/cases/%" JSON_INTEGER_FORMAT "\">", fr_ji(c, "id"));
        fr_buf_esc(b, fr_js(c, "family_name"));
        fr_buf_puts(b, " ");
        fr_buf_esc(b, fr_js(c, "given_names"));
        fr_buf_puts(b, "</a></td>");
        cell(r, b, "col.state");
        fr_buf_esc(b, state_name(r, fr_js(c, "workflow"), fr_ji(c, "workflow_version"),
                                 fr_js(c, "state")));
        if (strcmp(fr_js(c, "status"), "closed") == 0) {
            fr_buf_puts(b, " <span class=\"tag\">");
            esc_t(r, b, "case.closed");
            fr_buf_puts(b, "</span>");
        }
        fr_buf_puts(b, "</td>");
        cell(r, b, "col.intensity");
        fr_buf_printf(b, "%" JSON_INTEGER_FORMAT "</td>", fr_ji(c, "intensity"));
        cell(r, b, "col.manager");
        fr_buf_esc(b, fr_js(c, "case_manager"));
        fr_buf_puts(b, "</td>");
        cell(r, b, "col.next_due");
        fr_buf_esc(b, fr_human_date(fr_js(c, "next_due"), d));
        if (overdue) {
            fr_buf_puts(b, " <strong class=\"tag late\">");
            esc_t(r, b, "case.overdue");
            fr_buf_puts(b, "</strong>");
        }
        fr_buf_puts(b, "</td></tr>");
    }
    fr_buf_puts(b, "</tbody></table></div>");
}

static void ui_caseload(fr_req *r, fr_resp *w)
{
    fr_case_filter f = {0};
    f.manager = r->login;
    f.status = "open";
    f.limit = 500;
    json_t *cases = NULL, *others = NULL;
    fr_error err = {0};
    if (fr_case_list(r->site, &f, &cases, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_buf *b = &w->body;
    fr_page_begin(r, w, T("caseload.title"));
    fr_page_flash(r, b);
    size_t i;
    json_t *c;
    /* as `filrouge caseload` counts it: each case weighted by its
     * intensity, against the user's capacity or the site's */
    double load = 0, capacity = 0;
    fr_caseload_of(r->site, r->user_id, &load, &capacity, &err);
    fr_buf_puts(b, "<section class=\"card\"><h2>");
    esc_t(r, b, "caseload.load");
    fr_buf_puts(b, "</h2>");
    int pct = capacity > 0 ? (int)(load * 100 / capacity) : 0;
    if (capacity > 0)
        fr_buf_printf(b,
                      "<p><meter min=\"0\" max=\"%g\" high=\"%g\" value=\"%g\" aria-label=\"%s\">"
                      "</meter> %g / %g (%d %%)</p>",
                      capacity, capacity * 9 / 10, load, T("caseload.load"), load, capacity, pct);
    else /* a role that manages no case: no capacity, no meter */
    {
        fr_buf_printf(b, "<p>%g / — <span class=\"muted\">(", load);
        esc_t(r, b, "caseload.no_capacity");
        fr_buf_puts(b, ")</span></p>");
    }
    /* one case, and in French none, takes the singular */
    size_t ncases = json_array_size(cases);
    fr_buf_printf(b, "<p>%zu ", ncases);
    esc_t(r, b,
          ncases == 1 || (ncases == 0 && strcmp(r->lang, "fr") == 0) ? "caseload.opencase"
                                                                     : "caseload.opencases");
    fr_buf_puts(b, "</p></section><section><h2>");
    esc_t(r, b, "caseload.mine");
    fr_buf_puts(b, "</h2>");
    if (json_array_size(cases) == 0) {
        fr_buf_puts(b, "<p>");
        esc_t(r, b, "caseload.none");
        fr_buf_puts(b, "</p>");
    } else {
        case_rows(r, b, cases);
    }
    fr_buf_puts(b, "</section>");
    /* Cases reached otherwise (team, network, break-glass). */
    fr_case_filter g = {0};
    g.status = "open";
    g.limit = 200;
    if (fr_case_list(r->site, &g, &others, &err) == 0) {
        json_t *rest = json_array();
        json_array_foreach(others, i, c) if (strcmp(fr_js(c, "case_manager"), r->login) != 0)
            json_array_append(rest, c);
        if (json_array_size(rest)) {
            fr_buf_puts(b, "<section><h2>");
            esc_t(r, b, "caseload.others");
            fr_buf_puts(b, "</h2>");
            case_rows(r, b, rest);
            fr_buf_puts(b, "</section>");
        }
        json_decref(rest);
    }
    json_decref(others);
    json_decref(cases);
    fr_page_end(r, w);
}

/* ---- patients ---- */

/* A person's fields on the registration form and their limits (the
 * kernel's, record_patient.c: bytes). */
static const struct {
    const char *name, *key, *type;
    int required, max;
} patient_fields[] = {
    {"family_name", "patient.family", "text", 1, 200},
    {"given_names", "patient.given", "text", 1, 200},
    {"birth_date", "patient.birth", "text", 0, 20},
    {"address", "patient.address", "text", 0, 500},
    {"postal_code", "patient.postal", "text", 0, 20},
    {"city", "patient.city", "text", 0, 100},
    {"phone", "patient.phone", "tel", 0, 50},
};
#define NPATIENT_FIELDS (sizeof patient_fields / sizeof patient_fields[0])

/* 1 when s has nothing but spaces (or is NULL). */
static int blank(const char *s)
{
    return !s || s[strspn(s, " \t\r\n")] == '\0';
}

/* The registration form, filled with what was typed (or, for the person
 * of an accepted intake, what the intake says); each problem (a field's
 * name → what is wrong and what to do) under its field. */
static void patient_form(fr_req *r, fr_buf *b, json_t *from, int64_t intake, json_t *problems)
{
    char family[200] = "", given[200] = "", birth[32] = "";
    if (from) {
        const char *name = fr_js(from, "person_name");
        const char *sp = strrchr(name, ' ');
        snprintf(family, sizeof family, "%s", sp ? sp + 1 : name);
        if (sp)
            snprintf(given, sizeof given, "%.*s", (int)(sp - name), name);
        if (fr_js(from, "person_birth_date")[0])
            fr_human_date(fr_js(from, "person_birth_date"), birth);
    }
    fr_buf_puts(b, "<section class=\"card\" id=\"new-patient\"><h2>");
    esc_t(r, b, "patients.new");
    fr_buf_puts(b, "</h2>");
    if (problems) {
        fr_buf_puts(b, "<p class=\"error\" role=\"alert\">");
        const char *general = fr_js(problems, "_");
        fr_buf_esc(b, *general ? general : T("forms.problems"));
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "<form method=\"post\" action=\"/patients\" class=\"grid\">");
    fr_page_csrf(r, b);
    int focused = 0;
    for (size_t i = 0; i < NPATIENT_FIELDS; i++) {
        const char *name = patient_fields[i].name;
        char id[32];
        snprintf(id, sizeof id, "f-%s", name);
        const char *value = fr_req_field(r, name);
        if (!value && from)
            value = strcmp(name, "family_name") == 0   ? family
                    : strcmp(name, "given_names") == 0 ? given
                    : strcmp(name, "birth_date") == 0  ? birth
                    : strcmp(name, "city") == 0        ? fr_js(from, "person_city")
                                                       : NULL;
        const char *problem = fr_js(problems, name);
        fr_page_input in = {.id = id,
                            .name = name,
                            .label = T(patient_fields[i].key),
                            .type = patient_fields[i].type,
                            .required = patient_fields[i].required,
                            .maxlength = patient_fields[i].max,
                            .value = value,
                            .problem = *problem ? problem : NULL};
        fr_page_field(b, &in, &focused);
        if (strcmp(name, "birth_date") != 0)
            continue;
        /* the sex after the birth date, as on an identity card */
        const char *sex = fr_req_field(r, "sex");
        fr_buf_puts(b, "<label for=\"f-sex\">");
        esc_t(r, b, "patient.sex");
        fr_buf_puts(b, "</label><select id=\"f-sex\" name=\"sex\">");
        const char *sexes[] = {"unknown", "female", "male", "other", NULL};
        for (int s = 0; sexes[s]; s++) {
            char key[32];
            snprintf(key, sizeof key, "sex.%s", sexes[s]);
            fr_buf_printf(b, "<option value=\"%s\"%s>", sexes[s],
                          sex && strcmp(sex, sexes[s]) == 0 ? " selected" : "");
            esc_t(r, b, key);
            fr_buf_puts(b, "</option>");
        }
        fr_buf_puts(b, "</select>");
    }
    if (intake)
        fr_buf_printf(b, "<input type=\"hidden\" name=\"intake\" value=\"%" PRId64 "\">", intake);
    fr_buf_puts(b, "<p class=\"hint\">");
    esc_t(r, b, "hint.date");
    fr_buf_puts(b, "</p><button type=\"submit\">");
    esc_t(r, b, "patients.register");
    fr_buf_puts(b, "</button></form></section>");
}

/* The patients page: the search (its words, if any) and its results,
 * then the registration form. The search is sent with POST (ui_patients
 * _search): a person's name or national number typed there would stay in
 * the browser's history and a proxy's access log in a URL. A GET with ?q=
 * (a link from before) still answers. */
static void patients_page(fr_req *r, fr_resp *w, const char *q)
{
    json_t *list = NULL;
    fr_error err = {0};
    fr_buf *b = &w->body;
    if (fr_patient_find(r->site, q && *q ? q : NULL, 50, 0, &list, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_page_begin(r, w, T("patients.title"));
    fr_page_flash(r, b);
    fr_buf_puts(b, "<form method=\"post\" action=\"/patients/search\" class=\"inline\" "
                   "role=\"search\">");
    fr_page_csrf(r, b);
    fr_buf_puts(b, "<label for=\"q\">");
    esc_t(r, b, "patients.search");
    fr_buf_puts(b, "</label><input id=\"q\" name=\"q\" type=\"search\" value=\"");
    fr_buf_esc(b, q ? q : "");
    fr_buf_puts(b, "\"><button type=\"submit\">");
    esc_t(r, b, "patients.searchbutton");
    fr_buf_puts(b, "</button></form><div class=\"scroll\"><table><thead><tr><th scope=\"col\">");
    esc_t(r, b, "col.patient");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "patient.birth");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "patient.city");
    fr_buf_puts(b, "</th></tr></thead><tbody>");
    size_t i;
    json_t *p;
    char d[32];
    json_array_foreach(list, i, p)
    {
        fr_buf_printf(b, "<tr><td><a href=\"/patients/%" JSON_INTEGER_FORMAT "\">", fr_ji(p, "id"));
        fr_buf_esc(b, fr_js(p, "family_name"));
        fr_buf_puts(b, " ");
        fr_buf_esc(b, fr_js(p, "given_names"));
        fr_buf_puts(b, "</a></td><td>");
        fr_buf_esc(b, fr_human_date(fr_js(p, "birth_date"), d));
        fr_buf_puts(b, "</td><td>");
        fr_buf_esc(b, fr_js(p, "city"));
        fr_buf_puts(b, "</td></tr>");
    }
    fr_buf_puts(b, "</tbody></table></div>");
    json_decref(list);
    if (strcmp(r->role, "admin") == 0 || strcmp(r->role, "case_manager") == 0) {
        /* registering the person of an accepted intake: prefilled from it */
        int64_t intake = fr_parse_id(fr_req_query(r, "intake"));
        json_t *from = NULL;
        if (intake && fr_intake_get(r->site, intake, &from, &err) != 0)
            intake = 0;
        patient_form(r, b, from, intake, NULL);
        json_decref(from);
    }
    fr_page_end(r, w);
}

static const char *opt_field(fr_req *r, const char *name)
{
    const char *v = fr_req_field(r, name);
    return v && *v ? v : NULL;
}

static int problems_has(json_t *problems, const char *name)
{
    return json_object_get(problems, name) != NULL;
}

/* What is wrong with the registration form, field by field, in the
 * user's language (the kernel checks again; its messages are written for
 * the command line); NULL when nothing. The birth date, when given and
 * valid, is left in birth as YYYY-MM-DD. */
static json_t *patient_problems(fr_req *r, char birth[11])
{
    json_t *problems = json_object();
    char text[300], today[FR_TIME_LEN];
    fr_clock_today(today);
    for (size_t i = 0; i < NPATIENT_FIELDS; i++) {
        const char *name = patient_fields[i].name, *v = fr_req_field(r, name);
        if (patient_fields[i].required && blank(v))
            json_object_set_new(problems, name, json_string(T("field.required")));
        else if (v && (int)strlen(v) > patient_fields[i].max && strcmp(name, "birth_date") != 0)
            json_object_set_new(problems, name,
                                json_string(fr_text_n(T("field.toolong"), patient_fields[i].max,
                                                      text, sizeof text)));
    }
    const char *bt = opt_field(r, "birth_date");
    birth[0] = '\0';
    if (bt && fr_parse_date(bt, birth))
        json_object_set_new(problems, "birth_date", json_string(T("forms.bad_date")));
    else if (bt && strcmp(birth, today) > 0)
        json_object_set_new(problems, "birth_date", json_string(T("patient.birth_future")));
    char oldest[FR_TIME_LEN]; /* the kernel's limit: a mistyped year */
    snprintf(oldest, sizeof oldest, "%04d%s", atoi(today) - 130, today + 4);
    if (bt && !problems_has(problems, "birth_date") && strcmp(birth, oldest) < 0)
        json_object_set_new(problems, "birth_date", json_string(T("patient.birth_old")));
    if (json_object_size(problems) == 0) {
        json_decref(problems);
        return NULL;
    }
    return problems;
}

/* The registration form again, as typed, with its problems (422). */
static void patient_refused(fr_req *r, fr_resp *w, json_t *problems)
{
    w->status = 422;
    fr_page_begin(r, w, T("patients.title"));
    patient_form(r, &w->body, NULL, fr_parse_id(fr_req_field(r, "intake")), problems);
    fr_page_end(r, w);
}

static void ui_patients(fr_req *r, fr_resp *w)
{
    patients_page(r, w, fr_req_query(r, "q"));
}

static void ui_patients_search(fr_req *r, fr_resp *w)
{
    patients_page(r, w, fr_req_field(r, "q"));
}

static void ui_patient_add(fr_req *r, fr_resp *w)
{
    fr_patient_new p = {0};
    char birth[11];
    json_t *problems = patient_problems(r, birth);
    if (problems) {
        patient_refused(r, w, problems);
        json_decref(problems);
        return;
    }
    p.family_name = fr_req_field(r, "family_name");
    p.given_names = fr_req_field(r, "given_names");
    p.sex = opt_field(r, "sex");
    p.address = opt_field(r, "address");
    p.postal_code = opt_field(r, "postal_code");
    p.city = opt_field(r, "city");
    p.phone = opt_field(r, "phone");
    p.birth_date = birth[0] ? birth : NULL;
    fr_error err = {0};
    int64_t id = 0;
    if (fr_patient_add(r->site, &p, &id, &err)) {
        if (err.code != FR_EINVAL) {
            fr_page_error(r, w, &err);
            return;
        }
        /* a check of the kernel's that the page does not make: its words */
        problems = json_pack("{s:s}", "_", err.message);
        patient_refused(r, w, problems);
        json_decref(problems);
        return;
    }
    /* registered from an accepted intake: linked both ways */
    int64_t intake = fr_parse_id(fr_req_field(r, "intake"));
    if (intake && fr_intake_link(r->site, intake, id, 0, &err)) {
        fr_server_log(r->server, "intake %" PRId64 " → patient %" PRId64 ": %s", intake, id,
                      err.message);
        fr_resp_redirect(w, "/patients/%" PRId64 "?msg=flash.intake_unlinked", id);
        return;
    }
    fr_resp_redirect(w, "/patients/%" PRId64 "?msg=flash.patient", id);
}

/* The inputs of "open a case" and the kernel's names for them
 * (record_case.c, fr_case_open): a login that is no active user's is the
 * manager's. */
static const fr_page_rule open_rules[] = {
    {"workflow", NULL, 0, 0, 't'},  {"manager", NULL, 0, 0, 't'},
    {"manager", "user", 0, 0, 't'}, {"team", NULL, 0, 0, 't'},
    {"intensity", NULL, 0, 0, 't'}, {"opened_on", "opened", 0, 0, 'd'},
};
#define NOPEN_RULES (sizeof open_rules / sizeof open_rules[0])

/* "Open a case" on the patient page: the workflows offered, the case
 * manager (the user when a case manager), the team, the intensity, the
 * opening date (today; the day it really began for a case registered
 * after the fact); as chosen, each problem under its choice, when
 * refused. */
static void open_case_form(fr_req *r, fr_buf *b, int64_t id, int64_t intake, json_t *wfs,
                           json_t *users, json_t *teams, json_t *problems)
{
    size_t i;
    json_t *v;
    int focused = 0;
    char label[300];
    fr_buf_puts(b, "<section class=\"card\" id=\"open-case\"><h2>");
    esc_t(r, b, "case.open");
    fr_buf_puts(b, "</h2><form method=\"post\" action=\"/cases\" class=\"grid\">");
    fr_page_problems_alert(r, b, problems);
    fr_buf_printf(b, "<input type=\"hidden\" name=\"patient_id\" value=\"%" PRId64 "\">", id);
    if (intake)
        fr_buf_printf(b, "<input type=\"hidden\" name=\"intake\" value=\"%" PRId64 "\">", intake);
    fr_page_csrf(r, b);
    const char *chosen = problems ? fr_req_field(r, "workflow") : NULL;
    const char *problem = fr_page_problem(problems, "workflow");
    fr_page_select_begin(b, "f-workflow", "workflow", T("case.workflow"), problem, &focused);
    json_array_foreach(wfs, i, v)
    {
        if (!json_is_true(json_object_get(v, "loaded")) && fr_ji(v, "loaded") != 1)
            continue;
        snprintf(label, sizeof label, "%s (v%" JSON_INTEGER_FORMAT ")",
                 fr_ui_workflow_name(r, fr_js(v, "id"), fr_ji(v, "version")), fr_ji(v, "version"));
        fr_page_option(b, fr_js(v, "id"), label, chosen);
    }
    fr_page_select_end(b, "f-workflow", problem);
    chosen = problems ? fr_req_field(r, "manager") : r->login;
    problem = fr_page_problem(problems, "manager");
    fr_page_select_begin(b, "f-manager", "manager", T("col.manager"), problem, &focused);
    fr_page_option(b, "", "—", chosen);
    json_array_foreach(users, i, v)
    {
        if (strcmp(fr_js(v, "role"), "case_manager") != 0 || fr_ji(v, "active") == 0)
            continue;
        fr_page_option(b, fr_js(v, "login"), fr_js(v, "display_name"), chosen);
    }
    fr_page_select_end(b, "f-manager", problem);
    chosen = problems ? fr_req_field(r, "team") : NULL;
    problem = fr_page_problem(problems, "team");
    fr_page_select_begin(b, "f-team", "team", T("case.team"), problem, &focused);
    fr_page_option(b, "", "—", chosen);
    json_array_foreach(teams, i, v) fr_page_option(b, fr_js(v, "name"), fr_js(v, "name"), chosen);
    fr_page_select_end(b, "f-team", problem);
    chosen = problems ? fr_req_field(r, "intensity") : "2";
    problem = fr_page_problem(problems, "intensity");
    fr_page_select_begin(b, "f-intensity", "intensity", T("col.intensity"), problem, &focused);
    const char *levels[] = {"1", "2", "3", "4"};
    for (int k = 0; k < 4; k++)
        fr_page_option(b, levels[k], levels[k], chosen);
    fr_page_select_end(b, "f-intensity", problem);
    char today[FR_TIME_LEN], shown[32];
    fr_clock_today(today);
    fr_page_input on = {.id = "f-opened-on",
                        .name = "opened_on",
                        .label = T("case.open.opened_on"),
                        .date = 1,
                        .value =
                            problems ? fr_req_field(r, "opened_on") : fr_human_date(today, shown),
                        .problem = fr_page_problem(problems, "opened_on")};
    fr_page_field(b, &on, &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "case.openbutton");
    fr_buf_puts(b, "</button></form></section>");
}

/* The patient page; problems: those of the refused "open a case" form
 * (422), shown again as chosen. */
static void patient_page(fr_req *r, fr_resp *w, int64_t id, json_t *problems)
{
    json_t *p = NULL, *wfs = NULL, *users = NULL, *teams = NULL;
    fr_error err = {0};
    if (fr_patient_get(r->site, id, &p, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_buf *b = &w->body;
    char title[300], d[32];
    snprintf(title, sizeof title, "%s %s", fr_js(p, "family_name"), fr_js(p, "given_names"));
    if (problems)
        w->status = 422;
    fr_page_begin(r, w, title);
    fr_page_flash(r, b);
    fr_buf_puts(b, "<section class=\"card\"><dl class=\"facts\"><dt>");
    esc_t(r, b, "patient.birth");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_human_date(fr_js(p, "birth_date"), d));
    fr_buf_puts(b, "</dd><dt>");
    esc_t(r, b, "patient.sex");
    fr_buf_puts(b, "</dt><dd>");
    char key[32];
    snprintf(key, sizeof key, "sex.%s", fr_js(p, "sex"));
    esc_t(r, b, key);
    fr_buf_puts(b, "</dd><dt>");
    esc_t(r, b, "patient.address");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_js(p, "address"));
    fr_buf_puts(b, " ");
    fr_buf_esc(b, fr_js(p, "postal_code"));
    fr_buf_puts(b, " ");
    fr_buf_esc(b, fr_js(p, "city"));
    fr_buf_puts(b, "</dd><dt>");
    esc_t(r, b, "patient.phone");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_js(p, "phone"));
    fr_buf_puts(b, "</dd></dl></section><section><h2>");
    esc_t(r, b, "patient.cases");
    fr_buf_puts(b, "</h2><ul>");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(p, "cases"), i, c)
    {
        fr_buf_printf(b, "<li><a href=\"/cases/%" JSON_INTEGER_FORMAT "\">", fr_ji(c, "id"));
        esc_t(r, b, "col.case");
        fr_buf_printf(b, " %" JSON_INTEGER_FORMAT "</a> — ", fr_ji(c, "id"));
        fr_buf_esc(b, fr_ui_workflow_name(r, fr_js(c, "workflow"), fr_ji(c, "workflow_version")));
        fr_buf_puts(b, " · ");
        fr_buf_esc(b, state_name(r, fr_js(c, "workflow"), fr_ji(c, "workflow_version"),
                                 fr_js(c, "state")));
        fr_buf_puts(b, "</li>");
    }
    fr_buf_puts(b, "</ul>");
    /* The whole record as a file (fr_patient_export): for those who
     * answer for it. */
    if (strcmp(r->role, "admin") == 0 || strcmp(r->role, "case_manager") == 0) {
        fr_buf_printf(b, "<p><a href=\"/api/v1/patients/%" PRId64 "/export\" download>", id);
        esc_t(r, b, "patient.export");
        fr_buf_puts(b, "</a> <span class=\"muted\">");
        esc_t(r, b, "patient.export.hint");
        fr_buf_puts(b, "</span></p>");
    }
    fr_buf_puts(b, "</section>");
    int64_t intake = fr_ui_intakes_section(r, b, id, 0);
    if ((strcmp(r->role, "admin") == 0 || strcmp(r->role, "case_manager") == 0) &&
        fr_workflows_list(r->site, &wfs, &err) == 0 && fr_user_list(r->site, &users, &err) == 0 &&
        fr_team_list(r->site, &teams, &err) == 0) {
        open_case_form(r, b, id, intake, wfs, users, teams, problems);
    }
    json_decref(wfs);
    json_decref(users);
    json_decref(teams);
    json_decref(p);
    fr_page_end(r, w);
}

static void ui_patient(fr_req *r, fr_resp *w)
{
    patient_page(r, w, fr_parse_id(r->params[0]), NULL);
}

static void ui_case_open(fr_req *r, fr_resp *w)
{
    fr_case_new n = {0};
    n.patient_id = fr_parse_id(fr_req_field(r, "patient_id"));
    n.workflow = fr_page_opt(r, "workflow");
    n.manager = fr_page_opt(r, "manager");
    n.team = fr_page_opt(r, "team");
    const char *in = fr_page_opt(r, "intensity");
    n.intensity = in ? (int)fr_parse_id(in) : 0;
    json_t *problems = NULL;
    char on[11];
    fr_ui_past_date_check(r, fr_page_rule_of(open_rules, NOPEN_RULES, "opened_on"),
                          "case.opening.future", &problems, on);
    n.opened_on = on[0] ? on : NULL;
    /* choices of the page: wrong only when the page is old (a workflow no
     * longer offered) or was not the one sent */
    if (!n.workflow)
        fr_page_put(&problems, "workflow", T("case.open.need_workflow"));
    if (in && (n.intensity < 1 || n.intensity > 4))
        fr_page_put(&problems, "intensity", T("case.open.intensity_bad"));
    fr_error err = {0};
    int64_t id = 0;
    if (problems || fr_case_open(r->site, &n, &id, &err)) {
        if (problems || fr_page_refusal(r, &problems, &err, open_rules, NOPEN_RULES))
            patient_page(r, w, n.patient_id, problems);
        else
            fr_page_error(r, w, &err);
        json_decref(problems);
        return;
    }
    int64_t intake = fr_parse_id(fr_req_field(r, "intake"));
    if (intake && fr_intake_link(r->site, intake, n.patient_id, id, &err))
        fr_server_log(r->server, "intake %" PRId64 " → case %" PRId64 ": %s", intake, id,
                      err.message);
    fr_server_deliver(r);
    fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.opened", id);
}

/* ---- the case page ---- */

/* The network as a picture: the person in the middle, formal members on
 * the upper arc, informal ones on the lower arc, a line to each. Drawn
 * with presentation attributes only (the CSP forbids inline styles). */
static void network_svg(fr_req *r, fr_buf *b, json_t *patient, json_t *network)
{
    const double cx = 320, cy = 200, rx = 230, ry = 150;
    size_t n = json_array_size(network), nf = 0, ni = 0, kf = 0, ki = 0;
    size_t i;
    json_t *m;
    json_array_foreach(network, i, m)
    {
        if (strcmp(fr_js(m, "kind"), "formal") == 0)
            nf++;
        else
            ni++;
    }
    fr_buf_puts(b, "<figure class=\"network\"><svg viewBox=\"0 0 640 400\" role=\"img\" "
                   "aria-labelledby=\"net-title\" xmlns=\"http://www.w3.org/2000/svg\"><title "
                   "id=\"net-title\">");
    esc_t(r, b, "case.network");
    fr_buf_puts(b, "</title>");
    /* lines first, then nodes over them */
    for (int pass = 0; pass < 2; pass++) {
        kf = ki = 0;
        json_array_foreach(network, i, m)
        {
            int formal = strcmp(fr_js(m, "kind"), "formal") == 0;
            size_t k = formal ? kf++ : ki++, total = formal ? nf : ni;
            double a = M_PI * ((double)k + 1) / ((double)total + 1);
            double x = cx - rx * cos(a), y = formal ? cy - ry * sin(a) : cy + ry * sin(a);
            int active = fr_ji(m, "active") != 0 || !json_object_get(m, "active");
            if (pass == 0) {
                fr_buf_printf(b,
                              "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
                              "stroke=\"%s\" stroke-width=\"2\"%s/>",
                              cx, cy, x, y, formal ? "#1f5fa8" : "#2e7d32",
                              active ? "" : " stroke-dasharray=\"6 4\"");
                continue;
            }
            fr_buf_printf(b,
                          "<g><circle cx=\"%.0f\" cy=\"%.0f\" r=\"9\" fill=\"%s\"/>"
                          "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"13\" "
                          "fill=\"#111\">",
                          x, y, formal ? "#1f5fa8" : "#2e7d32", x, y + (formal ? -14 : 24));
            fr_buf_esc(b, fr_js(m, "name"));
            fr_buf_printf(b,
                          "</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" "
                          "font-size=\"11\" fill=\"#444\">",
                          x, y + (formal ? -28 : 38));
            fr_buf_esc(b, *fr_js(m, "role") ? fr_js(m, "role") : fr_js(m, "relation"));
            if (*fr_js(m, "organisation")) {
                fr_buf_puts(b, " · ");
                fr_buf_esc(b, fr_js(m, "organisation"));
            }
            fr_buf_puts(b, "</text></g>");
        }
    }
    fr_buf_printf(b,
                  "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"34\" fill=\"#b3261e\"/>"
                  "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"13\" "
                  "fill=\"#fff\" font-weight=\"bold\">",
                  cx, cy, cx, cy + 5);
    char name[64];
    snprintf(name, sizeof name, "%.20s", fr_js(patient, "family_name"));
    fr_buf_esc(b, name);
    fr_buf_puts(b, "</text></svg><figcaption><span class=\"key formal\"></span> ");
    esc_t(r, b, "network.formal");
    fr_buf_puts(b, " <span class=\"key informal\"></span> ");
    esc_t(r, b, "network.informal");
    if (n == 0) {
        fr_buf_puts(b, " — ");
        esc_t(r, b, "network.empty");
    }
    fr_buf_puts(b, "</figcaption></figure>");
}

/* A phone number as a tel: URI: the digits, with a leading "+" kept
 * (RFC 3966 global numbers; spaces, dots and dashes dropped). */
static void tel_href(fr_buf *b, const char *phone)
{
    fr_buf_puts(b, "tel:");
    for (const char *p = phone; *p; p++)
        if ((*p >= '0' && *p <= '9') || (*p == '+' && p == phone + strspn(phone, " ")))
            fr_buf_add(b, p, 1);
}

/* The network as text under its picture: on a phone the picture's names
 * are too small to read, and the members' phone numbers and e-mail
 * addresses are what the case manager on the move needs, as links. */
static void network_list(fr_req *r, fr_buf *b, json_t *network)
{
    if (json_array_size(network) == 0)
        return;
    fr_buf_puts(b, "<ul class=\"members\">");
    size_t i;
    json_t *m;
    char d[32];
    json_array_foreach(network, i, m)
    {
        int formal = strcmp(fr_js(m, "kind"), "formal") == 0;
        int active = fr_ji(m, "active") != 0 || !json_object_get(m, "active");
        fr_buf_printf(b, "<li%s><span class=\"key %s\"></span> <strong>",
                      active ? "" : " class=\"ended\"", formal ? "formal" : "informal");
        fr_buf_esc(b, fr_js(m, "name"));
        fr_buf_puts(b, "</strong>");
        const char *what = *fr_js(m, "role") ? fr_js(m, "role") : fr_js(m, "relation");
        if (*what || *fr_js(m, "organisation")) {
            fr_buf_puts(b, " — ");
            fr_buf_esc(b, what);
            if (*what && *fr_js(m, "organisation"))
                fr_buf_puts(b, " · ");
            fr_buf_esc(b, fr_js(m, "organisation"));
        }
        if (*fr_js(m, "phone")) {
            fr_buf_puts(b, " <a href=\"");
            tel_href(b, fr_js(m, "phone"));
            fr_buf_puts(b, "\">");
            fr_buf_esc(b, fr_js(m, "phone"));
            fr_buf_puts(b, "</a>");
        }
        if (*fr_js(m, "email")) {
            fr_buf_puts(b, " <a href=\"mailto:");
            fr_buf_esc(b, fr_js(m, "email"));
            fr_buf_puts(b, "\">");
            fr_buf_esc(b, fr_js(m, "email"));
            fr_buf_puts(b, "</a>");
        }
        if (!active) {
            fr_buf_puts(b, " <span class=\"muted\">(");
            esc_t(r, b, "network.ended");
            if (*fr_js(m, "until")) {
                fr_buf_puts(b, " ");
                fr_buf_esc(b, fr_human_date(fr_js(m, "until"), d));
            }
            fr_buf_puts(b, ")</span>");
        }
        fr_buf_puts(b, "</li>");
    }
    fr_buf_puts(b, "</ul>");
}

/* A network member's inputs and the kernel's rules for them
 * (record_case.c, fr_network_add). */
static const fr_page_rule network_rules[] = {
    {"kind", NULL, 0, 0, 't'},
    {"name", NULL, 1, FR_TEXT_NAME_MAX, 't'},
    {"role", NULL, 0, FR_TEXT_NAME_MAX, 't'},
    {"organisation", NULL, 0, FR_TEXT_NAME_MAX, 't'},
    {"relation", NULL, 0, FR_TEXT_NAME_MAX, 't'},
    {"phone", NULL, 0, FR_TEXT_PHONE_MAX, 'p'},
    {"email", NULL, 0, FR_TEXT_EMAIL_MAX, 'e'},
    {"user", NULL, 0, 0, 't'},
    {"since", NULL, 0, 0, 'd'},
    {"until", NULL, 0, 0, 'd'},
};
#define NNETWORK_RULES (sizeof network_rules / sizeof network_rules[0])

/* "Add a network member", closed; open and filled with what was typed,
 * each problem under its field, when it is the refused form. */
static void network_form(fr_req *r, fr_buf *b, int64_t id, const fr_refusal *refused)
{
    static const struct {
        const char *name, *key, *type;
    } inputs[] = {
        {"name", "network.name", "text"},
        {"role", "network.role", "text"},
        {"organisation", "network.organisation", "text"},
        {"relation", "network.relation", "text"},
        {"phone", "patient.phone", "tel"},
        {"email", "network.email", "email"},
        {"user", "network.user", "text"},
        {"since", "network.since", "text"},
        {"until", "network.until", "text"},
    };
    json_t *problems = fr_refusal_problems(refused, "network");
    int focused = 0;
    fr_buf_printf(b, "<details id=\"add-network\"%s><summary>", problems ? " open" : "");
    esc_t(r, b, "network.add");
    fr_buf_printf(
        b, "</summary><form method=\"post\" action=\"/cases/%" PRId64 "/network\" class=\"grid\">",
        id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    const char *kind = fr_refusal_value(r, refused, "network", "kind");
    fr_page_select_begin(b, "f-kind", "kind", T("network.kind"), fr_page_problem(problems, "kind"),
                         &focused);
    fr_page_option(b, "formal", T("network.formal"), kind);
    fr_page_option(b, "informal", T("network.informal"), kind);
    fr_page_select_end(b, "f-kind", fr_page_problem(problems, "kind"));
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        const char *name = inputs[i].name;
        char fid[32];
        snprintf(fid, sizeof fid, "f-%s", name);
        int max = 0;
        for (size_t k = 0; k < NNETWORK_RULES; k++)
            if (strcmp(network_rules[k].name, name) == 0)
                max = network_rules[k].max;
        int date = strcmp(name, "since") == 0 || strcmp(name, "until") == 0;
        fr_page_input in = {.id = fid,
                            .name = name,
                            .label = T(inputs[i].key),
                            .type = inputs[i].type,
                            .required = strcmp(name, "name") == 0,
                            .maxlength = max,
                            .value = fr_refusal_value(r, refused, "network", name),
                            .problem = fr_page_problem(problems, name),
                            .date = date,
                            .placeholder = date ? T("forms.date_placeholder") : NULL};
        fr_page_field(b, &in, &focused);
    }
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "network.addbutton");
    fr_buf_puts(b, "</button></form></details>");
}

/* The audited exception's form; its reason as typed and its problem when
 * it was refused. */
static void break_glass_form(fr_req *r, fr_resp *w, int64_t id, const fr_refusal *refused)
{
    fr_buf *b = &w->body;
    if (strcmp(r->role, "read_only") == 0)
        return;
    fr_buf_printf(b, "<section class=\"card warn\"><h2>");
    esc_t(r, b, "bg.title");
    fr_buf_puts(b, "</h2><p>");
    esc_t(r, b, "bg.text");
    fr_buf_printf(b, "</p><form method=\"post\" action=\"/cases/%" PRId64 "/break-glass\">", id);
    fr_page_csrf(r, b);
    int focused = 0;
    fr_page_input in = {.id = "f-reason",
                        .name = "reason",
                        .label = T("bg.reason"),
                        .required = 1,
                        .value = fr_refusal_value(r, refused, "break-glass", "reason"),
                        .problem =
                            fr_page_problem(fr_refusal_problems(refused, "break-glass"), "reason")};
    fr_page_field(b, &in, &focused);
    fr_buf_puts(b, "<button type=\"submit\" class=\"danger\">");
    esc_t(r, b, "bg.submit");
    fr_buf_puts(b, "</button></form></section>");
}

void fr_ui_case_page(fr_req *r, fr_resp *w, int64_t id, const fr_refusal *refused)
{
    json_t *cs = NULL;
    fr_error err = {0};
    fr_buf *b = &w->body;
    if (fr_case_get(r->site, id, &cs, &err)) {
        if (err.code != FR_EACCESS) {
            fr_page_error(r, w, &err);
            return;
        }
        /* Refused (and audited by the kernel): say why, and offer the
         * audited exception; 403 also after a form of the case refused
         * (what was typed is not the problem, nor shown) */
        char said[FR_ERROR_MAX];
        w->status = 403;
        fr_page_begin(r, w, T("error.title"));
        fr_buf_puts(b, "<p class=\"error\" role=\"alert\">");
        fr_buf_esc(b, fr_page_known(r, err.message, said, sizeof said));
        fr_buf_puts(b, "</p>");
        break_glass_form(r, w, id, refused);
        fr_page_end(r, w);
        return;
    }
    json_t *p = json_object_get(cs, "patient");
    char title[300], d[32], d2[32];
    snprintf(title, sizeof title, "%s %s — %s %" PRId64, fr_js(p, "family_name"),
             fr_js(p, "given_names"), T("col.case"), id);
    if (refused)
        w->status = 422;
    fr_page_begin(r, w, title);
    fr_page_flash(r, b);
    fr_buf_puts(b, "<div class=\"columns\"><section class=\"card\"><h2>");
    esc_t(r, b, "case.summary");
    fr_buf_printf(
        b,
        "</h2><dl class=\"facts\"><dt>%s</dt><dd><a href=\"/patients/%" JSON_INTEGER_FORMAT "\">",
        T("col.patient"), fr_ji(p, "id"));
    fr_buf_esc(b, fr_js(p, "family_name"));
    fr_buf_puts(b, " ");
    fr_buf_esc(b, fr_js(p, "given_names"));
    fr_buf_puts(b, "</a></dd><dt>");
    esc_t(r, b, "patient.birth");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_human_date(fr_js(p, "birth_date"), d));
    fr_buf_puts(b, "</dd><dt>");
    esc_t(r, b, "case.workflow");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_ui_workflow_name(r, fr_js(cs, "workflow"), fr_ji(cs, "workflow_version")));
    fr_buf_printf(b, " <small>(%s v%" JSON_INTEGER_FORMAT ")</small></dd><dt>",
                  fr_js(cs, "workflow"), fr_ji(cs, "workflow_version"));
    esc_t(r, b, "col.state");
    fr_buf_puts(b, "</dt><dd><strong>");
    fr_buf_esc(b, *fr_js(cs, "state_title") ? fr_js(cs, "state_title") : fr_js(cs, "state"));
    fr_buf_puts(b, "</strong> (");
    fr_buf_esc(b, fr_human_date(fr_js(cs, "state_since"), d));
    fr_buf_puts(b, ")</dd><dt>");
    esc_t(r, b, "col.manager");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_js(cs, "case_manager_name"));
    if (*fr_js(cs, "team")) {
        fr_buf_puts(b, " · ");
        fr_buf_esc(b, fr_js(cs, "team"));
    }
    fr_buf_puts(b, "</dd><dt>");
    esc_t(r, b, "col.intensity");
    fr_buf_printf(b, "</dt><dd>%" JSON_INTEGER_FORMAT "</dd><dt>", fr_ji(cs, "intensity"));
    esc_t(r, b, "case.opened_on");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_human_date(fr_js(cs, "opened_on"), d));
    fr_buf_puts(b, "</dd></dl>");
    fr_ui_case_opening(r, b, id, refused);
    fr_buf_puts(b, "</section>");

    /* the events allowed now */
    fr_buf_puts(b, "<section class=\"card\"><h2>");
    esc_t(r, b, "case.actions");
    fr_buf_printf(
        b, "</h2><form method=\"post\" action=\"/cases/%" PRId64 "/fire\" class=\"actions\">", id);
    fr_page_csrf(r, b);
    /* A refused event: the note and date as typed, the problem under the
     * date or, the workflow's refusal, above the buttons. */
    json_t *fire_problems = fr_refusal_problems(refused, "fire");
    int focused = 0;
    fr_page_input note_in = {.id = "f-note",
                             .name = "note",
                             .label = T("case.note"),
                             .value = fr_refusal_value(r, refused, "fire", "note")};
    fr_page_field(b, &note_in, &focused);
    fr_page_input on_in = {.id = "f-on",
                           .name = "on",
                           .label = T("case.effective"),
                           .placeholder = fr_human_date(fr_js(cs, "state_since"), d2),
                           .date = 1,
                           .value = fr_refusal_value(r, refused, "fire", "on"),
                           .problem = fr_page_problem(fire_problems, "on")};
    fr_page_field(b, &on_in, &focused);
    if (fr_page_problem(fire_problems, "event")) {
        fr_buf_puts(b, "<p class=\"fr-error\" role=\"alert\">");
        fr_buf_esc(b, fr_page_problem(fire_problems, "event"));
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "<div class=\"buttons\">");
    size_t i;
    json_t *v;
    const fr_workflow *cwf = workflow_of(r, fr_js(cs, "workflow"), fr_ji(cs, "workflow_version"));
    json_array_foreach(json_object_get(cs, "allowed_events"), i, v)
    {
        const char *title = json_string_value(
            json_object_get(json_object_get(cs, "event_titles"), json_string_value(v)));
        fr_buf_puts(b, "<button type=\"submit\" name=\"event\" value=\"");
        fr_buf_esc(b, json_string_value(v));
        fr_buf_puts(b, "\"");
        /* One tap on a phone must not close a case by mistake. */
        if (cwf && fr_workflow_event_closes(cwf, fr_js(cs, "state"), json_string_value(v))) {
            fr_buf_puts(b, " data-confirm=\"");
            esc_t(r, b, "case.close.confirm");
            fr_buf_puts(b, "\"");
        }
        fr_buf_puts(b, ">");
        fr_buf_esc(b, title ? title : json_string_value(v));
        fr_buf_puts(b, "</button>");
    }
    fr_buf_puts(b, "</div></form></section></div>");
    fr_ui_intakes_section(r, b, 0, id);

    /* Break-glass accesses to this case are shown to whoever manages it,
     * so that an exception never goes unnoticed. */
    json_t *bgs = NULL;
    if (fr_store_query_json(r->site->store, &err, &bgs,
                            "SELECT u.login, u.display_name, bg.reason, bg.at FROM break_glass bg"
                            " JOIN users u ON u.id = bg.user_id WHERE bg.case_id = ?"
                            " ORDER BY bg.id DESC LIMIT 10",
                            "I", id) == 0 &&
        json_array_size(bgs) > 0) {
        fr_buf_puts(b, "<section class=\"card warn\"><h2>");
        esc_t(r, b, "bg.list");
        fr_buf_puts(b, "</h2><ul>");
        json_array_foreach(bgs, i, v)
        {
            fr_buf_puts(b, "<li>");
            fr_buf_esc(b, fr_human_date(fr_js(v, "at"), d));
            fr_buf_puts(b, " — <strong>");
            fr_buf_esc(b, fr_js(v, "display_name"));
            fr_buf_puts(b, "</strong> : ");
            fr_buf_esc(b, fr_js(v, "reason"));
            fr_buf_puts(b, "</li>");
        }
        fr_buf_puts(b, "</ul></section>");
    }
    json_decref(bgs);

    /* network */
    fr_buf_puts(b, "<section><h2>");
    esc_t(r, b, "case.network");
    fr_buf_puts(b, "</h2>");
    network_svg(r, b, p, json_object_get(cs, "network"));
    network_list(r, b, json_object_get(cs, "network"));
    network_form(r, b, id, refused);
    fr_buf_puts(b, "</section>");

    /* tasks */
    fr_buf_puts(b, "<section><h2>");
    esc_t(r, b, "case.tasks");
    fr_buf_puts(b, "</h2>");
    const char *task_problem = fr_page_problem(fr_refusal_problems(refused, "task"), "_");
    if (task_problem) {
        fr_buf_puts(b, "<p class=\"fr-error\" role=\"alert\">");
        fr_buf_esc(b, task_problem);
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "<ul class=\"tasks\">");
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    json_array_foreach(json_object_get(cs, "tasks"), i, v)
    {
        int late = *fr_js(v, "due_on") && strcmp(fr_js(v, "due_on"), today) < 0;
        fr_buf_printf(b,
                      "<li%s><form method=\"post\" action=\"/tasks/%" JSON_INTEGER_FORMAT
                      "/done\" class=\"inline\">",
                      late ? " class=\"overdue\"" : "", fr_ji(v, "id"));
        fr_page_csrf(r, b);
        fr_buf_printf(b, "<input type=\"hidden\" name=\"back\" value=\"/cases/%" PRId64 "\">", id);
        fr_buf_puts(b, "<span class=\"due\">");
        fr_buf_esc(b, fr_human_date(fr_js(v, "due_on"), d));
        fr_buf_puts(b, "</span> ");
        fr_buf_esc(b, fr_js(v, "title"));
        fr_buf_puts(b, " <span class=\"muted\">(");
        fr_buf_esc(b, fr_js(v, "assignee"));
        fr_buf_puts(b, ")</span> <button type=\"submit\" class=\"small\">");
        esc_t(r, b, "task.done");
        fr_buf_puts(b, "</button></form></li>");
    }
    fr_buf_puts(b, "</ul></section>");

    /* forms, care plan, referrals, meetings (ui_forms.c) */
    fr_ui_case_care(r, b, id, cs, refused);

    /* timeline */
    fr_buf_puts(b, "<section><h2>");
    esc_t(r, b, "case.timeline");
    fr_buf_puts(b, "</h2><ol class=\"timeline\">");
    /* the last step (migrations are none), whose date can be corrected */
    json_int_t last_step = 0;
    json_array_foreach(json_object_get(cs, "timeline"), i, v)
    {
        if (*fr_js(v, "from_state") && !fr_ji(v, "migration") && fr_ji(v, "id") > last_step)
            last_step = fr_ji(v, "id");
    }
    json_array_foreach(json_object_get(cs, "timeline"), i, v)
    {
        fr_buf_puts(b, "<li><time>");
        fr_buf_esc(b, fr_human_date(fr_js(v, "effective_on"), d));
        fr_buf_puts(b, "</time> <strong>");
        /* named as the version the step was taken under named them */
        const fr_workflow *wf = workflow_of(r, fr_js(cs, "workflow"), fr_ji(v, "workflow_version"));
        const char *ev = fr_js(v, "event"), *from = fr_js(v, "from_state"),
                   *to = fr_js(v, "to_state");
        const char *evt = wf ? fr_workflow_event_title(wf, ev, r->lang) : ev;
        /* the case's opening is the kernel's step, no workflow's event */
        if (!*from && strcmp(ev, "open") == 0 && strcmp(evt, ev) == 0)
            evt = T("case.timeline.opened");
        /* nor is a move to a newer version, whatever the workflow's own
         * event named like it is called */
        if (fr_ji(v, "migration"))
            evt = T("case.timeline.migrated");
        fr_buf_esc(b, evt);
        fr_buf_puts(b, "</strong> ");
        if (*from) {
            fr_buf_esc(b, wf ? fr_workflow_state_title(wf, from, r->lang) : from);
            fr_buf_puts(b, " ");
        }
        fr_buf_puts(b, "→ ");
        fr_buf_esc(b, wf ? fr_workflow_state_title(wf, to, r->lang) : to);
        fr_buf_puts(b, " <span class=\"muted\">");
        fr_buf_esc(b, fr_js(v, "actor"));
        fr_buf_puts(b, "</span>");
        if (*fr_js(v, "note")) {
            fr_buf_puts(b, " — ");
            fr_buf_esc(b, fr_js(v, "note"));
        }
        if (fr_ji(v, "id") == last_step)
            fr_ui_case_last_step(r, b, id, refused);
        fr_buf_puts(b, "</li>");
    }
    fr_buf_puts(b, "</ol></section>");

    fr_ui_case_notes(r, b, id, cs, refused);
    json_decref(cs);
    fr_page_end(r, w);
}

static void ui_case(fr_req *r, fr_resp *w)
{
    fr_ui_case_page(r, w, fr_parse_id(r->params[0]), NULL);
}

/* The case page again with `form` as typed and its problem (for the
 * events form, `field` "on", or "event" for the workflow's refusal). */
static void case_refused(fr_req *r, fr_resp *w, int64_t id, const char *form, const char *field,
                         const char *text)
{
    fr_ui_case_refused(r, w, id, form, json_pack("{s:s}", field, text));
}

static void fire_refused(fr_req *r, fr_resp *w, int64_t id, const char *field, const char *text)
{
    case_refused(r, w, id, "fire", field, text);
}

static void ui_case_fire(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]);
    const char *event = fr_req_field(r, "event"), *on_text = opt_field(r, "on");
    char on[11];
    fr_error err = {0};
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    if (on_text && fr_parse_date(on_text, on)) {
        fire_refused(r, w, id, "on", T("forms.bad_date"));
        return;
    }
    if (on_text && strcmp(on, today) > 0) {
        /* the kernel refuses it too, in the command line's words */
        fire_refused(r, w, id, "on", T("case.effective_future"));
        return;
    }
    if (!event ||
        fr_workflow_fire(r->site, id, event, on_text ? on : NULL, opt_field(r, "note"), &err)) {
        /* The workflow's refusal (a guard's message, written by the
         * workflow's author for people; an event no longer allowed) under
         * the form; a date the kernel refuses (before the case's
         * opening) under the date; access and storage failures as any
         * page's. */
        static const fr_page_rule fire_on_rule[] = {{"on", NULL, 0, 0, 'd'}};
        json_t *on_problem = NULL;
        if (!event)
            fire_refused(r, w, id, "event", T("case.event_missing"));
        else if (fr_page_refusal(r, &on_problem, &err, fire_on_rule, 1) &&
                 fr_page_problem(on_problem, "on"))
            fire_refused(r, w, id, "on", fr_page_problem(on_problem, "on"));
        else if (err.code == FR_EREFUSED || err.code == FR_EINVAL)
            fire_refused(r, w, id, "event", err.message);
        else
            fr_page_error(r, w, &err);
        json_decref(on_problem);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.fired", id);
}

static void ui_case_break_glass(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]);
    const char *reason = fr_page_opt(r, "reason");
    fr_error err = {0};
    char text[FR_ERROR_MAX];
    /* the kernel's rules (a few words, no control character), in the
     * user's words; the form again without reading the case once more
     * (that read would be refused, and audited, a second time) */
    if (fr_access_break_glass(r->site, id, reason ? reason : "", 0, &err) == FR_EINVAL) {
        json_t *problems = json_pack("{s:s}", "reason",
                                     strncmp(err.message, "break-glass", 11) == 0
                                         ? T("bg.reason_short")
                                         : fr_page_worded(r, err.message, text, sizeof text));
        fr_refusal refused = {.form = "break-glass", .problems = problems};
        w->status = 422;
        fr_page_begin(r, w, T("bg.title"));
        break_glass_form(r, w, id, &refused);
        fr_page_end(r, w);
        json_decref(problems);
    } else if (err.code)
        fr_page_error(r, w, &err);
    else
        fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.breakglass", id);
}

static void ui_network_add(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]);
    char since[11] = "", until[11] = "";
    fr_member_new m = {0};
    m.kind = fr_page_opt(r, "kind");
    m.name = fr_page_opt(r, "name");
    m.role = fr_page_opt(r, "role");
    m.relation = fr_page_opt(r, "relation");
    m.organisation = fr_page_opt(r, "organisation");
    m.phone = fr_page_opt(r, "phone");
    m.email = fr_page_opt(r, "email");
    m.user = fr_page_opt(r, "user");
    /* Every problem at once, in the user's language, before the kernel
     * (which checks again, and says one at a time, in English). */
    json_t *problems = fr_page_check(r, network_rules, NNETWORK_RULES);
    /* a professional needs a role, a relative a relation */
    const char *need = NULL, *need_text = NULL;
    if (m.kind && strcmp(m.kind, "formal") == 0 && !m.role)
        need = "role", need_text = T("network.need_role");
    else if (m.kind && strcmp(m.kind, "informal") == 0 && !m.relation)
        need = "relation", need_text = T("network.need_relation");
    if (need && !fr_page_problem(problems, need)) {
        if (!problems)
            problems = json_object();
        json_object_set_new(problems, need, json_string(need_text));
    }
    if (fr_page_opt(r, "since") && fr_parse_date(fr_page_opt(r, "since"), since) == 0)
        m.since = since;
    if (fr_page_opt(r, "until") && fr_parse_date(fr_page_opt(r, "until"), until) == 0)
        m.until = until;
    if (m.since && m.until && strcmp(m.since, m.until) > 0 && !fr_page_problem(problems, "until")) {
        if (!problems)
            problems = json_object();
        json_object_set_new(problems, "until", json_string(T("network.until_before")));
    }
    fr_error err = {0};
    int64_t mid = 0;
    /* an unknown login said with the rest, not in a second round */
    if (m.user && !fr_page_problem(problems, "user") &&
        fr_user_id(r->site, m.user, &mid, &err) == FR_ENOTFOUND)
        fr_page_refusal(r, &problems, &err, network_rules, NNETWORK_RULES);
    if (problems) {
        fr_ui_case_refused(r, w, id, "network", problems);
        return;
    }
    if (fr_network_add(r->site, id, &m, &mid, &err)) {
        fr_ui_case_failed(r, w, id, "network", &err, network_rules, NNETWORK_RULES);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.saved", id);
}

static void ui_task_done(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    const char *back = fr_req_field(r, "back");
    if (fr_task_done(r->site, fr_parse_id(r->params[0]), &err)) {
        /* done meanwhile (another tab, a colleague), from the case page:
         * that page says so (409) */
        int64_t case_id = back && strncmp(back, "/cases/", 7) == 0 ? fr_parse_id(back + 7) : 0;
        if (err.code == FR_ECONFLICT && case_id) {
            case_refused(r, w, case_id, "task", "_", T("task.already_done"));
            if (w->status == 422)
                w->status = 409;
        } else if (err.code == FR_ECONFLICT) {
            /* from the échéancier: what was wanted is so; it says who
             * was first by saying it was already done */
            fr_resp_redirect(w, "/schedule?msg=flash.already_done");
        } else {
            fr_page_error(r, w, &err);
        }
        return;
    }
    fr_server_deliver(r);
    if (local_path(back) && !strchr(back, '?'))
        fr_resp_redirect(w, "%s?msg=flash.saved", back);
    else
        fr_resp_redirect(w, "/schedule?msg=flash.saved");
}

/* ---- settings ---- */

/* The settings page; after a refusal (422), `form` ("language" or
 * "password") with its problems under its fields. A password is never
 * sent back into the page: it is typed again. */
static void settings_page(fr_req *r, fr_resp *w, const char *form, json_t *problems)
{
    fr_buf *b = &w->body;
    json_t *lang_problems = form && strcmp(form, "language") == 0 ? problems : NULL;
    json_t *pw_problems = form && strcmp(form, "password") == 0 ? problems : NULL;
    int focused = 0;
    if (problems)
        w->status = 422;
    fr_page_begin(r, w, T("settings.title"));
    fr_page_flash(r, b);
    fr_buf_puts(b, "<form method=\"post\" action=\"/settings\" class=\"card narrow\">");
    fr_page_problems_alert(r, b, lang_problems);
    fr_page_csrf(r, b);
    const char *chosen = lang_problems ? fr_req_field(r, "language") : r->lang;
    const char *problem = fr_page_problem(lang_problems, "language");
    fr_page_languages(r, b, "f-lang", "language", chosen, problem, &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "settings.save");
    fr_buf_puts(b, "</button></form><form method=\"post\" action=\"/settings/password\" "
                   "class=\"card narrow\"><h2>");
    esc_t(r, b, "settings.password");
    fr_buf_puts(b, "</h2>");
    fr_page_problems_alert(r, b, pw_problems);
    fr_page_csrf(r, b);
    problem = fr_page_problem(pw_problems, "password");
    fr_buf_puts(b, "<label for=\"f-pw\">");
    esc_t(r, b, "settings.newpassword");
    fr_buf_puts(b, "</label><input id=\"f-pw\" name=\"password\" type=\"password\" minlength=\"8\" "
                   "autocomplete=\"new-password\" required");
    if (problem)
        fr_buf_puts(b, " aria-invalid=\"true\" aria-describedby=\"f-pw-problem\" autofocus");
    fr_buf_puts(b, ">");
    if (problem) {
        fr_buf_puts(b, "<p class=\"fr-error\" id=\"f-pw-problem\">");
        fr_buf_esc(b, problem);
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "settings.save");
    fr_buf_puts(b, "</button></form><p class=\"card narrow\"><a href=\"/settings/tokens\">");
    esc_t(r, b, "tokens.title");
    fr_buf_puts(b, "</a></p>");
    fr_page_end(r, w);
}

static void ui_settings(fr_req *r, fr_resp *w)
{
    settings_page(r, w, NULL, NULL);
}

/* The kernel refused a setting: the page again with the problem under
 * its field when it was about what was typed, else the error page. */
static void settings_failed(fr_req *r, fr_resp *w, const char *form, const fr_error *err)
{
    const fr_page_rule rules[] = {{form, NULL, 0, 0, 't'}};
    json_t *problems = NULL;
    if (fr_page_refusal(r, &problems, err, rules, 1))
        settings_page(r, w, form, problems);
    else
        fr_page_error(r, w, err);
    json_decref(problems);
}

static void ui_settings_post(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    if (fr_user_set_language(r->site, r->login, fr_req_field(r, "language"), &err)) {
        settings_failed(r, w, "language", &err);
        return;
    }
    fr_resp_redirect(w, "/settings?msg=flash.saved");
}

static void ui_settings_password(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    if (fr_user_set_password(r->site, r->login, fr_req_field(r, "password"), &err)) {
        settings_failed(r, w, "password", &err);
        return;
    }
    fr_resp_redirect(w, "/settings?msg=flash.saved");
}

/* Defined in ui_schedule.c, ui_triage.c and ui_admin.c. */
void fr_ui_schedule(fr_req *r, fr_resp *w);
void fr_ui_schedule_reassign(fr_req *r, fr_resp *w);
void fr_ui_calendar_token(fr_req *r, fr_resp *w);
void fr_ui_calendar(fr_req *r, fr_resp *w);
void fr_ui_refer(fr_req *r, fr_resp *w);
void fr_ui_refer_post(fr_req *r, fr_resp *w);
void fr_ui_triage(fr_req *r, fr_resp *w);
void fr_ui_triage_post(fr_req *r, fr_resp *w);
void fr_ui_admin(fr_req *r, fr_resp *w);
void fr_ui_admin_plugin(fr_req *r, fr_resp *w);
void fr_ui_admin_user(fr_req *r, fr_resp *w);
void fr_ui_admin_retry(fr_req *r, fr_resp *w);
void fr_ui_admin_team(fr_req *r, fr_resp *w);
void fr_ui_admin_team_join(fr_req *r, fr_resp *w);
void fr_ui_admin_user_active(fr_req *r, fr_resp *w);
void fr_ui_admin_verify(fr_req *r, fr_resp *w);

const fr_route fr_routes_ui[] = {
    {"GET", "/", ui_root, FR_ROUTE_PUBLIC},
    {"GET", "/login", ui_login_get, FR_ROUTE_PUBLIC},
    {"POST", "/login", ui_login_post, FR_ROUTE_PUBLIC | FR_ROUTE_ALONE},
    {"POST", "/logout", ui_logout, 0},
    {"GET", "/caseload", ui_caseload, 0},
    {"GET", "/patients", ui_patients, 0},
    {"POST", "/patients", ui_patient_add, 0},
    {"POST", "/patients/search", ui_patients_search, 0},
    {"GET", "/patients/{id}", ui_patient, 0},
    {"POST", "/cases", ui_case_open, 0},
    {"GET", "/cases/{id}", ui_case, 0},
    {"POST", "/cases/{id}/fire", ui_case_fire, 0},
    {"POST", "/cases/{id}/break-glass", ui_case_break_glass, FR_ROUTE_ACCESS},
    {"POST", "/cases/{id}/network", ui_network_add, 0},
    {"POST", "/tasks/{id}/done", ui_task_done, 0},
    {"GET", "/schedule", fr_ui_schedule, 0},
    {"POST", "/schedule/reassign", fr_ui_schedule_reassign, 0},
    {"POST", "/schedule/calendar", fr_ui_calendar_token, 0},
    {"GET", "/calendar/{token}", fr_ui_calendar, FR_ROUTE_PUBLIC},
    {"GET", "/refer", fr_ui_refer, FR_ROUTE_PUBLIC},
    {"POST", "/refer", fr_ui_refer_post, FR_ROUTE_PUBLIC},
    {"GET", "/triage", fr_ui_triage, 0},
    {"POST", "/triage/{id}", fr_ui_triage_post, 0},
    {"GET", "/admin", fr_ui_admin, 0},
    {"POST", "/admin/plugins/{plugin}", fr_ui_admin_plugin, FR_ROUTE_ALONE},
    {"POST", "/admin/users", fr_ui_admin_user, FR_ROUTE_ALONE},
    {"POST", "/admin/teams", fr_ui_admin_team, 0},
    {"POST", "/admin/teams/join", fr_ui_admin_team_join, 0},
    {"POST", "/admin/users/{id}/active", fr_ui_admin_user_active, 0},
    {"POST", "/admin/events/{id}/retry", fr_ui_admin_retry, 0},
    {"POST", "/admin/audit/verify", fr_ui_admin_verify, FR_ROUTE_ALONE},
    {"GET", "/settings", ui_settings, 0},
    {"POST", "/settings", ui_settings_post, 0},
    {"POST", "/settings/password", ui_settings_password, FR_ROUTE_ALONE},
    {0},
};
