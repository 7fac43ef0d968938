/*
 * correlate_in.c: what correlation needs from one event (correlate.h,
 * correlate_extract), and its configuration.
 *
 * Input: an event an agent sent, already through event_parse (a JSON
 * object with a valid type and timestamp); everything else in it is the
 * agent's word, so every member is checked for its type and form and
 * left out when it does not fit. Strings are bounded and cut at UTF-8
 * character boundaries (jansson has checked they are valid UTF-8).
 * Runs on the event loop, once per alert, integrity or health event;
 * a few object lookups, no allocation. tests/fuzz/fuzz_correlate.c
 * fuzzes it.
 *
 * The mappings (docs/incidents.md, "Severity and category"):
 * severity from the rule's meta severity (a word, or 1..3 as in our
 * rules: 1 high), else score (0-100: 90 critical, 70 high, 50 medium),
 * else threat_level (0-10 or a word), else alert.severity (1 high, 2
 * medium, 3 low, as Suricata's priority); category from words in the
 * meta category, alert.category, the tags and the rule's name.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "correlate.h"
#include "taxonomy.h"

/* Copy at most max bytes of s, cut at a character boundary; 1 if cut. */
static int
copy_cut(char *dst, size_t max, const char *s)
{
	size_t	len = strlen(s);

	if (len <= max) {
		memcpy(dst, s, len + 1);
		return 0;
	}
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;				/* a continuation byte */
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 1;
}

static const char *
str(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- severity ---- */

/* A word: critical 4 .. low 1; 0 unknown. */
static int
sev_word(const char *s)
{
	static const struct { const char *w; int sev; } words[] = {
		{ "critical", SEV_CRITICAL }, { "high", SEV_HIGH },
		{ "medium", SEV_MEDIUM }, { "moderate", SEV_MEDIUM },
		{ "low", SEV_LOW }, { "info", SEV_LOW },
		{ "informational", SEV_LOW },
	};
	size_t	i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i].w) == 0)
			return words[i].sev;
	return 0;
}

/* 1 high, 2 medium, 3 low (vigil's meta, Suricata's priority). */
static int
sev_rank(json_int_t n)
{
	return n == 1 ? SEV_HIGH : n == 2 ? SEV_MEDIUM : n >= 3 && n <= 255 ?
	    SEV_LOW : 0;
}

static int
sev_meta(const json_t *meta)
{
	const json_t	*v;
	json_int_t	 n;
	int		 sev;

	v = json_object_get(meta, "severity");
	if (json_is_string(v) && ((sev = sev_word(json_string_value(v))) ||
	    (strlen(json_string_value(v)) == 1 && (sev = sev_rank(
	    json_string_value(v)[0] - '0')) != 0 &&
	    json_string_value(v)[0] <= '3')))
		return sev;
	if (json_is_integer(v) && json_integer_value(v) <= 3 &&
	    (sev = sev_rank(json_integer_value(v))) != 0)
		return sev;
	v = json_object_get(meta, "score");
	if (json_is_integer(v) && (n = json_integer_value(v)) >= 0 &&
	    n <= 100)
		return n >= 90 ? SEV_CRITICAL : n >= 70 ? SEV_HIGH :
		    n >= 50 ? SEV_MEDIUM : SEV_LOW;
	v = json_object_get(meta, "threat_level");
	if (json_is_string(v) && (sev = sev_word(json_string_value(v))) != 0)
		return sev;
	if (json_is_integer(v) && (n = json_integer_value(v)) >= 0 &&
	    n <= 10)
		return n >= 9 ? SEV_CRITICAL : n >= 7 ? SEV_HIGH :
		    n >= 4 ? SEV_MEDIUM : SEV_LOW;
	return 0;
}

/* ---- category ---- */

/* The first word list that a text holds, in this order. */
static const struct {
	const char	*code;
	const char	*words[8];
} cat_words[] = {
	{ "encryption", { "ransom", "crypt0", "locker", NULL } },
	{ "destruction", { "wiper", "destruct", NULL } },
	{ "defacement", { "deface", NULL } },
	{ "intrusion", { "webshell", "web_shell", "web shell", "backdoor",
	    "exploit", "privesc", "rootkit", NULL } },
	{ "data-theft", { "stealer", "keylog", "spyware", "exfil",
	    "credential", NULL } },
	{ "spoofing", { "phish", "spoof", NULL } },
	{ "dos", { "ddos", "denial", NULL } },
	{ "malware", { "malware", "trojan", "virus", "worm", "miner",
	    "hacktool", NULL } },
};

static const char *
cat_of(const char *s)
{
	size_t	i, j;

	for (i = 0; s != NULL && i < sizeof(cat_words) / sizeof(cat_words[0]);
	    i++)
		for (j = 0; cat_words[i].words[j] != NULL; j++)
			if (strcasestr(s, cat_words[i].words[j]) != NULL)
				return cat_words[i].code;
	return NULL;
}

static const char *
category(const json_t *root, const json_t *alert, const char *name)
{
	const json_t	*yara = json_object_get(root, "yara"), *tags, *v;
	const char	*c;
	size_t		 i;

	if ((c = cat_of(str(json_object_get(yara, "meta"), "category"))) ||
	    (c = cat_of(str(alert, "category"))))
		return c;
	tags = json_object_get(yara, "tags");
	json_array_foreach(tags, i, v)
		if (json_is_string(v) && (c = cat_of(json_string_value(v))))
			return c;
	if ((c = cat_of(name)) != NULL)
		return c;
	return json_is_object(yara) ? "malware" : "other";
}

/* ---- indicators ---- */

static void
ind_add(struct correlate_in *out, int kind, const char *v)
{
	size_t	i;

	if (out->nind >= CORR_IND_MAX)
		return;
	for (i = 0; i < out->nind; i++)
		if (out->ind[i].kind == kind &&
		    strcmp(out->ind[i].value, v) == 0)
			return;
	out->ind[out->nind].kind = (uint8_t)kind;
	(void)snprintf(out->ind[out->nind].value, CORR_VALUE_MAX + 1, "%s", v);
	out->nind++;
}

static void
ind_hash(struct correlate_in *out, const char *s)
{
	char	h[65];
	size_t	i;

	if (s == NULL || strlen(s) != 64)
		return;
	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return;
		h[i] = (char)tolower((unsigned char)s[i]);
	}
	h[64] = '\0';
	ind_add(out, CIND_HASH, h);
}

/* A public address only: the office's own are not indicators. */
static void
ind_ip(struct correlate_in *out, const char *s)
{
	unsigned char	a[16];
	char		buf[INET6_ADDRSTRLEN];

	if (s == NULL)
		return;
	if (inet_pton(AF_INET, s, a) == 1) {
		if (a[0] == 10 || a[0] == 127 || a[0] == 0 || a[0] >= 224 ||
		    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) ||
		    (a[0] == 169 && a[1] == 254) ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64))
			return;
		if (inet_ntop(AF_INET, a, buf, sizeof(buf)) != NULL)
			ind_add(out, CIND_IP, buf);
	} else if (inet_pton(AF_INET6, s, a) == 1) {
		if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe &&
		    (a[1] & 0xc0) == 0x80) || a[0] == 0xff ||
		    memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15) == 0)
			return;
		if (inet_ntop(AF_INET6, a, buf, sizeof(buf)) != NULL)
			ind_add(out, CIND_IP, buf);
	}
}

static void
ind_domain(struct correlate_in *out, const char *s)
{
	char	d[CORR_VALUE_MAX + 1];
	size_t	i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > CORR_VALUE_MAX)
		return;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return;
		d[i] = (char)tolower((unsigned char)s[i]);
	}
	d[len] = '\0';
	ind_add(out, CIND_DOMAIN, d);
}

/* ---- the kinds ---- */

static void
alert_in(struct correlate_in *out, const json_t *root)
{
	const json_t	*alert = json_object_get(root, "alert");
	const json_t	*yara = json_object_get(root, "yara");
	const json_t	*gid = json_object_get(alert, "gid");
	const json_t	*sid = json_object_get(alert, "signature_id");
	const json_t	*sev = json_object_get(alert, "severity");
	const char	*name;
	char		 rule[48];
	int		 s;

	if (!json_is_integer(sid) || json_integer_value(sid) < 0 ||
	    json_integer_value(sid) > UINT32_MAX)
		return;
	(void)snprintf(rule, sizeof(rule), "%lld:%lld", json_is_integer(gid) &&
	    json_integer_value(gid) >= 0 && json_integer_value(gid) <=
	    UINT32_MAX ? (long long)json_integer_value(gid) : 1LL,
	    (long long)json_integer_value(sid));
	out->kind = CORR_ALERT;
	if ((name = str(alert, "signature")) == NULL &&
	    (name = str(yara, "rule")) == NULL)
		name = "";
	out->name_cut = (uint8_t)copy_cut(out->name, CORR_NAME_MAX, name);
	if ((s = sev_meta(json_object_get(yara, "meta"))) == 0 &&
	    (s = json_is_integer(sev) ? sev_rank(json_integer_value(sev)) :
	    0) == 0)
		s = SEV_MEDIUM;
	out->severity = (uint8_t)s;
	(void)snprintf(out->category, sizeof(out->category), "%s",
	    category(root, alert, name));
	ind_add(out, CIND_RULE, rule);
	ind_hash(out, str(json_object_get(root, "file"), "sha256"));
	ind_ip(out, str(root, "src_ip"));
	ind_ip(out, str(root, "dest_ip"));
	ind_domain(out, str(json_object_get(root, "tls"), "sni"));
	ind_domain(out, str(json_object_get(root, "http"), "hostname"));
	ind_domain(out, str(json_object_get(root, "dns"), "rrname"));
}

static void
integrity_in(struct correlate_in *out, const json_t *root)
{
	const char	*path = str(json_object_get(root, "integrity"), "path");

	if (path == NULL || path[0] != '/')
		return;
	out->kind = CORR_INTEGRITY;
	out->severity = SEV_HIGH;
	(void)snprintf(out->category, sizeof(out->category), "intrusion");
	out->name_cut = (uint8_t)copy_cut(out->name, CORR_NAME_MAX, path);
}

static void
health_in(struct correlate_in *out, const json_t *root)
{
	static const char *const reasons[] = { "quota", "refused", "spool",
	    "capture", "drops" };
	const json_t	*h = json_object_get(root, "agent_health");
	const char	*why = "report";
	size_t		 i;

	if (!json_is_object(h))
		return;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (json_object_get(h, reasons[i]) != NULL) {
			why = reasons[i];
			break;
		}
	out->kind = CORR_HEALTH;
	out->severity = SEV_MEDIUM;
	(void)snprintf(out->category, sizeof(out->category), "other");
	(void)snprintf(out->name, sizeof(out->name), "%s", why);
}

void
correlate_extract(struct correlate_in *out, const char *type,
    const json_t *root)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(root) || type == NULL)
		return;
	if (strcmp(type, "alert") == 0)
		alert_in(out, root);
	else if (strcmp(type, "integrity") == 0)
		integrity_in(out, root);
	else if (strcmp(type, "agent_health") == 0)
		health_in(out, root);
}

/* ---- configuration ---- */

void
correlate_conf_from(struct correlate_conf *c,
    const struct collector_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->enabled = cfg->corr_enabled;
	c->window_s = cfg->corr_window_s;
	c->spread_agents = cfg->corr_spread_agents;
	c->spread_window_s = cfg->corr_spread_window_s;
	c->offline_s = cfg->corr_offline_s;
	c->max_groups = cfg->corr_max_groups;
	c->critical = &cfg->corr_critical;
	c->deadline_s = cfg->report_deadline_s;
}
