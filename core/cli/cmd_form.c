/* filrouge form …: checking form definitions, listing and showing the
 * site's forms, rendering them as HTML, submitting answers (drafts,
 * amendments), the drafts and history of submissions, FHIR export. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "form.h"

static const char *site_lang(cli *c, const char *lang)
{
    if (lang)
        return lang;
    return c->site && c->site->nlanguages ? c->site->languages[0] : "en";
}

static int check_lang(cli *c, const char *lang)
{
    if (lang && strcmp(lang, "fr") && strcmp(lang, "nl") && strcmp(lang, "de") &&
        strcmp(lang, "en"))
        return cli_usage(c, "--lang must be fr, nl, de or en");
    return 0;
}

static int run_form_check(cli *c)
{
    if (cli_check_args(c, 1, -1))
        return CLI_USAGE;
    int failed = 0;
    json_t *forms = json_array();
    for (int i = 0; i < c->argc; i++) {
        fr_error err = {0};
        fr_form *f = NULL;
        char *report = NULL;
        if (fr_form_check_file(cli_arg(c, i), &report, &err)) {
            fprintf(stderr, "%s\n", report ? report : err.message);
            free(report);
            failed++;
            continue;
        }
        if (fr_form_load_file(cli_arg(c, i), &f, &err)) {
            fprintf(stderr, "%s\n", err.message);
            failed++;
            continue;
        }
        if (!c->json)
            printf("%s: form %s version %d is valid\n", cli_arg(c, i), fr_form_id(f),
                   fr_form_version(f));
        json_array_append_new(forms, json_pack("{s:s,s:s,s:i}", "file", cli_arg(c, i), "id",
                                               fr_form_id(f), "version", fr_form_version(f)));
        fr_form_free(f);
    }
    if (failed) {
        json_decref(forms);
        fr_error err = {0};
        fr_error_set(&err, FR_EINVAL, "%d of %d definitions have errors (listed above)", failed,
                     c->argc);
        return cli_fail(c, &err);
    }
    if (c->json)
        cli_ok(c, json_pack("{s:o}", "forms", forms), "%d definitions valid", c->argc);
    else
        json_decref(forms);
    return 0;
}

static void print_forms(json_t *list)
{
    size_t i;
    json_t *v;
    printf("%-16s %7s %-9s %-10s %-6s %11s  %s\n", "FORM", "VERSION", "KIND", "OWNER", "LOADED",
           "SUBMISSIONS", "TITLE");
    json_array_foreach(list, i, v) printf(
        "%-16s %7" JSON_INTEGER_FORMAT " %-9s %-10s %-6s %11" JSON_INTEGER_FORMAT "  %s\n",
        cli_str(v, "id"), json_integer_value(json_object_get(v, "version")), cli_str(v, "kind"),
        cli_str(v, "owner"), json_is_true(json_object_get(v, "loaded")) ? "yes" : "no",
        json_integer_value(json_object_get(v, "submissions")), cli_str(v, "title"));
}

static int run_form_list(cli *c)
{
    const char *lang = cli_opt(c, "lang");
    if (cli_check_args(c, 0, 0) || check_lang(c, lang))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_forms_list(c->site, site_lang(c, lang), &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_forms);
    return 0;
}

/* Opens the site and finds FORM [--version N]. */
static int find_form(cli *c, const char *id, const char *version, const fr_form **f)
{
    int v = 0;
    if (version && cli_int(c, version, "--version", 1, 1 << 20, &v))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    fr_error err = {0};
    if (fr_forms_get(c->site, id, v, f, &err))
        return cli_fail(c, &err);
    return 0;
}

static void print_items(json_t *items, int depth)
{
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        const char *type = cli_str(v, "type");
        if (strcmp(type, "section") == 0 || strcmp(type, "group") == 0) {
            printf("%*s[%s%s] %s\n", depth * 2, "", cli_str(v, "id"),
                   json_is_true(json_object_get(v, "repeat")) ? ", repeats" : "",
                   cli_str(v, "label"));
            print_items(json_object_get(v, "items"), depth + 1);
            continue;
        }
        printf("%*s%-18s %-12s %s%s\n", depth * 2, "", cli_str(v, "id"), type, cli_str(v, "label"),
               json_is_true(json_object_get(v, "required")) ? " *" : "");
        if (*cli_str(v, "relevant"))
            printf("%*s  shown when %s\n", depth * 2 + 18, "", cli_str(v, "relevant"));
        size_t k;
        json_t *o;
        json_array_foreach(json_object_get(v, "options"), k, o)
        {
            json_t *pts = json_object_get(o, "points");
            if (pts)
                printf("%*s  %s = %s (%g pt)\n", depth * 2 + 18, "", cli_str(o, "code"),
                       cli_str(o, "label"), json_number_value(pts));
            else
                printf("%*s  %s = %s\n", depth * 2 + 18, "", cli_str(o, "code"),
                       cli_str(o, "label"));
        }
    }
}

static void print_form(json_t *f)
{
    printf("%s — form %s version %" JSON_INTEGER_FORMAT " (%s)\n", cli_str(f, "title"),
           cli_str(f, "id"), json_integer_value(json_object_get(f, "version")), cli_str(f, "kind"));
    print_items(json_object_get(f, "items"), 1);
    size_t i, k;
    json_t *s, *b;
    json_array_foreach(json_object_get(f, "scores"), i, s)
    {
        printf("score %s: %s\n", cli_str(s, "id"), cli_str(s, "label"));
        json_array_foreach(json_object_get(s, "bands"), k, b)
        {
            json_t *lo = json_object_get(b, "min"), *hi = json_object_get(b, "max");
            char range[64];
            if (lo && hi)
                snprintf(range, sizeof range, "%g–%g", json_number_value(lo),
                         json_number_value(hi));
            else if (lo)
                snprintf(range, sizeof range, "%g and more", json_number_value(lo));
            else
                snprintf(range, sizeof range, "up to %g", json_number_value(hi));
            printf("  %-14s %-10s %s\n", range, cli_str(b, "code"), cli_str(b, "label"));
        }
    }
    json_array_foreach(json_object_get(f, "flags"), i, s)
        printf("flag %s (%s) when %s: %s\n", cli_str(s, "id"), cli_str(s, "severity"),
               cli_str(s, "when"), cli_str(s, "message"));
}

static int run_form_show(cli *c)
{
    const char *lang = cli_opt(c, "lang"), *version = cli_opt(c, "version");
    if (cli_check_args(c, 1, 1) || check_lang(c, lang))
        return CLI_USAGE;
    const fr_form *f;
    int rc = find_form(c, cli_arg(c, 0), version, &f);
    if (rc)
        return rc;
    const char *fallback = site_lang(c, NULL);
    cli_emit(c, fr_form_describe(f, site_lang(c, lang), fallback), print_form);
    return 0;
}

static int run_form_render(cli *c)
{
    const char *lang = cli_opt(c, "lang"), *version = cli_opt(c, "version");
    if (cli_check_args(c, 1, 1) || check_lang(c, lang))
        return CLI_USAGE;
    const fr_form *f;
    int rc = find_form(c, cli_arg(c, 0), version, &f);
    if (rc)
        return rc;
    char *html = NULL;
    fr_error err = {0};
    if (fr_form_render(c->site, f, site_lang(c, lang), NULL, NULL, &html, &err))
        return cli_fail(c, &err);
    if (c->json)
        cli_emit(c, json_pack("{s:s}", "html", html), NULL);
    else
        fputs(html, stdout);
    free(html);
    return 0;
}

static char *read_all(FILE *fp, size_t *len, size_t limit)
{
    size_t cap = 65536;
    char *buf = malloc(cap);
    *len = 0;
    while (buf) {
        size_t n = fread(buf + *len, 1, cap - *len, fp);
        *len += n;
        if (n == 0 || *len > limit)
            break;
        if (*len == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
    }
    return buf;
}

static void print_submitted(json_t *v)
{
    (void)v;
}

static int run_form_submit(cli *c)
{
    const char *cas = cli_opt(c, "case"), *amend = cli_opt(c, "amend"),
               *reason = cli_opt(c, "reason"), *cont = cli_opt(c, "continue"),
               *lang = cli_opt(c, "lang"), *version = cli_opt(c, "version");
    int draft = cli_flag(c, "draft");
    fr_submit s = {.draft = draft, .reason = reason, .lang = lang};
    if (cli_check_args(c, 1, 2) || check_lang(c, lang))
        return CLI_USAGE;
    if (!cas)
        return cli_usage(c, "--case ID is required: a submission belongs to a case");
    if (cli_id(c, cas, "--case", &s.case_id) || (amend && cli_id(c, amend, "--amend", &s.amends)) ||
        (cont && cli_id(c, cont, "--continue", &s.draft_id)) ||
        (version && cli_int(c, version, "--version", 1, 1 << 20, &s.form_version)))
        return CLI_USAGE;
    if (reason && !amend)
        return cli_usage(c, "--reason goes with --amend SUBMISSION");
    s.form_id = cli_arg(c, 0);
    const char *file = c->argc > 1 ? cli_arg(c, 1) : "-";
    FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!fp) {
        fr_error err = {0};
        fr_error_set(&err, FR_ENOTFOUND, "%s: cannot be read (missing or no permission)", file);
        return cli_fail(c, &err);
    }
    size_t len = 0;
    /* Read a little past the limit, so that the kernel refuses it by size. */
    char *data = read_all(fp, &len, FR_FORM_MAX_SUBMISSION + 1);
    if (fp != stdin)
        fclose(fp);
    if (!data) {
        fr_error err = {0};
        fr_error_set(&err, FR_ENOMEM, "out of memory reading %s", file);
        return cli_fail(c, &err);
    }
    s.data = data;
    s.len = len;
    if (cli_open(c)) {
        free(data);
        return CLI_REFUSED;
    }
    fr_error err = {0};
    int64_t id = 0;
    json_t *problems = NULL;
    int rc = fr_form_submit(c->site, &s, &id, &problems, &err);
    free(data);
    if (rc) {
        if (!problems)
            return cli_fail(c, &err);
        /* Every field with its message, not only what fits in err. */
        size_t n = json_array_size(problems), i;
        json_t *p;
        fprintf(stderr, "filrouge: %zu problem%s in the submission of form %s:\n", n,
                n == 1 ? "" : "s", s.form_id);
        json_array_foreach(problems, i, p)
        {
            const char *field = cli_str(p, "field");
            /* A problem of the whole form has no field to name. */
            fprintf(stderr, "  %s%s%s\n", field, field[0] ? ": " : "", cli_str(p, "message"));
        }
        if (c->json) {
            json_t *j = json_pack("{s:{s:s,s:s,s:O}}", "error", "code", fr_error_code_name(rc),
                                  "message", err.message, "problems", problems);
            json_dumpf(j, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
            json_decref(j);
        }
        json_decref(problems);
        return CLI_REFUSED;
    }
    cli_deliver(c);
    json_t *got = NULL;
    if (fr_form_submission_get(c->site, id, &got, &err))
        return cli_fail(c, &err);
    if (c->json) {
        cli_emit(c, got, print_submitted);
        return 0;
    }
    printf("submission %" PRId64 " saved as %s (form %s version %s, case %" PRId64 ")\n", id,
           cli_str(got, "status"), cli_str(got, "form_id"), cli_str(got, "form_version"),
           s.case_id);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(got, "scores"), i, v)
    {
        json_t *val = json_object_get(v, "value");
        if (json_is_number(val))
            printf("  score %s = %g (%s)\n", cli_str(v, "score"), json_number_value(val),
                   *cli_str(v, "band") ? cli_str(v, "band") : "no band");
        else
            printf("  score %s: not enough answers (%" JSON_INTEGER_FORMAT " answered)\n",
                   cli_str(v, "score"), json_integer_value(json_object_get(v, "answered")));
    }
    json_array_foreach(json_object_get(got, "flags"), i, v) printf(
        "  FLAG %s (%s): %s\n", cli_str(v, "flag"), cli_str(v, "severity"), cli_str(v, "message"));
    json_decref(got);
    return 0;
}

static void print_drafts(json_t *list)
{
    size_t i;
    json_t *v;
    char t[32];
    if (json_array_size(list) == 0) {
        printf("no drafts\n");
        return;
    }
    printf("%-6s %-6s %-16s %-7s %-17s %s\n", "DRAFT", "CASE", "FORM", "VERSION", "SAVED", "BY");
    json_array_foreach(list, i, v) printf(
        "%-6" JSON_INTEGER_FORMAT " %-6" JSON_INTEGER_FORMAT " %-16s %-7s %-17s %s\n",
        json_integer_value(json_object_get(v, "id")),
        json_integer_value(json_object_get(v, "case_id")), cli_str(v, "form_id"),
        cli_str(v, "form_version"), cli_human_date(cli_str(v, "saved_at"), t), cli_str(v, "actor"));
}

static int run_form_drafts(cli *c)
{
    const char *cas = cli_opt(c, "case");
    int64_t case_id = 0;
    if (cli_check_args(c, 0, 0) || (cas && cli_id(c, cas, "--case", &case_id)))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    fr_error err = {0};
    json_t *out = NULL;
    int rc = case_id ? fr_form_history(c->site, case_id, NULL, 1, &out, &err)
                     : fr_form_drafts(c->site, &out, &err);
    if (rc)
        return cli_fail(c, &err);
    if (case_id) {
        size_t i;
        json_t *v;
        json_array_foreach(out, i, v)
            json_object_set(v, "saved_at", json_object_get(v, "submitted_at"));
    }
    cli_emit(c, out, print_drafts);
    return 0;
}

static void print_history(json_t *list)
{
    size_t i, k;
    json_t *v, *s;
    char t[32];
    if (json_array_size(list) == 0) {
        printf("no submissions\n");
        return;
    }
    json_array_foreach(list, i, v)
    {
        printf("%-5" JSON_INTEGER_FORMAT " %-16s v%-3s %-6s %s by %s",
               json_integer_value(json_object_get(v, "id")), cli_str(v, "form_id"),
               cli_str(v, "form_version"), cli_str(v, "status"),
               cli_human_date(cli_str(v, "submitted_at"), t), cli_str(v, "actor"));
        if (json_is_integer(json_object_get(v, "amends")))
            printf(", amends %" JSON_INTEGER_FORMAT " (%s)",
                   json_integer_value(json_object_get(v, "amends")), cli_str(v, "reason"));
        if (json_is_integer(json_object_get(v, "superseded_by")))
            printf(", amended by %" JSON_INTEGER_FORMAT,
                   json_integer_value(json_object_get(v, "superseded_by")));
        printf("\n");
        json_array_foreach(json_object_get(v, "scores"), k, s)
        {
            json_t *val = json_object_get(s, "value");
            if (json_is_number(val))
                printf("      %s = %g %s\n", cli_str(s, "score"), json_number_value(val),
                       cli_str(s, "band"));
        }
        json_array_foreach(json_object_get(v, "flags"), k, s)
            printf("      FLAG %s (%s): %s\n", cli_str(s, "flag"), cli_str(s, "severity"),
                   cli_str(s, "message"));
    }
}

static int run_form_history(cli *c)
{
    const char *form = cli_opt(c, "form");
    int64_t case_id = 0;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &case_id))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    fr_error err = {0};
    json_t *out = NULL;
    if (fr_form_history(c->site, case_id, form, 0, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_history);
    return 0;
}

static void print_scores(json_t *list)
{
    size_t i;
    json_t *v;
    char t[32];
    if (json_array_size(list) == 0) {
        printf("no scores\n");
        return;
    }
    printf("%-6s %8s %-18s %-17s %s\n", "CASE", "SCORE", "BAND", "SUBMITTED", "SUBMISSION");
    json_array_foreach(list, i, v)
    {
        json_t *val = json_object_get(v, "value");
        char num[32] = "-";
        if (json_is_number(val))
            snprintf(num, sizeof num, "%g", json_number_value(val));
        printf("%-6" JSON_INTEGER_FORMAT " %8s %-18s %-17s %" JSON_INTEGER_FORMAT "\n",
               json_integer_value(json_object_get(v, "case_id")), num, cli_str(v, "band"),
               cli_human_date(cli_str(v, "submitted_at"), t),
               json_integer_value(json_object_get(v, "submission")));
    }
}

static int run_form_scores(cli *c)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    const char *ref = cli_arg(c, 0);
    const char *dot = strrchr(ref, '.');
    if (!dot || dot == ref || !dot[1] || (size_t)(dot - ref) >= 128)
        return cli_usage(c, "give the score as FORM.SCORE, e.g. efs.efs or phq9.total");
    char form[128];
    memcpy(form, ref, (size_t)(dot - ref));
    form[dot - ref] = '\0';
    if (cli_open(c))
        return CLI_REFUSED;
    fr_error err = {0};
    json_t *out = NULL;
    if (fr_form_latest_scores(c->site, form, dot + 1, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_scores);
    return 0;
}

static void print_json(json_t *v)
{
    json_dumpf(v, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
}

static int run_form_export_fhir(cli *c)
{
    const char *lang = cli_opt(c, "lang"), *version = cli_opt(c, "version"),
               *sub = cli_opt(c, "submission");
    int64_t sid = 0;
    if (cli_check_args(c, sub ? 0 : 1, sub ? 0 : 1) || check_lang(c, lang) ||
        (sub && cli_id(c, sub, "--submission", &sid)))
        return CLI_USAGE;
    fr_error err = {0};
    json_t *out = NULL;
    if (sub) {
        if (cli_open(c))
            return CLI_REFUSED;
        if (fr_form_fhir_response(c->site, sid, &out, &err))
            return cli_fail(c, &err);
    } else {
        const fr_form *f;
        int rc = find_form(c, cli_arg(c, 0), version, &f);
        if (rc)
            return rc;
        if (fr_form_fhir_questionnaire(f, site_lang(c, lang), site_lang(c, NULL), &out, &err))
            return cli_fail(c, &err);
    }
    cli_emit(c, out, print_json);
    return 0;
}

const cli_command cli_form_commands[] = {
    {"form", "list", run_form_list, "[--lang L]", "forms of this site, every version"},
    {"form", "show", run_form_show, "FORM [--version N] [--lang L]",
     "a form's fields, options with points, scores with bands, flags"},
    {"form", "check", run_form_check, "FILE...",
     "check form definitions (XSD and meaning); errors give file:line:element"},
    {"form", "render", run_form_render, "FORM [--version N] [--lang L]",
     "the form as HTML (the web UI's markup)"},
    {"form", "submit", run_form_submit,
     "FORM --case ID [FILE|-] [--draft] [--continue DRAFT] [--amend SUBMISSION --reason TEXT] "
     "[--lang L] [--version N]",
     "submit answers (JSON or XML instance, from FILE or stdin)"},
    {"form", "drafts", run_form_drafts, "[--case ID]", "drafts waiting to be completed"},
    {"form", "history", run_form_history, "CASE [--form FORM]",
     "a case's submissions, with scores, flags and amendments"},
    {"form", "scores", run_form_scores, "FORM.SCORE",
     "the latest score of every case you may see (e.g. efs.efs)"},
    {"form", "export-fhir", run_form_export_fhir, "FORM [--version N] [--lang L] | --submission ID",
     "a form as a FHIR R4 Questionnaire, a submission as a QuestionnaireResponse"},
    {0},
};
