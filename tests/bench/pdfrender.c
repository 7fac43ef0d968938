/*
 * pdfrender.c: what the PDF costs beside the report's queries.
 *
 *   bench_pdfrender DOC.json [vi|en] [RUNS] [OUT.pdf]
 *
 * DOC is a report document (`vigil-collector report --format json`).
 * Each run lays it out and writes it as PDF to a temporary file (report_pdf():
 * both passes, fonts embedded); prints the first run (fonts and
 * fontconfig's cache loaded cold for the process), the median of the
 * rest, the PDF's size in bytes and the peak RSS. OUT, if given, gets
 * the last run's PDF, to look at.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "report.h"
#include "report_pdf.h"

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct rusage	 ru;
	json_error_t	 je;
	json_t		*doc;
	FILE		*f;
	double		 t[64], t0;
	long		 size = 0;
	int		 lang, runs, i;

	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: bench_pdfrender DOC.json [vi|en] "
		    "[RUNS] [OUT.pdf]\n");
		return 2;
	}
	lang = argc > 2 && strcmp(argv[2], "en") == 0 ? REPORT_EN : REPORT_VI;
	runs = argc > 3 ? atoi(argv[3]) : 5;
	if (runs < 1 || runs > 64)
		runs = 5;
	if ((doc = json_load_file(argv[1], 0, &je)) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], je.text);
		return 1;
	}
	for (i = 0; i < runs; i++) {
		f = argc > 4 && i == runs - 1 ? fopen(argv[4], "w") :
		    tmpfile();
		if (f == NULL)
			return 1;
		t0 = now();
		if (report_pdf(f, doc, lang) != 0 || fflush(f) != 0) {
			fprintf(stderr, "report_pdf failed\n");
			return 1;
		}
		t[i] = now() - t0;
		size = ftell(f);
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &ru);
	if (runs > 1)
		qsort(t + 1, (size_t)runs - 1, sizeof(*t), cmp);
	printf("first %.3f s, median of %d more %.3f s, %ld bytes, "
	    "peak RSS %ld MB\n", t[0], runs - 1, runs > 1 ?
	    t[1 + (runs - 1) / 2] : t[0], size, ru.ru_maxrss / 1024);
	json_decref(doc);
	return 0;
}
