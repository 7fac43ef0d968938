/*
 * audit.h: the register's audit log, hash-chained, in the collector's
 * store (docs/taxonomy.md, "The audit log", says what it proves).
 *
 * Every change to the incident register appends one entry: seq (1, 2,
 * ...), time (Unix seconds), actor, action, incident (0: none), detail
 * (a JSON object: what changed) and prev_hash, the hash of the entry
 * before (32 zero bytes for the first). Its hash is BLAKE2b-256 over
 * audit_hash()'s encoding of all of them. The last entry's seq and hash
 * are kept again in a one-row table, audit_head, in the same
 * transaction, so that a deleted last entry is seen too.
 *
 * Callers: the CLI and, later, correlation in the writer thread, each on
 * its own struct store. Errors: ERR_IO (logged), ERR_NOMEM, and those
 * named below.
 */
#ifndef VIGIL_AUDIT_H
#define VIGIL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define AUDIT_HASH_LEN		32
#define AUDIT_HASH_STRLEN	(2 * AUDIT_HASH_LEN + 1)

struct audit_entry {
	int64_t		 seq;
	int64_t		 time;
	const char	*actor;
	const char	*action;
	int64_t		 incident;
	const char	*detail;		/* JSON text */
	uint8_t		 prev[AUDIT_HASH_LEN];
	uint8_t		 hash[AUDIT_HASH_LEN];
};

/* What audit_verify found; fault AUDIT_INTACT or the first that does
 * not fit. */
enum audit_fault {
	AUDIT_INTACT = 0,
	AUDIT_EDITED,		/* an entry's fields do not give its hash */
	AUDIT_MISSING,		/* a gap in seq, or entries gone at the end */
	AUDIT_REORDERED,	/* an entry stored under another seq */
	AUDIT_REWRITTEN,	/* a link broken: an entry before was rewritten
				 * with a new hash, or one was put in */
	AUDIT_HEAD,		/* the head record disagrees with the chain */
	AUDIT_UNKNOWN_HEAD,	/* the head the caller recorded is not in it */
};

struct audit_report {
	uint64_t	 entries;		/* walked */
	int64_t		 head_seq;		/* last entry's, 0: empty */
	uint8_t		 head[AUDIT_HASH_LEN];	/* last entry's hash */
	int		 fault;			/* enum audit_fault */
	int64_t		 bad_seq;		/* the entry it names */
	char		 why[256];		/* for people, ASCII */
};

typedef int	(*audit_cb)(void *arg, const struct audit_entry *);

/*
 * Append an entry inside the caller's open transaction (BEGIN IMMEDIATE:
 * the change it records and the entry commit together or not at all);
 * ERR_STATE if no transaction is open. detail is dumped compact with
 * sorted keys (not taken). actor and action are text, NUL-free.
 */
int	audit_append(struct store *, int64_t now, const char *actor,
	    const char *action, int64_t incident, const json_t *detail);
/* The entries about one incident (incident > 0), or all (0), in seq
 * order. Fields are valid during the callback only. */
int	audit_each(struct store *, int64_t incident, audit_cb cb, void *arg);
/* At most limit entries after seq after, in seq order (the forwarder's
 * tail of the log: seqs have no gaps). ERR_USAGE for after < 0 or
 * limit < 1. */
int	audit_each_after(struct store *, int64_t after, int limit,
	    audit_cb cb, void *arg);
/* An entry as `incidents show --json` lists it in its timeline: seq,
 * time, actor, action and detail (an object; its text when it does not
 * parse). Strings escaped as TEXT_JSON. NULL when out of memory. */
json_t	*audit_entry_json(const struct audit_entry *);
/* The last entry's seq, 0 when the log is empty. */
int	audit_head_seq(struct store *, int64_t *seq);
/*
 * Walk the whole chain in one read snapshot and check every entry, then
 * the head record, and, if expect_head is not NULL, that it is the hash
 * of an entry in the chain (a head recorded elsewhere earlier). 0 with
 * out->fault telling the result; ERR_IO. O(entries), memory flat.
 */
int	audit_verify(struct store *, const uint8_t *expect_head,
	    struct audit_report *out);
/* "intact", "edited", "missing", "reordered", "rewritten", "head",
 * "unknown-head". */
const char *audit_fault_name(int);

/* The entry's hash from its fields and prev (out may be e->hash). The
 * encoding: "vigil-audit-1" and a NUL, seq, time and incident as 8-byte
 * big-endian two's complement, then actor, action and detail each as a
 * 4-byte big-endian length and its bytes, then prev: no two entries
 * encode alike. */
void	audit_hash(uint8_t out[static AUDIT_HASH_LEN],
	    const struct audit_entry *e);

#endif
