/* Unit tests: lib/fmt (layout, limits, request) and lib/template. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "jvx.h"
#include "template.h"
#include "tghtml.h"

static const struct fmt_opts defaults = { .tz = "UTC", .silent = FMT_INFO | FMT_DEBUG };

/* The text for a record given as JSON; checked valid and within limits. */
static char *
text_of(const struct fmt_opts *o, const char *json, size_t *units)
{
	jv rec = jv_parse(json);
	char err[256] = "", cerr[256];
	size_t len;
	char *html;

	ck_assert(jv_is_valid(rec));
	html = fmt_text(o, &rec, &len, err, sizeof err);
	jv_free(rec);
	ck_assert_msg(html != NULL, "fmt_text: %s", err);
	ck_assert_uint_eq(len, strlen(html));
	if (tghtml_check(html, len, units, cerr, sizeof cerr) != 0)
		ck_abort_msg("invalid HTML: %s", cerr);
	ck_assert_uint_le(*units, TGHTML_MAX_UNITS);
	return html;
}

/* A JSON string of n copies of unit (caller frees). */
static char *
repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit);
	char *s = malloc(ul * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

START_TEST(linkable_urls)
{
	ck_assert(fmt_linkable("https://sentry.io/organizations/a/issues/1/"));
	ck_assert(fmt_linkable("http://sentry.example.com:9000/x?y=1&z=2#f"));
	ck_assert(fmt_linkable("HTTPS://SENTRY.IO"));
	ck_assert(!fmt_linkable("http://sentry:9000/issues/1/"));	/* no dot */
	ck_assert(!fmt_linkable("http://localhost/"));
	ck_assert(!fmt_linkable("javascript:alert(1)"));
	ck_assert(!fmt_linkable("ftp://a.b/"));
	ck_assert(!fmt_linkable("https://a.b/<x>"));
	ck_assert(!fmt_linkable("https://a.b/\"q"));
	ck_assert(!fmt_linkable("https://a.b/x y"));
	ck_assert(!fmt_linkable("https://user@a.b/"));
	ck_assert(!fmt_linkable("https://a..b/"));
	ck_assert(!fmt_linkable("https://a.b./"));
	ck_assert(!fmt_linkable("https://.a.b/"));
	ck_assert(!fmt_linkable("https://a.b:x/"));
	ck_assert(!fmt_linkable(NULL));
}
END_TEST

START_TEST(chats_and_levels)
{
	unsigned bits;

	ck_assert(fmt_chat_valid("123456789"));
	ck_assert(fmt_chat_valid("-1001234567890"));
	ck_assert(fmt_chat_valid("@alerts_channel"));
	ck_assert(!fmt_chat_valid(""));
	ck_assert(!fmt_chat_valid("-"));
	ck_assert(!fmt_chat_valid("12a"));
	ck_assert(!fmt_chat_valid("@ab"));
	ck_assert(!fmt_chat_valid("@bad-name"));
	ck_assert_int_eq(fmt_levels("info,debug", &bits), 0);
	ck_assert_uint_eq(bits, FMT_INFO | FMT_DEBUG);
	ck_assert_int_eq(fmt_levels("", &bits), 0);
	ck_assert_uint_eq(bits, 0);
	ck_assert_int_eq(fmt_levels("Warning,,fatal", &bits), 0);
	ck_assert_uint_eq(bits, FMT_WARNING | FMT_FATAL);
	ck_assert_int_eq(fmt_levels("info,loud", &bits), -1);
}
END_TEST

START_TEST(guide_layout)
{
	size_t units;
	char *t = text_of(&defaults, "{\"alert\":{\"kind\":\"legacy\","
	    "\"level\":\"error\",\"exception\":{\"type\":\"ZeroDivisionError\","
	    "\"value\":\"division by zero\"},\"location\":{\"file\":"
	    "\"secure_api.py\",\"line\":59,\"function\":\"trigger_error\"},"
	    "\"url\":\"https://sentry.io/issues/1/\",\"environment\":"
	    "\"production\",\"release\":\"loyaltybot@1.0.0\",\"first_seen\":"
	    "\"2025-11-15T16:28:23Z\"}}", &units);

	ck_assert_str_eq(t,
	    "\xf0\x9f\x9a\xa8 <b>SENTRY ALERT</b>\n\n"
	    "\xe2\x9d\x8c <b>ZeroDivisionError</b>\ndivision by zero\n\n"
	    "\xf0\x9f\x93\x8d Location: <code>secure_api.py:59</code> in "
	    "<code>trigger_error</code>\n\n"
	    "\xf0\x9f\x94\x97 View in Sentry: <a href=\"https://sentry.io/"
	    "issues/1/\">https://sentry.io/issues/1/</a>\n\n"
	    "Environment: production\nRelease: loyaltybot@1.0.0\n"
	    "First Seen: 2025-11-15 16:28:23");
	free(t);
}
END_TEST

START_TEST(dates_in_a_zone)
{
	struct fmt_opts o = defaults;
	size_t units;
	char *t;

	o.tz = "Europe/Moscow";
	t = text_of(&o, "{\"alert\":{\"kind\":\"issue\",\"title\":\"x\","
	    "\"first_seen\":\"2025-11-15T16:28:23.5Z\"}}", &units);
	ck_assert_ptr_nonnull(strstr(t, "First Seen: 2025-11-15 19:28:23"));
	free(t);
}
END_TEST

/* A huge stack and message: the stack gives way first (innermost frames
 * kept), then the message; the text stays valid and within the limit. */
START_TEST(trims_stack_then_message)
{
	size_t units, n = 0;
	char *json = malloc(1 << 20), *msg = repeat("m&", 1500), *t;

	n += (size_t)sprintf(json + n, "{\"alert\":{\"kind\":\"issue\","
	    "\"title\":\"T\",\"exception\":{\"type\":\"E\",\"value\":\"%s\"},"
	    "\"stacktrace\":[", msg);
	for (int i = 0; i < 50; i++)
		n += (size_t)sprintf(json + n, "%s{\"file\":\"mod%02d.py\","
		    "\"line\":%d,\"function\":\"f%02d_%s\"}", i ? "," : "", i, i,
		    i, "padding_padding_padding_padding_padding_padding");
	sprintf(json + n, "],\"url\":\"https://sentry.io/x/\"}}");
	t = text_of(&defaults, json, &units);
	ck_assert_uint_le(units, TGHTML_MAX_UNITS);
	/* The message (3000 units) is whole; the stack is cut, innermost kept. */
	free(msg);
	msg = repeat("m&amp;", 1500);
	ck_assert_ptr_nonnull(strstr(t, msg));
	ck_assert_ptr_nonnull(strstr(t, "<blockquote expandable>"));
	ck_assert_ptr_nonnull(strstr(t, "mod49.py:49 in f49_"));
	ck_assert_ptr_null(strstr(t, "mod00.py"));
	ck_assert_ptr_nonnull(strstr(t, "more frames"));
	ck_assert_ptr_nonnull(strstr(t, "View in Sentry"));
	free(t);
	free(msg);

	/* A 100 KB message: the stack goes, the message is cut with "…". */
	msg = repeat("\xf0\x9f\x98\x80<", 20000);
	n = (size_t)sprintf(json, "{\"alert\":{\"kind\":\"issue\",\"title\":"
	    "\"T\",\"message\":\"%s\",\"stacktrace\":[{\"file\":\"a\"},"
	    "{\"file\":\"b\"}],\"environment\":\"prod\"}}", msg);
	t = text_of(&defaults, json, &units);
	ck_assert_uint_le(units, TGHTML_MAX_UNITS);
	ck_assert_uint_gt(units, 3000);	/* the body keeps its 3000 units */
	ck_assert_ptr_nonnull(strstr(t, "Stack trace"));	/* room left */
	ck_assert_ptr_nonnull(strstr(t, TGHTML_ELLIPSIS
	    "\n\n<blockquote expandable>Stack trace"));
	ck_assert_ptr_nonnull(strstr(t, "\n\nEnvironment: prod"));
	free(t);
	free(msg);
	free(json);
}
END_TEST

START_TEST(everything_huge_still_fits)
{
	char *big = repeat("&<\xe2\x80\xae\xf0\x9f\x98\x80", 25000), *json, *t;
	size_t units;
	const char *fields[] = { "title", "message", "culprit", "project",
	    "environment", "release", "short_id", "rule", "url" };

	json = malloc(strlen(big) * 16 + 4096);
	size_t n = (size_t)sprintf(json, "{\"alert\":{\"kind\":\"event_alert\","
	    "\"exception\":{\"type\":\"%s\",\"value\":\"%s\"},\"tags\":{\"a\":"
	    "\"%s\"},\"location\":{\"file\":\"%s\",\"function\":\"%s\"}", big,
	    big, big, big, big);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		n += (size_t)sprintf(json + n, ",\"%s\":\"%s\"", fields[i], big);
	sprintf(json + n, "}}");
	struct fmt_opts o = defaults;
	o.all_tags = 1;
	t = text_of(&o, json, &units);
	ck_assert_uint_le(units, TGHTML_MAX_UNITS);
	free(t);
	free(json);
	free(big);
}
END_TEST

START_TEST(kinds_have_their_headers)
{
	static const struct { const char *json, *want; } cases[] = {
		{ "{\"alert\":{\"kind\":\"issue\",\"action\":\"unresolved\","
		    "\"title\":\"x\"}}", "\xf0\x9f\x94\x81 <b>REGRESSION</b>" },
		{ "{\"alert\":{\"kind\":\"issue\",\"action\":\"resolved\","
		    "\"title\":\"x\",\"resolution\":\"inNextRelease\"}}",
		    "Resolution: in the next release" },
		{ "{\"alert\":{\"kind\":\"issue\",\"action\":\"assigned\","
		    "\"title\":\"x\",\"assignee\":\"ann\"}}", "Assigned to: ann" },
		{ "{\"alert\":{\"kind\":\"metric_alert\",\"action\":\"critical\","
		    "\"title\":\"p95 > 3s\",\"metric\":{\"severity\":\"critical\","
		    "\"threshold\":3000,\"value\":4210.5}}}",
		    "Value: <b>4210.5</b> (threshold 3000)" },
		{ "{\"alert\":{\"kind\":\"event_alert\",\"title\":\"GET /a\","
		    "\"duration_ms\":3421}}", "Duration: 3.42 s" },
		{ "{\"alert\":{\"kind\":\"comment\",\"comment\":\"<hi>\","
		    "\"actor\":\"Ann\"}}", "From: Ann\n<blockquote>&lt;hi&gt;"
		    "</blockquote>" },
		{ "{\"alert\":{\"kind\":\"seer\",\"action\":"
		    "\"root_cause_completed\"}}", "<b>SEER: ROOT CAUSE COMPLETED</b>" },
		{ "{\"alert\":{\"kind\":\"brand_new\",\"action\":\"x<y\"}}",
		    "<b>SENTRY: BRAND NEW X&lt;Y</b>" },
		{ "{\"digest\":{\"total\":5,\"issues\":[{\"short_id\":\"P-1\","
		    "\"title\":\"a<b\",\"count\":5,\"url\":\"https://s.io/1\"}]}}",
		    "<a href=\"https://s.io/1\">P-1</a> a&lt;b \xc3\x97" "5" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t units;
		char *t = text_of(&defaults, cases[i].json, &units);

		if (strstr(t, cases[i].want) == NULL)
			ck_abort_msg("case %zu: %s not in %s", i, cases[i].want, t);
		free(t);
	}
}
END_TEST

START_TEST(held_and_storm)
{
	size_t units;
	char *t, *json, *issues;
	size_t n = 0;

	/* what sentry-filter held back before this message */
	t = text_of(&defaults, "{\"alert\":{\"kind\":\"event_alert\","
	    "\"title\":\"Boom\",\"held\":{\"count\":13,\"since\":"
	    "\"2026-11-29T12:03:41.000Z\"}}}", &units);
	ck_assert_msg(strstr(t, "</b>\n+13 events since 12:03") != NULL, "%s",
	    t);
	free(t);
	/* a storm digest: as many issues as fit, then "and N more" */
	issues = malloc(300 * 200);
	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(issues + n, "%s{\"short_id\":\"API-%d\","
		    "\"title\":\"Error number %d in a module with a long name"
		    "\",\"count\":1,\"url\":\"https://s.io/%d\",\"project\":"
		    "\"api\"}", i ? "," : "", i, i, i);
	json = malloc(n + 400);
	sprintf(json, "{\"digest\":{\"kind\":\"storm\",\"period_start\":"
	    "\"2026-11-29T08:00:00.440Z\",\"period_end\":"
	    "\"2026-11-29T08:00:30.440Z\",\"environment\":\"production\","
	    "\"omitted_issues\":5,\"issues\":[%s]}}", issues);
	t = text_of(&defaults, json, &units);
	const char *head = "\xf0\x9f\x8c\xaa <b>Storm: 305 more issues</b> "
	    "in production in the last 30 s\n\n";
	ck_assert_msg(strncmp(t, head, strlen(head)) == 0, "%.100s", t);
	ck_assert(strstr(t, "API-0</a> Error number 0") != NULL);
	const char *more = strstr(t, "\xe2\x80\xa6 and ");
	ck_assert_ptr_nonnull(more);
	int listed = 0, rest = 0;
	for (const char *p = t; (p = strstr(p, "<a href")) != NULL; p++)
		listed++;
	ck_assert_int_eq(sscanf(more, "\xe2\x80\xa6 and %d more issues",
	    &rest), 1);
	ck_assert_int_eq(listed + rest, 305);
	ck_assert_uint_gt(units, TGHTML_MAX_UNITS - 200);
	free(t);
	free(json);
	free(issues);
}
END_TEST

START_TEST(request_fields)
{
	struct fmt_opts o = defaults;
	jv rec = jv_parse("{\"alert\":{\"level\":\"info\",\"url\":"
	    "\"https://sentry.io/1\"},\"route\":{\"chat_id\":-100123,"
	    "\"thread_id\":7,\"silent\":false}}");
	jv t;

	o.chat = "42";
	t = fmt_telegram(&o, &rec, "x");
	ck_assert_str_eq(jvx_str(&t, "chat_id"), "-100123");
	ck_assert_int_eq(jvx_bool(&t, "disable_notification"), 1);	/* info */
	ck_assert_str_eq(jvx_str(&t, "reply_markup.inline_keyboard.0.0.url"),
	    "https://sentry.io/1");
	ck_assert_int_eq(jvx_bool(&t, "link_preview_options.is_disabled"), 1);
	double d;
	ck_assert(jvx_num(&t, "message_thread_id", 0, &d) && d == 7);
	jv_free(t);
	jv_free(rec);

	rec = jv_parse("{\"alert\":{\"level\":\"error\",\"url\":"
	    "\"http://sentry:9000/1\"},\"route\":{\"thread_id\":0}}");
	t = fmt_telegram(&o, &rec, "x");
	ck_assert_str_eq(jvx_str(&t, "chat_id"), "42");
	ck_assert_int_eq(jvx_bool(&t, "disable_notification"), 0);
	ck_assert(!jv_is_valid(jvx_get(&t, "reply_markup")));
	ck_assert(!jv_is_valid(jvx_get(&t, "message_thread_id")));
	jv_free(t);
	jv_free(rec);

	rec = jv_parse("{\"alert\":{},\"route\":{\"chat_id\":\"x y\"}}");
	t = fmt_telegram(&o, &rec, "x");
	ck_assert(!jv_is_valid(t));
	jv_free(t);
	jv_free(rec);
}
END_TEST

static struct template *
template_from(const char *program, char *err, size_t errsize)
{
	char path[] = "/tmp/check_fmt_XXXXXX";
	int fd = mkstemp(path);
	struct template *t;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, program, strlen(program)),
	    (ssize_t)strlen(program));
	close(fd);
	t = template_load(path, err, errsize);
	unlink(path);
	return t;
}

START_TEST(template_helpers_escape_for_telegram)
{
	char err[512] = "";
	struct template *t = template_from("(.alert.title | tg_escape) + \"|\" + "
	    "(.alert.title | tg_trim(4)) + \"|\" + (.alert.url | tg_link(\"go\")) +"
	    " \"|\" + (\"http://sentry:9000/\" | tg_link(\"x\")) + \"|\" + "
	    "(5 | tg_code)", err, sizeof err);
	jv rec = jv_parse("{\"alert\":{\"title\":\"a<'&\\\">\\u0001b\","
	    "\"url\":\"https://s.io/?a=1&b\"}}");
	size_t len;
	char *html;

	ck_assert_msg(t != NULL, "%s", err);
	html = template_render(t, jv_copy(rec), &len, err, sizeof err);
	ck_assert_msg(html != NULL, "%s", err);
	ck_assert_str_eq(html, "a&lt;'&amp;&quot;&gt;b|a<'" TGHTML_ELLIPSIS
	    "|<a href=\"https://s.io/?a=1&amp;b\">go</a>|http://sentry:9000/|"
	    "<code>5</code>");
	free(html);
	template_free(t);

	t = template_from(".alert.title | tonumber", err, sizeof err);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_null(template_render(t, jv_copy(rec), &len, err,
	    sizeof err));
	ck_assert_msg(strstr(err, "Invalid numeric literal") != NULL, "%s", err);
	ck_assert_ptr_null(template_render(t, jv_parse("{\"alert\":{\"title\":"
	    "\"12\"}}"), &len, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "produced number, not a string"));
	template_free(t);
	jv_free(rec);
}
END_TEST

START_TEST(template_compile_error_names_the_file)
{
	char err[512] = "";

	ck_assert_ptr_null(template_from(".alert | {", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "/tmp/check_fmt_"));
	ck_assert_ptr_nonnull(strstr(err, "syntax error"));
	ck_assert_ptr_nonnull(strstr(err, "line 1"));
	ck_assert_ptr_null(template_from("\n\n  nosuchfn", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "nosuchfn/0 is not defined"));
	ck_assert_ptr_null(template_load("/nonexistent/t.jq", err, sizeof err));
	ck_assert_str_eq(err, "/nonexistent/t.jq: No such file or directory");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("fmt");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, linkable_urls);
	tcase_add_test(tc, chats_and_levels);
	tcase_add_test(tc, guide_layout);
	tcase_add_test(tc, dates_in_a_zone);
	tcase_add_test(tc, trims_stack_then_message);
	tcase_add_test(tc, everything_huge_still_fits);
	tcase_add_test(tc, kinds_have_their_headers);
	tcase_add_test(tc, held_and_storm);
	tcase_add_test(tc, request_fields);
	tcase_add_test(tc, template_helpers_escape_for_telegram);
	tcase_add_test(tc, template_compile_error_names_the_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
