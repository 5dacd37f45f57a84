/*
 * cursor: the spool position the chain has fully handled.
 *
 * A cursor file holds one decimal journal position ("seq") and a newline.
 * The last stage of the chain writes it after each record it has handled
 * (sent, failed for good, or dropped by a rule); the spool reader starts
 * after it.  Writes are atomic (temporary file, fdatasync, rename), so a
 * crash leaves the old or the new value, never a torn one.
 */
#ifndef CURSOR_H
#define CURSOR_H

#include <stdint.h>

/* 0 and *seq set (0 when the file does not exist yet); -1 on error with
 * errno set (EINVAL: the file does not hold a position). */
int cursor_read(const char *path, uint64_t *seq);

/* 0 ok, -1 with errno set.  The file is created mode 0600. */
int cursor_write(const char *path, uint64_t seq);

#endif
