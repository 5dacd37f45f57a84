/* Unit tests: lib/http (request head parser, chunked decoder). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static const struct http_limits lim = { 4096, 8, 1000 };
static struct http_header hdrs[8];

static int
parse(const char *text, struct http_request *req)
{
	size_t scan = 0, len = strlen(text), end = http_head_end(text, len, &scan);

	ck_assert_uint_eq(end, len);	/* every test head is complete */
	req->headers = hdrs;
	return http_parse_head(text, len, &lim, req);
}

START_TEST(head_end_found_incrementally)
{
	const char *t = "\r\nPOST / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
	size_t scan = 0;

	ck_assert_uint_eq(http_head_end(t, 10, &scan), 0);
	ck_assert_uint_eq(scan, 10);
	ck_assert_uint_eq(http_head_end(t, 29, &scan), 0);
	ck_assert_uint_eq(http_head_end(t, strlen(t), &scan), strlen(t) - 4);
	scan = 0;
	/* a bare LF makes the head "complete" so that it can be refused */
	ck_assert_uint_eq(http_head_end("GET / HTTP/1.1\nHost", 19, &scan), 15);
}
END_TEST

START_TEST(good_request)
{
	struct http_request r;
	const char *t = "POST /api/hook?a=1&b HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 12\r\nX-Empty:\r\nX-Pad: \t v a l \t\r\n\r\n";

	ck_assert_int_eq(parse(t, &r), 0);
	ck_assert(http_span_eq(t, r.method, "POST"));
	ck_assert(http_span_eq(t, r.path, "/api/hook"));
	ck_assert(http_span_eq(t, r.query, "a=1&b"));
	ck_assert_int_eq(r.has_query, 1);
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_eq(r.has_length, 1);
	ck_assert_uint_eq(r.content_length, 12);
	ck_assert_int_eq(r.content_type, HTTP_CT_JSON);
	ck_assert_uint_eq(r.nheaders, 5);
	ck_assert(http_span_eq(t, r.headers[3].name, "x-empty"));
	ck_assert_uint_eq(r.headers[3].value.len, 0);
	ck_assert(http_span_eq(t, r.headers[4].value, "v a l"));
}
END_TEST

START_TEST(absolute_form_and_versions)
{
	struct http_request r;

	ck_assert_int_eq(parse("POST http://h:1/p?q HTTP/1.0\r\n\r\n", &r), 0);
	ck_assert(http_span_eq("POST http://h:1/p?q HTTP/1.0\r\n\r\n", r.path, "/p"));
	ck_assert_int_eq(r.keep_alive, 0);
	ck_assert_int_eq(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.keep_alive, 0);
	ck_assert_int_eq(parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n", &r), 505);
	ck_assert_int_eq(parse("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("GET /#f HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("GET http://nopath HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
	/* issue 12: an absolute-form target without a host; minor versions
	 * other than 0 and 1 */
	ck_assert_int_eq(parse("POST https:///p HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST http:///p HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.9\r\nHost: x\r\n\r\n", &r), 505);
	ck_assert_int_eq(parse("POST / HTTP/1.2\r\nHost: x\r\n\r\n", &r), 505);
	ck_assert_int_eq(parse("POST / HTTP/0.9\r\nHost: x\r\n\r\n", &r), 505);
}
END_TEST

START_TEST(framing_and_smuggling)
{
	struct http_request r;

	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n", &r), 0);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n", &r), 0);
	ck_assert_uint_eq(r.content_length, 5);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", &r), 413);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &r), 400);
	/* issue 12: a length list with an empty element; an empty or ","
	 * Transfer-Encoding beside Content-Length, or alone */
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7,\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ,7\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7,,7\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7 ,\t7\r\n\r\n", &r), 0);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n"
	    "Content-Length: 5\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,\r\n"
	    "Content-Length: 5\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.chunked, 1);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &r), 501);
	ck_assert_int_eq(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\n Transfer-Encoding: chunked\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nX: a\001b\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\n\r\n", &r), 400);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\n"
	    "Content-Type: application/json\r\n\r\n", &r), 400);
}
END_TEST

START_TEST(limits)
{
	struct http_request r;
	char big[5000];

	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
	    "D: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\n\r\n", &r), 0);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
	    "D: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n\r\n", &r), 431);
	memset(big, 'a', sizeof big);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memcpy(big + sizeof big - 5, "\r\n\r\n", 5);
	ck_assert_int_eq(parse(big, &r), 431);
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /", 5);
	memcpy(big + sizeof big - 14, " HTTP/1.1\r\n\r\n", 14);
	ck_assert_int_eq(parse(big, &r), 414);
	ck_assert_int_eq(http_head_overflow_status("GET /aaaa", 9, 4), 414);
	ck_assert_int_eq(http_head_overflow_status("GET / HTTP/1.1\r\nX: aaa", 22, 20), 431);
}
END_TEST

START_TEST(content_types)
{
	struct http_request r;

	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.content_type, HTTP_CT_NONE);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: APPLICATION/JSON\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.content_type, HTTP_CT_JSON);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/problem+json\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.content_type, HTTP_CT_JSON);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/json+x\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.content_type, HTTP_CT_OTHER);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/jsonx\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.content_type, HTTP_CT_OTHER);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.expect_continue, 1);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: x\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.expect_other, 1);
}
END_TEST

struct collect {
	char buf[2000];
	size_t len;
};

static int
sink(void *ctx, const char *data, size_t len)
{
	struct collect *c = ctx;

	memcpy(c->buf + c->len, data, len);
	c->len += len;
	return 0;
}

/* Feed text one byte at a time (the worst split) and whole. */
static int
decode(const char *text, size_t len, struct collect *out, size_t *used)
{
	struct http_chunked ch;
	int st = 0;
	size_t u, total = 0;

	memset(&ch, 0, sizeof ch);
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < len && st == 0; i++) {
		st = http_chunked_feed(&ch, &lim, text + i, 1, &u, sink, out);
		total += u;
	}
	*used = total;
	{
		struct collect whole;
		struct http_chunked ch2;
		int st2;

		memset(&ch2, 0, sizeof ch2);
		memset(&whole, 0, sizeof whole);
		st2 = http_chunked_feed(&ch2, &lim, text, len, &u, sink, &whole);
		ck_assert_int_eq(st, st2);
		if (st == 1) {
			ck_assert_uint_eq(u, total);
			ck_assert_uint_eq(whole.len, out->len);
			ck_assert(memcmp(whole.buf, out->buf, out->len) == 0);
		}
	}
	return st;
}

START_TEST(chunked)
{
	struct collect c;
	size_t used;
	const char ok[] = "4\r\nWiki\r\n5;name=\"v;x\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
	    "0\r\nTrailer: yes\r\n\r\nNEXT";

	ck_assert_int_eq(decode(ok, sizeof ok - 1, &c, &used), 1);
	ck_assert_uint_eq(c.len, 23);
	ck_assert(memcmp(c.buf, "Wikipedia in\r\n\r\nchunks.", 23) == 0);
	ck_assert_uint_eq(used, sizeof ok - 1 - 4);
	ck_assert_int_eq(decode("0\r\n\r\n", 5, &c, &used), 1);
	ck_assert_uint_eq(c.len, 0);
	ck_assert_int_eq(decode("1\r\nab\r\n0\r\n\r\n", 12, &c, &used), 400);
	ck_assert_int_eq(decode("x\r\n", 3, &c, &used), 400);
	ck_assert_int_eq(decode("1\nA\r\n0\r\n\r\n", 10, &c, &used), 400);
	ck_assert_int_eq(decode("1\r\nA\r\n0\r\n\n", 10, &c, &used), 400);
	ck_assert_int_eq(decode("1\r\nA\r\n0\r\nX: a\001\r\n\r\n", 18, &c, &used), 400);
	ck_assert_int_eq(decode("3e9\r\n", 5, &c, &used), 413);	/* 1001 > 1000 */
	ck_assert_int_eq(decode("3e8\r\n", 5, &c, &used), 0);		/* 1000: fine so far */
	ck_assert_int_eq(decode("1000000000000000000\r\n", 21, &c, &used), 413);
	ck_assert_int_eq(decode("0\r\n\r\n", 4, &c, &used), 0);	/* incomplete */
	ck_assert_int_eq(decode("00000000000000000001\r\nA\r\n0\r\n\r\n", 30, &c, &used), 1);
	ck_assert_int_eq(decode("1 ; a=b\r\nA\r\n0\r\n\r\n", 20, &c, &used), 1);
	ck_assert_int_eq(decode("1 x\r\nA\r\n0\r\n\r\n", 16, &c, &used), 400);
	ck_assert_int_eq(decode("1x\r\nA\r\n0\r\n\r\n", 15, &c, &used), 400);
	ck_assert_int_eq(decode("-1\r\n", 5, &c, &used), 400);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parser");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, head_end_found_incrementally);
	tcase_add_test(tc, good_request);
	tcase_add_test(tc, absolute_form_and_versions);
	tcase_add_test(tc, framing_and_smuggling);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, content_types);
	tcase_add_test(tc, chunked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
