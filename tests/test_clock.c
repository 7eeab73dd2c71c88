/* Dates and ISO 8601 durations for due dates. */
#include "clock.h"

#include "test.h"
#include <string.h>
#include <time.h>

static void add(const char *date, const char *dur, const char *expect)
{
    fr_error err = {0};
    fr_duration d;
    char out[FR_TIME_LEN];
    CHECK_OK(fr_duration_parse(dur, &d, &err), &err);
    CHECK_OK(fr_date_add(date, &d, out, &err), &err);
    CHECK_STR(out, expect);
}

static void durations_add_to_dates(void)
{
    add("2026-11-23", "P14D", "2026-12-07");
    add("2026-11-23", "-P14D", "2026-11-09");
    add("2026-01-31", "P1M", "2026-02-28");
    add("2024-01-31", "P1M", "2024-02-29");
    add("2026-11-23", "P3M", "2027-02-23");
    add("2026-11-23", "P1Y2M", "2028-01-23");
    add("2026-12-28", "P2W", "2027-01-11");
    add("2026-03-01", "-P1D", "2026-02-28");
}

static void bad_durations_are_explained(void)
{
    fr_error err = {0};
    fr_duration d;
    CHECK_ERR(fr_duration_parse("14 days", &d, &err), FR_EINVAL, &err, "P14D");
    CHECK_ERR(fr_duration_parse("P", &d, &err), FR_EINVAL, &err, "ISO 8601");
    CHECK_ERR(fr_duration_parse("PT", &d, &err), FR_EINVAL, &err, "ISO 8601");
}

static void dates_are_validated(void)
{
    CHECK(fr_date_valid("2024-02-29"));
    CHECK(!fr_date_valid("2026-02-29"));
    CHECK(!fr_date_valid("2026-13-01"));
    CHECK(!fr_date_valid("23/11/2026"));
    long d = 0;
    CHECK(fr_date_diff_days("2026-11-23", "2027-01-01", &d) == 0 && d == 39);
}

static void weekdays_are_counted_from_sunday(void)
{
    CHECK(fr_date_weekday("2026-11-22") == 0);
    CHECK(fr_date_weekday("2026-11-23") == 1);
    CHECK(fr_date_weekday("1970-01-01") == 4);
    CHECK(fr_date_weekday("1969-12-31") == 3);
    CHECK(fr_date_weekday("2000-02-29") == 2);
    CHECK(fr_date_weekday("1900-03-01") == 4);
    CHECK(fr_date_weekday("2100-02-28") == 0);
    CHECK(fr_date_weekday("2026-02-29") == FR_EINVAL);
    CHECK(fr_date_weekday("2026-11-23T10:00:00Z") == FR_EINVAL);
    CHECK(fr_date_weekday("23/11/2026") == FR_EINVAL);
    CHECK(fr_date_weekday(NULL) == FR_EINVAL);
}

static void a_wrong_fixed_clock_is_refused(void)
{
    fr_error err = {0};
    const char *good[] = {"2026-11-23", "2026-11-23T10:00:00Z", "", NULL};
    for (int i = 0; good[i]; i++) {
        setenv("FILROUGE_NOW", good[i], 1);
        CHECK_OK(fr_clock_check(&err), &err);
    }
    const char *bad[] = {
        "tomorrow",         "2026-02-30", "2026-11-23T25:00:00Z", "2026-11-23T10:00:00",
        "2026-11-23 10:00", NULL};
    for (int i = 0; bad[i]; i++) {
        setenv("FILROUGE_NOW", bad[i], 1);
        CHECK_ERR(fr_clock_check(&err), FR_EINVAL, &err,
                  "which is not a date (YYYY-MM-DD) nor a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    }
    unsetenv("FILROUGE_NOW");
    CHECK_OK(fr_clock_check(&err), &err);
}

/* The day changes at midnight in the site's zone, not in UTC; times are
 * shown in that zone. The zone is set once per process. */
static void the_day_is_the_sites(void)
{
    fr_error err = {0};
    CHECK_ERR(fr_clock_set_zone("Mars/Olympus", &err), FR_EINVAL, &err,
              "clock.time-zone: 'Mars/Olympus' is not a time zone of this machine's tz database");
    CHECK_ERR(fr_clock_set_zone("../etc/passwd", &err), FR_EINVAL, &err, "not a time zone");
    CHECK_OK(fr_clock_set_zone(NULL, &err), &err); /* the default */
    CHECK_STR(fr_clock_zone(), "Europe/Brussels");
    CHECK_OK(fr_clock_set_zone("Europe/Brussels", &err), &err);
    char today[FR_TIME_LEN], shown[32];
    setenv("FILROUGE_NOW", "2026-12-07T23:30:00Z", 1); /* 00:30 in Brussels (winter) */
    fr_clock_today(today);
    CHECK_STR(today, "2026-12-08");
    setenv("FILROUGE_NOW", "2026-07-01T22:30:00Z", 1); /* 00:30 in Brussels (summer) */
    fr_clock_today(today);
    CHECK_STR(today, "2026-07-02");
    setenv("FILROUGE_NOW", "2026-07-01T21:59:59Z", 1);
    fr_clock_today(today);
    CHECK_STR(today, "2026-07-01");
    setenv("FILROUGE_NOW", "2026-07-01", 1); /* a date alone is that day */
    fr_clock_today(today);
    CHECK_STR(today, "2026-07-01");
    unsetenv("FILROUGE_NOW");
    CHECK_STR(fr_clock_human("2026-12-07T23:30:00Z", shown), "08/12/2026 00:30");
    CHECK_STR(fr_clock_human("2026-07-01T09:15:00Z", shown), "01/07/2026 11:15");
    CHECK_STR(fr_clock_human("2026-12-07", shown), "07/12/2026");
    CHECK_STR(fr_clock_human("soon", shown), "soon");
    /* the day a stored time falls on there (a note written late at night) */
    char day[FR_TIME_LEN];
    CHECK_STR(fr_clock_local_date("2026-12-07T23:30:00Z", day), "2026-12-08");
    CHECK_STR(fr_clock_local_date("2026-07-01T21:59:59Z", day), "2026-07-01");
    CHECK_STR(fr_clock_local_date("2026-07-01", day), "2026-07-01");
    /* set once: another zone is checked, not applied in this process */
    CHECK_OK(fr_clock_set_zone("UTC", &err), &err);
    CHECK_STR(fr_clock_zone(), "Europe/Brussels");
}

static void the_clock_can_be_fixed(void)
{
    char now[FR_TIME_LEN];
    setenv("FILROUGE_NOW", "2026-01-02", 1);
    fr_clock_today(now);
    CHECK_STR(now, "2026-01-02");
    unsetenv("FILROUGE_NOW");
}

/* The real clock (formatted once per second and thread) reads the time of
 * the call, before and after a fixed one. */
static void the_real_clock_is_the_time_now(void)
{
    for (int round = 0; round < 2; round++) {
        char now[FR_TIME_LEN], expect[2][FR_TIME_LEN];
        for (int k = 0; k < 2; k++) {
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(expect[k], sizeof expect[k], "%Y-%m-%dT%H:%M:%SZ", &tm);
            if (k == 0)
                fr_clock_now(now);
        }
        CHECK(strlen(now) == 20);
        /* the second may turn between the call and the readings around it */
        CHECK(strcmp(now, expect[0]) == 0 || strcmp(now, expect[1]) == 0);
        setenv("FILROUGE_NOW", "2026-01-02T08:00:00Z", 1);
        fr_clock_now(now);
        CHECK_STR(now, "2026-01-02T08:00:00Z");
        unsetenv("FILROUGE_NOW");
    }
}

TEST_MAIN({"durations_add_to_dates", durations_add_to_dates},
          {"bad_durations_are_explained", bad_durations_are_explained},
          {"dates_are_validated", dates_are_validated},
          {"weekdays_are_counted_from_sunday", weekdays_are_counted_from_sunday},
          {"a_wrong_fixed_clock_is_refused", a_wrong_fixed_clock_is_refused},
          {"the_clock_can_be_fixed", the_clock_can_be_fixed},
          {"the_day_is_the_sites", the_day_is_the_sites},
          {"the_real_clock_is_the_time_now", the_real_clock_is_the_time_now})
