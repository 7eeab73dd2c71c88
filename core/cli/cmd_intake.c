/* filrouge intake …: the triage queue of intakes ("signalements"),
 * filled by the public web form or, for a call, from the command line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "intake.h"

static int run_intake_add(cli *c)
{
    fr_intake_new n = {0};
    char birth[11];
    n.referrer_name = cli_opt(c, "referrer");
    n.referrer_contact = cli_opt(c, "contact");
    n.referrer_relation = cli_opt(c, "relation");
    n.person_name = cli_opt(c, "person");
    n.person_city = cli_opt(c, "city");
    n.situation = cli_opt(c, "situation");
    n.via = cli_opt(c, "via");
    n.form_id = cli_opt(c, "form");
    const char *b = cli_opt(c, "birth"), *file = cli_opt(c, "answers");
    if (cli_check_args(c, 0, 0) || cli_date(c, b, "--birth", birth))
        return CLI_USAGE;
    if (!n.form_id != !file)
        return cli_usage(c, "--form FORM and --answers FILE.json go together");
    n.person_birth_date = birth[0] ? birth : NULL;
    fr_error err = {0};
    char *answers = NULL;
    if (file) {
        json_error_t jerr;
        json_t *j = json_load_file(file, 0, &jerr);
        if (!j) {
            fr_error_set(&err, FR_EINVAL, "%s:%d: %s", file, jerr.line, jerr.text);
            return cli_fail(c, &err);
        }
        answers = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        n.answers = answers;
    }
    int64_t id = 0;
    json_t *problems = NULL;
    n.problems = &problems;
    if (cli_open(c)) {
        free(answers);
        return CLI_REFUSED;
    }
    int rc = fr_intake_add(c->site, &n, &id, &err);
    free(answers);
    if (rc) {
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p)
            fprintf(stderr, "  %s: %s\n", cli_str(p, "field"), cli_str(p, "message"));
        json_decref(problems);
        return cli_fail(c, &err);
    }
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)id),
           "intake %" PRId64 " is waiting for triage", id);
    return 0;
}

static void print_intakes(json_t *list)
{
    size_t i;
    json_t *v;
    char d[32];
    if (json_array_size(list) == 0)
        printf("no intake\n");
    json_array_foreach(list, i, v)
    {
        printf("%4" JSON_INTEGER_FORMAT "  %s  %s — from %s (%s, %s)\n      %s\n",
               json_integer_value(json_object_get(v, "id")),
               cli_human_date(cli_str(v, "received_at"), d), cli_str(v, "person_name"),
               cli_str(v, "referrer_name"), cli_str(v, "referrer_relation"),
               cli_str(v, "referrer_contact"), cli_str(v, "situation"));
        json_t *a = json_object_get(v, "answers");
        if (json_is_object(a)) {
            char *text = json_dumps(a, JSON_COMPACT);
            printf("      form %s: %s\n", cli_str(v, "form_id"), text ? text : "");
            free(text);
        }
    }
}

static int run_intake_list(cli *c)
{
    const char *status = cli_opt(c, "status"), *l = cli_opt(c, "limit");
    int limit = 100;
    if (cli_check_args(c, 0, 0) || (l && cli_int(c, l, "--limit", 1, 500, &limit)))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_intake_list(c->site, status, limit, 0, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_intakes);
    return 0;
}

static int decide(cli *c, int accept)
{
    int64_t id;
    const char *note = cli_opt(c, "note");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "INTAKE", &id))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_intake_decide(c->site, id, accept, note, NULL, &err))
        return cli_fail(c, &err);
    cli_ok(c, NULL, "intake %" PRId64 " %s", id, accept ? "accepted" : "dismissed");
    return 0;
}

static int run_intake_submit(cli *c)
{
    int64_t id, case_id;
    const char *cas = cli_opt(c, "case");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "INTAKE", &id))
        return CLI_USAGE;
    if (!cas)
        return cli_usage(c, "--case CASE is required: the case opened for the intake");
    if (cli_id(c, cas, "--case", &case_id))
        return CLI_USAGE;
    fr_error err = {0};
    int64_t sid = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_intake_submit(c->site, id, case_id, &sid, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "submission", (json_int_t)sid),
           "the answers of intake %" PRId64 " are submission %" PRId64 " of case %" PRId64, id,
           sid, case_id);
    return 0;
}

static int run_intake_accept(cli *c)
{
    return decide(c, 1);
}
static int run_intake_dismiss(cli *c)
{
    return decide(c, 0);
}

const cli_command cli_intake_commands[] = {
    {"intake", "add", run_intake_add,
     "--referrer NAME --contact PHONE-OR-EMAIL --person NAME --situation TEXT [--relation TEXT] "
     "[--birth DD/MM/YYYY] [--city CITY] [--via phone|mail|meeting] [--form FORM --answers "
     "FILE.json]",
     "record an intake received by phone, mail or at a meeting (it waits for triage), with the "
     "answers to a request form (intake=\"true\") when there is one"},
    {"intake", "list", run_intake_list, "[--status new|accepted|dismissed] [--limit N]",
     "the triage queue (case managers, administrators)"},
    {"intake", "accept", run_intake_accept, "INTAKE [--note TEXT]",
     "accept an intake (then register the person and open a case)"},
    {"intake", "dismiss", run_intake_dismiss, "INTAKE [--note TEXT]", "dismiss an intake"},
    {"intake", "submit", run_intake_submit, "INTAKE --case CASE",
     "the answers of an accepted intake's request form become a submission on its case"},
    {0},
};
