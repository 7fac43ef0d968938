/*
 * scanmsg.c: the scan worker's messages (scanmsg.h).
 *
 * The parent's side is the part that matters: scanmsg_parse is the only
 * way a byte from the worker reaches the daemon. Sizes are the kernel's
 * (MSG_TRUNC), never a length the worker wrote alone; a RESULT is read
 * with a sticky cursor and built into one arena whose size is bounded by
 * the datagram's (8 bytes of arena per byte received at most: every
 * element costs at least an eighth of what it takes there; a match of
 * 20 bytes takes 128), so a hostile worker cannot make the parent
 * allocate more than 2 MiB per reply.
 *
 * RESULT body, host order, strings as { u32 len, bytes } without NUL:
 *   u64 id, u32 status, u64 too_many, u8 have_stat, u64 size, inode,
 *   device, u32 uid, i64 mtime_us, str owner, filetype, sha256, reason,
 *   u8 has_ioc [str list, indicator, kind, u8 has_note [str note]],
 *   u32 nmatches { str rule, ns, u32 ntags { str }, u32 nmeta { str key,
 *   u8 type, str value | i64 value }, u32 nstrings { str } }
 *
 * Load: one SCAN and one RESULT per file scanned.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "err.h"
#include "msgframe.h"
#include "scanmsg.h"

#define ARENA_PER_BYTE	8
#define ARENA_SLACK	64
#define STR_MIN		4	/* bytes a string takes in a RESULT */
#define IOC_FIELD_MAX	4096	/* a list entry's text, at most */
#define RULE_FIELD_MAX	1024	/* a rule, namespace, tag or string name */
#define META_FIELD_MAX	65536	/* a meta value */

struct scan_hdr {
	uint64_t	 id;
	char		 owner[SCANNER_OWNER_MAX];
};

struct probe_body {
	uint64_t	 id;
	uint32_t	 what;
	uint32_t	 pad;
};

struct probed_body {
	uint64_t	 id;
	int32_t		 err;
	uint32_t	 pad;
};

_Static_assert(SCANMSG_HDR == MSGFRAME_HDR, "the frame's header");
_Static_assert(sizeof(struct scanmsg_ready) == 96, "no padding in READY");
_Static_assert(sizeof(struct scan_hdr) == 72, "no padding in SCAN");

/* ---- reading: host-order numbers and strings through a cursor ---- */

static uint64_t
rd_u64(struct cur *c)
{
	const uint8_t	*p = cur_take(c, 8);
	uint64_t	 v = 0;

	if (p != NULL)
		memcpy(&v, p, 8);
	return v;
}

static uint32_t
rd_u32(struct cur *c)
{
	const uint8_t	*p = cur_take(c, 4);
	uint32_t	 v = 0;

	if (p != NULL)
		memcpy(&v, p, 4);
	return v;
}

/* n bytes of the arena, 8-aligned (the arena is malloc'ed), or NULL. */
static void *
take(struct scratch *a, size_t n)
{
	size_t	r = (n + 7) & ~(size_t)7;

	if (r < n)
		return NULL;
	return scratch_alloc(a, r);
}

/* A string of at most max bytes, no NUL in it, copied and terminated
 * into the arena; NULL (c's error set) if not. */
static const char *
rd_str(struct cur *c, struct scratch *a, size_t max)
{
	uint32_t	 len = rd_u32(c);
	const uint8_t	*p;
	char		*s;

	if (!cur_ok(c) || len > max || (p = cur_take(c, len)) == NULL ||
	    memchr(p, '\0', len) != NULL || (s = take(a, (size_t)len +
	    1)) == NULL) {
		c->err = true;
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* The same into a fixed field of the result (under size bytes). */
static void
rd_field(struct cur *c, struct scratch *a, char *out, size_t size)
{
	const char	*s = rd_str(c, a, size - 1);

	if (s != NULL)
		memcpy(out, s, strlen(s) + 1);
}

/* A count of elements each at least min bytes long: no more than what
 * is left could hold, nor than max. */
static uint32_t
rd_count(struct cur *c, size_t min, size_t max)
{
	uint32_t	n = rd_u32(c);

	if (n > max || n > cur_left(c) / min)
		c->err = true;
	return cur_ok(c) ? n : 0;
}

static const char *const *
rd_strs(struct cur *c, struct scratch *a, size_t *np)
{
	const char	**v;
	uint32_t	  n = rd_count(c, STR_MIN, SIZE_MAX), i;

	*np = 0;
	if ((v = take(a, ((size_t)n + 1) * sizeof(*v))) == NULL) {
		c->err = true;
		return NULL;
	}
	for (i = 0; i < n && cur_ok(c); i++)
		v[i] = rd_str(c, a, RULE_FIELD_MAX);
	v[n] = NULL;
	*np = n;
	return v;
}

static void
rd_meta(struct cur *c, struct scratch *a, struct scanner_match *m)
{
	struct scanner_meta	*v;
	uint32_t		 n = rd_count(c, STR_MIN + 1 + STR_MIN,
				    SIZE_MAX), i;
	uint8_t			 type;

	if ((v = take(a, ((size_t)n + 1) * sizeof(*v))) == NULL) {
		c->err = true;
		return;
	}
	memset(v, 0, ((size_t)n + 1) * sizeof(*v));
	for (i = 0; i < n && cur_ok(c); i++) {
		v[i].key = rd_str(c, a, RULE_FIELD_MAX);
		type = cur_u8(c);
		if (type == SCANNER_META_STRING)
			v[i].str = rd_str(c, a, META_FIELD_MAX);
		else if (type == SCANNER_META_INT || type == SCANNER_META_BOOL)
			v[i].num = (int64_t)rd_u64(c);
		else
			c->err = true;
		v[i].type = (enum scanner_meta_type)type;
	}
	m->meta = v;
	m->nmeta = n;
}

static void
rd_matches(struct cur *c, struct scratch *a, struct scanner_result *r)
{
	struct scanner_match	*v;
	uint32_t		 n, i;

	/* rule, ns and three counts */
	n = rd_count(c, 2 * STR_MIN + 12, SCANMSG_MATCH_MAX);
	if (n == 0)
		return;
	if ((v = take(a, (size_t)n * sizeof(*v))) == NULL) {
		c->err = true;
		return;
	}
	memset(v, 0, (size_t)n * sizeof(*v));
	for (i = 0; i < n && cur_ok(c); i++) {
		v[i].rule = rd_str(c, a, RULE_FIELD_MAX);
		v[i].ns = rd_str(c, a, RULE_FIELD_MAX);
		v[i].tags = rd_strs(c, a, &v[i].ntags);
		rd_meta(c, a, &v[i]);
		v[i].strings = rd_strs(c, a, &v[i].nstrings);
	}
	r->matches = v;
	r->nmatches = n;
}

static void
rd_ioc(struct cur *c, struct scratch *a, struct ioc_hit *h)
{
	if (cur_u8(c) == 0)
		return;
	h->list = rd_str(c, a, IOC_FIELD_MAX);
	h->indicator = rd_str(c, a, IOC_FIELD_MAX);
	h->kind = rd_str(c, a, RULE_FIELD_MAX);
	if (cur_u8(c) != 0)
		h->note = rd_str(c, a, IOC_FIELD_MAX);
}

/* The hex SHA-256 is "" or 64 lower-case hex digits. */
static int
sha256_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n != 0 && n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL)
			return 0;
	return 1;
}

static int
result(struct scanmsg_result *out, const uint8_t *body, size_t len,
    const char **why)
{
	struct cur		 c = cur_make(body, len);
	struct scratch		 a;
	struct scanner_result	*r = &out->r;
	uint32_t		 status;

	a.cap = len * ARENA_PER_BYTE + ARENA_SLACK;
	a.used = 0;
	if ((a.buf = malloc(a.cap)) == NULL)
		return ERR_NOMEM;
	out->arena = a.buf;
	out->id = rd_u64(&c);
	status = rd_u32(&c);
	r->status = (enum scanner_status)status;
	r->too_many = (size_t)rd_u64(&c);
	r->have_stat = cur_u8(&c);
	r->size = rd_u64(&c);
	r->inode = rd_u64(&c);
	r->device = rd_u64(&c);
	r->uid = rd_u32(&c);
	r->mtime_us = (int64_t)rd_u64(&c);
	rd_field(&c, &a, r->owner, sizeof(r->owner));
	rd_field(&c, &a, r->filetype, sizeof(r->filetype));
	rd_field(&c, &a, r->sha256, sizeof(r->sha256));
	rd_field(&c, &a, r->reason, sizeof(r->reason));
	rd_ioc(&c, &a, &r->ioc);
	rd_matches(&c, &a, r);
	if (!cur_ok(&c) || cur_left(&c) != 0) {
		*why = "a verdict that does not parse";
		goto bad;
	}
	if (status > SCAN_STALLED || r->have_stat > 1 ||
	    !sha256_ok(r->sha256)) {
		*why = "a verdict out of range";
		goto bad;
	}
	return 0;
bad:
	scanmsg_result_free(out);
	return ERR_MALFORMED;
}

void
scanmsg_result_free(struct scanmsg_result *m)
{
	if (m == NULL)
		return;
	free(m->arena);
	memset(m, 0, sizeof(*m));
}

/* The version: 64 lower-case hex digits and a NUL. */
static int
ready(struct scanmsg_ready *out, const uint8_t *body, size_t len,
    const char **why)
{
	int	rc;

	if ((rc = msgframe_fixed(out, sizeof(*out), body, len, why)) != 0)
		return rc;
	if (out->version[SCANNER_VERSION_LEN] != '\0' ||
	    strlen(out->version) != SCANNER_VERSION_LEN ||
	    !sha256_ok(out->version) || out->from_cache > 1) {
		*why = "a rule-set description out of range";
		return ERR_MALFORMED;
	}
	return 0;
}

static int
scan(struct scanmsg *m, const uint8_t *body, size_t len, const char **why)
{
	struct scan_hdr	 h;
	const char	*path = (const char *)body + sizeof(h);
	size_t		 plen;

	if (len < sizeof(h) + 2 || len - sizeof(h) > SCANMSG_PATH_MAX) {
		*why = "wrong size for its type";
		return ERR_MALFORMED;
	}
	memcpy(&h, body, sizeof(h));
	plen = len - sizeof(h);
	if (memchr(h.owner, '\0', sizeof(h.owner)) == NULL ||
	    path[plen - 1] != '\0' || strlen(path) != plen - 1) {
		*why = "an owner or path not terminated where it ends";
		return ERR_MALFORMED;
	}
	m->u.scan.id = h.id;
	memcpy(m->u.scan.owner, h.owner, sizeof(h.owner));
	m->u.scan.path = path;
	return 0;
}

static int
small(struct scanmsg *m, const uint8_t *body, size_t len, const char **why)
{
	struct probe_body	p;
	struct probed_body	q;
	int			rc;

	if (m->type == SCANMSG_PROBE) {
		if ((rc = msgframe_fixed(&p, sizeof(p), body, len, why)) != 0)
			return rc;
		if (p.what == 0 || p.what > SCANMSG_PROBE_MAX) {
			*why = "an unknown probe";
			return ERR_MALFORMED;
		}
		m->u.probe.id = p.id;
		m->u.probe.what = p.what;
		return 0;
	}
	if ((rc = msgframe_fixed(&q, sizeof(q), body, len, why)) != 0)
		return rc;
	m->u.probed.id = q.id;
	m->u.probed.err = q.err;
	return 0;
}

int
scanmsg_parse(struct scanmsg *out, const uint8_t *buf, size_t n,
    int from_worker, const char **why)
{
	struct msgframe	 h;
	const uint8_t	*body = buf + SCANMSG_HDR;
	const char	*dummy;
	int		 rc;

	if (why == NULL)
		why = &dummy;
	memset(out, 0, sizeof(*out));
	if ((rc = msgframe_parse(&h, buf, n, SCANMSG_MAX, why)) != 0)
		return rc;
	out->type = h.type;
	switch (from_worker ? h.type : 0) {
	case SCANMSG_READY:
		return ready(&out->u.ready, body, h.len, why);
	case SCANMSG_RESULT:
		return result(&out->u.result, body, h.len, why);
	case SCANMSG_PROBED:
		return small(out, body, h.len, why);
	case 0:
		break;
	default:
		*why = "unknown type";
		return ERR_MALFORMED;
	}
	switch (h.type) {
	case SCANMSG_SCAN:
		return scan(out, body, h.len, why);
	case SCANMSG_PROBE:
		return small(out, body, h.len, why);
	default:
		*why = "unknown type";
		return ERR_MALFORMED;
	}
}

/* ---- writing ---- */

struct wr {
	uint8_t	*p;
	size_t	 cap, len;
	int	 err;
};

static void
wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = 1;
		return;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void
wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void
wr_u32(struct wr *w, uint32_t v)
{
	wr_bytes(w, &v, 4);
}

static void
wr_u64(struct wr *w, uint64_t v)
{
	wr_bytes(w, &v, 8);
}

static void
wr_str(struct wr *w, const char *s)
{
	size_t	n = s != NULL ? strlen(s) : 0;

	if (n > UINT32_MAX) {
		w->err = 1;
		return;
	}
	wr_u32(w, (uint32_t)n);
	wr_bytes(w, s, n);
}

static void
wr_match(struct wr *w, const struct scanner_match *m)
{
	size_t	i;

	wr_str(w, m->rule);
	wr_str(w, m->ns);
	wr_u32(w, (uint32_t)m->ntags);
	for (i = 0; i < m->ntags; i++)
		wr_str(w, m->tags[i]);
	wr_u32(w, (uint32_t)m->nmeta);
	for (i = 0; i < m->nmeta; i++) {
		wr_str(w, m->meta[i].key);
		wr_u8(w, (uint8_t)m->meta[i].type);
		if (m->meta[i].type == SCANNER_META_STRING)
			wr_str(w, m->meta[i].str);
		else
			wr_u64(w, (uint64_t)m->meta[i].num);
	}
	wr_u32(w, (uint32_t)m->nstrings);
	for (i = 0; i < m->nstrings; i++)
		wr_str(w, m->strings[i]);
}

size_t
scanmsg_result_encode(uint8_t *buf, size_t cap, uint64_t id,
    const struct scanner_result *r)
{
	struct wr	w = { buf, cap, 0, 0 };
	size_t		i;

	if (r->nmatches > SCANMSG_MATCH_MAX)
		return 0;
	wr_u64(&w, id);
	wr_u32(&w, (uint32_t)r->status);
	wr_u64(&w, r->too_many);
	wr_u8(&w, (uint8_t)(r->have_stat != 0));
	wr_u64(&w, r->size);
	wr_u64(&w, r->inode);
	wr_u64(&w, r->device);
	wr_u32(&w, r->uid);
	wr_u64(&w, (uint64_t)r->mtime_us);
	wr_str(&w, r->owner);
	wr_str(&w, r->filetype);
	wr_str(&w, r->sha256);
	wr_str(&w, r->reason);
	wr_u8(&w, r->ioc.list != NULL);
	if (r->ioc.list != NULL) {
		wr_str(&w, r->ioc.list);
		wr_str(&w, r->ioc.indicator);
		wr_str(&w, r->ioc.kind);
		wr_u8(&w, r->ioc.note != NULL);
		if (r->ioc.note != NULL)
			wr_str(&w, r->ioc.note);
	}
	wr_u32(&w, (uint32_t)r->nmatches);
	for (i = 0; i < r->nmatches; i++)
		wr_match(&w, &r->matches[i]);
	return w.err ? 0 : w.len;
}

/* ---- the socket ---- */

int
scanmsg_send(int sock, uint32_t type, const void *body, size_t len, int fd)
{
	if (len > SCANMSG_MAX - SCANMSG_HDR)
		return ERR_TOOBIG;
	if (msgframe_send(sock, type, body, len, fd, 0) == 0)
		return 0;
	return errno == EMSGSIZE ? ERR_TOOBIG : ERR_IO;
}

int
scanmsg_recv(int sock, uint8_t *buf, size_t *n, int *fdp)
{
	return msgframe_recv(sock, buf, SCANMSG_MAX, n, fdp, 0);
}
