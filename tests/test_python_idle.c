/* A site without hooks pays nothing: opening it, with or without plugins,
 * and using the Python entry points never starts the interpreter. In its
 * own executable, since the interpreter, once started, stays for the
 * process (test_python.c starts it). */
#include <Python.h>

#include "plugin.h"
#include "python.h"
#include "site.h"
#include "test.h"

static void no_hooks_no_python(void)
{
    fr_error err = {0};
    const char *dir = test_path("idle");
    CHECK_OK(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err), &err);
    /* Helpers ("_x.py") and other files are not hooks. */
    char path[4200];
    snprintf(path, sizeof path, "%s/hooks/_helper.py", dir);
    test_write_file(path, "import filrouge\n");
    snprintf(path, sizeof path, "%s/hooks/README.txt", dir);
    test_write_file(path, "hooks go here\n");
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    CHECK(site && site->python == NULL);
    /* instruments: forms and no hooks (frailty now ships Python hooks) */
    CHECK_OK(fr_plugins_enable(site, "instruments", &err), &err);
    json_t *values = json_object(), *out = NULL;
    CHECK_OK(fr_python_validate(site, "phq9", values, &out, &err), &err);
    CHECK(out == NULL);
    CHECK_OK(fr_python_compute(site, "phq9", values, &out, &err), &err);
    CHECK(out == NULL);
    json_decref(values);
    fr_site_close(site);
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    CHECK(site && site->python == NULL);
    fr_site_close(site);
    CHECK(!fr_python_started());
    CHECK(!Py_IsInitialized());
}

TEST_MAIN({"no_hooks_no_python", no_hooks_no_python})
