/* The échéancier page: tasks by due date (overdue first) with filters by
 * case manager, assignee and team; bulk reassignment of cases and tasks
 * (a case manager leaving or absent); and the per-user iCalendar feed at a
 * secret URL (the token is stored hashed; the feed shows task titles and
 * case numbers, never patient names, since calendars travel far). */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "record.h"
#include "task.h"

#define T(key) fr_t(r->lang, key)

static void esc_t(fr_req *r, fr_buf *b, const char *key)
{
    fr_buf_esc(b, T(key));
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* The ids of the cases reached by the filter on manager/team (the task
 * list already applied the care-relationship rule). */
static int case_in_filter(fr_req *r, int64_t case_id, const char *manager, const char *team)
{
    if (!manager && !team)
        return 1;
    int64_t n = 0;
    fr_error err = {0};
    fr_store_query_int(r->site->store, &err, &n,
                       "SELECT count(*) FROM cases c LEFT JOIN users u ON u.id = c.case_manager_id"
                       " LEFT JOIN teams t ON t.id = c.team_id WHERE c.id = ?"
                       " AND (? IS NULL OR u.login = ?) AND (? IS NULL OR t.name = ?)",
                       "Ittt"
                       "t",
                       case_id, manager, manager, team, team);
    return n > 0;
}

/* A select of users. `blank`: a "—" first (no filter); for the filters,
 * deactivated users are kept and marked (their cases wait to be handed
 * over), and left out of the select that reassigns to (as `to`), which
 * may have a problem. */
static void select_users(fr_req *r, fr_buf *b, json_t *users, const char *name, const char *key,
                         const char *selected, int blank, const char *problem)
{
    size_t i;
    json_t *u;
    char id[16], label[320];
    snprintf(id, sizeof id, "f-%s", name);
    fr_buf_puts(b, "<div>");
    fr_page_select_begin(b, id, name, T(key), problem, NULL);
    if (blank)
        fr_buf_puts(b, "<option value=\"\">—</option>");
    json_array_foreach(users, i, u)
    {
        int active = fr_ji(u, "active") != 0;
        if (!active && !blank)
            continue;
        snprintf(label, sizeof label, "%s%s%s%s", fr_js(u, "display_name"), active ? "" : " (",
                 active ? "" : T("admin.user.inactive"), active ? "" : ")");
        fr_page_option(b, fr_js(u, "login"), label, selected);
    }
    fr_page_select_end(b, id, problem);
    fr_buf_puts(b, "</div>");
}

/* A filter of the page: from the address, or after a refused
 * reassignment (refused) from the form, which carries them. */
static const char *filter(fr_req *r, const char *name, int refused)
{
    return nonempty(refused ? fr_req_field(r, name) : fr_req_query(r, name));
}

/* Whether the refused form had box `name` (task, case) number id ticked. */
static const char *ticked(fr_req *r, json_t *problems, const char *name, json_int_t id)
{
    for (int i = 0; problems && i < r->nfields; i++)
        if (strcmp(r->fields[i].name, name) == 0 && fr_parse_id(r->fields[i].value) == id)
            return " checked";
    return "";
}

/* The échéancier; after a refused reassignment (problems, 422), the boxes
 * ticked and the person chosen as they were, the problem above the form
 * or under the choice. */
static void schedule_page(fr_req *r, fr_resp *w, json_t *problems)
{
    const char *manager = filter(r, "manager", problems != NULL);
    const char *assignee = filter(r, "assignee", problems != NULL);
    const char *team = filter(r, "team", problems != NULL);
    fr_task_filter f = {0};
    f.assignee = assignee;
    f.limit = 500;
    json_t *tasks = NULL, *users = NULL, *teams = NULL, *cases = NULL;
    fr_error err = {0};
    if (fr_task_list(r->site, &f, &tasks, &err) || fr_user_list(r->site, &users, &err) ||
        fr_team_list(r->site, &teams, &err)) {
        json_decref(tasks);
        json_decref(users);
        fr_page_error(r, w, &err);
        return;
    }
    fr_buf *b = &w->body;
    char d[32];
    if (problems)
        w->status = 422;
    fr_page_begin(r, w, T("schedule.title"));
    fr_page_flash(r, b);
    fr_buf_puts(b, "<form method=\"get\" action=\"/schedule\" class=\"filters\">");
    select_users(r, b, users, "manager", "col.manager", manager, 1, NULL);
    select_users(r, b, users, "assignee", "col.assignee", assignee, 1, NULL);
    fr_buf_puts(b, "<div><label for=\"f-team\">");
    esc_t(r, b, "case.team");
    fr_buf_puts(b, "</label><select id=\"f-team\" name=\"team\"><option value=\"\">—</option>");
    size_t i;
    json_t *v;
    json_array_foreach(teams, i, v)
    {
        fr_buf_printf(b, "<option%s>",
                      team && strcmp(team, fr_js(v, "name")) == 0 ? " selected" : "");
        fr_buf_esc(b, fr_js(v, "name"));
        fr_buf_puts(b, "</option>");
    }
    fr_buf_puts(b, "</select></div><button type=\"submit\">");
    esc_t(r, b, "schedule.filter");
    fr_buf_puts(b, "</button></form>");

    fr_buf_puts(b, "<form method=\"post\" action=\"/schedule/reassign\">");
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    /* the filters, for the page to come back the same after a refusal */
    const char *kept[][2] = {{"manager", manager}, {"assignee", assignee}, {"team", team}};
    for (int k = 0; k < 3; k++)
        if (kept[k][1]) {
            fr_buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", kept[k][0]);
            fr_buf_esc(b, kept[k][1]);
            fr_buf_puts(b, "\">");
        }
    /* the select-all box app.js adds says what it does (data-select-all) */
    fr_buf_puts(b, "<div class=\"scroll\"><table class=\"schedule\" data-select-all=\"");
    esc_t(r, b, "schedule.select_all");
    fr_buf_puts(b, "\"><thead><tr><th scope=\"col\"><span class=\"sr\">");
    esc_t(r, b, "schedule.select");
    fr_buf_puts(b, "</span></th><th scope=\"col\">");
    esc_t(r, b, "col.due");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "col.task");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "col.case");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "col.assignee");
    fr_buf_puts(b, "</th></tr></thead><tbody>");
    int shown = 0;
    json_array_foreach(tasks, i, v)
    {
        int64_t cid = fr_ji(v, "case_id");
        if ((manager || team) && (!cid || !case_in_filter(r, cid, manager, team)))
            continue;
        shown++;
        int late = fr_ji(v, "overdue") != 0;
        fr_buf_printf(
            b,
            "<tr%s><td><input type=\"checkbox\" name=\"task\" value=\"%" JSON_INTEGER_FORMAT
            "\" aria-label=\"%s %" JSON_INTEGER_FORMAT "\"%s></td><td>",
            late ? " class=\"overdue\"" : "", fr_ji(v, "id"), T("col.task"), fr_ji(v, "id"),
            ticked(r, problems, "task", fr_ji(v, "id")));
        fr_buf_esc(b, fr_human_date(fr_js(v, "due_on"), d));
        if (late) {
            fr_buf_puts(b, " <strong class=\"tag late\">");
            esc_t(r, b, "case.overdue");
            fr_buf_puts(b, "</strong>");
        }
        fr_buf_puts(b, "</td><td>");
        fr_buf_esc(b, fr_js(v, "title"));
        fr_buf_puts(b, "</td><td>");
        if (cid)
            fr_buf_printf(b, "<a href=\"/cases/%" PRId64 "\">%" PRId64 "</a>", cid, cid);
        fr_buf_puts(b, "</td><td>");
        fr_buf_esc(b, fr_js(v, "assignee"));
        fr_buf_puts(b, "</td></tr>");
    }
    fr_buf_puts(b, "</tbody></table></div>");
    if (!shown) {
        fr_buf_puts(b, "<p>");
        esc_t(r, b, "schedule.none");
        fr_buf_puts(b, "</p>");
    }
    /* The cases of the chosen case manager, to hand them over in bulk. */
    if (manager) {
        fr_case_filter cf = {0};
        cf.manager = manager;
        cf.status = "open";
        cf.limit = 500;
        if (fr_case_list(r->site, &cf, &cases, &err) == 0 && json_array_size(cases)) {
            fr_buf_puts(b, "<h2>");
            esc_t(r, b, "schedule.cases");
            fr_buf_puts(b, "</h2><ul class=\"checks\">");
            json_array_foreach(cases, i, v)
            {
                fr_buf_printf(b,
                              "<li><label><input type=\"checkbox\" name=\"case\" "
                              "value=\"%" JSON_INTEGER_FORMAT "\"%s> %" JSON_INTEGER_FORMAT " — ",
                              fr_ji(v, "id"), ticked(r, problems, "case", fr_ji(v, "id")),
                              fr_ji(v, "id"));
                fr_buf_esc(b, fr_js(v, "family_name"));
                fr_buf_puts(b, " ");
                fr_buf_esc(b, fr_js(v, "given_names"));
                fr_buf_puts(b, "</label></li>");
            }
            fr_buf_puts(b, "</ul>");
        }
        json_decref(cases);
    }
    fr_buf_puts(b, "<fieldset class=\"inline\"><legend>");
    esc_t(r, b, "schedule.reassign");
    fr_buf_puts(b, "</legend>");
    select_users(r, b, users, "to", "schedule.to", problems ? fr_req_field(r, "to") : NULL, 0,
                 fr_page_problem(problems, "to"));
    fr_buf_puts(b, "<button type=\"submit\" data-confirm=\"");
    esc_t(r, b, "schedule.reassign.confirm");
    fr_buf_puts(b, "\">");
    esc_t(r, b, "schedule.reassignbutton");
    fr_buf_puts(b, "</button></fieldset></form>");

    fr_buf_puts(b, "<section class=\"card\"><h2>");
    esc_t(r, b, "calendar.title");
    fr_buf_puts(b, "</h2><p>");
    esc_t(r, b, "calendar.text");
    fr_buf_puts(b, "</p><form method=\"post\" action=\"/schedule/calendar\">");
    fr_page_csrf(r, b);
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "calendar.new");
    fr_buf_puts(b, "</button></form></section>");
    json_decref(tasks);
    json_decref(users);
    json_decref(teams);
    fr_page_end(r, w);
}

void fr_ui_schedule(fr_req *r, fr_resp *w)
{
    schedule_page(r, w, NULL);
}

void fr_ui_schedule_reassign(fr_req *r, fr_resp *w)
{
    const char *to = fr_page_opt(r, "to");
    fr_error err = {0};
    json_t *problems = NULL;
    int64_t uid = 0, chosen = 0;
    for (int i = 0; i < r->nfields; i++)
        chosen += strcmp(r->fields[i].name, "case") == 0 || strcmp(r->fields[i].name, "task") == 0;
    /* What was typed, checked before anything is changed. */
    if (!chosen)
        fr_page_put(&problems, "_", T("schedule.nothing"));
    if (!to || fr_user_id(r->site, to, &uid, &err) == FR_ENOTFOUND)
        fr_page_put(&problems, "to", T("schedule.to_bad"));
    else if (err.code) {
        fr_page_error(r, w, &err);
        json_decref(problems);
        return;
    }
    if (problems) {
        schedule_page(r, w, problems);
        json_decref(problems);
        return;
    }
    /* All or nothing (fr_task_reassign_all): a refusal (no access, a
     * target who cannot manage cases, a task done meanwhile) leaves every
     * box as it was and comes back with the form. */
    static const fr_page_rule rules[] = {{"to", "manager", 1, 0, 't'}};
    int64_t *cases = calloc((size_t)chosen, sizeof *cases),
            *tasks = calloc((size_t)chosen, sizeof *tasks);
    int ncases = 0, ntasks = 0, rc;
    if (!cases || !tasks) {
        rc = fr_error_set(&err, FR_ENOMEM, "out of memory");
    } else {
        for (int i = 0; i < r->nfields; i++) {
            if (strcmp(r->fields[i].name, "case") == 0)
                cases[ncases++] = fr_parse_id(r->fields[i].value);
            else if (strcmp(r->fields[i].name, "task") == 0)
                tasks[ntasks++] = fr_parse_id(r->fields[i].value);
        }
        rc = fr_task_reassign_all(r->site, cases, ncases, tasks, ntasks, to, &err);
    }
    free(cases);
    free(tasks);
    if (rc) {
        problems = fr_page_refused(r, &err, rules, 1);
        if (!problems && rc == FR_ENOTFOUND)
            fr_page_put(&problems, "_", T("schedule.stale"));
        if (problems)
            schedule_page(r, w, problems);
        else
            fr_page_error(r, w, &err);
        json_decref(problems);
        return;
    }
    fr_server_deliver(r);
    /* back to the list as it was filtered (a user's work handed over in
     * several batches) */
    char query[600] = "";
    size_t len = 0;
    static const char *const filters[] = {"manager", "assignee", "team"};
    for (size_t k = 0; k < 3; k++) {
        const char *v = fr_page_opt(r, filters[k]);
        if (!v)
            continue;
        size_t at = len;
        len += (size_t)snprintf(query + len, sizeof query - len, "%s=", filters[k]);
        /* one byte kept for the '&'; too long: without that filter */
        if (fr_url_encode(v, 0, query, sizeof query - 1, &len)) {
            query[len = at] = '\0';
            continue;
        }
        query[len++] = '&';
        query[len] = '\0';
    }
    fr_resp_redirect(w, "/schedule?%smsg=flash.reassigned", query);
}

void fr_ui_calendar_token(fr_req *r, fr_resp *w)
{
    char token[65], hash[65], now[FR_TIME_LEN];
    fr_token_new(token);
    fr_token_hash(token, hash);
    fr_clock_now(now);
    fr_error err = {0};
    int rc = fr_store_begin(r->site->store, &err);
    if (!rc)
        rc = fr_store_execf(r->site->store, &err,
                            "DELETE FROM web_calendar_tokens WHERE user_id = ?", "I", r->user_id);
    if (!rc)
        rc = fr_store_execf(r->site->store, &err,
                            "INSERT INTO web_calendar_tokens (user_id, token_hash, created_at)"
                            " VALUES (?, ?, ?)",
                            "Itt", r->user_id, hash, now);
    if (!rc)
        rc = fr_audit_appendi(r->site->store, r->login, "calendar-token", "user", r->user_id, NULL,
                              &err);
    if (!rc)
        rc = fr_store_commit(r->site->store, &err);
    else
        fr_store_rollback(r->site->store);
    if (rc) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_buf *b = &w->body;
    fr_page_begin(r, w, T("calendar.title"));
    fr_buf_puts(b, "<p>");
    esc_t(r, b, "calendar.once");
    const char *host = fr_req_header(r, "Host");
    fr_buf_puts(b, "</p><p><code class=\"secret\">http://");
    fr_buf_esc(b, host ? host : "localhost");
    fr_buf_printf(b, "/calendar/%s.ics</code></p><p><a href=\"/schedule\">", token);
    esc_t(r, b, "schedule.title");
    fr_buf_puts(b, "</a></p>");
    fr_page_end(r, w);
}

static void ics_text(fr_buf *b, const char *s)
{
    /* RFC 5545 §3.3.11: escape backslash, semicolon, comma, newline. */
    for (; s && *s; s++) {
        if (*s == '\\' || *s == ';' || *s == ',')
            fr_buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            fr_buf_puts(b, "\\n");
        else if (*s != '\r')
            fr_buf_add(b, s, 1);
    }
}

void fr_ui_calendar(fr_req *r, fr_resp *w)
{
    char token[65], hash[65];
    const char *t = r->params[0];
    size_t n = t ? strlen(t) : 0;
    if (n != 68 || strcmp(t + 64, ".ics") != 0) {
        w->status = 404;
        w->content_type = "text/plain; charset=utf-8";
        fr_buf_puts(&w->body, "not found\n");
        return;
    }
    memcpy(token, t, 64);
    token[64] = '\0';
    fr_token_hash(token, hash);
    char *login = NULL;
    fr_error err = {0};
    if (fr_store_query_text(r->site->store, &err, &login,
                            "SELECT u.login FROM web_calendar_tokens c JOIN users u ON"
                            " u.id = c.user_id WHERE c.token_hash = ? AND u.active = 1",
                            "t", hash) ||
        !login || fr_site_set_actor(r->site, login, &err)) {
        free(login);
        w->status = 404;
        w->content_type = "text/plain; charset=utf-8";
        fr_buf_puts(&w->body, "not found\n");
        return;
    }
    fr_task_filter f = {0};
    f.assignee = login;
    f.limit = 500;
    json_t *tasks = NULL;
    if (fr_task_list(r->site, &f, &tasks, &err)) {
        free(login);
        fr_resp_api_error(r, w, &err);
        return;
    }
    fr_buf *b = &w->body;
    char now[FR_TIME_LEN], stamp[20];
    fr_clock_now(now);
    snprintf(stamp, sizeof stamp, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", now, now + 5, now + 8, now + 11,
             now + 14, now + 17);
    w->content_type = "text/calendar; charset=utf-8";
    fr_buf_puts(b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Filrouge//Echeancier//FR\r\n"
                   "X-WR-CALNAME:Filrouge\r\n");
    size_t i;
    json_t *v;
    json_array_foreach(tasks, i, v)
    {
        const char *due = fr_js(v, "due_on");
        if (strlen(due) != 10)
            continue;
        fr_buf_printf(b,
                      "BEGIN:VEVENT\r\nUID:task-%" JSON_INTEGER_FORMAT "@filrouge\r\n"
                      "DTSTAMP:%s\r\nDTSTART;VALUE=DATE:%.4s%.2s%.2s\r\nSUMMARY:",
                      fr_ji(v, "id"), stamp, due, due + 5, due + 8);
        ics_text(b, fr_js(v, "title"));
        if (fr_ji(v, "case_id"))
            fr_buf_printf(b, " (case %" JSON_INTEGER_FORMAT ")", fr_ji(v, "case_id"));
        fr_buf_puts(b, "\r\nEND:VEVENT\r\n");
    }
    fr_buf_puts(b, "END:VCALENDAR\r\n");
    json_decref(tasks);
    free(login);
}
