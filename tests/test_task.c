/* Tasks: fixed and anchored due dates, anchored tasks following their date
 * unless someone acted on them, marking done, the tick (task.due and
 * task.overdue once each, recurring timer tasks) driven by FILROUGE_NOW,
 * and who sees which tasks. */
#include <jansson.h>

#include "case_fixture.h"
#include "task.h"

static void at(const char *now)
{
    setenv("FILROUGE_NOW", now, 1);
}

/* The bus is written in parallel with this part: outbox rows are checked
 * only once fr_bus_publish writes them. */
static int bus_writes_outbox(fr_site *site)
{
    return fixture_int(site, "SELECT count(*) FROM outbox WHERE topic = 'task.created' AND ? > 0",
                       1) > 0;
}

static int64_t new_task(fr_site *site, int64_t case_id, const char *title, const char *due,
                        const char *anchor, const char *offset)
{
    fr_error err = {0};
    fr_task_new t = {.case_id = case_id,
                     .title = title,
                     .due_on = due,
                     .anchor = anchor,
                     .offset = offset,
                     .origin = "person"};
    int64_t id = 0;
    CHECK_OK(fr_task_create(site, &t, &id, &err), &err);
    CHECK(id > 0);
    return id;
}

static void fixed_and_anchored_due_dates(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("create");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t anne = fixture_user(site, "anne", "case_manager");
    int64_t c = fixture_case(site, "frailty", 1, anne, "2026-03-01");
    int64_t fixed = new_task(site, c, "Phone the GP", "2026-03-12", NULL, NULL);
    CHECK_STR(fixture_text(site,
                           "SELECT due_on || ':' || assignee_id || ':' || created_by FROM"
                           " tasks WHERE id = ?",
                           fixed),
              "2026-03-12:1:system");
    int64_t anchored =
        new_task(site, c, "Plan the end-of-treatment visit", NULL, "treatment_end", "-P14D");
    CHECK_STR(
        fixture_text(site, "SELECT coalesce(due_on, 'none') FROM tasks WHERE id = ?", anchored),
        "none");
    CHECK_OK(fr_case_set_date(site, c, "treatment_end", "2026-04-30", NULL, &err), &err);
    CHECK_STR(fixture_text(site, "SELECT due_on FROM tasks WHERE id = ?", anchored), "2026-04-16");
    /* Created after the date is known: computed at once. */
    int64_t later = new_task(site, c, "Call after the end", NULL, "treatment_end", "P1M");
    CHECK_STR(fixture_text(site, "SELECT due_on FROM tasks WHERE id = ?", later), "2026-05-30");
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM audit WHERE object_type = 'task' AND"
                      " action = 'create' AND object_id = CAST(? AS TEXT)",
                      later) == 1);
    if (bus_writes_outbox(site))
        CHECK(fixture_int(site,
                          "SELECT count(*) FROM outbox WHERE topic = 'task.created'"
                          " AND case_id = ?",
                          c) == 4);

    int64_t id = 0;
    fr_task_new bad = {.case_id = c, .title = "x", .due_on = "tomorrow", .origin = "person"};
    CHECK_ERR(fr_task_create(site, &bad, &id, &err), FR_EINVAL, &err, "date must be YYYY-MM-DD");
    fr_task_new bad2 = {.case_id = c, .title = "x", .offset = "P1D", .origin = "person"};
    CHECK_ERR(fr_task_create(site, &bad2, &id, &err), FR_EINVAL, &err, "needs an anchor");
    fr_task_new bad3 = {.case_id = c, .title = "x", .origin = "oracle"};
    CHECK_ERR(fr_task_create(site, &bad3, &id, &err), FR_EINVAL, &err, "origin 'oracle'");
    fr_task_new bad4 = {.case_id = 999, .title = "x", .origin = "person"};
    CHECK_ERR(fr_task_create(site, &bad4, &id, &err), FR_ENOTFOUND, &err, "no case 999");
    CHECK(fr_store_depth(site->store) == 0);
    /* A task about no case is possible (assignee given or none). */
    fr_task_new free_task = {
        .title = "Team meeting", .due_on = "2026-03-20", .origin = "person", .assignee_id = anne};
    CHECK_OK(fr_task_create(site, &free_task, &id, &err), &err);
    CHECK_STR(fixture_text(site, "SELECT coalesce(CAST(case_id AS TEXT), 'none') FROM tasks WHERE id = ?", id),
              "none");
    fr_site_close(site);
}

static void a_moved_date_moves_only_untouched_tasks(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("setdate");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_case_set_date(site, c, "treatment_end", "2026-04-30", NULL, &err), &err);
    int64_t untouched = new_task(site, c, "Visit", NULL, "treatment_end", "-P7D");
    int64_t acted = new_task(site, c, "Rescheduled by hand", NULL, "treatment_end", "-P7D");
    int64_t done = new_task(site, c, "Already done", NULL, "treatment_end", NULL);
    int64_t other = new_task(site, c, "Other anchor", NULL, "plan_approved", NULL);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "UPDATE tasks SET acted = 1, due_on = '2026-04-01' WHERE id = ?", "I",
                            acted),
             &err);
    CHECK_OK(fr_task_done(site, done, &err), &err);
    int moved = -1;
    CHECK_OK(fr_case_set_date(site, c, "treatment_end", "2026-05-31", &moved, &err), &err);
    CHECK(moved == 1); /* the untouched task only */
    CHECK_STR(fixture_text(site, "SELECT due_on FROM tasks WHERE id = ?", untouched), "2026-05-24");
    CHECK_STR(fixture_text(site, "SELECT due_on FROM tasks WHERE id = ?", acted), "2026-04-01");
    CHECK_STR(fixture_text(site, "SELECT due_on FROM tasks WHERE id = ?", done), "2026-04-30");
    CHECK_STR(fixture_text(site, "SELECT coalesce(due_on, 'none') FROM tasks WHERE id = ?", other),
              "none");
    CHECK_STR(fixture_text(site, "SELECT date FROM case_dates WHERE case_id = ?", c), "2026-05-31");
    CHECK_STR(fixture_text(site,
                           "SELECT detail FROM audit WHERE action = 'update' AND"
                           " object_type = 'case' AND object_id = CAST(? AS TEXT)"
                           " ORDER BY id DESC",
                           c),
              "{\"date\":\"treatment_end\",\"value\":\"2026-05-31\",\"previous\":\"2026-04-30\","
              "\"tasks_moved\":[2]}");
    CHECK_ERR(fr_case_set_date(site, c, "treatment_end", "31/05/2026", NULL, &err), FR_EINVAL, &err,
              "date must be YYYY-MM-DD");
    CHECK_ERR(fr_case_set_date(site, c, "treatment_end", "2026-02-30", NULL, &err), FR_EINVAL, &err,
              "date must be YYYY-MM-DD");
    fr_site_close(site);
}

static void done_once(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("done");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    int64_t t = new_task(site, c, "Phone the GP", "2026-03-12", NULL, NULL);
    CHECK_OK(fr_task_done(site, t, &err), &err);
    CHECK_STR(fixture_text(site,
                           "SELECT status || ':' || done_by || ':' || done_at || ':' || acted"
                           " FROM tasks WHERE id = ?",
                           t),
              "done:system:2026-03-10T09:00:00Z:1");
    CHECK_ERR(fr_task_done(site, t, &err), FR_ECONFLICT, &err,
              "is already done (by system at 2026-03-10T09:00:00Z)");
    CHECK_ERR(fr_task_done(site, 4242, &err), FR_ENOTFOUND, &err, "no task 4242");
    CHECK(fixture_int(site, "SELECT count(*) FROM audit WHERE action = 'done' AND ? > 0", 1) == 1);
    fr_site_close(site);
}

static void tick_announces_due_and_overdue_once(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("tick");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-09");
    /* The referral task (due 2026-03-11) and two of ours. */
    int64_t today = new_task(site, c, "Today", "2026-03-10", NULL, NULL);
    int64_t tomorrow = new_task(site, c, "Tomorrow", "2026-03-11", NULL, NULL);
    new_task(site, c, "No date", NULL, "plan_approved", NULL);
    fr_tick_stats s = {0};
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.due == 1 && s.overdue == 0 && s.timers == 0);
    CHECK(fixture_int(site, "SELECT due_emitted FROM tasks WHERE id = ?", today) == 1);
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.due == 0 && s.overdue == 0);

    at("2026-03-11T07:00:00Z");
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.due == 2 && s.overdue == 1); /* tomorrow + referral due; today overdue */
    CHECK(fixture_int(site, "SELECT overdue_emitted FROM tasks WHERE id = ?", today) == 1);
    CHECK(fixture_int(site, "SELECT overdue_emitted FROM tasks WHERE id = ?", tomorrow) == 0);
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.due == 0 && s.overdue == 0);
    if (bus_writes_outbox(site)) {
        CHECK(fixture_int(site,
                          "SELECT count(*) FROM outbox WHERE topic = 'task.due'"
                          " AND case_id = ?",
                          c) == 3);
        CHECK(fixture_int(site,
                          "SELECT count(*) FROM outbox WHERE topic = 'task.overdue'"
                          " AND case_id = ?",
                          c) == 1);
    }
    /* A done task is never announced. */
    CHECK_OK(fr_task_done(site, tomorrow, &err), &err);
    at("2026-03-12T07:00:00Z");
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.due == 0 && s.overdue == 1); /* the referral task only */
    fr_site_close(site);
}

static void timers_create_recurring_tasks(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("timers");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_workflow_fire(site, c, "close", "2026-03-02", NULL, &err), &err);
    CHECK_OK(fr_workflow_fire(site, c, "reopen", "2026-03-05", NULL, &err), &err);
    /* Entering the state makes its timer's task at once, due `every`
     * after the step's date; the tick finds nothing to add. */
    const char *q = "SELECT title || ':' || due_on || ':' || origin FROM tasks WHERE case_id = ?"
                    " AND origin_ref = 'timer:reassess' AND status = 'open'";
    CHECK_STR(fixture_text(site, q, c), "Reassess the situation:2026-06-05:timer");
    fr_tick_stats s = {0};
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.timers == 0);
    /* One the tick still makes: a case that lacks it (say, a definition
     * that gained a timer). */
    CHECK_OK(fr_store_execf(site->store, &err, "DELETE FROM tasks WHERE case_id = ?", "I", c),
             &err);
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.timers == 1);
    CHECK_STR(fixture_text(site, q, c), "Reassess the situation:2026-06-05:timer");
    CHECK(fixture_int(site, "SELECT count(*) FROM tasks WHERE origin = 'timer' AND case_id = ?",
                      c) == 1);

    /* Done late: the next one, made as it is done, counts from that day. */
    at("2026-06-12T10:00:00Z");
    int64_t first = fixture_int(site,
                                "SELECT id FROM tasks WHERE origin = 'timer' AND"
                                " case_id = ?",
                                c);
    CHECK_OK(fr_task_done(site, first, &err), &err);
    CHECK_STR(fixture_text(site, q, c), "Reassess the situation:2026-09-12:timer");
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.timers == 0);

    /* Leaving the state cancels its pending timer task; no new ones. */
    CHECK_OK(fr_workflow_fire(site, c, "close", NULL, NULL, &err), &err);
    CHECK_STR(fixture_text(site, q, c), "");
    CHECK_OK(fr_task_tick(site, &s, &err), &err);
    CHECK(s.timers == 0);
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM tasks WHERE origin = 'timer' AND"
                      " status = 'cancelled' AND case_id = ?",
                      c) == 1);
    fr_site_close(site);
}

static int64_t ids_of(json_t *a, int64_t *out, int max)
{
    int n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (n < max)
            out[n] = json_integer_value(json_object_get(v, "id"));
        n++;
    }
    return n;
}

static void each_user_sees_the_tasks_of_their_cases(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("list");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t anne = fixture_user(site, "anne", "case_manager");
    int64_t bob = fixture_user(site, "bob", "provider");
    int64_t carl = fixture_user(site, "carl", "provider");
    int64_t a = fixture_case(site, "frailty", 1, anne, "2026-03-09"); /* task 1, due 03-11 */
    int64_t b = fixture_case(site, "frailty", 1, 0, "2026-03-09");    /* task 2, due 03-11 */
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO network_members (case_id, kind, name, user_id, created_at)"
                            " VALUES (?, 'formal', 'Bob', ?, '2026-03-01T00:00:00Z')",
                            "II", b, bob),
             &err);
    int64_t late = new_task(site, a, "Late", "2026-03-09", NULL, NULL); /* 3 */
    fr_task_new for_carl = {.case_id = a,
                            .title = "For Carl",
                            .due_on = "2026-03-20",
                            .assignee_id = carl,
                            .origin = "person"};
    int64_t carls = 0;
    CHECK_OK(fr_task_create(site, &for_carl, &carls, &err), &err);        /* 4 */
    int64_t b_task = new_task(site, b, "On B", "2026-03-15", NULL, NULL); /* 5 */

    json_t *list = NULL;
    int64_t ids[8];
    CHECK_OK(fr_task_list(site, NULL, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 5);
    CHECK(ids[0] == late); /* overdue first */
    json_t *first = json_array_get(list, 0);
    CHECK(json_is_true(json_object_get(first, "overdue")));
    CHECK_STR(json_string_value(json_object_get(first, "assignee")), "anne");
    CHECK_STR(json_string_value(json_object_get(first, "origin")), "person");
    json_decref(list);

    fr_task_filter f = {.case_id = b};
    CHECK_OK(fr_task_list(site, &f, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 2);
    json_decref(list);
    fr_task_filter before = {.due_before = "2026-03-11"};
    CHECK_OK(fr_task_list(site, &before, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 3);
    json_decref(list);
    fr_task_filter by_login = {.assignee = "carl"};
    CHECK_OK(fr_task_list(site, &by_login, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 1 && ids[0] == carls);
    json_decref(list);
    fr_task_filter limited = {.limit = 2, .offset = 1};
    CHECK_OK(fr_task_list(site, &limited, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 2);
    json_decref(list);
    fr_task_filter bad = {.status = "maybe"};
    CHECK_ERR(fr_task_list(site, &bad, &list, &err), FR_EINVAL, &err, "status 'maybe'");

    /* anne manages case a: its three tasks. */
    CHECK_OK(fr_site_set_actor(site, "anne", &err), &err);
    CHECK_OK(fr_task_list(site, NULL, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 3);
    json_decref(list);
    /* bob is in case b's network. */
    CHECK_OK(fr_site_set_actor(site, "bob", &err), &err);
    CHECK_OK(fr_task_list(site, NULL, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 2);
    json_decref(list);
    /* carl reaches no case, but sees the task assigned to him and may
     * close it. */
    CHECK_OK(fr_site_set_actor(site, "carl", &err), &err);
    CHECK_OK(fr_task_list(site, NULL, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 1 && ids[0] == carls);
    json_decref(list);
    CHECK_OK(fr_task_done(site, carls, &err), &err);
    CHECK_ERR(fr_task_done(site, b_task, &err), FR_EACCESS, &err, "no care relationship");
    fr_task_filter done = {.status = "done"};
    CHECK_OK(fr_task_list(site, &done, &list, &err), &err);
    CHECK(ids_of(list, ids, 8) == 1);
    json_decref(list);
    fr_site_close(site);
}

/* The title of the one task of `list` whose origin is `origin`. */
static const char *title_of(json_t *list, const char *origin)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "origin")), origin) == 0)
            return json_string_value(json_object_get(v, "title"));
    }
    return "";
}

/* A workflow's task is shown in each reader's language (else French, else
 * English, else its title attribute); a task someone typed keeps its one
 * title. */
static void workflow_tasks_are_titled_for_the_reader(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("titles");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    new_task(site, c, "Appeler le médecin", "2026-03-12", NULL, NULL);
    /* Stored in the site's first language (fr), with its reference. */
    CHECK_STR(fixture_text(site,
                           "SELECT title || '|' || title_ref FROM tasks WHERE case_id = ?"
                           " AND origin = 'workflow'",
                           c),
              "Rappeler la personne qui signale|frailty/1/state:referral/0");
    const char *langs[] = {"en", "fr", "nl", NULL};
    const char *want[] = {"Call back the referrer", "Rappeler la personne qui signale",
                          "Rappeler la personne qui signale"};
    for (int i = 0; langs[i]; i++) {
        fr_task_filter f = {.case_id = c, .lang = langs[i]};
        json_t *list = NULL;
        CHECK_OK(fr_task_list(site, &f, &list, &err), &err);
        CHECK_STR(title_of(list, "workflow"), want[i]);
        CHECK_STR(title_of(list, "person"), "Appeler le médecin");
        CHECK(json_object_get(json_array_get(list, 0), "title_ref") == NULL);
        json_decref(list);
    }
    /* No lang: the acting user's. */
    snprintf(site->actor_lang, sizeof site->actor_lang, "en");
    fr_task_filter f = {.case_id = c};
    json_t *list = NULL;
    CHECK_OK(fr_task_list(site, &f, &list, &err), &err);
    CHECK_STR(title_of(list, "workflow"), "Call back the referrer");
    json_decref(list);
    /* A timer's task, and the case's record, too. */
    CHECK_OK(fr_workflow_fire(site, c, "close", "2026-03-02", NULL, &err), &err);
    CHECK_OK(fr_workflow_fire(site, c, "reopen", "2026-03-05", NULL, &err), &err);
    fr_tick_stats st = {0};
    CHECK_OK(fr_task_tick(site, &st, &err), &err);
    CHECK_STR(
        fixture_text(site, "SELECT title_ref FROM tasks WHERE origin = 'timer' AND case_id = ?", c),
        "frailty/1/timer:reassess");
    CHECK_OK(fr_task_list(site, &f, &list, &err), &err);
    CHECK_STR(title_of(list, "timer"), "Reassess the situation");
    json_decref(list);
    /* A reference that names nothing (a definition edited by hand in the
     * database, say): the stored title. */
    CHECK_STR(fr_task_title(site, "frailty/1/state:referral/7", "Stored", "nl"), "Stored");
    CHECK_STR(fr_task_title(site, "frailty/9/timer:reassess", "Stored", "nl"), "Stored");
    CHECK_STR(fr_task_title(site, "frailty/1/state:assessment/2", "Stored", "nl"), "Stored");
    CHECK_STR(fr_task_title(site, "nonsense", "Stored", "nl"), "Stored");
    CHECK_STR(fr_task_title(site, "frailty/1/timer:reassess/0", "Stored", "nl"), "Stored");
    CHECK_STR(fr_task_title(site, "frailty/1/state:assessment/1", "Stored", "nl"),
              "Meet before treatment ends");
    fr_site_close(site);
}

/* An older task as a workflow made it before migration core-012: its
 * title as stored then, no title_ref. */
static int64_t older_task(fr_site *site, int64_t case_id, const char *origin,
                          const char *origin_ref, const char *title)
{
    fr_error err = {0};
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO tasks (case_id, title, origin, origin_ref, created_at,"
                            " created_by) VALUES (?, ?, ?, nullif(?, ''), '2025-06-01T00:00:00Z',"
                            " 'system')",
                            "Ittt", case_id, title, origin, origin_ref ? origin_ref : ""),
             &err);
    return fr_store_last_id(site->store);
}

/* Tasks a workflow made before title_ref existed get it at the site's
 * next opening, once: when exactly one task of their definition (of the
 * state or timer they came from) has their title in some language. */
static void older_workflow_tasks_get_their_reference_once(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("backfill");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    int64_t fr_title =
        older_task(site, c, "workflow", "state:referral", "Rappeler la personne qui signale");
    int64_t en_title =
        older_task(site, c, "workflow", "state:assessment", "Meet before treatment ends");
    int64_t no_ref = older_task(site, c, "workflow", NULL, "Global assessment");
    int64_t timer = older_task(site, c, "timer", "timer:reassess", "Reassess the situation");
    int64_t edited = older_task(site, c, "workflow", "state:referral", "Rappeler Mme Dubois");
    int64_t other_state = older_task(site, c, "workflow", "state:plan", "Global assessment");
    int64_t typed = older_task(site, c, "person", NULL, "Global assessment");
    /* as on a site that had them before the step was there */
    CHECK_OK(fr_store_execf(site->store, &err,
                            "DELETE FROM site_meta WHERE key = 'tasks.title_ref.backfilled'", NULL),
             &err);
    fr_site_close(site);
    CHECK_OK(fr_site_open(test_path("backfill"), NULL, &site, &err), &err);
    const char *ref = "SELECT coalesce(title_ref, 'none') FROM tasks WHERE id = ?";
    CHECK_STR(fixture_text(site, ref, fr_title), "frailty/1/state:referral/0");
    CHECK_STR(fixture_text(site, ref, en_title), "frailty/1/state:assessment/1");
    CHECK_STR(fixture_text(site, ref, no_ref), "frailty/1/state:assessment/0");
    CHECK_STR(fixture_text(site, ref, timer), "frailty/1/timer:reassess");
    /* a title no task of the definition has, a task of another state, one
     * a person typed: their one title */
    CHECK_STR(fixture_text(site, ref, edited), "none");
    CHECK_STR(fixture_text(site, ref, other_state), "none");
    CHECK_STR(fixture_text(site, ref, typed), "none");
    /* now in the reader's language */
    fr_task_filter f = {.case_id = c, .lang = "en"};
    json_t *list = NULL;
    CHECK_OK(fr_task_list(site, &f, &list, &err), &err);
    int english = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        english +=
            json_integer_value(json_object_get(v, "id")) == fr_title &&
            strcmp(json_string_value(json_object_get(v, "title")), "Call back the referrer") == 0;
    }
    CHECK(english == 1);
    json_decref(list);
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM site_meta WHERE key = 'tasks.title_ref.backfilled'"
                      " AND value LIKE '%: 4 set, 2 left' AND ? > 0",
                      1) == 1);
    /* once: a later opening does not look again */
    CHECK_OK(fr_store_execf(site->store, &err, "UPDATE tasks SET title_ref = NULL WHERE id = ?",
                            "I", fr_title),
             &err);
    fr_site_close(site);
    CHECK_OK(fr_site_open(test_path("backfill"), NULL, &site, &err), &err);
    CHECK_STR(fixture_text(site, ref, fr_title), "none");
    int set = -1;
    CHECK_OK(fr_task_titles_backfill(site, &set, &err), &err);
    CHECK(set == 0);
    fr_site_close(site);
}

static void due_dates_are_bounded(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("bounded");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    int64_t id = 0;
    fr_task_new t = {.case_id = c, .title = "x", .due_on = "1900-01-01", .origin = "person"};
    CHECK_ERR(fr_task_create(site, &t, &id, &err), FR_EINVAL, &err,
              "due: 01/01/1900 is before the case's opening (01/03/2026); if the case began "
              "earlier, correct its opening date first");
    t.due_on = "2026-02-28";
    CHECK_ERR(fr_task_create(site, &t, &id, &err), FR_EINVAL, &err, "before the case's opening");
    t.due_on = "9999-12-31";
    CHECK_ERR(fr_task_create(site, &t, &id, &err), FR_EINVAL, &err,
              "due: 31/12/9999 is more than 10 years ahead (today is 10/03/2026); check the year");
    t.due_on = "2036-03-11";
    CHECK_ERR(fr_task_create(site, &t, &id, &err), FR_EINVAL, &err, "more than 10 years ahead");
    /* plugins and hooks are held to the same */
    t.origin = "hook";
    CHECK_ERR(fr_task_create(site, &t, &id, &err), FR_EINVAL, &err, "more than 10 years ahead");
    t.origin = "person";
    CHECK(fixture_int(site, "SELECT count(*) FROM tasks WHERE origin <> 'workflow' AND ? > 0", 1) ==
          0);
    /* the bounds themselves are taken: the opening day (overdue), ten years on */
    t.due_on = "2026-03-01";
    CHECK_OK(fr_task_create(site, &t, &id, &err), &err);
    t.due_on = "2036-03-10";
    CHECK_OK(fr_task_create(site, &t, &id, &err), &err);
    /* a task about no case: not more than a year ago */
    fr_task_new free_task = {.title = "x", .due_on = "2025-03-09", .origin = "person"};
    CHECK_ERR(fr_task_create(site, &free_task, &id, &err), FR_EINVAL, &err,
              "due: 09/03/2025 is more than a year ago (today is 10/03/2026)");
    free_task.due_on = "2025-03-10";
    CHECK_OK(fr_task_create(site, &free_task, &id, &err), &err);
    fr_site_close(site);
}

TEST_MAIN({"fixed_and_anchored_due_dates", fixed_and_anchored_due_dates},
          {"workflow_tasks_are_titled_for_the_reader", workflow_tasks_are_titled_for_the_reader},
          {"older_workflow_tasks_get_their_reference_once",
           older_workflow_tasks_get_their_reference_once},
          {"due_dates_are_bounded", due_dates_are_bounded},
          {"a_moved_date_moves_only_untouched_tasks", a_moved_date_moves_only_untouched_tasks},
          {"done_once", done_once},
          {"tick_announces_due_and_overdue_once", tick_announces_due_and_overdue_once},
          {"timers_create_recurring_tasks", timers_create_recurring_tasks},
          {"each_user_sees_the_tasks_of_their_cases", each_user_sees_the_tasks_of_their_cases})
