/*
 * jvx: kind-checked access to untrusted jv values.
 *
 * libjq 1.6 asserts (and so kills the process) when a typed accessor gets
 * the wrong kind: jv_object_get on an array, jv_string_value on a number.
 * Untrusted records are read only through these helpers, which check the
 * kind first and answer "absent" instead.
 *
 * Ownership, as in jv.h: a "jv" parameter is consumed, a "const jv *" is
 * borrowed.  Every function here borrows its input; the jv it returns is
 * the caller's to free.  The const char * results point into the borrowed
 * value and live as long as it does, unchanged.
 */
#ifndef JVX_H
#define JVX_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

/* The member key of an object, or jv_invalid() when absent or not one. */
jv jvx_get(const jv *obj, const char *key);

/*
 * Follow a dotted path: "data.issue.id", "exception.values.-1.type".
 * Numeric parts index arrays (negative from the end).  jv_invalid() when
 * any step is absent or of the wrong kind.
 */
jv jvx_at(const jv *root, const char *path);

/* The string at path, or NULL when absent or not a string. */
const char *jvx_str(const jv *root, const char *path);

/* 1 and *out set when the value at path is a number (or a numeric string
 * when strings_too is set); 0 otherwise. */
int jvx_num(const jv *root, const char *path, int strings_too, double *out);

/* 1 true, 0 false, -1 absent or not a boolean. */
int jvx_bool(const jv *root, const char *path);

/* Kind tests that do not consume. */
int jvx_is(const jv *v, jv_kind kind);

/* The value at path turned into a string: strings as they are, numbers
 * as integers when integral (ids above 2^53 come as strings already),
 * NULL otherwise.  buf holds the number's text. */
const char *jvx_text(const jv *root, const char *path, char *buf, size_t size);

/* Set obj[key] to a string or null (NULL s): returns the new object. */
jv jvx_set_str(jv obj, const char *key, const char *s);

/*
 * Parse JSON text as jv_parse_sized does, minus a libjq 1.6 leak: its
 * parser never frees a string that follows a complete value with no
 * separator (["a" "b"], {"a":1 "b"}), so untrusted text could grow a
 * long-running stage without bound.  Such text is refused here first
 * ("Expected separator between values").  The result is the caller's.
 */
jv jvx_parse(const char *text, size_t len);


#endif
