/* Moving a site's record into another database (`filrouge migrate-store`):
 * the destination gets the same schema (core and plugin migrations, made
 * for its backend), then every row in one transaction, then the copy is
 * checked by row counts and by the audit chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "plugin.h"
#include "running.h"
#include "site.h"

/* The destination's schema, owner by owner as in the source. */
static int make_schema(fr_site *site, fr_store *to, fr_error *err)
{
    json_t *owners = NULL;
    int rc = fr_store_query_json(site->store, err, &owners,
                                 "SELECT owner, max(version) AS version FROM schema_migrations"
                                 " GROUP BY owner ORDER BY owner",
                                 NULL);
    if (rc)
        return rc;
    fr_store *own = site->store;
    site->store = to; /* the plugin part migrates site->store */
    rc = fr_site_migrate_core(to, err);
    size_t i;
    json_t *o;
    json_array_foreach(owners, i, o)
    {
        const char *owner = json_string_value(json_object_get(o, "owner"));
        int want = (int)json_integer_value(json_object_get(o, "version")), have = 0;
        if (!rc && strcmp(owner, "core") != 0)
            rc = fr_plugins_migrate_owner(site, owner, err);
        if (!rc)
            rc = fr_store_schema_version(to, owner, &have, err);
        if (!rc && have != want)
            rc = fr_error_set(err, FR_EVERSION,
                              "%s is at schema version %d in %s but this program makes version "
                              "%d: open the site once with this Filrouge (which upgrades it), "
                              "then move it",
                              owner, want, fr_store_path(own), have);
    }
    site->store = own;
    json_decref(owners);
    return rc;
}

/* The rows copied, table by table, must be what `s` holds (extra: rows
 * added to audit after the copy), and in `to` the chain must hold. */
static int check_counts(fr_store *s, json_t *counts, int extra_audit, fr_error *err)
{
    const char *table;
    json_t *n;
    json_object_foreach(counts, table, n)
    {
        char sql[256];
        int64_t rows = -1, want = json_integer_value(n);
        if (extra_audit && strcmp(table, "audit") == 0)
            want += extra_audit;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
        int rc = fr_store_query_int(s, err, &rows, sql, NULL);
        if (rc)
            return rc;
        if (rows != want)
            return fr_error_set(err, FR_EIO,
                                "table %s holds %lld rows in %s where %lld were expected: the "
                                "copy is incomplete; empty the destination and run the move "
                                "again",
                                table, (long long)rows, fr_store_path(s), (long long)want);
    }
    return 0;
}

static int check_copy(fr_store *to, json_t *counts, int64_t entries, fr_error *err)
{
    int rc = check_counts(to, counts, 1, err);
    fr_audit_report r = {0};
    if (!rc)
        rc = fr_audit_verify(to, &r, err);
    if (!rc && (r.first_bad || r.entries != entries + 1))
        rc = fr_error_set(err, FR_EIO,
                          "the audit trail in %s does not verify (%lld entries of %lld, first "
                          "break at %lld: %s)",
                          fr_store_path(to), (long long)r.entries, (long long)entries + 1,
                          (long long)r.first_bad, r.reason);
    return rc;
}

int fr_site_migrate_store(fr_site *site, const char *to_location, json_t **report, fr_error *err)
{
    *report = NULL;
    if (site->actor_id != 0 && strcmp(site->actor_role, "admin") != 0) {
        fr_access_refused_role(site, "site", "*");
        return fr_error_set(err, FR_EACCESS, "only administrators can move a site's record");
    }
    /* What a server wrote after the copy would not be in the new database. */
    pid_t server = 0;
    if (fr_running_list(site->dir, &server, 1, NULL) > 0)
        return fr_error_set(err, FR_EREFUSED,
                            "a filrouge serve (process %ld) is running on %s: stop it first "
                            "(systemctl stop filrouge), since what it writes after the copy "
                            "would not be in the new database; nothing was changed",
                            (long)server, site->dir);
    fr_store *to = NULL;
    int exists = 0;
    int rc = fr_store_open(to_location, NULL, &to, err);
    if (!rc)
        rc = fr_store_has_table(to, "schema_migrations", &exists, err);
    if (!rc && exists)
        rc = fr_error_set(err, FR_EREFUSED,
                          "the database %s already holds a Filrouge schema: move a site into "
                          "an empty database only; nothing was changed",
                          fr_store_path(to));
    fr_audit_report before = {0};
    if (!rc)
        rc = make_schema(site, to, err);
    json_t *counts = NULL;
    /* The source is read in one transaction (writers wait): a consistent
     * copy, whose audit chain must hold before it is moved. */
    if (!rc && !(rc = fr_store_begin(site->store, err))) {
        rc = fr_audit_verify(site->store, &before, err);
        if (!rc && before.first_bad)
            rc = fr_error_set(err, FR_ECONFLICT,
                              "the audit trail of %s is broken at entry %lld (%s): it is not "
                              "moved",
                              fr_store_path(site->store), (long long)before.first_bad,
                              before.reason);
        if (!rc && !(rc = fr_store_begin(to, err))) {
            rc = fr_store_copy(site->store, to, &counts, err);
            if (!rc)
                rc = check_counts(site->store, counts, 0, err);
            if (!rc) {
                json_t *d = json_pack("{s:s,s:I}", "from", fr_store_path(site->store),
                                      "audit_entries", (json_int_t)before.entries);
                char *text = json_dumps(d, JSON_COMPACT);
                rc = fr_audit_append(to, site->actor, "migrate-store", "site",
                                     site->name ? site->name : "site", text, err);
                free(text);
                json_decref(d);
            }
            if (!rc)
                rc = fr_store_commit(to, err);
            else
                fr_store_rollback(to);
        }
        fr_store_rollback(site->store); /* read only */
    }
    if (!rc)
        rc = check_copy(to, counts, before.entries, err);
    if (!rc)
        *report = json_pack("{s:s,s:O,s:I}", "to", fr_store_path(to), "rows", counts,
                            "audit_entries", (json_int_t)before.entries + 1);
    json_decref(counts);
    fr_store_close(to);
    return rc;
}
