/*
 * capture.h: what a function writes on standard error, for the tests of
 * modules that talk to people (log.c, cli.c).
 */
#ifndef VIGIL_TEST_CAPTURE_H
#define VIGIL_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Run fn(arg) with stderr in a temporary file; what it wrote, malloc'd
 * and NUL-terminated (NULL if the capture itself failed). */
static char *
capture_stderr(void (*fn)(void *), void *arg)
{
	char	 path[] = "/tmp/vigil-capture.XXXXXX", *out = NULL;
	FILE	*f;
	long	 n;
	int	 fd, saved;

	if ((fd = mkstemp(path)) == -1)
		return NULL;
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if ((f = fopen(path, "r")) != NULL && fseek(f, 0, SEEK_END) == 0 &&
	    (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (out = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(out, 1, (size_t)n, f) != (size_t)n) {
		free(out);
		out = NULL;
	}
	if (f != NULL)
		fclose(f);
	unlink(path);
	return out;
}

#endif
