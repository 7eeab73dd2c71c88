/* filrouge audit …: reading and verifying the audit trail. */
#include <inttypes.h>
#include <stdio.h>

#include "access.h"
#include "audit.h"
#include "cli.h"
#include "record.h"

static void print_audit(json_t *list)
{
    size_t i;
    json_t *v;
    char t[32];
    json_array_foreach(list, i, v)
        printf("%6" JSON_INTEGER_FORMAT "  %s  %-14s %-12s %-10s %-8s %s\n",
               json_integer_value(json_object_get(v, "id")), cli_human_date(cli_str(v, "at"), t),
               cli_str(v, "actor"), cli_str(v, "action"), cli_str(v, "object_type"),
               cli_str(v, "object_id"), cli_str(v, "detail"));
}

static int run_audit_show(cli *c)
{
    const char *type = cli_opt(c, "type"), *id = cli_opt(c, "id"), *l = cli_opt(c, "limit");
    int limit = 100;
    if (cli_check_args(c, 0, 0) || (l && cli_int(c, l, "--limit", 1, 10000, &limit)))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_audit_list(c->site, type, id, limit, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_audit);
    return 0;
}

static int run_audit_verify(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    fr_error err = {0};
    fr_audit_report r = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (!fr_access_has_role(c->site, "admin")) {
        fr_error_set(&err, FR_EACCESS, "only administrators can verify the audit trail");
        return cli_fail(c, &err);
    }
    if (fr_audit_verify(c->site->store, &r, &err))
        return cli_fail(c, &err);
    if (r.first_bad) {
        fr_error_set(&err, FR_ECONFLICT,
                     "the audit trail is broken at entry %" PRId64 " (%s); %" PRId64
                     " entries checked. Keep a copy of the database and report it: entries "
                     "were changed or removed outside Filrouge",
                     r.first_bad, r.reason, r.entries);
        return cli_fail(c, &err);
    }
    cli_ok(c, json_pack("{s:I}", "entries", (json_int_t)r.entries),
           "audit trail intact: %" PRId64 " entries, chain verified", r.entries);
    return 0;
}

const cli_command cli_audit_commands[] = {
    {"audit", "show", run_audit_show, "[--type case|patient|user|plugin|…] [--id ID] [--limit N]",
     "the latest audit entries (administrators)"},
    {"audit", "verify", run_audit_verify, "",
     "recompute the audit chain; fails when an entry was changed or removed"},
    {0},
};
