/*
 * secret: secrets from the environment or a file, never from argv
 * (argv is world-readable in /proc); constant-time comparison; wiping.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

/*
 * Load a secret: from the file at path when path is non-NULL, else from
 * the environment variable env (which is then removed from the
 * environment, so children do not inherit it).  One trailing newline
 * (LF or CRLF) is stripped from a file.  Returns a malloc'd string, or
 * NULL with errbuf saying why (never the secret itself); *absent is set
 * when neither source had a value (not an error for optional secrets).
 */
char *secret_load(const char *env, const char *path, int *absent,
    char *errbuf, size_t errsize);

/* Overwrite and free a secret returned by secret_load. */
void secret_free(char *secret);

/* Overwrite memory in a way the compiler may not drop. */
void secret_wipe(void *buf, size_t len);

/*
 * 1 when a and b hold the same bytes.  The time taken depends only on the
 * lengths, never on where the first difference is.
 */
int secret_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
