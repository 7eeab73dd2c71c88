/* Sites: init, reopening, refusing a second init, site.xml errors with file
 * and line, a database from a newer version; password hashes (their
 * parameters, their upgrade at login, one Argon2id at a time). */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "settings.h"
#include "site.h"
#include "store.h"
#include "test.h"

static void init_then_open(void)
{
    fr_error err = {0};
    const char *dir = test_path("site1");
    fr_site_init_options o = {.name = "Réseau <Est>", .languages = "nl fr",
                             .database = test_site_database()};
    CHECK_OK(fr_site_init(dir, &o, &err), &err);
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (site) {
        CHECK_STR(site->name, "Réseau <Est>");
        CHECK(site->nlanguages == 2);
        CHECK_STR(site->languages[0], "nl");
        CHECK_STR(site->actor, "system");
    }
    fr_site_close(site);
    CHECK_ERR(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err), FR_EREFUSED, &err, "already holds a site");
}

static void a_missing_site_says_how_to_make_one(void)
{
    fr_error err = {0};
    fr_site *site = NULL;
    CHECK_ERR(fr_site_open(test_path("nothing-here"), NULL, &site, &err), FR_ENOTFOUND, &err,
              "filrouge init");
}

static void malformed_site_xml_names_file_and_line(void)
{
    fr_error err = {0};
    const char *dir = test_path("site2");
    CHECK_OK(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err), &err);
    char path[4200];
    snprintf(path, sizeof path, "%s/site.xml", dir);
    test_write_file(path, "<?xml version=\"1.0\"?>\n<site xmlns=\"urn:filrouge:site:1\">\n"
                          "  <name>x</name>\n  <languages>fr</languages>\n"
                          "  <database>filrouge.db</database\n</site>\n");
    fr_site *site = NULL;
    CHECK_ERR(fr_site_open(dir, NULL, &site, &err), FR_EINVAL, &err, "site.xml:");
    CHECK(strstr(err.message, "site.xml:5") || strstr(err.message, "site.xml:6"));
    test_write_file(path, "<?xml version=\"1.0\"?>\n<site xmlns=\"urn:filrouge:site:1\">\n"
                          "  <name>x</name>\n  <languages>fr es</languages>\n"
                          "  <database>filrouge.db</database>\n</site>\n");
    CHECK_ERR(fr_site_open(dir, NULL, &site, &err), FR_EINVAL, &err, "site.xml:4");
}

static void a_database_from_a_newer_version_is_refused(void)
{
    fr_error err = {0};
    const char *dir = test_path("site3");
    CHECK_OK(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err), &err);
    fr_store *s = NULL;
    CHECK_OK(fr_store_open(test_site_db(dir), NULL, &s, &err), &err);
    CHECK_OK(fr_store_exec(s,
                           "INSERT INTO schema_migrations VALUES ('core', 99, 'future.sql', "
                           "'2030-01-01T00:00:00Z')",
                           &err),
             &err);
    fr_store_close(s);
    fr_site *site = NULL;
    CHECK_ERR(fr_site_open(dir, NULL, &site, &err), FR_EVERSION, &err,
              "written by a newer version of Filrouge");
    CHECK(site == NULL);
}

/* A site on a PostgreSQL server is backed up with the server's tools:
 * `backup` says so and writes nothing (SQLite: covered by cli/backup.sh). */
static void a_server_database_is_not_copied(void)
{
    if (!test_on_pg())
        return;
    fr_error err = {0};
    const char *dir = test_path("site-pg");
    CHECK_OK(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err),
             &err);
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (!site)
        return;
    const char *dest = test_path("site-pg-backup");
    CHECK_ERR(fr_site_backup(site, dest, &err), FR_EREFUSED, &err, "pg_dump");
    CHECK(strstr(err.message, "postgresql://") != NULL);
    CHECK(access(dest, F_OK) != 0);
    fr_site_close(site);
}

/* A site with the user marie, password "correct horse". */
static fr_site *site_with_marie(const char *name, int64_t *uid)
{
    fr_error err = {0};
    const char *dir = test_path(name);
    CHECK_OK(fr_site_init(dir, &(fr_site_init_options){.database = test_site_database()}, &err),
             &err);
    fr_site *site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (!site)
        return NULL;
    fr_user_new u = {.login = "marie", .display_name = "Marie", .role = "case_manager"};
    CHECK_OK(fr_user_add(site, &u, uid, &err), &err);
    CHECK_OK(fr_user_set_password(site, "marie", "correct horse", &err), &err);
    return site;
}

static char *stored_hash(fr_site *site)
{
    fr_error err = {0};
    char *hash = NULL;
    CHECK_OK(fr_store_query_text(site->store, &err, &hash,
                                 "SELECT password_hash FROM users WHERE login = 'marie'", ""),
             &err);
    return hash;
}

static int64_t upgrades(fr_site *site)
{
    fr_error err = {0};
    int64_t n = -1;
    CHECK_OK(fr_store_query_int(site->store, &err, &n,
                                "SELECT count(*) FROM audit WHERE action = 'upgrade-password-hash'"
                                " AND actor = 'marie' AND object_type = 'user'",
                                ""),
             &err);
    return n;
}

/* New hashes: Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane). A
 * hash made at libsodium's interactive limits (64 MiB, as before) still
 * logs its user in, and is replaced at that login, audited; a wrong
 * password changes nothing. */
static void an_old_password_hash_is_upgraded_at_login(void)
{
    fr_error err = {0};
    int64_t uid = 0, id = 0;
    fr_site *site = site_with_marie("site-pw", &uid);
    if (!site)
        return;
    char *hash = stored_hash(site);
    CHECK(hash && strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    free(hash);

    char old[crypto_pwhash_STRBYTES];
    CHECK(crypto_pwhash_str(old, "correct horse", 13, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0);
    CHECK(strncmp(old, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
    CHECK_OK(fr_store_execf(site->store, &err, "UPDATE users SET password_hash = ? WHERE id = ?",
                            "tI", old, uid),
             &err);

    CHECK_ERR(fr_user_check_password(site, "marie", "wrong horse", &id, &err), FR_EACCESS, &err,
              "wrong login or password");
    hash = stored_hash(site);
    CHECK_STR(hash, old);
    free(hash);
    CHECK(upgrades(site) == 0);

    CHECK_OK(fr_user_check_password(site, "marie", "correct horse", &id, &err), &err);
    CHECK(id == uid);
    hash = stored_hash(site);
    CHECK(hash && strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    CHECK(hash && crypto_pwhash_str_verify(hash, "correct horse", 13) == 0);
    free(hash);
    CHECK(upgrades(site) == 1);

    /* Already at today's parameters: nothing more to do. */
    CHECK_OK(fr_user_check_password(site, "marie", "correct horse", &id, &err), &err);
    CHECK(upgrades(site) == 1);
    fr_site_close(site);
}

typedef struct {
    const char *dir;
    int ok;
} login_job;

static void *log_in(void *arg)
{
    login_job *job = arg;
    fr_error err = {0};
    fr_site *site = NULL;
    if (fr_site_open(job->dir, NULL, &site, &err) == 0) {
        job->ok = fr_user_check_password(site, "marie", "correct horse", NULL, &err) == 0;
        fr_site_close(site);
    }
    return NULL;
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kb = atol(line + n + 1);
    if (f)
        fclose(f);
    return kb;
}

/* Four logins at once (as on the server's four worker threads) all succeed,
 * and their Argon2id computations run one after the other: the peak of
 * resident memory grows by one hash's 19 MiB, not four times that. */
static void concurrent_logins_hash_one_at_a_time(void)
{
    fr_site *site = site_with_marie("site-pw4", NULL);
    if (!site)
        return;
    fr_site_close(site);
    login_job jobs[4];
    pthread_t t[4];
    /* Resets VmHWM (the peak) to the current resident memory. */
    FILE *refs = fopen("/proc/self/clear_refs", "w");
    int peak_known = refs != NULL;
    if (refs) {
        int wrote = fputs("5", refs) >= 0; /* and close it whatever happened */
        int closed = fclose(refs) == 0;
        peak_known = wrote && closed;
    }
    long before = status_kb("VmRSS");
    for (int i = 0; i < 4; i++) {
        jobs[i] = (login_job){.dir = test_path("site-pw4")};
        CHECK(pthread_create(&t[i], NULL, log_in, &jobs[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(jobs[i].ok);
    }
    long peak = status_kb("VmHWM");
#ifdef __SANITIZE_ADDRESS__
    /* AddressSanitizer keeps freed memory in its quarantine instead of
     * reusing it: one hash after the other then adds up like hashes at
     * once (a peak of 43 MB was seen), whatever the locking. */
    peak_known = 0;
#endif
    if (peak_known && before > 0 && peak > 0) {
        if (peak - before >= 2 * 19 * 1024)
            fprintf(stderr, "peak grew by %ld kB\n", peak - before);
        CHECK(peak - before < 2 * 19 * 1024);
    }
}

/* The value checks shared by site and plugin settings (settings.h); the
 * choice kind, which no in-tree plugin declares yet, included. */
static void setting_values_are_checked_by_kind(void)
{
    fr_error err = {0};
    fr_setting_rule choice = {FR_SETTING_CHOICE, 0, 0, "daily weekly never", NULL};
    CHECK_OK(fr_settings_check_value("site.xml", 7, "setting notify of plugin x", "weekly", &choice,
                                     &err),
             &err);
    CHECK_ERR(
        fr_settings_check_value("site.xml", 7, "setting notify of plugin x", "week", &choice, &err),
        FR_EINVAL, &err,
        "site.xml:7: setting notify of plugin x: \"week\" is not one of "
        "daily weekly never");
    CHECK_ERR(fr_settings_check_value("site.xml", 7, "setting notify", "", &choice, &err),
              FR_EINVAL, &err, "is not one of");
    fr_setting_rule whole = {FR_SETTING_WHOLE, 1, 10, NULL, "3"};
    CHECK_OK(fr_settings_check_value("site.xml", 2, "setting n", "10", &whole, &err), &err);
    CHECK_ERR(fr_settings_check_value("site.xml", 2, "setting n", "2.5", &whole, &err), FR_EINVAL,
              &err, "\"2.5\" is not a whole number from 1 to 10; write e.g. 3");
    CHECK_ERR(fr_settings_check_value("site.xml", 2, "setting n", "11", &whole, &err), FR_EINVAL,
              &err, "from 1 to 10");
    fr_setting_rule number = {FR_SETTING_NUMBER, 0, 1, NULL, NULL};
    CHECK_OK(fr_settings_check_value("site.xml", 2, "setting r", "0.25", &number, &err), &err);
    CHECK_ERR(fr_settings_check_value("site.xml", 2, "setting r", "0,25", &number, &err), FR_EINVAL,
              &err, "decimals with a point");
    fr_setting_rule text = {FR_SETTING_TEXT, 0, 0, NULL, NULL};
    CHECK_OK(fr_settings_check_value("site.xml", 2, "setting t", "anything", &text, &err), &err);
    const char *names[] = {"efs-threshold", "min-age", "bands.*.*"};
    CHECK(strcmp(fr_nearest_name("efs-treshold", names, 3), "efs-threshold") == 0);
    CHECK(fr_nearest_name("colour", names, 3) == NULL);
}

/* Messages name the log where it really is ($FILROUGE_LOG). */
static void the_log_is_named_where_it_is(void)
{
    char dir[] = "/srv/filrouge/site", out[256];
    fr_site site = {.dir = dir};
    const char *was = getenv("FILROUGE_LOG");
    char *saved = was ? strdup(was) : NULL;
    unsetenv("FILROUGE_LOG");
    CHECK_STR(fr_site_log_name(&site, out, sizeof out), "filrouge.log");
    setenv("FILROUGE_LOG", "/var/log/filrouge/app.log", 1);
    CHECK_STR(fr_site_log_name(&site, out, sizeof out), "/var/log/filrouge/app.log");
    setenv("FILROUGE_LOG", "/srv/filrouge/site/logs/app.log", 1);
    CHECK_STR(fr_site_log_name(&site, out, sizeof out), "logs/app.log");
    setenv("FILROUGE_LOG", "-", 1);
    CHECK_STR(fr_site_log_name(&site, out, sizeof out), "stderr");
    if (saved)
        setenv("FILROUGE_LOG", saved, 1);
    else
        unsetenv("FILROUGE_LOG");
    free(saved);
}

TEST_MAIN({"a_server_database_is_not_copied", a_server_database_is_not_copied},
          {"the_log_is_named_where_it_is", the_log_is_named_where_it_is},
          {"init_then_open", init_then_open},
          {"a_missing_site_says_how_to_make_one", a_missing_site_says_how_to_make_one},
          {"malformed_site_xml_names_file_and_line", malformed_site_xml_names_file_and_line},
          {"a_database_from_a_newer_version_is_refused",
           a_database_from_a_newer_version_is_refused},
          {"an_old_password_hash_is_upgraded_at_login", an_old_password_hash_is_upgraded_at_login},
          {"concurrent_logins_hash_one_at_a_time", concurrent_logins_hash_one_at_a_time},
          {"setting_values_are_checked_by_kind", setting_values_are_checked_by_kind})
