/* template: custom layouts as jq programs, compiled once with libjq. */
#include "template.h"

#include <errno.h>
#include <jq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_MAX_BYTES (1u << 20)

/* One line, no newline: the user's program starts on the same line. */
const char template_helpers[] =
    "def tg_text: if type == \"string\" then . elif . == null then \"\" "
    "else tojson end; "
    "def tg_escape: tg_text | explode | map(select(. >= 32 or . == 9 or "
    ". == 10) | select(. != 127)) | implode | split(\"&\") | "
    "join(\"&amp;\") | split(\"<\") | join(\"&lt;\") | split(\">\") | "
    "join(\"&gt;\") | split(\"\\\"\") | join(\"&quot;\"); "
    "def tg_trim($n): tg_text | if length > $n then "
    ".[0:([$n - 1, 0] | max)] + \"\\u2026\" else . end; "
    "def tg_bold: \"<b>\" + tg_escape + \"</b>\"; "
    "def tg_italic: \"<i>\" + tg_escape + \"</i>\"; "
    "def tg_code: \"<code>\" + tg_escape + \"</code>\"; "
    "def tg_pre: \"<pre>\" + tg_escape + \"</pre>\"; "
    "def tg_quote: \"<blockquote expandable>\" + tg_escape + "
    "\"</blockquote>\"; "
    "def tg_linkable: type == \"string\" and length <= 2048 and "
    "test(\"^[Hh][Tt][Tt][Pp][Ss]?://[-a-zA-Z0-9\\u0080-\\uffff]+"
    "(\\\\.[-a-zA-Z0-9\\u0080-\\uffff]+)+(:[0-9]+)?([/?#][^\\\\s\\\"<>\\\\\\\\]*)?$\"); "
    "def tg_link($text): if tg_linkable then \"<a href=\\\"\" + tg_escape + "
    "\"\\\">\" + ($text | tg_escape) + \"</a>\" else tg_escape end; ";

struct template {
	jq_state *jq;
	char path[512];
};

struct errors {
	char *buf;
	size_t size;
};

/* Keep the first line of the first compile message. */
static void
on_error(void *data, jv msg)
{
	struct errors *e = data;
	jv text = jq_format_error(msg);

	if (e->buf[0] == '\0' && jv_get_kind(text) == JV_KIND_STRING) {
		const char *s = jv_string_value(text);

		snprintf(e->buf, e->size, "%.*s", (int)strcspn(s, "\n"), s);
	}
	jv_free(text);
}

static void
quiet(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

static char *
slurp(const char *path, char *err, size_t errsize)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(TEMPLATE_MAX_BYTES + 1)) == NULL) {
		fclose(f);
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, TEMPLATE_MAX_BYTES + 1, f);
	if (ferror(f) || n > TEMPLATE_MAX_BYTES) {
		snprintf(err, errsize, "%s: %s", path, ferror(f) ?
		    strerror(errno) : "larger than 1 MiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		snprintf(err, errsize, "%s: contains a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;
}

struct template *
template_load(const char *path, char *err, size_t errsize)
{
	struct template *t;
	struct errors e;
	char *src, *prog, first[400] = "";
	size_t hl = strlen(template_helpers), n;

	if ((src = slurp(path, err, errsize)) == NULL)
		return NULL;
	n = strlen(src);
	t = calloc(1, sizeof *t);
	prog = malloc(hl + n + 1);
	if (t == NULL || prog == NULL || (t->jq = jq_init()) == NULL) {
		snprintf(err, errsize, "%s: out of memory", path);
		free(src), free(prog), free(t);
		return NULL;
	}
	memcpy(prog, template_helpers, hl);
	memcpy(prog + hl, src, n + 1);
	free(src);
	snprintf(t->path, sizeof t->path, "%s", path);
	e.buf = first;
	e.size = sizeof first;
	jq_set_error_cb(t->jq, on_error, &e);
	if (!jq_compile(t->jq, prog)) {
		snprintf(err, errsize, "%s: %s", path,
		    first[0] ? first : "jq compile error");
		free(prog);
		template_free(t);
		return NULL;
	}
	free(prog);
	jq_set_error_cb(t->jq, quiet, NULL);
	return t;
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	if (t->jq)
		jq_teardown(&t->jq);
	free(t);
}

char *
template_render(struct template *t, jv input, size_t *len, char *err,
    size_t errsize)
{
	jv out;
	char *html;

	jq_start(t->jq, input, 0);
	out = jq_next(t->jq);
	if (jv_get_kind(out) == JV_KIND_STRING) {
		*len = (size_t)jv_string_length_bytes(jv_copy(out));
		if ((html = malloc(*len + 1)) == NULL) {
			snprintf(err, errsize, "out of memory");
		} else {
			memcpy(html, jv_string_value(out), *len);
			html[*len] = '\0';
		}
		jv_free(out);
		return html;
	}
	/* jv_invalid_has_msg() asserts on a valid value: ask the kind first. */
	if (!jv_is_valid(out) && jv_invalid_has_msg(jv_copy(out))) {
		jv msg = jv_invalid_get_msg(out);

		if (jv_get_kind(msg) == JV_KIND_STRING)
			snprintf(err, errsize, "template %s: %.*s", t->path,
			    (int)strcspn(jv_string_value(msg), "\n"),
			    jv_string_value(msg));
		else
			snprintf(err, errsize, "template %s: error (not a "
			    "string)", t->path);
		jv_free(msg);
	} else if (!jv_is_valid(out)) {
		jv_free(out);
		snprintf(err, errsize, "template %s: %s", t->path,
		    jq_halted(t->jq) ? "halted" : "produced no output");
	} else {
		snprintf(err, errsize, "template %s: produced %s, not a "
		    "string", t->path, jv_kind_name(jv_get_kind(out)));
		jv_free(out);
	}
	return NULL;
}
