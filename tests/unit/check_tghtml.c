/* Unit tests: lib/tghtml (escaping, counting, cutting, checking). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tghtml.h"

/* Build "prefix + text(s, max)" and return the HTML (caller frees). */
static char *
built(const char *s, size_t n, size_t max_units, int *cut, size_t *units)
{
	struct tghtml h;
	char *out;

	tghtml_init(&h);
	*cut = tghtml_text(&h, s, n, max_units);
	*units = h.units;
	out = tghtml_finish(&h, NULL);
	ck_assert_ptr_nonnull(out);
	return out;
}

static int
valid(const char *html, size_t *units)
{
	char err[200];
	size_t u;

	return tghtml_check(html, strlen(html), units ? units : &u, err,
	    sizeof err) == 0;
}

START_TEST(escapes_telegram_set_only)
{
	int cut;
	size_t units;
	char *out = built("<a href='x'>&\"b\" &apos;</a>", 27, 1000, &cut,
	    &units);

	ck_assert_str_eq(out, "&lt;a href='x'&gt;&amp;&quot;b&quot; "
	    "&amp;apos;&lt;/a&gt;");
	ck_assert_int_eq(cut, 0);
	ck_assert_uint_eq(units, 27);
	ck_assert(valid(out, &units));
	ck_assert_uint_eq(units, 27);
	free(out);
}
END_TEST

START_TEST(counts_utf16_units)
{
	ck_assert_uint_eq(tghtml_utf16_units("abc", 3), 3);
	ck_assert_uint_eq(tghtml_utf16_units("\xc3\xa9", 2), 1);		/* é */
	ck_assert_uint_eq(tghtml_utf16_units("\xf0\x9f\x98\x80", 4), 2);	/* 😀 */
	ck_assert_uint_eq(tghtml_utf16_units("\xe2\x80\xae", 3), 1);	/* RLO */
	ck_assert_uint_eq(tghtml_utf16_units("\xff\xfe", 2), 2);	/* 2 × U+FFFD */
}
END_TEST

START_TEST(cut_never_splits_a_surrogate_pair)
{
	const char s[] = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80";
	size_t units;
	int cut;
	char *out = built(s, sizeof s - 1, 4, &cut, &units);

	/* Two emoji (4 units) + "…" would be 5: one emoji and "…". */
	ck_assert_str_eq(out, "\xf0\x9f\x98\x80" TGHTML_ELLIPSIS);
	ck_assert_int_eq(cut, 1);
	ck_assert_uint_eq(units, 3);
	free(out);
	out = built(s, sizeof s - 1, 6, &cut, &units);
	ck_assert_str_eq(out, s);
	ck_assert_int_eq(cut, 0);
	free(out);
	out = built(s, sizeof s - 1, 0, &cut, &units);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(cut, 1);
	free(out);
}
END_TEST

START_TEST(cut_never_splits_an_entity)
{
	size_t units;
	int cut;
	char *out = built("&&&&&", 5, 3, &cut, &units);

	ck_assert_str_eq(out, "&amp;&amp;" TGHTML_ELLIPSIS);
	ck_assert_uint_eq(units, 3);
	ck_assert(valid(out, NULL));
	free(out);
}
END_TEST

START_TEST(bad_utf8_and_controls)
{
	size_t units;
	int cut;
	char *out = built("a\xffz\x00q\x07\r\t\n\x7f" "b", 11, 100, &cut, &units);

	ck_assert_str_eq(out, "a\xef\xbf\xbdzq\t\nb");
	ck_assert_uint_eq(units, 7);
	ck_assert(valid(out, NULL));
	free(out);
	/* A lone surrogate encoded in UTF-8 (CESU) is invalid: 3 × U+FFFD. */
	out = built("\xed\xb0\x80", 3, 100, &cut, &units);
	ck_assert_str_eq(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(out);
}
END_TEST

START_TEST(builder_keeps_tags_balanced)
{
	struct tghtml h;
	char *out;

	tghtml_init(&h);
	tghtml_open(&h, "b", NULL);
	tghtml_puts(&h, "x");
	tghtml_open_link(&h, "https://a.b/?q=1&r=\"2\"");
	tghtml_puts(&h, "y");
	out = tghtml_finish(&h, NULL);
	ck_assert_str_eq(out, "<b>x<a href=\"https://a.b/?q=1&amp;r=&quot;2"
	    "&quot;\">y</a></b>");
	ck_assert(valid(out, NULL));
	free(out);

	tghtml_init(&h);
	for (int i = 0; i <= TGHTML_DEPTH; i++)
		tghtml_open(&h, "b", NULL);
	ck_assert_ptr_null(tghtml_finish(&h, NULL));	/* too deep: failed */

	tghtml_init(&h);
	tghtml_close(&h);				/* nothing open */
	ck_assert_ptr_null(tghtml_finish(&h, NULL));
}
END_TEST

START_TEST(rewind_drops_a_tail)
{
	struct tghtml h;
	size_t len, units;
	char *out;

	tghtml_init(&h);
	tghtml_puts(&h, "keep");
	len = h.len, units = h.units;
	tghtml_puts(&h, " & drop");
	tghtml_rewind(&h, len, units);
	ck_assert_uint_eq(h.units, 4);
	out = tghtml_finish(&h, NULL);
	ck_assert_str_eq(out, "keep");
	free(out);
}
END_TEST

static const char *const good[] = {
	"plain",
	("<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u>"
	"<ins>i</ins><s>s</s><strike>s</strike><del>d</del>"),
	"<span class=\"tg-spoiler\">x</span><tg-spoiler>y</tg-spoiler>",
	"<a href=\"https://a.b/?x=1&amp;y=2\">l</a>",
	("<code>c</code><pre>p</pre><pre><code class=\"language-c\">x"
	"</code></pre>"),
	"<blockquote>q</blockquote><blockquote expandable>e</blockquote>",
	"<tg-emoji emoji-id=\"5368324170671202286\">\xf0\x9f\x91\x8d</tg-emoji>",
	"&lt;&gt;&amp;&quot;&#65;&#x1F600;", "a > b \"c\"", "<b><i>x</i></b>",
	"tab\tnew\nline\r",
};

static const char *const bad[] = {
	"<br>", "<b>x</i>", "<b>x", "x</b>", "&apos;", "&nbsp;", "a & b",
	"&#0;", "&#xD800;", "&#1114112;", "<a>x</a>", "<a href=\"\">x</a>",
	"<span>x</span>", "<b class=\"x\">y</b>", "<a href=x>y</a>",
	"<code><b>x</b></code>",
	("<blockquote><blockquote>x</blockquote></blockquote>"),
	("<a href=\"https://a.b\"><a href=\"https://c.d\">x</a></a>"), "a < b", "<B>x</B>", "\xff", "\xed\xb0\x80", "x\x01y",
	"<b/>", "<b >x</b  x>", "<script>x</script>",
	"<tg-emoji emoji-id=\"12a\">x</tg-emoji>",
};

START_TEST(check_accepts_what_telegram_accepts)
{
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char err[200] = "";
		size_t units;

		if (tghtml_check(good[i], strlen(good[i]), &units, err,
		    sizeof err) != 0)
			ck_abort_msg("refused %s: %s", good[i], err);
	}
}
END_TEST

START_TEST(check_refuses_what_telegram_refuses)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[200] = "";
		size_t units;

		if (tghtml_check(bad[i], strlen(bad[i]), &units, err,
		    sizeof err) == 0)
			ck_abort_msg("accepted %s", bad[i]);
		ck_assert(strncmp(err, "byte ", 5) == 0);
	}
}
END_TEST

START_TEST(check_counts_after_parsing)
{
	size_t units;

	ck_assert(valid("<b>&lt;</b><a href=\"https://a.b/long/url\">x</a>"
	    "&#x1F600;\xf0\x9f\x98\x80", &units));
	ck_assert_uint_eq(units, 6);
}
END_TEST

START_TEST(cut_html_between_tags_and_entities)
{
	const char in[] = "<b>hello &amp; world</b> tail";
	size_t len, units;
	char *out = tghtml_cut(in, sizeof in - 1, 8, &len);

	ck_assert_str_eq(out, "<b>hello &amp;" TGHTML_ELLIPSIS "</b>");
	ck_assert_uint_eq(len, strlen(out));
	ck_assert(valid(out, &units));
	ck_assert_uint_eq(units, 8);
	free(out);

	out = tghtml_cut(in, sizeof in - 1, 100, &len);
	ck_assert_str_eq(out, in);
	free(out);

	const char emoji[] = "<blockquote expandable>ab\xf0\x9f\x98\x80"
	    "cd</blockquote>";
	out = tghtml_cut(emoji, sizeof emoji - 1, 4, &len);
	ck_assert_str_eq(out, "<blockquote expandable>ab" TGHTML_ELLIPSIS
	    "</blockquote>");
	free(out);

	ck_assert_ptr_null(tghtml_cut("<b>x", 4, 10, &len));	/* invalid */
}
END_TEST

START_TEST(cut_long_text_fits_the_limit)
{
	size_t n = 100000, len, units;
	char *big = malloc(n * 5 + 32), *out;
	size_t k = 0;

	k += (size_t)sprintf(big, "<i>");
	for (size_t i = 0; i < n; i++)
		k += (size_t)sprintf(big + k, i % 3 ? "&amp;" : "\xf0\x9f\x98\x80");
	k += (size_t)sprintf(big + k, "</i>");
	out = tghtml_cut(big, k, TGHTML_MAX_UNITS, &len);
	ck_assert(valid(out, &units));
	ck_assert_uint_le(units, TGHTML_MAX_UNITS);
	ck_assert_uint_ge(units, TGHTML_MAX_UNITS - 2);
	free(out);
	free(big);
}
END_TEST

START_TEST(plain_for_terminals)
{
	const char in[] = "<b>A</b> &amp; <a href=\"https://a.b/\">https://a.b/"
	    "</a> <a href=\"https://c.d/x?y=1&amp;z\">here</a>\n"
	    "<blockquote expandable>one\ntwo</blockquote>";
	char *out = tghtml_plain(in, sizeof in - 1);

	ck_assert_str_eq(out, "A & https://a.b/ here <https://c.d/x?y=1&z>\n"
	    "\xe2\x94\x82 one\n\xe2\x94\x82 two");
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tghtml");
	TCase *tc = tcase_create("tghtml");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, escapes_telegram_set_only);
	tcase_add_test(tc, counts_utf16_units);
	tcase_add_test(tc, cut_never_splits_a_surrogate_pair);
	tcase_add_test(tc, cut_never_splits_an_entity);
	tcase_add_test(tc, bad_utf8_and_controls);
	tcase_add_test(tc, builder_keeps_tags_balanced);
	tcase_add_test(tc, rewind_drops_a_tail);
	tcase_add_test(tc, check_accepts_what_telegram_accepts);
	tcase_add_test(tc, check_refuses_what_telegram_refuses);
	tcase_add_test(tc, check_counts_after_parsing);
	tcase_add_test(tc, cut_html_between_tags_and_entities);
	tcase_add_test(tc, cut_long_text_fits_the_limit);
	tcase_add_test(tc, plain_for_terminals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
