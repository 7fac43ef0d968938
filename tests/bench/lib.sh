# lib.sh: shared setup for the benchmark scripts (sourced, not run).
#
#   bench_build B TOOL...  build directory B (Release) unless each TOOL
#                          (a path under B) is already there
#   bench_tmp              a scratch directory under $BENCH_DIR (default
#                          /var/tmp) in $D, removed with every background
#                          job on exit
#   bench_collector        start $C with $D/c.conf and data dir $D/c on
#                          127.0.0.1; sets CPID and ADDR
#   bench_token NAME [OFFICE]  an enrollment token's JSON for NAME
#   bench_field KEY        the hex value of KEY in the JSON on stdin
#   bench_sims N           enroll N simulated agents ($P keys
#                          $D/keys/key0..), offices "Xã 0".."Xã 19"

bench_build() {
	local b=$1 t

	shift
	for t in "$@"; do
		if [ ! -x "$b/$t" ]; then
			cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=Release >/dev/null
			cmake --build "$b" -j"$(nproc)" >/dev/null
			return
		fi
	done
}

bench_tmp() {
	D=$(mktemp -d "${BENCH_DIR:-/var/tmp}/vigil-bench.XXXXXX")
	trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
}

bench_collector() {
	"$C" -c "$D/c.conf" --data-dir "$D/c" --listen 127.0.0.1:0 run \
	    2>"$D/c.log" &
	CPID=$!
	for _ in $(seq 50); do [ -s "$D/c/listen.addr" ] && break; sleep 0.1; done
	ADDR=$(cat "$D/c/listen.addr")
}

bench_token() {
	"$C" -c "$D/c.conf" --data-dir "$D/c" enroll-token --name "$1" \
	    --office "${2:-lab}" --json
}

bench_field() { sed -n "s/.*\"$1\":\"\([0-9a-f]*\)\".*/\1/p"; }

bench_sims() {
	local i j

	mkdir -p "$D/keys"
	for ((i = 0; i < $1; i++)); do
		j=$(bench_token "sim$i" "Xã $((i % 20))")
		"$P" enroll --collector "$ADDR" --key "$D/keys/key$i" \
		    --token "$(bench_field token <<<"$j")" \
		    --fingerprint "$(bench_field fingerprint <<<"$j")" \
		    >/dev/null 2>&1
	done
}
