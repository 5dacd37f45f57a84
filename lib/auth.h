/*
 * auth: is this webhook from Sentry?  One decision for sentry-recv (at
 * the door, before anything is kept) and sentry-verify (again, on the
 * spooled record).  libc and lib/hmac only.
 *
 * The integration platform signs the body: Sentry-Hook-Signature is the
 * hex HMAC-SHA256 of the exact body bytes under the client secret.  The
 * legacy Webhooks plugin signs nothing; its only secret can be a token in
 * the callback URL, "?token=SECRET" (percent-decoded) or the last path
 * segment ("/api/sentry-webhook/SECRET").  Several secrets may be set at
 * once (rotation): every one is always tried, in constant time.
 *
 * Secrets are never printed: each is registered with diag_secret(), so
 * no message can carry one; auth_free() forgets them there (all of them:
 * diag_forget_secrets()) and wipes them.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#define AUTH_SECRET_ENV "SENTRY_WEBHOOK_SECRET"
#define AUTH_MIN_SECRET 16	/* shorter is a configuration error */

struct auth;

/* An empty set: every request is refused until secrets are added. */
struct auth *auth_new(void);
void auth_free(struct auth *a);

/*
 * Load the configuration every tool shares: the secrets listed in the
 * environment variable AUTH_SECRET_ENV (commas or white space between
 * them; the variable is then removed from the environment) and in each
 * of secret_files; the URL tokens of token_files, or, when there are
 * none, the same secrets.  0, or -1 with err set (never a secret's value).
 */
int auth_load(struct auth *a, const char *const *secret_files,
    size_t nsecret_files, const char *const *token_files, size_t ntoken_files,
    char *err, size_t errsize);

/* Add every secret of a list (text is wiped and freed); 0 or -1 (memory). */
int auth_add_secrets(struct auth *a, char *text);
int auth_add_tokens(struct auth *a, char *text);

size_t auth_secrets(const struct auth *a);	/* HMAC keys */
size_t auth_tokens(const struct auth *a);	/* URL tokens */

/*
 * The first configured secret that cannot be right: shorter than
 * AUTH_MIN_SECRET or a placeholder from our examples ("your_random_secret",
 * "YOUR_..."): a description of why (never the value), or NULL.
 */
const char *auth_weak_secret(const struct auth *a);

/* Accept requests with neither a signature nor a URL token. */
void auth_allow_unsigned(struct auth *a, int allow);

/* What is known of one request; lengths, not NUL-terminated strings. */
struct auth_request {
	const char *signature;	/* Sentry-Hook-Signature, NULL if absent */
	size_t signature_len;
	const char *query;	/* after '?', without it; may be empty */
	size_t query_len;
	const char *path;	/* without the query */
	size_t path_len;
	const void *body;
	size_t body_len;
};

enum auth_result {
	AUTH_REJECTED,		/* *why says why, for a log line and a 401 */
	AUTH_HMAC,		/* the signature matches a secret */
	AUTH_TOKEN,		/* a URL token matches */
	AUTH_UNSIGNED		/* neither, and unsigned requests are allowed */
};

enum auth_result auth_check(const struct auth *a,
    const struct auth_request *r, const char **why);

/* "hmac", "token", "unsigned" (what records carry as "verified"). */
const char *auth_name(enum auth_result r);

/*
 * A copy of query (len bytes) with the value of every "token=" parameter
 * replaced by "REDACTED", so that a legacy plugin's secret never travels
 * further down the chain: malloc'd, NUL-terminated; NULL when out of
 * memory.
 */
char *auth_redact_query(const char *query, size_t len);

/*
 * For a path whose last segment is a configured URL token: 1 and out
 * (room for len + 8 bytes) holding the path with that segment
 * replaced by "REDACTED", else 0 (out untouched).
 */
int auth_redact_path(const struct auth *a, const char *path, size_t len,
    char *out);

#endif
