/*
 * health: what sentry-recv's /healthz and /metrics say about the whole
 * relay, from what the spool holds.  libc only.
 *
 * The figures come from files, because in inetd mode each request is a
 * process of its own: the spool itself (journal end, SPOOL/acked, the
 * "received" time of the first record not acknowledged), the receiver's
 * counters (SPOOL/stats, lib/stats) and the chain's delivery figures
 * (SPOOL/status, lib/status, written by tg-send).  Gathering them is
 * cheap and bounded (lib/spool's spool_state, two small files): both
 * pages are open to anyone.  Neither says a path or a secret.
 *
 * The verdict: "unavailable" (503) when the spool is not writable or
 * has less than 1 MiB free; "degraded" (503) when records are pending
 * and the oldest of them is older than stale_ms, or when the chain has
 * failed to deliver (a network error, a 5xx, a rejected token) for
 * longer than failing_ms with nothing accepted since; else "ok" (200).
 * Nothing here exits or prints.
 */
#ifndef HEALTH_H
#define HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "spool.h"
#include "stats.h"
#include "status.h"

#define HEALTH_STALE_MS 120000		/* --stale-after default */
#define HEALTH_FAILING_MS 60000		/* --failing-after default */

struct health_limits {
	int64_t stale_ms, failing_ms;
};

struct health {
	int writable;
	struct spool_state spool;
	struct stats recv;
	struct status chain;		/* all zero when there is none */
	int64_t now_ms;
};

/* Everything there is to know from the spool sp (opened).  Missing or
 * damaged parts read as zero (an unreadable spool as not writable). */
void health_gather(struct spool *sp, struct health *h);

/*
 * The /healthz body: one line of JSON, {"status":..., "writable":...,
 * the spool's figures, "oldest_pending_seconds", "last_delivery",
 * "telegram_failing_since", "dead_letters", and "why" (a list of
 * sentences) when it is not ok}.  Returns the HTTP status (200 or 503)
 * with *len set; the body is cut at size.
 */
int health_json(const struct health *h, const struct health_limits *l,
    char *buf, size_t size, size_t *len);

/* The /metrics body, Prometheus text format 0.0.4 (names prefixed
 * sentry_tg_, see sentry-recv(1)).  Its length; cut at size. */
size_t health_metrics(const struct health *h, const struct health_limits *l,
    char *buf, size_t size);

#endif
