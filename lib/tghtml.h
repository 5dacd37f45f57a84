/*
 * tghtml: text for Telegram's HTML parse mode, the one place that knows
 * its rules.
 *
 * Telegram knows only the entities &lt; &gt; &amp; &quot; and numeric
 * ones, a fixed set of tags, and limits a message to 4096 UTF-16 code
 * units counted after parsing (tags removed, entities decoded).  This
 * module builds such text with tags always balanced, escapes untrusted
 * values, counts what Telegram counts, checks text as strictly as
 * Telegram does, cuts text to a length without ever splitting a tag, an
 * entity or a character, splits a text Telegram found too long into
 * parts, and renders text as plain text (for a terminal, or for a resend
 * Telegram could not parse).  One tokenizer and one walk over the open
 * tags serve check, cut, split and plain; UTF-8 is read by lib/bytes.
 *
 * Nothing here exits or prints.  Memory errors are sticky: a builder
 * that failed to grow reports it from tghtml_finish().
 */
#ifndef TGHTML_H
#define TGHTML_H

#include <stddef.h>

#define TGHTML_MAX_UNITS 4096	/* sendMessage text, after parsing */
#define TGHTML_DEPTH 8		/* deepest tag nesting the builder keeps */
#define TGHTML_ELLIPSIS "\xe2\x80\xa6"	/* U+2026, one UTF-16 unit */

/* A growing HTML text.  Zero it with tghtml_init(). */
struct tghtml {
	char *buf;
	size_t len, cap;
	size_t units;		/* visible UTF-16 units written so far */
	const char *open[TGHTML_DEPTH];
	int depth;
	int failed;		/* out of memory or misuse: text unusable */
};

void tghtml_init(struct tghtml *h);
void tghtml_free(struct tghtml *h);

/*
 * Open a tag (one of Telegram's, lower case, a string constant).  attr,
 * when not NULL, is written as is ("expandable", "class=\"tg-spoiler\"");
 * for <a>, tghtml_open_link() escapes the href.
 */
void tghtml_open(struct tghtml *h, const char *tag, const char *attr);
void tghtml_open_link(struct tghtml *h, const char *href);
void tghtml_close(struct tghtml *h);		/* the innermost open tag */
void tghtml_close_all(struct tghtml *h);

/*
 * Append untrusted text, escaped.  Invalid UTF-8 becomes U+FFFD, control
 * characters other than tab and newline are dropped.  When the text
 * needs more than max_units UTF-16 units it is cut at a character
 * boundary and "…" is added so the total stays within max_units.
 * Returns 1 when the text was cut, 0 when whole.
 */
int tghtml_text(struct tghtml *h, const char *s, size_t n, size_t max_units);
int tghtml_puts(struct tghtml *h, const char *s);	/* whole, no limit */
int tghtml_printf(struct tghtml *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Rewind to an earlier length (from h->len / h->units), dropping what
 * followed; the tags open at that point must be the ones open now. */
void tghtml_rewind(struct tghtml *h, size_t len, size_t units);

/*
 * Close every tag and hand over the text (NUL-terminated, the caller's to
 * free; *len its length).  NULL when the builder failed.  The builder is
 * left empty.
 */
char *tghtml_finish(struct tghtml *h, size_t *len);

/*
 * What Telegram counts: the UTF-16 length of UTF-8 text (an invalid byte
 * counts as U+FFFD would, one unit).
 */
size_t tghtml_utf16_units(const char *s, size_t n);

/*
 * Check HTML as strictly as Telegram's parser (and a little stricter):
 * valid UTF-8, no control characters but tab/newline/CR, only Telegram's
 * tags and attributes, properly nested and closed, "&" only in the four
 * named entities or a numeric one of a valid character, no nested
 * blockquotes or links, nothing inside <code>/<pre> but <code> in <pre>.
 * Returns 0 and sets *units (visible length) when valid; -1 and a
 * reason with a byte offset in err otherwise.
 */
int tghtml_check(const char *html, size_t n, size_t *units,
    char *err, size_t errsize);

/*
 * Cut valid HTML (tghtml_check() passed) to at most max_units visible
 * units: keeps a prefix ending between characters, entities and tags,
 * adds "…" when anything was dropped, and closes the tags still open.
 * Returns the new text (the caller's to free) or NULL on memory error.
 */
char *tghtml_cut(const char *html, size_t n, size_t max_units, size_t *outlen);

/*
 * Plain text: tags removed, &lt; &gt; &amp; &quot; and numeric entities
 * decoded.  Only tags with a name Telegram knows (in any case, whatever
 * their attributes, a quoted value read to its closing quote) are tags;
 * anything else, a "<module>" or an "&apos;", is kept as written.  The
 * caller frees the result; NULL when memory ran out.
 *   TGHTML_PLAIN_TERMINAL  for a terminal (sentry-fmt --preview): a link
 *     shows "text <url>" when the text is not the URL itself, blockquote
 *     lines are prefixed with "│ ".
 *   TGHTML_PLAIN_RESEND  the text tg-send sends without parse_mode after
 *     "can't parse entities": a link with a non-empty href shows "label
 *     (url)" when the label is not the URL itself.
 */
enum tghtml_plain {
	TGHTML_PLAIN_TERMINAL,
	TGHTML_PLAIN_RESEND
};
char *tghtml_plain(const char *html, size_t n, enum tghtml_plain style);

/*
 * Split text[0..n) into parts of at most limit units, at line ends
 * where possible, else at a space, else between characters (never inside
 * a tag, an entity or a character).  The measure is the raw text's: a
 * character counts its UTF-16 units, a tag or an entity its bytes, so a
 * part is never longer for Telegram than it is here.  With html set, tags
 * are read as tghtml_plain reads them, and the tags open at a cut are
 * closed at the end of the part and opened again at the start of the
 * next, so every part parses on its own; without it the text has no
 * markup.  Line ends ending a part are dropped; parts with nothing but
 * white space are left out.  0 with *parts (a malloc'd array of malloc'd
 * strings, freed with tghtml_parts_free) and *nparts set; -1 when limit
 * is too small to make progress (the tags to reopen and close leave no
 * room) or memory ran out.
 */
int tghtml_split(const char *text, size_t n, int html, size_t limit,
    char ***parts, size_t *nparts);
void tghtml_parts_free(char **parts, size_t nparts);

#endif
