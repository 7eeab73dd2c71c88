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

/* One correction's form: its name among the case page's refusals, its
 * address under /cases/{id}/, its texts (i18n keys), its inputs (the date
 * and the reason: rules[ON] and rules[REASON], as the kernel names them)
 * and the kernel's function. */
enum { ON, REASON, NINPUTS };

typedef struct date_form {
    const char *form, *path, *element;
    const char *summary, *help, *label, *future;
    const char *on_id, *reason_id;
    fr_page_rule rules[NINPUTS];
    int (*correct)(fr_site *site, int64_t id, const char *on, const char *reason, int *moved,
                   fr_error *err);
} date_form;

static const date_form opening = {
    .form = "opening",
    .path = "opened-on",
    .element = "<details id=\"opening\"",
    .summary = "case.opening.correct",
    .help = "case.opening.help",
    .label = "case.opened_on",
    .future = "case.opening.future",
    .on_id = "o-on",
    .reason_id = "o-reason",
    .rules = {[ON] = {"opened_on", "opened", 1, 0, 'd'},
              [REASON] = {"opening_reason", "reason", 1, FR_TEXT_LONG_MAX, 'm'}},
    .correct = fr_case_set_opened,
};

static const date_form last_step = {
    .form = "step",
    .path = "last-step-on",
    .element = " <details id=\"last-step\"",
    .summary = "case.step_on.correct",
    .help = "case.step_on.help",
    .label = "case.step_on.date",
    .future = "case.step_on.future",
    .on_id = "s-on",
    .reason_id = "s-reason",
    .rules = {[ON] = {"step_on", "on", 1, 0, 'd'},
              [REASON] = {"step_reason", "reason", 1, FR_TEXT_LONG_MAX, 'm'}},
    .correct = fr_case_set_last_step_on,
};

static void date_form_html(fr_req *r, fr_buf *b, const date_form *f, int64_t id,
                           const fr_refusal *refused)
{
    json_t *problems = fr_refusal_problems(refused, f->form);
    int focused = 0;
    fr_buf_printf(b, "%s%s><summary>", f->element, problems ? " open" : "");
    fr_buf_esc(b, T(f->summary));
    fr_buf_printf(
        b, "</summary><form method=\"post\" action=\"/cases/%" PRId64 "/%s\" class=\"grid\">", id,
        f->path);
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    fr_buf_puts(b, "<p class=\"muted\">");
    fr_buf_esc(b, T(f->help));
    fr_buf_puts(b, "</p>");
    fr_page_input on = {.id = f->on_id,
                        .name = f->rules[ON].name,
                        .label = T(f->label),
                        .required = 1,
                        .date = 1,
                        .value = fr_refusal_value(r, refused, f->form, f->rules[ON].name),
                        .problem = fr_page_problem(problems, f->rules[ON].name)};
    fr_page_field(b, &on, &focused);
    fr_page_input reason = {.id = f->reason_id,
                            .name = f->rules[REASON].name,
                            .label = T("case.opening.reason"),
                            .required = 1,
                            .maxlength = FR_TEXT_LONG_MAX,
                            .value = fr_refusal_value(r, refused, f->form, f->rules[REASON].name),
                            .problem = fr_page_problem(problems, f->rules[REASON].name)};
    fr_page_field(b, &reason, &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    fr_buf_esc(b, T("case.opening.button"));
    fr_buf_puts(b, "</button></form></details>");
}

void fr_ui_case_opening(fr_req *r, fr_buf *b, int64_t id, const fr_refusal *refused)
{
    date_form_html(r, b, &opening, id, refused);
}

void fr_ui_case_last_step(fr_req *r, fr_buf *b, int64_t id, const fr_refusal *refused)
{
    date_form_html(r, b, &last_step, id, refused);
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

/* Every problem at once, in the user's language, before the kernel; then
 * the kernel's refusal under its field, or back to the case. */
static void date_form_post(fr_req *r, fr_resp *w, const date_form *f)
{
    int64_t id = fr_parse_id(r->params[0]);
    json_t *problems = fr_page_check(r, &f->rules[REASON], 1);
    char on[11];
    fr_ui_past_date_check(r, &f->rules[ON], f->future, &problems, on);
    if (problems || !on[0]) {
        fr_ui_case_refused(r, w, id, f->form, problems);
        return;
    }
    fr_error err = {0};
    int moved = 0;
    if (f->correct(r->site, id, on, fr_page_opt(r, f->rules[REASON].name), &moved, &err)) {
        fr_ui_case_failed(r, w, id, f->form, &err, f->rules, NINPUTS);
        return;
    }
    fr_server_deliver(r);
    /* saved, and how many of its tasks nobody touched followed the date */
    fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.tasks_moved%s&n=%d", id,
                     moved == 0   ? ".none"
                     : moved == 1 ? ".one"
                                  : "",
                     moved);
}

static void ui_case_opened_on(fr_req *r, fr_resp *w)
{
    date_form_post(r, w, &opening);
}

static void ui_case_last_step_on(fr_req *r, fr_resp *w)
{
    date_form_post(r, w, &last_step);
}

const fr_route fr_routes_case_dates[] = {
    {"POST", "/cases/{id}/opened-on", ui_case_opened_on, 0},
    {"POST", "/cases/{id}/last-step-on", ui_case_last_step_on, 0},
    {0},
};
