/*
 * fuzz_rules: the rules-file parser (sentry-filter(5)) on arbitrary text,
 * one statement per line as rules_load_file reads them.  Each line is
 * taken or refused with a message naming where ("fuzz:N: ..."); adding
 * the defaults after it either works or says why (a name taken); nothing
 * leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rules.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r = rules_new();
	char *text = malloc(size + 1), *line, *save = NULL, err[512], origin[32];
	int n = 0;

	if (r == NULL || text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line && n < 200;
	    line = strtok_r(NULL, "\n", &save)) {
		int rc;

		snprintf(origin, sizeof origin, "fuzz:%d", ++n);
		err[0] = '\0';
		rc = rules_parse_line(r, line, origin, err, sizeof err);
		fuzz_assert(rc == 0 || rc == -1);
		if (rc == -1)
			fuzz_assert(strncmp(err, origin, strlen(origin)) == 0);
	}
	err[0] = '\0';
	if (rules_add_defaults(r, err, sizeof err) != 0)
		fuzz_assert(err[0] != '\0');
	rules_free(r);
	free(text);
	return 0;
}
