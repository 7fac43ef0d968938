/*
 * test_report_pdf.c: the report as PDF (collector/report_pdf.c) from
 * layouts built here by hand, read back with poppler's pdftotext and
 * pdfinfo: Vietnamese words with their diacritics as real text, A4,
 * the page count and "Trang N/M" on every page, a long table over
 * several pages with its head row on each, a heading never left alone
 * at the foot of a page, the signature block whole on the last page,
 * hostile names printed literally, the same bytes for the same report,
 * and the errors (a broken layout, a full disk, no Vietnamese font).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "report_layout.h"
#include "report_pdf.h"
#include "testutil.h"

extern char	**environ;

#define HASH	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define HOSTILE	"<b>&amp;</b> \"x\" 'y'"
#define CREATED	"2026-12-03T10:00:00+0700"

/* ---- running poppler ---- */

/* argv's standard output, NUL-terminated, malloc'd; NULL if it failed. */
static char *
run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	char	*out = NULL, *nb;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	pid_t	 pid;
	int	 fd[2], st;

	if (pipe(fd) == -1)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fd[0]);
		close(fd[1]);
		return NULL;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	for (;;) {
		if (cap - len < 4096) {
			if ((nb = realloc(out, cap + 65536)) == NULL)
				break;
			out = nb;
			cap += 65536;
		}
		if ((n = read(fd[0], out + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd[0]);
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0 || out == NULL) {
		free(out);
		return NULL;
	}
	out[len] = '\0';
	return out;
}

/* The text of page n (0: all pages) as laid out on the page (mode
 * "-layout") or in the order it was drawn ("-raw": a cell's lines
 * together). */
static char *
pdf_text(const char *path, int n, const char *mode)
{
	char	num[16];
	char	*argv[] = { "pdftotext", (char *)mode, (char *)path, "-",
	    "-f", num, "-l", num, NULL };

	(void)snprintf(num, sizeof(num), "%d", n);
	if (n == 0)
		argv[4] = NULL;
	return run(argv);
}

static char *
page_text(const char *path, int n)
{
	return pdf_text(path, n, "-layout");
}

/* pdfinfo's report, dates as the PDF holds them (ISO 8601, its zone). */
static char *
info(const char *path)
{
	char	*argv[] = { "pdfinfo", "-isodates", (char *)path, NULL };

	return run(argv);
}

/* The number after "Pages:" in pdfinfo's output. */
static int
pages(const char *path)
{
	char	*s = info(path), *p;
	int	 n = -1;

	assert_non_null(s);
	if ((p = strstr(s, "\nPages:")) != NULL)
		n = atoi(p + 7);
	free(s);
	return n;
}

/* How often needle occurs in s. */
static int
count(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* s without white space (a cell may break a hash over lines). */
static char *
squeeze(const char *s)
{
	char	*o = strdup(s), *q = o;

	assert_non_null(o);
	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\f')
			*q++ = *s;
	*q = '\0';
	return o;
}

/* ---- layouts ---- */

#define CELL(t)		{ (t), RL_LEFT, RL_PLAIN, 0 }
#define NUM(t)		{ (t), RL_RIGHT, RL_PLAIN, 0 }
#define MONO(t)		{ (t), RL_LEFT, RL_PLAIN, 1 }
#define MARK(t, m)	{ (t), RL_LEFT, (m), 0 }
#define NELEM(a)	(sizeof(a) / sizeof(*(a)))

static const struct rl_cell fields[] = {
	CELL("Kỳ báo cáo"), CELL("Tháng 2026-11"),
	CELL("Đơn vị"), CELL(HOSTILE),
	CELL("Mã băm đầu chuỗi nhật ký kiểm toán"), MONO(HASH),
};
static const struct rl_cell cov_head[] = { CELL("Chỉ tiêu"), NUM("Giá trị") };
static const struct rl_cell cov[] = {
	CELL("Máy đã đăng ký"), NUM("1234"),
	CELL("Máy đã gửi dữ liệu trong kỳ"), NUM("987"),
	CELL("Sự kiện bị bỏ (tác tử báo)"), NUM("4242"),
};
static const struct rl_cell ctl_head[] = { CELL("Kiểm soát"),
	CELL("Kết quả"), CELL("Căn cứ") };
static const struct rl_cell ctl[] = {
	CELL("Mọi máy đã đăng ký đều gửi dữ liệu trong kỳ"),
	MARK("Đạt", RL_PASS), CELL("987/987"),
	CELL("Chuỗi nhật ký kiểm toán toàn vẹn"),
	MARK("Không đạt", RL_FAIL), CELL("mục lỗi 17"),
	CELL("Sao lưu dữ liệu"), MARK("Chưa xác định", RL_UNKNOWN),
	CELL("vigil không lưu thông tin này"),
};
static const char *const day_names[30] = {
	"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05",
	"2026-11-06", "2026-11-07", "2026-11-08", "2026-11-09", "2026-11-10",
	"2026-11-11", "2026-11-12", "2026-11-13", "2026-11-14", "2026-11-15",
	"2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20",
	"2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25",
	"2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30",
};
static struct rl_cell	days[30];
static int64_t		day_values[30];
static const struct rl_cell sign_head[] = { CELL("Người lập báo cáo"),
	CELL("Lãnh đạo đơn vị") };
static const struct rl_cell sign_note[] = { CELL("(Ký, ghi rõ họ tên)"),
	CELL("(Ký, ghi rõ họ tên, đóng dấu)") };

static void
days_init(void)
{
	size_t	i;

	for (i = 0; i < NELEM(days); i++) {
		days[i] = (struct rl_cell)CELL(day_names[i]);
		day_values[i] = (int64_t)(i * 37 % 101);
	}
}

#define TITLE_VI	"BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN"

static const struct rl_block short_blocks[] = {
	{ .kind = RL_TITLE, .text = TITLE_VI },
	{ .kind = RL_FIELDS, .ncols = 2, .nrows = 3, .cells = fields },
	{ .kind = RL_HEADING, .level = 1, .text = "1. Tóm tắt" },
	{ .kind = RL_PARA, .text = "Trong kỳ, 987 trên 1234 máy đã đăng ký "
	    "gửi dữ liệu; có 5555 cảnh báo." },
	{ .kind = RL_HEADING, .level = 1, .text = "2. Mức độ bao phủ" },
	{ .kind = RL_TABLE, .ncols = 2, .nrows = 3, .head = cov_head,
	    .cells = cov },
	{ .kind = RL_HEADING, .level = 2, .text = "Các luật phát hiện nhiều "
	    "nhất" },
	{ .kind = RL_TABLE, .ncols = 2, .nrows = 0, .head = cov_head,
	    .text = "Không có" },
	{ .kind = RL_CHART, .ncols = 1, .nrows = 30, .cells = days,
	    .values = day_values, .text = "Cảnh báo theo ngày",
	    .unit = "cảnh báo" },
	{ .kind = RL_HEADING, .level = 1, .text = "3. Danh mục kiểm soát" },
	{ .kind = RL_TABLE, .ncols = 3, .nrows = 3, .head = ctl_head,
	    .cells = ctl },
	{ .kind = RL_SIGN, .ncols = 2, .nrows = 1, .head = sign_head,
	    .cells = sign_note },
};

static const struct report_layout short_vi = {
	.lang = 0, .title = TITLE_VI, .subtitle = "Tháng 2026-11 · " HOSTILE,
	.page_word = "Trang", .blocks = short_blocks,
	.nblocks = NELEM(short_blocks),
};

/* A long table: n rows "row-0001".., a number and a long name each. */
struct longtab {
	struct rl_block		 blocks[80];
	struct rl_cell		*cells;
	char			(*names)[2][48];
	struct report_layout	 l;
};

static const struct rl_cell long_head[] = { CELL("Đơn vị"),
	NUM("Cảnh báo"), CELL("Ghi chú") };

static void
longtab_make(struct longtab *t, size_t nfill, size_t nrows, int lang)
{
	size_t	i, b = 0;

	memset(t, 0, sizeof(*t));
	assert_true(nfill + 4 <= NELEM(t->blocks));
	t->cells = calloc(nrows * 3 + 1, sizeof(*t->cells));
	t->names = calloc(nrows + 1, sizeof(*t->names));
	assert_non_null(t->cells);
	assert_non_null(t->names);
	t->blocks[b++] = (struct rl_block){ .kind = RL_TITLE,
	    .text = lang ? "SECURITY COMPLIANCE REPORT" : TITLE_VI };
	for (i = 0; i < nfill; i++)
		t->blocks[b++] = (struct rl_block){ .kind = RL_PARA,
		    .text = "Dòng đệm." };
	t->blocks[b++] = (struct rl_block){ .kind = RL_HEADING, .level = 1,
	    .text = "4. Các đơn vị" };
	for (i = 0; i < nrows; i++) {
		(void)snprintf(t->names[i][0], 48, "row-%04zu", i + 1);
		(void)snprintf(t->names[i][1], 48, "%zu", (i + 1) * 7);
		t->cells[i * 3] = (struct rl_cell)CELL(t->names[i][0]);
		t->cells[i * 3 + 1] = (struct rl_cell)NUM(t->names[i][1]);
		t->cells[i * 3 + 2] = (struct rl_cell)CELL(i % 5 == 0 ?
		    "Xã có tên rất dài cần xuống dòng trong ô của bảng này "
		    "để kiểm tra việc ngắt dòng" : "Ổn định");
	}
	t->blocks[b++] = (struct rl_block){ .kind = RL_TABLE, .ncols = 3,
	    .nrows = nrows, .head = long_head, .cells = t->cells };
	t->blocks[b++] = (struct rl_block){ .kind = RL_SIGN, .ncols = 2,
	    .nrows = 1, .head = sign_head, .cells = sign_note };
	t->l = (struct report_layout){ .lang = lang, .title = lang ?
	    "SECURITY COMPLIANCE REPORT" : TITLE_VI, .subtitle = "Xã An",
	    .page_word = lang ? "Page" : "Trang", .blocks = t->blocks,
	    .nblocks = b };
}

static void
longtab_free(struct longtab *t)
{
	free(t->cells);
	free(t->names);
}

/* ---- fixtures ---- */

static int
render(const char *path, const struct report_layout *l, const char *created)
{
	FILE	*f = fopen(path, "w");
	int	 rc;

	assert_non_null(f);
	rc = report_pdf_write(f, l, created);
	assert_int_equal(fclose(f), 0);
	return rc;
}

static char *
fx_path(void **state, const char *name)
{
	static char	path[PATH_MAX];

	return tmpdir_path(path, sizeof(path), *state, name);
}

/* ---- tests ---- */

/* The words with their diacritics, the figures, A4, the metadata, the
 * hostile office printed as it is; the signature block on the last of
 * the two pages (it does not fit whole below the controls). */
static void
test_short(void **state)
{
	const char	*f = fx_path(state, "short.pdf");
	char		*txt, *inf, *sq;

	assert_int_equal(render(f, &short_vi, CREATED), 0);
	assert_non_null(txt = pdf_text(f, 0, "-raw"));
	sq = squeeze(txt);
	assert_non_null(strstr(sq, HASH));
	free(sq);
	free(txt);
	assert_non_null(txt = page_text(f, 2));
	assert_non_null(strstr(txt, "Lãnh đạo đơn vị"));
	assert_non_null(strstr(txt, "(Ký, ghi rõ họ tên, đóng dấu)"));
	assert_non_null(strstr(txt, "Trang 2/2"));
	free(txt);
	assert_non_null(txt = page_text(f, 0));
	assert_non_null(strstr(txt, "BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN"));
	assert_non_null(strstr(txt, "Mức độ bao phủ"));
	assert_non_null(strstr(txt, "Danh mục kiểm soát"));
	assert_non_null(strstr(txt, "1234"));
	assert_non_null(strstr(txt, "4242"));
	assert_non_null(strstr(txt, "Không có"));
	assert_non_null(strstr(txt, "Không đạt"));
	assert_non_null(strstr(txt, HOSTILE));
	assert_non_null(strstr(txt, "Trang 1/2"));
	/* the day labels thinned: some, not all 30 */
	assert_in_range(count(txt, "2026-11-"), 3, 29);
	free(txt);

	assert_non_null(inf = info(f));
	assert_non_null(strstr(inf, "595.276 x 841.89 pts (A4)"));
	assert_non_null(strstr(inf, "\nPages:           2\n"));
	assert_non_null(strstr(inf, "Title:           " TITLE_VI));
	assert_non_null(strstr(inf, "Creator:         vigil "));
	assert_non_null(strstr(inf, "CreationDate:    2026-12-03T10:00:00+07"));
	free(inf);
}

/* 300 rows: several pages, each with the head row, its running head and
 * "Trang N/M"; every row once, in order. */
static void
test_long_table(void **state)
{
	const char	*f = fx_path(state, "long.pdf");
	struct longtab	 t;
	char		 want[64], *txt, *all;
	const char	*at;
	int		 n, i, r;

	longtab_make(&t, 0, 300, 0);
	assert_int_equal(render(f, &t.l, NULL), 0);
	n = pages(f);
	/* a row is one line (13-14 pt) or two: 50 to 55 a page, fewer with
	 * the long notes */
	assert_in_range(n, 300 / 55 + 1, 300 / 30 + 1);
	for (i = 1; i <= n; i++) {
		assert_non_null(txt = page_text(f, i));
		(void)snprintf(want, sizeof(want), "Trang %d/%d", i, n);
		assert_int_equal(count(txt, want), 1);
		/* the head row on every page with rows */
		assert_int_equal(count(txt, "Ghi chú"), strstr(txt,
		    "row-") != NULL);
		if (i > 1)	/* the running head */
			assert_non_null(strstr(txt, "Xã An"));
		free(txt);
	}
	assert_non_null(all = page_text(f, 0));
	at = all;
	for (r = 1; r <= 300; r++) {
		(void)snprintf(want, sizeof(want), "row-%04d ", r);
		assert_non_null(at = strstr(at, want));
	}
	assert_int_equal(count(all, "row-"), 300);
	free(all);
	longtab_free(&t);
}

/* The page that holds needle (the first), 0 if none. */
static int
page_of(const char *path, int n, const char *needle)
{
	char	*txt;
	int	 i, found = 0;

	for (i = 1; i <= n && !found; i++) {
		assert_non_null(txt = page_text(path, i));
		if (strstr(txt, needle) != NULL)
			found = i;
		free(txt);
	}
	return found;
}

/* Whatever comes before it, a heading stands on the page of its
 * table's first row, and the signature block on one page, the last. */
static void
test_keep_together(void **state)
{
	const char	*f = fx_path(state, "keep.pdf");
	struct longtab	 t;
	size_t		 fill;
	int		 n, ph, moved = 0;

	/* about 30 filler paragraphs fill a page (a line and a gap each,
	 * 16.5 pt, less than the 29 pt of the table's head and first row),
	 * so one of these leaves the heading room for itself alone */
	for (fill = 25; fill <= 36; fill++) {
		longtab_make(&t, fill, 3, 0);
		assert_int_equal(render(f, &t.l, NULL), 0);
		n = pages(f);
		ph = page_of(f, n, "4. Các đơn vị");
		assert_int_not_equal(ph, 0);
		assert_int_equal(page_of(f, n, "row-0001"), ph);
		assert_int_equal(page_of(f, n, "Lãnh đạo đơn vị"), n);
		assert_int_equal(page_of(f, n, "đóng dấu)"), n);
		moved += ph == 2;
		longtab_free(&t);
	}
	/* the sweep did cross the page's foot */
	assert_true(moved > 0 && moved < 12);
}

/* English: "Page N/M". */
static void
test_english(void **state)
{
	const char	*f = fx_path(state, "en.pdf");
	struct longtab	 t;
	char		*txt;
	int		 n;

	longtab_make(&t, 0, 120, 1);
	assert_int_equal(render(f, &t.l, NULL), 0);
	assert_true((n = pages(f)) >= 2);
	assert_non_null(txt = page_text(f, 2));
	assert_non_null(strstr(txt, "Page 2/"));
	assert_null(strstr(txt, "Trang"));
	free(txt);
	longtab_free(&t);
}

/* Control characters, a bidi override, bytes that are not UTF-8, a
 * word longer than its column: shown escaped, wrapped, never lost. */
static void
test_hostile(void **state)
{
	static const char long_word[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAZ";
	const struct rl_cell head[] = { CELL("Tên máy"), CELL("Mã"),
		NUM("Số") };
	const struct rl_cell cells[] = {
		CELL("pc\x1b[31mred"), MONO(HASH), NUM("77"),
		CELL("abc\xe2\x80\xae" "fdp.exe"), CELL(long_word), NUM("78"),
		CELL("bad\xff\xfe"), CELL("<span>x</span>"), NUM("79"),
	};
	const struct rl_block blocks[] = {
		{ .kind = RL_TITLE, .text = "<i>T</i>" },
		{ .kind = RL_TABLE, .ncols = 3, .nrows = 3, .head = head,
		    .cells = cells },
	};
	const struct report_layout l = { .title = "<i>T</i>",
		.subtitle = "s", .page_word = "Trang", .blocks = blocks,
		.nblocks = NELEM(blocks) };
	const char	*f = fx_path(state, "hostile.pdf");
	char		*txt, *sq;

	assert_int_equal(render(f, &l, NULL), 0);
	assert_non_null(txt = pdf_text(f, 0, "-raw"));
	sq = squeeze(txt);
	assert_non_null(strstr(sq, "<i>T</i>"));
	assert_non_null(strstr(sq, "pc\\x1b[31mred"));
	assert_non_null(strstr(sq, "abc\\xe2\\x80\\xaefdp.exe"));
	assert_non_null(strstr(sq, "bad\\xff\\xfe"));
	assert_non_null(strstr(sq, "<span>x</span>"));
	assert_non_null(strstr(sq, HASH));
	assert_non_null(strstr(sq, long_word));
	assert_null(strstr(txt, "\x1b"));
	free(sq);
	free(txt);
}

/* The same report twice: the same bytes. */
static void
test_deterministic(void **state)
{
	const char	*a = fx_path(state, "a.pdf");
	char		 b[PATH_MAX];
	char		*da = malloc(1 << 20), *db = malloc(1 << 20);
	ssize_t		 la, lb;

	assert_non_null(da);
	assert_non_null(db);
	assert_int_equal(render(a, &short_vi, CREATED), 0);
	(void)tmpdir_path(b, sizeof(b), *state, "b.pdf");
	assert_int_equal(render(b, &short_vi, CREATED), 0);
	la = file_get(a, da, 1 << 20);
	lb = file_get(b, db, 1 << 20);
	assert_true(la > 1000 && la < (1 << 20));
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, (size_t)la);
	assert_memory_equal(da, "%PDF-", 5);
	free(da);
	free(db);
}

/* A layout against its contract; a disk that refuses the write. */
static void
test_errors(void **state)
{
	const struct rl_cell	 bad[] = { CELL("a"), { NULL, 0, 0, 0 } };
	struct rl_block		 b = { .kind = RL_FIELDS, .ncols = 2,
		.nrows = 1, .cells = bad };
	struct report_layout	 l = { .title = "t", .subtitle = "s",
		.page_word = "p", .blocks = &b, .nblocks = 1 };
	FILE			*f;

	assert_non_null(f = fopen("/dev/null", "w"));
	assert_int_equal(report_pdf_write(f, &l, NULL), ERR_MALFORMED);
	b.cells = fields;
	b.ncols = 0;
	assert_int_equal(report_pdf_write(f, &l, NULL), ERR_MALFORMED);
	b.ncols = 2;
	b.kind = RL_TABLE;	/* a table needs its head */
	assert_int_equal(report_pdf_write(f, &l, NULL), ERR_MALFORMED);
	b.kind = RL_CHART;	/* one column, values */
	assert_int_equal(report_pdf_write(f, &l, NULL), ERR_MALFORMED);
	b.kind = RL_PARA;
	assert_int_equal(report_pdf_write(f, &l, NULL), ERR_MALFORMED);
	l.page_word = NULL;
	b.text = "x";
	assert_int_equal(report_pdf_write(f, &l, NULL), ERR_MALFORMED);
	l.page_word = "Trang Trang Trang Trang Trang Trang Trang Trang Trang "
	    "Trang Trang Trang Trang Trang Trang Trang Trang Trang Trang";
	assert_int_equal(report_pdf_write(f, &l, NULL), ERR_MALFORMED);
	l.page_word = "p";
	assert_int_equal(report_pdf_write(f, &l, NULL), 0);
	fclose(f);

	if ((f = fopen("/dev/full", "w")) == NULL)
		skip();
	assert_int_equal(report_pdf_write(f, &short_vi, NULL), ERR_IO);
	fclose(f);
}

/* Without a font that has the Vietnamese letters: ERR_CONFIG, nothing
 * written. fontconfig reads its configuration once per process, so this
 * runs in a child of its own (main's "nofont"). */
static void
test_no_font(void **state)
{
	const char	*conf = fx_path(state, "fonts.conf");
	char		 out[PATH_MAX], self[PATH_MAX];
	char		*argv[] = { self, "nofont", out, NULL };
	pid_t		 pid;
	ssize_t		 n;
	int		 st;

	static const char xml[] = "<?xml version=\"1.0\"?>\n"
	    "<fontconfig><dir>/nonexistent</dir></fontconfig>\n";

	assert_int_equal(file_put(conf, xml, sizeof(xml) - 1, 0600), 0);
	/* this process has read its fontconfig already: the child's only */
	assert_int_equal(setenv("FONTCONFIG_FILE", conf, 1), 0);
	(void)tmpdir_path(out, sizeof(out), *state, "nofont.pdf");
	assert_true((n = readlink("/proc/self/exe", self,
	    sizeof(self) - 1)) > 0);
	self[n] = '\0';
	assert_int_equal(posix_spawn(&pid, self, NULL, NULL, argv, environ),
	    0);
	assert_int_equal(unsetenv("FONTCONFIG_FILE"), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	{
		char	buf[16];

		assert_int_equal(file_get(out, buf, sizeof(buf)), 0);
	}
}

/* The child: 0 when report_pdf_write said ERR_CONFIG. */
static int
no_font_child(const char *path)
{
	FILE	*f = fopen(path, "w");
	int	 rc;

	if (f == NULL)
		return 1;
	rc = report_pdf_write(f, &short_vi, NULL);
	fclose(f);
	return rc == ERR_CONFIG ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_short, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_long_table,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_keep_together,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_english, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_hostile, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_deterministic,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_errors, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_no_font, tmpdir_setup,
		    tmpdir_teardown),
	};

	days_init();
	if (argc == 3 && strcmp(argv[1], "nofont") == 0)
		return no_font_child(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
