/*
 * sentry-recv: receive Sentry webhooks over HTTP/1.1 and keep them.
 *
 * inetd mode (default): one request on stdin, the answer on stdout, as
 * socat EXEC, inetd nowait, systemd Accept=yes and tcpserver run it.
 * Listener mode (-l ADDR:PORT, or a listening socket from systemd with
 * Accept=no): many keep-alive connections in one process with poll(2),
 * concurrent requests sharing one fdatasync.  Follow mode (-F SPOOL):
 * write every spooled record after SPOOL/acked to stdout, then wait for
 * more; the first stage of the long-running chain.
 *
 * A POST to the webhook path becomes one record (NDJSON, see
 * sentry-tg(7)) appended to the spool (-s, durable: 202 only after
 * fdatasync) or to a file or FIFO (-o, not durable).  Links libc only,
 * statically: it is exec'd once per connection.  The connection is
 * lib/conn's, the two ways of serving lib/serve's, following
 * lib/spool's: this file is options and the choice of mode.
 *
 * inetd mode exits 0 when it answered, whatever the status (socat drops
 * the answer of a child that exits non-zero), 1 when the client went away
 * before an answer.  Listener mode exits 0 on
 * SIGTERM/SIGINT, follow mode 0 after --once; both 111 on a failure they
 * cannot get past (bind, output gone).  2 is a usage error everywhere.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "auth.h"
#include "diag.h"
#include "dotenv.h"
#include "record.h"
#include "serve.h"
#include "spool.h"
#include "version.h"

#define USAGE \
"usage: sentry-recv [-qv] [-E file] [-b bytes] [-c conns] [-l addr:port]\n" \
"                   [-p path] [-S secret-file] [-T token-file] [-t seconds]\n" \
"                   -s spool | -o file\n" \
"       sentry-recv [-qv] [--once] -F spool\n"

#define MAX_FILES 8		/* --secret-file, --token-file */

static volatile sig_atomic_t stopping;
static struct auth *door;	/* secrets given here: checked at the door */

static struct serve srv = {
	.conn = {
		.path = "/api/sentry-webhook",
		.health = "/healthz",
		.metrics = "/metrics",
		.lim = { 32768, 100, 8 << 20 },
		.timeout_ms = 10000,
		.idle_ms = 2000,
	},
	.max_conns = 512,
	.max_per_peer = 128,
	.spool_cap = SPOOL_CAP_DEFAULT,
	.stopping = &stopping,
};

static struct {
	const char *follow, *listen;
	int once;
	const char *secret_files[MAX_FILES], *token_files[MAX_FILES];
	size_t nsecret_files, ntoken_files;
} cf;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int
parse_size(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || text[0] == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static void
usage(int status)
{
	dprintf(status ? STDERR_FILENO : STDOUT_FILENO, "%s", USAGE);
	exit(status);
}

/*
 * Secrets given to the receiver (SENTRY_WEBHOOK_SECRET, -S, -T) turn on
 * the check at the door: a request that is not from Sentry is answered
 * 401 and never kept.  0, or an exit status with err set.
 */
static int
door_open(char *err, size_t errsize)
{
	struct auth *a = auth_new();

	if (a == NULL) {
		snprintf(err, errsize, "out of memory");
		return EXIT_TEMPFAIL;
	}
	if (auth_load(a, cf.secret_files, cf.nsecret_files, cf.token_files,
	    cf.ntoken_files, err, errsize) != 0) {
		auth_free(a);
		return EXIT_USAGE;
	}
	if (auth_secrets(a) == 0 && auth_tokens(a) == 0)
		auth_free(a);	/* no secret here: sentry-verify checks */
	else
		srv.conn.door = door = a;
	return 0;
}

static int
output_is_fifo(void)
{
	struct stat st;

	return stat(srv.output, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Under classic inetd stderr is the client's socket: log to syslog. */
static int
stderr_is_network(void)
{
	struct stat st;
	int domain;
	socklen_t len = sizeof domain;

	return fstat(STDERR_FILENO, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    getsockopt(STDERR_FILENO, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
	    (domain == AF_INET || domain == AF_INET6);
}

/* The webhook, health and metrics paths: 0, or EXIT_USAGE (said). */
static int
check_paths(const struct conn_config *c)
{
	if (c->path[0] != '/' || (c->health[0] && c->health[0] != '/') ||
	    (c->metrics[0] && c->metrics[0] != '/')) {
		diag_warn("paths must start with /");
		return EXIT_USAGE;
	}
	if (strcmp(c->path, c->health) == 0) {
		diag_warn("the health path cannot be the webhook path");
		return EXIT_USAGE;
	}
	if (strcmp(c->path, c->metrics) == 0 || (c->metrics[0] &&
	    strcmp(c->health, c->metrics) == 0)) {
		diag_warn("the metrics path must differ from the others");
		return EXIT_USAGE;
	}
	return 0;
}

/* The option loop: 0, or the exit status of a usage error. */
static int
options(int argc, char **argv, const char **env_file, int *use_syslog)
{
	enum { O_HEALTH = 256, O_MAXHEAD, O_MAXHEADERS, O_SEGMENT, O_ANYTYPE,
	    O_SYSLOG, O_ONCE, O_MAXSPOOL, O_MAXMEM, O_IDLE, O_PERPEER, O_METRICS,
	    O_STALE, O_FAILING };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "spool", required_argument, NULL, 's' },
		{ "follow", required_argument, NULL, 'F' },
		{ "once", no_argument, NULL, O_ONCE },
		{ "listen", required_argument, NULL, 'l' },
		{ "path", required_argument, NULL, 'p' },
		{ "health-path", required_argument, NULL, O_HEALTH },
		{ "metrics-path", required_argument, NULL, O_METRICS },
		{ "stale-after", required_argument, NULL, O_STALE },
		{ "failing-after", required_argument, NULL, O_FAILING },
		{ "max-body", required_argument, NULL, 'b' },
		{ "max-header-bytes", required_argument, NULL, O_MAXHEAD },
		{ "max-headers", required_argument, NULL, O_MAXHEADERS },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "segment-size", required_argument, NULL, O_SEGMENT },
		{ "max-spool", required_argument, NULL, O_MAXSPOOL },
		{ "max-memory", required_argument, NULL, O_MAXMEM },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ "max-per-peer", required_argument, NULL, O_PERPEER },
		{ "secret-file", required_argument, NULL, 'S' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "any-content-type", no_argument, NULL, O_ANYTYPE },
		{ "syslog", no_argument, NULL, O_SYSLOG },
		{ "env-file", required_argument, NULL, 'E' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, verbosity = 0, modes;
	uint64_t v;
	double secs;
	char *end;

	while ((ch = getopt_long(argc, argv, "o:s:F:l:p:b:c:t:E:S:T:qvhV", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o': srv.output = optarg; break;
		case 's': srv.spool = optarg; break;
		case 'F': cf.follow = optarg; break;
		case O_ONCE: cf.once = 1; break;
		case 'l': cf.listen = optarg; break;
		case 'p': srv.conn.path = optarg; break;
		case O_HEALTH: srv.conn.health = optarg; break;
		case O_METRICS: srv.conn.metrics = optarg; break;
		case 'b':
			/* every record must fit the line the stages read */
			if (parse_size(optarg, &srv.conn.lim.max_body) == -1 ||
			    srv.conn.lim.max_body == 0 ||
			    srv.conn.lim.max_body > RECORD_MAX_LINE - (1 << 20)) {
				diag_warn("-b %s: expected a size from 1 to %uM (the "
				    "stages read records of up to %uM)", optarg,
				    (RECORD_MAX_LINE >> 20) - 1, RECORD_MAX_LINE >> 20);
				return EXIT_USAGE;
			}
			break;
		case O_MAXHEAD:
			if (parse_size(optarg, &v) == -1 || v < 256 || v > (1 << 20)) {
				diag_warn("--max-header-bytes %s: expected 256 to 1M", optarg);
				return EXIT_USAGE;
			}
			srv.conn.lim.max_head = (size_t)v;
			break;
		case O_MAXHEADERS:
			/* headers are matched pairwise: keep n^2 small */
			if (parse_size(optarg, &v) == -1 || v < 1 || v > 1000) {
				diag_warn("--max-headers %s: expected 1 to 1000", optarg);
				return EXIT_USAGE;
			}
			srv.conn.lim.max_headers = (unsigned)v;
			break;
		case 'c':
			if (parse_size(optarg, &v) == -1 || v < 1 || v > 100000) {
				diag_warn("-c %s: expected 1 to 100000", optarg);
				return EXIT_USAGE;
			}
			srv.max_conns = (unsigned)v;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs > 0 && secs <= 3600)) {
				diag_warn("-t %s: expected seconds, up to 3600", optarg);
				return EXIT_USAGE;
			}
			srv.conn.timeout_ms = (int64_t)(secs * 1000);
			break;
		case O_SEGMENT:
			if (parse_size(optarg, &srv.segment_max) == -1 ||
			    srv.segment_max == 0) {
				diag_warn("--segment-size %s: expected a size", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_MAXSPOOL:
			if (parse_size(optarg, &srv.spool_cap) == -1 ||
			    (srv.spool_cap && srv.spool_cap < (1 << 20))) {
				diag_warn("--max-spool %s: expected 0 (no cap) or a "
				    "size from 1M", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_MAXMEM:
			if (parse_size(optarg, &srv.mem_budget) == -1 ||
			    srv.mem_budget < (1 << 20)) {
				diag_warn("--max-memory %s: expected a size from 1M",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case O_STALE:
		case O_FAILING:
			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs > 0 && secs <= 86400)) {
				diag_warn("--%s %s: expected seconds, up to 86400",
				    ch == O_STALE ? "stale-after" : "failing-after",
				    optarg);
				return EXIT_USAGE;
			}
			*(ch == O_STALE ? &srv.limits.stale_ms :
			    &srv.limits.failing_ms) = (int64_t)(secs * 1000);
			break;
		case O_IDLE:
			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs > 0 && secs <= 3600)) {
				diag_warn("--idle-timeout %s: expected seconds, up "
				    "to 3600", optarg);
				return EXIT_USAGE;
			}
			srv.conn.idle_ms = (int64_t)(secs * 1000);
			break;
		case O_PERPEER:
			if (parse_size(optarg, &v) == -1 || v < 1 || v > 100000) {
				diag_warn("--max-per-peer %s: expected 1 to 100000",
				    optarg);
				return EXIT_USAGE;
			}
			srv.max_per_peer = (unsigned)v;
			break;
		case 'S':
		case 'T':
			if ((ch == 'S' ? cf.nsecret_files : cf.ntoken_files) ==
			    MAX_FILES) {
				diag_warn("-%c: at most %d files", ch, MAX_FILES);
				return EXIT_USAGE;
			}
			if (ch == 'S')
				cf.secret_files[cf.nsecret_files++] = optarg;
			else
				cf.token_files[cf.ntoken_files++] = optarg;
			break;
		case O_ANYTYPE: srv.conn.any_type = 1; break;
		case O_SYSLOG: *use_syslog = 1; break;
		case 'E': *env_file = optarg; break;
		case 'q': verbosity = -1; break;
		case 'v': verbosity++; break;
		case 'h': usage(EXIT_DONE); break;
		case 'V':
			dprintf(STDOUT_FILENO, "sentry-recv %s\n", SENTRY_TG_VERSION);
			exit(EXIT_DONE);	/* nothing opened yet */
		default: usage(EXIT_USAGE);
		}
	}
	diag_set_verbosity(verbosity);
	if (optind != argc)
		usage(EXIT_USAGE);
	modes = !!srv.output + !!srv.spool + !!cf.follow;
	if (modes != 1 || (cf.follow && cf.listen) || (cf.once && !cf.follow)) {
		diag_warn("give one of -s SPOOL, -o FILE or -F SPOOL (-l and --once "
		    "go with one of them)");
		usage(EXIT_USAGE);
	}
	return check_paths(&srv.conn);
}

/*
 * inetd mode's exit status, from the status it answered (0: none).
 * Answered: 0, whatever the status (it is in the answer and in the log).
 * socat EXEC drops what a child that exits non-zero wrote last, so a 401
 * or a 503 would never reach Sentry's request log.
 */
static int
exit_status(int status)
{
	return status == 0 ? EXIT_REJECTED : EXIT_DONE;
}

static int
follow(void)
{
	char err[PATH_MAX + 128];

	if (spool_follow(cf.follow, STDOUT_FILENO, cf.once ? SPOOL_FOLLOW_ONCE :
	    0, err, sizeof err) == 0)
		return EXIT_DONE;
	if (err[0])
		diag_warn("%s", err);
	else
		diag_info("stdout: the next stage is gone");
	return EXIT_TEMPFAIL;
}

/* Listener mode, or inetd mode when no socket is given. */
static int
serve(void)
{
	struct sigaction stop = { .sa_handler = on_stop };
	char bound[64], err[512];
	int st;

	if (serve_open(&srv) == -1 && cf.listen)
		diag_warn("%s: %s", srv.spool, strerror(errno));
	if (cf.listen && (st = serve_bind(&srv, cf.listen, bound, sizeof bound,
	    err, sizeof err)) != 0) {
		diag_warn("-l %s", err);
		return st == 1 ? EXIT_USAGE : EXIT_TEMPFAIL;
	}
	if (cf.listen)
		diag_warn("listening on %s", bound);
	else
		serve_systemd(&srv);
	if (srv.nlisteners && srv.output && output_is_fifo()) {
		diag_warn("%s: a FIFO in listener mode would hold every "
		    "connection up whenever its reader stops: use -s SPOOL",
		    srv.output);
		return EXIT_USAGE;
	}
	if (srv.nlisteners == 0)
		return exit_status(serve_stdio(&srv));
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGINT, &stop, NULL);
	return serve_listen(&srv) == 0 ? EXIT_DONE : EXIT_TEMPFAIL;
}

int
main(int argc, char **argv)
{
	const char *env_file = NULL;
	char err[512];
	int st, use_syslog = 0;

	diag_ensure_fds();
	diag_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* a file size limit: EFBIG, then 503 */
	if ((st = options(argc, argv, &env_file, &use_syslog)) != 0)
		return st;
	if (use_syslog || (!cf.follow && !cf.listen && stderr_is_network()))
		diag_use_syslog(LOG_DAEMON);
	if (env_file && dotenv_load(env_file, 0, err, sizeof err) == -1) {
		diag_warn("%s", err);
		return EXIT_USAGE;
	}
	if (cf.follow)
		return follow();
	if ((st = door_open(err, sizeof err)) != 0) {
		diag_warn("%s", err);
		return st;
	}
	st = serve();
	serve_close(&srv);
	auth_free(door);
	return st;
}
