/* Filrouge SDK: the contract of a C plugin.
 *
 * A plugin's shared library exports one symbol, `filrouge_plugin`, of type
 * fr_plugin_descriptor, declared with FR_PLUGIN(). The kernel checks the ABI
 * version and the sizes of the public structs the plugin was compiled with
 * before calling anything; a mismatch is refused with both versions named.
 *
 *     static int init(fr_plugin_ctx *ctx, fr_error *err) { ... return 0; }
 *     FR_PLUGIN("myplugin", "1.0.0", init, NULL);
 */
#ifndef FILROUGE_PLUGIN_H
#define FILROUGE_PLUGIN_H

#include <stdint.h>

#include "error.h"
#include "version.h"

typedef struct fr_plugin_ctx fr_plugin_ctx;

typedef struct fr_plugin_descriptor {
    uint32_t abi_version;      /* FR_ABI_VERSION at compile time */
    uint32_t descriptor_size;  /* sizeof(fr_plugin_descriptor) */
    uint32_t error_size;       /* sizeof(fr_error) */
    const char *id;            /* must equal the manifest's id */
    const char *version;       /* the plugin's own version */
    int (*init)(fr_plugin_ctx *ctx, fr_error *err);
    void (*fini)(fr_plugin_ctx *ctx);
} fr_plugin_descriptor;

#define FR_PLUGIN_SYMBOL "filrouge_plugin"

#define FR_PLUGIN(id_, version_, init_, fini_)                                                     \
    FR_EXTERN_C                                                                                    \
        __attribute__((visibility("default"))) const fr_plugin_descriptor filrouge_plugin = {      \
            FR_ABI_VERSION, sizeof(fr_plugin_descriptor), sizeof(fr_error), id_, version_, init_,  \
            fini_}

/* The plugin's id, as in its manifest. */
FR_API const char *fr_plugin_id(const fr_plugin_ctx *ctx);

/* A setting for this plugin from the site's site.xml, or NULL. Borrowed. */
FR_API const char *fr_plugin_setting(const fr_plugin_ctx *ctx, const char *name);

/* Registers a schema migration owned by the plugin (in addition to those its
 * manifest lists). Versions start at 1 and are applied in order, once. */
FR_API int fr_plugin_add_migration(fr_plugin_ctx *ctx, int version, const char *sql,
                                   fr_error *err);

/* Runs one SQL statement with `?` parameters on the site's database, for the
 * plugin's own tables (created by its migrations). Inside a synchronous
 * subscriber it joins the transaction of the event (and is undone with it);
 * outside any transaction (an asynchronous subscriber) it runs in one of its
 * own. types has one letter per parameter: 't' const char * (NULL binds SQL
 * NULL), 'i' int, 'I' int64_t, 'd' double, 'n' NULL (takes no argument). */
FR_API int fr_plugin_exec(fr_plugin_ctx *ctx, fr_error *err, const char *sql, const char *types,
                          ...);

/* Writes a line to the site's log under the plugin's name. */
FR_API void fr_plugin_log(fr_plugin_ctx *ctx, const char *fmt, ...) FR_PRINTF(2, 3);

/* "YYYY-MM-DD" and its terminating NUL. */
#define FR_DATE_SIZE 11

/* Today as the kernel sees it, the day it dates tasks, due dates and
 * timers by: the date in the site's time zone (site.xml clock.time-zone,
 * Europe/Brussels by default), or the one the
 * environment variable FILROUGE_NOW fixes ("2026-11-22" or
 * "2026-11-22T10:00:00Z"; tests, and an administrator replaying a day). Use
 * it rather than time(NULL), which ignores FILROUGE_NOW. Fills `date` ("2026-11-22") and `*weekday`
 * (counted as struct tm's tm_wday: 0 Sunday, 1 Monday … 6 Saturday); either
 * may be NULL. FR_EINVAL when FILROUGE_NOW does not begin with a valid date
 * (the message says what to write); nothing is written then.
 * Since symbol version FILROUGE_1.1 (Filrouge 0.1.0). */
FR_API int fr_plugin_today(const fr_plugin_ctx *ctx, char date[FR_DATE_SIZE], int *weekday,
                           fr_error *err);

#endif
