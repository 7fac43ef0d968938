/*
 * fuzz_config.c: libFuzzer target for common/config.c.
 *
 * Like wireguard-tools' fuzz/config.c, it #includes the parser's .c to
 * reach the static loaders, and feeds them the input from memory
 * (fmemopen), once as an agent and once as a collector configuration.
 * The input, cut at its first NUL and newline, also goes through every
 * public value parser, and the host:port parser with host buffers from 0
 * to 9 bytes. Nothing may crash, leak or trip a sanitizer; a successful
 * load must leave the configuration within its documented ranges.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.c"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz_config", LOG_LVL_ERROR, 0);	/* no warnx noise */
	return 0;
}

static uint64_t
value_of(const void *cfg, const struct option *o)
{
	const char	*p = (const char *)cfg + o->offset;
	uint64_t	 v;
	int		 iv;

	if (o->size == sizeof(iv)) {
		memcpy(&iv, p, sizeof(iv));
		return (uint64_t)iv;
	}
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Every numeric option of a loaded configuration is within its row, or
 * still its built-in default (def: the configuration of an empty file;
 * a default may mean "not said", such as [office] security_level 0). */
static void
check_ranges(const void *cfg, const void *def, const struct option *opts,
    size_t n)
{
	uint64_t	v;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (opts[i].parse != parse_number)
			continue;
		v = value_of(cfg, &opts[i]);
		if ((v < opts[i].min || v > opts[i].max) &&
		    v != value_of(def, &opts[i]))
			abort();
	}
}

static void
load_both(const uint8_t *data, size_t len)
{
	static struct agent_config	 adef;
	static struct collector_config	 cdef;
	static int			 have_def;
	static char			 empty[] = "\n";
	struct agent_config		 a;
	struct collector_config		 c;
	FILE				*fp;

	if (!have_def) {	/* the defaults: an empty file's */
		if ((fp = fmemopen(empty, 1, "r")) == NULL ||
		    agent_load_fp(&adef, "empty", fp) != 0)
			abort();
		fclose(fp);
		if ((fp = fmemopen(empty, 1, "r")) == NULL ||
		    collector_load_fp(&cdef, "empty", fp) != 0)
			abort();
		fclose(fp);
		have_def = 1;
	}
	if ((fp = fmemopen((void *)(uintptr_t)data, len, "r")) != NULL) {
		if (agent_load_fp(&a, "fuzz", fp) == 0) {
			check_ranges(&a, &adef, agent_opts,
			    NITEMS(agent_opts));
			if (a.backoff_max_ms < a.backoff_min_ms)
				abort();
		}
		fclose(fp);
	}
	if ((fp = fmemopen((void *)(uintptr_t)data, len, "r")) != NULL) {
		if (collector_load_fp(&c, "fuzz", fp) == 0)
			check_ranges(&c, &cdef, collector_opts,
			    NITEMS(collector_opts));
		fclose(fp);
	}
}

static void
parse_values(const char *s)
{
	char		host[CONFIG_ADDR_MAX];
	uint64_t	u;
	int64_t		d;
	uint16_t	port;
	size_t		hostlen;
	int		b;

	(void)config_parse_duration(&d, s);
	(void)config_parse_duration_ms(&d, s);
	(void)config_parse_size(&u, s);
	(void)config_parse_bool(&b, s);
	for (hostlen = 0; hostlen < 10; hostlen++) {
		if (config_parse_hostport(host, hostlen, &port, s) == 0 &&
		    strlen(host) >= hostlen)
			abort();
	}
	if (config_parse_hostport(host, sizeof(host), &port, s) == 0 &&
	    port == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	*s;

	if (len == 0)		/* fmemopen wants a buffer */
		return 0;
	load_both(data, len);
	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	s[strcspn(s, "\n")] = '\0';
	parse_values(s);
	free(s);
	return 0;
}
