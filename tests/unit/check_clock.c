/* Unit tests: lib/clock. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

START_TEST(sentry_time_shapes)
{
	int64_t ms;
	char buf[CLOCK_RFC3339_SIZE];

	ck_assert_int_eq(clock_parse("2019-08-19T21:06:17.677000Z", &ms), 0);
	ck_assert_str_eq(clock_format(ms, buf, sizeof buf),
	    "2019-08-19T21:06:17.677Z");
	ck_assert_int_eq(clock_parse("2022-04-04T16:47:05.164Z", &ms), 0);
	ck_assert_int_eq(ms, 1649090825164LL);
	ck_assert_int_eq(clock_parse("2025-11-15 16:28:23", &ms), 0);
	ck_assert_str_eq(clock_format(ms, buf, sizeof buf),
	    "2025-11-15T16:28:23.000Z");
	ck_assert_int_eq(clock_parse("2025-11-15T19:28:23+03:00", &ms), 0);
	ck_assert_str_eq(clock_format(ms, buf, sizeof buf),
	    "2025-11-15T16:28:23.000Z");
	ck_assert_int_eq(clock_parse("1566248777.5", &ms), 0);
	ck_assert_int_eq(ms, 1566248777500LL);
	ck_assert_int_eq(clock_parse("2000-02-29", &ms), 0);
	ck_assert_str_eq(clock_format(ms, buf, sizeof buf),
	    "2000-02-29T00:00:00.000Z");
}
END_TEST

/* The formatters do their own calendar (no gmtime_r): its edges. */
START_TEST(formats_without_gmtime)
{
	char buf[CLOCK_RFC3339_SIZE], date[CLOCK_HTTP_SIZE];

	ck_assert_str_eq(clock_format(0, buf, sizeof buf),
	    "1970-01-01T00:00:00.000Z");
	ck_assert_str_eq(clock_format(-1, buf, sizeof buf),
	    "1969-12-31T23:59:59.999Z");
	ck_assert_str_eq(clock_format(951782400000LL, buf, sizeof buf),
	    "2000-02-29T00:00:00.000Z");
	ck_assert_str_eq(clock_format(253402300799999LL, buf, sizeof buf),
	    "9999-12-31T23:59:59.999Z");
	ck_assert_str_eq(clock_format_http(1795940861123LL, date, sizeof date),
	    "Sun, 29 Nov 2026 08:27:41 GMT");
	ck_assert_str_eq(clock_format_http(0, date, sizeof date),
	    "Thu, 01 Jan 1970 00:00:00 GMT");
	ck_assert_str_eq(clock_format_http(-86400000LL, date, sizeof date),
	    "Wed, 31 Dec 1969 00:00:00 GMT");
	ck_assert_str_eq(clock_format_http(951782400000LL, date, sizeof date),
	    "Tue, 29 Feb 2000 00:00:00 GMT");
}
END_TEST

START_TEST(not_times)
{
	int64_t ms;

	ck_assert_int_eq(clock_parse("", &ms), -1);
	ck_assert_int_eq(clock_parse("yesterday", &ms), -1);
	ck_assert_int_eq(clock_parse("2019-13-01T00:00:00Z", &ms), -1);
	ck_assert_int_eq(clock_parse("2019-08-19T25:00:00Z", &ms), -1);
	ck_assert_int_eq(clock_parse("2019-08-19T21:06:17Zjunk", &ms), -1);
	ck_assert_int_eq(clock_parse("2019-08-19T21:06:17.Z", &ms), -1);
	ck_assert_int_eq(clock_parse(NULL, &ms), -1);
}
END_TEST

START_TEST(zones_and_override)
{
	char buf[64];

	ck_assert_str_eq(clock_format_tz(1763224103000LL, "Europe/Moscow",
	    "%Y-%m-%d %H:%M:%S", buf, sizeof buf), "2025-11-15 19:28:23");
	ck_assert_str_eq(clock_format_tz(1763224103000LL, "UTC",
	    "%Y-%m-%d %H:%M:%S", buf, sizeof buf), "2025-11-15 16:28:23");
	setenv("SENTRY_TG_NOW", "2026-01-01T00:00:00Z", 1);
	ck_assert_int_eq(clock_now_ms(), 1767225600000LL);
	unsetenv("SENTRY_TG_NOW");
	ck_assert_int_gt(clock_now_ms(), 1767225600000LL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, sentry_time_shapes);
	tcase_add_test(tc, formats_without_gmtime);
	tcase_add_test(tc, not_times);
	tcase_add_test(tc, zones_and_override);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
