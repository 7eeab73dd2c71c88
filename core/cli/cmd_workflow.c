/* filrouge workflow …: checking definitions, listing them, migrating cases
 * to a newer version. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "workflow.h"

static int run_workflow_check(cli *c)
{
    if (cli_check_args(c, 1, -1))
        return CLI_USAGE;
    int failed = 0;
    for (int i = 0; i < c->argc; i++) {
        fr_error err = {0};
        fr_workflow *wf = NULL;
        char *report = NULL;
        if (fr_workflow_check_file(cli_arg(c, i), &report, &err)) {
            fprintf(stderr, "%s\n", report ? report : err.message);
            free(report);
            failed++;
            continue;
        }
        if (fr_workflow_load_file(cli_arg(c, i), &wf, &err)) {
            fprintf(stderr, "%s\n", err.message);
            failed++;
            continue;
        }
        if (!c->json)
            printf("%s: workflow %s version %d is valid\n", cli_arg(c, i), fr_workflow_id(wf),
                   fr_workflow_version(wf));
        fr_workflow_free(wf);
    }
    if (failed) {
        fr_error err = {0};
        fr_error_set(&err, FR_EINVAL, "%d of %d definitions have errors (listed above)", failed,
                     c->argc);
        return cli_fail(c, &err);
    }
    if (c->json)
        cli_ok(c, NULL, "%d definitions valid", c->argc);
    return 0;
}

static void print_workflows(json_t *list)
{
    size_t i;
    json_t *v;
    printf("%-20s %7s %-14s %-7s %s\n", "WORKFLOW", "VERSION", "PLUGIN", "LOADED", "OPEN CASES");
    json_array_foreach(list, i, v)
        printf("%-20s %7" JSON_INTEGER_FORMAT " %-14s %-7s %" JSON_INTEGER_FORMAT "\n",
               cli_str(v, "id"), json_integer_value(json_object_get(v, "version")),
               cli_str(v, "plugin"),
               json_is_true(json_object_get(v, "loaded")) ||
                       json_integer_value(json_object_get(v, "loaded")) > 0
                   ? "yes"
                   : "no",
               json_integer_value(json_object_get(v, "open_cases")));
}

static int run_workflow_list(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_workflows_list(c->site, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_workflows);
    return 0;
}

static int run_workflow_migrate(cli *c)
{
    int dry = cli_flag(c, "dry-run");
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    fr_error err = {0};
    fr_migration_plan_item *plan = NULL;
    int n = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_workflow_migrate(c->site, cli_arg(c, 0), dry, &plan, &n, &err))
        return cli_fail(c, &err);
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:I,s:s,s:s}", "case", (json_int_t)plan[i].case_id,
                                               "from", plan[i].from_state, "to",
                                               plan[i].to_state));
    free(plan);
    if (!c->json)
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *v = json_array_get(items, i);
            printf("case %" JSON_INTEGER_FORMAT ": %s → %s\n",
                   json_integer_value(json_object_get(v, "case")), cli_str(v, "from"),
                   cli_str(v, "to"));
        }
    if (!dry)
        cli_deliver(c);
    cli_ok(c, json_pack("{s:o}", "plan", items), "%d case%s %s", n, n == 1 ? "" : "s",
           dry ? "would move (dry run, nothing changed)" : "moved to the newest version");
    return 0;
}

const cli_command cli_workflow_commands[] = {
    {"workflow", "check", run_workflow_check, "FILE...",
     "check workflow definitions (XSD and meaning); errors give file:line"},
    {"workflow", "list", run_workflow_list, "", "workflow versions on this site"},
    {"workflow", "migrate", run_workflow_migrate, "WORKFLOW [--dry-run]",
     "move open cases to the newest version of a workflow"},
    {0},
};
