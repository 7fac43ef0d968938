/*
 * test_mountinfo.c: the mountinfo line parser (agent/files/mountinfo.c).
 *
 * Every line goes through a heap copy of exactly its length with no
 * terminator, so ASan catches a read or write past len. Lines as the
 * kernel prints them (copied from real machines: optional fields, the
 * separator, nsfs and deleted roots, an empty source, escaped space, tab,
 * newline and backslash) must give exact values; the escape rules'
 * edges (\000, \4xx, short and lone backslashes, an escape cut by the
 * field's end); ids and device numbers at and past their limits; the
 * mount point's checks (absolute once decoded, under PATH_MAX); every
 * truncation of a line; and malformed lines, each of which must leave
 * *out zeroed and the line unchanged. Then every line of this process's
 * own mountinfo, and, as root in a private mount namespace, mounts on
 * folders with awkward names read back from the kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mountinfo.h"
#include "testutil.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct good {
	const char	*line;
	uint64_t	 id, parent;
	uint32_t	 major, minor;
	const char	*root, *point, *fstype, *source;
};

/* An exact-length heap copy, no terminator (at least one byte, so that
 * malloc(0) is never asked). */
static char *
copy_exact(const void *s, size_t len)
{
	char	*p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* s (len bytes) decoded to want: pointer within buf, NUL right after. */
static void
check_str(const char *buf, size_t buflen, const char *s, size_t len,
    const char *want)
{
	assert_non_null(s);
	assert_true(s >= buf && s + len < buf + buflen);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(s, want, len);
	assert_int_equal(s[len], '\0');
}

static void
check_good(const struct good *g)
{
	struct mountinfo_entry	 e;
	size_t			 len = strlen(g->line);
	char			*buf = copy_exact(g->line, len);

	if (mountinfo_parse_line(&e, buf, len) != 0)
		fail_msg("rejected: %s", g->line);
	assert_true(e.mnt_id == g->id);
	assert_true(e.parent_id == g->parent);
	assert_int_equal(e.major, g->major);
	assert_int_equal(e.minor, g->minor);
	check_str(buf, len, e.root, e.root_len, g->root);
	check_str(buf, len, e.point, e.point_len, g->point);
	check_str(buf, len, e.fstype, e.fstype_len, g->fstype);
	check_str(buf, len, e.source, e.source_len, g->source);
	free(buf);
}

/* Rejected with ERR_MALFORMED, *out zeroed, line unchanged. */
static void
check_bad_len(const char *line, size_t len)
{
	struct mountinfo_entry	 e, zero;
	char			*buf = copy_exact(line, len);

	memset(&zero, 0, sizeof(zero));
	memset(&e, 0xa5, sizeof(e));
	if (mountinfo_parse_line(&e, buf, len) != ERR_MALFORMED)
		fail_msg("accepted: %.*s", (int)len, line);
	assert_memory_equal(&e, &zero, sizeof(e));
	assert_memory_equal(buf, line, len);
	free(buf);
}

static void
check_bad(const char *line)
{
	check_bad_len(line, strlen(line));
}

static void
check_goods(const struct good *g, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		check_good(&g[i]);
}

/* ---- lines as the kernel prints them ---- */

static void
test_kernel_lines(void **state)
{
	static const struct good	g[] = {
		{ "26 1 254:0 / / rw,relatime - ext4 /dev/vda "
		    "rw,discard,resv_strict,resuid=65534,resgid=65534",
		    26, 1, 254, 0, "/", "/", "ext4", "/dev/vda" },
		{ "21 26 0:20 / /proc rw,relatime - proc proc rw",
		    21, 26, 0, 20, "/", "/proc", "proc", "proc" },
		{ "27 26 0:24 / /mnt/sandboxing/model_tools_env/v1/python "
		    "ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable "
		    "ro,size=4k,mode=755",
		    27, 26, 0, 24, "/", "/mnt/sandboxing/model_tools_env/v1/"
		    "python", "tmpfs", "model_tools_unavailable" },
		{ "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 "
		    "cgroup2 rw",
		    40, 30, 0, 37, "/", "/sys/fs/cgroup/unified", "cgroup2",
		    "cgroup2" },
		/* a bind mount of a removed folder; an nsfs root */
		{ "64 42 0:38 /sub//deleted /tmp/mi-probe/del rw,relatime "
		    "shared:1 - tmpfs src rw",
		    64, 42, 0, 38, "/sub//deleted", "/tmp/mi-probe/del",
		    "tmpfs", "src" },
		{ "62 42 0:4 net:[4026532177] /run/netns/x rw - nsfs nsfs rw",
		    62, 42, 0, 4, "net:[4026532177]", "/run/netns/x", "nsfs",
		    "nsfs" },
		/* a USB stick, as udisks mounts it; a FUSE subtype */
		{ "412 29 8:17 / /media/anna/VACANCES\\0402024 "
		    "rw,nosuid,nodev,relatime shared:227 - vfat /dev/sdb1 "
		    "rw,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,"
		    "shortname=mixed,showexec,utf8,flush,errors=remount-ro",
		    412, 29, 8, 17, "/", "/media/anna/VACANCES 2024", "vfat",
		    "/dev/sdb1" },
		{ "97 29 0:51 / /home/anna/srv rw,nosuid,nodev,relatime "
		    "shared:60 - fuse.sshfs anna@host:/srv "
		    "rw,user_id=1000,group_id=1000",
		    97, 29, 0, 51, "/", "/home/anna/srv", "fuse.sshfs",
		    "anna@host:/srv" },
	};

	(void)state;
	check_goods(g, NITEMS(g));
}

static void
test_optional_fields(void **state)
{
	static const struct good	g[] = {
		{ "62 42 0:38 / /tmp/mi-probe/sh rw,relatime shared:1 - "
		    "tmpfs src rw",
		    62, 42, 0, 38, "/", "/tmp/mi-probe/sh", "tmpfs", "src" },
		{ "63 42 0:38 / /tmp/mi-probe/sl rw,relatime shared:2 "
		    "master:1 - tmpfs src rw",
		    63, 42, 0, 38, "/", "/tmp/mi-probe/sl", "tmpfs", "src" },
		{ "65 42 0:39 / /tmp/mi-probe/gone rw,relatime unbindable - "
		    "tmpfs g rw",
		    65, 42, 0, 39, "/", "/tmp/mi-probe/gone", "tmpfs", "g" },
		{ "70 42 0:38 / /s rw master:3 propagate_from:1 - tmpfs src "
		    "rw",
		    70, 42, 0, 38, "/", "/s", "tmpfs", "src" },
		/* "-" is the separator as a field of its own, not a prefix */
		{ "71 42 0:38 / /s rw -x -- - - - -",
		    71, 42, 0, 38, "/", "/s", "-", "-" },
	};

	(void)state;
	/* an empty optional field is not a field */
	check_bad("71 42 0:38 / /s rw shared:1  - tmpfs src rw");
	check_goods(g, NITEMS(g));
	check_bad("71 42 0:38 / /s rw -x -- - tmpfs");
}

/* As printed by this machine's kernel for mounts on such folders. */
static void
test_escapes(void **state)
{
	static const struct good	g[] = {
		{ "62 42 0:38 / /tmp/mi-probe/USB\\040STICK rw,relatime - "
		    "tmpfs  rw",
		    62, 42, 0, 38, "/", "/tmp/mi-probe/USB STICK", "tmpfs",
		    "" },
		{ "63 42 0:39 / /tmp/mi-probe/back\\134slash rw,relatime - "
		    "tmpfs my\\040src rw",
		    63, 42, 0, 39, "/", "/tmp/mi-probe/back\\slash", "tmpfs",
		    "my src" },
		{ "64 42 0:40 / /tmp/mi-probe/new\\012line rw,relatime - "
		    "tmpfs x rw,size=1024k",
		    64, 42, 0, 40, "/", "/tmp/mi-probe/new\nline", "tmpfs",
		    "x" },
		{ "66 65 0:38 /a\\011b /tmp/mi-probe/tab\\011x rw,relatime - "
		    "tmpfs  rw",
		    66, 65, 0, 38, "/a\tb", "/tmp/mi-probe/tab\tx", "tmpfs",
		    "" },
		/* a folder literally named "\040": its backslash escaped */
		{ "67 42 0:41 / /m/\\134040 rw - fuse.a\\040b s rw",
		    67, 42, 0, 41, "/", "/m/\\040", "fuse.a b", "s" },
		/* a folder really named so: the kernel marks deleted roots
		 * with "//deleted", never mount points */
		{ "68 42 0:41 / /m/x\\040(deleted) rw - tmpfs s rw",
		    68, 42, 0, 41, "/", "/m/x (deleted)", "tmpfs", "s" },
		/* not UTF-8: bytes pass as they are */
		{ "69 42 0:41 / /m/caf\xe9\\377 rw - tmpfs s rw",
		    69, 42, 0, 41, "/", "/m/caf\xe9\xff", "tmpfs", "s" },
		/* the decoded first byte counts: \057 is '/' */
		{ "70 42 0:41 / \\057m rw - tmpfs s rw",
		    70, 42, 0, 41, "/", "/m", "tmpfs", "s" },
	};

	(void)state;
	check_goods(g, NITEMS(g));
}

/* What is not an escape stays as it was. */
static void
test_escape_edges(void **state)
{
	static const struct good	g[] = {
		{ "1 1 0:1 / /a\\000b rw - t s rw",		/* no NUL */
		    1, 1, 0, 1, "/", "/a\\000b", "t", "s" },
		{ "1 1 0:1 / /a\\400\\777 rw - t s rw",	/* > 0377 */
		    1, 1, 0, 1, "/", "/a\\400\\777", "t", "s" },
		{ "1 1 0:1 / /a\\08\\0 rw - t s rw",		/* not octal */
		    1, 1, 0, 1, "/", "/a\\08\\0", "t", "s" },
		{ "1 1 0:1 / /a\\04 rw - t s\\ rw",	/* cut by the field */
		    1, 1, 0, 1, "/", "/a\\04", "t", "s\\" },
		{ "1 1 0:1 / /a\\ rw - t \\1 rw",		/* lone */
		    1, 1, 0, 1, "/", "/a\\", "t", "\\1" },
		{ "1 1 0:1 / /\\\\040 rw - t s rw",	/* one pass */
		    1, 1, 0, 1, "/", "/\\ ", "t", "s" },
		{ "1 1 0:1 / /\\001\\177\\200 rw - t s rw",
		    1, 1, 0, 1, "/", "/\x01\x7f\x80", "t", "s" },
	};

	(void)state;
	check_goods(g, NITEMS(g));
	/* \000 does not decode, so this point starts with a backslash */
	check_bad("1 1 0:1 / \\000/a rw - t s rw");
}

/* ---- numbers ---- */

static void
test_numbers(void **state)
{
	static const struct good	g[] = {
		{ "18446744073709551615 18446744073709551615 "
		    "4294967295:4294967295 / / rw - t s rw",
		    UINT64_MAX, UINT64_MAX, UINT32_MAX, UINT32_MAX, "/", "/",
		    "t", "s" },
		{ "0 0 0:0 / / rw - t s rw", 0, 0, 0, 0, "/", "/", "t", "s" },
		{ "007 08 09:010 / / rw - t s rw", 7, 8, 9, 10, "/", "/", "t",
		    "s" },
		{ "00000000000000000000000000000018446744073709551615 1 1:1 / "
		    "/ rw - t s rw", UINT64_MAX, 1, 1, 1, "/", "/", "t", "s" },
	};
	static const char	*bad[] = {
		"18446744073709551616 1 1:1 / / rw - t s rw",
		"1 18446744073709551616 1:1 / / rw - t s rw",
		"99999999999999999999999 1 1:1 / / rw - t s rw",
		"1 1 4294967296:1 / / rw - t s rw",
		"1 1 1:4294967296 / / rw - t s rw",
		"1 1 18446744073709551617:1 / / rw - t s rw",
		"-1 1 1:1 / / rw - t s rw",
		"+1 1 1:1 / / rw - t s rw",
		"1 1 -1:1 / / rw - t s rw",
		"1 1 1:+1 / / rw - t s rw",
		"0x1a 1 1:1 / / rw - t s rw",
		"1a 1 1:1 / / rw - t s rw",
		"1 1 1:1a / / rw - t s rw",
		" 1 1 1:1 / / rw - t s rw",		/* empty id */
		"1  1 1:1 / / rw - t s rw",
		"1 1 2540 / / rw - t s rw",		/* no colon */
		"1 1 254: / / rw - t s rw",
		"1 1 :0 / / rw - t s rw",
		"1 1 : / / rw - t s rw",
		"1 1 254:0:1 / / rw - t s rw",
		"1 1 254::0 / / rw - t s rw",
	};
	size_t			 i;

	(void)state;
	check_goods(g, NITEMS(g));
	for (i = 0; i < NITEMS(bad); i++)
		check_bad(bad[i]);
}

/* ---- the mount point ---- */

/* "1 1 0:1 / <point> rw - t s rw" with point = "/" + n times unit. */
static char *
long_line(const char *unit, size_t n, size_t *outlen)
{
	const char	*head = "1 1 0:1 / /", *tail = " rw - t s rw";
	size_t		 hl = strlen(head), ul = strlen(unit),
			 tl = strlen(tail), i, len = hl + n * ul + tl;
	char		*s = malloc(len + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	for (i = 0; i < n; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + n * ul, tail, tl + 1);
	*outlen = len;
	return s;
}

/* ok: decoded, unit is dec bytes long */
static void
check_point_len(const char *unit, size_t dec, size_t n, int ok)
{
	struct mountinfo_entry	 e;
	size_t			 len;
	char			*s = long_line(unit, n, &len), *buf;

	if (!ok) {
		check_bad_len(s, len);
		free(s);
		return;
	}
	buf = copy_exact(s, len);
	assert_int_equal(mountinfo_parse_line(&e, buf, len), 0);
	assert_int_equal(e.point_len, 1 + n * dec);
	assert_int_equal(e.point[e.point_len], '\0');
	assert_int_equal(strlen(e.point), e.point_len);
	free(buf);
	free(s);
}

static void
test_point(void **state)
{
	(void)state;
	/* the decoded length counts, not the printed one */
	check_point_len("a", 1, PATH_MAX - 2, 1);
	check_point_len("a", 1, PATH_MAX - 1, 0);
	check_point_len("\\040", 1, PATH_MAX - 2, 1);
	check_point_len("\\040", 1, PATH_MAX - 1, 0);
	check_point_len("\\000", 4, (PATH_MAX - 2) / 4, 1);
	check_point_len("\\000", 4, (PATH_MAX - 1 + 3) / 4, 0);

	check_bad("1 1 0:1 / mnt rw - t s rw");
	check_bad("1 1 0:1 / \\040/mnt rw - t s rw");
	check_bad("1 1 0:1 / ./mnt rw - t s rw");
	check_bad("1 1 0:1 /  rw - t s rw");		/* empty */
}

/* ---- malformed lines ---- */

static void
test_truncated(void **state)
{
	const char	*line = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 "
			    "- ext3 /dev/root rw,errors=continue";
	const char	*opts = strstr(line, "rw,errors");
	size_t		 len = strlen(line), k;
	struct good	 g = { NULL, 36, 35, 98, 0, "/mnt1", "/mnt2",
			    "ext3", "/dev/root" };
	char		 tmp[128];

	(void)state;
	assert_true(len < sizeof(tmp));
	/* a line is whole once its super block options have begun */
	for (k = 0; k <= len; k++) {
		if (line + k <= opts) {
			check_bad_len(line, k);
			continue;
		}
		memcpy(tmp, line, k);
		tmp[k] = '\0';
		g.line = tmp;
		check_good(&g);
	}
}

static void
test_bad_lines(void **state)
{
	static const char	*bad[] = {
		"",
		" ",
		"\n",
		"36 35 98:0 /mnt1 /mnt2",		/* five fields */
		"36 35 98:0 /mnt1 /mnt2 rw",
		"36 35 98:0 /mnt1 /mnt2 rw master:1 ext3 /dev/root rw",
		"36 35 98:0 /mnt1 /mnt2 rw,noatime ext3 /dev/root rw",
		"36 35 98:0 /mnt1 /mnt2 rw,noatime -- ext3 /dev/root rw",
		"36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root",
		"36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root ",
		"36 35 98:0 /mnt1 /mnt2 rw - ext3",
		"36 35 98:0 /mnt1 /mnt2 rw -",
		"36 35 98:0 /mnt1 /mnt2 rw - ",
		"36 35 98:0 /mnt1 /mnt2 rw -  /dev/root rw",	/* no type */
		"36 35 98:0  /mnt2 rw - ext3 /dev/root rw",	/* no root */
		"36 35 98:0 /mnt1 /mnt2  - ext3 /dev/root rw",	/* no opts */
		"36 35 98:0 /mnt1  /mnt2 rw - ext3 /dev/root rw",
		"36\t35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw",
		("36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n"
		    "37 35 98:0 /mnt1 /mnt3 rw - ext3 /dev/root rw"),
		"36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n",
		"- - - - - - - - - -",
		"             ",
	};
	size_t			 i;

	(void)state;
	for (i = 0; i < NITEMS(bad); i++)
		check_bad(bad[i]);
}

/* A NUL or a newline anywhere, even in the unchecked super block
 * options. */
static void
test_nul(void **state)
{
	static const char	line[] = "36 35 98:0 / /mnt rw - ext3 /dev/root "
				    "rw";
	char			s[sizeof(line)];
	size_t			len = sizeof(line) - 1, i;

	(void)state;
	for (i = 0; i < len; i++) {
		memcpy(s, line, sizeof(line));
		s[i] = '\0';
		check_bad_len(s, len);
		s[i] = '\n';
		check_bad_len(s, len);
	}
}

/* NULL with len 0 is an empty line, not a crash. */
static void
test_empty(void **state)
{
	struct mountinfo_entry	e;

	(void)state;
	assert_int_equal(mountinfo_parse_line(&e, NULL, 0), ERR_MALFORMED);
	assert_null(e.point);
	assert_int_equal(e.point_len, 0);
}

/* Only line[0..len) is read and written: the next line in the same
 * buffer is untouched. A newline left in len is an error. */
static void
test_in_buffer(void **state)
{
	static const char	two[] = "1 2 3:4 /r\\040 /a\\040b rw - t s\\040 "
				    "rw\n5 6 7:8 /r\\040 /c\\040d rw - t s rw";
	struct mountinfo_entry	e;
	char			buf[sizeof(two)];
	size_t			first = (size_t)(strchr(two, '\n') - two);

	(void)state;
	memcpy(buf, two, sizeof(two));
	assert_int_equal(mountinfo_parse_line(&e, buf, first), 0);
	assert_string_equal(e.root, "/r ");
	assert_string_equal(e.point, "/a b");
	assert_string_equal(e.source, "s ");
	assert_memory_equal(buf + first, two + first, sizeof(two) - first);

	check_bad_len(two, first + 1);
}

/* ---- against the kernel ---- */

/*
 * Every line of this process's mountinfo parses, and the mount that
 * holds "/" (statx's mount id) is the line whose point is "/". In a
 * chroot (as in Debian's package builders) / is not a mount point and
 * the mount holding it is outside the root, so the kernel lists no such
 * line: that part is then skipped, and the test says so.
 */
static void
test_this_machine(void **state)
{
	struct mountinfo_entry	 e;
	struct statx		 sx;
	FILE			*f;
	char			*line = NULL;
	size_t			 cap = 0, n = 0, root = 0, found = 0;
	ssize_t			 len;

	(void)state;
	if ((f = fopen("/proc/self/mountinfo", "r")) == NULL)
		skip();
	assert_int_equal(statx(AT_FDCWD, "/", 0, STATX_MNT_ID, &sx), 0);
	assert_true(sx.stx_mask & STATX_MNT_ID);
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		if (mountinfo_parse_line(&e, line, (size_t)len) != 0)
			fail_msg("rejected: %.*s", (int)len, line);
		n++;
		root += strcmp(e.point, "/") == 0;
		if (e.mnt_id == sx.stx_mnt_id) {
			found++;
			assert_string_equal(e.point, "/");
		}
	}
	free(line);
	fclose(f);
	assert_true(n > 0);
	if (found == 0) {
		assert_int_equal(root, 0);
		print_message("/ is not a mount point here (a chroot?): the "
		    "check of its line is skipped\n");
		return;
	}
	assert_int_equal(found, 1);
}

#define CHILD_CHECK(x) do {						\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #x);	\
		_exit(1);						\
	}								\
} while (0)

static const struct {
	const char	*name;
	const char	*source;
} AWKWARD[] = {
	{ "USB STICK", "" },
	{ "back\\slash", "my src" },
	{ "new\nline", "x" },
	{ "tab\tx", "x\\y" },
	{ "\\040", "x" },
	{ "caf\xc3\xa9 \xff", "x" },
};

/* In a child with a private mount namespace: mount a tmpfs on each
 * awkward folder under dir and find each one, decoded, in mountinfo.
 * Exits 0, 77 if mounting is not allowed here, else 1. */
static void
child_mounts(const char *dir)
{
	struct mountinfo_entry	 e;
	FILE			*f;
	char			 p[PATH_MAX], *line = NULL;
	size_t			 cap = 0, i, seen[NITEMS(AWKWARD)] = { 0 };
	ssize_t			 len;

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		_exit(77);
	for (i = 0; i < NITEMS(AWKWARD); i++) {
		CHILD_CHECK(snprintf(p, sizeof(p), "%s/%s", dir,
		    AWKWARD[i].name) < (int)sizeof(p));
		if (mount(AWKWARD[i].source, p, "tmpfs", 0, "size=64k") != 0)
			_exit(77);
	}
	CHILD_CHECK((f = fopen("/proc/self/mountinfo", "r")) != NULL);
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		CHILD_CHECK(mountinfo_parse_line(&e, line, (size_t)len) == 0);
		CHILD_CHECK(strlen(e.point) == e.point_len);
		for (i = 0; i < NITEMS(AWKWARD); i++) {
			CHILD_CHECK(snprintf(p, sizeof(p), "%s/%s", dir,
			    AWKWARD[i].name) < (int)sizeof(p));
			if (strcmp(e.point, p) != 0)
				continue;
			CHILD_CHECK(strcmp(e.fstype, "tmpfs") == 0);
			CHILD_CHECK(strcmp(e.source, AWKWARD[i].source) == 0);
			CHILD_CHECK(strcmp(e.root, "/") == 0);
			seen[i]++;
		}
	}
	fclose(f);
	free(line);
	for (i = 0; i < NITEMS(AWKWARD); i++)
		CHILD_CHECK(seen[i] == 1);
	_exit(0);
}

static void
test_kernel_roundtrip(void **state)
{
	struct tmpdir	 tmp;
	char		 dir[PATH_MAX], p[PATH_MAX];
	size_t		 i;
	pid_t		 pid;
	int		 status;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(tmpdir_make(&tmp, "mountinfo"), 0);
	/* canonical, as the kernel prints it */
	assert_non_null(realpath(tmp.path, dir));
	for (i = 0; i < NITEMS(AWKWARD); i++) {
		assert_true(snprintf(p, sizeof(p), "%s/%s", dir,
		    AWKWARD[i].name) < (int)sizeof(p));
		assert_int_equal(mkdir(p, 0700), 0);
	}
	fflush(NULL);
	assert_true((pid = fork()) != -1);
	if (pid == 0)
		child_mounts(dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* the namespace, and its mounts, died with the child */
	for (i = 0; i < NITEMS(AWKWARD); i++) {
		assert_true(snprintf(p, sizeof(p), "%s/%s", dir,
		    AWKWARD[i].name) < (int)sizeof(p));
		assert_int_equal(rmdir(p), 0);
	}
	assert_int_equal(rmdir(dir), 0);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_lines),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_escape_edges),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_point),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_in_buffer),
		cmocka_unit_test(test_this_machine),
		cmocka_unit_test(test_kernel_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
