/* A small in-memory cache of answers (sessions, caseloads), per site of the
 * pool. An entry is valid while its site's connection sees the same
 * database (fr_store_generation: nothing committed since, by any
 * connection) and for at most its time to live; the database stays the
 * truth. A fixed table, one mutex, entries replaced by hash slot. */
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define SLOTS 512

typedef struct entry {
    const fr_site *site;
    int64_t generation;
    time_t expires;
    char *key;
    void *value;
    size_t len;
} entry;

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

void *fr_cache_get(fr_site *site, int64_t generation, const char *key, size_t *len)
{
    if (generation < 0)
        return NULL;
    void *out = NULL;
    entry *e = &table[slot_of(site, key)];
    pthread_mutex_lock(&lock);
    if (e->key && e->site == site && e->generation == generation && e->expires > time(NULL) &&
        strcmp(e->key, key) == 0 && (out = malloc(e->len + 1)) != NULL) {
        memcpy(out, e->value, e->len);
        ((char *)out)[e->len] = '\0';
        *len = e->len;
    }
    pthread_mutex_unlock(&lock);
    return out;
}

void fr_cache_put(fr_site *site, int64_t generation, const char *key, const void *value,
                  size_t len, int ttl_seconds)
{
    if (generation < 0)
        return;
    char *k = strdup(key);
    void *v = malloc(len ? len : 1);
    if (!k || !v) {
        free(k);
        free(v);
        return;
    }
    memcpy(v, value, len);
    entry *e = &table[slot_of(site, key)];
    pthread_mutex_lock(&lock);
    free(e->key);
    free(e->value);
    e->site = site;
    e->generation = generation;
    e->expires = time(NULL) + ttl_seconds;
    e->key = k;
    e->value = v;
    e->len = len;
    pthread_mutex_unlock(&lock);
}

void fr_cache_forget_site(const fr_site *site)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++)
        if (table[i].key && (!site || table[i].site == site)) {
            free(table[i].key);
            free(table[i].value);
            memset(&table[i], 0, sizeof table[i]);
        }
    pthread_mutex_unlock(&lock);
}
