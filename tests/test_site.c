/* Sites: init, reopening, refusing a second init, site.xml errors with file
 * and line, a database from a newer version. */
#include <unistd.h>

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

TEST_MAIN({"a_server_database_is_not_copied", a_server_database_is_not_copied},
          {"init_then_open", init_then_open},
          {"a_missing_site_says_how_to_make_one", a_missing_site_says_how_to_make_one},
          {"malformed_site_xml_names_file_and_line", malformed_site_xml_names_file_and_line},
          {"a_database_from_a_newer_version_is_refused",
           a_database_from_a_newer_version_is_refused})
