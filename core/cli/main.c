/* filrouge: the command-line entry point (fr_main, called by the program's
 * main in filrouge.c). Finds the subcommand in the
 * tables of the cmd_*.c files, takes the global options (--site, --json,
 * --as, --break-glass) and runs it. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <filrouge/version.h>

#include "cli.h"

static const cli_command *const groups[] = {
    cli_site_commands,   cli_patient_commands, cli_case_commands,  cli_network_commands,
    cli_user_commands,   cli_task_commands,    cli_plugin_commands, cli_events_commands,
    cli_audit_commands,  cli_workflow_commands, cli_care_commands,
    cli_hooks_commands, cli_form_commands,
    cli_intake_commands, cli_serve_commands, NULL};

static void print_help(const char *group)
{
    int found = 0;
    if (!group) {
        printf("filrouge %s — case management for health and social care\n\n"
               "usage: filrouge [--site DIR] [--as LOGIN] [--json] COMMAND [ARGS]\n\n"
               "  --site DIR           the site folder (default: $FILROUGE_SITE, or .)\n"
               "  --as LOGIN           act as this user (default: $FILROUGE_USER, or the "
               "local administrator 'system')\n"
               "  --break-glass REASON open a case without a care relationship (audited)\n"
               "  --json               machine-readable output\n\n"
               "commands:\n",
               FR_VERSION_STRING);
    }
    for (int g = 0; groups[g]; g++)
        for (const cli_command *c = groups[g]; c->group; c++) {
            if (group && strcmp(group, c->group) != 0)
                continue;
            found = 1;
            char left[64];
            snprintf(left, sizeof left, "%s%s%s", c->group, c->name ? " " : "",
                     c->name ? c->name : "");
            if (group)
                printf("filrouge %s %s\n    %s\n", left, c->usage, c->summary);
            else
                printf("  %-18s %s\n", left, c->summary);
        }
    if (!group)
        printf("  %-18s %s\n  %-18s %s\n\nexit status: 0 success, 1 refused or invalid input, "
               "2 usage error\n",
               "help [COMMAND]", "this help, or the usage of one command", "version",
               "print the version");
    else if (!found)
        fprintf(stderr, "filrouge: no command '%s'; see `filrouge help`\n", group);
}

/* `--help` anywhere among a command's arguments (before `--`): its usage. */
static int asks_help(const cli *c)
{
    for (int i = 0; i < c->argc; i++) {
        if (strcmp(c->argv[i], "--") == 0)
            return 0;
        if (strcmp(c->argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int fr_main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    cli c = {0};
    c.argc = argc - 1;
    c.argv = argv + 1;
    c.site_dir = cli_opt(&c, "site");
    c.as = cli_opt(&c, "as");
    c.break_glass = cli_opt(&c, "break-glass");
    c.json = cli_flag(&c, "json");
    if (c.usage_error[0])
        return cli_usage(&c, "%s", c.usage_error);
    if (c.argc == 0 || strcmp(c.argv[0], "help") == 0 || strcmp(c.argv[0], "--help") == 0) {
        if (c.argc == 0) {
            print_help(NULL);
            return CLI_USAGE;
        }
        print_help(c.argc > 1 ? c.argv[1] : NULL);
        return 0;
    }
    if (strcmp(c.argv[0], "version") == 0 || strcmp(c.argv[0], "--version") == 0) {
        if (c.json)
            printf("{\"version\": \"%s\", \"abi\": %d}\n", FR_VERSION_STRING, FR_ABI_VERSION);
        else
            printf("filrouge %s (plugin ABI %d)\n", FR_VERSION_STRING, FR_ABI_VERSION);
        return 0;
    }
    const char *group = c.argv[0];
    const char *name = c.argc > 1 ? c.argv[1] : NULL;
    const cli_command *found = NULL, *group_found = NULL;
    for (int g = 0; groups[g] && !found; g++)
        for (const cli_command *cmd = groups[g]; cmd->group; cmd++) {
            if (strcmp(cmd->group, group) != 0)
                continue;
            group_found = cmd;
            if (!cmd->name || (name && strcmp(cmd->name, name) == 0)) {
                found = cmd;
                break;
            }
        }
    if (!found && group_found && name && strcmp(name, "--help") == 0) {
        print_help(group);
        return 0;
    }
    if (!found) {
        if (group_found) {
            fprintf(stderr, "filrouge: '%s %s' is not a command; the %s commands are:\n", group,
                    name ? name : "", group);
            print_help(group);
        } else {
            fprintf(stderr, "filrouge: '%s' is not a command; see `filrouge help`\n", group);
        }
        return CLI_USAGE;
    }
    c.command = found;
    int skip = found->name ? 2 : 1;
    c.argc -= skip;
    c.argv += skip;
    if (asks_help(&c)) {
        printf("filrouge %s%s%s %s\n    %s\n", found->group, found->name ? " " : "",
               found->name ? found->name : "", found->usage, found->summary);
        return 0;
    }
    int rc = found->run(&c);
    fr_site_close(c.site);
    return rc;
}
