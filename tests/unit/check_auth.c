/* Unit tests: lib/auth (signature or URL token, redaction, weak secrets). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "hmac.h"

static const char body[] = "{\"action\":\"created\"}";
static const char secret[] = "0123456789abcdef0123456789abcdef";

static struct auth *
with(const char *secrets, const char *tokens)
{
	struct auth *a = auth_new();

	ck_assert_ptr_nonnull(a);
	if (secrets)
		ck_assert_int_eq(auth_add_secrets(a, strdup(secrets)), 0);
	if (tokens)
		ck_assert_int_eq(auth_add_tokens(a, strdup(tokens)), 0);
	return a;
}

static enum auth_result
check(const struct auth *a, const char *sig, const char *path,
    const char *query, const char **why)
{
	struct auth_request r = {
		.signature = sig, .signature_len = sig ? strlen(sig) : 0,
		.query = query, .query_len = strlen(query),
		.path = path, .path_len = strlen(path),
		.body = body, .body_len = strlen(body),
	};

	return auth_check(a, &r, why);
}

static void
sign(const char *key, char hex[65])
{
	unsigned char mac[HMAC_SHA256_SIZE];

	ck_assert_int_eq(hmac_sha256(key, strlen(key), body, strlen(body),
	    mac), 0);
	hmac_hex(mac, hex);
}

START_TEST(signature_under_any_secret)
{
	struct auth *a = with("old-secret-0123456789, " "0123456789abcdef0123456789abcdef", NULL);
	char sig[65];
	const char *why;

	ck_assert_uint_eq(auth_secrets(a), 2);
	sign(secret, sig);
	ck_assert_int_eq(check(a, sig, "/api/sentry-webhook", "", &why),
	    AUTH_HMAC);
	sign("old-secret-0123456789", sig);
	ck_assert_int_eq(check(a, sig, "/api/sentry-webhook", "", &why),
	    AUTH_HMAC);
	sign("another-secret-xxxxxxx", sig);
	ck_assert_int_eq(check(a, sig, "/api/sentry-webhook", "", &why),
	    AUTH_REJECTED);
	ck_assert_str_eq(why, "Sentry-Hook-Signature does not match the body "
	    "under any configured secret");
	ck_assert_int_eq(check(a, "abc", "/p", "", &why), AUTH_REJECTED);
	ck_assert_str_eq(why, "Sentry-Hook-Signature is not 64 hex digits");
	/* a signed request is never let through by a token */
	ck_assert_int_eq(check(a, "abc", "/p", "token=" "0123456789abcdef0123456789abcdef", &why),
	    AUTH_REJECTED);
	auth_free(a);
}
END_TEST

START_TEST(url_tokens)
{
	struct auth *a = with(NULL, "tok-0123456789abcdef");
	const char *why;

	ck_assert_int_eq(check(a, NULL, "/api/sentry-webhook",
	    "x=1&token=tok-0123456789abcdef", &why), AUTH_TOKEN);
	/* percent-decoded */
	ck_assert_int_eq(check(a, NULL, "/api/sentry-webhook",
	    "token=tok%2D0123456789abcdef", &why), AUTH_TOKEN);
	/* a wrong token= is refused even when the path holds a right one */
	ck_assert_int_eq(check(a, NULL, "/api/sentry-webhook/tok-0123456789abcdef",
	    "token=nope", &why), AUTH_REJECTED);
	ck_assert_str_eq(why, "wrong token in the callback URL");
	ck_assert_int_eq(check(a, NULL, "/api/sentry-webhook/tok-0123456789abcdef/",
	    "", &why), AUTH_TOKEN);
	ck_assert_int_eq(check(a, NULL, "/api/sentry-webhook/tok-0123456789abcde",
	    "", &why), AUTH_REJECTED);
	ck_assert_int_eq(check(a, NULL, "/", "", &why), AUTH_REJECTED);
	ck_assert_str_eq(why, "unsigned request: no Sentry-Hook-Signature and "
	    "no valid URL token");
	/* a signature with only tokens configured */
	ck_assert_int_eq(check(a, "00", "/", "", &why), AUTH_REJECTED);
	auth_allow_unsigned(a, 1);
	ck_assert_int_eq(check(a, NULL, "/", "", &why), AUTH_UNSIGNED);
	ck_assert_int_eq(check(a, NULL, "/", "token=nope", &why), AUTH_REJECTED);
	auth_free(a);
}
END_TEST

START_TEST(empty_set_refuses)
{
	struct auth *a = auth_new();
	const char *why;
	char sig[65];

	sign(secret, sig);
	ck_assert_int_eq(check(a, sig, "/", "", &why), AUTH_REJECTED);
	ck_assert_int_eq(check(a, NULL, "/", "token=x", &why), AUTH_REJECTED);
	auth_free(a);
	auth_free(NULL);
}
END_TEST

START_TEST(load_from_env_and_files)
{
	char path[] = "/tmp/auth-test-XXXXXX", err[256];
	const char *files[1] = { path };
	struct auth *a = auth_new();
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "file-secret-0123456789\n", 23), 23);
	close(fd);
	setenv(AUTH_SECRET_ENV, "env-one-0123456789ab env-two-0123456789ab", 1);
	ck_assert_int_eq(auth_load(a, files, 1, NULL, 0, err, sizeof err), 0);
	ck_assert_ptr_null(getenv(AUTH_SECRET_ENV));
	ck_assert_uint_eq(auth_secrets(a), 3);
	ck_assert_uint_eq(auth_tokens(a), 3);	/* tokens default to secrets */
	ck_assert_ptr_null(auth_weak_secret(a));
	auth_free(a);

	a = auth_new();
	ck_assert_int_eq(auth_load(a, NULL, 0, files, 1, err, sizeof err), 0);
	ck_assert_uint_eq(auth_secrets(a), 0);
	ck_assert_uint_eq(auth_tokens(a), 1);
	auth_free(a);
	unlink(path);

	a = auth_new();
	ck_assert_int_eq(auth_load(a, files, 1, NULL, 0, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	auth_free(a);
}
END_TEST

START_TEST(weak_secrets)
{
	struct auth *a = with("your_random_secret", NULL);

	ck_assert_str_eq(auth_weak_secret(a), "a placeholder from the examples");
	auth_free(a);
	a = with("YOUR_WEBHOOK_SECRET_HERE", NULL);
	ck_assert_str_eq(auth_weak_secret(a), "a placeholder from the examples");
	auth_free(a);
	a = with("0123456789abcdef 0123456789abcde", NULL);
	ck_assert_str_eq(auth_weak_secret(a), "shorter than 16 characters");
	auth_free(a);
	a = with(NULL, "short");
	ck_assert_str_eq(auth_weak_secret(a), "shorter than 16 characters");
	auth_free(a);
}
END_TEST

START_TEST(redaction)
{
	struct auth *a = with(NULL, "tok-0123456789abcdef");
	char out[64], *q;

	q = auth_redact_query("a=1&token=tok-0123456789abcdef&b=2", 34);
	ck_assert_str_eq(q, "a=1&token=REDACTED&b=2");
	free(q);
	q = auth_redact_query("token=&token=;token=x", 21);
	ck_assert_str_eq(q, "token=REDACTED&token=REDACTED;token=REDACTED");
	free(q);
	q = auth_redact_query("tokens=1&mytoken=2", 18);
	ck_assert_str_eq(q, "tokens=1&mytoken=2");
	free(q);
	q = auth_redact_query("", 0);
	ck_assert_str_eq(q, "");
	free(q);

	ck_assert_int_eq(auth_redact_path(a, "/hook/tok-0123456789abcdef/", 27,
	    out), 1);
	ck_assert_str_eq(out, "/hook/REDACTED/");
	ck_assert_int_eq(auth_redact_path(a, "/hook/other", 11, out), 0);
	auth_free(a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, signature_under_any_secret);
	tcase_add_test(tc, url_tokens);
	tcase_add_test(tc, empty_set_refuses);
	tcase_add_test(tc, load_from_env_and_files);
	tcase_add_test(tc, weak_secrets);
	tcase_add_test(tc, redaction);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
