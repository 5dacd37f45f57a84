/*
 * fuzz_tgapi: the Telegram response parser on arbitrary answers.  The
 * first two bytes pick the HTTP status; the rest is the body.  The reply
 * must be filled consistently: an outcome with a name, a NUL-terminated
 * description, ok only with "ok":true in a JSON object.
 */
#include <string.h>

#include "tgapi.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 403, 404, 409, 413,
	    429, 500, 502, 503, 0, 302, 999 };
	struct tgapi_reply r;
	long status;

	if (size < 1)
		return 0;
	status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	data++, size--;
	tgapi_reply_init(&r);
	tgapi_parse(status, (const char *)data, size, &r);
	fuzz_assert(tgapi_outcome_name(r.outcome) != NULL);
	fuzz_assert(memchr(r.description, '\0', sizeof r.description));
	fuzz_assert(memchr(r.migrate_to, '\0', sizeof r.migrate_to));
	if (r.ok)
		fuzz_assert(r.json);
	if (r.outcome == TGAPI_OK)
		fuzz_assert(r.ok);
	/* Parsing again into a used reply must not leak the first. */
	tgapi_reply_free(&r);
	tgapi_reply_init(&r);
	tgapi_parse(status, (const char *)data, size, &r);
	tgapi_reply_free(&r);
	return 0;
}
