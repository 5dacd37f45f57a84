/* Unit tests: lib/spool (journal segments, positions, follow, removal). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "diag.h"
#include "spool.h"

static char dir[64];

static void
fresh(void)
{
	snprintf(dir, sizeof dir, "/tmp/check-spool-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	diag_set_verbosity(-1);
}

static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Append one record; returns the position after it. */
static uint64_t
append(struct spool *sp, const char *line)
{
	uint64_t pos;

	ck_assert_int_eq(spool_begin(sp, &pos), 0);
	ck_assert_int_eq(write(spool_fd(sp), line, strlen(line)), (int)strlen(line));
	ck_assert_int_eq(spool_commit(sp, 0), 0);
	return pos + strlen(line);
}

/* What spool_emit writes from *pos, as a string. */
static char emitted[4096];

static int64_t
emit(struct spool *sp, uint64_t *pos)
{
	FILE *f = tmpfile();
	int64_t n = spool_emit(sp, pos, fileno(f));

	rewind(f);
	emitted[fread(emitted, 1, sizeof emitted - 1, f)] = '\0';
	fclose(f);
	return n;
}

START_TEST(positions_grow_across_segments)
{
	struct spool sp;
	uint64_t pos = 0, *starts;
	size_t n;

	fresh();
	ck_assert_int_eq(spool_open(&sp, dir, 10, 0), 0);
	ck_assert_uint_eq(append(&sp, "{\"a\":1}\n"), 8);
	ck_assert_uint_eq(append(&sp, "{\"b\":2}\n"), 16);	/* 8 < 10: same segment */
	ck_assert_uint_eq(append(&sp, "{\"c\":3}\n"), 24);	/* 16 >= 10: new one */
	ck_assert_int_eq(spool_segments(&sp, &starts, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(starts[0], 0);
	ck_assert_uint_eq(starts[1], 16);
	free(starts);
	ck_assert_int_eq(emit(&sp, &pos), 24);
	ck_assert_str_eq(emitted, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
	ck_assert_uint_eq(pos, 24);
	ck_assert_int_eq(emit(&sp, &pos), 0);
	pos = 8;
	ck_assert_int_eq(emit(&sp, &pos), 16);
	ck_assert_str_eq(emitted, "{\"b\":2}\n{\"c\":3}\n");
	pos = 11;	/* inside a record: start after it */
	emit(&sp, &pos);
	ck_assert_str_eq(emitted, "{\"c\":3}\n");
	spool_close(&sp);
	cleanup();
}
END_TEST

START_TEST(partial_lines_wait_and_torn_tails_are_cut)
{
	struct spool sp;
	uint64_t pos = 0, at;
	char path[128];
	int fd;

	fresh();
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	append(&sp, "{\"a\":1}\n");
	/* a writer killed in the middle of its record */
	snprintf(path, sizeof path, "%s/journal.00000000000000000000", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, "{\"torn", 6), 6);
	close(fd);
	ck_assert_int_eq(emit(&sp, &pos), 8);	/* the torn line is not emitted */
	ck_assert_uint_eq(pos, 8);
	ck_assert_int_eq(spool_begin(&sp, &at), 0);
	ck_assert_uint_eq(at, 8);		/* cut back to the last newline */
	ck_assert_int_eq(write(spool_fd(&sp), "{\"b\":2}\n", 8), 8);
	ck_assert_int_eq(spool_commit(&sp, 0), 0);
	ck_assert_int_eq(emit(&sp, &pos), 8);
	ck_assert_str_eq(emitted, "{\"b\":2}\n");
	/* a failed append is taken back */
	ck_assert_int_eq(spool_begin(&sp, &at), 0);
	ck_assert_int_eq(write(spool_fd(&sp), "{\"c\":", 5), 5);
	ck_assert_int_eq(spool_commit(&sp, 28), -1);
	ck_assert_int_eq(spool_begin(&sp, &at), 0);
	ck_assert_uint_eq(at, 16);
	ck_assert_int_eq(spool_commit(&sp, 0), 0);
	spool_close(&sp);
	cleanup();
}
END_TEST

START_TEST(gc_keeps_the_newest_and_positions_survive)
{
	struct spool sp;
	struct spool_state st;
	uint64_t *starts, pos = 0;
	size_t n;
	char acked[128];

	fresh();
	snprintf(acked, sizeof acked, "%s/acked", dir);
	ck_assert_int_eq(spool_open(&sp, dir, 1, 0), 0);	/* one record a segment */
	append(&sp, "1\n");
	append(&sp, "2\n");
	append(&sp, "3\n");
	ck_assert_int_eq(spool_state(&sp, &st), 0);
	ck_assert_uint_eq(st.end, 6);
	ck_assert_uint_eq(st.acked, 0);
	ck_assert_uint_eq(st.records_behind, 3);
	ck_assert_int_eq(st.writable, 1);
	ck_assert_int_eq(cursor_write(acked, 4), 0);
	ck_assert_int_eq(spool_state(&sp, &st), 0);
	ck_assert_uint_eq(st.records_behind, 1);
	ck_assert_int_eq(spool_gc(&sp, 4), 0);
	ck_assert_int_eq(spool_segments(&sp, &starts, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(starts[0], 4);
	free(starts);
	ck_assert_int_eq(spool_gc(&sp, 5), 0);	/* the newest, not all handled, stays */
	ck_assert_int_eq(spool_segments(&sp, &starts, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(starts);
	emit(&sp, &pos);			/* before the oldest: from there */
	ck_assert_str_eq(emitted, "3\n");
	ck_assert_uint_eq(append(&sp, "4\n"), 8);
	spool_close(&sp);
	cleanup();
}
END_TEST

START_TEST(fresh_journal_starts_at_the_ack)
{
	struct spool sp;
	char acked[128];

	fresh();
	snprintf(acked, sizeof acked, "%s/acked", dir);
	ck_assert_int_eq(cursor_write(acked, 1000), 0);
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_uint_eq(append(&sp, "x\n"), 1002);
	spool_close(&sp);
	cleanup();
	ck_assert_int_eq(spool_open(&sp, "/nonexistent/spool", 0, 0), -1);
}
END_TEST

/* A second handle on the same spool: a reader in another process. */
static struct spool reader;

START_TEST(readers_see_only_what_is_committed)
{
	struct spool sp;
	uint64_t at, pos = 0;
	int fd;

	fresh();
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_int_eq(spool_open(&reader, dir, 0, 0), 0);
	append(&sp, "{\"a\":1}\n");
	/* written but not synced: the lock is held, the reader waits */
	ck_assert_int_eq(spool_begin(&sp, &at), 0);
	ck_assert_int_eq(write(spool_fd(&sp), "{\"b\":2}\n", 8), 8);
	fd = spool_written(&sp, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(emit(&reader, &pos), 8);
	ck_assert_str_eq(emitted, "{\"a\":1}\n");
	ck_assert_int_eq(emit(&reader, &pos), 0);
	/* the sync fails: taken back, never seen; the position is reused */
	ck_assert_int_eq(spool_finish(&sp, EIO), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(emit(&reader, &pos), 0);
	ck_assert_uint_eq(append(&sp, "{\"c\":3}\n"), 16);
	ck_assert_int_eq(emit(&reader, &pos), 8);
	ck_assert_str_eq(emitted, "{\"c\":3}\n");
	/* a write that fails half-way (ENOSPC) is cut back at once */
	ck_assert_int_eq(spool_begin(&sp, &at), 0);
	ck_assert_int_eq(write(spool_fd(&sp), "{\"d\":4}\n{\"e\"", 12), 12);
	ck_assert_int_eq(emit(&reader, &pos), 0);
	ck_assert_int_eq(spool_written(&sp, ENOSPC), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(append(&sp, "{\"f\":6}\n"), 24);
	ck_assert_int_eq(emit(&reader, &pos), 8);
	ck_assert_str_eq(emitted, "{\"f\":6}\n");
	ck_assert_uint_eq(pos, 24);
	spool_close(&reader);
	spool_close(&sp);
	cleanup();
}
END_TEST

START_TEST(a_dead_writers_records_are_published)
{
	struct spool sp;
	uint64_t at, pos = 0;

	fresh();
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_int_eq(spool_open(&reader, dir, 0, 0), 0);
	ck_assert_int_eq(spool_begin(&sp, &at), 0);
	ck_assert_int_eq(write(spool_fd(&sp), "{\"a\":1}\n", 8), 8);
	ck_assert_int_eq(emit(&reader, &pos), 0);
	spool_close(&sp);	/* killed before its sync: the lock goes */
	ck_assert_int_eq(emit(&reader, &pos), 8);
	ck_assert_str_eq(emitted, "{\"a\":1}\n");
	spool_close(&reader);
	cleanup();
}
END_TEST

/* A read-only reader publishes nothing and creates nothing: it reads up
 * to what a writer published. */
START_TEST(a_readonly_reader_writes_nothing)
{
	struct spool sp, ro;
	uint64_t at, pos = 0;
	char path[128];

	fresh();
	ck_assert_int_eq(spool_open_readonly(&ro, dir), 0);
	ck_assert_int_eq(emit(&ro, &pos), 0);
	snprintf(path, sizeof path, "%s/committed", dir);
	ck_assert_int_eq(access(path, F_OK), -1);	/* not created */
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	append(&sp, "{\"a\":1}\n");
	ck_assert_int_eq(spool_begin(&sp, &at), 0);
	ck_assert_int_eq(write(spool_fd(&sp), "{\"b\":2}\n", 8), 8);
	spool_close(&sp);	/* a writer killed before publishing */
	ck_assert_int_eq(emit(&ro, &pos), 8);
	ck_assert_str_eq(emitted, "{\"a\":1}\n");
	ck_assert_int_eq(emit(&ro, &pos), 0);	/* and it publishes nothing */
	spool_close(&ro);
	ck_assert_int_eq(spool_open(&reader, dir, 0, 0), 0);
	ck_assert_int_eq(emit(&reader, &pos), 8);	/* a follower does */
	spool_close(&reader);
	cleanup();
}
END_TEST

static size_t
count_segments(struct spool *sp)
{
	uint64_t *starts;
	size_t n;

	ck_assert_int_eq(spool_segments(sp, &starts, &n), 0);
	free(starts);
	return n;
}

START_TEST(over_the_cap_only_unauthenticated_segments_go)
{
	struct spool sp;
	uint64_t at, pos = 0;
	char line[40];

	fresh();
	/* cap 40 bytes unhandled: segments of 10 */
	ck_assert_int_eq(spool_open(&sp, dir, 0, 40), 0);
	ck_assert_int_eq(spool_begin(&sp, &at), 0);
	ck_assert_int_eq(spool_mark_authenticated(&sp), 0);
	ck_assert_int_eq(write(spool_fd(&sp), "{\"auth\":1}\n", 11), 11);
	ck_assert_int_eq(spool_commit(&sp, 0), 0);
	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof line, "{\"junk\":%d}\n", i);
		append(&sp, line);
	}
	/* 11 + 8 * 11 = 99 bytes, cap 40: the authenticated segment stays,
	 * the oldest junk is gone, at most about the cap of junk is left */
	ck_assert_int_eq(emit(&sp, &pos), 11 + 4 * 11);
	ck_assert(strncmp(emitted, "{\"auth\":1}\n", 11) == 0);
	ck_assert_ptr_nonnull(strstr(emitted, "{\"junk\":7}"));
	ck_assert_ptr_null(strstr(emitted, "{\"junk\":0}"));
	spool_close(&sp);
	cleanup();
}
END_TEST

START_TEST(a_handled_spool_shrinks_to_nothing)
{
	struct spool sp;
	char acked[128];
	uint64_t pos = 0;

	fresh();
	snprintf(acked, sizeof acked, "%s/acked", dir);
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	append(&sp, "1\n");
	append(&sp, "2\n");
	ck_assert_int_eq(emit(&sp, &pos), 4);
	ck_assert_int_eq(spool_gc(&sp, 2), 0);	/* not all handled: kept */
	ck_assert_uint_eq(count_segments(&sp), 1);
	ck_assert_int_eq(cursor_write(acked, 4), 0);
	ck_assert_int_eq(spool_gc(&sp, 4), 0);
	ck_assert_uint_eq(count_segments(&sp), 0);
	/* positions go on from the acknowledged one */
	ck_assert_uint_eq(append(&sp, "3\n"), 6);
	ck_assert_int_eq(emit(&sp, &pos), 2);
	ck_assert_str_eq(emitted, "3\n");
	spool_close(&sp);
	cleanup();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("spool");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, positions_grow_across_segments);
	tcase_add_test(tc, partial_lines_wait_and_torn_tails_are_cut);
	tcase_add_test(tc, gc_keeps_the_newest_and_positions_survive);
	tcase_add_test(tc, fresh_journal_starts_at_the_ack);
	tcase_add_test(tc, readers_see_only_what_is_committed);
	tcase_add_test(tc, a_dead_writers_records_are_published);
	tcase_add_test(tc, a_readonly_reader_writes_nothing);
	tcase_add_test(tc, over_the_cap_only_unauthenticated_segments_go);
	tcase_add_test(tc, a_handled_spool_shrinks_to_nothing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
