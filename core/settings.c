/* The site-wide settings the kernel knows, and their check (settings.h). */
#include "settings.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

typedef enum { WHOLE, NUMBER, TEXT, BANDS } kind;

typedef struct known {
    const char *name; /* a '*' stands for one part (a form's id, a score's id, 1 … 4) */
    kind kind;
    double min, max;
    const char *example;
} known;

/* As docs/admin.md lists them; the readers keep their own defaults. */
static const known settings[] = {
    {"database.max-size-mb", NUMBER, 0.001, 1e9, "500"},
    {"bus.max-attempts", WHOLE, 1, 1000, "5"},
    {"caseload.capacity.clinical", NUMBER, 1, 10000, "40"},
    {"caseload.capacity.social", NUMBER, 1, 10000, "60"},
    {"caseload.weight.*", NUMBER, 0, 100, "1.5"},
    {"health.commit-slow-ms", WHOLE, 100, 600000, "5000"},
    {"python.deadline-ms", WHOLE, 10, 60000, "250"},
    {"bands.*.*", BANDS, 0, 0, "scheme: 0-4 minimal; 5-9 mild; 10- severe"},
    {"licence.*", TEXT, 0, 0, "UA-2026-001"},
    {"web.session-idle-minutes", WHOLE, 1, 10080, "30"},
    {"web.trusted-proxies", TEXT, 0, 0, "127.0.0.1, ::1"},
    {"web.tls-certificate", TEXT, 0, 0, "tls/fullchain.pem"},
    {"web.tls-key", TEXT, 0, 0, "tls/privkey.pem"},
};
#define NKNOWN (sizeof settings / sizeof *settings)

static const char *const reserved[] = {"bus.",    "caseload.", "database.", "health.",
                                       "python.", "web.",      "bands.",    "licence."};

/* Whether name matches pattern, a '*' matching one non-empty part without
 * a dot. */
static int matches(const char *pattern, const char *name)
{
    for (; *pattern; pattern++) {
        if (*pattern != '*') {
            if (*name++ != *pattern)
                return 0;
            continue;
        }
        const char *end = name;
        while (*end && *end != '.')
            end++;
        if (end == name)
            return 0;
        name = end;
    }
    return *name == '\0';
}

/* Edit distance (insertions, deletions, substitutions), for "did you
 * mean"; names are short. */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *fr_nearest_name(const char *name, const char *const *names, size_t n)
{
    const char *near = NULL;
    int best = 4; /* at most 3 letters away */
    for (size_t i = 0; i < n; i++) {
        if (strchr(names[i], '*'))
            continue;
        int d = distance(name, names[i]);
        if (d < best) {
            best = d;
            near = names[i];
        }
    }
    return near;
}

static int unknown(const char *file, long line, const char *name, fr_error *err)
{
    const char *names[NKNOWN];
    for (size_t i = 0; i < NKNOWN; i++)
        names[i] = settings[i].name;
    const char *near = fr_nearest_name(name, names, NKNOWN);
    char hint[128] = "";
    if (near)
        snprintf(hint, sizeof hint, " (did you mean %s?)", near);
    return fr_error_set(err, FR_EINVAL,
                        "%s:%ld: unknown setting %s%s; the kernel's settings are listed in "
                        "docs/admin.md (Site-wide settings). A name of your own, for a Python "
                        "hook, must not begin with bus., caseload., database., health., "
                        "python., web., bands. or licence.",
                        file, line, name, hint);
}

static int bad_number(const char *file, long line, const known *k, const char *name,
                      const char *value, fr_error *err)
{
    char range[96];
    if (k->kind == WHOLE)
        snprintf(range, sizeof range, "a whole number from %.0f to %.0f", k->min, k->max);
    else
        snprintf(range, sizeof range, "a number from %.15g to %.15g (decimals with a point)",
                 k->min, k->max);
    return fr_error_set(err, FR_EINVAL, "%s:%ld: setting %s: \"%s\" is not %s; write e.g. %s", file,
                        line, name, value, range, k->example);
}

int fr_settings_check(const char *file, long line, const char *name, const char *value,
                      fr_error *err)
{
    if (!name || !*name)
        return fr_error_set(err, FR_EINVAL,
                            "%s:%ld: a setting without a name; write <setting "
                            "name=\"…\">value</setting>",
                            file, line);
    const known *k = NULL;
    for (size_t i = 0; i < NKNOWN && !k; i++)
        if (matches(settings[i].name, name))
            k = &settings[i];
    /* the weights of intensities 1 … 4 only */
    if (k && strcmp(k->name, "caseload.weight.*") == 0 &&
        !(strlen(name) == 17 && name[16] >= '1' && name[16] <= '4'))
        k = NULL;
    if (!k) {
        for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
            if (strncmp(name, reserved[i], strlen(reserved[i])) == 0)
                return unknown(file, line, name, err);
        return 0; /* the site's own, for its hooks */
    }
    const char *v = value ? value : "";
    while (isspace((unsigned char)*v))
        v++;
    if (k->kind == TEXT)
        return 0;
    if (k->kind == BANDS) {
        fr_error why = {0};
        if (fr_form_bands_check(v, &why))
            return fr_error_set(err, FR_EINVAL, "%s:%ld: setting %s: %s", file, line, name,
                                why.message);
        return 0;
    }
    char *end = NULL;
    double d = strtod(v, &end);
    while (end && isspace((unsigned char)*end))
        end++;
    if (!*v || !end || *end || !isfinite(d) || d < k->min || d > k->max ||
        (k->kind == WHOLE && d != floor(d)))
        return bad_number(file, line, k, name, value ? value : "", err);
    return 0;
}
