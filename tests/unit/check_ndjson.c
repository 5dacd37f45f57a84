/* Unit tests: lib/ndjson (bounded reader, writer, rejects). */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "jvx.h"
#include "ndjson.h"

/* A reader over the given bytes (through a pipe, as the tools see it). */
static struct ndjson_reader *
reader_over(const char *bytes, size_t len, size_t max_line)
{
	FILE *tmp = tmpfile();

	ck_assert_ptr_nonnull(tmp);
	ck_assert_uint_eq(fwrite(bytes, 1, len, tmp), len);
	fflush(tmp);
	rewind(tmp);
	return ndjson_open(dup(fileno(tmp)), max_line);
}

static int
count_records(struct ndjson_reader *r, char ids[][16], int max)
{
	jv rec;
	int n = 0;

	while (ndjson_next(r, &rec) == 1) {
		const char *id = jvx_str(&rec, "id");
		if (n < max)
			snprintf(ids[n], 16, "%s", id ? id : "?");
		n++;
		jv_free(rec);
	}
	return n;
}

/* ndjson_cut_member on in: the text left (NULL: -1 expected, "=": 0). */
static void
cut_is(const char *in, const char *want)
{
	char out[512];
	long n = ndjson_cut_member(in, strlen(in), "payload", out);

	if (want == NULL) {
		ck_assert_msg(n == -1, "%s: cut %ld, want -1", in, n);
		return;
	}
	if (strcmp(want, "=") == 0) {
		ck_assert_msg(n == 0, "%s: cut %ld, want 0", in, n);
		return;
	}
	ck_assert_msg(n >= 0, "%s: -1", in);
	out[strlen(in) - (size_t)n] = '\0';
	ck_assert_str_eq(out, want);
	/* what is left parses to the whole minus the member */
	jv a = jv_object_delete(jv_parse(in), jv_string("payload"));
	jv b = jv_parse(out);
	ck_assert_msg(jv_equal(a, b), "%s: not the same record", in);
}

START_TEST(cut_member_positions)
{
	cut_is("{\"payload\":{\"a\":1}}", "{}");
	cut_is("{\"payload\":1,\"id\":\"x\"}", "{\"id\":\"x\"}");
	cut_is("{\"id\":\"x\",\"payload\":[1,2],\"b\":true}",
	    "{\"id\":\"x\",\"b\":true}");
	cut_is("{\"id\":\"x\",\"payload\":null}", "{\"id\":\"x\"}");
	cut_is(" { \"id\" : 1 , \"payload\" : { } , \"c\" : 2 } ",
	    " { \"id\" : 1 , \"c\" : 2 } ");
	/* duplicates: every one goes, as libjq keeps one then it is deleted */
	cut_is("{\"payload\":1,\"payload\":2,\"a\":3}", "{\"a\":3}");
	cut_is("{\"a\":0,\"payload\":1,\"b\":2,\"payload\":3}",
	    "{\"a\":0,\"b\":2}");
}
END_TEST

START_TEST(cut_member_strings_and_nesting)
{
	/* escapes, braces and the key itself inside strings */
	cut_is("{\"payload\":{\"s\":\"}\\\"payload\\\":{\",\"t\":[\"]\"]},"
	    "\"id\":\"a\\\\\"}", "{\"id\":\"a\\\\\"}");
	cut_is("{\"id\":\"\\\"payload\\\":1\",\"payload\":\"x\"}",
	    "{\"id\":\"\\\"payload\\\":1\"}");
	/* the key nested deeper is not the member */
	cut_is("{\"alert\":{\"payload\":1},\"payload\":2}",
	    "{\"alert\":{\"payload\":1}}");
	cut_is("{\"payload\":\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\","
	    "\"n\":-0.5e+10}", "{\"n\":-0.5e+10}");
	/* a missing member: nothing cut */
	cut_is("{\"id\":\"x\",\"alert\":{\"payload\":1}}", "=");
	cut_is("{\"id\":\"payload\"}", "=");
	cut_is("{}", "=");
	/* escaped key: not recognised here (the caller deletes it too) */
	cut_is("{\"pay\\u006coad\":1}", "=");
}
END_TEST

START_TEST(cut_member_malformed_falls_back)
{
	static const char *const bad[] = {
		"", "[]", "\"payload\"", "{", "{\"payload\":}",
		"{\"payload\":{\"a\":1}", "{\"payload\":[1,]}",
		"{\"payload\":tru}", "{\"payload\":01}", "{\"payload\":1.}",
		"{\"payload\":.5}", "{\"payload\":+1}", "{\"payload\":nan}",
		"{\"payload\":\"\\x\"}", "{\"payload\":\"\\u12\"}",
		"{\"payload\":\"\\ud800\"}", "{\"payload\":\"\\udc00\"}",
		"{\"payload\":\"a\tb\"}", "{\"payload\":1}{}",
		"{\"payload\":1} x", "{\"payload\":\"a\"\"b\"}",
		"{\"payload\":1,}", "{,\"payload\":1}", "{\"payload\" 1}",
		"{payload:1}", "{\"payload\":[1 2]}",
	};
	char deep[600];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cut_is(bad[i], NULL);
	/* nesting deeper than the scanner follows: libjq decides */
	strcpy(deep, "{\"payload\":");
	for (i = 0; i < 200; i++)
		strcat(deep, "[");
	for (i = 0; i < 200; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	cut_is(deep, NULL);
}
END_TEST

START_TEST(strict_object)
{
	static const char *const good[] = { "{}", " {\"a\":[1,-0.5e+3,true,"
	    "null,\"\\ud83d\"]}\n", "{\"x\":\"\\udc00\\ud800\"}",
	    "{\"a\":{\"b\":\"\xc3\xa9\"}}", NULL };
	static const char *const bad[] = { "\xef\xbb\xbf{}", "{\"a\":nan}",
	    "{\"a\":01}", "{\"a\":+1}", "{\"a\":1,}", "{} {}", "{}x",
	    "[1]", "\"x\"", "nan", "", "{\"a\":\"\\x\"}", "{\"a\":1.}",
	    "{'a':1}", "{\"a\":\"\t\"}", NULL };
	char deep[600];

	for (int i = 0; good[i]; i++)
		ck_assert_msg(ndjson_strict_object(good[i], strlen(good[i])),
		    "%s", good[i]);
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(!ndjson_strict_object(bad[i], strlen(bad[i])),
		    "%s", bad[i]);
	/* 200 levels, as libjq parses them; 600 is beyond */
	memset(deep, 0, sizeof deep);
	strcpy(deep, "{\"a\":");
	memset(deep + 5, '[', 200);
	memset(deep + 205, ']', 200);
	deep[405] = '}';
	ck_assert(ndjson_strict_object(deep, strlen(deep)));
	memset(deep, '[', sizeof deep);
	deep[0] = '{';
	ck_assert(!ndjson_strict_object(deep, sizeof deep));
}
END_TEST

START_TEST(reader_omits_member)
{
	const char in[] =
	    "{\"id\":\"a\",\"payload\":{\"x\":\"}\"},\"alert\":{}}\n"
	    "{\"id\":\"b\",\"payload\":{\"x\":tru}}\n"
	    "{\"id\":\"c\",\"payload\":[1],\"oops\"}\n"
	    "{\"id\":\"d\",\"payload\":1,\"z\":1e400}\n";
	struct ndjson_reader *r = reader_over(in, sizeof in - 1, 0);
	size_t len;
	const char *line;
	jv rec;

	diag_set_verbosity(-1);
	ndjson_omit_member(r, "payload");
	ck_assert_int_eq(ndjson_next(r, &rec), 1);
	ck_assert_str_eq(jvx_str(&rec, "id"), "a");
	ck_assert(!jv_object_has(jv_copy(rec), jv_string("payload")));
	ck_assert(jv_object_has(jv_copy(rec), jv_string("alert")));
	/* the line is still the whole line */
	line = ndjson_line(r, &len);
	ck_assert_uint_eq(len, strchr(in, '\n') - in);
	ck_assert(memcmp(line, in, len) == 0);
	jv_free(rec);
	/* malformed payload and malformed rest: rejected as before */
	ck_assert_int_eq(ndjson_next(r, &rec), 1);
	ck_assert_str_eq(jvx_str(&rec, "id"), "d");
	ck_assert(!jv_object_has(jv_copy(rec), jv_string("payload")));
	jv_free(rec);
	ck_assert_uint_eq(ndjson_rejected(r), 2);
	ck_assert_uint_eq(ndjson_lineno(r), 4);
	ck_assert_int_eq(ndjson_next(r, &rec), 0);
	ndjson_close(r);
	diag_set_verbosity(0);
}
END_TEST

START_TEST(crlf_blank_and_last_line)
{
	const char in[] = "{\"id\":\"a\"}\r\n\r\n   \n{\"id\":\"b\"}\n{\"id\":\"c\"}";
	struct ndjson_reader *r = reader_over(in, sizeof in - 1, 0);
	char ids[4][16];

	ck_assert_int_eq(count_records(r, ids, 4), 3);
	ck_assert_str_eq(ids[0], "a");
	ck_assert_str_eq(ids[1], "b");
	ck_assert_str_eq(ids[2], "c");
	ck_assert_uint_eq(ndjson_rejected(r), 0);
	ck_assert_uint_eq(ndjson_lineno(r), 5);
	ndjson_close(r);
}
END_TEST

START_TEST(bad_lines_are_skipped_and_counted)
{
	const char in[] =
	    "{\"id\":\"a\"}\n"
	    "not json\n"
	    "[1,2]\n"
	    "\"string\"\n"
	    "{\"id\":\"b\"} {\"x\":1}\n"
	    "{\"id\":\"c\",\"nul\":\"\0\"}\n"
	    "{\"id\":\"d\"}\n";
	struct ndjson_reader *r = reader_over(in, sizeof in - 1, 0);
	FILE *rejects = tmpfile();
	char ids[4][16], buf[512];
	size_t n;

	diag_set_verbosity(-1);
	ndjson_reject_to(r, rejects);
	ck_assert_int_eq(count_records(r, ids, 4), 2);
	ck_assert_str_eq(ids[0], "a");
	ck_assert_str_eq(ids[1], "d");
	ck_assert_uint_eq(ndjson_rejected(r), 5);
	rewind(rejects);
	n = fread(buf, 1, sizeof buf - 1, rejects);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "not json\n[1,2]\n\"string\"\n"));
	ndjson_close(r);
	fclose(rejects);
	diag_set_verbosity(0);
}
END_TEST

START_TEST(over_long_line_skipped_whole)
{
	char in[4096];
	size_t len;
	struct ndjson_reader *r;
	char ids[4][16];

	diag_set_verbosity(-1);
	strcpy(in, "{\"id\":\"a\"}\n{\"id\":\"");
	len = strlen(in);
	memset(in + len, 'x', 3000);
	len += 3000;
	strcpy(in + len, "\"}\n{\"id\":\"b\"}\n");
	len += strlen(in + len);
	r = reader_over(in, len, 100);
	ck_assert_int_eq(count_records(r, ids, 4), 2);
	ck_assert_str_eq(ids[0], "a");
	ck_assert_str_eq(ids[1], "b");
	ck_assert_uint_eq(ndjson_rejected(r), 1);
	ck_assert_uint_eq(ndjson_lineno(r), 3);
	ndjson_close(r);
	diag_set_verbosity(0);
}
END_TEST

START_TEST(line_at_the_limit_is_kept)
{
	/* {"id":"x..."} exactly max_line bytes, CRLF after it. */
	char in[256];
	struct ndjson_reader *r;
	char ids[2][16];
	size_t max = 100;

	memset(in, 0, sizeof in);
	strcpy(in, "{\"id\":\"b\",\"pad\":\"");
	size_t len = strlen(in);
	memset(in + len, 'p', max - len - 2);
	len = max - 2;
	strcpy(in + len, "\"}\r\n");
	r = reader_over(in, strlen(in), max);
	ck_assert_int_eq(count_records(r, ids, 2), 1);
	ck_assert_uint_eq(ndjson_rejected(r), 0);
	ndjson_close(r);
}
END_TEST

START_TEST(write_is_one_line)
{
	FILE *out = tmpfile();
	char buf[256];
	size_t n;
	jv rec = jv_object_set(jv_object(), jv_string("text"),
	    jv_string("two\nlines \"quoted\""));

	ck_assert_int_eq(ndjson_write(out, rec), 0);
	rewind(out);
	n = fread(buf, 1, sizeof buf - 1, out);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "{\"text\":\"two\\nlines \\\"quoted\\\"\"}\n");
	fclose(out);
}
END_TEST

/* ndjson_write prints its own way (libjq 1.6 writes one character at a
 * time): byte for byte what jv_dumpf prints, over awkward values. */
START_TEST(write_matches_jv_dumpf)
{
	static const char *const texts[] = {
		"{\"s\":\"\\u0000\\u0001\\u001f\\u007f\\u0080\\u00ff\\ud83d\\ude00 \\\" \\\\ / \\b\\f\\n\\r\\t\",\"\":\"\"}",
		"[0,-0,1,-1,1.5,0.1,1e9,999999999,-999999999,1000000000,1e17,"
		    "1e300,-1e-300,123456789012345678901234567890,"
		    "3.141592653589793,1566248777.677,2e-7,4294967296,1E2,1.0,"
		    "1e1000,-1e1000,5e-324]",
		"{\"e\":{},\"f\":[],\"g\":[{},[[]],null,true,false],"
		    "\"\\u00e9t\\u00e9\":\"\\u0433\\u043e\\u0440\\u043e\\u0434\"}",
		"\"plain\"", "17", "null", "[]", "{}",
	};

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		jv v = jv_parse(texts[i]);
		FILE *mine = tmpfile(), *theirs = tmpfile();
		char a[2048], b[2048];
		size_t na, nb;

		ck_assert_msg(jv_is_valid(v), "test %zu does not parse", i);
		jv_dumpf(jv_copy(v), theirs, 0);
		putc('\n', theirs);
		ck_assert_int_eq(ndjson_write(mine, v), 0);
		rewind(mine);
		rewind(theirs);
		na = fread(a, 1, sizeof a - 1, mine);
		nb = fread(b, 1, sizeof b - 1, theirs);
		a[na] = b[nb] = '\0';
		ck_assert_uint_eq(na, nb);
		ck_assert_msg(memcmp(a, b, na) == 0, "test %zu: %s vs %s", i, a, b);
		fclose(mine);
		fclose(theirs);
	}
}
END_TEST

START_TEST(id_for_messages)
{
	jv with = jv_parse("{\"id\":\"r1\"}");
	jv without = jv_parse("{\"id\":5}");

	ck_assert_str_eq(ndjson_id(&with), "r1");
	ck_assert_str_eq(ndjson_id(&without), "-");
	jv_free(with);
	jv_free(without);
}
END_TEST

START_TEST(downstream_gone_is_epipe)
{
	int in[2], out[2];
	struct ndjson_reader *r;
	FILE *w;
	jv rec;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	w = fdopen(out[1], "w");
	r = ndjson_open(in[0], 0);
	ndjson_flush_before_read(r, w);
	ck_assert_int_eq(ndjson_wait(r, 10), 0);	/* nothing yet */
	close(out[0]);	/* the next stage dies */
	ck_assert_int_eq(ndjson_wait(r, 1000), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(ndjson_next(r, &rec), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_str_eq(ndjson_read_error(EPIPE),
	    "stdout: the next stage is gone (broken pipe)");
	ck_assert_str_eq(ndjson_read_error(EIO), "stdin: Input/output error");
	ndjson_close(r);
	fclose(w);
	close(in[1]);
	close(in[0]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ndjson");

	signal(SIGPIPE, SIG_IGN);
	TCase *tc = tcase_create("reader");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, crlf_blank_and_last_line);
	tcase_add_test(tc, bad_lines_are_skipped_and_counted);
	tcase_add_test(tc, over_long_line_skipped_whole);
	tcase_add_test(tc, line_at_the_limit_is_kept);
	tcase_add_test(tc, write_is_one_line);
	tcase_add_test(tc, write_matches_jv_dumpf);
	tcase_add_test(tc, id_for_messages);
	tcase_add_test(tc, downstream_gone_is_epipe);
	tcase_add_test(tc, cut_member_positions);
	tcase_add_test(tc, cut_member_strings_and_nesting);
	tcase_add_test(tc, cut_member_malformed_falls_back);
	tcase_add_test(tc, reader_omits_member);
	tcase_add_test(tc, strict_object);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
