/*
 * hmac: Sentry webhook signatures (HMAC-SHA256, hex) on libcrypto's SHA-256.
 *
 * A key set holds every secret that may sign a request (several during a
 * rotation).  Verifying tries every key, always all of them, and compares
 * in constant time, so the time taken says nothing about which key or
 * which byte failed.  Keys are kept only as their hashed pad states, which
 * are cleansed when the set is freed.  No OpenSSL initialisation is
 * needed (sentry-recv, exec'd per connection, links it statically).
 */
#ifndef HMAC_H
#define HMAC_H

#include <stddef.h>

#define HMAC_SHA256_SIZE 32

struct hmac_keys;

struct hmac_keys *hmac_keys_new(void);
/* Add a key (copied).  0 ok, -1 on an OpenSSL or memory failure. */
int hmac_keys_add(struct hmac_keys *k, const void *key, size_t len);
size_t hmac_keys_count(const struct hmac_keys *k);
/* Cleanse and free every key. */
void hmac_keys_free(struct hmac_keys *k);

/* One-shot HMAC-SHA256 of data under key into out.  0 ok, -1 failure. */
int hmac_sha256(const void *key, size_t keylen, const void *data,
    size_t len, unsigned char out[HMAC_SHA256_SIZE]);

/* Plain SHA-256 of data (no key): 0 ok, -1 failure. */
int hmac_digest(const void *data, size_t len,
    unsigned char out[HMAC_SHA256_SIZE]);

/* Lower-case hex of a digest: hex needs 2 * HMAC_SHA256_SIZE + 1 bytes. */
void hmac_hex(const unsigned char digest[HMAC_SHA256_SIZE], char *hex);

/*
 * Check a hex signature (either case, surrounding white space allowed)
 * of data against every key:
 *   >= 0  the index of a key that signed it
 *   HMAC_MALFORMED  the signature is not 64 hex digits
 *   HMAC_MISMATCH   no key signed it
 *   HMAC_ERROR      OpenSSL failed
 */
enum { HMAC_MISMATCH = -1, HMAC_MALFORMED = -2, HMAC_ERROR = -3 };
int hmac_verify(const struct hmac_keys *k, const void *data, size_t len,
    const char *sighex, size_t siglen);

#endif
