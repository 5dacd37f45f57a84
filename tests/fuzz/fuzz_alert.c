/*
 * fuzz_alert: the Sentry normaliser on arbitrary webhook bodies.  The
 * first byte picks the Sentry-Hook-Resource header; the rest is the body.
 * A body that parses must normalise to an object whose fields have the
 * documented kinds and bounds, without libjq asserting or leaking.
 */
#include <math.h>
#include <string.h>

#include "alert.h"
#include "bytes.h"
#include "jvx.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void
text_field(const jv *a, const char *key, size_t max)
{
	jv v = jvx_get(a, key);

	if (jv_is_valid(v)) {
		fuzz_assert(jv_get_kind(v) == JV_KIND_STRING ||
		    jv_get_kind(v) == JV_KIND_NULL);
		if (jv_get_kind(v) == JV_KIND_STRING) {
			const char *s = jv_string_value(v);
			size_t n = (size_t)jv_string_length_bytes(jv_copy(v));

			fuzz_assert(n <= max + 8);	/* + an ellipsis */
			fuzz_assert(bytes_utf8_valid(s, n));
		}
	}
	jv_free(v);
}

static void
number_field(const jv *a, const char *key)
{
	jv v = jvx_get(a, key);

	if (jv_is_valid(v) && jv_get_kind(v) == JV_KIND_NUMBER)
		fuzz_assert(isfinite(jv_number_value(v)));
	jv_free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *resources[] = { NULL, "issue", "error",
	    "event_alert", "metric_alert", "comment", "installation",
	    "seer", "", "Issue\r\nX: y", "preprod_artifact" };
	static const char *texts[] = { "title", "message", "culprit",
	    "project", "environment", "release", "issue_id", "short_id",
	    "url", "rule", "first_seen", "last_seen", "timestamp" };
	struct alert_input in = { 0 };
	jv payload, a, v;

	if (size == 0)
		return 0;
	in.resource = resources[data[0] % (sizeof resources /
	    sizeof resources[0])];
	in.sentry_url = (data[0] & 0x80) ? "https://sentry.example.com" : NULL;
	data++, size--;
	in.body = (const char *)data;
	in.body_len = size;
	payload = alert_parse((const char *)data, size);
	if (!jv_is_valid(payload)) {
		v = jv_invalid_get_msg(payload);
		fuzz_assert(jv_get_kind(v) == JV_KIND_STRING);
		jv_free(v);
		return 0;
	}
	fuzz_assert(jv_get_kind(payload) == JV_KIND_OBJECT);
	(void)alert_kind(&payload, in.resource);
	a = alert_normalise(&payload, &in);
	fuzz_assert(jv_get_kind(a) == JV_KIND_OBJECT);
	v = jvx_get(&a, "kind");
	fuzz_assert(jv_get_kind(v) == JV_KIND_STRING);
	jv_free(v);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		text_field(&a, texts[i], ALERT_TEXT_MAX);
	number_field(&a, "count");
	number_field(&a, "users");
	number_field(&a, "duration_ms");
	v = jvx_get(&a, "stacktrace");
	if (jv_get_kind(v) == JV_KIND_ARRAY)
		fuzz_assert(jv_array_length(jv_copy(v)) <= ALERT_FRAMES_MAX);
	jv_free(v);
	v = jvx_get(&a, "tags");
	if (jv_get_kind(v) == JV_KIND_OBJECT)
		fuzz_assert(jv_object_length(jv_copy(v)) <= ALERT_TAGS_MAX);
	jv_free(v);
	/* build notices and Seer progress: bounded lists, bounded text */
	static const char *lists[] = { "build.components", "seer.steps",
	    "seer.pull_requests" };
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		v = jvx_at(&a, lists[i]);
		if (jv_is_valid(v)) {
			fuzz_assert(jv_get_kind(v) == JV_KIND_ARRAY);
			fuzz_assert(jv_array_length(jv_copy(v)) <= 10);
		}
		jv_free(v);
	}
	v = jvx_get(&a, "build");
	if (jv_is_valid(v)) {
		text_field(&v, "app", ALERT_TEXT_MAX);
		text_field(&v, "error_message", ALERT_TEXT_MAX);
		text_field(&v, "install_url", ALERT_TEXT_MAX);
		number_field(&v, "download_size");
	}
	jv_free(v);
	v = jvx_get(&a, "seer");
	if (jv_is_valid(v)) {
		jv steps = jvx_get(&v, "steps");

		if (jv_get_kind(steps) == JV_KIND_ARRAY) {
			jv_array_foreach(steps, i, t) {
				fuzz_assert(jv_get_kind(t) == JV_KIND_STRING);
				fuzz_assert(jv_string_length_bytes(jv_copy(t)) <=
				    300 + 8);
				jv_free(t);
			}
		}
		jv_free(steps);
		number_field(&v, "iteration");
		number_field(&v, "added");
	}
	jv_free(v);
	jv_free(a);
	jv_free(payload);
	return 0;
}
