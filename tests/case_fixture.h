/* Fixtures shared by the workflow and task tests: a fresh site, users,
 * patients and cases written directly into the database (the record part
 * has its own tests), and small queries. */
#ifndef FR_TEST_CASE_FIXTURE_H
#define FR_TEST_CASE_FIXTURE_H

#include <inttypes.h>

#include "site.h"
#include "store.h"
#include "test.h"
#include "workflow.h"

/* A new site in the test folder, opened as "system". */
static inline fr_site *fixture_site(const char *name)
{
    fr_error err = {0};
    const char *dir = test_path(name);
    fr_site_init_options o = {.languages = "fr en", .database = test_site_database()};
    CHECK_OK(fr_site_init(dir, &o, &err), &err);
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (!site) {
        fprintf(stderr, "cannot open the test site: %s\n", err.message);
        exit(99);
    }
    return site;
}

static inline int64_t fixture_user(fr_site *site, const char *login, const char *role)
{
    fr_error err = {0};
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO users (login, display_name, role, created_at)"
                            " VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
                            "ttt", login, login, role),
             &err);
    return fr_store_last_id(site->store);
}

/* Loads a fixture workflow from tests/data/workflows and adds it. */
static inline void fixture_workflow(fr_site *site, const char *file)
{
    fr_error err = {0};
    fr_workflow *wf = NULL;
    CHECK_OK(fr_workflow_load_file(test_data(file), &wf, &err), &err);
    if (wf)
        CHECK_OK(fr_workflows_add(site, "test-plugin", wf, &err), &err);
}

/* A patient and an open case under (workflow, version), started on
 * `opened_on`; manager 0 = none. */
static inline int64_t fixture_case(fr_site *site, const char *workflow, int version,
                                   int64_t manager, const char *opened_on)
{
    fr_error err = {0};
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO patients (family_name, given_names, birth_date, sex,"
                            " created_at, updated_at) VALUES ('Peeters', 'Maria', '1940-05-02',"
                            " 'female', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                            NULL),
             &err);
    int64_t patient = fr_store_last_id(site->store);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO cases (patient_id, plugin, workflow_id, workflow_version,"
                            " state, case_manager_id, opened_on, state_since, created_at,"
                            " updated_at) VALUES (?, 'test-plugin', ?, ?, '', nullif(?, 0), ?, ?,"
                            " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                            "ItiItt", patient, workflow, version, manager, opened_on, opened_on),
             &err);
    int64_t id = fr_store_last_id(site->store);
    CHECK_OK(fr_store_begin(site->store, &err), &err);
    CHECK_OK(fr_workflow_start(site, id, opened_on, &err), &err);
    CHECK_OK(fr_store_commit(site->store, &err), &err);
    return id;
}

/* The first column of the first row as an integer (-1 when no row). */
static inline int64_t fixture_int(fr_site *site, const char *sql, int64_t arg)
{
    fr_error err = {0};
    int64_t v = -1;
    int rc = fr_store_query_int(site->store, &err, &v, sql, "I", arg);
    if (rc && rc != FR_ENOTFOUND)
        CHECK_OK(rc, &err);
    return v;
}

/* The same as text, in a static buffer ("(null)" for NULL, "" when no row). */
static inline const char *fixture_text(fr_site *site, const char *sql, int64_t arg)
{
    static char buf[4][512];
    static int next;
    char *out = buf[next++ % 4];
    fr_error err = {0};
    char *v = NULL;
    int rc = fr_store_query_text(site->store, &err, &v, sql, "I", arg);
    if (rc && rc != FR_ENOTFOUND)
        CHECK_OK(rc, &err);
    snprintf(out, 512, "%s", rc ? "" : v ? v : "(null)");
    free(v);
    return out;
}

#endif
