/*
 * cursor: the spool position the chain has fully handled.
 *
 * A cursor file holds one decimal journal position ("seq") and a newline.
 * The last stage of the chain writes it after each record it has handled
 * (sent, failed for good, or dropped by a rule); the spool reader starts
 * after it.  The value is rewritten in place, fixed width, and made
 * durable with fdatasync before cursor_write returns.
 */
#ifndef CURSOR_H
#define CURSOR_H

#include <stdint.h>

/* 0 and *seq set (0 when the file does not exist yet); -1 on error with
 * errno set (EINVAL: the file does not hold a position: empty, a sign,
 * anything but digits and a newline). */
int cursor_read(const char *path, uint64_t *seq);

/* 0 ok, -1 with errno set.  The file is created mode 0600; its
 * descriptor is kept open for the next write to the same path. */
int cursor_write(const char *path, uint64_t seq);

#endif
