/*
 * report_layout.c: the periodic report laid out for people
 * (report_layout.h): the JSON document of report_build() turned into
 * blocks of words and figures in one language, which the Markdown, HTML
 * and PDF writers render.
 *
 * Every word of the report is in the tables below, Vietnamese and
 * English side by side: labels[] keyed by the document's member names,
 * severities[] by the register's codes, words[] for the rest (the
 * categories' words are the national forms', in taxonomy.c). Sentences
 * are templates whose '#' marks take the figures in order (say()): no
 * format string comes from a table. Strings of the document are copied
 * as they are (UTF-8, unescaped): each writer escapes for its format.
 *
 * Memory: every string, cell and value array lives in one arena of
 * chunks freed together; the block array grows by doubling; the cells
 * of the table being built collect in a vector and are copied to the
 * arena when it is done. Errors stick (l->err): the builders are void
 * and report_layout_make() checks once at the end.
 *
 * Load: a province's document (200 offices, a year's 365 days): a few
 * thousand cells, a few hundred kilobytes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "report.h"
#include "report_layout.h"
#include "taxonomy.h"
#include "text.h"

/* ---- words ---- */

/* ---- words ---- */

struct label {
	const char	*key;
	const char	*text[2];		/* vi, en */
};

/* The document's member names: sections, figures, breakdowns, controls,
 * evidence. */
static const struct label labels[] = {
	{ "coverage", { "Mức độ bao phủ", "Coverage" } },
	{ "detections", { "Phát hiện", "Detections" } },
	{ "incidents", { "Sự cố", "Incidents" } },
	{ "notifications", { "Cảnh báo sớm", "Early warning" } },
	{ "retention", { "Lưu trữ dữ liệu", "Retention" } },
	{ "controls", { "Danh mục kiểm soát", "Controls" } },
	{ "audit", { "Nhật ký kiểm toán", "Audit log" } },
	{ "enrolled", { "Máy đã đăng ký", "PCs enrolled" } },
	{ "reported", { "Máy đã gửi dữ liệu trong kỳ",
	    "PCs that reported" } },
	{ "silent_24h", { "Máy im lặng cuối kỳ (quá thời hạn dưới đây)",
	    "PCs silent at the end (for longer than below)" } },
	{ "silent_after_s", { "Thời hạn im lặng", "Silent after" } },
	{ "connected_pct", { "Tỷ lệ thời gian hoạt động trong kỳ "
	    "(trung bình, %)", "Share of the period active (mean, %)" } },
	{ "outdated_version", { "Máy dùng phiên bản tác tử cũ",
	    "PCs with an outdated agent version" } },
	{ "newest_version", { "Phiên bản tác tử mới nhất",
	    "Newest agent version" } },
	{ "rules_known", { "Máy cho biết bộ luật", "PCs that report their "
	    "rule set" } },
	{ "rules_differ", { "Máy có bộ luật khác bộ mới nhất",
	    "PCs whose rule set differs from the newest" } },
	{ "heartbeat_drops", { "Sự kiện bị bỏ (tác tử báo)",
	    "Events dropped (reported by agents)" } },
	{ "health_events", { "Sự kiện tình trạng tác tử",
	    "Agent health events" } },
	{ "refused_events", { "Sự kiện bị máy chủ từ chối",
	    "Events refused by the collector" } },
	{ "events_over_quota", { "Sự kiện vượt hạn mức",
	    "Events over the quota" } },
	{ "alerts", { "Tổng số cảnh báo", "Alerts" } },
	{ "by_category", { "Theo loại", "By category" } },
	{ "by_severity", { "Theo mức độ", "By severity" } },
	{ "by_day", { "Cảnh báo theo ngày", "Alerts by day" } },
	{ "top_rules", { "Các luật phát hiện nhiều nhất", "Top rules" } },
	{ "top_hosts", { "Các máy có nhiều cảnh báo nhất", "Top hosts" } },
	{ "top_indicators", { "Các dấu hiệu xuất hiện nhiều nhất",
	    "Top indicators" } },
	{ "integrity", { "Thay đổi toàn vẹn tệp", "File integrity changes" } },
	{ "changes", { "Số thay đổi", "Changes" } },
	{ "critical_paths", { "Trên đường dẫn quan trọng",
	    "On critical paths" } },
	{ "critical", { "Sự cố nghiêm trọng", "Critical incidents" } },
	{ "opened", { "Sự cố mới phát sinh", "Incidents opened" } },
	{ "closed", { "Sự cố đã kết thúc", "Incidents closed" } },
	{ "open_at_end", { "Sự cố còn mở cuối kỳ",
	    "Still open at the end" } },
	{ "time_to_ack", { "Thời gian tiếp nhận", "Time to acknowledge" } },
	{ "time_to_resolve", { "Thời gian xử lý xong", "Time to resolve" } },
	{ "count", { "Số lượng", "Count" } },
	{ "median_s", { "Trung vị", "Median" } },
	{ "p90_s", { "Phân vị 90", "90th percentile" } },
	{ "critical_acked_1h", { "Sự cố nghiêm trọng tiếp nhận trong 1 giờ",
	    "Critical incidents acknowledged within 1 hour" } },
	{ "reported_in_time", { "Báo cáo cơ quan chức năng đúng hạn",
	    "Reported to the authorities in time" } },
	{ "reported_late", { "Báo cáo trễ hạn", "Reported late" } },
	{ "overdue", { "Quá hạn chưa báo cáo", "Overdue, not reported" } },
	{ "pending", { "Chưa đến hạn báo cáo", "Not yet due" } },
	{ "no_report_needed", { "Không cần báo cáo (cảnh báo nhầm, trùng)",
	    "No report needed (false positive, duplicate)" } },
	{ "sent", { "Thông báo đã gửi", "Notifications sent" } },
	{ "failed", { "Thông báo gửi lỗi", "Notifications failed" } },
	{ "given_up", { "Thông báo đã bỏ sau các lần thử lại",
	    "Notifications given up" } },
	{ "purges", { "Số lần xóa theo chính sách lưu trữ",
	    "Purges under the retention policy" } },
	{ "events", { "Sự kiện đã xóa", "Events purged" } },
	{ "all_reported", { "Mọi máy đã đăng ký đều gửi dữ liệu trong kỳ",
	    "Every enrolled PC reported this period" } },
	{ "rules_fresh", { "Bộ luật trên mọi máy còn mới",
	    "Rules up to date on every PC" } },
	{ "critical_ack_1h", { "Mọi sự cố nghiêm trọng được tiếp nhận "
	    "trong thời hạn", "Every critical incident acknowledged in "
	    "time" } },
	{ "reported_in_deadline", { "Mọi sự cố được báo cáo đúng hạn",
	    "Every incident reported within its deadline" } },
	{ "audit_chain", { "Chuỗi nhật ký kiểm toán toàn vẹn",
	    "The audit chain verifies" } },
	{ "disk_free", { "Ổ đĩa máy chủ thu thập còn đủ chỗ trống",
	    "The collector's disk has room" } },
	{ "backups", { "Sao lưu dữ liệu", "Backups" } },
	{ "fresh", { "máy có bộ luật mới", "PCs with fresh rules" } },
	{ "stale", { "máy có bộ luật cũ", "PCs with old rules" } },
	{ "undated", { "máy không cho biết tuổi bộ luật",
	    "PCs that do not date their rules" } },
	{ "max_age_s", { "tuổi tối đa", "oldest allowed" } },
	{ "recorded", { "số lần sao lưu đã ghi nhận", "backups recorded" } },
	{ "at", { "bản mới nhất lúc", "newest at" } },
	{ "size_bytes", { "dung lượng (byte)", "bytes" } },
	{ "age_s", { "tuổi", "age" } },
	{ "acked_1h", { "tiếp nhận trong thời hạn", "acknowledged in time" } },
	{ "within_s", { "thời hạn tiếp nhận", "time allowed" } },
	{ "in_time", { "đúng hạn", "in time" } },
	{ "late", { "trễ hạn", "late" } },
	{ "result", { "kết quả", "result" } },
	{ "entries", { "số mục", "entries" } },
	{ "bad_seq", { "mục lỗi", "bad entry" } },
	{ "free_pct", { "% trống", "% free" } },
	{ "min_pct", { "% tối thiểu", "% needed" } },
	{ "free_bytes", { "byte trống", "bytes free" } },
	{ "total_bytes", { "byte tổng", "bytes in all" } },
	{ "head", { "Mã băm đầu chuỗi", "Head hash" } },
	{ "head_seq", { "Số thứ tự mục cuối của nhật ký kiểm toán",
	    "Last entry of the audit log" } },
	{ "category", { "Loại", "Category" } },
	{ "severity", { "Mức độ", "Severity" } },
	{ "day", { "Ngày", "Day" } },
	{ "gid", { "Nhóm luật", "gid" } },
	{ "sid", { "Mã luật", "sid" } },
	{ "signature", { "Tên luật", "Signature" } },
	{ "agent_id", { "Mã máy", "Agent" } },
	{ "name", { "Tên máy", "Name" } },
	{ "kind", { "Loại dấu hiệu", "Kind" } },
	{ "value", { "Giá trị", "Value" } },
	/* not a member: the CSV's header line */
	{ "csv_header", { "phần,đơn vị,chỉ tiêu,nhãn,khóa,giá trị",
	    "section,office,figure,label,key,value" } },
};

/* Incident severities by their taxonomy code (categories have their
 * words in taxonomy.c). */
static const struct label severities[] = {
	{ "low", { "Thấp", "Low" } },
	{ "medium", { "Trung bình", "Medium" } },
	{ "high", { "Cao", "High" } },
	{ "critical", { "Nghiêm trọng", "Critical" } },
};

enum word {
	W_TITLE, W_PERIOD, W_SCOPE, W_ALL, W_GEN_AT, W_GEN_BY, W_VERSION,
	W_AUDIT_HEAD, W_SUMMARY, W_OFFICES, W_OFFICE, W_FIGURE, W_VALUE,
	W_CONTROL, W_STATUS, W_EVIDENCE, W_PASS, W_FAIL, W_UNKNOWN, W_NONE,
	W_PASSED, W_SUM1, W_SUM_OK, W_SUM_LATE, W_MONTH, W_QUARTER, W_HALF,
	W_YEAR, W_PAGE, W_ALERTS, W_NOT_KNOWN, W_DAYS, W_HOURS, W_MINUTES,
	W_SIGN_BY, W_SIGN_HEAD, W_SIGN_NOTE, W_SIGN_SEAL,
	W_COUNT
};

static const char *const words[W_COUNT][2] = {
	[W_TITLE] = { "BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN",
	    "SECURITY COMPLIANCE REPORT" },
	[W_PERIOD] = { "Kỳ báo cáo", "Period" },
	[W_SCOPE] = { "Đơn vị", "Office" },
	[W_ALL] = { "Tất cả các đơn vị", "All offices" },
	[W_GEN_AT] = { "Lập lúc", "Generated at" },
	[W_GEN_BY] = { "Người lập", "Generated by" },
	[W_VERSION] = { "Phiên bản vigil", "vigil version" },
	[W_AUDIT_HEAD] = { "Mã băm đầu chuỗi nhật ký kiểm toán",
	    "Audit chain head hash" },
	[W_SUMMARY] = { "Tóm tắt", "Summary" },
	[W_OFFICES] = { "Các đơn vị", "Offices side by side" },
	[W_OFFICE] = { "Đơn vị", "Office" },
	[W_FIGURE] = { "Chỉ tiêu", "Figure" },
	[W_VALUE] = { "Giá trị", "Value" },
	[W_CONTROL] = { "Kiểm soát", "Control" },
	[W_STATUS] = { "Kết quả", "Result" },
	[W_EVIDENCE] = { "Căn cứ", "Evidence" },
	[W_PASS] = { "Đạt", "Pass" },
	[W_FAIL] = { "Không đạt", "Fail" },
	[W_UNKNOWN] = { "Chưa xác định", "Not known" },
	[W_NONE] = { "Không có", "None" },
	[W_PASSED] = { "Kiểm soát đạt", "Controls passed" },
	[W_SUM1] = { "Trong kỳ, # trên # máy đã đăng ký gửi dữ liệu; có # "
	    "cảnh báo, # sự cố mới phát sinh, # sự cố còn mở cuối kỳ.",
	    "In the period # of # enrolled PCs reported; there were # "
	    "alerts, # incidents opened, # still open at the end." },
	[W_SUM_OK] = { "Mọi sự cố cần báo cáo đều được báo cáo đúng hạn.",
	    "Every incident that needed a report was reported in time." },
	[W_SUM_LATE] = { "# sự cố báo cáo trễ hạn hoặc quá hạn chưa báo cáo.",
	    "# incidents were reported late or are overdue." },
	[W_MONTH] = { "Tháng", "Month" },
	[W_QUARTER] = { "Quý", "Quarter" },
	[W_HALF] = { "6 tháng", "Half year" },
	[W_YEAR] = { "Năm", "Year" },
	[W_PAGE] = { "Trang", "Page" },
	[W_ALERTS] = { "Số cảnh báo", "Alerts" },
	[W_NOT_KNOWN] = { "vigil không lưu thông tin này",
	    "vigil does not record this" },
	[W_SIGN_BY] = { "Người lập báo cáo", "Prepared by" },
	[W_SIGN_HEAD] = { "Lãnh đạo đơn vị", "Head of the office" },
	[W_SIGN_NOTE] = { "(Ký, ghi rõ họ tên)", "(Signature, full name)" },
	[W_SIGN_SEAL] = { "(Ký, ghi rõ họ tên, đóng dấu)",
	    "(Signature, full name, seal)" },
	[W_DAYS] = { "ngày", "d" },
	[W_HOURS] = { "giờ", "h" },
	[W_MINUTES] = { "phút", "min" },
};

/* ---- the layout's memory ---- */

#define CHUNK_MIN	(32 * 1024)
#define DAYS_MAX	400		/* a year's chart, with room */

struct chunk {
	struct chunk	*next;
	size_t		 cap, used;
	max_align_t	 data[];
};

/* A layout being built; pub first, so that report_layout_free() finds
 * the rest. */
struct lay {
	struct report_layout	 pub;
	struct chunk		*mem;
	struct rl_block		*blocks;	/* nblocks of cap */
	size_t			 nblocks, cap;
	struct rl_cell		*row;		/* the table being built: */
	size_t			 ncells, rowcap;	/* head, then body */
	int			 lang;		/* 0 vi, 1 en */
	int			 err;
};

/* A growing string, for sentences and evidence. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

static void *
alloc(struct lay *l, size_t n)
{
	struct chunk	*c = l->mem;
	size_t		 a = sizeof(max_align_t), cap;
	void		*p;

	if (l->err)
		return NULL;
	if (n > SIZE_MAX / 2)
		goto nomem;
	n = (n + a - 1) / a * a;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			goto nomem;
		c->next = l->mem;
		c->cap = cap;
		c->used = 0;
		l->mem = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
nomem:
	l->err = ERR_NOMEM;
	return NULL;
}

/* s[0..len) copied into the layout; "" once out of memory (the layout
 * is then thrown away). */
static const char *
strn(struct lay *l, const char *s, size_t len)
{
	char	*p;

	if (len == SIZE_MAX || (p = alloc(l, len + 1)) == NULL)
		return "";
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static const char *
str(struct lay *l, const char *s)
{
	return strn(l, s, strlen(s));
}

static const char	*fmt(struct lay *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));

static const char *
fmt(struct lay *l, const char *f, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0 || (p = alloc(l, (size_t)n + 1)) == NULL) {
		l->err = l->err ? l->err : ERR_NOMEM;
		return "";
	}
	va_start(ap, f);
	(void)vsnprintf(p, (size_t)n + 1, f, ap);
	va_end(ap);
	return p;
}

static void
sb_add(struct sbuf *b, const char *s, size_t len)
{
	size_t	 cap;
	char	*p;

	if (b->err)
		return;
	if (len > SIZE_MAX / 2 - b->len) {
		b->err = ERR_NOMEM;
		return;
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 128;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->err = ERR_NOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_num(struct sbuf *b, json_int_t v)
{
	char	n[24];
	int	k = snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT, v);

	sb_add(b, n, k > 0 && (size_t)k < sizeof(n) ? (size_t)k : 0);
}

/* The text of b copied into the layout, b emptied. */
static const char *
sb_take(struct lay *l, struct sbuf *b)
{
	const char	*s = "";

	if (b->err)
		l->err = b->err;
	else
		s = strn(l, b->p ? b->p : "", b->len);
	free(b->p);
	memset(b, 0, sizeof(*b));
	return s;
}

/* ---- blocks and cells ---- */

static void
push(struct lay *l, const struct rl_block *b)
{
	struct rl_block	*p;
	size_t		 cap;

	if (l->err)
		return;
	if (l->nblocks == l->cap) {
		cap = l->cap ? l->cap * 2 : 64;
		if ((p = reallocarray(l->blocks, cap, sizeof(*p))) == NULL) {
			l->err = ERR_NOMEM;
			return;
		}
		l->blocks = p;
		l->cap = cap;
	}
	l->blocks[l->nblocks++] = *b;
}

static void
text_block(struct lay *l, int kind, int level, const char *text)
{
	struct rl_block	b = { .kind = kind, .level = level, .text = text };

	push(l, &b);
}

static void
cell(struct lay *l, const char *text, int align, int mark, int mono)
{
	struct rl_cell	*p;
	size_t		 cap;

	if (l->err)
		return;
	if (l->ncells == l->rowcap) {
		cap = l->rowcap ? l->rowcap * 2 : 64;
		if ((p = reallocarray(l->row, cap, sizeof(*p))) == NULL) {
			l->err = ERR_NOMEM;
			return;
		}
		l->row = p;
		l->rowcap = cap;
	}
	l->row[l->ncells++] = (struct rl_cell){ .text = text,
	    .align = (uint8_t)align, .mark = (uint8_t)mark,
	    .mono = (uint8_t)mono };
}

/* The cells collected since the last table (the first ncols of them
 * its head when head is set) as a block of kind. */
static struct rl_block *
table(struct lay *l, int kind, size_t ncols, int head, const char *text)
{
	struct rl_block	 b = { .kind = kind, .ncols = ncols, .text = text };
	struct rl_cell	*c;
	size_t		 n = l->ncells, skip = head ? ncols : 0;

	l->ncells = 0;
	if (l->err || ncols == 0 || n < skip || (n - skip) % ncols != 0) {
		l->err = l->err ? l->err : ERR_MALFORMED;
		return NULL;
	}
	if ((c = alloc(l, n * sizeof(*c))) == NULL)
		return NULL;
	memcpy(c, l->row, n * sizeof(*c));
	b.head = head ? c : NULL;
	b.cells = c + skip;
	b.nrows = (n - skip) / ncols;
	if (kind == RL_TABLE && b.nrows > 0)
		b.text = NULL;
	push(l, &b);
	return l->err ? NULL : &l->blocks[l->nblocks - 1];
}

/* ---- words ---- */

static const char *
w(const struct lay *l, enum word k)
{
	return words[k][l->lang];
}

static const char *
lookup(int lang, const struct label *t, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return t[i].text[lang];
	return NULL;
}

const char *
report_label(int lang, const char *key)
{
	const char	*s = lookup(lang == REPORT_EN, labels,
			    sizeof(labels) / sizeof(*labels), key);

	return s ? s : key;
}

/* The words of a member name; a copy of the name when it has none (the
 * layout outlives the document). */
static const char *
label(struct lay *l, const char *key)
{
	const char	*s = lookup(l->lang, labels, sizeof(labels) /
			    sizeof(*labels), key);

	return s ? s : str(l, key);
}

/* A member key of an incidents' breakdown: a category or severity code
 * in words; else the key's label, or the key itself. */
static const char *
key_words(struct lay *l, const char *breakdown, const char *code)
{
	const struct taxonomy_category	*c;
	const char			*s = NULL;

	if (strcmp(breakdown, "by_severity") == 0)
		s = lookup(l->lang, severities, sizeof(severities) /
		    sizeof(*severities), code);
	else if (strcmp(breakdown, "by_category") == 0 &&
	    (c = taxonomy_category(code)) != NULL)
		s = l->lang ? c->en : c->vi;
	return s ? s : label(l, code);
}

/* ---- figures ---- */

static json_int_t
fig(const json_t *block, const char *section, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(block,
	    section), key));
}

/* A scalar of the document as a cell: numbers right, strings as they
 * are, null as "-". */
static void
cell_json(struct lay *l, const json_t *v, int mono)
{
	if (json_is_integer(v))
		cell(l, fmt(l, "%" JSON_INTEGER_FORMAT, json_integer_value(v)),
		    RL_RIGHT, RL_PLAIN, mono);
	else if (json_is_real(v))
		cell(l, fmt(l, "%.1f", json_real_value(v)), RL_RIGHT,
		    RL_PLAIN, mono);
	else if (json_is_string(v))
		cell(l, str(l, json_string_value(v)), RL_LEFT, RL_PLAIN, mono);
	else if (json_is_boolean(v))
		cell(l, json_is_true(v) ? "1" : "0", RL_RIGHT, RL_PLAIN, mono);
	else
		cell(l, "-", RL_LEFT, RL_PLAIN, mono);
}

/* Seconds for people: "1 ngày 2 giờ", "30 phút" ("1 d 2 h", "30 min");
 * whole minutes, the parts that are not zero. */
static const char *
duration(struct lay *l, json_int_t s)
{
	static const enum word	 units[] = { W_DAYS, W_HOURS, W_MINUTES };
	struct sbuf		 b = { 0 };
	json_int_t		 parts[3];
	size_t			 i;

	if (s < 0)
		s = 0;
	parts[0] = s / 86400;
	parts[1] = s % 86400 / 3600;
	parts[2] = s % 3600 / 60;
	for (i = 0; i < 3; i++) {
		if (parts[i] == 0 && (b.len > 0 || i < 2))
			continue;
		sb_str(&b, b.len > 0 ? " " : "");
		sb_num(&b, parts[i]);
		sb_str(&b, " ");
		sb_str(&b, w(l, units[i]));
	}
	return sb_take(l, &b);
}

/* A member named *_s is a duration in seconds. */
static int
is_duration(const char *key)
{
	size_t	len = strlen(key);

	return len > 2 && strcmp(key + len - 2, "_s") == 0;
}

/* A figure for people: a duration in words, the rest as cell_json() has
 * it. */
static void
cell_figure(struct lay *l, const char *key, const json_t *v)
{
	if (json_is_integer(v) && is_duration(key))
		cell(l, duration(l, json_integer_value(v)), RL_RIGHT,
		    RL_PLAIN, 0);
	else
		cell_json(l, v, 0);
}

/* Template t with each '#' replaced by the next of n numbers. */
static const char *
say(struct lay *l, enum word t, const json_int_t *v, size_t n)
{
	struct sbuf	 b = { 0 };
	const char	*s = w(l, t), *h;
	size_t		 i = 0;

	while ((h = strchr(s, '#')) != NULL) {
		sb_add(&b, s, (size_t)(h - s));
		sb_num(&b, i < n ? v[i] : 0);
		i++;
		s = h + 1;
	}
	sb_str(&b, s);
	return sb_take(l, &b);
}

static int
status_mark(const json_t *c)
{
	const char	*s = json_string_value(json_object_get(c, "status"));

	if (s != NULL && strcmp(s, "pass") == 0)
		return RL_PASS;
	if (s != NULL && strcmp(s, "fail") == 0)
		return RL_FAIL;
	return RL_UNKNOWN;
}

static json_int_t
passed(const json_t *block)
{
	const json_t	*c;
	size_t		 i;
	json_int_t	 n = 0;

	json_array_foreach(json_object_get(block, "controls"), i, c)
		n += status_mark(c) == RL_PASS;
	return n;
}

/* ---- the blocks of the report ---- */

static const char *
period_kind(const struct lay *l, const json_t *p)
{
	static const char *const keys[] = { "month", "quarter", "half",
		"year" };
	static const enum word	 kinds[] = { W_MONTH, W_QUARTER, W_HALF,
		W_YEAR };
	const char		*k = json_string_value(json_object_get(p,
				    "kind"));
	size_t			 i;

	for (i = 0; k != NULL && i < sizeof(keys) / sizeof(*keys); i++)
		if (strcmp(k, keys[i]) == 0)
			return w(l, kinds[i]);
	return "";
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void
field(struct lay *l, enum word k, const char *text, int mono)
{
	cell(l, w(l, k), RL_LEFT, RL_PLAIN, 0);
	cell(l, text, RL_LEFT, RL_PLAIN, mono);
}

/* The title, and what the report is: period, office, who made it, when,
 * with which vigil, tied to which audit head. */
static void
header(struct lay *l, const json_t *doc)
{
	const json_t	*p = json_object_get(doc, "period");
	const json_t	*g = json_object_get(doc, "generated");
	const json_t	*office = json_object_get(doc, "office");
	const json_t	*audit = json_object_get(doc, "audit");
	const char	*scope, *period;

	scope = json_is_string(office) ? str(l, json_string_value(office)) :
	    w(l, W_ALL);
	period = fmt(l, "%s %s", period_kind(l, p), jstr(p, "label"));
	l->pub.title = w(l, W_TITLE);
	l->pub.subtitle = fmt(l, "%s \u00b7 %s", period, scope);
	l->pub.page_word = w(l, W_PAGE);
	text_block(l, RL_TITLE, 0, w(l, W_TITLE));
	field(l, W_PERIOD, fmt(l, "%s: %s \u2013 %s", period, jstr(p, "from"),
	    jstr(p, "to")), 0);
	field(l, W_SCOPE, scope, 0);
	field(l, W_GEN_AT, str(l, jstr(g, "at")), 0);
	field(l, W_GEN_BY, str(l, jstr(g, "by")), 0);
	field(l, W_VERSION, str(l, jstr(g, "version")), 0);
	field(l, W_AUDIT_HEAD, str(l, jstr(audit, "head")), 1);
	cell(l, label(l, "head_seq"), RL_LEFT, RL_PLAIN, 0);
	cell_json(l, json_object_get(audit, "head_seq"), 0);
	(void)table(l, RL_FIELDS, 2, 0, NULL);
}

static void
summary(struct lay *l, const json_t *t)
{
	json_int_t	 v[5] = { fig(t, "coverage", "reported"),
			    fig(t, "coverage", "enrolled"),
			    fig(t, "detections", "alerts"),
			    fig(t, "incidents", "opened"),
			    fig(t, "incidents", "open_at_end") };
	json_int_t	 late = fig(t, "incidents", "reported_late") +
			    fig(t, "incidents", "overdue");

	text_block(l, RL_HEADING, 1, fmt(l, "1. %s", w(l, W_SUMMARY)));
	text_block(l, RL_PARA, 0, fmt(l, "%s %s", say(l, W_SUM1, v, 5),
	    late == 0 ? w(l, W_SUM_OK) : say(l, W_SUM_LATE, &late, 1)));
}

/* The province's view: a row per office. */
static void
offices(struct lay *l, const json_t *list)
{
	static const char *const	cols[][2] = {
		{ "coverage", "enrolled" }, { "coverage", "reported" },
		{ "coverage", "silent_24h" }, { "detections", "alerts" },
		{ "incidents", "opened" }, { "incidents", "open_at_end" },
		{ "incidents", "overdue" },
	};
	const size_t			ncols = sizeof(cols) / sizeof(*cols);
	const json_t			*b;
	size_t				 i, k;

	text_block(l, RL_HEADING, 1, w(l, W_OFFICES));
	cell(l, w(l, W_OFFICE), RL_LEFT, RL_PLAIN, 0);
	for (k = 0; k < ncols; k++)
		cell(l, label(l, cols[k][1]), RL_RIGHT, RL_PLAIN, 0);
	cell(l, w(l, W_PASSED), RL_RIGHT, RL_PLAIN, 0);
	json_array_foreach(list, i, b) {
		cell_json(l, json_object_get(b, "office"), 0);
		for (k = 0; k < ncols; k++)
			cell(l, fmt(l, "%" JSON_INTEGER_FORMAT, fig(b,
			    cols[k][0], cols[k][1])), RL_RIGHT, RL_PLAIN, 0);
		cell(l, fmt(l, "%" JSON_INTEGER_FORMAT "/%zu", passed(b),
		    json_array_size(json_object_get(b, "controls"))),
		    RL_RIGHT, RL_PLAIN, 0);
	}
	(void)table(l, RL_TABLE, ncols + 2, 1, w(l, W_NONE));
}

/* Days since 1970-01-01 of "YYYY-MM-DD..." (a period's end, a by_day
 * label); -1 if s does not start with one. */
static int64_t
day_number(const char *s)
{
	struct tm	tm = { 0 };
	uint64_t	y, m, d;

	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-' ||
	    text_u64(&y, s, 4, 1970, 9999) != 0 ||
	    text_u64(&m, s + 5, 2, 1, 12) != 0 ||
	    text_u64(&d, s + 8, 2, 1, 31) != 0)
		return -1;
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	return (int64_t)timegm(&tm) / 86400;
}

/* 1 if every row of by_day is a day in [from, to), in order: the
 * chart can then have a bar for each day of the period. */
static int
days_fit(const json_t *by_day, int64_t from, int64_t to)
{
	const json_t	*row;
	int64_t		 d, last = from - 1;
	size_t		 i;

	if (from < 0 || to <= from || to - from > DAYS_MAX)
		return 0;
	json_array_foreach(by_day, i, row) {
		d = day_number(jstr(row, "day"));
		if (d <= last || d >= to)
			return 0;
		last = d;
	}
	return 1;
}

/* The bars of by_day: one per day of the period, the days without
 * alerts at 0; the rows of by_day as they are when they do not fit the
 * period (a document of another shape). The labels go to the cells,
 * the heights to *values[*n]. */
static void
chart_days(struct lay *l, const json_t *p, const json_t *by_day,
    int64_t **values, size_t *n)
{
	int64_t		 from = day_number(jstr(p, "from")),
			 to = day_number(jstr(p, "to"));
	size_t		 i, j = 0;
	const json_t	*row;
	struct tm	 tm;
	time_t		 t;
	char		 day[16];
	int		 fill = days_fit(by_day, from, to);

	*n = fill ? (size_t)(to - from) : json_array_size(by_day);
	if ((*values = alloc(l, (*n ? *n : 1) * sizeof(**values))) == NULL)
		return;
	for (i = 0; i < *n; i++) {
		row = json_array_get(by_day, fill ? j : i);
		(*values)[i] = json_integer_value(json_object_get(row,
		    "count"));
		if (!fill) {
			cell(l, str(l, jstr(row, "day")), RL_LEFT, RL_PLAIN, 0);
			continue;
		}
		t = (time_t)((from + (int64_t)i) * 86400);
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
			day[0] = '\0';
		cell(l, str(l, day), RL_LEFT, RL_PLAIN, 0);
		if (row != NULL && strcmp(jstr(row, "day"), day) == 0)
			j++;
		else
			(*values)[i] = 0;
	}
}

static void
chart(struct lay *l, const json_t *period, const char *key,
    const json_t *by_day)
{
	struct rl_block	*b;
	int64_t		*values = NULL;
	size_t		 n;

	cell(l, label(l, "day"), RL_LEFT, RL_PLAIN, 0);
	chart_days(l, period, by_day, &values, &n);
	if ((b = table(l, RL_CHART, 1, 1, label(l, key))) == NULL)
		return;
	b->values = values;
	b->unit = w(l, W_ALERTS);
}

/* The columns of a list of the document: its schema's (docs/report.md),
 * so that an empty list has its head too; for another list, the
 * members of its first row. */
static size_t
list_columns(const char **cols, size_t max, const char *key,
    const json_t *list)
{
	static const struct {
		const char	*key;
		const char	*cols[4];
	} known[] = {
		{ "by_category", { "category", "count" } },
		{ "by_severity", { "severity", "count" } },
		{ "top_rules", { "gid", "sid", "signature", "count" } },
		{ "top_hosts", { "agent_id", "name", "count" } },
		{ "top_indicators", { "kind", "value", "count" } },
	};
	const json_t	*v;
	const char	*k;
	size_t		 i, n = 0;

	for (i = 0; i < sizeof(known) / sizeof(*known); i++) {
		if (strcmp(key, known[i].key) != 0)
			continue;
		for (n = 0; n < 4 && n < max && known[i].cols[n]; n++)
			cols[n] = known[i].cols[n];
		return n;
	}
	json_object_foreach(json_array_get(list, 0), k, v)
		if (n < max)
			cols[n++] = k;
	if (n == 0)
		cols[n++] = "count";
	return n;
}

/* A list of the document as a table under its caption. */
static void
list(struct lay *l, const char *key, const json_t *arr)
{
	const char	*cols[8];
	const json_t	*row, *v;
	size_t		 i, k, n = list_columns(cols, 8, key, arr);

	text_block(l, RL_HEADING, 2, label(l, key));
	for (k = 0; k < n; k++) {
		v = json_object_get(json_array_get(arr, 0), cols[k]);
		cell(l, label(l, cols[k]), json_is_integer(v) ||
		    strcmp(cols[k], "count") == 0 ? RL_RIGHT : RL_LEFT,
		    RL_PLAIN, 0);
	}
	json_array_foreach(arr, i, row)
		for (k = 0; k < n; k++)
			cell_json(l, json_object_get(row, cols[k]),
			    strcmp(cols[k], "agent_id") == 0);
	(void)table(l, RL_TABLE, n, 1, w(l, W_NONE));
}

/* An object of the document (a breakdown, a duration's figures) as a
 * table of figures under its caption. */
static void
object(struct lay *l, const char *key, const json_t *obj)
{
	const char	*k;
	const json_t	*v;

	text_block(l, RL_HEADING, 2, label(l, key));
	cell(l, w(l, W_FIGURE), RL_LEFT, RL_PLAIN, 0);
	cell(l, w(l, W_VALUE), RL_RIGHT, RL_PLAIN, 0);
	json_object_foreach((json_t *)obj, k, v) {
		cell(l, key_words(l, key, k), RL_LEFT, RL_PLAIN, 0);
		cell_figure(l, k, v);
	}
	(void)table(l, RL_TABLE, 2, 1, w(l, W_NONE));
}

/* Section n of the report: its scalars in a table, then its lists and
 * objects each in their own; alerts by day as a chart. */
static void
section(struct lay *l, int n, const char *key, const json_t *sec,
    const json_t *period)
{
	const char	*k;
	const json_t	*v;

	text_block(l, RL_HEADING, 1, fmt(l, "%d. %s", n, label(l, key)));
	cell(l, w(l, W_FIGURE), RL_LEFT, RL_PLAIN, 0);
	cell(l, w(l, W_VALUE), RL_RIGHT, RL_PLAIN, 0);
	json_object_foreach((json_t *)sec, k, v)
		if (!json_is_array(v) && !json_is_object(v)) {
			cell(l, label(l, k), RL_LEFT, RL_PLAIN, 0);
			cell_figure(l, k, v);
		}
	(void)table(l, RL_TABLE, 2, 1, w(l, W_NONE));
	json_object_foreach((json_t *)sec, k, v) {
		if (json_is_array(v) && strcmp(k, "by_day") == 0)
			chart(l, period, k, v);
		else if (json_is_array(v))
			list(l, k, v);
		else if (json_is_object(v))
			object(l, k, v);
	}
}

/* A control's evidence: "label: value; ..." */
static const char *
evidence(struct lay *l, const json_t *ev)
{
	struct sbuf	 b = { 0 };
	const char	*k;
	const json_t	*v;

	json_object_foreach((json_t *)ev, k, v) {
		sb_str(&b, b.len > 0 ? "; " : "");
		sb_str(&b, label(l, k));
		sb_str(&b, ": ");
		if (json_is_integer(v) && is_duration(k))
			sb_str(&b, duration(l, json_integer_value(v)));
		else if (json_is_integer(v))
			sb_num(&b, json_integer_value(v));
		else if (json_is_string(v))
			sb_str(&b, json_string_value(v));
		else
			sb_str(&b, json_is_true(v) ? "1" :
			    json_is_false(v) ? "0" : "-");
	}
	if (b.len == 0)
		sb_str(&b, w(l, W_NOT_KNOWN));
	return sb_take(l, &b);
}

static void
controls(struct lay *l, int n, const json_t *a, const json_t *b)
{
	static const enum word	 status[] = { [RL_PASS] = W_PASS,
		[RL_FAIL] = W_FAIL, [RL_UNKNOWN] = W_UNKNOWN };
	const json_t		*lists[2] = { a, b }, *c;
	size_t			 i, k;
	int			 m;

	text_block(l, RL_HEADING, 1, fmt(l, "%d. %s", n,
	    label(l, "controls")));
	cell(l, w(l, W_CONTROL), RL_LEFT, RL_PLAIN, 0);
	cell(l, w(l, W_STATUS), RL_LEFT, RL_PLAIN, 0);
	cell(l, w(l, W_EVIDENCE), RL_LEFT, RL_PLAIN, 0);
	for (k = 0; k < 2; k++)
		json_array_foreach(lists[k], i, c) {
			m = status_mark(c);
			cell(l, label(l, jstr(c, "id")), RL_LEFT, RL_PLAIN, 0);
			cell(l, w(l, status[m]), RL_LEFT, m, 0);
			cell(l, evidence(l, json_object_get(c, "evidence")),
			    RL_LEFT, RL_PLAIN, 0);
		}
	(void)table(l, RL_TABLE, 3, 1, w(l, W_NONE));
}

/* Room for the signatures of who made it and the office's head. */
static void
sign(struct lay *l)
{
	cell(l, w(l, W_SIGN_BY), RL_LEFT, RL_PLAIN, 0);
	cell(l, w(l, W_SIGN_HEAD), RL_LEFT, RL_PLAIN, 0);
	cell(l, w(l, W_SIGN_NOTE), RL_LEFT, RL_PLAIN, 0);
	cell(l, w(l, W_SIGN_SEAL), RL_LEFT, RL_PLAIN, 0);
	(void)table(l, RL_SIGN, 2, 1, NULL);
}

/* What report_build() always writes. */
static int
well_formed(const json_t *doc)
{
	static const char *const	objects[] = { "period", "generated",
		"total", "audit", "retention" };
	size_t				i;

	if (!json_is_object(doc) ||
	    !json_is_array(json_object_get(doc, "offices")) ||
	    !json_is_array(json_object_get(doc, "controls")))
		return 0;
	for (i = 0; i < sizeof(objects) / sizeof(*objects); i++)
		if (!json_is_object(json_object_get(doc, objects[i])))
			return 0;
	return 1;
}

static void
lay_doc(struct lay *l, const json_t *doc)
{
	static const char *const	secs[] = { "coverage", "detections",
		"incidents", "notifications" };
	const json_t			*t = json_object_get(doc, "total");
	const json_t			*p = json_object_get(doc, "period");
	size_t				 i;
	int				 n = 2;

	header(l, doc);
	summary(l, t);
	if (json_is_null(json_object_get(doc, "office")))
		offices(l, json_object_get(doc, "offices"));
	for (i = 0; i < sizeof(secs) / sizeof(*secs); i++)
		section(l, n++, secs[i], json_object_get(t, secs[i]), p);
	section(l, n++, "retention", json_object_get(doc, "retention"), p);
	controls(l, n, json_object_get(t, "controls"),
	    json_object_get(doc, "controls"));
	sign(l);
}

int
report_layout_make(struct report_layout **out, const json_t *doc, int lang)
{
	struct lay	*l;
	int		 rc;

	*out = NULL;
	if (!well_formed(doc))
		return ERR_MALFORMED;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ERR_NOMEM;
	l->lang = lang == REPORT_EN;
	lay_doc(l, doc);
	if ((rc = l->err) != 0) {
		report_layout_free(&l->pub);
		return rc;
	}
	free(l->row);
	l->row = NULL;
	l->pub.lang = l->lang ? REPORT_EN : REPORT_VI;
	l->pub.blocks = l->blocks;
	l->pub.nblocks = l->nblocks;
	*out = &l->pub;
	return 0;
}

void
report_layout_free(struct report_layout *pub)
{
	struct lay	*l = (struct lay *)pub;	/* pub is its first member */
	struct chunk	*c, *next;

	if (pub == NULL)
		return;
	for (c = l->mem; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(l->blocks);
	free(l->row);
	free(l);
}
