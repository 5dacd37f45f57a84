/* Unit tests: lib/dotenv and lib/secret. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dotenv.h"
#include "secret.h"

static int
parse(const char *text, char **name, char **value, const char **why)
{
	static char line[512];

	snprintf(line, sizeof line, "%s", text);
	return dotenv_parse_line(line, name, value, why);
}

START_TEST(setup_guide_lines)
{
	char *name, *value;
	const char *why;

	/* Verbatim from the original setup guide, comment and all. */
	ck_assert_int_eq(parse("SENTRY_ALERT_TELEGRAM_TOKEN=YOUR_BOT_TOKEN  # Токен бота для алертов\n",
	    &name, &value, &why), 1);
	ck_assert_str_eq(name, "SENTRY_ALERT_TELEGRAM_TOKEN");
	ck_assert_str_eq(value, "YOUR_BOT_TOKEN");
	ck_assert_int_eq(parse("SENTRY_ALERT_TELEGRAM_TOKEN=123456:ABC-DEF...\n",
	    &name, &value, &why), 1);
	ck_assert_str_eq(value, "123456:ABC-DEF...");
	ck_assert_int_eq(parse("# Telegram для Sentry алертов\n", &name, &value,
	    &why), 0);
	ck_assert_int_eq(parse("   \n", &name, &value, &why), 0);
}
END_TEST

START_TEST(quotes_export_and_hash)
{
	char *name, *value;
	const char *why;

	ck_assert_int_eq(parse("export A=1", &name, &value, &why), 1);
	ck_assert_str_eq(name, "A");
	ck_assert_str_eq(value, "1");
	ck_assert_int_eq(parse("B=\"x # y\" # c", &name, &value, &why), 1);
	ck_assert_str_eq(value, "x # y");
	ck_assert_int_eq(parse("C='a\\nb'", &name, &value, &why), 1);
	ck_assert_str_eq(value, "a\\nb");
	ck_assert_int_eq(parse("D=\"a\\\"b\"", &name, &value, &why), 1);
	ck_assert_str_eq(value, "a\"b");
	ck_assert_int_eq(parse("E=pass#word", &name, &value, &why), 1);
	ck_assert_str_eq(value, "pass#word");
	ck_assert_int_eq(parse("F = spaced ", &name, &value, &why), 1);
	ck_assert_str_eq(value, "spaced");
	ck_assert_int_eq(parse("G=", &name, &value, &why), 1);
	ck_assert_str_eq(value, "");
}
END_TEST

START_TEST(bad_lines)
{
	char *name, *value;
	const char *why;

	ck_assert_int_eq(parse("NOEQUALS", &name, &value, &why), -1);
	ck_assert_int_eq(parse("1A=x", &name, &value, &why), -1);
	ck_assert_int_eq(parse("A=\"open", &name, &value, &why), -1);
	ck_assert_str_eq(why, "unterminated quoted value");
	ck_assert_int_eq(parse("A=\"x\" y", &name, &value, &why), -1);
}
END_TEST

START_TEST(load_file_env_wins)
{
	char path[] = "/tmp/dotenv-test-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("DOTENV_T1=file\nDOTENV_T2=\"two\"\n", f);
	fclose(f);
	setenv("DOTENV_T1", "env", 1);
	unsetenv("DOTENV_T2");
	ck_assert_int_eq(dotenv_load(path, 0, err, sizeof err), 0);
	ck_assert_str_eq(getenv("DOTENV_T1"), "env");
	ck_assert_str_eq(getenv("DOTENV_T2"), "two");
	f = fopen(path, "w");
	fputs("OK=1\nbroken line\n", f);
	fclose(f);
	ck_assert_int_eq(dotenv_load(path, 0, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, ":2: expected NAME=value"));
	unlink(path);
	ck_assert_int_eq(dotenv_load(path, 0, err, sizeof err), -1);
}
END_TEST

START_TEST(secrets)
{
	char path[] = "/tmp/secret-test-XXXXXX", err[256];
	int fd = mkstemp(path), absent;
	FILE *f = fdopen(fd, "w");
	char *s;

	fputs("s3cret\r\n", f);
	fclose(f);
	s = secret_load("SECRET_T_UNUSED", path, &absent, err, sizeof err);
	ck_assert_str_eq(s, "s3cret");
	secret_free(s);
	setenv("SECRET_T", "from-env", 1);
	s = secret_load("SECRET_T", NULL, &absent, err, sizeof err);
	ck_assert_str_eq(s, "from-env");
	ck_assert_ptr_null(getenv("SECRET_T"));	/* children do not inherit */
	secret_free(s);
	s = secret_load("SECRET_T", NULL, &absent, err, sizeof err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(absent, 1);
	f = fopen(path, "w");
	fputs("two\nlines\n", f);
	fclose(f);
	ck_assert_ptr_null(secret_load(NULL, path, &absent, err, sizeof err));
	ck_assert_ptr_null(strstr(err, "two"));
	unlink(path);
	ck_assert(secret_equal("abc", 3, "abc", 3));
	ck_assert(!secret_equal("abc", 3, "abd", 3));
	ck_assert(!secret_equal("abc", 3, "abcd", 4));
	ck_assert(!secret_equal("", 0, "a", 1));
	ck_assert(secret_equal("", 0, "", 0));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dotenv");
	TCase *tc = tcase_create("dotenv");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, setup_guide_lines);
	tcase_add_test(tc, quotes_export_and_hash);
	tcase_add_test(tc, bad_lines);
	tcase_add_test(tc, load_file_env_wins);
	tcase_add_test(tc, secrets);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
