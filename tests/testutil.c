/*
 * testutil.c: scratch directories for the unit tests (see testutil.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

int
testutil_tmpdir(char dir[static PATH_MAX], const char *prefix)
{
	const char	*base;
	int		 n;

	if ((base = getenv("VIGIL_TEST_TMP")) == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) == -1 && errno != EEXIST)
		return -1;
	n = snprintf(dir, PATH_MAX, "%s/%s.XXXXXX", base, prefix);
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(dir) != NULL ? 0 : -1;
}

int
testutil_path(char out[static PATH_MAX], const char *dir, const char *name)
{
	int	n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

void
testutil_rmdir(const char *dir)
{
	struct dirent	*e;
	DIR		*d;
	char		 p[PATH_MAX];

	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0 &&
			    testutil_path(p, dir, e->d_name) == 0)
				(void)unlink(p);
		closedir(d);
	}
	(void)rmdir(dir);
}
