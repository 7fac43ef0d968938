/*
 * regfill.c: a collector store of the size of a province's year, for the
 * register's query benchmark (tests/bench/register.sh).
 *
 *   bench_regfill DB EVENTS INCIDENTS [AGENTS] [OFFICES]
 *
 * Makes AGENTS agents (default 2,000) in OFFICES communes (default 200),
 * EVENTS events over the last 365 days (a tenth of them alerts, the rest
 * heartbeat-like test and scan events of about 300 bytes) in
 * transactions of 5,000, and INCIDENTS incidents opened through the
 * register's own API, each linking 1 to 20 of the alerts of one agent
 * (one bulk link, as correlation does) and a rule indicator; statuses,
 * severities and categories spread; four in five older than a month
 * resolved, nine in ten of the true positives among them reported. What
 * the queries then meet is what a real store would hold; the rows are
 * deterministic (xorshift), so two runs fill the same store.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "db.h"
#include "err.h"
#include "incident.h"
#include "log.h"
#include "store.h"
#include "taxonomy.h"

#define BATCH	5000
#define DAY	86400LL

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_regfill: %s: %s\n", what, vigil_strerror(rc));
	exit(1);
}

static const char *const cats[] = {
	"malware", "malware", "malware", "intrusion", "dos", "spoofing",
	"defacement", "encryption", "data-theft", "other",
};

int
main(int argc, char **argv)
{
	struct store		*s;
	struct store_event	*evs;
	int64_t			*ids, *agents, *alerts, *alert_agent;
	int64_t			 now = time(NULL);
	uint64_t		 nev, ninc, i, k, nal = 0;
	size_t			 nagents = 2000, noffices = 200, n, ins;
	char			 id[32], name[64], office[64], body[512];
	uint8_t			 pub[32];
	int			 rc;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_regfill DB EVENTS INCIDENTS "
		    "[AGENTS] [OFFICES]\n");
		return 2;
	}
	nev = strtoull(argv[2], NULL, 10);
	ninc = strtoull(argv[3], NULL, 10);
	if (argc > 4)
		nagents = strtoul(argv[4], NULL, 10);
	if (argc > 5)
		noffices = strtoul(argv[5], NULL, 10);
	if (nagents == 0 || noffices == 0 || nev < ninc)
		return 2;
	log_init("bench_regfill", LOG_LVL_WARN, 0);
	if ((rc = store_open(&s, argv[1])) != 0)
		die(argv[1], rc);
	agents = calloc(nagents, sizeof(*agents));
	evs = calloc(BATCH, sizeof(*evs));
	ids = calloc(BATCH, sizeof(*ids));
	alerts = calloc(nev / 5 + BATCH, sizeof(*alerts));
	alert_agent = calloc(nev / 5 + BATCH, sizeof(*alert_agent));
	if (agents == NULL || evs == NULL || ids == NULL || alerts == NULL ||
	    alert_agent == NULL)
		die("memory", ERR_NOMEM);
	for (i = 0; i < nagents; i++) {
		memset(pub, 0, sizeof(pub));
		memcpy(pub, &i, sizeof(i));
		pub[31] = 1;
		(void)snprintf(id, sizeof(id), "%016" PRIx64, i + 1);
		(void)snprintf(name, sizeof(name), "pc-%04" PRIu64, i);
		(void)snprintf(office, sizeof(office), "Xã %03zu",
		    (size_t)(i % noffices));
		if ((rc = store_agent_add(s, &agents[i], id, pub, name, office,
		    now - 365 * DAY)) != 0)
			die("agent", rc);
	}
	/* events, oldest first, as they arrive */
	for (i = 0; i < nev; i += n) {
		n = nev - i < BATCH ? (size_t)(nev - i) : BATCH;
		for (k = 0; k < n; k++) {
			uint64_t	j = i + k, a = rnd(nagents);
			int		alert = rnd(10) == 0;

			(void)snprintf(body, sizeof(body), "{\"timestamp\":"
			    "\"2026-01-01T00:00:00Z\",\"event_type\":\"%s\","
			    "\"%s\":{\"path\":\"/home/user%" PRIu64 "/Downloads"
			    "/file-%" PRIu64 ".bin\",\"sha256\":\"%016" PRIx64
			    "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "\","
			    "\"rule\":\"Rule_%" PRIu64 "\",\"size\":%" PRIu64
			    "}}", alert ? "alert" : "scan", alert ? "alert" :
			    "scan", a, j, rnd(UINT64_MAX), rnd(UINT64_MAX),
			    rnd(UINT64_MAX), rnd(UINT64_MAX), rnd(500), rnd(1 <<
			    20));
			evs[k].agent_rowid = agents[a];
			evs[k].seq = j + 1;
			evs[k].ts_us = (now - 365 * DAY + (int64_t)(j * 365 *
			    DAY / nev)) * 1000000;
			evs[k].type = alert ? "alert" : "scan";
			evs[k].severity = alert ? 3 : 0;
			evs[k].json = strdup(body);
			evs[k].len = strlen(body);
		}
		if ((rc = store_events_insert_ids(s, evs, n, &ins, ids)) != 0)
			die("events", rc);
		for (k = 0; k < n; k++) {
			if (strcmp(evs[k].type, "alert") == 0) {
				alert_agent[nal] = evs[k].agent_rowid;
				alerts[nal++] = ids[k];
			}
			free((char *)evs[k].json);
		}
		if (i / BATCH % 200 == 0)
			fprintf(stderr, "\r%" PRIu64 " events", i + n);
	}
	fprintf(stderr, "\r%" PRIu64 " events, %" PRIu64 " alerts\n", nev,
	    nal);
	/* incidents through the register's API, in transactions of 500 */
	for (i = 0, k = 0; i < ninc; i++) {
		struct incident_new	in = { 0 };
		struct incident_bulk	b = { 0 };
		struct incident_count	ind = { "rule", NULL, 1, 0, 0 };
		struct incident_seen	seen[20];
		int64_t			inc, links[20], t;
		size_t			nl = 1 + (size_t)rnd(20), j;
		char			rule[32], title[64];

		if (i % 500 == 0 && (rc = db_begin(store_db(s),
		    DB_IMMEDIATE)) != 0)
			die("begin", rc);
		t = now - 365 * DAY + (int64_t)(i * 365 * DAY / ninc);
		(void)snprintf(rule, sizeof(rule), "Rule_%" PRIu64, rnd(500));
		(void)snprintf(title, sizeof(title), "%s on pc-%04" PRIu64,
		    rule, rnd(nagents));
		in.title = title;
		in.category = cats[rnd(sizeof(cats) / sizeof(*cats))];
		in.severity = 1 + (int)rnd(4);
		in.detected = t;
		if ((rc = incident_open(s, &inc, &in, "correlate", t)) != 0)
			die("incident", rc);
		for (j = 0; j < nl && nal > 0; j++, k++) {
			links[j] = alerts[k % nal];
			seen[j].agent = alert_agent[k % nal];
			seen[j].first = seen[j].last = t;
		}
		ind.value = rule;
		ind.first = ind.last = t;
		b.events = links;
		b.nevents = nal > 0 ? nl : 0;
		b.agents = seen;
		b.nagents = b.nevents;
		b.indicators = &ind;
		b.nindicators = 1;
		b.first = b.last = t;
		if ((rc = incident_link_bulk(s, NULL, inc, &b, "correlate",
		    t)) != 0)
			die("link", rc);
		/* a year's work: most old ones resolved, most of those that
		 * are real reported in time, a few forgotten (overdue) */
		if (t < now - 30 * DAY && rnd(10) < 8) {
			int	res = rnd(3) ? RES_TRUE_POSITIVE :
				    RES_FALSE_POSITIVE;

			if ((rc = incident_resolve(s, NULL, inc, res,
			    "handled", "responder", t + DAY)) != 0)
				die("resolve", rc);
			if (res == RES_TRUE_POSITIVE && rnd(10) < 9 &&
			    (rc = incident_reported(s, NULL, inc, t + 2 * DAY,
			    "Sở TT&TT", "responder", t + 2 * DAY)) != 0)
				die("reported", rc);
		} else if (rnd(3) == 0 && (rc = incident_set_status(s, NULL,
		    inc, ST_ACKNOWLEDGED, "responder", t + 3600)) != 0)
			die("ack", rc);
		if ((i % 500 == 499 || i + 1 == ninc) &&
		    (rc = db_end(store_db(s), 0)) != 0)
			die("commit", rc);
	}
	fprintf(stderr, "%" PRIu64 " incidents\n", ninc);
	store_close(s);
	free(alert_agent);
	free(alerts);
	free(ids);
	free(evs);
	free(agents);
	return 0;
}
