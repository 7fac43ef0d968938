/*
 * report_pdf.c: the report layout (report_layout.h) drawn as an A4 PDF
 * with cairo and pango (report_pdf.h).
 *
 * The page is A4 portrait with 20 mm margins; the running head (title,
 * subtitle) sits in the top margin from page 2 on, "Trang N/M" in the
 * bottom margin of every page. The document is drawn twice: the first
 * pass goes to a stream that discards it and counts the pages, the
 * second writes the file knowing M. Both passes measure text the same
 * way (the same surface type, the same font options), so they break
 * pages at the same places.
 *
 * Flow: blocks go down the page from y = top; need(h) starts a new page
 * when h does not fit below y (unless y is already the top, so a block
 * taller than a page cannot loop). A heading is kept with the start of
 * what follows it (block_min()); a table breaks between rows and
 * repeats its head row; the chart and the signature block are never
 * split. A cell holds at most CELL_LINES lines (then an ellipsis), so
 * every row fits on a page.
 *
 * Invariants: every string reaches pango through set_text(): escaped
 * as TEXT_TERM, as plain text (pango_layout_set_text), never as markup.
 * Load: a province's report, a few thousand cells; each cell is laid
 * out a few times (width, height, drawing) per pass: milliseconds.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "err.h"
#include "log.h"
#include "report_layout.h"
#include "report_pdf.h"
#include "text.h"
#include "version.h"

#define MM		(72.0 / 25.4)
#define PAGE_W		(210 * MM)
#define PAGE_H		(297 * MM)
#define MARGIN		(20 * MM)
#define BODY_W		(PAGE_W - 2 * MARGIN)
#define TOP		MARGIN
#define BOTTOM		(PAGE_H - MARGIN)
#define HEAD_Y		(11 * MM)	/* the running head's top */
#define FOOT_Y		(PAGE_H - 14 * MM)

#define PAD_X		3.0		/* inside a table cell */
#define PAD_Y		2.0
#define GAP		6.0		/* between blocks */
#define CELL_LINES	30		/* then an ellipsis */
#define MAX_COLS	32
#define PAGE_WORD_MAX	100		/* bytes of "Trang", "Page" */
#define MIN_COL		18.0		/* a column's narrowest, points */

#define CHART_PLOT_H	110.0
#define CHART_TICKS	5
#define SIGN_SPACE	70.0		/* room to sign and stamp */

enum font { F_BODY, F_BOLD, F_SMALL, F_NOTE, F_MONO, F_TITLE, F_H1, F_H2,
	F_COUNT };

static const char *const font_names[F_COUNT] = {
	[F_BODY] = "DejaVu Sans 9",
	[F_BOLD] = "DejaVu Sans Bold 9",
	[F_SMALL] = "DejaVu Sans 7.5",
	[F_NOTE] = "DejaVu Sans Italic 8.5",
	[F_MONO] = "DejaVu Sans Mono 8",
	[F_TITLE] = "DejaVu Sans Bold 14",
	[F_H1] = "DejaVu Sans Bold 12",
	[F_H2] = "DejaVu Sans Bold 10",
};

/* Every letter Vietnamese adds to ASCII, in both cases: a font that
 * lacks one would print tofu in the report's own words. */
static const char viet_letters[] =
    "ĂÂĐÊÔƠƯăâđêôơư ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬ àáảãạằắẳẵặầấẩẫậ ÈÉẺẼẸỀẾỂỄỆ "
    "èéẻẽẹềếểễệ ÌÍỈĨỊ ìíỉĩị ÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢ òóỏõọồốổỗộờớởỡợ "
    "ÙÚỦŨỤỪỨỬỮỰ ùúủũụừứửữự ỲÝỶỸỴ ỳýỷỹỵ";

struct rgb { double r, g, b; };

static const struct rgb C_TEXT = { 0, 0, 0 };
static const struct rgb C_GREY = { 0.35, 0.35, 0.35 };
static const struct rgb C_RULE = { 0.6, 0.6, 0.6 };
static const struct rgb C_HEAD_BG = { 0.88, 0.9, 0.93 };
static const struct rgb C_BAR = { 0.22, 0.42, 0.69 };

struct markstyle {
	struct rgb	bg, fg;
};

/* enum rl_mark: PLAIN, PASS, FAIL, UNKNOWN */
static const struct markstyle marks[] = {
	{ { 1, 1, 1 }, { 0, 0, 0 } },
	{ { 0.85, 0.94, 0.85 }, { 0.1, 0.4, 0.12 } },
	{ { 0.98, 0.84, 0.85 }, { 0.69, 0, 0.13 } },
	{ { 0.93, 0.93, 0.93 }, { 0.35, 0.35, 0.35 } },
};

struct pdf {
	const struct report_layout *l;
	cairo_surface_t		*surf;
	cairo_t			*cr;
	PangoFontMap		*fm;		/* ours: freed with its caches */
	PangoContext		*ctx;
	PangoLayout		*lay;
	PangoFontDescription	*font[F_COUNT];
	FILE			*f;		/* NULL: the counting pass */
	int			 ioerr;
	int			 page;		/* 1.. */
	int			 npages;	/* from the first pass; 0 in it */
	double			 y;		/* next free point, from the top */
	char			*buf;		/* set_text's escaped text */
	size_t			 buflen;
	const struct rl_block	*tab;		/* the table w[] is for */
	double			 w[MAX_COLS];
};

/* ---- output ---- */

static cairo_status_t
put(void *arg, const unsigned char *data, unsigned int len)
{
	struct pdf	*p = arg;

	if (p->f == NULL)
		return CAIRO_STATUS_SUCCESS;
	if (fwrite(data, 1, len, p->f) != len) {
		p->ioerr = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

static int
cairo_err(struct pdf *p, cairo_status_t st)
{
	if (st == CAIRO_STATUS_SUCCESS)
		return 0;
	if (p->ioerr || st == CAIRO_STATUS_WRITE_ERROR)
		return ERR_IO;
	if (st == CAIRO_STATUS_NO_MEMORY)
		return ERR_NOMEM;
	log_warnx("report: pdf: cairo: %s", cairo_status_to_string(st));
	return ERR_IO;
}

/* ---- text ---- */

/* s escaped as TEXT_TERM, in p->buf (valid until the next call); NULL
 * when out of memory. */
static const char *
escaped(struct pdf *p, const char *s)
{
	size_t	len = strlen(s), need;
	char	*nb;

	need = text_escape(p->buf, p->buflen, s, len, TEXT_TERM, NULL);
	if (need >= p->buflen) {
		if (need == SIZE_MAX || (nb = realloc(p->buf, need + 1)) == NULL)
			return NULL;
		p->buf = nb;
		p->buflen = need + 1;
		(void)text_escape(p->buf, p->buflen, s, len, TEXT_TERM, NULL);
	}
	return p->buf;
}

/* s as the layout's text: plain text, never markup. */
static int
set_text(struct pdf *p, const char *s)
{
	const char	*e;

	if ((e = escaped(p, s)) == NULL)
		return ERR_NOMEM;
	pango_layout_set_text(p->lay, e, -1);
	return 0;
}

enum { TB_MONO = 1, TB_ONE_LINE = 2 };

/*
 * Lay s out in font, width points wide (0: no limit, one line), aligned
 * (PANGO_ALIGN_*), in at most CELL_LINES lines (TB_ONE_LINE: one), then
 * an ellipsis. A TB_MONO text may break anywhere, others between words
 * and, for a word wider than the box, inside it. *h (may be NULL) gets
 * its height.
 */
static int
text_box(struct pdf *p, double *h, int font, const char *s, double width,
    PangoAlignment align, int flags)
{
	PangoLayout	*lay = p->lay;
	int		 lw, lh, rc;

	pango_layout_set_font_description(lay, p->font[font]);
	pango_layout_set_alignment(lay, align);
	pango_layout_set_wrap(lay, flags & TB_MONO ? PANGO_WRAP_CHAR :
	    PANGO_WRAP_WORD_CHAR);
	pango_layout_set_width(lay, width > 0 ?
	    pango_units_from_double(width) : -1);
	pango_layout_set_ellipsize(lay, width > 0 ? PANGO_ELLIPSIZE_END :
	    PANGO_ELLIPSIZE_NONE);
	pango_layout_set_height(lay, flags & TB_ONE_LINE ? -1 : -CELL_LINES);
	if ((rc = set_text(p, s)) != 0)
		return rc;
	pango_layout_get_size(lay, &lw, &lh);
	if (h != NULL)
		*h = pango_units_to_double(lh);
	return 0;
}

/* The natural (one line) width of s in font. */
static int
text_width(struct pdf *p, double *w, int font, const char *s)
{
	int	lw, lh, rc;

	if ((rc = text_box(p, NULL, font, s, 0, PANGO_ALIGN_LEFT, 0)) != 0)
		return rc;
	pango_layout_get_size(p->lay, &lw, &lh);
	*w = pango_units_to_double(lw);
	return 0;
}

/* The width of s's widest word in font (a TB_MONO text's widest
 * character): s laid out in a box too narrow for any line, which pango
 * lets each word overflow. */
static int
text_min_width(struct pdf *p, double *w, int font, const char *s, int flags)
{
	int	lw, lh, rc;

	if ((rc = text_box(p, NULL, font, s, 1, PANGO_ALIGN_LEFT, flags)) != 0)
		return rc;
	pango_layout_set_ellipsize(p->lay, PANGO_ELLIPSIZE_NONE);
	pango_layout_set_wrap(p->lay, flags & TB_MONO ? PANGO_WRAP_CHAR :
	    PANGO_WRAP_WORD);
	pango_layout_get_size(p->lay, &lw, &lh);
	*w = pango_units_to_double(lw);
	return 0;
}

static void
colour(struct pdf *p, const struct rgb *c)
{
	cairo_set_source_rgb(p->cr, c->r, c->g, c->b);
}

/* Show the laid out text with its top left at (x, y). */
static void
show(struct pdf *p, double x, double y, const struct rgb *c)
{
	colour(p, c);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, p->lay);
}

/* Lay out and show; *h (may be NULL) gets the height. */
static int
text_at(struct pdf *p, double *h, double x, double y, int font,
    const char *s, double width, PangoAlignment align, int flags,
    const struct rgb *c)
{
	double	hh;
	int	rc;

	if ((rc = text_box(p, &hh, font, s, width, align, flags)) != 0)
		return rc;
	show(p, x, y, c);
	if (h != NULL)
		*h = hh;
	return 0;
}

static void
hline(struct pdf *p, double x0, double x1, double y, double width,
    const struct rgb *c)
{
	colour(p, c);
	cairo_set_line_width(p->cr, width);
	cairo_move_to(p->cr, x0, y);
	cairo_line_to(p->cr, x1, y);
	cairo_stroke(p->cr);
}

static void
fill(struct pdf *p, double x, double y, double w, double h,
    const struct rgb *c)
{
	colour(p, c);
	cairo_rectangle(p->cr, x, y, w, h);
	cairo_fill(p->cr);
}

/* ---- pages ---- */

/* The running head (from page 2) and the page number. */
static int
page_marks(struct pdf *p)
{
	const struct report_layout *l = p->l;
	char	line[PAGE_WORD_MAX + 32];
	double	h;
	int	n, rc;

	if (p->page > 1) {
		if ((rc = text_at(p, &h, MARGIN, HEAD_Y, F_SMALL, l->title,
		    BODY_W * 0.6, PANGO_ALIGN_LEFT, TB_ONE_LINE,
		    &C_GREY)) != 0 ||
		    (rc = text_at(p, NULL, MARGIN + BODY_W * 0.6, HEAD_Y,
		    F_SMALL, l->subtitle, BODY_W * 0.4, PANGO_ALIGN_RIGHT,
		    TB_ONE_LINE, &C_GREY)) != 0)
			return rc;
		hline(p, MARGIN, MARGIN + BODY_W, HEAD_Y + h + 2, 0.5,
		    &C_RULE);
	}
	if (p->npages == 0)
		return 0;	/* the counting pass: M is not known yet */
	/* the word from the layout, the figures ours */
	n = snprintf(line, sizeof(line), "%s %d/%d", l->page_word, p->page,
	    p->npages);
	if (n < 0 || (size_t)n >= sizeof(line))
		return ERR_MALFORMED;
	return text_at(p, NULL, MARGIN, FOOT_Y, F_SMALL, line, BODY_W,
	    PANGO_ALIGN_CENTER, TB_ONE_LINE, &C_GREY);
}

static int
page_new(struct pdf *p)
{
	cairo_status_t	st;

	if (p->page > 0)
		cairo_show_page(p->cr);
	if ((st = cairo_status(p->cr)) != CAIRO_STATUS_SUCCESS)
		return cairo_err(p, st);
	p->page++;
	p->y = TOP;
	return page_marks(p);
}

/* Room for h points below y: a new page when it does not fit, unless
 * the page is still empty. *broke (may be NULL) says which. */
static int
need(struct pdf *p, double h, int *broke)
{
	if (broke != NULL)
		*broke = 0;
	if (p->y + h <= BOTTOM || p->y <= TOP)
		return 0;
	if (broke != NULL)
		*broke = 1;
	return page_new(p);
}

/* A paragraph, a title or a heading: never split (CELL_LINES bounds
 * it). */
static int
block_text(struct pdf *p, int font, const char *s, PangoAlignment align,
    const struct rgb *c)
{
	double	h;
	int	rc;

	if ((rc = text_box(p, &h, font, s, BODY_W, align, 0)) != 0 ||
	    (rc = need(p, h, NULL)) != 0 ||
	    (rc = text_at(p, NULL, MARGIN, p->y, font, s, BODY_W, align, 0,
	    c)) != 0)
		return rc;
	p->y += h;
	return 0;
}

/* ---- tables ---- */

static int
cell_font(const struct rl_cell *c, int head)
{
	return head ? F_BOLD : c->mono ? F_MONO : F_BODY;
}

static PangoAlignment
cell_align(const struct rl_cell *c)
{
	return c->align == RL_RIGHT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
}

/* Each column's natural width (its widest cell on one line; a head
 * wraps rather than widen its column) into nat[], its widest word, head
 * included, into min[]; padding included. O(cells). */
static int
table_measure(struct pdf *p, const struct rl_block *b, double *nat,
    double *min)
{
	const struct rl_cell *row;
	double	w;
	size_t	i, r, n = b->ncols;
	int	rc;

	for (i = 0; i < n; i++)
		nat[i] = min[i] = MIN_COL;
	for (r = 0; r <= b->nrows; r++) {
		row = r == 0 ? b->head : b->cells + (r - 1) * n;
		for (i = 0; row != NULL && i < n; i++) {
			if (r > 0 && (rc = text_width(p, &w,
			    cell_font(&row[i], 0), row[i].text)) != 0)
				return rc;
			if (r > 0 && w + 2 * PAD_X > nat[i])
				nat[i] = w + 2 * PAD_X;
			if ((rc = text_min_width(p, &w, cell_font(&row[i],
			    r == 0), row[i].text, row[i].mono ? TB_MONO :
			    0)) != 0)
				return rc;
			if (w + 2 * PAD_X > min[i])
				min[i] = w + 2 * PAD_X;
		}
	}
	for (i = 0; i < n; i++) {
		if (min[i] > BODY_W * 0.4)	/* a long word breaks */
			min[i] = BODY_W * 0.4;
		if (nat[i] < min[i])
			nat[i] = min[i];
	}
	return 0;
}

/*
 * Column widths for b into p->w, as a browser lays out an automatic
 * table: the natural widths stretched to the body's width when they all
 * fit; else each column its widest word and the room left shared in
 * proportion to what each column lacks of its natural width; else (not
 * even the words fit) the words' widths shrunk alike, and words break.
 */
static int
table_widths(struct pdf *p, const struct rl_block *b)
{
	double	nat[MAX_COLS], min[MAX_COLS], snat = 0, smin = 0;
	size_t	i, n = b->ncols;
	int	rc;

	if (p->tab == b)
		return 0;
	if ((rc = table_measure(p, b, nat, min)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		snat += nat[i];
		smin += min[i];
	}
	for (i = 0; i < n; i++)
		if (snat <= BODY_W)
			p->w[i] = nat[i] * BODY_W / snat;
		else if (smin < BODY_W)
			p->w[i] = min[i] + (BODY_W - smin) *
			    (nat[i] - min[i]) / (snat - smin);
		else
			p->w[i] = min[i] * BODY_W / smin;
	p->tab = b;
	return 0;
}

/* The height of one row (head: the head row) of the prepared table. */
static int
row_height(struct pdf *p, double *h, const struct rl_block *b,
    const struct rl_cell *row, int head)
{
	double	ch;
	size_t	i;
	int	rc;

	*h = 0;
	for (i = 0; i < b->ncols; i++) {
		if ((rc = text_box(p, &ch, cell_font(&row[i], head),
		    row[i].text, p->w[i] - 2 * PAD_X, cell_align(&row[i]),
		    row[i].mono ? TB_MONO : 0)) != 0)
			return rc;
		if (ch > *h)
			*h = ch;
	}
	*h += 2 * PAD_Y;
	return 0;
}

static int
row_draw(struct pdf *p, const struct rl_block *b, const struct rl_cell *row,
    int head, double h)
{
	const struct markstyle *m;
	double	x = MARGIN;
	size_t	i;
	int	rc, framed = b->kind == RL_TABLE;

	if (head)
		fill(p, MARGIN, p->y, BODY_W, h, &C_HEAD_BG);
	for (i = 0; i < b->ncols; x += p->w[i], i++) {
		m = &marks[row[i].mark <= RL_UNKNOWN ? row[i].mark : 0];
		if (!head && row[i].mark != RL_PLAIN)
			fill(p, x, p->y, p->w[i], h, &m->bg);
		if ((rc = text_box(p, NULL, cell_font(&row[i], head),
		    row[i].text, p->w[i] - 2 * PAD_X, cell_align(&row[i]),
		    row[i].mono ? TB_MONO : 0)) != 0)
			return rc;
		show(p, x + PAD_X, p->y + PAD_Y, head ? &C_TEXT : &m->fg);
	}
	if (framed)
		hline(p, MARGIN, MARGIN + BODY_W, p->y + h, head ? 0.8 : 0.3,
		    head ? &C_TEXT : &C_RULE);
	p->y += h;
	return 0;
}

/* The head row, if b has one, at y. */
static int
head_row(struct pdf *p, const struct rl_block *b)
{
	double	h;
	int	rc;

	if (b->head == NULL)
		return 0;
	if ((rc = row_height(p, &h, b, b->head, 1)) != 0)
		return rc;
	return row_draw(p, b, b->head, 1, h);
}

/* Row r of b (r >= 1) on this page, after a new page and the head row
 * again when it does not fit. */
static int
table_row(struct pdf *p, const struct rl_block *b, size_t r)
{
	const struct rl_cell *row = b->cells + (r - 1) * b->ncols;
	double	h;
	int	broke, rc;

	if ((rc = row_height(p, &h, b, row, 0)) != 0 ||
	    (rc = need(p, h, &broke)) != 0 ||
	    (broke && (rc = head_row(p, b)) != 0))
		return rc;
	return row_draw(p, b, row, 0, h);
}

/* The head row and the first row: what must stand together. */
static int
table_start(struct pdf *p, double *h, const struct rl_block *b)
{
	double	hh = 0, h1 = 0;
	int	rc;

	if ((rc = table_widths(p, b)) != 0 ||
	    (b->head != NULL &&
	    (rc = row_height(p, &hh, b, b->head, 1)) != 0) ||
	    (rc = row_height(p, &h1, b, b->cells, 0)) != 0)
		return rc;
	*h = hh + h1;
	return 0;
}

static int
block_table(struct pdf *p, const struct rl_block *b)
{
	double	h;
	size_t	r;
	int	rc;

	if (b->nrows == 0)	/* a table says "None", fields nothing */
		return b->kind == RL_TABLE ? block_text(p, F_NOTE, b->text,
		    PANGO_ALIGN_LEFT, &C_GREY) : 0;
	if ((rc = table_start(p, &h, b)) != 0 ||
	    (rc = need(p, h, NULL)) != 0 ||
	    (rc = head_row(p, b)) != 0)
		return rc;
	for (r = 1; r <= b->nrows; r++)
		if ((rc = table_row(p, b, r)) != 0)
			return rc;
	return 0;
}

/* ---- the chart ---- */

/* A tick step of 1, 2 or 5 times a power of ten near raw. */
static double
nice_step(double raw)
{
	double	mag, f;

	if (raw <= 1)
		return 1;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

struct chart {
	double	 hcap, hunit, hlab;	/* caption, unit, day labels */
	double	 step, top;		/* ticks */
	double	 gutter;		/* the tick labels' column */
	double	 labw;			/* the widest day label */
};

static int
chart_measure(struct pdf *p, struct chart *c, const struct rl_block *b)
{
	char	num[32];
	double	vmax = 0, w;
	size_t	i;
	int	rc;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < b->nrows; i++)
		if ((double)b->values[i] > vmax)
			vmax = (double)b->values[i];
	c->step = nice_step(vmax / CHART_TICKS);
	c->top = c->step * ceil(vmax / c->step);
	if (c->top < c->step)
		c->top = c->step;
	(void)snprintf(num, sizeof(num), "%.0f", c->top);
	if ((rc = text_box(p, &c->hcap, F_BOLD, b->text ? b->text : "",
	    BODY_W, PANGO_ALIGN_LEFT, 0)) != 0 ||
	    (rc = text_box(p, &c->hunit, F_SMALL, b->unit ? b->unit : "",
	    BODY_W, PANGO_ALIGN_LEFT, TB_ONE_LINE)) != 0 ||
	    (rc = text_width(p, &c->gutter, F_SMALL, num)) != 0)
		return rc;
	c->gutter += 4;
	c->hlab = c->hunit;
	for (i = 0; i < b->nrows; i++) {
		if ((rc = text_width(p, &w, F_SMALL, b->cells[i].text)) != 0)
			return rc;
		if (w > c->labw)
			c->labw = w;
	}
	if (c->labw > BODY_W / 4)
		c->labw = BODY_W / 4;
	return 0;
}

static double
chart_height(const struct chart *c)
{
	return c->hcap + 4 + c->hunit + 4 + CHART_PLOT_H + 2 + c->hlab;
}

/* Grid lines and their figures, from 0 to c->top. */
static int
chart_ticks(struct pdf *p, const struct chart *c, double x0, double bottom)
{
	char	num[32];
	double	t, y;
	int	rc;

	for (t = 0; t <= c->top; t += c->step) {
		y = bottom - t / c->top * CHART_PLOT_H;
		if (t > 0)
			hline(p, x0, MARGIN + BODY_W, y, 0.25, &C_RULE);
		(void)snprintf(num, sizeof(num), "%.0f", t);
		if ((rc = text_at(p, NULL, MARGIN, y - c->hunit / 2, F_SMALL,
		    num, c->gutter - 4, PANGO_ALIGN_RIGHT, TB_ONE_LINE,
		    &C_GREY)) != 0)
			return rc;
	}
	return 0;
}

/* The bars, and every k-th bar's label, k as small as lets them fit. */
static int
chart_bars(struct pdf *p, const struct chart *c, const struct rl_block *b,
    double x0, double bottom)
{
	double	slot = (MARGIN + BODY_W - x0) / (double)b->nrows, v, x, lx;
	double	end = 0;		/* the last label's right edge */
	size_t	i, k;
	int	rc;

	k = (size_t)ceil((c->labw + 4) / slot);
	if (k < 1)
		k = 1;
	for (i = 0; i < b->nrows; i++) {
		v = b->values[i] > 0 ? (double)b->values[i] : 0;
		x = x0 + (double)i * slot;
		fill(p, x + slot * 0.15, bottom - v / c->top * CHART_PLOT_H,
		    slot * 0.7, v / c->top * CHART_PLOT_H, &C_BAR);
		if (i % k != 0)
			continue;
		lx = x + slot / 2 - (c->labw + 4) / 2;
		if (lx < x0 - c->gutter)
			lx = x0 - c->gutter;
		if (lx > MARGIN + BODY_W - c->labw - 4)
			lx = MARGIN + BODY_W - c->labw - 4;
		if (lx < end)	/* only where a clamped one lies */
			continue;
		end = lx + c->labw + 2;
		if ((rc = text_at(p, NULL, lx, bottom + 2, F_SMALL,
		    b->cells[i].text, c->labw + 4, PANGO_ALIGN_CENTER,
		    TB_ONE_LINE, &C_TEXT)) != 0)
			return rc;
	}
	return 0;
}

/* Caption, unit, plot: vector shapes and real text, never split. */
static int
block_chart(struct pdf *p, const struct rl_block *b)
{
	struct chart	c;
	double		x0, bottom;
	int		rc;

	if ((rc = chart_measure(p, &c, b)) != 0 ||
	    (rc = need(p, chart_height(&c), NULL)) != 0 ||
	    (rc = text_at(p, NULL, MARGIN, p->y, F_BOLD, b->text ? b->text :
	    "", BODY_W, PANGO_ALIGN_LEFT, 0, &C_TEXT)) != 0 ||
	    (rc = text_at(p, NULL, MARGIN, p->y + c.hcap + 4, F_SMALL,
	    b->unit ? b->unit : "", BODY_W, PANGO_ALIGN_LEFT, TB_ONE_LINE,
	    &C_GREY)) != 0)
		return rc;
	x0 = MARGIN + c.gutter;
	bottom = p->y + c.hcap + 4 + c.hunit + 4 + CHART_PLOT_H;
	if ((rc = chart_ticks(p, &c, x0, bottom)) != 0 ||
	    (b->nrows > 0 && (rc = chart_bars(p, &c, b, x0, bottom)) != 0))
		return rc;
	hline(p, x0, MARGIN + BODY_W, bottom, 0.8, &C_TEXT);
	colour(p, &C_TEXT);
	cairo_move_to(p->cr, x0, bottom);
	cairo_line_to(p->cr, x0, bottom - CHART_PLOT_H);
	cairo_stroke(p->cr);
	p->y += chart_height(&c);
	return 0;
}

/* ---- the signature block ---- */

/* Who signs, the note under it, room to sign: one column each. With
 * draw 0 only *h. */
static int
block_sign_at(struct pdf *p, double *h, const struct rl_block *b, int draw)
{
	double	cw = BODY_W / (double)b->ncols, h1, h2, x;
	size_t	i;
	int	rc;

	*h = 0;
	for (i = 0; i < b->ncols; i++) {
		x = MARGIN + (double)i * cw;
		if ((rc = text_box(p, &h1, F_BOLD, b->head[i].text, cw,
		    PANGO_ALIGN_CENTER, 0)) != 0)
			return rc;
		if (draw)
			show(p, x, p->y, &C_TEXT);
		h2 = 0;
		if (b->nrows > 0 && (rc = text_box(p, &h2, F_NOTE,
		    b->cells[i].text, cw, PANGO_ALIGN_CENTER, 0)) != 0)
			return rc;
		if (draw && b->nrows > 0)
			show(p, x, p->y + h1, &C_GREY);
		if (h1 + h2 > *h)
			*h = h1 + h2;
	}
	*h += SIGN_SPACE;
	return 0;
}

static int
block_sign(struct pdf *p, const struct rl_block *b)
{
	double	h;
	int	rc;

	if ((rc = block_sign_at(p, &h, b, 0)) != 0 ||
	    (rc = need(p, h, NULL)) != 0 ||
	    (rc = block_sign_at(p, &h, b, 1)) != 0)
		return rc;
	p->y += h;
	return 0;
}

/* ---- blocks ---- */

static int
heading_font(const struct rl_block *b)
{
	return b->level <= 1 ? F_H1 : F_H2;
}

/* Space above block i. */
static double
space_before(const struct report_layout *l, size_t i)
{
	const struct rl_block *b = &l->blocks[i];

	if (i == 0)
		return 0;
	if (l->blocks[i - 1].kind == RL_HEADING)
		return 3;
	if (b->kind == RL_HEADING)
		return b->level <= 1 ? 14 : 8;
	return b->kind == RL_SIGN ? 24 : GAP;
}

/*
 * How much of block i must stand on the page where it starts: a text
 * whole; a table its head and first row; a chart or signature whole; a
 * heading itself and the start of what follows (depth: how many
 * headings deep already).
 */
static int
block_min(struct pdf *p, double *h, size_t i, int depth)
{
	const struct rl_block *b = &p->l->blocks[i];
	struct chart	c;
	double		next;
	int		rc;

	switch (b->kind) {
	case RL_HEADING:
		if ((rc = text_box(p, h, heading_font(b), b->text, BODY_W,
		    PANGO_ALIGN_LEFT, 0)) != 0)
			return rc;
		if (depth >= 2 || i + 1 >= p->l->nblocks)
			return 0;
		if ((rc = block_min(p, &next, i + 1, depth + 1)) != 0)
			return rc;
		*h += space_before(p->l, i + 1) + next;
		return 0;
	case RL_TABLE:
		if (b->nrows == 0)
			return text_box(p, h, F_NOTE, b->text, BODY_W,
			    PANGO_ALIGN_LEFT, 0);
		return table_start(p, h, b);
	case RL_FIELDS:
		*h = 0;
		return b->nrows == 0 ? 0 : table_start(p, h, b);
	case RL_CHART:
		if ((rc = chart_measure(p, &c, b)) != 0)
			return rc;
		*h = chart_height(&c);
		return 0;
	case RL_SIGN:
		return block_sign_at(p, h, b, 0);
	default:
		return text_box(p, h, b->kind == RL_TITLE ? F_TITLE : F_BODY,
		    b->text, BODY_W, PANGO_ALIGN_LEFT, 0);
	}
}

static int
block_heading(struct pdf *p, size_t i)
{
	const struct rl_block *b = &p->l->blocks[i];
	double	h;
	int	rc;

	if ((rc = block_min(p, &h, i, 0)) != 0 ||
	    (rc = need(p, h, NULL)) != 0)
		return rc;
	return block_text(p, heading_font(b), b->text, PANGO_ALIGN_LEFT,
	    &C_TEXT);
}

static int
block(struct pdf *p, size_t i)
{
	const struct rl_block *b = &p->l->blocks[i];

	if (p->y > TOP)
		p->y += space_before(p->l, i);
	switch (b->kind) {
	case RL_TITLE:
		return block_text(p, F_TITLE, b->text, PANGO_ALIGN_CENTER,
		    &C_TEXT);
	case RL_HEADING:
		return block_heading(p, i);
	case RL_PARA:
		return block_text(p, F_BODY, b->text, PANGO_ALIGN_LEFT,
		    &C_TEXT);
	case RL_FIELDS:
	case RL_TABLE:
		return block_table(p, b);
	case RL_CHART:
		return block_chart(p, b);
	case RL_SIGN:
		return block_sign(p, b);
	default:
		return ERR_MALFORMED;
	}
}

/* ---- the layout's contract ---- */

static int
cells_ok(const struct rl_cell *c, size_t n)
{
	size_t	i;

	if (n > 0 && c == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (c[i].text == NULL)
			return 0;
	return 1;
}

static int
block_ok(const struct rl_block *b)
{
	size_t	n;

	if (b->kind == RL_TITLE || b->kind == RL_HEADING ||
	    b->kind == RL_PARA)
		return b->text != NULL;
	if (b->ncols == 0 || b->ncols > MAX_COLS ||
	    __builtin_mul_overflow(b->nrows, b->ncols, &n) ||
	    !cells_ok(b->cells, n))
		return 0;
	switch (b->kind) {
	case RL_FIELDS:
		return 1;
	case RL_TABLE:
		return b->head != NULL && cells_ok(b->head, b->ncols) &&
		    (b->nrows > 0 || b->text != NULL);
	case RL_CHART:
		return b->ncols == 1 && (b->nrows == 0 || b->values != NULL);
	case RL_SIGN:
		return b->head != NULL && cells_ok(b->head, b->ncols);
	default:
		return 0;
	}
}

static int
layout_ok(const struct report_layout *l)
{
	size_t	i;

	if (l->title == NULL || l->subtitle == NULL ||
	    l->page_word == NULL || strlen(l->page_word) > PAGE_WORD_MAX ||
	    (l->nblocks > 0 && l->blocks == NULL))
		return 0;
	for (i = 0; i < l->nblocks; i++)
		if (!block_ok(&l->blocks[i]))
			return 0;
	return 1;
}

/* ---- passes ---- */

/* "2026-12-01T08:00:00+0700" (the document's) as cairo takes it,
 * "2026-12-01T08:00:00+07:00"; 0, or -1 for another form. */
static int
pdf_date(char out[static 32], const char *iso)
{
	static const char	form[] = "dddd-dd-ddTdd:dd:dd";
	size_t			i, n = strlen(iso);

	if (n != 24)
		return -1;
	for (i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? iso[i] < '0' || iso[i] > '9' :
		    iso[i] != form[i])
			return -1;
	if ((iso[19] != '+' && iso[19] != '-') ||
	    strspn(iso + 20, "0123456789") != 4)
		return -1;
	(void)snprintf(out, 32, "%.22s:%.2s", iso, iso + 22);
	return 0;
}

static int
metadata(struct pdf *p, const char *created)
{
	const char	*s;
	char		 date[32];

	if ((s = escaped(p, p->l->title)) == NULL)
		return ERR_NOMEM;
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_TITLE, s);
	if ((s = escaped(p, p->l->subtitle)) == NULL)
		return ERR_NOMEM;
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_SUBJECT, s);
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATOR,
	    "vigil " VIGIL_VERSION);
	if (created != NULL && pdf_date(date, created) == 0)
		cairo_pdf_surface_set_metadata(p->surf,
		    CAIRO_PDF_METADATA_CREATE_DATE, date);
	return 0;
}

/* 0 if each face shows every Vietnamese letter from some font. */
static int
fonts_check(struct pdf *p)
{
	static const int	faces[] = { F_BODY, F_BOLD, F_NOTE, F_MONO };
	size_t			i;
	int			rc;

	for (i = 0; i < sizeof(faces) / sizeof(*faces); i++) {
		if ((rc = text_box(p, NULL, faces[i], viet_letters, 0,
		    PANGO_ALIGN_LEFT, 0)) != 0)
			return rc;
		if (pango_layout_get_unknown_glyphs_count(p->lay) > 0) {
			log_warnx("report: pdf: no font has the Vietnamese "
			    "letters for \"%s\" (fontconfig); install "
			    "fonts-dejavu-core", font_names[faces[i]]);
			return ERR_CONFIG;
		}
	}
	return 0;
}

static void
pass_end(struct pdf *p)
{
	if (p->lay != NULL)
		g_object_unref(p->lay);
	cairo_destroy(p->cr);
	cairo_surface_destroy(p->surf);
	p->lay = NULL;
	p->cr = NULL;
	p->surf = NULL;
	p->tab = NULL;
}

/* Draw the whole document; f NULL: count its pages into p->npages. */
static int
pass(struct pdf *p, FILE *f, const char *created)
{
	size_t	i;
	int	rc;

	p->f = f;
	p->page = 0;
	p->surf = cairo_pdf_surface_create_for_stream(put, p, PAGE_W, PAGE_H);
	p->cr = cairo_create(p->surf);
	if ((rc = cairo_err(p, cairo_status(p->cr))) != 0)
		goto done;
	pango_cairo_update_context(p->cr, p->ctx);
	if ((p->lay = pango_layout_new(p->ctx)) == NULL) {
		rc = ERR_NOMEM;
		goto done;
	}
	if ((f == NULL && (rc = fonts_check(p)) != 0) ||
	    (rc = metadata(p, created)) != 0 ||
	    (rc = page_new(p)) != 0)
		goto done;
	for (i = 0; i < p->l->nblocks; i++)
		if ((rc = block(p, i)) != 0)
			goto done;
	cairo_show_page(p->cr);
	cairo_surface_finish(p->surf);
	rc = cairo_err(p, cairo_surface_status(p->surf));
done:
	if (f == NULL)
		p->npages = p->page;
	pass_end(p);
	return rc;
}

int
report_pdf_write(FILE *f, const struct report_layout *l, const char *created)
{
	struct pdf	p = { .l = l };
	size_t		i;
	int		rc = ERR_NOMEM;

	if (!layout_ok(l))
		return ERR_MALFORMED;
	if ((p.fm = pango_cairo_font_map_new()) == NULL ||
	    (p.ctx = pango_font_map_create_context(p.fm)) == NULL)
		goto fail;
	for (i = 0; i < F_COUNT; i++)
		if ((p.font[i] = pango_font_description_from_string(
		    font_names[i])) == NULL)
			goto fail;
	if ((rc = pass(&p, NULL, created)) == 0)
		rc = pass(&p, f, created);
	if (rc == 0 && ferror(f))
		rc = ERR_IO;
fail:
	for (i = 0; i < F_COUNT; i++)
		if (p.font[i] != NULL)
			pango_font_description_free(p.font[i]);
	if (p.ctx != NULL)
		g_object_unref(p.ctx);
	if (p.fm != NULL)
		g_object_unref(p.fm);
	free(p.buf);
	return rc;
}

int
report_pdf(FILE *f, const json_t *doc, int lang)
{
	struct report_layout	*l;
	const char		*at;
	int			 rc;

	if ((rc = report_layout_make(&l, doc, lang)) != 0)
		return rc;
	at = json_string_value(json_object_get(json_object_get(doc,
	    "generated"), "at"));
	rc = report_pdf_write(f, l, at);
	report_layout_free(l);
	return rc;
}
