/*
 * fuzz: the libFuzzer entry point every tests/fuzz/fuzz_NAME.c defines.
 * Built with clang -fsanitize=fuzzer it is driven by libFuzzer; built with
 * replay.c (any compiler) it replays the corpus and the crash regressions
 * given as files or directories, which is how `make check-asan` and
 * `make check-valgrind` keep every crash found fixed.
 *
 * A target returns 0; it aborts (fuzz_assert) when an invariant breaks.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define fuzz_assert(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", \
		    __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
