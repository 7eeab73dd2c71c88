/* filrouge task … and tick: the échéancier. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "record.h"
#include "task.h"

static void print_tasks(json_t *list)
{
    size_t i;
    json_t *v;
    char d[32];
    if (json_array_size(list) == 0) {
        printf("no task\n");
        return;
    }
    printf("%5s  %-10s %5s  %-40s %-12s %s\n", "TASK", "DUE", "CASE", "TITLE", "ASSIGNEE", "");
    json_array_foreach(list, i, v) {
        json_t *cid = json_object_get(v, "case_id");
        char cs[24] = "";
        if (json_is_integer(cid))
            snprintf(cs, sizeof cs, "%" JSON_INTEGER_FORMAT, json_integer_value(cid));
        printf("%5" JSON_INTEGER_FORMAT "  %-10s %5s  %-40s %-12s %s\n",
               json_integer_value(json_object_get(v, "id")),
               *cli_str(v, "due_on") ? cli_human_date(cli_str(v, "due_on"), d) : "(no date)", cs,
               cli_str(v, "title"), cli_str(v, "assignee"),
               json_is_true(json_object_get(v, "overdue")) ||
                       json_integer_value(json_object_get(v, "overdue")) > 0
                   ? "OVERDUE"
                   : strcmp(cli_str(v, "status"), "open") ? cli_str(v, "status") : "");
    }
}

static int run_task_list(cli *c)
{
    fr_task_filter f = {0};
    char before[11];
    f.assignee = cli_opt(c, "assignee");
    f.status = cli_opt(c, "status");
    const char *cs = cli_opt(c, "case"), *b = cli_opt(c, "due-before"), *l = cli_opt(c, "limit");
    int mine = cli_flag(c, "mine");
    if (cli_check_args(c, 0, 0) || (cs && cli_id(c, cs, "--case", &f.case_id)) ||
        cli_date(c, b, "--due-before", before) || (l && cli_int(c, l, "--limit", 1, 500, &f.limit)))
        return CLI_USAGE;
    f.due_before = before[0] ? before : NULL;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (mine)
        f.assignee = c->site->actor;
    if (fr_task_list(c->site, &f, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_tasks);
    return 0;
}

static int run_task_add(cli *c)
{
    fr_task_new t = {0};
    char due[11];
    const char *d = cli_opt(c, "due"), *assignee = cli_opt(c, "assignee");
    t.anchor = cli_opt(c, "anchor");
    t.offset = cli_opt(c, "offset");
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &t.case_id) ||
        cli_date(c, d, "--due", due))
        return CLI_USAGE;
    if (!d && !t.anchor)
        return cli_usage(c, "say when the task is due: --due DD/MM/YYYY, or --anchor DATE-NAME "
                            "[--offset -P14D]");
    t.title = cli_arg(c, 1);
    t.due_on = due[0] ? due : NULL;
    t.origin = "person";
    fr_error err = {0};
    int64_t id = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (assignee && fr_user_id(c->site, assignee, &t.assignee_id, &err))
        return cli_fail(c, &err);
    if (fr_task_create(c->site, &t, &id, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)id), "task %" PRId64 " added to case %" PRId64,
           id, t.case_id);
    return 0;
}

static int run_task_done(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "TASK", &id))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_task_done(c->site, id, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "task %" PRId64 " done", id);
    return 0;
}

static int run_task_cancel(cli *c)
{
    int64_t id;
    const char *reason = cli_opt(c, "reason");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "TASK", &id))
        return CLI_USAGE;
    if (!reason || !*reason)
        return cli_usage(c, "say why the task is cancelled: --reason TEXT (kept in the audit "
                            "trail)");
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_task_cancel(c->site, id, reason, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "task %" PRId64 " cancelled", id);
    return 0;
}

static int run_tick(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    fr_error err = {0};
    fr_tick_stats s = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_task_tick(c->site, &s, &err))
        return cli_fail(c, &err);
    cli_ok(c,
           json_pack("{s:i,s:i,s:i,s:i}", "due", s.due, "overdue", s.overdue, "timers", s.timers,
                     "delivered", s.delivered),
           "tick: %d due, %d overdue, %d recurring tasks created, %d events delivered", s.due,
           s.overdue, s.timers, s.delivered);
    return 0;
}

const cli_command cli_task_commands[] = {
    {"task", "list", run_task_list,
     "[--mine | --assignee LOGIN] [--case CASE] [--status open|done|cancelled] "
     "[--due-before DD/MM/YYYY] [--limit N]",
     "the échéancier: tasks by due date, overdue first"},
    {"task", "add", run_task_add,
     "CASE TITLE (--due DD/MM/YYYY | --anchor DATE-NAME [--offset -P14D]) [--assignee LOGIN]",
     "add a task to a case"},
    {"task", "done", run_task_done, "TASK", "mark a task done"},
    {"task", "cancel", run_task_cancel, "TASK --reason TEXT",
     "cancel an open task (the reason is kept in the audit trail)"},
    {"tick", NULL, run_tick, "",
     "emit due and overdue reminders, create recurring tasks, deliver events (run daily)"},
    {0},
};
