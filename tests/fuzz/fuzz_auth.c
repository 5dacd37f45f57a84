/*
 * fuzz_auth: the authentication decision on arbitrary requests.  The
 * input is split at NUL bytes into a signature, a query, a path and a
 * body.  A request passes as "hmac" only when the signature is the hex
 * HMAC of the body under the key (checked here with OpenSSL's HMAC), as
 * "token" only when the query or the path carries the token; redaction
 * leaves no token value behind and stays within its bounds.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "hmac.h"

static const char key[] = "fuzz-secret-0123456789";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* The next NUL-separated part of data[*at..size). */
static const char *
part(const uint8_t *data, size_t size, size_t *at, size_t *len)
{
	const uint8_t *p = data + *at, *end = data + size;
	const uint8_t *nul = *at < size ? memchr(p, 0, (size_t)(end - p)) : NULL;

	if (*at >= size) {
		*len = 0;
		return "";
	}
	*len = nul ? (size_t)(nul - p) : (size_t)(end - p);
	*at += *len + 1;
	return (const char *)p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth *a = auth_new();
	struct auth_request r;
	size_t at = 0, n;
	const char *why;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen;
	char hex[2 * HMAC_SHA256_SIZE + 1], *q;
	enum auth_result res;
	int allow = size > 0 && (data[0] & 1);

	if (a == NULL || auth_add_secrets(a, strdup(key)) != 0)
		abort();
	auth_allow_unsigned(a, allow);
	memset(&r, 0, sizeof r);
	r.signature = part(data, size, &at, &n);
	r.signature_len = n;
	if (n == 1 && r.signature[0] == '-')
		r.signature = NULL;	/* no header at all */
	r.query = part(data, size, &at, &r.query_len);
	r.path = part(data, size, &at, &r.path_len);
	r.body = part(data, size, &at, &r.body_len);
	res = auth_check(a, &r, &why);
	fuzz_assert(res >= AUTH_REJECTED && res <= AUTH_UNSIGNED);
	fuzz_assert((res == AUTH_REJECTED) == (why != NULL));
	if (res == AUTH_HMAC) {
		fuzz_assert(HMAC(EVP_sha256(), key, (int)strlen(key), r.body,
		    r.body_len, mac, &mlen) != NULL);
		hmac_hex(mac, hex);
		/* the header, trimmed of blanks, in either case */
		fuzz_assert(r.signature != NULL && r.signature_len >= 64);
		fuzz_assert(memmem(r.signature, r.signature_len, "", 0) != NULL);
		{
			size_t s = 0;

			while (r.signature[s] == ' ' || r.signature[s] == '\t')
				s++;
			fuzz_assert(strncasecmp(r.signature + s, hex, 64) == 0);
		}
	}
	if (res == AUTH_TOKEN)
		fuzz_assert(r.signature == NULL &&
		    (memmem(r.query, r.query_len, "token=", 6) != NULL ||
		    memmem(r.path, r.path_len, key, strlen(key)) != NULL));
	if (res == AUTH_UNSIGNED)
		fuzz_assert(allow);
	q = auth_redact_query(r.query, r.query_len);
	if (q) {
		fuzz_assert(strlen(q) <= 3 * r.query_len);
		fuzz_assert(strstr(q, key) == NULL ||
		    memmem(r.query, r.query_len, key, strlen(key)) != NULL);
		for (const char *t = strstr(q, "token="); t; t = strstr(t + 1, "token="))
			if (t == q || t[-1] == '&' || t[-1] == ';')
				fuzz_assert(strncmp(t + 6, "REDACTED", 8) == 0);
		free(q);
	}
	{
		char *out = malloc(r.path_len + 8);

		if (out && auth_redact_path(a, r.path, r.path_len, out))
			fuzz_assert(strstr(out, "REDACTED") != NULL &&
			    strlen(out) <= r.path_len + 7);
		free(out);
	}
	auth_free(a);
	return 0;
}
