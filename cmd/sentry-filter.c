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
 * What to decide is lib/decide.c; here are the options, the input, and
 * the output held in memory until the state that decided it is saved.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "decide.h"
#include "diag.h"
#include "dotenv.h"
#include "fstate.h"
#include "jvx.h"
#include "ndjson.h"
#include "rules.h"
#include "version.h"

#define OUT_COMMIT_BYTES (256u << 10)	/* save state, write out: this often, */
#define OUT_COMMIT_MAX (8u << 20)	/* or as much output as the state is */
#define COMMIT_HOLD_FACTOR 10	/* hold output up to 10 saves' time ... */
#define COMMIT_HOLD_MAX_MS 200	/* ... but never longer than this */
#define STORM_MS 30000		/* a storm digest collects this long */

static const char usage_text[] =
    "usage: sentry-filter [-hqVvx] [-c chat] [-d period] [-E env-file] "
    "[-F condition]\n"
    "                     [-f rules-file] [-r rule] [-s state-file] "
    "[-t window] [--clock wall|records]\n"
    "                     [--env list] [--jq expression] [--keep-payload] "
    "[--level level]\n"
    "                     [--project list] [--silent] [--storm window] "
    "[--tag key=value]\n"
    "                     [--title text] [--title-re regex] [--topic id]\n";

/* What the options say, before the rules file and environment fill in. */
struct options {
	struct decide_config dc;	/* -1: not given (topic, silent,
					 * throttle_ms, digest_ms) */
	const char *rules_file, *env_file, *state_path;
	const char **rule_specs;
	size_t nrule_specs;
	int verbosity;
};

/* The process: the policy, and the output held until the state is saved. */
static struct {
	struct rules *rules;
	struct decide *decide;
	const char *state_path;
	int explain, clock_records, keep_payload;
	int64_t save_ms;	/* what the last state save took */
	size_t state_bytes;	/* how large the last saved state was */
	int64_t held_since;	/* first record not committed yet; 0: none */
	FILE *out;		/* memory buffer, written at commit() */
	char *out_buf;
	size_t out_len;
	unsigned long passed, dropped, throttled, folded, digests;
} S;

/* What became of one record. */
enum outcome { O_EMITTED, O_DROPPED, O_TEMPFAIL };

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
explain(const char *id, const char *text)
{
	char msg[1024], ex[100];

	/* ids, titles and jq messages come from outside: one line each */
	fprintf(stderr, "%s: explain %s: %s\n", diag_progname(),
	    one_line(id, ex, sizeof ex), one_line(text, msg, sizeof msg));
}

/* ---- output: held in memory until the state that decided it is saved */

static int
open_out(void)
{
	if ((S.out = open_memstream(&S.out_buf, &S.out_len)) == NULL) {
		diag_warn("output buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
write_record(jv rec)
{
	if (ndjson_write(S.out, rec) < 0) {
		diag_warn("output buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The digest records in list (consumed), explained and written. */
static int
write_digests(jv list)
{
	int n = jv_array_length(jv_copy(list)), rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		jv rec = jv_array_get(jv_copy(list), i);
		char text[200];
		double total = 0;

		if (S.explain) {
			jvx_num(&rec, "digest.total", 0, &total);
			snprintf(text, sizeof text, "%s of %.0f %s records, %s "
			    "to %s", jvx_str(&rec, "digest.kind") ?
			    "storm digest" : "digest", total,
			    jvx_str(&rec, "digest.kind") ? "folded" :
			    "held-back", jvx_str(&rec, "digest.period_start"),
			    jvx_str(&rec, "digest.period_end"));
			explain(jvx_str(&rec, "id"), text);
		}
		rc = write_record(rec);
		S.digests++;
	}
	jv_free(list);
	return rc;
}

static int
save_state(void)
{
	char err[512];
	int64_t started;
	struct stat sb;
	jv st;
	int rc;

	if (S.state_path == NULL || !decide_changed(S.decide))
		return 0;
	started = clock_mono_ms();
	st = decide_save(S.decide);
	if ((rc = fstate_save(S.state_path, &st, err, sizeof err)) < 0)
		diag_warn("state: %s", err);
	jv_free(st);
	S.save_ms = clock_mono_ms() - started;
	if (rc == 0 && stat(S.state_path, &sb) == 0)
		S.state_bytes = (size_t)sb.st_size;
	return rc;
}

/*
 * Make what was decided durable, then visible: the state is saved before
 * the records it produced reach the next stage, so a crash never lets a
 * decision be acknowledged downstream that the state does not know.
 */
static int
commit(void)
{
	if (fflush(S.out) == EOF) {
		diag_warn("output buffer: %s", strerror(errno));
		return -1;
	}
	if (save_state() < 0)
		return -1;
	if (S.out_len > 0 &&
	    (fwrite(S.out_buf, 1, S.out_len, stdout) != S.out_len ||
	    fflush(stdout) == EOF)) {
		diag_warn("stdout: %s", strerror(errno));
		return -1;
	}
	fclose(S.out);
	free(S.out_buf);
	S.out_buf = NULL;
	S.out_len = 0;
	S.held_since = 0;
	return open_out();
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

/* ---- one record ---- */

/* What the decision has to tell: warnings, and --explain's reasons. */
static void
tell(const char *id, const struct decision *dn)
{
	const char *text;
	size_t at = 0;
	int kind;
	char ex[100];

	while ((text = decision_note(dn, &at, &kind)) != NULL) {
		if (kind == DECIDE_NOTE_WARN)
			diag_warn("%s: %s", diag_excerpt(id, strlen(id), 80,
			    ex, sizeof ex), text);
		else
			explain(id, text);
	}
}

/* Decide on one record (consumed) and write what comes of it. */
static enum outcome
handle(struct ndjson_reader *r, jv rec)
{
	jv id = jvx_get(&rec, "id");
	const char *ids = jv_get_kind(id) == JV_KIND_STRING ?
	    jv_string_value(id) : "-";
	struct decision dn;
	enum outcome o = O_EMITTED;
	char ex[100];

	decide_record(S.decide, rec, clock_now_ms(), &dn);
	if (dn.no_received)
		diag_info("%s: no received time, using the clock",
		    one_line(ids, ex, sizeof ex));
	if (write_digests(jv_copy(dn.before)) < 0)
		o = O_TEMPFAIL;
	tell(ids, &dn);
	switch (dn.outcome) {
	case DECIDE_FORWARD: {
		size_t len;
		const char *line = ndjson_line(r, &len);

		/* not ours: forward the bytes as they came */
		if (fwrite(line, 1, len, S.out) != len ||
		    putc('\n', S.out) == EOF) {
			diag_warn("output buffer: %s", strerror(errno));
			o = O_TEMPFAIL;
		}
		break;
	}
	case DECIDE_SEND:
		S.passed++;
		if (write_record(jv_copy(dn.out)) < 0)
			o = O_TEMPFAIL;
		break;
	case DECIDE_DROP:
		S.dropped++;
		S.throttled += dn.throttled;
		S.folded += dn.folded;
		if (write_record(jv_copy(dn.out)) < 0)
			o = O_TEMPFAIL;
		else if (o == O_EMITTED)
			o = O_DROPPED;
		break;
	case DECIDE_FAIL:
		diag_warn("%s", dn.error);
		o = O_TEMPFAIL;
		break;
	}
	decision_free(&dn);
	jv_free(id);
	return o;
}

/* ---- set-up ---- */

static int
load_state(void)
{
	char err[512];
	char *dir;
	jv st;
	int rc;

	if (S.state_path == NULL)
		return 0;
	/* a state that cannot be saved is a configuration error: say so now */
	if ((dir = strdup(S.state_path)) == NULL ||
	    access(dirname(dir), W_OK | X_OK) < 0) {
		diag_warn("state: %s: directory not writable: %s", S.state_path,
		    strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	if (fstate_load(S.state_path, &st, err, sizeof err) < 0) {
		diag_warn("state: %s", err);
		return -1;
	}
	if ((rc = decide_load(S.decide, &st, err, sizeof err)) < 0)
		diag_warn("state: %s: %s", S.state_path, err);
	jv_free(st);
	return rc;
}

/*
 * Add a filter condition KEY OP VALUE from a flag, quoting VALUE (each
 * comma-separated item of it when list is set).  0 ok, -1 said why.
 */
static int
flag_filter(const char *flag, const char *key, const char *op,
    const char *value, int list)
{
	char err[600], *spec;
	size_t n = strlen(key) + strlen(op) + 4 * strlen(value) + 4, j;
	int rc;

	if ((spec = malloc(n)) == NULL) {
		diag_warn("out of memory");
		return -1;
	}
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
	if ((rc = rules_add_filter(S.rules, spec, flag, err, sizeof err)) < 0)
		diag_warn("%s", err);
	free(spec);
	return rc;
}

/* --tag KEY=VALUE. */
static int
tag_filter(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char key[256];

	if (eq == NULL || eq == arg || (size_t)(eq - arg) > 200) {
		diag_warn("--tag: KEY=VALUE: %s", arg);
		return -1;
	}
	snprintf(key, sizeof key, "tag.%.*s", (int)(eq - arg), arg);
	return flag_filter("--tag", key, "=", eq + 1, 0);
}

/* A duration option into *ms ("off" is 0).  0 ok, -1 said why. */
static int
duration_arg(const char *flag, const char *text, int64_t *ms)
{
	*ms = strcmp(text, "off") == 0 ? 0 : rules_parse_duration(text, 1000);
	if (*ms < 0) {
		diag_warn("%s: not a duration: %s", flag, text);
		return -1;
	}
	return 0;
}

static int
topic_arg(const char *text, int64_t *topic)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (end == text || *end || errno || v <= 0) {
		diag_warn("--topic: not a topic id: %s", text);
		return -1;
	}
	*topic = v;
	return 0;
}

static int
clock_arg(const char *text, int *records)
{
	if (strcmp(text, "records") == 0 || strcmp(text, "wall") == 0) {
		*records = strcmp(text, "records") == 0;
		return 0;
	}
	diag_warn("--clock: wall or records: %s", text);
	return -1;
}

/*
 * The options into *o (filter flags straight into S.rules).  -1 when the
 * program goes on, else the exit status.
 */
static int
parse_options(int argc, char *argv[], struct options *o)
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
		{ "storm", required_argument, NULL, 'W' },
		{ "tag", required_argument, NULL, 'G' },
		{ "throttle", required_argument, NULL, 't' },
		{ "title", required_argument, NULL, 'T' },
		{ "title-re", required_argument, NULL, 'R' },
		{ "topic", required_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct decide_config *dc = &o->dc;
	char err[600];
	int c, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "c:d:E:F:f:hqr:s:t:Vvx",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'c': dc->chat = optarg; break;
		case 'C': rc = clock_arg(optarg, &dc->clock_records); break;
		case 'd': rc = duration_arg("--digest", optarg, &dc->digest_ms);
			break;
		case 'E': o->env_file = optarg; break;
		case 'e': rc = flag_filter("--env", "env", "=", optarg, 1);
			break;
		case 'F':
			if ((rc = rules_add_filter(S.rules, optarg, "--filter",
			    err, sizeof err)) < 0)
				diag_warn("%s", err);
			break;
		case 'f': o->rules_file = optarg; break;
		case 'G': rc = tag_filter(optarg); break;
		case 'h': usage(stdout, EXIT_DONE); break;
		case 'J': rc = flag_filter("--jq", "jq", "=", optarg, 0); break;
		case 'K': dc->keep_payload = 1; break;
		case 'L': rc = flag_filter("--level", "level", ">=", optarg, 0);
			break;
		case 'O': rc = topic_arg(optarg, &dc->topic); break;
		case 'P': rc = flag_filter("--project", "project", "=", optarg,
			    1); break;
		case 'q': o->verbosity = -1; break;
		case 'r': o->rule_specs[o->nrule_specs++] = optarg; break;
		case 'R': rc = flag_filter("--title-re", "title", "~", optarg,
			    0); break;
		case 'S': dc->silent = 1; break;
		case 's': o->state_path = optarg; break;
		case 'W': rc = duration_arg("--storm", optarg, &dc->storm_ms);
			break;
		case 'T': rc = flag_filter("--title", "title", "=", optarg, 0);
			break;
		case 't': rc = duration_arg("--throttle", optarg,
			    &dc->throttle_ms); break;
		case 'V': printf("sentry-filter %s\n", SENTRY_TG_VERSION);
			return EXIT_DONE;
		case 'v': o->verbosity++; break;
		case 'x': dc->explain = 1; break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	if (rc < 0)
		return EXIT_USAGE;
	if (optind != argc)
		usage(stderr, EXIT_USAGE);
	return -1;
}

/*
 * Rules, settings and state, before the first record: the rules file,
 * then --rule flags (neither: the default set); settings from the
 * flags, then the environment, then the rules file's "set".  -1 when
 * the program goes on, else the exit status.
 */
static int
configure(struct options *o)
{
	struct decide_config *dc = &o->dc;
	const struct rules *rs = S.rules;
	char err[600];

	diag_set_verbosity(o->verbosity);
	if (o->env_file && dotenv_load(o->env_file, 0, err, sizeof err) < 0)
		goto bad;
	if (o->rules_file && rules_load_file(S.rules, o->rules_file, err,
	    sizeof err) < 0)
		goto bad;
	for (size_t i = 0; i < o->nrule_specs; i++)
		if (rules_add_rule(S.rules, o->rule_specs[i], "--rule", err,
		    sizeof err) < 0)
			goto bad;
	if (rs->n == 0 && rules_add_defaults(S.rules, err, sizeof err) < 0)
		goto bad;
	if (dc->chat == NULL && (dc->chat = getenv("SENTRY_ALERT_CHAT_ID")) &&
	    *dc->chat == '\0')
		dc->chat = NULL;
	if (dc->chat == NULL)
		dc->chat = rs->chat;
	if (dc->topic < 0)
		dc->topic = rs->topic;
	if (dc->silent < 0)
		dc->silent = rs->silent;
	if (dc->throttle_ms < 0)
		dc->throttle_ms = rs->throttle_ms >= 0 ? rs->throttle_ms :
		    5 * 60000;
	if (dc->digest_ms < 0)
		dc->digest_ms = rs->digest_ms >= 0 ? rs->digest_ms : 3600000;
	dc->rules = rs;
	S.state_path = o->state_path;
	S.explain = dc->explain;
	S.clock_records = dc->clock_records;
	S.keep_payload = dc->keep_payload;
	if ((S.decide = decide_new(dc)) == NULL)
		return EXIT_TEMPFAIL;
	if (load_state() < 0)
		return EXIT_USAGE;
	if (open_out() < 0)
		return EXIT_TEMPFAIL;
	/* digests written while idle last time may not have reached
	 * Telegram: again (tg-send sends a digest id once) */
	return write_digests(decide_pending(S.decide)) < 0 ? EXIT_TEMPFAIL :
	    -1;
bad:
	diag_warn("%s", err);
	return EXIT_USAGE;
}

/* ---- the record loop ---- */

/* Wait for input or for the digest to fall due; 0 when it fell due. */
static int
wait_input(int nonblocking)
{
	int64_t due = decide_next_due(S.decide), left;
	int timeout = -1;

	if (!nonblocking)
		return 1;
	if (!S.clock_records && due >= 0) {
		if ((left = due - clock_now_ms()) <= 0)
			return 0;
		timeout = left > 60000 ? 60000 : (int)left;
	}
	return wait_stdin(timeout);
}

/* Digests due by the wall clock (idle input, end of input). */
static int
wall_tick(void)
{
	return write_digests(decide_tick(S.decide, clock_now_ms()));
}

/*
 * Non-blocking input lets a digest go out while nothing arrives; only
 * for a pipe or socket of its own (not shared with stdout).  The old
 * flags in *flags; 1 when it was set.
 */
static int
input_nonblocking(int *flags)
{
	struct stat in_st, out_st;

	return fstat(0, &in_st) == 0 && (S_ISFIFO(in_st.st_mode) ||
	    S_ISSOCK(in_st.st_mode)) && !(fstat(1, &out_st) == 0 &&
	    in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) &&
	    (*flags = fcntl(0, F_GETFL)) >= 0 &&
	    fcntl(0, F_SETFL, *flags | O_NONBLOCK) == 0;
}

/* Every record of stdin through handle(); the exit status. */
static int
run(struct ndjson_reader *reader, int nonblocking)
{
	jv rec;
	int n;

	while (!stopping) {
		if ((n = ndjson_next(reader, &rec)) == 1) {
			if (handle(reader, rec) == O_TEMPFAIL)
				return EXIT_TEMPFAIL;
			if (S.held_since == 0)
				S.held_since = clock_mono_ms();
			if (commit_due() && commit() < 0)
				return EXIT_TEMPFAIL;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			diag_warn("%s", ndjson_read_error(errno));
			commit();
			return EXIT_TEMPFAIL;
		}
		if (errno != EINTR && more_input_soon(nonblocking))
			continue;
		if (commit() < 0)
			return EXIT_TEMPFAIL;
		if (!wait_input(nonblocking) && !S.clock_records &&
		    (wall_tick() < 0 || commit() < 0))
			return EXIT_TEMPFAIL;
	}
	/* End of input: a digest that fell due meanwhile still goes out. */
	if (!S.clock_records && !stopping && wall_tick() < 0)
		return EXIT_TEMPFAIL;
	if (commit() < 0)
		return EXIT_TEMPFAIL;
	return ndjson_rejected(reader) > 0 ? EXIT_REJECTED : EXIT_DONE;
}

int
main(int argc, char *argv[])
{
	const char *rule_specs[argc + 1];
	struct options o = { .dc = { .topic = -1, .silent = -1,
	    .throttle_ms = -1, .digest_ms = -1, .storm_ms = STORM_MS },
	    .rule_specs = rule_specs };
	struct ndjson_reader *reader;
	struct sigaction sa;
	int rc, nonblocking, in_flags = 0;

	diag_ensure_fds();
	diag_init("sentry-filter");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	/* writes restart; poll(2) never does, so the loop sees the flag */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((S.rules = rules_new()) == NULL)
		return EXIT_TEMPFAIL;
	if ((rc = parse_options(argc, argv, &o)) >= 0 ||
	    (rc = configure(&o)) >= 0)
		return rc;
	nonblocking = input_nonblocking(&in_flags);
	if ((reader = ndjson_open(0, 0)) == NULL)
		return EXIT_TEMPFAIL;
	/* most of a record is the raw payload, which nothing here reads
	 * unless jq or --keep-payload does: leave it unparsed */
	if (!S.keep_payload && !rules_need_record(S.rules))
		ndjson_omit_member(reader, "payload");
	if ((rc = run(reader, nonblocking)) == EXIT_TEMPFAIL)
		return rc;
	if (nonblocking)
		fcntl(0, F_SETFL, in_flags);
	diag_info("%lu passed, %lu dropped (%lu throttled, %lu folded), %lu "
	    "digests", S.passed, S.dropped, S.throttled, S.folded, S.digests);
	ndjson_close(reader);
	fclose(S.out);
	free(S.out_buf);
	decide_free(S.decide);
	rules_free(S.rules);
	if (fclose(stdout) == EOF) {
		diag_warn("stdout: %s", strerror(errno));
		return EXIT_TEMPFAIL;
	}
	return rc;
}
