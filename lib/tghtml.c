/* tghtml: Telegram HTML text: building, escaping, counting, checking, cutting. */
#include "tghtml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_DEPTH 32

/*
 * Decode one UTF-8 character at s (n > 0 bytes left).  Returns the bytes
 * it takes; an invalid sequence takes one byte and decodes as U+FFFD
 * with *bad set.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, unsigned *cp, int *bad)
{
	unsigned c = s[0], v;
	size_t len;

	*bad = 0;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07;
	} else {
		goto invalid;
	}
	if (n < len)
		goto invalid;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto invalid;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		goto invalid;
	*cp = v;
	return len;
invalid:
	*cp = 0xfffd;
	*bad = 1;
	return 1;
}

static size_t
utf16_of(unsigned cp)
{
	return cp > 0xffff ? 2 : 1;
}

/* Characters the builder drops from untrusted text. */
static int
dropped(unsigned cp)
{
	return (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f;
}

size_t
tghtml_utf16_units(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, units = 0;
	unsigned cp;
	int bad;

	while (i < n) {
		i += utf8_decode(p + i, n - i, &cp, &bad);
		units += utf16_of(cp);
	}
	return units;
}

/* Builder */

void
tghtml_init(struct tghtml *h)
{
	memset(h, 0, sizeof *h);
}

void
tghtml_free(struct tghtml *h)
{
	free(h->buf);
	tghtml_init(h);
}

static int
grow(struct tghtml *h, size_t more)
{
	size_t want;
	char *nb;

	if (h->failed)
		return -1;
	if (h->len + more + 1 <= h->cap)
		return 0;
	want = h->cap ? h->cap : 256;
	while (want < h->len + more + 1)
		want *= 2;
	if ((nb = realloc(h->buf, want)) == NULL) {
		h->failed = 1;
		return -1;
	}
	h->buf = nb;
	h->cap = want;
	return 0;
}

static void
raw(struct tghtml *h, const char *s, size_t n)
{
	if (grow(h, n) < 0)
		return;
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
}

static void
raw_str(struct tghtml *h, const char *s)
{
	raw(h, s, strlen(s));
}

/* One character, escaped, with its units counted. */
static void
put_char(struct tghtml *h, const unsigned char *s, size_t len, unsigned cp,
    int bad)
{
	switch (cp) {
	case '<': raw_str(h, "&lt;"); break;
	case '>': raw_str(h, "&gt;"); break;
	case '&': raw_str(h, "&amp;"); break;
	case '"': raw_str(h, "&quot;"); break;
	default:
		if (bad)
			raw_str(h, "\xef\xbf\xbd");
		else
			raw(h, (const char *)s, len);
	}
	h->units += utf16_of(cp);
}

void
tghtml_open(struct tghtml *h, const char *tag, const char *attr)
{
	if (h->depth == TGHTML_DEPTH) {
		h->failed = 1;
		return;
	}
	raw_str(h, "<");
	raw_str(h, tag);
	if (attr) {
		raw_str(h, " ");
		raw_str(h, attr);
	}
	raw_str(h, ">");
	h->open[h->depth++] = tag;
}

void
tghtml_open_link(struct tghtml *h, const char *href)
{
	const unsigned char *p = (const unsigned char *)href;
	size_t n = strlen(href), i = 0, units = h->units;

	if (h->depth == TGHTML_DEPTH) {
		h->failed = 1;
		return;
	}
	raw_str(h, "<a href=\"");
	while (i < n) {
		unsigned cp;
		int bad;
		size_t len = utf8_decode(p + i, n - i, &cp, &bad);

		if (!dropped(cp))
			put_char(h, p + i, len, cp, bad);
		i += len;
	}
	h->units = units;	/* the href is not visible text */
	raw_str(h, "\">");
	h->open[h->depth++] = "a";
}

void
tghtml_close(struct tghtml *h)
{
	if (h->depth == 0) {
		h->failed = 1;
		return;
	}
	h->depth--;
	raw_str(h, "</");
	raw_str(h, h->open[h->depth]);
	raw_str(h, ">");
}

void
tghtml_close_all(struct tghtml *h)
{
	while (h->depth > 0)
		tghtml_close(h);
}

int
tghtml_text(struct tghtml *h, const char *s, size_t n, size_t max_units)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, total = 0, room;
	unsigned cp;
	int bad;

	for (i = 0; i < n; ) {
		i += utf8_decode(p + i, n - i, &cp, &bad);
		if (!dropped(cp))
			total += utf16_of(cp);
	}
	if (total <= max_units) {
		room = total;
	} else if (max_units == 0) {
		return 1;
	} else {
		room = max_units - 1;	/* one unit for the ellipsis */
	}
	for (i = 0, total = 0; i < n; ) {
		size_t len = utf8_decode(p + i, n - i, &cp, &bad);

		if (!dropped(cp)) {
			if (total + utf16_of(cp) > room)
				break;
			total += utf16_of(cp);
			put_char(h, p + i, len, cp, bad);
		}
		i += len;
	}
	if (i < n) {
		raw_str(h, TGHTML_ELLIPSIS);
		h->units++;
		return 1;
	}
	return 0;
}

int
tghtml_puts(struct tghtml *h, const char *s)
{
	return tghtml_text(h, s, strlen(s), (size_t)-1);
}

int
tghtml_printf(struct tghtml *h, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		h->failed = 1;
		return 0;
	}
	if ((size_t)n >= sizeof small) {
		if ((big = malloc((size_t)n + 1)) == NULL) {
			h->failed = 1;
			return 0;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	r = tghtml_text(h, big ? big : small, (size_t)n, (size_t)-1);
	free(big);
	return r;
}

void
tghtml_rewind(struct tghtml *h, size_t len, size_t units)
{
	if (len > h->len || h->failed)
		return;
	h->len = len;
	h->units = units;
	if (h->buf)
		h->buf[len] = '\0';
}

char *
tghtml_finish(struct tghtml *h, size_t *len)
{
	char *out;

	tghtml_close_all(h);
	if (grow(h, 0) < 0) {
		tghtml_free(h);
		return NULL;
	}
	out = h->buf;
	out[h->len] = '\0';
	if (len)
		*len = h->len;
	h->buf = NULL;
	tghtml_free(h);
	return out;
}

/* Parsing Telegram HTML (shared by check, cut and plain) */

struct tag {
	char name[16];
	int has_href, has_expandable, spoiler, bad_attr;
	char href[2048];
	size_t href_len;
	char why[96];
};

static int
entity(const char *s, size_t n, unsigned *cp, size_t *len)
{
	static const struct { const char *name; unsigned cp; } named[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' },
	};
	size_t i;
	unsigned long v = 0;
	int hex, digits = 0;

	for (i = 0; i < sizeof named / sizeof named[0]; i++) {
		size_t l = strlen(named[i].name);

		if (n >= l && memcmp(s, named[i].name, l) == 0) {
			*cp = named[i].cp;
			*len = l;
			return 0;
		}
	}
	if (n < 3 || s[1] != '#')
		return -1;
	i = 2;
	hex = s[i] == 'x' || s[i] == 'X';
	if (hex)
		i++;
	for (; i < n && digits < 8; i++, digits++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * (hex ? 16 : 10) + (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			break;
	}
	if (digits == 0 || i >= n || s[i] != ';')
		return -1;
	if (v == 0 || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return -1;
	*cp = (unsigned)v;
	*len = i + 1;
	return 0;
}

/* Append the UTF-8 form of cp to out (at least 4 bytes of room). */
static size_t
utf8_encode(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || c == '-' || (c >= '0' && c <= '9');
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Parse the tag starting at s[0] == '<'.  Sets *closing, fills t, and
 * returns the tag's length; 0 with t->why set when it is not a tag
 * Telegram accepts.
 */
static size_t
parse_tag(const char *s, size_t n, int *closing, struct tag *t)
{
	size_t i = 1, nl = 0;

	memset(t, 0, sizeof *t);
	*closing = 0;
	if (i < n && s[i] == '/') {
		*closing = 1;
		i++;
	}
	while (i < n && is_name_char(s[i])) {
		if (nl + 1 >= sizeof t->name) {
			snprintf(t->why, sizeof t->why, "tag name too long");
			return 0;
		}
		t->name[nl++] = s[i++];
	}
	if (nl == 0) {
		snprintf(t->why, sizeof t->why, "\"<\" not starting a tag "
		    "(write &lt;)");
		return 0;
	}
	for (;;) {
		char an[32], q;
		size_t al = 0, vstart, vend;

		while (i < n && is_space(s[i]))
			i++;
		if (i >= n) {
			snprintf(t->why, sizeof t->why, "unterminated tag <%s",
			    t->name);
			return 0;
		}
		if (s[i] == '>')
			return i + 1;
		if (*closing) {
			snprintf(t->why, sizeof t->why, "junk in end tag </%s",
			    t->name);
			return 0;
		}
		while (i < n && is_name_char(s[i]) && al + 1 < sizeof an)
			an[al++] = s[i++];
		an[al] = '\0';
		if (al == 0) {
			snprintf(t->why, sizeof t->why, "bad attribute in <%s>",
			    t->name);
			return 0;
		}
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || s[i] != '=') {
			if (strcmp(an, "expandable") == 0) {
				t->has_expandable = 1;
				continue;
			}
			snprintf(t->why, sizeof t->why, "attribute %s without "
			    "value in <%s>", an, t->name);
			return 0;
		}
		i++;
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || (s[i] != '"' && s[i] != '\'')) {
			snprintf(t->why, sizeof t->why, "unquoted attribute "
			    "value in <%s>", t->name);
			return 0;
		}
		q = s[i++];
		vstart = i;
		while (i < n && s[i] != q && s[i] != '<')
			i++;
		if (i >= n || s[i] != q) {
			snprintf(t->why, sizeof t->why, "unterminated attribute "
			    "value in <%s>", t->name);
			return 0;
		}
		vend = i++;
		for (size_t k = vstart; k < vend; ) {
			unsigned cp;
			int bad;

			k += utf8_decode((const unsigned char *)s + k,
			    vend - k, &cp, &bad);
			if (bad || (cp < 0x20 && cp != '\t' && cp != '\n' &&
			    cp != '\r')) {
				snprintf(t->why, sizeof t->why, "%s in attribute "
				    "value in <%s>", bad ? "invalid UTF-8" :
				    "control character", t->name);
				return 0;
			}
		}
		if (strcmp(an, "href") == 0) {
			size_t k = vstart;

			t->has_href = 1;
			t->href_len = 0;
			while (k < vend) {
				unsigned cp;
				size_t el;

				if (s[k] == '&') {
					if (entity(s + k, vend - k, &cp, &el) < 0) {
						snprintf(t->why, sizeof t->why,
						    "unknown entity in href");
						return 0;
					}
					k += el;
				} else {
					cp = (unsigned char)s[k++];
					el = 1;
					if (cp >= 0x80) {	/* copy the byte */
						if (t->href_len + 1 < sizeof t->href)
							t->href[t->href_len++] = (char)cp;
						continue;
					}
				}
				if (t->href_len + 5 < sizeof t->href)
					t->href_len += utf8_encode(cp,
					    t->href + t->href_len);
			}
			t->href[t->href_len] = '\0';
		} else if (strcmp(an, "class") == 0) {
			size_t vl = vend - vstart;

			if (vl == 10 && memcmp(s + vstart, "tg-spoiler", 10) == 0)
				t->spoiler = 1;
			else if (!(vl > 9 &&
			    memcmp(s + vstart, "language-", 9) == 0))
				t->bad_attr = 1;
		} else if (strcmp(an, "emoji-id") == 0 &&
		    strcmp(t->name, "tg-emoji") == 0) {
			for (size_t k = vstart; k < vend; k++)
				if (s[k] < '0' || s[k] > '9')
					t->bad_attr = 1;
		} else {
			t->bad_attr = 1;
		}
	}
}

/* Is this start tag one Telegram accepts, with the attributes it needs? */
static int
tag_allowed(struct tag *t)
{
	static const char *plain[] = {
		"b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
		"tg-spoiler", "pre",
	};
	const char *nm = t->name;

	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		if (strcmp(nm, plain[i]) == 0)
			return !t->bad_attr && !t->has_href && !t->spoiler &&
			    !t->has_expandable;
	if (strcmp(nm, "span") == 0)
		return t->spoiler && !t->bad_attr && !t->has_href;
	if (strcmp(nm, "a") == 0)
		return t->has_href && t->href_len > 0 && !t->bad_attr &&
		    !t->spoiler && !t->has_expandable;
	if (strcmp(nm, "code") == 0)
		return !t->bad_attr && !t->has_href && !t->spoiler &&
		    !t->has_expandable;
	if (strcmp(nm, "blockquote") == 0)
		return !t->bad_attr && !t->has_href && !t->spoiler;
	if (strcmp(nm, "tg-emoji") == 0)
		return !t->bad_attr && !t->has_href;
	return 0;
}

int
tghtml_check(const char *html, size_t n, size_t *units, char *err,
    size_t errsize)
{
	const unsigned char *p = (const unsigned char *)html;
	char stack[CHECK_DEPTH][16];
	int depth = 0;
	size_t i = 0, count = 0;

#define FAIL(...) do { \
	char why_[160]; \
	snprintf(why_, sizeof why_, __VA_ARGS__); \
	snprintf(err, errsize, "byte %zu: %s", i, why_); \
	return -1; \
} while (0)

	while (i < n) {
		unsigned cp;
		int bad;
		size_t len;

		if (html[i] == '<') {
			struct tag t;
			int closing;

			if ((len = parse_tag(html + i, n - i, &closing, &t)) == 0)
				FAIL("%s", t.why);
			if (closing) {
				if (depth == 0)
					FAIL("end tag </%s> without start tag",
					    t.name);
				if (strcmp(stack[depth - 1], t.name) != 0)
					FAIL("end tag </%s>, expected </%s>",
					    t.name, stack[depth - 1]);
				depth--;
			} else {
				int in_code = 0, in_pre = 0;

				if (!tag_allowed(&t))
					FAIL("unsupported tag or attribute "
					    "<%s>", t.name);
				for (int k = 0; k < depth; k++) {
					if (strcmp(stack[k], t.name) == 0 &&
					    (strcmp(t.name, "a") == 0 ||
					    strcmp(t.name, "blockquote") == 0))
						FAIL("nested <%s>", t.name);
					if (strcmp(stack[k], "code") == 0)
						in_code = 1;
					if (strcmp(stack[k], "pre") == 0)
						in_pre = 1;
				}
				if (in_code || (in_pre && !(strcmp(t.name,
				    "code") == 0 && depth > 0 &&
				    strcmp(stack[depth - 1], "pre") == 0)))
					FAIL("<%s> inside <code>/<pre>", t.name);
				if (depth == CHECK_DEPTH)
					FAIL("tags nested too deep");
				snprintf(stack[depth++], 16, "%s", t.name);
			}
			i += len;
			continue;
		}
		if (html[i] == '&') {
			if (entity(html + i, n - i, &cp, &len) < 0)
				FAIL("\"&\" not starting a known entity "
				    "(write &amp;)");
			count += utf16_of(cp);
			i += len;
			continue;
		}
		len = utf8_decode(p + i, n - i, &cp, &bad);
		if (bad)
			FAIL("invalid UTF-8");
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
			FAIL("control character U+%04X", cp);
		count += utf16_of(cp);
		i += len;
	}
	if (depth > 0)
		FAIL("tag <%s> not closed", stack[depth - 1]);
#undef FAIL
	*units = count;
	return 0;
}

/* Cutting and plain rendering (input already checked) */

char *
tghtml_cut(const char *html, size_t n, size_t max_units, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)html;
	char stack[CHECK_DEPTH][16];
	int depth = 0, cut = 0;
	size_t i = 0, count = 0, total, room;
	struct tghtml h;
	char err[8];

	if (tghtml_check(html, n, &total, err, sizeof err) < 0)
		return NULL;
	room = total <= max_units ? total : max_units ? max_units - 1 : 0;
	while (i < n) {
		unsigned cp;
		int bad;
		size_t len;

		if (html[i] == '<') {
			struct tag t;
			int closing;

			len = parse_tag(html + i, n - i, &closing, &t);
			if (closing)
				depth--;
			else
				snprintf(stack[depth++], 16, "%s", t.name);
			i += len;
			continue;
		}
		if (html[i] == '&')
			entity(html + i, n - i, &cp, &len);
		else
			len = utf8_decode(p + i, n - i, &cp, &bad);
		if (count + utf16_of(cp) > room) {
			cut = 1;
			break;
		}
		count += utf16_of(cp);
		i += len;
	}
	tghtml_init(&h);
	raw(&h, html, i);
	if (cut && max_units > 0)
		raw_str(&h, TGHTML_ELLIPSIS);
	while (depth > 0) {
		raw_str(&h, "</");
		raw_str(&h, stack[--depth]);
		raw_str(&h, ">");
	}
	return tghtml_finish(&h, outlen);
}

char *
tghtml_plain(const char *html, size_t n)
{
	const unsigned char *p = (const unsigned char *)html;
	struct tghtml h;
	size_t i = 0, link_start = 0;
	char href[2048] = "";
	int quote = 0;

	tghtml_init(&h);
	while (i < n) {
		unsigned cp;
		int bad;
		size_t len;
		char enc[4];

		if (html[i] == '<') {
			struct tag t;
			int closing;

			len = parse_tag(html + i, n - i, &closing, &t);
			if (len == 0) {	/* not checked: show it as it is */
				raw(&h, "<", 1);
				i++;
				continue;
			}
			if (!closing && strcmp(t.name, "a") == 0) {
				snprintf(href, sizeof href, "%s", t.href);
				link_start = h.len;
			} else if (closing && strcmp(t.name, "a") == 0) {
				size_t tl = h.len - link_start;

				if (tl != strlen(href) ||
				    memcmp(h.buf + link_start, href, tl) != 0) {
					raw_str(&h, " <");
					raw_str(&h, href);
					raw_str(&h, ">");
				}
			} else if (strcmp(t.name, "blockquote") == 0) {
				quote = !closing;
				if (quote)
					raw_str(&h, "\xe2\x94\x82 ");
			}
			i += len;
			continue;
		}
		if (html[i] == '&' && entity(html + i, n - i, &cp, &len) == 0) {
			raw(&h, enc, utf8_encode(cp, enc));
			i += len;
			continue;
		}
		len = utf8_decode(p + i, n - i, &cp, &bad);
		raw(&h, html + i, len);
		if (cp == '\n' && quote)
			raw_str(&h, "\xe2\x94\x82 ");
		i += len;
	}
	return tghtml_finish(&h, NULL);
}
