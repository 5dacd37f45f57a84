/*
 * template: custom message layouts as jq programs.
 *
 * A template is a jq program run on the record (with "fmt" added, see
 * fmt_template_input()); its first output, a string, is the message's
 * HTML text.  It is compiled once with libjq, with helper definitions
 * put in front of it on the same line, so jq's line numbers in errors
 * are the file's own:
 *
 *   tg_escape      any value -> text safe in Telegram HTML (&lt; &gt;
 *                  &amp; &quot; only: jq's @html emits &apos;, which
 *                  Telegram shows literally), control characters dropped
 *   tg_trim($n)    text cut to at most $n characters, "…" added when cut
 *                  (cut before escaping, so never inside an entity)
 *   tg_bold, tg_italic, tg_code, tg_pre   escaped text in that tag
 *   tg_quote       escaped text in <blockquote expandable>
 *   tg_linkable    is the URL one Telegram takes as a link?
 *   tg_link($text) a URL as <a href> with escaped $text, or the escaped
 *                  URL as plain text when Telegram would refuse the link
 */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <jv.h>
#include <stddef.h>

struct template;

/* Read and compile the program in path; NULL with a one-line reason
 * (naming the file) in err when it cannot. */
struct template *template_load(const char *path, char *err, size_t errsize);
void template_free(struct template *t);

/* Run the template on input (consumed).  The HTML (the caller frees,
 * *len set), or NULL with a reason in err. */
char *template_render(struct template *t, jv input, size_t *len,
    char *err, size_t errsize);

/* The helper definitions, for the man page and tests. */
extern const char template_helpers[];

#endif
