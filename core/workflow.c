/* The workflow engine: the site's registry of definitions and named C
 * guards, starting a case in its initial state, firing events (allowed?,
 * required forms, guard, then one transaction of state change, timeline,
 * events, on-enter actions and audit), the XML view of a case that guards
 * see, and migrating open cases to a newer version. Parsing and checking
 * definitions is in wfdef.c; tasks and timers are in task.c. */
#include "workflow.h"

#include <inttypes.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "care.h"
#include "clock.h"
#include "form.h"
#include "record.h"
#include "task.h"
#include "wfdef.h"
#include "xmldoc.h"

typedef struct wf_entry {
    fr_workflow *wf;
    char *plugin; /* provider now, or NULL when read back from the database only */
} wf_entry;

typedef struct wf_guard {
    char *owner;
    char *name;
    fr_guard_fn fn;
    void *userdata;
} wf_guard;

struct fr_workflows {
    wf_entry *entries;
    int nentries;
    fr_workflow **retired; /* replaced by a retitled text, freed with the site */
    int nretired;
    wf_guard *guards;
    int nguards;
};

/* ---- the registry ---------------------------------------------------- */

int fr_workflows_new(fr_site *site, fr_error *err)
{
    if (sodium_init() < 0)
        return fr_error_set(err, FR_EINTERNAL, "libsodium could not be initialised");
    site->workflows = calloc(1, sizeof *site->workflows);
    if (!site->workflows)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    return 0;
}

void fr_workflows_free(fr_site *site)
{
    fr_workflows *r = site ? site->workflows : NULL;
    if (!r)
        return;
    for (int i = 0; i < r->nentries; i++) {
        fr_workflow_free(r->entries[i].wf);
        free(r->entries[i].plugin);
    }
    free(r->entries);
    for (int i = 0; i < r->nretired; i++)
        fr_workflow_free(r->retired[i]);
    free(r->retired);
    for (int i = 0; i < r->nguards; i++) {
        free(r->guards[i].owner);
        free(r->guards[i].name);
    }
    free(r->guards);
    free(r);
    site->workflows = NULL;
}

static wf_entry *find_entry(fr_workflows *r, const char *id, int version)
{
    for (int i = 0; r && i < r->nentries; i++)
        if (r->entries[i].wf->version == version && strcmp(r->entries[i].wf->id, id) == 0)
            return &r->entries[i];
    return NULL;
}

static int push_entry(fr_workflows *r, fr_workflow *wf, const char *plugin, fr_error *err)
{
    wf_entry *ne = realloc(r->entries, (size_t)(r->nentries + 1) * sizeof *ne);
    if (!ne)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    r->entries = ne;
    ne[r->nentries].wf = wf;
    ne[r->nentries].plugin = plugin ? strdup(plugin) : NULL;
    r->nentries++;
    return 0;
}

/* A text of a stored (id, version) that differs from the stored one: the
 * same definition with other titles (a translation added or corrected)
 * replaces the stored text, and the cases under the version show the new
 * titles; any other change is refused (docs/workflows.md, "Titles and
 * versions"). */
static int retitle(fr_site *site, const fr_workflow *wf, fr_error *err)
{
    char *text = NULL;
    int rc = fr_store_query_text(site->store, err, &text,
                                 "SELECT definition FROM workflows WHERE id = ? AND version = ?",
                                 "ti", wf->id, wf->version);
    fr_workflow *old = NULL;
    if (!rc) {
        char name[256];
        snprintf(name, sizeof name, "workflow %s version %d (database)", wf->id, wf->version);
        rc = wf_parse(name, text, strlen(text), &old, err);
    }
    free(text);
    if (rc)
        return rc;
    int same = strcmp(old->identity, wf->identity) == 0;
    fr_workflow_free(old);
    if (!same)
        return fr_error_set(err, FR_ECONFLICT,
                            "%s: workflow %s version %d already exists with a different "
                            "definition (more than its titles changed): bump the version and add "
                            "a <migration from-version=\"%d\"> mapping the states of version %d",
                            wf->name, wf->id, wf->version, wf->version, wf->version);
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    rc = fr_store_execf(site->store, err,
                        "UPDATE workflows SET definition = ?, sha256 = ?, loaded_at = ?"
                        " WHERE id = ? AND version = ?",
                        "tttti", wf->text, wf->sha256, now, wf->id, wf->version);
    if (!rc)
        fr_site_log(site, "workflows",
                    "%s: workflow %s version %d: new titles, same definition: stored text "
                    "replaced",
                    wf->name, wf->id, wf->version);
    return rc;
}

int fr_workflows_add(fr_site *site, const char *plugin, fr_workflow *wf, fr_error *err)
{
    fr_workflows *r = site->workflows;
    if (!plugin || !*plugin) {
        fr_workflow_free(wf);
        return fr_error_set(err, FR_EINVAL, "a workflow is added on behalf of a plugin: name it");
    }
    /* A workflow id is its first plugin's: another plugin's version of it
     * would become the newest, and cases opened under the id would follow
     * the other plugin's definition. */
    char *owner = NULL;
    int rc = fr_store_query_text(site->store, err, &owner,
                                 "SELECT plugin FROM workflows WHERE id = ? AND plugin <> ?"
                                 " LIMIT 1",
                                 "tt", wf->id, plugin);
    if (rc == 0)
        rc = fr_error_set(err, FR_ECONFLICT,
                          "%s: workflow id %s belongs to plugin %s on this site: give yours "
                          "another id (begin it with your plugin's id)",
                          wf->name, wf->id, owner);
    else if (rc == FR_ENOTFOUND)
        fr_error_clear(err);
    free(owner);
    if (rc && rc != FR_ENOTFOUND) {
        fr_workflow_free(wf);
        return rc;
    }
    char *stored = NULL;
    int retitled = 0;
    rc = fr_store_query_text(site->store, err, &stored,
                             "SELECT sha256 FROM workflows WHERE id = ? AND version = ?", "ti",
                             wf->id, wf->version);
    if (rc == FR_ENOTFOUND) {
        char now[FR_TIME_LEN];
        fr_clock_now(now);
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO workflows (id, version, plugin, definition, sha256,"
                            " loaded_at) VALUES (?, ?, ?, ?, ?, ?)",
                            "titttt", wf->id, wf->version, plugin, wf->text, wf->sha256, now);
    } else if (rc == 0 && strcmp(stored, wf->sha256) != 0) {
        retitled = 1;
        rc = retitle(site, wf, err);
    }
    free(stored);
    if (rc) {
        fr_workflow_free(wf);
        return rc;
    }
    wf_entry *e = find_entry(r, wf->id, wf->version);
    if (e && retitled) {
        /* The new titles replace the cached definition; callers may hold
         * pointers to it, so it is kept until the site is closed. */
        fr_workflow **nr = realloc(r->retired, (size_t)(r->nretired + 1) * sizeof *nr);
        if (!nr) {
            fr_workflow_free(wf);
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        }
        r->retired = nr;
        r->retired[r->nretired++] = e->wf;
        e->wf = wf;
        wf = NULL;
    }
    /* Same text: the new copy replaces a cached one, and takes its owner. */
    if (e) {
        char *owner = plugin ? strdup(plugin) : NULL;
        if (plugin && !owner) {
            fr_workflow_free(wf);
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        }
        /* Callers may hold pointers to the cached definition: keep it. */
        fr_workflow_free(wf);
        free(e->plugin);
        e->plugin = owner;
        return 0;
    }
    if ((rc = push_entry(r, wf, plugin, err)))
        fr_workflow_free(wf);
    return rc;
}

int fr_workflows_get(fr_site *site, const char *id, int version, const fr_workflow **out,
                     fr_error *err)
{
    *out = NULL;
    int rc;
    if (version <= 0) {
        int64_t v = 0;
        rc = fr_store_query_int(site->store, err, &v,
                                "SELECT max(version) FROM workflows WHERE id = ?", "t", id);
        if (rc)
            return rc;
        version = (int)v;
        if (version <= 0)
            return fr_error_set(err, FR_ENOTFOUND,
                                "there is no workflow '%s' on this site: is the plugin that "
                                "provides it enabled? See `filrouge workflow list`",
                                id);
    }
    wf_entry *e = find_entry(site->workflows, id, version);
    if (e) {
        *out = e->wf;
        return 0;
    }
    char *text = NULL;
    rc = fr_store_query_text(site->store, err, &text,
                             "SELECT definition FROM workflows WHERE id = ? AND version = ?", "ti",
                             id, version);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no version %d of workflow '%s'", version,
                            id);
    if (rc)
        return rc;
    char name[256];
    snprintf(name, sizeof name, "workflow %s version %d (database)", id, version);
    fr_workflow *wf = NULL;
    rc = wf_parse(name, text, strlen(text), &wf, err);
    free(text);
    if (rc)
        return rc;
    if ((rc = push_entry(site->workflows, wf, NULL, err))) {
        fr_workflow_free(wf);
        return rc;
    }
    *out = wf;
    return 0;
}

int fr_workflows_list(fr_site *site, json_t **out, fr_error *err)
{
    *out = NULL;
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT w.id, w.version, w.plugin,"
                            " (SELECT count(*) FROM cases c WHERE c.workflow_id = w.id"
                            "  AND c.workflow_version = w.version AND c.status = 'open')"
                            " FROM workflows w ORDER BY w.id, w.version",
                            NULL);
    if (rc)
        return rc;
    json_t *a = json_array();
    while ((rc = fr_stmt_step(st, err)) == 1) {
        const char *id = fr_stmt_text(st, 0);
        int version = (int)fr_stmt_int(st, 1);
        wf_entry *e = find_entry(site->workflows, id, version);
        json_array_append_new(a, json_pack("{s:s,s:i,s:s,s:b,s:I}", "id", id, "version", version,
                                           "plugin", fr_stmt_text(st, 2), "loaded",
                                           e && e->plugin ? 1 : 0, "open_cases",
                                           (json_int_t)fr_stmt_int(st, 3)));
    }
    fr_stmt_done(st);
    if (rc < 0) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

int fr_workflows_add_guard(fr_site *site, const char *owner, const char *name, fr_guard_fn fn,
                           void *userdata, fr_error *err)
{
    fr_workflows *r = site->workflows;
    if (!name || !*name || !fn)
        return fr_error_set(err, FR_EINVAL, "a guard needs a name and a function");
    for (int i = 0; i < r->nguards; i++) {
        wf_guard *g = &r->guards[i];
        if (strcmp(g->name, name) != 0)
            continue;
        if (strcmp(g->owner, owner) != 0)
            return fr_error_set(err, FR_ECONFLICT,
                                "guard '%s' is already registered by '%s': choose another name "
                                "(prefix it with your plugin id)",
                                name, g->owner);
        g->fn = fn;
        g->userdata = userdata;
        return 0;
    }
    wf_guard *ng = realloc(r->guards, (size_t)(r->nguards + 1) * sizeof *ng);
    if (!ng)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    r->guards = ng;
    wf_guard *g = &ng[r->nguards];
    g->owner = strdup(owner);
    g->name = strdup(name);
    g->fn = fn;
    g->userdata = userdata;
    if (!g->owner || !g->name) {
        free(g->owner);
        free(g->name);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    r->nguards++;
    return 0;
}

/* The plugin's guards go; its definitions stay cached (cases keep running
 * under them, and pointers handed out stay valid) but are no longer
 * "loaded". */
void fr_workflows_remove_owner(fr_site *site, const char *owner)
{
    fr_workflows *r = site->workflows;
    if (!r || !owner)
        return;
    int j = 0;
    for (int i = 0; i < r->nguards; i++) {
        if (strcmp(r->guards[i].owner, owner) == 0) {
            free(r->guards[i].owner);
            free(r->guards[i].name);
        } else {
            r->guards[j++] = r->guards[i];
        }
    }
    r->nguards = j;
    for (int i = 0; i < r->nentries; i++)
        if (r->entries[i].plugin && strcmp(r->entries[i].plugin, owner) == 0) {
            free(r->entries[i].plugin);
            r->entries[i].plugin = NULL;
        }
}

static const wf_guard *find_guard(fr_workflows *r, const char *name)
{
    for (int i = 0; i < r->nguards; i++)
        if (strcmp(r->guards[i].name, name) == 0)
            return &r->guards[i];
    return NULL;
}

int fr_workflows_has_guard(fr_site *site, const char *name)
{
    return site->workflows && name && find_guard(site->workflows, name) != NULL;
}

void fr_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* ---- the case ----------------------------------------------------------- */

typedef struct case_row {
    char workflow[128];
    int version;
    char state[64];
    char status[16];
    char state_since[FR_TIME_LEN];
    char plugin[128];
} case_row;

static int read_case(fr_site *site, int64_t case_id, case_row *c, fr_error *err)
{
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT workflow_id, workflow_version, state, status, state_since,"
                            " plugin FROM cases WHERE id = ?",
                            "I", case_id);
    if (rc)
        return rc;
    rc = fr_stmt_step(st, err);
    if (rc == 1) {
        snprintf(c->workflow, sizeof c->workflow, "%s", fr_stmt_text(st, 0));
        c->version = (int)fr_stmt_int(st, 1);
        snprintf(c->state, sizeof c->state, "%s", fr_stmt_text(st, 2));
        snprintf(c->status, sizeof c->status, "%s", fr_stmt_text(st, 3));
        snprintf(c->state_since, sizeof c->state_since, "%s", fr_stmt_text(st, 4));
        snprintf(c->plugin, sizeof c->plugin, "%s", fr_stmt_text(st, 5));
        rc = 0;
    } else if (rc == 0) {
        rc = fr_error_set(err, FR_ENOTFOUND,
                          "there is no case %" PRId64 "; see `filrouge case list`", case_id);
    }
    fr_stmt_done(st);
    return rc;
}

/* Runs the on-enter actions of `state` for a case that just entered it on
 * `effective_on`. Inside the caller's transaction. */
static int run_on_enter(fr_site *site, int64_t case_id, const fr_workflow *wf,
                        const wf_state *state, const char *effective_on, fr_error *err)
{
    const char *lang = site->nlanguages > 0 ? site->languages[0] : NULL;
    char ref[128];
    snprintf(ref, sizeof ref, "state:%s", state->id);
    for (int i = 0; i < state->nactions; i++) {
        const wf_action *a = &state->actions[i];
        int rc;
        if (a->is_emit) {
            json_t *p = json_pack("{s:s}", "state", state->id);
            char *text = json_dumps(p, JSON_COMPACT);
            rc = fr_bus_publish_compact(site, a->event, case_id, text, err);
            free(text);
            json_decref(p);
        } else {
            char due[FR_TIME_LEN], title_ref[320];
            snprintf(title_ref, sizeof title_ref, "%s/%d/%s/%d", wf->id, wf->version, ref, i);
            fr_task_new t = {.case_id = case_id,
                             .title = wf_task_title(&a->task, lang),
                             .anchor = a->task.anchor,
                             .offset = a->task.offset,
                             .origin = "workflow",
                             .origin_ref = ref,
                             .title_ref = title_ref};
            if (a->task.due) {
                fr_duration d;
                if ((rc = fr_duration_parse(a->task.due, &d, err)) ||
                    (rc = fr_date_add(effective_on, &d, due, err)))
                    return rc;
                t.due_on = due;
            }
            int64_t id = 0;
            rc = fr_task_create(site, &t, &id, err);
        }
        if (rc) {
            fr_error_prefix(err, "on entering state '%s': ", state->id);
            return rc;
        }
    }
    return 0;
}

/* A step (migration 0) or a move to a newer version of the workflow
 * (migration 1: no step, whatever its event is named). */
static int insert_transition(fr_site *site, int64_t case_id, const char *event, const char *from,
                             const char *to, int version, const char *effective_on,
                             const char *note, int migration, fr_error *err)
{
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    return fr_store_execf(site->store, err,
                          "INSERT INTO transitions (case_id, event, from_state, to_state,"
                          " workflow_version, effective_on, recorded_at, actor, note, migration)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          "Itttitttti", case_id, event, from, to, version, effective_on, now,
                          site->actor, note, migration);
}

int fr_workflow_start(fr_site *site, int64_t case_id, const char *effective_on, fr_error *err)
{
    case_row c;
    char today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    if (!effective_on)
        effective_on = today;
    if (!fr_date_valid(effective_on))
        return fr_error_set(err, FR_EINVAL, "effective date '%s': date must be YYYY-MM-DD",
                            effective_on);
    int rc = read_case(site, case_id, &c, err);
    if (rc)
        return rc;
    const fr_workflow *wf;
    if ((rc = fr_workflows_get(site, c.workflow, c.version, &wf, err)))
        return rc;
    const char *initial = fr_workflow_initial(wf);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "UPDATE cases SET state = ?, state_since = ?, updated_at = ? WHERE id = ?",
                        "tttI", initial, effective_on, now, case_id);
    if (!rc)
        rc = insert_transition(site, case_id, "open", NULL, initial, wf->version, effective_on,
                               NULL, 0, err);
    const wf_state *first = wf_state_find(wf, initial);
    if (!rc)
        rc = run_on_enter(site, case_id, wf, first, effective_on, err);
    if (!rc && first->ntimers > 0)
        rc = fr_task_case_timers(site, case_id, NULL, err);
    if (!rc)
        return fr_store_commit(site->store, err);
    fr_store_rollback(site->store);
    return rc;
}

/* Moves the open, untouched tasks of `ref` whose due date was counted
 * from the step (due `dur` after `was`, for timers; any for on-enter
 * tasks: was NULL) to `dur` after `on`. */
static int move_tasks(fr_site *site, int64_t case_id, const char *origin, const char *ref,
                      const char *title_ref, const char *since, const char *dur, const char *was,
                      const char *on, json_t *moved, fr_error *err)
{
    fr_duration d;
    char due[FR_TIME_LEN], old[FR_TIME_LEN] = "";
    int rc;
    if ((rc = fr_duration_parse(dur, &d, err)) || (rc = fr_date_add(on, &d, due, err)) ||
        (was && (rc = fr_date_add(was, &d, old, err))))
        return rc;
    json_t *ids = NULL;
    rc = fr_store_query_json(site->store, err, &ids,
                             "SELECT id FROM tasks WHERE case_id = ? AND origin = ?"
                             " AND origin_ref = ? AND title_ref = ? AND status = 'open'"
                             " AND acted = 0 AND created_at >= ? AND due_on <> ?"
                             " AND (? = '' OR due_on = ?) ORDER BY id",
                             "Ittttttt", case_id, origin, ref, title_ref, since, due, old, old);
    size_t k;
    json_t *t;
    json_array_foreach(ids, k, t)
    {
        json_int_t task_id = json_integer_value(json_object_get(t, "id"));
        if (!rc)
            rc = fr_store_execf(site->store, err,
                                "UPDATE tasks SET due_on = ?, due_emitted = 0,"
                                " overdue_emitted = 0 WHERE id = ?",
                                "tI", due, (int64_t)task_id);
        if (!rc)
            json_array_append_new(moved, json_integer(task_id));
    }
    json_decref(ids);
    return rc;
}

/* The timer tasks of `state` (of `wf`) still counted from the step: due
 * `every` after `was`, due `every` after `on` now. */
static int move_timer_tasks(fr_site *site, int64_t case_id, const fr_workflow *wf,
                            const wf_state *state, const char *since, const char *was,
                            const char *on, json_t *moved, fr_error *err)
{
    int rc = 0;
    char ref[160], title_ref[320];
    for (int i = 0; !rc && state && i < state->ntimers; i++) {
        snprintf(ref, sizeof ref, "timer:%s", state->timers[i].id);
        snprintf(title_ref, sizeof title_ref, "%s/%d/%s", wf->id, wf->version, ref);
        rc = move_tasks(site, case_id, "timer", ref, title_ref, since, state->timers[i].every, was,
                        on, moved, err);
    }
    return rc;
}

int fr_workflow_move_step_tasks(fr_site *site, int64_t transition_id, const char *was,
                                const char *on, json_t *moved, fr_error *err)
{
    json_t *row = NULL, *later = NULL;
    int rc = fr_store_query_row(
        site->store, err, &row,
        "SELECT t.case_id, c.workflow_id AS workflow, t.workflow_version AS version,"
        " t.to_state AS state, t.recorded_at FROM transitions t JOIN cases c ON c.id = t.case_id"
        " WHERE t.id = ?",
        "I", transition_id);
    const fr_workflow *wf = NULL;
    const char *id = json_string_value(json_object_get(row, "workflow"));
    int version = (int)json_integer_value(json_object_get(row, "version"));
    int64_t case_id = (int64_t)json_integer_value(json_object_get(row, "case_id"));
    const char *since = json_string_value(json_object_get(row, "recorded_at"));
    if (!rc)
        rc = fr_workflows_get(site, id, version, &wf, err);
    const wf_state *state =
        rc ? NULL : wf_state_find(wf, json_string_value(json_object_get(row, "state")));
    char ref[160], title_ref[320];
    snprintf(ref, sizeof ref, "state:%s", state ? state->id : "");
    for (int i = 0; !rc && state && i < state->nactions; i++) {
        const wf_task *task = &state->actions[i].task;
        if (state->actions[i].is_emit || !task->due)
            continue;
        snprintf(title_ref, sizeof title_ref, "%s/%d/%s/%d", wf->id, wf->version, ref, i);
        rc = move_tasks(site, case_id, "workflow", ref, title_ref, since, task->due, NULL, on,
                        moved, err);
    }
    /* A timer's first task is due `every` after the state was entered. */
    if (!rc)
        rc = move_timer_tasks(site, case_id, wf, state, since, was, on, moved, err);
    /* The tick makes a timer's task under the case's version of the day:
     * after each migration since the step, the timers of the state it led
     * to in its version (still counted from the step when the state kept
     * its name: a state renamed is entered the day of the migration). */
    if (!rc)
        rc = fr_store_query_json(site->store, err, &later,
                                 "SELECT workflow_version AS version, to_state AS state FROM"
                                 " transitions WHERE case_id = ? AND migration = 1 AND id > ?"
                                 " ORDER BY id",
                                 "II", case_id, transition_id);
    size_t k;
    json_t *m;
    json_array_foreach(later, k, m)
    {
        if (!rc)
            rc = fr_workflows_get(site, id, (int)json_integer_value(json_object_get(m, "version")),
                                  &wf, err);
        if (!rc)
            rc = move_timer_tasks(site, case_id, wf,
                                  wf_state_find(wf, json_string_value(json_object_get(m, "state"))),
                                  since, was, on, moved, err);
    }
    json_decref(later);
    json_decref(row);
    return rc;
}

int fr_workflow_move_opening_tasks(fr_site *site, int64_t case_id, const char *was,
                                   const char *opened_on, json_t *moved, fr_error *err)
{
    int64_t opening = 0;
    int rc = fr_store_query_int(
        site->store, err, &opening,
        "SELECT t.id FROM transitions t WHERE t.case_id = ?1 AND t.from_state IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM transitions s WHERE s.case_id = ?1"
        " AND s.from_state IS NOT NULL AND s.migration = 0)",
        "I", case_id);
    if (rc == FR_ENOTFOUND) {
        fr_error_clear(err); /* a step taken: nothing of the opening is left open */
        return 0;
    }
    return rc ? rc : fr_workflow_move_step_tasks(site, opening, was, opened_on, moved, err);
}

/* ---- the XML view of a case -------------------------------------------- */

static void set_attr(xmlNodePtr n, const char *name, const char *value)
{
    /* xmlNewProp stores the value as text: it is escaped on output and
     * never parsed for entities. */
    if (value)
        xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

static void set_attr_int(xmlNodePtr n, const char *name, int64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, value);
    set_attr(n, name, buf);
}

/* Whole years from birth to today, or -1 when unknown. */
static int age_on(const char *birth, const char *today)
{
    int by, bm, bd, ty, tm, td;
    if (!birth || sscanf(birth, "%d-%d-%d", &by, &bm, &bd) != 3 ||
        sscanf(today, "%d-%d-%d", &ty, &tm, &td) != 3)
        return -1;
    int age = ty - by - ((tm < bm || (tm == bm && td < bd)) ? 1 : 0);
    return age < 0 ? -1 : age;
}

static int build_case_doc(fr_site *site, int64_t case_id, xmlDocPtr *out, fr_error *err)
{
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    *out = NULL;
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT c.state, c.status, c.intensity, c.opened_on, c.workflow_id,"
                            " c.workflow_version, c.state_since, c.closed_on, c.model,"
                            " p.birth_date, p.sex,"
                            " (SELECT login FROM users WHERE id = c.case_manager_id),"
                            " c.pyramid_level"
                            " FROM cases c JOIN patients p ON p.id = c.patient_id WHERE c.id = ?",
                            "I", case_id);
    if (rc)
        return rc;
    if ((rc = fr_stmt_step(st, err)) != 1) {
        fr_stmt_done(st);
        return rc < 0 ? rc : fr_error_set(err, FR_ENOTFOUND, "there is no case %" PRId64, case_id);
    }
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = xmlNewDocNode(doc, NULL, (const xmlChar *)"case", NULL);
    xmlDocSetRootElement(doc, root);
    set_attr_int(root, "id", case_id);
    set_attr(root, "state", fr_stmt_text(st, 0));
    set_attr(root, "status", fr_stmt_text(st, 1));
    set_attr_int(root, "intensity", fr_stmt_int(st, 2));
    set_attr(root, "opened-on", fr_stmt_text(st, 3));
    set_attr(root, "workflow", fr_stmt_text(st, 4));
    set_attr_int(root, "version", fr_stmt_int(st, 5));
    set_attr(root, "state-since", fr_stmt_text(st, 6));
    set_attr(root, "closed-on", fr_stmt_text(st, 7));
    set_attr(root, "model", fr_stmt_text(st, 8));
    set_attr(root, "today", today);
    if (fr_stmt_text(st, 11))
        set_attr(root, "case-manager", fr_stmt_text(st, 11));
    if (!fr_stmt_is_null(st, 12))
        set_attr_int(root, "level", fr_stmt_int(st, 12));
    xmlNodePtr patient = xmlNewChild(root, NULL, (const xmlChar *)"patient", NULL);
    set_attr(patient, "birth-date", fr_stmt_text(st, 9));
    set_attr(patient, "sex", fr_stmt_text(st, 10));
    int age = age_on(fr_stmt_text(st, 9), today);
    if (age >= 0)
        set_attr_int(patient, "age", age);
    fr_stmt_done(st);

    xmlNodePtr dates = xmlNewChild(root, NULL, (const xmlChar *)"dates", NULL);
    rc = fr_store_query(site->store, err, &st,
                        "SELECT name, date FROM case_dates WHERE case_id = ? ORDER BY name", "I",
                        case_id);
    while ((rc == 0 || rc == 1) && (rc = fr_stmt_step(st, err)) == 1) {
        xmlNodePtr d = xmlNewChild(dates, NULL, (const xmlChar *)"date", NULL);
        set_attr(d, "name", fr_stmt_text(st, 0));
        set_attr(d, "value", fr_stmt_text(st, 1));
    }
    if (rc >= 0) {
        fr_stmt_done(st);
        rc = 0;
    }
    int64_t formal = 0, informal = 0, open = 0, overdue = 0;
    const char *member_sql = "SELECT count(*) FROM network_members WHERE case_id = ? AND kind = ?"
                             " AND (since IS NULL OR since <= ?) AND (until IS NULL OR until >= ?)";
    if (!rc)
        rc = fr_store_query_int(site->store, err, &formal, member_sql, "Ittt", case_id, "formal",
                                today, today);
    if (!rc)
        rc = fr_store_query_int(site->store, err, &informal, member_sql, "Ittt", case_id,
                                "informal", today, today);
    xmlNodePtr network = xmlNewChild(root, NULL, (const xmlChar *)"network", NULL);
    set_attr_int(network, "formal", formal);
    set_attr_int(network, "informal", informal);
    /* The active members by role, relation and organisation (never their
     * names): rules such as "at least two different requesting services". */
    if (!rc)
        rc = fr_store_query(site->store, err, &st,
                            "SELECT kind, role, relation, organisation FROM network_members"
                            " WHERE case_id = ? AND (since IS NULL OR since <= ?) AND"
                            " (until IS NULL OR until >= ?) ORDER BY id",
                            "Itt", case_id, today, today);
    while ((rc == 0 || rc == 1) && (rc = fr_stmt_step(st, err)) == 1) {
        xmlNodePtr m = xmlNewChild(network, NULL, (const xmlChar *)"member", NULL);
        set_attr(m, "kind", fr_stmt_text(st, 0));
        if (fr_stmt_text(st, 1))
            set_attr(m, "role", fr_stmt_text(st, 1));
        if (fr_stmt_text(st, 2))
            set_attr(m, "relation", fr_stmt_text(st, 2));
        if (fr_stmt_text(st, 3))
            set_attr(m, "organisation", fr_stmt_text(st, 3));
    }
    if (rc >= 0) {
        fr_stmt_done(st);
        rc = 0;
    }

    xmlNodePtr forms = xmlNewChild(root, NULL, (const xmlChar *)"forms", NULL);
    if (!rc)
        rc = fr_store_query(site->store, err, &st,
                            "SELECT form_id, submitted_at, id, superseded_by FROM submissions"
                            " WHERE case_id = ? AND status = 'final' ORDER BY submitted_at, id",
                            "I", case_id);
    while ((rc == 0 || rc == 1) && (rc = fr_stmt_step(st, err)) == 1) {
        xmlNodePtr f = xmlNewChild(forms, NULL, (const xmlChar *)"form", NULL);
        set_attr(f, "id", fr_stmt_text(st, 0));
        set_attr(f, "status", "final");
        set_attr(f, "submitted-at", fr_stmt_text(st, 1));
        set_attr_int(f, "submission", fr_stmt_int(st, 2));
        if (!fr_stmt_is_null(st, 3))
            set_attr_int(f, "superseded-by", fr_stmt_int(st, 3));
    }
    if (rc >= 0) {
        fr_stmt_done(st);
        rc = 0;
    }
    /* Each final submission's scores, under its <form> (docs/forms.md). */
    for (xmlNodePtr f = forms->children; !rc && f; f = f->next) {
        xmlChar *sid = xmlGetProp(f, (const xmlChar *)"submission");
        rc = fr_store_query(site->store, err, &st,
                            "SELECT score, value, band FROM submission_scores"
                            " WHERE submission_id = ? ORDER BY ordinal",
                            "I", (int64_t)strtoll((const char *)sid, NULL, 10));
        xmlFree(sid);
        while ((rc == 0 || rc == 1) && (rc = fr_stmt_step(st, err)) == 1) {
            xmlNodePtr sc = xmlNewChild(f, NULL, (const xmlChar *)"score", NULL);
            set_attr(sc, "name", fr_stmt_text(st, 0));
            if (!fr_stmt_is_null(st, 1)) {
                char buf[64];
                snprintf(buf, sizeof buf, "%.15g", fr_stmt_double(st, 1));
                set_attr(sc, "value", buf);
            }
            if (!fr_stmt_is_null(st, 2))
                set_attr(sc, "band", fr_stmt_text(st, 2));
        }
        if (rc >= 0) {
            fr_stmt_done(st);
            rc = 0;
        }
    }
    if (!rc)
        rc = fr_store_query_int(site->store, err, &open,
                                "SELECT count(*) FROM tasks WHERE case_id = ? AND status = 'open'",
                                "I", case_id);
    if (!rc)
        rc = fr_store_query_int(site->store, err, &overdue,
                                "SELECT count(*) FROM tasks WHERE case_id = ? AND status = 'open'"
                                " AND due_on IS NOT NULL AND due_on < ?",
                                "It", case_id, today);
    xmlNodePtr tasks = xmlNewChild(root, NULL, (const xmlChar *)"tasks", NULL);
    set_attr_int(tasks, "open", open);
    set_attr_int(tasks, "overdue", overdue);
    int goals = 0, current = 0;
    char approved_on[16];
    if (!rc)
        rc = fr_care_plan_state(site, case_id, &goals, approved_on, &current, err);
    xmlNodePtr plan = xmlNewChild(root, NULL, (const xmlChar *)"careplan", NULL);
    set_attr_int(plan, "goals", goals);
    set_attr(plan, "approved-on", approved_on);
    set_attr(plan, "approved", current ? "true" : "false");
    if (rc) {
        xmlFreeDoc(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

static char *doc_text(xmlDocPtr doc)
{
    xmlChar *buf = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(doc, &buf, &size, "UTF-8", 1);
    char *s = buf ? strdup((const char *)buf) : NULL;
    xmlFree(buf);
    return s;
}

int fr_workflow_case_xml(fr_site *site, int64_t case_id, char **out, fr_error *err)
{
    xmlDocPtr doc;
    *out = NULL;
    int rc = fr_access_case(site, case_id, FR_READ, err);
    if (!rc)
        rc = build_case_doc(site, case_id, &doc, err);
    if (rc)
        return rc;
    *out = doc_text(doc);
    xmlFreeDoc(doc);
    if (!*out)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    /* The view holds the patient's birth date and the case's forms. */
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, case_id);
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "case", oid,
                             "{\"what\":\"xml view\"}", err))) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- firing ---------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The distinct events that may start from `state`, sorted. */
static char **allowed_events(const fr_workflow *wf, const char *state)
{
    char **v = calloc((size_t)wf->ntransitions + 1, sizeof *v);
    int n = 0;
    for (int i = 0; v && i < wf->ntransitions; i++) {
        const wf_transition *t = &wf->transitions[i];
        if (!wf_transition_from(wf, t, state))
            continue;
        int seen = 0;
        for (int j = 0; j < n && !seen; j++)
            seen = strcmp(v[j], t->event) == 0;
        if (!seen)
            v[n++] = strdup(t->event);
    }
    if (v)
        qsort(v, (size_t)n, sizeof *v, cmp_str);
    return v;
}

static void join_events(char **v, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (char **p = v; p && *p && len < size; p++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", p == v ? "" : ", ", *p);
    if (!buf[0])
        snprintf(buf, size, "none");
}

int fr_workflow_allowed(fr_site *site, int64_t case_id, char ***events, fr_error *err)
{
    *events = NULL;
    int rc = fr_access_case(site, case_id, FR_READ, err);
    case_row c;
    const fr_workflow *wf;
    if (rc || (rc = read_case(site, case_id, &c, err)) ||
        (rc = fr_workflows_get(site, c.workflow, c.version, &wf, err)))
        return rc;
    *events = allowed_events(wf, c.state);
    return *events ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
}

typedef struct xpath_error {
    char message[512];
} xpath_error;

/* libxml2 reports some XPath errors (an unknown function) through its
 * generic handler, which would print them on stderr. */
static void capture_generic_error(void *data, const char *fmt, ...)
{
    xpath_error *x = data;
    if (x->message[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
    size_t n = strlen(x->message);
    while (n > 0 && (x->message[n - 1] == '\n' || x->message[n - 1] == ' '))
        x->message[--n] = '\0';
}

static void capture_xml_error(void *data, xmlErrorPtr e)
{
    xpath_error *x = data;
    if (e && e->message && !x->message[0])
        snprintf(x->message, sizeof x->message, "%s", e->message);
    size_t n = strlen(x->message);
    while (n > 0 && (x->message[n - 1] == '\n' || x->message[n - 1] == ' '))
        x->message[--n] = '\0';
}

/* Evaluates an XPath guard over the case view; the context node is <case>. */
static int eval_xpath_guard(fr_site *site, int64_t case_id, const fr_workflow *wf,
                            const wf_transition *t, xmlDocPtr doc, int *allowed, fr_error *err)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    if (!ctx)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    ctx->node = xmlDocGetRootElement(doc);
    /* score('form.score'), value('form.field') and the date functions of
     * forms (docs/forms.md, "Forms in workflow guards"). */
    fr_form_xpath_case fc = {.site = site, .case_id = case_id};
    fr_form_xpath_register_case(ctx, &fc);
    xpath_error x = {{0}};
    xmlSetStructuredErrorFunc(&x, capture_xml_error);
    xmlSetGenericErrorFunc(&x, capture_generic_error);
    int r = xmlXPathCompiledEvalToBoolean(t->guard_expr, ctx);
    xmlSetGenericErrorFunc(NULL, NULL);
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlXPathFreeContext(ctx);
    if (r < 0)
        return fr_error_set(err, FR_EINVAL,
                            "the guard \"%s\" of transition '%s' (workflow %s version %d, line %d) "
                            "could not be evaluated: %s; fix the expression (docs/workflows.md "
                            "shows what guards see)",
                            t->guard, t->event, wf->id, wf->version, t->line,
                            x.message[0] ? x.message : "XPath error");
    *allowed = r;
    return 0;
}

/* FR_EREFUSED (message in `refusal`) when a required final form is missing. */
/* The refusal for a required form the case has no final submission of:
 * fill it in, or, when the site has no such form to fill (a misspelt
 * <requires-form>, its plugin not enabled), say that instead. */
static int missing_form(fr_site *site, int64_t case_id, const wf_transition *t, const char *form,
                        fr_error *refusal, fr_error *err)
{
    const fr_form *def = NULL;
    int rc = fr_forms_get(site, form, 0, &def, err);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(refusal, FR_EREFUSED,
                            "event '%s' needs a final submission of form '%s', which this site "
                            "does not have: enable the plugin that provides it, or correct the "
                            "workflow's <requires-form form=\"%s\"> (`filrouge form list` shows "
                            "the forms)",
                            t->event, form, form);
    if (rc)
        return rc;
    if (!fr_forms_offered(site, def))
        return fr_error_set(refusal, FR_EREFUSED,
                            "event '%s' needs a final submission of form '%s', which is no "
                            "longer offered on this site (the plugin that provided it is "
                            "disabled): enable it again to fill in the form",
                            t->event, form);
    return fr_error_set(refusal, FR_EREFUSED,
                        "event '%s' needs a final submission of form '%s' for case %" PRId64
                        ": fill in and submit the form first",
                        t->event, form, case_id);
}

static int check_forms(fr_site *site, int64_t case_id, const wf_transition *t, fr_error *refusal,
                       fr_error *err)
{
    for (char **f = t->forms; f && *f; f++) {
        int64_t n = 0;
        int rc = fr_store_query_int(site->store, err, &n,
                                    "SELECT count(*) FROM submissions WHERE case_id = ?"
                                    " AND form_id = ? AND status = 'final'",
                                    "It", case_id, *f);
        if (rc)
            return rc;
        if (n == 0)
            return missing_form(site, case_id, t, *f, refusal, err);
    }
    return 0;
}

/* Decides one candidate transition: 0 and *ok = 1 when it may fire, 0 and
 * *ok = 0 with `refusal` filled when a rule refuses, negative on error. */
static int judge(fr_site *site, int64_t case_id, const case_row *c, const fr_workflow *wf,
                 const wf_transition *t, xmlDocPtr *doc, int *ok, fr_error *refusal, fr_error *err)
{
    *ok = 0;
    int rc = check_forms(site, case_id, t, refusal, err);
    if (rc == FR_EREFUSED)
        return 0;
    if (rc)
        return rc;
    if (!t->guard_expr && !t->guard_ref) {
        *ok = 1;
        return 0;
    }
    if (!*doc && (rc = build_case_doc(site, case_id, doc, err)))
        return rc;
    int allowed = 0;
    if (t->guard_expr) {
        if ((rc = eval_xpath_guard(site, case_id, wf, t, *doc, &allowed, err)))
            return rc;
        if (!allowed && t->guard_message)
            fr_error_set(refusal, FR_EREFUSED, "%s", t->guard_message);
        else if (!allowed)
            fr_error_set(refusal, FR_EREFUSED,
                         "event '%s' is refused for case %" PRId64 ": the guard \"%s\" is false",
                         t->event, case_id, t->guard);
        *ok = allowed;
        return 0;
    }
    const wf_guard *g = find_guard(site->workflows, t->guard_ref);
    if (!g) {
        wf_entry *e = find_entry(site->workflows, wf->id, wf->version);
        if (strncmp(t->guard_ref, "py:", 3) == 0)
            fr_error_set(refusal, FR_EREFUSED,
                         "guard '%s' is not registered: no Python hook of this site or of its "
                         "enabled plugins defines @filrouge.guard(\"%s\") (`filrouge hooks "
                         "list` shows the guards loaded, the site log a hook file that did not "
                         "load) (needed by event '%s' of workflow %s)",
                         t->guard_ref, t->guard_ref + 3, t->event, wf->id);
        else
            fr_error_set(refusal, FR_EREFUSED,
                         "guard '%s' is not registered: is plugin '%s' enabled? (needed by event "
                         "'%s' of workflow %s)",
                         t->guard_ref, e && e->plugin ? e->plugin : c->plugin, t->event, wf->id);
        return 0;
    }
    char *xml = doc_text(*doc);
    if (!xml)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    fr_guard_call call = {.case_id = case_id,
                          .workflow = wf->id,
                          .from = c->state,
                          .to = t->to,
                          .event = t->event,
                          .case_xml = xml};
    fr_error gerr = {0};
    rc = g->fn(&call, g->userdata, &allowed, &gerr);
    free(xml);
    if (rc < 0)
        return fr_error_set(err, rc, "guard '%s' failed: %s", t->guard_ref,
                            gerr.message[0] ? gerr.message : "no message");
    if (!allowed) {
        if (t->guard_message)
            fr_error_set(refusal, FR_EREFUSED, "%s", t->guard_message);
        else if (gerr.message[0])
            fr_error_set(refusal, FR_EREFUSED, "%s", gerr.message);
        else
            fr_error_set(refusal, FR_EREFUSED,
                         "event '%s' is refused for case %" PRId64 " by guard '%s'", t->event,
                         case_id, t->guard_ref);
    }
    *ok = allowed;
    return 0;
}

static int publish_json(fr_site *site, const char *topic, int64_t case_id, json_t *payload,
                        fr_error *err)
{
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    if (!text)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    int rc = fr_bus_publish_compact(site, topic, case_id, text, err);
    free(text);
    return rc;
}

/* The changes of a transition that was judged allowed; inside a
 * transaction that the caller rolls back on error. */
static int apply(fr_site *site, int64_t case_id, const case_row *c, const fr_workflow *wf,
                 const wf_transition *t, const char *effective_on, const char *note, fr_error *err)
{
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    const wf_state *from = wf_state_find(wf, c->state);
    const wf_state *to = wf_state_find(wf, t->to);
    const char *status = to->final ? "closed" : "open";
    int rc = fr_store_execf(site->store, err,
                            "UPDATE cases SET state = ?, state_since = ?, status = ?,"
                            " closed_on = ?, row_version = row_version + 1, updated_at = ?"
                            " WHERE id = ?",
                            "tttttI", to->id, effective_on, status, to->final ? effective_on : NULL,
                            now, case_id);
    /* A step's own tasks (its on-enter tasks) close with the step: moving
     * on says the step's work is over. They are cancelled, not marked
     * done: nobody did them through Filrouge. */
    if (!rc && from && from != to) {
        char ref[160];
        snprintf(ref, sizeof ref, "state:%s", from->id);
        rc = fr_store_execf(site->store, err,
                            "UPDATE tasks SET status = 'cancelled' WHERE case_id = ?"
                            " AND status = 'open' AND origin = 'workflow' AND origin_ref = ?",
                            "It", case_id, ref);
    }
    /* Timers belong to a state: their pending reminders go when it is left. */
    for (int i = 0; !rc && from && from != to && i < from->ntimers; i++) {
        char ref[160];
        snprintf(ref, sizeof ref, "timer:%s", from->timers[i].id);
        rc = fr_store_execf(site->store, err,
                            "UPDATE tasks SET status = 'cancelled' WHERE case_id = ?"
                            " AND status = 'open' AND origin = 'timer' AND origin_ref = ?",
                            "It", case_id, ref);
    }
    /* A closed case has nothing pending: its open tasks are cancelled (they
     * stay in the record, and reopening the case starts afresh). */
    if (!rc && to->final && !(from && from->final))
        rc = fr_store_execf(site->store, err,
                            "UPDATE tasks SET status = 'cancelled' WHERE case_id = ? AND status = "
                            "'open'",
                            "I", case_id);
    if (!rc)
        rc = insert_transition(site, case_id, t->event, c->state, to->id, wf->version, effective_on,
                               note, 0, err);
    if (!rc)
        rc =
            publish_json(site, "case.transitioned", case_id,
                         json_pack("{s:s,s:s,s:s,s:s,s:s}", "from", c->state, "to", to->id, "event",
                                   t->event, "workflow", wf->id, "effective_on", effective_on),
                         err);
    if (!rc && strcmp(status, c->status) != 0)
        rc = publish_json(site, to->final ? "case.closed" : "case.reopened", case_id,
                          json_pack("{s:s,s:s,s:s}", "state", to->id, "event", t->event,
                                    "effective_on", effective_on),
                          err);
    if (!rc)
        rc = run_on_enter(site, case_id, wf, to, effective_on, err);
    if (!rc && to->ntimers > 0)
        rc = fr_task_case_timers(site, case_id, NULL, err);
    if (!rc) {
        json_t *d = json_pack("{s:s,s:s,s:s,s:s}", "event", t->event, "from", c->state, "to",
                              to->id, "effective_on", effective_on);
        char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        rc = detail ? fr_audit_appendi(site->store, site->actor, "transition", "case", case_id,
                                       detail, err)
                    : fr_error_set(err, FR_ENOMEM, "out of memory");
        free(detail);
    }
    return rc;
}

int fr_workflow_fire(fr_site *site, int64_t case_id, const char *event, const char *effective_on,
                     const char *note, fr_error *err)
{
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    if (!event || !*event)
        return fr_error_set(err, FR_EINVAL, "which event? name one of the events allowed now");
    if (!effective_on || !*effective_on)
        effective_on = today;
    if (!fr_date_valid(effective_on))
        return fr_error_set(err, FR_EINVAL, "effective date '%s': date must be YYYY-MM-DD",
                            effective_on);
    if (strcmp(effective_on, today) > 0)
        return fr_error_set(err, FR_EINVAL,
                            "effective date %s is in the future (today is %s): record a "
                            "transition once it has happened",
                            effective_on, today);
    int rc = fr_access_case(site, case_id, FR_WRITE, err);
    if (rc)
        return rc;
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    /* From here on, reads and writes see one state of the case. */
    case_row c;
    const fr_workflow *wf = NULL;
    xmlDocPtr doc = NULL;
    if ((rc = read_case(site, case_id, &c, err)) ||
        (rc = fr_workflows_get(site, c.workflow, c.version, &wf, err)))
        goto out;
    /* A step before the case began would put a state before the opening in
     * the timeline and its on-enter tasks overdue from the start. A case
     * registered after the fact has its opening corrected first. A step
     * before the last one would make the timeline impossible (the state
     * left before it was entered); a mistyped last step is corrected
     * first (fr_case_set_last_step_on). */
    if ((rc = fr_case_check_after_opening(site, case_id, "on", effective_on, err)) ||
        (rc = fr_case_check_after_last_step(site, case_id, "on", effective_on, err)))
        goto out;
    if (!wf_state_find(wf, c.state)) {
        rc = fr_error_set(err, FR_EINVAL,
                          "case %" PRId64 " is in state '%s', which workflow %s version %d does "
                          "not define: migrate the case (`filrouge workflow migrate`)",
                          case_id, c.state, wf->id, wf->version);
        goto out;
    }
    const wf_transition *chosen = NULL;
    fr_error refusal = {0};
    int matched = 0;
    for (int i = 0; i < wf->ntransitions && !chosen; i++) {
        const wf_transition *t = &wf->transitions[i];
        if (strcmp(t->event, event) != 0 || !wf_transition_from(wf, t, c.state))
            continue;
        matched = 1;
        int ok = 0;
        fr_error this_refusal = {0};
        if ((rc = judge(site, case_id, &c, wf, t, &doc, &ok, &this_refusal, err)))
            goto out;
        if (ok)
            chosen = t;
        else if (!refusal.code)
            refusal = this_refusal;
    }
    if (!matched) {
        char **v = allowed_events(wf, c.state);
        char list[512];
        join_events(v, list, sizeof list);
        fr_strv_free(v);
        rc = fr_error_set(err, FR_EREFUSED,
                          "%sevent '%s' is not allowed in state '%s' of workflow '%s'; allowed "
                          "now: %s",
                          strcmp(c.status, "closed") == 0 ? "the case is closed: " : "", event,
                          c.state, wf->id, list);
        goto out;
    }
    if (!chosen) {
        rc = fr_error_set(err, FR_EREFUSED, "%s", refusal.message);
        goto out;
    }
    rc = apply(site, case_id, &c, wf, chosen, effective_on, note, err);
out:
    if (doc)
        xmlFreeDoc(doc);
    if (rc) {
        fr_store_rollback(site->store);
        return rc;
    }
    return fr_store_commit(site->store, err);
}

/* ---- migration ----------------------------------------------------------- */

typedef struct plan_row {
    int64_t case_id;
    int version;
    char state[64];
} plan_row;

static const char *map_state(const fr_workflow *wf, int from_version, const char *state)
{
    for (int i = 0; i < wf->nmigrations; i++) {
        if (wf->migrations[i].from_version != from_version)
            continue;
        for (int j = 0; j < wf->migrations[i].nmaps; j++)
            if (strcmp(wf->migrations[i].maps[j].from, state) == 0)
                return wf->migrations[i].maps[j].to;
    }
    const wf_state *s = wf_state_find(wf, state);
    return s ? s->id : NULL;
}

static int migrate_one(fr_site *site, const fr_workflow *wf, const plan_row *r, const char *to,
                       fr_error *err)
{
    char today[FR_TIME_LEN], now[FR_TIME_LEN], note[64];
    fr_clock_today(today);
    fr_clock_now(now);
    snprintf(note, sizeof note, "from version %d to version %d", r->version, wf->version);
    int rc = fr_store_execf(site->store, err,
                            "UPDATE cases SET workflow_version = ?, state = ?,"
                            " state_since = CASE WHEN state = ? THEN state_since ELSE ? END,"
                            " row_version = row_version + 1, updated_at = ? WHERE id = ?",
                            "ittttI", wf->version, to, to, today, now, r->case_id);
    if (!rc)
        rc = insert_transition(site, r->case_id, "migrate", r->state, to, wf->version, today, note,
                               1, err);
    if (!rc) {
        json_t *d = json_pack("{s:s,s:i,s:i,s:s,s:s}", "workflow", wf->id, "from_version",
                              r->version, "to_version", wf->version, "from", r->state, "to", to);
        char *detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        rc = fr_audit_appendi(site->store, site->actor, "migrate", "case", r->case_id, detail, err);
        free(detail);
    }
    return rc;
}

int fr_workflow_migrate(fr_site *site, const char *workflow, int dry_run,
                        fr_migration_plan_item **plan, int *n, fr_error *err)
{
    *plan = NULL;
    *n = 0;
    if (!fr_access_has_role(site, "admin")) {
        fr_access_refused_role(site, "case", "*");
        return fr_error_set(err, FR_EACCESS, "only an administrator can migrate cases");
    }
    const fr_workflow *wf;
    int rc = fr_workflows_get(site, workflow, 0, &wf, err);
    if (rc)
        return rc;
    fr_stmt *st;
    rc = fr_store_query(site->store, err, &st,
                        "SELECT id, workflow_version, state FROM cases WHERE workflow_id = ?"
                        " AND status = 'open' AND workflow_version < ? ORDER BY id",
                        "ti", workflow, wf->version);
    if (rc)
        return rc;
    plan_row *rows = NULL;
    int nrows = 0;
    while ((rc = fr_stmt_step(st, err)) == 1) {
        plan_row *nr = realloc(rows, (size_t)(nrows + 1) * sizeof *nr);
        if (!nr) {
            rc = fr_error_set(err, FR_ENOMEM, "out of memory");
            break;
        }
        rows = nr;
        rows[nrows].case_id = fr_stmt_int(st, 0);
        rows[nrows].version = (int)fr_stmt_int(st, 1);
        snprintf(rows[nrows].state, sizeof rows[nrows].state, "%s", fr_stmt_text(st, 2));
        nrows++;
    }
    fr_stmt_done(st);
    fr_migration_plan_item *items = NULL;
    if (rc < 0)
        goto out;
    rc = 0;
    items = calloc((size_t)nrows + 1, sizeof *items);
    if (!items) {
        rc = fr_error_set(err, FR_ENOMEM, "out of memory");
        goto out;
    }
    char missing[FR_ERROR_MAX] = "";
    size_t mlen = 0;
    int nmissing = 0;
    for (int i = 0; i < nrows; i++) {
        const char *to = map_state(wf, rows[i].version, rows[i].state);
        const wf_state *s = wf_state_find(wf, to);
        items[i].case_id = rows[i].case_id;
        snprintf(items[i].from_state, sizeof items[i].from_state, "%s", rows[i].state);
        snprintf(items[i].to_state, sizeof items[i].to_state, "%s", to ? to : "");
        if (s && !s->final)
            continue;
        nmissing++;
        if (mlen < sizeof missing - 1)
            mlen += (size_t)snprintf(missing + mlen, sizeof missing - mlen,
                                     "%scase %" PRId64 " (version %d, state '%s'%s)",
                                     nmissing > 1 ? ", " : "", rows[i].case_id, rows[i].version,
                                     rows[i].state, s ? " maps to a final state" : "");
    }
    if (nmissing) {
        rc = fr_error_set(err, FR_EREFUSED,
                          "cannot migrate workflow %s to version %d, nothing was moved: no "
                          "mapping for %s. Add <map from=\"…\" to=\"…\"/> to the <migration "
                          "from-version=\"…\"> of version %d, naming a state that is not final",
                          workflow, wf->version, missing, wf->version);
        goto out;
    }
    if (!dry_run && nrows > 0) {
        if ((rc = fr_store_begin(site->store, err)))
            goto out;
        for (int i = 0; !rc && i < nrows; i++)
            rc = migrate_one(site, wf, &rows[i], items[i].to_state, err);
        if (rc)
            fr_store_rollback(site->store);
        else
            rc = fr_store_commit(site->store, err);
    }
out:
    free(rows);
    if (rc) {
        free(items);
        return rc;
    }
    *plan = items;
    *n = nrows;
    return 0;
}
