/* Checks of the free text people type into the record: names, titles,
 * phone numbers, e-mail addresses. What no such field may hold is checked
 * here once; formats of their own (dates, national numbers) are checked
 * where they are parsed. */
#ifndef FR_TEXT_H
#define FR_TEXT_H

#include <stddef.h>

#include "filrouge/error.h"

/* The limits of typed text, in bytes, shared by the kernel's checks and
 * the pages that check a form before sending it (page_check.c). */
#define FR_TEXT_NAME_MAX 200  /* a name, a role, an organisation, a specialty */
#define FR_TEXT_TITLE_MAX 500 /* a goal's, an action's or a task's title */
#define FR_TEXT_LONG_MAX 4000 /* a reason, an answer, a follow-up */
#define FR_TEXT_NOTE_MAX 20000 /* a note on a case: short enough to read on its page */
#define FR_TEXT_PHONE_MAX 50
#define FR_TEXT_EMAIL_MAX 254
#define FR_TEXT_TEAM_MAX 100 /* a team's name */
#define FR_TEXT_TOKEN_MAX 80 /* an API token's name (what it is for) */

/* 1 when s is NULL, empty or only spaces (a required field left blank). */
int fr_text_blank(const char *s);

/* 0, or FR_EINVAL naming `field`, when value (NULL: nothing to check) is
 * longer than max bytes (0: no limit), holds a control character (tabs
 * and line breaks only when `multiline`), or a bidirectional control
 * (U+202A…U+202E, U+2066…U+2069), with which a name can be made to read
 * as another on screen. */
int fr_text_check(const char *field, const char *value, size_t max, int multiline, fr_error *err);

/* A phone number as people write it: digits, spaces and + ( ) . / -,
 * at least 3 digits (an extension). NULL or "": nothing to check. */
int fr_text_phone(const char *field, const char *value, fr_error *err);

/* An e-mail address: one @ with text on both sides, a dot in the domain,
 * no spaces. NULL or "": nothing to check. */
int fr_text_email(const char *field, const char *value, fr_error *err);

#endif
