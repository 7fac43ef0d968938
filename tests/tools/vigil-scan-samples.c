/*
 * vigil-scan-samples: write the harmless YARA samples of scan_samples.h
 * (one or more per default rule) and the ordinary files that no rule may
 * match into a folder, for the integration test and the benchmark.
 *
 *   vigil-scan-samples DIR
 *
 * Files go to DIR/NAME (folders created); the clean ones under
 * DIR/clean/. Standard output gets one "RULE<TAB>DIR/NAME" line per
 * sample, the expected matches. Exit status: 0, 1 on a write error, 2
 * usage.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_samples.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* mkdir -p of the folders above path. */
static int
make_parents(char *path)
{
	char	*p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			perror(path);
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int
write_one(const char *dir, const struct scan_sample *s)
{
	static uint8_t	 buf[SAMPLE_MAX];
	char		 path[PATH_MAX];
	size_t		 len;
	FILE		*fp;
	int		 n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, s->name);
	if (n < 0 || (size_t)n >= sizeof(path) || make_parents(path) != 0)
		return -1;
	len = scan_sample_bytes(s, buf, sizeof(buf));
	if ((fp = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, fp) !=
	    len || fclose(fp) != 0) {
		perror(path);
		return -1;
	}
	if (s->rule != NULL)
		printf("%s\t%s\n", s->rule, path);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t	i;

	if (argc != 2) {
		fprintf(stderr, "usage: vigil-scan-samples DIR\n");
		return 2;
	}
	for (i = 0; i < NITEMS(scan_samples); i++)
		if (write_one(argv[1], &scan_samples[i]) != 0)
			return 1;
	for (i = 0; i < NITEMS(scan_clean); i++)
		if (write_one(argv[1], &scan_clean[i]) != 0)
			return 1;
	return fflush(stdout) == 0 ? 0 : 1;
}
