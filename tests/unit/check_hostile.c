/*
 * Unit tests: regressions for crashes and leaks the fuzzers and the
 * hostile-input suite found (tests/fuzz, issue 8).  Each test names the
 * target or case that found it; leaks show only under make check-asan
 * or make check-valgrind, so those tests also assert the visible result.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "jvx.h"
#include "tghtml.h"

/* fuzz_tghtml: a NUL and other control bytes inside an href passed
 * tghtml_check, so tghtml_cut returned text whose strlen was short. */
START_TEST(tghtml_check_refuses_controls_in_attributes)
{
	static const char nul[] = "<a href=\"https://s\x01\0\x0f" "entry.io/\">x</a>";
	static const char *bad[] = {
	    "<a href=\"https://a.io/\x1b[31m\">x</a>",
	    "<a href=\"https://a.io/\xff\">x</a>",
	    "<code class=\"language-\x7f\x01\">x</code>",
	};
	char err[256];
	size_t units, len;
	char *cut;

	ck_assert_int_eq(tghtml_check(nul, sizeof nul - 1, &units, err,
	    sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "attribute"));
	ck_assert_ptr_null(tghtml_cut(nul, sizeof nul - 1, 10, &len));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(tghtml_check(bad[i], strlen(bad[i]), &units,
		    err, sizeof err) == -1, "accepted %s", bad[i]);
	/* What the builder writes for such an href still passes. */
	{
		struct tghtml h;
		char *html;

		tghtml_init(&h);
		tghtml_open_link(&h, "https://a.io/\x01\xff\t<\"&");
		tghtml_puts(&h, "x");
		html = tghtml_finish(&h, &len);
		ck_assert_ptr_nonnull(html);
		ck_assert_int_eq(tghtml_check(html, len, &units, err,
		    sizeof err), 0);
		cut = tghtml_cut(html, len, 1, &len);
		ck_assert_ptr_nonnull(cut);
		ck_assert_uint_eq(strlen(cut), len);
		free(cut);
		free(html);
	}
}
END_TEST

/* fuzz_fmt: a record whose route.chat_id is not a chat id leaked the
 * request object fmt_telegram had started (LeakSanitizer). */
START_TEST(fmt_telegram_bad_chat_is_invalid_without_leak)
{
	static const char rec_text[] = "{\"id\":\"x\",\"route\":{\"chat_id\":"
	    "\"not a chat\"},\"alert\":{\"kind\":\"issue\",\"title\":\"t\"}}";
	struct fmt_opts o = { 0 };
	jv rec = jvx_parse(rec_text, sizeof rec_text - 1);
	jv tg;

	ck_assert(jv_is_valid(rec));
	tg = fmt_telegram(&o, &rec, "t");
	ck_assert(!jv_is_valid(tg));
	jv_free(tg);
	jv_free(rec);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("regressions");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, tghtml_check_refuses_controls_in_attributes);
	tcase_add_test(tc, fmt_telegram_bad_chat_is_invalid_without_leak);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
