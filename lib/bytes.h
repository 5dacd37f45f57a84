/*
 * bytes: hex digits, UTF-8 and base64 over plain byte buffers.
 *
 * libc only, nothing allocated, nothing printed: sentry-recv links it
 * statically, the libjq tools and lib/tghtml use the same UTF-8 reading.
 * The caller gives every output buffer, sized as each function says.
 */
#ifndef BYTES_H
#define BYTES_H

#include <stddef.h>
#include <stdint.h>

/*
 * The decimal number that is all of s[0..len): 0 with *v set, or -1
 * (empty, anything but the digits 0-9, or more than 2^64 - 1).
 */
int bytes_decimal(const char *s, size_t len, uint64_t *v);

/* The value of a hex digit (either case), or -1. */
int bytes_hexval(int c);

/* Lower-case hex of in[0..n): 2 * n digits and a NUL into out. */
void bytes_hex(char *out, const void *in, size_t n);

/*
 * The UTF-8 character at s (n bytes available): its length (1 to 4) with
 * *cp set, or 0 when the bytes there are not one (n == 0, a bad or
 * missing continuation, an overlong form, a surrogate, past U+10FFFF),
 * with *cp set to U+FFFD.
 */
size_t bytes_utf8_decode(const void *s, size_t n, unsigned *cp);

/* 1 when s[0..n) is valid UTF-8 throughout, else 0. */
int bytes_utf8_valid(const void *s, size_t n);

/* The UTF-8 form of cp (at most U+10FFFF) into out: its length, 1 to 4. */
size_t bytes_utf8_encode(unsigned cp, char out[4]);

/* Base64 (RFC 4648, standard alphabet, padded): encoded length of n bytes. */
size_t bytes_base64_len(size_t n);

/* Encode in[0..n) into out (bytes_base64_len(n) bytes, no NUL). */
size_t bytes_base64(char *out, const void *in, size_t n);

/*
 * Strict base64 decode (RFC 4648 alphabet, '=' padding optional, no
 * white space or other characters): the decoded length, or -1 when in is
 * not base64.  out needs len / 4 * 3 + 2 bytes.
 */
long bytes_base64_decode(const char *in, size_t len, unsigned char *out);

#endif
