/* filrouge events …: the outbox, failed deliveries and retrying them. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "bus.h"
#include "cli.h"

/* The outbox carries case data (patient ids, task titles, notes): only an
 * administrator lists it or requeues its deliveries, as in the API. The
 * refusal is audited. */
static int require_admin(cli *c, const char *what)
{
    if (fr_access_has_role(c->site, "admin"))
        return 0;
    fr_error err = {0};
    fr_access_refused_role(c->site, "events", "*");
    fr_error_set(&err, FR_EACCESS, "only administrators can %s (you are '%s', %s)", what,
                 c->site->actor, c->site->actor_role);
    return cli_fail(c, &err);
}

/* What an empty list means, by the list asked for (print_events). */
static const char *empty_events = "no event";

static void print_events(json_t *list)
{
    size_t i, j;
    json_t *v, *d;
    char t[32];
    if (json_array_size(list) == 0) {
        printf("%s\n", empty_events);
        return;
    }
    json_array_foreach(list, i, v) {
        json_t *cid = json_object_get(v, "case_id");
        printf("%6" JSON_INTEGER_FORMAT "  %s  %-24s", json_integer_value(json_object_get(v, "id")),
               cli_human_date(cli_str(v, "created_at"), t), cli_str(v, "topic"));
        if (json_is_integer(cid))
            printf(" case %" JSON_INTEGER_FORMAT, json_integer_value(cid));
        printf("\n");
        json_array_foreach(json_object_get(v, "deliveries"), j, d)
            printf("          → %-28s %-6s attempts %" JSON_INTEGER_FORMAT "%s%s\n",
                   cli_str(d, "subscriber"), cli_str(d, "status"),
                   json_integer_value(json_object_get(d, "attempts")),
                   *cli_str(d, "last_error") ? "  " : "", cli_str(d, "last_error"));
    }
}

static int run_events(cli *c)
{
    const char *which = NULL;
    int limit = 50;
    const char *l = cli_opt(c, "limit");
    if (cli_flag(c, "failed"))
        which = "failed";
    if (cli_flag(c, "pending"))
        which = "pending";
    if (cli_check_args(c, 0, 1) || (l && cli_int(c, l, "--limit", 1, 10000, &limit)))
        return CLI_USAGE;
    const char *sub = cli_arg(c, 0);
    fr_error err = {0};
    if (sub && strcmp(sub, "failed") == 0)
        which = "failed";
    else if (sub && strcmp(sub, "pending") == 0)
        which = "pending";
    else if (sub)
        return cli_usage(c, "'%s' is not an events command; use failed, pending, retry or deliver",
                         sub);
    if (cli_open(c))
        return CLI_REFUSED;
    if (require_admin(c, "list the events"))
        return CLI_REFUSED;
    json_t *out = NULL;
    if (fr_bus_list(c->site, which, limit, &out, &err))
        return cli_fail(c, &err);
    if (which && strcmp(which, "failed") == 0)
        empty_events = "no failed delivery (one still being retried is listed by `filrouge "
                       "events pending`)";
    else if (which)
        empty_events = "no delivery waiting";
    cli_emit(c, out, print_events);
    return 0;
}

static int run_events_retry(cli *c)
{
    int all = cli_flag(c, "all");
    if (cli_check_args(c, all ? 0 : 2, all ? 0 : 2))
        return CLI_USAGE;
    int64_t id = 0;
    if (!all && cli_id(c, cli_arg(c, 0), "EVENT", &id))
        return CLI_USAGE;
    fr_error err = {0};
    int count = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (require_admin(c, "retry deliveries"))
        return CLI_REFUSED;
    if (fr_bus_retry(c->site, id, all ? NULL : cli_arg(c, 1), &count, &err))
        return cli_fail(c, &err);
    fr_bus_stats s = {0};
    if (fr_bus_deliver(c->site, &s, &err))
        return cli_fail(c, &err);
    cli_ok(c,
           json_pack("{s:i,s:i,s:i,s:i}", "requeued", count, "delivered", s.delivered, "retried",
                     s.retried, "failed", s.failed),
           "%d deliveries requeued: %d delivered, %d to retry later, %d failed again", count,
           s.delivered, s.retried, s.failed);
    return 0;
}

static int run_events_deliver(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    fr_error err = {0};
    fr_bus_stats s = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_bus_deliver(c->site, &s, &err))
        return cli_fail(c, &err);
    cli_ok(c,
           json_pack("{s:i,s:i,s:i}", "delivered", s.delivered, "retried", s.retried, "failed",
                     s.failed),
           "%d delivered, %d to retry later, %d failed", s.delivered, s.retried, s.failed);
    return 0;
}

const cli_command cli_events_commands[] = {
    {"events", "retry", run_events_retry, "(EVENT SUBSCRIBER | --all)",
     "put failed deliveries back in the queue and deliver (administrators)"},
    {"events", "deliver", run_events_deliver, "", "deliver the outbox to asynchronous subscribers"},
    {"events", NULL, run_events, "[failed | pending] [--limit N]",
     "the latest events and their deliveries; failed: those parked for the administrator "
     "(administrators)"},
    {0},
};
