/*
 * fuzz_correlate.c: untrusted events as correlation reads them
 * (collector/correlate_in.c, correlate_extract).
 *
 * Each input that event_parse_root accepts is read by correlate_extract,
 * as the collector's event loop does for every event an agent sends.
 * What comes out must hold what correlate.h promises: a known kind, a
 * severity of the taxonomy and a category code of it for anything to
 * correlate, NUL-terminated valid UTF-8 strings within their bounds, at
 * most CORR_IND_MAX indicators of known kinds and non-empty values, and
 * an alert always with its rule. Each input is parsed twice, with
 * jansson's allocations from malloc and from a small arena (jarena.h, as
 * the collector parses; a small one so that big trees spill to malloc):
 * both must give the same result, and the arena must end with nothing
 * live.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "event.h"
#include "jarena.h"
#include "taxonomy.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_str(const char *s, size_t size)
{
	size_t	len = strnlen(s, size);

	check(len < size);
	check(text_utf8_valid(s, len));
}

/* What the collector's intake reads of data, parsed in arena a (NULL:
 * malloc); 0 if event_parse_root refuses it. */
static int
extract(struct correlate_in *in, struct jarena *a, const uint8_t *data,
    size_t size)
{
	struct event_meta	 m;
	json_t			*root;
	int			 ok;

	memset(in, 0, sizeof(*in));
	if (a != NULL)
		jarena_begin(a);
	if ((ok = event_parse_root(&m, &root, (const char *)data, size,
	    NULL) == 0)) {
		correlate_extract(in, m.type, root);
		json_decref(root);
	}
	if (a != NULL)
		jarena_end(a);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jarena	 arena;
	struct correlate_in	 in, in2;
	size_t			 i;
	int			 rule = 0;

	if (arena.base == NULL) {
		jarena_install();
		check(jarena_init(&arena, 4096) == 0);
	}
	if (!extract(&in, NULL, data, size)) {
		check(!extract(&in2, &arena, data, size));
		return 0;
	}
	check(extract(&in2, &arena, data, size));
	check(memcmp(&in, &in2, sizeof(in)) == 0);
	check(arena.live == 0 && arena.len == 0);
	check(in.kind <= CORR_HEALTH);
	if (in.kind == CORR_NONE)
		return 0;
	check(taxonomy_severity_name(in.severity) != NULL);
	check_str(in.category, sizeof(in.category));
	check(taxonomy_category(in.category) != NULL);
	check_str(in.name, sizeof(in.name));
	check(in.nind <= CORR_IND_MAX);
	for (i = 0; i < in.nind; i++) {
		check(in.ind[i].kind >= CIND_RULE &&
		    in.ind[i].kind <= CIND_DOMAIN);
		check_str(in.ind[i].value, sizeof(in.ind[i].value));
		check(in.ind[i].value[0] != '\0');
		rule += in.ind[i].kind == CIND_RULE;
	}
	check(in.kind != CORR_ALERT || rule == 1);
	return 0;
}
