/*
 * dns.c: DNS messages (RFC 1035): the header, the first question, and the
 * first TXN_DNS_MAX_ANSWERS records of the answer section.
 *
 * Names. A name is decompressed with two limits that together bound the
 * work on any input: at most DNS_MAX_HOPS compression pointers, and at
 * most DNS_NAME_WIRE bytes in wire form (labels with their length bytes
 * and the root byte: RFC 1035's 255). A pointer outside the message, a
 * label type 01 or 10 (RFC 6891's extended labels, never deployed), a
 * loop, a name past the end are ERR_MALFORMED for the whole message.
 * Suricata truncates names over 1025 bytes and keeps going instead; a
 * name over 255 bytes is refused by every resolver, so nothing that
 * resolves is lost.
 *
 * What rules and EVE see, as Suricata (rust/src/dns/): dns.query is the
 * raw bytes of the first question's labels joined with '.', no trailing
 * dot, nothing escaped (a label holding a '.' or a NUL is not told apart:
 * Suricata does the same, and rules match those bytes); the root name is
 * no buffer. The text forms (rrname, rdata) are the same bytes through
 * common/text.h's terminal escaping: an ordinary name is unchanged, a
 * control byte, a backslash or a byte of invalid UTF-8 is escaped (where
 * Suricata's EVE writes bytes >= 0x80 as "\xNN" and leaves the rest to
 * the JSON encoder; ours is NUL-free and never ambiguous).
 *
 * Answers: A and AAAA as addresses (inet_ntop; Suricata writes AAAA as
 * eight four-digit groups), CNAME, NS, PTR as the name, MX as the
 * exchange name (the preference dropped, as Suricata), SOA in zone-file
 * order "mname rname serial refresh retry expire minimum", TXT one answer
 * per character-string (as Suricata 7); other types, and A/AAAA of a
 * wrong length, keep their type with rdata NULL. Records after the first
 * TXN_DNS_MAX_ANSWERS are not parsed (truncated is set), nor are the
 * authority and additional sections: nothing reads them, and not parsing
 * them keeps the cost of a message to its first records.
 *
 * Load: one call per DNS message seen (UDP datagrams, TCP messages).
 */
#include <arpa/inet.h>
#include <string.h>

#include "dns.h"
#include "err.h"
#include "sbuf.h"

#define DNS_HDR_LEN	12
#define DNS_NAME_WIRE	255	/* RFC 1035 2.3.4 */
#define DNS_NAME_TEXT	(DNS_NAME_WIRE - 2)	/* dotted, no trailing dot */
#define DNS_MAX_HOPS	64	/* pointers followed in one name */

enum {
	T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15,
	T_TXT = 16, T_AAAA = 28,
};

struct dname {
	uint8_t	 b[DNS_NAME_TEXT + 1];
	size_t	 len;
};

struct dns_ctx {
	struct cur	 msg;	/* the whole message: pointers are offsets */
	struct txn	*t;
	struct scratch	*s;	/* NULL: only check (dns_probe) */
};

/* A label at c (its length byte read: l) appended to n. */
static int
name_label(struct cur *c, uint8_t l, struct dname *n, size_t *wire)
{
	const uint8_t *lab;

	*wire += 1 + (size_t)l;
	if (*wire + 1 > DNS_NAME_WIRE)	/* and the root byte */
		return ERR_MALFORMED;
	if ((lab = cur_take(c, l)) == NULL)
		return ERR_MALFORMED;
	if (n->len > 0)
		n->b[n->len++] = '.';
	memcpy(n->b + n->len, lab, l);
	n->len += l;
	return 0;
}

/*
 * The name at c into n, c left after it (after the first pointer when
 * the name is compressed). c and ctx->msg are windows on the same bytes.
 */
static int
name_read(const struct dns_ctx *ctx, struct cur *c, struct dname *n)
{
	struct cur	 at = *c;
	size_t		 wire = 0;
	unsigned	 hops = 0;
	uint16_t	 off;
	uint8_t		 l;

	n->len = 0;
	for (;;) {
		l = cur_u8(&at);
		if (!cur_ok(&at))
			return ERR_MALFORMED;
		if (l == 0)
			break;
		if ((l & 0xc0) == 0xc0) {
			off = (uint16_t)((l & 0x3f) << 8 | cur_u8(&at));
			if (!cur_ok(&at) || ++hops > DNS_MAX_HOPS ||
			    off >= ctx->msg.len)
				return ERR_MALFORMED;
			if (hops == 1)
				*c = at;
			at = cur_at(&ctx->msg, off);
			continue;
		}
		if ((l & 0xc0) != 0)
			return ERR_MALFORMED;
		if (name_label(&at, l, n, &wire) != 0)
			return ERR_MALFORMED;
	}
	if (hops == 0)
		*c = at;
	return 0;
}

/* Past the name at c without following pointers (the questions after
 * the first: only where they end matters). */
static int
name_skip(struct cur *c)
{
	size_t	wire = 0;
	uint8_t	l;

	for (;;) {
		l = cur_u8(c);
		if (!cur_ok(c))
			return ERR_MALFORMED;
		if (l == 0)
			return 0;
		if ((l & 0xc0) == 0xc0)
			return cur_skip(c, 1) ? 0 : ERR_MALFORMED;
		wire += 1 + (size_t)l;
		if ((l & 0xc0) != 0 || wire + 1 > DNS_NAME_WIRE ||
		    !cur_skip(c, l))
			return ERR_MALFORMED;
	}
}

static const char *
text_of(const struct dns_ctx *ctx, const uint8_t *p, size_t n)
{
	return scratch_text(ctx->s, p, n);
}

/* A name at offset off of the message, inside the rdata that ends at
 * end, as text; *next gets the offset after it. */
static int
rdata_name(const struct dns_ctx *ctx, size_t off, size_t end,
    struct dname *n, size_t *next)
{
	struct cur	c = cur_at(&ctx->msg, off);

	if (!cur_ok(&c) || name_read(ctx, &c, n) != 0 || c.off > end)
		return ERR_MALFORMED;
	*next = c.off;
	return 0;
}

static int
rdata_addr(const struct dns_ctx *ctx, int af, const uint8_t *p,
    struct dns_answer *a)
{
	char	txt[INET6_ADDRSTRLEN];

	if (inet_ntop(af, p, txt, sizeof(txt)) == NULL)
		return ERR_MALFORMED;
	if ((a->rdata = text_of(ctx, (const uint8_t *)txt,
	    strlen(txt))) == NULL)
		return ERR_NOMEM;
	return 0;
}

/* SOA: "mname rname serial refresh retry expire minimum". */
static int
rdata_soa(const struct dns_ctx *ctx, size_t off, size_t end,
    struct dns_answer *a)
{
	struct dname	 mname, rname;
	struct sbuf	 b;
	struct cur	 c;
	const char	*m, *r;
	size_t		 at;
	int		 i;

	if (rdata_name(ctx, off, end, &mname, &at) != 0 ||
	    rdata_name(ctx, at, end, &rname, &at) != 0 || end - at != 20)
		return ERR_MALFORMED;
	if ((m = text_of(ctx, mname.b, mname.len)) == NULL ||
	    (r = text_of(ctx, rname.b, rname.len)) == NULL)
		return ERR_NOMEM;
	c = cur_at(&ctx->msg, at);
	sbuf_begin(&b, ctx->s);
	sbuf_put(&b, m, strlen(m));
	sbuf_putc(&b, ' ');
	sbuf_put(&b, r, strlen(r));
	for (i = 0; i < 5; i++) {
		sbuf_putc(&b, ' ');
		sbuf_dec(&b, cur_be32(&c));
	}
	if ((a->rdata = (const char *)sbuf_end(&b, NULL)) == NULL)
		return ERR_NOMEM;
	return 0;
}

/* The rdata of a record of type, at [off, off + len) of the message. */
static int
rdata_text(const struct dns_ctx *ctx, uint16_t type, size_t off,
    size_t len, struct dns_answer *a)
{
	struct dname	 n;
	size_t		 end = off + len, next;

	a->rdata = NULL;
	switch (type) {
	case T_A:
	case T_AAAA:
		if (len != (type == T_A ? 4 : 16))
			return 0;	/* no text; the record is still kept */
		return rdata_addr(ctx, type == T_A ? AF_INET : AF_INET6,
		    ctx->msg.p + off, a);
	case T_MX:
		if (len < 2)
			return ERR_MALFORMED;
		off += 2;
		/* FALLTHROUGH */
	case T_NS:
	case T_CNAME:
	case T_PTR:
		if (rdata_name(ctx, off, end, &n, &next) != 0)
			return ERR_MALFORMED;
		break;
	case T_SOA:
		return rdata_soa(ctx, off, end, a);
	default:
		return 0;
	}
	if ((a->rdata = text_of(ctx, n.b, n.len)) == NULL)
		return ERR_NOMEM;
	return 0;
}

/* A free answer slot, or NULL (and truncated set). */
static struct dns_answer *
answer_slot(struct txn *t)
{
	if (t->dns.nanswers >= TXN_DNS_MAX_ANSWERS) {
		t->dns.truncated = true;
		return NULL;
	}
	return &t->dns.answers[t->dns.nanswers++];
}

/* TXT: one answer per character-string. */
static int
answer_txt(const struct dns_ctx *ctx, const struct dns_answer *proto,
    struct cur rd)
{
	struct dns_answer	*a;
	const uint8_t		*p;
	uint8_t			 l;

	if (cur_left(&rd) == 0 && (a = answer_slot(ctx->t)) != NULL)
		*a = *proto;
	while (cur_left(&rd) > 0) {
		l = cur_u8(&rd);
		if ((p = cur_take(&rd, l)) == NULL)
			return ERR_MALFORMED;
		if ((a = answer_slot(ctx->t)) == NULL)
			return 0;
		*a = *proto;
		if ((a->rdata = text_of(ctx, p, l)) == NULL)
			return ERR_NOMEM;
	}
	return 0;
}

/* One resource record at c; kept in t when it is parsed for real. */
static int
answer_read(const struct dns_ctx *ctx, struct cur *c)
{
	struct dns_answer	 a, *slot;
	struct dname		 n;
	uint16_t		 rdlen;
	size_t			 off;
	int			 rc;

	if (name_read(ctx, c, &n) != 0)
		return ERR_MALFORMED;
	memset(&a, 0, sizeof(a));
	a.rrtype = cur_be16(c);
	(void)cur_be16(c);		/* class */
	a.ttl = cur_be32(c);
	rdlen = cur_be16(c);
	off = c->off;
	if (!cur_skip(c, rdlen))
		return ERR_MALFORMED;
	if (ctx->s == NULL)
		return 0;
	if ((a.rrname = text_of(ctx, n.b, n.len)) == NULL)
		return ERR_NOMEM;
	if (a.rrtype == T_TXT)
		return answer_txt(ctx, &a, cur_make(ctx->msg.p + off, rdlen));
	if ((rc = rdata_text(ctx, a.rrtype, off, rdlen, &a)) != 0)
		return rc;
	if ((slot = answer_slot(ctx->t)) != NULL)
		*slot = a;
	return 0;
}

/* The first question: dns.query, rrname, qtype. */
static int
question_first(const struct dns_ctx *ctx, struct cur *c)
{
	struct txn	*t = ctx->t;
	struct dname	 n;
	uint8_t		*q;

	if (name_read(ctx, c, &n) != 0)
		return ERR_MALFORMED;
	t->dns.qtype = cur_be16(c);
	(void)cur_be16(c);		/* class */
	if (!cur_ok(c))
		return ERR_MALFORMED;
	if (ctx->s == NULL)
		return 0;
	if ((t->dns.rrname = text_of(ctx, n.b, n.len)) == NULL)
		return ERR_NOMEM;
	if (n.len == 0)
		return 0;		/* the root: no dns.query */
	if ((q = scratch_alloc(ctx->s, n.len)) == NULL)
		return ERR_NOMEM;
	memcpy(q, n.b, n.len);
	t->buf[NB_DNS_QUERY] = q;
	t->len[NB_DNS_QUERY] = n.len;
	return 0;
}

static int
dns_body(const struct dns_ctx *ctx, struct cur *c, uint16_t qd,
    uint16_t an)
{
	uint16_t	i;
	int		rc;

	for (i = 0; i < qd; i++) {
		if (i == 0)
			rc = question_first(ctx, c);
		else
			rc = name_skip(c) == 0 && cur_skip(c, 4) ? 0 :
			    ERR_MALFORMED;
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < an; i++) {
		if (i == TXN_DNS_MAX_ANSWERS) {
			ctx->t->dns.truncated = true;
			break;
		}
		if ((rc = answer_read(ctx, c)) != 0)
			return rc;
	}
	return 0;
}

static int
dns_run(const uint8_t *msg, size_t len, struct txn *t, struct scratch *s)
{
	struct dns_ctx	 ctx = { cur_make(msg, len), t, s };
	struct cur	 c = ctx.msg;
	uint16_t	 flags, qd, an;

	if (len > UINT16_MAX)	/* no transport carries more */
		return ERR_MALFORMED;
	t->dns.id = cur_be16(&c);
	flags = cur_be16(&c);
	qd = cur_be16(&c);
	an = cur_be16(&c);
	(void)cur_be32(&c);	/* authority, additional counts */
	if (!cur_ok(&c))
		return ERR_MALFORMED;
	t->dns.response = (flags & 0x8000) != 0;
	t->dns.rcode = flags & 0x000f;
	return dns_body(&ctx, &c, qd, an);
}

int
dns_parse(const uint8_t *msg, size_t len, struct txn *t, struct scratch *s)
{
	memset(&t->dns, 0, sizeof(t->dns));
	t->buf[NB_DNS_QUERY] = NULL;
	t->len[NB_DNS_QUERY] = 0;
	t->app = APP_DNS;
	return dns_run(msg, len, t, s);
}

/*
 * As Suricata's probe: a header whose counts fit the message (two bytes a
 * record at least), a question in a query, no records only in a bare
 * header; and when the whole message is there, a first question and
 * answers that parse.
 */
bool
dns_probe(const uint8_t *p, size_t len, bool tcp)
{
	struct txn	 t;
	struct cur	 c = cur_make(p, len);
	size_t		 mlen = len, nrec;
	uint16_t	 flags, counts[4];
	int		 i;

	if (tcp) {
		mlen = cur_be16(&c);
		if (!cur_ok(&c))
			return false;
		p += 2;
		len -= 2;
	}
	if (len > mlen)
		len = mlen;
	c = cur_make(p, len);
	(void)cur_be16(&c);
	flags = cur_be16(&c);
	for (i = 0, nrec = 0; i < 4; i++)
		nrec += counts[i] = cur_be16(&c);
	if (!cur_ok(&c) || 2 * nrec > mlen ||
	    (nrec == 0 && mlen > DNS_HDR_LEN) ||
	    ((flags & 0x8000) == 0 && counts[0] == 0))
		return false;
	if (len < mlen)
		return true;	/* the header is all there is yet */
	memset(&t, 0, sizeof(t));
	return dns_run(p, len, &t, NULL) == 0;
}
