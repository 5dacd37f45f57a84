/*
 * decide: sentry-filter's policy.  What becomes of one record: let
 * through on a rule's route, dropped (and why), held back by the
 * throttle, or folded into a storm digest; and when a digest falls due.
 *
 * The throttle holds back repeats, not news: a regression, an issue's
 * first crossing of a frequency rule's threshold and a state change of
 * an issue messaged before go out inside the window, and a message
 * after held records says how many ("held").  Telegram's send limits
 * are modelled per chat (lib/pace, in received time): what it would
 * send only late is folded into one storm digest per route.
 *
 * The decider owns the stage's memory (the issue table of lib/throttle,
 * the ids decided of lib/seen, the digest period) and saves it as one
 * JSON object.  Time is passed in: a record's "received" time decides,
 * the wall clock only where the caller says so (idle, end of input), so
 * a replay of the same records decides the same.  It never prints and
 * never exits: what the tool should say comes back in the decision.
 *
 * Ownership as in jv.h: a jv parameter is consumed, a const jv * is
 * borrowed; the jv members of a decision are the caller's
 * (decision_free).
 */
#ifndef DECIDE_H
#define DECIDE_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

struct decide_config {
	const struct rules *rules;	/* borrowed, outlives the decider */
	const char *chat;	/* the default route's chat; NULL: none */
	int64_t topic;		/* the default route's topic; -1: none */
	int silent;		/* routes are silent unless a rule says */
	int64_t throttle_ms;	/* window of rules without their own; 0 off */
	int64_t digest_ms;	/* digest period; 0: no digests */
	int64_t storm_ms;	/* how long a storm digest collects; 0: off */
	int clock_records;	/* only received times move the digest */
	int keep_payload;	/* leave "payload" in records let through */
	int explain;		/* fill decision.notes with the reasons */
	size_t max_issues;	/* issue table bound */
	size_t max_seen;	/* ids remembered with their decision */
};

enum decide_outcome {
	DECIDE_FORWARD,		/* not an alert record: write it as it came */
	DECIDE_SEND,		/* let through: out has "rule" and "route" */
	DECIDE_DROP,		/* out is a drop marker */
	DECIDE_FAIL		/* out of memory: error says so */
};

/* The drop reason of a message folded into a storm digest. */
#define DECIDE_STORM "folded into a storm digest"

struct decision {
	enum decide_outcome outcome;
	jv out;			/* SEND, DROP: the record to write */
	jv before;		/* records due before it (digests), in order */
	char *notes;		/* what to tell: see decision_note */
	size_t notes_len;
	int throttled;		/* DROP by the throttle */
	int folded;		/* DROP: folded into a storm digest */
	int replayed;		/* decided before: same decision, not counted */
	int no_received;	/* no usable "received": wall clock time */
	char error[160];	/* FAIL: what went wrong */
};

struct decide;

/* NULL: out of memory.  cfg is copied (its pointers are borrowed). */
struct decide *decide_new(const struct decide_config *cfg);
void decide_free(struct decide *);

/*
 * The state as saved by decide_save (borrowed).  0 ok; -1 with err set
 * ("bad issues table", "bad seen list") when it is not of that shape.
 */
int decide_load(struct decide *, const jv *state, char *err, size_t n);
/* The state as one JSON object; afterwards decide_changed is 0. */
jv decide_save(struct decide *);
/* 1 when something was decided since the last save. */
int decide_changed(const struct decide *);

/*
 * Decide on one record (consumed).  wall_ms is the wall clock now: used
 * when the record has no usable "received" time, and to tell a clock
 * jump upstream from a period that really ended.  Fills *dn
 * (decision_free it).  Returns dn->outcome.
 */
enum decide_outcome decide_record(struct decide *, jv rec, int64_t wall_ms,
    struct decision *dn);
void decision_free(struct decision *dn);

/*
 * What the decision has to tell about the record, in order: the next
 * line from *at (start at 0), NULL after the last.  *kind is
 * DECIDE_NOTE_WARN (a warning: a jq condition failed at run time) or
 * DECIDE_NOTE_EXPLAIN (why: only with config.explain).
 */
#define DECIDE_NOTE_EXPLAIN 'x'
#define DECIDE_NOTE_WARN 'w'
const char *decision_note(const struct decision *dn, size_t *at, int *kind);

/*
 * Time moved to now with no record (idle input, end of input): the
 * digest records that fell due, as an array (empty: none).
 */
jv decide_tick(struct decide *, int64_t now);
/* When decide_tick will next have something to emit; -1: nothing held. */
int64_t decide_next_due(const struct decide *);

/*
 * The digests written while idle that no record has followed yet, as an
 * array: written again at start, in case they never reached Telegram
 * (tg-send sends a record without a seq once per id).  The digests
 * written before a record are written again when that record is
 * replayed.
 */
jv decide_pending(const struct decide *);

/*
 * The unit the throttle counts per: "issue:<id>", a metric alert's
 * "metric:<rule>:<severity>", or "title:<project>:<title>"; NULL when
 * the alert has none of these (it is never throttled).
 */
const char *decide_issue_key(const jv *alert, char *buf, size_t n);
/* 1 when the alert says it is its issue's first event. */
int decide_is_new(const jv *alert);

#endif
