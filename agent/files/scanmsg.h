/*
 * scanmsg.h: the messages between the daemon and its scan worker
 * (scanproc.h, scanworker.h).
 *
 * One AF_UNIX SOCK_SEQPACKET socket per scan channel: each message is
 * one datagram, whole or nothing. A message is a header { uint32 type,
 * uint32 len } in host order (both ends are programs of one build on one
 * machine) and len bytes of body; len must be the datagram's size less
 * the header, exactly.
 *
 *   parent -> worker  SCAN   { u64 id, char owner[64], path NUL } + 1 fd
 *                     PROBE  { u64 id, u32 what }   (test builds only)
 *   worker -> parent  READY  struct scanmsg_ready, once, first
 *                     RESULT { u64 id, the verdict (scanmsg.c) }
 *                     PROBED { u64 id, i32 errno }  (test builds only)
 *
 * The parent treats every byte from the worker as hostile (the worker
 * runs libyara on attackers' files): READY and PROBED only at their
 * exact size, RESULT through a cursor whose every string and count is
 * checked against what is left of the datagram, each string free of NUL
 * and under the limit its field has; a message that fails, or a reply
 * whose id is not the one asked, ends the worker. A descriptor the
 * worker sends is never taken (the parent reads without a control
 * buffer: the kernel closes it). The worker checks the parent's
 * messages as strictly (exactly one descriptor with a SCAN, none else).
 */
#ifndef VIGIL_SCANMSG_H
#define VIGIL_SCANMSG_H

#include <stddef.h>
#include <stdint.h>

#include "scanner.h"

#define SCANMSG_HDR		8
#define SCANMSG_MAX		(256 * 1024)	/* a datagram, at most */
#define SCANMSG_PATH_MAX	8192		/* a path in a SCAN */
#define SCANMSG_MATCH_MAX	4096		/* matches in a RESULT */

enum scanmsg_type {
	SCANMSG_READY = 1,
	SCANMSG_RESULT,
	SCANMSG_SCAN,
	SCANMSG_PROBE,
	SCANMSG_PROBED,
};

/* PROBE: what the worker is asked to try (its sandbox must refuse). */
enum scanmsg_probe {
	SCANMSG_PROBE_OPEN = 1,		/* open("/etc/hostname") */
	SCANMSG_PROBE_SOCKET,		/* socket(AF_INET, SOCK_STREAM) */
	SCANMSG_PROBE_CONNECT,		/* connect() of an AF_UNIX socket
					 * it holds, to "/dev/log" */
	SCANMSG_PROBE_EXEC,		/* execve("/bin/true") */
	SCANMSG_PROBE_MAX = SCANMSG_PROBE_EXEC,
};

/* READY's body: the rules the worker loaded (scanner_info's fields that
 * do not depend on the indicator lists, which the parent keeps). */
struct scanmsg_ready {
	char		 version[SCANNER_VERSION_LEN + 1];
	uint8_t		 pad[7];
	uint64_t	 files;
	uint64_t	 failed;
	uint32_t	 rules;
	uint32_t	 from_cache;
};

/* A RESULT as the parent got it: r's strings and arrays live in arena,
 * r.path is NULL (the caller knows the path it asked about). */
struct scanmsg_result {
	uint64_t		 id;
	struct scanner_result	 r;
	void			*arena;
};

/* One message as received and checked. */
struct scanmsg {
	uint32_t	 type;
	union {
		struct scanmsg_ready	 ready;
		struct scanmsg_result	 result;	/* free with
						 * scanmsg_result_free() */
		struct {
			uint64_t	 id;
			int32_t		 err;
		}			 probed;
		struct {
			uint64_t	 id;
			char		 owner[SCANNER_OWNER_MAX];
			const char	*path;	/* in the caller's buffer */
		}			 scan;
		struct {
			uint64_t	 id;
			uint32_t	 what;
		}			 probe;
	}		 u;
};

/*
 * Check one datagram of n bytes (the size the kernel reported: more than
 * buf holds means it was truncated, and is refused). The worker's messages (READY, RESULT, PROBED) when from_worker, the
 * parent's (SCAN, PROBE) otherwise: another type is malformed. 0 and
 * *out; ERR_TOOBIG (over SCANMSG_MAX); ERR_MALFORMED, *why saying which;
 * ERR_NOMEM.
 */
int	scanmsg_parse(struct scanmsg *out, const uint8_t *buf, size_t n,
	    int from_worker, const char **why);
void	scanmsg_result_free(struct scanmsg_result *);	/* takes NULL */

/*
 * The body of a RESULT for r into buf[0..cap): its length, or 0 when it
 * does not fit (the caller then sends the verdict without its matches,
 * as an error that says so).
 */
size_t	scanmsg_result_encode(uint8_t *buf, size_t cap, uint64_t id,
	    const struct scanner_result *r);

/* Send one message, with descriptor fd (-1: none). Waits for room.
 * 0, ERR_TOOBIG, ERR_IO (the peer is gone). */
int	scanmsg_send(int sock, uint32_t type, const void *body, size_t len,
	    int fd);
/* Receive one datagram into buf[SCANMSG_MAX]; *fdp (may be NULL: no
 * descriptor taken) gets the one passed with it, or -1. 0 and *n (the
 * datagram's size, which may exceed SCANMSG_MAX), ERR_NOTFOUND (hung
 * up), ERR_MALFORMED (more than one descriptor, or cut control data:
 * none kept), ERR_IO. Waits. */
int	scanmsg_recv(int sock, uint8_t *buf, size_t *n, int *fdp);

#endif
