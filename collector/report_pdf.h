/*
 * report_pdf.h: the periodic report as a PDF (issue 11; docs/report.md,
 * "PDF"), drawn by the collector itself with cairo and pango: A4
 * portrait, real text in embedded DejaVu subsets, vector charts, page
 * numbers, the signature block kept whole on the last page.
 *
 * Every string of the layout is shown as a terminal would show it
 * (text.h, TEXT_TERM) and reaches pango as plain text, never as markup:
 * a name like "<b>&amp;" prints as those eight characters.
 *
 * Callers: the report command, and the scheduled report in the
 * collector's report thread (report_write()). Any thread: each call
 * makes its own pango font map and frees it, caches and all.
 */
#ifndef VIGIL_REPORT_PDF_H
#define VIGIL_REPORT_PDF_H

#include <stdio.h>

#include <jansson.h>

struct report_layout;

/*
 * Write the layout as a PDF to f. created: when the report was made, as
 * the document says it ("2026-12-01T08:00:00+0700"), for the PDF's
 * creation date, so the same report gives the same bytes; NULL or
 * another form: cairo writes the time of writing.
 * 0; ERR_CONFIG when no font has the Vietnamese letters (said: install
 * fonts-dejavu-core), nothing written; ERR_MALFORMED, nothing written,
 * for a layout that breaks report_layout.h's contract (or a page_word
 * over 100 bytes); ERR_NOMEM; ERR_IO when f refuses a write (f then
 * holds part of a PDF: the caller removes it).
 */
int	report_pdf_write(FILE *f, const struct report_layout *l,
	    const char *created);
/* The document of report_build() laid out in lang (enum report_lang)
 * and written as above, created from its "generated" time. The same
 * errors. */
int	report_pdf(FILE *f, const json_t *doc, int lang);

#endif
