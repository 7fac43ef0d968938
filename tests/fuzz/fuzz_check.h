/*
 * fuzz_check.h: a fuzz target's assertion: on failure, print where and
 * what, then abort (libFuzzer keeps the input).
 */
#ifndef VIGIL_FUZZ_CHECK_H
#define VIGIL_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define check(ok) do {							\
	if (!(ok)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #ok);	\
		abort();						\
	}								\
} while (0)

#endif
