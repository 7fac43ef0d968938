/*
 * test_form.c: the report forms (collector/form.c) on a store fixture.
 *
 * Both forms in both languages and formats: the register's facts and
 * [office]'s details where they belong, a dotted line for each one
 * missing (an empty office fills nothing in), the hostile title, agent
 * name and note escaped (no raw tag, quote or control byte reaches the
 * document), IDS ticked only for an incident correlation opened, the
 * time handling ended only once resolved; and the error paths: no such
 * incident, a stream that cannot be written. tests/integration/forms.sh
 * drives the same through the real collector.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "form.h"
#include "incident.h"
#include "log.h"
#include "store.h"
#include "store_fixture.h"
#include "taxonomy.h"

#define NOW	1800000000	/* 2027-01-15 */
#define TITLE	"<script>alert(\"x\")</script> & *b* [l](j:x)"
#define NOTE	"done\r\n\x1b[2J<img src=x onerror=alert(1)>"

/* The form of id, NUL-terminated, malloc'd. */
static char *
render(struct store *s, int64_t id, const struct config_office *office,
    int final, int lang, int format)
{
	struct form_opts	 o = { .final = final, .lang = lang,
				    .format = format, .now = NOW };
	char			*buf = NULL;
	size_t			 len;
	FILE			*f;

	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(form_write(f, s, id, office, &o), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

/* Nothing raw: no control byte but LF, no tag or quote from the
 * register. */
static void
clean(const char *doc, int format)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)doc; *p != '\0'; p++) {
		assert_true(*p >= 0x20 || *p == '\n');
		/* Markdown of ours has no '<': each is an escaped one */
		if (format == FORM_MD && *p == '<')
			assert_true(p > (const unsigned char *)doc &&
			    p[-1] == '\\');
	}
	if (format == FORM_MD)
		return;
	assert_null(strstr(doc, "<script"));
	assert_null(strstr(doc, "<img"));
	assert_null(strstr(doc, "<b>pc"));
	assert_null(strstr(doc, "\"x\""));
}

static int64_t
fixture(struct store *s)
{
	struct incident_new	n = { .title = TITLE, .category = "malware",
				    .severity = SEV_HIGH, .detected = NOW - 60 };
	uint8_t			pub[KEY_LEN];
	int64_t			id, agent;

	memset(pub, 7, sizeof(pub));
	assert_int_equal(store_agent_add(s, &agent, "0000000000000007", pub,
	    "<b>pc1", "X\xc3\xa3 \"H\xc3\xb2\x61\"", NOW), 0);
	assert_int_equal(incident_open(s, &id, &n, "alice", NOW - 60), 0);
	assert_int_equal(incident_link_agent(s, id, agent, NOW - 60, "alice",
	    NOW - 60), 0);
	assert_int_equal(incident_add_indicator(s, id, "ip", "198.51.100.7",
	    NOW - 60, "alice", NOW - 60), 0);
	assert_int_equal(incident_note(s, NULL, id, NOTE, "alice", NOW - 30),
	    0);
	return id;
}

static void
test_forms(void **state)
{
	struct store_fx		*f = *state;
	struct config_office	 office;
	char			*doc;
	int64_t			 id = fixture(f->s);
	int			 lang, format, final;

	memset(&office, 0, sizeof(office));
	snprintf(office.name, sizeof(office.name), "S\xe1\xbb\x9f <KH>");
	snprintf(office.contact, sizeof(office.contact), "Nguy\xe1\xbb\x85n A");
	office.security_level = 2;
	office.public.n = 1;
	snprintf(office.public.item[0], CONFIG_ITEM_MAX, "gov.example");
	for (final = 0; final < 2; final++)
	for (lang = FORM_VI; lang <= FORM_EN; lang++)
	for (format = FORM_HTML; format <= FORM_MD; format++) {
		doc = render(f->s, id, &office, final, lang, format);
		clean(doc, format);
		assert_non_null(strstr(doc, final ? (lang ? "Form 04" :
		    "M\xe1\xba\xabu 04") : (lang ? "Form 03" :
		    "M\xe1\xba\xabu 03")));
		assert_true(strstr(doc, "[TBSC]") != NULL ||
		    strstr(doc, "\\[TBSC\\]") != NULL);
		assert_non_null(strstr(doc, format == FORM_HTML ?
		    "S\xe1\xbb\x9f &lt;KH&gt;" : "S\xe1\xbb\x9f \\<KH\\>"));
		assert_non_null(strstr(doc, "Nguy\xe1\xbb\x85n A"));
		assert_non_null(strstr(doc, format == FORM_HTML ?
		    "&lt;script&gt;alert(&quot;x&quot;)" :
		    "\\<script\\>alert\\(\"x\"\\)"));
		assert_non_null(strstr(doc, format == FORM_HTML ?
		    "&lt;b&gt;pc1" : "\\<b\\>pc1"));
		if (format == FORM_HTML) {
			assert_non_null(strstr(doc, "size: A4"));
			assert_int_equal(count(doc, "&#x2612;"), final ? 1 : 2);
		}
		if (!final) {
			assert_non_null(strstr(doc, "198.51.100.7"));
			assert_non_null(strstr(doc, "gov.example"));
			assert_non_null(strstr(doc,
			    "vigil-incident-1-events.csv"));
			assert_null(strstr(doc, "onerror"));
		} else {
			/* the note, escaped; not yet resolved: no end */
			assert_non_null(strstr(doc, "\\x1b"));
			assert_non_null(strstr(doc, "onerror"));
		}
		free(doc);
	}
}

/* IDS is ticked for what correlation opened; handled and the end time
 * follow the resolution. */
static void
test_facts(void **state)
{
	struct store_fx		*f = *state;
	struct config_office	 office;
	struct incident_new	 n = { .title = "VIGIL test alert",
				    .category = "other", .severity = SEV_LOW };
	char			*doc;
	int64_t			 id;

	memset(&office, 0, sizeof(office));
	assert_int_equal(incident_open(f->s, &id, &n, "correlate", NOW - 99),
	    0);
	doc = render(f->s, id, &office, 0, FORM_EN, FORM_MD);
	assert_non_null(strstr(doc, "\xe2\x98\x92 Intrusion detection"));
	assert_non_null(strstr(doc, "\xe2\x98\x92 Not handled yet"));
	/* an empty office: every detail a line to fill, none made up */
	assert_true(count(doc, "\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6") >= 20);
	free(doc);
	assert_int_equal(incident_resolve(f->s, NULL, id, RES_FALSE_POSITIVE,
	    "a test", "bob", NOW - 10), 0);
	doc = render(f->s, id, &office, 1, FORM_EN, FORM_MD);
	assert_non_null(strstr(doc, "false-positive"));
	assert_non_null(strstr(doc, "UTC"));
	free(doc);
	doc = render(f->s, id, &office, 0, FORM_VI, FORM_HTML);
	assert_non_null(strstr(doc, "&#x2612;</span> \xc4\x90\xc3\xa3 x"));
	free(doc);
}

static void
test_errors(void **state)
{
	struct store_fx		*f = *state;
	struct config_office	 office;
	struct form_opts	 o = { .now = NOW };
	FILE			*full;
	int64_t			 id = fixture(f->s);

	memset(&office, 0, sizeof(office));
	assert_non_null(full = fopen("/dev/null", "w"));
	assert_int_equal(form_write(full, f->s, id + 1, &office, &o),
	    ERR_NOTFOUND);
	assert_int_equal(fclose(full), 0);
	if ((full = fopen("/dev/full", "w")) == NULL)
		skip();
	setvbuf(full, NULL, _IONBF, 0);
	assert_int_equal(form_write(full, f->s, id, &office, &o), ERR_IO);
	(void)fclose(full);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forms, store_setup,
		    store_teardown),
		cmocka_unit_test_setup_teardown(test_facts, store_setup,
		    store_teardown),
		cmocka_unit_test_setup_teardown(test_errors, store_setup,
		    store_teardown),
	};

	log_init("test_form", LOG_LVL_WARN, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
