/* http: strict HTTP/1.1 request head parser and chunked decoder. */
#include "http.h"

#include <string.h>
#include <strings.h>

#include "bytes.h"

#define CHUNK_LINE_MAX 4096

/* RFC 9110 tchar */
static int
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int
http_span_eq(const char *buf, struct http_span s, const char *text)
{
	size_t n = strlen(text);

	return s.len == n && strncasecmp(buf + s.off, text, n) == 0;
}

static size_t
leading_empty_lines(const char *buf, size_t len)
{
	size_t lead = 0;

	while (lead + 1 < len && buf[lead] == '\r' && buf[lead + 1] == '\n')
		lead += 2;
	return lead;
}

size_t
http_head_end(const char *buf, size_t len, size_t *scan)
{
	size_t lead = leading_empty_lines(buf, len);
	size_t i = *scan;
	const char *p;

	while (i < len && (p = memchr(buf + i, '\n', len - i)) != NULL) {
		size_t j = (size_t)(p - buf);

		i = j + 1;
		if (j == 0 || buf[j - 1] != '\r')
			return j + 1;	/* bare LF: complete enough to refuse */
		if ((j == 1 || buf[j - 2] == '\n') && j + 1 > lead)
			return j + 1;
	}
	*scan = len;
	return 0;
}

int
http_head_overflow_status(const char *buf, size_t len, size_t max_head)
{
	size_t lead = leading_empty_lines(buf, len);
	const char *nl = memchr(buf + lead, '\n', len - lead);

	return nl && (size_t)(nl - buf) < max_head ? 431 : 414;
}

/* Next comma-separated list element of s[0..n) from *pos, trimmed. */
static int
list_next(const char *s, size_t n, size_t *pos, const char **elem, size_t *elen)
{
	size_t i = *pos, e;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
		i++;
	if (i >= n)
		return 0;
	e = i;
	while (e < n && s[e] != ',')
		e++;
	*pos = e;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	*elem = s + i;
	*elen = e - i;
	return 1;
}

static int
word_eq(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* Content-Length: 1*DIGIT, or the same value repeated as a list ("5, 5");
 * an empty element ("7,", ", 7") is malformed, not skipped. */
static int
content_length(struct http_request *req, const char *v, size_t n)
{
	size_t i = 0;

	for (;;) {
		uint64_t x = 0;
		size_t digits = 0;

		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		for (; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++) {
			if (x > (UINT64_MAX - 9) / 10)
				return 413;
			x = x * 10 + (uint64_t)(v[i] - '0');
		}
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (digits == 0 || (i < n && v[i] != ','))
			return 400;
		if (req->has_length && req->content_length != x)
			return 400;	/* two different lengths: smuggling */
		req->content_length = x;
		req->has_length = 1;
		if (i == n)
			return 0;
		i++;		/* past the comma: another element must follow */
	}
}

static int
transfer_encoding(struct http_request *req, const char *v, size_t n,
    int *codings)
{
	const char *e;
	size_t elen, pos = 0;

	while (list_next(v, n, &pos, &e, &elen)) {
		if (req->chunked)
			return 400;	/* chunked must be last, and once */
		(*codings)++;
		if (word_eq(e, elen, "chunked"))
			req->chunked = 1;
	}
	return 0;
}

static void
connection(struct http_request *req, const char *v, size_t n)
{
	const char *e;
	size_t elen, pos = 0;

	while (list_next(v, n, &pos, &e, &elen)) {
		if (word_eq(e, elen, "close"))
			req->keep_alive = 0;
		else if (word_eq(e, elen, "keep-alive") && req->minor == 0)
			req->keep_alive = 1;
	}
}

static int
media_type(const char *v, size_t n)
{
	size_t e = 0;

	while (e < n && v[e] != ';' && v[e] != ' ' && v[e] != '\t')
		e++;
	if (word_eq(v, e, "application/json"))
		return HTTP_CT_JSON;
	if (e > 17 && strncasecmp(v, "application/", 12) == 0 &&
	    strncasecmp(v + e - 5, "+json", 5) == 0)
		return HTTP_CT_JSON;
	return HTTP_CT_OTHER;
}

static int
request_line(const char *buf, size_t start, size_t eol, struct http_request *req)
{
	size_t i = start;

	req->method.off = (uint32_t)i;
	while (i < eol && is_tchar((unsigned char)buf[i]))
		i++;
	req->method.len = (uint32_t)(i - req->method.off);
	if (req->method.len == 0 || i >= eol || buf[i] != ' ')
		return 400;
	req->target.off = (uint32_t)++i;
	while (i < eol && (unsigned char)buf[i] > 0x20 &&
	    (unsigned char)buf[i] < 0x7f)
		i++;
	req->target.len = (uint32_t)(i - req->target.off);
	if (req->target.len == 0 || i >= eol || buf[i] != ' ')
		return 400;
	i++;
	if (eol - i != 8 || memcmp(buf + i, "HTTP/", 5) != 0 ||
	    buf[i + 5] < '0' || buf[i + 5] > '9' || buf[i + 6] != '.' ||
	    buf[i + 7] < '0' || buf[i + 7] > '9')
		return 400;
	/* Only 1.0 and 1.1: RFC 9110 (2.5) would read "HTTP/1.9" as 1.1,
	 * but nothing sends it, and an intermediary may read it otherwise. */
	if (buf[i + 5] != '1' || buf[i + 7] > '1')
		return 505;
	req->minor = buf[i + 7] - '0';
	req->keep_alive = req->minor >= 1;

	/* origin-form, or absolute-form reduced to its path */
	size_t t = req->target.off, tend = t + req->target.len;
	if (buf[t] != '/') {
		size_t s = t;

		if (tend - t > 8 && strncasecmp(buf + t, "https://", 8) == 0)
			s = t + 8;
		else if (tend - t > 7 && strncasecmp(buf + t, "http://", 7) == 0)
			s = t + 7;
		if (s != t) {
			const char *slash = memchr(buf + s, '/', tend - s);

			if (slash == NULL || slash == buf + s)
				return 400;	/* no path, or no host */
			t = (size_t)(slash - buf);
		}
	}
	if (memchr(buf + t, '#', tend - t))
		return 400;
	const char *q = memchr(buf + t, '?', tend - t);
	req->path.off = (uint32_t)t;
	req->path.len = (uint32_t)((q ? (size_t)(q - buf) : tend) - t);
	if (q) {
		req->has_query = 1;
		req->query.off = (uint32_t)(q - buf + 1);
		req->query.len = (uint32_t)(tend - (size_t)(q - buf) - 1);
	}
	return 0;
}

int
http_parse_head(const char *buf, size_t len, const struct http_limits *lim,
    struct http_request *req)
{
	struct http_header *h = req->headers;
	size_t i = leading_empty_lines(buf, len), eol;
	const char *nl;
	int status, hosts = 0, codings = 0, te_fields = 0, types = 0;

	memset(req, 0, sizeof *req);
	req->headers = h;
	if (len > lim->max_head)
		return http_head_overflow_status(buf, len, lim->max_head);
	nl = memchr(buf + i, '\n', len - i);
	if (nl == NULL || nl == buf + i || nl[-1] != '\r')
		return 400;
	eol = (size_t)(nl - buf) - 1;
	if ((status = request_line(buf, i, eol, req)) != 0)
		return status;
	i = eol + 2;

	for (;;) {
		size_t n0 = i, c;

		nl = memchr(buf + i, '\n', len - i);
		if (nl == NULL || nl == buf + i || nl[-1] != '\r')
			return 400;
		eol = (size_t)(nl - buf) - 1;
		if (eol == i)
			break;		/* the empty line */
		while (i < eol && is_tchar((unsigned char)buf[i]))
			i++;
		if (i == n0 || i >= eol || buf[i] != ':')
			return 400;	/* obs-fold, space before ':', no name */
		c = i++;
		while (i < eol && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		size_t v0 = i, vend = eol;
		while (vend > v0 && (buf[vend - 1] == ' ' || buf[vend - 1] == '\t'))
			vend--;
		for (size_t k = v0; k < vend; k++) {
			unsigned char ch = (unsigned char)buf[k];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return 400;
		}
		if (req->nheaders == lim->max_headers)
			return 431;
		h[req->nheaders].name.off = (uint32_t)n0;
		h[req->nheaders].name.len = (uint32_t)(c - n0);
		h[req->nheaders].value.off = (uint32_t)v0;
		h[req->nheaders].value.len = (uint32_t)(vend - v0);
		struct http_span name = h[req->nheaders].name;
		req->nheaders++;

		const char *v = buf + v0;
		size_t vn = vend - v0;
		if (http_span_eq(buf, name, "content-length")) {
			if ((status = content_length(req, v, vn)) != 0)
				return status;
		} else if (http_span_eq(buf, name, "transfer-encoding")) {
			te_fields++;
			if ((status = transfer_encoding(req, v, vn, &codings)) != 0)
				return status;
		} else if (http_span_eq(buf, name, "connection")) {
			connection(req, v, vn);
		} else if (http_span_eq(buf, name, "host")) {
			hosts++;
		} else if (http_span_eq(buf, name, "expect")) {
			if (word_eq(v, vn, "100-continue"))
				req->expect_continue = req->minor >= 1;
			else
				req->expect_other = 1;
		} else if (http_span_eq(buf, name, "content-type")) {
			types++;
			req->content_type = media_type(v, vn);
		}
		i = eol + 2;
	}

	if (te_fields) {
		/* an empty or "," Transfer-Encoding is still one: framing
		 * that a proxy may read differently from us */
		if (req->has_length || req->minor == 0)
			return 400;	/* both framings, or TE in HTTP/1.0 */
		if (!req->chunked)
			return 400;	/* length unknowable */
		if (codings > 1)
			return 501;	/* gzip, chunked: not supported */
	}
	if (req->minor >= 1 && hosts != 1)
		return 400;
	if (types > 1)
		return 400;
	return 0;
}

/* Chunked decoder states. */
enum {
	CH_SIZE, CH_BWS, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
	CH_TRAILER, CH_TRAILER_LINE, CH_TRAILER_LF, CH_END_LF
};

int
http_chunked_feed(struct http_chunked *c, const struct http_limits *lim,
    const char *in, size_t len, size_t *used, http_sink sink, void *ctx)
{
	size_t i = 0;
	int status;

	while (i < len) {
		unsigned char ch = (unsigned char)in[i];

		switch (c->state) {
		case CH_SIZE: {
			int d = bytes_hexval(ch);

			if (d >= 0) {
				/* leading zeros are fine; 2^60 and up is not */
				if (c->left >> 60)
					goto too_large;
				c->ndigits++;
				c->left = c->left * 16 + (uint64_t)d;
				i++;
				break;
			}
			if (c->ndigits == 0)
				goto bad;
			c->state = CH_BWS;
			break;
		}
		case CH_BWS:
			/* size [BWS] [";" ext] CRLF: nothing else after the size */
			if (ch == ' ' || ch == '\t') {
				if (++c->line > CHUNK_LINE_MAX)
					goto bad;
			} else if (ch == ';') {
				c->state = CH_EXT;
			} else if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else {
				goto bad;
			}
			i++;
			break;
		case CH_EXT:
			/* chunk-ext is skipped; it is bounded and may not hold CTLs */
			if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				goto bad;
			} else if (++c->line > CHUNK_LINE_MAX) {
				goto bad;
			}
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				goto bad;
			i++;
			c->ndigits = 0;
			c->line = 0;
			if (c->left == 0) {
				c->state = CH_TRAILER;
			} else {
				if (c->left > lim->max_body - c->total)
					goto too_large;
				c->state = CH_DATA;
			}
			break;
		case CH_DATA: {
			size_t n = len - i;

			if (n > c->left)
				n = (size_t)c->left;
			if ((status = sink(ctx, in + i, n)) != 0) {
				*used = i;
				return status;
			}
			c->total += n;
			c->left -= n;
			i += n;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (ch != '\r')
				goto bad;
			c->state = CH_DATA_LF;
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			if (ch == '\r') {
				c->state = CH_END_LF;
				i++;
				break;
			}
			c->state = CH_TRAILER_LINE;
			break;
		case CH_TRAILER_LINE:
			if (++c->trailer > lim->max_head) {
				*used = i;
				return 431;
			}
			if (ch == '\r')
				c->state = CH_TRAILER_LF;
			else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				goto bad;
			i++;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_TRAILER;
			i++;
			break;
		case CH_END_LF:
			if (ch != '\n')
				goto bad;
			*used = i + 1;
			return 1;
		}
	}
	*used = i;
	return 0;
bad:
	*used = i;
	return 400;
too_large:
	*used = i;
	return 413;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
