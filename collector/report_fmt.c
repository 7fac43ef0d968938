/*
 * report_fmt.c: the periodic report's text formats (report.h): the JSON
 * document as it is, Markdown for people, CSV for spreadsheets.
 *
 * Both text formats walk the document report_build() made, so a figure
 * cannot differ between them. Every label is in one table, Vietnamese
 * and English side by side (labels[], keyed by the document's member
 * names; words[] for the rest): no label is written anywhere else.
 * Every string from the document reaches the file through the format's
 * escaper (text_write TEXT_MD, text_put_csv): office, agent and rule
 * names come from agents. Sentences are templates whose '#' marks take
 * the figures in order (say()): no format string comes from a table.
 *
 * Load: the document of a province, a few hundred kilobytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "report.h"
#include "taxonomy.h"
#include "text.h"

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
	{ "silent_24h", { "Máy im lặng quá 24 giờ cuối kỳ",
	    "PCs silent for more than 24 hours at the end" } },
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
	{ "rules_fresh", { "Bộ luật trên mọi máy không cũ quá 7 ngày",
	    "Rules no older than 7 days on every PC" } },
	{ "critical_ack_1h", { "Mọi sự cố nghiêm trọng được tiếp nhận "
	    "trong 1 giờ", "Every critical incident acknowledged within "
	    "one hour" } },
	{ "reported_in_deadline", { "Mọi sự cố được báo cáo đúng hạn",
	    "Every incident reported within its deadline" } },
	{ "audit_chain", { "Chuỗi nhật ký kiểm toán toàn vẹn",
	    "The audit chain verifies" } },
	{ "disk_free", { "Ổ đĩa máy chủ thu thập còn đủ chỗ trống",
	    "The collector's disk has room" } },
	{ "backups", { "Sao lưu dữ liệu", "Backups" } },
	{ "acked_1h", { "tiếp nhận trong 1 giờ", "acknowledged in 1 h" } },
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
	{ "head_seq", { "Số mục cuối", "Last entry" } },
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
	W_YEAR, W_CSV_HEAD, W_NOT_KNOWN, W_DAYS, W_HOURS, W_MINUTES,
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
	[W_CSV_HEAD] = { "phần,đơn vị,chỉ tiêu,nhãn,khóa,giá trị",
	    "section,office,figure,label,key,value" },
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

struct out {
	FILE	*f;
	int	 lang;
	int	 err;
};

static const char *
w(const struct out *o, enum word k)
{
	return words[k][o->lang];
}

static const char *
lookup(const struct out *o, const struct label *t, size_t n,
    const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return t[i].text[o->lang];
	return NULL;
}

/* The label of a member name; the name itself when there is none. */
static const char *
label(const struct out *o, const char *key)
{
	const char	*s = lookup(o, labels, sizeof(labels) /
			    sizeof(*labels), key);

	return s ? s : key;
}

/* A key of the incidents' breakdowns: a category or severity code in
 * words; NULL for another key (escaped and written as it is). */
static const char *
code_words(const struct out *o, const char *breakdown, const char *code)
{
	const struct taxonomy_category	*c;

	if (strcmp(breakdown, "by_severity") == 0)
		return lookup(o, severities, sizeof(severities) /
		    sizeof(*severities), code);
	if (strcmp(breakdown, "by_category") == 0 &&
	    (c = taxonomy_category(code)) != NULL)
		return o->lang == 1 ? c->en : c->vi;
	return NULL;
}

static const char	*code_words(const struct out *, const char *,
			    const char *);
static const char	*lookup(const struct out *, const struct label *,
			    size_t, const char *);

static void
raw(struct out *o, const char *s)
{
	if (fputs(s, o->f) == EOF)
		o->err = ERR_IO;
}

/* A string from the document, escaped for Markdown. */
static void
put(struct out *o, const char *s)
{
	if (text_write(o->f, s, strlen(s), TEXT_MD) != 0)
		o->err = ERR_IO;
}

/* A member key of object (an incidents' breakdown, a duration): its
 * words, or the key escaped. */
static void
put_key(struct out *o, const char *object, const char *key)
{
	const char	*s = code_words(o, object, key);

	if (s == NULL)
		s = lookup(o, labels, sizeof(labels) / sizeof(*labels), key);
	if (s != NULL)
		raw(o, s);
	else
		put(o, key);
}

static void
num(struct out *o, json_int_t v)
{
	if (fprintf(o->f, "%" JSON_INTEGER_FORMAT, v) < 0)
		o->err = ERR_IO;
}

/* A scalar from the document as text (numbers bare, strings escaped,
 * null as "-"). */
static void
value(struct out *o, const json_t *v)
{
	if (json_is_integer(v))
		num(o, json_integer_value(v));
	else if (json_is_real(v)) {
		if (fprintf(o->f, "%.1f", json_real_value(v)) < 0)
			o->err = ERR_IO;
	} else if (json_is_string(v))
		put(o, json_string_value(v));
	else if (json_is_true(v) || json_is_false(v))
		num(o, json_is_true(v));
	else
		raw(o, "-");
}

/* Seconds for people: "1 ngày 2 giờ", "30 phút" ("1 d 2 h", "30 min");
 * whole minutes, the parts that are not zero. */
static void
duration(struct out *o, json_int_t s)
{
	static const enum word	 units[] = { W_DAYS, W_HOURS, W_MINUTES };
	json_int_t		 parts[3];
	size_t			 i;
	int			 said = 0;

	if (s < 0)
		s = 0;
	parts[0] = s / 86400;
	parts[1] = s % 86400 / 3600;
	parts[2] = s % 3600 / 60;
	for (i = 0; i < 3; i++) {
		if (parts[i] == 0 && (said || i < 2))
			continue;
		raw(o, said ? " " : "");
		num(o, parts[i]);
		raw(o, " ");
		raw(o, w(o, units[i]));
		said = 1;
	}
}

/* A figure for people: a duration (a member named *_s) in words, the
 * rest as value() writes it. */
static void
figure(struct out *o, const char *key, const json_t *v)
{
	size_t	len = strlen(key);

	if (json_is_integer(v) && len > 2 && strcmp(key + len - 2, "_s") == 0)
		duration(o, json_integer_value(v));
	else
		value(o, v);
}

/* template t with each '#' replaced by the next of n numbers. */
static void
say(struct out *o, enum word t, const json_int_t *v, size_t n)
{
	const char	*s = w(o, t), *h;
	size_t		 i = 0;

	while ((h = strchr(s, '#')) != NULL) {
		if (fwrite(s, 1, (size_t)(h - s), o->f) != (size_t)(h - s))
			o->err = ERR_IO;
		num(o, i < n ? v[i] : 0);
		i++;
		s = h + 1;
	}
	raw(o, s);
}

static json_int_t
fig(const json_t *block, const char *section, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(block,
	    section), key));
}

static enum word
status_word(const json_t *c)
{
	const char	*s = json_string_value(json_object_get(c, "status"));

	if (s != NULL && strcmp(s, "pass") == 0)
		return W_PASS;
	if (s != NULL && strcmp(s, "fail") == 0)
		return W_FAIL;
	return W_UNKNOWN;
}

/* ---- Markdown ---- */

static void
md_row2(struct out *o, const char *a, const json_t *v)
{
	raw(o, "| ");
	raw(o, a);
	raw(o, " | ");
	value(o, v);
	raw(o, " |\n");
}

static void
md_head(struct out *o, const char *a, const char *b)
{
	raw(o, "\n| ");
	raw(o, a);
	raw(o, " | ");
	raw(o, b);
	raw(o, " |\n|---|---|\n");
}

/* An array of objects as a table: its members' labels as columns. */
static void
md_array(struct out *o, const char *key, const json_t *arr)
{
	const json_t	*first = json_array_get(arr, 0), *v, *row;
	const char	*k;
	size_t		 i;

	raw(o, "\n**");
	raw(o, label(o, key));
	raw(o, "**\n\n");
	if (json_array_size(arr) == 0) {
		raw(o, w(o, W_NONE));
		raw(o, "\n");
		return;
	}
	raw(o, "|");
	json_object_foreach((json_t *)first, k, v) {
		raw(o, " ");
		raw(o, label(o, k));
		raw(o, " |");
	}
	raw(o, "\n|");
	json_object_foreach((json_t *)first, k, v)
		raw(o, "---|");
	raw(o, "\n");
	json_array_foreach(arr, i, row) {
		raw(o, "|");
		json_object_foreach((json_t *)row, k, v) {
			raw(o, " ");
			value(o, v);
			raw(o, " |");
		}
		raw(o, "\n");
	}
}

/* A section of a block: its scalars in a table, then its arrays and
 * objects each in their own. */
static void
md_section(struct out *o, int n, const char *key, const json_t *sec)
{
	const char	*k, *k2;
	const json_t	*v, *v2;

	if (fprintf(o->f, "\n## %d. ", n) < 0)
		o->err = ERR_IO;
	raw(o, label(o, key));
	raw(o, "\n");
	md_head(o, w(o, W_FIGURE), w(o, W_VALUE));
	json_object_foreach((json_t *)sec, k, v)
		if (!json_is_array(v) && !json_is_object(v))
			md_row2(o, label(o, k), v);
	json_object_foreach((json_t *)sec, k, v) {
		if (json_is_array(v))
			md_array(o, k, v);
		else if (json_is_object(v)) {
			raw(o, "\n**");
			raw(o, label(o, k));
			raw(o, "**\n");
			md_head(o, w(o, W_FIGURE), w(o, W_VALUE));
			json_object_foreach((json_t *)v, k2, v2) {
				raw(o, "| ");
				put_key(o, k, k2);
				raw(o, " | ");
				figure(o, k2, v2);
				raw(o, " |\n");
			}
		}
	}
}

static void
md_evidence(struct out *o, const json_t *ev)
{
	const char	*k;
	const json_t	*v;
	int		 first = 1;

	json_object_foreach((json_t *)ev, k, v) {
		raw(o, first ? "" : "; ");
		raw(o, label(o, k));
		raw(o, ": ");
		value(o, v);
		first = 0;
	}
	if (first)
		raw(o, w(o, W_NOT_KNOWN));
}

static void
md_controls(struct out *o, int n, const json_t *a, const json_t *b)
{
	const json_t	*lists[2] = { a, b }, *c;
	size_t		 i, k;

	if (fprintf(o->f, "\n## %d. ", n) < 0)
		o->err = ERR_IO;
	raw(o, label(o, "controls"));
	raw(o, "\n\n| ");
	raw(o, w(o, W_CONTROL));
	raw(o, " | ");
	raw(o, w(o, W_STATUS));
	raw(o, " | ");
	raw(o, w(o, W_EVIDENCE));
	raw(o, " |\n|---|---|---|\n");
	for (k = 0; k < 2; k++)
		json_array_foreach(lists[k], i, c) {
			raw(o, "| ");
			raw(o, label(o, json_string_value(json_object_get(c,
			    "id"))));
			raw(o, " | ");
			raw(o, w(o, status_word(c)));
			raw(o, " | ");
			md_evidence(o, json_object_get(c, "evidence"));
			raw(o, " |\n");
		}
}

static json_int_t
passed(const json_t *block)
{
	const json_t	*c;
	size_t		 i;
	json_int_t	 n = 0;

	json_array_foreach(json_object_get(block, "controls"), i, c)
		n += status_word(c) == W_PASS;
	return n;
}

static void
md_offices(struct out *o, const json_t *offices)
{
	static const char *const	cols[][2] = {
		{ "coverage", "enrolled" }, { "coverage", "reported" },
		{ "coverage", "silent_24h" }, { "detections", "alerts" },
		{ "incidents", "opened" }, { "incidents", "open_at_end" },
		{ "incidents", "overdue" },
	};
	const json_t			*b;
	size_t				 i, k;
	char				 buf[48];

	raw(o, "\n## ");
	raw(o, w(o, W_OFFICES));
	raw(o, "\n\n| ");
	raw(o, w(o, W_OFFICE));
	for (k = 0; k < sizeof(cols) / sizeof(*cols); k++) {
		raw(o, " | ");
		raw(o, label(o, cols[k][1]));
	}
	raw(o, " | ");
	raw(o, w(o, W_PASSED));
	raw(o, " |\n|---");
	for (k = 0; k <= sizeof(cols) / sizeof(*cols); k++)
		raw(o, "|---");
	raw(o, "|\n");
	json_array_foreach(offices, i, b) {
		raw(o, "| ");
		value(o, json_object_get(b, "office"));
		for (k = 0; k < sizeof(cols) / sizeof(*cols); k++) {
			raw(o, " | ");
			num(o, fig(b, cols[k][0], cols[k][1]));
		}
		(void)snprintf(buf, sizeof(buf), " | %" JSON_INTEGER_FORMAT
		    "/%zu |\n", passed(b), json_array_size(json_object_get(b,
		    "controls")));
		raw(o, buf);
	}
}

static void
md_header(struct out *o, const json_t *doc)
{
	static const enum word	 kinds[] = { W_MONTH, W_QUARTER, W_HALF,
		W_YEAR };
	static const char *const kind_keys[] = { "month", "quarter", "half",
		"year" };
	const json_t		*p = json_object_get(doc, "period");
	const json_t		*g = json_object_get(doc, "generated");
	const char		*kind = json_string_value(json_object_get(p,
				    "kind"));
	size_t			 i;

	raw(o, "# ");
	raw(o, w(o, W_TITLE));
	raw(o, "\n\n- **");
	raw(o, w(o, W_PERIOD));
	raw(o, "**: ");
	for (i = 0; kind != NULL && i < 4; i++)
		if (strcmp(kind, kind_keys[i]) == 0)
			raw(o, w(o, kinds[i]));
	raw(o, " ");
	value(o, json_object_get(p, "label"));
	raw(o, " (");
	value(o, json_object_get(p, "from"));
	raw(o, " – ");
	value(o, json_object_get(p, "to"));
	raw(o, ")\n- **");
	raw(o, w(o, W_SCOPE));
	raw(o, "**: ");
	if (json_is_null(json_object_get(doc, "office")))
		raw(o, w(o, W_ALL));
	else
		value(o, json_object_get(doc, "office"));
	raw(o, "\n- **");
	raw(o, w(o, W_GEN_AT));
	raw(o, "**: ");
	value(o, json_object_get(g, "at"));
	raw(o, "\n- **");
	raw(o, w(o, W_GEN_BY));
	raw(o, "**: ");
	value(o, json_object_get(g, "by"));
	raw(o, "\n- **");
	raw(o, w(o, W_VERSION));
	raw(o, "**: ");
	value(o, json_object_get(g, "version"));
	raw(o, "\n- **");
	raw(o, w(o, W_AUDIT_HEAD));
	raw(o, "**: ");
	value(o, json_object_get(json_object_get(doc, "audit"), "head"));
	raw(o, "\n");
}

static void
md_summary(struct out *o, const json_t *t)
{
	json_int_t	v[5] = { fig(t, "coverage", "reported"),
			    fig(t, "coverage", "enrolled"),
			    fig(t, "detections", "alerts"),
			    fig(t, "incidents", "opened"),
			    fig(t, "incidents", "open_at_end") };
	json_int_t	late = fig(t, "incidents", "reported_late") +
			    fig(t, "incidents", "overdue");

	raw(o, "\n## 1. ");
	raw(o, w(o, W_SUMMARY));
	raw(o, "\n\n");
	say(o, W_SUM1, v, 5);
	raw(o, " ");
	if (late == 0)
		say(o, W_SUM_OK, NULL, 0);
	else
		say(o, W_SUM_LATE, &late, 1);
	raw(o, "\n");
}

/* Room for the signatures of who made it and the office's head. */
static void
md_sign(struct out *o)
{
	raw(o, "\n| ");
	raw(o, w(o, W_SIGN_BY));
	raw(o, " | ");
	raw(o, w(o, W_SIGN_HEAD));
	raw(o, " |\n|:---:|:---:|\n| ");
	raw(o, w(o, W_SIGN_NOTE));
	raw(o, " | ");
	raw(o, w(o, W_SIGN_SEAL));
	raw(o, " |\n| | |\n");
}

static int
write_md(struct out *o, const json_t *doc)
{
	static const char *const	secs[] = { "coverage", "detections",
		"incidents", "notifications" };
	const json_t			*t = json_object_get(doc, "total");
	size_t				 i;

	md_header(o, doc);
	md_summary(o, t);
	if (json_is_null(json_object_get(doc, "office")))
		md_offices(o, json_object_get(doc, "offices"));
	for (i = 0; i < sizeof(secs) / sizeof(*secs); i++)
		md_section(o, (int)i + 2, secs[i], json_object_get(t,
		    secs[i]));
	md_section(o, 6, "retention", json_object_get(doc, "retention"));
	md_controls(o, 7, json_object_get(t, "controls"),
	    json_object_get(doc, "controls"));
	md_sign(o);
	return o->err;
}

/* ---- CSV: one row per figure ---- */

struct csvrow {
	const char	*section;
	const char	*office;
	const char	*figure;
	const char	*key;
};

static void
csv_cell(struct out *o, const char *s, int first)
{
	if (!first)
		raw(o, ",");
	if (text_put_csv(o->f, s, strlen(s)) != 0)
		o->err = ERR_IO;
}

static void
csv_row(struct out *o, const struct csvrow *r, const json_t *v)
{
	csv_cell(o, r->section, 1);
	csv_cell(o, r->office, 0);
	csv_cell(o, r->figure, 0);
	csv_cell(o, label(o, r->figure), 0);
	csv_cell(o, r->key, 0);
	raw(o, ",");
	if (json_is_string(v))
		csv_cell(o, json_string_value(v), 1);
	else
		value(o, v);
	raw(o, "\r\n");
}

/* A breakdown row's key: its members but count, joined with " / ". */
static void
csv_key(char *buf, size_t len, const json_t *row)
{
	const char	*k;
	const json_t	*v;
	size_t		 n = 0;
	int		 m;

	buf[0] = '\0';
	json_object_foreach((json_t *)row, k, v) {
		if (strcmp(k, "count") == 0 || n >= len)
			continue;
		if (json_is_integer(v))
			m = snprintf(buf + n, len - n, "%s%"
			    JSON_INTEGER_FORMAT, n ? " / " : "",
			    json_integer_value(v));
		else
			m = snprintf(buf + n, len - n, "%s%s", n ? " / " : "",
			    json_is_string(v) ? json_string_value(v) : "");
		n = m < 0 || (size_t)m >= len - n ? len : n + (size_t)m;
	}
}

static void
csv_section(struct out *o, const char *section, const char *office,
    const json_t *sec)
{
	struct csvrow	 r = { section, office, NULL, "" };
	const char	*k, *k2;
	const json_t	*v, *v2;
	char		 key[1024];
	size_t		 i;

	json_object_foreach((json_t *)sec, k, v) {
		r.figure = k;
		r.key = "";
		if (json_is_array(v)) {
			json_array_foreach(v, i, v2) {
				csv_key(key, sizeof(key), v2);
				r.key = key;
				csv_row(o, &r, json_object_get(v2, "count"));
			}
		} else if (json_is_object(v)) {
			json_object_foreach((json_t *)v, k2, v2) {
				r.key = k2;
				csv_row(o, &r, v2);
			}
		} else
			csv_row(o, &r, v);
	}
}

static void
csv_controls(struct out *o, const char *office, const json_t *arr)
{
	struct csvrow	 r = { "controls", office, NULL, "status" };
	const json_t	*c, *v;
	const char	*k;
	size_t		 i;

	json_array_foreach(arr, i, c) {
		r.figure = json_string_value(json_object_get(c, "id"));
		r.key = "status";
		csv_row(o, &r, json_object_get(c, "status"));
		json_object_foreach(json_object_get(c, "evidence"), k, v) {
			r.key = k;
			csv_row(o, &r, v);
		}
	}
}

static void
csv_block(struct out *o, const json_t *b, const char *office)
{
	static const char *const	secs[] = { "coverage", "detections",
		"incidents", "notifications" };
	size_t				i;

	for (i = 0; i < sizeof(secs) / sizeof(*secs); i++)
		csv_section(o, secs[i], office, json_object_get(b, secs[i]));
	csv_controls(o, office, json_object_get(b, "controls"));
}

static int
write_csv(struct out *o, const json_t *doc)
{
	const json_t	*b;
	const char	*name;
	size_t		 i;

	raw(o, w(o, W_CSV_HEAD));
	raw(o, "\r\n");
	csv_section(o, "report", "*", json_object_get(doc, "period"));
	csv_section(o, "report", "*", json_object_get(doc, "generated"));
	csv_section(o, "audit", "*", json_object_get(doc, "audit"));
	csv_section(o, "retention", "*", json_object_get(doc, "retention"));
	csv_controls(o, "*", json_object_get(doc, "controls"));
	json_array_foreach(json_object_get(doc, "offices"), i, b) {
		name = json_string_value(json_object_get(b, "office"));
		csv_block(o, b, name ? name : "");
	}
	csv_block(o, json_object_get(doc, "total"), "*");
	return o->err;
}

int
report_write(FILE *f, const json_t *doc, int format, int lang)
{
	struct out	o = { f, lang == REPORT_EN ? 1 : 0, 0 };

	switch (format) {
	case REPORT_JSON:
		return text_print_json(f, doc);
	case REPORT_MD:
		return write_md(&o, doc);
	case REPORT_CSV:
		return write_csv(&o, doc);
	default:
		return ERR_USAGE;
	}
}
