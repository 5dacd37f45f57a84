/* alert: normalise every Sentry webhook payload into the "alert" view. */
#include "alert.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "bytes.h"
#include "jvx.h"

#define DEFAULT_SENTRY_URL "https://sentry.io"
#define MAX_SAFE_INTEGER 9007199254740992.0	/* 2^53 */
#define ELLIPSIS "\xe2\x80\xa6"

/* ---- parsing ---- */

/* The code unit of "\uXXXX" at p (6 bytes available), or -1. */
static long
escape_at(const char *p)
{
	long cp = 0;

	if (p[0] != '\\' || p[1] != 'u')
		return -1;
	for (int i = 2; i < 6; i++) {
		int d = bytes_hexval((unsigned char)p[i]);

		if (d < 0)
			return -1;
		cp = cp << 4 | d;
	}
	return cp;
}

jv
alert_parse(const char *body, size_t len)
{
	int repaired;

	return alert_parse_repaired(body, len, &repaired);
}

jv
alert_parse_repaired(const char *body, size_t len, int *repaired)
{
	char *copy = NULL;
	const char *text = body;
	jv v;

	*repaired = 0;

	if (len == 0)
		return jv_invalid_with_msg(jv_string("empty body"));
	if (len > INT_MAX)
		return jv_invalid_with_msg(jv_string("body too large"));
	if (!bytes_utf8_valid(body, len))
		return jv_invalid_with_msg(jv_string("body is not valid UTF-8"));
	/*
	 * libjq 1.6 fails the whole document on a high surrogate escape
	 * that no low surrogate follows.  Replace such escapes by \ufffd
	 * (same length) in a copy; a backslash pair is skipped whole so
	 * "\\ud83d" (an escaped backslash) is left alone.
	 */
	for (size_t i = 0; i + 6 <= len; i++) {
		long cp;

		if (body[i] != '\\')
			continue;
		if ((cp = escape_at(body + i)) < 0) {
			i++;	/* \\, \" ...: skip the escaped byte */
			continue;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			long lo = i + 12 <= len ? escape_at(body + i + 6) : -1;

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				i += 11;
				continue;
			}
			if (copy == NULL) {
				if ((copy = malloc(len)) == NULL)
					return jv_invalid_with_msg(
					    jv_string("out of memory"));
				memcpy(copy, body, len);
				text = copy;
				*repaired = 1;
			}
			memcpy(copy + i, "\\ufffd", 6);
		}
		i += 5;
	}
	v = jvx_parse(text, len);
	free(copy);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		char why[200];

		snprintf(why, sizeof why, "body is not JSON (%s)",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg)
		    : "invalid");
		jv_free(msg);
		return jv_invalid_with_msg(jv_string(why));
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return jv_invalid_with_msg(
		    jv_string("body is not a JSON object"));
	}
	return v;
}

/* ---- small helpers over the view being built ---- */

/* Set a[k] = v unless a already has k: the first source wins. */
static void
set(jv *a, const char *k, jv v)
{
	if (!jv_is_valid(v))
		return;
	if (jv_object_has(jv_copy(*a), jv_string(k))) {
		jv_free(v);
		return;
	}
	*a = jv_object_set(*a, jv_string(k), v);
}

static int
has(const jv *a, const char *k)
{
	return jv_object_has(jv_copy(*a), jv_string(k));
}

/* s cut to at most max bytes on a UTF-8 boundary, "..." marking a cut. */
static jv
cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return jv_string_sized(s, (int)n);
	n = max - (sizeof ELLIPSIS - 1);
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return jv_string_append_str(jv_string_sized(s, (int)n), ELLIPSIS);
}

/* A non-empty string at path, or NULL. */
static const char *
str(const jv *root, const char *path)
{
	const char *s = jvx_str(root, path);

	return s && *s ? s : NULL;
}

/* The first non-empty string among the paths (NULL-terminated). */
static const char *
first(const jv *root, ...)
{
	const char *path, *s = NULL;
	va_list ap;

	va_start(ap, root);
	while (s == NULL && (path = va_arg(ap, const char *)) != NULL)
		s = str(root, path);
	va_end(ap);
	return s;
}

static void
put_text(jv *a, const char *k, const char *s, size_t max)
{
	if (s && *s)
		set(a, k, cut(s, max));
}

/* A number (or numeric string: Sentry sends "count":"3"). */
static void
put_number(jv *a, const char *k, const jv *root, const char *path)
{
	double d;

	if (jvx_num(root, path, 1, &d))
		set(a, k, jv_number(d));
}

/*
 * The digits of the integer literal that follows "key": in the raw body,
 * when they stand for d: libjq 1.6 parses numbers into doubles, so an id
 * above 2^53 has lost digits by the time it is a jv.
 */
static int
raw_digits(const struct alert_input *in, const char *key, double d,
    char *buf, size_t size)
{
	char needle[80];
	const char *p, *end;
	size_t nlen;

	if (in == NULL || in->body == NULL)
		return 0;
	nlen = (size_t)snprintf(needle, sizeof needle, "\"%s\"", key);
	if (nlen >= sizeof needle)
		return 0;
	p = in->body;
	end = in->body + in->body_len;
	while ((p = memmem(p, (size_t)(end - p), needle, nlen)) != NULL) {
		const char *q = p + nlen, *digits;
		size_t n;

		p += nlen;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' ||
		    *q == '\r'))
			q++;
		if (q == end || *q++ != ':')
			continue;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' ||
		    *q == '\r'))
			q++;
		digits = q;
		if (q < end && *q == '-')
			q++;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		n = (size_t)(q - digits);
		if (n == 0 || n >= size || (q < end && (*q == '.' ||
		    *q == 'e' || *q == 'E')))
			continue;
		memcpy(buf, digits, n);
		buf[n] = '\0';
		if (strtod(buf, NULL) == d)
			return 1;
	}
	return 0;
}

/* An id as a string: strings as they are, numbers without losing digits. */
static void
put_id(jv *a, const char *k, const jv *root, const char *path,
    const struct alert_input *in)
{
	jv v = jvx_at(root, path);
	char buf[64];

	if (jv_get_kind(v) == JV_KIND_STRING) {
		put_text(a, k, jv_string_value(v), 128);
	} else if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		const char *key = strrchr(path, '.');

		key = key ? key + 1 : path;
		if (isfinite(d) && d == floor(d) && fabs(d) < 1e20) {
			/* Above 2^53 the double may not be the id Sentry
			 * sent: take its digits from the body if they are
			 * there (else the nearest double, documented). */
			if (fabs(d) < MAX_SAFE_INTEGER ||
			    !raw_digits(in, key, d, buf, sizeof buf))
				snprintf(buf, sizeof buf, "%.0f", d);
			set(a, k, jv_string(buf));
		}
	}
	jv_free(v);
}

/* A time (RFC 3339 text or epoch seconds) in ms: 1, or 0 when absent. */
static int
time_at(const jv *root, const char *path, double *ms)
{
	jv v = jvx_at(root, path);
	int64_t t;
	int ok = 0;

	if (jv_get_kind(v) == JV_KIND_STRING &&
	    clock_parse(jv_string_value(v), &t) == 0) {
		*ms = (double)t;
		ok = 1;
	} else if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);

		/* Epoch seconds, year 1970 to 5138. */
		if (isfinite(d) && d >= 0 && d < 1e11) {
			*ms = d * 1000.0;
			ok = 1;
		}
	}
	jv_free(v);
	return ok;
}

static void
put_time(jv *a, const char *k, const jv *root, const char *path)
{
	char buf[CLOCK_RFC3339_SIZE];
	double ms;

	if (time_at(root, path, &ms))
		set(a, k, jv_string(clock_format((int64_t)llround(ms), buf,
		    sizeof buf)));
}

/* Sentry's levels, and the spellings SDKs use for them. */
static const char *
level_name(const char *s)
{
	static const struct { const char *in, *out; } map[] = {
		{ "fatal", "fatal" }, { "critical", "fatal" },
		{ "error", "error" }, { "err", "error" },
		{ "warning", "warning" }, { "warn", "warning" },
		{ "info", "info" }, { "log", "info" },
		{ "debug", "debug" }, { "sample", "info" },
	};

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(s, map[i].in) == 0)
			return map[i].out;
	return NULL;
}

static void
put_level(jv *a, const char *s)
{
	if ((s = level_name(s)) != NULL)
		set(a, "level", jv_string(s));
}

/* ---- tags ---- */

/* A tag value as text: strings, numbers, booleans. */
static jv
tag_value(jv v)
{
	jv out = jv_invalid();
	char buf[64];

	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		out = cut(jv_string_value(v), ALERT_TAG_VALUE_MAX);
		break;
	case JV_KIND_NUMBER:
		snprintf(buf, sizeof buf, "%.17g", jv_number_value(v));
		out = jv_string(buf);
		break;
	case JV_KIND_TRUE:
		out = jv_string("true");
		break;
	case JV_KIND_FALSE:
		out = jv_string("false");
		break;
	default:
		break;
	}
	jv_free(v);
	return out;
}

static jv
tag_add(jv tags, int *n, jv key, jv value)
{
	if (*n < ALERT_TAGS_MAX && jv_get_kind(key) == JV_KIND_STRING &&
	    jv_string_length_bytes(jv_copy(key)) > 0) {
		value = tag_value(value);
		if (jv_is_valid(value)) {
			tags = jv_object_set(tags,
			    cut(jv_string_value(key), 64), value);
			(*n)++;
		}
	} else {
		jv_free(value);
	}
	jv_free(key);
	return tags;
}

/* Tags as an object: [[key, value], ...] (events), [{key, value}, ...]
 * (the API) or already {key: value}. */
static void
put_tags(jv *a, const jv *root, const char *path)
{
	jv src = jvx_at(root, path), tags = jv_object();
	int n = 0;

	if (jv_get_kind(src) == JV_KIND_ARRAY) {
		jv_array_foreach(src, i, item) {
			if (jv_get_kind(item) == JV_KIND_ARRAY &&
			    jv_array_length(jv_copy(item)) >= 2)
				tags = tag_add(tags, &n,
				    jv_array_get(jv_copy(item), 0),
				    jv_array_get(jv_copy(item), 1));
			else if (jv_get_kind(item) == JV_KIND_OBJECT)
				tags = tag_add(tags, &n, jvx_get(&item, "key"),
				    jvx_get(&item, "value"));
			jv_free(item);
		}
	} else if (jv_get_kind(src) == JV_KIND_OBJECT) {
		jv_object_foreach(src, key, value)
			tags = tag_add(tags, &n, key, value);
	}
	jv_free(src);
	if (n > 0)
		set(a, "tags", tags);
	else
		jv_free(tags);
}

/* ---- stack frames ---- */

static jv
frame_view(const jv *f)
{
	jv out = jv_object();
	const char *file = first(f, "filename", "abs_path", "module",
	    "package", NULL);
	const char *fn = first(f, "function", "raw_function", "symbol", NULL);
	double line;

	put_text(&out, "file", file, 256);
	if (jvx_num(f, "lineno", 0, &line))
		out = jv_object_set(out, jv_string("line"), jv_number(line));
	put_text(&out, "function", fn, 256);
	out = jv_object_set(out, jv_string("in_app"),
	    jv_bool(jvx_bool(f, "in_app") == 1));
	return out;
}

/*
 * Frames come oldest first: the crash site is the LAST in-app frame
 * (the last frame when none is in-app).  Keep the innermost 50.
 */
static void
put_frames(jv *a, const jv *frames)
{
	int len = jv_array_length(jv_copy(*frames));
	int start = len > ALERT_FRAMES_MAX ? len - ALERT_FRAMES_MAX : 0;
	jv stack = jv_array(), in_app = jv_invalid(), last = jv_invalid();

	for (int i = 0; i < len; i++) {
		jv f = jv_array_get(jv_copy(*frames), i), view;

		if (jv_get_kind(f) != JV_KIND_OBJECT) {
			jv_free(f);
			continue;
		}
		view = frame_view(&f);
		jv_free(f);
		if (jvx_bool(&view, "in_app") == 1) {
			jv_free(in_app);
			in_app = jv_copy(view);
		}
		jv_free(last);
		last = jv_copy(view);
		if (i >= start)
			stack = jv_array_append(stack, view);
		else
			jv_free(view);
	}
	if (jv_is_valid(in_app)) {
		jv_free(last);
		last = in_app;
	}
	if (jv_is_valid(last))
		set(a, "location", jv_object_delete(last, jv_string("in_app")));
	if (jv_array_length(jv_copy(stack)) > 0)
		set(a, "stacktrace", stack);
	else
		jv_free(stack);
}

/* The last entry of list (an array) whose stacktrace has frames. */
static jv
last_with_frames(jv list, const char *crashed_only)
{
	int n = jv_get_kind(list) == JV_KIND_ARRAY ?
	    jv_array_length(jv_copy(list)) : 0;
	jv frames = jv_invalid();

	for (int i = n - 1; i >= 0 && !jv_is_valid(frames); i--) {
		jv e = jv_array_get(jv_copy(list), i);

		if (crashed_only == NULL || jvx_bool(&e, crashed_only) == 1) {
			frames = jvx_at(&e, "stacktrace.frames");
			if (jv_get_kind(frames) != JV_KIND_ARRAY ||
			    jv_array_length(jv_copy(frames)) == 0) {
				jv_free(frames);
				frames = jv_invalid();
			}
		}
		jv_free(e);
	}
	jv_free(list);
	return frames;
}

/* The frames of an event: the last exception that has any, else the
 * event's own stacktrace, else the crashed (or last) thread's. */
static jv
event_frames(const jv *ev)
{
	jv frames = last_with_frames(jvx_at(ev, "exception.values"), NULL);

	if (!jv_is_valid(frames))	/* old events: "exception": [...] */
		frames = last_with_frames(jvx_at(ev, "exception"), NULL);
	if (!jv_is_valid(frames)) {
		frames = jvx_at(ev, "stacktrace.frames");
		if (jv_get_kind(frames) != JV_KIND_ARRAY) {
			jv_free(frames);
			frames = jv_invalid();
		}
	}
	if (!jv_is_valid(frames))
		frames = last_with_frames(jvx_at(ev, "threads.values"),
		    "crashed");
	if (!jv_is_valid(frames))
		frames = last_with_frames(jvx_at(ev, "threads.values"), NULL);
	return frames;
}

/* ---- the pieces every kind shares ---- */

/* The value of tag key in an event's tags ([k, v] pairs or an object). */
static const char *
tag_str(const jv *ev, const char *key)
{
	jv tags = jvx_get(ev, "tags");
	const char *s = NULL;

	if (jv_get_kind(tags) == JV_KIND_ARRAY) {
		jv_array_foreach(tags, i, item) {
			const char *k = jvx_str(&item, "0");

			if (s == NULL && k && strcmp(k, key) == 0)
				s = jvx_str(&item, "1");	/* held by ev */
			jv_free(item);
		}
	} else if (jv_get_kind(tags) == JV_KIND_OBJECT) {
		s = jvx_str(&tags, key);
	}
	jv_free(tags);
	return s;
}

/* The project slug in ".../projects/<org>/<slug>/..." (an API url). */
static void
put_project_from_url(jv *a, const char *url)
{
	const char *p, *slug, *end;

	if (url == NULL || (p = strstr(url, "/projects/")) == NULL)
		return;
	p += strlen("/projects/");
	if ((slug = strchr(p, '/')) == NULL)
		return;
	slug++;
	end = strchr(slug, '/');
	if (end == NULL || end == slug || end - slug > 100)
		return;
	set(a, "project", jv_string_sized(slug, (int)(end - slug)));
}

static void
put_exception(jv *a, const char *type, const char *value)
{
	jv e = jv_object();

	put_text(&e, "type", type, ALERT_TEXT_MAX);
	put_text(&e, "value", value, ALERT_MESSAGE_MAX);
	if (type || value)
		set(a, "exception", e);
	else
		jv_free(e);
}

/* An event (legacy "event", event_alert "data.event", "data.error"). */
static void
put_event(jv *a, const jv *ev, const struct alert_input *in)
{
	jv exc, frames;
	const char *type, *value, *release;
	double start, end;

	if (jv_get_kind(*ev) != JV_KIND_OBJECT)
		return;
	exc = jvx_at(ev, "exception.values.-1");
	type = first(&exc, "type", NULL);
	value = first(&exc, "value", NULL);
	if (type == NULL)
		type = str(ev, "metadata.type");
	if (value == NULL)
		value = str(ev, "metadata.value");

	put_text(a, "title", first(ev, "title", "metadata.title", NULL),
	    ALERT_TEXT_MAX);
	put_text(a, "message", first(ev, "logentry.formatted",
	    "logentry.message", "message", NULL), ALERT_MESSAGE_MAX);
	put_text(a, "message", value, ALERT_MESSAGE_MAX);
	put_text(a, "culprit", first(ev, "culprit", "transaction", NULL),
	    ALERT_TEXT_MAX);
	put_exception(a, type, value);
	frames = event_frames(ev);
	if (jv_is_valid(frames))
		put_frames(a, &frames);
	jv_free(frames);
	jv_free(exc);

	put_level(a, first(ev, "level", NULL));
	put_level(a, tag_str(ev, "level"));
	put_project_from_url(a, str(ev, "url"));
	put_id(a, "project_id", ev, "project", in);
	put_text(a, "environment", first(ev, "environment", NULL), 256);
	put_text(a, "environment", tag_str(ev, "environment"), 256);
	release = first(ev, "release", "release.version", NULL);
	put_text(a, "release", release ? release : tag_str(ev, "release"), 256);
	put_text(a, "platform", first(ev, "platform", NULL), 64);
	put_text(a, "event_id", first(ev, "event_id", "id", NULL), 64);
	put_id(a, "issue_id", ev, "issue_id", in);
	put_id(a, "issue_id", ev, "group_id", in);
	put_text(a, "url", first(ev, "web_url", NULL), ALERT_TEXT_MAX);
	put_time(a, "timestamp", ev, "timestamp");
	put_time(a, "timestamp", ev, "datetime");
	put_tags(a, ev, "tags");
	/* Transactions: how long it took. */
	if (time_at(ev, "start_timestamp", &start) &&
	    time_at(ev, "timestamp", &end) && end >= start)
		set(a, "duration_ms", jv_number(round((end - start) * 1000.0)
		    / 1000.0));
}

/* An issue (data.issue of issue.* and activity_alert). */
static void
put_issue(jv *a, const jv *is, const struct alert_input *in)
{
	const char *assignee;

	if (jv_get_kind(*is) != JV_KIND_OBJECT)
		return;
	put_text(a, "title", first(is, "title", "metadata.title", NULL),
	    ALERT_TEXT_MAX);
	put_text(a, "message", first(is, "metadata.value", NULL),
	    ALERT_MESSAGE_MAX);
	put_text(a, "culprit", first(is, "culprit", NULL), ALERT_TEXT_MAX);
	/* Only error issues have an exception (performance ones do not). */
	if (str(is, "metadata.type"))
		put_exception(a, str(is, "metadata.type"),
		    str(is, "metadata.value"));
	put_level(a, str(is, "level"));
	put_text(a, "project", first(is, "project.slug", "project.name", NULL),
	    256);
	put_id(a, "project_id", is, "project.id", in);
	put_text(a, "platform", first(is, "platform", "project.platform",
	    NULL), 64);
	put_id(a, "issue_id", is, "id", in);
	put_text(a, "short_id", str(is, "shortId"), 64);
	put_text(a, "url", first(is, "web_url", "permalink", NULL),
	    ALERT_TEXT_MAX);
	put_time(a, "first_seen", is, "firstSeen");
	put_time(a, "last_seen", is, "lastSeen");
	put_number(a, "count", is, "count");
	put_number(a, "users", is, "userCount");
	put_text(a, "status", str(is, "status"), 64);
	assignee = first(is, "assignedTo.name", "assignedTo.email",
	    "assignedTo", NULL);
	put_text(a, "assignee", assignee, 256);
}

/* ---- links ---- */

/*
 * A web link for an issue whose payload has none (issue.resolved and
 * friends, comments, Seer): from a URL elsewhere in the payload take the
 * scheme and host, and the organization from "/organizations/<org>/"
 * (or an API URL's "/api/0/projects/<org>/"):
 *   host "<org>.sentry.io"       -> https://<org>.sentry.io/issues/<id>/
 *   org known, other host        -> https://host/organizations/<org>/issues/<id>/
 *   a URL but no org             -> https://host/issues/<id>/
 *   no URL (or --sentry-url set) -> <sentry-url>/issues/<id>/
 */
static void
put_issue_url(jv *a, const jv *p, const struct alert_input *in)
{
	static const char *const paths[] = {
		"data.issue.url", "data.issue.project_url", "data.web_url",
		"data.event.issue_url", "data.event.url", "data.error.url",
		"data.error.issue_url", "data.alert.url", "url", NULL,
	};
	const char *id, *url = NULL, *host, *hend, *org = NULL, *oend = NULL;
	jv idv = jvx_get(a, "issue_id");
	char buf[1024];

	if (has(a, "url") || jv_get_kind(idv) != JV_KIND_STRING) {
		jv_free(idv);
		return;
	}
	id = jv_string_value(idv);
	for (int i = 0; url == NULL && paths[i]; i++) {
		const char *u = str(p, paths[i]);

		if (u && (strncmp(u, "https://", 8) == 0 ||
		    strncmp(u, "http://", 7) == 0))
			url = u;
	}
	if (in && in->sentry_url && *in->sentry_url)
		url = NULL;	/* configured: it wins over guesses */
	if (url == NULL) {
		const char *base = in && in->sentry_url && *in->sentry_url ?
		    in->sentry_url : DEFAULT_SENTRY_URL;
		size_t blen = strlen(base);

		while (blen > 0 && base[blen - 1] == '/')
			blen--;
		snprintf(buf, sizeof buf, "%.*s/issues/%s/", (int)blen, base,
		    id);
	} else {
		host = strstr(url, "://") + 3;
		hend = host + strcspn(host, "/?#");
		if ((org = strstr(hend, "/organizations/")) != NULL)
			org += strlen("/organizations/");
		else if ((org = strstr(hend, "/api/0/projects/")) != NULL)
			org += strlen("/api/0/projects/");	/* .../ORG/PROJECT/ */
		if (org) {
			oend = org + strcspn(org, "/?#");
			if (oend == org)
				org = NULL;
		}
		if (org && (size_t)(hend - host) > (size_t)(oend - org) &&
		    strncmp(host, org, (size_t)(oend - org)) == 0 &&
		    host[oend - org] == '.')
			org = NULL;	/* "<org>.sentry.io" already says it */
		if (org)
			snprintf(buf, sizeof buf,
			    "%.*s/organizations/%.*s/issues/%s/",
			    (int)(hend - url), url, (int)(oend - org), org, id);
		else
			snprintf(buf, sizeof buf, "%.*s/issues/%s/",
			    (int)(hend - url), url, id);
	}
	set(a, "url", cut(buf, ALERT_TEXT_MAX));
	jv_free(idv);
}

/* ---- kinds ---- */

static const char *const known_resources[] = {
	"event_alert", "issue", "error", "metric_alert", "comment",
	"installation", "seer", "activity_alert", "preprod_artifact", NULL,
};

/* The payload's "data" object, or the payload itself when it is only
 * the data (as Sentry's own metric-alert fixtures are). */
static jv
data_of(const jv *p)
{
	jv d = jvx_get(p, "data");

	if (jv_get_kind(d) == JV_KIND_OBJECT)
		return d;
	jv_free(d);
	return jv_copy(*p);
}

static int
present(const jv *root, const char *path)
{
	jv v = jvx_at(root, path);
	int ok = jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL;

	jv_free(v);
	return ok;
}

const char *
alert_kind(const jv *p, const char *resource)
{
	jv d;
	const char *kind = "unknown";

	if (resource && *resource) {
		for (int i = 0; known_resources[i]; i++)
			if (strcmp(resource, known_resources[i]) == 0)
				return known_resources[i];
		return "unknown";
	}
	if (jv_get_kind(*p) != JV_KIND_OBJECT)
		return kind;
	if (!present(p, "data")) {
		if (present(p, "metric_alert"))
			return "metric_alert";
		if (present(p, "triggering_rules") || (present(p, "event") &&
		    (present(p, "project_name") || present(p, "url"))))
			return "legacy";
		return kind;
	}
	d = data_of(p);
	if (present(&d, "event") && (present(&d, "triggered_rule") ||
	    present(&d, "issue_alert")))
		kind = "event_alert";
	else if (present(&d, "issue") && (present(&d, "activity") ||
	    present(&d, "alert")))
		kind = "activity_alert";
	else if (present(&d, "issue"))
		kind = "issue";
	else if (present(&d, "error"))
		kind = "error";
	else if (present(&d, "metric_alert"))
		kind = "metric_alert";
	else if (jvx_str(&d, "comment") != NULL)
		kind = "comment";
	else if (present(&d, "installation"))
		kind = "installation";
	else if (present(&d, "run_id") || present(&d, "group_id"))
		kind = "seer";
	else if (present(&d, "buildId") && (present(&d, "appInfo") ||
	    present(&d, "organizationSlug")))
		kind = "preprod_artifact";
	jv_free(d);
	return kind;
}

static void
legacy(jv *a, const jv *p, const struct alert_input *in)
{
	jv ev = jvx_get(p, "event"), rules = jvx_get(p, "triggering_rules");

	set(a, "action", jv_string("triggered"));
	put_level(a, str(p, "level"));
	put_text(a, "culprit", str(p, "culprit"), ALERT_TEXT_MAX);
	put_text(a, "project", first(p, "project_slug", "project", NULL), 256);
	put_id(a, "issue_id", p, "id", in);
	put_text(a, "url", str(p, "url"), ALERT_TEXT_MAX);
	if (jv_get_kind(rules) == JV_KIND_ARRAY) {
		jv names = jv_string("");
		int n = 0;

		jv_array_foreach(rules, i, r) {
			if (jv_get_kind(r) == JV_KIND_STRING && n++ < 10) {
				if (n > 1)
					names = jv_string_append_str(names, ", ");
				names = jv_string_concat(names, r);
			} else {
				jv_free(r);
			}
		}
		if (n > 0)
			put_text(a, "rule", jv_string_value(names),
			    ALERT_TEXT_MAX);
		jv_free(names);
	}
	put_event(a, &ev, in);
	put_text(a, "title", first(p, "message", "culprit", NULL),
	    ALERT_TEXT_MAX);
	jv_free(ev);
	jv_free(rules);
}

/*
 * The severity a metric alert stands for.  The action says it
 * (critical, warning, resolved), except "open" (an incident opening,
 * Sentry's IncidentStatus.OPEN), which says nothing of how bad: there,
 * and when the action is missing, the "Critical: ..." title or the
 * incident's status (20 critical, 10 warning, 2 closed) decides.  An
 * opening with neither stays "open".
 */
static const char *
metric_severity(const jv *p, const jv *d)
{
	const char *action = str(p, "action"), *title;
	int open = action && strcmp(action, "open") == 0;
	double status;

	if (action && !open)
		return action;
	if ((title = str(d, "description_title")) != NULL) {
		if (strncasecmp(title, "critical", 8) == 0)
			return "critical";
		if (strncasecmp(title, "warning", 7) == 0)
			return "warning";
		if (strncasecmp(title, "resolved", 8) == 0 && !open)
			return "resolved";
	}
	if (jvx_num(d, "metric_alert.status", 0, &status)) {
		if (status == 20)
			return "critical";
		if (status == 10)
			return "warning";
		if (status == 2 && !open)
			return "resolved";
	}
	return open ? "open" : NULL;
}

static void
metric_alert(jv *a, const jv *p, const jv *d)
{
	const char *sev = metric_severity(p, d), *text;
	jv rule = jvx_at(d, "metric_alert.alert_rule"), m = jv_object();
	jv triggers = jvx_get(&rule, "triggers");
	double value;

	if (sev) {
		set(a, "action", jv_string(sev));
		if (strcmp(sev, "critical") == 0)
			set(a, "level", jv_string("error"));
		else if (strcmp(sev, "warning") == 0 || strcmp(sev, "open") == 0)
			set(a, "level", jv_string("warning"));
		else if (strcmp(sev, "resolved") == 0)
			set(a, "level", jv_string("info"));
		put_text(&m, "severity", sev, 32);
	}
	text = str(d, "description_text");
	put_text(a, "title", first(d, "description_title",
	    "metric_alert.title", "metric_alert.alert_rule.name", NULL),
	    ALERT_TEXT_MAX);
	put_text(a, "message", text, ALERT_MESSAGE_MAX);
	put_text(a, "rule", str(&rule, "name"), ALERT_TEXT_MAX);
	put_text(a, "project", first(d, "metric_alert.projects.0",
	    "metric_alert.alert_rule.projects.0", NULL), 256);
	put_text(a, "environment", str(&rule, "environment"), 256);
	put_text(a, "url", str(d, "web_url"), ALERT_TEXT_MAX);
	put_time(a, "timestamp", d, "metric_alert.date_started");
	put_time(a, "timestamp", d, "metric_alert.date_detected");
	put_time(a, "timestamp", d, "metric_alert.date_created");

	/* The threshold of the trigger that fired (or the resolve one). */
	if (sev && jv_get_kind(triggers) == JV_KIND_ARRAY) {
		jv_array_foreach(triggers, i, t) {
			const char *label = jvx_str(&t, "label");

			if (label && strcmp(label, sev) == 0)
				put_number(&m, "threshold", &t,
				    "alert_threshold");
			jv_free(t);
		}
	}
	if (sev && strcmp(sev, "resolved") == 0)
		put_number(&m, "threshold", &rule, "resolve_threshold");
	/* Sentry sends no value field: "1000 events in the last ..." has it. */
	if (text) {
		char *end;

		value = strtod(text, &end);
		if (end != text && isfinite(value))
			set(&m, "value", jv_number(value));
	}
	put_text(&m, "aggregate", str(&rule, "aggregate"), 256);
	put_text(&m, "query", str(&rule, "query"), ALERT_TEXT_MAX);
	put_number(&m, "time_window", &rule, "time_window");
	put_text(&m, "description", text, ALERT_MESSAGE_MAX);
	if (jv_object_length(jv_copy(m)) > 0)
		set(a, "metric", m);
	else
		jv_free(m);
	jv_free(triggers);
	jv_free(rule);
}

#define SEER_LIST_MAX	10	/* steps and pull requests kept */
#define SEER_LINE_MAX	300	/* bytes of one step */

/* "iteration_completed" -> step "iteration", state "completed". */
static void
put_seer_step(jv *s, const char *action)
{
	static const char *const states[] = { "started", "completed",
	    "created" };
	size_t n = strlen(action);

	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		size_t k = strlen(states[i]);

		if (n > k + 1 && n - k - 1 <= 64 && action[n - k - 1] == '_' &&
		    strcmp(action + n - k, states[i]) == 0) {
			set(s, "step", jv_string_sized(action, (int)(n - k - 1)));
			set(s, "state", jv_string(states[i]));
			return;
		}
	}
	put_text(s, "step", action, 64);
}

/*
 * The reasoning or the plan as short lines: the root cause's "five
 * whys" (as Sentry's docs first showed it: its steps' titles), the
 * solution's steps' titles.
 */
static void
put_seer_steps(jv *s, const jv *d)
{
	static const char *const lists[] = { "root_cause.five_whys",
	    "root_cause.steps", "solution.steps" };
	jv out = jv_array();
	int n = 0;

	for (size_t i = 0; i < sizeof lists / sizeof lists[0] && n == 0; i++) {
		jv list = jvx_at(d, lists[i]);

		if (jv_get_kind(list) == JV_KIND_ARRAY) {
			jv_array_foreach(list, k, item) {
				const char *t = jv_get_kind(item) ==
				    JV_KIND_STRING ? jv_string_value(item) :
				    str(&item, "title");

				if (t && *t && n < SEER_LIST_MAX) {
					out = jv_array_append(out,
					    cut(t, SEER_LINE_MAX));
					n++;
				}
				jv_free(item);
			}
		}
		jv_free(list);
	}
	if (n > 0)
		set(s, "steps", out);
	else
		jv_free(out);
}

/* Pull requests: {url, number, repo}, at most SEER_LIST_MAX. */
static void
put_seer_pull_requests(jv *s, const jv *d)
{
	jv list = jvx_get(d, "pull_requests"), out = jv_array();
	int n = 0;

	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, k, item) {
			jv pr = jv_object();

			put_text(&pr, "url", str(&item, "pull_request.pr_url"),
			    ALERT_TEXT_MAX);
			put_number(&pr, "number", &item,
			    "pull_request.pr_number");
			put_text(&pr, "repo", str(&item, "repo_name"), 256);
			if (jv_object_length(jv_copy(pr)) > 0 &&
			    n < SEER_LIST_MAX) {
				out = jv_array_append(out, pr);
				n++;
			} else {
				jv_free(pr);
			}
			jv_free(item);
		}
	}
	jv_free(list);
	if (n > 0)
		set(s, "pull_requests", out);
	else
		jv_free(out);
}

/* Totals over "code_changes": {"owner/repo": [{path, added, removed}]}. */
static void
put_seer_changes(jv *s, const jv *d)
{
	jv changes = jvx_get(d, "code_changes");
	double files = 0, added = 0, removed = 0, x;

	if (jv_get_kind(changes) == JV_KIND_OBJECT) {
		jv_object_foreach(changes, repo, list) {
			if (jv_get_kind(list) == JV_KIND_ARRAY) {
				jv_array_foreach(list, k, f) {
					if (jv_get_kind(f) == JV_KIND_OBJECT) {
						files++;
						if (jvx_num(&f, "added", 0, &x) &&
						    x >= 0 && x < 1e12)
							added += x;
						if (jvx_num(&f, "removed", 0,
						    &x) && x >= 0 && x < 1e12)
							removed += x;
					}
					jv_free(f);
				}
			}
			jv_free(repo);
			jv_free(list);
		}
	}
	jv_free(changes);
	if (files > 0) {
		set(s, "files", jv_number(files));
		set(s, "added", jv_number(added));
		set(s, "removed", jv_number(removed));
	}
}

/*
 * Seer (Autofix) progress.  Both shapes Sentry's docs have shown are
 * read: root_cause.one_line_description / solution.one_line_summary
 * (now), root_cause.description / solution.description with "steps"
 * (first); iteration_* (a revision of the fix's pull request, from
 * Sentry's code, not yet in its docs) carry iteration_index.
 */
static void
seer(jv *a, const jv *p, const jv *d, const struct alert_input *in)
{
	const char *action = str(p, "action");
	char title[160];
	jv s = jv_object();

	snprintf(title, sizeof title, "Seer: %.100s", action ? action : "update");
	for (char *c = title; *c; c++)
		if (*c == '_')
			*c = ' ';
	put_text(a, "title", title, ALERT_TEXT_MAX);
	put_text(a, "message", first(d, "root_cause.one_line_description",
	    "root_cause.description", "solution.one_line_summary",
	    "solution.description", "pull_requests.0.pull_request.pr_url",
	    NULL), ALERT_MESSAGE_MAX);
	put_id(a, "issue_id", d, "group_id", in);
	put_id(a, "issue_id", d, "issue_id", in);
	set(a, "level", jv_string("info"));

	put_id(&s, "run_id", d, "run_id", in);
	if (action)
		put_seer_step(&s, action);
	put_number(&s, "iteration", d, "iteration_index");
	put_text(&s, "repo", str(d, "root_cause.relevant_repo"), 256);
	put_seer_steps(&s, d);
	put_seer_pull_requests(&s, d);
	put_seer_changes(&s, d);
	if (jv_object_length(jv_copy(s)) > 0)
		set(a, "seer", s);
	else
		jv_free(s);
}

static void
comment(jv *a, const jv *d, const struct alert_input *in)
{
	char title[200];

	put_text(a, "comment", str(d, "comment"), ALERT_MESSAGE_MAX);
	put_id(a, "issue_id", d, "issue_id", in);
	put_text(a, "project", str(d, "project_slug"), 256);
	put_time(a, "timestamp", d, "timestamp");
	if (has(a, "issue_id")) {
		jv id = jvx_get(a, "issue_id");

		snprintf(title, sizeof title, "Comment on issue %.128s",
		    jv_string_value(id));
		jv_free(id);
		put_text(a, "title", title, ALERT_TEXT_MAX);
	}
	put_text(a, "message", str(d, "comment"), ALERT_MESSAGE_MAX);
	set(a, "level", jv_string("info"));
}

static void
installation(jv *a, const jv *p, const jv *d)
{
	char title[200];
	const char *app = first(d, "installation.app.slug", NULL);
	const char *action = str(p, "action");

	snprintf(title, sizeof title, "Sentry integration %.20s%s%.100s",
	    action ? action : "event", app ? ": " : "", app ? app : "");
	put_text(a, "title", title, ALERT_TEXT_MAX);
	put_text(a, "status", str(d, "installation.status"), 64);
	set(a, "level", jv_string("info"));
}

/* ---- preprod_artifact: mobile builds ---- */

/* 1 when s is a slug or id safe to put in a URL path: [A-Za-z0-9._-]. */
static int
url_safe(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 100)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			return 0;
	return 1;
}

/*
 * The build's page, as Sentry's get_preprod_artifact_url() builds it
 * (src/sentry/preprod/url_utils.py): /organizations/ORG/explore/build/
 * ID/size/?project=PROJECT.  The payload has no web link: the host is
 * --sentry-url, else the host of installUrl unless that is sentry.io
 * (its API and region hosts; https://sentry.io redirects a signed-in
 * user to the organization's own domain), else https://sentry.io.
 */
static void
put_build_url(jv *a, const jv *d, const char *id,
    const struct alert_input *in)
{
	const char *org = str(d, "organizationSlug");
	const char *project = str(d, "projectSlug");
	const char *install = str(d, "installUrl");
	const char *base = DEFAULT_SENTRY_URL, *host, *hend;
	size_t blen;
	char buf[1024], query[160] = "";

	if (!url_safe(org) || !url_safe(id))
		return;
	if (in && in->sentry_url && *in->sentry_url) {
		base = in->sentry_url;
	} else if (install && (strncmp(install, "https://", 8) == 0 ||
	    strncmp(install, "http://", 7) == 0)) {
		host = strstr(install, "://") + 3;
		hend = host + strcspn(host, "/?#:@");
		blen = (size_t)(hend - host);
		if (!(blen == 9 && strncmp(host, "sentry.io", 9) == 0) &&
		    !(blen > 10 && strncmp(hend - 10, ".sentry.io", 10) == 0) &&
		    strchr(host, '@') == NULL)
			base = install;
	}
	host = strstr(base, "://");
	host = host ? host + 3 : base;
	hend = host + strcspn(host, "/?#");
	blen = (size_t)(hend - base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (url_safe(project))
		snprintf(query, sizeof query, "?project=%s", project);
	if ((size_t)(hend - host) > strlen(org) &&
	    strncmp(host, org, strlen(org)) == 0 && host[strlen(org)] == '.')
		snprintf(buf, sizeof buf, "%.*s/explore/build/%s/size/%s",
		    (int)blen, base, id, query);	/* ORG.sentry.io */
	else
		snprintf(buf, sizeof buf,
		    "%.*s/organizations/%s/explore/build/%s/size/%s",
		    (int)blen, base, org, id, query);
	set(a, "url", cut(buf, ALERT_TEXT_MAX));
}

/* appInfo (or baseAppInfo) into the build view, with a key prefix. */
static void
put_app_info(jv *b, const jv *info, const char *prefix,
    const struct alert_input *in)
{
	char k[40];

	if (jv_get_kind(*info) != JV_KIND_OBJECT)
		return;
	if (*prefix == '\0') {
		put_text(b, "app", str(info, "name"), 256);
		put_text(b, "app_id", str(info, "appId"), 256);
		put_text(b, "artifact_type", str(info, "artifactType"), 64);
	}
	snprintf(k, sizeof k, "%sversion", prefix);
	put_text(b, k, str(info, "version"), 128);
	snprintf(k, sizeof k, "%sbuild_number", prefix);
	put_id(b, k, info, "buildNumber", in);
}

/* comparisons[] of a size analysis: per component, head and base. */
static void
put_build_components(jv *b, const jv *d)
{
	jv list = jvx_get(d, "comparisons"), out = jv_array();
	int n = 0;

	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, k, c) {
			jv v = jv_object();

			put_text(&v, "type", str(&c, "metricsArtifactType"), 64);
			put_text(&v, "identifier", str(&c, "identifier"), 256);
			put_text(&v, "state", str(&c, "state"), 32);
			put_text(&v, "error_code", str(&c, "errorCode"), 64);
			put_text(&v, "error_message", str(&c, "errorMessage"),
			    ALERT_TEXT_MAX);
			put_number(&v, "download_size", &c,
			    "sizeMetricDiff.headDownloadSize");
			put_number(&v, "install_size", &c,
			    "sizeMetricDiff.headInstallSize");
			put_number(&v, "base_download_size", &c,
			    "sizeMetricDiff.baseDownloadSize");
			put_number(&v, "base_install_size", &c,
			    "sizeMetricDiff.baseInstallSize");
			if (jv_object_length(jv_copy(v)) > 0 && n < 10) {
				out = jv_array_append(out, v);
				n++;
			} else {
				jv_free(v);
			}
			jv_free(c);
		}
	}
	jv_free(list);
	if (n > 0)
		set(b, "components", out);
	else
		jv_free(out);
}

/*
 * preprod_artifact.size_analysis_completed and
 * .build_distribution_completed: a build notice, not an error.  The
 * title names what happened and the build ("Size analysis: MyApp 1.0
 * (2)"), so that the two notices of one build are two throttle keys.
 * A "completed" action can mean failure: state FAILED, with errorCode.
 */
static void
preprod_artifact(jv *a, const jv *p, const jv *d, const struct alert_input *in)
{
	const char *action = str(p, "action"), *state = str(d, "state");
	jv b = jv_object(), info = jvx_get(d, "appInfo"), base, git, id;
	char what[80], title[600], num[64];
	const char *app, *version, *bn;
	int failed = state && strcasecmp(state, "FAILED") == 0;

	put_id(&b, "id", d, "buildId", in);
	put_app_info(&b, &info, "", in);
	put_text(&b, "state", state, 32);
	put_text(&b, "error_code", str(d, "errorCode"), 64);
	put_text(&b, "error_message", str(d, "errorMessage"), ALERT_TEXT_MAX);
	put_number(&b, "download_size", d, "downloadSize");
	put_number(&b, "install_size", d, "installSize");
	put_id(&b, "base_id", d, "baseBuildId", in);
	base = jvx_get(d, "baseAppInfo");
	put_app_info(&b, &base, "base_", in);
	jv_free(base);
	put_build_components(&b, d);
	put_text(&b, "configuration", str(d, "buildConfiguration"), 64);
	if (jvx_bool(d, "isInstallable") >= 0)
		set(&b, "installable", jv_bool(jvx_bool(d, "isInstallable")));
	put_text(&b, "install_url", str(d, "installUrl"), ALERT_TEXT_MAX);
	git = jv_object();
	put_text(&git, "repo", first(d, "gitInfo.headRepoName",
	    "gitInfo.baseRepoName", NULL), 256);
	put_text(&git, "branch", str(d, "gitInfo.headRef"), 256);
	put_text(&git, "base_branch", str(d, "gitInfo.baseRef"), 256);
	put_text(&git, "sha", str(d, "gitInfo.headSha"), 64);
	put_number(&git, "pr", d, "gitInfo.prNumber");
	if (jv_object_length(jv_copy(git)) > 0)
		set(&b, "git", git);
	else
		jv_free(git);

	/* "Size analysis: MyApp 1.0 (2)" */
	if (action && strcmp(action, "size_analysis_completed") == 0)
		snprintf(what, sizeof what, "Size analysis");
	else if (action && strcmp(action, "build_distribution_completed") == 0)
		snprintf(what, sizeof what, "Build distribution");
	else
		snprintf(what, sizeof what, "Build %.60s", action ? action :
		    "update");
	for (char *c = what; *c; c++)
		if (*c == '_')
			*c = ' ';
	app = first(&info, "name", "appId", NULL);
	version = str(&info, "version");
	bn = jvx_text(&b, "build_number", num, sizeof num);
	id = jvx_get(&b, "id");
	if (app)
		snprintf(title, sizeof title, "%s%s: %.256s%s%.100s%s%.40s%s",
		    what, failed ? " failed" : "", app, version ? " " : "",
		    version ? version : "", bn ? " (" : "", bn ? bn : "",
		    bn ? ")" : "");
	else
		snprintf(title, sizeof title, "%s%s: build %.100s", what,
		    failed ? " failed" : "", jv_is_valid(id) ?
		    jv_string_value(id) : "?");
	put_text(a, "title", title, ALERT_TEXT_MAX);
	put_text(a, "message", first(d, "errorMessage", "errorCode", NULL),
	    ALERT_MESSAGE_MAX);
	set(a, "level", jv_string(failed ? "warning" : "info"));
	put_text(a, "project", str(d, "projectSlug"), 256);
	put_id(a, "project_id", d, "projectId", in);
	put_text(a, "platform", str(d, "platform"), 64);
	put_time(a, "timestamp", &info, "dateAdded");
	if (jv_is_valid(id))
		put_build_url(a, d, jv_string_value(id), in);
	jv_free(id);
	jv_free(info);
	set(a, "build", b);
}

/* Anything else: a title from whatever is there, never a drop. */
static void
unknown(jv *a, const jv *p, const jv *d, const struct alert_input *in)
{
	char title[200];
	const char *action = str(p, "action");

	put_text(a, "title", first(d, "title", "description_title", "name",
	    "message", NULL), ALERT_TEXT_MAX);
	put_text(a, "title", first(p, "title", "message", NULL),
	    ALERT_TEXT_MAX);
	if (jv_get_kind(*d) == JV_KIND_OBJECT && !has(a, "title")) {
		jv_object_foreach(*d, key, value) {
			put_text(a, "title", first(&value, "title", "name",
			    NULL), ALERT_TEXT_MAX);
			jv_free(key);
			jv_free(value);
		}
	}
	snprintf(title, sizeof title, "Sentry %.40s%s%.40s",
	    in && in->resource ? in->resource : "webhook",
	    action ? "." : "", action ? action : "");
	put_text(a, "title", title, ALERT_TEXT_MAX);
	put_level(a, first(d, "level", NULL));
	put_level(a, first(p, "level", NULL));
	put_text(a, "url", first(d, "web_url", NULL), ALERT_TEXT_MAX);
	put_id(a, "issue_id", d, "issue_id", in);
	put_id(a, "issue_id", d, "group_id", in);
}

/* The view's fields in the order of sentry-tg(5). */
static const char *const field_order[] = {
	"kind", "action", "level", "title", "message", "culprit", "exception",
	"location", "stacktrace", "project", "project_id", "environment",
	"release", "platform", "event_id", "issue_id", "short_id", "url",
	"first_seen", "last_seen", "timestamp", "count", "users", "tags",
	"rule", "duration_ms", "status", "assignee", "resolution", "metric",
	"build", "seer", "comment", "actor", NULL,
};

static jv
ordered(jv a)
{
	jv out = jv_object();

	for (int i = 0; field_order[i]; i++) {
		jv v = jvx_get(&a, field_order[i]);

		if (jv_is_valid(v))
			out = jv_object_set(out, jv_string(field_order[i]), v);
	}
	jv_free(a);
	return out;
}

jv
alert_normalise(const jv *p, const struct alert_input *in)
{
	const char *kind = alert_kind(p, in ? in->resource : NULL);
	jv a = jv_object(), d = data_of(p), part;

	set(&a, "kind", jv_string(kind));
	if (strcmp(kind, "legacy") != 0)
		put_text(&a, "action", str(p, "action"), 64);

	if (strcmp(kind, "legacy") == 0) {
		legacy(&a, p, in);
	} else if (strcmp(kind, "event_alert") == 0 ||
	    strcmp(kind, "error") == 0) {
		put_text(&a, "rule", first(&d, "triggered_rule",
		    "issue_alert.title", NULL), ALERT_TEXT_MAX);
		part = jvx_get(&d, strcmp(kind, "error") == 0 ? "error" :
		    "event");
		put_event(&a, &part, in);
		jv_free(part);
	} else if (strcmp(kind, "issue") == 0 ||
	    strcmp(kind, "activity_alert") == 0) {
		put_text(&a, "rule", str(&d, "alert.title"), ALERT_TEXT_MAX);
		put_text(&a, "message", str(&d, "activity.details.summary"),
		    ALERT_MESSAGE_MAX);
		put_text(&a, "assignee", first(&d, "assignee.name",
		    "assignee.email", "assignee", NULL), 256);
		put_text(&a, "resolution", str(&d, "resolution_type"), 64);
		part = jvx_get(&d, "issue");
		put_issue(&a, &part, in);
		jv_free(part);
	} else if (strcmp(kind, "metric_alert") == 0) {
		metric_alert(&a, p, &d);
	} else if (strcmp(kind, "comment") == 0) {
		comment(&a, &d, in);
	} else if (strcmp(kind, "installation") == 0) {
		installation(&a, p, &d);
	} else if (strcmp(kind, "seer") == 0) {
		seer(&a, p, &d, in);
	} else if (strcmp(kind, "preprod_artifact") == 0) {
		preprod_artifact(&a, p, &d, in);
	} else {
		unknown(&a, p, &d, in);
	}
	put_text(&a, "actor", str(p, "actor.name"), 256);
	if (strcmp(kind, "installation") != 0 &&
	    strcmp(kind, "metric_alert") != 0 &&
	    strcmp(kind, "preprod_artifact") != 0)
		put_issue_url(&a, p, in);
	jv_free(d);
	return ordered(a);
}
