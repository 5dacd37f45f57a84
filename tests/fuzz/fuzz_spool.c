/*
 * fuzz_spool: the journal reader (spool_emit, what sentry-recv -F runs)
 * on arbitrary segment contents and "committed" watermarks.  The input's
 * first 8 bytes give the committed position and a start position; the
 * rest is the segment.  What comes out is whole lines of the segment, in
 * order, never past the committed position, and the position only moves
 * forward to a record boundary.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "diag.h"
#include "fuzz.h"
#include "spool.h"

static char dir[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(dir, sizeof dir, "/tmp/fuzz_spool.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	diag_set_verbosity(-1);
	return 0;
}

static void
put(const char *name, const void *data, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool sp;
	char buf[32], out_path[128];
	uint32_t committed, start;
	uint64_t pos;
	const uint8_t *seg;
	size_t seglen;
	FILE *out;
	char *got = NULL;
	size_t gotlen;
	int locked, lockfd = -1;

	if (size < 8)
		return 0;
	memcpy(&committed, data, 4);
	memcpy(&start, data + 4, 4);
	locked = start & 0x80000000u;	/* a writer is in the middle */
	seg = data + 8;
	seglen = size - 8;
	committed %= (uint32_t)seglen + 16;
	start %= (uint32_t)seglen + 16;
	put("journal.00000000000000000000", seg, seglen);
	snprintf(buf, sizeof buf, "%020" PRIu32 "\n", committed);
	put("committed", buf, 21);
	if (locked) {
		char lp[128];

		snprintf(lp, sizeof lp, "%s/lock", dir);
		lockfd = open(lp, O_RDWR | O_CREAT, 0600);
		fuzz_assert(lockfd != -1 && flock(lockfd, LOCK_EX) == 0);
	}
	fuzz_assert(spool_open(&sp, dir, 0, 0) == 0);
	snprintf(out_path, sizeof out_path, "%s/out", dir);
	out = fopen(out_path, "w+");
	pos = start;
	fuzz_assert(spool_emit(&sp, &pos, fileno(out)) >= 0);
	spool_close(&sp);
	if (lockfd != -1)
		close(lockfd);
	fflush(out);
	gotlen = (size_t)ftell(out);
	if (gotlen) {
		got = malloc(gotlen);
		rewind(out);
		fuzz_assert(fread(got, 1, gotlen, out) == gotlen);
	}
	fclose(out);
	/* the readable end: committed, or the whole segment when it was
	 * stale and no writer held the lock (there is none here) */
	fuzz_assert(pos >= start || gotlen == 0);
	fuzz_assert(pos <= seglen || (pos == start && gotlen == 0));
	/* with a writer holding the lock, nothing past "committed" */
	if (locked)
		fuzz_assert(gotlen == 0 || pos <= committed);
	if (gotlen) {
		fuzz_assert(got[gotlen - 1] == '\n');
		fuzz_assert(pos >= gotlen && memcmp(got, seg + pos - gotlen,
		    gotlen) == 0);
		fuzz_assert(pos - gotlen == 0 || seg[pos - gotlen - 1] == '\n');
	}
	free(got);
	return 0;
}
