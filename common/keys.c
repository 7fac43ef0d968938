/*
 * keys.c: long-term X25519 key pairs on disk, fingerprints and agent ids.
 *
 * A private key never leaves its file except into memory that the caller
 * wipes. Files are created with O_EXCL and mode 0600; a key file that
 * group or others can read is refused rather than used, as ssh does.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "keys.h"
#include "log.h"

#define B64_LEN	sodium_base64_ENCODED_LEN(KEY_LEN, sodium_base64_VARIANT_ORIGINAL)

int
keys_generate(uint8_t pub[static KEY_LEN], uint8_t priv[static KEY_LEN])
{
	randombytes_buf(priv, KEY_LEN);
	/* cannot fail for a random scalar: clamping happens inside */
	crypto_scalarmult_base(pub, priv);
	return 0;
}

int
keys_load(uint8_t pub[static KEY_LEN], uint8_t priv[static KEY_LEN],
    const char *path)
{
	char		 text[B64_LEN + 8];
	struct stat	 st;
	ssize_t		 n;
	size_t		 binlen, tlen;
	int		 fd, rc = ERR_MALFORMED;

	/* O_NONBLOCK: a FIFO planted at the path must not hang us. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return ERR_NOTFOUND;
		log_warn("key %s", path);
		return ERR_IO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("key %s: not a regular file", path);
		rc = ERR_IO;
		goto done;
	}
	if ((st.st_mode & 077) != 0) {
		log_warnx("key %s: mode %03o is too open, want 0600", path,
		    (unsigned)(st.st_mode & 0777));
		rc = ERR_AUTH;
		goto done;
	}
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		log_warn("key %s", path);
		rc = ERR_IO;
		goto done;
	}
	tlen = (size_t)n;
	while (tlen > 0 && (text[tlen - 1] == '\n' || text[tlen - 1] == '\r'))
		tlen--;
	text[tlen] = '\0';
	if ((size_t)n == sizeof(text) - 1 ||	/* more than key and newlines */
	    sodium_base642bin(priv, KEY_LEN, text, tlen, NULL, &binlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || binlen != KEY_LEN) {
		log_warnx("key %s: not a base64 X25519 key", path);
		goto done;
	}
	crypto_scalarmult_base(pub, priv);
	rc = 0;
done:
	sodium_memzero(text, sizeof(text));
	close(fd);
	return rc;
}

int
keys_save(const char *path, const uint8_t priv[static KEY_LEN])
{
	char	text[B64_LEN + 1];
	size_t	len;
	int	fd, rc = ERR_IO;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return ERR_EXISTS;
		log_warn("key %s", path);
		return ERR_IO;
	}
	sodium_bin2base64(text, B64_LEN, priv, KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	len = strlen(text);
	text[len++] = '\n';
	if (fchmod(fd, 0600) == -1 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) == -1) {
		log_warn("key %s", path);
		unlink(path);
		goto done;
	}
	rc = 0;
done:
	sodium_memzero(text, sizeof(text));
	if (close(fd) == -1 && rc == 0) {
		log_warn("key %s", path);
		rc = ERR_IO;
	}
	return rc;
}

int
keys_load_or_create(uint8_t pub[static KEY_LEN], uint8_t priv[static KEY_LEN],
    const char *path)
{
	int	rc;

	if ((rc = keys_load(pub, priv, path)) != ERR_NOTFOUND)
		return rc;
	keys_generate(pub, priv);
	if ((rc = keys_save(path, priv)) != 0) {
		sodium_memzero(priv, KEY_LEN);
		return rc;
	}
	log_info("generated a new key in %s", path);
	return 0;
}

void
keys_fingerprint(char out[static FPR_STRLEN], const uint8_t pub[static KEY_LEN])
{
	uint8_t	h[32];

	crypto_generichash(h, sizeof(h), pub, KEY_LEN, NULL, 0);
	sodium_bin2hex(out, FPR_STRLEN, h, sizeof(h));
}

void
keys_agent_id(char out[static AGENT_ID_STRLEN],
    const uint8_t pub[static KEY_LEN])
{
	static const char	 ctx[] = "vigil agent id";
	crypto_generichash_state st;
	uint8_t			 h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof(ctx) - 1);
	crypto_generichash_update(&st, pub, KEY_LEN);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, AGENT_ID_STRLEN, h, 8);
}

int
keys_parse_fingerprint(uint8_t out[static 32], const char *s)
{
	size_t	binlen;

	if (sodium_hex2bin(out, 32, s, strlen(s), ":-", &binlen, NULL) != 0 ||
	    binlen != 32)
		return ERR_MALFORMED;
	return 0;
}
