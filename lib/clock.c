/* clock: RFC 3339 time, parsing and formatting, with a test override. */
#include "clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
clock_now_ms(void)
{
	const char *fixed = getenv("SENTRY_TG_NOW");
	struct timespec ts;
	int64_t ms;

	if (fixed && *fixed && clock_parse(fixed, &ms) == 0)
		return ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
parse_epoch(const char *s, int64_t *ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || errno || d < 0 || d > 1e11)
		return -1;
	*ms = (int64_t)(d * 1000.0 + 0.5);
	return 0;
}

int
clock_parse(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac_ms = 0, offset_min = 0;
	const char *p = s;

	if (s == NULL)
		return -1;
	if (strchr(s, '-') == NULL || (s[0] != '\0' && strlen(s) < 10))
		return parse_epoch(s, ms);
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (*p == '.' || *p == ',') {
			int scale = 100, n = 0;

			p++;
			while (isdigit((unsigned char)*p)) {
				frac_ms += (*p - '0') * scale;
				scale /= 10;
				p++, n++;
			}
			if (n == 0)
				return -1;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

			if (digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			offset_min = sign * (oh * 60 + om);
		}
	}
	if (*p != '\0')
		return -1;
	*ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
	    - offset_min * 60) * 1000) + frac_ms;
	return 0;
}

/*
 * Broken-down UTC by arithmetic, not gmtime_r(3): glibc's reads the time
 * zone files on first use, which would be most of the I/O of a process
 * started per connection (sentry-recv formats its Date header and the
 * record's "received" with this).  Days to civil date as in H. Hinnant's
 * "chrono-compatible low-level date algorithms".
 */
struct utc {
	int year, month, day, hour, min, sec, ms, wday;
};

static void
utc_of(int64_t ms, struct utc *u)
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rest = secs - days * 86400, era, z = days + 719468;
	unsigned doe, yoe, doy, mp;

	u->ms = (int)(ms - secs * 1000);
	u->hour = (int)(rest / 3600);
	u->min = (int)(rest / 60 % 60);
	u->sec = (int)(rest % 60);
	u->wday = (int)(((days % 7) + 11) % 7);	/* 1970-01-01: Thursday */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	u->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	u->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	u->year = (int)(yoe + era * 400 + (u->month <= 2));
}

char *
clock_format(int64_t ms, char *buf, size_t size)
{
	struct utc u;

	utc_of(ms, &u);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", u.year,
	    u.month, u.day, u.hour, u.min, u.sec, u.ms);
	return buf;
}

char *
clock_format_http(int64_t ms, char *buf, size_t size)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct utc u;

	utc_of(ms, &u);
	snprintf(buf, size, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
	    days + 3 * u.wday, u.day, months + 3 * (u.month - 1), u.year,
	    u.hour, u.min, u.sec);
	return buf;
}

char *
clock_format_tz(int64_t ms, const char *tz, const char *pattern,
    char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	char *saved = NULL;
	const char *old;
	struct tm tm;

	if (tz) {
		old = getenv("TZ");
		saved = old ? strdup(old) : NULL;
		setenv("TZ", tz, 1);
		tzset();
	}
	localtime_r(&t, &tm);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (strftime(buf, size, pattern, &tm) == 0 && size)
		buf[0] = '\0';
#pragma GCC diagnostic pop
	if (tz) {
		if (saved) {
			setenv("TZ", saved, 1);
			free(saved);
		} else {
			unsetenv("TZ");
		}
		tzset();
	}
	return buf;
}
