/* Unit tests: lib/hmac (HMAC-SHA256 signatures, several keys). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "hmac.h"

/* RFC 4231 test case 2. */
static const char rfc_key[] = "Jefe";
static const char rfc_data[] = "what do ya want for nothing?";
static const char rfc_mac[] =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

START_TEST(rfc4231_vector)
{
	unsigned char mac[HMAC_SHA256_SIZE];
	char hex[2 * HMAC_SHA256_SIZE + 1];

	ck_assert_int_eq(hmac_sha256(rfc_key, 4, rfc_data, strlen(rfc_data),
	    mac), 0);
	hmac_hex(mac, hex);
	ck_assert_str_eq(hex, rfc_mac);
}
END_TEST

START_TEST(rfc4231_long_key)
{
	/* Test case 6: a 131-byte key (longer than the block size). */
	unsigned char key[131], mac[HMAC_SHA256_SIZE];
	const char *data = "Test Using Larger Than Block-Size Key - Hash Key "
	    "First";
	char hex[2 * HMAC_SHA256_SIZE + 1];

	memset(key, 0xaa, sizeof key);
	ck_assert_int_eq(hmac_sha256(key, sizeof key, data, strlen(data),
	    mac), 0);
	hmac_hex(mac, hex);
	ck_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

START_TEST(verify_picks_the_key_that_signed)
{
	struct hmac_keys *k = hmac_keys_new();

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(hmac_keys_add(k, "old-secret", 10), 0);
	ck_assert_int_eq(hmac_keys_add(k, rfc_key, 4), 0);
	ck_assert_uint_eq(hmac_keys_count(k), 2);
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), rfc_mac,
	    strlen(rfc_mac)), 1);
	hmac_keys_free(k);
}
END_TEST

START_TEST(verify_accepts_upper_case_and_blanks)
{
	struct hmac_keys *k = hmac_keys_new();
	char sig[80];

	hmac_keys_add(k, rfc_key, 4);
	snprintf(sig, sizeof sig, " %s\t", rfc_mac);
	for (char *p = sig; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p -= 'a' - 'A';
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), sig,
	    strlen(sig)), 0);
	hmac_keys_free(k);
}
END_TEST

START_TEST(verify_rejects)
{
	struct hmac_keys *k = hmac_keys_new();
	char sig[80];

	hmac_keys_add(k, rfc_key, 4);
	/* one nibble off, at the start and at the end */
	strcpy(sig, rfc_mac);
	sig[0] = '4';
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), sig, 64),
	    HMAC_MISMATCH);
	strcpy(sig, rfc_mac);
	sig[63] = '2';
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), sig, 64),
	    HMAC_MISMATCH);
	/* one byte more in the body */
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data) + 1,
	    rfc_mac, 64), HMAC_MISMATCH);
	/* malformed: short, long, not hex, "sha256=" prefix */
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), rfc_mac,
	    63), HMAC_MALFORMED);
	snprintf(sig, sizeof sig, "%s0", rfc_mac);
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), sig, 65),
	    HMAC_MALFORMED);
	strcpy(sig, rfc_mac);
	sig[10] = 'g';
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), sig, 64),
	    HMAC_MALFORMED);
	snprintf(sig, sizeof sig, "sha256=%s", rfc_mac);
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), sig,
	    strlen(sig)), HMAC_MALFORMED);
	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), "", 0),
	    HMAC_MALFORMED);
	hmac_keys_free(k);
}
END_TEST

START_TEST(no_keys_never_match)
{
	struct hmac_keys *k = hmac_keys_new();

	ck_assert_int_eq(hmac_verify(k, rfc_data, strlen(rfc_data), rfc_mac,
	    64), HMAC_MISMATCH);
	hmac_keys_free(k);
	hmac_keys_free(NULL);
}
END_TEST

START_TEST(empty_body_and_key)
{
	/* HMAC-SHA256 with an empty key of an empty message. */
	unsigned char mac[HMAC_SHA256_SIZE];
	char hex[2 * HMAC_SHA256_SIZE + 1];

	ck_assert_int_eq(hmac_sha256("", 0, "", 0, mac), 0);
	hmac_hex(mac, hex);
	ck_assert_str_eq(hex, "b613679a0814d9ec772f95d778c35fc5"
	    "ff1697c493715653c6c712144292c5ad");
}
END_TEST

/* Against OpenSSL's own HMAC (EVP), for keys around the block size,
 * bodies across several blocks, and many keys in one set. */
START_TEST(same_as_openssl_hmac)
{
	unsigned char key[200], data[600], mine[HMAC_SHA256_SIZE];
	unsigned char theirs[EVP_MAX_MD_SIZE];
	char hex[2 * HMAC_SHA256_SIZE + 1];
	unsigned int tlen;
	unsigned seed = 1;
	struct hmac_keys *k = hmac_keys_new();

	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)(rand_r(&seed) & 0xff);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(rand_r(&seed) & 0xff);
	for (size_t kl = 0; kl <= sizeof key; kl += kl < 70 ? 1 : 13) {
		size_t dl = (kl * 37) % sizeof data;

		ck_assert_int_eq(hmac_sha256(key, kl, data, dl, mine), 0);
		ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)kl, data, dl,
		    theirs, &tlen));
		ck_assert_uint_eq(tlen, HMAC_SHA256_SIZE);
		ck_assert_mem_eq(mine, theirs, HMAC_SHA256_SIZE);
		ck_assert_int_eq(hmac_keys_add(k, key, kl), 0);
		hmac_hex(theirs, hex);
		ck_assert_int_eq(hmac_verify(k, data, dl, hex, 64),
		    (int)hmac_keys_count(k) - 1);
	}
	hmac_keys_free(k);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("hmac");
	TCase *tc = tcase_create("hmac");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, rfc4231_vector);
	tcase_add_test(tc, rfc4231_long_key);
	tcase_add_test(tc, verify_picks_the_key_that_signed);
	tcase_add_test(tc, verify_accepts_upper_case_and_blanks);
	tcase_add_test(tc, verify_rejects);
	tcase_add_test(tc, no_keys_never_match);
	tcase_add_test(tc, empty_body_and_key);
	tcase_add_test(tc, same_as_openssl_hmac);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
