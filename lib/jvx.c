/* jvx: kind-checked access to untrusted jv values (libjq 1.6 asserts). */
#include "jvx.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
jvx_is(const jv *v, jv_kind kind)
{
	return jv_get_kind(*v) == kind;
}

jv
jvx_get(const jv *obj, const char *key)
{
	if (jv_get_kind(*obj) != JV_KIND_OBJECT)
		return jv_invalid();
	/* jv_object_get returns invalid for a missing key, never asserts. */
	return jv_object_get(jv_copy(*obj), jv_string(key));
}

static jv
step(jv cur, const char *part, size_t len)
{
	char key[256];
	char *end;
	long idx;

	if (len >= sizeof key) {
		jv_free(cur);
		return jv_invalid();
	}
	memcpy(key, part, len);
	key[len] = '\0';
	switch (jv_get_kind(cur)) {
	case JV_KIND_OBJECT:
		return jv_object_get(cur, jv_string(key));
	case JV_KIND_ARRAY:
		errno = 0;
		idx = strtol(key, &end, 10);
		if (len == 0 || *end != '\0' || errno) {
			jv_free(cur);
			return jv_invalid();
		}
		if (idx < 0)
			idx += jv_array_length(jv_copy(cur));
		if (idx < 0 || idx >= jv_array_length(jv_copy(cur))) {
			jv_free(cur);
			return jv_invalid();
		}
		return jv_array_get(cur, (int)idx);
	default:
		jv_free(cur);
		return jv_invalid();
	}
}

jv
jvx_at(const jv *root, const char *path)
{
	jv cur = jv_copy(*root);
	const char *p = path;

	if (*p == '\0')
		return cur;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		cur = step(cur, p, len);
		if (!jv_is_valid(cur) || dot == NULL)
			return cur;
		p = dot + 1;
	}
}

const char *
jvx_str(const jv *root, const char *path)
{
	jv v = jvx_at(root, path);
	const char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v);	/* still held by root */
	jv_free(v);
	return s;
}

int
jvx_num(const jv *root, const char *path, int strings_too, double *out)
{
	jv v = jvx_at(root, path);
	int ok = 0;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*out = jv_number_value(v);
		ok = 1;
	} else if (strings_too && jv_get_kind(v) == JV_KIND_STRING) {
		const char *s = jv_string_value(v);
		char *end;

		errno = 0;
		double d = strtod(s, &end);
		if (*s && *end == '\0' && errno == 0 && isfinite(d)) {
			*out = d;
			ok = 1;
		}
	}
	jv_free(v);
	return ok;
}

int
jvx_bool(const jv *root, const char *path)
{
	jv v = jvx_at(root, path);
	jv_kind k = jv_get_kind(v);

	jv_free(v);
	return k == JV_KIND_TRUE ? 1 : k == JV_KIND_FALSE ? 0 : -1;
}

const char *
jvx_text(const jv *root, const char *path, char *buf, size_t size)
{
	jv v = jvx_at(root, path);
	const char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		s = jv_string_value(v);
	} else if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);

		if (isfinite(d) && d == floor(d) && fabs(d) < 1e18)
			snprintf(buf, size, "%.0f", d);
		else if (isfinite(d))
			snprintf(buf, size, "%.17g", d);
		else
			buf[0] = '\0';
		s = buf[0] ? buf : NULL;
	}
	jv_free(v);
	return s;
}

/* Where a string starts right after a complete value, or -1. */
static long
adjacent_string(const char *s, size_t len)
{
	int after_value = 0;

	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '"':
			if (after_value)
				return (long)i;
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			after_value = 1;
			break;
		case ' ': case '\t': case '\r': case '\n':
			break;
		case '[': case '{': case ',': case ':':
			after_value = 0;
			break;
		default:	/* ] } and the characters of numbers, literals */
			after_value = 1;
			break;
		}
	}
	return -1;
}

jv
jvx_parse(const char *text, size_t len)
{
	long at;

	if (len > INT32_MAX)
		return jv_invalid_with_msg(jv_string("JSON text too long"));
	if ((at = adjacent_string(text, len)) >= 0)
		return jv_invalid_with_msg(jv_string_fmt(
		    "Expected separator between values at byte %ld", at + 1));
	return jv_parse_sized(text, (int)len);
}

jv
jvx_set_str(jv obj, const char *key, const char *s)
{
	return jv_object_set(obj, jv_string(key), s ? jv_string(s) : jv_null());
}
