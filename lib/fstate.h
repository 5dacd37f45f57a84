/*
 * fstate: a tool's state kept as one JSON object in a file.
 *
 * Saved atomically: written to a temporary file in the same directory,
 * fdatasync'd, renamed over the old one (and the directory synced), so a
 * crash leaves the old state or the new one, never a torn file.  Mode
 * 0600.  Loading refuses files larger than FSTATE_MAX_SIZE.
 */
#ifndef FSTATE_H
#define FSTATE_H

#include <jv.h>
#include <stddef.h>

#define FSTATE_MAX_SIZE (64u << 20)

/*
 * 0 and *state set to the object in path (an empty object when the file
 * does not exist or is empty); -1 with err and errno set when it cannot
 * be read, errno EINVAL when it is damaged: not a JSON object, or larger
 * than FSTATE_MAX_SIZE (lib/quarantine moves such a file aside).
 */
int fstate_load(const char *path, jv *state, char *err, size_t errsize);

/* Write state (borrowed) to path atomically: 0 ok, -1 with err set. */
int fstate_save(const char *path, const jv *state, char *err, size_t errsize);

#endif
