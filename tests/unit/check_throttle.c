/* Unit tests: lib/throttle (windows, counts, digest), lib/seen, lib/fstate. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fstate.h"
#include "jvx.h"
#include "seen.h"
#include "throttle.h"

START_TEST(one_message_per_window)
{
	struct throttle *t = throttle_new(100, 4);
	struct throttle_issue *e = throttle_touch(t, "issue:1");

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(throttle_touch(t, "issue:1"), e);
	ck_assert_int_eq(throttle_allow(e, 1000, 300000), 1);
	ck_assert_int_eq(throttle_allow(e, 1000, 300000), 0);
	ck_assert_int_eq(throttle_allow(e, 300999, 300000), 0);
	ck_assert_int_eq(throttle_allow(e, 301000, 300000), 1);
	ck_assert_int_eq(throttle_allow(e, 301001, 300000), 0);
	ck_assert_uint_eq(e->held, 3);
	/* an old record replayed long before the window: its own window */
	ck_assert_int_eq(throttle_allow(e, 1000, 300000), 1);
	/* off */
	ck_assert_int_eq(throttle_allow(e, 1000, 0), 1);
	ck_assert_uint_eq(throttle_held(t), 3);
	throttle_free(t);
}
END_TEST

START_TEST(held_since_the_last_message)
{
	struct throttle *t = throttle_new(100, 4), *u = throttle_new(100, 4);
	struct throttle_issue *e = throttle_touch(t, "issue:1");
	jv saved;

	ck_assert_int_eq(throttle_due(e, 1000, 60000), 1);
	throttle_sent(e, 1000, "critical");
	ck_assert_int_eq(throttle_due(e, 2000, 60000), 0);
	throttle_hold(e, 2000);
	throttle_hold(e, 3000);
	ck_assert_uint_eq(e->unsent, 2);
	ck_assert_int_eq(e->unsent_since, 2000);
	ck_assert_uint_eq(e->held, 2);
	e->bursts = 5;
	saved = throttle_save(t, 0);
	ck_assert_int_eq(throttle_load(u, &saved), 0);
	jv_free(saved);
	e = throttle_find(u, "issue:1");
	ck_assert_uint_eq(e->unsent, 2);
	ck_assert_int_eq(e->unsent_since, 2000);
	ck_assert_uint_eq(e->bursts, 5);
	ck_assert_str_eq(e->rule, "critical");
	/* a message (news, inside the window): the count starts again, the
	 * digest's does not; NULL keeps the rule */
	throttle_sent(e, 4000, NULL);
	ck_assert_uint_eq(e->unsent, 0);
	ck_assert_uint_eq(e->held, 2);
	ck_assert_str_eq(e->rule, "critical");
	ck_assert_int_eq(e->last_sent, 4000);
	throttle_free(t);
	throttle_free(u);
}
END_TEST

START_TEST(recent_counts_a_half_open_window)
{
	struct throttle *t = throttle_new(100, 4);
	struct throttle_issue *e = throttle_touch(t, "k");

	throttle_note(e, 0);
	throttle_note(e, 1000);
	throttle_note(e, 2000);
	ck_assert_uint_eq(throttle_recent(e, 2000, 10000), 3);
	/* (now - window, now]: the event exactly window ago is out */
	ck_assert_uint_eq(throttle_recent(e, 10000, 10000), 2);
	ck_assert_uint_eq(throttle_recent(e, 9999, 10000), 3);
	/* the ring keeps the last 4 */
	throttle_note(e, 3000);
	throttle_note(e, 4000);
	ck_assert_uint_eq(e->ntimes, 4);
	ck_assert_uint_eq(throttle_recent(e, 4000, 100000), 4);
	ck_assert_uint_eq(e->total, 5);
	ck_assert_int_eq(e->last_seen, 4000);
	throttle_free(t);
}
END_TEST

START_TEST(digest_lists_and_resets)
{
	struct throttle *t = throttle_new(100, 1);
	struct throttle_issue *a = throttle_touch(t, "a");
	struct throttle_issue *b = throttle_touch(t, "b");
	unsigned long total, omitted;
	jv list;

	throttle_set_info(a, jv_parse("{\"title\":\"A\"}"));
	throttle_set_info(b, jv_parse("{\"title\":\"B\"}"));
	throttle_set_info(b, jv_number(3));	/* not an object: ignored */
	throttle_note(a, 1000);
	throttle_note(b, 2000);
	throttle_allow(a, 1000, 60000);
	throttle_allow(b, 2000, 60000);
	throttle_allow(a, 1001, 60000);
	throttle_allow(b, 2001, 60000);
	throttle_allow(b, 2002, 60000);
	list = throttle_digest(t, 1, &total, &omitted);
	ck_assert_uint_eq(total, 3);
	ck_assert_uint_eq(omitted, 1);
	ck_assert_int_eq(jv_array_length(jv_copy(list)), 1);
	ck_assert_str_eq(jvx_str(&list, "0.title"), "B");
	double n;
	ck_assert(jvx_num(&list, "0.count", 0, &n) && n == 2);
	ck_assert_str_eq(jvx_str(&list, "0.last_seen"),
	    "1970-01-01T00:00:02.000Z");
	jv_free(list);
	list = throttle_digest(t, 10, &total, &omitted);
	ck_assert_uint_eq(total, 0);
	ck_assert_int_eq(jv_array_length(list), 0);
	throttle_free(t);
}
END_TEST

/* The group of a held issue: its info's "g". */
static jv
group_of(const jv *info, void *ctx)
{
	(void)ctx;
	return jv_string(jvx_str(info, "g"));
}

START_TEST(digest_groups)
{
	struct throttle *t = throttle_new(8, 1);
	const char *spec[][3] = {	/* key, group, held */
		{ "a", "x", "1" }, { "b", "y", "3" }, { "c", "x", "2" },
		{ "d", "y", "1" }, { "e", "x", "1" },
	};
	double n;
	jv groups;

	for (size_t i = 0; i < 5; i++) {
		struct throttle_issue *e = throttle_touch(t, spec[i][0]);
		char info[64];

		snprintf(info, sizeof info, "{\"k\":\"%s\",\"g\":\"%s\"}",
		    spec[i][0], spec[i][1]);
		throttle_set_info(e, jv_parse(info));
		throttle_note(e, 1000);
		throttle_allow(e, 1000, 60000);
		for (int k = 0; k < atoi(spec[i][2]); k++)
			throttle_allow(e, 1001, 60000);
	}
	/* "z" first although nothing of it is held; then y (b holds the
	 * most), then x; at most 2 issues listed per group */
	groups = throttle_digest_groups(t, jv_string("z"), 2, group_of, NULL);
	ck_assert_int_eq(jv_array_length(jv_copy(groups)), 3);
	ck_assert_str_eq(jvx_str(&groups, "0.group"), "z");
	ck_assert(jvx_num(&groups, "0.total", 0, &n) && n == 0);
	ck_assert_str_eq(jvx_str(&groups, "1.group"), "y");
	ck_assert(jvx_num(&groups, "1.total", 0, &n) && n == 4);
	ck_assert_str_eq(jvx_str(&groups, "1.issues.0.k"), "b");
	ck_assert_str_eq(jvx_str(&groups, "1.issues.1.k"), "d");
	ck_assert_str_eq(jvx_str(&groups, "2.group"), "x");
	ck_assert(jvx_num(&groups, "2.total", 0, &n) && n == 4);
	ck_assert_str_eq(jvx_str(&groups, "2.issues.0.k"), "c");
	ck_assert(jvx_num(&groups, "2.omitted", 0, &n) && n == 1);
	jv_free(groups);
	ck_assert_uint_eq(throttle_held(t), 0);
	throttle_free(t);
}
END_TEST

START_TEST(forgetting_keeps_held_counts)
{
	struct throttle *t = throttle_new(16, 1);
	unsigned long total, omitted;
	char key[32];

	/* 200 issues, each with one held record, in a table of 16 */
	for (int i = 0; i < 200; i++) {
		struct throttle_issue *e;

		snprintf(key, sizeof key, "issue:%d", i);
		e = throttle_touch(t, key);
		ck_assert_ptr_nonnull(e);
		throttle_note(e, i * 1000);
		throttle_allow(e, i * 1000, 60000);
		throttle_allow(e, i * 1000 + 1, 60000);
	}
	ck_assert_uint_le(throttle_count(t), 16);
	ck_assert_uint_eq(throttle_held(t), 200);
	jv list = throttle_digest(t, 100, &total, &omitted);
	ck_assert_uint_eq(total, 200);
	ck_assert_uint_ge(omitted, 1);
	jv_free(list);
	/* the most recent issue is still known */
	ck_assert_ptr_nonnull(throttle_find(t, "issue:199"));
	throttle_free(t);
}
END_TEST

START_TEST(save_and_load_round_trip)
{
	struct throttle *t = throttle_new(100, 3), *u = throttle_new(100, 3);
	struct throttle_issue *e = throttle_touch(t, "issue:7");
	jv saved, again;

	for (int i = 1; i <= 5; i++)
		throttle_note(e, i * 1000);
	throttle_allow(e, 5000, 60000);
	throttle_allow(e, 6000, 60000);
	e->resolved = 1;
	throttle_set_info(e, jv_parse("{\"title\":\"T\"}"));
	saved = throttle_save(t, 0);
	ck_assert_int_eq(throttle_load(u, &saved), 0);
	e = throttle_find(u, "issue:7");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->last_sent, 5000);
	ck_assert_int_eq(e->last_seen, 5000);
	ck_assert_uint_eq(e->held, 1);
	ck_assert_uint_eq(e->total, 5);
	ck_assert_int_eq(e->resolved, 1);
	ck_assert_uint_eq(throttle_recent(e, 5000, 100000), 3);
	again = throttle_save(u, 0);
	ck_assert(jv_equal(jv_copy(saved), again));
	jv_free(saved);
	/* a horizon leaves out times that can no longer count */
	saved = throttle_save(u, 1500);
	jv times = jvx_at(&saved, "issues.0.times");
	ck_assert_int_eq(jv_array_length(times), 2);	/* 4000, 5000 */
	jv_free(saved);
	saved = jv_parse("{\"issues\":{}}");
	ck_assert_int_eq(throttle_load(u, &saved), -1);
	jv_free(saved);
	throttle_free(t);
	throttle_free(u);
}
END_TEST

START_TEST(seen_is_bounded_and_saved)
{
	struct seen *s = seen_new(16), *u = seen_new(16);
	char id[16];
	jv d, saved;

	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof id, "r%d", i);
		seen_put(s, id, jv_number(i));
	}
	ck_assert_uint_le(seen_count(s), 16);
	d = seen_get(s, "r39");
	ck_assert(jv_get_kind(d) == JV_KIND_NUMBER);
	ck_assert_int_eq((int)jv_number_value(d), 39);
	jv_free(d);
	d = seen_get(s, "r0");
	ck_assert(!jv_is_valid(d));
	jv_free(d);
	seen_put(s, "r39", jv_string("again"));	/* replace, not add */
	saved = seen_save(s);
	ck_assert_int_eq(seen_load(u, &saved), 0);
	ck_assert_uint_eq(seen_count(u), seen_count(s));
	d = seen_get(u, "r39");
	ck_assert_str_eq(jv_string_value(d), "again");
	jv_free(d);
	jv_free(saved);
	seen_free(s);
	seen_free(u);
}
END_TEST

START_TEST(state_file_atomic)
{
	char dir[] = "/tmp/check_fstate.XXXXXX", path[128], err[256];
	struct stat st;
	jv v, w;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/state.json", dir);
	ck_assert_int_eq(fstate_load(path, &v, err, sizeof err), 0);
	ck_assert(jv_get_kind(v) == JV_KIND_OBJECT);
	jv_free(v);
	v = jv_parse("{\"a\":[1,2,\"\\u00e9\"]}");
	ck_assert_int_eq(fstate_save(path, &v, err, sizeof err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(fstate_load(path, &w, err, sizeof err), 0);
	ck_assert(jv_equal(jv_copy(v), w));
	jv_free(v);
	/* no temporary file left behind */
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	ck_assert_int_ne(access(tmp, F_OK), 0);

	FILE *f = fopen(path, "w");
	fputs("[1,2]", f);
	fclose(f);
	ck_assert_int_eq(fstate_load(path, &v, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "not a JSON object") != NULL, "%s", err);
	f = fopen(path, "w");
	fputs("{\"a\":", f);
	fclose(f);
	ck_assert_int_eq(fstate_load(path, &v, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "not JSON") != NULL, "%s", err);
	/* a directory that does not exist: error, not a crash */
	snprintf(tmp, sizeof tmp, "%s/no/such/state.json", dir);
	v = jv_object();
	ck_assert_int_eq(fstate_save(tmp, &v, err, sizeof err), -1);
	jv_free(v);
	unlink(path);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("throttle");
	TCase *tc = tcase_create("throttle");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, one_message_per_window);
	tcase_add_test(tc, held_since_the_last_message);
	tcase_add_test(tc, recent_counts_a_half_open_window);
	tcase_add_test(tc, digest_lists_and_resets);
	tcase_add_test(tc, digest_groups);
	tcase_add_test(tc, forgetting_keeps_held_counts);
	tcase_add_test(tc, save_and_load_round_trip);
	tcase_add_test(tc, seen_is_bounded_and_saved);
	tcase_add_test(tc, state_file_atomic);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
