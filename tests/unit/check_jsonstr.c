/* Unit tests: lib/jsonstr (escaping, base64 output, buffered output). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "jsonstr.h"

/* Run f over the output and return what reached the fd. */
static char result[8192];

static const char *
escaped(const void *s, size_t len, int *valid)
{
	FILE *f = tmpfile();
	char buf[16];	/* tiny: exercises the flushes */
	struct jsonstr_out o;
	size_t n, want = jsonstr_escaped_len(s, len, valid);

	jsonstr_init(&o, fileno(f), buf, sizeof buf);
	jsonstr_escape(&o, s, len);
	ck_assert_int_eq(jsonstr_flush(&o), 0);
	ck_assert_uint_eq(o.written, want);	/* the length is exact */
	rewind(f);
	n = fread(result, 1, sizeof result - 1, f);
	result[n] = '\0';
	fclose(f);
	return result;
}

START_TEST(escape_ascii_and_controls)
{
	int v;

	ck_assert_str_eq(escaped("a\"b\\c/", 6, &v), "a\\\"b\\\\c/");
	ck_assert_int_eq(v, 1);
	ck_assert_str_eq(escaped("\b\f\n\r\t\001\037\177", 8, &v),
	    "\\b\\f\\n\\r\\t\\u0001\\u001f\177");
	ck_assert_str_eq(escaped("a\0b", 3, &v), "a\\u0000b");
	ck_assert_str_eq(escaped("", 0, &v), "");
}
END_TEST

START_TEST(utf8_passed_and_invalid_marked)
{
	int v;

	ck_assert_str_eq(escaped("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, &v),
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	ck_assert_int_eq(v, 1);
	ck_assert_str_eq(escaped("a\xff", 2, &v), "a\\u00ff");
	ck_assert_int_eq(v, 0);
	escaped("\xc0\x80", 2, &v);		/* overlong NUL */
	ck_assert_int_eq(v, 0);
	escaped("\xed\xa0\x80", 3, &v);		/* surrogate */
	ck_assert_int_eq(v, 0);
	escaped("\xf4\x90\x80\x80", 4, &v);	/* past U+10FFFF */
	ck_assert_int_eq(v, 0);
	escaped("\xe2\x82", 2, &v);		/* cut short */
	ck_assert_int_eq(v, 0);
}
END_TEST

static const char *
b64(const char *s)
{
	FILE *f = tmpfile();
	char buf[64];
	struct jsonstr_out o;
	size_t n;

	jsonstr_init(&o, fileno(f), buf, sizeof buf);
	jsonstr_base64(&o, s, strlen(s));
	jsonstr_flush(&o);
	ck_assert_uint_eq(o.written, jsonstr_base64_len(strlen(s)));
	rewind(f);
	n = fread(result, 1, sizeof result - 1, f);
	result[n] = '\0';
	fclose(f);
	return result;
}

START_TEST(base64)
{
	ck_assert_str_eq(b64(""), "");
	ck_assert_str_eq(b64("f"), "Zg==");
	ck_assert_str_eq(b64("fo"), "Zm8=");
	ck_assert_str_eq(b64("foo"), "Zm9v");
	ck_assert_str_eq(b64("foobar"), "Zm9vYmFy");
	ck_assert_str_eq(b64("\xff\xfe\xfd"), "//79");
}
END_TEST

START_TEST(numbers_lower_and_errors)
{
	FILE *f = tmpfile();
	char buf[8];
	struct jsonstr_out o;
	int p[2];

	jsonstr_init(&o, fileno(f), buf, sizeof buf);
	jsonstr_u64(&o, 0);
	jsonstr_puts(&o, ",");
	jsonstr_u64(&o, 18446744073709551615ULL);
	jsonstr_puts(&o, ",");
	jsonstr_escape_lower(&o, "Sentry-Hook-Resource", 20);
	jsonstr_flush(&o);
	rewind(f);
	result[fread(result, 1, sizeof result - 1, f)] = '\0';
	ck_assert_str_eq(result, "0,18446744073709551615,sentry-hook-resource");
	ck_assert_uint_eq(jsonstr_digits(9), 1);
	ck_assert_uint_eq(jsonstr_digits(10), 2);
	fclose(f);

	/* a write error is kept, not lost */
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	jsonstr_init(&o, p[1], buf, sizeof buf);
	jsonstr_puts(&o, "0123456789abcdef");
	ck_assert_int_eq(jsonstr_flush(&o), -1);
	ck_assert_int_ne(o.err, 0);
	close(p[1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jsonstr");
	TCase *tc = tcase_create("jsonstr");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, escape_ascii_and_controls);
	tcase_add_test(tc, utf8_passed_and_invalid_marked);
	tcase_add_test(tc, base64);
	tcase_add_test(tc, numbers_lower_and_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
