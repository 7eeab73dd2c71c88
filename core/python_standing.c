/* The standing problems of a site's hooks as loaded (a file that does not
 * import, a hook switched off or replaced by a name no hook has, a guard
 * name taken twice…): kept for `filrouge hooks list`, and written to the
 * site log once per change rather than at every opening of the site (each
 * command, each reload of each server worker).
 *
 * What was last logged is remembered as a hash, in this process (for the
 * workers of a server, which reopen the site together) and in the site's
 * site_meta (for the commands that follow each other). Nothing is read or
 * written for a site without hook files; the key is read at opening only
 * when the process has not seen that set yet, and written only when it
 * changed. A read-only site, or a write that fails, logs again next time:
 * a problem is never lost for a key not written. */
#include "python_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define LOGGED_KEY "python.logged-problems"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen_site;    /* the site whose set this process logged or found logged */
static char seen_hash[17]; /* "" for none */

void fr_py_standing(fr_python *py, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    char **g = n < 0 ? NULL : realloc(py->standing, (size_t)(py->nstanding + 1) * sizeof *g);
    if (!g) {
        free(n < 0 ? NULL : line);
        return;
    }
    py->standing = g;
    g[py->nstanding++] = line;
}

void fr_py_standing_free(fr_python *py)
{
    for (int i = 0; i < py->nstanding; i++)
        free(py->standing[i]);
    free(py->standing);
    py->standing = NULL;
    py->nstanding = 0;
}

/* FNV-1a over the lines: enough to tell one set from another. */
static void hash_of(const fr_python *py, char out[17])
{
    out[0] = '\0';
    if (!py->nstanding)
        return;
    unsigned long long h = 14695981039346656037ULL;
    for (int i = 0; i < py->nstanding; i++)
        for (const unsigned char *c = (const unsigned char *)py->standing[i];; c++) {
            h = (h ^ *c) * 1099511628211ULL;
            if (!*c)
                break;
        }
    snprintf(out, 17, "%016llx", h);
}

/* Under `lock`. */
static int seen(const fr_site *site, const char *hash)
{
    return seen_site && site->dir && strcmp(seen_site, site->dir) == 0 &&
           strcmp(seen_hash, hash) == 0;
}

/* Under `lock`. */
static void remember(const fr_site *site, const char *hash)
{
    free(seen_site);
    seen_site = site->dir ? strdup(site->dir) : NULL;
    snprintf(seen_hash, sizeof seen_hash, "%s", hash);
}

/* Under `lock`, so that the workers of a server reopening the site
 * together log a new set once, not once each. */
static void log_if_changed(fr_site *site, fr_python *py, const char *hash)
{
    if (seen(site, hash))
        return;
    fr_error err = {0};
    char *logged = NULL;
    int rc = fr_store_query_text(site->store, &err, &logged,
                                 "SELECT value FROM site_meta WHERE key = ?", "t", LOGGED_KEY);
    int same = rc == 0 ? strcmp(logged, hash) == 0 : rc == FR_ENOTFOUND && !hash[0];
    free(logged);
    if (!same) {
        for (int i = 0; i < py->nstanding; i++)
            fr_site_log(site, "python", "%s", py->standing[i]);
        if (!py->nstanding && rc == 0)
            fr_site_log(site, "python", "the problems of the hooks logged before are gone");
        fr_error_clear(&err);
        if (fr_store_execf(site->store, &err,
                           "INSERT INTO site_meta (key, value) VALUES (?, ?)"
                           " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           "tt", LOGGED_KEY, hash))
            return; /* not remembered: logged again next time */
    }
    remember(site, hash);
}

void fr_py_standing_log(fr_site *site, fr_python *py)
{
    char hash[17];
    hash_of(py, hash);
    pthread_mutex_lock(&lock);
    log_if_changed(site, py, hash);
    pthread_mutex_unlock(&lock);
}
