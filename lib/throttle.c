/* throttle: per-issue windows, recent times, held-back counts. */
#include "throttle.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jvx.h"

struct throttle {
	struct throttle_issue **v;	/* entries, in no particular order */
	size_t n, cap;
	size_t *slots;			/* hash: index + 1, 0 empty */
	size_t nslots;
	size_t max_issues;
	unsigned ring_size;
	unsigned long forgotten_held;	/* held counts of forgotten entries */
};

static size_t
hash(const char *s)
{
	size_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void
free_issue(struct throttle_issue *e)
{
	if (e) {
		free(e->key);
		free(e->times);
		free(e->rule);
		jv_free(e->info);
		free(e);
	}
}

static int
rehash(struct throttle *t, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof *slots);

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		size_t s = hash(t->v[i]->key) & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

struct throttle *
throttle_new(size_t max_issues, unsigned ring_size)
{
	struct throttle *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->max_issues = max_issues < 8 ? 8 : max_issues;
	t->ring_size = ring_size < 1 ? 1 : ring_size;
	if (rehash(t, 64) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

static void
clear(struct throttle *t)
{
	for (size_t i = 0; i < t->n; i++)
		free_issue(t->v[i]);
	t->n = 0;
	t->forgotten_held = 0;
	memset(t->slots, 0, t->nslots * sizeof *t->slots);
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	clear(t);
	free(t->v);
	free(t->slots);
	free(t);
}

size_t
throttle_count(const struct throttle *t)
{
	return t->n;
}

struct throttle_issue *
throttle_find(struct throttle *t, const char *key)
{
	size_t s = hash(key) & (t->nslots - 1);

	for (; t->slots[s]; s = (s + 1) & (t->nslots - 1))
		if (strcmp(t->v[t->slots[s] - 1]->key, key) == 0)
			return t->v[t->slots[s] - 1];
	return NULL;
}

/* Forget-first order: entries with nothing held, then least recent. */
static int
forget_order(const void *a, const void *b)
{
	const struct throttle_issue *x = *(struct throttle_issue *const *)a;
	const struct throttle_issue *y = *(struct throttle_issue *const *)b;

	if ((x->held > 0) != (y->held > 0))
		return x->held > 0 ? 1 : -1;
	if (x->last_seen != y->last_seen)
		return x->last_seen < y->last_seen ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Forget an eighth of the table to make room. */
static int
forget_some(struct throttle *t)
{
	size_t drop = t->n / 8 ? t->n / 8 : 1;

	qsort(t->v, t->n, sizeof *t->v, forget_order);
	for (size_t i = 0; i < drop; i++) {
		t->forgotten_held += t->v[i]->held;
		free_issue(t->v[i]);
	}
	memmove(t->v, t->v + drop, (t->n - drop) * sizeof *t->v);
	t->n -= drop;
	return rehash(t, t->nslots);
}

static struct throttle_issue *
add(struct throttle *t, const char *key)
{
	struct throttle_issue *e;

	if (t->n >= t->max_issues && forget_some(t) < 0)
		return NULL;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct throttle_issue **nv = realloc(t->v, ncap * sizeof *nv);

		if (nv == NULL)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	if ((t->n + 1) * 2 > t->nslots && rehash(t, t->nslots * 2) < 0)
		return NULL;
	if ((e = calloc(1, sizeof *e)) == NULL)
		return NULL;
	e->key = strdup(key);
	e->times = calloc(t->ring_size, sizeof *e->times);
	if (e->key == NULL || e->times == NULL) {
		free(e->key);
		free(e->times);
		free(e);
		return NULL;
	}
	e->ring = t->ring_size;
	e->last_seen = THROTTLE_NEVER;
	e->last_sent = THROTTLE_NEVER;
	e->info = jv_object();
	t->v[t->n++] = e;

	size_t s = hash(key) & (t->nslots - 1);

	while (t->slots[s])
		s = (s + 1) & (t->nslots - 1);
	t->slots[s] = t->n;
	return e;
}

struct throttle_issue *
throttle_touch(struct throttle *t, const char *key)
{
	struct throttle_issue *e = throttle_find(t, key);

	return e ? e : add(t, key);
}

void
throttle_note(struct throttle_issue *e, int64_t when)
{
	e->times[e->head] = when;
	e->head = (e->head + 1) % e->ring;
	if (e->ntimes < e->ring)
		e->ntimes++;
	e->total++;
	if (e->last_seen == THROTTLE_NEVER || when > e->last_seen)
		e->last_seen = when;
}

unsigned
throttle_recent(const struct throttle_issue *e, int64_t now, int64_t window_ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < e->ntimes; i++)
		if (e->times[i] > now - window_ms && e->times[i] <= now)
			n++;
	return n;
}

int
throttle_due(const struct throttle_issue *e, int64_t now, int64_t window_ms)
{
	return window_ms <= 0 || e->last_sent == THROTTLE_NEVER ||
	    now - e->last_sent >= window_ms || e->last_sent - now >= window_ms;
}

static void
set_rule(struct throttle_issue *e, const char *rule)
{
	char *copy;

	if (rule && (e->rule == NULL || strcmp(e->rule, rule) != 0) &&
	    (copy = strdup(rule)) != NULL) {
		free(e->rule);
		e->rule = copy;
	}
}

void
throttle_sent(struct throttle_issue *e, int64_t now, const char *rule)
{
	e->last_sent = now;
	e->unsent = 0;
	set_rule(e, rule);
}

void
throttle_hold(struct throttle_issue *e, int64_t now)
{
	e->held++;
	if (e->unsent++ == 0)
		e->unsent_since = now;
}

int
throttle_allow(struct throttle_issue *e, int64_t now, int64_t window_ms)
{
	if (throttle_due(e, now, window_ms)) {
		throttle_sent(e, now, NULL);
		return 1;
	}
	throttle_hold(e, now);
	return 0;
}

void
throttle_set_info(struct throttle_issue *e, jv info)
{
	if (jv_get_kind(info) != JV_KIND_OBJECT) {
		jv_free(info);
		return;
	}
	jv_free(e->info);
	e->info = info;
}

static int
digest_order(const void *a, const void *b)
{
	const struct throttle_issue *x = *(struct throttle_issue *const *)a;
	const struct throttle_issue *y = *(struct throttle_issue *const *)b;

	if (x->held != y->held)
		return x->held > y->held ? -1 : 1;
	return strcmp(x->key, y->key);
}

unsigned long
throttle_held(const struct throttle *t)
{
	unsigned long n = t->forgotten_held;

	for (size_t i = 0; i < t->n; i++)
		n += t->v[i]->held;
	return n;
}

jv
throttle_digest(struct throttle *t, size_t max_list, unsigned long *total,
    unsigned long *omitted)
{
	struct throttle_issue **held;
	size_t nheld = 0;
	jv list = jv_array();

	*total = t->forgotten_held;
	*omitted = t->forgotten_held ? 1 : 0;
	t->forgotten_held = 0;
	if ((held = malloc((t->n ? t->n : 1) * sizeof *held)) == NULL)
		return list;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->held > 0)
			held[nheld++] = t->v[i];
	qsort(held, nheld, sizeof *held, digest_order);
	for (size_t i = 0; i < nheld; i++) {
		struct throttle_issue *e = held[i];
		char when[CLOCK_RFC3339_SIZE];

		*total += e->held;
		if (i < max_list) {
			jv o = jv_copy(e->info);

			o = jv_object_set(o, jv_string("count"),
			    jv_number((double)e->held));
			o = jv_object_set(o, jv_string("last_seen"),
			    jv_string(clock_format(e->last_seen, when,
			    sizeof when)));
			list = jv_array_append(list, o);
		} else {
			++*omitted;
		}
		e->held = 0;
	}
	free(held);
	return list;
}

jv
throttle_save(const struct throttle *t, int64_t horizon_ms)
{
	jv issues = jv_array();

	for (size_t i = 0; i < t->n; i++) {
		const struct throttle_issue *e = t->v[i];
		jv times = jv_array();
		jv o = jv_object();

		/* oldest first, so loading refills the ring in order */
		for (unsigned k = 0; k < e->ntimes; k++) {
			unsigned at = (e->head + e->ring - e->ntimes + k) %
			    e->ring;

			if (horizon_ms > 0 &&
			    e->times[at] <= e->last_seen - horizon_ms)
				continue;
			times = jv_array_append(times,
			    jv_number((double)e->times[at]));
		}
		o = jv_object_set(o, jv_string("key"), jv_string(e->key));
		o = jv_object_set(o, jv_string("last_seen"),
		    jv_number((double)e->last_seen));
		o = jv_object_set(o, jv_string("last_sent"),
		    e->last_sent == THROTTLE_NEVER ? jv_null() :
		    jv_number((double)e->last_sent));
		o = jv_object_set(o, jv_string("resolved"),
		    jv_bool(e->resolved));
		o = jv_object_set(o, jv_string("held"),
		    jv_number((double)e->held));
		if (e->unsent > 0) {
			o = jv_object_set(o, jv_string("unsent"),
			    jv_number((double)e->unsent));
			o = jv_object_set(o, jv_string("unsent_since"),
			    jv_number((double)e->unsent_since));
		}
		if (e->bursts)
			o = jv_object_set(o, jv_string("bursts"),
			    jv_number((double)e->bursts));
		if (e->rule)
			o = jv_object_set(o, jv_string("rule"),
			    jv_string(e->rule));
		o = jv_object_set(o, jv_string("total"),
		    jv_number((double)e->total));
		o = jv_object_set(o, jv_string("times"), times);
		if (e->held > 0)	/* only a digest reads it */
			o = jv_object_set(o, jv_string("info"),
			    jv_copy(e->info));
		issues = jv_array_append(issues, o);
	}
	jv saved = jv_object();

	saved = jv_object_set(saved, jv_string("issues"), issues);
	saved = jv_object_set(saved, jv_string("forgotten_held"),
	    jv_number((double)t->forgotten_held));
	return saved;
}

int
throttle_load(struct throttle *t, const jv *saved)
{
	jv issues = jvx_get(saved, "issues");
	double d;
	int ok = 0;

	clear(t);
	if (jvx_num(saved, "forgotten_held", 0, &d) && d >= 0)
		t->forgotten_held = (unsigned long)d;
	if (!jv_is_valid(issues)) {
		jv_free(issues);
		return 0;
	}
	if (jv_get_kind(issues) != JV_KIND_ARRAY) {
		jv_free(issues);
		return -1;
	}
	int len = jv_array_length(jv_copy(issues));

	for (int i = 0; i < len && ok == 0; i++) {
		jv o = jv_array_get(jv_copy(issues), i);
		const char *key = jvx_str(&o, "key");
		struct throttle_issue *e;
		jv times, info;

		if (key == NULL || (e = throttle_touch(t, key)) == NULL) {
			ok = -1;
			jv_free(o);
			break;
		}
		if (jvx_num(&o, "last_seen", 0, &d))
			e->last_seen = (int64_t)d;
		if (jvx_num(&o, "last_sent", 0, &d))
			e->last_sent = (int64_t)d;
		e->resolved = jvx_bool(&o, "resolved") == 1;
		if (jvx_num(&o, "held", 0, &d) && d >= 0)
			e->held = (unsigned long)d;
		if (jvx_num(&o, "total", 0, &d) && d >= 0)
			e->total = (unsigned long)d;
		if (jvx_num(&o, "unsent", 0, &d) && d >= 0)
			e->unsent = (unsigned long)d;
		if (jvx_num(&o, "unsent_since", 0, &d))
			e->unsent_since = (int64_t)d;
		if (jvx_num(&o, "bursts", 0, &d) && d >= 0 && d < 4294967296.0)
			e->bursts = (unsigned)d;
		if (jvx_str(&o, "rule"))
			set_rule(e, jvx_str(&o, "rule"));
		times = jvx_get(&o, "times");
		if (jv_get_kind(times) == JV_KIND_ARRAY) {
			int nt = jv_array_length(jv_copy(times));

			for (int k = 0; k < nt; k++) {
				jv x = jv_array_get(jv_copy(times), k);

				if (jv_get_kind(x) == JV_KIND_NUMBER) {
					unsigned long total = e->total;
					int64_t last = e->last_seen;

					throttle_note(e, (int64_t)jv_number_value(x));
					e->total = total;
					e->last_seen = last;
				}
				jv_free(x);
			}
		}
		jv_free(times);
		info = jvx_get(&o, "info");
		if (jv_get_kind(info) == JV_KIND_OBJECT)
			throttle_set_info(e, info);
		else
			jv_free(info);
		jv_free(o);
	}
	jv_free(issues);
	return ok;
}

/* The index of the group named key in groups, or -1. */
static int
group_index(const jv *groups, const jv *key)
{
	int n = jv_array_length(jv_copy(*groups));

	for (int i = 0; i < n; i++) {
		jv g = jv_array_get(jv_copy(*groups), i);
		int same = jv_equal(jvx_get(&g, "group"), jv_copy(*key));

		jv_free(g);
		if (same)
			return i;
	}
	return -1;
}

static jv
new_group(jv key)
{
	jv g = jv_object_set(jv_object(), jv_string("group"), key);

	g = jv_object_set(g, jv_string("issues"), jv_array());
	g = jv_object_set(g, jv_string("total"), jv_number(0));
	return jv_object_set(g, jv_string("omitted"), jv_number(0));
}

/* Add n to the number at g.key: the new g. */
static jv
add_to(jv g, const char *key, double n)
{
	double now = 0;

	jvx_num(&g, key, 0, &now);
	return jv_object_set(g, jv_string(key), jv_number(now + n));
}

jv
throttle_digest_groups(struct throttle *t, jv first, size_t max_list,
    jv (*group_of)(const jv *info, void *ctx), void *ctx)
{
	unsigned long total, omitted, listed = 0;
	jv all = throttle_digest(t, (size_t)-1, &total, &omitted);
	jv groups = jv_array_append(jv_array(), new_group(first));
	int n = jv_array_length(jv_copy(all));

	for (int i = 0; i < n; i++) {
		jv issue = jv_array_get(jv_copy(all), i);
		jv key = group_of(&issue, ctx);
		int at = group_index(&groups, &key);
		double count = 0;
		jv g, list;

		if (at < 0) {
			at = jv_array_length(jv_copy(groups));
			g = new_group(key);
		} else {
			jv_free(key);
			g = jv_array_get(jv_copy(groups), at);
			/* g's only reference, so the sets below need no copy */
			groups = jv_array_set(groups, at, jv_null());
		}
		jvx_num(&issue, "count", 0, &count);
		listed += (unsigned long)count;
		g = add_to(g, "total", count);
		list = jvx_get(&g, "issues");
		g = jv_object_set(g, jv_string("issues"), jv_null());
		if ((size_t)jv_array_length(jv_copy(list)) < max_list) {
			g = jv_object_set(g, jv_string("issues"),
			    jv_array_append(list, issue));
		} else {
			jv_free(issue);
			g = jv_object_set(g, jv_string("issues"), list);
			g = add_to(g, "omitted", 1);
		}
		groups = jv_array_set(groups, at, g);
	}
	jv_free(all);
	/* the records of issues the table had to forget: the first group */
	jv g = jv_array_get(jv_copy(groups), 0);

	g = add_to(g, "total", (double)(total - listed));
	g = add_to(g, "omitted", (double)omitted);
	return jv_array_set(groups, 0, g);
}
