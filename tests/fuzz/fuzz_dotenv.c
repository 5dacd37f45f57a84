/*
 * fuzz_dotenv: the .env line parser on arbitrary lines.  A parsed line
 * must give a NAME of [A-Za-z_][A-Za-z0-9_]* and a value, both inside
 * the line; an error must say why.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), *name = NULL, *value = NULL;
	const char *why = NULL;
	int rc;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	rc = dotenv_parse_line(line, &name, &value, &why);
	fuzz_assert(rc >= -1 && rc <= 1);
	if (rc == -1)
		fuzz_assert(why != NULL && *why != '\0');
	if (rc == 1) {
		size_t len = strlen(line);

		fuzz_assert(name >= line && name <= line + len);
		fuzz_assert(value > line && value <= line + size);
		fuzz_assert(isalpha((unsigned char)name[0]) || name[0] == '_');
		for (const char *p = name; *p; p++)
			fuzz_assert(isalnum((unsigned char)*p) || *p == '_');
		fuzz_assert(strlen(value) <= size);
	}
	free(line);
	return 0;
}
