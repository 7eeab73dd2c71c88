/* A task's title in the reader's language. A task created by a workflow
 * (an on-enter <task> or a <timer>) keeps a reference to the definition's
 * task (tasks.title_ref, "frailty/2/state:referral/0" or
 * "frailty/2/timer:review"); its title is read there, in the reader's
 * language, else French, else English, else the definition's title
 * attribute. A task the kernel makes (a referral's follow-up,
 * "core:referral:SPECIALTY") is worded in the reader's language. A task
 * typed by a person, a plugin or a hook has one title, shown as it was
 * typed; so is a workflow task whose definition cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
