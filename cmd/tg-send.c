/*
 * tg-send: the last stage.  Sends each record's "telegram" request to the
 * Telegram Bot API and acknowledges it to the spool.
 *
 * Reads NDJSON records on stdin.  A record with a "telegram" object is
 * POSTed (every member but "method", as JSON) to API_URL/bot<TOKEN>/<method>
 * and written to stdout with "sent" {chat_id, message_id(s)} or, when
 * Telegram refuses it for good, "failed" {error_code, description, reason}
 * (also appended whole to the --dead-letter file).  Drop markers and other
 * records pass through untouched.  With --ack FILE the seq of every record
 * handled (sent, failed for good, dropped) is written to FILE; a record
 * that could not be delivered yet is never acknowledged: tg-send exits 111
 * and the chain resends it.  Delivery is at least once: a connection lost
 * after Telegram took a message makes the resend a duplicate.
 *
 * Telegram's answers decide what happens next: 429 waits retry_after,
 * 5xx/HTML/network errors back off and retry, unparsable HTML is resent as
 * plain text, a migrated group is followed (remembered in --state), a text
 * too long is split (progress also in --state), 403 and "chat not found"
 * are failed for good, 401 stops with exit 2.  Sends are paced (pace.h).
 *
 * Without a token it is a dry run: each message is shown on stderr.
 * Helper modes for setting up: --get-me, --get-updates, --test-message.
 *
 * Exits 0 all handled, 1 some records were bad, 2 usage or configuration
 * (also: Telegram rejects the token), 111 temporary failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cursor.h"
#include "diag.h"
#include "dotenv.h"
#include "fstate.h"
#include "jvx.h"
#include "ndjson.h"
#include "pace.h"
#include "quarantine.h"
#include "secret.h"
#include "status.h"
#include "tgapi.h"
#include "tghtml.h"
#include "version.h"

#define MAX_MIGRATIONS 3	/* hops followed for one message */
#define MIN_SPLIT 64		/* UTF-16 units: below this, stop splitting */
#define ACK_BATCH 1000		/* drop markers acknowledged at least this often */
#define ONCE_MAX 64		/* ids of records without a seq remembered */

enum result { R_DONE, R_REJECTED, R_TEMPFAIL, R_CONFIG };

static struct {
	const char *chat;		/* default chat id */
	const char *ack_path;
	const char *state_path;
	const char *dead_letter_path;
	const char *status_path;	/* --status: the figures (lib/status) */
	int retries;
	int64_t max_wait_ms, retry_delay_ms;
	int dry_run;
} cfg = { .retries = 5, .max_wait_ms = 300000, .retry_delay_ms = 1000 };

static struct tgapi *api;
static struct pace *pace;
static FILE *dead_letter;
static jv migrated;			/* old chat id -> new chat id */
static jv partial;			/* a split message half sent, or null */
static jv once;				/* ids sent without a seq */
static uint64_t acked, ack_pending;	/* highest written, waiting to be */
static int have_acked, ack_temporary;
static volatile sig_atomic_t in_flight, stop_requested;
static struct status figures;		/* for --status */

/* Save the figures: after a record at most every 200 ms, else (force)
 * before a wait and at the end.  A failure is said once. */
static void
figures_flush(int force)
{
	static int warned;

	if (status_flush(cfg.status_path, &figures, force) == -1 && !warned++)
		diag_warn("%s: %s: the figures are not saved", cfg.status_path,
		    strerror(errno));
}

/* Telegram's answer r, in the figures. */
static void
figures_note(const struct tgapi_reply *r)
{
	char code[24];

	if (r->outcome == TGAPI_OK) {
		status_note_ok(&figures, clock_now_ms());
		return;
	}
	if (r->transport)
		snprintf(code, sizeof code, "network");
	else
		snprintf(code, sizeof code, "%ld", r->error_code);
	status_note_error(&figures, code, r->outcome == TGAPI_TRANSIENT ||
	    r->outcome == TGAPI_UNAUTHORIZED || r->outcome == TGAPI_NOT_FOUND,
	    clock_now_ms());
}

/* 1 when obj (borrowed) is an object with member key. */
static int
has_member(const jv *obj, const char *key)
{
	jv v = jvx_get(obj, key);
	int valid = jv_is_valid(v);

	jv_free(v);
	return valid;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tg-send [-hqVv] [-a ack-file] [-c chat-id] [-d dead-letter] "
	    "[-E env-file]\n"
	    "               [-r retries] [-s state-file] [-T token-file] "
	    "[-t timeout]\n"
	    "               [-u api-url] [-w max-wait] [-x proxy] "
	    "[--ca-file file]\n"
	    "               [--connect-timeout seconds] [--pace-all n/s] "
	    "[--pace-chat n/s]\n"
	    "               [--pace-group n/s] [--retry-delay seconds] "
	    "[--status file]\n"
	    "       tg-send [options] --get-me | --get-updates | "
	    "--test-message [text]\n");
}

/* A signal while a request is out waits for its answer, else stops now. */
static void
on_term(int sig)
{
	if (in_flight) {
		stop_requested = 1;
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	int was = in_flight;

	if (ms <= 0)
		return;
	figures_flush(1);
	in_flight = 0;
	if (stop_requested) {
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
	}
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	in_flight = was;
}

/* 1 when the host of a URL (after "http://") is this machine. */
static int
local_url(const char *host)
{
	static const char *const local[] = { "127.0.0.1", "localhost", "[::1]",
	    NULL };

	for (int i = 0; local[i]; i++) {
		size_t n = strlen(local[i]);

		if (strncmp(host, local[i], n) == 0 &&
		    (host[n] == '\0' || host[n] == ':' || host[n] == '/'))
			return 1;
	}
	return 0;
}

/* Seconds (fraction allowed) to ms; -1 when not a duration. */
static int64_t
parse_seconds(const char *s)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(d) || d < 0 || d > 864000)
		return -1;
	return (int64_t)llround(d * 1000);
}

/*
 * State (--state): migrated chats and a split message half sent, one JSON
 * object replaced atomically (lib/fstate).  A damaged file is moved aside
 * and tg-send starts without it: a migration is learnt again from
 * Telegram's next answer.  It also keeps the ids of the last records
 * without a seq that were sent ("once": digests, see sentry-filter).
 */

/* v.key into *into when it is of that kind (the old value freed). */
static void
load_member(const jv *v, const char *key, jv_kind kind, jv *into)
{
	jv m = jvx_get(v, key);

	if (jv_get_kind(m) == kind) {
		jv_free(*into);
		*into = m;
	} else {
		jv_free(m);
	}
}

static int
state_load(void)
{
	char err[512], moved[4096];
	jv v, m;

	if (cfg.state_path == NULL)
		return 0;
	if (fstate_load(cfg.state_path, &v, err, sizeof err) == 0) {
		m = jvx_get(&v, "migrated");
		if (jv_get_kind(m) == JV_KIND_OBJECT) {
			jv_free(migrated);
			migrated = m;
			load_member(&v, "partial", JV_KIND_OBJECT, &partial);
			load_member(&v, "once", JV_KIND_ARRAY, &once);
		} else {
			jv_free(m);
			m = jv_copy(v);
			if (jv_object_length(m) != 0) {	/* {} is a fresh start */
				jv_free(v);
				snprintf(err, sizeof err, "%s: not a tg-send state "
				    "file (want {\"migrated\":{...}})", cfg.state_path);
				errno = EINVAL;
				goto damaged;
			}
		}
		jv_free(v);
		return 0;
	}
damaged:
	if (errno != EINVAL) {
		diag_warn("%s", err);
		return -1;
	}
	if (quarantine(cfg.state_path, moved, sizeof moved) == -1) {
		diag_warn("%s: cannot move it aside: %s", err, strerror(errno));
		return -1;
	}
	diag_warn("%s: moved to %s; starting without it", err, moved);
	return 0;
}

static int
state_save(void)
{
	char err[512];
	jv doc;
	int rc;

	if (cfg.state_path == NULL)
		return 0;
	doc = jv_object_set(jv_object(), jv_string("v"), jv_number(1));
	doc = jv_object_set(doc, jv_string("migrated"), jv_copy(migrated));
	if (jv_get_kind(partial) == JV_KIND_OBJECT)
		doc = jv_object_set(doc, jv_string("partial"), jv_copy(partial));
	if (jv_array_length(jv_copy(once)) > 0)
		doc = jv_object_set(doc, jv_string("once"), jv_copy(once));
	if ((rc = fstate_save(cfg.state_path, &doc, err, sizeof err)) != 0)
		diag_warn("%s", err);
	jv_free(doc);
	return rc;
}

static int record_seq(const jv *rec, uint64_t *seq);

/*
 * A record without a seq (a digest: sentry-filter makes it, and writes
 * it again after a crash in case it never got here) is sent once per
 * id.  The spool's records are deduplicated by the acknowledgement.
 * 1 when id was sent before.
 */
static int
sent_once(const jv *rec)
{
	const char *id = jvx_str(rec, "id");
	int n = jv_array_length(jv_copy(once)), found = 0;
	uint64_t seq;

	if (id == NULL || cfg.state_path == NULL || record_seq(rec, &seq))
		return 0;
	for (int i = 0; i < n && !found; i++) {
		jv e = jv_array_get(jv_copy(once), i);

		found = jv_get_kind(e) == JV_KIND_STRING &&
		    strcmp(jv_string_value(e), id) == 0;
		jv_free(e);
	}
	return found;
}

/* Remember that rec, without a seq, was handled (sent or failed). */
static void
remember_once(const jv *rec)
{
	const char *id = jvx_str(rec, "id");
	uint64_t seq;
	int n;

	if (id == NULL || cfg.state_path == NULL || record_seq(rec, &seq))
		return;
	once = jv_array_append(once, jv_string(id));
	n = jv_array_length(jv_copy(once));
	if (n > ONCE_MAX)
		once = jv_array_slice(once, n - ONCE_MAX, n);
	state_save();
}

/* The chat a message for chat goes to now (after migrations). */
static const char *
chat_now(const char *chat, char *buf, size_t size)
{
	snprintf(buf, size, "%s", chat);
	for (int i = 0; i < MAX_MIGRATIONS; i++) {
		const char *to = jvx_str(&migrated, buf);

		if (to == NULL || strcmp(to, buf) == 0)
			break;
		snprintf(buf, size, "%s", to);
	}
	return buf;
}

/* Acknowledgement. */

static int
ack_write(uint64_t seq)
{
	if (cfg.ack_path == NULL || (have_acked && seq <= acked))
		return 0;
	if (cursor_write(cfg.ack_path, seq) < 0) {
		diag_warn("%s: cannot acknowledge %" PRIu64 ": %s", cfg.ack_path,
		    seq, strerror(errno));
		return -1;
	}
	acked = seq;
	have_acked = 1;
	return 0;
}

static int
ack_flush(void)
{
	int rc = 0;

	if (ack_pending > 0)
		rc = ack_write(ack_pending);
	ack_pending = 0;
	return rc;
}

/* 1 and *seq set when the record has a usable seq. */
static int
record_seq(const jv *rec, uint64_t *seq)
{
	double d;

	if (!jvx_num(rec, "seq", 0, &d) || d < 0 || d != floor(d) || d > 9e15)
		return 0;
	*seq = (uint64_t)d;
	return 1;
}

/* Write the record (consumed) to stdout and acknowledge it: now, or in
 * the next batch when lazy. */
static enum result
emit(jv rec, int lazy)
{
	uint64_t seq = 0;
	int has_seq = record_seq(&rec, &seq);

	/* A handled record is out (flushed) before it is acknowledged, so the
	 * output log never misses what the spool forgot. */
	if (ndjson_write(stdout, rec) < 0 || (!lazy && fflush(stdout) != 0)) {
		diag_warn("stdout: %s", strerror(errno));
		if (has_seq && !lazy)
			ack_write(seq);	/* it was sent all the same */
		return R_TEMPFAIL;
	}
	if (!has_seq)
		return R_DONE;
	if (lazy) {
		ack_pending = seq;
		return R_DONE;
	}
	ack_pending = 0;
	return ack_write(seq) < 0 ? R_TEMPFAIL : R_DONE;
}

static const char *
failure_reason(const struct tgapi_reply *r)
{
	const char *d = r->description;

	if (strcasestr(d, "blocked"))
		return "blocked";
	if (strcasestr(d, "kicked"))
		return "kicked";
	if (strcasestr(d, "chat not found"))
		return "chat_not_found";
	if (strcasestr(d, "deactivated"))
		return "deactivated";
	if (strcasestr(d, "not enough rights") || strcasestr(d, "not a member"))
		return "no_rights";
	return "rejected";
}

/* Append the record (borrowed) to the dead-letter file, durably. */
static int
dead_letter_write(const jv *rec, const char *reason)
{
	char at[CLOCK_RFC3339_SIZE];
	jv dl;

	status_note_dead_letter(&figures);
	if (dead_letter == NULL)
		return 0;
	dl = jv_object_set(jv_object(), jv_string("reason"), jv_string(reason));
	dl = jv_object_set(dl, jv_string("at"),
	    jv_string(clock_format(clock_now_ms(), at, sizeof at)));
	if (ndjson_write(dead_letter, jv_object_set(jv_copy(*rec),
	    jv_string("dead_letter"), dl)) < 0 || fflush(dead_letter) != 0 ||
	    fdatasync(fileno(dead_letter)) != 0) {
		diag_warn("%s: %s", cfg.dead_letter_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* A record tg-send cannot send as it is: failed, dead-lettered, acked. */
static enum result
reject(jv rec, const char *why)
{
	jv failed = jv_object_set(jv_object(), jv_string("error_code"), jv_null());

	diag_warn("%s: %s", ndjson_id(&rec), why);
	failed = jv_object_set(failed, jv_string("description"), jv_string(why));
	failed = jv_object_set(failed, jv_string("reason"), jv_string("bad_record"));
	rec = jv_object_set(rec, jv_string("failed"), failed);
	if (dead_letter_write(&rec, "bad_record") < 0) {
		jv_free(rec);
		return R_TEMPFAIL;
	}
	return emit(rec, 0) == R_DONE ? R_REJECTED : R_TEMPFAIL;
}

/* Dry run: the message, readably, on stderr. */
static void
show(const jv *rec, const jv *tg, const char *method, const char *chat)
{
	const char *text = jvx_str(tg, "text"), *p, *nl;
	char thread[48], buf[32];
	jv kb;

	if (diag_verbosity() < 0)
		return;
	thread[0] = '\0';
	if (jvx_text(tg, "message_thread_id", buf, sizeof buf))
		snprintf(thread, sizeof thread, ", topic %s", buf);
	fprintf(stderr, "%s: dry run: %s: %s to chat %s%s%s%s\n",
	    diag_progname(), ndjson_id(rec), method, chat ? chat : "(none)",
	    thread, jvx_bool(tg, "disable_notification") == 1 ? ", silent" : "",
	    jvx_str(tg, "parse_mode") ? ", HTML" : "");
	for (p = text ? text : ""; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		fprintf(stderr, "  | %.*s\n", (int)(nl - p + (*nl != '\n')), p);
	}
	kb = jvx_at(tg, "reply_markup.inline_keyboard");
	if (jv_get_kind(kb) == JV_KIND_ARRAY) {
		jv_array_foreach(kb, i, row) {
			if (jv_get_kind(row) == JV_KIND_ARRAY) {
				jv_array_foreach(row, k, b) {
					const char *bt = jvx_str(&b, "text");
					const char *bu = jvx_str(&b, "url");

					fprintf(stderr, "  [%s] %s\n", bt ? bt : "",
					    bu ? bu : "");
					jv_free(b);
				}
			}
			jv_free(row);
		}
	}
	jv_free(kb);
	fflush(stderr);
}

/*
 * One request, paced, retried through 429 and transient failures.  0
 * with r filled with an answer that is not 429/transient, or R_TEMPFAIL
 * when the retries or the waiting allowed ran out.
 */
static enum result
call(const char *method, const char *chat, jv body, struct tgapi_reply *r,
    const char *id)
{
	jv dumped = jv_dump_string(body, 0);
	int64_t waited = 0, delay;
	int transient = 0;

	if (!jv_is_valid(dumped)) {
		jv_free(dumped);
		snprintf(r->description, sizeof r->description,
		    "cannot serialise the request");
		return R_REJECTED;
	}
	for (;;) {
		if (chat && (delay = pace_delay(pace, chat, clock_mono_ms())) > 0)
			sleep_ms(delay);
		in_flight = 1;
		if (tgapi_call(api, method, jv_string_value(dumped),
		    (size_t)jv_string_length_bytes(jv_copy(dumped)), r) < 0) {
			diag_warn("%s: %s", id, r->description);
			jv_free(dumped);
			return R_REJECTED;
		}
		if (chat && pace_note(pace, chat, clock_mono_ms()) < 0)
			diag_warn("%s: pacing: out of memory", id);
		figures_note(r);
		if (r->outcome == TGAPI_RETRY_AFTER) {
			delay = (r->retry_after > 0 ? r->retry_after : 1) * 1000;
			diag_warn("%s: Telegram says %s: waiting %" PRId64 " s",
			    id, r->description, delay / 1000);
		} else if (r->outcome == TGAPI_TRANSIENT) {
			if (++transient > cfg.retries) {
				diag_warn("%s: %s: giving up after %d tries; "
				    "not acknowledged, to be resent", id,
				    r->description, transient);
				jv_free(dumped);
				return R_TEMPFAIL;
			}
			delay = cfg.retry_delay_ms << (transient - 1 < 16 ?
			    transient - 1 : 16);
			if (delay > 60000)
				delay = 60000;
			delay = delay / 2 + (int64_t)(arc4random_uniform(
			    (uint32_t)(delay / 2 + 1)));
			diag_warn("%s: %s: retrying in %.1f s (try %d of %d)",
			    id, r->description, (double)delay / 1000,
			    transient + 1, cfg.retries + 1);
		} else {
			jv_free(dumped);
			return R_DONE;
		}
		if (waited + delay > cfg.max_wait_ms) {
			diag_warn("%s: would wait more than %" PRId64 " s in all; "
			    "not acknowledged, to be resent", id,
			    cfg.max_wait_ms / 1000);
			jv_free(dumped);
			return R_TEMPFAIL;
		}
		sleep_ms(delay);
		waited += delay;
	}
}

/*
 * Remember that the first sent parts of record id's split message went
 * out (ids so far borrowed; next is the part to send next), so that a
 * rerun after exit 111 goes on from there instead of repeating them.
 */
static void
progress_save(const char *id, size_t sent, const jv *ids, const char *next)
{
	char prefix[65];
	size_t n = strlen(next) < 64 ? strlen(next) : 64;

	if (cfg.state_path == NULL || strcmp(id, "-") == 0)
		return;
	while (n > 0 && n < strlen(next) && (next[n] & 0xc0) == 0x80)
		n--;	/* not inside a character */
	memcpy(prefix, next, n);
	prefix[n] = '\0';
	jv_free(partial);
	partial = jv_object_set(jv_object(), jv_string("id"), jv_string(id));
	partial = jv_object_set(partial, jv_string("parts_sent"),
	    jv_number((double)sent));
	partial = jv_object_set(partial, jv_string("message_ids"), jv_copy(*ids));
	partial = jv_object_set(partial, jv_string("next"), jv_string(prefix));
	state_save();
}

/* What happened to one record's delivery. */
struct delivery {
	char chat[64];
	char from_chat[64];	/* before a migration, "" if none */
	jv message_ids;
	int plain, no_topic, no_buttons, parts;
};

/*
 * Send tg (borrowed) as method to d->chat, splitting and falling back
 * as Telegram asks.  R_DONE with *failed unset (sent) or set (a refusal
 * for good, reply in r), R_TEMPFAIL, R_CONFIG.
 */
static enum result
deliver(const jv *rec, const jv *tg, const char *method, struct delivery *d,
    struct tgapi_reply *r, int *failed)
{
	const char *id = ndjson_id(rec), *text = jvx_str(tg, "text");
	int html = jvx_str(tg, "parse_mode") != NULL;
	int is_message = strcmp(method, "sendMessage") == 0 && text != NULL;
	char **parts = NULL;
	size_t nparts = 0, k = 0;
	int migrations = 0;
	enum result res = R_DONE;
	size_t resume = 0;
	char next[65] = "";
	double sent_before;

	*failed = 0;
	if (is_message && strcmp(id, "-") != 0 &&
	    jvx_str(&partial, "id") && strcmp(jvx_str(&partial, "id"), id) == 0 &&
	    jvx_num(&partial, "parts_sent", 0, &sent_before) &&
	    sent_before >= 1 && sent_before < 100000 &&
	    jvx_str(&partial, "next")) {
		jv ids = jvx_get(&partial, "message_ids");

		resume = (size_t)sent_before;
		snprintf(next, sizeof next, "%s", jvx_str(&partial, "next"));
		if (jv_get_kind(ids) == JV_KIND_ARRAY) {
			jv_free(d->message_ids);
			d->message_ids = ids;
		} else {
			jv_free(ids);
		}
	}
	if (is_message) {
		if ((parts = malloc(sizeof *parts)) == NULL ||
		    (parts[0] = strdup(text)) == NULL) {
			free(parts);
			diag_warn("%s: out of memory", id);
			return R_TEMPFAIL;
		}
		nparts = 1;
	}
	while (k < (is_message ? nparts : 1)) {
		jv body;

		if (resume > 0 && nparts > 1) {
			if (resume < nparts && strncmp(parts[resume], next,
			    strlen(next)) == 0) {
				diag_warn("%s: parts 1-%zu went out before: going "
				    "on with part %zu of %zu", id, resume,
				    resume + 1, nparts);
				k = resume;
			} else {
				diag_warn("%s: cannot tell which parts went out "
				    "before: sending all %zu", id, nparts);
				jv_free(d->message_ids);
				d->message_ids = jv_array();
			}
			resume = 0;
		}
		body = jv_object_delete(jv_copy(*tg), jv_string("method"));

		body = jv_object_set(body, jv_string("chat_id"), jv_string(d->chat));
		if (is_message) {
			char *plain = d->plain ? tghtml_plain(parts[k],
			    strlen(parts[k]), TGHTML_PLAIN_RESEND) : NULL;

			if (d->plain && plain == NULL) {
				jv_free(body);
				res = R_TEMPFAIL;
				break;
			}
			body = jv_object_set(body, jv_string("text"),
			    jv_string(plain ? plain : parts[k]));
			free(plain);
			if (d->plain)
				body = jv_object_delete(body, jv_string("parse_mode"));
			if (k + 1 < nparts)	/* buttons under the last part */
				body = jv_object_delete(body, jv_string("reply_markup"));
		}
		if (d->no_topic)
			body = jv_object_delete(body, jv_string("message_thread_id"));
		if (d->no_buttons)
			body = jv_object_delete(body, jv_string("reply_markup"));
		if ((res = call(method, d->chat, body, r, id)) != R_DONE)
			break;
		switch (r->outcome) {
		case TGAPI_OK:
			if (r->message_id >= 0)
				d->message_ids = jv_array_append(d->message_ids,
				    jv_number((double)r->message_id));
			if (++k < nparts)
				progress_save(id, k, &d->message_ids, parts[k]);
			continue;
		case TGAPI_PARSE_ENTITIES:
			if (d->plain || !html || !is_message)
				break;
			diag_warn("%s: Telegram cannot parse the HTML (%s): "
			    "sending it as plain text", id, r->description);
			d->plain = 1;
			continue;
		case TGAPI_MIGRATED:
			if (++migrations > MAX_MIGRATIONS)
				break;
			diag_warn("%s: chat %s is now %s: sending there and "
			    "remembering it", id, d->chat, r->migrate_to);
			if (d->from_chat[0] == '\0')
				snprintf(d->from_chat, sizeof d->from_chat, "%s",
				    d->chat);
			migrated = jv_object_set(migrated, jv_string(d->chat),
			    jv_string(r->migrate_to));
			state_save();
			snprintf(d->chat, sizeof d->chat, "%s", r->migrate_to);
			continue;
		case TGAPI_TOO_LONG: {
			size_t units, n;
			char **sub;

			if (!is_message)
				break;
			units = tghtml_utf16_units(parts[k], strlen(parts[k]));
			units = units > TGHTML_MAX_UNITS ? TGHTML_MAX_UNITS :
			    units / 2;
			/* Tags nested too deep to reopen in every part: cut
			 * as text (Telegram's refusal then gets plain text). */
			if (units < MIN_SPLIT ||
			    ((tghtml_split(parts[k], strlen(parts[k]), html,
			    units, &sub, &n) < 0 || n == 0) && (!html ||
			    tghtml_split(parts[k], strlen(parts[k]), 0, units,
			    &sub, &n) < 0 || n == 0)))
				break;
			diag_warn("%s: message too long for Telegram: sending "
			    "it in %zu parts", id, nparts - 1 + n);
			{
				char **np = realloc(parts, (nparts - 1 + n) *
				    sizeof *np);

				if (np == NULL) {
					tghtml_parts_free(sub, n);
					res = R_TEMPFAIL;
					break;
				}
				parts = np;
			}
			free(parts[k]);
			memmove(parts + k + n, parts + k + 1,
			    (nparts - k - 1) * sizeof *parts);
			memcpy(parts + k, sub, n * sizeof *parts);
			free(sub);
			nparts += n - 1;
			continue;
		}
		case TGAPI_NO_TOPIC:
			if (d->no_topic || !has_member(tg, "message_thread_id"))
				break;
			diag_warn("%s: %s: sending without the topic", id,
			    r->description);
			d->no_topic = 1;
			continue;
		case TGAPI_BAD_BUTTON:
			if (d->no_buttons)
				break;
			diag_warn("%s: %s: sending without the buttons", id,
			    r->description);
			d->no_buttons = 1;
			continue;
		case TGAPI_UNAUTHORIZED:
			diag_warn("Telegram rejects the bot token (%ld %s): check "
			    "SENTRY_ALERT_TELEGRAM_TOKEN or the token file",
			    r->error_code, r->description);
			res = R_CONFIG;
			break;
		case TGAPI_NOT_FOUND:
			diag_warn("Telegram answers %ld %s for %s: the token is "
			    "malformed or the API URL is wrong", r->error_code,
			    r->description, method);
			res = R_CONFIG;
			break;
		default:
			break;
		}
		if (res == R_DONE)
			*failed = 1;
		break;
	}
	d->parts = (int)nparts;
	tghtml_parts_free(parts, nparts);
	if (res != R_TEMPFAIL && res != R_CONFIG &&
	    jv_get_kind(partial) != JV_KIND_NULL) {
		/* Done with it (sent or failed for good): nothing to resume. */
		jv_free(partial);
		partial = jv_null();
		state_save();
	}
	return res;
}

static jv
sent_object(const struct delivery *d, int failed, const struct tgapi_reply *r)
{
	jv o = jv_object_set(jv_object(), jv_string("chat_id"), jv_string(d->chat));
	int n = jv_array_length(jv_copy(d->message_ids));

	if (failed) {
		o = jv_object_set(o, jv_string("error_code"),
		    r->error_code ? jv_number(r->error_code) : jv_null());
		o = jv_object_set(o, jv_string("description"),
		    jv_string(r->description));
		o = jv_object_set(o, jv_string("reason"),
		    jv_string(failure_reason(r)));
		if (n > 0)
			o = jv_object_set(o, jv_string("sent_message_ids"),
			    jv_copy(d->message_ids));
	} else if (n == 1 && d->parts <= 1) {
		o = jv_object_set(o, jv_string("message_id"),
		    jv_array_get(jv_copy(d->message_ids), 0));
	} else if (n > 0) {
		o = jv_object_set(o, jv_string("message_ids"),
		    jv_copy(d->message_ids));
	}
	if (d->from_chat[0])
		o = jv_object_set(o, jv_string("migrated_from"),
		    jv_string(d->from_chat));
	if (d->plain)
		o = jv_object_set(o, jv_string("plain_text"), jv_true());
	if (d->no_topic)
		o = jv_object_set(o, jv_string("without_topic"), jv_true());
	if (d->no_buttons)
		o = jv_object_set(o, jv_string("without_buttons"), jv_true());
	return o;
}

/* One record (consumed). */
static enum result
handle(jv rec)
{
	jv tg = jvx_get(&rec, "telegram");
	const char *method, *text, *chat;
	char buf[64], idbuf[128];
	struct delivery d = { .message_ids = jv_array() };
	struct tgapi_reply r;
	enum result res;
	int failed;

	if (has_member(&rec, "drop") || !jv_is_valid(tg)) {
		/* Drop markers and records with nothing to send. */
		jv_free(tg);
		jv_free(d.message_ids);
		return emit(rec, 1);
	}
	jv_free(d.message_ids);
	if (jv_get_kind(tg) != JV_KIND_OBJECT) {
		jv_free(tg);
		return reject(rec, "\"telegram\" is not an object");
	}
	method = jvx_str(&tg, "method");
	if (!has_member(&tg, "method"))
		method = "sendMessage";
	else if (method == NULL || *method == '\0' || strlen(method) > 64 ||
	    strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
	    != strlen(method)) {
		jv_free(tg);
		return reject(rec, "telegram.method is not a Bot API method name");
	}
	text = jvx_str(&tg, "text");
	if (strcmp(method, "sendMessage") == 0 && (text == NULL || *text == '\0')) {
		jv_free(tg);
		return reject(rec, "telegram.text is missing or not a string");
	}
	chat = jvx_text(&tg, "chat_id", buf, sizeof buf);
	if (chat == NULL || *chat == '\0')
		chat = cfg.chat;
	if (chat != NULL && strlen(chat) >= sizeof d.chat) {
		jv_free(tg);
		return reject(rec, "telegram.chat_id is too long");
	}
	if (cfg.dry_run) {
		show(&rec, &tg, method, chat);
		jv_free(tg);
		rec = jv_object_set(rec, jv_string("sent"), jv_object_set(
		    jv_object(), jv_string("dry_run"), jv_true()));
		return emit(rec, 0);
	}
	if (chat == NULL) {
		jv_free(tg);
		diag_warn("%s: no chat to send to: the record has no "
		    "telegram.chat_id and neither SENTRY_ALERT_CHAT_ID nor "
		    "--chat is set", ndjson_id(&rec));
		jv_free(rec);
		return R_CONFIG;
	}
	if (sent_once(&rec)) {
		jv_free(tg);
		diag_info("%s: sent before (a record without a seq, written "
		    "again): not sent twice", ndjson_id(&rec));
		rec = jv_object_set(rec, jv_string("sent"), jv_object_set(
		    jv_object(), jv_string("already"), jv_true()));
		return emit(rec, 0);
	}
	chat_now(chat, d.chat, sizeof d.chat);
	d.message_ids = jv_array();
	snprintf(idbuf, sizeof idbuf, "%s", ndjson_id(&rec));
	tgapi_reply_init(&r);
	res = deliver(&rec, &tg, method, &d, &r, &failed);
	jv_free(tg);
	if (res == R_REJECTED) {
		jv_free(d.message_ids);
		tgapi_reply_free(&r);
		return reject(rec, "request could not be made");
	}
	if (res != R_DONE) {
		jv_free(d.message_ids);
		tgapi_reply_free(&r);
		jv_free(rec);
		return res;
	}
	rec = jv_object_set(rec, jv_string(failed ? "failed" : "sent"),
	    sent_object(&d, failed, &r));
	if (failed) {
		diag_warn("%s: Telegram refuses it for good (%ld %s)%s", idbuf,
		    r.error_code, r.description, dead_letter ?
		    ": kept in the dead-letter file" : "");
		if (dead_letter_write(&rec, failure_reason(&r)) < 0)
			res = R_TEMPFAIL;
	} else {
		diag_info("%s: sent to chat %s", idbuf, d.chat);
	}
	jv_free(d.message_ids);
	tgapi_reply_free(&r);
	if (res != R_DONE) {
		jv_free(rec);
		return res;
	}
	remember_once(&rec);
	return emit(rec, 0);
}

/* Helper modes. */

static int
helper_call(const char *method, const char *json, struct tgapi_reply *r)
{
	tgapi_reply_init(r);
	in_flight = 1;
	if (call(method, NULL, jv_parse(json), r, method) != R_DONE)
		return EXIT_TEMPFAIL;
	if (r->outcome == TGAPI_OK)
		return EXIT_DONE;
	if (r->outcome == TGAPI_UNAUTHORIZED || r->outcome == TGAPI_NOT_FOUND) {
		diag_warn("%s: Telegram rejects the bot token (%ld %s): check "
		    "SENTRY_ALERT_TELEGRAM_TOKEN or the token file", method,
		    r->error_code, r->description);
		return EXIT_USAGE;
	}
	diag_warn("%s: %ld %s", method, r->error_code, r->description);
	return EXIT_REJECTED;
}

static int
get_me(void)
{
	struct tgapi_reply r;
	int rc = helper_call("getMe", "{}", &r);
	const char *user = jvx_str(&r.result, "username");
	const char *name = jvx_str(&r.result, "first_name");
	char idbuf[32];
	const char *id = jvx_text(&r.result, "id", idbuf, sizeof idbuf);

	if (rc == EXIT_DONE)
		printf("@%s (%s, id %s): the token works\n", user ? user : "?",
		    name ? name : "?", id ? id : "?");
	tgapi_reply_free(&r);
	return rc;
}

static void
chat_line(const jv *chat, jv *seen, const jv *msg)
{
	char idbuf[32], name[256];
	const char *id = jvx_text(chat, "id", idbuf, sizeof idbuf);
	const char *type = jvx_str(chat, "type"), *title = jvx_str(chat, "title");
	const char *first = jvx_str(chat, "first_name"), *last = jvx_str(chat, "last_name");
	const char *user = jvx_str(chat, "username");
	char topic[48] = "", thread[32];

	if (id == NULL || has_member(seen, id))
		return;
	*seen = jv_object_set(*seen, jv_string(id), jv_true());
	if (title)
		snprintf(name, sizeof name, "%s", title);
	else
		snprintf(name, sizeof name, "%s%s%s", first ? first : "",
		    last ? " " : "", last ? last : "");
	if (user)
		snprintf(name + strlen(name), sizeof name - strlen(name),
		    " (@%s)", user);
	if (msg && jvx_bool(msg, "is_topic_message") == 1 &&
	    jvx_text(msg, "message_thread_id", thread, sizeof thread))
		snprintf(topic, sizeof topic, "  [topic %s]", thread);
	printf("%-16s %-11s %s%s\n", id, type ? type : "?", name, topic);
}

static int
get_updates(void)
{
	static const char *const kinds[] = { "message", "edited_message",
	    "channel_post", "edited_channel_post", "my_chat_member",
	    "chat_member", "chat_join_request", NULL };
	struct tgapi_reply r;
	int rc = helper_call("getUpdates", "{\"timeout\":0}", &r), n = 0;
	jv seen = jv_object();

	if (rc == EXIT_DONE && jv_get_kind(r.result) == JV_KIND_ARRAY) {
		printf("%-16s %-11s %s\n", "CHAT_ID", "TYPE", "NAME");
		jv_array_foreach(r.result, i, u) {
			for (int k = 0; kinds[k]; k++) {
				jv m = jvx_get(&u, kinds[k]), c = jvx_get(&m, "chat");

				if (jv_get_kind(c) == JV_KIND_OBJECT) {
					chat_line(&c, &seen, &m);
					n++;
				}
				jv_free(c);
				jv_free(m);
			}
			jv c = jvx_at(&u, "callback_query.message.chat");
			if (jv_get_kind(c) == JV_KIND_OBJECT)
				chat_line(&c, &seen, NULL);
			jv_free(c);
			jv_free(u);
		}
		if (n == 0)
			diag_warn("no chats yet: write to the bot (or add it to "
			    "the group and post there), then run this again");
		else
			diag_warn("set SENTRY_ALERT_CHAT_ID to one of these "
			    "CHAT_IDs");
	}
	jv_free(seen);
	tgapi_reply_free(&r);
	return rc;
}

static int
test_message(const char *text)
{
	char host[256] = "?", at[CLOCK_RFC3339_SIZE], buf[512];
	jv rec;

	if (text == NULL) {
		gethostname(host, sizeof host - 1);
		snprintf(buf, sizeof buf, "\xe2\x9c\x85 sentry-tg test message "
		    "from %s at %s", host, clock_format(clock_now_ms(), at,
		    sizeof at));
		text = buf;
	}
	rec = jv_object_set(jv_object(), jv_string("v"), jv_number(1));
	rec = jv_object_set(rec, jv_string("id"), jv_string("test-message"));
	rec = jv_object_set(rec, jv_string("telegram"), jv_object_set(
	    jv_object_set(jv_object(), jv_string("method"),
	    jv_string("sendMessage")), jv_string("text"), jv_string(text)));
	switch (handle(rec)) {
	case R_DONE: return EXIT_DONE;
	case R_REJECTED: return EXIT_REJECTED;
	case R_CONFIG: return EXIT_USAGE;
	default: return EXIT_TEMPFAIL;
	}
}

static int
pace_option(const char *arg, struct pace_limit *l, const char *name)
{
	if (pace_parse_limit(arg, l) < 0) {
		diag_warn("--%s: want COUNT/SECONDS (\"20/60\") or 0, not \"%s\"",
		    name, arg);
		return -1;
	}
	return 0;
}

/*
 * The ack file must take a write before anything is sent: a message sent
 * and never acknowledged is sent again after every restart.  A damaged
 * one (empty, garbage, negative) is moved aside: the chain then resends
 * what the spool still holds, which is better than stopping.  0, -1 with
 * *temporary set when retrying later may help (a full disk).
 */
static int
ack_probe(void)
{
	char moved[4096];
	uint64_t seq;

	if (cursor_read(cfg.ack_path, &seq) < 0) {
		if (errno != EINVAL || quarantine(cfg.ack_path, moved,
		    sizeof moved) < 0) {
			diag_warn("%s: cannot read the acknowledgement file: "
			    "%s: refusing to send what could not be "
			    "acknowledged", cfg.ack_path, errno == EINVAL ?
			    "not an acknowledgement file" : strerror(errno));
			return -1;
		}
		diag_warn("%s: not an acknowledgement file: moved to %s; "
		    "starting from the oldest record kept", cfg.ack_path, moved);
		seq = 0;
	}
	if (cursor_write(cfg.ack_path, seq) < 0) {
		ack_temporary = errno == ENOSPC || errno == EDQUOT ||
		    errno == EIO || errno == EINTR;
		diag_warn("%s: cannot write the acknowledgement file: %s: "
		    "refusing to send what could not be acknowledged",
		    cfg.ack_path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The figures (--status; by default SPOOL/status when the ack file is
 * SPOOL/acked, where sentry-recv's /healthz and /metrics read them)
 * go on from the file's.  0, -1 when the path is too long (said).
 */
static int
status_open(void)
{
	static char path[4096];
	const char *base;

	if (cfg.status_path == NULL && cfg.ack_path) {
		base = strrchr(cfg.ack_path, '/');
		base = base ? base + 1 : cfg.ack_path;
		if (strcmp(base, "acked") != 0)
			return 0;
		if (snprintf(path, sizeof path, "%.*sstatus",
		    (int)(base - cfg.ack_path), cfg.ack_path) >= (int)sizeof path) {
			diag_warn("%s: path too long", cfg.ack_path);
			return -1;
		}
		cfg.status_path = path;
	}
	if (cfg.status_path && *cfg.status_path == '\0')
		cfg.status_path = NULL;	/* --status '': none */
	if (cfg.status_path && status_load(cfg.status_path, &figures) < 0)
		diag_warn("%s: %s: counting from zero", cfg.status_path,
		    errno == EINVAL ? "not a status file" : strerror(errno));
	return 0;
}

static int
open_files(void)
{
	int fd;

	if (cfg.dead_letter_path) {
		fd = open(cfg.dead_letter_path, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0600);
		if (fd == -1 || (dead_letter = fdopen(fd, "a")) == NULL) {
			diag_warn("%s: %s", cfg.dead_letter_path, strerror(errno));
			return -1;
		}
	}
	if (cfg.ack_path && ack_probe() < 0)
		return -1;
	if (status_open() < 0)
		return -1;
	return state_load();
}

static int
run(void)
{
	struct ndjson_reader *rd = ndjson_open(STDIN_FILENO, NDJSON_DEFAULT_MAX_LINE);
	int rejected = 0, status = EXIT_DONE, batch = 0;
	jv rec;
	int n;

	if (rd == NULL) {
		diag_warn("out of memory");
		return EXIT_TEMPFAIL;
	}
	ndjson_flush_before_read(rd, stdout);
	for (;;) {
		if (ack_pending > 0 && (++batch >= ACK_BATCH ||
		    ndjson_wait(rd, 0) == 0)) {
			batch = 0;
			if (ack_flush() < 0) {
				status = EXIT_TEMPFAIL;
				break;
			}
		}
		if ((n = ndjson_next(rd, &rec)) <= 0) {
			if (n < 0) {
				diag_warn("%s", ndjson_read_error(errno));
				status = EXIT_TEMPFAIL;
			}
			break;
		}
		in_flight = 1;
		switch (handle(rec)) {
		case R_DONE: break;
		case R_REJECTED: rejected = 1; break;
		case R_CONFIG: status = EXIT_USAGE; goto out;
		default: status = EXIT_TEMPFAIL; goto out;
		}
		in_flight = 0;
		figures_flush(0);
		if (figures.dirty && ndjson_wait(rd, 0) == 0)
			figures_flush(1);	/* nothing more for now */
		if (stop_requested)
			break;
	}
out:
	figures_flush(1);
	if (ack_flush() < 0 && status == EXIT_DONE)
		status = EXIT_TEMPFAIL;
	if (ndjson_rejected(rd) > 0)
		rejected = 1;
	ndjson_close(rd);
	if (status == EXIT_DONE && rejected)
		status = EXIT_REJECTED;
	if (stop_requested && status == EXIT_DONE)
		status = EXIT_TEMPFAIL;
	return status;
}

enum { O_CONNECT = 256, O_CA_FILE, O_RETRY_DELAY, O_PACE_CHAT, O_PACE_GROUP,
    O_PACE_ALL, O_GET_ME, O_GET_UPDATES, O_TEST, O_STATUS };

/* What the command line and the environment ask for. */
struct setup {
	struct tgapi_options api;
	struct pace_limits limits;
	const char *token_file, *env_file, *test_text;
	int verbosity, mode;
	char *token;
};

/* The option loop: 0 go on, else 1 + the exit status. */
static int
options(int argc, char *argv[], struct setup *s)
{
	static const struct option longopts[] = {
		{ "ack", required_argument, NULL, 'a' },
		{ "chat", required_argument, NULL, 'c' },
		{ "dead-letter", required_argument, NULL, 'd' },
		{ "env-file", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "retries", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "timeout", required_argument, NULL, 't' },
		{ "api-url", required_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "max-wait", required_argument, NULL, 'w' },
		{ "proxy", required_argument, NULL, 'x' },
		{ "connect-timeout", required_argument, NULL, O_CONNECT },
		{ "ca-file", required_argument, NULL, O_CA_FILE },
		{ "retry-delay", required_argument, NULL, O_RETRY_DELAY },
		{ "pace-chat", required_argument, NULL, O_PACE_CHAT },
		{ "pace-group", required_argument, NULL, O_PACE_GROUP },
		{ "pace-all", required_argument, NULL, O_PACE_ALL },
		{ "get-me", no_argument, NULL, O_GET_ME },
		{ "get-updates", no_argument, NULL, O_GET_UPDATES },
		{ "test-message", no_argument, NULL, O_TEST },
		{ "status", required_argument, NULL, O_STATUS },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int64_t ms;
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "a:c:d:E:hqr:s:T:t:u:Vvw:x:",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'a': cfg.ack_path = optarg; break;
		case 'c': cfg.chat = optarg; break;
		case 'd': cfg.dead_letter_path = optarg; break;
		case 'E': s->env_file = optarg; break;
		case 'h': usage(stdout); return 1 + EXIT_DONE;
		case 'q': s->verbosity = -1; break;
		case 'r':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 0 || n > 1000) {
				diag_warn("--retries: want 0..1000, not \"%s\"", optarg);
				return 1 + EXIT_USAGE;
			}
			cfg.retries = (int)n;
			break;
		case 's': cfg.state_path = optarg; break;
		case O_STATUS: cfg.status_path = optarg; break;
		case 'T': s->token_file = optarg; break;
		case 't':
		case 'w':
		case O_CONNECT:
		case O_RETRY_DELAY:
			if ((ms = parse_seconds(optarg)) < 0 ||
			    (ms == 0 && c != O_RETRY_DELAY)) {
				diag_warn("%s: want seconds, not \"%s\"",
				    c == 't' ? "--timeout" : c == 'w' ? "--max-wait" :
				    c == O_CONNECT ? "--connect-timeout" :
				    "--retry-delay", optarg);
				return 1 + EXIT_USAGE;
			}
			if (c == 't')
				s->api.timeout_ms = (long)ms;
			else if (c == 'w')
				cfg.max_wait_ms = ms;
			else if (c == O_CONNECT)
				s->api.connect_timeout_ms = (long)ms;
			else
				cfg.retry_delay_ms = ms;
			break;
		case 'u': s->api.api_url = optarg; break;
		case 'V':
			printf("tg-send %s\n", SENTRY_TG_VERSION);
			return 1 + EXIT_DONE;
		case 'v': s->verbosity++; break;
		case 'x': s->api.proxy = optarg; break;
		case O_CA_FILE:
			if (access(optarg, R_OK) != 0) {
				diag_warn("--ca-file: %s: %s", optarg, strerror(errno));
				return 1 + EXIT_USAGE;
			}
			s->api.ca_file = optarg;
			break;
		case O_PACE_CHAT:
		case O_PACE_GROUP:
		case O_PACE_ALL:
			if (pace_option(optarg, c == O_PACE_CHAT ? &s->limits.chat :
			    c == O_PACE_GROUP ? &s->limits.group : &s->limits.all,
			    c == O_PACE_CHAT ? "pace-chat" : c == O_PACE_GROUP ?
			    "pace-group" : "pace-all") < 0)
				return 1 + EXIT_USAGE;
			break;
		case O_GET_ME: case O_GET_UPDATES: case O_TEST:
			if (s->mode && s->mode != c) {
				diag_warn("--get-me, --get-updates and "
				    "--test-message do not go together");
				return 1 + EXIT_USAGE;
			}
			s->mode = c;
			break;
		default:
			usage(stderr);
			return 1 + EXIT_USAGE;
		}
	}
	if (s->mode == O_TEST && optind < argc)
		s->test_text = argv[optind++];
	if (optind < argc) {
		diag_warn("unexpected operand \"%s\"", argv[optind]);
		usage(stderr);
		return 1 + EXIT_USAGE;
	}
	return 0;
}

/* Environment, token, API handle: 0 ok, -1 a configuration error (said). */
static int
configure(struct setup *s)
{
	const char *url;
	char err[512];
	int absent;

	if (s->env_file && dotenv_load(s->env_file, 0, err, sizeof err) < 0) {
		diag_warn("%s", err);
		return -1;
	}
	if (s->api.api_url == NULL)
		s->api.api_url = getenv("TELEGRAM_API_URL");
	if (s->api.api_url != NULL && *s->api.api_url == '\0')
		s->api.api_url = NULL;
	url = s->api.api_url;
	if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		diag_warn("API URL must start with https:// or http://");
		return -1;
	}
	if (cfg.chat == NULL && (cfg.chat = getenv("SENTRY_ALERT_CHAT_ID")) != NULL &&
	    *cfg.chat == '\0')
		cfg.chat = NULL;
	if (cfg.chat && strlen(cfg.chat) > 63) {
		diag_warn("chat id too long");
		return -1;
	}
	s->token = secret_load("SENTRY_ALERT_TELEGRAM_TOKEN", s->token_file,
	    &absent, err, sizeof err);
	if (s->token == NULL && !absent) {
		diag_warn("bot token: %s", err);
		return -1;
	}
	cfg.dry_run = s->token == NULL;
	if (cfg.dry_run && (s->mode == O_GET_ME || s->mode == O_GET_UPDATES)) {
		diag_warn("no bot token: set SENTRY_ALERT_TELEGRAM_TOKEN or "
		    "use --token-file (the token @BotFather gave you)");
		return -1;
	}
	if (s->mode == O_TEST && cfg.chat == NULL && !cfg.dry_run) {
		diag_warn("--test-message: set SENTRY_ALERT_CHAT_ID (or --chat): "
		    "--get-updates lists the chats that wrote to the bot");
		return -1;
	}
	if (cfg.dry_run)
		return 0;
	diag_secret(s->token);
	if (url && strncmp(url, "http://", 7) == 0 && !local_url(url + 7))
		diag_warn("the API URL is http:// to another host: the bot token "
		    "travels unencrypted");
	if ((api = tgapi_new(&s->api, s->token, err, sizeof err)) == NULL) {
		diag_warn("%s", err);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct setup s = { .api = { .connect_timeout_ms = 10000,
	    .timeout_ms = 30000 } };
	int status;

	diag_ensure_fds();
	diag_init("tg-send");
	signal(SIGPIPE, SIG_IGN);
	migrated = jv_object();
	partial = jv_null();
	once = jv_array();
	pace_default_limits(&s.limits);
	if ((status = options(argc, argv, &s)) != 0)
		return status - 1;
	diag_set_verbosity(s.verbosity);
	if (configure(&s) < 0 || (s.mode == 0 && open_files() < 0)) {
		status = ack_temporary ? EXIT_TEMPFAIL : EXIT_USAGE;
	} else if ((pace = pace_new(&s.limits)) == NULL) {
		diag_warn("out of memory");
		status = EXIT_TEMPFAIL;
	} else {
		signal(SIGTERM, on_term);
		signal(SIGINT, on_term);
		status = s.mode == O_GET_ME ? get_me() :
		    s.mode == O_GET_UPDATES ? get_updates() :
		    s.mode == O_TEST ? test_message(s.test_text) : run();
	}
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		diag_warn("stdout: %s", strerror(errno));
		if (status == EXIT_DONE || status == EXIT_REJECTED)
			status = EXIT_TEMPFAIL;
	}
	if (dead_letter)
		fclose(dead_letter);
	jv_free(migrated);
	jv_free(partial);
	jv_free(once);
	pace_free(pace);
	tgapi_free(api);
	secret_free(s.token);
	return status;
}
