/* Python hooks: each decorator (on, guard, validate, compute), a site that
 * switches off and replaces a plugin's hooks, exceptions in synchronous
 * hooks (refusal, traceback in the log only) and asynchronous ones (retried,
 * then failed), the deadline, the deferred workflow event of
 * filrouge.fire, reload and check with file:line, and hooks called from
 * several threads at once, each with its own fr_site on one site.
 *
 * The plugin "hooky" (tests/data/hooks/plugins) brings a workflow with
 * Python guards and default hooks; tests/data/hooks/site/overrides.py is
 * the site's own file. test_python_idle.c proves a site without hooks
 * never starts Python. */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "plugin.h"
#include "python.h"
#include "record.h"
#include "site.h"
#include "store.h"
#include "task.h"
#include "test.h"
#include "workflow.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void site_hook(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/hooks/%s", dir, name);
    test_write_file(path, text);
}

/* A site whose plugin path holds hooky, with hooky enabled, the site's
 * overrides.py, and `extra` settings in site.xml. Returns its folder. */
static const char *make_site(const char *name, const char *extra)
{
    fr_error err = {0};
    const char *dir = test_path(name);
    CHECK_OK(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err), &err);
    char path[4200], text[8192];
    snprintf(path, sizeof path, "%s/site.xml", dir);
    snprintf(text, sizeof text,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<site xmlns=\"urn:filrouge:site:1\">\n  <name>%s</name>\n"
             "  <languages>en fr</languages>\n  <database>%s</database>\n"
             "  <plugin-path>%s</plugin-path>\n  %s\n</site>\n",
             name, test_site_db_xml(dir), test_data("hooks/plugins"), extra ? extra : "");
    test_write_file(path, text);
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (site)
        CHECK_OK(fr_plugins_enable(site, "hooky", &err), &err);
    fr_site_close(site);
    site_hook(dir, "overrides.py", slurp(test_data("hooks/site/overrides.py")));
    return dir;
}

static fr_site *open_site(const char *dir)
{
    fr_error err = {0};
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (!site) {
        fprintf(stderr, "cannot open %s: %s\n", dir, err.message);
        exit(99);
    }
    return site;
}

static int64_t new_case(fr_site *site)
{
    fr_error err = {0};
    fr_patient_new p = {.family_name = "Peeters",
                        .given_names = "Maria",
                        .birth_date = "1940-05-02",
                        .postal_code = "1000"};
    int64_t pid = 0, cid = 0;
    CHECK_OK(fr_patient_add(site, &p, &pid, &err), &err);
    fr_case_new c = {.patient_id = pid, .plugin = "hooky", .workflow = "hooky"};
    CHECK_OK(fr_case_open(site, &c, &cid, &err), &err);
    return cid;
}

static int64_t count(fr_site *site, const char *sql, int64_t arg)
{
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_query_int(site->store, &err, &n, sql, "I", arg), &err);
    return n;
}

static void deliver(fr_site *site)
{
    fr_error err = {0};
    fr_bus_stats s;
    CHECK_OK(fr_bus_deliver(site, &s, &err), &err);
}

static const char *log_path(const char *dir)
{
    static char path[4200];
    const char *env = getenv("FILROUGE_LOG");
    snprintf(path, sizeof path, "%s/filrouge.log", dir);
    return env && *env && strcmp(env, "-") ? env : path;
}

static json_t *find_hook(json_t *list, const char *defined_as)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(list, "hooks"), i, h)
    {
        if (strcmp(json_string_value(json_object_get(h, "defined_as")), defined_as) == 0)
            return h;
    }
    return NULL;
}

static const char *field(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static void site_overrides_plugin(void)
{
    const char *dir = make_site("overrides", NULL);
    fr_site *site = open_site(dir);
    fr_error err = {0};
    CHECK(fr_python_started());
    json_t *l = NULL;
    CHECK_OK(fr_python_list(site, &l, &err), &err);
    json_t *h = find_hook(l, "hooky.defaults.welcome");
    CHECK(h && strcmp(field(h, "status"), "off") == 0);
    CHECK(h && strcmp(field(h, "by"), "site.overrides") == 0);
    h = find_hook(l, "hooky.defaults.remind");
    CHECK(h && strcmp(field(h, "status"), "replaced") == 0);
    h = find_hook(l, "site.overrides.remind");
    /* The replacement takes the replaced hook's subscriber name. */
    CHECK(h && strcmp(field(h, "status"), "on") == 0);
    CHECK(h && strcmp(field(h, "name"), "hooky.defaults.remind") == 0);
    h = find_hook(l, "hooky.defaults.ready");
    CHECK(h && strcmp(field(h, "kind"), "guard") == 0 && strcmp(field(h, "status"), "on") == 0);
    CHECK(h && json_integer_value(json_object_get(h, "line")) == 5);
    json_decref(l);

    int64_t c = new_case(site);
    deliver(site);
    CHECK(count(site, "SELECT count(*) FROM case_notes WHERE case_id = ?", c) == 0);
    /* The guard reads the case through filrouge.case and refuses with its
     * own message. */
    CHECK_ERR(fr_workflow_fire(site, c, "submit", NULL, NULL, &err), FR_EREFUSED, &err,
              "the case needs intensity 2 or more before review");
    CHECK_OK(fr_case_set_intensity(site, c, 2, &err), &err);
    CHECK_OK(fr_workflow_fire(site, c, "submit", NULL, NULL, &err), &err);
    deliver(site);
    CHECK(count(site,
                "SELECT count(*) FROM tasks WHERE case_id = ? AND origin = 'hook' AND title ="
                " 'Site reminder: now in review' AND origin_ref = 'site.overrides.remind'",
                c) == 1);
    CHECK(count(site, "SELECT count(*) FROM tasks WHERE case_id = ? AND title LIKE 'Plugin%'", c) ==
          0);
    /* Hooks act under their own name in the audit trail. */
    CHECK(count(site,
                "SELECT count(*) FROM audit WHERE actor = 'hook:site.overrides.remind' AND"
                " object_type = 'task' AND ? > 0",
                1) >= 1);
    fr_site_close(site);
}

/* Disabling a plugin takes its hooks away in the running process, and
 * enabling it brings them back. */
static void plugin_hooks_follow_the_plugin(void)
{
    const char *dir = make_site("follow", NULL);
    fr_site *site = open_site(dir);
    fr_error err = {0};
    json_t *l = NULL;
    CHECK_OK(fr_plugins_disable(site, "hooky", &err), &err);
    CHECK_OK(fr_python_list(site, &l, &err), &err);
    CHECK(find_hook(l, "hooky.defaults.ready") == NULL);
    CHECK(find_hook(l, "site.overrides.approve") != NULL);
    json_decref(l);
    CHECK_OK(fr_plugins_enable(site, "hooky", &err), &err);
    CHECK_OK(fr_python_list(site, &l, &err), &err);
    json_t *h = find_hook(l, "hooky.defaults.ready");
    CHECK(h && strcmp(field(h, "status"), "on") == 0);
    json_decref(l);
    int64_t c = new_case(site);
    CHECK_ERR(fr_workflow_fire(site, c, "submit", NULL, NULL, &err), FR_EREFUSED, &err,
              "intensity 2 or more");
    fr_site_close(site);
}

/* A site guard of the same name as a plugin's replaces it, without
 * replaces=. */
static void site_guard_replaces_plugin_guard(void)
{
    const char *dir = make_site("sameguard", NULL);
    site_hook(dir, "lenient.py",
              "import filrouge\n\n@filrouge.guard(\"hooky-ready\")\ndef ready(call):\n"
              "    return True\n");
    fr_site *site = open_site(dir);
    fr_error err = {0};
    json_t *l = NULL;
    CHECK_OK(fr_python_list(site, &l, &err), &err);
    json_t *h = find_hook(l, "hooky.defaults.ready");
    CHECK(h && strcmp(field(h, "status"), "replaced") == 0);
    CHECK(h && strcmp(field(h, "by"), "site.lenient.ready") == 0);
    json_decref(l);
    int64_t c = new_case(site);
    CHECK_OK(fr_workflow_fire(site, c, "submit", NULL, NULL, &err), &err); /* intensity 1 */
    fr_site_close(site);
}

static void guard_refusals_and_failures(void)
{
    const char *dir = make_site("guards", NULL);
    fr_site *site = open_site(dir);
    fr_error err = {0};
    int64_t c = new_case(site);
    CHECK_OK(fr_case_set_intensity(site, c, 3, &err), &err);
    CHECK_OK(fr_workflow_fire(site, c, "submit", NULL, NULL, &err), &err);
    /* filrouge.Refused: the hook's message, as a refusal. */
    CHECK_ERR(fr_workflow_fire(site, c, "approve", NULL, NULL, &err), FR_EREFUSED, &err,
              "a note saying 'approved' is needed first");
    /* Any other exception: refused, with the hook's name and message; the
     * traceback goes to the log, never to the user. */
    fr_error_clear(&err);
    int rc = fr_workflow_fire(site, c, "crash", NULL, NULL, &err);
    CHECK(rc != 0);
    CHECK(strstr(err.message, "site.overrides.crash") && strstr(err.message, "KeyError"));
    CHECK(!strstr(err.message, "Traceback"));
    const char *log = slurp(log_path(dir));
    CHECK(log && strstr(log, "Traceback") && strstr(log, "overrides.py\", line 29, in crash"));
    /* A hook in `while True: pass` is interrupted at its deadline, and the
     * platform goes on. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fr_error_clear(&err);
    rc = fr_workflow_fire(site, c, "spin", NULL, NULL, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(rc != 0);
    CHECK(strstr(err.message, "interrupted") && strstr(err.message, "250 ms"));
    double took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (took > 5)
        fprintf(stderr, "note: the interrupted hook took %.2f s\n", took);
    CHECK(count(site, "SELECT count(*) FROM cases WHERE id = ? AND state = 'review'", c) == 1);
    CHECK_OK(fr_case_add_note(site, c, "approved by the team", "person", NULL, NULL, &err), &err);
    CHECK_OK(fr_workflow_fire(site, c, "approve", NULL, NULL, &err), &err);
    CHECK(count(site, "SELECT count(*) FROM cases WHERE id = ? AND state = 'done'", c) == 1);
    fr_site_close(site);
}

/* What a guard or a validate hook returns is an answer only when it is one
 * of the documented kinds: a tuple (False, "why") is true in Python and
 * would let a case through, False from a validate hook would accept the
 * submission. Both fail like an exception instead. */
static void hook_answers_of_the_wrong_kind_fail(void)
{
    const char *dir = make_site("answers", NULL);
    site_hook(dir, "answers.py",
              "import filrouge\n\n@filrouge.guard(\"hooky-ready\")\ndef ready(call):\n"
              "    return (False, \"not ready\")\n\n"
              "@filrouge.validate(\"wrongform\")\ndef v(values):\n    return False\n");
    fr_site *site = open_site(dir);
    fr_error err = {0};
    int64_t c = new_case(site);
    CHECK_OK(fr_case_set_intensity(site, c, 3, &err), &err);
    fr_error_clear(&err);
    CHECK(fr_workflow_fire(site, c, "submit", NULL, NULL, &err) != 0);
    CHECK(strstr(err.message, "site.answers.ready") && strstr(err.message, "TypeError") &&
          strstr(err.message, "not tuple"));
    CHECK(count(site, "SELECT count(*) FROM cases WHERE id = ? AND state = 'draft'", c) == 1);
    json_t *values = json_object(), *messages = NULL;
    CHECK_OK(fr_python_validate(site, "wrongform", values, &messages, &err), &err);
    json_t *whole = json_object_get(messages, "");
    CHECK(json_array_size(whole) == 1 &&
          strstr(json_string_value(json_array_get(whole, 0)), "returns None to accept") &&
          strstr(json_string_value(json_array_get(whole, 0)), "not bool"));
    json_decref(messages);
    json_decref(values);
    fr_site_close(site);
}

/* Hook files Python would refuse but Py_CompileString would not: a NUL
 * byte (the rest of the file silently dropped), bytes that are not UTF-8
 * in a comment, a folder named like a hook file. */
static void hook_files_that_are_not_source_text(void)
{
    const char *dir = make_site("notsource", NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/hooks/nul.py", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        static const char nul[] = "x = 1\n\0\nraise ValueError('after the NUL')\n";
        fwrite(nul, 1, sizeof nul - 1, f);
        fclose(f);
    }
    site_hook(dir, "latin1.py", "import filrouge\n# caf\xe9\n");
    site_hook(dir, "declared.py", "# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n");
    snprintf(path, sizeof path, "%s/hooks/folder.py", dir);
    CHECK(mkdir(path, 0755) == 0);
    fr_site *site = open_site(dir);
    fr_error err = {0};
    json_t *report = NULL;
    CHECK_ERR(fr_python_check(site, NULL, &report, &err), FR_EINVAL, &err,
              "nul.py:2: the file holds a NUL byte");
    CHECK(strstr(err.message, "latin1.py:2: the byte 0xE9 is not UTF-8"));
    CHECK(strstr(err.message, "folder.py: cannot read the file"));
    CHECK(!strstr(err.message, "declared.py"));
    json_decref(report);
    fr_site_close(site);
}

static void validate_and_compute(void)
{
    const char *dir = make_site("forms", NULL);
    fr_site *site = open_site(dir);
    fr_error err = {0};
    json_t *values = json_pack("{s:i,s:i}", "bathing", 5, "dressing", 2);
    json_t *messages = NULL, *computed = NULL;
    CHECK_OK(fr_python_validate(site, "katz", values, &messages, &err), &err);
    CHECK(messages != NULL);
    json_t *b = json_object_get(messages, "bathing"), *a = json_object_get(messages, "assessor");
    CHECK(json_array_size(b) == 1 &&
          strcmp(json_string_value(json_array_get(b, 0)), "bathing is scored 1 to 4") == 0);
    CHECK(json_array_size(a) == 2);
    json_decref(messages);
    CHECK_OK(fr_python_compute(site, "katz", values, &computed, &err), &err);
    CHECK(json_integer_value(json_object_get(computed, "total")) == 7);
    CHECK(strcmp(field(computed, "band"), "high") == 0);
    json_decref(computed);
    json_decref(values);
    values = json_pack("{s:i,s:s}", "bathing", 1, "assessor", "Dr. Claes");
    CHECK_OK(fr_python_validate(site, "katz", values, &messages, &err), &err);
    CHECK(messages == NULL);
    /* A form without hooks: nothing to say. */
    CHECK_OK(fr_python_validate(site, "other", values, &messages, &err), &err);
    CHECK(messages == NULL);
    CHECK_OK(fr_python_compute(site, "other", values, &computed, &err), &err);
    CHECK(computed == NULL);
    json_decref(values);
    fr_site_close(site);
}

static void fire_waits_for_commit(void)
{
    const char *dir = make_site("fire", NULL);
    fr_site *site = open_site(dir);
    fr_error err = {0};
    int64_t c = new_case(site);
    deliver(site);
    CHECK_OK(fr_case_set_date(site, c, "referral", "2026-11-20", NULL, &err), &err);
    /* The hook runs after the date's commit and asks for "auto"; the
     * request is an event of its own, fired once that event committed. */
    deliver(site);
    deliver(site);
    CHECK(count(site, "SELECT count(*) FROM cases WHERE id = ? AND state = 'done'", c) == 1);
    CHECK(count(site,
                "SELECT count(*) FROM transitions WHERE case_id = ? AND event = 'auto' AND actor"
                " = 'hook:site.overrides.fire_when_dated' AND note = 'dated by referral'",
                c) == 1);
    fr_site_close(site);
}

static void async_failures_are_retried_then_parked(void)
{
    const char *dir = make_site("async", "<setting name=\"bus.max-attempts\">2</setting>"
                                         "<setting name=\"python.deadline-ms\">200</setting>");
    site_hook(dir, "failing.py",
              "import filrouge\n\n@filrouge.on(\"case.intensity-changed\")\n"
              "def fails(ev):\n    raise ValueError(\"the directory is down\")\n\n"
              "@filrouge.on(\"case.intensity-changed\")\n"
              "def spins(ev):\n    while True:\n        pass\n");
    setenv("FILROUGE_NOW", "2026-11-23T10:00:00Z", 1);
    fr_site *site = open_site(dir);
    fr_error err = {0};
    int64_t c = new_case(site);
    CHECK_OK(fr_case_set_intensity(site, c, 2, &err), &err);
    deliver(site);
    CHECK(count(site,
                "SELECT count(*) FROM bus_deliveries WHERE subscriber ="
                " 'python:site.failing.fails' AND status = 'retry' AND last_error LIKE"
                " '%ValueError: the directory is down%' AND ? > 0",
                1) == 1);
    /* An asynchronous hook past its deadline: interrupted, retried. */
    CHECK(count(site,
                "SELECT count(*) FROM bus_deliveries WHERE subscriber ="
                " 'python:site.failing.spins' AND status = 'retry' AND last_error LIKE"
                " '%interrupted%deadline of 200 ms%' AND ? > 0",
                1) == 1);
    setenv("FILROUGE_NOW", "2026-11-23T11:00:00Z", 1);
    deliver(site);
    json_t *failed = NULL;
    CHECK_OK(fr_bus_list(site, "failed", 10, &failed, &err), &err);
    CHECK(json_array_size(failed) == 1); /* one event, its two deliveries failed */
    CHECK(count(site, "SELECT count(*) FROM bus_deliveries WHERE status = 'failed' AND ? > 0", 1) ==
          2);
    json_decref(failed);
    unsetenv("FILROUGE_NOW");
    fr_site_close(site);
}

static void reload_and_check(void)
{
    /* The default deadline: a shorter one could interrupt the quick hooks
     * below on a loaded machine (the deadline is wall-clock time). */
    const char *dir = make_site("reload", "<setting name=\"python.deadline-ms\">250</setting>");
    fr_site *site = open_site(dir);
    fr_error err = {0};
    site_hook(dir, "extra.py",
              "import filrouge\n\n@filrouge.compute(\"extra\")\ndef v(values):\n"
              "    return {\"version\": 1}\n");
    json_t *out = NULL, *values = json_object();
    CHECK_OK(fr_python_compute(site, "extra", values, &out, &err), &err);
    CHECK(out == NULL); /* not loaded yet */
    CHECK_OK(fr_python_reload(site, &err), &err);
    CHECK_OK(fr_python_compute(site, "extra", values, &out, &err), &err);
    CHECK(json_integer_value(json_object_get(out, "version")) == 1);
    json_decref(out);
    site_hook(dir, "extra.py",
              "import filrouge\n\n@filrouge.compute(\"extra\")\ndef v(values):\n"
              "    return {\"version\": 2}\n");
    CHECK_OK(fr_python_reload(site, &err), &err);
    CHECK_OK(fr_python_compute(site, "extra", values, &out, &err), &err);
    CHECK(json_integer_value(json_object_get(out, "version")) == 2);
    json_decref(out);
    /* A broken file: check names file and line; reload keeps the others. */
    site_hook(dir, "broken.py", "import filrouge\n\ndef f(:\n    pass\n");
    site_hook(dir, "early.py", "import filrouge\n\nx = 1\nfilrouge.case(1)\n");
    site_hook(dir, "endless.py", "import filrouge\n\nwhile True:\n    pass\n");
    json_t *report = NULL;
    CHECK_ERR(fr_python_check(site, NULL, &report, &err), FR_EINVAL, &err, "broken.py:3:");
    CHECK(strstr(err.message, "SyntaxError"));
    CHECK(strstr(err.message, "early.py:4: RuntimeError"));
    /* A file that never finishes importing is stopped (8 deadlines). */
    CHECK(strstr(err.message, "endless.py:") && strstr(err.message, "longer than 2000 ms"));
    CHECK(json_array_size(report) == 6);
    json_decref(report);
    CHECK_OK(fr_python_reload(site, &err), &err);
    CHECK_OK(fr_python_compute(site, "extra", values, &out, &err), &err);
    CHECK(json_integer_value(json_object_get(out, "version")) == 2);
    json_decref(out);
    json_t *l = NULL;
    CHECK_OK(fr_python_list(site, &l, &err), &err);
    size_t i;
    json_t *f;
    int problems = 0;
    json_array_foreach(json_object_get(l, "files"), i, f) problems +=
        json_is_string(json_object_get(f, "problem"));
    CHECK(problems == 3);
    json_decref(l);
    json_decref(values);
    fr_site_close(site);
}

/* A file that worked and is then broken (a typo, a failing import) keeps
 * its last good version at the next reload, said as "refused" with the new
 * version's file:line; once fixed, the new version runs and nothing is
 * refused. A file never loaded without a problem has no version to keep. */
static int64_t compute_version(fr_site *site)
{
    fr_error err = {0};
    json_t *out = NULL, *values = json_object();
    CHECK_OK(fr_python_compute(site, "kept", values, &out, &err), &err);
    int64_t v = json_integer_value(json_object_get(out, "version"));
    json_decref(out);
    json_decref(values);
    return v;
}

static void a_broken_file_keeps_its_last_good_version(void)
{
    const char *dir = make_site("lastgood", NULL);
    static const char good[] = "import filrouge\n\n@filrouge.compute(\"kept\")\ndef v(values):\n"
                               "    return {\"version\": %d}\n";
    char text[256];
    snprintf(text, sizeof text, good, 1);
    site_hook(dir, "kept.py", text);
    site_hook(dir, "never.py", "import filrouge\n\ndef f(:\n    pass\n");
    fr_site *site = open_site(dir);
    fr_error err = {0};
    CHECK(compute_version(site) == 1);
    site_hook(dir, "kept.py",
              "import filrouge\n\n@filrouge.compute(\"kept\")\ndef v(values)\n"
              "    return {\"version\": 2}\n");
    CHECK_OK(fr_python_reload(site, &err), &err);
    CHECK(compute_version(site) == 1);
    json_t *refused = fr_python_refused(site);
    CHECK(json_array_size(refused) == 1);
    const char *problem = json_string_value(json_object_get(json_array_get(refused, 0), "problem"));
    CHECK(problem && strstr(problem, "kept.py:4: SyntaxError"));
    json_decref(refused);
    json_t *l = NULL;
    CHECK_OK(fr_python_list(site, &l, &err), &err);
    size_t i;
    json_t *f;
    int kept = 0, off = 0;
    json_array_foreach(json_object_get(l, "files"), i, f)
    {
        kept += json_is_string(json_object_get(f, "refused")) &&
                !json_is_string(json_object_get(f, "problem"));
        off += json_is_string(json_object_get(f, "problem"));
    }
    CHECK(kept == 1 && off == 1); /* never.py: nothing to keep */
    json_decref(l);
    /* Another site opened by this process (a server's other worker) keeps
     * it too. */
    fr_site *other = open_site(dir);
    CHECK(compute_version(other) == 1);
    fr_site_close(other);
    /* An import that fails is refused the same way. */
    site_hook(dir, "kept.py", "import filrouge\nimport no_such_module_zz\n");
    CHECK_OK(fr_python_reload(site, &err), &err);
    CHECK(compute_version(site) == 1);
    snprintf(text, sizeof text, good, 3);
    site_hook(dir, "kept.py", text);
    CHECK_OK(fr_python_reload(site, &err), &err);
    CHECK(compute_version(site) == 3);
    refused = fr_python_refused(site);
    CHECK(json_array_size(refused) == 0);
    json_decref(refused);
    fr_site_close(site);
}

/* A synchronous C subscriber that tries to reload the hooks while the hook
 * that caused its event is still running (WeeChat crashed on exactly
 * this): refused. */
static int reload_rc = 1;

static int reload_from_inside(const fr_event *ev, void *userdata, fr_error *err)
{
    (void)ev;
    fr_error rerr = {0};
    reload_rc = fr_python_reload(userdata, &rerr);
    (void)err;
    return 0;
}

static void no_reload_inside_a_hook(void)
{
    const char *dir = make_site("inside", NULL);
    site_hook(dir, "raise.py",
              "import filrouge\n\n@filrouge.on(\"case.opened\")\ndef up(ev):\n"
              "    filrouge.set_intensity(ev.case_id, 2)\n");
    fr_site *site = open_site(dir);
    fr_error err = {0};
    CHECK_OK(fr_bus_add_subscriber(site, "test", "case.intensity-changed", FR_SYNC, "reload",
                                   reload_from_inside, site, &err),
             &err);
    int64_t c = new_case(site);
    deliver(site);
    CHECK(reload_rc == FR_EREFUSED);
    CHECK(count(site, "SELECT intensity FROM cases WHERE id = ?", c) == 2);
    /* Between calls it works. */
    CHECK_OK(fr_python_reload(site, &err), &err);
    fr_site_close(site);
}

/* scripts/hooks/frailty_alert.py at work: a submission, its score and
 * form.submitted written directly, in the rows the forms part writes (the
 * score beside the submission, not in its values). The fourth one has no
 * score row, as an external result whose total is one of its values. */
static void submit(fr_site *site, int64_t c, int score, int as_value)
{
    fr_error err = {0};
    char data[64];
    snprintf(data, sizeof data, as_value ? "{\"total\":%d}" : "{\"q1\":%d}", score);
    CHECK_OK(fr_store_begin(site->store, &err), &err);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO submissions (case_id, form_id, form_version, status, data,"
                            " submitted_at, actor) VALUES (?, 'efs', '1', 'final', ?,"
                            " '2026-11-23T10:00:00Z', 'marie')",
                            "It", c, data),
             &err);
    if (!as_value)
        CHECK_OK(fr_store_execf(site->store, &err,
                                "INSERT INTO submission_scores (submission_id, case_id, form_id,"
                                " form_version, score, value, band, answered, submitted_at)"
                                " VALUES (?, ?, 'efs', 1, 'total', ?, 'x', 1,"
                                " '2026-11-23T10:00:00Z')",
                                "IIi", fr_store_last_id(site->store), c, score),
                 &err);
    CHECK_OK(fr_bus_publish(site, "form.submitted", c, "{\"form_id\":\"efs\"}", &err), &err);
    CHECK_OK(fr_store_commit(site->store, &err), &err);
    deliver(site);
}

static void example_frailty_alert(void)
{
    const char *dir = make_site("alert", "<setting name=\"frailty-alert.threshold\">8</setting>");
    site_hook(dir, "frailty_alert.py", slurp(test_data("../../scripts/hooks/frailty_alert.py")));
    fr_site *site = open_site(dir);
    fr_error err = {0};
    fr_user_new u = {.login = "marie", .display_name = "Marie", .role = "case_manager"};
    CHECK_OK(fr_user_add(site, &u, NULL, &err), &err);
    u.login = "thomas";
    CHECK_OK(fr_user_add(site, &u, NULL, &err), &err);
    CHECK_OK(fr_team_add(site, "Namur Est", NULL, &err), &err);
    CHECK_OK(fr_team_add_member(site, "Namur Est", "marie", &err), &err);
    CHECK_OK(fr_team_add_member(site, "Namur Est", "thomas", &err), &err);
    fr_patient_new p = {.family_name = "Lambert", .given_names = "Jeanne"};
    int64_t pid = 0, c = 0;
    CHECK_OK(fr_patient_add(site, &p, &pid, &err), &err);
    fr_case_new cn = {.patient_id = pid,
                      .plugin = "hooky",
                      .workflow = "hooky",
                      .manager = "marie",
                      .team = "Namur Est"};
    CHECK_OK(fr_case_open(site, &cn, &c, &err), &err);
    deliver(site);
    const char *alerts = "SELECT count(*) FROM tasks WHERE case_id = ? AND title LIKE"
                         " 'Frailty score % reached the threshold 8%'";
    submit(site, c, 5, 0);
    CHECK(count(site, alerts, c) == 0);
    submit(site, c, 9, 0);
    CHECK(count(site, alerts, c) == 2); /* marie and thomas */
    CHECK(count(site, "SELECT intensity FROM cases WHERE id = ?", c) == 3);
    submit(site, c, 10, 0); /* still above: no new alert */
    CHECK(count(site, alerts, c) == 2);
    submit(site, c, 3, 0);  /* below */
    submit(site, c, 12, 1); /* above again, read from its values */
    CHECK(count(site, alerts, c) == 4);
    fr_site_close(site);
}

/* ---- threads ---- */

typedef struct worker {
    const char *dir;
    int id;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    fr_error err = {0};
    fr_site *site = NULL;
    if (fr_site_open(w->dir, NULL, &site, &err)) {
        w->failures++;
        return NULL;
    }
    json_t *values = json_pack("{s:i,s:i}", "bathing", 2, "dressing", w->id);
    for (int i = 0; i < 300; i++) {
        json_t *out = NULL;
        if (fr_python_compute(site, "katz", values, &out, &err) ||
            json_integer_value(json_object_get(out, "total")) != 2 + w->id)
            w->failures++;
        json_decref(out);
        json_t *msgs = NULL;
        if (fr_python_validate(site, "katz", values, &msgs, &err) || !msgs)
            w->failures++;
        json_decref(msgs);
        /* Now and then a hook that reads the database (GIL released while
         * the kernel works) and one that must be interrupted. */
        if (i % 60 == 0) {
            json_t *r = NULL;
            if (fr_python_compute(site, "reads", values, &r, &err) || !r)
                w->failures++;
            json_decref(r);
        }
        if (w->id == 0 && i == 150) {
            json_t *r = NULL;
            if (fr_python_compute(site, "spins", values, &r, &err) == 0 ||
                !strstr(err.message, "interrupted"))
                w->failures++;
        }
    }
    json_decref(values);
    fr_site_close(site);
    return NULL;
}

static void hooks_from_several_threads(void)
{
    const char *dir = make_site("threads", "<setting name=\"python.deadline-ms\">500</setting>");
    site_hook(dir, "more.py",
              "import filrouge\n\n@filrouge.compute(\"reads\")\ndef reads(values):\n"
              "    return {\"n\": len(filrouge.users())}\n\n"
              "@filrouge.compute(\"spins\")\ndef spins(values):\n    while True:\n        pass\n");
    enum { N = 4 };
    pthread_t t[N];
    worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){dir, i, 0};
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].failures == 0);
    }
}

/* Hooks write for the acting user: filrouge.lang() is their language in a
 * synchronous hook (the site's first language for the system), the site's
 * in an asynchronous one; filrouge.cancel_task cancels with a reason,
 * audited under the hook's name. */
static void language_and_cancelled_tasks(void)
{
    const char *dir = make_site("lang", NULL);
    site_hook(dir, "lang.py",
              "import filrouge\n"
              "@filrouge.validate('langform')\n"
              "def v(values):\n"
              "    return {'x': 'lang=' + filrouge.lang()}\n"
              "@filrouge.on('case.note-added', name='cancel')\n"
              "def c(ev):\n"
              "    for t in filrouge.tasks(ev.case_id):\n"
              "        if t['title'] == 'cancel me':\n"
              "            filrouge.cancel_task(t['id'], 'not needed (' + filrouge.lang() + ')')\n");
    fr_site *site = open_site(dir);
    fr_error err = {0};
    json_t *values = json_object(), *messages = NULL;
    CHECK_OK(fr_python_validate(site, "langform", values, &messages, &err), &err);
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(messages, "x"), 0)), "lang=en") ==
          0);
    json_decref(messages);
    fr_user_new u = {.login = "anke", .display_name = "Anke", .role = "admin", .language = "de"};
    CHECK_OK(fr_user_add(site, &u, NULL, &err), &err);
    CHECK_OK(fr_site_set_actor(site, "anke", &err), &err);
    CHECK_OK(fr_python_validate(site, "langform", values, &messages, &err), &err);
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(messages, "x"), 0)), "lang=de") ==
          0);
    json_decref(messages);
    json_decref(values);
    CHECK_OK(fr_site_set_actor(site, NULL, &err), &err);
    int64_t c = new_case(site), tid = 0, other = 0;
    fr_task_new t = {.case_id = c, .title = "cancel me", .origin = "person"};
    CHECK_OK(fr_task_create(site, &t, &tid, &err), &err);
    t.title = "keep me";
    CHECK_OK(fr_task_create(site, &t, &other, &err), &err);
    CHECK_ERR(fr_task_cancel(site, other, "", &err), FR_EINVAL, &err, "needs a reason");
    CHECK_OK(fr_case_add_note(site, c, "the visit is off", "person", NULL, NULL, &err), &err);
    deliver(site);
    CHECK(count(site, "SELECT count(*) FROM tasks WHERE id = ? AND status = 'cancelled'", tid) == 1);
    CHECK(count(site, "SELECT count(*) FROM tasks WHERE id = ? AND status = 'open'", other) == 1);
    CHECK(count(site,
                "SELECT count(*) FROM audit WHERE object_id = CAST(? AS TEXT) AND action = 'cancel'"
                " AND actor = 'hook:site.lang.cancel' AND detail LIKE '%not needed (en)%'",
                tid) == 1);
    CHECK_ERR(fr_task_cancel(site, tid, "again", &err), FR_ECONFLICT, &err, "no longer open");
    fr_site_close(site);
}

TEST_MAIN({"site_overrides_plugin", site_overrides_plugin},
          {"plugin_hooks_follow_the_plugin", plugin_hooks_follow_the_plugin},
          {"site_guard_replaces_plugin_guard", site_guard_replaces_plugin_guard},
          {"guard_refusals_and_failures", guard_refusals_and_failures},
          {"hook_answers_of_the_wrong_kind_fail", hook_answers_of_the_wrong_kind_fail},
          {"hook_files_that_are_not_source_text", hook_files_that_are_not_source_text},
          {"validate_and_compute", validate_and_compute},
          {"fire_waits_for_commit", fire_waits_for_commit},
          {"async_failures_are_retried_then_parked", async_failures_are_retried_then_parked},
          {"reload_and_check", reload_and_check}, {"example_frailty_alert", example_frailty_alert},
          {"no_reload_inside_a_hook", no_reload_inside_a_hook},
          {"a_broken_file_keeps_its_last_good_version", a_broken_file_keeps_its_last_good_version},
          {"hooks_from_several_threads", hooks_from_several_threads},
          {"language_and_cancelled_tasks", language_and_cancelled_tasks})
