/* decide: sentry-filter's policy, from a record to what becomes of it. */
#include "decide.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jvx.h"
#include "pace.h"
#include "seen.h"
#include "throttle.h"

#define DIGEST_MAX_LIST 50	/* issues listed per digest record */
#define STORM_MAX_LIST 100	/* per storm digest (4096 units hold fewer) */
#define MAX_TIMES 2000000	/* received times kept over all issues */
#define MAX_ISSUES 10000
#define MAX_SEEN 10000
/* a record received this far past the wall clock is a clock jump
 * upstream: it must not push the digest period ahead */
#define CLOCK_JUMP_MS 300000
/* a message Telegram's limits would let out later than this is folded */
#define STORM_PROMPT_MS 10000
#define PACE_KEEP_MS 60000	/* the longest window of Telegram's limits */
#define REPLAY_MAX 32		/* records whose digests are kept for replay */
#define PENDING_MAX 64

struct decide {
	struct decide_config cfg;
	struct throttle *issues;
	struct seen *seen;
	int64_t digest_start;	/* -1: no period yet */
	struct pace *pace;	/* Telegram's limits, in received time */
	int64_t pace_clock;	/* the latest received time pace saw */
	jv sends;		/* [[chat, ms]...]: what pace knows */
	jv storms;		/* storm digests collecting, oldest first */
	jv pending;		/* digests written idle, no record since */
	jv replay;		/* [[id, [digests]]...]: written before id */
	int changed;
};

struct decide *
decide_new(const struct decide_config *cfg)
{
	struct decide *d = calloc(1, sizeof *d);
	size_t max_issues = cfg->max_issues;
	struct pace_limits limits;

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
	pace_default_limits(&limits);
	d->pace = pace_new(&limits);
	d->sends = jv_array();
	d->storms = jv_array();
	d->pending = jv_array();
	d->replay = jv_array();
	if (d->issues == NULL || d->seen == NULL || d->pace == NULL) {
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
	pace_free(d->pace);
	jv_free(d->sends);
	jv_free(d->storms);
	jv_free(d->pending);
	jv_free(d->replay);
	free(d);
}

/* ---- Telegram's limits, as the stage sees them ---- */

/* The chat a route sends to, "" when it names none. */
static const char *
route_chat(const jv *route, char *buf, size_t n)
{
	const char *chat = jvx_text(route, "chat_id", buf, n);

	return chat ? chat : "";
}

/* A message to chat goes out at `at` (received time): pace knows. */
static void
note_send(struct decide *d, const char *chat, int64_t at)
{
	int n, drop = 0;

	pace_note(d->pace, chat, at);
	d->sends = jv_array_append(d->sends, jv_array_append(jv_array_append(
	    jv_array(), jv_string(chat)), jv_number((double)at)));
	n = jv_array_length(jv_copy(d->sends));
	for (; drop < n; drop++) {
		jv t = jv_array_get(jv_copy(d->sends), drop);
		int old = jv_number_value(jv_array_get(t, 1)) <
		    (double)(at - PACE_KEEP_MS);

		if (!old)
			break;
	}
	if (drop > 0)
		d->sends = jv_array_slice(d->sends, drop, n);
}

/* Only the elements of list (consumed) that pass ok. */
static jv
keep_if(jv list, int (*ok)(const jv *))
{
	jv out = jv_array();
	int n;

	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		jv_free(list);
		return out;
	}
	n = jv_array_length(jv_copy(list));
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(list), i);

		if (ok(&e))
			out = jv_array_append(out, e);
		else
			jv_free(e);
	}
	jv_free(list);
	return out;
}

static int
is_send(const jv *e)
{
	double t;

	return jvx_str(e, "0") != NULL && jvx_num(e, "1", 0, &t);
}

static int
is_storm(const jv *e)
{
	jv route = jvx_get(e, "route"), issues = jvx_get(e, "issues");
	double t;
	int ok = jvx_str(e, "key") && jvx_str(e, "chat") &&
	    jvx_num(e, "start", 0, &t) && jvx_is(&route, JV_KIND_OBJECT) &&
	    jvx_is(&issues, JV_KIND_ARRAY);

	jv_free(route);
	jv_free(issues);
	return ok;
}

static int
is_digest(const jv *e)
{
	return jvx_is(e, JV_KIND_OBJECT) && jvx_str(e, "id") != NULL;
}

static int
is_replay(const jv *e)
{
	jv list = jvx_at(e, "1");
	int ok = jvx_str(e, "0") != NULL && jvx_is(&list, JV_KIND_ARRAY);

	jv_free(list);
	return ok;
}

int
decide_load(struct decide *d, const jv *st, char *err, size_t n)
{
	jv v;
	double start;
	int rc = 0, len;

	if (jvx_num(st, "digest_start", 0, &start))
		d->digest_start = (int64_t)start;
	if (jvx_num(st, "pace_clock", 0, &start))
		d->pace_clock = (int64_t)start;
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
	/* added later: absent in older state files, and never fatal */
	v = keep_if(jvx_get(st, "sends"), is_send);
	len = jv_array_length(jv_copy(v));
	for (int i = 0; i < len; i++) {
		jv e = jv_array_get(jv_copy(v), i);
		double t = 0;

		jvx_num(&e, "1", 0, &t);
		note_send(d, jvx_str(&e, "0"), (int64_t)t);
		jv_free(e);
	}
	jv_free(v);
	jv_free(d->storms);
	d->storms = keep_if(jvx_get(st, "storms"), is_storm);
	jv_free(d->pending);
	d->pending = keep_if(jvx_get(st, "pending"), is_digest);
	jv_free(d->replay);
	d->replay = keep_if(jvx_get(st, "replay"), is_replay);
	return rc;
}

/* st.key = list (consumed) when it is not empty. */
static jv
set_list(jv st, const char *key, jv list)
{
	if (jv_array_length(jv_copy(list)) == 0) {
		jv_free(list);
		return st;
	}
	return jv_object_set(st, jv_string(key), list);
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
	if (d->pace_clock != 0)
		st = jv_object_set(st, jv_string("pace_clock"),
		    jv_number((double)d->pace_clock));
	st = set_list(st, "sends", jv_copy(d->sends));
	st = set_list(st, "storms", jv_copy(d->storms));
	st = set_list(st, "pending", jv_copy(d->pending));
	st = set_list(st, "replay", jv_copy(d->replay));
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

/* ---- storm digests ---- */

/* The index of the storm collecting for route key, or -1. */
static int
storm_find(const struct decide *d, const char *key)
{
	int n = jv_array_length(jv_copy(d->storms));

	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(d->storms), i);
		const char *k = jvx_str(&e, "key");
		int same = k && strcmp(k, key) == 0;

		jv_free(e);
		if (same)
			return i;
	}
	return -1;
}

/* 1 when a storm digest is collecting for chat: its messages wait. */
static int
storm_active(const struct decide *d, const char *chat)
{
	int n = jv_array_length(jv_copy(d->storms)), found = 0;

	for (int i = 0; i < n && !found; i++) {
		jv e = jv_array_get(jv_copy(d->storms), i);
		const char *c = jvx_str(&e, "chat");

		found = c && strcmp(c, chat) == 0;
		jv_free(e);
	}
	return found;
}

/* Fold a message for route (borrowed) into its chat's storm digest. */
static void
storm_add(struct decide *d, const jv *route, const char *chat,
    const jv *alert, const char *issue_key, int64_t now)
{
	jv key = jv_dump_string(jv_copy(*route), 0);
	int at = storm_find(d, jv_string_value(key)), n, found = -1;
	jv st, issues;
	double records = 0, omitted = 0;

	if (at < 0) {
		st = jv_object_set(jv_object(), jv_string("key"), jv_copy(key));
		st = jv_object_set(st, jv_string("chat"), jv_string(chat));
		st = jv_object_set(st, jv_string("route"), jv_copy(*route));
		st = jv_object_set(st, jv_string("start"),
		    jv_number((double)now));
		st = jv_object_set(st, jv_string("issues"), jv_array());
		at = jv_array_length(jv_copy(d->storms));
	} else {
		st = jv_array_get(jv_copy(d->storms), at);
		d->storms = jv_array_set(d->storms, at, jv_null());
	}
	jv_free(key);
	jvx_num(&st, "records", 0, &records);
	jvx_num(&st, "omitted", 0, &omitted);
	st = jv_object_set(st, jv_string("records"), jv_number(records + 1));
	issues = jvx_get(&st, "issues");
	st = jv_object_set(st, jv_string("issues"), jv_null());
	n = jv_array_length(jv_copy(issues));
	for (int i = 0; i < n && issue_key && found < 0; i++) {
		jv it = jv_array_get(jv_copy(issues), i);
		const char *k = jvx_str(&it, "key");

		if (k && strcmp(k, issue_key) == 0)
			found = i;
		jv_free(it);
	}
	if (found >= 0) {
		jv it = jv_array_get(jv_copy(issues), found);
		double count = 0;

		jvx_num(&it, "count", 0, &count);
		issues = jv_array_set(issues, found, jv_object_set(it,
		    jv_string("count"), jv_number(count + 1)));
	} else if (n < STORM_MAX_LIST) {
		jv it = digest_info(alert);
		char num[64];
		const char *env = jvx_text(alert, "environment", num,
		    sizeof num);

		it = jv_object_set(it, jv_string("environment"),
		    env ? jv_string(env) : jv_null());
		it = jv_object_set(it, jv_string("key"),
		    issue_key ? jv_string(issue_key) : jv_null());
		it = jv_object_set(it, jv_string("count"), jv_number(1));
		issues = jv_array_append(issues, it);
	} else {
		st = jv_object_set(st, jv_string("omitted"),
		    jv_number(omitted + 1));
	}
	st = jv_object_set(st, jv_string("issues"), issues);
	if (at == jv_array_length(jv_copy(d->storms)))
		d->storms = jv_array_append(d->storms, st);
	else
		d->storms = jv_array_set(d->storms, at, st);
}

/*
 * The storm digest of storm i, appended to *out, and the storm gone.
 * Its message takes the next send Telegram allows the chat.
 */
static void
storm_close(struct decide *d, int i, int64_t end, jv *out)
{
	jv st = jv_array_get(jv_copy(d->storms), i);
	jv issues = jv_array(), listed = jvx_get(&st, "issues");
	const char *chat = jvx_str(&st, "chat"), *env = NULL;
	char a[CLOCK_RFC3339_SIZE], b[CLOCK_RFC3339_SIZE], id[200];
	double start = 0, records = 0, omitted = 0, thread;
	int n = jv_array_length(jv_copy(listed)), mixed = 0;
	jv dg = jv_object(), rec = jv_object(), head;

	jvx_num(&st, "start", 0, &start);
	jvx_num(&st, "records", 0, &records);
	jvx_num(&st, "omitted", 0, &omitted);
	for (int k = 0; k < n; k++) {
		jv it = jv_array_get(jv_copy(listed), k);
		const char *e = jvx_str(&it, "environment");

		if (k == 0)
			env = e;
		if (e == NULL || env == NULL || strcmp(e, env) != 0)
			mixed = 1;
		issues = jv_array_append(issues, jv_object_delete(it,
		    jv_string("key")));
	}
	clock_format((int64_t)start, a, sizeof a);
	clock_format(end, b, sizeof b);
	snprintf(id, sizeof id, "storm-%s-%.80s", b, chat && *chat ? chat :
	    "default");
	if (jvx_num(&st, "route.thread_id", 0, &thread))
		snprintf(id + strlen(id), sizeof id - strlen(id), "-t%.0f",
		    thread);
	if (jvx_bool(&st, "route.silent") == 1)
		snprintf(id + strlen(id), sizeof id - strlen(id), "-s");
	dg = jvx_set_str(dg, "kind", "storm");
	dg = jvx_set_str(dg, "period_start", a);
	dg = jvx_set_str(dg, "period_end", b);
	dg = jv_object_set(dg, jv_string("total"), jv_number(records));
	dg = jvx_set_str(dg, "environment", mixed ? NULL : env);
	dg = jv_object_set(dg, jv_string("issues"), issues);
	dg = jv_object_set(dg, jv_string("omitted_issues"),
	    jv_number(omitted));
	rec = jv_object_set(rec, jv_string("v"), jv_number(1));
	rec = jvx_set_str(rec, "id", id);
	rec = jv_object_set(rec, jv_string("digest"), dg);
	rec = jv_object_set(rec, jv_string("route"), jvx_get(&st, "route"));
	*out = jv_array_append(*out, rec);
	note_send(d, chat ? chat : "", end + pace_delay(d->pace,
	    chat ? chat : "", end));
	jv_free(listed);
	jv_free(st);
	n = jv_array_length(jv_copy(d->storms));
	head = jv_array_slice(jv_copy(d->storms), 0, i);
	d->storms = jv_array_concat(head, jv_array_slice(d->storms, i + 1, n));
	d->changed = 1;
}

/* When storm i closes. */
static int64_t
storm_end(const struct decide *d, int i)
{
	jv st = jv_array_get(jv_copy(d->storms), i);
	double start = 0;

	jvx_num(&st, "start", 0, &start);
	jv_free(st);
	return (int64_t)start + d->cfg.storm_ms;
}

/* Time moved to now: close the storms and the digest period that are over. */
static void
tick(struct decide *d, int64_t now, jv *out)
{
	int64_t period = d->cfg.digest_ms;

	for (int i = 0; i < jv_array_length(jv_copy(d->storms)); ) {
		if (storm_end(d, i) <= now)
			storm_close(d, i, storm_end(d, i), out);
		else
			i++;
	}
	if (period <= 0)
		return;
	if (d->digest_start >= 0 && now < d->digest_start + period)
		return;
	if (d->digest_start >= 0)
		digest(d, d->digest_start, d->digest_start + period, out);
	d->digest_start = now - (now % period + period) % period;
	d->changed = 1;
}

/* Written while idle: kept until a record follows (bounded). */
static void
add_pending(struct decide *d, jv list)
{
	int n;

	d->pending = jv_array_concat(d->pending, list);
	n = jv_array_length(jv_copy(d->pending));
	if (n > PENDING_MAX)
		d->pending = jv_array_slice(d->pending, n - PENDING_MAX, n);
}

jv
decide_tick(struct decide *d, int64_t now)
{
	jv out = jv_array();

	tick(d, now, &out);
	if (jv_array_length(jv_copy(out)) > 0) {
		add_pending(d, jv_copy(out));
		d->changed = 1;
	}
	return out;
}

int64_t
decide_next_due(const struct decide *d)
{
	int64_t due = -1;
	int n = jv_array_length(jv_copy(d->storms));

	if (d->cfg.digest_ms > 0 && d->digest_start >= 0 &&
	    throttle_held(d->issues) > 0)
		due = d->digest_start + d->cfg.digest_ms;
	for (int i = 0; i < n; i++)
		if (due < 0 || storm_end(d, i) < due)
			due = storm_end(d, i);
	return due;
}

jv
decide_pending(const struct decide *d)
{
	return jv_copy(d->pending);
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

/*
 * A verdict as the seen list keeps it: [rule|null, drop reason|null,
 * extra]; extra (consumed) may hold "held" {count, since} and "route",
 * the rule whose route a message takes when not its own.
 */
static jv
verdict(const char *rule, const char *drop, jv extra)
{
	jv v = jv_array_append(jv_array_append(jv_array(),
	    rule ? jv_string(rule) : jv_null()),
	    drop ? jv_string(drop) : jv_null());

	if (jv_get_kind(extra) == JV_KIND_OBJECT &&
	    jv_object_length(jv_copy(extra)) > 0)
		return jv_array_append(v, extra);
	jv_free(extra);
	return v;
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

/*
 * The frequency rules whose threshold this occurrence crossed (bit i:
 * the i-th rule with a frequency condition), the issue's memory of
 * which it is above brought up to date: a burst is news once, when it
 * starts, not with every event while it lasts.
 */
static unsigned
crossings(const struct decide *d, struct throttle_issue *issue,
    const struct rule_facts *f)
{
	const struct rules *rs = d->cfg.rules;
	unsigned above = 0, bit = 1, crossed;

	for (size_t i = 0; i < rs->n && bit != 0; i++) {
		int h = rules_frequency(&rs->v[i], f);

		if (h < 0)
			continue;
		if (h == 1)
			above |= bit;
		bit <<= 1;
	}
	crossed = above & ~issue->bursts;
	issue->bursts = above;
	return crossed;
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
 * The frequency rule, first matched or after it, whose threshold this
 * record crossed (crossed: from crossings()), or NULL.
 */
static const struct rule *
burst_rule(const struct decide *d, const struct rule *first,
    unsigned crossed, const struct rule_facts *f, struct decision *dn)
{
	const struct rules *rs = d->cfg.rules;
	unsigned bit = 1;
	int after = 0;
	char why[600];

	for (size_t i = 0; i < rs->n && bit != 0 && crossed != 0; i++) {
		const struct rule *r = &rs->v[i];

		after |= r == first;
		if (rules_frequency(r, f) < 0)
			continue;
		if ((crossed & bit) && after && !r->drop &&
		    (r == first || match(r, f, why, sizeof why, dn)))
			return r;
		bit <<= 1;
	}
	return NULL;
}

/* What the record is let through on: a rule, and where it sends. */
struct through {
	const char *name;		/* "rule" of the record */
	const struct rule *route;	/* whose route (NULL: the default) */
	const char *why;		/* for --explain */
	int state;			/* a state change: no event message */
};

/*
 * Let the record through (the throttle window restarts), or fold it
 * into its chat's storm digest when Telegram would send it only late.
 * The verdict.
 */
static jv
let_through(struct decide *d, struct throttle_issue *issue,
    const struct through *t, const jv *alert, const char *key,
    int64_t now, struct decision *dn)
{
	jv extra = jv_object(), route = route_of(d, t->route);
	char chat[64], held[100] = "", since[CLOCK_RFC3339_SIZE], late[32],
	    topic[32];
	const char *c = route_chat(&route, chat, sizeof chat);
	int64_t delay = 0, route_topic = -1;
	double thread;

	if (t->route && strcmp(t->route->name, t->name) != 0)
		extra = jvx_set_str(extra, "route", t->route->name);
	if (issue && issue->unsent > 0 && !t->state) {
		clock_format(issue->unsent_since, since, sizeof since);
		extra = jv_object_set(extra, jv_string("held"), jv_object_set(
		    jv_object_set(jv_object(), jv_string("count"),
		    jv_number((double)issue->unsent)), jv_string("since"),
		    jv_string(since)));
		snprintf(held, sizeof held, ", +%lu held since %s",
		    issue->unsent, since);
	}
	/* a state change tells no event: the window and count go on */
	if (issue && !t->state)
		throttle_sent(issue, now, t->route ? t->route->name : NULL);
	if (d->cfg.storm_ms > 0) {
		now = d->pace_clock;
		if (storm_active(d, c) ||
		    (delay = pace_delay(d->pace, c, now)) > STORM_PROMPT_MS) {
			storm_add(d, &route, c, alert, key, now);
			snprintf(late, sizeof late, "%.1f s", (double)delay /
			    1000);
			explain(d, dn, "=> rule %s, %s: folded into the storm "
			    "digest of chat %s (%s%s)", t->name, t->why,
			    *c ? c : "(none)", delay > STORM_PROMPT_MS ?
			    "Telegram would take it only in " : "one is "
			    "collecting", delay > STORM_PROMPT_MS ? late : "");
			jv_free(route);
			return verdict(t->name, DECIDE_STORM, extra);
		}
		note_send(d, c, now + delay);
	}
	if (jvx_num(&route, "thread_id", 0, &thread))
		route_topic = (int64_t)thread;
	if (route_topic >= 0)
		snprintf(topic, sizeof topic, "%" PRId64, route_topic);
	else
		snprintf(topic, sizeof topic, "none");
	explain(d, dn, "=> rule %s, chat %s, topic %s, %s%s", t->name,
	    *c ? c : "(none)", topic, t->why, held);
	jv_free(route);
	return verdict(t->name, NULL, extra);
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
	char keybuf[512], why[600], ago[32], dur[32], news[200];
	const char *key;
	const struct rule *r, *burst;
	int unseen, occurrence, change, messaged;
	unsigned crossed = 0;

	if (kind && strcmp(kind, "installation") == 0) {
		explain(d, dn, "=> dropped: installation events are never "
		    "messaged");
		return verdict("installation",
		    "installation: acknowledged, never messaged", jv_null());
	}
	if (!match(&d->cfg.rules->filter, &f, why, sizeof why, dn)) {
		explain(d, dn, "filter: %s => dropped", why);
		return verdict("filter", why, jv_null());
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
	change = rules_is_state_change(action);
	occurrence = !change && !(kind &&
	    (strcmp(kind, "comment") == 0 || strcmp(kind, "seer") == 0));
	/*
	 * Sentry's "first seen" alert rule arrives as an event_alert or a
	 * legacy webhook with no first-seen mark in it: there, an issue this
	 * stage has never seen counts as new too.
	 */
	f.is_new = decide_is_new(alert) || (unseen && occurrence && kind &&
	    (strcmp(kind, "event_alert") == 0 || strcmp(kind, "legacy") == 0));
	/* a state change of an issue messaged before is news to its chat */
	messaged = issue && issue->last_sent != THROTTLE_NEVER;
	if (issue)
		bookkeeping(issue, alert, now, occurrence, &f);
	if (issue && occurrence)
		crossed = crossings(d, issue, &f);

	if ((r = first_match(d, &f, dn)) == NULL) {
		if (change && messaged) {
			struct through t = { "state-change",
			    find_rule(d, issue->rule), "a state change of an "
			    "issue messaged before", 1 };

			return let_through(d, issue, &t, alert, key, now, dn);
		}
		explain(d, dn, "=> dropped: no rule matched");
		return verdict(NULL, "no rule matched", jv_null());
	}
	if (r->drop) {
		explain(d, dn, "=> dropped by rule %s", r->name);
		return verdict(r->name, "dropped by rule", jv_null());
	}
	int64_t window = r->throttle_ms >= 0 ? r->throttle_ms :
	    d->cfg.throttle_ms;
	int64_t last = issue ? issue->last_sent : THROTTLE_NEVER;
	struct through t = { r->name, r, issue == NULL ?
	    "not throttled (no issue key)" : window <= 0 ? "throttle off" :
	    "first message in its window", 0 };

	if (issue && !throttle_due(issue, now, window)) {
		snprintf(news, sizeof news, "let through inside its throttle "
		    "window (last message %s before, window %s): ",
		    rules_format_duration(now - last, ago, sizeof ago),
		    rules_format_duration(window, dur, sizeof dur));
		burst = burst_rule(d, r, crossed, &f, dn);
		if (f.is_regression) {
			strcat(news, "a regression");
		} else if (change && messaged) {
			strcat(news, "a state change");
			t.state = 1;
		} else if (burst != NULL) {
			strcat(news, "a burst (the threshold of rule ");
			strncat(news, burst->name, 40);
			strcat(news, " first crossed)");
			t.name = burst->name;
			t.route = burst;
		} else {
			/* what the digest shows: the latest record held back,
			 * and the rule that held it (its route gets the
			 * digest) */
			throttle_hold(issue, now);
			throttle_set_info(issue, jv_object_set(
			    digest_info(alert), jv_string("rule"),
			    jv_string(r->name)));
			explain(d, dn, "=> dropped: throttled (%s: last "
			    "message %s before, window %s)", key, ago, dur);
			return verdict(r->name, "throttled", jv_null());
		}
		t.why = news;
	}
	return let_through(d, issue, &t, alert, key, now, dn);
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
	const char *via = jvx_str(v, "2.route");
	jv held = jvx_at(v, "2.held");

	if (drop != NULL) {
		dn->throttled = strcmp(drop, "throttled") == 0;
		dn->folded = strcmp(drop, DECIDE_STORM) == 0;
		dn->out = drop_marker(rec, rule, drop);
		dn->outcome = DECIDE_DROP;
		jv_free(held);
		return;
	}
	if (!d->cfg.keep_payload)
		rec = jv_object_delete(rec, jv_string("payload"));
	if (jvx_is(&held, JV_KIND_OBJECT)) {
		jv alert = jvx_get(&rec, "alert");

		rec = jv_object_set(rec, jv_string("alert"),
		    jv_object_set(alert, jv_string("held"), jv_copy(held)));
	}
	jv_free(held);
	rec = jv_object_set(rec, jv_string("rule"), jv_string(rule ? rule :
	    ""));
	rec = jv_object_set(rec, jv_string("route"), route_of(d,
	    find_rule(d, via ? via : rule)));
	dn->out = rec;
	dn->outcome = DECIDE_SEND;
}

/* The digests written before record id, kept for its replay. */
static jv
replay_get(const struct decide *d, const char *id)
{
	for (int i = jv_array_length(jv_copy(d->replay)) - 1; i >= 0; i--) {
		jv e = jv_array_get(jv_copy(d->replay), i);
		const char *k = jvx_str(&e, "0");

		if (k && strcmp(k, id) == 0) {
			jv list = jvx_at(&e, "1");

			jv_free(e);
			return list;
		}
		jv_free(e);
	}
	return jv_array();
}

/*
 * Digests written before a newly decided record: kept with its id (with
 * those written idle before it), so that a replay of the record writes
 * them again; a crash between this stage and Telegram loses none.
 */
static void
replay_put(struct decide *d, const char *id, const jv *before)
{
	jv list = jv_array_concat(d->pending, jv_copy(*before));
	int n;

	d->pending = jv_array();
	if (id == NULL) {	/* nothing to replay by: pending, then */
		add_pending(d, list);
		return;
	}
	if (jv_array_length(jv_copy(list)) == 0) {
		jv_free(list);
		return;
	}
	d->replay = jv_array_append(d->replay, jv_array_append(
	    jv_array_append(jv_array(), jv_string(id)), list));
	n = jv_array_length(jv_copy(d->replay));
	if (n > REPLAY_MAX)
		d->replay = jv_array_slice(d->replay, n - REPLAY_MAX, n);
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
		/* what was written before it the first time, again */
		add_pending(d, jv_copy(dn->before));
		dn->before = jv_array_concat(replay_get(d, id), dn->before);
	} else {
		jv_free(v);
		/*
		 * Telegram's limits are modelled on a clock that only goes
		 * forward (records may come a little out of order), and not
		 * past a clock jump upstream.
		 */
		int64_t t = d->cfg.clock_records || now <= wall_ms +
		    CLOCK_JUMP_MS ? now : wall_ms + CLOCK_JUMP_MS;

		if (t > d->pace_clock)
			d->pace_clock = t;
		v = judge(d, &rec, &alert, now, id ? id : "-", dn);
		if (!jv_is_valid(v)) {
			jv_free(alert);
			jv_free(rec);
			return dn->outcome = DECIDE_FAIL;
		}
		if (id)
			seen_put(d->seen, id, jv_copy(v));
		replay_put(d, id, &dn->before);
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
