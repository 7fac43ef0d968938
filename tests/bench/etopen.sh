#!/bin/sh
# etopen.sh: how much of a public Suricata rule set loads, and why the
# rest does not (docs/rules.md has the figure and the set's provenance).
#
#   tests/bench/etopen.sh RULES_DIR [BUILD_DIR]
#
# RULES_DIR holds the *.rules files (e.g. /var/tmp/etopen/rules); never
# put a public rule set into the repository. Prints the enabled rules
# counted by grep, then what `vigil-agent rules check --json` says:
# loaded, skipped, the share, the reasons and the keywords that block
# most rules, and the load time; then the load from the Hyperscan cache
# and the matching rate (bench_rulesload) when that tool is built.
set -eu
dir=${1:?usage: etopen.sh RULES_DIR [BUILD_DIR]}
build=${2:-build}
enabled=$(cat "$dir"/*.rules | grep -cE '^[[:space:]]*(alert|drop|reject|rejectsrc|rejectdst|rejectboth|pass)[[:space:]]')
echo "enabled rules (grep): $enabled"
rc=0
"$build/vigil-agent" rules check --json "$dir" > /tmp/etopen-check.$$ || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "rules check failed ($rc)"; exit 1; }
python3 - "$enabled" /tmp/etopen-check.$$ <<'PY'
import json, sys
enabled = int(sys.argv[1])
d = json.load(open(sys.argv[2]))
tot = d["loaded"] + d["skipped"]
print(f"rules seen: {tot}, loaded: {d['loaded']} ({100*d['loaded']/tot:.1f}%),"
      f" skipped: {d['skipped']}, load {d['load_seconds']:.2f} s")
if tot != enabled:
    print(f"warning: grep counted {enabled}")
print("by reason:", ", ".join(f"{k} {v}" for k, v in
      sorted(d["skipped_by_reason"].items(), key=lambda x: -x[1])))
print("keywords:", ", ".join(f"{k} {v}" for k, v in
      sorted(d["skipped_by_keyword"].items(), key=lambda x: -x[1])[:20]))
PY
rm -f /tmp/etopen-check.$$
if [ -x "$build/tests/bench_rulesload" ]; then
	cache=$(mktemp -d)
	"$build/tests/bench_rulesload" "$cache" 20000 "$dir"
	rm -rf "$cache"
fi
