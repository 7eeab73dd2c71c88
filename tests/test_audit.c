/* The audit chain: entries chain by hash, the table refuses changes, and a
 * tampered entry is found by verify. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "site.h"
#include "test.h"

static fr_store *fresh(const char *name)
{
    fr_store *s = NULL;
    fr_error err = {0};
    CHECK_OK(fr_store_open(test_store_location(name), NULL, &s, &err), &err);
    CHECK_OK(fr_site_migrate_core(s, &err), &err);
    return s;
}

/* SQL that removes the append-only guard (someone with database access). */
static const char *unguard(const char *sqlite_trigger)
{
    static char sql[128];
    if (test_on_pg())
        return "ALTER TABLE audit DISABLE TRIGGER USER;";
    snprintf(sql, sizeof sql, "DROP TRIGGER %s;", sqlite_trigger);
    return sql;
}

static void entries_chain_and_verify(void)
{
    fr_store *s = fresh("a.db");
    fr_error err = {0};
    for (int i = 1; i <= 5; i++)
        CHECK_OK(fr_audit_appendi(s, "anne", "read", "case", i, "{\"why\":\"test\"}", &err), &err);
    fr_audit_report r;
    CHECK_OK(fr_audit_verify(s, &r, &err), &err);
    CHECK(r.entries == 5);
    CHECK(r.first_bad == 0);
    fr_store_close(s);
}

/* Inside a transaction the chain's last entry is the one it appended last
 * (not read back); levels rolled back take their entries with them, and
 * another connection appends after the transaction ends: the chain holds
 * throughout. */
static void entries_in_nested_transactions_chain(void)
{
    const char *where = test_store_location("nested.db");
    fr_store *s = NULL, *other = NULL;
    fr_error err = {0};
    CHECK_OK(fr_store_open(where, NULL, &s, &err), &err);
    CHECK_OK(fr_site_migrate_core(s, &err), &err);
    CHECK_OK(fr_store_open(where, NULL, &other, &err), &err);
    for (int round = 0; round < 2; round++) {
        CHECK_OK(fr_store_begin(s, &err), &err);
        CHECK_OK(fr_audit_appendi(s, "anne", "read", "case", 1, NULL, &err), &err);
        CHECK_OK(fr_store_begin(s, &err), &err);
        CHECK_OK(fr_audit_appendi(s, "anne", "read", "case", 2, NULL, &err), &err);
        fr_store_rollback(s); /* entry 2 undone */
        CHECK_OK(fr_audit_appendi(s, "anne", "read", "case", 3, NULL, &err), &err);
        CHECK_OK(fr_store_begin(s, &err), &err);
        CHECK_OK(fr_audit_appendi(s, "anne", "read", "case", 4, NULL, &err), &err);
        CHECK_OK(fr_store_commit(s, &err), &err);
        CHECK_OK(fr_audit_appendi(s, "anne", "read", "case", 5, NULL, &err), &err);
        CHECK_OK(fr_store_commit(s, &err), &err);
        CHECK_OK(fr_audit_appendi(other, "bob", "read", "case", 6, NULL, &err), &err);
    }
    fr_audit_report r;
    CHECK_OK(fr_audit_verify(s, &r, &err), &err);
    CHECK(r.entries == 10);
    CHECK(r.first_bad == 0);
    fr_store_close(other);
    fr_store_close(s);
}

static void the_trail_is_append_only(void)
{
    fr_store *s = fresh("b.db");
    fr_error err = {0};
    CHECK_OK(fr_audit_append(s, "anne", "create", "patient", "1", NULL, &err), &err);
    CHECK_ERR(fr_store_exec(s, "UPDATE audit SET actor = 'bob'", &err), FR_EINVAL, &err,
              "append-only");
    CHECK_ERR(fr_store_exec(s, "DELETE FROM audit", &err), FR_EINVAL, &err, "append-only");
    fr_store_close(s);
}

static void a_tampered_entry_is_found(void)
{
    fr_store *s = fresh("c.db");
    fr_error err = {0};
    for (int i = 1; i <= 6; i++)
        CHECK_OK(fr_audit_appendi(s, "anne", "update", "case", i, NULL, &err), &err);
    /* Someone with file access removes the guard and edits entry 4. */
    CHECK_OK(fr_store_exec(s, unguard("audit_is_append_only_update"), &err), &err);
    CHECK_OK(fr_store_exec(s, "UPDATE audit SET actor = 'mallory' WHERE id = 4", &err), &err);
    fr_audit_report r;
    CHECK_OK(fr_audit_verify(s, &r, &err), &err);
    CHECK(r.first_bad == 4);
    CHECK(strstr(r.reason, "changed") != NULL);
    fr_store_close(s);
}

static void a_removed_entry_is_found(void)
{
    fr_store *s = fresh("d.db");
    fr_error err = {0};
    for (int i = 1; i <= 4; i++)
        CHECK_OK(fr_audit_appendi(s, "anne", "update", "case", i, NULL, &err), &err);
    CHECK_OK(fr_store_exec(s, unguard("audit_is_append_only_delete"), &err), &err);
    CHECK_OK(fr_store_exec(s, "DELETE FROM audit WHERE id = 2", &err), &err);
    fr_audit_report r;
    CHECK_OK(fr_audit_verify(s, &r, &err), &err);
    CHECK(r.first_bad == 2);
    fr_store_close(s);
}

/* A collection (the web server's read audits): nothing is written until
 * fr_audit_batch_write; one user's reads become one entry listing the
 * others; a repeat is kept once; refusals and other users stay apart. */
static void collected_reads_make_one_entry(void)
{
    fr_store *s = fresh("e.db");
    fr_error err = {0};
    fr_audit_batch b = {0};
    fr_audit_collect(&b);
    CHECK_OK(fr_audit_alone(s, "anne", "read", "case", "7", NULL, &err), &err);
    CHECK_OK(fr_audit_alone(s, "anne", "read", "careplan", "7", NULL, &err), &err);
    CHECK_OK(fr_audit_alone(s, "anne", "read", "case", "7", "{\"what\":\"forms\"}", &err), &err);
    CHECK_OK(fr_audit_alone(s, "anne", "read", "careplan", "7", NULL, &err), &err);
    CHECK_OK(fr_audit_alone(s, "anne", "read", "case", "7", NULL, &err), &err);
    CHECK_OK(fr_audit_alone(s, "anne", "denied", "case", "8", NULL, &err), &err);
    CHECK_OK(fr_audit_alone(s, "bob", "read", "case", "7", NULL, &err), &err);
    CHECK_ERR(fr_audit_alone(s, "anne", "read", "case", "9", "not json", &err), FR_EINVAL, &err,
              "JSON object");
    fr_audit_collect(NULL);
    int64_t n = -1;
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT count(*) FROM audit", NULL), &err);
    CHECK(n == 0); /* nothing written yet */
    CHECK(b.n == 3);
    CHECK_OK(fr_audit_batch_write(s, &b, &err), &err);
    char *detail = NULL;
    CHECK_OK(fr_store_query_text(s, &err, &detail,
                                 "SELECT detail FROM audit WHERE actor = 'anne' AND action = 'read'",
                                 NULL),
             &err);
    CHECK(detail && strcmp(detail, "{\"also\":[{\"object_type\":\"careplan\",\"object_id\":\"7\"},"
                                   "{\"object_type\":\"case\",\"object_id\":\"7\",\"detail\":"
                                   "{\"what\":\"forms\"}}]}") == 0);
    free(detail);
    fr_audit_report r;
    CHECK_OK(fr_audit_verify(s, &r, &err), &err);
    CHECK(r.entries == 3 && r.first_bad == 0);
    /* Not collecting: written at once, as before. */
    CHECK_OK(fr_audit_alone(s, "anne", "read", "case", "7", NULL, &err), &err);
    CHECK_OK(fr_store_query_int(s, &err, &n, "SELECT count(*) FROM audit", NULL), &err);
    CHECK(n == 4);
    fr_audit_batch_free(&b);
    fr_store_close(s);
}

TEST_MAIN({"entries_chain_and_verify", entries_chain_and_verify},
          {"entries_in_nested_transactions_chain", entries_in_nested_transactions_chain},
          {"collected_reads_make_one_entry", collected_reads_make_one_entry},
          {"the_trail_is_append_only", the_trail_is_append_only},
          {"a_tampered_entry_is_found", a_tampered_entry_is_found},
          {"a_removed_entry_is_found", a_removed_entry_is_found})
