/*
 * record: limits every stage agrees on, for sentry-recv (which writes
 * records without libjq) and lib/ndjson (which reads them).
 */
#ifndef RECORD_H
#define RECORD_H

/*
 * The longest record line a stage reads.  sentry-recv refuses a request
 * (413) whose record would be longer, so that nothing it answered 202 for
 * is skipped as an over-long line later.
 */
#define RECORD_MAX_LINE (16u << 20)

#endif
