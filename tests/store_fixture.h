/*
 * store_fixture.h: the fixture of the tests that need a collector store
 * of their own (test_store, test_token, test_handshake): a fresh one at
 * T/store.db in a scratch directory (testutil.h), closed and removed
 * afterwards.
 *
 *	struct store_fx	*f = *state;	f->s, f->tf.path
 *	cmocka_unit_test_setup_teardown(test_x, store_setup, store_teardown)
 *
 * A larger fixture begins with a struct store_fx: store_fx_new(size),
 * freed by store_teardown or store_fx_free.
 */
#ifndef VIGIL_STORE_FIXTURE_H
#define VIGIL_STORE_FIXTURE_H

#include "store.h"
#include "testutil.h"

struct store_fx {
	struct tmpfile	 tf;		/* first: T/store.db */
	struct store	*s;
};

static inline void
store_fx_free(void *fixture)
{
	struct store_fx	*f = fixture;

	if (f != NULL)
		store_close(f->s);
	tmpdir_free(f);
}

/* size bytes, zeroed, beginning with a struct store_fx; NULL on failure. */
static inline void *
store_fx_new(size_t size)
{
	struct store_fx	*f;

	if (size < sizeof(*f) || (f = tmpfile_new(size, "store.db")) == NULL)
		return NULL;
	if (store_open(&f->s, f->tf.path) != 0) {
		store_fx_free(f);
		return NULL;
	}
	return f;
}

static inline int
store_setup(void **state)
{
	return (*state = store_fx_new(sizeof(struct store_fx))) ? 0 : -1;
}

static inline int
store_teardown(void **state)
{
	store_fx_free(*state);
	return 0;
}

#endif
