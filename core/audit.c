/* The audit chain. The hash of an entry is SHA-256 (libsodium) over the
 * previous entry's hash and the entry's own fields, each preceded by its
 * length so that no two different entries hash the same input. Reading the
 * trail (CLI, web) is the job of the callers; this file writes and checks. */
#include "audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

static void feed(crypto_hash_sha256_state *st, const char *s)
{
    char len[24];
    size_t n = s ? strlen(s) : 0;
    snprintf(len, sizeof len, "%zu:", n);
    crypto_hash_sha256_update(st, (const unsigned char *)len, strlen(len));
    if (n)
        crypto_hash_sha256_update(st, (const unsigned char *)s, n);
}

static void entry_hash(int64_t id, const char *prev, const char *at, const char *actor,
                       const char *action, const char *type, const char *oid, const char *detail,
                       char out[65])
{
    crypto_hash_sha256_state st;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char idbuf[24];
    snprintf(idbuf, sizeof idbuf, "%" PRId64, id);
    crypto_hash_sha256_init(&st);
    feed(&st, prev);
    feed(&st, idbuf);
    feed(&st, at);
    feed(&st, actor);
    feed(&st, action);
    feed(&st, type);
    feed(&st, oid);
    feed(&st, detail);
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

int fr_audit_append(fr_store *s, const char *actor, const char *action, const char *object_type,
                    const char *object_id, const char *detail, fr_error *err)
{
    char now[FR_TIME_LEN], hash[65];
    char *prev = NULL;
    int64_t last_id = 0;
    if (!detail)
        detail = "{}";
    if (!actor || !*actor)
        actor = "system";
    fr_stmt *st;
    int rc = fr_store_query(s, err, &st, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                            NULL);
    if (rc)
        return rc;
    rc = fr_stmt_step(st, err);
    if (rc == 1) {
        last_id = fr_stmt_int(st, 0);
        prev = strdup(fr_stmt_text(st, 1));
        rc = 0;
    }
    fr_stmt_done(st);
    if (rc < 0)
        return rc;
    fr_clock_now(now);
    int64_t id = last_id + 1;
    entry_hash(id, prev ? prev : GENESIS, now, actor, action, object_type, object_id, detail,
               hash);
    rc = fr_store_execf(s, err,
                        "INSERT INTO audit (id, at, actor, action, object_type, object_id, detail,"
                        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "Ittttttt" "t", id, now, actor, action, object_type, object_id, detail,
                        prev ? prev : GENESIS, hash);
    free(prev);
    return rc;
}

int fr_audit_appendi(fr_store *s, const char *actor, const char *action, const char *object_type,
                     int64_t object_id, const char *detail, fr_error *err)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, object_id);
    return fr_audit_append(s, actor, action, object_type, id, detail, err);
}

int fr_audit_verify(fr_store *s, fr_audit_report *report, fr_error *err)
{
    memset(report, 0, sizeof *report);
    fr_stmt *st;
    int rc = fr_store_query(s, err, &st,
                            "SELECT id, at, actor, action, object_type, object_id, detail,"
                            " prev_hash, hash FROM audit ORDER BY id",
                            NULL);
    if (rc)
        return rc;
    char prev[65] = GENESIS;
    int64_t expected_id = 1;
    while ((rc = fr_stmt_step(st, err)) == 1) {
        int64_t id = fr_stmt_int(st, 0);
        const char *stored_prev = fr_stmt_text(st, 7);
        const char *stored_hash = fr_stmt_text(st, 8);
        char h[65];
        report->entries++;
        if (id != expected_id) {
            report->first_bad = expected_id;
            snprintf(report->reason, sizeof report->reason,
                     "entry %" PRId64 " is missing (the next entry found is %" PRId64 ")",
                     expected_id, id);
            break;
        }
        if (!stored_prev || strcmp(stored_prev, prev) != 0) {
            report->first_bad = id;
            snprintf(report->reason, sizeof report->reason,
                     "entry %" PRId64 " does not point to the hash of the entry before it", id);
            break;
        }
        entry_hash(id, prev, fr_stmt_text(st, 1), fr_stmt_text(st, 2), fr_stmt_text(st, 3),
                   fr_stmt_text(st, 4), fr_stmt_text(st, 5), fr_stmt_text(st, 6), h);
        if (!stored_hash || strcmp(stored_hash, h) != 0) {
            report->first_bad = id;
            snprintf(report->reason, sizeof report->reason,
                     "entry %" PRId64 " was changed after it was written (its hash does not "
                     "match its content)",
                     id);
            break;
        }
        memcpy(prev, h, sizeof prev);
        expected_id++;
    }
    fr_stmt_done(st);
    return rc < 0 ? rc : 0;
}

int fr_audit_alone(fr_store *s, const char *actor, const char *action, const char *object_type,
                   const char *object_id, const char *detail, fr_error *err)
{
    int rc = fr_store_begin(s, err);
    if (rc)
        return rc;
    rc = fr_audit_append(s, actor, action, object_type, object_id, detail, err);
    if (!rc)
        rc = fr_store_commit(s, err);
    else
        fr_store_rollback(s);
    return rc;
}
