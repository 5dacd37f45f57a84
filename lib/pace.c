/* pace: sliding-window send limits per chat, per group and overall. */
#include "pace.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The last count send times of one window, oldest at head. */
struct window {
	int64_t *times;
	unsigned n, head;
};

struct chat {
	char *id;
	int64_t last;
	struct window chat, group;
};

struct pace {
	struct pace_limits limits;
	struct window all;
	struct chat *chats;
	size_t nchats, cap;
};

void
pace_default_limits(struct pace_limits *limits)
{
	limits->chat = (struct pace_limit){ 1, 1000 };
	limits->group = (struct pace_limit){ 20, 60000 };
	limits->all = (struct pace_limit){ 30, 1000 };
}

int
pace_parse_limit(const char *text, struct pace_limit *limit)
{
	char *end;
	unsigned long count;
	double seconds;

	if (text == NULL || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	count = strtoul(text, &end, 10);
	if (errno || count > 100000)
		return -1;
	if (*end == '\0' && count == 0) {
		*limit = (struct pace_limit){ 0, 0 };
		return 0;
	}
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	seconds = strtod(end + 1, &end);
	if (*end != '\0' || !isfinite(seconds) || seconds <= 0 ||
	    seconds > 86400)
		return -1;
	limit->count = (unsigned)count;
	limit->window_ms = (int64_t)llround(seconds * 1000);
	if (limit->window_ms == 0 && count > 0)
		return -1;
	return 0;
}

int
pace_is_group(const char *chat)
{
	return chat != NULL && chat[0] == '-';
}

static int
window_init(struct window *w, const struct pace_limit *l)
{
	w->n = w->head = 0;
	w->times = NULL;
	if (l->count == 0)
		return 0;
	w->times = calloc(l->count, sizeof *w->times);
	return w->times ? 0 : -1;
}

static int64_t
window_delay(const struct window *w, const struct pace_limit *l, int64_t now)
{
	int64_t at;

	if (l->count == 0 || w->n < l->count)
		return 0;
	at = w->times[w->head] + l->window_ms;
	return at > now ? at - now : 0;
}

static void
window_note(struct window *w, const struct pace_limit *l, int64_t now)
{
	if (l->count == 0)
		return;
	if (w->n < l->count) {
		w->times[(w->head + w->n) % l->count] = now;
		w->n++;
	} else {
		w->times[w->head] = now;
		w->head = (w->head + 1) % l->count;
	}
}

struct pace *
pace_new(const struct pace_limits *limits)
{
	struct pace *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	p->limits = *limits;
	if (window_init(&p->all, &limits->all) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static void
chat_free(struct chat *c)
{
	free(c->id);
	free(c->chat.times);
	free(c->group.times);
}

void
pace_free(struct pace *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nchats; i++)
		chat_free(&p->chats[i]);
	free(p->chats);
	free(p->all.times);
	free(p);
}

static struct chat *
find(struct pace *p, const char *chat)
{
	for (size_t i = 0; i < p->nchats; i++)
		if (strcmp(p->chats[i].id, chat) == 0)
			return &p->chats[i];
	return NULL;
}

/* Forget chats whose every window has expired. */
static void
expire(struct pace *p, int64_t now)
{
	int64_t keep = p->limits.chat.window_ms;
	size_t i = 0;

	if (p->limits.group.window_ms > keep)
		keep = p->limits.group.window_ms;
	while (i < p->nchats) {
		if (now - p->chats[i].last >= keep) {
			chat_free(&p->chats[i]);
			p->chats[i] = p->chats[--p->nchats];
		} else {
			i++;
		}
	}
}

int64_t
pace_delay(struct pace *p, const char *chat, int64_t now_ms)
{
	int64_t d = window_delay(&p->all, &p->limits.all, now_ms), x;
	struct chat *c = find(p, chat);

	if (c != NULL) {
		if ((x = window_delay(&c->chat, &p->limits.chat, now_ms)) > d)
			d = x;
		if (pace_is_group(chat) &&
		    (x = window_delay(&c->group, &p->limits.group, now_ms)) > d)
			d = x;
	}
	return d;
}

int
pace_note(struct pace *p, const char *chat, int64_t now_ms)
{
	struct chat *c;

	window_note(&p->all, &p->limits.all, now_ms);
	if ((c = find(p, chat)) == NULL) {
		expire(p, now_ms);
		if (p->nchats == p->cap) {
			size_t ncap = p->cap ? p->cap * 2 : 8;
			struct chat *n = realloc(p->chats, ncap * sizeof *n);

			if (n == NULL)
				return -1;
			p->chats = n;
			p->cap = ncap;
		}
		c = &p->chats[p->nchats];
		memset(c, 0, sizeof *c);
		if ((c->id = strdup(chat)) == NULL ||
		    window_init(&c->chat, &p->limits.chat) < 0 ||
		    (pace_is_group(chat) &&
		    window_init(&c->group, &p->limits.group) < 0)) {
			chat_free(c);
			return -1;
		}
		p->nchats++;
	}
	c->last = now_ms;
	window_note(&c->chat, &p->limits.chat, now_ms);
	if (pace_is_group(chat))
		window_note(&c->group, &p->limits.group, now_ms);
	return 0;
}
