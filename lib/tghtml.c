/*
 * tghtml: Telegram HTML text: building, escaping, counting, checking,
 * cutting, splitting and rendering as plain text.
 */
#include "tghtml.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

/*
 * One character at s (n > 0 bytes left): the bytes it takes.  A byte
 * that does not start a valid UTF-8 character takes one byte and reads
 * as U+FFFD with *bad set.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, unsigned *cp, int *bad)
{
	size_t len = bytes_utf8_decode(s, n, cp);

	*bad = len == 0;
	return len ? len : 1;
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

/*
 * Reading Telegram HTML: one tokenizer (lex) and one walk over its tokens
 * with the stack of open tags (take), in three readings:
 *
 *   MARKUP_CHECK  Telegram's parser, strictly: anything it would refuse
 *                 stops the walk with a reason (check, cut).
 *   MARKUP_KNOWN  what tg-send meets after Telegram has had its say: a
 *                 tag with a name Telegram knows (any case, whatever its
 *                 attributes) is a tag, an entity it decodes is an
 *                 entity, anything else is text ("<module>" from a
 *                 Python traceback, "&apos;") (plain, split).
 *   MARKUP_NONE   no markup at all: every character is text (split of
 *                 text sent without parse_mode).
 */

#define WALK_DEPTH 32	/* CHECK refuses deeper; KNOWN keeps more on the heap */

enum markup { MARKUP_CHECK, MARKUP_KNOWN, MARKUP_NONE };

static const char *const known_tags[] = {
	"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
	"tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji",
};

struct tag {
	char name[16];		/* lower case */
	int closing;
	int has_href, has_expandable, spoiler, bad_attr;
	size_t href_off, href_len;	/* the raw href value, from the '<' */
	char why[96];		/* the first thing Telegram would refuse */
};

enum token_kind { TOKEN_CHAR, TOKEN_ENTITY, TOKEN_TAG };

struct token {
	enum token_kind kind;
	size_t off, len;	/* in the text */
	unsigned cp;		/* CHAR, ENTITY: the character */
	int bad;		/* CHAR: a byte that is not UTF-8 (cp U+FFFD) */
	struct tag tag;		/* TAG */
	const char *why;	/* CHECK: why Telegram would refuse it, or NULL */
};

struct open_tag {
	size_t off, len;	/* the start tag in the text */
	char name[16];
};

/* Copied with walk_copy, freed with walk_free, never by assignment. */
struct walk {
	const char *s;
	size_t n, i;		/* the text; where the next token starts */
	enum markup markup;
	int depth;		/* tags open */
	int failed;		/* out of memory: the tag stack is unusable */
	size_t units;		/* visible UTF-16 units taken so far */
	size_t reopen, close;	/* bytes to open the open tags again, to close them */
	char err[200];		/* CHECK: "byte N: why" */
	struct open_tag open[WALK_DEPTH];	/* the outermost open tags */
	struct open_tag *deeper;	/* KNOWN: the ones past WALK_DEPTH */
	size_t deeper_cap;
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
		int d = hex ? bytes_hexval((unsigned char)s[i]) :
		    s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1;

		if (d < 0)
			break;
		v = v * (hex ? 16 : 10) + (unsigned)d;
	}
	if (digits == 0 || i >= n || s[i] != ';')
		return -1;
	if (v == 0 || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return -1;
	*cp = (unsigned)v;
	*len = i + 1;
	return 0;
}

/* Append s[0..n) to h with its entities decoded; a "&" that starts none
 * is kept as it is. */
static void
put_decoded(struct tghtml *h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; ) {
		unsigned cp;
		size_t len;
		char enc[4];

		if (s[i] == '&' && entity(s + i, n - i, &cp, &len) == 0) {
			raw(h, enc, bytes_utf8_encode(cp, enc));
			i += len;
		} else {
			raw(h, s + i, 1);
			i++;
		}
	}
}

/* Tag names are lower case; fold: upper case is read as lower case. */
static int
is_name_char(char c, int fold)
{
	return (c >= 'a' && c <= 'z') || c == '-' || (c >= '0' && c <= '9') ||
	    (fold && c >= 'A' && c <= 'Z');
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

#define REFUSE(t, ...) do { \
	if ((t)->why[0] == '\0') \
		snprintf((t)->why, sizeof (t)->why, __VA_ARGS__); \
} while (0)

/*
 * Read the tag starting at s[0] == '<' into t: its length, or 0 when no
 * end of a tag can be found there (t->why says why).  A tag with a fault
 * Telegram would refuse (an unknown attribute, one without a value, bad
 * bytes in a value) is still read to its end, with the first fault in
 * t->why.  lenient: names in any case (stored in lower case), and a
 * quoted value may hold a '<', as Telegram reads them; tghtml_check
 * refuses both.
 */
static size_t
parse_tag(const char *s, size_t n, int lenient, struct tag *t)
{
	size_t i = 1, nl = 0, name_end;

	memset(t, 0, sizeof *t);
	if (i < n && s[i] == '/') {
		t->closing = 1;
		i++;
	}
	while (i < n && is_name_char(s[i], lenient)) {
		if (nl + 1 >= sizeof t->name) {
			REFUSE(t, "tag name too long");
			return 0;
		}
		t->name[nl++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ?
		    s[i] - 'A' + 'a' : s[i]);
		i++;
	}
	if (nl == 0) {
		REFUSE(t, "\"<\" not starting a tag (write &lt;)");
		return 0;
	}
	name_end = i;
	for (;;) {
		char an[32], q;
		size_t al = 0, vstart, vend;

		while (i < n && is_space(s[i]))
			i++;
		if (i >= n) {
			REFUSE(t, "unterminated tag <%s", t->name);
			return 0;
		}
		if (s[i] == '>')
			return i + 1;
		if (t->closing) {
			REFUSE(t, "junk in end tag </%s", t->name);
			return 0;
		}
		while (i < n && is_name_char(s[i], 0) && al + 1 < sizeof an)
			an[al++] = s[i++];
		an[al] = '\0';
		if (al == 0) {
			REFUSE(t, "bad attribute in <%s>", t->name);
			if (s[i] == '<' || i == name_end)
				return 0;	/* another tag starts, or a bad name */
			t->bad_attr = 1;
			i++;
			continue;
		}
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || s[i] != '=') {
			if (strcmp(an, "expandable") == 0) {
				t->has_expandable = 1;
				continue;
			}
			REFUSE(t, "attribute %s without value in <%s>", an,
			    t->name);
			t->bad_attr = 1;
			continue;
		}
		i++;
		while (i < n && is_space(s[i]))
			i++;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			q = s[i++];
			vstart = i;
			while (i < n && s[i] != q && (lenient || s[i] != '<'))
				i++;
			if (i >= n || s[i] != q) {
				REFUSE(t, "unterminated attribute value in <%s>",
				    t->name);
				return 0;
			}
			vend = i++;
		} else {
			REFUSE(t, "unquoted attribute value in <%s>", t->name);
			vstart = i;
			while (i < n && !is_space(s[i]) && s[i] != '>')
				i++;
			vend = i;
		}
		for (size_t k = vstart; k < vend; ) {
			unsigned cp;
			int bad;

			k += utf8_decode((const unsigned char *)s + k,
			    vend - k, &cp, &bad);
			if (bad || (cp < 0x20 && cp != '\t' && cp != '\n' &&
			    cp != '\r'))
				REFUSE(t, "%s in attribute value in <%s>", bad ?
				    "invalid UTF-8" : "control character",
				    t->name);
		}
		if (strcmp(an, "href") == 0) {
			t->has_href = 1;
			t->href_off = vstart;
			t->href_len = vend - vstart;
			for (size_t k = vstart; k < vend; k++) {
				unsigned cp;
				size_t el;

				if (s[k] == '&' &&
				    entity(s + k, vend - k, &cp, &el) < 0)
					REFUSE(t, "unknown entity in href");
			}
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

#undef REFUSE

static int
known_tag(const char *name)
{
	for (size_t i = 0; i < sizeof known_tags / sizeof known_tags[0]; i++)
		if (strcmp(name, known_tags[i]) == 0)
			return 1;
	return 0;
}

/* Is this start tag one Telegram accepts, with the attributes it needs? */
static int
tag_allowed(const struct tag *t)
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

static void
walk_init(struct walk *w, const char *s, size_t n, enum markup markup)
{
	w->s = s;
	w->n = n;
	w->i = 0;
	w->markup = markup;
	w->depth = 0;
	w->deeper = NULL;
	w->deeper_cap = 0;
	w->failed = 0;
	w->units = 0;
	w->reopen = w->close = 0;
	w->err[0] = '\0';
}

static void
walk_free(struct walk *w)
{
	free(w->deeper);
	w->deeper = NULL;
	w->deeper_cap = 0;
}

/* The open tag k levels in (0: the outermost). */
static const struct open_tag *
tag_at(const struct walk *w, int k)
{
	return k < WALK_DEPTH ? &w->open[k] : &w->deeper[k - WALK_DEPTH];
}

/* Make dst (initialised) the same walk as src.  -1 when out of memory. */
static int
walk_copy(struct walk *dst, const struct walk *src)
{
	size_t more = src->depth > WALK_DEPTH ?
	    (size_t)(src->depth - WALK_DEPTH) : 0;

	if (more > dst->deeper_cap) {
		struct open_tag *d = realloc(dst->deeper, more * sizeof *d);

		if (d == NULL)
			return -1;
		dst->deeper = d;
		dst->deeper_cap = more;
	}
	memcpy(dst, src, offsetof(struct walk, open));
	memcpy(dst->open, src->open, (size_t)(src->depth < WALK_DEPTH ?
	    src->depth : WALK_DEPTH) * sizeof *dst->open);
	if (more)
		memcpy(dst->deeper, src->deeper, more * sizeof *dst->deeper);
	return 0;
}

/* The place for one more open tag, or NULL when out of memory. */
static struct open_tag *
walk_push(struct walk *w)
{
	size_t k;

	if (w->depth < WALK_DEPTH)
		return &w->open[w->depth++];
	k = (size_t)(w->depth - WALK_DEPTH);
	if (k == w->deeper_cap) {
		struct open_tag *d = realloc(w->deeper, 2 * (k + 8) * sizeof *d);

		if (d == NULL)
			return NULL;
		w->deeper = d;
		w->deeper_cap = 2 * (k + 8);
	}
	w->depth++;
	return &w->deeper[k];
}

/* The token at w->i (< w->n), read as w->markup says. */
static void
lex(const struct walk *w, struct token *t)
{
	const char *s = w->s + w->i;
	size_t n = w->n - w->i;

	t->off = w->i;
	t->why = NULL;
	t->bad = 0;
	if (w->markup != MARKUP_NONE && s[0] == '<') {
		int check = w->markup == MARKUP_CHECK;

		t->kind = TOKEN_TAG;
		t->len = parse_tag(s, n, !check, &t->tag);
		if (check && t->tag.why[0] != '\0')
			t->why = t->tag.why;
		if (check || (t->len > 0 && known_tag(t->tag.name)))
			return;
	} else if (w->markup != MARKUP_NONE && s[0] == '&') {
		t->kind = TOKEN_ENTITY;
		if (entity(s, n, &t->cp, &t->len) == 0)
			return;
		if (w->markup == MARKUP_CHECK) {
			t->why = "\"&\" not starting a known entity (write &amp;)";
			return;
		}
	}
	t->kind = TOKEN_CHAR;
	t->len = utf8_decode((const unsigned char *)s, n, &t->cp, &t->bad);
}

static int
refuse(struct walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
refuse(struct walk *w, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(w->err, sizeof w->err, "byte %zu: %s", w->i, why);
	return -1;
}

/* Under MARKUP_CHECK: may this start tag open here? */
static int
check_open(struct walk *w, const struct tag *t)
{
	int in_code = 0, in_pre = 0;

	if (!tag_allowed(t))
		return refuse(w, "unsupported tag or attribute <%s>", t->name);
	for (int k = 0; k < w->depth; k++) {
		const char *o = tag_at(w, k)->name;

		if (strcmp(o, t->name) == 0 && (strcmp(t->name, "a") == 0 ||
		    strcmp(t->name, "blockquote") == 0))
			return refuse(w, "nested <%s>", t->name);
		if (strcmp(o, "code") == 0)
			in_code = 1;
		if (strcmp(o, "pre") == 0)
			in_pre = 1;
	}
	if (in_code || (in_pre && !(strcmp(t->name, "code") == 0 &&
	    w->depth > 0 && strcmp(tag_at(w, w->depth - 1)->name, "pre") == 0)))
		return refuse(w, "<%s> inside <code>/<pre>", t->name);
	if (w->depth == WALK_DEPTH)
		return refuse(w, "tags nested too deep");
	return 0;
}

/*
 * Take the token lexed at w->i: the tag stack, the visible count and
 * w->i move past it.  Under MARKUP_CHECK, -1 with w->err set (w->i left
 * on the token) when Telegram would refuse it.  Under MARKUP_KNOWN an end
 * tag closes the innermost open tag when the names match and is passed
 * over otherwise, as Telegram has accepted the text already or will not.
 */
static int
take(struct walk *w, const struct token *t)
{
	int check = w->markup == MARKUP_CHECK;

	if (t->why)
		return refuse(w, "%s", t->why);
	if (t->kind == TOKEN_TAG && t->tag.closing) {
		const char *top = w->depth > 0 ?
		    tag_at(w, w->depth - 1)->name : NULL;

		if (check && top == NULL)
			return refuse(w, "end tag </%s> without start tag",
			    t->tag.name);
		if (check && strcmp(top, t->tag.name) != 0)
			return refuse(w, "end tag </%s>, expected </%s>",
			    t->tag.name, top);
		if (top && strcmp(top, t->tag.name) == 0) {
			w->depth--;
			w->reopen -= tag_at(w, w->depth)->len;
			w->close -= strlen(top) + 3;
		}
	} else if (t->kind == TOKEN_TAG) {
		struct open_tag *o;

		if (check && check_open(w, &t->tag) < 0)
			return -1;
		if ((o = walk_push(w)) == NULL) {
			w->failed = 1;
		} else {
			o->off = t->off;
			o->len = t->len;
			memcpy(o->name, t->tag.name, sizeof o->name);
			w->reopen += t->len;
			w->close += strlen(o->name) + 3;
		}
	} else {
		if (check && t->bad)
			return refuse(w, "invalid UTF-8");
		if (check && t->cp < 0x20 && t->cp != '\t' && t->cp != '\n' &&
		    t->cp != '\r')
			return refuse(w, "control character U+%04X", t->cp);
		w->units += utf16_of(t->cp);
	}
	w->i += t->len;
	return 0;
}

/* Close the tags open in w, innermost first. */
static void
put_end_tags(struct tghtml *h, const struct walk *w)
{
	for (int k = w->depth; k-- > 0; ) {
		raw_str(h, "</");
		raw_str(h, tag_at(w, k)->name);
		raw_str(h, ">");
	}
}

int
tghtml_check(const char *html, size_t n, size_t *units, char *err,
    size_t errsize)
{
	struct walk w;
	struct token t;

	walk_init(&w, html, n, MARKUP_CHECK);
	while (w.i < n) {
		lex(&w, &t);
		if (take(&w, &t) < 0) {
			snprintf(err, errsize, "%s", w.err);
			return -1;
		}
	}
	if (w.depth > 0) {
		refuse(&w, "tag <%s> not closed", tag_at(&w, w.depth - 1)->name);
		snprintf(err, errsize, "%s", w.err);
		return -1;
	}
	*units = w.units;
	return 0;
}

char *
tghtml_cut(const char *html, size_t n, size_t max_units, size_t *outlen)
{
	struct walk w;
	struct token t;
	struct tghtml h;
	size_t total, room;
	int cut = 0;
	char err[8];

	if (tghtml_check(html, n, &total, err, sizeof err) < 0)
		return NULL;
	room = total <= max_units ? total : max_units ? max_units - 1 : 0;
	walk_init(&w, html, n, MARKUP_CHECK);
	while (w.i < n) {
		lex(&w, &t);
		if (t.kind != TOKEN_TAG && w.units + utf16_of(t.cp) > room) {
			cut = 1;
			break;
		}
		take(&w, &t);
	}
	tghtml_init(&h);
	raw(&h, html, w.i);
	if (cut && max_units > 0)
		raw_str(&h, TGHTML_ELLIPSIS);
	put_end_tags(&h, &w);
	return tghtml_finish(&h, outlen);
}

char *
tghtml_plain(const char *html, size_t n, enum tghtml_plain style)
{
	int terminal = style == TGHTML_PLAIN_TERMINAL;
	struct walk w;
	struct token t;
	struct tghtml h, href;
	size_t label = 0;
	int link = 0, quote = 0;

	tghtml_init(&h);
	tghtml_init(&href);
	walk_init(&w, html, n, MARKUP_KNOWN);
	while (w.i < n) {
		const char *name;

		lex(&w, &t);
		name = t.tag.name;	/* meaningful for a TOKEN_TAG only */
		if (t.kind == TOKEN_TAG && strcmp(name, "a") == 0 &&
		    !t.tag.closing) {
			tghtml_rewind(&href, 0, 0);
			put_decoded(&href, html + w.i + t.tag.href_off,
			    t.tag.href_len);
			link = terminal || t.tag.has_href;
			label = h.len;
		} else if (t.kind == TOKEN_TAG && strcmp(name, "a") == 0) {
			size_t tl = h.len - label;

			if (link && (terminal || href.len > 0) &&
			    !(tl == href.len && (tl == 0 ||
			    memcmp(h.buf + label, href.buf, tl) == 0))) {
				raw_str(&h, terminal ? " <" : " (");
				raw(&h, href.buf, href.len);
				raw_str(&h, terminal ? ">" : ")");
			}
			link = 0;
		} else if (t.kind == TOKEN_TAG) {
			if (terminal && strcmp(name, "blockquote") == 0) {
				quote = !t.tag.closing;
				if (quote)
					raw_str(&h, "\xe2\x94\x82 ");
			}
		} else if (t.kind == TOKEN_ENTITY) {
			char enc[4];

			raw(&h, enc, bytes_utf8_encode(t.cp, enc));
		} else {
			raw(&h, html + w.i, t.len);
			if (terminal && quote && t.cp == '\n')
				raw_str(&h, "\xe2\x94\x82 ");
		}
		take(&w, &t);
	}
	if (href.failed || w.failed)
		h.failed = 1;
	tghtml_free(&href);
	walk_free(&w);
	return tghtml_finish(&h, NULL);
}

/* Splitting */

/* A split's place in the text: the walk there, and whether the part that
 * ends there holds anything but white space. */
struct split_at {
	struct walk w;
	int visible;
};

/* Append the part from start to end: the tags open at start opened
 * again, the text without its trailing line ends, the tags open at end
 * closed.  A part with nothing visible is left out. */
static int
add_part(char ***parts, size_t *nparts, const struct walk *start,
    const struct split_at *end)
{
	const char *s = start->s;
	size_t from = start->i, to = end->w.i;
	struct tghtml h;
	char *part, **np;

	if (!end->visible)
		return 0;
	while (to > from && (s[to - 1] == '\n' || s[to - 1] == '\r'))
		to--;
	tghtml_init(&h);
	for (int k = 0; k < start->depth; k++)
		raw(&h, s + tag_at(start, k)->off, tag_at(start, k)->len);
	raw(&h, s + from, to - from);
	put_end_tags(&h, &end->w);
	if ((part = tghtml_finish(&h, NULL)) == NULL)
		return -1;
	if ((np = realloc(*parts, (*nparts + 1) * sizeof *np)) == NULL) {
		free(part);
		return -1;
	}
	*parts = np;
	(*parts)[(*nparts)++] = part;
	return 0;
}

void
tghtml_parts_free(char **parts, size_t nparts)
{
	for (size_t i = 0; i < nparts; i++)
		free(parts[i]);
	free(parts);
}

/* What the walk's end tags would take once t is taken. */
static size_t
close_after(const struct walk *w, const struct token *t)
{
	if (t->kind != TOKEN_TAG)
		return w->close;
	if (!t->tag.closing)
		return w->close + strlen(t->tag.name) + 3;
	if (w->depth > 0 && strcmp(tag_at(w, w->depth - 1)->name,
	    t->tag.name) == 0)
		return w->close - (strlen(t->tag.name) + 3);
	return w->close;
}

static int
is_blank(unsigned cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\v' ||
	    cp == '\f' || cp == '\r';
}

int
tghtml_split(const char *text, size_t n, int html, size_t limit,
    char ***parts, size_t *nparts)
{
	struct split_at start, run, at_nl, at_sp;
	int rc = -1;

	*parts = NULL;
	*nparts = 0;
	walk_init(&start.w, text, n, html ? MARKUP_KNOWN : MARKUP_NONE);
	walk_init(&run.w, text, n, start.w.markup);
	walk_init(&at_nl.w, text, n, start.w.markup);
	walk_init(&at_sp.w, text, n, start.w.markup);
	while (start.w.i < n) {
		/* Measured raw, as sent: tags and entities by their bytes. */
		size_t units = start.w.reopen;
		struct split_at *end;
		int nl = 0, sp = 0;

		if (walk_copy(&run.w, &start.w) < 0)
			goto out;
		run.visible = 0;
		while (run.w.i < n) {
			struct token t;
			size_t cost;

			lex(&run.w, &t);
			cost = t.kind == TOKEN_CHAR ? utf16_of(t.cp) : t.len;
			if (units + cost + close_after(&run.w, &t) > limit)
				break;
			units += cost;
			take(&run.w, &t);
			if (run.w.failed)
				goto out;
			if (t.kind == TOKEN_ENTITY ||
			    (t.kind == TOKEN_CHAR && !is_blank(t.cp)))
				run.visible = 1;
			if (t.kind == TOKEN_CHAR && t.cp == '\n') {
				if (walk_copy(&at_nl.w, &run.w) < 0)
					goto out;
				at_nl.visible = run.visible;
				nl = 1;
			} else if (t.kind == TOKEN_CHAR && t.cp == ' ') {
				if (walk_copy(&at_sp.w, &run.w) < 0)
					goto out;
				at_sp.visible = run.visible;
				sp = 1;
			}
		}
		end = run.w.i == n ? &run : nl ? &at_nl : sp ? &at_sp : &run;
		if (end->w.i == start.w.i)
			goto out;	/* not even one token fits */
		if (add_part(parts, nparts, &start.w, end) < 0 ||
		    walk_copy(&start.w, &end->w) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		tghtml_parts_free(*parts, *nparts);
		*parts = NULL;
		*nparts = 0;
	}
	walk_free(&start.w);
	walk_free(&run.w);
	walk_free(&at_nl.w);
	walk_free(&at_sp.w);
	return rc;
}
