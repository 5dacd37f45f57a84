/* Unit tests: lib/rules (rules file parsing and matching), lib/jqexpr. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "jvx.h"
#include "rules.h"

static char err[600];

/* Parse one statement; the error text stays in err. */
static int
parse(struct rules *rs, const char *line)
{
	err[0] = '\0';
	return rules_parse_line(rs, line, "t.conf:3", err, sizeof err);
}

/* Does rule i match this alert (JSON text)? */
static int
matches(struct rules *rs, size_t i, const char *alert_json, char *why,
    size_t n)
{
	jv rec = jv_parse(alert_json);
	jv alert;
	int m;

	ck_assert(jv_get_kind(rec) == JV_KIND_OBJECT);
	alert = jvx_get(&rec, "alert");
	struct rule_facts f = { &rec, &alert, 0, 0, NULL, 0 };
	m = rules_match(i == (size_t)-1 ? &rs->filter : &rs->v[i], &f, why,
	    n) == 1;
	jv_free(alert);
	jv_free(rec);
	return m;
}

START_TEST(rule_line_with_conditions_and_actions)
{
	struct rules *rs = rules_new();

	ck_assert_int_eq(parse(rs, "rule pay when project=payments,billing "
	    "level>=error route chat=-100123 topic=42 silent=yes throttle=2m"),
	    0);
	ck_assert_uint_eq(rs->n, 1);
	ck_assert_str_eq(rs->v[0].name, "pay");
	ck_assert_str_eq(rs->v[0].origin, "t.conf:3");
	ck_assert_uint_eq(rs->v[0].nconds, 2);
	ck_assert_str_eq(rs->v[0].chat, "-100123");
	ck_assert_int_eq(rs->v[0].topic, 42);
	ck_assert_int_eq(rs->v[0].silent, 1);
	ck_assert_int_eq(rs->v[0].throttle_ms, 120000);
	ck_assert_int_eq(rs->v[0].drop, 0);
	ck_assert(matches(rs, 0, "{\"alert\":{\"project\":\"billing\","
	    "\"level\":\"fatal\"}}", err, sizeof err));
	ck_assert(!matches(rs, 0, "{\"alert\":{\"project\":\"billing\","
	    "\"level\":\"warning\"}}", err, sizeof err));
	ck_assert_str_eq(err, "level is warning, not level>=error");
	ck_assert(!matches(rs, 0, "{\"alert\":{\"project\":\"web\","
	    "\"level\":\"error\"}}", err, sizeof err));
	rules_free(rs);
}
END_TEST

START_TEST(quoting_and_commas)
{
	struct rules *rs = rules_new();

	ck_assert_int_eq(parse(rs, "rule q title=\"a, b\",'c \"d\"' "
	    "tag.customer=\"x\\\"y\""), 0);
	ck_assert_uint_eq(rs->v[0].conds[0].nvalues, 2);
	ck_assert_str_eq(rs->v[0].conds[0].values[0], "a, b");
	ck_assert_str_eq(rs->v[0].conds[0].values[1], "c \"d\"");
	ck_assert_str_eq(rs->v[0].conds[1].values[0], "x\"y");
	ck_assert_str_eq(rs->v[0].conds[0].text, "title=a, b,c \"d\"");
	ck_assert(matches(rs, 0, "{\"alert\":{\"title\":\"c \\\"d\\\"\","
	    "\"tags\":{\"customer\":\"x\\\"y\"}}}", err, sizeof err));
	ck_assert(!matches(rs, 0, "{\"alert\":{\"title\":\"a\","
	    "\"tags\":{\"customer\":\"x\\\"y\"}}}", err, sizeof err));
	rules_free(rs);
}
END_TEST

START_TEST(regex_and_negation)
{
	struct rules *rs = rules_new();

	ck_assert_int_eq(parse(rs, "rule r title~'^Zero(Division)?' "
	    "env!=dev,test culprit!~health"), 0);
	ck_assert(matches(rs, 0, "{\"alert\":{\"title\":\"ZeroDivision\","
	    "\"environment\":\"prod\"}}", err, sizeof err));
	ck_assert(!matches(rs, 0, "{\"alert\":{\"title\":\"ZeroDivision\","
	    "\"environment\":\"test\"}}", err, sizeof err));
	ck_assert(!matches(rs, 0, "{\"alert\":{\"title\":\"Zero\","
	    "\"culprit\":\"/healthz\"}}", err, sizeof err));
	ck_assert(!matches(rs, 0, "{\"alert\":{\"title\":\"xZero\"}}", err,
	    sizeof err));
	rules_free(rs);
}
END_TEST

START_TEST(builtin_names_and_defaults)
{
	struct rules *rs = rules_new();

	ck_assert_int_eq(parse(rs, "rule critical"), 0);
	ck_assert_int_eq(parse(rs, "rule slow"), 0);
	ck_assert_int_eq(parse(rs, "rule burst frequency>20/30s"), 0);
	ck_assert_int_eq(rs->v[1].conds[0].number, 3000);
	ck_assert_int_eq(rs->v[2].conds[0].number, 20);
	ck_assert_int_eq(rs->v[2].conds[0].window_ms, 30000);
	ck_assert_uint_eq(rs->ring, 21);
	ck_assert(matches(rs, 0, "{\"alert\":{\"level\":\"fatal\"}}", err,
	    sizeof err));
	ck_assert(!matches(rs, 0, "{\"alert\":{\"level\":\"error\","
	    "\"action\":\"resolved\"}}", err, sizeof err));
	ck_assert(matches(rs, 1, "{\"alert\":{\"duration_ms\":3001}}", err,
	    sizeof err));
	ck_assert(!matches(rs, 1, "{\"alert\":{\"duration_ms\":3000}}", err,
	    sizeof err));
	rules_free(rs);

	rs = rules_new();
	ck_assert_int_eq(rules_add_defaults(rs, err, sizeof err), 0);
	ck_assert_uint_eq(rs->n, 6);
	ck_assert_str_eq(rs->v[0].name, "metric");
	ck_assert_str_eq(rs->v[4].name, "frequency");
	ck_assert_uint_eq(rs->ring, 11);
	rules_free(rs);
}
END_TEST

START_TEST(settings_and_filters)
{
	struct rules *rs = rules_new();

	ck_assert_int_eq(parse(rs, "set chat=-1 topic=5 silent=yes "
	    "throttle=off digest=30m"), 0);
	ck_assert_str_eq(rs->chat, "-1");
	ck_assert_int_eq(rs->topic, 5);
	ck_assert_int_eq(rs->silent, 1);
	ck_assert_int_eq(rs->throttle_ms, 0);
	ck_assert_int_eq(rs->digest_ms, 1800000);
	ck_assert_int_eq(parse(rs, "filter level>=warning env=production"), 0);
	ck_assert_int_eq(parse(rs, "   # only a comment"), 0);
	ck_assert_int_eq(parse(rs, ""), 0);
	ck_assert_uint_eq(rs->filter.nconds, 2);
	ck_assert(matches(rs, (size_t)-1, "{\"alert\":{\"level\":\"error\","
	    "\"environment\":\"production\"}}", err, sizeof err));
	ck_assert(!matches(rs, (size_t)-1, "{\"alert\":{\"level\":\"info\","
	    "\"environment\":\"production\"}}", err, sizeof err));
	rules_free(rs);
}
END_TEST

START_TEST(costly_regex_refused_not_the_rest)
{
	static const char *const good[] = { "^Health", "a+b*c?", "x{2,5}",
	    "(a|b)+c", "[+*]+", "a\\++", "[[:alpha:]]+x", "(a{1,100}){1,100}",
	    "[]+]?" };
	char line[128];

	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		struct rules *rs = rules_new();

		snprintf(line, sizeof line, "rule a title~'%s'", good[i]);
		ck_assert_msg(parse(rs, line) == 0, "%s: %s", good[i], err);
		rules_free(rs);
	}
}
END_TEST

START_TEST(errors_name_the_origin)
{
	static const struct { const char *line, *msg; } bad[] = {
		{ "rule a colour=red", "t.conf:3: unknown key \"colour\"" },
		{ "rule a title~'('", "t.conf:3: bad regex for title: (: " },
		{ "rule a jq='.a |'", "t.conf:3: jq: syntax error" },
		{ "rule a level>=loud", "t.conf:3: unknown level \"loud\"" },
		{ "rule a level~error", "t.conf:3: level takes" },
		{ "rule a title>x", "t.conf:3: title takes = != ~ !~" },
		{ "rule a title='x", "t.conf:3: unterminated ' quote" },
		{ "rule", "t.conf:3: rule needs a name" },
		{ "rule a", "t.conf:3: rule \"a\" has no condition" },
		{ "rule a any throttle=fast", "t.conf:3: throttle: not a duration" },
		{ "rule a any topic=-3", "t.conf:3: topic: not a topic id" },
		{ "rule a any silent=maybe", "t.conf:3: silent takes yes or no" },
		{ "rule a frequency>5", "t.conf:3: frequency takes >N/DURATION" },
		{ "rule a frequency>5000/1m", "t.conf:3: frequency takes" },
		{ "rule a metric=loud", "t.conf:3: unknown metric severity" },
		{ "rule a =x", "t.conf:3: missing key before operator" },
		{ "rule a mystery", "t.conf:3: unknown condition \"mystery\"" },
		{ "set colour=red", "t.conf:3: unknown setting \"colour\"" },
		{ "set drop", "t.conf:3: unknown setting \"drop\"" },
		{ "when a", "t.conf:3: unknown statement \"when\"" },
		{ "rule none any", "t.conf:3: rule name \"none\" is reserved" },
		{ "rule a env,x=1", "t.conf:3: unknown key \"env,x\"" },
		/* patterns glibc's regcomp would take seconds or hours on */
		{ "rule a title~'^Heal++++++++++++++++++++++++'",
		    "t.conf:3: regex for title too costly to compile (a "
		    "quantifier right after another)" },
		{ "rule a title~'a*?'", "t.conf:3: regex for title too costly" },
		{ "rule a title~'a{1,30000}'",
		    "t.conf:3: regex for title too costly to compile (a count "
		    "over 100)" },
		{ "rule a title~'((a{1,9}){1,9}){1,9}'",
		    "t.conf:3: regex for title too costly to compile (more "
		    "than two counted repetitions)" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct rules *rs = rules_new();

		ck_assert_msg(parse(rs, bad[i].line) == -1, "accepted: %s",
		    bad[i].line);
		ck_assert_msg(strncmp(err, bad[i].msg, strlen(bad[i].msg)) == 0,
		    "%s: got \"%s\"", bad[i].line, err);
		/* nothing half-built is left behind */
		ck_assert_uint_eq(rs->n, 0);
		ck_assert_uint_eq(rs->filter.nconds, 0);
		rules_free(rs);
	}
}
END_TEST

START_TEST(file_lines_and_continuations)
{
	char path[] = "/tmp/check_rules.XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "# comment\n\nrule a level>=error \\\n"
	    "   route chat=1\nrule b any\r\nrule c bogus=1\n";
	struct rules *rs = rules_new();

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof text - 1), sizeof text - 1);
	close(fd);
	ck_assert_int_eq(rules_load_file(rs, path, err, sizeof err), -1);
	char want[200];
	snprintf(want, sizeof want, "%s:6: unknown key \"bogus\"", path);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(rs->n, 2);	/* the bad rule is not kept */
	snprintf(want, sizeof want, "%s:3", path);
	ck_assert_str_eq(rs->v[0].origin, want);
	ck_assert_str_eq(rs->v[0].chat, "1");
	unlink(path);
	rules_free(rs);
}
END_TEST

START_TEST(jq_truthiness_and_errors)
{
	struct jqexpr *e = jqexpr_compile(".a", err, sizeof err);
	jv v;

	ck_assert_ptr_nonnull(e);
	v = jv_parse("{\"a\":0}");
	ck_assert_int_eq(jqexpr_truthy(e, &v, err, sizeof err), 1);
	jv_free(v);
	v = jv_parse("{\"a\":false}");
	ck_assert_int_eq(jqexpr_truthy(e, &v, err, sizeof err), 0);
	jv_free(v);
	v = jv_parse("{\"a\":null}");
	ck_assert_int_eq(jqexpr_truthy(e, &v, err, sizeof err), 0);
	jv_free(v);
	v = jv_parse("[1]");
	ck_assert_int_eq(jqexpr_truthy(e, &v, err, sizeof err), -1);
	ck_assert_str_eq(err, "Cannot index array with string \"a\"");
	jv_free(v);
	jqexpr_free(e);

	e = jqexpr_compile("empty", err, sizeof err);
	v = jv_parse("{}");
	ck_assert_int_eq(jqexpr_truthy(e, &v, err, sizeof err), 0);
	jqexpr_free(e);
	/* many outputs: only the first is asked for */
	e = jqexpr_compile("true, range(1e9)", err, sizeof err);
	ck_assert_int_eq(jqexpr_truthy(e, &v, err, sizeof err), 1);
	ck_assert_int_eq(jqexpr_truthy(e, &v, err, sizeof err), 1);
	jv_free(v);
	jqexpr_free(e);

	ck_assert_ptr_null(jqexpr_compile(".a |", err, sizeof err));
	ck_assert_msg(strstr(err, "syntax error") != NULL, "%s", err);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_ptr_null(jqexpr_compile("nosuchfunction(1)", err, sizeof err));
	ck_assert_msg(strstr(err, "nosuchfunction/1 is not defined") != NULL,
	    "%s", err);
	/* a string left open (libjq 1.6 leaks on it: refused first);
	 * strings in interpolations, escaped quotes and comments are not */
	ck_assert_ptr_null(jqexpr_compile(".n = \"", err, sizeof err));
	ck_assert_str_eq(err, "syntax error: a string is not closed");
	ck_assert_ptr_null(jqexpr_compile("\"a\\(.b + \"c)\"", err, sizeof err));
	e = jqexpr_compile("\"a\\(.b + \"(\") \\\"q\" == . # \"", err,
	    sizeof err);
	ck_assert_msg(e != NULL, "%s", err);
	jqexpr_free(e);
}
END_TEST

START_TEST(durations)
{
	char buf[32];

	ck_assert_int_eq(rules_parse_duration("5m", 1000), 300000);
	ck_assert_int_eq(rules_parse_duration("90", 1000), 90000);
	ck_assert_int_eq(rules_parse_duration("90", 1), 90);
	ck_assert_int_eq(rules_parse_duration("1.5s", 1), 1500);
	ck_assert_int_eq(rules_parse_duration("2h", 1), 7200000);
	ck_assert_int_eq(rules_parse_duration("1d", 1), 86400000);
	ck_assert_int_eq(rules_parse_duration("250ms", 1000), 250);
	ck_assert_int_eq(rules_parse_duration("-1s", 1), -1);
	ck_assert_int_eq(rules_parse_duration("s", 1), -1);
	ck_assert_int_eq(rules_parse_duration("5 m", 1), -1);
	ck_assert_int_eq(rules_parse_duration("1e99s", 1), -1);
	ck_assert_str_eq(rules_format_duration(300000, buf, sizeof buf), "5m");
	ck_assert_str_eq(rules_format_duration(3600000, buf, sizeof buf), "1h");
	ck_assert_str_eq(rules_format_duration(1500, buf, sizeof buf), "1500ms");
	ck_assert_str_eq(rules_format_duration(0, buf, sizeof buf), "0s");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	diag_init("check_rules");
	diag_set_verbosity(-1);
	tcase_add_test(tc, rule_line_with_conditions_and_actions);
	tcase_add_test(tc, quoting_and_commas);
	tcase_add_test(tc, regex_and_negation);
	tcase_add_test(tc, builtin_names_and_defaults);
	tcase_add_test(tc, settings_and_filters);
	tcase_add_test(tc, errors_name_the_origin);
	tcase_add_test(tc, costly_regex_refused_not_the_rest);
	tcase_add_test(tc, file_lines_and_continuations);
	tcase_add_test(tc, jq_truthiness_and_errors);
	tcase_add_test(tc, durations);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
