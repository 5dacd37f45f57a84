/* replay: bounded Request-ID cache in a file that survives restarts. */
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define FIELD_MAX 512	/* bytes of one id kept (longer ids are cut) */

struct entry {
	char *request, *record;	/* record NULL: none */
	int64_t at;		/* when seen, ms (0: no time, never expires) */
	uint32_t hash;
	long next;		/* next entry in the bucket, -1 at the end */
};

struct replay {
	char *path, *lockpath;
	int fd, lockfd;
	size_t max, count, oldest;	/* ring of max entries */
	struct entry *ring;
	long *bucket;
	size_t nbuckets;
	size_t lines;		/* lines in the file */
	int failed;
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static long
find(const struct replay *r, const char *req, uint32_t h)
{
	for (long i = r->bucket[h & (r->nbuckets - 1)]; i >= 0;
	    i = r->ring[i].next)
		if (r->ring[i].hash == h && strcmp(r->ring[i].request, req) == 0)
			return i;
	return -1;
}

static void
unlink_entry(struct replay *r, size_t idx)
{
	struct entry *e = &r->ring[idx];
	long *p = &r->bucket[e->hash & (r->nbuckets - 1)];

	while (*p >= 0 && (size_t)*p != idx)
		p = &r->ring[*p].next;
	if (*p >= 0)
		*p = e->next;
	free(e->request);
	free(e->record);
	e->request = e->record = NULL;
}

/* Add (taking ownership of the strings), evicting the oldest when full. */
static void
add(struct replay *r, char *req, char *rec, int64_t at)
{
	size_t idx;
	struct entry *e;

	if (r->count == r->max) {
		idx = r->oldest;
		unlink_entry(r, idx);
		r->oldest = (r->oldest + 1) % r->max;
	} else {
		idx = (r->oldest + r->count++) % r->max;
	}
	e = &r->ring[idx];
	e->request = req;
	e->record = rec;
	e->at = at;
	e->hash = hash(req);
	e->next = r->bucket[e->hash & (r->nbuckets - 1)];
	r->bucket[e->hash & (r->nbuckets - 1)] = (long)idx;
}

/* Percent-encode s (cut to FIELD_MAX) into out (3 * FIELD_MAX + 1). */
static void
encode(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	if (s == NULL) {
		strcpy(out, "-");
		return;
	}
	for (size_t i = 0; s[i] && i < FIELD_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '%' ||
		    (c == '-' && i == 0 && s[1] == '\0')) {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
}

/* Decode a field in place: 0, or -1 when malformed. */
static int
decode(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			unsigned v;

			if (sscanf(p + 1, "%2x", &v) != 1 || p[1] == '\0' ||
			    p[2] == '\0' || v == 0)
				return -1;
			*w++ = (char)v;
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return 0;
}

/* A copy of s cut to FIELD_MAX bytes (as the file would keep it). */
static char *
field_dup(const char *s)
{
	return s ? strndup(s, FIELD_MAX) : NULL;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_entry(int fd, const struct entry *e)
{
	char line[2 * (3 * FIELD_MAX + 1) + 24];
	char req[3 * FIELD_MAX + 1], rec[3 * FIELD_MAX + 1];

	encode(e->request, req);
	encode(e->record, rec);
	if (e->at)
		snprintf(line, sizeof line, "%s %s %lld\n", req, rec,
		    (long long)e->at);
	else
		snprintf(line, sizeof line, "%s %s\n", req, rec);
	return write_all(fd, line, strlen(line));
}

/* Rewrite the file with the live entries, atomically. */
static int
compact(struct replay *r)
{
	size_t tlen = strlen(r->path) + 8;
	char *tmp = malloc(tlen);
	int fd, ok = 1;

	if (tmp == NULL)
		return -1;
	snprintf(tmp, tlen, "%s.tmp", r->path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		free(tmp);
		return -1;
	}
	for (size_t i = 0; ok && i < r->count; i++)
		ok = write_entry(fd, &r->ring[(r->oldest + i) % r->max]) == 0;
	if (ok && fsync(fd) != 0)
		ok = 0;
	if (close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, r->path) != 0)
		ok = 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	if (!ok)
		return -1;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = open(r->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	r->lines = r->count;
	return r->fd >= 0 ? 0 : -1;
}

static int
load(struct replay *r, char *errbuf, size_t errsize)
{
	FILE *f = fopen(r->path, "re");
	char *line = NULL;
	size_t cap = 0, lines = 0;
	ssize_t n;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(errbuf, errsize, "%s: %s", r->path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char *sp, *sp2, *req, *rec, *end;
		long long at = 0;
		long i;
		int none;

		lines++;
		if (line[n - 1] != '\n')
			break;	/* torn last write: ignore it */
		line[n - 1] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			goto malformed;
		if ((sp2 = strchr(sp + 1, ' ')) != NULL) {
			*sp2 = '\0';
			at = strtoll(sp2 + 1, &end, 10);
			if (*end || end == sp2 + 1 || at <= 0)
				goto malformed;
		}
		*sp = '\0';
		none = strcmp(sp + 1, "-") == 0;	/* before decoding "%2D" */
		if (*line == '\0' || sp[1] == '\0' || decode(line) != 0 ||
		    decode(sp + 1) != 0)
			goto malformed;
		req = strdup(line);
		rec = none ? NULL : strdup(sp + 1);
		if (req == NULL) {
			free(rec);
			snprintf(errbuf, errsize, "%s: out of memory", r->path);
			goto bad;
		}
		/* A later line for the same id replaces nothing: the first
		 * record it came with is the one that counts; unless both
		 * have a time, when the later one is a new sighting after the
		 * first had expired. */
		if ((i = find(r, req, hash(req))) >= 0) {
			struct entry *e = &r->ring[i];

			if (at && e->at && at > e->at) {
				free(e->record);
				e->record = rec;
				e->at = at;
				rec = NULL;
			}
			free(req);
			free(rec);
			continue;
		}
		add(r, req, rec, at);
	}
	free(line);
	fclose(f);
	r->lines = lines;
	return 0;
malformed:
	snprintf(errbuf, errsize, "%s:%zu: not a replay cache entry", r->path,
	    lines);
	free(line);
	fclose(f);
	errno = EINVAL;
	return -1;
bad:
	free(line);
	fclose(f);
	errno = ENOMEM;
	return -1;
}

struct replay *
replay_open(const char *path, size_t max, char *errbuf, size_t errsize)
{
	struct replay *r = calloc(1, sizeof *r);

	if (r == NULL) {
		snprintf(errbuf, errsize, "out of memory");
		return NULL;
	}
	r->fd = r->lockfd = -1;
	r->max = max ? max : REPLAY_DEFAULT_MAX;
	for (r->nbuckets = 16; r->nbuckets < 2 * r->max; r->nbuckets *= 2)
		;
	r->ring = calloc(r->max, sizeof *r->ring);
	r->bucket = malloc(r->nbuckets * sizeof *r->bucket);
	if (r->ring == NULL || r->bucket == NULL) {
		snprintf(errbuf, errsize, "out of memory");
		goto fail;
	}
	memset(r->bucket, 0xff, r->nbuckets * sizeof *r->bucket);	/* -1 */
	if (path == NULL)
		return r;
	if ((r->path = strdup(path)) == NULL ||
	    (r->lockpath = malloc(strlen(path) + 6)) == NULL) {
		snprintf(errbuf, errsize, "out of memory");
		goto fail;
	}
	sprintf(r->lockpath, "%s.lock", path);
	if ((r->lockfd = open(r->lockpath, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(errbuf, errsize, "%s: %s", r->lockpath,
		    strerror(errno));
		goto fail;
	}
	if (flock(r->lockfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(errbuf, errsize, "%s: %s", r->lockpath,
		    errno == EWOULDBLOCK ? "in use by another process" :
		    strerror(errno));
		goto fail;
	}
	if (load(r, errbuf, errsize) != 0) {
		int saved = errno;

		replay_close(r);
		errno = saved;
		return NULL;
	}
	if (r->lines > r->count) {	/* evicted or torn lines: rewrite */
		if (compact(r) != 0) {
			snprintf(errbuf, errsize, "%s: rewriting: %s", path,
			    strerror(errno));
			goto fail;
		}
	} else if ((r->fd = open(path, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(errbuf, errsize, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return r;
fail:
	replay_close(r);
	return NULL;
}

int
replay_check_within(struct replay *r, const char *key, const char *record_id,
    int64_t at, int64_t window_ms, int *write_error)
{
	char *req, *rec = NULL;
	struct entry *e;
	long i;

	*write_error = 0;
	if ((req = field_dup(key)) == NULL)
		return REPLAY_NEW;	/* out of memory: cannot remember */
	if (record_id && (rec = field_dup(record_id)) == NULL) {
		free(req);
		return REPLAY_NEW;
	}
	if ((i = find(r, req, hash(req))) >= 0) {
		e = &r->ring[i];
		/* a windowed key seen longer ago than the window is new */
		if (!(window_ms > 0 && e->at && at - e->at > window_ms)) {
			int same = e->record && record_id &&
			    strncmp(e->record, record_id, FIELD_MAX) == 0;

			free(req);
			free(rec);
			return same ? REPLAY_SAME_RECORD : REPLAY_SEEN;
		}
		free(req);
		free(e->record);
		e->record = rec;
		e->at = at;
	} else {
		add(r, req, rec, window_ms > 0 ? at : 0);
		e = &r->ring[(r->oldest + r->count - 1) % r->max];
	}
	if (r->path) {
		if (r->fd < 0 || write_entry(r->fd, e) != 0) {
			*write_error = 1;
			r->failed = 1;
		} else if (++r->lines > 2 * r->max && compact(r) != 0) {
			*write_error = 1;
			r->failed = 1;
		}
	}
	return REPLAY_NEW;
}

int
replay_check(struct replay *r, const char *request_id, const char *record_id,
    int *write_error)
{
	return replay_check_within(r, request_id, record_id, 0, 0, write_error);
}

size_t
replay_count(const struct replay *r)
{
	return r->count;
}

int
replay_close(struct replay *r)
{
	int failed;

	if (r == NULL)
		return 0;
	failed = r->failed;
	for (size_t i = 0; r->ring && i < r->max; i++) {
		free(r->ring[i].request);
		free(r->ring[i].record);
	}
	free(r->ring);
	free(r->bucket);
	if (r->fd >= 0 && close(r->fd) != 0)
		failed = 1;
	if (r->lockfd >= 0)
		close(r->lockfd);	/* releases the lock */
	free(r->path);
	free(r->lockpath);
	free(r);
	return failed ? -1 : 0;
}
