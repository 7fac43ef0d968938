/*
 * mountinfo.c: parse one line of /proc/<pid>/mountinfo.
 *
 * Used by watch.c to find mounts appearing under watched folders. The
 * line comes from the kernel, but its paths do not: mount points are
 * folder names users choose (a USB stick's label under /media), so the
 * line is parsed as untrusted text. Nothing is assumed about it beyond
 * its length: no terminator, no read or write outside line[0..len), and
 * the fields are located and every check is made before the first byte
 * is changed, so a line that fails leaves the buffer as it was.
 *
 * Fields are split at single spaces (the kernel escapes spaces inside
 * them); only the super block options, the last field, are taken as the
 * rest of the line, unchecked, because some file systems print options
 * the kernel does not escape. Checks are those the kernel's own output
 * always passes, so being strict costs no real mount: the source is the
 * one field that may be empty (a mount's source is any string, "" too).
 *
 * Numbers are plain decimal digits with overflow checks: not strtoull,
 * which wants a terminator and would accept a sign and leading spaces.
 *
 * Load: once per line each time the mount table changes; O(len), two
 * passes over the mount point (count, then decode).
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "mountinfo.h"
#include "text.h"

struct cur {				/* the rest of the line */
	char	*p;
	size_t	 len;
	int	 err;			/* sticky: later calls do nothing */
};

struct fld {				/* one field, not terminated */
	char	*p;
	size_t	 len;
};

/* Take the next field and the space after it (every field but the last
 * has one). */
static void
cur_field(struct cur *c, struct fld *f, int may_be_empty)
{
	char	*sp;

	f->p = c->p;
	f->len = 0;
	if (c->err)
		return;
	if (c->len == 0 || (sp = memchr(c->p, ' ', c->len)) == NULL ||
	    (sp == c->p && !may_be_empty)) {
		c->err = ERR_MALFORMED;
		return;
	}
	f->len = (size_t)(sp - c->p);
	c->p = sp + 1;
	c->len -= f->len + 1;
}

/* s[0..len) as a decimal number of at most max. */
static void
cur_number(struct cur *c, const char *s, size_t len, uint64_t max,
    uint64_t *v)
{
	*v = 0;
	if (c->err == 0 && text_u64(v, s, len, 0, max) != 0)
		c->err = ERR_MALFORMED;
}

/* "major:minor", each at most UINT32_MAX. */
static void
cur_dev(struct cur *c, const struct fld *f, uint32_t *major,
    uint32_t *minor)
{
	const char	*colon;
	size_t		 n;
	uint64_t	 ma, mi;

	*major = *minor = 0;
	if (c->err)
		return;
	if ((colon = memchr(f->p, ':', f->len)) == NULL) {
		c->err = ERR_MALFORMED;
		return;
	}
	n = (size_t)(colon - f->p);
	cur_number(c, f->p, n, UINT32_MAX, &ma);
	cur_number(c, colon + 1, f->len - n - 1, UINT32_MAX, &mi);
	if (c->err)
		return;
	*major = (uint32_t)ma;
	*minor = (uint32_t)mi;
}

/* The byte an escape at s stands for, or -1 if s does not start one: a
 * backslash and three octal digits, the first 0-3, and not \000. */
static int
esc_at(const char *s, size_t left)
{
	int	v;

	if (left < 4 || s[0] != '\\' ||
	    s[1] < '0' || s[1] > '3' ||
	    s[2] < '0' || s[2] > '7' ||
	    s[3] < '0' || s[3] > '7')
		return -1;
	v = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
	return v == 0 ? -1 : v;
}

/* Decode s[0..len) into out, which may be s itself (output never runs
 * ahead of input), or with out NULL only count. The decoded length. */
static size_t
unescape(char *out, const char *s, size_t len)
{
	size_t	i = 0, o = 0;
	int	v;

	while (i < len) {
		if ((v = esc_at(s + i, len - i)) >= 0) {
			if (out != NULL)
				out[o] = (char)v;
			i += 4;
		} else {
			if (out != NULL)
				out[o] = s[i];
			i++;
		}
		o++;
	}
	return o;
}

/* Decode f in place and terminate it on the space that followed it. */
static const char *
decode(const struct fld *f, size_t *outlen)
{
	*outlen = unescape(f->p, f->p, f->len);
	f->p[*outlen] = '\0';
	return f->p;
}

int
mountinfo_parse_line(struct mountinfo_entry *out, char *line, size_t len)
{
	struct cur	c = { line, len, 0 };
	struct fld	id, parent, dev, root, point, opts, f, type, src;
	uint64_t	mnt_id, parent_id;
	uint32_t	major, minor;
	int		first;

	memset(out, 0, sizeof(*out));
	if (len == 0 || memchr(line, '\0', len) != NULL ||
	    memchr(line, '\n', len) != NULL)
		return ERR_MALFORMED;
	cur_field(&c, &id, 0);
	cur_field(&c, &parent, 0);
	cur_field(&c, &dev, 0);
	cur_field(&c, &root, 0);
	cur_field(&c, &point, 0);
	cur_field(&c, &opts, 0);
	do				/* optional fields, up to "-" */
		cur_field(&c, &f, 0);
	while (!c.err && !(f.len == 1 && f.p[0] == '-'));
	cur_field(&c, &type, 0);
	cur_field(&c, &src, 1);
	if (c.len == 0)			/* super block options */
		c.err = ERR_MALFORMED;
	cur_number(&c, id.p, id.len, UINT64_MAX, &mnt_id);
	cur_number(&c, parent.p, parent.len, UINT64_MAX, &parent_id);
	cur_dev(&c, &dev, &major, &minor);
	if (c.err)
		return c.err;

	/* the mount point, decoded, must be absolute and fit a path */
	if ((first = esc_at(point.p, point.len)) < 0)
		first = (unsigned char)point.p[0];
	if (first != '/' || unescape(NULL, point.p, point.len) >= PATH_MAX)
		return ERR_MALFORMED;

	/* checked: from here on the line is changed */
	out->mnt_id = mnt_id;
	out->parent_id = parent_id;
	out->major = major;
	out->minor = minor;
	out->root = decode(&root, &out->root_len);
	out->point = decode(&point, &out->point_len);
	out->fstype = decode(&type, &out->fstype_len);
	out->source = decode(&src, &out->source_len);
	return 0;
}

/* ---- kinds ---- */

static const char *const local_types[] = {
	"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "msdos", "exfat",
	"ntfs", "ntfs3", "fuseblk", "iso9660", "udf", "f2fs", "jfs",
	"reiserfs", "hfs", "hfsplus", "nilfs2", "zfs", "bcachefs", "erofs",
	"squashfs", "tmpfs", "ramfs", "overlay", "ecryptfs", "minix",
};

static const char *const network_types[] = {
	"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "9p", "ceph",
	"afs", "coda", "lustre", "gfs2", "ocfs2", "glusterfs", "virtiofs",
	"orangefs", "davfs",
};

static const char *const system_types[] = {
	"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2",
	"debugfs", "tracefs", "securityfs", "pstore", "efivarfs", "bpf",
	"configfs", "fusectl", "mqueue", "hugetlbfs", "autofs",
	"binfmt_misc", "rpc_pipefs", "nfsd", "selinuxfs", "nsfs", "rootfs",
};

static int
in_list(const char *s, const char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

enum mountinfo_kind
mountinfo_kind(const char *t)
{
	if (in_list(t, local_types, sizeof(local_types) /
	    sizeof(local_types[0])))
		return MOUNTINFO_LOCAL;
	if (strcmp(t, "fuse") == 0 || strncmp(t, "fuse.", 5) == 0)
		return MOUNTINFO_FUSE;
	if (in_list(t, network_types, sizeof(network_types) /
	    sizeof(network_types[0])))
		return MOUNTINFO_NETWORK;
	if (in_list(t, system_types, sizeof(system_types) /
	    sizeof(system_types[0])))
		return MOUNTINFO_SYSTEM;
	return MOUNTINFO_OTHER;
}

const char *
mountinfo_kind_name(enum mountinfo_kind k)
{
	switch (k) {
	case MOUNTINFO_LOCAL:
		return "local";
	case MOUNTINFO_FUSE:
		return "FUSE";
	case MOUNTINFO_NETWORK:
		return "network";
	case MOUNTINFO_SYSTEM:
		return "system";
	default:
		return "unknown type";
	}
}
