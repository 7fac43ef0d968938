/*
 * report_layout.h: the periodic report laid out for people, in one
 * language: a list of blocks (title, fields, headings, sentences,
 * tables, charts, the signature block) that the Markdown, HTML and PDF
 * writers render, each in its own medium. Every word of the report is
 * chosen here, once (report_layout.c holds the Vietnamese and English
 * tables); the writers add no words and compute no figures, so a figure
 * or a label cannot differ between formats.
 *
 * Text in a layout is UTF-8 as it will be read, NOT escaped: names of
 * offices, agents and rules come from agents, and each writer escapes
 * every string for its format (text.h).
 *
 * The layout owns every string and array it points to; it lives until
 * report_layout_free(). Load: a province's report, a few thousand
 * blocks and cells.
 */
#ifndef VIGIL_REPORT_LAYOUT_H
#define VIGIL_REPORT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum rl_kind {
	RL_TITLE = 0,	/* text: the report's title, once, first */
	RL_FIELDS,	/* a table of two columns without a head: label,
			 * value (period, office, generated at/by, version,
			 * audit head) */
	RL_HEADING,	/* text; level 1 a numbered section ("2. Coverage"),
			 * level 2 a table's caption inside it */
	RL_PARA,	/* text: a paragraph (the summary's sentences) */
	RL_TABLE,	/* head[ncols], cells[nrows * ncols] row by row;
			 * nrows may be 0 (text then says "None") */
	RL_CHART,	/* a bar chart: nrows bars, cells[i] the i-th bar's
			 * label (ncols 1), values[i] its height (>= 0);
			 * text: its caption; unit: what a bar counts;
			 * head[0]: what the labels are ("Day"), for a
			 * writer that shows the bars as a table */
	RL_SIGN,	/* the signature block: ncols 2, head[] who signs,
			 * cells[] the note under each (row 0) */
};

enum rl_align { RL_LEFT = 0, RL_RIGHT };	/* numbers right */

enum rl_mark {
	RL_PLAIN = 0,
	RL_PASS,	/* a control passed: a writer may colour it */
	RL_FAIL,
	RL_UNKNOWN,
};

struct rl_cell {
	const char	*text;		/* never NULL; "" for empty */
	uint8_t		 align;		/* enum rl_align */
	uint8_t		 mark;		/* enum rl_mark */
	uint8_t		 mono;		/* a hash or id: fixed width, may
					 * break anywhere */
};

struct rl_block {
	int			 kind;		/* enum rl_kind */
	int			 level;		/* RL_HEADING: 1 or 2 */
	const char		*text;		/* TITLE, HEADING, PARA, CHART's
						 * caption, TABLE's text when
						 * it has no rows; else NULL */
	const char		*unit;		/* RL_CHART: "alerts" in words */
	size_t			 ncols, nrows;
	const struct rl_cell	*head;		/* ncols; NULL for FIELDS */
	const struct rl_cell	*cells;		/* nrows * ncols */
	const int64_t		*values;	/* RL_CHART: nrows */
};

struct report_layout {
	int			 lang;		/* enum report_lang */
	const char		*title;		/* for running heads: title */
	const char		*subtitle;	/* "Tháng 2026-11 · Xã A" */
	const char		*page_word;	/* "Trang" / "Page" */
	const struct rl_block	*blocks;
	size_t			 nblocks;
};

/* The report document (report_build()) laid out in lang (enum
 * report_lang). 0, ERR_NOMEM; ERR_MALFORMED when doc lacks what
 * report_build() always writes. */
int	report_layout_make(struct report_layout **out, const json_t *doc,
	    int lang);
void	report_layout_free(struct report_layout *);

/* The words for a member name of the document ("enrolled", "top_rules")
 * in lang; the name itself when it has none. For the CSV writer. */
const char	*report_label(int lang, const char *key);

#endif
