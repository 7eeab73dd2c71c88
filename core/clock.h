/* Time for the kernel: now as ISO 8601 UTC, today as a date, date arithmetic
 * with ISO 8601 durations. FILROUGE_NOW (e.g. "2026-11-23T10:00:00Z") fixes
 * the clock, for tests and for replaying `tick` on a given day. */
#ifndef FR_CLOCK_H
#define FR_CLOCK_H

#include <filrouge/error.h>

#define FR_TIME_LEN 32

/* "2026-11-23T09:30:00Z" */
void fr_clock_now(char out[FR_TIME_LEN]);
/* "2026-11-23": today in the site's time zone (fr_clock_set_zone), the
 * day due dates, overdue tasks and the dates that may not be in the future
 * are judged by. With FILROUGE_NOW a time, its date in that zone; a date,
 * that date. */
void fr_clock_today(char out[FR_TIME_LEN]);

#define FR_CLOCK_DEFAULT_ZONE "Europe/Brussels"
/* The zone the day changes in (site.xml clock.time-zone; NULL or "":
 * FR_CLOCK_DEFAULT_ZONE), a name of the tz database. Set once per process
 * (fr_site_open); a different zone later is checked but takes effect at
 * the next start. FR_EINVAL for a zone this machine does not know. */
int fr_clock_set_zone(const char *zone, fr_error *err);
/* The zone in force ("UTC" before any is set). */
const char *fr_clock_zone(void);
/* A stored time or date for people: "2026-12-07T23:30:00Z" as
 * "08/12/2026 00:30" in the site's zone, "2026-12-07" as "07/12/2026";
 * anything else as given. Returns out. */
const char *fr_clock_human(const char *iso, char out[32]);
/* The day a stored time falls on in the site's zone: "2026-12-07T23:30:00Z"
 * as "2026-12-08" in Brussels; a date (or anything else) as its first ten
 * characters. Returns out. */
const char *fr_clock_local_date(const char *iso, char out[FR_TIME_LEN]);
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
