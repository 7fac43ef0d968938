/*
 * report_html.c: the periodic report as one HTML file (report_html.h).
 *
 * It renders the layout (report_layout.h) and adds no words: a block
 * becomes a heading, a paragraph, a table, or a figure with an SVG bar
 * chart drawn here. The file stands alone (inline CSS; no script, no
 * font, image or link from elsewhere) and says so to the browser too: a
 * Content-Security-Policy of default-src 'none' forbids any script or
 * fetch even if some text were to slip through. Every text of the
 * layout goes through text_write(TEXT_HTML) (controls and bidi
 * overrides shown as \xNN, then & < > " ' as entities), in elements and
 * in attributes alike; the page word in the CSS through css_string().
 *
 * Print: @page A4 with margins and the page number in its margin box;
 * headings stay with what follows, rows and charts are not split, a
 * table's head repeats on each page; colours print (pass green, fail
 * red) and are doubled by the words, for a black-and-white printer.
 *
 * Load: a province's layout, a few thousand cells; a year's chart 366
 * bars. Output a few hundred kilobytes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "report.h"
#include "report_html.h"
#include "report_layout.h"
#include "text.h"

/* The chart's canvas, in SVG user units (CSS px: 180 mm is ~680). */
#define CW		680
#define CH		260
#define PLOT_L		52		/* room for the axis' numbers */
#define PLOT_R		(CW - 8)
#define PLOT_T		22		/* room for the unit */
#define PLOT_B		(CH - 64)	/* room for the days */
#define LABELS_MAX	16		/* at most this many x labels */

struct h {
	FILE	*f;
	int	 err;
};

static const char style[] =
"@page{size:A4;margin:18mm 16mm 20mm 16mm}\n"
"html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
"body{font-family:'DejaVu Sans',sans-serif;font-size:10pt;color:#111;"
"max-width:178mm;margin:0 auto;padding:6mm 0;line-height:1.35}\n"
"h1{font-size:15pt;text-align:center;margin:0 0 2mm}\n"
"p.sub{text-align:center;margin:0 0 5mm;color:#333}\n"
"h2{font-size:12.5pt;margin:7mm 0 2mm;border-bottom:1px solid #888}\n"
"h3{font-size:10.5pt;margin:4mm 0 1.5mm}\n"
"h1,h2,h3{break-after:avoid;page-break-after:avoid}\n"
"table{border-collapse:collapse;width:100%;margin:0 0 2mm}\n"
"th,td{border:1px solid #aaa;padding:1mm 1.5mm;vertical-align:top;"
"text-align:left}\n"
"thead th{background:#e8ecf0}\n"
"thead{display:table-header-group}\n"
"tr,figure,.sign{break-inside:avoid;page-break-inside:avoid}\n"
".r{text-align:right;font-variant-numeric:tabular-nums}\n"
".m{font-family:'DejaVu Sans Mono',monospace;word-break:break-all}\n"
"table.fields th{width:38%;font-weight:normal;color:#333;"
"background:#f4f6f8}\n"
"td.pass{background:#dff3e4;color:#0a5c25;font-weight:bold}\n"
"td.fail{background:#fbe0e0;color:#8f1010;font-weight:bold}\n"
"td.unknown{background:#f1f1f1;color:#555}\n"
"p.none{color:#555;font-style:italic}\n"
"figure{margin:2mm 0 3mm}\n"
"figcaption{font-weight:bold;margin:0 0 1mm}\n"
"svg{width:100%;height:auto}\n"
"svg .bar{fill:#2f6690}\n"
"svg .axis{stroke:#333;stroke-width:1}\n"
"svg .grid{stroke:#ccc;stroke-width:0.5}\n"
"svg text{font-family:'DejaVu Sans',sans-serif;font-size:10px;"
"fill:#222}\n"
"table.sign{margin-top:10mm}\n"
"table.sign th,table.sign td{border:0;background:none;"
"text-align:center;width:50%}\n"
"table.sign td{font-style:italic;height:28mm;vertical-align:top}\n";

static void	pf(struct h *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
pf(struct h *o, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vfprintf(o->f, fmt, ap) < 0)
		o->err = ERR_IO;
	va_end(ap);
}

static void
raw(struct h *o, const char *s)
{
	if (fputs(s, o->f) == EOF)
		o->err = ERR_IO;
}

/* Text of the layout, escaped for an element or a quoted attribute. */
static void
put(struct h *o, const char *s)
{
	if (text_write(o->f, s, strlen(s), TEXT_HTML) != 0)
		o->err = ERR_IO;
}

/* s as the inside of a CSS string: ASCII letters, digits and spaces
 * as they are, other ASCII as "\HH ", UTF-8 beyond ASCII as it is
 * when valid (else "\fffd "). Nothing can end the string or the
 * <style> element. */
static void
css_string(struct h *o, const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 n = strlen(s), i = 0, k;

	while (i < n) {
		if (p[i] >= 0x80) {
			k = text_utf8_seq(p + i, n - i, NULL);
			if (k == 0) {
				raw(o, "\\fffd ");
				i++;
				continue;
			}
			if (fwrite(p + i, 1, k, o->f) != k)
				o->err = ERR_IO;
			i += k;
		} else if ((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == ' ')
			pf(o, "%c", p[i++]);
		else
			pf(o, "\\%x ", p[i++]);
	}
}

static void
tag_text(struct h *o, const char *tag, const char *cls, const char *s)
{
	pf(o, "<%s%s%s%s>", tag, cls ? " class=\"" : "", cls ? cls : "",
	    cls ? "\"" : "");
	put(o, s);
	pf(o, "</%s>\n", tag);
}

/* ---- tables ---- */

static const char *
cell_class(const struct rl_cell *c, char *buf, size_t len)
{
	static const char *const	marks[] = { [RL_PASS] = " pass",
		[RL_FAIL] = " fail", [RL_UNKNOWN] = " unknown" };
	int				n;

	n = snprintf(buf, len, "%s%s%s", c->align == RL_RIGHT ? " r" : "",
	    c->mono ? " m" : "", c->mark > RL_PLAIN && c->mark <= RL_UNKNOWN ?
	    marks[c->mark] : "");
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
	return buf;
}

static void
cell(struct h *o, const char *tag, const struct rl_cell *c)
{
	char	cls[32];

	cell_class(c, cls, sizeof(cls));
	if (cls[0] != '\0')
		pf(o, "<%s class=\"%s\">", tag, cls + 1);
	else
		pf(o, "<%s>", tag);
	put(o, c->text);
	pf(o, "</%s>", tag);
}

static void
row(struct h *o, const char *tag, const struct rl_cell *c, size_t n)
{
	size_t	i;

	raw(o, "<tr>");
	for (i = 0; i < n; i++)
		cell(o, tag, &c[i]);
	raw(o, "</tr>\n");
}

static void
table(struct h *o, const struct rl_block *b)
{
	size_t	i;

	if (b->nrows == 0) {
		tag_text(o, "p", "none", b->text ? b->text : "");
		return;
	}
	raw(o, b->kind == RL_SIGN ? "<table class=\"sign\">\n" : "<table>\n");
	raw(o, "<thead>");
	row(o, "th", b->head, b->ncols);
	raw(o, "</thead>\n<tbody>\n");
	for (i = 0; i < b->nrows; i++)
		row(o, "td", b->cells + i * b->ncols, b->ncols);
	raw(o, "</tbody>\n</table>\n");
}

static void
fields(struct h *o, const struct rl_block *b)
{
	size_t	i;

	raw(o, "<table class=\"fields\">\n<tbody>\n");
	for (i = 0; i < b->nrows; i++) {
		raw(o, "<tr>");
		cell(o, "th", &b->cells[2 * i]);
		cell(o, "td", &b->cells[2 * i + 1]);
		raw(o, "</tr>\n");
	}
	raw(o, "</tbody>\n</table>\n");
}

/* ---- the bar chart ---- */

/* A step of 1, 2 or 5 times a power of ten such that 4 steps reach
 * max (max >= 1). */
static int64_t
axis_step(int64_t max)
{
	static const int64_t	f[] = { 1, 2, 5 };
	int64_t			m = 1;
	size_t			i;

	for (;;) {
		for (i = 0; i < 3; i++)
			if (f[i] * m >= (max + 3) / 4)
				return f[i] * m;
		if (m > INT64_MAX / 100)
			return max;
		m *= 10;
	}
}

static void
chart_axis(struct h *o, const char *unit, int64_t step, int64_t top)
{
	int64_t	v;
	double	y;

	pf(o, "<text x=\"%d\" y=\"12\">", PLOT_L);
	put(o, unit);
	raw(o, "</text>\n");
	for (v = 0; v <= top; v += step) {
		y = PLOT_B - (double)v / (double)top * (PLOT_B - PLOT_T);
		pf(o, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
		    "y2=\"%.1f\"/><text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">%" PRId64 "</text>\n", PLOT_L, y,
		    PLOT_R, y, PLOT_L - 4, y + 3.5, v);
		if (v > top - step)
			break;
	}
	pf(o, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
	    "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
	    PLOT_L, PLOT_T, PLOT_L, PLOT_B, PLOT_L, PLOT_B, PLOT_R, PLOT_B);
}

/* One bar, its value in a tooltip; its label under every k-th. */
static void
chart_bar(struct h *o, const struct rl_block *b, size_t i, int64_t top,
    size_t every)
{
	double	slot = (double)(PLOT_R - PLOT_L) / (double)b->nrows;
	double	x = PLOT_L + slot * (double)i, cx = x + slot / 2;
	double	hgt = (double)b->values[i] / (double)top * (PLOT_B - PLOT_T);

	pf(o, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
	    "height=\"%.2f\"><title>", x + slot * 0.1, PLOT_B - hgt,
	    slot * 0.8, hgt);
	put(o, b->cells[i].text);
	pf(o, ": %" PRId64 "</title></rect>\n", b->values[i]);
	if (i % every != 0 && i + 1 != b->nrows)
		return;
	pf(o, "<text transform=\"translate(%.2f %d) rotate(-50)\" "
	    "text-anchor=\"end\">", cx + 3, PLOT_B + 8);
	put(o, b->cells[i].text);
	raw(o, "</text>\n");
}

static void
chart(struct h *o, const struct rl_block *b)
{
	int64_t	max = 0, step, top;
	size_t	i, every;

	for (i = 0; i < b->nrows; i++)
		if (b->values[i] > max)
			max = b->values[i];
	step = axis_step(max > 0 ? max : 1);
	top = (max + step - 1) / step * step;
	if (top < step)
		top = step;
	every = (b->nrows + LABELS_MAX - 1) / LABELS_MAX;
	raw(o, "<figure class=\"chart\">\n<figcaption>");
	put(o, b->text);
	pf(o, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", CW, CH);
	put(o, b->text);
	raw(o, "\">\n");
	chart_axis(o, b->unit ? b->unit : "", step, top);
	for (i = 0; i < b->nrows; i++)
		chart_bar(o, b, i, top, every ? every : 1);
	raw(o, "</svg>\n</figure>\n");
}

/* ---- the document ---- */

static void
block(struct h *o, const struct rl_block *b)
{
	switch (b->kind) {
	case RL_TITLE:
		tag_text(o, "h1", NULL, b->text);
		break;
	case RL_FIELDS:
		fields(o, b);
		break;
	case RL_HEADING:
		tag_text(o, b->level == 1 ? "h2" : "h3", NULL, b->text);
		break;
	case RL_PARA:
		tag_text(o, "p", NULL, b->text);
		break;
	case RL_CHART:
		chart(o, b);
		break;
	default:
		table(o, b);
	}
}

static void
head(struct h *o, const struct report_layout *l)
{
	pf(o, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>", l->lang == REPORT_EN ? "en" : "vi");
	put(o, l->title);
	raw(o, " \xc2\xb7 ");
	put(o, l->subtitle);
	raw(o, "</title>\n<style>\n");
	raw(o, style);
	raw(o, "@page{@bottom-right{content:\"");
	css_string(o, l->page_word);
	raw(o, " \" counter(page) \" / \" counter(pages);font-size:8pt}"
	    "@top-right{content:\"");
	css_string(o, l->subtitle);
	raw(o, "\";font-size:8pt;color:#555}}\n</style>\n</head>\n<body>\n");
}

int
report_html_write(FILE *f, const struct report_layout *l)
{
	struct h	o = { f, 0 };
	size_t		i;

	head(&o, l);
	for (i = 0; i < l->nblocks && o.err == 0; i++) {
		block(&o, &l->blocks[i]);
		if (l->blocks[i].kind == RL_TITLE)
			tag_text(&o, "p", "sub", l->subtitle);
	}
	raw(&o, "</body>\n</html>\n");
	return o.err;
}
