/* Time for the kernel: now as ISO 8601 UTC, today as a date, date arithmetic
 * with ISO 8601 durations. FILROUGE_NOW (e.g. "2026-11-23T10:00:00Z") fixes
 * the clock, for tests and for replaying `tick` on a given day. */
#ifndef FR_CLOCK_H
#define FR_CLOCK_H

#include <filrouge/error.h>

#define FR_TIME_LEN 32

/* "2026-11-23T09:30:00Z" */
void fr_clock_now(char out[FR_TIME_LEN]);
/* "2026-11-23" */
void fr_clock_today(char out[FR_TIME_LEN]);
/* 0 when FILROUGE_NOW is unset, empty, a date (YYYY-MM-DD) or a UTC time
 * (YYYY-MM-DDTHH:MM:SSZ); otherwise FR_EINVAL saying what to write: the
 * clocks above take it as given, into stored times and due dates, so a
 * site does not open under a wrong one (fr_site_open). */
int fr_clock_check(fr_error *err);

/* out = the ISO time `iso` ("…T…Z") plus `seconds` (may be negative). */
int fr_time_add_seconds(const char *iso, long seconds, char out[FR_TIME_LEN]);

/* 1 when s is a valid calendar date YYYY-MM-DD. */
int fr_date_valid(const char *s);

/* A parsed ISO 8601 duration (date part, plus an optional sign): "P14D",
 * "-P14D", "P3M", "P1Y2M", "P2W". Time parts (T…) are accepted and rounded
 * down to whole days. */
typedef struct fr_duration {
    int sign;
    int years, months, days;
} fr_duration;

int fr_duration_parse(const char *s, fr_duration *out, fr_error *err);

/* out = date + duration (months clamp to the month's last day). */
int fr_date_add(const char *date, const fr_duration *d, char out[FR_TIME_LEN], fr_error *err);

/* Days from a to b (b - a). */
int fr_date_diff_days(const char *a, const char *b, long *out);

/* The day of the week of the date `s` (YYYY-MM-DD), counted as struct tm's
 * tm_wday: 0 Sunday, 1 Monday … 6 Saturday; FR_EINVAL when s is no date. */
int fr_date_weekday(const char *s);

#endif
