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
 * Writers take an exclusive flock on "lock" and hold it until their
 * append is durable or taken back: they cut away a torn last line a
 * killed writer may have left, append, fdatasync, and then publish the
 * new end in "committed".  Readers (the follower) never read past
 * "committed", so a batch whose write or sync fails can be cut back
 * without anyone having seen it, and positions are never reused under a
 * reader.  When no writer holds the lock, everything in the journal is
 * committed (a writer killed before publishing leaves records nobody was
 * told were kept: delivering them is harmless), and the next writer or a
 * reader that finds the lock free publishes it.
 *
 * A segment that holds a record authenticated at the door has a marker
 * file "journal.N.auth".  Past a size cap, the oldest segments without
 * one (nothing in them was authenticated) may be removed before the chain
 * has handled them: junk cannot fill the disk, and an authenticated
 * webhook is never removed unhandled.  The newest segment is removed only
 * once it is wholly acknowledged, so positions never go back.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_SEGMENT_MAX (16ULL << 20)
#define SPOOL_CAP_DEFAULT (512ULL << 20)

struct spool {
	const char *path;	/* for messages */
	int dirfd, lockfd, commitfd;
	uint64_t segment_max;
	uint64_t cap;		/* unhandled bytes kept at most; 0: no cap */
	uint64_t marked;	/* segment start known to have its marker + 1 */
	int readonly;		/* a reader that writes nothing, locks nothing */
	/* one append in progress (between begin and finish) */
	int segfd;
	uint64_t segstart, size_at_begin;
};

/* 0, or -1 with errno set (the directory must exist).  cap: 0 none. */
int spool_open(struct spool *sp, const char *dir, uint64_t segment_max,
    uint64_t cap);

/*
 * For reading alone (spool_emit, spool_state): nothing is created,
 * written, locked or removed, and what no writer has published in
 * "committed" yet is not read.  0, or -1 with errno set.
 */
int spool_open_readonly(struct spool *sp, const char *dir);
void spool_close(struct spool *sp);

/*
 * Lock the spool and get the newest segment ready for appending (created,
 * or a new one started when it is full); over the cap, remove the oldest
 * unauthenticated segments.  *pos is the journal position of the next byte
 * written; write to spool_fd().  The lock is held until spool_written()
 * fails or spool_finish().  0, or -1 with errno set (unlocked again).
 */
int spool_begin(struct spool *sp, uint64_t *pos);
int spool_fd(const struct spool *sp);

/* The records about to be written include an authenticated one: mark the
 * segment (once per segment, durably).  0, or -1 with errno set. */
int spool_mark_authenticated(struct spool *sp);

/*
 * The writes are done.  With failed != 0 (an errno: a write went wrong)
 * the segment is cut back to where it was, the lock released and -1
 * returned (errno = failed).  Else the segment's descriptor, to be
 * fdatasync'd (by the caller, in any thread) before spool_finish().
 */
int spool_written(struct spool *sp, int failed);

/*
 * End the append: sync_err 0 (the fdatasync succeeded) publishes the new
 * end for readers and returns 0; else the append is cut back and -1
 * returned with errno = sync_err.  Releases the lock either way.
 */
int spool_finish(struct spool *sp, int sync_err);

/* spool_written, fdatasync, spool_finish: 0, or -1 with errno set. */
int spool_commit(struct spool *sp, int failed);

/* Journal positions of the segments, ascending; *starts is malloc'd. */
int spool_segments(struct spool *sp, uint64_t **starts, size_t *n);

struct spool_state {
	uint64_t end;		/* journal position after the last byte */
	uint64_t acked;		/* from SPOOL/acked */
	uint64_t records_behind;	/* complete records after acked */
	int estimated;		/* records_behind estimated (a long backlog) */
	int64_t oldest_ms;	/* "received" of the first record after acked
				 * (ms since the epoch); 0: none, or unknown */
	uint64_t free_bytes;	/* available to us on the file system */
	int writable;
};

/*
 * For the health check: a few directory entries and stat calls, at most
 * 32 MiB read to count records (beyond that estimated) and one read of
 * SPOOL_STATE_HEAD bytes for oldest_ms, which the record's first members
 * ({"v":1,"id":"...","seq":N,"received":"..."}) must hold.  0, or -1
 * with errno set.
 */
#define SPOOL_STATE_HEAD 160
int spool_state(struct spool *sp, struct spool_state *st);

/*
 * Follow: write every complete, committed record from journal position
 * *pos on to fd, advancing *pos past each.  A *pos that is not at a
 * record boundary is moved to the next one.  Returns the number of bytes
 * written (0 when nothing new), or -1 with errno set (EPIPE: the reader
 * is gone).
 */
int64_t spool_emit(struct spool *sp, uint64_t *pos, int fd);

/* Remove segments that lie wholly before acked (the newest one too, when
 * no writer holds the lock). */
int spool_gc(struct spool *sp, uint64_t acked);

/*
 * The spool's reader, the first stage of the chain: write every
 * committed record after the position in dir/acked to out, in order,
 * then wait for more (inotify, or a look every second), removing the
 * segments that lie wholly before the acknowledged position as it goes.
 * dir is created (mode 0700) if missing.  One follower per spool: it
 * holds an exclusive flock on dir/follow.lock, and a second one waits
 * there (saying so) until the first is gone, so that no record is sent
 * twice by two chains.  An ack file that holds no position is moved
 * aside (lib/quarantine, said) and following starts from the oldest
 * record kept.  It returns only on failure: -1 with errno EPIPE when
 * out's reader is gone, or with err set ("PATH: why").
 *
 * SPOOL_FOLLOW_ONCE shows the backlog instead, even while a follower
 * runs: every committed record after dir/acked (after the oldest kept
 * when the ack file is damaged, said) and 0.  Read-only: no follow.lock,
 * no removal, nothing moved aside, dir not created (spool_open_readonly).
 */
#define SPOOL_FOLLOW_ONCE 1
int spool_follow(const char *dir, int out, int flags, char *err,
    size_t errsize);

#endif
