/*
 * report_fmt.c: the periodic report's text formats (report.h): the JSON
 * document as it is, Markdown for people, CSV for spreadsheets; and
 * report_write(), which hands HTML and PDF to their writers.
 *
 * Markdown renders the report's layout (report_layout.h), as the HTML
 * and PDF writers do, so no word or figure differs between them; CSV
 * walks the document itself, one row per figure, with each figure's
 * label from report_label(). Every string reaches the file through the
 * format's escaper (text_write TEXT_MD, text_put_csv), the words of the
 * layout too: office, agent and rule names come from agents.
 *
 * Load: the document of a province, a few hundred kilobytes.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "report.h"
#include "report_html.h"
#include "report_layout.h"
#include "report_pdf.h"
#include "text.h"

struct out {
	FILE	*f;
	int	 lang;		/* enum report_lang */
	int	 err;
};

static void
raw(struct out *o, const char *s)
{
	if (fputs(s, o->f) == EOF)
		o->err = ERR_IO;
}

/* Text of the layout or the document, escaped for Markdown. */
static void
put(struct out *o, const char *s)
{
	if (text_write(o->f, s, strlen(s), TEXT_MD) != 0)
		o->err = ERR_IO;
}

static void
num(struct out *o, json_int_t v)
{
	if (fprintf(o->f, "%" JSON_INTEGER_FORMAT, v) < 0)
		o->err = ERR_IO;
}

/* A scalar from the document as text (numbers bare, null as "-"). */
static void
value(struct out *o, const json_t *v)
{
	if (json_is_integer(v))
		num(o, json_integer_value(v));
	else if (json_is_real(v)) {
		if (fprintf(o->f, "%.1f", json_real_value(v)) < 0)
			o->err = ERR_IO;
	} else if (json_is_boolean(v))
		num(o, json_is_true(v));
	else
		raw(o, "-");
}

/* ---- Markdown: the layout ---- */

static void
md_row(struct out *o, const struct rl_cell *c, size_t n)
{
	size_t	i;

	raw(o, "|");
	for (i = 0; i < n; i++) {
		raw(o, " ");
		put(o, c[i].text);
		raw(o, " |");
	}
	raw(o, "\n");
}

/* The line under a table's head: numbers right, a signature centred. */
static void
md_rule(struct out *o, const struct rl_cell *head, size_t n, int centre)
{
	size_t	i;

	raw(o, "|");
	for (i = 0; i < n; i++)
		raw(o, centre ? ":---:|" : head[i].align == RL_RIGHT ?
		    "---:|" : "---|");
	raw(o, "\n");
}

static void
md_table(struct out *o, const struct rl_block *b)
{
	size_t	i;

	if (b->nrows == 0) {
		raw(o, "\n");
		put(o, b->text ? b->text : "");
		raw(o, "\n");
		return;
	}
	raw(o, "\n");
	md_row(o, b->head, b->ncols);
	md_rule(o, b->head, b->ncols, b->kind == RL_SIGN);
	for (i = 0; i < b->nrows; i++)
		md_row(o, b->cells + i * b->ncols, b->ncols);
	if (b->kind == RL_SIGN)		/* room to sign */
		md_row(o, (const struct rl_cell[2]){ { .text = "" },
		    { .text = "" } }, 2);
}

static void
md_fields(struct out *o, const struct rl_block *b)
{
	size_t	i;

	raw(o, "\n");
	for (i = 0; i < b->nrows; i++) {
		raw(o, "- **");
		put(o, b->cells[2 * i].text);
		raw(o, "**: ");
		put(o, b->cells[2 * i + 1].text);
		raw(o, "\n");
	}
}

/* A chart as the table of its bars. */
static void
md_chart(struct out *o, const struct rl_block *b)
{
	struct rl_cell	head[2] = { { .text = "" },
			    { .text = b->unit, .align = RL_RIGHT } };
	size_t		i;

	if (b->head != NULL)
		head[0] = b->head[0];
	raw(o, "\n**");
	put(o, b->text);
	raw(o, "**\n\n");
	md_row(o, head, 2);
	md_rule(o, head, 2, 0);
	for (i = 0; i < b->nrows; i++) {
		raw(o, "| ");
		put(o, b->cells[i].text);
		raw(o, " | ");
		num(o, b->values[i]);
		raw(o, " |\n");
	}
}

static void
md_block(struct out *o, const struct rl_block *b)
{
	switch (b->kind) {
	case RL_TITLE:
		raw(o, "# ");
		put(o, b->text);
		raw(o, "\n");
		break;
	case RL_FIELDS:
		md_fields(o, b);
		break;
	case RL_HEADING:
		raw(o, b->level == 1 ? "\n## " : "\n**");
		put(o, b->text);
		raw(o, b->level == 1 ? "\n" : "**\n");
		break;
	case RL_PARA:
		raw(o, "\n");
		put(o, b->text);
		raw(o, "\n");
		break;
	case RL_CHART:
		md_chart(o, b);
		break;
	default:
		md_table(o, b);
	}
}

static int
write_md(struct out *o, const struct report_layout *l)
{
	size_t	i;

	for (i = 0; i < l->nblocks && o->err == 0; i++)
		md_block(o, &l->blocks[i]);
	return o->err;
}

/* ---- CSV: one row per figure ---- */

struct csvrow {
	const char	*section;
	const char	*office;
	const char	*figure;
	const char	*key;
};

static void
csv_cell(struct out *o, const char *s, int first)
{
	if (!first)
		raw(o, ",");
	if (text_put_csv(o->f, s, strlen(s)) != 0)
		o->err = ERR_IO;
}

static void
csv_row(struct out *o, const struct csvrow *r, const json_t *v)
{
	csv_cell(o, r->section, 1);
	csv_cell(o, r->office, 0);
	csv_cell(o, r->figure, 0);
	csv_cell(o, report_label(o->lang, r->figure), 0);
	csv_cell(o, r->key, 0);
	raw(o, ",");
	if (json_is_string(v))
		csv_cell(o, json_string_value(v), 1);
	else
		value(o, v);
	raw(o, "\r\n");
}

/* A breakdown row's key: its members but count, joined with " / ". */
static void
csv_key(char *buf, size_t len, const json_t *row)
{
	const char	*k;
	const json_t	*v;
	size_t		 n = 0;
	int		 m;

	buf[0] = '\0';
	json_object_foreach((json_t *)row, k, v) {
		if (strcmp(k, "count") == 0 || n >= len)
			continue;
		if (json_is_integer(v))
			m = snprintf(buf + n, len - n, "%s%"
			    JSON_INTEGER_FORMAT, n ? " / " : "",
			    json_integer_value(v));
		else
			m = snprintf(buf + n, len - n, "%s%s", n ? " / " : "",
			    json_is_string(v) ? json_string_value(v) : "");
		n = m < 0 || (size_t)m >= len - n ? len : n + (size_t)m;
	}
}

static void
csv_section(struct out *o, const char *section, const char *office,
    const json_t *sec)
{
	struct csvrow	 r = { section, office, NULL, "" };
	const char	*k, *k2;
	const json_t	*v, *v2;
	char		 key[1024];
	size_t		 i;

	json_object_foreach((json_t *)sec, k, v) {
		r.figure = k;
		r.key = "";
		if (json_is_array(v)) {
			json_array_foreach(v, i, v2) {
				csv_key(key, sizeof(key), v2);
				r.key = key;
				csv_row(o, &r, json_object_get(v2, "count"));
			}
		} else if (json_is_object(v)) {
			json_object_foreach((json_t *)v, k2, v2) {
				r.key = k2;
				csv_row(o, &r, v2);
			}
		} else
			csv_row(o, &r, v);
	}
}

static void
csv_controls(struct out *o, const char *office, const json_t *arr)
{
	struct csvrow	 r = { "controls", office, NULL, "status" };
	const json_t	*c, *v;
	const char	*k;
	size_t		 i;

	json_array_foreach(arr, i, c) {
		r.figure = json_string_value(json_object_get(c, "id"));
		r.key = "status";
		csv_row(o, &r, json_object_get(c, "status"));
		json_object_foreach(json_object_get(c, "evidence"), k, v) {
			r.key = k;
			csv_row(o, &r, v);
		}
	}
}

static void
csv_block(struct out *o, const json_t *b, const char *office)
{
	static const char *const	secs[] = { "coverage", "detections",
		"incidents", "notifications" };
	size_t				i;

	for (i = 0; i < sizeof(secs) / sizeof(*secs); i++)
		csv_section(o, secs[i], office, json_object_get(b, secs[i]));
	csv_controls(o, office, json_object_get(b, "controls"));
}

static int
write_csv(struct out *o, const json_t *doc)
{
	const json_t	*b;
	const char	*name;
	size_t		 i;

	raw(o, report_label(o->lang, "csv_header"));
	raw(o, "\r\n");
	csv_section(o, "report", "*", json_object_get(doc, "period"));
	csv_section(o, "report", "*", json_object_get(doc, "generated"));
	csv_section(o, "audit", "*", json_object_get(doc, "audit"));
	csv_section(o, "retention", "*", json_object_get(doc, "retention"));
	csv_controls(o, "*", json_object_get(doc, "controls"));
	json_array_foreach(json_object_get(doc, "offices"), i, b) {
		name = json_string_value(json_object_get(b, "office"));
		csv_block(o, b, name ? name : "");
	}
	csv_block(o, json_object_get(doc, "total"), "*");
	return o->err;
}

int
report_write(FILE *f, const json_t *doc, int format, int lang)
{
	struct out		 o = { f, lang == REPORT_EN ? REPORT_EN :
				    REPORT_VI, 0 };
	struct report_layout	*l;
	int			 rc;

	switch (format) {
	case REPORT_JSON:
		return text_print_json(f, doc);
	case REPORT_CSV:
		return write_csv(&o, doc);
	case REPORT_PDF:
		return report_pdf(f, doc, o.lang);
	case REPORT_MD:
	case REPORT_HTML:
		break;
	default:
		return ERR_USAGE;
	}
	if ((rc = report_layout_make(&l, doc, o.lang)) != 0)
		return rc;
	rc = format == REPORT_MD ? write_md(&o, l) : report_html_write(f, l);
	report_layout_free(l);
	return rc;
}
