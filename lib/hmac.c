/* hmac: HMAC-SHA256 signatures over exact bytes, constant-time checks. */
#include "hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

struct hmac_keys {
	EVP_MAC *mac;
	EVP_MAC_CTX **ctx;	/* one keyed context per secret, duplicated per use */
	size_t n;
};

static OSSL_PARAM sha256_params[] = {
	OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
	OSSL_PARAM_END
};

struct hmac_keys *
hmac_keys_new(void)
{
	struct hmac_keys *k = calloc(1, sizeof *k);

	if (k == NULL)
		return NULL;
	if ((k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		free(k);
		return NULL;
	}
	return k;
}

int
hmac_keys_add(struct hmac_keys *k, const void *key, size_t len)
{
	EVP_MAC_CTX **nctx, *ctx;

	if ((nctx = realloc(k->ctx, (k->n + 1) * sizeof *nctx)) == NULL)
		return -1;
	k->ctx = nctx;
	if ((ctx = EVP_MAC_CTX_new(k->mac)) == NULL)
		return -1;
	/* An empty key is legal HMAC; OpenSSL wants a non-NULL pointer. */
	if (!EVP_MAC_init(ctx, len ? key : (const void *)"", len,
	    sha256_params)) {
		EVP_MAC_CTX_free(ctx);
		return -1;
	}
	k->ctx[k->n++] = ctx;
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
	for (size_t i = 0; i < k->n; i++)
		EVP_MAC_CTX_free(k->ctx[i]);	/* cleanses the key */
	free(k->ctx);
	EVP_MAC_free(k->mac);
	free(k);
}

int
hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[HMAC_SHA256_SIZE])
{
	struct hmac_keys *k = hmac_keys_new();
	EVP_MAC_CTX *ctx;
	size_t outlen = 0;
	int ok = 0;

	if (k == NULL)
		return -1;
	if (hmac_keys_add(k, key, keylen) == 0 &&
	    (ctx = EVP_MAC_CTX_dup(k->ctx[0])) != NULL) {
		ok = EVP_MAC_update(ctx, data, len) &&
		    EVP_MAC_final(ctx, out, &outlen, HMAC_SHA256_SIZE) &&
		    outlen == HMAC_SHA256_SIZE;
		EVP_MAC_CTX_free(ctx);
	}
	hmac_keys_free(k);
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
		EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(k->ctx[i]);
		size_t outlen = 0;
		int ok;

		if (ctx == NULL)
			return HMAC_ERROR;
		ok = EVP_MAC_update(ctx, data, len) &&
		    EVP_MAC_final(ctx, mac, &outlen, sizeof mac) &&
		    outlen == sizeof mac;
		EVP_MAC_CTX_free(ctx);
		if (!ok) {
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
