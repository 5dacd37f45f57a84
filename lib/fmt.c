/* fmt: alert and digest records -> Telegram sendMessage requests. */
#include "fmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "jvx.h"
#include "tghtml.h"

#define FIELD_UNITS 200		/* most values: a line's worth */
#define TITLE_UNITS 400
#define LINK_UNITS 120		/* visible text of a link (href is free) */
#define MESSAGE_UNITS 3000	/* message body before any trimming */
#define FRAME_UNITS 160
#define MAX_TAGS 20
#define MAX_LIST 8		/* Seer steps, pull requests, build components */
#define STEP_UNITS 160
#define MARGIN 16		/* block separators and ellipses */
#define DATE_PATTERN "%Y-%m-%d %H:%M:%S"

enum layout {
	L_ERROR, L_REGRESSION, L_RESOLVED, L_ASSIGNED, L_IGNORED, L_METRIC,
	L_SLOW, L_COMMENT, L_SEER, L_BUILD, L_GENERIC
};

struct msg {
	const struct fmt_opts *o;
	const jv *alert;
	enum layout layout;
	struct tghtml h;
	size_t stack_budget, msg_budget;	/* units for the trimmable parts */
	size_t stack_full, msg_full;		/* what they would take whole */
};

static const struct { const char *name; unsigned bit; } levels[] = {
	{ "fatal", FMT_FATAL }, { "error", FMT_ERROR },
	{ "warning", FMT_WARNING }, { "info", FMT_INFO },
	{ "debug", FMT_DEBUG },
};

int
fmt_levels(const char *list, unsigned *bits)
{
	const char *p = list;

	*bits = 0;
	while (*p) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof levels / sizeof levels[0]; i++)
			if (strlen(levels[i].name) == len &&
			    strncasecmp(p, levels[i].name, len) == 0)
				break;
		if (i == sizeof levels / sizeof levels[0]) {
			if (len > 0)
				return -1;
		} else {
			*bits |= levels[i].bit;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static unsigned
level_bit(const char *level)
{
	if (level == NULL)
		return 0;
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(level, levels[i].name) == 0)
			return levels[i].bit;
	return 0;
}

int
fmt_chat_valid(const char *chat)
{
	const char *p = chat;
	size_t n = strlen(chat);

	if (*p == '@') {
		if (n < 5 || n > 33)
			return 0;
		for (p++; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '_'))
				return 0;
		return 1;
	}
	if (*p == '-')
		p++;
	if (*p == '\0' || strlen(p) > 19)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

int
fmt_linkable(const char *url)
{
	const char *host, *end, *p;
	int dot = 0;

	if (url == NULL || strlen(url) > 2048)
		return 0;
	if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return 0;
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '<' || *p == '>' || *p == '\\')
			return 0;
	end = host + strcspn(host, "/?#");
	for (p = host; p < end; p++)	/* userinfo: Telegram refuses it */
		if (*p == '@')
			return 0;
	for (p = host; p < end && *p != ':'; p++) {
		if (*p == '.') {
			if (p == host || p[1] == '.' || p + 1 == end ||
			    p[1] == ':')
				return 0;
			dot = 1;
		} else if (!((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || (unsigned char)*p >= 0x80)) {
			return 0;
		}
	}
	if (p < end) {		/* a port: digits only */
		if (p + 1 == end)
			return 0;
		for (p++; p < end; p++)
			if (*p < '0' || *p > '9')
				return 0;
	}
	return dot;
}

int
fmt_wants(const jv *rec)
{
	jv alert = jvx_get(rec, "alert"), digest = jvx_get(rec, "digest");
	int want = jv_is_valid(alert) || jv_is_valid(digest);
	const char *kind = jvx_str(rec, "alert.kind");

	if (kind && strcmp(kind, "installation") == 0)
		want = 0;
	jv_free(alert);
	jv_free(digest);
	return want;
}

const char *
fmt_date(const struct fmt_opts *o, const char *when, char *buf, size_t size)
{
	int64_t ms;

	if (clock_parse(when, &ms) < 0)
		return when;
	return clock_format_tz(ms, o->tz ? o->tz : "UTC", DATE_PATTERN, buf,
	    size);
}

/* A number as people write it: 12, 0.25, 1234.5 (at most 3 decimals). */
static const char *
num_text(double d, char *buf, size_t size)
{
	char *dot;

	if (!isfinite(d)) {
		snprintf(buf, size, "?");
	} else if (fabs(d) >= 1e15) {
		snprintf(buf, size, "%.6g", d);
	} else {
		snprintf(buf, size, "%.3f", d);
		if ((dot = strchr(buf, '.')) != NULL) {
			char *e = buf + strlen(buf) - 1;

			while (e > dot && *e == '0')
				*e-- = '\0';
			if (e == dot)
				*e = '\0';
		}
		if (strcmp(buf, "-0") == 0)
			snprintf(buf, size, "0");
	}
	return buf;
}

/* The value at path as display text (strings, numbers), NULL if empty. */
static const char *
field(const struct msg *m, const char *path, char *buf, size_t size)
{
	double d;
	const char *s;

	if (jvx_num(m->alert, path, 0, &d))
		return num_text(d, buf, size);
	s = jvx_str(m->alert, path);
	return s && *s ? s : NULL;
}

#define FIELD(m, path) field((m), (path), numbuf, sizeof numbuf)

static void
text(struct msg *m, const char *s, size_t max_units)
{
	tghtml_text(&m->h, s, strlen(s), max_units);
}

/* Start a new block (after one blank line) unless one was just started. */
static void
block(struct msg *m)
{
	size_t nl = 0;

	if (m->h.len == 0)
		return;
	while (nl < 2 && nl < m->h.len && m->h.buf[m->h.len - 1 - nl] == '\n')
		nl++;
	while (nl++ < 2)
		tghtml_puts(&m->h, "\n");
}

/* Drop the newlines at the very end (a block that stayed empty). */
static void
trim_end(struct msg *m)
{
	while (m->h.depth == 0 && m->h.len > 0 &&
	    m->h.buf[m->h.len - 1] == '\n')
		tghtml_rewind(&m->h, m->h.len - 1, m->h.units - 1);
}

/* Start a new line unless one was just started. */
static void
line(struct msg *m)
{
	if (m->h.len > 0 && m->h.buf[m->h.len - 1] != '\n')
		tghtml_puts(&m->h, "\n");
}

static void
bold(struct msg *m, const char *s, size_t max_units)
{
	tghtml_open(&m->h, "b", NULL);
	text(m, s, max_units);
	tghtml_close(&m->h);
}

static void
code(struct msg *m, const char *s, size_t max_units)
{
	tghtml_open(&m->h, "code", NULL);
	text(m, s, max_units);
	tghtml_close(&m->h);
}

/* "Label: value" on its own line when the value is there. */
static void
labelled(struct msg *m, const char *label, const char *value)
{
	if (value == NULL)
		return;
	line(m);
	tghtml_puts(&m->h, label);
	tghtml_puts(&m->h, ": ");
	text(m, value, FIELD_UNITS);
}

static int
is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

static enum layout
choose_layout(const jv *alert)
{
	const char *kind = jvx_str(alert, "kind");
	const char *action = jvx_str(alert, "action");
	double d;

	if (is(kind, "metric_alert"))
		return L_METRIC;
	if (is(kind, "comment"))
		return L_COMMENT;
	if (is(kind, "seer"))
		return L_SEER;
	if (is(kind, "preprod_artifact"))
		return L_BUILD;
	if (jvx_num(alert, "duration_ms", 1, &d))
		return L_SLOW;
	if (is(action, "resolved"))
		return L_RESOLVED;
	if (is(action, "assigned"))
		return L_ASSIGNED;
	if (is(action, "ignored") || is(action, "archived"))
		return L_IGNORED;
	if (is(action, "unresolved") || is(jvx_str(alert, "status"), "regressed"))
		return L_REGRESSION;
	if (is(kind, "legacy") || is(kind, "event_alert") || is(kind, "issue") ||
	    is(kind, "error") || is(kind, "activity_alert"))
		return L_ERROR;
	return L_GENERIC;
}

static const char *
level_emoji(const char *level)
{
	if (is(level, "warning"))
		return "\xe2\x9a\xa0\xef\xb8\x8f ";		/* ⚠️ */
	if (is(level, "info"))
		return "\xe2\x84\xb9\xef\xb8\x8f ";		/* ℹ️ */
	if (is(level, "debug"))
		return "\xf0\x9f\x90\x9e ";			/* 🐞 */
	return "\xe2\x9d\x8c ";					/* ❌ */
}

/* Upper-cased words from an identifier: "root_cause_completed" ->
 * "ROOT CAUSE COMPLETED" (ASCII only; the rest as it is). */
static void
shout(struct msg *m, const char *s)
{
	char buf[64];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof buf; i++)
		buf[i] = s[i] == '_' ? ' ' :
		    (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	buf[i] = '\0';
	text(m, buf, 48);
}

static void
header(struct msg *m)
{
	const char *action = jvx_str(m->alert, "action");
	const char *sev = jvx_str(m->alert, "metric.severity");

	switch (m->layout) {
	case L_ERROR:
		tghtml_puts(&m->h, "\xf0\x9f\x9a\xa8 ");	/* 🚨 */
		bold(m, "SENTRY ALERT", FIELD_UNITS);
		break;
	case L_REGRESSION:
		tghtml_puts(&m->h, "\xf0\x9f\x94\x81 ");	/* 🔁 */
		bold(m, "REGRESSION", FIELD_UNITS);
		break;
	case L_RESOLVED:
		tghtml_puts(&m->h, "\xe2\x9c\x85 ");		/* ✅ */
		bold(m, "RESOLVED", FIELD_UNITS);
		break;
	case L_ASSIGNED:
		tghtml_puts(&m->h, "\xf0\x9f\x91\xa4 ");	/* 👤 */
		bold(m, "ASSIGNED", FIELD_UNITS);
		break;
	case L_IGNORED:
		tghtml_puts(&m->h, "\xf0\x9f\x94\x95 ");	/* 🔕 */
		bold(m, "IGNORED", FIELD_UNITS);
		break;
	case L_METRIC:
		if (sev == NULL)
			sev = action;
		if (is(sev, "critical"))
			tghtml_puts(&m->h, "\xf0\x9f\x94\xb4 ");	/* 🔴 */
		else if (is(sev, "warning") || is(sev, "open"))
			tghtml_puts(&m->h, "\xf0\x9f\x9f\xa0 ");	/* 🟠 */
		else if (is(sev, "resolved"))
			tghtml_puts(&m->h, "\xe2\x9c\x85 ");	/* ✅ */
		else
			tghtml_puts(&m->h, "\xf0\x9f\x93\x88 ");	/* 📈 */
		tghtml_open(&m->h, "b", NULL);
		/* "open": an incident opening, of the severity Sentry gave */
		tghtml_puts(&m->h, is(action, "open") ? "METRIC ALERT OPENED" :
		    "METRIC ALERT");
		if (sev && !is(sev, "open")) {
			tghtml_puts(&m->h, ": ");
			shout(m, sev);
		}
		tghtml_close(&m->h);
		break;
	case L_SLOW:
		tghtml_puts(&m->h, "\xf0\x9f\x90\xa2 ");	/* 🐢 */
		bold(m, "SLOW TRANSACTION", FIELD_UNITS);
		break;
	case L_COMMENT:
		tghtml_puts(&m->h, "\xf0\x9f\x92\xac ");	/* 💬 */
		bold(m, is(action, "updated") ? "COMMENT EDITED" :
		    is(action, "deleted") ? "COMMENT DELETED" : "NEW COMMENT",
		    FIELD_UNITS);
		break;
	case L_SEER:
		tghtml_puts(&m->h, "\xf0\x9f\xa4\x96 ");	/* 🤖 */
		tghtml_open(&m->h, "b", NULL);
		tghtml_puts(&m->h, "SEER");
		if (action) {
			tghtml_puts(&m->h, ": ");
			shout(m, action);
		}
		tghtml_close(&m->h);
		break;
	case L_BUILD: {
		const char *state = jvx_str(m->alert, "build.state");
		int failed = state && strcasecmp(state, "FAILED") == 0;
		int dist = is(action, "build_distribution_completed");

		tghtml_puts(&m->h, failed ? "\xe2\x9a\xa0\xef\xb8\x8f " :	/* ⚠️ */
		    dist ? "\xf0\x9f\x93\xb2 " : "\xf0\x9f\x93\xa6 ");	/* 📲 📦 */
		tghtml_open(&m->h, "b", NULL);
		if (is(action, "size_analysis_completed"))
			tghtml_puts(&m->h, "BUILD SIZE ANALYSIS");
		else if (dist && !failed &&
		    jvx_bool(m->alert, "build.installable") == 1)
			tghtml_puts(&m->h, "BUILD READY TO INSTALL");
		else if (dist)
			tghtml_puts(&m->h, "BUILD DISTRIBUTION");
		else {
			tghtml_puts(&m->h, "BUILD");
			if (action && *action) {
				tghtml_puts(&m->h, ": ");
				shout(m, action);
			}
		}
		if (failed)
			tghtml_puts(&m->h, " FAILED");
		tghtml_close(&m->h);
		break;
	}
	case L_GENERIC: {
		const char *kind = jvx_str(m->alert, "kind");
		int named = kind && *kind && !is(kind, "unknown");

		tghtml_puts(&m->h, "\xf0\x9f\x93\xa3 ");	/* 📣 */
		tghtml_open(&m->h, "b", NULL);
		tghtml_puts(&m->h, "SENTRY");
		if (named) {
			tghtml_puts(&m->h, ": ");
			shout(m, kind);
		}
		if (action && *action) {
			tghtml_puts(&m->h, named ? " " : ": ");
			shout(m, action);
		}
		tghtml_close(&m->h);
		break;
	}
	}
}

/* The message body: trimmed to its budget, left out at budget 0. */
static void
body(struct msg *m, const char *s, int quoted)
{
	size_t units;

	if (s == NULL || *s == '\0')
		return;
	units = tghtml_utf16_units(s, strlen(s));
	m->msg_full = units < MESSAGE_UNITS ? units : MESSAGE_UNITS;
	if (m->msg_budget == 0)
		return;
	line(m);
	if (quoted)
		tghtml_open(&m->h, "blockquote", NULL);
	text(m, s, m->msg_budget < MESSAGE_UNITS ? m->msg_budget : MESSAGE_UNITS);
	if (quoted)
		tghtml_close(&m->h);
}

/*
 * "KeyError: 'user_id'" -> "KeyError" in buf when the part before ": "
 * looks like an exception type (one word, dots allowed); 0 otherwise.
 */
static int
split_title(const char *title, char *buf, size_t size)
{
	const char *colon = strstr(title, ": ");
	size_t n;

	if (colon == NULL || colon == title || colon[2] == '\0')
		return 0;
	n = (size_t)(colon - title);
	if (n >= size || n > 80)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((title[i] >= 'a' && title[i] <= 'z') ||
		    (title[i] >= 'A' && title[i] <= 'Z') ||
		    (title[i] >= '0' && title[i] <= '9') || title[i] == '_' ||
		    title[i] == '.' || title[i] == '$'))
			return 0;
	memcpy(buf, title, n);
	buf[n] = '\0';
	return 1;
}

/* Sentry's resolution types, as people say them: "inNextRelease" and
 * "resolved_in_next_release" -> "in the next release". */
static const char *
resolution(const char *r, char *buf, size_t size)
{
	static const struct { const char *sentry, *human; } names[] = {
		{ "inNextRelease", "in the next release" },
		{ "resolved_in_next_release", "in the next release" },
		{ "inUpcomingRelease", "in the upcoming release" },
		{ "resolved_in_upcoming_release", "in the upcoming release" },
		{ "inRelease", "in a release" },
		{ "resolved_in_release", "in a release" },
		{ "inCommit", "in a commit" },
		{ "resolved_in_commit", "in a commit" },
		{ "resolved_in_pull_request", "in a pull request" },
		{ "resolved", "now" },
	};
	size_t i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(r, names[i].sentry) == 0)
			return names[i].human;
	if (strncmp(r, "resolved_", 9) == 0) {	/* a new one: its words */
		snprintf(buf, size, "%s", r + 9);
		for (i = 0; buf[i]; i++)
			if (buf[i] == '_')
				buf[i] = ' ';
		return buf;
	}
	return r;
}

/* Bytes as people read app sizes: 28864215 -> "28.9 MB" (decimal
 * units, as app stores show them); with sign, "+12.4 MB". */
static const char *
size_text(double bytes, int sign, char *buf, size_t size)
{
	static const struct { double div; const char *unit; } units[] = {
		{ 1e9, "GB" }, { 1e6, "MB" }, { 1e3, "kB" },
	};
	double a = fabs(bytes);
	char num[64];
	const char *pre = sign ? (bytes < 0 ? "-" : "+") : (bytes < 0 ? "-" : "");

	if (!isfinite(bytes) || a >= 1e18) {
		snprintf(buf, size, "?");
		return buf;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (a >= units[i].div) {
			snprintf(buf, size, "%s%s %s", pre, num_text(round(a /
			    units[i].div * 10) / 10, num, sizeof num),
			    units[i].unit);
			return buf;
		}
	snprintf(buf, size, "%s%s B", pre, num_text(a, num, sizeof num));
	return buf;
}

/* "16.3 MB download (+12.4 MB)" for one size and its base. */
static void
size_pair(struct msg *m, const jv *v, const char *key, const char *base_key,
    const char *what)
{
	char a[64], b[64];
	double head, base;

	if (!jvx_num(v, key, 0, &head))
		return;
	tghtml_printf(&m->h, "%s %s", size_text(head, 0, a, sizeof a), what);
	if (jvx_num(v, base_key, 0, &base))
		tghtml_printf(&m->h, " (%s)", size_text(head - base, 1, b,
		    sizeof b));
}

static const char *
component_name(const char *type)
{
	if (is(type, "MAIN_ARTIFACT"))
		return "Main app";
	if (is(type, "WATCH_ARTIFACT"))
		return "Watch app";
	if (is(type, "APP_CLIP_ARTIFACT"))
		return "App Clip";
	return type;
}

/* A mobile build: the app, its sizes against the base build, git. */
static void
build_headline(struct msg *m)
{
	char numbuf[64], a[64], b[64];
	const char *app = FIELD(m, "build.app"), *s, *version, *bn, *sep = "";
	const char *error = jvx_str(m->alert, "build.error_code");
	const char *url = jvx_str(m->alert, "build.install_url");
	static const char *const facts[] = { "platform", "build.artifact_type",
	    "build.configuration" };
	jv list;
	double d;
	int n;

	/* "MyApp 1.0 (2)", or the title Sentry's fields made */
	if (app == NULL)
		app = FIELD(m, "build.app_id");
	version = jvx_str(m->alert, "build.version");
	bn = jvx_str(m->alert, "build.build_number");
	tghtml_open(&m->h, "b", NULL);
	if (app) {
		text(m, app, FIELD_UNITS);
		if (version && *version) {
			tghtml_puts(&m->h, " ");
			text(m, version, 64);
		}
		if (bn && *bn) {
			tghtml_puts(&m->h, " (");
			text(m, bn, 32);
			tghtml_puts(&m->h, ")");
		}
	} else {
		s = jvx_str(m->alert, "title");
		text(m, s && *s ? s : "Mobile build", TITLE_UNITS);
	}
	tghtml_close(&m->h);

	/* com.example.myapp · APPLE · XCARCHIVE · release */
	line(m);
	if ((s = jvx_str(m->alert, "build.app_id")) && *s && app &&
	    strcmp(s, app) != 0) {
		code(m, s, FIELD_UNITS);
		sep = " \xc2\xb7 ";
	}
	for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
		if ((s = jvx_str(m->alert, facts[i])) && *s) {
			tghtml_puts(&m->h, sep);
			text(m, s, 64);
			sep = " \xc2\xb7 ";
		}
	trim_end(m);

	if (error && *error) {
		const char *msg = jvx_str(m->alert, "build.error_message");

		line(m);
		tghtml_puts(&m->h, "Error: ");
		code(m, error, 64);
		if (msg && *msg) {
			tghtml_puts(&m->h, " ");
			text(m, msg, FIELD_UNITS);
		}
	} else if ((s = jvx_str(m->alert, "message")) && *s) {
		body(m, s, 0);
	}

	/* Download 28.9 MB · Install 30.8 MB */
	if (jvx_num(m->alert, "build.download_size", 0, &d)) {
		line(m);
		tghtml_puts(&m->h, "Download: ");
		bold(m, size_text(d, 0, a, sizeof a), 64);
		sep = " \xc2\xb7 ";
	} else {
		sep = "";
	}
	if (jvx_num(m->alert, "build.install_size", 0, &d)) {
		if (*sep)
			tghtml_puts(&m->h, sep);
		else
			line(m);
		tghtml_puts(&m->h, "Install: ");
		bold(m, size_text(d, 0, a, sizeof a), 64);
	}
	list = jvx_at(m->alert, "build.components");
	n = jv_get_kind(list) == JV_KIND_ARRAY ?
	    jv_array_length(jv_copy(list)) : 0;
	for (int i = 0; i < n && i < MAX_LIST; i++) {
		jv c = jv_array_get(jv_copy(list), i);
		const char *type = jvx_str(&c, "type");
		const char *id = jvx_str(&c, "identifier");
		const char *err = jvx_str(&c, "error_code");
		const char *st = jvx_str(&c, "state");

		line(m);
		text(m, type && *type ? component_name(type) : "Component", 64);
		if (id && *id) {
			tghtml_puts(&m->h, " ");
			code(m, id, 100);
		}
		tghtml_puts(&m->h, ": ");
		if (st && strcasecmp(st, "FAILED") == 0) {
			tghtml_puts(&m->h, "no comparison");
			if (err && *err) {
				tghtml_puts(&m->h, " (");
				text(m, err, 64);
				tghtml_puts(&m->h, ")");
			}
		} else {
			size_pair(m, &c, "download_size", "base_download_size",
			    "download");
			if (jvx_num(&c, "download_size", 0, &d) &&
			    jvx_num(&c, "install_size", 0, &d))
				tghtml_puts(&m->h, ", ");
			size_pair(m, &c, "install_size", "base_install_size",
			    "install");
		}
		jv_free(c);
	}
	if (n > MAX_LIST) {
		line(m);
		tghtml_printf(&m->h, "\xe2\x80\xa6 %d more", n - MAX_LIST);
	}
	jv_free(list);
	if ((s = FIELD(m, "build.base_id")) != NULL) {
		const char *bv = jvx_str(m->alert, "build.base_version");
		const char *bb = jvx_str(m->alert, "build.base_build_number");

		line(m);
		tghtml_puts(&m->h, "Compared with: ");
		if (bv && *bv) {
			text(m, bv, 64);
			if (bb && *bb) {
				tghtml_puts(&m->h, " (");
				text(m, bb, 32);
				tghtml_puts(&m->h, ")");
			}
			tghtml_puts(&m->h, ", ");
		}
		tghtml_puts(&m->h, "build ");
		text(m, s, 64);
	}

	/* the installable file (an API download link of Sentry's) */
	if (jvx_bool(m->alert, "build.installable") == 1 && url && *url) {
		line(m);
		tghtml_puts(&m->h, "\xf0\x9f\x93\xa5 Install: ");	/* 📥 */
		if (fmt_linkable(url)) {
			tghtml_open_link(&m->h, url);
			tghtml_puts(&m->h, "download the build");
			tghtml_close(&m->h);
		} else {
			text(m, url, FIELD_UNITS);
		}
	}

	/* Git: my-org/my-app feature-branch → main · PR #3 · 16bee14 */
	s = jvx_str(m->alert, "build.git.branch");
	if ((s && *s) || jvx_num(m->alert, "build.git.pr", 0, &d)) {
		const char *base = jvx_str(m->alert, "build.git.base_branch");
		const char *sha = jvx_str(m->alert, "build.git.sha");
		const char *repo = jvx_str(m->alert, "build.git.repo");

		line(m);
		tghtml_puts(&m->h, "Git:");
		sep = " ";
		if (repo && *repo) {
			tghtml_puts(&m->h, sep);
			text(m, repo, 100);
		}
		if (s && *s) {
			tghtml_puts(&m->h, sep);
			code(m, s, 100);
			if (base && *base) {
				tghtml_puts(&m->h, " \xe2\x86\x92 ");	/* → */
				code(m, base, 100);
			}
			sep = " \xc2\xb7 ";
		}
		if (jvx_num(m->alert, "build.git.pr", 0, &d) && d >= 0 &&
		    d < 1e15) {
			tghtml_printf(&m->h, "%sPR #%s", sep,
			    num_text(d, numbuf, sizeof numbuf));
			sep = " \xc2\xb7 ";
		}
		if (sha && *sha) {	/* the short hash */
			snprintf(b, sizeof b, "%.7s", sha);
			tghtml_puts(&m->h, sep);
			code(m, b, 16);
		}
	}
}

/* Seer's progress: iteration, pull requests, changes, steps. */
static void
seer_details(struct msg *m)
{
	char numbuf[64];
	const char *step = jvx_str(m->alert, "seer.step");
	const char *repo = jvx_str(m->alert, "seer.repo");
	jv list;
	double d, added, removed;
	int n;

	if (jvx_num(m->alert, "seer.iteration", 0, &d)) {
		line(m);
		tghtml_printf(&m->h, "Iteration: %s", num_text(d, numbuf,
		    sizeof numbuf));
	}
	if (repo && *repo)
		labelled(m, "Repository", repo);
	list = jvx_at(m->alert, "seer.pull_requests");
	n = jv_get_kind(list) == JV_KIND_ARRAY ?
	    jv_array_length(jv_copy(list)) : 0;
	for (int i = 0; i < n && i < MAX_LIST; i++) {
		jv pr = jv_array_get(jv_copy(list), i);
		const char *url = jvx_str(&pr, "url");
		const char *prepo = jvx_str(&pr, "repo");
		char label[300];

		if (jvx_num(&pr, "number", 0, &d))
			snprintf(label, sizeof label, "%.200s#%s",
			    prepo && *prepo ? prepo : "", num_text(d, numbuf,
			    sizeof numbuf));
		else
			snprintf(label, sizeof label, "%.200s",
			    prepo && *prepo ? prepo : url ? url : "?");
		line(m);
		tghtml_puts(&m->h, "Pull request: ");
		if (fmt_linkable(url)) {
			tghtml_open_link(&m->h, url);
			text(m, label, LINK_UNITS);
			tghtml_close(&m->h);
		} else {
			text(m, label, LINK_UNITS);
			if (url && *url && strcmp(url, label) != 0) {
				tghtml_puts(&m->h, " ");
				text(m, url, FIELD_UNITS);
			}
		}
		jv_free(pr);
	}
	jv_free(list);
	if (jvx_num(m->alert, "seer.files", 0, &d) && d > 0) {
		line(m);
		tghtml_printf(&m->h, "Changes: %s file%s", num_text(d, numbuf,
		    sizeof numbuf), d == 1 ? "" : "s");
		if (jvx_num(m->alert, "seer.added", 0, &added) &&
		    jvx_num(m->alert, "seer.removed", 0, &removed)) {
			tghtml_printf(&m->h, ", +%s", num_text(added, numbuf,
			    sizeof numbuf));
			tghtml_printf(&m->h, " -%s", num_text(removed, numbuf,
			    sizeof numbuf));
		}
	}
	list = jvx_at(m->alert, "seer.steps");
	n = jv_get_kind(list) == JV_KIND_ARRAY ?
	    jv_array_length(jv_copy(list)) : 0;
	if (n > 0) {
		block(m);
		tghtml_open(&m->h, "blockquote", "expandable");
		tghtml_puts(&m->h, is(step, "root_cause") ? "Reasoning:" :
		    is(step, "solution") ? "Plan:" : "Steps:");
		for (int i = 0; i < n && i < MAX_LIST; i++) {
			jv t = jv_array_get(jv_copy(list), i);

			tghtml_printf(&m->h, "\n%d. ", i + 1);
			if (jv_get_kind(t) == JV_KIND_STRING)
				text(m, jv_string_value(t), STEP_UNITS);
			jv_free(t);
		}
		if (n > MAX_LIST)
			tghtml_printf(&m->h, "\n\xe2\x80\xa6 %d more", n - MAX_LIST);
		tghtml_close(&m->h);
	}
	jv_free(list);
}

static void
headline(struct msg *m)
{
	char numbuf[64], numbuf2[64];
	const char *type = FIELD(m, "exception.type");
	const char *value = jvx_str(m->alert, "exception.value");
	const char *title = jvx_str(m->alert, "title");
	const char *message = jvx_str(m->alert, "message");
	const char *level = jvx_str(m->alert, "level");
	const char *head, *rest;
	double d;

	if (title && *title == '\0')
		title = NULL;
	/* Seer titles ("Seer", "Seer: root cause completed") repeat the header. */
	if (m->layout == L_SEER && title && strncasecmp(title, "seer", 4) == 0 &&
	    (title[4] == '\0' || title[4] == ':'))
		title = NULL;
	block(m);
	switch (m->layout) {
	case L_METRIC:
		bold(m, title ? title : "Metric alert", TITLE_UNITS);
		rest = jvx_str(m->alert, "metric.description");
		body(m, rest && *rest ? rest : message, 0);
		if (jvx_num(m->alert, "metric.value", 1, &d)) {
			line(m);
			tghtml_puts(&m->h, "\xf0\x9f\x93\x88 Value: ");	/* 📈 */
			bold(m, num_text(d, numbuf, sizeof numbuf), FIELD_UNITS);
			if (jvx_num(m->alert, "metric.threshold", 1, &d))
				tghtml_printf(&m->h, " (threshold %s)",
				    num_text(d, numbuf2, sizeof numbuf2));
		} else if (jvx_num(m->alert, "metric.threshold", 1, &d)) {
			line(m);
			tghtml_printf(&m->h, "Threshold: %s",
			    num_text(d, numbuf2, sizeof numbuf2));
		}
		if ((rest = FIELD(m, "metric.aggregate")) != NULL) {
			line(m);
			tghtml_puts(&m->h, "Aggregate: ");
			code(m, rest, FIELD_UNITS);
			if (jvx_num(m->alert, "metric.time_window", 1, &d) &&
			    d > 0)
				tghtml_printf(&m->h, " over %s min",
				    num_text(d, numbuf2, sizeof numbuf2));
		}
		if ((rest = jvx_str(m->alert, "metric.query")) && *rest) {
			line(m);
			tghtml_puts(&m->h, "Query: ");
			code(m, rest, FIELD_UNITS);
		}
		return;
	case L_COMMENT:
		if (title)
			bold(m, title, TITLE_UNITS);
		labelled(m, "From", FIELD(m, "actor"));
		body(m, jvx_str(m->alert, "comment"), 1);
		return;
	case L_SLOW:
		tghtml_puts(&m->h, "\xe2\x8f\xb1 ");	/* ⏱ */
		bold(m, title ? title : "transaction", TITLE_UNITS);
		if (jvx_num(m->alert, "duration_ms", 1, &d)) {
			line(m);
			tghtml_puts(&m->h, "Duration: ");
			if (d >= 1000)
				tghtml_printf(&m->h, "%s s",
				    num_text(round(d / 10) / 100, numbuf,
				    sizeof numbuf));
			else
				tghtml_printf(&m->h, "%s ms",
				    num_text(round(d), numbuf, sizeof numbuf));
		}
		body(m, message && (!title || strcmp(message, title)) ?
		    message : NULL, 0);
		return;
	case L_SEER: {
		/* the pull request's URL as the message says it again */
		const char *pr = jvx_str(m->alert, "seer.pull_requests.0.url");

		if (title == NULL) {	/* Seer's finding as plain text */
			body(m, message && pr && strcmp(message, pr) == 0 ?
			    NULL : message, 0);
			seer_details(m);
			return;
		}
		break;
	}
	case L_BUILD:
		build_headline(m);
		return;
	default:
		break;
	}
	/* The guide's "❌ ZeroDivisionError" / "division by zero". */
	if (type) {
		head = type;
		rest = value && *value ? value : message;
	} else if (title && split_title(title, numbuf, sizeof numbuf) &&
	    (message == NULL || strcmp(message, title) == 0 ||
	    strcmp(message, title + strlen(numbuf) + 2) == 0)) {
		head = numbuf;		/* "KeyError: 'id'" as type and value */
		rest = title + strlen(numbuf) + 2;
	} else {
		head = title ? title : message;
		rest = title ? message : NULL;
	}
	if (rest && head && strcmp(rest, head) == 0)
		rest = NULL;
	if (head) {
		if (m->layout != L_SEER && m->layout != L_GENERIC)
			tghtml_puts(&m->h, level_emoji(level));
		bold(m, head, TITLE_UNITS);
	}
	body(m, rest, 0);
	if (m->layout == L_ASSIGNED)
		labelled(m, "Assigned to", FIELD(m, "assignee"));
	if (m->layout == L_RESOLVED)
		labelled(m, "Resolution", resolution(FIELD(m, "resolution"),
		    numbuf2, sizeof numbuf2));
	if (m->layout == L_ASSIGNED || m->layout == L_RESOLVED ||
	    m->layout == L_IGNORED || m->layout == L_REGRESSION)
		labelled(m, "By", FIELD(m, "actor"));
	if (m->layout == L_SEER)
		seer_details(m);
}

static void
location(struct msg *m)
{
	char numbuf[64], lbuf[32];
	const char *file = jvx_str(m->alert, "location.file");
	const char *fn = jvx_str(m->alert, "location.function");
	const char *lineno = jvx_text(m->alert, "location.line", lbuf,
	    sizeof lbuf);
	const char *culprit = FIELD(m, "culprit");

	if (file && *file == '\0')
		file = NULL;
	if (fn && *fn == '\0')
		fn = NULL;
	if (file == NULL && fn == NULL && culprit == NULL)
		return;
	block(m);
	tghtml_puts(&m->h, "\xf0\x9f\x93\x8d ");	/* 📍 */
	if (file == NULL && fn == NULL) {
		tghtml_puts(&m->h, "Culprit: ");
		code(m, culprit, FIELD_UNITS);
		return;
	}
	tghtml_puts(&m->h, "Location: ");
	if (file) {
		tghtml_open(&m->h, "code", NULL);
		text(m, file, FIELD_UNITS);
		if (lineno) {
			tghtml_puts(&m->h, ":");
			text(m, lineno, 24);
		}
		tghtml_close(&m->h);
		if (fn)
			tghtml_puts(&m->h, " in ");
	}
	if (fn)
		code(m, fn, FIELD_UNITS);
}

/* One frame as plain text: "file:line in function". */
static size_t
frame_text(const jv *frame, char *buf, size_t size)
{
	char lbuf[32];
	const char *file = jvx_str(frame, "file");
	const char *fn = jvx_str(frame, "function");
	const char *ln = jvx_text(frame, "line", lbuf, sizeof lbuf);
	int n;

	n = snprintf(buf, size, "%s%s%s%s%s", file && *file ? file : "?",
	    ln ? ":" : "", ln ? ln : "", fn && *fn ? " in " : "",
	    fn && *fn ? fn : "");
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/*
 * The stack trace, innermost last, in an expandable blockquote: as many
 * innermost frames as the budget holds, "… N more frames" for the rest.
 */
static void
stack(struct msg *m)
{
	static const char head[] = "Stack trace (innermost last):";
	jv frames = jvx_get(m->alert, "stacktrace");
	int n, first, k;
	size_t need, used;
	char buf[1024];

	if (jv_get_kind(frames) != JV_KIND_ARRAY) {
		jv_free(frames);
		return;
	}
	n = jv_array_length(jv_copy(frames));
	if (n < 2) {
		jv_free(frames);
		return;
	}
	used = sizeof head - 1;
	m->stack_full = used;
	first = n;
	for (k = n - 1; k >= 0; k--) {
		jv f = jv_array_get(jv_copy(frames), k);
		size_t len = frame_text(&f, buf, sizeof buf);

		need = tghtml_utf16_units(buf, len);
		if (need > FRAME_UNITS)
			need = FRAME_UNITS;
		need += 1;	/* the newline */
		m->stack_full += need;
		if (used + need + 24 <= m->stack_budget && first == k + 1) {
			used += need;
			first = k;
		}
		jv_free(f);
	}
	if (first == n) {	/* not even one frame fits: leave it out */
		jv_free(frames);
		return;
	}
	block(m);
	tghtml_open(&m->h, "blockquote", "expandable");
	tghtml_puts(&m->h, head);
	if (first > 0)
		tghtml_printf(&m->h, "\n\xe2\x80\xa6 %d more frame%s", first,
		    first == 1 ? "" : "s");
	for (k = first; k < n; k++) {
		jv f = jv_array_get(jv_copy(frames), k);
		size_t len = frame_text(&f, buf, sizeof buf);

		tghtml_puts(&m->h, "\n");
		tghtml_text(&m->h, buf, len, FRAME_UNITS);
		jv_free(f);
	}
	tghtml_close(&m->h);
	jv_free(frames);
}

/* "🔗 View in Sentry: <a href=URL>URL</a>", or the URL as text when
 * Telegram would refuse it as a link. */
static void
link(struct msg *m)
{
	const char *url = jvx_str(m->alert, "url");

	if (url == NULL || *url == '\0')
		return;
	block(m);
	tghtml_puts(&m->h, "\xf0\x9f\x94\x97 View in Sentry: ");	/* 🔗 */
	if (fmt_linkable(url)) {
		tghtml_open_link(&m->h, url);
		text(m, url, LINK_UNITS);
		tghtml_close(&m->h);
	} else {
		text(m, url, FIELD_UNITS);
	}
}

/* [["k","v"],...] (consumed) -> {"k":"v"}; pairs of other shapes skipped. */
static jv
pairs_to_object(jv pairs)
{
	jv obj = jv_object();
	int n = jv_array_length(jv_copy(pairs));

	for (int i = 0; i < n && i < 1000; i++) {
		jv p = jv_array_get(jv_copy(pairs), i);

		if (jv_get_kind(p) == JV_KIND_ARRAY &&
		    jv_array_length(jv_copy(p)) == 2) {
			jv k = jv_array_get(jv_copy(p), 0);
			jv v = jv_array_get(jv_copy(p), 1);

			if (jv_get_kind(k) == JV_KIND_STRING)
				obj = jv_object_set(obj, k, v);
			else {
				jv_free(k);
				jv_free(v);
			}
		}
		jv_free(p);
	}
	jv_free(pairs);
	return obj;
}

static void
tags(struct msg *m)
{
	const struct fmt_opts *o = m->o;
	jv t = jvx_get(m->alert, "tags");
	int shown = 0;

	if (jv_get_kind(t) == JV_KIND_ARRAY)	/* Sentry's [key, value] pairs */
		t = pairs_to_object(t);
	if (jv_get_kind(t) != JV_KIND_OBJECT) {
		jv_free(t);
		return;
	}
	if (o->all_tags) {
		jv keys = jv_keys(jv_copy(t));
		int n = jv_array_length(jv_copy(keys));

		for (int i = 0; i < n && shown < MAX_TAGS; i++) {
			jv k = jv_array_get(jv_copy(keys), i);
			jv v = jv_object_get(jv_copy(t), jv_copy(k));

			if (jv_get_kind(v) == JV_KIND_STRING &&
			    jv_string_length_bytes(jv_copy(v)) > 0) {
				line(m);
				text(m, jv_string_value(k), 64);
				tghtml_puts(&m->h, ": ");
				text(m, jv_string_value(v), FIELD_UNITS);
				shown++;
			}
			jv_free(k);
			jv_free(v);
		}
		jv_free(keys);
	} else {
		for (size_t i = 0; o->tags && o->tags[i] && shown < MAX_TAGS;
		    i++) {
			jv v = jvx_get(&t, o->tags[i]);

			if (jv_get_kind(v) == JV_KIND_STRING &&
			    jv_string_length_bytes(jv_copy(v)) > 0) {
				line(m);
				text(m, o->tags[i], 64);
				tghtml_puts(&m->h, ": ");
				text(m, jv_string_value(v), FIELD_UNITS);
				shown++;
			}
			jv_free(v);
		}
	}
	jv_free(t);
}

static void
details(struct msg *m)
{
	char numbuf[64], date[64], users[64];
	const char *s, *count;
	size_t before = m->h.len, units = m->h.units;
	double d;

	block(m);
	size_t empty = m->h.len;

	labelled(m, "Environment", FIELD(m, "environment"));
	labelled(m, "Release", FIELD(m, "release"));
	if ((s = jvx_str(m->alert, "first_seen")) && *s)
		labelled(m, "First Seen", fmt_date(m->o, s, date, sizeof date));
	else if ((s = jvx_str(m->alert, "timestamp")) && *s)
		labelled(m, "Time", fmt_date(m->o, s, date, sizeof date));
	labelled(m, "Project", FIELD(m, "project"));
	if ((s = FIELD(m, "short_id")) != NULL) {
		line(m);
		tghtml_puts(&m->h, "Issue: ");
		code(m, s, 64);
	}
	count = jvx_num(m->alert, "count", 1, &d) ?
	    num_text(d, numbuf, sizeof numbuf) : NULL;
	if (count) {
		line(m);
		tghtml_printf(&m->h, "Events: %s", count);
	}
	if (jvx_num(m->alert, "users", 1, &d)) {
		if (count)
			tghtml_puts(&m->h, " \xc2\xb7 ");	/* · */
		else
			line(m);
		tghtml_puts(&m->h, "Users: ");
		tghtml_puts(&m->h, num_text(d, users, sizeof users));
	}
	labelled(m, "Rule", FIELD(m, "rule"));
	tags(m);
	if (m->h.len == empty)	/* nothing to show: drop the separator */
		tghtml_rewind(&m->h, before, units);
}

/* "+13 events since 12:03": what sentry-filter held back before this
 * message (alert.held {count, since}). */
static void
held(struct msg *m)
{
	const char *since = jvx_str(m->alert, "held.since");
	char numbuf[64], when[64];
	int64_t ms;
	double n;

	if (!jvx_num(m->alert, "held.count", 0, &n) || !(n >= 1))
		return;
	line(m);
	tghtml_printf(&m->h, "+%s event%s", num_text(n, numbuf,
	    sizeof numbuf), n == 1 ? "" : "s");
	if (since && clock_parse(since, &ms) == 0 && clock_format_tz(ms,
	    m->o->tz ? m->o->tz : "UTC", "%H:%M", when, sizeof when))
		tghtml_printf(&m->h, " since %s", when);
}

/* Render the whole alert with the given budgets; 0 ok, -1 out of memory. */
static char *
render_alert(struct msg *m, size_t stack_budget, size_t msg_budget,
    size_t *len)
{
	tghtml_init(&m->h);
	m->stack_budget = stack_budget;
	m->msg_budget = msg_budget;
	m->stack_full = m->msg_full = 0;
	header(m);
	headline(m);
	held(m);
	location(m);
	stack(m);
	link(m);
	details(m);
	trim_end(m);
	return tghtml_finish(&m->h, len);
}

/* Count what Telegram counts; NULL (and free) when the text is not valid. */
static size_t
units_of(const char *html, size_t len)
{
	size_t units;
	char err[160];

	if (tghtml_check(html, len, &units, err, sizeof err) < 0)
		return (size_t)-1;
	return units;
}

static char *
fit(char *html, size_t *len, char *err, size_t errsize)
{
	size_t units = units_of(html, *len);
	char *cut;

	if (units == (size_t)-1) {
		snprintf(err, errsize, "internal error: formatted text is not "
		    "valid Telegram HTML");
		free(html);
		return NULL;
	}
	if (units <= TGHTML_MAX_UNITS)
		return html;
	cut = tghtml_cut(html, *len, TGHTML_MAX_UNITS, len);
	free(html);
	if (cut == NULL)
		snprintf(err, errsize, "out of memory");
	return cut;
}

static char *
alert_text(const struct fmt_opts *o, const jv *alert, size_t *len,
    char *err, size_t errsize)
{
	struct msg m = { .o = o, .alert = alert };
	size_t units, base, avail, msg_budget;
	char *html;

	m.layout = choose_layout(alert);
	html = render_alert(&m, (size_t)-1, MESSAGE_UNITS, len);
	if (html == NULL)
		goto nomem;
	units = units_of(html, *len);
	if (units <= TGHTML_MAX_UNITS || units == (size_t)-1)
		return fit(html, len, err, errsize);
	/* Too long: the fixed parts first, then the message, the stack last. */
	free(html);
	if ((html = render_alert(&m, 0, 0, len)) == NULL)
		goto nomem;
	base = units_of(html, *len);
	free(html);
	avail = base + MARGIN < TGHTML_MAX_UNITS ?
	    TGHTML_MAX_UNITS - base - MARGIN : 0;
	msg_budget = m.msg_full < avail ? m.msg_full : avail;
	html = render_alert(&m, avail - msg_budget, msg_budget, len);
	if (html == NULL)
		goto nomem;
	return fit(html, len, err, errsize);
nomem:
	snprintf(err, errsize, "out of memory");
	return NULL;
}

/* Digest */

static const char *
period_date(const struct fmt_opts *o, const jv *digest, const char *key,
    char *buf, size_t size)
{
	double d;
	const char *s;

	if (jvx_num(digest, key, 0, &d) && isfinite(d) && fabs(d) < 1e15) {
		/* Seconds, or milliseconds when that large. */
		int64_t ms = fabs(d) > 1e11 ? (int64_t)d : (int64_t)(d * 1000);

		return clock_format_tz(ms, o->tz ? o->tz : "UTC", DATE_PATTERN,
		    buf, size);
	}
	if ((s = jvx_str(digest, key)) != NULL && *s)
		return fmt_date(o, s, buf, size);
	return NULL;
}

/*
 * The issues of a digest, one line each ("❌ API-1 Title ×3 (api)"), as
 * many as fit in a message, then "… and N more issues"; more is the
 * number of issues beyond the list.
 */
static void
issue_list(struct msg *m, const jv *issues, double more)
{
	const struct fmt_opts *o = m->o;
	char numbuf[64], title[64], count[64];
	int n = jvx_is(issues, JV_KIND_ARRAY) ?
	    jv_array_length(jv_copy(*issues)) : 0, k;
	const char *a;

	for (k = 0; k < n; k++) {
		jv it = jv_array_get(jv_copy(*issues), k);
		struct msg im = { .o = o, .alert = &it };
		size_t len0 = m->h.len, units0 = m->h.units;
		const char *id = field(&im, "short_id", numbuf, sizeof numbuf);
		const char *url = jvx_str(&it, "url");
		const char *t = field(&im, "title", title, sizeof title);
		double c;

		if (id == NULL)
			id = field(&im, "issue_id", numbuf, sizeof numbuf);
		tghtml_puts(&m->h, "\n");
		tghtml_puts(&m->h, level_emoji(jvx_str(&it, "level")));
		if (id && fmt_linkable(url)) {
			tghtml_open_link(&m->h, url);
			text(m, id, 64);
			tghtml_close(&m->h);
		} else if (id) {
			code(m, id, 64);
		}
		if (t) {
			tghtml_puts(&m->h, " ");
			text(m, t, 150);
		}
		if (jvx_num(&it, "count", 1, &c))
			tghtml_printf(&m->h, " \xc3\x97%s",	/* × */
			    num_text(c, count, sizeof count));
		if ((a = jvx_str(&it, "project")) && *a) {
			tghtml_puts(&m->h, " (");
			text(m, a, 64);
			tghtml_puts(&m->h, ")");
		}
		jv_free(it);
		/* Keep room for the "… and N more" line. */
		if (m->h.units + 40 > TGHTML_MAX_UNITS) {
			tghtml_rewind(&m->h, len0, units0);
			more += n - k;
			break;
		}
	}
	if (more >= 1)
		tghtml_printf(&m->h, "\n\xe2\x80\xa6 and %s more issue%s",
		    num_text(more, numbuf, sizeof numbuf), more == 1 ? "" : "s");
}

static char *
digest_text(const struct fmt_opts *o, const jv *digest, size_t *len,
    char *err, size_t errsize)
{
	struct msg m = { .o = o, .alert = digest };
	char from[64], to[64], numbuf[64];
	const char *a, *b;
	jv issues = jvx_get(digest, "issues");
	int n = 0;
	double d;

	tghtml_init(&m.h);
	tghtml_puts(&m.h, "\xf0\x9f\x93\x8b ");	/* 📋 */
	bold(&m, "SENTRY DIGEST", FIELD_UNITS);
	a = period_date(o, digest, "period_start", from, sizeof from);
	b = period_date(o, digest, "period_end", to, sizeof to);
	if (a || b) {
		line(&m);
		text(&m, a ? a : "?", 64);
		tghtml_puts(&m.h, " \xe2\x80\x93 ");	/* – */
		text(&m, b ? b : "?", 64);
	}
	if (jv_get_kind(issues) == JV_KIND_ARRAY)
		n = jv_array_length(jv_copy(issues));
	line(&m);
	if (jvx_num(digest, "total", 1, &d))
		tghtml_printf(&m.h, "%s event%s in %d issue%s",
		    num_text(d, numbuf, sizeof numbuf), d == 1 ? "" : "s", n,
		    n == 1 ? "" : "s");
	else
		tghtml_printf(&m.h, "%d issue%s", n, n == 1 ? "" : "s");
	if (n > 0)
		tghtml_puts(&m.h, "\n");
	issue_list(&m, &issues, 0);
	jv_free(issues);
	if ((a = tghtml_finish(&m.h, len)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	return fit((char *)a, len, err, errsize);
}

/*
 * A storm digest (sentry-filter's "kind":"storm"): the issues that came
 * faster than Telegram lets a chat take messages, in one message.
 * "🌪 Storm: 37 more issues in production in the last 30 s".
 */
static char *
storm_text(const struct fmt_opts *o, const jv *digest, size_t *len,
    char *err, size_t errsize)
{
	struct msg m = { .o = o, .alert = digest };
	jv issues = jvx_get(digest, "issues");
	const char *env = jvx_str(digest, "environment"), *a;
	char numbuf[64];
	int64_t from, to;
	double n = 0, omitted = 0;

	if (jvx_is(&issues, JV_KIND_ARRAY))
		n = jv_array_length(jv_copy(issues));
	if (jvx_num(digest, "omitted_issues", 1, &omitted) && omitted > 0)
		n += omitted;
	tghtml_init(&m.h);
	tghtml_puts(&m.h, "\xf0\x9f\x8c\xaa ");	/* 🌪 */
	tghtml_open(&m.h, "b", NULL);
	tghtml_printf(&m.h, "Storm: %s more issue%s", num_text(n, numbuf,
	    sizeof numbuf), n == 1 ? "" : "s");
	tghtml_close(&m.h);
	if (env && *env) {
		tghtml_puts(&m.h, " in ");
		text(&m, env, 64);
	}
	if ((a = jvx_str(digest, "period_start")) &&
	    clock_parse(a, &from) == 0 &&
	    (a = jvx_str(digest, "period_end")) &&
	    clock_parse(a, &to) == 0 && to >= from)
		tghtml_printf(&m.h, " in the last %s s", num_text(round((double)
		    (to - from) / 1000), numbuf, sizeof numbuf));
	tghtml_puts(&m.h, "\n");
	issue_list(&m, &issues, omitted > 0 ? omitted : 0);
	jv_free(issues);
	if ((a = tghtml_finish(&m.h, len)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	return fit((char *)a, len, err, errsize);
}

/* 1 when a string anywhere in v (borrowed) holds a NUL byte. */
static int
has_nul(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return (int)strlen(jv_string_value(v)) !=
		    jv_string_length_bytes(jv_copy(v));
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v)), found = 0;

		for (int i = 0; i < n && !found; i++) {
			jv e = jv_array_get(jv_copy(v), i);

			found = has_nul(e);
			jv_free(e);
		}
		return found;
	}
	case JV_KIND_OBJECT: {
		int found = 0;

		for (int i = jv_object_iter(v); jv_object_iter_valid(v, i) &&
		    !found; i = jv_object_iter_next(v, i)) {
			jv e = jv_object_iter_value(v, i);

			found = has_nul(e);
			jv_free(e);
		}
		return found;
	}
	default:
		return 0;
	}
}

/*
 * Strings with a NUL inside (JSON's \u0000) would end early as C strings
 * and hide what follows: drop the NULs, everywhere in v (consumed).
 * Rebuilding a container copies it (it is shared while we walk it), so
 * only the parts that hold a NUL are rebuilt: almost always none.
 */
static jv
scrub(jv v)
{
	if (!has_nul(v))
		return v;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING: {
		int n = jv_string_length_bytes(jv_copy(v));
		const char *s = jv_string_value(v);
		char *clean;
		int k = 0;

		if ((int)strlen(s) == n)
			return v;
		if ((clean = malloc((size_t)n + 1)) == NULL)
			return v;
		for (int i = 0; i < n; i++)
			if (s[i] != '\0')
				clean[k++] = s[i];
		jv_free(v);
		v = jv_string_sized(clean, k);
		free(clean);
		return v;
	}
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));

		for (int i = 0; i < n; i++)
			v = jv_array_set(v, i, scrub(jv_array_get(jv_copy(v), i)));
		return v;
	}
	case JV_KIND_OBJECT: {
		jv keys = jv_keys(jv_copy(v));
		int n = jv_array_length(jv_copy(keys));

		for (int i = 0; i < n; i++) {
			jv k = jv_array_get(jv_copy(keys), i);

			v = jv_object_set(v, jv_copy(k),
			    scrub(jv_object_get(jv_copy(v), k)));
		}
		jv_free(keys);
		return v;
	}
	default:
		return v;
	}
}

char *
fmt_text(const struct fmt_opts *o, const jv *rec, size_t *len, char *err,
    size_t errsize)
{
	jv alert = scrub(jvx_get(rec, "alert"));
	jv digest = scrub(jvx_get(rec, "digest"));
	char *html = NULL;

	if (jv_get_kind(alert) == JV_KIND_OBJECT)
		html = alert_text(o, &alert, len, err, errsize);
	else if (jv_is_valid(alert))
		snprintf(err, errsize, "\"alert\" is not an object");
	else if (jv_get_kind(digest) == JV_KIND_OBJECT && is(jvx_str(&digest,
	    "kind"), "storm"))
		html = storm_text(o, &digest, len, err, errsize);
	else if (jv_get_kind(digest) == JV_KIND_OBJECT)
		html = digest_text(o, &digest, len, err, errsize);
	else if (jv_is_valid(digest))
		snprintf(err, errsize, "\"digest\" is not an object");
	else
		snprintf(err, errsize, "no \"alert\" or \"digest\" to format");
	jv_free(alert);
	jv_free(digest);
	return html;
}

jv
fmt_telegram(const struct fmt_opts *o, const jv *rec, const char *text_)
{
	char buf[64];
	const char *chat = jvx_text(rec, "route.chat_id", buf, sizeof buf);
	const char *url = jvx_str(rec, "alert.url");
	jv t = jv_object();
	double d;

	if (chat == NULL || *chat == '\0')
		chat = o->chat;
	if (chat && !fmt_chat_valid(chat)) {
		jv_free(t);
		return jv_invalid_with_msg(jv_string("route.chat_id is not a "
		    "Telegram chat id"));
	}
	t = jvx_set_str(t, "method", "sendMessage");
	if (chat)
		t = jvx_set_str(t, "chat_id", chat);
	if (jvx_num(rec, "route.thread_id", 0, &d) && d >= 1 && d < 9e15 &&
	    d == floor(d))
		t = jv_object_set(t, jv_string("message_thread_id"),
		    jv_number(d));
	t = jvx_set_str(t, "text", text_);
	t = jvx_set_str(t, "parse_mode", "HTML");
	t = jv_object_set(t, jv_string("link_preview_options"),
	    jv_object_set(jv_object(), jv_string("is_disabled"), jv_true()));
	t = jv_object_set(t, jv_string("disable_notification"),
	    jv_bool(jvx_bool(rec, "route.silent") == 1 ||
	    (o->silent & level_bit(jvx_str(rec, "alert.level"))) != 0));
	if (fmt_linkable(url)) {
		jv button = jv_object();

		button = jvx_set_str(button, "text", "Open in Sentry");
		button = jvx_set_str(button, "url", url);
		t = jv_object_set(t, jv_string("reply_markup"),
		    jv_object_set(jv_object(), jv_string("inline_keyboard"),
		    jv_array_append(jv_array(),
		    jv_array_append(jv_array(), button))));
	}
	return t;
}

jv
fmt_template_input(const struct fmt_opts *o, const jv *rec,
    const char *default_text)
{
	static const char *dates[] = { "first_seen", "last_seen", "timestamp" };
	jv f = jv_object();
	char buf[64];

	f = jvx_set_str(f, "text", default_text);
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		char path[32];
		const char *s;

		snprintf(path, sizeof path, "alert.%s", dates[i]);
		s = jvx_str(rec, path);
		f = jvx_set_str(f, dates[i], s ? fmt_date(o, s, buf, sizeof buf) :
		    NULL);
	}
	f = jvx_set_str(f, "tz", o->tz ? o->tz : "UTC");
	f = jv_object_set(f, jv_string("linkable"),
	    jv_bool(fmt_linkable(jvx_str(rec, "alert.url"))));
	return jv_object_set(jv_copy(*rec), jv_string("fmt"), f);
}
