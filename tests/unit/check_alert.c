/* Unit tests: lib/alert (body parsing and the normalised alert view). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "bytes.h"
#include "jvx.h"

/* The alert view of a body, parsed as sentry-verify parses it. */
static jv
norm(const char *body, const char *resource, const char *sentry_url)
{
	struct alert_input in = { resource, body, strlen(body), sentry_url };
	jv p = alert_parse(body, strlen(body)), a;

	ck_assert_msg(jv_is_valid(p), "body did not parse: %s", body);
	a = alert_normalise(&p, &in);
	jv_free(p);
	return a;
}

static void
assert_str(const jv *a, const char *path, const char *want)
{
	const char *got = jvx_str(a, path);

	if (want == NULL) {
		jv v = jvx_at(a, path);

		ck_assert_msg(!jv_is_valid(v), "%s: expected absent", path);
		jv_free(v);
		return;
	}
	ck_assert_msg(got != NULL, "%s: absent, expected \"%s\"", path, want);
	ck_assert_str_eq(got, want);
}

static void
assert_num(const jv *a, const char *path, double want)
{
	double got;

	ck_assert_msg(jvx_num(a, path, 0, &got), "%s: not a number", path);
	ck_assert_double_eq_tol(got, want, 1e-9);
}

static const char *
parse_error(const char *body, size_t len)
{
	static char msg[256];
	jv v = alert_parse(body, len), m;

	if (jv_is_valid(v)) {
		jv_free(v);
		return NULL;
	}
	m = jv_invalid_get_msg(v);
	snprintf(msg, sizeof msg, "%s", jv_string_value(m));
	jv_free(m);
	return msg;
}

START_TEST(parse_refuses_what_is_not_an_object)
{
	char deep[1200];

	ck_assert_str_eq(parse_error("", 0), "empty body");
	ck_assert_ptr_nonnull(strstr(parse_error("not json", 8), "not JSON"));
	ck_assert_str_eq(parse_error("[1,2]", 5), "body is not a JSON object");
	ck_assert_str_eq(parse_error("\"s\"", 3), "body is not a JSON object");
	ck_assert_str_eq(parse_error("{\"a\":\"\xff\"}", 8),
	    "body is not valid UTF-8");
	ck_assert_ptr_nonnull(strstr(parse_error("{\"a\":1}{", 8), "not JSON"));
	memset(deep, '[', 600);
	memset(deep + 600, ']', 600);
	ck_assert_ptr_nonnull(strstr(parse_error(deep, sizeof deep),
	    "depth"));
	ck_assert_ptr_null(parse_error("{\"a\":1}", 7));
}
END_TEST

START_TEST(surrogates)
{
	/* A pair is an emoji; a lone high surrogate (libjq 1.6 refuses
	 * the whole body for it) becomes U+FFFD; "\\ud83d" is text. */
	jv a = norm("{\"message\":\"eyes \\ud83d\\udc40, cut \\ud83d, "
	    "twice \\ud83d\\ud83d\\udc40, lone low \\udc40, "
	    "text \\\\ud83d\"}", NULL, NULL);
	jv p = alert_parse("{\"t\":\"\\ud83d\"}", 14);

	assert_str(&a, "title", "eyes \xf0\x9f\x91\x80, cut \xef\xbf\xbd, "
	    "twice \xef\xbf\xbd\xf0\x9f\x91\x80, lone low \xef\xbf\xbd, "
	    "text \\ud83d");
	int repaired;

	ck_assert(jv_is_valid(p));
	assert_str(&p, "t", "\xef\xbf\xbd");
	jv_free(p);
	jv_free(a);
	/* The caller learns when the text no longer stands for the value. */
	p = alert_parse_repaired("{\"t\":\"\\ud83d\"}", 14, &repaired);
	ck_assert_int_eq(repaired, 1);
	jv_free(p);
	p = alert_parse_repaired("{\"t\":\"\\ud83d\\udc40\"}", 20,
	    &repaired);
	ck_assert(jv_is_valid(p));
	ck_assert_int_eq(repaired, 0);
	jv_free(p);
}
END_TEST

START_TEST(kind_from_header_then_shape)
{
	static const struct { const char *body, *resource, *kind; } t[] = {
		{ "{\"data\":{\"issue\":{}}}", "issue", "issue" },
		{ "{\"data\":{\"issue\":{}}}", NULL, "issue" },
		{ "{\"data\":{\"issue\":{},\"activity\":{}}}", NULL,
		    "activity_alert" },
		{ "{\"data\":{\"event\":{},\"triggered_rule\":\"r\"}}", NULL,
		    "event_alert" },
		{ "{\"data\":{\"error\":{}}}", NULL, "error" },
		{ "{\"data\":{\"metric_alert\":{}}}", NULL, "metric_alert" },
		{ "{\"metric_alert\":{}}", NULL, "metric_alert" },
		{ "{\"data\":{\"comment\":\"x\"}}", NULL, "comment" },
		{ "{\"data\":{\"installation\":{}}}", NULL, "installation" },
		{ "{\"data\":{\"run_id\":1}}", NULL, "seer" },
		{ "{\"triggering_rules\":[],\"event\":{}}", NULL, "legacy" },
		{ "{\"data\":{\"buildId\":\"7\",\"appInfo\":{}}}", NULL,
		    "preprod_artifact" },
		{ "{\"data\":{\"buildId\":\"7\"}}", NULL, "unknown" },
		{ "{\"data\":{\"x\":1}}", NULL, "unknown" },
		{ "{\"data\":{}}", "preprod_artifact", "preprod_artifact" },
		{ "{\"data\":{\"issue\":{}}}", "uptime", "unknown" },
		{ "{}", NULL, "unknown" },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		jv a = norm(t[i].body, t[i].resource, NULL);

		assert_str(&a, "kind", t[i].kind);
		jv_free(a);
	}
}
END_TEST

START_TEST(tags_in_every_shape)
{
	jv a = norm("{\"data\":{\"event\":{\"tags\":[[\"env\",\"prod\"],"
	    "[\"n\",3],[\"bad\"],[1,\"x\"],[\"b\",true]]},"
	    "\"triggered_rule\":\"r\"}}", NULL, NULL);
	jv b = norm("{\"data\":{\"error\":{\"tags\":[{\"key\":\"k\","
	    "\"value\":\"v\"}]}}}", NULL, NULL);
	jv c = norm("{\"data\":{\"error\":{\"tags\":{\"k\":\"v\"}}}}", NULL,
	    NULL);

	assert_str(&a, "tags.env", "prod");
	assert_str(&a, "tags.n", "3");
	assert_str(&a, "tags.b", "true");
	ck_assert_int_eq(jv_object_length(jvx_get(&a, "tags")), 3);
	assert_str(&a, "environment", NULL);	/* "env" is not "environment" */
	jv_free(a);
	assert_str(&b, "tags.k", "v");
	assert_str(&c, "tags.k", "v");
	jv_free(b);
	jv_free(c);
}
END_TEST

START_TEST(location_is_the_last_in_app_frame_of_the_last_exception)
{
	jv a = norm("{\"data\":{\"error\":{\"exception\":{\"values\":["
	    "{\"type\":\"Cause\",\"stacktrace\":{\"frames\":[{\"filename\":"
	    "\"cause.py\",\"lineno\":1,\"in_app\":true}]}},"
	    "{\"type\":\"ZeroDivisionError\",\"value\":\"division by zero\","
	    "\"stacktrace\":{\"frames\":["
	    "{\"filename\":\"flask/app.py\",\"lineno\":10,\"function\":\"run\","
	    "\"in_app\":false},"
	    "{\"filename\":\"secure_api.py\",\"lineno\":59,\"function\":"
	    "\"trigger_error\",\"in_app\":true},"
	    "{\"abs_path\":\"/usr/lib/x.py\",\"lineno\":3,\"in_app\":false}"
	    "]}}]}}}}", NULL, NULL);

	assert_str(&a, "exception.type", "ZeroDivisionError");
	assert_str(&a, "exception.value", "division by zero");
	assert_str(&a, "message", "division by zero");
	assert_str(&a, "location.file", "secure_api.py");
	assert_num(&a, "location.line", 59);
	assert_str(&a, "location.function", "trigger_error");
	ck_assert_int_eq(jvx_bool(&a, "location.in_app"), -1);
	ck_assert_int_eq(jv_array_length(jvx_get(&a, "stacktrace")), 3);
	assert_str(&a, "stacktrace.-1.file", "/usr/lib/x.py");
	ck_assert_int_eq(jvx_bool(&a, "stacktrace.1.in_app"), 1);
	jv_free(a);
}
END_TEST

START_TEST(no_in_app_frame_falls_back_to_the_last)
{
	jv a = norm("{\"data\":{\"error\":{\"exception\":{\"values\":["
	    "{\"stacktrace\":{\"frames\":[{\"filename\":\"a\",\"lineno\":1},"
	    "{\"filename\":\"b\",\"lineno\":2,\"in_app\":false}]}},"
	    "{\"type\":\"NoFrames\"}]}}}}", NULL, NULL);

	assert_str(&a, "location.file", "b");
	assert_str(&a, "exception.type", "NoFrames");
	jv_free(a);
}
END_TEST

START_TEST(at_most_50_innermost_frames)
{
	char *body = malloc(100000), *p;
	jv a;

	p = body + sprintf(body, "{\"data\":{\"error\":{\"stacktrace\":"
	    "{\"frames\":[");
	for (int i = 0; i < 120; i++)
		p += sprintf(p, "%s{\"filename\":\"f%d\",\"lineno\":%d,"
		    "\"in_app\":%s}", i ? "," : "", i, i,
		    i == 10 ? "true" : "false");
	strcpy(p, "]}}}}");
	a = norm(body, NULL, NULL);
	ck_assert_int_eq(jv_array_length(jvx_get(&a, "stacktrace")), 50);
	assert_str(&a, "stacktrace.0.file", "f70");
	assert_str(&a, "stacktrace.-1.file", "f119");
	assert_str(&a, "location.file", "f10");	/* beyond the 50 kept */
	jv_free(a);
	free(body);
}
END_TEST

START_TEST(issue_quirks)
{
	/* count as a string, ids above 2^53 as numbers, no URL */
	jv a = norm("{\"action\":\"resolved\",\"data\":{\"issue\":{"
	    "\"id\":12345678901234567891,\"count\":\"1234\",\"userCount\":7,"
	    "\"project\":{\"id\":9007199254740993,\"slug\":\"api\"},"
	    "\"firstSeen\":\"2025-11-10T20:56:00.679000+02:00\","
	    "\"level\":\"WARN\",\"status\":\"resolved\",\"url\":"
	    "\"https://sentry.io/api/0/organizations/acme/issues/1/\"},"
	    "\"resolution_type\":\"in_next_release\"}}", "issue", NULL);

	assert_str(&a, "action", "resolved");
	assert_str(&a, "issue_id", "12345678901234567891");
	assert_str(&a, "project_id", "9007199254740993");
	assert_num(&a, "count", 1234);
	assert_num(&a, "users", 7);
	assert_str(&a, "level", "warning");
	assert_str(&a, "first_seen", "2025-11-10T18:56:00.679Z");
	assert_str(&a, "resolution", "in_next_release");
	assert_str(&a, "url", "https://sentry.io/organizations/acme/issues/"
	    "12345678901234567891/");
	jv_free(a);
}
END_TEST

START_TEST(built_urls)
{
	jv a = norm("{\"data\":{\"issue\":{\"id\":\"5\",\"project_url\":"
	    "\"https://acme.sentry.io/issues/?project=2\"}}}", NULL, NULL);
	jv b = norm("{\"data\":{\"issue\":{\"id\":\"5\",\"url\":"
	    "\"https://s.example.com/api/0/organizations/acme/issues/5/\"}}}",
	    NULL, NULL);
	jv c = norm("{\"data\":{\"issue\":{\"id\":\"5\"}}}", NULL, NULL);
	jv d = norm("{\"data\":{\"issue\":{\"id\":\"5\"}}}", NULL,
	    "https://acme.sentry.io/");
	jv e = norm("{\"data\":{\"issue\":{\"id\":\"5\",\"web_url\":"
	    "\"https://given/\"}}}", NULL, "https://acme.sentry.io");
	jv f = norm("{\"action\":\"created\",\"data\":{\"comment\":\"hi\","
	    "\"issue_id\":100}}", NULL, NULL);
	jv g = norm("{\"data\":{\"error\":{\"issue_id\":\"5\",\"url\":"
	    "\"https://sentry.io/api/0/projects/acme/api/events/e1/\"}}}", NULL,
	    NULL);

	assert_str(&a, "url", "https://acme.sentry.io/issues/5/");
	assert_str(&b, "url", "https://s.example.com/organizations/acme/"
	    "issues/5/");
	assert_str(&c, "url", "https://sentry.io/issues/5/");
	assert_str(&d, "url", "https://acme.sentry.io/issues/5/");
	assert_str(&e, "url", "https://given/");
	assert_str(&f, "url", "https://sentry.io/issues/100/");
	assert_str(&f, "issue_id", "100");
	assert_str(&f, "comment", "hi");
	assert_str(&g, "url", "https://sentry.io/organizations/acme/issues/5/");
	assert_str(&g, "project", "api");
	jv_free(g);
	jv_free(a);
	jv_free(b);
	jv_free(c);
	jv_free(d);
	jv_free(e);
	jv_free(f);
}
END_TEST

START_TEST(transaction_duration)
{
	jv a = norm("{\"data\":{\"event\":{\"type\":\"transaction\","
	    "\"title\":\"GET /api\",\"start_timestamp\":1700000000.25,"
	    "\"timestamp\":1700000001.5},\"triggered_rule\":\"slow\"}}", NULL,
	    NULL);
	jv b = norm("{\"data\":{\"event\":{\"start_timestamp\":"
	    "\"2025-01-01T00:00:00Z\",\"timestamp\":\"2025-01-01T00:00:02.5Z\"},"
	    "\"triggered_rule\":\"slow\"}}", NULL, NULL);

	assert_num(&a, "duration_ms", 1250);
	assert_str(&a, "title", "GET /api");
	assert_num(&b, "duration_ms", 2500);
	jv_free(a);
	jv_free(b);
}
END_TEST

START_TEST(metric_alert_severity)
{
	jv a = norm("{\"action\":\"warning\",\"data\":{\"metric_alert\":{"
	    "\"alert_rule\":{\"name\":\"Errors\",\"triggers\":[{\"label\":"
	    "\"critical\",\"alert_threshold\":100},{\"label\":\"warning\","
	    "\"alert_threshold\":50}]}},\"description_text\":"
	    "\"75 events in the last 10 minutes\"}}", "metric_alert", NULL);
	jv b = norm("{\"metric_alert\":{\"status\":20}}", NULL, NULL);

	assert_str(&a, "level", "warning");
	assert_str(&a, "metric.severity", "warning");
	assert_num(&a, "metric.threshold", 50);
	assert_num(&a, "metric.value", 75);
	assert_str(&a, "rule", "Errors");
	assert_str(&a, "title", "Errors");
	assert_str(&b, "action", "critical");
	assert_str(&b, "level", "error");
	jv_free(a);
	jv_free(b);
}
END_TEST

START_TEST(metric_alert_open_takes_its_severity)
{
	/* "open" (IncidentStatus.OPEN): the incident's status or the title
	 * says how bad; with neither it is an opening of unknown severity */
	jv a = norm("{\"action\":\"open\",\"data\":{\"metric_alert\":{"
	    "\"status\":20,\"alert_rule\":{\"triggers\":[{\"label\":"
	    "\"critical\",\"alert_threshold\":9}]}},"
	    "\"description_title\":\"Open: Errors\"}}", "metric_alert", NULL);
	jv b = norm("{\"action\":\"open\",\"data\":{\"metric_alert\":{"
	    "\"status\":1},\"description_title\":\"Open: Errors\"}}",
	    "metric_alert", NULL);
	jv c = norm("{\"action\":\"open\",\"data\":{\"metric_alert\":{"
	    "\"status\":2},\"description_title\":\"Warning: Errors\"}}",
	    "metric_alert", NULL);

	assert_str(&a, "action", "open");
	assert_str(&a, "level", "error");
	assert_str(&a, "metric.severity", "critical");
	assert_num(&a, "metric.threshold", 9);
	assert_str(&b, "action", "open");
	assert_str(&b, "level", "warning");
	assert_str(&b, "metric.severity", "open");
	/* an opening is never read as "resolved"; the title still counts */
	assert_str(&c, "metric.severity", "warning");
	jv_free(a);
	jv_free(b);
	jv_free(c);
}
END_TEST

START_TEST(seer_both_shapes_and_iterations)
{
	jv now = norm("{\"action\":\"root_cause_completed\",\"data\":{"
	    "\"run_id\":5,\"group_id\":7,\"root_cause\":{"
	    "\"one_line_description\":\"null user\",\"five_whys\":[\"a\","
	    "\"b\",3],\"relevant_repo\":\"o/r\"}}}", "seer", NULL);
	jv then = norm("{\"action\":\"solution_completed\",\"data\":{"
	    "\"group_id\":7,\"solution\":{\"description\":\"fix it\","
	    "\"steps\":[{\"title\":\"one\"},{},{\"title\":\"two\"}]}}}",
	    "seer", NULL);
	jv it = norm("{\"action\":\"iteration_completed\",\"data\":{"
	    "\"run_id\":5,\"group_id\":7,\"iteration_index\":3,"
	    "\"pull_requests\":[{\"repo_name\":\"o/r\",\"pull_request\":{"
	    "\"pr_number\":12,\"pr_url\":\"https://x.example/pull/12\"}}],"
	    "\"code_changes\":{\"o/r\":[{\"added\":4,\"removed\":1},"
	    "{\"added\":2,\"removed\":\"x\"}],\"p/q\":7}}}", "seer", NULL);
	jv odd = norm("{\"action\":\"pr_ready_for_review\",\"data\":{"
	    "\"group_id\":7}}", "seer", NULL);

	assert_str(&now, "message", "null user");
	assert_str(&now, "seer.run_id", "5");
	assert_str(&now, "seer.step", "root_cause");
	assert_str(&now, "seer.state", "completed");
	assert_str(&now, "seer.repo", "o/r");
	assert_str(&now, "seer.steps.0", "a");
	assert_str(&now, "seer.steps.1", "b");
	assert_str(&now, "seer.steps.2", NULL);
	assert_str(&then, "message", "fix it");
	assert_str(&then, "seer.steps.0", "one");
	assert_str(&then, "seer.steps.1", "two");
	assert_str(&it, "seer.step", "iteration");
	assert_num(&it, "seer.iteration", 3);
	assert_str(&it, "seer.pull_requests.0.url", "https://x.example/pull/12");
	assert_num(&it, "seer.pull_requests.0.number", 12);
	assert_num(&it, "seer.files", 2);
	assert_num(&it, "seer.added", 6);
	assert_num(&it, "seer.removed", 1);
	assert_str(&it, "issue_id", "7");
	assert_str(&odd, "seer.step", "pr_ready_for_review");
	assert_str(&odd, "seer.state", NULL);
	jv_free(now);
	jv_free(then);
	jv_free(it);
	jv_free(odd);
}
END_TEST

START_TEST(preprod_build_notice)
{
	jv a = norm("{\"action\":\"size_analysis_completed\",\"data\":{"
	    "\"buildId\":\"72\",\"organizationSlug\":\"acme\","
	    "\"projectSlug\":\"ios\",\"platform\":\"APPLE\",\"state\":"
	    "\"COMPLETED\",\"appInfo\":{\"name\":\"App\",\"version\":\"2.1\","
	    "\"buildNumber\":40,\"dateAdded\":\"2025-03-19T12:39:44.699049"
	    "+00:00\"},\"downloadSize\":1000,\"comparisons\":[{"
	    "\"metricsArtifactType\":\"MAIN_ARTIFACT\",\"sizeMetricDiff\":{"
	    "\"headDownloadSize\":10,\"baseDownloadSize\":4}}]}}",
	    "preprod_artifact", NULL);
	jv f = norm("{\"action\":\"build_distribution_completed\",\"data\":{"
	    "\"buildId\":9,\"organizationSlug\":\"acme\",\"state\":\"FAILED\","
	    "\"errorCode\":\"NO_QUOTA\",\"isInstallable\":false}}",
	    "preprod_artifact", "https://sentry.example.com/");

	assert_str(&a, "kind", "preprod_artifact");
	assert_str(&a, "level", "info");
	assert_str(&a, "title", "Size analysis: App 2.1 (40)");
	assert_str(&a, "project", "ios");
	assert_str(&a, "platform", "APPLE");
	assert_str(&a, "timestamp", "2025-03-19T12:39:44.699Z");
	assert_str(&a, "build.id", "72");
	assert_str(&a, "build.build_number", "40");
	assert_num(&a, "build.download_size", 1000);
	assert_num(&a, "build.components.0.base_download_size", 4);
	assert_str(&a, "url", "https://sentry.io/organizations/acme/explore/"
	    "build/72/size/?project=ios");
	assert_str(&a, "issue_id", NULL);
	assert_str(&f, "level", "warning");
	assert_str(&f, "title", "Build distribution failed: build 9");
	assert_str(&f, "message", "NO_QUOTA");
	assert_str(&f, "build.id", "9");
	ck_assert_int_eq(jvx_bool(&f, "build.installable"), 0);
	assert_str(&f, "url", "https://sentry.example.com/organizations/acme/"
	    "explore/build/9/size/");
	jv_free(a);
	jv_free(f);
}
END_TEST

START_TEST(unknown_gets_a_title)
{
	jv a = norm("{\"action\":\"size_analysis_completed\",\"data\":{"
	    "\"build\":{\"name\":\"app 1.2\"}}}", "something_new", NULL);
	jv b = norm("{\"action\":\"x\",\"data\":{}}", "something", NULL);
	jv c = norm("{}", NULL, NULL);

	assert_str(&a, "kind", "unknown");
	assert_str(&a, "action", "size_analysis_completed");
	assert_str(&a, "title", "app 1.2");
	assert_str(&b, "title", "Sentry something.x");
	assert_str(&c, "title", "Sentry webhook");
	jv_free(a);
	jv_free(b);
	jv_free(c);
}
END_TEST

START_TEST(long_text_is_cut_on_a_character)
{
	size_t n = ALERT_TEXT_MAX + 100;
	char *body = malloc(n * 2 + 64), *p;
	const char *title;
	jv a;

	p = body + sprintf(body, "{\"data\":{\"error\":{\"title\":\"");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "\xc3\xa9");	/* é: 2 bytes */
	strcpy(p, "\"}}}");
	a = norm(body, NULL, NULL);
	title = jvx_str(&a, "title");
	ck_assert_uint_le(strlen(title), ALERT_TEXT_MAX);
	ck_assert(bytes_utf8_valid(title, strlen(title)));
	ck_assert_str_eq(title + strlen(title) - 3, "\xe2\x80\xa6");
	jv_free(a);
	free(body);
}
END_TEST

START_TEST(hostile_shapes_do_not_crash)
{
	static const char *const bodies[] = {
		"{\"data\":[]}", "{\"data\":{\"issue\":[]}}",
		"{\"data\":{\"issue\":{\"project\":[],\"count\":{},\"id\":[]}}}",
		"{\"data\":{\"event\":{\"exception\":{\"values\":[1,null,"
		    "{\"stacktrace\":{\"frames\":[1,\"x\",{\"lineno\":\"a\"}]}}]},"
		    "\"tags\":\"x\",\"timestamp\":1e300},\"triggered_rule\":1}}",
		"{\"event\":7,\"triggering_rules\":[1,{}]}",
		("{\"metric_alert\":{\"alert_rule\":{\"triggers\":[1]}},"
		    "\"description_text\":\"nan events\",\"action\":\"critical\"}"),
		"{\"data\":{\"comment\":\"x\",\"issue_id\":1e300}}",
		"{\"action\":[],\"actor\":{\"name\":5}}",
		"{\"action\":\"open\",\"metric_alert\":{\"status\":\"x\"}}",
		("{\"action\":\"_completed\",\"data\":{\"run_id\":[],"
		    "\"pull_requests\":[1,{\"pull_request\":[]}],"
		    "\"code_changes\":{\"r\":[1,{\"added\":1e300}]},"
		    "\"root_cause\":{\"five_whys\":{},\"steps\":[[]]},"
		    "\"iteration_index\":\"x\"}}"),
		("{\"data\":{\"buildId\":{},\"appInfo\":[],\"organizationSlug\":1,"
		    "\"comparisons\":{},\"gitInfo\":7,\"installUrl\":\"http://@\","
		    "\"isInstallable\":\"yes\",\"state\":null}}"),
		("{\"data\":{\"buildId\":\"1\",\"appInfo\":{\"name\":\"\","
		    "\"buildNumber\":1e300},\"organizationSlug\":\"o\","
		    "\"installUrl\":\"https://\",\"comparisons\":[null,{}]}}"),
	};

	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		jv a = norm(bodies[i], NULL, NULL);

		ck_assert(jvx_is(&a, JV_KIND_OBJECT));
		ck_assert_ptr_nonnull(jvx_str(&a, "kind"));
		jv_free(a);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("alert");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parse_refuses_what_is_not_an_object);
	tcase_add_test(tc, surrogates);
	tcase_add_test(tc, kind_from_header_then_shape);
	tcase_add_test(tc, tags_in_every_shape);
	tcase_add_test(tc, location_is_the_last_in_app_frame_of_the_last_exception);
	tcase_add_test(tc, no_in_app_frame_falls_back_to_the_last);
	tcase_add_test(tc, at_most_50_innermost_frames);
	tcase_add_test(tc, issue_quirks);
	tcase_add_test(tc, built_urls);
	tcase_add_test(tc, transaction_duration);
	tcase_add_test(tc, metric_alert_severity);
	tcase_add_test(tc, metric_alert_open_takes_its_severity);
	tcase_add_test(tc, seer_both_shapes_and_iterations);
	tcase_add_test(tc, preprod_build_notice);
	tcase_add_test(tc, unknown_gets_a_title);
	tcase_add_test(tc, long_text_is_cut_on_a_character);
	tcase_add_test(tc, hostile_shapes_do_not_crash);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
