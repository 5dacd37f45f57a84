/*
 * status: the chain's delivery figures, written by its last stage
 * (tg-send --status) and read by whoever reports on the relay
 * (sentry-recv's /healthz and /metrics).  libc only.
 *
 * The file holds "key value" lines, written whole to a temporary file
 * and renamed over the old one (not synced: these are figures, and a
 * crash that loses the last few is harmless):
 *
 *	v 1
 *	messages_sent 12
 *	dead_letters 1
 *	last_success_ms 1795940861123
 *	failing_since_ms 0
 *	telegram_error 429 3
 *	telegram_error network 2
 *
 * messages_sent counts the messages Telegram accepted (a message split
 * in parts counts each part); dead_letters the records Telegram refused
 * for good; telegram_error the answers other than ok by error code (the
 * HTTP status when Telegram gave none, "network" when nothing came
 * back).  Times are ms since the epoch, 0 for never: the last accepted
 * message, and the first failure since then that leaves a record
 * undelivered (a network error, a 5xx, a rejected token) while nothing
 * has been accepted since.  A reader skips keys it does not know and
 * reads at most STATUS_MAX_SIZE bytes.  Nothing here exits or prints.
 */
#ifndef STATUS_H
#define STATUS_H

#include <stddef.h>
#include <stdint.h>

#define STATUS_MAX_CODES 16	/* error codes kept; more count as "other" */
#define STATUS_MAX_SIZE 4096

struct status_error {
	char code[16];		/* "429", "network", "other" */
	uint64_t count;
};

struct status {
	uint64_t messages_sent, dead_letters;
	int64_t last_success_ms, failing_since_ms;
	struct status_error errors[STATUS_MAX_CODES];
	size_t nerrors;
	/* the writer's: something new since the last save, and when that was */
	int dirty;
	int64_t saved_mono_ms;
};

/*
 * Read path into st.  0 (a missing file reads as all zero), or -1 with
 * errno set: EINVAL when it is not a status file (st is then zero).
 */
int status_load(const char *path, struct status *st);

/* Write st to path atomically (path.tmp, renamed).  0, or -1 with errno. */
int status_save(const char *path, const struct status *st);

/*
 * Save when something changed and, unless force, when the last save is
 * at least STATUS_MIN_INTERVAL_MS old (by clock_mono_ms); so a writer
 * may call it after every record.  0 (saved or nothing to do), or -1
 * with errno set (st stays dirty).
 */
#define STATUS_MIN_INTERVAL_MS 200
int status_flush(const char *path, struct status *st, int force);

/* One answer from Telegram at now_ms: ok, or an error with its code;
 * failing: the error leaves a record undelivered. */
void status_note_ok(struct status *st, int64_t now_ms);
void status_note_error(struct status *st, const char *code, int failing,
    int64_t now_ms);
void status_note_dead_letter(struct status *st);

#endif
