/*
 * test_jarena.c: jansson's allocations from a bump arena (common/jarena.c):
 * inside a begin/end pair values come from the arena and frees cost
 * nothing, what does not fit spills to malloc, nothing changes outside a
 * pair or on another arena-less path, the arena is rewound at the end,
 * and a value kept past the end stops the process. Trees parsed in the
 * arena equal those parsed with malloc, over random documents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "jarena.h"
#include "log.h"
#include "rng.h"

static int
in_arena(const struct jarena *a, const void *p)
{
	uintptr_t	u = (uintptr_t)p, b = (uintptr_t)a->base;

	return u >= b && u < b + a->cap;
}

static int
setup(void **state)
{
	(void)state;
	log_init("test_jarena", LOG_LVL_WARN, 0);
	jarena_install();
	return 0;
}

static void
test_pair(void **state)
{
	static const char	 doc[] = "{\"a\":[1,2,{\"b\":\"cc\"}],\"d\":null}";
	struct jarena		 a;
	json_t			*j, *out;
	size_t			 used;

	(void)state;
	assert_int_equal(jarena_init(&a, 16384), 0);
	/* outside a pair: malloc */
	assert_non_null(out = json_loads(doc, 0, NULL));
	assert_false(in_arena(&a, out));

	jarena_begin(&a);
	assert_non_null(j = json_loads(doc, 0, NULL));
	assert_true(in_arena(&a, j));
	assert_true(in_arena(&a, json_object_get(j, "a")));
	assert_true(a.live > 0);
	assert_int_equal(a.spilled, 0);
	assert_true(json_equal(j, out));
	used = a.len;
	assert_true(used > 0 && used <= a.cap);
	/* a value made with malloc before the pair is freed with free */
	json_decref(out);
	json_decref(j);
	assert_int_equal(a.live, 0);
	assert_int_equal(a.len, used);		/* frees do not give back */
	jarena_end(&a);
	assert_int_equal(a.len, 0);		/* rewound */

	/* the same again: the same memory */
	jarena_begin(&a);
	assert_non_null(j = json_loads(doc, 0, NULL));
	assert_int_equal(a.len, used);
	json_decref(j);
	jarena_end(&a);
	jarena_free(&a);
}

/* What does not fit goes to malloc, and is freed with free. */
static void
test_spill(void **state)
{
	struct jarena	 a;
	json_t		*j;
	char		 big[600];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(jarena_init(&a, 256), 0);
	jarena_begin(&a);
	assert_non_null(j = json_pack("{s:s}", "k", big));
	assert_true(a.spilled > 0);
	assert_string_equal(json_string_value(json_object_get(j, "k")), big);
	json_decref(j);
	assert_int_equal(a.live, 0);
	jarena_end(&a);
	jarena_free(&a);

	/* an arena that failed to allocate (or was never made) is no arena */
	memset(&a, 0, sizeof(a));
	jarena_begin(&a);
	assert_non_null(j = json_integer(7));
	json_decref(j);
	jarena_end(&a);
	assert_int_equal(a.live, 0);
}

/* A value still held at jarena_end would be read after the arena is
 * reused: the process stops instead. */
static void
test_outlive(void **state)
{
	struct jarena	 a;
	json_t		*j;
	pid_t		 pid;
	int		 st;

	(void)state;
	fflush(NULL);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		if (jarena_init(&a, 4096) != 0)
			_exit(3);
		(void)freopen("/dev/null", "w", stderr);
		jarena_begin(&a);
		j = json_loads("[1,2,3]", 0, NULL);	/* kept */
		jarena_end(&a);
		_exit(j != NULL ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
}

/* A random JSON document of depth at most d, as text. */
static void
rand_doc(char *out, size_t cap, size_t *len, int d)
{
	unsigned	n, i, k = rnd() % (d > 0 ? 6 : 4);

	switch (k) {
	case 0:
		*len += (size_t)snprintf(out + *len, cap - *len, "%d",
		    (int)(rnd() % 100000) - 50000);
		break;
	case 1:
		*len += (size_t)snprintf(out + *len, cap - *len, "\"s%u\"",
		    rnd());
		break;
	case 2:
		*len += (size_t)snprintf(out + *len, cap - *len, "%s",
		    rnd() % 2 ? "true" : "null");
		break;
	case 3:
		*len += (size_t)snprintf(out + *len, cap - *len, "1.5e%u",
		    rnd() % 10);
		break;
	case 4:
	case 5:
		n = rnd() % 6;
		*len += (size_t)snprintf(out + *len, cap - *len, "%c",
		    k == 4 ? '[' : '{');
		for (i = 0; i < n && *len < cap - 64; i++) {
			if (i > 0)
				out[(*len)++] = ',';
			if (k == 5)
				*len += (size_t)snprintf(out + *len, cap - *len,
				    "\"k%u\":", i);
			rand_doc(out, cap, len, d - 1);
		}
		*len += (size_t)snprintf(out + *len, cap - *len, "%c",
		    k == 4 ? ']' : '}');
		break;
	}
	assert_true(*len < cap);
}

/* The naive model: the same documents parsed with malloc. */
static void
test_model(void **state)
{
	static char	 doc[1 << 16];
	struct jarena	 a;
	json_t		*j, *model;
	size_t		 len;
	int		 i;

	(void)state;
	assert_int_equal(jarena_init(&a, 8192), 0);
	for (i = 0; i < 2000; i++) {
		len = 0;
		rand_doc(doc, sizeof(doc) - 256, &len, 4);
		doc[len] = '\0';
		assert_non_null(model = json_loadb(doc, len, JSON_DECODE_ANY, NULL));
		jarena_begin(&a);
		j = json_loadb(doc, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
		    NULL);
		assert_non_null(j);
		assert_true(json_equal(j, model));
		json_decref(j);
		jarena_end(&a);
		json_decref(model);
	}
	assert_int_equal(a.live, 0);
	jarena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair),
		cmocka_unit_test(test_spill),
		cmocka_unit_test(test_outlive),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
