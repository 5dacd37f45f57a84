/*
 * fmt: an alert or digest record -> the Telegram sendMessage request.
 *
 * Pure functions of the record and the options (no I/O, no exits), so
 * tests and fuzzers can call them directly.  The layout is the one of
 * the original setup guide ("🚨 SENTRY ALERT", "❌ type", value,
 * "📍 Location", "🔗 View in Sentry", Environment, Release, First Seen),
 * with a header per kind.  Every value from the record is escaped, and
 * the text is kept within Telegram's 4096 UTF-16 units by trimming the
 * stack trace first, then the message body, then the tail.
 *
 * Records are borrowed (const jv *); returned jv values are the caller's.
 */
#ifndef FMT_H
#define FMT_H

#include <jv.h>
#include <stddef.h>

enum {
	FMT_FATAL = 1, FMT_ERROR = 2, FMT_WARNING = 4, FMT_INFO = 8,
	FMT_DEBUG = 16
};

struct fmt_opts {
	const char *tz;		/* zone for dates (IANA name); NULL = UTC */
	const char *chat;	/* chat when the route names none; or NULL */
	const char *const *tags;	/* tag keys to show, NULL-terminated */
	int all_tags;		/* show every tag (up to a limit) */
	unsigned silent;	/* FMT_* levels sent without notification */
};

/* Parse a comma-separated list of level names into FMT_* bits.
 * 0 ok, -1 when a name is unknown. */
int fmt_levels(const char *list, unsigned *bits);

/* Is text a chat id Telegram takes ("-100123", "@channelname")? */
int fmt_chat_valid(const char *chat);

/* May url be a link and a URL button: http(s), a host with a dot, no
 * spaces, quotes or control characters, at most 2048 bytes. */
int fmt_linkable(const char *url);

/* Does rec carry something to format ("alert" or "digest", and not a
 * kind that is never messaged)?  Others pass through untouched. */
int fmt_wants(const jv *rec);

/*
 * The default HTML text for rec.  Returns it (the caller frees; *len set)
 * or NULL with a reason in err when the record cannot be formatted.
 * The text always passes tghtml_check() within TGHTML_MAX_UNITS.
 */
char *fmt_text(const struct fmt_opts *o, const jv *rec, size_t *len,
    char *err, size_t errsize);

/*
 * The "telegram" object around text (already valid HTML): chat, topic,
 * silence, link previews off, and the "Open in Sentry" button when the
 * alert's URL is linkable.  jv_invalid_with_msg() when the chat id the
 * record names is not one.
 */
jv fmt_telegram(const struct fmt_opts *o, const jv *rec, const char *text);

/*
 * What a custom template sees: rec with "fmt" added: {"text": the
 * default text, "first_seen", "last_seen", "timestamp": dates formatted
 * in the zone, "tz", "linkable": whether alert.url may be a link}.
 */
jv fmt_template_input(const struct fmt_opts *o, const jv *rec,
    const char *default_text);

/* A time (RFC 3339 or epoch) as "2025-11-15 16:28:23" in o->tz; the
 * text itself when it does not parse.  buf needs 64 bytes. */
const char *fmt_date(const struct fmt_opts *o, const char *when,
    char *buf, size_t size);

#endif
