# lib.sh: shared setup for the benchmark scripts (sourced, not run).
#
#   bench_build B TOOL...  build directory B (Release) unless each TOOL
#                          (a path under B) is already there
#   bench_tmp              a scratch directory under $BENCH_DIR (default
#                          /var/tmp) in $D, removed with every background
#                          job on exit

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
