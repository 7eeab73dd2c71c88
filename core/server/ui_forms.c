/* Forms and the care tools in the case manager's pages: the forms of the
 * case's plugin with their latest score and band, a form page rendered from
 * its XML definition (fr_form_render, schemas/form-html.xsl) in the user's
 * language with the server's problems next to their fields, drafts saved and
 * resumed, the history with scores, bands and flags, amendments with a
 * reason; the care plan (goals, actions, the person's approval), referrals
 * to specialists, and meetings (the concertation page: participants from
 * the network with presence, minutes, convergences and divergences,
 * decisions that become actions, earlier decisions to follow up).
 *
 * Everything goes through the kernel (form.h, care.h), which checks access
 * and audits; this file only reads fields, calls, and writes escaped HTML.
 * The route table fr_routes_forms is added in router.c. */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care.h"
#include "clock.h"
#include "form.h"
#include "record.h"
#include "text.h"

#define T(key) fr_t(r->lang, key)

static void esc_t(fr_req *r, fr_buf *b, const char *key)
{
    fr_buf_esc(b, T(key));
}

static const char *opt(fr_req *r, const char *name)
{
    const char *v = fr_req_field(r, name);
    return v && *v ? v : NULL;
}

/* A labelled input; id is unique on the page (prefix it). value and
 * problem: what was typed and what is wrong with it, when its form was
 * refused (else NULL); the first problem takes the focus (*focused). */
static void input(fr_req *r, fr_buf *b, const char *id, const char *name, const char *key,
                  const char *type, int required, const char *value, const char *problem,
                  int *focused)
{
    fr_page_input in = {.id = id,
                        .name = name,
                        .label = T(key),
                        .type = type,
                        .required = required,
                        .value = value,
                        .problem = problem};
    fr_page_field(b, &in, focused);
}

/* A date typed day/month/year, as input(). */
static void date_input(fr_req *r, fr_buf *b, const char *id, const char *name, const char *key,
                       int required, const char *value, const char *problem, int *focused)
{
    fr_page_input in = {.id = id,
                        .name = name,
                        .label = T(key),
                        .required = required,
                        .value = value,
                        .problem = problem,
                        .date = 1,
                        .placeholder = T("forms.date_placeholder")};
    fr_page_field(b, &in, focused);
}

/* A date field of the body (DD/MM/YYYY or ISO) into out; NULL when empty;
 * -1 when it is not a date. */
static int field_date(fr_req *r, const char *name, char out[11], const char **res)
{
    const char *v = fr_page_opt(r, name);
    *res = NULL;
    if (!v)
        return 0;
    if (fr_parse_date(v, out))
        return -1;
    *res = out;
    return 0;
}

/* The label of a band in the form's description (lang), else its code. */
static const char *band_label(json_t *desc, const char *score, const char *code)
{
    size_t i, j;
    json_t *sc, *band;
    json_array_foreach(json_object_get(desc, "scores"), i, sc)
    {
        if (strcmp(fr_js(sc, "id"), score) != 0)
            continue;
        json_array_foreach(json_object_get(sc, "bands"), j, band)
        {
            if (strcmp(fr_js(band, "code"), code) == 0 && *fr_js(band, "label"))
                return fr_js(band, "label");
        }
    }
    return code;
}

/* A submission's scores: "score = value Band label"; desc (may be NULL)
 * is the form's description for the bands' labels. */
static void scores_text(fr_buf *b, json_t *sub, json_t *desc)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(sub, "scores"), i, s)
    {
        json_t *v = json_object_get(s, "value");
        fr_buf_puts(b, i ? "; " : "");
        fr_buf_esc(b, fr_js(s, "score"));
        if (json_is_number(v))
            fr_buf_printf(b, " = %g", json_number_value(v));
        if (*fr_js(s, "band")) {
            fr_buf_puts(b, " <span class=\"band\" data-band=\"");
            fr_buf_esc(b, fr_js(s, "band"));
            fr_buf_puts(b, "\">");
            fr_buf_esc(b, band_label(desc, fr_js(s, "score"), fr_js(s, "band")));
            fr_buf_puts(b, "</span>");
        }
    }
}

/* The description of a submission's form version in the user's language
 * (NULL when it cannot be read). */
static json_t *describe_of(fr_req *r, json_t *sub)
{
    const fr_form *f = NULL;
    fr_error err = {0};
    if (fr_forms_get(r->site, fr_js(sub, "form_id"), (int)fr_ji(sub, "form_version"), &f, &err))
        return NULL;
    return fr_form_describe(f, r->lang, "en");
}

static void flags_text(fr_buf *b, json_t *sub)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(sub, "flags"), i, f)
    {
        fr_buf_puts(b, "<span class=\"flag\">⚑ ");
        fr_buf_esc(b, *fr_js(f, "message") ? fr_js(f, "message") : fr_js(f, "flag"));
        fr_buf_puts(b, "</span> ");
    }
}

/* ---- the sections of the case page ---- */

/* The name of the form of item `id` of a list (a goal closed, an action
 * done, a referral answered): kind-id, as its refusal names it. */
static const char *item_form(char out[48], const char *kind, json_int_t id)
{
    snprintf(out, 48, "%s-%" JSON_INTEGER_FORMAT, kind, id);
    return out;
}

/* When the form of item `id` was refused: its problem as a whole, where
 * the item is. */
static void item_problem(fr_buf *b, const fr_refusal *refused, const char *kind, json_int_t id)
{
    char form[48];
    const char *problem =
        fr_page_problem(fr_refusal_problems(refused, item_form(form, kind, id)), "_");
    if (problem) {
        fr_buf_puts(b, "<p class=\"fr-error\" role=\"alert\">");
        fr_buf_esc(b, problem);
        fr_buf_puts(b, "</p>");
    }
}

static void forms_section(fr_req *r, fr_buf *b, int64_t id, json_t *cs)
{
    json_t *forms = NULL, *hist = NULL;
    fr_error err = {0};
    if (fr_forms_list(r->site, r->lang, &forms, &err) ||
        fr_form_history(r->site, id, NULL, 0, &hist, &err)) {
        json_decref(forms);
        return;
    }
    const char *plugin = fr_js(cs, "plugin");
    fr_buf_puts(b, "<section class=\"card\" id=\"forms\"><h2>");
    esc_t(r, b, "forms.title");
    fr_buf_puts(b, "</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">");
    esc_t(r, b, "forms.form");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "forms.latest");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "forms.score");
    fr_buf_puts(b, "</th></tr></thead><tbody>");
    size_t i, j;
    json_t *f, *s;
    int n = 0;
    char d[32];
    json_array_foreach(forms, i, f)
    {
        const char *owner = fr_js(f, "owner");
        if (!json_is_true(json_object_get(f, "loaded")) ||
            (strcmp(owner, plugin) != 0 && strcmp(owner, "site") != 0))
            continue;
        n++;
        fr_buf_printf(b, "<tr><td><a href=\"/cases/%" PRId64 "/forms/", id);
        fr_buf_esc(b, fr_js(f, "id"));
        fr_buf_puts(b, "\">");
        fr_buf_esc(b, *fr_js(f, "title") ? fr_js(f, "title") : fr_js(f, "id"));
        fr_buf_puts(b, "</a></td><td>");
        json_t *latest = NULL;
        int drafts = 0;
        json_array_foreach(hist, j, s)
        {
            if (strcmp(fr_js(s, "form_id"), fr_js(f, "id")) != 0)
                continue;
            if (strcmp(fr_js(s, "status"), "draft") == 0)
                drafts++;
            else if (!latest && json_is_null(json_object_get(s, "superseded_by")))
                latest = s;
        }
        if (latest)
            fr_buf_esc(b, fr_human_date(fr_js(latest, "submitted_at"), d));
        else
            fr_buf_puts(b, "—");
        if (drafts) {
            fr_buf_printf(b, " <span class=\"muted\">(%d ", drafts);
            esc_t(r, b, drafts > 1 ? "forms.drafts_n" : "forms.draft_n");
            fr_buf_puts(b, ")</span>");
        }
        fr_buf_puts(b, "</td><td>");
        if (latest) {
            json_t *desc = describe_of(r, latest);
            scores_text(b, latest, desc);
            json_decref(desc);
            fr_buf_puts(b, " ");
            flags_text(b, latest);
        }
        fr_buf_puts(b, "</td></tr>");
    }
    fr_buf_puts(b, "</tbody></table></div>");
    if (!n) {
        fr_buf_puts(b, "<p class=\"muted\">");
        esc_t(r, b, "forms.none");
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "</section>");
    json_decref(forms);
    json_decref(hist);
}

static void careplan_section(fr_req *r, fr_buf *b, int64_t id, json_t *cs,
                             const fr_refusal *refused)
{
    json_t *plan = NULL;
    fr_error err = {0};
    if (fr_care_plan_get(r->site, id, &plan, &err))
        return;
    char d[32];
    size_t i, j;
    json_t *g, *a;
    json_t *goals = json_object_get(plan, "goals"), *actions = json_object_get(plan, "actions");
    fr_buf_puts(b, "<section class=\"card\" id=\"careplan\"><h2>");
    esc_t(r, b, "care.title");
    fr_buf_puts(b, "</h2>");
    json_t *ap = json_object_get(plan, "approval");
    if (json_is_true(json_object_get(plan, "needs_approval"))) {
        fr_buf_puts(b, "<p class=\"warn\" role=\"status\" id=\"needs-approval\">");
        esc_t(r, b, json_is_object(ap) ? "care.needs_new_approval" : "care.needs_approval");
        fr_buf_puts(b, "</p>");
    }
    if (json_is_object(ap)) {
        fr_buf_puts(b, "<p class=\"approved\">");
        esc_t(r, b, "care.approved_on");
        fr_buf_puts(b, " ");
        fr_buf_esc(b, fr_human_date(fr_js(ap, "approved_on"), d));
        fr_buf_puts(b, " — ");
        fr_buf_esc(b, fr_js(ap, "approved_by"));
        fr_buf_puts(b, " (");
        char key[40];
        snprintf(key, sizeof key, "care.how.%s", fr_js(ap, "how"));
        esc_t(r, b, key);
        fr_buf_puts(b, ")</p>");
    }
    /* actions under each goal, then actions without a goal (goal 0) */
    for (int pass = 0; pass < 2; pass++) {
        json_t *list = pass == 0 ? goals : json_null();
        size_t count = pass == 0 ? json_array_size(goals) : 1;
        for (i = 0; i < count; i++) {
            g = pass == 0 ? json_array_get(list, i) : NULL;
            json_int_t gid = g ? fr_ji(g, "id") : 0;
            if (!g) {
                int any = 0;
                json_array_foreach(actions, j, a) if (fr_ji(a, "goal_id") == 0) any = 1;
                if (!any) {
                    if (json_array_size(goals) == 0) {
                        fr_buf_puts(b, "<p class=\"muted\">");
                        esc_t(r, b, "care.empty");
                        fr_buf_puts(b, "</p>");
                    }
                    continue;
                }
            }
            fr_buf_puts(b, "<div class=\"goal\"><h3>");
            if (g) {
                fr_buf_esc(b, fr_js(g, "title"));
                if (strcmp(fr_js(g, "status"), "open") != 0) {
                    char key[40];
                    snprintf(key, sizeof key, "care.goal.%s", fr_js(g, "status"));
                    fr_buf_puts(b, " <span class=\"muted\">(");
                    esc_t(r, b, key);
                    fr_buf_puts(b, ")</span>");
                }
            } else
                esc_t(r, b, "care.no_goal");
            fr_buf_puts(b, "</h3>");
            if (g)
                item_problem(b, refused, "close-goal", gid);
            if (g && strcmp(fr_js(g, "status"), "open") == 0) {
                fr_buf_printf(b,
                              "<form method=\"post\" action=\"/goals/%" JSON_INTEGER_FORMAT
                              "/close\" class=\"inline\">",
                              gid);
                fr_page_csrf(r, b);
                fr_buf_printf(b, "<input type=\"hidden\" name=\"case\" value=\"%" PRId64 "\">", id);
                fr_buf_puts(b, "<button type=\"submit\" class=\"small\" name=\"status\" "
                               "value=\"achieved\">");
                esc_t(r, b, "care.goal.achieve");
                fr_buf_puts(b, "</button> <button type=\"submit\" class=\"small\" name=\"status\" "
                               "value=\"dropped\">");
                esc_t(r, b, "care.goal.drop");
                fr_buf_puts(b, "</button></form>");
            }
            fr_buf_puts(b, "<ul class=\"tasks\">");
            json_array_foreach(actions, j, a)
            {
                if (fr_ji(a, "goal_id") != gid)
                    continue;
                int open = strcmp(fr_js(a, "status"), "open") == 0;
                fr_buf_printf(b, "<li%s>", open ? "" : " class=\"done\"");
                if (*fr_js(a, "due_on")) {
                    fr_buf_puts(b, "<span class=\"due\">");
                    fr_buf_esc(b, fr_human_date(fr_js(a, "due_on"), d));
                    fr_buf_puts(b, "</span> ");
                }
                fr_buf_esc(b, fr_js(a, "title"));
                fr_buf_puts(b, " <span class=\"muted\">(");
                fr_buf_esc(b, fr_js(a, "responsible"));
                fr_buf_puts(b, ")</span>");
                if (open) {
                    fr_buf_printf(b,
                                  " <form method=\"post\" action=\"/actions/%" JSON_INTEGER_FORMAT
                                  "/done\" class=\"inline\">",
                                  fr_ji(a, "id"));
                    fr_page_csrf(r, b);
                    fr_buf_printf(b,
                                  "<input type=\"hidden\" name=\"case\" value=\"%" PRId64 "\">"
                                  "<button type=\"submit\" class=\"small\">",
                                  id);
                    esc_t(r, b, "task.done");
                    fr_buf_puts(b, "</button></form>");
                } else {
                    fr_buf_puts(b, " ✓");
                }
                item_problem(b, refused, "done", fr_ji(a, "id"));
                fr_buf_puts(b, "</li>");
            }
            fr_buf_puts(b, "</ul></div>");
        }
    }

    /* add a goal */
    json_t *problems = fr_refusal_problems(refused, "goal");
    int focused = 0;
    fr_buf_printf(b, "<details id=\"add-goal\"%s><summary>", problems ? " open" : "");
    esc_t(r, b, "care.goal.add");
    fr_buf_printf(b,
                  "</summary><form method=\"post\" action=\"/cases/%" PRId64
                  "/careplan/goals\" class=\"grid\">",
                  id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    input(r, b, "g-title", "title", "care.goal.title", "text", 1,
          fr_refusal_value(r, refused, "goal", "title"), fr_page_problem(problems, "title"),
          &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "care.goal.addbutton");
    fr_buf_puts(b, "</button></form></details>");

    /* add an action */
    problems = fr_refusal_problems(refused, "action");
    fr_buf_printf(b, "<details id=\"add-action\"%s><summary>", problems ? " open" : "");
    esc_t(r, b, "care.action.add");
    fr_buf_printf(b,
                  "</summary><form method=\"post\" action=\"/cases/%" PRId64
                  "/careplan/actions\" class=\"grid\">",
                  id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    input(r, b, "a-title", "title", "care.action.title", "text", 1,
          fr_refusal_value(r, refused, "action", "title"), fr_page_problem(problems, "title"),
          &focused);
    const char *chosen = fr_refusal_value(r, refused, "action", "goal");
    fr_page_select_begin(b, "a-goal", "goal", T("care.action.goal"),
                         fr_page_problem(problems, "goal"), &focused);
    fr_page_option(b, "", "—", chosen);
    json_array_foreach(goals, i, g)
    {
        if (strcmp(fr_js(g, "status"), "open") != 0)
            continue;
        char gid[24];
        snprintf(gid, sizeof gid, "%" JSON_INTEGER_FORMAT, fr_ji(g, "id"));
        fr_page_option(b, gid, fr_js(g, "title"), chosen);
    }
    fr_page_select_end(b, "a-goal", fr_page_problem(problems, "goal"));
    input(r, b, "a-responsible", "responsible", "care.action.responsible", "text", 0,
          fr_refusal_value(r, refused, "action", "responsible"),
          fr_page_problem(problems, "responsible"), &focused);
    chosen = fr_refusal_value(r, refused, "action", "member");
    fr_page_select_begin(b, "a-member", "member", T("care.action.member"),
                         fr_page_problem(problems, "member"), &focused);
    fr_page_option(b, "", "—", chosen);
    json_array_foreach(json_object_get(cs, "network"), i, g)
    {
        if (json_object_get(g, "active") && !fr_ji(g, "active"))
            continue; /* no longer in the network */
        char mid[24];
        snprintf(mid, sizeof mid, "%" JSON_INTEGER_FORMAT, fr_ji(g, "id"));
        fr_page_option(b, mid, fr_js(g, "name"), chosen);
    }
    fr_page_select_end(b, "a-member", fr_page_problem(problems, "member"));
    input(r, b, "a-user", "user", "care.action.user", "text", 0,
          fr_refusal_value(r, refused, "action", "user"), fr_page_problem(problems, "user"),
          &focused);
    date_input(r, b, "a-due", "due_on", "care.action.due", 0,
               fr_refusal_value(r, refused, "action", "due_on"),
               fr_page_problem(problems, "due_on"), &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "care.action.addbutton");
    fr_buf_puts(b, "</button></form></details>");

    /* the person's approval */
    if (json_array_size(goals) > 0) {
        problems = fr_refusal_problems(refused, "approve");
        fr_buf_printf(b, "<details id=\"approve\"%s><summary>",
                      problems || json_is_true(json_object_get(plan, "needs_approval")) ? " open"
                                                                                        : "");
        esc_t(r, b, "care.approve");
        fr_buf_printf(b,
                      "</summary><form method=\"post\" action=\"/cases/%" PRId64
                      "/careplan/approve\" class=\"grid\">",
                      id);
        fr_page_problems_alert(r, b, problems);
        fr_page_csrf(r, b);
        input(r, b, "ap-by", "by", "care.approve.by", "text", 1,
              fr_refusal_value(r, refused, "approve", "by"), fr_page_problem(problems, "by"),
              &focused);
        const char *hows[] = {"signed", "oral", "representative"};
        chosen = fr_refusal_value(r, refused, "approve", "how");
        fr_page_select_begin(b, "ap-how", "how", T("care.approve.how"),
                             fr_page_problem(problems, "how"), &focused);
        for (int k = 0; k < 3; k++) {
            char key[40];
            snprintf(key, sizeof key, "care.how.%s", hows[k]);
            fr_page_option(b, hows[k], T(key), chosen);
        }
        fr_page_select_end(b, "ap-how", fr_page_problem(problems, "how"));
        date_input(r, b, "ap-on", "on", "care.approve.on", 0,
                   fr_refusal_value(r, refused, "approve", "on"), fr_page_problem(problems, "on"),
                   &focused);
        input(r, b, "ap-note", "note", "case.note", "text", 0,
              fr_refusal_value(r, refused, "approve", "note"), fr_page_problem(problems, "note"),
              &focused);
        fr_buf_puts(b, "<button type=\"submit\">");
        esc_t(r, b, "care.approve.button");
        fr_buf_puts(b, "</button></form></details>");
    }
    fr_buf_puts(b, "</section>");
    json_decref(plan);
}

static void referrals_section(fr_req *r, fr_buf *b, int64_t id, const fr_refusal *refused)
{
    json_t *list = NULL;
    fr_error err = {0};
    if (fr_referral_list(r->site, id, &list, &err))
        return;
    char d[32];
    size_t i;
    json_t *v;
    int focused = 0;
    fr_buf_puts(b, "<section class=\"card\" id=\"referrals\"><h2>");
    esc_t(r, b, "ref.title");
    fr_buf_puts(b, "</h2><ul class=\"tasks\">");
    json_array_foreach(list, i, v)
    {
        int late = json_is_true(json_object_get(v, "late")) || fr_ji(v, "late") == 1;
        int sent = strcmp(fr_js(v, "status"), "sent") == 0;
        fr_buf_printf(b, "<li%s>", late ? " class=\"overdue\"" : "");
        if (late) {
            fr_buf_puts(b, "<strong class=\"late\">");
            esc_t(r, b, "ref.late");
            fr_buf_puts(b, "</strong> ");
        }
        fr_buf_puts(b, "<strong>");
        fr_buf_esc(b, fr_js(v, "specialty"));
        fr_buf_puts(b, "</strong>");
        if (*fr_js(v, "to_name")) {
            fr_buf_puts(b, " → ");
            fr_buf_esc(b, fr_js(v, "to_name"));
        }
        fr_buf_puts(b, " — ");
        fr_buf_esc(b, fr_js(v, "reason"));
        fr_buf_puts(b, " <span class=\"muted\">(");
        fr_buf_esc(b, fr_human_date(fr_js(v, "sent_on"), d));
        if (sent) {
            fr_buf_puts(b, "; ");
            esc_t(r, b, "ref.follow_up");
            fr_buf_puts(b, " ");
            fr_buf_esc(b, fr_human_date(fr_js(v, "follow_up_on"), d));
        }
        fr_buf_puts(b, ")</span>");
        json_int_t rid = fr_ji(v, "id");
        char form[48], aid[32];
        const char *typed = fr_refusal_value(r, refused, item_form(form, "answer", rid), "answer");
        item_problem(b, refused, "answer", rid);
        if (sent) {
            fr_buf_printf(b,
                          "<form method=\"post\" action=\"/referrals/%" JSON_INTEGER_FORMAT
                          "/answer\" class=\"inline answer\">",
                          rid);
            fr_page_csrf(r, b);
            fr_buf_printf(b, "<input type=\"hidden\" name=\"case\" value=\"%" PRId64 "\">", id);
            snprintf(aid, sizeof aid, "ra-%" JSON_INTEGER_FORMAT, rid);
            fr_page_input in = {.id = aid,
                                .name = "answer",
                                .label = T("ref.answer"),
                                .required = 1,
                                .value = typed,
                                .problem =
                                    fr_page_problem(fr_refusal_problems(refused, form), "answer")};
            fr_page_field(b, &in, &focused);
            snprintf(aid, sizeof aid, "rd-%" JSON_INTEGER_FORMAT, rid);
            date_input(r, b, aid, "answered_on", "ref.answered_on", 0,
                       fr_refusal_value(r, refused, form, "answered_on"),
                       fr_page_problem(fr_refusal_problems(refused, form), "answered_on"),
                       &focused);
            fr_buf_puts(b, "<button type=\"submit\" class=\"small\">");
            esc_t(r, b, "ref.answer.button");
            fr_buf_puts(b, "</button></form>");
        } else {
            if (typed) { /* answered meanwhile: what was typed is not lost */
                fr_buf_puts(b, "<p class=\"muted\">");
                esc_t(r, b, "ref.your_answer");
                fr_buf_puts(b, " ");
                fr_buf_esc(b, typed);
                fr_buf_puts(b, "</p>");
            }
            fr_buf_puts(b, "<br>");
            esc_t(r, b, "ref.answered");
            fr_buf_puts(b, " ");
            fr_buf_esc(b, fr_human_date(fr_js(v, "answered_on"), d));
            fr_buf_puts(b, " : ");
            fr_buf_esc(b, fr_js(v, "answer"));
        }
        fr_buf_puts(b, "</li>");
    }
    json_t *problems = fr_refusal_problems(refused, "referral");
    fr_buf_printf(b, "</ul><details id=\"add-referral\"%s><summary>", problems ? " open" : "");
    esc_t(r, b, "ref.add");
    fr_buf_printf(b,
                  "</summary><form method=\"post\" action=\"/cases/%" PRId64
                  "/referrals\" class=\"grid\">",
                  id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    input(r, b, "r-specialty", "specialty", "ref.specialty", "text", 1,
          fr_refusal_value(r, refused, "referral", "specialty"),
          fr_page_problem(problems, "specialty"), &focused);
    input(r, b, "r-to", "to", "ref.to", "text", 0, fr_refusal_value(r, refused, "referral", "to"),
          fr_page_problem(problems, "to"), &focused);
    input(r, b, "r-reason", "reason", "ref.reason", "text", 1,
          fr_refusal_value(r, refused, "referral", "reason"), fr_page_problem(problems, "reason"),
          &focused);
    date_input(r, b, "r-sent", "sent_on", "ref.sent_on", 0,
               fr_refusal_value(r, refused, "referral", "sent_on"),
               fr_page_problem(problems, "sent_on"), &focused);
    const char *days = fr_refusal_value(r, refused, "referral", "follow_days"),
               *days_problem = fr_page_problem(problems, "follow_days");
    fr_buf_puts(b, "<label for=\"r-follow\">");
    esc_t(r, b, "ref.follow_days");
    fr_buf_puts(b, "</label><input id=\"r-follow\" name=\"follow_days\" type=\"number\" min=\"1\" "
                   "max=\"365\"");
    if (days_problem)
        fr_buf_printf(b, " aria-invalid=\"true\" aria-describedby=\"r-follow-problem\"%s",
                      focused ? "" : " autofocus");
    fr_buf_puts(b, " value=\"");
    fr_buf_esc(b, days ? days : "14");
    fr_buf_puts(b, "\">");
    if (days_problem) {
        fr_buf_puts(b, "<p class=\"fr-error\" id=\"r-follow-problem\">");
        fr_buf_esc(b, days_problem);
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "ref.addbutton");
    fr_buf_puts(b, "</button></form></details></section>");
    json_decref(list);
}

static void meetings_section(fr_req *r, fr_buf *b, int64_t id)
{
    json_t *list = NULL;
    fr_error err = {0};
    if (fr_meeting_list(r->site, id, &list, &err))
        return;
    char d[32];
    size_t i;
    json_t *v;
    fr_buf_puts(b, "<section class=\"card\" id=\"meetings\"><h2>");
    esc_t(r, b, "meeting.title");
    fr_buf_puts(b, "</h2><ul>");
    json_array_foreach(list, i, v)
    {
        fr_buf_printf(b, "<li><a href=\"/meetings/%" JSON_INTEGER_FORMAT "\">", fr_ji(v, "id"));
        fr_buf_esc(b, fr_human_date(fr_js(v, "held_on"), d));
        fr_buf_puts(b, "</a> ");
        fr_buf_esc(b, fr_js(v, "kind"));
        if (*fr_js(v, "place")) {
            fr_buf_puts(b, ", ");
            fr_buf_esc(b, fr_js(v, "place"));
        }
        fr_buf_printf(b,
                      " <span class=\"muted\">(%" JSON_INTEGER_FORMAT " %s, %" JSON_INTEGER_FORMAT
                      " %s)</span></li>",
                      fr_ji(v, "present"), T("meeting.present_n"), fr_ji(v, "decisions"),
                      T("meeting.decisions_n"));
    }
    fr_buf_printf(b, "</ul><p><a class=\"button\" href=\"/cases/%" PRId64 "/meetings/new\">", id);
    esc_t(r, b, "meeting.new");
    fr_buf_puts(b, "</a></p></section>");
    json_decref(list);
}

/* Called by the case page (ui_case.c) after its tasks. */
void fr_ui_case_care(fr_req *r, fr_buf *b, int64_t id, json_t *cs, const fr_refusal *refused)
{
    forms_section(r, b, id, cs);
    careplan_section(r, b, id, cs, refused);
    referrals_section(r, b, id, refused);
    meetings_section(r, b, id);
}

/* ---- the form page ---- */

/* Puts value v (stolen) at a flat path into obj: "member[2].member-name"
 * becomes obj.member[1].member-name (rows as arrays of row objects, as the
 * kernel and the renderer take them; missing rows are empty objects); a
 * name sent more than once (checkboxes) becomes an array. */
static void put_path(json_t *obj, const char *path, json_t *v)
{
    const char *br = strchr(path, '[');
    const char *dot = strchr(path, '.');
    if (br && (!dot || br < dot)) {
        char *end = NULL;
        long idx = strtol(br + 1, &end, 10);
        if (idx >= 1 && idx <= 200 && end && end[0] == ']' && end[1] == '.' && end[2] &&
            (size_t)(br - path) < 128) {
            char name[128];
            memcpy(name, path, (size_t)(br - path));
            name[br - path] = '\0';
            json_t *rows = json_object_get(obj, name);
            if (!json_is_array(rows)) {
                rows = json_array();
                json_object_set_new(obj, name, rows);
            }
            while (json_array_size(rows) < (size_t)idx)
                json_array_append_new(rows, json_object());
            json_t *row = json_array_get(rows, (size_t)idx - 1);
            if (json_is_object(row)) {
                put_path(row, end + 2, v);
                return;
            }
        }
    }
    json_t *old = json_object_get(obj, path);
    if (!old)
        json_object_set_new(obj, path, v);
    else if (json_is_array(old))
        json_array_append_new(old, v);
    else
        json_object_set_new(obj, path, json_pack("[O,o]", old, v));
}

/* 1 when the rendered form marked field `name` as a date (a hidden
 * "_date" naming it): its answer is read as DD/MM/YYYY. */
static int is_date_field(fr_req *r, const char *name)
{
    for (int i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].name, "_date") == 0 && strcmp(r->fields[i].value, name) == 0)
            return 1;
    return 0;
}

/* The body's fields (all but those starting with '_') as answers; empty
 * values are left out (not answered). Dates typed DD/MM/YYYY become ISO;
 * those that are not dates are left out and named in *bad (an array of
 * field names, NULL when none). */
static json_t *answers_of(fr_req *r, json_t **bad)
{
    json_t *o = json_object();
    *bad = NULL;
    for (int i = 0; i < r->nfields; i++) {
        const char *k = r->fields[i].name, *v = r->fields[i].value;
        if (!k || k[0] == '_' || !v || !*v)
            continue;
        if (is_date_field(r, k) && !(strlen(v) >= 16 && v[10] == 'T')) {
            /* (an ISO date-time goes to the kernel as it is) */
            char iso[32], trimmed[16];
            /* 5/3/1941 as well as 05/03/1941, a time after it for a
             * date-time (5/3/1941 14:30); spaces around are forgiven */
            int d, m, y, hh = -1, mm = -1, n = 0;
            const char *use = v;
            if (sscanf(v, " %d/%d/%d%n %d:%d%n", &d, &m, &y, &n, &hh, &mm, &n) >= 3 && d > 0 &&
                d < 100 && m > 0 && m < 100 && y >= 1000 && y <= 9999 &&
                v[n + strspn(v + n, " ")] == '\0') {
                snprintf(trimmed, sizeof trimmed, "%02d/%02d/%04d", d, m, y);
                use = trimmed;
            } else {
                hh = mm = -1;
            }
            int bad_time = hh >= 0 && (hh > 23 || mm < 0 || mm > 59);
            if (bad_time || fr_parse_date(use, iso)) {
                if (!*bad)
                    *bad = json_array();
                json_array_append_new(*bad, json_string(k));
                continue;
            }
            if (hh >= 0) /* a date-time: YYYY-MM-DDTHH:MM */
                snprintf(iso + 10, sizeof iso - 10, "T%02d:%02d", hh, mm);
            put_path(o, k, json_string(iso));
            continue;
        }
        put_path(o, k, json_string(v));
    }
    return o;
}

/* The rows array of a repeat group at a flat path ("member",
 * "member[2].contact"); create: make missing rows and the array. */
static json_t *rows_at(json_t *obj, const char *path, int create)
{
    char buf[256];
    if (strlen(path) >= sizeof buf)
        return NULL;
    snprintf(buf, sizeof buf, "%s", path);
    char *p = buf;
    for (;;) {
        char *br = strchr(p, '[');
        if (!br) {
            json_t *rows = json_object_get(obj, p);
            if (!json_is_array(rows) && create && *p) {
                /* the page showed one empty row for a group without rows */
                rows = json_pack("[{}]");
                json_object_set_new(obj, p, rows);
            }
            return json_is_array(rows) ? rows : NULL;
        }
        *br = '\0';
        char *end = NULL;
        long idx = strtol(br + 1, &end, 10);
        if (idx < 1 || idx > 200 || !end || end[0] != ']' || end[1] != '.')
            return NULL;
        json_t *rows = json_object_get(obj, p);
        if (!json_is_array(rows)) {
            if (!create)
                return NULL;
            rows = json_array();
            json_object_set_new(obj, p, rows);
        }
        while (create && json_array_size(rows) < (size_t)idx)
            json_array_append_new(rows, json_object());
        obj = json_array_get(rows, (size_t)idx - 1);
        if (!json_is_object(obj))
            return NULL;
        p = end + 2;
    }
}

/* "addrow:PATH" adds a row to the group at PATH; "delrow:PATH[N]" removes
 * row N. 1 when the action was one of them. */
static int row_action(json_t *values, const char *action)
{
    if (strlen(action) > 200)
        return 0;
    if (strncmp(action, "addrow:", 7) == 0) {
        json_t *rows = rows_at(values, action + 7, 1);
        if (rows && json_array_size(rows) < 200)
            json_array_append_new(rows, json_object());
        return 1;
    }
    if (strncmp(action, "delrow:", 7) == 0) {
        char path[256];
        snprintf(path, sizeof path, "%s", action + 7);
        char *br = strrchr(path, '[');
        char *end = NULL;
        long idx = br ? strtol(br + 1, &end, 10) : 0;
        if (!br || idx < 1 || !end || strcmp(end, "]") != 0)
            return 1;
        *br = '\0';
        json_t *rows = rows_at(values, path, 0);
        if (rows)
            json_array_remove(rows, (size_t)idx - 1);
        return 1;
    }
    return 0;
}

/* The problems for dates that are not DD/MM/YYYY, merged into problems
 * (their own messages about those fields replaced). */
static json_t *date_problems(fr_req *r, json_t *problems, json_t *bad)
{
    json_t *out = json_array();
    size_t i, k;
    json_t *p, *b;
    json_array_foreach(problems, i, p)
    {
        int dup = 0;
        json_array_foreach(bad, k, b) dup |= strcmp(fr_js(p, "field"), json_string_value(b)) == 0;
        if (!dup)
            json_array_append(out, p);
    }
    json_array_foreach(bad, k, b) json_array_append_new(
        out, json_pack("{s:O,s:s}", "field", b, "message", T("forms.bad_date")));
    return out;
}

/* 1 for a form id that may go into a Location header as it is. */
static int safe_id(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

/* The case's header line: the person and the case, with a link back. */
static int case_header(fr_req *r, fr_resp *w, int64_t case_id, const char *title, json_t **keep)
{
    json_t *cs = NULL;
    fr_error err = {0};
    if (fr_case_get(r->site, case_id, &cs, &err)) {
        fr_page_error(r, w, &err);
        return -1;
    }
    json_t *p = json_object_get(cs, "patient");
    char who[300];
    snprintf(who, sizeof who, "%s %s — %s %" PRId64, fr_js(p, "family_name"),
             fr_js(p, "given_names"), T("col.case"), case_id);
    /* title NULL: the page's heading is the person and the case (the
     * rendered form has its own heading) */
    fr_page_begin(r, w, title ? title : who);
    fr_buf *b = &w->body;
    fr_buf_printf(b, "<p class=\"crumbs\"><a href=\"/cases/%" PRId64 "\">← ", case_id);
    fr_buf_esc(b, who);
    fr_buf_puts(b, "</a></p>");
    if (keep)
        *keep = cs;
    else
        json_decref(cs);
    return 0;
}

/* Writes the rendered form with the page's additions: the CSRF token, the
 * draft or amendment being continued, novalidate (the server checks and
 * answers every problem at once), and a "save as draft" button. */
static void form_html(fr_req *r, fr_buf *b, const char *html, int64_t draft_id, int64_t amends,
                      int version)
{
    const char *open = strstr(html, "<form");
    const char *gt = open ? strchr(open, '>') : NULL;
    const char *close = gt ? strstr(gt, "</form>") : NULL;
    const char *button = close ? strstr(gt, "<p><button type=\"submit\">") : NULL;
    if (!close) {
        fr_buf_puts(b, html);
        return;
    }
    fr_buf_add(b, html, (size_t)(gt - html));
    fr_buf_puts(b, " novalidate>");
    fr_page_csrf(r, b);
    fr_buf_printf(b, "<input type=\"hidden\" name=\"_version\" value=\"%d\">", version);
    if (draft_id)
        fr_buf_printf(b, "<input type=\"hidden\" name=\"_draft\" value=\"%" PRId64 "\">", draft_id);
    if (amends) {
        fr_buf_printf(b, "<input type=\"hidden\" name=\"_amends\" value=\"%" PRId64 "\">", amends);
        fr_buf_puts(b, "<div class=\"fr-field\"><label for=\"f-_reason\">");
        esc_t(r, b, "forms.amend.reason");
        fr_buf_puts(b, " *</label><input id=\"f-_reason\" name=\"_reason\" required></div>");
    }
    const char *end = button && button < close ? button : close;
    fr_buf_add(b, gt + 1, (size_t)(end - gt - 1));
    fr_buf_puts(b,
                "<p class=\"buttons\"><button type=\"submit\" name=\"_action\" value=\"final\">");
    esc_t(r, b, amends ? "forms.amend.button" : "forms.final");
    fr_buf_puts(b, "</button>");
    if (!amends) {
        fr_buf_puts(b, " <button type=\"submit\" name=\"_action\" value=\"draft\" "
                       "class=\"secondary\" formnovalidate>");
        esc_t(r, b, "forms.save_draft");
        fr_buf_puts(b, "</button>");
    }
    fr_buf_puts(b, "</p>");
    if (button && button < close) {
        const char *after = strstr(button, "</p>");
        if (after && after < close)
            fr_buf_add(b, after + 4, (size_t)(close - after - 4));
    }
    fr_buf_puts(b, close);
}

static void history_section(fr_req *r, fr_buf *b, int64_t case_id, const char *form_id,
                            json_t *hist)
{
    char d[32];
    size_t i;
    json_t *s;
    int ndrafts = 0;
    json_array_foreach(hist, i, s) if (strcmp(fr_js(s, "status"), "draft") == 0) ndrafts++;
    if (ndrafts) {
        fr_buf_puts(b, "<section class=\"card\" id=\"drafts\"><h2>");
        esc_t(r, b, "forms.drafts");
        fr_buf_puts(b, "</h2><ul>");
        json_array_foreach(hist, i, s)
        {
            if (strcmp(fr_js(s, "status"), "draft") != 0)
                continue;
            fr_buf_printf(b, "<li><a href=\"/cases/%" PRId64 "/forms/", case_id);
            fr_buf_esc(b, form_id);
            fr_buf_printf(b, "?draft=%" JSON_INTEGER_FORMAT "\">", fr_ji(s, "id"));
            esc_t(r, b, "forms.resume");
            fr_buf_puts(b, "</a> — ");
            fr_buf_esc(b, fr_human_date(fr_js(s, "submitted_at"), d));
            fr_buf_puts(b, " <span class=\"muted\">");
            fr_buf_esc(b, fr_js(s, "actor"));
            fr_buf_puts(b, "</span></li>");
        }
        fr_buf_puts(b, "</ul></section>");
    }
    fr_buf_puts(b, "<section class=\"card\" id=\"history\"><h2>");
    esc_t(r, b, "forms.history");
    fr_buf_puts(b, "</h2><div class=\"scroll\"><table><thead><tr>");
    const char *heads[] = {"forms.date",  "forms.by",     "forms.score",
                           "forms.flags", "forms.status", ""};
    for (int k = 0; k < 6; k++) {
        fr_buf_puts(b, "<th scope=\"col\">");
        if (*heads[k])
            esc_t(r, b, heads[k]);
        fr_buf_puts(b, "</th>");
    }
    fr_buf_puts(b, "</tr></thead><tbody>");
    json_array_foreach(hist, i, s)
    {
        if (strcmp(fr_js(s, "status"), "draft") == 0)
            continue;
        int superseded = !json_is_null(json_object_get(s, "superseded_by")) &&
                         json_object_get(s, "superseded_by");
        fr_buf_printf(b, "<tr%s><td>", superseded ? " class=\"muted\"" : "");
        fr_buf_esc(b, fr_human_date(fr_js(s, "submitted_at"), d));
        fr_buf_puts(b, "</td><td>");
        fr_buf_esc(b, fr_js(s, "actor"));
        fr_buf_puts(b, "</td><td>");
        json_t *desc = describe_of(r, s);
        scores_text(b, s, desc);
        json_decref(desc);
        fr_buf_puts(b, "</td><td>");
        flags_text(b, s);
        fr_buf_puts(b, "</td><td>");
        if (superseded)
            esc_t(r, b, "forms.superseded");
        else if (fr_ji(s, "amends")) {
            esc_t(r, b, "forms.amended");
            fr_buf_puts(b, " — ");
            fr_buf_esc(b, fr_js(s, "reason"));
        } else
            esc_t(r, b, "forms.final_status");
        fr_buf_puts(b, "</td><td>");
        if (!superseded) {
            fr_buf_printf(b, "<a href=\"/cases/%" PRId64 "/forms/", case_id);
            fr_buf_esc(b, form_id);
            fr_buf_printf(b, "?amend=%" JSON_INTEGER_FORMAT "\">", fr_ji(s, "id"));
            esc_t(r, b, "forms.amend");
            fr_buf_puts(b, "</a>");
        }
        fr_buf_puts(b, "</td></tr>");
    }
    fr_buf_puts(b, "</tbody></table></div>");
    if (json_array_size(hist) == (size_t)ndrafts) {
        fr_buf_puts(b, "<p class=\"muted\">");
        esc_t(r, b, "forms.no_history");
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "</section>");
}

/* The form page; values and problems come from a refused POST. */
static void form_page(fr_req *r, fr_resp *w, int64_t case_id, const char *form_id, int version,
                      json_t *values, json_t *problems, int64_t draft_id, int64_t amends,
                      const char *summary)
{
    const fr_form *f = NULL;
    fr_error err = {0};
    json_t *hist = NULL, *loaded = NULL;
    char *html = NULL;
    /* resuming a draft or amending: its answers (and its form version) */
    int64_t from = draft_id ? draft_id : amends;
    if (!values && from) {
        if (fr_form_submission_get(r->site, from, &loaded, &err)) {
            fr_page_error(r, w, &err);
            return;
        }
        if (fr_ji(loaded, "case_id") != case_id || strcmp(fr_js(loaded, "form_id"), form_id) != 0 ||
            (draft_id && strcmp(fr_js(loaded, "status"), "draft") != 0)) {
            json_decref(loaded);
            fr_error_set(&err, FR_ENOTFOUND, "%s", T("forms.no_such_submission"));
            fr_page_error(r, w, &err);
            return;
        }
        values = json_object_get(loaded, "data");
        version = (int)fr_ji(loaded, "form_version");
    }
    if (fr_forms_get(r->site, form_id, version, &f, &err) ||
        fr_form_history(r->site, case_id, form_id, 0, &hist, &err) ||
        fr_form_render(r->site, f, r->lang, values, problems, &html, &err)) {
        json_decref(loaded);
        json_decref(hist);
        fr_page_error(r, w, &err);
        return;
    }
    if (case_header(r, w, case_id, NULL, NULL) == 0) {
        fr_buf *b = &w->body;
        fr_page_flash(r, b);
        if (summary) {
            /* "next to the fields" only when a field has a problem; those
             * of the whole form are shown at the form's top */
            int fields = 0;
            size_t i;
            json_t *p;
            json_array_foreach(problems, i, p) fields |= *fr_js(p, "field") != '\0';
            fr_buf_puts(b, "<p class=\"error\" role=\"alert\">");
            esc_t(r, b, fields ? "forms.problems" : "forms.not_saved");
            fr_buf_puts(b, "</p>");
        }
        if (draft_id) {
            fr_buf_puts(b, "<p class=\"muted\">");
            esc_t(r, b, "forms.resuming");
            fr_buf_puts(b, "</p>");
        }
        fr_buf_puts(b, "<section class=\"card form-page\">");
        form_html(r, b, html, draft_id, amends, fr_form_version(f));
        fr_buf_puts(b, "</section>");
        history_section(r, b, case_id, form_id, hist);
        fr_page_end(r, w);
    }
    free(html);
    json_decref(hist);
    json_decref(loaded);
}

static void ui_form_get(fr_req *r, fr_resp *w)
{
    int64_t case_id = fr_parse_id(r->params[0]);
    form_page(r, w, case_id, r->params[1], 0, NULL, NULL, fr_parse_id(fr_req_query(r, "draft")),
              fr_parse_id(fr_req_query(r, "amend")), NULL);
}

/* The submission a form page posts (text: its answers as JSON). */
static void form_submit_of(fr_req *r, const char *text, fr_submit *s)
{
    const char *action = fr_req_field(r, "_action");
    memset(s, 0, sizeof *s);
    s->form_id = r->params[1];
    s->form_version = (int)fr_parse_id(fr_req_field(r, "_version"));
    s->case_id = fr_parse_id(r->params[0]);
    s->data = text;
    s->len = text ? strlen(text) : 0;
    s->draft = action && strcmp(action, "draft") == 0;
    s->draft_id = fr_parse_id(fr_req_field(r, "_draft"));
    s->amends = fr_parse_id(fr_req_field(r, "_amends"));
    s->reason = opt(r, "_reason");
    s->lang = r->lang;
}

static void free_prep(void *p)
{
    fr_submit_prep_free(p);
}

/* On the worker: validates and computes the posted submission
 * (fr_form_submit_prepare) for ui_form_post on the committer; a row added
 * or removed, or a date that is not one, is left to ui_form_post. */
static void ui_form_post_prepare(fr_req *r, fr_resp *w)
{
    (void)w;
    const char *action = fr_req_field(r, "_action");
    json_t *bad = NULL;
    json_t *values = answers_of(r, &bad);
    char *text = NULL;
    if (!bad && !(action && row_action(values, action)) &&
        (text = json_dumps(values, JSON_COMPACT))) {
        fr_submit s;
        form_submit_of(r, text, &s);
        r->prep = fr_form_submit_prepare(r->site, &s);
        r->prep_free = free_prep;
    }
    free(text);
    json_decref(values);
    json_decref(bad);
}

static void ui_form_post(fr_req *r, fr_resp *w)
{
    int64_t case_id = fr_parse_id(r->params[0]);
    const char *action = fr_req_field(r, "_action");
    json_t *bad = NULL;
    json_t *values = answers_of(r, &bad);
    if (action && row_action(values, action)) {
        /* a row added or removed: the same page again, nothing saved */
        form_page(r, w, case_id, r->params[1], (int)fr_parse_id(fr_req_field(r, "_version")),
                  values, NULL, fr_parse_id(fr_req_field(r, "_draft")),
                  fr_parse_id(fr_req_field(r, "_amends")), NULL);
        json_decref(values);
        json_decref(bad);
        return;
    }
    char *text = json_dumps(values, JSON_COMPACT);
    fr_submit s;
    form_submit_of(r, text, &s);
    int64_t id = 0;
    json_t *problems = NULL;
    fr_error err = {0};
    const fr_form *f = NULL;
    json_t *result = NULL;
    if (!text) {
        fr_error_set(&err, FR_ENOMEM, "out of memory");
        fr_page_error(r, w, &err);
    } else if (bad) {
        /* a date that is not one: nothing is saved; every other problem is
         * found too (without storing), so that all come back at once */
        json_t *others = NULL;
        if (fr_forms_get(r->site, s.form_id, s.form_version, &f, &err) == 0)
            fr_form_evaluate(r->site, f, text, s.len, !s.draft, r->lang, &result, &others, &err);
        problems = date_problems(r, others, bad);
        json_decref(others);
        /* the page shows what was typed, next to its error */
        size_t k;
        json_t *b;
        json_array_foreach(bad, k, b)
        {
            const char *typed = fr_req_field(r, json_string_value(b));
            if (typed)
                put_path(values, json_string_value(b), json_string(typed));
        }
        w->status = 422;
        if (!f)
            fr_page_error(r, w, &err);
        else
            form_page(r, w, case_id, s.form_id, s.form_version, values, problems, s.draft_id,
                      s.amends, T("forms.bad_date"));
    } else if (fr_form_submit_prepared(r->site, &s,
                                        r->prep_free == free_prep ? r->prep : NULL, &id,
                                        &problems, &err)) {
        if (err.code == FR_EINVAL) {
            w->status = 422;
            if (!problems || json_array_size(problems) == 0) {
                json_decref(problems);
                problems = json_pack("[{s:s,s:s}]", "field", "", "message", err.message);
            }
            form_page(r, w, case_id, s.form_id, s.form_version, values, problems, s.draft_id,
                      s.amends, err.message);
        } else
            fr_page_error(r, w, &err);
    } else {
        fr_server_deliver(r);
        if (s.draft && safe_id(s.form_id))
            fr_resp_redirect(w, "/cases/%" PRId64 "/forms/%s?draft=%" PRId64 "&msg=flash.draft",
                             case_id, s.form_id, id);
        else if (s.draft)
            fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.draft#forms", case_id);
        else
            fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.submitted#forms", case_id);
    }
    json_decref(problems);
    json_decref(values);
    json_decref(result);
    json_decref(bad);
    free(text);
}

/* ---- care plan, referrals ---- */

static void back_to_case(fr_req *r, fr_resp *w, int64_t case_id, const char *anchor)
{
    fr_server_deliver(r);
    if (case_id)
        fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.saved#%s", case_id, anchor);
    else
        fr_resp_redirect(w, "/caseload?msg=flash.saved");
}

/* The case page again with the refused form (goal, action, referral) as
 * typed and its problems (taken). */
void fr_ui_case_refused(fr_req *r, fr_resp *w, int64_t case_id, const char *form, json_t *problems)
{
    fr_refusal refused = {.form = form, .problems = problems};
    fr_ui_case_page(r, w, case_id, &refused);
    json_decref(problems);
}

/* The kernel refused: the form again when it was about what was typed,
 * else the error page (access, storage…). */
void fr_ui_case_failed(fr_req *r, fr_resp *w, int64_t case_id, const char *form,
                       const fr_error *err, const fr_page_rule *rules, size_t n)
{
    json_t *problems = NULL;
    if (fr_page_refusal(r, &problems, err, rules, n))
        fr_ui_case_refused(r, w, case_id, form, problems);
    else
        fr_page_error(r, w, err);
}

static void meeting_page(fr_req *r, fr_resp *w, int64_t id, const fr_refusal *refused);

/* An item's form (kind-id: a goal closed, an action done, a referral
 * answered) refused: the page it was on (the meeting's when it names one,
 * else the case's) again, with its problems (taken); 409 when the item
 * changed meanwhile (closed, done, answered by someone else). */
static void item_refused(fr_req *r, fr_resp *w, const char *kind, int64_t id, json_t *problems,
                         int conflict)
{
    char form[48];
    fr_refusal refused = {.form = item_form(form, kind, id), .problems = problems};
    int64_t meeting = fr_parse_id(fr_req_field(r, "meeting"));
    if (meeting)
        meeting_page(r, w, meeting, &refused);
    else
        fr_ui_case_page(r, w, fr_parse_id(fr_req_field(r, "case")), &refused);
    if (conflict && w->status == 422)
        w->status = 409;
    json_decref(problems);
}

/* 1 when an ISO date is after today. */
static int in_future(const char *iso)
{
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    return iso && strcmp(iso, today) > 0;
}

/* The care plan's, referrals' and decisions' inputs and the kernel's rules
 * for them (care.c, care_meeting.c). */
static const fr_page_rule goal_rules[] = {{"title", NULL, 1, FR_TEXT_TITLE_MAX, 't'}};
static const fr_page_rule approve_rules[] = {
    {"by", NULL, 1, FR_TEXT_NAME_MAX, 't'},
    {"how", NULL, 0, 0, 't'},
    {"on", NULL, 0, 0, 'd'},
    {"note", NULL, 0, FR_TEXT_LONG_MAX, 'm'},
};
static const fr_page_rule answer_rules[] = {{"answer", NULL, 1, FR_TEXT_LONG_MAX, 'm'},
                                            {"answered_on", "on", 0, 0, 'd'}};
/* an action's; a decision's too (no goal, no member; an intervision's
 * names its case) */
static const fr_page_rule action_rules[] = {
    {"case", NULL, 0, 0, 't'},    {"title", NULL, 1, FR_TEXT_TITLE_MAX, 't'},
    {"goal", NULL, 0, 0, 't'},    {"responsible", NULL, 0, 0, 't'},
    {"member", NULL, 0, 0, 't'},  {"user", NULL, 0, 0, 't'},
    {"due_on", "due", 0, 0, 'd'},
};
static const fr_page_rule referral_rules[] = {
    {"specialty", NULL, 1, FR_TEXT_NAME_MAX, 't'},
    {"to", NULL, 0, FR_TEXT_NAME_MAX, 't'},
    {"reason", NULL, 1, FR_TEXT_LONG_MAX, 'm'},
    {"follow_days", "follow-up", 0, 0, 't'},
    {"sent_on", "sent", 0, 0, 'd'},
};
#define NRULES(rules) (sizeof rules / sizeof rules[0])

static void ui_goal_add(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]), gid = 0;
    fr_error err = {0};
    json_t *problems = fr_page_check(r, goal_rules, NRULES(goal_rules));
    if (problems)
        fr_ui_case_refused(r, w, id, "goal", problems);
    else if (fr_care_goal_add(r->site, id, fr_page_opt(r, "title"), &gid, &err))
        fr_ui_case_failed(r, w, id, "goal", &err, goal_rules, NRULES(goal_rules));
    else
        back_to_case(r, w, id, "careplan");
}

static void ui_goal_close(fr_req *r, fr_resp *w)
{
    int64_t gid = fr_parse_id(r->params[0]);
    fr_error err = {0};
    if (fr_care_goal_close(r->site, gid, opt(r, "status"), &err) == 0)
        back_to_case(r, w, fr_parse_id(fr_req_field(r, "case")), "careplan");
    else if (err.code == FR_EINVAL || err.code == FR_ECONFLICT)
        item_refused(r, w, "close-goal", gid,
                     json_pack("{s:s}", "_",
                               T(err.code == FR_EINVAL ? "care.goal.status_bad"
                                                       : "care.goal.already_closed")),
                     err.code == FR_ECONFLICT);
    else
        fr_page_error(r, w, &err);
}

/* What is wrong with an action's or a decision's inputs, every problem at
 * once (NULL: nothing), a due date before the opening of case `case_id`
 * (0: not checked here) too; the due date, when given, in due (ISO). */
static json_t *action_problems(fr_req *r, int64_t case_id, char due[11], const char **due_p)
{
    json_t *problems = fr_page_check(r, action_rules, NRULES(action_rules));
    if (!fr_page_opt(r, "responsible") && !fr_page_opt(r, "user") &&
        !fr_parse_id(fr_req_field(r, "member")))
        /* the kernel's words are the command line's (--user, --member) */
        fr_page_put(&problems, "responsible", T("care.action.who"));
    if (field_date(r, "due_on", due, due_p))
        *due_p = NULL; /* said by fr_page_check */
    fr_page_after_opening(r, &problems, case_id, *due_p, action_rules, NRULES(action_rules),
                          "due_on");
    return problems;
}

static void ui_action_add(fr_req *r, fr_resp *w)
{
    fr_action_new a = {0};
    char due[11];
    a.case_id = fr_parse_id(r->params[0]);
    a.goal_id = fr_parse_id(fr_req_field(r, "goal"));
    a.title = fr_page_opt(r, "title");
    a.responsible = fr_page_opt(r, "responsible");
    a.user = fr_page_opt(r, "user");
    a.member_id = fr_parse_id(fr_req_field(r, "member"));
    json_t *problems = action_problems(r, a.case_id, due, &a.due_on);
    if (problems) {
        fr_ui_case_refused(r, w, a.case_id, "action", problems);
        return;
    }
    int64_t aid = 0;
    fr_error err = {0};
    if (fr_care_action_add(r->site, &a, &aid, &err))
        fr_ui_case_failed(r, w, a.case_id, "action", &err, action_rules, NRULES(action_rules));
    else
        back_to_case(r, w, a.case_id, "careplan");
}

static void ui_action_done(fr_req *r, fr_resp *w)
{
    int64_t aid = fr_parse_id(r->params[0]);
    fr_error err = {0};
    if (fr_care_action_done(r->site, aid, &err)) {
        if (err.code == FR_ECONFLICT)
            item_refused(r, w, "done", aid, json_pack("{s:s}", "_", T("care.action.already_done")),
                         1);
        else
            fr_page_error(r, w, &err);
    } else {
        const char *m = fr_req_field(r, "meeting");
        if (fr_parse_id(m)) {
            fr_server_deliver(r);
            fr_resp_redirect(w, "/meetings/%" PRId64 "?msg=flash.saved", fr_parse_id(m));
        } else
            back_to_case(r, w, fr_parse_id(fr_req_field(r, "case")), "careplan");
    }
}

static void ui_approve(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]);
    char on[11];
    const char *on_p = NULL;
    json_t *problems = fr_page_check(r, approve_rules, NRULES(approve_rules));
    if (field_date(r, "on", on, &on_p) == 0 && in_future(on_p))
        fr_page_put(&problems, "on", T("care.approve.on_future"));
    fr_page_after_opening(r, &problems, id, on_p, approve_rules, NRULES(approve_rules), "on");
    if (problems) {
        fr_ui_case_refused(r, w, id, "approve", problems);
        return;
    }
    fr_error err = {0};
    if (fr_care_plan_approve(r->site, id, fr_page_opt(r, "by"), opt(r, "how"), on_p,
                             fr_page_opt(r, "note"), &err) == 0)
        back_to_case(r, w, id, "careplan");
    else if (err.code == FR_EREFUSED) /* no open goal */
        fr_ui_case_refused(r, w, id, "approve", json_pack("{s:s}", "_", T("care.approve.no_goal")));
    else
        fr_ui_case_failed(r, w, id, "approve", &err, approve_rules, NRULES(approve_rules));
}

static void ui_referral_add(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]), rid = 0;
    char follow[24], sent[11];
    const char *days = fr_page_opt(r, "follow_days"), *sent_p = NULL;
    int64_t n = days ? fr_parse_id(days) : 14;
    json_t *problems = fr_page_check(r, referral_rules, NRULES(referral_rules));
    if (n < 1 || n > 365) {
        /* was: anything else silently became 14 days */
        if (!problems)
            problems = json_object();
        json_object_set_new(problems, "follow_days", json_string(T("ref.follow_days_bad")));
    }
    if (field_date(r, "sent_on", sent, &sent_p) == 0 && in_future(sent_p))
        fr_page_put(&problems, "sent_on", T("ref.sent_future"));
    fr_page_after_opening(r, &problems, id, sent_p, referral_rules, NRULES(referral_rules),
                          "sent_on");
    if (problems) {
        fr_ui_case_refused(r, w, id, "referral", problems);
        return;
    }
    snprintf(follow, sizeof follow, "P%" PRId64 "D", n);
    fr_error err = {0};
    if (fr_referral_add(r->site, id, fr_page_opt(r, "specialty"), fr_page_opt(r, "to"),
                        fr_page_opt(r, "reason"), follow, sent_p, &rid, &err))
        fr_ui_case_failed(r, w, id, "referral", &err, referral_rules, NRULES(referral_rules));
    else
        back_to_case(r, w, id, "referrals");
}

static void ui_referral_answer(fr_req *r, fr_resp *w)
{
    int64_t rid = fr_parse_id(r->params[0]);
    fr_error err = {0};
    char on[11];
    const char *on_p = NULL;
    json_t *problems = fr_page_check(r, answer_rules, NRULES(answer_rules));
    if (field_date(r, "answered_on", on, &on_p) == 0 && in_future(on_p))
        fr_page_put(&problems, "answered_on", T("ref.answered_future"));
    /* before it was sent: said with the rest */
    else if (on_p && fr_referral_check_answered_on(r->site, rid, on_p, &err) == FR_EINVAL)
        fr_page_refusal(r, &problems, &err, answer_rules, NRULES(answer_rules));
    err = (fr_error){0};
    if (!problems && fr_referral_answer(r->site, rid, fr_page_opt(r, "answer"), on_p, &err) == 0) {
        back_to_case(r, w, fr_parse_id(fr_req_field(r, "case")), "referrals");
        return;
    }
    if (err.code == FR_ECONFLICT)
        fr_page_put(&problems, "_", T("ref.already_answered"));
    if (problems || fr_page_refusal(r, &problems, &err, answer_rules, NRULES(answer_rules)))
        item_refused(r, w, "answer", rid, problems, err.code == FR_ECONFLICT);
    else
        fr_page_error(r, w, &err);
}

/* ---- meetings ---- */

/* The rules of a meeting's own inputs (care_meeting.c, fr_meeting_add). */
static const fr_page_rule meeting_rules[] = {
    {"held_on", "held", 0, 0, 'd'},   {"place", NULL, 0, FR_TEXT_NAME_MAX, 't'},
    {"minutes", NULL, 0, 0, 'm'},     {"convergences", NULL, 0, 0, 'm'},
    {"divergences", NULL, 0, 0, 'm'},
};

json_t *fr_ui_meeting_problems(fr_req *r, int64_t case_id, const char *who, char held[11],
                               const char **held_p)
{
    json_t *problems = fr_page_check(r, meeting_rules, NRULES(meeting_rules));
    if (field_date(r, "held_on", held, held_p) == 0 && in_future(*held_p))
        fr_page_put(&problems, "held_on", T("meeting.held_future"));
    fr_page_after_opening(r, &problems, case_id, *held_p, meeting_rules, NRULES(meeting_rules),
                          "held_on");
    /* the kernel wants a role for everyone (the young person, mother…) */
    char name[160], role[160];
    for (int i = 0; i < r->nfields; i++) {
        if (strcmp(r->fields[i].name, who) != 0 || !*r->fields[i].value)
            continue;
        snprintf(role, sizeof role, "role-%s", r->fields[i].value);
        if (!fr_page_opt(r, role))
            fr_page_put(&problems, role, T("meeting.role_needed"));
    }
    for (int k = 1; k <= 3; k++) {
        snprintf(name, sizeof name, "other%d", k);
        snprintf(role, sizeof role, "other%d-role", k);
        if (fr_page_opt(r, name) && !fr_page_opt(r, role))
            fr_page_put(&problems, role, T("meeting.role_needed"));
        else if (!fr_page_opt(r, name) && fr_page_opt(r, role)) /* was: dropped unsaid */
            fr_page_put(&problems, name, T("meeting.other_name"));
    }
    return problems;
}

int fr_ui_meeting_refusal(fr_req *r, json_t **problems, const fr_error *err)
{
    return fr_page_refusal(r, problems, err, meeting_rules, NRULES(meeting_rules));
}

void fr_ui_participants_begin(fr_req *r, fr_buf *b, json_t *problems, int *focused)
{
    const char *held = problems ? fr_req_field(r, "held_on") : NULL;
    date_input(r, b, "m-held", "held_on", "meeting.held_on", 1, held,
               fr_page_problem(problems, "held_on"), focused);
    input(r, b, "m-place", "place", "meeting.place", "text", 0,
          problems ? fr_req_field(r, "place") : NULL, fr_page_problem(problems, "place"), focused);
    fr_buf_puts(b, "<fieldset><legend>");
    esc_t(r, b, "meeting.participants");
    fr_buf_puts(b, "</legend><div class=\"scroll\"><table><thead><tr><th scope=\"col\">");
    esc_t(r, b, "network.name");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "network.role");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "meeting.invited");
    fr_buf_puts(b, "</th><th scope=\"col\">");
    esc_t(r, b, "meeting.present");
    fr_buf_puts(b, "</th></tr></thead><tbody>");
}

/* A box of a participant's row: ticked at first, then as sent. */
/* ticked: at first when `first`, as sent when the form was refused */
static void participant_box(fr_req *r, fr_buf *b, int row, const char *kind, const char *name,
                            const char *key, const char *label_key, json_t *problems, int first)
{
    fr_buf_printf(b, "<td><input type=\"checkbox\" id=\"p%d-%s\" name=\"%s\" value=\"", row, kind,
                  name);
    fr_buf_esc(b, key);
    fr_buf_printf(b, "\"%s><label for=\"p%d-%s\" class=\"sr\">",
                  problems ? fr_page_checked(r, name, key) ? " checked" : ""
                  : first  ? " checked"
                           : "",
                  row, kind);
    esc_t(r, b, label_key);
    fr_buf_puts(b, "</label></td>");
}

void fr_ui_participant_row(fr_req *r, fr_buf *b, int row, const char *who, const char *key,
                           const char *name, const char *role, json_t *problems, int *focused)
{
    char id[24], field[160];
    snprintf(id, sizeof id, "p%d-role", row);
    snprintf(field, sizeof field, "role-%s", key);
    fr_buf_puts(b, "<tr><td>");
    fr_buf_esc(b, name);
    fr_buf_puts(b, "</td><td>");
    fr_page_input in = {.id = id,
                        .name = field,
                        .label = T("network.role"),
                        .label_sr = 1,
                        .value = problems ? fr_req_field(r, field) : role,
                        .problem = fr_page_problem(problems, field)};
    fr_page_field(b, &in, focused);
    fr_buf_puts(b, "</td>");
    /* invited at first; present only when the person says so (a box
     * ticked in advance records someone who was not there) */
    participant_box(r, b, row, "inv", who, key, "meeting.invited", problems, 1);
    participant_box(r, b, row, "pres", "present", key, "meeting.present", problems, 0);
    fr_buf_puts(b, "</tr>");
}

/* A text of the meeting (minutes…), as typed when refused. */
static void meeting_text(fr_req *r, fr_buf *b, const char *id, const char *name, const char *key,
                         json_t *problems, int *focused)
{
    fr_page_input in = {.id = id,
                        .name = name,
                        .label = T(key),
                        .rows = 3,
                        .value = problems ? fr_req_field(r, name) : NULL,
                        .problem = fr_page_problem(problems, name)};
    fr_page_field(b, &in, focused);
}

void fr_ui_participants_end(fr_req *r, fr_buf *b, json_t *problems, int *focused)
{
    fr_buf_puts(b, "</tbody></table></div>");
    fr_buf_puts(b, "<p class=\"muted\">");
    esc_t(r, b, "meeting.others");
    fr_buf_puts(b, "</p>");
    for (int k = 1; k <= 3; k++) {
        char id[16], name[16];
        snprintf(id, sizeof id, "o%d-name", k);
        snprintf(name, sizeof name, "other%d", k);
        input(r, b, id, name, "network.name", "text", 0, problems ? fr_req_field(r, name) : NULL,
              fr_page_problem(problems, name), focused);
        snprintf(id, sizeof id, "o%d-role", k);
        snprintf(name, sizeof name, "other%d-role", k);
        input(r, b, id, name, "network.role", "text", 0, problems ? fr_req_field(r, name) : NULL,
              fr_page_problem(problems, name), focused);
    }
    fr_buf_puts(b, "</fieldset>");
    meeting_text(r, b, "m-minutes", "minutes", "meeting.minutes", problems, focused);
    meeting_text(r, b, "m-conv", "convergences", "meeting.convergences", problems, focused);
    meeting_text(r, b, "m-div", "divergences", "meeting.divergences", problems, focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "meeting.save");
    fr_buf_puts(b, "</button></form>");
}

int fr_ui_participants_others(fr_req *r, fr_participant *ps, int n, int max)
{
    /* other participants present: name and role */
    for (int k = 1; k <= 3 && n < max; k++) {
        char name[16], role[24];
        snprintf(name, sizeof name, "other%d", k);
        snprintf(role, sizeof role, "other%d-role", k);
        if (!fr_page_opt(r, name))
            continue;
        fr_participant *p = &ps[n++];
        memset(p, 0, sizeof *p);
        p->name = fr_page_opt(r, name);
        p->role = fr_page_opt(r, role);
        p->present = 1;
    }
    return n;
}

/* The form recording a concertation; again as typed, with its problems,
 * when refused (422). */
static void meeting_new_page(fr_req *r, fr_resp *w, int64_t id, json_t *problems)
{
    json_t *cs = NULL;
    if (problems)
        w->status = 422;
    if (case_header(r, w, id, T("meeting.new"), &cs))
        return;
    fr_buf *b = &w->body;
    json_t *net = json_object_get(cs, "network");
    int focused = 0, row = 0;
    fr_buf_printf(
        b, "<form method=\"post\" action=\"/cases/%" PRId64 "/meetings\" class=\"card grid\">", id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    fr_ui_participants_begin(r, b, problems, &focused);
    size_t i;
    json_t *m;
    json_array_foreach(net, i, m)
    {
        if (*fr_js(m, "ended_on"))
            continue;
        char key[24];
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, fr_ji(m, "id"));
        fr_ui_participant_row(r, b, ++row, "member", key, fr_js(m, "name"),
                              *fr_js(m, "role") ? fr_js(m, "role") : fr_js(m, "relation"), problems,
                              &focused);
    }
    fr_ui_participants_end(r, b, problems, &focused);
    json_decref(cs);
    fr_page_end(r, w);
}

static void ui_meeting_new(fr_req *r, fr_resp *w)
{
    meeting_new_page(r, w, fr_parse_id(r->params[0]), NULL);
}

static void ui_meeting_add(fr_req *r, fr_resp *w)
{
    fr_meeting_new m = {0};
    fr_participant ps[48];
    char held[11];
    m.case_id = fr_parse_id(r->params[0]);
    m.kind = "concertation";
    json_t *problems = fr_ui_meeting_problems(r, m.case_id, "member", held, &m.held_on);
    if (problems) {
        meeting_new_page(r, w, m.case_id, problems);
        json_decref(problems);
        return;
    }
    m.place = fr_page_opt(r, "place");
    m.minutes = fr_page_opt(r, "minutes");
    m.convergences = fr_page_opt(r, "convergences");
    m.divergences = fr_page_opt(r, "divergences");
    for (int i = 0; i < r->nfields && m.nparticipants < 40; i++) {
        if (strcmp(r->fields[i].name, "member") != 0)
            continue;
        int64_t mid = fr_parse_id(r->fields[i].value);
        if (!mid)
            continue;
        fr_participant *p = &ps[m.nparticipants++];
        memset(p, 0, sizeof *p);
        p->member_id = mid;
        char rk[40];
        snprintf(rk, sizeof rk, "role-%" PRId64, mid);
        p->role = fr_page_opt(r, rk);
        p->present = fr_page_checked(r, "present", r->fields[i].value);
    }
    m.nparticipants = fr_ui_participants_others(r, ps, m.nparticipants, 48);
    m.participants = ps;
    int64_t id = 0;
    fr_error err = {0};
    if (fr_meeting_add(r->site, &m, &id, &err)) {
        if (fr_ui_meeting_refusal(r, &problems, &err))
            meeting_new_page(r, w, m.case_id, problems);
        else
            fr_page_error(r, w, &err);
        json_decref(problems);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/meetings/%" PRId64 "?msg=flash.saved", id);
}

/* A meeting: its participants, texts and decisions, with the form of a
 * decision; refused: the form (a decision, an action done) to show again
 * (422). */
static void meeting_page(fr_req *r, fr_resp *w, int64_t id, const fr_refusal *refused)
{
    json_t *m = NULL;
    fr_error err = {0};
    if (fr_meeting_get(r->site, id, &m, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    if (refused)
        w->status = 422;
    int64_t case_id = fr_ji(m, "case_id");
    char d[32], title[120];
    snprintf(title, sizeof title, "%s — %s",
             T(strcmp(fr_js(m, "kind"), "intervision") == 0 ? "intervision.one" : "meeting.one"),
             fr_human_date(fr_js(m, "held_on"), d));
    if (case_id) {
        if (case_header(r, w, case_id, title, NULL)) {
            json_decref(m);
            return;
        }
    } else
        fr_page_begin(r, w, title);
    fr_buf *b = &w->body;
    fr_page_flash(r, b);
    fr_buf_puts(b, "<section class=\"card\"><dl class=\"facts\"><dt>");
    esc_t(r, b, "forms.date");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_human_date(fr_js(m, "held_on"), d));
    fr_buf_puts(b, "</dd><dt>");
    esc_t(r, b, "meeting.place");
    fr_buf_puts(b, "</dt><dd>");
    fr_buf_esc(b, fr_js(m, "place"));
    fr_buf_puts(b, "</dd></dl><h2>");
    esc_t(r, b, "meeting.participants");
    fr_buf_puts(b, "</h2><ul>");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(m, "participants"), i, v)
    {
        fr_buf_puts(b, "<li>");
        fr_buf_esc(b, fr_js(v, "name"));
        if (*fr_js(v, "role")) {
            fr_buf_puts(b, " (");
            fr_buf_esc(b, fr_js(v, "role"));
            fr_buf_puts(b, ")");
        }
        fr_buf_puts(b, " — ");
        esc_t(r, b, fr_ji(v, "present") ? "meeting.was_present" : "meeting.was_absent");
        fr_buf_puts(b, "</li>");
    }
    fr_buf_puts(b, "</ul>");
    const char *texts[][2] = {{"minutes", "meeting.minutes"},
                              {"convergences", "meeting.convergences"},
                              {"divergences", "meeting.divergences"}};
    for (int k = 0; k < 3; k++) {
        if (!*fr_js(m, texts[k][0]))
            continue;
        fr_buf_puts(b, "<h3>");
        esc_t(r, b, texts[k][1]);
        fr_buf_puts(b, "</h3><p class=\"prewrap\">");
        fr_buf_esc(b, fr_js(m, texts[k][0]));
        fr_buf_puts(b, "</p>");
    }
    fr_buf_puts(b, "</section>");

    for (int k = 0; k < 2; k++) {
        const char *key = k == 0 ? "decisions" : "to_follow_up";
        json_t *list = json_object_get(m, key);
        if (k == 1 && json_array_size(list) == 0)
            continue;
        fr_buf_printf(b, "<section class=\"card\" id=\"%s\"><h2>",
                      k == 0 ? "decisions" : "follow-up");
        esc_t(r, b, k == 0 ? "meeting.decisions" : "meeting.follow_up");
        fr_buf_puts(b, "</h2><ul class=\"tasks\">");
        json_array_foreach(list, i, v)
        {
            int open = strcmp(fr_js(v, "status"), "open") == 0;
            fr_buf_puts(b, "<li>");
            if (*fr_js(v, "due_on")) {
                fr_buf_puts(b, "<span class=\"due\">");
                fr_buf_esc(b, fr_human_date(fr_js(v, "due_on"), d));
                fr_buf_puts(b, "</span> ");
            }
            if (!case_id && fr_ji(v, "case_id")) { /* intervision: the case reviewed */
                fr_buf_printf(b, "<a href=\"/cases/%" JSON_INTEGER_FORMAT "\">",
                              fr_ji(v, "case_id"));
                esc_t(r, b, "col.case");
                fr_buf_printf(b, " %" JSON_INTEGER_FORMAT "</a> : ", fr_ji(v, "case_id"));
            }
            fr_buf_esc(b, fr_js(v, "title"));
            fr_buf_puts(b, " <span class=\"muted\">(");
            fr_buf_esc(b, fr_js(v, "responsible"));
            fr_buf_puts(b, ")</span>");
            if (open) {
                fr_buf_printf(b,
                              " <form method=\"post\" action=\"/actions/%" JSON_INTEGER_FORMAT
                              "/done\" class=\"inline\">",
                              fr_ji(v, "id"));
                fr_page_csrf(r, b);
                fr_buf_printf(b,
                              "<input type=\"hidden\" name=\"meeting\" value=\"%" PRId64 "\">"
                              "<button type=\"submit\" class=\"small\">",
                              id);
                esc_t(r, b, "task.done");
                fr_buf_puts(b, "</button></form>");
            } else
                fr_buf_puts(b, " ✓");
            item_problem(b, refused, "done", fr_ji(v, "id"));
            fr_buf_puts(b, "</li>");
        }
        fr_buf_puts(b, "</ul>");
        if (k == 0 && case_id) {
            fr_buf_printf(b,
                          "<form method=\"post\" action=\"/meetings/%" PRId64
                          "/decisions\" class=\"grid\">",
                          id);
            fr_page_problems_alert(r, b, fr_refusal_problems(refused, "decision"));
            fr_page_csrf(r, b);
            fr_ui_decision_inputs(r, b, refused, NULL);
        } else if (k == 0) {
            fr_ui_intervision_decision_form(r, b, id, refused);
        }
        fr_buf_puts(b, "</section>");
    }
    json_decref(m);
    fr_page_end(r, w);
}

static void ui_meeting(fr_req *r, fr_resp *w)
{
    meeting_page(r, w, fr_parse_id(r->params[0]), NULL);
}

void fr_ui_decision_inputs(fr_req *r, fr_buf *b, const fr_refusal *refused, int *focused)
{
    json_t *problems = fr_refusal_problems(refused, "decision");
    int first = 0;
    if (!focused)
        focused = &first;
    input(r, b, "d-title", "title", "meeting.decision", "text", 1,
          fr_refusal_value(r, refused, "decision", "title"), fr_page_problem(problems, "title"),
          focused);
    input(r, b, "d-responsible", "responsible", "care.action.responsible", "text", 0,
          fr_refusal_value(r, refused, "decision", "responsible"),
          fr_page_problem(problems, "responsible"), focused);
    input(r, b, "d-user", "user", "care.action.user", "text", 0,
          fr_refusal_value(r, refused, "decision", "user"), fr_page_problem(problems, "user"),
          focused);
    date_input(r, b, "d-due", "due_on", "meeting.deadline", 0,
               fr_refusal_value(r, refused, "decision", "due_on"),
               fr_page_problem(problems, "due_on"), focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    esc_t(r, b, "meeting.decide");
    fr_buf_puts(b, "</button></form>");
}

json_t *fr_ui_decision_problems(fr_req *r, int64_t meeting_id, char due[11], const char **due_p)
{
    int64_t case_id = 0;
    fr_error err = {0};
    fr_meeting_case(r->site, meeting_id, &case_id, &err); /* else said by the kernel */
    return action_problems(r, case_id, due, due_p);
}

void fr_ui_decision_refused(fr_req *r, fr_resp *w, int64_t meeting_id, json_t *problems,
                            const fr_error *err)
{
    if (!problems && !fr_page_refusal(r, &problems, err, action_rules, NRULES(action_rules))) {
        fr_page_error(r, w, err);
        return;
    }
    fr_refusal refused = {.form = "decision", .problems = problems};
    meeting_page(r, w, meeting_id, &refused);
    json_decref(problems);
}

static void ui_meeting_decide(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]), aid = 0;
    char due[11];
    const char *due_p = NULL;
    json_t *problems = fr_ui_decision_problems(r, id, due, &due_p);
    fr_error err = {0};
    if (problems ||
        fr_meeting_decide(r->site, id, fr_page_opt(r, "title"), fr_page_opt(r, "responsible"),
                          fr_page_opt(r, "user"), due_p, &aid, &err)) {
        fr_ui_decision_refused(r, w, id, problems, &err);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/meetings/%" PRId64 "?msg=flash.saved#decisions", id);
}

const fr_route fr_routes_forms[] = {
    {"GET", "/cases/{id}/forms/{form}", ui_form_get, 0},
    {"POST", "/cases/{id}/forms/{form}", ui_form_post, 0},
    {"POST", "/cases/{id}/careplan/goals", ui_goal_add, 0},
    {"POST", "/cases/{id}/careplan/actions", ui_action_add, 0},
    {"POST", "/cases/{id}/careplan/approve", ui_approve, 0},
    {"POST", "/goals/{id}/close", ui_goal_close, 0},
    {"POST", "/actions/{id}/done", ui_action_done, 0},
    {"POST", "/cases/{id}/referrals", ui_referral_add, 0},
    {"POST", "/referrals/{id}/answer", ui_referral_answer, 0},
    {"GET", "/cases/{id}/meetings/new", ui_meeting_new, 0},
    {"POST", "/cases/{id}/meetings", ui_meeting_add, 0},
    {"GET", "/meetings/{id}", ui_meeting, 0},
    {"POST", "/meetings/{id}/decisions", ui_meeting_decide, 0},
    {0},
};

const fr_prepare fr_prepares_forms[] = {
    {ui_form_post, ui_form_post_prepare},
    {0},
};
