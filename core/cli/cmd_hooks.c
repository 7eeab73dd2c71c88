/* filrouge hooks …: the site's Python hooks (its own and its enabled
 * plugins'), checking hook files before they go live, and reloading them.
 * Loading and running hooks is the kernel's (core/python.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "python.h"

/* The standing problems of the hooks as loaded, which the site log has
 * only once (when they change): each without its traceback (in the log). */
static void print_problems(json_t *problems)
{
    size_t i;
    json_t *p;
    if (json_array_size(problems) > 0)
        printf("problems (logged once in the site log, when they change):\n");
    json_array_foreach(problems, i, p)
    {
        const char *text = json_string_value(p);
        printf("  %.*s\n", (int)strcspn(text, "\n"), text);
    }
}

static void print_hooks(json_t *v)
{
    size_t i;
    json_t *f, *h;
    json_t *files = json_object_get(v, "files"), *hooks = json_object_get(v, "hooks");
    if (json_array_size(files) == 0) {
        printf("no hook file (add .py files to the site's hooks/ folder)\n");
        return;
    }
    printf("Python %s, deadline %" JSON_INTEGER_FORMAT " ms per call\n",
           json_is_true(json_object_get(v, "started")) ? "started" : "not started",
           json_integer_value(json_object_get(v, "deadline_ms")));
    json_array_foreach(files, i, f)
    {
        printf("file %s (%s)%s%s%s%s\n", cli_str(f, "path"), cli_str(f, "module"),
               *cli_str(f, "problem") ? "\n  PROBLEM " : "", cli_str(f, "problem"),
               *cli_str(f, "refused") ? "\n  REFUSED (its last good version runs) " : "",
               cli_str(f, "refused"));
    }
    print_problems(json_object_get(v, "problems"));
    if (json_array_size(hooks) == 0)
        return;
    printf("%-9s %-10s %-36s %-22s %s\n", "STATUS", "KIND", "NAME", "TARGET", "WHERE");
    json_array_foreach(hooks, i, h)
    {
        char where[512];
        const char *file = cli_str(h, "file");
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        snprintf(where, sizeof where, "%s:%" JSON_INTEGER_FORMAT, base,
                 json_integer_value(json_object_get(h, "line")));
        printf("%-9s %-10s %-36s %-22s %s", cli_str(h, "status"), cli_str(h, "kind"),
               cli_str(h, "name"), cli_str(h, "target"), where);
        if (*cli_str(h, "by"))
            printf("  (by %s)", cli_str(h, "by"));
        if (strcmp(cli_str(h, "name"), cli_str(h, "defined_as")) != 0)
            printf("  [%s]", cli_str(h, "defined_as"));
        if (*cli_str(h, "problem"))
            printf("  PROBLEM %s", cli_str(h, "problem"));
        printf("\n");
    }
}

static int run_hooks_list(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    fr_error err = {0};
    json_t *out = NULL;
    if (fr_python_list(c->site, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_hooks);
    return 0;
}

static void print_check(json_t *list)
{
    size_t i;
    json_t *v;
    if (json_array_size(list) == 0)
        printf("no hook file to check\n");
    json_array_foreach(list, i, v)
    {
        if (json_is_true(json_object_get(v, "ok")))
            printf("ok   %s\n", cli_str(v, "path"));
    }
}

static int run_hooks_check(cli *c)
{
    if (cli_check_args(c, 0, 64))
        return CLI_USAGE;
    /* Files alone need no site; the site's own hooks are not imported here
     * (each file is checked in a child process). */
    if (cli_open_with(c, &(fr_site_open_options){.no_hooks = 1}, c->argc > 0))
        return CLI_REFUSED;
    const char *files[65] = {0};
    for (int i = 0; i < c->argc; i++)
        files[i] = cli_arg(c, i);
    fr_error err = {0};
    json_t *out = NULL;
    int rc = fr_python_check(c->site, c->argc ? files : NULL, &out, &err);
    if (rc && !out)
        return cli_fail(c, &err);
    if (rc) {
        /* The good files on stdout, each problem (file:line) on stderr. */
        if (!c->json)
            print_check(out);
        json_decref(out);
        return cli_fail(c, &err);
    }
    cli_emit(c, out, print_check);
    return 0;
}

static int run_hooks_reload(cli *c)
{
    if (cli_check_args(c, 0, 0))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    fr_error err = {0};
    if (fr_python_reload(c->site, &err))
        return cli_fail(c, &err);
    json_t *out = NULL;
    if (fr_python_list(c->site, &out, &err))
        return cli_fail(c, &err);
    size_t i, nfiles = json_array_size(json_object_get(out, "files")), bad = 0, on = 0;
    json_t *v;
    json_array_foreach(json_object_get(out, "files"), i, v)
    {
        if (*cli_str(v, "problem")) {
            bad++;
            fprintf(stderr, "filrouge: %s\n", cli_str(v, "problem"));
        }
    }
    json_array_foreach(json_object_get(out, "hooks"), i, v) on +=
        strcmp(cli_str(v, "status"), "on") == 0;
    const char *told = cli_tell_servers(c, out);
    if (bad && *told)
        fprintf(stderr, "filrouge: the running server keeps the last good version of a file "
                        "that worked there, until it is fixed (its health check and /admin "
                        "say so)\n");
    cli_ok(c, out, "hooks reloaded: %zu files (%zu with problems), %zu hooks on%s", nfiles, bad, on,
           *told ? "; the running server reloads them too" : "");
    return bad ? CLI_REFUSED : 0;
}

const cli_command cli_hooks_commands[] = {
    {"hooks", "list", run_hooks_list, "", "the site's and its plugins' Python hooks, on or off"},
    {"hooks", "check", run_hooks_check, "[FILE...]",
     "compile and import hook files, each in a child process (default: all of the site's; "
     "FILE needs no site), reporting file:line"},
    {"hooks", "reload", run_hooks_reload, "",
     "import the hook files again and report what they register; the site's running server on "
     "this machine reloads them too"},
    {0},
};
