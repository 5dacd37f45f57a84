/*
 * fuzz_template: the jq template path on arbitrary records.  A fixed
 * template (tests/fuzz/template.jq, every helper) runs on the record
 * with "fmt" added, as sentry-fmt -T does; its output, built only from
 * the escaping helpers, must be valid Telegram HTML, and nothing may
 * assert inside libjq (explode/implode, slicing, regex on odd text).
 */
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "fmt.h"
#include "jvx.h"
#include "template.h"
#include "tghtml.h"
#include "fuzz.h"

static struct template *tmpl;

static const char program[] =
    "\"<b>\" + (.alert.title | tg_trim(60) | tg_escape) + \"</b>\\n\" +\n"
    "(.alert.message | tg_trim(200) | tg_quote) + \"\\n\" +\n"
    "(.alert.culprit | tg_code) + \" \" + (.alert.level | tg_bold) +\n"
    "\" \" + (.alert.environment | tg_italic) + \"\\n\" +\n"
    "(.alert.stacktrace | tg_pre) + \"\\n\" +\n"
    "(.alert.url | tg_link(\"Open\")) + \" \" + (.fmt.first_seen | tg_escape)\n"
    "+ \" \" + (.alert.tags | tg_escape)\n";

/* jq keeps its stack by its end pointer, which LeakSanitizer does not
 * take for a reference: free the template before the exit-time check. */
static void
free_template(void)
{
	template_free(tmpl);
	tmpl = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz_template.XXXXXX", err[512];
	int fd = mkstemp(path);

	if (fd == -1 || write(fd, program, sizeof program - 1) !=
	    (ssize_t)(sizeof program - 1))
		abort();
	close(fd);
	tmpl = template_load(path, err, sizeof err);
	unlink(path);
	if (tmpl == NULL) {
		fprintf(stderr, "fuzz_template: %s\n", err);
		abort();
	}
	atexit(free_template);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_opts o = { 0 };
	char err[512], herr[256];
	size_t len, units;
	char *html;
	jv rec;

	rec = jvx_parse((const char *)data, size);
	if (!jv_is_valid(rec) || !jvx_is(&rec, JV_KIND_OBJECT)) {
		jv_free(rec);
		return 0;
	}
	html = template_render(tmpl, fmt_template_input(&o, &rec, "default"),
	    &len, err, sizeof err);
	if (html != NULL) {
		fuzz_assert(strlen(html) == len);
		if (tghtml_check(html, len, &units, herr, sizeof herr) != 0) {
			fprintf(stderr, "template: %s\n", herr);
			fuzz_assert(!"template output is valid HTML");
		}
		free(html);
	} else {
		fuzz_assert(err[0] != '\0');
	}
	jv_free(rec);
	return 0;
}
