/*
 * serve: sentry-recv's two ways of serving connections (lib/conn), and
 * where the requests they accept are kept.  libc and pthreads only.
 *
 * inetd mode: one connection on stdin/stdout, closed after its answer.
 * Listener mode: many connections on listening sockets, in one process
 * with poll(2), keep-alive and pipelining, with a cap on connections (the
 * longest idle one is closed to make room for a new one) and on
 * connections per peer address.
 *
 * A complete request becomes one record, appended to a spool (lib/spool:
 * durable, answered 202 only after fdatasync) or to a file or FIFO (not
 * durable).  The requests complete at the same moment are written
 * together and share one fdatasync (group commit); in listener mode the
 * fdatasync runs in a thread while the next batch is read and written.
 * When they cannot be kept every one of them is answered 503 and the
 * reason goes to the log, never to the client.
 *
 * With a spool, every answer to a request is counted in SPOOL/stats
 * (lib/stats: at once in inetd mode, before the answer is written, so
 * the next request's process sees it; once per round of the poll loop
 * in listener mode), and the health and metrics pages come from
 * lib/health.  Without one, the health page says only whether the file
 * is writable, and there is no metrics page.
 *
 * Nothing here exits: the tool turns the results into exit statuses.
 * Diagnostics go through lib/diag.
 */
#ifndef SERVE_H
#define SERVE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "health.h"
#include "spool.h"
#include "stats.h"

#define SERVE_MAX_LISTEN 16

struct serve {
	/* The caller's, set before serve_open (conn.page, conn.ctx and
	 * conn.budget are set there). */
	struct conn_config conn;
	const char *spool;		/* the spool directory, or */
	const char *output;		/* a file or FIFO (not durable) */
	uint64_t segment_max, spool_cap;	/* lib/spool; 0: defaults */
	unsigned max_conns, max_per_peer;	/* listener mode */
	uint64_t mem_budget;		/* request buffers of all connections;
					 * 0: 64 MiB in listener mode, no limit
					 * in inetd mode */
	const volatile sig_atomic_t *stopping;	/* listener mode ends */
	struct health_limits limits;	/* when /healthz says degraded */
	/* This module's. */
	struct spool sp;
	struct conn_budget budget;
	struct stats counted;		/* not in SPOOL/stats yet */
	int have_counted;
	int listeners[SERVE_MAX_LISTEN];
	int nlisteners;
};

/*
 * Get ready to keep requests.  -1 with errno set when the spool cannot
 * be opened: serving goes on all the same, answering 503 until it can.
 */
int serve_open(struct serve *s);
void serve_close(struct serve *s);

/*
 * inetd mode: serve the one connection on stdin and stdout, the peer
 * named by the environment (tcpserver, systemd, socat) or getpeername.
 * Returns the status answered, 0 when there was none (the client went
 * away first).
 */
int serve_stdio(struct serve *s);

/*
 * Listen on spec: a numeric address and a port ("127.0.0.1:8001",
 * "[::1]:0", "*:8001", "localhost:8001"; no name lookups, which a static
 * binary cannot do).  0 with the address bound in bound ("[::1]:8001");
 * else err says why ("SPEC: why"): 1 when spec is not such an address,
 * -1 when it cannot listen there (errno set).
 */
int serve_bind(struct serve *s, const char *spec, char *bound,
    size_t boundsize, char *err, size_t errsize);

/* Take the listening sockets systemd passed (Accept=no: LISTEN_PID,
 * LISTEN_FDS; a connection passed with Accept=yes is not taken).
 * Returns how many. */
int serve_systemd(struct serve *s);

/* Listener mode on the sockets bound or taken, until *s->stopping.
 * 0, or -1 when it cannot go on (said). */
int serve_listen(struct serve *s);

#endif
