/* The case page's correction of the opening date: a case registered after
 * the fact (opened in Filrouge today, begun days before) gets the date it
 * really began, with a reason, before its earlier steps are recorded. The
 * form sits under the case's summary; a refusal comes back as the case
 * page with the form open, each problem under its field. The rules are
 * the kernel's (fr_case_set_opened). */
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

void fr_ui_opening_check(fr_req *r, const fr_page_rule *rule, json_t **problems, char on[11])
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
        fr_page_put(problems, rule->name, T("case.opening.future"));
    }
}

static void ui_case_opened_on(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]);
    /* every problem at once, in the user's language, before the kernel */
    json_t *problems = fr_page_check(r, opening_rules + 1, NOPENING_RULES - 1);
    char on[11];
    fr_ui_opening_check(r, &opening_rules[0], &problems, on);
    if (problems || !on[0]) {
        fr_ui_case_refused(r, w, id, "opening", problems);
        return;
    }
    fr_error err = {0};
    if (fr_case_set_opened(r->site, id, on, fr_page_opt(r, "opening_reason"), &err)) {
        fr_ui_case_failed(r, w, id, "opening", &err, opening_rules, NOPENING_RULES);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.saved", id);
}

const fr_route fr_routes_case_opening[] = {
    {"POST", "/cases/{id}/opened-on", ui_case_opened_on, 0},
    {0},
};
