/*
 * form.c: the report forms of Circular 20/2017/TT-BTTTT (form.h).
 *
 * A form is a fixed sequence of sections and fields (form03(), form04())
 * written through a small backend (struct backend: HTML or Markdown), so
 * the order and the wording live in one place and the two formats
 * cannot drift apart. Words are in one table, Vietnamese and English
 * side by side (words[]). Every string reaches the file through
 * put(), which escapes it for the format: no field, label or value is
 * ever written raw. The only raw bytes are the backends' own markup.
 *
 * Where a value is missing, field() writes a dotted line to fill in by
 * hand. Which register facts go where, and what could not be checked
 * against the official text of the forms: docs/incidents.md.
 *
 * Load: one incident per run; the lists (agents, indicators, notes, the
 * audit entries) are streamed from the store, never held.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "config.h"
#include "err.h"
#include "form.h"
#include "incident.h"
#include "store.h"
#include "taxonomy.h"
#include "text.h"

#define BLANK	"……………………………………………………"

/* ---- words ---- */

enum word {
	W_FORM03, W_FORM04, W_CIRCULAR, W_TITLE03, W_TITLE04, W_COUNTRY,
	W_MOTTO, W_NUMBER, W_TO, W_SUBJECT, W_REGISTER,
	W_S_REPORTER, W_ORG, W_ADDRESS, W_PHONE, W_EMAIL, W_CONTACT,
	W_POSITION, W_S_SYSTEM, W_OWNER, W_OPERATOR, W_SYSNAME, W_LEVEL,
	W_AFFECTED, W_S_SUMMARY, W_SUMMARY, W_CATEGORY, W_SEVERITY, W_ALERTS,
	W_SEEN, W_IMPACT, W_DETECTED, W_S_STATUS, W_HANDLED, W_NOT_HANDLED,
	W_REG_STATUS, W_S_METHOD, W_IDS, W_LOGS, W_NOTIFIED_BY, W_OTHER,
	W_S_NOTIFIED, W_S_OS, W_OS, W_SERVICES, W_S_MEASURES, W_S_PUBLIC,
	W_PUBLIC_SYS, W_PUBLIC_INC, W_OTHER_IND, W_S_ATTACH, W_ATTACH_EV,
	W_MADE_BY, W_S_SUPPORT, W_REPORT_TIME, W_SIGN, W_SIGN_NOTE,
	W_INITIAL_AT, W_S_HANDLING, W_S_OUTCOME, W_RESOLUTION, W_REASON,
	W_S_DAMAGE, W_S_LESSONS, W_S_PROPOSALS, W_ENDED, W_S_INCIDENT,
	W_NONE_YET, W_ASSIGNEE,
	W_COUNT
};

static const char *const words[W_COUNT][2] = {
	[W_FORM03] = { "Mẫu 03", "Form 03" },
	[W_FORM04] = { "Mẫu 04", "Form 04" },
	[W_CIRCULAR] = { "Ban hành kèm theo Thông tư số 20/2017/TT-BTTTT",
	    "Annex to Circular 20/2017/TT-BTTTT" },
	[W_TITLE03] = { "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG",
	    "INITIAL CYBER INCIDENT REPORT" },
	[W_TITLE04] = { "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ",
	    "FINAL INCIDENT RESPONSE REPORT" },
	[W_COUNTRY] = { "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
	    "SOCIALIST REPUBLIC OF VIET NAM" },
	[W_MOTTO] = { "Độc lập - Tự do - Hạnh phúc",
	    "Independence - Freedom - Happiness" },
	[W_NUMBER] = { "Số", "No." },
	[W_TO] = { "Kính gửi", "To" },
	[W_SUBJECT] = { "Tiêu đề thư điện tử đề nghị",
	    "Suggested e-mail subject" },
	[W_REGISTER] = { "Sự cố số trong sổ đăng ký vigil",
	    "Incident number in the vigil register" },
	[W_S_REPORTER] = { "Thông tin về đơn vị báo cáo sự cố",
	    "Reporting organisation" },
	[W_ORG] = { "Tên đơn vị", "Name of the organisation" },
	[W_ADDRESS] = { "Địa chỉ", "Address" },
	[W_PHONE] = { "Điện thoại", "Phone" },
	[W_EMAIL] = { "Thư điện tử", "E-mail" },
	[W_CONTACT] = { "Người liên hệ (họ và tên)", "Contact person (name)" },
	[W_POSITION] = { "Chức vụ", "Position" },
	[W_S_SYSTEM] = { "Thông tin về hệ thống thông tin bị sự cố",
	    "Affected information system" },
	[W_OWNER] = { "Đơn vị chủ quản", "Owner (governing organisation)" },
	[W_OPERATOR] = { "Đơn vị vận hành", "Operator" },
	[W_SYSNAME] = { "Tên hệ thống", "System name" },
	[W_LEVEL] = { "Cấp độ an toàn hệ thống thông tin",
	    "Information system security level" },
	[W_AFFECTED] = { "Máy và đơn vị (xã) bị ảnh hưởng",
	    "Affected computers and offices (communes)" },
	[W_S_SUMMARY] = { "Mô tả sơ bộ về sự cố và mức độ ảnh hưởng",
	    "Summary of the incident and its impact" },
	[W_SUMMARY] = { "Tóm tắt", "Summary" },
	[W_CATEGORY] = { "Loại sự cố", "Incident type" },
	[W_SEVERITY] = { "Mức độ nghiêm trọng", "Severity" },
	[W_ALERTS] = { "Số cảnh báo liên quan", "Linked alerts" },
	[W_SEEN] = { "Cảnh báo đầu tiên / cuối cùng",
	    "First / last alert" },
	[W_IMPACT] = { "Mức độ ảnh hưởng", "Impact" },
	[W_DETECTED] = { "Ngày, giờ phát hiện sự cố",
	    "Date and time of detection" },
	[W_S_STATUS] = { "Tình trạng sự cố", "Status of the incident" },
	[W_HANDLED] = { "Đã xử lý", "Handled" },
	[W_NOT_HANDLED] = { "Chưa xử lý", "Not handled yet" },
	[W_REG_STATUS] = { "Trạng thái trong sổ đăng ký",
	    "Status in the register" },
	[W_S_METHOD] = { "Cách thức phát hiện sự cố", "How it was detected" },
	[W_IDS] = { "Hệ thống phát hiện xâm nhập (IDS)",
	    "Intrusion detection system (IDS)" },
	[W_LOGS] = { "Xem lại nhật ký hệ thống (log)", "Log review" },
	[W_NOTIFIED_BY] = { "Được thông báo từ", "Notified by" },
	[W_OTHER] = { "Khác", "Other" },
	[W_S_NOTIFIED] = { "Đã thông báo sự cố cho",
	    "Already notified" },
	[W_S_OS] = { "Thông tin về hệ điều hành và dịch vụ",
	    "Operating systems and services" },
	[W_OS] = { "Hệ điều hành", "Operating systems" },
	[W_SERVICES] = { "Các dịch vụ trên hệ thống",
	    "Services on the system" },
	[W_S_MEASURES] = { "Các biện pháp an toàn thông tin đã triển khai",
	    "Security measures in place" },
	[W_S_PUBLIC] = { "Địa chỉ IP công khai và tên miền",
	    "Public addresses and domain names" },
	[W_PUBLIC_SYS] = { "Của hệ thống", "Of the system" },
	[W_PUBLIC_INC] = { "Liên quan đến sự cố (từ cảnh báo)",
	    "Involved in the incident (from its alerts)" },
	[W_OTHER_IND] = { "Dấu hiệu khác (mã băm, luật)",
	    "Other indicators (hashes, rules)" },
	[W_S_ATTACH] = { "Tài liệu gửi kèm", "Attachments" },
	[W_ATTACH_EV] = { "Nhật ký sự kiện (CSV)", "Event log (CSV)" },
	[W_MADE_BY] = { "tạo bằng lệnh", "made with" },
	[W_S_SUPPORT] = { "Đề nghị hỗ trợ", "Requests for support" },
	[W_REPORT_TIME] = { "Thời gian báo cáo", "Time of this report" },
	[W_SIGN] = { "NGƯỜI BÁO CÁO", "REPORTED BY" },
	[W_SIGN_NOTE] = { "(Ký, ghi rõ họ tên)", "(Signature and full name)" },
	[W_INITIAL_AT] = { "Đã báo cáo ban đầu lúc",
	    "Initial report sent at" },
	[W_S_HANDLING] = { "Các biện pháp xử lý đã thực hiện",
	    "Handling measures taken" },
	[W_S_OUTCOME] = { "Kết quả xử lý sự cố", "Outcome and resolution" },
	[W_RESOLUTION] = { "Kết luận", "Resolution" },
	[W_REASON] = { "Lý do", "Reason" },
	[W_S_DAMAGE] = { "Đánh giá thiệt hại", "Damage" },
	[W_S_LESSONS] = { "Bài học kinh nghiệm", "Lessons learned" },
	[W_S_PROPOSALS] = { "Kiến nghị, đề xuất", "Recommendations" },
	[W_ENDED] = { "Thời gian kết thúc xử lý sự cố",
	    "Time handling ended" },
	[W_S_INCIDENT] = { "Thông tin về sự cố", "The incident" },
	[W_NONE_YET] = { "(ghi chú của người xử lý trong sổ đăng ký)",
	    "(the responders' notes in the register)" },
	[W_ASSIGNEE] = { "Người xử lý", "Handled by" },
};

/* The register's words in Vietnamese; English is taxonomy.h's. */
static const char *const sev_vi[] = { "", "Thấp", "Trung bình", "Cao",
	"Nghiêm trọng" };
static const char *const status_vi[] = { "", "Mới", "Đã tiếp nhận",
	"Đang xác minh", "Đã ngăn chặn", "Đã xử lý xong", "Đã đóng" };
static const char *const res_vi[] = { "", "Sự cố thật", "Cảnh báo nhầm",
	"Chưa xác định", "Trùng lặp" };

/* The register's word in the form's language; "" out of range. */
static const char *
vi_word(const char *const *t, size_t n, int k)
{
	return k >= 0 && (size_t)k < n ? t[k] : "";
}

#define VI(t, k)	vi_word((t), sizeof(t) / sizeof((t)[0]), (k))

/* ---- output ---- */

struct out;

/* What a format writes around the text; text itself goes through put(). */
struct backend {
	void	(*begin)(struct out *, const char *title);
	void	(*end)(struct out *);
	void	(*header)(struct out *);
	void	(*section)(struct out *, int n, enum word);
	void	(*item)(struct out *);			/* then value */
	void	(*label)(struct out *, const char *label);	/* then value */
	void	(*value_end)(struct out *);
	void	(*blank)(struct out *);			/* a line to fill */
	void	(*check)(struct out *, int on);		/* then its label */
	void	(*sign)(struct out *, const char *name);
};

struct out {
	FILE			*f;
	enum text_sink		 sink;
	int			 lang;
	const struct backend	*b;
	const struct form_opts	*o;
	const struct config_office *office;
	const struct incident	*inc;
	int			 n;		/* items written by a walk */
	int			 by_correlation;
	int64_t			 ended;		/* resolved or closed at */
};

static void
raw(struct out *o, const char *s)
{
	(void)fputs(s, o->f);
}

static void
put(struct out *o, const char *s)
{
	(void)text_write(o->f, s, strlen(s), o->sink);
}

static const char *
w(const struct out *o, enum word k)
{
	return words[k][o->lang];
}

/* "25/11/2026 08:15 (UTC+0700)" in the local time zone; "" for 0. */
static void
fmt_time(char *out, size_t len, int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	out[0] = '\0';
	if (t != 0 && localtime_r(&tt, &tm) != NULL)
		(void)strftime(out, len, "%d/%m/%Y %H:%M (UTC%z)", &tm);
}

/* "Label: value", or "Label: ......" when value is NULL or "". */
static void
field(struct out *o, enum word k, const char *value)
{
	o->b->label(o, w(o, k));
	if (value != NULL && value[0] != '\0')
		put(o, value);
	else
		o->b->blank(o);
	o->b->value_end(o);
}

/* A line of its own: value, or a line to fill. */
static void
line(struct out *o, const char *value)
{
	o->b->item(o);
	if (value != NULL && value[0] != '\0')
		put(o, value);
	else
		o->b->blank(o);
	o->b->value_end(o);
}

static void
line_time(struct out *o, int64_t t)
{
	char	buf[64];

	fmt_time(buf, sizeof(buf), t);
	line(o, buf);
}

static void
field_time(struct out *o, enum word k, int64_t t)
{
	char	buf[64];

	fmt_time(buf, sizeof(buf), t);
	field(o, k, buf);
}

static void
check(struct out *o, int on, const char *label, int blank_after)
{
	o->b->check(o, on);
	put(o, label);
	if (blank_after) {
		raw(o, ": ");
		o->b->blank(o);
	}
	o->b->value_end(o);
}

/* ---- HTML ---- */

static void
html_begin(struct out *o, const char *title)
{
	raw(o, "<!DOCTYPE html>\n<html lang=\"");
	raw(o, o->lang == FORM_VI ? "vi" : "en");
	raw(o, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'\">\n<title>");
	put(o, title);
	raw(o, "</title>\n<style>\n"
	    "@page { size: A4; margin: 20mm 15mm 20mm 30mm; }\n"
	    "body { font-family: \"Times New Roman\", serif; font-size: 13pt;"
	    " line-height: 1.35; color: #000; background: #fff;"
	    " max-width: 165mm; margin: 0 auto; }\n"
	    "h1 { font-size: 14pt; text-align: center; margin: 12pt 0 0; }\n"
	    "h2 { font-size: 13pt; margin: 10pt 0 2pt;"
	    " page-break-after: avoid; }\n"
	    "p { margin: 2pt 0; }\n"
	    ".form { text-align: right; font-style: italic; }\n"
	    ".head { width: 100%; border-collapse: collapse; }\n"
	    ".head td { width: 50%; text-align: center; vertical-align: top; }\n"
	    ".fill { display: inline-block; min-width: 55%;"
	    " border-bottom: 1px dotted #000; }\n"
	    ".box { font-family: \"DejaVu Sans\", sans-serif; }\n"
	    ".sign { width: 45%; margin: 18pt 0 0 auto; text-align: center;"
	    " page-break-inside: avoid; }\n"
	    "@media print { a { color: #000; text-decoration: none; } }\n"
	    "</style>\n</head>\n<body>\n");
}

static void
html_end(struct out *o)
{
	raw(o, "</body>\n</html>\n");
}

/* "……, ngày 25 tháng 11 năm 2026" (the place left to write), or
 * "……, 2026-11-25". */
static void
place_date(struct out *o)
{
	struct tm	tm;
	time_t		t = (time_t)o->o->now;
	char		buf[64];

	buf[0] = '\0';
	if (localtime_r(&t, &tm) != NULL)
		(void)strftime(buf, sizeof(buf), o->lang == FORM_VI ?
		    "ngày %d tháng %m năm %Y" : "%Y-%m-%d", &tm);
	o->b->blank(o);
	raw(o, ", ");
	put(o, buf);
}

static void
html_header(struct out *o)
{
	raw(o, "<p class=\"form\">");
	put(o, w(o, o->o->final ? W_FORM04 : W_FORM03));
	raw(o, "<br>");
	put(o, w(o, W_CIRCULAR));
	raw(o, "</p>\n<table class=\"head\"><tr><td><b>");
	if (o->office->name[0] != '\0')
		put(o, o->office->name);
	else
		o->b->blank(o);
	raw(o, "</b><br>");
	put(o, w(o, W_NUMBER));
	raw(o, ": ");
	o->b->blank(o);
	raw(o, "</td><td><b>");
	put(o, w(o, W_COUNTRY));
	raw(o, "</b><br><u>");
	put(o, w(o, W_MOTTO));
	raw(o, "</u><br><i>");
	place_date(o);
	raw(o, "</i></td></tr></table>\n<h1>");
	put(o, w(o, o->o->final ? W_TITLE04 : W_TITLE03));
	raw(o, "</h1>\n");
}

static void
html_section(struct out *o, int n, enum word k)
{
	fprintf(o->f, "<h2>%d. ", n);
	put(o, w(o, k));
	raw(o, "</h2>\n");
}

static void
html_item(struct out *o)
{
	raw(o, "<p>");
}

static void
html_label(struct out *o, const char *label)
{
	raw(o, "<p>");
	put(o, label);
	raw(o, ": ");
}

static void
html_value_end(struct out *o)
{
	raw(o, "</p>\n");
}

static void
html_blank(struct out *o)
{
	raw(o, "<span class=\"fill\">&nbsp;</span>");
}

static void
html_check(struct out *o, int on)
{
	raw(o, on ? "<p><span class=\"box\">&#x2612;</span> " :
	    "<p><span class=\"box\">&#x2610;</span> ");
}

static void
html_sign(struct out *o, const char *name)
{
	raw(o, "<div class=\"sign\"><b>");
	put(o, w(o, W_SIGN));
	raw(o, "</b><br><i>");
	put(o, w(o, W_SIGN_NOTE));
	raw(o, "</i><br><br><br><br>");
	if (name[0] != '\0')
		put(o, name);
	raw(o, "</div>\n");
}

static const struct backend html = {
	html_begin, html_end, html_header, html_section, html_item, html_label,
	html_value_end, html_blank, html_check, html_sign,
};

/* ---- Markdown ---- */

static void
md_begin(struct out *o, const char *title)
{
	(void)o;
	(void)title;
}

static void
md_end(struct out *o)
{
	(void)o;
}

static void
md_header(struct out *o)
{
	raw(o, "*");
	put(o, w(o, o->o->final ? W_FORM04 : W_FORM03));
	raw(o, ": ");
	put(o, w(o, W_CIRCULAR));
	raw(o, "*\n\n**");
	if (o->office->name[0] != '\0')
		put(o, o->office->name);
	else
		o->b->blank(o);
	raw(o, "**  \n");
	put(o, w(o, W_NUMBER));
	raw(o, ": ");
	o->b->blank(o);
	raw(o, "\n\n**");
	put(o, w(o, W_COUNTRY));
	raw(o, "**  \n");
	put(o, w(o, W_MOTTO));
	raw(o, "  \n*");
	place_date(o);
	raw(o, "*\n\n# ");
	put(o, w(o, o->o->final ? W_TITLE04 : W_TITLE03));
	raw(o, "\n\n");
}

static void
md_section(struct out *o, int n, enum word k)
{
	fprintf(o->f, "\n## %d. ", n);
	put(o, w(o, k));
	raw(o, "\n\n");
}

static void
md_item(struct out *o)
{
	raw(o, "- ");
}

static void
md_label(struct out *o, const char *label)
{
	raw(o, "- **");
	put(o, label);
	raw(o, ":** ");
}

static void
md_value_end(struct out *o)
{
	raw(o, "\n");
}

static void
md_blank(struct out *o)
{
	raw(o, BLANK);
}

static void
md_check(struct out *o, int on)
{
	raw(o, on ? "- ☒ " : "- ☐ ");
}

static void
md_sign(struct out *o, const char *name)
{
	raw(o, "\n**");
	put(o, w(o, W_SIGN));
	raw(o, "**  \n*");
	put(o, w(o, W_SIGN_NOTE));
	raw(o, "*  \n");
	if (name[0] != '\0')
		put(o, name);
	raw(o, "\n");
}

static const struct backend markdown = {
	md_begin, md_end, md_header, md_section, md_item, md_label,
	md_value_end,
	md_blank, md_check, md_sign,
};

/* ---- the register's lists ---- */

static int
agent_item(void *arg, const struct incident_agent *a)
{
	struct out	*o = arg;

	o->b->label(o, a->name);
	put(o, a->office);
	o->b->value_end(o);
	o->n++;
	return 0;
}

/* ip and domain indicators (arg: which), or the rest. */
struct ind_walk {
	struct out	*o;
	int		 addresses;
};

static int
indicator_item(void *arg, const struct incident_indicator *x)
{
	struct ind_walk	*iw = arg;
	struct out	*o = iw->o;
	int		 addr = strcmp(x->kind, "ip") == 0 ||
			    strcmp(x->kind, "domain") == 0;
	char		 n[32];

	if (addr != iw->addresses)
		return 0;
	o->b->label(o, x->kind);
	put(o, x->value);
	snprintf(n, sizeof(n), " (%" PRIu64 ")", x->count);
	put(o, n);
	o->b->value_end(o);
	o->n++;
	return 0;
}

static int
note_item(void *arg, const struct incident_note *x)
{
	struct out	*o = arg;
	char		 t[64];

	fmt_time(t, sizeof(t), x->time);
	o->b->label(o, t);
	put(o, x->author);
	raw(o, ": ");
	put(o, x->text);
	o->b->value_end(o);
	o->n++;
	return 0;
}

/* Who opened it, and when it was last resolved or closed. */
static int
audit_item(void *arg, const struct audit_entry *e)
{
	struct out	*o = arg;

	if (strcmp(e->action, "open") == 0 &&
	    strcmp(e->actor, "correlate") == 0)
		o->by_correlation = 1;
	if (strcmp(e->action, "resolve") == 0 ||
	    strcmp(e->action, "merge") == 0 ||
	    (strcmp(e->action, "status") == 0 && e->detail != NULL &&
	    strstr(e->detail, "\"closed\"") != NULL))
		o->ended = e->time;
	return 0;
}

/* ---- the sections both forms share ---- */

static void
sec_reporter(struct out *o, int n)
{
	const struct config_office	*c = o->office;

	o->b->section(o, n, W_S_REPORTER);
	field(o, W_ORG, c->name);
	field(o, W_ADDRESS, c->address);
	field(o, W_PHONE, c->phone);
	field(o, W_EMAIL, c->email);
	field(o, W_CONTACT, c->contact);
	field(o, W_POSITION, c->contact_position);
	field(o, W_PHONE, c->contact_phone);
	field(o, W_EMAIL, c->contact_email);
}

static int
sec_system(struct out *o, struct store *st, int n)
{
	const struct config_office	*c = o->office;
	char				 lv[8];
	int				 k, rc;

	o->b->section(o, n, W_S_SYSTEM);
	field(o, W_OWNER, c->owner);
	field(o, W_OPERATOR, c->operator_);
	field(o, W_SYSNAME, c->system);
	o->b->label(o, w(o, W_LEVEL));
	o->b->value_end(o);
	for (k = 1; k <= 5; k++) {
		snprintf(lv, sizeof(lv), "%d", k);
		check(o, c->security_level == k, lv, 0);
	}
	o->b->label(o, w(o, W_AFFECTED));
	o->b->value_end(o);
	o->n = 0;
	if ((rc = incident_agents_each(st, o->inc->id, agent_item, o)) != 0)
		return rc;
	if (o->n == 0)
		line(o, NULL);
	return 0;
}

static void
sec_summary(struct out *o, int n, int impact)
{
	const struct incident		*i = o->inc;
	const struct taxonomy_category	*cat = taxonomy_category(i->category);
	char				 buf[256], a[64], b[64];

	o->b->section(o, n, W_S_SUMMARY);
	field(o, W_SUMMARY, i->title);
	field(o, W_CATEGORY, cat == NULL ? i->category :
	    o->lang == FORM_VI ? cat->vi : cat->en);
	snprintf(buf, sizeof(buf), "%s (TLP:%s)", o->lang == FORM_VI ?
	    VI(sev_vi, i->severity) : taxonomy_severity_name(i->severity),
	    taxonomy_tlp_name(i->tlp));
	field(o, W_SEVERITY, buf);
	snprintf(buf, sizeof(buf), "%" PRIu64, i->alerts);
	field(o, W_ALERTS, buf);
	fmt_time(a, sizeof(a), i->first_seen);
	fmt_time(b, sizeof(b), i->last_seen);
	if (i->first_seen != 0) {
		snprintf(buf, sizeof(buf), "%s / %s", a, b);
		field(o, W_SEEN, buf);
	}
	if (impact)
		field(o, W_IMPACT, NULL);
}

static const char *
status_word(const struct out *o)
{
	return o->lang == FORM_VI ? VI(status_vi, o->inc->status) :
	    taxonomy_status_name(o->inc->status);
}

static int
handled(const struct incident *i)
{
	return i->status == ST_RESOLVED || i->status == ST_CLOSED;
}

/* The export the form names: its file and the command that makes it. */
static void
sec_attachments(struct out *o, int n)
{
	const struct incident	*i = o->inc;
	char			 file[64], since[32], until[32], cmd[256];
	int64_t			 from = i->first_seen ? i->first_seen :
				    i->created;
	int64_t			 to = i->last_seen > from ? i->last_seen :
				    from;
	struct tm		 tm;
	time_t			 t;

	form_attachment_name(file, sizeof(file), i->id);
	t = (time_t)from;
	(void)strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime_r(&t, &tm));
	t = (time_t)(to + 1);
	(void)strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime_r(&t, &tm));
	snprintf(cmd, sizeof(cmd), "vigil-collector export --since %s "
	    "--until %s --format csv -o %s", since, until, file);
	o->b->section(o, n, W_S_ATTACH);
	o->b->label(o, w(o, W_ATTACH_EV));
	put(o, file);
	raw(o, " (");
	put(o, w(o, W_MADE_BY));
	raw(o, ": ");
	put(o, cmd);
	raw(o, ")");
	o->b->value_end(o);
	field(o, W_OTHER, NULL);
}

static int
sec_public(struct out *o, struct store *st, int n)
{
	const struct config_list	*l = &o->office->public;
	struct ind_walk			 iw = { o, 1 };
	int				 k, rc;

	o->b->section(o, n, W_S_PUBLIC);
	o->b->label(o, w(o, W_PUBLIC_SYS));
	o->b->value_end(o);
	for (k = 0; k < l->n; k++)
		line(o, l->item[k]);
	if (l->n == 0)
		line(o, NULL);
	o->b->label(o, w(o, W_PUBLIC_INC));
	o->b->value_end(o);
	for (iw.addresses = 1; iw.addresses >= 0; iw.addresses--) {
		if (!iw.addresses) {
			o->b->label(o, w(o, W_OTHER_IND));
			o->b->value_end(o);
		}
		o->n = 0;
		if ((rc = incident_indicators_each(st, o->inc->id,
		    indicator_item, &iw)) != 0)
			return rc;
		if (o->n == 0)
			line(o, NULL);
	}
	return 0;
}

/* ---- the forms ---- */

static int
form03(struct out *o, struct store *st)
{
	const struct incident		*i = o->inc;
	const struct config_office	*c = o->office;
	char				 buf[256];
	int				 rc;

	sec_reporter(o, 1);
	if ((rc = sec_system(o, st, 2)) != 0)
		return rc;
	sec_summary(o, 3, 1);
	o->b->section(o, 4, W_DETECTED);
	line_time(o, i->created);
	o->b->section(o, 5, W_S_STATUS);
	check(o, handled(i), w(o, W_HANDLED), 0);
	check(o, !handled(i), w(o, W_NOT_HANDLED), 0);
	field(o, W_REG_STATUS, status_word(o));
	o->b->section(o, 6, W_S_METHOD);
	check(o, o->by_correlation, w(o, W_IDS), 0);
	check(o, 0, w(o, W_LOGS), 0);
	check(o, 0, w(o, W_NOTIFIED_BY), 1);
	check(o, 0, w(o, W_OTHER), 1);
	o->b->section(o, 7, W_S_NOTIFIED);
	if (i->reported_at != 0) {
		fmt_time(buf, sizeof(buf), i->reported_at);
		o->b->label(o, i->reported_to[0] ? i->reported_to : "-");
		put(o, buf);
		o->b->value_end(o);
	}
	line(o, NULL);
	o->b->section(o, 8, W_S_OS);
	field(o, W_OS, c->os);
	field(o, W_SERVICES, c->services);
	o->b->section(o, 9, W_S_MEASURES);
	line(o, c->measures);
	if ((rc = sec_public(o, st, 10)) != 0)
		return rc;
	sec_attachments(o, 11);
	o->b->section(o, 12, W_S_SUPPORT);
	line(o, NULL);
	o->b->section(o, 13, W_REPORT_TIME);
	line_time(o, o->o->now);
	return 0;
}

static int
form04(struct out *o, struct store *st)
{
	const struct incident	*i = o->inc;
	int			 rc;

	sec_reporter(o, 1);
	if ((rc = sec_system(o, st, 2)) != 0)
		return rc;
	sec_summary(o, 3, 0);
	field_time(o, W_DETECTED, i->created);
	field_time(o, W_INITIAL_AT, i->reported_at);
	o->b->section(o, 4, W_S_HANDLING);
	field(o, W_ASSIGNEE, i->assignee);
	o->b->label(o, w(o, W_NONE_YET));
	o->b->value_end(o);
	o->n = 0;
	if ((rc = incident_notes_each(st, i->id, note_item, o)) != 0)
		return rc;
	line(o, NULL);
	o->b->section(o, 5, W_S_OUTCOME);
	field(o, W_REG_STATUS, status_word(o));
	if (i->resolution != RES_NONE) {
		field(o, W_RESOLUTION, o->lang == FORM_VI ?
		    VI(res_vi, i->resolution) :
		    taxonomy_resolution_name(i->resolution));
	} else
		field(o, W_RESOLUTION, NULL);
	field(o, W_REASON, i->reason);
	o->b->section(o, 6, W_S_DAMAGE);
	line(o, NULL);
	o->b->section(o, 7, W_S_LESSONS);
	line(o, NULL);
	o->b->section(o, 8, W_S_PROPOSALS);
	line(o, NULL);
	o->b->section(o, 9, W_ENDED);
	line_time(o, handled(i) || i->merged_into ? o->ended : 0);
	sec_attachments(o, 10);
	o->b->section(o, 11, W_REPORT_TIME);
	line_time(o, o->o->now);
	return 0;
}

/* The lines above the form: to whom, the suggested subject. */
static void
preamble(struct out *o)
{
	const struct config_office	*c = o->office;
	char				 buf[512], id[32];

	o->b->label(o, w(o, W_TO));
	if (c->governing_body[0] == '\0' && c->coordinator[0] == '\0')
		o->b->blank(o);
	put(o, c->governing_body);
	if (c->governing_body[0] != '\0' && c->coordinator[0] != '\0')
		raw(o, "; ");
	put(o, c->coordinator);
	o->b->value_end(o);
	snprintf(id, sizeof(id), "%" PRId64, o->inc->id);
	field(o, W_REGISTER, id);
	snprintf(buf, sizeof(buf), "[TBSC] %s - %s - %s %s: %s",
	    w(o, o->o->final ? W_TITLE04 : W_TITLE03),
	    c->name[0] ? c->name : "...", o->lang == FORM_VI ? "sự cố" :
	    "incident", id, o->inc->title);
	field(o, W_SUBJECT, buf);
}

void
form_attachment_name(char *out, size_t len, int64_t id)
{
	(void)snprintf(out, len, "vigil-incident-%" PRId64 "-events.csv", id);
}

int
form_write(FILE *f, struct store *st, int64_t id,
    const struct config_office *office, const struct form_opts *opts)
{
	struct incident	i;
	struct out	o = { .f = f, .o = opts, .office = office, .inc = &i,
			    .lang = opts->lang == FORM_EN ? 1 : 0 };
	int		rc;

	if ((rc = incident_get(st, &i, id)) != 0)
		return rc;
	if ((rc = audit_each(st, id, audit_item, &o)) != 0)
		return rc;
	o.b = opts->format == FORM_MD ? &markdown : &html;
	o.sink = opts->format == FORM_MD ? TEXT_MD : TEXT_HTML;
	o.b->begin(&o, w(&o, opts->final ? W_TITLE04 : W_TITLE03));
	o.b->header(&o);
	preamble(&o);
	rc = opts->final ? form04(&o, st) : form03(&o, st);
	if (rc != 0)
		return rc;
	o.b->sign(&o, office->contact);
	o.b->end(&o);
	return ferror(f) ? ERR_IO : 0;
}
