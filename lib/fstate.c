/* fstate: one JSON object per file, replaced atomically. */
#include "fstate.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ndjson.h"

int
fstate_load(const char *path, jv *state, char *err, size_t errsize)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;
	jv v;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			*state = jv_object();
			return 0;
		}
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)FSTATE_MAX_SIZE) {
		snprintf(err, errsize, "%s: %s", path,
		    errno ? strerror(errno) : "state file too large");
		close(fd);
		if (errno == 0)
			errno = EINVAL;
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errsize, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size &&
	    ((n = read(fd, buf + got, (size_t)st.st_size - got)) > 0 ||
	    (n < 0 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	close(fd);
	if (got == 0) {
		free(buf);
		*state = jv_object();	/* an empty file is a fresh state */
		return 0;
	}
	v = jv_parse_sized(buf, (int)got);
	free(buf);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		if (jv_get_kind(v) == JV_KIND_INVALID) {
			jv msg = jv_invalid_get_msg(v);
			const char *m = jv_get_kind(msg) == JV_KIND_STRING ?
			    jv_string_value(msg) : "invalid";
			/* libjq quotes the whole text after this: leave it out */
			const char *cut = strstr(m, " (while parsing");

			snprintf(err, errsize, "%s: not JSON (%.*s)", path,
			    cut ? (int)(cut - m) : (int)strlen(m), m);
			jv_free(msg);
		} else {
			snprintf(err, errsize, "%s: not a JSON object", path);
			jv_free(v);
		}
		errno = EINVAL;
		return -1;
	}
	*state = v;
	return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fstate_save(const char *path, const jv *state, char *err, size_t errsize)
{
	char *tmp, *dircopy, *text = NULL;
	int fd, rc = -1;
	size_t len = strlen(path) + 32, text_len = 0;
	FILE *mem;

	/* ndjson_print: jv_dump_string appends one character at a time */
	if ((mem = open_memstream(&text, &text_len)) == NULL) {
		snprintf(err, errsize, "%s: out of memory", path);
		return -1;
	}
	ndjson_print(mem, jv_copy(*state));
	putc('\n', mem);
	if ((ferror(mem) | fclose(mem)) != 0 || (tmp = malloc(len)) == NULL) {
		free(text);
		snprintf(err, errsize, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, text_len) < 0 || fdatasync(fd) < 0) {
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* make the rename itself durable */
	if ((dircopy = strdup(path)) != NULL) {
		int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dircopy);
	}
	rc = 0;
out:
	free(tmp);
	free(text);
	return rc;
}
