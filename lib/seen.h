/*
 * seen: the ids of the records a stage has decided on, with the
 * decision, so a record replayed after a crash gets the same decision
 * and is not counted twice.  Bounded: past max ids the oldest eighth is
 * forgotten.
 */
#ifndef SEEN_H
#define SEEN_H

#include <jv.h>
#include <stddef.h>

struct seen;

struct seen *seen_new(size_t max);
void seen_free(struct seen *);

/* The decision stored for id (the caller's to free), or jv_invalid(). */
jv seen_get(const struct seen *, const char *id);
/* Remember id with decision (consumed). */
void seen_put(struct seen *, const char *id, jv decision);
size_t seen_count(const struct seen *);

/* As JSON and back (load replaces the contents; 0 ok, -1 bad shape). */
jv seen_save(const struct seen *);
int seen_load(struct seen *, const jv *saved);

#endif
