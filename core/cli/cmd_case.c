/* filrouge case …: opening cases, moving them through their workflow,
 * assigning them, and the case page's data. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "record.h"
#include "task.h"
#include "workflow.h"

static int run_case_open(cli *c)
{
    fr_case_new n = {0};
    char opened[11];
    n.workflow = cli_opt(c, "workflow");
    n.plugin = cli_opt(c, "plugin");
    n.manager = cli_opt(c, "manager");
    n.team = cli_opt(c, "team");
    n.model = cli_opt(c, "model");
    const char *intensity = cli_opt(c, "intensity"), *on = cli_opt(c, "on");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "PATIENT", &n.patient_id) ||
        (intensity && cli_int(c, intensity, "--intensity", CLI_ANY, &n.intensity)) ||
        cli_date(c, on, "--on", opened))
        return CLI_USAGE;
    n.opened_on = opened[0] ? opened : NULL;
    fr_error err = {0};
    int64_t id = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_case_open(c->site, &n, &id, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)id), "case %" PRId64 " opened (workflow %s)", id,
           n.workflow);
    return 0;
}

/* One note: when, who (a hook's or a plugin's said so), the text. */
static void print_note(json_t *v)
{
    char d[32];
    const char *origin = cli_str(v, "origin"), *author = cli_str(v, "author");
    /* a hook acts under its own name ("hook:site.x"), which says it */
    size_t n = strlen(origin);
    int say = strcmp(origin, "person") && (strncmp(author, origin, n) || author[n] != ':');
    printf("  %s  %s%s%s%s: ", cli_human_date(cli_str(v, "created_at"), d),
           cli_str(v, "author_name"), say ? " (" : "", say ? origin : "", say ? ")" : "");
    if (*cli_str(v, "contact_on"))
        printf("(contact on %s) ", cli_human_date(cli_str(v, "contact_on"), d));
    /* a note of several lines: the next ones indented under the first */
    for (const char *t = cli_str(v, "text"); *t; t++)
        if (*t == '\n')
            fputs("\n      ", stdout);
        else if (*t != '\r')
            putchar(*t);
    putchar('\n');
}

static void print_case(json_t *cs)
{
    char d1[32], d2[32];
    json_t *p = json_object_get(cs, "patient");
    printf("case %" JSON_INTEGER_FORMAT " — %s %s (patient %" JSON_INTEGER_FORMAT ", born %s)\n",
           json_integer_value(json_object_get(cs, "id")), cli_str(p, "family_name"),
           cli_str(p, "given_names"), json_integer_value(json_object_get(p, "id")),
           cli_human_date(cli_str(p, "birth_date"), d1));
    printf("  workflow   %s v%" JSON_INTEGER_FORMAT " (plugin %s)\n", cli_str(cs, "workflow"),
           json_integer_value(json_object_get(cs, "workflow_version")), cli_str(cs, "plugin"));
    printf("  state      %s since %s (%s)\n", cli_str(cs, "state"),
           cli_human_date(cli_str(cs, "state_since"), d1), cli_str(cs, "status"));
    printf("  opened     %s%s%s\n", cli_human_date(cli_str(cs, "opened_on"), d1),
           *cli_str(cs, "closed_on") ? ", closed " : "",
           cli_human_date(cli_str(cs, "closed_on"), d2));
    printf("  manager    %s%s%s\n", *cli_str(cs, "case_manager") ? cli_str(cs, "case_manager_name") : "(none)",
           *cli_str(cs, "team") ? ", team " : "", cli_str(cs, "team"));
    printf("  intensity  %" JSON_INTEGER_FORMAT "\n",
           json_integer_value(json_object_get(cs, "intensity")));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cs, "dates"), i, v)
        printf("  date       %s: %s\n", cli_str(v, "name"), cli_human_date(cli_str(v, "date"), d1));
    printf("network:\n");
    json_array_foreach(json_object_get(cs, "network"), i, v)
        printf("  %-8s %-24s %-20s %s%s\n", cli_str(v, "kind"), cli_str(v, "name"),
               *cli_str(v, "role") ? cli_str(v, "role") : cli_str(v, "relation"),
               cli_str(v, "organisation"),
               json_integer_value(json_object_get(v, "active")) ? "" : " (ended)");
    printf("timeline:\n");
    json_array_foreach(json_object_get(cs, "timeline"), i, v)
        printf("  %s  %-10s %s → %s  by %s%s%s\n", cli_human_date(cli_str(v, "effective_on"), d1),
               /* a migration is no step, even when the workflow has an
                * event of the same name (transitions.migration) */
               json_integer_value(json_object_get(v, "migration")) ? "(migration)"
                                                                   : cli_str(v, "event"),
               *cli_str(v, "from_state") ? cli_str(v, "from_state") : "·",
               cli_str(v, "to_state"), cli_str(v, "actor"), *cli_str(v, "note") ? " — " : "",
               cli_str(v, "note"));
    if (json_array_size(json_object_get(cs, "notes")) > 0)
        printf("notes:\n");
    json_array_foreach(json_object_get(cs, "notes"), i, v) print_note(v);
    printf("open tasks:\n");
    json_array_foreach(json_object_get(cs, "tasks"), i, v)
        printf("  %4" JSON_INTEGER_FORMAT "  due %-10s %s (%s)\n",
               json_integer_value(json_object_get(v, "id")),
               *cli_str(v, "due_on") ? cli_human_date(cli_str(v, "due_on"), d1) : "(no date)",
               cli_str(v, "title"), cli_str(v, "assignee"));
    printf("allowed now:");
    json_array_foreach(json_object_get(cs, "allowed_events"), i, v)
        printf(" %s", json_string_value(v));
    printf("\n");
}

static int run_case_show(cli *c)
{
    int64_t id;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_case_get(c->site, id, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_case);
    return 0;
}

/* filrouge case note: a person's note of a contact (a call, a visit),
 * signed by the acting user. */
static int run_case_note(cli *c)
{
    int64_t id;
    char on[11];
    const char *text = cli_opt(c, "text"), *on_text = cli_opt(c, "on");
    if (cli_check_args(c, 1, text ? 1 : 2) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_date(c, on_text, "--on", on))
        return CLI_USAGE;
    if (!text && !cli_arg(c, 1))
        return cli_usage(c, "say what the note is: filrouge case note CASE TEXT (or --text TEXT)");
    if (!text)
        text = cli_arg(c, 1);
    fr_error err = {0};
    int64_t nid = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_case_add_note_on(c->site, id, text, on[0] ? on : NULL, "person", NULL, &nid, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I,s:I}", "id", (json_int_t)nid, "case", (json_int_t)id),
           "note %" PRId64 " added to case %" PRId64, nid, id);
    return 0;
}

static void print_notes(json_t *list)
{
    size_t i;
    json_t *v;
    if (json_array_size(list) == 0)
        printf("no note\n");
    json_array_foreach(list, i, v) print_note(v);
}

static int run_case_notes(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_case_notes(c->site, id, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_notes);
    return 0;
}

static void print_cases(json_t *list)
{
    size_t i;
    json_t *v;
    if (json_array_size(list) == 0) {
        printf("no case\n");
        return;
    }
    printf("%5s  %-28s %-10s %-16s %-6s %3s %-12s %s\n", "CASE", "PATIENT", "PLUGIN", "STATE",
           "STATUS", "INT", "MANAGER", "NEXT DUE");
    json_array_foreach(list, i, v) {
        char name[128], d[32];
        snprintf(name, sizeof name, "%s %s", cli_str(v, "family_name"), cli_str(v, "given_names"));
        printf("%5" JSON_INTEGER_FORMAT "  %-28s %-10s %-16s %-6s %3" JSON_INTEGER_FORMAT
               " %-12s %s%s\n",
               json_integer_value(json_object_get(v, "id")), name, cli_str(v, "plugin"),
               cli_str(v, "state"), cli_str(v, "status"),
               json_integer_value(json_object_get(v, "intensity")), cli_str(v, "case_manager"),
               cli_human_date(cli_str(v, "next_due"), d),
               json_integer_value(json_object_get(v, "overdue")) ? " OVERDUE" : "");
    }
}

static int run_case_list(cli *c)
{
    fr_case_filter f = {0};
    f.manager = cli_opt(c, "manager");
    f.status = cli_opt(c, "status");
    f.plugin = cli_opt(c, "plugin");
    int mine = cli_flag(c, "mine");
    const char *l = cli_opt(c, "limit"), *o = cli_opt(c, "offset");
    if (cli_check_args(c, 0, 0) || (l && cli_int(c, l, "--limit", 1, 500, &f.limit)) ||
        (o && cli_int(c, o, "--offset", 0, 1 << 30, &f.offset)))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (mine)
        f.manager = c->site->actor;
    if (fr_case_list(c->site, &f, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_cases);
    return 0;
}

static int run_case_fire(cli *c)
{
    int64_t id;
    char on[11];
    const char *on_text = cli_opt(c, "on"), *note = cli_opt(c, "note");
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_date(c, on_text, "--on", on))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_workflow_fire(c->site, id, cli_arg(c, 1), on[0] ? on : NULL, note, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    json_t *cs = NULL;
    char *state = NULL;
    fr_store_query_text(c->site->store, &err, &state, "SELECT state FROM cases WHERE id = ?", "I",
                        id);
    cli_ok(c, json_pack("{s:I,s:s?}", "case", (json_int_t)id, "state", state),
           "case %" PRId64 ": %s → now in state %s", id, cli_arg(c, 1), state ? state : "?");
    free(state);
    json_decref(cs);
    return 0;
}

static int run_case_events(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    fr_error err = {0};
    char **events = NULL;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_workflow_allowed(c->site, id, &events, &err))
        return cli_fail(c, &err);
    json_t *list = json_array();
    for (char **e = events; e && *e; e++)
        json_array_append_new(list, json_string(*e));
    fr_strv_free(events);
    if (c->json) {
        cli_emit(c, list, NULL);
    } else {
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
            printf("%s\n", json_string_value(v));
        json_decref(list);
    }
    return 0;
}

static int run_case_assign(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_case_assign(c->site, id, cli_arg(c, 1), &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "case %" PRId64 " is now managed by %s", id, cli_arg(c, 1));
    return 0;
}

static int run_case_intensity(cli *c)
{
    int64_t id;
    int level;
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_int(c, cli_arg(c, 1), "LEVEL", CLI_ANY, &level))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_case_set_intensity(c->site, id, level, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "case %" PRId64 ": intensity %d", id, level);
    return 0;
}

static int run_case_model(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_case_set_model(c->site, id, cli_arg(c, 1), &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "case %" PRId64 ": model %s", id, *cli_arg(c, 1) ? cli_arg(c, 1) : "(none)");
    return 0;
}

static int close_or_reopen(cli *c, int reopen)
{
    int64_t id;
    char on[11];
    const char *on_text = cli_opt(c, "on"), *note = cli_opt(c, "note");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_date(c, on_text, "--on", on))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    int rc = reopen ? fr_case_reopen(c->site, id, on[0] ? on : NULL, note, &err)
                    : fr_case_close(c->site, id, on[0] ? on : NULL, note, &err);
    if (rc)
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "case %" PRId64 " %s", id, reopen ? "reopened" : "closed");
    return 0;
}

static int run_case_close(cli *c) { return close_or_reopen(c, 0); }
static int run_case_reopen(cli *c) { return close_or_reopen(c, 1); }

static int run_case_date(cli *c)
{
    int64_t id;
    char date[11];
    if (cli_check_args(c, 3, 3) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_date(c, cli_arg(c, 2), "DATE", date))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    int moved = 0;
    if (fr_case_set_date(c->site, id, cli_arg(c, 1), date, &moved, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c,
           json_pack("{s:I,s:s,s:s,s:i}", "case", (json_int_t)id, "name", cli_arg(c, 1), "date",
                     date, "tasks_moved", moved),
           "case %" PRId64 ": %s set to %s; %d task%s anchored on it moved with it", id,
           cli_arg(c, 1), cli_arg(c, 2), moved, moved == 1 ? "" : "s");
    return 0;
}

/* case opened-on and case last-step-on: a date corrected with a reason,
 * and how many of the step's tasks followed it. */
static int run_date_correction(cli *c, int last_step)
{
    int64_t id;
    char date[11];
    const char *reason = cli_opt(c, "reason");
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_date(c, cli_arg(c, 1), "DATE", date))
        return CLI_USAGE;
    if (!reason || !*reason)
        return cli_usage(c, last_step ? "say why the step's date is corrected: --reason TEXT (kept "
                                        "in the audit trail)"
                                      : "say why the opening date is corrected: --reason TEXT "
                                        "(kept in the audit trail)");
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    int moved = 0;
    if (last_step ? fr_case_set_last_step_on(c->site, id, date, reason, &moved, &err)
                  : fr_case_set_opened(c->site, id, date, reason, &moved, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I,s:s,s:i}", "case", (json_int_t)id, "on", date, "tasks_moved", moved),
           "case %" PRId64 ": %s on %s; %d task%s moved with it", id,
           last_step ? "last step" : "opened", cli_arg(c, 1), moved, moved == 1 ? "" : "s");
    return 0;
}

static int run_case_opened_on(cli *c)
{
    return run_date_correction(c, 0);
}

static int run_case_last_step_on(cli *c)
{
    return run_date_correction(c, 1);
}

static int run_case_view(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    fr_error err = {0};
    char *xml = NULL;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_workflow_case_xml(c->site, id, &xml, &err))
        return cli_fail(c, &err);
    if (c->json)
        cli_emit(c, json_pack("{s:s}", "xml", xml), NULL);
    else
        fputs(xml, stdout);
    free(xml);
    return 0;
}

const cli_command cli_case_commands[] = {
    {"case", "open", run_case_open,
     "PATIENT --workflow ID [--plugin ID] [--manager LOGIN] [--team NAME] [--intensity 1-4] "
     "[--model clinical|social|broker] [--on DD/MM/YYYY]",
     "open a case for a patient"},
    {"case", "show", run_case_show, "CASE",
     "a case: patient, state, network, timeline, notes, tasks, allowed events"},
    {"case", "list", run_case_list,
     "[--mine | --manager LOGIN] [--status open|closed] [--plugin ID] [--limit N] [--offset N]",
     "cases you may see, overdue first"},
    {"case", "fire", run_case_fire, "CASE EVENT [--on DD/MM/YYYY] [--note TEXT]",
     "fire a workflow event (a transition) on a case"},
    {"case", "note", run_case_note, "CASE TEXT | CASE --text TEXT [--on DD/MM/YYYY]",
     "add a note to a case (a call, a visit, what was said), signed by you; --on: the day of "
     "the contact it reports"},
    {"case", "notes", run_case_notes, "CASE",
     "the case's notes, oldest first: people's, hooks' and plugins' (audited)"},
    {"case", "events", run_case_events, "CASE", "the events the case's state allows now"},
    {"case", "assign", run_case_assign, "CASE LOGIN", "give the case to another case manager"},
    {"case", "intensity", run_case_intensity, "CASE LEVEL", "set the intensity level (1-4)"},
    {"case", "model", run_case_model, "CASE MODEL",
     "set the model of case management (clinical, social, broker)"},
    {"case", "close", run_case_close, "CASE [--on DD/MM/YYYY] [--note TEXT]",
     "close a case (the workflow's close event)"},
    {"case", "reopen", run_case_reopen, "CASE [--on DD/MM/YYYY] [--note TEXT]",
     "reopen a closed case (the workflow's reopen event)"},
    {"case", "view", run_case_view, "CASE",
     "the XML view of the case that workflow guards see (for workflow authors)"},
    {"case", "opened-on", run_case_opened_on, "CASE DD/MM/YYYY --reason TEXT",
     "correct the date the case really began (a case registered after the fact; the "
     "opening's untouched tasks follow; audited)"},
    {"case", "last-step-on", run_case_last_step_on, "CASE DD/MM/YYYY --reason TEXT",
     "correct the date of the case's last step (the one that led into its current state; its "
     "untouched tasks follow; audited)"},
    {"case", "date", run_case_date, "CASE NAME DD/MM/YYYY",
     "set a named date of the case (tasks anchored on it move)"},
    {0},
};
