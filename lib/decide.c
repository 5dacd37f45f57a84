/* decide: sentry-filter's policy, from a record to what becomes of it. */
#include "decide.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jvx.h"
#include "seen.h"
#include "throttle.h"

#define DIGEST_MAX_LIST 50	/* issues listed per digest record */
#define MAX_TIMES 2000000	/* received times kept over all issues */
#define MAX_ISSUES 10000
#define MAX_SEEN 10000
/* a record received this far past the wall clock is a clock jump
 * upstream: it must not push the digest period ahead */
#define CLOCK_JUMP_MS 300000

struct decide {
	struct decide_config cfg;
	struct throttle *issues;
	struct seen *seen;
	int64_t digest_start;	/* -1: no period yet */
	int changed;
};

struct decide *
decide_new(const struct decide_config *cfg)
{
	struct decide *d = calloc(1, sizeof *d);
	size_t max_issues = cfg->max_issues;

	if (d == NULL)
		return NULL;
	d->cfg = *cfg;
	d->digest_start = -1;
	/* fewer issues when each keeps many times ("frequency>1000/1h") */
	if (max_issues == 0) {
		max_issues = MAX_TIMES / cfg->rules->ring;
		if (max_issues > MAX_ISSUES)
			max_issues = MAX_ISSUES;
	}
	d->issues = throttle_new(max_issues, cfg->rules->ring);
	d->seen = seen_new(cfg->max_seen ? cfg->max_seen : MAX_SEEN);
	if (d->issues == NULL || d->seen == NULL) {
		decide_free(d);
		return NULL;
	}
	return d;
}

void
decide_free(struct decide *d)
{
	if (d == NULL)
		return;
	throttle_free(d->issues);
	seen_free(d->seen);
	free(d);
}

int
decide_load(struct decide *d, const jv *st, char *err, size_t n)
{
	jv v;
	double start;
	int rc = 0;

	if (jvx_num(st, "digest_start", 0, &start))
		d->digest_start = (int64_t)start;
	v = jvx_get(st, "issues");
	if (jv_is_valid(v) && throttle_load(d->issues, &v) < 0) {
		snprintf(err, n, "bad issues table");
		rc = -1;
	}
	jv_free(v);
	v = jvx_get(st, "seen");
	if (rc == 0 && jv_is_valid(v) && seen_load(d->seen, &v) < 0) {
		snprintf(err, n, "bad seen list");
		rc = -1;
	}
	jv_free(v);
	return rc;
}

jv
decide_save(struct decide *d)
{
	int64_t horizon = d->cfg.rules->freq_window_ms;
	jv st = jv_object_set(jv_object(), jv_string("v"), jv_number(1));

	st = jv_object_set(st, jv_string("digest_start"), d->digest_start < 0 ?
	    jv_null() : jv_number((double)d->digest_start));
	st = jv_object_set(st, jv_string("issues"), throttle_save(d->issues,
	    horizon > 0 ? horizon : 1));
	st = jv_object_set(st, jv_string("seen"), seen_save(d->seen));
	d->changed = 0;
	return st;
}

int
decide_changed(const struct decide *d)
{
	return d->changed;
}

/* ---- what to tell ---- */

/*
 * Notes are kept as bytes, not jv strings: a title cut at a buffer's end
 * may end inside a UTF-8 sequence, and --explain shows it as it is.
 */
static void
vnote(struct decision *dn, char kind, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t len;
	char *p;

	vsnprintf(msg, sizeof msg, fmt, ap);
	len = strlen(msg);
	if ((p = realloc(dn->notes, dn->notes_len + len + 2)) == NULL)
		return;		/* a lost line of explanation, not a failure */
	dn->notes = p;
	p[dn->notes_len] = kind;
	memcpy(p + dn->notes_len + 1, msg, len + 1);
	dn->notes_len += len + 2;
}

static void explain(const struct decide *, struct decision *, const char *,
    ...) __attribute__((format(printf, 3, 4)));
static void warn(struct decision *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
explain(const struct decide *d, struct decision *dn, const char *fmt, ...)
{
	va_list ap;

	if (!d->cfg.explain)
		return;
	va_start(ap, fmt);
	vnote(dn, DECIDE_NOTE_EXPLAIN, fmt, ap);
	va_end(ap);
}

static void
warn(struct decision *dn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(dn, DECIDE_NOTE_WARN, fmt, ap);
	va_end(ap);
}

const char *
decision_note(const struct decision *dn, size_t *at, int *kind)
{
	const char *p;

	if (dn->notes == NULL || *at >= dn->notes_len)
		return NULL;
	p = dn->notes + *at;
	*kind = p[0];
	*at += strlen(p) + 1;
	return p + 1;
}

/* ---- routes ---- */

static const struct rule *
find_rule(const struct decide *d, const char *name)
{
	const struct rules *rs = d->cfg.rules;

	for (size_t i = 0; name && i < rs->n; i++)
		if (strcmp(rs->v[i].name, name) == 0)
			return &rs->v[i];
	return NULL;
}

/* Where a rule's messages go (r NULL: the default route). */
static jv
route_of(const struct decide *d, const struct rule *r)
{
	const char *chat = r && r->chat ? r->chat : d->cfg.chat;
	int64_t topic = r && r->topic >= 0 ? r->topic : d->cfg.topic;
	int silent = r && r->silent >= 0 ? r->silent : d->cfg.silent;
	jv route = jv_object();

	route = jv_object_set(route, jv_string("chat_id"),
	    chat ? jv_string(chat) : jv_null());
	route = jv_object_set(route, jv_string("thread_id"),
	    topic >= 0 ? jv_number((double)topic) : jv_null());
	route = jv_object_set(route, jv_string("silent"), jv_bool(silent > 0));
	return route;
}

/* ---- digests ---- */

/* The digest group of a held issue: the route of the rule that held it. */
static jv
route_key(const jv *info, void *ctx)
{
	const struct decide *d = ctx;

	return jv_dump_string(route_of(d, find_rule(d, jvx_str(info,
	    "rule"))), 0);
}

/*
 * The digest of a period, appended to *out: held records are summarised
 * where the rule that held them sends, one digest record per route (the
 * default route's first, with any count whose issue was forgotten).
 */
static void
digest(struct decide *d, int64_t start, int64_t end, jv *out)
{
	char a[CLOCK_RFC3339_SIZE], b[CLOCK_RFC3339_SIZE], id[80];
	jv groups;
	int n;

	if (throttle_held(d->issues) == 0)
		return;
	groups = throttle_digest_groups(d->issues, jv_dump_string(route_of(d,
	    NULL), 0), DIGEST_MAX_LIST, route_key, d);
	n = jv_array_length(jv_copy(groups));
	clock_format(start, a, sizeof a);
	clock_format(end, b, sizeof b);
	for (int i = 0; i < n; i++) {
		jv g = jv_array_get(jv_copy(groups), i);
		jv key = jvx_get(&g, "group");
		jv rec = jv_object(), dg = jv_object();
		double total = 0, omitted = 0;

		jvx_num(&g, "total", 0, &total);
		jvx_num(&g, "omitted", 0, &omitted);
		if (i == 0)
			snprintf(id, sizeof id, "digest-%s", b);
		else
			snprintf(id, sizeof id, "digest-%s-%d", b, i + 1);
		if (total <= 0) {
			jv_free(key);
			jv_free(g);
			jv_free(rec);
			jv_free(dg);
			continue;
		}
		dg = jv_object_set(dg, jv_string("period_start"), jv_string(a));
		dg = jv_object_set(dg, jv_string("period_end"), jv_string(b));
		dg = jv_object_set(dg, jv_string("total"), jv_number(total));
		dg = jv_object_set(dg, jv_string("issues"), jvx_get(&g,
		    "issues"));
		dg = jv_object_set(dg, jv_string("omitted_issues"),
		    jv_number(omitted));
		rec = jv_object_set(rec, jv_string("v"), jv_number(1));
		rec = jv_object_set(rec, jv_string("id"), jv_string(id));
		rec = jv_object_set(rec, jv_string("digest"), dg);
		rec = jv_object_set(rec, jv_string("route"),
		    jv_parse(jv_string_value(key)));
		*out = jv_array_append(*out, rec);
		jv_free(key);
		jv_free(g);
	}
	jv_free(groups);
	d->changed = 1;
}

/* Time moved to now: close the digest period if it is over. */
static void
tick(struct decide *d, int64_t now, jv *out)
{
	int64_t period = d->cfg.digest_ms;

	if (period <= 0)
		return;
	if (d->digest_start >= 0 && now < d->digest_start + period)
		return;
	if (d->digest_start >= 0)
		digest(d, d->digest_start, d->digest_start + period, out);
	d->digest_start = now - (now % period + period) % period;
	d->changed = 1;
}

jv
decide_tick(struct decide *d, int64_t now)
{
	jv out = jv_array();

	tick(d, now, &out);
	return out;
}

int64_t
decide_next_due(const struct decide *d)
{
	if (d->cfg.digest_ms <= 0 || d->digest_start < 0 ||
	    throttle_held(d->issues) == 0)
		return -1;
	return d->digest_start + d->cfg.digest_ms;
}

/* ---- one record ---- */

const char *
decide_issue_key(const jv *alert, char *buf, size_t n)
{
	char num[64];
	const char *id = jvx_text(alert, "issue_id", num, sizeof num);
	const char *kind = jvx_str(alert, "kind");
	const char *title = jvx_str(alert, "title");
	const char *project = jvx_str(alert, "project");

	if (id && *id)
		snprintf(buf, n, "issue:%s", id);
	else if (kind && strcmp(kind, "metric_alert") == 0) {
		const char *rule = jvx_str(alert, "rule");
		const char *sev = jvx_str(alert, "metric.severity");

		snprintf(buf, n, "metric:%s:%s", rule ? rule : title ? title :
		    "", sev ? sev : "");
	} else if (title && *title)
		snprintf(buf, n, "title:%s:%s", project ? project : "", title);
	else
		return NULL;
	return buf;
}

int
decide_is_new(const jv *alert)
{
	const char *kind = jvx_str(alert, "kind");
	const char *action = jvx_str(alert, "action");
	const char *first = jvx_str(alert, "first_seen");
	const char *ts = jvx_str(alert, "timestamp");
	int64_t a, b;
	double count;

	if (kind && action && strcmp(kind, "issue") == 0 &&
	    strcmp(action, "created") == 0)
		return 1;
	if (kind && strcmp(kind, "metric_alert") == 0)
		return 0;
	if (jvx_num(alert, "count", 1, &count) && count == 1)
		return 1;
	return first && ts && clock_parse(first, &a) == 0 &&
	    clock_parse(ts, &b) == 0 && (a > b ? a - b : b - a) <= 1000;
}

/* What a digest lists of a held issue. */
static jv
digest_info(const jv *alert)
{
	static const char *const keys[] = {
		"issue_id", "short_id", "title", "level", "project", "url"
	};
	jv info = jv_object();

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char num[64];
		const char *s = jvx_text(alert, keys[i], num, sizeof num);

		info = jv_object_set(info, jv_string(keys[i]),
		    s ? jv_string(s) : jv_null());
	}
	return info;
}

/* A verdict as the seen list keeps it: [rule|null, drop reason|null]. */
static jv
verdict(const char *rule, const char *drop)
{
	return jv_array_append(jv_array_append(jv_array(),
	    rule ? jv_string(rule) : jv_null()),
	    drop ? jv_string(drop) : jv_null());
}

/* Match the rule; a jq error is warned (and counts as no match). */
static int
match(const struct rule *r, const struct rule_facts *f, char *why,
    size_t n, struct decision *dn)
{
	int m = rules_match(r, f, why, n);

	if (m < 0)
		warn(dn, "jq: %s", why + strlen(RULES_JQ_ERROR));
	return m == 1;
}

/* The issue's table entry brought up to this record: facts for rules. */
static void
bookkeeping(struct throttle_issue *issue, const jv *alert, int64_t now,
    int occurrence, struct rule_facts *f)
{
	const char *action = jvx_str(alert, "action");
	const char *status = jvx_str(alert, "status");
	int resolving = (action && strcmp(action, "resolved") == 0) ||
	    (status && strcmp(status, "resolved") == 0 && !f->is_regression);

	if (issue->resolved && !resolving && occurrence)
		f->is_regression = 1;
	if (resolving)
		issue->resolved = 1;
	else if (f->is_regression)
		issue->resolved = 0;
	if (occurrence)
		throttle_note(issue, now);
	f->issue = issue;
}

/* The first rule that matches, each rule's answer explained. */
static const struct rule *
first_match(const struct decide *d, const struct rule_facts *f,
    struct decision *dn)
{
	const struct rules *rs = d->cfg.rules;
	const struct rule *found = NULL;
	char why[600];

	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->v[i];

		if (found != NULL) {
			explain(d, dn, "rule %s: not tried (first match wins)",
			    r->name);
		} else if (match(r, f, why, sizeof why, dn)) {
			explain(d, dn, "rule %s: matches (from %s)", r->name,
			    r->origin);
			found = r;
		} else {
			explain(d, dn, "rule %s: no: %s", r->name, why);
		}
	}
	return found;
}

/*
 * Decide on a record with an alert (the state updated): its verdict, or
 * jv_invalid() when out of memory.
 */
static jv
judge(struct decide *d, const jv *rec, const jv *alert, int64_t now,
    const char *id, struct decision *dn)
{
	const char *kind = jvx_str(alert, "kind");
	const char *action = jvx_str(alert, "action");
	struct rule_facts f = { rec, alert, 0, 0, NULL, now };
	struct throttle_issue *issue = NULL;
	char keybuf[512], why[600], ago[32], dur[32], topic[32];
	const char *key;
	const struct rule *r;
	int unseen, occurrence;

	if (kind && strcmp(kind, "installation") == 0) {
		explain(d, dn, "=> dropped: installation events are never "
		    "messaged");
		return verdict("installation",
		    "installation: acknowledged, never messaged");
	}
	if (!match(&d->cfg.rules->filter, &f, why, sizeof why, dn)) {
		explain(d, dn, "filter: %s => dropped", why);
		return verdict("filter", why);
	}
	key = decide_issue_key(alert, keybuf, sizeof keybuf);
	unseen = key != NULL && throttle_find(d->issues, key) == NULL;
	if (key != NULL && (issue = throttle_touch(d->issues, key)) == NULL) {
		snprintf(dn->error, sizeof dn->error, "%.100s: out of memory",
		    id);
		return jv_invalid();
	}
	f.is_regression = action && strcmp(action, "unresolved") == 0;
	/* comments, Seer updates and state changes are not occurrences */
	occurrence = !rules_is_state_change(action) && !(kind &&
	    (strcmp(kind, "comment") == 0 || strcmp(kind, "seer") == 0));
	/*
	 * Sentry's "first seen" alert rule arrives as an event_alert or a
	 * legacy webhook with no first-seen mark in it: there, an issue this
	 * stage has never seen counts as new too.
	 */
	f.is_new = decide_is_new(alert) || (unseen && occurrence && kind &&
	    (strcmp(kind, "event_alert") == 0 || strcmp(kind, "legacy") == 0));
	if (issue)
		bookkeeping(issue, alert, now, occurrence, &f);

	if ((r = first_match(d, &f, dn)) == NULL) {
		explain(d, dn, "=> dropped: no rule matched");
		return verdict(NULL, "no rule matched");
	}
	if (r->drop) {
		explain(d, dn, "=> dropped by rule %s", r->name);
		return verdict(r->name, "dropped by rule");
	}
	int64_t window = r->throttle_ms >= 0 ? r->throttle_ms :
	    d->cfg.throttle_ms;
	int64_t last = issue ? issue->last_sent : THROTTLE_NEVER;
	int64_t route_topic = r->topic >= 0 ? r->topic : d->cfg.topic;

	if (issue && !throttle_allow(issue, now, window)) {
		/* what the digest shows: the latest record held back, and
		 * the rule that held it (its route gets the digest) */
		throttle_set_info(issue, jv_object_set(digest_info(alert),
		    jv_string("rule"), jv_string(r->name)));
		explain(d, dn, "=> dropped: throttled (%s: last message %s "
		    "before, window %s)", key, rules_format_duration(now - last,
		    ago, sizeof ago), rules_format_duration(window, dur,
		    sizeof dur));
		return verdict(r->name, "throttled");
	}
	if (route_topic >= 0)
		snprintf(topic, sizeof topic, "%" PRId64, route_topic);
	else
		snprintf(topic, sizeof topic, "none");
	explain(d, dn, "=> rule %s, chat %s, topic %s, %s", r->name,
	    r->chat ? r->chat : d->cfg.chat ? d->cfg.chat : "(none)", topic,
	    issue == NULL ? "not throttled (no issue key)" : window <= 0 ?
	    "throttle off" : "first message in its window");
	return verdict(r->name, NULL);
}

/* The drop marker for rec (consumed): what the last stage acknowledges. */
static jv
drop_marker(jv rec, const char *rule, const char *reason)
{
	static const char *const keep[] = { "v", "id", "seq", "received" };
	jv marker = jv_object(), d = jv_object();

	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		jv v = jvx_get(&rec, keep[i]);

		if (jv_is_valid(v))
			marker = jv_object_set(marker, jv_string(keep[i]), v);
		else
			jv_free(v);
	}
	if (!jv_object_has(jv_copy(marker), jv_string("v")))
		marker = jv_object_set(marker, jv_string("v"), jv_number(1));
	d = jv_object_set(d, jv_string("rule"), jv_string(rule ? rule :
	    "none"));
	d = jv_object_set(d, jv_string("reason"), jv_string(reason));
	jv_free(rec);
	return jv_object_set(marker, jv_string("drop"), d);
}

/* Carry out a verdict on rec (consumed) into dn. */
static void
carry_out(const struct decide *d, jv rec, const jv *v, struct decision *dn)
{
	const char *rule = jvx_str(v, "0");
	const char *drop = jvx_str(v, "1");

	if (drop != NULL) {
		dn->throttled = strcmp(drop, "throttled") == 0;
		dn->out = drop_marker(rec, rule, drop);
		dn->outcome = DECIDE_DROP;
		return;
	}
	if (!d->cfg.keep_payload)
		rec = jv_object_delete(rec, jv_string("payload"));
	rec = jv_object_set(rec, jv_string("rule"), jv_string(rule ? rule :
	    ""));
	rec = jv_object_set(rec, jv_string("route"), route_of(d,
	    find_rule(d, rule)));
	dn->out = rec;
	dn->outcome = DECIDE_SEND;
}

enum decide_outcome
decide_record(struct decide *d, jv rec, int64_t wall_ms, struct decision *dn)
{
	jv alert = jvx_get(&rec, "alert"), v;
	const char *id, *received;
	int64_t now;

	memset(dn, 0, sizeof *dn);
	dn->out = jv_invalid();
	dn->before = jv_array();
	if (jv_get_kind(alert) != JV_KIND_OBJECT) {
		jv_free(alert);
		jv_free(rec);
		return dn->outcome = DECIDE_FORWARD;
	}
	id = jvx_str(&rec, "id");
	received = jvx_str(&rec, "received");
	if (received == NULL || clock_parse(received, &now) < 0) {
		now = wall_ms;
		dn->no_received = 1;
	}
	if (d->cfg.clock_records || now <= wall_ms + CLOCK_JUMP_MS)
		tick(d, now, &dn->before);
	v = id ? seen_get(d->seen, id) : jv_invalid();
	if (jv_is_valid(v)) {
		explain(d, dn, "seen before: same decision, not counted again");
		dn->replayed = 1;
	} else {
		jv_free(v);
		v = judge(d, &rec, &alert, now, id ? id : "-", dn);
		if (!jv_is_valid(v)) {
			jv_free(alert);
			jv_free(rec);
			return dn->outcome = DECIDE_FAIL;
		}
		if (id)
			seen_put(d->seen, id, jv_copy(v));
		d->changed = 1;
	}
	jv_free(alert);
	carry_out(d, rec, &v, dn);
	jv_free(v);
	return dn->outcome;
}

void
decision_free(struct decision *dn)
{
	jv_free(dn->out);
	jv_free(dn->before);
	free(dn->notes);
	dn->out = jv_invalid();
	dn->before = jv_invalid();
	dn->notes = NULL;
	dn->notes_len = 0;
}
