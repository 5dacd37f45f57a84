/*
 * jsonstr: JSON text written straight to a file descriptor, libc only.
 *
 * For tools that must not link libjq (sentry-recv is exec'd per
 * connection): a small output buffer, JSON string escaping of exact bytes
 * (valid UTF-8 passed through, control characters as \uXXXX), and base64
 * for bodies that are not UTF-8.  The byte rules (UTF-8, base64) are
 * lib/bytes'.
 */
#ifndef JSONSTR_H
#define JSONSTR_H

#include <stddef.h>
#include <stdint.h>

struct jsonstr_out {
	int fd;
	char *buf;
	size_t len, cap;
	uint64_t written;	/* bytes flushed to fd so far */
	int err;		/* errno of the first failed write, 0 if none */
};

void jsonstr_init(struct jsonstr_out *o, int fd, char *buf, size_t cap);
void jsonstr_put(struct jsonstr_out *o, const void *data, size_t len);
void jsonstr_puts(struct jsonstr_out *o, const char *text);
void jsonstr_u64(struct jsonstr_out *o, uint64_t v);
/* Write out what is buffered.  0, or -1 with o->err set. */
int jsonstr_flush(struct jsonstr_out *o);

/*
 * Length of s[0..len) escaped as the inside of a JSON string, and whether
 * it is valid UTF-8 (*valid).  Bytes that are not UTF-8 count as \u00XX
 * (the Latin-1 reading), as jsonstr_escape writes them.
 */
size_t jsonstr_escaped_len(const void *s, size_t len, int *valid);

/* Write s[0..len) escaped (no quotes).  Invalid UTF-8 bytes as \u00XX. */
void jsonstr_escape(struct jsonstr_out *o, const void *s, size_t len);

/* Lower-cased ASCII copy, escaped. */
void jsonstr_escape_lower(struct jsonstr_out *o, const void *s, size_t len);

/* Write s[0..len) as base64 (bytes_base64); jsonstr_base64_len: its length. */
size_t jsonstr_base64_len(size_t len);
void jsonstr_base64(struct jsonstr_out *o, const void *s, size_t len);

/* Number of decimal digits of v. */
unsigned jsonstr_digits(uint64_t v);

#endif
