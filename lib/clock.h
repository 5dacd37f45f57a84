/*
 * clock: time as the suite sees it.  Milliseconds since the epoch, UTC.
 *
 * Sentry writes times as RFC 3339 with 0, 3 or 6 fractional digits, with
 * "Z" or an offset, and the legacy plugin sometimes as epoch seconds; all
 * parse here.  SENTRY_TG_NOW (RFC 3339 or epoch seconds) fixes "now" for
 * tests and replays.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Now, in ms since the epoch (SENTRY_TG_NOW if set and valid). */
int64_t clock_now_ms(void);

/* Monotonic ms, for deadlines and pacing (never SENTRY_TG_NOW). */
int64_t clock_mono_ms(void);

/* Parse RFC 3339 / ISO 8601 ("2019-08-19T21:06:17.677000Z", "+02:00",
 * a space for T, no zone = UTC) or epoch seconds ("1566248777.5").
 * 0 and *ms set, -1 when the text is not a time. */
int clock_parse(const char *text, int64_t *ms);

/*
 * "2026-11-29T08:27:41.123Z": buf needs CLOCK_RFC3339_SIZE bytes.  By
 * arithmetic, never gmtime_r(3) or a time zone file: cheap enough for a
 * process started per connection.  Returns buf.
 */
#define CLOCK_RFC3339_SIZE 32
char *clock_format(int64_t ms, char *buf, size_t size);

/* "Sun, 29 Nov 2026 08:27:41 GMT", HTTP's Date (RFC 9110 IMF-fixdate),
 * the same way.  Returns buf. */
#define CLOCK_HTTP_SIZE 32
char *clock_format_http(int64_t ms, char *buf, size_t size);

/*
 * Format ms as local time in the zone named tz (an IANA name such as
 * "Europe/Moscow", "UTC", or NULL for TZ/the system zone) with a
 * strftime pattern.  Returns buf.
 */
char *clock_format_tz(int64_t ms, const char *tz, const char *pattern,
    char *buf, size_t size);

#endif
