/*
 * fuzz_rules.c: rule text through the parser (agent/net/rule.c) and its
 * address and port sets (rulevars.c). A rule that parses is cleared; the
 * context (variables, flowbit names) lives across inputs, as it does
 * across the rules of a file, and is rebuilt every 4096 inputs so that
 * interned names cannot pile up.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rule.h"
#include "rulevars.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct rulevars	*rv;
	static struct rule_ctx	*ctx;
	static unsigned		 runs;
	struct rule		 r;
	struct rule_err		 e;

	if (runs++ % 4096 == 0) {
		rule_ctx_free(ctx);
		rulevars_free(rv);
		if ((rv = rulevars_new()) == NULL ||
		    (ctx = rule_ctx_new(rv, NULL)) == NULL)
			abort();
	}
	if (rule_parse(&r, ctx, (const char *)data, len, &e) == 0)
		rule_clear(&r);
	return 0;
}
