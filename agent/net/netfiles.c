/*
 * netfiles.c: the rule and list files read, not parsed (netfiles.h).
 *
 * Nothing here looks inside a file: it is opened, checked to be a
 * regular file within the limits, and read whole. Invariant: fs->total
 * is the sum of the lengths, at most NETFILES_TOTAL_MAX.
 *
 * Load: once per load of the rules; one read per file.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "netfiles.h"

struct kind {
	int		(*want)(const struct dirent *);
	int		 regular_only;	/* a folder's others passed over */
	const char	*file, *folder;	/* the warnings' prefixes */
};

static int
suffix(const char *name, const char *suf)
{
	size_t	n = strlen(name), s = strlen(suf);

	return n > s && strcmp(name + n - s, suf) == 0;
}

static int
rules_name(const struct dirent *d)
{
	return d->d_name[0] != '.' && suffix(d->d_name, ".rules");
}

static int
lists_name(const struct dirent *d)
{
	if (d->d_name[0] == '.' || (d->d_type != DT_REG &&
	    d->d_type != DT_UNKNOWN && d->d_type != DT_LNK))
		return 0;
	return suffix(d->d_name, ".txt") || suffix(d->d_name, ".list");
}

static const struct kind kinds[] = {
	[NETFILES_RULES] = { rules_name, 0, "", "" },
	[NETFILES_LISTS] = { lists_name, 1, "ioc list ", "ioc folder " },
};

static int
add(struct netfiles *fs, const char *path, char *text, size_t len,
    int64_t mtime)
{
	struct netfile	*t;
	size_t		 cap;

	if (fs->n == fs->cap) {
		cap = fs->cap ? fs->cap * 2 : 16;
		if ((t = reallocarray(fs->f, cap, sizeof(*t))) == NULL)
			return ERR_NOMEM;
		fs->f = t;
		fs->cap = cap;
	}
	if ((fs->f[fs->n].path = strdup(path)) == NULL)
		return ERR_NOMEM;
	fs->f[fs->n].text = text;
	fs->f[fs->n].len = len;
	fs->f[fs->n].mtime = mtime;
	fs->n++;
	fs->total += len;
	return 0;
}

/* Up to len bytes of fd into buf; *got what was there. */
static int
read_upto(int fd, char *buf, size_t len, size_t *got)
{
	ssize_t	r;

	for (*got = 0; *got < len; *got += (size_t)r) {
		if ((r = read(fd, buf + *got, len - *got)) == -1 &&
		    errno == EINTR) {
			r = 0;
			continue;
		}
		if (r == -1)
			return ERR_IO;
		if (r == 0)
			break;
	}
	return 0;
}

static int
read_file(struct netfiles *fs, const struct kind *k, const char *path)
{
	struct stat	 st;
	char		*text = NULL;
	size_t		 len = 0;
	int		 fd, rc = ERR_IO;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		log_warn("%s%s", k->file, path);
		return ERR_IO;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s%s", k->file, path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s%s: not a regular file", k->file, path);
		goto done;
	}
	if ((uint64_t)st.st_size > NETFILES_FILE_MAX ||
	    (size_t)st.st_size > NETFILES_TOTAL_MAX - fs->total) {
		log_warnx("%s%s: over %lu MiB (%lu MiB in all)", k->file, path,
		    NETFILES_FILE_MAX >> 20, NETFILES_TOTAL_MAX >> 20);
		rc = ERR_TOOBIG;
		goto done;
	}
	rc = ERR_NOMEM;
	if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		goto done;
	/* a file that grows meanwhile is read as it was when looked at */
	if (read_upto(fd, text, (size_t)st.st_size, &len) != 0) {
		log_warn("%s%s", k->file, path);
		rc = ERR_IO;
		goto done;
	}
	text[len] = '\0';
	if ((rc = add(fs, path, text, len, (int64_t)st.st_mtim.tv_sec)) == 0)
		text = NULL;
done:
	free(text);
	(void)close(fd);
	return rc;
}

static int
read_dir(struct netfiles *fs, const struct kind *k, const char *dir)
{
	struct dirent	**ents = NULL;
	struct stat	  st;
	char		  path[PATH_MAX];
	int		  n, i, rc = 0;

	if ((n = scandir(dir, &ents, k->want, alphasort)) == -1) {
		log_warn("%s%s", k->folder, dir);
		return ERR_IO;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[i]->d_name) >= (int)sizeof(path)) {
			log_warnx("%s%s: a name too long", k->folder, dir);
			rc = ERR_IO;
		} else if (!k->regular_only || (stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)))
			rc = read_file(fs, k, path);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int
netfiles_read(struct netfiles *fs, enum netfiles_kind kind,
    const char *const *paths, size_t n)
{
	const struct kind	*k = &kinds[kind];
	struct stat		 st;
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (stat(paths[i], &st) == -1) {
			log_warn("%s%s", k->file, paths[i]);
			return ERR_IO;
		}
		rc = S_ISDIR(st.st_mode) ? read_dir(fs, k, paths[i]) :
		    read_file(fs, k, paths[i]);
	}
	return rc;
}

void
netfiles_clear(struct netfiles *fs)
{
	size_t	i;

	for (i = 0; i < fs->n; i++) {
		free(fs->f[i].path);
		free(fs->f[i].text);
	}
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}

FILE *
netfile_stream(const struct netfile *f)
{
	/* a length of 0 reads as an empty file (glibc 2.22 and later) */
	return fmemopen(f->text, f->len, "r");
}
