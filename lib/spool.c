/* spool: journal segments appended under flock, followed by the chain. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cursor.h"
#include "diag.h"

#define PREFIX "journal."
#define NAME_SIZE 32
#define BLOCK 65536

static void
segment_name(uint64_t start, char *buf)
{
	snprintf(buf, NAME_SIZE, PREFIX "%020" PRIu64, start);
}

/* "journal." + exactly 20 digits */
static int
parse_name(const char *name, uint64_t *start)
{
	uint64_t v = 0;

	if (strncmp(name, PREFIX, sizeof PREFIX - 1) != 0)
		return 0;
	name += sizeof PREFIX - 1;
	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	if (name[20] != '\0')
		return 0;
	*start = v;
	return 1;
}

int
spool_open(struct spool *sp, const char *dir, uint64_t segment_max)
{
	memset(sp, 0, sizeof *sp);
	sp->path = dir;
	sp->segfd = sp->lockfd = -1;
	sp->segment_max = segment_max ? segment_max : SPOOL_SEGMENT_MAX;
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd == -1)
		return -1;
	return 0;
}

void
spool_close(struct spool *sp)
{
	if (sp->segfd != -1)
		close(sp->segfd);
	if (sp->lockfd != -1)
		close(sp->lockfd);
	if (sp->dirfd != -1)
		close(sp->dirfd);
	sp->segfd = sp->lockfd = sp->dirfd = -1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
spool_segments(struct spool *sp, uint64_t **starts, size_t *n)
{
	int fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	size_t cap = 0;
	uint64_t start;

	*starts = NULL;
	*n = 0;
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!parse_name(e->d_name, &start))
			continue;
		if (*n == cap) {
			uint64_t *p = realloc(*starts, (cap = cap ? cap * 2 : 8) * sizeof *p);

			if (p == NULL) {
				closedir(d);
				free(*starts);
				*starts = NULL;
				errno = ENOMEM;
				return -1;
			}
			*starts = p;
		}
		(*starts)[(*n)++] = start;
	}
	closedir(d);
	if (*n > 1)	/* qsort(NULL, 0, ...) is undefined */
		qsort(*starts, *n, sizeof **starts, cmp_u64);
	return 0;
}

/* The newest segment's start: 0 found, 1 none, -1 error. */
static int
newest(struct spool *sp, uint64_t *start)
{
	uint64_t *starts;
	size_t n;

	if (spool_segments(sp, &starts, &n) == -1)
		return -1;
	if (n)
		*start = starts[n - 1];
	free(starts);
	return n ? 0 : 1;
}

static int
open_segment(struct spool *sp, uint64_t start, int flags)
{
	char name[NAME_SIZE];

	segment_name(start, name);
	return openat(sp->dirfd, name, flags | O_CLOEXEC, 0600);
}

/* Cut a torn last line (a writer killed mid-record) away.  size updated. */
static int
cut_torn_tail(struct spool *sp, uint64_t *size)
{
	char buf[BLOCK];
	uint64_t end = *size;

	if (end == 0)
		return 0;
	if (pread(sp->segfd, buf, 1, (off_t)end - 1) == 1 && buf[0] == '\n')
		return 0;	/* the usual case: whole records only */
	for (;;) {
		uint64_t from = end > BLOCK ? end - BLOCK : 0;
		ssize_t n = pread(sp->segfd, buf, (size_t)(end - from), (off_t)from);

		if (n < 0)
			return -1;
		if (n != (ssize_t)(end - from)) {
			errno = EIO;
			return -1;
		}
		char *nl = memrchr(buf, '\n', (size_t)n);
		if (nl || from == 0) {
			uint64_t keep = nl ? from + (uint64_t)(nl - buf) + 1 : 0;

			if (keep == *size)
				return 0;
			diag_warn("%s: journal.%020" PRIu64 ": cutting %" PRIu64
			    " bytes of a record left unfinished", sp->path,
			    sp->segstart, *size - keep);
			if (ftruncate(sp->segfd, (off_t)keep) == -1)
				return -1;
			*size = keep;
			return 0;
		}
		end = from;
	}
}

int
spool_fd(const struct spool *sp)
{
	return sp->segfd;
}

static int
begin_locked(struct spool *sp, uint64_t *pos)
{
	struct stat st;
	uint64_t start, size;
	int r;

	if ((r = newest(sp, &start)) == -1)
		return -1;
	if (r == 1) {
		/* A fresh journal continues after what was acknowledged, so
		 * that positions never go back behind the ack file. */
		char *acked;
		if (asprintf(&acked, "%s/acked", sp->path) < 0)
			return -1;
		r = cursor_read(acked, &start);
		free(acked);
		if (r == -1)
			start = 0;
	}
	sp->segstart = start;
	sp->segfd = open_segment(sp, start, O_RDWR | O_APPEND | O_CREAT);
	if (sp->segfd == -1 || fstat(sp->segfd, &st) == -1)
		return -1;
	size = (uint64_t)st.st_size;
	if (cut_torn_tail(sp, &size) == -1)
		return -1;
	if (size >= sp->segment_max) {
		int fd = open_segment(sp, start + size,
		    O_RDWR | O_APPEND | O_CREAT | O_EXCL);

		if (fd == -1)
			return -1;
		close(sp->segfd);
		sp->segfd = fd;
		sp->segstart = start + size;
		size = 0;
		/* the new name must survive a crash as much as its data */
		if (fsync(sp->dirfd) == -1)
			return -1;
	} else if (r == 1 && fsync(sp->dirfd) == -1) {
		return -1;
	}
	sp->size_at_begin = size;
	*pos = sp->segstart + size;
	return 0;
}

int
spool_begin(struct spool *sp, uint64_t *pos)
{
	int saved;

	if (sp->lockfd == -1) {
		sp->lockfd = openat(sp->dirfd, "lock",
		    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (sp->lockfd == -1)
			return -1;
	}
	while (flock(sp->lockfd, LOCK_EX) == -1)
		if (errno != EINTR)
			return -1;
	if (begin_locked(sp, pos) == 0)
		return 0;
	saved = errno;
	if (sp->segfd != -1)
		close(sp->segfd);
	sp->segfd = -1;
	flock(sp->lockfd, LOCK_UN);
	errno = saved;
	return -1;
}

int
spool_release(struct spool *sp, int failed)
{
	int fd = sp->segfd;

	sp->segfd = -1;
	if (failed) {
		if (ftruncate(fd, (off_t)sp->size_at_begin) == 0)
			fdatasync(fd);
		flock(sp->lockfd, LOCK_UN);
		close(fd);
		errno = failed;
		return -1;
	}
	flock(sp->lockfd, LOCK_UN);
	return fd;
}

int
spool_commit(struct spool *sp, int failed)
{
	int saved = 0;

	if (failed) {
		saved = failed;
		if (ftruncate(sp->segfd, (off_t)sp->size_at_begin) == 0)
			fdatasync(sp->segfd);
		flock(sp->lockfd, LOCK_UN);
	} else {
		/*
		 * The lock orders the appends; the sync needs no lock.  Taking
		 * it outside lets concurrent writers' syncs overlap (the file
		 * system commits them together) instead of queueing one
		 * fdatasync after another behind the lock.
		 */
		flock(sp->lockfd, LOCK_UN);
		if (fdatasync(sp->segfd) == -1)
			saved = errno;
	}
	close(sp->segfd);
	sp->segfd = -1;
	if (saved) {
		errno = saved;
		return -1;
	}
	return 0;
}

static int
segment_size(struct spool *sp, uint64_t start, uint64_t *size)
{
	char name[NAME_SIZE];
	struct stat st;

	segment_name(start, name);
	if (fstatat(sp->dirfd, name, &st, 0) == -1)
		return -1;
	*size = (uint64_t)st.st_size;
	return 0;
}

/*
 * Newlines in journal [from, to).  Reading stops after COUNT_MAX bytes
 * (the health check is open to anyone): the rest is estimated from the
 * average record size so far, and *estimated set.
 */
#define COUNT_MAX (32ULL << 20)
static int
count_records(struct spool *sp, const uint64_t *starts, size_t n,
    uint64_t from, uint64_t to, uint64_t *count, int *estimated)
{
	char buf[BLOCK];
	uint64_t scanned = 0;

	*count = 0;
	*estimated = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t s = starts[i], e = i + 1 < n ? starts[i + 1] : to;
		uint64_t off = from > s ? from - s : 0;
		int fd;

		if (e <= from || off >= e - s)
			continue;
		if ((fd = open_segment(sp, s, O_RDONLY)) == -1)
			continue;	/* removed meanwhile */
		for (;;) {
			ssize_t r = pread(fd, buf, sizeof buf, (off_t)off);

			if (r <= 0)
				break;
			for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + r - p))); p++)
				(*count)++;
			off += (uint64_t)r;
			if ((scanned += (uint64_t)r) >= COUNT_MAX)
				break;
		}
		close(fd);
		if (scanned >= COUNT_MAX) {
			*estimated = 1;
			if (*count)
				*count = (uint64_t)((double)*count *
				    (double)(to - from) / (double)scanned);
			break;
		}
	}
	return 0;
}

int
spool_state(struct spool *sp, struct spool_state *st)
{
	uint64_t *starts, size = 0;
	size_t n;
	struct statvfs vfs;
	char *acked;
	int r;

	memset(st, 0, sizeof *st);
	if (spool_segments(sp, &starts, &n) == -1)
		return -1;
	if (asprintf(&acked, "%s/acked", sp->path) < 0) {
		free(starts);
		return -1;
	}
	r = cursor_read(acked, &st->acked);
	free(acked);
	if (r == -1)
		st->acked = 0;
	if (n && segment_size(sp, starts[n - 1], &size) == 0)
		st->end = starts[n - 1] + size;
	else
		st->end = st->acked;
	if (st->end > st->acked)
		count_records(sp, starts, n, st->acked, st->end,
		    &st->records_behind, &st->estimated);
	free(starts);
	if (fstatvfs(sp->dirfd, &vfs) == 0)
		st->free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	st->writable = faccessat(sp->dirfd, ".", W_OK, AT_EACCESS) == 0 &&
	    st->free_bytes >= (1 << 20);
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* a non-blocking output: wait for the reader */
				struct pollfd pfd = { fd, POLLOUT, 0 };

				poll(&pfd, 1, -1);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy segment bytes [from, to) to out. */
static int
copy_range(int fd, uint64_t from, uint64_t to, int out, char *buf)
{
	while (from < to) {
		size_t want = to - from > BLOCK ? BLOCK : (size_t)(to - from);
		ssize_t r = pread(fd, buf, want, (off_t)from);

		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		if (write_all(out, buf, (size_t)r) == -1)
			return -1;
		from += (uint64_t)r;
	}
	return 0;
}

/*
 * Emit the complete lines of one segment from offset *off to out.
 * *off moves past what was written.  Bytes out added to *total.
 */
static int
emit_segment(int fd, uint64_t size, uint64_t *off, int out, int64_t *total)
{
	static char buf[BLOCK];
	uint64_t at = *off, done = *off;

	while (at < size) {
		size_t want = size - at > BLOCK ? BLOCK : (size_t)(size - at);
		ssize_t r = pread(fd, buf, want, (off_t)at);
		char *nl;

		if (r <= 0) {
			if (r == 0)
				break;	/* cut meanwhile */
			return -1;
		}
		if ((nl = memrchr(buf, '\n', (size_t)r)) != NULL) {
			uint64_t upto = at + (uint64_t)(nl - buf) + 1;

			if (done == at) {
				if (write_all(out, buf, (size_t)(upto - at)) == -1)
					return -1;
			} else {
				/* a record longer than the buffer: read again */
				static char again[BLOCK];

				if (copy_range(fd, done, upto, out, again) == -1)
					return -1;
			}
			*total += (int64_t)(upto - done);
			done = upto;
		}
		at += (uint64_t)r;
	}
	*off = done;
	return 0;
}

/* Move *pos to a record boundary: the start of a segment or after a '\n'. */
static int
align(struct spool *sp, uint64_t start, int fd, uint64_t *pos)
{
	char buf[BLOCK];
	uint64_t off = *pos - start;

	if (off == 0)
		return 0;
	if (pread(fd, buf, 1, (off_t)off - 1) == 1 && buf[0] == '\n')
		return 0;
	for (;;) {
		ssize_t r = pread(fd, buf, sizeof buf, (off_t)off);
		char *nl;

		if (r <= 0)
			return 1;	/* not yet complete: try again later */
		if ((nl = memchr(buf, '\n', (size_t)r)) != NULL) {
			diag_warn("%s: position %" PRIu64 " is inside a record: "
			    "starting after it", sp->path, *pos);
			*pos = start + off + (uint64_t)(nl - buf) + 1;
			return 0;
		}
		off += (uint64_t)r;
	}
}

int64_t
spool_emit(struct spool *sp, uint64_t *pos, int out)
{
	uint64_t *starts;
	size_t n, i;
	int64_t total = 0;

	if (spool_segments(sp, &starts, &n) == -1)
		return -1;
	if (n == 0) {
		free(starts);
		return 0;
	}
	if (*pos < starts[0]) {
		diag_warn("%s: records before %" PRIu64 " are gone; "
		    "going on from there", sp->path, starts[0]);
		*pos = starts[0];
	}
	for (i = 0; i + 1 < n && starts[i + 1] <= *pos; i++)
		;
	for (; i < n; i++) {
		struct stat st;
		uint64_t off;
		int fd = open_segment(sp, starts[i], O_RDONLY);

		if (fd == -1 || fstat(fd, &st) == -1) {
			if (fd != -1)
				close(fd);
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			goto fail;
		}
		if (*pos < starts[i])
			*pos = starts[i];
		if (align(sp, starts[i], fd, pos) != 0) {
			close(fd);
			break;
		}
		off = *pos - starts[i];
		if (emit_segment(fd, (uint64_t)st.st_size, &off, out, &total) == -1) {
			int saved = errno;
			close(fd);
			errno = saved;
			goto fail;
		}
		close(fd);
		*pos = starts[i] + off;
		if (i + 1 < n) {
			if (*pos < starts[i + 1]) {
				diag_warn("%s: journal.%020" PRIu64 " ends inside a "
				    "record: skipping %" PRIu64 " bytes", sp->path,
				    starts[i], starts[i + 1] - *pos);
			}
			*pos = starts[i + 1];
		}
	}
	free(starts);
	return total;
fail:
	free(starts);
	return -1;
}

int
spool_gc(struct spool *sp, uint64_t acked)
{
	uint64_t *starts;
	size_t n;
	char name[NAME_SIZE];

	if (spool_segments(sp, &starts, &n) == -1)
		return -1;
	for (size_t i = 0; i + 1 < n; i++) {
		if (starts[i + 1] > acked)
			break;
		segment_name(starts[i], name);
		if (unlinkat(sp->dirfd, name, 0) == -1 && errno != ENOENT)
			diag_warn("%s: %s: cannot remove: %s", sp->path, name,
			    strerror(errno));
		else
			diag_info("%s: %s: fully acknowledged, removed", sp->path, name);
	}
	free(starts);
	return 0;
}
