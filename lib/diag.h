/*
 * diag: diagnostics on stderr (or syslog), one line each, never a secret.
 *
 * Every message is "prog: text".  Secrets registered with diag_secret()
 * are replaced by "<redacted>" in every line before it is written, so a
 * libcurl error string or an excerpt of input cannot leak them.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stddef.h>

/* The suite's exit statuses (STYLE.md): one table for every tool. */
enum {
	EXIT_DONE = 0,		/* all input handled */
	EXIT_REJECTED = 1,	/* finished, some records rejected */
	EXIT_USAGE = 2,		/* usage or configuration error */
	EXIT_TEMPFAIL = 111	/* temporary failure: retrying may succeed */
};

void diag_init(const char *progname);
const char *diag_progname(void);
void diag_use_syslog(int facility);	/* 0 turns syslog off again */
void diag_set_verbosity(int level);	/* -1 quiet, 0 normal, 1+ verbose */
int diag_verbosity(void);

/* Register a secret to redact from every message (kept by pointer). */
void diag_secret(const char *secret);
void diag_forget_secrets(void);

void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Redact every registered secret in buf (NUL-terminated), in place. */
void diag_redact(char *buf, size_t size);

/*
 * Copy at most max bytes of untrusted text into out (size outsz) for a
 * message: control bytes and non-ASCII shown as \xNN, "..." when cut.
 * Returns out.
 */
char *diag_excerpt(const void *text, size_t len, size_t max,
    char *out, size_t outsz);

/* Make sure fds 0, 1 and 2 are open (on /dev/null if closed). */
void diag_ensure_fds(void);

#endif
