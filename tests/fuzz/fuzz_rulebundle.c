/*
 * fuzz_rulebundle.c: libFuzzer target for the rule-file bundle the
 * daemon hands the scan worker (scanner.c, rset_unbundle): the worker
 * reads it as it would a stranger's, every length against what is left.
 *
 * Like fuzz_scanner.c it #includes the module to reach its static parts.
 * Each input is a bundle in a memfd. Whatever it holds, parsing must not
 * read outside it; a bundle that parses must hold paths and texts
 * without NUL within their limits, and written again (bundle_write, the
 * daemon's side) must give back the input byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "scanner.c"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_rulebundle", LOG_LVL_ERROR, 0);
	return 0;
}

static int
memfd_with(const uint8_t *data, size_t len)
{
	int	fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd == -1 || write_all(fd, data, len) != 0)
		abort();
	return fd;
}

static void
check_same(const struct rset *rs, const uint8_t *data, size_t len)
{
	struct stat	 st;
	uint8_t		*back;
	size_t		 i, got;
	int		 fd = memfd_create("fuzz-back", MFD_CLOEXEC);

	for (i = 0; i < rs->n; i++) {
		if (strlen(rs->f[i].path) == 0 ||
		    strlen(rs->f[i].path) >= PATH_MAX)
			abort();
		if (!rs->f[i].bad && (rs->f[i].len > RULES_FILE_MAX ||
		    strlen(rs->f[i].text) != rs->f[i].len))
			abort();
	}
	if (fd == -1 || bundle_write(fd, rs) != 0 || fstat(fd, &st) != 0 ||
	    (size_t)st.st_size != len || (back = malloc(len + 1)) == NULL)
		abort();
	if (pread_at(fd, back, len, 0, &got) != 0 || got != len ||
	    memcmp(back, data, len) != 0)
		abort();
	free(back);
	(void)close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rset	rs = { NULL, 0, 0 };
	int		fd = memfd_with(data, len);

	if (rset_unbundle(&rs, fd) == 0)
		check_same(&rs, data, len);
	rset_clear(&rs);
	(void)close(fd);
	return 0;
}
