/* Plugins, with the test plugins of tests/plugins/ (found through
 * $FILROUGE_PLUGIN_PATH): enabling (migrations, audit, subscribers, a
 * veto), disabling (registrations gone, data kept, events waiting),
 * dependencies refused or reported (missing, not enabled, version, cycle,
 * a broken dependency), ABI refusals naming both versions, a manifest that
 * is not XML, a failing init, a database with a newer plugin schema, the
 * search path order, today as a plugin asks for it (fr_plugin_today), and
 * `plugin check` on good and bad folders including a library that crashes
 * while loading. */
#include <inttypes.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "plugin.h"
#include "site.h"
#include "store.h"
#include "test.h"

#define T0 "2026-11-23T10:00:00Z"

static const char *new_site_dir(const char *name, const char *extra)
{
    fr_error err = {0};
    const char *dir = test_path(name);
    CHECK_OK(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err), &err);
    char path[4200], text[4096];
    snprintf(path, sizeof path, "%s/site.xml", dir);
    snprintf(text, sizeof text,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<site xmlns=\"urn:filrouge:site:1\">\n  <name>%s</name>\n"
             "  <languages>en fr</languages>\n  <database>%s</database>\n"
             "  %s\n</site>\n",
             name, test_site_db_xml(dir), extra ? extra : "");
    test_write_file(path, text);
    return dir;
}

static fr_site *open_site(const char *dir)
{
    fr_error err = {0};
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    return site;
}

/* Writes straight into the database of a closed site: plugins "enabled
 * earlier", or a schema version from the future. */
static void db_exec(const char *dir, const char *sql)
{
    fr_error err = {0};
    fr_store *s = NULL;
    CHECK_OK(fr_store_open(test_site_db(dir), NULL, &s, &err), &err);
    if (s)
        CHECK_OK(fr_store_exec(s, sql, &err), &err);
    fr_store_close(s);
}

static int has_table(fr_site *site, const char *name)
{
    fr_error err = {0};
    int exists = 0;
    CHECK_OK(fr_store_has_table(site->store, name, &exists, &err), &err);
    return exists;
}

static void enable_in_db(const char *dir, const char *id)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO plugins (id, enabled, version, changed_at, changed_by) VALUES ('%s', 1, "
             "'1.0.0', '2026-01-01T00:00:00Z', 'test')",
             id);
    db_exec(dir, sql);
}

static int64_t count(fr_site *site, const char *sql)
{
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_query_int(site->store, &err, &n, sql, NULL), &err);
    return n;
}

static int publish(fr_site *site, const char *topic, int64_t case_id, const char *payload,
                   fr_error *err)
{
    int rc = fr_store_begin(site->store, err);
    if (rc)
        return rc;
    rc = fr_bus_publish(site, topic, case_id, payload, err);
    if (!rc)
        return fr_store_commit(site->store, err);
    fr_store_rollback(site->store);
    return rc;
}

static const char *problem_of(fr_site *site, const char *id)
{
    const fr_plugin_info *i = fr_plugins_find(site, id);
    return i && i->problem ? i->problem : "";
}

static void read_log(fr_site *site, char *buf, size_t size)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/filrouge.log", site->dir);
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static const char *plugin_dir(const char *id)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", TEST_PLUGIN_DIR, id);
    return path;
}

static void enabling_echo_loads_migrates_and_audits(void)
{
    const char *dir = new_site_dir("enable", NULL);
    fr_site *site = open_site(dir);
    if (!site)
        return;
    fr_error err = {0};
    const fr_plugin_info *i = fr_plugins_find(site, "echo");
    CHECK(i && !i->enabled && !i->loaded && i->has_library && !i->problem);
    if (i) {
        CHECK_STR(i->version, "1.2.0");
        CHECK(i->description && strncmp(i->description, "Test plugin", 11) == 0);
    }
    CHECK_OK(fr_plugins_enable(site, "echo", &err), &err);
    i = fr_plugins_find(site, "echo");
    CHECK(i && i->enabled && i->loaded && !i->problem);
    int version = 0;
    CHECK_OK(fr_store_schema_version(site->store, "echo", &version, &err), &err);
    CHECK(version == 2); /* one from the manifest, one registered by init */
    CHECK(has_table(site, "echo_deliveries"));
    CHECK(count(site, "SELECT count(*) FROM plugins WHERE id = 'echo' AND enabled = 1 AND "
                      "version = '1.2.0' AND changed_by = 'system'") == 1);
    CHECK(count(site, "SELECT count(*) FROM audit WHERE action = 'enable' AND object_type = "
                      "'plugin' AND object_id = 'echo'") == 1);
    /* Enabling twice changes nothing. */
    CHECK_OK(fr_plugins_enable(site, "echo", &err), &err);
    CHECK(count(site, "SELECT count(*) FROM audit WHERE action = 'enable'") == 1);

    /* Its synchronous subscriber vetoes; the message reaches the caller. */
    CHECK_ERR(publish(site, "case.opened", 4, "{\"veto\": true}", &err), FR_EVETO, &err,
              "refused by echo:veto: echo refuses case.opened");
    CHECK(count(site, "SELECT count(*) FROM outbox") == 0);
    CHECK_OK(publish(site, "case.opened", 4, "{\"veto\": false}", &err), &err);
    /* Its loop subscriber hits the nesting limit. */
    CHECK_ERR(publish(site, "loop.start", 0, NULL, &err), FR_EVETO, &err, "levels deep");

    /* Its asynchronous subscriber writes its own table and emits. */
    fr_bus_stats st;
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(st.delivered == 1);
    CHECK(count(site, "SELECT count(*) FROM echo_deliveries WHERE case_id = 4 AND calls = 1") == 1);
    CHECK(count(site, "SELECT count(*) FROM outbox WHERE topic = 'echo.recorded'") == 1);

    /* Reopened: loaded again from the table, nothing migrated twice. */
    fr_site_close(site);
    site = open_site(dir);
    if (!site)
        return;
    i = fr_plugins_find(site, "echo");
    CHECK(i && i->enabled && i->loaded);
    CHECK(count(site, "SELECT count(*) FROM schema_migrations WHERE owner = 'echo'") == 2);
    char log[16384];
    read_log(site, log, sizeof log);
    CHECK(strstr(log, "[echo] echo started") != NULL);
    fr_site_close(site);
}

static void disabling_removes_registrations_and_keeps_data(void)
{
    fr_site *site = open_site(new_site_dir("disable", NULL));
    if (!site)
        return;
    fr_error err = {0};
    CHECK_OK(fr_plugins_enable(site, "echo", &err), &err);
    CHECK_OK(publish(site, "case.opened", 1, NULL, &err), &err);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(count(site, "SELECT count(*) FROM echo_deliveries") == 1);

    /* Refused while another enabled plugin requires it. */
    CHECK_OK(fr_plugins_enable(site, "xmlonly", &err), &err);
    CHECK_ERR(fr_plugins_disable(site, "echo", &err), FR_EREFUSED, &err, "required by xmlonly");
    CHECK(strstr(err.message, "disable xmlonly first") != NULL);
    CHECK_OK(fr_plugins_disable(site, "xmlonly", &err), &err);

    CHECK_OK(fr_plugins_disable(site, "echo", &err), &err);
    const fr_plugin_info *i = fr_plugins_find(site, "echo");
    CHECK(i && !i->enabled && !i->loaded);
    CHECK(count(site, "SELECT count(*) FROM plugins WHERE id = 'echo' AND enabled = 0") == 1);
    CHECK(count(site, "SELECT count(*) FROM audit WHERE action = 'disable' AND object_id = "
                      "'echo'") == 1);
    CHECK_ERR(fr_plugins_disable(site, "echo", &err), FR_ECONFLICT, &err, "not enabled");
    /* No veto any more; its events wait for it; its data stays. */
    CHECK_OK(publish(site, "case.closed", 1, "{\"veto\":true}", &err), &err);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(count(site, "SELECT count(*) FROM echo_deliveries") == 1);

    CHECK_OK(fr_plugins_enable(site, "echo", &err), &err);
    CHECK_OK(fr_bus_deliver(site, NULL, &err), &err);
    CHECK(count(site, "SELECT count(*) FROM echo_deliveries WHERE topic = 'case.closed'") == 1);
    CHECK(count(site, "SELECT count(*) FROM schema_migrations WHERE owner = 'echo'") == 2);
    CHECK_ERR(publish(site, "case.opened", 1, "{\"veto\":true}", &err), FR_EVETO, &err, "echo");
    fr_site_close(site);
}

static void enabling_checks_dependencies_first(void)
{
    fr_site *site = open_site(new_site_dir("deps", NULL));
    if (!site)
        return;
    fr_error err = {0};
    CHECK_ERR(fr_plugins_enable(site, "xmlonly", &err), FR_EREFUSED, &err, "enable echo first");
    CHECK(count(site, "SELECT count(*) FROM plugins") == 0);
    CHECK_ERR(fr_plugins_enable(site, "needs-missing", &err), FR_EREFUSED, &err,
              "'nonexistent', which is not installed");
    CHECK_ERR(fr_plugins_enable(site, "nope", &err), FR_ENOTFOUND, &err, "no plugin 'nope'");
    CHECK_ERR(fr_plugins_enable(site, "brokenxml", &err), FR_EINVAL, &err, "brokenxml/plugin.xml:");
    CHECK_ERR(fr_plugins_enable(site, "cycle-a", &err), FR_EREFUSED, &err, "enable cycle-b first");

    CHECK_OK(fr_plugins_enable(site, "echo", &err), &err);
    CHECK_ERR(fr_plugins_enable(site, "needs-new", &err), FR_EVERSION, &err,
              "version 9.0 or newer");
    CHECK(strstr(err.message, "echo 1.2.0 is installed") != NULL);
    CHECK_OK(fr_plugins_enable(site, "xmlonly", &err), &err);
    const fr_plugin_info *i = fr_plugins_find(site, "xmlonly");
    CHECK(i && i->loaded && !i->has_library);
    CHECK(has_table(site, "xmlonly_notes"));
    fr_site_close(site);
}

static void a_library_from_another_abi_is_refused(void)
{
    const char *dir = new_site_dir("abi", NULL);
    fr_site *site = open_site(dir);
    if (!site)
        return;
    fr_error err = {0};
    CHECK_ERR(fr_plugins_enable(site, "badabi", &err), FR_EVERSION, &err,
              "plugin badabi was built for ABI 999, this Filrouge provides ABI 1: rebuild it "
              "against Filrouge " FR_VERSION_STRING);
    CHECK(count(site, "SELECT count(*) FROM plugins") == 0);
    CHECK(strstr(problem_of(site, "badabi"), "ABI 999") != NULL);
    fr_site_close(site);

    /* Enabled by an older Filrouge: reported, the rest loads. */
    enable_in_db(dir, "badabi");
    enable_in_db(dir, "echo");
    site = open_site(dir);
    if (!site)
        return;
    CHECK(strstr(problem_of(site, "badabi"), "ABI 999") != NULL);
    CHECK(!fr_plugins_find(site, "badabi")->loaded);
    CHECK(fr_plugins_find(site, "echo")->loaded);
    fr_site_close(site);
}

static void problems_at_open_are_reported_and_the_rest_loads(void)
{
    const char *dir = new_site_dir("problems", NULL);
    /* A plugin of the site's own folder, requiring a plugin in a cycle. */
    char path[4200];
    snprintf(path, sizeof path, "%s/plugins/needs-cycle/plugin.xml", dir);
    test_write_file(path, "<?xml version=\"1.0\"?>\n"
                          "<plugin xmlns=\"urn:filrouge:plugin:1\" id=\"needs-cycle\" "
                          "version=\"1.0\" abi=\"1\">\n"
                          "  <requires plugin=\"cycle-a\"/>\n</plugin>\n");
    const char *ids[] = {"echo",      "xmlonly",   "needs-missing", "cycle-a", "cycle-b",
                         "needs-new", "crashinit", "brokenxml",     "ghost",   "needs-cycle"};
    for (size_t k = 0; k < sizeof ids / sizeof *ids; k++)
        enable_in_db(dir, ids[k]);
    fr_site *site = open_site(dir);
    if (!site)
        return;
    fr_error err = {0};
    CHECK(fr_plugins_find(site, "echo")->loaded);
    CHECK(fr_plugins_find(site, "xmlonly")->loaded); /* after echo, which it requires */
    CHECK(strstr(problem_of(site, "needs-missing"),
                 "requires plugin 'nonexistent', which is not installed") != NULL);
    CHECK(strstr(problem_of(site, "cycle-a"), "cycle (cycle-a -> cycle-b -> cycle-a)") != NULL);
    CHECK(strstr(problem_of(site, "cycle-b"), "cycle (cycle-a -> cycle-b -> cycle-a)") != NULL);
    CHECK(strstr(problem_of(site, "needs-cycle"), "'cycle-a', which cannot be loaded") != NULL);
    CHECK(strstr(problem_of(site, "needs-new"), "version 9.0 or newer, but echo 1.2.0") != NULL);
    CHECK(strstr(problem_of(site, "crashinit"),
                 "init failed): crashinit cannot start: the setting 'endpoint' is missing") !=
          NULL);
    CHECK(strstr(problem_of(site, "brokenxml"), "brokenxml/plugin.xml:5:") != NULL);
    CHECK(strstr(problem_of(site, "ghost"), "not found in the plugin search path") != NULL);
    for (size_t k = 2; k < sizeof ids / sizeof *ids; k++)
        CHECK(!fr_plugins_find(site, ids[k])->loaded);

    const fr_plugin_info *list;
    int n = 0;
    CHECK_OK(fr_plugins_list(site, &list, &n), &err);
    int enabled = 0, found_crashload = 0;
    for (int k = 0; k < n; k++) {
        enabled += list[k].enabled;
        found_crashload |= strcmp(list[k].id, "crashload") == 0 && !list[k].enabled;
    }
    CHECK(enabled == 10 && found_crashload);

    /* crashinit's subscriber, registered before its init failed, is gone. */
    CHECK_OK(publish(site, "case.opened", 1, NULL, &err), &err);
    char log[16384];
    read_log(site, log, sizeof log);
    CHECK(strstr(log, "[needs-missing] not loaded: ") != NULL);
    CHECK(strstr(log, "[crashinit] not loaded: ") != NULL);
    fr_site_close(site);
}

static void a_newer_plugin_schema_is_a_problem(void)
{
    const char *dir = new_site_dir("newer", NULL);
    fr_site *site = open_site(dir);
    if (!site)
        return;
    fr_error err = {0};
    CHECK_OK(fr_plugins_enable(site, "echo", &err), &err);
    fr_site_close(site);
    db_exec(dir, "INSERT INTO schema_migrations VALUES ('echo', 99, 'future.sql', "
                 "'2030-01-01T00:00:00Z')");
    site = open_site(dir);
    if (!site)
        return;
    CHECK(!fr_plugins_find(site, "echo")->loaded);
    CHECK(strstr(problem_of(site, "echo"), "newer version of plugin echo") != NULL);
    /* What to do is about the plugin, not about Filrouge. */
    CHECK(strstr(problem_of(site, "echo"), "Install the version of plugin echo") != NULL);
    /* Nothing of echo runs: no veto. */
    CHECK_OK(publish(site, "case.opened", 1, "{\"veto\":true}", &err), &err);
    fr_site_close(site);
}

static void the_site_folder_comes_first_in_the_search_path(void)
{
    const char *dir = new_site_dir("searchpath", NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/plugins/xmlonly/plugin.xml", dir);
    test_write_file(path, "<?xml version=\"1.0\"?>\n"
                          "<plugin xmlns=\"urn:filrouge:plugin:1\" id=\"xmlonly\" "
                          "version=\"1.5\" abi=\"1\"/>\n");
    fr_site *site = open_site(dir);
    if (!site)
        return;
    char **dirs = NULL;
    int n = 0;
    CHECK_OK(fr_plugins_search_path(site, &dirs, &n), &(fr_error){0});
    CHECK(n >= 2);
    if (n >= 2) {
        CHECK(strstr(dirs[0], "searchpath/plugins") != NULL);
        int has_test_dir = 0;
        for (int k = 0; k < n; k++)
            has_test_dir |= strcmp(dirs[k], TEST_PLUGIN_DIR) == 0;
        CHECK(has_test_dir);
    }
    fr_plugins_search_path_free(dirs, n);
    const fr_plugin_info *i = fr_plugins_find(site, "xmlonly");
    CHECK(i && strcmp(i->version, "1.5") == 0 && strstr(i->dir, "searchpath/plugins"));
    fr_site_close(site);
}

static void echo_is_delivered_again_after_failing(void)
{
    setenv("FILROUGE_NOW", T0, 1);
    fr_site *site =
        open_site(new_site_dir("echofail", "<plugin id=\"echo\"><setting name=\"fail-first\">1"
                                           "</setting></plugin>"));
    if (!site) {
        unsetenv("FILROUGE_NOW");
        return;
    }
    fr_error err = {0};
    CHECK_OK(fr_plugins_enable(site, "echo", &err), &err);
    CHECK_OK(publish(site, "case.opened", 2, NULL, &err), &err);
    fr_bus_stats st;
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(st.retried == 1);
    CHECK(count(site, "SELECT count(*) FROM bus_deliveries WHERE subscriber = 'echo:record' AND "
                      "status = 'retry' AND last_error LIKE '%told to fail%'") == 1);
    setenv("FILROUGE_NOW", "2026-11-23T10:00:02Z", 1);
    CHECK_OK(fr_bus_deliver(site, &st, &err), &err);
    CHECK(st.delivered == 1);
    /* The same event twice, one row: the key makes the subscriber idempotent. */
    CHECK(count(site, "SELECT calls FROM echo_deliveries") == 2);
    CHECK(count(site, "SELECT count(*) FROM outbox WHERE topic = 'echo.recorded'") == 1);
    fr_site_close(site);
    unsetenv("FILROUGE_NOW");
}

/* The veto of echo's echo.today subscriber, which refuses with what
 * fr_plugin_today told it. */
static const char *today_seen(fr_site *site, fr_error *err)
{
    CHECK(publish(site, "echo.today", 0, NULL, err) == FR_EVETO);
    const char *m = strstr(err->message, "refused by echo:today: ");
    return m ? m + strlen("refused by echo:today: ") : err->message;
}

/* A plugin asks the kernel for today (fr_plugin_today): the day
 * FILROUGE_NOW fixes, as a date or a time, with its weekday; without it,
 * the date in the site's zone (clock.time-zone, Europe/Brussels by
 * default); a FILROUGE_NOW that is no date is refused, saying what to
 * write, rather than handed on. */
static void a_plugin_asks_the_kernel_for_today(void)
{
    fr_site *site = open_site(new_site_dir("today", NULL));
    if (!site)
        return;
    fr_error err = {0};
    CHECK_OK(fr_plugins_enable(site, "echo", &err), &err);

    setenv("FILROUGE_NOW", "2026-11-22", 1);
    CHECK_STR(today_seen(site, &err), "today is 2026-11-22, weekday 0");
    setenv("FILROUGE_NOW", "2026-11-23T10:00:00Z", 1);
    CHECK_STR(today_seen(site, &err), "today is 2026-11-23, weekday 1");
    /* The site's day: late in the evening in UTC is already the next day
     * in Brussels. */
    setenv("FILROUGE_NOW", "2024-02-29T23:59:59Z", 1);
    CHECK_STR(today_seen(site, &err), "today is 2024-03-01, weekday 5");
    setenv("FILROUGE_NOW", "2024-02-29T22:59:59Z", 1);
    CHECK_STR(today_seen(site, &err), "today is 2024-02-29, weekday 4");
    setenv("FILROUGE_NOW", "2026-12-31T00:00:00Z", 1);
    CHECK_STR(today_seen(site, &err), "today is 2026-12-31, weekday 4");

    setenv("FILROUGE_NOW", "tomorrow", 1);
    CHECK_STR(today_seen(site, &err),
              "plugin echo: FILROUGE_NOW is 'tomorrow', which does not begin with a date: unset "
              "it, or write it like 2026-11-23 or 2026-11-23T10:00:00Z");
    setenv("FILROUGE_NOW", "2026-02-30", 1);
    CHECK(strstr(today_seen(site, &err), "FILROUGE_NOW is '2026-02-30'") != NULL);
    CHECK(count(site, "SELECT count(*) FROM outbox WHERE topic = 'echo.today'") == 0);

    /* Without FILROUGE_NOW, the real date in the site's zone (read before
     * and after the call, in case midnight passes in between). */
    unsetenv("FILROUGE_NOW");
    char expect[2][64];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(expect[0], sizeof expect[0], "today is %Y-%m-%d, weekday %w", &tm);
    const char *seen = today_seen(site, &err);
    t = time(NULL);
    localtime_r(&t, &tm);
    strftime(expect[1], sizeof expect[1], "today is %Y-%m-%d, weekday %w", &tm);
    if (strcmp(seen, expect[1]) != 0)
        CHECK_STR(seen, expect[0]);
    fr_site_close(site);
}

static void a_site_opened_without_plugins_can_enable_and_disable(void)
{
    const char *dir = new_site_dir("noplugins", NULL);
    enable_in_db(dir, "echo");
    enable_in_db(dir, "crashinit");
    fr_error err = {0};
    fr_site *site = NULL;
    fr_site_open_options o = {.no_plugins = 1};
    CHECK_OK(fr_site_open(dir, &o, &site, &err), &err);
    if (!site)
        return;
    const fr_plugin_info *i = fr_plugins_find(site, "crashinit");
    CHECK(i && i->enabled && !i->loaded && !i->problem);
    /* The repair a broken plugin needs: disable it without loading it. */
    CHECK_OK(fr_plugins_disable(site, "crashinit", &err), &err);
    /* echo is enabled on the site, which is enough for xmlonly here. */
    CHECK_OK(fr_plugins_enable(site, "xmlonly", &err), &err);
    CHECK(count(site, "SELECT count(*) FROM plugins WHERE enabled = 1") == 2);
    fr_site_close(site);
    site = open_site(dir);
    if (!site)
        return;
    CHECK(fr_plugins_find(site, "echo")->loaded && fr_plugins_find(site, "xmlonly")->loaded);
    CHECK(!fr_plugins_find(site, "crashinit")->enabled);
    fr_site_close(site);
}

static void checking_plugin_folders(void)
{
    fr_error err = {0};
    CHECK_OK(fr_plugin_check_dir(plugin_dir("echo"), &err), &err);
    CHECK_OK(fr_plugin_check_dir(plugin_dir("xmlonly"), &err), &err);
    CHECK_OK(fr_plugin_check_dir(plugin_dir("crashinit"), &err), &err);
    CHECK_ERR(fr_plugin_check_dir(plugin_dir("badabi"), &err), FR_EINVAL, &err,
              "built for ABI 999, this Filrouge provides ABI 1");
    CHECK_ERR(fr_plugin_check_dir(plugin_dir("brokenxml"), &err), FR_EINVAL, &err,
              "brokenxml/plugin.xml:5:");
    CHECK_ERR(fr_plugin_check_dir(plugin_dir("crashload"), &err), FR_EINVAL, &err,
              "the library crashed while loading (signal 6)");

    /* A manifest declaring another encoding than UTF-8, as forms. */
    const char *latin = test_path("check-latin1");
    char manifest[4200];
    snprintf(manifest, sizeof manifest, "%s/plugin.xml", latin);
    test_write_file(manifest, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                              "<plugin xmlns=\"urn:filrouge:plugin:1\" id=\"latin\" "
                              "version=\"1.0\" abi=\"1\">\n  <description lang=\"fr\">"
                              "Donn\xe9"
                              "es</description>\n</plugin>\n");
    CHECK_ERR(fr_plugin_check_dir(latin, &err), FR_EINVAL, &err,
              "check-latin1/plugin.xml:1: the XML declaration names the encoding ISO-8859-1: "
              "only UTF-8 is accepted");

    /* A manifest whose id differs from the library's, and one naming a
     * library that is not there: both reported at once. */
    const char *dir = test_path("check-mismatch");
    char path[4200], lib[4200];
    snprintf(path, sizeof path, "%s/plugin.xml", dir);
    test_write_file(path, "<?xml version=\"1.0\"?>\n"
                          "<plugin xmlns=\"urn:filrouge:plugin:1\" id=\"other\" version=\"1.0\" "
                          "abi=\"2\">\n  <library name=\"echo\"/>\n"
                          "  <migration version=\"1\" file=\"missing.sql\"/>\n</plugin>\n");
    snprintf(lib, sizeof lib, "%s/libecho.so", dir);
    char target[4200];
    snprintf(target, sizeof target, "%s/libecho.so", plugin_dir("echo"));
    CHECK(symlink(target, lib) == 0);
    CHECK_ERR(fr_plugin_check_dir(dir, &err), FR_EINVAL, &err,
              "declares the plugin id 'echo' but its manifest says 'other'");
    CHECK(strstr(err.message, "built for ABI 2") != NULL);
    CHECK(strstr(err.message, "missing.sql: the migration file cannot be read") != NULL);

    dir = test_path("check-nolib");
    snprintf(path, sizeof path, "%s/plugin.xml", dir);
    test_write_file(path, "<?xml version=\"1.0\"?>\n"
                          "<plugin xmlns=\"urn:filrouge:plugin:1\" id=\"nolib\" version=\"1.0\" "
                          "abi=\"1\">\n  <library name=\"nolib\"/>\n</plugin>\n");
    CHECK_ERR(fr_plugin_check_dir(dir, &err), FR_EINVAL, &err, "libnolib.so: the library named");
    CHECK_ERR(fr_plugin_check_dir(test_path("no-such-folder"), &err), FR_EINVAL, &err,
              "cannot be read");
}

TEST_MAIN({"enabling_echo_loads_migrates_and_audits", enabling_echo_loads_migrates_and_audits},
          {"disabling_removes_registrations_and_keeps_data",
           disabling_removes_registrations_and_keeps_data},
          {"enabling_checks_dependencies_first", enabling_checks_dependencies_first},
          {"a_library_from_another_abi_is_refused", a_library_from_another_abi_is_refused},
          {"problems_at_open_are_reported_and_the_rest_loads",
           problems_at_open_are_reported_and_the_rest_loads},
          {"a_newer_plugin_schema_is_a_problem", a_newer_plugin_schema_is_a_problem},
          {"the_site_folder_comes_first_in_the_search_path",
           the_site_folder_comes_first_in_the_search_path},
          {"echo_is_delivered_again_after_failing", echo_is_delivered_again_after_failing},
          {"a_plugin_asks_the_kernel_for_today", a_plugin_asks_the_kernel_for_today},
          {"a_site_opened_without_plugins_can_enable_and_disable",
           a_site_opened_without_plugins_can_enable_and_disable},
          {"checking_plugin_folders", checking_plugin_folders})
