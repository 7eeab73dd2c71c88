/* The small forms of the pages (a network member, a goal, an action, a
 * referral) checked before the kernel is asked, so that every problem is
 * found at once and said under its field in the user's language; and the
 * kernel's own refusals ("FIELD: what is wrong; what to do", in English,
 * worded for the command line) put under their field, in the user's
 * language when their shape is known, else in the kernel's words (those
 * forms, and the settings'). The rules stay the kernel's (text.h, which
 * checks again): this file only runs them early and words their answers.
 * Writing the inputs is the pages' (fr_page_field). */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "access.h"
#include "text.h"

#define T(key) fr_t(r->lang, key)

/* The kernel's messages whose shape is known (a distinctive part of the
 * text) and what they become for people. The web tests send each of them,
 * so that a kernel message reworded shows up there (it would then be shown
 * in the kernel's words, under the right field still). The first shape
 * found wins: a longer one goes before a shorter one it contains. A text
 * with "{date}" takes the date the message gives in parentheses. */
static const struct {
    const char *shape, *key;
} known[] = {
    {"is not a phone number", "field.bad_phone"},
    {"is not an e-mail address", "field.bad_email"},
    {"holds a control character", "field.control"},
    {"holds an invisible character", "field.bidi"},
    {"there is no active user", "field.no_user"},
    {"is not a date", "forms.bad_date"},
    {"write dates as", "forms.bad_date"},
    {"the member's name is required", "field.required"},
    {"a goal needs a title", "field.required"},
    {"say what is to be done", "field.required"},
    {"to whom (dietitian", "field.required"},
    {"why the person is referred", "field.required"},
    {"a formal member needs a role", "network.need_role"},
    {"an informal member needs a relation", "network.need_relation"},
    {"is before since", "network.until_before"},
    {"say who does it", "care.action.who"},
    {"use at least 8 characters", "settings.password_short"},
    {"use fr, nl, de or en", "settings.language_bad"},
    /* administration, tokens, triage, échéancier; the care plan's
     * approval, opening a case, meetings' decisions. One wording per
     * shape, whichever page it comes back to. */
    {"is not a valid login", "admin.login_bad"},
    {"' already exists", "admin.exists"},
    {"a display name is required", "field.required"},
    {"is not a role", "admin.role_bad"},
    {"cannot take your own administrator role", "admin.self_demote"},
    {" open case(s); hand them over", "admin.role_has_cases"},
    {"' is not in team '", "admin.not_member"},
    {"is outside 0 to", "admin.capacity_bad"},
    {"a team needs a name", "field.required"},
    {"there is no team", "admin.no_team"},
    {"is already in team", "admin.already_member"},
    {"cannot deactivate yourself", "admin.self_deactivate"},
    {"give the token a name", "field.required"},
    {"live tokens; revoke", "tokens.too_many"},
    {"there is no case", "triage.no_case"},
    {"are already submission", "triage.already_submitted"},
    {": accept it first (filrouge intake accept)", "triage.not_accepted"},
    {"a case manager must have the", "case.open.manager_role"},
    {"signed, oral or representative", "care.approve.how_bad"},
    {"there is no workflow", "case.open.no_workflow"},
    /* dates out of a case's time */
    {"is before the case's opening", "case.before_opening"},
    {"is before the case's last step", "case.before_last_step"},
    {"is before the case's latest step", "case.before_latest_step"},
    {"is before the step before it", "case.step_on.before_previous"},
    {"is after what was recorded since that step", "case.step_on.after_fact"},
    {"is before the referral was sent", "ref.answered_before_sent"},
    {"is after the case's first", "case.opening.after_first"},
    {"is before the patient's birth", "case.opening.before_birth"},
    {"that is not in the future", "case.opening.future"},
    {"years ahead (today", "task.due_too_far"}, /* its {n}: the kernel's years */
    {"is more than a year ago", "task.due_too_old"},
    /* disabling a plugin that is not enabled (another tab); the named
     * shapes below are looked for first */
    {" is not enabled on this site", "admin.plugin.not_enabled"},
    /* a plugin's standing problem on /admin (found when the site opened) */
    {"but not found in the plugin search path", "admin.plugin.not_found"},
    /* error pages (fr_page_error) */
    {"has no care relationship with case", "access.no_relationship"},
};

/* Known shapes (looked for before those above) whose text says "{name}":
 * what the message has between `from` and `to` (a plugin's id, a list of
 * them). Enabling and disabling a plugin (plugin.c), next to its button,
 * and the problems /admin lists under a plugin. */
static const struct {
    const char *shape, *key, *from, *to;
} named[] = {
    {"which is not installed (not found", "admin.plugin.needs_missing", "requires plugin '", "'"},
    {"which is not enabled on this site", "admin.plugin.needs_enabled", "enable ", " first"},
    {"requires plugins that are not enabled", "admin.plugin.needs_enabled", "enable ", " first"},
    {"is installed: install a version of", "admin.plugin.needs_version", "requires plugin '", "'"},
    {"(enabled on this site): disable", "admin.plugin.needed_by", "is required by ", " (enabled"},
    /* standing problems of /admin's list, found when the site opened */
    {"which cannot be loaded (see its", "admin.plugin.needs_broken", "requires plugin '", "'"},
    {"is part of a requirement cycle (", "admin.plugin.cycle", "cycle (", "): none"},
    /* enabling a plugin whose <requires-form> names a form nobody has */
    {"its workflows require forms that no one provides", "admin.plugin.form_nobody",
     "requires form '", "'"},
};

/* The kernel's "there is no …" messages, which start with no field's
 * name, and the field they are about. */
static const struct {
    const char *start, *field;
} missing[] = {
    {"there is no active user", "user"},
    {"there is no team ", "team"},
    {"there is no workflow", "workflow"},
    {"there is no case ", "case"},
};

/* text with its "{date}" replaced by the date the kernel's message gives
 * in parentheses after `at` ("… (20/11/2026); …"), into out. */
static const char *with_date(const char *text, const char *at, char *out, size_t size)
{
    const char *slot = strstr(text, "{date}"), *open = strchr(at, '(');
    size_t n = open ? strcspn(open + 1, ")") : 0;
    if (!slot || !open || n > 10)
        return text;
    snprintf(out, size, "%.*s%.*s%s", (int)(slot - text), text, (int)n, open + 1, slot + 6);
    return out;
}

/* text with its "{name}" replaced by what the message has between from
 * and to, into out; NULL when the message has no such part. */
static const char *with_name(const char *text, const char *message, const char *from,
                             const char *to, char *out, size_t size)
{
    const char *start = strstr(message, from);
    const char *end = start ? strstr(start + strlen(from), to) : NULL;
    if (!strstr(text, "{name}") || !end)
        return NULL;
    char name[FR_ERROR_MAX];
    start += strlen(from);
    snprintf(name, sizeof name, "%.*s", (int)(end - start), start);
    return fr_text_slot(text, "{name}", name, out, size);
}

/* text with its "{n}" replaced by the number the kernel's message gives
 * just before `at` ("… more than 10 years ahead …"), into out: the
 * kernel's bound (FR_TASK_DUE_YEARS) is written once, in the kernel. */
static const char *with_number(const char *text, const char *message, const char *at, char *out,
                               size_t size)
{
    const char *p = at;
    while (p > message && p[-1] == ' ')
        p--;
    const char *end = p;
    while (p > message && p[-1] >= '0' && p[-1] <= '9')
        p--;
    if (p == end || !strstr(text, "{n}"))
        return text;
    return fr_text_n(text, atol(p), out, size);
}

/* The input a kernel message is about: the field it starts with ("phone:
 * …"), as the rules name it; NULL when it names none of them. */
static const fr_page_rule *rule_of(const char *message, const fr_page_rule *rules, size_t n)
{
    size_t len = strcspn(message, ": ");
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        if (strncmp(message, missing[i].start, strlen(missing[i].start)) == 0) {
            message = missing[i].field;
            len = strlen(message);
        }
    if (message[len] != ':' && message[len] != '\0')
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *k = rules[i].kernel ? rules[i].kernel : rules[i].name;
        if (strlen(k) == len && strncmp(k, message, len) == 0)
            return &rules[i];
    }
    return NULL;
}

const char *fr_page_known(fr_req *r, const char *message, char *out, size_t size)
{
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        const char *text =
            strstr(message, named[i].shape)
                ? with_name(T(named[i].key), message, named[i].from, named[i].to, out, size)
                : NULL;
        if (text)
            return text;
    }
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *at = strstr(message, known[i].shape);
        if (at) {
            const char *text = with_date(T(known[i].key), at, out, size);
            return text != T(known[i].key) ? text : with_number(text, message, at, out, size);
        }
    }
    return message;
}

const char *fr_page_worded(fr_req *r, const char *message, char *out, size_t size)
{
    const char *at_most = strstr(message, ": at most ");
    if (at_most && strstr(at_most, " characters"))
        return fr_text_n(T("field.toolong"), atol(at_most + 10), out, size);
    const char *known_text = fr_page_known(r, message, out, size);
    if (known_text != message)
        return known_text;
    size_t len = strcspn(message, ": ");
    if (message[len] == ':' && message[len + 1] == ' ')
        return message + len + 2;
    return message;
}

void fr_page_put(json_t **problems, const char *name, const char *text)
{
    if (!*problems)
        *problems = json_object();
    /* the first problem of a field is the one to fix first */
    if (!json_object_get(*problems, name))
        json_object_set_new(*problems, name, json_string(text));
}

int fr_page_refusal(fr_req *r, json_t **problems, const fr_error *err, const fr_page_rule *rules,
                    size_t n)
{
    const fr_page_rule *rule = rule_of(err->message, rules, n);
    if (err->code != FR_EINVAL &&
        !((err->code == FR_ENOTFOUND || err->code == FR_ECONFLICT) && rule))
        return 0;
    char text[FR_ERROR_MAX];
    fr_page_put(problems, rule ? rule->name : "_",
                fr_page_worded(r, err->message, text, sizeof text));
    return 1;
}

json_t *fr_page_refused(fr_req *r, const fr_error *err, const fr_page_rule *rules, size_t n)
{
    json_t *problems = NULL;
    char text[FR_ERROR_MAX];
    if (!fr_page_refusal(r, &problems, err, rules, n) &&
        (err->code == FR_ECONFLICT || err->code == FR_EREFUSED || err->code == FR_EVERSION))
        fr_page_put(&problems, "_", fr_page_worded(r, err->message, text, sizeof text));
    return problems;
}

int fr_page_checked(fr_req *r, const char *name, const char *value)
{
    for (int i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].name, name) == 0 && strcmp(r->fields[i].value, value) == 0)
            return 1;
    return 0;
}

const char *fr_page_opt(fr_req *r, const char *name)
{
    const char *v = fr_req_field(r, name);
    return fr_text_blank(v) ? NULL : v;
}

json_t *fr_page_check(fr_req *r, const fr_page_rule *rules, size_t n)
{
    json_t *problems = NULL;
    for (size_t i = 0; i < n; i++) {
        const fr_page_rule *u = &rules[i];
        if (u->kind == 'x')
            continue;
        const char *v = fr_req_field(r, u->name), *kernel = u->kernel ? u->kernel : u->name;
        if (fr_text_blank(v)) {
            if (u->required)
                fr_page_put(&problems, u->name, T("field.required"));
            continue;
        }
        fr_error err = {0};
        char iso[11];
        if (u->kind == 'd') {
            if (fr_parse_date(v, iso))
                fr_page_put(&problems, u->name, T("forms.bad_date"));
            continue;
        }
        if ((u->kind == 'p' && fr_text_phone(kernel, v, &err)) ||
            (u->kind == 'e' && fr_text_email(kernel, v, &err)) ||
            fr_text_check(kernel, v, (size_t)u->max, u->kind == 'm', &err))
            fr_page_refusal(r, &problems, &err, rules, n);
    }
    return problems;
}

const fr_page_rule *fr_page_rule_of(const fr_page_rule *rules, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rules[i].name, name) == 0)
            return &rules[i];
    return NULL;
}

void fr_page_after_opening(fr_req *r, json_t **problems, int64_t case_id, const char *iso,
                           const fr_page_rule *rules, size_t n, const char *name)
{
    fr_error err = {0};
    const fr_page_rule *rule = fr_page_rule_of(rules, n, name);
    /* only for a case the user may write to: otherwise the kernel refuses
     * the form (audited), and the case's opening stays unread */
    if (rule && iso && case_id && !fr_page_problem(*problems, rule->name) &&
        fr_access_case_quiet(r->site, case_id, FR_WRITE) &&
        fr_case_check_after_opening(r->site, case_id, rule->kernel ? rule->kernel : rule->name, iso,
                                    &err) == FR_EINVAL)
        fr_page_refusal(r, problems, &err, rule, 1);
}

const char *fr_page_problem(json_t *problems, const char *name)
{
    return json_string_value(json_object_get(problems, name));
}

void fr_page_problems_alert(fr_req *r, fr_buf *b, json_t *problems)
{
    if (!problems)
        return;
    const char *general = fr_page_problem(problems, "_");
    /* "next to the fields" only when some field has a problem (a team
     * already left, a list changed meanwhile: the form as a whole) */
    int fields = json_object_size(problems) > (general ? 1u : 0u);
    fr_buf_puts(b, "<p class=\"error\" role=\"alert\">");
    fr_buf_esc(b, T(fields ? "forms.problems" : "forms.not_saved"));
    if (general) {
        fr_buf_puts(b, " ");
        fr_buf_esc(b, general);
    }
    fr_buf_puts(b, "</p>");
}

void fr_page_select_begin(fr_buf *b, const char *id, const char *name, const char *label,
                          const char *problem, int *focused)
{
    fr_buf_printf(b, "<label for=\"%s\">", id);
    fr_buf_esc(b, label);
    fr_buf_printf(b, "</label><select id=\"%s\" name=\"%s\"", id, name);
    if (problem) {
        fr_buf_printf(b, " aria-invalid=\"true\" aria-describedby=\"%s-problem\"", id);
        if (focused && !*focused) {
            fr_buf_puts(b, " autofocus");
            *focused = 1;
        }
    }
    fr_buf_puts(b, ">");
}

void fr_page_select_end(fr_buf *b, const char *id, const char *problem)
{
    fr_buf_puts(b, "</select>");
    if (problem) {
        fr_buf_printf(b, "<p class=\"fr-error\" id=\"%s-problem\">", id);
        fr_buf_esc(b, problem);
        fr_buf_puts(b, "</p>");
    }
}

void fr_page_option(fr_buf *b, const char *value, const char *label, const char *chosen)
{
    fr_buf_puts(b, "<option value=\"");
    fr_buf_esc(b, value);
    fr_buf_printf(b, "\"%s>", chosen && strcmp(chosen, value) == 0 ? " selected" : "");
    fr_buf_esc(b, label);
    fr_buf_puts(b, "</option>");
}

json_t *fr_refusal_problems(const fr_refusal *refused, const char *form)
{
    return refused && strcmp(refused->form, form) == 0 ? refused->problems : NULL;
}

const char *fr_refusal_value(fr_req *r, const fr_refusal *refused, const char *form,
                             const char *name)
{
    return refused && strcmp(refused->form, form) == 0 ? fr_req_field(r, name) : NULL;
}
