/*
 * conn: one HTTP/1.1 connection of sentry-recv, as a state machine over
 * two non-blocking descriptors (the same socket twice, or stdin and
 * stdout).  libc, lib/http, lib/auth and lib/jsonstr only.
 *
 * The owner (lib/serve) polls the descriptors for conn_events(), calls
 * conn_read() and conn_write() when they are ready and conn_timeout()
 * once c->deadline (clock_mono_ms) has passed.  A connection reads a
 * request (head, then body, buffers grown as bytes arrive within the
 * shared budget), refuses what is not a webhook with the right status
 * and a one-line body, checks the door (lib/auth) when the config has
 * one, and stops in C_READY with a complete, acceptable request: the
 * owner keeps it (conn_record) and answers with conn_accept() or
 * conn_refuse(..., 503, ...).  A GET or HEAD on a page path (health,
 * metrics) is answered at once with what the owner's page function says.
 * After the answer a keep-alive connection goes back to C_HEAD (serving
 * a pipelined request at once); otherwise it ends in C_DONE, lingering
 * first when it answered before the request was read (C_LINGER: see
 * NOTES.md).  Nothing here exits; diagnostics name the peer, never a
 * secret.
 */
#ifndef CONN_H
#define CONN_H

#include <arpa/inet.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "http.h"
#include "jsonstr.h"

#define CONN_OUT_MAX 1024	/* an answer's head and short body */

/* A connection's states, in the order a request goes through them. */
enum conn_state {
	C_HEAD,		/* reading the request line and headers */
	C_BODY,		/* reading the body (Content-Length or chunked) */
	C_READY,	/* complete: to be kept and answered by the owner */
	C_SYNC,		/* kept, waiting for its fdatasync (owner's state) */
	C_SEND,		/* writing the answer; then C_HEAD again or closed */
	C_LINGER,	/* answered early: draining input before the close */
	C_DONE		/* to be closed */
};

/* Request buffers held by all connections together (max 0: no limit). */
struct conn_budget {
	uint64_t used, max;
};

/* The pages answered to GET and HEAD besides the webhook path. */
enum conn_page { CONN_PAGE_HEALTH, CONN_PAGE_METRICS };

/*
 * A page: write its body (at most size bytes) to body, set *len and
 * *type (a Content-Type), return the status (200, 503 ...).
 */
typedef int (*conn_page_fn)(void *ctx, enum conn_page page, char *body,
    size_t size, size_t *len, const char **type);

struct conn_config {
	const char *path;	/* the webhook path, exact or PATH/SEGMENT */
	const char *health;	/* "" none */
	const char *metrics;	/* "" or NULL: none */
	struct http_limits lim;
	int64_t timeout_ms;	/* a whole request, from its first byte */
	int64_t idle_ms;	/* a new connection until its first byte */
	int any_type;		/* any Content-Type is fine */
	const struct auth *door;	/* NULL: no check at the door */
	struct conn_budget *budget;	/* shared; NULL: not counted */
	conn_page_fn page;
	/* Told every request's answer (a page's not): 202 or a refusal. */
	void (*answered)(void *ctx, int status);	/* NULL: none */
	void *ctx;		/* for page and answered */
	const volatile sig_atomic_t *stopping;	/* set: close after answers */
};

/*
 * The fields above the line are the owner's to read (and one_shot to
 * set); the rest is this module's.
 */
struct conn {
	int rfd, wfd;
	enum conn_state state;
	int status;		/* the answer's; 0 until one (each request) */
	int one_shot;		/* close after the first answer (inetd) */
	int64_t deadline, idle_since;	/* clock_mono_ms */
	char peer[INET6_ADDRSTRLEN + 8];
	char id[33];		/* the request's record id, once routed */
	/* ---- */
	const struct conn_config *cf;
	char *in;		/* grown as bytes arrive, up to max_head + slack */
	size_t inlen, incap, scan, headlen;
	struct http_request req;
	struct http_header *hdrs;
	struct http_chunked ch;
	char *body;
	size_t blen, bcap;
	char outbuf[CONN_OUT_MAX];
	char *out;		/* outbuf, or a page's larger answer */
	size_t outlen, outoff;
	int close_after, body_unread;
	enum auth_result auth;	/* AUTH_REJECTED: not checked here */
	int utf8;		/* the body is UTF-8 (else kept as base64) */
	size_t elen;		/* the body's length in the record */
	size_t lingered;
};

/*
 * A connection on rfd/wfd with room for cf->lim.max_headers in hdrs
 * (the caller's, kept until the end).  Nothing else is reserved until
 * the first byte; until then the idle time-out runs.
 */
void conn_init(struct conn *c, const struct conn_config *cf, int rfd, int wfd,
    struct http_header *hdrs);

/* The same, malloc'd with its header table; NULL when out of memory.
 * conn_free() closes rfd and frees it all. */
struct conn *conn_new(const struct conn_config *cf, int fd);
void conn_free(struct conn *c);

/* Free the request buffers (conn_init'ed connections). */
void conn_buffers_free(struct conn *c);

/* POLLIN and/or POLLOUT as the connection waits for them on fd. */
short conn_events(const struct conn *c, int fd);

/* Read what is there and work through it.  0, or -1 when the peer has
 * gone (then C_DONE). */
int conn_read(struct conn *c);

/* Write what is pending; after a whole answer, go on to the next
 * request or to the close. */
void conn_write(struct conn *c);

/* c->deadline has passed: 408 for a request under way, else close. */
void conn_timeout(struct conn *c);

/* Waiting for a request and owing nothing: may be closed for room. */
int conn_idle(const struct conn *c);

/* Answer a C_READY request: 202 {"id":...} (kept), or a refusal
 * (status and a one-line reason for the body, never a path or errno). */
void conn_accept(struct conn *c);
void conn_refuse(struct conn *c, int status, const char *why);

/*
 * The record of a C_READY request (sentry-tg(5)): one line of JSON with
 * its newline, "seq" included when with_seq.  conn_record_len: its
 * length with a seq, but for the seq's digits (the seq is the position
 * after the record, so the caller finds the digits that fit).
 */
void conn_record(struct jsonstr_out *o, const struct conn *c,
    const char *received, int with_seq, uint64_t seq);
uint64_t conn_record_len(const struct conn *c, const char *received);

#endif
