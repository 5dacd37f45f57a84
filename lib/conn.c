/* conn: one HTTP/1.1 connection of sentry-recv, read, routed, answered. */
#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "record.h"

#define SLACK 8192		/* read room past the longest head */
#define IN_FIRST 4096		/* a connection's first read buffer */
#define BODY_FIRST 65536	/* a body's first buffer, grown as it comes */
#define PAGE_MAX 8192		/* a page's body */
#define LINGER_MS 2000
#define LINGER_BYTES (1 << 20)

/* ---- records ---- */

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
    int with_seq, uint64_t seq, size_t body_len)
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
	jsonstr_puts(o, c->utf8 ? ",\"body\":\"" : ",\"body_b64\":\"");
	if (body_len != SIZE_MAX)
		o->written += body_len;
	else if (c->utf8)
		jsonstr_escape(o, c->body, c->blen);
	else
		jsonstr_base64(o, c->body, c->blen);
	jsonstr_puts(o, "\"}\n");
}

void
conn_record(struct jsonstr_out *o, const struct conn *c, const char *received,
    int with_seq, uint64_t seq)
{
	put_record(o, c, received, with_seq, seq, SIZE_MAX);
}

/* Counting sink: a jsonstr_out whose fd is -1 only adds up lengths. */
uint64_t
conn_record_len(const struct conn *c, const char *received)
{
	static char scratch[4096];
	struct jsonstr_out count;

	jsonstr_init(&count, -1, scratch, sizeof scratch);
	/* the body is counted, not written; the rest is small */
	put_record(&count, c, received, 1, 0, c->elen);
	return count.written + count.len - 1;	/* minus the "0" of seq */
}

/* ---- answers ---- */

/* The answer, after a 100 Continue not sent yet if there is one; a
 * page larger than outbuf gets a buffer of its own. */
static void
respond(struct conn *c, int status, const char *extra, const char *type,
    const char *body, size_t blen, int head_only)
{
	char date[CLOCK_HTTP_SIZE], head[512];
	size_t shown = head_only ? 0 : blen, total;
	int n;

	clock_format_http(clock_now_ms(), date, sizeof date);
	if (!c->req.keep_alive || c->body_unread || c->one_shot ||
	    (c->cf->stopping && *c->cf->stopping))
		c->close_after = 1;
	n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nDate: %s\r\n%s"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
	    http_reason(status), date, extra ? extra : "", type, blen,
	    c->close_after ? "Connection: close\r\n" :
	    c->req.minor == 0 ? "Connection: keep-alive\r\n" : "");
	total = n > 0 && (size_t)n < sizeof head ? (size_t)n + shown : 0;
	if (total > CONN_OUT_MAX - c->outlen) {
		char *big = c->outlen == 0 ? malloc(total) : NULL;

		if (big)
			c->out = big;
		else
			total = 0;	/* cannot happen: bodies are short */
	}
	if (total) {
		memcpy(c->out + c->outlen, head, (size_t)n);
		memcpy(c->out + c->outlen + n, body, shown);
	}
	c->outlen += total;
	c->status = status;
	c->state = C_SEND;
}

static void
out_reset(struct conn *c)
{
	if (c->out != c->outbuf)
		free(c->out);
	c->out = c->outbuf;
	c->outlen = c->outoff = 0;
}

/* The request is for page path (a path configured, "" or NULL: none). */
static int
is_page_path(const struct conn *c, const char *path)
{
	return path && path[0] && http_span_eq(c->in, c->req.path, path);
}

void
conn_refuse(struct conn *c, int status, const char *why)
{
	char body[256];
	const char *extra = NULL;
	int n;

	if (status == 405)
		extra = is_page_path(c, c->cf->health) ||
		    is_page_path(c, c->cf->metrics) ?
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
	if (c->cf->answered)
		c->cf->answered(c->cf->ctx, status);
	if (status == 503)
		diag_warn("%s: %d: %s", c->peer, status, why);
	else
		diag_info("%s: %d: %s", c->peer, status, why);
}

static void
page(struct conn *c, enum conn_page which, int head_only)
{
	char body[PAGE_MAX];
	const char *type = "text/plain; charset=utf-8";
	size_t len = 0;
	int status = c->cf->page(c->cf->ctx, which, body, sizeof body, &len,
	    &type);

	respond(c, status, NULL, type, body, len < sizeof body ? len : 0,
	    head_only);
}

void
conn_accept(struct conn *c)
{
	char body[64];
	int n = snprintf(body, sizeof body, "{\"id\":\"%s\"}\n", c->id);

	respond(c, 202, NULL, "application/json", body, (size_t)n, 0);
	if (c->cf->answered)
		c->cf->answered(c->cf->ctx, 202);
	diag_info("%s: 202: %s, %zu bytes", c->peer, c->id, c->blen);
}

/* ---- reading a request ---- */

/*
 * Grow a request buffer to hold at least need bytes (doubling, at most
 * max), never past the memory budget of all connections together.  0,
 * or 503 when the budget or the memory is exhausted.
 */
static int
grow(struct conn *c, char **buf, size_t *cap, size_t need, size_t max)
{
	struct conn_budget *b = c->cf->budget;
	size_t ncap = *cap ? *cap : need < IN_FIRST ? IN_FIRST : need;
	char *p;

	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	if (ncap <= *cap)
		return 0;
	if (b && b->max && b->used + (ncap - *cap) > b->max)
		return 503;
	if ((p = realloc(*buf, ncap)) == NULL)
		return 503;
	if (b)
		b->used += ncap - *cap;
	*buf = p;
	*cap = ncap;
	return 0;
}

static void
release(struct conn *c, char **buf, size_t *cap)
{
	free(*buf);
	if (c->cf->budget)
		c->cf->budget->used -= *cap;
	*buf = NULL;
	*cap = 0;
}

/* Room for len more body bytes: 0, or an HTTP status. */
static int
body_room(struct conn *c, size_t len)
{
	size_t want = c->blen + len, max = (size_t)c->cf->lim.max_body;

	if (want <= c->bcap)
		return 0;
	if (!c->req.chunked) {
		max = (size_t)c->req.content_length;
		if (want < BODY_FIRST && max > BODY_FIRST)
			want = BODY_FIRST;
	}
	return grow(c, &c->body, &c->bcap, want, max);
}

static int
body_sink(void *ctx, const char *data, size_t len)
{
	struct conn *c = ctx;
	int st;

	if (len == 0)
		return 0;
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

static void
fail(struct conn *c, int status)
{
	conn_refuse(c, status, status_text(status));
}

/*
 * The webhook path: exactly the path, or PATH/SEGMENT for the legacy
 * plugin's token in the URL (checked at the door when secrets are set
 * here, else by sentry-verify), so the token need not be on a command line.
 */
static int
webhook_path(const struct conn *c)
{
	const char *p = c->in + c->req.path.off, *path = c->cf->path;
	size_t n = c->req.path.len, plen = strlen(path), seg;

	if (n < plen || memcmp(p, path, plen) != 0)
		return 0;
	if (n == plen)
		return 1;
	if (path[plen - 1] != '/' && p[plen++] != '/')
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
	const struct conn_config *cf = c->cf;
	struct http_request *r = &c->req;
	int st = http_parse_head(c->in, c->headlen, &cf->lim, r);
	int is_page = is_page_path(c, cf->health) ||
	    is_page_path(c, cf->metrics);

	if (st) {
		fail(c, st);
		return;
	}
	c->state = C_BODY;	/* until decided otherwise: the body is unread */
	if (is_page) {
		int get = http_span_eq(c->in, r->method, "GET");

		if (!get && !http_span_eq(c->in, r->method, "HEAD")) {
			conn_refuse(c, 405, "use GET");
			return;
		}
		c->body_unread = r->chunked || r->content_length > 0;
		page(c, is_page_path(c, cf->health) ? CONN_PAGE_HEALTH :
		    CONN_PAGE_METRICS, !get);
		return;
	}
	if (!webhook_path(c)) {
		conn_refuse(c, 404, "no such path");
		return;
	}
	if (!http_span_eq(c->in, r->method, "POST") ||
	    memcmp(c->in + r->method.off, "POST", 4) != 0) {
		conn_refuse(c, 405, "use POST");
		return;
	}
	if (r->expect_other) {
		conn_refuse(c, 417, "unknown expectation");
		return;
	}
	if (!r->has_length && !r->chunked) {
		conn_refuse(c, 411, "Content-Length or chunked body required");
		return;
	}
	if (r->has_length && r->content_length > cf->lim.max_body) {
		conn_refuse(c, 413, "body too large");
		return;
	}
	if (r->has_length && r->content_length == 0) {
		conn_refuse(c, 400, "empty body");
		return;
	}
	if (r->content_type == HTTP_CT_OTHER && !cf->any_type) {
		conn_refuse(c, 415, "expected Content-Type: application/json");
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
		conn_refuse(c, 400, "empty body");	/* "0\r\n\r\n" chunked */
		return;
	}
	c->elen = jsonstr_escaped_len(c->body, c->blen, &c->utf8);
	if (!c->utf8)
		c->elen = jsonstr_base64_len(c->blen);
	if (conn_record_len(c, received) + 24 > RECORD_MAX_LINE) {
		conn_refuse(c, 413, "body too large once escaped as a record");
		return;
	}
	if (c->cf->door) {
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

		if ((c->auth = auth_check(c->cf->door, &ar, &why)) ==
		    AUTH_REJECTED) {
			conn_refuse(c, 401, why);
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
		st = http_chunked_feed(&c->ch, &c->cf->lim, t, tail, &used,
		    body_sink, c);
		memmove(t, t + used, tail - used);
		c->inlen -= used;
		if (st == 1)
			body_done(c);
		else if (st > 1)
			fail(c, st);
		return;
	}
	used = c->req.content_length - c->blen < tail ?
	    (size_t)(c->req.content_length - c->blen) : tail;
	if (used == 0)
		return;		/* no body bytes yet, maybe no buffer either */
	if ((st = body_room(c, used)) != 0) {
		fail(c, st);
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
			if (c->inlen >= c->cf->lim.max_head)
				fail(c, http_head_overflow_status(c->in,
				    c->inlen, c->cf->lim.max_head));
			return;
		}
		route(c);
	}
	if (c->state == C_BODY)
		take_body(c);
}

/* Ready for the next request on the same connection; the short idle
 * time-out runs until its first byte. */
static void
reset(struct conn *c)
{
	size_t tail = c->inlen - c->headlen;

	memmove(c->in, c->in + c->headlen, tail);
	c->inlen = tail;
	c->scan = c->headlen = 0;
	release(c, &c->body, &c->bcap);
	c->blen = 0;
	memset(&c->ch, 0, sizeof c->ch);
	memset(&c->req, 0, sizeof c->req);
	c->req.headers = c->hdrs;
	out_reset(c);
	c->status = c->close_after = c->body_unread = 0;
	c->auth = AUTH_REJECTED;
	c->state = C_HEAD;
	c->idle_since = clock_mono_ms();
	c->deadline = c->idle_since + c->cf->idle_ms;
}

void
conn_init(struct conn *c, const struct conn_config *cf, int rfd, int wfd,
    struct http_header *hdrs)
{
	memset(c, 0, sizeof *c);
	c->cf = cf;
	c->rfd = rfd;
	c->wfd = wfd;
	c->hdrs = hdrs;
	c->req.headers = hdrs;
	c->out = c->outbuf;
	c->state = C_HEAD;
	c->auth = AUTH_REJECTED;
	c->idle_since = clock_mono_ms();
	c->deadline = c->idle_since + cf->idle_ms;
}

int
conn_read(struct conn *c)
{
	size_t max_in = c->cf->lim.max_head + SLACK;
	ssize_t n;
	int st = 0;

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
			fail(c, st);
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
		if (c->inlen == c->incap && (c->incap >= max_in ||
		    (st = grow(c, &c->in, &c->incap, c->incap + 1,
		    max_in)) != 0)) {
			fail(c, c->incap >= max_in ? 431 : st);
			return 0;
		}
		n = read(c->rfd, c->in + c->inlen, c->incap - c->inlen);
		if (n > 0 && c->state == C_HEAD && c->inlen == 0)
			/* the deadline runs from a request's first byte, not
			 * from the end of the previous one */
			c->deadline = clock_mono_ms() + c->cf->timeout_ms;
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
sent(struct conn *c)
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
	reset(c);
	progress(c);		/* a pipelined request may be waiting */
}

void
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
		sent(c);
	else
		c->outlen = c->outoff = 0;	/* 100 Continue sent */
}

void
conn_timeout(struct conn *c)
{
	if (c->state == C_HEAD && c->inlen == 0) {
		c->state = C_DONE;	/* idle keep-alive connection */
	} else if (c->state == C_HEAD || c->state == C_BODY) {
		c->req.keep_alive = 0;
		conn_refuse(c, 408, "request not complete in time");
		c->deadline = clock_mono_ms() + LINGER_MS;
	} else {
		c->state = C_DONE;
	}
}

short
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

int
conn_idle(const struct conn *c)
{
	return c->state == C_HEAD && c->inlen == 0 && c->outoff >= c->outlen;
}

void
conn_buffers_free(struct conn *c)
{
	release(c, &c->body, &c->bcap);
	release(c, &c->in, &c->incap);
	out_reset(c);
}

struct conn *
conn_new(const struct conn_config *cf, int fd)
{
	struct conn *c = malloc(sizeof *c);
	struct http_header *h = malloc(cf->lim.max_headers * sizeof *h);

	if (c == NULL || h == NULL) {
		free(c);
		free(h);
		return NULL;
	}
	conn_init(c, cf, fd, fd, h);
	return c;
}

void
conn_free(struct conn *c)
{
	close(c->rfd);
	conn_buffers_free(c);
	free(c->hdrs);
	free(c);
}
