/* Unit tests: lib/decide (sentry-filter's policy). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decide.h"
#include "jvx.h"
#include "rules.h"

#define T0 1795939200000LL	/* 2026-11-29T08:00:00Z */

static struct rules *rs;
static struct decide *dc;
static char err[600];

/*
 * A decider over these rule lines (NULL-terminated; none: the default
 * rules), chat -1001, storm digests after storm_ms (0: off).
 */
static void
setup_storm(int explain, const char *const *lines, int64_t storm_ms)
{
	struct decide_config cfg = { .chat = "-1001", .topic = -1,
	    .throttle_ms = 300000, .digest_ms = 3600000, .explain = explain,
	    .storm_ms = storm_ms };

	rs = rules_new();
	for (; *lines; lines++)
		ck_assert_msg(rules_parse_line(rs, *lines, "t.conf:1", err,
		    sizeof err) == 0, "%s", err);
	if (rs->n == 0)
		ck_assert(rules_add_defaults(rs, err, sizeof err) == 0);
	cfg.rules = rs;
	dc = decide_new(&cfg);
	ck_assert_ptr_nonnull(dc);
}

static void
setup_rules(int explain, const char *const *lines)
{
	setup_storm(explain, lines, 0);
}

static void
teardown_rules(void)
{
	decide_free(dc);
	rules_free(rs);
	dc = NULL;
	rs = NULL;
}

/* A record: id, seconds after T0, alert JSON. */
static jv
record(const char *id, double secs, const char *alert)
{
	char received[CLOCK_RFC3339_SIZE], *text;
	jv rec;

	clock_format(T0 + (int64_t)(secs * 1000), received, sizeof received);
	ck_assert(asprintf(&text, "{\"v\":1,\"id\":\"%s\",\"seq\":7,"
	    "\"received\":\"%s\",\"payload\":{\"raw\":1},\"alert\":%s}", id,
	    received, alert) > 0);
	rec = jv_parse(text);
	free(text);
	ck_assert(jv_get_kind(rec) == JV_KIND_OBJECT);
	return rec;
}

/* Decide on a record; "sent RULE" or "drop RULE: REASON" into buf. */
static const char *
verdict(const char *id, double secs, const char *alert, struct decision *dn,
    char *buf, size_t n)
{
	decide_record(dc, record(id, secs, alert), T0 + 86400000, dn);
	if (dn->outcome == DECIDE_SEND)
		snprintf(buf, n, "sent %s", jvx_str(&dn->out, "rule"));
	else if (dn->outcome == DECIDE_DROP)
		snprintf(buf, n, "drop %s: %s", jvx_str(&dn->out, "drop.rule"),
		    jvx_str(&dn->out, "drop.reason"));
	else
		snprintf(buf, n, "outcome %d", dn->outcome);
	return buf;
}

/* The same, the decision freed. */
static const char *
decide1(const char *id, double secs, const char *alert)
{
	static char buf[300];
	struct decision dn;

	verdict(id, secs, alert, &dn, buf, sizeof buf);
	decision_free(&dn);
	return buf;
}

/* The notes of a decision, one per line, "x " or "w " first. */
static const char *
notes(const struct decision *dn)
{
	static char buf[4096];
	const char *text;
	size_t at = 0, len = 0;
	int kind;

	buf[0] = '\0';
	while ((text = decision_note(dn, &at, &kind)) != NULL)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%c %s\n",
		    kind, text);
	return buf;
}

/* Nothing falls due a millisecond before at; at it, n digests: those. */
static jv
tick_at(int64_t at, int n)
{
	jv list = decide_tick(dc, at - 1);

	ck_assert_int_eq(jv_array_length(list), 0);
	list = decide_tick(dc, at);
	ck_assert_int_eq(jv_array_length(jv_copy(list)), n);
	return list;
}

#define ERR1 "{\"kind\":\"event_alert\",\"level\":\"error\"," \
	"\"issue_id\":\"1\",\"title\":\"Boom\",\"count\":5}"
#define WARN1 "{\"kind\":\"event_alert\",\"level\":\"warning\"," \
	"\"issue_id\":\"1\",\"title\":\"Boom\",\"count\":5}"

START_TEST(issue_keys_and_new)
{
	char buf[128];
	jv a;

	a = jv_parse("{\"issue_id\":123,\"title\":\"T\"}");
	ck_assert_str_eq(decide_issue_key(&a, buf, sizeof buf), "issue:123");
	jv_free(a);
	a = jv_parse("{\"kind\":\"metric_alert\",\"rule\":\"p95\","
	    "\"metric\":{\"severity\":\"critical\"}}");
	ck_assert_str_eq(decide_issue_key(&a, buf, sizeof buf),
	    "metric:p95:critical");
	ck_assert_int_eq(decide_is_new(&a), 0);
	jv_free(a);
	a = jv_parse("{\"project\":\"api\",\"title\":\"T\"}");
	ck_assert_str_eq(decide_issue_key(&a, buf, sizeof buf), "title:api:T");
	jv_free(a);
	a = jv_parse("{\"issue_id\":\"\",\"level\":\"error\"}");
	ck_assert_ptr_null(decide_issue_key(&a, buf, sizeof buf));
	jv_free(a);

	a = jv_parse("{\"kind\":\"issue\",\"action\":\"created\"}");
	ck_assert_int_eq(decide_is_new(&a), 1);
	jv_free(a);
	a = jv_parse("{\"count\":\"1\"}");
	ck_assert_int_eq(decide_is_new(&a), 1);
	jv_free(a);
	a = jv_parse("{\"count\":2,\"first_seen\":\"2026-11-29T08:00:00Z\","
	    "\"timestamp\":\"2026-11-29T08:00:01Z\"}");
	ck_assert_int_eq(decide_is_new(&a), 1);
	jv_free(a);
	a = jv_parse("{\"count\":2,\"first_seen\":\"2026-11-29T08:00:00Z\","
	    "\"timestamp\":\"2026-11-29T08:00:01.001Z\"}");
	ck_assert_int_eq(decide_is_new(&a), 0);
	jv_free(a);
}
END_TEST

START_TEST(first_match_wins_and_explains)
{
	static const char *const lines[] = {
		"rule quiet level=warning drop",
		"rule crit critical chat=-100200",
		"rule any any", NULL
	};
	struct decision dn;
	char buf[300];

	setup_rules(1, lines);
	ck_assert_str_eq(verdict("r1", 0, ERR1, &dn, buf, sizeof buf),
	    "sent crit");
	ck_assert_str_eq(notes(&dn),
	    "x rule quiet: no: level is error, not level=warning\n"
	    "x rule crit: matches (from t.conf:1)\n"
	    "x rule any: not tried (first match wins)\n"
	    "x => rule crit, chat -100200, topic none, first message in its "
	    "window\n");
	/* let through: payload removed, rule and route added */
	ck_assert(!jv_is_valid(jvx_get(&dn.out, "payload")));
	ck_assert_str_eq(jvx_str(&dn.out, "route.chat_id"), "-100200");
	ck_assert_int_eq(jvx_bool(&dn.out, "route.silent"), 0);
	decision_free(&dn);
	/* a drop rule: a marker with v, id, seq, received only */
	ck_assert_str_eq(verdict("r2", 1, WARN1, &dn, buf, sizeof buf),
	    "drop quiet: dropped by rule");
	ck_assert(!jv_is_valid(jvx_get(&dn.out, "alert")));
	double seq;
	ck_assert(jvx_num(&dn.out, "seq", 0, &seq) && seq == 7);
	ck_assert_str_eq(jvx_str(&dn.out, "received"),
	    "2026-11-29T08:00:01.000Z");
	decision_free(&dn);
	/* no rule */
	teardown_rules();
	static const char *const only[] = { "rule crit critical", NULL };
	setup_rules(0, only);
	ck_assert_str_eq(verdict("r3", 0, WARN1, &dn, buf, sizeof buf),
	    "drop none: no rule matched");
	ck_assert_str_eq(notes(&dn), "");	/* nothing unless explain */
	decision_free(&dn);
	teardown_rules();
}
END_TEST

START_TEST(not_ours_filter_installation_jq)
{
	static const char *const lines[] = {
		"filter env!=staging", "rule busy jq=\".alert.count + 1 > 3\"",
		"rule rest any", NULL
	};
	struct decision dn;
	char buf[300];

	setup_rules(0, lines);
	/* a record without an alert object: forwarded as it came */
	decide_record(dc, jv_parse("{\"v\":1,\"id\":\"x\",\"alert\":[1]}"),
	    T0, &dn);
	ck_assert_int_eq(dn.outcome, DECIDE_FORWARD);
	ck_assert(!jv_is_valid(dn.out));
	decision_free(&dn);
	ck_assert_str_eq(decide1("f1", 0, "{\"environment\":\"staging\","
	    "\"level\":\"error\"}"), "drop filter: environment is "
	    "\"staging\", not env!=staging");
	ck_assert_str_eq(decide1("i1", 0, "{\"kind\":\"installation\"}"),
	    "drop installation: installation: acknowledged, never messaged");
	/* a jq error at run time: a warning, and the condition is false */
	ck_assert_str_eq(verdict("j1", 0, "{\"count\":\"many\"}", &dn, buf,
	    sizeof buf), "sent rest");
	ck_assert_str_eq(notes(&dn), "w jq: string (\"many\") and number (1) "
	    "cannot be added\n");
	decision_free(&dn);
	ck_assert_str_eq(decide1("j2", 0, "{\"count\":3}"), "sent busy");
	teardown_rules();
}
END_TEST

START_TEST(throttle_then_digest_per_route)
{
	static const char *const lines[] = {
		"rule pay project=payments chat=-100200 topic=42",
		"rule crit critical", NULL
	};
	struct decision dn;
	char buf[300];
	jv list;

	setup_rules(1, lines);
	ck_assert_int_eq(decide_next_due(dc), -1);
	ck_assert_str_eq(decide1("a1", 0, ERR1), "sent crit");
	ck_assert_str_eq(verdict("a2", 60, ERR1, &dn, buf, sizeof buf),
	    "drop crit: throttled");
	ck_assert_int_eq(dn.throttled, 1);
	ck_assert_msg(strstr(notes(&dn), "x => dropped: throttled (issue:1: "
	    "last message 1m before, window 5m)\n") != NULL, "%s", notes(&dn));
	decision_free(&dn);
	ck_assert_str_eq(decide1("p1", 1, "{\"project\":\"payments\","
	    "\"level\":\"error\",\"issue_id\":\"P\",\"title\":\"Card\"}"),
	    "sent pay");
	ck_assert_str_eq(decide1("p2", 2, "{\"project\":\"payments\","
	    "\"level\":\"error\",\"issue_id\":\"P\",\"title\":\"Card\"}"),
	    "drop pay: throttled");
	/* the window ends: a message again */
	ck_assert_str_eq(decide1("a3", 300, ERR1), "sent crit");
	ck_assert_int_eq(decide_next_due(dc), T0 + 3600000);
	/* before the period's end: nothing; at it: one digest per route */
	list = tick_at(T0 + 3600000, 2);
	ck_assert_str_eq(jvx_str(&list, "0.id"),
	    "digest-2026-11-29T09:00:00.000Z");
	ck_assert_str_eq(jvx_str(&list, "0.route.chat_id"), "-1001");
	ck_assert_str_eq(jvx_str(&list, "0.digest.issues.0.title"), "Boom");
	ck_assert_str_eq(jvx_str(&list, "0.digest.issues.0.rule"), "crit");
	ck_assert_str_eq(jvx_str(&list, "1.id"),
	    "digest-2026-11-29T09:00:00.000Z-2");
	ck_assert_str_eq(jvx_str(&list, "1.route.chat_id"), "-100200");
	double n;
	ck_assert(jvx_num(&list, "1.route.thread_id", 0, &n) && n == 42);
	ck_assert(jvx_num(&list, "1.digest.total", 0, &n) && n == 1);
	ck_assert_str_eq(jvx_str(&list, "1.digest.period_start"),
	    "2026-11-29T08:00:00.000Z");
	jv_free(list);
	ck_assert_int_eq(decide_next_due(dc), -1);
	teardown_rules();
}
END_TEST

START_TEST(a_record_closes_the_period)
{
	static const char *const lines[] = { "rule crit critical", NULL };
	struct decision dn;
	char buf[300];

	setup_rules(0, lines);
	decide1("a1", 0, ERR1);
	decide1("a2", 1, ERR1);
	/* the first record of the next period: the digest comes before it */
	ck_assert_str_eq(verdict("b1", 3600, "{\"level\":\"error\","
	    "\"issue_id\":\"2\"}", &dn, buf, sizeof buf), "sent crit");
	ck_assert_int_eq(jv_array_length(jv_copy(dn.before)), 1);
	ck_assert_str_eq(jvx_str(&dn.before, "0.digest.period_end"),
	    "2026-11-29T09:00:00.000Z");
	decision_free(&dn);
	/* a clock jump upstream (received a day past the wall clock) does
	 * not move the period; with --clock records it does */
	decide1("c1", 3601, ERR1);
	ck_assert_str_eq(decide1("c2", 3602, ERR1), "drop crit: throttled");
	decide_record(dc, record("c3", 86400 * 3, ERR1), T0, &dn);
	ck_assert_int_eq(jv_array_length(jv_copy(dn.before)), 0);
	decision_free(&dn);
	ck_assert_int_eq(decide_next_due(dc), T0 + 7200000);
	teardown_rules();
}
END_TEST

START_TEST(regression_after_resolve)
{
	static const char *const lines[] = { "rule regression", NULL };

	setup_rules(0, lines);
	ck_assert_str_eq(decide1("r1", 0, WARN1), "drop none: no rule matched");
	ck_assert_str_eq(decide1("r2", 10, "{\"kind\":\"issue\",\"action\":"
	    "\"resolved\",\"issue_id\":\"1\"}"), "drop none: no rule matched");
	/* a state change is not an occurrence: still resolved */
	ck_assert_str_eq(decide1("r3", 20, "{\"kind\":\"issue\",\"action\":"
	    "\"assigned\",\"issue_id\":\"1\",\"status\":\"resolved\"}"),
	    "drop none: no rule matched");
	ck_assert_str_eq(decide1("r4", 30, WARN1), "sent regression");
	ck_assert_str_eq(decide1("r5", 40, WARN1),
	    "drop none: no rule matched");
	ck_assert_str_eq(decide1("r6", 50, "{\"kind\":\"issue\",\"action\":"
	    "\"unresolved\",\"issue_id\":\"9\"}"), "sent regression");
	teardown_rules();
}
END_TEST

START_TEST(replay_same_decision_not_counted)
{
	static const char *const lines[] = { "rule crit critical", NULL };
	struct decision dn;
	char buf[300];
	jv st, list;
	double n;

	setup_rules(1, lines);
	decide1("d1", 0, ERR1);
	decide1("d2", 1, ERR1);
	ck_assert_int_eq(decide_changed(dc), 1);
	st = decide_save(dc);
	ck_assert_int_eq(decide_changed(dc), 0);
	/* a new decider from the saved state: d1 and d2 replayed */
	teardown_rules();
	setup_rules(1, lines);
	ck_assert_int_eq(decide_load(dc, &st, err, sizeof err), 0);
	jv_free(st);
	ck_assert_str_eq(verdict("d1", 0, ERR1, &dn, buf, sizeof buf),
	    "sent crit");
	ck_assert_int_eq(dn.replayed, 1);
	ck_assert_str_eq(notes(&dn),
	    "x seen before: same decision, not counted again\n");
	decision_free(&dn);
	ck_assert_str_eq(decide1("d2", 1, ERR1), "drop crit: throttled");
	ck_assert_str_eq(decide1("d3", 2, ERR1), "drop crit: throttled");
	list = decide_tick(dc, T0 + 3600000);
	ck_assert(jvx_num(&list, "0.digest.total", 0, &n) && n == 2);
	jv_free(list);
	/* a state of the wrong shape */
	st = jv_parse("{\"seen\":{\"a\":1}}");
	ck_assert_int_eq(decide_load(dc, &st, err, sizeof err), -1);
	ck_assert_str_eq(err, "bad seen list");
	jv_free(st);
	st = jv_parse("{\"issues\":{\"issues\":\"x\"}}");
	ck_assert_int_eq(decide_load(dc, &st, err, sizeof err), -1);
	ck_assert_str_eq(err, "bad issues table");
	jv_free(st);
	teardown_rules();
}
END_TEST

START_TEST(no_received_uses_the_wall_clock)
{
	static const char *const lines[] = { "rule crit critical", NULL };
	struct decision dn;

	setup_rules(0, lines);
	decide_record(dc, jv_parse("{\"id\":\"w1\",\"alert\":" ERR1 "}"),
	    T0 + 5000, &dn);
	ck_assert_int_eq(dn.no_received, 1);
	ck_assert_int_eq(dn.outcome, DECIDE_SEND);
	decision_free(&dn);
	/* within the window of the wall-clock time: held */
	ck_assert_str_eq(decide1("w2", 6, ERR1), "drop crit: throttled");
	teardown_rules();
}
END_TEST

/* An error event of issue id (new when count is 1). */
static const char *
event(const char *id, int count)
{
	static char buf[300];

	snprintf(buf, sizeof buf, "{\"kind\":\"event_alert\",\"level\":"
	    "\"error\",\"issue_id\":\"%s\",\"title\":\"Boom %s\","
	    "\"environment\":\"production\",\"count\":%d}", id, id, count);
	return buf;
}

/* A state change (action) of issue id. */
static const char *
change(const char *action, const char *id)
{
	static char buf[200];

	snprintf(buf, sizeof buf, "{\"kind\":\"issue\",\"action\":\"%s\","
	    "\"level\":\"error\",\"issue_id\":\"%s\"}", action, id);
	return buf;
}

START_TEST(news_goes_out_inside_the_window)
{
	static const char *const none[] = { NULL };
	char id[16], buf[300];
	struct decision dn;

	setup_rules(1, none);	/* the default rules, 5 minutes */
	/* 15 events of one issue in 42 s: new, then the burst (the 11th
	 * in 60 s), saying what was held back; the rest held */
	ck_assert_str_eq(decide1("b1", 0, event("1", 1)), "sent new");
	for (int i = 2; i <= 15; i++) {
		snprintf(id, sizeof id, "b%d", i);
		verdict(id, (i - 1) * 3, event("1", i), &dn, buf, sizeof buf);
		if (i == 11) {
			double n;

			ck_assert_str_eq(buf, "sent frequency");
			ck_assert(jvx_num(&dn.out, "alert.held.count", 0, &n) &&
			    n == 9);
			ck_assert_str_eq(jvx_str(&dn.out, "alert.held.since"),
			    "2026-11-29T08:00:03.000Z");
			ck_assert_msg(strstr(notes(&dn), "let through inside "
			    "its throttle window (last message 30s before, "
			    "window 5m): a burst (the threshold of rule "
			    "frequency first crossed), +9 held since "
			    "2026-11-29T08:00:03.000Z\n") != NULL, "%s",
			    notes(&dn));
		} else {
			ck_assert_str_eq(buf, "drop critical: throttled");
		}
		decision_free(&dn);
	}
	/* still above the threshold: no second burst message */
	ck_assert_str_eq(decide1("b16", 44, event("1", 16)),
	    "drop critical: throttled");
	/* resolved a minute later: shown, as the issue was messaged;
	 * the window goes on */
	ck_assert_str_eq(decide1("r1", 60, change("resolved", "1")),
	    "sent state-change");
	/* an event a minute after the resolve: a regression, inside the
	 * window, with the 5 held since 08:00:33 */
	ck_assert_str_eq(verdict("e1", 120, event("1", 17), &dn, buf,
	    sizeof buf), "sent regression");
	ck_assert_str_eq(jvx_str(&dn.out, "alert.held.since"),
	    "2026-11-29T08:00:33.000Z");
	decision_free(&dn);
	ck_assert_str_eq(decide1("e2", 121, event("1", 18)),
	    "drop critical: throttled");
	/* a state change of an issue never messaged: nothing to say */
	ck_assert_str_eq(decide1("r2", 122, change("assigned", "2")),
	    "drop none: no rule matched");
	teardown_rules();
}
END_TEST

START_TEST(throttle_per_rule)
{
	static const char *const lines[] = {
		"rule loud level=fatal throttle=off",
		"rule crit critical throttle=10m", NULL
	};
	const char *fatal = "{\"level\":\"fatal\",\"issue_id\":\"F\"}";

	setup_rules(1, lines);
	ck_assert_str_eq(decide1("f1", 0, fatal), "sent loud");
	ck_assert_str_eq(decide1("f2", 1, fatal), "sent loud");
	ck_assert_str_eq(decide1("c1", 0, ERR1), "sent crit");
	ck_assert_str_eq(decide1("c2", 599, ERR1), "drop crit: throttled");
	ck_assert_str_eq(decide1("c3", 600, ERR1), "sent crit");
	teardown_rules();
}
END_TEST

START_TEST(storm_folds_the_surplus)
{
	static const char *const none[] = { NULL };
	char id[16], issue[16], buf[300];
	struct decision dn;
	int sent = 0, folded = 0;
	double n;
	jv list;

	setup_storm(0, none, 30000);
	/* 50 new issues in 2 s to one group: what Telegram would send within
	 * 10 s goes out (1 a second), the rest waits for one storm digest */
	for (int i = 0; i < 50; i++) {
		snprintf(id, sizeof id, "s%d", i);
		snprintf(issue, sizeof issue, "%d", 100 + i);
		verdict(id, i * 0.04, event(issue, 1), &dn, buf, sizeof buf);
		sent += dn.outcome == DECIDE_SEND;
		folded += dn.folded;
		if (dn.folded)
			ck_assert_str_eq(jvx_str(&dn.out, "drop.reason"),
			    DECIDE_STORM);
		decision_free(&dn);
	}
	ck_assert_int_eq(sent, 11);
	ck_assert_int_eq(folded, 39);
	ck_assert_int_eq(decide_next_due(dc), T0 + 440 + 30000);
	list = tick_at(T0 + 30440, 1);
	ck_assert_str_eq(jvx_str(&list, "0.id"),
	    "storm-2026-11-29T08:00:30.440Z--1001");
	ck_assert_str_eq(jvx_str(&list, "0.digest.kind"), "storm");
	ck_assert_str_eq(jvx_str(&list, "0.digest.environment"), "production");
	ck_assert(jvx_num(&list, "0.digest.total", 0, &n) && n == 39);
	ck_assert_int_eq(jv_array_length(jvx_at(&list, "0.digest.issues")),
	    39);
	ck_assert_str_eq(jvx_str(&list, "0.digest.issues.0.title"), "Boom 111");
	ck_assert(!jv_is_valid(jvx_at(&list, "0.digest.issues.0.key")));
	ck_assert_str_eq(jvx_str(&list, "0.route.chat_id"), "-1001");
	/* idle: kept to be written again at start, until a record follows */
	ck_assert(jv_equal(decide_pending(dc), jv_copy(list)));
	jv_free(list);
	/* a minute later Telegram takes messages again */
	ck_assert_str_eq(decide1("later", 60, event("999", 1)), "sent new");
	list = decide_pending(dc);
	ck_assert_int_eq(jv_array_length(list), 0);
	teardown_rules();
}
END_TEST

START_TEST(digests_are_written_again_on_replay)
{
	static const char *const lines[] = { "rule crit critical", NULL };
	struct decision dn;
	char buf[300];
	jv st, first;

	setup_storm(0, lines, 30000);
	decide1("a1", 0, ERR1);
	decide1("a2", 1, ERR1);
	/* b1 closes the period: the digest comes before it */
	verdict("b1", 3600, event("2", 1), &dn, buf, sizeof buf);
	first = jv_copy(dn.before);
	ck_assert_int_eq(jv_array_length(jv_copy(first)), 1);
	decision_free(&dn);
	st = decide_save(dc);
	teardown_rules();
	/* a restart, b1 replayed: the same digest before it, once */
	setup_storm(0, lines, 30000);
	ck_assert_int_eq(decide_load(dc, &st, err, sizeof err), 0);
	jv_free(st);
	ck_assert_int_eq(jv_array_length(decide_pending(dc)), 0);
	verdict("b1", 3600, event("2", 1), &dn, buf, sizeof buf);
	ck_assert_int_eq(dn.replayed, 1);
	ck_assert(jv_equal(jv_copy(first), jv_copy(dn.before)));
	decision_free(&dn);
	/* a record decided after it: nothing before it */
	verdict("b2", 3601, event("3", 1), &dn, buf, sizeof buf);
	ck_assert_int_eq(jv_array_length(jv_copy(dn.before)), 0);
	decision_free(&dn);
	jv_free(first);
	teardown_rules();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("decide");
	TCase *tc = tcase_create("decide");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, issue_keys_and_new);
	tcase_add_test(tc, first_match_wins_and_explains);
	tcase_add_test(tc, not_ours_filter_installation_jq);
	tcase_add_test(tc, throttle_then_digest_per_route);
	tcase_add_test(tc, a_record_closes_the_period);
	tcase_add_test(tc, regression_after_resolve);
	tcase_add_test(tc, replay_same_decision_not_counted);
	tcase_add_test(tc, no_received_uses_the_wall_clock);
	tcase_add_test(tc, news_goes_out_inside_the_window);
	tcase_add_test(tc, throttle_per_rule);
	tcase_add_test(tc, storm_folds_the_surplus);
	tcase_add_test(tc, digests_are_written_again_on_replay);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
