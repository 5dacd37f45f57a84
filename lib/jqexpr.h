/*
 * jqexpr: a jq expression compiled once with libjq and run per record.
 *
 * libjq 1.6 prints compile errors through a callback (to stderr by
 * default); jqexpr_compile captures them into the caller's buffer
 * instead, so a config error is one line naming the file and line.
 */
#ifndef JQEXPR_H
#define JQEXPR_H

#include <jv.h>
#include <stddef.h>

struct jqexpr;

/* Compile text; NULL and err set (one line) when it does not compile. */
struct jqexpr *jqexpr_compile(const char *text, char *err, size_t errsize);
void jqexpr_free(struct jqexpr *);

/* The text it was compiled from. */
const char *jqexpr_text(const struct jqexpr *);

/*
 * Run the expression on input (borrowed).  jq truthiness of the first
 * output: 1 true, 0 false (false, null, or no output), -1 on a runtime
 * error with err set.
 */
int jqexpr_truthy(struct jqexpr *, const jv *input, char *err, size_t errsize);

#endif
