/* Sites: creating one (`filrouge init`), reading site.xml, opening the
 * database with the core schema, and handing over to the plugin part. The
 * record, workflows and plugins live in their own files. */
#include "site.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "embedded.h"
#include "form.h"
#include "plugin.h"
#include "python.h"
#include "running.h"
#include "settings.h"
#include "task.h"
#include "workflow.h"
#include "xmldoc.h"

/* clang-format off */
static const char *core_migration_files[] = {
    "sql/core-001-initial.sql",
    "sql/core-002-care.sql",
    "sql/core-003-notes.sql",
    "sql/core-004-forms.sql",
    "sql/core-005-web.sql",
    "sql/core-006-intake-forms.sql",
    "sql/core-007-tokens.sql",
    "sql/core-008-ordinals.sql",
    "sql/core-009-delivery-watermark.sql",
    "sql/core-010-fewer-index-pages.sql",
    "sql/core-011-fewer-delivery-rows.sql",
    "sql/core-012-task-title-ref.sql",
    "sql/core-013-transition-migration.sql",
    "sql/core-014-note-contact.sql",
};
/* clang-format on */

int fr_site_migrate_core(fr_store *store, fr_error *err)
{
    enum { N = sizeof core_migration_files / sizeof *core_migration_files };
    fr_migration m[N];
    for (int i = 0; i < N; i++) {
        const fr_embedded_file *f = fr_embedded_find(core_migration_files[i]);
        if (!f)
            return fr_error_set(err, FR_EINTERNAL, "%s is not built in", core_migration_files[i]);
        /* The version is the file's number (core-NNN-name.sql), so that the
         * list's order cannot silently renumber a shipped migration. */
        m[i].version = atoi(core_migration_files[i] + strlen("sql/core-"));
        m[i].name = f->name;
        m[i].sql = f->data;
    }
    return fr_store_migrate(store, "core", m, N, err);
}

char *fr_path_join(const char *dir, const char *rel)
{
    char *out;
    if (rel[0] == '/')
        return strdup(rel);
    /* "visits/" as typed on the command line gives "visits/plugin.xml" in
     * messages, not "visits//plugin.xml". */
    size_t n = strlen(dir);
    const char *sep = n > 0 && dir[n - 1] == '/' ? "" : "/";
    if (asprintf(&out, "%s%s%s", dir, sep, rel) < 0)
        return NULL;
    return out;
}

static int write_file(const char *path, const char *text, fr_error *err)
{
    FILE *f = fopen(path, "wx");
    if (!f)
        return fr_error_set(err, FR_EIO, "cannot create %s: %s", path, strerror(errno));
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        return fr_error_set(err, FR_EIO, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

static int make_dir(const char *path, fr_error *err)
{
    if (mkdir(path, 0770) != 0 && errno != EEXIST)
        return fr_error_set(err, FR_EIO, "cannot create the folder %s: %s", path,
                            strerror(errno));
    return 0;
}

static void xml_escape(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (; *in && o + 7 < size; in++) {
        const char *rep = NULL;
        switch (*in) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        }
        if (rep) {
            size_t l = strlen(rep);
            memcpy(out + o, rep, l);
            o += l;
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
}

int fr_site_init(const char *dir, const fr_site_init_options *opt, fr_error *err)
{
    fr_site_init_options defaults = {0};
    if (!opt)
        opt = &defaults;
    int rc = make_dir(dir, err);
    if (rc)
        return rc;
    char *config = fr_path_join(dir, "site.xml");
    char *db = fr_store_locate(dir, opt->database ? opt->database : "filrouge.db");
    char *hooks = fr_path_join(dir, "hooks");
    char *plugins = fr_path_join(dir, "plugins");
    char text[8192], name[512], database[2048];
    char *dircopy = strdup(dir);
    fr_store *store = NULL;
    if (!config || !db || !hooks || !plugins || !dircopy) {
        rc = fr_error_set(err, FR_ENOMEM, "out of memory");
        goto out;
    }
    if (access(config, F_OK) == 0) {
        rc = fr_error_set(err, FR_EREFUSED,
                          "%s already holds a site (site.xml exists); nothing was changed. "
                          "Choose an empty folder",
                          dir);
        goto out;
    }
    xml_escape(opt->name ? opt->name : basename(dircopy), name, sizeof name);
    xml_escape(opt->database ? opt->database : "filrouge.db", database, sizeof database);
    snprintf(text, sizeof text,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<site xmlns=\"urn:filrouge:site:1\">\n"
             "  <name>%s</name>\n"
             "  <!-- the first language is the default of the interface and of forms -->\n"
             "  <languages>%s</languages>\n"
             "  <database>%s</database>\n"
             "  <listen>127.0.0.1:8080</listen>\n"
             "  <!-- <plugin-path>/opt/filrouge-plugins</plugin-path> -->\n"
             "  <!-- <plugin id=\"frailty\"><setting name=\"efs-threshold\">6</setting>"
             "</plugin> -->\n"
             "</site>\n",
             name, opt->languages ? opt->languages : "fr nl de en", database);
    if ((rc = make_dir(hooks, err)) || (rc = make_dir(plugins, err)))
        goto out;
    if ((rc = fr_store_open(db, NULL, &store, err)))
        goto out;
    int version = 0;
    if ((rc = fr_store_schema_version(store, "core", &version, err)))
        goto out;
    if (version > 0) {
        rc = fr_error_set(err, FR_EREFUSED,
                          "the database %s already holds a Filrouge site; nothing was changed. "
                          "Give an empty database",
                          fr_store_path(store));
        goto out;
    }
    if ((rc = fr_site_migrate_core(store, err)))
        goto out;
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(store, err)))
        goto out;
    rc = fr_store_execf(store, err, "INSERT INTO site_meta (key, value) VALUES ('created_at', ?)",
                        "t", now);
    if (!rc)
        rc = fr_audit_append(store, "system", "create", "site", name, NULL, err);
    if (!rc)
        rc = fr_store_commit(store, err);
    else
        fr_store_rollback(store);
    if (rc)
        goto out;
    /* site.xml last: a folder with site.xml is a complete site. */
    rc = write_file(config, text, err);
out:
    fr_store_close(store);
    free(config);
    free(db);
    free(hooks);
    free(plugins);
    free(dircopy);
    return rc;
}

/* Adds a setting (its value without the blanks around it), checked: a
 * site-wide one against the kernel's list (settings.h), any one against
 * the same name given before in the same place. */
static int add_setting(fr_site *site, const char *plugin, xmlNodePtr n, fr_error *err)
{
    fr_setting *grown = realloc(site->settings, (site->nsettings + 1) * sizeof *grown);
    if (!grown)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    site->settings = grown;
    fr_setting *s = &site->settings[site->nsettings++];
    s->plugin = plugin ? strdup(plugin) : NULL;
    s->name = fr_xml_attr(n, "name");
    s->value = fr_xml_text(n);
    s->line = xmlGetLineNo(n);
    if (s->value) {
        char *v = s->value, *e = v + strlen(v);
        while (e > v && isspace((unsigned char)e[-1]))
            *--e = '\0';
        size_t lead = strspn(v, " \t\r\n");
        memmove(v, v + lead, strlen(v + lead) + 1);
    }
    for (int i = 0; i < site->nsettings - 1; i++) {
        const fr_setting *o = &site->settings[i];
        if (s->name && o->name && strcmp(s->name, o->name) == 0 && !o->plugin == !plugin &&
            (!plugin || strcmp(o->plugin, plugin) == 0))
            return fr_error_set(err, FR_EINVAL,
                                "%s:%ld: setting %s%s%s is given twice (also at line %ld); keep "
                                "one",
                                site->config_path, s->line, s->name, plugin ? " of plugin " : "",
                                plugin ? plugin : "", o->line);
    }
    return plugin ? 0 : fr_settings_check(site->config_path, s->line, s->name, s->value, err);
}

static int read_config(fr_site *site, fr_error *err)
{
    xmlDocPtr doc;
    int rc = fr_xml_load(site->config_path, "schemas/site.xsd", &doc, err);
    if (rc) {
        if (rc == FR_ENOTFOUND)
            fr_error_set(err, FR_ENOTFOUND,
                         "%s is not a Filrouge site (no site.xml); create one with "
                         "`filrouge init %s`",
                         site->dir, site->dir);
        return rc;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = fr_xml_next(root->children, NULL); n; n = fr_xml_next(n->next, NULL)) {
        const char *tag = (const char *)n->name;
        char *text = fr_xml_text(n);
        if (strcmp(tag, "name") == 0) {
            site->name = text;
            text = NULL;
        } else if (strcmp(tag, "languages") == 0) {
            char *save = NULL;
            for (char *t = strtok_r(text, " ", &save); t && site->nlanguages < 8;
                 t = strtok_r(NULL, " ", &save))
                site->languages[site->nlanguages++] = strdup(t);
        } else if (strcmp(tag, "database") == 0) {
            site->db_path = fr_store_locate(site->dir, text);
        } else if (strcmp(tag, "listen") == 0) {
            site->listen = text;
            text = NULL;
        } else if (strcmp(tag, "plugin-path") == 0) {
            char **grown = realloc(site->plugin_paths,
                                   (site->nplugin_paths + 1) * sizeof *grown);
            if (grown) {
                site->plugin_paths = grown;
                site->plugin_paths[site->nplugin_paths++] = fr_path_join(site->dir, text);
            }
        } else if (strcmp(tag, "setting") == 0) {
            rc = add_setting(site, NULL, n, err);
        } else if (strcmp(tag, "plugin") == 0) {
            char *id = fr_xml_attr(n, "id");
            for (xmlNodePtr s = fr_xml_child(n, "setting"); s && !rc;
                 s = fr_xml_next(s->next, "setting"))
                rc = add_setting(site, id, s, err);
            free(id);
        }
        free(text);
        if (rc)
            break;
    }
    xmlFreeDoc(doc);
    return rc;
}

int fr_site_open(const char *dir, const fr_site_open_options *opt, fr_site **out, fr_error *err)
{
    fr_site_open_options defaults = {0};
    if (!opt)
        opt = &defaults;
    *out = NULL;
    int crc = fr_clock_check(err);
    if (crc)
        return crc;
    fr_site *site = calloc(1, sizeof *site);
    if (!site)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    char resolved[PATH_MAX];
    site->dir = strdup(realpath(dir, resolved) ? resolved : dir);
    site->config_path = fr_path_join(site->dir, "site.xml");
    snprintf(site->actor, sizeof site->actor, "system");
    snprintf(site->actor_role, sizeof site->actor_role, "admin");
    int rc = read_config(site, err);
    if (rc)
        goto fail;
    snprintf(site->actor_lang, sizeof site->actor_lang, "%s",
             site->nlanguages ? site->languages[0] : "fr");
    /* The site's day (today, due dates) changes at midnight where its
     * people are, not in UTC. */
    if ((rc = fr_clock_set_zone(fr_site_setting(site, NULL, "clock.time-zone"), err))) {
        char msg[FR_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s: %s", site->config_path, err->message);
        fr_error_set(err, rc, "%s", msg);
        goto fail;
    }
    fr_store_options so = {.must_exist = 1};
    const char *max = fr_site_setting(site, NULL, "database.max-size-mb");
    so.max_size_kb = max ? (long)(strtod(max, NULL) * 1024) : 0;
    /* checked with the other settings (settings.c): a whole number */
    const char *busy = fr_site_setting(site, NULL, "database.busy-timeout-ms");
    so.busy_timeout_ms = busy ? atoi(busy) : 0;
    if ((rc = fr_store_open(site->db_path, &so, &site->store, err)))
        goto fail;
    if ((rc = fr_site_migrate_core(site->store, err)))
        goto fail;
    if ((rc = fr_bus_new(site, err)) || (rc = fr_workflows_new(site, err)) ||
        (rc = fr_forms_new(site, err)))
        goto fail;
    /* the plugins' settings first: none is loaded with a wrong one */
    if (!opt->no_plugins && (rc = fr_plugins_check_settings(site, err)))
        goto fail;
    if (!opt->no_plugins && (rc = fr_plugins_open(site, err)))
        goto fail;
    /* Site-local forms after the plugins: a site form may be a newer
     * version of a plugin's. A broken one is logged, not fatal. */
    if (!opt->no_plugins && (rc = fr_forms_load_site_dir(site, NULL, err)))
        goto fail;
    if (!opt->no_plugins && !opt->no_hooks && (rc = fr_python_open(site, err)))
        goto fail;
    /* Once: older workflow tasks titled in the reader's language too. Not
     * fatal (a full disk, say): tried again at the next opening. */
    fr_error berr = {0};
    int set = 0;
    if (fr_task_titles_backfill(site, &set, &berr))
        fr_site_log(site, "core", "older workflow tasks keep their one title for now: %s",
                    berr.message);
    *out = site;
    return 0;
fail:
    fr_site_close(site);
    return rc;
}

int fr_site_reopen(fr_site *old, fr_site **out, fr_error *err)
{
    *out = NULL;
    fr_site *fresh = NULL;
    int rc = fr_site_open(old->dir, NULL, &fresh, err);
    if (rc)
        return rc;
    const fr_plugin_info *infos = NULL;
    int n = 0, lost = 0;
    char why[FR_ERROR_MAX] = "";
    size_t len = 0;
    if (old->plugins && fr_plugins_list(old, &infos, &n) == 0)
        for (int i = 0; i < n && len < sizeof why; i++) {
            const fr_plugin_info *now =
                infos[i].loaded ? fr_plugins_find(fresh, infos[i].id) : NULL;
            if (!now || !now->enabled || now->loaded)
                continue;
            len +=
                (size_t)snprintf(why + len, sizeof why - len, "%splugin %s: %s", lost++ ? "\n" : "",
                                 infos[i].id, now->problem ? now->problem : "it does not load");
        }
    if (lost) {
        fr_site_close(fresh);
        return fr_error_set(err, FR_EREFUSED, "%s", why);
    }
    *out = fresh;
    return 0;
}

void fr_site_close(fr_site *site)
{
    if (!site)
        return;
    /* Every operation ends its transaction; one still open here is a bug
     * that would silently drop a change: say so loudly in the log. */
    if (site->store && fr_store_depth(site->store) > 0) {
        fr_site_log(site, "core",
                    "BUG: the site is closed inside a transaction (depth %d); it is rolled back",
                    fr_store_depth(site->store));
        while (fr_store_depth(site->store) > 0)
            fr_store_rollback(site->store);
    }
    fr_python_close(site);
    fr_plugins_close(site);
    fr_forms_free(site);
    fr_workflows_free(site);
    fr_bus_free(site);
    fr_store_close(site->store);
    for (int i = 0; i < site->nlanguages; i++)
        free(site->languages[i]);
    for (int i = 0; i < site->nplugin_paths; i++)
        free(site->plugin_paths[i]);
    free(site->plugin_paths);
    for (int i = 0; i < site->nsettings; i++) {
        free(site->settings[i].plugin);
        free(site->settings[i].name);
        free(site->settings[i].value);
    }
    free(site->settings);
    free(site->dir);
    free(site->config_path);
    free(site->name);
    free(site->db_path);
    free(site->listen);
    free(site);
}

int fr_site_set_actor(fr_site *site, const char *login, fr_error *err)
{
    snprintf(site->actor_lang, sizeof site->actor_lang, "%s",
             site->nlanguages ? site->languages[0] : "fr");
    if (!login || strcmp(login, "system") == 0) {
        snprintf(site->actor, sizeof site->actor, "system");
        snprintf(site->actor_role, sizeof site->actor_role, "admin");
        site->actor_id = 0;
        return 0;
    }
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT id, role, active, language FROM users WHERE login = ?", "t",
                            login);
    if (rc)
        return rc;
    rc = fr_stmt_step(st, err);
    if (rc == 1) {
        if (!fr_stmt_int(st, 2)) {
            rc = fr_error_set(err, FR_EACCESS, "the user '%s' is deactivated", login);
        } else {
            fr_site_set_actor_read(site, fr_stmt_int(st, 0), login, fr_stmt_text(st, 1),
                                   fr_stmt_text(st, 3));
            rc = 0;
        }
    } else if (rc == 0) {
        rc = fr_error_set(err, FR_ENOTFOUND,
                          "no user '%s' on this site; see `filrouge user list`", login);
    }
    fr_stmt_done(st);
    return rc;
}

void fr_site_set_actor_read(fr_site *site, int64_t id, const char *login, const char *role,
                            const char *lang)
{
    site->actor_id = id;
    snprintf(site->actor, sizeof site->actor, "%s", login);
    snprintf(site->actor_role, sizeof site->actor_role, "%s", role);
    snprintf(site->actor_lang, sizeof site->actor_lang, "%s",
             lang && *lang ? lang : site->nlanguages ? site->languages[0] : "fr");
}

const char *fr_site_setting(const fr_site *site, const char *plugin, const char *name)
{
    for (int i = 0; i < site->nsettings; i++) {
        const fr_setting *s = &site->settings[i];
        if (((!plugin && !s->plugin) || (plugin && s->plugin && strcmp(plugin, s->plugin) == 0)) &&
            s->name && strcmp(s->name, name) == 0)
            return s->value;
    }
    return NULL;
}

const char *fr_site_log_name(const fr_site *site, char *out, size_t size)
{
    const char *path = getenv("FILROUGE_LOG");
    size_t dn = site && site->dir ? strlen(site->dir) : 0;
    if (!path || !*path)
        path = "filrouge.log";
    else if (strcmp(path, "-") == 0)
        path = "stderr";
    else if (dn && strncmp(path, site->dir, dn) == 0 && path[dn] == '/')
        path += dn + 1;
    snprintf(out, size, "%s", path);
    return out;
}

void fr_site_log(const fr_site *site, const char *who, const char *fmt, ...)
{
    const char *path = getenv("FILROUGE_LOG");
    char buf[PATH_MAX];
    FILE *f = NULL;
    int to_stderr = path && strcmp(path, "-") == 0;
    if (to_stderr) {
        f = stderr;
    } else {
        if (!path || !*path) {
            if (!site || !site->dir)
                return;
            snprintf(buf, sizeof buf, "%s/filrouge.log", site->dir);
            path = buf;
        }
        f = fopen(path, "a");
        if (!f)
            return; /* logging must never stop the operation it describes */
    }
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    fprintf(f, "%s [%s] ", now, who ? who : "core");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    if (!to_stderr)
        fclose(f);
}

/* Copies one file, durably (fsync before returning). */
static int copy_file(const char *from, const char *to, fr_error *err)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return fr_error_set(err, FR_EIO, "cannot read %s: %s", from, strerror(errno));
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return fr_error_set(err, FR_EIO, "cannot write %s: %s", to, strerror(errno));
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = fr_error_set(err, FR_EIO, "cannot write %s: %s", to, strerror(errno));
            break;
        }
    if (!rc && (fflush(out) != 0 || fsync(fileno(out)) != 0))
        rc = fr_error_set(err, FR_EIO, "cannot write %s: %s", to, strerror(errno));
    fclose(in);
    if (fclose(out) != 0 && !rc)
        rc = fr_error_set(err, FR_EIO, "cannot write %s: %s", to, strerror(errno));
    return rc;
}

/* Copies the folder `from` into the new folder `to`, files and folders
 * within (their permissions kept), durably; hidden names and Python's
 * __pycache__ are left out. */
static int copy_tree(const char *from, const char *to, fr_error *err)
{
    DIR *dir = opendir(from);
    if (!dir)
        return fr_error_set(err, FR_EIO, "cannot read %s: %s", from, strerror(errno));
    int rc = mkdir(to, 0700) == 0 || errno == EEXIST
                 ? 0
                 : fr_error_set(err, FR_EIO, "cannot create %s: %s", to, strerror(errno));
    struct dirent *e;
    while (!rc && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "__pycache__") == 0)
            continue;
        char *a = fr_path_join(from, e->d_name), *b = fr_path_join(to, e->d_name);
        struct stat st;
        if (!a || !b)
            rc = fr_error_set(err, FR_ENOMEM, "out of memory");
        else if (stat(a, &st) != 0)
            rc = fr_error_set(err, FR_EIO, "cannot read %s: %s", a, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = copy_tree(a, b, err);
        else if (S_ISREG(st.st_mode) && !(rc = copy_file(a, b, err)) &&
                 chmod(b, st.st_mode & 0777) != 0)
            rc = fr_error_set(err, FR_EIO, "cannot write %s: %s", b, strerror(errno));
        free(a);
        free(b);
    }
    closedir(dir);
    return rc;
}

/* The site's folders a backup holds beside the database and site.xml. */
static const char *const site_folders[] = {"hooks", "forms", "plugins"};

/* 1 when the folder exists and holds something (hidden names aside). */
static int folder_used(const char *path)
{
    DIR *dir = opendir(path);
    if (!dir)
        return 0;
    int used = 0;
    struct dirent *e;
    while (!used && (e = readdir(dir)) != NULL)
        used = e->d_name[0] != '.';
    closedir(dir);
    return used;
}

/* Copies each of the site folders that `from` holds into `to`: all of them
 * (only_missing 0), or those `to` has none of (only_missing 1). */
static int copy_site_folders(const char *from, const char *to, int only_missing, fr_error *err)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof site_folders / sizeof *site_folders; i++) {
        char *a = fr_path_join(from, site_folders[i]), *b = fr_path_join(to, site_folders[i]);
        if (!a || !b)
            rc = fr_error_set(err, FR_ENOMEM, "out of memory");
        else if (folder_used(a) && !(only_missing && folder_used(b)))
            rc = copy_tree(a, b, err);
        free(a);
        free(b);
    }
    return rc;
}

int fr_site_backup(fr_site *site, const char *dest, fr_error *err)
{
    if (site->actor_id != 0 && strcmp(site->actor_role, "admin") != 0) {
        fr_access_refused_role(site, "site", "*");
        return fr_error_set(err, FR_EACCESS, "only administrators can back a site up");
    }
    int possible = fr_store_backup_possible(site->store, err);
    if (possible)
        return possible;
    if (mkdir(dest, 0700) != 0)
        return fr_error_set(err, FR_EIO,
                            "cannot create the backup folder %s (%s): give a new folder",
                            dest, strerror(errno));
    char *db = fr_path_join(dest, "filrouge.db"), *xml = fr_path_join(dest, "site.xml");
    int rc = db && xml ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
    /* The entry goes in first, so that the backup holds it. */
    if (!rc) {
        json_t *d = json_pack("{s:s}", "to", dest);
        char *text = json_dumps(d, JSON_COMPACT);
        rc = fr_audit_alone(site->store, site->actor, "backup", "site", site->name, text, err);
        free(text);
        json_decref(d);
    }
    if (!rc)
        rc = fr_store_backup(site->store, db, err);
    if (!rc)
        rc = copy_file(site->config_path, xml, err);
    if (!rc)
        rc = copy_site_folders(site->dir, dest, 0, err);
    free(db);
    free(xml);
    return rc;
}

int fr_site_restore(const char *backup, const char *dir, fr_error *err)
{
    char *bdb = fr_path_join(backup, "filrouge.db"), *bxml = fr_path_join(backup, "site.xml");
    char *sxml = fr_path_join(dir, "site.xml");
    fr_site *site = NULL;
    fr_store *check = NULL;
    char *target = NULL, *partial = NULL;
    int rc = bdb && bxml && sxml ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
    /* A server would go on writing into the database set aside: what it
     * acknowledged after the restore would be lost. */
    pid_t server = 0;
    if (!rc && fr_running_list(dir, &server, 1, NULL) > 0)
        rc = fr_error_set(err, FR_EREFUSED,
                          "a filrouge serve (process %ld) is running on %s: stop it first "
                          "(systemctl stop filrouge), then restore; nothing was changed",
                          (long)server, dir);
    if (!rc && access(bdb, R_OK) != 0)
        rc = fr_error_set(err, FR_ENOTFOUND, "%s holds no filrouge.db: is it a backup folder?",
                          backup);
    /* The backup must be sound before anything is touched. */
    if (!rc)
        rc = fr_store_check_file(bdb, err);
    fr_store_options ro = {.read_only = 1};
    if (!rc)
        rc = fr_store_open(bdb, &ro, &check, err);
    int version = 0;
    if (!rc)
        rc = fr_store_schema_version(check, "core", &version, err);
    int newest = 0;
    for (size_t i = 0; i < sizeof core_migration_files / sizeof *core_migration_files; i++) {
        int v = atoi(core_migration_files[i] + strlen("sql/core-"));
        newest = v > newest ? v : newest;
    }
    if (!rc && version > newest)
        rc = fr_error_set(err, FR_EVERSION,
                          "the backup was written by a newer version of Filrouge (schema %d, "
                          "this program knows up to %d): restore it with that version; nothing "
                          "was changed",
                          version, newest);
    fr_audit_report report = {0};
    if (!rc)
        rc = fr_audit_verify(check, &report, err);
    if (!rc && report.first_bad)
        rc = fr_error_set(err, FR_ECONFLICT,
                          "the backup's audit trail is broken at entry %lld (%s): it is not "
                          "restored",
                          (long long)report.first_bad, report.reason);
    fr_store_close(check);
    if (rc)
        goto out;
    if (access(dir, F_OK) != 0 && mkdir(dir, 0700) != 0) {
        rc = fr_error_set(err, FR_EIO, "cannot create %s: %s", dir, strerror(errno));
        goto out;
    }
    if (access(sxml, F_OK) != 0 && (rc = copy_file(bxml, sxml, err)))
        goto out;
    if ((rc = copy_site_folders(backup, dir, 1, err)))
        goto out;
    /* The database goes where a new site keeps it (filrouge.db). */
    target = fr_path_join(dir, "filrouge.db");
    partial = fr_path_join(dir, "filrouge.db.restoring");
    if (!target || !partial) {
        rc = fr_error_set(err, FR_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = copy_file(bdb, partial, err)))
        goto out;
    if (access(target, F_OK) == 0) {
        char now[FR_TIME_LEN], kept[4096];
        fr_clock_now(now);
        const char *sfx[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            char from[4096];
            snprintf(from, sizeof from, "%s%s", target, sfx[i]);
            snprintf(kept, sizeof kept, "%s.before-restore-%s%s", target, now, sfx[i]);
            if (access(from, F_OK) == 0 && rename(from, kept) != 0) {
                rc = fr_error_set(err, FR_EIO, "cannot set %s aside: %s", from, strerror(errno));
                goto out;
            }
        }
    }
    if (rename(partial, target) != 0) {
        rc = fr_error_set(err, FR_EIO, "cannot put the restored database in place: %s",
                          strerror(errno));
        goto out;
    }
    if ((rc = fr_site_open(dir, &(fr_site_open_options){.no_plugins = 1}, &site, err)))
        goto out;
    json_t *d = json_pack("{s:s}", "from", backup);
    char *text = json_dumps(d, JSON_COMPACT);
    rc = fr_audit_alone(site->store, "system", "restore", "site", site->name, text, err);
    free(text);
    json_decref(d);
out:
    if (partial)
        unlink(partial);
    fr_site_close(site);
    free(bdb);
    free(bxml);
    free(sxml);
    free(target);
    free(partial);
    return rc;
}
