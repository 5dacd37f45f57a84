/* jsonstr: buffered JSON output to an fd, string escaping, base64. */
#include "jsonstr.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"

void
jsonstr_init(struct jsonstr_out *o, int fd, char *buf, size_t cap)
{
	o->fd = fd;
	o->buf = buf;
	o->len = 0;
	o->cap = cap;
	o->written = 0;
	o->err = 0;
}

static void
write_all(struct jsonstr_out *o, const char *p, size_t n)
{
	while (n > 0 && !o->err) {
		ssize_t w = write(o->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			return;
		}
		p += w;
		n -= (size_t)w;
		o->written += (uint64_t)w;
	}
}

int
jsonstr_flush(struct jsonstr_out *o)
{
	write_all(o, o->buf, o->len);
	o->len = 0;
	return o->err ? -1 : 0;
}

void
jsonstr_put(struct jsonstr_out *o, const void *data, size_t len)
{
	if (o->cap - o->len < len) {
		jsonstr_flush(o);
		if (len >= o->cap) {
			write_all(o, data, len);
			return;
		}
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
}

void
jsonstr_puts(struct jsonstr_out *o, const char *text)
{
	jsonstr_put(o, text, strlen(text));
}

unsigned
jsonstr_digits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

void
jsonstr_u64(struct jsonstr_out *o, uint64_t v)
{
	char b[20];
	unsigned n = jsonstr_digits(v), i = n;

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jsonstr_put(o, b, n);
}

/* Length of the valid UTF-8 sequence at s (s < end, *s >= 0x80), or 0. */
static size_t
utf8_seq(const unsigned char *s, const unsigned char *end)
{
	unsigned cp;

	return bytes_utf8_decode(s, (size_t)(end - s), &cp);
}

/* Escaped length of each ASCII byte: 1, 2 (\n, \") or 6 (\u001f). */
static unsigned char esc_len[128];

static void
esc_table(void)
{
	if (esc_len['a'])
		return;
	for (int c = 0; c < 128; c++)
		esc_len[c] = c < 0x20 ? 6 : 1;
	esc_len['"'] = esc_len['\\'] = 2;
	esc_len['\b'] = esc_len['\f'] = esc_len['\n'] = 2;
	esc_len['\r'] = esc_len['\t'] = 2;
}

size_t
jsonstr_escaped_len(const void *buf, size_t len, int *valid)
{
	const unsigned char *s = buf, *end = s + len;
	size_t total = 0;

	esc_table();
	*valid = 1;
	while (s < end) {
		size_t n;

		if (*s < 0x80) {
			total += esc_len[*s++];
		} else if ((n = utf8_seq(s, end)) != 0) {
			total += n;
			s += n;
		} else {
			*valid = 0;
			total += 6;
			s++;
		}
	}
	return total;
}

static void
escape(struct jsonstr_out *o, const void *buf, size_t len, int fold)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = buf, *end = s + len, *run = s;
	char e[6] = { '\\', 'u', '0', '0' };

	esc_table();
	while (s < end) {
		size_t n;

		if (*s < 0x80 && esc_len[*s] == 1) {
			s++;
			continue;
		}
		if (*s >= 0x80 && (n = utf8_seq(s, end)) != 0) {
			s += n;
			continue;
		}
		if (fold) {
			for (const unsigned char *p = run; p < s; p++) {
				char c = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
				jsonstr_put(o, &c, 1);
			}
		} else {
			jsonstr_put(o, run, (size_t)(s - run));
		}
		switch (*s) {
		case '"': jsonstr_put(o, "\\\"", 2); break;
		case '\\': jsonstr_put(o, "\\\\", 2); break;
		case '\b': jsonstr_put(o, "\\b", 2); break;
		case '\f': jsonstr_put(o, "\\f", 2); break;
		case '\n': jsonstr_put(o, "\\n", 2); break;
		case '\r': jsonstr_put(o, "\\r", 2); break;
		case '\t': jsonstr_put(o, "\\t", 2); break;
		default:
			e[4] = hex[*s >> 4];
			e[5] = hex[*s & 15];
			jsonstr_put(o, e, 6);
		}
		run = ++s;
	}
	if (fold) {
		for (const unsigned char *p = run; p < s; p++) {
			char c = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			jsonstr_put(o, &c, 1);
		}
	} else {
		jsonstr_put(o, run, (size_t)(s - run));
	}
}

void
jsonstr_escape(struct jsonstr_out *o, const void *s, size_t len)
{
	escape(o, s, len, 0);
}

void
jsonstr_escape_lower(struct jsonstr_out *o, const void *s, size_t len)
{
	escape(o, s, len, 1);
}

size_t
jsonstr_base64_len(size_t len)
{
	return bytes_base64_len(len);
}

void
jsonstr_base64(struct jsonstr_out *o, const void *buf, size_t len)
{
	const unsigned char *s = buf;
	char chunk[4096];

	/* 3072 bytes make exactly 4096 characters, padding only at the end. */
	for (size_t i = 0; i < len; i += 3072) {
		size_t n = len - i < 3072 ? len - i : 3072;

		jsonstr_put(o, chunk, bytes_base64(chunk, s + i, n));
	}
}
