/* A small in-memory cache of answers (sessions, caseloads), per site of the
 * pool. An entry is valid while its site's connection sees the same
 * database (fr_store_generation: nothing committed since, by any
 * connection) and for at most its time to live; the database stays the
 * truth. A fixed table, one mutex, entries replaced by hash slot. */
#include "server.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define SLOTS 512

/* A value, shared by its entry and by the responses sending it: freed by
 * whoever lets it go last. */
typedef struct shared {
    atomic_int refs;
    size_t len;
    char data[]; /* len bytes and a NUL */
} shared;

typedef struct entry {
    const fr_site *site;
    int64_t generation;
    time_t expires;
    char *key;
    shared *value;
} entry;

static void release(void *owner)
{
    shared *v = owner;
    if (v && atomic_fetch_sub(&v->refs, 1) == 1)
        free(v);
}

static entry table[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned slot_of(const fr_site *site, const char *key)
{
    unsigned h = 2166136261u ^ (unsigned)(uintptr_t)site;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % SLOTS;
}

int64_t fr_cache_generation(fr_site *site)
{
    return fr_store_generation(site->store);
}

int64_t fr_cache_req_refresh(fr_req *r)
{
    r->generation = fr_cache_generation(r->site);
    r->generation_site = r->site;
    return r->generation;
}

int64_t fr_cache_req_generation(fr_req *r)
{
    if (r->generation_site != r->site)
        return fr_cache_req_refresh(r);
    return r->generation;
}

static entry *find(fr_site *site, int64_t generation, const char *key)
{
    entry *e = &table[slot_of(site, key)];
    if (e->key && e->site == site && e->generation == generation && e->expires > time(NULL) &&
        strcmp(e->key, key) == 0)
        return e;
    return NULL;
}

int fr_cache_get_buf(fr_site *site, int64_t generation, const char *key, fr_buf *out)
{
    if (generation < 0)
        return 0;
    shared *v = NULL;
    pthread_mutex_lock(&lock);
    entry *e = find(site, generation, key);
    if (e) {
        v = e->value;
        atomic_fetch_add(&v->refs, 1);
    }
    pthread_mutex_unlock(&lock);
    if (!v)
        return 0;
    if (out->len || out->data || out->failed) {
        fr_buf_add(out, v->data, v->len);
        release(v);
    } else {
        out->data = v->data;
        out->len = v->len;
        out->cap = v->len + 1;
        out->release = release;
        out->owner = v;
    }
    return 1;
}

int fr_cache_get(fr_site *site, int64_t generation, const char *key, void *out, size_t len)
{
    if (generation < 0)
        return 0;
    int found = 0;
    pthread_mutex_lock(&lock);
    entry *e = find(site, generation, key);
    if (e && e->value->len == len) {
        memcpy(out, e->value->data, len);
        found = 1;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

void fr_cache_put(fr_site *site, int64_t generation, const char *key, const void *value,
                  size_t len, int ttl_seconds)
{
    if (generation < 0)
        return;
    char *k = strdup(key);
    shared *v = malloc(sizeof *v + len + 1);
    if (!k || !v) {
        free(k);
        free(v);
        return;
    }
    atomic_init(&v->refs, 1);
    v->len = len;
    memcpy(v->data, value, len);
    v->data[len] = '\0';
    entry *e = &table[slot_of(site, key)];
    pthread_mutex_lock(&lock);
    free(e->key);
    release(e->value);
    e->site = site;
    e->generation = generation;
    e->expires = time(NULL) + ttl_seconds;
    e->key = k;
    e->value = v;
    pthread_mutex_unlock(&lock);
}

void fr_cache_forget_site(const fr_site *site)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++)
        if (table[i].key && (!site || table[i].site == site)) {
            free(table[i].key);
            release(table[i].value);
            memset(&table[i], 0, sizeof table[i]);
        }
    pthread_mutex_unlock(&lock);
}
