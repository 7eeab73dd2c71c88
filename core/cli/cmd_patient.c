/* filrouge patient …: registering, showing and finding patients. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "record.h"

#define MAX_IDS 8

static int run_patient_add(cli *c)
{
    fr_patient_new p = {0};
    fr_identifier ids[MAX_IDS];
    char birth[11];
    p.family_name = cli_opt(c, "family");
    p.given_names = cli_opt(c, "given");
    const char *birth_text = cli_opt(c, "birth");
    p.sex = cli_opt(c, "sex");
    p.address = cli_opt(c, "address");
    p.postal_code = cli_opt(c, "postal-code");
    p.city = cli_opt(c, "city");
    p.phone = cli_opt(c, "phone");
    p.language = cli_opt(c, "language");
    /* --id SYSTEM=VALUE, repeatable */
    char *texts[MAX_IDS] = {0};
    const char *t;
    while ((t = cli_opt(c, "id")) != NULL) {
        if (p.nidentifiers == MAX_IDS)
            return cli_usage(c, "at most %d identifiers", MAX_IDS);
        char *eq = strchr(t, '=');
        if (!eq)
            return cli_usage(c, "--id '%s': write SYSTEM=VALUE, e.g. --id be-niss=85073003328", t);
        texts[p.nidentifiers] = strdup(t);
        texts[p.nidentifiers][eq - t] = '\0';
        ids[p.nidentifiers].system = texts[p.nidentifiers];
        ids[p.nidentifiers].value = texts[p.nidentifiers] + (eq - t) + 1;
        p.nidentifiers++;
    }
    p.identifiers = ids;
    int rc = CLI_USAGE;
    if (cli_check_args(c, 0, 0) || cli_date(c, birth_text, "--birth", birth))
        goto out;
    p.birth_date = birth[0] ? birth : NULL;
    fr_error err = {0};
    int64_t id = 0;
    if ((rc = cli_open(c)))
        goto out;
    if (fr_patient_add(c->site, &p, &id, &err)) {
        rc = cli_fail(c, &err);
        goto out;
    }
    cli_ok(c, json_pack("{s:I}", "id", (json_int_t)id), "patient %" PRId64 " registered: %s %s",
           id, p.family_name, p.given_names);
    rc = 0;
out:
    for (int i = 0; i < p.nidentifiers; i++)
        free(texts[i]);
    return rc;
}

static void print_patient(json_t *p)
{
    char d[32];
    printf("patient %" JSON_INTEGER_FORMAT ": %s %s\n", json_integer_value(json_object_get(p, "id")),
           cli_str(p, "family_name"), cli_str(p, "given_names"));
    printf("  born      %s\n  sex       %s\n", cli_human_date(cli_str(p, "birth_date"), d),
           cli_str(p, "sex"));
    if (*cli_str(p, "address") || *cli_str(p, "city"))
        printf("  address   %s%s%s%s%s\n", cli_str(p, "address"),
               *cli_str(p, "address") ? ", " : "", cli_str(p, "postal_code"),
               *cli_str(p, "postal_code") ? " " : "", cli_str(p, "city"));
    if (*cli_str(p, "phone"))
        printf("  phone     %s\n", cli_str(p, "phone"));
    if (*cli_str(p, "language"))
        printf("  language  %s\n", cli_str(p, "language"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p, "identifiers"), i, v)
        printf("  %-9s %s\n", cli_str(v, "system"), cli_str(v, "value"));
    printf("cases:\n");
    json_array_foreach(json_object_get(p, "cases"), i, v) {
        char o[32], cl[32];
        printf("  %4" JSON_INTEGER_FORMAT "  %-10s %-14s %-6s opened %s%s%s  %s%s\n",
               json_integer_value(json_object_get(v, "id")), cli_str(v, "plugin"),
               cli_str(v, "state"), cli_str(v, "status"),
               cli_human_date(cli_str(v, "opened_on"), o), *cli_str(v, "closed_on") ? " closed " : "",
               cli_human_date(cli_str(v, "closed_on"), cl), cli_str(v, "case_manager"),
               json_integer_value(json_object_get(v, "visible")) ? "" : " (no access)");
    }
}

static int run_patient_show(cli *c)
{
    int64_t id;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "PATIENT", &id))
        return CLI_USAGE;
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_patient_get(c->site, id, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_patient);
    return 0;
}

/* patient export PATIENT [--out FILE]: the whole record as JSON, to
 * standard output or into FILE (created for its owner only: it holds
 * clinical data; never over an existing file; written whole or not at
 * all). */
static int run_patient_export(cli *c)
{
    int64_t id;
    json_t *out = NULL;
    fr_error err = {0};
    const char *file = cli_opt(c, "out");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "PATIENT", &id))
        return CLI_USAGE;
    if (file && access(file, F_OK) == 0)
        return cli_usage(c,
                         "--out %s: the file exists; name a new file (an export is never "
                         "written over another)",
                         file);
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_patient_export(c->site, id, &out, &err))
        return cli_fail(c, &err);
    if (!file) {
        int rc = json_dumpf(out, stdout, JSON_INDENT(1)) ? CLI_REFUSED : 0;
        putchar('\n');
        json_decref(out);
        return rc;
    }
    char partial[PATH_MAX];
    snprintf(partial, sizeof partial, "%s.partial", file);
    int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL, 0600);
    int rc = fd < 0 ? -1 : json_dumpfd(out, fd, JSON_INDENT(1));
    if (fd >= 0 && (fsync(fd) != 0 || close(fd) != 0))
        rc = -1;
    if (rc == 0 && rename(partial, file) != 0)
        rc = -1;
    json_decref(out);
    if (rc) {
        fr_error_set(&err, FR_EIO, "--out %s: cannot write the export (%s); nothing was written",
                     file, strerror(errno));
        if (fd >= 0)
            unlink(partial);
        return cli_fail(c, &err);
    }
    printf("patient %" PRId64 " exported to %s (readable by you only)\n", id, file);
    return 0;
}

static void print_patients(json_t *list)
{
    size_t i;
    json_t *p;
    if (json_array_size(list) == 0) {
        printf("no patient found\n");
        return;
    }
    printf("%5s  %-36s %-10s %-6s %s\n", "ID", "NAME", "BORN", "CASES", "CITY");
    json_array_foreach(list, i, p) {
        char name[128], d[32];
        snprintf(name, sizeof name, "%s %s", cli_str(p, "family_name"), cli_str(p, "given_names"));
        printf("%5" JSON_INTEGER_FORMAT "  %-36s %-10s %-6" JSON_INTEGER_FORMAT " %s\n",
               json_integer_value(json_object_get(p, "id")), name,
               cli_human_date(cli_str(p, "birth_date"), d),
               json_integer_value(json_object_get(p, "open_cases")), cli_str(p, "city"));
    }
}

static int find(cli *c, int with_query)
{
    int limit = 50, offset = 0;
    const char *l = cli_opt(c, "limit"), *o = cli_opt(c, "offset");
    if (cli_check_args(c, with_query, with_query) ||
        (l && cli_int(c, l, "--limit", 1, 500, &limit)) ||
        (o && cli_int(c, o, "--offset", 0, 1 << 30, &offset)))
        return CLI_USAGE;
    json_t *out = NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_patient_find(c->site, with_query ? cli_arg(c, 0) : NULL, limit, offset, &out, &err))
        return cli_fail(c, &err);
    cli_emit(c, out, print_patients);
    return 0;
}

static int run_patient_find(cli *c) { return find(c, 1); }
static int run_patient_list(cli *c) { return find(c, 0); }

static int run_patient_edit(cli *c)
{
    fr_patient_new p = {0};
    char birth[11];
    int64_t id;
    p.family_name = cli_opt(c, "family");
    p.given_names = cli_opt(c, "given");
    const char *birth_text = cli_opt(c, "birth");
    p.sex = cli_opt(c, "sex");
    p.address = cli_opt(c, "address");
    p.postal_code = cli_opt(c, "postal-code");
    p.city = cli_opt(c, "city");
    p.phone = cli_opt(c, "phone");
    p.language = cli_opt(c, "language");
    if (cli_check_args(c, 1, 1) || cli_id(c, cli_arg(c, 0), "PATIENT", &id) ||
        (birth_text && *birth_text && cli_date(c, birth_text, "--birth", birth)))
        return CLI_USAGE;
    p.birth_date = birth_text ? (*birth_text ? birth : "") : NULL;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_patient_update(c->site, id, &p, &err))
        return cli_fail(c, &err);
    cli_ok(c, NULL, "patient %" PRId64 " corrected", id);
    return 0;
}

const cli_command cli_patient_commands[] = {
    {"patient", "add", run_patient_add,
     "--family NAME --given NAMES [--birth DD/MM/YYYY] [--sex female|male|other|unknown] "
     "[--address A --postal-code P --city C] [--phone P] [--language fr|nl|de|en] "
     "[--id SYSTEM=VALUE]...",
     "register a patient (identifiers such as be-niss are checked)"},
    {"patient", "edit", run_patient_edit,
     "PATIENT [--family NAME] [--given NAMES] [--birth DD/MM/YYYY] [--sex S] [--address A] "
     "[--postal-code P] [--city C] [--phone P] [--language L]   (\"\" clears a field)",
     "correct a patient's identity (audited)"},
    {"patient", "show", run_patient_show, "PATIENT", "a patient's identity and cases"},
    {"patient", "export", run_patient_export, "PATIENT [--out FILE]",
     "the patient's whole record as JSON (right of access, hand-over; case managers and "
     "administrators)"},
    {"patient", "find", run_patient_find, "TEXT [--limit N] [--offset N]",
     "find patients by the start of a name or an exact identifier"},
    {"patient", "list", run_patient_list, "[--limit N] [--offset N]", "the patients you may see"},
    {0},
};
