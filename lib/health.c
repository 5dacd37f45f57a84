/* health: /healthz and /metrics from the spool's files. */
#include "health.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Text appended to a buffer, cut (never overrun) at its size. */
struct text {
	char *buf;
	size_t size, len;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
	if (t->len > t->size)
		t->len = t->size;
}

void
health_gather(struct spool *sp, struct health *h)
{
	char path[4096];

	memset(h, 0, sizeof *h);
	h->now_ms = clock_now_ms();
	if (spool_state(sp, &h->spool) == -1)
		memset(&h->spool, 0, sizeof h->spool);
	h->writable = h->spool.writable;
	if (stats_read(sp->dirfd, &h->recv) == -1)
		memset(&h->recv, 0, sizeof h->recv);
	if (snprintf(path, sizeof path, "%s/status", sp->path) >= (int)sizeof path ||
	    status_load(path, &h->chain) == -1)
		memset(&h->chain, 0, sizeof h->chain);
}

static int64_t
pending_age_ms(const struct health *h)
{
	if (h->spool.records_behind == 0 || h->spool.oldest_ms == 0 ||
	    h->now_ms < h->spool.oldest_ms)
		return 0;
	return h->now_ms - h->spool.oldest_ms;
}

static int64_t
failing_ms(const struct health *h)
{
	if (h->chain.failing_since_ms == 0 || h->now_ms < h->chain.failing_since_ms)
		return 0;
	return h->now_ms - h->chain.failing_since_ms;
}

static int
stale(const struct health *h, const struct health_limits *l)
{
	return h->spool.records_behind > 0 && pending_age_ms(h) > l->stale_ms;
}

/* Records wait because Telegram has failed for long, none accepted since. */
static int
failing(const struct health *h, const struct health_limits *l)
{
	return h->spool.records_behind > 0 && h->chain.failing_since_ms &&
	    failing_ms(h) > l->failing_ms;
}

/* A time as a JSON value: "RFC 3339", or null for never. */
static void
put_time(struct text *t, const char *name, int64_t ms)
{
	char at[CLOCK_RFC3339_SIZE];

	if (ms)
		put(t, ",\"%s\":\"%s\"", name, clock_format(ms, at, sizeof at));
	else
		put(t, ",\"%s\":null", name);
}

int
health_json(const struct health *h, const struct health_limits *l,
    char *buf, size_t size, size_t *len)
{
	const struct spool_state *s = &h->spool;
	struct text t = { buf, size, 0 };
	char at[CLOCK_RFC3339_SIZE];
	int degraded = stale(h, l) || failing(h, l);
	const char *status = !h->writable ? "unavailable" :
	    degraded ? "degraded" : "ok";
	const char *sep = "";

	put(&t, "{\"status\":\"%s\",\"writable\":%s,\"journal_end\":%" PRIu64
	    ",\"acked\":%" PRIu64 ",\"bytes_behind\":%" PRIu64
	    ",\"records_behind\":%" PRIu64 "%s,\"free_bytes\":%" PRIu64
	    ",\"oldest_pending_seconds\":%" PRId64, status,
	    h->writable ? "true" : "false", s->end, s->acked,
	    s->end > s->acked ? s->end - s->acked : 0, s->records_behind,
	    s->estimated ? ",\"estimated\":true" : "", s->free_bytes,
	    pending_age_ms(h) / 1000);
	put_time(&t, "last_delivery", h->chain.last_success_ms);
	put_time(&t, "telegram_failing_since", h->chain.failing_since_ms);
	put(&t, ",\"dead_letters\":%" PRIu64, h->chain.dead_letters);
	if (h->writable && !degraded) {
		put(&t, "}\n");
		*len = t.len;
		return 200;
	}
	put(&t, ",\"why\":[");
	if (!h->writable) {
		put(&t, "\"the spool is not writable or has less than 1 MiB "
		    "free\"");
		sep = ",";
	}
	if (stale(h, l)) {
		put(&t, "%s\"%" PRIu64 " record%s pending, the oldest received "
		    "%" PRId64 " s ago (more than %g s)\"", sep,
		    s->records_behind, s->records_behind == 1 ? "" : "s",
		    pending_age_ms(h) / 1000, (double)l->stale_ms / 1000);
		sep = ",";
	}
	if (failing(h, l)) {
		put(&t, "%s\"Telegram failing since %s, %" PRId64 " s (more than "
		    "%g s)\"", sep, clock_format(h->chain.failing_since_ms, at,
		    sizeof at), failing_ms(h) / 1000, (double)l->failing_ms / 1000);
		sep = ",";
	}
	if (h->chain.dead_letters)
		put(&t, "%s\"%" PRIu64 " dead letter%s\"", sep,
		    h->chain.dead_letters, h->chain.dead_letters == 1 ? "" : "s");
	put(&t, "]}\n");
	*len = t.len;
	return 503;
}

/* One metric without labels: its HELP and TYPE lines and its value. */
static void
metric(struct text *t, const char *name, const char *type, const char *what,
    uint64_t value)
{
	put(t, "# HELP sentry_tg_%s %s\n# TYPE sentry_tg_%s %s\n"
	    "sentry_tg_%s %" PRIu64 "\n", name, what, name, type, name, value);
}

size_t
health_metrics(const struct health *h, const struct health_limits *l,
    char *buf, size_t size)
{
	struct text t = { buf, size, 0 };

	metric(&t, "webhooks_accepted_total", "counter",
	    "Webhooks kept in the spool and answered 202.",
	    h->recv.count[STATS_ACCEPTED]);
	put(&t, "# HELP sentry_tg_webhooks_rejected_total Requests refused, or "
	    "connections closed to make room, by reason.\n"
	    "# TYPE sentry_tg_webhooks_rejected_total counter\n");
	for (int i = STATS_ACCEPTED + 1; i < STATS_N; i++)
		put(&t, "sentry_tg_webhooks_rejected_total{reason=\"%s\"} %" PRIu64
		    "\n", stats_name(i), h->recv.count[i]);
	metric(&t, "messages_sent_total", "counter",
	    "Messages Telegram accepted (each part of a split message).",
	    h->chain.messages_sent);
	metric(&t, "dead_letters_total", "counter",
	    "Records Telegram refused for good.", h->chain.dead_letters);
	put(&t, "# HELP sentry_tg_telegram_errors_total Telegram answers other "
	    "than ok, by error code (network: none).\n"
	    "# TYPE sentry_tg_telegram_errors_total counter\n");
	for (size_t i = 0; i < h->chain.nerrors; i++)
		put(&t, "sentry_tg_telegram_errors_total{code=\"%s\"} %" PRIu64
		    "\n", h->chain.errors[i].code, h->chain.errors[i].count);
	metric(&t, "records_pending", "gauge",
	    "Records in the spool the chain has not acknowledged.",
	    h->spool.records_behind);
	metric(&t, "oldest_pending_seconds", "gauge",
	    "Age of the oldest record not acknowledged (0: none).",
	    (uint64_t)(pending_age_ms(h) / 1000));
	metric(&t, "last_delivery_timestamp_seconds", "gauge",
	    "When Telegram last accepted a message (0: never).",
	    (uint64_t)(h->chain.last_success_ms > 0 ?
	    h->chain.last_success_ms / 1000 : 0));
	metric(&t, "healthy", "gauge", "1 when /healthz says ok, else 0.",
	    h->writable && !stale(h, l) && !failing(h, l));
	return t.len;
}
