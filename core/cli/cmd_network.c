/* filrouge network …: the people around the patient in a case. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "record.h"

static int run_network_add(cli *c)
{
    fr_member_new m = {0};
    char since[11], until[11];
    int64_t case_id;
    m.kind = cli_opt(c, "kind");
    m.name = cli_opt(c, "name");
    m.role = cli_opt(c, "role");
    m.relation = cli_opt(c, "relation");
    m.organisation = cli_opt(c, "organisation");
    m.phone = cli_opt(c, "phone");
    m.email = cli_opt(c, "email");
    m.user = cli_opt(c, "user");
    const char *s = cli_opt(c, "since"), *u = cli_opt(c, "until");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &case_id) ||
        cli_date(c, s, "--since", since) || cli_date(c, u, "--until", until))
        return CLI_USAGE;
    m.since = since[0] ? since : NULL;
    m.until = until[0] ? until : NULL;
    fr_error err = {0};
    int64_t id = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_network_add(c->site, case_id, &m, &id, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)id), "%s added to the network of case %" PRId64,
           m.name, case_id);
    return 0;
}

static void print_network(json_t *list)
{
    size_t i;
    json_t *v;
    char d1[32], d2[32];
    printf("%-8s %-24s %-20s %-20s %-14s %s\n", "KIND", "NAME", "ROLE/RELATION", "ORGANISATION",
           "PHONE", "PERIOD");
    json_array_foreach(list, i, v)
        printf("%-8s %-24s %-20s %-20s %-14s %s–%s%s\n", cli_str(v, "kind"), cli_str(v, "name"),
               *cli_str(v, "role") ? cli_str(v, "role") : cli_str(v, "relation"),
               cli_str(v, "organisation"), cli_str(v, "phone"),
               cli_human_date(cli_str(v, "since"), d1), cli_human_date(cli_str(v, "until"), d2),
               *cli_str(v, "user") ? "  (user)" : "");
}

static int run_network_list(cli *c)
{
    int64_t case_id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &case_id))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_network_list(c->site, case_id, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_network);
    return 0;
}

const cli_command cli_network_commands[] = {
    {"network", "add", run_network_add,
     "CASE --kind formal|informal --name NAME [--role ROLE | --relation RELATION] "
     "[--organisation ORG] [--phone P] [--email E] [--user LOGIN] [--since DD/MM/YYYY] "
     "[--until DD/MM/YYYY]",
     "add a professional (formal) or a relative/carer (informal) to a case's network"},
    {"network", "list", run_network_list, "CASE", "a case's network"},
    {0},
};
