/*
 * fuzz_jsonstr: sentry-recv's libc-only JSON writer (lib/jsonstr), which
 * turns every request's exact bytes into the record, against libjq, and
 * the byte rules under it (lib/bytes).
 * For arbitrary bytes: the escaped text, in quotes, must parse as JSON
 * and give back exactly the bytes when they are UTF-8; its length must be
 * jsonstr_escaped_len's; the UTF-8 validator must agree with libjq's, and
 * the one-character decoder with the validator and the encoder; base64
 * must decode back to the bytes (by hand and by bytes_base64_decode,
 * which must also refuse exactly what is not base64); hex must read
 * back; a small output buffer (the first byte picks its size) must not
 * change what is written.
 */
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bytes.h"
#include "jsonstr.h"
#include "jvx.h"
#include "fuzz.h"

static int fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fd = memfd_create("fuzz_jsonstr", 0);
	return fd == -1 ? -1 : 0;
}

/* Everything written to fd since the last rewind, NUL-terminated. */
static char *
written(size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_CUR);
	char *buf = malloc((size_t)end + 1);

	fuzz_assert(buf != NULL);
	fuzz_assert(pread(fd, buf, (size_t)end, 0) == end);
	buf[end] = '\0';
	*len = (size_t)end;
	return buf;
}

static void
rewind_fd(void)
{
	fuzz_assert(ftruncate(fd, 0) == 0);
	fuzz_assert(lseek(fd, 0, SEEK_SET) == 0);
}

static int
b64val(int c)
{
	const char *set =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(set, c) : NULL;

	return p ? (int)(p - set) : -1;
}

/* Character by character: valid ones encode back to their bytes, and the
 * text is valid exactly when no character was refused. */
static void
utf8_one_by_one(const uint8_t *bytes, size_t size)
{
	int all = 1;

	for (size_t i = 0; i < size; ) {
		unsigned cp;
		size_t len = bytes_utf8_decode(bytes + i, size - i, &cp);
		char enc[4];

		if (len == 0) {
			fuzz_assert(cp == 0xfffd);
			all = 0;
			i++;
			continue;
		}
		fuzz_assert(bytes_utf8_encode(cp, enc) == len);
		fuzz_assert(memcmp(enc, bytes + i, len) == 0);
		i += len;
	}
	fuzz_assert(all == bytes_utf8_valid(bytes, size));
}

static void
hex_back(const uint8_t *bytes, size_t size)
{
	char hex[2 * 64 + 1];
	size_t n = size < 64 ? size : 64;

	bytes_hex(hex, bytes, n);
	fuzz_assert(strlen(hex) == 2 * n);
	for (size_t i = 0; i < n; i++)
		fuzz_assert((bytes_hexval(hex[2 * i]) << 4 |
		    bytes_hexval(hex[2 * i + 1])) == bytes[i]);
}

/* The bytes read as base64 text: refused exactly when, without its
 * trailing '=', it holds anything but the alphabet or one character too
 * many; else as long as the characters say, and re-encoded the same but
 * for the low bits of the last character. */
static void
base64_strict(const uint8_t *bytes, size_t size)
{
	const char *in = (const char *)bytes;
	size_t len = size, rlen;
	unsigned char *out = malloc(size / 4 * 3 + 2 + 1);
	char *again;
	long n;
	int alphabet = 1;

	fuzz_assert(out != NULL);
	while (len > 0 && in[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++)
		if (in[i] == 0 || b64val(in[i]) < 0)
			alphabet = 0;
	n = bytes_base64_decode(in, size, out);
	if (!alphabet || len % 4 == 1) {
		fuzz_assert(n == -1);
		free(out);
		return;
	}
	fuzz_assert(n == (long)(len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0)));
	again = malloc(bytes_base64_len((size_t)n) + 1);
	fuzz_assert(again != NULL);
	rlen = bytes_base64(again, out, (size_t)n);
	while (rlen > 0 && again[rlen - 1] == '=')
		rlen--;
	fuzz_assert(rlen == len);
	if (len > 0) {
		fuzz_assert(memcmp(again, in, len - 1) == 0);
		fuzz_assert((b64val(again[len - 1]) ^ b64val(in[len - 1])) <
		    (len % 4 == 2 ? 16 : len % 4 == 3 ? 4 : 1));
	}
	free(again);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	struct jsonstr_out o;
	char obuf[4096], *text;
	size_t cap, len, n, elen;
	int valid;
	jv v;

	if (size == 0)
		return 0;
	cap = 1 + bytes[0] * 16 % sizeof obuf;
	bytes++, size--;

	/* The validator against libjq's decoder: valid exactly when
	 * jv_string_sized keeps the bytes unchanged. */
	v = jv_string_sized((const char *)bytes, (int)size);
	fuzz_assert(bytes_utf8_valid(bytes, size) ==
	    ((size_t)jv_string_length_bytes(jv_copy(v)) == size &&
	    memcmp(jv_string_value(v), bytes, size) == 0));
	jv_free(v);
	elen = jsonstr_escaped_len(bytes, size, &valid);
	fuzz_assert(valid == bytes_utf8_valid(bytes, size));
	utf8_one_by_one(bytes, size);
	hex_back(bytes, size);
	base64_strict(bytes, size);

	/* The escaped string parses back to the same bytes. */
	rewind_fd();
	jsonstr_init(&o, fd, obuf, cap);
	jsonstr_put(&o, "\"", 1);
	jsonstr_escape(&o, bytes, size);
	jsonstr_put(&o, "\"", 1);
	fuzz_assert(jsonstr_flush(&o) == 0);
	text = written(&len);
	fuzz_assert(len == elen + 2);
	fuzz_assert(o.written == len);
	v = jvx_parse(text, len);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);

		fprintf(stderr, "not JSON: %s\n", jv_get_kind(m) ==
		    JV_KIND_STRING ? jv_string_value(m) : "?");
		fuzz_assert(!"escaped text parses");
	}
	fuzz_assert(jv_get_kind(v) == JV_KIND_STRING);
	if (valid) {
		n = (size_t)jv_string_length_bytes(jv_copy(v));
		fuzz_assert(n == size &&
		    memcmp(jv_string_value(v), bytes, size) == 0);
	}
	jv_free(v);
	free(text);

	/* The lower-cased escape parses too. */
	rewind_fd();
	jsonstr_init(&o, fd, obuf, cap);
	jsonstr_put(&o, "\"", 1);
	jsonstr_escape_lower(&o, bytes, size);
	jsonstr_put(&o, "\"", 1);
	fuzz_assert(jsonstr_flush(&o) == 0);
	text = written(&len);
	v = jvx_parse(text, len);
	fuzz_assert(jv_get_kind(v) == JV_KIND_STRING);
	jv_free(v);
	free(text);

	/* base64 decodes back to the bytes. */
	rewind_fd();
	jsonstr_init(&o, fd, obuf, cap);
	jsonstr_base64(&o, bytes, size);
	fuzz_assert(jsonstr_flush(&o) == 0);
	text = written(&len);
	fuzz_assert(len == jsonstr_base64_len(size));
	fuzz_assert(len % 4 == 0);
	n = 0;
	for (size_t i = 0; i < len; i += 4) {
		int a = b64val(text[i]), b = b64val(text[i + 1]);
		int c = text[i + 2] == '=' ? 0 : b64val(text[i + 2]);
		int d = text[i + 3] == '=' ? 0 : b64val(text[i + 3]);
		unsigned w;

		fuzz_assert(a >= 0 && b >= 0 && c >= 0 && d >= 0);
		w = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 |
		    (unsigned)d;
		fuzz_assert(n < size && bytes[n++] == (uint8_t)(w >> 16));
		if (text[i + 2] != '=')
			fuzz_assert(n < size && bytes[n++] == (uint8_t)(w >> 8));
		if (text[i + 3] != '=')
			fuzz_assert(n < size && bytes[n++] == (uint8_t)w);
	}
	fuzz_assert(n == size);
	free(text);

	/* Decimal numbers. */
	if (size >= 8) {
		uint64_t u;
		char want[32];

		memcpy(&u, bytes, sizeof u);
		rewind_fd();
		jsonstr_init(&o, fd, obuf, cap);
		jsonstr_u64(&o, u);
		fuzz_assert(jsonstr_flush(&o) == 0);
		text = written(&len);
		snprintf(want, sizeof want, "%llu", (unsigned long long)u);
		fuzz_assert(strcmp(text, want) == 0);
		fuzz_assert(jsonstr_digits(u) == strlen(want));
		free(text);
	}
	return 0;
}
