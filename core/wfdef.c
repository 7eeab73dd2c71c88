/* Reading workflow definitions: XSD validation (through xmldoc), then the
 * checks of meaning the schema cannot express (one initial state, states
 * named by transitions exist, guards compile, durations parse, …), every
 * problem reported at once as "FILE:LINE: message". Firing, storage and
 * migration are in workflow.c. */
#include "wfdef.h"

#include <errno.h>
#include <libxml/c14n.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "formdef.h"
#include "task.h"
#include "xmldoc.h"

/* Problems found while checking, one line each. */
/* buf holds what fits in an fr_error; all every problem, for `workflow
 * check` and `plugin check`, which print them all. */
typedef struct problems {
    const char *name;
    int strict; /* a file being loaded: the checks added over time apply */
    char buf[FR_ERROR_MAX];
    size_t len;
    int count;
    char *all;
    size_t all_len;
} problems;

static void problem(problems *p, xmlNodePtr node, const char *fmt, ...) FR_PRINTF(3, 4);

static void problem(problems *p, xmlNodePtr node, const char *fmt, ...)
{
    p->count++;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *line = NULL;
    int ln = asprintf(&line, "%s%s:%ld: %s", p->all_len ? "\n" : "", p->name,
                      node ? xmlGetLineNo(node) : 0L, msg);
    char *grown = ln > 0 ? realloc(p->all, p->all_len + (size_t)ln + 1) : NULL;
    if (grown) {
        memcpy(grown + p->all_len, line, (size_t)ln + 1);
        p->all = grown;
        p->all_len += (size_t)ln;
    }
    free(ln > 0 ? line : NULL);
    if (p->len + 8 >= sizeof p->buf)
        return;
    int n = snprintf(p->buf + p->len, sizeof p->buf - p->len, "%s%s:%ld: %s", p->len ? "\n" : "",
                     p->name, node ? xmlGetLineNo(node) : 0L, msg);
    if (n > 0)
        p->len += (size_t)n;
    if (p->len >= sizeof p->buf)
        p->len = sizeof p->buf - 1;
}

static void ignore_xml_error(void *data, xmlErrorPtr e)
{
    (void)data;
    (void)e;
}

static void ignore_generic_error(void *data, const char *fmt, ...)
{
    (void)data;
    (void)fmt;
}

static char **split_words(const char *s)
{
    size_t n = 0, cap = 4;
    char **v = calloc(cap + 1, sizeof *v);
    const char *p = s;
    while (v && p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (n == cap) {
            char **nv = realloc(v, (2 * cap + 1) * sizeof *v);
            if (!nv)
                break;
            v = nv;
            cap *= 2;
        }
        v[n++] = strndup(start, (size_t)(p - start));
        v[n] = NULL;
    }
    return v;
}

static void free_titles(wf_titles *t)
{
    for (int i = 0; i < t->n; i++) {
        free(t->v[i].lang);
        free(t->v[i].text);
    }
    free(t->v);
}

static void free_task(wf_task *t)
{
    free(t->title);
    for (int i = 0; i < t->ntitles; i++) {
        free(t->titles[i].lang);
        free(t->titles[i].text);
    }
    free(t->titles);
    free(t->due);
    free(t->anchor);
    free(t->offset);
    free(t->id);
    free(t->every);
}

void fr_workflow_free(fr_workflow *wf)
{
    if (!wf)
        return;
    for (int i = 0; i < wf->nstates; i++) {
        wf_state *s = &wf->states[i];
        free(s->id);
        free_titles(&s->titles);
        for (int j = 0; j < s->nactions; j++) {
            free(s->actions[j].event);
            free_task(&s->actions[j].task);
        }
        free(s->actions);
        for (int j = 0; j < s->ntimers; j++)
            free_task(&s->timers[j]);
        free(s->timers);
    }
    free(wf->states);
    free_titles(&wf->titles);
    for (int i = 0; i < wf->ntransitions; i++) {
        wf_transition *t = &wf->transitions[i];
        free(t->event);
        free_titles(&t->titles);
        fr_strv_free(t->from);
        free(t->to);
        free(t->guard);
        if (t->guard_expr)
            xmlXPathFreeCompExpr(t->guard_expr);
        free(t->guard_ref);
        free(t->guard_message);
        fr_strv_free(t->forms);
        free(t->form_lines);
    }
    free(wf->transitions);
    for (int i = 0; i < wf->nmigrations; i++) {
        for (int j = 0; j < wf->migrations[i].nmaps; j++) {
            free(wf->migrations[i].maps[j].from);
            free(wf->migrations[i].maps[j].to);
        }
        free(wf->migrations[i].maps);
    }
    free(wf->migrations);
    free(wf->id);
    free(wf->name);
    free(wf->text);
    free(wf);
}

static int count_children(xmlNodePtr parent, const char *name)
{
    int n = 0;
    for (xmlNodePtr c = fr_xml_child(parent, name); c; c = fr_xml_next(c->next, name))
        n++;
    return n;
}

/* 1 when the length of d (its sign aside) is more than FR_TASK_DUE_YEARS,
 * or too long to count at all. */
static int longer_than_due_bound(const fr_duration *d)
{
    fr_duration len = *d, bound = {.sign = 1, .years = FR_TASK_DUE_YEARS};
    len.sign = 1;
    char a[FR_TIME_LEN], b[FR_TIME_LEN];
    fr_error e = {0};
    if (len.years > 10000 || fr_date_add("2000-01-01", &len, a, &e) != 0)
        return 1;
    fr_date_add("2000-01-01", &bound, b, &e);
    return strcmp(a, b) > 0;
}

/* A duration attribute of `who` (a task, a timer): ISO 8601, at least
 * `least` (-1: any sign, an offset before its anchor; 0: not negative, a
 * due date on or after the step; 1: at least a day, a timer's period), and
 * not longer than the due-date bound: a task due further ahead than a due
 * date may be would never come (and is refused when the case is there).
 * The sign of a due date and the bound are checked in files only (a text
 * stored before they were stays readable). */
static void check_duration(problems *p, xmlNodePtr node, const char *who, const char *attr,
                           const char *value, int least)
{
    fr_duration d;
    fr_error e = {0};
    if (!value)
        return;
    if (fr_duration_parse(value, &d, &e) != 0)
        problem(p, node, "%s=\"%s\" is not an ISO 8601 duration (%s): write e.g. P14D, P3M, -P7D",
                attr, value, e.message);
    else if (least == 1 && (d.sign < 0 || d.years + d.months + d.days == 0))
        problem(p, node, "%s: %s=\"%s\" must be a positive duration of at least a day", who, attr,
                value);
    else if (!p->strict)
        return; /* a stored text: its cases stay readable */
    else if (least == 0 && d.sign < 0 && d.years + d.months + d.days > 0)
        problem(p, node,
                "%s: %s=\"%s\" is negative: a task is due on or after the day the state is "
                "entered (P0D: that day)",
                who, attr, value);
    else if (longer_than_due_bound(&d))
        problem(p, node,
                "%s: %s=\"%s\" is longer than %d years: a task due that far ahead would never "
                "come (due dates are refused beyond it); write at most P%dY",
                who, attr, value, FR_TASK_DUE_YEARS, FR_TASK_DUE_YEARS);
}

/* Reads the attributes and <title> children shared by <task> and <timer>. */
static void read_task(problems *p, xmlNodePtr node, wf_task *t)
{
    t->title = fr_xml_attr(node, "title");
    t->due = fr_xml_attr(node, "due");
    t->anchor = fr_xml_attr(node, "anchor");
    t->offset = fr_xml_attr(node, "offset");
    t->ntitles = count_children(node, "title");
    t->titles = t->ntitles ? calloc((size_t)t->ntitles, sizeof *t->titles) : NULL;
    int i = 0;
    for (xmlNodePtr c = fr_xml_child(node, "title"); c && t->titles;
         c = fr_xml_next(c->next, "title")) {
        t->titles[i].lang = fr_xml_attr(c, "lang");
        t->titles[i].text = fr_xml_text(c);
        i++;
    }
    char who[160];
    snprintf(who, sizeof who, "task '%.120s'", t->title ? t->title : "");
    check_duration(p, node, who, "due", t->due, 0);
    check_duration(p, node, who, "offset", t->offset, -1);
    if (t->due && t->anchor)
        problem(p, node,
                "task '%s' has both due and anchor: use due (from the day the state is "
                "entered) or anchor with offset (from a named date of the case), not both",
                t->title);
    if (t->offset && !t->anchor)
        problem(p, node,
                "task '%s' has an offset but no anchor: add anchor=\"<case date name>\" "
                "or use due instead",
                t->title);
}

static void read_titles(xmlNodePtr node, wf_titles *t)
{
    t->n = count_children(node, "title");
    t->v = t->n ? calloc((size_t)t->n, sizeof *t->v) : NULL;
    if (!t->v)
        t->n = 0;
    int i = 0;
    for (xmlNodePtr c = fr_xml_child(node, "title"); c && i < t->n;
         c = fr_xml_next(c->next, "title")) {
        t->v[i].lang = fr_xml_attr(c, "lang");
        t->v[i].text = fr_xml_text(c);
        i++;
    }
}

/* The text in exactly lang, or NULL. */
static const char *text_exact(const wf_text *v, int n, const char *lang)
{
    for (int i = 0; lang && i < n; i++)
        if (v[i].lang && strcmp(v[i].lang, lang) == 0 && v[i].text)
            return v[i].text;
    return NULL;
}

/* The languages tried in turn for a reader of lang: theirs, then French
 * (the reference text of the shipped plugins), then English. */
static void fallbacks(const char *lang, const char *out[3])
{
    out[0] = lang;
    out[1] = "fr";
    out[2] = "en";
}

/* The text for a reader of lang along fallbacks(), or NULL. */
static const char *text_for(const wf_text *v, int n, const char *lang)
{
    const char *langs[3];
    fallbacks(lang, langs);
    for (int i = 0; i < 3; i++) {
        const char *s = text_exact(v, n, langs[i]);
        if (s)
            return s;
    }
    return NULL;
}

/* The title in lang, else French, else English, else the first, else NULL. */
static const char *title_in(const wf_titles *t, const char *lang)
{
    const char *s = text_for(t->v, t->n, lang);
    return s ? s : t->n > 0 ? t->v[0].text : NULL;
}

static void read_state(problems *p, xmlNodePtr node, wf_state *s)
{
    char *v;
    s->id = fr_xml_attr(node, "id");
    s->line = (int)xmlGetLineNo(node);
    read_titles(node, &s->titles);
    v = fr_xml_attr(node, "initial");
    s->initial = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    free(v);
    v = fr_xml_attr(node, "final");
    s->final = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    free(v);
    xmlNodePtr enter = fr_xml_child(node, "on-enter");
    if (enter) {
        s->nactions = count_children(enter, NULL);
        s->actions = calloc((size_t)s->nactions, sizeof *s->actions);
        int i = 0;
        for (xmlNodePtr c = fr_xml_child(enter, NULL); c && s->actions;
             c = fr_xml_next(c->next, NULL)) {
            wf_action *a = &s->actions[i++];
            if (strcmp((const char *)c->name, "emit") == 0) {
                a->is_emit = 1;
                a->event = fr_xml_attr(c, "event");
            } else {
                read_task(p, c, &a->task);
            }
        }
    }
    s->ntimers = count_children(node, "timer");
    s->timers = s->ntimers ? calloc((size_t)s->ntimers, sizeof *s->timers) : NULL;
    int i = 0;
    for (xmlNodePtr c = fr_xml_child(node, "timer"); c && s->timers;
         c = fr_xml_next(c->next, "timer")) {
        wf_task *t = &s->timers[i++];
        read_task(p, c, t);
        t->id = fr_xml_attr(c, "id");
        t->every = fr_xml_attr(c, "every");
        char who[160];
        snprintf(who, sizeof who, "timer '%.120s'", t->id ? t->id : "");
        check_duration(p, c, who, "every", t->every, 1);
        if (t->due || t->anchor)
            problem(p, c,
                    "timer '%s': a timer's task is due `every` after the state was entered "
                    "(or after its previous task was done); remove due/anchor/offset",
                    t->id);
    }
}

/* A guard compiles whatever functions it calls and variables it uses;
 * only evaluation would find them missing, on a real case, as an error.
 * They are found here instead. */
typedef struct guard_names {
    problems *p;
    xmlNodePtr node;
    const char *guard;
} guard_names;

static void guard_name(void *data, const char *name, int kind)
{
    guard_names *g = data;
    if (kind == 1 && !fm_known_function(name, 1))
        problem(g->p, g->node,
                "guard \"%s\" calls %s(), which is not an XPath 1.0 function nor one of "
                "score(), value(), today(), age(), days-between(), selected(), count-selected(), "
                "setting(): check the spelling (docs/workflows.md)",
                g->guard, name);
    else if (kind == 2)
        problem(g->p, g->node,
                "guard \"%s\" uses the variable $%s, but guards have no variables: read the "
                "case view instead (e.g. @intensity, network/@informal)",
                g->guard, name);
}

static void check_guard_names(problems *p, xmlNodePtr node, const char *guard)
{
    guard_names g = {p, node, guard};
    fm_expr_names(guard, guard_name, &g);
}

static void read_transition(problems *p, xmlNodePtr node, wf_transition *t)
{
    t->line = (int)xmlGetLineNo(node);
    t->event = fr_xml_attr(node, "event");
    read_titles(node, &t->titles);
    t->to = fr_xml_attr(node, "to");
    t->guard = fr_xml_attr(node, "guard");
    t->guard_ref = fr_xml_attr(node, "guard-ref");
    t->guard_message = fr_xml_attr(node, "guard-message");
    char *from = fr_xml_attr(node, "from");
    char **words = split_words(from);
    free(from);
    if (words && words[0] && strcmp(words[0], "*") == 0 && !words[1]) {
        t->any_state = 1;
        fr_strv_free(words);
    } else {
        t->from = words;
    }
    int nforms = count_children(node, "requires-form"), i = 0;
    t->forms = calloc((size_t)nforms + 1, sizeof *t->forms);
    t->form_lines = calloc((size_t)nforms + 1, sizeof *t->form_lines);
    for (xmlNodePtr c = fr_xml_child(node, "requires-form"); c && t->forms && t->form_lines;
         c = fr_xml_next(c->next, "requires-form")) {
        t->form_lines[i] = (int)xmlGetLineNo(c);
        t->forms[i++] = fr_xml_attr(c, "form");
    }
    if (t->guard) {
        /* Compile errors would go to libxml2's default handler (stderr). */
        xmlSetStructuredErrorFunc(NULL, ignore_xml_error);
        xmlSetGenericErrorFunc(NULL, ignore_generic_error);
        t->guard_expr = xmlXPathCompile((const xmlChar *)t->guard);
        xmlSetGenericErrorFunc(NULL, NULL);
        xmlSetStructuredErrorFunc(NULL, NULL);
        if (!t->guard_expr)
            problem(p, node,
                    "guard \"%s\" is not a valid XPath 1.0 expression: see "
                    "docs/workflows.md for what guards see, e.g. "
                    "count(forms/form[@id='katz']) > 0",
                    t->guard);
        else if (p->strict)
            check_guard_names(p, node, t->guard);
        if (t->guard_ref)
            problem(p, node,
                    "transition '%s' has both guard and guard-ref: keep one (an XPath "
                    "guard, or the name of a guard registered by a plugin)",
                    t->event);
    }
}

const wf_state *wf_state_find(const fr_workflow *wf, const char *id)
{
    for (int i = 0; id && i < wf->nstates; i++)
        if (strcmp(wf->states[i].id, id) == 0)
            return &wf->states[i];
    return NULL;
}

int wf_transition_from(const fr_workflow *wf, const wf_transition *t, const char *state)
{
    if (t->any_state) {
        const wf_state *s = wf_state_find(wf, state);
        return s && !s->final;
    }
    for (char **f = t->from; f && *f; f++)
        if (strcmp(*f, state) == 0)
            return 1;
    return 0;
}

const char *wf_task_title(const wf_task *t, const char *lang)
{
    const char *s = text_for(t->titles, t->ntitles, lang);
    return s ? s : t->title;
}

/* The checks of meaning, once everything is read. */
static void check(problems *p, fr_workflow *wf, xmlNodePtr root)
{
    xmlNodePtr snode = fr_xml_child(root, "state");
    int ninitial = 0;
    const char *first_initial = NULL;
    for (int i = 0; i < wf->nstates; i++, snode = fr_xml_next(snode->next, "state")) {
        wf_state *s = &wf->states[i];
        for (int j = 0; j < i; j++)
            if (strcmp(wf->states[j].id, s->id) == 0)
                problem(p, snode,
                        "state '%s' is defined twice (first at line %d): give each "
                        "state its own id",
                        s->id, wf->states[j].line);
        if (s->initial) {
            if (ninitial++ == 0)
                first_initial = s->id;
            else
                problem(p, snode,
                        "state '%s' is also marked initial=\"true\" (first: '%s'): a "
                        "workflow has exactly one initial state",
                        s->id, first_initial);
            if (s->final)
                problem(p, snode,
                        "state '%s' is both initial and final: a case could never "
                        "move; remove one of the two",
                        s->id);
        }
        xmlNodePtr tnode = fr_xml_child(snode, "timer");
        for (int j = 0; j < s->ntimers; j++, tnode = fr_xml_next(tnode->next, "timer"))
            for (int k = 0; k <= i; k++)
                for (int m = 0; m < (k == i ? j : wf->states[k].ntimers); m++)
                    if (strcmp(wf->states[k].timers[m].id, s->timers[j].id) == 0)
                        problem(p, tnode,
                                "timer id '%s' is already used in state '%s': timer "
                                "ids must be unique in a workflow",
                                s->timers[j].id, wf->states[k].id);
    }
    if (ninitial == 0)
        problem(p, root, "no state is marked initial=\"true\": mark the state new cases start in");

    xmlNodePtr tnode = fr_xml_child(root, "transition");
    for (int i = 0; i < wf->ntransitions; i++, tnode = fr_xml_next(tnode->next, "transition")) {
        wf_transition *t = &wf->transitions[i];
        if (!t->any_state && (!t->from || !t->from[0]))
            problem(p, tnode,
                    "transition '%s' has an empty from: name one or more states "
                    "separated by spaces, or * for any state that is not final",
                    t->event);
        for (char **f = t->from; f && *f; f++) {
            if (strcmp(*f, "*") == 0)
                problem(p, tnode, "transition '%s': * cannot be mixed with state ids in from",
                        t->event);
            else if (!wf_state_find(wf, *f))
                problem(p, tnode,
                        "transition '%s' comes from state '%s', which is not defined: "
                        "add <state id=\"%s\"> or fix the name",
                        t->event, *f, *f);
        }
        if (!wf_state_find(wf, t->to))
            problem(p, tnode,
                    "transition '%s' goes to state '%s', which is not defined: add "
                    "<state id=\"%s\"> or fix the name",
                    t->event, t->to, t->to);
    }

    xmlNodePtr mnode = fr_xml_child(root, "migration");
    for (int i = 0; i < wf->nmigrations; i++, mnode = fr_xml_next(mnode->next, "migration")) {
        wf_migration *m = &wf->migrations[i];
        if (wf->version > 0 && m->from_version >= wf->version)
            problem(p, mnode, "migration from-version=\"%d\" is not older than this version (%d)",
                    m->from_version, wf->version);
        for (int j = 0; j < i; j++)
            if (wf->migrations[j].from_version == m->from_version)
                problem(p, mnode, "a second migration from version %d: merge them into one",
                        m->from_version);
        xmlNodePtr map = fr_xml_child(mnode, "map");
        for (int j = 0; j < m->nmaps; j++, map = fr_xml_next(map->next, "map")) {
            if (!wf_state_find(wf, m->maps[j].to))
                problem(p, map,
                        "migration from version %d maps '%s' to '%s', which is not a "
                        "state of version %d: map to one of this version's states",
                        m->from_version, m->maps[j].from, m->maps[j].to, wf->version);
            for (int k = 0; k < j; k++)
                if (strcmp(m->maps[k].from, m->maps[j].from) == 0)
                    problem(p, map, "state '%s' is mapped twice in the migration from version %d",
                            m->maps[j].from, m->from_version);
        }
    }
}

/* A version number attribute (the schema says positiveInteger, which has
 * no upper bound): a number too large for an int is a problem, not a
 * version that wraps round to another one (4294967297 read as 1). */
static int read_version(problems *p, xmlNodePtr node, const char *attr)
{
    char *v = fr_xml_attr(node, attr);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (errno || end == v || *end || n < 1 || n > INT_MAX) {
        problem(p, node, "%s=\"%s\" is not a version number from 1 to %d: number versions 1, 2, 3…",
                attr, v, INT_MAX);
        n = 0;
    }
    free(v);
    return (int)n;
}

static int read_definition(problems *p, xmlDocPtr doc, fr_workflow *wf)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    wf->id = fr_xml_attr(root, "id");
    wf->version = read_version(p, root, "version");
    read_titles(root, &wf->titles);

    wf->nstates = count_children(root, "state");
    wf->states = calloc((size_t)wf->nstates, sizeof *wf->states);
    wf->ntransitions = count_children(root, "transition");
    wf->transitions = calloc((size_t)wf->ntransitions + 1, sizeof *wf->transitions);
    wf->nmigrations = count_children(root, "migration");
    wf->migrations = calloc((size_t)wf->nmigrations + 1, sizeof *wf->migrations);
    if (!wf->states || !wf->transitions || !wf->migrations)
        return FR_ENOMEM;
    int i = 0;
    for (xmlNodePtr c = fr_xml_child(root, "state"); c; c = fr_xml_next(c->next, "state"))
        read_state(p, c, &wf->states[i++]);
    i = 0;
    for (xmlNodePtr c = fr_xml_child(root, "transition"); c; c = fr_xml_next(c->next, "transition"))
        read_transition(p, c, &wf->transitions[i++]);
    i = 0;
    for (xmlNodePtr c = fr_xml_child(root, "migration"); c; c = fr_xml_next(c->next, "migration")) {
        wf_migration *m = &wf->migrations[i++];
        m->from_version = read_version(p, c, "from-version");
        m->nmaps = count_children(c, "map");
        m->maps = calloc((size_t)m->nmaps + 1, sizeof *m->maps);
        if (!m->maps)
            return FR_ENOMEM;
        int j = 0;
        for (xmlNodePtr mc = fr_xml_child(c, "map"); mc; mc = fr_xml_next(mc->next, "map")) {
            m->maps[j].from = fr_xml_attr(mc, "from");
            m->maps[j].to = fr_xml_attr(mc, "to");
            j++;
        }
    }
    check(p, wf, root);
    return 0;
}

/* Every problem of a definition, counted, for the commands that check
 * files: "FILE:LINE: …" lines then "N problems in FILE". */
static char *with_count(char *lines, int count, const char *name)
{
    if (!lines)
        return NULL;
    char *out = NULL;
    if (count < 1 ||
        asprintf(&out, "%s\n%d problem%s in %s", lines, count, count == 1 ? "" : "s", name) < 0)
        return lines;
    free(lines);
    return out;
}

static int count_lines(const char *s)
{
    int n = s && *s ? 1 : 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* Removes from a definition what is for people only: <title> elements,
 * the title attribute of tasks and timers (their fallback title), the
 * guard-message attribute, and the whitespace between elements (comments
 * are left out by the canonical form). What remains is what the engine
 * acts on. */
static void strip_human_text(xmlNodePtr node)
{
    xmlNodePtr next;
    for (xmlNodePtr c = node->children; c; c = next) {
        next = c->next;
        int drop = 0;
        if (c->type == XML_ELEMENT_NODE)
            drop = strcmp((const char *)c->name, "title") == 0;
        else if (c->type == XML_TEXT_NODE)
            drop = xmlIsBlankNode(c);
        if (drop) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            strip_human_text(c);
        }
    }
    if (node->type != XML_ELEMENT_NODE)
        return;
    const char *name = (const char *)node->name;
    if (strcmp(name, "task") == 0 || strcmp(name, "timer") == 0)
        xmlUnsetProp(node, (const xmlChar *)"title");
    if (strcmp(name, "transition") == 0)
        xmlUnsetProp(node, (const xmlChar *)"guard-message");
}

/* The definition's identity: the SHA-256 of its canonical XML (C14N 1.0,
 * without comments) once the text for people is removed. Two texts of a
 * version with the same identity behave the same: a new or corrected
 * translation keeps it; anything else (a state, a guard, a due date, the
 * order of on-enter actions…) changes it. Modifies doc. */
static int identity_hash(xmlDocPtr doc, char out[65])
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root)
        strip_human_text(root);
    xmlChar *c14n = NULL;
    int n = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &c14n);
    if (n < 0 || !c14n)
        return FR_ENOMEM;
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, c14n, (unsigned long long)n);
    sodium_bin2hex(out, 65, hash, sizeof hash);
    xmlFree(c14n);
    return 0;
}

/* strict: a file being loaded or checked. A text read back from the
 * database was accepted when it was first loaded; checks added since
 * (unknown functions in guards) do not make its cases unreadable. */
static int parse(const char *name, const char *text, size_t len, fr_workflow **out, fr_error *err,
                 char **report, int strict)
{
    *out = NULL;
    xmlDocPtr doc = NULL;
    char *xml_report = NULL;
    int rc = fr_xml_load_memory_report(name, text, len, "schemas/workflow.xsd", &doc, err,
                                       report ? &xml_report : NULL);
    if (rc) {
        if (report)
            *report = with_count(xml_report, count_lines(xml_report), name);
        return rc;
    }
    fr_workflow *wf = calloc(1, sizeof *wf);
    problems p = {.name = name, .strict = strict};
    if (!wf) {
        xmlFreeDoc(doc);
        return fr_error_set(err, FR_ENOMEM, "out of memory reading %s", name);
    }
    wf->name = strdup(name);
    wf->text = malloc(len + 1);
    if (wf->text) {
        memcpy(wf->text, text, len);
        wf->text[len] = '\0';
        wf->text_len = len;
    }
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)text, len);
    sodium_bin2hex(wf->sha256, sizeof wf->sha256, hash, sizeof hash);
    rc = read_definition(&p, doc, wf);
    if (!rc)
        rc = identity_hash(doc, wf->identity);
    xmlFreeDoc(doc);
    if (rc || !wf->name || !wf->text) {
        fr_workflow_free(wf);
        free(p.all);
        return fr_error_set(err, FR_ENOMEM, "out of memory reading %s", name);
    }
    if (p.count > 0) {
        fr_workflow_free(wf);
        if (report) {
            *report = with_count(p.all, p.count, name);
            p.all = NULL;
        }
        free(p.all);
        return fr_error_set(err, FR_EINVAL, "%s", p.buf);
    }
    free(p.all);
    *out = wf;
    return 0;
}

int wf_parse(const char *name, const char *text, size_t len, fr_workflow **out, fr_error *err)
{
    return parse(name, text, len, out, err, NULL, 0);
}

static int load(const char *path, fr_workflow **out, fr_error *err, char **report)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fr_error_set(err, FR_ENOTFOUND, "%s: cannot be read (missing or no permission)",
                            path);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? 2 * cap : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return fr_error_set(err, FR_ENOMEM, "out of memory reading %s", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return fr_error_set(err, FR_EIO, "%s: read error", path);
    }
    /* The text is parsed from memory so that what is stored in the
     * database is exactly what was checked. */
    int rc = parse(path, buf, len, out, err, report, 1);
    free(buf);
    return rc;
}

int fr_workflow_load_file(const char *path, fr_workflow **out, fr_error *err)
{
    return load(path, out, err, NULL);
}

int fr_workflow_check_file(const char *path, char **report, fr_error *err)
{
    fr_workflow *wf = NULL;
    *report = NULL;
    int rc = load(path, &wf, err, report);
    fr_workflow_free(wf);
    return rc;
}

const char *fr_workflow_id(const fr_workflow *wf)
{
    return wf->id;
}

int fr_workflow_version(const fr_workflow *wf)
{
    return wf->version;
}

const char *fr_workflow_initial(const fr_workflow *wf)
{
    for (int i = 0; i < wf->nstates; i++)
        if (wf->states[i].initial)
            return wf->states[i].id;
    return NULL;
}

const char *fr_workflow_title(const fr_workflow *wf, const char *lang)
{
    const char *t = title_in(&wf->titles, lang);
    return t ? t : wf->id;
}

int fr_workflow_event_closes(const fr_workflow *wf, const char *state, const char *event)
{
    for (int i = 0; i < wf->ntransitions; i++) {
        const wf_transition *t = &wf->transitions[i];
        if (strcmp(t->event, event) != 0 || !wf_transition_from(wf, t, state))
            continue;
        const wf_state *to = wf_state_find(wf, t->to);
        if (to && to->final)
            return 1;
    }
    return 0;
}

const char *fr_workflow_state_title(const fr_workflow *wf, const char *state, const char *lang)
{
    const wf_state *s = wf_state_find(wf, state);
    const char *t = s ? title_in(&s->titles, lang) : NULL;
    return t ? t : state;
}

const char *fr_workflow_event_title(const fr_workflow *wf, const char *event, const char *lang)
{
    /* the first transition of the event that has a title in lang (then
     * French, then English), else the first that has one at all */
    const char *langs[3], *any = NULL;
    fallbacks(lang, langs);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < wf->ntransitions; i++) {
            const wf_transition *t = &wf->transitions[i];
            if (strcmp(t->event, event) != 0)
                continue;
            const char *s = text_exact(t->titles.v, t->titles.n, langs[k]);
            if (s)
                return s;
            if (!any && t->titles.n > 0)
                any = t->titles.v[0].text;
        }
    return any ? any : event;
}
