/* Intervision: the case managers' peer case review (monthly, about several
 * cases, none in particular). The list /intervisions, the form to record
 * one (the case managers with invited/present boxes, other participants,
 * minutes, convergences, divergences) and its decisions, each an action of
 * one of the cases reviewed (fr_intervision_decide: the kernel checks write
 * access to that case). The meeting itself is shown by /meetings/{id}
 * (ui_forms.c), as a concertation is. Also the API calls for intervisions.
 * Case managers and administrators only (the kernel says so too). */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care.h"
#include "record.h"

#define T(key) fr_t(r->lang, key)
#define MAX_PARTICIPANTS 64

static void esc_t(fr_req *r, fr_buf *b, const char *key)
{
    fr_buf_esc(b, T(key));
}

static void ui_intervisions(fr_req *r, fr_resp *w)
{
    json_t *list = NULL;
    fr_error err = {0};
    if (fr_intervision_list(r->site, 100, &list, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_page_begin(r, w, T("intervision.title"));
    fr_buf *b = &w->body;
    fr_buf_puts(b, "<p class=\"muted\">");
    esc_t(r, b, "intervision.explain");
    fr_buf_puts(b, "</p><p><a class=\"button\" href=\"/intervisions/new\">");
    esc_t(r, b, "intervision.new");
    fr_buf_puts(b, "</a></p><div class=\"scroll\"><table><thead><tr>");
    const char *heads[] = {"forms.date", "meeting.place", "meeting.present", "meeting.decisions"};
    for (int k = 0; k < 4; k++) {
        fr_buf_puts(b, "<th scope=\"col\">");
        esc_t(r, b, heads[k]);
        fr_buf_puts(b, "</th>");
    }
    fr_buf_puts(b, "</tr></thead><tbody>");
    size_t i;
    json_t *v;
    char d[32];
    json_array_foreach(list, i, v)
    {
        fr_buf_printf(b, "<tr><td><a href=\"/meetings/%" JSON_INTEGER_FORMAT "\">", fr_ji(v, "id"));
        fr_buf_esc(b, fr_human_date(fr_js(v, "held_on"), d));
        fr_buf_puts(b, "</a></td><td>");
        fr_buf_esc(b, fr_js(v, "place"));
        fr_buf_printf(b,
                      "</td><td>%" JSON_INTEGER_FORMAT "</td><td>%" JSON_INTEGER_FORMAT
                      " (%" JSON_INTEGER_FORMAT " ",
                      fr_ji(v, "present"), fr_ji(v, "decisions"), fr_ji(v, "open_decisions"));
        esc_t(r, b, "intervision.open");
        fr_buf_puts(b, ")</td></tr>");
    }
    fr_buf_puts(b, "</tbody></table></div>");
    if (json_array_size(list) == 0) {
        fr_buf_puts(b, "<p>");
        esc_t(r, b, "intervision.none");
        fr_buf_puts(b, "</p>");
    }
    json_decref(list);
    fr_page_end(r, w);
}

/* The form recording an intervision; again as typed, with its problems,
 * when refused (422). */
static void intervision_new_page(fr_req *r, fr_resp *w, json_t *problems)
{
    json_t *users = NULL;
    fr_error err = {0};
    if (strcmp(r->role, "admin") != 0 && strcmp(r->role, "case_manager") != 0) {
        fr_error_set(&err, FR_EACCESS, "%s", T("intervision.managers_only"));
        fr_page_error(r, w, &err);
        return;
    }
    if (fr_user_list(r->site, &users, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    if (problems)
        w->status = 422;
    fr_page_begin(r, w, T("intervision.new"));
    fr_buf *b = &w->body;
    int focused = 0, row = 0;
    fr_buf_puts(b, "<form method=\"post\" action=\"/intervisions\" class=\"card grid\">");
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    fr_ui_participants_begin(r, b, problems, &focused);
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u)
    {
        const char *role = fr_js(u, "role");
        if (strcmp(role, "case_manager") != 0 && strcmp(role, "admin") != 0)
            continue;
        if (fr_ji(u, "active") == 0 && json_object_get(u, "active"))
            continue;
        fr_ui_participant_row(
            r, b, ++row, "user", fr_js(u, "login"), fr_js(u, "display_name"),
            T(strcmp(role, "admin") == 0 ? "intervision.role_admin" : "intervision.role_cm"),
            problems, &focused);
    }
    fr_ui_participants_end(r, b, problems, &focused);
    json_decref(users);
    fr_page_end(r, w);
}

static void ui_intervision_new(fr_req *r, fr_resp *w)
{
    intervision_new_page(r, w, NULL);
}

static void ui_intervision_add(fr_req *r, fr_resp *w)
{
    fr_meeting_new m = {.kind = "intervision"};
    fr_participant ps[MAX_PARTICIPANTS];
    char held[11];
    fr_error err = {0};
    json_t *problems = fr_ui_meeting_problems(r, 0, "user", held, &m.held_on);
    if (problems) {
        intervision_new_page(r, w, problems);
        json_decref(problems);
        return;
    }
    m.place = fr_page_opt(r, "place");
    m.minutes = fr_page_opt(r, "minutes");
    m.convergences = fr_page_opt(r, "convergences");
    m.divergences = fr_page_opt(r, "divergences");
    for (int i = 0; i < r->nfields && m.nparticipants < MAX_PARTICIPANTS - 3; i++) {
        if (strcmp(r->fields[i].name, "user") != 0 || !*r->fields[i].value)
            continue;
        char rk[160];
        snprintf(rk, sizeof rk, "role-%s", r->fields[i].value);
        fr_participant *p = &ps[m.nparticipants++];
        memset(p, 0, sizeof *p);
        p->user = r->fields[i].value;
        p->role = fr_page_opt(r, rk);
        p->present = fr_page_checked(r, "present", p->user);
    }
    m.nparticipants = fr_ui_participants_others(r, ps, m.nparticipants, MAX_PARTICIPANTS);
    m.participants = ps;
    int64_t id = 0;
    if (fr_meeting_add(r->site, &m, &id, &err)) {
        if (fr_ui_meeting_refusal(r, &problems, &err))
            intervision_new_page(r, w, problems);
        else
            fr_page_error(r, w, &err);
        json_decref(problems);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/meetings/%" PRId64 "?msg=flash.saved", id);
}

static void ui_intervision_decide(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]), aid = 0;
    int64_t case_id = fr_parse_id(fr_req_field(r, "case"));
    char due[11];
    const char *due_p = NULL;
    fr_error err = {0};
    json_t *problems = fr_ui_decision_problems(r, id, due, &due_p);
    if (!case_id) /* the number, or a name from the list: its number */
        fr_page_put(&problems, "case", T("intervision.case_bad"));
    if (!problems && fr_intervision_decide(r->site, id, case_id, fr_page_opt(r, "title"),
                                           fr_page_opt(r, "responsible"), fr_page_opt(r, "user"),
                                           due_p, &aid, &err) == 0) {
        fr_server_deliver(r);
        fr_resp_redirect(w, "/meetings/%" PRId64 "?msg=flash.saved#decisions", id);
        return;
    }
    /* the case typed is one the user may not change: said at the case,
     * what was typed kept (the kernel audited the refusal) */
    if (!problems && err.code == FR_EACCESS)
        fr_page_put(&problems, "case", T("intervision.case_no_access"));
    fr_ui_decision_refused(r, w, id, problems, &err);
}

/* The open cases the user may see, offered as the case number's choices
 * (number, name, workflow): a datalist, so that a number can still be
 * typed. The user's own cases first. */
static void case_choices(fr_req *r, fr_buf *b)
{
    fr_case_filter mine = {.manager = r->login, .status = "open", .limit = 200},
                   all = {.status = "open", .limit = 200};
    json_t *lists[2] = {NULL, NULL};
    fr_error err = {0};
    fr_buf_puts(b, "<datalist id=\"d-cases\">");
    if (fr_case_list(r->site, &mine, &lists[0], &err) == 0 &&
        fr_case_list(r->site, &all, &lists[1], &err) == 0) {
        json_t *seen = json_object();
        for (int l = 0; l < 2; l++) {
            size_t i;
            json_t *c;
            json_array_foreach(lists[l], i, c)
            {
                char id[24];
                snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT, fr_ji(c, "id"));
                if (json_object_get(seen, id))
                    continue;
                json_object_set_new(seen, id, json_true());
                fr_buf_printf(b, "<option value=\"%s\">", id);
                fr_buf_esc(b, fr_js(c, "family_name"));
                fr_buf_puts(b, " ");
                fr_buf_esc(b, fr_js(c, "given_names"));
                fr_buf_puts(b, " — ");
                fr_buf_esc(
                    b, fr_ui_workflow_name(r, fr_js(c, "workflow"), fr_ji(c, "workflow_version")));
                fr_buf_puts(b, "</option>");
            }
        }
        json_decref(seen);
    }
    json_decref(lists[0]);
    json_decref(lists[1]);
    fr_buf_puts(b, "</datalist>");
}

void fr_ui_intervision_decision_form(fr_req *r, fr_buf *b, int64_t meeting_id,
                                     const fr_refusal *refused)
{
    json_t *problems = fr_refusal_problems(refused, "decision");
    int focused = 0;
    fr_buf_printf(
        b, "<form method=\"post\" action=\"/intervisions/%" PRId64 "/decisions\" class=\"grid\">",
        meeting_id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    fr_page_input in = {.id = "d-case",
                        .name = "case",
                        .label = T("intervision.case"),
                        .required = 1,
                        .value = fr_refusal_value(r, refused, "decision", "case"),
                        .problem = fr_page_problem(problems, "case"),
                        .list = "d-cases",
                        .inputmode = "numeric"};
    fr_page_field(b, &in, &focused);
    case_choices(r, b);
    fr_ui_decision_inputs(r, b, refused, &focused);
}

/* ---- the API ---- */

static void api_intervisions(fr_req *r, fr_resp *w)
{
    json_t *list = NULL;
    fr_error err = {0};
    if (fr_intervision_list(r->site, 100, &list, &err))
        fr_resp_api_error(r, w, &err);
    else
        fr_resp_json(w, 200, list);
}

static json_t *body(fr_req *r, fr_resp *w)
{
    json_error_t je;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (json_is_object(j))
        return j;
    json_decref(j);
    fr_resp_api_fail(w, 400, "invalid", "the body must be a JSON object");
    return NULL;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

/* A date of the body (DD/MM/YYYY or ISO) into out; -1 after answering 400. */
static int jdate(fr_resp *w, json_t *b, const char *k, char out[11], const char **res)
{
    const char *v = jstr(b, k);
    *res = NULL;
    if (!v)
        return 0;
    if (fr_parse_date(v, out)) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: '%.40s' is not a date (DD/MM/YYYY or YYYY-MM-DD)", k, v);
        fr_resp_api_fail(w, 400, "invalid", msg);
        return -1;
    }
    *res = out;
    return 0;
}

static void api_intervision_add(fr_req *r, fr_resp *w)
{
    static const char *const fields[] = {
        "s:held_on",     "s:place",        "s:minutes", "s:convergences",
        "s:divergences", "a:participants", NULL};
    static const char *const participant_fields[] = {"s:name", "s:user", "s:role", "b:present",
                                                     NULL};
    json_t *b = body(r, w);
    if (!b)
        return;
    if (fr_api_fields(b, fields, "", w) ||
        fr_api_items(b, "participants", participant_fields, MAX_PARTICIPANTS, w)) {
        json_decref(b);
        return;
    }
    fr_meeting_new m = {.kind = "intervision"};
    fr_participant ps[MAX_PARTICIPANTS];
    char held[11];
    if (jdate(w, b, "held_on", held, &m.held_on)) {
        json_decref(b);
        return;
    }
    m.place = jstr(b, "place");
    m.minutes = jstr(b, "minutes");
    m.convergences = jstr(b, "convergences");
    m.divergences = jstr(b, "divergences");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(b, "participants"), i, p)
    {
        fr_participant *q = &ps[m.nparticipants++];
        memset(q, 0, sizeof *q);
        q->name = jstr(p, "name");
        q->user = jstr(p, "user");
        q->role = jstr(p, "role");
        q->present = !json_is_false(json_object_get(p, "present"));
    }
    m.participants = ps;
    int64_t id = 0;
    fr_error err = {0};
    if (fr_meeting_add(r->site, &m, &id, &err))
        fr_resp_api_error(r, w, &err);
    else {
        fr_server_deliver(r);
        fr_resp_json(w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

static void api_intervision_decide(fr_req *r, fr_resp *w)
{
    static const char *const fields[] = {"i:case_id", "s:title",  "s:responsible",
                                         "s:user",    "s:due_on", NULL};
    json_t *b = body(r, w);
    if (!b)
        return;
    if (fr_api_fields(b, fields, "", w)) {
        json_decref(b);
        return;
    }
    char due[11];
    const char *due_p = NULL;
    int64_t aid = 0;
    fr_error err = {0};
    if (jdate(w, b, "due_on", due, &due_p) == 0) {
        if (fr_intervision_decide(r->site, fr_parse_id(r->params[0]), fr_ji(b, "case_id"),
                                  jstr(b, "title"), jstr(b, "responsible"), jstr(b, "user"), due_p,
                                  &aid, &err))
            fr_resp_api_error(r, w, &err);
        else {
            fr_server_deliver(r);
            fr_resp_json(w, 201, json_pack("{s:I}", "action_id", (json_int_t)aid));
        }
    }
    json_decref(b);
}

const fr_route fr_routes_meetings[] = {
    {"GET", "/intervisions", ui_intervisions, 0},
    {"GET", "/intervisions/new", ui_intervision_new, 0},
    {"POST", "/intervisions", ui_intervision_add, 0},
    {"POST", "/intervisions/{id}/decisions", ui_intervision_decide, 0},
    {"GET", "/api/v1/intervisions", api_intervisions, FR_ROUTE_API},
    {"POST", "/api/v1/intervisions", api_intervision_add, FR_ROUTE_API},
    {"POST", "/api/v1/intervisions/{id}/decisions", api_intervision_decide, FR_ROUTE_API},
    {0},
};
