/* Plugins: discovery in the search path, manifests (plugin.xml), dependency
 * resolution into a load order, dlopen with ABI checks, init/fini,
 * migrations and workflows of each plugin, enable/disable per site, the
 * out-of-process check of a plugin folder, and the SDK calls of
 * sdk/include/filrouge/plugin.h.
 *
 * It leaves events to bus.c and workflow definitions and guards to
 * workflow.c: a plugin's registrations there are removed by owner. */
#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filrouge/bus.h>
#include <filrouge/workflow.h>

#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "form.h"
#include "python.h"
#include "wfdef.h"
#include "workflow.h"
#include "xmldoc.h"

#ifndef FR_PLUGIN_DIR
#define FR_PLUGIN_DIR "/usr/local/lib/filrouge/plugins"
#endif
#ifndef FR_BUILD_PLUGIN_DIR
#define FR_BUILD_PLUGIN_DIR ""
#endif
#ifndef FR_BUILD_ROOT
#define FR_BUILD_ROOT "/nonexistent"
#endif

typedef struct requirement {
    char *plugin;
    char *min;   /* included, or NULL */
    char *below; /* excluded, or NULL */
} requirement;

typedef struct manifest_migration {
    int version;
    char *file;
} manifest_migration;

typedef struct plugin {
    fr_plugin_info info; /* refreshed from the fields below when asked for */

    char *id;
    char *version;
    char *description;
    char *dir;
    char *abi;
    char *library; /* <library name=…>, or NULL */
    char **workflows;
    int nworkflows;
    char **forms; /* <form file=…>, loaded with the workflows */
    int nforms;
    char *hooks;
    requirement *reqs;
    int nreqs;
    manifest_migration *migs;
    int nmigs;
    fr_plugin_setting_decl *settings;
    int nsettings;
    int manifest_ok;

    int enabled; /* on this site (table plugins) */
    int loaded;  /* in this process */
    int problem_code;
    char *problem;
    char *shadowed; /* fr_plugin_info.shadowed */

    int mark; /* depth-first search state: 0 new, 1 on the stack, 2 done */
    void *handle;
    const fr_plugin_descriptor *desc;
    fr_plugin_ctx *ctx;
    int initialized; /* init succeeded and fini is still owed */
    int load_seq;
} plugin;

struct fr_plugin_ctx {
    fr_site *site;
    plugin *p;
    int in_init;
    fr_migration *extra; /* from fr_plugin_add_migration */
    int nextra;
};

struct fr_plugins {
    plugin **items;
    int n, cap;
    fr_plugin_info *infos;
    int seq;
    int opened; /* fr_plugins_open ran: enabled plugins are loaded here */
};

/* ---- small helpers ---- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *g = realloc(buf, cap);
            if (!g) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = g;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* Appends a line (or several) to a growing report. */
static void note(char **all, const char *text)
{
    size_t have = *all ? strlen(*all) : 0, add = strlen(text);
    char *g = realloc(*all, have + add + 2);
    if (!g)
        return;
    if (have)
        g[have++] = '\n';
    memcpy(g + have, text, add + 1);
    *all = g;
}

/* Appends a line to a message buffer (for the problems of a check). */
static void add_line(char *buf, size_t size, const char *fmt, ...) FR_PRINTF(3, 4);
static void add_line(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 2 >= size)
        return;
    if (len)
        buf[len++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/* Appends to a message buffer, cutting what does not fit. */
static void append(char *buf, size_t size, const char *fmt, ...) FR_PRINTF(3, 4);
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/* "1.2" or "1.2.3" into three numbers; 0 on success. */
static int parse_version(const char *s, long v[3])
{
    v[0] = v[1] = v[2] = 0;
    if (!s)
        return -1;
    char *end;
    for (int i = 0; i < 3; i++) {
        v[i] = strtol(s, &end, 10);
        if (end == s)
            return -1;
        if (*end == '\0')
            return 0;
        if (*end != '.')
            return -1;
        s = end + 1;
    }
    return -1;
}

static int version_cmp(const char *a, const char *b)
{
    long x[3], y[3];
    parse_version(a, x);
    parse_version(b, y);
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* ---- manifests ---- */

static void plugin_free_manifest(plugin *p)
{
    free(p->id);
    free(p->version);
    free(p->description);
    free(p->dir);
    free(p->abi);
    free(p->library);
    for (int i = 0; i < p->nworkflows; i++)
        free(p->workflows[i]);
    free(p->workflows);
    for (int i = 0; i < p->nforms; i++)
        free(p->forms[i]);
    free(p->forms);
    free(p->hooks);
    for (int i = 0; i < p->nreqs; i++) {
        free(p->reqs[i].plugin);
        free(p->reqs[i].min);
        free(p->reqs[i].below);
    }
    free(p->reqs);
    for (int i = 0; i < p->nmigs; i++)
        free(p->migs[i].file);
    free(p->migs);
    for (int i = 0; i < p->nsettings; i++) {
        fr_plugin_setting_decl *d = &p->settings[i];
        free(d->name);
        free(d->kind);
        free(d->choices);
        free(d->dflt);
        free(d->description);
    }
    free(p->settings);
}

/* A <setting> of the manifest into p->settings. */
static int parse_setting_decl(xmlNodePtr n, const char *lang, plugin *p)
{
    fr_plugin_setting_decl *g = realloc(p->settings, (p->nsettings + 1) * sizeof *g);
    if (!g)
        return FR_ENOMEM;
    p->settings = g;
    fr_plugin_setting_decl *d = &p->settings[p->nsettings++];
    memset(d, 0, sizeof *d);
    d->name = fr_xml_attr(n, "name");
    d->kind = fr_xml_attr(n, "type");
    d->choices = fr_xml_attr(n, "choices");
    d->dflt = fr_xml_attr(n, "default");
    char *min = fr_xml_attr(n, "min"), *max = fr_xml_attr(n, "max");
    const char *k = d->kind ? d->kind : "text";
    d->rule.kind = strcmp(k, "number") == 0   ? FR_SETTING_NUMBER
                   : strcmp(k, "whole") == 0  ? FR_SETTING_WHOLE
                   : strcmp(k, "choice") == 0 ? FR_SETTING_CHOICE
                                              : FR_SETTING_TEXT;
    d->rule.min = min ? strtod(min, NULL) : -1e15;
    d->rule.max = max ? strtod(max, NULL) : 1e15;
    d->rule.choices = d->choices;
    d->rule.example = d->dflt;
    free(min);
    free(max);
    char *first = NULL;
    for (xmlNodePtr t = fr_xml_child(n, "description"); t;
         t = fr_xml_next(t->next, "description")) {
        char *l = fr_xml_attr(t, "lang");
        char *text = fr_xml_text(t);
        if (!first && text)
            first = strdup(text);
        if (!d->description && lang && l && strcmp(l, lang) == 0) {
            d->description = text;
            text = NULL;
        }
        free(l);
        free(text);
    }
    if (!d->description)
        d->description = first;
    else
        free(first);
    return 0;
}

static int push_str(char ***arr, int *n, char *s)
{
    char **g = realloc(*arr, (*n + 1) * sizeof *g);
    if (!g) {
        free(s);
        return FR_ENOMEM;
    }
    *arr = g;
    (*arr)[(*n)++] = s;
    return 0;
}

/* Reads dir/plugin.xml into p (whose fields must be empty). lang: the
 * preferred language of the description, or NULL. */
static int parse_manifest(const char *dir, const char *lang, plugin *p, fr_error *err)
{
    char *path = fr_path_join(dir, "plugin.xml");
    if (!path)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    xmlDocPtr doc;
    int rc = fr_xml_load(path, "schemas/plugin.xsd", &doc, err);
    free(path);
    if (rc)
        return rc;
    p->dir = strdup(dir);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    p->id = fr_xml_attr(root, "id");
    p->version = fr_xml_attr(root, "version");
    p->abi = fr_xml_attr(root, "abi");
    char *first_desc = NULL;
    for (xmlNodePtr n = fr_xml_next(root->children, NULL); n && !rc;
         n = fr_xml_next(n->next, NULL)) {
        const char *tag = (const char *)n->name;
        if (strcmp(tag, "description") == 0) {
            char *l = fr_xml_attr(n, "lang");
            char *text = fr_xml_text(n);
            if (!first_desc)
                first_desc = text ? strdup(text) : NULL;
            if (!p->description && lang && l && strcmp(l, lang) == 0) {
                p->description = text;
                text = NULL;
            }
            free(l);
            free(text);
        } else if (strcmp(tag, "requires") == 0) {
            requirement *g = realloc(p->reqs, (p->nreqs + 1) * sizeof *g);
            if (!g) {
                rc = FR_ENOMEM;
                break;
            }
            p->reqs = g;
            requirement *r = &p->reqs[p->nreqs++];
            r->plugin = fr_xml_attr(n, "plugin");
            r->min = fr_xml_attr(n, "min-version");
            r->below = fr_xml_attr(n, "below-version");
        } else if (strcmp(tag, "library") == 0) {
            p->library = fr_xml_attr(n, "name");
        } else if (strcmp(tag, "workflow") == 0) {
            rc = push_str(&p->workflows, &p->nworkflows, fr_xml_attr(n, "file"));
        } else if (strcmp(tag, "form") == 0) {
            rc = push_str(&p->forms, &p->nforms, fr_xml_attr(n, "file"));
        } else if (strcmp(tag, "hooks") == 0) {
            p->hooks = fr_xml_attr(n, "dir");
        } else if (strcmp(tag, "migration") == 0) {
            manifest_migration *g = realloc(p->migs, (p->nmigs + 1) * sizeof *g);
            if (!g) {
                rc = FR_ENOMEM;
                break;
            }
            p->migs = g;
            char *v = fr_xml_attr(n, "version"), *end = NULL;
            /* The schema says positiveInteger, without an upper bound: a
             * number too large is kept as 0, refused by migrate() and by
             * the check of the folder. */
            errno = 0;
            long mv = v ? strtol(v, &end, 10) : 0;
            p->migs[p->nmigs].version = errno || mv > INT_MAX || mv < 1 ? 0 : (int)mv;
            p->migs[p->nmigs].file = fr_xml_attr(n, "file");
            p->nmigs++;
            free(v);
        } else if (strcmp(tag, "setting") == 0) {
            rc = parse_setting_decl(n, lang, p);
        }
    }
    if (!p->description) {
        p->description = first_desc;
        first_desc = NULL;
    }
    free(first_desc);
    xmlFreeDoc(doc);
    if (rc)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    p->manifest_ok = 1;
    return 0;
}

static int manifest_abi_ok(const plugin *p, fr_error *err)
{
    char *end = NULL;
    errno = 0;
    long abi = p->abi ? strtol(p->abi, &end, 10) : -1;
    if (p->abi && !errno && end != p->abi && *end == '\0' && abi == FR_ABI_VERSION)
        return 0;
    return fr_error_set(err, FR_EVERSION,
                        "plugin %s was built for ABI %s, this Filrouge provides ABI %d: rebuild "
                        "it against Filrouge %s",
                        p->id, p->abi ? p->abi : "(none)", FR_ABI_VERSION, FR_VERSION_STRING);
}

/* The checks made on a library's descriptor, in the loader and in the
 * checking child. The first three fields are read before anything else:
 * their layout is the one thing every ABI version shares. */
static int check_descriptor(const char *manifest_id, const char *lib, const fr_plugin_descriptor *d,
                            fr_error *err)
{
    if (d->abi_version != FR_ABI_VERSION)
        return fr_error_set(err, FR_EVERSION,
                            "plugin %s was built for ABI %u, this Filrouge provides ABI %d: "
                            "rebuild it against Filrouge %s",
                            manifest_id, d->abi_version, FR_ABI_VERSION, FR_VERSION_STRING);
    if (d->descriptor_size != sizeof(fr_plugin_descriptor) || d->error_size != sizeof(fr_error))
        return fr_error_set(err, FR_EVERSION,
                            "plugin %s was built with other struct sizes (descriptor %u bytes, "
                            "fr_error %u bytes) than this Filrouge, ABI %d (descriptor %zu bytes, "
                            "fr_error %zu bytes): rebuild it against Filrouge %s",
                            manifest_id, d->descriptor_size, d->error_size, FR_ABI_VERSION,
                            sizeof(fr_plugin_descriptor), sizeof(fr_error), FR_VERSION_STRING);
    if (!d->id || strcmp(d->id, manifest_id) != 0)
        return fr_error_set(err, FR_EINVAL,
                            "%s declares the plugin id '%s' but its manifest says '%s'; they "
                            "must be the same",
                            lib, d->id ? d->id : "(none)", manifest_id);
    return 0;
}

/* ---- the registry of discovered plugins ---- */

static plugin *find(fr_plugins *P, const char *id)
{
    for (int i = 0; P && i < P->n; i++)
        if (P->items[i]->id && strcmp(P->items[i]->id, id) == 0)
            return P->items[i];
    return NULL;
}

static int add_plugin(fr_plugins *P, plugin *p)
{
    if (P->n == P->cap) {
        int cap = P->cap ? P->cap * 2 : 16;
        plugin **g = realloc(P->items, cap * sizeof *g);
        if (!g)
            return FR_ENOMEM;
        P->items = g;
        P->cap = cap;
    }
    P->items[P->n++] = p;
    return 0;
}

static void refresh_info(plugin *p)
{
    fr_plugin_info *i = &p->info;
    i->id = p->id;
    i->version = p->version;
    i->description = p->description;
    i->dir = p->dir;
    i->abi = p->abi;
    i->has_library = p->library != NULL;
    i->enabled = p->enabled;
    i->loaded = p->loaded;
    i->problem = p->problem;
    i->shadowed = p->shadowed;
    i->settings = p->settings;
    i->nsettings = p->nsettings;
}

/* Records why p is not loaded (the first reason only) and, for a plugin the
 * site wants, writes it to the site's log. Returns code. */
static int set_problem(fr_site *site, plugin *p, int code, const char *msg)
{
    if (p->problem)
        return p->problem_code;
    p->problem = strdup(msg);
    p->problem_code = code;
    if (p->enabled)
        fr_site_log(site, p->id, "not loaded: %s", msg);
    return code;
}

static void clear_problem(plugin *p)
{
    free(p->problem);
    p->problem = NULL;
    p->problem_code = 0;
}

static int ctx_reset(plugin *p, fr_site *site)
{
    if (!p->ctx) {
        p->ctx = calloc(1, sizeof *p->ctx);
        if (!p->ctx)
            return FR_ENOMEM;
    }
    for (int i = 0; i < p->ctx->nextra; i++)
        free((char *)p->ctx->extra[i].sql);
    free(p->ctx->extra);
    p->ctx->extra = NULL;
    p->ctx->nextra = 0;
    p->ctx->site = site;
    p->ctx->p = p;
    p->ctx->in_init = 0;
    return 0;
}

static void plugin_free(plugin *p)
{
    if (!p)
        return;
    if (p->ctx) {
        for (int i = 0; i < p->ctx->nextra; i++)
            free((char *)p->ctx->extra[i].sql);
        free(p->ctx->extra);
        free(p->ctx);
    }
    if (p->handle)
        dlclose(p->handle);
    plugin_free_manifest(p);
    free(p->problem);
    free(p->shadowed);
    free(p);
}

void fr_plugins_search_path_free(char **dirs, int n)
{
    for (int i = 0; i < n; i++)
        free(dirs[i]);
    free(dirs);
}

static int push_dir(char ***dirs, int *n, const char *dir)
{
    if (!dir || !*dir)
        return 0;
    for (int i = 0; i < *n; i++)
        if (strcmp((*dirs)[i], dir) == 0)
            return 0;
    char *copy = strdup(dir);
    if (!copy)
        return FR_ENOMEM;
    return push_str(dirs, n, copy);
}

/* The build tree's plugins are searched only by a program that runs from
 * the build tree: an installed program must not pick up a stale build. */
static int running_from_build_tree(void)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return 0;
    exe[len] = '\0';
    size_t root = strlen(FR_BUILD_ROOT);
    return strncmp(exe, FR_BUILD_ROOT, root) == 0 && exe[root] == '/';
}

int fr_plugins_search_path(fr_site *site, char ***dirs, int *n)
{
    *dirs = NULL;
    *n = 0;
    int rc = 0;
    if (site && site->dir) {
        char *own = fr_path_join(site->dir, "plugins");
        rc = own ? push_dir(dirs, n, own) : FR_ENOMEM;
        free(own);
    }
    for (int i = 0; !rc && site && i < site->nplugin_paths; i++)
        rc = push_dir(dirs, n, site->plugin_paths[i]);
    const char *env = getenv("FILROUGE_PLUGIN_PATH");
    if (!rc && env && *env) {
        char *copy = strdup(env), *save = NULL;
        if (!copy)
            rc = FR_ENOMEM;
        for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t && !rc;
             t = strtok_r(NULL, ":", &save))
            rc = push_dir(dirs, n, t);
        free(copy);
    }
    /* A program run from the build tree uses the tree's plugins before any
     * installed ones (an older installation must not shadow them); an
     * installed program never looks at a build tree. */
    int in_tree = running_from_build_tree();
    if (!rc && in_tree)
        rc = push_dir(dirs, n, FR_BUILD_PLUGIN_DIR);
    if (!rc)
        rc = push_dir(dirs, n, FR_PLUGIN_DIR);
    if (rc) {
        fr_plugins_search_path_free(*dirs, *n);
        *dirs = NULL;
        *n = 0;
    }
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every folder holding a plugin.xml, in search-path order; the first found
 * for an id wins. A broken manifest is kept under its folder's name, with
 * the parser's messages as its problem. */
static int discover(fr_site *site, fr_plugins *P, fr_error *err)
{
    char **dirs;
    int ndirs, rc = 0;
    if (fr_plugins_search_path(site, &dirs, &ndirs))
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    const char *lang = site && site->nlanguages > 0 ? site->languages[0] : NULL;
    for (int d = 0; d < ndirs && !rc; d++) {
        struct dirent **names;
        int count = scandir(dirs[d], &names, NULL, by_name);
        if (count < 0)
            continue; /* a folder of the path that does not exist is fine */
        for (int i = 0; i < count; i++) {
            const char *name = names[i]->d_name;
            char *dir = NULL, *manifest = NULL;
            if (name[0] != '.' && !rc) {
                dir = fr_path_join(dirs[d], name);
                manifest = dir ? fr_path_join(dir, "plugin.xml") : NULL;
            }
            if (manifest && access(manifest, F_OK) == 0) {
                plugin *p = calloc(1, sizeof *p);
                fr_error perr = {0};
                if (!p) {
                    rc = fr_error_set(err, FR_ENOMEM, "out of memory");
                } else if (parse_manifest(dir, lang, p, &perr) != 0) {
                    plugin_free_manifest(p);
                    memset(p, 0, sizeof *p);
                    p->id = strdup(name);
                    p->dir = strdup(dir);
                    p->problem = strdup(perr.message);
                    p->problem_code = perr.code ? perr.code : FR_EINVAL;
                }
                plugin *first = p ? find(P, p->id) : NULL;
                if (first) {
                    /* Shadowed by a plugin of the same id earlier in the
                     * path (a site's own copy before the installed one,
                     * or a copy left beside it): said, not silent. */
                    size_t have = first->shadowed ? strlen(first->shadowed) : 0;
                    char *more = realloc(first->shadowed, have + strlen(dir) + 3);
                    if (more) {
                        sprintf(more + have, "%s%s", have ? "; " : "", dir);
                        first->shadowed = more;
                    }
                    plugin_free(p);
                } else if (p && add_plugin(P, p)) {
                    plugin_free(p);
                }
            }
            free(dir);
            free(manifest);
            free(names[i]);
        }
        free(names);
    }
    fr_plugins_search_path_free(dirs, ndirs);
    return rc;
}

static int read_enabled(fr_site *site, fr_plugins *P, fr_error *err);

/* Discovery and the site's choices, without loading anything: enough for
 * listing, enabling and disabling in a site opened without plugins. */
static int ensure_plugins(fr_site *site, fr_error *err)
{
    if (site->plugins)
        return 0;
    fr_plugins *P = calloc(1, sizeof *P);
    if (!P)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    site->plugins = P;
    int rc = discover(site, P, err);
    if (!rc)
        rc = read_enabled(site, P, err);
    return rc;
}

/* ---- dependencies ---- */

static void describe_range(const requirement *r, char *out, size_t size)
{
    if (r->min && r->below)
        snprintf(out, size, "version %s or newer and below %s", r->min, r->below);
    else if (r->min)
        snprintf(out, size, "version %s or newer", r->min);
    else if (r->below)
        snprintf(out, size, "a version below %s", r->below);
    else
        snprintf(out, size, "any version");
}

/* The first unmet requirement of p, given what is enabled (need_loaded:
 * what is loaded in this process). 0 when all are met. */
static int check_requirements(fr_plugins *P, const plugin *p, int need_loaded, fr_error *err)
{
    for (int i = 0; i < p->nreqs; i++) {
        const requirement *r = &p->reqs[i];
        const plugin *t = find(P, r->plugin);
        if (!t || !t->dir)
            return fr_error_set(err, FR_EREFUSED,
                                "plugin %s requires plugin '%s', which is not installed (not "
                                "found in the plugin search path): install it and enable it "
                                "first",
                                p->id, r->plugin);
        if (!t->enabled || (need_loaded && !t->loaded && !t->problem))
            return fr_error_set(err, FR_EREFUSED,
                                "plugin %s requires plugin '%s', which is not enabled on this "
                                "site: enable %s first",
                                p->id, r->plugin, r->plugin);
        if (t->version && ((r->min && version_cmp(t->version, r->min) < 0) ||
                           (r->below && version_cmp(t->version, r->below) >= 0))) {
            char range[128];
            describe_range(r, range, sizeof range);
            return fr_error_set(err, FR_EVERSION,
                                "plugin %s requires plugin '%s' %s, but %s %s is installed: "
                                "install a version of %s in that range, or a version of %s "
                                "that works with %s %s",
                                p->id, r->plugin, range, r->plugin, t->version, r->plugin, p->id,
                                r->plugin, t->version);
        }
        if (t->problem || (need_loaded && !t->loaded))
            return fr_error_set(err, FR_EREFUSED,
                                "plugin %s requires plugin '%s', which cannot be loaded (see "
                                "its problem in `filrouge plugin list`)",
                                p->id, r->plugin);
    }
    return 0;
}

static int wanted(const plugin *p)
{
    return p->enabled && !p->problem;
}

/* Marks every member of a requirement cycle among the wanted plugins. */
static void find_cycles(fr_site *site, fr_plugins *P, plugin *p, plugin **stack, int depth)
{
    p->mark = 1;
    stack[depth] = p;
    for (int i = 0; i < p->nreqs; i++) {
        plugin *t = find(P, p->reqs[i].plugin);
        if (!t || !t->enabled)
            continue;
        if (t->mark == 1) {
            int start = depth;
            while (start > 0 && stack[start] != t)
                start--;
            char cycle[FR_ERROR_MAX] = "";
            for (int j = start; j <= depth; j++)
                append(cycle, sizeof cycle, "%s -> ", stack[j]->id);
            append(cycle, sizeof cycle, "%s", t->id);
            for (int j = start; j <= depth; j++) {
                char msg[FR_ERROR_MAX];
                snprintf(msg, sizeof msg,
                         "plugin %s is part of a requirement cycle (%s): none of them can be "
                         "loaded first; remove one of these <requires>",
                         stack[j]->id, cycle);
                set_problem(site, stack[j], FR_EREFUSED, msg);
            }
        } else if (t->mark == 0) {
            find_cycles(site, P, t, stack, depth + 1);
        }
    }
    p->mark = 2;
}

static int topo_visit(fr_plugins *P, plugin *p, plugin **order, int *n)
{
    if (p->mark)
        return 0;
    p->mark = 1;
    for (int i = 0; i < p->nreqs; i++) {
        plugin *t = find(P, p->reqs[i].plugin);
        if (t && wanted(t))
            topo_visit(P, t, order, n);
    }
    order[(*n)++] = p;
    return 0;
}

/* ---- loading ---- */

static void unload(fr_site *site, plugin *p)
{
    fr_bus_remove_owner(site, p->id);
    fr_workflows_remove_owner(site, p->id);
    fr_forms_remove_owner(site, p->id);
    if (p->initialized && p->desc && p->desc->fini)
        p->desc->fini(p->ctx);
    p->initialized = 0;
    p->loaded = 0;
}

static int migrate(fr_site *site, plugin *p, fr_error *err)
{
    int nextra = p->ctx ? p->ctx->nextra : 0;
    int n = p->nmigs + nextra, rc = 0;
    fr_migration *m = calloc(n ? n : 1, sizeof *m);
    char **texts = calloc(p->nmigs ? p->nmigs : 1, sizeof *texts);
    if (!m || !texts) {
        free(m);
        free(texts);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    for (int i = 0; i < p->nmigs && !rc; i++) {
        char *path = fr_path_join(p->dir, p->migs[i].file);
        texts[i] = path ? read_text(path) : NULL;
        if (!texts[i])
            rc = fr_error_set(err, FR_EIO, "%s: cannot read the migration file (%s)",
                              path ? path : p->migs[i].file, strerror(errno));
        m[i].version = p->migs[i].version;
        m[i].name = p->migs[i].file;
        m[i].sql = texts[i];
        free(path);
    }
    for (int i = 0; i < nextra; i++)
        m[p->nmigs + i] = p->ctx->extra[i];
    for (int i = 0; i < p->nmigs && !rc; i++)
        if (m[i].version < 1)
            rc = fr_error_set(err, FR_EINVAL,
                              "plugin %s: the version of migration %s is not a number from 1 to "
                              "%d; number migrations 1, 2, 3… in plugin.xml",
                              p->id, m[i].name, INT_MAX);
    for (int i = 0; i < n && !rc; i++)
        for (int j = i + 1; j < n && !rc; j++)
            if (m[i].version == m[j].version)
                rc = fr_error_set(err, FR_EINVAL,
                                  "plugin %s has two migrations with version %d (%s and %s); "
                                  "give each its own version",
                                  p->id, m[i].version, m[i].name, m[j].name);
    if (!rc)
        rc = fr_store_migrate(site->store, p->id, m, n, err);
    for (int i = 0; i < p->nmigs; i++)
        free(texts[i]);
    free(texts);
    free(m);
    return rc;
}

int fr_plugins_migrate_owner(fr_site *site, const char *id, fr_error *err)
{
    plugin *p = site->plugins ? find(site->plugins, id) : NULL;
    if (!p)
        return fr_error_set(err, FR_ENOTFOUND,
                            "the database holds tables of plugin %s, which is not installed "
                            "here: install it (plugin path in site.xml) so that its tables can "
                            "be made; nothing was changed",
                            id);
    return migrate(site, p, err);
}

/* A plugin's definitions, read from its files before anything is written. */
typedef struct definitions {
    fr_workflow **wfs;
    fr_form **forms;
    int nwfs, nforms;
} definitions;

static void definitions_free(definitions *d)
{
    for (int i = 0; i < d->nwfs; i++)
        fr_workflow_free(d->wfs[i]);
    for (int i = 0; i < d->nforms; i++)
        fr_form_free(d->forms[i]);
    free(d->wfs);
    free(d->forms);
    memset(d, 0, sizeof *d);
}

/* Parses and checks every workflow and form file of p. A file with errors
 * stops the plugin before its library starts, its migrations run or any
 * definition is stored: a definition once stored cannot change under its
 * version, so a plugin that never loaded must not leave one behind. */
static int read_definitions(plugin *p, definitions *d, fr_error *err)
{
    memset(d, 0, sizeof *d);
    d->wfs = calloc((size_t)p->nworkflows + 1, sizeof *d->wfs);
    d->forms = calloc((size_t)p->nforms + 1, sizeof *d->forms);
    if (!d->wfs || !d->forms) {
        definitions_free(d);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (int i = 0; i < p->nworkflows && !rc; i++) {
        char *path = fr_path_join(p->dir, p->workflows[i]);
        rc = path ? fr_workflow_load_file(path, &d->wfs[d->nwfs], err)
                  : fr_error_set(err, FR_ENOMEM, "out of memory");
        if (!rc)
            d->nwfs++;
        free(path);
    }
    for (int i = 0; i < p->nforms && !rc; i++) {
        char *path = fr_path_join(p->dir, p->forms[i]);
        rc = path ? fr_form_load_file(path, &d->forms[d->nforms], err)
                  : fr_error_set(err, FR_ENOMEM, "out of memory");
        if (!rc)
            d->nforms++;
        free(path);
    }
    if (rc)
        definitions_free(d);
    return rc;
}

/* Registers (and stores, when new) the definitions read; each one is
 * handed over, used or freed, whatever happens. */
static int add_definitions(fr_site *site, plugin *p, definitions *d, fr_error *err)
{
    int rc = 0;
    for (int i = 0; i < d->nwfs; i++) {
        fr_workflow *wf = d->wfs[i];
        d->wfs[i] = NULL;
        if (rc)
            fr_workflow_free(wf);
        else
            rc = fr_workflows_add(site, p->id, wf, err);
    }
    for (int i = 0; i < d->nforms; i++) {
        fr_form *f = d->forms[i];
        d->forms[i] = NULL;
        if (rc)
            fr_form_free(f);
        else
            rc = fr_forms_add(site, p->id, f, err);
    }
    definitions_free(d);
    return rc;
}

/* Loads p in this process: library and descriptor checks, init, migrations
 * (the manifest's and those init registered, together, after init), then
 * workflows and forms. On failure nothing of p stays registered; err says why. */
static int load(fr_site *site, plugin *p, fr_error *err)
{
    fr_plugins *P = site->plugins;
    int rc = check_requirements(P, p, P->opened, err);
    if (rc)
        return rc;
    definitions defs;
    if ((rc = read_definitions(p, &defs, err)))
        return rc;
    if ((rc = ctx_reset(p, site))) {
        definitions_free(&defs);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    p->desc = NULL;
    if (p->library) {
        char name[512];
        snprintf(name, sizeof name, "lib%s.so", p->library);
        char *lib = fr_path_join(p->dir, name);
        if (!lib) {
            definitions_free(&defs);
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        }
        if (!p->handle) {
            dlerror();
            p->handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
            if (!p->handle) {
                const char *why = dlerror();
                rc = fr_error_set(err, FR_EINVAL,
                                  "cannot load the library of plugin %s: %s; check it with "
                                  "`filrouge plugin check %s`",
                                  p->id, why ? why : lib, p->dir);
                free(lib);
                definitions_free(&defs);
                return rc;
            }
        }
        const fr_plugin_descriptor *d = dlsym(p->handle, FR_PLUGIN_SYMBOL);
        if (!d)
            rc = fr_error_set(err, FR_EINVAL,
                              "%s does not export the symbol %s; declare the plugin with "
                              "FR_PLUGIN(...) from <filrouge/plugin.h>",
                              lib, FR_PLUGIN_SYMBOL);
        else
            rc = check_descriptor(p->id, lib, d, err);
        free(lib);
        if (rc) {
            definitions_free(&defs);
            return rc;
        }
        p->desc = d;
    }
    if (p->desc && p->desc->init) {
        fr_error ierr = {0};
        p->ctx->in_init = 1;
        int irc = p->desc->init(p->ctx, &ierr);
        p->ctx->in_init = 0;
        if (irc != 0) {
            unload(site, p);
            definitions_free(&defs);
            return fr_error_set(err, FR_EREFUSED,
                                "plugin %s refused to start (its init failed): %s", p->id,
                                ierr.message[0] ? ierr.message : "no reason given");
        }
    }
    p->initialized = p->desc != NULL;
    rc = migrate(site, p, err);
    if (rc)
        definitions_free(&defs);
    else
        rc = add_definitions(site, p, &defs, err);
    if (rc) {
        unload(site, p);
        return rc;
    }
    p->loaded = 1;
    p->load_seq = ++P->seq;
    return 0;
}

static int read_enabled(fr_site *site, fr_plugins *P, fr_error *err)
{
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT id FROM plugins WHERE enabled = 1 "
                            "ORDER BY id",
                            NULL);
    if (rc)
        return rc;
    while ((rc = fr_stmt_step(st, err)) == 1) {
        const char *id = fr_stmt_text(st, 0);
        plugin *p = find(P, id);
        if (!p) {
            /* Enabled here but not installed: listed, with its problem. */
            p = calloc(1, sizeof *p);
            if (!p || !(p->id = strdup(id)) || add_plugin(P, p)) {
                plugin_free(p);
                rc = fr_error_set(err, FR_ENOMEM, "out of memory");
                break;
            }
        }
        p->enabled = 1;
    }
    fr_stmt_done(st);
    return rc < 0 ? rc : 0;
}

int fr_plugins_open(fr_site *site, fr_error *err)
{
    int rc = ensure_plugins(site, err);
    if (rc)
        return rc;
    fr_plugins *P = site->plugins;
    P->opened = 1;
    fr_error perr;

    /* Resolve the whole graph before loading anything. */
    for (int i = 0; i < P->n; i++) {
        plugin *p = P->items[i];
        if (!p->enabled)
            continue;
        if (p->problem) {
            fr_site_log(site, p->id, "not loaded: %s", p->problem);
            continue;
        }
        fr_error_clear(&perr);
        if (!p->dir)
            set_problem(site, p, FR_ENOTFOUND,
                        "enabled on this site but not found in the plugin search path; install "
                        "it, or disable it with `filrouge plugin disable`");
        else if (manifest_abi_ok(p, &perr) || check_requirements(P, p, 0, &perr))
            set_problem(site, p, perr.code, perr.message);
    }
    plugin **stack = calloc(P->n ? P->n : 1, sizeof *stack);
    plugin **order = calloc(P->n ? P->n : 1, sizeof *order);
    if (!stack || !order) {
        free(stack);
        free(order);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    for (int i = 0; i < P->n; i++)
        P->items[i]->mark = 0;
    for (int i = 0; i < P->n; i++)
        if (wanted(P->items[i]) && P->items[i]->mark == 0)
            find_cycles(site, P, P->items[i], stack, 0);
    /* A plugin whose requirement has a problem cannot load either. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < P->n; i++) {
            plugin *p = P->items[i];
            if (wanted(p) && check_requirements(P, p, 0, &perr)) {
                set_problem(site, p, perr.code, perr.message);
                changed = 1;
            }
        }
    }
    int n = 0;
    for (int i = 0; i < P->n; i++)
        P->items[i]->mark = 0;
    for (int i = 0; i < P->n; i++)
        if (wanted(P->items[i]))
            topo_visit(P, P->items[i], order, &n);
    for (int i = 0; i < n; i++) {
        fr_error_clear(&perr);
        if (load(site, order[i], &perr))
            set_problem(site, order[i], perr.code ? perr.code : FR_EINVAL, perr.message);
    }
    free(stack);
    free(order);
    return 0;
}

void fr_plugins_close(fr_site *site)
{
    fr_plugins *P = site ? site->plugins : NULL;
    if (!P)
        return;
    /* fini in the reverse order of loading: dependents first. */
    for (int seq = P->seq; seq > 0; seq--)
        for (int i = 0; i < P->n; i++)
            if (P->items[i]->loaded && P->items[i]->load_seq == seq)
                unload(site, P->items[i]);
    for (int i = 0; i < P->n; i++)
        if (P->items[i]->loaded || P->items[i]->initialized)
            unload(site, P->items[i]);
    for (int i = 0; i < P->n; i++)
        plugin_free(P->items[i]);
    free(P->items);
    free(P->infos);
    free(P);
    site->plugins = NULL;
}

int fr_plugins_list(fr_site *site, const fr_plugin_info **out, int *n)
{
    *out = NULL;
    *n = 0;
    int rc = ensure_plugins(site, NULL);
    if (rc)
        return rc;
    fr_plugins *P = site->plugins;
    if (!P || P->n == 0)
        return 0;
    fr_plugin_info *infos = realloc(P->infos, P->n * sizeof *infos);
    if (!infos)
        return FR_ENOMEM;
    P->infos = infos;
    for (int i = 0; i < P->n; i++) {
        refresh_info(P->items[i]);
        infos[i] = P->items[i]->info;
    }
    *out = infos;
    *n = P->n;
    return 0;
}

int fr_plugins_check_settings(fr_site *site, fr_error *err)
{
    int rc = ensure_plugins(site, err);
    for (int i = 0; !rc && i < site->nsettings; i++) {
        const fr_setting *s = &site->settings[i];
        if (!s->plugin)
            continue;
        plugin *p = find(site->plugins, s->plugin);
        if (!p) {
            rc = fr_error_set(err, FR_EINVAL,
                              "%s:%ld: settings for plugin %s, which is not in the plugin "
                              "search path: is its id right? See `filrouge plugin list`",
                              site->config_path, s->line, s->plugin);
            break;
        }
        if (p->nsettings == 0)
            continue; /* it declares none: not checked */
        const fr_plugin_setting_decl *d = NULL;
        for (int k = 0; k < p->nsettings && !d; k++)
            if (s->name && p->settings[k].name && strcmp(s->name, p->settings[k].name) == 0)
                d = &p->settings[k];
        if (!d) {
            const char *names[64];
            size_t n = 0;
            char msg[800], owner[160];
            for (int k = 0; k < p->nsettings && n < 64; k++)
                names[n++] = p->settings[k].name;
            snprintf(owner, sizeof owner, "plugin %s", s->plugin);
            fr_unknown_name(msg, sizeof msg, "setting", "", s->name ? s->name : "", owner, names,
                            n);
            rc = fr_error_set(err, FR_EINVAL, "%s:%ld: %s (`filrouge plugin info %s`)",
                              site->config_path, s->line, msg, s->plugin);
            break;
        }
        char what[200];
        snprintf(what, sizeof what, "setting %s of plugin %s", s->name, s->plugin);
        rc = fr_settings_check_value(site->config_path, s->line, what, s->value, &d->rule, err);
    }
    return rc;
}

const fr_plugin_info *fr_plugins_find(fr_site *site, const char *id)
{
    if (ensure_plugins(site, NULL))
        return NULL;
    plugin *p = find(site->plugins, id);
    if (!p)
        return NULL;
    refresh_info(p);
    return &p->info;
}

static int record_change(fr_site *site, const plugin *p, int enabled, fr_error *err)
{
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    json_t *detail = json_pack("{s:s}", "version", p->version ? p->version : "");
    char *dtext = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    int rc = fr_store_begin(site->store, err);
    if (!rc) {
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO plugins (id, enabled, version, changed_at, changed_by) "
                            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET enabled = "
                            "excluded.enabled, version = excluded.version, changed_at = "
                            "excluded.changed_at, changed_by = excluded.changed_by",
                            "titt"
                            "t",
                            p->id, enabled, p->version ? p->version : "", now, site->actor);
        if (!rc)
            rc = fr_audit_append(site->store, site->actor, enabled ? "enable" : "disable", "plugin",
                                 p->id, dtext, err);
        if (!rc)
            rc = fr_store_commit(site->store, err);
        else
            fr_store_rollback(site->store);
    }
    free(dtext);
    return rc;
}

/* A plugin with Python hooks enabled or disabled in a process whose site
 * loaded its plugins: the site's hooks are reloaded so that its hooks come
 * or go with it (core/python.c reads the loaded plugins). */
static void follow_hooks(fr_site *site, const plugin *p)
{
    fr_error err = {0};
    if (p->hooks && site->plugins->opened && fr_python_reload(site, &err))
        fr_site_log(site, p->id, "its Python hooks did not follow: %s", err.message);
}

/* ---- names a plugin's workflows take from the site (checked at enable) ---- */

/* An installed plugin other than p one of whose form files defines form
 * `id`, or NULL. Its files are read only for a form that is missing. */
static const plugin *form_shipper(fr_plugins *P, const plugin *p, const char *id)
{
    for (int i = 0; i < P->n; i++) {
        const plugin *o = P->items[i];
        for (int j = 0; o != p && o->dir && o->manifest_ok && j < o->nforms; j++) {
            char *path = fr_path_join(o->dir, o->forms[j]);
            fr_form *f = NULL;
            fr_error e = {0};
            int same =
                path && fr_form_load_file(path, &f, &e) == 0 && strcmp(fr_form_id(f), id) == 0;
            fr_form_free(f);
            free(path);
            if (same)
                return o;
        }
    }
    return NULL;
}

/* A form of the plugin itself, or one the site offers (its own, or an
 * enabled plugin's). */
static int form_available(fr_site *site, const definitions *d, const char *id)
{
    for (int i = 0; i < d->nforms; i++)
        if (strcmp(fr_form_id(d->forms[i]), id) == 0)
            return 1;
    const fr_form *f = NULL;
    fr_error e = {0};
    return fr_forms_get(site, id, 0, &f, &e) == 0 && fr_forms_offered(site, f);
}

/* Every <requires-form> of p's workflows names a form that can be filled
 * in. One that neither p, the site nor any installed plugin provides (a
 * misspelt id) would refuse its event for ever: FR_EREFUSED naming each at
 * its file and line. One an installed plugin ships but that is not
 * enabled goes to *warn (a line each), the plugin named. */
static int check_required_forms(fr_site *site, const plugin *p, const definitions *d, char **warn,
                                fr_error *err)
{
    char none[FR_ERROR_MAX] = "";
    for (int i = 0; i < d->nwfs; i++) {
        const fr_workflow *wf = d->wfs[i];
        for (int k = 0; k < wf->ntransitions; k++) {
            const wf_transition *t = &wf->transitions[k];
            for (char **f = t->forms; f && *f; f++) {
                if (form_available(site, d, *f))
                    continue;
                const plugin *o = form_shipper(site->plugins, p, *f);
                char line[FR_ERROR_MAX];
                if (o) {
                    snprintf(line, sizeof line,
                             "%s:%d: event '%s' requires form '%s' (<requires-form>), which "
                             "plugin %s provides, but it is not enabled (or not loaded): until "
                             "it is, the event is always refused; enable %s (and name it under "
                             "<requires> in plugin.xml)",
                             wf->name, t->form_lines[f - t->forms], t->event, *f, o->id, o->id);
                    note(warn, line);
                } else {
                    add_line(none, sizeof none,
                             "%s:%d: event '%s' requires form '%s' (<requires-form>), which "
                             "neither this site nor any installed plugin provides: correct the "
                             "form id (`filrouge form list` shows the site's forms), ship the "
                             "form in the plugin, or install the plugin that provides it first",
                             wf->name, t->form_lines[f - t->forms], t->event, *f);
                }
            }
        }
    }
    if (!none[0])
        return 0;
    return fr_error_set(err, FR_EREFUSED,
                        "plugin %s is not enabled: its workflows require forms that no one "
                        "provides:\n%s",
                        p->id, none);
}

/* The guard-ref names of p's workflows that no loaded guard answers (a
 * Python hook's @filrouge.guard, a plugin's C guard), a line each into
 * *all: the event is refused until one is registered. */
static void missing_guards(fr_site *site, const definitions *d, char **all)
{
    for (int i = 0; i < d->nwfs; i++) {
        const fr_workflow *wf = d->wfs[i];
        for (int k = 0; k < wf->ntransitions; k++) {
            const wf_transition *t = &wf->transitions[k];
            if (!t->guard_ref || fr_workflows_has_guard(site, t->guard_ref))
                continue;
            char line[FR_ERROR_MAX];
            if (strncmp(t->guard_ref, "py:", 3) == 0)
                snprintf(line, sizeof line,
                         "%s:%d: event '%s' has guard-ref=\"%s\", but no Python hook of this "
                         "site or of its enabled plugins defines @filrouge.guard(\"%s\"): until "
                         "one does, the event is always refused; define it (the plugin's hooks "
                         "folder or <site>/hooks) or correct the name (`filrouge hooks list` "
                         "shows the guards loaded, the site log a hook file that did not load)",
                         wf->name, t->line, t->event, t->guard_ref, t->guard_ref + 3);
            else
                snprintf(line, sizeof line,
                         "%s:%d: event '%s' has guard-ref=\"%s\", which no loaded plugin "
                         "registers (fr_workflow_register_guard in its init): until one does, "
                         "the event is always refused; enable the plugin that registers it, or "
                         "correct the name (a Python guard is written \"py:NAME\")",
                         wf->name, t->line, t->event, t->guard_ref);
            note(all, line);
        }
    }
}

int fr_plugins_enable(fr_site *site, const char *id, fr_error *err)
{
    return fr_plugins_enable_report(site, id, NULL, err);
}

int fr_plugins_enable_report(fr_site *site, const char *id, char **warnings, fr_error *err)
{
    int rc = ensure_plugins(site, err);
    if (rc)
        return rc;
    fr_plugins *P = site->plugins;
    plugin *p = find(P, id);
    if (!p || !p->dir)
        return fr_error_set(err, FR_ENOTFOUND,
                            "no plugin '%s' in the plugin search path; see `filrouge plugin "
                            "list` for the folders searched",
                            id);
    if (!p->manifest_ok)
        return fr_error_set(err, FR_EINVAL, "the manifest of plugin %s is invalid:\n%s", id,
                            p->problem ? p->problem : "");
    if ((rc = manifest_abi_ok(p, err)))
        return rc;
    if (p->enabled && p->loaded)
        return 0;

    /* Every requirement must already be enabled and loaded: name them all. */
    char missing[FR_ERROR_MAX] = "";
    for (int i = 0; i < p->nreqs; i++) {
        plugin *t = find(P, p->reqs[i].plugin);
        if (t && t->dir && t->enabled && (t->loaded || !P->opened))
            continue;
        if (!t || !t->dir)
            return fr_error_set(err, FR_EREFUSED,
                                "plugin %s requires plugin '%s', which is not installed (not "
                                "found in the plugin search path): install it and enable it "
                                "first",
                                id, p->reqs[i].plugin);
        append(missing, sizeof missing, "%s%s", missing[0] ? ", " : "", t->id);
    }
    if (missing[0])
        return fr_error_set(err, FR_EREFUSED,
                            "plugin %s requires plugins that are not enabled or not loaded: "
                            "enable %s first",
                            id, missing);
    fr_error_clear(err);
    if ((rc = check_requirements(P, p, P->opened, err)))
        return rc;

    /* The names its workflows take from the site: a definition that does
     * not read is left to load() to report, as ever. */
    definitions defs;
    fr_error derr = {0};
    char *warn = NULL;
    int have_defs = read_definitions(p, &defs, &derr) == 0;
    if (have_defs && (rc = check_required_forms(site, p, &defs, &warn, err))) {
        definitions_free(&defs);
        free(warn);
        return rc;
    }
    clear_problem(p);
    if (!rc)
        rc = load(site, p, err);
    if (!rc && (rc = record_change(site, p, 1, err)))
        unload(site, p);
    else if (rc)
        set_problem(site, p, rc, err->message);
    if (rc) {
        if (have_defs)
            definitions_free(&defs);
        free(warn);
        return rc;
    }
    p->enabled = 1;
    fr_site_log(site, p->id, "enabled (version %s) by %s", p->version, site->actor);
    follow_hooks(site, p);
    if (have_defs) {
        /* Guards are registered by a process that loaded the plugins. */
        if (P->opened)
            missing_guards(site, &defs, &warn);
        definitions_free(&defs);
    }
    if (warn)
        fr_site_log(site, p->id, "%s", warn);
    if (warnings)
        *warnings = warn;
    else
        free(warn);
    return 0;
}

int fr_plugins_disable(fr_site *site, const char *id, fr_error *err)
{
    int rc = ensure_plugins(site, err);
    if (rc)
        return rc;
    fr_plugins *P = site->plugins;
    plugin *p = find(P, id);
    if (!p)
        return fr_error_set(err, FR_ENOTFOUND, "no plugin '%s' on this site", id);
    if (!p->enabled)
        return fr_error_set(err, FR_ECONFLICT, "plugin %s is not enabled on this site", id);
    char users[FR_ERROR_MAX] = "";
    for (int i = 0; i < P->n; i++) {
        const plugin *q = P->items[i];
        if (q == p || !q->enabled)
            continue;
        for (int j = 0; j < q->nreqs; j++)
            if (strcmp(q->reqs[j].plugin, id) == 0) {
                append(users, sizeof users, "%s%s", users[0] ? ", " : "", q->id);
                break;
            }
    }
    if (users[0])
        return fr_error_set(err, FR_EREFUSED,
                            "plugin %s is required by %s (enabled on this site): disable %s "
                            "first",
                            id, users, users);
    if ((rc = record_change(site, p, 0, err)))
        return rc;
    /* Its registrations go; its data and its library stay. */
    unload(site, p);
    p->enabled = 0;
    clear_problem(p);
    fr_site_log(site, p->id, "disabled by %s", site->actor);
    follow_hooks(site, p);
    return 0;
}

/* ---- checking a folder, for the plugin's author ---- */

/* In a forked child: dlopen the library and check its descriptor; a crash
 * there (a constructor, a missing symbol with RTLD_NOW) stays in the child.
 * The child's findings come back through a pipe. */
static void probe_library(const char *lib, const char *id, char *out, size_t size)
{
    int fds[2];
    if (pipe(fds) != 0) {
        add_line(out, size, "%s: cannot check the library (pipe: %s)", lib, strerror(errno));
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        add_line(out, size, "%s: cannot check the library (fork: %s)", lib, strerror(errno));
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        fr_error e = {0};
        void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *why = dlerror();
            fr_error_set(&e, FR_EINVAL, "%s: cannot be loaded: %s", lib, why ? why : "?");
        } else {
            const fr_plugin_descriptor *d = dlsym(h, FR_PLUGIN_SYMBOL);
            if (!d)
                fr_error_set(&e, FR_EINVAL,
                             "%s does not export the symbol %s; declare the plugin with "
                             "FR_PLUGIN(...) from <filrouge/plugin.h>",
                             lib, FR_PLUGIN_SYMBOL);
            else
                check_descriptor(id, lib, d, &e);
        }
        size_t len = strlen(e.message);
        const char *m = e.message;
        while (len > 0) {
            ssize_t w = write(fds[1], m, len);
            if (w <= 0)
                break;
            m += w;
            len -= (size_t)w;
        }
        close(fds[1]);
        /* _exit: no atexit handlers, no leak report of the copied heap. */
        _exit(0);
    }
    close(fds[1]);
    char buf[FR_ERROR_MAX];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf + len, sizeof buf - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len >= sizeof buf - 1)
            break;
    }
    buf[len] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (buf[0])
        add_line(out, size, "%s", buf);
    if (WIFSIGNALED(status))
        add_line(out, size, "%s: the library crashed while loading (signal %d)", lib,
                 WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        add_line(out, size, "%s: the process loading the library exited with status %d", lib,
                 WEXITSTATUS(status));
}

/* One problem of a check: into the message (what fits) and the report. */
static void check_problem(char *buf, size_t size, char **all, const char *fmt, ...) FR_PRINTF(4, 5);
static void check_problem(char *buf, size_t size, char **all, const char *fmt, ...)
{
    char line[FR_ERROR_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    add_line(buf, size, "%s", line);
    if (all)
        note(all, line);
}

int fr_plugin_check_dir(const char *dir, fr_error *err)
{
    return fr_plugin_check_dir_report(dir, NULL, err);
}

int fr_plugin_check_dir_report(const char *dir, char **report, fr_error *err)
{
    char problems[FR_ERROR_MAX] = "";
    char *all = NULL, **A = report ? &all : NULL;
    plugin p = {0};
    fr_error e = {0};
    if (report)
        *report = NULL;
    if (parse_manifest(dir, NULL, &p, &e) != 0) {
        plugin_free_manifest(&p);
        return fr_error_set(err, e.code == FR_ENOMEM ? FR_ENOMEM : FR_EINVAL, "%s", e.message);
    }
    if (manifest_abi_ok(&p, &e)) {
        char *manifest = fr_path_join(dir, "plugin.xml");
        check_problem(problems, sizeof problems, A, "%s: %s", manifest ? manifest : dir, e.message);
        free(manifest);
    }
    if (p.library) {
        char name[512];
        snprintf(name, sizeof name, "lib%s.so", p.library);
        char *lib = fr_path_join(dir, name);
        char built[600];
        snprintf(built, sizeof built, "%s/build/%s", dir, name);
        if (lib && access(lib, R_OK) != 0 && access(built, R_OK) == 0) {
            /* A source folder, the template's meson build done in build/. */
            check_problem(problems, sizeof problems, A,
                          "%s: the library named in the manifest is not beside plugin.xml but "
                          "in build/: this is the source folder; check the installed one after "
                          "`meson install -C build` (in `pkg-config --variable=plugindir "
                          "filrouge`), or copy build/%s here",
                          lib, name);
        } else if (lib && access(lib, R_OK) != 0) {
            check_problem(problems, sizeof problems, A,
                          "%s: the library named in the manifest does not exist; build it (the "
                          "plugin template's meson.build: docs/plugin-guide.md §5) and check "
                          "the folder it is installed in",
                          lib);
        } else if (lib) {
            char found[FR_ERROR_MAX] = "";
            probe_library(lib, p.id, found, sizeof found);
            if (found[0])
                check_problem(problems, sizeof problems, A, "%s", found);
        }
        free(lib);
    }
    /* Each definition's problems in full in the report (a workflow or a
     * form may have more than a message holds). */
    for (int i = 0; i < p.nworkflows; i++) {
        char *path = fr_path_join(dir, p.workflows[i]), *full = NULL;
        fr_error_clear(&e);
        if (path && fr_workflow_check_file(path, &full, &e) != 0) {
            add_line(problems, sizeof problems, "%s", e.message);
            if (A)
                note(A, full ? full : e.message);
        }
        free(full);
        free(path);
    }
    for (int i = 0; i < p.nmigs; i++) {
        char *path = fr_path_join(dir, p.migs[i].file);
        if (path && access(path, R_OK) != 0)
            check_problem(problems, sizeof problems, A, "%s: the migration file cannot be read",
                          path);
        if (p.migs[i].version < 1)
            check_problem(problems, sizeof problems, A,
                          "%s/plugin.xml: the version of migration %s is not a number from 1 to "
                          "%d; number migrations 1, 2, 3…",
                          dir, p.migs[i].file, INT_MAX);
        free(path);
    }
    for (int i = 0; i < p.nforms; i++) {
        char *path = fr_path_join(dir, p.forms[i]), *full = NULL;
        fr_error_clear(&e);
        if (path && fr_form_check_file(path, &full, &e) != 0) {
            add_line(problems, sizeof problems, "%s", e.message);
            if (A)
                note(A, full ? full : e.message);
        }
        free(full);
        free(path);
    }
    if (p.hooks) {
        char *path = fr_path_join(dir, p.hooks);
        struct stat sb;
        if (path && (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)))
            check_problem(problems, sizeof problems, A, "%s: the hooks folder does not exist",
                          path);
        free(path);
    }
    plugin_free_manifest(&p);
    if (problems[0]) {
        if (report)
            *report = all;
        else
            free(all);
        return fr_error_set(err, FR_EINVAL, "%s", problems);
    }
    free(all);
    return 0;
}

/* 1 when a .py file of the hooks folder `dir` names guard `name` as
 * @filrouge.guard does (the text, not the import: a hint for the author;
 * `plugin enable` checks the hooks loaded). */
static int hooks_define_guard(const char *dir, const char *name)
{
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return 0;
    char dq[300], sq[300];
    snprintf(dq, sizeof dq, "guard(\"%s\"", name);
    snprintf(sq, sizeof sq, "guard('%s'", name);
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".py") != 0)
            continue;
        char *path = fr_path_join(dir, e->d_name);
        char *text = path ? read_text(path) : NULL;
        found = text && (strstr(text, dq) || strstr(text, sq));
        free(text);
        free(path);
    }
    closedir(d);
    return found;
}

int fr_plugin_check_names(const char *dir, char **notes)
{
    *notes = NULL;
    plugin p = {0};
    fr_error e = {0};
    definitions d;
    if (parse_manifest(dir, NULL, &p, &e) != 0 || (!p.dir && !(p.dir = strdup(dir))) ||
        read_definitions(&p, &d, &e) != 0) {
        plugin_free_manifest(&p);
        return 0;
    }
    char *hooks = p.hooks ? fr_path_join(dir, p.hooks) : NULL;
    for (int i = 0; i < d.nwfs; i++) {
        const fr_workflow *wf = d.wfs[i];
        for (int k = 0; k < wf->ntransitions; k++) {
            const wf_transition *t = &wf->transitions[k];
            char line[FR_ERROR_MAX];
            for (char **f = t->forms; f && *f; f++) {
                int own = 0;
                for (int j = 0; j < d.nforms && !own; j++)
                    own = strcmp(fr_form_id(d.forms[j]), *f) == 0;
                if (own)
                    continue;
                snprintf(line, sizeof line,
                         "%s:%d: event '%s' requires form '%s', which this plugin does not "
                         "ship: `plugin enable` checks that the site or an installed plugin "
                         "provides it",
                         wf->name, t->form_lines[f - t->forms], t->event, *f);
                note(notes, line);
            }
            if (!t->guard_ref || strncmp(t->guard_ref, "py:", 3) != 0 ||
                hooks_define_guard(hooks, t->guard_ref + 3))
                continue;
            snprintf(line, sizeof line,
                     "%s:%d: event '%s' has guard-ref=\"%s\", which no file of this plugin's "
                     "hooks folder defines (@filrouge.guard(\"%s\")): `plugin enable` checks "
                     "the hooks loaded (the site's and other plugins')",
                     wf->name, t->line, t->event, t->guard_ref, t->guard_ref + 3);
            note(notes, line);
        }
    }
    free(hooks);
    definitions_free(&d);
    plugin_free_manifest(&p);
    return *notes ? 1 : 0;
}

/* ---- the SDK ---- */

int fr_plugins_each_hooks(fr_site *site, fr_plugin_hooks_fn fn, void *data)
{
    fr_plugins *P = site ? site->plugins : NULL;
    if (!P)
        return 0;
    for (int seq = 1; seq <= P->seq; seq++)
        for (int i = 0; i < P->n; i++) {
            plugin *p = P->items[i];
            if (!p->loaded || p->load_seq != seq || !p->hooks)
                continue;
            char *dir = fr_path_join(p->dir, p->hooks);
            if (!dir)
                return FR_ENOMEM;
            int rc = fn(p->id, dir, data);
            free(dir);
            if (rc)
                return rc;
        }
    return 0;
}

fr_site *fr_plugin_ctx_site(const fr_plugin_ctx *ctx)
{
    return ctx->site;
}

FR_API const char *fr_plugin_id(const fr_plugin_ctx *ctx)
{
    return ctx->p->id;
}

FR_API const char *fr_plugin_setting(const fr_plugin_ctx *ctx, const char *name)
{
    return fr_site_setting(ctx->site, ctx->p->id, name);
}

/* Collected while init runs and applied with the manifest's migrations once
 * init has returned (see load), so that the "database is newer" check sees
 * every version the plugin knows. */
FR_API int fr_plugin_add_migration(fr_plugin_ctx *ctx, int version, const char *sql, fr_error *err)
{
    if (!ctx->in_init)
        return fr_error_set(err, FR_EREFUSED,
                            "plugin %s: fr_plugin_add_migration may only be called from init",
                            ctx->p->id);
    if (version < 1 || !sql)
        return fr_error_set(err, FR_EINVAL,
                            "plugin %s: a migration needs a version from 1 and SQL text",
                            ctx->p->id);
    for (int i = 0; i < ctx->nextra; i++)
        if (ctx->extra[i].version == version)
            return fr_error_set(err, FR_EINVAL, "plugin %s: migration %d is registered twice",
                                ctx->p->id, version);
    fr_migration *g = realloc(ctx->extra, (ctx->nextra + 1) * sizeof *g);
    if (!g)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    ctx->extra = g;
    char *copy = strdup(sql);
    if (!copy)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    g[ctx->nextra].version = version;
    g[ctx->nextra].name = "(registered by the plugin's init)";
    g[ctx->nextra].sql = copy;
    ctx->nextra++;
    return 0;
}

FR_API int fr_plugin_exec(fr_plugin_ctx *ctx, fr_error *err, const char *sql, const char *types,
                          ...)
{
    fr_store *s = ctx->site->store;
    int own = fr_store_depth(s) == 0;
    int rc = own ? fr_store_begin(s, err) : 0;
    if (rc)
        return rc;
    fr_stmt *st;
    va_list ap;
    va_start(ap, types);
    rc = fr_store_queryv(s, err, &st, sql, types, ap);
    va_end(ap);
    if (!rc) {
        while ((rc = fr_stmt_step(st, err)) == 1)
            ;
        fr_stmt_done(st);
    }
    if (own) {
        if (!rc)
            rc = fr_store_commit(s, err);
        else
            fr_store_rollback(s);
    }
    if (rc)
        fr_error_prefix(err, "plugin %s: ", ctx->p->id);
    return rc;
}

FR_API void fr_plugin_log(fr_plugin_ctx *ctx, const char *fmt, ...)
{
    char msg[FR_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fr_site_log(ctx->site, ctx->p->id, "%s", msg);
}

/* The kernel's own day (fr_clock_today), so that a plugin's rules agree with
 * the due dates and timers the kernel computes, FILROUGE_NOW included. The
 * kernel takes FILROUGE_NOW's first ten characters as they are; here a
 * value that is no date is refused rather than handed on. */
FR_API int fr_plugin_today(const fr_plugin_ctx *ctx, char date[FR_DATE_SIZE], int *weekday,
                           fr_error *err)
{
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    int wday = fr_date_weekday(today);
    if (wday < 0) {
        /* The real clock always gives a date: FILROUGE_NOW is set. */
        const char *fixed = getenv("FILROUGE_NOW");
        return fr_error_set(err, FR_EINVAL,
                            "plugin %s: FILROUGE_NOW is '%s', which does not begin with a date: "
                            "unset it, or write it like 2026-11-23 or 2026-11-23T10:00:00Z",
                            ctx->p->id, fixed ? fixed : "");
    }
    if (date)
        memcpy(date, today, FR_DATE_SIZE);
    if (weekday)
        *weekday = wday;
    return 0;
}

FR_API int fr_workflow_register_guard(fr_plugin_ctx *ctx, const char *name, fr_guard_fn fn,
                                      void *userdata, fr_error *err)
{
    return fr_workflows_add_guard(ctx->site, ctx->p->id, name, fn, userdata, err);
}
