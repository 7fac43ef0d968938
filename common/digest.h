/*
 * digest.h: SHA-256 and MD5, from OpenSSL's digest functions called
 * directly rather than through EVP.
 *
 * Why not EVP: in OpenSSL 3 the first EVP digest brings up the library
 * context, its configuration file and the default provider's tables of
 * every algorithm, and those pages stay resident for the life of the
 * process: 1.9 MB, measured, in an agent that otherwise rests in under
 * 10 MB (docs/benchmarks.md, issue 10). The functions below run the same
 * assembly (SHA-NI where the CPU has it) and touch 128 kB. OpenSSL 3
 * marks them deprecated; this module is the one place that calls them,
 * so going back to EVP is this file's business alone.
 *
 * Errors: ERR_NOMEM (new), ERR_IO (OpenSSL said no; it does not, today).
 * Every function is safe from any thread on its own context.
 */
#ifndef VIGIL_DIGEST_H
#define VIGIL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_SHA256_LEN	32
#define DIGEST_MD5_LEN		16

struct digest_sha256;

/*
 * For a process whose only use of OpenSSL is hashing and libyara's
 * parsing of signed executables: OpenSSL initialised without reading
 * openssl.cnf, whose settings (TLS policy, providers for EVP) concern
 * neither. Call it before anything else touches OpenSSL (yr_initialize
 * does: its pe module creates ASN.1 objects), once, from main: it keeps
 * 1.1 MB of pages out of the process. 0 or ERR_IO.
 */
int	digest_openssl_init(void);

/* A context for hashing in parts: init, update..., final; reusable. */
int	digest_sha256_new(struct digest_sha256 **out);
void	digest_sha256_free(struct digest_sha256 *);	/* takes NULL */
int	digest_sha256_init(struct digest_sha256 *);
int	digest_sha256_update(struct digest_sha256 *, const void *p,
	    size_t len);
int	digest_sha256_final(uint8_t out[static DIGEST_SHA256_LEN],
	    struct digest_sha256 *);

/* p[0..len) at once. */
int	digest_sha256(uint8_t out[static DIGEST_SHA256_LEN], const void *p,
	    size_t len);
int	digest_md5(uint8_t out[static DIGEST_MD5_LEN], const void *p,
	    size_t len);

#endif
