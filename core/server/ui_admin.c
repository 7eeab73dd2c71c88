/* The administration pages: plugins, users and teams, failed events with
 * retry, the audit trail and its verification. The intake and triage pages
 * are in ui_triage.c. */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bus.h"
#include "plugin.h"
#include "record.h"
#include "text.h"

#define T(key) fr_t(r->lang, key)

static void esc_t(fr_req *r, fr_buf *b, const char *key)
{
    fr_buf_esc(b, T(key));
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
        fr_buf_esc(b, fr_text_slot(T("admin.reload.refused"), "{log}",
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
            /* In the user's language when its shape is known (the CLI
             * and the API keep the kernel's words); else the kernel's,
             * naming files by their place in the plugin's folder, not by
             * the server's paths. */
            char problem[FR_ERROR_MAX], text[FR_ERROR_MAX];
            snprintf(problem, sizeof problem, "%s", list[k].problem);
            const char *dir = list[k].dir;
            size_t dn = dir ? strlen(dir) : 0;
            for (char *p = dn ? strstr(problem, dir) : NULL; p; p = strstr(p, dir))
                memmove(p, p + dn + (p[dn] == '/'), strlen(p + dn + (p[dn] == '/')) + 1);
            fr_buf_puts(b, " <span class=\"error\">");
            fr_buf_esc(b, fr_page_known(r, problem, text, sizeof text));
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
        /* disabled meanwhile (another tab): said next to its button */
        if (!enable && err.code == FR_ECONFLICT && w->status == 422)
            w->status = 409;
        return;
    }
    fr_server_request_reload(r->server);
    fr_resp_redirect(w, "/admin?msg=flash.saved");
}

/* The form adding a user and the kernel's rules (fr_user_add); the
 * password checked apart (any character is welcome in it). */
static const fr_page_rule user_rules[] = {
    {"login", NULL, 1, 64, 't'},   {"display_name", "name", 1, FR_TEXT_NAME_MAX, 't'},
    {"role", NULL, 0, 0, 't'},     {"language", NULL, 0, 0, 't'},
    {"capacity", NULL, 0, 0, 't'}, {"password", NULL, 1, FR_PASSWORD_MAX, 'x'},
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
    json_t *problems = fr_page_check(r, user_rules, NUSER_RULES);
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

/* 1 when login is a user's who is deactivated. */
static int user_inactive(fr_req *r, const char *login)
{
    fr_error err = {0};
    json_t *users = NULL, *u;
    size_t i;
    int inactive = 0;
    if (login && fr_user_list(r->site, &users, &err) == 0)
        json_array_foreach(users, i, u)
        {
            if (strcmp(fr_js(u, "login"), login) == 0)
                inactive = fr_ji(u, "active") == 0;
        }
    json_decref(users);
    return inactive;
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
        /* a person of the list deactivated meanwhile (409: to be
         * reactivated first), or a made-up login (422: to be chosen again) */
        if (err.code == FR_ENOTFOUND && strncmp(err.message, "there is no active user", 23) == 0) {
            int inactive = user_inactive(r, fr_req_field(r, "login"));
            admin_refused(r, w, "join",
                          json_pack("{s:s}", "login",
                                    T(inactive ? "admin.user.join_inactive" : "admin.no_user")));
            if (inactive)
                w->status = 409;
        } else
            admin_failed(r, w, "join", &err, rules, 2);
        /* already in the team (another tab): the state changed, not what
         * was chosen */
        if (err.code == FR_ECONFLICT && w->status == 422)
            w->status = 409;
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
    const char *back = fr_req_field(r, "back");
    int from_user_page = back && strcmp(back, "user") == 0;
    fr_error err = {0};
    char *login = NULL;
    int64_t cases = 0, tasks = 0, uid = 0;
    if (!action || (!active && strcmp(action, "deactivate") != 0))
        fr_error_set(&err, FR_EINVAL, "action: deactivate or activate");
    else if (fr_user_login_of(r->site, fr_parse_id(r->params[0]), &login, &err) == 0) {
        /* already so (another tab, another administrator): the kernel
         * would change nothing; said at the user's button (409), not as
         * done */
        fr_error was = {0};
        int rc = fr_user_id(r->site, login, &uid, &was); /* 0: active */
        if ((rc == 0 || rc == FR_ENOTFOUND) && (rc == 0) == active) {
            free(login);
            json_t *problems = json_pack(
                "{s:s}", "_",
                T(active ? "admin.user.already_active" : "admin.user.already_inactive"));
            if (from_user_page)
                fr_ui_admin_user_refused(r, w, fr_parse_id(r->params[0]), "active", problems, 1);
            else
                admin_refused(r, w, "active", problems);
            w->status = 409;
            return;
        }
        fr_user_set_active(r->site, login, active, &cases, &tasks, &err);
    }
    if (err.code) {
        free(login);
        json_t *problems = from_user_page ? fr_page_refused(r, &err, NULL, 0) : NULL;
        if (problems) /* oneself, say: said on the page it was asked from */
            fr_ui_admin_user_refused(r, w, fr_parse_id(r->params[0]), "active", problems, 0);
        else
            admin_failed(r, w, "active", &err, NULL, 0);
        return;
    }
    /* Cases and tasks still theirs: to the échéancier, filtered on them,
     * where they are handed over in bulk. */
    if (!active && (cases > 0 || tasks > 0))
        fr_resp_redirect(w, "/schedule?manager=%s&msg=flash.user.reassign", login);
    else if (from_user_page) /* the user's page, where it was asked */
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
