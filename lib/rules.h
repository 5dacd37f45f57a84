/*
 * rules: sentry-filter's rules file, parsed once, matched per record.
 *
 * One statement per line ("\" at the end joins the next line, "#" starts
 * a comment outside quotes):
 *
 *   rule NAME [when] COND... [route|then] ACTION...
 *   filter COND...          every record must pass every filter line
 *   set SETTING...          chat=, topic=, silent=, throttle=, digest=
 *
 * A COND is a bare word (critical, new, regression, frequency, slow,
 * metric, any) or KEY OP VALUE with OP one of = != ~ !~ > >= < <=;
 * VALUE may be quoted ("..." with \" and \\, or '...').  "=" and "!="
 * take comma-separated lists.  ACTIONs: chat=ID topic=N silent=yes|no
 * throttle=DURATION|off drop.  See sentry-filter(5).
 */
#ifndef RULES_H
#define RULES_H

#include <jv.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "jqexpr.h"
#include "throttle.h"

enum rules_level { LEVEL_DEBUG, LEVEL_INFO, LEVEL_WARNING, LEVEL_ERROR,
	LEVEL_FATAL };

struct rule_cond {
	int what;		/* COND_* in rules.c */
	int op;			/* OP_* in rules.c */
	char *key;		/* alert path, or tag name */
	char **values;		/* for = and != */
	size_t nvalues;
	regex_t re;		/* for ~ and !~ */
	int has_re;
	struct jqexpr *jq;
	double number;		/* level rank, ms threshold, or N */
	int64_t window_ms;	/* frequency: M */
	char *text;		/* as written, for --explain */
};

struct rule {
	char *name;
	char *origin;		/* "file:line" or the flag it came from */
	struct rule_cond *conds;
	size_t nconds;
	char *chat;		/* NULL: the default route */
	int64_t topic;		/* -1: none */
	int silent;		/* -1: the default */
	int64_t throttle_ms;	/* -1: the default, 0: off */
	int drop;		/* matching records are dropped */
};

struct rules {
	struct rule *v;
	size_t n;
	struct rule filter;	/* conditions every record must meet */
	/* "set" lines; -1 / NULL when not set */
	char *chat;
	int64_t topic;
	int silent;
	int64_t throttle_ms;
	int64_t digest_ms;
	unsigned ring;		/* received times to keep per issue */
	int64_t freq_window_ms;	/* the longest frequency window, or 0 */
};

/* What rules cannot see in the record: computed from the stage's state. */
struct rule_facts {
	const jv *rec;		/* the whole record, for jq */
	const jv *alert;	/* rec.alert */
	int is_new;
	int is_regression;
	const struct throttle_issue *issue;	/* NULL: no issue key */
	int64_t now;		/* the record's received time, ms */
};

struct rules *rules_new(void);
void rules_free(struct rules *);

/* A rules file.  0 ok; -1 and err = "file:line: what" on the first error. */
int rules_load_file(struct rules *, const char *path, char *err, size_t n);
/* One statement (a rules file line); origin names it in errors. */
int rules_parse_line(struct rules *, const char *line, const char *origin,
    char *err, size_t n);
/* "NAME COND... ACTION..." (a rule line without "rule"), e.g. --rule. */
int rules_add_rule(struct rules *, const char *spec, const char *origin,
    char *err, size_t n);
/* "COND..." added to the filter, e.g. --filter. */
int rules_add_filter(struct rules *, const char *spec, const char *origin,
    char *err, size_t n);
/* The default set: the guide's five recommended rules and metric alerts. */
int rules_add_defaults(struct rules *, char *err, size_t n);

/*
 * 1: r matches (its conditions all hold); 0: not, why says which failed;
 * -1: not, because a jq condition failed at run time (why is
 * RULES_JQ_ERROR and jq's message, for the caller to report).
 */
int rules_match(const struct rule *r, const struct rule_facts *f,
    char *why, size_t n);
#define RULES_JQ_ERROR "jq error: "

/*
 * The frequency conditions of r alone: 1 when r has one and they all
 * hold for f, 0 when it has one and one does not, -1 when it has none.
 */
int rules_frequency(const struct rule *r, const struct rule_facts *f);

/* 1 when a condition runs jq over the whole record (payload included). */
int rules_need_record(const struct rules *);

/* "error" -> LEVEL_ERROR ...; -1 unknown. */
int rules_level_rank(const char *name);
/* "5m", "300s", "1h", "3000ms", "2d"; bare numbers in unit_ms.  -1 bad. */
int64_t rules_parse_duration(const char *text, int64_t unit_ms);
/* "5m" style text of a duration, for messages. */
char *rules_format_duration(int64_t ms, char *buf, size_t n);

/*
 * 1 when a Sentry action changes an issue's state (resolved, assigned,
 * ignored, archived) rather than reporting an occurrence: such records
 * are neither "critical" nor counted as events.
 */
int rules_is_state_change(const char *action);

#endif
