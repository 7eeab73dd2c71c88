/* Workflow definitions in memory: the parsed form of a workflow XML file
 * (schemas/workflow.xsd), shared by workflow.c (firing, migration) and
 * task.c (timers). Internal to the kernel; plugins never see this. */
#ifndef FR_WFDEF_H
#define FR_WFDEF_H

#include <libxml/xpath.h>

#include "workflow.h"

typedef struct wf_text {
    char *lang;
    char *text;
} wf_text;

/* The <title lang="…"> children of an element. */
typedef struct wf_titles {
    wf_text *v;
    int n;
} wf_titles;

/* A task to create: an on-enter <task>, or a <timer> (which adds id and
 * every). Exactly one of due / anchor is set, or neither (no due date). */
typedef struct wf_task {
    char *title; /* the title attribute (fallback) */
    wf_text *titles;
    int ntitles;
    char *due;    /* duration after the effective date, or NULL */
    char *anchor; /* case date name, or NULL */
    char *offset; /* duration from the anchor, or NULL (= P0D) */
    char *id;     /* timers only */
    char *every;  /* timers only */
} wf_task;

typedef struct wf_action {
    int is_emit;
    char *event; /* emit: the topic */
    wf_task task;
} wf_action;

typedef struct wf_state {
    char *id;
    wf_titles titles;
    int initial, final;
    int line;
    wf_action *actions;
    int nactions;
    wf_task *timers;
    int ntimers;
} wf_state;

typedef struct wf_transition {
    char *event;
    wf_titles titles; /* the event's name for people */
    char **from; /* NULL-terminated state ids; NULL when any_state */
    int any_state;
    char *to;
    char *guard; /* XPath source, or NULL */
    xmlXPathCompExprPtr guard_expr;
    char *guard_ref;
    char *guard_message;
    char **forms; /* NULL-terminated required form ids */
    int *form_lines; /* the line of each <requires-form> */
    int line;
} wf_transition;

typedef struct wf_map {
    char *from, *to;
} wf_map;

typedef struct wf_migration {
    int from_version;
    wf_map *maps;
    int nmaps;
} wf_migration;

struct fr_workflow {
    char *id;
    int version;
    wf_titles titles; /* the workflow's name for people, by language */
    char *name; /* file name or "database" label, for messages */
    char *text; /* the definition as loaded, kept for the database */
    size_t text_len;
    char sha256[65];   /* of the text as loaded */
    char identity[65]; /* of what it does: the text less its titles (wfdef.c) */
    wf_state *states;
    int nstates;
    wf_transition *transitions;
    int ntransitions;
    wf_migration *migrations;
    int nmigrations;
};

/* Parses and checks definition text (XSD, then meaning). `name` is used in
 * messages as the file name. For texts read back from the database: the
 * checks added after a text could have been stored (unknown functions and
 * variables in guards) are left to fr_workflow_load_file. */
int wf_parse(const char *name, const char *text, size_t len, fr_workflow **out, fr_error *err);

const wf_state *wf_state_find(const fr_workflow *wf, const char *id);
/* 1 when the transition may start from `state` (`*` = any non-final). */
int wf_transition_from(const fr_workflow *wf, const wf_transition *t, const char *state);
/* The title of a task in `lang`, else French, else English (its <title>
 * children), else its title attribute. */
const char *wf_task_title(const wf_task *t, const char *lang);

#endif
