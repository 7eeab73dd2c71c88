/* filrouge user … and team …: accounts and teams (administrators). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "record.h"

static int run_user_add(cli *c)
{
    fr_user_new u = {0};
    u.display_name = cli_opt(c, "name");
    u.role = cli_opt(c, "role");
    u.language = cli_opt(c, "language");
    const char *cap = cli_opt(c, "capacity");
    if (cli_check_args(c, 1, 1) || (cap && cli_int(c, cap, "--capacity", CLI_ANY, &u.capacity)))
        return CLI_USAGE;
    u.login = cli_arg(c, 0);
    fr_error err = {0};
    int64_t id = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_user_add(c->site, &u, &id, &err))
        return cli_fail(c, &err);
    cli_ok(c, json_pack("{s:I,s:s}", "id", (json_int_t)id, "login", u.login), "user %s added (%s)",
           u.login, u.role ? u.role : "case_manager");
    return 0;
}

static int run_user_edit(cli *c)
{
    fr_user_change u = {0};
    u.display_name = cli_opt(c, "name");
    u.role = cli_opt(c, "role");
    u.language = cli_opt(c, "language");
    const char *cap = cli_opt(c, "capacity");
    u.has_capacity = cap != NULL;
    if (cli_check_args(c, 1, 1) || (cap && cli_int(c, cap, "--capacity", CLI_ANY, &u.capacity)))
        return CLI_USAGE;
    if (!u.display_name && !u.role && !u.language && !cap)
        return cli_usage(c, "say what to change: --name, --role, --language or --capacity");
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_user_edit(c->site, cli_arg(c, 0), &u, &err))
        return cli_fail(c, &err);
    cli_ok(c, json_pack("{s:s}", "login", cli_arg(c, 0)), "user %s changed", cli_arg(c, 0));
    return 0;
}

/* The password comes from standard input (one line), never from the
 * command line where other users could read it in the process list. On a
 * terminal, echo is turned off. */
static int run_user_passwd(cli *c)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    char line[1100];
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "new password for %s: ", cli_arg(c, 0));
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    char *got = fgets(line, sizeof line, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fputc('\n', stderr);
    }
    if (!got)
        return cli_usage(c, "no password on standard input");
    line[strcspn(line, "\r\n")] = '\0';
    fr_error err = {0};
    int rc = CLI_REFUSED;
    if (cli_open(c) == 0) {
        if (fr_user_set_password(c->site, cli_arg(c, 0), line, &err))
            rc = cli_fail(c, &err);
        else {
            cli_ok(c, NULL, "password of %s set", cli_arg(c, 0));
            rc = 0;
        }
    }
    explicit_bzero(line, sizeof line);
    return rc;
}

/* user deactivate / user activate LOGIN */
static int set_active(cli *c, int active)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    fr_error err = {0};
    int64_t cases = 0, tasks = 0;
    const char *login = cli_arg(c, 0);
    if (fr_user_set_active(c->site, login, active, &cases, &tasks, &err))
        return cli_fail(c, &err);
    json_t *out = json_pack("{s:s,s:b,s:I,s:I}", "login", login, "active", active, "open_cases",
                            (json_int_t)cases, "open_tasks", (json_int_t)tasks);
    if (active || (cases == 0 && tasks == 0))
        cli_ok(c, out, "%s %s", login,
               active ? "can log in again (their API tokens and calendar feed work again)"
                      : "deactivated: cannot log in; sessions ended, tokens stopped");
    else
        cli_ok(c, out,
               "%s deactivated: cannot log in; sessions ended, tokens stopped.\n"
               "still theirs: %" PRId64 " open case(s), %" PRId64 " open task(s); reassign them "
               "(`filrouge case list --manager %s`, `filrouge case assign CASE LOGIN`, "
               "`filrouge task list --assignee %s`)",
               login, cases, tasks, login, login);
    return 0;
}

static int run_user_deactivate(cli *c)
{
    return set_active(c, 0);
}

static int run_user_activate(cli *c)
{
    return set_active(c, 1);
}

static void print_users(json_t *users)
{
    size_t i;
    json_t *u;
    printf("%-16s %-28s %-13s %-4s %6s %5s  %s\n", "LOGIN", "NAME", "ROLE", "LANG", "CASES",
           "LOAD", "TEAMS");
    json_array_foreach(users, i, u) {
        json_t *cap = json_object_get(u, "capacity");
        char load[32];
        double l = json_number_value(json_object_get(u, "load"));
        if (json_is_number(cap) && json_number_value(cap) > 0)
            snprintf(load, sizeof load, "%g/%g", l, json_number_value(cap));
        else
            snprintf(load, sizeof load, "%g", l);
        printf("%-16s %-28s %-13s %-4s %6" JSON_INTEGER_FORMAT " %5s  %s%s\n", cli_str(u, "login"),
               cli_str(u, "display_name"), cli_str(u, "role"), cli_str(u, "language"),
               json_integer_value(json_object_get(u, "open_cases")), load, cli_str(u, "teams"),
               json_integer_value(json_object_get(u, "active")) ? "" : " (inactive)");
    }
}

static int run_user_list(cli *c)
{
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_user_list(c->site, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_users);
    return 0;
}

static int run_team_add(cli *c)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    fr_error err = {0};
    int64_t id = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_team_add(c->site, cli_arg(c, 0), &id, &err))
        return cli_fail(c, &err);
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)id), "team %s added", cli_arg(c, 0));
    return 0;
}

static int run_team_join(cli *c)
{
    if (cli_check_args(c, 2, 2))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_team_add_member(c->site, cli_arg(c, 0), cli_arg(c, 1), &err))
        return cli_fail(c, &err);
    cli_ok(c, NULL, "%s joined team %s", cli_arg(c, 1), cli_arg(c, 0));
    return 0;
}

static int run_team_leave(cli *c)
{
    if (cli_check_args(c, 2, 2))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_team_remove_member(c->site, cli_arg(c, 0), cli_arg(c, 1), &err))
        return cli_fail(c, &err);
    cli_ok(c, NULL, "%s left team %s", cli_arg(c, 1), cli_arg(c, 0));
    return 0;
}

static void print_teams(json_t *teams)
{
    size_t i;
    json_t *t;
    printf("%-24s %6s  %s\n", "TEAM", "CASES", "MEMBERS");
    json_array_foreach(teams, i, t)
        printf("%-24s %6" JSON_INTEGER_FORMAT "  %s\n", cli_str(t, "name"),
               json_integer_value(json_object_get(t, "open_cases")), cli_str(t, "members"));
}

static int run_team_list(cli *c)
{
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_team_list(c->site, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_teams);
    return 0;
}

const cli_command cli_user_commands[] = {
    {"user", "add", run_user_add,
     "LOGIN --name 'DISPLAY NAME' [--role admin|case_manager|provider|read_only] [--language "
     "fr|nl|de|en] [--capacity N]",
     "add a user (administrators)"},
    {"user", "edit", run_user_edit,
     "LOGIN [--name TEXT] [--role admin|case_manager|provider|read_only] [--language fr|nl|de|en] "
     "[--capacity N]",
     "change a user's name, role, language or caseload capacity (administrators; a case "
     "manager's open cases are handed over before a provider or read-only role)"},
    {"user", "passwd", run_user_passwd, "LOGIN",
     "set a user's password for the web application (read from standard input)"},
    {"user", "list", run_user_list, "", "list users with their caseload against their capacity"},
    {"user", "deactivate", run_user_deactivate, "LOGIN",
     "stop a user's access: no login, sessions ended, API tokens and calendar feed stopped; "
     "their cases stay theirs until reassigned (administrators; audited)"},
    {"user", "activate", run_user_activate, "LOGIN",
     "give a deactivated user their access back (administrators; audited)"},
    {"team", "add", run_team_add, "NAME", "add a team (administrators)"},
    {"team", "join", run_team_join, "TEAM LOGIN", "put a user in a team"},
    {"team", "leave", run_team_leave, "TEAM LOGIN",
     "take a user out of a team (they no longer reach its cases through it)"},
    {"team", "list", run_team_list, "", "list teams and their members"},
    {0},
};
