#!/usr/bin/env bash
# tests/conformance/run.sh -- serve the conformance zones with NSD (the reference) and with
# mxlabd, send both the same queries (compare) and fail on any difference that is not on the
# allow-list (deliberate.txt).
#
#   tests/conformance/run.sh BIN_DIR BUILD_DIR [--nsd-twice]
#
# --nsd-twice compares NSD with a second NSD instead of mxlabd (checks the harness itself: it
# must report M/M). Everything runs on 127.0.0.1 in a temp dir and dies with this script.
set -euo pipefail

usage() {
	echo "usage: $0 BIN_DIR BUILD_DIR [--nsd-twice]" >&2
	exit 2
}
[ $# -ge 2 ] || usage
HERE=$(cd "$(dirname "$0")" && pwd)
BIN_DIR=$(cd "$1" 2>/dev/null && pwd) || BIN_DIR=$1
BUILD_DIR=$(cd "$2" && pwd)
MODE=${3:-mxlabd}
case $MODE in mxlabd | --nsd-twice) ;; *) usage ;; esac
COMPARE=$BUILD_DIR/tools/compare
SRC_ZONES=$HERE/zones
START_TIMEOUT_MS=15000

[ -x "$COMPARE" ] || { echo "conformance: $COMPARE not built (make conformance)" >&2; exit 2; }

# --- NSD: install it when missing (sudo only when not root) ---
# shellcheck source=tests/conformance/nsd.sh
. "$HERE/nsd.sh"
nsd_need conformance

# --- temp dir and cleanup on every exit path ---
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-conf.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do
		# bounded wait, then SIGKILL
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- signed zones: signed/*.zone signed now with ldns-signzone (fresh validity windows) ---
command -v ldns-signzone >/dev/null 2>&1 || {
	echo "conformance: installing ldnsutils"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get install -y -qq ldnsutils >/dev/null 2>&1 ||
		{ $SUDO apt-get update -qq && $SUDO apt-get install -y -qq ldnsutils >/dev/null; }
	command -v ldns-signzone >/dev/null 2>&1 || { echo "conformance: ldns-signzone missing" >&2; exit 2; }
}
ZONES=$TMP/zones
mkdir -p "$ZONES" "$TMP/keys"
cp "$SRC_ZONES"/*.zone "$ZONES"/
# sign_zone ORIGIN SOURCE [ldns-signzone options]: $ZONES/ORIGIN.zone signed with a fresh KSK
# and ZSK (algorithm 13); sets KSK to the KSK's base name.
sign_zone() {
	local origin=$1 src=$2 zsk
	shift 2
	KSK=$(cd "$TMP/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$origin")
	zsk=$(cd "$TMP/keys" && ldns-keygen -a ECDSAP256SHA256 "$origin")
	ldns-signzone "$@" -o "$origin" -f "$ZONES/$origin.zone" "$src" "$TMP/keys/$KSK" \
		"$TMP/keys/$zsk"
}
SIGNED=$HERE/signed
sign_zone sub.nsec.test "$SIGNED/sub.nsec.test.zone"
{ cat "$SIGNED/nsec.test.zone"; ldns-key2ds -n -2 "$TMP/keys/$KSK.key"; } >"$TMP/nsec.test.src"
sign_zone nsec.test "$TMP/nsec.test.src"
sign_zone n3.test "$SIGNED/n3.test.zone" -n -s aabbccdd -t 2
sign_zone n3o.test "$SIGNED/n3o.test.zone" -n -p -t 0
# ldns-signzone gives insecure delegations an NSEC3 even with opt-out: drop insec3's and let the
# record before it span it, as a signer using opt-out would (neither server checks signatures).
h=$(ldns-nsec3-hash -t 0 insec3.n3o.test. | cut -d. -f1)
next=$(awk -v o="$h.n3o.test." 'tolower($1) == o && $4 == "NSEC3" { print tolower($9) }' "$ZONES/n3o.test.zone")
[ -n "$next" ] || { echo "conformance: no NSEC3 for insec3.n3o.test in the signed zone" >&2; exit 2; }
sed -i -e "/^$h\.n3o\.test\./Id" -e "s/\(NSEC3[[:space:]]*1 1 0 -[[:space:]]*\)$h/\1$next/I" "$ZONES/n3o.test.zone"
# every query of queries-dnssec.txt without DO (UDP, EDNS, TCP), then with DO at EDNS sizes
# 512, 1232 and 4096 and over TCP; plus queries for hashed owner names.
{
	grep -v '^[[:space:]]*\(#\|$\)' "$HERE/queries-dnssec.txt" | while read -r name type rest; do
		echo "$name $type $rest"
		for size in 512 1232 4096; do echo "$name $type edns do bufsize=$size $rest"; done
		echo "$name $type tcp do $rest"
	done
	for z in n3.test:aabbccdd:2 n3o.test:-:0; do
		IFS=: read -r origin salt iter <<<"$z"
		[ "$salt" = - ] && salt=
		h=$(ldns-nsec3-hash -t "$iter" ${salt:+-s "$salt"} "$origin." | cut -d. -f1)
		for q in "$h.$origin A" "$h.$origin NSEC3" "x.$h.$origin A"; do
			echo "$q"
			echo "$q edns do"
			echo "$q tcp do"
		done
	done
} >"$TMP/queries-dnssec.txt"

# Write an nsd.conf for the conformance zones into dir $1, listening on port $2.
nsd_conf() {
	nsd_write_conf "$1" "$2" "$ZONES" 1 "$ZONES"/*.zone
}

# Start NSD in dir $1 on a free port (a few tries: the port may be taken meanwhile);
# sets NSD_PORT.
start_nsd() {
	local dir=$1 try pid
	for try in 1 2 3; do
		NSD_PORT=$("$COMPARE" -P)
		nsd_conf "$dir" "$NSD_PORT"
		"$NSD" -d -c "$dir/nsd.conf" >"$dir/stdout" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		if "$COMPARE" -w "$START_TIMEOUT_MS" "$NSD_PORT" 2>/dev/null; then
			# NSD forks: the process we started becomes xfrd, the pidfile names main.
			[ -s "$dir/nsd.pid" ] && PIDS+=("$(cat "$dir/nsd.pid")")
			return 0
		fi
		echo "conformance: nsd did not answer on port $NSD_PORT (try $try):" >&2
		cat "$dir/stdout" "$dir/nsd.log" 2>/dev/null | tail -n 5 >&2 || true
		kill -KILL "$pid" 2>/dev/null || true
	done
	echo "conformance: could not start nsd" >&2
	return 1
}

# Start bin/mxlabd -p 0 on the same zones; sets MX_PORT.
start_mxlabd() {
	local dir=$TMP/mxlabd pid
	mkdir -p "$dir"
	[ -x "$BIN_DIR/mxlabd" ] || { echo "conformance: $BIN_DIR/mxlabd not built" >&2; return 1; }
	"$BIN_DIR/mxlabd" -p 0 --port-file "$dir/port" "$ZONES"/*.zone >"$dir/stdout" 2>"$dir/stderr" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 150); do
		[ -s "$dir/port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$dir/port" ]; then
		echo "conformance: mxlabd did not become ready:" >&2
		tail -n 20 "$dir/stderr" >&2 || true
		return 1
	fi
	MX_PORT=$(head -n 1 "$dir/port")
	"$COMPARE" -w "$START_TIMEOUT_MS" "$MX_PORT" || {
		tail -n 20 "$dir/stderr" >&2 || true
		return 1
	}
}

# Every zone must have loaded on both sides (NSD answers SERVFAIL for a zone it rejected).
check_zones() {
	local port=$1 who=$2 f
	for f in "$ZONES"/*.zone; do
		"$COMPARE" -w 5000 -s -n "$(basename "$f" .zone)" "$port" || {
			echo "conformance: $who did not load $f" >&2
			[ "$who" = mxlabd ] || grep -E "error|warning" "$TMP/$who/nsd.log" >&2 || true
			return 1
		}
	done
}

start_nsd "$TMP/nsd"
REF_PORT=$NSD_PORT
check_zones "$REF_PORT" nsd
if [ "$MODE" = --nsd-twice ]; then
	start_nsd "$TMP/nsd2"
	TEST_PORT=$NSD_PORT
	check_zones "$TEST_PORT" nsd2
	LABEL=nsd2
	ALLOW=()
else
	start_mxlabd
	TEST_PORT=$MX_PORT
	check_zones "$TEST_PORT" mxlabd
	LABEL=mxlabd
	ALLOW=(-a "$HERE/deliberate.txt")
fi

echo "conformance: nsd on 127.0.0.1:$REF_PORT, $LABEL on 127.0.0.1:$TEST_PORT"
status=0
cat "$HERE/queries.txt" "$TMP/queries-dnssec.txt" >"$TMP/queries.txt"
"$COMPARE" ${ALLOW[@]+"${ALLOW[@]}"} -A nsd -B "$LABEL" "$TMP/queries.txt" "$REF_PORT" "$TEST_PORT" ||
	status=$?
if [ "$LABEL" = mxlabd ]; then
	# the same requests again: now mxlabd answers them from its answer cache (copies of the
	# replies it built the first time, with the new IDs), and they must still be NSD's
	echo "conformance: second pass, mxlabd answering from its answer cache"
	"$COMPARE" ${ALLOW[@]+"${ALLOW[@]}"} -A nsd -B "$LABEL" "$TMP/queries.txt" "$REF_PORT" "$TEST_PORT" ||
		status=$?
fi
exit "$status"
