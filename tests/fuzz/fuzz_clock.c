/*
 * fuzz_clock: clock_parse on arbitrary text.  A time it accepts must
 * format and parse back to the same millisecond (years 0-9999), and
 * formatting never overruns.
 */
#include <string.h>
#include <stdlib.h>

#include "clock.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[CLOCK_RFC3339_SIZE], tz[64];
	int64_t ms, back;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (clock_parse(text, &ms) == 0 && ms >= 0 &&
	    ms < INT64_C(253402300800000)) {
		clock_format(ms, out, sizeof out);
		fuzz_assert(strlen(out) == 24);
		fuzz_assert(clock_parse(out, &back) == 0);
		fuzz_assert(back == ms);
		clock_format_tz(ms, "UTC", "%Y-%m-%d %H:%M:%S", tz, sizeof tz);
		fuzz_assert(strncmp(tz, out, 10) == 0);
	}
	free(text);
	return 0;
}
