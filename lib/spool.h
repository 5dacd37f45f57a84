/*
 * spool: the receiver's journal, libc only.
 *
 * A spool is a directory of append-only segment files
 * "journal.NNNNNNNNNNNNNNNNNNNN", each named by the journal position (a
 * byte offset counted over the whole journal) of its first byte, holding
 * one record per line.  A record's position ("seq") is the journal offset
 * just past its newline, so it only grows, and the ack file "acked"
 * (lib/cursor.h) says "every byte before here is handled".
 *
 * Writers take an exclusive flock on "lock", cut away a torn last line a
 * killed writer may have left, append, fdatasync, and only then answer.
 * The newest segment is never removed, so positions never go back.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_SEGMENT_MAX (64ULL << 20)

struct spool {
	const char *path;	/* for messages */
	int dirfd, lockfd;
	uint64_t segment_max;
	/* one append in progress (between begin and commit) */
	int segfd;
	uint64_t segstart, size_at_begin;
};

/* 0, or -1 with errno set (the directory must exist). */
int spool_open(struct spool *sp, const char *dir, uint64_t segment_max);
void spool_close(struct spool *sp);

/*
 * Lock the spool and get the newest segment ready for appending (created,
 * or a new one started when it is full).  *pos is the journal position of
 * the next byte written; write to spool_fd().  0, or -1 with errno set
 * (unlocked again).
 */
int spool_begin(struct spool *sp, uint64_t *pos);
int spool_fd(const struct spool *sp);

/*
 * End the append: unlock, then fdatasync.  With failed != 0 (an errno: a
 * write went wrong) the segment is cut back to where it was and -1 is
 * returned.  When the sync fails, -1 with errno set: the record must not
 * be acknowledged, though it may still be in the journal (and be handled
 * twice when the client retries: at least once, never lost).
 */
int spool_commit(struct spool *sp, int failed);

/*
 * The first half of spool_commit, for a caller that syncs elsewhere (a
 * thread, so that the next requests are read meanwhile): unlock and
 * return the segment's descriptor, which the caller must fdatasync before
 * acknowledging anything and then close.  With failed != 0, as in
 * spool_commit: cut back, unlock, -1.
 */
int spool_release(struct spool *sp, int failed);

/* Journal positions of the segments, ascending; *starts is malloc'd. */
int spool_segments(struct spool *sp, uint64_t **starts, size_t *n);

struct spool_state {
	uint64_t end;		/* journal position after the last byte */
	uint64_t acked;		/* from SPOOL/acked */
	uint64_t records_behind;	/* complete records after acked */
	int estimated;		/* records_behind estimated (a long backlog) */
	uint64_t free_bytes;	/* available to us on the file system */
	int writable;
};

/* For the health check.  0, or -1 with errno set. */
int spool_state(struct spool *sp, struct spool_state *st);

/*
 * Follow: write every complete record from journal position *pos on to
 * fd, advancing *pos past each.  A *pos that is not at a record boundary
 * is moved to the next one.  Returns the number of bytes written (0 when
 * nothing new), or -1 with errno set (EPIPE: the reader is gone).
 */
int64_t spool_emit(struct spool *sp, uint64_t *pos, int fd);

/* Remove segments that lie wholly before acked (never the newest). */
int spool_gc(struct spool *sp, uint64_t acked);

#endif
