/* Free text typed into the record (text.h): blank, too long, control
 * characters, phone numbers and e-mail addresses. Not the formats with
 * rules of their own: dates (clock.c), national numbers
 * (record_patient.c). */
#include "text.h"

#include <string.h>

int fr_text_blank(const char *s)
{
    return !s || s[strspn(s, " \t\r\n")] == '\0';
}

int fr_text_check(const char *field, const char *value, size_t max, int multiline, fr_error *err)
{
    if (!value)
        return 0;
    size_t n = strlen(value);
    if (max && n > max)
        return fr_error_set(err, FR_EINVAL, "%s: at most %zu characters (%zu given); shorten it",
                            field, max, n);
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        int line = *c == '\n' || *c == '\r' || *c == '\t';
        if ((*c < 0x20 && !(multiline && line)) || *c == 0x7f)
            return fr_error_set(err, FR_EINVAL,
                                "%s: holds a control character (byte %u at position %zu)%s; "
                                "type it again without it",
                                field, *c, (size_t)(c - (const unsigned char *)value) + 1,
                                line ? ", a line break or tab where one line is expected" : "");
        /* U+202A…U+202E are E2 80 AA…AE; U+2066…U+2069 are E2 81 A6…A9 */
        if (c[0] == 0xE2 && ((c[1] == 0x80 && c[2] >= 0xAA && c[2] <= 0xAE) ||
                             (c[1] == 0x81 && c[2] >= 0xA6 && c[2] <= 0xA9)))
            return fr_error_set(err, FR_EINVAL,
                                "%s: holds an invisible character that changes the direction "
                                "of the text (at position %zu); type it again without it",
                                field, (size_t)(c - (const unsigned char *)value) + 1);
    }
    return 0;
}

int fr_text_phone(const char *field, const char *value, fr_error *err)
{
    if (!value || !*value)
        return 0;
    int digits = 0, other = 0;
    for (const char *c = value; *c; c++) {
        if (*c >= '0' && *c <= '9')
            digits++;
        else if (!strchr(" +()./-", *c))
            other = 1;
    }
    if (other || digits < 3 || strlen(value) > FR_TEXT_PHONE_MAX)
        return fr_error_set(err, FR_EINVAL,
                            "%s: '%.50s' is not a phone number; write its digits, with spaces "
                            "and + ( ) . / - if you like (e.g. +32 81 12 34 56)",
                            field, value);
    return 0;
}

int fr_text_email(const char *field, const char *value, fr_error *err)
{
    if (!value || !*value)
        return 0;
    const char *at = strchr(value, '@');
    int good = at && at > value && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' &&
               value[strlen(value) - 1] != '.' && !strpbrk(value, " \t\r\n<>,;") &&
               strlen(value) <= FR_TEXT_EMAIL_MAX;
    if (!good)
        return fr_error_set(err, FR_EINVAL,
                            "%s: '%.60s' is not an e-mail address; write it like "
                            "name@example.be",
                            field, value);
    return 0;
}
