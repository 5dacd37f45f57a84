/* tgapi: Telegram Bot API calls with libcurl, and the parsing of answers. */
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
