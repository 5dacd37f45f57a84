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

#include "record.h"

#define NDJSON_DEFAULT_MAX_LINE RECORD_MAX_LINE	/* 16 MiB */

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

/*
 * Leave the top-level member key (e.g. "payload") out of the records
 * ndjson_next returns, without parsing its value: for a stage that would
 * only drop a large member.  The line is checked byte by byte as strict
 * JSON; anything the check does not vouch for (malformed text, escapes
 * in the key, deep nesting) is parsed whole as without this option, so
 * what is rejected and how it is reported do not change.  A member named
 * with escapes ("pay\u006coad") may still be there: delete it as well.
 * key is borrowed (NULL: off).  ndjson_line still returns the whole line.
 */
void ndjson_omit_member(struct ndjson_reader *r, const char *key);

/*
 * The scan behind it: copy text to out (room for len bytes) without the
 * top-level members whose raw key is "key".  The number of bytes cut, 0
 * when there is no such member (out unused), -1 when text is not a
 * strict JSON object the scanner can vouch for.
 */
long ndjson_cut_member(const char *text, size_t len, const char *key,
    char *out);

/*
 * 1 when text is one JSON object as RFC 8259 writes it (white space
 * around it allowed; \uXXXX escapes of surrogates in any order, which
 * the grammar allows), 0 otherwise: no byte order mark, no "nan", "01" or
 * "+1" that libjq would read leniently, nothing after it.  Nesting
 * deeper than libjq's limit (256) counts as not strict.
 */
int ndjson_strict_object(const char *text, size_t len);

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

/*
 * What a failed ndjson_next or ndjson_wait means, for a message: "stdin:
 * <strerror>", or, for EPIPE, that the next stage (our stdout) is gone.
 */
const char *ndjson_read_error(int err);

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
