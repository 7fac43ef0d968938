/*
 * netfiles.h: the bytes of the files a traffic-rules or indicator-list
 * load reads, read into memory before any of them is parsed.
 *
 * The capture child reads them as root (they may sit in root-only
 * folders) and parses them only once it has dropped root (netchild.c);
 * `vigil-agent pcap` and `rules check` go the same way in one step. So
 * the walk is here, once: which files a path gives, in which order, and
 * what is logged when one cannot be read, as the loaders always did:
 *   NETFILES_RULES  a file, or a folder's *.rules (names not starting
 *                   with '.'), in name order; "PATH: strerror" when
 *                   one cannot be read;
 *   NETFILES_LISTS  a file, or a folder's regular *.txt and *.list
 *                   files (ioc.h), in name order; "ioc list PATH:
 *                   strerror", "ioc folder DIR: strerror".
 * A file's path is named as the loaders name it in their warnings
 * ("DIR/NAME" for a folder's); only regular files are read (a FIFO
 * never blocks the reader), NETFILES_FILE_MAX bytes each and
 * NETFILES_TOTAL_MAX in all.
 *
 * Errors: ERR_IO (a path cannot be read: logged), ERR_TOOBIG (logged),
 * ERR_NOMEM. Any process; not thread-safe per struct.
 */
#ifndef VIGIL_NETFILES_H
#define VIGIL_NETFILES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NETFILES_FILE_MAX	(256UL << 20)
#define NETFILES_TOTAL_MAX	(1UL << 30)

enum netfiles_kind { NETFILES_RULES, NETFILES_LISTS };

struct netfile {
	char		*path;
	char		*text;		/* len bytes, then a NUL */
	size_t		 len;
	int64_t		 mtime;		/* Unix seconds */
};

struct netfiles {
	struct netfile	*f;
	size_t		 n, cap;
	size_t		 total;		/* bytes of text */
};

/* Appends the files of paths[0..n) to fs (zeroed, or filled before).
 * On failure fs keeps what was read: clear it. */
int	netfiles_read(struct netfiles *fs, enum netfiles_kind kind,
	    const char *const *paths, size_t n);
void	netfiles_clear(struct netfiles *);	/* takes a zeroed one */
/* A stream reading f's text (fmemopen), NULL with errno set. */
FILE	*netfile_stream(const struct netfile *f);

#endif
