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
 * statically: it is exec'd once per connection.
 *
 * inetd mode exits 0 when it answered, whatever the status (socat drops
 * the answer of a child that exits non-zero), 1 when the client went away
 * before an answer.  Listener mode exits 0 on
 * SIGTERM/SIGINT, follow mode 0 after --once; both 111 on a failure they
 * cannot get past (bind, output gone).  2 is a usage error everywhere.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "cursor.h"
#include "diag.h"
#include "dotenv.h"
#include "http.h"
#include "jsonstr.h"
#include "quarantine.h"
#include "record.h"
#include "spool.h"
#include "version.h"

#define USAGE \
"usage: sentry-recv [-qv] [-E file] [-b bytes] [-c conns] [-l addr:port]\n" \
"                   [-p path] [-S secret-file] [-T token-file] [-t seconds]\n" \
"                   -s spool | -o file\n" \
"       sentry-recv [-qv] [--once] -F spool\n"

#define OUT_MAX 1024		/* one response head and small body */
#define SLACK 8192		/* read room past the longest head */
#define IN_FIRST 4096		/* a connection's first read buffer */
#define BODY_FIRST 65536	/* a body's first buffer, grown as it comes */
#define MAX_FILES 8		/* --secret-file, --token-file */
#define LINGER_MS 2000
#define LINGER_BYTES (1 << 20)
#define MAX_LISTEN 16
#define FD_RESERVE 24		/* stdio, syslog, spool files, sync pipes */

struct config {
	const char *path, *health, *output, *spool, *follow, *listen;
	struct http_limits lim;
	int64_t timeout_ms, idle_ms;
	unsigned max_conns, max_per_peer;
	uint64_t segment_max, spool_cap, mem_budget;
	int any_type, once;
	const char *secret_files[MAX_FILES], *token_files[MAX_FILES];
	size_t nsecret_files, ntoken_files;
	struct auth *door;	/* set: webhooks are authenticated here */
};

/* A connection's states, in the order a request goes through them. */
enum {
	C_HEAD,		/* reading the request line and headers */
	C_BODY,		/* reading the body (Content-Length or chunked) */
	C_READY,	/* complete: waiting to be written with the next batch */
	C_SYNC,		/* written: waiting for the batch's fdatasync */
	C_SEND,		/* writing the answer; then C_HEAD again or closed */
	C_LINGER,	/* answered early: draining input before the close */
	C_DONE		/* to be closed */
};

struct conn {
	int rfd, wfd;
	int state;
	char *in;		/* grown as bytes arrive, up to max_head + SLACK */
	size_t inlen, incap, scan, headlen;
	struct http_request req;
	struct http_header *hdrs;
	struct http_chunked ch;
	char *body;
	size_t blen, bcap;
	char out[OUT_MAX];
	size_t outlen, outoff;
	int status, close_after, body_unread, one_shot;
	enum auth_result auth;	/* AUTH_REJECTED: not checked here */
	int utf8;		/* the body is UTF-8 (else kept as base64) */
	size_t elen;		/* the body's length in the record */
	int64_t deadline, idle_since;
	size_t lingered;
	char peer[INET6_ADDRSTRLEN + 8];
	char id[33];
};

static struct config cf = {
	.path = "/api/sentry-webhook",
	.health = "/healthz",
	.lim = { 32768, 100, 8 << 20 },
	.timeout_ms = 10000,
	.idle_ms = 2000,
	.max_conns = 512,
	.max_per_peer = 128,
	.spool_cap = SPOOL_CAP_DEFAULT,
};
/* Bytes of request buffers held (listener mode: cf.mem_budget at most). */
static uint64_t mem_used;
static int listeners[MAX_LISTEN];
static int nlisteners;
static struct spool spool;
static int have_spool;
static char wbuf[65536];
static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* ---- records ---- */

static void rfc3339(int64_t ms, char *buf, size_t size);

static void
make_id(char *id)
{
	static const char hex[] = "0123456789abcdef";
	static uint64_t counter;
	unsigned char r[16];

	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		/* no entropy yet (early boot): unique enough for an id */
		uint64_t a = (uint64_t)clock_now_ms() ^ ((uint64_t)getpid() << 40);
		uint64_t b = (uint64_t)clock_mono_ms() * 1000003u + ++counter;
		memcpy(r, &a, 8);
		memcpy(r + 8, &b, 8);
	}
	for (int i = 0; i < 16; i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 15];
	}
	id[32] = '\0';
}

static int
hop_by_hop(const char *buf, struct http_span name)
{
	static const char *const names[] = { "connection", "keep-alive",
	    "proxy-connection", "te", "trailer", "transfer-encoding",
	    "upgrade" };

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (http_span_eq(buf, name, names[i]))
			return 1;
	return 0;
}

static void
put_span(struct jsonstr_out *o, const char *buf, struct http_span s)
{
	jsonstr_escape(o, buf + s.off, s.len);
}

/* Headers as one object: names lower-cased, repeated ones joined by ", ". */
static void
put_headers(struct jsonstr_out *o, const struct conn *c)
{
	const struct http_request *r = &c->req;
	int first = 1;

	jsonstr_put(o, "{", 1);
	for (unsigned i = 0; i < r->nheaders; i++) {
		struct http_span name = r->headers[i].name;
		unsigned j;

		if (hop_by_hop(c->in, name))
			continue;
		for (j = 0; j < i; j++)
			if (r->headers[j].name.len == name.len &&
			    strncasecmp(c->in + r->headers[j].name.off,
			    c->in + name.off, name.len) == 0)
				break;
		if (j < i)
			continue;	/* written with its first occurrence */
		if (!first)
			jsonstr_put(o, ",", 1);
		first = 0;
		jsonstr_put(o, "\"", 1);
		jsonstr_escape_lower(o, c->in + name.off, name.len);
		jsonstr_put(o, "\":\"", 3);
		put_span(o, c->in, r->headers[i].value);
		for (j = i + 1; j < r->nheaders; j++) {
			if (r->headers[j].name.len == name.len &&
			    strncasecmp(c->in + r->headers[j].name.off,
			    c->in + name.off, name.len) == 0) {
				jsonstr_put(o, ", ", 2);
				put_span(o, c->in, r->headers[j].value);
			}
		}
		jsonstr_put(o, "\"", 1);
	}
	jsonstr_put(o, "}", 1);
}

/*
 * One record.  With body_len != SIZE_MAX the body is only counted (its
 * escaped length given), so the same code measures the record for its seq.
 */
static void
put_record(struct jsonstr_out *o, const struct conn *c, const char *received,
    int with_seq, uint64_t seq, int utf8, size_t body_len)
{
	jsonstr_puts(o, "{\"v\":1,\"id\":\"");
	jsonstr_puts(o, c->id);
	if (with_seq) {
		jsonstr_puts(o, "\",\"seq\":");
		jsonstr_u64(o, seq);
		jsonstr_puts(o, ",\"received\":\"");
	} else {
		jsonstr_puts(o, "\",\"received\":\"");
	}
	jsonstr_puts(o, received);
	if (c->auth == AUTH_HMAC || c->auth == AUTH_TOKEN) {
		jsonstr_puts(o, "\",\"auth\":\"");
		jsonstr_puts(o, auth_name(c->auth));
	}
	jsonstr_puts(o, "\",\"peer\":\"");
	jsonstr_escape(o, c->peer, strlen(c->peer));
	jsonstr_puts(o, "\",\"method\":\"");
	put_span(o, c->in, c->req.method);
	jsonstr_puts(o, "\",\"path\":\"");
	put_span(o, c->in, c->req.path);
	jsonstr_puts(o, "\",\"query\":\"");
	put_span(o, c->in, c->req.query);
	jsonstr_puts(o, "\",\"headers\":");
	put_headers(o, c);
	jsonstr_puts(o, utf8 ? ",\"body\":\"" : ",\"body_b64\":\"");
	if (body_len != SIZE_MAX)
		o->written += body_len;
	else if (utf8)
		jsonstr_escape(o, c->body, c->blen);
	else
		jsonstr_base64(o, c->body, c->blen);
	jsonstr_puts(o, "\"}\n");
}

/* Counting sink: a jsonstr_out whose fd is -1 only adds up lengths. */
static uint64_t
record_len(const struct conn *c, const char *received, int utf8, size_t body_len)
{
	static char scratch[4096];
	struct jsonstr_out count;
	uint64_t total;

	jsonstr_init(&count, -1, scratch, sizeof scratch);
	/* the body is counted, not written; the rest is small */
	put_record(&count, c, received, 1, 0, utf8, body_len);
	total = count.written + count.len - 1;	/* minus the "0" of seq */
	return total;
}

/*
 * Append the records of conns[0..n) to the spool or the output file.
 * 0 when all are written, with *syncfd the descriptor to fdatasync
 * before finish_records() (-1: nothing to sync, a FIFO); -1 (errno set)
 * when none may be acknowledged.
 */
static int
write_records(struct conn **conns, size_t n, int *syncfd)
{
	struct jsonstr_out o;
	char received[CLOCK_RFC3339_SIZE];
	uint64_t pos = 0;
	int fd = -1, failed = 0;

	*syncfd = -1;
	rfc3339(clock_now_ms(), received, sizeof received);
	if (have_spool) {
		if (spool.dirfd == -1 && spool_open(&spool, cf.spool,
		    cf.segment_max, cf.spool_cap) == -1)
			return -1;
		if (spool_begin(&spool, &pos) == -1)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (conns[i]->auth != AUTH_REJECTED &&
			    spool_mark_authenticated(&spool) == -1)
				return spool_written(&spool, errno);
		fd = spool_fd(&spool);
	} else {
		struct stat st;

		fd = open(cf.output, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK |
		    O_CLOEXEC, 0600);
		if (fd == -1)
			return -1;	/* ENXIO: a FIFO nobody reads */
		if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && nlisteners) {
			/* a reader that stops would stop every connection */
			close(fd);
			errno = ESPIPE;
			return -1;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		while (flock(fd, LOCK_EX) == -1 && errno == EINTR)
			;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			pos = (uint64_t)st.st_size;
	}
	jsonstr_init(&o, fd, wbuf, sizeof wbuf);
	for (size_t i = 0; i < n && !o.err; i++) {
		struct conn *c = conns[i];
		uint64_t seq = 0;

		if (have_spool) {
			uint64_t len = record_len(c, received, c->utf8, c->elen);
			unsigned d;

			/* seq = position after the record, digits included */
			for (d = 1; d < 20; d++)
				if (jsonstr_digits(pos + len + d) == d)
					break;
			seq = pos + len + d;
		}
		put_record(&o, c, received, have_spool, seq, c->utf8, SIZE_MAX);
		pos = seq;
	}
	jsonstr_flush(&o);
	failed = o.err;
	if (have_spool)
		return (*syncfd = spool_written(&spool, failed)) == -1 ? -1 : 0;
	if (!failed) {
		struct stat st;

		flock(fd, LOCK_UN);
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			*syncfd = fd;
			return 0;
		}
	}
	close(fd);
	if (failed) {
		errno = failed;
		return -1;
	}
	return 0;
}

/*
 * After the fdatasync of write_records' descriptor (sync_err its errno,
 * 0 when it succeeded): publish the records to the spool's readers, or
 * take them back.  0 when they are kept, else an errno.
 */
static int
finish_records(int fd, int sync_err)
{
	if (have_spool)
		return spool_finish(&spool, sync_err) == -1 ? errno : 0;
	close(fd);
	return sync_err;
}

/* ---- responses ---- */

/*
 * Broken-down UTC time without gmtime_r(3): glibc's reads the time zone
 * files on first use, which is most of a per-connection process's I/O.
 */
struct utc {
	int year, month, day, hour, min, sec, ms, wday;
};

static void
utc_of(int64_t ms, struct utc *u)
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rest = secs - days * 86400, era, z = days + 719468;
	unsigned doe, yoe, doy, mp;

	u->ms = (int)(ms - secs * 1000);
	u->hour = (int)(rest / 3600);
	u->min = (int)(rest / 60 % 60);
	u->sec = (int)(rest % 60);
	u->wday = (int)(((days % 7) + 11) % 7);	/* 1970-01-01: Thursday */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	u->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	u->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	u->year = (int)(yoe + era * 400 + (u->month <= 2));
}

static void
rfc3339(int64_t ms, char *buf, size_t size)
{
	struct utc u;

	utc_of(ms, &u);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", u.year,
	    u.month, u.day, u.hour, u.min, u.sec, u.ms);
}

static void
respond(struct conn *c, int status, const char *extra, const char *type,
    const char *body, size_t blen, int head_only)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char date[64];
	struct utc u;
	int n;

	utc_of(clock_now_ms(), &u);
	snprintf(date, sizeof date, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
	    days + 3 * u.wday, u.day, months + 3 * (u.month - 1), u.year,
	    u.hour, u.min, u.sec);
	if (!c->req.keep_alive || c->body_unread || c->one_shot || stopping)
		c->close_after = 1;
	n = snprintf(c->out + c->outlen, sizeof c->out - c->outlen,
	    "HTTP/1.1 %d %s\r\nDate: %s\r\n%sContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%s\r\n%.*s", status, http_reason(status),
	    date, extra ? extra : "", type, blen,
	    c->close_after ? "Connection: close\r\n" :
	    c->req.minor == 0 ? "Connection: keep-alive\r\n" : "",
	    head_only ? 0 : (int)blen, body);
	if (n < 0 || (size_t)n >= sizeof c->out - c->outlen)
		n = 0;		/* cannot happen: bodies are short */
	c->outlen += (size_t)n;
	c->status = status;
	c->state = C_SEND;
}

static void
fail(struct conn *c, int status, const char *why)
{
	char body[256];
	const char *extra = NULL;
	int n;

	if (status == 405)
		extra = http_span_eq(c->in, c->req.path, cf.health) ?
		    "Allow: GET, HEAD\r\n" : "Allow: POST\r\n";
	else if (status == 401)
		extra = "WWW-Authenticate: Sentry-Hook-Signature\r\n";
	else if (status == 503)
		extra = "Retry-After: 1\r\n";
	n = snprintf(body, sizeof body, "%s\n", why);
	if (c->outoff == 0)
		c->outlen = 0;	/* drop a 100 Continue not sent yet */
	if (c->state == C_HEAD)
		c->body_unread = 1;	/* framing unknown or untrusted */
	else if (c->state == C_BODY)
		c->body_unread = c->req.chunked ||
		    c->blen < c->req.content_length;
	respond(c, status, extra, "text/plain; charset=utf-8", body,
	    (size_t)n, 0);
	if (status == 503)
		diag_warn("%s: %d: %s", c->peer, status, why);
	else
		diag_info("%s: %d: %s", c->peer, status, why);
}

static void
health(struct conn *c, int head_only)
{
	char body[512];
	int n, ok;

	if (have_spool) {
		struct spool_state st;

		if ((spool.dirfd == -1 && spool_open(&spool, cf.spool,
		    cf.segment_max, cf.spool_cap) == -1) ||
		    spool_state(&spool, &st) == -1) {
			st.writable = st.estimated = 0;
			st.end = st.acked = st.records_behind = st.free_bytes = 0;
		}
		ok = st.writable;
		n = snprintf(body, sizeof body, "{\"status\":\"%s\",\"writable\":%s,"
		    "\"journal_end\":%" PRIu64 ",\"acked\":%" PRIu64
		    ",\"bytes_behind\":%" PRIu64 ",\"records_behind\":%" PRIu64
		    "%s,\"free_bytes\":%" PRIu64 "}\n", ok ? "ok" : "unavailable",
		    ok ? "true" : "false", st.end, st.acked,
		    st.end > st.acked ? st.end - st.acked : 0, st.records_behind,
		    st.estimated ? ",\"estimated\":true" : "", st.free_bytes);
	} else {
		ok = access(cf.output, W_OK) == 0 || (errno == ENOENT &&
		    access(".", W_OK) == 0);
		n = snprintf(body, sizeof body,
		    "{\"status\":\"%s\",\"writable\":%s}\n",
		    ok ? "ok" : "unavailable", ok ? "true" : "false");
	}
	respond(c, ok ? 200 : 503, NULL, "application/json", body, (size_t)n,
	    head_only);
}

static void
accepted(struct conn *c)
{
	char body[64];
	int n = snprintf(body, sizeof body, "{\"id\":\"%s\"}\n", c->id);

	respond(c, 202, NULL, "application/json", body, (size_t)n, 0);
	diag_info("%s: 202: %s, %zu bytes", c->peer, c->id, c->blen);
}

/* ---- one connection ---- */

/*
 * Grow a request buffer to hold at least need bytes (doubling, at most
 * max), never past the memory budget of all connections together.  0,
 * or 503 when the budget or the memory is exhausted.
 */
static int
grow(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t ncap = *cap ? *cap : need < IN_FIRST ? IN_FIRST : need;
	char *p;

	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	if (ncap <= *cap)
		return 0;
	if (cf.mem_budget && mem_used + (ncap - *cap) > cf.mem_budget)
		return 503;
	if ((p = realloc(*buf, ncap)) == NULL)
		return 503;
	mem_used += ncap - *cap;
	*buf = p;
	*cap = ncap;
	return 0;
}

static void
release(char **buf, size_t *cap)
{
	free(*buf);
	mem_used -= *cap;
	*buf = NULL;
	*cap = 0;
}

/* Room for len more body bytes: 0, or an HTTP status. */
static int
body_room(struct conn *c, size_t len)
{
	size_t want = c->blen + len, max = (size_t)cf.lim.max_body;

	if (want <= c->bcap)
		return 0;
	if (!c->req.chunked) {
		max = (size_t)c->req.content_length;
		if (want < BODY_FIRST && max > BODY_FIRST)
			want = BODY_FIRST;
	}
	return grow(&c->body, &c->bcap, want, max);
}

static int
body_sink(void *ctx, const char *data, size_t len)
{
	struct conn *c = ctx;
	int st;

	if ((st = body_room(c, len)) != 0)
		return st;
	memcpy(c->body + c->blen, data, len);
	c->blen += len;
	return 0;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 400: return "malformed request";
	case 413: return "body too large";
	case 414: return "request line too long";
	case 431: return "header section too large";
	case 501: return "transfer coding not supported";
	case 503: return "too many requests in progress, retry later";
	case 505: return "HTTP version not supported";
	default: return http_reason(status);
	}
}

/*
 * The webhook path: exactly -p PATH, or PATH/SEGMENT for the legacy
 * plugin's token in the URL (checked at the door when secrets are set
 * here, else by sentry-verify), so the token need not be on a command line.
 */
static int
webhook_path(const struct conn *c)
{
	const char *p = c->in + c->req.path.off;
	size_t n = c->req.path.len, plen = strlen(cf.path), seg;

	if (n < plen || memcmp(p, cf.path, plen) != 0)
		return 0;
	if (n == plen)
		return 1;
	if (cf.path[plen - 1] != '/' && p[plen++] != '/')
		return 0;
	seg = plen;
	while (seg < n && p[seg] != '/')
		seg++;
	return seg > plen && (seg == n || (seg + 1 == n && p[seg] == '/'));
}

/* The head is in; decide what to do with the request. */
static void
route(struct conn *c)
{
	struct http_request *r = &c->req;
	int st = http_parse_head(c->in, c->headlen, &cf.lim, r);
	int is_health = cf.health[0] && http_span_eq(c->in, r->path, cf.health);

	if (st) {
		fail(c, st, status_text(st));
		return;
	}
	c->state = C_BODY;	/* until decided otherwise: the body is unread */
	if (is_health) {
		int get = http_span_eq(c->in, r->method, "GET");

		if (!get && !http_span_eq(c->in, r->method, "HEAD")) {
			fail(c, 405, "use GET");
			return;
		}
		c->body_unread = r->chunked || r->content_length > 0;
		health(c, !get);
		return;
	}
	if (!webhook_path(c)) {
		fail(c, 404, "no such path");
		return;
	}
	if (!http_span_eq(c->in, r->method, "POST") ||
	    memcmp(c->in + r->method.off, "POST", 4) != 0) {
		fail(c, 405, "use POST");
		return;
	}
	if (r->expect_other) {
		fail(c, 417, "unknown expectation");
		return;
	}
	if (!r->has_length && !r->chunked) {
		fail(c, 411, "Content-Length or chunked body required");
		return;
	}
	if (r->has_length && r->content_length > cf.lim.max_body) {
		fail(c, 413, "body too large");
		return;
	}
	if (r->has_length && r->content_length == 0) {
		fail(c, 400, "empty body");
		return;
	}
	if (r->content_type == HTTP_CT_OTHER && !cf.any_type) {
		fail(c, 415, "expected Content-Type: application/json");
		return;
	}
	if (r->expect_continue) {
		memcpy(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		c->outlen = 25;
		c->outoff = 0;
	}
	make_id(c->id);
}

/* A header's value, or NULL. */
static const char *
header(const struct conn *c, const char *name, size_t *len)
{
	for (unsigned i = 0; i < c->req.nheaders; i++)
		if (http_span_eq(c->in, c->req.headers[i].name, name)) {
			*len = c->req.headers[i].value.len;
			return c->in + c->req.headers[i].value.off;
		}
	return NULL;
}

static uint64_t record_len(const struct conn *c, const char *received,
    int utf8, size_t body_len);

/*
 * The whole body is in.  Refuse what must not be kept: nothing, a record
 * longer than the stages read, or, when secrets are set here, a request
 * that is not from Sentry (never journalled: junk cannot fill the spool).
 */
static void
body_done(struct conn *c)
{
	char received[CLOCK_RFC3339_SIZE] = "0000-00-00T00:00:00.000Z";

	c->body_unread = 0;
	if (c->blen == 0) {
		fail(c, 400, "empty body");	/* "0\r\n\r\n" chunked */
		return;
	}
	c->elen = jsonstr_escaped_len(c->body, c->blen, &c->utf8);
	if (!c->utf8)
		c->elen = jsonstr_base64_len(c->blen);
	if (record_len(c, received, c->utf8, c->elen) + 24 > RECORD_MAX_LINE) {
		fail(c, 413, "body too large once escaped as a record");
		return;
	}
	if (cf.door) {
		size_t siglen = 0;
		const char *sig = header(c, "sentry-hook-signature", &siglen);
		struct auth_request ar = {
			.signature = sig, .signature_len = siglen,
			.query = c->in + c->req.query.off,
			.query_len = c->req.query.len,
			.path = c->in + c->req.path.off,
			.path_len = c->req.path.len,
			.body = c->body, .body_len = c->blen,
		};
		const char *why;

		if ((c->auth = auth_check(cf.door, &ar, &why)) == AUTH_REJECTED) {
			fail(c, 401, why);
			return;
		}
	}
	c->state = C_READY;
}

/* Body bytes already in c->in after the head. */
static void
take_body(struct conn *c)
{
	size_t tail = c->inlen - c->headlen, used;
	char *t = c->in + c->headlen;
	int st;

	if (c->req.chunked) {
		st = http_chunked_feed(&c->ch, &cf.lim, t, tail, &used,
		    body_sink, c);
		memmove(t, t + used, tail - used);
		c->inlen -= used;
		if (st == 1)
			body_done(c);
		else if (st > 1)
			fail(c, st, status_text(st));
		return;
	}
	used = c->req.content_length - c->blen < tail ?
	    (size_t)(c->req.content_length - c->blen) : tail;
	if ((st = body_room(c, used)) != 0) {
		fail(c, st, status_text(st));
		return;
	}
	memcpy(c->body + c->blen, t, used);
	c->blen += used;
	memmove(t, t + used, tail - used);
	c->inlen -= used;
	if (c->blen == c->req.content_length)
		body_done(c);
}

/* Work through what has been read, without I/O. */
static void
progress(struct conn *c)
{
	if (c->state == C_HEAD) {
		c->headlen = http_head_end(c->in, c->inlen, &c->scan);
		if (c->headlen == 0) {
			if (c->inlen >= cf.lim.max_head) {
				int st = http_head_overflow_status(c->in, c->inlen,
				    cf.lim.max_head);

				fail(c, st, status_text(st));
			}
			return;
		}
		route(c);
	}
	if (c->state == C_BODY)
		take_body(c);
}

static void
conn_reset(struct conn *c)
{
	size_t tail = c->inlen - c->headlen;

	memmove(c->in, c->in + c->headlen, tail);
	c->inlen = tail;
	c->scan = c->headlen = 0;
	release(&c->body, &c->bcap);
	c->blen = 0;
	memset(&c->ch, 0, sizeof c->ch);
	memset(&c->req, 0, sizeof c->req);
	c->req.headers = c->hdrs;
	c->outlen = c->outoff = 0;
	c->status = c->close_after = c->body_unread = 0;
	c->auth = AUTH_REJECTED;
	c->state = C_HEAD;
	c->idle_since = clock_mono_ms();
	c->deadline = c->idle_since + cf.idle_ms;
}

/* Read what is there.  Returns 0, or -1 when the peer is gone. */
static int
conn_read(struct conn *c)
{
	ssize_t n;
	int st;

	if (c->state == C_LINGER) {
		char sink[16384];

		n = read(c->rfd, sink, sizeof sink);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
		    (c->lingered += (size_t)(n > 0 ? n : 0)) > LINGER_BYTES)
			c->state = C_DONE;
		return 0;
	}
	if (c->state == C_BODY && !c->req.chunked && c->inlen == c->headlen) {
		/* the body goes straight where it is kept, grown as it comes */
		if ((st = body_room(c, 1)) != 0) {
			fail(c, st, status_text(st));
			return 0;
		}
		n = read(c->rfd, c->body + c->blen, (size_t)(c->req.content_length <
		    c->bcap ? c->req.content_length : c->bcap) - c->blen);
		if (n > 0) {
			c->blen += (size_t)n;
			if (c->blen == c->req.content_length)
				body_done(c);
			return 0;
		}
	} else {
		if (c->inlen == c->incap &&
		    (c->incap >= cf.lim.max_head + SLACK ||
		    (st = grow(&c->in, &c->incap, c->incap + 1,
		    cf.lim.max_head + SLACK)) != 0)) {
			if (c->incap >= cf.lim.max_head + SLACK)
				fail(c, 431, status_text(431));
			else
				fail(c, st, status_text(st));
			return 0;
		}
		n = read(c->rfd, c->in + c->inlen, c->incap - c->inlen);
		if (n > 0 && c->state == C_HEAD && c->inlen == 0)
			/* the deadline runs from a request's first byte, not
			 * from the end of the previous one */
			c->deadline = clock_mono_ms() + cf.timeout_ms;
		if (n > 0) {
			c->inlen += (size_t)n;
			progress(c);
			return 0;
		}
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (c->state == C_HEAD && c->inlen == 0)
		c->state = C_DONE;	/* closed between requests: fine */
	else if (n == 0)
		diag_info("%s: connection closed in the middle of a request",
		    c->peer);
	else
		diag_info("%s: read: %s", c->peer, strerror(errno));
	c->state = C_DONE;
	return -1;
}

static void
conn_sent(struct conn *c)
{
	if (c->close_after) {
		if (c->body_unread) {
			/* Answered before the request was read: closing now
			 * would reset the connection and lose the answer. */
			shutdown(c->wfd, SHUT_WR);
			c->state = C_LINGER;
			c->deadline = clock_mono_ms() + LINGER_MS;
		} else {
			c->state = C_DONE;
		}
		return;
	}
	conn_reset(c);
	progress(c);		/* a pipelined request may be waiting */
}

static void
conn_write(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->wfd, c->out + c->outoff, c->outlen - c->outoff);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				diag_info("%s: write: %s", c->peer, strerror(errno));
				c->state = C_DONE;
			}
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->state == C_SEND)
		conn_sent(c);
	else
		c->outlen = c->outoff = 0;	/* 100 Continue sent */
}

static void
conn_timeout(struct conn *c)
{
	if (c->state == C_HEAD && c->inlen == 0) {
		c->state = C_DONE;	/* idle keep-alive connection */
	} else if (c->state == C_HEAD || c->state == C_BODY) {
		c->req.keep_alive = 0;
		fail(c, 408, "request not complete in time");
		c->deadline = clock_mono_ms() + LINGER_MS;
	} else {
		c->state = C_DONE;
	}
}

static short
conn_events(const struct conn *c, int fd)
{
	short ev = 0;

	if (fd == c->rfd && (c->state == C_HEAD || c->state == C_BODY ||
	    c->state == C_LINGER))
		ev |= POLLIN;
	if (fd == c->wfd && c->outoff < c->outlen)
		ev |= POLLOUT;
	return ev;
}

/* A new connection: nothing reserved but the header table; until its
 * first byte it has the short idle time-out. */
static void
conn_init(struct conn *c, int rfd, int wfd, struct http_header *hdrs)
{
	memset(c, 0, sizeof *c);
	c->rfd = rfd;
	c->wfd = wfd;
	c->hdrs = hdrs;
	c->req.headers = hdrs;
	c->state = C_HEAD;
	c->auth = AUTH_REJECTED;
	c->idle_since = clock_mono_ms();
	c->deadline = c->idle_since + cf.idle_ms;
}

static void
conn_buffers_free(struct conn *c)
{
	release(&c->body, &c->bcap);
	release(&c->in, &c->incap);
}

/* Answer a batch: err 0 means written and synced. */
static void
answer(struct conn **batch, size_t n, int err)
{
	if (err == 0) {
		for (size_t i = 0; i < n; i++)
			accepted(batch[i]);
		return;
	}
	/* the details are for the log, not for the internet */
	diag_warn("%s: cannot keep %zu request%s: %s",
	    have_spool ? cf.spool : cf.output, n, n == 1 ? "" : "s",
	    strerror(err));
	for (size_t i = 0; i < n; i++)
		fail(batch[i], 503, "cannot keep the request now, retry later");
}

/* Commit every ready request at once: one fdatasync for all of them. */
static void
commit(struct conn **ready, size_t n)
{
	int fd;

	if (n == 0)
		return;
	if (write_records(ready, n, &fd) == -1)
		answer(ready, n, errno);
	else if (fd == -1)
		answer(ready, n, 0);
	else
		answer(ready, n, finish_records(fd,
		    fdatasync(fd) == -1 ? errno : 0));
}

/* ---- peers ---- */

static void
addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
	const char *p = NULL;

	buf[0] = '\0';
	if (sa->sa_family == AF_INET)
		p = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		p = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    buf, (socklen_t)size);
	else if (sa->sa_family == AF_UNIX)
		snprintf(buf, size, "local");
	if (p && strncmp(buf, "::ffff:", 7) == 0 && strchr(buf, '.'))
		memmove(buf, buf + 7, strlen(buf + 7) + 1);
}

static void
peer_of_stdin(char *buf, size_t size)
{
	static const char *const vars[] = { "TCPREMOTEIP", "REMOTE_ADDR",
	    "SOCAT_PEERADDR" };
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
		const char *v = getenv(vars[i]);

		if (v && *v) {
			snprintf(buf, size, "%s", v);
			if (strncmp(buf, "::ffff:", 7) == 0 && strchr(buf, '.'))
				memmove(buf, buf + 7, strlen(buf + 7) + 1);
			return;
		}
	}
	if (getpeername(STDIN_FILENO, (struct sockaddr *)&ss, &len) == 0)
		addr_text((struct sockaddr *)&ss, buf, size);
	else
		snprintf(buf, size, "unknown");
}

/* ---- inetd mode ---- */

static int
serve_stdio(void)
{
	struct http_header hdrs[cf.lim.max_headers];
	struct conn c;
	struct conn *ready = &c;

	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
	conn_init(&c, STDIN_FILENO, STDOUT_FILENO, hdrs);
	peer_of_stdin(c.peer, sizeof c.peer);
	c.one_shot = 1;
	conn_read(&c);		/* the request is usually there already */
	while (c.state != C_DONE) {
		struct pollfd pfd[2];
		int64_t wait;
		int np = 0;

		if (c.state == C_READY) {
			commit(&ready, 1);
			conn_write(&c);	/* the socket has room: no poll first */
			continue;
		}
		pfd[np].fd = c.rfd;
		pfd[np++].events = conn_events(&c, c.rfd);
		if (c.wfd != c.rfd)
			pfd[np].fd = c.wfd, pfd[np++].events = conn_events(&c, c.wfd);
		else
			pfd[0].events |= conn_events(&c, c.wfd);
		wait = c.deadline - clock_mono_ms();
		if (wait <= 0) {
			conn_timeout(&c);
			continue;
		}
		if (poll(pfd, (nfds_t)np, (int)wait) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < np; i++) {
			if ((pfd[i].revents & (POLLOUT | POLLERR | POLLHUP)) &&
			    pfd[i].fd == c.wfd && c.outoff < c.outlen)
				conn_write(&c);
			if ((pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) &&
			    pfd[i].fd == c.rfd && (conn_events(&c, c.rfd) & POLLIN))
				conn_read(&c);
		}
	}
	conn_buffers_free(&c);
	/*
	 * Answered: 0, whatever the status (it is in the answer and in the
	 * log).  socat EXEC drops what a child that exits non-zero wrote
	 * last, so a 401 or a 503 would never reach Sentry's request log.
	 */
	return c.status == 0 ? EXIT_REJECTED : EXIT_DONE;
}

/* ---- listener mode ---- */

/*
 * Numeric addresses only ("127.0.0.1:8001", "[::1]:8001", "*:8001",
 * "localhost:8001"): name lookups would need NSS, which a static binary
 * cannot load.
 */
static int
bind_listener(const char *spec)
{
	char host[INET6_ADDRSTRLEN + 2], addr[INET6_ADDRSTRLEN];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof ss;
	size_t hl;
	char *end;
	unsigned long port;
	int fd, one = 1;

	if (colon == NULL || colon[1] == '\0') {
		diag_warn("-l %s: expected ADDRESS:PORT", spec);
		return EXIT_USAGE;
	}
	port = strtoul(colon + 1, &end, 10);
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']')
		spec++, hl -= 2;
	if (*end || port > 65535 || hl >= sizeof host) {
		diag_warn("-l %s: expected ADDRESS:PORT", spec);
		return EXIT_USAGE;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(&ss, 0, sizeof ss);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		in6->sin6_family = AF_INET6;	/* any address, v4 and v6 */
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof *in6;
	} else if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof *in4;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof *in6;
	} else {
		diag_warn("-l %s: not a numeric address", host);
		return EXIT_USAGE;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd != -1) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
		    listen(fd, SOMAXCONN) == -1) {
			int saved = errno;

			close(fd);
			fd = -1;
			errno = saved;
		}
	}
	if (fd == -1) {
		diag_warn("-l %s: %s", spec, strerror(errno));
		return EXIT_TEMPFAIL;
	}
	len = sizeof ss;
	listeners[nlisteners++] = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		addr_text((struct sockaddr *)&ss, addr, sizeof addr);
		diag_warn("listening on %s%s%s:%u", strchr(addr, ':') ? "[" : "",
		    addr, strchr(addr, ':') ? "]" : "", ntohs(ss.ss_family ==
		    AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port));
	}
	return 0;
}

/* Listening sockets passed by systemd (Accept=no): LISTEN_PID, LISTEN_FDS. */
static int
systemd_listeners(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int n;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return 0;
	n = (int)strtol(fds, NULL, 10);
	for (int fd = 3; fd < 3 + n && nlisteners < MAX_LISTEN; fd++) {
		int yes = 0;
		socklen_t len = sizeof yes;

		/* Accept=yes passes a connection, not a listener: not ours */
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &yes, &len) == -1 ||
		    !yes)
			return 0;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		listeners[nlisteners++] = fd;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return nlisteners;
}

static struct conn *
conn_new(int fd, const struct sockaddr *sa)
{
	struct conn *c = malloc(sizeof *c);
	struct http_header *h = malloc(cf.lim.max_headers * sizeof *h);
	int one = 1;

	if (c == NULL || h == NULL) {
		free(c);
		free(h);
		return NULL;
	}
	conn_init(c, fd, fd, h);
	addr_text(sa, c->peer, sizeof c->peer);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return c;
}

static void
conn_free(struct conn *c)
{
	close(c->rfd);
	conn_buffers_free(c);
	free(c->hdrs);
	free(c);
}

/*
 * The listener's fdatasync runs in a thread, so that while one batch is
 * being synced the next one is read, parsed and written: group commit
 * with a pipeline.  The thread only syncs the descriptors it is given
 * through a pipe and answers through another; it shares nothing.  The
 * spool stays locked until the main loop finishes the batch.
 */
static int sync_req[2] = { -1, -1 }, sync_done[2] = { -1, -1 };
static pthread_t sync_thread;

static void *
syncer(void *arg)
{
	int fd, err;

	(void)arg;
	while (read(sync_req[0], &fd, sizeof fd) == (ssize_t)sizeof fd) {
		err = fdatasync(fd) == -1 ? errno : 0;
		if (write(sync_done[1], &err, sizeof err) != (ssize_t)sizeof err)
			break;
	}
	return NULL;
}

static int
start_syncer(void)
{
	sigset_t all, old;
	int ok;

	if (pipe2(sync_req, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(sync_done, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);	/* signals are main's */
	ok = pthread_create(&sync_thread, NULL, syncer, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok ? 0 : -1;
}

/* The thread ends once the pending sync is done and its pipe is closed. */
static void
stop_syncer(void)
{
	close(sync_req[1]);
	pthread_join(sync_thread, NULL);
	close(sync_req[0]);
	close(sync_done[0]);
	close(sync_done[1]);
}

static int
idle(const struct conn *c)
{
	return c->state == C_HEAD && c->inlen == 0 && c->outoff >= c->outlen;
}

/*
 * Close the connection that has been idle longest (nothing sent on it
 * yet, or nothing since its last answer), of that peer when peer is not
 * NULL: so that idle connections cannot keep Sentry out.  1 when one was
 * closed, 0 when none is idle.
 */
static int
evict_idle(struct conn **conns, size_t *nconns, const char *peer)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < *nconns; i++) {
		if (!idle(conns[i]) || (peer && strcmp(conns[i]->peer, peer) != 0))
			continue;
		if (best == SIZE_MAX ||
		    conns[i]->idle_since < conns[best]->idle_since)
			best = i;
	}
	if (best == SIZE_MAX)
		return 0;
	diag_debug("%s: idle connection closed to make room",
	    conns[best]->peer);
	conn_free(conns[best]);
	conns[best] = conns[--*nconns];
	return 1;
}

/* Connections from the peer of conns[n] among conns[0..n). */
static unsigned
peer_count(struct conn **conns, size_t n)
{
	unsigned k = 0;

	for (size_t i = 0; i < n; i++)
		k += strcmp(conns[i]->peer, conns[n]->peer) == 0;
	return k;
}

static int
serve_listener(void)
{
	struct conn **conns = calloc(cf.max_conns, sizeof *conns);
	struct conn **ready = calloc(cf.max_conns, sizeof *ready);
	struct pollfd *pfd = calloc(cf.max_conns + MAX_LISTEN + 1, sizeof *pfd);
	struct conn **batch = calloc(cf.max_conns, sizeof *batch);
	size_t nconns = 0, nbatch = 0;
	int64_t accept_pause = 0;
	int threaded = start_syncer() == 0, busy = 0, batch_fd = -1;

	struct rlimit rl;

	/* Connections may not take the descriptors the spool needs. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < (rlim_t)cf.max_conns + FD_RESERVE) {
			if (rl.rlim_cur <= FD_RESERVE + (rlim_t)nlisteners) {
				diag_warn("too few file descriptors: %lu",
				    (unsigned long)rl.rlim_cur);
				return EXIT_TEMPFAIL;
			}
			cf.max_conns = (unsigned)(rl.rlim_cur - FD_RESERVE -
			    (rlim_t)nlisteners);
			diag_warn("at most %u connections (file descriptor "
			    "limit %lu)", cf.max_conns, (unsigned long)rl.rlim_cur);
		}
	}
	if (conns == NULL || ready == NULL || pfd == NULL || batch == NULL) {
		diag_warn("out of memory");
		return EXIT_TEMPFAIL;
	}
	while (!stopping) {
		int64_t now = clock_mono_ms(), wait = 1000;
		size_t np = 0, nready = 0, base;
		int room = nconns < cf.max_conns;

		for (size_t i = 0; i < nconns && !room; i++)
			room = idle(conns[i]);	/* can make room */
		for (int i = 0; i < nlisteners; i++) {
			pfd[np].fd = listeners[i];
			pfd[np++].events = room && now >= accept_pause ? POLLIN : 0;
		}
		pfd[np].fd = sync_done[0];
		pfd[np++].events = POLLIN;
		base = np;
		if (now < accept_pause && accept_pause - now < wait)
			wait = accept_pause - now;
		for (size_t i = 0; i < nconns; i++) {
			struct conn *c = conns[i];

			if (c->state == C_READY && !busy)
				wait = 0;
			else if (c->state == C_READY || c->state == C_SYNC)
				;
			else if (c->deadline - now < wait)
				wait = c->deadline - now > 0 ? c->deadline - now : 0;
			pfd[np].fd = c->rfd;
			pfd[np++].events = conn_events(c, c->rfd);
		}
		if (poll(pfd, (nfds_t)np, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			diag_warn("poll: %s", strerror(errno));
			return EXIT_TEMPFAIL;
		}
		if (busy && (pfd[base - 1].revents & POLLIN)) {
			int err;

			if (read(sync_done[0], &err, sizeof err) == (ssize_t)sizeof err) {
				answer(batch, nbatch, finish_records(batch_fd, err));
				busy = 0;
				nbatch = 0;
			}
		}
		for (size_t i = 0; i < nconns; i++) {
			struct conn *c = conns[i];
			short re = pfd[base + i].revents;

			if ((re & (POLLOUT | POLLERR | POLLHUP)) && c->outoff < c->outlen)
				conn_write(c);
			if ((re & (POLLIN | POLLERR | POLLHUP)) &&
			    (conn_events(c, c->rfd) & POLLIN))
				conn_read(c);
		}
		now = clock_mono_ms();
		for (size_t i = 0; i < nconns; i++) {
			if (conns[i]->state != C_DONE && conns[i]->state != C_READY &&
			    conns[i]->state != C_SYNC && conns[i]->deadline <= now)
				conn_timeout(conns[i]);
			if (conns[i]->state == C_READY)
				ready[nready++] = conns[i];
		}
		if (nready && !busy && threaded) {
			int fd;

			if (write_records(ready, nready, &fd) == -1) {
				answer(ready, nready, errno);
			} else if (fd == -1) {
				answer(ready, nready, 0);
			} else if (write(sync_req[1], &fd, sizeof fd) != (ssize_t)sizeof fd) {
				answer(ready, nready, finish_records(fd,
				    fdatasync(fd) == -1 ? errno : 0));
			} else {
				for (size_t i = 0; i < nready; i++)
					ready[i]->state = C_SYNC;
				memcpy(batch, ready, nready * sizeof *ready);
				nbatch = nready;
				batch_fd = fd;
				busy = 1;
			}
		} else if (nready && !threaded) {
			commit(ready, nready);
		}
		for (size_t i = 0; i < nconns; i++)
			if (conns[i]->outoff < conns[i]->outlen)
				conn_write(conns[i]);
		for (size_t i = 0; i < nconns; ) {
			if (conns[i]->state == C_DONE) {
				conn_free(conns[i]);
				conns[i] = conns[--nconns];
			} else {
				i++;
			}
		}
		for (int i = 0; i < nlisteners; i++) {
			while ((pfd[i].revents & POLLIN) && (nconns < cf.max_conns ||
			    evict_idle(conns, &nconns, NULL))) {
				struct sockaddr_storage ss;
				socklen_t len = sizeof ss;
				struct conn *c;
				int fd = accept4(listeners[i], (struct sockaddr *)&ss,
				    &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd == -1) {
					if (errno == EMFILE || errno == ENFILE ||
					    errno == ENOBUFS || errno == ENOMEM) {
						/* out of descriptors: let the
						 * queue wait instead of spinning */
						if (accept_pause <= now)
							diag_warn("accept: %s: pausing",
							    strerror(errno));
						accept_pause = now + 100;
					} else if (errno != EAGAIN && errno != EINTR &&
					    errno != ECONNABORTED) {
						diag_warn("accept: %s", strerror(errno));
					}
					break;
				}
				if ((c = conn_new(fd, (struct sockaddr *)&ss)) == NULL) {
					close(fd);
					break;
				}
				/* one address may hold a share of the slots, and
				 * only while it uses them */
				conns[nconns] = c;
				if (peer_count(conns, nconns) >= cf.max_per_peer &&
				    !evict_idle(conns, &nconns, c->peer)) {
					diag_info("%s: too many connections from this "
					    "address: closed", c->peer);
					conn_free(c);
					continue;
				}
				conns[nconns++] = c;
			}
		}
	}
	if (threaded)
		stop_syncer();
	for (size_t i = 0; i < nconns; i++)
		conn_free(conns[i]);
	free(conns);
	free(ready);
	free(batch);
	free(pfd);
	return EXIT_DONE;
}

/* ---- follow mode ---- */

static int
follow(void)
{
	char acked_path[PATH_MAX];
	uint64_t pos, acked, collected = UINT64_MAX;
	int ino, lock;

	if (mkdir(cf.follow, 0700) == -1 && errno != EEXIST) {
		diag_warn("%s: cannot create: %s", cf.follow, strerror(errno));
		return EXIT_TEMPFAIL;
	}
	if (spool_open(&spool, cf.follow, 0, 0) == -1) {
		diag_warn("%s: %s", cf.follow, strerror(errno));
		return EXIT_TEMPFAIL;
	}
	/* One follower per spool: a second chain would send everything twice.
	 * A new one waits here until the old one is gone. */
	lock = openat(spool.dirfd, "follow.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock == -1) {
		diag_warn("%s/follow.lock: %s", cf.follow, strerror(errno));
		return EXIT_TEMPFAIL;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) == -1) {
		diag_warn("%s: another follower is running: waiting for it to stop",
		    cf.follow);
		while (flock(lock, LOCK_EX) == -1)
			if (errno != EINTR) {
				diag_warn("%s/follow.lock: %s", cf.follow, strerror(errno));
				return EXIT_TEMPFAIL;
			}
	}
	snprintf(acked_path, sizeof acked_path, "%s/acked", cf.follow);
	if (cursor_read(acked_path, &pos) == -1) {
		char moved[PATH_MAX + 32];

		/* empty (a crash right after it was made) or garbage: better
		 * every record again than none, or a restart loop */
		if (errno != EINVAL || quarantine(acked_path, moved,
		    sizeof moved) == -1) {
			diag_warn("%s: %s", acked_path, errno == EINVAL ?
			    "not an acknowledgement file" : strerror(errno));
			return EXIT_TEMPFAIL;
		}
		diag_warn("%s: not an acknowledgement file: moved to %s; "
		    "following from the oldest record kept", acked_path, moved);
		pos = 0;
	}
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino != -1 && inotify_add_watch(ino, cf.follow, IN_MODIFY |
	    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) == -1) {
		close(ino);
		ino = -1;	/* polling once a second will do */
	}
	for (;;) {
		struct pollfd pfd[2] = { { STDOUT_FILENO, 0, 0 }, { ino, POLLIN, 0 } };
		char events[4096];

		if (spool_emit(&spool, &pos, STDOUT_FILENO) == -1) {
			if (errno == EPIPE) {
				diag_info("stdout: the next stage is gone");
				return EXIT_TEMPFAIL;
			}
			diag_warn("%s: %s", cf.follow, strerror(errno));
			return EXIT_TEMPFAIL;
		}
		if (cursor_read(acked_path, &acked) == 0 && acked != collected) {
			spool_gc(&spool, acked);
			collected = acked;
		}
		if (cf.once)
			break;
		if (poll(pfd, ino == -1 ? 1 : 2, 1000) > 0) {
			if (pfd[0].revents & (POLLERR | POLLHUP)) {
				diag_info("stdout: the next stage is gone");
				return EXIT_TEMPFAIL;
			}
			while (ino != -1 && read(ino, events, sizeof events) > 0)
				;
		}
	}
	if (ino != -1)
		close(ino);
	close(lock);
	spool_close(&spool);
	return EXIT_DONE;
}

/* ---- main ---- */

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
		cf.door = a;
	return 0;
}

static int
output_is_fifo(void)
{
	struct stat st;

	return stat(cf.output, &st) == 0 && S_ISFIFO(st.st_mode);
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

/* The option loop: 0, or the exit status of a usage error. */
static int
options(int argc, char **argv, const char **env_file, int *use_syslog)
{
	enum { O_HEALTH = 256, O_MAXHEAD, O_MAXHEADERS, O_SEGMENT, O_ANYTYPE,
	    O_SYSLOG, O_ONCE, O_MAXSPOOL, O_MAXMEM, O_IDLE, O_PERPEER };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "spool", required_argument, NULL, 's' },
		{ "follow", required_argument, NULL, 'F' },
		{ "once", no_argument, NULL, O_ONCE },
		{ "listen", required_argument, NULL, 'l' },
		{ "path", required_argument, NULL, 'p' },
		{ "health-path", required_argument, NULL, O_HEALTH },
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
		case 'o': cf.output = optarg; break;
		case 's': cf.spool = optarg; break;
		case 'F': cf.follow = optarg; break;
		case O_ONCE: cf.once = 1; break;
		case 'l': cf.listen = optarg; break;
		case 'p': cf.path = optarg; break;
		case O_HEALTH: cf.health = optarg; break;
		case 'b':
			/* every record must fit the line the stages read */
			if (parse_size(optarg, &cf.lim.max_body) == -1 ||
			    cf.lim.max_body == 0 ||
			    cf.lim.max_body > RECORD_MAX_LINE - (1 << 20)) {
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
			cf.lim.max_head = (size_t)v;
			break;
		case O_MAXHEADERS:
			/* headers are matched pairwise: keep n^2 small */
			if (parse_size(optarg, &v) == -1 || v < 1 || v > 1000) {
				diag_warn("--max-headers %s: expected 1 to 1000", optarg);
				return EXIT_USAGE;
			}
			cf.lim.max_headers = (unsigned)v;
			break;
		case 'c':
			if (parse_size(optarg, &v) == -1 || v < 1 || v > 100000) {
				diag_warn("-c %s: expected 1 to 100000", optarg);
				return EXIT_USAGE;
			}
			cf.max_conns = (unsigned)v;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs > 0 && secs <= 3600)) {
				diag_warn("-t %s: expected seconds, up to 3600", optarg);
				return EXIT_USAGE;
			}
			cf.timeout_ms = (int64_t)(secs * 1000);
			break;
		case O_SEGMENT:
			if (parse_size(optarg, &cf.segment_max) == -1 ||
			    cf.segment_max == 0) {
				diag_warn("--segment-size %s: expected a size", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_MAXSPOOL:
			if (parse_size(optarg, &cf.spool_cap) == -1 ||
			    (cf.spool_cap && cf.spool_cap < (1 << 20))) {
				diag_warn("--max-spool %s: expected 0 (no cap) or a "
				    "size from 1M", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_MAXMEM:
			if (parse_size(optarg, &cf.mem_budget) == -1 ||
			    cf.mem_budget < (1 << 20)) {
				diag_warn("--max-memory %s: expected a size from 1M",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case O_IDLE:
			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs > 0 && secs <= 3600)) {
				diag_warn("--idle-timeout %s: expected seconds, up "
				    "to 3600", optarg);
				return EXIT_USAGE;
			}
			cf.idle_ms = (int64_t)(secs * 1000);
			break;
		case O_PERPEER:
			if (parse_size(optarg, &v) == -1 || v < 1 || v > 100000) {
				diag_warn("--max-per-peer %s: expected 1 to 100000",
				    optarg);
				return EXIT_USAGE;
			}
			cf.max_per_peer = (unsigned)v;
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
		case O_ANYTYPE: cf.any_type = 1; break;
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
	modes = !!cf.output + !!cf.spool + !!cf.follow;
	if (modes != 1 || (cf.follow && cf.listen) || (cf.once && !cf.follow)) {
		diag_warn("give one of -s SPOOL, -o FILE or -F SPOOL (-l and --once "
		    "go with one of them)");
		usage(EXIT_USAGE);
	}
	if (cf.path[0] != '/' || (cf.health[0] && cf.health[0] != '/')) {
		diag_warn("paths must start with /");
		return EXIT_USAGE;
	}
	if (strcmp(cf.path, cf.health) == 0) {
		diag_warn("the health path cannot be the webhook path");
		return EXIT_USAGE;
	}
	return 0;
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
	if (cf.spool) {
		have_spool = 1;
		/* a missing spool is answered with 503: Sentry does not retry, but
		 * its request log then shows the failure */
		if (spool_open(&spool, cf.spool, cf.segment_max,
		    cf.spool_cap) == -1 && cf.listen)
			diag_warn("%s: %s", cf.spool, strerror(errno));
	}
	if (cf.listen && (st = bind_listener(cf.listen)) != 0)
		return st;
	if (!cf.listen)
		systemd_listeners();
	if (nlisteners && cf.output && output_is_fifo()) {
		diag_warn("%s: a FIFO in listener mode would hold every "
		    "connection up whenever its reader stops: use -s SPOOL",
		    cf.output);
		return EXIT_USAGE;
	}
	if (nlisteners && cf.mem_budget == 0)
		cf.mem_budget = 64 << 20;
	if (nlisteners) {
		struct sigaction sa = { .sa_handler = on_stop };

		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		st = serve_listener();
	} else {
		st = serve_stdio();
	}
	if (have_spool)
		spool_close(&spool);
	auth_free(cf.door);
	return st;
}
