/*
 * fuzz_http: the HTTP/1.1 request reader (lib/http) on arbitrary bytes,
 * as sentry-recv drives it: find the head (fed in pieces, resuming the
 * scan), parse it, then decode a chunked body (also in pieces).
 * The first byte picks the limits and the piece size.  Checks: the head
 * end is the same however the bytes arrive; every span lies inside the
 * head; a refusal is one of the documented statuses; the decoder never
 * uses more than it was given nor hands out more than max_body.
 */
#include <string.h>

#include "http.h"
#include "fuzz.h"

#define MAX_HEADERS 100

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

struct sink_state {
	uint64_t bytes;
	uint64_t max;
};

static int
sink(void *ctx, const char *data, size_t len)
{
	struct sink_state *s = ctx;

	fuzz_assert(len == 0 || data != NULL);
	s->bytes += len;
	return s->bytes > s->max ? 413 : 0;
}

static void
span_ok(struct http_span s, size_t len)
{
	fuzz_assert((size_t)s.off + s.len <= len);
}

static int
status_ok(int st)
{
	static const int known[] = { 400, 413, 414, 417, 431, 501, 505 };

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (st == known[i])
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	const char *data = (const char *)bytes + 1;
	struct http_header hdrs[MAX_HEADERS];
	struct http_limits lim;
	struct http_request req;
	size_t head, scan = 0, step, n, inc = 0;
	int st;

	if (size == 0)
		return 0;
	lim.max_head = (bytes[0] & 1) ? 64 + (bytes[0] >> 1) * 4 : 16384;
	lim.max_headers = (bytes[0] & 2) ? 4 : MAX_HEADERS;
	lim.max_body = (bytes[0] & 4) ? 16 : 1 << 20;
	step = 1 + (bytes[0] >> 3);
	size--;

	/* The head end, whole and in pieces, must agree. */
	head = http_head_end(data, size, &scan);
	scan = 0;
	for (n = step < size ? step : size; ; n += step) {
		if (n > size)
			n = size;
		inc = http_head_end(data, n, &scan);
		if (inc != 0 || n == size)
			break;
	}
	fuzz_assert(inc == head);
	fuzz_assert(head <= size);
	if (head == 0) {
		if (size >= lim.max_head) {
			st = http_head_overflow_status(data, size, lim.max_head);
			fuzz_assert(st == 414 || st == 431);
		}
		return 0;
	}
	if (head > lim.max_head) {
		st = http_head_overflow_status(data, head, lim.max_head);
		fuzz_assert(st == 414 || st == 431);
		return 0;
	}

	memset(&req, 0, sizeof req);
	req.headers = hdrs;
	st = http_parse_head(data, head, &lim, &req);
	if (st != 0) {
		fuzz_assert(status_ok(st));
		fuzz_assert(http_reason(st) != NULL);
		return 0;
	}
	span_ok(req.method, head);
	span_ok(req.target, head);
	span_ok(req.path, head);
	span_ok(req.query, head);
	fuzz_assert(req.nheaders <= lim.max_headers);
	for (unsigned i = 0; i < req.nheaders; i++) {
		span_ok(hdrs[i].name, head);
		span_ok(hdrs[i].value, head);
		(void)http_span_eq(data, hdrs[i].name, "content-length");
	}
	fuzz_assert(!(req.chunked && req.has_length));
	if (req.chunked) {
		struct http_chunked c;
		struct sink_state s = { 0, lim.max_body };
		size_t off = head, used;

		memset(&c, 0, sizeof c);
		for (;;) {
			size_t piece = size - off < step ? size - off : step;

			used = 0;
			st = http_chunked_feed(&c, &lim, data + off, piece,
			    &used, sink, &s);
			fuzz_assert(used <= piece);
			off += used;
			if (st != 0 || off == size)
				break;
			fuzz_assert(used == piece);
		}
		/* 431: a trailer section over the head limit */
		fuzz_assert(st == 0 || st == 1 || st == 400 || st == 413 ||
		    st == 431);
		if (st != 413)
			fuzz_assert(s.bytes <= lim.max_body);
		if (st == 1)
			fuzz_assert(c.total == s.bytes);
	}
	return 0;
}
