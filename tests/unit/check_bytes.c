/* Unit tests: lib/bytes (hex, UTF-8, base64). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

START_TEST(hex_digits)
{
	static const char digits[] = "0123456789abcdefABCDEF";

	for (int i = 0; digits[i]; i++)
		ck_assert_int_eq(bytes_hexval(digits[i]), i < 16 ? i : i - 6);
	ck_assert_int_eq(bytes_hexval('g'), -1);
	ck_assert_int_eq(bytes_hexval('G'), -1);
	ck_assert_int_eq(bytes_hexval('/'), -1);
	ck_assert_int_eq(bytes_hexval(':'), -1);
	ck_assert_int_eq(bytes_hexval('@'), -1);
	ck_assert_int_eq(bytes_hexval('`'), -1);
	ck_assert_int_eq(bytes_hexval(0), -1);
	ck_assert_int_eq(bytes_hexval(0xc1), -1);
}
END_TEST

START_TEST(decimal_numbers)
{
	uint64_t v = 7;

	ck_assert_int_eq(bytes_decimal("00000000000000000225", 20, &v), 0);
	ck_assert_uint_eq(v, 225);
	ck_assert_int_eq(bytes_decimal("18446744073709551615", 20, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(bytes_decimal("12x", 2, &v), 0);	/* len bytes only */
	ck_assert_uint_eq(v, 12);
	v = 7;
	ck_assert_int_eq(bytes_decimal("18446744073709551616", 20, &v), -1);
	ck_assert_int_eq(bytes_decimal("", 0, &v), -1);
	ck_assert_int_eq(bytes_decimal("-1", 2, &v), -1);
	ck_assert_int_eq(bytes_decimal("1 ", 2, &v), -1);
	ck_assert_int_eq(bytes_decimal("+1", 2, &v), -1);
	ck_assert_uint_eq(v, 7);	/* untouched on failure */
}
END_TEST

START_TEST(hex_encode)
{
	char out[2 * 4 + 1];

	bytes_hex(out, "\x00\x9f\xff\x10", 4);
	ck_assert_str_eq(out, "009fff10");
	bytes_hex(out, "", 0);
	ck_assert_str_eq(out, "");
	/* Every byte decodes back through bytes_hexval. */
	for (int c = 0; c < 256; c++) {
		unsigned char b = (unsigned char)c;

		bytes_hex(out, &b, 1);
		ck_assert_int_eq(bytes_hexval(out[0]) << 4 | bytes_hexval(out[1]),
		    c);
	}
}
END_TEST

/* The decoded characters of s, as "len:cp" items, into buf. */
static const char *
decoded(const char *s, size_t n)
{
	static char buf[256];
	size_t o = 0, i = 0;

	buf[0] = '\0';
	while (i < n) {
		unsigned cp;
		size_t len = bytes_utf8_decode(s + i, n - i, &cp);

		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%zu:%X",
		    o ? " " : "", len, cp);
		i += len ? len : 1;
	}
	return buf;
}

START_TEST(utf8_decode_one)
{
	unsigned cp = 0;

	ck_assert_str_eq(decoded("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10),
	    "1:61 2:E9 3:20AC 4:1F600");
	ck_assert_str_eq(decoded("\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
	    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 19),
	    "1:7F 2:80 2:7FF 3:800 3:FFFF 4:10000 4:10FFFF");
	/* Invalid: 0 and U+FFFD, whatever follows. */
	ck_assert_str_eq(decoded("\x80", 1), "0:FFFD");		/* lone continuation */
	ck_assert_str_eq(decoded("\xc0\xaf", 2), "0:FFFD 0:FFFD");	/* overlong */
	ck_assert_str_eq(decoded("\xe0\x9f\xbf", 3), "0:FFFD 0:FFFD 0:FFFD");
	ck_assert_str_eq(decoded("\xf0\x8f\xbf\xbf", 4),
	    "0:FFFD 0:FFFD 0:FFFD 0:FFFD");
	ck_assert_str_eq(decoded("\xed\xa0\x80", 3), "0:FFFD 0:FFFD 0:FFFD");
	ck_assert_str_eq(decoded("\xf4\x90\x80\x80", 4),
	    "0:FFFD 0:FFFD 0:FFFD 0:FFFD");
	ck_assert_str_eq(decoded("\xf5\xff", 2), "0:FFFD 0:FFFD");
	ck_assert_str_eq(decoded("\xe2\x82" "a", 3), "0:FFFD 0:FFFD 1:61");
	/* Only n bytes are read: a character cut by n is invalid. */
	ck_assert_uint_eq(bytes_utf8_decode("\xe2\x82\xac", 2, &cp), 0);
	ck_assert_uint_eq(cp, 0xfffd);
	ck_assert_uint_eq(bytes_utf8_decode("x", 0, &cp), 0);
	ck_assert_uint_eq(bytes_utf8_decode("\0", 1, &cp), 1);
	ck_assert_uint_eq(cp, 0);
}
END_TEST

START_TEST(utf8_validation)
{
	ck_assert_int_eq(bytes_utf8_valid("\xe2\x82\xac", 3), 1);
	ck_assert_int_eq(bytes_utf8_valid("\xe2\x82", 2), 0);
	ck_assert_int_eq(bytes_utf8_valid("\x80", 1), 0);
	ck_assert(bytes_utf8_valid("", 0));
	ck_assert(bytes_utf8_valid("a\0b", 3));
	ck_assert(bytes_utf8_valid("plain", 5));
	ck_assert(bytes_utf8_valid("\xd0\x9f\xd1\x80\xd0\xb8", 6));	/* При */
	ck_assert(bytes_utf8_valid("\xf0\x9f\x9a\xa8", 4));		/* 🚨 */
	ck_assert(!bytes_utf8_valid("\xc0\xaf", 2));		/* overlong */
	ck_assert(!bytes_utf8_valid("\xed\xa0\xbd", 3));		/* surrogate */
	ck_assert(!bytes_utf8_valid("\xf0\x9f\x9a", 3));		/* cut short */
	ck_assert(!bytes_utf8_valid("\xff", 1));
	ck_assert(!bytes_utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	ck_assert(!bytes_utf8_valid("ok\xe2\x82\xac" "ok\xe2", 9));
}
END_TEST

START_TEST(utf8_encode_round_trip)
{
	static const unsigned cps[] = { 0, 0x41, 0x7f, 0x80, 0x7ff, 0x800,
	    0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff };
	char out[4];

	for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
		size_t len = bytes_utf8_encode(cps[i], out);
		unsigned cp;

		ck_assert_uint_eq(len, cps[i] < 0x80 ? 1 : cps[i] < 0x800 ? 2 :
		    cps[i] < 0x10000 ? 3 : 4);
		ck_assert_uint_eq(bytes_utf8_decode(out, len, &cp), len);
		ck_assert_uint_eq(cp, cps[i]);
	}
	ck_assert_uint_eq(bytes_utf8_encode(0x20ac, out), 3);
	ck_assert(memcmp(out, "\xe2\x82\xac", 3) == 0);
}
END_TEST

static const char *
b64(const char *s)
{
	static char out[64];
	size_t n = bytes_base64(out, s, strlen(s));

	ck_assert_uint_eq(n, bytes_base64_len(strlen(s)));
	out[n] = '\0';
	return out;
}

START_TEST(base64_encode)
{
	/* RFC 4648, section 10. */
	ck_assert_str_eq(b64(""), "");
	ck_assert_str_eq(b64("f"), "Zg==");
	ck_assert_str_eq(b64("fo"), "Zm8=");
	ck_assert_str_eq(b64("foo"), "Zm9v");
	ck_assert_str_eq(b64("foob"), "Zm9vYg==");
	ck_assert_str_eq(b64("fooba"), "Zm9vYmE=");
	ck_assert_str_eq(b64("foobar"), "Zm9vYmFy");
	ck_assert_str_eq(b64("\xff\xfe\xfd"), "//79");
	ck_assert_str_eq(b64("\xfb\xff"), "+/8=");
	ck_assert_uint_eq(bytes_base64_len(0), 0);
	ck_assert_uint_eq(bytes_base64_len(1), 4);
	ck_assert_uint_eq(bytes_base64_len(3), 4);
	ck_assert_uint_eq(bytes_base64_len(4), 8);
}
END_TEST

/* Decode s; the result as a string, or "ERR". */
static const char *
unb64(const char *s)
{
	static char out[64];
	long n;

	memset(out, '#', sizeof out);
	n = bytes_base64_decode(s, strlen(s), (unsigned char *)out);
	if (n < 0)
		return "ERR";
	ck_assert_int_le(n, (long)(strlen(s) / 4 * 3 + 2));
	out[n] = '\0';
	return out;
}

START_TEST(base64_decode_strict)
{
	ck_assert_str_eq(unb64(""), "");
	ck_assert_str_eq(unb64("Zg=="), "f");
	ck_assert_str_eq(unb64("Zm8="), "fo");
	ck_assert_str_eq(unb64("Zm9v"), "foo");
	ck_assert_str_eq(unb64("Zm9vYmE="), "fooba");
	ck_assert_str_eq(unb64("Zm9vYmFy"), "foobar");
	ck_assert_str_eq(unb64("+/8="), "\xfb\xff");
	/* Padding is optional (sentry-recv pads; hand-made records may not). */
	ck_assert_str_eq(unb64("Zg"), "f");
	ck_assert_str_eq(unb64("Zm8"), "fo");
	ck_assert_str_eq(unb64("Zm9vYg"), "foob");
	/* As sentry-verify always read it: any run of trailing '=' goes,
	 * bits left below a byte are not looked at. */
	ck_assert_str_eq(unb64("Zg==="), "f");
	ck_assert_str_eq(unb64("Zh=="), "f");
	/* Not base64: another alphabet, blanks, '=' inside, a lone char. */
	ck_assert_str_eq(unb64("Zm9v\n"), "ERR");
	ck_assert_str_eq(unb64("Zm 9v"), "ERR");
	ck_assert_str_eq(unb64("Zm-_"), "ERR");
	ck_assert_str_eq(unb64("Zg==Zg=="), "ERR");
	ck_assert_str_eq(unb64("Z"), "ERR");
	ck_assert_str_eq(unb64("Zm9vY"), "ERR");
	ck_assert_str_eq(unb64("Z==="), "ERR");
	ck_assert_str_eq(unb64("="), "");
	/* A NUL is not base64, even at the end of the given length. */
	ck_assert_int_eq(bytes_base64_decode("Zm9\0", 4,
	    (unsigned char[8]){ 0 }), -1);
}
END_TEST

START_TEST(base64_round_trip)
{
	unsigned char in[300], back[300];
	char text[400];
	unsigned seed = 7;

	for (size_t n = 0; n < sizeof in; n++) {
		size_t len;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = (unsigned char)(seed >> 16);
		}
		len = bytes_base64(text, in, n);
		ck_assert_uint_eq(len, bytes_base64_len(n));
		ck_assert_int_eq(bytes_base64_decode(text, len, back), (long)n);
		ck_assert(memcmp(in, back, n) == 0);
		/* Without the padding too. */
		while (len > 0 && text[len - 1] == '=')
			len--;
		ck_assert_int_eq(bytes_base64_decode(text, len, back), (long)n);
		ck_assert(memcmp(in, back, n) == 0);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bytes");
	TCase *tc = tcase_create("bytes");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, hex_digits);
	tcase_add_test(tc, decimal_numbers);
	tcase_add_test(tc, hex_encode);
	tcase_add_test(tc, utf8_decode_one);
	tcase_add_test(tc, utf8_validation);
	tcase_add_test(tc, utf8_encode_round_trip);
	tcase_add_test(tc, base64_encode);
	tcase_add_test(tc, base64_decode_strict);
	tcase_add_test(tc, base64_round_trip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
