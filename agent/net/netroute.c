/*
 * netroute.c: the default route from /proc/net/route (netroute.h).
 *
 * The file is the kernel's, one header line and one line per route:
 *
 *   Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
 *   eth0  00000000    0101A8C0 0003 0      0   100    00000000 0 0   0
 *
 * Addresses are the 32-bit value of the network-order bytes, printed as
 * the host's integer: read back into a host integer, their bytes are the
 * address again, on any byte order. Fields are checked as untrusted
 * input all the same (fuzz_netroute.c). Load: a few lines, every few
 * seconds.
 */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "netroute.h"

#define ROUTE_FILE	"/proc/net/route"
#define ROUTE_MAX	(64 * 1024)	/* read at most: thousands of routes */
#define RTF_UP		0x0001
#define FIELDS		8		/* the ones used: Iface .. Mask */

struct field {
	const char	*p;
	size_t		 len;
};

/* Up to FIELDS blank-separated fields of line[0..len): how many. */
static size_t
split(struct field f[static FIELDS], const char *line, size_t len)
{
	size_t	i = 0, n = 0, start;

	while (n < FIELDS) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		f[n].p = line + start;
		f[n].len = i - start;
		n++;
	}
	return n;
}

/* 1 to 8 hex digits. */
static int
hex32(uint32_t *out, const struct field *f)
{
	uint32_t	v = 0;
	size_t		i;
	int		c;

	if (f->len == 0 || f->len > 8)
		return ERR_MALFORMED;
	for (i = 0; i < f->len; i++) {
		c = (unsigned char)f->p[i];
		if (!isxdigit(c))
			return ERR_MALFORMED;
		v = v << 4 | (uint32_t)(isdigit(c) ? c - '0' :
		    tolower(c) - 'a' + 10);
	}
	*out = v;
	return 0;
}

/* 1 to 9 decimal digits (a metric is at most 2^32 - 1; 9 digits keep
 * the arithmetic in range without a check per step). */
static int
dec32(uint32_t *out, const struct field *f)
{
	uint32_t	v = 0;
	size_t		i;

	if (f->len == 0 || f->len > 9)
		return ERR_MALFORMED;
	for (i = 0; i < f->len; i++) {
		if (!isdigit((unsigned char)f->p[i]))
			return ERR_MALFORMED;
		v = v * 10 + (uint32_t)(f->p[i] - '0');
	}
	*out = v;
	return 0;
}

/* What the kernel allows in a name (dev_valid_name): no '/', no blank;
 * and here, nothing but printable ASCII (no NUL to cut it short). */
static int
ifname_ok(const struct field *f)
{
	size_t	i;

	if (f->len == 0 || f->len >= NETROUTE_IFNAME)
		return 0;
	for (i = 0; i < f->len; i++)
		if (f->p[i] <= ' ' || f->p[i] > '~' || f->p[i] == '/')
			return 0;
	return 1;
}

/* One route line: 1 if it is an up default route, with its metric. */
static int
route_line(struct netroute *r, uint32_t *metric, const char *line,
    size_t len)
{
	struct field	f[FIELDS];
	uint32_t	dst, gw, flags, mask;

	/* the name starts the line */
	if (line[0] == ' ' || line[0] == '\t' ||
	    split(f, line, len) != FIELDS ||
	    hex32(&dst, &f[1]) != 0 || hex32(&gw, &f[2]) != 0 ||
	    hex32(&flags, &f[3]) != 0 || dec32(metric, &f[6]) != 0 ||
	    hex32(&mask, &f[7]) != 0)
		return ERR_MALFORMED;
	if (!ifname_ok(&f[0]))
		return ERR_MALFORMED;
	if (dst != 0 || mask != 0 || !(flags & RTF_UP))
		return 0;
	memset(r, 0, sizeof(*r));
	memcpy(r->ifname, f[0].p, f[0].len);
	memcpy(r->gateway, &gw, sizeof(r->gateway));
	r->has_gateway = gw != 0;
	return 1;
}

int
netroute_parse(struct netroute *out, const char *text, size_t len)
{
	struct netroute	 r;
	const char	*nl;
	uint32_t	 metric, best = 0;
	size_t		 off, ll;
	int		 found = 0, rc, first = 1;

	for (off = 0; off < len; off += ll + 1) {
		nl = memchr(text + off, '\n', len - off);
		ll = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		if (first) {		/* the header */
			first = 0;
			continue;
		}
		if (ll == 0)
			continue;
		if ((rc = route_line(&r, &metric, text + off, ll)) < 0)
			return rc;
		if (rc == 1 && (!found || metric < best)) {
			*out = r;
			best = metric;
			found = 1;
		}
	}
	return found ? 0 : ERR_NOTFOUND;
}

int
netroute_read(struct netroute *out, const char *path)
{
	char	 buf[ROUTE_MAX];
	char	*nl;
	size_t	 len = 0;
	ssize_t	 n = 0;
	int	 fd;

	if (path == NULL)
		path = ROUTE_FILE;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return ERR_IO;
	}
	/* procfs hands the file over in pieces */
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	if (n == -1) {
		log_warn("%s", path);
		close(fd);
		return ERR_IO;
	}
	close(fd);
	/* a table longer than the buffer: its whole lines only */
	if (len == sizeof(buf) && (nl = memrchr(buf, '\n', len)) != NULL)
		len = (size_t)(nl - buf);
	return netroute_parse(out, buf, len);
}
