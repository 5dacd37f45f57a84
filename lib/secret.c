/* secret: load secrets from env or file, compare in constant time, wipe. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MAX 4096

void
secret_wipe(void *buf, size_t len)
{
	if (buf)
		explicit_bzero(buf, len);
}

void
secret_free(char *secret)
{
	if (secret) {
		secret_wipe(secret, strlen(secret));
		free(secret);
	}
}

static char *
load_file(const char *path, char *errbuf, size_t errsize)
{
	char buf[SECRET_MAX + 2];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *s = NULL;

	if (fd == -1) {
		snprintf(errbuf, errsize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(errbuf, errsize, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > SECRET_MAX) {
		snprintf(errbuf, errsize, "%s: longer than %d bytes", path,
		    SECRET_MAX);
		goto out;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (memchr(buf, '\0', len) || memchr(buf, '\n', len)) {
		snprintf(errbuf, errsize, "%s: more than one line", path);
		goto out;
	}
	if (len == 0) {
		snprintf(errbuf, errsize, "%s: empty", path);
		goto out;
	}
	if ((s = malloc(len + 1)) == NULL) {
		snprintf(errbuf, errsize, "%s: out of memory", path);
		goto out;
	}
	memcpy(s, buf, len);
	s[len] = '\0';
out:
	secret_wipe(buf, sizeof buf);
	close(fd);
	return s;
}

char *
secret_load(const char *env, const char *path, int *absent,
    char *errbuf, size_t errsize)
{
	const char *v;
	char *s;

	*absent = 0;
	if (path)
		return load_file(path, errbuf, errsize);
	v = env ? getenv(env) : NULL;
	if (v == NULL || *v == '\0') {
		*absent = 1;
		snprintf(errbuf, errsize, "%s is not set", env ? env : "secret");
		return NULL;
	}
	if (strlen(v) > SECRET_MAX) {
		snprintf(errbuf, errsize, "%s: longer than %d bytes", env,
		    SECRET_MAX);
		return NULL;
	}
	if ((s = strdup(v)) == NULL) {
		snprintf(errbuf, errsize, "%s: out of memory", env);
		return NULL;
	}
	/* Wipe the environment's copy too; children get nothing. */
	secret_wipe((char *)v, strlen(v));
	unsetenv(env);
	return s;
}

int
secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	/* Compare over the longer length so timing reveals only lengths. */
	for (size_t i = 0; i < alen || i < blen; i++) {
		unsigned char cx = i < alen ? x[i] : 0;
		unsigned char cy = i < blen ? y[i] : 0;

		diff |= cx ^ cy;
	}
	return diff == 0 && alen == blen;
}
