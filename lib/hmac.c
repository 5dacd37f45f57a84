/*
 * hmac: HMAC-SHA256 signatures over exact bytes, constant-time checks.
 *
 * HMAC (RFC 2104) is built here on libcrypto's SHA-256 block function
 * (SHA256_Init/Update/Final), not on EVP_MAC: the EVP layer loads
 * OpenSSL 3's provider machinery on first use, which costs a process
 * about 1.8 ms here, more than half of what sentry-recv (exec'd once per
 * connection, linked statically) spends on a whole request.  The SHA-256
 * functions are OpenSSL's own assembly, need no initialisation and add
 * about 26 KB to a static binary.  They are deprecated in OpenSSL 3.0
 * (in favour of EVP) but kept throughout 3.x.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "hmac.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

#define BLOCK 64	/* SHA-256 block size */

/* A key's inner and outer hash states after its padded key block. */
struct keyed {
	SHA256_CTX inner, outer;
};

struct hmac_keys {
	struct keyed *k;
	size_t n;
};

static int
keyed_init(struct keyed *kd, const void *key, size_t len)
{
	unsigned char block[BLOCK], pad[BLOCK];
	int ok;

	memset(block, 0, sizeof block);
	if (len > BLOCK) {
		/* not SHA256(): in OpenSSL 3 it is EVP_Q_digest underneath */
		SHA256_CTX c;

		ok = SHA256_Init(&c) && SHA256_Update(&c, key, len) &&
		    SHA256_Final(block, &c);
		OPENSSL_cleanse(&c, sizeof c);
		if (!ok)
			return -1;
	} else if (len > 0) {
		memcpy(block, key, len);
	}
	for (size_t i = 0; i < BLOCK; i++)
		pad[i] = block[i] ^ 0x36;
	ok = SHA256_Init(&kd->inner) && SHA256_Update(&kd->inner, pad, BLOCK);
	for (size_t i = 0; i < BLOCK; i++)
		pad[i] = block[i] ^ 0x5c;
	ok = ok && SHA256_Init(&kd->outer) &&
	    SHA256_Update(&kd->outer, pad, BLOCK);
	OPENSSL_cleanse(block, sizeof block);
	OPENSSL_cleanse(pad, sizeof pad);
	return ok ? 0 : -1;
}

static int
keyed_mac(const struct keyed *kd, const void *data, size_t len,
    unsigned char out[HMAC_SHA256_SIZE])
{
	SHA256_CTX c = kd->inner;
	unsigned char inner[HMAC_SHA256_SIZE];
	int ok;

	ok = SHA256_Update(&c, data, len) && SHA256_Final(inner, &c);
	c = kd->outer;
	ok = ok && SHA256_Update(&c, inner, sizeof inner) &&
	    SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof c);
	OPENSSL_cleanse(inner, sizeof inner);
	return ok ? 0 : -1;
}

struct hmac_keys *
hmac_keys_new(void)
{
	return calloc(1, sizeof(struct hmac_keys));
}

int
hmac_keys_add(struct hmac_keys *k, const void *key, size_t len)
{
	struct keyed *nk = malloc((k->n + 1) * sizeof *nk);

	if (nk == NULL)
		return -1;
	if (k->n) {
		memcpy(nk, k->k, k->n * sizeof *nk);
		OPENSSL_cleanse(k->k, k->n * sizeof *k->k);
	}
	free(k->k);
	k->k = nk;
	if (keyed_init(&k->k[k->n], key, len) != 0)
		return -1;
	k->n++;
	return 0;
}

size_t
hmac_keys_count(const struct hmac_keys *k)
{
	return k ? k->n : 0;
}

void
hmac_keys_free(struct hmac_keys *k)
{
	if (k == NULL)
		return;
	if (k->n)
		OPENSSL_cleanse(k->k, k->n * sizeof *k->k);
	free(k->k);
	free(k);
}

int
hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[HMAC_SHA256_SIZE])
{
	struct keyed kd;
	int rc;

	rc = keyed_init(&kd, key, keylen) == 0 ? keyed_mac(&kd, data, len, out)
	    : -1;
	OPENSSL_cleanse(&kd, sizeof kd);
	return rc;
}

int
hmac_digest(const void *data, size_t len, unsigned char out[HMAC_SHA256_SIZE])
{
	SHA256_CTX c;
	int ok = SHA256_Init(&c) && SHA256_Update(&c, data, len) &&
	    SHA256_Final(out, &c);

	return ok ? 0 : -1;
}

void
hmac_hex(const unsigned char digest[HMAC_SHA256_SIZE], char *hex)
{
	bytes_hex(hex, digest, HMAC_SHA256_SIZE);
}

/* 0 and sig filled when s holds exactly 64 hex digits (white space around). */
static int
decode(const char *s, size_t len, unsigned char sig[HMAC_SHA256_SIZE])
{
	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len != 2 * HMAC_SHA256_SIZE)
		return -1;
	for (size_t i = 0; i < HMAC_SHA256_SIZE; i++) {
		int hi = bytes_hexval((unsigned char)s[2 * i]);
		int lo = bytes_hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		sig[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
hmac_verify(const struct hmac_keys *k, const void *data, size_t len,
    const char *sighex, size_t siglen)
{
	unsigned char sig[HMAC_SHA256_SIZE], mac[HMAC_SHA256_SIZE];
	int found = HMAC_MISMATCH;

	if (decode(sighex, siglen, sig) != 0)
		return HMAC_MALFORMED;
	/* Every key, every time: no early exit on a match. */
	for (size_t i = 0; i < k->n; i++) {
		if (keyed_mac(&k->k[i], data, len, mac) != 0) {
			OPENSSL_cleanse(mac, sizeof mac);
			return HMAC_ERROR;
		}
		if (CRYPTO_memcmp(mac, sig, sizeof mac) == 0 &&
		    found == HMAC_MISMATCH)
			found = (int)i;
	}
	OPENSSL_cleanse(mac, sizeof mac);
	return found;
}
