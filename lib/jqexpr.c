/* jqexpr: compile a jq expression once, test its truthiness per record. */
#include "jqexpr.h"

#include <jq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jqexpr {
	jq_state *jq;
	char *text;
	char *err;		/* where the error callback writes */
	size_t errsize;
};

/* libjq reports compile errors as jv strings through this callback. */
static void
capture_error(void *data, jv msg)
{
	struct jqexpr *e = data;

	if (e->err != NULL && e->errsize > 0 && e->err[0] == '\0') {
		if (jv_get_kind(msg) == JV_KIND_STRING)
			snprintf(e->err, e->errsize, "%s", jv_string_value(msg));
		else
			snprintf(e->err, e->errsize, "invalid expression");
		for (char *p = e->err; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		/* "jq: error: " says nothing the caller does not say */
		if (strncmp(e->err, "jq: error: ", 11) == 0)
			memmove(e->err, e->err + 11, strlen(e->err + 11) + 1);
		for (size_t n = strlen(e->err); n > 0 && e->err[n - 1] == ' ';)
			e->err[--n] = '\0';
	}
	jv_free(msg);
}

/*
 * 1 when a string literal of text is not closed.  libjq 1.6 leaks
 * compiling such a program (found by fuzzing), so it never sees one:
 * strings nest in \( ) interpolations, which nest strings again; '#'
 * starts a comment outside strings.
 */
static int
unterminated_string(const char *p)
{
	int stack[32], depth = 0, in_string = 0;

	for (; *p; p++) {
		if (in_string) {
			if (*p == '\\' && p[1] == '(') {
				if (depth == 32)
					return 1;	/* too deep to follow */
				stack[depth++] = 0;	/* parens open in it */
				in_string = 0;
				p++;
			} else if (*p == '\\' && p[1]) {
				p++;
			} else if (*p == '"') {
				in_string = 0;
			}
		} else if (*p == '"') {
			in_string = 1;
		} else if (*p == '#') {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (depth > 0 && *p == '(') {
			stack[depth - 1]++;
		} else if (depth > 0 && *p == ')') {
			if (stack[depth - 1]-- == 0) {
				depth--;	/* back in the string */
				in_string = 1;
			}
		}
	}
	return in_string || depth > 0;
}

struct jqexpr *
jqexpr_compile(const char *text, char *err, size_t errsize)
{
	struct jqexpr *e;

	if (errsize > 0)
		err[0] = '\0';
	if (unterminated_string(text)) {
		snprintf(err, errsize, "syntax error: a string is not closed");
		return NULL;
	}
	e = calloc(1, sizeof *e);
	if (e == NULL || (e->text = strdup(text)) == NULL ||
	    (e->jq = jq_init()) == NULL) {
		snprintf(err, errsize, "out of memory");
		jqexpr_free(e);
		return NULL;
	}
	e->err = err;
	e->errsize = errsize;
	jq_set_error_cb(e->jq, capture_error, e);
	if (!jq_compile(e->jq, text)) {
		if (errsize > 0 && err[0] == '\0')
			snprintf(err, errsize, "does not compile");
		jqexpr_free(e);
		return NULL;
	}
	e->err = NULL;
	e->errsize = 0;
	return e;
}

void
jqexpr_free(struct jqexpr *e)
{
	if (e == NULL)
		return;
	if (e->jq)
		jq_teardown(&e->jq);
	free(e->text);
	free(e);
}

const char *
jqexpr_text(const struct jqexpr *e)
{
	return e->text;
}

int
jqexpr_truthy(struct jqexpr *e, const jv *input, char *err, size_t errsize)
{
	jv out;
	int truth;

	e->err = err;
	e->errsize = errsize;
	if (errsize > 0)
		err[0] = '\0';
	jq_start(e->jq, jv_copy(*input), 0);
	out = jq_next(e->jq);
	if (jv_is_valid(out)) {
		jv_kind k = jv_get_kind(out);

		truth = k != JV_KIND_NULL && k != JV_KIND_FALSE;
		jv_free(out);	/* the rest is never asked for: jq_start resets */
	} else if (jv_invalid_has_msg(jv_copy(out))) {
		jv msg = jv_invalid_get_msg(out);

		if (jv_get_kind(msg) == JV_KIND_STRING)
			snprintf(err, errsize, "%s", jv_string_value(msg));
		else {
			jv s = jv_dump_string(msg, 0);

			snprintf(err, errsize, "%s", jv_string_value(s));
			jv_free(s);
			msg = jv_null();
		}
		jv_free(msg);
		truth = -1;
	} else {
		jv_free(out);
		truth = 0;	/* no output: empty */
	}
	e->err = NULL;
	e->errsize = 0;
	return truth;
}
