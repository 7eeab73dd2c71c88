/* A task's title in the reader's language. A task created by a workflow
 * (an on-enter <task> or a <timer>) keeps a reference to the definition's
 * task (tasks.title_ref, "frailty/2/state:referral/0" or
 * "frailty/2/timer:review"); its title is read there, in the reader's
 * language, else French, else English, else the definition's title
 * attribute. A task the kernel makes (a referral's follow-up,
 * "core:referral:SPECIALTY") is worded in the reader's language. A task
 * typed by a person, a plugin or a hook has one title, shown as it was
 * typed; so is a workflow task whose definition cannot be read. Tasks a
 * workflow made before title_ref existed get theirs once, at the site's
 * first opening with it (fr_task_titles_backfill). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store.h"
#include "task.h"
#include "wfdef.h"
#include "workflow.h"

/* The definition's task that title_ref names, or NULL. */
static const wf_task *ref_task(fr_site *site, const char *title_ref)
{
    char id[128], kind[8], name[128];
    int version = 0, index = -1, used = 0;
    if (sscanf(title_ref, "%127[^/]/%d/%7[a-z]:%127[^/]%n", id, &version, kind, name, &used) != 4)
        return NULL;
    const char *rest = title_ref + used;
    const fr_workflow *wf = NULL;
    fr_error err = {0};
    if (fr_workflows_get(site, id, version, &wf, &err) != 0)
        return NULL;
    if (strcmp(kind, "timer") == 0 && !*rest) {
        for (int i = 0; i < wf->nstates; i++)
            for (int j = 0; j < wf->states[i].ntimers; j++)
                if (strcmp(wf->states[i].timers[j].id, name) == 0)
                    return &wf->states[i].timers[j];
        return NULL;
    }
    const wf_state *s = wf_state_find(wf, name);
    if (strcmp(kind, "state") != 0 || !s || sscanf(rest, "/%d%n", &index, &used) != 1 ||
        rest[used] || index < 0 || index >= s->nactions || s->actions[index].is_emit)
        return NULL;
    return &s->actions[index].task;
}

const char *fr_task_title(fr_site *site, const char *title_ref, const char *stored,
                          const char *lang)
{
    if (!lang || !*lang)
        lang = site->actor_lang[0] ? site->actor_lang : NULL;
    const wf_task *t = title_ref && *title_ref ? ref_task(site, title_ref) : NULL;
    const char *title = t ? wf_task_title(t, lang) : NULL;
    return title && *title ? title : stored;
}

/* A referral's follow-up in the reader's language (French when it is
 * none of these), into out; 0 when ref is no such task. */
static int follow_up_title(const char *ref, const char *lang, char *out, size_t size)
{
    static const char *const words[][2] = {{"fr", "Relancer l'orientation : "},
                                           {"nl", "Verwijzing opvolgen: "},
                                           {"de", "Überweisung nachfassen: "},
                                           {"en", "Follow up the referral: "}};
    static const char prefix[] = FR_TASK_REF_REFERRAL;
    if (strncmp(ref, prefix, sizeof prefix - 1) != 0)
        return 0;
    size_t k = 0;
    for (size_t i = 0; lang && i < sizeof words / sizeof words[0]; i++)
        if (strcmp(lang, words[i][0]) == 0)
            k = i;
    snprintf(out, size, "%s%s", words[k][1], ref + sizeof prefix - 1);
    return 1;
}

void fr_task_titles_json(fr_site *site, json_t *tasks, const char *lang)
{
    size_t i;
    json_t *o;
    char worded[400];
    json_array_foreach(tasks, i, o)
    {
        const char *ref = json_string_value(json_object_get(o, "title_ref"));
        const char *stored = json_string_value(json_object_get(o, "title"));
        const char *reader = lang && *lang ? lang : site->actor_lang;
        const char *title = !ref ? stored
                            : follow_up_title(ref, reader, worded, sizeof worded)
                                ? worded
                                : fr_task_title(site, ref, stored, lang);
        if (title && title != stored)
            json_object_set_new(o, "title", json_string(title));
        json_object_del(o, "title_ref");
    }
}

/* ---- giving older workflow tasks their reference ---- */

/* The site_meta key saying the backfill ran (its value: when, and what it
 * did). */
#define BACKFILL_KEY "tasks.title_ref.backfilled"

/* 1 when t is titled `title` in some language or by its title attribute. */
static int titled(const wf_task *t, const char *title)
{
    if (t->title && strcmp(t->title, title) == 0)
        return 1;
    for (int k = 0; k < t->ntitles; k++)
        if (t->titles[k].text && strcmp(t->titles[k].text, title) == 0)
            return 1;
    return 0;
}

/* The title_ref of the one task of wf a stored title can be (into out),
 * among the on-enter tasks (origin "workflow") or the timers ("timer") of
 * the state or timer origin_ref names ("state:ID", "timer:ID"), or of
 * every state when it names none of wf's. 0 when no task or more than one
 * has that title. */
static int ref_of_title(const fr_workflow *wf, const char *origin, const char *origin_ref,
                        const char *title, char *out, size_t size)
{
    int timer = strcmp(origin, "timer") == 0, found = 0;
    const char *named = origin_ref && strncmp(origin_ref, timer ? "timer:" : "state:", 6) == 0
                            ? origin_ref + 6
                            : NULL;
    int known = 0; /* whether origin_ref names a state or timer of wf */
    for (int i = 0; named && i < wf->nstates; i++) {
        known |= !timer && strcmp(wf->states[i].id, named) == 0;
        for (int j = 0; timer && j < wf->states[i].ntimers; j++)
            known |= strcmp(wf->states[i].timers[j].id, named) == 0;
    }
    for (int i = 0; i < wf->nstates; i++) {
        const wf_state *s = &wf->states[i];
        if (!timer && known && strcmp(s->id, named) != 0)
            continue;
        for (int j = 0; !timer && j < s->nactions; j++)
            if (!s->actions[j].is_emit && titled(&s->actions[j].task, title) && !found++)
                snprintf(out, size, "%s/%d/state:%s/%d", wf->id, wf->version, s->id, j);
        for (int j = 0; timer && j < s->ntimers; j++)
            if ((!known || strcmp(s->timers[j].id, named) == 0) && titled(&s->timers[j], title) &&
                !found++)
                snprintf(out, size, "%s/%d/timer:%s", wf->id, wf->version, s->timers[j].id);
    }
    return found == 1;
}

/* The tasks a workflow made before title_ref existed, each given the
 * reference of the definition's task its title is (in a transaction). */
static int backfill(fr_site *site, int *set, int *left, fr_error *err)
{
    json_t *rows = NULL;
    int rc = fr_store_query_json(
        site->store, err, &rows,
        "SELECT t.id, t.title, t.origin, coalesce(t.origin_ref, '') AS origin_ref,"
        " c.workflow_id, c.workflow_version FROM tasks t JOIN cases c ON c.id = t.case_id"
        " WHERE t.title_ref IS NULL AND t.origin IN ('workflow', 'timer')",
        NULL);
    size_t i;
    json_t *v;
    json_array_foreach(rows, i, v)
    {
        if (rc)
            break;
        const fr_workflow *wf = NULL;
        fr_error werr = {0};
        char ref[320];
        if (fr_workflows_get(site, json_string_value(json_object_get(v, "workflow_id")),
                             (int)json_integer_value(json_object_get(v, "workflow_version")), &wf,
                             &werr) != 0 ||
            !ref_of_title(wf, json_string_value(json_object_get(v, "origin")),
                          json_string_value(json_object_get(v, "origin_ref")),
                          json_string_value(json_object_get(v, "title")), ref, sizeof ref)) {
            (*left)++;
            continue;
        }
        rc = fr_store_execf(site->store, err,
                            "UPDATE tasks SET title_ref = ? WHERE id = ? AND title_ref IS NULL",
                            "tI", ref, (int64_t)json_integer_value(json_object_get(v, "id")));
        (*set)++;
    }
    json_decref(rows);
    return rc;
}

int fr_task_titles_backfill(fr_site *site, int *set, fr_error *err)
{
    *set = 0;
    int left = 0;
    char *done = NULL;
    /* what every opening after the first costs: one key looked up */
    int rc = fr_store_query_text(site->store, err, &done,
                                 "SELECT value FROM site_meta WHERE key = ?", "t", BACKFILL_KEY);
    free(done);
    done = NULL;
    if (rc != FR_ENOTFOUND)
        return rc;
    fr_error_clear(err);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    /* another process may have run it meanwhile (writers take turns) */
    rc = fr_store_query_text(site->store, err, &done, "SELECT value FROM site_meta WHERE key = ?",
                             "t", BACKFILL_KEY);
    free(done);
    if (rc == FR_ENOTFOUND) {
        fr_error_clear(err);
        char now[FR_TIME_LEN], value[FR_TIME_LEN + 64];
        fr_clock_now(now);
        rc = backfill(site, set, &left, err);
        snprintf(value, sizeof value, "%s: %d set, %d left", now, *set, left);
        if (!rc)
            rc = fr_store_execf(site->store, err,
                                "INSERT INTO site_meta (key, value) VALUES (?, ?)"
                                " ON CONFLICT (key) DO NOTHING",
                                "tt", BACKFILL_KEY, value);
    }
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    if (rc)
        *set = 0;
    else if (*set || left)
        fr_site_log(site, "core",
                    "%d workflow task(s) made before titles followed the reader's language now "
                    "do (tasks.title_ref); %d keep the one title they were made with (no single "
                    "task of their definition has that title)",
                    *set, left);
    return rc;
}
