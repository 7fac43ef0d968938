/*
 * correlate.c: alerts into incidents (correlate.h; docs/incidents.md,
 * "Correlation").
 *
 * The index is one hash table of keys (SipHash with a random key: the
 * strings come from agents) to entries. A key's first byte is its kind:
 *   g|AGENT|RULE    alerts of a rule on an agent        ref: incident
 *   g|AGENT|*       the same, once the index is full    ref: incident
 *   i|X             alerts sharing an indicator X       ref: incident
 *   f|AGENT         integrity changes on critical paths ref: incident
 *   h|AGENT         health reports                      ref: incident
 *   a|AGENT|X       an agent's sighting of X (a rule or a file hash)
 *                                              ref: its first event
 *   s|X             X on several agents: the agents seen with it, and
 *                   the spreading incident once there is one
 *   o|AGENT         the agent is offline                ref: incident
 * with X "r:GID:SID", "h:SHA256", "ip:ADDR" or "d:DOMAIN".
 * A group is open while an alert comes within window_s (event time) of
 * its last one; a new alert on a closed group opens a new incident.
 *
 * Invariants:
 * - Every entry but a spreading list of no incident yet is a row of
 *   correlate_keys, written in the transaction of the batch that changed
 *   it (last_seen and touched may lag by up to SAVE_LAG_S). After a
 *   rollback the table is the truth: correlate_abort() drops the index
 *   and the next call reloads it.
 * - Every change to the register goes through incident.h, with actor
 *   "correlate": one audit entry per incident opened, one "link" entry
 *   per incident per batch summing up what joined it, one "resolve" per
 *   agent back. Not one per alert.
 *
 * Load: the writer's batches (up to commit_events, 5,000 by default).
 * Per alert a handful of hash probes and key prints, no SQL; per batch
 * and touched incident one read, the inserts of the links (one per
 * alert: incident_events), one per agent and indicator, a save and an
 * audit entry; a few upserts of correlate_keys. The index holds at most
 * max_groups entries (beyond it alerts of new rules go to the agent's
 * catch-all group and sightings are not counted), about 150 bytes each.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "correlate.h"
#include "db.h"
#include "err.h"
#include "incident.h"
#include "log.h"
#include "pathset.h"
#include "taxonomy.h"
#include "text.h"

#define ACTOR		"correlate"
#define KEY_MAX		320		/* the longest key printed */
#define SAVE_LAG_S	60		/* last_seen written at least this often */
#define MERGE_HOPS	8		/* merged_into followed this far */

enum {
	K_SAVE,
	K_DELETE,
	K_PRUNE,
	K_LOAD,
	K_COUNT
};

static const char *const k_sql[K_COUNT] = {
	[K_SAVE] = "INSERT INTO correlate_keys(key, ref, agent, first_seen,"
	    " last_seen, touched) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT(key) DO UPDATE SET ref = ?2, agent = ?3,"
	    " first_seen = ?4, last_seen = ?5, touched = ?6",
	[K_DELETE] = "DELETE FROM correlate_keys WHERE key = ?1",
	[K_PRUNE] = "DELETE FROM correlate_keys WHERE touched < ?1"
	    " AND substr(key, 1, 2) != 'o|'",
	[K_LOAD] = "SELECT key, ref, agent, first_seen, last_seen, touched"
	    " FROM correlate_keys",
};

static const struct db_table k_table = { "correlate", k_sql, K_COUNT };

struct centry {
	struct centry	*next;		/* hash chain */
	int64_t		 ref;		/* see the top of the file */
	int64_t		 agent;
	int64_t		 first, last;	/* event time, seconds */
	int64_t		 touched;	/* writer time of the last change */
	int64_t		 saved;		/* touched as last written */
	uint32_t	 gen;		/* the batch that last touched it */
	int		 dirty;		/* to write in this batch */
	int64_t		*agents;	/* s|: agents seen with X */
	size_t		 nagents, capagents;
	uint64_t	 h;
	size_t		 klen;
	char		 key[];
};

struct ctab {
	struct centry	**b;
	size_t		  nb, n;	/* buckets (a power of 2), entries */
	unsigned char	  seed[crypto_shorthash_KEYBYTES];
};

/* The template of an incident to open: its title, category, severity. */
struct tmpl {
	char	 title[INCIDENT_TITLE_MAX + 1];
	char	 category[INCIDENT_CODE_MAX + 1];
	int	 severity;
	int64_t	 detected;
};

struct pind {
	const char	*kind;		/* static */
	char		 value[CORR_VALUE_MAX + 1];
	uint64_t	 count;
	int64_t		 first, last;
};

/* What one incident gets from this batch. */
struct pend {
	int64_t			 id;
	struct tmpl		 t;		/* to open anew if it is closed */
	int			 severity;
	int64_t			 first, last;
	int64_t			*ev;
	size_t			 nev, capev;
	struct incident_seen	*ag;
	size_t			 nag, capag;
	struct pind		*ind;
	size_t			 nind, capind;
};

struct correlate {
	struct store			*s;
	const struct correlate_conf	*conf;
	char				(*crit)[PATH_MAX];	/* clean */
	size_t				 ncrit;
	int64_t				 started;
	struct ctab			 idx;
	int				 loaded;
	uint32_t			 gen;
	struct centry			**touched;	/* this batch's */
	size_t				 ntouched, captouched;
	struct ctab			 pmap;		/* per batch: p|ID,
							 * q|P|X -> index */
	struct pend			*pend;
	size_t				 npend, cappend;
	struct correlate_change		*chg;		/* this batch's */
	size_t				 nchg, capchg;
	int				 chg_merged;
};

/* ---- growing arrays ---- */

/* Room for one more of size sz in *p (n used, *cap allocated). */
static int
grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	void	**p = pp, *np;
	size_t	  nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	if (nc < *cap || (np = reallocarray(*p, nc, sz)) == NULL)
		return ERR_NOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

/* ---- the hash table ---- */

static int
ctab_init(struct ctab *t)
{
	memset(t, 0, sizeof(*t));
	t->nb = 1024;
	if ((t->b = calloc(t->nb, sizeof(*t->b))) == NULL)
		return ERR_NOMEM;
	randombytes_buf(t->seed, sizeof(t->seed));
	return 0;
}

static void
centry_free(struct centry *e)
{
	if (e == NULL)
		return;
	free(e->agents);
	free(e);
}

static void
ctab_clear(struct ctab *t)
{
	struct centry	*e, *nx;
	size_t		 i;

	for (i = 0; t->b != NULL && i < t->nb; i++) {
		for (e = t->b[i]; e != NULL; e = nx) {
			nx = e->next;
			centry_free(e);
		}
		t->b[i] = NULL;
	}
	t->n = 0;
}

static void
ctab_free(struct ctab *t)
{
	ctab_clear(t);
	free(t->b);
	t->b = NULL;
}

static uint64_t
ctab_hash(const struct ctab *t, const char *k, size_t len)
{
	unsigned char	out[crypto_shorthash_BYTES];
	uint64_t	h;

	crypto_shorthash(out, (const unsigned char *)k, len, t->seed);
	memcpy(&h, out, sizeof(h));
	return h;
}

static struct centry *
ctab_find(const struct ctab *t, const char *k, size_t len, uint64_t h)
{
	struct centry	*e;

	for (e = t->b[h & (t->nb - 1)]; e != NULL; e = e->next)
		if (e->h == h && e->klen == len && memcmp(e->key, k, len) == 0)
			return e;
	return NULL;
}

/* Double the buckets when the load passes 1; a failure keeps the old. */
static void
ctab_grow(struct ctab *t)
{
	struct centry	**nb, *e, *nx;
	size_t		  i, n = t->nb * 2;

	if (t->n < t->nb || n < t->nb ||
	    (nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e != NULL; e = nx) {
			nx = e->next;
			e->next = nb[e->h & (n - 1)];
			nb[e->h & (n - 1)] = e;
		}
	free(t->b);
	t->b = nb;
	t->nb = n;
}

/* The entry of key k, made if absent (*made says so). NULL: no memory. */
static struct centry *
ctab_get(struct ctab *t, const char *k, size_t len, int *made)
{
	struct centry	*e;
	uint64_t	 h = ctab_hash(t, k, len);

	*made = 0;
	if ((e = ctab_find(t, k, len, h)) != NULL)
		return e;
	if (len > KEY_MAX || (e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	e->h = h;
	e->klen = len;
	memcpy(e->key, k, len);
	e->next = t->b[h & (t->nb - 1)];
	t->b[h & (t->nb - 1)] = e;
	t->n++;
	*made = 1;
	ctab_grow(t);
	return e;
}

static void
ctab_del(struct ctab *t, struct centry *x)
{
	struct centry	**pp;

	for (pp = &t->b[x->h & (t->nb - 1)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			t->n--;
			centry_free(x);
			return;
		}
}

/* A key printed into buf; its length, 0 if it does not fit. */
static size_t
keyf(char buf[static KEY_MAX + 1], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t
keyf(char buf[static KEY_MAX + 1], const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, KEY_MAX + 1, fmt, ap);
	va_end(ap);
	return n > 0 && n <= KEY_MAX ? (size_t)n : 0;
}

static struct centry *
lookup(struct correlate *c, const char *k, size_t len)
{
	return len ? ctab_find(&c->idx, k, len, ctab_hash(&c->idx, k, len)) :
	    NULL;
}

/* ---- the index and its table ---- */

/* e changed in this batch: written at its end. */
static int
touch(struct correlate *c, struct centry *e, int64_t now, int dirty)
{
	int	rc;

	e->touched = now;
	e->dirty |= dirty || now - e->saved >= SAVE_LAG_S;
	if (e->gen == c->gen)
		return 0;
	e->gen = c->gen;
	if ((rc = grow(&c->touched, &c->captouched, c->ntouched,
	    sizeof(*c->touched))) != 0)
		return rc;
	c->touched[c->ntouched++] = e;
	return 0;
}

/* The entry of k, made if absent and the index has room (or force). */
static struct centry *
entry(struct correlate *c, const char *k, size_t len, int force, int *made)
{
	struct centry	*e;

	*made = 0;
	if (len == 0)
		return NULL;
	if ((e = lookup(c, k, len)) != NULL)
		return e;
	if (!force && c->conf->max_groups >= 0 &&
	    c->idx.n >= (size_t)c->conf->max_groups)
		return NULL;
	return ctab_get(&c->idx, k, len, made);
}

static sqlite3_stmt *
kstmt(struct correlate *c, int i)
{
	return db_table_stmt(store_db(c->s), &k_table, (size_t)i);
}

static int
key_save(struct correlate *c, const struct centry *e)
{
	sqlite3_stmt	*st;

	if ((st = kstmt(c, K_SAVE)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_text(st, 1, e->key, (int)e->klen, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, e->ref) ||
	    sqlite3_bind_int64(st, 3, e->agent) ||
	    sqlite3_bind_int64(st, 4, e->first) ||
	    sqlite3_bind_int64(st, 5, e->last) ||
	    sqlite3_bind_int64(st, 6, e->touched)) {
		db_done(st);
		return db_fail(store_db(c->s), "correlate save");
	}
	return db_run(store_db(c->s), st, "correlate save");
}

static int
key_delete(struct correlate *c, const struct centry *e)
{
	sqlite3_stmt	*st;

	if ((st = kstmt(c, K_DELETE)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_text(st, 1, e->key, (int)e->klen, SQLITE_STATIC)) {
		db_done(st);
		return db_fail(store_db(c->s), "correlate delete");
	}
	return db_run(store_db(c->s), st, "correlate delete");
}

/* s|X's list gets agent (once). */
static int
spread_add(struct centry *s, int64_t agent)
{
	size_t	i;
	int	rc;

	for (i = 0; i < s->nagents; i++)
		if (s->agents[i] == agent)
			return 0;
	if ((rc = grow(&s->agents, &s->capagents, s->nagents,
	    sizeof(*s->agents))) != 0)
		return rc;
	s->agents[s->nagents++] = agent;
	return 0;
}

/* The s|X entry of a sighting key a|AGENT|X. */
static struct centry *
spread_of(struct correlate *c, const char *akey, size_t len, int *made)
{
	const char	*x;
	char		 k[KEY_MAX + 1];

	*made = 0;
	if ((x = memchr(akey + 2, '|', len - 2)) == NULL)
		return NULL;
	x++;
	return entry(c, k, keyf(k, "s|%.*s", (int)(len - (size_t)(x - akey)),
	    x), 1, made);
}

/* One correlate_keys row into the index. */
static int
load_row(struct correlate *c, sqlite3_stmt *st)
{
	const char	*k = (const char *)sqlite3_column_text(st, 0);
	int		 len = sqlite3_column_bytes(st, 0), made;
	struct centry	*e, *s;

	if (k == NULL || len < 3 || len > KEY_MAX || k[1] != '|')
		return 0;			/* not ours: ignored */
	if ((e = ctab_get(&c->idx, k, (size_t)len, &made)) == NULL)
		return ERR_NOMEM;
	e->ref = sqlite3_column_int64(st, 1);
	e->agent = sqlite3_column_int64(st, 2);
	e->first = sqlite3_column_int64(st, 3);
	e->last = sqlite3_column_int64(st, 4);
	e->touched = e->saved = sqlite3_column_int64(st, 5);
	if (k[0] != 'a')
		return 0;
	if ((s = spread_of(c, k, (size_t)len, &made)) == NULL)
		return ERR_NOMEM;
	if (s->touched < e->touched)	/* a list alone is kept as long */
		s->touched = s->saved = e->touched;
	return spread_add(s, e->agent);
}

/* The index from correlate_keys, once per open or rollback. */
static int
load(struct correlate *c)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (c->loaded)
		return 0;
	ctab_clear(&c->idx);
	if ((st = kstmt(c, K_LOAD)) == NULL)
		return ERR_IO;
	while ((rc = db_row(store_db(c->s), st, "correlate load")) == 0)
		if ((rc = load_row(c, st)) != 0)
			break;
	db_done(st);
	if (rc != ERR_NOTFOUND) {
		ctab_clear(&c->idx);
		return rc;
	}
	c->loaded = 1;
	return 0;
}

/* ---- this batch's changes to incidents ---- */

static void
pend_reset(struct correlate *c)
{
	size_t	i;

	for (i = 0; i < c->npend; i++) {
		free(c->pend[i].ev);
		free(c->pend[i].ag);
		free(c->pend[i].ind);
	}
	c->npend = 0;
	ctab_clear(&c->pmap);
}

/* The pending changes of incident id, made with template t if new. */
static struct pend *
pend_get(struct correlate *c, int64_t id, const struct tmpl *t)
{
	struct centry	*e;
	struct pend	*p;
	char		 k[KEY_MAX + 1];
	int		 made;

	if ((e = ctab_get(&c->pmap, k, keyf(k, "p|%lld", (long long)id),
	    &made)) == NULL)
		return NULL;
	if (!made)
		return &c->pend[e->ref];
	if (grow(&c->pend, &c->cappend, c->npend, sizeof(*c->pend)) != 0) {
		ctab_del(&c->pmap, e);
		return NULL;
	}
	e->ref = (int64_t)c->npend;
	p = &c->pend[c->npend++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->t = *t;
	p->first = INT64_MAX;
	p->last = INT64_MIN;
	return p;
}

static int
pend_event(struct pend *p, int64_t event, int64_t ts)
{
	int	rc;

	if (event == 0)
		return 0;
	if ((rc = grow(&p->ev, &p->capev, p->nev, sizeof(*p->ev))) != 0)
		return rc;
	p->ev[p->nev++] = event;
	if (ts < p->first)
		p->first = ts;
	if (ts > p->last)
		p->last = ts;
	return 0;
}

static int
pend_agent(struct pend *p, int64_t agent, int64_t first, int64_t last)
{
	size_t	i;
	int	rc;

	/* an incident's agents in one batch are few: a short scan */
	for (i = 0; i < p->nag; i++)
		if (p->ag[i].agent == agent) {
			if (first < p->ag[i].first)
				p->ag[i].first = first;
			if (last > p->ag[i].last)
				p->ag[i].last = last;
			return 0;
		}
	if ((rc = grow(&p->ag, &p->capag, p->nag, sizeof(*p->ag))) != 0)
		return rc;
	p->ag[p->nag++] = (struct incident_seen){ agent, first, last };
	return 0;
}

static const char *const ind_kind[] = {
	[CIND_RULE] = "rule", [CIND_HASH] = "hash", [CIND_IP] = "ip",
	[CIND_DOMAIN] = "domain",
};
static const char *const ind_prefix[] = {
	[CIND_RULE] = "r", [CIND_HASH] = "h", [CIND_IP] = "ip",
	[CIND_DOMAIN] = "d",
};

/* An indicator seen by p at ts, counted. */
static int
pend_ind(struct correlate *c, struct pend *p, int kind, const char *value,
    int64_t ts)
{
	struct centry	*e;
	struct pind	*x;
	char		 k[KEY_MAX + 1];
	int		 made, rc;

	if ((e = ctab_get(&c->pmap, k, keyf(k, "q|%zu|%d|%s",
	    (size_t)(p - c->pend), kind, value), &made)) == NULL)
		return ERR_NOMEM;
	if (!made) {
		x = &p->ind[e->ref];
		x->count++;
		if (ts < x->first)
			x->first = ts;
		if (ts > x->last)
			x->last = ts;
		return 0;
	}
	if ((rc = grow(&p->ind, &p->capind, p->nind, sizeof(*p->ind))) != 0) {
		ctab_del(&c->pmap, e);
		return rc;
	}
	e->ref = (int64_t)p->nind;
	x = &p->ind[p->nind++];
	x->kind = ind_kind[kind];
	(void)snprintf(x->value, sizeof(x->value), "%s", value);
	x->count = 1;
	x->first = x->last = ts;
	return 0;
}

/* ---- changes for the early warning ---- */

static int
chg_add(struct correlate *c, int64_t id, int kinds, int sev, int from,
    size_t agents)
{
	struct correlate_change	*x;
	int			 rc;

	if ((rc = grow(&c->chg, &c->capchg, c->nchg, sizeof(*c->chg))) != 0)
		return rc;
	x = &c->chg[c->nchg++];
	*x = (struct correlate_change){ .incident = id, .kinds = (uint8_t)kinds,
	    .severity = (uint8_t)sev, .from = (uint8_t)from,
	    .agents = agents > UINT32_MAX ? UINT32_MAX : (uint32_t)agents };
	c->chg_merged = 0;
	return 0;
}

static int
chg_cmp(const void *a, const void *b)
{
	const struct correlate_change	*x = a, *y = b;

	return (x->incident > y->incident) - (x->incident < y->incident);
}

/* Opened, then linked in the same batch: one change (qsort is not
 * stable, hence the max and min rather than first and last). */
static void
chg_fold(struct correlate_change *into, const struct correlate_change *x)
{
	if ((x->kinds & CHG_RAISED) &&
	    (!(into->kinds & CHG_RAISED) || x->from < into->from))
		into->from = x->from;
	into->kinds |= x->kinds;
	if (x->severity > into->severity)
		into->severity = x->severity;
	if (UINT32_MAX - into->agents < x->agents)
		into->agents = UINT32_MAX;
	else
		into->agents += x->agents;
}

const struct correlate_change *
correlate_changes(struct correlate *c, size_t *n)
{
	size_t	i, j;

	if (!c->chg_merged && c->nchg > 1) {
		qsort(c->chg, c->nchg, sizeof(*c->chg), chg_cmp);
		for (i = 1, j = 0; i < c->nchg; i++) {
			if (c->chg[i].incident == c->chg[j].incident)
				chg_fold(&c->chg[j], &c->chg[i]);
			else
				c->chg[++j] = c->chg[i];
		}
		c->nchg = j + 1;
	}
	c->chg_merged = 1;
	*n = c->nchg;
	return c->chg;
}

/* ---- opening incidents ---- */

static int64_t
detected(const struct correlate *c, int64_t ts, int64_t now)
{
	/* an agent's clock is not trusted for the reporting deadline */
	return ts <= now && ts >= now - c->conf->window_s ? ts : now;
}

static int
open_incident(struct correlate *c, int64_t *id, const struct tmpl *t,
    int64_t now)
{
	struct incident_new	n = {
		.title = t->title, .category = t->category,
		.severity = t->severity, .detected = t->detected,
		.deadline_s = c->conf->deadline_s,
	};
	int			rc;

	if ((rc = incident_open(c->s, id, &n, ACTOR, now)) != 0)
		return rc;
	return chg_add(c, *id, CHG_OPENED, t->severity, 0, 0);
}

/* Every index entry of incident from now names to. */
static int
remap(struct correlate *c, int64_t from, int64_t to, int64_t now)
{
	struct centry	*e;
	size_t		 i;
	int		 rc;

	for (i = 0; i < c->idx.nb; i++)
		for (e = c->idx.b[i]; e != NULL; e = e->next) {
			if (e->key[0] == 'a' || e->ref != from)
				continue;
			e->ref = to;
			if ((rc = touch(c, e, now, 1)) != 0)
				return rc;
		}
	return 0;
}

/* p into the register; an incident merged is followed, one resolved or
 * closed by a responder gives way to a new one from p's template. */
static int
pend_flush(struct correlate *c, struct pend *p, int64_t now)
{
	struct incident_bulk	b = {
		.events = p->ev, .nevents = p->nev, .agents = p->ag,
		.nagents = p->nag, .nindicators = p->nind,
		.first = p->first, .last = p->last, .severity = p->severity,
	};
	struct incident_count	*xs = NULL;
	struct incident_delta	 dl;
	struct incident		 cur;
	int64_t			 id = p->id, next;
	size_t			 i;
	int			 rc, hop;

	if (p->nev == 0 && p->nag == 0 && p->nind == 0)
		return 0;
	if (p->first > p->last)
		b.first = b.last = now;
	if (p->nind > 0 && (xs = calloc(p->nind, sizeof(*xs))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < p->nind; i++)
		xs[i] = (struct incident_count){ p->ind[i].kind,
		    p->ind[i].value, p->ind[i].count, p->ind[i].first,
		    p->ind[i].last };
	b.indicators = xs;
	b.delta = &dl;
	for (hop = 0; hop < MERGE_HOPS; hop++) {
		rc = incident_link_bulk(c->s, &cur, id, &b, ACTOR, now);
		if (rc != ERR_STATE)
			break;
		if (cur.merged_into != 0)
			next = cur.merged_into;
		else if ((rc = open_incident(c, &next, &p->t, now)) != 0)
			break;
		if ((rc = remap(c, id, next, now)) != 0)
			break;
		id = next;
	}
	free(xs);
	if (rc == 0 && (dl.to > dl.from || dl.agents > 0))
		rc = chg_add(c, id, (dl.to > dl.from ? CHG_RAISED : 0) |
		    (dl.agents > 0 ? CHG_SPREAD : 0), dl.to, dl.from,
		    dl.agents);
	return rc;
}

/* ---- alerts ---- */

/* A title: prefix and name if a person may see it as it is, else alt. */
static void
title(struct tmpl *t, const char *prefix, const char *name, const char *alt)
{
	const char	*n = text_printable(name, strlen(name)) && *name ?
			    name : alt;

	(void)snprintf(t->title, sizeof(t->title), "%s%s", prefix, n);
}

static const char *
ind_value(const struct correlate_in *in, int kind)
{
	size_t	i;

	for (i = 0; i < in->nind; i++)
		if (in->ind[i].kind == kind)
			return in->ind[i].value;
	return NULL;
}

/* Is g an open group for an event at ts? */
static int
open_at(const struct correlate *c, const struct centry *g, int64_t ts)
{
	return g != NULL && g->ref != 0 && ts - g->last <= c->conf->window_s;
}

/* g (made or found) now names incident id, seen at ts. */
static int
group_set(struct correlate *c, struct centry *g, int64_t id, int64_t agent,
    int64_t ts, int64_t now)
{
	int	renamed;

	if (g == NULL)
		return 0;
	renamed = g->ref != id;
	if (renamed || g->ref == 0) {
		g->ref = id;
		g->agent = agent;
		g->first = g->last = ts;
	} else {
		if (ts < g->first)
			g->first = ts;
		if (ts > g->last)
			g->last = ts;
	}
	return touch(c, g, now, renamed);
}

/* The incident an alert joins: its rule's group on its agent, else a
 * group of one of its indicators, else a new one. *gp gets the rule
 * group's entry (NULL when the index is full). */
static int
alert_incident(struct correlate *c, int64_t *id, struct centry **gp,
    const struct correlate_in *in, int64_t agent, int64_t ts,
    const struct tmpl *t, int64_t now)
{
	struct centry	*g, *e;
	char		 k[KEY_MAX + 1];
	size_t		 i;
	int		 made;

	*id = 0;
	g = entry(c, k, keyf(k, "g|%lld|%s", (long long)agent,
	    ind_value(in, CIND_RULE)), 0, &made);
	if (g == NULL)		/* full: the agent's catch-all group */
		g = entry(c, k, keyf(k, "g|%lld|*", (long long)agent), 1,
		    &made);
	if (g == NULL)
		return ERR_NOMEM;
	*gp = g;
	if (open_at(c, g, ts)) {
		*id = g->ref;
		return 0;
	}
	for (i = 0; i < in->nind; i++) {
		if (in->ind[i].kind == CIND_RULE)
			continue;
		e = lookup(c, k, keyf(k, "i|%s:%s",
		    ind_prefix[in->ind[i].kind], in->ind[i].value));
		if (open_at(c, e, ts)) {
			*id = e->ref;
			return 0;
		}
	}
	return open_incident(c, id, t, now);
}

/* The spreading incident of X opens, or gets agent: see docs. */
static int
spread(struct correlate *c, const struct correlate_in *in, const char *x,
    int64_t agent, int64_t event, int64_t ts, const struct tmpl *at,
    int64_t *sid, int64_t now)
{
	struct centry	*a, *s, *o;
	struct tmpl	 t = *at;
	struct pend	*p;
	char		 k[KEY_MAX + 1];
	size_t		 i, j, n;
	int		 made, fresh, rc;

	if ((a = entry(c, k, keyf(k, "a|%lld|%s", (long long)agent, x), 0,
	    &made)) == NULL)
		return 0;		/* the index is full: not counted */
	fresh = made || ts - a->last > c->conf->spread_window_s;
	if (fresh) {
		a->ref = event;
		a->agent = agent;
		a->first = ts;
	}
	if (ts > a->last || fresh)
		a->last = ts;
	if ((rc = touch(c, a, now, fresh)) != 0)
		return rc;
	if (!fresh)
		return 0;
	if ((s = spread_of(c, a->key, a->klen, &made)) == NULL)
		return ERR_NOMEM;
	if ((rc = spread_add(s, agent)) != 0 ||
	    (rc = touch(c, s, now, 0)) != 0)	/* pruned by touched */
		return rc;
	if (s->ref == 0 && *sid != 0)	/* another indicator's, this alert */
		s->ref = *sid;
	if (s->ref != 0) {
		if ((p = pend_get(c, s->ref, &t)) == NULL)
			return ERR_NOMEM;
		*sid = s->ref;
		s->last = ts;
		return pend_agent(p, agent, ts, ts) || pend_event(p, event,
		    ts) || touch(c, s, now, 0) ? ERR_NOMEM : 0;
	}
	/* agents with a fresh sighting; the others leave the list */
	for (i = j = n = 0; i < s->nagents; i++) {
		o = lookup(c, k, keyf(k, "a|%lld|%s", (long long)s->agents[i],
		    x));
		if (o == NULL)
			continue;
		s->agents[j++] = s->agents[i];
		n += ts - o->last <= c->conf->spread_window_s;
	}
	s->nagents = j;
	if (n < (size_t)c->conf->spread_agents)
		return 0;
	/* a long name is cut: the title is bounded (the indicator is whole
	 * in the incident's indicators) */
	if (snprintf(t.title, sizeof(t.title), "Spreading on %zu agents: %s",
	    n, text_printable(in->name, strlen(in->name)) && in->name[0] ?
	    in->name : x) < 0)
		t.title[0] = '\0';
	t.severity = SEV_CRITICAL;
	if ((rc = open_incident(c, &s->ref, &t, now)) != 0)
		return rc;
	*sid = s->ref;
	s->first = s->last = ts;
	if ((rc = touch(c, s, now, 1)) != 0 ||
	    (p = pend_get(c, s->ref, &t)) == NULL)
		return rc ? rc : ERR_NOMEM;
	for (i = 0; i < s->nagents; i++) {
		o = lookup(c, k, keyf(k, "a|%lld|%s", (long long)s->agents[i],
		    x));
		if (o == NULL || ts - o->last > c->conf->spread_window_s)
			continue;
		if (pend_agent(p, o->agent, o->first, o->last) != 0 ||
		    pend_event(p, o->ref, o->first) != 0)
			return ERR_NOMEM;
	}
	return 0;
}

static int
on_alert(struct correlate *c, const struct correlate_in *in, int64_t agent,
    int64_t event, int64_t ts, int64_t now)
{
	struct tmpl	 t;
	struct centry	*g, *e;
	struct pend	*p;
	char		 k[KEY_MAX + 1];
	const char	*rule = ind_value(in, CIND_RULE);
	int64_t		 id, sid = 0;
	size_t		 i;
	int		 rc, made;

	if (rule == NULL)
		return 0;
	memset(&t, 0, sizeof(t));
	title(&t, "", in->name, rule);
	(void)snprintf(t.category, sizeof(t.category), "%s", in->category);
	t.severity = in->severity;
	t.detected = detected(c, ts, now);
	if ((rc = alert_incident(c, &id, &g, in, agent, ts, &t, now)) != 0)
		return rc;
	if ((rc = group_set(c, g, id, agent, ts, now)) != 0 ||
	    (p = pend_get(c, id, &t)) == NULL)
		return rc ? rc : ERR_NOMEM;
	if (in->severity > p->severity)
		p->severity = in->severity;
	if ((rc = pend_event(p, event, ts)) != 0 ||
	    (rc = pend_agent(p, agent, ts, ts)) != 0)
		return rc;
	for (i = 0; i < in->nind; i++) {
		if ((rc = pend_ind(c, p, in->ind[i].kind, in->ind[i].value,
		    ts)) != 0)
			return rc;
		if (in->ind[i].kind == CIND_RULE)
			continue;
		e = entry(c, k, keyf(k, "i|%s:%s", ind_prefix[in->ind[i].kind],
		    in->ind[i].value), 0, &made);
		/* an open group of another incident keeps it */
		if (e != NULL && (made || !open_at(c, e, ts) || e->ref == id) &&
		    (rc = group_set(c, e, id, agent, ts, now)) != 0)
			return rc;
	}
	for (i = 0; i < in->nind; i++) {
		if (in->ind[i].kind != CIND_RULE &&
		    in->ind[i].kind != CIND_HASH)
			continue;
		(void)keyf(k, "%s:%s", ind_prefix[in->ind[i].kind],
		    in->ind[i].value);
		if ((rc = spread(c, in, k, agent, event, ts, &t, &sid,
		    now)) != 0)
			return rc;
	}
	return 0;
}

/* ---- integrity and health: one group per agent ---- */

static int
critical(const struct correlate *c, const char *path)
{
	size_t	i, len = strlen(path);

	for (i = 0; i < c->ncrit; i++)
		if (pathset_under(path, len, c->crit[i], strlen(c->crit[i])))
			return 1;
	return 0;
}

static int
on_agent_group(struct correlate *c, const struct correlate_in *in,
    int64_t agent, int64_t event, int64_t ts, int64_t now)
{
	struct tmpl	 t;
	struct centry	*g;
	struct pend	*p;
	char		 k[KEY_MAX + 1];
	int64_t		 id;
	int		 rc, made;

	memset(&t, 0, sizeof(t));
	if (in->kind == CORR_INTEGRITY) {
		if (!critical(c, in->name))
			return 0;
		title(&t, "Critical file changed: ", in->name, "(a path "
		    "not shown here)");
	} else
		title(&t, "Agent health: ", in->name, "report");
	(void)snprintf(t.category, sizeof(t.category), "%s", in->category);
	t.severity = in->severity;
	t.detected = detected(c, ts, now);
	if ((g = entry(c, k, keyf(k, "%c|%lld", in->kind == CORR_INTEGRITY ?
	    'f' : 'h', (long long)agent), 1, &made)) == NULL)
		return ERR_NOMEM;
	if (open_at(c, g, ts))
		id = g->ref;
	else if ((rc = open_incident(c, &id, &t, now)) != 0)
		return rc;
	if ((rc = group_set(c, g, id, agent, ts, now)) != 0 ||
	    (p = pend_get(c, id, &t)) == NULL)
		return rc ? rc : ERR_NOMEM;
	if (in->severity > p->severity)
		p->severity = in->severity;
	if ((rc = pend_event(p, event, ts)) != 0)
		return rc;
	return pend_agent(p, agent, ts, ts);
}

/* ---- the batch ---- */

static int
batch_end(struct correlate *c, int64_t now)
{
	struct centry	*e;
	size_t		 i;
	int		 rc;

	for (i = 0; i < c->npend; i++)
		if ((rc = pend_flush(c, &c->pend[i], now)) != 0)
			return rc;
	for (i = 0; i < c->ntouched; i++) {
		e = c->touched[i];
		if (!e->dirty || (e->key[0] == 's' && e->ref == 0))
			continue;
		if ((rc = key_save(c, e)) != 0)
			return rc;
		e->dirty = 0;
		e->saved = e->touched;
	}
	return 0;
}

static void
batch_begin(struct correlate *c)
{
	c->gen++;
	c->ntouched = 0;
	c->nchg = 0;
	pend_reset(c);
}

int
correlate_batch(struct correlate *c, const struct store_event *evs,
    const int64_t *ids, const struct correlate_in *const *in, size_t n,
    int64_t now)
{
	size_t	i;
	int64_t	ts;
	int	rc;

	if (!c->conf->enabled)
		return 0;
	if (sqlite3_get_autocommit(db_sqlite(store_db(c->s))) != 0)
		return ERR_STATE;
	if ((rc = load(c)) != 0)
		return rc;
	batch_begin(c);
	for (i = 0, rc = 0; i < n && rc == 0; i++) {
		if (ids[i] == 0 || in[i] == NULL)
			continue;
		ts = evs[i].ts_us / 1000000;
		switch (in[i]->kind) {
		case CORR_ALERT:
			rc = on_alert(c, in[i], evs[i].agent_rowid, ids[i], ts,
			    now);
			break;
		case CORR_INTEGRITY:
		case CORR_HEALTH:
			rc = on_agent_group(c, in[i], evs[i].agent_rowid,
			    ids[i], ts, now);
			break;
		}
	}
	if (rc == 0)
		rc = batch_end(c, now);
	pend_reset(c);
	return rc;
}

/* ---- agents offline ---- */

struct seen {
	int64_t	 rowid, last_seen;
	int	 live;			/* enrolled, seen, not revoked */
	char	 name[STORE_NAME_MAX + 1];
};

struct seen_list {
	struct seen	*v;
	size_t		 n, cap;
};

static int
seen_cb(void *arg, const struct store_agent *a)
{
	struct seen_list	*l = arg;
	struct seen		*x;
	int			 rc;

	if ((rc = grow(&l->v, &l->cap, l->n, sizeof(*l->v))) != 0)
		return rc;
	x = &l->v[l->n++];
	x->rowid = a->rowid;
	x->last_seen = a->last_seen;
	x->live = !a->revoked && a->first_seen != 0;
	(void)snprintf(x->name, sizeof(x->name), "%s", a->name);
	return 0;
}

static int
went_offline(struct correlate *c, const struct seen *a, int64_t now)
{
	struct tmpl	 t;
	struct centry	*o;
	char		 k[KEY_MAX + 1];
	int		 rc, made;

	memset(&t, 0, sizeof(t));
	title(&t, "Agent offline (possible tampering): ", a->name,
	    "an agent");
	(void)snprintf(t.category, sizeof(t.category), "other");
	t.severity = SEV_HIGH;
	t.detected = now;
	if ((o = entry(c, k, keyf(k, "o|%lld", (long long)a->rowid), 1,
	    &made)) == NULL)
		return ERR_NOMEM;
	if ((rc = open_incident(c, &o->ref, &t, now)) != 0 ||
	    (rc = incident_link_agent(c->s, o->ref, a->rowid,
	    a->last_seen ? a->last_seen : now, ACTOR, now)) != 0)
		return rc;
	o->agent = a->rowid;
	o->first = o->last = a->last_seen;
	o->touched = now;
	o->saved = now;
	return key_save(c, o);
}

static int
came_back(struct correlate *c, struct centry *o, const struct seen *a,
    int64_t now)
{
	struct incident	 i;
	char		 why[128];
	int		 rc;

	if ((rc = incident_get(c->s, &i, o->ref)) != 0 && rc != ERR_NOTFOUND)
		return rc;
	(void)snprintf(why, sizeof(why), "agent back: seen again after %lld s"
	    " of silence", (long long)(a->last_seen - o->last));
	/* a responder may have settled it already */
	if (rc == 0 && i.merged_into == 0 && i.status != ST_RESOLVED &&
	    i.status != ST_CLOSED && (rc = incident_resolve(c->s, NULL,
	    o->ref, RES_INDETERMINATE, why, ACTOR, now)) != 0)
		return rc;
	if ((rc = key_delete(c, o)) != 0)
		return rc;
	ctab_del(&c->idx, o);
	return 0;
}

static int
offline_check(struct correlate *c, int64_t now)
{
	struct seen_list	 l = { 0 };
	struct centry		*o;
	char			 k[KEY_MAX + 1];
	int64_t			 since;
	size_t			 i;
	int			 rc;

	if ((rc = store_agent_each(c->s, seen_cb, &l)) != 0)
		goto done;
	for (i = 0; i < l.n && rc == 0; i++) {
		o = lookup(c, k, keyf(k, "o|%lld", (long long)l.v[i].rowid));
		since = l.v[i].last_seen > c->started ? l.v[i].last_seen :
		    c->started;
		if (o != NULL && l.v[i].last_seen > o->last)
			rc = came_back(c, o, &l.v[i], now);
		else if (o == NULL && l.v[i].live &&
		    now - since > c->conf->offline_s)
			rc = went_offline(c, &l.v[i], now);
	}
done:
	free(l.v);
	return rc;
}

/* Entries quiet beyond both windows go (offline ones stay). */
static int
prune(struct correlate *c, int64_t now)
{
	struct centry	*e, *nx;
	sqlite3_stmt	*st;
	int64_t		 w = c->conf->window_s > c->conf->spread_window_s ?
			    c->conf->window_s : c->conf->spread_window_s;
	size_t		 i;

	for (i = 0; i < c->idx.nb; i++)
		for (e = c->idx.b[i]; e != NULL; e = nx) {
			nx = e->next;
			if (e->key[0] != 'o' && e->touched < now - w)
				ctab_del(&c->idx, e);
		}
	if ((st = kstmt(c, K_PRUNE)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, now - w)) {
		db_done(st);
		return db_fail(store_db(c->s), "correlate prune");
	}
	return db_run(store_db(c->s), st, "correlate prune");
}

int
correlate_tick(struct correlate *c, int64_t now)
{
	int	rc;

	if (!c->conf->enabled)
		return 0;
	if (sqlite3_get_autocommit(db_sqlite(store_db(c->s))) != 0)
		return ERR_STATE;
	if ((rc = load(c)) != 0)
		return rc;
	batch_begin(c);
	if ((rc = offline_check(c, now)) == 0)
		rc = prune(c, now);
	return rc;
}

int64_t
correlate_tick_s(const struct correlate_conf *conf)
{
	int64_t	t = conf->offline_s / 10;

	return t < 1 ? 1 : t > 30 ? 30 : t;
}

void
correlate_abort(struct correlate *c)
{
	if (c == NULL)
		return;
	c->loaded = 0;
	ctab_clear(&c->idx);
	pend_reset(c);
	c->nchg = 0;
}

size_t
correlate_size(const struct correlate *c)
{
	return c->idx.n;
}

/* ---- life ---- */

int
correlate_open(struct correlate **out, struct store *s,
    const struct correlate_conf *conf, int64_t started)
{
	struct correlate	*c;
	size_t			 i;
	int			 rc = ERR_NOMEM;

	*out = NULL;
	if (sodium_init() < 0)
		return ERR_NOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	c->s = s;
	c->conf = conf;
	c->started = started;
	if (ctab_init(&c->idx) != 0 || ctab_init(&c->pmap) != 0)
		goto fail;
	if (conf->critical != NULL && conf->critical->n > 0) {
		if ((c->crit = calloc((size_t)conf->critical->n, sizeof(*c->crit))) ==
		    NULL)
			goto fail;
		for (i = 0; i < (size_t)conf->critical->n; i++)
			if (pathset_clean(c->crit[c->ncrit],
			    conf->critical->item[i]) == 0)
				c->ncrit++;
	}
	if (conf->enabled && (rc = load(c)) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	correlate_free(c);
	return rc;
}

void
correlate_free(struct correlate *c)
{
	if (c == NULL)
		return;
	pend_reset(c);
	free(c->pend);
	ctab_free(&c->pmap);
	ctab_free(&c->idx);
	free(c->touched);
	free(c->crit);
	free(c->chg);
	free(c);
}
