/* Unit tests: lib/tgapi (answer parser and text rules; no network). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tgapi.h"

static struct tgapi_reply r;

static void
parse(long status, const char *body)
{
	tgapi_parse(status, body, strlen(body), &r);
}

static void
setup(void)
{
	tgapi_reply_init(&r);
}

static void
teardown(void)
{
	tgapi_reply_free(&r);
}

START_TEST(ok_message)
{
	parse(200, "{\"ok\":true,\"result\":{\"message_id\":4711,\"chat\":"
	    "{\"id\":-1001234567890,\"type\":\"supergroup\"},\"date\":1,"
	    "\"text\":\"hi\"}}");
	ck_assert_int_eq(r.outcome, TGAPI_OK);
	ck_assert_int_eq(r.json, 1);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_int_eq(r.message_id, 4711);
	ck_assert_int_eq(r.retry_after, -1);
	ck_assert_str_eq(r.migrate_to, "");
	ck_assert_int_eq(jv_get_kind(r.result), JV_KIND_OBJECT);
}
END_TEST

START_TEST(too_many_requests)
{
	parse(429, "{\"ok\":false,\"error_code\":429,\"description\":"
	    "\"Too Many Requests: retry after 7\",\"parameters\":"
	    "{\"retry_after\":7}}");
	ck_assert_int_eq(r.outcome, TGAPI_RETRY_AFTER);
	ck_assert_int_eq(r.retry_after, 7);
	ck_assert_int_eq(r.error_code, 429);
	ck_assert_str_eq(r.description, "Too Many Requests: retry after 7");
	/* retry_after without 429 (a flood wait) still means wait. */
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":\"x\","
	    "\"parameters\":{\"retry_after\":2.5}}");
	ck_assert_int_eq(r.outcome, TGAPI_RETRY_AFTER);
	ck_assert_int_eq(r.retry_after, 3);
}
END_TEST

START_TEST(transient)
{
	parse(502, "<html>\r\n<head><title>502 Bad Gateway</title></head>"
	    "<body></body></html>");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	ck_assert_int_eq(r.json, 0);
	ck_assert_str_eq(r.description, "HTTP 502, not JSON: \"502 Bad Gateway\"");
	parse(500, "{\"ok\":false,\"error_code\":500,\"description\":"
	    "\"Internal Server Error\"}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(200, "");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	ck_assert_str_eq(r.description, "HTTP 200, empty answer");
	parse(200, "[1,2]");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(200, "{\"ok\":tru");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	/* "ok":true with an error status is not trusted. */
	parse(503, "{\"ok\":true}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	/* "ok":false without a 4xx error code is not Telegram refusing the
	 * message (a proxy, a broken front): retried, never dead-lettered */
	parse(200, "{\"ok\":false}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(200, "{\"ok\":false,\"description\":\"oops\"}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(302, "{\"ok\":false,\"error_code\":302}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(200, "{\"ok\":false,\"error_code\":403,\"description\":"
	    "\"Forbidden: bot was blocked by the user\"}");
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
}
END_TEST

START_TEST(bad_requests)
{
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: can't parse entities: Unsupported start tag "
	    "\\\"module\\\" at byte offset 12\"}");
	ck_assert_int_eq(r.outcome, TGAPI_PARSE_ENTITIES);
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: group chat was upgraded to a supergroup chat\","
	    "\"parameters\":{\"migrate_to_chat_id\":-1001234567890}}");
	ck_assert_int_eq(r.outcome, TGAPI_MIGRATED);
	ck_assert_str_eq(r.migrate_to, "-1001234567890");
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: message is too long\"}");
	ck_assert_int_eq(r.outcome, TGAPI_TOO_LONG);
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: chat not found\"}");
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: message thread not found\"}");
	ck_assert_int_eq(r.outcome, TGAPI_NO_TOPIC);
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: BUTTON_URL_INVALID\"}");
	ck_assert_int_eq(r.outcome, TGAPI_BAD_BUTTON);
	parse(403, "{\"ok\":false,\"error_code\":403,\"description\":"
	    "\"Forbidden: bot was blocked by the user\"}");
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
	ck_assert_int_eq(r.error_code, 403);
	parse(401, "{\"ok\":false,\"error_code\":401,\"description\":"
	    "\"Unauthorized\"}");
	ck_assert_int_eq(r.outcome, TGAPI_UNAUTHORIZED);
	parse(404, "{\"ok\":false,\"error_code\":404,\"description\":"
	    "\"Not Found\"}");
	ck_assert_int_eq(r.outcome, TGAPI_NOT_FOUND);
}
END_TEST

START_TEST(hostile_answers)
{
	/* Wrong kinds everywhere: no assertion in libjq, sane fields. */
	parse(400, "{\"ok\":\"yes\",\"error_code\":\"x\",\"description\":[1],"
	    "\"parameters\":[],\"result\":7}");
	ck_assert_int_eq(r.ok, 0);
	ck_assert_int_eq(r.error_code, 400);
	ck_assert_int_eq(r.retry_after, -1);
	ck_assert_int_eq(r.message_id, -1);
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
	parse(200, "{\"ok\":true,\"result\":{\"message_id\":-5}}");
	ck_assert_int_eq(r.message_id, -1);
	parse(400, "{\"ok\":false,\"parameters\":{\"retry_after\":-3,"
	    "\"migrate_to_chat_id\":{}}}");
	ck_assert_int_eq(r.retry_after, -1);
	ck_assert_str_eq(r.migrate_to, "");
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
	tgapi_parse(502, "\0\0\0", 3, &r);
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	ck_assert_int_eq(r.json, 0);
	/* Not NUL-terminated: only len bytes are read. */
	tgapi_parse(200, "{\"ok\":true}XXXX", 11, &r);
	ck_assert_int_eq(r.outcome, TGAPI_OK);
}
END_TEST

START_TEST(utf16)
{
	ck_assert_uint_eq(tgapi_utf16_len("abc", 3), 3);
	ck_assert_uint_eq(tgapi_utf16_len("\xd0\xb6", 2), 1);		/* ж */
	ck_assert_uint_eq(tgapi_utf16_len("\xf0\x9f\x9a\xa8", 4), 2);	/* 🚨 */
	ck_assert_uint_eq(tgapi_utf16_len("\xff\xfe", 2), 2);
}
END_TEST

START_TEST(plain_text)
{
	char *s;

	s = tgapi_plain_text("<b>ZeroDivisionError</b> in &lt;module&gt; "
	    "&amp; &#128680; &apos; <module> "
	    "<a href=\"https://x.io/?a=1&amp;b=2\">Open</a> "
	    "<a href=\"https://y.io\">https://y.io</a>");
	ck_assert_str_eq(s, "ZeroDivisionError in <module> & \xf0\x9f\x9a\xa8 "
	    "&apos; <module> Open (https://x.io/?a=1&b=2) https://y.io");
	free(s);
	s = tgapi_plain_text("");
	ck_assert_str_eq(s, "");
	free(s);
	s = tgapi_plain_text("<a href=\"u\">never closed & <");
	ck_assert_str_eq(s, "never closed & <");
	free(s);
}
END_TEST

static size_t
units(const char *s)
{
	return tgapi_utf16_len(s, strlen(s));
}

START_TEST(split_lines)
{
	char **p;
	size_t n;

	ck_assert_int_eq(tgapi_split("aaaa\nbbbb\ncccc", 0, 10, &p, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(p[0], "aaaa\nbbbb");
	ck_assert_str_eq(p[1], "cccc");
	tgapi_parts_free(p, n);
	/* A line longer than the limit breaks at a space, then anywhere. */
	ck_assert_int_eq(tgapi_split("aaa bbb cccccccccc", 0, 8, &p, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(p[0], "aaa bbb ");
	ck_assert_str_eq(p[1], "cccccccc");
	ck_assert_str_eq(p[2], "cc");
	tgapi_parts_free(p, n);
	/* Never inside a character. */
	ck_assert_int_eq(tgapi_split("\xf0\x9f\x9a\xa8\xf0\x9f\x9a\xa8x", 0, 3,
	    &p, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(p[0], "\xf0\x9f\x9a\xa8");
	ck_assert_str_eq(p[1], "\xf0\x9f\x9a\xa8x");
	tgapi_parts_free(p, n);
	/* Blank parts are left out. */
	ck_assert_int_eq(tgapi_split("ab\n\n\n\n\n\n\n\n\n\n\n\ncd", 0, 4, &p, &n), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert(strpbrk(p[i], "abcd") != NULL);
	tgapi_parts_free(p, n);
	ck_assert_int_eq(tgapi_split("\xf0\x9f\x9a\xa8", 0, 1, &p, &n), -1);
}
END_TEST

START_TEST(split_html)
{
	char **p;
	size_t n;
	const char *text = "<b>title line</b>\n<pre>line one\nline two\n"
	    "line three</pre>\n<a href=\"https://s.io/1\">Open &amp; see</a>";

	ck_assert_int_eq(tgapi_split(text, 1, 40, &p, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(p[0], "<b>title line</b>\n<pre>line one</pre>");
	ck_assert_str_eq(p[1], "<pre>line two\nline three</pre>");
	/* The link (43 units) is cut at its space and opened again. */
	ck_assert_str_eq(p[2], "<a href=\"https://s.io/1\">Open &amp; </a>");
	ck_assert_str_eq(p[3], "<a href=\"https://s.io/1\">see</a>");
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_le(units(p[i]), 40);
	tgapi_parts_free(p, n);
	/* An entity is never cut. */
	ck_assert_int_eq(tgapi_split("&amp;&amp;&amp;", 1, 7, &p, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(p[1], "&amp;");
	tgapi_parts_free(p, n);
	/* Unknown tags are text, split like text. */
	ck_assert_int_eq(tgapi_split("<module> x", 1, 5, &p, &n), 0);
	ck_assert_str_eq(p[0], "<modu");
	tgapi_parts_free(p, n);
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
	ck_assert_int_eq(tgapi_split(text, 0, TGAPI_MAX_TEXT, &p, &n), 0);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_le(units(p[i]), TGAPI_MAX_TEXT);
		ck_assert_uint_eq((strlen(p[i]) + 1) % 40, 0);
		total += strlen(p[i]) + 1;
	}
	ck_assert_uint_eq(total, strlen(text));
	tgapi_parts_free(p, n);
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
		ck_assert_int_eq(tgapi_split(text, html, limit, &p, &n), 0);
		got = calloc(1, strlen(text) * 3 + 1);
		for (size_t i = 0; i < n; i++) {
			ck_assert_msg(units(p[i]) <= limit, "part %zu of \"%s\" "
			    "is %zu units, limit %zu", i, text, units(p[i]), limit);
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
		tgapi_parts_free(p, n);
	}
}
END_TEST

START_TEST(transport_errors_hide_the_token)
{
	static const char token[] = "4242:SeCrEt-token-in-the-url";
	struct tgapi_options o = { .api_url = "http://127.0.0.1:1/",
	    .connect_timeout_ms = 2000, .timeout_ms = 2000 };
	char err[256];
	struct tgapi *t = tgapi_new(&o, token, err, sizeof err);

	ck_assert_ptr_nonnull(t);
	/* Port 1 on this machine: refused, no answer. */
	ck_assert_int_eq(tgapi_call(t, "sendMessage", "{}", 2, &r), 0);
	ck_assert_int_eq(r.transport, 1);
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	ck_assert(r.description[0] != '\0');
	ck_assert_ptr_null(strstr(r.description, "SeCrEt"));
	ck_assert_ptr_null(strstr(r.description, "/bot"));
	/* A method that would change the URL is refused before any I/O. */
	ck_assert_int_eq(tgapi_call(t, "../getMe", "{}", 2, &r), -1);
	ck_assert_int_eq(tgapi_call(t, "sendMessage?x=1", "{}", 2, &r), -1);
	tgapi_free(t);
}
END_TEST

START_TEST(bad_options)
{
	struct tgapi_options o = { .api_url = "ftp://example.org" };
	char err[256];

	ck_assert_ptr_null(tgapi_new(&o, "1:abc", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "https://"));
	o.api_url = NULL;
	ck_assert_ptr_null(tgapi_new(&o, "1:a/b", err, sizeof err));
	ck_assert_ptr_null(strstr(err, "1:a/b"));
	ck_assert_ptr_null(tgapi_new(&o, "1:a b", err, sizeof err));
	ck_assert_ptr_null(tgapi_new(&o, "", err, sizeof err));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tgapi");
	TCase *tc = tcase_create("tgapi");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ok_message);
	tcase_add_test(tc, too_many_requests);
	tcase_add_test(tc, transient);
	tcase_add_test(tc, bad_requests);
	tcase_add_test(tc, hostile_answers);
	tcase_add_test(tc, utf16);
	tcase_add_test(tc, plain_text);
	tcase_add_test(tc, split_lines);
	tcase_add_test(tc, split_html);
	tcase_add_test(tc, split_real_size);
	tcase_add_test(tc, split_properties);
	tcase_add_test(tc, transport_errors_hide_the_token);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
