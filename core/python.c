/* Python hooks: starting the one interpreter of the process, finding and
 * importing hook files (the site's and its enabled plugins'), resolving
 * which hooks are on (a site hook can switch off or replace a plugin's),
 * registering them with the bus and the workflow engine, and every call
 * from the kernel into a hook (GIL, deadline, acting identity, errors).
 *
 * The `filrouge` module itself is python_module.c; deadlines are
 * python_guard.c; `hooks check` (each file in a child process) is
 * python_check.c. The interpreter is started once and never finalised. */
#include "python_internal.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bus.h"
#include "plugin.h"
#include "workflow.h"

#ifndef FR_PYTHON_HOME
#define FR_PYTHON_HOME "/usr"
#endif

_Thread_local fr_pyctx *fr_py_ctx;
/* Calls into Python nested on this thread: only the outermost has a deadline. */
static _Thread_local int call_depth;

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static int started;
static char start_failed[512];
static PyObject *namespace_type; /* types.SimpleNamespace */

int fr_python_started(void)
{
    return started;
}

int fr_python_deadline_ms(const fr_site *site)
{
    const char *v = site ? fr_site_setting(site, NULL, "python.deadline-ms") : NULL;
    if (v) {
        char *end;
        long n = strtol(v, &end, 10);
        if (end != v && *end == '\0' && n >= 10 && n <= 60000)
            return (int)n;
    }
    return FR_PY_DEFAULT_DEADLINE_MS;
}

/* ---- the interpreter ---- */

/* Starts CPython once per process. Isolated configuration: the
 * environment's PYTHONHOME/PYTHONPATH (a pyenv, a virtualenv) cannot point
 * the embedded interpreter at another installation; its home is Debian's
 * prefix, found by pkg-config at build time (FR_PYTHON_HOME); no signal
 * handlers (the host owns signals); no user site-packages; the system's
 * dist-packages stay importable. After start the GIL is released, and every
 * call takes it with PyGILState_Ensure (LESSONS.md). */
int fr_py_start(fr_error *err)
{
    pthread_mutex_lock(&start_lock);
    int rc = 0;
    if (started)
        goto out;
    if (start_failed[0]) {
        rc = fr_error_set(err, FR_EINTERNAL, "%s", start_failed);
        goto out;
    }
    if (Py_IsInitialized()) {
        snprintf(start_failed, sizeof start_failed,
                 "Python was already started by the program that loaded Filrouge; hooks need "
                 "the interpreter Filrouge starts itself");
        rc = fr_error_set(err, FR_EINTERNAL, "%s", start_failed);
        goto out;
    }
    PyImport_AppendInittab("filrouge", fr_py_module_init);
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
#if defined(__SANITIZE_ADDRESS__)
    /* Under AddressSanitizer, Python objects come from malloc rather than
     * pymalloc's mmap'd arenas, which LeakSanitizer does not scan: living
     * objects referenced only from other objects would look leaked. */
    pre.allocator = PYMEM_ALLOCATOR_MALLOC;
#endif
    PyStatus pst = Py_PreInitialize(&pre);
    if (PyStatus_Exception(pst)) {
        snprintf(start_failed, sizeof start_failed, "the embedded Python could not start: %s",
                 pst.err_msg ? pst.err_msg : "pre-initialisation failed");
        rc = fr_error_set(err, FR_EINTERNAL, "%s", start_failed);
        goto out;
    }
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;
    config.site_import = 1;
    PyStatus st = PyConfig_SetBytesString(&config, &config.home, FR_PYTHON_HOME);
    if (!PyStatus_Exception(st))
        st = PyConfig_SetBytesString(&config, &config.program_name, "filrouge");
    if (!PyStatus_Exception(st))
        st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) {
        snprintf(start_failed, sizeof start_failed,
                 "the embedded Python (home %s) could not start: %s; check that python3 is "
                 "installed there",
                 FR_PYTHON_HOME, st.err_msg ? st.err_msg : "unknown error");
        rc = fr_error_set(err, FR_EINTERNAL, "%s", start_failed);
        goto out;
    }
    PyObject *types = PyImport_ImportModule("types");
    namespace_type = types ? PyObject_GetAttrString(types, "SimpleNamespace") : NULL;
    Py_XDECREF(types);
    if (fr_py_module_ready() < 0 || !namespace_type) {
        PyErr_Clear();
        snprintf(start_failed, sizeof start_failed,
                 "the embedded Python started but the filrouge module could not be set up");
        rc = fr_error_set(err, FR_EINTERNAL, "%s", start_failed);
        PyEval_SaveThread();
        goto out;
    }
    PyEval_SaveThread();
    if (fr_pyguard_start() != 0) {
        snprintf(start_failed, sizeof start_failed,
                 "the watchdog thread of hook deadlines could not be started");
        rc = fr_error_set(err, FR_EINTERNAL, "%s", start_failed);
        goto out;
    }
    started = 1;
out:
    pthread_mutex_unlock(&start_lock);
    return rc;
}

/* ---- threads ---- */

/* PyGILState_Ensure on a thread without a Python thread state creates one
 * and the matching Release destroys it: per call, on every server worker.
 * Instead each thread keeps the state it got the first time (its outer
 * Ensure stays open, with the GIL released), until the thread ends. */
static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;
static _Thread_local int kept;

/* At thread exit. PyGILState_Release cannot be used here: its own
 * thread-specific slot may already be gone, so the state is deleted
 * directly (which also forgets it in that slot). */
static void drop_kept(void *tstate)
{
    PyEval_RestoreThread(tstate);
    PyThreadState_Clear(tstate);
    PyThreadState_DeleteCurrent();
}

static void make_kept_key(void)
{
    pthread_key_create(&kept_key, drop_kept);
}

static void keep_thread_state(void)
{
    if (kept)
        return;
    kept = 1;
    pthread_once(&kept_once, make_kept_key);
    /* The GIL is not held here (the state is UNLOCKED); on the thread
     * that started Python, this only nests once more on its first state. */
    PyGILState_Ensure();
    pthread_setspecific(kept_key, PyEval_SaveThread());
}

/* ---- errors of hooks ---- */

/* The traceback of the current exception as text (GIL held); NULL if it
 * cannot be formatted. Leaves the exception as it was. */
static char *format_traceback(PyObject *type, PyObject *value, PyObject *tb)
{
    char *out = NULL;
    PyObject *mod = PyImport_ImportModule("traceback");
    PyObject *lines = mod ? PyObject_CallMethod(mod, "format_exception", "OOO", type,
                                                value ? value : Py_None, tb ? tb : Py_None)
                          : NULL;
    PyObject *empty = lines ? PyUnicode_FromString("") : NULL;
    PyObject *joined = empty ? PyUnicode_Join(empty, lines) : NULL;
    const char *s = joined ? PyUnicode_AsUTF8(joined) : NULL;
    if (s)
        out = strdup(s);
    Py_XDECREF(joined);
    Py_XDECREF(empty);
    Py_XDECREF(lines);
    Py_XDECREF(mod);
    if (!s)
        PyErr_Clear();
    return out;
}

static void str_of(PyObject *o, char *out, size_t size)
{
    PyObject *s = o ? PyObject_Str(o) : NULL;
    const char *t = s ? PyUnicode_AsUTF8(s) : NULL;
    snprintf(out, size, "%s", t ? t : "");
    Py_XDECREF(s);
    if (!t)
        PyErr_Clear();
}

/* The line of `path` where the traceback last passes (0 when none). */
static int line_in(PyObject *tb, const char *path)
{
    int line = 0;
    Py_XINCREF(tb);
    while (tb && tb != Py_None) {
        PyObject *frame = PyObject_GetAttrString(tb, "tb_frame");
        PyObject *code = frame ? PyObject_GetAttrString(frame, "f_code") : NULL;
        PyObject *fn = code ? PyObject_GetAttrString(code, "co_filename") : NULL;
        PyObject *ln = PyObject_GetAttrString(tb, "tb_lineno");
        const char *f = fn ? PyUnicode_AsUTF8(fn) : NULL;
        if (f && strcmp(f, path) == 0 && ln)
            line = (int)PyLong_AsLong(ln);
        PyObject *next = PyObject_GetAttrString(tb, "tb_next");
        Py_XDECREF(frame);
        Py_XDECREF(code);
        Py_XDECREF(fn);
        Py_XDECREF(ln);
        Py_DECREF(tb);
        tb = next;
    }
    Py_XDECREF(tb);
    PyErr_Clear();
    return line;
}

/* Turns the current exception of a hook call into the user's message
 * (err) and the log's traceback (*trace). GIL held; clears the exception.
 * filrouge.Refused is an expected refusal (FR_EREFUSED): its message, no
 * traceback. Any other exception, and a deadline overrun, is a failure of
 * the hook (FR_EINVAL): a general message, the traceback in the log. */
static int describe_failure(const fr_hook *h, int interrupted, int deadline_ms, fr_error *err,
                            char **trace)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    char msg[600];
    str_of(value, msg, sizeof msg);
    int rc;
    if (interrupted || (type && PyErr_GivenExceptionMatches(type, fr_py_deadline_type()))) {
        rc = fr_error_set(err, FR_EINVAL,
                          "the hook %s was interrupted: it ran longer than its deadline of %d ms "
                          "(site setting python.deadline-ms)",
                          h->name, deadline_ms);
        char *t = type ? format_traceback(type, value, tb) : NULL;
        if (asprintf(trace, "hook %s interrupted after %d ms; it was here:\n%s", h->name,
                     deadline_ms, t ? t : "(no traceback)") < 0)
            *trace = NULL;
        free(t);
    } else if (type && PyErr_GivenExceptionMatches(type, fr_py_refused_type())) {
        rc = fr_error_set(err, FR_EREFUSED, "%s", msg[0] ? msg : "refused by a hook");
        if (asprintf(trace, "hook %s refused: %s", h->name, msg) < 0)
            *trace = NULL;
    } else {
        const char *tname = type ? ((PyTypeObject *)type)->tp_name : "error";
        /* Where in the hook's file, for whoever fixes it (no traceback). */
        int line = h->file ? line_in(tb, h->file) : 0;
        const char *base = h->file ? strrchr(h->file, '/') : NULL;
        char at[300] = "";
        if (line > 0)
            snprintf(at, sizeof at, " at %s:%d", base ? base + 1 : h->file, line);
        rc = fr_error_set(err, FR_EINVAL, "the hook %s failed%s: %s%s%s (details in the site log)",
                          h->name, at, tname, msg[0] ? ": " : "", msg);
        char *t = type ? format_traceback(type, value, tb) : NULL;
        if (asprintf(trace, "hook %s failed:\n%s", h->name, t ? t : msg) < 0)
            *trace = NULL;
        free(t);
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return rc;
}

/* ---- calling a hook ---- */

typedef PyObject *(*args_fn)(void *data);
/* Reads the hook's result (GIL held): 0, or an error (err filled, or a
 * Python exception set to be described as the hook's failure). */
typedef int (*take_fn)(PyObject *result, void *data, fr_error *err);

/* The one path from the kernel into a hook. Asynchronous hooks act as
 * "hook:MODULE.FUNCTION" (where the function is defined) with the kernel's
 * rights, so that their writes are audited under that name; synchronous
 * ones (read_only) run as the acting user. */
static int call_hook(fr_site *site, const fr_hook *h, int read_only, args_fn make_args,
                     take_fn take, void *data, fr_error *err)
{
    fr_python *py = site->python;
    char saved_actor[sizeof site->actor], saved_role[sizeof site->actor_role];
    char saved_lang[sizeof site->actor_lang];
    int64_t saved_id = site->actor_id;
    if (!read_only) {
        memcpy(saved_actor, site->actor, sizeof saved_actor);
        memcpy(saved_role, site->actor_role, sizeof saved_role);
        memcpy(saved_lang, site->actor_lang, sizeof saved_lang);
        snprintf(site->actor, sizeof site->actor, "hook:%s", h->own_name);
        snprintf(site->actor_role, sizeof site->actor_role, "admin");
        /* Acting as itself, a hook writes in the site's language. */
        snprintf(site->actor_lang, sizeof site->actor_lang, "%s",
                 site->nlanguages ? site->languages[0] : "fr");
        site->actor_id = 0;
    }
    char *trace = NULL;
    int rc = 0;
    py->calling++;
    keep_thread_state();
    PyGILState_STATE g = PyGILState_Ensure();
    fr_pyctx ctx = {.site = site, .hook = h, .read_only = read_only, .prev = fr_py_ctx};
    fr_py_ctx = &ctx;
    int slot = call_depth++ == 0 ? fr_pyguard_begin(py->deadline_ms) : -1;
    PyObject *args = make_args(data);
    PyObject *res = args ? PyObject_Call(h->fn, args, NULL) : NULL;
    int interrupted = fr_pyguard_end(slot);
    call_depth--;
    Py_XDECREF(args);
    if (res && !interrupted) {
        rc = take ? take(res, data, err) : 0;
        if (rc && PyErr_Occurred())
            rc = describe_failure(h, 0, py->deadline_ms, err, &trace);
    } else {
        if (res && !PyErr_Occurred())
            PyErr_SetNone(fr_py_deadline_type());
        rc = describe_failure(h, interrupted, py->deadline_ms, err, &trace);
    }
    Py_XDECREF(res);
    fr_py_ctx = ctx.prev;
    PyGILState_Release(g);
    py->calling--;
    if (!read_only) {
        memcpy(site->actor, saved_actor, sizeof saved_actor);
        memcpy(site->actor_role, saved_role, sizeof saved_role);
        memcpy(site->actor_lang, saved_lang, sizeof saved_lang);
        site->actor_id = saved_id;
    }
    /* The log is written without the GIL. */
    if (trace) {
        fr_site_log(site, "python", "%s", trace);
        free(trace);
    }
    return rc;
}

static PyObject *event_args(void *data)
{
    PyObject *ev = fr_py_event_new(data);
    if (!ev)
        return NULL;
    PyObject *t = PyTuple_Pack(1, ev);
    Py_DECREF(ev);
    return t;
}

/* The bus's subscriber function of every @filrouge.on hook (fr_event is
 * opaque outside bus.c: read through the SDK accessors). */
static int on_event(const fr_event *ev, void *userdata, fr_error *err)
{
    const fr_hook *h = userdata;
    fr_py_event_fields f = {fr_event_id(ev), fr_event_topic(ev), fr_event_case(ev),
                            fr_event_payload(ev), fr_event_key(ev)};
    return call_hook(h->site, h, 0, event_args, NULL, &f, err);
}

int fr_python_dispatch(fr_site *site, const char *name, int64_t event_id, const char *topic,
                       int64_t case_id, const char *payload, const char *key, fr_error *err)
{
    fr_python *py = site->python;
    for (int i = 0; py && started && i < py->nhooks; i++) {
        const fr_hook *h = py->hooks[i];
        if (h->kind != HOOK_ON || h->status != HOOK_ACTIVE || strcmp(h->name, name) != 0)
            continue;
        fr_py_event_fields f = {event_id, topic, case_id, payload, key};
        return call_hook(site, h, 0, event_args, NULL, &f, err);
    }
    return fr_error_set(err, FR_ENOTFOUND, "no asynchronous hook named %s is on", name);
}

typedef struct guard_data {
    const fr_guard_call *call;
    const char *lang; /* the acting user's language */
    int allowed;
    fr_error *refusal;
} guard_data;

static PyObject *guard_args(void *data)
{
    const guard_data *g = data;
    const fr_guard_call *c = g->call;
    PyObject *kw = Py_BuildValue("{s:L,s:s,s:s,s:s,s:s,s:s,s:s}", "case_id", (long long)c->case_id,
                                 "workflow", c->workflow, "from_state", c->from, "to_state", c->to,
                                 "event", c->event, "case_xml", c->case_xml, "lang", g->lang);
    PyObject *empty = kw ? PyTuple_New(0) : NULL;
    PyObject *ns = empty ? PyObject_Call(namespace_type, empty, kw) : NULL;
    Py_XDECREF(empty);
    Py_XDECREF(kw);
    if (!ns)
        return NULL;
    PyObject *t = PyTuple_Pack(1, ns);
    Py_DECREF(ns);
    return t;
}

/* True allows; False or None refuses; a string refuses with that message.
 * Anything else is the hook's mistake, not an answer: a tuple such as
 * (False, "reason") or a non-empty list is true in Python and would let
 * the case through. It fails like an exception (the transition refused,
 * the message saying what to return). */
static int guard_take(PyObject *res, void *data, fr_error *err)
{
    (void)err;
    guard_data *g = data;
    if (PyUnicode_Check(res)) {
        g->allowed = 0;
        fr_error_set(g->refusal, FR_EREFUSED, "%s", PyUnicode_AsUTF8(res));
        return 0;
    }
    if (res != Py_True && res != Py_False && res != Py_None) {
        PyErr_Format(PyExc_TypeError,
                     "a guard returns True (allow), False or None (refuse) or a message (str, "
                     "refuse with it), not %.100s",
                     Py_TYPE(res)->tp_name);
        return FR_EINVAL;
    }
    g->allowed = res == Py_True;
    return 0;
}

static int guard_fn(const fr_guard_call *call, void *userdata, int *allowed, fr_error *err)
{
    const fr_hook *h = userdata;
    fr_error why = {0};
    guard_data g = {call, h->site->actor_lang[0] ? h->site->actor_lang : "fr", 0, &why};
    int rc = call_hook(h->site, h, 1, guard_args, guard_take, &g, err);
    *allowed = 0;
    if (rc == FR_EREFUSED) {
        /* filrouge.Refused: a refusal with the hook's message, not a failure. */
        snprintf(why.message, sizeof why.message, "%s", err->message);
        fr_error_clear(err);
        rc = 0;
    }
    if (rc)
        return rc;
    *allowed = g.allowed;
    if (!g.allowed && why.message[0])
        fr_error_set(err, 0, "%s", why.message);
    return 0;
}

/* ---- the deferred workflow events of filrouge.fire ---- */

/* Fires what a hook asked for, after the transaction of the request
 * committed. A refusal (guard, state) is final: logged, not retried; a
 * failure of storage is retried like any delivery. */
static int fire_requested(const fr_event *ev, void *userdata, fr_error *err)
{
    fr_site *site = userdata;
    json_t *p = json_loads(fr_event_payload(ev), 0, NULL);
    const char *event = json_string_value(json_object_get(p, "event"));
    const char *by = json_string_value(json_object_get(p, "by"));
    if (!event) {
        json_decref(p);
        return 0;
    }
    char saved_actor[sizeof site->actor], saved_role[sizeof site->actor_role];
    int64_t saved_id = site->actor_id;
    memcpy(saved_actor, site->actor, sizeof saved_actor);
    memcpy(saved_role, site->actor_role, sizeof saved_role);
    snprintf(site->actor, sizeof site->actor, "hook:%s", by ? by : "?");
    snprintf(site->actor_role, sizeof site->actor_role, "admin");
    site->actor_id = 0;
    int rc = fr_workflow_fire(site, fr_event_case(ev), event,
                              json_string_value(json_object_get(p, "effective_on")),
                              json_string_value(json_object_get(p, "note")), err);
    memcpy(site->actor, saved_actor, sizeof saved_actor);
    memcpy(site->actor_role, saved_role, sizeof saved_role);
    site->actor_id = saved_id;
    if (rc == FR_EREFUSED || rc == FR_EINVAL || rc == FR_ENOTFOUND || rc == FR_EVETO) {
        fr_site_log(site, "python", "hook %s asked to fire '%s' on case %lld: not done: %s",
                    by ? by : "?", event, (long long)fr_event_case(ev), err->message);
        fr_error_clear(err);
        rc = 0;
    }
    json_decref(p);
    return rc;
}

/* ---- finding hook files ---- */

static int is_hook_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 3 && strcmp(d->d_name + n - 3, ".py") == 0 && d->d_name[0] != '.' &&
           d->d_name[0] != '_';
}

/* Appends the .py files of dir in name order (files starting with "_" or "." are
 * helpers, not hooks). A missing folder has no hooks. */
static int scan_dir(fr_py_file_list *l, const char *dir, const char *origin)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, is_hook_file, alphasort);
    if (n < 0)
        return 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (!rc) {
            hook_file *g = realloc(l->files, (size_t)(l->n + 1) * sizeof *g);
            if (!g) {
                rc = FR_ENOMEM;
            } else {
                l->files = g;
                hook_file *f = &g[l->n++];
                memset(f, 0, sizeof *f);
                size_t len = strlen(names[i]->d_name) - 3;
                f->path = fr_path_join(dir, names[i]->d_name);
                f->origin = strdup(origin);
                if (asprintf(&f->module, "%s.%.*s", origin, (int)len, names[i]->d_name) < 0)
                    f->module = NULL;
                if (!f->path || !f->origin || !f->module)
                    rc = FR_ENOMEM;
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int scan_plugin(const char *id, const char *dir, void *data)
{
    return scan_dir(data, dir, id);
}

int fr_py_scan_all(fr_site *site, fr_py_file_list *l)
{
    int rc = fr_plugins_each_hooks(site, scan_plugin, l);
    if (!rc) {
        char *dir = fr_path_join(site->dir, "hooks");
        rc = dir ? scan_dir(l, dir, "site") : FR_ENOMEM;
        free(dir);
    }
    return rc;
}

void fr_py_files_free(hook_file *files, int n)
{
    for (int i = 0; i < n; i++) {
        free(files[i].path);
        free(files[i].module);
        free(files[i].origin);
        free(files[i].problem);
        free(files[i].refused);
        Py_XDECREF(files[i].mod);
    }
    free(files);
}

static void hook_free(fr_hook *h)
{
    if (!h)
        return;
    free(h->name);
    free(h->own_name);
    free(h->target);
    free(h->replaces);
    free(h->file);
    free(h->by);
    free(h->problem);
    Py_XDECREF(h->fn);
    free(h);
}

/* ---- importing ---- */

/* The file's bytes, NUL-terminated, and their number in *len; NULL with
 * errno set when it cannot be read (a folder named like a hook file
 * included). */
static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4097 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *g = realloc(buf, cap);
            if (!g) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = g;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        free(buf);
        errno = saved ? saved : EIO;
        return NULL;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

static int line_at(const char *text, size_t offset)
{
    int line = 1;
    for (size_t i = 0; i < offset; i++)
        line += text[i] == '\n';
    return line;
}

/* The offset of the first byte that is not UTF-8, or -1: Python's own
 * strict decoder says where (RFC 3629: no overlong forms, no surrogates).
 * GIL held. */
static long bad_utf8_at(const char *s, size_t len)
{
    PyObject *u = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "strict");
    if (u) {
        Py_DECREF(u);
        return -1;
    }
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    Py_ssize_t start = 0;
    if (!value || PyUnicodeDecodeError_GetStart(value, &start) != 0) {
        PyErr_Clear();
        start = 0;
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return (long)start;
}

/* A coding declaration on one of the first two lines (PEP 263): then the
 * file need not be UTF-8, and Python decodes it. */
static int declares_coding(const char *text)
{
    const char *end = text;
    for (int lines = 0; *end && lines < 2; end++)
        lines += *end == '\n';
    for (const char *p = text; p + 6 < end; p++)
        if (strncmp(p, "coding", 6) == 0 && (p[6] == ':' || p[6] == '='))
            return 1;
    return 0;
}

/* What Python would refuse in a source file but not in the text handed to
 * Py_CompileString: a NUL byte (the text would end there, the rest of the
 * file silently left out) and bytes that are not UTF-8 in a file that
 * declares no other encoding (Python checks string literals only). */
static int refuse_text(const hook_file *f, const char *text, size_t len, char **problem)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        if (asprintf(problem,
                     "%s:%d: the file holds a NUL byte: a hook file is Python source text "
                     "(UTF-8), not a binary file; what follows the byte would be left out",
                     f->path, line_at(text, (size_t)(nul - text))) < 0)
            *problem = NULL;
        return FR_EINVAL;
    }
    long bad = declares_coding(text) ? -1 : bad_utf8_at(text, len);
    if (bad >= 0) {
        if (asprintf(problem,
                     "%s:%d: the byte 0x%02X is not UTF-8: save the file as UTF-8 (or declare "
                     "its encoding on its first line, # -*- coding: latin-1 -*-)",
                     f->path, line_at(text, (size_t)bad), (unsigned char)text[bad]) < 0)
            *problem = NULL;
        return FR_EINVAL;
    }
    return 0;
}

/* The file's text into *text (NULL and *problem set when it cannot be
 * read). */
int fr_py_read_source(const hook_file *f, char **text, size_t *len, char **problem)
{
    *problem = NULL;
    *text = read_file(f->path, len);
    if (*text)
        return 0;
    if (asprintf(problem, "%s: cannot read the file: %s", f->path, strerror(errno)) < 0)
        *problem = NULL;
    return FR_EIO;
}

/* Compiles and runs the text of one hook file in a module of its own (not
 * in sys.modules: each site has its own copy). GIL held. On failure
 * *problem is "path:line: what" and *trace the traceback for the log. */
int fr_py_import_text(fr_site *site, hook_file *f, const char *text, size_t len, int check_only,
                      int deadline_ms, PyObject **mod_out, char **problem, char **trace)
{
    *problem = *trace = NULL;
    if (mod_out)
        *mod_out = NULL;
    int refused = refuse_text(f, text, len, problem);
    if (refused)
        return refused;
    PyObject *code = Py_CompileStringExFlags(text, f->path, Py_file_input, NULL, 0);
    PyObject *mod = NULL, *r = NULL;
    int interrupted = 0;
    if (code) {
        mod = PyModule_New(f->module);
        PyObject *dict = mod ? PyModule_GetDict(mod) : NULL;
        PyObject *path = PyUnicode_FromString(f->path);
        if (dict && path && PyDict_SetItemString(dict, "__file__", path) == 0 &&
            PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) == 0) {
            fr_pyctx ctx = {
                .site = site, .loading = f, .check_only = check_only, .prev = fr_py_ctx};
            fr_py_ctx = &ctx;
            int slot = call_depth++ == 0 && deadline_ms > 0 ? fr_pyguard_begin(deadline_ms) : -1;
            r = PyEval_EvalCode(code, dict, dict);
            interrupted = fr_pyguard_end(slot);
            call_depth--;
            fr_py_ctx = ctx.prev;
        }
        Py_XDECREF(path);
    }
    Py_XDECREF(code);
    if (r && !interrupted) {
        Py_DECREF(r);
        if (mod_out)
            *mod_out = mod;
        else
            Py_DECREF(mod);
        return 0;
    }
    Py_XDECREF(r);
    Py_XDECREF(mod);
    PyObject *type, *value, *tb;
    if (!PyErr_Occurred())
        PyErr_SetNone(fr_py_deadline_type());
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    char msg[600];
    int line = 0;
    if (PyErr_GivenExceptionMatches(type, PyExc_SyntaxError)) {
        PyObject *ln = PyObject_GetAttrString(value, "lineno");
        PyObject *m = PyObject_GetAttrString(value, "msg");
        line = ln && PyLong_Check(ln) ? (int)PyLong_AsLong(ln) : 0;
        str_of(m, msg, sizeof msg);
        Py_XDECREF(ln);
        Py_XDECREF(m);
        PyErr_Clear();
    } else {
        line = line_in(tb, f->path);
        str_of(value, msg, sizeof msg);
    }
    const char *tname = ((PyTypeObject *)type)->tp_name;
    if (interrupted || PyErr_GivenExceptionMatches(type, fr_py_deadline_type()))
        snprintf(msg, sizeof msg, "importing it took longer than %d ms", deadline_ms);
    else if (PyErr_GivenExceptionMatches(type, PyExc_SystemExit))
        snprintf(msg, sizeof msg,
                 "sys.exit() at the top level of the file: a hook file must not end the "
                 "program that loads it");
    if (asprintf(problem, "%s:%d: %s%s%s", f->path, line, tname, msg[0] ? ": " : "", msg) < 0)
        *problem = NULL;
    *trace = format_traceback(type, value, tb);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return FR_EINVAL;
}

static int valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 200)
        return 0;
    for (; *s; s++)
        if (*s == ':' || *s == ' ' || *s == '*' || (unsigned char)*s < 0x20)
            return 0;
    return 1;
}

/* Called by the decorators and filrouge.disable (HOOK_DISABLE) while a
 * file is imported. GIL held; -1 with a Python exception on misuse. */
int fr_py_register(hook_kind kind, const char *target, const char *name, const char *replaces,
                   PyObject *fn)
{
    fr_pyctx *c = fr_py_ctx;
    if (!c || !c->loading) {
        PyErr_SetString(PyExc_RuntimeError,
                        "filrouge decorators take effect when Filrouge imports a hook file "
                        "(from <site>/hooks or a plugin's hooks folder)");
        return -1;
    }
    if (!target || !*target) {
        PyErr_SetString(PyExc_ValueError, "a filrouge decorator needs a topic, name or form id");
        return -1;
    }
    if (kind == HOOK_DISABLE) {
        if (strcmp(c->loading->origin, "site") != 0) {
            PyErr_SetString(PyExc_ValueError,
                            "filrouge.disable is for site hooks (<site>/hooks): a plugin does "
                            "not switch off another's hooks");
            return -1;
        }
        if (c->check_only)
            return 0;
        fr_python *py = c->site->python;
        hook_off *g = realloc(py->offs, (size_t)(py->noffs + 1) * sizeof *g);
        if (!g)
            return PyErr_NoMemory(), -1;
        py->offs = g;
        g[py->noffs].name = strdup(target);
        g[py->noffs].by = strdup(c->loading->module);
        py->noffs++;
        return 0;
    }
    if (kind == HOOK_GUARD && !valid_name(target)) {
        PyErr_Format(PyExc_ValueError,
                     "'%s' is not a guard name: no spaces, ':' or '*' (the workflow writes "
                     "guard-ref=\"py:NAME\")",
                     target);
        return -1;
    }
    PyObject *fname = NULL;
    if (!name) {
        fname = PyObject_GetAttrString(fn, "__name__");
        name = fname && PyUnicode_Check(fname) ? PyUnicode_AsUTF8(fname) : NULL;
        if (!name) {
            Py_XDECREF(fname);
            PyErr_SetString(PyExc_TypeError, "give the hook a name=");
            return -1;
        }
    }
    int line = 0;
    PyObject *code = PyObject_GetAttrString(fn, "__code__");
    PyObject *ln = code ? PyObject_GetAttrString(code, "co_firstlineno") : NULL;
    if (ln)
        line = (int)PyLong_AsLong(ln);
    Py_XDECREF(ln);
    Py_XDECREF(code);
    PyErr_Clear();
    if (!valid_name(name) || strchr(name, '.')) {
        PyErr_Format(PyExc_ValueError, "'%s' is not a hook name: no '.', ':', spaces or '*'", name);
        Py_XDECREF(fname);
        return -1;
    }
    if (c->check_only) {
        Py_XDECREF(fname);
        return 0;
    }
    fr_python *py = c->site->python;
    char *own = NULL;
    if (asprintf(&own, "%s.%s", c->loading->module, name) < 0)
        own = NULL;
    Py_XDECREF(fname);
    for (int i = 0; own && i < py->nhooks; i++)
        if (strcmp(py->hooks[i]->own_name, own) == 0) {
            PyErr_Format(PyExc_ValueError,
                         "two hooks are named %s: give one of them another name=", own);
            free(own);
            return -1;
        }
    fr_hook *h = calloc(1, sizeof *h);
    fr_hook **g = h ? realloc(py->hooks, (size_t)(py->nhooks + 1) * sizeof *g) : NULL;
    if (!own || !h || !g) {
        free(own);
        free(h);
        PyErr_NoMemory();
        return -1;
    }
    py->hooks = g;
    h->kind = kind;
    h->own_name = own;
    h->name = strdup(own);
    h->target = strdup(target);
    h->replaces = replaces ? strdup(replaces) : NULL;
    h->file = strdup(c->loading->path);
    h->line = line;
    h->fn = Py_NewRef(fn);
    h->site = c->site;
    py->hooks[py->nhooks++] = h;
    return 0;
}

static fr_hook *find_hook(fr_python *py, const char *own_name, const fr_hook * not )
{
    for (int i = 0; i < py->nhooks; i++)
        if (py->hooks[i] != not &&py->hooks[i]->status == HOOK_ACTIVE &&
            strcmp(py->hooks[i]->own_name, own_name) == 0)
            return py->hooks[i];
    return NULL;
}

static int from_site(const fr_hook *h)
{
    return strncmp(h->own_name, "site.", 5) == 0;
}

static void set_by(fr_hook *h, hook_status status, const char *by)
{
    h->status = status;
    free(h->by);
    h->by = strdup(by);
}

/* Applies filrouge.disable and replaces=, and settles guards of the same
 * name: a site's guard replaces a plugin's; between plugins the first
 * loaded keeps the name. */
static void resolve(fr_python *py)
{
    for (int i = 0; i < py->noffs; i++) {
        fr_hook *t = find_hook(py, py->offs[i].name, NULL);
        if (t && !from_site(t))
            set_by(t, HOOK_OFF, py->offs[i].by);
        else
            fr_py_standing(py,
                           "%s switches off the hook %s, but no plugin hook has that name (see "
                           "`filrouge hooks list`)",
                           py->offs[i].by, py->offs[i].name);
    }
    for (int i = 0; i < py->nhooks; i++) {
        fr_hook *h = py->hooks[i];
        if (!h->replaces || h->status != HOOK_ACTIVE)
            continue;
        fr_hook *t = find_hook(py, h->replaces, h);
        if (!t || t->kind != h->kind) {
            fr_py_standing(py, "hook %s replaces %s, but there is no %s hook of that name",
                           h->own_name, h->replaces, t ? "such" : "active");
            continue;
        }
        char *mod = strdup(h->own_name);
        if (mod && strrchr(mod, '.'))
            *strrchr(mod, '.') = '\0';
        set_by(t, HOOK_REPLACED, mod ? mod : "?");
        free(mod);
        /* The replacement takes the name: an asynchronous subscriber keeps
         * its place in the outbox, retries and failures. */
        free(h->name);
        h->name = strdup(t->name);
        if (h->kind == HOOK_GUARD) {
            free(h->target);
            h->target = strdup(t->target);
        }
    }
    for (int i = 0; i < py->nhooks; i++) {
        fr_hook *h = py->hooks[i];
        if (h->kind != HOOK_GUARD || h->status != HOOK_ACTIVE)
            continue;
        for (int j = 0; j < i; j++) {
            fr_hook *e = py->hooks[j];
            if (e->kind != HOOK_GUARD || e->status != HOOK_ACTIVE ||
                strcmp(e->target, h->target) != 0)
                continue;
            if (from_site(h) && !from_site(e)) {
                set_by(e, HOOK_REPLACED, h->own_name);
            } else {
                set_by(h, HOOK_OFF, "(name taken)");
                h->problem = strdup("the guard name is already used by an earlier hook");
                fr_py_standing(py, "guard py:%s of %s is ignored: %s already has it", h->target,
                               h->own_name, e->own_name);
            }
            break;
        }
    }
}

static void register_all(fr_site *site, fr_python *py)
{
    fr_error err = {0};
    if (fr_bus_add_subscriber(site, "python", "hook.fire-requested", FR_ASYNC, "fire",
                              fire_requested, site, &err))
        fr_py_standing(py, "filrouge.fire cannot be served: %s", err.message);
    for (int i = 0; i < py->nhooks; i++) {
        fr_hook *h = py->hooks[i];
        if (h->status != HOOK_ACTIVE)
            continue;
        fr_error_clear(&err);
        int rc = 0;
        if (h->kind == HOOK_ON) {
            rc = fr_bus_add_subscriber(site, "python", h->target, FR_ASYNC, h->name, on_event, h,
                                       &err);
        } else if (h->kind == HOOK_GUARD) {
            char gname[256];
            snprintf(gname, sizeof gname, "py:%s", h->target);
            rc = fr_workflows_add_guard(site, "python", gname, guard_fn, h, &err);
        }
        if (rc) {
            h->status = HOOK_OFF;
            h->problem = strdup(err.message);
            fr_py_standing(py, "hook %s (%s:%d) is not registered: %s", h->own_name, h->file,
                           h->line, err.message);
        }
    }
}

static void unregister_all(fr_site *site)
{
    fr_bus_remove_owner(site, "python");
    fr_workflows_remove_owner(site, "python");
}

static void python_free(fr_python *py)
{
    if (!py)
        return;
    if (started) {
        PyGILState_STATE g = PyGILState_Ensure();
        for (int i = 0; i < py->nhooks; i++)
            hook_free(py->hooks[i]);
        fr_py_files_free(py->files, py->nfiles);
        PyGILState_Release(g);
    } else {
        fr_py_files_free(py->files, py->nfiles);
    }
    free(py->hooks);
    for (int i = 0; i < py->noffs; i++) {
        free(py->offs[i].name);
        free(py->offs[i].by);
    }
    free(py->offs);
    free(py->problem);
    fr_py_standing_free(py);
    free(py);
}

/* ---- the last good version of each hook file ---- */

/* The text of each hook file as it last imported without a problem in this
 * process. A reload (SIGHUP, a plugin enabled) that meets a file which no
 * longer reads, compiles or imports runs this text instead of dropping the
 * file's hooks: an administrator's typo does not silently stop what
 * worked. Kept for the life of the process (a few files' text); a file
 * that is removed is simply not loaded any more. */
typedef struct good_text {
    char *path;
    char *text;
    size_t len;
} good_text;

static pthread_mutex_t good_lock = PTHREAD_MUTEX_INITIALIZER;
static good_text *goods;
static int ngoods;

static good_text *find_good(const char *path)
{
    for (int i = 0; i < ngoods; i++)
        if (strcmp(goods[i].path, path) == 0)
            return &goods[i];
    return NULL;
}

static void remember_good(const char *path, const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, text, len + 1);
    pthread_mutex_lock(&good_lock);
    good_text *g = find_good(path);
    if (!g) {
        good_text *grown = realloc(goods, (size_t)(ngoods + 1) * sizeof *grown);
        char *p = strdup(path);
        if (grown)
            goods = grown;
        if (grown && p) {
            g = &goods[ngoods++];
            g->path = p;
            g->text = NULL;
        } else {
            free(p);
        }
    }
    if (g) {
        free(g->text);
        g->text = copy;
        g->len = len;
    } else {
        free(copy);
    }
    pthread_mutex_unlock(&good_lock);
}

/* A copy of the last good text of path when it differs from `text` (NULL:
 * unreadable now), or NULL. */
static char *last_good(const char *path, const char *text, size_t len, size_t *good_len)
{
    char *copy = NULL;
    pthread_mutex_lock(&good_lock);
    good_text *g = find_good(path);
    if (g && !(text && g->len == len && memcmp(g->text, text, len) == 0) &&
        (copy = malloc(g->len + 1)) != NULL) {
        memcpy(copy, g->text, g->len + 1);
        *good_len = g->len;
    }
    pthread_mutex_unlock(&good_lock);
    return copy;
}

/* Drops what a failed import registered: a file registers all or nothing. */
static void forget_since(fr_python *py, int nhooks, int noffs)
{
    for (int j = nhooks; j < py->nhooks; j++)
        hook_free(py->hooks[j]);
    py->nhooks = nhooks;
    for (int j = noffs; j < py->noffs; j++) {
        free(py->offs[j].name);
        free(py->offs[j].by);
    }
    py->noffs = noffs;
}

/* Imports one file of site->python, or its last good text when the file
 * has a problem now: then f->refused says why the new text was refused.
 * GIL held. */
static void load_one(fr_site *site, hook_file *f, int deadline)
{
    fr_python *py = site->python;
    int nhooks = py->nhooks, noffs = py->noffs;
    char *text = NULL, *problem = NULL, *trace = NULL;
    size_t len = 0;
    int rc = fr_py_read_source(f, &text, &len, &problem);
    if (!rc)
        rc = fr_py_import_text(site, f, text, len, 0, deadline, &f->mod, &problem, &trace);
    if (!rc) {
        remember_good(f->path, text, len);
        free(text);
        return;
    }
    forget_since(py, nhooks, noffs);
    size_t glen = 0;
    char *good = last_good(f->path, text, len, &glen);
    char *gproblem = NULL, *gtrace = NULL;
    if (good &&
        fr_py_import_text(site, f, good, glen, 0, deadline, &f->mod, &gproblem, &gtrace) == 0) {
        f->refused = problem ? problem : strdup(f->path);
        fr_py_standing(site->python,
                       "hook file %s: the new version is REFUSED and the last good one stays in "
                       "use until it is fixed: %s%s%s",
                       f->path, f->refused, trace ? "\n" : "", trace ? trace : "");
    } else {
        if (good)
            forget_since(py, nhooks, noffs);
        f->problem = problem ? problem : strdup(f->path);
        fr_py_standing(site->python, "hook file %s is not loaded: %s%s%s", f->path, f->problem,
                       trace ? "\n" : "", trace ? trace : "");
    }
    free(gproblem);
    free(gtrace);
    free(good);
    free(trace);
    free(text);
}

/* Imports the files into site->python and registers their hooks. */
static void load_all(fr_site *site)
{
    fr_python *py = site->python;
    int deadline = py->deadline_ms * FR_PY_IMPORT_DEADLINE_FACTOR;
    for (int i = 0; i < py->nfiles; i++) {
        keep_thread_state();
        PyGILState_STATE g = PyGILState_Ensure();
        load_one(site, &py->files[i], deadline);
        PyGILState_Release(g);
    }
    resolve(py);
    register_all(site, py);
}

/* Finds the hook files; starts Python and loads them when there are any. */
static int open_hooks(fr_site *site, fr_error *err)
{
    fr_py_file_list l = {0};
    int rc = fr_py_scan_all(site, &l);
    if (rc) {
        fr_py_files_free(l.files, l.n);
        return fr_error_set(err, rc, "out of memory");
    }
    if (l.n == 0)
        return 0; /* no hooks: no interpreter, nothing to pay */
    fr_python *py = calloc(1, sizeof *py);
    if (!py) {
        fr_py_files_free(l.files, l.n);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    py->files = l.files;
    py->nfiles = l.n;
    py->deadline_ms = fr_python_deadline_ms(site);
    site->python = py;
    fr_error serr = {0};
    if (fr_py_start(&serr)) {
        /* The platform goes on without hooks; the reason is visible. */
        py->problem = strdup(serr.message);
        fr_py_standing(py, "the site's hooks are off: %s", serr.message);
        fr_py_standing_log(site, py);
        return 0;
    }
    load_all(site);
    fr_py_standing_log(site, py);
    return 0;
}

int fr_python_open(fr_site *site, fr_error *err)
{
    if (site->python)
        return 0;
    return open_hooks(site, err);
}

void fr_python_close(fr_site *site)
{
    if (!site || !site->python)
        return;
    unregister_all(site);
    python_free(site->python);
    site->python = NULL;
}

int fr_python_reload(fr_site *site, fr_error *err)
{
    if (site->python && site->python->calling > 0)
        return fr_error_set(err, FR_EREFUSED,
                            "hooks cannot be reloaded from inside a hook; reload between calls");
    fr_python_close(site);
    int rc = open_hooks(site, err);
    if (!rc) {
        int files = site->python ? site->python->nfiles : 0, bad = 0;
        for (int i = 0; i < files; i++)
            bad += site->python->files[i].problem != NULL;
        fr_site_log(site, "python", "hooks reloaded: %d files, %d with problems", files, bad);
    }
    return rc;
}

/* ---- validate and compute ---- */

typedef struct values_data {
    json_t *values;
    json_t *result; /* what the hook returned, as JSON */
} values_data;

static PyObject *values_args(void *data)
{
    PyObject *v = fr_py_from_json(((values_data *)data)->values);
    if (!v)
        return NULL;
    PyObject *t = PyTuple_Pack(1, v);
    Py_DECREF(v);
    return t;
}

static int values_take(PyObject *res, void *data, fr_error *err)
{
    (void)err;
    values_data *d = data;
    d->result = fr_py_to_json(res);
    return d->result ? 0 : FR_EINVAL;
}

/* A validate hook's answer: None (or an empty dict, list or string)
 * accepts; a string, a list of them, or a dict field -> message(s)
 * refuses. Anything else (False, a number) is the hook's mistake, not an
 * acceptance: it fails like an exception, so the submission is refused
 * with a message saying what to return. */
static int validate_take(PyObject *res, void *data, fr_error *err)
{
    if (res != Py_None && !PyUnicode_Check(res) && !PyList_Check(res) && !PyTuple_Check(res) &&
        !PyDict_Check(res)) {
        PyErr_Format(PyExc_TypeError,
                     "a validate hook returns None to accept, or a message (str), a list of "
                     "messages or a dict field -> message to refuse, not %.100s",
                     Py_TYPE(res)->tp_name);
        return FR_EINVAL;
    }
    return values_take(res, data, err);
}

static void add_message(json_t *messages, const char *field, json_t *msg)
{
    json_t *list = json_object_get(messages, field);
    if (!list) {
        list = json_array();
        json_object_set_new(messages, field, list);
    }
    if (json_is_string(msg)) {
        json_array_append(list, msg);
    } else {
        char *text = json_dumps(msg, JSON_ENCODE_ANY | JSON_COMPACT);
        json_array_append_new(list, json_string(text ? text : "invalid"));
        free(text);
    }
}

int fr_python_validate(fr_site *site, const char *form_id, json_t *values, json_t **messages,
                       fr_error *err)
{
    (void)err;
    *messages = NULL;
    fr_python *py = site->python;
    if (!py || !started)
        return 0;
    json_t *all = json_object();
    for (int i = 0; i < py->nhooks; i++) {
        const fr_hook *h = py->hooks[i];
        if (h->kind != HOOK_VALIDATE || h->status != HOOK_ACTIVE || strcmp(h->target, form_id))
            continue;
        values_data d = {values, NULL};
        fr_error herr = {0};
        if (call_hook(site, h, 1, values_args, validate_take, &d, &herr)) {
            json_t *m = json_string(herr.message);
            add_message(all, "", m);
            json_decref(m);
            continue;
        }
        /* None or empty: accepted; a string or list: whole-form messages;
         * a dict: field -> message or list of messages. */
        if (json_is_string(d.result)) {
            add_message(all, "", d.result);
        } else if (json_is_array(d.result)) {
            size_t j;
            json_t *m;
            json_array_foreach(d.result, j, m) add_message(all, "", m);
        } else if (json_is_object(d.result)) {
            const char *k;
            json_t *m;
            json_object_foreach(d.result, k, m)
            {
                if (json_is_array(m)) {
                    size_t j;
                    json_t *x;
                    json_array_foreach(m, j, x) add_message(all, k, x);
                } else if (!json_is_null(m)) {
                    add_message(all, k, m);
                }
            }
        }
        json_decref(d.result);
    }
    if (json_object_size(all) == 0)
        json_decref(all);
    else
        *messages = all;
    return 0;
}

int fr_python_form_hooks(fr_site *site, const char *form_id)
{
    fr_python *py = site->python;
    if (!py || !started)
        return 0;
    for (int i = 0; i < py->nhooks; i++) {
        const fr_hook *h = py->hooks[i];
        if ((h->kind == HOOK_VALIDATE || h->kind == HOOK_COMPUTE) && h->status == HOOK_ACTIVE &&
            strcmp(h->target, form_id) == 0)
            return 1;
    }
    return 0;
}

int fr_python_compute(fr_site *site, const char *form_id, json_t *values, json_t **computed,
                      fr_error *err)
{
    *computed = NULL;
    fr_python *py = site->python;
    if (!py || !started)
        return 0;
    json_t *all = json_object();
    for (int i = 0; i < py->nhooks; i++) {
        const fr_hook *h = py->hooks[i];
        if (h->kind != HOOK_COMPUTE || h->status != HOOK_ACTIVE || strcmp(h->target, form_id))
            continue;
        values_data d = {values, NULL};
        int rc = call_hook(site, h, 1, values_args, values_take, &d, err);
        if (!rc && !json_is_object(d.result) && !json_is_null(d.result))
            rc = fr_error_set(err, FR_EREFUSED,
                              "the compute hook %s must return a dict of name -> value", h->name);
        if (rc) {
            json_decref(d.result);
            json_decref(all);
            return rc;
        }
        if (json_is_object(d.result))
            json_object_update(all, d.result);
        json_decref(d.result);
    }
    if (json_object_size(all) == 0)
        json_decref(all);
    else
        *computed = all;
    return 0;
}

/* ---- listing and checking ---- */

static const char *kind_name(hook_kind k)
{
    switch (k) {
    case HOOK_ON:
        return "on";
    case HOOK_GUARD:
        return "guard";
    case HOOK_VALIDATE:
        return "validate";
    case HOOK_COMPUTE:
        return "compute";
    case HOOK_DISABLE:
        break;
    }
    return "?";
}

int fr_python_list(fr_site *site, json_t **out, fr_error *err)
{
    (void)err;
    json_t *files = json_array(), *hooks = json_array();
    fr_python *py = site->python;
    for (int i = 0; py && i < py->nfiles; i++) {
        const hook_file *f = &py->files[i];
        json_array_append_new(files, json_pack("{s:s,s:s,s:s,s:s?,s:s?}", "path", f->path, "module",
                                               f->module, "origin", f->origin, "problem",
                                               f->problem ? f->problem : py->problem, "refused",
                                               f->refused));
    }
    static const char *status[] = {"on", "off", "replaced"};
    for (int i = 0; py && i < py->nhooks; i++) {
        const fr_hook *h = py->hooks[i];
        json_array_append_new(
            hooks, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s?,s:s?}", "name", h->name,
                             "defined_as", h->own_name, "kind", kind_name(h->kind), "target",
                             h->target, "file", h->file, "line", h->line, "status",
                             status[h->status], "by", h->by, "problem", h->problem));
    }
    json_t *problems = json_array();
    for (int i = 0; py && i < py->nstanding; i++)
        json_array_append_new(problems, json_string(py->standing[i]));
    *out = json_pack("{s:b,s:i,s:o,s:o,s:o}", "started", started, "deadline_ms",
                     fr_python_deadline_ms(site), "files", files, "hooks", hooks, "problems",
                     problems);
    return *out ? 0 : FR_ENOMEM;
}

json_t *fr_python_refused(fr_site *site)
{
    json_t *a = json_array();
    fr_python *py = site->python;
    for (int i = 0; py && i < py->nfiles; i++)
        if (py->files[i].refused)
            json_array_append_new(a, json_pack("{s:s,s:s}", "file", py->files[i].path, "problem",
                                               py->files[i].refused));
    return a;
}
