/* Unit tests: lib/tghtml (escaping, counting, checking, cutting, plain
 * text, splitting). */
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
	/* As tg-send measures a text too long for Telegram (abc and \xff\xfe
	 * were asserted by check_tgapi too). */
	ck_assert_uint_eq(tghtml_utf16_units("\xd0\xb6", 2), 1);		/* ж */
	ck_assert_uint_eq(tghtml_utf16_units("\xf0\x9f\x9a\xa8", 4), 2);	/* 🚨 */
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
	"<a href=\"https://a.b/<\">x</a>",
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
	char *out = tghtml_plain(in, sizeof in - 1, TGHTML_PLAIN_TERMINAL);

	ck_assert_str_eq(out, "A & https://a.b/ here <https://c.d/x?y=1&z>\n"
	    "\xe2\x94\x82 one\n\xe2\x94\x82 two");
	free(out);
}
END_TEST

/* tg-send's plain-text resend of s (caller frees). */
static char *
resend(const char *s)
{
	char *out = tghtml_plain(s, strlen(s), TGHTML_PLAIN_RESEND);

	ck_assert_ptr_nonnull(out);
	return out;
}

static int
split(const char *text, int html, size_t limit, char ***parts, size_t *n)
{
	return tghtml_split(text, strlen(text), html, limit, parts, n);
}

START_TEST(plain_text)
{
	char *s;

	s = resend("<b>ZeroDivisionError</b> in &lt;module&gt; "
	    "&amp; &#128680; &apos; <module> "
	    "<a href=\"https://x.io/?a=1&amp;b=2\">Open</a> "
	    "<a href=\"https://y.io\">https://y.io</a>");
	ck_assert_str_eq(s, "ZeroDivisionError in <module> & \xf0\x9f\x9a\xa8 "
	    "&apos; <module> Open (https://x.io/?a=1&b=2) https://y.io");
	free(s);
	s = resend("");
	ck_assert_str_eq(s, "");
	free(s);
	s = resend("<a href=\"u\">never closed & <");
	ck_assert_str_eq(s, "never closed & <");
	free(s);
}
END_TEST

static size_t
units_of(const char *s)
{
	return tghtml_utf16_units(s, strlen(s));
}

START_TEST(split_lines)
{
	char **p;
	size_t n;

	ck_assert_int_eq(split("aaaa\nbbbb\ncccc", 0, 10, &p, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(p[0], "aaaa\nbbbb");
	ck_assert_str_eq(p[1], "cccc");
	tghtml_parts_free(p, n);
	/* A line longer than the limit breaks at a space, then anywhere. */
	ck_assert_int_eq(split("aaa bbb cccccccccc", 0, 8, &p, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(p[0], "aaa bbb ");
	ck_assert_str_eq(p[1], "cccccccc");
	ck_assert_str_eq(p[2], "cc");
	tghtml_parts_free(p, n);
	/* Never inside a character. */
	ck_assert_int_eq(split("\xf0\x9f\x9a\xa8\xf0\x9f\x9a\xa8x", 0, 3,
	    &p, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(p[0], "\xf0\x9f\x9a\xa8");
	ck_assert_str_eq(p[1], "\xf0\x9f\x9a\xa8x");
	tghtml_parts_free(p, n);
	/* Blank parts are left out. */
	ck_assert_int_eq(split("ab\n\n\n\n\n\n\n\n\n\n\n\ncd", 0, 4, &p, &n), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert(strpbrk(p[i], "abcd") != NULL);
	tghtml_parts_free(p, n);
	ck_assert_int_eq(split("\xf0\x9f\x9a\xa8", 0, 1, &p, &n), -1);
}
END_TEST

START_TEST(split_html)
{
	char **p;
	size_t n;
	const char *text = "<b>title line</b>\n<pre>line one\nline two\n"
	    "line three</pre>\n<a href=\"https://s.io/1\">Open &amp; see</a>";

	ck_assert_int_eq(split(text, 1, 40, &p, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(p[0], "<b>title line</b>\n<pre>line one</pre>");
	ck_assert_str_eq(p[1], "<pre>line two\nline three</pre>");
	/* The link (43 units) is cut at its space and opened again. */
	ck_assert_str_eq(p[2], "<a href=\"https://s.io/1\">Open &amp; </a>");
	ck_assert_str_eq(p[3], "<a href=\"https://s.io/1\">see</a>");
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_le(units_of(p[i]), 40);
	tghtml_parts_free(p, n);
	/* An entity is never cut. */
	ck_assert_int_eq(split("&amp;&amp;&amp;", 1, 7, &p, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(p[1], "&amp;");
	tghtml_parts_free(p, n);
	/* Unknown tags are text, split like text. */
	ck_assert_int_eq(split("<module> x", 1, 5, &p, &n), 0);
	ck_assert_str_eq(p[0], "<modu");
	tghtml_parts_free(p, n);
}
END_TEST

START_TEST(split_real_size)
{
	/* 300 lines of 40 units: 12000 units in parts <= 4096 (102 whole
	 * lines each), and nothing lost. */
	char *text = malloc(300 * 41 + 1), **p;
	size_t n, total = 0, o = 0;

	for (int i = 0; i < 300; i++)
		o += (size_t)sprintf(text + o, "%039d\n", i);
	ck_assert_int_eq(split(text, 0, TGHTML_MAX_UNITS, &p, &n), 0);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_le(units_of(p[i]), TGHTML_MAX_UNITS);
		ck_assert_uint_eq((strlen(p[i]) + 1) % 40, 0);
		total += strlen(p[i]) + 1;
	}
	ck_assert_uint_eq(total, strlen(text));
	tghtml_parts_free(p, n);
	free(text);
}
END_TEST

/* text without white space and (html) without the known tags */
static char *
squeeze(const char *s, int html)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	while (*s) {
		if (html && *s == '<' && (strncmp(s, "<b>", 3) == 0 ||
		    strncmp(s, "</b>", 4) == 0 || strncmp(s, "<i>", 3) == 0 ||
		    strncmp(s, "</i>", 4) == 0 || strncmp(s, "<pre>", 5) == 0 ||
		    strncmp(s, "</pre>", 6) == 0 ||
		    strncmp(s, "<a href=\"https://x.io\">", 23) == 0 ||
		    strncmp(s, "</a>", 4) == 0)) {
			s = strchr(s, '>') + 1;
			continue;
		}
		if (*s != ' ' && *s != '\n')
			*o++ = *s;
		s++;
	}
	*o = '\0';
	return out;
}

/* 1 when every known tag in s is closed in order. */
static int
balanced(const char *s)
{
	char stack[64][8];
	int n = 0;

	for (; *s; s++) {
		char name[8];

		if (*s != '<')
			continue;
		if (sscanf(s, "<%7[a-z]", name) == 1 &&
		    strstr("b i pre a", name) && (s[1 + strlen(name)] == '>' ||
		    s[1 + strlen(name)] == ' ')) {
			if (n == 64)
				return 0;
			strcpy(stack[n++], name);
		} else if (sscanf(s, "</%7[a-z]>", name) == 1 &&
		    strstr("b i pre a", name)) {
			if (n == 0 || strcmp(stack[--n], name) != 0)
				return 0;
		}
	}
	return n == 0;
}

START_TEST(split_properties)
{
	static const char *const pieces[] = { "word", " ", "\n", "&amp;",
	    "\xd0\xb6", "\xf0\x9f\x9a\xa8", "<b>", "</b>", "<i>", "</i>",
	    "<pre>", "</pre>", "<a href=\"https://x.io\">", "</a>",
	    "longerwordwithoutspaces", "<module>" };
	unsigned seed = 12345;

	/* Tags nest at most 3 deep, so that a part always has room for the
	 * tags it must reopen and close (60 units) and one character. */
	for (int round = 0; round < 400; round++) {
		char text[4096] = "", open[16][32];
		int nopen = 0, html = round % 2;
		size_t limit = 60 + (size_t)(round % 50) * 3, n;
		char **p, *want, *got;
		size_t len = 0;

		/* Random text; with html, tags are well nested. */
		for (int i = 0; i < 80 && len < 3500; i++) {
			int k;

			seed = seed * 1103515245 + 12345;
			k = (int)((seed >> 16) % 16);
			if (!html && k >= 6 && k <= 13)
				k = 0;
			if (k == 6 || k == 8 || k == 10 || k == 12) {
				if (nopen == 3 || (k == 12 && nopen > 0))
					continue;
				strcpy(open[nopen++], pieces[k + 1]);
			} else if (k == 7 || k == 9 || k == 11 || k == 13) {
				if (nopen == 0)
					continue;
				strcat(text, open[--nopen]);
				len = strlen(text);
				continue;
			}
			strcat(text, pieces[k]);
			len = strlen(text);
		}
		while (nopen > 0)
			strcat(text, open[--nopen]);
		ck_assert_int_eq(split(text, html, limit, &p, &n), 0);
		got = calloc(1, strlen(text) * 3 + 1);
		for (size_t i = 0; i < n; i++) {
			ck_assert_msg(units_of(p[i]) <= limit, "part %zu of \"%s\" "
			    "is %zu units, limit %zu", i, text, units_of(p[i]), limit);
			if (html)
				ck_assert_msg(balanced(p[i]), "unbalanced part "
				    "\"%s\" of \"%s\"", p[i], text);
			strcat(got, p[i]);
		}
		want = squeeze(text, html);
		{
			char *g = squeeze(got, html);

			ck_assert_str_eq(g, want);
			free(g);
		}
		free(want);
		free(got);
		tghtml_parts_free(p, n);
	}
}
END_TEST

START_TEST(plain_reads_tags_as_telegram_does)
{
	/* A tag Telegram knows, in any case and whatever its attributes; a
	 * '>' or '<' inside a quoted value does not end it. */
	const char *term = "<br>x<B>y</B><a href=\"https://a.b\">c</a>";
	char *s = resend("<B>x</B> <b foo>y</b> <a href = \"https://s.io\">l</a> "
	    "<a href=\"https://q.io/a>b\">m</a> <br><b1>z</b1> &#x41;&#0065; "
	    "<a href='https://q.io/?a<b'>n</a>");

	ck_assert_str_eq(s, "x y l (https://s.io) m (https://q.io/a>b) "
	    "<br><b1>z</b1> AA n (https://q.io/?a<b)");
	free(s);
	/* Not a tag: the name runs into something else, a quote never ends,
	 * another tag starts inside. */
	s = resend("<b\xd0\xb6>x <b title=\"y>z <b <i>w</i>");
	ck_assert_str_eq(s, "<b\xd0\xb6>x <b title=\"y>z <b w");
	free(s);
	s = tghtml_plain(term, strlen(term), TGHTML_PLAIN_TERMINAL);
	ck_assert_str_eq(s, "<br>xyc <https://a.b>");
	free(s);
}
END_TEST

START_TEST(split_reopens_deep_nesting)
{
	/* More tags open than a check allows (32): each part still opens
	 * and closes all 40. */
	char text[40 * 3 + 40 * 5 + 40 * 4 + 1] = "", **p;
	size_t n;

	for (int i = 0; i < 40; i++)
		strcat(text, "<b>");
	for (int i = 0; i < 40; i++)
		strcat(text, "word ");
	for (int i = 0; i < 40; i++)
		strcat(text, "</b>");
	ck_assert_int_eq(split(text, 1, 300, &p, &n), 0);
	ck_assert_uint_ge(n, 10);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(p[i]);

		ck_assert_uint_le(units_of(p[i]), 300);
		for (int k = 0; k < 40; k++) {
			ck_assert(strncmp(p[i] + 3 * k, "<b>", 3) == 0);
			ck_assert(strncmp(p[i] + len - 4 * (k + 1), "</b>", 4) == 0);
		}
		ck_assert(balanced(p[i]));
	}
	tghtml_parts_free(p, n);
	/* No room for the tags to reopen and close: no split. */
	ck_assert_int_eq(split(text, 1, 280, &p, &n), -1);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(n, 0);
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
	tcase_add_test(tc, plain_text);
	tcase_add_test(tc, split_lines);
	tcase_add_test(tc, split_html);
	tcase_add_test(tc, split_real_size);
	tcase_add_test(tc, split_properties);
	tcase_add_test(tc, plain_reads_tags_as_telegram_does);
	tcase_add_test(tc, split_reopens_deep_nesting);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
