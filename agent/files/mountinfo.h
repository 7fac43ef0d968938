/*
 * mountinfo.h: one line of /proc/<pid>/mountinfo, parsed.
 *
 * The kernel prints (proc(5)):
 *
 *	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *	(1)(2)(3)  (4)   (5)   (6)        (7)     (8) (9)  (10)      (11)
 *
 * mount id, parent id, major:minor, root, mount point, mount options,
 * zero or more optional fields ("shared:1", "master:2", "unbindable"),
 * the separator "-", file system type, source, super block options.
 * Mount points are untrusted text: anyone who names a USB stick names
 * its folder under /media, and the kernel only escapes space, tab,
 * newline and backslash (\040 \011 \012 \134) in them.
 *
 * mountinfo_parse_line() decodes the escapes of root, mount point, type
 * and source in place and NUL-terminates them in place; the entry's
 * strings point into the caller's line (borrowed: valid while it is).
 * It reads and writes line[0..len) only: the line needs no terminator,
 * and its newline must not be part of len (a line holds none).
 *
 * Any thread; no state, no allocation, no logging (callers know which
 * file and line it was). O(len).
 *
 * mountinfo_kind() sorts a file system type into what the file sensor
 * may safely open (see mounttab.h for how the agent uses it).
 *
 * Usage:
 *	struct mountinfo_entry e;
 *	if (mountinfo_parse_line(&e, line, linelen) == 0)
 *		... e.point, e.point_len ...
 */
#ifndef VIGIL_MOUNTINFO_H
#define VIGIL_MOUNTINFO_H

#include <stddef.h>
#include <stdint.h>

struct mountinfo_entry {
	uint64_t	 mnt_id;	/* reused after an unmount */
	uint64_t	 parent_id;	/* the mount it sits on; may be unlisted
					 * (outside a chroot) or itself */
	uint32_t	 major, minor;	/* its super block's device */
	const char	*root;		/* decoded, 1+ bytes: folder of its file
					 * system mounted here ("/", "/sub",
					 * "net:[4026532177]" for nsfs) */
	size_t		 root_len;
	const char	*point;		/* decoded, starts with '/', point_len
					 * < PATH_MAX */
	size_t		 point_len;
	const char	*fstype;	/* decoded, 1+ bytes: "ext4", "fuse.x" */
	size_t		 fstype_len;
	const char	*source;	/* decoded, may be "" (mount -t tmpfs "") */
	size_t		 source_len;
};

/*
 * Parse one line (len bytes, without its newline) into *out.
 *
 * Escapes: a backslash and three octal digits, the first 0-3, is the
 * byte of that value, except \000 (kept as those four bytes: a string
 * cannot hold NUL). Anything else, a lone backslash included, is kept as
 * it is. The decoded strings hold no NUL and end in one at their *_len.
 * Mount options, optional fields and super block options are checked to
 * be present but not returned.
 *
 * 0, or ERR_MALFORMED: a NUL or newline anywhere, a field missing or
 * empty (all but source), ids or device numbers that are not plain
 * decimal digits or do not fit (ids: uint64_t, major and minor:
 * uint32_t), no "-" separator, nothing after the source, or a mount
 * point that, decoded, is not absolute or is PATH_MAX bytes or longer.
 * On error *out is zeroed and line is left unchanged.
 */
int	mountinfo_parse_line(struct mountinfo_entry *out, char *line,
	    size_t len);

/*
 * What answers for a file system type (mountinfo's field 9):
 *  LOCAL    a disk, a USB stick or memory: the kernel answers (ext2-4,
 *           xfs, btrfs, vfat, exfat, ntfs, ntfs3, fuseblk (ntfs-3g: only
 *           root can mount a block device through FUSE), iso9660, udf,
 *           f2fs, tmpfs, ramfs, overlay, squashfs, ...);
 *  FUSE     a process answers ("fuse", "fuse.sshfs"): any user may mount
 *           one, and its server may never answer;
 *  NETWORK  a server over the network answers (nfs, nfs4, cifs, smb3,
 *           9p, ceph, afs, virtiofs, ...);
 *  SYSTEM   the kernel's own views (proc, sysfs, devtmpfs, devpts,
 *           cgroup, debugfs, autofs, ...): no user files, and reading
 *           some of them has side effects;
 *  OTHER    a type this list does not know.
 * Exact names, no allocation, any thread. O(list).
 */
enum mountinfo_kind {
	MOUNTINFO_LOCAL = 0,
	MOUNTINFO_FUSE,
	MOUNTINFO_NETWORK,
	MOUNTINFO_SYSTEM,
	MOUNTINFO_OTHER,
};

enum mountinfo_kind	mountinfo_kind(const char *fstype);
/* "local", "FUSE", "network", "system", "unknown type" */
const char		*mountinfo_kind_name(enum mountinfo_kind);

#endif
