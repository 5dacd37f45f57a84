/* Unit tests: lib/pace. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "pace.h"

START_TEST(parse_limits)
{
	struct pace_limit l;

	ck_assert_int_eq(pace_parse_limit("20/60", &l), 0);
	ck_assert_uint_eq(l.count, 20);
	ck_assert_int_eq(l.window_ms, 60000);
	ck_assert_int_eq(pace_parse_limit("1/0.5", &l), 0);
	ck_assert_int_eq(l.window_ms, 500);
	ck_assert_int_eq(pace_parse_limit("0", &l), 0);
	ck_assert_uint_eq(l.count, 0);
	ck_assert_int_eq(pace_parse_limit("", &l), -1);
	ck_assert_int_eq(pace_parse_limit("5", &l), -1);
	ck_assert_int_eq(pace_parse_limit("5/", &l), -1);
	ck_assert_int_eq(pace_parse_limit("5/0", &l), -1);
	ck_assert_int_eq(pace_parse_limit("-1/1", &l), -1);
	ck_assert_int_eq(pace_parse_limit("1/1x", &l), -1);
	ck_assert_int_eq(pace_parse_limit("1/nan", &l), -1);
}
END_TEST

START_TEST(per_chat)
{
	struct pace_limits lim;
	struct pace *p;

	pace_default_limits(&lim);
	p = pace_new(&lim);
	ck_assert_int_eq(pace_delay(p, "42", 0), 0);
	ck_assert_int_eq(pace_note(p, "42", 0), 0);
	/* One per second per chat: the next may go at 1000. */
	ck_assert_int_eq(pace_delay(p, "42", 300), 700);
	ck_assert_int_eq(pace_delay(p, "42", 1000), 0);
	/* Another chat is not held back by it. */
	ck_assert_int_eq(pace_delay(p, "43", 300), 0);
	pace_free(p);
}
END_TEST

START_TEST(per_group)
{
	struct pace_limits lim;
	struct pace *p;
	int64_t t = 0;

	pace_default_limits(&lim);
	p = pace_new(&lim);
	ck_assert(pace_is_group("-1001234"));
	ck_assert(!pace_is_group("1234"));
	/* 20 sends a second apart fill the group's minute. */
	for (int i = 0; i < 20; i++, t += 1000) {
		ck_assert_int_eq(pace_delay(p, "-100", t), 0);
		pace_note(p, "-100", t);
	}
	/* The 21st waits until the first leaves the 60 s window. */
	ck_assert_int_eq(pace_delay(p, "-100", t), 60000 - t);
	ck_assert_int_eq(pace_delay(p, "-100", 60000), 0);
	/* A private chat has no group limit. */
	t = 0;
	for (int i = 0; i < 30; i++, t += 1000)
		pace_note(p, "100", t + 100000);
	ck_assert_int_eq(pace_delay(p, "100", t + 100000), 0);
	pace_free(p);
}
END_TEST

START_TEST(overall)
{
	struct pace_limits lim;
	struct pace *p;
	char chat[16];

	pace_default_limits(&lim);
	p = pace_new(&lim);
	for (int i = 0; i < 30; i++) {
		snprintf(chat, sizeof chat, "%d", i + 1);
		ck_assert_int_eq(pace_delay(p, chat, 10 * i), 0);
		pace_note(p, chat, 10 * i);
	}
	/* 30 in 290 ms: a 31st chat waits for the first to age out. */
	ck_assert_int_eq(pace_delay(p, "999", 300), 700);
	ck_assert_int_eq(pace_delay(p, "999", 1000), 0);
	pace_free(p);
}
END_TEST

START_TEST(off_and_forget)
{
	struct pace_limits lim = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	struct pace *p = pace_new(&lim);
	char chat[16];

	for (int i = 0; i < 100; i++)
		pace_note(p, "-5", i);
	ck_assert_int_eq(pace_delay(p, "-5", 100), 0);
	pace_free(p);
	/* Many chats over a long time: old ones are forgotten, the answers
	 * stay right (valgrind shows nothing leaks). */
	pace_default_limits(&lim);
	p = pace_new(&lim);
	for (int i = 0; i < 5000; i++) {
		snprintf(chat, sizeof chat, "-%d", i);
		pace_note(p, chat, (int64_t)i * 100000);
	}
	ck_assert_int_eq(pace_delay(p, "-4999", 499900000 + 10), 990);
	ck_assert_int_eq(pace_delay(p, "-0", 499900000 + 10), 0);
	pace_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pace");
	TCase *tc = tcase_create("pace");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parse_limits);
	tcase_add_test(tc, per_chat);
	tcase_add_test(tc, per_group);
	tcase_add_test(tc, overall);
	tcase_add_test(tc, off_and_forget);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
