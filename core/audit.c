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
    /* The chain's last entry: the one this transaction appended last, if
     * any (no other writer can append while it holds the writers' lock). */
    int rc = 0;
    const char *noted = fr_store_note_get(s, "audit", &last_id);
    if (noted) {
        if (!(prev = strdup(noted)))
            return fr_error_set(err, FR_ENOMEM, "out of memory");
    } else {
        fr_stmt *st;
        rc = fr_store_query(s, err, &st, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
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
    }
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
    if (!rc)
        fr_store_note_set(s, "audit", id, hash);
    return rc;
}

int fr_audit_appendi(fr_store *s, const char *actor, const char *action, const char *object_type,
                     int64_t object_id, const char *detail, fr_error *err)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, object_id);
    return fr_audit_append(s, actor, action, object_type, id, detail, err);
}

int fr_audit_appendj(fr_store *s, const char *actor, const char *action, const char *object_type,
                     int64_t object_id, json_t *detail, fr_error *err)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    int rc = fr_audit_appendi(s, actor, action, object_type, object_id, text, err);
    free(text);
    return rc;
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

static _Thread_local fr_audit_batch *collector;

void fr_audit_collect(fr_audit_batch *b)
{
    collector = b;
}

void fr_audit_batch_free(fr_audit_batch *b)
{
    for (int i = 0; i < b->n; i++) {
        free(b->v[i].actor);
        free(b->v[i].action);
        free(b->v[i].object_type);
        free(b->v[i].object_id);
        json_decref(b->v[i].detail);
    }
    free(b->v);
    memset(b, 0, sizeof *b);
}

static int same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Adds an entry to the collection, merging reads of one actor. */
static int collect(fr_audit_batch *b, const char *actor, const char *action, const char *type,
                   const char *oid, const char *detail, fr_error *err)
{
    json_t *d = json_loads(detail ? detail : "{}", 0, NULL);
    if (!json_is_object(d)) {
        json_decref(d);
        return fr_error_set(err, FR_EINVAL, "audit detail is not a JSON object: %s", detail);
    }
    for (int i = 0; i < b->n; i++) {
        fr_audit_entry *e = &b->v[i];
        if (!same(e->actor, actor) || !same(e->action, action))
            continue;
        if (same(e->object_type, type) && same(e->object_id, oid)) {
            json_t *own = json_copy(e->detail);
            json_object_del(own, "also");
            int again = json_equal(own, d);
            json_decref(own);
            if (again) {
                json_decref(d);
                return 0; /* the same entry again */
            }
        }
        if (strcmp(action, "read") != 0)
            continue;
        json_t *also = json_object_get(e->detail, "also");
        if (!also) {
            also = json_array();
            if (json_object_set_new(e->detail, "also", also)) {
                json_decref(d);
                return fr_error_set(err, FR_ENOMEM, "out of memory");
            }
        }
        json_t *item = json_pack("{s:s?,s:s?}", "object_type", type, "object_id", oid);
        if (item && json_object_size(d))
            json_object_set(item, "detail", d);
        json_decref(d);
        size_t k;
        json_t *seen;
        json_array_foreach(also, k, seen) {
            if (item && json_equal(seen, item)) {
                json_decref(item);
                return 0;
            }
        }
        if (!item || json_array_append_new(also, item))
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        return 0;
    }
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 4;
        fr_audit_entry *v = realloc(b->v, (size_t)cap * sizeof *v);
        if (!v) {
            json_decref(d);
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        }
        b->v = v;
        b->cap = cap;
    }
    fr_audit_entry *e = &b->v[b->n];
    e->actor = strdup(actor && *actor ? actor : "system");
    e->action = strdup(action);
    e->object_type = type ? strdup(type) : NULL;
    e->object_id = oid ? strdup(oid) : NULL;
    e->detail = d;
    b->n++;
    if (!e->actor || !e->action || (type && !e->object_type) || (oid && !e->object_id))
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    return 0;
}

int fr_audit_transaction(fr_store *s, int (*body)(fr_store *, const void *, fr_error *),
                         const void *arg, fr_error *err)
{
    int own = fr_store_depth(s) == 0;
    for (int attempt = 0;; attempt++) {
        int rc = fr_store_begin_audit(s, err);
        if (rc)
            return rc;
        rc = body(s, arg, err);
        if (!rc)
            rc = fr_store_commit(s, err); /* rolls back when it fails */
        else
            fr_store_rollback(s);
        if (!rc || !own || attempt > 0 || !fr_store_use_reserve(s))
            return rc;
    }
}

static int batch_body(fr_store *s, const void *arg, fr_error *err)
{
    const fr_audit_batch *b = arg;
    int rc = 0;
    for (int i = 0; !rc && i < b->n; i++) {
        const fr_audit_entry *e = &b->v[i];
        char *detail = json_dumps(e->detail, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = detail ? fr_audit_append(s, e->actor, e->action, e->object_type, e->object_id,
                                      detail, err)
                    : fr_error_set(err, FR_ENOMEM, "out of memory");
        free(detail);
    }
    return rc;
}

int fr_audit_batch_write(fr_store *s, const fr_audit_batch *b, fr_error *err)
{
    return fr_audit_transaction(s, batch_body, b, err);
}

typedef struct one_entry {
    const char *actor, *action, *object_type, *object_id, *detail;
} one_entry;

static int one_body(fr_store *s, const void *arg, fr_error *err)
{
    const one_entry *e = arg;
    return fr_audit_append(s, e->actor, e->action, e->object_type, e->object_id, e->detail, err);
}

int fr_audit_alone(fr_store *s, const char *actor, const char *action, const char *object_type,
                   const char *object_id, const char *detail, fr_error *err)
{
    if (collector && fr_store_depth(s) == 0)
        return collect(collector, actor, action, object_type, object_id, detail, err);
    one_entry e = {actor, action, object_type, object_id, detail};
    return fr_audit_transaction(s, one_body, &e, err);
}
