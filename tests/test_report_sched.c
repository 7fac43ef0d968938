/*
 * test_report_sched.c: the scheduled report's arithmetic
 * (collector/report_sched.c): which periods ended between two times, in
 * Asia/Ho_Chi_Minh and in UTC, at month, quarter, half and year
 * boundaries and across leap years; nothing twice; a catch-up bounded
 * to the newest; and each against a naive model of the civil calendar
 * over random times. And the file names: one per office, never shared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "err.h"
#include "report_sched.h"
#include "rng.h"

#define DAY	86400LL
#define VN	(7 * 3600LL)	/* Asia/Ho_Chi_Minh: UTC+7, no DST */

static void
zone(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian): the naive model,
 * Howard Hinnant's days_from_civil. */
static int64_t
civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Midnight starting y-m-d, local, in a zone off seconds east of UTC. */
static int64_t
at(int y, int m, int d, int64_t off)
{
	return civil(y, m, d) * DAY - off;
}

/* The periods of kind ended in (since, now], as "label label ...". */
static const char *
ended(int kind, int64_t since, int64_t now, size_t max)
{
	static char		 s[512];
	struct report_period	 p[REPORT_SCHED_CATCHUP];
	int			 n, i;

	n = report_sched_ended(p, max, kind, since, now);
	assert_true(n >= 0);
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		(void)snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s",
		    i ? " " : "", p[i].label);
		/* ended, in order, each whole */
		assert_true(p[i].to <= now && p[i].to > since);
		assert_true(p[i].from < p[i].to);
		if (i > 0)
			assert_true(p[i - 1].to == p[i].from);
	}
	return s;
}

static void
test_month_boundary(void **state)
{
	int64_t	t = at(2026, 12, 1, VN);

	(void)state;
	zone("Asia/Ho_Chi_Minh");
	/* at local midnight of the 1st the month has ended, not before */
	assert_string_equal(ended(REPORT_MONTH, -1, t, 1), "2026-11");
	assert_string_equal(ended(REPORT_MONTH, -1, t - 1, 1), "2026-10");
	/* the same instant in UTC is 30 November, 17:00 */
	zone("UTC0");
	assert_string_equal(ended(REPORT_MONTH, -1, t, 1), "2026-10");
	assert_string_equal(ended(REPORT_MONTH, -1, at(2026, 12, 1, 0), 1),
	    "2026-11");
	zone("Asia/Ho_Chi_Minh");
}

static void
test_kinds(void **state)
{
	int64_t	ny = at(2027, 1, 1, VN) + 5, mid = at(2026, 7, 1, VN);

	(void)state;
	zone("Asia/Ho_Chi_Minh");
	assert_string_equal(ended(REPORT_QUARTER, -1, ny, 1), "2026-Q4");
	assert_string_equal(ended(REPORT_HALF, -1, ny, 1), "2026-H2");
	assert_string_equal(ended(REPORT_YEAR, -1, ny, 1), "2026");
	assert_string_equal(ended(REPORT_QUARTER, -1, mid, 1), "2026-Q2");
	assert_string_equal(ended(REPORT_HALF, -1, mid, 1), "2026-H1");
	assert_string_equal(ended(REPORT_YEAR, -1, mid, 1), "2025");
	assert_string_equal(ended(REPORT_QUARTER, -1, mid - 1, 1), "2026-Q1");
	assert_string_equal(ended(REPORT_HALF, -1, mid - 1, 1), "2025-H2");
	/* a whole year, quarter by quarter */
	assert_string_equal(ended(REPORT_QUARTER, at(2026, 1, 1, VN) - 1, ny,
	    REPORT_SCHED_CATCHUP), "2025-Q4 2026-Q1 2026-Q2 2026-Q3 2026-Q4");
	assert_string_equal(ended(REPORT_QUARTER, at(2026, 1, 1, VN), ny,
	    REPORT_SCHED_CATCHUP), "2026-Q1 2026-Q2 2026-Q3 2026-Q4");
}

static void
test_leap(void **state)
{
	struct report_period	p;

	(void)state;
	zone("Asia/Ho_Chi_Minh");
	assert_int_equal(report_period_at(&p, REPORT_MONTH,
	    at(2024, 2, 29, VN) + 3600), 0);
	assert_string_equal(p.label, "2024-02");
	assert_int_equal(p.to - p.from, 29 * DAY);
	assert_int_equal(report_period_at(&p, REPORT_MONTH,
	    at(2023, 2, 10, VN)), 0);
	assert_int_equal(p.to - p.from, 28 * DAY);
	assert_int_equal(report_period_at(&p, REPORT_MONTH,
	    at(2100, 2, 10, VN)), 0);			/* not a leap year */
	assert_int_equal(p.to - p.from, 28 * DAY);
	assert_int_equal(report_period_at(&p, REPORT_MONTH,
	    at(2000, 2, 10, VN)), 0);			/* a leap year */
	assert_int_equal(p.to - p.from, 29 * DAY);
	assert_int_equal(report_period_at(&p, REPORT_YEAR,
	    at(2024, 6, 1, VN)), 0);
	assert_int_equal(p.to - p.from, 366 * DAY);
	assert_int_equal(report_period_at(&p, REPORT_HALF,
	    at(2024, 6, 1, VN)), 0);
	assert_int_equal(p.to - p.from, 182 * DAY);	/* 31+29+31+30+31+30 */
	assert_int_equal(report_period_at(&p, REPORT_QUARTER,
	    at(2023, 2, 1, VN)), 0);
	assert_int_equal(p.to - p.from, 90 * DAY);
}

static void
test_once(void **state)
{
	struct report_period	p[1];
	int64_t			end_nov = at(2026, 12, 1, VN);

	(void)state;
	zone("Asia/Ho_Chi_Minh");
	/* recorded up to November: nothing more until December ends, at
	 * any time of December, and after a clock that went back */
	assert_string_equal(ended(REPORT_MONTH, end_nov, end_nov,
	    REPORT_SCHED_CATCHUP), "");
	assert_string_equal(ended(REPORT_MONTH, end_nov, at(2026, 12, 31, VN),
	    REPORT_SCHED_CATCHUP), "");
	assert_string_equal(ended(REPORT_MONTH, end_nov, end_nov - 40 * DAY,
	    REPORT_SCHED_CATCHUP), "");
	assert_string_equal(ended(REPORT_MONTH, end_nov, at(2027, 1, 1, VN),
	    REPORT_SCHED_CATCHUP), "2026-12");
	/* a collector stopped from September: the three months, oldest
	 * first; bounded to the newest */
	assert_string_equal(ended(REPORT_MONTH, at(2026, 9, 1, VN),
	    end_nov + 60, REPORT_SCHED_CATCHUP), "2026-09 2026-10 2026-11");
	assert_string_equal(ended(REPORT_MONTH, at(2026, 9, 1, VN),
	    end_nov + 60, 2), "2026-10 2026-11");
	/* before 1970 there is nothing to end */
	zone("UTC0");
	assert_int_equal(report_sched_ended(p, 1, REPORT_MONTH, -1,
	    at(1970, 1, 15, 0)), 0);
	assert_int_equal(report_sched_ended(p, 1, 7, -1, end_nov),
	    ERR_MALFORMED);
}

/* Random times from 1979 (Asia/Ho_Chi_Minh has been UTC+7 since 1975)
 * against the civil calendar: the period holding t has
 * t's year and month, starts on its first day at local midnight; the
 * number of months ended between two times is the difference of their
 * month numbers. */
static void
model_one(int64_t off)
{
	struct report_period	p;
	int64_t			t, u, days, y, m;
	int			n, mon_t, mon_u;
	char			want[16];

	t = at(1979, 1, 1, 0) + (int64_t)(rnd() % (int64_t)(100 * 365.25 *
	    DAY / 64)) * 64 + rnd() % 64;
	/* the civil date of t + off */
	days = (t + off) / DAY;
	for (y = 1970; civil(y + 1, 1, 1) <= days; y++)
		;
	for (m = 1; m < 12 && civil(y, (int)m + 1, 1) <= days; m++)
		;
	(void)snprintf(want, sizeof(want), "%04d-%02d", (int)y, (int)m);
	assert_int_equal(report_period_at(&p, REPORT_MONTH, t), 0);
	assert_string_equal(p.label, want);
	assert_int_equal(p.from, at((int)y, (int)m, 1, off));
	assert_true(p.from <= t && t < p.to);
	mon_t = (int)(y * 12 + m - 1);
	assert_int_equal(report_period_at(&p, REPORT_QUARTER, t), 0);
	(void)snprintf(want, sizeof(want), "%04d-Q%d", (int)y,
	    (int)(m - 1) / 3 + 1);
	assert_string_equal(p.label, want);
	/* months ended in (u, t] for a u up to three years before */
	u = t - (int64_t)(rnd() % (3 * 365)) * DAY - rnd() % DAY;
	assert_int_equal(report_period_at(&p, REPORT_MONTH, u), 0);
	mon_u = (int)((p.label[0] - '0') * 1000 + (p.label[1] - '0') * 100 +
	    (p.label[2] - '0') * 10 + (p.label[3] - '0')) * 12 +
	    (p.label[5] - '0') * 10 + (p.label[6] - '0') - 1;
	{
		struct report_period	q[REPORT_SCHED_CATCHUP * 4];

		n = report_sched_ended(q, REPORT_SCHED_CATCHUP * 4,
		    REPORT_MONTH, u, t);
		/* the months whose end is in (u, t]: from u's to t's */
		assert_int_equal(n, mon_t - mon_u);
	}
}

static void
test_model(void **state)
{
	int	i;

	(void)state;
	zone("UTC0");
	for (i = 0; i < 3000; i++)
		model_one(0);
	zone("Asia/Ho_Chi_Minh");
	for (i = 0; i < 3000; i++)
		model_one(VN);
}

static void
test_filename(void **state)
{
	struct report_period	p;
	char			a[256], b[256], big[100];
	const char		*pre = "report-2026-11-Xã-Tân-Phú-";

	(void)state;
	zone("Asia/Ho_Chi_Minh");
	assert_int_equal(report_period_parse(&p, REPORT_MONTH, "2026-11"), 0);
	assert_int_equal(report_sched_filename(a, sizeof(a), &p, NULL, "pdf"),
	    0);
	assert_string_equal(a, "report-2026-11.pdf");
	assert_int_equal(report_sched_filename(a, sizeof(a), &p, "", "md"), 0);
	assert_string_equal(a, "report-2026-11.md");
	assert_int_equal(report_sched_filename(a, sizeof(a), &p, "Xa-Binh-1",
	    "md"), 0);
	assert_string_equal(a, "report-2026-11-Xa-Binh-1.md");
	/* a space changes the name: the hash keeps it apart */
	assert_int_equal(report_sched_filename(a, sizeof(a), &p, "Xã Tân Phú",
	    "md"), 0);
	assert_true(strncmp(a, pre, strlen(pre)) == 0);
	assert_int_equal(strlen(a), strlen(pre) + 8 + 3);
	assert_int_equal(report_sched_filename(b, sizeof(b), &p, "Xã-Tân-Phú",
	    "md"), 0);
	assert_string_equal(b, "report-2026-11-Xã-Tân-Phú.md");
	assert_string_not_equal(a, b);
	/* no separator, no way up, no control, no bidi override */
	assert_int_equal(report_sched_filename(a, sizeof(a), &p, "../../etc",
	    "md"), 0);
	assert_null(strchr(a, '/'));
	assert_null(strstr(a, ".."));
	assert_int_equal(report_sched_filename(a, sizeof(a), &p,
	    "x\xe2\x80\xaegpj.exe", "md"), 0);
	assert_null(strstr(a, "\xe2\x80\xae"));
	assert_int_equal(report_sched_filename(a, sizeof(a), &p, "a\nb",
	    "md"), 0);
	assert_null(strchr(a, '\n'));
	/* too long for the buffer, or for a name */
	assert_int_equal(report_sched_filename(a, 10, &p, NULL, "md"),
	    ERR_TOOBIG);
	assert_string_equal(a, "");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(report_sched_filename(a, sizeof(a), &p, big, "md"),
	    ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_month_boundary),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_leap),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_filename),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
