/* The case page's corrections of its dates. The opening: a case
 * registered after the fact (opened in Filrouge today, begun days before)
 * gets the date it really began, with a reason, before its earlier steps
 * are recorded; the form sits under the case's summary. The last step (the
 * one that led into the current state): a date mistyped, or a step
 * recorded after the fact with today's date, gets the day it happened;
 * the form sits at that step in the timeline. A refusal comes back as the
 * case page with the form open, each problem under its field. The rules
 * are the kernel's (fr_case_set_opened, fr_case_set_last_step_on). */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "record.h"
#include "text.h"

#define T(key) fr_t(r->lang, key)

static const fr_page_rule opening_rules[] = {
    {"opened_on", "opened", 1, 0, 'd'},
    {"opening_reason", "reason", 1, FR_TEXT_LONG_MAX, 'm'},
};
#define NOPENING_RULES (sizeof opening_rules / sizeof opening_rules[0])

void fr_ui_case_opening(fr_req *r, fr_buf *b, int64_t id, const fr_refusal *refused)
{
    json_t *problems = fr_refusal_problems(refused, "opening");
    int focused = 0;
    fr_buf_printf(b, "<details id=\"opening\"%s><summary>", problems ? " open" : "");
    fr_buf_esc(b, T("case.opening.correct"));
    fr_buf_printf(b,
                  "</summary><form method=\"post\" action=\"/cases/%" PRId64
                  "/opened-on\" class=\"grid\">",
                  id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    fr_buf_puts(b, "<p class=\"muted\">");
    fr_buf_esc(b, T("case.opening.help"));
    fr_buf_puts(b, "</p>");
    fr_page_input on = {.id = "o-on",
                        .name = "opened_on",
                        .label = T("case.opened_on"),
                        .required = 1,
                        .date = 1,
                        .value = fr_refusal_value(r, refused, "opening", "opened_on"),
                        .problem = fr_page_problem(problems, "opened_on")};
    fr_page_field(b, &on, &focused);
    fr_page_input reason = {.id = "o-reason",
                            .name = "opening_reason",
                            .label = T("case.opening.reason"),
                            .required = 1,
                            .maxlength = FR_TEXT_LONG_MAX,
                            .value = fr_refusal_value(r, refused, "opening", "opening_reason"),
                            .problem = fr_page_problem(problems, "opening_reason")};
    fr_page_field(b, &reason, &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    fr_buf_esc(b, T("case.opening.button"));
    fr_buf_puts(b, "</button></form></details>");
}

void fr_ui_past_date_check(fr_req *r, const fr_page_rule *rule, const char *future,
                           json_t **problems, char on[11])
{
    json_t *found = fr_page_check(r, rule, 1);
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    on[0] = '\0';
    if (found) {
        fr_page_put(problems, rule->name, fr_page_problem(found, rule->name));
        json_decref(found);
    } else if (fr_parse_date(fr_page_opt(r, rule->name), on)) {
        on[0] = '\0';
    } else if (strcmp(on, today) > 0) {
        /* the kernel refuses it too; said with the other problems */
        fr_page_put(problems, rule->name, T(future));
    }
}

static void ui_case_opened_on(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]);
    /* every problem at once, in the user's language, before the kernel */
    json_t *problems = fr_page_check(r, opening_rules + 1, NOPENING_RULES - 1);
    char on[11];
    fr_ui_past_date_check(r, &opening_rules[0], "case.opening.future", &problems, on);
    if (problems || !on[0]) {
        fr_ui_case_refused(r, w, id, "opening", problems);
        return;
    }
    fr_error err = {0};
    if (fr_case_set_opened(r->site, id, on, fr_page_opt(r, "opening_reason"), NULL, &err)) {
        fr_ui_case_failed(r, w, id, "opening", &err, opening_rules, NOPENING_RULES);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.saved", id);
}

static const fr_page_rule step_rules[] = {
    {"step_on", "on", 1, 0, 'd'},
    {"step_reason", "reason", 1, FR_TEXT_LONG_MAX, 'm'},
};
#define NSTEP_RULES (sizeof step_rules / sizeof step_rules[0])

void fr_ui_case_last_step(fr_req *r, fr_buf *b, int64_t id, const fr_refusal *refused)
{
    json_t *problems = fr_refusal_problems(refused, "step");
    int focused = 0;
    fr_buf_printf(b, " <details id=\"last-step\"%s><summary>", problems ? " open" : "");
    fr_buf_esc(b, T("case.step_on.correct"));
    fr_buf_printf(b,
                  "</summary><form method=\"post\" action=\"/cases/%" PRId64
                  "/last-step-on\" class=\"grid\">",
                  id);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    fr_buf_puts(b, "<p class=\"muted\">");
    fr_buf_esc(b, T("case.step_on.help"));
    fr_buf_puts(b, "</p>");
    fr_page_input on = {.id = "s-on",
                        .name = "step_on",
                        .label = T("case.step_on.date"),
                        .required = 1,
                        .date = 1,
                        .value = fr_refusal_value(r, refused, "step", "step_on"),
                        .problem = fr_page_problem(problems, "step_on")};
    fr_page_field(b, &on, &focused);
    fr_page_input reason = {.id = "s-reason",
                            .name = "step_reason",
                            .label = T("case.opening.reason"),
                            .required = 1,
                            .maxlength = FR_TEXT_LONG_MAX,
                            .value = fr_refusal_value(r, refused, "step", "step_reason"),
                            .problem = fr_page_problem(problems, "step_reason")};
    fr_page_field(b, &reason, &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    fr_buf_esc(b, T("case.opening.button"));
    fr_buf_puts(b, "</button></form></details>");
}

static void ui_case_last_step_on(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]);
    json_t *problems = fr_page_check(r, step_rules + 1, NSTEP_RULES - 1);
    char on[11];
    fr_ui_past_date_check(r, &step_rules[0], "case.step_on.future", &problems, on);
    if (problems || !on[0]) {
        fr_ui_case_refused(r, w, id, "step", problems);
        return;
    }
    fr_error err = {0};
    if (fr_case_set_last_step_on(r->site, id, on, fr_page_opt(r, "step_reason"), NULL, &err)) {
        fr_ui_case_failed(r, w, id, "step", &err, step_rules, NSTEP_RULES);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.saved", id);
}

const fr_route fr_routes_case_dates[] = {
    {"POST", "/cases/{id}/opened-on", ui_case_opened_on, 0},
    {"POST", "/cases/{id}/last-step-on", ui_case_last_step_on, 0},
    {0},
};
