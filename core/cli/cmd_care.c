/* filrouge careplan …, referral …, meeting …, caseload and case level:
 * what every specialty shares around a case (core/care.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care.h"
#include "cli.h"

/* ---- caseload and the pyramid ---- */

static void print_caseload(json_t *list)
{
    size_t i;
    json_t *v;
    printf("%-14s %-26s %5s %6s %8s %6s %s\n", "LOGIN", "NAME", "CASES", "LOAD", "CAPACITY",
           "RATIO", "OVERDUE");
    json_array_foreach(list, i, v) {
        double ratio = json_real_value(json_object_get(v, "ratio"));
        double capacity = json_real_value(json_object_get(v, "capacity"));
        char cap[16] = "—", pct[16] = "—";
        int dash = 2; /* "—" is 3 bytes wide for printf, one column */
        /* no capacity (an administrator who manages no case): no ratio */
        if (capacity > 0) {
            snprintf(cap, sizeof cap, "%.0f", capacity);
            snprintf(pct, sizeof pct, "%.0f%%", ratio * 100);
            dash = 0;
        }
        printf("%-14s %-26s %5" JSON_INTEGER_FORMAT " %6.1f %*s %*s %" JSON_INTEGER_FORMAT "%s\n",
               cli_str(v, "login"), cli_str(v, "display_name"),
               json_integer_value(json_object_get(v, "open_cases")),
               json_real_value(json_object_get(v, "load")), 8 + dash, cap, 6 + dash, pct,
               json_integer_value(json_object_get(v, "overdue_tasks")),
               ratio > 1 ? "  OVER CAPACITY" : "");
    }
}

static int run_caseload(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_caseload(c->site, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_caseload);
    return 0;
}

static int run_case_level(cli *c)
{
    int64_t id;
    int level;
    const char *reason = cli_opt(c, "reason");
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_int(c, cli_arg(c, 1), "LEVEL", CLI_ANY, &level))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_case_set_pyramid(c->site, id, level, reason, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "case %" PRId64 ": level %d of the pyramid", id, level);
    return 0;
}

/* ---- the care plan ---- */

static void print_plan(json_t *p)
{
    size_t i, j;
    json_t *g, *a;
    char d[32];
    json_t *goals = json_object_get(p, "goals"), *actions = json_object_get(p, "actions");
    printf("care plan of case %" JSON_INTEGER_FORMAT "\n",
           json_integer_value(json_object_get(p, "case_id")));
    json_array_foreach(goals, i, g) {
        printf("  goal %" JSON_INTEGER_FORMAT ": %s%s%s\n",
               json_integer_value(json_object_get(g, "id")), cli_str(g, "title"),
               strcmp(cli_str(g, "status"), "open") ? " — " : "",
               strcmp(cli_str(g, "status"), "open") ? cli_str(g, "status") : "");
        json_array_foreach(actions, j, a)
            if (json_integer_value(json_object_get(a, "goal_id")) ==
                json_integer_value(json_object_get(g, "id")))
                printf("    action %" JSON_INTEGER_FORMAT ": %s — %s, due %s (%s)\n",
                       json_integer_value(json_object_get(a, "id")), cli_str(a, "title"),
                       cli_str(a, "responsible"), cli_human_date(cli_str(a, "due_on"), d),
                       cli_str(a, "status"));
    }
    json_array_foreach(actions, j, a)
        if (!json_is_integer(json_object_get(a, "goal_id")))
            printf("  action %" JSON_INTEGER_FORMAT ": %s — %s, due %s (%s%s)\n",
                   json_integer_value(json_object_get(a, "id")), cli_str(a, "title"),
                   cli_str(a, "responsible"), cli_human_date(cli_str(a, "due_on"), d),
                   cli_str(a, "status"),
                   strcmp(cli_str(a, "origin"), "meeting") ? "" : ", decided in a meeting");
    json_t *ap = json_object_get(p, "approval");
    if (json_is_object(ap))
        printf("approved by %s (%s) on %s\n", cli_str(ap, "approved_by"), cli_str(ap, "how"),
               cli_human_date(cli_str(ap, "approved_on"), d));
    if (json_is_true(json_object_get(p, "needs_approval")))
        printf("the plan changed since its last approval: the person's approval is needed\n");
}

static int run_careplan_show(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_care_plan_get(c->site, id, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_plan);
    return 0;
}

static int run_careplan_goal(cli *c)
{
    int64_t id, gid = 0;
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_care_goal_add(c->site, id, cli_arg(c, 1), &gid, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)gid), "goal %" PRId64 " added", gid);
    return 0;
}

static int run_careplan_close(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "GOAL", &id))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_care_goal_close(c->site, id, cli_arg(c, 1), &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "goal %" PRId64 " %s", id, cli_arg(c, 1));
    return 0;
}

static int run_careplan_action(cli *c)
{
    fr_action_new a = {0};
    char due[11];
    const char *goal = cli_opt(c, "goal"), *member = cli_opt(c, "member"),
               *due_text = cli_opt(c, "due");
    a.responsible = cli_opt(c, "responsible");
    a.user = cli_opt(c, "user");
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &a.case_id) ||
        (goal && cli_id(c, goal, "--goal", &a.goal_id)) ||
        (member && cli_id(c, member, "--member", &a.member_id)) ||
        cli_date(c, due_text, "--due", due))
        return CLI_USAGE;
    a.title = cli_arg(c, 1);
    a.due_on = due[0] ? due : NULL;
    fr_error err = {0};
    int64_t id = 0;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_care_action_add(c->site, &a, &id, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)id), "action %" PRId64 " added%s", id,
           a.due_on ? " (and its task on the échéancier)" : "");
    return 0;
}

static int run_careplan_done(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "ACTION", &id))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_care_action_done(c->site, id, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "action %" PRId64 " done", id);
    return 0;
}

static int run_careplan_approve(cli *c)
{
    int64_t id;
    char on[11];
    const char *by = cli_opt(c, "by"), *how = cli_opt(c, "how"), *note = cli_opt(c, "note"),
               *on_text = cli_opt(c, "on");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_date(c, on_text, "--on", on))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_care_plan_approve(c->site, id, by, how ? how : "signed", on[0] ? on : NULL, note,
                             &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "the care plan of case %" PRId64 " is approved by %s", id, by);
    return 0;
}

/* ---- referrals ---- */

static int run_referral_add(cli *c)
{
    int64_t id, rid = 0;
    char sent[11];
    const char *to = cli_opt(c, "to"), *reason = cli_opt(c, "reason"),
               *follow = cli_opt(c, "follow-up"), *sent_text = cli_opt(c, "sent");
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "CASE", &id) ||
        cli_date(c, sent_text, "--sent", sent))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_referral_add(c->site, id, cli_arg(c, 1), to, reason, follow, sent[0] ? sent : NULL, &rid,
                        &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)rid),
           "referral %" PRId64 " sent; a follow-up task waits for the answer", rid);
    return 0;
}

static int run_referral_answer(cli *c)
{
    int64_t id;
    char on[11];
    const char *on_text = cli_opt(c, "on");
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "REFERRAL", &id) ||
        cli_date(c, on_text, "--on", on))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_referral_answer(c->site, id, cli_arg(c, 1), on[0] ? on : NULL, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, NULL, "referral %" PRId64 " answered", id);
    return 0;
}

static void print_referrals(json_t *list)
{
    size_t i;
    json_t *v;
    char d1[32], d2[32];
    if (json_array_size(list) == 0) {
        printf("no referral\n");
        return;
    }
    json_array_foreach(list, i, v)
        printf("%4" JSON_INTEGER_FORMAT "  case %-4" JSON_INTEGER_FORMAT
               " %-18s %-20s sent %s  %s %s%s\n",
               json_integer_value(json_object_get(v, "id")),
               json_integer_value(json_object_get(v, "case_id")), cli_str(v, "specialty"),
               cli_str(v, "to_name"), cli_human_date(cli_str(v, "sent_on"), d1),
               cli_str(v, "status"),
               strcmp(cli_str(v, "status"), "sent") ? cli_human_date(cli_str(v, "answered_on"), d2)
                                                    : cli_human_date(cli_str(v, "follow_up_on"), d2),
               json_integer_value(json_object_get(v, "late")) ? "  LATE" : "");
}

static int run_referral_list(cli *c)
{
    int64_t id = 0;
    const char *cs = cli_opt(c, "case");
    if (cli_check_args(c, 0, 0) || (cs && cli_id(c, cs, "--case", &id)))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_referral_list(c->site, id, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_referrals);
    return 0;
}

/* ---- meetings ---- */

#define MAX_PARTICIPANTS 32

/* --participant "NAME;ROLE[;absent]" and --member "ID;ROLE[;absent]" */
static int parse_participant(cli *c, const char *text, int member, fr_participant *p, char **buf)
{
    *buf = strdup(text);
    char *save = NULL;
    char *first = strtok_r(*buf, ";", &save), *role = strtok_r(NULL, ";", &save),
         *flag = strtok_r(NULL, ";", &save);
    if (!first || !role)
        return cli_usage(c, "--%s '%s': write %s;ROLE[;absent]", member ? "member" : "participant",
                         text, member ? "ID" : "NAME");
    p->role = role;
    p->present = !(flag && strcmp(flag, "absent") == 0);
    if (member)
        return cli_id(c, first, "--member", &p->member_id);
    p->name = first;
    return 0;
}

static int run_meeting_add(cli *c)
{
    fr_meeting_new m = {0};
    fr_participant parts[MAX_PARTICIPANTS];
    char *bufs[MAX_PARTICIPANTS] = {0};
    char held[11];
    const char *cs = cli_opt(c, "case"), *held_text = cli_opt(c, "on");
    m.kind = cli_opt(c, "kind");
    m.place = cli_opt(c, "place");
    m.minutes = cli_opt(c, "minutes");
    m.convergences = cli_opt(c, "convergences");
    m.divergences = cli_opt(c, "divergences");
    int rc = 0;
    const char *t;
    for (int member = 0; member < 2 && !rc; member++)
        while (!rc && (t = cli_opt(c, member ? "member" : "participant")) != NULL) {
            if (m.nparticipants == MAX_PARTICIPANTS) {
                rc = cli_usage(c, "at most %d participants", MAX_PARTICIPANTS);
                break;
            }
            memset(&parts[m.nparticipants], 0, sizeof parts[0]);
            rc = parse_participant(c, t, member, &parts[m.nparticipants], &bufs[m.nparticipants]);
            m.nparticipants++;
        }
    if (rc || cli_check_args(c, 0, 0) || (cs && cli_id(c, cs, "--case", &m.case_id)) ||
        cli_date(c, held_text, "--on", held)) {
        rc = CLI_USAGE;
        goto out;
    }
    m.held_on = held[0] ? held : NULL;
    m.participants = parts;
    fr_error err = {0};
    int64_t id = 0;
    if ((rc = cli_open(c)))
        goto out;
    if (fr_meeting_add(c->site, &m, &id, &err)) {
        rc = cli_fail(c, &err);
        goto out;
    }
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)id), "meeting %" PRId64 " recorded", id);
out:
    for (int i = 0; i < m.nparticipants; i++)
        free(bufs[i]);
    return rc;
}

static int run_meeting_decide(cli *c)
{
    int64_t id, aid = 0;
    char due[11];
    const char *responsible = cli_opt(c, "responsible"), *user = cli_opt(c, "user"),
               *due_text = cli_opt(c, "due");
    if (cli_check_args(c, 2, 2) || cli_id(c, cli_arg(c, 0), "MEETING", &id) ||
        cli_date(c, due_text, "--due", due))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_meeting_decide(c->site, id, cli_arg(c, 1), responsible, user, due[0] ? due : NULL,
                          &aid, &err))
        return cli_fail(c, &err);
    cli_deliver(c);
    cli_ok(c, json_pack("{s:I}", "action", (json_int_t)aid),
           "decision recorded as action %" PRId64 " of the care plan", aid);
    return 0;
}

static void print_meeting(json_t *m)
{
    size_t i;
    json_t *v;
    char d[32];
    printf("%s %" JSON_INTEGER_FORMAT " on %s%s%s\n", cli_str(m, "kind"),
           json_integer_value(json_object_get(m, "id")),
           cli_human_date(cli_str(m, "held_on"), d), *cli_str(m, "place") ? " at " : "",
           cli_str(m, "place"));
    printf("participants:\n");
    json_array_foreach(json_object_get(m, "participants"), i, v)
        printf("  %-24s %-20s %s\n", cli_str(v, "name"), cli_str(v, "role"),
               json_integer_value(json_object_get(v, "present")) ? "present" : "absent");
    if (*cli_str(m, "minutes"))
        printf("minutes: %s\n", cli_str(m, "minutes"));
    if (*cli_str(m, "convergences"))
        printf("convergences: %s\n", cli_str(m, "convergences"));
    if (*cli_str(m, "divergences"))
        printf("divergences: %s\n", cli_str(m, "divergences"));
    printf("decisions:\n");
    json_array_foreach(json_object_get(m, "decisions"), i, v)
        printf("  %4" JSON_INTEGER_FORMAT "  %s — %s, due %s (%s)\n",
               json_integer_value(json_object_get(v, "id")), cli_str(v, "title"),
               cli_str(v, "responsible"), cli_human_date(cli_str(v, "due_on"), d),
               cli_str(v, "status"));
    json_t *f = json_object_get(m, "to_follow_up");
    if (json_array_size(f))
        printf("to follow up from earlier meetings:\n");
    json_array_foreach(f, i, v)
        printf("  %4" JSON_INTEGER_FORMAT "  %s — %s, due %s\n",
               json_integer_value(json_object_get(v, "id")), cli_str(v, "title"),
               cli_str(v, "responsible"), cli_human_date(cli_str(v, "due_on"), d));
}

static int run_meeting_show(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "MEETING", &id))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_meeting_get(c->site, id, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_meeting);
    return 0;
}

static void print_meetings(json_t *list)
{
    size_t i;
    json_t *v;
    char d[32];
    json_array_foreach(list, i, v)
        printf("%4" JSON_INTEGER_FORMAT "  %s  %-13s %" JSON_INTEGER_FORMAT
               " present, %" JSON_INTEGER_FORMAT " decisions\n",
               json_integer_value(json_object_get(v, "id")),
               cli_human_date(cli_str(v, "held_on"), d), cli_str(v, "kind"),
               json_integer_value(json_object_get(v, "present")),
               json_integer_value(json_object_get(v, "decisions")));
}

static int run_meeting_list(cli *c)
{
    int64_t id;
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "CASE", &id))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_meeting_list(c->site, id, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_meetings);
    return 0;
}

const cli_command cli_care_commands[] = {
    {"caseload", NULL, run_caseload, "",
     "each case manager's load (cases weighted by intensity) against capacity"},
    {"case", "level", run_case_level, "CASE 1|2|3 [--reason TEXT]",
     "set the case's level on the Kaiser pyramid (a reason when it differs from the rules)"},
    {"careplan", "show", run_careplan_show, "CASE", "goals, actions and the person's approval"},
    {"careplan", "goal", run_careplan_goal, "CASE TITLE", "add a goal to the plan"},
    {"careplan", "close", run_careplan_close, "GOAL achieved|dropped", "close a goal"},
    {"careplan", "action", run_careplan_action,
     "CASE TITLE [--goal GOAL] (--responsible NAME | --user LOGIN | --member ID) "
     "[--due DD/MM/YYYY]",
     "add an action: who does what by when (a task on the échéancier)"},
    {"careplan", "done", run_careplan_done, "ACTION", "mark an action done"},
    {"careplan", "approve", run_careplan_approve,
     "CASE --by NAME [--how signed|oral|representative] [--on DD/MM/YYYY] [--note TEXT]",
     "record the person's approval of the plan as it stands"},
    {"referral", "add", run_referral_add,
     "CASE SPECIALTY --reason TEXT [--to NAME] [--follow-up P14D] [--sent DD/MM/YYYY]",
     "refer the person to a specialist (sent today unless --sent); followed up until answered"},
    {"referral", "answer", run_referral_answer, "REFERRAL ANSWER [--on DD/MM/YYYY]",
     "record the specialist's answer"},
    {"referral", "list", run_referral_list, "[--case CASE]",
     "unanswered referrals (or all of one case)"},
    {"meeting", "add", run_meeting_add,
     "[--case CASE] [--kind concertation|intervision] [--on DD/MM/YYYY] [--place P] "
     "[--participant 'NAME;ROLE[;absent]']... [--member 'ID;ROLE[;absent]']... [--minutes T] "
     "[--convergences T] [--divergences T]",
     "record a meeting and who was there"},
    {"meeting", "decide", run_meeting_decide,
     "MEETING DECISION (--responsible NAME | --user LOGIN) [--due DD/MM/YYYY]",
     "a decision of the meeting, tracked as an action of the plan"},
    {"meeting", "show", run_meeting_show, "MEETING",
     "participants, decisions, and what earlier meetings left to follow up"},
    {"meeting", "list", run_meeting_list, "CASE", "a case's meetings"},
    {0},
};
