/*
 * http: a strict HTTP/1.1 request parser, no I/O.
 *
 * The caller collects bytes; http_head_end() finds the end of the header
 * section, http_parse_head() checks and indexes it (offsets into the
 * caller's buffer, nothing copied), and a body framed by chunked transfer
 * coding is decoded with http_chunked_feed().  Every error is an HTTP
 * status the caller can answer with (400, 414, 431, 501, 505, 413).
 *
 * Strict on purpose (request smuggling): CRLF line ends only, no
 * obs-fold, no white space before a colon, Content-Length and
 * Transfer-Encoding together are refused, as are two different lengths
 * and any coding but a single "chunked".
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http_limits {
	size_t max_head;	/* request line + headers, bytes */
	unsigned max_headers;	/* header fields */
	uint64_t max_body;	/* decoded body bytes */
};

struct http_span {
	uint32_t off, len;	/* into the buffer given to http_parse_head */
};

struct http_header {
	struct http_span name, value;	/* value without surrounding OWS */
};

struct http_request {
	struct http_span method, target, path, query;
	int minor;			/* HTTP/1.minor */
	int has_query;
	struct http_header *headers;	/* caller's array of max_headers */
	unsigned nheaders;
	uint64_t content_length;
	int has_length, chunked;
	int expect_continue;		/* Expect: 100-continue */
	int expect_other;		/* an Expect we do not know: 417 */
	int keep_alive;			/* by version and Connection */
	int content_type;		/* HTTP_CT_* */
};

enum { HTTP_CT_NONE, HTTP_CT_JSON, HTTP_CT_OTHER };

/*
 * Look for the empty line ending the header section in buf[0..len).
 * *scan is where the previous call stopped (start at 0).  Returns the
 * length of the head including the empty line, or 0 when it is not
 * complete yet.  Leading empty lines (RFC 9112 2.2) are part of it.
 */
size_t http_head_end(const char *buf, size_t len, size_t *scan);

/*
 * Parse a complete head (buf[0..len), as found by http_head_end).
 * req->headers must point to room for lim->max_headers entries.
 * Returns 0, or the status to answer with.
 */
int http_parse_head(const char *buf, size_t len, const struct http_limits *lim,
    struct http_request *req);

/* The status for a head over max_head: 414 when the request line alone
 * is too long, else 431. */
int http_head_overflow_status(const char *buf, size_t len, size_t max_head);

/* Case-insensitive compare of a span with a NUL-terminated string. */
int http_span_eq(const char *buf, struct http_span s, const char *text);

/* Chunked transfer coding decoder. */
struct http_chunked {
	int state;
	uint64_t left;		/* bytes left in this chunk */
	uint64_t total;		/* decoded so far */
	size_t line;		/* bytes of the current size/trailer line */
	size_t trailer;		/* bytes of trailer section */
	unsigned ndigits;
};

typedef int (*http_sink)(void *ctx, const char *data, size_t len);

/*
 * Decode in[0..len).  Data is handed to sink (which returns 0, or a status
 * such as 413 to stop).  *used is set to the bytes consumed.  Returns 0
 * when more input is needed (all of it was used), 1 when the body and its
 * trailers are complete (bytes after *used belong to the next request),
 * or an HTTP status (400, 413) on error.
 */
int http_chunked_feed(struct http_chunked *c, const struct http_limits *lim,
    const char *in, size_t len, size_t *used, http_sink sink, void *ctx);

/* "Accepted" for 202 ... */
const char *http_reason(int status);

#endif
