/* The site-wide settings the kernel knows, and their check (settings.h). */
#include "settings.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

typedef struct known {
    const char *name; /* a '*' stands for one part (a form's id, a score's id, 1 … 4) */
    fr_setting_rule rule;
} known;

/* As docs/admin.md lists them; the readers keep their own defaults. */
static const known settings[] = {
    {"database.max-size-mb", {FR_SETTING_NUMBER, 0.001, 1e9, NULL, "500"}},
    {"database.busy-timeout-ms", {FR_SETTING_WHOLE, 100, 600000, NULL, "10000"}},
    {"clock.time-zone", {FR_SETTING_TEXT, 0, 0, NULL, "Europe/Brussels"}},
    {"bus.max-attempts", {FR_SETTING_WHOLE, 1, 1000, NULL, "5"}},
    {"caseload.capacity.clinical", {FR_SETTING_NUMBER, 1, 10000, NULL, "40"}},
    {"caseload.capacity.social", {FR_SETTING_NUMBER, 1, 10000, NULL, "60"}},
    {"caseload.weight.*", {FR_SETTING_NUMBER, 0, 100, NULL, "1.5"}},
    {"health.commit-slow-ms", {FR_SETTING_WHOLE, 100, 600000, NULL, "5000"}},
    {"python.deadline-ms", {FR_SETTING_WHOLE, 10, 60000, NULL, "250"}},
    {"bands.*.*", {FR_SETTING_BANDS, 0, 0, NULL, "scheme: 0-4 minimal; 5-9 mild; 10- severe"}},
    {"licence.*", {FR_SETTING_TEXT, 0, 0, NULL, "UA-2026-001"}},
    {"web.session-idle-minutes", {FR_SETTING_WHOLE, 1, 10080, NULL, "30"}},
    {"web.trusted-proxies", {FR_SETTING_TEXT, 0, 0, NULL, "127.0.0.1, ::1"}},
    {"web.tls-certificate", {FR_SETTING_TEXT, 0, 0, NULL, "tls/fullchain.pem"}},
    {"web.tls-key", {FR_SETTING_TEXT, 0, 0, NULL, "tls/privkey.pem"}},
};
#define NKNOWN (sizeof settings / sizeof *settings)

static const char *const reserved[] = {"bus.",    "caseload.", "clock.", "database.", "health.",
                                       "python.", "web.",      "bands.", "licence."};

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

char *fr_unknown_name(char *buf, size_t size, const char *what, const char *where, const char *name,
                      const char *owner, const char *const *names, size_t n)
{
    const char *near = fr_nearest_name(name, names, n);
    int len =
        snprintf(buf, size, "unknown %s \"%s%.60s\"%s%s%s; %s takes: ", what, where, name,
                 near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "", owner);
    if (n == 0 && len >= 0 && (size_t)len < size)
        snprintf(buf + len, size - (size_t)len, "none");
    for (size_t i = 0; i < n && len >= 0 && (size_t)len < size; i++)
        len += snprintf(buf + len, size - (size_t)len, "%s%s", i ? ", " : "", names[i]);
    return buf;
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
                        "hook, must not begin with bus., caseload., clock., database., health., "
                        "python., web., bands. or licence.",
                        file, line, name, hint);
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
    char what[160];
    snprintf(what, sizeof what, "setting %s", name);
    return fr_settings_check_value(file, line, what, value, &k->rule, err);
}

int fr_settings_check_value(const char *file, long line, const char *what, const char *value,
                            const fr_setting_rule *rule, fr_error *err)
{
    const char *v = value ? value : "";
    switch (rule->kind) {
    case FR_SETTING_TEXT:
        return 0;
    case FR_SETTING_BANDS: {
        fr_error why = {0};
        if (fr_form_bands_check(v, &why))
            return fr_error_set(err, FR_EINVAL, "%s:%ld: %s: %s", file, line, what, why.message);
        return 0;
    }
    case FR_SETTING_CHOICE: {
        size_t n = strlen(v);
        for (const char *c = rule->choices; c && *c;) {
            size_t len = strcspn(c, " ");
            if (n && len == n && strncmp(c, v, n) == 0)
                return 0;
            c += len;
            c += strspn(c, " ");
        }
        return fr_error_set(err, FR_EINVAL, "%s:%ld: %s: \"%s\" is not one of %s", file, line, what,
                            v, rule->choices ? rule->choices : "(none)");
    }
    default:
        break;
    }
    char *end = NULL;
    double d = strtod(v, &end);
    if (!*v || isspace((unsigned char)*v) || !end || *end || !isfinite(d) || d < rule->min ||
        d > rule->max || (rule->kind == FR_SETTING_WHOLE && d != floor(d))) {
        char range[96];
        if (rule->kind == FR_SETTING_WHOLE)
            snprintf(range, sizeof range, "a whole number from %.0f to %.0f", rule->min, rule->max);
        else
            snprintf(range, sizeof range, "a number from %.15g to %.15g (decimals with a point)",
                     rule->min, rule->max);
        return fr_error_set(err, FR_EINVAL, "%s:%ld: %s: \"%s\" is not %s%s%s", file, line, what, v,
                            range, rule->example ? "; write e.g. " : "",
                            rule->example ? rule->example : "");
    }
    return 0;
}
