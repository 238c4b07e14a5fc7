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
ZONES=$HERE/zones
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
"$COMPARE" ${ALLOW[@]+"${ALLOW[@]}"} -A nsd -B "$LABEL" "$HERE/queries.txt" "$REF_PORT" "$TEST_PORT" ||
	status=$?
exit "$status"
