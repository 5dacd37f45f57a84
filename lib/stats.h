/*
 * stats: sentry-recv's counters, kept in the spool so that every
 * process sees them: in inetd mode each connection is a process of its
 * own, and its counts would die with it.  libc only.
 *
 * SPOOL/stats holds one line per counter, at fixed places: the name
 * padded to 24 characters, a space, 20 digits, a newline.  A writer
 * adds its counts under an exclusive flock on the file itself (held for
 * a read and a write, never across an fdatasync: not the spool's lock,
 * which writers hold while they sync), rewriting it in place, unsynced:
 * a crash may lose the last counts, never a record.  A reader takes a
 * shared flock.  A file that is not in this layout (damaged, or a newer
 * layout) is counted from zero again.  Nothing here exits or prints.
 */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

enum stats_counter {
	STATS_ACCEPTED,		/* kept and answered 202 */
	STATS_UNAUTHORIZED,	/* 401: refused at the door */
	STATS_BAD_REQUEST,	/* every other 4xx, 501, 505 */
	STATS_UNAVAILABLE,	/* 503: could not be kept, or out of memory */
	STATS_EVICTED,		/* a connection closed for room (listener) */
	STATS_N
};

struct stats {
	uint64_t count[STATS_N];
};

/* "accepted", "unauthorized", ... */
const char *stats_name(enum stats_counter c);

/* The counter an answer's status goes to (STATS_N: none, a 1xx-3xx
 * other than 202). */
enum stats_counter stats_of_status(int status);

/* Add delta to the counters in the spool directory dirfd.  0, or -1
 * with errno set. */
int stats_add(int dirfd, const struct stats *delta);

/* Read them (all zero when there is no file yet).  0, or -1 with errno
 * set. */
int stats_read(int dirfd, struct stats *st);

#endif
