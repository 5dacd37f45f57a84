/*
 * alert: Sentry webhook bodies to the suite's one "alert" view.
 *
 * Pure functions: no I/O, no global state, no exits, so fuzzers and any
 * tool can call them.  Ownership as in jv.h: const jv * is borrowed, the
 * returned jv is the caller's.
 *
 * The view (man sentry-tg(5)): kind, action, level, title, message,
 * culprit, exception, location, stacktrace, project, project_id,
 * environment, release, platform, event_id, issue_id, short_id, url,
 * first_seen, last_seen, timestamp, count, users, tags, rule,
 * duration_ms, status, assignee, resolution, metric, build, seer,
 * comment, actor.
 * A field the payload lacks is left out.
 */
#ifndef ALERT_H
#define ALERT_H

#include <jv.h>
#include <stddef.h>

/* Bounds that keep the view small whatever the payload holds. */
#define ALERT_TEXT_MAX		1024	/* bytes of title, culprit, rule ... */
#define ALERT_MESSAGE_MAX	2048	/* bytes of message and comment */
#define ALERT_FRAMES_MAX	50	/* stack frames kept (innermost) */
#define ALERT_TAGS_MAX		50	/* tags kept */
#define ALERT_TAG_VALUE_MAX	200	/* bytes of one tag value */

struct alert_input {
	const char *resource;	/* Sentry-Hook-Resource header, or NULL */
	const char *body;	/* the exact body bytes, for ids above 2^53 */
	size_t body_len;
	const char *sentry_url;	/* base of built links; NULL: https://sentry.io */
};

/*
 * Parse a webhook body (exact bytes): a JSON object, or jv_invalid with
 * a message.  Lone UTF-16 surrogate escapes ("\ud83d" not followed by
 * a low surrogate), which Sentry's ASCII-only encoder can emit for
 * truncated emoji and libjq 1.6 refuses, become U+FFFD first.
 */
jv alert_parse(const char *body, size_t len);

/* The same; *repaired set to 1 when the text had to be changed (lone
 * surrogates), so that it no longer stands for the parsed value. */
jv alert_parse_repaired(const char *body, size_t len, int *repaired);

/* The alert view of a parsed payload. */
jv alert_normalise(const jv *payload, const struct alert_input *in);

/* The kind for a payload (a static string): see alert_normalise. */
const char *alert_kind(const jv *payload, const char *resource);

#endif
