/*
 * pathset.h: absolute paths as text, and sets of watched roots with
 * exclusions.
 *
 * Paths are bytes (never assumed UTF-8), absolute, at most PATH_MAX - 1
 * bytes. A "clean" path has no empty, "." or ".." component and no
 * trailing '/' ("/" itself is clean). Every module that compares paths
 * (the watcher, the daemon's routing of what it reports, integrity)
 * resolves and compares them here, so that a root or an exclusion means
 * the same thing to all of them.
 *
 * Resolving a configured path (pathset_resolve): as far as it exists it
 * is resolved by the kernel (realpath(3), one component at a time:
 * symbolic links followed, "." and ".." taken physically); past the
 * first component that does not exist, "." is dropped and ".." removes
 * the component before it (nothing there can be a symbolic link). With
 * PATHSET_NOFOLLOW the last component is not followed (integrity records
 * a symbolic link named as a root as the link). The result is what the
 * kernel reports for files at that place, so paths from fanotify and
 * inotify compare with it byte for byte.
 *
 * Exclusions (pathset_exclude), one semantics for [files] and
 * [integrity] "exclude" and for --exclude:
 *  - a pattern without '/' ("*.part", "node_modules"): fnmatch(3) (no
 *    flags) on each name below the root holding the path (on every name
 *    when no root holds it); a name longer than NAME_MAX never matches;
 *  - a pattern with '/' and a wildcard (*, ?, [): fnmatch(3) with
 *    FNM_PATHNAME on the path or any folder above it ("/tmp/build-*"
 *    excludes /tmp/build-1/a/b), '*' never crossing a '/'; trailing '/'
 *    are dropped; not resolved (it is matched on what the kernel
 *    reports);
 *  - any other pattern is a path: that place and everything below it. It
 *    is resolved twice: with PATHSET_NOFOLLOW (the place itself, as a
 *    walk meets it) and, when that differs, following a final symbolic
 *    link (where the kernel reports what is written through it).
 *
 * A struct pathset is not locked: build it on one thread, then any
 * number of threads may query it while nobody changes it.
 */
#ifndef VIGIL_PATHSET_H
#define VIGIL_PATHSET_H

#include <limits.h>
#include <stddef.h>

#define PATHSET_NOFOLLOW	0x01	/* resolve: keep a final symlink */
#define PATHSET_COVERED		1	/* pathset_add: already below a root */

struct pathset;

/* ---- path text ---- */

/* Lexical clean of the absolute path into out: "//" and "." dropped,
 * ".." removes the component before it (never above "/"), no trailing
 * '/'. No file system access. ERR_USAGE (empty or relative),
 * ERR_TOOBIG (PATH_MAX bytes or longer). */
int	pathset_clean(char out[static PATH_MAX], const char *path);

/* Resolve the absolute path as described above into out (clean).
 * *absent (may be NULL) is 1 when it does not exist (yet). ERR_USAGE
 * (empty or relative), ERR_TOOBIG, ERR_IO (resolution failed otherwise
 * than "does not exist": errno says why). Not logged. */
int	pathset_resolve(char out[static PATH_MAX], const char *path,
	    int flags, int *absent);

/* 1 if path[0..len) is root[0..rootlen) or below it, by whole
 * components (both clean). */
int	pathset_under(const char *path, size_t len, const char *root,
	    size_t rootlen);

/* dir '/' name into out[outlen] (no second '/' after a dir ending with
 * one, as "/"): its length, or 0 when it does not fit (out is then "",
 * outlen > 0). Nothing is cleaned or resolved. */
size_t	pathset_join_n(char *out, size_t outlen, const char *dir,
	    size_t dirlen, const char *name, size_t namelen);
/* The same for strings (not both empty): 0, or ERR_TOOBIG (out is ""):
 * never truncated. */
int	pathset_join(char *out, size_t outlen, const char *dir,
	    const char *name);

/* ---- sets ---- */

/* An empty set. ERR_NOMEM. */
int	pathset_new(struct pathset **out);
void	pathset_free(struct pathset *);		/* takes NULL */

/* Add a root, given clean and resolved (pathset_resolve): 0 (roots below
 * it are dropped, now part of it), PATHSET_COVERED (it is a root or
 * below one: nothing changes), ERR_USAGE (not clean), ERR_NOMEM. Roots
 * are kept sorted by bytes and never overlap. */
int	pathset_add(struct pathset *, const char *root);
size_t	pathset_count(const struct pathset *);
/* The i-th root (i < pathset_count()), *len (may be NULL) its length. */
const char *pathset_root(const struct pathset *, size_t i, size_t *len);
/* The length of the longest root holding path[0..len), 0 if none does
 * ("/" has length 1). O(roots). */
size_t	pathset_holder(const struct pathset *, const char *path, size_t len);

/* Add an exclusion (see above). ERR_USAGE (empty; a '/' but not
 * absolute), ERR_TOOBIG (PATH_MAX or longer), ERR_IO (could not be
 * resolved), ERR_NOMEM. */
int	pathset_exclude(struct pathset *, const char *pattern);
/* 1 if the clean absolute path[0..len) (NUL-terminated) is excluded. */
int	pathset_excluded(const struct pathset *, const char *path,
	    size_t len);
/* The same for a walk that has tested the folders above: name patterns
 * are tried only on the names after path[0..from) (from: the length of
 * the folder holding them). O(exclusions x names tried). */
int	pathset_excluded_below(const struct pathset *, const char *path,
	    size_t len, size_t from);

#endif
