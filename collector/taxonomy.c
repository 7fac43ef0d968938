/*
 * taxonomy.c: the register's vocabulary (taxonomy.h, docs/taxonomy.md).
 *
 * Tables of a handful of entries each, searched linearly: a few string
 * comparisons per command-line argument or stored row read.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "taxonomy.h"

static const struct taxonomy_category categories[] = {
	{ "dos", "Tấn công từ chối dịch vụ", "Denial of service",
	    "Availability", "DoS / DDoS" },
	{ "spoofing", "Tấn công giả mạo", "Spoofing",
	    "Fraud", "Masquerade" },
	{ "malware", "Tấn công sử dụng mã độc", "Malware",
	    "Malicious Code", "Infected System" },
	{ "intrusion",
	    "Tấn công truy cập trái phép, chiếm quyền điều khiển",
	    "Unauthorised access or takeover",
	    "Intrusions", "Privileged Account Compromise" },
	{ "defacement", "Tấn công thay đổi giao diện", "Defacement",
	    "Information Content Security",
	    "Unauthorised modification of information" },
	{ "encryption", "Tấn công mã hóa phần mềm, dữ liệu, thiết bị",
	    "Encryption of software, data or devices (ransomware)",
	    "Information Content Security",
	    "Unauthorised modification of information" },
	{ "destruction", "Tấn công phá hoại thông tin, dữ liệu, phần mềm",
	    "Destruction of information, data or software",
	    "Information Content Security",
	    "Unauthorised modification of information" },
	{ "data-theft",
	    "Tấn công nghe lén, gián điệp, lấy cắp thông tin, dữ liệu",
	    "Eavesdropping, espionage, theft of information or data",
	    "Information Content Security",
	    "Unauthorised access to information" },
	{ "combined", "Tấn công tổng hợp sử dụng kết hợp nhiều hình thức",
	    "Combined attack using several methods", "Other", NULL },
	{ "other", "Các hình thức tấn công khác", "Other kinds of attack",
	    "Other", NULL },
};

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* Index 0 of each is unused: the enums start at 1. */
static const char *const severities[] = { NULL, "low", "medium", "high",
    "critical" };
static const char *const tlps[] = { NULL, "clear", "green", "amber",
    "amber+strict", "red" };
static const char *const statuses[] = { NULL, "new", "acknowledged",
    "investigating", "contained", "resolved", "closed" };
static const char *const resolutions[] = { "", "true-positive",
    "false-positive", "indeterminate", "duplicate" };

/*
 * allowed[from][to]: the transitions of `incidents ack`, `status` and
 * `resolve`. resolved is reached only by `resolve`, which records why
 * (incident.c refuses it without a resolution); closed only
 * from resolved, so that every closed incident has a resolution (merge
 * is the one other way there: it sets duplicate). A reopen goes back to
 * investigating.
 */
static const unsigned char allowed[7][7] = {
	[ST_NEW] = { [ST_ACKNOWLEDGED] = 1, [ST_INVESTIGATING] = 1,
	    [ST_CONTAINED] = 1, [ST_RESOLVED] = 1 },
	[ST_ACKNOWLEDGED] = { [ST_INVESTIGATING] = 1, [ST_CONTAINED] = 1,
	    [ST_RESOLVED] = 1 },
	[ST_INVESTIGATING] = { [ST_CONTAINED] = 1, [ST_RESOLVED] = 1 },
	[ST_CONTAINED] = { [ST_INVESTIGATING] = 1, [ST_RESOLVED] = 1 },
	[ST_RESOLVED] = { [ST_INVESTIGATING] = 1, [ST_CLOSED] = 1 },
	[ST_CLOSED] = { [ST_INVESTIGATING] = 1 },
};

const struct taxonomy_category *
taxonomy_category(const char *code)
{
	size_t	i;

	for (i = 0; i < N(categories); i++)
		if (strcmp(categories[i].code, code) == 0)
			return &categories[i];
	return NULL;
}

const struct taxonomy_category *
taxonomy_categories(size_t *n)
{
	*n = N(categories);
	return categories;
}

/* The index of s in names[first..n), or ERR_MALFORMED. */
static int
lookup(int *out, const char *const *names, size_t first, size_t n,
    const char *s)
{
	size_t	i;

	for (i = first; i < n; i++) {
		if (strcasecmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return ERR_MALFORMED;
}

static const char *
name(const char *const *names, size_t first, size_t n, int v)
{
	if (v < (int)first || (size_t)v >= n)
		return NULL;
	return names[v];
}

int
taxonomy_severity_parse(int *out, const char *s)
{
	return lookup(out, severities, 1, N(severities), s);
}

int
taxonomy_tlp_parse(int *out, const char *s)
{
	if (strncasecmp(s, "TLP:", 4) == 0)
		s += 4;
	if (strcasecmp(s, "white") == 0) {	/* TLP 1.0's name */
		*out = TLP_CLEAR;
		return 0;
	}
	return lookup(out, tlps, 1, N(tlps), s);
}

int
taxonomy_status_parse(int *out, const char *s)
{
	return lookup(out, statuses, 1, N(statuses), s);
}

int
taxonomy_resolution_parse(int *out, const char *s)
{
	return lookup(out, resolutions, 1, N(resolutions), s);
}

const char *
taxonomy_severity_name(int v)
{
	return name(severities, 1, N(severities), v);
}

const char *
taxonomy_tlp_name(int v)
{
	return name(tlps, 1, N(tlps), v);
}

const char *
taxonomy_status_name(int v)
{
	return name(statuses, 1, N(statuses), v);
}

const char *
taxonomy_resolution_name(int v)
{
	return name(resolutions, 0, N(resolutions), v);
}

int
taxonomy_status_allowed(int from, int to)
{
	if (from < ST_NEW || from > ST_CLOSED || to < ST_NEW || to > ST_CLOSED)
		return 0;
	return allowed[from][to];
}

int
taxonomy_status_reopens(int from, int to)
{
	return (from == ST_RESOLVED || from == ST_CLOSED) &&
	    to == ST_INVESTIGATING && taxonomy_status_allowed(from, to);
}

void
taxonomy_status_next(char *out, size_t outlen, int from)
{
	size_t	used = 0;
	int	to, n;

	out[0] = '\0';
	for (to = ST_NEW; to <= ST_CLOSED; to++) {
		if (!taxonomy_status_allowed(from, to))
			continue;
		n = snprintf(out + used, outlen - used, "%s%s",
		    used ? ", " : "", statuses[to]);
		if (n < 0 || (size_t)n >= outlen - used)
			return;		/* cut: still NUL-terminated */
		used += (size_t)n;
	}
	if (used == 0)
		(void)snprintf(out, outlen, "none");
}
