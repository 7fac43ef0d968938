#!/usr/bin/env bash
# File integrity: vigil-agent integrity against AIDE 0.18, side by side on
# the same generated tree in one run. Target (issue 4): at least 2x faster
# than aide for both the baseline (aide --init) and the check (aide --check),
# and the same changed paths reported after a few modifications.
#
#   tests/bench/fim.sh [BUILD_DIR] [FILES]
#
# BUILD_DIR defaults to build-bench (a Release build made if missing);
# FILES (default 50000) regular files are generated, deterministically
# (fixed seeds): 1,000 folders, sizes from 200 B to 16 MB (84% under 16 KB,
# 15% up to 512 KB, 0.5% up to 16 MB), about 2.6 GB, plus a symlink per
# 100 files. Both tools read it from the page cache (it was just written):
# the figures compare the programs, not the disk.
#
# Both get the same attributes: SHA-256, size, permissions, owner, group,
# inode, mtime, ctime, symlink target and file type for non-folders;
# type, permissions and owner for folders (vigil reports a folder's
# content as added/removed entries, not as its mtime). aide uses all the
# cores (--workers), as vigil does. Timed: baseline vs aide --init; check of
# the unchanged tree vs aide --check (vigil's default check rehashes only
# files whose metadata changed; aide --check rehashes everything, so
# vigil's check --rehash is timed too); then a check after modifications,
# whose changed paths must be the same for both tools.
#
# FIM_CMD overrides the vigil command ("BUILD_DIR/vigil-agent integrity").
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
N=${2:-50000}
NCPU=$(nproc)

if [ -z "${FIM_CMD:-}" ] && [ ! -x "$B/vigil-agent" ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$B" -j"$NCPU" >/dev/null
fi
read -ra FIM <<<"${FIM_CMD:-$B/vigil-agent integrity}"
if ! "${FIM[@]}" --help >/dev/null 2>&1; then
	echo "fim.sh: '${FIM[*]}' does not run (is 'integrity' in vigil-agent?)" >&2
	exit 1
fi
if ! command -v aide >/dev/null; then
	echo "fim.sh: installing aide" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq aide >/dev/null
fi
command -v python3 >/dev/null || { echo "fim.sh: needs python3" >&2; exit 1; }

D=$(mktemp -d /tmp/fimbench.XXXXXX)
trap 'rm -rf "$D"' EXIT
T=$D/tree

# ---- the tree ----
python3 - "$T" "$N" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
pool = random.Random(1).randbytes(64 << 20)
rnd = random.Random(4)
def size():
    k = rnd.random()
    lo, hi = (200, 16 << 10) if k < 0.845 else \
        (16 << 10, 512 << 10) if k < 0.995 else (1 << 20, 16 << 20)
    return int(lo * (hi / lo) ** rnd.random())
for i in range(n):
    d = os.path.join(root, "d%02d" % (i // 1000 % 50), "s%02d" % (i // 50 % 20))
    if i % 50 == 0:
        os.makedirs(d, exist_ok=True)
    s, off = size(), rnd.randrange(1 << 20)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(b"file %d\n" % i)
        f.write(pool[off:off + s])
    if i % 100 == 99:
        os.symlink("f%05d" % (i - 1), os.path.join(d, "l%05d" % i))
EOF
# Written back now: otherwise the first fsync of either tool waits for
# the tree's 2.6 GB of dirty pages (ext4 data=ordered).
sync
BYTES=$(du -sb "$T" | cut -f1)
ENTRIES=$(find "$T" | wc -l)

cat >"$D/aide.conf" <<EOF
database_in=file:$D/aide.db
database_out=file:$D/aide.db.new
gzip_dbout=no
report_url=stdout
report_level=list_entries
database_attrs=E
log_level=warning
VIGIL = ftype+p+i+u+g+s+m+c+l+sha256
VIGILDIR = ftype+p+u+g
$T f,l,p,c,b,s VIGIL
$T d VIGILDIR
EOF

# Wall and CPU (user + system) seconds of a command: $ELAPSED, $CPU;
# its standard output in $OUT, its exit status in $RC.
OUT=$D/out
run() {
	local u s
	set +e
	{ TIMEFORMAT='%R %U %S'; time "$@" >"$OUT" 2>"$D/err"; } 2>"$D/time"
	RC=$?
	set -e
	read -r ELAPSED u s <"$D/time"
	CPU=$(awk "BEGIN { printf \"%.2f\", $u + $s }")
}
ratio() { awk "BEGIN { printf \"%.1f\", $1 / $2 }"; }
row() {
	printf '| %s | %.2f s | %.2f s | %sx | %.2f s | %.2f s | %sx |\n' "$1" \
	    "$2" "$3" "$(ratio "$3" "$2")" "$4" "$5" "$(ratio "$5" "$4")"
}
fail() { echo "fim.sh: $*" >&2; cat "$D/err" >&2; exit 1; }

AIDE=(aide -c "$D/aide.conf" --workers="$NCPU")
DB=$D/fim.db

run "${FIM[@]}" baseline --db "$DB" "$T"
[ $RC -eq 0 ] || fail "vigil baseline: exit $RC"
VB=$ELAPSED; VB_CPU=$CPU
run "${AIDE[@]}" --init
[ $RC -eq 0 ] || fail "aide --init: exit $RC"
AB=$ELAPSED; AB_CPU=$CPU
mv "$D/aide.db.new" "$D/aide.db"

# Let the files written just before the baseline age past vigil's
# "racily clean" window (3 s), as they would on a real system.
sleep 4
run "${FIM[@]}" check --update --db "$DB" "$T"
[ $RC -eq 0 ] || fail "vigil first check: exit $RC"
run "${FIM[@]}" check --db "$DB" "$T"
[ $RC -eq 0 ] || fail "vigil check (unchanged): exit $RC"
VC=$ELAPSED; VC_CPU=$CPU
run "${FIM[@]}" check --rehash --db "$DB" "$T"
[ $RC -eq 0 ] || fail "vigil check --rehash (unchanged): exit $RC"
VR=$ELAPSED; VR_CPU=$CPU
run "${AIDE[@]}" --check
[ $RC -eq 0 ] || fail "aide --check (unchanged): exit $RC"
AC=$ELAPSED; AC_CPU=$CPU

# ---- modifications: every kind both tools report ----
f() {	# the path of file number $1 (modulo FILES)
	local i=$(($1 % N))
	printf '%s/d%02d/s%02d/f%05d' "$T" $((i / 1000 % 50)) $((i / 50 % 20)) "$i"
}
echo "appended" >>"$(f 123)"			# content and size
printf 'XXXXXXXX' | dd of="$(f 4567)" bs=1 seek=20 conv=notrunc status=none
big=$(find "$T" -type f -size +4M | sort | sed -n 1p)
printf 'YYYYYYYY' | dd of="$big" bs=1 seek=1000 conv=notrunc status=none
touch -r "$(f 2222)" "$D/ref"			# same size, mtime restored
printf 'ZZZZ' | dd of="$(f 2222)" bs=1 seek=9 conv=notrunc status=none
touch -r "$D/ref" "$(f 2222)"
chmod 4755 "$(f 3000)"
chmod 600 "$(f 31000)"
rm "$(f 777)" "$(f 40001)"
echo new >"$(dirname "$(f 500)")/new1"
echo new >"$(dirname "$(f 45000)")/new2"
mkdir "$(dirname "$(f 9000)")/newdir" && echo new >"$(dirname "$(f 9000)")/newdir/x"
ln -sfn f00000 "$(dirname "$(f 199)")/l00199"	# retarget

run "${FIM[@]}" check --json --db "$DB" "$T"
[ $RC -eq 3 ] || fail "vigil check (changed): exit $RC, want 3"
VM=$ELAPSED; VM_CPU=$CPU
python3 -c 'import sys, json
for l in sys.stdin: print(json.loads(l)["integrity"]["path"])' <"$OUT" |
	sort >"$D/vigil.paths"
run "${AIDE[@]}" --check
[ $RC -ne 0 ] && [ $RC -lt 8 ] || fail "aide --check (changed): exit $RC"
AM=$ELAPSED; AM_CPU=$CPU
sed -n 's/^[a-z][^:]*: \(\/.*\)$/\1/p' "$OUT" | sort >"$D/aide.paths"

echo "tree: $N files, $ENTRIES entries, $((BYTES / 1000000)) MB; $NCPU cores;" \
	"aide $(aide --version 2>&1 | head -1 | cut -d' ' -f2) --workers=$NCPU"
echo
echo "| run (aide's) | vigil | aide | aide / vigil | vigil CPU | aide CPU | aide / vigil |"
echo "|---|---|---|---|---|---|---|"
row "baseline (--init)" "$VB" "$AB" "$VB_CPU" "$AB_CPU"
row "check, unchanged tree (--check)" "$VC" "$AC" "$VC_CPU" "$AC_CPU"
row "check --rehash, unchanged (--check)" "$VR" "$AC" "$VR_CPU" "$AC_CPU"
row "check after changes (--check)" "$VM" "$AM" "$VM_CPU" "$AM_CPU"
echo
if cmp -s "$D/vigil.paths" "$D/aide.paths"; then
	echo "same changed paths: yes ($(wc -l <"$D/vigil.paths") paths)"
else
	echo "same changed paths: NO"
	diff "$D/vigil.paths" "$D/aide.paths" | sed 's/^/  /'
	exit 1
fi
