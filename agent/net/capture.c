/*
 * capture.c: libpcap to netsensor (capture.h).
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "err.h"

#define TICK_US		1000000		/* netsensor_tick per capture second */

struct capture {
	pcap_t		*p;
	int		 linktype;
	int		 live;
	int64_t		 last_ts, next_tick;
};

static int
wrap(struct capture **out, pcap_t *p, int live)
{
	struct capture	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pcap_close(p);
		return ERR_NOMEM;
	}
	c->p = p;
	c->live = live;
	c->linktype = pcap_datalink(p);
	*out = c;
	return 0;
}

int
capture_open_file(struct capture **out, const char *path,
    char err[static PCAP_ERRBUF_SIZE])
{
	pcap_t	*p;

	*out = NULL;
	err[0] = '\0';
	if ((p = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_MICRO, err)) == NULL)
		return ERR_IO;
	return wrap(out, p, 0);
}

int
capture_open_live(struct capture **out, const struct capture_live_opts *o,
    char err[static PCAP_ERRBUF_SIZE])
{
	struct bpf_program	 prog;
	pcap_t			*p;
	int			 rc;

	*out = NULL;
	err[0] = '\0';
	if ((p = pcap_create(o->ifname, err)) == NULL)
		return ERR_IO;
	if (pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen : CAPTURE_SNAPLEN)
	    != 0 ||
	    pcap_set_promisc(p, o->promisc ? 1 : 0) != 0 ||
	    pcap_set_immediate_mode(p, 0) != 0 ||
	    pcap_set_timeout(p, CAPTURE_BLOCK_MS) != 0 ||
	    pcap_set_buffer_size(p, o->buffer_bytes > 0 ? o->buffer_bytes :
	    4 << 20) != 0 ||
	    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO) != 0)
		goto fail_io;
	if ((rc = pcap_activate(p)) < 0)
		goto fail_io;
	if (o->bpf != NULL && o->bpf[0] != '\0') {
		if (pcap_compile(p, &prog, o->bpf, 1, PCAP_NETMASK_UNKNOWN)
		    != 0) {
			(void)snprintf(err, PCAP_ERRBUF_SIZE, "filter: %s",
			    pcap_geterr(p));
			pcap_close(p);
			return ERR_MALFORMED;
		}
		rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc != 0)
			goto fail_io;
	}
	if (pcap_setnonblock(p, 1, err) != 0) {
		pcap_close(p);
		return ERR_IO;
	}
	return wrap(out, p, 1);
fail_io:
	(void)snprintf(err, PCAP_ERRBUF_SIZE, "%s: %s", o->ifname,
	    pcap_geterr(p));
	pcap_close(p);
	return ERR_IO;
}

void
capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	pcap_close(c->p);
	free(c);
}

int
capture_fd(const struct capture *c)
{
	return c->live ? pcap_get_selectable_fd(c->p) : -1;
}

int
capture_feed(struct capture *c, struct netsensor *ns, int max,
    char err[static PCAP_ERRBUF_SIZE])
{
	struct pcap_pkthdr	*h;
	const u_char		*data;
	int64_t			 ts;
	int			 n = 0, rc;

	while (max <= 0 || n < max) {
		rc = pcap_next_ex(c->p, &h, &data);
		if (rc == 0 || rc == PCAP_ERROR_BREAK)	/* nothing ready, end */
			break;
		if (rc < 0) {
			(void)snprintf(err, PCAP_ERRBUF_SIZE, "%s",
			    pcap_geterr(c->p));
			return ERR_IO;
		}
		ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		/* capture time never runs backwards for the sensor */
		if (ts < c->last_ts)
			ts = c->last_ts;
		c->last_ts = ts;
		netsensor_feed(ns, c->linktype, ts, data, h->caplen, h->len);
		if (ts >= c->next_tick) {
			netsensor_tick(ns, ts);
			c->next_tick = ts + TICK_US;
		}
		n++;
	}
	return n;
}

int64_t
capture_last_ts(const struct capture *c)
{
	return c->last_ts;
}

int
capture_stats(struct capture *c, struct capture_stats *st)
{
	struct pcap_stat	ps;

	memset(st, 0, sizeof(*st));
	if (!c->live || pcap_stats(c->p, &ps) != 0)
		return ERR_IO;
	st->received = ps.ps_recv;
	st->dropped_kernel = ps.ps_drop;
	st->dropped_if = ps.ps_ifdrop;
	return 0;
}

const char *
capture_linktype_name(const struct capture *c)
{
	const char	*n = pcap_datalink_val_to_name(c->linktype);

	return n != NULL ? n : "unknown";
}
