/* Unit tests: lib/cursor. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"
#include "quarantine.h"

START_TEST(round_trip)
{
	char dir[] = "/tmp/cursor-XXXXXX", path[64];
	uint64_t seq = 99;
	struct stat st;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/acked", dir);
	ck_assert_int_eq(cursor_read(path, &seq), 0);	/* absent: start */
	ck_assert_uint_eq(seq, 0);
	ck_assert_int_eq(cursor_write(path, 9007199254740993ULL), 0);
	ck_assert_int_eq(cursor_read(path, &seq), 0);
	ck_assert_uint_eq(seq, 9007199254740993ULL);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* Rewritten in place; a smaller value leaves no tail behind. */
	ck_assert_int_eq(cursor_write(path, 7), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 2);
	ck_assert_int_eq(cursor_read(path, &seq), 0);
	ck_assert_uint_eq(seq, 7);
	/* Removed behind our back: the next write makes a new file. */
	unlink(path);
	ck_assert_int_eq(cursor_write(path, 8), 0);
	ck_assert_int_eq(cursor_read(path, &seq), 0);
	ck_assert_uint_eq(seq, 8);
	/* A file in the older, short format is read, then rewritten. */
	unlink(path);
	f = fopen(path, "w");
	fputs("5224\n", f);
	fclose(f);
	ck_assert_int_eq(cursor_read(path, &seq), 0);
	ck_assert_uint_eq(seq, 5224);
	ck_assert_int_eq(cursor_write(path, 5300), 0);
	ck_assert_int_eq(cursor_read(path, &seq), 0);
	ck_assert_uint_eq(seq, 5300);
	f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	ck_assert_int_eq(cursor_read(path, &seq), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* a sign, an empty file (a crash right after creation), blanks */
	static const char *const bad[] = { "-5\n", "", " 5\n", "+5\n", "5x\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		errno = 0;
		ck_assert_msg(cursor_read(path, &seq) == -1 && errno == EINVAL,
		    "\"%s\" read as %llu", bad[i], (unsigned long long)seq);
	}
	/* quarantined: moved aside, never a device or a directory */
	{
		char moved[256];

		ck_assert_int_eq(quarantine(path, moved, sizeof moved), 0);
		ck_assert_int_eq(access(path, F_OK), -1);
		ck_assert_int_eq(access(moved, F_OK), 0);
		ck_assert_ptr_nonnull(strstr(moved, "/acked.bad."));
		unlink(moved);
		ck_assert_int_eq(quarantine("/dev/null", moved, sizeof moved), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(quarantine(dir, moved, sizeof moved), -1);
	}
	rmdir(dir);
	snprintf(path, sizeof path, "/nonexistent-dir/acked");
	ck_assert_int_eq(cursor_write(path, 1), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cursor");
	TCase *tc = tcase_create("cursor");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, round_trip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
