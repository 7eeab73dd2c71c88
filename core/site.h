/* A site: one service's installation — its site.xml, its database, its
 * enabled plugins and hooks. fr_site is the handle every kernel operation
 * takes; it carries the acting user so that access checks and the audit
 * trail always know who is acting. One fr_site is used by one thread. */
#ifndef FR_SITE_H
#define FR_SITE_H

#include <stdint.h>

#include <filrouge/error.h>

#include "store.h"

typedef struct fr_plugins fr_plugins;     /* plugin.c */
typedef struct fr_bus fr_bus;             /* bus.c */
typedef struct fr_workflows fr_workflows; /* workflow.c */
typedef struct fr_python fr_python;       /* python.c */
typedef struct fr_forms fr_forms;         /* formreg.c */

typedef struct fr_setting {
    char *plugin;
    char *name;
    char *value;
    long line; /* in site.xml */
} fr_setting;

typedef struct fr_site {
    char *dir;
    char *config_path;
    char *name;
    char *languages[8];
    int nlanguages;
    char *db_path;
    char *listen;
    char **plugin_paths; /* from site.xml, resolved against dir */
    int nplugin_paths;
    fr_setting *settings;
    int nsettings;

    fr_store *store;

    /* The acting user: a login, or "system" for the kernel itself (tick,
     * delivery) and the local administrator's CLI without --as. */
    char actor[128];
    int64_t actor_id; /* 0 for system */
    char actor_role[16]; /* "admin", "case_manager", "provider", "read_only" */
    /* The acting user's language (users.language; the web server sets the
     * request's language), for messages that rules and hooks write for
     * them. The system's: the site's first language. */
    char actor_lang[4];
    /* When set, a refused access to a case becomes an audited break-glass
     * access with this reason (CLI --break-glass, API header). Borrowed. */
    const char *break_glass_reason;

    fr_plugins *plugins;
    fr_bus *bus;
    fr_workflows *workflows;
    fr_python *python; /* NULL while the site has no Python hooks */
    fr_forms *forms;
} fr_site;

typedef struct fr_site_init_options {
    const char *name;      /* default: the folder's name */
    const char *languages; /* default: "fr nl de en" */
    const char *database;  /* default: "filrouge.db" in the folder; or a postgresql:// URI
                              naming an empty database (docs/postgresql.md) */
} fr_site_init_options;

/* Creates a site in `dir` (created if missing; refused if it already holds a
 * site.xml): site.xml, the database with the core schema, hooks/, plugins/. */
int fr_site_init(const char *dir, const fr_site_init_options *opt, fr_error *err);

typedef struct fr_site_open_options {
    int no_plugins; /* open the record only (used by `plugin` repair commands) */
    int no_hooks;   /* load no Python hook (`hooks check` runs them in a child process) */
} fr_site_open_options;

/* Opens a site: reads and validates site.xml, opens the database, applies
 * core migrations, then loads the enabled plugins. A plugin that cannot be
 * loaded is reported by the plugin part and does not stop the site. */
int fr_site_open(const char *dir, const fr_site_open_options *opt, fr_site **out, fr_error *err);
void fr_site_close(fr_site *site);

/* Opens `old`'s site afresh (a running server's reload: plugins enabled or
 * disabled, definitions and hooks changed on disk), refusing it when a
 * plugin that `old` runs is still enabled but would not load: a broken
 * workflow, form, manifest or library must not silently stop what works.
 * Then FR_EREFUSED, err naming each such plugin and its problem, one per
 * line ("plugin ID: problem"), and the caller keeps `old`. Hook files are
 * kept one by one instead (fr_python_open). */
int fr_site_reopen(fr_site *old, fr_site **out, fr_error *err);

/* Sets the acting user by login (must exist and be active) or "system",
 * and actor_lang to the user's language (the system: the site's first). */
int fr_site_set_actor(fr_site *site, const char *login, fr_error *err);

/* The same for a user the caller has just read, active, from the users
 * table in the same snapshot (the web server's session or token, joined
 * with users): no query. */
void fr_site_set_actor_read(fr_site *site, int64_t id, const char *login, const char *role,
                            const char *lang);

/* A setting from site.xml for a plugin (NULL plugin: site-wide), or NULL. */
const char *fr_site_setting(const fr_site *site, const char *plugin, const char *name);

/* Appends a line "YYYY-MM-DDTHH:MM:SSZ [who] message" to the site's log
 * (<site>/filrouge.log; $FILROUGE_LOG overrides the path, "-" is stderr).
 * Never give it a secret or clinical content beyond ids. */
void fr_site_log(const fr_site *site, const char *who, const char *fmt, ...) FR_PRINTF(3, 4);
/* The log fr_site_log writes, as messages name it for people, into out:
 * "filrouge.log" (in the site's folder), $FILROUGE_LOG (relative to the
 * site's folder when in it) or "stderr" (for "-"). */
const char *fr_site_log_name(const fr_site *site, char *out, size_t size);

/* Backs the site up into the folder `dest` (created; refused when it
 * exists): a consistent copy of the database taken while the site may be in
 * use, site.xml and the site's folders hooks/, forms/ and plugins/ (the
 * site's own). Audited ("backup"), administrators. */
int fr_site_backup(fr_site *site, const char *dest, fr_error *err);

/* Restores the backup folder `backup` into the site folder `dir` (which
 * nobody may be using): the backup is checked first (a sound database, not
 * from a newer Filrouge, an intact audit chain), the current database is
 * kept beside as filrouge.db.before-restore-TIME, and site.xml, hooks/,
 * forms/ and plugins/ are restored only where the site has none (a new
 * machine; otherwise the site's own are kept). The restore is audited in
 * the restored database. */
int fr_site_restore(const char *backup, const char *dir, fr_error *err);

/* dir/rel, or rel itself when it is absolute (malloc'd; NULL when out of
 * memory). */
char *fr_path_join(const char *dir, const char *rel);

/* Core schema migrations (embedded). */
int fr_site_migrate_core(fr_store *store, fr_error *err);

/* Copies the site's record into the empty database `to_location` (e.g. a
 * postgresql:// URI): the same schema made for that backend (the core's
 * and every plugin's that has tables), every row with its id, one audit
 * entry "migrate-store"; then checks row counts table by table and the
 * audit chain there. The site keeps using its own database until site.xml
 * names the new one. *report: {to, rows: {table: n}, audit_entries}.
 * Administrators only (or "system"). */
int fr_site_migrate_store(fr_site *site, const char *to_location, json_t **report, fr_error *err);

#endif
