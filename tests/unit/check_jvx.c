/* Unit tests: lib/jvx (kind-checked access to untrusted values). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jvx.h"

static const char doc[] =
    "{\"data\":{\"issue\":{\"id\":\"1170820242\",\"count\":\"12\",\"n\":42,"
    "\"big\":12345678901234567890,\"frames\":[{\"f\":\"a\"},{\"f\":\"b\"}],"
    "\"flag\":true,\"str\":\"x\"}},\"arr\":[1,2,3]}";

START_TEST(wrong_kinds_are_absent_not_fatal)
{
	jv root = jv_parse(doc);
	jv arr = jv_parse("[1,2]");
	jv num = jv_number(3);

	/* Each of these asserts in plain libjq 1.6. */
	ck_assert(!jv_is_valid(jvx_get(&arr, "x")));
	ck_assert(!jv_is_valid(jvx_get(&num, "x")));
	ck_assert_ptr_null(jvx_str(&root, "data.issue.n"));
	ck_assert_ptr_null(jvx_str(&root, "data.issue.str.deeper"));
	ck_assert_ptr_null(jvx_str(&root, "arr.x"));
	ck_assert_ptr_null(jvx_str(&root, "arr.7"));
	ck_assert_ptr_null(jvx_str(&root, "missing.path"));
	ck_assert_int_eq(jvx_bool(&root, "data.issue.str"), -1);
	jv_free(root);
	jv_free(arr);
	jv_free(num);
}
END_TEST

START_TEST(paths_and_indexes)
{
	jv root = jv_parse(doc);
	double d;
	char buf[32];

	ck_assert_str_eq(jvx_str(&root, "data.issue.id"), "1170820242");
	ck_assert_str_eq(jvx_str(&root, "data.issue.frames.-1.f"), "b");
	ck_assert_str_eq(jvx_str(&root, "data.issue.frames.0.f"), "a");
	ck_assert_int_eq(jvx_num(&root, "data.issue.count", 0, &d), 0);
	ck_assert_int_eq(jvx_num(&root, "data.issue.count", 1, &d), 1);
	ck_assert(d == 12);
	ck_assert_int_eq(jvx_num(&root, "data.issue.n", 0, &d), 1);
	ck_assert(d == 42);
	ck_assert_int_eq(jvx_bool(&root, "data.issue.flag"), 1);
	ck_assert_str_eq(jvx_text(&root, "data.issue.n", buf, sizeof buf), "42");
	ck_assert_str_eq(jvx_text(&root, "data.issue.id", buf, sizeof buf),
	    "1170820242");
	ck_assert_ptr_null(jvx_text(&root, "data.issue.frames", buf, sizeof buf));
	jv_free(root);
}
END_TEST


/* libjq 1.6 leaks a string that follows a value with no separator:
 * jvx_parse refuses it first (found by tests/fuzz/fuzz_ndjson). */
START_TEST(parse_refuses_adjacent_strings)
{
	static const char *bad[] = { "{\"a\"\"b\"}", "[\"a\" \"b\"]",
	    "{\"a\":1 \"b\":2}", "[[1]\"x\"]", "[true\"x\"]",
	    "{\"a\":\"\\\"\" \"b\"}" };
	static const char *good[] = { "{\"a\":\"b\"}", "[\"a\",\"b\"]",
	    "{\"a\":\"x\\\"\\\\\",\"b\":[1,\"c\"]}", "\"s\"", "[]" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		jv v = jvx_parse(bad[i], strlen(bad[i]));

		ck_assert_msg(!jv_is_valid(v), "accepted %s", bad[i]);
		/* Refused before libjq's parser saw it (which would leak). */
		v = jv_invalid_get_msg(v);
		ck_assert(jv_get_kind(v) == JV_KIND_STRING);
		ck_assert_msg(strstr(jv_string_value(v), "at byte") != NULL,
		    "%s: %s", bad[i], jv_string_value(v));
		jv_free(v);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		jv v = jvx_parse(good[i], strlen(good[i]));

		ck_assert_msg(jv_is_valid(v), "refused %s", good[i]);
		jv_free(v);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jvx");
	TCase *tc = tcase_create("access");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, wrong_kinds_are_absent_not_fatal);
	tcase_add_test(tc, paths_and_indexes);
	tcase_add_test(tc, parse_refuses_adjacent_strings);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
