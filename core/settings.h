/* The site-wide settings of site.xml (<setting name="…">value</setting>
 * outside any <plugin>) that the kernel reads: their names, and what their
 * values may be (docs/admin.md, "Site-wide settings").
 *
 * They are checked when the site is opened, so that a mistake stops every
 * command with the file, the line, what is wrong and what to write, instead
 * of a default silently taking the place of what the administrator meant
 * (a size limit "50MB" read as no limit at all; "bus.max-attemps" never
 * read).
 *
 * The kernel's namespaces are reserved: a name beginning with bus.,
 * caseload., database., health., python., web., bands. or licence. must be
 * one of the kernel's. Other names are free: the site's Python hooks read
 * their own (filrouge.setting), and a plugin's settings live in its
 * <plugin> element. A name given twice is refused wherever it is. */
#ifndef FR_SETTINGS_H
#define FR_SETTINGS_H

#include <stddef.h>

#include <filrouge/error.h>

/* What a setting's value may be. */
typedef enum {
    FR_SETTING_TEXT,   /* anything */
    FR_SETTING_NUMBER, /* a number from min to max (decimals with a point) */
    FR_SETTING_WHOLE,  /* a whole number from min to max */
    FR_SETTING_CHOICE, /* one of `choices` (words separated by spaces) */
    FR_SETTING_BANDS,  /* a bands setting (fr_form_bands_check) */
} fr_setting_kind;

typedef struct fr_setting_rule {
    fr_setting_kind kind;
    double min, max;
    const char *choices;
    const char *example; /* for the message, or NULL */
} fr_setting_rule;

/* A value against its rule: 0, or FR_EINVAL "FILE:LINE: WHAT: "value" is
 * not …" (`what`: "setting NAME", "setting NAME of plugin ID"). */
int fr_settings_check_value(const char *file, long line, const char *what, const char *value,
                            const fr_setting_rule *rule, fr_error *err);

/* One site-wide setting, as written at `file`:`line`: 0, or FR_EINVAL
 * saying where, what is wrong and what to write. */
int fr_settings_check(const char *file, long line, const char *name, const char *value,
                      fr_error *err);

/* Of `names` (n of them; a name holding '*' is skipped), the one nearest
 * to `name` when it is at most 3 letters away (inserted, removed or
 * changed), else NULL: for "did you mean" (settings, the API's fields). */
const char *fr_nearest_name(const char *name, const char *const *names, size_t n);

/* "unknown WHAT "WHERENAME" (did you mean "NEAR"?); OWNER takes: A, B, C"
 * into buf (cut to its size): the message for a name that is not one of
 * `names` (n of them), with the nearest one (fr_nearest_name) and the
 * list. `what`: "field", "query parameter", "setting"; `where`: what
 * holds the name ("identifiers[0].", or ""); `owner`: "this request",
 * "plugin frailty". Returns buf. */
char *fr_unknown_name(char *buf, size_t size, const char *what, const char *where, const char *name,
                      const char *owner, const char *const *names, size_t n);

#endif
