/* stats: sentry-recv's counters, fixed-layout lines in SPOOL/stats. */
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bytes.h"

#define FILE_NAME "stats"
#define LINE 46		/* 24 name + space + 20 digits + newline */

static const char *const names[STATS_N] = {
	"accepted", "unauthorized", "bad_request", "unavailable", "evicted"
};

const char *
stats_name(enum stats_counter c)
{
	return c < STATS_N ? names[c] : "";
}

enum stats_counter
stats_of_status(int status)
{
	if (status == 202)
		return STATS_ACCEPTED;
	if (status == 401)
		return STATS_UNAUTHORIZED;
	if (status == 503)
		return STATS_UNAVAILABLE;
	if (status >= 400)
		return STATS_BAD_REQUEST;
	return STATS_N;
}

/* The counters in buf[0..len): all zero unless it is exactly our layout. */
static void
parse(const char *buf, size_t len, struct stats *st)
{
	memset(st, 0, sizeof *st);
	if (len != STATS_N * LINE)
		return;
	for (int i = 0; i < STATS_N; i++) {
		const char *l = buf + i * LINE;
		size_t n = strlen(names[i]);

		if (memcmp(l, names[i], n) != 0 || l[LINE - 1] != '\n' ||
		    bytes_decimal(l + 25, 20, &st->count[i]) == -1)
			goto damaged;
		for (size_t k = n; k < 25; k++)
			if (l[k] != ' ')
				goto damaged;
	}
	return;
damaged:
	memset(st, 0, sizeof *st);
}

/* The file's counters: its size, or -1 with errno set. */
static ssize_t
read_locked(int fd, struct stats *st)
{
	char buf[STATS_N * LINE + 1];
	ssize_t n = pread(fd, buf, sizeof buf, 0);

	if (n >= 0)
		parse(buf, (size_t)n, st);
	return n;
}

int
stats_read(int dirfd, struct stats *st)
{
	int fd = openat(dirfd, FILE_NAME, O_RDONLY | O_CLOEXEC), rc;

	memset(st, 0, sizeof *st);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	while ((rc = flock(fd, LOCK_SH)) == -1 && errno == EINTR)
		;
	if (rc == 0 && read_locked(fd, st) == -1)
		rc = -1;
	close(fd);
	return rc;
}

int
stats_add(int dirfd, const struct stats *delta)
{
	char buf[STATS_N * LINE + 1];
	struct stats st;
	ssize_t size = 0;
	int fd, rc, saved;

	fd = openat(dirfd, FILE_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	while ((rc = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
		;
	if (rc == 0 && (size = read_locked(fd, &st)) == -1)
		rc = -1;
	if (rc == 0) {
		for (int i = 0; i < STATS_N; i++)
			snprintf(buf + i * LINE, LINE + 1, "%-24s %020" PRIu64 "\n",
			    names[i], st.count[i] + delta->count[i]);
		if (pwrite(fd, buf, STATS_N * LINE, 0) != STATS_N * LINE ||
		    (size > STATS_N * LINE && ftruncate(fd, STATS_N * LINE) == -1))
			rc = -1;
	}
	saved = errno;
	close(fd);		/* and the lock with it */
	errno = saved;
	return rc;
}
