/*
 * form.h: the incident report forms of Circular 20/2017/TT-BTTTT, filled
 * from the register and the office's details ([office] in the
 * configuration): Mẫu 03, the initial report ("Báo cáo ban đầu sự cố
 * mạng"), and Mẫu 04, the final report ("Báo cáo kết thúc ứng phó sự
 * cố"); docs/incidents.md, "Report forms".
 *
 * Vietnamese or English; HTML that prints on A4 (one self-contained
 * UTF-8 file, no external resources) or Markdown. Every text, ours and
 * the register's, is escaped for the format (text.h TEXT_HTML, TEXT_MD):
 * titles, notes, agent names and indicators come from agents and people.
 * What neither the register nor the configuration says is printed as a
 * blank line to fill by hand, never guessed.
 *
 * For the CLI (incident_cmd.c); reads the store, changes nothing.
 */
#ifndef VIGIL_FORM_H
#define VIGIL_FORM_H

#include <stdint.h>
#include <stdio.h>

struct store;
struct config_office;

enum form_lang { FORM_VI = 0, FORM_EN };
enum form_format { FORM_HTML = 0, FORM_MD };

struct form_opts {
	int		 final;		/* 1: Mẫu 04, 0: Mẫu 03 */
	int		 lang;		/* enum form_lang */
	int		 format;	/* enum form_format */
	int64_t		 now;		/* the report's time, Unix seconds */
};

/* Incident id's form to f. 0; ERR_NOTFOUND (no such incident), ERR_IO
 * (the store, logged; or writing f), ERR_NOMEM. */
int	form_write(FILE *f, struct store *, int64_t id,
	    const struct config_office *, const struct form_opts *);
/* "vigil-incident-ID-events.csv": the events' file the form names as its
 * attachment, made by `vigil-collector export`. */
void	form_attachment_name(char *out, size_t len, int64_t id);

#endif
