/* tgapi: Telegram Bot API calls with libcurl, answer parsing, text rules. */
#include "tgapi.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jvx.h"

#define DEFAULT_MAX_RESPONSE (4u << 20)

struct tgapi {
	CURL *curl;
	struct curl_slist *headers;
	const char *token;
	char *base;		/* api_url without a trailing slash */
	size_t max_response;
	char errbuf[CURL_ERROR_SIZE];
	char *body;		/* the answer being read */
	size_t len, cap;
	int too_big;
};

/* Answer parsing (pure). */

void
tgapi_reply_init(struct tgapi_reply *r)
{
	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	r->message_id = -1;
	r->result = jv_null();
}

void
tgapi_reply_free(struct tgapi_reply *r)
{
	jv_free(r->result);
	tgapi_reply_init(r);
}

const char *
tgapi_outcome_name(enum tgapi_outcome o)
{
	switch (o) {
	case TGAPI_OK: return "ok";
	case TGAPI_RETRY_AFTER: return "retry_after";
	case TGAPI_TRANSIENT: return "transient";
	case TGAPI_PARSE_ENTITIES: return "parse_entities";
	case TGAPI_MIGRATED: return "migrated";
	case TGAPI_TOO_LONG: return "too_long";
	case TGAPI_NO_TOPIC: return "no_topic";
	case TGAPI_BAD_BUTTON: return "bad_button";
	case TGAPI_PERMANENT: return "permanent";
	case TGAPI_UNAUTHORIZED: return "unauthorized";
	case TGAPI_NOT_FOUND: return "not_found";
	}
	return "unknown";
}

/* Case-insensitive substring test. */
static int
has(const char *s, const char *word)
{
	return strcasestr(s, word) != NULL;
}

static enum tgapi_outcome
classify(const struct tgapi_reply *r)
{
	const char *d = r->description;
	long code = r->error_code;

	if (r->transport)
		return TGAPI_TRANSIENT;
	if (!r->json)
		return TGAPI_TRANSIENT;	/* an HTML page from a proxy */
	if (r->ok && r->http_status >= 200 && r->http_status < 300)
		return TGAPI_OK;
	if (r->ok)
		return TGAPI_TRANSIENT;	/* "ok" with an error status */
	if (code == 429 || r->http_status == 429 || r->retry_after >= 0)
		return TGAPI_RETRY_AFTER;
	if (r->migrate_to[0] != '\0')
		return TGAPI_MIGRATED;
	if (code == 401 || r->http_status == 401)
		return TGAPI_UNAUTHORIZED;
	if (code == 404 || r->http_status == 404)
		return TGAPI_NOT_FOUND;
	if (code >= 500 || r->http_status >= 500 || code < 400)
		return TGAPI_TRANSIENT;	/* and "ok":false with no 4xx code:
					 * a proxy's answer, not Telegram's */
	if (code == 400) {
		if (has(d, "can't parse entities") ||
		    has(d, "can't find end tag") ||
		    has(d, "unsupported start tag"))
			return TGAPI_PARSE_ENTITIES;
		if (has(d, "message is too long") || has(d, "text is too long"))
			return TGAPI_TOO_LONG;
		if (has(d, "message thread not found") ||
		    has(d, "topic_deleted") || has(d, "topic_closed"))
			return TGAPI_NO_TOPIC;
		if (has(d, "button"))
			return TGAPI_BAD_BUTTON;
	}
	return TGAPI_PERMANENT;
}

static void
describe_non_json(long status, const char *body, size_t len, char *out,
    size_t size)
{
	char ex[100];
	size_t n = 0;

	/* An HTML error page says what it is in its <title>. */
	for (size_t i = 0; i + 7 <= len && i < 4096; i++) {
		if (strncasecmp(body + i, "<title>", 7) == 0) {
			const char *t = body + i + 7;
			const char *end = memchr(t, '<', len - i - 7);

			n = end ? (size_t)(end - t) : 0;
			if (n > 0) {
				for (size_t k = 0; k < n && k < 60; k++)
					ex[k] = isprint((unsigned char)t[k]) ?
					    t[k] : '?';
				ex[n < 60 ? n : 60] = '\0';
			}
			break;
		}
	}
	if (n > 0)
		snprintf(out, size, "HTTP %ld, not JSON: \"%s\"", status, ex);
	else if (len == 0)
		snprintf(out, size, "HTTP %ld, empty answer", status);
	else
		snprintf(out, size, "HTTP %ld, not JSON (%zu bytes)", status,
		    len);
}

void
tgapi_parse(long http_status, const char *body, size_t len,
    struct tgapi_reply *r)
{
	jv v, p;
	double d;
	const char *s;
	char buf[64];

	jv_free(r->result);
	tgapi_reply_init(r);
	r->http_status = http_status;
	r->error_code = http_status;
	v = len > 0 && len < (size_t)1 << 30 ?
	    jvx_parse(body, len) : jv_invalid();
	if (!jv_is_valid(v) || jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		describe_non_json(http_status, body, len, r->description,
		    sizeof r->description);
		r->outcome = classify(r);
		return;
	}
	r->json = 1;
	r->ok = jvx_bool(&v, "ok") == 1;
	if (jvx_num(&v, "error_code", 0, &d) && d >= 100 && d < 1000)
		r->error_code = (long)d;
	if ((s = jvx_str(&v, "description")) != NULL)
		snprintf(r->description, sizeof r->description, "%s", s);
	else if (!r->ok)
		snprintf(r->description, sizeof r->description,
		    "HTTP %ld, no description", http_status);
	if (jvx_num(&v, "parameters.retry_after", 1, &d) && d >= 0 &&
	    d < 1e7)
		r->retry_after = (long)d + (d > (long)d);
	if ((s = jvx_text(&v, "parameters.migrate_to_chat_id", buf,
	    sizeof buf)) != NULL && *s != '\0' && strlen(s) < sizeof r->migrate_to)
		snprintf(r->migrate_to, sizeof r->migrate_to, "%s", s);
	if (jvx_num(&v, "result.message_id", 0, &d) && d >= 0 && d < 9e15)
		r->message_id = (int64_t)d;
	p = jvx_get(&v, "result");
	if (jv_is_valid(p)) {
		jv_free(r->result);
		r->result = p;
	} else {
		jv_free(p);
	}
	jv_free(v);
	r->outcome = classify(r);
}

/* Transport. */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct tgapi *t = arg;
	size_t add = size * n;

	if (t->len + add > t->max_response) {
		t->too_big = 1;
		return 0;
	}
	if (t->len + add + 1 > t->cap) {
		size_t ncap = t->cap ? t->cap : 4096;
		char *nb;

		while (ncap < t->len + add + 1)
			ncap *= 2;
		if ((nb = realloc(t->body, ncap)) == NULL)
			return 0;
		t->body = nb;
		t->cap = ncap;
	}
	memcpy(t->body + t->len, data, add);
	t->len += add;
	t->body[t->len] = '\0';
	return add;
}

struct tgapi *
tgapi_new(const struct tgapi_options *o, const char *token, char *err,
    size_t errsize)
{
	struct tgapi *t;
	const char *url = o->api_url ? o->api_url : TGAPI_DEFAULT_URL;
	size_t n;

	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		snprintf(err, errsize, "API URL must start with https:// or http://");
		return NULL;
	}
	for (const char *c = token; *c; c++)
		if (!isgraph((unsigned char)*c) || strchr("/?#%", *c)) {
			snprintf(err, errsize, "the bot token holds a character "
			    "a token cannot have (a space, '/', '?', '#' or '%%')");
			return NULL;
		}
	if (*token == '\0') {
		snprintf(err, errsize, "the bot token is empty");
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (t = calloc(1, sizeof *t)) == NULL) {
		snprintf(err, errsize, "cannot initialise libcurl");
		return NULL;
	}
	t->token = token;
	t->max_response = o->max_response ? o->max_response : DEFAULT_MAX_RESPONSE;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((t->base = strndup(url, n)) == NULL || (t->curl = curl_easy_init()) == NULL)
		goto fail;
	t->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (t->headers)
		t->headers = curl_slist_append(t->headers, "Expect:");
	if (t->headers == NULL)
		goto fail;
	curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(t->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(t->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(t->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000L);
	curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS,
	    o->timeout_ms > 0 ? o->timeout_ms : 30000L);
	curl_easy_setopt(t->curl, CURLOPT_USERAGENT, "sentry-tg/" SENTRY_TG_VERSION);
	curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->curl, CURLOPT_POST, 1L);
	if (o->proxy && curl_easy_setopt(t->curl, CURLOPT_PROXY, o->proxy) != CURLE_OK) {
		snprintf(err, errsize, "libcurl refuses the proxy");
		tgapi_free(t);
		return NULL;
	}
	if (o->ca_file && curl_easy_setopt(t->curl, CURLOPT_CAINFO, o->ca_file) != CURLE_OK) {
		snprintf(err, errsize, "libcurl refuses the CA file");
		tgapi_free(t);
		return NULL;
	}
	return t;
fail:
	snprintf(err, errsize, "out of memory");
	tgapi_free(t);
	return NULL;
}

void
tgapi_free(struct tgapi *t)
{
	if (t == NULL)
		return;
	if (t->curl)
		curl_easy_cleanup(t->curl);
	curl_slist_free_all(t->headers);
	free(t->base);
	free(t->body);
	free(t);
	curl_global_cleanup();
}

/* Cut every copy of the token out of s (in place). */
static void
redact(char *s, const char *token)
{
	size_t tl = strlen(token);
	char *p;

	if (tl == 0)
		return;
	while ((p = strstr(s, token)) != NULL) {
		memcpy(p, "<token>", tl < 7 ? tl : 7);
		if (tl > 7)
			memmove(p + 7, p + tl, strlen(p + tl) + 1);
	}
}

int
tgapi_call(struct tgapi *t, const char *method, const char *json, size_t len,
    struct tgapi_reply *r)
{
	size_t ulen;
	char *url;
	CURLcode rc;
	long status = 0;

	jv_free(r->result);
	tgapi_reply_init(r);
	if (method[0] == '\0' || strlen(method) > 64 ||
	    strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
	    != strlen(method)) {
		snprintf(r->description, sizeof r->description,
		    "method name must be letters only");
		return -1;
	}
	ulen = strlen(t->base) + strlen(t->token) + strlen(method) + 6;
	if ((url = malloc(ulen)) == NULL) {
		snprintf(r->description, sizeof r->description, "out of memory");
		return -1;
	}
	snprintf(url, ulen, "%s/bot%s/%s", t->base, t->token, method);
	curl_easy_setopt(t->curl, CURLOPT_URL, url);
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	t->len = 0;
	t->too_big = 0;
	t->errbuf[0] = '\0';
	rc = curl_easy_perform(t->curl);
	/* libcurl keeps a pointer: clear it before the URL goes. */
	curl_easy_setopt(t->curl, CURLOPT_URL, "");
	explicit_bzero(url, ulen);
	free(url);
	if (rc != CURLE_OK) {
		const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);

		if (t->too_big)
			why = "answer too large";
		snprintf(r->description, sizeof r->description, "%s", why);
		redact(r->description, t->token);
		r->transport = 1;
		r->error_code = 0;
		r->outcome = TGAPI_TRANSIENT;
		return 0;
	}
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	tgapi_parse(status, t->body ? t->body : "", t->len, r);
	redact(r->description, t->token);
	return 0;
}

/* Text rules. */

/* Bytes in the UTF-8 sequence starting at s (1 for a bad byte). */
static size_t
char_len(const unsigned char *s, size_t left)
{
	size_t n = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2 :
	    (*s & 0xf0) == 0xe0 ? 3 : (*s & 0xf8) == 0xf0 ? 4 : 1;

	if (n > left)
		return 1;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

size_t
tgapi_utf16_len(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t units = 0, i = 0;

	while (i < len) {
		size_t n = char_len(u + i, len - i);

		units += n == 4 ? 2 : 1;
		i += n;
	}
	return units;
}

static const char *const known_tags[] = {
	"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
	"tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji", NULL
};

/*
 * If s starts a tag Telegram knows ("<b>", "</a>", "<a href=...>"), its
 * length, *closing and the name (at most namesz-1 bytes) set; else 0.
 */
static size_t
known_tag(const char *s, int *closing, char *name, size_t namesz)
{
	const char *p = s + 1, *end;
	size_t n;

	if (*s != '<')
		return 0;
	*closing = *p == '/';
	if (*closing)
		p++;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-");
	if (n == 0 || n >= namesz || (p[n] != '>' && p[n] != ' ' &&
	    p[n] != '\t' && p[n] != '\n'))
		return 0;
	if ((end = strchr(p + n, '>')) == NULL || (*closing && end != p + n))
		return 0;
	for (size_t i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)p[i]);
	name[n] = '\0';
	for (size_t i = 0; known_tags[i]; i++)
		if (strcmp(known_tags[i], name) == 0)
			return (size_t)(end - s) + 1;
	return 0;
}

/* If s starts an entity Telegram decodes, its length and *cp set. */
static size_t
known_entity(const char *s, unsigned long *cp)
{
	static const struct { const char *name; unsigned long cp; } named[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' },
	};
	const char *p;
	char *end;

	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strncmp(s, named[i].name, strlen(named[i].name)) == 0) {
			*cp = named[i].cp;
			return strlen(named[i].name);
		}
	if (s[0] != '&' || s[1] != '#')
		return 0;
	p = s + 2;
	if (*p == 'x' || *p == 'X') {
		if (!isxdigit((unsigned char)p[1]))
			return 0;
		*cp = strtoul(p + 1, &end, 16);
	} else {
		if (!isdigit((unsigned char)*p))
			return 0;
		*cp = strtoul(p, &end, 10);
	}
	if (*end != ';' || end - s > 12 || *cp == 0 || *cp > 0x10ffff ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return (size_t)(end - s) + 1;
}

static size_t
put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The decoded href="..." of an <a> tag (malloc'd), or NULL. */
static char *
tag_href(const char *tag, size_t len)
{
	const char *p = tag, *end = tag + len, *v;
	char q, *out, *o;
	unsigned long cp;

	while ((p = strstr(p, "href=")) != NULL && p < end) {
		if (p == tag || isspace((unsigned char)p[-1]))
			break;
		p += 5;
	}
	if (p == NULL || p >= end)
		return NULL;
	p += 5;
	q = *p == '"' || *p == '\'' ? *p++ : '\0';
	for (v = p; v < end && (q ? *v != q : *v != ' ' && *v != '>'); v++)
		;
	if ((out = o = malloc((size_t)(v - p) + 1)) == NULL)
		return NULL;
	while (p < v) {
		size_t n = known_entity(p, &cp);

		if (n > 0 && p + n <= v) {
			o += put_utf8(o, cp);
			p += n;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

char *
tgapi_plain_text(const char *html)
{
	size_t len = strlen(html), cap = len * 2 + 64, o = 0, label = 0;
	char *out = malloc(cap), *href = NULL, name[16];
	const char *p = html;
	unsigned long cp;
	int closing;

	if (out == NULL)
		return NULL;
	while (*p) {
		size_t n;

		if ((n = known_tag(p, &closing, name, sizeof name)) > 0) {
			if (strcmp(name, "a") == 0 && !closing) {
				free(href);
				href = tag_href(p, n);
				label = o;
			} else if (strcmp(name, "a") == 0 && href != NULL) {
				size_t hl = strlen(href);

				if ((o - label != hl ||
				    memcmp(out + label, href, hl) != 0) && *href) {
					if (o + hl + 4 > cap) {
						char *nout;

						cap = o + hl + 4 + len;
						if ((nout = realloc(out, cap)) == NULL)
							break;
						out = nout;
					}
					o += (size_t)sprintf(out + o, " (%s)", href);
				}
				free(href);
				href = NULL;
			}
			p += n;
		} else if ((n = known_entity(p, &cp)) > 0) {
			o += put_utf8(out + o, cp);
			p += n;
		} else {
			out[o++] = *p++;
		}
	}
	free(href);
	out[o] = '\0';
	return out;
}

/* Splitting. */

enum { ATOM_CHAR, ATOM_OPEN, ATOM_CLOSE };

struct atom {
	size_t off, len, units;
	int kind;
	char name[16];
};

struct tagstack {
	size_t *open;		/* atom index of each open tag */
	size_t n, cap;
};

static int
stack_apply(struct tagstack *s, const struct atom *atoms, size_t i)
{
	const struct atom *a = &atoms[i];

	if (a->kind == ATOM_OPEN) {
		if (s->n == s->cap) {
			size_t ncap = s->cap ? s->cap * 2 : 8;
			size_t *no = realloc(s->open, ncap * sizeof *no);

			if (no == NULL)
				return -1;
			s->open = no;
			s->cap = ncap;
		}
		s->open[s->n++] = i;
	} else if (a->kind == ATOM_CLOSE && s->n > 0 &&
	    strcmp(atoms[s->open[s->n - 1]].name, a->name) == 0) {
		s->n--;
	}
	return 0;
}

/* Units to close (closing) or reopen (!closing) every tag on the stack. */
static size_t
stack_units(const struct tagstack *s, const struct atom *atoms, int closing)
{
	size_t u = 0;

	for (size_t i = 0; i < s->n; i++)
		u += closing ? strlen(atoms[s->open[i]].name) + 3 :
		    atoms[s->open[i]].len;
	return u;
}

static size_t
tokenize(const char *text, int html, struct atom *atoms)
{
	size_t n = 0, i = 0, len = strlen(text);
	unsigned long cp;

	while (i < len) {
		struct atom *a = &atoms[n++];
		int closing;

		a->off = i;
		a->kind = ATOM_CHAR;
		a->name[0] = '\0';
		if (html && (a->len = known_tag(text + i, &closing, a->name,
		    sizeof a->name)) > 0) {
			a->kind = closing ? ATOM_CLOSE : ATOM_OPEN;
			a->units = a->len;
		} else if (html && (a->len = known_entity(text + i, &cp)) > 0) {
			a->units = a->len;
		} else {
			a->len = char_len((const unsigned char *)text + i, len - i);
			a->units = a->len == 4 ? 2 : 1;
		}
		i += a->len;
	}
	return n;
}

static int
append_part(char ***parts, size_t *nparts, const char *text,
    const struct atom *atoms, const struct tagstack *start, size_t from,
    size_t to, const struct tagstack *end)
{
	size_t body_from = atoms[from].off, body_to = atoms[to - 1].off +
	    atoms[to - 1].len, size, o = 0;
	int visible = 0;
	char *s, **np;

	for (size_t i = from; i < to; i++)
		if (atoms[i].kind == ATOM_CHAR &&
		    !isspace((unsigned char)text[atoms[i].off]))
			visible = 1;
	if (!visible)
		return 0;
	while (body_to > body_from && (text[body_to - 1] == '\n' ||
	    text[body_to - 1] == '\r'))
		body_to--;
	size = stack_units(start, atoms, 0) + (body_to - body_from) +
	    stack_units(end, atoms, 1) + 1;
	if ((s = malloc(size)) == NULL)
		return -1;
	for (size_t i = 0; i < start->n; i++) {
		const struct atom *a = &atoms[start->open[i]];

		memcpy(s + o, text + a->off, a->len);
		o += a->len;
	}
	memcpy(s + o, text + body_from, body_to - body_from);
	o += body_to - body_from;
	for (size_t i = end->n; i-- > 0;)
		o += (size_t)sprintf(s + o, "</%s>", atoms[end->open[i]].name);
	s[o] = '\0';
	if ((np = realloc(*parts, (*nparts + 1) * sizeof *np)) == NULL) {
		free(s);
		return -1;
	}
	*parts = np;
	(*parts)[(*nparts)++] = s;
	return 0;
}

void
tgapi_parts_free(char **parts, size_t nparts)
{
	for (size_t i = 0; i < nparts; i++)
		free(parts[i]);
	free(parts);
}

static int
stack_copy(struct tagstack *dst, const struct tagstack *src)
{
	if (dst->cap < src->n) {
		size_t *no = realloc(dst->open, src->n * sizeof *no);

		if (no == NULL)
			return -1;
		dst->open = no;
		dst->cap = src->n;
	}
	if (src->n)
		memcpy(dst->open, src->open, src->n * sizeof *dst->open);
	dst->n = src->n;
	return 0;
}

int
tgapi_split(const char *text, int html, size_t limit, char ***parts,
    size_t *nparts)
{
	size_t len = strlen(text), natoms, i = 0;
	struct atom *atoms = malloc((len + 1) * sizeof *atoms);
	struct tagstack start = { 0 }, run = { 0 }, at_nl = { 0 }, at_sp = { 0 };
	int rc = -1;

	*parts = NULL;
	*nparts = 0;
	if (atoms == NULL)
		return -1;
	natoms = tokenize(text, html, atoms);
	while (i < natoms) {
		size_t units = stack_units(&start, atoms, 0), j = i;
		size_t nl = 0, sp = 0, end;
		const struct tagstack *end_stack;

		if (stack_copy(&run, &start) < 0)
			goto out;
		while (j < natoms) {
			size_t saved = run.n, top = run.n ? run.open[run.n - 1] : 0;

			if (stack_apply(&run, atoms, j) < 0)
				goto out;
			if (units + atoms[j].units + stack_units(&run, atoms, 1) >
			    limit) {
				/* Undo: the atom stays for the next part. */
				if (run.n > saved)
					run.n = saved;
				else if (run.n < saved)
					run.open[run.n++] = top;
				break;
			}
			units += atoms[j].units;
			j++;
			if (atoms[j - 1].kind == ATOM_CHAR) {
				char c = text[atoms[j - 1].off];

				if (c == '\n') {
					nl = j;
					if (stack_copy(&at_nl, &run) < 0)
						goto out;
				} else if (c == ' ') {
					sp = j;
					if (stack_copy(&at_sp, &run) < 0)
						goto out;
				}
			}
		}
		if (j == natoms) {
			end = j;
			end_stack = &run;
		} else if (nl > i) {
			end = nl;
			end_stack = &at_nl;
		} else if (sp > i) {
			end = sp;
			end_stack = &at_sp;
		} else {
			end = j;
			end_stack = &run;
		}
		if (end == i)
			goto out;	/* not even one atom fits */
		if (append_part(parts, nparts, text, atoms, &start, i, end,
		    end_stack) < 0 || stack_copy(&start, end_stack) < 0)
			goto out;
		i = end;
	}
	rc = 0;
out:
	if (rc < 0) {
		tgapi_parts_free(*parts, *nparts);
		*parts = NULL;
		*nparts = 0;
	}
	free(atoms);
	free(start.open);
	free(run.open);
	free(at_nl.open);
	free(at_sp.open);
	return rc;
}
