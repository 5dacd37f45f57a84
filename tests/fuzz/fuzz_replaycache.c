/*
 * fuzz_replaycache: the replay cache's file reader on arbitrary file contents.
 * Opening either succeeds (and the cache then answers consistently: a key
 * just added is seen with its record, another record is a replay) or
 * fails with a reason; a damaged file is EINVAL, never a crash or a leak.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "replay.h"

static char dir[64], path[96], lock[128];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(dir, sizeof dir, "/tmp/fuzz_replaycache.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/cache", dir);
	snprintf(lock, sizeof lock, "%s.lock", path);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], tmp[128];
	struct replay *r;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), werr;

	if (fd == -1 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	err[0] = '\0';
	r = replay_open(path, 1 + size % 64, err, sizeof err);
	if (r == NULL) {
		fuzz_assert(err[0] != '\0');
	} else {
		/* the file may hold these keys already: only a fresh one
		 * has a known future */
		if (replay_check(r, "fuzz-request", "fuzz-record", &werr) ==
		    REPLAY_NEW) {
			fuzz_assert(replay_check(r, "fuzz-request",
			    "fuzz-record", &werr) == REPLAY_SAME_RECORD);
			fuzz_assert(replay_check(r, "fuzz-request", "another",
			    &werr) == REPLAY_SEEN);
		}
		if (replay_check_within(r, "body:x", "a", 1000, 10, &werr) ==
		    REPLAY_NEW) {
			fuzz_assert(replay_check_within(r, "body:x", "b", 1005,
			    10, &werr) == REPLAY_SEEN);
			fuzz_assert(replay_check_within(r, "body:x", "b", 5000,
			    10, &werr) == REPLAY_NEW);
		}
		fuzz_assert(replay_count(r) <= 1 + size % 64);
		replay_close(r);
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp);
	return 0;
}
