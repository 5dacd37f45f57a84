/*
 * fuzz_ndjson: the bounded record reader on arbitrary bytes.
 * The first byte picks the line limit (tiny limits reach the over-long
 * line path); the rest is the input, read from a memfd as a tool reads
 * stdin.  Every record returned must be an object whose raw line is
 * within the limit and writes back as one line.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "diag.h"
#include "ndjson.h"
#include "fuzz.h"

static FILE *sink, *rejects;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	diag_init("fuzz_ndjson");
	diag_set_verbosity(-1);
	sink = fopen("/dev/null", "w");
	rejects = fopen("/dev/null", "w");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndjson_reader *r;
	size_t max_line = 0, len;
	int fd, rc;
	jv rec;

	if (size == 0)
		return 0;
	if (data[0] < 0x80)
		max_line = 1 + (size_t)data[0] * 3;	/* 1..382 */
	data++, size--;
	if ((fd = memfd_create("fuzz", 0)) == -1)
		return 0;
	if (write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	r = ndjson_open(fd, max_line);
	fuzz_assert(r != NULL);
	ndjson_flush_before_read(r, sink);
	ndjson_reject_to(r, rejects);
	while ((rc = ndjson_next(r, &rec)) == 1) {
		const char *line = ndjson_line(r, &len);

		fuzz_assert(jv_get_kind(rec) == JV_KIND_OBJECT);
		fuzz_assert(line != NULL);
		fuzz_assert(max_line == 0 || len <= max_line);
		fuzz_assert(memchr(line, '\n', len) == NULL);
		(void)ndjson_id(&rec);
		ndjson_report(rejects, &rec, "fuzz %lu", ndjson_lineno(r));
		fuzz_assert(ndjson_write(sink, rec) == 0);
	}
	fuzz_assert(rc == 0);
	fuzz_assert(ndjson_lineno(r) <= size + 1);
	ndjson_close(r);
	close(fd);
	return 0;
}
