/*
 * sentry-filter: decide which Sentry alerts become Telegram messages.
 *
 * Reads records (NDJSON) from stdin, as sentry-verify writes them, and
 * writes to stdout:
 *   - a record with an "alert" that a rule lets through, with "rule" and
 *     "route" added ("payload" removed unless --keep-payload);
 *   - a drop marker (v, id, seq, received, "drop":{rule,reason}) for
 *     every other record with an "alert": filtered, matched by no rule,
 *     matched by a drop rule, throttled, or of kind "installation";
 *   - records without an "alert" unchanged (byte for byte);
 *   - per period that held records back (throttled), a digest record
 *     for each route those records' rules send to.
 * The state (--state) is saved before the records it decided are
 * written, so a restart or a replay of the spool forgets nothing and
 * counts nothing twice.
 * Decisions depend on the records' "received" times and on --state,
 * never on the wall clock; the wall clock only fires a due digest while
 * no input arrives (and at end of input), unless --clock records.
 * Exits 0 when all input was handled, 1 when unreadable lines were
 * skipped, 2 on a usage or configuration error (before reading), 111
 * when the state file or stdout cannot be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "dotenv.h"
#include "fstate.h"
#include "jvx.h"
#include "ndjson.h"
#include "rules.h"
#include "seen.h"
#include "throttle.h"
#include "version.h"

#define OUT_COMMIT_BYTES (256u << 10)	/* save state, write out: this often, */
#define OUT_COMMIT_MAX (8u << 20)	/* or as much output as the state is */
#define COMMIT_HOLD_FACTOR 10	/* hold output up to 10 saves' time ... */
#define COMMIT_HOLD_MAX_MS 200	/* ... but never longer than this */
#define DIGEST_MAX_LIST 50

static const char usage_text[] =
    "usage: sentry-filter [-hqVvx] [-c chat] [-d period] [-E env-file] "
    "[-F condition]\n"
    "                     [-f rules-file] [-r rule] [-s state-file] "
    "[-t window] [--clock wall|records]\n"
    "                     [--env list] [--jq expression] [--keep-payload] "
    "[--level level]\n"
    "                     [--project list] [--silent] [--tag key=value] "
    "[--title text]\n"
    "                     [--title-re regex] [--topic id]\n";

/* Everything handle() needs; one per process. */
static struct {
	struct rules *rules;
	struct throttle *issues;
	struct seen *seen;
	const char *state_path;
	const char *chat;	/* default route */
	int64_t topic;
	int silent;
	int64_t throttle_ms;
	int64_t digest_ms;
	int64_t digest_start;	/* -1: no period yet */
	int clock_records;
	int keep_payload;
	int explain;
	int dirty;
	int64_t save_ms;	/* what the last state save took */
	size_t state_bytes;	/* how large the last saved state was */
	int64_t held_since;	/* first record not committed yet; 0: none */
	FILE *out;		/* memory buffer, written at commit() */
	char *out_buf;
	size_t out_len;
	unsigned long passed, dropped, throttled, digests;
} S = { .topic = -1, .silent = -1, .throttle_ms = -1, .digest_ms = -1,
    .digest_start = -1 };

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * poll(2) stdin for up to timeout_ms (-1: no limit): > 0 input (or a
 * signal to stop), 0 timed out.  SIGTERM and SIGINT are blocked from the
 * flag test until ppoll(2) unblocks them, so one that arrives just
 * before the wait ends it at once instead of being noticed at the next
 * record.
 */
static int
wait_stdin(int timeout_ms)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	sigset_t stop, old;
	int n = 1;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, &old);
	if (!stopping)
		n = ppoll(&p, 1, timeout_ms < 0 ? NULL : &ts, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return n != 0 || stopping;
}

static void
usage(FILE *f, int status)
{
	fputs(usage_text, f);
	exit(status);
}

/* s with control bytes as '?', cut to fit out (which may be s). */
static const char *
one_line(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	return out;
}

static void
explain(const char *id, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
explain(const char *id, const char *fmt, ...)
{
	char msg[1024], ex[100];
	va_list ap;

	if (!S.explain)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* ids, titles and jq messages come from outside: one line each */
	fprintf(stderr, "%s: explain %s: %s\n", diag_progname(),
	    one_line(id, ex, sizeof ex), one_line(msg, msg, sizeof msg));
}

static void
open_out(void)
{
	if ((S.out = open_memstream(&S.out_buf, &S.out_len)) == NULL) {
		diag_warn("output buffer: %s", strerror(errno));
		exit(EXIT_TEMPFAIL);
	}
}

static void
save_state(void)
{
	char err[512];
	int64_t started;
	struct stat sb;
	jv st;

	if (S.state_path == NULL || !S.dirty)
		return;
	started = clock_mono_ms();
	st = jv_object_set(jv_object(), jv_string("v"), jv_number(1));
	st = jv_object_set(st, jv_string("digest_start"),
	    S.digest_start < 0 ? jv_null() : jv_number((double)S.digest_start));
	st = jv_object_set(st, jv_string("issues"), throttle_save(S.issues,
	    S.rules->freq_window_ms > 0 ? S.rules->freq_window_ms : 1));
	st = jv_object_set(st, jv_string("seen"), seen_save(S.seen));
	if (fstate_save(S.state_path, &st, err, sizeof err) < 0) {
		diag_warn("state: %s", err);
		jv_free(st);
		exit(EXIT_TEMPFAIL);
	}
	jv_free(st);
	S.dirty = 0;
	S.save_ms = clock_mono_ms() - started;
	if (stat(S.state_path, &sb) == 0)
		S.state_bytes = (size_t)sb.st_size;
}

/*
 * Make what was decided durable, then visible: the state is saved before
 * the records it produced reach the next stage, so a crash never lets a
 * decision be acknowledged downstream that the state does not know.
 */
static void
commit(void)
{
	if (fflush(S.out) == EOF) {
		diag_warn("output buffer: %s", strerror(errno));
		exit(EXIT_TEMPFAIL);
	}
	save_state();
	if (S.out_len > 0 &&
	    (fwrite(S.out_buf, 1, S.out_len, stdout) != S.out_len ||
	    fflush(stdout) == EOF)) {
		diag_warn("stdout: %s", strerror(errno));
		exit(EXIT_TEMPFAIL);
	}
	fclose(S.out);
	free(S.out_buf);
	S.out_buf = NULL;
	S.out_len = 0;
	S.held_since = 0;
	open_out();
}

/*
 * Group commit.  A save rewrites the whole state file and fdatasyncs it,
 * so saving after every record of a live stream caps the stage at a few
 * dozen records a second once the state is large.  While input keeps
 * coming, hold the decided records a little (the longer the saves take,
 * the longer, up to COMMIT_HOLD_MAX_MS) so that one save covers them
 * all.  Nothing reaches stdout before the state that decided it is saved.
 * 1 when input arrived before the hold ran out.
 */
static int
more_input_soon(int nonblocking)
{
	int64_t hold = S.save_ms * COMMIT_HOLD_FACTOR, left;

	if (!nonblocking || S.held_since == 0 || S.state_path == NULL)
		return 0;
	if (hold > COMMIT_HOLD_MAX_MS)
		hold = COMMIT_HOLD_MAX_MS;
	left = S.held_since + hold - clock_mono_ms();
	return left > 0 && wait_stdin((int)left) && !stopping;
}

/*
 * Commit while input keeps coming: a save rewrites the whole state, so
 * commit only once the records held are about as large as the state
 * (never less than OUT_COMMIT_BYTES, never more than OUT_COMMIT_MAX),
 * which keeps the saves' cost in proportion to the records; and at the
 * latest COMMIT_HOLD_MAX_MS after the first record held (or 4 saves'
 * time, when a save takes longer than a fifth of that).
 */
static int
commit_due(void)
{
	size_t limit = S.state_bytes;
	long held = ftell(S.out);
	int64_t hold = S.save_ms * 4;	/* saves: at most ~1/5 of the time */

	if (limit < OUT_COMMIT_BYTES)
		limit = OUT_COMMIT_BYTES;
	if (limit > OUT_COMMIT_MAX)
		limit = OUT_COMMIT_MAX;
	if (S.out_len >= limit || held >= (long)limit)
		return 1;
	if (hold < COMMIT_HOLD_MAX_MS)
		hold = COMMIT_HOLD_MAX_MS;
	return S.held_since != 0 && clock_mono_ms() - S.held_since >= hold;
}

static void
emit(jv rec)
{
	if (ndjson_write(S.out, rec) < 0) {
		diag_warn("output buffer: %s", strerror(errno));
		exit(EXIT_TEMPFAIL);
	}
}

static const struct rule *
find_rule(const char *name)
{
	for (size_t i = 0; name && i < S.rules->n; i++)
		if (strcmp(S.rules->v[i].name, name) == 0)
			return &S.rules->v[i];
	return NULL;
}

static jv
route_of(const struct rule *r)
{
	const char *chat = r && r->chat ? r->chat : S.chat;
	int64_t topic = r && r->topic >= 0 ? r->topic : S.topic;
	int silent = r && r->silent >= 0 ? r->silent : S.silent;
	jv route = jv_object();

	route = jv_object_set(route, jv_string("chat_id"),
	    chat ? jv_string(chat) : jv_null());
	route = jv_object_set(route, jv_string("thread_id"),
	    topic >= 0 ? jv_number((double)topic) : jv_null());
	route = jv_object_set(route, jv_string("silent"), jv_bool(silent > 0));
	return route;
}

/* ---- digests ---- */

/* One digest record for a route: the held issues it lists (consumed). */
static void
emit_digest_record(const char *id, const char *a, const char *b,
    unsigned long total, unsigned long omitted, jv issues, jv route)
{
	jv d = jv_object(), rec = jv_object();

	d = jv_object_set(d, jv_string("period_start"), jv_string(a));
	d = jv_object_set(d, jv_string("period_end"), jv_string(b));
	d = jv_object_set(d, jv_string("total"), jv_number((double)total));
	d = jv_object_set(d, jv_string("issues"), issues);
	d = jv_object_set(d, jv_string("omitted_issues"),
	    jv_number((double)omitted));
	rec = jv_object_set(rec, jv_string("v"), jv_number(1));
	rec = jv_object_set(rec, jv_string("id"), jv_string(id));
	rec = jv_object_set(rec, jv_string("digest"), d);
	rec = jv_object_set(rec, jv_string("route"), route);
	emit(rec);
	S.digests++;
	explain(id, "digest of %lu held-back records, %s to %s", total, a, b);
}

/*
 * The digest of a period: held records are summarised where the rule
 * that held them sends, one digest record per route (the default route's
 * first, with any count whose issue the table had to forget).
 */
static void
emit_digest(int64_t start, int64_t end)
{
	unsigned long total, omitted, listed = 0;
	char a[CLOCK_RFC3339_SIZE], b[CLOCK_RFC3339_SIZE], id[80];
	jv all = throttle_digest(S.issues, (size_t)-1, &total, &omitted);
	jv groups = jv_object(), order = jv_array(), def;
	int n = jv_array_length(jv_copy(all)), ngroups;

	if (total == 0) {
		jv_free(all);
		jv_free(groups);
		jv_free(order);
		return;
	}
	clock_format(start, a, sizeof a);
	clock_format(end, b, sizeof b);
	def = jv_dump_string(route_of(NULL), 0);
	order = jv_array_append(order, jv_copy(def));
	for (int i = 0; i < n; i++) {
		jv issue = jv_array_get(jv_copy(all), i);
		jv route = route_of(find_rule(jvx_str(&issue, "rule")));
		jv key = jv_dump_string(jv_copy(route), 0);
		jv g = jv_object_get(jv_copy(groups), jv_copy(key));
		double count = 0;

		if (!jv_is_valid(g)) {
			jv_free(g);
			g = jv_object_set(jv_object(), jv_string("route"), route);
			g = jv_object_set(g, jv_string("issues"), jv_array());
			g = jv_object_set(g, jv_string("total"), jv_number(0));
			g = jv_object_set(g, jv_string("omitted"), jv_number(0));
			if (!jv_equal(jv_copy(key), jv_copy(def)))
				order = jv_array_append(order, jv_copy(key));
		} else {
			jv_free(route);
		}
		jvx_num(&issue, "count", 0, &count);
		listed += (unsigned long)count;
		g = jv_object_set(g, jv_string("total"), jv_number(
		    jv_number_value(jv_object_get(jv_copy(g),
		    jv_string("total"))) + count));
		if (jv_array_length(jv_object_get(jv_copy(g),
		    jv_string("issues"))) < DIGEST_MAX_LIST)
			g = jv_object_set(g, jv_string("issues"), jv_array_append(
			    jv_object_get(jv_copy(g), jv_string("issues")),
			    issue));
		else {
			jv_free(issue);
			g = jv_object_set(g, jv_string("omitted"), jv_number(
			    jv_number_value(jv_object_get(jv_copy(g),
			    jv_string("omitted"))) + 1));
		}
		groups = jv_object_set(groups, key, g);
	}
	jv_free(all);
	ngroups = jv_array_length(jv_copy(order));
	for (int i = 0; i < ngroups; i++) {
		jv key = jv_array_get(jv_copy(order), i);
		jv g = jv_object_get(jv_copy(groups), jv_copy(key));
		double gtotal = 0, gomitted = 0;

		if (i == 0 && !jv_is_valid(g)) {	/* only forgotten counts */
			jv_free(g);
			g = jv_object_set(jv_object(), jv_string("route"),
			    route_of(NULL));
			g = jv_object_set(g, jv_string("issues"), jv_array());
		}
		jvx_num(&g, "total", 0, &gtotal);
		jvx_num(&g, "omitted", 0, &gomitted);
		if (i == 0) {	/* counts of forgotten issues go here */
			gtotal += (double)(total - listed);
			gomitted += (double)omitted;
		}
		if (i == 0)
			snprintf(id, sizeof id, "digest-%s", b);
		else
			snprintf(id, sizeof id, "digest-%s-%d", b, i + 1);
		if (gtotal > 0)
			emit_digest_record(id, a, b, (unsigned long)gtotal,
			    (unsigned long)gomitted,
			    jv_object_get(jv_copy(g), jv_string("issues")),
			    jv_object_get(jv_copy(g), jv_string("route")));
		jv_free(g);
		jv_free(key);
	}
	jv_free(def);
	jv_free(groups);
	jv_free(order);
	S.dirty = 1;
}

/* Time moved to now: close the digest period if it is over. */
static void
digest_tick(int64_t now)
{
	int64_t P = S.digest_ms;

	if (P <= 0)
		return;
	if (S.digest_start < 0) {
		S.digest_start = now - (now % P + P) % P;
		S.dirty = 1;
		return;
	}
	if (now < S.digest_start + P)
		return;
	emit_digest(S.digest_start, S.digest_start + P);
	S.digest_start = now - (now % P + P) % P;
	S.dirty = 1;
}

/* ---- one record ---- */

static const char *
issue_key(const jv *alert, char *buf, size_t n)
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

static int
is_new(const jv *alert)
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

/* Carry out a decision [rule|null, drop reason|null]: rec consumed. */
static void
carry_out(jv rec, const jv *decision)
{
	const char *rule = jvx_str(decision, "0");
	const char *drop = jvx_str(decision, "1");

	if (drop != NULL) {
		static const char *const keep[] = { "v", "id", "seq", "received" };
		jv marker = jv_object(), d = jv_object();

		for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
			jv v = jvx_get(&rec, keep[i]);

			if (jv_is_valid(v))
				marker = jv_object_set(marker,
				    jv_string(keep[i]), v);
			else
				jv_free(v);
		}
		if (!jv_object_has(jv_copy(marker), jv_string("v")))
			marker = jv_object_set(marker, jv_string("v"),
			    jv_number(1));
		d = jv_object_set(d, jv_string("rule"),
		    jv_string(rule ? rule : "none"));
		d = jv_object_set(d, jv_string("reason"), jv_string(drop));
		marker = jv_object_set(marker, jv_string("drop"), d);
		jv_free(rec);
		emit(marker);
		S.dropped++;
		if (strcmp(drop, "throttled") == 0)
			S.throttled++;
		return;
	}
	if (!S.keep_payload)
		rec = jv_object_delete(rec, jv_string("payload"));
	rec = jv_object_set(rec, jv_string("rule"), jv_string(rule));
	rec = jv_object_set(rec, jv_string("route"), route_of(find_rule(rule)));
	emit(rec);
	S.passed++;
}

static jv
decision(const char *rule, const char *drop)
{
	/* an array, not an object: the state keeps one per record id */
	return jv_array_append(jv_array_append(jv_array(),
	    rule ? jv_string(rule) : jv_null()),
	    drop ? jv_string(drop) : jv_null());
}

/* Decide on a record with an alert (state updated); the decision. */
static jv
decide(const jv *rec, const jv *alert, int64_t now, const char *id)
{
	const char *kind = jvx_str(alert, "kind");
	const char *action = jvx_str(alert, "action");
	const char *status = jvx_str(alert, "status");
	struct rule_facts f = { rec, alert, 0, 0, NULL, now };
	struct throttle_issue *issue = NULL;
	char keybuf[512], why[600], ago[32], dur[32], topic[32];
	const char *key;
	const struct rule *match = NULL;

	if (kind && strcmp(kind, "installation") == 0) {
		explain(id, "=> dropped: installation events are never "
		    "messaged");
		return decision("installation",
		    "installation: acknowledged, never messaged");
	}
	if (!rules_match(&S.rules->filter, &f, why, sizeof why)) {
		explain(id, "filter: %s => dropped", why);
		return decision("filter", why);
	}
	key = issue_key(alert, keybuf, sizeof keybuf);
	int unseen = key != NULL && throttle_find(S.issues, key) == NULL;

	if (key != NULL && (issue = throttle_touch(S.issues, key)) == NULL) {
		diag_warn("%s: out of memory", id);
		exit(EXIT_TEMPFAIL);
	}
	f.is_regression = action && strcmp(action, "unresolved") == 0;
	/* comments, Seer updates and state changes are not occurrences */
	int occurrence = !rules_is_state_change(action) && !(kind &&
	    (strcmp(kind, "comment") == 0 || strcmp(kind, "seer") == 0));
	/*
	 * Sentry's "first seen" alert rule arrives as an event_alert or a
	 * legacy webhook with no first-seen mark in it: there, an issue this
	 * stage has never seen counts as new too.
	 */
	f.is_new = is_new(alert) || (unseen && occurrence && kind &&
	    (strcmp(kind, "event_alert") == 0 || strcmp(kind, "legacy") == 0));

	if (issue) {
		int resolving = (action && strcmp(action, "resolved") == 0) ||
		    (status && strcmp(status, "resolved") == 0 &&
		    !f.is_regression);

		if (issue->resolved && !resolving && occurrence)
			f.is_regression = 1;
		if (resolving)
			issue->resolved = 1;
		else if (f.is_regression)
			issue->resolved = 0;
		if (occurrence)
			throttle_note(issue, now);
		f.issue = issue;
	}
	for (size_t i = 0; i < S.rules->n; i++) {
		const struct rule *r = &S.rules->v[i];

		if (match != NULL) {
			explain(id, "rule %s: not tried (first match wins)",
			    r->name);
		} else if (rules_match(r, &f, why, sizeof why)) {
			explain(id, "rule %s: matches (from %s)", r->name,
			    r->origin);
			match = r;
		} else {
			explain(id, "rule %s: no: %s", r->name, why);
		}
	}
	if (match == NULL) {
		explain(id, "=> dropped: no rule matched");
		return decision(NULL, "no rule matched");
	}
	if (match->drop) {
		explain(id, "=> dropped by rule %s", match->name);
		return decision(match->name, "dropped by rule");
	}
	int64_t window = match->throttle_ms >= 0 ? match->throttle_ms :
	    S.throttle_ms;
	int64_t last = issue ? issue->last_sent : THROTTLE_NEVER;

	if (issue && !throttle_allow(issue, now, window)) {
		/* what the digest shows: the latest record held back, and
		 * the rule that held it (its route gets the digest) */
		throttle_set_info(issue, jv_object_set(digest_info(alert),
		    jv_string("rule"), jv_string(match->name)));
		explain(id, "=> dropped: throttled (%s: last message %s "
		    "before, window %s)", key, rules_format_duration(now - last,
		    ago, sizeof ago), rules_format_duration(window, dur,
		    sizeof dur));
		return decision(match->name, "throttled");
	}
	if ((match->topic >= 0 ? match->topic : S.topic) >= 0)
		snprintf(topic, sizeof topic, "%" PRId64,
		    match->topic >= 0 ? match->topic : S.topic);
	else
		snprintf(topic, sizeof topic, "none");
	explain(id, "=> rule %s, chat %s, topic %s, %s", match->name,
	    match->chat ? match->chat : S.chat ? S.chat : "(none)", topic,
	    issue == NULL ? "not throttled (no issue key)" : window <= 0 ?
	    "throttle off" : "first message in its window");
	return decision(match->name, NULL);
}

static void
handle(struct ndjson_reader *r, jv rec)
{
	jv alert = jvx_get(&rec, "alert");
	const char *id, *received;
	int64_t now;
	jv d;

	if (jv_get_kind(alert) != JV_KIND_OBJECT) {
		size_t len;
		const char *line = ndjson_line(r, &len);

		/* not ours: forward the bytes as they came */
		jv_free(alert);
		jv_free(rec);
		if (fwrite(line, 1, len, S.out) != len || putc('\n', S.out) == EOF) {
			diag_warn("output buffer: %s", strerror(errno));
			exit(EXIT_TEMPFAIL);
		}
		return;
	}
	id = jvx_str(&rec, "id");
	received = jvx_str(&rec, "received");
	if (received == NULL || clock_parse(received, &now) < 0) {
		now = clock_now_ms();
		char ex[100];

		diag_info("%s: no received time, using the clock",
		    one_line(id ? id : "-", ex, sizeof ex));
	}
	/* a clock jump upstream must not push the digest far ahead */
	if (S.clock_records || now <= clock_now_ms() + 300000)
		digest_tick(now);
	d = id ? seen_get(S.seen, id) : jv_invalid();
	if (jv_is_valid(d)) {
		explain(id, "seen before: same decision, not counted again");
	} else {
		jv_free(d);
		d = decide(&rec, &alert, now, id ? id : "-");
		if (id)
			seen_put(S.seen, id, jv_copy(d));
		S.dirty = 1;
	}
	jv_free(alert);
	carry_out(rec, &d);
	jv_free(d);
}

/* ---- set-up ---- */

static void
load_state(void)
{
	char err[512];
	jv st, v;
	double d;

	if (S.state_path == NULL)
		return;
	/* a state that cannot be saved is a configuration error: say so now */
	char *dir = strdup(S.state_path);

	if (dir == NULL || access(dirname(dir), W_OK | X_OK) < 0) {
		diag_warn("state: %s: directory not writable: %s", S.state_path,
		    strerror(errno));
		free(dir);
		exit(EXIT_USAGE);
	}
	free(dir);
	if (fstate_load(S.state_path, &st, err, sizeof err) < 0) {
		diag_warn("state: %s", err);
		exit(EXIT_USAGE);
	}
	if (jvx_num(&st, "digest_start", 0, &d))
		S.digest_start = (int64_t)d;
	v = jvx_get(&st, "issues");
	if (jv_is_valid(v) && throttle_load(S.issues, &v) < 0) {
		diag_warn("state: %s: bad issues table", S.state_path);
		exit(EXIT_USAGE);
	}
	jv_free(v);
	v = jvx_get(&st, "seen");
	if (jv_is_valid(v) && seen_load(S.seen, &v) < 0) {
		diag_warn("state: %s: bad seen list", S.state_path);
		exit(EXIT_USAGE);
	}
	jv_free(v);
	jv_free(st);
}

/*
 * Add a filter condition KEY OP VALUE from a flag, quoting VALUE (each
 * comma-separated item of it when list is set).
 */
static void
flag_filter(const char *flag, const char *key, const char *op,
    const char *value, int list)
{
	char err[600], *spec;
	size_t n = strlen(key) + strlen(op) + 4 * strlen(value) + 4, j;

	if ((spec = malloc(n)) == NULL)
		exit(EXIT_TEMPFAIL);
	j = (size_t)snprintf(spec, n, "%s%s\"", key, op);
	for (const char *p = value; *p; p++) {
		if (list && *p == ',') {
			memcpy(spec + j, "\",\"", 3);
			j += 3;
			continue;
		}
		if (*p == '"' || *p == '\\')
			spec[j++] = '\\';
		spec[j++] = *p;
	}
	spec[j++] = '"';
	spec[j] = '\0';
	if (rules_add_filter(S.rules, spec, flag, err, sizeof err) < 0) {
		diag_warn("%s", err);
		exit(EXIT_USAGE);
	}
	free(spec);
}

static int64_t
duration_arg(const char *flag, const char *text)
{
	int64_t ms = strcmp(text, "off") == 0 ? 0 :
	    rules_parse_duration(text, 1000);

	if (ms < 0) {
		diag_warn("%s: not a duration: %s", flag, text);
		exit(EXIT_USAGE);
	}
	return ms;
}

/* 1 when a condition runs jq over the whole record (payload included). */
static int
uses_jq(const struct rule *r)
{
	for (size_t i = 0; i < r->nconds; i++)
		if (r->conds[i].jq != NULL)
			return 1;
	return 0;
}

static int
needs_payload(void)
{
	if (S.keep_payload || uses_jq(&S.rules->filter))
		return 1;
	for (size_t i = 0; i < S.rules->n; i++)
		if (uses_jq(&S.rules->v[i]))
			return 1;
	return 0;
}

/* Wait for input or for the digest to fall due; 0 when it fell due. */
static int
wait_input(int nonblocking)
{
	int timeout = -1;

	if (!nonblocking)
		return 1;
	if (!S.clock_records && S.digest_ms > 0 && S.digest_start >= 0 &&
	    throttle_held(S.issues) > 0) {
		int64_t left = S.digest_start + S.digest_ms - clock_now_ms();

		if (left <= 0)
			return 0;
		timeout = left > 60000 ? 60000 : (int)left;
	}
	return wait_stdin(timeout);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "chat", required_argument, NULL, 'c' },
		{ "clock", required_argument, NULL, 'C' },
		{ "digest", required_argument, NULL, 'd' },
		{ "env-file", required_argument, NULL, 'E' },
		{ "env", required_argument, NULL, 'e' },
		{ "explain", no_argument, NULL, 'x' },
		{ "filter", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "jq", required_argument, NULL, 'J' },
		{ "keep-payload", no_argument, NULL, 'K' },
		{ "level", required_argument, NULL, 'L' },
		{ "project", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rule", required_argument, NULL, 'r' },
		{ "rules", required_argument, NULL, 'f' },
		{ "silent", no_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 's' },
		{ "tag", required_argument, NULL, 'G' },
		{ "throttle", required_argument, NULL, 't' },
		{ "title", required_argument, NULL, 'T' },
		{ "title-re", required_argument, NULL, 'R' },
		{ "topic", required_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *rules_file = NULL, *env_file = NULL;
	const char *rule_specs[argc + 1];
	size_t nrule_specs = 0;
	char err[600];
	struct ndjson_reader *reader;
	int c, verbosity = 0, nonblocking = 0, in_flags = 0, rc;
	struct sigaction sa;
	struct stat in_st, out_st;

	diag_ensure_fds();
	diag_init("sentry-filter");
	if ((S.rules = rules_new()) == NULL)
		return EXIT_TEMPFAIL;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	/* writes restart; poll(2) never does, so the loop sees the flag */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while ((c = getopt_long(argc, argv, "c:d:E:F:f:hqr:s:t:Vvx", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c': S.chat = optarg; break;
		case 'C':
			if (strcmp(optarg, "records") == 0)
				S.clock_records = 1;
			else if (strcmp(optarg, "wall") == 0)
				S.clock_records = 0;
			else {
				diag_warn("--clock: wall or records: %s", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd': S.digest_ms = duration_arg("--digest", optarg); break;
		case 'E': env_file = optarg; break;
		case 'e': flag_filter("--env", "env", "=", optarg, 1); break;
		case 'F':
			if (rules_add_filter(S.rules, optarg, "--filter", err,
			    sizeof err) < 0) {
				diag_warn("%s", err);
				return EXIT_USAGE;
			}
			break;
		case 'f': rules_file = optarg; break;
		case 'G': {
			const char *eq = strchr(optarg, '=');
			char key[256];

			if (eq == NULL || eq == optarg ||
			    (size_t)(eq - optarg) > 200) {
				diag_warn("--tag: KEY=VALUE: %s", optarg);
				return EXIT_USAGE;
			}
			snprintf(key, sizeof key, "tag.%.*s",
			    (int)(eq - optarg), optarg);
			flag_filter("--tag", key, "=", eq + 1, 0);
			break;
		}
		case 'h': usage(stdout, EXIT_DONE); break;
		case 'J': flag_filter("--jq", "jq", "=", optarg, 0); break;
		case 'K': S.keep_payload = 1; break;
		case 'L': flag_filter("--level", "level", ">=", optarg, 0); break;
		case 'O': {
			char *end;
			long long v;

			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (end == optarg || *end || errno || v <= 0) {
				diag_warn("--topic: not a topic id: %s", optarg);
				return EXIT_USAGE;
			}
			S.topic = v;
			break;
		}
		case 'P': flag_filter("--project", "project", "=", optarg, 1); break;
		case 'q': verbosity = -1; break;
		case 'r': rule_specs[nrule_specs++] = optarg; break;
		case 'R': flag_filter("--title-re", "title", "~", optarg, 0); break;
		case 'S': S.silent = 1; break;
		case 's': S.state_path = optarg; break;
		case 'T': flag_filter("--title", "title", "=", optarg, 0); break;
		case 't': S.throttle_ms = duration_arg("--throttle", optarg); break;
		case 'V': printf("sentry-filter %s\n", SENTRY_TG_VERSION);
			return EXIT_DONE;
		case 'v': verbosity++; break;
		case 'x': S.explain = 1; break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(stderr, EXIT_USAGE);
	diag_set_verbosity(verbosity);
	if (env_file && dotenv_load(env_file, 0, err, sizeof err) < 0) {
		diag_warn("%s", err);
		return EXIT_USAGE;
	}

	/* Rules: the file, then --rule flags; neither: the default set. */
	if (rules_file && rules_load_file(S.rules, rules_file, err,
	    sizeof err) < 0) {
		diag_warn("%s", err);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < nrule_specs; i++)
		if (rules_add_rule(S.rules, rule_specs[i], "--rule", err,
		    sizeof err) < 0) {
			diag_warn("%s", err);
			return EXIT_USAGE;
		}
	if (S.rules->n == 0 && rules_add_defaults(S.rules, err,
	    sizeof err) < 0) {
		diag_warn("%s", err);
		return EXIT_USAGE;
	}
	/* Flags, then the environment, then the rules file's "set". */
	if (S.chat == NULL && (S.chat = getenv("SENTRY_ALERT_CHAT_ID")) != NULL
	    && *S.chat == '\0')
		S.chat = NULL;
	if (S.chat == NULL)
		S.chat = S.rules->chat;
	if (S.topic < 0)
		S.topic = S.rules->topic;
	if (S.silent < 0)
		S.silent = S.rules->silent;
	if (S.throttle_ms < 0)
		S.throttle_ms = S.rules->throttle_ms >= 0 ?
		    S.rules->throttle_ms : 5 * 60000;
	if (S.digest_ms < 0)
		S.digest_ms = S.rules->digest_ms >= 0 ?
		    S.rules->digest_ms : 3600000;

	/* at most ~2 million remembered times: fewer issues when each
	 * keeps many (a "frequency>1000/1h" rule) */
	size_t max_issues = 2000000 / S.rules->ring;

	S.issues = throttle_new(max_issues > 10000 ? 10000 : max_issues,
	    S.rules->ring);
	S.seen = seen_new(10000);
	if (S.issues == NULL || S.seen == NULL)
		return EXIT_TEMPFAIL;
	load_state();
	open_out();

	/* Non-blocking input lets a digest go out while nothing arrives;
	 * only for a pipe or socket of its own (not shared with stdout). */
	if (fstat(0, &in_st) == 0 && (S_ISFIFO(in_st.st_mode) ||
	    S_ISSOCK(in_st.st_mode)) && !(fstat(1, &out_st) == 0 &&
	    in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) &&
	    (in_flags = fcntl(0, F_GETFL)) >= 0 &&
	    fcntl(0, F_SETFL, in_flags | O_NONBLOCK) == 0)
		nonblocking = 1;
	if ((reader = ndjson_open(0, 0)) == NULL)
		return EXIT_TEMPFAIL;
	/* most of a record is the raw payload, which nothing here reads
	 * unless jq or --keep-payload does: leave it unparsed */
	if (!needs_payload())
		ndjson_omit_member(reader, "payload");

	while (!stopping) {
		jv rec;

		rc = ndjson_next(reader, &rec);
		if (rc == 1) {
			handle(reader, rec);
			if (S.held_since == 0)
				S.held_since = clock_mono_ms();
			if (commit_due())
				commit();
			continue;
		}
		if (rc == 0)
			break;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			if (errno != EINTR && more_input_soon(nonblocking))
				continue;
			commit();
			if (!wait_input(nonblocking) && !S.clock_records) {
				digest_tick(clock_now_ms());
				commit();
			}
			continue;
		}
		diag_warn("%s", ndjson_read_error(errno));
		commit();
		return EXIT_TEMPFAIL;
	}
	/* End of input: a digest that fell due meanwhile still goes out. */
	if (!S.clock_records && !stopping)
		digest_tick(clock_now_ms());
	commit();
	if (nonblocking)
		fcntl(0, F_SETFL, in_flags);
	diag_info("%lu passed, %lu dropped (%lu throttled), %lu digests",
	    S.passed, S.dropped, S.throttled, S.digests);
	rc = ndjson_rejected(reader) > 0 ? EXIT_REJECTED : EXIT_DONE;
	ndjson_close(reader);
	fclose(S.out);
	free(S.out_buf);
	throttle_free(S.issues);
	seen_free(S.seen);
	rules_free(S.rules);
	if (fclose(stdout) == EOF) {
		diag_warn("stdout: %s", strerror(errno));
		return EXIT_TEMPFAIL;
	}
	return rc;
}
