/*
 * test_report_layout.c: the report's layout (collector/report_layout.c)
 * of a known document in which every figure is a different number (301
 * and up): each reaches a cell, a sentence or a bar, in both languages;
 * names with diacritics are kept byte for byte; the by-day chart has a
 * bar per day of the month; a report of nothing (no agents) is laid out
 * with "None" tables and zero bars; a document of another shape is
 * refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "report.h"
#include "report_layout.h"

/* A month's report of one office, as report_build() shapes it. */
static const char known[] =
	"{\"schema\":\"vigil-report-1\",\"period\":{\"kind\":\"month\","
	"\"label\":\"2026-11\",\"from\":\"2026-11-01T00:00:00+0700\","
	"\"to\":\"2026-12-01T00:00:00+0700\",\"time_zone\":\"+07\"},"
	"\"office\":null,\"generated\":{\"at\":\"2026-12-03T10:00:00+0700\","
	"\"by\":\"Nguyễn Văn Ánh\",\"version\":\"0.1.0\"},"
	"\"offices\":[{\"office\":\"Xã Tân Phú\",\"coverage\":{\"enrolled\":373,"
	"\"reported\":374,\"silent_24h\":375,\"connected_pct\":376,"
	"\"outdated_version\":377,\"newest_version\":\"0.2.0\","
	"\"rules_known\":378,\"rules_differ\":379,\"heartbeat_drops\":380,"
	"\"health_events\":381,\"refused_events\":382,"
	"\"events_over_quota\":383},\"detections\":{\"alerts\":384,"
	"\"by_category\":[{\"category\":\"Trojan\",\"count\":385},"
	"{\"category\":\"Scan\",\"count\":386}],"
	"\"by_severity\":[{\"severity\":387,\"count\":388},{\"severity\":389,"
	"\"count\":390}],\"by_day\":[{\"day\":\"2026-11-01\",\"count\":391},"
	"{\"day\":\"2026-11-02\",\"count\":392},{\"day\":\"2026-11-03\","
	"\"count\":393},{\"day\":\"2026-11-30\",\"count\":394}],"
	"\"top_rules\":[{\"gid\":395,\"sid\":396,\"signature\":\"sig 100\","
	"\"count\":397},{\"gid\":398,\"sid\":399,\"signature\":\"sig 200\","
	"\"count\":400}],\"top_hosts\":[{\"agent_id\":\"0000000000000001\","
	"\"name\":\"pc-a1\",\"count\":401},{\"agent_id\":\"0000000000000002\","
	"\"name\":\"pc-a2\",\"count\":402}],\"top_indicators\":[{\"kind\":\"ip\","
	"\"value\":\"203.0.113.9\",\"count\":403}],"
	"\"integrity\":{\"changes\":404,\"critical_paths\":405}},"
	"\"incidents\":{\"opened\":406,\"closed\":407,\"open_at_end\":408,"
	"\"by_category\":{\"malware\":409,\"intrusion\":410},"
	"\"by_severity\":{\"critical\":411,\"high\":412},"
	"\"time_to_ack\":{\"count\":413,\"median_s\":1800,\"p90_s\":7200},"
	"\"time_to_resolve\":{\"count\":414,\"median_s\":86400,"
	"\"p90_s\":86400},\"critical\":415,\"critical_acked_1h\":416,"
	"\"reported_in_time\":417,\"reported_late\":418,\"overdue\":419,"
	"\"pending\":420,\"no_report_needed\":421},"
	"\"notifications\":{\"sent\":422,\"failed\":423,\"given_up\":424},"
	"\"controls\":[{\"id\":\"all_reported\",\"status\":\"pass\","
	"\"evidence\":{\"enrolled\":425,\"reported\":426}},"
	"{\"id\":\"rules_fresh\",\"status\":\"unknown\","
	"\"evidence\":{\"rules_known\":427,\"rules_differ\":428}},"
	"{\"id\":\"critical_ack_1h\",\"status\":\"pass\","
	"\"evidence\":{\"critical\":429,\"acked_1h\":430}},"
	"{\"id\":\"reported_in_deadline\",\"status\":\"fail\","
	"\"evidence\":{\"in_time\":431,\"late\":432,\"overdue\":433,"
	"\"pending\":434}}]}],\"total\":{\"office\":null,"
	"\"coverage\":{\"enrolled\":302,\"reported\":303,\"silent_24h\":304,"
	"\"connected_pct\":305,\"outdated_version\":306,"
	"\"newest_version\":\"0.2.0\",\"rules_known\":307,\"rules_differ\":308,"
	"\"heartbeat_drops\":309,\"health_events\":310,"
	"\"refused_events\":311,\"events_over_quota\":312},"
	"\"detections\":{\"alerts\":313,"
	"\"by_category\":[{\"category\":\"Trojan\",\"count\":314},"
	"{\"category\":\"Scan\",\"count\":315}],"
	"\"by_severity\":[{\"severity\":316,\"count\":317},{\"severity\":318,"
	"\"count\":319}],\"by_day\":[{\"day\":\"2026-11-01\",\"count\":320},"
	"{\"day\":\"2026-11-02\",\"count\":321},{\"day\":\"2026-11-03\","
	"\"count\":322},{\"day\":\"2026-11-30\",\"count\":323}],"
	"\"top_rules\":[{\"gid\":324,\"sid\":325,"
	"\"signature\":\"ET Ứng dụng độc hại\",\"count\":326},{\"gid\":327,"
	"\"sid\":328,\"signature\":\"sig 200\",\"count\":329}],"
	"\"top_hosts\":[{\"agent_id\":\"0000000000000001\","
	"\"name\":\"máy kế toán\",\"count\":330},"
	"{\"agent_id\":\"0000000000000002\",\"name\":\"pc-a2\",\"count\":331}],"
	"\"top_indicators\":[{\"kind\":\"ip\",\"value\":\"203.0.113.9\","
	"\"count\":332}],\"integrity\":{\"changes\":333,"
	"\"critical_paths\":334}},\"incidents\":{\"opened\":335,\"closed\":336,"
	"\"open_at_end\":337,\"by_category\":{\"malware\":338,"
	"\"intrusion\":339,\"dos\":340,\"other\":341},"
	"\"by_severity\":{\"critical\":342,\"high\":343,\"low\":344},"
	"\"time_to_ack\":{\"count\":345,\"median_s\":7200,\"p90_s\":10800},"
	"\"time_to_resolve\":{\"count\":346,\"median_s\":86400,"
	"\"p90_s\":93600},\"critical\":347,\"critical_acked_1h\":348,"
	"\"reported_in_time\":349,\"reported_late\":350,\"overdue\":351,"
	"\"pending\":352,\"no_report_needed\":353},"
	"\"notifications\":{\"sent\":354,\"failed\":355,\"given_up\":356},"
	"\"controls\":[{\"id\":\"all_reported\",\"status\":\"fail\","
	"\"evidence\":{\"enrolled\":357,\"reported\":358}},"
	"{\"id\":\"rules_fresh\",\"status\":\"unknown\","
	"\"evidence\":{\"rules_known\":359,\"rules_differ\":360}},"
	"{\"id\":\"critical_ack_1h\",\"status\":\"fail\","
	"\"evidence\":{\"critical\":361,\"acked_1h\":362}},"
	"{\"id\":\"reported_in_deadline\",\"status\":\"fail\","
	"\"evidence\":{\"in_time\":363,\"late\":364,\"overdue\":365,"
	"\"pending\":366}}]},\"controls\":[{\"id\":\"audit_chain\","
	"\"status\":\"pass\",\"evidence\":{\"result\":\"intact\",\"entries\":371,"
	"\"bad_seq\":372}},{\"id\":\"disk_free\",\"status\":\"unknown\","
	"\"evidence\":{}},{\"id\":\"backups\",\"status\":\"unknown\","
	"\"evidence\":{}}],\"audit\":{\"head_seq\":367,"
	"\"head\":\"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\","
	"\"entries\":371},\"retention\":{\"purges\":369,\"events\":370}}"
	;

static json_t *
load(void)
{
	json_error_t	 e;
	json_t		*j = json_loads(known, 0, &e);

	if (j == NULL)
		fail_msg("known document: %s", e.text);
	return j;
}

static struct report_layout *
make(const json_t *doc, int lang)
{
	struct report_layout	*l = NULL;

	assert_int_equal(report_layout_make(&l, doc, lang), 0);
	assert_non_null(l);
	return l;
}

/* The contract of report_layout.h, block by block. */
static void
check_shape(const struct report_layout *l)
{
	const struct rl_block	*b;
	size_t			 i, k;

	assert_true(l->nblocks > 10);
	assert_int_equal(l->blocks[0].kind, RL_TITLE);
	assert_int_equal(l->blocks[l->nblocks - 1].kind, RL_SIGN);
	assert_non_null(l->title);
	assert_non_null(l->subtitle);
	assert_non_null(l->page_word);
	for (i = 0; i < l->nblocks; i++) {
		b = &l->blocks[i];
		if (b->kind == RL_TITLE || b->kind == RL_HEADING ||
		    b->kind == RL_PARA || b->kind == RL_CHART)
			assert_non_null(b->text);
		if (b->kind == RL_HEADING)
			assert_true(b->level == 1 || b->level == 2);
		if (b->kind < RL_FIELDS || b->kind == RL_HEADING ||
		    b->kind == RL_PARA)
			continue;
		assert_true(b->ncols >= 1);
		if (b->kind != RL_FIELDS)
			assert_non_null(b->head);
		for (k = 0; b->head != NULL && k < b->ncols; k++)
			assert_non_null(b->head[k].text);
		for (k = 0; k < b->nrows * b->ncols; k++)
			assert_non_null(b->cells[k].text);
		if (b->kind == RL_TABLE && b->nrows == 0)
			assert_non_null(b->text);
		if (b->kind == RL_CHART) {
			assert_int_equal(b->ncols, 1);
			assert_non_null(b->values);
			assert_non_null(b->unit);
		}
	}
}

static void
put(FILE *f, const char *s)
{
	if (s != NULL)
		fprintf(f, "\x01%s", s);
}

/* Every text of a layout, each after a \x01; a chart's bars as
 * numbers. */
static char *
texts(const struct report_layout *l)
{
	const struct rl_block	*b;
	char			*buf = NULL;
	size_t			 len = 0, i, k;
	FILE			*f = open_memstream(&buf, &len);

	assert_non_null(f);
	put(f, l->subtitle);
	for (i = 0; i < l->nblocks; i++) {
		b = &l->blocks[i];
		put(f, b->text);
		put(f, b->unit);
		for (k = 0; b->head != NULL && k < b->ncols; k++)
			put(f, b->head[k].text);
		for (k = 0; k < b->nrows * b->ncols; k++)
			put(f, b->cells[k].text);
		for (k = 0; b->values != NULL && k < b->nrows; k++)
			fprintf(f, "\x01%lld", (long long)b->values[k]);
	}
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* 1 if n stands in t as a number of its own. */
static int
has_number(const char *t, long long n)
{
	char		 d[32];
	const char	*p;
	size_t		 k;

	snprintf(d, sizeof(d), "%lld", n);
	k = strlen(d);
	for (p = t; (p = strstr(p, d)) != NULL; p++)
		if ((p == t || !isdigit((unsigned char)p[-1])) &&
		    !isdigit((unsigned char)p[k]))
			return 1;
	return 0;
}

static void
has(const char *t, const char *want)
{
	if (strstr(t, want) == NULL)
		fail_msg("missing \"%s\"", want);
}

/* Every number and string below j reaches t, but codes that become
 * words (and durations, checked in words). */
static void
every_leaf(const json_t *j, const char *key, const char *t)
{
	static const char *const	skip[] = { "schema", "time_zone",
		"status", "id", "kind", "office", "offices" };
	const json_t			*v;
	const char			*k;
	size_t				 i, n;

	for (i = 0; key != NULL && i < sizeof(skip) / sizeof(*skip); i++)
		if (strcmp(key, skip[i]) == 0)
			return;
	n = key ? strlen(key) : 0;
	if (json_is_object(j))
		json_object_foreach((json_t *)j, k, v)
			every_leaf(v, k, t);
	else if (json_is_array(j))
		json_array_foreach(j, i, v)
			every_leaf(v, key, t);
	else if (json_is_integer(j) && !(n > 2 &&
	    strcmp(key + n - 2, "_s") == 0)) {
		if (!has_number(t, (long long)json_integer_value(j)))
			fail_msg("%s = %lld reaches no cell", key,
			    (long long)json_integer_value(j));
	} else if (json_is_string(j))
		has(t, json_string_value(j));
}

static void
test_every_figure(void **state)
{
	static const char *const	cols[][2] = {
		{ "coverage", "enrolled" }, { "coverage", "reported" },
		{ "coverage", "silent_24h" }, { "detections", "alerts" },
		{ "incidents", "opened" }, { "incidents", "open_at_end" },
		{ "incidents", "overdue" },
	};
	json_t				*doc = load();
	const json_t			*o = json_array_get(json_object_get(doc,
					    "offices"), 0);
	struct report_layout		*l;
	char				*t;
	size_t				 k;
	int				 lang;

	(void)state;
	for (lang = REPORT_VI; lang <= REPORT_EN; lang++) {
		l = make(doc, lang);
		check_shape(l);
		t = texts(l);
		every_leaf(doc, NULL, t);
		has(t, "Xã Tân Phú");
		for (k = 0; k < sizeof(cols) / sizeof(*cols); k++)
			assert_true(has_number(t, (long long)json_integer_value(
			    json_object_get(json_object_get(o, cols[k][0]),
			    cols[k][1]))));
		/* time to resolve: 86400 and 93600 s in words */
		has(t, lang == REPORT_VI ? "\x01" "1 ngày 2 giờ\x01" :
		    "\x01" "1 d 2 h\x01");
		has(t, lang == REPORT_VI ? "\x01" "2 giờ\x01" : "\x01" "2 h\x01");
		free(t);
		report_layout_free(l);
	}
	json_decref(doc);
}

static const struct rl_block *
find(const struct report_layout *l, int kind, const char *text)
{
	size_t	i;

	for (i = 0; i < l->nblocks; i++)
		if (l->blocks[i].kind == kind && (text == NULL ||
		    (l->blocks[i].text != NULL &&
		    strcmp(l->blocks[i].text, text) == 0)))
			return &l->blocks[i];
	fail_msg("no block %d \"%s\"", kind, text ? text : "");
	return NULL;
}

/* The mark of the row of a table whose first cell is name. */
static int
mark_of(const struct rl_block *b, const char *name)
{
	size_t	i;

	for (i = 0; i < b->nrows; i++)
		if (strcmp(b->cells[i * b->ncols].text, name) == 0)
			return b->cells[i * b->ncols + 1].mark;
	fail_msg("no row %s", name);
	return -1;
}

static void
test_words(void **state)
{
	json_t			*doc = load();
	struct report_layout	*vi = make(doc, REPORT_VI);
	struct report_layout	*en = make(doc, REPORT_EN);
	const struct rl_block	*c;
	char			*t;

	(void)state;
	assert_string_equal(vi->blocks[0].text,
	    "B\xc3\x81O C\xc3\x81O T\xc3\x8cNH H\xc3\x8cNH B\xe1\xba\xa2O "
	    "\xc4\x90\xe1\xba\xa2M AN TO\xc3\x80N TH\xc3\x94NG TIN");
	assert_string_equal(en->blocks[0].text, "SECURITY COMPLIANCE REPORT");
	assert_string_equal(vi->subtitle, "Tháng 2026-11 · Tất cả các đơn vị");
	assert_string_equal(en->subtitle, "Month 2026-11 · All offices");
	assert_string_equal(vi->page_word, "Trang");
	assert_int_equal(vi->lang, REPORT_VI);
	assert_int_equal(en->lang, REPORT_EN);
	(void)find(vi, RL_HEADING, "2. Mức độ bao phủ");
	(void)find(en, RL_HEADING, "2. Coverage");
	(void)find(vi, RL_HEADING, "7. Danh mục kiểm soát");
	(void)find(en, RL_PARA, NULL);
	/* names from agents byte for byte */
	t = texts(vi);
	has(t, "\x01máy kế toán\x01");
	has(t, "\x01" "ET Ứng dụng độc hại\x01");
	has(t, "\x01Nguyễn Văn Ánh\x01");
	has(t, "\x01Tấn công sử dụng mã độc\x01");	/* a category's words */
	free(t);
	t = texts(en);
	assert_null(strstr(t, "Máy"));
	assert_null(strstr(t, "Kiểm soát"));
	has(t, "\x01Malware\x01");
	free(t);
	/* controls carry their marks */
	c = find(en, RL_HEADING, "7. Controls") + 1;
	assert_int_equal(c->kind, RL_TABLE);
	assert_int_equal(c->ncols, 3);
	assert_int_equal(mark_of(c, "The audit chain verifies"), RL_PASS);
	assert_int_equal(mark_of(c, "Every enrolled PC reported this period"),
	    RL_FAIL);
	assert_int_equal(mark_of(c, "Backups"), RL_UNKNOWN);
	assert_string_equal(c->cells[c->ncols * 6 + 2].text,
	    "vigil does not record this");
	c = &en->blocks[en->nblocks - 1];
	assert_string_equal(c->head[1].text, "Head of the office");
	assert_int_equal(c->nrows, 1);
	report_layout_free(vi);
	report_layout_free(en);
	json_decref(doc);
}

static void
test_chart(void **state)
{
	json_t			*doc = load();
	json_t			*by_day = json_object_get(json_object_get(
				    json_object_get(doc, "total"),
				    "detections"), "by_day");
	struct report_layout	*l = make(doc, REPORT_EN);
	const struct rl_block	*c = find(l, RL_CHART, "Alerts by day");
	const json_t		*row;
	long long		 sum = 0, want = 0;
	size_t			 i;
	char			 day[16];

	(void)state;
	assert_int_equal(c->nrows, 30);		/* November */
	assert_string_equal(c->head[0].text, "Day");
	for (i = 0; i < c->nrows; i++) {
		snprintf(day, sizeof(day), "2026-11-%02zu", i + 1);
		assert_string_equal(c->cells[i].text, day);
		assert_true(c->values[i] >= 0);
		sum += c->values[i];
	}
	json_array_foreach(by_day, i, row)
		want += json_integer_value(json_object_get(row, "count"));
	assert_int_equal(sum, want);
	assert_int_equal(c->values[29], json_integer_value(json_object_get(
	    json_array_get(by_day, 3), "count")));
	assert_int_equal(c->values[3], 0);
	report_layout_free(l);
	/* a day outside the period: the rows as they are */
	json_array_append_new(by_day, json_pack("{s:s,s:i}", "day",
	    "2027-01-01", "count", 5));
	l = make(doc, REPORT_EN);
	c = find(l, RL_CHART, NULL);
	assert_int_equal(c->nrows, 5);
	assert_string_equal(c->cells[4].text, "2027-01-01");
	assert_int_equal(c->values[4], 5);
	report_layout_free(l);
	json_decref(doc);
}

/* Every number 0, every list empty: a month without agents. */
static void
zero(json_t *j)
{
	json_t		*v;
	const char	*k;

	json_object_foreach(j, k, v) {
		if (json_is_integer(v))
			json_integer_set(v, 0);
		else if (json_is_array(v))
			json_array_clear(v);
		else if (strncmp(k, "by_", 3) == 0)	/* breakdowns */
			json_object_clear(v);
		else if (json_is_object(v))
			zero(v);
	}
}

static void
test_empty(void **state)
{
	json_t			*doc = load();
	struct report_layout	*l;
	const struct rl_block	*b;
	size_t			 i, none = 0;

	(void)state;
	zero(doc);
	l = make(doc, REPORT_VI);
	check_shape(l);
	b = find(l, RL_HEADING, "Các đơn vị") + 1;
	assert_int_equal(b->nrows, 0);
	assert_string_equal(b->text, "Không có");
	for (i = 0; i < l->nblocks; i++)
		none += l->blocks[i].kind == RL_TABLE &&
		    l->blocks[i].nrows == 0;
	/* offices; 5 detection lists (by_day is a chart); the incidents'
	 * 2 breakdowns; the controls */
	assert_int_equal(none, 9);
	b = find(l, RL_CHART, NULL);
	assert_int_equal(b->nrows, 30);
	for (i = 0; i < b->nrows; i++)
		assert_int_equal(b->values[i], 0);
	report_layout_free(l);
	json_decref(doc);
}

static void
test_malformed(void **state)
{
	struct report_layout	*l = (void *)1;
	json_t			*doc = load();
	json_t			*arr = json_array();

	(void)state;
	assert_int_equal(report_layout_make(&l, arr, REPORT_VI),
	    ERR_MALFORMED);
	assert_null(l);
	json_object_del(doc, "total");
	assert_int_equal(report_layout_make(&l, doc, REPORT_VI),
	    ERR_MALFORMED);
	json_object_set_new(doc, "total", json_object());
	json_object_set_new(doc, "offices", json_string("x"));
	assert_int_equal(report_layout_make(&l, doc, REPORT_VI),
	    ERR_MALFORMED);
	report_layout_free(NULL);
	json_decref(arr);
	json_decref(doc);
}

static void
test_label(void **state)
{
	(void)state;
	assert_string_equal(report_label(REPORT_VI, "enrolled"),
	    "Máy đã đăng ký");
	assert_string_equal(report_label(REPORT_EN, "enrolled"),
	    "PCs enrolled");
	assert_string_equal(report_label(REPORT_EN, "no_such_key"),
	    "no_such_key");
	assert_string_equal(report_label(REPORT_VI, "csv_header"),
	    "phần,đơn vị,chỉ tiêu,nhãn,khóa,giá trị");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_figure),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_chart),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
