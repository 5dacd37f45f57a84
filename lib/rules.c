/* rules: parse sentry-filter's rules, match them against records. */
#include "rules.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "jvx.h"

enum {
	COND_ANY, COND_LEVEL, COND_FIELD, COND_TAG, COND_NUMBER, COND_JQ,
	COND_CRITICAL, COND_NEW, COND_REGRESSION, COND_FREQUENCY, COND_SLOW,
	COND_METRIC
};
enum { OP_NONE, OP_EQ, OP_NE, OP_RE, OP_NRE, OP_GT, OP_GE, OP_LT, OP_LE };

/* Keys naming a string field of the alert view. */
static const struct {
	const char *key, *path;
} fields[] = {
	{ "env", "environment" }, { "environment", "environment" },
	{ "project", "project" }, { "project_id", "project_id" },
	{ "kind", "kind" }, { "action", "action" }, { "title", "title" },
	{ "message", "message" }, { "culprit", "culprit" },
	{ "release", "release" }, { "platform", "platform" },
	{ "file", "location.file" }, { "function", "location.function" },
	{ "exception", "exception.type" }, { "alert_rule", "rule" },
	{ "issue_id", "issue_id" }, { "short_id", "short_id" },
	{ "status", "status" }, { "assignee", "assignee" },
	{ "severity", "metric.severity" },
};

/* Keys naming a number of the alert view. */
static const struct {
	const char *key, *path;
	int64_t unit_ms;	/* durations: the unit of a bare number */
} numbers[] = {
	{ "duration", "duration_ms", 1 }, { "count", "count", 0 },
	{ "users", "users", 0 },
};

static const char *const level_names[] = {
	"debug", "info", "warning", "error", "fatal"
};

int
rules_level_rank(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < 5; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	if (strcmp(name, "warn") == 0)
		return LEVEL_WARNING;
	if (strcmp(name, "critical") == 0)
		return LEVEL_FATAL;
	return -1;
}

int64_t
rules_parse_duration(const char *text, int64_t unit_ms)
{
	char *end;
	double d;
	int64_t mul;

	errno = 0;
	d = strtod(text, &end);
	if (end == text || errno || d < 0 || !isfinite(d) ||
	    !isdigit((unsigned char)text[0]))
		return -1;
	if (*end == '\0')
		mul = unit_ms;
	else if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else if (strcmp(end, "d") == 0)
		mul = 86400000;
	else
		return -1;
	if (mul == 0 || d * (double)mul > 1e15)
		return -1;
	return (int64_t)(d * (double)mul + 0.5);
}

char *
rules_format_duration(int64_t ms, char *buf, size_t n)
{
	if (ms % 3600000 == 0 && ms > 0)
		snprintf(buf, n, "%" PRId64 "h", ms / 3600000);
	else if (ms % 60000 == 0 && ms > 0)
		snprintf(buf, n, "%" PRId64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, n, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, n, "%" PRId64 "ms", ms);
	return buf;
}

struct rules *
rules_new(void)
{
	struct rules *rs = calloc(1, sizeof *rs);

	if (rs == NULL)
		return NULL;
	rs->topic = -1;
	rs->silent = -1;
	rs->throttle_ms = -1;
	rs->digest_ms = -1;
	rs->ring = 1;
	rs->filter.topic = -1;
	rs->filter.silent = -1;
	rs->filter.throttle_ms = -1;
	return rs;
}

static void
free_cond(struct rule_cond *c)
{
	free(c->key);
	for (size_t i = 0; i < c->nvalues; i++)
		free(c->values[i]);
	free(c->values);
	if (c->has_re)
		regfree(&c->re);
	jqexpr_free(c->jq);
	free(c->text);
}

static void
free_rule(struct rule *r)
{
	for (size_t i = 0; i < r->nconds; i++)
		free_cond(&r->conds[i]);
	free(r->conds);
	free(r->name);
	free(r->origin);
	free(r->chat);
}

void
rules_free(struct rules *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++)
		free_rule(&rs->v[i]);
	free(rs->v);
	free_rule(&rs->filter);
	free(rs->chat);
	free(rs);
}

/* ---- tokens ---- */

#define LIST_SEP '\x1f'	/* an unquoted comma, inside a token */

/* A copy of s with list separators turned back into commas. */
static char *
plain_copy(const char *s)
{
	char *p = strdup(s ? s : "");

	for (char *q = p; q && *q; q++)
		if (*q == LIST_SEP)
			*q = ',';
	return p;
}

struct token {
	char *text;		/* unquoted */
	size_t quote_at;	/* offset where the first quote began */
	int quoted;
};

static void
free_tokens(struct token *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].text);
	free(t);
}

static int fail(char *, size_t, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t n, const char *origin, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == LIST_SEP)
			*p = ',';
	snprintf(err, n, "%s: %s", origin, msg);
	return -1;
}

/* Split a line into tokens; 0 ok, -1 unterminated quote. */
static int
tokenize(const char *line, struct token **out, size_t *nout,
    const char *origin, char *err, size_t errsize)
{
	size_t len = strlen(line), cap = 8, n = 0;
	struct token *tok = calloc(cap, sizeof *tok);
	const char *p = line;

	if (tok == NULL)
		return fail(err, errsize, origin, "out of memory");
	for (;;) {
		char *buf;
		size_t b = 0;
		int quoted = 0;
		size_t quote_at = 0;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if ((buf = malloc(len + 1)) == NULL) {
			free_tokens(tok, n);
			return fail(err, errsize, origin, "out of memory");
		}
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' &&
		    *p != '\n') {
			if (*p == '"' || *p == '\'') {
				char q = *p++;

				if (!quoted)
					quote_at = b;
				quoted = 1;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' &&
					    (p[1] == '"' || p[1] == '\\'))
						p++;
					buf[b++] = *p++;
				}
				if (*p != q) {
					free(buf);
					free_tokens(tok, n);
					return fail(err, errsize, origin,
					    "unterminated %c quote", q);
				}
				p++;
			} else {
				/* an unquoted comma separates list items */
				buf[b++] = *p == ',' ? LIST_SEP : *p;
				p++;
			}
		}
		buf[b] = '\0';
		if (n == cap) {
			struct token *nt = realloc(tok, 2 * cap * sizeof *nt);

			if (nt == NULL) {
				free(buf);
				free_tokens(tok, n);
				return fail(err, errsize, origin,
				    "out of memory");
			}
			tok = nt;
			cap *= 2;
		}
		tok[n].text = buf;
		tok[n].quoted = quoted;
		tok[n].quote_at = quoted ? quote_at : b;
		n++;
	}
	*out = tok;
	*nout = n;
	return 0;
}

/* Split "key OP value" at the first operator before any quote. */
static int
split_op(const struct token *t, char **key, int *op, const char **value)
{
	const char *s = t->text;

	for (size_t i = 0; i < t->quote_at && s[i]; i++) {
		int o = OP_NONE;
		size_t w = 1;

		if (s[i] == '!' && s[i + 1] == '=')
			o = OP_NE, w = 2;
		else if (s[i] == '!' && s[i + 1] == '~')
			o = OP_NRE, w = 2;
		else if (s[i] == '>' && s[i + 1] == '=')
			o = OP_GE, w = 2;
		else if (s[i] == '<' && s[i + 1] == '=')
			o = OP_LE, w = 2;
		else if (s[i] == '=')
			o = OP_EQ;
		else if (s[i] == '~')
			o = OP_RE;
		else if (s[i] == '>')
			o = OP_GT;
		else if (s[i] == '<')
			o = OP_LT;
		if (o != OP_NONE) {
			*key = strndup(s, i);
			*op = o;
			*value = s + i + w;
			return *key ? 0 : -1;
		}
	}
	*key = strdup(s);
	*op = OP_NONE;
	*value = NULL;
	return *key ? 0 : -1;
}

static int
add_values(struct rule_cond *c, const char *value)
{
	const char *p = value;

	for (;;) {
		const char *comma = strchr(p, LIST_SEP);
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char **nv = realloc(c->values, (c->nvalues + 1) * sizeof *nv);

		if (nv == NULL)
			return -1;
		c->values = nv;
		if ((c->values[c->nvalues] = strndup(p, len)) == NULL)
			return -1;
		c->nvalues++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/*
 * glibc's regcomp takes exponential time on some patterns a typo makes:
 * quantifiers in a row ("a+++": 4x slower for every two more), and
 * counted repetitions expanded inside each other ("(a{1,100}){1,100}" is
 * milliseconds, one more level seconds).  Refused before it is compiled:
 * a pattern over 512 bytes, a quantifier right after another, a count
 * over 100, more than two counted repetitions.  NULL when it is fine.
 */
static const char *
re_too_costly(const char *re)
{
	int counted = 0, after_quantifier = 0;

	if (strlen(re) > 512)
		return "longer than 512 bytes";
	for (const char *p = re; *p; p++) {
		int quantifier = 0;

		switch (*p) {
		case '\\':
			if (p[1])
				p++;
			break;
		case '[':	/* a bracket expression: nothing special inside */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' ||
				    p[1] == '=')) {
					const char *end = strchr(p + 2, p[1]);

					p = end && end[1] == ']' ? end + 1 : p + 1;
				}
				if (*p)
					p++;
			}
			if (*p == '\0')
				return NULL;	/* unbalanced: regcomp says so */
			break;
		case '*': case '+': case '?':
			quantifier = 1;
			break;
		case '{': {
			char *end;
			long lo = strtol(p + 1, &end, 10), hi = lo;

			if (*end == ',')
				hi = end[1] == '}' ? 101 : strtol(end + 1, &end, 10);
			if (lo > 100 || hi > 100)
				return "a count over 100";
			if (++counted > 2)
				return "more than two counted repetitions";
			quantifier = 1;
			if ((end = strchr(p, '}')) != NULL)
				p = end;
			break;
		}
		}
		if (quantifier && after_quantifier)
			return "a quantifier right after another";
		after_quantifier = quantifier;
	}
	return NULL;
}

static int
compile_re(struct rule_cond *c, const char *value, const char *origin,
    const char *key, char *err, size_t n)
{
	const char *costly = re_too_costly(value);
	int rc;

	if (costly)
		return fail(err, n, origin, "regex for %s too costly to compile "
		    "(%s): %.80s", key, costly, value);
	rc = regcomp(&c->re, value, REG_EXTENDED | REG_NOSUB);

	if (rc != 0) {
		char msg[200];

		regerror(rc, &c->re, msg, sizeof msg);
		return fail(err, n, origin, "bad regex for %s: %s: %s", key,
		    value, msg);
	}
	c->has_re = 1;
	return 0;
}

static int
string_op(int op)
{
	return op == OP_EQ || op == OP_NE || op == OP_RE || op == OP_NRE;
}

/* Fill c from key/op/value; -1 with err set. */
static int
parse_cond(struct rules *rs, struct rule_cond *c, const char *key, int op,
    const char *list, const char *value, const char *origin, char *err,
    size_t n)
{
	if (op == OP_NONE) {
		static const struct { const char *w; int what; } bare[] = {
			{ "any", COND_ANY }, { "critical", COND_CRITICAL },
			{ "new", COND_NEW }, { "regression", COND_REGRESSION },
			{ "frequency", COND_FREQUENCY }, { "slow", COND_SLOW },
			{ "metric", COND_METRIC },
		};
		for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
			if (strcmp(key, bare[i].w) == 0) {
				c->what = bare[i].what;
				if (c->what == COND_FREQUENCY) {
					c->number = 10;
					c->window_ms = 60000;
				} else if (c->what == COND_SLOW) {
					c->number = 3000;
				}
				goto done;
			}
		return fail(err, n, origin, "unknown condition \"%s\"", key);
	}
	if (strcmp(key, "level") == 0) {
		int rank = rules_level_rank(value);

		if (rank < 0 || (string_op(op) && op != OP_EQ && op != OP_NE))
			return fail(err, n, origin, rank < 0 ?
			    "unknown level \"%s\" (debug, info, warning, "
			    "error, fatal)" : "level takes = != > >= < <=: %s",
			    value);
		c->what = COND_LEVEL;
		c->number = rank;
	} else if (strcmp(key, "jq") == 0) {
		char msg[400];

		if (op != OP_EQ)
			return fail(err, n, origin, "jq takes =EXPRESSION");
		if ((c->jq = jqexpr_compile(value, msg, sizeof msg)) == NULL)
			return fail(err, n, origin, "jq: %s", msg);
		c->what = COND_JQ;
	} else if (strcmp(key, "frequency") == 0) {
		/* frequency>N/DURATION: more than N in DURATION */
		char *end;
		const char *slash = strchr(value, '/');
		double v;

		errno = 0;
		v = strtod(value, &end);
		if (op != OP_GT || slash == NULL || end != slash || errno ||
		    v < 0 || v > 1000 || v != floor(v) ||
		    (c->window_ms = rules_parse_duration(slash + 1, 1000)) <= 0)
			return fail(err, n, origin, "frequency takes >N/DURATION "
			    "with N at most 1000 (e.g. frequency>10/60s): %s",
			    value);
		c->what = COND_FREQUENCY;
		c->number = v;
	} else if (strcmp(key, "slow") == 0) {
		int64_t ms = rules_parse_duration(value, 1);

		if (op != OP_GT || ms < 0)
			return fail(err, n, origin, "slow takes >DURATION "
			    "(e.g. slow>3s): %s", value);
		c->what = COND_SLOW;
		c->number = (double)ms;
	} else if (strcmp(key, "metric") == 0) {
		if (op != OP_EQ)
			return fail(err, n, origin, "metric takes =SEVERITY,...");
		c->what = COND_METRIC;
		if (add_values(c, list) < 0)
			return fail(err, n, origin, "out of memory");
		for (size_t i = 0; i < c->nvalues; i++)
			if (strcmp(c->values[i], "critical") &&
			    strcmp(c->values[i], "warning") &&
			    strcmp(c->values[i], "resolved") &&
			    strcmp(c->values[i], "open"))
				return fail(err, n, origin, "unknown metric "
				    "severity \"%s\" (critical, warning, "
				    "resolved, open)", c->values[i]);
	} else if (strncmp(key, "tag.", 4) == 0 && key[4] != '\0') {
		if (!string_op(op))
			return fail(err, n, origin, "%s takes = != ~ !~", key);
		c->what = COND_TAG;
		c->key = strdup(key + 4);
	} else {
		size_t i;

		for (i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
			if (strcmp(key, numbers[i].key) == 0)
				break;
		if (i < sizeof numbers / sizeof numbers[0]) {
			int64_t v;

			if (op == OP_RE || op == OP_NRE)
				return fail(err, n, origin,
				    "%s takes = != > >= < <=", key);
			if (numbers[i].unit_ms)
				v = rules_parse_duration(value, 1);
			else {
				char *end;

				errno = 0;
				v = (int64_t)strtoll(value, &end, 10);
				if (end == value || *end || errno || v < 0)
					v = -1;
			}
			if (v < 0)
				return fail(err, n, origin, "%s: not a %s: %s",
				    key, numbers[i].unit_ms ? "duration" :
				    "number", value);
			c->what = COND_NUMBER;
			c->key = strdup(numbers[i].path);
			c->number = (double)v;
			goto done;
		}
		for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
			if (strcmp(key, fields[i].key) == 0)
				break;
		if (i == sizeof fields / sizeof fields[0])
			return fail(err, n, origin, "unknown key \"%s\"", key);
		if (!string_op(op))
			return fail(err, n, origin, "%s takes = != ~ !~", key);
		c->what = COND_FIELD;
		c->key = strdup(fields[i].path);
	}
	if (c->what == COND_FIELD || c->what == COND_TAG) {
		if (c->key == NULL)
			return fail(err, n, origin, "out of memory");
		if (op == OP_RE || op == OP_NRE) {
			if (compile_re(c, value, origin, key, err, n) < 0)
				return -1;
		} else if (add_values(c, list) < 0) {
			return fail(err, n, origin, "out of memory");
		}
	}
done:
	c->op = op;
	if (c->what == COND_FREQUENCY && c->number + 1 > rs->ring)
		rs->ring = (unsigned)c->number + 1;
	if (c->what == COND_FREQUENCY && c->window_ms > rs->freq_window_ms)
		rs->freq_window_ms = c->window_ms;
	return 0;
}

static int
set_action(struct rule *r, const char *key, int op, const char *value,
    const char *origin, char *err, size_t n, int *handled)
{
	*handled = 1;
	if (op == OP_NONE && strcmp(key, "drop") == 0) {
		r->drop = 1;
		return 0;
	}
	if (op != OP_EQ ||
	    (strcmp(key, "chat") && strcmp(key, "topic") &&
	    strcmp(key, "silent") && strcmp(key, "throttle"))) {
		*handled = 0;
		return 0;
	}
	if (strcmp(key, "chat") == 0) {
		if (*value == '\0' || strpbrk(value, " \t\"\\"))
			return fail(err, n, origin, "chat: bad chat id \"%s\"",
			    value);
		free(r->chat);
		if ((r->chat = strdup(value)) == NULL)
			return fail(err, n, origin, "out of memory");
	} else if (strcmp(key, "topic") == 0) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(value, &end, 10);
		if (end == value || *end || errno || v <= 0)
			return fail(err, n, origin, "topic: not a topic id: %s",
			    value);
		r->topic = v;
	} else if (strcmp(key, "silent") == 0) {
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
			r->silent = 1;
		else if (strcmp(value, "no") == 0 ||
		    strcmp(value, "false") == 0)
			r->silent = 0;
		else
			return fail(err, n, origin, "silent takes yes or no: %s",
			    value);
	} else {
		int64_t ms = strcmp(value, "off") == 0 ? 0 :
		    rules_parse_duration(value, 1000);

		if (ms < 0)
			return fail(err, n, origin, "throttle: not a duration: "
			    "%s", value);
		r->throttle_ms = ms;
	}
	return 0;
}

static int
add_cond(struct rule *r, struct rule_cond **c)
{
	struct rule_cond *nc = realloc(r->conds, (r->nconds + 1) * sizeof *nc);

	if (nc == NULL)
		return -1;
	r->conds = nc;
	*c = &r->conds[r->nconds++];
	memset(*c, 0, sizeof **c);
	return 0;
}

/* Conditions (and, for rules, actions) from tokens[from..n). */
static int
parse_terms(struct rules *rs, struct rule *r, struct token *t, size_t from,
    size_t n, int actions, const char *origin, char *err, size_t errsize)
{
	for (size_t i = from; i < n; i++) {
		struct rule_cond *c;
		const char *list;
		char *key, *value;
		int op, handled = 0, rc;

		if (actions && (strcmp(t[i].text, "when") == 0 ||
		    strcmp(t[i].text, "route") == 0 ||
		    strcmp(t[i].text, "then") == 0) && !t[i].quoted)
			continue;
		if (split_op(&t[i], &key, &op, &list) < 0)
			return fail(err, errsize, origin, "out of memory");
		if ((value = plain_copy(list)) == NULL) {
			free(key);
			return fail(err, errsize, origin, "out of memory");
		}
		rc = 0;
		if (*key == '\0') {
			char *text = plain_copy(t[i].text);

			rc = fail(err, errsize, origin, "missing key before "
			    "operator in \"%s\"", text ? text : "");
			free(text);
		} else if (actions) {
			rc = set_action(r, key, op, value, origin, err,
			    errsize, &handled);
		}
		if (rc == 0 && !handled) {
			if (add_cond(r, &c) < 0)
				rc = fail(err, errsize, origin, "out of memory");
			else {
				c->text = plain_copy(t[i].text);
				rc = parse_cond(rs, c, key, op, list ? list : "",
				    value, origin, err, errsize);
				if (rc < 0) {	/* leave no half-built condition */
					free_cond(c);
					r->nconds--;
				}
			}
		}
		free(key);
		free(value);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s))
			return 0;
	return 1;
}

static int add_rule(struct rules *, struct token *, size_t, size_t,
    const char *, char *, size_t);

/* Add a rule; on an error, the rules are as they were. */
static int
add_rule_tokens(struct rules *rs, struct token *t, size_t n, size_t from,
    const char *origin, char *err, size_t errsize)
{
	size_t before = rs->n;

	if (add_rule(rs, t, n, from, origin, err, errsize) == 0)
		return 0;
	if (rs->n > before) {
		free_rule(&rs->v[rs->n - 1]);
		rs->n--;
	}
	return -1;
}

static int
add_rule(struct rules *rs, struct token *t, size_t n, size_t from,
    const char *origin, char *err, size_t errsize)
{
	struct rule *nv, *r;

	if (from >= n || !name_ok(t[from].text) || t[from].quoted)
		return fail(err, errsize, origin, "rule needs a name "
		    "(letters, digits, - _ . :)");
	if ((nv = realloc(rs->v, (rs->n + 1) * sizeof *nv)) == NULL)
		return fail(err, errsize, origin, "out of memory");
	rs->v = nv;
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof *r);
	r->topic = -1;
	r->silent = -1;
	r->throttle_ms = -1;
	r->name = strdup(t[from].text);
	r->origin = strdup(origin);
	if (r->name == NULL || r->origin == NULL)
		return fail(err, errsize, origin, "out of memory");
	if (strcmp(r->name, "filter") == 0 || strcmp(r->name, "none") == 0 ||
	    strcmp(r->name, "installation") == 0 ||
	    strcmp(r->name, "state-change") == 0)
		return fail(err, errsize, origin, "rule name \"%s\" is "
		    "reserved", r->name);
	for (size_t i = 0; i < rs->n - 1; i++)
		if (strcmp(rs->v[i].name, r->name) == 0)
			return fail(err, errsize, origin, "rule \"%s\" already "
			    "defined at %s", r->name, rs->v[i].origin);
	if (parse_terms(rs, r, t, from + 1, n, 1, origin, err, errsize) < 0)
		return -1;
	/* "rule new" alone: the built-in condition of that name */
	if (r->nconds == 0) {
		struct token self = { r->name, strlen(r->name), 0 };

		if (strcmp(r->name, "critical") == 0 ||
		    strcmp(r->name, "new") == 0 ||
		    strcmp(r->name, "regression") == 0 ||
		    strcmp(r->name, "frequency") == 0 ||
		    strcmp(r->name, "slow") == 0 ||
		    strcmp(r->name, "metric") == 0)
			return parse_terms(rs, r, &self, 0, 1, 0, origin, err,
			    errsize);
		return fail(err, errsize, origin, "rule \"%s\" has no "
		    "condition (use \"any\" to match every record)", r->name);
	}
	return 0;
}

static int
apply_settings(struct rules *rs, struct token *t, size_t n,
    const char *origin, char *err, size_t errsize)
{
	struct rule tmp = { .topic = -1, .silent = -1, .throttle_ms = -1 };

	for (size_t i = 1; i < n; i++) {
		const char *list;
		char *key, *value;
		int op, handled, rc = 0;

		if (split_op(&t[i], &key, &op, &list) < 0)
			return fail(err, errsize, origin, "out of memory");
		if ((value = plain_copy(list)) == NULL) {
			free(key);
			return fail(err, errsize, origin, "out of memory");
		}
		if (op == OP_EQ && strcmp(key, "digest") == 0) {
			int64_t ms = strcmp(value, "off") == 0 ? 0 :
			    rules_parse_duration(value, 1000);

			if (ms < 0)
				rc = fail(err, errsize, origin, "digest: not a "
				    "duration: %s", value);
			else
				rs->digest_ms = ms;
		} else if (strcmp(key, "drop") == 0 ||
		    ((rc = set_action(&tmp, key, op, value, origin, err,
		    errsize, &handled)) == 0 && !handled)) {
			rc = fail(err, errsize, origin, "unknown setting \"%s\" "
			    "(chat, topic, silent, throttle, digest)", key);
		}
		free(key);
		free(value);
		if (rc < 0) {
			free(tmp.chat);
			return -1;
		}
	}
	if (tmp.chat) {
		free(rs->chat);
		rs->chat = tmp.chat;
	}
	if (tmp.topic >= 0)
		rs->topic = tmp.topic;
	if (tmp.silent >= 0)
		rs->silent = tmp.silent;
	if (tmp.throttle_ms >= 0)
		rs->throttle_ms = tmp.throttle_ms;
	return 0;
}

int
rules_parse_line(struct rules *rs, const char *line, const char *origin,
    char *err, size_t errsize)
{
	struct token *t;
	size_t n;
	int rc;

	if (tokenize(line, &t, &n, origin, err, errsize) < 0)
		return -1;
	if (n == 0)
		rc = 0;
	else if (strcmp(t[0].text, "rule") == 0 && !t[0].quoted)
		rc = add_rule_tokens(rs, t, n, 1, origin, err, errsize);
	else if (strcmp(t[0].text, "filter") == 0 && !t[0].quoted)
		rc = parse_terms(rs, &rs->filter, t, 1, n, 0, origin, err,
		    errsize);
	else if (strcmp(t[0].text, "set") == 0 && !t[0].quoted)
		rc = apply_settings(rs, t, n, origin, err, errsize);
	else
		rc = fail(err, errsize, origin, "unknown statement \"%s\" "
		    "(rule, filter, set)", t[0].text);
	free_tokens(t, n);
	return rc;
}

int
rules_add_rule(struct rules *rs, const char *spec, const char *origin,
    char *err, size_t errsize)
{
	struct token *t;
	size_t n;
	int rc;

	if (tokenize(spec, &t, &n, origin, err, errsize) < 0)
		return -1;
	rc = add_rule_tokens(rs, t, n, 0, origin, err, errsize);
	free_tokens(t, n);
	return rc;
}

int
rules_add_filter(struct rules *rs, const char *spec, const char *origin,
    char *err, size_t errsize)
{
	struct token *t;
	size_t n;
	int rc;

	if (tokenize(spec, &t, &n, origin, err, errsize) < 0)
		return -1;
	rc = parse_terms(rs, &rs->filter, t, 0, n, 0, origin, err, errsize);
	free_tokens(t, n);
	return rc;
}

int
rules_add_defaults(struct rules *rs, char *err, size_t n)
{
	static const char *const defaults[] = {
		"metric", "regression", "new", "critical",
		"frequency frequency>10/60s", "slow slow>3s",
	};

	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (rules_add_rule(rs, defaults[i], "(default rules)", err,
		    n) < 0)
			return -1;
	return 0;
}

int
rules_load_file(struct rules *rs, const char *path, char *err, size_t errsize)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *joined = NULL;
	size_t cap = 0, jlen = 0;
	unsigned long lineno = 0, first = 0;
	ssize_t len;
	int rc = 0;

	if (f == NULL)
		return fail(err, errsize, path, "%s", strerror(errno));
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		char origin[512], *nj;
		int more;

		lineno++;
		if (memchr(line, '\0', (size_t)len) != NULL) {
			snprintf(origin, sizeof origin, "%s:%lu", path, lineno);
			rc = fail(err, errsize, origin, "NUL byte");
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		more = len > 0 && line[len - 1] == '\\';
		if (more)
			line[--len] = '\0';
		if (joined == NULL)
			first = lineno;
		if ((nj = realloc(joined, jlen + (size_t)len + 2)) == NULL) {
			rc = fail(err, errsize, path, "out of memory");
			break;
		}
		joined = nj;
		memcpy(joined + jlen, line, (size_t)len);
		jlen += (size_t)len;
		joined[jlen++] = ' ';
		joined[jlen] = '\0';
		if (more)
			continue;
		snprintf(origin, sizeof origin, "%s:%lu", path, first);
		rc = rules_parse_line(rs, joined, origin, err, errsize);
		free(joined);
		joined = NULL;
		jlen = 0;
	}
	if (rc == 0 && ferror(f))
		rc = fail(err, errsize, path, "%s", strerror(errno));
	if (rc == 0 && joined != NULL) {
		char origin[512];

		snprintf(origin, sizeof origin, "%s:%lu", path, first);
		rc = rules_parse_line(rs, joined, origin, err, errsize);
	}
	free(joined);
	free(line);
	fclose(f);
	return rc;
}

/* ---- matching ---- */

static int
in_values(const struct rule_cond *c, const char *s)
{
	for (size_t i = 0; i < c->nvalues; i++)
		if (strcmp(c->values[i], s) == 0)
			return 1;
	return 0;
}

/* String comparison for = != ~ !~; s may be NULL (absent). */
static int
match_string(const struct rule_cond *c, const char *s, const char *what,
    char *why, size_t n)
{
	char ex[100];
	int ok;

	switch (c->op) {
	case OP_EQ:
		ok = s != NULL && in_values(c, s);
		break;
	case OP_NE:
		ok = s == NULL || !in_values(c, s);
		break;
	case OP_RE:
		ok = s != NULL && regexec(&c->re, s, 0, NULL, 0) == 0;
		break;
	default:
		ok = s == NULL || regexec(&c->re, s, 0, NULL, 0) != 0;
		break;
	}
	if (!ok)
		snprintf(why, n, "%s is %s%s%s, not %s", what,
		    s ? "\"" : "", s ? diag_excerpt(s, strlen(s), 60, ex,
		    sizeof ex) : "absent", s ? "\"" : "", c->text);
	return ok;
}

static int
compare(double a, int op, double b)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	}
	return 0;
}

static const char *
severity(const jv *alert)
{
	const char *s = jvx_str(alert, "metric.severity");

	if (s == NULL) {
		s = jvx_str(alert, "action");
		if (s && strcmp(s, "critical") && strcmp(s, "warning") &&
		    strcmp(s, "resolved") && strcmp(s, "open"))
			s = NULL;
	}
	return s;
}

int
rules_is_state_change(const char *action)
{
	return action && (strcmp(action, "resolved") == 0 ||
	    strcmp(action, "assigned") == 0 ||
	    strcmp(action, "ignored") == 0 ||
	    strcmp(action, "archived") == 0);
}

static int
match_cond(const struct rule_cond *c, const struct rule_facts *f,
    char *why, size_t n)
{
	const jv *a = f->alert;
	const char *level = NULL, *kind = NULL;
	int rank = -1;
	double d;

	/* only the conditions that need them look these up: hot path */
	if (c->what == COND_LEVEL || c->what == COND_CRITICAL) {
		level = jvx_str(a, "level");
		rank = rules_level_rank(level);
	} else if (c->what == COND_METRIC) {
		kind = jvx_str(a, "kind");
	}
	switch (c->what) {
	case COND_ANY:
		return 1;
	case COND_LEVEL:
		if (rank >= 0 && compare(rank, c->op, c->number))
			return 1;
		snprintf(why, n, "level is %s, not %s", level ? level :
		    "absent", c->text);
		return 0;
	case COND_FIELD: {
		char buf[64];

		return match_string(c, jvx_text(a, c->key, buf, sizeof buf),
		    c->key, why, n);
	}
	case COND_TAG: {
		/* by key, not by path: tag names have dots ("os.name") */
		jv tags = jvx_get(a, "tags");
		jv v = jvx_get(&tags, c->key);
		char what[80], num[64];
		const char *text = NULL;
		int ok;

		if (jv_get_kind(v) == JV_KIND_STRING)
			text = jv_string_value(v);
		else if (jv_get_kind(v) == JV_KIND_NUMBER) {
			double x = jv_number_value(v);

			if (x > -1e15 && x < 1e15 && x == (double)(long long)x)
				snprintf(num, sizeof num, "%lld", (long long)x);
			else
				snprintf(num, sizeof num, "%.17g", x);
			text = num;
		} else if (jv_get_kind(v) == JV_KIND_TRUE ||
		    jv_get_kind(v) == JV_KIND_FALSE) {
			text = jv_get_kind(v) == JV_KIND_TRUE ? "true" : "false";
		}
		snprintf(what, sizeof what, "tag %s", c->key);
		ok = match_string(c, text, what, why, n);
		jv_free(v);
		jv_free(tags);
		return ok;
	}
	case COND_NUMBER:
		if (jvx_num(a, c->key, 1, &d) && compare(d, c->op, c->number))
			return 1;
		snprintf(why, n, "%s is %s, not %s", c->key,
		    jvx_num(a, c->key, 1, &d) ? "out of range" : "absent",
		    c->text);
		return 0;
	case COND_JQ: {
		char msg[300];
		int t = jqexpr_truthy(c->jq, f->rec, msg, sizeof msg);

		if (t == 1)
			return 1;
		if (t < 0) {
			for (char *p = msg; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			snprintf(why, n, "%s%s", RULES_JQ_ERROR, msg);
			return -1;
		} else {
			snprintf(why, n, "jq %s is false", jqexpr_text(c->jq));
		}
		return 0;
	}
	case COND_CRITICAL: {
		const char *action = jvx_str(a, "action");

		if (rank >= LEVEL_ERROR && !rules_is_state_change(action))
			return 1;
		if (rank >= LEVEL_ERROR)
			snprintf(why, n, "not critical: action %s is a state "
			    "change", action);
		else
			snprintf(why, n, "not critical: level is %s",
			    level ? level : "absent");
		return 0;
	}
	case COND_NEW:
		if (f->is_new)
			return 1;
		snprintf(why, n, "not new: not issue.created, count not 1, "
		    "first_seen not the event's time, issue seen before");
		return 0;
	case COND_REGRESSION:
		if (f->is_regression)
			return 1;
		snprintf(why, n, "not a regression: action not unresolved, "
		    "issue not seen resolved");
		return 0;
	case COND_FREQUENCY: {
		unsigned seen = f->issue ? throttle_recent(f->issue, f->now,
		    c->window_ms) : 0;
		const char *action = jvx_str(a, "action");
		char dur[32];

		/* a resolve right after a burst is no part of it */
		if (rules_is_state_change(action)) {
			snprintf(why, n, "frequency: action %s is a state "
			    "change, not an event", action);
			return 0;
		}
		if (seen > c->number)
			return 1;
		if (f->issue == NULL)
			snprintf(why, n, "frequency: no issue to count");
		else
			snprintf(why, n, "frequency: %u in the last %s, "
			    "not more than %.0f", seen, rules_format_duration(
			    c->window_ms, dur, sizeof dur), c->number);
		return 0;
	}
	case COND_SLOW:
		if (jvx_num(a, "duration_ms", 1, &d) && d > c->number)
			return 1;
		if (jvx_num(a, "duration_ms", 1, &d))
			snprintf(why, n, "not slow: duration %.0f ms, not over "
			    "%.0f ms", d, c->number);
		else
			snprintf(why, n, "not slow: no duration_ms");
		return 0;
	case COND_METRIC: {
		const char *sev = severity(a);

		if (kind == NULL || strcmp(kind, "metric_alert") != 0) {
			snprintf(why, n, "not a metric alert (kind %s)",
			    kind ? kind : "absent");
			return 0;
		}
		if (c->nvalues == 0 || (sev && in_values(c, sev)))
			return 1;
		snprintf(why, n, "metric severity is %s, not %s",
		    sev ? sev : "absent", c->text);
		return 0;
	}
	}
	return 0;
}

int
rules_frequency(const struct rule *r, const struct rule_facts *f)
{
	int found = -1;
	char why[160];

	for (size_t i = 0; i < r->nconds; i++)
		if (r->conds[i].what == COND_FREQUENCY) {
			if (match_cond(&r->conds[i], f, why, sizeof why) != 1)
				return 0;
			found = 1;
		}
	return found;
}

int
rules_need_record(const struct rules *rs)
{
	for (size_t i = 0; i <= rs->n; i++) {
		const struct rule *r = i < rs->n ? &rs->v[i] : &rs->filter;

		for (size_t k = 0; k < r->nconds; k++)
			if (r->conds[k].jq != NULL)
				return 1;
	}
	return 0;
}

int
rules_match(const struct rule *r, const struct rule_facts *f, char *why,
    size_t n)
{
	for (size_t i = 0; i < r->nconds; i++) {
		int m = match_cond(&r->conds[i], f, why, n);

		if (m <= 0)
			return m;
	}
	if (n > 0)
		why[0] = '\0';
	return 1;
}
