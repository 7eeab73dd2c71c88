/* Clock and calendar arithmetic for due dates. Only the proleptic Gregorian
 * calendar. Times are kept in UTC; the site's time zone (clock.time-zone)
 * says when its day changes, which "today" and the times shown to people
 * follow. */
#include "clock.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void fr_clock_now(char out[FR_TIME_LEN])
{
    const char *fixed = getenv("FILROUGE_NOW");
    if (fixed && *fixed) {
        if (strlen(fixed) == 10)
            snprintf(out, FR_TIME_LEN, "%sT12:00:00Z", fixed);
        else
            snprintf(out, FR_TIME_LEN, "%s", fixed);
        return;
    }
    /* Asked many times per request (access checks, rows' times, the
     * audit): formatted once per second and thread. */
    static _Thread_local time_t last = -1;
    static _Thread_local char text[FR_TIME_LEN];
    time_t t = time(NULL);
    if (t != last) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
        last = t;
    }
    memcpy(out, text, FR_TIME_LEN);
}

/* The zone set by fr_clock_set_zone ("" until then: UTC). */
static char zone_set[64];
static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

int fr_clock_set_zone(const char *zone, fr_error *err)
{
    if (!zone || !*zone)
        zone = FR_CLOCK_DEFAULT_ZONE;
    pthread_mutex_lock(&zone_lock);
    int same = strcmp(zone, zone_set) == 0;
    pthread_mutex_unlock(&zone_lock);
    if (same)
        return 0;
    /* Names as in the tz database: Europe/Brussels, UTC. */
    int good = strlen(zone) < sizeof zone_set && zone[0] != '/' && !strstr(zone, "..");
    for (const char *c = zone; good && *c; c++)
        good = isalnum((unsigned char)*c) || strchr("/_+-", *c);
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    if (!good || access(path, R_OK) != 0)
        return fr_error_set(err, FR_EINVAL,
                            "clock.time-zone: '%.60s' is not a time zone of this machine's tz "
                            "database (%s); write one like Europe/Brussels or Europe/Luxembourg "
                            "(`timedatectl list-timezones`), or install the tzdata package",
                            zone, path);
    /* TZ is read once per process: setenv while other threads read the
     * environment would race, and a server's sites all share the zone.
     * A changed zone takes effect at the next start. */
    pthread_mutex_lock(&zone_lock);
    if (!zone_set[0]) {
        setenv("TZ", zone, 1);
        tzset();
        snprintf(zone_set, sizeof zone_set, "%s", zone);
    }
    pthread_mutex_unlock(&zone_lock);
    return 0;
}

const char *fr_clock_zone(void)
{
    pthread_mutex_lock(&zone_lock);
    const char *z = zone_set[0] ? zone_set : "UTC";
    pthread_mutex_unlock(&zone_lock);
    return z;
}

/* A UTC time "YYYY-MM-DDTHH:MM:SSZ" (or "…THH:MM…") as the site's local
 * broken-down time; -1 when it is not one. */
static int local_tm(const char *iso, struct tm *out)
{
    struct tm utc = {0};
    int y, mo, d, h, mi, sec = 0;
    char day[11];
    snprintf(day, sizeof day, "%s", iso ? iso : "");
    if (!iso || strlen(iso) < 16 || iso[10] != 'T' || !fr_date_valid(day) ||
        sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) < 5 || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 60)
        return -1;
    utc.tm_year = y - 1900;
    utc.tm_mon = mo - 1;
    utc.tm_mday = d;
    utc.tm_hour = h;
    utc.tm_min = mi;
    utc.tm_sec = sec;
    time_t t = timegm(&utc);
    return t == (time_t)-1 || !localtime_r(&t, out) ? -1 : 0;
}

void fr_clock_today(char out[FR_TIME_LEN])
{
    /* Asked many times per request: worked out once per "now" and thread. */
    static _Thread_local char last_now[FR_TIME_LEN], last_today[11];
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if (strcmp(now, last_now) != 0) {
        /* A fixed date alone (FILROUGE_NOW=2026-11-23) is that day. */
        char day[FR_TIME_LEN];
        snprintf(last_today, sizeof last_today, "%.10s", fr_clock_local_date(now, day));
        memcpy(last_now, now, FR_TIME_LEN);
    }
    memcpy(out, last_today, 11);
}

const char *fr_clock_local_date(const char *iso, char out[FR_TIME_LEN])
{
    struct tm lt;
    if (iso && strlen(iso) > 10 && local_tm(iso, &lt) == 0)
        strftime(out, FR_TIME_LEN, "%Y-%m-%d", &lt);
    else
        snprintf(out, FR_TIME_LEN, "%.10s", iso ? iso : "");
    return out;
}

const char *fr_clock_human(const char *iso, char out[32])
{
    struct tm lt;
    if (local_tm(iso, &lt) == 0)
        strftime(out, 32, "%d/%m/%Y %H:%M", &lt);
    else if (iso && strlen(iso) >= 10 && iso[4] == '-' && iso[7] == '-')
        snprintf(out, 32, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
    else
        snprintf(out, 32, "%s", iso ? iso : "");
    return out;
}

int fr_clock_check(fr_error *err)
{
    const char *fixed = getenv("FILROUGE_NOW");
    if (!fixed || !*fixed)
        return 0;
    size_t n = strlen(fixed);
    struct tm lt;
    int good = (n == 10 && fr_date_valid(fixed)) ||
               (n == 20 && fixed[19] == 'Z' && local_tm(fixed, &lt) == 0);
    if (!good)
        return fr_error_set(err, FR_EINVAL,
                            "FILROUGE_NOW is '%.40s', which is not a date (YYYY-MM-DD) nor a UTC "
                            "time (YYYY-MM-DDTHH:MM:SSZ): correct it, or unset it to use the "
                            "real clock",
                            fixed);
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
    if (!s || strlen(s) < 10)
        return -1;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-')
                return -1;
        } else if (!isdigit((unsigned char)s[i])) {
            return -1;
        }
    }
    if (s[10] != '\0' && s[10] != 'T')
        return -1;
    *y = atoi(s);
    *m = atoi(s + 5);
    *d = atoi(s + 8);
    if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int fr_date_valid(const char *s)
{
    int y, m, d;
    return s && strlen(s) == 10 && parse_date(s, &y, &m, &d) == 0;
}

int fr_duration_parse(const char *s, fr_duration *out, fr_error *err)
{
    const char *p = s;
    memset(out, 0, sizeof *out);
    out->sign = 1;
    if (!s)
        return fr_error_set(err, FR_EINVAL, "missing duration");
    if (*p == '-') {
        out->sign = -1;
        p++;
    } else if (*p == '+') {
        p++;
    }
    if (*p != 'P')
        goto bad;
    p++;
    int in_time = 0, seen = 0;
    while (*p) {
        if (*p == 'T') {
            in_time = 1;
            p++;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            goto bad;
        char *end;
        long n = strtol(p, &end, 10);
        if (n < 0 || n > 100000)
            goto bad;
        p = end;
        switch (*p) {
        case 'Y': if (in_time) goto bad; out->years = (int)n; break;
        case 'M': if (!in_time) out->months = (int)n; break;
        case 'W': if (in_time) goto bad; out->days += (int)n * 7; break;
        case 'D': if (in_time) goto bad; out->days += (int)n; break;
        case 'H': if (!in_time) goto bad; out->days += (int)(n / 24); break;
        case 'S': if (!in_time) goto bad; break;
        default: goto bad;
        }
        seen = 1;
        p++;
    }
    if (!seen)
        goto bad;
    return 0;
bad:
    return fr_error_set(err, FR_EINVAL,
                        "'%s' is not an ISO 8601 duration; write it like P14D (14 days), "
                        "P2W, P3M, P1Y or -P14D (14 days before)",
                        s);
}

static long days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's days_from_civil algorithm (public domain description). */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int fr_date_add(const char *date, const fr_duration *dur, char out[FR_TIME_LEN], fr_error *err)
{
    int y, m, d;
    if (parse_date(date, &y, &m, &d) != 0)
        return fr_error_set(err, FR_EINVAL, "'%s' is not a date; write it as YYYY-MM-DD",
                            date ? date : "(none)");
    long months = (long)y * 12 + (m - 1) + dur->sign * ((long)dur->years * 12 + dur->months);
    y = (int)(months / 12);
    m = (int)(months % 12) + 1;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m);
    long z = days_from_civil(y, m, d) + (long)dur->sign * dur->days;
    civil_from_days(z, &y, &m, &d);
    snprintf(out, FR_TIME_LEN, "%04d-%02d-%02d", y, m, d);
    return 0;
}

int fr_date_diff_days(const char *a, const char *b, long *out)
{
    int ya, ma, da, yb, mb, db;
    if (parse_date(a, &ya, &ma, &da) != 0 || parse_date(b, &yb, &mb, &db) != 0)
        return FR_EINVAL;
    *out = days_from_civil(yb, mb, db) - days_from_civil(ya, ma, da);
    return 0;
}

int fr_date_weekday(const char *s)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || parse_date(s, &y, &m, &d) != 0)
        return FR_EINVAL;
    /* Day 0 of days_from_civil, 1970-01-01, was a Thursday (4). */
    long z = days_from_civil(y, m, d);
    return (int)(((z % 7) + 7 + 4) % 7);
}

int fr_time_add_seconds(const char *iso, long seconds, char out[FR_TIME_LEN])
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = iso ? strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end)
        return FR_EINVAL;
    time_t t = timegm(&tm) + seconds;
    gmtime_r(&t, &tm);
    strftime(out, FR_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return 0;
}
