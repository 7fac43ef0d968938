/*
 * mailer.h: the collector's one way out to a web hook or a mail relay
 * through libcurl, shared by the early warning (notify.c) and the
 * scheduled report (report_sched.c).
 *
 * [notify] holds the relay (smtp, smtp_starttls, smtp_user,
 * smtp_password_file, mail_from, ca_file, timeout); each user brings
 * its own recipients and message. Every transfer checks certificates,
 * follows no redirect, raises no signal and is bounded by the timeout;
 * smtp_starttls = yes never falls back to plain text.
 *
 * Any thread; a struct mailer is its owner's (it holds the password).
 */
#ifndef VIGIL_MAILER_H
#define VIGIL_MAILER_H

#include <stddef.h>

#include <curl/curl.h>

#include "config.h"

#define MAILER_PASSWORD_MAX	256

struct mailer {
	const struct collector_config	*cfg;	/* borrowed, outlives it */
	char		 password[MAILER_PASSWORD_MAX];
};

/* From cfg's [notify] (borrowed): reads smtp_password_file. 0, or
 * ERR_CONFIG (logged, as "WHO: smtp_password_file PATH: why"). */
int	mailer_init(struct mailer *, const struct collector_config *cfg,
	    const char *who);
/* Wipes the password. */
void	mailer_clear(struct mailer *);

/* Is a relay configured ([notify] smtp)? */
int	mailer_on(const struct mailer *);

/* The options every transfer shares, on c: url, the protocols allowed
 * ("https", "smtp,smtps"), certificates checked (ca_file, else the
 * system's), no redirects, no signals, the timeouts; err (of
 * CURL_ERROR_SIZE bytes) gets curl's words. 0, or -1 (an option
 * refused). */
int	mailer_curl_common(const struct mailer *, CURL *c, const char *url,
	    const char *protos, char *err);

/* The relay's options and the envelope on c: the relay URL, MAIL FROM,
 * an RCPT TO for each of to (its list in *rcpt, for the caller to free
 * with curl_slist_free_all after the transfer, also on failure),
 * STARTTLS as configured, the login. The message is the caller's
 * (CURLOPT_READFUNCTION and UPLOAD, or CURLOPT_MIMEPOST). 0, or -1. */
int	mailer_envelope(const struct mailer *, CURL *c,
	    const struct config_list *to, struct curl_slist **rcpt, char *err);

/* The host (and port) of url, without user, password, path or query:
 * what a record or a log line may name. */
void	mailer_host(char *out, size_t outlen, const char *url);

/* s (UTF-8) as an RFC 2047 encoded word, "=?UTF-8?B?...?=", for a
 * header. 0, or ERR_TOOBIG (out too small). */
int	mailer_encode_word(char *out, size_t outlen, const char *s);

#endif
