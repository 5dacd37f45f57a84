/*
 * tgapi: the Telegram Bot API over one reused libcurl handle, and the
 * parsing of its answers.  The text rules of sendMessage (length,
 * splitting, the plain-text resend) are lib/tghtml's.
 *
 * One connection is kept alive between calls.  TLS peers are verified;
 * connect and total time-outs are bounded; proxies come from libcurl's
 * usual environment variables (https_proxy, all_proxy, no_proxy) unless
 * one is given.  The token is part of every URL, so no URL is ever put in
 * a message: transport errors come from CURLOPT_ERRORBUFFER with the token
 * cut out.  libcurl's verbose mode is never turned on.
 *
 * Ownership as in jv.h: the jv in a reply is the reply's, freed by
 * tgapi_reply_free.  Nothing here exits or prints.
 */
#ifndef TGAPI_H
#define TGAPI_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#define TGAPI_DEFAULT_URL "https://api.telegram.org"

/* What a caller should do about an answer. */
enum tgapi_outcome {
	TGAPI_OK,		/* "ok":true */
	TGAPI_RETRY_AFTER,	/* 429 / parameters.retry_after: wait, resend */
	TGAPI_TRANSIENT,	/* network, time-out, 5xx, not JSON: back off */
	TGAPI_PARSE_ENTITIES,	/* 400 can't parse entities: send as plain */
	TGAPI_MIGRATED,		/* parameters.migrate_to_chat_id: resend there */
	TGAPI_TOO_LONG,		/* 400 message is too long: split */
	TGAPI_NO_TOPIC,		/* 400 message thread not found */
	TGAPI_BAD_BUTTON,	/* 400 about an inline keyboard button */
	TGAPI_PERMANENT,	/* 403 blocked/kicked, chat not found, other 4xx */
	TGAPI_UNAUTHORIZED,	/* 401: the token is not valid */
	TGAPI_NOT_FOUND		/* 404: malformed token or wrong API URL */
};

struct tgapi_reply {
	enum tgapi_outcome outcome;
	int transport;		/* 1: no HTTP answer (network, time-out) */
	long http_status;	/* 0 without an answer */
	int json;		/* the body was a JSON object */
	int ok;			/* its "ok" was true */
	long error_code;	/* its "error_code", else the HTTP status */
	char description[512];	/* Telegram's, or what went wrong */
	long retry_after;	/* parameters.retry_after in seconds, -1 absent */
	char migrate_to[32];	/* parameters.migrate_to_chat_id, "" absent */
	int64_t message_id;	/* result.message_id, -1 absent */
	jv result;		/* "result", jv_null() when absent */
};

void tgapi_reply_init(struct tgapi_reply *r);
void tgapi_reply_free(struct tgapi_reply *r);

/*
 * Parse an HTTP answer (pure: no I/O; what the fuzzers call).  body need
 * not be NUL-terminated and may be anything.  Fills r (init'ed or freed
 * before) including r->outcome.
 */
void tgapi_parse(long http_status, const char *body, size_t len,
    struct tgapi_reply *r);

/* The outcome's name for messages and records ("parse_entities"). */
const char *tgapi_outcome_name(enum tgapi_outcome o);

struct tgapi_options {
	const char *api_url;	/* NULL: TGAPI_DEFAULT_URL */
	const char *proxy;	/* NULL: libcurl's environment variables */
	const char *ca_file;	/* NULL: the system's CA certificates */
	long connect_timeout_ms;
	long timeout_ms;	/* the whole exchange */
	size_t max_response;	/* bytes; 0: 4 MiB */
};

struct tgapi;

/* NULL with err set (never the token) when the options are unusable.
 * token is borrowed and must outlive the handle. */
struct tgapi *tgapi_new(const struct tgapi_options *o, const char *token,
    char *err, size_t errsize);
void tgapi_free(struct tgapi *t);

/*
 * POST the JSON body to method (letters only).  0 with r filled whatever
 * Telegram said (a transport error is outcome TGAPI_TRANSIENT); -1 when
 * the call could not be made at all (bad method, out of memory), with
 * r->description saying why.
 */
int tgapi_call(struct tgapi *t, const char *method, const char *json,
    size_t len, struct tgapi_reply *r);

#endif
