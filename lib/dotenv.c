/* dotenv: KEY=VALUE files into the environment. */
#include "dotenv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

int
dotenv_parse_line(char *line, char **name, char **value, const char **why)
{
	char *p = line, *eq, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	if (!(isalpha((unsigned char)*p) || *p == '_')) {
		*why = "expected NAME=value";
		return -1;
	}
	*name = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=') {
		*why = "expected NAME=value";
		return -1;
	}
	eq = p;
	*end = '\0';
	p = eq + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"' || *p == '\'') {
		char quote = *p++;
		char *out = p, *in = p;

		*value = p;
		for (;;) {
			if (*in == '\0' || *in == '\n' || *in == '\r') {
				*why = "unterminated quoted value";
				return -1;
			}
			if (*in == quote)
				break;
			if (quote == '"' && *in == '\\' && in[1] != '\0') {
				in++;
				*out++ = *in == 'n' ? '\n' : *in;
				in++;
				continue;
			}
			*out++ = *in++;
		}
		in++;
		while (*in == ' ' || *in == '\t')
			in++;
		if (*in != '\0' && *in != '#' && *in != '\n' && *in != '\r') {
			*why = "text after the closing quote";
			return -1;
		}
		*out = '\0';
		return 1;
	}
	*value = p;
	/* Unquoted: a '#' after white space starts a comment. */
	for (end = p; *end && *end != '\n' && *end != '\r'; end++)
		if (*end == '#' && end > p && (end[-1] == ' ' || end[-1] == '\t'))
			break;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	return 1;
}

int
dotenv_load(const char *path, int overwrite, char *errbuf, size_t errsize)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int rc = 0;

	if (f == NULL) {
		snprintf(errbuf, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		char *name, *value;
		const char *why = NULL;

		lineno++;
		if (memchr(line, '\0', (size_t)n)) {
			snprintf(errbuf, errsize, "%s:%lu: NUL byte", path,
			    lineno);
			rc = -1;
			break;
		}
		switch (dotenv_parse_line(line, &name, &value, &why)) {
		case -1:
			snprintf(errbuf, errsize, "%s:%lu: %s", path, lineno,
			    why);
			rc = -1;
			break;
		case 1:
			if (setenv(name, value, overwrite) == -1) {
				snprintf(errbuf, errsize, "%s:%lu: %s: %s",
				    path, lineno, name, strerror(errno));
				rc = -1;
			}
			break;
		}
		if (rc)
			break;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(errbuf, errsize, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (line) {
		secret_wipe(line, cap);
		free(line);
	}
	fclose(f);
	return rc;
}
