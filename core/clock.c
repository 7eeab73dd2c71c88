/* Clock and calendar arithmetic for due dates. Only the proleptic Gregorian
 * calendar and UTC; time zones belong to the presentation layer. */
#include "clock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void fr_clock_today(char out[FR_TIME_LEN])
{
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    memcpy(out, now, 10);
    out[10] = '\0';
}

int fr_clock_check(fr_error *err)
{
    const char *fixed = getenv("FILROUGE_NOW");
    if (!fixed || !*fixed)
        return 0;
    int h, mi, sec;
    char z = 0, tail = 0;
    size_t n = strlen(fixed);
    char day[11];
    snprintf(day, sizeof day, "%s", fixed);
    int good = n >= 10 && fr_date_valid(day) &&
               (n == 10 ||
                (n == 20 && sscanf(fixed + 10, "T%2d:%2d:%2d%c%c", &h, &mi, &sec, &z, &tail) == 4 &&
                 z == 'Z' && h >= 0 && h < 24 && mi >= 0 && mi < 60 && sec >= 0 && sec < 60));
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
