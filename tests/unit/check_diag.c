/* Unit tests: lib/diag (redaction, excerpts). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

START_TEST(redaction)
{
	char line[256] = "POST https://api.telegram.org/bot123456:ABC-DEF/sendMessage failed";
	char tight[16] = "x123456:ABC-DEF";

	diag_secret("123456:ABC-DEF");
	diag_secret("no");	/* too short to register */
	diag_redact(line, sizeof line);
	ck_assert_str_eq(line,
	    "POST https://api.telegram.org/bot<redacted>/sendMessage failed");
	diag_redact(tight, sizeof tight);
	ck_assert_ptr_null(strstr(tight, "ABC"));
	diag_forget_secrets();
}
END_TEST

START_TEST(excerpts)
{
	char out[128], big[200];

	ck_assert_str_eq(diag_excerpt("a\nb\x01", 4, 80, out, sizeof out),
	    "a\\x0ab\\x01");
	memset(big, 'x', sizeof big);
	diag_excerpt(big, sizeof big, 80, out, sizeof out);
	ck_assert_uint_eq(strlen(out), 83);
	ck_assert_str_eq(out + 80, "...");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("diag");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, redaction);
	tcase_add_test(tc, excerpts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
