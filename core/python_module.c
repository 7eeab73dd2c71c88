/* The built-in `filrouge` module that hooks import: the decorators, the
 * Event object, reading the record (case, patient, network, submissions,
 * tasks, notes, cases, users) and acting on it (task, note, intensity,
 * assignment, a deferred workflow event, the log). Objects are plain
 * Python values (dict, list, str, int, float, bool, None) made from the
 * kernel's JSON; hooks never see SQL.
 *
 * Every kernel call runs with the GIL released (LESSONS.md: never hold the
 * GIL while taking a kernel lock or writing the log). Loading files and
 * calling hooks is python.c's business; docs/hooks.md documents the API. */
#include "python_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "care.h"
#include "clock.h"
#include "record.h"
#include "store.h"
#include "task.h"

/* References the C side keeps to the one module instance's objects (the
 * interpreter lives as long as the process). */
static PyObject *event_type, *refused_type, *deadline_type, *error_type;
/* CPython's JSON scanner (json._default_decoder.scan_once, the C
 * accelerator behind json.loads without its Python-level checks) builds a
 * payload dict about three times faster than jansson followed by a
 * conversion (docs/performance.md). Payloads are compact JSON objects
 * written by the bus, so the checks json.loads adds are not needed. */
static PyObject *json_scan_fn;

PyObject *fr_py_refused_type(void)
{
    return refused_type;
}

PyObject *fr_py_deadline_type(void)
{
    return deadline_type;
}

/* ---- JSON <-> Python ---- */

PyObject *fr_py_from_json(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        PyObject *d = PyDict_New();
        const char *k;
        json_t *x;
        if (!d)
            return NULL;
        json_object_foreach(v, k, x)
        {
            PyObject *px = fr_py_from_json(x);
            if (!px || PyDict_SetItemString(d, k, px) < 0) {
                Py_XDECREF(px);
                Py_DECREF(d);
                return NULL;
            }
            Py_DECREF(px);
        }
        return d;
    }
    case JSON_ARRAY: {
        PyObject *l = PyList_New((Py_ssize_t)json_array_size(v));
        size_t i;
        json_t *x;
        if (!l)
            return NULL;
        json_array_foreach(v, i, x)
        {
            PyObject *px = fr_py_from_json(x);
            if (!px) {
                Py_DECREF(l);
                return NULL;
            }
            PyList_SET_ITEM(l, (Py_ssize_t)i, px);
        }
        return l;
    }
    case JSON_STRING:
        return PyUnicode_FromStringAndSize(json_string_value(v), (Py_ssize_t)json_string_length(v));
    case JSON_INTEGER:
        return PyLong_FromLongLong(json_integer_value(v));
    case JSON_REAL:
        return PyFloat_FromDouble(json_real_value(v));
    case JSON_TRUE:
        Py_RETURN_TRUE;
    case JSON_FALSE:
        Py_RETURN_FALSE;
    default:
        Py_RETURN_NONE;
    }
}

json_t *fr_py_to_json(PyObject *o)
{
    if (o == Py_None)
        return json_null();
    if (PyBool_Check(o))
        return json_boolean(o == Py_True);
    if (PyLong_Check(o)) {
        long long n = PyLong_AsLongLong(o);
        if (n == -1 && PyErr_Occurred())
            return NULL;
        return json_integer(n);
    }
    if (PyFloat_Check(o))
        return json_real(PyFloat_AS_DOUBLE(o));
    if (PyUnicode_Check(o)) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(o, &len);
        return s ? json_stringn(s, (size_t)len) : NULL;
    }
    if (PyDict_Check(o)) {
        json_t *obj = json_object();
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v)) {
            if (!PyUnicode_Check(k)) {
                json_decref(obj);
                PyErr_Format(PyExc_TypeError, "keys must be strings, not %s", Py_TYPE(k)->tp_name);
                return NULL;
            }
            json_t *jv = fr_py_to_json(v);
            if (!jv) {
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, PyUnicode_AsUTF8(k), jv);
        }
        return obj;
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        json_t *arr = json_array();
        PyObject *seq = PySequence_Fast(o, "");
        if (!seq) {
            json_decref(arr);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            json_t *jv = fr_py_to_json(PySequence_Fast_GET_ITEM(seq, i));
            if (!jv) {
                Py_DECREF(seq);
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, jv);
        }
        Py_DECREF(seq);
        return arr;
    }
    PyErr_Format(PyExc_TypeError,
                 "a %s cannot be stored; use dict, list, str, int, float, bool or None",
                 Py_TYPE(o)->tp_name);
    return NULL;
}

/* ---- the Event object ---- */

/* Built for every delivery, so cheap: one allocation for the strings, the
 * Python objects made only when the hook asks for them. */
typedef struct event_obj {
    PyObject_HEAD int64_t id;
    int64_t case_id;
    char *topic, *payload, *key; /* one malloc'd block, topic first */
    PyObject *payload_obj;       /* parsed on first use */
} event_obj;

PyObject *fr_py_event_new(const fr_py_event_fields *ev)
{
    event_obj *e = PyObject_New(event_obj, (PyTypeObject *)event_type);
    if (!e)
        return NULL;
    const char *t = ev->topic ? ev->topic : "", *p = ev->payload, *k = ev->key;
    size_t lt = strlen(t) + 1, lp = strlen(p ? p : "{}") + 1, lk = strlen(k ? k : "") + 1;
    e->id = ev->id;
    e->case_id = ev->case_id;
    e->payload_obj = NULL;
    e->topic = malloc(lt + lp + lk);
    if (!e->topic) {
        e->payload = e->key = NULL;
        Py_DECREF(e);
        return PyErr_NoMemory();
    }
    e->payload = e->topic + lt;
    e->key = e->payload + lp;
    memcpy(e->topic, t, lt);
    memcpy(e->payload, p ? p : "{}", lp);
    memcpy(e->key, k ? k : "", lk);
    return (PyObject *)e;
}

static void event_dealloc(PyObject *self)
{
    event_obj *e = (event_obj *)self;
    PyTypeObject *tp = Py_TYPE(self);
    free(e->topic);
    Py_XDECREF(e->payload_obj);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static PyObject *event_id(PyObject *self, void *unused)
{
    (void)unused;
    return PyLong_FromLongLong(((event_obj *)self)->id);
}

static PyObject *event_case(PyObject *self, void *unused)
{
    (void)unused;
    event_obj *e = (event_obj *)self;
    if (e->case_id <= 0)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(e->case_id);
}

static PyObject *event_topic(PyObject *self, void *unused)
{
    (void)unused;
    return PyUnicode_FromString(((event_obj *)self)->topic);
}

static PyObject *event_key(PyObject *self, void *unused)
{
    (void)unused;
    return PyUnicode_FromString(((event_obj *)self)->key);
}

static PyObject *event_payload(PyObject *self, void *unused)
{
    (void)unused;
    event_obj *e = (event_obj *)self;
    if (!e->payload_obj) {
        PyObject *r = PyObject_CallFunction(json_scan_fn, "si", e->payload, 0);
        if (!r)
            return NULL;
        if (PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2)
            e->payload_obj = Py_NewRef(PyTuple_GET_ITEM(r, 0));
        Py_DECREF(r);
        if (!e->payload_obj) {
            PyErr_SetString(PyExc_ValueError, "the event's payload is not JSON");
            return NULL;
        }
    }
    return Py_NewRef(e->payload_obj);
}

static PyObject *event_repr(PyObject *self)
{
    event_obj *e = (event_obj *)self;
    return PyUnicode_FromFormat("<filrouge.Event %lld %s case %lld>", (long long)e->id, e->topic,
                                (long long)e->case_id);
}

static PyGetSetDef event_getset[] = {
    {"id", event_id, NULL, "the outbox id of the event", NULL},
    {"topic", event_topic, NULL, "the topic, e.g. case.transitioned", NULL},
    {"case_id", event_case, NULL, "the case the event is about, or None", NULL},
    {"key", event_key, NULL, "the idempotency key (32 hex digits)", NULL},
    {"payload", event_payload, NULL, "the payload, a dict", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot event_slots[] = {
    {Py_tp_dealloc, event_dealloc},
    {Py_tp_getset, event_getset},
    {Py_tp_repr, event_repr},
    {Py_tp_doc, "An event of the bus, as given to an @filrouge.on hook."},
    {0, NULL},
};

static PyType_Spec event_spec = {
    .name = "filrouge.Event",
    .basicsize = sizeof(event_obj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = event_slots,
};

/* ---- calling the kernel ---- */

/* The site of the hook running on this thread; NULL with RuntimeError
 * outside one. `acting`: a write, refused in synchronous hooks. */
static fr_site *hook_site(const char *what, int acting)
{
    fr_pyctx *c = fr_py_ctx;
    if (!c || !c->site || !c->hook) {
        PyErr_Format(PyExc_RuntimeError,
                     "filrouge.%s works only inside a hook that Filrouge calls (not while the "
                     "hook file is imported)",
                     what);
        return NULL;
    }
    if (acting && c->read_only) {
        PyErr_Format(refused_type,
                     "filrouge.%s: a %s hook only reads; act from an @filrouge.on hook", what,
                     c->hook->kind == HOOK_GUARD ? "guard" : "validate/compute");
        return NULL;
    }
    return c->site;
}

static const char *hook_name(void)
{
    return fr_py_ctx && fr_py_ctx->hook ? fr_py_ctx->hook->own_name : "hook";
}

/* Raises filrouge.Error(message) with .code, from a kernel error. */
static PyObject *raise_kernel(const fr_error *err, int rc)
{
    PyObject *e = PyObject_CallFunction(error_type, "s", err->message[0] ? err->message : "error");
    if (e) {
        PyObject *code = PyUnicode_FromString(fr_error_code_name(err->code ? err->code : rc));
        if (code) {
            PyObject_SetAttrString(e, "code", code);
            Py_DECREF(code);
        }
        PyErr_SetObject(error_type, e);
        Py_DECREF(e);
    }
    return NULL;
}

/* Hands a kernel result (new JSON) over as Python objects. */
static PyObject *json_result(int rc, json_t *out, const fr_error *err)
{
    if (rc)
        return raise_kernel(err, rc);
    PyObject *r = fr_py_from_json(out);
    json_decref(out);
    return r;
}

#define KERNEL(stmt)                                                                               \
    do {                                                                                           \
        Py_BEGIN_ALLOW_THREADS stmt;                                                               \
        Py_END_ALLOW_THREADS                                                                       \
    } while (0)

static PyObject *m_case(PyObject *m, PyObject *arg)
{
    (void)m;
    fr_site *site = hook_site("case", 0);
    long long id = site ? PyLong_AsLongLong(arg) : -1;
    if (!site || (id == -1 && PyErr_Occurred()))
        return NULL;
    json_t *out = NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_case_get(site, id, &out, &err));
    return json_result(rc, out, &err);
}

static PyObject *m_patient(PyObject *m, PyObject *arg)
{
    (void)m;
    fr_site *site = hook_site("patient", 0);
    long long id = site ? PyLong_AsLongLong(arg) : -1;
    if (!site || (id == -1 && PyErr_Occurred()))
        return NULL;
    json_t *out = NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_patient_get(site, id, &out, &err));
    return json_result(rc, out, &err);
}

static PyObject *m_network(PyObject *m, PyObject *arg)
{
    (void)m;
    fr_site *site = hook_site("network", 0);
    long long id = site ? PyLong_AsLongLong(arg) : -1;
    if (!site || (id == -1 && PyErr_Occurred()))
        return NULL;
    json_t *out = NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_network_list(site, id, &out, &err));
    return json_result(rc, out, &err);
}

static PyObject *m_notes(PyObject *m, PyObject *arg)
{
    (void)m;
    fr_site *site = hook_site("notes", 0);
    long long id = site ? PyLong_AsLongLong(arg) : -1;
    if (!site || (id == -1 && PyErr_Occurred()))
        return NULL;
    json_t *out = NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_case_notes(site, id, &out, &err));
    return json_result(rc, out, &err);
}

/* The case's form submissions, oldest first, each with the scores the
 * forms part computed and stored beside it ({score: {"value", "band"}},
 * the shape of form.submitted's payload): the forms part owns the tables'
 * meaning (`data` holds the submitted values only); this reads them as
 * stored, with the access check and audit entry of any clinical read. */
static int read_submissions(fr_site *site, int64_t case_id, const char *form, json_t **out,
                            fr_error *err)
{
    *out = NULL;
    int rc = fr_access_case(site, case_id, FR_READ, err);
    if (rc)
        return rc;
    json_t *rows = NULL;
    if ((rc = fr_store_query_json(site->store, err, &rows,
                                  "SELECT id, form_id, form_version, status, data, submitted_at,"
                                  " actor, amends, superseded_by FROM submissions"
                                  " WHERE case_id = ? AND (? IS NULL OR"
                                  " form_id = ?) ORDER BY submitted_at, id",
                                  "Itt", case_id, form, form)))
        return rc;
    json_t *scores = NULL;
    if ((rc = fr_store_query_json(site->store, err, &scores,
                                  "SELECT submission_id, score, value, band FROM submission_scores"
                                  " WHERE case_id = ? AND (? IS NULL OR form_id = ?)",
                                  "Itt", case_id, form, form))) {
        json_decref(rows);
        return rc;
    }
    size_t i, k;
    json_t *r, *sc;
    json_array_foreach(rows, i, r)
    {
        json_t *data = json_loads(json_string_value(json_object_get(r, "data")), 0, NULL);
        json_object_set_new(r, "data", data ? data : json_null());
        json_t *mine = json_object();
        json_int_t id = json_integer_value(json_object_get(r, "id"));
        json_array_foreach(scores, k, sc)
        {
            if (json_integer_value(json_object_get(sc, "submission_id")) != id)
                continue;
            json_object_set_new(mine, json_string_value(json_object_get(sc, "score")),
                                json_pack("{s:O,s:O}", "value", json_object_get(sc, "value"),
                                          "band", json_object_get(sc, "band")));
        }
        json_object_set_new(r, "scores", mine);
    }
    json_decref(scores);
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, case_id);
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "submissions", oid, NULL, err))) {
        json_decref(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

static PyObject *m_submissions(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    static char *kwlist[] = {"case_id", "form_id", NULL};
    long long id;
    const char *form = NULL;
    fr_site *site = hook_site("submissions", 0);
    if (!site || !PyArg_ParseTupleAndKeywords(args, kw, "L|z", kwlist, &id, &form))
        return NULL;
    json_t *out = NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = read_submissions(site, id, form, &out, &err));
    return json_result(rc, out, &err);
}

static PyObject *m_tasks(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    static char *kwlist[] = {"case_id", "assignee", "status", "due_before", "limit", NULL};
    fr_task_filter f = {0};
    long long case_id = 0;
    fr_site *site = hook_site("tasks", 0);
    if (!site || !PyArg_ParseTupleAndKeywords(args, kw, "|Lzzzi", kwlist, &case_id, &f.assignee,
                                              &f.status, &f.due_before, &f.limit))
        return NULL;
    f.case_id = case_id;
    json_t *out = NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_task_list(site, &f, &out, &err));
    return json_result(rc, out, &err);
}

static PyObject *m_cases(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    static char *kwlist[] = {"manager", "status", "plugin", "limit", NULL};
    fr_case_filter f = {.status = "open"};
    fr_site *site = hook_site("cases", 0);
    if (!site || !PyArg_ParseTupleAndKeywords(args, kw, "|zzzi", kwlist, &f.manager, &f.status,
                                              &f.plugin, &f.limit))
        return NULL;
    json_t *out = NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_case_list(site, &f, &out, &err));
    return json_result(rc, out, &err);
}

static PyObject *m_users(PyObject *m, PyObject *unused)
{
    (void)m, (void)unused;
    fr_site *site = hook_site("users", 0);
    if (!site)
        return NULL;
    json_t *out = NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_user_list(site, &out, &err));
    return json_result(rc, out, &err);
}

/* The assignee by login (default: the case's manager), then the task. */
static int create_task(fr_site *site, fr_task_new *t, const char *assignee, int64_t *id,
                       fr_error *err)
{
    int rc = assignee ? fr_user_id(site, assignee, &t->assignee_id, err) : 0;
    return rc ? rc : fr_task_create(site, t, id, err);
}

static PyObject *m_create_task(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    static char *kwlist[] = {"case_id", "title", "due_on", "assignee", "anchor", "offset", NULL};
    long long case_id = 0;
    const char *assignee = NULL;
    fr_task_new t = {.origin = "hook"};
    fr_site *site = hook_site("create_task", 1);
    PyObject *case_obj = NULL;
    if (!site || !PyArg_ParseTupleAndKeywords(args, kw, "Os|zzzz", kwlist, &case_obj, &t.title,
                                              &t.due_on, &assignee, &t.anchor, &t.offset))
        return NULL;
    if (case_obj != Py_None) {
        case_id = PyLong_AsLongLong(case_obj);
        if (case_id == -1 && PyErr_Occurred())
            return NULL;
    }
    t.case_id = case_id;
    t.origin_ref = hook_name();
    fr_error err = {0};
    int64_t id = 0;
    int rc;
    KERNEL(rc = create_task(site, &t, assignee, &id, &err));
    if (rc)
        return raise_kernel(&err, rc);
    return PyLong_FromLongLong(id);
}

static PyObject *m_cancel_task(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    static char *kwlist[] = {"task_id", "reason", NULL};
    long long task_id;
    const char *reason;
    fr_site *site = hook_site("cancel_task", 1);
    if (!site || !PyArg_ParseTupleAndKeywords(args, kw, "Ls", kwlist, &task_id, &reason))
        return NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_task_cancel(site, task_id, reason, &err));
    if (rc)
        return raise_kernel(&err, rc);
    Py_RETURN_NONE;
}

static PyObject *m_set_date(PyObject *m, PyObject *args)
{
    (void)m;
    long long case_id;
    const char *name, *date;
    fr_site *site = hook_site("set_date", 1);
    if (!site || !PyArg_ParseTuple(args, "Lss", &case_id, &name, &date))
        return NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_case_set_date(site, case_id, name, date, NULL, &err));
    if (rc)
        return raise_kernel(&err, rc);
    Py_RETURN_NONE;
}

static PyObject *m_add_note(PyObject *m, PyObject *args)
{
    (void)m;
    long long case_id;
    const char *text;
    fr_site *site = hook_site("add_note", 1);
    if (!site || !PyArg_ParseTuple(args, "Ls", &case_id, &text))
        return NULL;
    const char *ref = hook_name();
    fr_error err = {0};
    int64_t id = 0;
    int rc;
    KERNEL(rc = fr_case_add_note(site, case_id, text, "hook", ref, &id, &err));
    if (rc)
        return raise_kernel(&err, rc);
    return PyLong_FromLongLong(id);
}

static PyObject *m_set_intensity(PyObject *m, PyObject *args)
{
    (void)m;
    long long case_id;
    int level;
    fr_site *site = hook_site("set_intensity", 1);
    if (!site || !PyArg_ParseTuple(args, "Li", &case_id, &level))
        return NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_case_set_intensity(site, case_id, level, &err));
    if (rc)
        return raise_kernel(&err, rc);
    Py_RETURN_NONE;
}

/* The plugins' rules suggest the case's level on the Kaiser Permanente
 * pyramid (as fr_case_suggest_level does for C plugins): it becomes the
 * level unless the case manager chose one. */
static PyObject *m_suggest_level(PyObject *m, PyObject *args)
{
    (void)m;
    long long case_id;
    int level;
    fr_site *site = hook_site("suggest_level", 1);
    if (!site || !PyArg_ParseTuple(args, "Li", &case_id, &level))
        return NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_case_suggest_pyramid(site, case_id, level, &err));
    if (rc)
        return raise_kernel(&err, rc);
    Py_RETURN_NONE;
}

static PyObject *m_assign(PyObject *m, PyObject *args)
{
    (void)m;
    long long case_id;
    const char *login;
    fr_site *site = hook_site("assign", 1);
    if (!site || !PyArg_ParseTuple(args, "Ls", &case_id, &login))
        return NULL;
    fr_error err = {0};
    int rc;
    KERNEL(rc = fr_case_assign(site, case_id, login, &err));
    if (rc)
        return raise_kernel(&err, rc);
    Py_RETURN_NONE;
}

/* Publishes hook.fire-requested; python.c's subscriber "python:fire" fires
 * the workflow event once the transaction that carries it has committed
 * (the outbox is the queue: durable, retried, visible when it fails). */
static int queue_fire(fr_site *site, int64_t case_id, const char *payload, fr_error *err)
{
    int own = fr_store_depth(site->store) == 0;
    int rc = own ? fr_store_begin(site->store, err) : 0;
    if (!rc)
        rc = fr_bus_publish(site, "hook.fire-requested", case_id, payload, err);
    if (own) {
        if (!rc)
            rc = fr_store_commit(site->store, err);
        else
            fr_store_rollback(site->store);
    }
    return rc;
}

static PyObject *m_fire(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    static char *kwlist[] = {"case_id", "event", "note", "effective_on", NULL};
    long long case_id;
    const char *event, *note = NULL, *effective_on = NULL;
    fr_site *site = hook_site("fire", 1);
    if (!site || !PyArg_ParseTupleAndKeywords(args, kw, "Ls|zz", kwlist, &case_id, &event, &note,
                                              &effective_on))
        return NULL;
    if (case_id <= 0 || !*event) {
        PyErr_SetString(PyExc_ValueError, "filrouge.fire needs a case id and an event name");
        return NULL;
    }
    json_t *p = json_pack("{s:s,s:s,s:s?,s:s?}", "event", event, "by", hook_name(), "note", note,
                          "effective_on", effective_on);
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    if (!text)
        return PyErr_NoMemory();
    fr_error err = {0};
    int rc;
    KERNEL(rc = queue_fire(site, case_id, text, &err));
    free(text);
    if (rc)
        return raise_kernel(&err, rc);
    Py_RETURN_NONE;
}

static PyObject *m_log(PyObject *m, PyObject *arg)
{
    (void)m;
    fr_pyctx *c = fr_py_ctx;
    if (c && c->check_only)
        Py_RETURN_NONE; /* `hooks check` writes nothing, even to the log */
    if (!c || !c->site) {
        PyErr_SetString(PyExc_RuntimeError, "filrouge.log works only inside Filrouge");
        return NULL;
    }
    PyObject *s = PyObject_Str(arg);
    const char *text = s ? PyUnicode_AsUTF8(s) : NULL;
    if (!text) {
        Py_XDECREF(s);
        return NULL;
    }
    char who[300];
    snprintf(who, sizeof who, "hook:%s",
             c->hook      ? c->hook->own_name
             : c->loading ? c->loading->module
                          : "?");
    fr_site *site = c->site;
    KERNEL(fr_site_log(site, who, "%s", text));
    Py_DECREF(s);
    Py_RETURN_NONE;
}

static PyObject *m_setting(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    static char *kwlist[] = {"name", "plugin", "default", NULL};
    const char *name, *plugin = NULL;
    PyObject *dflt = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zO", kwlist, &name, &plugin, &dflt))
        return NULL;
    fr_pyctx *c = fr_py_ctx;
    if (c && c->check_only && !c->site)
        return Py_NewRef(dflt); /* `hooks check FILE` outside a site */
    if (!c || !c->site) {
        PyErr_SetString(PyExc_RuntimeError, "filrouge.setting works only inside Filrouge");
        return NULL;
    }
    const char *v = fr_site_setting(c->site, plugin, name);
    if (!v)
        return Py_NewRef(dflt);
    return PyUnicode_FromString(v);
}

/* The language of the person the hook writes for: the acting user's in a
 * guard, validate or compute hook (the web request's, the CLI user's), the
 * site's first language in an asynchronous hook (which acts as itself). */
static PyObject *m_lang(PyObject *m, PyObject *unused)
{
    (void)m, (void)unused;
    fr_pyctx *c = fr_py_ctx;
    if (!c || !c->site) {
        PyErr_SetString(PyExc_RuntimeError, "filrouge.lang works only inside Filrouge");
        return NULL;
    }
    return PyUnicode_FromString(c->site->actor_lang[0] ? c->site->actor_lang : "fr");
}

static PyObject *m_today(PyObject *m, PyObject *unused)
{
    (void)m, (void)unused;
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    return PyUnicode_FromString(today);
}

/* ---- decorators ---- */

/* filrouge.on(...) returns this function bound to (kind, target, name,
 * replaces); applied to the hook's function it registers it and gives the
 * function back unchanged (so a hook stays callable from tests). */
static PyObject *decorate(PyObject *self, PyObject *fn)
{
    if (!PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "a filrouge decorator applies to a function");
        return NULL;
    }
    long kind = PyLong_AsLong(PyTuple_GET_ITEM(self, 0));
    PyObject *target = PyTuple_GET_ITEM(self, 1), *name = PyTuple_GET_ITEM(self, 2),
             *replaces = PyTuple_GET_ITEM(self, 3);
    if (fr_py_register((hook_kind)kind, PyUnicode_AsUTF8(target),
                       name == Py_None ? NULL : PyUnicode_AsUTF8(name),
                       replaces == Py_None ? NULL : PyUnicode_AsUTF8(replaces), fn))
        return NULL;
    return Py_NewRef(fn);
}

static PyMethodDef decorate_def = {"filrouge_hook", decorate, METH_O,
                                   "Registers the function as a Filrouge hook."};

static PyObject *make_decorator(hook_kind kind, PyObject *args, PyObject *kw, const char *what)
{
    static char *kwlist[] = {"target", "name", "replaces", NULL};
    PyObject *target, *name = Py_None, *replaces = Py_None;
    char fmt[32];
    snprintf(fmt, sizeof fmt, "U|OO:%s", what);
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kwlist, &target, &name, &replaces))
        return NULL;
    if ((name != Py_None && !PyUnicode_Check(name)) ||
        (replaces != Py_None && !PyUnicode_Check(replaces))) {
        PyErr_SetString(PyExc_TypeError, "name and replaces are strings");
        return NULL;
    }
    PyObject *bound = Py_BuildValue("(iOOO)", (int)kind, target, name, replaces);
    if (!bound)
        return NULL;
    PyObject *d = PyCFunction_New(&decorate_def, bound);
    Py_DECREF(bound);
    return d;
}

static PyObject *m_on(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    return make_decorator(HOOK_ON, args, kw, "on");
}

static PyObject *m_guard(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    return make_decorator(HOOK_GUARD, args, kw, "guard");
}

static PyObject *m_validate(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    return make_decorator(HOOK_VALIDATE, args, kw, "validate");
}

static PyObject *m_compute(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    return make_decorator(HOOK_COMPUTE, args, kw, "compute");
}

static PyObject *m_disable(PyObject *m, PyObject *arg)
{
    (void)m;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "filrouge.disable takes a hook's name");
        return NULL;
    }
    if (fr_py_register(HOOK_DISABLE, PyUnicode_AsUTF8(arg), NULL, NULL, NULL))
        return NULL;
    Py_RETURN_NONE;
}

#define KW (PyCFunction)(void (*)(void))
static PyMethodDef methods[] = {
    {"on", KW m_on, METH_VARARGS | METH_KEYWORDS,
     "on(topic_pattern, name=None, replaces=None): an asynchronous subscriber"},
    {"guard", KW m_guard, METH_VARARGS | METH_KEYWORDS,
     "guard(name, replaces=None): a workflow guard, guard-ref=\"py:NAME\""},
    {"validate", KW m_validate, METH_VARARGS | METH_KEYWORDS,
     "validate(form_id, name=None, replaces=None): extra checks of a submission"},
    {"compute", KW m_compute, METH_VARARGS | METH_KEYWORDS,
     "compute(form_id, name=None, replaces=None): extra computed values"},
    {"disable", m_disable, METH_O, "disable(hook_name): switch a plugin's hook off (site hooks)"},
    {"case", m_case, METH_O, "case(case_id) -> dict"},
    {"patient", m_patient, METH_O, "patient(patient_id) -> dict"},
    {"network", m_network, METH_O, "network(case_id) -> list"},
    {"notes", m_notes, METH_O, "notes(case_id) -> list"},
    {"submissions", KW m_submissions, METH_VARARGS | METH_KEYWORDS,
     "submissions(case_id, form_id=None) -> list"},
    {"tasks", KW m_tasks, METH_VARARGS | METH_KEYWORDS,
     "tasks(case_id=0, assignee=None, status=None, due_before=None, limit=0) -> list"},
    {"cases", KW m_cases, METH_VARARGS | METH_KEYWORDS,
     "cases(manager=None, status='open', plugin=None, limit=0) -> list"},
    {"users", m_users, METH_NOARGS, "users() -> list, with open_cases and load"},
    {"create_task", KW m_create_task, METH_VARARGS | METH_KEYWORDS,
     "create_task(case_id, title, due_on=None, assignee=None, anchor=None, offset=None) -> id"},
    {"cancel_task", KW m_cancel_task, METH_VARARGS | METH_KEYWORDS,
     "cancel_task(task_id, reason): cancel an open task, with a reason (audited)"},
    {"set_date", m_set_date, METH_VARARGS,
     "set_date(case_id, name, 'YYYY-MM-DD'): a named date of the case; anchored tasks follow"},
    {"add_note", m_add_note, METH_VARARGS, "add_note(case_id, text) -> id"},
    {"set_intensity", m_set_intensity, METH_VARARGS, "set_intensity(case_id, level)"},
    {"suggest_level", m_suggest_level, METH_VARARGS,
     "suggest_level(case_id, level): the rules' level of the pyramid (1-3)"},
    {"assign", m_assign, METH_VARARGS, "assign(case_id, login)"},
    {"fire", KW m_fire, METH_VARARGS | METH_KEYWORDS,
     "fire(case_id, event, note=None, effective_on=None): after the current transaction"},
    {"log", m_log, METH_O, "log(message): a line in the site's log"},
    {"setting", KW m_setting, METH_VARARGS | METH_KEYWORDS,
     "setting(name, plugin=None, default=None) -> str from site.xml"},
    {"today", m_today, METH_NOARGS, "today() -> 'YYYY-MM-DD'"},
    {"lang", m_lang, METH_NOARGS, "lang() -> 'fr', 'nl', 'de' or 'en': the acting user's language"},
    {NULL, NULL, 0, NULL},
};

static int add_exception(PyObject *m, const char *name, PyObject *base, const char *doc)
{
    char full[64];
    snprintf(full, sizeof full, "filrouge.%s", name);
    PyObject *e = PyErr_NewExceptionWithDoc(full, doc, base, NULL);
    if (!e)
        return -1;
    int rc = PyModule_AddObjectRef(m, name, e);
    Py_DECREF(e);
    return rc;
}

/* The module keeps its classes as attributes (no C global state in the
 * module itself: LESSONS.md). */
static int module_exec(PyObject *m)
{
    PyObject *t = PyType_FromModuleAndSpec(m, &event_spec, NULL);
    if (!t)
        return -1;
    int rc = PyModule_AddObjectRef(m, "Event", t);
    Py_DECREF(t);
    if (rc < 0 ||
        add_exception(m, "Refused", PyExc_Exception,
                      "Raise it to refuse an operation with a message for the user; it is "
                      "logged without a traceback.") < 0 ||
        add_exception(m, "DeadlineExceeded", PyExc_BaseException,
                      "Raised inside a hook that ran past its deadline.") < 0 ||
        add_exception(m, "Error", PyExc_Exception,
                      "A refusal or failure of the kernel; .code names it.") < 0)
        return -1;
    return 0;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "filrouge",
    .m_doc = "Filrouge hooks: read the record and act on it (docs/hooks.md).",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = module_slots,
};

PyObject *fr_py_module_init(void)
{
    return PyModuleDef_Init(&module_def);
}

int fr_py_module_ready(void)
{
    PyObject *m = PyImport_ImportModule("filrouge");
    if (!m)
        return -1;
    event_type = PyObject_GetAttrString(m, "Event");
    refused_type = PyObject_GetAttrString(m, "Refused");
    deadline_type = PyObject_GetAttrString(m, "DeadlineExceeded");
    error_type = PyObject_GetAttrString(m, "Error");
    Py_DECREF(m);
    PyObject *json = PyImport_ImportModule("json");
    PyObject *dec = json ? PyObject_GetAttrString(json, "_default_decoder") : NULL;
    json_scan_fn = dec ? PyObject_GetAttrString(dec, "scan_once") : NULL;
    Py_XDECREF(dec);
    Py_XDECREF(json);
    return event_type && refused_type && deadline_type && error_type && json_scan_fn ? 0 : -1;
}
