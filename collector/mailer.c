/*
 * mailer.c: the curl options of the collector's outgoing transfers
 * (mailer.h): the early warning's webhooks and mail, the scheduled
 * report's mail.
 *
 * Invariants: certificates are always checked (VERIFYPEER, VERIFYHOST
 * 2), no redirect is followed, only the protocols named are spoken;
 * smtp_starttls = yes is CURLUSESSL_ALL (no plain text after a refused
 * STARTTLS). No secret reaches a log line: mailer_host() drops the
 * user and password of a URL and its path (a bot's token).
 * Load: a few transfers a minute at most.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "log.h"
#include "mailer.h"

int
mailer_init(struct mailer *m, const struct collector_config *cfg,
    const char *who)
{
	FILE	*f;
	size_t	 k;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	if (*cfg->notify_smtp_password_file == '\0')
		return 0;
	if ((f = fopen(cfg->notify_smtp_password_file, "re")) == NULL) {
		log_warn("%s: smtp_password_file %s", who,
		    cfg->notify_smtp_password_file);
		return ERR_CONFIG;
	}
	k = fread(m->password, 1, sizeof(m->password) - 1, f);
	fclose(f);
	m->password[k] = '\0';
	m->password[strcspn(m->password, "\r\n")] = '\0';
	return 0;
}

void
mailer_clear(struct mailer *m)
{
	sodium_memzero(m->password, sizeof(m->password));
}

int
mailer_on(const struct mailer *m)
{
	return *m->cfg->notify_smtp != '\0';
}

int
mailer_curl_common(const struct mailer *m, CURL *c, const char *url,
    const char *protos, char *err)
{
	const struct collector_config	*cfg = m->cfg;
	int				 t = cfg->notify_timeout_s;

	return curl_easy_setopt(c, CURLOPT_URL, url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protos) ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)t) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    (long)(t < 5 ? t : 5)) ||
	    (*cfg->notify_ca_file && (curl_easy_setopt(c, CURLOPT_CAINFO,
	    cfg->notify_ca_file) || curl_easy_setopt(c, CURLOPT_CAPATH,
	    NULL))) ? -1 : 0;
}

/* "<addr>" appended to *l. */
static int
rcpt_add(struct curl_slist **l, const char *addr)
{
	struct curl_slist	*n;
	char			 b[CONFIG_ITEM_MAX + 2];

	(void)snprintf(b, sizeof(b), "<%s>", addr);
	if ((n = curl_slist_append(*l, b)) == NULL)
		return -1;
	*l = n;
	return 0;
}

int
mailer_envelope(const struct mailer *m, CURL *c, const struct config_list *to,
    struct curl_slist **rcpt, char *err)
{
	const struct collector_config	*cfg = m->cfg;
	char				 from[CONFIG_ITEM_MAX + 2];
	int				 i;

	for (i = 0; i < to->n; i++)
		if (rcpt_add(rcpt, to->item[i]) != 0)
			return -1;
	(void)snprintf(from, sizeof(from), "<%s>", cfg->notify_mail_from);
	return mailer_curl_common(m, c, cfg->notify_smtp, "smtp,smtps", err) ||
	    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from) ||
	    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, *rcpt) ||
	    curl_easy_setopt(c, CURLOPT_USE_SSL, cfg->notify_smtp_starttls ?
	    (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY) ||
	    (*cfg->notify_smtp_user && (curl_easy_setopt(c, CURLOPT_USERNAME,
	    cfg->notify_smtp_user) || curl_easy_setopt(c, CURLOPT_PASSWORD,
	    m->password))) ? -1 : 0;
}

void
mailer_host(char *out, size_t outlen, const char *url)
{
	const char	*h = strstr(url, "://"), *at;
	size_t		 k;

	h = h ? h + 3 : url;
	at = strchr(h, '@');
	if (at != NULL && at < h + strcspn(h, "/"))
		h = at + 1;			/* user:password@ */
	k = strcspn(h, "/?#");
	(void)snprintf(out, outlen, "%.*s", (int)k, h);
}

int
mailer_encode_word(char *out, size_t outlen, const char *s)
{
	static const char	pre[] = "=?UTF-8?B?", post[] = "?=";
	size_t			len = strlen(s), blen;

	blen = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	/* blen counts the NUL that post's end takes */
	if (outlen < sizeof(pre) + sizeof(post) ||
	    blen > outlen - (sizeof(pre) - 1) - (sizeof(post) - 1))
		return ERR_TOOBIG;
	memcpy(out, pre, sizeof(pre) - 1);
	sodium_bin2base64(out + sizeof(pre) - 1, blen,
	    (const unsigned char *)s, len, sodium_base64_VARIANT_ORIGINAL);
	memcpy(out + sizeof(pre) - 1 + blen - 1, post, sizeof(post));
	return 0;
}
