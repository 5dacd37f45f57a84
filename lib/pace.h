/*
 * pace: keep under Telegram's sending limits, so it never has to answer
 * 429.  Three sliding windows, each "at most count sends per window_ms":
 * per chat (default 1 per second), per group chat (a negative chat id;
 * default 20 per minute) and overall (default 30 per second).  A limit
 * with count 0 is off.
 *
 * The caller asks how long to wait before the next send to a chat, waits,
 * then notes the send.  Times are monotonic milliseconds passed in, so the
 * module is pure and testable.  A chat silent for longer than every window
 * is forgotten: the state stays small however many chats there are.
 */
#ifndef PACE_H
#define PACE_H

#include <stddef.h>
#include <stdint.h>

struct pace_limit {
	unsigned count;		/* sends allowed per window; 0: no limit */
	int64_t window_ms;
};

struct pace_limits {
	struct pace_limit chat, group, all;
};

/* Telegram's published limits: 1/s per chat, 20/min per group, 30/s. */
void pace_default_limits(struct pace_limits *limits);

/* Parse "COUNT/SECONDS" ("20/60", "1/1", "0" = off; SECONDS may have a
 * fraction).  0 ok, -1 not a limit. */
int pace_parse_limit(const char *text, struct pace_limit *limit);

struct pace;

struct pace *pace_new(const struct pace_limits *limits);
void pace_free(struct pace *p);

/* Milliseconds to wait at now_ms before a send to chat may go (0: now). */
int64_t pace_delay(struct pace *p, const char *chat, int64_t now_ms);

/* Note a send to chat at now_ms.  0 ok, -1 out of memory. */
int pace_note(struct pace *p, const char *chat, int64_t now_ms);

/* 1 when chat is a group for the group limit (a negative id). */
int pace_is_group(const char *chat);

#endif
