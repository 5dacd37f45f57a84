/* auth: Sentry-Hook-Signature or a URL token, checked in constant time. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "hmac.h"
#include "bytes.h"
#include "secret.h"

#define TOKEN_MAX 1024		/* longer query tokens cannot match */
#define REDACTED "REDACTED"

struct list {
	char **v;
	size_t n;
};

struct auth {
	struct hmac_keys *keys;
	struct list secrets, tokens;
	int allow_unsigned;
};

struct auth *
auth_new(void)
{
	struct auth *a = calloc(1, sizeof *a);

	if (a && (a->keys = hmac_keys_new()) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

static void
list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		secret_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	diag_forget_secrets();
	hmac_keys_free(a->keys);
	list_free(&a->secrets);
	list_free(&a->tokens);
	free(a);
}

/* Split text on commas and white space into l; text wiped and freed. */
static int
list_add(struct list *l, char *text, struct hmac_keys *keys)
{
	char *save = NULL, *w;
	int rc = 0;

	for (w = strtok_r(text, ", \t\r\n", &save); w && rc == 0;
	    w = strtok_r(NULL, ", \t\r\n", &save)) {
		char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);

		if (nv == NULL) {
			rc = -1;
			break;
		}
		l->v = nv;
		if ((l->v[l->n] = strdup(w)) == NULL) {
			rc = -1;
			break;
		}
		if (keys && hmac_keys_add(keys, w, strlen(w)) != 0)
			rc = -1;
		diag_secret(l->v[l->n]);	/* never in a message */
		l->n++;
	}
	secret_free(text);
	return rc;
}

int
auth_add_secrets(struct auth *a, char *text)
{
	return list_add(&a->secrets, text, a->keys);
}

int
auth_add_tokens(struct auth *a, char *text)
{
	return list_add(&a->tokens, text, NULL);
}

size_t
auth_secrets(const struct auth *a)
{
	return a->secrets.n;
}

size_t
auth_tokens(const struct auth *a)
{
	return a->tokens.n;
}

void
auth_allow_unsigned(struct auth *a, int allow)
{
	a->allow_unsigned = allow;
}

/* Every list in files into l (and keys): 0, or -1 with err set. */
static int
load_files(struct list *l, struct hmac_keys *keys, const char *const *files,
    size_t n, char *err, size_t errsize)
{
	char *text;
	int absent;

	for (size_t i = 0; i < n; i++) {
		if ((text = secret_load(NULL, files[i], &absent, err,
		    errsize)) == NULL)
			return -1;
		if (list_add(l, text, keys) != 0) {
			snprintf(err, errsize, "secrets: out of memory");
			return -1;
		}
	}
	return 0;
}

int
auth_load(struct auth *a, const char *const *secret_files,
    size_t nsecret_files, const char *const *token_files, size_t ntoken_files,
    char *err, size_t errsize)
{
	char *text;
	int absent;

	text = secret_load(AUTH_SECRET_ENV, NULL, &absent, err, errsize);
	if (text == NULL && !absent)
		return -1;
	if (text && auth_add_secrets(a, text) != 0)
		goto nomem;
	if (load_files(&a->secrets, a->keys, secret_files, nsecret_files, err,
	    errsize) != 0 || load_files(&a->tokens, NULL, token_files,
	    ntoken_files, err, errsize) != 0)
		return -1;
	if (ntoken_files == 0) {
		for (size_t i = 0; i < a->secrets.n; i++) {
			if ((text = strdup(a->secrets.v[i])) == NULL ||
			    auth_add_tokens(a, text) != 0)
				goto nomem;
		}
	}
	return 0;
nomem:
	snprintf(err, errsize, "secrets: out of memory");
	return -1;
}

static const char *
weak(const char *s)
{
	if (strlen(s) < AUTH_MIN_SECRET)
		return "shorter than 16 characters";
	if (strncmp(s, "YOUR_", 5) == 0 || strncmp(s, "your_", 5) == 0 ||
	    strcmp(s, "changeme") == 0)
		return "a placeholder from the examples";
	return NULL;
}

const char *
auth_weak_secret(const struct auth *a)
{
	const char *why;

	for (size_t i = 0; i < a->secrets.n; i++)
		if ((why = weak(a->secrets.v[i])) != NULL)
			return why;
	for (size_t i = 0; i < a->tokens.n; i++)
		if ((why = weak(a->tokens.v[i])) != NULL)
			return why;
	return NULL;
}

/* Constant time over every token: 1 when s is one of them. */
static int
token_matches(const struct auth *a, const char *s, size_t len)
{
	int match = 0;

	for (size_t i = 0; i < a->tokens.n; i++)
		match |= secret_equal(s, len, a->tokens.v[i],
		    strlen(a->tokens.v[i]));
	return match;
}

/* The last path segment (trailing slashes ignored): *start, *end. */
static int
last_segment(const char *path, size_t len, size_t *start, size_t *end)
{
	size_t e = len, s;

	while (e > 0 && path[e - 1] == '/')
		e--;
	s = e;
	while (s > 0 && path[s - 1] != '/')
		s--;
	*start = s;
	*end = e;
	return e > s;
}

/* The length of the query parameter at q[at], up to '&' or ';'. */
static size_t
param_len(const char *q, size_t len, size_t at)
{
	size_t n = 0;

	while (at + n < len && q[at + n] != '&' && q[at + n] != ';')
		n++;
	return n;
}

static int
is_token(const char *param, size_t n)
{
	return n >= 6 && memcmp(param, "token=", 6) == 0;
}

/* Percent-decode "token=" values of the query and try each: 1 matched,
 * *present set when there was one. */
static int
query_token(const struct auth *a, const char *q, size_t len, int *present)
{
	char buf[TOKEN_MAX];
	int ok = 0;

	*present = 0;
	for (size_t at = 0; at < len; ) {
		size_t plen = param_len(q, len, at);

		if (is_token(q + at, plen)) {
			size_t n = 0;
			int hi, lo;

			*present = 1;
			for (size_t i = at + 6; i < at + plen && n < sizeof buf;
			    i++) {
				if (q[i] == '%' && i + 2 < at + plen &&
				    (hi = bytes_hexval((unsigned char)q[i + 1])) >= 0 &&
				    (lo = bytes_hexval((unsigned char)q[i + 2])) >= 0) {
					buf[n++] = (char)(hi << 4 | lo);
					i += 2;
				} else {
					buf[n++] = q[i];
				}
			}
			ok |= token_matches(a, buf, n);
		}
		at += plen + 1;
	}
	secret_wipe(buf, sizeof buf);
	return ok;
}

enum auth_result
auth_check(const struct auth *a, const struct auth_request *r,
    const char **why)
{
	size_t s, e;
	int present;

	*why = NULL;
	if (r->signature && a->secrets.n > 0) {
		switch (hmac_verify(a->keys, r->body, r->body_len, r->signature,
		    r->signature_len)) {
		case HMAC_MALFORMED:
			*why = "Sentry-Hook-Signature is not 64 hex digits";
			return AUTH_REJECTED;
		case HMAC_MISMATCH:
			*why = "Sentry-Hook-Signature does not match the body "
			    "under any configured secret";
			return AUTH_REJECTED;
		case HMAC_ERROR:
			*why = "HMAC computation failed";
			return AUTH_REJECTED;
		default:
			return AUTH_HMAC;
		}
	}
	if (r->signature && !a->allow_unsigned) {
		*why = "signed request, but no client secret is configured "
		    "(only URL tokens)";
		return AUTH_REJECTED;
	}
	if (r->signature == NULL && a->tokens.n > 0) {
		if (query_token(a, r->query, r->query_len, &present))
			return AUTH_TOKEN;
		if (present) {
			*why = "wrong token in the callback URL";
			return AUTH_REJECTED;
		}
		if (last_segment(r->path, r->path_len, &s, &e) &&
		    token_matches(a, r->path + s, e - s))
			return AUTH_TOKEN;
	}
	if (a->allow_unsigned)
		return AUTH_UNSIGNED;
	*why = "unsigned request: no Sentry-Hook-Signature and no valid URL "
	    "token";
	return AUTH_REJECTED;
}

const char *
auth_name(enum auth_result r)
{
	switch (r) {
	case AUTH_HMAC: return "hmac";
	case AUTH_TOKEN: return "token";
	case AUTH_UNSIGNED: return "unsigned";
	default: return "rejected";
	}
}

char *
auth_redact_query(const char *q, size_t len)
{
	/* each "token=" parameter (7 bytes with its separator) grows by 8 */
	char *out = malloc(3 * len + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t at = 0; at < len; ) {
		size_t plen = param_len(q, len, at);

		if (is_token(q + at, plen)) {
			memcpy(o, "token=" REDACTED, sizeof "token=" REDACTED - 1);
			o += sizeof "token=" REDACTED - 1;
		} else {
			memcpy(o, q + at, plen);
			o += plen;
		}
		if (at + plen < len)
			*o++ = q[at + plen];
		at += plen + 1;
	}
	*o = '\0';
	return out;
}

int
auth_redact_path(const struct auth *a, const char *path, size_t len,
    char *out)
{
	size_t s, e;

	if (a->tokens.n == 0 || !last_segment(path, len, &s, &e) ||
	    !token_matches(a, path + s, e - s))
		return 0;
	memcpy(out, path, s);
	memcpy(out + s, REDACTED, sizeof REDACTED - 1);
	memcpy(out + s + sizeof REDACTED - 1, path + e, len - e);
	out[s + sizeof REDACTED - 1 + len - e] = '\0';
	return 1;
}
