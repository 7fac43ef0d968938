#!/usr/bin/env bash
# Full scan of a generated tree: `vigil-agent scan` against `yara -r -p 2`
# (same libyara, same rules, same tree, same run), issue 4's target being
# "at least as fast, with the same matches", and the agent's peak RSS
# (target under 64 MB); then the warm rescan of the unchanged tree,
# `vigil-agent scan --cache FILE` after one full scan has filled FILE,
# against the same `yara -r` runs (target: at least 20 times faster).
#
#   tests/bench/scan.sh [BUILD_DIR]
#   TREE=DIR tests/bench/scan.sh          # any tree, e.g. tests/bench/corpus.sh's
#
# BUILD_DIR defaults to build-bench (a Release build is made if missing).
# Environment:
#   TREE        the tree to scan; default: the generated one below
#   BENCH_DIR   where the tree is generated (default /tmp/vigil-bench-scan;
#               kept between runs: generating it is the slow part)
#   FILES, MB   tree size (default 20000 files, about 2000 MB)
#   RUNS        runs per tool, the median is reported (default 3)
#   RULES_BIG   a second rule set to run the same comparison with, e.g. a
#               signature-base checkout's yara/ folder (never committed)
#   AGENT       the command to benchmark, global options included (default
#               "BUILD_DIR/vigil-agent --data-dir TMP": with a data folder,
#               the command keeps compiled rules in it, as the daemon does)
#   COLD        1: drop the page cache before every run (root only; the
#               default when /proc/sys/vm/drop_caches is writable), 0: warm,
#               both: the whole comparison cold, then warm
#
# The tree is deterministic (seeded generator): FILES files of 1 KB to
# 4 MB (80% up to 64 KB, 18.5% up to 1 MB, 1.5% up to 4 MB), a third text
# (prose, HTML, scripts with the words rules look for in harmless
# places), a third binary (random, zero runs, MZ/PE, ZIP and PDF headers),
# the rest mixed, in 200 folders two levels deep; plus every harmless
# sample of tests/tools/scan_samples.h planted in a few places. Wall time
# and peak RSS come from a small Python wrapper (wait4 rusage of the
# child). Matches are compared as sorted (rule, path) pairs; rules that
# read the external variables (filename, filepath, ...) are left out of
# the comparison, since yara gets fixed values for them with -d.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
B=${1:-build-bench}
D=${BENCH_DIR:-/tmp/vigil-bench-scan}
FILES=${FILES:-20000}
MB=${MB:-2000}
RUNS=${RUNS:-3}
if [ ! -x "$B/vigil-agent" ] || [ ! -x "$B/tests/vigil-scan-samples" ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$B" -j"$(nproc)" >/dev/null
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -m 0700 "$W/agent"
AGENT=${AGENT:-$B/vigil-agent --data-dir $W/agent}
if [ -z "${COLD:-}" ]; then
	COLD=0
	[ -w /proc/sys/vm/drop_caches ] && COLD=1
fi
command -v yara >/dev/null || { echo "the yara command is needed" >&2; exit 1; }
YARA_VARS=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)

# ---- the tree ----
STAMP="files=$FILES mb=$MB gen=2"
if [ -n "${TREE:-}" ]; then
	[ -d "$TREE" ] || { echo "TREE=$TREE: no such folder" >&2; exit 1; }
	T=$(cd "$TREE" && pwd)
elif [ "$(cat "$D/.stamp" 2>/dev/null)" != "$STAMP" ]; then
	echo "generating $FILES files, about $MB MB, in $D/tree ..."
	rm -rf "$D"
	mkdir -p "$D/tree"
	python3 - "$D/tree" "$FILES" "$MB" <<'EOF'
import os, random, sys
root, nfiles, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(20261125)
# pools, sliced at random offsets (fast, and varied enough for a scanner)
binpool = rng.randbytes(8 << 20)
words = ("the of and to in is that for it as was with be by on not he this "
         "are or his from at which but have an they you were her she there "
         "been one all would will their we more if has so what up out about "
         "invoice report budget meeting commune office ward citizen land tax "
         "school health road water market family farm rice price total date").split()
# words the default rules look for, rare as in real office files
triggers = ("eval request shell encrypted decrypt bitcoin open autorun script "
            "powershell download object stream http document macro").split()
def word():
    return rng.choice(triggers) if rng.random() < 0.002 else rng.choice(words)
lines = []
for i in range(40000):
    k = rng.randint(4, 16)
    lines.append(" ".join(word() for _ in range(k)).capitalize() + ".")
snippets = [
    "<?php echo htmlspecialchars($_GET['q']); ?>",
    "<script>var x = document.getElementById('a');</script>",
    "Set fso = CreateObject(\"Scripting.FileSystemObject\")",
    "powershell -ExecutionPolicy Bypass -File backup.ps1",
    "Invoke-WebRequest https://example.org/a.zip -OutFile a.zip",
    "[autorun]\r\nicon=drive.ico",
    "function eval_score(x) { return x * 2; }",
]
textpool = "\n".join(lines + snippets * 10).encode()
def text(n):
    out = bytearray()
    while len(out) < n:
        o = rng.randrange(len(textpool) - 65536)
        out += textpool[o:o + rng.randint(4096, 65536)]
    return bytes(out[:n])
def binary(n):
    out = bytearray()
    kind = rng.random()
    if kind < 0.3:
        hdr = bytearray(1024); hdr[0:2] = b"MZ"; hdr[0x3c:0x40] = (0x100).to_bytes(4, "little")
        hdr[0x100:0x104] = b"PE\0\0"; out += hdr
    elif kind < 0.45:
        out += b"PK\x03\x04\x14\x00\x06\x00" + b"\0" * 22 + b"word/document.xml"
    elif kind < 0.55:
        out += b"%PDF-1.7\n"
    while len(out) < n:
        if rng.random() < 0.2:
            out += b"\0" * rng.randint(512, 65536)
        else:
            o = rng.randrange(len(binpool) - 65536)
            out += binpool[o:o + rng.randint(1024, 65536)]
    return bytes(out[:n])
def size():
    r = rng.random()
    lo, hi = (1 << 10, 64 << 10) if r < 0.80 else (64 << 10, 1 << 20) if r < 0.985 else (1 << 20, 4 << 20)
    return int(lo * (hi / lo) ** rng.random())
sizes = [size() for _ in range(nfiles)]
scale = mb * 1e6 / sum(sizes)
exts = {"t": [".txt", ".html", ".csv", ".php", ".js", ".ps1", ".xml"],
        "b": [".exe", ".dll", ".bin", ".jpg", ".docx", ".pdf", ".zip"],
        "m": [".doc", ".pdf", ".dat", ".log"]}
total = 0
for i, sz in enumerate(sizes):
    sz = max(1024, min(4 << 20, int(sz * scale)))
    d = os.path.join(root, "d%02d" % (i % 20), "s%02d" % (i // 20 % 10))
    os.makedirs(d, exist_ok=True)
    r = rng.random()
    kind = "t" if r < 0.34 else "b" if r < 0.67 else "m"
    if kind == "t":
        data = text(sz)
    elif kind == "b":
        data = binary(sz)
    else:
        h = sz // 2
        data = binary(h) + text(sz - h)
    with open(os.path.join(d, "f%05d%s" % (i, rng.choice(exts[kind]))), "wb") as f:
        f.write(data)
    total += len(data)
print("%d files, %.0f MB" % (nfiles, total / 1e6))
EOF
	"$B/tests/vigil-scan-samples" "$D/tree/planted" >/dev/null
	for s in d03/s04 d11/s07 d19/s01; do
		"$B/tests/vigil-scan-samples" "$D/tree/$s/x" >/dev/null
	done
	echo "$STAMP" >"$D/.stamp"
fi
T=${T:-$D/tree}
NF=$(find "$T" -type f | wc -l)
SZ=$(du -sm "$T" | cut -f1)
echo "tree: $T, $NF files, $SZ MB; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- running ----
# run_one OUT ERR CMD...: prints "wall_s peak_rss_kb exit_status cpu_s"
run_one() {
	local out=$1 err=$2
	shift 2
	if [ "$COLD" = 1 ]; then
		sync
		echo 3 >/proc/sys/vm/drop_caches
	fi
	python3 - "$out" "$err" "$@" <<'EOF'
import os, resource, subprocess, sys, time
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
with open(out, "wb") as o, open(err, "wb") as e:
    p = subprocess.Popen(cmd, stdout=o, stderr=e)
    _, status, ru = os.wait4(p.pid, 0)
print("%.3f %d %d %.2f" % (time.monotonic() - t, ru.ru_maxrss,
    os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime))
EOF
}

# median wall time (and that run's CPU time), largest RSS, any failure
summarize() { sort -n | awk '{w[NR]=$1; c[NR]=$4; if ($2>r) r=$2; if ($3!=0) bad=1} END {m=int((NR+1)/2); printf "%.2f %d %d %.2f", w[m], r, bad+0, c[m]}'; }

# Rules that read the external variables: yara sees them empty.
ext_rules() {
	python3 - "$@" <<'EOF'
import re, sys
for f in sys.argv[1:]:
    t = open(f, encoding="latin-1").read()
    parts = re.split(r"(?m)^\s*(?:(?:private|global)\s+)*rule\s+(\w+)", t)
    for name, body in zip(parts[1::2], parts[2::2]):
        cond = body.split("condition:", 1)[-1]
        if re.search(r"\b(filename|filepath|extension|filetype|owner)\b", cond):
            print(name)
EOF
}

pairs() {	# "RULE PATH" lines minus the excluded rules, sorted
	LC_ALL=C awk 'NR==FNR {x[$1]=1; next} !($1 in x)' "$1" - | LC_ALL=C sort
}

report() {	# LABEL "wall rss rc cpu" lines
	local w r bad c
	read -r w r bad c <<<"$(printf '%s' "$2" | summarize)"
	printf '  %-26s %7.2f s  (CPU %6.2f s)  peak RSS %4d MB  %s\n' "$1" "$w" "$c" \
		$((r / 1024)) "$([ "$bad" = 0 ] && echo "exit 0" || echo "FAILED")"
	echo "$w $r" >"$W/last"
}

compare() {	# NAME RULEDIR: the tools, RUNS times each, interleaved
	local name=$1 rules=$2 i r_src="" r_bin="" r_ours="" r_warm="" files ws wb wo ro ww rw
	files=$(find "$rules" -maxdepth 1 \( -name '*.yar' -o -name '*.yara' \) | LC_ALL=C sort)
	# shellcheck disable=SC2086
	ext_rules $files >"$W/ext.txt"
	# yara from source compiles at each run; yara -C loads what yarac
	# compiled; the agent compiles at its first run and, when it is given
	# a cache folder, loads the compiled rules afterwards: the first run
	# (on the planted samples only) is not measured
	# shellcheck disable=SC2086
	yarac -w "${YARA_VARS[@]}" $files "$W/rules.yarc"
	# shellcheck disable=SC2086
	$AGENT scan --rules "$rules" /dev/null >/dev/null 2>&1 || true
	# the scan cache for the warm rescans: filled by one full scan
	rm -f "$W/scan.db"
	# shellcheck disable=SC2086
	$AGENT scan --rules "$rules" --threads 2 --cache "$W/scan.db" "$T" >/dev/null 2>&1 || true
	for ((i = 0; i < RUNS; i++)); do
		# shellcheck disable=SC2086
		r_src+="$(run_one "$W/yara.out" "$W/yara.err" yara -r -N -w -p 2 \
			"${YARA_VARS[@]}" $files "$T")"$'\n'
		r_bin+="$(run_one "$W/yarac.out" "$W/yarac.err" yara -C -r -N -w -p 2 \
			"${YARA_VARS[@]}" "$W/rules.yarc" "$T")"$'\n'
		# shellcheck disable=SC2086
		r_ours+="$(run_one "$W/ours.out" "$W/ours.err" $AGENT scan \
			--rules "$rules" --threads 2 "$T")"$'\n'
		# shellcheck disable=SC2086
		r_warm+="$(run_one "$W/warm.out" "$W/warm.err" $AGENT scan \
			--rules "$rules" --threads 2 --cache "$W/scan.db" "$T")"$'\n'
	done
	printf '%s rules (%s files; %s rules read the external variables: left out of the comparison); page cache %s; load average now %s\n' \
		"$name" "$(echo "$files" | wc -l)" "$(wc -l <"$W/ext.txt")" \
		"$([ "$COLD" = 1 ] && echo "dropped before each run (cold)" || echo "kept (warm)")" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
	report "yara -r -p 2 (source)" "$r_src"; read -r ws _ <"$W/last"
	report "yara -C -r -p 2 (yarac)" "$r_bin"; read -r wb _ <"$W/last"
	report "vigil-agent scan -r" "$r_ours"; read -r wo ro <"$W/last"
	report "vigil-agent scan --cache (warm)" "$r_warm"; read -r ww rw <"$W/last"
	printf '  ratio yara/vigil: %.2f (source), %.2f (compiled); >= 1: vigil at least as fast\n' \
		"$(awk -v a="$ws" -v b="$wo" 'BEGIN {print a / b}')" \
		"$(awk -v a="$wb" -v b="$wo" 'BEGIN {print a / b}')"
	# run by run: each vigil run beside the yara runs just before it
	printf '  run by run, wall yara/vigil (source, compiled): %s; CPU: %s\n' \
		"$(paste -d' ' <(printf '%s' "$r_src") <(printf '%s' "$r_bin") <(printf '%s' "$r_ours") |
			awk '{printf "%s%.2f, %.2f", (NR > 1 ? "; " : ""), $1 / $9, $5 / $9}')" \
		"$(paste -d' ' <(printf '%s' "$r_src") <(printf '%s' "$r_bin") <(printf '%s' "$r_ours") |
			awk '{printf "%s%.2f, %.2f", (NR > 1 ? "; " : ""), $4 / $12, $8 / $12}')"
	printf '  warm rescan, ratio yara/vigil: %.1f (source), %.1f (compiled); target >= 20\n' \
		"$(awk -v a="$ws" -v b="$ww" 'BEGIN {print a / b}')" \
		"$(awk -v a="$wb" -v b="$ww" 'BEGIN {print a / b}')"
	pairs "$W/ext.txt" <"$W/yara.out" >"$W/yara.pairs"
	pairs "$W/ext.txt" <"$W/yarac.out" >"$W/yarac.pairs"
	pairs "$W/ext.txt" <"$W/ours.out" >"$W/ours.pairs"
	pairs "$W/ext.txt" <"$W/warm.out" >"$W/warm.pairs"
	local same=yes nm
	cmp -s "$W/yara.pairs" "$W/ours.pairs" && cmp -s "$W/yarac.pairs" "$W/ours.pairs" &&
		cmp -s "$W/warm.pairs" "$W/ours.pairs" || same=NO
	nm=$(wc -l <"$W/ours.pairs")
	printf '  matches compared: %d, the same: %s (all matches: yara %d, vigil %d, vigil warm %d)\n' "$nm" "$same" \
		"$(wc -l <"$W/yara.out")" "$(wc -l <"$W/ours.out")" "$(wc -l <"$W/warm.out")"
	[ "$same" = yes ] || diff "$W/yara.pairs" "$W/ours.pairs" | head -10
	printf '{"rules":"%s","files":%d,"mb":%d,"cold":%d,"runs":%d,"yara_s":%s,"yarac_s":%s,"vigil_s":%s,"vigil_rss_kb":%d,"vigil_warm_s":%s,"vigil_warm_rss_kb":%d,"same_matches":"%s","matches":%d}\n' \
		"$name" "$NF" "$SZ" "$COLD" "$RUNS" "$ws" "$wb" "$wo" "$ro" "$ww" "$rw" "$same" "$nm"
}

MODES=$COLD
[ "$COLD" = both ] && MODES="1 0"
for COLD in $MODES; do
	compare default "$SRC/rules/yara"
	if [ -n "${RULES_BIG:-}" ]; then
		compare "$(basename "$(dirname "$RULES_BIG")")/$(basename "$RULES_BIG")" "$RULES_BIG"
	fi
done
