/*
 * rule.h: one Suricata-syntax rule, parsed (docs/rules.md).
 *
 * rule_parse() turns the text of one rule into struct rule, the form the
 * engine (detect.c) matches, or says why it cannot: a fixed reason token
 * and a detail (the keyword, or what was wrong), as `rules check` reports
 * them. Nothing of the text is kept but copies.
 *
 * Matches (content, pcre, byte_test, ...) are kept per buffer, in rule
 * order inside each buffer: a buffer is one of the sticky buffers of
 * packet.h (enum nbuf), or the packet payload (RB_PKT), each with or
 * without the dotprefix transform; together they make a "slot".
 */
#ifndef VIGIL_RULE_H
#define VIGIL_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"
#include "rulevars.h"

#define RB_PKT		NB__COUNT		/* the packet payload */
#define RSLOT(b, dot)	((uint8_t)((b) * 2 + ((dot) ? 1 : 0)))
#define RSLOT_BUF(s)	((s) / 2)
#define RSLOT_DOT(s)	((s) & 1)
#define RSLOT_COUNT	((NB__COUNT + 1) * 2)

enum rproto { RP_IP, RP_TCP, RP_UDP, RP_ICMP, RP_DNS, RP_TLS, RP_HTTP };

enum rm_type { RM_CONTENT, RM_PCRE, RM_BYTE_TEST, RM_BYTE_JUMP,
	RM_ISDATAAT, RM_BSIZE };

/* content flags */
#define CF_NOCASE	0x0001
#define CF_NEG		0x0002
#define CF_OFFSET	0x0004
#define CF_DEPTH	0x0008
#define CF_DISTANCE	0x0010
#define CF_WITHIN	0x0020
#define CF_STARTSWITH	0x0040
#define CF_ENDSWITH	0x0080
#define CF_FAST		0x0100	/* fast_pattern */
#define CF_FAST_OL	0x0200	/* fast_pattern:offset,length */
#define CF_RELATIVE	(CF_DISTANCE | CF_WITHIN)

/* byte_test / byte_jump flags */
#define BF_RELATIVE	0x0001
#define BF_LITTLE	0x0002
#define BF_STRING	0x0004
#define BF_ALIGN	0x0008
#define BF_BEGIN	0x0010	/* from_beginning */
#define BF_END		0x0020	/* from_end */
#define BF_NEG		0x0040	/* byte_test: '!' before the operator */

/* A number test: dsize, urilen, bsize. */
enum ucmp { UC_EQ, UC_NE, UC_LT, UC_LE, UC_GT, UC_GE, UC_RANGE };
struct rm_uint {
	uint8_t		 op;		/* enum ucmp; UC_RANGE: lo < x < hi */
	uint64_t	 a, b;
};

struct rm_content {
	uint8_t		*pat;
	uint32_t	 len;		/* 1..RULE_CONTENT_MAX */
	uint16_t	 flags;
	uint16_t	 fp_off, fp_len;	/* CF_FAST_OL */
	int32_t		 offset;	/* CF_OFFSET */
	int32_t		 depth;		/* window end from the buffer start
					 * (offset + depth), CF_DEPTH */
	int32_t		 distance;	/* CF_DISTANCE, may be negative */
	int32_t		 within;	/* CF_WITHIN, >= len */
};

struct rm_pcre {
	void		*code;		/* pcre2_code_8 */
	bool		 neg, relative;
};

/* byte_test: value <op> test; byte_jump: the position moves. */
struct rm_byte {
	uint8_t		 nbytes;	/* 1..8 binary, 1..20 string */
	uint8_t		 base;		/* string: 8, 10, 16 */
	uint8_t		 op;		/* byte_test: '<' '>' '=' '&' '^'
					 * 'l' (<=) 'g' (>=) */
	uint16_t	 flags;
	int32_t		 offset, post_offset;
	uint32_t	 multiplier;	/* byte_jump, >= 1 */
	uint64_t	 value, mask;	/* mask 0: none */
};

struct rm_isdataat {
	uint32_t	 off;
	bool		 relative, neg;
};

struct rmatch {
	uint8_t		 type;		/* enum rm_type */
	uint8_t		 slot;
	union {
		struct rm_content	c;
		struct rm_pcre		p;
		struct rm_byte		b;
		struct rm_isdataat	d;
		struct rm_uint		u;
	};
};

/* flow keyword */
#define FLOW_F_EST	0x01
#define FLOW_F_NOTEST	0x02
#define FLOW_F_TOSERVER	0x04
#define FLOW_F_TOCLIENT	0x08

enum fb_op { FB_SET, FB_UNSET, FB_TOGGLE, FB_ISSET, FB_ISNOTSET };
struct rflowbits {
	uint8_t		 op;		/* enum fb_op */
	bool		 any;		/* '|' between names: one suffices */
	uint16_t	 n;
	uint32_t	*ids;
};

enum th_type { TH_NONE, TH_LIMIT, TH_THRESHOLD, TH_BOTH, TH_DETECTION };
enum th_track { TR_SRC, TR_DST, TR_RULE, TR_BOTH };
struct rthresh {
	uint8_t		 type, track;
	uint32_t	 count, seconds;
};

/* A group of matches inspecting one slot: m[first .. first + n). */
struct rgroup {
	uint8_t		 slot;
	uint16_t	 first, n;
};

struct rule {
	uint32_t	 seq;		/* load order (the loader's) */
	uint32_t	 sid, gid, rev;
	int		 prio;		/* 1..255 */
	const char	*action;	/* static text */
	char		*msg;
	const char	*classtype;	/* description, owned by the ctx */
	char		*metadata;	/* JSON object text or NULL */
	uint8_t		 proto;		/* enum rproto */
	uint8_t		 app;		/* enum app_proto the rule needs, or
					 * APP_NONE */
	bool		 bidir, noalert, txn;
	uint8_t		 flow;		/* FLOW_F_* */
	const struct rv_set *src, *dst, *sp, *dp;	/* rulevars' */
	struct rmatch	*m;
	uint16_t	 nm;
	struct rgroup	*g;		/* one per slot used, slot order */
	uint8_t		 ng;
	int16_t		 fp;		/* index in m of the fast pattern
					 * content, -1: none */
	bool		 has_dsize, has_urilen, urilen_raw;
	struct rm_uint	 dsize, urilen;
	struct rflowbits *fb;
	uint16_t	 nfb;
	bool		 fb_sets;	/* sets, unsets or toggles a bit */
	struct rthresh	 th;
};

/* What rule_parse needs across rules: variables, flowbit names,
 * classifications, and the PCRE2 contexts. */
struct rule_ctx;

/* classification: a classification.config path, or NULL for the
 * built-in table (Suricata's and Emerging Threats' classes). NULL on
 * error (logged) or out of memory. */
struct rule_ctx	*rule_ctx_new(struct rulevars *, const char *classification);
void		 rule_ctx_free(struct rule_ctx *);
uint32_t	 rule_ctx_nflowbits(const struct rule_ctx *);

#define RULE_DETAIL_LEN	96
struct rule_err {
	uint32_t	 sid;		/* 0 until read */
	const char	*reason;	/* "keyword", "syntax", ... */
	char		 detail[RULE_DETAIL_LEN];
};

/* One rule's text (options, no line breaks needed). 0: *r is filled
 * (rule_clear frees it); ERR_MALFORMED with *err (nothing to free);
 * ERR_NOMEM. */
int	rule_parse(struct rule *r, struct rule_ctx *, const char *text,
	    size_t len, struct rule_err *err);
void	rule_clear(struct rule *);

#endif
