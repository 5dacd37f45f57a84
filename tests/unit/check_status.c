/* Unit tests: lib/status (the chain's figures) and lib/stats (the
 * receiver's counters), the two files /healthz and /metrics read. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"
#include "status.h"

static char dir[64], path[128];

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check-status-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/status", dir);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
put_file(const char *name, const char *text)
{
	char p[160];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static const char *
file(const char *name)
{
	static char buf[4096];
	char p[160];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if ((f = fopen(p, "r")) == NULL)
		return "(none)";
	buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
	fclose(f);
	return buf;
}

START_TEST(figures_saved_and_read_back)
{
	struct status st, back;

	memset(&st, 0, sizeof st);
	status_note_ok(&st, 1000);
	status_note_error(&st, "502", 1, 2000);
	status_note_error(&st, "502", 1, 3000);
	status_note_error(&st, "network", 1, 4000);
	status_note_dead_letter(&st);
	ck_assert_int_eq(status_save(path, &st), 0);
	ck_assert_str_eq(file("status"), "v 1\nmessages_sent 1\ndead_letters 1\n"
	    "last_success_ms 1000\nfailing_since_ms 2000\n"
	    "telegram_error 502 2\ntelegram_error network 1\n");
	ck_assert_int_eq(status_load(path, &back), 0);
	ck_assert_uint_eq(back.messages_sent, 1);
	ck_assert_uint_eq(back.dead_letters, 1);
	ck_assert_int_eq(back.last_success_ms, 1000);
	ck_assert_int_eq(back.failing_since_ms, 2000);
	ck_assert_uint_eq(back.nerrors, 2);
	ck_assert_str_eq(back.errors[1].code, "network");
	ck_assert_uint_eq(back.errors[1].count, 1);
	ck_assert_str_eq(file("status.tmp"), "(none)");	/* renamed */
}
END_TEST

START_TEST(failing_since_the_first_failure_until_a_success)
{
	struct status st;

	memset(&st, 0, sizeof st);
	status_note_error(&st, "403", 0, 500);	/* refused for good: not failing */
	ck_assert_int_eq(st.failing_since_ms, 0);
	status_note_error(&st, "502", 1, 1000);
	status_note_error(&st, "502", 1, 2000);
	ck_assert_int_eq(st.failing_since_ms, 1000);
	status_note_ok(&st, 3000);
	ck_assert_int_eq(st.failing_since_ms, 0);
	ck_assert_int_eq(st.last_success_ms, 3000);
	status_note_error(&st, "bad code!", 1, 4000);	/* no such label */
	ck_assert_str_eq(st.errors[st.nerrors - 1].code, "other");
	ck_assert_int_eq(st.failing_since_ms, 4000);
}
END_TEST

START_TEST(error_codes_are_bounded)
{
	struct status st;
	char code[8];

	memset(&st, 0, sizeof st);
	for (int i = 0; i < STATUS_MAX_CODES + 4; i++) {
		snprintf(code, sizeof code, "%d", 400 + i);
		status_note_error(&st, code, 0, 1);
	}
	ck_assert_uint_eq(st.nerrors, STATUS_MAX_CODES);
	ck_assert_str_eq(st.errors[STATUS_MAX_CODES - 1].code, "other");
	ck_assert_uint_eq(st.errors[STATUS_MAX_CODES - 1].count, 5);
}
END_TEST

START_TEST(files_that_are_not_status_files)
{
	struct status st;

	ck_assert_int_eq(status_load(path, &st), 0);	/* none yet: zero */
	ck_assert_uint_eq(st.messages_sent, 0);
	put_file("status", "");
	ck_assert_int_eq(status_load(path, &st), 0);
	put_file("status", "v 1\nmessages_sent 3\nnewer_key some words\n");
	ck_assert_int_eq(status_load(path, &st), 0);	/* later keys skipped */
	ck_assert_uint_eq(st.messages_sent, 3);
	put_file("status", "messages_sent 3\n");
	errno = 0;
	ck_assert_int_eq(status_load(path, &st), -1);	/* no version */
	ck_assert_int_eq(errno, EINVAL);
	put_file("status", "v 1\nmessages_sent -3\n");
	ck_assert_int_eq(status_load(path, &st), -1);
	ck_assert_uint_eq(st.messages_sent, 0);
	put_file("status", "v 1\nmessages_sent 3");	/* cut short */
	ck_assert_int_eq(status_load(path, &st), -1);
	put_file("status", "v 1\ntelegram_error 5\"0 1\n");
	ck_assert_int_eq(status_load(path, &st), -1);
	put_file("status", "v 2\n");
	ck_assert_int_eq(status_load(path, &st), -1);
}
END_TEST

START_TEST(saves_are_rate_limited_unless_forced)
{
	struct status st, back;

	memset(&st, 0, sizeof st);
	ck_assert_int_eq(status_flush(path, &st, 0), 0);
	ck_assert_str_eq(file("status"), "(none)");	/* nothing new */
	status_note_ok(&st, 1);
	ck_assert_int_eq(status_flush(path, &st, 0), 0);
	status_note_ok(&st, 2);
	ck_assert_int_eq(status_flush(path, &st, 0), 0);	/* too soon */
	ck_assert_int_eq(status_load(path, &back), 0);
	ck_assert_uint_eq(back.messages_sent, 1);
	ck_assert_int_eq(st.dirty, 1);
	ck_assert_int_eq(status_flush(path, &st, 1), 0);
	ck_assert_int_eq(status_load(path, &back), 0);
	ck_assert_uint_eq(back.messages_sent, 2);
	ck_assert_int_eq(st.dirty, 0);
	usleep((STATUS_MIN_INTERVAL_MS + 50) * 1000);
	status_note_ok(&st, 3);
	ck_assert_int_eq(status_flush(path, &st, 0), 0);
	ck_assert_int_eq(status_load(path, &back), 0);
	ck_assert_uint_eq(back.messages_sent, 3);
}
END_TEST

START_TEST(counters_add_up_across_writers)
{
	struct stats a = { { 0 } }, b = { { 0 } }, st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	ck_assert_int_eq(stats_read(fd, &st), 0);	/* no file: zero */
	ck_assert_uint_eq(st.count[STATS_ACCEPTED], 0);
	a.count[STATS_ACCEPTED] = 2;
	a.count[STATS_EVICTED] = 1;
	b.count[STATS_ACCEPTED] = 1;
	b.count[STATS_UNAUTHORIZED] = 7;
	ck_assert_int_eq(stats_add(fd, &a), 0);
	ck_assert_int_eq(stats_add(fd, &b), 0);
	ck_assert_int_eq(stats_read(fd, &st), 0);
	ck_assert_uint_eq(st.count[STATS_ACCEPTED], 3);
	ck_assert_uint_eq(st.count[STATS_UNAUTHORIZED], 7);
	ck_assert_uint_eq(st.count[STATS_EVICTED], 1);
	ck_assert_str_eq(file("stats"),
	    "accepted                 00000000000000000003\n"
	    "unauthorized             00000000000000000007\n"
	    "bad_request              00000000000000000000\n"
	    "unavailable              00000000000000000000\n"
	    "evicted                  00000000000000000001\n");
	/* damaged: counted from zero again, in the layout again */
	put_file("stats", "accepted 12\ngarbage garbage garbage garbage garbage "
	    "garbage garbage garbage garbage garbage garbage garbage garbage "
	    "garbage garbage garbage garbage garbage garbage garbage garbage "
	    "garbage garbage garbage garbage garbage garbage garbage garbage\n");
	ck_assert_int_eq(stats_read(fd, &st), 0);
	ck_assert_uint_eq(st.count[STATS_ACCEPTED], 0);
	ck_assert_int_eq(stats_add(fd, &b), 0);
	ck_assert_int_eq(strlen(file("stats")), STATS_N * 46);
	ck_assert_int_eq(stats_read(fd, &st), 0);
	ck_assert_uint_eq(st.count[STATS_UNAUTHORIZED], 7);
	close(fd);
}
END_TEST

START_TEST(answers_and_their_counters)
{
	ck_assert_int_eq(stats_of_status(202), STATS_ACCEPTED);
	ck_assert_int_eq(stats_of_status(401), STATS_UNAUTHORIZED);
	ck_assert_int_eq(stats_of_status(503), STATS_UNAVAILABLE);
	ck_assert_int_eq(stats_of_status(400), STATS_BAD_REQUEST);
	ck_assert_int_eq(stats_of_status(408), STATS_BAD_REQUEST);
	ck_assert_int_eq(stats_of_status(505), STATS_BAD_REQUEST);
	ck_assert_int_eq(stats_of_status(200), STATS_N);
	ck_assert_str_eq(stats_name(STATS_BAD_REQUEST), "bad_request");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("status");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, figures_saved_and_read_back);
	tcase_add_test(tc, failing_since_the_first_failure_until_a_success);
	tcase_add_test(tc, error_codes_are_bounded);
	tcase_add_test(tc, files_that_are_not_status_files);
	tcase_add_test(tc, saves_are_rate_limited_unless_forced);
	tcase_add_test(tc, counters_add_up_across_writers);
	tcase_add_test(tc, answers_and_their_counters);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
