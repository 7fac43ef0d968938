/*
 * test_netcache.c: the compiled traffic rules' files (netcache.h): a
 * set is offered under its key only, an offered file becomes the set
 * when taken and goes when dropped or left empty, the newest
 * NETCACHE_KEEP sets are kept, and a folder or file others may write is
 * not used. What a set holds is test_detect.c's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "netcache.h"
#include "testutil.h"

static void
key_of(char key[static NETCACHE_KEY_LEN + 1], char c)
{
	memset(key, c, NETCACHE_KEY_LEN);
	key[NETCACHE_KEY_LEN] = '\0';
}

/* Files in dir whose name starts with prefix. */
static int
count(const char *dir, const char *prefix)
{
	struct dirent	*de;
	DIR		*d = opendir(dir);
	int		 n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* Offered by owner, written with text (or not), then taken. */
static void
save(const char *dir, const char *key, pid_t owner, const char *text)
{
	struct netcache_fds	fds;

	assert_int_equal(netcache_offer(&fds, dir, key, owner), 0);
	assert_true(fds.out != -1);
	assert_int_equal(write(fds.out, text, strlen(text)),
	    (ssize_t)strlen(text));
	netcache_close(&fds);
	netcache_take(dir, owner);
}

static void
test_offer_take_drop(void **state)
{
	struct tmpdir		*t = *state;
	struct netcache_fds	 fds;
	char			 dir[PATH_MAX], k1[NETCACHE_KEY_LEN + 1],
				 k2[NETCACHE_KEY_LEN + 1], buf[8];

	tmpdir_path(dir, sizeof(dir), t, "c");
	key_of(k1, 'a');
	key_of(k2, 'b');
	assert_int_equal(netcache_offer(&fds, dir, k1, 4242), 0);
	assert_int_equal(fds.in, -1);		/* nothing yet */
	assert_int_equal(count(dir, ".net-"), 1);
	netcache_close(&fds);
	netcache_drop(dir, 4243);		/* another's: stays */
	assert_int_equal(count(dir, ".net-"), 1);
	netcache_take(dir, 4242);		/* empty: goes */
	assert_int_equal(count(dir, ".net-"), 0);
	assert_int_equal(count(dir, "net-"), 0);

	save(dir, k1, 4242, "set one");
	assert_int_equal(count(dir, "net-"), 1);
	assert_int_equal(netcache_offer(&fds, dir, k1, 7), 0);
	assert_true(fds.in != -1);
	assert_int_equal(read(fds.in, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "set one", 7);
	netcache_close(&fds);
	assert_int_equal(netcache_offer(&fds, dir, k2, 8), 0);
	assert_int_equal(fds.in, -1);		/* another key's: not offered */
	netcache_close(&fds);
	netcache_drop(dir, 0);			/* the start's sweep */
	assert_int_equal(count(dir, ".net-"), 0);
	assert_int_equal(count(dir, "net-"), 1);

	key_of(k2, '/');			/* not a key: refused */
	assert_int_equal(netcache_offer(&fds, dir, k2, 9), ERR_IO);
	assert_int_equal(fds.in, -1);
	assert_int_equal(fds.out, -1);
}

static void
test_prune_and_private(void **state)
{
	struct tmpdir		*t = *state;
	struct netcache_fds	 fds;
	char			 dir[PATH_MAX], key[NETCACHE_KEY_LEN + 1],
				 path[PATH_MAX];
	struct timespec		 ts[2] = { { 1000, 0 }, { 1000, 0 } };
	int			 i;

	tmpdir_path(dir, sizeof(dir), t, "c");
	for (i = 0; i < NETCACHE_KEEP + 2; i++) {
		key_of(key, (char)('0' + i));
		save(dir, key, 100 + i, "x");
		/* the first ones oldest */
		snprintf(path, sizeof(path), "%s/net-%s.hsdb", dir, key);
		ts[0].tv_sec = ts[1].tv_sec = 1000 + i;
		assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	}
	assert_int_equal(count(dir, "net-"), NETCACHE_KEEP);
	key_of(key, '0');
	snprintf(path, sizeof(path), "%s/net-%s.hsdb", dir, key);
	assert_int_equal(access(path, F_OK), -1);	/* the oldest went */

	key_of(key, '5');
	snprintf(path, sizeof(path), "%s/net-%s.hsdb", dir, key);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(netcache_offer(&fds, dir, key, 1), 0);
	assert_int_equal(fds.in, -1);		/* others may write it */
	netcache_close(&fds);
	netcache_drop(dir, 1);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(netcache_offer(&fds, dir, key, 1), ERR_IO);
	assert_int_equal(fds.in, -1);
	assert_int_equal(fds.out, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_offer_take_drop,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_prune_and_private,
		    tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
