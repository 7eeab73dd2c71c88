/* filrouge intake …: the triage queue of intakes ("signalements"),
 * filled by the public web form or, for a call, from the command line. */
#include <inttypes.h>
#include <stdio.h>

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
    const char *b = cli_opt(c, "birth");
    if (cli_check_args(c, 0, 0) || cli_date(c, b, "--birth", birth))
        return CLI_USAGE;
    n.person_birth_date = birth[0] ? birth : NULL;
    fr_error err = {0};
    int64_t id = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_intake_add(c->site, &n, &id, &err))
        return cli_fail(c, &err);
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
    }
}

static int run_intake_list(cli *c)
{
    const char *status = cli_opt(c, "status"), *l = cli_opt(c, "limit");
    int limit = 100;
    if (cli_check_args(c, 0, 0) || (l && cli_int(c, l, "--limit", &limit)))
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
     "[--birth DD/MM/YYYY] [--city CITY] [--via phone|mail|meeting]",
     "record an intake received by phone, mail or at a meeting (it waits for triage)"},
    {"intake", "list", run_intake_list, "[--status new|accepted|dismissed] [--limit N]",
     "the triage queue (case managers, administrators)"},
    {"intake", "accept", run_intake_accept, "INTAKE [--note TEXT]",
     "accept an intake (then register the person and open a case)"},
    {"intake", "dismiss", run_intake_dismiss, "INTAKE [--note TEXT]", "dismiss an intake"},
    {0},
};
