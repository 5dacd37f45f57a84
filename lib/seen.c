/* seen: bounded record id -> decision map, oldest forgotten first. */
#include "seen.h"

#include <stdlib.h>

#include "jvx.h"

struct seen {
	jv map;		/* id -> decision */
	jv order;	/* ids, oldest first */
	size_t max;
};

struct seen *
seen_new(size_t max)
{
	struct seen *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->map = jv_object();
	s->order = jv_array();
	s->max = max < 8 ? 8 : max;
	return s;
}

void
seen_free(struct seen *s)
{
	if (s) {
		jv_free(s->map);
		jv_free(s->order);
		free(s);
	}
}

size_t
seen_count(const struct seen *s)
{
	return (size_t)jv_array_length(jv_copy(s->order));
}

jv
seen_get(const struct seen *s, const char *id)
{
	return jvx_get(&s->map, id);
}

static void
forget_oldest(struct seen *s)
{
	int len = jv_array_length(jv_copy(s->order));
	int drop = len / 8 ? len / 8 : 1;

	for (int i = 0; i < drop; i++) {
		jv id = jv_array_get(jv_copy(s->order), i);

		s->map = jv_object_delete(s->map, id);
	}
	s->order = jv_array_slice(s->order, drop, len);
}

void
seen_put(struct seen *s, const char *id, jv decision)
{
	jv old = jvx_get(&s->map, id);

	if (!jv_is_valid(old)) {
		if (seen_count(s) >= s->max)
			forget_oldest(s);
		s->order = jv_array_append(s->order, jv_string(id));
	}
	jv_free(old);
	s->map = jv_object_set(s->map, jv_string(id), decision);
}

jv
seen_save(const struct seen *s)
{
	jv list = jv_array();
	int len = jv_array_length(jv_copy(s->order));

	for (int i = 0; i < len; i++) {
		jv id = jv_array_get(jv_copy(s->order), i);
		jv d = jv_object_get(jv_copy(s->map), jv_copy(id));

		list = jv_array_append(list,
		    jv_array_append(jv_array_append(jv_array(), id), d));
	}
	return list;
}

int
seen_load(struct seen *s, const jv *saved)
{
	int len;

	jv_free(s->map);
	jv_free(s->order);
	s->map = jv_object();
	s->order = jv_array();
	if (jv_get_kind(*saved) != JV_KIND_ARRAY)
		return -1;
	len = jv_array_length(jv_copy(*saved));
	for (int i = 0; i < len; i++) {
		jv pair = jv_array_get(jv_copy(*saved), i);
		jv id = jvx_at(&pair, "0");
		jv d = jvx_at(&pair, "1");

		if (jv_get_kind(id) == JV_KIND_STRING && jv_is_valid(d))
			seen_put(s, jv_string_value(id), d);
		else
			jv_free(d);
		jv_free(id);
		jv_free(pair);
	}
	return 0;
}
