/* A real site for the fuzz targets that need one (api, guard): created once
 * per process in a temporary folder (removed at exit), with the test plugins
 * "forms" (PHQ-9 and the "assess" workflow whose guards read scores) and
 * "gate", an administrator, a case manager "marie", a patient and a case of
 * the "assess" workflow (id 1) with a final PHQ-9 submission (id 1), so that
 * score() and value() find data. Durability is off: a fuzzer writes
 * thousands of times a second and a crash of the target needs no recovery. */
#ifndef FR_FUZZ_FIXTURE_H
#define FR_FUZZ_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "plugin.h"
#include "record.h"
#include "site.h"
#include "store.h"

#ifndef FUZZ_PLUGIN_DIR
#define FUZZ_PLUGIN_DIR "build/tests/plugins"
#endif

static char fixture_dir[256];

static void fixture_remove(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixture_dir);
    if (fixture_dir[0] && system(cmd) != 0)
        fprintf(stderr, "fuzz fixture: could not remove %s\n", fixture_dir);
}

static void fixture_check(int rc, const char *what, const fr_error *err)
{
    if (rc) {
        fprintf(stderr, "fuzz fixture: %s: %s\n", what, err->message);
        abort();
    }
}

static fr_site *fixture_open(void)
{
    fr_error err = {0};
    if (!getenv("FILROUGE_PLUGIN_PATH"))
        setenv("FILROUGE_PLUGIN_PATH", FUZZ_PLUGIN_DIR, 1);
    if (!getenv("FILROUGE_LOG"))
        setenv("FILROUGE_LOG", "/dev/null", 1);
    const char *base = getenv("TEST_TMP_BASE");
    snprintf(fixture_dir, sizeof fixture_dir, "%s/fuzz-site-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(fixture_dir))
        abort();
    atexit(fixture_remove);
    fr_site_init_options o = {.languages = "fr en"};
    fixture_check(fr_site_init(fixture_dir, &o, &err), "init", &err);
    fr_site *site = NULL;
    fixture_check(fr_site_open(fixture_dir, NULL, &site, &err), "open", &err);
    fixture_check(fr_store_execf(site->store, &err, "PRAGMA synchronous = OFF", NULL), "pragma",
                  &err);
    fixture_check(fr_plugins_enable(site, "forms", &err), "enable forms", &err);
    fixture_check(fr_plugins_enable(site, "gate", &err), "enable gate", &err);
    fr_user_new admin = {.login = "admin", .display_name = "Admin", .role = "admin"};
    fr_user_new marie = {
        .login = "marie", .display_name = "Marie", .role = "case_manager", .capacity = 40};
    fixture_check(fr_user_add(site, &admin, NULL, &err), "admin", &err);
    fixture_check(fr_user_add(site, &marie, NULL, &err), "marie", &err);
    fixture_check(fr_site_set_actor(site, "marie", &err), "actor", &err);
    fr_patient_new p = {.family_name = "Peeters", .given_names = "Maria",
                        .birth_date = "1940-05-02"};
    int64_t patient = 0, case_id = 0, sub = 0;
    fixture_check(fr_patient_add(site, &p, &patient, &err), "patient", &err);
    fr_case_new c = {.patient_id = patient, .workflow = "assess", .manager = "marie"};
    fixture_check(fr_case_open(site, &c, &case_id, &err), "case", &err);
    static const char answers[] = "{\"q1\":\"2\",\"q2\":\"1\",\"q3\":\"0\",\"q4\":\"3\","
                                  "\"q5\":\"1\",\"q6\":\"0\",\"q7\":\"2\",\"q8\":\"1\","
                                  "\"q9\":\"1\"}";
    fr_submit s = {.form_id = "phq9", .case_id = case_id, .data = answers, .len = strlen(answers)};
    json_t *problems = NULL;
    int rc = fr_form_submit(site, &s, &sub, &problems, &err);
    if (rc && problems) {
        char *text = json_dumps(problems, 0);
        fprintf(stderr, "fuzz fixture: %s\n", text ? text : "");
        free(text);
    }
    json_decref(problems);
    fixture_check(rc, "submission", &err);
    fixture_check(fr_site_set_actor(site, NULL, &err), "actor", &err);
    return site;
}

#endif
