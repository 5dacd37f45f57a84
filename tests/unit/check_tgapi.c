/* Unit tests: lib/tgapi (answer parser, transport errors; no network). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tgapi.h"

static struct tgapi_reply r;

static void
parse(long status, const char *body)
{
	tgapi_parse(status, body, strlen(body), &r);
}

static void
setup(void)
{
	tgapi_reply_init(&r);
}

static void
teardown(void)
{
	tgapi_reply_free(&r);
}

START_TEST(ok_message)
{
	parse(200, "{\"ok\":true,\"result\":{\"message_id\":4711,\"chat\":"
	    "{\"id\":-1001234567890,\"type\":\"supergroup\"},\"date\":1,"
	    "\"text\":\"hi\"}}");
	ck_assert_int_eq(r.outcome, TGAPI_OK);
	ck_assert_int_eq(r.json, 1);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_int_eq(r.message_id, 4711);
	ck_assert_int_eq(r.retry_after, -1);
	ck_assert_str_eq(r.migrate_to, "");
	ck_assert_int_eq(jv_get_kind(r.result), JV_KIND_OBJECT);
}
END_TEST

START_TEST(too_many_requests)
{
	parse(429, "{\"ok\":false,\"error_code\":429,\"description\":"
	    "\"Too Many Requests: retry after 7\",\"parameters\":"
	    "{\"retry_after\":7}}");
	ck_assert_int_eq(r.outcome, TGAPI_RETRY_AFTER);
	ck_assert_int_eq(r.retry_after, 7);
	ck_assert_int_eq(r.error_code, 429);
	ck_assert_str_eq(r.description, "Too Many Requests: retry after 7");
	/* retry_after without 429 (a flood wait) still means wait. */
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":\"x\","
	    "\"parameters\":{\"retry_after\":2.5}}");
	ck_assert_int_eq(r.outcome, TGAPI_RETRY_AFTER);
	ck_assert_int_eq(r.retry_after, 3);
}
END_TEST

START_TEST(transient)
{
	parse(502, "<html>\r\n<head><title>502 Bad Gateway</title></head>"
	    "<body></body></html>");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	ck_assert_int_eq(r.json, 0);
	ck_assert_str_eq(r.description, "HTTP 502, not JSON: \"502 Bad Gateway\"");
	parse(500, "{\"ok\":false,\"error_code\":500,\"description\":"
	    "\"Internal Server Error\"}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(200, "");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	ck_assert_str_eq(r.description, "HTTP 200, empty answer");
	parse(200, "[1,2]");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(200, "{\"ok\":tru");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	/* "ok":true with an error status is not trusted. */
	parse(503, "{\"ok\":true}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	/* "ok":false without a 4xx error code is not Telegram refusing the
	 * message (a proxy, a broken front): retried, never dead-lettered */
	parse(200, "{\"ok\":false}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(200, "{\"ok\":false,\"description\":\"oops\"}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(302, "{\"ok\":false,\"error_code\":302}");
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	parse(200, "{\"ok\":false,\"error_code\":403,\"description\":"
	    "\"Forbidden: bot was blocked by the user\"}");
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
}
END_TEST

START_TEST(bad_requests)
{
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: can't parse entities: Unsupported start tag "
	    "\\\"module\\\" at byte offset 12\"}");
	ck_assert_int_eq(r.outcome, TGAPI_PARSE_ENTITIES);
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: group chat was upgraded to a supergroup chat\","
	    "\"parameters\":{\"migrate_to_chat_id\":-1001234567890}}");
	ck_assert_int_eq(r.outcome, TGAPI_MIGRATED);
	ck_assert_str_eq(r.migrate_to, "-1001234567890");
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: message is too long\"}");
	ck_assert_int_eq(r.outcome, TGAPI_TOO_LONG);
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: chat not found\"}");
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: message thread not found\"}");
	ck_assert_int_eq(r.outcome, TGAPI_NO_TOPIC);
	parse(400, "{\"ok\":false,\"error_code\":400,\"description\":"
	    "\"Bad Request: BUTTON_URL_INVALID\"}");
	ck_assert_int_eq(r.outcome, TGAPI_BAD_BUTTON);
	parse(403, "{\"ok\":false,\"error_code\":403,\"description\":"
	    "\"Forbidden: bot was blocked by the user\"}");
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
	ck_assert_int_eq(r.error_code, 403);
	parse(401, "{\"ok\":false,\"error_code\":401,\"description\":"
	    "\"Unauthorized\"}");
	ck_assert_int_eq(r.outcome, TGAPI_UNAUTHORIZED);
	parse(404, "{\"ok\":false,\"error_code\":404,\"description\":"
	    "\"Not Found\"}");
	ck_assert_int_eq(r.outcome, TGAPI_NOT_FOUND);
}
END_TEST

START_TEST(hostile_answers)
{
	/* Wrong kinds everywhere: no assertion in libjq, sane fields. */
	parse(400, "{\"ok\":\"yes\",\"error_code\":\"x\",\"description\":[1],"
	    "\"parameters\":[],\"result\":7}");
	ck_assert_int_eq(r.ok, 0);
	ck_assert_int_eq(r.error_code, 400);
	ck_assert_int_eq(r.retry_after, -1);
	ck_assert_int_eq(r.message_id, -1);
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
	parse(200, "{\"ok\":true,\"result\":{\"message_id\":-5}}");
	ck_assert_int_eq(r.message_id, -1);
	parse(400, "{\"ok\":false,\"parameters\":{\"retry_after\":-3,"
	    "\"migrate_to_chat_id\":{}}}");
	ck_assert_int_eq(r.retry_after, -1);
	ck_assert_str_eq(r.migrate_to, "");
	ck_assert_int_eq(r.outcome, TGAPI_PERMANENT);
	tgapi_parse(502, "\0\0\0", 3, &r);
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	ck_assert_int_eq(r.json, 0);
	/* Not NUL-terminated: only len bytes are read. */
	tgapi_parse(200, "{\"ok\":true}XXXX", 11, &r);
	ck_assert_int_eq(r.outcome, TGAPI_OK);
}
END_TEST

START_TEST(transport_errors_hide_the_token)
{
	static const char token[] = "4242:SeCrEt-token-in-the-url";
	struct tgapi_options o = { .api_url = "http://127.0.0.1:1/",
	    .connect_timeout_ms = 2000, .timeout_ms = 2000 };
	char err[256];
	struct tgapi *t = tgapi_new(&o, token, err, sizeof err);

	ck_assert_ptr_nonnull(t);
	/* Port 1 on this machine: refused, no answer. */
	ck_assert_int_eq(tgapi_call(t, "sendMessage", "{}", 2, &r), 0);
	ck_assert_int_eq(r.transport, 1);
	ck_assert_int_eq(r.outcome, TGAPI_TRANSIENT);
	ck_assert(r.description[0] != '\0');
	ck_assert_ptr_null(strstr(r.description, "SeCrEt"));
	ck_assert_ptr_null(strstr(r.description, "/bot"));
	/* A method that would change the URL is refused before any I/O. */
	ck_assert_int_eq(tgapi_call(t, "../getMe", "{}", 2, &r), -1);
	ck_assert_int_eq(tgapi_call(t, "sendMessage?x=1", "{}", 2, &r), -1);
	tgapi_free(t);
}
END_TEST

START_TEST(bad_options)
{
	struct tgapi_options o = { .api_url = "ftp://example.org" };
	char err[256];

	ck_assert_ptr_null(tgapi_new(&o, "1:abc", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "https://"));
	o.api_url = NULL;
	ck_assert_ptr_null(tgapi_new(&o, "1:a/b", err, sizeof err));
	ck_assert_ptr_null(strstr(err, "1:a/b"));
	ck_assert_ptr_null(tgapi_new(&o, "1:a b", err, sizeof err));
	ck_assert_ptr_null(tgapi_new(&o, "", err, sizeof err));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tgapi");
	TCase *tc = tcase_create("tgapi");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ok_message);
	tcase_add_test(tc, too_many_requests);
	tcase_add_test(tc, transient);
	tcase_add_test(tc, bad_requests);
	tcase_add_test(tc, hostile_answers);
	tcase_add_test(tc, transport_errors_hide_the_token);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
