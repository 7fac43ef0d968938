/*
 * fuzz_report_pdf.c: the PDF writer (collector/report_pdf.c) on names
 * an agent could choose.
 *
 * The input, split at its NUL bytes, gives up to 16 strings of any
 * bytes (invalid UTF-8, controls, bidi overrides, markup, one long
 * word); they fill a layout that keeps report_layout.h's contract: the
 * title, the fields, a heading, a table of offices, a chart whose bars
 * are the input's bytes, the signature block (the page word, the
 * layout's own, is kept under report_pdf.h's limit). Every such layout
 * must be written: report_pdf_write() returns 0, and the file starts
 * "%PDF-" and ends with "%%EOF".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_layout.h"
#include "report_pdf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NSTR	16
#define NBARS	40

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		*buf, *s[NSTR], *pdf = NULL;
	struct rl_cell	 fields[4], head[3], cells[NSTR * 3],
			 days[NBARS], sign[2];
	int64_t		 values[NBARS];
	struct rl_block	 b[6];
	struct report_layout l;
	size_t		 i, n = 0, nrows, nbars, plen = 0;
	FILE		*f;

	if (len > 4096)
		return 0;
	check((buf = malloc(len + 1)) != NULL);
	memcpy(buf, data, len);
	buf[len] = '\0';
	s[n++] = buf;
	for (i = 0; i < len && n < NSTR; i++)
		if (buf[i] == '\0')
			s[n++] = buf + i + 1;
	for (i = n; i < NSTR; i++)
		s[i] = s[i % n];

	for (i = 0; i < 4; i++)
		fields[i] = (struct rl_cell){ s[i], 0, 0, i == 3 };
	for (i = 0; i < 3; i++)
		head[i] = (struct rl_cell){ s[i + 4], i == 1, 0, 0 };
	nrows = n;
	for (i = 0; i < nrows * 3; i++)
		cells[i] = (struct rl_cell){ s[(i * 7) % NSTR], i % 3 == 1,
		    (uint8_t)(i % 4), i % 3 == 2 };
	nbars = len < NBARS ? len : NBARS;
	for (i = 0; i < nbars; i++) {
		days[i] = (struct rl_cell){ s[i % NSTR], 0, 0, 0 };
		values[i] = (int64_t)data[i] << (data[i] & 31);
	}
	for (i = 0; i < 2; i++)
		sign[i] = (struct rl_cell){ s[i + 8], 0, 0, 0 };
	b[0] = (struct rl_block){ .kind = RL_TITLE, .text = s[9] };
	b[1] = (struct rl_block){ .kind = RL_FIELDS, .ncols = 2, .nrows = 2,
	    .cells = fields };
	b[2] = (struct rl_block){ .kind = RL_HEADING, .level = 1,
	    .text = s[10] };
	b[3] = (struct rl_block){ .kind = RL_TABLE, .ncols = 3,
	    .nrows = nrows, .head = head, .cells = cells, .text = s[11] };
	b[4] = (struct rl_block){ .kind = RL_CHART, .ncols = 1,
	    .nrows = nbars, .cells = days, .values = values, .text = s[12],
	    .unit = s[13] };
	b[5] = (struct rl_block){ .kind = RL_SIGN, .ncols = 2, .nrows = 1,
	    .head = sign, .cells = sign };
	l = (struct report_layout){ .title = s[14], .subtitle = s[15],
	    .page_word = strlen(s[0]) < 64 ? s[0] : "Trang", .blocks = b,
	    .nblocks = 6 };

	check((f = open_memstream(&pdf, &plen)) != NULL);
	check(report_pdf_write(f, &l, s[1]) == 0);
	check(fclose(f) == 0);
	check(plen > 10 && memcmp(pdf, "%PDF-", 5) == 0);
	check(memcmp(pdf + plen - 6, "%%EOF", 5) == 0);
	free(pdf);
	free(buf);
	return 0;
}
