/*
 * fuzz_fmt: the record -> sendMessage formatter on arbitrary records.
 * The input is a JSON record (usually {"alert":{...}}); whatever fmt
 * accepts must come out as valid Telegram HTML within 4096 units, and
 * the request and the template input must build without asserting.
 */
#include <string.h>
#include <stdlib.h>

#include "fmt.h"
#include "jvx.h"
#include "tghtml.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* No zone database lookups per input: Europe/Moscow is fixed. */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = { "browser", "os", "level", NULL };
	struct fmt_opts o = { 0 };
	char err[512], buf[64], herr[256];
	size_t len, units;
	unsigned bits;
	char *html;
	jv rec, tg, in;

	if (size == 0)
		return 0;
	o.tz = (data[0] & 1) ? "Europe/Moscow" : NULL;
	o.tags = (data[0] & 2) ? tags : NULL;
	o.all_tags = (data[0] & 4) != 0;
	o.chat = (data[0] & 8) ? "-1001234567890" : NULL;
	o.silent = FMT_INFO | FMT_DEBUG;
	data++, size--;
	rec = jvx_parse((const char *)data, size);
	if (!jv_is_valid(rec)) {
		jv_free(rec);
		/* The small string checkers on the raw bytes instead. */
		char *s = malloc(size + 1);

		if (s == NULL)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		(void)fmt_linkable(s);
		(void)fmt_chat_valid(s);
		(void)fmt_levels(s, &bits);
		/* the input itself when it is no date: buf untouched then */
		buf[0] = '\0';
		(void)fmt_date(&o, s, buf, sizeof buf);
		fuzz_assert(strnlen(buf, sizeof buf) < sizeof buf);
		free(s);
		return 0;
	}
	if (fmt_wants(&rec)) {
		html = fmt_text(&o, &rec, &len, err, sizeof err);
		if (html != NULL) {
			fuzz_assert(strlen(html) == len);
			if (tghtml_check(html, len, &units, herr,
			    sizeof herr) != 0) {
				fprintf(stderr, "fmt_text: %s\n", herr);
				fuzz_assert(!"fmt_text output is valid HTML");
			}
			fuzz_assert(units <= TGHTML_MAX_UNITS);
			in = fmt_template_input(&o, &rec, html);
			jv_free(in);
			tg = fmt_telegram(&o, &rec, html);
			jv_free(tg);
			free(html);
		} else {
			fuzz_assert(err[0] != '\0');
		}
	}
	jv_free(rec);
	return 0;
}
