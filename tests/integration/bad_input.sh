#!/usr/bin/env bash
# A collector under hostile input keeps serving good agents.
#
# Starts a collector on 127.0.0.1 (handshake_timeout 2s), enrolls one good
# key with vigil-peer, then runs every `vigil-peer attack` mode. After each
# attack: vigil-peer saw the collector close every hostile connection, the
# attack stored exactly what it should (one event for replay-frame, else
# none), the log names the peer and the reason, the collector still runs,
# and the good key still delivers 100 events that are stored exactly once.
# Then malformed events (stored as "malformed"), a compressed stream, an
# empty EVENTS message (the link goes on), no duplicates or gaps for the
# good key, no sanitizer report, and a clean exit on SIGTERM. Bounded:
# every command has a timeout, and attacks stop being started after
# BUDGET seconds.
. "$(dirname "$0")/lib.sh"

BUDGET=100
ATTACK_TIMEOUT=10	# vigil-peer's wait for a close, per connection
KEY=$T/good.key
NEXT=1			# the good key's next sequence number

MODES=(random truncated oversize badtype early-data keyreqs wrongkey
    unknownkey badtoken oldts futurets aheadts replay-handshake replay-frame
    reorder badmac badmsg idle slow flood)
# What the collector logs for the connection each attack judges last.
declare -A REASON=(
	[random]='bad record header|unexpected record type|handshake timeout'
	[truncated]='handshake timeout'
	[oversize]='bad record header \(length over the limit\)'
	[badtype]='unexpected record type 6'
	[early-data]='unexpected record type 6'
	[keyreqs]='bad key request'
	[wrongkey]='handshake failed'
	[unknownkey]='unknown agent key'
	[badtoken]='enrollment refused: token unknown'
	[oldts]='replayed or stale handshake'
	[futurets]="ahead of this collector's clock"
	[aheadts]="ahead of this collector's clock"
	[replay-handshake]='replayed or stale handshake'
	[replay-frame]='authentication failed'
	[reorder]='authentication failed'
	[badmac]='authentication failed'
	[badmsg]='bad heartbeat'
	[idle]='handshake timeout'
	[slow]='handshake timeout'
)

HS_TIMEOUT=2s		# lib.sh's collector.conf: idle tests are quick
IDLE_TIMEOUT=10s

# The good key sends n events (more send options may follow); every one
# must be acknowledged and stored once.
deliver() {
	local n=$1 before after out rc

	shift
	before=$(count)
	out=$(timeout -k 5 40 "$PEER" send --collector "$CADDR" --key "$KEY" \
	    --count "$n" --start "$NEXT" "$@" 2>&1)
	rc=$?
	indent "$out"
	NEXT=$((NEXT + n))
	[ $rc -eq 0 ] || return 1
	after=$(count)
	if [ "$after" != $((before + n)) ]; then
		echo "    stored events went from $before to $after, not +$n"
		return 1
	fi
}

# A log line holds the peer address addr and matches the regex.
log_names() {
	[ -n "$1" ] && grep -F "$1:" "$CD.log" | grep -qE "$2"
}

# Seconds in vigil-peer's last "closed ... after S s" line are in [lo, hi].
closed_within() {
	local s

	s=$(sed -n 's/.*closed by the collector after \([0-9.]*\) s.*/\1/p' \
	    <<<"$1" | tail -1)
	echo "    closed after ${s:-?} s"
	awk -v s="${s:-999}" -v lo="$2" -v hi="$3" \
	    'BEGIN { exit !(s >= lo && s <= hi) }'
}

attack() {
	local mode=$1 before after out rc addr stored=0

	before=$(count)
	out=$(timeout -k 5 60 "$PEER" attack "$mode" --collector "$CADDR" \
	    --key "$KEY" --start "$NEXT" --timeout $ATTACK_TIMEOUT 2>&1)
	rc=$?
	indent "$out"
	check "$mode: the collector closed every hostile connection" \
	    [ $rc -eq 0 ]
	if [ "$mode" = replay-frame ]; then
		stored=1		# the original frame, once
		NEXT=$((NEXT + 1))
	fi
	after=$(count)
	check "$mode: $stored event(s) stored by the attack ($before -> $after)" \
	    [ "$after" = $((before + stored)) ]
	if [ -n "${REASON[$mode]:-}" ]; then
		addr=$(grep -o 'conn [0-9.]*:[0-9]*' <<<"$out" | tail -1 |
		    cut -d' ' -f2)
		check "$mode: the log names the peer (${addr:-?}) and the reason" \
		    log_names "$addr" "${REASON[$mode]}"
	fi
	case $mode in
	idle|slow|truncated)
		check "$mode: closed by the 2 s handshake timeout" \
		    closed_within "$out" 1.5 4
		;;
	early-data)
		check "$mode: closed at the header, not after a body" \
		    closed_within "$out" 0 1
		;;
	esac
	check "$mode: collector still running" kill -0 "$CPID"
	check "$mode: then a good agent delivers 100 events, stored once" \
	    deliver 100
}

# A check the rest depends on: on failure, record it and stop.
must() {
	"$@" && return 0
	check "$*" false
	finish
}

must test -x "$PEER"
must start_collector "$T/coll"
log "collector at $CADDR"

must peer_enroll "$KEY" good
check "a good peer enrolled" true
check "it delivers 100 events" deliver 100

for mode in "${MODES[@]}"; do
	if [ $SECONDS -ge $BUDGET ]; then
		check "time budget: attack $mode started before ${BUDGET}s" false
		break
	fi
	log "attack $mode"
	attack "$mode"
done

log "malformed events and compression"
MAL=$(count --type malformed)
check "10 events with 3 malformed are all stored" deliver 10 --malformed 3
check "3 of them stored as \"malformed\"" count_is $((MAL + 3)) \
    --type malformed
check "1000 compressed events in batches of 250" \
    deliver 1000 --batch 250 --compress
out=$(timeout -k 5 30 "$PEER" attack empty-batch --collector "$CADDR" \
    --key "$KEY" --start "$NEXT" --timeout 10 2>&1)
rc=$?
indent "$out"
NEXT=$((NEXT + 1))
check "an empty EVENTS message does not stall the link" [ $rc -eq 0 ]
out=$(timeout -k 5 30 "$PEER" attack ahead-ok --collector "$CADDR" \
    --key "$KEY" --timeout 10 2>&1)
rc=$?
indent "$out"
check "a handshake timestamp just inside the tolerance is accepted" \
    [ $rc -eq 0 ]
check "and the key goes on delivering after it" deliver 100
check "the good key's events: $((NEXT - 1)), no duplicates, no gaps" \
    sh -c "\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" \
    agents --json | grep '\"name\":\"good\"' | \
    grep -q '\"events\":$((NEXT - 1)),\"last_seq\":$((NEXT - 1)),'"

finish_collector "$CD.log"
