/* ndjson: bounded NDJSON record reader and writer. */
#include "ndjson.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "diag.h"
#include "jvx.h"

struct ndjson_reader {
	int fd;
	size_t max_line;
	char *buf;		/* buffered input: [start, end) unread */
	size_t size, start, end;
	int eof;
	int skipping;		/* inside an over-long line: drop to its end */
	unsigned long lineno, rejected;
	const char *line;	/* last returned line */
	size_t line_len;
	FILE *flush, *rejects;
	const char *omit;	/* top-level member left out, or NULL */
	char *cut;		/* the line without it */
	size_t cut_size;
};

struct ndjson_reader *
ndjson_open(int fd, size_t max_line)
{
	struct ndjson_reader *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->fd = fd;
	r->max_line = max_line ? max_line : NDJSON_DEFAULT_MAX_LINE;
	if (r->max_line > (1u << 30))
		r->max_line = 1u << 30;	/* jv_parse_sized takes an int */
	r->size = 64 * 1024;
	if ((r->buf = malloc(r->size)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
ndjson_close(struct ndjson_reader *r)
{
	if (r) {
		free(r->cut);
		free(r->buf);
		free(r);
	}
}

void
ndjson_flush_before_read(struct ndjson_reader *r, FILE *out)
{
	r->flush = out;
}

void
ndjson_omit_member(struct ndjson_reader *r, const char *key)
{
	r->omit = key;
}

void
ndjson_reject_to(struct ndjson_reader *r, FILE *rejects)
{
	r->rejects = rejects;
}

FILE *
ndjson_open_rejects(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	FILE *f;

	if (fd == -1)
		return NULL;
	if ((f = fdopen(fd, "a")) == NULL) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return f;
}

unsigned long
ndjson_lineno(const struct ndjson_reader *r)
{
	return r->lineno;
}

unsigned long
ndjson_rejected(const struct ndjson_reader *r)
{
	return r->rejected;
}

const char *
ndjson_line(const struct ndjson_reader *r, size_t *len)
{
	*len = r->line_len;
	return r->line;
}

/*
 * Wait until input is readable: 1 readable, 0 timed out, -1 error (errno
 * EPIPE when the reader of our output has gone away: a stage whose next
 * stage died stops instead of waiting for input it could never pass on).
 */
static int
wait_input(struct ndjson_reader *r, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = r->fd, .events = POLLIN },
		{ .fd = r->flush ? fileno(r->flush) : -1, .events = 0 },
	};
	int n;

	do
		n = poll(p, 2, timeout_ms);
	while (n == -1 && errno == EINTR);
	if (n < 0)
		return -1;
	if (p[1].revents & POLLERR) {
		errno = EPIPE;
		return -1;
	}
	return n > 0;
}

int
ndjson_wait(struct ndjson_reader *r, int timeout_ms)
{
	if (memchr(r->buf + r->start, '\n', r->end - r->start) || r->eof)
		return 1;
	if (r->flush)
		fflush(r->flush);
	return wait_input(r, timeout_ms);
}

/* Make room and read more input: 1 read something, 0 eof, -1 error. */
static int
fill(struct ndjson_reader *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->size) {
		size_t nsize = r->size * 2;
		char *nbuf;

		if (nsize > r->max_line + 2)
			nsize = r->max_line + 2;
		if (nsize <= r->size)
			return 1;	/* full: caller handles the long line */
		if ((nbuf = realloc(r->buf, nsize)) == NULL)
			return -1;
		r->buf = nbuf;
		r->size = nsize;
	}
	if (r->flush) {
		fflush(r->flush);
		if (wait_input(r, -1) < 0)
			return -1;
	}
	do
		n = read(r->fd, r->buf + r->end, r->size - r->end);
	while (n == -1 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

static void
reject_line(struct ndjson_reader *r, const char *line, size_t len,
    const char *why)
{
	char ex[128];

	r->rejected++;
	diag_warn("line %lu: %s: %s", r->lineno, why,
	    diag_excerpt(line, len, 80, ex, sizeof ex));
	if (r->rejects) {
		fwrite(line, 1, len, r->rejects);
		fputc('\n', r->rejects);
		fflush(r->rejects);
	}
}

/*
 * A strict JSON scanner (RFC 8259, no extensions) that builds nothing:
 * it only says where a value ends.  Strict on purpose: whatever it
 * accepts, libjq parses the same way, with and without the members cut
 * out; whatever it doubts goes to libjq whole.
 */
#define SCAN_MAX_DEPTH 128	/* libjq stops at 256 */

struct scan {
	const unsigned char *p, *end;
	int any_surrogates;	/* lone \uD8xx/\uDCxx are grammar, not errors */
	int max_depth;
};

static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
scan_hex4(const unsigned char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int d = bytes_hexval(p[i]);

		if (d < 0)
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

/* At '"': past the closing quote.  0 ok, -1 not strict JSON. */
static int
scan_string(struct scan *s)
{
	s->p++;
	while (s->p < s->end) {
		unsigned c = *s->p++;
		unsigned u, lo;

		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			return -1;
		switch (*s->p++) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			break;
		case 'u':
			if (s->end - s->p < 4 || scan_hex4(s->p, &u) < 0)
				return -1;
			s->p += 4;
			if (s->any_surrogates)
				break;
			if (u >= 0xdc00 && u <= 0xdfff)
				return -1;	/* a lone low surrogate */
			if (u >= 0xd800 && u <= 0xdbff) {
				if (s->end - s->p < 6 || s->p[0] != '\\' ||
				    s->p[1] != 'u' ||
				    scan_hex4(s->p + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				s->p += 6;
			}
			break;
		default:
			return -1;
		}
	}
	return -1;
}

static int
scan_digits(struct scan *s)
{
	const unsigned char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start ? 0 : -1;
}

static int
scan_number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (scan_digits(s) < 0)
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (scan_digits(s) < 0)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (scan_digits(s) < 0)
			return -1;
	}
	return 0;
}

static int
scan_word(struct scan *s, const char *w, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

static int
scan_value(struct scan *s, int depth)
{
	unsigned char close;

	scan_ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '"':
		return scan_string(s);
	case 't':
		return scan_word(s, "true", 4);
	case 'f':
		return scan_word(s, "false", 5);
	case 'n':
		return scan_word(s, "null", 4);
	case '[':
	case '{':
		break;
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s);
		return -1;
	}
	if (depth >= s->max_depth)
		return -1;
	close = *s->p == '[' ? ']' : '}';
	s->p++;
	scan_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			scan_ws(s);
			if (s->p >= s->end || *s->p != '"' || scan_string(s) < 0)
				return -1;
			scan_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return -1;
		}
		if (scan_value(s, depth + 1) < 0)
			return -1;
		scan_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p++ != ',')
			return -1;
	}
}

long
ndjson_cut_member(const char *text, size_t len, const char *key, char *out)
{
	struct scan s = { (const unsigned char *)text,
	    (const unsigned char *)text + len, 0, SCAN_MAX_DEPTH };
	const unsigned char *copied = s.p, *prev_end;
	size_t klen = strlen(key), o = 0;
	int first = 1;		/* no member kept before this one */

	scan_ws(&s);
	if (s.p >= s.end || *s.p++ != '{')
		return -1;
	prev_end = s.p;		/* where a cut member's text may start */
	scan_ws(&s);
	if (s.p < s.end && *s.p == '}') {
		s.p++;
		goto done;
	}
	for (;;) {
		const unsigned char *k;
		int match;

		scan_ws(&s);
		k = s.p;
		if (s.p >= s.end || *s.p != '"' || scan_string(&s) < 0)
			return -1;
		match = (size_t)(s.p - k) == klen + 2 &&
		    memcmp(k + 1, key, klen) == 0;
		scan_ws(&s);
		if (s.p >= s.end || *s.p++ != ':' ||
		    scan_value(&s, 1) < 0)
			return -1;
		scan_ws(&s);
		if (s.p >= s.end || (*s.p != ',' && *s.p != '}'))
			return -1;
		if (match) {
			/* keep text up to the member (or the comma before
			 * it); drop through its value (and, when it is
			 * first, the comma after it) */
			const unsigned char *from = first ? prev_end : prev_end - 1;

			if (!first && from[0] != ',')
				return -1;	/* cannot happen */
			memcpy(out + o, copied, (size_t)(from - copied));
			o += (size_t)(from - copied);
			copied = *s.p == ',' && first ? s.p + 1 : s.p;
		} else {
			first = 0;
		}
		if (*s.p++ == '}')
			break;
		prev_end = s.p;
	}
done:
	scan_ws(&s);
	if (s.p != s.end)
		return -1;	/* more than one value */
	if (copied == (const unsigned char *)text)
		return 0;
	memcpy(out + o, copied, (size_t)(s.end - copied));
	o += (size_t)(s.end - copied);
	return (long)(len - o);
}

int
ndjson_strict_object(const char *text, size_t len)
{
	/* deeper than libjq parses: whatever it took is scanned */
	struct scan s = { (const unsigned char *)text,
	    (const unsigned char *)text + len, 1, 2 * SCAN_MAX_DEPTH + 8 };

	scan_ws(&s);
	if (s.p >= s.end || *s.p != '{' || scan_value(&s, 0) < 0)
		return 0;
	scan_ws(&s);
	return s.p == s.end;
}

/* libjq's parse, of the line with r->omit cut out when the scan allows. */
static jv
parse_text(struct ndjson_reader *r, const char *line, size_t len)
{
	if (r->omit != NULL) {
		long cut;

		if (r->cut_size < len) {
			char *n = realloc(r->cut, len);

			if (n == NULL)
				return jvx_parse(line, len);
			r->cut = n;
			r->cut_size = len;
		}
		cut = ndjson_cut_member(line, len, r->omit, r->cut);
		if (cut > 0) {
			jv v = jvx_parse(r->cut, len - (size_t)cut);

			if (jv_get_kind(v) == JV_KIND_OBJECT)
				return v;
			jv_free(v);	/* not expected: say what libjq says */
		}
	}
	return jvx_parse(line, len);
}

/* Parse one complete line: 1 a record, 0 skipped. */
static int
parse_line(struct ndjson_reader *r, char *line, size_t len, jv *rec)
{
	jv v;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	r->lineno++;
	/* Blank (white space only) lines are skipped silently. */
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return 0;
	if (len > r->max_line) {
		reject_line(r, line, len, "line too long");
		return 0;
	}
	if (memchr(line, '\0', len) != NULL) {
		reject_line(r, line, len, "NUL byte in record");
		return 0;
	}
	v = parse_text(r, line, len);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		char why[160];

		snprintf(why, sizeof why, "not JSON (%s)",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg)
		    : "invalid");
		jv_free(msg);
		reject_line(r, line, len, why);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		reject_line(r, line, len, "record is not a JSON object");
		return 0;
	}
	r->line = line;
	r->line_len = len;
	*rec = v;
	return 1;
}

int
ndjson_next(struct ndjson_reader *r, jv *rec)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);

		if (nl != NULL) {
			char *line = r->buf + r->start;
			size_t len = (size_t)(nl - line);

			r->start += len + 1;
			if (r->skipping) {
				r->skipping = 0;
				r->lineno++;
			} else if (parse_line(r, line, len, rec)) {
				return 1;
			}
			continue;
		}
		if (r->end - r->start > r->max_line) {
			/* Over-long line: report once, drop bytes to its end. */
			if (!r->skipping) {
				FILE *rejects = r->rejects;

				r->rejects = NULL;	/* it cannot be kept whole */
				r->lineno++;
				reject_line(r, r->buf + r->start, 80,
				    "line too long");
				r->lineno--;	/* counted when its end is reached */
				r->rejects = rejects;
				r->skipping = 1;
			}
			r->start = r->end;
		}
		if (r->eof) {
			char *line = r->buf + r->start;
			size_t len = r->end - r->start;

			r->start = r->end;
			if (r->skipping) {
				r->skipping = 0;
				r->lineno++;
			} else if (len > 0 && parse_line(r, line, len, rec)) {
				return 1;	/* a last line without a newline */
			}
			return 0;
		}
		if (fill(r) < 0)
			return -1;
	}
}

/*
 * The writer prints exactly what jv_dumpf(rec, out, 0) prints (compact,
 * keys in the object's order, non-ASCII as UTF-8, numbers as libjq
 * formats them), but libjq 1.6 calls fwrite once per character of every
 * string, which made printing 40-45% of each stage's time.  Here a
 * string goes out in runs between the bytes that need escaping.
 */
static void
write_string(FILE *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	putc_unlocked('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		fwrite_unlocked(s + run, 1, i - run, out);
		run = i + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		default: n = 6; break;	/* backslash, u, four hex digits */
		}
		fwrite_unlocked(esc, 1, n, out);
	}
	fwrite_unlocked(s + run, 1, len - run, out);
	putc_unlocked('"', out);
}

/* x is borrowed. */
static void
write_value(FILE *out, jv x)
{
	switch (jv_get_kind(x)) {
	case JV_KIND_NULL:
		fwrite_unlocked("null", 1, 4, out);
		break;
	case JV_KIND_FALSE:
		fwrite_unlocked("false", 1, 5, out);
		break;
	case JV_KIND_TRUE:
		fwrite_unlocked("true", 1, 4, out);
		break;
	case JV_KIND_NUMBER: {
		double d = jv_number_value(x);

		/* small integers print the same either way; the rest as jq */
		if (d > -1e9 && d < 1e9 && d == (double)(long)d &&
		    !(d == 0 && signbit(d)))
			fprintf(out, "%ld", (long)d);
		else {
			jv text = jv_dump_string(jv_copy(x), 0);

			fputs(jv_string_value(text), out);
			jv_free(text);
		}
		break;
	}
	case JV_KIND_STRING:
		write_string(out, jv_string_value(x),
		    (size_t)jv_string_length_bytes(jv_copy(x)));
		break;
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(x));

		putc_unlocked('[', out);
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(x), i);

			if (i > 0)
				putc_unlocked(',', out);
			write_value(out, e);
			jv_free(e);
		}
		putc_unlocked(']', out);
		break;
	}
	case JV_KIND_OBJECT: {
		int first = 1;

		putc_unlocked('{', out);
		for (int i = jv_object_iter(x); jv_object_iter_valid(x, i);
		    i = jv_object_iter_next(x, i)) {
			jv key = jv_object_iter_key(x, i);
			jv value = jv_object_iter_value(x, i);

			if (!first)
				putc_unlocked(',', out);
			first = 0;
			write_value(out, key);
			putc_unlocked(':', out);
			write_value(out, value);
			jv_free(key);
			jv_free(value);
		}
		putc_unlocked('}', out);
		break;
	}
	default:
		jv_dumpf(jv_copy(x), out, 0);
		break;
	}
}

void
ndjson_print(FILE *out, jv v)
{
	write_value(out, v);
	jv_free(v);
}

const char *
ndjson_read_error(int err)
{
	static char msg[128];

	if (err == EPIPE)
		return "stdout: the next stage is gone (broken pipe)";
	snprintf(msg, sizeof msg, "stdin: %s", strerror(err));
	return msg;
}

int
ndjson_write(FILE *out, jv rec)
{
	ndjson_print(out, rec);
	if (putc('\n', out) == EOF || ferror(out))
		return -1;
	return 0;
}

const char *
ndjson_id(const jv *rec)
{
	const char *id = jvx_str(rec, "id");

	return id ? id : "-";
}

void
ndjson_report(FILE *rejects, const jv *rec, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	diag_warn("%s: %s", ndjson_id(rec), why);
	if (rejects) {
		jv_dumpf(jv_copy(*rec), rejects, 0);
		putc('\n', rejects);
		fflush(rejects);
	}
}
