#!/usr/bin/env bash
# A benchmark tree of real content, not of our own shapes: what a commune's
# web server and office PCs hold, taken from Debian 12's own packages.
#
#   tests/bench/corpus.sh DIR
#
# fills DIR/tree (emptied first) and prints its file count, size and mix.
# Nothing of it belongs in the repository.
#
#   web     PHP applications as Debian ships them (WordPress, phpMyAdmin,
#           Roundcube, DokuWiki, Tiny Tiny RSS, Horde), HTML and JavaScript
#           (the Python, PostgreSQL, SQLite, GLib and gnuplot manuals,
#           MathJax, CodeMirror, jQuery UI)
#   office  LibreOffice's templates, galleries and macros, the LaTeX
#           manuals as PDF, spreadsheets (xlsx, xls) and documents (docx,
#           odt) from R, Perl and pandoc packages
#   bin     ELF programs and libraries (LLVM, ICU, Qt, GTK, LibreOffice,
#           Mesa, Python, Perl, GCC, binutils, coreutils) and Windows PE
#           DLLs and programs (Wine's, NSIS's)
#
# Each package is fetched with `apt-get download` into CORPUS_CACHE
# (default /var/tmp/vigil-corpus-debs, kept between runs) and unpacked
# with `dpkg-deb -x`: nothing is installed, no service is started, and the
# tree is the same on any Debian 12 machine with the same archive (the
# versions are written to DIR/packages.txt). `apt-get update` must have
# been run once. Files over 64 MiB (vigil-agent's default --max-size) are
# left out, so that every file is scanned by both tools being compared.
# With SAMPLES=BUILD/tests/vigil-scan-samples, the harmless samples that
# the shipped rules detect are planted in DIR/tree/planted, so that the
# match comparison has something to compare.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
D=$1
CACHE=${CORPUS_CACHE:-/var/tmp/vigil-corpus-debs}
WEB="wordpress phpmyadmin roundcube-core dokuwiki tt-rss php-horde
	python3.11-doc postgresql-doc-15 sqlite3-doc libglib2.0-doc gnuplot-doc
	libjs-mathjax libjs-codemirror libjs-jquery-ui"
OFFICE="libreoffice-common texlive-latex-base-doc r-cran-openxlsx r-cran-readxl
	libspreadsheet-parseexcel-perl pandoc-data python3-docx"
BIN="libwine nsis libllvm14 libicu72 libqt5core5a libqt5gui5 libqt5widgets5
	libgtk-3-0 libreoffice-core libgl1-mesa-dri libpython3.11 libperl5.36
	cpp-12 binutils-x86-64-linux-gnu coreutils"

mkdir -p "$CACHE" "$D"
rm -rf "$D/tree"
: >"$D/packages.txt"
for group in web office bin; do
	case $group in
	web) pkgs=$WEB ;; office) pkgs=$OFFICE ;; bin) pkgs=$BIN ;;
	esac
	for p in $pkgs; do
		deb=$(find "$CACHE" -maxdepth 1 -name "${p}_*.deb" | sort | tail -1)
		if [ -z "$deb" ]; then
			# as root apt warns that its sandbox user cannot write here
			(cd "$CACHE" && apt-get download "$p" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
				{ echo "apt-get download $p failed (run apt-get update?)" >&2; exit 1; }
			deb=$(find "$CACHE" -maxdepth 1 -name "${p}_*.deb" | sort | tail -1)
		fi
		mkdir -p "$D/tree/$group/$p"
		dpkg-deb -x "$deb" "$D/tree/$group/$p"
		basename "$deb" >>"$D/packages.txt"
	done
done
find "$D/tree" -type f -size +65536k -print -delete | sed 's/^/left out (over 64 MiB): /'
find "$D/tree" -type l -delete		# the scanners do not follow them anyway
find "$D/tree" -type d -empty -delete
if [ -n "${SAMPLES:-}" ]; then
	"$SAMPLES" "$D/tree/planted" >/dev/null
fi

python3 - "$D/tree" <<'EOF'
import collections, os, sys
root = sys.argv[1]
kinds = collections.Counter()
sizes = collections.Counter()
def kind(path, name):
    ext = os.path.splitext(name)[1].lower()
    with open(path, "rb") as f:
        head = f.read(8)
    if ext in (".php", ".inc", ".phtml"):
        return "PHP"
    if ext in (".html", ".htm", ".xhtml"):
        return "HTML"
    if ext in (".js", ".mjs"):
        return "JavaScript"
    if ext in (".pdf",):
        return "PDF"
    if ext in (".odt", ".ods", ".odp", ".ott", ".otp", ".ots", ".docx",
               ".xlsx", ".pptx", ".doc", ".xls", ".ppt", ".rtf"):
        return "office (ODF, OOXML, OLE)"
    if head.startswith(b"\x7fELF"):
        return "ELF"
    if head.startswith(b"MZ"):
        return "PE (MZ)"
    if ext in (".css", ".svg", ".xml", ".json", ".txt", ".py", ".pl", ".pm",
               ".xba", ".xsl", ".ui", ".properties", ".md", ".tex", ".r"):
        return "other text"
    if head.startswith((b"\x89PNG", b"GIF8", b"\xff\xd8\xff")):
        return "images"
    if head.startswith((b"\x1f\x8b", b"PK\x03\x04")):
        return "compressed (gz, zip, jar)"
    return "other"
for dp, dn, fn in os.walk(root):
    for n in fn:
        p = os.path.join(dp, n)
        k = kind(p, n)
        kinds[k] += 1
        sizes[k] += os.lstat(p).st_size
n, s = sum(kinds.values()), sum(sizes.values())
print("%s: %d files, %.0f MB" % (root, n, s / 1e6))
for k, c in kinds.most_common():
    print("  %-28s %6d files %8.1f MB" % (k, c, sizes[k] / 1e6))
EOF
echo "packages: $(wc -l <"$D/packages.txt") (versions in $D/packages.txt)"
