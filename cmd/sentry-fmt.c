/*
 * sentry-fmt: turn alert and digest records into Telegram messages.
 *
 * Reads NDJSON records on stdin.  A record with an "alert" (from
 * sentry-verify) or a "digest" (from sentry-filter) gets a "telegram"
 * object: the exact sendMessage request (chat, topic, HTML text within
 * Telegram's limits, "Open in Sentry" button, link previews off,
 * silence by level).  Other records (drop markers, kinds it does not
 * know) pass through untouched.  Writes the records to stdout, or with
 * --preview a readable rendering for a terminal.
 *
 * Exits 0 when every record was handled, 1 when some were rejected
 * (reported on stderr and in the --rejects file), 2 on a usage or
 * configuration error (before reading anything), 111 on an I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "dotenv.h"
#include "fmt.h"
#include "jvx.h"
#include "ndjson.h"
#include "template.h"
#include "tghtml.h"

#define MAX_TAG_KEYS 32

static const char usage_line[] =
    "usage: sentry-fmt [-hpqVv] [-c chat] [-E env-file] [-r rejects]\n"
    "                  [-s levels] [-T template] [-t tags] [-z zone]\n";

static struct fmt_opts opts;
static struct template *tmpl;
static FILE *rejects;
static int preview;
static unsigned long rejected;

static void
usage(int status)
{
	fputs(usage_line, status ? stderr : stdout);
	exit(status);
}

static void config_error(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* A usage or configuration error: one line, exit 2 before any I/O. */
static void
config_error(const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_warn("%s", msg);
	exit(EXIT_USAGE);
}

/* A zone name clock_format_tz() can use, not silently UTC. */
static int
zone_valid(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	struct stat st;

	if (strcmp(tz, "UTC") == 0)
		return 1;
	if (*tz == '\0' || *tz == '/' || strstr(tz, "..") ||
	    strlen(tz) > 200)
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir :
	    "/usr/share/zoneinfo", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* "a,b,c" -> NULL-terminated keys, or all_tags for "*". */
static void
parse_tags(char *list, const char **keys)
{
	size_t n = 0;
	char *k;

	for (k = strtok(list, ","); k; k = strtok(NULL, ",")) {
		if (strcmp(k, "*") == 0)
			opts.all_tags = 1;
		else if (n + 1 < MAX_TAG_KEYS)
			keys[n++] = k;
		else
			config_error("--tags: more than %d keys", MAX_TAG_KEYS - 1);
	}
	keys[n] = NULL;
	opts.tags = keys;
}

static int
emit_preview(const jv *rec)
{
	const char *text = jvx_str(rec, "telegram.text");
	const char *chat = jvx_str(rec, "telegram.chat_id");
	const char *url = jvx_str(rec,
	    "telegram.reply_markup.inline_keyboard.0.0.url");
	char buf[64];
	const char *thread = jvx_text(rec, "telegram.message_thread_id", buf,
	    sizeof buf);
	char *plain;

	if (text == NULL) {
		printf("=== %s: passed through, nothing to send\n\n",
		    ndjson_id(rec));
		return ferror(stdout) ? -1 : 0;
	}
	printf("=== %s -> chat %s%s%s%s\n", ndjson_id(rec),
	    chat ? chat : "(tg-send's default)", thread ? ", topic " : "",
	    thread ? thread : "",
	    jvx_bool(rec, "telegram.disable_notification") == 1 ?
	    ", silent" : "");
	if ((plain = tghtml_plain(text, strlen(text),
	    TGHTML_PLAIN_TERMINAL)) == NULL)
		return -1;
	printf("%s\n", plain);
	free(plain);
	if (url)
		printf("[ Open in Sentry ] %s\n", url);
	putchar('\n');
	return ferror(stdout) ? -1 : 0;
}

/* Is the text, once parsed, nothing but white space? */
static int
blank(const char *html, size_t len)
{
	char *plain = tghtml_plain(html, len, TGHTML_PLAIN_TERMINAL);
	const char *p;
	int empty = 1;

	for (p = plain; p && *p; p++)
		if (strchr(" \t\r\n", *p) == NULL)
			empty = 0;
	free(plain);
	return empty;
}

static void
reject(const jv *rec, const char *why)
{
	ndjson_report(rejects, rec, "%s", why);
	rejected++;
}

/* Format one record; -1 only when stdout fails. */
static int
handle(jv rec)
{
	char err[512], terr[256];
	size_t len, units;
	char *html, *own;
	jv tg;

	if (!fmt_wants(&rec))
		goto out;
	if ((html = fmt_text(&opts, &rec, &len, err, sizeof err)) == NULL) {
		reject(&rec, err);
		jv_free(rec);
		return 0;
	}
	if (tmpl) {
		own = template_render(tmpl, fmt_template_input(&opts, &rec,
		    html), &len, err, sizeof err);
		free(html);
		if ((html = own) == NULL) {
			reject(&rec, err);
			jv_free(rec);
			return 0;
		}
		if (tghtml_check(html, len, &units, terr, sizeof terr) < 0) {
			snprintf(err, sizeof err, "template output is not "
			    "Telegram HTML: %s", terr);
			reject(&rec, err);
			free(html);
			jv_free(rec);
			return 0;
		}
		if (units > TGHTML_MAX_UNITS) {
			own = tghtml_cut(html, len, TGHTML_MAX_UNITS, &len);
			free(html);
			html = own;
		}
		if (html == NULL || blank(html, len)) {
			reject(&rec, html ? "template output is empty (Telegram "
			    "refuses a text of only white space)" : "out of memory");
			free(html);
			jv_free(rec);
			return 0;
		}
	}
	tg = fmt_telegram(&opts, &rec, html);
	free(html);
	if (!jv_is_valid(tg)) {
		jv msg = jv_invalid_get_msg(tg);

		reject(&rec, jv_get_kind(msg) == JV_KIND_STRING ?
		    jv_string_value(msg) : "cannot build the request");
		jv_free(msg);
		jv_free(rec);
		return 0;
	}
	rec = jv_object_set(rec, jv_string("telegram"), tg);
out:
	if (preview) {
		int r = emit_preview(&rec);

		jv_free(rec);
		return r;
	}
	return ndjson_write(stdout, rec);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "chat", required_argument, NULL, 'c' },
		{ "env-file", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "preview", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rejects", required_argument, NULL, 'r' },
		{ "silent-levels", required_argument, NULL, 's' },
		{ "tags", required_argument, NULL, 't' },
		{ "template", required_argument, NULL, 'T' },
		{ "tz", required_argument, NULL, 'z' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *chat = NULL, *envfile = NULL, *rejects_path = NULL;
	const char *silent = "info,debug", *template_path = NULL;
	const char *tag_keys[MAX_TAG_KEYS];
	struct ndjson_reader *in;
	char err[512];
	int c, r, status;
	jv rec;

	diag_ensure_fds();
	diag_init(argv[0]);
	opts.tz = "UTC";
	while ((c = getopt_long(argc, argv, "c:E:hpqr:s:t:T:Vvz:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c': chat = optarg; break;
		case 'E': envfile = optarg; break;
		case 'h': usage(EXIT_DONE); break;
		case 'p': preview = 1; break;
		case 'q': diag_set_verbosity(-1); break;
		case 'r': rejects_path = optarg; break;
		case 's': silent = optarg; break;
		case 't': parse_tags(optarg, tag_keys); break;
		case 'T': template_path = optarg; break;
		case 'V': printf("sentry-fmt %s\n", SENTRY_TG_VERSION);
			return fclose(stdout) ? EXIT_TEMPFAIL : EXIT_DONE;
		case 'v': diag_set_verbosity(diag_verbosity() + 1); break;
		case 'z': opts.tz = optarg; break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if (envfile && dotenv_load(envfile, 0, err, sizeof err) < 0)
		config_error("%s", err);
	if (chat == NULL && (chat = getenv("SENTRY_ALERT_CHAT_ID")) && !*chat)
		chat = NULL;
	if (chat && !fmt_chat_valid(chat))
		config_error("chat %s: %s", chat, "not a Telegram chat id "
		    "(a number or @channelname)");
	opts.chat = chat;
	if (!zone_valid(opts.tz))
		config_error("--tz %s: %s", opts.tz, "unknown time zone");
	if (fmt_levels(silent, &opts.silent) < 0)
		config_error("--silent-levels %s: %s", silent, "not a list of "
		    "fatal, error, warning, info, debug");
	if (template_path &&
	    (tmpl = template_load(template_path, err, sizeof err)) == NULL)
		config_error("%s", err);
	if (rejects_path && (rejects = ndjson_open_rejects(rejects_path)) == NULL)
		config_error("%s: %s", rejects_path, strerror(errno));

	in = ndjson_open(STDIN_FILENO, NDJSON_DEFAULT_MAX_LINE);
	if (in == NULL)
		config_error("stdin: %s", strerror(errno));
	ndjson_flush_before_read(in, stdout);
	ndjson_reject_to(in, rejects);
	status = EXIT_DONE;
	while ((r = ndjson_next(in, &rec)) == 1) {
		if (handle(rec) < 0 || ferror(stdout)) {
			diag_warn("stdout: %s", strerror(errno));
			status = EXIT_TEMPFAIL;
			break;
		}
	}
	if (r < 0) {
		diag_warn("%s", ndjson_read_error(errno));
		status = EXIT_TEMPFAIL;
	}
	if (status == EXIT_DONE && (rejected || ndjson_rejected(in)))
		status = EXIT_REJECTED;
	ndjson_close(in);
	template_free(tmpl);
	if (rejects && fclose(rejects) != 0 && status == EXIT_DONE)
		status = EXIT_TEMPFAIL;
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (status != EXIT_TEMPFAIL)
			diag_warn("stdout: %s", strerror(errno));
		status = EXIT_TEMPFAIL;
	}
	return status;
}
