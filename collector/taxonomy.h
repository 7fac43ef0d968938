/*
 * taxonomy.h: the words of the incident register (docs/taxonomy.md):
 * categories (those of the national incident-reporting forms, Circular
 * 20/2017/TT-BTTTT, with ENISA's reference classification beside them),
 * severities, TLP labels, statuses with their allowed transitions, and
 * resolutions.
 *
 * Each word has a stable ASCII code, the one stored and typed on the
 * command line; codes never change once released. Every function is pure
 * and safe from any thread. Parsers compare codes without regard to case
 * and return ERR_MALFORMED for an unknown word (the caller quotes it).
 */
#ifndef VIGIL_TAXONOMY_H
#define VIGIL_TAXONOMY_H

#include <stddef.h>

struct taxonomy_category {
	const char	*code;		/* "dos", ... */
	const char	*vi;		/* the form's wording, UTF-8 */
	const char	*en;
	const char	*enisa_class;	/* ENISA reference taxonomy class */
	const char	*enisa_type;	/* its type, or NULL where none fits */
};

enum taxonomy_severity {
	SEV_LOW = 1,
	SEV_MEDIUM,
	SEV_HIGH,
	SEV_CRITICAL,
};

/* TLP 2.0; CLEAR is also read as WHITE (TLP 1.0). */
enum taxonomy_tlp {
	TLP_CLEAR = 1,
	TLP_GREEN,
	TLP_AMBER,
	TLP_AMBER_STRICT,
	TLP_RED,
};

enum taxonomy_status {
	ST_NEW = 1,
	ST_ACKNOWLEDGED,
	ST_INVESTIGATING,
	ST_CONTAINED,
	ST_RESOLVED,
	ST_CLOSED,
};

enum taxonomy_resolution {
	RES_NONE = 0,			/* not resolved (yet, or reopened) */
	RES_TRUE_POSITIVE,
	RES_FALSE_POSITIVE,
	RES_INDETERMINATE,
	RES_DUPLICATE,
};

/* The category with this code, or NULL. */
const struct taxonomy_category *taxonomy_category(const char *code);
/* All of them, in the forms' order; *n gets the count. */
const struct taxonomy_category *taxonomy_categories(size_t *n);

/* Parse a code into *out: 0 or ERR_MALFORMED (*out unchanged). */
int	taxonomy_severity_parse(int *out, const char *s);
int	taxonomy_tlp_parse(int *out, const char *s);
int	taxonomy_status_parse(int *out, const char *s);
int	taxonomy_resolution_parse(int *out, const char *s);	/* not "" */

/* The code of a value ("high", "amber+strict", "investigating",
 * "false-positive"; "" for RES_NONE); NULL for a value out of range. */
const char *taxonomy_severity_name(int);
const char *taxonomy_tlp_name(int);
const char *taxonomy_status_name(int);
const char *taxonomy_resolution_name(int);

/*
 * Status transitions (docs/taxonomy.md has the table). 1 if an incident
 * may go from one status to the other, else 0. resolved is reached only
 * with a resolution (`incidents resolve`); a reopen is resolved or
 * closed -> investigating.
 */
int	taxonomy_status_allowed(int from, int to);
/* The statuses allowed after from, as "a, b, c" into out[outlen]
 * (always NUL-terminated; "none" when there are none). */
void	taxonomy_status_next(char *out, size_t outlen, int from);
/* 1 if going from one status to the other reopens the incident. */
int	taxonomy_status_reopens(int from, int to);

#endif
