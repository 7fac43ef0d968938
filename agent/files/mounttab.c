/*
 * mounttab.c: this process's mount table, classified (mounttab.h).
 *
 * The table is read whole (a few KB; at most MOUNTINFO_MAX), parsed line
 * by line with mountinfo_parse_line() in place, sorted by mount id, and
 * each mount marked ok when its type is accepted and so is every mount
 * below it on the way to the root. The chain is followed by id with a
 * binary search per step, bounded by the number of mounts (the kernel
 * makes no cycles; a line claiming one ends the walk as "not ok").
 *
 * The struct mounttab for threads keeps the last read and an open
 * descriptor of the table: the kernel raises POLLPRI on it once after
 * each change of the mount namespace, so one poll(2) per question says
 * whether the copy is stale.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "mounttab.h"

#define MOUNTINFO	"/proc/self/mountinfo"
#define MOUNTINFO_MAX	(64 * 1024 * 1024)

struct mounttab {
	pthread_mutex_t		 mu;
	int			 policy;
	int			 fd;		/* MOUNTINFO, for POLLPRI */
	struct mounttab_mount	*v;
	size_t			 n;
	char			*buf;
};

/* The whole of MOUNTINFO, NUL-terminated, malloc'd. */
static int
slurp(char **out, size_t *outlen)
{
	char	*buf = NULL, *p;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd, rc = ERR_IO;

	*out = NULL;
	if ((fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC)) == -1)
		return ERR_IO;
	for (;;) {
		if (cap - len < 4097) {
			rc = ERR_TOOBIG;
			if (cap >= MOUNTINFO_MAX)
				goto fail;
			rc = ERR_NOMEM;
			cap = cap ? cap * 2 : 16384;
			if ((p = realloc(buf, cap)) == NULL)
				goto fail;
			buf = p;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			rc = ERR_IO;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);	/* read-only: nothing to lose */
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	(void)close(fd);
	free(buf);
	return rc;
}

static int
id_cmp(const void *a, const void *b)
{
	const struct mounttab_mount	*x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

const struct mounttab_mount *
mounttab_find(const struct mounttab_mount *v, size_t n, uint64_t id)
{
	struct mounttab_mount	k;

	if (n == 0)
		return NULL;
	memset(&k, 0, sizeof(k));
	k.id = id;
	return bsearch(&k, v, n, sizeof(k), id_cmp);
}

int
mounttab_kind_ok(enum mountinfo_kind k, int policy)
{
	if (k == MOUNTINFO_LOCAL)
		return 1;
	return policy == MOUNTTAB_ALL && k != MOUNTINFO_SYSTEM;
}

/* Whether m and the mounts it sits on are accepted under policy; if
 * not, *block: the first kind refused on the way. */
static int
chain_ok(const struct mounttab_mount *v, size_t n,
    const struct mounttab_mount *m, int policy, enum mountinfo_kind *block)
{
	size_t	steps;

	*block = MOUNTINFO_OTHER;	/* a cycle */
	for (steps = 0; steps <= n; steps++) {
		if (!mounttab_kind_ok(m->kind, policy)) {
			*block = m->kind;
			return 0;
		}
		if (m->parent == m->id ||
		    (m = mounttab_find(v, n, m->parent)) == NULL)
			return 1;	/* the root, or unlisted */
	}
	return 0;
}

/* ok and ok_all for each mount: its type and those it sits on. */
static void
chain(struct mounttab_mount *v, size_t n, int policy)
{
	enum mountinfo_kind	k;
	size_t			i;

	for (i = 0; i < n; i++) {
		v[i].ok = chain_ok(v, n, &v[i], policy, &v[i].block);
		v[i].ok_all = chain_ok(v, n, &v[i], MOUNTTAB_ALL, &k);
	}
}

int
mounttab_read(struct mounttab_mount **out, size_t *nout, char **bufout,
    int policy)
{
	struct mountinfo_entry	 e;
	struct mounttab_mount	*v = NULL, *p;
	char			*buf;
	size_t			 len, i, j, n = 0, cap = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	*bufout = NULL;
	if ((rc = slurp(&buf, &len)) != 0)
		return rc;
	for (i = 0; i < len; i = j + 1) {
		for (j = i; j < len && buf[j] != '\n'; j++)
			;
		if (j == i)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				free(buf);
				return ERR_NOMEM;
			}
			v = p;
		}
		if (mountinfo_parse_line(&e, buf + i, j - i) != 0) {
			/* every line the kernel prints parses: say so */
			log_warnx("mounts: %s: a line that does not parse; "
			    "that mount is neither watched nor entered",
			    MOUNTINFO);
			continue;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].id = e.mnt_id;
		v[n].parent = e.parent_id;
		v[n].major = e.major;
		v[n].minor = e.minor;
		v[n].root = e.root;
		v[n].root_len = e.root_len;
		v[n].point = e.point;
		v[n].len = e.point_len;
		v[n].kind = mountinfo_kind(e.fstype);
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), id_cmp);
	chain(v, n, policy);
	*out = v;
	*nout = n;
	*bufout = buf;
	return 0;
}

/* ---- the copy for threads ---- */

static int
reload(struct mounttab *t)
{
	struct mounttab_mount	*v;
	char			*buf;
	size_t			 n;
	int			 rc;

	if ((rc = mounttab_read(&v, &n, &buf, t->policy)) != 0)
		return rc;
	free(t->v);
	free(t->buf);
	t->v = v;
	t->n = n;
	t->buf = buf;
	return 0;
}

int
mounttab_new(struct mounttab **out, int policy)
{
	struct mounttab	*t;
	int		 rc;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	t->policy = policy;
	if ((rc = pthread_mutex_init(&t->mu, NULL)) != 0) {
		free(t);
		return rc == ENOMEM ? ERR_NOMEM : ERR_IO;
	}
	/* opened before the read: a change in between is then seen */
	if ((t->fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("mounts: %s", MOUNTINFO);
		rc = ERR_IO;
		goto fail;
	}
	if ((rc = reload(t)) != 0) {
		log_warnx("mounts: %s: %s", MOUNTINFO, vigil_strerror(rc));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	mounttab_free(t);
	return rc;
}

void
mounttab_free(struct mounttab *t)
{
	if (t == NULL)
		return;
	if (t->fd != -1)
		(void)close(t->fd);
	(void)pthread_mutex_destroy(&t->mu);
	free(t->v);
	free(t->buf);
	free(t);
}

int
mounttab_policy(const struct mounttab *t)
{
	return t->policy;
}

/* Caller holds t->mu. Read the table again if the kernel says it
 * changed, or if asked to (force). A failed read keeps the old copy:
 * its answers are no worse than before, and the next change retries. */
static void
fresh(struct mounttab *t, int force)
{
	struct pollfd	pfd = { t->fd, POLLPRI, 0 };
	int		rc;

	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLPRI | POLLERR)))
		force = 1;
	if (force && (rc = reload(t)) != 0)
		log_warnx("mounts: %s: %s; using the last copy", MOUNTINFO,
		    vigil_strerror(rc));
}

int
mounttab_enter(struct mounttab *t, uint64_t id, enum mountinfo_kind *kind)
{
	const struct mounttab_mount	*m;
	int				 ok = 0;

	if (kind != NULL)
		*kind = MOUNTINFO_OTHER;
	if (pthread_mutex_lock(&t->mu) != 0)
		return 0;
	fresh(t, 0);
	if ((m = mounttab_find(t->v, t->n, id)) == NULL) {
		fresh(t, 1);	/* mounted since, and not yet polled */
		m = mounttab_find(t->v, t->n, id);
	}
	if (m != NULL) {
		ok = m->ok;
		if (kind != NULL)
			*kind = ok ? m->kind : m->block;
	}
	(void)pthread_mutex_unlock(&t->mu);
	return ok;
}
