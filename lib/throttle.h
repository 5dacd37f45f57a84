/*
 * throttle: what sentry-filter remembers per issue.
 *
 * One entry per issue key ("issue:<id>", or a title when the alert has
 * no issue id): the received times of its last few records (for "seen
 * more than N times in M seconds"), when a message for it was last let
 * through (at most one per window), how many were held back since the
 * last digest, whether it was seen resolved, and the fields a digest
 * lists.  Times are ms since the epoch and come from the records'
 * "received" field, never the wall clock, so a replay decides the same.
 *
 * The table is bounded: past max_issues entries the least recently seen
 * ones without held-back records are forgotten first; the held counts of
 * any forgotten entry are kept in a total, so a digest never loses one.
 */
#ifndef THROTTLE_H
#define THROTTLE_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#define THROTTLE_NEVER INT64_MIN

struct throttle_issue {
	char *key;
	int64_t last_seen;	/* received ms of its latest record */
	int64_t last_sent;	/* received ms of its last message, or NEVER */
	int resolved;		/* seen resolved, not seen again since */
	unsigned long held;	/* held back since the last digest */
	unsigned long unsent;	/* held back since its last message */
	int64_t unsent_since;	/* received ms of the first of those */
	unsigned bursts;	/* bit i: above the i-th frequency rule */
	char *rule;		/* the rule of its last message, or NULL */
	unsigned long total;	/* records seen, all time */
	int64_t *times;		/* ring of the latest received times */
	unsigned ring, ntimes, head;	/* capacity, used, next slot */
	jv info;		/* digest fields: issue_id, short_id, title, ... */
};

struct throttle;

/* ring_size: how many received times to keep per issue (>= N+1 for a
 * "more than N" frequency rule). */
struct throttle *throttle_new(size_t max_issues, unsigned ring_size);
void throttle_free(struct throttle *);

size_t throttle_count(const struct throttle *);
struct throttle_issue *throttle_find(struct throttle *, const char *key);
/* Find or create (may forget old entries to make room).  NULL: no memory. */
struct throttle_issue *throttle_touch(struct throttle *, const char *key);

/* Record one event of the issue at time t. */
void throttle_note(struct throttle_issue *, int64_t t);

/* How many of the remembered events fall in (now - window_ms, now]. */
unsigned throttle_recent(const struct throttle_issue *, int64_t now,
    int64_t window_ms);

/*
 * May a message for this issue go out at time now?  1: yes, and the
 * window restarts at now.  0: a message went out less than window_ms
 * ago; the record is counted as held back.  window_ms <= 0: always 1.
 * That is throttle_due, then throttle_sent or throttle_hold.
 */
int throttle_allow(struct throttle_issue *, int64_t now, int64_t window_ms);
/* 1 when no message went out for the issue in the window before now. */
int throttle_due(const struct throttle_issue *, int64_t now,
    int64_t window_ms);
/* A message went out at now (under rule, borrowed; NULL keeps the
 * last): the window restarts and the unsent count is cleared. */
void throttle_sent(struct throttle_issue *, int64_t now, const char *rule);
/* A record received at now was held back. */
void throttle_hold(struct throttle_issue *, int64_t now);

/* Replace the digest fields (consumed; must be an object). */
void throttle_set_info(struct throttle_issue *, jv info);

/*
 * Held-back records since the last call: *total is their number, the
 * result an array of at most max_list objects (info + "count" +
 * "last_seen"), most held first; *omitted the issues left out.  Resets
 * the held counts.
 */
jv throttle_digest(struct throttle *, size_t max_list, unsigned long *total,
    unsigned long *omitted);
/*
 * The same for a digest per group: group_of(info, ctx) names the group
 * of each held issue (a jv string; the caller's route, say).  An array
 * of {"group","issues","total","omitted"}: the group named first comes
 * first and always (its total may be 0; it also counts the held records
 * of forgotten issues), then the others in the order of their most held
 * issue; at most max_list issues each, most held first.  first is
 * consumed.  Resets the held counts.
 */
jv throttle_digest_groups(struct throttle *, jv first, size_t max_list,
    jv (*group_of)(const jv *info, void *ctx), void *ctx);
/* Held-back records not yet in a digest. */
unsigned long throttle_held(const struct throttle *);

/*
 * The table as JSON, and back (replacing the contents; 0 ok, -1 bad).
 * Received times older than horizon_ms before an issue's last_seen can
 * no longer count and are left out (horizon_ms <= 0: all are kept).
 */
jv throttle_save(const struct throttle *, int64_t horizon_ms);
int throttle_load(struct throttle *, const jv *saved);

#endif
