/*
 * quarantine: a damaged state file is moved aside, not trusted and not
 * fatal.  libc only.
 *
 * A stage whose state file (ack position, replay cache, delivery memory)
 * is empty or unreadable would otherwise exit and be restarted, failing
 * the same way forever.  Renamed to "PATH.bad.SECONDS", it is kept for a
 * human to look at, and the stage starts fresh.
 */
#ifndef QUARANTINE_H
#define QUARANTINE_H

#include <stddef.h>

/*
 * Rename the regular file at path aside; moved (size bytes) gets the new
 * name.  0, or -1 with errno set (EINVAL: not a regular file, which is
 * never moved: a device or a directory is a configuration error).
 */
int quarantine(const char *path, char *moved, size_t size);

#endif
