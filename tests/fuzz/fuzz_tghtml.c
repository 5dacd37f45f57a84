/*
 * fuzz_tghtml: Telegram HTML escaping, checking, trimming, splitting and
 * plain text.  The first byte picks a length budget; the rest is used
 * three times:
 *  - as untrusted text for the builder (inside a few tags): the result
 *    must pass tghtml_check within the budget;
 *  - as HTML for tghtml_check: when it passes, tghtml_cut to the budget
 *    must pass again within the budget, and tghtml_plain must not fail;
 *  - as what tg-send meets (any bytes): tghtml_split as HTML and as text
 *    gives parts within the budget, each with something visible, and
 *    parts that pass tghtml_check when the whole did; the plain-text
 *    resend never fails.
 */
#include <string.h>
#include <stdlib.h>

#include "tghtml.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void
check_ok(const char *html, size_t len, size_t max_units)
{
	char err[256];
	size_t units = 0;

	if (tghtml_check(html, len, &units, err, sizeof err) != 0) {
		fprintf(stderr, "tghtml_check: %s\n", err);
		fuzz_assert(!"output is valid Telegram HTML");
	}
	fuzz_assert(units <= max_units);
	fuzz_assert(units <= tghtml_utf16_units(html, len));
}

/* Split as tg-send does when Telegram says the text is too long. */
static void
split_ok(const char *text, size_t size, int html, size_t limit, int valid)
{
	char **parts, err[256];
	size_t n, units;

	if (tghtml_split(text, size, html, limit, &parts, &n) < 0)
		return;		/* the limit leaves no room: tg-send gives up */
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(parts[i]), k;

		fuzz_assert(tghtml_utf16_units(parts[i], len) <= limit);
		for (k = 0; k < len && strchr(" \t\n\v\f\r", parts[i][k]); k++)
			;
		fuzz_assert(k < len);
		if (html && valid &&
		    tghtml_check(parts[i], len, &units, err, sizeof err) != 0) {
			fprintf(stderr, "part %zu: %s\n", i, err);
			fuzz_assert(!"a part of valid HTML is valid");
		}
	}
	tghtml_parts_free(parts, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tghtml h;
	size_t max_units, len, units;
	char err[256], href[256], *out;

	if (size == 0)
		return 0;
	max_units = data[0] < 0xf0 ? 1 + data[0] : TGHTML_MAX_UNITS;
	data++, size--;

	/* Builder: escape untrusted bytes inside tags, within a budget. */
	tghtml_init(&h);
	tghtml_open(&h, "b", NULL);
	tghtml_puts(&h, "T");
	tghtml_close(&h);
	tghtml_open(&h, "blockquote", "expandable");
	snprintf(href, sizeof href, "https://x.io/?q=%.*s",
	    (int)(size < 200 ? size : 200), (const char *)data);
	tghtml_open_link(&h, href);	/* never empty: "<a href>" is invalid */
	tghtml_text(&h, (const char *)data, size, max_units);
	tghtml_close_all(&h);
	tghtml_open(&h, "pre", NULL);
	tghtml_open(&h, "code", "class=\"language-python\"");
	tghtml_text(&h, (const char *)data, size, max_units);
	out = tghtml_finish(&h, &len);
	if (out != NULL) {
		fuzz_assert(strlen(out) == len);
		check_ok(out, len, 1 + 2 * max_units);
		free(out);
	}
	tghtml_free(&h);

	/* Checker and cutter on the bytes as HTML. */
	if (tghtml_check((const char *)data, size, &units, err, sizeof err)
	    == 0) {
		out = tghtml_cut((const char *)data, size, max_units, &len);
		fuzz_assert(out != NULL);
		fuzz_assert(strlen(out) == len);
		check_ok(out, len, max_units);
		free(out);
		out = tghtml_plain((const char *)data, size,
		    TGHTML_PLAIN_TERMINAL);
		fuzz_assert(out != NULL);
		free(out);
	} else {
		fuzz_assert(err[0] != '\0');
	}

	/* tg-send: split (measured raw, so within any budget that leaves
	 * room) and the plain-text resend, on anything. */
	{
		/* tg-send's texts are C strings: up to a NUL. */
		size_t tlen = strnlen((const char *)data, size);
		int valid = tghtml_check((const char *)data, tlen, &units, err,
		    sizeof err) == 0;

		split_ok((const char *)data, tlen, 1, 6 + max_units, valid);
		split_ok((const char *)data, tlen, 0, 1 + max_units, 0);
		out = tghtml_plain((const char *)data, tlen,
		    TGHTML_PLAIN_RESEND);
		fuzz_assert(out != NULL);
		free(out);
	}
	return 0;
}
