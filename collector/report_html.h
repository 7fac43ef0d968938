/*
 * report_html.h: the periodic report as one self-contained HTML file
 * (docs/report.md, "HTML"): inline CSS, the charts as inline SVG, no
 * script, font, image or link from elsewhere; laid out for A4.
 */
#ifndef VIGIL_REPORT_HTML_H
#define VIGIL_REPORT_HTML_H

#include <stdio.h>

struct report_layout;

/* Write the layout as HTML to f. Every text of the layout is escaped
 * (text.h TEXT_HTML). 0, or ERR_IO. */
int	report_html_write(FILE *f, const struct report_layout *);

#endif
