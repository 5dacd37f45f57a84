/* Unit tests: lib/replay (bounded Request-ID cache kept in a file). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"

static char dir[] = "/tmp/check_replay.XXXXXX";
static char path[256];

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/cache", dir);
}

static void
teardown(void)
{
	char p[300];

	unlink(path);
	snprintf(p, sizeof p, "%s.lock", path);
	unlink(p);
	snprintf(p, sizeof p, "%s.tmp", path);
	unlink(p);
	rmdir(dir);
	strcpy(dir, "/tmp/check_replay.XXXXXX");
}

static int
check(struct replay *r, const char *req, const char *rec)
{
	int werr;
	int v = replay_check(r, req, rec, &werr);

	ck_assert_int_eq(werr, 0);
	return v;
}

START_TEST(same_record_is_a_redelivery_other_record_a_replay)
{
	char err[256];
	struct replay *r = replay_open(NULL, 10, err, sizeof err);

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(check(r, "req-1", "rec-1"), REPLAY_NEW);
	ck_assert_int_eq(check(r, "req-1", "rec-1"), REPLAY_SAME_RECORD);
	ck_assert_int_eq(check(r, "req-1", "rec-2"), REPLAY_SEEN);
	ck_assert_int_eq(check(r, "req-1", NULL), REPLAY_SEEN);
	ck_assert_int_eq(check(r, "req-2", NULL), REPLAY_NEW);
	ck_assert_int_eq(check(r, "req-2", NULL), REPLAY_SEEN);
	ck_assert_int_eq(replay_close(r), 0);
}
END_TEST

START_TEST(survives_a_restart)
{
	char err[256];
	struct replay *r = replay_open(path, 10, err, sizeof err);

	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(check(r, "req 1\n%", "rec-1"), REPLAY_NEW);
	ck_assert_int_eq(check(r, "req-2", NULL), REPLAY_NEW);
	ck_assert_int_eq(check(r, "req-3", "-"), REPLAY_NEW);
	ck_assert_int_eq(replay_close(r), 0);

	r = replay_open(path, 10, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(replay_count(r), 3);
	ck_assert_int_eq(check(r, "req 1\n%", "rec-1"), REPLAY_SAME_RECORD);
	ck_assert_int_eq(check(r, "req 1\n%", "rec-9"), REPLAY_SEEN);
	ck_assert_int_eq(check(r, "req-2", "rec-9"), REPLAY_SEEN);
	ck_assert_int_eq(check(r, "req-3", "-"), REPLAY_SAME_RECORD);
	ck_assert_int_eq(replay_close(r), 0);
}
END_TEST

START_TEST(bounded_oldest_forgotten_file_compacted)
{
	char err[256], req[32], line[256];
	struct replay *r = replay_open(path, 4, err, sizeof err);
	FILE *f;
	int lines = 0;

	ck_assert_ptr_nonnull(r);
	for (int i = 0; i < 20; i++) {
		snprintf(req, sizeof req, "req-%d", i);
		ck_assert_int_eq(check(r, req, "x"), REPLAY_NEW);
	}
	ck_assert_uint_eq(replay_count(r), 4);
	ck_assert_int_eq(check(r, "req-0", "y"), REPLAY_NEW);	/* forgotten */
	ck_assert_int_eq(check(r, "req-19", "y"), REPLAY_SEEN);
	ck_assert_int_eq(replay_close(r), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f))
		lines++;
	fclose(f);
	ck_assert_int_le(lines, 8);
	r = replay_open(path, 4, err, sizeof err);
	ck_assert_int_eq(check(r, "req-19", "y"), REPLAY_SEEN);
	ck_assert_int_eq(check(r, "req-0", "y"), REPLAY_SAME_RECORD);
	replay_close(r);
}
END_TEST

START_TEST(torn_last_line_ignored_garbage_refused)
{
	char err[256];
	struct replay *r;
	FILE *f = fopen(path, "w");

	fputs("req-1 rec-1\nreq-2 re", f);
	fclose(f);
	r = replay_open(path, 10, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(replay_count(r), 1);
	ck_assert_int_eq(check(r, "req-3", "rec-3"), REPLAY_NEW);
	replay_close(r);
	r = replay_open(path, 10, err, sizeof err);
	ck_assert_uint_eq(replay_count(r), 2);
	replay_close(r);

	f = fopen(path, "w");
	fputs("req-1 rec-1\nthree fields here\n", f);
	fclose(f);
	ck_assert_ptr_null(replay_open(path, 10, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "cache:2: not a replay cache entry"));
}
END_TEST

START_TEST(one_process_at_a_time)
{
	char err[256];
	struct replay *r = replay_open(path, 10, err, sizeof err);

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_null(replay_open(path, 10, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "in use by another process"));
	replay_close(r);
	r = replay_open(path, 10, err, sizeof err);
	ck_assert_ptr_nonnull(r);
	replay_close(r);
}
END_TEST

/* Keys remembered for a time only: a retry inside the window is seen, one
 * after it is new again; the times survive a restart, and the later of two
 * sightings in the file is the one that counts. */
START_TEST(windowed_keys_expire)
{
	char err[256];
	struct replay *r = replay_open(path, 0, err, sizeof err);
	int werr;
	const int64_t min = 60000;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(replay_check_within(r, "body:aa", "rec-1", 10 * min,
	    30 * min, &werr), REPLAY_NEW);
	ck_assert_int_eq(replay_check_within(r, "body:aa", "rec-1", 11 * min,
	    30 * min, &werr), REPLAY_SAME_RECORD);
	ck_assert_int_eq(replay_check_within(r, "body:aa", "rec-2", 35 * min,
	    30 * min, &werr), REPLAY_SEEN);
	ck_assert_int_eq(replay_check_within(r, "body:aa", "rec-3", 41 * min,
	    30 * min, &werr), REPLAY_NEW);
	/* a key without a window never expires */
	ck_assert_int_eq(replay_check(r, "req-1", "rec-1", &werr), REPLAY_NEW);
	ck_assert_int_eq(replay_close(r), 0);
	r = replay_open(path, 0, err, sizeof err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(replay_check_within(r, "body:aa", "rec-4", 50 * min,
	    30 * min, &werr), REPLAY_SEEN);	/* rec-3 at 41 min */
	ck_assert_int_eq(replay_check_within(r, "body:aa", "rec-3", 50 * min,
	    30 * min, &werr), REPLAY_SAME_RECORD);
	ck_assert_int_eq(replay_check(r, "req-1", "rec-9", &werr), REPLAY_SEEN);
	ck_assert_int_eq(replay_close(r), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("replay");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, same_record_is_a_redelivery_other_record_a_replay);
	tcase_add_test(tc, survives_a_restart);
	tcase_add_test(tc, bounded_oldest_forgotten_file_compacted);
	tcase_add_test(tc, torn_last_line_ignored_garbage_refused);
	tcase_add_test(tc, one_process_at_a_time);
	tcase_add_test(tc, windowed_keys_expire);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
