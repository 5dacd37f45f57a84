/*
 * fuzz_hmac: lib/hmac (HMAC-SHA256 on libcrypto's SHA-256 block
 * functions) against OpenSSL's own HMAC and digest, for any key (the
 * first byte of the input gives its length) and message; verification
 * accepts exactly the right signature, in either case, and refuses it
 * with one nibble changed.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "fuzz.h"
#include "hmac.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char mine[HMAC_SHA256_SIZE], theirs[EVP_MAX_MD_SIZE];
	unsigned int tlen;
	size_t klen;
	const uint8_t *msg;
	size_t mlen;
	char hex[2 * HMAC_SHA256_SIZE + 1];
	struct hmac_keys *k;

	if (size == 0)
		return 0;
	klen = data[0] < size - 1 ? data[0] : size - 1;
	msg = data + 1 + klen;
	mlen = size - 1 - klen;
	fuzz_assert(hmac_sha256(data + 1, klen, msg, mlen, mine) == 0);
	fuzz_assert(HMAC(EVP_sha256(), data + 1, (int)klen, msg, mlen, theirs,
	    &tlen) != NULL && tlen == HMAC_SHA256_SIZE);
	fuzz_assert(memcmp(mine, theirs, HMAC_SHA256_SIZE) == 0);
	fuzz_assert(hmac_digest(msg, mlen, mine) == 0);
	fuzz_assert(EVP_Digest(msg, mlen, theirs, &tlen, EVP_sha256(), NULL) &&
	    memcmp(mine, theirs, HMAC_SHA256_SIZE) == 0);

	k = hmac_keys_new();
	fuzz_assert(k != NULL && hmac_keys_add(k, "other key", 9) == 0 &&
	    hmac_keys_add(k, data + 1, klen) == 0);
	HMAC(EVP_sha256(), data + 1, (int)klen, msg, mlen, theirs, &tlen);
	hmac_hex(theirs, hex);
	fuzz_assert(hmac_verify(k, msg, mlen, hex, 64) >= 0);
	for (int i = 0; i < 64; i++)
		if (hex[i] >= 'a')
			hex[i] -= 'a' - 'A';
	fuzz_assert(hmac_verify(k, msg, mlen, hex, 64) >= 0);
	hex[mlen % 64] = hex[mlen % 64] == '0' ? '1' : '0';
	fuzz_assert(hmac_verify(k, msg, mlen, hex, 64) == HMAC_MISMATCH);
	fuzz_assert(hmac_verify(k, msg, mlen, (const char *)msg, mlen) < 0);
	hmac_keys_free(k);
	return 0;
}
