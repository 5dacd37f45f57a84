/* status: the chain's delivery figures, key value lines in one file. */
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "clock.h"

/* Letters, digits and '_', 1 to 15 of them. */
static int
code_ok(const char *s, size_t len)
{
	if (len == 0 || len >= sizeof ((struct status_error *)0)->code)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static struct status_error *
error_slot(struct status *st, const char *code, size_t len)
{
	for (size_t i = 0; i < st->nerrors; i++)
		if (strlen(st->errors[i].code) == len &&
		    memcmp(st->errors[i].code, code, len) == 0)
			return &st->errors[i];
	if (st->nerrors == STATUS_MAX_CODES) {
		/* the last slot gathers the rest */
		memcpy(st->errors[STATUS_MAX_CODES - 1].code, "other", 6);
		return &st->errors[STATUS_MAX_CODES - 1];
	}
	memcpy(st->errors[st->nerrors].code, code, len);
	st->errors[st->nerrors].code[len] = '\0';
	st->errors[st->nerrors].count = 0;
	return &st->errors[st->nerrors++];
}

/* One line (without its newline): 0, or -1 when it is not ours. */
static int
parse_line(struct status *st, const char *line, size_t len, int *seen_v)
{
	const char *sp = memchr(line, ' ', len), *val;
	size_t klen, vlen;
	uint64_t v;

	if (sp == NULL)
		return -1;
	klen = (size_t)(sp - line);
	val = sp + 1;
	vlen = len - klen - 1;
#define KEY(k) (klen == sizeof k - 1 && memcmp(line, k, klen) == 0)
	if (KEY("telegram_error")) {
		const char *sp2 = memchr(val, ' ', vlen);

		if (sp2 == NULL || !code_ok(val, (size_t)(sp2 - val)) ||
		    bytes_decimal(sp2 + 1, vlen - (size_t)(sp2 - val) - 1, &v) == -1)
			return -1;
		error_slot(st, val, (size_t)(sp2 - val))->count += v;
		return 0;
	}
	if (!KEY("v") && !KEY("messages_sent") && !KEY("dead_letters") &&
	    !KEY("last_success_ms") && !KEY("failing_since_ms"))
		return 0;	/* a key of later versions */
	if (bytes_decimal(val, vlen, &v) == -1)
		return -1;
	if (KEY("v"))
		*seen_v = v == 1;
	else if (KEY("messages_sent"))
		st->messages_sent = v;
	else if (KEY("dead_letters"))
		st->dead_letters = v;
	else if (KEY("last_success_ms"))
		st->last_success_ms = (int64_t)v;
	else
		st->failing_since_ms = (int64_t)v;
#undef KEY
	return 0;
}

int
status_load(const char *path, struct status *st)
{
	char buf[STATUS_MAX_SIZE + 1];
	ssize_t n;
	size_t at = 0;
	int fd, seen_v = 0;

	memset(st, 0, sizeof *st);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;	/* made, not written yet */
	if ((size_t)n > STATUS_MAX_SIZE)
		goto damaged;
	while (at < (size_t)n) {
		char *nl = memchr(buf + at, '\n', (size_t)n - at);

		if (nl == NULL || parse_line(st, buf + at,
		    (size_t)(nl - buf) - at, &seen_v) == -1)
			goto damaged;
		at = (size_t)(nl - buf) + 1;
	}
	if (seen_v)
		return 0;
damaged:
	memset(st, 0, sizeof *st);
	errno = EINVAL;
	return -1;
}

int
status_save(const char *path, const struct status *st)
{
	char buf[STATUS_MAX_SIZE], tmp[4096];
	size_t len;
	int fd, n, ok;

	n = snprintf(buf, sizeof buf, "v 1\nmessages_sent %" PRIu64
	    "\ndead_letters %" PRIu64 "\nlast_success_ms %" PRId64
	    "\nfailing_since_ms %" PRId64 "\n", st->messages_sent,
	    st->dead_letters, st->last_success_ms, st->failing_since_ms);
	len = (size_t)n;
	for (size_t i = 0; i < st->nerrors && len < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
		    "telegram_error %s %" PRIu64 "\n", st->errors[i].code,
		    st->errors[i].count);
	if (len >= sizeof buf || snprintf(tmp, sizeof tmp, "%s.tmp", path) >=
	    (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	ok = write(fd, buf, len) == (ssize_t)len;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		int saved = ok ? errno : ENOSPC;

		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

int
status_flush(const char *path, struct status *st, int force)
{
	int64_t now = clock_mono_ms();

	if (!st->dirty || path == NULL || (!force && st->saved_mono_ms &&
	    now - st->saved_mono_ms < STATUS_MIN_INTERVAL_MS))
		return 0;
	if (status_save(path, st) == -1)
		return -1;
	st->dirty = 0;
	st->saved_mono_ms = now;
	return 0;
}

void
status_note_ok(struct status *st, int64_t now_ms)
{
	st->messages_sent++;
	st->last_success_ms = now_ms;
	st->failing_since_ms = 0;
	st->dirty = 1;
}

void
status_note_error(struct status *st, const char *code, int failing,
    int64_t now_ms)
{
	size_t len = strlen(code);

	if (!code_ok(code, len))
		code = "other", len = 5;
	error_slot(st, code, len)->count++;
	if (failing && st->failing_since_ms == 0)
		st->failing_since_ms = now_ms;
	st->dirty = 1;
}

void
status_note_dead_letter(struct status *st)
{
	st->dead_letters++;
	st->dirty = 1;
}
