/*
 * Unit tests: lib/conn, one connection driven over a socketpair: the
 * test writes the client's bytes, calls conn_read/conn_write as the
 * poll loop would, answers ready requests as lib/serve would, and reads
 * what the client would see.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "conn.h"
#include "diag.h"
#include "hmac.h"

#define NOW "2026-11-29T08:27:41.123Z"
#define DATE "Date: Sun, 29 Nov 2026 08:27:41 GMT\r\n"

static struct conn_budget budget;
static struct conn_config cf;
static struct http_header hdrs[16];
static struct conn c;
static int client;		/* the test's end of the socketpair */
static int pages;		/* page() calls */
static enum conn_page last_page;
static int answers[600];	/* answered() calls by status */

static int
page(void *ctx, enum conn_page which, char *body, size_t size, size_t *len,
    const char **type)
{
	(void)ctx;
	last_page = which;
	pages++;
	*len = (size_t)snprintf(body, size, "{\"status\":\"ok\"}\n");
	*type = "application/json";
	return 200;
}

static void
answered(void *ctx, int status)
{
	(void)ctx;
	ck_assert_int_lt(status, 600);
	answers[status]++;
}

static void
setup(void)
{
	int sv[2];

	setenv("SENTRY_TG_NOW", NOW, 1);
	diag_set_verbosity(-1);
	memset(&budget, 0, sizeof budget);
	memset(&cf, 0, sizeof cf);
	cf.path = "/hook";
	cf.health = "/healthz";
	cf.lim = (struct http_limits){ 4096, 16, 1 << 20 };
	cf.timeout_ms = 10000;
	cf.idle_ms = 2000;
	cf.budget = &budget;
	cf.page = page;
	pages = 0;
	memset(answers, 0, sizeof answers);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	conn_init(&c, &cf, sv[0], sv[0], hdrs);
	snprintf(c.peer, sizeof c.peer, "192.0.2.7");
	client = sv[1];
}

static void
teardown(void)
{
	conn_buffers_free(&c);
	close(c.rfd);
	close(client);
	ck_assert_uint_eq(budget.used, 0);	/* every byte given back */
}

/* The client sends text; the connection reads what is there. */
static void
send_read(const char *text)
{
	ck_assert_int_eq(write(client, text, strlen(text)), (int)strlen(text));
	ck_assert_int_eq(conn_read(&c), 0);
}

/* What the client has received so far, as a string. */
static const char *
received(void)
{
	static char buf[8192];
	struct pollfd p = { client, POLLIN, 0 };
	size_t n = 0;
	ssize_t r;

	while (n < sizeof buf - 1 && poll(&p, 1, 0) == 1 &&
	    (r = read(client, buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

/* The record of the ready request, as a string. */
static const char *
record(int with_seq, uint64_t seq)
{
	static char out[4096], buf[256];
	struct jsonstr_out o;
	FILE *f = tmpfile();

	jsonstr_init(&o, fileno(f), buf, sizeof buf);
	conn_record(&o, &c, NOW, with_seq, seq);
	ck_assert_int_eq(jsonstr_flush(&o), 0);
	rewind(f);
	out[fread(out, 1, sizeof out - 1, f)] = '\0';
	fclose(f);
	return out;
}

static const char *
without_id(const char *text)
{
	static char buf[8192];
	const char *id = strstr(text, c.id);

	ck_assert_ptr_nonnull(id);
	snprintf(buf, sizeof buf, "%.*sID%s", (int)(id - text), text,
	    id + strlen(c.id));
	return buf;
}

START_TEST(a_request_in_pieces)
{
	const char *r;

	send_read("POST /hook HTT");
	ck_assert_int_eq(c.state, C_HEAD);
	send_read("P/1.1\r\nHost: x\r\nX-Dup: a\r\nConnection: keep-alive\r\n"
	    "x-dup: b\r\nContent-Le");
	ck_assert_int_eq(c.state, C_HEAD);
	send_read("ngth: 8\r\n\r\n{\"n\"");
	ck_assert_int_eq(c.state, C_BODY);
	ck_assert_uint_eq(strlen(c.id), 32);
	send_read(":1}\n");
	ck_assert_int_eq(c.state, C_READY);
	ck_assert_int_eq(conn_events(&c, c.rfd), 0);	/* nothing more read */
	r = record(1, 0);
	ck_assert_str_eq(without_id(r), "{\"v\":1,\"id\":\"ID\",\"seq\":0,"
	    "\"received\":\"" NOW "\",\"peer\":\"192.0.2.7\",\"method\":\"POST\","
	    "\"path\":\"/hook\",\"query\":\"\",\"headers\":{\"host\":\"x\","
	    "\"x-dup\":\"a, b\",\"content-length\":\"8\"},"
	    "\"body\":\"{\\\"n\\\":1}\\n\"}\n");
	ck_assert_uint_eq(conn_record_len(&c, NOW), strlen(r) - 1);
	ck_assert_str_eq(without_id(record(0, 0)), "{\"v\":1,\"id\":\"ID\","
	    "\"received\":\"" NOW "\",\"peer\":\"192.0.2.7\",\"method\":\"POST\","
	    "\"path\":\"/hook\",\"query\":\"\",\"headers\":{\"host\":\"x\","
	    "\"x-dup\":\"a, b\",\"content-length\":\"8\"},"
	    "\"body\":\"{\\\"n\\\":1}\\n\"}\n");
	conn_accept(&c);
	ck_assert_int_eq(c.state, C_SEND);
	ck_assert_int_eq(c.status, 202);
	ck_assert_int_eq(conn_events(&c, c.wfd), POLLOUT);
	conn_write(&c);
	ck_assert_str_eq(without_id(received()), "HTTP/1.1 202 Accepted\r\n"
	    DATE "Content-Type: application/json\r\nContent-Length: 42\r\n\r\n"
	    "{\"id\":\"ID\"}\n");
	ck_assert_int_eq(c.state, C_HEAD);	/* kept alive */
	ck_assert_int_eq(c.status, 0);		/* for the next request */
}
END_TEST

START_TEST(a_body_that_is_not_utf8_is_kept_as_base64)
{
	send_read("POST /hook?a=%00 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	    "\r\n\xff\xfe\x01");
	ck_assert_int_eq(c.state, C_READY);
	ck_assert_ptr_nonnull(strstr(record(1, 7), ",\"seq\":7,"));
	ck_assert_ptr_nonnull(strstr(record(1, 7),
	    "\"query\":\"a=%00\",\"headers\":{\"host\":\"x\",\"content-length\":"
	    "\"3\"},\"body_b64\":\"//4B\"}\n"));
}
END_TEST

START_TEST(keep_alive_and_pipelining)
{
	const char *one = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
	    "\r\n{}";
	char two[512];

	snprintf(two, sizeof two, "%s%s", one, one);
	send_read(two);
	ck_assert_int_eq(c.state, C_READY);
	conn_accept(&c);
	conn_write(&c);
	/* the second request was already read: ready at once */
	ck_assert_int_eq(c.state, C_READY);
	conn_accept(&c);
	conn_write(&c);
	ck_assert_int_eq(c.state, C_HEAD);
	ck_assert_int_eq(conn_idle(&c), 1);
	ck_assert_ptr_nonnull(strstr(received(), "202 Accepted"));
	/* HTTP/1.0 without keep-alive: the answer closes */
	send_read("POST /hook HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
	conn_accept(&c);
	conn_write(&c);
	ck_assert_ptr_nonnull(strstr(received(), "Connection: close\r\n"));
	ck_assert_int_eq(c.state, C_DONE);
}
END_TEST

START_TEST(one_shot_closes_after_the_answer)
{
	c.one_shot = 1;
	send_read("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
	conn_accept(&c);
	conn_write(&c);
	ck_assert_ptr_nonnull(strstr(received(), "Connection: close\r\n"));
	ck_assert_int_eq(c.state, C_DONE);
}
END_TEST

START_TEST(expect_100_continue)
{
	send_read("POST /hook HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
	    "Content-Length: 2\r\n\r\n");
	ck_assert_int_eq(c.state, C_BODY);
	ck_assert_int_eq(conn_events(&c, c.wfd), POLLIN | POLLOUT);
	conn_write(&c);
	ck_assert_str_eq(received(), "HTTP/1.1 100 Continue\r\n\r\n");
	ck_assert_int_eq(conn_events(&c, c.wfd), POLLIN);
	send_read("{}");
	ck_assert_int_eq(c.state, C_READY);
	conn_accept(&c);
	conn_write(&c);
	ck_assert_str_eq(without_id(received()), "HTTP/1.1 202 Accepted\r\n"
	    DATE "Content-Type: application/json\r\nContent-Length: 42\r\n\r\n"
	    "{\"id\":\"ID\"}\n");
}
END_TEST

START_TEST(no_100_continue_for_a_request_refused_anyway)
{
	send_read("POST /hook HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n");
	conn_write(&c);
	ck_assert_str_eq(received(), "HTTP/1.1 415 Unsupported Media Type\r\n"
	    DATE "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 40\r\nConnection: close\r\n\r\n"
	    "expected Content-Type: application/json\n");
	/* the body was never read: linger, so the answer is not reset */
	ck_assert_int_eq(c.state, C_LINGER);
	ck_assert_int_eq(conn_events(&c, c.rfd), POLLIN);
}
END_TEST

START_TEST(a_body_over_the_budget_gets_503)
{
	budget.max = 32768;
	send_read("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
	    "\r\n{\"pad\":\"");
	/* the body's first buffer (64 KiB) would pass the budget */
	ck_assert_int_eq(c.state, C_SEND);
	ck_assert_int_eq(c.status, 503);
	ck_assert_uint_le(budget.used, budget.max);
	conn_write(&c);
	ck_assert_str_eq(received(), "HTTP/1.1 503 Service Unavailable\r\n"
	    DATE "Retry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 43\r\nConnection: close\r\n\r\n"
	    "too many requests in progress, retry later\n");
	ck_assert_int_eq(c.state, C_LINGER);
}
END_TEST

START_TEST(within_the_budget_the_body_grows_as_it_comes)
{
	char chunk[4096];

	budget.max = 1 << 20;
	send_read("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n"
	    "\r\n");
	ck_assert_uint_lt(budget.used, 8192);	/* nothing for the body yet */
	memset(chunk, 'a', sizeof chunk - 1);
	chunk[sizeof chunk - 1] = '\0';
	send_read(chunk);
	ck_assert_uint_lt(budget.used, 80000);	/* 64 KiB, not 200000 */
	for (int i = 0; i < 40; i++) {
		send_read(chunk);
		while (conn_read(&c) == 0 && c.state == C_BODY &&
		    c.blen < (size_t)(i + 2) * (sizeof chunk - 1))
			;
	}
	ck_assert_int_eq(c.state, C_BODY);
	ck_assert_uint_ge(budget.used, 200000);
}
END_TEST

START_TEST(a_request_not_complete_in_time)
{
	int64_t t0 = clock_mono_ms();

	/* until the first byte, the idle time-out */
	ck_assert_int_le(c.deadline - t0, cf.idle_ms);
	send_read("POST /hook HTTP/1.1\r\nHost: x\r\n");
	/* from the first byte, the whole request's */
	ck_assert_int_gt(c.deadline - t0, cf.idle_ms);
	ck_assert_int_le(c.deadline - clock_mono_ms(), cf.timeout_ms);
	conn_timeout(&c);
	conn_write(&c);
	ck_assert_str_eq(received(), "HTTP/1.1 408 Request Timeout\r\n" DATE
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 29\r\n"
	    "Connection: close\r\n\r\nrequest not complete in time\n");
	ck_assert_int_eq(c.state, C_LINGER);
	conn_timeout(&c);	/* the linger is over too */
	ck_assert_int_eq(c.state, C_DONE);
}
END_TEST

START_TEST(an_idle_connection_times_out_without_an_answer)
{
	conn_timeout(&c);
	ck_assert_int_eq(c.state, C_DONE);
	ck_assert_str_eq(received(), "");
}
END_TEST

START_TEST(the_health_page)
{
	send_read("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	conn_write(&c);
	ck_assert_str_eq(received(), "HTTP/1.1 200 OK\r\n" DATE
	    "Content-Type: application/json\r\nContent-Length: 16\r\n\r\n"
	    "{\"status\":\"ok\"}\n");
	send_read("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	conn_write(&c);
	ck_assert_str_eq(received(), "HTTP/1.1 200 OK\r\n" DATE
	    "Content-Type: application/json\r\nContent-Length: 16\r\n\r\n");
	ck_assert_int_eq(pages, 2);
	send_read("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
	    "\r\n{}");
	conn_write(&c);
	ck_assert_ptr_nonnull(strstr(received(), "405 Method Not Allowed\r\n"
	    DATE "Allow: GET, HEAD\r\n"));
	ck_assert_int_eq(pages, 2);
}
END_TEST

START_TEST(every_answer_is_told_but_pages)
{
	cf.metrics = "/metrics";
	cf.answered = answered;
	send_read("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	conn_write(&c);
	ck_assert_int_eq(last_page, CONN_PAGE_METRICS);
	send_read("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	conn_write(&c);
	ck_assert_int_eq(last_page, CONN_PAGE_HEALTH);
	ck_assert_int_eq(answers[200], 0);	/* pages are not counted */
	send_read("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
	conn_accept(&c);
	conn_write(&c);
	send_read("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
	conn_write(&c);
	send_read("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
	    "\r\n{}");
	conn_write(&c);
	ck_assert_ptr_nonnull(strstr(received(), "405 Method Not Allowed\r\n"
	    DATE "Allow: GET, HEAD\r\n"));
	ck_assert_int_eq(answers[202], 1);
	ck_assert_int_eq(answers[404], 1);
	ck_assert_int_eq(answers[405], 1);
	ck_assert_int_eq(pages, 2);
}
END_TEST

START_TEST(the_door)
{
	static const char secret[] = "a-secret-of-more-than-16";
	unsigned char mac[HMAC_SHA256_SIZE];
	char hex[2 * HMAC_SHA256_SIZE + 1], req[512];
	struct auth *a = auth_new();

	ck_assert_int_eq(auth_add_secrets(a, strdup(secret)), 0);
	cf.door = a;
	send_read("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
	conn_write(&c);
	ck_assert_ptr_nonnull(strstr(received(), "HTTP/1.1 401 Unauthorized\r\n"
	    DATE "WWW-Authenticate: Sentry-Hook-Signature\r\n"));
	ck_assert_int_eq(c.state, C_HEAD);	/* the body was read: kept alive */
	ck_assert_int_eq(hmac_sha256(secret, strlen(secret), "{}", 2, mac), 0);
	hmac_hex(mac, hex);
	snprintf(req, sizeof req, "POST /hook HTTP/1.1\r\nHost: x\r\n"
	    "Sentry-Hook-Signature: %s\r\nContent-Length: 2\r\n\r\n{}", hex);
	send_read(req);
	ck_assert_int_eq(c.state, C_READY);
	ck_assert_ptr_nonnull(strstr(record(1, 0), "\"auth\":\"hmac\""));
	auth_free(a);
}
END_TEST

START_TEST(refusals_and_what_follows_them)
{
	send_read("GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n");
	conn_write(&c);
	ck_assert_ptr_nonnull(strstr(received(), "404 Not Found"));
	/* a malformed head: the connection cannot be trusted, so it ends */
	send_read("POST /hook HTTP/1.1\nHost: x\n\n");
	conn_write(&c);
	ck_assert_ptr_nonnull(strstr(received(), "400 Bad Request"));
	ck_assert_int_eq(c.state, C_LINGER);
	ck_assert_int_eq(c.status, 400);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("conn");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_request_in_pieces);
	tcase_add_test(tc, a_body_that_is_not_utf8_is_kept_as_base64);
	tcase_add_test(tc, keep_alive_and_pipelining);
	tcase_add_test(tc, one_shot_closes_after_the_answer);
	tcase_add_test(tc, expect_100_continue);
	tcase_add_test(tc, no_100_continue_for_a_request_refused_anyway);
	tcase_add_test(tc, a_body_over_the_budget_gets_503);
	tcase_add_test(tc, within_the_budget_the_body_grows_as_it_comes);
	tcase_add_test(tc, a_request_not_complete_in_time);
	tcase_add_test(tc, an_idle_connection_times_out_without_an_answer);
	tcase_add_test(tc, the_health_page);
	tcase_add_test(tc, every_answer_is_told_but_pages);
	tcase_add_test(tc, the_door);
	tcase_add_test(tc, refusals_and_what_follows_them);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
