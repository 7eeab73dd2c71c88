/* filrouge plugin …: which plugins exist, which are enabled on this site,
 * and checking a plugin folder before installing it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plugin.h"

static json_t *info_json(const fr_plugin_info *p)
{
    json_t *settings = json_array();
    for (int i = 0; i < p->nsettings; i++) {
        const fr_plugin_setting_decl *d = &p->settings[i];
        json_t *s = json_pack("{s:s,s:s,s:s?,s:s?}", "name", d->name ? d->name : "", "type",
                              d->kind ? d->kind : "text", "default", d->dflt, "description",
                              d->description);
        if (d->rule.kind == FR_SETTING_NUMBER || d->rule.kind == FR_SETTING_WHOLE) {
            json_object_set_new(s, "min", json_real(d->rule.min));
            json_object_set_new(s, "max", json_real(d->rule.max));
        }
        if (d->choices)
            json_object_set_new(s, "choices", json_string(d->choices));
        json_array_append_new(settings, s);
    }
    return json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:b,s:b,s:b,s:s?,s:s?,s:o}", "id", p->id, "version",
                     p->version ? p->version : "", "description", p->description, "dir", p->dir,
                     "abi", p->abi, "library", p->has_library, "enabled", p->enabled, "loaded",
                     p->loaded, "problem", p->problem, "shadowed", p->shadowed, "settings",
                     settings);
}

static void print_plugins(json_t *list)
{
    size_t i;
    json_t *v;
    if (json_array_size(list) == 0) {
        printf("no plugin found in the search path (see `filrouge plugin path`)\n");
        return;
    }
    printf("%-16s %-8s %-9s %s\n", "PLUGIN", "VERSION", "STATE", "DESCRIPTION / PROBLEM");
    json_array_foreach(list, i, v) {
        const char *state = json_is_true(json_object_get(v, "loaded"))    ? "loaded"
                            : json_is_true(json_object_get(v, "enabled")) ? "PROBLEM"
                                                                          : "available";
        printf("%-16s %-8s %-9s %s\n", cli_str(v, "id"), cli_str(v, "version"), state,
               *cli_str(v, "problem") ? cli_str(v, "problem") : cli_str(v, "description"));
        if (*cli_str(v, "shadowed"))
            printf("%-16s %-8s %-9s also in %s: not used (%s, earlier in the search path, is)\n",
                   "", "", "", cli_str(v, "shadowed"), cli_str(v, "dir"));
    }
}

static int run_plugin_list(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    const fr_plugin_info *list = NULL;
    int n = 0;
    fr_plugins_list(c->site, &list, &n);
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, info_json(&list[i]));
    cli_emit(c, out, print_plugins);
    return 0;
}

static void print_info(json_t *v)
{
    printf("plugin %s %s\n", cli_str(v, "id"), cli_str(v, "version"));
    printf("  %s\n  folder   %s\n  needs    ABI %s%s\n  enabled  %s, loaded %s\n",
           cli_str(v, "description"), cli_str(v, "dir"), cli_str(v, "abi"),
           json_is_true(json_object_get(v, "library")) ? " (has a C library)" : "",
           json_is_true(json_object_get(v, "enabled")) ? "yes" : "no",
           json_is_true(json_object_get(v, "loaded")) ? "yes" : "no");
    if (*cli_str(v, "problem"))
        printf("  problem  %s\n", cli_str(v, "problem"));
    if (*cli_str(v, "shadowed"))
        printf("  ignored  %s: a plugin of the same id, later in the search path "
               "(`filrouge plugin path`); remove it, or give it another id\n",
               cli_str(v, "shadowed"));
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(v, "settings"), i, s)
    {
        if (i == 0)
            printf("  settings (site.xml: <plugin id=\"%s\"><setting name=\"…\">value</setting>)\n",
                   cli_str(v, "id"));
        char range[128] = "";
        if (json_object_get(s, "min"))
            snprintf(range, sizeof range, " %g … %g", json_real_value(json_object_get(s, "min")),
                     json_real_value(json_object_get(s, "max")));
        else if (*cli_str(s, "choices"))
            snprintf(range, sizeof range, ": %s", cli_str(s, "choices"));
        printf("    %-16s %s%s%s%s  %s\n", cli_str(s, "name"), cli_str(s, "type"), range,
               *cli_str(s, "default") ? ", default " : "", cli_str(s, "default"),
               cli_str(s, "description"));
    }
}

static int run_plugin_info(cli *c)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    const fr_plugin_info *p = fr_plugins_find(c->site, cli_arg(c, 0));
    if (!p) {
        fr_error err = {0};
        fr_error_set(&err, FR_ENOTFOUND,
                     "no plugin '%s' in the search path; see `filrouge plugin path`",
                     cli_arg(c, 0));
        return cli_fail(c, &err);
    }
    cli_emit(c, info_json(p), print_info);
    return 0;
}

/* Each line of `text` (freed here) on stderr as "filrouge: KIND: line",
 * and as a JSON array for --json. */
static json_t *say_lines(char *text, const char *kind)
{
    json_t *list = json_array();
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        fprintf(stderr, "filrouge: %s: %s\n", kind, line);
        json_array_append_new(list, json_string(line));
    }
    free(text);
    return list;
}

static int enable_or_disable(cli *c, int enable)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    char *warnings = NULL;
    int rc = enable ? fr_plugins_enable_report(c->site, cli_arg(c, 0), &warnings, &err)
                    : fr_plugins_disable(c->site, cli_arg(c, 0), &err);
    if (rc)
        return cli_fail(c, &err);
    json_t *out = json_object();
    /* What will refuse events, said before the success line. */
    json_object_set_new(out, "warnings", say_lines(warnings, "warning"));
    const char *told = cli_tell_servers(c, out);
    cli_ok(c, out, "plugin %s %s%s", cli_arg(c, 0),
           enable ? "enabled" : "disabled (its data is kept; enable it again to use it)", told);
    return 0;
}

static int run_plugin_enable(cli *c) { return enable_or_disable(c, 1); }
static int run_plugin_disable(cli *c) { return enable_or_disable(c, 0); }

static int run_plugin_check(cli *c)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    fr_error err = {0};
    char *report = NULL;
    if (fr_plugin_check_dir_report(cli_arg(c, 0), &report, &err)) {
        /* Every problem, however many (the error holds what fits). */
        if (report) {
            fprintf(stderr, "%s\n", report);
            fr_error_set(&err, FR_EINVAL, "the plugin in %s has problems (listed above)",
                         cli_arg(c, 0));
        }
        free(report);
        return cli_fail(c, &err);
    }
    char *notes = NULL;
    fr_plugin_check_names(cli_arg(c, 0), &notes);
    json_t *out = json_object();
    json_object_set_new(out, "notes", say_lines(notes, "note"));
    cli_ok(c, out, "%s: the plugin is valid", cli_arg(c, 0));
    return 0;
}

static void print_path(json_t *list)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        printf("%s\n", json_string_value(v));
}

static int run_plugin_path(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    char **dirs = NULL;
    int n = 0;
    json_t *out = json_array();
    if (fr_plugins_search_path(c->site, &dirs, &n) == 0) {
        for (int i = 0; i < n; i++) {
            json_array_append_new(out, json_string(dirs[i]));
            free(dirs[i]);
        }
        free(dirs);
    }
    cli_emit(c, out, print_path);
    return 0;
}

const cli_command cli_plugin_commands[] = {
    {"plugin", "list", run_plugin_list, "", "plugins found, enabled and loaded, with problems"},
    {"plugin", "info", run_plugin_info, "ID", "one plugin's details"},
    {"plugin", "enable", run_plugin_enable, "ID",
     "enable a plugin on this site (applies its migrations; audited; refused when a "
     "<requires-form> names a form nobody provides, warns of a guard-ref no loaded guard "
     "answers)"},
    {"plugin", "disable", run_plugin_disable, "ID", "disable a plugin (its data is kept)"},
    {"plugin", "check", run_plugin_check, "DIR",
     "check a plugin folder: manifest, workflows, library (no site needed; notes the forms and "
     "Python guards it takes from elsewhere, which enable checks)"},
    {"plugin", "path", run_plugin_path, "", "the folders searched for plugins, in order"},
    {0},
};
