/*
 * fuzz_jqexpr: jq expressions as rules give them (jq=...), compiled with
 * libjq and run on a fixed alert record.  A compile error is one line in
 * the buffer, never printed; a run is true, false or an error with a
 * reason.  Expressions that can loop for ever (recursion, while, until,
 * repeat, range, limit) are compiled but not run.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jqexpr.h"

static jv input;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	input = jv_parse("{\"v\":1,\"id\":\"r\",\"alert\":{\"kind\":\"issue\","
	    "\"level\":\"error\",\"title\":\"T\",\"count\":3,\"tags\":"
	    "{\"env\":\"prod\"}},\"payload\":{\"data\":[1,2,{\"a\":null}]}}");
	if (!jv_is_valid(input))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const unbounded[] = { "def", "while", "until",
	    "repeat", "recurse", "range", "limit", "..", "input", "env",
	    "$__loc__", "getpath", "splits", "combinations", "walk", NULL };
	char *text, err[512];
	struct jqexpr *e;

	if (size > 512 || memchr(data, 0, size))
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	e = jqexpr_compile(text, err, sizeof err);
	if (e == NULL) {
		fuzz_assert(err[0] != '\0' && strchr(err, '\n') == NULL);
	} else {
		int run = 1, rc;

		fuzz_assert(strcmp(jqexpr_text(e), text) == 0);
		for (int i = 0; unbounded[i]; i++)
			if (strstr(text, unbounded[i]))
				run = 0;
		if (run) {
			err[0] = '\0';
			rc = jqexpr_truthy(e, &input, err, sizeof err);
			fuzz_assert(rc >= -1 && rc <= 1);
			if (rc == -1)
				fuzz_assert(err[0] != '\0');
		}
		jqexpr_free(e);
	}
	free(text);
	return 0;
}
