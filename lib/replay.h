/*
 * replay: a bounded cache of Sentry Request-IDs already accepted, kept in
 * a file so it survives restarts.
 *
 * Each entry remembers the record id the request came with: the chain
 * replays spool records after a crash (at-least-once), and the same
 * record seen again is a redelivery, not a replay.  Only a request id
 * seen with a DIFFERENT record id is a replay.
 *
 * Other keys may be remembered for a time only (a retry of the same
 * webhook, recognised by its content: see replay_check_within).
 *
 * File: one entry per line, "KEY RECORD-ID [MS]\n", bytes outside
 * printable ASCII (and '%') percent-encoded, "-" for a record without
 * id, MS when the key was seen (keys remembered for a time only).  New entries are appended; when the file holds twice the bound it
 * is rewritten with the newest entries (temporary file, fsync, rename).
 * FILE.lock is held (flock) while the cache is open, so two processes
 * cannot share it by mistake.
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <stddef.h>
#include <stdint.h>

#define REPLAY_DEFAULT_MAX 100000

struct replay;

/* Open (path NULL: memory only) keeping at most max entries.  NULL and
 * errbuf set on failure; errno EINVAL when the file is not a replay
 * cache (damaged: the caller may move it aside and open afresh). */
struct replay *replay_open(const char *path, size_t max, char *errbuf,
    size_t errsize);

enum {
	REPLAY_NEW,		/* not seen: remembered now */
	REPLAY_SAME_RECORD,	/* seen with this record id: a redelivery */
	REPLAY_SEEN		/* seen with another record id: a replay */
};

/*
 * Look up request_id and remember it (with record_id, may be NULL) when
 * new.  *write_error is set when the entry could not be written to the
 * file (the in-memory cache still has it).
 */
int replay_check(struct replay *r, const char *request_id,
    const char *record_id, int *write_error);

/*
 * The same for a key that counts only for window_ms after it was seen:
 * at is when (ms, the record's receipt time, so a replayed spool decides
 * the same); a key seen longer ago is new again, with this record.
 */
int replay_check_within(struct replay *r, const char *key,
    const char *record_id, int64_t at, int64_t window_ms, int *write_error);

size_t replay_count(const struct replay *r);

/* Close; 0, or -1 when a write had failed. */
int replay_close(struct replay *r);

#endif
