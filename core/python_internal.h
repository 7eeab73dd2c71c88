/* Shared by the four files of the Python part: python.c (the interpreter's
 * lifecycle, loading hook files, calling hooks from the kernel),
 * python_module.c (the built-in `filrouge` module), python_guard.c (call
 * deadlines) and python_check.c (`hooks check`). Not for the rest of the kernel: it includes
 * Python.h. */
#ifndef FR_PYTHON_INTERNAL_H
#define FR_PYTHON_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <jansson.h>
#include <stdint.h>

#include "python.h"

/* HOOK_DISABLE is not a hook: the registration of filrouge.disable(name). */
typedef enum hook_kind { HOOK_ON, HOOK_GUARD, HOOK_VALIDATE, HOOK_COMPUTE, HOOK_DISABLE } hook_kind;
typedef enum hook_status { HOOK_ACTIVE, HOOK_OFF, HOOK_REPLACED } hook_status;

/* One decorated function. Its address is the userdata of its bus or guard
 * registration, so hooks are allocated one by one and live until reload. */
typedef struct fr_hook {
    hook_kind kind;
    char *name;     /* "module.function", or the name of the hook it replaces */
    char *own_name; /* "module.function" always */
    char *target;   /* topic pattern, guard name, or form id */
    char *replaces; /* replaces="…" of the decorator, or NULL */
    char *file;
    int line;
    hook_status status;
    char *by;      /* which module switched it off or replaced it */
    char *problem; /* why it could not be registered, or NULL */
    PyObject *fn;
    fr_site *site;
} fr_hook;

typedef struct hook_file {
    char *path;
    char *module; /* "site.alerts", "frailty.alerts" */
    char *origin; /* "site" or the plugin id */
    char *problem;
    char *refused; /* the problem of the file's new text, while its last good text runs */
    PyObject *mod;
} hook_file;

typedef struct hook_off {
    char *name;
    char *by;
} hook_off;

struct fr_python {
    hook_file *files;
    int nfiles;
    fr_hook **hooks;
    int nhooks;
    hook_off *offs; /* filrouge.disable("name") */
    int noffs;
    int calling; /* hooks of this site running now (reload waits for 0) */
    int deadline_ms;
    char *problem; /* the interpreter could not start, or NULL */
    char **standing; /* the problems of the hooks as loaded (python_standing.c) */
    int nstanding;
};

/* What the running thread is doing in Python for the kernel: importing a
 * hook file (decorators register into `loading`) or running a hook. The
 * `filrouge` module's functions find their site here: a hook calls them
 * only from inside a call the kernel made on the same thread. */
typedef struct fr_pyctx {
    fr_site *site;
    const fr_hook *hook; /* the running hook, or NULL while importing */
    hook_file *loading;  /* the file being imported, or NULL */
    int check_only;      /* `hooks check`: decorators register nothing */
    int read_only;       /* a synchronous hook: reads only */
    struct fr_pyctx *prev;
} fr_pyctx;

extern _Thread_local fr_pyctx *fr_py_ctx;

/* ---- python_standing.c ---- */

/* A standing problem of the hooks as loaded, kept in py->standing (one
 * log line's text). */
void fr_py_standing(fr_python *py, const char *fmt, ...) FR_PRINTF(2, 3);
/* Writes py->standing to the site log when it differs from the set last
 * logged (by this process, or as site_meta remembers); see the file. */
void fr_py_standing_log(fr_site *site, fr_python *py);
void fr_py_standing_free(fr_python *py);

/* ---- python.c, for python_check.c ---- */

#define FR_PY_DEFAULT_DEADLINE_MS 250
/* Importing a file may take longer than one call (imports of its own). */
#define FR_PY_IMPORT_DEADLINE_FACTOR 8

typedef struct fr_py_file_list {
    hook_file *files;
    int n;
} fr_py_file_list;

/* Starts the process's interpreter once (then the GIL is released). */
int fr_py_start(fr_error *err);
/* Appends the hook files of the site and its enabled plugins, in load
 * order; frees a list. */
int fr_py_scan_all(fr_site *site, fr_py_file_list *l);
void fr_py_files_free(hook_file *files, int n);
/* The text of f (NULL and *problem "path: cannot read…" when unreadable). */
int fr_py_read_source(const hook_file *f, char **text, size_t *len, char **problem);
/* Compiles and runs the text of f in a module of its own (GIL held);
 * deadline_ms <= 0: no deadline. On failure *problem is "path:line: what"
 * and *trace the traceback. */
int fr_py_import_text(fr_site *site, hook_file *f, const char *text, size_t len, int check_only,
                      int deadline_ms, PyObject **mod_out, char **problem, char **trace);

/* ---- python_module.c ---- */

/* The module's init function, given to PyImport_AppendInittab. */
PyObject *fr_py_module_init(void);
/* After the interpreter started: imports the module once for the process
 * and keeps what the C side needs from it. 0, or -1 with a Python error. */
int fr_py_module_ready(void);
/* The fields of an event, borrowed for one call. */
typedef struct fr_py_event_fields {
    int64_t id;
    const char *topic;
    int64_t case_id;
    const char *payload;
    const char *key;
} fr_py_event_fields;

/* A new Event object for a subscriber (GIL held); NULL with an error set. */
PyObject *fr_py_event_new(const fr_py_event_fields *ev);
/* JSON -> plain Python objects and back (GIL held). py_to_json returns NULL
 * with a Python error set for what JSON cannot hold. */
PyObject *fr_py_from_json(json_t *v);
json_t *fr_py_to_json(PyObject *o);
/* The exception classes: filrouge.Refused and filrouge.DeadlineExceeded
 * (borrowed, valid for the life of the process). */
PyObject *fr_py_refused_type(void);
PyObject *fr_py_deadline_type(void);
/* Registers a decorated function (or, HOOK_DISABLE, a hook to switch off)
 * into the file being imported (GIL held). */
int fr_py_register(hook_kind kind, const char *target, const char *name, const char *replaces,
                   PyObject *fn);

/* ---- python_guard.c: deadlines ---- */

/* Starts the watchdog thread (once, after the interpreter started). */
int fr_pyguard_start(void);
/* Around one outermost call into Python on this thread, GIL held. begin
 * returns a slot (or -1 when every slot is taken: the call then runs
 * without a deadline); end returns how many times the call was
 * interrupted, and clears an interruption that arrived too late. */
int fr_pyguard_begin(int deadline_ms);
int fr_pyguard_end(int slot);

#endif
