/* spool: journal segments appended under flock, followed by the chain. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bytes.h"
#include "clock.h"
#include "cursor.h"
#include "diag.h"
#include "quarantine.h"

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
	if (strncmp(name, PREFIX, sizeof PREFIX - 1) != 0)
		return 0;
	name += sizeof PREFIX - 1;
	return strlen(name) == 20 && bytes_decimal(name, 20, start) == 0;
}

int
spool_open(struct spool *sp, const char *dir, uint64_t segment_max,
    uint64_t cap)
{
	memset(sp, 0, sizeof *sp);
	sp->path = dir;
	sp->segfd = sp->lockfd = sp->commitfd = -1;
	sp->segment_max = segment_max ? segment_max : SPOOL_SEGMENT_MAX;
	sp->cap = cap;
	/* a few segments under the cap, so that removing one frees little */
	if (cap && sp->segment_max > cap / 4)
		sp->segment_max = cap / 4 ? cap / 4 : 1;
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd == -1)
		return -1;
	return 0;
}

int
spool_open_readonly(struct spool *sp, const char *dir)
{
	if (spool_open(sp, dir, 0, 0) == -1)
		return -1;
	sp->readonly = 1;
	return 0;
}

void
spool_close(struct spool *sp)
{
	if (sp->segfd != -1)
		close(sp->segfd);
	if (sp->lockfd != -1)
		close(sp->lockfd);
	if (sp->commitfd != -1)
		close(sp->commitfd);
	if (sp->dirfd != -1)
		close(sp->dirfd);
	sp->segfd = sp->lockfd = sp->commitfd = sp->dirfd = -1;
}

static int
lock_fd(struct spool *sp)
{
	if (sp->lockfd == -1)
		sp->lockfd = openat(sp->dirfd, "lock",
		    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return sp->lockfd;
}

/*
 * "committed": the journal position up to which readers may read, as 20
 * digits and a newline, rewritten in place and never synced (after a
 * crash no writer holds the lock, so whoever takes it next publishes the
 * whole journal again).  0 and *w set; -1 when absent or unreadable (*w 0).
 */
static int
read_committed(struct spool *sp, uint64_t *w)
{
	char buf[24];

	*w = 0;
	if (sp->commitfd == -1 && (sp->commitfd = openat(sp->dirfd, "committed",
	    sp->readonly ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	if (pread(sp->commitfd, buf, 21, 0) != 21 || buf[20] != '\n' ||
	    bytes_decimal(buf, 20, w) == -1) {
		*w = 0;
		return -1;
	}
	return 0;
}

static void
publish(struct spool *sp, uint64_t w)
{
	char buf[24];

	if (sp->commitfd == -1 && (sp->commitfd = openat(sp->dirfd, "committed",
	    O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return;
	snprintf(buf, sizeof buf, "%020" PRIu64 "\n", w);
	/* A failure only delays readers: the next lock holder publishes. */
	if (pwrite(sp->commitfd, buf, 21, 0) != 21)
		diag_info("%s/committed: %s", sp->path, strerror(errno));
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

static void
marker_name(uint64_t start, char *buf)
{
	snprintf(buf, NAME_SIZE + 8, PREFIX "%020" PRIu64 ".auth", start);
}

static void
remove_segment(struct spool *sp, uint64_t start, const char *why)
{
	char name[NAME_SIZE], marker[NAME_SIZE + 8];

	segment_name(start, name);
	marker_name(start, marker);
	if (unlinkat(sp->dirfd, name, 0) == -1 && errno != ENOENT) {
		diag_warn("%s: %s: cannot remove: %s", sp->path, name,
		    strerror(errno));
		return;
	}
	unlinkat(sp->dirfd, marker, 0);
	diag_info("%s: %s: %s, removed", sp->path, name, why);
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

static uint64_t
acked_now(struct spool *sp)
{
	uint64_t acked = 0;
	char *path;

	if (asprintf(&path, "%s/acked", sp->path) >= 0) {
		if (cursor_read(path, &acked) == -1)
			acked = 0;
		free(path);
	}
	return acked;
}

/*
 * Over the cap (bytes after the acknowledged position), remove the oldest
 * segments but the newest that hold nothing authenticated at the door,
 * handled or not.  Called with the lock held; end is the journal's end.
 */
static void
enforce_cap(struct spool *sp, const uint64_t *starts, size_t n, uint64_t end)
{
	char marker[NAME_SIZE + 8];
	uint64_t acked;

	if (sp->cap == 0 || n < 2 || end - starts[0] <= sp->cap)
		return;
	acked = acked_now(sp);
	for (size_t i = 0; i + 1 < n; i++) {
		uint64_t from = starts[i] > acked ? starts[i] : acked;

		if (end <= from || end - from <= sp->cap)
			break;
		if (starts[i + 1] <= acked) {
			remove_segment(sp, starts[i], "fully acknowledged");
			continue;
		}
		marker_name(starts[i], marker);
		if (faccessat(sp->dirfd, marker, F_OK, 0) == 0)
			continue;	/* holds an authenticated webhook */
		diag_warn("%s: over its cap of %" PRIu64 " bytes not yet handled: "
		    "dropping journal.%020" PRIu64 " (%" PRIu64 " bytes of "
		    "unauthenticated requests)", sp->path, sp->cap, starts[i],
		    starts[i + 1] - from);
		remove_segment(sp, starts[i], "over the cap");
	}
}

static int
begin_locked(struct spool *sp, uint64_t *pos)
{
	struct stat st;
	uint64_t start, size, committed, *starts;
	size_t n;

	if (spool_segments(sp, &starts, &n) == -1)
		return -1;
	read_committed(sp, &committed);
	if (n) {
		start = starts[n - 1];
	} else {
		/* A fresh journal continues after everything acknowledged or
		 * shown to a reader, so that positions never go back. */
		uint64_t acked = acked_now(sp);

		start = acked > committed ? acked : committed;
	}
	sp->segstart = start;
	sp->segfd = open_segment(sp, start, O_RDWR | O_APPEND | O_CREAT);
	if (sp->segfd == -1 || fstat(sp->segfd, &st) == -1)
		goto fail;
	size = (uint64_t)st.st_size;
	if (cut_torn_tail(sp, &size) == -1)
		goto fail;
	/* No writer holds the lock but us: all that is there is committed
	 * (a writer killed before publishing, or a stale file). */
	if (committed != start + size)
		publish(sp, start + size);
	if (n)
		enforce_cap(sp, starts, n, start + size);
	free(starts);
	starts = NULL;
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
	} else if (n == 0 && fsync(sp->dirfd) == -1) {
		return -1;
	}
	sp->size_at_begin = size;
	*pos = sp->segstart + size;
	return 0;
fail:
	free(starts);
	return -1;
}

int
spool_begin(struct spool *sp, uint64_t *pos)
{
	int saved;

	if (lock_fd(sp) == -1)
		return -1;
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
spool_mark_authenticated(struct spool *sp)
{
	char marker[NAME_SIZE + 8];
	int fd;

	if (sp->marked == sp->segstart + 1)
		return 0;
	marker_name(sp->segstart, marker);
	if (faccessat(sp->dirfd, marker, F_OK, 0) != 0) {
		fd = openat(sp->dirfd, marker, O_WRONLY | O_CREAT | O_CLOEXEC,
		    0600);
		if (fd == -1)
			return -1;
		close(fd);
		/* a crash must not leave the records without their marker */
		if (fsync(sp->dirfd) == -1)
			return -1;
	}
	sp->marked = sp->segstart + 1;
	return 0;
}

/* Take the append back: nobody read it (nothing was published). */
static void
cut_back(struct spool *sp)
{
	if (ftruncate(sp->segfd, (off_t)sp->size_at_begin) == 0)
		fdatasync(sp->segfd);
	flock(sp->lockfd, LOCK_UN);
	close(sp->segfd);
	sp->segfd = -1;
}

#ifdef SPOOL_FAULTS
/*
 * Test builds only (tests/integration/sentry-recv-enospc.sh): with
 * SPOOL_FAULT_WRITE=N the Nth append fails with ENOSPC after its bytes
 * are in the file, SPOOL_FAULT_DELAY_MS (300) later: the window in which
 * a reader could see a batch that is then taken back.
 */
static int
injected_failure(void)
{
	static long appends;
	const char *n = getenv("SPOOL_FAULT_WRITE");
	const char *ms = getenv("SPOOL_FAULT_DELAY_MS");

	if (n == NULL || ++appends != strtol(n, NULL, 10))
		return 0;
	usleep((useconds_t)(ms ? strtol(ms, NULL, 10) : 300) * 1000);
	return ENOSPC;
}
#else
#define injected_failure() 0
#endif

int
spool_written(struct spool *sp, int failed)
{
	if (failed == 0)
		failed = injected_failure();
	if (failed) {
		cut_back(sp);
		errno = failed;
		return -1;
	}
	return sp->segfd;
}

int
spool_finish(struct spool *sp, int sync_err)
{
	struct stat st;

	if (sync_err == 0 && fstat(sp->segfd, &st) == -1)
		sync_err = errno;
	if (sync_err) {
		cut_back(sp);
		errno = sync_err;
		return -1;
	}
	publish(sp, sp->segstart + (uint64_t)st.st_size);
	flock(sp->lockfd, LOCK_UN);
	close(sp->segfd);
	sp->segfd = -1;
	return 0;
}

int
spool_commit(struct spool *sp, int failed)
{
	int fd = spool_written(sp, failed);

	if (fd == -1)
		return -1;
	return spool_finish(sp, fdatasync(fd) == -1 ? errno : 0);
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

/*
 * The "received" time of the record at journal position pos (at the
 * first segment's start when pos is before it), read from its first
 * bytes; 0 when there is none or it does not start as ours do.
 */
static int64_t
received_at(struct spool *sp, const uint64_t *starts, size_t n, uint64_t pos)
{
	static const char head[] = "{\"v\":1,\"id\":\"", key[] = ",\"received\":\"";
	char buf[SPOOL_STATE_HEAD + 1], *p, *q;
	size_t i;
	ssize_t r;
	int64_t ms;
	int fd;

	if (n == 0)
		return 0;
	if (pos < starts[0])
		pos = starts[0];
	for (i = 0; i + 1 < n && starts[i + 1] <= pos; i++)
		;
	if ((fd = open_segment(sp, starts[i], O_RDONLY)) == -1)
		return 0;
	r = pread(fd, buf, SPOOL_STATE_HEAD, (off_t)(pos - starts[i]));
	close(fd);
	if (r < (ssize_t)sizeof head)
		return 0;
	buf[r] = '\0';
	if (memcmp(buf, head, sizeof head - 1) != 0 ||
	    (p = strstr(buf, key)) == NULL ||
	    (q = strchr(p += sizeof key - 1, '"')) == NULL)
		return 0;
	*q = '\0';
	return clock_parse(p, &ms) == 0 ? ms : 0;
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
	if (st->end > st->acked) {
		count_records(sp, starts, n, st->acked, st->end,
		    &st->records_behind, &st->estimated);
		st->oldest_ms = received_at(sp, starts, n, st->acked);
	}
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

/* Move *pos to a record boundary: the start of a segment or after a '\n'
 * (looking no further than size, the segment's committed bytes). */
static int
align(struct spool *sp, uint64_t start, int fd, uint64_t size, uint64_t *pos)
{
	char buf[BLOCK];
	uint64_t off = *pos - start;

	if (off == 0)
		return 0;
	if (pread(fd, buf, 1, (off_t)off - 1) == 1 && buf[0] == '\n')
		return 0;
	while (off < size) {
		size_t want = size - off > BLOCK ? BLOCK : (size_t)(size - off);
		ssize_t r = pread(fd, buf, want, (off_t)off);
		char *nl;

		if (r <= 0)
			break;
		if ((nl = memchr(buf, '\n', (size_t)r)) != NULL) {
			diag_warn("%s: position %" PRIu64 " is inside a record: "
			    "starting after it", sp->path, *pos);
			*pos = start + off + (uint64_t)(nl - buf) + 1;
			return 0;
		}
		off += (uint64_t)r;
	}
	return 1;	/* not yet complete: try again later */
}

/*
 * The position readers may read up to.  When it is behind the journal's
 * end and no writer holds the lock, what lies between was written by a
 * writer that died before publishing it: publish it now.
 */
static uint64_t
readable_end(struct spool *sp, uint64_t newest)
{
	uint64_t w, size;

	read_committed(sp, &w);
	if (sp->readonly || segment_size(sp, newest, &size) == -1 ||
	    w >= newest + size)
		return w;
	if (lock_fd(sp) != -1 && flock(sp->lockfd, LOCK_EX | LOCK_NB) == 0) {
		if (segment_size(sp, newest, &size) == 0) {
			w = newest + size;
			publish(sp, w);
		}
		flock(sp->lockfd, LOCK_UN);
	}
	return w;
}

int64_t
spool_emit(struct spool *sp, uint64_t *pos, int out)
{
	uint64_t *starts, limit;
	size_t n, i;
	int64_t total = 0;

	if (spool_segments(sp, &starts, &n) == -1)
		return -1;
	if (n == 0) {
		free(starts);
		return 0;
	}
	limit = readable_end(sp, starts[n - 1]);
	if (*pos < starts[0]) {
		diag_warn("%s: records before %" PRIu64 " are gone; "
		    "going on from there", sp->path, starts[0]);
		*pos = starts[0];
	}
	for (i = 0; i + 1 < n && starts[i + 1] <= *pos; i++)
		;
	for (; i < n && starts[i] < limit; i++) {
		struct stat st;
		uint64_t off, size;
		int fd = open_segment(sp, starts[i], O_RDONLY);

		if (fd == -1 || fstat(fd, &st) == -1) {
			if (fd != -1)
				close(fd);
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			goto fail;
		}
		size = (uint64_t)st.st_size;
		if (size > limit - starts[i])
			size = limit - starts[i];	/* not committed yet */
		if (*pos < starts[i])
			*pos = starts[i];
		if (*pos > starts[i] + size ||
		    align(sp, starts[i], fd, size, pos) != 0) {
			close(fd);
			break;
		}
		off = *pos - starts[i];
		if (emit_segment(fd, size, &off, out, &total) == -1) {
			int saved = errno;
			close(fd);
			errno = saved;
			goto fail;
		}
		close(fd);
		*pos = starts[i] + off;
		if (i + 1 < n && starts[i + 1] <= limit) {
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
	uint64_t *starts, size;
	size_t n, i;

	if (spool_segments(sp, &starts, &n) == -1)
		return -1;
	for (i = 0; i + 1 < n && starts[i + 1] <= acked; i++)
		remove_segment(sp, starts[i], "fully acknowledged");
	/*
	 * The newest one too once it is wholly handled, so that a spool
	 * that had a burst of junk shrinks back; but only while no writer
	 * holds the lock (one may be appending to it), and the next writer
	 * starts a fresh one at the acknowledged position.
	 */
	if (i + 1 == n && segment_size(sp, starts[i], &size) == 0 && size > 0 &&
	    starts[i] + size <= acked && lock_fd(sp) != -1 &&
	    flock(sp->lockfd, LOCK_EX | LOCK_NB) == 0) {
		uint64_t *again;
		size_t m;

		if (spool_segments(sp, &again, &m) == 0) {
			if (m == n && again[m - 1] == starts[i] &&
			    segment_size(sp, starts[i], &size) == 0 &&
			    starts[i] + size <= acked)
				remove_segment(sp, starts[i], "fully acknowledged");
			free(again);
		}
		flock(sp->lockfd, LOCK_UN);
	}
	free(starts);
	return 0;
}

/* Wait for the lock only one follower may hold.  0, or -1 with err set. */
static int
follow_lock(struct spool *sp, int *lock, char *err, size_t errsize)
{
	*lock = openat(sp->dirfd, "follow.lock", O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);
	if (*lock == -1) {
		snprintf(err, errsize, "%s/follow.lock: %s", sp->path,
		    strerror(errno));
		return -1;
	}
	if (flock(*lock, LOCK_EX | LOCK_NB) == 0)
		return 0;
	diag_warn("%s: another follower is running: waiting for it to stop",
	    sp->path);
	while (flock(*lock, LOCK_EX) == -1)
		if (errno != EINTR) {
			snprintf(err, errsize, "%s/follow.lock: %s", sp->path,
			    strerror(errno));
			return -1;
		}
	return 0;
}

/* Where following starts: the acknowledged position.  0, or -1 with err
 * set. */
static int
follow_start(const char *acked_path, uint64_t *pos, char *err, size_t errsize)
{
	char moved[PATH_MAX + 32];

	if (cursor_read(acked_path, pos) == 0)
		return 0;
	/* empty (a crash right after it was made) or garbage: better every
	 * record again than none, or a restart loop */
	if (errno != EINVAL || quarantine(acked_path, moved,
	    sizeof moved) == -1) {
		snprintf(err, errsize, "%s: %s", acked_path, errno == EINVAL ?
		    "not an acknowledgement file" : strerror(errno));
		return -1;
	}
	diag_warn("%s: not an acknowledgement file: moved to %s; following "
	    "from the oldest record kept", acked_path, moved);
	*pos = 0;
	return 0;
}

/* What the chain has not acknowledged yet, read-only (--once). */
static int
show_backlog(struct spool *sp, const char *acked_path, int out, char *err,
    size_t errsize)
{
	uint64_t pos;

	if (cursor_read(acked_path, &pos) == -1) {
		if (errno != EINVAL) {
			snprintf(err, errsize, "%s: %s", acked_path,
			    strerror(errno));
			return -1;
		}
		diag_warn("%s: not an acknowledgement file: showing every "
		    "record kept", acked_path);
		pos = 0;
	}
	if (spool_emit(sp, &pos, out) == -1) {
		if (errno != EPIPE)
			snprintf(err, errsize, "%s: %s", sp->path,
			    strerror(errno));
		return -1;
	}
	return 0;
}

static int
follow_loop(struct spool *sp, const char *acked_path, uint64_t pos, int out,
    char *err, size_t errsize)
{
	uint64_t acked, collected = UINT64_MAX;
	int ino;

	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino != -1 && inotify_add_watch(ino, sp->path, IN_MODIFY |
	    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) == -1) {
		close(ino);
		ino = -1;	/* polling once a second will do */
	}
	for (;;) {
		struct pollfd pfd[2] = { { out, 0, 0 }, { ino, POLLIN, 0 } };
		char events[4096];

		if (spool_emit(sp, &pos, out) == -1) {
			if (errno != EPIPE)
				snprintf(err, errsize, "%s: %s", sp->path,
				    strerror(errno));
			break;
		}
		if (cursor_read(acked_path, &acked) == 0 && acked != collected) {
			spool_gc(sp, acked);
			collected = acked;
		}
		if (poll(pfd, ino == -1 ? 1 : 2, 1000) > 0) {
			if (pfd[0].revents & (POLLERR | POLLHUP)) {
				errno = EPIPE;
				break;
			}
			while (ino != -1 && read(ino, events, sizeof events) > 0)
				;
		}
	}
	if (ino != -1) {
		int saved = errno;

		close(ino);
		errno = saved;
	}
	return -1;
}

int
spool_follow(const char *dir, int out, int flags, char *err, size_t errsize)
{
	char acked_path[PATH_MAX];
	struct spool sp;
	uint64_t pos;
	int lock = -1, rc = -1, saved, once = flags & SPOOL_FOLLOW_ONCE;

	err[0] = '\0';
	if (!once && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errsize, "%s: cannot create: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((once ? spool_open_readonly(&sp, dir) :
	    spool_open(&sp, dir, 0, 0)) == -1) {
		snprintf(err, errsize, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(acked_path, sizeof acked_path, "%s/acked", dir);
	if (once)
		rc = show_backlog(&sp, acked_path, out, err, errsize);
	else if (follow_lock(&sp, &lock, err, errsize) == 0 &&
	    follow_start(acked_path, &pos, err, errsize) == 0)
		rc = follow_loop(&sp, acked_path, pos, out, err, errsize);
	saved = errno;
	if (lock != -1)
		close(lock);
	spool_close(&sp);
	errno = saved;
	return rc;
}
