/*
 * ndjson: the one bounded record reader and writer every tool uses.
 *
 * Records are JSON objects, one per line.  The reader accepts LF or CRLF,
 * skips blank lines, and reports (on stderr, via diag) and skips a line
 * that is too long, not JSON, or not an object: a bad record never stops
 * a stage.  Before it blocks on input it flushes the output stream it was
 * given, so a stage never sits on records the next one is waiting for.
 */
#ifndef NDJSON_H
#define NDJSON_H

#include <jv.h>
#include <stddef.h>
#include <stdio.h>

#define NDJSON_DEFAULT_MAX_LINE (16u << 20)	/* 16 MiB: a 5 MiB body, escaped */

struct ndjson_reader;

/* Read from fd; lines longer than max_line bytes are rejected. */
struct ndjson_reader *ndjson_open(int fd, size_t max_line);
void ndjson_close(struct ndjson_reader *r);

/* Flush this stream before every read that may block (may be NULL). */
void ndjson_flush_before_read(struct ndjson_reader *r, FILE *out);

/* Where rejected lines are copied whole (may be NULL). */
void ndjson_reject_to(struct ndjson_reader *r, FILE *rejects);

/* Open the reject file: appended to, created private (0600) since the
 * records it keeps hold webhook bodies.  NULL with errno set. */
FILE *ndjson_open_rejects(const char *path);

/*
 * The next record: 1 and *rec set (the caller's to free), 0 at end of
 * input, -1 on a read error (errno set).  Bad lines are counted and
 * skipped, never returned.
 */
int ndjson_next(struct ndjson_reader *r, jv *rec);

/* The raw bytes of the line last returned (without the line end). */
const char *ndjson_line(const struct ndjson_reader *r, size_t *len);

unsigned long ndjson_lineno(const struct ndjson_reader *r);
unsigned long ndjson_rejected(const struct ndjson_reader *r);

/*
 * Wait at most timeout_ms (-1: forever) for input, for stages that also
 * act on a timer: 1 when ndjson_next may have a record (or end of input)
 * without blocking long, 0 on time-out, -1 on error.  errno EPIPE means
 * the process reading our output (set by ndjson_flush_before_read) is
 * gone: stop.  ndjson_next itself fails with EPIPE the same way.
 */
int ndjson_wait(struct ndjson_reader *r, int timeout_ms);

/* Write rec (consumed) as one compact line.  0 ok, -1 write error. */
int ndjson_write(FILE *out, jv rec);

/* Print v (consumed) compactly, byte for byte as jv_dumpf(v, out, 0)
 * does but several times faster, with no newline; check ferror(out). */
void ndjson_print(FILE *out, jv v);

/*
 * Report a rejected record: "id: why" on stderr, and the record whole in
 * the reject file if one is set.  rec is borrowed.
 */
void ndjson_report(FILE *rejects, const jv *rec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The record's id for messages ("-" when it has none). */
const char *ndjson_id(const jv *rec);

#endif
