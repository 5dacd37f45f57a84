/*
 * sentry-verify: the gate between the internet and the chat.  Checks
 * each Sentry webhook record and gives it the "alert" view.
 *
 * Reads records from sentry-recv (NDJSON) on stdin.  For each one:
 * checks Sentry-Hook-Signature (hex HMAC-SHA256 of the exact body bytes
 * under any configured client secret, constant time) or, for the legacy
 * Webhooks plugin that signs nothing, a secret token in the callback URL;
 * checks Sentry-Hook-Timestamp against the record's "received" time and
 * Request-ID against a replay cache; parses the body once; writes the
 * record to stdout with "verified", "payload" and "alert" added and
 * "body"/"body_b64" removed.  A record that fails is rejected: one line
 * on stderr naming its id and peer, the record whole in --rejects FILE,
 * and the stage goes on.  Drop markers and digests pass through.
 *
 * Exits 0 when every record passed, 1 when some were rejected, 2 on a
 * usage or configuration error (before reading anything), 111 when
 * reading stdin or writing stdout failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "auth.h"
#include "bytes.h"
#include "clock.h"
#include "diag.h"
#include "dotenv.h"
#include "hmac.h"
#include "jvx.h"
#include "ndjson.h"
#include "quarantine.h"
#include "replay.h"

#define MAX_FILES	8
#define DEFAULT_MAX_AGE	300			/* seconds */
#define DEFAULT_MAX_BODY (8u << 20)		/* bytes */

static const char usage_line[] =
    "usage: sentry-verify [-ahqVv] [-b max-body] [-c replay-cache] "
    "[-E file]\n"
    "                     [-m max-age] [-n replay-size] [-r rejects] "
    "[-s secret-file]\n"
    "                     [-t token-file] [-u sentry-url] [-w retry-window]\n";

static struct auth *auth;
static struct replay *cache;
static FILE *rejects;
static int allow_unsigned;
static long max_age = DEFAULT_MAX_AGE;
static size_t max_body = DEFAULT_MAX_BODY;
static const char *sentry_url;
static unsigned long rejected, passed, duplicates, cache_write_errors;
static int64_t retry_window_ms = 30 * 60 * 1000;

static void
usage(int status)
{
	fputs(usage_line, status ? stderr : stdout);
	exit(status);
}

static void config_error(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* A usage or configuration error: one line, exit 2 before any I/O. */
static void
config_error(const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_warn("%s", msg);
	exit(EXIT_USAGE);
}

static void reject(const jv *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Why the record being handled was rejected, for its drop marker. */
static char rejected_why[600];

static void
reject(const jv *rec, const char *fmt, ...)
{
	const char *peer = jvx_str(rec, "peer");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rejected_why, sizeof rejected_why, fmt, ap);
	va_end(ap);
	ndjson_report(rejects, rec, "%s (peer %s)", rejected_why,
	    peer ? peer : "-");
	rejected++;
}

/*
 * A rejected record goes on as a drop marker, so that the last stage
 * acknowledges it and its spool segment can be removed: junk that never
 * passes must not pin the spool (or, once the disk is full, refuse every
 * real webhook).  rec is consumed.  0, or -1 when stdout fails.
 */
static int
drop_marker(jv rec, const char *reason, const char *why)
{
	jv marker = jv_object_set(jv_object(), jv_string("v"), jv_number(1));
	static const char *const keep[] = { "id", "seq", "received" };

	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
		jv v = jvx_get(&rec, keep[i]);

		if (jv_is_valid(v))
			marker = jv_object_set(marker, jv_string(keep[i]), v);
		else
			jv_free(v);
	}
	jv_free(rec);
	marker = jv_object_set(marker, jv_string("drop"), jv_object_set(
	    jv_object_set(jv_object_set(jv_object(), jv_string("stage"),
	    jv_string("sentry-verify")), jv_string("reason"),
	    jv_string(reason)), jv_string("why"), jv_string(why)));
	return ndjson_write(stdout, marker);
}

/*
 * A retry of a webhook that already passed.  Sentry retries a published
 * app's webhook (3 times, 5 minutes apart) with a new Request-ID and
 * timestamp, so it is known by its content: the same body bytes, the
 * same event of the same alert rule, or the legacy plugin's
 * Idempotency-Key, within retry_window of the first.  The keys live in
 * the replay cache, timed by "received", so a replayed spool decides the
 * same and a redelivery of the same record still passes.  NULL when new,
 * else which key matched.
 */
static const char *
retry_of(const jv *rec, const jv *alert, const void *body, size_t len)
{
	unsigned char digest[HMAC_SHA256_SIZE];
	char hex[2 * HMAC_SHA256_SIZE + 1], key[600];
	const char *id = jvx_str(rec, "id"), *received = jvx_str(rec, "received");
	const char *idem = jvx_str(rec, "headers.idempotency-key");
	const char *event = jvx_str(alert, "event_id"), *rule = jvx_str(alert, "rule");
	const char *kind = jvx_str(alert, "kind");
	int64_t at;
	int werr;

	if (retry_window_ms == 0 || received == NULL ||
	    clock_parse(received, &at) != 0)
		return NULL;
	if (hmac_digest(body, len, digest) != 0)
		return NULL;
	hmac_hex(digest, hex);
	snprintf(key, sizeof key, "body:%s", hex);
	if (replay_check_within(cache, key, id, at, retry_window_ms, &werr) ==
	    REPLAY_SEEN)
		return "the same body";
	if (kind && strcmp(kind, "event_alert") == 0 && event && rule) {
		snprintf(key, sizeof key, "event:%.64s:%.500s", event, rule);
		if (replay_check_within(cache, key, id, at, retry_window_ms,
		    &werr) == REPLAY_SEEN)
			return "the same event and alert rule";
	}
	if (idem && *idem) {
		snprintf(key, sizeof key, "idempotency:%.500s", idem);
		if (replay_check_within(cache, key, id, at, retry_window_ms,
		    &werr) == REPLAY_SEEN)
			return "the same Idempotency-Key";
	}
	return NULL;
}

/* How the record is authenticated: "hmac", "token", "unsigned", or NULL
 * after rejecting it. */
static const char *
authenticate(const jv *rec, const char *body, size_t len)
{
	const char *sig = jvx_str(rec, "headers.sentry-hook-signature");
	const char *query = jvx_str(rec, "query"), *path = jvx_str(rec, "path");
	struct auth_request r = {
		.signature = sig, .signature_len = sig ? strlen(sig) : 0,
		.query = query ? query : "", .query_len = query ? strlen(query) : 0,
		.path = path ? path : "", .path_len = path ? strlen(path) : 0,
		.body = body, .body_len = len,
	};
	const char *why;
	enum auth_result a = auth_check(auth, &r, &why);

	if (a == AUTH_REJECTED) {
		reject(rec, "%s", why);
		return NULL;
	}
	return auth_name(a);
}

/*
 * The legacy plugin's URL token must not travel further than this stage
 * (into tg-send's log, the dead letters, a reject file downstream): the
 * record goes on with "query" and "path" redacted.  rec is updated.
 */
static void
redact_url(jv *rec)
{
	const char *query = jvx_str(rec, "query"), *path = jvx_str(rec, "path");

	if (query && strstr(query, "token=")) {
		char *q = auth_redact_query(query, strlen(query));

		*rec = jv_object_set(*rec, jv_string("query"),
		    q ? jv_string(q) : jv_string(""));
		free(q);
	}
	if (path) {
		size_t len = strlen(path);
		char *out = malloc(len + 8);

		if (out && auth_redact_path(auth, path, len, out))
			*rec = jv_object_set(*rec, jv_string("path"),
			    jv_string(out));
		free(out);
	}
}

/* Sentry-Hook-Timestamp within max_age of the record's receipt time:
 * the "received" field, not the clock, so a replayed spool gives the
 * same answer.  0 ok, -1 rejected. */
static int
check_timestamp(const jv *rec)
{
	const char *ts = jvx_str(rec, "headers.sentry-hook-timestamp");
	const char *received = jvx_str(rec, "received");
	int64_t sent, now, skew;

	if (ts == NULL || max_age == 0)
		return 0;
	if (clock_parse(ts, &sent) != 0) {
		char ex[128];

		reject(rec, "Sentry-Hook-Timestamp is not a time: %s",
		    diag_excerpt(ts, strlen(ts), 40, ex, sizeof ex));
		return -1;
	}
	if (received == NULL || clock_parse(received, &now) != 0)
		now = clock_now_ms();
	skew = now - sent;
	if (skew > max_age * 1000 || skew < -max_age * 1000) {
		reject(rec, "Sentry-Hook-Timestamp is %" PRId64 " s %s the "
		    "time received (window %ld s)",
		    (skew < 0 ? -skew : skew) / 1000,
		    skew < 0 ? "after" : "before", max_age);
		return -1;
	}
	return 0;
}

/* 0 new or a redelivery of the same record, -1 a replay (rejected). */
static int
check_replay(const jv *rec)
{
	const char *req = jvx_str(rec, "headers.request-id");
	const char *id = jvx_str(rec, "id");
	int werr, r;

	if (req == NULL || *req == '\0')
		return 0;
	r = replay_check(cache, req, id, &werr);
	if (werr && cache_write_errors++ == 0)
		diag_warn("replay cache: write failed: %s (kept in memory)",
		    strerror(errno));
	if (r == REPLAY_SEEN) {
		char ex[128];

		reject(rec, "replayed Request-ID %s",
		    diag_excerpt(req, strlen(req), 64, ex, sizeof ex));
		return -1;
	}
	if (r == REPLAY_SAME_RECORD)
		diag_debug("%s: Request-ID seen before with this record: "
		    "a redelivery", ndjson_id(rec));
	return 0;
}

/*
 * Write the verified record with the body's own text as "payload": the
 * body is JSON that just parsed, and dumping the parsed copy again would
 * cost more than all the rest of the work together.  Its CR and LF bytes
 * can only be white space between tokens (JSON strings cannot hold
 * them raw), so they become blanks and the record stays one line.
 * 0 ok, -1 write error.
 */
static int
write_spliced(jv rec, const char *text, size_t len, jv alert)
{
	jv head = jv_dump_string(rec, 0);
	const char *h = jv_string_value(head);
	size_t hlen = strlen(h), start = 0;

	/* head is an object with at least "verified": drop its '}' */
	fwrite(h, 1, hlen - 1, stdout);
	jv_free(head);
	fputs(",\"payload\":", stdout);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' || text[i] == '\r') {
			fwrite(text + start, 1, i - start, stdout);
			putchar(' ');
			start = i + 1;
		}
	}
	fwrite(text + start, 1, len - start, stdout);
	fputs(",\"alert\":", stdout);
	ndjson_print(stdout, alert);
	if (fputs("}\n", stdout) == EOF || ferror(stdout))
		return -1;
	return 0;
}

/* Verify and normalise one record; -1 only when stdout fails. */
static int
handle(jv rec)
{
	jv body = jvx_get(&rec, "body"), b64 = jvx_get(&rec, "body_b64");
	jv payload = jv_invalid();
	unsigned char *decoded = NULL;
	const char *bytes, *how;
	size_t len;
	struct alert_input in;
	int repaired, status;

	if (jv_get_kind(body) == JV_KIND_STRING) {
		bytes = jv_string_value(body);
		len = (size_t)jv_string_length_bytes(jv_copy(body));
	} else if (jv_get_kind(b64) == JV_KIND_STRING) {
		size_t blen = (size_t)jv_string_length_bytes(jv_copy(b64));
		long n;

		if ((decoded = malloc(blen / 4 * 3 + 3)) == NULL ||
		    (n = bytes_base64_decode(jv_string_value(b64), blen,
		    decoded)) < 0) {
			reject(&rec, decoded ? "body_b64 is not base64" :
			    "out of memory");
			goto out;
		}
		bytes = (const char *)decoded;
		len = (size_t)n;
	} else if (jvx_is(&rec, JV_KIND_OBJECT) &&
	    (jv_object_has(jv_copy(rec), jv_string("drop")) ||
	    jv_object_has(jv_copy(rec), jv_string("digest")))) {
		jv_free(body);
		jv_free(b64);
		return ndjson_write(stdout, rec);	/* not ours: pass on */
	} else {
		reject(&rec, "record has no body");
		goto out;
	}
	if (len > max_body) {
		reject(&rec, "body too large: %zu bytes (limit %zu)", len,
		    max_body);
		goto out;
	}
	if ((how = authenticate(&rec, bytes, len)) == NULL ||
	    check_timestamp(&rec) != 0)
		goto out;
	payload = alert_parse_repaired(bytes, len, &repaired);
	if (!jv_is_valid(payload)) {
		jv msg = jv_invalid_get_msg(payload);

		reject(&rec, "%s", jv_get_kind(msg) == JV_KIND_STRING ?
		    jv_string_value(msg) : "body is not JSON");
		jv_free(msg);
		payload = jv_invalid();
		goto out;
	}
	if (!ndjson_strict_object(bytes, len)) {
		/* libjq reads "nan", "01", "+1" and a byte order mark; the
		 * payload is spliced into the record as it is, and a record
		 * must be JSON to every reader */
		reject(&rec, "body is not strict JSON (RFC 8259)");
		goto out;
	}
	if (check_replay(&rec) != 0)
		goto out;
	redact_url(&rec);

	in.resource = jvx_str(&rec, "headers.sentry-hook-resource");
	in.body = bytes;
	in.body_len = len;
	in.sentry_url = sentry_url;
	{
		jv alert = alert_normalise(&payload, &in);
		const char *retry = retry_of(&rec, &alert, bytes, len);

		if (retry) {
			char why[128];

			snprintf(why, sizeof why, "a retry of a webhook passed "
			    "before (%s within %lld min)", retry,
			    (long long)(retry_window_ms / 60000));
			diag_info("%s: %s: not passed again", ndjson_id(&rec),
			    why);
			jv_free(alert);
			jv_free(payload);
			jv_free(body);
			jv_free(b64);
			free(decoded);
			duplicates++;
			return drop_marker(rec, "duplicate", why);
		}
		rec = jv_object_delete(rec, jv_string("body"));
		rec = jv_object_delete(rec, jv_string("body_b64"));
		rec = jv_object_delete(rec, jv_string("payload"));
		rec = jv_object_delete(rec, jv_string("alert"));
		rec = jv_object_set(rec, jv_string("verified"), jv_string(how));
		if (repaired) {
			rec = jv_object_set(rec, jv_string("payload"), payload);
			rec = jv_object_set(rec, jv_string("alert"), alert);
			status = ndjson_write(stdout, rec);
		} else {
			jv_free(payload);
			status = write_spliced(rec, bytes, len, alert);
		}
	}
	jv_free(body);
	jv_free(b64);
	free(decoded);
	passed++;
	return status;
out:
	jv_free(payload);
	jv_free(body);
	jv_free(b64);
	free(decoded);
	return drop_marker(rec, "rejected", rejected_why);
}

static long
number_arg(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		config_error("%s %s: not a number from %ld to %ld", opt, s,
		    min, max);
	return v;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "allow-unsigned", no_argument, NULL, 'a' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "replay-cache", required_argument, NULL, 'c' },
		{ "env-file", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-age", required_argument, NULL, 'm' },
		{ "retry-window", required_argument, NULL, 'w' },
		{ "replay-size", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rejects", required_argument, NULL, 'r' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "sentry-url", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *secret_files[MAX_FILES], *token_files[MAX_FILES];
	const char *envfile = NULL, *rejects_path = NULL, *cache_path = NULL;
	size_t nsecret_files = 0, ntoken_files = 0, cache_size = 0;
	struct ndjson_reader *in;
	char err[512];
	int c, r, status;
	jv rec;

	diag_ensure_fds();
	diag_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);	/* a gone reader is EPIPE: exit 111 */
	while ((c = getopt_long(argc, argv, "ab:c:E:hm:n:qr:s:t:u:Vvw:",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'a': allow_unsigned = 1; break;
		case 'b': max_body = (size_t)number_arg("--max-body", optarg,
			    1, 1L << 30); break;
		case 'c': cache_path = optarg; break;
		case 'E': envfile = optarg; break;
		case 'h': usage(EXIT_DONE); break;
		case 'w': retry_window_ms = 1000 * number_arg("--retry-window",
			    optarg, 0, 7L * 86400); break;
		case 'm': max_age = number_arg("--max-age", optarg, 0,
			    366L * 86400); break;
		case 'n': cache_size = (size_t)number_arg("--replay-size",
			    optarg, 1, 10000000); break;
		case 'q': diag_set_verbosity(-1); break;
		case 'r': rejects_path = optarg; break;
		case 's':
			if (nsecret_files == MAX_FILES)
				config_error("--secret-file: at most %d",
				    MAX_FILES);
			secret_files[nsecret_files++] = optarg;
			break;
		case 't':
			if (ntoken_files == MAX_FILES)
				config_error("--token-file: at most %d",
				    MAX_FILES);
			token_files[ntoken_files++] = optarg;
			break;
		case 'u': sentry_url = optarg; break;
		case 'V': printf("sentry-verify %s\n", SENTRY_TG_VERSION);
			return fclose(stdout) ? EXIT_TEMPFAIL : EXIT_DONE;
		case 'v': diag_set_verbosity(diag_verbosity() + 1); break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if (envfile && dotenv_load(envfile, 0, err, sizeof err) < 0)
		config_error("%s", err);
	if (sentry_url && strncmp(sentry_url, "https://", 8) != 0 &&
	    strncmp(sentry_url, "http://", 7) != 0)
		config_error("--sentry-url %s: not an http(s) URL", sentry_url);

	/* Secrets: the environment and every --secret-file; URL tokens
	 * from --token-file, else the same secrets. */
	if ((auth = auth_new()) == NULL)
		config_error("out of memory");
	if (auth_load(auth, secret_files, nsecret_files, token_files,
	    ntoken_files, err, sizeof err) != 0)
		config_error("%s", err);
	if (auth_secrets(auth) == 0 && auth_tokens(auth) == 0 &&
	    !allow_unsigned)
		config_error("no secret: set %s or use --secret-file "
		    "(or --allow-unsigned to accept unsigned webhooks)",
		    AUTH_SECRET_ENV);
	auth_allow_unsigned(auth, allow_unsigned);
	if ((cache = replay_open(cache_path, cache_size, err,
	    sizeof err)) == NULL && errno == EINVAL) {
		/* damaged (a crash, a disk error): start afresh, keep it */
		char moved[PATH_MAX + 32];

		if (quarantine(cache_path, moved, sizeof moved) == 0)
			diag_warn("replay cache: %s: moved to %s, starting "
			    "with an empty cache", err, moved);
		cache = replay_open(cache_path, cache_size, err, sizeof err);
	}
	if (cache == NULL)
		config_error("replay cache: %s", err);
	if (rejects_path && (rejects = ndjson_open_rejects(rejects_path)) == NULL)
		config_error("%s: %s", rejects_path, strerror(errno));
	if ((in = ndjson_open(STDIN_FILENO, NDJSON_DEFAULT_MAX_LINE)) == NULL)
		config_error("stdin: %s", strerror(errno));
	ndjson_flush_before_read(in, stdout);
	ndjson_reject_to(in, rejects);

	status = EXIT_DONE;
	while ((r = ndjson_next(in, &rec)) == 1) {
		if (handle(rec) < 0) {
			diag_warn("stdout: %s", strerror(errno));
			status = EXIT_TEMPFAIL;
			break;
		}
	}
	if (r < 0) {
		diag_warn("%s", ndjson_read_error(errno));
		status = EXIT_TEMPFAIL;
	}
	if (duplicates)
		diag_info("%lu retries of webhooks passed before: not passed "
		    "again", duplicates);
	diag_info("%lu passed, %lu rejected", passed,
	    rejected + ndjson_rejected(in));
	if (status == EXIT_DONE && (rejected || ndjson_rejected(in)))
		status = EXIT_REJECTED;
	ndjson_close(in);
	replay_close(cache);
	auth_free(auth);
	if (rejects && fclose(rejects) != 0 && status == EXIT_DONE)
		status = EXIT_TEMPFAIL;
	/* A failed flush before a read leaves only the error flag set. */
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		diag_warn("stdout: %s", strerror(errno));
		status = EXIT_TEMPFAIL;
	}
	return status;
}
