/*
 * dotenv: load a .env file (the original setup guide's format) into the
 * environment.
 *
 *   # comment
 *   SENTRY_ALERT_TELEGRAM_TOKEN=123456:ABC-DEF   # trailing comment
 *   export SENTRY_ALERT_CHAT_ID=123456789
 *   SENTRY_WEBHOOK_SECRET="quoted value, # kept"
 *   NAME='single quoted, no escapes'
 *
 * Variables already set in the environment win (flags, then environment,
 * then files), unless overwrite is set.  Values are never printed: an
 * error names the file, the line and the variable only.
 */
#ifndef DOTENV_H
#define DOTENV_H

#include <stddef.h>

/* 0 ok, -1 with errbuf set ("FILE:LINE: why"). */
int dotenv_load(const char *path, int overwrite, char *errbuf, size_t errsize);

/*
 * Parse one line.  1 and name/value set (pointing into line, which is
 * modified), 0 for a blank or comment line, -1 with *why set.
 */
int dotenv_parse_line(char *line, char **name, char **value, const char **why);

#endif
