/* diag: one-line diagnostics on stderr or syslog, secrets redacted. */
#include "diag.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define MAX_SECRETS 8
#define REDACTED "<redacted>"

static const char *progname = "sentry-tg";
static int syslog_facility;
static int verbosity;
static const char *secrets[MAX_SECRETS];
static size_t nsecrets;

void
diag_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	progname = slash ? slash + 1 : name;
}

const char *
diag_progname(void)
{
	return progname;
}

void
diag_use_syslog(int facility)
{
	syslog_facility = facility;
	if (facility)
		openlog(progname, LOG_PID | LOG_NDELAY, facility);
}

void
diag_set_verbosity(int level)
{
	verbosity = level;
}

int
diag_verbosity(void)
{
	return verbosity;
}

void
diag_secret(const char *secret)
{
	/* Short strings would redact ordinary words: not worth registering. */
	if (secret == NULL || strlen(secret) < 4 || nsecrets == MAX_SECRETS)
		return;
	secrets[nsecrets++] = secret;
}

void
diag_forget_secrets(void)
{
	nsecrets = 0;
}

void
diag_redact(char *buf, size_t size)
{
	for (size_t i = 0; i < nsecrets; i++) {
		size_t slen = strlen(secrets[i]), rlen = strlen(REDACTED);
		char *p = buf;

		while ((p = strstr(p, secrets[i])) != NULL) {
			size_t tail = strlen(p + slen) + 1;

			if (rlen <= slen || (size_t)(p - buf) + rlen + tail <= size) {
				memmove(p + rlen, p + slen, tail);
				memcpy(p, REDACTED, rlen);
				p += rlen;
			} else {
				/* No room to grow: blot the secret out instead. */
				memset(p, '*', slen);
				p += slen;
			}
		}
	}
}

static void emit(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
emit(int priority, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	n = vsnprintf(line, sizeof line, fmt, ap);
	if (n < 0)
		return;
	diag_redact(line, sizeof line);
	/* One message is one line, whatever the caller passed in. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (syslog_facility)
		syslog(priority, "%s", line);
	else
		dprintf(STDERR_FILENO, "%s: %s\n", progname, line);
}

void
diag_warn(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	emit(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
diag_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
diag_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 2)
		return;
	va_start(ap, fmt);
	emit(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

char *
diag_excerpt(const void *text, size_t len, size_t max, char *out, size_t outsz)
{
	const unsigned char *s = text;
	size_t o = 0;

	if (outsz == 0)
		return out;
	for (size_t i = 0; i < len && i < max; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)s[i];
		} else {
			if (o + 4 >= outsz)
				break;
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", s[i]);
		}
	}
	if (len > max && o + 3 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

void
diag_ensure_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1) {
			int null = open("/dev/null", O_RDWR);

			if (null != -1 && null != fd) {
				dup2(null, fd);
				close(null);
			}
		}
	}
}
