/* Plugins (kernel side of sdk/include/filrouge/plugin.h): discovery in the
 * search path, manifests (plugin.xml, schemas/plugin.xsd), dependency
 * resolution into a load order, dlopen of the optional C library with ABI
 * checks, init/fini, migrations, enable/disable per site.
 *
 * A plugin that cannot be loaded (bad manifest, missing dependency, version
 * conflict, cycle, ABI mismatch, init failure) is recorded as a problem with
 * a message; the site opens with the others. */
#ifndef FR_PLUGIN_INTERNAL_H
#define FR_PLUGIN_INTERNAL_H

#include <filrouge/plugin.h>

#include "settings.h"
#include "site.h"

/* A setting the plugin declares in its manifest (<setting name= type=
 * min= max= choices= default=>). */
typedef struct fr_plugin_setting_decl {
    char *name;
    fr_setting_rule rule; /* rule.choices points into the declaration */
    char *kind;           /* as written: text, number, whole, choice */
    char *choices;
    char *dflt;
    char *description; /* in the site's first language when available, or NULL */
} fr_plugin_setting_decl;

typedef struct fr_plugin_info {
    const char *id;
    const char *version;
    const char *description; /* in the site's first language when available */
    const char *dir;
    const char *abi;         /* core ABI the manifest says it needs */
    int has_library;
    int enabled;             /* enabled on this site (database) */
    int loaded;              /* loaded in this process */
    const char *problem;     /* why it is not loaded, or NULL */
    /* Other folders of the search path holding a plugin of the same id,
     * not used (the one above, found first, is), separated by "; "; or
     * NULL. */
    const char *shadowed;
    const fr_plugin_setting_decl *settings; /* declared in the manifest */
    int nsettings;
} fr_plugin_info;

/* Discovers plugins in the search path and loads the enabled ones, in
 * dependency order. Called by fr_site_open. */
int fr_plugins_open(fr_site *site, fr_error *err);
void fr_plugins_close(fr_site *site);

/* Every discovered plugin (and enabled plugins that were not found). The
 * array and its strings are borrowed from the site. */
int fr_plugins_list(fr_site *site, const fr_plugin_info **out, int *n);
const fr_plugin_info *fr_plugins_find(fr_site *site, const char *id);

/* The plugin settings of site.xml (<plugin id="…"><setting …>) against
 * the manifests: a plugin that is not in the search path, and for a plugin
 * that declares its settings, an unknown name (with the nearest declared)
 * or a value not of its kind, is FR_EINVAL naming site.xml's line and what
 * to write. Called by fr_site_open once the plugins are found. */
int fr_plugins_check_settings(fr_site *site, fr_error *err);

/* Enables a plugin for the site: checks its manifest and dependencies
 * (which must be enabled first — and loaded, in a process that loaded its
 * plugins), loads it in this process (library checks, init, migrations,
 * workflows), and only when that worked records and audits the change; a
 * failure leaves the site as it was (FR_ENOTFOUND, FR_EINVAL, FR_EVERSION,
 * FR_EREFUSED with the reason). Enabling a loaded plugin does nothing. */
int fr_plugins_enable(fr_site *site, const char *id, fr_error *err);
/* The same; when it worked, *warnings (if given) is NULL or what it found
 * that will refuse events, a line each at the workflow's file and line
 * (also in the site log): a guard-ref no loaded guard answers, a
 * <requires-form> whose form only a plugin not enabled ships. Free it. A
 * <requires-form> naming a form that neither the plugin, the site nor any
 * installed plugin provides refuses the enable (FR_EREFUSED). */
int fr_plugins_enable_report(fr_site *site, const char *id, char **warnings, fr_error *err);
/* Disables it: recorded and audited; its data stays; its subscribers and
 * guards are removed, then its fini runs (the library is not unloaded).
 * Refused while another enabled plugin requires it (FR_EREFUSED naming
 * them); FR_ECONFLICT when it is not enabled (disabled meanwhile). Not from
 * inside one of the plugin's own callbacks. */
int fr_plugins_disable(fr_site *site, const char *id, fr_error *err);

/* The plugin search path, in order: the site's plugins/ folder, site.xml's
 * plugin-path entries, $FILROUGE_PLUGIN_PATH (colon-separated), the build
 * tree (only for a program run from it), the install prefix. Duplicates are
 * dropped. *dirs is malloc'd, and so is each string: free them with
 * fr_plugins_search_path_free. */
int fr_plugins_search_path(fr_site *site, char ***dirs, int *n);
void fr_plugins_search_path_free(char **dirs, int n);

/* Calls fn(id, hooks_dir, data) for each plugin loaded in this process that
 * declares <hooks dir="…"/>, in load order (dependencies first); hooks_dir
 * is absolute and borrowed for the call. Stops at the first non-zero
 * return of fn and returns it. */
typedef int (*fr_plugin_hooks_fn)(const char *id, const char *hooks_dir, void *data);
int fr_plugins_each_hooks(fr_site *site, fr_plugin_hooks_fn fn, void *data);

/* Applies plugin `id`'s migrations (its manifest's, and those its library
 * added when loaded here) to site->store: used to build a plugin's tables
 * in another database (fr_site_migrate_store). FR_ENOTFOUND when no such
 * plugin is installed. */
int fr_plugins_migrate_owner(fr_site *site, const char *id, fr_error *err);

/* The site a plugin context belongs to (for the SDK glue in bus.c). */
fr_site *fr_plugin_ctx_site(const fr_plugin_ctx *ctx);

/* Checks a plugin folder without a site, for its author: the manifest
 * against the XSD, its workflow files, and — in a forked child, so that a
 * crashing library cannot take the caller down — that its library loads,
 * carries the right ABI and the manifest's id. Every problem is reported
 * (FR_EINVAL, one line each, file:line where there is one). */
int fr_plugin_check_dir(const char *dir, fr_error *err);
/* The same; on failure *report (when not NULL) holds every problem, each
 * definition's in full, one per line (err holds what fits in it). The
 * caller frees *report. */
int fr_plugin_check_dir_report(const char *dir, char **report, fr_error *err);
/* For a folder that passed the check: the names its workflows take from
 * elsewhere, which only `plugin enable` can check against a site, one note
 * a line into *notes (freed by the caller; NULL when none): a
 * <requires-form> of a form the plugin does not ship, a guard-ref="py:…"
 * that no .py file of its hooks folder names. 1 when there are notes. */
int fr_plugin_check_names(const char *dir, char **notes);

#endif
