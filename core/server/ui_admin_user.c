/* The administration's page of one user (/admin/users/{id}): whether they
 * are deactivated, with the button that deactivates or reactivates them
 * (as on /admin), their name, role, language and caseload capacity changed
 * (fr_user_edit), the teams they belong to, each with a button to take
 * them out of it (fr_team_remove_member), and a choice of the others to
 * add them to (fr_team_add_member, as /admin's). Administrators only; a refusal comes back as
 * the page with each problem under its field, what was typed kept. The
 * rules are the kernel's. */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "text.h"

#define T(key) fr_t(r->lang, key)

static const fr_page_rule edit_rules[] = {
    {"display_name", "name", 1, FR_TEXT_NAME_MAX, 't'},
    {"role", NULL, 1, 0, 't'},
    {"language", NULL, 1, 0, 't'},
    {"capacity", NULL, 0, 0, 't'},
};
#define NEDIT_RULES (sizeof edit_rules / sizeof edit_rules[0])

/* The user `id` of the site's list (a new reference), or NULL. */
static json_t *user_row(fr_req *r, int64_t id, fr_error *err)
{
    json_t *users = NULL, *row = NULL, *v;
    size_t i;
    if (fr_user_list(r->site, &users, err))
        return NULL;
    json_array_foreach(users, i, v) if (fr_ji(v, "id") == id) row = json_incref(v);
    json_decref(users);
    if (!row)
        fr_error_set(err, FR_ENOTFOUND, "%s", T("admin.user.none"));
    return row;
}

/* 1 when login is one of a team's members ("a, b, c": logins hold no
 * comma). */
static int member_of(json_t *team, const char *login)
{
    const char *m = fr_js(team, "members");
    size_t n = strlen(login);
    for (const char *p = m; p && *p;) {
        if (strncmp(p, login, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p = strchr(p, ',');
        p = p ? p + 2 : NULL;
    }
    return 0;
}

/* A choice of the teams the user is not in, to add them to one; for a
 * deactivated user (the kernel adds only active ones), why there is none
 * and what to do. */
static void join_form(fr_req *r, fr_buf *b, json_t *u, json_t *teams, const fr_refusal *refused,
                      int *focused)
{
    json_t *problems = fr_refusal_problems(refused, "join"), *v;
    const char *chosen = fr_refusal_value(r, refused, "join", "team"), *login = fr_js(u, "login");
    json_int_t id = fr_ji(u, "id");
    size_t i, others = 0;
    json_array_foreach(teams, i, v) others += !member_of(v, login);
    if (others && fr_ji(u, "active") == 0 && !problems) {
        fr_buf_puts(b, "<p class=\"muted\">");
        fr_buf_esc(b, T("admin.user.join_inactive"));
        fr_buf_puts(b, "</p>");
    }
    if ((!others || fr_ji(u, "active") == 0) && !problems)
        return;
    fr_buf_printf(b,
                  "<form method=\"post\" action=\"/admin/users/%" JSON_INTEGER_FORMAT
                  "/join\" class=\"grid\">",
                  id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    fr_page_select_begin(b, "f-jteam", "team", T("case.team"), fr_page_problem(problems, "team"),
                         focused);
    json_array_foreach(teams, i, v)
    {
        if (!member_of(v, login))
            fr_page_option(b, fr_js(v, "name"), fr_js(v, "name"), chosen);
    }
    fr_page_select_end(b, "f-jteam", fr_page_problem(problems, "team"));
    fr_buf_puts(b, "<button type=\"submit\">");
    fr_buf_esc(b, T("admin.jointeam"));
    fr_buf_puts(b, "</button></form>");
}

static void user_page(fr_req *r, fr_resp *w, int64_t id, const fr_refusal *refused)
{
    fr_error err = {0};
    json_t *u = user_row(r, id, &err), *teams = NULL;
    if (!u) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_buf *b = &w->body;
    int focused = 0;
    if (refused)
        w->status = 422;
    const char *login = fr_js(u, "login");
    char title[200];
    snprintf(title, sizeof title, "%s — %s", T("admin.user.edit"), login);
    fr_page_begin(r, w, title);
    fr_buf_puts(b, "<p><a href=\"/admin\">← ");
    fr_buf_esc(b, T("admin.title"));
    fr_buf_puts(b, "</a></p>");
    fr_page_flash(r, b);
    /* a refused (de)activation asked from this page comes back here */
    fr_page_problems_alert(r, b, fr_refusal_problems(refused, "active"));
    fr_buf_puts(b, "<p>");
    fr_ui_admin_active(r, b, u, 1);
    fr_buf_puts(b, "</p>");

    json_t *problems = fr_refusal_problems(refused, "edit");
    fr_buf_printf(b, "<form method=\"post\" action=\"/admin/users/%" PRId64 "\" class=\"grid\">",
                  id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    const char *typed = fr_refusal_value(r, refused, "edit", "display_name");
    fr_page_input name = {.id = "f-name",
                          .name = "display_name",
                          .label = T("network.name"),
                          .required = 1,
                          .maxlength = FR_TEXT_NAME_MAX,
                          .value = typed ? typed : fr_js(u, "display_name"),
                          .problem = fr_page_problem(problems, "display_name")};
    fr_page_field(b, &name, &focused);
    const char *role = fr_refusal_value(r, refused, "edit", "role");
    fr_page_roles(r, b, "f-role", "role", role ? role : fr_js(u, "role"),
                  fr_page_problem(problems, "role"), &focused);
    const char *lang = fr_refusal_value(r, refused, "edit", "language");
    fr_page_languages(r, b, "f-language", "language", lang ? lang : fr_js(u, "language"),
                      fr_page_problem(problems, "language"), &focused);
    char capacity[24] = "";
    if (json_is_number(json_object_get(u, "capacity")))
        snprintf(capacity, sizeof capacity, "%.0f",
                 json_number_value(json_object_get(u, "capacity")));
    const char *cap = refused ? fr_req_field(r, "capacity") : capacity;
    fr_page_input in = {.id = "f-capacity",
                        .name = "capacity",
                        .label = T("admin.capacity"),
                        .type = "text",
                        .inputmode = "numeric",
                        .value = cap,
                        .problem = fr_page_problem(problems, "capacity")};
    fr_page_field(b, &in, &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    fr_buf_esc(b, T("settings.save"));
    fr_buf_puts(b, "</button></form>");

    /* the teams, each with its way out */
    fr_buf_puts(b, "<section><h2>");
    fr_buf_esc(b, T("admin.user.teams"));
    fr_buf_puts(b, "</h2>");
    fr_page_problems_alert(r, b, fr_refusal_problems(refused, "leave"));
    int n = 0;
    size_t i;
    json_t *v;
    if (fr_team_list(r->site, &teams, &err) == 0)
        json_array_foreach(teams, i, v)
        {
            if (!member_of(v, login))
                continue;
            fr_buf_puts(b, n++ ? "" : "<ul>");
            fr_buf_puts(b, "<li>");
            fr_buf_esc(b, fr_js(v, "name"));
            fr_buf_printf(b,
                          " <form method=\"post\" action=\"/admin/users/%" PRId64
                          "/leave\" class=\"inline\">",
                          id);
            fr_page_csrf(r, b);
            fr_buf_puts(b, "<input type=\"hidden\" name=\"team\" value=\"");
            fr_buf_esc(b, fr_js(v, "name"));
            fr_buf_puts(b, "\"><button type=\"submit\" class=\"secondary\" data-confirm=\"");
            fr_buf_esc(b, T("admin.user.leave.confirm"));
            fr_buf_puts(b, "\">");
            fr_buf_esc(b, T("admin.user.leave"));
            fr_buf_puts(b, "</button></form></li>");
        }
    fr_buf_puts(b, n ? "</ul>" : "<p class=\"muted\">");
    if (!n) {
        fr_buf_esc(b, T("admin.user.noteam"));
        fr_buf_puts(b, "</p>");
    }
    join_form(r, b, u, teams, refused, &focused);
    fr_buf_puts(b, "</section>");
    json_decref(teams);
    json_decref(u);
    fr_page_end(r, w);
}

/* The page again with form's problems: 422 for what was typed, 409
 * (meanwhile) when the user or their teams changed since the page was
 * shown (another tab, another administrator). */
void fr_ui_admin_user_refused(fr_req *r, fr_resp *w, int64_t id, const char *form,
                              json_t *problems, int meanwhile)
{
    fr_refusal refused = {.form = form, .problems = problems};
    user_page(r, w, id, &refused);
    if (meanwhile && w->status == 422)
        w->status = 409;
    json_decref(problems);
}

static void ui_admin_user_page(fr_req *r, fr_resp *w)
{
    if (!fr_ui_require_admin(r, w))
        user_page(r, w, fr_parse_id(r->params[0]), NULL);
}

static void ui_admin_user_edit(fr_req *r, fr_resp *w)
{
    if (fr_ui_require_admin(r, w))
        return;
    int64_t id = fr_parse_id(r->params[0]);
    fr_user_change c = {.display_name = fr_req_field(r, "display_name"),
                        .role = fr_page_opt(r, "role"),
                        .language = fr_page_opt(r, "language")};
    json_t *problems = fr_page_check(r, edit_rules, NEDIT_RULES);
    const char *cap = fr_page_opt(r, "capacity");
    c.has_capacity = 1; /* left empty: none set (0) */
    fr_ui_capacity(r, cap, &c.capacity, &problems);
    if (problems) {
        fr_ui_admin_user_refused(r, w, id, "edit", problems, 0);
        return;
    }
    fr_error err = {0};
    char *login = NULL;
    if (fr_user_login_of(r->site, id, &login, &err) || fr_user_edit(r->site, login, &c, &err)) {
        free(login);
        if ((problems = fr_page_refused(r, &err, edit_rules, NEDIT_RULES)))
            fr_ui_admin_user_refused(r, w, id, "edit", problems, 0);
        else
            fr_page_error(r, w, &err);
        return;
    }
    free(login);
    fr_server_deliver(r);
    fr_resp_redirect(w, "/admin/users/%" PRId64 "?msg=flash.saved", id);
}

static void ui_admin_user_leave(fr_req *r, fr_resp *w)
{
    if (fr_ui_require_admin(r, w))
        return;
    int64_t id = fr_parse_id(r->params[0]);
    fr_error err = {0};
    char *login = NULL;
    json_t *problems = NULL;
    if (fr_user_login_of(r->site, id, &login, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    if (fr_team_remove_member(r->site, fr_req_field(r, "team"), login, &err)) {
        free(login);
        /* already out of it, or the team gone: said on the page (409) */
        if (err.code == FR_ECONFLICT || err.code == FR_ENOTFOUND) {
            char text[FR_ERROR_MAX];
            fr_page_put(&problems, "_", fr_page_worded(r, err.message, text, sizeof text));
            fr_ui_admin_user_refused(r, w, id, "leave", problems, 1);
        } else {
            fr_page_error(r, w, &err);
        }
        return;
    }
    free(login);
    fr_server_deliver(r);
    fr_resp_redirect(w, "/admin/users/%" PRId64 "?msg=flash.saved", id);
}

/* Adds the user to a team (fr_team_add_member, as /admin's form does). */
static void ui_admin_user_join(fr_req *r, fr_resp *w)
{
    static const fr_page_rule rules[] = {{"team", NULL, 1, 0, 't'}};
    if (fr_ui_require_admin(r, w))
        return;
    int64_t id = fr_parse_id(r->params[0]);
    fr_error err = {0};
    char *login = NULL;
    json_t *problems = fr_page_check(r, rules, 1);
    if (!problems && fr_user_login_of(r->site, id, &login, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    if (!problems && fr_team_add_member(r->site, fr_req_field(r, "team"), login, &err) == 0) {
        free(login);
        fr_server_deliver(r);
        fr_resp_redirect(w, "/admin/users/%" PRId64 "?msg=flash.saved", id);
        return;
    }
    free(login);
    /* no team chosen or none of that name (422); joined meanwhile, the
     * user deactivated meanwhile (409) */
    if (problems || (problems = fr_page_refused(r, &err, rules, 1)))
        fr_ui_admin_user_refused(r, w, id, "join", problems, err.code == FR_ECONFLICT);
    else if (err.code == FR_ENOTFOUND) {
        char text[FR_ERROR_MAX];
        fr_page_put(&problems, "_",
                    strncmp(err.message, "there is no active user", 23) == 0
                        ? T("admin.user.join_inactive")
                        : fr_page_worded(r, err.message, text, sizeof text));
        fr_ui_admin_user_refused(r, w, id, "join", problems, 1);
    } else
        fr_page_error(r, w, &err);
}

const fr_route fr_routes_admin_user[] = {
    {"GET", "/admin/users/{id}", ui_admin_user_page, 0},
    {"POST", "/admin/users/{id}", ui_admin_user_edit, 0},
    {"POST", "/admin/users/{id}/leave", ui_admin_user_leave, 0},
    {"POST", "/admin/users/{id}/join", ui_admin_user_join, 0},
    {0},
};
