/*
 * vigil-fuse-hang: a FUSE file system whose server stops answering, for
 * the tests of issue 8 item 9 (a user's FUSE mount that hangs every
 * process that asks it anything).
 *
 *	vigil-fuse-hang [--hang open|all] [--ready FILE] MOUNTPOINT
 *
 * Mounts MOUNTPOINT (as root: allow_other, so that the agent, another
 * user, may enter it) and serves, straight over /dev/fuse, one folder
 * holding one file, "payload". With --hang open (the default) it answers
 * what a walk asks (lookups, attributes, listings) and never answers an
 * open of the file: whoever tries to read it waits for ever. With --hang
 * all it answers nothing, not even the kernel's first request. Writes
 * FILE once mounted. On SIGTERM or SIGINT it closes /dev/fuse (every
 * request still waiting then fails) and unmounts. Exit: 0, 1 on failure,
 * 2 usage.
 *
 * The kernel's requests are read whole (one per read) and checked for
 * length before any field is used.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/fuse.h>

#define BUF_LEN		(1024 * 1024 + 4096)
#define PAYLOAD_INO	2
#define PAYLOAD_SIZE	4096

static volatile sig_atomic_t	quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

struct srv {
	int	 fd;
	int	 hang_all;
	uint8_t	*buf;
};

static void
reply(struct srv *s, uint64_t unique, int err, const void *p, size_t len)
{
	struct fuse_out_header	h;
	uint8_t			out[4096];

	if (len > sizeof(out) - sizeof(h))
		len = 0, err = -EIO;
	h.len = (uint32_t)(sizeof(h) + len);
	h.error = err;
	h.unique = unique;
	memcpy(out, &h, sizeof(h));
	if (len > 0)
		memcpy(out + sizeof(h), p, len);
	/* ENOENT: the request was interrupted meanwhile; nothing to do */
	(void)write(s->fd, out, h.len);
}

static void
attr_of(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = ino == FUSE_ROOT_ID ? 2 : 1;
	a->mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
	a->size = ino == FUSE_ROOT_ID ? 0 : PAYLOAD_SIZE;
	a->blksize = 4096;
	a->mtime = a->ctime = a->atime = 1700000000;
}

static void
do_init(struct srv *s, const struct fuse_in_header *h, const uint8_t *arg,
    size_t len)
{
	struct fuse_init_in	in;
	struct fuse_init_out	out;

	if (len < 8) {
		reply(s, h->unique, -EINVAL, NULL, 0);
		return;
	}
	memset(&in, 0, sizeof(in));
	memcpy(&in, arg, len < sizeof(in) ? len : sizeof(in));
	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = in.minor < FUSE_KERNEL_MINOR_VERSION ? in.minor :
	    FUSE_KERNEL_MINOR_VERSION;
	out.max_readahead = in.max_readahead;
	out.max_write = 65536;
	out.time_gran = 1;
	out.max_background = 16;
	out.congestion_threshold = 12;
	reply(s, h->unique, 0, &out, out.minor < 23 ? 24 : sizeof(out));
}

static void
do_lookup(struct srv *s, const struct fuse_in_header *h, const uint8_t *arg,
    size_t len)
{
	struct fuse_entry_out	e;

	if (h->nodeid != FUSE_ROOT_ID || len < 8 ||
	    memcmp(arg, "payload", 8) != 0) {
		reply(s, h->unique, -ENOENT, NULL, 0);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.nodeid = PAYLOAD_INO;
	e.entry_valid = e.attr_valid = 3600;
	attr_of(&e.attr, PAYLOAD_INO);
	reply(s, h->unique, 0, &e, sizeof(e));
}

/* ".", "..", "payload", from offset on. */
static void
do_readdir(struct srv *s, const struct fuse_in_header *h, const uint8_t *arg,
    size_t len)
{
	static const char *const names[] = { ".", "..", "payload" };
	static const uint64_t	 inos[] = { FUSE_ROOT_ID, FUSE_ROOT_ID,
				     PAYLOAD_INO };
	struct fuse_read_in	 in;
	struct fuse_dirent	 d;
	uint8_t			 out[1024];
	size_t			 o = 0, n, i;

	if (len < sizeof(in)) {
		reply(s, h->unique, -EINVAL, NULL, 0);
		return;
	}
	memcpy(&in, arg, sizeof(in));
	for (i = (size_t)in.offset; i < 3; i++) {
		n = strlen(names[i]);
		memset(&d, 0, sizeof(d));
		d.ino = inos[i];
		d.off = i + 1;
		d.namelen = (uint32_t)n;
		d.type = i < 2 ? DT_DIR : DT_REG;
		if (o + FUSE_DIRENT_ALIGN(sizeof(d) + n) > in.size)
			break;
		memset(out + o, 0, FUSE_DIRENT_ALIGN(sizeof(d) + n));
		memcpy(out + o, &d, sizeof(d));
		memcpy(out + o + sizeof(d), names[i], n);
		o += FUSE_DIRENT_ALIGN(sizeof(d) + n);
	}
	reply(s, h->unique, 0, out, o);
}

/* One request; answers what must be answered, except what hangs. */
static void
serve(struct srv *s, const uint8_t *req, size_t len)
{
	struct fuse_in_header	 h;
	struct fuse_attr_out	 a;
	struct fuse_open_out	 o;
	struct fuse_statfs_out	 st;
	const uint8_t		*arg = req + sizeof(h);
	size_t			 alen;

	if (len < sizeof(h))
		return;
	memcpy(&h, req, sizeof(h));
	if (h.len != len)
		return;
	alen = len - sizeof(h);
	if (s->hang_all)
		return;
	switch (h.opcode) {
	case FUSE_INIT:
		do_init(s, &h, arg, alen);
		break;
	case FUSE_LOOKUP:
		do_lookup(s, &h, arg, alen);
		break;
	case FUSE_GETATTR:
		memset(&a, 0, sizeof(a));
		a.attr_valid = 3600;
		attr_of(&a.attr, h.nodeid);
		reply(s, h.unique, 0, &a, sizeof(a));
		break;
	case FUSE_OPENDIR:
		memset(&o, 0, sizeof(o));
		reply(s, h.unique, 0, &o, sizeof(o));
		break;
	case FUSE_READDIR:
		do_readdir(s, &h, arg, alen);
		break;
	case FUSE_STATFS:
		memset(&st, 0, sizeof(st));
		st.st.bsize = st.st.frsize = 4096;
		st.st.namelen = 255;
		reply(s, h.unique, 0, &st, sizeof(st));
		break;
	case FUSE_RELEASEDIR:
	case FUSE_RELEASE:
	case FUSE_FLUSH:
	case FUSE_ACCESS:
		reply(s, h.unique, 0, NULL, 0);
		break;
	case FUSE_OPEN:		/* the point: never answered */
	case FUSE_READ:
	case FUSE_FORGET:	/* these take no answer */
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;
	case FUSE_DESTROY:
		quit = 1;
		break;
	default:
		reply(s, h.unique, -ENOSYS, NULL, 0);
		break;
	}
}

static int
usage(void)
{
	fprintf(stderr, "usage: vigil-fuse-hang [--hang open|all] "
	    "[--ready FILE] MOUNTPOINT\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct srv		 s = { -1, 0, NULL };
	struct sigaction	 sa;
	struct pollfd		 pfd;
	const char		*ready = NULL, *point;
	char			 opts[128];
	ssize_t			 n;
	int			 i, rc = 1;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--hang") == 0 &&
		    (strcmp(argv[i + 1], "open") == 0 ||
		    strcmp(argv[i + 1], "all") == 0))
			s.hang_all = strcmp(argv[i + 1], "all") == 0;
		else if (strcmp(argv[i], "--ready") == 0)
			ready = argv[i + 1];
		else
			return usage();
	}
	if (i != argc - 1)
		return usage();
	point = argv[i];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0 ||
	    (s.buf = malloc(BUF_LEN)) == NULL)
		return 1;
	if ((s.fd = open("/dev/fuse", O_RDWR | O_CLOEXEC)) == -1) {
		perror("vigil-fuse-hang: /dev/fuse");
		return 1;
	}
	(void)snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=%u,"
	    "group_id=%u,allow_other", s.fd, (unsigned)getuid(),
	    (unsigned)getgid());
	if (mount("vigil-fuse-hang", point, "fuse.vigilhang", MS_NOSUID |
	    MS_NODEV, opts) != 0) {
		perror("vigil-fuse-hang: mount");
		goto done;
	}
	if (ready != NULL) {
		FILE *f = fopen(ready, "w");

		if (f == NULL || fclose(f) != 0)
			goto out;
	}
	pfd.fd = s.fd;
	pfd.events = POLLIN;
	while (!quit) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((n = read(s.fd, s.buf, BUF_LEN)) == -1) {
			if (errno == EINTR || errno == ENOENT ||
			    errno == EAGAIN)
				continue;
			break;		/* ENODEV: unmounted */
		}
		serve(&s, s.buf, (size_t)n);
	}
	rc = 0;
out:
	(void)close(s.fd);	/* what waits now fails */
	s.fd = -1;
	if (umount2(point, MNT_DETACH) != 0)
		perror("vigil-fuse-hang: umount");
done:
	if (s.fd != -1)
		(void)close(s.fd);
	free(s.buf);
	return rc;
}
