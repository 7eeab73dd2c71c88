/* Option parsing, site opening and output for the filrouge command. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "clock.h"
#include "plugin.h"
#include "running.h"

static void remove_args(cli *c, int i, int count)
{
    memmove(&c->argv[i], &c->argv[i + count], (size_t)(c->argc - i - count + 1) * sizeof(char *));
    c->argc -= count;
}

const char *cli_opt(cli *c, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
            continue;
        if (a[2 + n] == '=') {
            remove_args(c, i, 1);
            return a + 3 + n;
        }
        if (a[2 + n] == '\0') {
            if (i + 1 >= c->argc) {
                snprintf(c->usage_error, sizeof c->usage_error, "--%s needs a value", name);
                remove_args(c, i, 1);
                return NULL;
            }
            const char *v = c->argv[i + 1];
            remove_args(c, i, 2);
            return v;
        }
    }
    return NULL;
}

int cli_flag(cli *c, const char *name)
{
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) == 0 && strcmp(a + 2, name) == 0) {
            remove_args(c, i, 1);
            return 1;
        }
    }
    return 0;
}

int cli_check_args(cli *c, int min, int max)
{
    if (c->usage_error[0])
        return cli_usage(c, "%s", c->usage_error);
    for (int i = 0; i < c->argc; i++) {
        if (strcmp(c->argv[i], "--") == 0) {
            remove_args(c, i, 1);
            break;
        }
        if (strncmp(c->argv[i], "--", 2) == 0)
            return cli_usage(c, "unknown option %s", c->argv[i]);
    }
    if (c->argc < min)
        return cli_usage(c, "missing argument");
    if (max >= 0 && c->argc > max)
        return cli_usage(c, "too many arguments (unexpected '%s')", c->argv[max]);
    return 0;
}

const char *cli_arg(cli *c, int i)
{
    return i < c->argc ? c->argv[i] : NULL;
}

int cli_id(cli *c, const char *text, const char *what, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = text ? strtoll(text, &end, 10) : 0;
    if (!text || errno || *end || v <= 0)
        return cli_usage(c, "%s must be a positive number, not '%s'", what, text ? text : "");
    *out = (int64_t)v;
    return 0;
}

int cli_int(cli *c, const char *text, const char *what, int min, int max, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || errno || *end || v < min || v > max) {
        if (min == -1000000 && max == 1000000)
            return cli_usage(c, "%s must be a whole number, not '%s'", what, text ? text : "");
        return cli_usage(c, "%s must be a whole number from %d to %d, not '%s'", what, min, max,
                         text ? text : "");
    }
    *out = (int)v;
    return 0;
}

int cli_date(cli *c, const char *text, const char *what, char out[11])
{
    out[0] = '\0';
    if (!text)
        return 0;
    int d, m, y;
    char tail;
    if (sscanf(text, "%2d/%2d/%4d%c", &d, &m, &y, &tail) == 3 && strlen(text) == 10)
        snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    else if (strlen(text) == 10)
        snprintf(out, 11, "%s", text);
    if (!out[0] || !fr_date_valid(out)) {
        out[0] = '\0';
        return cli_usage(c, "%s: '%s' is not a date; write DD/MM/YYYY (e.g. 23/11/2026)", what,
                         text);
    }
    return 0;
}

const char *cli_human_date(const char *iso, char out[32])
{
    return fr_clock_human(iso, out);
}

int cli_open(cli *c)
{
    return cli_open_with(c, NULL, 0);
}

/* An enabled plugin that did not load (a workflow edited without a new
 * version, a requirement gone…) leaves its cases without their rules,
 * forms, hooks and subscribers: every command says so on stderr, not only
 * `plugin list` (whose commands show it anyway). */
static void warn_plugins_not_loaded(cli *c)
{
    if (c->command && strcmp(c->command->group, "plugin") == 0)
        return;
    const fr_plugin_info *list = NULL;
    int n = 0;
    if (fr_plugins_list(c->site, &list, &n))
        return;
    for (int i = 0; i < n; i++)
        if (list[i].enabled && !list[i].loaded)
            fprintf(stderr,
                    "filrouge: warning: plugin %s is enabled but not loaded (its workflows, "
                    "forms, hooks and subscribers are off): %s; see `filrouge plugin list`\n",
                    list[i].id, list[i].problem ? list[i].problem : "no reason recorded");
}

int cli_open_with(cli *c, const fr_site_open_options *opt, int optional)
{
    fr_error err = {0};
    const char *dir = c->site_dir ? c->site_dir : getenv("FILROUGE_SITE");
    if (!dir || !*dir)
        dir = ".";
    int rc = fr_site_open(dir, opt, &c->site, &err);
    if (rc && optional && rc == FR_ENOTFOUND && !c->site_dir && !getenv("FILROUGE_SITE"))
        return 0;
    if (rc)
        return cli_fail(c, &err);
    warn_plugins_not_loaded(c);
    if (fr_store_short_of_space(c->site->store))
        fprintf(stderr, "filrouge: warning: the disk holding %s is full (or the site's limit "
                        "database.max-size-mb is reached): changes are refused, reading goes "
                        "on; free some space\n",
                fr_store_path(c->site->store));
    const char *as = c->as ? c->as : getenv("FILROUGE_USER");
    if (as && *as && (rc = fr_site_set_actor(c->site, as, &err)))
        return cli_fail(c, &err);
    c->site->break_glass_reason = c->break_glass;
    return 0;
}

int cli_fail(cli *c, const fr_error *err)
{
    int code = err->code ? err->code : FR_EINTERNAL;
    fprintf(stderr, "filrouge: %s\n", err->message[0] ? err->message : fr_error_code_name(code));
    if (c->json) {
        json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", fr_error_code_name(code),
                              "message", err->message);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    }
    return CLI_REFUSED;
}

int cli_usage(cli *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "filrouge: %s\n", msg);
    if (c->command)
        fprintf(stderr, "usage: filrouge %s%s%s %s\n", c->command->group,
                c->command->name ? " " : "", c->command->name ? c->command->name : "",
                c->command->usage);
    fprintf(stderr, "see `filrouge help%s%s`\n", c->command ? " " : "",
            c->command ? c->command->group : "");
    if (c->json) {
        json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", "usage", "message", msg);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    }
    return CLI_USAGE;
}

void cli_emit(cli *c, json_t *value, void (*text)(json_t *value))
{
    if (c->json || !text) {
        json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        text(value);
    }
    json_decref(value);
}

void cli_ok(cli *c, json_t *details, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->json) {
        json_t *j = details ? details : json_object();
        json_object_set_new(j, "ok", json_true());
        json_object_set_new(j, "message", json_string(msg));
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
    } else {
        printf("%s\n", msg);
        json_decref(details);
    }
}

const char *cli_tell_servers(cli *c, json_t *details)
{
    int refused = 0;
    int told = c->site ? fr_running_reload(c->site->dir, &refused) : 0;
    if (details)
        json_object_set_new(details, "servers_told", json_integer(told));
    if (refused)
        fprintf(stderr,
                "filrouge: warning: %d server%s running on this site could not be told to "
                "reload (another user's process): reload %s yourself (systemctl reload "
                "filrouge, or kill -HUP)\n",
                refused, refused > 1 ? "s" : "", refused > 1 ? "them" : "it");
    return told == 0   ? ""
           : told == 1 ? "; the running server reloads it"
                       : "; the running servers reload it";
}

void cli_deliver(cli *c)
{
    fr_error err = {0};
    fr_bus_stats stats;
    if (c->site && fr_bus_deliver(c->site, &stats, &err) != 0)
        fprintf(stderr, "filrouge: warning: events not delivered yet (%s); they stay in the "
                        "outbox and `filrouge tick` will retry\n",
                err.message);
}

const char *cli_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        return json_string_value(v);
    return "";
}
